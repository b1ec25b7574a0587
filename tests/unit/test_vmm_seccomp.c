/*
 * test_vmm_seccomp.c: moat-vmm's seccomp allowlists (src/vmm/seccomp),
 * loaded the way moat-vmm loads them, on a thread of a child process: what
 * a thread needs passes; anything else kills the whole process with SIGSYS.
 * The 9p thread's filter is checked by running the real 9p server under it
 * through every kind of request it serves.
 */
#include "../harness/test.h"
#include "../../src/vmm/seccomp/filter.h"
#include "../../src/vmm/devices/virtio/rng.h"
#include "../../src/vmm/devices/virtio/9p/p9codec.h"
#include "../../src/vmm/devices/virtio/9p/p9server.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct job {
	enum filter_kind kind;
	int what;
};

enum {
	ALLOWED,
	FORBID_SOCKET,
	FORBID_OPEN,
	FORBID_EXEC_MMAP,
	FORBID_IOCTL,
	FORBID_GETRANDOM, /* loaded without virtio-rng's rules */
};

static void *job_thread(void *arg)
{
	struct job *j = arg;
	/* As moat-vmm loads them for a VM with a virtio-rng device. */
	static const struct filter_rules *const rng[] = { &rng_filter_rules };
	struct moat_err *e = NULL;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	char b[16];
	void *p;

	if (filter_load_with(j->kind, rng, j->what == FORBID_GETRANDOM ? 0 : 1,
			     &e) < 0)
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
		if (j->kind == FILTER_NET && epoll_wait(-1, NULL, 0, 0) == 0)
			_exit(107); /* EBADF is fine: the call is allowed */
		if (j->kind != FILTER_P9 && j->kind != FILTER_NET &&
		    (ioctl(-1, KVM_IRQ_LINE, b) == 0 || errno != EBADF))
			_exit(103);
		if (j->kind == FILTER_VCPU &&
		    (getrandom(b, sizeof(b), 0) != sizeof(b) ||
		     ioctl(-1, KVM_RUN, 0) == 0))
			_exit(104);
		/* a triple fault's report reads the vCPU's registers */
		if (j->kind == FILTER_VCPU &&
		    (ioctl(-1, KVM_GET_REGS, &regs) == 0 || errno != EBADF ||
		     ioctl(-1, KVM_GET_SREGS, &sregs) == 0 || errno != EBADF))
			_exit(109);
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
	case FORBID_GETRANDOM:
		if (getrandom(b, sizeof(b), 0) < 0)
			_exit(108);
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

TEST(devices_rules_are_all_that_add_their_syscalls)
{
	/* getrandom is virtio-rng's: without the device, no thread has it. */
	expect_killed(run_job(FILTER_VCPU, FORBID_GETRANDOM));
	expect_killed(run_job(FILTER_MAIN, FORBID_GETRANDOM));
}

TEST(forbidden_syscall_on_the_main_thread_kills_the_process)
{
	expect_killed(run_job(FILTER_MAIN, FORBID_SOCKET));
	expect_killed(run_job(FILTER_MAIN, FORBID_OPEN));
	expect_killed(run_job(FILTER_MAIN, FORBID_EXEC_MMAP));
	expect_killed(run_job(FILTER_MAIN, FORBID_IOCTL));
}

TEST(p9_filter_allows_what_a_9p_thread_does)
{
	int st = run_job(FILTER_P9, ALLOWED);

	ASSERT(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}

TEST(forbidden_syscall_on_a_9p_thread_kills_the_process)
{
	/* open and openat by path: only openat2 is there */
	expect_killed(run_job(FILTER_P9, FORBID_OPEN));
	expect_killed(run_job(FILTER_P9, FORBID_SOCKET));
	expect_killed(run_job(FILTER_P9, FORBID_EXEC_MMAP));
	expect_killed(run_job(FILTER_P9, FORBID_IOCTL));
}

TEST(net_filter_allows_what_a_net_thread_does)
{
	int st = run_job(FILTER_NET, ALLOWED);

	ASSERT(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}

TEST(forbidden_syscall_on_a_net_thread_kills_the_process)
{
	/* No sockets, no opens, no ioctls at all (the tap is set up before
	 * the filter), nothing executable. */
	expect_killed(run_job(FILTER_NET, FORBID_OPEN));
	expect_killed(run_job(FILTER_NET, FORBID_SOCKET));
	expect_killed(run_job(FILTER_NET, FORBID_EXEC_MMAP));
	expect_killed(run_job(FILTER_NET, FORBID_IOCTL));
}

/* --- the 9p server, for real, under FILTER_P9 ------------------------------
 */

static struct p9server *p9s;
static uint8_t p9req[8192], p9resp[70000];
static int p9fail; /* first step that did not get its R-message, or 0 */
static uint32_t p9uid, p9gid; /* ours, read before the filter */

/* Send m; returns the reply's type. Records the first request (by its
 * step number) whose reply is not the matching R-message, unless ok_err. */
static uint8_t p9_step(int step, struct p9_tmsg *m, int ok_err)
{
	int n = p9_encode_t(m, p9req, sizeof(p9req));
	int r;

	if (n < 0)
		_exit(110);
	r = p9_handle(p9s, p9req, (size_t)n, p9resp, sizeof(p9resp));
	if (r < P9_HDR_SIZE)
		_exit(111);
	if (p9resp[4] != m->type + 1 && !ok_err && !p9fail)
		p9fail = step;
	return p9resp[4];
}

#define S(x) ((struct p9_str){ (x), (uint16_t)(sizeof(x) - 1) })

static void p9_walk(int step, uint32_t fid, uint32_t newfid, struct p9_str n)
{
	struct p9_tmsg m = { .type = P9_TWALK };

	m.u.walk.fid = fid;
	m.u.walk.newfid = newfid;
	m.u.walk.nwname = n.len ? 1 : 0;
	m.u.walk.wname[0] = n;
	p9_step(step, &m, 0);
}

static void p9_clunk(int step, uint32_t fid)
{
	struct p9_tmsg m = { .type = P9_TCLUNK };

	m.u.fid.fid = fid;
	p9_step(step, &m, 0);
}

/* Every request kind the server answers with syscalls, on a tree in
 * /tmp. Exits 0, or 120 + the first step that failed. */
static void *p9_job(void *arg)
{
	struct moat_err *e = NULL;
	struct p9_tmsg m;
	static const uint8_t data[] = "hello";

	(void)arg;
	if (filter_load(FILTER_P9, &e) < 0)
		_exit(100);
	memset(&m, 0, sizeof(m));
	m.type = P9_TVERSION;
	m.tag = P9_NOTAG;
	m.u.version.msize = 65536;
	m.u.version.version = S("9P2000.L");
	p9_step(1, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TATTACH;
	m.u.attach.afid = P9_NOFID;
	m.u.attach.uname = S("u");
	p9_step(2, &m, 0);
	/* a file: create, write, read, fsync, setattr, getattr, locks */
	p9_walk(3, 0, 1, S(""));
	memset(&m, 0, sizeof(m));
	m.type = P9_TLCREATE;
	m.u.lcreate.fid = 1;
	m.u.lcreate.name = S("f");
	m.u.lcreate.flags = P9_DOTL_RDWR | P9_DOTL_CREATE;
	m.u.lcreate.mode = 0644;
	m.u.lcreate.gid = p9gid;
	p9_step(4, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TWRITE;
	m.u.write.fid = 1;
	m.u.write.count = 5;
	m.u.write.data = data;
	p9_step(5, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TREAD;
	m.u.read.fid = 1;
	m.u.read.count = 100;
	p9_step(6, &m, 0);
	{ /* the same read scattered: preadv */
		uint8_t hdr[16], a[2], b[2];
		struct iovec iov[2] = { { a, 2 }, { b, 2 } };
		struct p9_req r = { .m = m, .out = p9resp };

		r.out_cap = sizeof(p9resp);
		r.hdr = hdr;
		r.hdr_cap = sizeof(hdr);
		r.rdata = iov;
		r.nrdata = 2;
		if (p9_serve(p9s, &r) != 11 + 5 || !r.direct ||
		    memcmp(hdr + 11, "hello", 5))
			_exit(119);
	}
	{ /* a write from scattered buffers: pwritev */
		struct iovec iov[2] = { { (void *)"ab", 2 },
					{ (void *)"cd", 2 } };
		struct p9_tmsg w = { .type = P9_TWRITE };
		struct p9_req r;
		uint8_t resp[16];

		w.u.write.fid = 1;
		w.u.write.offset = 5;
		w.u.write.count = 4;
		w.u.write.data = (const uint8_t *)"abcd";
		if (p9_encode_t(&w, p9req, sizeof(p9req)) !=
		    P9_TWRITE_HDR_SIZE + 4)
			_exit(119);
		memset(&r, 0, sizeof(r));
		r.decoded = p9_decode_twrite_hdr(p9req, P9_TWRITE_HDR_SIZE,
						 P9_TWRITE_HDR_SIZE + 4,
						 p9server_msize(p9s), &r.m);
		r.wdata = iov;
		r.nwdata = 2;
		r.out = resp;
		r.out_cap = sizeof(resp);
		if (p9_serve(p9s, &r) != 11 || !r.sg || resp[4] != P9_RWRITE ||
		    resp[7] != 4)
			_exit(119);
	}
	memset(&m, 0, sizeof(m));
	m.type = P9_TFSYNC;
	m.u.fsync.fid = 1;
	p9_step(7, &m, 0);
	m.u.fsync.datasync = 1;
	p9_step(8, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TSETATTR;
	m.u.setattr.fid = 1;
	m.u.setattr.valid = P9_SETATTR_MODE | P9_SETATTR_UID | P9_SETATTR_GID |
			    P9_SETATTR_SIZE | P9_SETATTR_ATIME |
			    P9_SETATTR_MTIME | P9_SETATTR_ATIME_SET |
			    P9_SETATTR_MTIME_SET;
	m.u.setattr.mode = 0600;
	m.u.setattr.uid = p9uid;
	m.u.setattr.gid = p9gid;
	m.u.setattr.size = 3;
	m.u.setattr.atime_sec = m.u.setattr.mtime_sec = 1000000;
	p9_step(9, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TGETATTR;
	m.u.getattr.fid = 1;
	m.u.getattr.mask = P9_GETATTR_BASIC;
	p9_step(10, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TLOCK;
	m.u.lock.fid = 1;
	m.u.lock.type = P9_LOCK_TYPE_WRLCK;
	m.u.lock.length = 10;
	m.u.lock.client_id = S("c");
	p9_step(11, &m, 0);
	m.type = P9_TGETLOCK;
	p9_step(12, &m, 0);
	/* xattrs: list, then set one (the filesystem may not take user.*) */
	memset(&m, 0, sizeof(m));
	m.type = P9_TXATTRWALK;
	m.u.xattrwalk.fid = 1;
	m.u.xattrwalk.newfid = 2;
	p9_step(13, &m, 0);
	p9_clunk(14, 2);
	p9_walk(15, 0, 3, S("f"));
	memset(&m, 0, sizeof(m));
	m.type = P9_TXATTRCREATE;
	m.u.xattrcreate.fid = 3;
	m.u.xattrcreate.name = S("user.moat");
	m.u.xattrcreate.size = 5;
	p9_step(16, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TWRITE;
	m.u.write.fid = 3;
	m.u.write.count = 5;
	m.u.write.data = data;
	p9_step(17, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TCLUNK;
	m.u.fid.fid = 3;
	p9_step(18, &m, 1); /* fsetxattr: EOPNOTSUPP on some filesystems */
	/* the tree: mkdir, symlink, readlink, link, renameat, rename,
	 * mknod (a fifo), statfs, readdir, unlinkat, remove */
	memset(&m, 0, sizeof(m));
	m.type = P9_TMKDIR;
	m.u.mkdir.name = S("d");
	m.u.mkdir.mode = 0755;
	m.u.mkdir.gid = p9gid;
	p9_step(19, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TSYMLINK;
	m.u.symlink.name = S("s");
	m.u.symlink.target = S("f");
	m.u.symlink.gid = p9gid;
	p9_step(20, &m, 0);
	p9_walk(21, 0, 4, S("s"));
	memset(&m, 0, sizeof(m));
	m.type = P9_TREADLINK;
	m.u.fid.fid = 4;
	p9_step(22, &m, 0);
	p9_walk(23, 0, 5, S("f"));
	memset(&m, 0, sizeof(m));
	m.type = P9_TLINK;
	m.u.link.fid = 5;
	m.u.link.name = S("h");
	p9_step(24, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TRENAMEAT;
	m.u.renameat.oldname = S("h");
	m.u.renameat.newname = S("h2");
	p9_step(25, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TRENAME;
	m.u.rename.fid = 5;
	m.u.rename.name = S("f2");
	p9_step(26, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TMKNOD;
	m.u.mknod.name = S("p");
	m.u.mknod.mode = S_IFIFO | 0644;
	m.u.mknod.gid = p9gid;
	p9_step(27, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TSTATFS;
	p9_step(28, &m, 0);
	p9_walk(29, 0, 6, S(""));
	memset(&m, 0, sizeof(m));
	m.type = P9_TLOPEN;
	m.u.lopen.fid = 6;
	m.u.lopen.flags = P9_DOTL_RDONLY | P9_DOTL_DIRECTORY;
	p9_step(30, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TREADDIR;
	m.u.read.fid = 6;
	m.u.read.count = 4096;
	p9_step(31, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TUNLINKAT;
	m.u.unlinkat.name = S("d");
	m.u.unlinkat.flags = P9_AT_REMOVEDIR;
	p9_step(32, &m, 0);
	m.u.unlinkat.name = S("h2");
	m.u.unlinkat.flags = 0;
	p9_step(33, &m, 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TREMOVE;
	m.u.fid.fid = 4;
	p9_step(34, &m, 0);
	/* a path fid (not opened): setattr reopens it (chmod, truncate) */
	p9_walk(35, 0, 7, S("f2"));
	memset(&m, 0, sizeof(m));
	m.type = P9_TSETATTR;
	m.u.setattr.fid = 7;
	m.u.setattr.valid = P9_SETATTR_MODE | P9_SETATTR_SIZE;
	m.u.setattr.mode = 0644;
	p9_step(36, &m, 0);
	p9_clunk(37, 7);
	p9_clunk(38, 6);
	p9_clunk(39, 1);
	if (p9fail)
		_exit(120 + p9fail);
	_exit(0);
}

TEST(p9_filter_lets_the_9p_server_serve_every_request_kind)
{
	char dir[] = "/tmp/moat-p9seccomp.XXXXXX", cmd[64];
	struct p9server_config cfg = { .tag = "t" };
	struct moat_err *e = NULL;
	int status;
	pid_t pid;

	ASSERT(mkdtemp(dir));
	cfg.path = dir;
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		pthread_t t;

		p9uid = (uint32_t)getuid();
		p9gid = (uint32_t)getgid();
		/* opened before the filter, as moat-vmm does */
		p9s = p9server_new(&cfg, &e);
		if (!p9s)
			_exit(106);
		if (pthread_create(&t, NULL, p9_job, NULL) != 0)
			_exit(107);
		pthread_join(t, NULL);
		_exit(108);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		test_diag("could not remove %s", dir);
	if (WIFSIGNALED(status))
		FAIL("killed by signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status) > 120)
		FAIL("step %d got an Rlerror", WEXITSTATUS(status) - 120);
	ASSERT_EQ(WEXITSTATUS(status), 0);
}
