/*
 * test_vmm_seccomp.c: moat-vmm's seccomp allowlists (src/vmm/seccomp),
 * loaded the way moat-vmm loads them, on a thread of a child process: what
 * a thread needs passes; anything else kills the whole process with SIGSYS.
 */
#include "../harness/test.h"
#include "../../src/vmm/seccomp/filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct job {
	enum filter_kind kind;
	int what;
};

enum { ALLOWED, FORBID_SOCKET, FORBID_OPEN, FORBID_EXEC_MMAP, FORBID_IOCTL };

static void *job_thread(void *arg)
{
	struct job *j = arg;
	struct moat_err *e = NULL;
	char b[16];
	void *p;

	if (filter_load(j->kind, &e) < 0)
		_exit(100);
	switch (j->what) {
	case ALLOWED:
		/* what every thread does: memory, I/O on held fds, KVM_IRQ_LINE
		 * (on no fd: EBADF, not death) */
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(101);
		munmap(p, 4096);
		free(malloc(1 << 20));
		if (write(1, "", 0) < 0)
			_exit(102);
		if (ioctl(-1, KVM_IRQ_LINE, b) == 0 || errno != EBADF)
			_exit(103);
		if (j->kind == FILTER_VCPU &&
		    (getrandom(b, sizeof(b), 0) != sizeof(b) ||
		     ioctl(-1, KVM_RUN, 0) == 0))
			_exit(104);
		return NULL;
	case FORBID_SOCKET:
		socket(AF_INET, SOCK_STREAM, 0);
		break;
	case FORBID_OPEN:
		open("/etc/hostname", O_RDONLY);
		break;
	case FORBID_EXEC_MMAP:
		mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case FORBID_IOCTL:
		ioctl(-1, KVM_CREATE_VM, 0);
		break;
	}
	_exit(105); /* the forbidden call returned: the filter let it by */
}

/* Run job in a thread of a child; returns the child's wait status. */
static int run_job(enum filter_kind kind, int what)
{
	struct job j = { kind, what };
	int status;
	pid_t pid = fork();

	ASSERT_OK(pid);
	if (pid == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, job_thread, &j) != 0)
			_exit(106);
		pthread_join(t, NULL);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_killed(int status)
{
	if (!WIFSIGNALED(status))
		FAIL("not killed: exit status %d", WEXITSTATUS(status));
	ASSERT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(vcpu_filter_allows_what_a_vcpu_does)
{
	int st = run_job(FILTER_VCPU, ALLOWED);

	ASSERT(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}

TEST(main_filter_allows_what_the_main_thread_does)
{
	int st = run_job(FILTER_MAIN, ALLOWED);

	ASSERT(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}

TEST(forbidden_syscall_on_a_vcpu_thread_kills_the_process)
{
	expect_killed(run_job(FILTER_VCPU, FORBID_SOCKET));
	expect_killed(run_job(FILTER_VCPU, FORBID_OPEN));
	expect_killed(run_job(FILTER_VCPU, FORBID_EXEC_MMAP));
	expect_killed(run_job(FILTER_VCPU, FORBID_IOCTL));
}

TEST(forbidden_syscall_on_the_main_thread_kills_the_process)
{
	expect_killed(run_job(FILTER_MAIN, FORBID_SOCKET));
	expect_killed(run_job(FILTER_MAIN, FORBID_OPEN));
	expect_killed(run_job(FILTER_MAIN, FORBID_EXEC_MMAP));
	expect_killed(run_job(FILTER_MAIN, FORBID_IOCTL));
}
