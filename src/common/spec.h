/*
 * spec.h: the OCI runtime configuration (config.json) as a validated
 * struct spec: the one parser of it, on both sides (docs/design.md,
 * "One parse per side"), and its encoder.
 *
 * The host parses the bundle's config.json into a struct spec once per
 * process (src/runtime/spec.h reads the file); the shim builds the
 * document the guest gets from that struct (spec_encode), and the agent
 * decodes it with the same spec_parse(), so both sides read one config
 * the same way and report its faults in the same words.
 *
 * Input: config.json, written by the engine or the user (trusted no more
 * than any file a caller hands us), or in the guest the CREATE request's
 * config, from the host. Implements the runtime-spec config.md /
 * config-linux.md, for spec versions 1.0.0 to 1.3.x: ociVersion, root,
 * process, hostname, domainname, mounts, hooks, annotations and linux
 * (namespaces, devices, sysctl, resources, maskedPaths, readonlyPaths,
 * rootfsPropagation, seccomp, cgroupsPath, uidMappings and gidMappings).
 * Unknown properties are ignored, as config.md requires; what moat cannot
 * carry out (time namespaces, joining a namespace but the network's by
 * path, id-mapped mounts, a sysctl that is not namespaced) is refused with
 * EOPNOTSUPP instead of being ignored. Pure: no system calls.
 */
#ifndef MOAT_COMMON_SPEC_H
#define MOAT_COMMON_SPEC_H

#include "err.h"
#include "oci.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The range of runtime-spec versions moat accepts (features.md). */
#define SPEC_VERSION_MIN "1.0.0"
#define SPEC_VERSION_MAX "1.3.0"
/* The version moat writes (spec verb) and reports (state). */
#define SPEC_VERSION_OUT "1.2.0"

enum spec_capset {
	SPEC_CAP_BOUNDING,
	SPEC_CAP_EFFECTIVE,
	SPEC_CAP_INHERITABLE,
	SPEC_CAP_PERMITTED,
	SPEC_CAP_AMBIENT,
	SPEC_CAP_SETS,
};

enum spec_ns {
	SPEC_NS_PID,
	SPEC_NS_NETWORK,
	SPEC_NS_MOUNT,
	SPEC_NS_IPC,
	SPEC_NS_UTS,
	SPEC_NS_CGROUP,
	SPEC_NS_USER,
	SPEC_NS_TIME,
	SPEC_NS_COUNT,
};

enum spec_hook_kind {
	SPEC_HOOK_PRESTART,
	SPEC_HOOK_CREATE_RUNTIME,
	SPEC_HOOK_CREATE_CONTAINER,
	SPEC_HOOK_START_CONTAINER,
	SPEC_HOOK_POSTSTART,
	SPEC_HOOK_POSTSTOP,
	SPEC_HOOK_KINDS,
};

/* Name tables, NULL-terminated (capabilities and rlimits: oci.h); the
 * features document is built from them so that it says exactly what
 * spec_parse() accepts. */
extern const char *const spec_ns_names[];     /* index = enum spec_ns */
extern const char *const spec_capset_names[]; /* index = spec_capset */
extern const char *const spec_hook_names[];   /* index = spec_hook_kind */
extern const char *const spec_mount_options[];
/* Namespaces moat creates (the others are refused); the user namespace
 * is the guest's, mapped into the guest's ids (linux.uidMappings). */
#define SPEC_NS_SUPPORTED                                                    \
	((1u << SPEC_NS_PID) | (1u << SPEC_NS_NETWORK) |                     \
	 (1u << SPEC_NS_MOUNT) | (1u << SPEC_NS_IPC) | (1u << SPEC_NS_UTS) | \
	 (1u << SPEC_NS_CGROUP) | (1u << SPEC_NS_USER))

/* Lines a uid_map or gid_map holds at most (user_namespaces(7)). */
#define SPEC_IDMAP_MAX 340

/* linux.uidMappings[] / gidMappings[]: size ids from containerID on are
 * hostID on outside the user namespace. */
struct spec_idmap {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size; /* >= 1; neither range wraps past 2^32 */
};

struct spec_rlimit {
	unsigned type; /* index into oci_rlimit_names */
	uint64_t soft;
	uint64_t hard;
};

struct spec_process {
	bool terminal;
	unsigned console_height, console_width; /* 0: not given */
	char **args;				/* NULL-terminated, >= 1 */
	char **env;				/* NULL-terminated */
	char *cwd;				/* absolute */
	uint32_t uid, gid;
	uint32_t *additional_gids;
	size_t nadditional_gids;
	bool has_umask;
	uint32_t umask;
	uint64_t caps[SPEC_CAP_SETS]; /* bit n: oci_cap_names[n] */
	bool has_caps;
	struct spec_rlimit *rlimits;
	size_t nrlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile; /* NULL when absent */
	char *selinux_label;	/* NULL when absent */
};

