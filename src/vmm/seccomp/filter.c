/*
 * filter.c: see filter.h.
 */
#include "filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
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

/* The main loop: the event loop, the control socket (accept4, recvfrom,
 * sendto, pread64 of /proc/self/statm, unlink at the end), the vCPUs'
 * kicks (tgkill). It also serves the queue notifications that come by
 * ioeventfd (virtio/dev.c): what the device models need for that comes
 * with the devices (struct filter_rules: getrandom for virtio-rng;
 * preadv, pwritev and fdatasync for virtio-blk's image fds). */
static const int filter_main_only[] = {
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(accept4),
	SCMP_SYS(recvfrom),   SCMP_SYS(sendto),	     SCMP_SYS(tgkill),
	SCMP_SYS(pread64),    SCMP_SYS(unlink),	     SCMP_SYS(unlinkat),
};

/* poll: the UART (is the console fd ready?); the device models' own
 * syscalls come with the devices, as for the main loop. */
static const int filter_vcpu_only[] = {
	SCMP_SYS(poll),
};

/*
 * The 9p server (devices/virtio/9p/p9server.c), nothing more: lookups by
 * openat2 only (no open or openat), the *at() calls of each operation on
 * fds it holds, I/O on opened files, xattrs by fd. Each is made on fds of
 * its share only; see docs/threat-model.md for why each is there.
 */
#define FILTER_SYS_FCHMODAT2 452 /* Linux 6.6; may be newer than libseccomp */
static const int filter_p9_only[] = {
	SCMP_SYS(openat2),    SCMP_SYS(dup),	    SCMP_SYS(lseek),
	SCMP_SYS(preadv),     SCMP_SYS(pread64),    SCMP_SYS(pwrite64),
	SCMP_SYS(pwritev),    SCMP_SYS(getdents64), SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),  SCMP_SYS(ftruncate),  SCMP_SYS(fstatfs),
	SCMP_SYS(fchmod),     SCMP_SYS(fchown),	    SCMP_SYS(fchownat),
	SCMP_SYS(utimensat),  SCMP_SYS(mkdirat),    SCMP_SYS(mknodat),
	SCMP_SYS(symlinkat),  SCMP_SYS(readlinkat), SCMP_SYS(linkat),
	SCMP_SYS(renameat),   SCMP_SYS(unlinkat),   SCMP_SYS(fgetxattr),
	SCMP_SYS(fsetxattr),  SCMP_SYS(flistxattr), SCMP_SYS(fremovexattr),
	FILTER_SYS_FCHMODAT2,
};

/*
 * A virtio-net thread (devices/virtio/net.c): the common list already has
 * read/readv/write/writev (tap, kick eventfd, irqfd) and epoll_ctl (the
 * tap's polling turned on and off); waiting is all it adds.
 */
static const int filter_net_only[] = {
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
};

/* fcntl: only the commands the 9p server uses (O_APPEND, OFD locks). */
static int filter_p9_fcntl(scmp_filter_ctx ctx)
{
	static const int cmds[] = { F_SETFL, F_OFD_SETLK, F_OFD_GETLK };
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (seccomp_rule_add(
			    ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
			    SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)cmds[i])) < 0)
			return -1;
	return 0;
}

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

/* The devices' lists, each once (two devices of a kind share one). */
static int filter_add_rules(scmp_filter_ctx ctx,
			    const struct filter_rules *const *rules, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && rules[j] != rules[i]; j++)
			;
		if (j == i && rules[i] &&
		    filter_add_all(ctx, rules[i]->sys, rules[i]->n) < 0)
			return -1;
	}
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

static const char *filter_name(enum filter_kind kind)
{
	switch (kind) {
	case FILTER_MAIN:
		return "main";
	case FILTER_VCPU:
		return "vCPU";
	case FILTER_NET:
		return "net";
	default:
		return "9p";
	}
}

/* libseccomp's filter building is not documented thread-safe. */
static pthread_mutex_t filter_lock = PTHREAD_MUTEX_INITIALIZER;

int filter_load(enum filter_kind kind, struct moat_err **e)
{
	return filter_load_with(kind, NULL, 0, e);
}

int filter_load_with(enum filter_kind kind,
		     const struct filter_rules *const *rules, size_t nrules,
		     struct moat_err **e)
{
	static const unsigned long main_ioctls[] = { KVM_IRQ_LINE };
	/* KVM_GET_REGS, KVM_GET_SREGS: read the vCPU's state to report a
	 * triple fault (vm.c); they change nothing. */
	static const unsigned long vcpu_ioctls[] = { KVM_RUN, KVM_IRQ_LINE,
						     KVM_GET_REGS,
						     KVM_GET_SREGS };
	scmp_filter_ctx ctx;
	int r = -1;

	pthread_mutex_lock(&filter_lock);
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		pthread_mutex_unlock(&filter_lock);
		return moat_err_set(e, ENOMEM, "seccomp_init");
	}
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
		    filter_ioctls(ctx, main_ioctls, 1) < 0 ||
		    filter_add_rules(ctx, rules, nrules) < 0)
			goto out;
	} else if (kind == FILTER_P9) {
		if (filter_add_all(ctx, filter_p9_only,
				   sizeof(filter_p9_only) / sizeof(int)) < 0 ||
		    filter_p9_fcntl(ctx) < 0)
			goto out;
	} else if (kind == FILTER_NET) {
		if (filter_add_all(ctx, filter_net_only,
				   sizeof(filter_net_only) / sizeof(int)) < 0)
			goto out;
	} else {
		if (filter_add_all(ctx, filter_vcpu_only,
				   sizeof(filter_vcpu_only) / sizeof(int)) <
			    0 ||
		    filter_ioctls(ctx, vcpu_ioctls, 4) < 0 ||
		    filter_add_rules(ctx, rules, nrules) < 0)
			goto out;
	}
	r = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	pthread_mutex_unlock(&filter_lock);
	if (r < 0)
		return moat_err_set(e, r == -1 ? EINVAL : -r,
				    "seccomp filter for the %s thread",
				    filter_name(kind));
	return 0;
}
