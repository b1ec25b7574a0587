/*
 * ctlproto.c: see ctlproto.h. Pure.
 */
#include "ctlproto.h"

#include <stdio.h>
#include <string.h>

enum ctl_cmd ctl_parse(const char *line, size_t len)
{
	static const struct {
		const char *word;
		enum ctl_cmd cmd;
	} words[] = {
		{ "status", CTL_STATUS },
		{ "pause", CTL_PAUSE },
		{ "resume", CTL_RESUME },
		{ "stop", CTL_STOP },
	};
	size_t i;

	if (len && line[len - 1] == '\r')
		len--;
	if (len == 0 || len > CTL_LINE_MAX)
		return CTL_BAD;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == len &&
		    memcmp(words[i].word, line, len) == 0)
			return words[i].cmd;
	return CTL_BAD;
}

int ctl_format_status(const struct ctl_status *s, char *buf, size_t cap)
{
	int n = snprintf(
		buf, cap,
		"ok state=%s vcpus=%u mem_mib=%llu rss_kib=%ld "
		"p9_req=%llu p9_copy=%llu p9_sg=%llu "
		"net_rx=%llu net_tx=%llu net_drop=%llu\n",
		s->paused ? "paused" : "running", s->vcpus,
		(unsigned long long)s->mem_mib, s->rss_kib,
		(unsigned long long)s->p9_req, (unsigned long long)s->p9_copy,
		(unsigned long long)s->p9_sg, (unsigned long long)s->net_rx,
		(unsigned long long)s->net_tx, (unsigned long long)s->net_drop);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}
