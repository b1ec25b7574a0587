/*
 * psfmt.c: ps(1)'s options, /proc records and table rows (psfmt.h). The
 * columns, their headers, widths and value formats follow procps-ng's
 * ps; the formats of the options -f, -l, -j, u and of the defaults are
 * its formats. Pure: no syscalls, no allocation.
 *
 * Inputs: options from the `moat ps` command line; /proc text and the
 * container's passwd and group files from the guest (bounded; text
 * written with '?' for every byte that is not printable ASCII).
 */
#include "psfmt.h"

#include <stdio.h>
#include <string.h>

/* --- columns ------------------------------------------------------------- */

struct psfmt_def {
	const char *name;
	enum psfmt_kind kind;
	const char *head;
	unsigned width;
	bool left;
};

static const struct psfmt_def psfmt_defs[] = {
	{ "pid", PSFMT_PID, "PID", 5, false },
	{ "ppid", PSFMT_PPID, "PPID", 5, false },
	{ "pgid", PSFMT_PGID, "PGID", 5, false },
	{ "pgrp", PSFMT_PGID, "PGRP", 5, false },
	{ "sid", PSFMT_SID, "SID", 5, false },
	{ "sess", PSFMT_SID, "SESS", 5, false },
	{ "session", PSFMT_SID, "SESS", 5, false },
	{ "tty", PSFMT_TTY, "TT", 8, true },
	{ "tt", PSFMT_TTY, "TT", 8, true },
	{ "tname", PSFMT_TTY, "TTY", 8, true },
	{ "stat", PSFMT_STAT, "STAT", 4, true },
	{ "s", PSFMT_S, "S", 1, true },
	{ "state", PSFMT_S, "S", 1, true },
	{ "time", PSFMT_TIME, "TIME", 8, false },
	{ "cputime", PSFMT_TIME, "TIME", 8, false },
	{ "bsdtime", PSFMT_BSDTIME, "TIME", 6, false },
	{ "etime", PSFMT_ETIME, "ELAPSED", 11, false },
	{ "etimes", PSFMT_ETIMES, "ELAPSED", 7, false },
	{ "comm", PSFMT_COMM, "COMMAND", 15, true },
	{ "ucomm", PSFMT_COMM, "COMMAND", 15, true },
	{ "ucmd", PSFMT_COMM, "CMD", 15, true },
	{ "args", PSFMT_ARGS, "COMMAND", 27, true },
	{ "command", PSFMT_ARGS, "COMMAND", 27, true },
	{ "cmd", PSFMT_ARGS, "CMD", 27, true },
	{ "uid", PSFMT_UID, "UID", 5, false },
	{ "euid", PSFMT_UID, "EUID", 5, false },
	{ "user", PSFMT_USER, "USER", 8, true },
	{ "euser", PSFMT_USER, "EUSER", 8, true },
	{ "uname", PSFMT_USER, "USER", 8, true },
	{ "ruid", PSFMT_RUID, "RUID", 5, false },
	{ "ruser", PSFMT_RUSER, "RUSER", 8, true },
	{ "gid", PSFMT_GID, "GID", 5, false },
	{ "egid", PSFMT_GID, "EGID", 5, false },
	{ "group", PSFMT_GROUP, "GROUP", 8, true },
	{ "egroup", PSFMT_GROUP, "EGROUP", 8, true },
	{ "c", PSFMT_C, "C", 2, false },
	{ "pcpu", PSFMT_PCPU, "%CPU", 4, false },
	{ "%cpu", PSFMT_PCPU, "%CPU", 4, false },
	{ "pmem", PSFMT_PMEM, "%MEM", 4, false },
	{ "%mem", PSFMT_PMEM, "%MEM", 4, false },
	{ "vsz", PSFMT_VSZ, "VSZ", 6, false },
	{ "vsize", PSFMT_VSZ, "VSZ", 6, false },
	{ "rss", PSFMT_RSS, "RSS", 5, false },
	{ "rssize", PSFMT_RSS, "RSS", 5, false },
	{ "rsz", PSFMT_RSS, "RSZ", 5, false },
	{ "sz", PSFMT_SZ, "SZ", 5, false },
	{ "nlwp", PSFMT_NLWP, "NLWP", 4, false },
	{ "thcount", PSFMT_NLWP, "THCNT", 4, false },
	{ "ni", PSFMT_NI, "NI", 3, false },
	{ "nice", PSFMT_NI, "NI", 3, false },
	{ "pri", PSFMT_PRI, "PRI", 3, false },
	{ "f", PSFMT_F, "F", 1, false },
	{ "flag", PSFMT_F, "F", 1, false },
	{ "flags", PSFMT_F, "F", 1, false },
	{ "stime", PSFMT_STIME, "STIME", 5, true },
	{ "start_time", PSFMT_STIME, "START", 5, true },
	{ "start", PSFMT_START, "STARTED", 8, false },
	{ "wchan", PSFMT_WCHAN, "WCHAN", 6, true },
	{ "psr", PSFMT_PSR, "PSR", 3, false },
	{ "addr", PSFMT_ADDR, "ADDR", 4, true },
};

