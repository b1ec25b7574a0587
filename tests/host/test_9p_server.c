/*
 * test_9p_server.c: level 2 (root). The 9P2000.L server run against a
 * temporary directory, fed real T-messages built with the codec's
 * encoder; every result is checked on the host filesystem directly.
 * Then the escape suite: '..' walks, absolute and relative symlinks out of
 * the share, a directory swapped for a symlink under a walk, hard links
 * and renames across the share's edge, device nodes, mount points inside
 * the share, and a read-only share. An outside canary file and directory
 * are watched with inotify: any open, read, write or change there fails
 * the test.
 */
#include "../harness/test.h"
#include "../../src/vmm/devices/virtio/9p/p9codec.h"
#include "../../src/vmm/devices/virtio/9p/p9server.h"

#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define S(x) ((struct p9_str){ (x), (uint16_t)strlen(x) })
#define BUFSZ (1024 * 1024)
#define CANARY "CANARY: host secret outside the share\n"

static char tmp[64], share[96], outside[96], canary[96];
static bool with_submounts; /* the next setup()'s share crosses mounts */
static uint8_t req[BUFSZ], resp[BUFSZ];
static struct p9server *srv;
static int ino_fd = -1;
static uint16_t next_tag = 1;

static void path_at(char *dst, size_t cap, const char *rel)
{
	snprintf(dst, cap, "%s/%s", share, rel);
}

static void write_host(const char *rel, const char *data)
{
	char p[256];
	int fd;

	path_at(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, data, strlen(data)), (long)strlen(data));
	close(fd);
}

static int read_host(const char *rel, char *buf, size_t cap)
{
	char p[256];
	int fd, n;

	path_at(p, sizeof(p), rel);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, cap - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static int stat_host(const char *rel, struct stat *st)
{
	char p[256];

	path_at(p, sizeof(p), rel);
	return lstat(p, st);
}

/* Make the temporary tree, the canary and its watch, and a server. */
static void setup(bool readonly, unsigned max_fids)
{
	struct p9server_config cfg = { 0 };
	struct moat_err *e = NULL;
	int fd;

	snprintf(tmp, sizeof(tmp), "/tmp/moat-9p.XXXXXX");
	ASSERT(mkdtemp(tmp));
	snprintf(share, sizeof(share), "%s/share", tmp);
	snprintf(outside, sizeof(outside), "%s/outdir", tmp);
	snprintf(canary, sizeof(canary), "%s/canary", tmp);
	ASSERT_OK(mkdir(share, 0755));
	ASSERT_OK(mkdir(outside, 0755));
	fd = open(canary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, CANARY, strlen(CANARY)), (long)strlen(CANARY));
	close(fd);
	{
		char p[160];

		snprintf(p, sizeof(p), "%s/file", outside);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ASSERT_OK(fd);
		ASSERT_EQ(write(fd, CANARY, strlen(CANARY)),
			  (long)strlen(CANARY));
		close(fd);
	}
	/* Watch both only now: any event from here on is the server's. */
	ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ASSERT_OK(ino_fd);
	ASSERT_OK(inotify_add_watch(ino_fd, canary, IN_ALL_EVENTS));
	ASSERT_OK(inotify_add_watch(ino_fd, outside, IN_ALL_EVENTS));
	cfg.path = share;
	cfg.tag = "share0";
	cfg.readonly = readonly;
	cfg.submounts = with_submounts;
	cfg.max_fids = max_fids;
	srv = p9server_new(&cfg, &e);
	if (!srv)
		FAIL("p9server_new: %s", e ? e->msg : "?");
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* End of a passing test: the server freed, the tree removed (a failing
 * test leaves it for a look). */
static void teardown(void)
{
	p9server_free(srv);
	srv = NULL;
	ASSERT_OK(nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT));
}

/* Nothing outside the share was opened, read, written or changed. */
static void outside_quiet(void)
{
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n = read(ino_fd, buf, sizeof(buf));

	if (n > 0) {
		struct inotify_event *ev = (struct inotify_event *)buf;

		FAIL("outside the share: inotify event mask 0x%x on %s",
		     ev->mask, ev->len ? ev->name : "a watched file itself");
	}
}

static void canary_untouched(void)
{
	char buf[4096] __attribute__((aligned(8)));
	char c[128];
	struct stat st;
	ssize_t n;
	int fd;

	outside_quiet();
	ASSERT_OK(lstat(canary, &st));
	ASSERT_EQ(st.st_nlink, 1);
	ASSERT_EQ(st.st_mode, S_IFREG | 0644);
	fd = open(canary, O_RDONLY);
	ASSERT_OK(fd);
	n = read(fd, c, sizeof(c));
	close(fd);
	ASSERT_EQ(n, (long)strlen(CANARY));
	ASSERT(!memcmp(c, CANARY, (size_t)n));
	/* re-arm: that read was ours */
	while (read(ino_fd, buf, sizeof(buf)) > 0)
		;
	teardown();
}

static uint16_t tag_next(void)
{
	uint16_t t = next_tag++;

	if (next_tag == P9_NOTAG)
		next_tag = 1;
	return t;
}

/* The reply to m in resp (len bytes, or p9_serve's failure): 0 (an
 * R-message of the right type, r positioned after its header) or the
 * errno of an Rlerror. */
static int reply(const struct p9_tmsg *m, int len, struct p9_r *r)
{
	uint8_t type;

	if (len < P9_HDR_SIZE)
		FAIL("p9_handle: %d", len);
	p9_r_init(r, resp, (size_t)len);
	ASSERT_EQ(p9_get_u32(r), len);
	type = p9_get_u8(r);
	ASSERT_EQ(p9_get_u16(r), m->tag);
	if (type == P9_RLERROR) {
		int e = (int)p9_get_u32(r);

		ASSERT(e > 0);
		return e;
	}
	ASSERT_EQ(type, m->type + 1);
	return 0;
}

/* One request. Returns 0 (the reply is an R-message of the right type,
 * r positioned after its header) or the errno of an Rlerror. */
static int rpc(struct p9_tmsg *m, struct p9_r *r)
{
	int n;

	m->tag = tag_next();
	n = p9_encode_t(m, req, sizeof(req));
	if (n < 0)
		FAIL("encode type %u: %d", m->type, n);
	return reply(m, p9_handle(srv, req, (size_t)n, resp, sizeof(resp)), r);
}

/* One request whose reply carries nothing the caller reads: 0 or the
 * errno of its Rlerror. */
static int rpc0(struct p9_tmsg m)
{
	struct p9_r r;

	return rpc(&m, &r);
}

#define ROOT 1

static void t_version_attach(void)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;

	m.type = P9_TVERSION;
	m.u.version.msize = 1 << 20;
	m.u.version.version = S("9P2000.L");
	ASSERT_EQ(rpc(&m, &r), 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TATTACH;
	m.u.attach.fid = ROOT;
	m.u.attach.afid = P9_NOFID;
	m.u.attach.uname = S("root");
	m.u.attach.aname = S("");
	ASSERT_EQ(rpc(&m, &r), 0);
}

/* Walk fid to newfid along a '/'-separated path (each part one element,
 * as the guest sends them). Returns the errno or 0; *nq the qids. */
static int t_walk_q(uint32_t fid, uint32_t newfid, const char *path,
		    unsigned *nq, struct p9_qid *last)
{
	static char parts[P9_MAXWELEM][256];
	struct p9_tmsg m = { 0 };
	struct p9_r r;
	unsigned n = 0;
	const char *p = path;
	int e;

	while (p && *p) {
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);

		ASSERT(n < P9_MAXWELEM && l < 256);
		memcpy(parts[n], p, l);
		parts[n][l] = 0;
		m.u.walk.wname[n].s = parts[n];
		m.u.walk.wname[n].len = (uint16_t)l;
		n++;
		p = slash ? slash + 1 : NULL;
	}
	m.type = P9_TWALK;
	m.u.walk.fid = fid;
	m.u.walk.newfid = newfid;
	m.u.walk.nwname = (uint16_t)n;
	e = rpc(&m, &r);
	if (e)
		return e;
	*nq = p9_get_u16(&r);
	for (unsigned i = 0; i < *nq; i++)
		p9_get_qid(&r, last);
	ASSERT(!r.err);
	return *nq == n ? 0 : ENOENT;
}

