/*
 * cgroup.h: the container's cgroup2 group (or v1 hierarchies on a host)
 * and its limits (cgroup.c).
 */
#ifndef MOAT_AGENT_CGROUP_H
#define MOAT_AGENT_CGROUP_H

#include "../common/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct config;

struct cgroup; /* the container's group (cgroup2, or v1 on a host) */

/*
 * Limits to set. Each is CGROUP_UNSET (leave it as it is), CGROUP_MAX (no
 * limit) or a value: bytes for memory (mem_swap is memory+swap, as in
 * OCI), microseconds for the cpu quota and period, OCI shares (2 to
 * 262,144; turned into cgroup2's cpu.weight), a number of processes.
 */
#define CGROUP_UNSET INT64_MIN
#define CGROUP_MAX (-1)
struct cgroup_limits {
	int64_t mem_limit, mem_swap;
	int64_t cpu_quota, cpu_period, cpu_shares;
	int64_t pids_limit;
};

/* Usage, as the STATS reply carries it (0 limits: none). */
struct cgroup_stats {
	uint64_t cpu_ns, cpu_user_ns, cpu_sys_ns;
	uint64_t mem_bytes, mem_limit;
	uint64_t pids, pids_limit;
};

/* true when cfg asks for a limit (so the container needs a group). */
bool cgroup_wanted(const struct config *cfg);

/*
 * Make the group for container id under root (a cgroup2 directory, or a
 * directory of v1 hierarchies: see cgroup.c), with the controllers it
 * needs, and set cfg's limits. Returns 0 with *out set, or -1 with *e set
 * (EOPNOTSUPP when a limit asked for has no controller).
 */
int cgroup_create(const char *root, const char *id, const struct config *cfg,
		  struct cgroup **out, struct moat_err **e);

/* true when the group is in a cgroup2 hierarchy (the guest's). */
bool cgroup_v2(const struct cgroup *cg);

/* The cgroup.procs file a new process writes "0" into to join. */
const char *cgroup_procs_path(const struct cgroup *cg);

/*
 * The cgroup.procs an exec'd process joins, into buf. With sub (a path
 * msg_cgroup_path_ok() took: beneath the group, never out of it), that
 * group under the container's, which must exist (runc's exec --cgroup: it
 * makes none; cgroup2 only). Without, the container's group; or, once the
 * container has enabled controllers for the groups beneath its own (cgroup2
 * then puts no process in it: "no internal processes"), the group its init
 * (pid init) is in now, as runc's exec falls back to (a container running
 * systemd moves itself so). 0, or -1 with *e set.
 */
int cgroup_exec_procs(const struct cgroup *cg, const char *sub, pid_t init,
		      char *buf, size_t cap, struct moat_err **e);

/* Put pid in the group's other v1 hierarchies (cgroup2: nothing to do). */
int cgroup_attach(struct cgroup *cg, pid_t pid, struct moat_err **e);

/* Set the limits of l that are not CGROUP_UNSET. 0 or -1 with *e set. */
int cgroup_set(struct cgroup *cg, const struct cgroup_limits *l,
	       struct moat_err **e);

/* Freeze or thaw every process in the group; returns once the kernel
 * reports it done (EBUSY after a while when it does not). */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct moat_err **e);

/* Read the group's usage and limits. */
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st,
		 struct moat_err **e);

/* An fd that becomes readable when the group's memory events change
 * (OOM), or -1; then cgroup_oom_new() tells how many OOM kills happened
 * since it was last asked (and empties the fd). */
int cgroup_oom_fd(const struct cgroup *cg);
uint64_t cgroup_oom_new(struct cgroup *cg);

/* Remove the group (after its processes have ended) and free cg. */
void cgroup_destroy(struct cgroup *cg);

#endif
