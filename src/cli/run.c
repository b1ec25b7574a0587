/*
 * run.c: `moat run [OPTIONS] ID`: create and start a container (create's
 * options, plus --detach/-d). Without --detach the shim stays this
 * process's child: moat forwards the signals it gets to the shim (which
 * forwards them to the container's init), waits for it, deletes the
 * container as runc does, and exits with the container's status (128 + N
 * when signal N killed it). With --detach, moat returns once the
 * container runs, like create + start.
 * Input: argv and the bundle, as create.
 */
#include "cli.h"
#include "../runtime/hooks.h"
#include "../runtime/state.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

static const int cli_run_forward[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
};

/* The signals moat forwards, and SIGCHLD. */
static void cli_run_mask(sigset_t *mask)
{
	size_t i;

	sigemptyset(mask);
	sigaddset(mask, SIGCHLD);
	for (i = 0; i < sizeof(cli_run_forward) / sizeof(cli_run_forward[0]);
	     i++)
		sigaddset(mask, cli_run_forward[i]);
}

/* Wait for the shim, forwarding signals (blocked since before create:
 * one that came while the VM booted is delivered now); its wait
 * status. */
static int cli_run_wait(pid_t shim)
{
	siginfo_t si;
	sigset_t mask;
	int status;
	pid_t w;

	cli_run_mask(&mask);
	for (;;) {
		w = waitpid(shim, &status, WNOHANG);
		if (w == shim || (w < 0 && errno != EINTR))
			break;
		if (sigwaitinfo(&mask, &si) > 0 && si.si_signo != SIGCHLD)
			kill(shim, si.si_signo);
	}
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
	struct cli_create o;
	pid_t shim;
	int status;

	if (cli_create_opts(argc, argv, &o, true, e))
		return -1;
	o.foreground = !o.detach;
	/* Without --detach, moat lives as long as the container and passes
	 * signals on: block them now, so that none kills moat half-way and
	 * leaves the container behind (the shim starts with none blocked). */
	if (o.foreground) {
		sigset_t mask;

		cli_run_mask(&mask);
		sigprocmask(SIG_BLOCK, &mask, NULL);
	}
	if (cli_create_container(ctx, &o, &shim, e))
		return -1;
	if (cli_start_container(ctx, o.id, e)) {
		struct state_handle h = STATE_HANDLE_INIT;
		struct moat_err *e2 = NULL;
		struct state s;

		/* Leave nothing: kill the shim (and so its VM), remove the
		 * state. */
		if (state_open(ctx->root, o.id, true, &h, &e2) == 0 &&
		    state_read(&h, &s, &e2) == 0) {
			state_signal(&s, SIGKILL, 10000, &e2);
			state_clear(&s);
			moat_err_free(&e2);
			state_destroy(ctx->root, &h, &e2);
		}
		state_close(&h);
		moat_err_free(&e2);
		if (o.foreground)
			waitpid(shim, &status, 0);
		return -1;
	}
	if (o.detach)
		return 0;
	status = cli_run_wait(shim);
	cli_run_remove(ctx, o.id);
	if (status < 0)
		return moat_err_set(e, errno, "wait for the shim");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
