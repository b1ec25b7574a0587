/*
 * p9codec.h: a pure codec for 9P2000.L messages.
 *
 * Decoding: one T-message (guest-controlled bytes) into struct p9_tmsg.
 * Every size, count and string length is checked against the message and
 * against the negotiated msize; strings are views into the message (not
 * NUL-terminated) with their length; a string that must be one path element
 * (a name in a directory) may not be "", "." or "..", nor contain '/' or a
 * NUL byte; no string may contain a NUL byte. The decoder allocates nothing
 * and keeps no state.
 *
 * Encoding: struct p9_w writes a message into a caller buffer; a write that
 * would not fit sets w->err and writes nothing more, so a caller checks once
 * at the end (p9_w_finish). The same writer builds R-messages (the server)
 * and T-messages (tests).
 *
 * Inputs: the guest, through the 9p virtqueue. No syscalls, no globals.
 * Spec: 9P2000 (Plan 9 intro(5)) and the 9P2000.L message set as the Linux
 * client speaks it (include/net/9p/9p.h, net/9p/client.c formats);
 * integers little-endian, strings s[2] then bytes, qid type[1] version[4]
 * path[8].
 */
#ifndef MOAT_VMM_P9CODEC_H
#define MOAT_VMM_P9CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Message types (T = even, R = T + 1). */
enum {
	P9_TLERROR = 6,
	P9_RLERROR = 7,
	P9_TSTATFS = 8,
	P9_RSTATFS = 9,
	P9_TLOPEN = 12,
	P9_RLOPEN = 13,
	P9_TLCREATE = 14,
	P9_RLCREATE = 15,
	P9_TSYMLINK = 16,
	P9_RSYMLINK = 17,
	P9_TMKNOD = 18,
	P9_RMKNOD = 19,
	P9_TRENAME = 20,
	P9_RRENAME = 21,
	P9_TREADLINK = 22,
	P9_RREADLINK = 23,
	P9_TGETATTR = 24,
	P9_RGETATTR = 25,
	P9_TSETATTR = 26,
	P9_RSETATTR = 27,
	P9_TXATTRWALK = 30,
	P9_RXATTRWALK = 31,
	P9_TXATTRCREATE = 32,
	P9_RXATTRCREATE = 33,
	P9_TREADDIR = 40,
	P9_RREADDIR = 41,
	P9_TFSYNC = 50,
	P9_RFSYNC = 51,
	P9_TLOCK = 52,
	P9_RLOCK = 53,
	P9_TGETLOCK = 54,
	P9_RGETLOCK = 55,
	P9_TLINK = 70,
	P9_RLINK = 71,
	P9_TMKDIR = 72,
	P9_RMKDIR = 73,
	P9_TRENAMEAT = 74,
	P9_RRENAMEAT = 75,
	P9_TUNLINKAT = 76,
	P9_RUNLINKAT = 77,
	P9_TVERSION = 100,
	P9_RVERSION = 101,
	P9_TAUTH = 102,
	P9_RAUTH = 103,
	P9_TATTACH = 104,
	P9_RATTACH = 105,
	P9_TFLUSH = 108,
	P9_RFLUSH = 109,
	P9_TWALK = 110,
	P9_RWALK = 111,
	P9_TREAD = 116,
	P9_RREAD = 117,
	P9_TWRITE = 118,
	P9_RWRITE = 119,
	P9_TCLUNK = 120,
	P9_RCLUNK = 121,
	P9_TREMOVE = 122,
	P9_RREMOVE = 123,
};

#define P9_HDR_SIZE 7	  /* size[4] type[1] tag[2] */
#define P9_IOHDR_SIZE 11  /* Rread header: + count[4] */
#define P9_QID_SIZE 13	  /* type[1] version[4] path[8] */
#define P9_MIN_MSIZE 4096 /* smallest msize the server accepts */
#define P9_MAXWELEM 16	  /* names in one Twalk */
#define P9_NOTAG 0xffff
#define P9_NOFID 0xffffffffu
#define P9_NAME_MAX 255 /* longest single path element */
#define P9_STR_MAX 4096 /* longest other string (symlink target) */

/* Qid types. */
#define P9_QTDIR 0x80
#define P9_QTAPPEND 0x40
#define P9_QTEXCL 0x20
#define P9_QTSYMLINK 0x02
#define P9_QTFILE 0x00

/* Tgetattr request mask / Rgetattr valid bits. */
#define P9_GETATTR_MODE 0x1ULL
#define P9_GETATTR_NLINK 0x2ULL
#define P9_GETATTR_UID 0x4ULL
#define P9_GETATTR_GID 0x8ULL
#define P9_GETATTR_RDEV 0x10ULL
#define P9_GETATTR_ATIME 0x20ULL
#define P9_GETATTR_MTIME 0x40ULL
#define P9_GETATTR_CTIME 0x80ULL
#define P9_GETATTR_INO 0x100ULL
#define P9_GETATTR_SIZE 0x200ULL
#define P9_GETATTR_BLOCKS 0x400ULL
#define P9_GETATTR_BASIC 0x7ffULL

