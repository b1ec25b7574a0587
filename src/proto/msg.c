/*
 * msg.c: the message body codec (see msg.h; specified in docs/protocol.md,
 * "Message bodies" and "Messages").
 *
 * Table-driven, in the manner of netlink attribute policies: each message
 * type has a schema, an array of field descriptors (tag, type, limits,
 * required, offset of the member in the body struct), and optionally a
 * check of the fields against each other. The decoder, the encoder and
 * msg_equal() all walk the same schema, and the value checks are shared,
 * so the encoder never writes what the decoder refuses.
 *
 * Pure: no syscalls, no globals, no allocation. Input: message bodies from
 * the peer (on the host, the guest: untrusted).
 */
#include "msg.h"

#include <errno.h>
#include <string.h>

enum msg_type {
	MSG_T_BOOL = 1, /* bool: one byte, 0 or 1 */
	MSG_T_U32,	/* uint32_t */
	MSG_T_U64,	/* uint64_t */
	MSG_T_STR,	/* struct msg_str: any bytes but NUL */
	MSG_T_NAME,	/* struct msg_str: [A-Za-z0-9][A-Za-z0-9_.-]* */
	MSG_T_PATH,	/* struct msg_str: starts with '/' */
	MSG_T_LIST,	/* struct msg_strlist */
	MSG_T_ENV,	/* struct msg_strlist of "KEY=VALUE", KEY not empty */
	MSG_T_U32S,	/* struct msg_u32list */
	MSG_T_BLOB,	/* struct msg_blob: length a multiple of item */
	MSG_T_JSON,	/* struct msg_blob: no NUL byte */
};

/*
 * One field of a schema. min and max bound the value (integers), the
 * length (strings and blobs) or the number of entries (lists); item is the
 * longest entry of a string list, or the unit of a blob's length.
 */
struct msg_field {
	uint16_t tag;
	uint8_t type;
	bool required;
	uint16_t off;
	uint64_t min;
	uint64_t max;
	uint32_t item;
};

struct msg_schema {
	const struct msg_field *fields; /* ascending tags; at most 32 */
	size_t n;
	int (*check)(const void *body); /* fields against each other */
};

/* 0, or a compile error (an array of size -1) when c is true. */
#define MSG_BUILD_BUG_ON_ZERO(c) (sizeof(char[(c) ? -1 : 1]) - 1)
#define MSG_SAME_TYPE(a, t) __builtin_types_compatible_p(__typeof__(a), t)

/* A field descriptor; the build fails if member m is not a ctype. */
#define MSG_FIELD(st, m, ctype, tp, tg, req, lo, hi, it)                    \
	{                                                                   \
		.tag = (tg), .type = (tp), .required = (req),               \
		.off = offsetof(struct st, m) +                             \
		       MSG_BUILD_BUG_ON_ZERO(                               \
			       !MSG_SAME_TYPE(((struct st *)0)->m, ctype)), \
		.min = (lo), .max = (hi), .item = (it)                      \
	}

#define REQ true
#define OPT false
#define F_BOOL(st, m, tg) MSG_FIELD(st, m, bool, MSG_T_BOOL, tg, OPT, 0, 1, 0)
#define F_U32(st, m, tg, req, lo, hi) \
	MSG_FIELD(st, m, uint32_t, MSG_T_U32, tg, req, lo, hi, 0)
#define F_U64(st, m, tg, req) \
	MSG_FIELD(st, m, uint64_t, MSG_T_U64, tg, req, 0, UINT64_MAX, 0)
#define F_STR(st, m, tp, tg, req, lo, hi) \
	MSG_FIELD(st, m, struct msg_str, tp, tg, req, lo, hi, 0)
#define F_LIST(st, m, tp, tg, req, lo, hi) \
	MSG_FIELD(st, m, struct msg_strlist, tp, tg, req, lo, hi, MSG_ARG_MAX)
#define F_U32S(st, m, tg, req, hi) \
	MSG_FIELD(st, m, struct msg_u32list, MSG_T_U32S, tg, req, 0, hi, 0)