#define PSFMT_NDEFS (sizeof(psfmt_defs) / sizeof(psfmt_defs[0]))

/* The first definition of kind (its width and alignment). */
static const struct psfmt_def *psfmt_def_of(enum psfmt_kind kind)
{
	size_t i;

	for (i = 0; i < PSFMT_NDEFS; i++)
		if (psfmt_defs[i].kind == kind)
			return &psfmt_defs[i];
	return &psfmt_defs[0];
}

static const struct psfmt_def *psfmt_def_named(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < PSFMT_NDEFS; i++)
		if (strlen(psfmt_defs[i].name) == len &&
		    !strncmp(psfmt_defs[i].name, name, len))
			return &psfmt_defs[i];
	return NULL;
}

/* --- options ------------------------------------------------------------- */

/* The formats of ps's options: kind, and the header ("" the column's). */
struct psfmt_pre {
	enum psfmt_kind kind;
	const char *head;
};

/* Each list ends with a NULL head. */
static const struct psfmt_pre psfmt_unix[] = {
	{ PSFMT_PID, "" },     { PSFMT_TTY, "TTY" }, { PSFMT_TIME, "" },
	{ PSFMT_COMM, "CMD" }, { 0, NULL },
};

static const struct psfmt_pre psfmt_full[] = {
	{ PSFMT_USER, "UID" }, { PSFMT_PID, "" },     { PSFMT_PPID, "" },
	{ PSFMT_C, "" },       { PSFMT_STIME, "" },   { PSFMT_TTY, "TTY" },
	{ PSFMT_TIME, "" },    { PSFMT_ARGS, "CMD" }, { 0, NULL },
};

static const struct psfmt_pre psfmt_long[] = {
	{ PSFMT_F, "" },    { PSFMT_S, "" },	   { PSFMT_UID, "" },
	{ PSFMT_PID, "" },  { PSFMT_PPID, "" },	   { PSFMT_C, "" },
	{ PSFMT_PRI, "" },  { PSFMT_NI, "" },	   { PSFMT_ADDR, "" },
	{ PSFMT_SZ, "" },   { PSFMT_WCHAN, "" },   { PSFMT_TTY, "TTY" },
	{ PSFMT_TIME, "" }, { PSFMT_COMM, "CMD" }, { 0, NULL },
};

static const struct psfmt_pre psfmt_longfull[] = {
	{ PSFMT_F, "" },      { PSFMT_S, "" },	   { PSFMT_USER, "UID" },
	{ PSFMT_PID, "" },    { PSFMT_PPID, "" },  { PSFMT_C, "" },
	{ PSFMT_PRI, "" },    { PSFMT_NI, "" },	   { PSFMT_ADDR, "" },
	{ PSFMT_SZ, "" },     { PSFMT_WCHAN, "" }, { PSFMT_STIME, "" },
	{ PSFMT_TTY, "TTY" }, { PSFMT_TIME, "" },  { PSFMT_ARGS, "CMD" },
	{ 0, NULL },
};

static const struct psfmt_pre psfmt_jobs[] = {
	{ PSFMT_PID, "" },    { PSFMT_PGID, "" }, { PSFMT_SID, "" },
	{ PSFMT_TTY, "TTY" }, { PSFMT_TIME, "" }, { PSFMT_COMM, "CMD" },
	{ 0, NULL },
};

