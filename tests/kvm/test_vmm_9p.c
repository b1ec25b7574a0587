/*
 * test_vmm_9p.c: level 4, inside the nested-KVM test host: moat-vmm's
 * virtio-9p shares under a real guest. One boot serves both tests' checks
 * where it can (boots are slow under the test host's emulated KVM):
 *
 *  - a read-write share "b" holds a busybox container's root filesystem
 *    (the agent mounts it by tag, trans=virtio); a workload in the
 *    container writes, copies, mkdirs, renames, unlinks, symlinks and
 *    hard-links files, and the host checks the bytes and names it sees;
 *  - a read-only share "ro", mounted over 9p by the container itself
 *    (given CAP_SYS_ADMIN for that: the agent runs one container per VM):
 *    writes are refused, reads work, nothing changes on the host;
 *  - an escape suite in the container: ".." walks, absolute and relative
 *    symlinks that point out of the share (planted by the host, as a
 *    hostile image would), a hard link and renames across the share's
 *    edge, device nodes. A marker file beside the share on the host is
 *    never read (its atime, set older than its mtime, would move under
 *    relatime) nor changed, and nothing appears beside the share;
 *  - every thread of moat-vmm, the two 9p threads included, runs under a
 *    seccomp filter, and the VM ends with status 0.
 */
#include "../harness/agentc.h"
#include "../harness/ociconf.h"
#include "../harness/rootfs.h"
#include "../harness/test.h"
#include "../harness/vmmtest.h"
#include "../harness/vmrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARKER_TEXT "host secret beside the share\n"

struct vm9p {
	char rw[256], ro[256]; /* rootfs_make directories */
	char sock[96], log[96], ctl[96];
	pid_t pid;
	struct agentc c;
	struct stat marker; /* before the guest ran */
};

static void write_file(const char *path, const void *p, size_t n, mode_t m)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, m);

	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* The whole file (NUL-terminated; *n its length), read without moving its
 * atime. Caller frees. */
static char *read_file(const char *path, size_t *n)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);

	if (fd < 0)
		return NULL;
	ASSERT_OK(fstat(fd, &st));
	buf = malloc((size_t)st.st_size + 1);
	ASSERT(buf);
	*n = 0;
	while (*n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + *n, (size_t)st.st_size - *n);

		ASSERT(r > 0);
		*n += (size_t)r;
	}
	buf[*n] = '\0';
	close(fd);
	return buf;
}

static void pathf(char *buf, size_t cap, const char *dir, const char *rel)
{
	ASSERT((size_t)snprintf(buf, cap, "%s/%s", dir, rel) < cap);
}

/* Plant, in the rw share, what a hostile image could carry, and the
 * marker beside the share. */
static void plant(struct vm9p *v)
{
	char p[512], target[512];
	struct timespec ts[2];
	uint8_t rnd[3 << 20];
	size_t i;
	uint32_t x = 12345;

	pathf(p, sizeof(p), v->rw, "marker");
	write_file(p, MARKER_TEXT, strlen(MARKER_TEXT), 0644);
	/* atime older than mtime: any read would move it (relatime). */
	ASSERT_OK(stat(p, &v->marker));
	ts[0] = v->marker.st_mtim;
	ts[0].tv_sec -= 1000;
	ts[1].tv_nsec = UTIME_OMIT;
	ASSERT_OK(utimensat(AT_FDCWD, p, ts, 0));
	ASSERT_OK(stat(p, &v->marker));
	/* Symlinks out: relative through the share's root, absolute to the
	 * host path, and to the directory beside the share. */
	pathf(p, sizeof(p), v->rw, "b/rootfs/esc_rel");
	ASSERT_OK(symlink("../../marker", p));
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/esc_rel2");
	ASSERT_OK(symlink("../../../../../../marker", p));
	pathf(target, sizeof(target), v->rw, "marker");
	pathf(p, sizeof(p), v->rw, "b/rootfs/esc_abs");
	ASSERT_OK(symlink(target, p));
	pathf(p, sizeof(p), v->rw, "b/rootfs/esc_dir");
	ASSERT_OK(symlink(v->rw, p));
	/* 3 MiB of pseudo-random bytes for the guest to copy. */
	for (i = 0; i < sizeof(rnd); i++) {
		x = x * 1103515245u + 12345u;
		rnd[i] = (uint8_t)(x >> 16);
	}
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/rnd");
	write_file(p, rnd, sizeof(rnd), 0644);
}