#define F_BLOB(st, m, tp, tg, req, lo, hi, unit) \
	MSG_FIELD(st, m, struct msg_blob, tp, tg, req, lo, hi, unit)

#define MSG_PROC_MAX UINT32_MAX
#define MSG_PID_MAX 4194304 /* Linux PID_MAX_LIMIT on 64-bit */
#define MSG_UGID_NONE                                           \
	UINT32_MAX /* (uid_t)-1 means "unchanged" to the kernel \
		    */

#define SCHEMA(fields, check)                                     \
	{                                                         \
		fields, sizeof(fields) / sizeof(fields[0]), check \
	}

bool msg_cgroup_path_ok(const char *s, size_t len)
{
	size_t i, start = 0;

	if (!len || len > MSG_CGROUP_MAX)
		return false;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '/') {
			if (s[i] <= ' ' || s[i] > '~')
				return false;
			continue;
		}
		/* a component is s[start..i) */
		if (i == start || (i - start == 1 && s[start] == '.') ||
		    (i - start == 2 && s[start] == '.' && s[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

/* --- schemas -------------------------------------------------------------- */

static int msg_hello_check(const void *body)
{
	const struct msg_hello *h = body;

	return h->version_max < h->version_min ? WIRE_EINVAL : 0;
}

/* A terminal excludes the three pipes; connected streams are distinct. */
static int msg_stdio_check(uint32_t in, uint32_t out, uint32_t err,
			   uint32_t tty)
{
	if (tty && (in || out || err))
		return WIRE_EINVAL;
	if ((in && (in == out || in == err)) || (out && out == err))
		return WIRE_EINVAL;
	return 0;
}

static int msg_create_check(const void *body)
{
	const struct msg_create *c = body;

	return msg_stdio_check(c->stream_in, c->stream_out, c->stream_err,
			       c->stream_tty);
}

static int msg_exec_check(const void *body)
{
	const struct msg_exec *x = body;
	size_t i;

	for (i = 0; i < 5; i++)
		if (x->caps[i] && !x->has_caps)
			return WIRE_EINVAL;
	if (x->cgroup.s && !msg_cgroup_path_ok(x->cgroup.s, x->cgroup.len))
		return WIRE_EINVAL;
	return msg_stdio_check(x->stream_in, x->stream_out, x->stream_err,
			       x->stream_tty);
}

static int msg_signal_check(const void *body)
{
	const struct msg_signal *s = body;

	return s->all == (s->proc != 0) ? WIRE_EINVAL : 0;
}

static int msg_exit_check(const void *body)
{
	const struct msg_exit *x = body;

	return x->signo && x->code ? WIRE_EINVAL : 0;
}

static const struct msg_field msg_hello_fields[] = {
	F_U32(msg_hello, version_min, 1, REQ, 1, UINT32_MAX),
	F_U32(msg_hello, version_max, 2, REQ, 1, UINT32_MAX),
	F_U64(msg_hello, features, 3, OPT),
	F_STR(msg_hello, name, MSG_T_STR, 4, OPT, 0, MSG_NAME_MAX),
};

static const struct msg_field msg_create_fields[] = {
	F_STR(msg_create, id, MSG_T_NAME, 1, REQ, 1, MSG_ID_MAX),
	F_STR(msg_create, bundle, MSG_T_NAME, 2, REQ, 1, MSG_TAG_MAX),
	F_BLOB(msg_create, config, MSG_T_JSON, 3, REQ, 1, MSG_CONFIG_MAX, 1),
	F_BLOB(msg_create, seccomp, MSG_T_BLOB, 4, OPT, 0,
	       MSG_BPF_MAX *MSG_BPF_INSN, MSG_BPF_INSN),
	F_U32(msg_create, stream_in, 5, OPT, 0, UINT32_MAX),
	F_U32(msg_create, stream_out, 6, OPT, 0, UINT32_MAX),
	F_U32(msg_create, stream_err, 7, OPT, 0, UINT32_MAX),
	F_U32(msg_create, stream_tty, 8, OPT, 0, UINT32_MAX),
	F_BLOB(msg_create, net, MSG_T_BLOB, 9, OPT, 0, MSG_NET_MAX, 1),
};

static const struct msg_field msg_exec_fields[] = {
	F_LIST(msg_exec, argv, MSG_T_LIST, 1, REQ, 1, MSG_ARGV_MAX),
	F_LIST(msg_exec, env, MSG_T_ENV, 2, OPT, 0, MSG_ENV_MAX),
	F_STR(msg_exec, cwd, MSG_T_PATH, 3, OPT, 1, MSG_PATH_MAX),
	F_U32(msg_exec, uid, 4, OPT, 0, MSG_UGID_NONE - 1),
	F_U32(msg_exec, gid, 5, OPT, 0, MSG_UGID_NONE - 1),
	F_U32S(msg_exec, gids, 6, OPT, MSG_GIDS_MAX),
	F_U32(msg_exec, stream_in, 7, OPT, 0, UINT32_MAX),
	F_U32(msg_exec, stream_out, 8, OPT, 0, UINT32_MAX),
	F_U32(msg_exec, stream_err, 9, OPT, 0, UINT32_MAX),
	F_U32(msg_exec, stream_tty, 10, OPT, 0, UINT32_MAX),
	F_BOOL(msg_exec, has_caps, 11),
	F_U64(msg_exec, caps[0], 12, OPT),
	F_U64(msg_exec, caps[1], 13, OPT),
	F_U64(msg_exec, caps[2], 14, OPT),
	F_U64(msg_exec, caps[3], 15, OPT),
	F_U64(msg_exec, caps[4], 16, OPT),
	F_U32(msg_exec, no_new_privs, 17, OPT, MSG_NNP_CONTAINER, MSG_NNP_ON),
	F_STR(msg_exec, cgroup, MSG_T_STR, 18, OPT, 1, MSG_CGROUP_MAX),
};

static const struct msg_field msg_signal_fields[] = {
	F_U32(msg_signal, proc, 1, OPT, 0, MSG_PROC_MAX),
	F_U32(msg_signal, signo, 2, REQ, 1, MSG_SIGNAL_MAX),
	F_BOOL(msg_signal, all, 3),
};

static const struct msg_field msg_resize_fields[] = {
	F_U32(msg_resize, proc, 1, REQ, 1, MSG_PROC_MAX),
	F_U32(msg_resize, rows, 2, REQ, 0, UINT16_MAX),
	F_U32(msg_resize, cols, 3, REQ, 0, UINT16_MAX),
};

static const struct msg_field msg_target_fields[] = {
	F_U32(msg_target, proc, 1, REQ, 1, MSG_PROC_MAX),
};

static const struct msg_field msg_update_fields[] = {
	F_BLOB(msg_update, resources, MSG_T_JSON, 1, REQ, 1, MSG_RESOURCES_MAX,
	       1),
};

static const struct msg_field msg_started_fields[] = {
	F_U32(msg_started, proc, 1, REQ, 1, MSG_PROC_MAX),
	F_U32(msg_started, pid, 2, REQ, 1, MSG_PID_MAX),
};

static const struct msg_field msg_exit_fields[] = {
	F_U32(msg_exit, proc, 1, REQ, 1, MSG_PROC_MAX),
	F_U32(msg_exit, code, 2, OPT, 0, 255),
	F_U32(msg_exit, signo, 3, OPT, 0, MSG_SIGNAL_MAX),
};

static const struct msg_field msg_psreq_fields[] = {
	F_LIST(msg_psreq, args, MSG_T_LIST, 1, OPT, 1, MSG_PSARGS_MAX),
};

static const struct msg_field msg_ps_fields[] = {
	F_U32S(msg_ps, pids, 1, REQ, MSG_PIDS_MAX),
	F_BLOB(msg_ps, table, MSG_T_BLOB, 2, OPT, 0, MSG_TABLE_MAX, 1),
};

static const struct msg_field msg_stats_fields[] = {
	F_U64(msg_stats, cpu_ns, 1, REQ),
	F_U64(msg_stats, cpu_user_ns, 2, OPT),
	F_U64(msg_stats, cpu_sys_ns, 3, OPT),
	F_U64(msg_stats, mem_bytes, 4, REQ),
	F_U64(msg_stats, mem_limit, 5, OPT),
	F_U64(msg_stats, pids, 6, REQ),
	F_U64(msg_stats, pids_limit, 7, OPT),
};

static const struct msg_field msg_error_fields[] = {
	F_U32(msg_error, code, 1, REQ, 1, MSG_CODE_MAX),
	F_STR(msg_error, text, MSG_T_STR, 2, OPT, 0, MSG_TEXT_MAX),
};

static const struct msg_field msg_oom_fields[] = {
	F_U32(msg_oom, proc, 1, OPT, 0, MSG_PROC_MAX),
};

static const struct msg_schema msg_s_empty = { NULL, 0, NULL };
static const struct msg_schema msg_s_hello =
	SCHEMA(msg_hello_fields, msg_hello_check);
static const struct msg_schema msg_s_create =
	SCHEMA(msg_create_fields, msg_create_check);
static const struct msg_schema msg_s_exec =
	SCHEMA(msg_exec_fields, msg_exec_check);
static const struct msg_schema msg_s_signal =
	SCHEMA(msg_signal_fields, msg_signal_check);
static const struct msg_schema msg_s_resize = SCHEMA(msg_resize_fields, NULL);
static const struct msg_schema msg_s_target = SCHEMA(msg_target_fields, NULL);
static const struct msg_schema msg_s_update = SCHEMA(msg_update_fields, NULL);
static const struct msg_schema msg_s_started = SCHEMA(msg_started_fields, NULL);
static const struct msg_schema msg_s_exit =
	SCHEMA(msg_exit_fields, msg_exit_check);
static const struct msg_schema msg_s_psreq = SCHEMA(msg_psreq_fields, NULL);
static const struct msg_schema msg_s_ps = SCHEMA(msg_ps_fields, NULL);
static const struct msg_schema msg_s_stats = SCHEMA(msg_stats_fields, NULL);
static const struct msg_schema msg_s_error = SCHEMA(msg_error_fields, NULL);
static const struct msg_schema msg_s_oom = SCHEMA(msg_oom_fields, NULL);

/* The schema of a request's body (REQUEST) or of its reply (REPLY). */
static const struct msg_schema *msg_request_schema(uint16_t op, bool reply)
{
	switch (op) {
	case MSG_OP_CREATE:
		return reply ? &msg_s_started : &msg_s_create;
	case MSG_OP_EXEC:
		return reply ? &msg_s_started : &msg_s_exec;
	case MSG_OP_SIGNAL:
		return reply ? &msg_s_empty : &msg_s_signal;
	case MSG_OP_RESIZE:
		return reply ? &msg_s_empty : &msg_s_resize;
	case MSG_OP_CLOSE_STDIN:
		return reply ? &msg_s_empty : &msg_s_target;
	case MSG_OP_WAIT:
		return reply ? &msg_s_exit : &msg_s_target;
	case MSG_OP_PS:
		return reply ? &msg_s_ps : &msg_s_psreq;
	case MSG_OP_STATS:
		return reply ? &msg_s_stats : &msg_s_empty;
	case MSG_OP_UPDATE:
		return reply ? &msg_s_empty : &msg_s_update;
	case MSG_OP_START:
	case MSG_OP_PAUSE:
	case MSG_OP_RESUME:
	case MSG_OP_SHUTDOWN:
		return &msg_s_empty;
	default:
		return NULL;
	}
}

/* Find the schema for (kind, op): 0, WIRE_EKIND or WIRE_EOP. */
static int msg_schema_of(uint8_t kind, uint16_t op, const struct msg_schema **s)
{
	switch (kind) {
	case WIRE_K_HELLO:
		*s = &msg_s_hello;
		break;
	case WIRE_K_REQUEST:
	case WIRE_K_REPLY:
		*s = msg_request_schema(op, kind == WIRE_K_REPLY);
		break;
	case WIRE_K_ERROR:
		*s = &msg_s_error; /* also answers requests we do not know */
		break;
	case WIRE_K_EVENT:
		*s = op == MSG_EV_EXIT	? &msg_s_exit
		     : op == MSG_EV_OOM ? &msg_s_oom
					: NULL;
		break;
	default:
		return WIRE_EKIND;
	}
	return *s ? 0 : WIRE_EOP;
}

/* --- value checks, shared by the decoder and the encoder ------------------ */

static bool msg_name_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '_' || c == '.' || c == '-');
}

static int msg_check_len(const struct msg_field *fd, uint64_t n)
{
	if (n > fd->max)
		return WIRE_ELIMIT;
	if (n < fd->min)
		return WIRE_EFIELD;
	return 0;
}

static int msg_check_str(const struct msg_field *fd, const struct msg_str *v)
{
	uint32_t i;
	int r = msg_check_len(fd, v->len);

	if (r)
		return r;
	if (memchr(v->s, 0, v->len))
		return WIRE_ENUL;
	if (fd->type == MSG_T_PATH && v->s[0] != '/')
		return WIRE_EFIELD;
	if (fd->type == MSG_T_NAME)
		for (i = 0; i < v->len; i++)
			if (!msg_name_char(v->s[i], i == 0))
				return WIRE_EFIELD;
	return 0;
}

/* Entries are walked, not trusted: count must match what size holds. */
static int msg_check_list(const struct msg_field *fd,
			  const struct msg_strlist *v)
{
	uint32_t off = 0, n = 0;
	int r;

	if (v->size && v->p[v->size - 1] != '\0')
		return WIRE_ENUL;
	r = msg_check_len(fd, v->count);
	if (r)
		return r;
	while (off < v->size) {
		const char *e = v->p + off;
		size_t len = strlen(e); /* ends at the last NUL at worst */

		if (len > fd->item)
			return WIRE_ELIMIT;
		if (fd->type == MSG_T_ENV) {
			const char *eq = memchr(e, '=', len);

			if (!eq || eq == e)
				return WIRE_EFIELD;
		}
		off += (uint32_t)len + 1;
		n++;
	}
	return n == v->count ? 0 : WIRE_EINVAL;
}

static int msg_check_blob(const struct msg_field *fd, const struct msg_blob *v)
{
	int r = msg_check_len(fd, v->len);

	if (r)
		return r;
	if (fd->item > 1 && v->len % fd->item)
		return WIRE_EFIELD;
	if (fd->type == MSG_T_JSON && memchr(v->p, 0, v->len))
		return WIRE_ENUL;
	return 0;
}

/* Check the value of a present field; slot points at its member. */
static int msg_check_value(const struct msg_field *fd, const void *slot)
{
	switch (fd->type) {
	case MSG_T_BOOL:
		return 0;
	case MSG_T_U32:
		if (*(const uint32_t *)slot < fd->min ||
		    *(const uint32_t *)slot > fd->max)
			return WIRE_ERANGE;
		return 0;
	case MSG_T_U64:
		if (*(const uint64_t *)slot < fd->min ||
		    *(const uint64_t *)slot > fd->max)
			return WIRE_ERANGE;
		return 0;
	case MSG_T_STR:
	case MSG_T_NAME:
	case MSG_T_PATH:
		return msg_check_str(fd, slot);
	case MSG_T_LIST:
	case MSG_T_ENV:
		return msg_check_list(fd, slot);
	case MSG_T_U32S:
		return msg_check_len(fd,
				     ((const struct msg_u32list *)slot)->count);
	default:
		return msg_check_blob(fd, slot);
	}
}

/* --- decoder -------------------------------------------------------------- */

/* Store the value v[0..n) of a field of type fd->type into slot. */
static int msg_get_value(const struct msg_field *fd, const uint8_t *v,
			 uint32_t n, void *slot)
{
	struct msg_strlist *l;
	uint32_t i;

	switch (fd->type) {
	case MSG_T_BOOL:
		if (n != 1)
			return WIRE_EFIELD;
		if (v[0] > 1)
			return WIRE_ERANGE;
		*(bool *)slot = v[0];
		break;
	case MSG_T_U32:
		if (n != 4)
			return WIRE_EFIELD;
		*(uint32_t *)slot = le_get32(v);
		break;
	case MSG_T_U64:
		if (n != 8)
			return WIRE_EFIELD;
		*(uint64_t *)slot = le_get64(v);
		break;
	case MSG_T_STR:
	case MSG_T_NAME:
	case MSG_T_PATH:
		if (n == 0 || v[n - 1] != '\0')
			return WIRE_ENUL;
		((struct msg_str *)slot)->s = (const char *)v;
		((struct msg_str *)slot)->len = n - 1;
		break;
	case MSG_T_LIST:
	case MSG_T_ENV:
		l = slot;
		l->p = (const char *)v;
		l->size = n;
		l->count = 0;
		for (i = 0; i < n; i++)
			if (v[i] == '\0' && ++l->count > fd->max)
				return WIRE_ELIMIT;
		break;
	case MSG_T_U32S:
		if (n % 4)
			return WIRE_EFIELD;
		((struct msg_u32list *)slot)->p = v;
		((struct msg_u32list *)slot)->count = n / 4;
		break;
	default:
		((struct msg_blob *)slot)->p = v;
		((struct msg_blob *)slot)->len = n;
		break;
	}
	return msg_check_value(fd, slot);
}

int msg_decode(const struct wire_frame *f, struct msg *m)
{
	const struct msg_schema *s;
	const uint8_t *b = f->body;
	uint32_t off = 0, seen = 0, prev = 0;
	size_t i;
	int r;

	m->kind = f->kind;
	m->op = f->op;
	m->id = f->id;
	memset(&m->u, 0, sizeof(m->u));
	r = msg_schema_of(f->kind, f->op, &s);
	if (r)
		return r;
	while (off < f->len) {
		uint32_t tag, n;

		if (f->len - off < MSG_FIELD_HDR)
			return WIRE_ESHORT;
		tag = le_get16(b + off);
		n = le_get32(b + off + 2);
		off += MSG_FIELD_HDR;
		if (n > f->len - off)
			return WIRE_ESHORT;
		if (tag == 0)
			return WIRE_EFIELD;
		if (tag <= prev)
			return tag == prev ? WIRE_EDUP : WIRE_EORDER;
		prev = tag;
		for (i = 0; i < s->n && s->fields[i].tag != tag; i++)
			;
		if (i == s->n) {
			if (tag & MSG_TAG_CRITICAL)
				return WIRE_ECRITICAL;
		} else {
			r = msg_get_value(&s->fields[i], b + off, n,
					  (char *)&m->u + s->fields[i].off);
			if (r)
				return r;
			seen |= 1U << i;
		}
		off += n;
	}
	for (i = 0; i < s->n; i++)
		if (s->fields[i].required && !(seen & 1U << i))
			return WIRE_EMISSING;
	return s->check ? s->check(&m->u) : 0;
}

/* --- encoder -------------------------------------------------------------- */

/*
 * Is the field in slot to be written? Required fields always are (a
 * required string left NULL is WIRE_EMISSING), optional ones unless they
 * hold their zero value. Sets *data and *n to the value's bytes (for the
 * integer types, *data is the slot, stored little-endian on the wire).
 * Returns 1 (write it), 0 (leave it out) or a negative WIRE_E*.
 */
static int msg_put_size(const struct msg_field *fd, const void *slot,
			const void **data, uint32_t *n)
{
	const struct msg_str *str = slot;
	const struct msg_strlist *l = slot;
	const struct msg_u32list *u = slot;
	const struct msg_blob *bl = slot;
	bool zero;

	*data = slot;
	switch (fd->type) {
	case MSG_T_BOOL:
		zero = !*(const bool *)slot;
		*n = 1;
		break;
	case MSG_T_U32:
		zero = !*(const uint32_t *)slot;
		*n = 4;
		break;
	case MSG_T_U64:
		zero = !*(const uint64_t *)slot;
		*n = 8;
		break;
	case MSG_T_STR:
	case MSG_T_NAME:
	case MSG_T_PATH:
		if (!str->s)
			return fd->required ? WIRE_EMISSING : 0;
		zero = false;
		*data = str->s;
		*n = str->len + 1;
		if (!*n)
			return WIRE_ELIMIT;
		break;
	case MSG_T_LIST:
	case MSG_T_ENV:
		zero = !l->count && !l->size;
		*data = l->p;
		*n = l->size;
		break;
	case MSG_T_U32S:
		zero = !u->count;
		if (u->count > fd->max)
			return WIRE_ELIMIT;
		*data = u->p;
		*n = u->count * 4; /* max <= MSG_PIDS_MAX: no overflow */
		break;
	default:
		zero = !bl->len;
		*data = bl->p;
		*n = bl->len;
		break;
	}
	if (zero && !fd->required)
		return 0;
	if (*n && !*data)
		return WIRE_EINVAL;
	return 1;
}

/*
 * Write the body of s from body at out[0..), or only measure it when out
 * is NULL. Returns the body's length or a negative WIRE_E*.
 */
static int msg_put_body(const struct msg_schema *s, const void *body,
			uint8_t *out)
{
	size_t i, off = 0;
	int r;

	for (i = 0; i < s->n; i++) {
		const struct msg_field *fd = &s->fields[i];
		const void *slot = (const char *)body + fd->off;
		const void *data;
		uint32_t n;

		r = msg_put_size(fd, slot, &data, &n);
		if (r <= 0) {
			if (r)
				return r;
			continue;
		}
		if (!out) {
			r = msg_check_value(fd, slot);
			if (r)
				return r;
			if (n > WIRE_BODY_MAX - MSG_FIELD_HDR ||
			    off > WIRE_BODY_MAX - MSG_FIELD_HDR - n)
				return WIRE_ETOOBIG;
			off += MSG_FIELD_HDR + n;
			continue;
		}
		le_put16(out + off, fd->tag);
		le_put32(out + off + 2, n);
		off += MSG_FIELD_HDR;
		switch (fd->type) {
		case MSG_T_BOOL:
			out[off] = *(const bool *)slot;
			break;
		case MSG_T_U32:
			le_put32(out + off, *(const uint32_t *)slot);
			break;
		case MSG_T_U64:
			le_put64(out + off, *(const uint64_t *)slot);
			break;
		case MSG_T_STR:
		case MSG_T_NAME:
		case MSG_T_PATH:
			memcpy(out + off, data, n - 1);
			out[off + n - 1] = '\0';
			break;
		default:
			if (n)
				memcpy(out + off, data, n);
			break;
		}
		off += n;
	}
	return (int)off;
}

int msg_encode(void *buf, size_t cap, const struct msg *m)
{
	struct wire_frame f = { m->kind, m->op, m->id, NULL, 0, 0 };
	const struct msg_schema *s;
	uint8_t hdr[WIRE_HDR_LEN];
	uint8_t *p = buf;
	int r, len;

	r = msg_schema_of(m->kind, m->op, &s);
	if (r)
		return r;
	if (s->check) {
		r = s->check(&m->u);
		if (r)
			return r;
	}
	len = msg_put_body(s, &m->u, NULL);
	if (len < 0)
		return len;
	f.len = (uint32_t)len;
	r = wire_header_encode(hdr, &f);
	if (r < 0)
		return r;
	if (cap < (size_t)WIRE_HDR_LEN + (size_t)len)
		return WIRE_ENOSPC;
	memcpy(p, hdr, WIRE_HDR_LEN);
	msg_put_body(s, &m->u, p + WIRE_HDR_LEN);
	return WIRE_HDR_LEN + len;
}

/* --- comparison, errors, handshake ---------------------------------------- */

static bool msg_bytes_equal(const void *a, const void *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

bool msg_equal(const struct msg *a, const struct msg *b)
{
	const struct msg_schema *s;
	size_t i;

	if (a->kind != b->kind || a->op != b->op || a->id != b->id ||
	    msg_schema_of(a->kind, a->op, &s))
		return false;
	for (i = 0; i < s->n; i++) {
		const struct msg_field *fd = &s->fields[i];
		const void *x = (const char *)&a->u + fd->off;
		const void *y = (const char *)&b->u + fd->off;
		const struct msg_str *sx = x, *sy = y;
		const struct msg_strlist *lx = x, *ly = y;
		const struct msg_u32list *ux = x, *uy = y;
		const struct msg_blob *bx = x, *by = y;
		bool eq;

		switch (fd->type) {
		case MSG_T_BOOL:
			eq = *(const bool *)x == *(const bool *)y;
			break;
		case MSG_T_U32:
			eq = *(const uint32_t *)x == *(const uint32_t *)y;
			break;
		case MSG_T_U64:
			eq = *(const uint64_t *)x == *(const uint64_t *)y;
			break;
		case MSG_T_STR:
		case MSG_T_NAME:
		case MSG_T_PATH:
			eq = !sx->s == !sy->s && sx->len == sy->len &&
			     (!sx->s || msg_bytes_equal(sx->s, sy->s, sx->len));
			break;
		case MSG_T_LIST:
		case MSG_T_ENV:
			eq = lx->count == ly->count && lx->size == ly->size &&
			     msg_bytes_equal(lx->p, ly->p, lx->size);
			break;
		case MSG_T_U32S:
			eq = ux->count == uy->count &&
			     msg_bytes_equal(ux->p, uy->p,
					     (size_t)ux->count * 4);
			break;
		default:
			eq = bx->len == by->len &&
			     msg_bytes_equal(bx->p, by->p, bx->len);
			break;
		}
		if (!eq)
			return false;
	}
	return true;
}

uint32_t msg_error_code(int err)
{
	switch (err) {
	case WIRE_EOP:
		return ENOSYS;
	case WIRE_ECRITICAL:
		return EOPNOTSUPP;
	default:
		return EINVAL;
	}
}

int msg_hello_negotiate(const struct msg_hello *mine,
			const struct msg_hello *peer, uint32_t *version,
			uint64_t *features)
{
	uint32_t lo = mine->version_min > peer->version_min ? mine->version_min
							    : peer->version_min;
	uint32_t hi = mine->version_max < peer->version_max ? mine->version_max
							    : peer->version_max;

	if (lo > hi)
		return WIRE_EVERSION;
	*version = hi;
	*features = mine->features & peer->features;
	return 0;
}

/* --- list helpers --------------------------------------------------------- */

int msg_strlist_next(const struct msg_strlist *l, uint32_t *off,
		     struct msg_str *item)
{
	size_t len;

	if (*off >= l->size)
		return 0;
	item->s = l->p + *off;
	len = strnlen(item->s, l->size - *off);
	item->len = (uint32_t)len;
	*off += (uint32_t)len + 1;
	return 1;
}

int msg_strlist_vec(const struct msg_strlist *l, const char **v, size_t cap)
{
	struct msg_str e;
	uint32_t off = 0;
	size_t n = 0;

	if (cap <= l->count)
		return WIRE_ENOSPC;
	while (n < l->count && msg_strlist_next(l, &off, &e))
		v[n++] = e.s;
	v[n] = NULL;
	return (int)n;
}

int msg_strlist_pack(char *buf, size_t cap, const char *const *v, uint32_t n,
		     struct msg_strlist *out)
{
	size_t off = 0, len;
	uint32_t i;

	for (i = 0; i < n; i++) {
		len = strlen(v[i]) + 1;
		if (len > cap - off)
			return WIRE_ENOSPC;
		if (len > WIRE_BODY_MAX - off)
			return WIRE_ETOOBIG;
		memcpy(buf + off, v[i], len);
		off += len;
	}
	out->p = buf;
	out->size = (uint32_t)off;
	out->count = n;
	return (int)off;
}

uint32_t msg_u32list_get(const struct msg_u32list *l, uint32_t i)
{
	return i < l->count ? le_get32(l->p + (size_t)i * 4) : 0;
}

int msg_u32list_pack(uint8_t *buf, size_t cap, const uint32_t *v, uint32_t n,
		     struct msg_u32list *out)
{
	uint32_t i;

	if (n > WIRE_BODY_MAX / 4)
		return WIRE_ETOOBIG;
	if (cap / 4 < n)
		return WIRE_ENOSPC;
	for (i = 0; i < n; i++)
		le_put32(buf + (size_t)i * 4, v[i]);
	out->p = buf;
	out->count = n;
	return (int)(n * 4);
}