static const struct psfmt_pre psfmt_bsd[] = {
	{ PSFMT_PID, "" },     { PSFMT_TTY, "TTY" }, { PSFMT_STAT, "" },
	{ PSFMT_BSDTIME, "" }, { PSFMT_ARGS, "" },   { 0, NULL },
};

static const struct psfmt_pre psfmt_bsduser[] = {
	{ PSFMT_USER, "" },    { PSFMT_PID, "" },  { PSFMT_PCPU, "" },
	{ PSFMT_PMEM, "" },    { PSFMT_VSZ, "" },  { PSFMT_RSS, "" },
	{ PSFMT_TTY, "TTY" },  { PSFMT_STAT, "" }, { PSFMT_STIME, "START" },
	{ PSFMT_BSDTIME, "" }, { PSFMT_ARGS, "" }, { 0, NULL },
};

struct psfmt_opts {
	bool full, lng, jobs, bsd, bsduser, list;
};

static int psfmt_fail(char *err, size_t cap, const char *what, const char *s,
		      size_t len)
{
	snprintf(err, cap, "%s%.*s", what, (int)(len > 40 ? 40 : len), s);
	return -1;
}

static int psfmt_add(struct psfmt_spec *sp, enum psfmt_kind kind,
		     const char *head, size_t hlen, char *err, size_t cap)
{
	struct psfmt_col *c;

	if (sp->ncols == PSFMT_COLS_MAX)
		return psfmt_fail(err, cap, "too many columns", "", 0);
	c = &sp->cols[sp->ncols++];
	c->kind = kind;
	if (hlen >= sizeof(c->head))
		hlen = sizeof(c->head) - 1;
	memcpy(c->head, head, hlen);
	c->head[hlen] = '\0';
	return 0;
}

/* A column list: "pid,comm", "pid comm", "pid=X,args=" (a header up to
 * the next comma; an empty one leaves the column without a header). */
static int psfmt_list(struct psfmt_spec *sp, const char *s, char *err,
		      size_t cap)
{
	const struct psfmt_def *d;
	const char *name, *eq, *head;
	size_t nlen, hlen;

	while (*s) {
		while (*s == ',' || *s == ' ')
			s++;
		if (!*s)
			break;
		for (name = s; *s && *s != ',' && *s != ' ' && *s != '='; s++)
			;
		nlen = (size_t)(s - name);
		eq = *s == '=' ? s : NULL;
		if (eq)
			for (s++; *s && *s != ','; s++)
				;
		d = psfmt_def_named(name, nlen);
		if (!d)
			return psfmt_fail(err, cap,
					  "unknown user-defined format "
					  "specifier ",
					  name, nlen);
		head = eq ? eq + 1 : d->head;
		hlen = eq ? (size_t)(s - head) : strlen(d->head);
		if (psfmt_add(sp, d->kind, head, hlen, err, cap))
			return -1;
		if (eq && !hlen) /* "" is a header too: keep it empty */
			sp->cols[sp->ncols - 1].head[0] = '\0';
	}
	return 0;
}

/* A pid list: "1,2" or "1 2". */
static int psfmt_pids(struct psfmt_spec *sp, const char *s, char *err,
		      size_t cap)
{
	const char *start = s;
	uint64_t v;

	while (*s) {
		if (*s == ',' || *s == ' ') {
			s++;
			continue;
		}
		for (v = 0; *s >= '0' && *s <= '9' && v <= UINT32_MAX; s++)
			v = v * 10 + (uint64_t)(*s - '0');
		if ((*s && *s != ',' && *s != ' ') || !v || v > UINT32_MAX)
			return psfmt_fail(err, cap,
					  "process ID list syntax "
					  "error: ",
					  start, strlen(start));
		if (sp->nsel == PSFMT_SEL_MAX)
			return psfmt_fail(err, cap, "too many pids", "", 0);
		sp->sel[sp->nsel++] = (uint32_t)v;
	}
	return 0;
}

/* The argument of an option letter: the rest of its word, or the next
 * word. NULL when there is none. */
