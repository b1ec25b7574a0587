/*
 * fuzz_p9server.c: libFuzzer target for the 9P2000.L server, run for real
 * on a temporary tree (it makes syscalls: run it as a user that may write
 * /tmp). The input is a sequence of T-messages (each cut by its own size
 * field) sent after a Tversion and a Tattach of fid 0 to the share's root.
 * Checks that every reply is one well-formed R-message for its request
 * (a Tread of an open file into scattered buffers instead, as virtio-9p
 * serves zero-copy reads; a Twrite's data from two segments, as it serves
 * zero-copy writes),
 * and that nothing outside the share (a canary file beside it) changes.
 * The share is emptied before each input; a fresh server serves each.
 */
#include "../../src/vmm/devices/virtio/9p/p9codec.h"
#include "../../src/vmm/devices/virtio/9p/p9server.h"

#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define RESP_CAP (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64], share[96], canary[96];
static struct stat canary_st;

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	if (ftw->level == 0)
		return 0;     /* keep the share itself */
	if (flag == FTW_DP) { /* a real directory (FTW_PHYS) */
		chmod(path, 0700);
		return rmdir(path);
	}
	return unlink(path); /* never chmod by name: it may be a symlink */
}

static int rm_all(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* The temporary tree goes; the next input makes a new one. */
static void cleanup(void)
{
	if (root[0])
		nftw(root, rm_all, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	root[0] = '\0';
}

void fuzz_target_done(void); /* replay.c's hook */
void fuzz_target_done(void)
{
	cleanup();
}

static void setup_once(void)
{
	static bool registered;
	FILE *f;

	if (root[0])
		return;
	snprintf(root, sizeof(root), "/tmp/moat-9pfuzz.XXXXXX");
	if (!mkdtemp(root))
		abort();
	snprintf(share, sizeof(share), "%s/share", root);
	snprintf(canary, sizeof(canary), "%s/canary", root);
	if (mkdir(share, 0755) < 0)
		abort();
	f = fopen(canary, "w");
	if (!f)
		abort();
	fputs("canary\n", f);
	fclose(f);
	if (lstat(canary, &canary_st) < 0)
		abort();
	if (!registered)
		atexit(cleanup);
	registered = true;
}

static void check_reply(const uint8_t *req, size_t req_len, const uint8_t *resp,
			int n)
{
	uint32_t sz;

	if (n < P9_HDR_SIZE || n > RESP_CAP)
		abort();
	sz = (uint32_t)resp[0] | (uint32_t)resp[1] << 8 |
	     (uint32_t)resp[2] << 16 | (uint32_t)resp[3] << 24;
	if (sz != (uint32_t)n)
		abort();
	if (req_len >= P9_HDR_SIZE) {
		if (resp[5] != req[5] || resp[6] != req[6])
			abort();
		if (resp[4] != P9_RLERROR && resp[4] != (uint8_t)(req[4] + 1))
			abort();
	}
}

/* A Tread is served with the reply's buffers scattered too (as virtio-9p
 * serves Linux's zero-copy reads): header and data in three buffers, a
 * read of a file straight into them, any other reply in resp; either must
 * be one well-formed R-message no longer than its buffers. */
static void send(struct p9server *s, const uint8_t *req, size_t len,
		 uint8_t *resp)
{
	static uint8_t hdr[64], d1[100], d2[4096];
	struct iovec iov[2] = { { d1, sizeof(d1) }, { d2, sizeof(d2) } };
	struct iovec wd[2];
	struct p9_req r;
	int n;

	memset(&r, 0, sizeof(r));
	if (len > P9_TWRITE_HDR_SIZE && req[4] == P9_TWRITE) {
		/* A Twrite's data from where they lie, in two pieces. */
		size_t half = (len - P9_TWRITE_HDR_SIZE) / 2;

		wd[0].iov_base = (void *)(req + P9_TWRITE_HDR_SIZE);
		wd[0].iov_len = half;
		wd[1].iov_base = (void *)(req + P9_TWRITE_HDR_SIZE + half);
		wd[1].iov_len = len - P9_TWRITE_HDR_SIZE - half;
		r.decoded = p9_decode_twrite_hdr(req, P9_TWRITE_HDR_SIZE, len,
						 p9server_msize(s), &r.m);
		r.wdata = wd;
		r.nwdata = 2;
	} else {
		r.decoded = p9_decode(req, len, p9server_msize(s), &r.m);
	}
	r.out = resp;
	r.out_cap = RESP_CAP;
	if (r.decoded == 0 && r.m.type == P9_TREAD) {
		r.hdr = hdr;
		r.hdr_cap = sizeof(hdr);
		r.rdata = iov;
		r.nrdata = 2;
	}
	n = p9_serve(s, &r);
	if (!r.direct) {
		check_reply(req, len, resp, n);
		return;
	}
	if (n < P9_HDR_SIZE ||
	    (size_t)n > sizeof(hdr) + sizeof(d1) + sizeof(d2) ||
	    ((uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
	     (uint32_t)hdr[3] << 24) != (uint32_t)n ||
	    hdr[4] != P9_RREAD || hdr[5] != req[5] || hdr[6] != req[6])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t resp[RESP_CAP], hello[256];
	struct p9server_config cfg = { 0 };
	struct p9server *s;
	struct p9_tmsg m;
	struct stat st;
	int n;

	setup_once();
	nftw(share, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	chmod(share, 0755);
	cfg.path = share;
	cfg.tag = "fuzz";
	cfg.msize = 64 * 1024;
	cfg.max_fids = 64;
	cfg.readonly = size > 0 && data[0] == 'R';
	s = p9server_new(&cfg, NULL);
	if (!s)
		abort();
	memset(&m, 0, sizeof(m));
	m.type = P9_TVERSION;
	m.tag = P9_NOTAG;
	m.u.version.msize = 64 * 1024;
	m.u.version.version = (struct p9_str){ "9P2000.L", 8 };
	n = p9_encode_t(&m, hello, sizeof(hello));
	send(s, hello, (size_t)n, resp);
	memset(&m, 0, sizeof(m));
	m.type = P9_TATTACH;
	m.u.attach.afid = P9_NOFID;
	m.u.attach.uname = (struct p9_str){ "root", 4 };
	n = p9_encode_t(&m, hello, sizeof(hello));
	send(s, hello, (size_t)n, resp);
	while (size > 0) {
		size_t len = size;

		if (size >= 4) {
			uint32_t sz = (uint32_t)data[0] |
				      (uint32_t)data[1] << 8 |
				      (uint32_t)data[2] << 16 |
				      (uint32_t)data[3] << 24;

			if (sz >= P9_HDR_SIZE && sz <= size)
				len = sz;
		}
		send(s, data, len, resp);
		data += len;
		size -= len;
	}
	p9server_free(s);
	if (lstat(canary, &st) < 0 || st.st_size != canary_st.st_size ||
	    st.st_mode != canary_st.st_mode ||
	    st.st_nlink != canary_st.st_nlink ||
	    st.st_mtim.tv_sec != canary_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != canary_st.st_mtim.tv_nsec ||
	    st.st_ctim.tv_nsec != canary_st.st_ctim.tv_nsec)
		abort();
	return 0;
}
