/*
 * fuzz_psfmt.c: libFuzzer target for `moat ps`'s table
 * (src/common/psfmt.c). The first byte picks what the rest is: ps(1)'s
 * options (NUL-separated words), /proc/PID/stat text or /proc/PID/status
 * text; each is read, and whatever reads is written as a header and a
 * row (of a fixed record, or of the one read) into buffers of every size
 * the byte's high bits pick, which must hold a line, NUL-terminated, or
 * nothing.
 */
#include "../../src/common/psfmt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_lines(const struct psfmt_spec *sp, const struct psfmt_proc *p,
		       size_t cap)
{
	static const char passwd[] = "root:x:0:0::/:/bin/sh\nu:x:5:5::/:\n";
	static char buf[8192];
	struct psfmt_sys sys = { .hz = 100,
				 .page = 4096,
				 .boot = 1700000000,
				 .now = 1700009000,
				 .uptime = 9000,
				 .mem_kb = 1 << 20,
				 .passwd = passwd,
				 .group = passwd };
	int n;

	n = psfmt_header(sp, buf, cap);
	if ((n < 0 && buf[0]) || (n >= 0 && (size_t)n != strlen(buf)))
		abort();
	n = psfmt_row(sp, &sys, p, buf, cap);
	if ((n < 0 && buf[0]) || (n >= 0 && (size_t)n != strlen(buf)))
		abort();
	for (; n > 0; n--)
		if (buf[n - 1] != '\n' && ((unsigned char)buf[n - 1] < 0x20 ||
					   (unsigned char)buf[n - 1] > 0x7e))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char stat[] = "9 (sh) S 1 9 9 0 -1 4194560 1 0 0 0 3 4 "
				   "0 0 20 0 1 0 50 1000000 20 5 0 0 0 0 0 "
				   "0 0 0 0 0 0 0 17 0\n";
	static struct psfmt_spec sp;
	static char text[4096];
	const char *argv[64];
	char err[PSFMT_ERR_MAX];
	struct psfmt_proc p;
	size_t argc = 0, i, len, cap;

	if (size < 1 || size - 1 >= sizeof(text))
		return 0;
	len = size - 1;
	memcpy(text, data + 1, len);
	text[len] = '\0';
	cap = 1 + (size_t)(data[0] >> 2) * 64; /* 1..4033 */
	if (psfmt_stat_parse(stat, sizeof(stat) - 1, &p))
		abort();
	p.args = text;
	p.args_len = len;
	switch (data[0] % 3) {
	case 0: /* options */
		for (i = 0; i < len && argc < 64; i += strlen(text + i) + 1)
			argv[argc++] = text + i;
		if (psfmt_parse(argv, argc, &sp, err, sizeof(err))) {
			if (!memchr(err, '\0', sizeof(err)))
				abort();
			return 0;
		}
		fuzz_lines(&sp, &p, cap);
		return 0;
	case 1: /* stat */
		if (psfmt_stat_parse(text, len, &p))
			return 0;
		break;
	default: /* status */
		if (psfmt_status_parse(text, len, &p))
			return 0;
		break;
	}
	if (psfmt_parse(NULL, 0, &sp, err, sizeof(err)))
		abort();
	p.args = NULL;
	p.args_len = 0;
	fuzz_lines(&sp, &p, cap);
	return 0;
}