static const char *psfmt_optarg(const char *rest, const char *const *argv,
				size_t argc, size_t *i)
{
	if (*rest)
		return rest;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int psfmt_long_opt(struct psfmt_spec *sp, struct psfmt_opts *o,
			  const char *const *argv, size_t argc, size_t *i,
			  char *err, size_t cap)
{
	const char *a = argv[*i], *eq = strchr(a, '='), *v;
	size_t n = eq ? (size_t)(eq - a) : strlen(a);

	if ((n == 12 && !strncmp(a, "--no-headers", n)) ||
	    (n == 12 && !strncmp(a, "--no-heading", n))) {
		sp->no_header = true;
		return 0;
	}
	if ((n == 8 && !strncmp(a, "--format", n)) ||
	    (n == 5 && !strncmp(a, "--pid", n))) {
		v = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
		if (!v)
			return psfmt_fail(err, cap,
					  "option requires an "
					  "argument: ",
					  a, n);
		if (a[2] == 'p')
			return psfmt_pids(sp, v, err, cap);
		o->list = true;
		return psfmt_list(sp, v, err, cap);
	}
	return psfmt_fail(err, cap, "unsupported option ", a, strlen(a));
}

/* One word of UNIX (dash) or BSD (no dash) option letters. */
static int psfmt_letters(struct psfmt_spec *sp, struct psfmt_opts *o,
			 const char *const *argv, size_t argc, size_t *i,
			 char *err, size_t cap)
{
	const char *a = argv[*i], *v;
	bool unix_opt = a[0] == '-';
	char one[3] = { unix_opt ? '-' : 0, 0, 0 };

	for (a += unix_opt; *a; a++) {
		switch (*a) {
		case 'e':
		case 'A':
		case 'a':
		case 'd':
		case 'g':
		case 'w':
			if (*a == 'e' && !unix_opt)
				goto bad; /* BSD e: the environment */
			if (*a == 'a' && !unix_opt)
				o->bsd = true;
			continue;
		case 'x':
			o->bsd = true; /* -x and x: BSD's format */
			continue;
		case 'f':
			if (!unix_opt)
				goto bad; /* BSD f: the forest */
			o->full = true;
			continue;
		case 'l':
			if (!unix_opt)
				goto bad;
			o->lng = true;
			continue;
		case 'j':
			if (!unix_opt)
				goto bad;
			o->jobs = true;
			continue;
		case 'u':
			if (unix_opt)
				goto bad; /* -u: a user list */
			o->bsduser = true;
			continue;
		case 'h':
			if (unix_opt)
				goto bad;
			sp->no_header = true;
			continue;
		case 'o':
		case 'p':
			v = psfmt_optarg(a + 1, argv, argc, i);
			if (!v)
				return psfmt_fail(err, cap,
						  "option requires "
						  "an argument: ",
						  a, 1);
			if (*a == 'p')
				return psfmt_pids(sp, v, err, cap);
			o->list = true;
			return psfmt_list(sp, v, err, cap);
		default:
			goto bad;
		}
	}
	return 0;
bad:
	one[unix_opt] = *a;
	return psfmt_fail(err, cap, "unsupported option ", one, strlen(one));
}

static int psfmt_preset(struct psfmt_spec *sp, const struct psfmt_pre *p,
			char *err, size_t cap)
{
	const char *h;

	for (; p->head; p++) {
		h = *p->head ? p->head : psfmt_def_of(p->kind)->head;
		if (psfmt_add(sp, p->kind, h, strlen(h), err, cap))
			return -1;
	}
	return 0;
}

int psfmt_parse(const char *const *argv, size_t argc, struct psfmt_spec *sp,
		char *err, size_t errcap)
{
	static const char *const dflt[] = { "-ef" };
	struct psfmt_opts o = { 0 };
	const struct psfmt_pre *p;
	const char *a;
	size_t i;
	int r;

	memset(sp, 0, sizeof(*sp));
	if (!argc) {
		argv = dflt;
		argc = 1;
	}
	for (i = 0; i < argc; i++) {
		a = argv[i];
		if (a[0] == '-' && a[1] == '-')
			r = psfmt_long_opt(sp, &o, argv, argc, &i, err, errcap);
		else if (a[0] >= '0' && a[0] <= '9') /* ps 1,2 */
			r = psfmt_pids(sp, a, err, errcap);
		else if (a[0] && (a[0] != '-' || a[1]))
			r = psfmt_letters(sp, &o, argv, argc, &i, err, errcap);
		else
			r = psfmt_fail(err, errcap, "unsupported option ", a,
				       strlen(a));
		if (r)
			return -1;
	}
	if (o.list)
		return 0;
	p = o.bsduser	      ? psfmt_bsduser
	    : o.lng && o.full ? psfmt_longfull
	    : o.lng	      ? psfmt_long
	    : o.jobs	      ? psfmt_jobs
	    : o.full	      ? psfmt_full
	    : o.bsd	      ? psfmt_bsd
			      : psfmt_unix;
	return psfmt_preset(sp, p, err, errcap);
}

bool psfmt_selected(const struct psfmt_spec *sp, uint32_t pid)
{
	size_t i;

	for (i = 0; i < sp->nsel; i++)
		if (sp->sel[i] == pid)
			return true;
	return !sp->nsel;
}

/* --- /proc --------------------------------------------------------------- */

/* A cursor over a text. */
struct psfmt_in {
	const char *p, *end;
};

static int psfmt_num(struct psfmt_in *in, int64_t *v)
{
	bool neg = false;
	uint64_t n = 0;
	const char *s;

	while (in->p < in->end && *in->p == ' ')
		in->p++;
	if (in->p < in->end && *in->p == '-') {
		neg = true;
		in->p++;
	}
	/* a number too large (rsslim's RLIM_INFINITY) is INT64_MAX */
	for (s = in->p; in->p < in->end && *in->p >= '0' && *in->p <= '9';
	     in->p++)
		n = n > ((uint64_t)INT64_MAX - 9) / 10
			    ? (uint64_t)INT64_MAX
			    : n * 10 + (uint64_t)(*in->p - '0');
	if (s == in->p)
		return -1;
	*v = neg ? -(int64_t)n : (int64_t)n;
	return 0;
}

int psfmt_stat_parse(const char *buf, size_t len, struct psfmt_proc *p)
{
	struct psfmt_in in = { buf, buf + len };
	const char *open = memchr(buf, '(', len), *close = NULL, *q;
	int64_t f[40] = { 0 }, pid;
	size_t n, k;

	for (q = buf; q < buf + len; q++)
		if (*q == ')')
			close = q;
	if (!open || !close || psfmt_num(&in, &pid) || pid <= 0 ||
	    pid > UINT32_MAX || in.p != open - 1 || *in.p != ' ')
		return -1;
	memset(p, 0, sizeof(*p));
	p->pid = (uint32_t)pid;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(p->comm))
		n = sizeof(p->comm) - 1;
	memcpy(p->comm, open + 1, n);
	p->comm[n] = '\0';
	in.p = close + 1;
	if (in.end - in.p < 3 || in.p[0] != ' ')
		return -1;
	p->state = in.p[1];
	in.p += 2;
	/* fields 4..39 (proc(5)'s numbering); a kernel may stop early after
	 * rss (24), never before it */
	for (k = 4; k <= 39; k++)
		if (psfmt_num(&in, &f[k]) && k <= 24)
			return -1;
	p->ppid = (uint32_t)f[4];
	p->pgid = (uint32_t)f[5];
	p->sid = (uint32_t)f[6];
	p->tty = (uint32_t)f[7];
	p->fg = f[7] && f[8] == f[5];
	p->flags = (uint32_t)f[9];
	p->utime = (uint64_t)(f[14] < 0 ? 0 : f[14]);
	p->stime = (uint64_t)(f[15] < 0 ? 0 : f[15]);
	p->priority = f[18];
	p->nice = f[19];
	p->nlwp = (uint32_t)f[20];
	p->start = (uint64_t)(f[22] < 0 ? 0 : f[22]);
	p->vsize = (uint64_t)(f[23] < 0 ? 0 : f[23]);
	p->rss = (uint64_t)(f[24] < 0 ? 0 : f[24]);
	p->psr = (uint32_t)f[39];
	p->leader = p->pid == p->sid;
	return 0;
}

