/*
 * agent.h: moat-agent's modules and the data they share.
 *
 *   main.c       command line, guest (PID 1) start-up, host mode
 *   serve.c      the epoll loop over the channel: handshake, requests,
 *                replies, events, streams and their credit, reaping
 *   config.c     the OCI config.json (jansson) -> struct config
 *   container.c  what runs in a forked child: namespaces, mounts,
 *                pivot_root, devices, then the process's credentials,
 *                capabilities, rlimits, seccomp and execve
 *   share.c      where a bundle's files come from (a host directory in
 *                host mode, a 9p share by tag in the guest)
 *   cgroup.c     the container's cgroup2 group and its limits
 *
 * Inputs: every request comes from the host through the pure codec in
 * src/proto; the host is trusted more than the guest, but everything it
 * sends is still validated before use.
 */
#ifndef MOAT_AGENT_AGENT_H
#define MOAT_AGENT_AGENT_H

#include "../common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct share_ops;

/* How the agent was started (main.c), read by the other modules. */
struct agent_opts {
	int channel_fd;			/* the byte channel to the host */
	const struct share_ops *shares; /* bundle sources by tag */
	const char *share_dir;		/* host mode: tag T is share_dir/T */
	const char *cgroup_root;	/* a cgroup2 directory, or NULL */
	bool guest;			/* PID 1 of a moat VM */
};

/* --- share.c -------------------------------------------------------------- */

/*
 * A source of bundles. resolve() makes the share named tag (checked by the
 * codec: [A-Za-z0-9][A-Za-z0-9_.-]*) available and writes the directory
 * that holds it into path[0..cap). Returns 0 or -1 with *e set.
 */
struct share_ops {
	const char *name;
	int (*resolve)(const struct agent_opts *o, const char *tag, char *path,
		       size_t cap, struct moat_err **e);
};

extern const struct share_ops share_host_dir; /* o->share_dir/<tag> */
extern const struct share_ops share_9p;	      /* 9p, trans=virtio */

/* --- config.c ------------------------------------------------------------- */

#define CONFIG_CAP_SETS 5 /* bounding, effective, inheritable, ... */
enum config_capset {
	CONFIG_CAP_BOUNDING,
	CONFIG_CAP_EFFECTIVE,
	CONFIG_CAP_INHERITABLE,
	CONFIG_CAP_PERMITTED,
	CONFIG_CAP_AMBIENT,
};

struct config_mount {
	char *dest;	      /* absolute, inside the container */
	char *type;	      /* NULL for a bind mount */
	char *source;	      /* NULL when absent */
	char *data;	      /* options the kernel parses ("size=64k") */
	unsigned long flags;  /* MS_* from the options */
	unsigned long clear;  /* MS_* the options turned off ("rw") */
	unsigned long pflags; /* propagation (MS_SHARED, ..., MS_REC) */
	bool bind;	      /* bind or rbind */
	bool copyup; /* tmpcopyup: the tmpfs starts with what it covers */
};

struct config_rlimit {
	int resource;
	struct rlimit lim;
};

struct config_device {
	char *path;
	mode_t mode; /* S_IFCHR / S_IFBLK / S_IFIFO | permission bits */
	dev_t dev;
	uid_t uid;
	gid_t gid;
};

struct config_sysctl {
	char *key;
	char *value;
};

/*
 * The parts of an OCI runtime config the agent carries out. Strings are
 * owned (config_free() releases them all).
 */
struct config {
	char *root_path; /* relative to the bundle */
	bool root_readonly;

	/* process */
	char **args; /* NULL-terminated */
	char **env;  /* NULL-terminated */
	char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t *gids;
	size_t ngids;
	bool has_umask;
	mode_t umask;
	bool terminal;
	bool no_new_privs;
	bool has_oom_score_adj;
	int oom_score_adj;
	uint64_t caps[CONFIG_CAP_SETS];
	struct config_rlimit *rlimits;
	size_t nrlimits;

