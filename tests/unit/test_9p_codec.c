/*
 * test_9p_codec.c: the 9P2000.L codec: byte layouts checked against hand
 * written messages, round trips of every T-message, and the decoder's
 * refusals (sizes, counts, strings, names, msize).
 */
#include "../harness/test.h"
#include "../../src/vmm/devices/virtio/9p/p9codec.h"

#include <errno.h>
#include <string.h>

#define S(x) ((struct p9_str){ (x), (uint16_t)(sizeof(x) - 1) })

static uint8_t buf[65536];

static int enc(const struct p9_tmsg *m)
{
	int n = p9_encode_t(m, buf, sizeof(buf));

	if (n < 0)
		FAIL("encode type %u: %d", m->type, n);
	return n;
}

TEST(twalk_layout_by_hand)
{
	/* size[4] type[1] tag[2] fid[4] newfid[4] nwname[2] "ab" "c" */
	static const uint8_t msg[] = { 27, 0,	0,   0, 110, 0x34, 0x12, 1, 0,
				       0,  0,	2,   0, 0,   0,	   2,	 0, 2,
				       0,  'a', 'b', 1, 0,   'c',  0,	 0, 0 };
	struct p9_tmsg m;

	/* The hand-written message above has 3 trailing bytes: fix the size
	 * to what the body really is first. */
	uint8_t b[sizeof(msg)];

	memcpy(b, msg, sizeof(b));
	b[0] = 24;
	ASSERT_EQ(p9_decode(b, 24, 8192, &m), 0);
	ASSERT_EQ(m.type, P9_TWALK);
	ASSERT_EQ(m.tag, 0x1234);
	ASSERT_EQ(m.u.walk.fid, 1);
	ASSERT_EQ(m.u.walk.newfid, 2);
	ASSERT_EQ(m.u.walk.nwname, 2);
	ASSERT_EQ(m.u.walk.wname[0].len, 2);
	ASSERT(!memcmp(m.u.walk.wname[0].s, "ab", 2));
	ASSERT_EQ(m.u.walk.wname[1].len, 1);
	ASSERT_EQ(m.u.walk.wname[1].s[0], 'c');
	/* The views point into the message. */
	ASSERT(m.u.walk.wname[0].s == (const char *)b + 19);
	/* Trailing bytes inside the size are refused. */
	b[0] = 27;
	ASSERT_EQ(p9_decode(b, 27, 8192, &m), P9_EMSG);
}

TEST(rlerror_and_header_layout)
{
	uint8_t b[16];
	static const uint8_t want[] = { 11, 0, 0, 0, 7, 5, 0, 2, 0, 0, 0 };

	ASSERT_EQ(p9_enc_rlerror(b, sizeof(b), 5, ENOENT), 11);
	ASSERT(!memcmp(b, want, sizeof(want)));
	ASSERT_EQ(p9_enc_rlerror(b, 10, 5, ENOENT), P9_EBIG);
}