static int t_walk(uint32_t fid, uint32_t newfid, const char *path)
{
	struct p9_qid q;
	unsigned nq = 0;

	return t_walk_q(fid, newfid, path, &nq, &q);
}

static int t_lopen(uint32_t fid, uint32_t flags)
{
	return rpc0((struct p9_tmsg){
		.type = P9_TLOPEN, .u.lopen = { .fid = fid, .flags = flags } });
}

static int t_clunk(uint32_t fid)
{
	return rpc0((struct p9_tmsg){ .type = P9_TCLUNK, .u.fid.fid = fid });
}

static int t_lcreate(uint32_t fid, const char *name, uint32_t flags,
		     uint32_t mode)
{
	return rpc0((struct p9_tmsg){ .type = P9_TLCREATE,
				      .u.lcreate = { .fid = fid,
						     .name = S(name),
						     .flags = flags,
						     .mode = mode } });
}

static int t_write(uint32_t fid, uint64_t off, const void *data, uint32_t n)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;
	int e;

	m.type = P9_TWRITE;
	m.u.write.fid = fid;
	m.u.write.offset = off;
	m.u.write.count = n;
	m.u.write.data = data;
	e = rpc(&m, &r);
	if (e)
		return e;
	ASSERT_EQ(p9_get_u32(&r), n);
	return 0;
}

/* t_write with the data apart from the message, in two segments, as
 * virtio-9p serves Linux's zero-copy writes: the header alone decoded, the
 * data written from where they lie. */
static int t_write_sg(uint32_t fid, uint64_t off, const void *data, uint32_t n)
{
	struct iovec iov[2] = { { (void *)data, n / 2 },
				{ (char *)data + n / 2, n - n / 2 } };
	struct p9_tmsg m = { .type = P9_TWRITE };
	struct p9_req q = { .wdata = iov, .nwdata = 2 };
	struct p9_r r;
	int e;

	m.tag = tag_next();
	m.u.write.fid = fid;
	m.u.write.offset = off;
	m.u.write.count = n;
	m.u.write.data = data;
	ASSERT_EQ(p9_encode_t(&m, req, sizeof(req)),
		  (int)(P9_TWRITE_HDR_SIZE + n));
	q.decoded = p9_decode_twrite_hdr(req, P9_TWRITE_HDR_SIZE,
					 P9_TWRITE_HDR_SIZE + n,
					 p9server_msize(srv), &q.m);
	ASSERT_EQ(q.decoded, 0);
	q.out = resp;
	q.out_cap = sizeof(resp);
	e = reply(&m, p9_serve(srv, &q), &r);
	if (e)
		return e;
	ASSERT_EQ(p9_get_u32(&r), n);
	return 0;
}

/* Read into out; returns the count or -errno. */
static long t_read(uint32_t fid, uint64_t off, void *out, uint32_t n)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;
	uint32_t got;
	const uint8_t *p;
	int e;

	m.type = P9_TREAD;
	m.u.read.fid = fid;
	m.u.read.offset = off;
	m.u.read.count = n;
	e = rpc(&m, &r);
	if (e)
		return -e;
	got = p9_get_u32(&r);
	ASSERT(got <= n);
	p = p9_get_bytes(&r, got);
	ASSERT(p);
	memcpy(out, p, got);
	return got;
}

static int t_dirop(uint8_t type, uint32_t dfid, const char *name, uint32_t arg)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;

	m.type = type;
	switch (type) {
	case P9_TMKDIR:
		m.u.mkdir.dfid = dfid;
		m.u.mkdir.name = S(name);
		m.u.mkdir.mode = arg;
		break;
	case P9_TUNLINKAT:
		m.u.unlinkat.dfid = dfid;
		m.u.unlinkat.name = S(name);
		m.u.unlinkat.flags = arg;
		break;
	default:
		FAIL("t_dirop %u", type);
	}
	return rpc(&m, &r);
}

static int t_mknod(uint32_t dfid, const char *name, uint32_t mode,
		   uint32_t major, uint32_t minor)
{
	return rpc0((struct p9_tmsg){ .type = P9_TMKNOD,
				      .u.mknod = { .dfid = dfid,
						   .name = S(name),
						   .mode = mode,
						   .major = major,
						   .minor = minor } });
}

static int t_symlink(uint32_t dfid, const char *name, const char *target)
{
	return rpc0((struct p9_tmsg){ .type = P9_TSYMLINK,
				      .u.symlink = { .fid = dfid,
						     .name = S(name),
						     .target = S(target) } });
}

static int t_link(uint32_t dfid, uint32_t fid, const char *name)
{
	return rpc0((struct p9_tmsg){
		.type = P9_TLINK,
		.u.link = { .dfid = dfid, .fid = fid, .name = S(name) } });
}

static int t_renameat(uint32_t od, const char *on, uint32_t nd, const char *nn)
{
	return rpc0((struct p9_tmsg){ .type = P9_TRENAMEAT,
				      .u.renameat = { .olddfid = od,
						      .oldname = S(on),
						      .newdfid = nd,
						      .newname = S(nn) } });
}

static int t_setattr(uint32_t fid, uint32_t valid, uint32_t mode, uint64_t size,
		     uint64_t mtime)
{
	return rpc0((struct p9_tmsg){ .type = P9_TSETATTR,
				      .u.setattr = { .fid = fid,
						     .valid = valid,
						     .mode = mode,
						     .size = size,
						     .mtime_sec = mtime } });
}

static int t_getattr(uint32_t fid, uint32_t *mode, uint64_t *size,
		     uint64_t *ino, uint64_t *nlink)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;
	struct p9_qid q;
	int e;

	m.type = P9_TGETATTR;
	m.u.getattr.fid = fid;
	m.u.getattr.mask = P9_GETATTR_BASIC;
	e = rpc(&m, &r);
	if (e)
		return e;
	ASSERT_EQ(p9_get_u64(&r), P9_GETATTR_BASIC);
	p9_get_qid(&r, &q);
	*mode = p9_get_u32(&r);
	p9_get_u32(&r);
	p9_get_u32(&r);
	*nlink = p9_get_u64(&r);
	p9_get_u64(&r);
	*size = p9_get_u64(&r);
	*ino = q.path;
	ASSERT(!r.err);
	return 0;
}

static int t_readlink(uint32_t fid, char *out, size_t cap)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;
	struct p9_str s;
	int e;

	m.type = P9_TREADLINK;
	m.u.fid.fid = fid;
	e = rpc(&m, &r);
	if (e)
		return e;
	ASSERT(p9_get_str(&r, &s));
	ASSERT(p9_str_copy(out, cap, &s));
	return 0;
}

/* Read a whole file through the server (walk, open, read, clunk); the
 * contents or NULL with *err. */