static pid_t spawn_vmm(struct vm9p *v)
{
	struct vmmtest_cmd c;
	char rw[300], ro[300];

	snprintf(rw, sizeof(rw), "b=%s/b", v->rw);
	snprintf(ro, sizeof(ro), "ro=%s/b,ro", v->ro);
	vmmtest_cmd_init(&c);
	vmmtest_cmd_add(&c, "--memory", "256");
	vmmtest_cmd_consoles(&c, v->log, v->sock);
	vmmtest_cmd_add(&c, "--share", rw);
	vmmtest_cmd_add(&c, "--share", ro);
	vmmtest_cmd_add(&c, "--control", v->ctl);
	vmmtest_cmd_add(&c, "--cmdline", "quiet moat.channel=/dev/hvc0");
	return vmmtest_cmd_spawn(&c, -1);
}

static void vm_up(struct vm9p *v)
{
	char dir[] = "/tmp/moat-9p.XXXXXX";

	if (geteuid() != 0)
		test_skip("needs root");
	rootfs_make(v->rw, sizeof(v->rw));
	rootfs_make(v->ro, sizeof(v->ro));
	plant(v);
	ASSERT(mkdtemp(dir));
	snprintf(v->sock, sizeof(v->sock), "%s/agent.sock", dir);
	snprintf(v->log, sizeof(v->log), "%s/console.log", dir);
	snprintf(v->ctl, sizeof(v->ctl), "%s/ctl.sock", dir);
	v->pid = spawn_vmm(v);
	agentc_attach(&v->c, vmmtest_connect(v->sock, v->pid, v->log), v->pid);
	agentc_handshake(&v->c);
}

/* Create and start container id on share tag, running sleep, with
 * CAP_SYS_ADMIN besides the default capabilities (to mount a share). */
static void ct_up(struct vm9p *v, const char *id, const char *tag)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static const char *const sets[] = { "bounding", "effective",
					    "permitted" };
	json_t *j = ociconf_base(args), *caps;
	char *cfg, path[64];
	size_t i;
	int r;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		snprintf(path, sizeof(path), "process.capabilities.%s",
			 sets[i]);
		caps = json_deep_copy(json_object_get(
			json_object_get(json_object_get(j, "process"),
					"capabilities"),
			sets[i]));
		ASSERT(caps);
		json_array_append_new(caps, json_string("CAP_SYS_ADMIN"));
		ociconf_set(j, path, caps);
	}
	cfg = ociconf_dump(j);

	r = agentc_create(&v->c, id, tag, cfg, NULL, 0, 0, 0, 0, 0, NULL, NULL);
	free(cfg);
	if (r) {
		vmmtest_show_log(v->log);
		FAIL("create %s on share %s: %d %s", id, tag, r, v->c.error);
	}
	ASSERT_EQ(agentc_simple(&v->c, MSG_OP_START), 0);
}

static const char *ct_ok(struct vm9p *v, const char *script)
{
	int code;
	const char *out = agentc_sh(&v->c, script, &code);

	if (code != 0)
		FAIL("'%s' exited %d: %s", script, code, out);
	return out;
}

/* The marker beside the share was neither read nor changed, and the
 * directory beside the share holds only what we put there. */
static void marker_untouched(struct vm9p *v, const char *when)
{
	char p[512];
	struct stat st;
	size_t n;
	char *text;
	struct dirent *de;
	DIR *d;

	pathf(p, sizeof(p), v->rw, "marker");
	ASSERT_OK(stat(p, &st));
	test_diag("marker checked %s", when);
	ASSERT_EQ(st.st_atim.tv_sec, v->marker.st_atim.tv_sec);
	ASSERT_EQ(st.st_atim.tv_nsec, v->marker.st_atim.tv_nsec);
	ASSERT_EQ(st.st_mtim.tv_sec, v->marker.st_mtim.tv_sec);
	ASSERT_EQ(st.st_ctim.tv_nsec, v->marker.st_ctim.tv_nsec);
	ASSERT_EQ(st.st_nlink, 1);
	text = read_file(p, &n);
	ASSERT(text);
	ASSERT_STREQ(text, MARKER_TEXT);
	free(text);
	d = opendir(v->rw);
	ASSERT(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "b") && strcmp(de->d_name, "marker"))
			FAIL("%s appeared beside the share", de->d_name);
	closedir(d);
}

