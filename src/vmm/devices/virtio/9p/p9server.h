/*
 * p9server.h: the 9P2000.L file server behind moat-vmm's virtio-9p device:
 * one share (a host directory, a tag, a read-only flag) per server.
 *
 * Inputs: T-messages from the guest (hostile), decoded by p9codec. The
 * server turns each into *at() syscalls relative to O_PATH fds it holds for
 * the guest's fids, so that nothing the guest sends can name a file outside
 * the share:
 *  - a name from the guest is always one path element (no "/", ".", ".."),
 *    checked by the codec;
 *  - every lookup is openat2(dirfd, name, O_PATH | O_NOFOLLOW) with
 *    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
 *    RESOLVE_NO_XDEV from a directory already inside the share: a symlink
 *    is never followed (the guest's kernel resolves its own symlinks), a
 *    mount point inside the share is not crossed;
 *  - a file is reopened for I/O from its parent directory fd and its name,
 *    again without following anything, and only if it is still the same
 *    inode (st_dev, st_ino) the fid was walked to;
 *  - only regular files and directories are ever opened for I/O; device
 *    nodes are not created (Tmknod of a block or character device is EPERM)
 *    and any already in the share cannot be opened;
 *  - on a read-only share every modifying request answers EROFS.
 * See docs/design.md "moat-vmm 9p server" and docs/threat-model.md "9p".
 * Needs Linux 5.6 (openat2).
 *
 * Not thread-safe: one caller at a time (the device's queue handler).
 */
#ifndef MOAT_VMM_P9SERVER_H
#define MOAT_VMM_P9SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../../../common/err.h"

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

/*
 * Handle one request: req holds one T-message (req_len bytes); the
 * R-message is written into resp (resp_cap bytes; the transport gives the
 * guest's writable buffer). Tread data are read straight into resp and
 * Twrite data written straight from req. Returns the response's length, or
 * -1 if resp_cap cannot hold even an Rlerror (11 bytes); nothing the guest
 * sends makes this fail otherwise: a bad request gets an Rlerror.
 */
int p9_handle(struct p9server *s, const uint8_t *req, size_t req_len,
	      uint8_t *resp, size_t resp_cap);

#define P9_SG_MAX 256	    /* data segments p9_handle_read_sg takes */
#define P9_SG_DECLINED (-2) /* not for p9_handle_read_sg: use p9_handle */

/*
 * Handle req only if it is a Tread of a file opened for reading, with its
 * reply scattered: the Rread header (and the start of the data) in hdr
 * (hdr_cap bytes, at least P9_IOHDR_SIZE), the rest of the data in the
 * niov segments of iov, read with one preadv (for Linux's zero-copy reads
 * into the user's pages: no copy at all). The count is bounded by the room
 * in hdr and iov and by msize. Returns the reply's length (an Rread, or
 * an Rlerror in hdr when the read fails), or P9_SG_DECLINED having done
 * nothing, for any other request (including a Tread that would fail
 * before reading): the caller then uses p9_handle.
 */
struct iovec;
int p9_handle_read_sg(struct p9server *s, const uint8_t *req, size_t req_len,
		      uint8_t *hdr, size_t hdr_cap, const struct iovec *iov,
		      unsigned niov);

/*
 * Handle a Twrite only, its data scattered (Linux's zero-copy writes from
 * the user's pages): hdr holds the first hdr_len bytes of the request (at
 * least its P9_TWRITE_HDR_SIZE-byte header, copied: the guest cannot
 * change it), the whole request is req_len bytes, and its data, the
 * req_len - P9_TWRITE_HDR_SIZE bytes after the header, are the niov
 * segments of iov, written with one pwritev from where they lie (the
 * guest may change them meanwhile: that only changes the bytes it
 * writes). The Rwrite (or an Rlerror when the write fails) goes to resp.
 * Returns its length, or P9_SG_DECLINED having done nothing for anything
 * else (another type, a malformed header, a fid that is not a file open
 * for writing, a read-only share): the caller then copies the request and
 * uses p9_handle.
 */
int p9_handle_write_sg(struct p9server *s, const uint8_t *hdr, size_t hdr_len,
		       size_t req_len, const struct iovec *iov, unsigned niov,
		       uint8_t *resp, size_t resp_cap);

#endif