int psfmt_status_parse(const char *buf, size_t len, struct psfmt_proc *p)
{
	struct psfmt_in in;
	const char *line = buf, *end = buf + len, *nl;
	int64_t v[2];
	unsigned got = 0;

	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		in.p = line + 5;
		in.end = nl;
		if (nl - line < 6)
			continue;
		if (!memcmp(line, "Uid:\t", 5) || !memcmp(line, "Gid:\t", 5)) {
			for (in.p = line + 5; in.p < nl && *in.p == '\t';)
				in.p++;
			if (psfmt_num(&in, &v[0]))
				return -1;
			while (in.p < nl && *in.p == '\t')
				in.p++;
			if (psfmt_num(&in, &v[1]))
				return -1;
			if (line[0] == 'U') {
				p->uid = (uint32_t)v[0];
				p->euid = (uint32_t)v[1];
			} else {
				p->gid = (uint32_t)v[0];
				p->egid = (uint32_t)v[1];
			}
			got |= line[0] == 'U' ? 1 : 2;
		} else if (nl - line > 7 && !memcmp(line, "VmLck:", 6)) {
			in.p = line + 6;
			while (in.p < nl && (*in.p == ' ' || *in.p == '\t'))
				in.p++;
			if (!psfmt_num(&in, &v[0]))
				p->vmlck = (int32_t)(v[0] > 0);
		}
	}
	return got == 3 ? 0 : -1;
}

