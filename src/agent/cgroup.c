/*
 * cgroup.c: the container's cgroup and what the agent does with it: its
 * limits (OCI linux.resources: memory limit and swap, cpu quota, period
 * and shares, pids limit), set at CREATE and changed by UPDATE; freezing
 * (PAUSE, RESUME); usage (STATS); and the OOM killer's kills in it (the
 * OOM event).
 *
 * Two layouts, found by looking at the root (the agent's --cgroup-root):
 *
 *  - cgroup2 (the guest, where the agent mounts it on /sys/fs/cgroup; or
 *    a host with the unified hierarchy): the group is <root>/<id>, the
 *    parent's cgroup.subtree_control enables memory, cpu and pids (those
 *    of them the kernel has), freezing is cgroup.freeze, OOM kills are
 *    counted in memory.events, watched with inotify (the kernel notifies
 *    a modification of the file on every change).
 *  - cgroup v1, for host mode on a host whose controllers are still on
 *    their v1 hierarchies (root is a directory holding them, such as
 *    /sys/fs/cgroup of a "hybrid" host): the group is <root>/<ctl>/<id>
 *    in each of memory, cpu, cpuacct, pids and freezer; a child joins the
 *    memory one itself (cgroup_procs_path()) and the agent moves it into
 *    the others (cgroup_attach()); freezing is freezer.state; OOM kills
 *    are counted in memory.oom_control, watched through an eventfd
 *    registered in cgroup.event_control. This layout exists so that the
 *    agent's cgroup handling is tested on such hosts; the guest is
 *    cgroup2 only.
 *
 * Inputs: the container id (checked by the codec: a name, so no '/' and
 * never "." or ".."), limits from the config (resources.c) or an UPDATE
 * (resources.c), and the kernel's cgroup files.
 */
#include "cgroup.h"
#include "../common/now.h"
#include "../common/log.h"
#include "config.h"
#include "resources.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270 /* CGROUP2_SUPER_MAGIC */
#define CGROUP1_MAGIC 0x27e0eb	 /* CGROUP_SUPER_MAGIC */
#define CGROUP_PATH 4096
#define CGROUP_FREEZE_MS 2000 /* how long a freeze may take */

/* v1 hierarchies, in this order; MEMORY first: the one a child joins. */
enum { CG1_MEMORY, CG1_CPU, CG1_CPUACCT, CG1_PIDS, CG1_FREEZER, CG1_N };
static const char *const cgroup_v1_names[CG1_N] = {
	"memory", "cpu", "cpuacct", "pids", "freezer",
};

struct cgroup {
	bool v1;
	char dir[CGROUP_PATH];		/* v2: the group */
	char v1dir[CG1_N][CGROUP_PATH]; /* v1: the group per hierarchy, or "" */
	bool v1own[CG1_N];		/* v1: made by us (not a shared one) */
	char procs[CGROUP_PATH + 64];	/* cgroup.procs a child joins */
	int oom_fd;			/* inotify or eventfd, or -1 */
	uint64_t oom_seen;		/* oom kills already reported */
};

/* --- files ------------------------------------------------------------------
 */