struct spec_mount {
	char *destination; /* absolute, no "." or ".." components */
	char *type;	   /* NULL when absent */
	char *source;	   /* NULL when absent; set for a bind mount */
	char **options;	   /* NULL-terminated */
	/* What the options say (spec_mount_options, tmpcopyup): */
	unsigned long flags;  /* MS_* they set */
	unsigned long clear;  /* MS_* they turned off ("rw") */
	unsigned long pflags; /* propagation (MS_SHARED, ..., MS_REC) */
	char *data;	      /* the rest, for the filesystem, or NULL */
	bool bind;	      /* type "bind", or option bind or rbind */
	bool copyup; /* tmpcopyup: the tmpfs starts with what it covers */
};

/* linux.devices[]: a node to make in the container's /dev. */
struct spec_device {
	char *path;	    /* clean, under /dev/ */
	char type;	    /* 'c', 'b', 'u' or 'p' */
	uint32_t major;	    /* 0 when absent */
	uint32_t minor;	    /* 0 when absent */
	uint32_t file_mode; /* permission bits, 0666 when absent */
	uint32_t uid, gid;
};

/* linux.sysctl: a namespaced one, whose namespace the config has. */
struct spec_sysctl {
	char *key;
	char *value;
};

/* linux.resources.devices[]: a device cgroup rule. */
struct spec_devrule {
	bool allow;
	char type;		/* 'a', 'c' or 'b' ('a' when absent) */
	long long major, minor; /* -1: any (absent) */
	char access[4];		/* of "rwm", "" when absent */
};

/*
 * linux.resources, the members moat acts on. Each number is what the
 * JSON says, 0 when absent (0 asks for nothing in a config and changes
 * nothing in an update; -1 lifts a limit).
 */
struct spec_resources {
	long long mem_limit; /* bytes */
	long long mem_swap;  /* memory+swap bytes */
	long long cpu_quota; /* us per period */
	long long cpu_period;
	long long cpu_shares; /* 2 to 262,144 */
	long long pids_limit;
	struct spec_devrule *devices;
	size_t ndevices;
};

struct spec_hook {
	char *path;  /* absolute */
	char **args; /* NULL-terminated */
	char **env;  /* NULL-terminated */
	int timeout; /* seconds, 0: none */
};

struct spec_annotation {
	char *key;
	char *value;
};

/*
 * linux.seccomp (config-linux.md, "Seccomp"): the names spec_parse()
 * accepts, NULL-terminated, index = the enum; what they mean to the kernel
 * is libseccomp's, on the host (src/runtime/secbpf.h). The guest gets the
 * compiled program, never the profile.
 */
enum spec_scmp_act {
	SPEC_SCMP_ACT_ALLOW,
	SPEC_SCMP_ACT_ERRNO,
	SPEC_SCMP_ACT_KILL, /* the thread, as SCMP_ACT_KILL_THREAD */
	SPEC_SCMP_ACT_KILL_PROCESS,
	SPEC_SCMP_ACT_KILL_THREAD,
	SPEC_SCMP_ACT_LOG,
	SPEC_SCMP_ACT_TRACE,
	SPEC_SCMP_ACT_TRAP,
};

enum spec_scmp_op {
	SPEC_SCMP_CMP_EQ,
	SPEC_SCMP_CMP_GE,
	SPEC_SCMP_CMP_GT,
	SPEC_SCMP_CMP_LE,
	SPEC_SCMP_CMP_LT,
	SPEC_SCMP_CMP_MASKED_EQ,
	SPEC_SCMP_CMP_NE,
};

extern const char *const spec_scmp_actions[]; /* "SCMP_ACT_ALLOW", ... */
extern const char *const spec_scmp_ops[];     /* "SCMP_CMP_EQ", ... */
extern const char *const spec_scmp_archs[];   /* "SCMP_ARCH_X86", ... */
extern const char *const spec_scmp_flags[];   /* "SECCOMP_FILTER_FLAG_TSYNC" */

/* A system call's argument compares with at most this many (seccomp(2)). */
#define SPEC_SCMP_ARGS_MAX 6

/* linux.seccomp.syscalls[].args[] */
struct spec_scmp_arg {
	unsigned index;	    /* 0 to 5 */
	uint64_t value;	    /* the JSON integer, as a 64-bit datum */
	uint64_t value_two; /* 0 when absent */
	enum spec_scmp_op op;
};

/* linux.seccomp.syscalls[] */
struct spec_scmp_rule {
	char **names; /* NULL-terminated, possibly empty */
	enum spec_scmp_act action;
	bool has_errno_ret; /* without it, the profile's defaultErrnoRet */
	uint32_t errno_ret;
	struct spec_scmp_arg args[SPEC_SCMP_ARGS_MAX];
	size_t nargs;
};