/* --- values -------------------------------------------------------------- */

/* Text for a terminal: every byte that is not printable ASCII is '?'. */
static void psfmt_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/* The name of id in a passwd or group text ("name:x:id:..."), into out
 * (a name of safe characters, else nothing). */
static bool psfmt_name(const char *db, uint32_t id, char *out, size_t cap)
{
	const char *line, *c1, *c2, *nl;
	struct psfmt_in in;
	int64_t v;
	size_t n, k;

	for (line = db; db && *line; line = *nl ? nl + 1 : nl) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		c1 = memchr(line, ':', (size_t)(nl - line));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;
		if (!c2 || c1 == line)
			continue;
		in.p = c2 + 1;
		in.end = nl;
		if (psfmt_num(&in, &v) || v != (int64_t)id ||
		    (in.p < nl && *in.p != ':'))
			continue;
		n = (size_t)(c1 - line);
		if (n >= cap)
			return false;
		for (k = 0; k < n; k++)
			if (line[k] <= ' ' || line[k] > '~')
				return false;
		memcpy(out, line, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

static void psfmt_user(const char *db, uint32_t id, char *v, size_t cap)
{
	if (!psfmt_name(db, id, v, cap))
		snprintf(v, cap, "%u", id);
}

static void psfmt_tty(uint32_t dev, char *v, size_t cap)
{
	unsigned major = (dev >> 8) & 0xfff;
	unsigned minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);

	if (!dev)
		snprintf(v, cap, "?");
	else if (major >= 136 && major <= 143)
		snprintf(v, cap, "pts/%u", minor + (major - 136) * 256);
	else if (major == 4 && minor < 64)
		snprintf(v, cap, "tty%u", minor);
	else if (major == 4)
		snprintf(v, cap, "ttyS%u", minor - 64);
	else if (major == 5 && minor == 1)
		snprintf(v, cap, "console");
	else
		snprintf(v, cap, "%u,%u", major, minor);
}

/* Elapsed seconds d as [DD-]HH:MM:SS (cpu time) or [[DD-]HH:]MM:SS. */
static void psfmt_dur(uint64_t d, bool hours, char *v, size_t cap)
{
	unsigned s = (unsigned)(d % 60), m = (unsigned)(d / 60 % 60),
		 h = (unsigned)(d / 3600 % 24);
	uint64_t days = d / 86400;

	if (days)
		snprintf(v, cap, "%llu-%02u:%02u:%02u",
			 (unsigned long long)days, h, m, s);
	else if (hours || h)
		snprintf(v, cap, "%02u:%02u:%02u", h, m, s);
	else
		snprintf(v, cap, "%02u:%02u", m, s);
}

/* t (seconds since the epoch, UTC) as procps's STIME: HH:MM within a
 * day of now, MonDD within a year, else the year. */
static void psfmt_when(uint64_t t, uint64_t now, char *v, size_t cap)
{
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr",
					 "May", "Jun", "Jul", "Aug",
					 "Sep", "Oct", "Nov", "Dec" };
	uint64_t days = t / 86400, sod = t % 86400, era, doe, yoe, doy, mp;
	uint64_t z = days + 719468, y, d, m;

	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (now >= t && now - t < 86400)
		snprintf(v, cap, "%02u:%02u", (unsigned)(sod / 3600),
			 (unsigned)(sod / 60 % 60));
	else if (now >= t && now - t < 365 * 86400ULL)
		snprintf(v, cap, "%s%02u", mon[m - 1], (unsigned)d);
	else
		snprintf(v, cap, "%llu", (unsigned long long)y);
}