static int cgroup_write(const char *dir, const char *file, const char *val,
			struct moat_err **e)
{
	char path[CGROUP_PATH + 64];
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return moat_err_set(e, errno, "cgroup %s", file);
	n = write(fd, val, len);
	if (n != (ssize_t)len) {
		moat_err_set(e, n < 0 ? errno : EIO, "cgroup %s (%s)", file,
			     val);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Read dir/file into buf[0..cap) (NUL-terminated). 0 or -1 (errno). */
static int cgroup_read(const char *dir, const char *file, char *buf, size_t cap)
{
	char path[CGROUP_PATH + 64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* The decimal at the start of dir/file; "max" (no limit) reads as 0. */
static int cgroup_read_u64(const char *dir, const char *file, uint64_t *v)
{
	char buf[64], *end;

	if (cgroup_read(dir, file, buf, sizeof(buf)))
		return -1;
	if (!strncmp(buf, "max", 3)) {
		*v = 0;
		return 0;
	}
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -1;
	return 0;
}

/* The value of "key N" lines in dir/file (memory.events, cpu.stat). */
static int cgroup_read_key(const char *dir, const char *file, const char *key,
			   uint64_t *v)
{
	char buf[4096], *p;
	size_t kl = strlen(key);

	if (cgroup_read(dir, file, buf, sizeof(buf)))
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			*v = strtoull(p + kl + 1, NULL, 10);
			return 0;
		}
	errno = ENOENT;
	return -1;
}

static bool cgroup_is_fs(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

/* --- creation ---------------------------------------------------------------
 */

/*
 * cgroup2: enable, one by one, the controllers the kernel offers, so that
 * STATS and UPDATE work on a container created without limits. One that a
 * limit asks for (want) must be there and be enabled; the failure of
 * another only costs its figures (logged).
 */
static int cgroup2_controllers(const char *root,
			       const struct cgroup_limits *lim,
			       struct moat_err **e)
{
	static const char *const names[] = { "memory", "cpu", "pids" };
	bool want[3] = {
		lim->mem_limit != CGROUP_UNSET || lim->mem_swap != CGROUP_UNSET,
		lim->cpu_quota != CGROUP_UNSET ||
			lim->cpu_shares != CGROUP_UNSET,
		lim->pids_limit != CGROUP_UNSET,
	};
	char have[1024], ctl[16], *p;
	struct moat_err *err = NULL;
	size_t i, l;

	if (cgroup_read(root, "cgroup.controllers", have, sizeof(have)))
		return moat_err_set(e, errno, "cgroup.controllers");
	for (i = 0; i < 3; i++) {
		l = strlen(names[i]);
		for (p = have; (p = strstr(p, names[i])); p += l)
			if ((p == have || p[-1] == ' ') &&
			    (p[l] == ' ' || p[l] == '\n' || !p[l]))
				break;
		if (!p) {
			if (want[i])
				return moat_err_set(e, EOPNOTSUPP,
						    "linux.resources: no %s "
						    "controller",
						    names[i]);
			continue;
		}
		snprintf(ctl, sizeof(ctl), "+%s", names[i]);
		if (!cgroup_write(root, "cgroup.subtree_control", ctl, &err))
			continue;
		if (want[i]) {
			if (e && !*e)
				*e = err;
			else
				moat_err_free(&err);
			return moat_err_wrap(e, "enable the %s controller",
					     names[i]);
		}
		log_info("%s", err ? err->msg : "cgroup.subtree_control");
		moat_err_free(&err);
	}
	return 0;
}

static int cgroup2_create(struct cgroup *cg, const char *root, const char *id,
			  const struct cgroup_limits *lim, struct moat_err **e)
{
	char path[CGROUP_PATH + 64];

	if (cgroup2_controllers(root, lim, e))
		return -1;
	if ((size_t)snprintf(cg->dir, sizeof(cg->dir), "%s/%s", root, id) >=
	    sizeof(cg->dir) - 64)
		return moat_err_set(e, ENAMETOOLONG, "cgroup");
	if (mkdir(cg->dir, 0755) < 0)
		return moat_err_set(e, errno, "cgroup %s", cg->dir);
	snprintf(cg->procs, sizeof(cg->procs), "%s/cgroup.procs", cg->dir);
	/* OOM kills: inotify on memory.events, when there is one. */
	snprintf(path, sizeof(path), "%s/memory.events", cg->dir);
	if (access(path, R_OK) == 0) {
		cg->oom_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (cg->oom_fd >= 0 &&
		    inotify_add_watch(cg->oom_fd, path, IN_MODIFY) < 0) {
			close(cg->oom_fd);
			cg->oom_fd = -1;
		}
	}
	return 0;
}

static int cgroup1_create(struct cgroup *cg, const char *root, const char *id,
			  struct moat_err **e)
{
	char hier[CG1_N][PATH_MAX], path[CGROUP_PATH + 64];
	int i, j, efd, ofd;

	for (i = 0; i < CG1_N; i++) {
		char p[CGROUP_PATH];

		hier[i][0] = '\0';
		snprintf(p, sizeof(p), "%s/%s", root, cgroup_v1_names[i]);
		if (!cgroup_is_fs(p, CGROUP1_MAGIC) || !realpath(p, hier[i])) {
			hier[i][0] = '\0';
			if (i == CG1_MEMORY)
				return moat_err_set(e, EOPNOTSUPP,
						    "cgroup v1: no memory "
						    "hierarchy under %s",
						    root);
			continue;
		}
		if ((size_t)snprintf(cg->v1dir[i], sizeof(cg->v1dir[i]),
				     "%s/%s", hier[i],
				     id) >= sizeof(cg->v1dir[i]) - 64)
			return moat_err_set(e, ENAMETOOLONG, "cgroup");
		/* cpu and cpuacct are often one hierarchy ("cpu,cpuacct") */
		for (j = 0; j < i; j++)
			if (hier[j][0] && !strcmp(hier[j], hier[i]))
				break;
		if (j < i)
			continue;
		if (mkdir(cg->v1dir[i], 0755) < 0)
			return moat_err_set(e, errno, "cgroup %s",
					    cg->v1dir[i]);
		cg->v1own[i] = true;
	}
	snprintf(cg->procs, sizeof(cg->procs), "%s/cgroup.procs",
		 cg->v1dir[CG1_MEMORY]);
	/* OOM: an eventfd the kernel signals on the group's OOMs. */
	snprintf(path, sizeof(path), "%s/memory.oom_control",
		 cg->v1dir[CG1_MEMORY]);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ofd = open(path, O_RDONLY | O_CLOEXEC);
	if (efd >= 0 && ofd >= 0) {
		char reg[64];

		snprintf(reg, sizeof(reg), "%d %d", efd, ofd);
		if (cgroup_write(cg->v1dir[CG1_MEMORY], "cgroup.event_control",
				 reg, NULL) == 0) {
			cg->oom_fd = efd;
			efd = -1;
		}
	}
	if (efd >= 0)
		close(efd);
	if (ofd >= 0)
		close(ofd); /* the registration holds its own reference */
	return 0;
}

bool cgroup_wanted(const struct config *cfg)
{
	struct cgroup_limits l;

	resources_limits(&cfg->spec->resources, false, &l);
	return l.mem_limit != CGROUP_UNSET || l.mem_swap != CGROUP_UNSET ||
	       l.cpu_quota != CGROUP_UNSET || l.cpu_shares != CGROUP_UNSET ||
	       l.pids_limit != CGROUP_UNSET;
}

int cgroup_create(const char *root, const char *id, const struct config *cfg,
		  struct cgroup **out, struct moat_err **e)
{
	struct cgroup *cg = calloc(1, sizeof(*cg));
	struct cgroup_limits l;
	int r;

	if (!cg)
		return moat_err_set(e, ENOMEM, "cgroup");
	cg->oom_fd = -1;
	resources_limits(&cfg->spec->resources, false, &l);
	if (cgroup_is_fs(root, CGROUP2_MAGIC)) {
		r = cgroup2_create(cg, root, id, &l, e);
	} else {
		cg->v1 = true;
		r = cgroup1_create(cg, root, id, e);
	}
	if (r == 0)
		r = cgroup_set(cg, &l, e);
	if (r) {
		cgroup_destroy(cg);
		return -1;
	}
	*out = cg;
	return 0;
}

bool cgroup_v2(const struct cgroup *cg)
{
	return !cg->v1;
}

const char *cgroup_procs_path(const struct cgroup *cg)
{
	return cg->procs;
}

/*
 * The directory of init's cgroup2 group into buf: its path in the
 * hierarchy (/proc/<pid>/cgroup, "0::<path>") under the cgroup2 mount
 * that holds dir (/proc/self/mountinfo: the mount point and the root it
 * shows). 0, or -1 with errno set.
 */
static int cgroup_of_pid(const char *dir, pid_t init, char *buf, size_t cap)
{
	char line[CGROUP_PATH + 512], mp[CGROUP_PATH], root[CGROUP_PATH];
	char path[CGROUP_PATH], *sep;
	size_t best = 0, n, rl = 0;
	bool found = false;
	FILE *f;

	snprintf(line, sizeof(line), "/proc/%d/cgroup", (int)init);
	f = fopen(line, "re");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "0::/", 4) &&
			sscanf(line + 3, "%4095s", path) == 1;
	fclose(f);
	f = fopen("/proc/self/mountinfo", "re");
	if (!found || !f) {
		if (f)
			fclose(f);
		errno = found ? errno : ENOENT;
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - cgroup2 ");
		if (!sep ||
		    sscanf(line, "%*s %*s %*s %4095s %4095s", root, mp) != 2)
			continue;
		n = strlen(mp);
		if (n > best && !strncmp(dir, mp, n) &&
		    (dir[n] == '/' || !dir[n])) {
			best = n;
			rl = strcmp(root, "/") ? strlen(root) : 0;
			if (rl && (strncmp(path, root, rl) ||
				   (path[rl] && path[rl] != '/')))
				best = 0; /* init is outside what it shows */
			else
				snprintf(buf, cap, "%s", mp);
		}
	}
	fclose(f);
	if (!best) {
		errno = ENOENT;
		return -1;
	}
	n = strlen(buf);
	if ((size_t)snprintf(buf + n, cap - n, "%s", path + rl) >= cap - n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int cgroup_exec_procs(const struct cgroup *cg, const char *sub, pid_t init,
		      char *buf, size_t cap, struct moat_err **e)
{
	char ctl[256] = "";
	struct stat st;
	size_t n;

	if (!sub &&
	    (cg->v1 ||
	     cgroup_read(cg->dir, "cgroup.subtree_control", ctl, sizeof(ctl)) ||
	     !ctl[strspn(ctl, " \n")])) {
		if ((size_t)snprintf(buf, cap, "%s", cg->procs) >= cap)
			return moat_err_set(e, ENAMETOOLONG, "cgroup");
		return 0;
	}
	if (cg->v1)
		return moat_err_set(e, EOPNOTSUPP,
				    "cgroup %s: a sub-cgroup needs cgroup2",
				    sub);
	if (sub && (size_t)snprintf(buf, cap, "%s/%s", cg->dir, sub) >= cap)
		return moat_err_set(e, ENAMETOOLONG, "cgroup %s", sub);
	/* controllers enabled beneath the group: it takes no process
	 * (cgroup2's "no internal processes"), the init's group does */
	if (!sub && cgroup_of_pid(cg->dir, init, buf, cap) < 0)
		return moat_err_set(e, errno, "cgroup of the init (pid %d)",
				    (int)init);
	if (stat(buf, &st) < 0)
		return moat_err_set(e, errno, "cgroup %s", sub ? sub : buf);
	if (!S_ISDIR(st.st_mode))
		return moat_err_set(e, ENOTDIR, "cgroup %s", sub ? sub : buf);
	n = strlen(buf);
	if ((size_t)snprintf(buf + n, cap - n, "/cgroup.procs") >= cap - n)
		return moat_err_set(e, ENAMETOOLONG, "cgroup %s",
				    sub ? sub : buf);
	return 0;
}

int cgroup_attach(struct cgroup *cg, pid_t pid, struct moat_err **e)
{
	char val[32], path[CGROUP_PATH + 64];
	int i, fd;

	if (!cg->v1)
		return 0;
	snprintf(val, sizeof(val), "%d", (int)pid);
	for (i = CG1_MEMORY + 1; i < CG1_N; i++) {
		if (!cg->v1own[i])
			continue;
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg->v1dir[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return moat_err_set(e, errno, "cgroup %s", path);
		/* ESRCH: the process has ended already */
		if (write(fd, val, strlen(val)) < 0 && errno != ESRCH) {
			moat_err_set(e, errno, "cgroup %s", path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* rmdir a group whose processes have ended. A killed process leaves its
 * group a little after it is reaped (its exit completes asynchronously,
 * e.g. after an OOM kill): EBUSY is retried for a while. */
static void cgroup_rmdir(const char *dir)
{
	int i;

	for (i = 0;; i++) {
		if (rmdir(dir) == 0)
			return;
		if (errno != EBUSY || i == 200)
			break;
		usleep(5000);
	}
	log_info("cgroup: rmdir %s: %s", dir, strerror(errno));
}

void cgroup_destroy(struct cgroup *cg)
{
	int i;

	if (!cg)
		return;
	if (cg->oom_fd >= 0)
		close(cg->oom_fd);
	if (!cg->v1 && cg->dir[0])
		cgroup_rmdir(cg->dir);
	for (i = 0; i < CG1_N; i++)
		if (cg->v1own[i])
			cgroup_rmdir(cg->v1dir[i]);
	free(cg);
}

/* --- limits -----------------------------------------------------------------
 */

/* "max" for CGROUP_MAX, else the number. */
static void cgroup_fmt(char *buf, size_t cap, int64_t v, const char *max)
{
	if (v == CGROUP_MAX)
		snprintf(buf, cap, "%s", max);
	else
		snprintf(buf, cap, "%" PRId64, v);
}

/* OCI cpu shares [2, 262144] -> cgroup2 cpu.weight [1, 10000], the
 * conversion runc and crun use. */
static uint64_t cgroup_shares_to_weight(int64_t shares)
{
	uint64_t s = shares < 2 ? 2 : (uint64_t)shares;

	if (s > 262144)
		s = 262144;
	return 1 + ((s - 2) * 9999) / 262142;
}

static int cgroup2_set(struct cgroup *cg, const struct cgroup_limits *l,
		       struct moat_err **e)
{
	char val[96], cur[96];
	int64_t swap;

	if (l->mem_limit != CGROUP_UNSET) {
		cgroup_fmt(val, sizeof(val), l->mem_limit, "max");
		if (cgroup_write(cg->dir, "memory.max", val, e))
			return -1;
	}
	/* No memory.swap.max: a kernel without swap (moat's guest), where
	 * there is no swap to limit. */
	if (l->mem_swap != CGROUP_UNSET &&
	    cgroup_read(cg->dir, "memory.swap.max", val, sizeof(val)) == 0) {
		/* OCI's swap is memory+swap; cgroup2's is swap alone. */
		swap = l->mem_swap;
		if (swap != CGROUP_MAX && l->mem_limit > 0)
			swap = swap > l->mem_limit ? swap - l->mem_limit : 0;
		cgroup_fmt(val, sizeof(val), swap, "max");
		if (cgroup_write(cg->dir, "memory.swap.max", val, e))
			return -1;
	}
	if (l->cpu_quota != CGROUP_UNSET || l->cpu_period != CGROUP_UNSET) {
		/* cpu.max is "QUOTA PERIOD": keep the part not changed. */
		char q[32] = "max";
		uint64_t period = 100000;

		if (cgroup_read(cg->dir, "cpu.max", cur, sizeof(cur)) == 0)
			sscanf(cur, "%31s %" SCNu64, q, &period);
		if (l->cpu_quota != CGROUP_UNSET)
			cgroup_fmt(q, sizeof(q), l->cpu_quota, "max");
		if (l->cpu_period != CGROUP_UNSET)
			period = (uint64_t)l->cpu_period;
		snprintf(val, sizeof(val), "%s %" PRIu64, q, period);
		if (cgroup_write(cg->dir, "cpu.max", val, e))
			return -1;
	}
	if (l->cpu_shares != CGROUP_UNSET) {
		snprintf(val, sizeof(val), "%" PRIu64,
			 cgroup_shares_to_weight(l->cpu_shares));
		if (cgroup_write(cg->dir, "cpu.weight", val, e))
			return -1;
	}
	if (l->pids_limit != CGROUP_UNSET) {
		cgroup_fmt(val, sizeof(val), l->pids_limit, "max");
		if (cgroup_write(cg->dir, "pids.max", val, e))
			return -1;
	}
	return 0;
}

/* A v1 controller's directory, or an error naming the missing one. */
static const char *cgroup1_dir(struct cgroup *cg, int ctl, struct moat_err **e)
{
	if (cg->v1dir[ctl][0])
		return cg->v1dir[ctl];
	moat_err_set(e, EOPNOTSUPP, "linux.resources: no %s hierarchy",
		     cgroup_v1_names[ctl]);
	return NULL;
}

static int cgroup1_set(struct cgroup *cg, const struct cgroup_limits *l,
		       struct moat_err **e)
{
	const char *d;
	char val[64], lim[64];

	d = cg->v1dir[CG1_MEMORY];
	cgroup_fmt(lim, sizeof(lim), l->mem_limit, "-1");
	cgroup_fmt(val, sizeof(val), l->mem_swap, "-1");
	/* memory.memsw (memory+swap, as OCI's swap) must stay >= the limit:
	 * when the new swap is below the current limit, the limit goes
	 * first. */
	if (l->mem_swap != CGROUP_UNSET &&
	    cgroup_write(d, "memory.memsw.limit_in_bytes", val, NULL) < 0) {
		if (l->mem_limit == CGROUP_UNSET ||
		    cgroup_write(d, "memory.limit_in_bytes", lim, e) ||
		    cgroup_write(d, "memory.memsw.limit_in_bytes", val, e))
			return moat_err_set(e, EINVAL, "memory.swap");
	} else if (l->mem_limit != CGROUP_UNSET &&
		   cgroup_write(d, "memory.limit_in_bytes", lim, e)) {
		return -1;
	}
	if (l->cpu_period != CGROUP_UNSET) {
		if (!(d = cgroup1_dir(cg, CG1_CPU, e)))
			return -1;
		snprintf(val, sizeof(val), "%" PRId64, l->cpu_period);
		if (cgroup_write(d, "cpu.cfs_period_us", val, e))
			return -1;
	}
	if (l->cpu_quota != CGROUP_UNSET) {
		if (!(d = cgroup1_dir(cg, CG1_CPU, e)))
			return -1;
		cgroup_fmt(val, sizeof(val), l->cpu_quota, "-1");
		if (cgroup_write(d, "cpu.cfs_quota_us", val, e))
			return -1;
	}
	if (l->cpu_shares != CGROUP_UNSET) {
		if (!(d = cgroup1_dir(cg, CG1_CPU, e)))
			return -1;
		snprintf(val, sizeof(val), "%" PRId64,
			 l->cpu_shares < 2 ? 2 : l->cpu_shares);
		if (cgroup_write(d, "cpu.shares", val, e))
			return -1;
	}
	if (l->pids_limit != CGROUP_UNSET) {
		if (!(d = cgroup1_dir(cg, CG1_PIDS, e)))
			return -1;
		cgroup_fmt(val, sizeof(val), l->pids_limit, "max");
		if (cgroup_write(d, "pids.max", val, e))
			return -1;
	}
	return 0;
}

int cgroup_set(struct cgroup *cg, const struct cgroup_limits *l,
	       struct moat_err **e)
{
	return cg->v1 ? cgroup1_set(cg, l, e) : cgroup2_set(cg, l, e);
}

/* --- freezing ---------------------------------------------------------------
 */

int cgroup_freeze(struct cgroup *cg, bool frozen, struct moat_err **e)
{
	long end = now_ms() + CGROUP_FREEZE_MS;
	const char *d = cg->v1 ? cg->v1dir[CG1_FREEZER] : cg->dir;
	char buf[256];
	uint64_t v;

	if (cg->v1 && !d[0])
		return moat_err_set(e, EOPNOTSUPP, "no freezer hierarchy");
	if (cg->v1 ? cgroup_write(d, "freezer.state",
				  frozen ? "FROZEN" : "THAWED", e)
		   : cgroup_write(d, "cgroup.freeze", frozen ? "1" : "0", e))
		return -1;
	/* Freezing completes asynchronously: wait for the state to show
	 * (normally at once; a task in an uninterruptible sleep delays it). */
	for (;;) {
		if (cg->v1) {
			if (cgroup_read(d, "freezer.state", buf, sizeof(buf)))
				return moat_err_set(e, errno, "freezer.state");
			if (!strncmp(buf, frozen ? "FROZEN" : "THAWED", 6))
				return 0;
		} else {
			if (cgroup_read_key(d, "cgroup.events", "frozen", &v))
				return moat_err_set(e, errno, "cgroup.events");
			if (v == (frozen ? 1 : 0))
				return 0;
		}
		if (now_ms() > end)
			return moat_err_set(e, EBUSY,
					    "the container's processes did "
					    "not %s within %d ms",
					    frozen ? "freeze" : "thaw",
					    CGROUP_FREEZE_MS);
		usleep(1000);
	}
}

/* --- usage ------------------------------------------------------------------
 */

/* Lines in dir/cgroup.procs: the processes, without the pids controller. */
static uint64_t cgroup_count_procs(const char *dir)
{
	char path[CGROUP_PATH + 64], buf[4096];
	uint64_t n = 0;
	ssize_t r, i;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

/* A v1 "no limit" is the largest page-aligned value; report it as 0. */
static uint64_t cgroup_v1_limit(uint64_t v)
{
	return v >= (1ULL << 62) ? 0 : v;
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st,
		 struct moat_err **e)
{
	const char *d;
	uint64_t v;

	memset(st, 0, sizeof(*st));
	if (!cg->v1) {
		d = cg->dir;
		if (cgroup_read_key(d, "cpu.stat", "usage_usec", &v))
			return moat_err_set(e, errno, "cpu.stat");
		st->cpu_ns = v * 1000;
		if (!cgroup_read_key(d, "cpu.stat", "user_usec", &v))
			st->cpu_user_ns = v * 1000;
		if (!cgroup_read_key(d, "cpu.stat", "system_usec", &v))
			st->cpu_sys_ns = v * 1000;
		if (cgroup_read_u64(d, "memory.current", &st->mem_bytes))
			return moat_err_set(e, errno, "memory.current");
		cgroup_read_u64(d, "memory.max", &st->mem_limit);
		if (cgroup_read_u64(d, "pids.current", &st->pids))
			st->pids = cgroup_count_procs(d);
		cgroup_read_u64(d, "pids.max", &st->pids_limit);
		return 0;
	}
	d = cg->v1dir[CG1_CPUACCT];
	if (d[0]) {
		if (cgroup_read_u64(d, "cpuacct.usage", &st->cpu_ns))
			return moat_err_set(e, errno, "cpuacct.usage");
		cgroup_read_u64(d, "cpuacct.usage_user", &st->cpu_user_ns);
		cgroup_read_u64(d, "cpuacct.usage_sys", &st->cpu_sys_ns);
	}
	d = cg->v1dir[CG1_MEMORY];
	if (cgroup_read_u64(d, "memory.usage_in_bytes", &st->mem_bytes))
		return moat_err_set(e, errno, "memory.usage_in_bytes");
	if (!cgroup_read_u64(d, "memory.limit_in_bytes", &v))
		st->mem_limit = cgroup_v1_limit(v);
	d = cg->v1dir[CG1_PIDS];
	if (!d[0] || cgroup_read_u64(d, "pids.current", &st->pids))
		st->pids = cgroup_count_procs(cg->v1dir[CG1_MEMORY]);
	if (d[0])
		cgroup_read_u64(d, "pids.max", &st->pids_limit);
	return 0;
}

/* --- OOM --------------------------------------------------------------------
 */

int cgroup_oom_fd(const struct cgroup *cg)
{
	return cg->oom_fd;
}

uint64_t cgroup_oom_new(struct cgroup *cg)
{
	char buf[512];
	uint64_t n = 0, d;

	/* Empty the notification fd; the counter says what happened. */
	if (cg->oom_fd >= 0)
		while (read(cg->oom_fd, buf, sizeof(buf)) > 0)
			;
	if (cg->v1 ? cgroup_read_key(cg->v1dir[CG1_MEMORY],
				     "memory.oom_control", "oom_kill", &n)
		   : cgroup_read_key(cg->dir, "memory.events", "oom_kill", &n))
		return 0;
	d = n > cg->oom_seen ? n - cg->oom_seen : 0;
	cg->oom_seen = n;
	return d;
}
