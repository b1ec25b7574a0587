/*
 * config.h: the OCI config.json the agent carries out (config.c), parsed
 * from what the host sends in a CREATE.
 */
#ifndef MOAT_AGENT_CONFIG_H
#define MOAT_AGENT_CONFIG_H

#include "../common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

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

#endif