/* The args column: cmdline with spaces for NULs; [comm] when empty
 * (kernel threads, zombies). */
static void psfmt_args(const struct psfmt_proc *p, char *v, size_t cap)
{
	size_t n = p->args_len, k;

	while (n && p->args[n - 1] == '\0')
		n--;
	if (!n) {
		snprintf(v, cap, "[%s]%s", p->comm,
			 p->state == 'Z' ? " <defunct>" : "");
		return;
	}
	if (n >= cap)
		n = cap - 1;
	for (k = 0; k < n; k++)
		v[k] = p->args[k] ? p->args[k] : ' ';
	v[n] = '\0';
}

static void psfmt_stat(const struct psfmt_proc *p, char *v, size_t cap)
{
	snprintf(v, cap, "%c%s%s%s%s%s", p->state,
		 p->nice < 0   ? "<"
		 : p->nice > 0 ? "N"
			       : "",
		 p->vmlck ? "L" : "", p->leader ? "s" : "",
		 p->nlwp > 1 ? "l" : "", p->fg ? "+" : "");
}

/* Per mille, as "%u.%u". */
static void psfmt_permille(uint64_t pm, char *v, size_t cap)
{
	snprintf(v, cap, "%llu.%llu", (unsigned long long)(pm / 10),
		 (unsigned long long)(pm % 10));
}

static void psfmt_value(const struct psfmt_col *c, const struct psfmt_sys *sys,
			const struct psfmt_proc *p, char *v, size_t cap)
{
	uint64_t hz = sys->hz ? sys->hz : 100, cpu = (p->utime + p->stime) / hz;
	uint64_t started = p->start / hz;
	uint64_t up = sys->uptime > started ? sys->uptime - started : 0;
	unsigned long long u = 0;

	switch (c->kind) {
	case PSFMT_PID:
		u = p->pid;
		break;
	case PSFMT_PPID:
		u = p->ppid;
		break;
	case PSFMT_PGID:
		u = p->pgid;
		break;
	case PSFMT_SID:
		u = p->sid;
		break;
	case PSFMT_UID:
		u = p->euid;
		break;
	case PSFMT_RUID:
		u = p->uid;
		break;
	case PSFMT_GID:
		u = p->egid;
		break;
	case PSFMT_C:
		u = up ? cpu * 100 / up : 0;
		u = u > 99 ? 99 : u;
		break;
	case PSFMT_VSZ:
		u = p->vsize / 1024;
		break;
	case PSFMT_RSS:
		u = p->rss * (sys->page ? sys->page : 4096) / 1024;
		break;
	case PSFMT_SZ:
		u = p->vsize / (sys->page ? sys->page : 4096);
		break;
	case PSFMT_NLWP:
		u = p->nlwp;
		break;
	case PSFMT_PSR:
		u = p->psr;
		break;
	case PSFMT_F:
		u = (p->flags >> 6) & 7;
		break;
	case PSFMT_ETIMES:
		u = up;
		break;
	case PSFMT_NI:
		snprintf(v, cap, "%lld", (long long)p->nice);
		return;
	case PSFMT_PRI:
		snprintf(v, cap, "%lld", (long long)p->priority + 60);
		return;
	case PSFMT_TTY:
		psfmt_tty(p->tty, v, cap);
		return;
	case PSFMT_STAT:
		psfmt_stat(p, v, cap);
		return;
	case PSFMT_S:
		snprintf(v, cap, "%c", p->state);
		return;
	case PSFMT_TIME:
		psfmt_dur(cpu, true, v, cap);
		return;
	case PSFMT_BSDTIME:
		snprintf(v, cap, "%llu:%02u", (unsigned long long)(cpu / 60),
			 (unsigned)(cpu % 60));
		return;
	case PSFMT_ETIME:
		psfmt_dur(up, false, v, cap);
		return;
	case PSFMT_COMM:
		snprintf(v, cap, "%s", p->comm);
		return;
	case PSFMT_ARGS:
		psfmt_args(p, v, cap);
		return;
	case PSFMT_USER:
		psfmt_user(sys->passwd, p->euid, v, cap);
		return;
	case PSFMT_RUSER:
		psfmt_user(sys->passwd, p->uid, v, cap);
		return;
	case PSFMT_GROUP:
		psfmt_user(sys->group, p->egid, v, cap);
		return;
	case PSFMT_PCPU:
		psfmt_permille(up ? cpu * 1000 / up : 0, v, cap);
		return;
	case PSFMT_PMEM:
		u = p->rss * (sys->page ? sys->page : 4096) / 1024;
		psfmt_permille(sys->mem_kb ? u * 1000 / sys->mem_kb : 0, v,
			       cap);
		return;
	case PSFMT_STIME:
	case PSFMT_START:
		psfmt_when(sys->boot + started, sys->now, v, cap);
		return;
	case PSFMT_WCHAN:
		snprintf(v, cap, "%s",
			 p->wchan && strcmp(p->wchan, "0") ? p->wchan : "-");
		return;
	case PSFMT_ADDR:
	default:
		snprintf(v, cap, "-");
		return;
	}
	snprintf(v, cap, "%llu", u);
}

