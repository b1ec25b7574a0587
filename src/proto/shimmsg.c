/*
 * shimmsg.c: the codec of shim.sock (shimmsg.h; docs/protocol.md, "The
 * shim's control socket"). Pure: no syscalls, no allocation.
 *
 * Inputs: request lines from the socket's clients (root or the shim's
 * user), reply lines from the shim; both bounded by the caller, checked
 * here field by field (decimal numbers only, no signs or spaces).
 */
#include "shimmsg.h"
#include "msg.h"

#include <stdio.h>
#include <string.h>

static const char *const shimmsg_names[SHIMMSG_VERBS] = {
	[SHIMMSG_START] = "start",   [SHIMMSG_KILL] = "kill",
	[SHIMMSG_PS] = "ps",	     [SHIMMSG_PAUSE] = "pause",
	[SHIMMSG_RESUME] = "resume", [SHIMMSG_STATS] = "stats",
	[SHIMMSG_UPDATE] = "update", [SHIMMSG_EXEC] = "exec",
	[SHIMMSG_RESIZE] = "resize", [SHIMMSG_PSTABLE] = "pstable",
};

const char *shimmsg_verb_name(enum shimmsg_verb verb)
{
	return verb > 0 && verb < SHIMMSG_VERBS ? shimmsg_names[verb] : NULL;
}

/* A cursor over one line. */
struct shimmsg_in {
	const char *p, *end;
};

