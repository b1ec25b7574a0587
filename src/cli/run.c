/*
 * run.c: `moat run [OPTIONS] ID`: create and start a container (create's
 * options, plus --detach/-d, --keep, --no-subreaper). Without --detach the
 * shim stays this process's child: moat forwards the signals it gets to
 * the shim (which forwards them to the container's init), waits for it,
 * deletes the container as runc does (unless --keep: then it stays,
 * stopped, for `moat delete`), and exits with the container's status (128
 * + N when signal N killed it). With --detach, moat returns once the
 * container runs, like create + start.
 * A container with process.terminal and no --console-socket gets moat's
 * own terminal, as under runc: create makes a pty whose slave the shim
 * relays to the guest's terminal; moat sets its terminal raw, copies its
 * stdin to the pty and the pty to its stdout, gives the pty its window
 * size on SIGWINCH (and tells the shim, which resizes the guest's), and
 * restores the terminal at the end (term.h).
 * Input: argv and the bundle, as create; the user's terminal.
 */
#include "cli.h"
#include "../runtime/hooks.h"
#include "../runtime/state.h"
#include "../runtime/term.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* The signals moat forwards (term.h: as runc, all it may), SIGWINCH
 * and SIGCHLD. */
static void cli_run_mask(sigset_t *mask)
{
	sigemptyset(mask);
	term_forward_mask(mask);
	sigaddset(mask, SIGWINCH);
	sigaddset(mask, SIGCHLD);
}

/* Wait for the shim, forwarding signals (blocked since before create:
 * one that came while the VM booted is delivered now) and relaying the
 * terminal t when it is open; the shim's wait status, or -1. */
static int cli_run_wait(pid_t shim, struct term_relay *t)
{
	struct signalfd_siginfo si;
	struct pollfd p[3];
	sigset_t mask;
	int status, sfd;
	pid_t w;

	cli_run_mask(&mask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	for (;;) {
		w = waitpid(shim, &status, WNOHANG);
		if (w == shim || (w < 0 && errno != EINTR))
			break;
		p[0].fd = sfd;
		p[0].events = POLLIN;
		p[0].revents = 0;
		if (t->master >= 0)
			term_relay_poll(t, p + 1);
		if (poll(p, t->master >= 0 ? 3 : 1, sfd < 0 ? 100 : -1) < 0)
			continue;
		while (sfd >= 0 &&
		       read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				continue;
			/* the pty's size first: the shim reads it there */
			if (si.ssi_signo == SIGWINCH)
				term_relay_resize(t);
			kill(shim, (int)si.ssi_signo);
		}
		if (t->master >= 0)
			term_relay_io(t, p + 1);
	}
	/* what the container wrote last is still in the pty */
	term_relay_drain(t, 500);
	if (sfd >= 0)
		close(sfd);
	return w == shim ? status : -1;
}

static void cli_run_remove(struct cli_ctx *ctx, const char *id)
{
	struct state_handle h = STATE_HANDLE_INIT;
	struct moat_err *e = NULL;

	struct spec *hk = NULL;
	struct state s;

	if (state_open(ctx->root, id, true, &h, &e) == 0 &&
	    state_read(&h, &s, &e) == 0) {
		if (hooks_load_config(h.dir_fd, &hk, &e) == 0 &&
		    state_destroy(ctx->root, &h, &e) == 0)
			cli_hooks(ctx, hk, &s, STATE_STOPPED,
				  SPEC_HOOK_POSTSTOP, true, &e);
		state_clear(&s);
	}
	spec_free(hk);
	state_close(&h);
	moat_err_free(&e);
}

int cli_run(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	struct term_relay t = TERM_RELAY_INIT;
	struct cli_create o;
	pid_t shim;
	int status;

	if (cli_create_opts(argc, argv, &o, true, e))
		return -1;
	o.foreground = !o.detach;
	o.relay = &t;
	/* Without --detach, moat lives as long as the container and passes
	 * signals on: block them now, so that none kills moat half-way and
	 * leaves the container behind (the shim starts with none blocked). */
	if (o.foreground) {
		sigset_t mask;

		cli_run_mask(&mask);
		/* and SIGPIPE, not forwarded: a write to a closed stdout
		 * fails, moat does not die of it */
		sigaddset(&mask, SIGPIPE);
		sigprocmask(SIG_BLOCK, &mask, NULL);
	}
	if (cli_create_container(ctx, &o, &shim, e)) {
		term_relay_close(&t);
		return -1;
	}
	/* the shim has the pty's slave now: its end is the relay's */
	if (t.slave >= 0) {
		close(t.slave);
		t.slave = -1;
	}
	if ((t.master >= 0 && term_relay_raw(&t, e)) ||
	    cli_start_container(ctx, o.id, e)) {
		struct state_handle h = STATE_HANDLE_INIT;
		struct moat_err *e2 = NULL;
		struct state s;

		/* Leave nothing (but the state, with --keep): kill the shim
		 * (and so its VM), remove the state and run poststop (as for
		 * any container that stops). */
		term_relay_close(&t);
		if (state_open(ctx->root, o.id, true, &h, &e2) == 0 &&
		    state_read(&h, &s, &e2) == 0) {
			state_signal(&s, SIGKILL, 10000, &e2);
			state_clear(&s);
		}
		state_close(&h);
		moat_err_free(&e2);
		if (!o.keep)
			cli_run_remove(ctx, o.id);
		if (o.foreground)
			waitpid(shim, &status, 0);
		return -1;
	}
	if (o.detach)
		return 0;
	status = cli_run_wait(shim, &t);
	term_relay_close(&t);
	if (!o.keep)
		cli_run_remove(ctx, o.id);
	if (status < 0)
		return moat_err_set(e, errno, "wait for the shim");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