static char *slurp(const char *path, int *err)
{
	static char buf[65536];
	long n;

	*err = t_walk(ROOT, 900, path);
	if (*err)
		return NULL;
	*err = t_lopen(900, P9_DOTL_RDONLY);
	if (*err) {
		t_clunk(900);
		return NULL;
	}
	n = t_read(900, 0, buf, sizeof(buf) - 1);
	t_clunk(900);
	if (n < 0) {
		*err = (int)-n;
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

/* --- round trips
 * --------------------------------------------------------------
 */
TEST(version_negotiates_msize)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;
	struct p9_str v;

	setup(false, 0);
	m.type = P9_TVERSION;
	m.u.version.msize = 1 << 30;
	m.u.version.version = S("9P2000.L");
	ASSERT_EQ(rpc(&m, &r), 0);
	ASSERT_EQ(p9_get_u32(&r), P9_DEFAULT_MSIZE);
	ASSERT(p9_get_str(&r, &v) && v.len == 8);
	m.u.version.msize = 8192;
	ASSERT_EQ(rpc(&m, &r), 0);
	ASSERT_EQ(p9_get_u32(&r), 8192);
	ASSERT_EQ(p9server_msize(srv), 8192);
	m.u.version.version = S("9P2000.u");
	ASSERT_EQ(rpc(&m, &r), 0);
	p9_get_u32(&r);
	ASSERT(p9_get_str(&r, &v) && v.len == 7 && !memcmp(v.s, "unknown", 7));
	m.u.version.msize = 100;
	ASSERT_EQ(rpc(&m, &r), EINVAL);
	canary_untouched();
}

TEST(create_write_read_round_trip)
{
	char host[64], big_expect[1000];
	static char big[300000], back[300000];
	long n;
	int fd;

	setup(false, 0);
	t_version_attach();
	ASSERT_EQ(t_walk(ROOT, 2, ""), 0);
	ASSERT_EQ(
		t_lcreate(2, "hello.txt", P9_DOTL_RDWR | P9_DOTL_CREATE, 0640),
		0);
	ASSERT_EQ(t_write(2, 0, "hello, ", 7), 0);
	ASSERT_EQ(t_write(2, 7, "world", 5), 0);
	ASSERT_EQ(t_clunk(2), 0);
	ASSERT_EQ(read_host("hello.txt", host, sizeof(host)), 12);
	ASSERT_STREQ(host, "hello, world");
	{
		struct stat st;

		ASSERT_OK(stat_host("hello.txt", &st));
		ASSERT_EQ(st.st_mode & 07777, 0640); /* not the umask's */
	}
	/* O_EXCL on an existing name */
	ASSERT_EQ(t_walk(ROOT, 2, ""), 0);
	ASSERT_EQ(t_lcreate(2, "hello.txt",
			    P9_DOTL_RDWR | P9_DOTL_CREATE | P9_DOTL_EXCL, 0600),
		  EEXIST);
	ASSERT_EQ(t_clunk(2), 0);
	/* a large file read back in big pieces, straight into the reply */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	{
		char p[256];

		path_at(p, sizeof(p), "big");
		fd = open(p, O_WRONLY | O_CREAT, 0644);
		ASSERT_OK(fd);
		ASSERT_EQ(write(fd, big, sizeof(big)), (long)sizeof(big));
		close(fd);
	}
	ASSERT_EQ(t_walk(ROOT, 3, "big"), 0);
	ASSERT_EQ(t_lopen(3, P9_DOTL_RDONLY), 0);
	n = t_read(3, 0, back, 1 << 20);
	/* clamped to msize - 11 */
	ASSERT_EQ(n, P9_DEFAULT_MSIZE - P9_IOHDR_SIZE < sizeof(big)
			     ? P9_DEFAULT_MSIZE - P9_IOHDR_SIZE
			     : sizeof(big));
	ASSERT(!memcmp(back, big, (size_t)n));
	ASSERT_EQ(t_read(3, 250000, back, 100000), 50000);
	ASSERT(!memcmp(back, big + 250000, 50000));
	ASSERT_EQ(t_read(3, 400000, back, 10), 0);
	/* a read-only fid cannot write */
	ASSERT_EQ(t_write(3, 0, "x", 1), EBADF);
	ASSERT_EQ(t_clunk(3), 0);
	/* append and truncate flags */
	ASSERT_EQ(t_walk(ROOT, 4, "hello.txt"), 0);
	ASSERT_EQ(t_lopen(4, P9_DOTL_WRONLY | P9_DOTL_APPEND), 0);
	ASSERT_EQ(t_write(4, 0, "!", 1), 0);
	ASSERT_EQ(t_clunk(4), 0);
	ASSERT_EQ(read_host("hello.txt", host, sizeof(host)), 13);
	ASSERT_STREQ(host, "hello, world!");
	ASSERT_EQ(t_walk(ROOT, 4, "hello.txt"), 0);
	ASSERT_EQ(t_lopen(4, P9_DOTL_WRONLY | P9_DOTL_TRUNC), 0);
	ASSERT_EQ(t_clunk(4), 0);
	ASSERT_EQ(read_host("hello.txt", host, sizeof(host)), 0);
	/* data from two segments, as a zero-copy write: the header alone
	 * decoded; a fid open only for reading cannot write that way either */
	ASSERT_EQ(t_walk(ROOT, 5, ""), 0);
	ASSERT_EQ(t_lcreate(5, "sg.txt", P9_DOTL_RDWR | P9_DOTL_CREATE, 0644),
		  0);
	ASSERT_EQ(t_write_sg(5, 0, "scattered", 9), 0);
	ASSERT_EQ(t_clunk(5), 0);
	ASSERT_EQ(read_host("sg.txt", host, sizeof(host)), 9);
	ASSERT_STREQ(host, "scattered");
	ASSERT_EQ(t_walk(ROOT, 6, "sg.txt"), 0);
	ASSERT_EQ(t_lopen(6, P9_DOTL_RDONLY), 0);
	ASSERT_EQ(t_write_sg(6, 0, "xy", 2), EBADF);
	ASSERT_EQ(t_clunk(6), 0);
	(void)big_expect;
	canary_untouched();
}

TEST(readdir_lists_everything_across_small_replies)
{
	static char seen[300];
	struct p9_tmsg m = { 0 };
	uint64_t off = 0;
	int total = 0, dots = 0;

	setup(false, 0);
	t_version_attach();
	ASSERT_OK(mkdir(share, 0755) == -1 && errno == EEXIST ? 0 : -1);
	for (int i = 0; i < 250; i++) {
		char name[32];

		snprintf(name, sizeof(name), "file-%03d", i);
		write_host(name, "x");
	}
	ASSERT_EQ(t_walk(ROOT, 2, ""), 0);
	ASSERT_EQ(t_lopen(2, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY), 0);
	memset(seen, 0, sizeof(seen));
	for (;;) {
		struct p9_r r;
		uint32_t count;
		size_t end;

		m.type = P9_TREADDIR;
		m.u.read.fid = 2;
		m.u.read.offset = off;
		m.u.read.count = 700; /* a few entries at a time */
		ASSERT_EQ(rpc(&m, &r), 0);
		count = p9_get_u32(&r);
		ASSERT(count <= 700);
		if (count == 0)
			break;
		end = r.off + count;
		while (r.off < end) {
			struct p9_qid q;
			struct p9_str name;
			char nm[300];
			int k;

			p9_get_qid(&r, &q);
			off = p9_get_u64(&r);
			p9_get_u8(&r);
			ASSERT(p9_get_str(&r, &name));
			ASSERT(p9_str_copy(nm, sizeof(nm), &name));
			if (!strcmp(nm, ".") || !strcmp(nm, "..")) {
				struct stat st;

				ASSERT_OK(stat(share, &st));
				/* the root's ".." shows the root itself */
				ASSERT_EQ(q.path, st.st_ino);
				dots++;
				continue;
			}
			ASSERT_EQ(sscanf(nm, "file-%d", &k), 1);
			ASSERT(k >= 0 && k < 250);
			ASSERT(!seen[k]);
			seen[k] = 1;
			total++;
		}
		ASSERT(!r.err);
		ASSERT_EQ(r.off, end);
	}
	ASSERT_EQ(total, 250);
	ASSERT_EQ(dots, 2);
	/* readdir on a fid not opened */
	ASSERT_EQ(t_walk(ROOT, 3, ""), 0);
	m.u.read.fid = 3;
	m.u.read.offset = 0;
	{
		struct p9_r r;

		ASSERT_EQ(rpc(&m, &r), EBADF);
	}
	canary_untouched();
}

TEST(getattr_setattr_match_the_host)
{
	struct stat st;
	uint32_t mode;
	uint64_t size, ino, nlink;

	setup(false, 0);
	t_version_attach();
	write_host("f", "0123456789");
	ASSERT_EQ(t_walk(ROOT, 2, "f"), 0);
	ASSERT_EQ(t_getattr(2, &mode, &size, &ino, &nlink), 0);
	ASSERT_OK(stat_host("f", &st));
	ASSERT_EQ(mode, st.st_mode);
	ASSERT_EQ(size, 10);
	ASSERT_EQ(ino, st.st_ino);
	ASSERT_EQ(nlink, 1);
	ASSERT_EQ(t_setattr(2,
			    P9_SETATTR_MODE | P9_SETATTR_SIZE |
				    P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET,
			    0600, 4, 1234567),
		  0);
	ASSERT_OK(stat_host("f", &st));
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_EQ(st.st_size, 4);
	ASSERT_EQ(st.st_mtim.tv_sec, 1234567);
	/* a directory cannot be truncated */
	ASSERT_EQ(t_setattr(ROOT, P9_SETATTR_SIZE, 0, 0, 0), EISDIR);
	/* chmod of a directory */
	ASSERT_EQ(t_dirop(P9_TMKDIR, ROOT, "d", 0700), 0);
	ASSERT_EQ(t_walk(ROOT, 3, "d"), 0);
	ASSERT_EQ(t_setattr(3, P9_SETATTR_MODE, 0751, 0, 0), 0);
	ASSERT_OK(stat_host("d", &st));
	ASSERT_EQ(st.st_mode, S_IFDIR | 0751);
	canary_untouched();
}

TEST(mkdir_unlink_rename_symlink_link_mknod)
{
	char buf[256];
	struct stat st, st2;

	setup(false, 0);
	t_version_attach();
	ASSERT_EQ(t_dirop(P9_TMKDIR, ROOT, "dir", 0755), 0);
	ASSERT_OK(stat_host("dir", &st));
	ASSERT(S_ISDIR(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0755);
	ASSERT_EQ(t_dirop(P9_TMKDIR, ROOT, "dir", 0755), EEXIST);
	write_host("dir/a", "A");
	ASSERT_EQ(t_walk(ROOT, 2, "dir"), 0);
	/* a fid walked to dir/a before it is renamed still opens after */
	ASSERT_EQ(t_walk(ROOT, 3, "dir/a"), 0);
	ASSERT_EQ(t_renameat(2, "a", ROOT, "b"), 0);
	ASSERT_EQ(stat_host("dir/a", &st), -1);
	ASSERT_EQ(read_host("b", buf, sizeof(buf)), 1);
	ASSERT_EQ(t_lopen(3, P9_DOTL_RDONLY), 0);
	ASSERT_EQ(t_read(3, 0, buf, 10), 1);
	ASSERT_EQ(buf[0], 'A');
	ASSERT_EQ(t_clunk(3), 0);
	/* Trename (by fid) */
	{
		struct p9_tmsg m = { 0 };
		struct p9_r r;

		ASSERT_EQ(t_walk(ROOT, 4, "b"), 0);
		m.type = P9_TRENAME;
		m.u.rename.fid = 4;
		m.u.rename.dfid = 2;
		m.u.rename.name = S("c");
		ASSERT_EQ(rpc(&m, &r), 0);
		ASSERT_EQ(read_host("dir/c", buf, sizeof(buf)), 1);
		ASSERT_EQ(stat_host("b", &st), -1);
		/* the fid follows its file */
		ASSERT_EQ(t_lopen(4, P9_DOTL_RDONLY), 0);
		ASSERT_EQ(t_clunk(4), 0);
	}
	/* symlink and readlink */
	ASSERT_EQ(t_symlink(2, "sl", "c"), 0);
	ASSERT_EQ(readlink(strcat(strcpy(buf, share), "/dir/sl"), buf,
			   sizeof(buf)),
		  1);
	ASSERT_EQ(t_walk(2, 5, "sl"), 0);
	ASSERT_EQ(t_readlink(5, buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "c");
	ASSERT_EQ(t_readlink(2, buf, sizeof(buf)), EINVAL);
	/* hard link */
	ASSERT_EQ(t_walk(2, 6, "c"), 0);
	ASSERT_EQ(t_link(ROOT, 6, "hard"), 0);
	ASSERT_OK(stat_host("hard", &st));
	ASSERT_OK(stat_host("dir/c", &st2));
	ASSERT_EQ(st.st_ino, st2.st_ino);
	ASSERT_EQ(st.st_nlink, 2);
	ASSERT_EQ(t_link(ROOT, 2, "dirlink"), EPERM);
	/* a fifo and a socket node */
	ASSERT_EQ(t_mknod(ROOT, "fifo", S_IFIFO | 0620, 0, 0), 0);
	ASSERT_OK(stat_host("fifo", &st));
	ASSERT(S_ISFIFO(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0620);
	/* unlinkat: a file, a non-empty dir, then the dir */
	ASSERT_EQ(t_dirop(P9_TUNLINKAT, ROOT, "hard", 0), 0);
	ASSERT_EQ(stat_host("hard", &st), -1);
	ASSERT_EQ(t_dirop(P9_TUNLINKAT, ROOT, "dir", P9_AT_REMOVEDIR),
		  ENOTEMPTY);
	ASSERT_EQ(t_dirop(P9_TUNLINKAT, 2, "c", 0), 0);
	ASSERT_EQ(t_dirop(P9_TUNLINKAT, 2, "sl", 0), 0);
	ASSERT_EQ(t_dirop(P9_TUNLINKAT, ROOT, "dir", 0), EISDIR);
	ASSERT_EQ(t_dirop(P9_TUNLINKAT, ROOT, "dir", P9_AT_REMOVEDIR), 0);
	ASSERT_EQ(stat_host("dir", &st), -1);
	/* Tremove */
	write_host("gone", "x");
	ASSERT_EQ(t_walk(ROOT, 7, "gone"), 0);
	{
		struct p9_tmsg m = { 0 };
		struct p9_r r;

		m.type = P9_TREMOVE;
		m.u.fid.fid = 7;
		ASSERT_EQ(rpc(&m, &r), 0);
		ASSERT_EQ(stat_host("gone", &st), -1);
		/* clunked by the remove */
		ASSERT_EQ(t_clunk(7), EBADF);
		/* the root is never removed */
		ASSERT_EQ(t_walk(ROOT, 8, ""), 0);
		m.u.fid.fid = 8;
		ASSERT_EQ(rpc(&m, &r), EBUSY);
		ASSERT_OK(stat(share, &st));
	}
	canary_untouched();
}

TEST(statfs_and_fsync)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;
	struct statfs sf;

	setup(false, 0);
	t_version_attach();
	m.type = P9_TSTATFS;
	m.u.fid.fid = ROOT;
	ASSERT_EQ(rpc(&m, &r), 0);
	ASSERT_OK(statfs(share, &sf));
	ASSERT_EQ(p9_get_u32(&r), (uint32_t)sf.f_type);
	ASSERT_EQ(p9_get_u32(&r), (uint32_t)sf.f_bsize);
	ASSERT_EQ(p9_get_u64(&r), sf.f_blocks);
	write_host("f", "data");
	ASSERT_EQ(t_walk(ROOT, 2, "f"), 0);
	memset(&m, 0, sizeof(m));
	m.type = P9_TFSYNC;
	m.u.fsync.fid = 2;
	ASSERT_EQ(rpc(&m, &r), EBADF); /* not open */
	ASSERT_EQ(t_lopen(2, P9_DOTL_WRONLY), 0);
	ASSERT_EQ(rpc(&m, &r), 0);
	m.u.fsync.datasync = 1;
	ASSERT_EQ(rpc(&m, &r), 0);
	canary_untouched();
}

static int t_xattrcreate(uint32_t fid, const char *name, uint64_t size)
{
	return rpc0((struct p9_tmsg){ .type = P9_TXATTRCREATE,
				      .u.xattrcreate = { .fid = fid,
							 .name = S(name),
							 .size = size } });
}

static int t_xattrwalk(uint32_t fid, uint32_t newfid, const char *name,
		       uint64_t *size)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;
	int e;

	m.type = P9_TXATTRWALK;
	m.u.xattrwalk.fid = fid;
	m.u.xattrwalk.newfid = newfid;
	m.u.xattrwalk.name = S(name);
	e = rpc(&m, &r);
	if (!e)
		*size = p9_get_u64(&r);
	return e;
}

TEST(xattrs_round_trip)
{
	char buf[256], p[256];
	uint64_t size;

	setup(false, 0);
	t_version_attach();
	write_host("f", "data");
	path_at(p, sizeof(p), "f");
	if (setxattr(p, "user.probe", "1", 1, 0) < 0)
		test_skip("no user xattrs on %s: %s", share, strerror(errno));
	ASSERT_OK(removexattr(p, "user.probe"));
	ASSERT_EQ(t_walk(ROOT, 2, "f"), 0);
	ASSERT_EQ(t_xattrcreate(2, "user.moat", 5), 0);
	ASSERT_EQ(t_write(2, 0, "abc", 3), 0);
	ASSERT_EQ(t_write(2, 3, "de", 2), 0);
	ASSERT_EQ(t_write(2, 5, "f", 1), ENOSPC);
	ASSERT_EQ(t_clunk(2), 0);
	ASSERT_EQ(getxattr(p, "user.moat", buf, sizeof(buf)), 5);
	ASSERT(!memcmp(buf, "abcde", 5));
	/* its data from two segments (a zero-copy write) */
	ASSERT_EQ(t_walk(ROOT, 2, "f"), 0);
	ASSERT_EQ(t_xattrcreate(2, "user.sg", 6), 0);
	ASSERT_EQ(t_write_sg(2, 0, "ghijkl", 6), 0);
	ASSERT_EQ(t_clunk(2), 0);
	ASSERT_EQ(getxattr(p, "user.sg", buf, sizeof(buf)), 6);
	ASSERT(!memcmp(buf, "ghijkl", 6));
	/* read it back, and list */
	ASSERT_EQ(t_walk(ROOT, 3, "f"), 0);
	ASSERT_EQ(t_xattrwalk(3, 4, "user.moat", &size), 0);
	ASSERT_EQ(size, 5);
	ASSERT_EQ(t_read(4, 0, buf, 100), 5);
	ASSERT(!memcmp(buf, "abcde", 5));
	ASSERT_EQ(t_read(4, 2, buf, 100), 3);
	ASSERT_EQ(t_clunk(4), 0);
	ASSERT_EQ(t_xattrwalk(3, 4, "", &size), 0);
	ASSERT_EQ(t_read(4, 0, buf, sizeof(buf)), (long)size);
	ASSERT(memmem(buf, size, "user.moat", 10));
	ASSERT_EQ(t_clunk(4), 0);
	ASSERT_EQ(t_xattrwalk(3, 4, "user.none", &size), ENODATA);
	/* trusted.* is the host's: neither set nor seen */
	ASSERT_EQ(t_xattrcreate(3, "trusted.overlay.redirect", 1), EPERM);
	ASSERT_OK(setxattr(p, "trusted.moat", "t", 1, 0));
	ASSERT_EQ(t_xattrwalk(3, 4, "trusted.moat", &size), ENODATA);
	ASSERT_EQ(t_xattrwalk(3, 4, "", &size), 0);
	ASSERT_EQ(t_read(4, 0, buf, sizeof(buf)), (long)size);
	ASSERT(!memmem(buf, size, "trusted.", 8));
	ASSERT_EQ(t_clunk(4), 0);
	/* remove: size 0 */
	ASSERT_EQ(t_xattrcreate(3, "user.moat", 0), 0);
	ASSERT_EQ(t_clunk(3), 0);
	ASSERT_EQ(getxattr(p, "user.moat", buf, sizeof(buf)), -1);
	ASSERT_EQ(errno, ENODATA);
	canary_untouched();
}

static int t_lock(uint8_t type, uint32_t fid, uint8_t ltype, uint8_t *status)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;
	int e;

	m.type = type;
	m.u.lock.fid = fid;
	m.u.lock.type = ltype;
	m.u.lock.start = 0;
	m.u.lock.length = 100;
	m.u.lock.proc_id = 7;
	m.u.lock.client_id = S("guest");
	e = rpc(&m, &r);
	if (!e)
		*status = p9_get_u8(&r);
	return e;
}

TEST(locks_are_per_fid)
{
	uint8_t st;

	setup(false, 0);
	t_version_attach();
	write_host("f", "data");
	ASSERT_EQ(t_walk(ROOT, 2, "f"), 0);
	ASSERT_EQ(t_walk(ROOT, 3, "f"), 0);
	ASSERT_EQ(t_lock(P9_TLOCK, 2, P9_LOCK_TYPE_WRLCK, &st), EBADF);
	ASSERT_EQ(t_lopen(2, P9_DOTL_RDWR), 0);
	ASSERT_EQ(t_lopen(3, P9_DOTL_RDWR), 0);
	ASSERT_EQ(t_lock(P9_TLOCK, 2, P9_LOCK_TYPE_WRLCK, &st), 0);
	ASSERT_EQ(st, P9_LOCK_SUCCESS);
	ASSERT_EQ(t_lock(P9_TLOCK, 3, P9_LOCK_TYPE_WRLCK, &st), 0);
	ASSERT_EQ(st, P9_LOCK_BLOCKED);
	ASSERT_EQ(t_lock(P9_TGETLOCK, 3, P9_LOCK_TYPE_WRLCK, &st), 0);
	ASSERT_EQ(st, P9_LOCK_TYPE_WRLCK);
	ASSERT_EQ(t_lock(P9_TLOCK, 2, P9_LOCK_TYPE_UNLCK, &st), 0);
	ASSERT_EQ(st, P9_LOCK_SUCCESS);
	ASSERT_EQ(t_lock(P9_TLOCK, 3, P9_LOCK_TYPE_WRLCK, &st), 0);
	ASSERT_EQ(st, P9_LOCK_SUCCESS);
	ASSERT_EQ(t_lock(P9_TLOCK, 3, 9, &st), EINVAL);
	canary_untouched();
}

TEST(fid_table_is_bounded_and_fids_checked)
{
	uint8_t small[8];

	setup(false, 4);
	t_version_attach();
	ASSERT_EQ(t_walk(ROOT, 2, ""), 0);
	ASSERT_EQ(t_walk(ROOT, 3, ""), 0);
	ASSERT_EQ(t_walk(ROOT, 4, ""), 0);
	ASSERT_EQ(t_walk(ROOT, 5, ""), EMFILE);
	ASSERT_EQ(t_clunk(3), 0);
	ASSERT_EQ(t_walk(ROOT, 5, ""), 0);
	/* a fid in use, an unknown fid, NOFID */
	ASSERT_EQ(t_walk(ROOT, 2, ""), EBADF);
	ASSERT_EQ(t_walk(77, 78, ""), EBADF);
	ASSERT_EQ(t_clunk(77), EBADF);
	ASSERT_EQ(t_lopen(77, 0), EBADF);
	/* every fid in the table keeps its place after deletions */
	ASSERT_EQ(t_clunk(2), 0);
	ASSERT_EQ(t_clunk(4), 0);
	ASSERT_EQ(t_lopen(5, P9_DOTL_RDONLY), 0);
	/* an opened fid may be cloned, not walked itself */
	ASSERT_EQ(t_walk(5, 5, ""), EBADF);
	ASSERT_EQ(t_walk(5, 6, ""), 0);
	ASSERT_EQ(t_lopen(5, P9_DOTL_RDONLY), EBADF);
	/* a reply buffer too small for an Rlerror */
	ASSERT_EQ(p9_handle(srv, req, 7, small, sizeof(small)), -1);
	canary_untouched();
}

TEST(deep_walks_are_bounded_too)
{
	char p[4096];
	size_t l;
	int i, e = 0;

	setup(false, 4); /* 4 fids: at most 4 * 4 + 16 nodes */
	t_version_attach();
	l = (size_t)snprintf(p, sizeof(p), "%s", share);
	for (i = 0; i < 60; i++) {
		l += (size_t)snprintf(p + l, sizeof(p) - l, "/d");
		ASSERT_OK(mkdir(p, 0755));
	}
	/* one fid walked deeper and deeper onto itself */
	ASSERT_EQ(t_walk(ROOT, 2, ""), 0);
	for (i = 0; i < 60 && !e; i++)
		e = t_walk(2, 2, "d");
	ASSERT_EQ(e, ENFILE);
	ASSERT(i > 25 && i < 40);
	/* and it all comes back when the fid goes */
	ASSERT_EQ(t_clunk(2), 0);
	ASSERT_EQ(t_walk(ROOT, 2, "d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d"), 0);
	canary_untouched();
}

TEST(many_fids_hash_table)
{
	setup(false, 3000);
	t_version_attach();
	for (uint32_t f = 2; f < 2900; f++)
		ASSERT_EQ(t_walk(ROOT, f * 977, ""), 0);
	for (uint32_t f = 2; f < 2900; f += 2)
		ASSERT_EQ(t_clunk(f * 977), 0);
	for (uint32_t f = 3; f < 2900; f += 2)
		ASSERT_EQ(t_lopen(f * 977, P9_DOTL_RDONLY), 0);
	for (uint32_t f = 2; f < 2900; f += 2)
		ASSERT_EQ(t_clunk(f * 977), EBADF);
	teardown();
}

TEST(malformed_requests_get_rlerror)
{
	uint8_t junk[64];
	struct p9_r r;
	int n;

	setup(false, 0);
	t_version_attach();
	memset(junk, 0xff, sizeof(junk));
	/* size bigger than the buffer */
	junk[0] = 60;
	junk[1] = junk[2] = junk[3] = 0;
	junk[4] = P9_TWALK;
	junk[5] = 9;
	junk[6] = 0;
	n = p9_handle(srv, junk, 20, resp, sizeof(resp));
	ASSERT_EQ(n, 11);
	p9_r_init(&r, resp, (size_t)n);
	p9_get_u32(&r);
	ASSERT_EQ(p9_get_u8(&r), P9_RLERROR);
	ASSERT_EQ(p9_get_u16(&r), 9);
	ASSERT_EQ(p9_get_u32(&r), EPROTO);
	/* an unknown message type */
	junk[0] = 7;
	junk[4] = 98;
	n = p9_handle(srv, junk, 7, resp, sizeof(resp));
	ASSERT_EQ(n, 11);
	/* a walk with ".." built by hand */
	{
		static const uint8_t w[] = {
			21, 0, 0, 0, P9_TWALK, 3, 0, ROOT, 0,	0,  0,
			50, 0, 0, 0, 1,	       0, 2, 0,	   '.', '.'
		};

		n = p9_handle(srv, w, sizeof(w), resp, sizeof(resp));
		p9_r_init(&r, resp, (size_t)n);
		p9_get_u32(&r);
		ASSERT_EQ(p9_get_u8(&r), P9_RLERROR);
		p9_get_u16(&r);
		ASSERT_EQ(p9_get_u32(&r), EINVAL);
		ASSERT_EQ(t_clunk(50), EBADF);
	}
	canary_untouched();
}

/* --- the escape suite
 * ---------------------------------------------------------
 */
TEST(escape_dotdot_walks_refused)
{
	struct p9_tmsg m = { 0 };
	struct p9_r r;
	static const char *bad[] = { "..", ".", "../canary", "/", "/etc" };

	setup(false, 0);
	t_version_attach();
	ASSERT_OK(mkdir(strcat(strcpy((char[128]){ 0 }, share), "/sub"), 0755));
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.type = P9_TWALK;
		m.u.walk.fid = ROOT;
		m.u.walk.newfid = 2;
		m.u.walk.nwname = 1;
		m.u.walk.wname[0] = S(bad[i]);
		ASSERT_EQ(rpc(&m, &r), EINVAL);
		/* after a good element too */
		m.u.walk.nwname = 2;
		m.u.walk.wname[0] = S("sub");
		m.u.walk.wname[1] = S(bad[i]);
		ASSERT_EQ(rpc(&m, &r), EINVAL);
		ASSERT_EQ(t_clunk(2), EBADF);
	}
	/* 16 levels of "..": refused as a whole */
	m.u.walk.nwname = P9_MAXWELEM;
	for (int i = 0; i < P9_MAXWELEM; i++)
		m.u.walk.wname[i] = S("..");
	ASSERT_EQ(rpc(&m, &r), EINVAL);
	/* names with '/' in create-like requests */
	ASSERT_EQ(t_lcreate(ROOT, "../escaped", P9_DOTL_CREATE | 1, 0644),
		  EINVAL);
	ASSERT_EQ(t_dirop(P9_TMKDIR, ROOT, "../outdir/x", 0755), EINVAL);
	ASSERT_EQ(t_symlink(ROOT, "../x", "y"), EINVAL);
	ASSERT_EQ(t_mknod(ROOT, "..", S_IFIFO | 0644, 0, 0), EINVAL);
	ASSERT_EQ(t_dirop(P9_TUNLINKAT, ROOT, "../canary", 0), EINVAL);
	canary_untouched();
}