TEST(every_tmessage_round_trips)
{
	static const uint8_t data[] = "hello";
	struct p9_tmsg ms[32], m;
	unsigned i, n = 0;

	memset(ms, 0, sizeof(ms));
	ms[n].type = P9_TVERSION;
	ms[n].u.version.msize = 65536;
	ms[n++].u.version.version = S("9P2000.L");
	ms[n].type = P9_TATTACH;
	ms[n].u.attach.fid = 1;
	ms[n].u.attach.afid = P9_NOFID;
	ms[n].u.attach.uname = S("root");
	ms[n].u.attach.aname = S("");
	ms[n++].u.attach.n_uname = 0;
	ms[n].type = P9_TWALK;
	ms[n].u.walk.fid = 1;
	ms[n].u.walk.newfid = 2;
	ms[n].u.walk.nwname = 3;
	ms[n].u.walk.wname[0] = S("usr");
	ms[n].u.walk.wname[1] = S("lib");
	ms[n++].u.walk.wname[2] = S("x.so");
	ms[n].type = P9_TLOPEN;
	ms[n].u.lopen.fid = 2;
	ms[n++].u.lopen.flags = P9_DOTL_RDWR;
	ms[n].type = P9_TLCREATE;
	ms[n].u.lcreate.name = S("new");
	ms[n++].u.lcreate.mode = 0644;
	ms[n].type = P9_TSYMLINK;
	ms[n].u.symlink.name = S("l");
	ms[n++].u.symlink.target = S("../../etc/passwd");
	ms[n].type = P9_TMKNOD;
	ms[n].u.mknod.name = S("f");
	ms[n++].u.mknod.mode = 010644;
	ms[n].type = P9_TRENAME;
	ms[n++].u.rename.name = S("r");
	ms[n].type = P9_TREADLINK;
	ms[n++].u.fid.fid = 9;
	ms[n].type = P9_TGETATTR;
	ms[n++].u.getattr.mask = P9_GETATTR_BASIC;
	ms[n].type = P9_TSETATTR;
	ms[n].u.setattr.valid = P9_SETATTR_SIZE;
	ms[n++].u.setattr.size = 1ULL << 40;
	ms[n].type = P9_TXATTRWALK;
	ms[n++].u.xattrwalk.name = S("user.x");
	ms[n].type = P9_TXATTRCREATE;
	ms[n].u.xattrcreate.name = S("user.x");
	ms[n++].u.xattrcreate.size = 3;
	ms[n].type = P9_TREADDIR;
	ms[n++].u.read.count = 4096;
	ms[n].type = P9_TREAD;
	ms[n].u.read.offset = 7;
	ms[n++].u.read.count = 100;
	ms[n].type = P9_TWRITE;
	ms[n].u.write.count = 5;
	ms[n++].u.write.data = data;
	ms[n].type = P9_TFSYNC;
	ms[n++].u.fsync.datasync = 1;
	ms[n].type = P9_TLOCK;
	ms[n].u.lock.type = P9_LOCK_TYPE_WRLCK;
	ms[n].u.lock.flags = P9_LOCK_FLAGS_BLOCK;
	ms[n].u.lock.length = 10;
	ms[n++].u.lock.client_id = S("host");
	ms[n].type = P9_TGETLOCK;
	ms[n].u.lock.type = P9_LOCK_TYPE_RDLCK;
	ms[n++].u.lock.client_id = S("host");
	ms[n].type = P9_TLINK;
	ms[n++].u.link.name = S("hard");
	ms[n].type = P9_TMKDIR;
	ms[n].u.mkdir.name = S("d");
	ms[n++].u.mkdir.mode = 0755;
	ms[n].type = P9_TRENAMEAT;
	ms[n].u.renameat.oldname = S("a");
	ms[n++].u.renameat.newname = S("b");
	ms[n].type = P9_TUNLINKAT;
	ms[n].u.unlinkat.name = S("d");
	ms[n++].u.unlinkat.flags = P9_AT_REMOVEDIR;
	ms[n].type = P9_TSTATFS;
	ms[n++].u.fid.fid = 1;
	ms[n].type = P9_TCLUNK;
	ms[n++].u.fid.fid = 2;
	ms[n].type = P9_TREMOVE;
	ms[n++].u.fid.fid = 3;
	ms[n].type = P9_TFLUSH;
	ms[n++].u.flush.oldtag = 4;
	ms[n].type = P9_TAUTH;
	ms[n].u.attach.afid = 5;
	ms[n].u.attach.uname = S("u");
	ms[n++].u.attach.aname = S("a");
	for (i = 0; i < n; i++) {
		int len;
		uint8_t again[1024];

		ms[i].tag = (uint16_t)(i + 1);
		len = enc(&ms[i]);
		if (p9_decode(buf, (size_t)len, 65536, &m) != 0)
			FAIL("message %u (type %u) does not decode", i,
			     ms[i].type);
		ASSERT_EQ(m.type, ms[i].type);
		ASSERT_EQ(m.tag, i + 1);
		ASSERT_EQ(m.size, len);
		ASSERT_EQ(p9_encode_t(&m, again, sizeof(again)), len);
		if (memcmp(again, buf, (size_t)len))
			FAIL("message %u (type %u) does not round trip", i,
			     ms[i].type);
		/* Every truncation is refused, none reads past it. */
		for (int cut = 0; cut < len; cut++) {
			uint8_t t[1024];

			memcpy(t, buf, (size_t)cut);
			if (cut >= 4) {
				t[0] = (uint8_t)cut;
				t[1] = t[2] = t[3] = 0;
			}
			int r = p9_decode(t, (size_t)cut, 65536, &m);
			if (r == 0 &&
			    !(ms[i].type == P9_TFSYNC && cut == len - 4))
				FAIL("message %u cut at %d decoded", i, cut);
		}
	}
}

