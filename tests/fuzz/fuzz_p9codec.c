/*
 * fuzz_p9codec.c: libFuzzer target for the 9P2000.L decoder, whose input is
 * a guest's T-message. Checks the decoder's contract on every input: every
 * string view lies inside the message and has no NUL, every name that must
 * be one path element is one, Twrite's data lies inside the message; and a
 * decoded message encodes back to the same bytes.
 */
#include "../../src/vmm/devices/virtio/9p/p9codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MSIZE 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const uint8_t *msg, size_t len, const struct p9_str *s)
{
	const uint8_t *p = (const uint8_t *)s->s;

	if (s->len && (p < msg || p + s->len > msg + len))
		abort();
	if (s->len && memchr(s->s, 0, s->len))
		abort();
}

static void check_name(const uint8_t *msg, size_t len, const struct p9_str *s)
{
	check_str(msg, len, s);
	if (!p9_name_ok(s))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FUZZ_MSIZE + 64];
	struct p9_tmsg m;
	unsigned i;
	int r, n;

	/* The header-only Twrite decoder agrees with the whole decoder. */
	if (p9_decode_twrite_hdr(data, size, size, FUZZ_MSIZE, &m) == 0) {
		struct p9_tmsg w = m;

		if (p9_decode(data, size, FUZZ_MSIZE, &m) != 0 ||
		    m.type != P9_TWRITE || m.tag != w.tag ||
		    m.u.write.fid != w.u.write.fid ||
		    m.u.write.offset != w.u.write.offset ||
		    m.u.write.count != w.u.write.count)
			abort();
	}
	r = p9_decode(data, size, FUZZ_MSIZE, &m);
	if (r < 0) {
		if (r != P9_EMSG && r != P9_ETYPE && r != P9_ENAME &&
		    r != P9_EBIG)
			abort();
		if (p9_decode_errno(r) <= 0)
			abort();
		return 0;
	}
	if (m.size > size || m.size > FUZZ_MSIZE || m.size < P9_HDR_SIZE)
		abort();
	switch (m.type) {
	case P9_TWALK:
		if (m.u.walk.nwname > P9_MAXWELEM)
			abort();
		for (i = 0; i < m.u.walk.nwname; i++)
			check_name(data, m.size, &m.u.walk.wname[i]);
		break;
	case P9_TLCREATE:
		check_name(data, m.size, &m.u.lcreate.name);
		break;
	case P9_TSYMLINK:
		check_name(data, m.size, &m.u.symlink.name);
		check_str(data, m.size, &m.u.symlink.target);
		break;
	case P9_TMKNOD:
		check_name(data, m.size, &m.u.mknod.name);
		break;
	case P9_TRENAME:
		check_name(data, m.size, &m.u.rename.name);
		break;
	case P9_TLINK:
		check_name(data, m.size, &m.u.link.name);
		break;
	case P9_TMKDIR:
		check_name(data, m.size, &m.u.mkdir.name);
		break;
	case P9_TRENAMEAT:
		check_name(data, m.size, &m.u.renameat.oldname);
		check_name(data, m.size, &m.u.renameat.newname);
		break;
	case P9_TUNLINKAT:
		check_name(data, m.size, &m.u.unlinkat.name);
		break;
	case P9_TXATTRWALK:
		check_str(data, m.size, &m.u.xattrwalk.name);
		break;
	case P9_TXATTRCREATE:
		check_str(data, m.size, &m.u.xattrcreate.name);
		break;
	case P9_TWRITE:
		if (m.u.write.count > m.size ||
		    m.u.write.data + m.u.write.count > data + m.size ||
		    m.u.write.data < data)
			abort();
		break;
	default:
		break;
	}
	/* Round trip (a Tfsync without datasync gains one). */
	n = p9_encode_t(&m, out, sizeof(out));
	if (m.type == P9_TFSYNC && m.size == P9_HDR_SIZE + 4) {
		if (n != (int)m.size + 4)
			abort();
	} else if (n != (int)m.size || memcmp(out, data, m.size)) {
		abort();
	}
	return 0;
}
