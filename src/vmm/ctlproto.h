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
 * `stop` ends the VM at once (exit status 5). Pure parser. Inputs: the
 * runtime (a local root process), still parsed strictly and bounded.
 */
#ifndef MOAT_VMM_CTLPROTO_H
#define MOAT_VMM_CTLPROTO_H

#include <stddef.h>

#define CTL_LINE_MAX 128

enum ctl_cmd {
	CTL_BAD = -1,
	CTL_STATUS,
	CTL_PAUSE,
	CTL_RESUME,
	CTL_STOP,
};

/* Parse one line (without its '\n'; a trailing '\r' is allowed). */
enum ctl_cmd ctl_parse(const char *line, size_t len);

#endif