TEST(size_field_checked_against_buffer_and_msize)
{
	struct p9_tmsg m = { 0 }, d;
	int n;

	m.type = P9_TREAD;
	m.u.read.count = 10;
	n = enc(&m);
	/* size larger than the buffer */
	ASSERT_EQ(p9_decode(buf, (size_t)n - 1, 65536, &d), P9_EMSG);
	/* size smaller than a header */
	buf[0] = 6;
	ASSERT_EQ(p9_decode(buf, (size_t)n, 65536, &d), P9_EMSG);
	buf[0] = (uint8_t)n;
	/* larger than msize */
	ASSERT_EQ(p9_decode(buf, (size_t)n, (uint32_t)n - 1, &d), P9_EBIG);
	ASSERT_EQ(d.tag, m.tag);
	ASSERT_EQ(p9_decode(buf, (size_t)n, (uint32_t)n, &d), 0);
	/* extra bytes after the message in the buffer are not part of it */
	ASSERT_EQ(p9_decode(buf, (size_t)n + 100, 65536, &d), 0);
	/* an R-message or an unknown type */
	buf[4] = P9_RREAD;
	ASSERT_EQ(p9_decode(buf, (size_t)n, 65536, &d), P9_ETYPE);
	buf[4] = 200;
	ASSERT_EQ(p9_decode(buf, (size_t)n, 65536, &d), P9_ETYPE);
	ASSERT_EQ(p9_decode(NULL, 0, 65536, &d), P9_EMSG);
	ASSERT_EQ(d.tag, P9_NOTAG);
}

TEST(twrite_count_must_match_the_message)
{
	static const uint8_t data[16];
	struct p9_tmsg m = { 0 }, d;
	int n;

	m.type = P9_TWRITE;
	m.u.write.count = 16;
	m.u.write.data = data;
	n = enc(&m);
	ASSERT_EQ(p9_decode(buf, (size_t)n, 65536, &d), 0);
	ASSERT(d.u.write.data == buf + 23);
	/* count claims more than the message holds */
	buf[19] = 17;
	ASSERT_EQ(p9_decode(buf, (size_t)n, 65536, &d), P9_EMSG);
	buf[19] = 0xff;
	buf[22] = 0xff;
	ASSERT_EQ(p9_decode(buf, (size_t)n, 65536, &d), P9_EMSG);
	/* count claims less: trailing bytes */
	buf[19] = 15;
	buf[22] = 0;
	ASSERT_EQ(p9_decode(buf, (size_t)n, 65536, &d), P9_EMSG);
}

