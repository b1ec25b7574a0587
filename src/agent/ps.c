/*
 * ps.c: the table of a PS request (ps.h): ps(1)'s options read by
 * src/common/psfmt.c, each process's /proc/PID/stat, status, cmdline and
 * wchan read here and written as psfmt's rows.
 *
 * Inputs: the options come from the host (through `moat ps`); the /proc
 * files from the guest's kernel, the passwd and group files from the
 * container's root (what the container wrote: bounded reads, parsed by
 * psfmt, which writes every text byte that is not printable as '?').
 */
#include "ps.h"
#include "../common/cleanup.h"
#include "../common/psfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PS_FILE_MAX (256U << 10) /* passwd, group */
#define PS_ARGS_MAX 4096	 /* of a cmdline: a row holds no more */

/* Up to cap - 1 bytes of path into buf, NUL-terminated; the count, or -1. */
static ssize_t ps_read(const char *path, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	while (got + 1 < cap) {
		r = read(fd, buf + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* The first number after key in a /proc text, 0 when none. */
static uint64_t ps_figure(const char *path, const char *key)
{
	char buf[8192], *p;
	ssize_t n = ps_read(path, buf, sizeof(buf));

	if (n <= 0)
		return 0;
	p = *key ? strstr(buf, key) : buf;
	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* A file of the container's root (passwd, group), malloc'd, or NULL. */
static char *ps_root_file(pid_t root, const char *name)
{
	char path[64], *buf;

	if (root <= 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/root/etc/%s", (int)root, name);
	buf = malloc(PS_FILE_MAX);
	if (buf && ps_read(path, buf, PS_FILE_MAX) < 0) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* One process's record; -1 when it is gone. args and wchan point into
 * the caller's buffers. */
static int ps_proc(uint32_t pid, struct psfmt_proc *p, char *args, char *wchan,
		   size_t wcap)
{
	char path[64], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	n = ps_read(path, buf, sizeof(buf));
	if (n <= 0 || psfmt_stat_parse(buf, (size_t)n, p))
		return -1;
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	n = ps_read(path, buf, sizeof(buf));
	if (n <= 0 || psfmt_status_parse(buf, (size_t)n, p))
		return -1;
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = ps_read(path, args, PS_ARGS_MAX);
	p->args = args;
	p->args_len = n > 0 ? (size_t)n : 0;
	snprintf(path, sizeof(path), "/proc/%u/wchan", pid);
	p->wchan = ps_read(path, wchan, wcap) > 0 ? wchan : NULL;
	return 0;
}

/* The table into buf[0..cap): its length, or -1 with err set. */
static int ps_table(const struct psfmt_spec *sp, const uint32_t *pids, size_t n,
		    pid_t root, char *buf, size_t cap)
{
	_cleanup_free_ char *passwd = ps_root_file(root, "passwd");
	_cleanup_free_ char *group = ps_root_file(root, "group");
	struct psfmt_sys sys = { 0 };
	struct psfmt_proc p;
	char args[PS_ARGS_MAX], wchan[64];
	size_t used = 0, i;
	long v;
	int k;

	v = sysconf(_SC_CLK_TCK);
	sys.hz = v > 0 ? (uint64_t)v : 100;
	v = sysconf(_SC_PAGESIZE);
	sys.page = v > 0 ? (uint64_t)v : 4096;
	sys.boot = ps_figure("/proc/stat", "\nbtime ");
	sys.uptime = ps_figure("/proc/uptime", "");
	sys.mem_kb = ps_figure("/proc/meminfo", "MemTotal:");
	sys.now = (uint64_t)time(NULL);
	sys.passwd = passwd;
	sys.group = group;
	k = psfmt_header(sp, buf, cap);
	if (k < 0)
		return -1;
	used = (size_t)k;
	for (i = 0; i < n; i++) {
		if (!psfmt_selected(sp, pids[i]) ||
		    ps_proc(pids[i], &p, args, wchan, sizeof(wchan)))
			continue;
		k = psfmt_row(sp, &sys, &p, buf + used, cap - used);
		if (k < 0)
			break; /* full: the rows so far */
		used += (size_t)k;
	}
	return (int)used;
}

void ps_reply_table(struct outq *q, const struct msg *req, const uint32_t *pids,
		    size_t n, pid_t root)
{
	struct msg r = { WIRE_K_REPLY, req->op, req->id, { { 0 } } };
	const char *argv[MSG_PSARGS_MAX + 1];
	char err[PSFMT_ERR_MAX];
	_cleanup_free_ struct psfmt_spec *sp = malloc(sizeof(*sp));
	_cleanup_free_ char *buf = malloc(MSG_TABLE_MAX + 1);
	int argc, len;

	if (!sp || !buf) {
		outq_error(q, req, ENOMEM, "out of memory");
		return;
	}
	argc = msg_strlist_vec(&req->u.psreq.args, argv, MSG_PSARGS_MAX + 1);
	if (argc < 0 || psfmt_parse(argv, (size_t)argc, sp, err, sizeof(err))) {
		outq_error(q, req, EINVAL, "ps: %s",
			   argc < 0 ? "too many options" : err);
		return;
	}
	len = ps_table(sp, pids, n, root, buf, MSG_TABLE_MAX + 1);
	if (len < 0) {
		outq_error(q, req, EINVAL, "ps: the header is too long");
		return;
	}
	r.u.ps.table.p = (const uint8_t *)buf;
	r.u.ps.table.len = (uint32_t)len;
	outq_msg(q, &r, WIRE_HDR_LEN + 64 + (size_t)len);
}