/* The guest's view of a symlink that points out: the link itself, never
 * its target. */
static void symlink_out_checks(const char *name, const char *dirname)
{
	uint32_t mode;
	uint64_t size, ino, nlink;
	struct stat st;
	char target[256];
	int e;

	ASSERT_EQ(t_walk(ROOT, 10, name), 0);
	ASSERT_EQ(t_getattr(10, &mode, &size, &ino, &nlink), 0);
	ASSERT(S_ISLNK(mode));
	ASSERT_OK(lstat(canary, &st));
	ASSERT(ino != st.st_ino);
	/* readlink is fine: it is the link's text */
	ASSERT_EQ(t_readlink(10, target, sizeof(target)), 0);
	/* opening, reading, writing through it: never */
	ASSERT_EQ(t_lopen(10, P9_DOTL_RDONLY), EPERM);
	ASSERT(!slurp(name, &e));
	ASSERT_EQ(t_walk(ROOT, 11, name), 0);
	ASSERT_EQ(t_lopen(11, P9_DOTL_RDWR | P9_DOTL_TRUNC), EPERM);
	ASSERT_EQ(t_clunk(11), 0);
	/* setattr through it changes the link at most, not the target */
	t_setattr(10, P9_SETATTR_MODE, 0777, 0, 0);
	ASSERT_EQ(t_setattr(10, P9_SETATTR_SIZE, 0, 0, 0), EINVAL);
	t_setattr(10, P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET, 0, 0, 1);
	/* xattrs through it */
	{
		uint64_t sz;

		ASSERT(t_xattrwalk(10, 12, "", &sz) != 0);
		ASSERT(t_xattrcreate(10, "user.x", 1) != 0);
	}
	/* a hard link to it links the symlink, not the canary */
	ASSERT_EQ(t_link(ROOT, 10, "hardlink-to-link"), 0);
	{
		struct stat hl;

		ASSERT_OK(stat_host("hardlink-to-link", &hl));
		ASSERT(S_ISLNK(hl.st_mode));
		ASSERT_EQ(t_dirop(P9_TUNLINKAT, ROOT, "hardlink-to-link", 0),
			  0);
	}
	/* create over it: the link is not followed */
	e = t_lcreate(ROOT, name, P9_DOTL_CREATE | P9_DOTL_WRONLY, 0644);
	ASSERT(e == ELOOP || e == EEXIST || e == EPERM);
	/* as a directory */
	if (dirname) {
		char p[128];

		snprintf(p, sizeof(p), "%s/file", dirname);
		ASSERT(t_walk(ROOT, 13, p) != 0);
		ASSERT_EQ(t_clunk(13), EBADF);
		ASSERT_EQ(t_walk(ROOT, 13, dirname), 0);
		ASSERT_EQ(t_lcreate(13, "planted", P9_DOTL_CREATE | 1, 0644),
			  ENOTDIR);
		ASSERT_EQ(t_dirop(P9_TMKDIR, 13, "planted", 0755), ENOTDIR);
		ASSERT_EQ(t_symlink(13, "planted", "x"), ENOTDIR);
		ASSERT_EQ(t_mknod(13, "planted", S_IFIFO | 0644, 0, 0),
			  ENOTDIR);
		ASSERT_EQ(t_dirop(P9_TUNLINKAT, 13, "file", 0), ENOTDIR);
		ASSERT_EQ(t_renameat(13, "file", ROOT, "stolen"), ENOTDIR);
		ASSERT_EQ(t_lopen(13, P9_DOTL_RDONLY), EPERM);
		ASSERT_EQ(t_clunk(13), 0);
	}
	ASSERT_EQ(t_clunk(10), 0);
}