/* A decimal number up to max at the cursor (one digit at least). */
static int shimmsg_num(struct shimmsg_in *in, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	const char *p = in->p;

	if (p == in->end || *p < '0' || *p > '9')
		return -1;
	for (; p < in->end && *p >= '0' && *p <= '9'; p++) {
		if (n > (max - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	in->p = p;
	*v = n;
	return 0;
}

/* The literal s at the cursor, consumed. */
static bool shimmsg_lit(struct shimmsg_in *in, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(in->end - in->p) < n || memcmp(in->p, s, n))
		return false;
	in->p += n;
	return true;
}

static bool shimmsg_done(const struct shimmsg_in *in)
{
	return in->p == in->end;
}

/* " <n>" within [min, max]. */
static int shimmsg_arg(struct shimmsg_in *in, uint64_t min, uint64_t max,
		       uint32_t *v)
{
	uint64_t n;

	if (!shimmsg_lit(in, " ") || shimmsg_num(in, max, &n) || n < min)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

/* --- requests ------------------------------------------------------------ */

int shimmsg_req_encode(char *buf, size_t cap, const struct shimmsg_req *r)
{
	const char *name = shimmsg_verb_name(r->verb);
	int n;

	if (!name)
		return SHIMMSG_EARG;
	switch (r->verb) {
	case SHIMMSG_KILL:
		n = snprintf(buf, cap, "kill %u%s", r->signo,
			     r->all ? " all" : "");
		break;
	case SHIMMSG_UPDATE:
		n = snprintf(buf, cap, "update %u", r->len);
		break;
	case SHIMMSG_EXEC:
		if (r->cgroup && !msg_cgroup_path_ok(r->cgroup, r->cgroup_len))
			return SHIMMSG_EARG;
		n = snprintf(buf, cap, "exec %u%s%.*s", r->len,
			     r->cgroup ? " " : "",
			     r->cgroup ? (int)r->cgroup_len : 0,
			     r->cgroup ? r->cgroup : "");
		break;
	case SHIMMSG_PSTABLE:
		n = snprintf(buf, cap, "pstable %u", r->len);
		break;
	case SHIMMSG_RESIZE:
		n = snprintf(buf, cap, "resize %u %u", r->rows, r->cols);
		break;
	default:
		n = snprintf(buf, cap, "%s", name);
		break;
	}
	if (n < 0 || (size_t)n >= cap)
		return SHIMMSG_ESPACE;
	return n;
}

/* The verb's name at the front of the line, then a space or the end. */
static enum shimmsg_verb shimmsg_verb_at(struct shimmsg_in *in)
{
	size_t i, n;

	for (i = 1; i < SHIMMSG_VERBS; i++) {
		n = strlen(shimmsg_names[i]);
		if ((size_t)(in->end - in->p) < n ||
		    memcmp(in->p, shimmsg_names[i], n) ||
		    (in->p + n < in->end && in->p[n] != ' '))
			continue;
		in->p += n;
		return (enum shimmsg_verb)i;
	}
	return 0;
}

static int shimmsg_args(struct shimmsg_in *in, struct shimmsg_req *r,
			bool exec_conn)
{
	switch (r->verb) {
	case SHIMMSG_KILL:
		if (shimmsg_arg(in, 1, SHIMMSG_SIGNAL_MAX, &r->signo))
			return SHIMMSG_EARG;
		if (!exec_conn && shimmsg_lit(in, " all"))
			r->all = true;
		break;
	case SHIMMSG_UPDATE:
		if (shimmsg_arg(in, 1, SHIMMSG_PAYLOAD_MAX, &r->len))
			return SHIMMSG_EARG;
		break;
	case SHIMMSG_EXEC:
		if (shimmsg_arg(in, 1, SHIMMSG_PAYLOAD_MAX, &r->len))
			return SHIMMSG_EARG;
		if (!exec_conn && shimmsg_lit(in, " ")) {
			r->cgroup = in->p;
			r->cgroup_len = (size_t)(in->end - in->p);
			in->p = in->end;
			if (!msg_cgroup_path_ok(r->cgroup, r->cgroup_len))
				return SHIMMSG_EARG;
		}
		break;
	case SHIMMSG_PSTABLE:
		if (shimmsg_arg(in, 1, SHIMMSG_PSARGS_BYTES, &r->len))
			return SHIMMSG_EARG;
		break;
	case SHIMMSG_RESIZE:
		if (shimmsg_arg(in, 0, 65535, &r->rows) ||
		    shimmsg_arg(in, 0, 65535, &r->cols))
			return SHIMMSG_EARG;
		break;
	default:
		break;
	}
	return shimmsg_done(in) ? 0 : SHIMMSG_EARG;
}

int shimmsg_req_decode(const char *line, size_t len, struct shimmsg_req *r)
{
	struct shimmsg_in in = { line, line + len };

	memset(r, 0, sizeof(*r));
	r->verb = shimmsg_verb_at(&in);
	if (!r->verb || r->verb == SHIMMSG_RESIZE) {
		r->verb = 0;
		return SHIMMSG_EVERB;
	}
	return shimmsg_args(&in, r, false);
}

int shimmsg_xreq_decode(const char *line, size_t len, struct shimmsg_req *r)
{
	struct shimmsg_in in = { line, line + len };

	memset(r, 0, sizeof(*r));
	r->verb = shimmsg_verb_at(&in);
	if (r->verb != SHIMMSG_KILL && r->verb != SHIMMSG_RESIZE) {
		r->verb = 0;
		return SHIMMSG_EVERB;
	}
	return shimmsg_args(&in, r, true);
}

int shimmsg_psargs_check(const char *p, size_t len)
{
	size_t i, n = 0;

	if (!len || len > SHIMMSG_PSARGS_BYTES || p[len - 1] != '\0')
		return SHIMMSG_EARG;
	for (i = 0; i < len; i++)
		if (p[i] == '\0' && ++n > SHIMMSG_PSARGS_MAX)
			return SHIMMSG_EARG;
	return (int)n;
}

/* --- replies ------------------------------------------------------------- */

static const char *const shimmsg_stat_keys[] = {
	"cpu", "user", "sys", "mem", "memlimit", "pids", "pidslimit", "oom",
};

static uint64_t *shimmsg_stat(struct shimmsg_stats *st, size_t i)
{
	uint64_t *v[] = { &st->cpu,	 &st->user, &st->sys,	    &st->mem,
			  &st->memlimit, &st->pids, &st->pidslimit, &st->oom };

	return v[i];
}

#define SHIMMSG_NSTATS \
	(sizeof(shimmsg_stat_keys) / sizeof(shimmsg_stat_keys[0]))

int shimmsg_reply_encode(char *buf, size_t cap, enum shimmsg_verb verb,
			 const struct shimmsg_reply *r)
{
	struct shimmsg_stats st = r->stats;
	size_t n = 0, i;
	int k;

	if (cap < 8)
		return SHIMMSG_ESPACE;
	if (r->kind == SHIMMSG_ERROR) {
		/* cut to fit: the text is for people */
		k = snprintf(buf, cap, "error %.*s", (int)r->text_len, r->text);
		return k < 0		  ? SHIMMSG_ESPACE
		       : (size_t)k >= cap ? (int)cap - 1
					  : k;
	}
	if (r->kind == SHIMMSG_EXIT)
		k = snprintf(buf, cap, "exit %u %u", r->code, r->signo);
	else if (verb == SHIMMSG_EXEC)
		k = snprintf(buf, cap, "ok %u", r->pid);
	else if (verb == SHIMMSG_PSTABLE)
		k = snprintf(buf, cap, "ok %u", r->len);
	else
		k = snprintf(buf, cap, "ok");
	if (k < 0 || (size_t)k >= cap)
		return SHIMMSG_ESPACE;
	n = (size_t)k;
	if (r->kind != SHIMMSG_OK)
		return (int)n;
	if (verb == SHIMMSG_PS)
		for (i = 0; i < r->npids && i < SHIMMSG_PIDS_MAX; i++) {
			k = snprintf(buf + n, cap - n, " %u", r->pids[i]);
			if (k < 0 || (size_t)k >= cap - n) {
				buf[n] = '\0'; /* the line is full */
				break;
			}
			n += (size_t)k;
		}
	if (verb == SHIMMSG_STATS)
		for (i = 0; i < SHIMMSG_NSTATS; i++) {
			k = snprintf(buf + n, cap - n, " %s=%llu",
				     shimmsg_stat_keys[i],
				     (unsigned long long)*shimmsg_stat(&st, i));
			if (k < 0 || (size_t)k >= cap - n)
				return SHIMMSG_ESPACE;
			n += (size_t)k;
		}
	return (int)n;
}

/* " key=value" figures; unknown keys are skipped (newer shims). */
static int shimmsg_stats_decode(struct shimmsg_in *in, struct shimmsg_stats *st)
{
	const char *key;
	uint64_t v;
	size_t i, klen;

	while (!shimmsg_done(in)) {
		if (!shimmsg_lit(in, " "))
			return -1;
		for (key = in->p;
		     in->p < in->end && *in->p >= 'a' && *in->p <= 'z'; in->p++)
			;
		klen = (size_t)(in->p - key);
		if (!klen || !shimmsg_lit(in, "=") ||
		    shimmsg_num(in, UINT64_MAX, &v))
			return -1;
		for (i = 0; i < SHIMMSG_NSTATS; i++)
			if (strlen(shimmsg_stat_keys[i]) == klen &&
			    !memcmp(shimmsg_stat_keys[i], key, klen))
				*shimmsg_stat(st, i) = v;
	}
	return 0;
}

int shimmsg_reply_decode(const char *line, size_t len, enum shimmsg_verb verb,
			 struct shimmsg_reply *r)
{
	struct shimmsg_in in = { line, line + len };
	uint64_t v;

	memset(r, 0, sizeof(*r));
	if (shimmsg_lit(&in, "error ")) {
		r->kind = SHIMMSG_ERROR;
		r->text = in.p;
		r->text_len = (size_t)(in.end - in.p);
		return 0;
	}
	if (verb == SHIMMSG_EXEC && shimmsg_lit(&in, "exit")) {
		r->kind = SHIMMSG_EXIT;
		if (shimmsg_arg(&in, 0, UINT32_MAX, &r->code) ||
		    shimmsg_arg(&in, 0, UINT32_MAX, &r->signo) ||
		    !shimmsg_done(&in))
			return SHIMMSG_EMALFORMED;
		return 0;
	}
	if (!shimmsg_lit(&in, "ok") || (!shimmsg_done(&in) && *in.p != ' '))
		return SHIMMSG_EMALFORMED;
	r->kind = SHIMMSG_OK;
	switch (verb) {
	case SHIMMSG_EXEC:
		if (shimmsg_arg(&in, 1, UINT32_MAX, &r->pid) ||
		    !shimmsg_done(&in))
			return SHIMMSG_EMALFORMED;
		return 0;
	case SHIMMSG_PSTABLE:
		if (shimmsg_arg(&in, 0, SHIMMSG_PAYLOAD_MAX, &r->len) ||
		    !shimmsg_done(&in))
			return SHIMMSG_EMALFORMED;
		return 0;
	case SHIMMSG_PS:
		while (!shimmsg_done(&in)) {
			if (r->npids == SHIMMSG_PIDS_MAX ||
			    !shimmsg_lit(&in, " ") ||
			    shimmsg_num(&in, UINT32_MAX, &v))
				return SHIMMSG_EMALFORMED;
			r->pids[r->npids++] = (uint32_t)v;
		}
		return 0;
	case SHIMMSG_STATS:
		return shimmsg_stats_decode(&in, &r->stats) ? SHIMMSG_EMALFORMED
							    : 0;
	default:
		return 0; /* "ok", and what may follow it, is ok */
	}
}
