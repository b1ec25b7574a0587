/*
 * ctlproto.c: see ctlproto.h. Pure.
 */
#include "ctlproto.h"

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