TEST(escape_absolute_symlinks)
{
	char p[256];

	setup(false, 0);
	t_version_attach();
	path_at(p, sizeof(p), "abs");
	ASSERT_OK(symlink(canary, p));
	path_at(p, sizeof(p), "absdir");
	ASSERT_OK(symlink(outside, p));
	path_at(p, sizeof(p), "etc");
	ASSERT_OK(symlink("/etc", p));
	symlink_out_checks("abs", NULL);
	symlink_out_checks("absdir", "absdir");
	symlink_out_checks("etc", "etc");
	canary_untouched();
}

TEST(escape_relative_symlinks)
{
	char p[256];

	setup(false, 0);
	t_version_attach();
	ASSERT_OK(mkdir(strcat(strcpy(p, share), "/a"), 0755));
	path_at(p, sizeof(p), "rel");
	ASSERT_OK(symlink("../canary", p));
	path_at(p, sizeof(p), "reldir");
	ASSERT_OK(symlink("../outdir", p));
	path_at(p, sizeof(p), "a/deep");
	ASSERT_OK(symlink("../../../../../../../../../../tmp", p));
	/* and ones the guest makes itself */
	ASSERT_EQ(t_symlink(ROOT, "mine", "../canary"), 0);
	ASSERT_EQ(t_symlink(ROOT, "minedir", "../outdir"), 0);
	symlink_out_checks("rel", NULL);
	symlink_out_checks("reldir", "reldir");
	symlink_out_checks("mine", NULL);
	symlink_out_checks("minedir", "minedir");
	ASSERT(t_walk(ROOT, 20, "a/deep/canary") != 0);
	canary_untouched();
}

