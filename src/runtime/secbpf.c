/*
 * secbpf.c: OCI seccomp profile -> BPF with libseccomp (see secbpf.h;
 * runtime-spec config-linux.md, "Seccomp"). Host side only. The profile's
 * names were checked by the parser (src/common/spec_seccomp.c); what only
 * libseccomp can say (its architectures, the rules it takes) is checked
 * here.
 */
#include "secbpf.h"

#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The libseccomp action of act, with errno (or the tracer's) ret. */
static uint32_t secbpf_action(enum spec_scmp_act act, uint32_t ret)
{
	switch (act) {
	case SPEC_SCMP_ACT_ALLOW:
		return SCMP_ACT_ALLOW;
	case SPEC_SCMP_ACT_ERRNO:
		return SCMP_ACT_ERRNO(ret);
	case SPEC_SCMP_ACT_KILL:
	case SPEC_SCMP_ACT_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case SPEC_SCMP_ACT_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case SPEC_SCMP_ACT_LOG:
		return SCMP_ACT_LOG;
	case SPEC_SCMP_ACT_TRACE:
		return SCMP_ACT_TRACE(ret);
	case SPEC_SCMP_ACT_TRAP:
		break;
	}
	return SCMP_ACT_TRAP;
}

static enum scmp_compare secbpf_op(enum spec_scmp_op op)
{
	static const enum scmp_compare ops[] = {
		[SPEC_SCMP_CMP_EQ] = SCMP_CMP_EQ,
		[SPEC_SCMP_CMP_GE] = SCMP_CMP_GE,
		[SPEC_SCMP_CMP_GT] = SCMP_CMP_GT,
		[SPEC_SCMP_CMP_LE] = SCMP_CMP_LE,
		[SPEC_SCMP_CMP_LT] = SCMP_CMP_LT,
		[SPEC_SCMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
		[SPEC_SCMP_CMP_NE] = SCMP_CMP_NE,
	};

	return ops[op];
}

static int secbpf_rule(scmp_filter_ctx ctx, const struct spec_scmp_rule *r,
		       size_t idx, uint32_t def_act, uint32_t def_errno,
		       struct moat_err **e)
{
	struct scmp_arg_cmp cmp[SPEC_SCMP_ARGS_MAX];
	uint32_t action;
	size_t i;
	int nr, rc;

	action = secbpf_action(r->action,
			       r->has_errno_ret ? r->errno_ret : def_errno);
	if (action == def_act)
		return 0; /* libseccomp refuses a rule that changes nothing */
	for (i = 0; i < r->nargs; i++) {
		cmp[i].arg = r->args[i].index;
		cmp[i].op = secbpf_op(r->args[i].op);
		cmp[i].datum_a = r->args[i].value;
		cmp[i].datum_b = r->args[i].value_two;
	}
	for (i = 0; r->names[i]; i++) {
		nr = seccomp_syscall_resolve_name(r->names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		rc = seccomp_rule_add_array(ctx, action, nr,
					    (unsigned int)r->nargs, cmp);
		if (rc < 0)
			return moat_err_set(e, -rc,
					    "linux.seccomp.syscalls[%zu]: "
					    "libseccomp refuses the rule for "
					    "%.64s",
					    idx, r->names[i]);
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

static int secbpf_fill(scmp_filter_ctx ctx, const struct spec_seccomp *sc,
		       uint32_t def_act, uint32_t def_errno,
		       struct moat_err **e)
{
	const char *name;
	uint32_t arch;
	size_t i;
	int r;

	for (i = 0; i < sc->narchs; i++) {
		name = spec_scmp_archs[sc->archs[i]];
		arch = secbpf_arch(name);
		if (!arch)
			return moat_err_code(
				e, EOPNOTSUPP,
				"linux.seccomp.architectures[%zu]: "
				"%s is not known to libseccomp",
				i, name);
		r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			return moat_err_set(
				e, -r, "linux.seccomp.architectures[%zu]", i);
	}
	for (i = 0; i < sc->nrules; i++)
		if (secbpf_rule(ctx, &sc->rules[i], i, def_act, def_errno, e))
			return -1;
	return 0;
}

int secbpf_compile(const struct spec_seccomp *sc, uint8_t **prog,
		   size_t *prog_len, struct moat_err **e)
{
	uint32_t def_errno =
		sc->has_default_errno_ret ? sc->default_errno_ret : EPERM;
	uint32_t def_act = secbpf_action(sc->default_action, def_errno);
	scmp_filter_ctx ctx;
	off_t size;
	int fd = -1, r = -1;

	*prog = NULL;
	ctx = seccomp_init(def_act);
	if (!ctx)
		return moat_err_set(e, ENOMEM, "seccomp_init");
	/* The agent sets no_new_privs itself when the config asks. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (secbpf_fill(ctx, sc, def_act, def_errno, e))
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
	seccomp_release(ctx);
	return r;
}
