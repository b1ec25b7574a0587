/*
 * proc.c: the processes the agent started (see proc.h).
 *
 * Inputs: handles from the host's requests (looked up, never trusted to
 * exist); /proc, for the processes of the container's pid namespace.
 */
#include "proc.h"
#include "../proto/msg.h"
#include "../proto/wire.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct proc *proc_new(struct procs *ps, pid_t pid)
{
	struct proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->handle = ++ps->next_handle;
	p->pid = pid;
	p->next = ps->all;
	ps->all = p;
	return p;
}

struct proc *proc_find(struct procs *ps, uint32_t handle)
{
	struct proc *p;

	for (p = ps->all; p; p = p->next)
		if (p->handle == handle)
			return p;
	return NULL;
}

bool proc_all_exited(const struct procs *ps)
{
	const struct proc *p;

	for (p = ps->all; p; p = p->next)
		if (!p->exited)
			return false;
	return true;
}

void proc_kill_all(struct procs *ps)
{
	struct proc *p;

	for (p = ps->all; p; p = p->next)
		if (!p->exited)
			kill(p->pid, SIGKILL);
}

void proc_reap(struct procs *ps, void (*exited)(void *ctx, struct proc *p),
	       void *ctx)
{
	struct proc *p;
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		for (p = ps->all; p; p = p->next)
			if (p->pid == pid && !p->exited)
				break;
		if (!p)
			continue; /* an orphan, or a failed start */
		p->exited = true;
		if (WIFSIGNALED(status))
			p->signo = (uint32_t)WTERMSIG(status);
		else
			p->code = (uint32_t)WEXITSTATUS(status);
		exited(ctx, p);
	}
}

void proc_fini(struct procs *ps)
{
	struct proc *p, *pn;

	for (p = ps->all; p; p = p->next)
		if (!p->exited)
			while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
				;
	for (p = ps->all; p; p = pn) {
		pn = p->next;
		free(p->waiters);
		free(p);
	}
	ps->all = NULL;
}

int proc_wait_add(struct proc *p, uint32_t id)
{
	uint32_t *w = realloc(p->waiters, (p->nwaiters + 1) * sizeof(*w));

	if (!w)
		return -1;
	w[p->nwaiters++] = id;
	p->waiters = w;
	return 0;
}

void proc_send_exit(struct outq *q, uint8_t kind, uint16_t op, uint32_t id,
		    const struct proc *p)
{
	struct msg m = { kind, op, id, { { 0 } } };

	m.u.exit.proc = p->handle;
	m.u.exit.code = p->code;
	m.u.exit.signo = p->signo;
	outq_msg(q, &m, WIRE_HDR_LEN + 64);
}

void proc_report_exit(struct outq *q, struct proc *p)
{
	size_t i;

	proc_send_exit(q, WIRE_K_EVENT, MSG_EV_EXIT, 0, p);
	for (i = 0; i < p->nwaiters; i++)
		proc_send_exit(q, WIRE_K_REPLY, MSG_OP_WAIT, p->waiters[i], p);
	free(p->waiters);
	p->waiters = NULL;
	p->nwaiters = 0;
}

static int proc_pid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

size_t proc_pids(const struct procs *ps, const struct proc *init, bool pidns,
		 uint32_t *pids, size_t cap)
{
	const struct proc *p;
	struct stat ns, st;
	struct dirent *d;
	char path[64];
	size_t n = 0;
	DIR *dir;

	if (!pidns) {
		for (p = ps->all; p && n < cap; p = p->next)
			if (!p->exited)
				pids[n++] = (uint32_t)p->pid;
		goto out;
	}
	if (init->exited)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init->pid);
	if (stat(path, &ns) < 0)
		return 0;
	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < cap) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		if (strlen(d->d_name) > 10)
			continue;
		snprintf(path, sizeof(path), "/proc/%.10s/ns/pid", d->d_name);
		if (stat(path, &st) == 0 && st.st_ino == ns.st_ino &&
		    st.st_dev == ns.st_dev)
			pids[n++] = (uint32_t)strtoul(d->d_name, NULL, 10);
	}
	closedir(dir);
out:
	qsort(pids, n, sizeof(*pids), proc_pid_cmp);
	return n;
}