/* The racer: swaps share/race between a real directory and a symlink to
 * the outside directory, as fast as it can. */
static volatile int racing;

static void *racer(void *arg)
{
	char dir[160], moved[160];

	(void)arg;
	snprintf(dir, sizeof(dir), "%s/race", share);
	snprintf(moved, sizeof(moved), "%s/race.real", share);
	while (racing) {
		if (rename(dir, moved) == 0) {
			if (symlink(outside, dir) == 0) {
				sched_yield();
				unlink(dir);
			}
			rename(moved, dir);
		}
		/* leave the real directory in place a moment too, so that
		 * both sides of the race are walked */
		nanosleep(&(struct timespec){ 0, 20000 }, NULL);
	}
	return NULL;
}

TEST_TIMEOUT(escape_symlink_swapped_under_walks, 60)
{
	char p[256];
	pthread_t th;
	unsigned opened = 0, created = 0, iter = 0;
	struct timespec t0, t1;

	setup(false, 0);
	t_version_attach();
	path_at(p, sizeof(p), "race");
	ASSERT_OK(mkdir(p, 0755));
	write_host("race/file", "inside\n");
	racing = 1;
	ASSERT_EQ(pthread_create(&th, NULL, racer, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		int e;
		char *got = slurp("race/file", &e);

		if (got) {
			ASSERT_STREQ(got, "inside\n");
			opened++;
		}
		/* walk to the directory, then use it as a directory: what
		 * is made goes inside the share (the racer's rename moves
		 * it along) or fails */
		if (t_walk(ROOT, 30, "race") == 0) {
			if (t_lcreate(30, "new", P9_DOTL_CREATE | 1, 0644) == 0)
				created++;
			t_dirop(P9_TMKDIR, 30, "sub", 0755);
			t_clunk(30);
		}
		if (t_walk(ROOT, 30, "race") == 0) {
			t_dirop(P9_TUNLINKAT, 30, "new", 0);
			t_dirop(P9_TMKDIR, 30, "sub", 0755);
			t_dirop(P9_TUNLINKAT, 30, "sub", P9_AT_REMOVEDIR);
			if (t_walk(30, 31, "file") == 0) {
				if (t_lopen(31, P9_DOTL_RDWR) == 0)
					t_write(31, 0, "inside\n", 7);
				t_clunk(31);
			}
			t_clunk(30);
		}
		iter++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (t1.tv_sec - t0.tv_sec < 3);
	racing = 0;
	pthread_join(th, NULL);
	test_diag("%u rounds: %u reads and %u creates inside, none outside",
		  iter, opened, created);
	ASSERT(opened > 0);
	outside_quiet();
	{
		DIR *d = opendir(outside);
		struct dirent *de;
		int n = 0;

		ASSERT(d);
		while ((de = readdir(d)))
			n++;
		closedir(d);
		ASSERT_EQ(n, 3); /* ".", "..", "file" */
	}
	while (read(ino_fd, p, sizeof(p)) > 0) /* our own opendir */
		;
	canary_untouched();
}

TEST(escape_links_and_renames_across_the_edge)
{
	char p[256];
	struct stat st;

	setup(false, 0);
	t_version_attach();
	/* a hard link made on the host to a file outside is a file in the
	 * share now (the host's doing); but the guest can make none: every
	 * name it links from is a fid inside the share */
	path_at(p, sizeof(p), "out");
	ASSERT_OK(symlink(canary, p));
	ASSERT_EQ(t_walk(ROOT, 2, "out"), 0);
	ASSERT_EQ(t_link(ROOT, 2, "l"), 0); /* links the symlink */
	ASSERT_OK(stat_host("l", &st));
	ASSERT(S_ISLNK(st.st_mode));
	/* link and rename names are single elements */
	ASSERT_EQ(t_link(ROOT, 2, "../stolen"), EINVAL);
	write_host("f", "inside");
	ASSERT_EQ(t_renameat(ROOT, "f", ROOT, "../outdir/f"), EINVAL);
	ASSERT_EQ(t_renameat(ROOT, "../canary", ROOT, "mine"), EINVAL);
	ASSERT_EQ(t_renameat(ROOT, "f", ROOT, ".."), EINVAL);
	/* renaming into a symlinked "directory" */
	ASSERT_EQ(t_renameat(ROOT, "f", 2, "x"), ENOTDIR);
	ASSERT_OK(stat_host("f", &st));
	/* a directory renamed while a fid holds it: the fid stays inside */
	path_at(p, sizeof(p), "d");
	ASSERT_OK(mkdir(p, 0755));
	ASSERT_EQ(t_walk(ROOT, 3, "d"), 0);
	ASSERT_EQ(t_renameat(ROOT, "d", ROOT, "d2"), 0);
	ASSERT_EQ(t_lcreate(3, "made", P9_DOTL_CREATE | 1, 0644), 0);
	ASSERT_OK(stat_host("d2/made", &st));
	canary_untouched();
}

TEST(escape_device_nodes)
{
	char p[256];
	struct stat st;

	setup(false, 0);
	t_version_attach();
	/* the guest cannot make device nodes */
	ASSERT_EQ(t_mknod(ROOT, "null", S_IFCHR | 0666, 1, 3), EPERM);
	ASSERT_EQ(t_mknod(ROOT, "sda", S_IFBLK | 0600, 8, 0), EPERM);
	ASSERT_EQ(stat_host("null", &st), -1);
	ASSERT_EQ(stat_host("sda", &st), -1);
	ASSERT_EQ(t_mknod(ROOT, "weird", 0170000 | 0600, 0, 0), EINVAL);
	/* nor open one already there (an image unpacked with /dev/mem in
	 * it, say): /dev/null here, harmless if the check fails */
	path_at(p, sizeof(p), "hostnull");
	ASSERT_OK(mknod(p, S_IFCHR | 0666, makedev(1, 3)));
	/* any open of it is an event that fails canary_untouched() */
	ASSERT_OK(
		inotify_add_watch(ino_fd, p, IN_OPEN | IN_ACCESS | IN_MODIFY));
	ASSERT_EQ(t_walk(ROOT, 2, "hostnull"), 0);
	ASSERT_EQ(t_lopen(2, P9_DOTL_RDONLY), EPERM);
	ASSERT_EQ(t_lopen(2, P9_DOTL_WRONLY), EPERM);
	/* nor through a create of its name without O_EXCL */
	ASSERT_EQ(t_walk(ROOT, 4, ""), 0);
	ASSERT_EQ(t_lcreate(4, "hostnull", P9_DOTL_CREATE | P9_DOTL_RDWR, 0644),
		  EPERM);
	/* nor a fifo (the guest kernel serves its own fifos) */
	ASSERT_EQ(t_mknod(ROOT, "fifo", S_IFIFO | 0600, 0, 0), 0);
	ASSERT_EQ(t_walk(ROOT, 3, "fifo"), 0);
	ASSERT_EQ(t_lopen(3, P9_DOTL_RDONLY), EPERM);
	ASSERT_EQ(t_lcreate(4, "fifo", P9_DOTL_CREATE | P9_DOTL_RDONLY, 0644),
		  EPERM);
	canary_untouched();
}

TEST(escape_mount_points_are_not_crossed)
{
	char p[256];
	struct stat st;

	if (unshare(CLONE_NEWNS) < 0)
		test_skip("unshare(CLONE_NEWNS): %s", strerror(errno));
	ASSERT_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	setup(false, 0);
	t_version_attach();
	path_at(p, sizeof(p), "mnt");
	ASSERT_OK(mkdir(p, 0755));
	/* the outside directory, bind-mounted into the share */
	ASSERT_OK(mount(outside, p, NULL, MS_BIND, NULL));
	ASSERT_EQ(t_walk(ROOT, 2, "mnt"), EXDEV);
	ASSERT(t_walk(ROOT, 2, "mnt/file") != 0);
	ASSERT_EQ(t_clunk(2), EBADF);
	ASSERT_OK(umount(p));
	ASSERT_OK(stat_host("mnt", &st));
	canary_untouched();
}

TEST(submounts_share_crosses_its_own_mounts_only_beneath)
{
	char p[300], in[200], buf[64];
	struct p9_qid q1, q2;
	unsigned nq;
	int fd;

	if (unshare(CLONE_NEWNS) < 0)
		test_skip("unshare(CLONE_NEWNS): %s", strerror(errno));
	ASSERT_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	with_submounts = true;
	setup(false, 0);
	t_version_attach();
	/* another filesystem (a tmpfs) mounted inside the share, as the
	 * shim mounts the rootfs and the bind sources */
	snprintf(in, sizeof(in), "%s/mnt", share);
	ASSERT_OK(mkdir(in, 0755));
	ASSERT_OK(mount("t", in, "tmpfs", 0, "size=64k"));
	snprintf(p, sizeof(p), "%s/f", in);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, "inside", 6), 6);
	close(fd);
	path_at(p, sizeof(p), "g");
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	ASSERT_OK(fd);
	close(fd);
	ASSERT_OK(t_walk(ROOT, 2, "mnt/f"));
	ASSERT_OK(t_lopen(2, O_RDONLY));
	ASSERT_EQ(t_read(2, 0, buf, sizeof(buf)), 6);
	ASSERT(!memcmp(buf, "inside", 6));
	/* the two filesystems' inodes get distinct qids */
	ASSERT_OK(t_walk_q(ROOT, 3, "mnt/f", &nq, &q1));
	ASSERT_OK(t_walk_q(ROOT, 4, "g", &nq, &q2));
	ASSERT(q1.path != q2.path);
	/* and still nothing above the share */
	ASSERT(t_walk(ROOT, 5, "mnt/../..") != 0);
	ASSERT_OK(umount2(in, MNT_DETACH)); /* the server holds fds there */
	canary_untouched();
}