static void rw_workload(struct vm9p *v)
{
	char p[512], q[512];
	const char *out;
	struct stat st;
	size_t n, m;
	char *a, *b;

	/* Write a file; the host sees its bytes. */
	ct_ok(v, "echo hello over virtio-9p > /data/out.txt");
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/out.txt");
	a = read_file(p, &n);
	ASSERT(a);
	ASSERT_STREQ(a, "hello over virtio-9p\n");
	free(a);
	/* Large reads and writes (several msize-sized requests): a copy of
	 * 3 MiB made in the guest is byte for byte the host's file. */
	{
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		ct_ok(v, "cat /data/rnd > /data/rnd2 && busybox sync");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		test_diag("3 MiB copied over 9p in the guest in %.2f s "
			  "(exec included)",
			  (double)(t1.tv_sec - t0.tv_sec) +
				  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/rnd");
	pathf(q, sizeof(q), v->rw, "b/rootfs/data/rnd2");
	a = read_file(p, &n);
	b = read_file(q, &m);
	ASSERT(a && b);
	ASSERT_EQ(n, (size_t)3 << 20);
	ASSERT_EQ(m, n);
	ASSERT(memcmp(a, b, n) == 0);
	free(a);
	free(b);
	/* And a file the host wrote, read in the guest, has its length. */
	out = ct_ok(v, "wc -c < /data/rnd");
	ASSERT_EQ(atol(out), 3L << 20);
	/* mkdir, rename, symlink, hard link, unlink, ls -l. */
	ct_ok(v, "mkdir /data/d && busybox mv /data/out.txt /data/d/moved && "
		 "busybox ln -s moved /data/d/sym && "
		 "busybox ln /data/d/moved /data/d/hard && "
		 "touch /data/d/gone && rm /data/d/gone && "
		 "busybox mv /data/d /data/d2");
	out = ct_ok(v, "ls -l /data/d2");
	if (!strstr(out, "sym -> moved") || strstr(out, "gone"))
		FAIL("ls -l /data/d2: %s", out);
	out = ct_ok(v, "cat /data/d2/sym; stat -c %h /data/d2/hard");
	ASSERT_STREQ(out, "hello over virtio-9p\n2\n");
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/d2/moved");
	ASSERT_OK(stat(p, &st));
	ASSERT_EQ(st.st_nlink, 2);
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/d2/sym");
	n = (size_t)readlink(p, q, sizeof(q) - 1);
	ASSERT_EQ(n, 5);
	q[n] = '\0';
	ASSERT_STREQ(q, "moved");
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/d2/gone");
	ASSERT(lstat(p, &st) < 0 && errno == ENOENT);
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/out.txt");
	ASSERT(lstat(p, &st) < 0 && errno == ENOENT);
	/* A fifo is fine; a device node is not made. */
	ct_ok(v, "mknod /data/fifo p");
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/fifo");
	ASSERT_OK(lstat(p, &st));
	ASSERT(S_ISFIFO(st.st_mode));
}

/* The 9p counters of moat-vmm's status line: requests, copied replies,
 * scattered reads. */
static void p9_counters(struct vm9p *v, unsigned long long n[3])
{
	static const char *const names[] = { "p9_req", "p9_copy", "p9_sg" };

	vmmtest_counters(v->ctl, v->pid, v->log, names, n, 3);
}

static void escape_suite(struct vm9p *v)
{
	static const char *const reads[] = {
		"cat /esc_rel",
		"cat /data/esc_rel2",
		"cat /esc_abs",
		"cat /esc_dir/marker",
		"ls /esc_dir/",
		"cat /../../marker",
		"cat /../../../../../../marker",
		"cd /data/../../.. && cat marker",
		"cat /data/../../marker",
		"cat /esc_dir/../marker",
	};
	char p[512];
	const char *out;
	struct stat st;
	size_t i;
	int code;

	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		out = agentc_sh(&v->c, reads[i], &code);
		if (strstr(out, "host secret"))
			FAIL("'%s' read the marker: %s", reads[i], out);
		test_diag("%s: exit %d, %.*s", reads[i], code,
			  (int)strcspn(out, "\n"), out);
	}
	/* Writes through the same symlinks land in the container's view,
	 * never on the host's marker. */
	agentc_sh(&v->c, "echo pwned > /esc_abs", &code);
	agentc_sh(&v->c, "echo pwned > /esc_rel", &code);
	agentc_sh(&v->c, "echo pwned > /esc_dir/marker", &code);
	agentc_sh(&v->c, "echo pwned > /../marker", &code);
	/* A hard link and renames across the share's edge (the container's
	 * /proc and /dev are other filesystems): refused. */
	out = agentc_sh(&v->c, "busybox ln /data/rnd /dev/rnd", &code);
	ASSERT(code != 0);
	out = agentc_sh(&v->c, "busybox ln /proc/version /data/v", &code);
	ASSERT(code != 0);
	agentc_sh(&v->c, "busybox mv /dev/null /data/null_from_dev", &code);
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/null_from_dev");
	if (lstat(p, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		FAIL("a device node reached the share");
	/* Device nodes: not made, whatever the container may do. */
	out = agentc_sh(&v->c, "mknod /data/nulldev c 1 3", &code);
	ASSERT(code != 0);
	out = agentc_sh(&v->c, "mknod /data/sda b 8 0", &code);
	ASSERT(code != 0);
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/nulldev");
	ASSERT(lstat(p, &st) < 0);
	pathf(p, sizeof(p), v->rw, "b/rootfs/data/sda");
	ASSERT(lstat(p, &st) < 0);
	(void)out;
	marker_untouched(v, "after the escape suite");
}

static void ro_share(struct vm9p *v)
{
	char p[512];
	const char *out;
	struct stat st;
	int code;

	/* Mounted read-write: the device itself refuses writes. */
	ct_ok(v, "mkdir /tmp/ro && mount -t 9p -o "
		 "trans=virtio,version=9p2000.L,cache=none,access=client "
		 "ro /tmp/ro");
	out = ct_ok(v, "cat /tmp/ro/rootfs/data/hello");
	ASSERT(strlen(out) > 0);
	out = agentc_sh(&v->c, "echo x > /tmp/ro/rootfs/data/new", &code);
	ASSERT(code != 0);
	if (!strstr(out, "Read-only"))
		FAIL("a write to the read-only share: %s", out);
	agentc_sh(&v->c, "mkdir /tmp/ro/rootfs/data/newdir", &code);
	ASSERT(code != 0);
	agentc_sh(&v->c, "rm /tmp/ro/rootfs/data/hello", &code);
	ASSERT(code != 0);
	pathf(p, sizeof(p), v->ro, "b/rootfs/data/new");
	ASSERT(lstat(p, &st) < 0 && errno == ENOENT);
	pathf(p, sizeof(p), v->ro, "b/rootfs/data/newdir");
	ASSERT(lstat(p, &st) < 0 && errno == ENOENT);
	pathf(p, sizeof(p), v->ro, "b/rootfs/data/hello");
	ASSERT_OK(lstat(p, &st));
}

TEST_TIMEOUT(vmm_9p_rootfs_workload_escapes_and_ro_share, 600)
{
	struct vm9p v;
	int status;

	memset(&v, 0, sizeof(v));
	vm_up(&v);
	/* main, one vCPU, one thread per share */
	ASSERT_EQ(vmmtest_threads_filtered(v.pid), 4);
	ct_up(&v, "ct", ROOTFS_TAG);
	rw_workload(&v);
	{
		unsigned long long n[3];

		p9_counters(&v, n);
		test_diag("9p requests %llu, replies copied %llu, reads "
			  "straight into scattered buffers %llu",
			  n[0], n[1], n[2]);
		ASSERT(n[0] > 100);
		/* Linux's zero-copy reads went straight into its pages, and
		 * its other requests, one buffer each, were answered in
		 * place: few replies are copied. */
		ASSERT(n[2] > 0);
		ASSERT(n[1] < n[0] / 4);
	}
	escape_suite(&v);
	ro_share(&v);
	marker_untouched(&v, "at the end");
	status = agentc_stop(&v.c);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		vmmtest_show_log(v.log);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
}
