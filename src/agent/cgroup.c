/*
 * cgroup.c: the container's cgroup2 group, <root>/<id>, and its limits
 * (OCI linux.resources: memory.limit and swap, cpu.quota/period/shares,
 * pids.limit). In the guest the root is /sys/fs/cgroup, which the agent
 * mounts as cgroup2; in host mode it is --cgroup-root, when given.
 *
 * Inputs: the container id (checked by the codec: a name, so no '/' and
 * never "." or "..") and the limits from the config (config.c).
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool cgroup_wanted(const struct config *cfg)
{
	return cfg->mem_limit || cfg->mem_swap || cfg->cpu_quota ||
	       cfg->cpu_shares || cfg->pids_limit;
}

static int cgroup_write(const char *dir, const char *file, const char *val,
			struct moat_err **e)
{
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return moat_err_set(e, errno, "cgroup %s", file);
	n = write(fd, val, strlen(val));
	if (n != (ssize_t)strlen(val)) {
		moat_err_set(e, n < 0 ? errno : EIO, "cgroup %s", file);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int cgroup_setup(const char *root, const char *id, const struct config *cfg,
		 char *procs, size_t cap, struct moat_err **e)
{
	char dir[4096], val[64];
	char ctl[64] = "";

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", root, id) >=
	    sizeof(dir))
		return moat_err_set(e, ENAMETOOLONG, "cgroup");
	if (cfg->mem_limit || cfg->mem_swap)
		strcat(ctl, "+memory ");
	if (cfg->cpu_quota || cfg->cpu_shares)
		strcat(ctl, "+cpu ");
	if (cfg->pids_limit)
		strcat(ctl, "+pids ");
	if (ctl[0] && cgroup_write(root, "cgroup.subtree_control", ctl, e))
		return moat_err_wrap(e, "enable controllers (%s)", ctl);
	if (mkdir(dir, 0755) < 0)
		return moat_err_set(e, errno, "cgroup %s", dir);
	if (cfg->mem_limit) {
		snprintf(val, sizeof(val), "%" PRId64, cfg->mem_limit);
		if (cgroup_write(dir, "memory.max", val, e))
			goto fail;
	}
	if (cfg->mem_swap) {
		/* OCI's swap is memory+swap; cgroup2's is swap alone. */
		snprintf(val, sizeof(val), "%" PRId64,
			 cfg->mem_swap > cfg->mem_limit
				 ? cfg->mem_swap - cfg->mem_limit
				 : 0);
		if (cgroup_write(dir, "memory.swap.max", val, e))
			goto fail;
	}
	if (cfg->cpu_quota) {
		snprintf(val, sizeof(val), "%" PRId64 " %" PRIu64,
			 cfg->cpu_quota,
			 cfg->cpu_period ? cfg->cpu_period : 100000);
		if (cgroup_write(dir, "cpu.max", val, e))
			goto fail;
	}
	if (cfg->cpu_shares) {
		/* The conversion runc and crun use: [2, 262144] -> [1, 10000].
		 */
		uint64_t s = cfg->cpu_shares < 2 ? 2 : cfg->cpu_shares;

		snprintf(val, sizeof(val), "%" PRIu64,
			 1 + ((s - 2) * 9999) / 262142);
		if (cgroup_write(dir, "cpu.weight", val, e))
			goto fail;
	}
	if (cfg->pids_limit) {
		snprintf(val, sizeof(val), "%" PRId64, cfg->pids_limit);
		if (cgroup_write(dir, "pids.max", val, e))
			goto fail;
	}
	if ((size_t)snprintf(procs, cap, "%s/cgroup.procs", dir) >= cap) {
		moat_err_set(e, ENAMETOOLONG, "cgroup");
		goto fail;
	}
	return 0;
fail:
	rmdir(dir);
	return -1;
}

void cgroup_remove(const char *root, const char *id)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/%s", root, id);
	rmdir(dir);
}
