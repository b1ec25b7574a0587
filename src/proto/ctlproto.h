/*
 * ctlproto.h: moat-vmm's control protocol, spoken on the unix socket given
 * with --control PATH (mode 0600). One client at a time sends lines:
 *     status | pause | resume | stop
 * and gets one line back per command:
 *     ok state=<running|paused> vcpus=<n> mem_mib=<n> rss_kib=<n>
 *        p9_req=<n> p9_copy=<n> p9_sg=<n>
 *        net_rx=<n> net_tx=<n> net_drop=<n>  (frames; on the same line)
 *     ok
 *     err <reason>
 * `stop` ends the VM at once (exit status 5). A pure codec: requests
 * parsed, replies formatted (src/vmm/ctl.c serves it). Inputs: the
 * runtime (a local root process), still parsed strictly and bounded
 * (tests/fuzz/fuzz_ctlproto.c).
 */
#ifndef MOAT_PROTO_CTLPROTO_H
#define MOAT_PROTO_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_LINE_MAX 128
#define CTL_REPLY_MAX 320 /* a status line fits, whatever its numbers */

enum ctl_cmd {
	CTL_BAD = -1,
	CTL_STATUS,
	CTL_PAUSE,
	CTL_RESUME,
	CTL_STOP,
};

/* What a status reply says. */
struct ctl_status {
	bool paused;
	unsigned vcpus;
	uint64_t mem_mib;
	long rss_kib; /* -1: unknown */
	uint64_t p9_req, p9_copy, p9_sg;
	uint64_t net_rx, net_tx, net_drop;
};

/* Parse one line (without its '\n'; a trailing '\r' is allowed). */
enum ctl_cmd ctl_parse(const char *line, size_t len);

/* Format the status reply, '\n' included, into buf (cap bytes; at least
 * CTL_REPLY_MAX is always enough). Returns its length, or -1 when it did
 * not fit. */
int ctl_format_status(const struct ctl_status *s, char *buf, size_t cap);

#endif