/* Tsetattr valid bits. */
#define P9_SETATTR_MODE 0x1u
#define P9_SETATTR_UID 0x2u
#define P9_SETATTR_GID 0x4u
#define P9_SETATTR_SIZE 0x8u
#define P9_SETATTR_ATIME 0x10u
#define P9_SETATTR_MTIME 0x20u
#define P9_SETATTR_CTIME 0x40u
#define P9_SETATTR_ATIME_SET 0x80u
#define P9_SETATTR_MTIME_SET 0x100u

/* Tlopen / Tlcreate flags (the Linux client's P9_DOTL_* values). */
#define P9_DOTL_RDONLY 00000000u
#define P9_DOTL_WRONLY 00000001u
#define P9_DOTL_RDWR 00000002u
#define P9_DOTL_ACCMODE 00000003u
#define P9_DOTL_CREATE 00000100u
#define P9_DOTL_EXCL 00000200u
#define P9_DOTL_NOCTTY 00000400u
#define P9_DOTL_TRUNC 00001000u
#define P9_DOTL_APPEND 00002000u
#define P9_DOTL_NONBLOCK 00004000u
#define P9_DOTL_DSYNC 00010000u
#define P9_DOTL_FASYNC 00020000u
#define P9_DOTL_DIRECT 00040000u
#define P9_DOTL_LARGEFILE 00100000u
#define P9_DOTL_DIRECTORY 00200000u
#define P9_DOTL_NOFOLLOW 00400000u
#define P9_DOTL_NOATIME 01000000u
#define P9_DOTL_CLOEXEC 02000000u
#define P9_DOTL_SYNC 04000000u

#define P9_AT_REMOVEDIR 0x200u

/* Tlock / Tgetlock. */
#define P9_LOCK_TYPE_RDLCK 0
#define P9_LOCK_TYPE_WRLCK 1
#define P9_LOCK_TYPE_UNLCK 2
#define P9_LOCK_FLAGS_BLOCK 1u
#define P9_LOCK_FLAGS_RECLAIM 2u
#define P9_LOCK_SUCCESS 0
#define P9_LOCK_BLOCKED 1
#define P9_LOCK_ERROR 2
#define P9_LOCK_GRACE 3

/* Decoder results (negative). */
#define P9_EMSG (-1)  /* malformed: short, overlong, bad size or count */
#define P9_ETYPE (-2) /* not a T-message this codec knows */
#define P9_ENAME (-3) /* a string with NUL, or a bad path element */
#define P9_EBIG (-4)  /* larger than msize */

/* A string in a message: a view, not NUL-terminated. */
struct p9_str {
	const char *s;
	uint16_t len;
};

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

struct p9_tmsg {
	uint32_t size;
	uint8_t type;
	uint16_t tag;
	union {
		struct {
			uint32_t msize;
			struct p9_str version;
		} version;
		struct { /* Tattach and Tauth (fid = afid for Tauth) */
			uint32_t fid, afid;
			struct p9_str uname, aname;
			uint32_t n_uname;
		} attach;
		struct {
			uint16_t oldtag;
		} flush;
		struct {
			uint32_t fid, newfid;
			uint16_t nwname;
			struct p9_str wname[P9_MAXWELEM];
		} walk;
		struct { /* Tclunk, Tremove, Tstatfs, Treadlink */
			uint32_t fid;
		} fid;
		struct {
			uint32_t fid, flags;
		} lopen;
		struct {
			uint32_t fid;
			struct p9_str name;
			uint32_t flags, mode, gid;
		} lcreate;
		struct {
			uint32_t fid;
			struct p9_str name, target;
			uint32_t gid;
		} symlink;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t mode, major, minor, gid;
		} mknod;
		struct {
			uint32_t fid, dfid;
			struct p9_str name;
		} rename;
		struct {
			uint32_t fid;
			uint64_t mask;
		} getattr;
		struct {
			uint32_t fid, valid, mode, uid, gid;
			uint64_t size, atime_sec, atime_nsec, mtime_sec,
				mtime_nsec;
		} setattr;
		struct {
			uint32_t fid, newfid;
			struct p9_str name; /* "" lists the attributes */
		} xattrwalk;
		struct {
			uint32_t fid;
			struct p9_str name;
			uint64_t size;
			uint32_t flags;
		} xattrcreate;
		struct { /* Tread and Treaddir */
			uint32_t fid;
			uint64_t offset;
			uint32_t count;
		} read;
		struct {
			uint32_t fid;
			uint64_t offset;
			uint32_t count;
			const uint8_t
				*data; /* count bytes inside the message */
		} write;
		struct {
			uint32_t fid, datasync;
		} fsync;
		struct { /* Tlock and Tgetlock (flags 0 for Tgetlock) */
			uint32_t fid;
			uint8_t type;
			uint32_t flags;
			uint64_t start, length;
			uint32_t proc_id;
			struct p9_str client_id;
		} lock;
		struct {
			uint32_t dfid, fid;
			struct p9_str name;
		} link;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t mode, gid;
		} mkdir;
		struct {
			uint32_t olddfid;
			struct p9_str oldname;
			uint32_t newdfid;
			struct p9_str newname;
		} renameat;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t flags;
		} unlinkat;
	} u;
};

