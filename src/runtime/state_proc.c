/*
 * state_proc.c: whether a container's recorded process is still that
 * process, and signalling it only then (state_proc.h).
 * Inputs: pids and start times from state.json; /proc/PID/stat, parsed by
 * the pure state_parse_proc_stat(). A process that is gone is runc's
 * "container not running" (ESRCH), the words containerd's shim parses.
 */
#include "state_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int state_parse_proc_stat(const char *buf, size_t len, char *st,
			  uint64_t *start)
{
	const char *p = NULL, *end = buf + len;
	unsigned long long v = 0;
	size_t i;
	int field;

	for (i = 0; i < len; i++)
		if (buf[i] == ')')
			p = buf + i;
	if (!p)
		return -1;
	/* p: the ')' closing field 2; field 3 (state) follows a space */
	p++;
	if (p + 2 > end || *p != ' ')
		return -1;
	*st = p[1];
	p += 2;
	/* skip to field 22: 19 more spaces */
	for (field = 3; field < 22; field++) {
		while (p < end && *p != ' ')
			p++;
		if (p >= end)
			return -1;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(*p++ - '0');
	}
	if (p < end && *p != ' ' && *p != '\n')
		return -1;
	*start = v;
	return 0;
}

/* Read /proc/PID/stat: its state letter and start time. */
static int state_proc_stat(pid_t pid, char *st, uint64_t *start)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	if (pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -1;
	if (state_parse_proc_stat(buf, (size_t)n, st, start)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int state_proc_start(pid_t pid, uint64_t *start)
{
	char st;

	return state_proc_stat(pid, &st, start);
}

bool state_proc_alive(pid_t pid, uint64_t start)
{
	uint64_t now;
	char st;

	if (state_proc_stat(pid, &st, &now))
		return false;
	/* Z: zombie, X: dead; a different start time: the PID was reused */
	return st != 'Z' && st != 'X' && now == start;
}

int state_signal(const struct state *s, int sig, int wait_ms,
		 struct moat_err **e)
{
	struct pollfd p;
	int pfd, r, err;

	if (s->pid <= 0)
		return moat_err_code(e, ESRCH, "container not running");
	pfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (pfd < 0 && errno != ENOSYS && errno != ESRCH)
		return moat_err_set(e, errno, "container %s: pidfd_open",
				    s->id);
	if (!state_proc_alive(s->pid, s->pid_start)) {
		if (pfd >= 0)
			close(pfd);
		return moat_err_code(e, ESRCH, "container not running");
	}
	if (pfd >= 0)
		r = (int)syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0);
	else
		r = kill(s->pid, sig);
	if (r < 0) {
		err = errno;
		if (pfd >= 0)
			close(pfd);
		if (err == ESRCH)
			return moat_err_code(e, ESRCH, "container not running");
		return moat_err_set(e, err, "container %s: signal %d", s->id,
				    sig);
	}
	for (r = 0; wait_ms > 0 && r < wait_ms; r += 10) {
		if (pfd >= 0) {
			/* POLLIN: the process has exited */
			p.fd = pfd;
			p.events = POLLIN;
			if (poll(&p, 1, wait_ms) > 0)
				break;
			r = wait_ms;
			break;
		}
		if (!state_proc_alive(s->pid, s->pid_start))
			break;
		usleep(10000);
	}
	if (pfd >= 0)
		close(pfd);
	if (wait_ms > 0 && r >= wait_ms &&
	    state_proc_alive(s->pid, s->pid_start))
		return moat_err_code(e, ETIMEDOUT,
				     "container %s: still alive %d ms after "
				     "signal %d",
				     s->id, wait_ms, sig);
	return 0;
}

enum state_status state_status_of(const struct state *s)
{
	bool alive = s->pid > 0 && state_proc_alive(s->pid, s->pid_start);

	return state_derive(s->phase, s->pid, alive);
}