TEST(readonly_share_refuses_every_change)
{
	char p[256], buf[64];
	struct stat st;
	uint64_t sz;
	uint8_t lst;

	setup(true, 0);
	write_host("f", "original");
	path_at(p, sizeof(p), "d");
	ASSERT_OK(mkdir(p, 0755));
	t_version_attach();
	/* reading works */
	ASSERT_EQ(t_walk(ROOT, 2, "f"), 0);
	ASSERT_EQ(t_lopen(2, P9_DOTL_RDONLY), 0);
	ASSERT_EQ(t_read(2, 0, buf, sizeof(buf)), 8);
	ASSERT_EQ(t_lock(P9_TLOCK, 2, P9_LOCK_TYPE_RDLCK, &lst), 0);
	ASSERT_EQ(t_write(2, 0, "x", 1), EBADF);
	ASSERT_EQ(t_write_sg(2, 0, "xy", 2), EBADF);
	/* no change of any kind */
	ASSERT_EQ(t_walk(ROOT, 3, "f"), 0);
	ASSERT_EQ(t_lopen(3, P9_DOTL_WRONLY), EROFS);
	ASSERT_EQ(t_lopen(3, P9_DOTL_RDWR), EROFS);
	ASSERT_EQ(t_lopen(3, P9_DOTL_RDONLY | P9_DOTL_TRUNC), EROFS);
	ASSERT_EQ(t_setattr(3, P9_SETATTR_SIZE, 0, 0, 0), EROFS);
	ASSERT_EQ(t_setattr(3, P9_SETATTR_MODE, 0777, 0, 0), EROFS);
	ASSERT_EQ(
		t_setattr(3, P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET, 0, 0, 1),
		EROFS);
	ASSERT_EQ(t_xattrcreate(3, "user.x", 1), EROFS);
	ASSERT_EQ(t_walk(ROOT, 4, ""), 0);
	ASSERT_EQ(t_lcreate(4, "new", P9_DOTL_CREATE | P9_DOTL_WRONLY, 0644),
		  EROFS);
	ASSERT_EQ(t_dirop(P9_TMKDIR, ROOT, "nd", 0755), EROFS);
	ASSERT_EQ(t_symlink(ROOT, "sl", "f"), EROFS);
	ASSERT_EQ(t_mknod(ROOT, "fifo", S_IFIFO | 0644, 0, 0), EROFS);
	ASSERT_EQ(t_link(ROOT, 3, "hard"), EROFS);
	ASSERT_EQ(t_renameat(ROOT, "f", ROOT, "g"), EROFS);
	ASSERT_EQ(t_dirop(P9_TUNLINKAT, ROOT, "f", 0), EROFS);
	ASSERT_EQ(t_dirop(P9_TUNLINKAT, ROOT, "d", P9_AT_REMOVEDIR), EROFS);
	{
		struct p9_tmsg m = { 0 };
		struct p9_r r;

		m.type = P9_TREMOVE;
		m.u.fid.fid = 3;
		ASSERT_EQ(rpc(&m, &r), EROFS);
		/* the fid is clunked all the same */
		ASSERT_EQ(t_clunk(3), EBADF);
		ASSERT_EQ(t_walk(ROOT, 3, "f"), 0);
		m.type = P9_TRENAME;
		m.u.rename.fid = 2;
		m.u.rename.dfid = ROOT;
		m.u.rename.name = S("h");
		ASSERT_EQ(rpc(&m, &r), EROFS);
	}
	ASSERT_EQ(t_xattrwalk(2, 5, "", &sz), 0);
	/* the host files as they were */
	ASSERT_EQ(read_host("f", buf, sizeof(buf)), 8);
	ASSERT_STREQ(buf, "original");
	ASSERT_OK(stat_host("f", &st));
	ASSERT_EQ(st.st_mode & 07777, 0644);
	ASSERT_OK(stat_host("d", &st));
	ASSERT_EQ(stat_host("new", &st), -1);
	ASSERT_EQ(stat_host("nd", &st), -1);
	ASSERT_EQ(stat_host("sl", &st), -1);
	ASSERT_EQ(stat_host("fifo", &st), -1);
	ASSERT_EQ(stat_host("hard", &st), -1);
	ASSERT_EQ(stat_host("g", &st), -1);
	canary_untouched();
}
