/*
 * fuzz_shimmsg.c: libFuzzer target for shim.sock's codec
 * (src/proto/shimmsg.c). The first byte picks the reply's verb; the rest
 * is one line, decoded as a request, an exec connection's line and a
 * reply, and checked as a pstable request's payload. Whatever decodes
 * must encode and decode back to the same value (exec's sub-cgroup: the
 * same bytes).
 */
#include "../../src/proto/shimmsg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_req(const struct shimmsg_req *r, bool exec_conn)
{
	char buf[SHIMMSG_LINE_MAX];
	struct shimmsg_req back;
	int n = shimmsg_req_encode(buf, sizeof(buf), r);

	if (n < 0 || (size_t)n != strlen(buf))
		abort();
	if ((exec_conn ? shimmsg_xreq_decode
		       : shimmsg_req_decode)(buf, (size_t)n, &back))
		abort();
	/* exec's sub-cgroup is a view: the same bytes, elsewhere */
	if (!back.cgroup != !r->cgroup || back.cgroup_len != r->cgroup_len ||
	    (r->cgroup && memcmp(back.cgroup, r->cgroup, r->cgroup_len)))
		abort();
	back.cgroup = r->cgroup;
	if (memcmp(&back, r, sizeof(back)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shimmsg_reply rep, back;
	static char buf[SHIMMSG_LINE_MAX];
	const char *line = (const char *)data + 1;
	enum shimmsg_verb verb;
	struct shimmsg_req r;
	size_t len;
	int n;

	if (size < 1)
		return 0;
	verb = (enum shimmsg_verb)(data[0] % SHIMMSG_VERBS);
	len = size - 1;
	/* the same bytes as a pstable request's payload */
	n = shimmsg_psargs_check(line, len);
	if (n != SHIMMSG_EARG && (n < 1 || n > SHIMMSG_PSARGS_MAX))
		abort();
	n = shimmsg_req_decode(line, len, &r);
	if (n == 0)
		fuzz_req(&r, false);
	else if (n != SHIMMSG_EVERB && n != SHIMMSG_EARG)
		abort();
	n = shimmsg_xreq_decode(line, len, &r);
	if (n == 0)
		fuzz_req(&r, true);
	if (shimmsg_reply_decode(line, len, verb, &rep) != 0)
		return 0;
	if (rep.kind == SHIMMSG_ERROR &&
	    (rep.text < line || rep.text + rep.text_len != line + len))
		abort();
	if (len >= SHIMMSG_LINE_MAX)
		return 0; /* may not fit one line again */
	n = shimmsg_reply_encode(buf, sizeof(buf), verb, &rep);
	if (n < 0 || shimmsg_reply_decode(buf, (size_t)n, verb, &back) != 0 ||
	    back.kind != rep.kind)
		abort();
	if (rep.kind == SHIMMSG_OK &&
	    (back.pid != rep.pid || back.len != rep.len ||
	     back.npids != rep.npids ||
	     memcmp(back.pids, rep.pids, sizeof(rep.pids[0]) * rep.npids) ||
	     memcmp(&back.stats, &rep.stats, sizeof(rep.stats))))
		abort();
	if (rep.kind == SHIMMSG_EXIT &&
	    (back.code != rep.code || back.signo != rep.signo))
		abort();
	return 0;
}