struct spec_seccomp {
	enum spec_scmp_act default_action;
	bool has_default_errno_ret; /* without it, EPERM */
	uint32_t default_errno_ret;
	unsigned *archs; /* indices into spec_scmp_archs, as given */
	size_t narchs;
	unsigned flags; /* bit n: spec_scmp_flags[n]; read, not applied */
	struct spec_scmp_rule *rules;
	size_t nrules;
};

/* A validated config. Every pointer is owned; spec_free() releases it. */
struct spec {
	char *oci_version;
	unsigned ver_major, ver_minor, ver_patch;

	char *root_path; /* absolute or relative to the bundle */
	bool root_readonly;

	struct spec_process process;
	char *hostname;	  /* NULL when absent */
	char *domainname; /* NULL when absent */

	struct spec_mount *mounts;
	size_t nmounts;

	struct spec_hook *hooks[SPEC_HOOK_KINDS];
	size_t nhooks[SPEC_HOOK_KINDS];

	struct spec_annotation *annotations;
	size_t nannotations;

	/* linux */
	unsigned namespaces; /* bit n: enum spec_ns n is asked for */
	char *net_path;	     /* the network namespace's path, or NULL */
	char **masked_paths; /* NULL-terminated */
	char **readonly_paths;
	char *cgroups_path;	  /* NULL when absent */
	char *rootfs_propagation; /* a spec_propagation() name, or NULL */
	/* With a user namespace, both non-empty; without one, none. */
	struct spec_idmap *uid_mappings;
	size_t nuid_mappings;
	struct spec_idmap *gid_mappings;
	size_t ngid_mappings;
	struct spec_device *devices;
	size_t ndevices;
	struct spec_sysctl *sysctls;
	size_t nsysctls;
	bool has_resources;
	struct spec_resources resources;
	/* linux.seccomp, or NULL: compiled on the host (src/runtime/secbpf.h),
	 * never sent to the guest. */
	struct spec_seccomp *seccomp;
};

/*
 * Parse and validate config.json text[0..len) (need not be
 * NUL-terminated). Returns 0 with *out set (free with spec_free), or -1
 * with *e set to "<json path>: <why>" ("process.args: must be a
 * non-empty array of strings", or "12:5: <jansson's message>" for bad
 * JSON): EINVAL for an invalid config, EOPNOTSUPP for a valid one moat
 * cannot run (an unsupported ociVersion, a time namespace, ...).
 */
int spec_parse(const char *text, size_t len, struct spec **out,
	       struct moat_err **e);

/* Parse an OCI "process" object alone (exec's --process file) into a new
 * spec of which only .process is filled. As spec_parse(). */
int spec_process_parse(const char *text, size_t len, struct spec **out,
		       struct moat_err **e);

void spec_free(struct spec *s);

/* The value of annotation key (e.g. "moat.hypervisor"), or NULL when the
 * config has none. Points into s. */
const char *spec_annotation(const struct spec *s, const char *key);

/*
 * Parse an ociVersion ("1.2.0", "1.0.2-dev") and check it is within
 * SPEC_VERSION_MIN..the 1.3 series. Returns 0, or -1 with *e set
 * (EINVAL: not a version; EOPNOTSUPP: out of range).
 */
int spec_version_check(const char *v, unsigned *major, unsigned *minor,
		       unsigned *patch, struct moat_err **e);

/*
 * Parse a linux.resources object alone (an UPDATE's), text[0..len), into
 * *out (zeroed first). Errors name "resources.<member>". 0, or -1 with
 * *e set (EINVAL). Free with spec_resources_free().
 */
int spec_resources_parse(const char *text, size_t len,
			 struct spec_resources *out, struct moat_err **e);
void spec_resources_free(struct spec_resources *r);

/* The MS_* propagation flags of name ("rslave": MS_SLAVE | MS_REC).
 * 0, or -1 when name is not one. */
int spec_propagation(const char *name, unsigned long *flags);

/* What spec_encode() writes. */
#define SPEC_ENC_HOST 0x1 /* hooks, annotations, seccomp: not for the guest */

/*
 * The OCI document of s, compact, for spec_parse(): what it read, in the
 * runtime-spec's own shape (unknown properties are gone). Without
 * SPEC_ENC_HOST it leaves out what only the host acts on. Returns a
 * malloc'd NUL-terminated text, or NULL when out of memory.
 */
char *spec_encode(const struct spec *s, unsigned flags);

/* The OCI "process" object of p alone, for spec_process_parse() (exec's
 * process, shim.sock's payload). As spec_encode(). */
char *spec_process_encode(const struct spec_process *p);

#endif