/* --- lines --------------------------------------------------------------- */

/* Columns procps cuts to their width when another follows: names (the
 * last character '+') and WCHAN. */
static bool psfmt_cut(enum psfmt_kind k)
{
	return k == PSFMT_USER || k == PSFMT_RUSER || k == PSFMT_GROUP ||
	       k == PSFMT_WCHAN;
}

/* s cut to w (< PSFMT_HEAD_MAX) characters in out, '+' last if plus. */
static const char *psfmt_cut_to(const char *s, unsigned w, bool plus, char *out)
{
	memcpy(out, s, w);
	if (plus)
		out[w - 1] = '+';
	out[w] = '\0';
	return out;
}

/* Append column i's text s to buf (at *n): a space before it, padded to
 * the column's width but the last column's. -1 when it does not fit. */
static int psfmt_cell(const struct psfmt_spec *sp, size_t i, const char *s,
		      char *buf, size_t cap, size_t *n)
{
	const struct psfmt_def *d = psfmt_def_of(sp->cols[i].kind);
	unsigned w = d->width;
	char cut[PSFMT_HEAD_MAX];
	int k;

	if (i + 1 == sp->ncols && d->left)
		w = 0; /* the last text column is not padded */
	else if (strlen(s) > w && psfmt_cut(d->kind))
		s = psfmt_cut_to(s, w, d->kind != PSFMT_WCHAN, cut);
	k = snprintf(buf + *n, cap - *n, "%s%*s", i ? " " : "",
		     d->left ? -(int)w : (int)w, s);
	if (k < 0 || (size_t)k >= cap - *n)
		return -1;
	*n += (size_t)k;
	return 0;
}

static int psfmt_end(char *buf, size_t cap, size_t n)
{
	while (n && buf[n - 1] == ' ')
		n--;
	if (n + 2 > cap) {
		buf[0] = '\0';
		return -1;
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	return (int)n;
}

int psfmt_header(const struct psfmt_spec *sp, char *buf, size_t cap)
{
	size_t i, n = 0;
	bool any = false;

	if (!cap)
		return -1;
	buf[0] = '\0';
	for (i = 0; i < sp->ncols; i++)
		any |= sp->cols[i].head[0] != '\0';
	if (sp->no_header || !any)
		return 0;
	for (i = 0; i < sp->ncols; i++)
		if (psfmt_cell(sp, i, sp->cols[i].head, buf, cap, &n)) {
			buf[0] = '\0';
			return -1;
		}
	return psfmt_end(buf, cap, n);
}

int psfmt_row(const struct psfmt_spec *sp, const struct psfmt_sys *sys,
	      const struct psfmt_proc *p, char *buf, size_t cap)
{
	char v[4096];
	size_t i, n = 0;

	if (!cap)
		return -1;
	buf[0] = '\0';
	for (i = 0; i < sp->ncols; i++) {
		psfmt_value(&sp->cols[i], sys, p, v, sizeof(v));
		psfmt_clean(v);
		if (psfmt_cell(sp, i, v, buf, cap, &n)) {
			buf[0] = '\0';
			return -1;
		}
	}
	return psfmt_end(buf, cap, n);
}
