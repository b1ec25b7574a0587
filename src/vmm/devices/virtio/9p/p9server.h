/*
 * p9server.h: the 9P2000.L file server behind moat-vmm's virtio-9p device:
 * one share (a host directory, a tag, a read-only flag) per server.
 *
 * Inputs: T-messages from the guest (hostile), decoded once by the
 * transport (p9codec). The server turns each into *at() syscalls relative
 * to O_PATH fds it holds for the guest's fids, so that nothing the guest
 * sends can name a file outside the share: p9confine.h holds those rules
 * and the only code that opens files of the share. Requests are
 * dispatched through one table (p9server.c), one row per message type
 * with its handler (p9ops.h) and whether it modifies the share: on a
 * read-only share every modifying request answers EROFS, from the table,
 * before any handler runs. The guest makes no device node (Tmknod of a
 * block or character device is EPERM) and sees or sets no trusted.* xattr.
 * See docs/design.md "moat-vmm 9p server" and docs/threat-model.md "9p".
 *
 * Not thread-safe: one caller at a time (the device's queue handler).
 */
#ifndef MOAT_VMM_P9SERVER_H
#define MOAT_VMM_P9SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../../../common/err.h"
#include "p9codec.h"

#define P9_DEFAULT_MSIZE (512 * 1024)
#define P9_DEFAULT_MAX_FIDS 4096
#define P9_XATTR_MAX (64 * 1024)
#define P9_TAG_MAX 36 /* virtio-9p config: tag length is a u16, keep short */

struct p9server;

struct p9server_config {
	const char *path; /* the host directory shared (trusted) */
	const char *tag;  /* the mount tag the guest sees */
	bool readonly;
	/* Cross mount points under path (a share the runtime built of bind
	 * mounts); otherwise a lookup that lands on one is EXDEV. Either
	 * way nothing outside path is reached (RESOLVE_BENEATH). */
	bool submounts;
	uint32_t msize;	   /* the largest msize offered; 0: default */
	unsigned max_fids; /* 0: default */
};

/* Open the share's directory and make a server. Control-plane errors. */
struct p9server *p9server_new(const struct p9server_config *cfg,
			      struct moat_err **e);
/* Clunk every fid, close every fd, free. NULL is fine. */
void p9server_free(struct p9server *s);

const char *p9server_tag(const struct p9server *s);
/* The msize in effect (after Tversion, the negotiated one). */
uint32_t p9server_msize(const struct p9server *s);

#define P9_SG_MAX 256 /* segments of scattered data in one request */

struct iovec;

/*
 * One request, decoded once by its transport, and where its data and its
 * reply lie. The transport fills the inputs; p9_serve fills the outputs.
 */
struct p9_req {
	/* The decoder's result (0, or a P9_E* code: answered with an
	 * Rlerror) and the message: p9_decode's, or p9_decode_twrite_hdr's
	 * for a Twrite whose data are not in the message. */
	int decoded;
	struct p9_tmsg m;
	/* A Twrite's data when m.u.write.data is NULL: nwdata (at most
	 * P9_SG_MAX) segments, written with one pwritev from where they lie
	 * (the guest may change them meanwhile: that only changes the bytes
	 * it writes). */
	const struct iovec *wdata;
	unsigned nwdata;
	/* The reply buffer: the R-message is built there (out_cap bytes). */
	uint8_t *out;
	size_t out_cap;
	/* Optional, for a Tread: the guest's writable buffers when they are
	 * scattered, the first (hdr, hdr_cap bytes, at least
	 * P9_IOHDR_SIZE) for the Rread header and the start of the data,
	 * then nrdata (at most P9_SG_MAX) segments. A read of a file goes
	 * into them with one preadv (Linux's zero-copy reads into the
	 * user's pages: no copy at all); any other reply is built in out. */
	uint8_t *hdr;
	size_t hdr_cap;
	const struct iovec *rdata;
	unsigned nrdata;
	/* Out: the data went straight between the file and the scattered
	 * segments (one preadv or pwritev was made). */
	bool sg;
	/* Out: the reply is in hdr and rdata, not in out. */
	bool direct;
};

/*
 * Serve one request. Returns the reply's length (in out, or with
 * r->direct in hdr and rdata), or -1 if out_cap cannot hold even an
 * Rlerror (11 bytes); nothing the guest sends makes this fail otherwise:
 * a bad request gets an Rlerror.
 */
int p9_serve(struct p9server *s, struct p9_req *r);

/*
 * p9_serve of the T-message in req (req_len bytes), decoded here, its
 * reply in resp (resp_cap bytes): for a transport that has the whole
 * message in one buffer (tests, fuzzers). Same result as p9_serve.
 */
int p9_handle(struct p9server *s, const uint8_t *req, size_t req_len,
	      uint8_t *resp, size_t resp_cap);

#endif
