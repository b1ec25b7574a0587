/*
 * syncmsg.c: the codec of the create handshake (syncmsg.h). Pure: no
 * syscalls, no allocation.
 *
 * Inputs: the bytes `moat create` and the shim send each other, checked
 * whole (decimal pids only, no signs or spaces).
 */
#include "syncmsg.h"

#include <stdio.h>
#include <string.h>

int syncmsg_encode(char *buf, size_t cap, const struct syncmsg *m)
{
	int n;

	switch (m->kind) {
	case SYNCMSG_PID:
		n = snprintf(buf, cap, "pid %d\n", (int)m->pid);
		break;
	case SYNCMSG_GO:
		n = snprintf(buf, cap, "go\n");
		break;
	case SYNCMSG_OK:
		n = snprintf(buf, cap, "ok %d", (int)m->pid);
		break;
	case SYNCMSG_ERROR:
		/* cut to fit: the text is for people (copied as it is) */
		if (cap < 7)
			return SYNCMSG_ESPACE;
		n = (int)(m->text_len < cap - 7 ? m->text_len : cap - 7);
		memcpy(buf, "error ", 6);
		memcpy(buf + 6, m->text, (size_t)n);
		buf[6 + n] = '\0';
		return 6 + n;
	default:
		return SYNCMSG_ESPACE;
	}
	if (n < 0 || (size_t)n >= cap)
		return SYNCMSG_ESPACE;
	return n;
}

/* A pid in buf[0..len): decimal, 1..INT32_MAX. */
static int syncmsg_pid(const char *p, size_t len, int32_t *pid)
{
	int64_t v = 0;
	size_t i;

	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
		if (v > INT32_MAX)
			return -1;
	}
	if (!v)
		return -1;
	*pid = (int32_t)v;
	return 0;
}

static int syncmsg_prefix(const char *buf, size_t len, const char *w)
{
	size_t n = strlen(w);

	return len >= n && !memcmp(buf, w, n);
}

int syncmsg_decode(const char *buf, size_t len, struct syncmsg *m)
{
	memset(m, 0, sizeof(*m));
	if (syncmsg_prefix(buf, len, "pid ")) {
		m->kind = SYNCMSG_PID;
		if (buf[len - 1] != '\n')
			return SYNCMSG_ESHORT;
		return syncmsg_pid(buf + 4, len - 5, &m->pid) ? SYNCMSG_EARG
							      : 0;
	}
	if (len == SYNCMSG_GO_LEN && !memcmp(buf, "go\n", SYNCMSG_GO_LEN)) {
		m->kind = SYNCMSG_GO;
		return 0;
	}
	if (syncmsg_prefix(buf, len, "ok ")) {
		m->kind = SYNCMSG_OK;
		if (buf[len - 1] == '\n')
			len--;
		return syncmsg_pid(buf + 3, len - 3, &m->pid) ? SYNCMSG_EARG
							      : 0;
	}
	if (syncmsg_prefix(buf, len, "error ")) {
		m->kind = SYNCMSG_ERROR;
		m->text = buf + 6;
		m->text_len = len - 6;
		return 0;
	}
	return SYNCMSG_EMALFORMED;
}