TEST(twrite_header_alone_decoded_and_checked)
{
	static const uint8_t data[100];
	struct p9_tmsg m = { 0 }, d;
	int n;

	m.type = P9_TWRITE;
	m.tag = 7;
	m.u.write.fid = 3;
	m.u.write.offset = 0x123456789ULL;
	m.u.write.count = 100;
	m.u.write.data = data;
	n = enc(&m);
	ASSERT_EQ(n, P9_TWRITE_HDR_SIZE + 100);
	/* The header alone, the message's length told apart. */
	ASSERT_EQ(p9_decode_twrite_hdr(buf, P9_TWRITE_HDR_SIZE, (size_t)n,
				       65536, &d),
		  0);
	ASSERT_EQ(d.tag, 7);
	ASSERT_EQ(d.u.write.fid, 3);
	ASSERT_EQ(d.u.write.offset, 0x123456789ULL);
	ASSERT_EQ(d.u.write.count, 100);
	ASSERT(d.u.write.data == NULL);
	/* Too short a header, a length that is not the size field's, a
	 * count that is not the rest, another type, above msize. */
	ASSERT_EQ(p9_decode_twrite_hdr(buf, 22, (size_t)n, 65536, &d), P9_EMSG);
	ASSERT_EQ(p9_decode_twrite_hdr(buf, 23, (size_t)n + 1, 65536, &d),
		  P9_EMSG);
	ASSERT_EQ(p9_decode_twrite_hdr(buf, 23, 22, 65536, &d), P9_EMSG);
	buf[19] = 99;
	ASSERT_EQ(p9_decode_twrite_hdr(buf, 23, (size_t)n, 65536, &d), P9_EMSG);
	buf[19] = 100;
	buf[4] = P9_TREAD;
	ASSERT_EQ(p9_decode_twrite_hdr(buf, 23, (size_t)n, 65536, &d), P9_EMSG);
	buf[4] = P9_TWRITE;
	ASSERT_EQ(p9_decode_twrite_hdr(buf, 23, (size_t)n, 100, &d), P9_EBIG);
	ASSERT_EQ(p9_decode_twrite_hdr(NULL, 23, (size_t)n, 65536, &d),
		  P9_EMSG);
}

TEST(twalk_bounds)
{
	struct p9_tmsg m = { 0 }, d;
	int n;

	m.type = P9_TWALK;
	m.u.walk.nwname = P9_MAXWELEM;
	for (int i = 0; i < P9_MAXWELEM; i++)
		m.u.walk.wname[i] = S("x");
	n = enc(&m);
	ASSERT_EQ(p9_decode(buf, (size_t)n, 65536, &d), 0);
	ASSERT_EQ(d.u.walk.nwname, P9_MAXWELEM);
	/* nwname above the maximum */
	buf[15] = P9_MAXWELEM + 1;
	ASSERT_EQ(p9_decode(buf, (size_t)n, 65536, &d), P9_EMSG);
	/* a string length running past the end */
	buf[15] = P9_MAXWELEM;
	buf[17] = 0xff;
	ASSERT_EQ(p9_decode(buf, (size_t)n, 65536, &d), P9_EMSG);
}

static int decode_walk_name(const char *name, size_t len)
{
	struct p9_tmsg m = { 0 }, d;
	int n;

	m.type = P9_TWALK;
	m.u.walk.nwname = 1;
	m.u.walk.wname[0].s = name;
	m.u.walk.wname[0].len = (uint16_t)len;
	n = enc(&m);
	return p9_decode(buf, (size_t)n, 65536, &d);
}

TEST(bad_path_elements_refused)
{
	char longname[300];

	ASSERT_EQ(decode_walk_name("ok", 2), 0);
	ASSERT_EQ(decode_walk_name("", 0), P9_ENAME);
	ASSERT_EQ(decode_walk_name(".", 1), P9_ENAME);
	ASSERT_EQ(decode_walk_name("..", 2), P9_ENAME);
	ASSERT_EQ(decode_walk_name("...", 3), 0);
	ASSERT_EQ(decode_walk_name("a/b", 3), P9_ENAME);
	ASSERT_EQ(decode_walk_name("/", 1), P9_ENAME);
	ASSERT_EQ(decode_walk_name("a\0b", 3), P9_ENAME);
	memset(longname, 'a', sizeof(longname));
	ASSERT_EQ(decode_walk_name(longname, P9_NAME_MAX), 0);
	ASSERT_EQ(decode_walk_name(longname, P9_NAME_MAX + 1), P9_ENAME);
	ASSERT_EQ(p9_decode_errno(P9_ENAME), EINVAL);
}

