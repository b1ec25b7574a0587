/*
 * secbpf.c: OCI seccomp profile -> BPF with libseccomp (see secbpf.h;
 * runtime-spec config-linux.md, "Seccomp"). Host side only.
 */
#include "secbpf.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int secbpf_action(const char *name, json_t *errno_ret,
			 uint32_t def_errno, uint32_t *act, struct moat_err **e)
{
	uint32_t ret = def_errno;

	if (json_is_integer(errno_ret))
		ret = (uint32_t)json_integer_value(errno_ret);
	if (!strcmp(name, "SCMP_ACT_ALLOW"))
		*act = SCMP_ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_ERRNO"))
		*act = SCMP_ACT_ERRNO(ret);
	else if (!strcmp(name, "SCMP_ACT_KILL") ||
		 !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*act = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		*act = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP"))
		*act = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_TRACE"))
		*act = SCMP_ACT_TRACE(ret);
	else if (!strcmp(name, "SCMP_ACT_LOG"))
		*act = SCMP_ACT_LOG;
	else
		return moat_err_set(e, EOPNOTSUPP, "seccomp: action %s", name);
	return 0;
}

static int secbpf_op(const char *name, enum scmp_compare *op)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE },
		{ "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE },
		{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE },
		{ "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(name, ops[i].name)) {
			*op = ops[i].op;
			return 0;
		}
	return -1;
}

static int secbpf_rule(scmp_filter_ctx ctx, json_t *rule, size_t idx,
		       uint32_t def_act, uint32_t def_errno,
		       struct moat_err **e)
{
	json_t *names = json_object_get(rule, "names"), *args, *a, *n;
	json_t *act = json_object_get(rule, "action");
	struct scmp_arg_cmp cmp[6];
	unsigned int ncmp = 0;
	uint32_t action;
	size_t i;
	int nr, r;

	if (!json_is_array(names) || !json_is_string(act))
		return moat_err_set(e, EINVAL,
				    "seccomp.syscalls[%zu]: names and action "
				    "are required",
				    idx);
	if (secbpf_action(json_string_value(act),
			  json_object_get(rule, "errnoRet"), def_errno, &action,
			  e))
		return -1;
	args = json_object_get(rule, "args");
	if (args && !json_is_array(args))
		return moat_err_set(e, EINVAL, "seccomp.syscalls[%zu].args",
				    idx);
	json_array_foreach(args, i, a)
	{
		json_t *op = json_object_get(a, "op");

		if (ncmp == 6 ||
		    !json_is_integer(json_object_get(a, "index")) ||
		    !json_is_integer(json_object_get(a, "value")) ||
		    !json_is_string(op) ||
		    secbpf_op(json_string_value(op), &cmp[ncmp].op) < 0)
			return moat_err_set(e, EINVAL,
					    "seccomp.syscalls[%zu].args[%zu]",
					    idx, i);
		cmp[ncmp].arg = (unsigned int)json_integer_value(
			json_object_get(a, "index"));
		cmp[ncmp].datum_a = (scmp_datum_t)json_integer_value(
			json_object_get(a, "value"));
		cmp[ncmp].datum_b = (scmp_datum_t)json_integer_value(
			json_object_get(a, "valueTwo"));
		if (cmp[ncmp].arg > 5)
			return moat_err_set(e, EINVAL,
					    "seccomp.syscalls[%zu].args[%zu]",
					    idx, i);
		ncmp++;
	}
	if (action == def_act)
		return 0; /* libseccomp refuses a rule that changes nothing */
	json_array_foreach(names, i, n)
	{
		if (!json_is_string(n))
			return moat_err_set(e, EINVAL,
					    "seccomp.syscalls[%zu].names", idx);
		nr = seccomp_syscall_resolve_name(json_string_value(n));
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add_array(ctx, action, nr, ncmp, cmp);
		if (r < 0)
			return moat_err_set(e, -r, "seccomp: rule for %s",
					    json_string_value(n));
	}
	return 0;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token for "x86_64", or 0. */
static uint32_t secbpf_arch(const char *name)
{
	char buf[32];
	size_t i;

	if (strncmp(name, "SCMP_ARCH_", 10) || strlen(name + 10) >= sizeof(buf))
		return 0;
	for (i = 0; name[10 + i]; i++)
		buf[i] = (char)tolower((unsigned char)name[10 + i]);
	buf[i] = '\0';
	return seccomp_arch_resolve_name(buf);
}

static int secbpf_fill(scmp_filter_ctx ctx, json_t *root, uint32_t def_act,
		       uint32_t def_errno, struct moat_err **e)
{
	json_t *archs = json_object_get(root, "architectures"), *v;
	json_t *rules = json_object_get(root, "syscalls");
	uint32_t arch;
	size_t i;
	int r;

	if (archs && !json_is_array(archs))
		return moat_err_set(e, EINVAL, "seccomp.architectures");
	json_array_foreach(archs, i, v)
	{
		arch = json_is_string(v) ? secbpf_arch(json_string_value(v))
					 : 0;
		if (!arch)
			return moat_err_set(e, EINVAL,
					    "seccomp.architectures[%zu]", i);
		r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			return moat_err_set(e, -r, "seccomp: architecture");
	}
	if (rules && !json_is_array(rules))
		return moat_err_set(e, EINVAL, "seccomp.syscalls");
	json_array_foreach(
		rules, i,
		v) if (secbpf_rule(ctx, v, i, def_act, def_errno, e)) return -1;
	return 0;
}

int secbpf_compile(const char *json, size_t len, uint8_t **prog,
		   size_t *prog_len, struct moat_err **e)
{
	json_t *root, *def, *de;
	scmp_filter_ctx ctx = NULL;
	uint32_t def_act, def_errno = EPERM;
	json_error_t jerr;
	off_t size;
	int fd = -1, r = -1;

	*prog = NULL;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return moat_err_set(e, EINVAL, "seccomp:%d:%d: %s", jerr.line,
				    jerr.column, jerr.text);
	def = json_object_get(root, "defaultAction");
	de = json_object_get(root, "defaultErrnoRet");
	if (json_is_integer(de))
		def_errno = (uint32_t)json_integer_value(de);
	if (!json_is_string(def)) {
		moat_err_set(e, EINVAL, "seccomp.defaultAction: required");
		goto out;
	}
	if (secbpf_action(json_string_value(def), de, def_errno, &def_act, e))
		goto out;
	ctx = seccomp_init(def_act);
	if (!ctx) {
		moat_err_set(e, ENOMEM, "seccomp_init");
		goto out;
	}
	/* The agent sets no_new_privs itself when the config asks. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (secbpf_fill(ctx, root, def_act, def_errno, e))
		goto out;
	fd = memfd_create("secbpf", MFD_CLOEXEC);
	if (fd < 0) {
		moat_err_set(e, errno, "memfd_create");
		goto out;
	}
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0) {
		r = moat_err_set(e, -r, "seccomp_export_bpf");
		goto out;
	}
	r = -1;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % 8 || !(*prog = malloc((size_t)size)) ||
	    pread(fd, *prog, (size_t)size, 0) != size) {
		moat_err_set(e, EIO, "seccomp: read the program");
		free(*prog);
		*prog = NULL;
		goto out;
	}
	*prog_len = (size_t)size;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ctx)
		seccomp_release(ctx);
	json_decref(root);
	return r;
}
