/*
 * filter.c: see filter.h.
 */
#include "filter.h"

#include <errno.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/mman.h>

/* What every thread of ours needs: memory (never executable), locks,
 * signals, I/O on fds it already holds, and ending. */
static const int filter_common[] = {
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(close),
	SCMP_SYS(futex),
	SCMP_SYS(brk),
	SCMP_SYS(munmap),
	SCMP_SYS(madvise),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(sched_yield),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
};

static const int filter_main_only[] = {
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(accept4),
	SCMP_SYS(recvfrom),   SCMP_SYS(sendto),	     SCMP_SYS(tgkill),
	SCMP_SYS(pread64),    SCMP_SYS(unlink),	     SCMP_SYS(unlinkat),
};

/* getrandom: virtio-rng; preadv, pwritev, fdatasync: virtio-blk's I/O on
 * its image fds, opened before the filter. */
static const int filter_vcpu_only[] = {
	SCMP_SYS(getrandom), SCMP_SYS(poll), /* the UART: is the console fd
						ready? */
	SCMP_SYS(preadv),    SCMP_SYS(pwritev), SCMP_SYS(fdatasync),
};

/*
 * Sanitizer builds (make SAN=address,...) only: ASan's runtime switches the
 * alternate signal stack when a thread ends, and its leak check at exit
 * would need ptrace, which no filter here allows, so it is turned off in
 * the processes that carry these filters. Release builds have neither.
 */
#if defined(__SANITIZE_ADDRESS__)
#define FILTER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FILTER_SANITIZER 1
#endif
#endif

#ifdef FILTER_SANITIZER
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

static const int filter_sanitizer[] = {
	SCMP_SYS(sigaltstack),
};
#endif

static int filter_add_all(scmp_filter_ctx ctx, const int *sys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sys[i], 0) < 0)
			return -1;
	return 0;
}

/* ioctl: only these requests. */
static int filter_ioctls(scmp_filter_ctx ctx, const unsigned long *req,
			 size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, req[i])) < 0)
			return -1;
	return 0;
}

/* mmap and mprotect, never with PROT_EXEC (malloc needs them). */
static int filter_memory(scmp_filter_ctx ctx)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) < 0)
		return -1;
	return 0;
}

int filter_load(enum filter_kind kind, struct moat_err **e)
{
	static const unsigned long main_ioctls[] = { KVM_IRQ_LINE };
	static const unsigned long vcpu_ioctls[] = { KVM_RUN, KVM_IRQ_LINE };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = -1;

	if (!ctx)
		return moat_err_set(e, ENOMEM, "seccomp_init");
	if (filter_add_all(ctx, filter_common,
			   sizeof(filter_common) / sizeof(int)) < 0 ||
	    filter_memory(ctx) < 0)
		goto out;
#ifdef FILTER_SANITIZER
	if (filter_add_all(ctx, filter_sanitizer,
			   sizeof(filter_sanitizer) / sizeof(int)) < 0)
		goto out;
#endif
	if (kind == FILTER_MAIN) {
		if (filter_add_all(ctx, filter_main_only,
				   sizeof(filter_main_only) / sizeof(int)) <
			    0 ||
		    filter_ioctls(ctx, main_ioctls, 1) < 0)
			goto out;
	} else {
		if (filter_add_all(ctx, filter_vcpu_only,
				   sizeof(filter_vcpu_only) / sizeof(int)) <
			    0 ||
		    filter_ioctls(ctx, vcpu_ioctls, 2) < 0)
			goto out;
	}
	r = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	if (r < 0)
		return moat_err_set(e, r == -1 ? EINVAL : -r,
				    "seccomp filter for the %s thread",
				    kind == FILTER_MAIN ? "main" : "vCPU");
	return 0;
}