TEST(names_in_every_single_element_field_are_checked)
{
	static const uint8_t types[] = { P9_TLCREATE, P9_TSYMLINK, P9_TMKNOD,
					 P9_TRENAME,  P9_TLINK,	   P9_TMKDIR,
					 P9_TUNLINKAT };
	struct p9_tmsg m, d;

	for (unsigned i = 0; i < sizeof(types); i++) {
		memset(&m, 0, sizeof(m));
		m.type = types[i];
		/* name sits at the same place in each of these structs'
		 * first string; set all of them */
		m.u.lcreate.name = S("..");
		m.u.symlink.name = S("..");
		m.u.mknod.name = S("..");
		m.u.rename.name = S("..");
		m.u.link.name = S("..");
		m.u.mkdir.name = S("..");
		m.u.unlinkat.name = S("..");
		if (types[i] == P9_TSYMLINK)
			m.u.symlink.target = S("t");
		int n = enc(&m);
		if (p9_decode(buf, (size_t)n, 65536, &d) != P9_ENAME)
			FAIL("type %u took \"..\" as a name", types[i]);
	}
	memset(&m, 0, sizeof(m));
	m.type = P9_TRENAMEAT;
	m.u.renameat.oldname = S("a");
	m.u.renameat.newname = S("../x");
	ASSERT_EQ(p9_decode(buf, (size_t)enc(&m), 65536, &d), P9_ENAME);
	/* a symlink target may hold '/' and '..' but not NUL */
	memset(&m, 0, sizeof(m));
	m.type = P9_TSYMLINK;
	m.u.symlink.name = S("l");
	m.u.symlink.target = S("/../x");
	ASSERT_EQ(p9_decode(buf, (size_t)enc(&m), 65536, &d), 0);
	m.u.symlink.target = S("a\0b");
	ASSERT_EQ(p9_decode(buf, (size_t)enc(&m), 65536, &d), P9_ENAME);
	/* an xattr name may not be empty in Txattrcreate */
	memset(&m, 0, sizeof(m));
	m.type = P9_TXATTRCREATE;
	ASSERT_EQ(p9_decode(buf, (size_t)enc(&m), 65536, &d), P9_ENAME);
}

TEST(tfsync_without_datasync)
{
	static const uint8_t msg[] = {
		11, 0, 0, 0, P9_TFSYNC, 1, 0, 7, 0, 0, 0
	};
	struct p9_tmsg d;

	ASSERT_EQ(p9_decode(msg, sizeof(msg), 65536, &d), 0);
	ASSERT_EQ(d.u.fsync.fid, 7);
	ASSERT_EQ(d.u.fsync.datasync, 0);
}

TEST(writer_overflow_is_sticky)
{
	struct p9_w w;
	uint8_t b[12];

	p9_w_init(&w, b, sizeof(b), P9_RREAD, 1);
	p9_put_u32(&w, 1);
	ASSERT(!w.err);
	p9_put_u16(&w, 1);
	ASSERT(w.err);
	p9_put_u8(&w, 1);
	ASSERT_EQ(p9_w_finish(&w), P9_EBIG);
	p9_w_init(&w, b, sizeof(b), P9_RREADLINK, 1);
	p9_put_str(&w, "abcd", 4);
	ASSERT(w.err);
	ASSERT(p9_w_reserve(&w, 0) == NULL);
}

TEST(reader_never_runs_past_the_end)
{
	static const uint8_t b[] = { 1, 2, 3 };
	struct p9_r r;
	struct p9_str s;

	p9_r_init(&r, b, sizeof(b));
	ASSERT_EQ(p9_get_u16(&r), 0x0201);
	ASSERT_EQ(p9_get_u32(&r), 0);
	ASSERT(r.err);
	p9_r_init(&r, b, sizeof(b));
	ASSERT(!p9_get_str(&r, &s));
	ASSERT_EQ(s.len, 0);
}
