/*
 * opts.h: how moat-agent was started (main.c parses the command line or
 * finds the guest's channel), as the other modules read it.
 */
#ifndef MOAT_AGENT_OPTS_H
#define MOAT_AGENT_OPTS_H

#include <stdbool.h>

struct share_ops;

struct agent_opts {
	int channel_fd;			/* the byte channel to the host */
	const struct share_ops *shares; /* bundle sources by tag */
	const char *share_dir;		/* host mode: tag T is share_dir/T */
	const char *cgroup_root;	/* a cgroup2 directory, or NULL */
	bool guest;			/* PID 1 of a moat VM */
};

#endif
