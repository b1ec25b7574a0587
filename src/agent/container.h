/*
 * container.h: the container's processes (container.c): the init cloned
 * into new namespaces over its root filesystem (rootfs.c), held, started;
 * further processes in its namespaces; each set up in the child
 * (child.c) up to execve.
 */
#ifndef MOAT_AGENT_CONTAINER_H
#define MOAT_AGENT_CONTAINER_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A process to start. For the container's init (container_create), cfg
 * gives everything; for an exec'd process the fields below override the
 * config's process. stdio[i] is the fd for 0, 1, 2 (-1: /dev/null).
 * With tty, the child opens a terminal in the container's own devpts
 * (so that ttyname() works there), makes it stdin, stdout, stderr and its
 * controlling terminal, and hands the master to the agent.
 */
struct container_proc {
	const struct config *cfg;
	char *const *argv;
	char *const *env;
	const char *cwd;
	bool has_user;
	uid_t uid;
	gid_t gid;
	const gid_t *gids;
	size_t ngids;
	bool has_caps; /* caps replace the config's (exec --cap, --process) */
	uint64_t caps[SPEC_CAP_SETS];
	uint32_t nnp; /* MSG_NNP_*: the config's no_new_privs, off, on */
	int stdio[3];
	bool tty;
	const void *bpf;	  /* struct sock_filter[], or NULL */
	size_t bpf_len;		  /* instructions */
	const char *cgroup_procs; /* cgroup.procs to join, or NULL */
};

/*
 * Clone the container's init into the namespaces of cfg, set up its root
 * filesystem from rootfs and hold it before execve. Returns the pid, with
 * *sync set to the fd that container_start() uses and, with p->tty, *master
 * to the terminal's master; or -1 with *e set.
 */
pid_t container_create(const struct container_proc *p, const char *rootfs,
		       int *sync, int *master, struct moat_err **e);

/*
 * Let the held init run. Returns 0 once it has exec'd, -1 with *e set when
 * the execve failed (the init then exits 127). Closes sync.
 */
int container_start(int sync, struct moat_err **e);

/*
 * Start a process in the namespaces of the container whose init is
 * init_pidfd. Returns its pid, or -1 with *e set (nothing is left
 * running).
 */
pid_t container_exec(const struct container_proc *p, int init_pidfd,
		     int *master, struct moat_err **e);

#endif
