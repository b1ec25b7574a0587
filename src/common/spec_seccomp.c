/*
 * spec_seccomp.c: linux.seccomp of config.json (see spec.h), for the
 * parser in spec_linux.c: the default action and errno, architectures,
 * flags and the syscall rules, checked once against the runtime-spec's
 * own names into a struct spec_seccomp, which src/runtime/secbpf.c
 * compiles on the host. No libseccomp here: this file is linked into the
 * static agent too (which never gets a profile: SPEC_ENC_HOST).
 *
 * Input: as spec.c's (config.json from the engine or the user). Implements
 * runtime-spec config-linux.md, "Seccomp" (its names, spec 1.0 to 1.3).
 * Pure.
 */
#include "spec.h"
#include "spec_priv.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In the order `moat features` lists them. */
const char *const spec_scmp_actions[] = {
	[SPEC_SCMP_ACT_ALLOW] = "SCMP_ACT_ALLOW",
	[SPEC_SCMP_ACT_ERRNO] = "SCMP_ACT_ERRNO",
	[SPEC_SCMP_ACT_KILL] = "SCMP_ACT_KILL",
	[SPEC_SCMP_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
	[SPEC_SCMP_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
	[SPEC_SCMP_ACT_LOG] = "SCMP_ACT_LOG",
	[SPEC_SCMP_ACT_TRACE] = "SCMP_ACT_TRACE",
	[SPEC_SCMP_ACT_TRAP] = "SCMP_ACT_TRAP",
	NULL,
};

const char *const spec_scmp_ops[] = {
	[SPEC_SCMP_CMP_EQ] = "SCMP_CMP_EQ",
	[SPEC_SCMP_CMP_GE] = "SCMP_CMP_GE",
	[SPEC_SCMP_CMP_GT] = "SCMP_CMP_GT",
	[SPEC_SCMP_CMP_LE] = "SCMP_CMP_LE",
	[SPEC_SCMP_CMP_LT] = "SCMP_CMP_LT",
	[SPEC_SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
	[SPEC_SCMP_CMP_NE] = "SCMP_CMP_NE",
	NULL,
};

/* Every one the spec names; secbpf refuses those its libseccomp lacks. */
const char *const spec_scmp_archs[] = {
	"SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",
	"SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_MIPS",
	"SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
	"SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",
	"SCMP_ARCH_S390X",    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",
	"SCMP_ARCH_RISCV64",  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
	"SCMP_ARCH_SH",	      "SCMP_ARCH_SHEB",	       NULL,
};

const char *const spec_scmp_flags[] = {
	"SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	NULL,
};

/* The index in names of the string v (no NUL inside), or -1. */
static int spec_scmp_lookup(json_t *v, const char *const *names)
{
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	return oci_lookup(names, json_string_value(v));
}

/* o[key], an action at where, into *act (required). */
static int spec_scmp_action(json_t *o, const char *key, const char *where,
			    enum spec_scmp_act *act, struct moat_err **e)
{
	json_t *v = json_object_get(o, key);
	int k;

	if (!json_is_string(v))
		return moat_err_code(e, EINVAL, "%s.%s: required string", where,
				     key);
	k = spec_scmp_lookup(v, spec_scmp_actions);
	if (k >= 0) {
		*act = (enum spec_scmp_act)k;
		return 0;
	}
	/* A seccomp-notify listener would have to live beside the VM. */
	if (!strcmp(json_string_value(v), "SCMP_ACT_NOTIFY"))
		return moat_err_code(e, EOPNOTSUPP,
				     "%s.%s: SCMP_ACT_NOTIFY is not supported",
				     where, key);
	return moat_err_code(e, EINVAL,
			     "%s.%s: must be a seccomp action "
			     "(SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, ...)",
			     where, key);
}

/* o[key], an errno (errnoRet, defaultErrnoRet), into *has and *out. */
static int spec_scmp_errno(json_t *o, const char *key, const char *where,
			   bool *has, uint32_t *out, struct moat_err **e)
{
	json_int_t v = 0;

	if (oci_get_int(o, key, where, 0, UINT32_MAX, false, has, &v, e))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* linux.seccomp.syscalls[i].args, at where, into r. */
static int spec_scmp_args(json_t *o, const char *where,
			  struct spec_scmp_rule *r, struct moat_err **e)
{
	json_t *v = json_object_get(o, "args"), *a;
	struct spec_scmp_arg *sa;
	char list[64], at[96];
	json_int_t n;
	size_t i;
	int k;

	snprintf(list, sizeof(list), "%s.args", where);
	if (oci_absent(v))
		return 0;
	if (!json_is_array(v))
		return moat_err_code(e, EINVAL, "%s: must be an array", list);
	if (json_array_size(v) > SPEC_SCMP_ARGS_MAX)
		return moat_err_code(e, EINVAL,
				     "%s: at most %d comparisons (libseccomp's "
				     "bound)",
				     list, SPEC_SCMP_ARGS_MAX);
	json_array_foreach(v, i, a)
	{
		if (spec_item(a, list, i, at, sizeof(at), e))
			return -1;
		sa = &r->args[r->nargs++];
		if (oci_get_int(a, "index", at, 0, SPEC_SCMP_ARGS_MAX - 1, true,
				NULL, &n, e))
			return -1;
		sa->index = (unsigned)n;
		/* A datum is 64 bits: a negative number is its two's
		 * complement, as libseccomp's scmp_datum_t takes it. */
		if (oci_get_int(a, "value", at, INT64_MIN, INT64_MAX, true,
				NULL, &n, e))
			return -1;
		sa->value = (uint64_t)n;
		n = 0;
		if (oci_get_int(a, "valueTwo", at, INT64_MIN, INT64_MAX, false,
				NULL, &n, e))
			return -1;
		sa->value_two = (uint64_t)n;
		k = spec_scmp_lookup(json_object_get(a, "op"), spec_scmp_ops);
		if (k < 0)
			return moat_err_code(e, EINVAL,
					     "%s.op: must be an operator "
					     "(SCMP_CMP_EQ, ...)",
					     at);
		sa->op = (enum spec_scmp_op)k;
	}
	return 0;
}

/* linux.seccomp.syscalls */
static int spec_scmp_rules(json_t *o, struct spec_seccomp *sc,
			   struct moat_err **e)
{
	static const char list[] = "linux.seccomp.syscalls";
	json_t *v = json_object_get(o, "syscalls"), *r;
	struct spec_scmp_rule *sr;
	char at[48];
	size_t i;

	if (spec_array(v, list, sizeof(*sc->rules), (void **)&sc->rules, e))
		return -1;
	json_array_foreach(v, i, r)
	{
		if (spec_item(r, list, i, at, sizeof(at), e))
			return -1;
		sr = &sc->rules[sc->nrules++];
		if (oci_absent(json_object_get(r, "names")))
			return moat_err_code(e, EINVAL, "%s.names: required",
					     at);
		if (oci_get_strv(r, "names", at, false, &sr->names, e) ||
		    spec_scmp_action(r, "action", at, &sr->action, e) ||
		    spec_scmp_errno(r, "errnoRet", at, &sr->has_errno_ret,
				    &sr->errno_ret, e) ||
		    spec_scmp_args(r, at, sr, e))
			return -1;
	}
	return 0;
}

/* linux.seccomp's architectures and flags */
static int spec_scmp_archs_flags(json_t *o, struct spec_seccomp *sc,
				 struct moat_err **e)
{
	static const char archs[] = "linux.seccomp.architectures";
	static const char flags[] = "linux.seccomp.flags";
	json_t *v = json_object_get(o, "architectures"), *a;
	size_t i;
	int k;

	if (spec_array(v, archs, sizeof(*sc->archs), (void **)&sc->archs, e))
		return -1;
	json_array_foreach(v, i, a)
	{
		k = spec_scmp_lookup(a, spec_scmp_archs);
		if (k < 0)
			return moat_err_code(e, EINVAL,
					     "%s[%zu]: must be an architecture "
					     "(SCMP_ARCH_X86_64, ...)",
					     archs, i);
		sc->archs[sc->narchs++] = (unsigned)k;
	}
	v = json_object_get(o, "flags");
	if (oci_absent(v))
		return 0;
	if (!json_is_array(v))
		return moat_err_code(e, EINVAL, "%s: must be an array", flags);
	json_array_foreach(v, i, a)
	{
		k = spec_scmp_lookup(a, spec_scmp_flags);
		if (k < 0)
			return moat_err_code(e, EINVAL,
					     "%s[%zu]: must be a seccomp flag "
					     "(SECCOMP_FILTER_FLAG_TSYNC, ...)",
					     flags, i);
		sc->flags |= 1u << k;
	}
	return 0;
}

int spec_seccomp_parse(json_t *lx, struct spec *s, struct moat_err **e)
{
	struct spec_seccomp *sc;
	json_t *o;

	if (oci_get_obj(lx, "seccomp", "linux", &o, e))
		return -1;
	if (!o)
		return 0;
	sc = s->seccomp = calloc(1, sizeof(*sc));
	if (!sc)
		return moat_err_set(e, ENOMEM, "linux.seccomp");
	if (spec_scmp_action(o, "defaultAction", "linux.seccomp",
			     &sc->default_action, e) ||
	    spec_scmp_errno(o, "defaultErrnoRet", "linux.seccomp",
			    &sc->has_default_errno_ret, &sc->default_errno_ret,
			    e) ||
	    spec_scmp_archs_flags(o, sc, e) || spec_scmp_rules(o, sc, e))
		return -1;
	return 0;
}

void spec_seccomp_free(struct spec_seccomp *sc)
{
	size_t i;

	if (!sc)
		return;
	for (i = 0; i < sc->nrules; i++)
		oci_strv_free(sc->rules[i].names);
	free(sc->rules);
	free(sc->archs);
	free(sc);
}