/*
 * Decode the T-message at buf (len bytes available; the message's size
 * field must be at least P9_HDR_SIZE and at most len and msize). Returns 0,
 * or a negative P9_E* code. When the result is not P9_EMSG for a short
 * header, m->type and m->tag are filled so the caller can answer with an
 * Rlerror; m->tag is P9_NOTAG when even the header was unreadable.
 */
int p9_decode(const uint8_t *buf, size_t len, uint32_t msize,
	      struct p9_tmsg *m);

#define P9_TWRITE_HDR_SIZE 23 /* size type tag fid[4] offset[8] count[4] */

/*
 * Decode only the header of a Twrite whose data lie elsewhere (Linux's
 * zero-copy writes: the header in one buffer, the user's pages after it):
 * hdr holds hdr_len >= P9_TWRITE_HDR_SIZE bytes of its start, and the
 * whole message is msg_len bytes. Checks that it is a Twrite, that its
 * size field is msg_len, at most msize, and that count is exactly the
 * bytes after the header. Fills m->size, type, tag and u.write (data
 * NULL). Returns 0, P9_EMSG, or P9_EBIG (above msize): for a message of
 * msg_len bytes whose size field says so, what p9_decode would return.
 */
int p9_decode_twrite_hdr(const uint8_t *hdr, size_t hdr_len, size_t msg_len,
			 uint32_t msize, struct p9_tmsg *m);

/* The errno an Rlerror carries for a decoder result. */
int p9_decode_errno(int r);

/* Whether s is one path element: not "", ".", "..", no '/' or NUL, at most
 * P9_NAME_MAX bytes. */
bool p9_name_ok(const struct p9_str *s);

/* Copy a string view into dst (cap bytes, NUL-terminated); false if it does
 * not fit. */
bool p9_str_copy(char *dst, size_t cap, const struct p9_str *s);

/* --- encoding --------------------------------------------------------------
 */
struct p9_w {
	uint8_t *buf;
	size_t cap, len;
	bool err;
};

/* Start a message of type with tag (writes a header with size 0). */
void p9_w_init(struct p9_w *w, uint8_t *buf, size_t cap, uint8_t type,
	       uint16_t tag);
void p9_put_u8(struct p9_w *w, uint8_t v);
void p9_put_u16(struct p9_w *w, uint16_t v);
void p9_put_u32(struct p9_w *w, uint32_t v);
void p9_put_u64(struct p9_w *w, uint64_t v);
void p9_put_str(struct p9_w *w, const char *s, size_t len);
void p9_put_cstr(struct p9_w *w, const char *s);
void p9_put_qid(struct p9_w *w, const struct p9_qid *q);
void p9_put_bytes(struct p9_w *w, const void *p, size_t len);
/* Reserve n bytes to be filled by the caller (e.g. Rread's data, read
 * straight into the buffer); NULL (and w->err) if they do not fit. */
uint8_t *p9_w_reserve(struct p9_w *w, size_t n);
/* Give back the last n reserved bytes (fewer were filled). */
void p9_w_unreserve(struct p9_w *w, size_t n);
/* Store a u32 at a given offset of the message (a count known late). */
void p9_w_patch_u32(struct p9_w *w, size_t off, uint32_t v);
/* Finish: store the size. Returns the message length, or P9_EBIG if
 * anything did not fit. */
int p9_w_finish(struct p9_w *w);

/* Size of one Rreaddir entry: qid[13] offset[8] type[1] name[s]. */
static inline size_t p9_dirent_size(size_t namelen)
{
	return P9_QID_SIZE + 8 + 1 + 2 + namelen;
}

/* Encode a T-message (the inverse of p9_decode; Tfsync always carries
 * datasync). Returns the length, P9_EBIG if it does not fit in cap, or
 * P9_ETYPE / P9_EMSG for a message that cannot be encoded. */
int p9_encode_t(const struct p9_tmsg *m, uint8_t *buf, size_t cap);

/* Rlerror for tag: returns the length, or P9_EBIG if cap < 11. */
int p9_enc_rlerror(uint8_t *buf, size_t cap, uint16_t tag, uint32_t ecode);

/* --- reading R-messages (tests) --------------------------------------------
 * A bounded reader over any message; a read past the end sets r->err and
 * yields zeroes. */
struct p9_r {
	const uint8_t *buf;
	size_t len, off;
	bool err;
};

void p9_r_init(struct p9_r *r, const uint8_t *buf, size_t len);
uint8_t p9_get_u8(struct p9_r *r);
uint16_t p9_get_u16(struct p9_r *r);
uint32_t p9_get_u32(struct p9_r *r);
uint64_t p9_get_u64(struct p9_r *r);
/* A string view; false (and r->err) if its length runs past the end. */
bool p9_get_str(struct p9_r *r, struct p9_str *s);
void p9_get_qid(struct p9_r *r, struct p9_qid *q);
/* A pointer to n bytes in the message, or NULL (and r->err). */
const uint8_t *p9_get_bytes(struct p9_r *r, size_t n);

#endif