	char *hostname;
	char *domainname;

	/* linux */
	int ns_flags;	/* CLONE_NEW* of the namespaces to create */
	bool net_guest; /* a network namespace with a path: the guest's */
	unsigned long root_propagation;
	struct config_mount *mounts;
	size_t nmounts;
	char **masked; /* NULL-terminated */
	char **readonly;
	struct config_device *devices;
	size_t ndevices;
	struct config_sysctl *sysctls;
	size_t nsysctls;

	/* linux.resources (cgroup.c), 0 / -1 when not asked for */
	int64_t mem_limit; /* bytes, 0: none */
	int64_t mem_swap;  /* memory+swap bytes, 0: none */
	int64_t cpu_quota; /* us per period, 0: none */
	uint64_t cpu_period;
	uint64_t cpu_shares; /* 0: default */
	int64_t pids_limit;  /* 0: none */
};

/*
 * Parse config.json text[0..len) (not NUL-terminated) into a new config.
 * Returns 0 with *out set, or -1 with *e set: EINVAL for a malformed or
 * contradictory config, EOPNOTSUPP for what the agent cannot do (a user
 * namespace, a namespace path, an unsupported ociVersion).
 */
int config_parse(const char *text, size_t len, struct config **out,
		 struct moat_err **e);
void config_free(struct config *c);

/* Make every bind mount's relative source absolute under bundle (the
 * directory the CREATE's share resolved to). Returns 0 or -1 (ENOMEM). */
int config_bundle_binds(struct config *c, const char *bundle,
			struct moat_err **e);

/* --- container.c ---------------------------------------------------------- */

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
	uint64_t caps[CONFIG_CAP_SETS];
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

/* --- cgroup.c ------------------------------------------------------------- */

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

/* The limits cfg's linux.resources asks for (what is absent: UNSET). */
void cgroup_limits_from_config(const struct config *cfg,
			       struct cgroup_limits *l);

/*
 * Make the group for container id under root (a cgroup2 directory, or a
 * directory of v1 hierarchies: see cgroup.c), with the controllers it
 * needs, and set cfg's limits. Returns 0 with *out set, or -1 with *e set
 * (EOPNOTSUPP when a limit asked for has no controller).
 */
int cgroup_create(const char *root, const char *id, const struct config *cfg,
		  struct cgroup **out, struct moat_err **e);

/* The cgroup.procs file a new process writes "0" into to join. */
const char *cgroup_procs_path(const struct cgroup *cg);

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

/* --- resources.c ---------------------------------------------------------- */

/*
 * Parse an UPDATE's OCI linux.resources JSON text[0..len) into *l: a
 * member absent or null leaves its limit unset, -1 lifts it (memory,
 * swap, quota, pids), a value sets it. Members the agent does not carry
 * out (blockIO, devices, hugepageLimits, ...) are ignored, as at CREATE.
 * Returns 0, or -1 with *e set (EINVAL: malformed, or out of range).
 */
int resources_parse(const char *text, size_t len, struct cgroup_limits *l,
		    struct moat_err **e);

/* --- serve.c -------------------------------------------------------------- */

/*
 * Serve the channel until SHUTDOWN or the channel's end. Returns 0 after a
 * SHUTDOWN, 1 when the channel ended or broke. Every process it started
 * has been killed and reaped when it returns.
 */
int serve_run(const struct agent_opts *o);

/* --- net.c ---------------------------------------------------------------- */

/* Bring up lo in the calling thread's network namespace: 0 or -errno. */
int net_lo_up(void);

/*
 * Configure the guest's NICs from CREATE's net field (text[0..len), JSON;
 * docs/protocol.md): each found by its MAC, named, its MTU set, brought
 * up, its addresses and routes added. Returns 0, or -1 with *e set.
 */
int net_configure(const char *text, size_t len, struct moat_err **e);

/* --- main.c --------------------------------------------------------------- */

void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
