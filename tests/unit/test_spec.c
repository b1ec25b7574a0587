/*
 * test_spec.c: config.json validation (src/common/spec.c, shared by the
 * host and the agent; src/runtime/spec.c reads the file): the default
 * config, every runtime-spec version from 1.0.0 to 1.3.0 and future ones,
 * and a table of good and bad configs, each a change to the default one,
 * checked for the error's JSON path and kind; what the parser makes of
 * mounts, devices, sysctls, resources and the seccomp profile; the
 * encoder's round trip (a process object's alone too); an UPDATE's
 * resources.
 */
#include "../harness/test.h"
#include "../../src/runtime/spec.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* Set (or with NULL value text, delete) the member at a dotted path in
 * root; a numeric component indexes an array. */
static void mutate(json_t *root, const char *path, const char *value)
{
	char buf[256], *p, *dot;
	json_t *o = root, *v = NULL;
	json_error_t jerr;

	if (value) {
		v = json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		if (!v)
			FAIL("bad test value %s: %s", value, jerr.text);
	}
	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf; (dot = strchr(p, '.')); p = dot + 1) {
		*dot = '\0';
		o = json_is_array(o) ? json_array_get(o, strtoul(p, NULL, 10))
				     : json_object_get(o, p);
		if (!o)
			FAIL("test path %s: no %s", path, p);
	}
	if (json_is_array(o)) {
		if (v)
			json_array_set_new(o, strtoul(p, NULL, 10), v);
		else
			json_array_remove(o, strtoul(p, NULL, 10));
	} else if (v) {
		json_object_set_new(o, p, v);
	} else {
		json_object_del(o, p);
	}
}

static json_t *default_doc(void)
{
	char *text = spec_default_json();
	json_t *j;

	ASSERT(text);
	j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	ASSERT(j);
	return j;
}

/* Parse the document; returns 0 or the errnum, with the message in msg. */
static int parse_doc(json_t *doc, char *msg, size_t len, struct spec **out)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	struct moat_err *e = NULL;
	struct spec *s = NULL;
	int r;

	ASSERT(text);
	r = spec_parse(text, strlen(text), &s, &e);
	free(text);
	msg[0] = '\0';
	if (r == 0) {
		ASSERT(s && !e);
		if (out)
			*out = s;
		else
			spec_free(s);
		return 0;
	}
	ASSERT(e && !s);
	ASSERT(e->errnum != 0);
	snprintf(msg, len, "%s", e->msg);
	r = e->errnum;
	moat_err_free(&e);
	return r;
}

TEST(spec_default_config_is_valid)
{
	struct spec *s = NULL;
	char msg[MOAT_ERR_MSG_MAX];
	json_t *doc = default_doc();

	if (parse_doc(doc, msg, sizeof(msg), &s))
		FAIL("default config: %s", msg);
	json_decref(doc);
	ASSERT_STREQ(s->oci_version, SPEC_VERSION_OUT);
	ASSERT_EQ(s->ver_major, 1);
	ASSERT_EQ(s->ver_minor, 2);
	ASSERT_STREQ(s->root_path, "rootfs");
	ASSERT(s->root_readonly);
	ASSERT(s->process.terminal);
	ASSERT_STREQ(s->process.args[0], "sh");
	ASSERT(s->process.args[1] == NULL);
	ASSERT_STREQ(s->process.cwd, "/");
	ASSERT(!strncmp(s->process.env[0], "PATH=", 5));
	ASSERT(s->process.no_new_privileges);
	ASSERT_EQ(s->process.nrlimits, 1);
	ASSERT_STREQ(oci_rlimit_names[s->process.rlimits[0].type],
		     "RLIMIT_NOFILE");
	ASSERT_EQ(s->process.rlimits[0].soft, 1024);
	/* CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10) */
	ASSERT_EQ(s->process.caps[SPEC_CAP_BOUNDING],
		  (1ULL << 29) | (1ULL << 5) | (1ULL << 10));
	ASSERT_EQ(s->process.caps[SPEC_CAP_AMBIENT], 0);
	ASSERT_STREQ(s->hostname, "moat");
	ASSERT_EQ(s->nmounts, 7);
	ASSERT_STREQ(s->mounts[0].destination, "/proc");
	ASSERT_STREQ(s->mounts[1].options[2], "mode=755");
	ASSERT_EQ(s->namespaces, SPEC_NS_SUPPORTED & ~(1u << SPEC_NS_USER));
	ASSERT_STREQ(s->masked_paths[0], "/proc/acpi");
	ASSERT_STREQ(s->readonly_paths[0], "/proc/bus");
	ASSERT(s->has_resources && s->resources.ndevices == 1 &&
	       !s->resources.devices[0].allow &&
	       !strcmp(s->resources.devices[0].access, "rwm"));
	ASSERT(s->seccomp == NULL);
	spec_free(s);
}

TEST(spec_every_version_1_0_to_1_3_is_accepted)
{
	static const char *const ok[] = {
		"1.0.0", "1.0.1", "1.0.2", "1.0.2-dev",	 "1.1.0-rc.1", "1.1.0",
		"1.2.0", "1.2.1", "1.3.0", "1.3.0-rc.1", "1.3.1+meta", NULL,
	};
	char msg[MOAT_ERR_MSG_MAX];
	struct spec *s;
	size_t i;

	for (i = 0; ok[i]; i++) {
		json_t *doc = default_doc();
		char v[64];

		snprintf(v, sizeof(v), "\"%s\"", ok[i]);
		mutate(doc, "ociVersion", v);
		s = NULL;
		if (parse_doc(doc, msg, sizeof(msg), &s))
			FAIL("%s: %s", ok[i], msg);
		ASSERT_STREQ(s->oci_version, ok[i]);
		ASSERT_EQ(s->ver_major, 1);
		spec_free(s);
		json_decref(doc);
	}
}

TEST(spec_future_and_malformed_versions_are_refused)
{
	static const struct {
		const char *v;
		int err;
	} bad[] = {
		{ "\"1.4.0\"", EOPNOTSUPP },
		{ "\"1.4.0-rc.1\"", EOPNOTSUPP },
		{ "\"1.10.0\"", EOPNOTSUPP },
		{ "\"2.0.0\"", EOPNOTSUPP },
		{ "\"0.9.0\"", EOPNOTSUPP },
		{ "\"1.0.0-rc5\"", EOPNOTSUPP },
		{ "\"1.3\"", EINVAL },
		{ "\"v1.2.0\"", EINVAL },
		{ "\"1.02.0\"", EINVAL },
		{ "\"\"", EINVAL },
		{ "\"1.2.0-\"", EINVAL },
		{ "\"1.2.0 \"", EINVAL },
		{ "\"1.2.0-a b\"", EINVAL },
		{ "120", EINVAL },
		{ "null", EINVAL },
		{ NULL, EINVAL },
		{ "\"99999999999.0.0\"", EINVAL },
	};
	char msg[MOAT_ERR_MSG_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *doc = default_doc();
		int r;

		mutate(doc, "ociVersion", bad[i].v);
		r = parse_doc(doc, msg, sizeof(msg), NULL);
		json_decref(doc);
		if (r != bad[i].err)
			FAIL("ociVersion %s: got %d (%s), want %d",
			     bad[i].v ? bad[i].v : "(absent)", r, msg,
			     bad[i].err);
		ASSERT(!strncmp(msg, "ociVersion: ", 12));
	}
}

/* A change to the default config and what must come of it: 0, or the
 * errnum and the start of the message (the JSON path). */
struct spec_case {
	const char *path;
	const char *value; /* JSON text; NULL deletes the member */
	int err;
	const char *msg;
};

/* A profile with every part moat reads. */
#define SECCOMP_RICH                                                             \
	"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, "      \
	"\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", "          \
	"\"SCMP_ARCH_X32\"], \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], "         \
	"\"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": "         \
	"\"SCMP_ACT_ALLOW\"}, {\"names\": [\"personality\"], \"action\": "       \
	"\"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 4294967295, "  \
	"\"op\": \"SCMP_CMP_EQ\"}]}, {\"names\": [\"clone\"], \"action\": "      \
	"\"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 2114060288, "  \
	"\"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}, {\"index\": 5, "      \
	"\"value\": -1, \"valueTwo\": 7, \"op\": \"SCMP_CMP_NE\"}]}, "           \
	"{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", "              \
	"\"errnoRet\": 1, \"comment\": \"ignored\"}, {\"names\": [\"ptrace\"], " \
	"\"action\": \"SCMP_ACT_KILL_PROCESS\"}]}"
#define SECCOMP_ARG0 "{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}"

static const struct spec_case spec_cases[] = {
	/* good */
	{ "root.path", "\"/var/lib/c/rootfs\"", 0, NULL },
	{ "root.readonly", NULL, 0, NULL },
	{ "process.terminal", "false", 0, NULL },
	{ "process.env", NULL, 0, NULL },
	{ "process.env", "[\"A=\", \"B=c=d\"]", 0, NULL },
	{ "process.user.umask", "18", 0, NULL },
	{ "process.user.additionalGids", "[1, 2, 4294967294]", 0, NULL },
	{ "process.capabilities", NULL, 0, NULL },
	{ "process.capabilities.ambient", "[\"CAP_CHECKPOINT_RESTORE\"]", 0,
	  NULL },
	{ "process.rlimits",
	  "[{\"type\":\"RLIMIT_CORE\",\"soft\":-1,"
	  "\"hard\":-1}]",
	  0, NULL },
	{ "process.oomScoreAdj", "-1000", 0, NULL },
	{ "process.consoleSize", "{\"height\": 24, \"width\": 80}", 0, NULL },
	{ "process.ioPriority", "{\"class\": \"IOPRIO_CLASS_IDLE\"}", 0, NULL },
	{ "process.unknownFutureField", "{\"x\": [1]}", 0, NULL },
	{ "hostname", NULL, 0, NULL },
	{ "domainname", "\"example.org\"", 0, NULL },
	{ "mounts", NULL, 0, NULL },
	{ "mounts", "[]", 0, NULL },
	{ "mounts.0.type", NULL, 0, NULL },
	{ "hooks",
	  "{\"prestart\": [{\"path\": \"/bin/true\"}], "
	  "\"poststop\": [{\"path\": \"/bin/x\", \"args\": [\"x\"], "
	  "\"env\": [\"A=1\"], \"timeout\": 5}], \"futureHook\": 1}",
	  0, NULL },
	{ "annotations", "{\"moat.hypervisor\": \"qemu\", \"a\": \"\"}", 0,
	  NULL },
	{ "linux.namespaces.5", NULL, 0, NULL },
	{ "linux.namespaces",
	  "[{\"type\": \"mount\"}, {\"type\": \"uts\"}, "
	  "{\"type\": \"network\", \"path\": \"/run/netns/x\"}]",
	  0, NULL },
	{ "linux.seccomp", "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}", 0, NULL },
	{ "linux.seccomp", SECCOMP_RICH, 0, NULL },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_KILL\", \"syscalls\": [{\"names\": "
	  "[], \"action\": \"SCMP_ACT_TRAP\", \"args\": null}], "
	  "\"listenerPath\": \"/x\", \"flags\": []}",
	  0, NULL },
	{ "linux.cgroupsPath", "\"/moat/x\"", 0, NULL },
	{ "windows", "{\"layerFolders\": []}", 0, NULL },
	{ "linux.devices",
	  "[{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, "
	  "\"minor\": 229}]",
	  0, NULL },
	{ "linux.sysctl",
	  "{\"net.ipv4.ip_forward\": \"1\", "
	  "\"kernel.shmmni\": \"100\"}",
	  0, NULL },
	{ "linux.rootfsPropagation", "\"rprivate\"", 0, NULL },
	{ "linux.resources",
	  "{\"memory\": {\"limit\": -1}, \"cpu\": {\"shares\": 1024}, "
	  "\"pids\": {\"limit\": 5}, \"blockIO\": {\"weight\": 10}}",
	  0, NULL },
	{ "mounts.1.options",
	  "[\"rbind\", \"rprivate\", \"ro\", \"tmpcopyup\", \"size=1k\"]", 0,
	  NULL },

	/* bad: types, required fields and paths */
	{ "root", NULL, EINVAL, "root: required" },
	{ "root", "\"rootfs\"", EINVAL, "root: must be an object" },
	{ "root.path", NULL, EINVAL, "root.path: required" },
	{ "root.path", "\"\"", EINVAL, "root.path: must not be empty" },
	{ "root.path", "1", EINVAL, "root.path: must be a string" },
	{ "root.readonly", "\"yes\"", EINVAL,
	  "root.readonly: must be a boolean" },
	{ "process", NULL, EINVAL, "process: required" },
	{ "process", "[]", EINVAL, "process: must be an object" },
	{ "process.args", NULL, EINVAL,
	  "process.args: must be a non-empty array of strings" },
	{ "process.args", "[]", EINVAL,
	  "process.args: must be a non-empty array of strings" },
	{ "process.args", "\"sh\"", EINVAL,
	  "process.args: must be a non-empty array of strings" },
	{ "process.args", "[\"sh\", 1]", EINVAL,
	  "process.args: must be a non-empty array of strings" },
	/* jansson refuses a NUL before we see it, naming line and column */
	{ "process.args", "[\"s\\u0000h\"]", EINVAL, "1:" },
	{ "process.env", "[\"NOEQUALS\"]", EINVAL,
	  "process.env[0]: must be NAME=VALUE" },
	{ "process.env", "[\"A=1\", \"=x\"]", EINVAL,
	  "process.env[1]: must be NAME=VALUE" },
	{ "process.cwd", NULL, EINVAL, "process.cwd: required" },
	{ "process.cwd", "\"relative\"", EINVAL,
	  "process.cwd: must be an absolute path" },
	{ "process.terminal", "1", EINVAL,
	  "process.terminal: must be a boolean" },
	{ "process.user.uid", NULL, EINVAL, "process.user.uid: required" },
	{ "process.user.uid", "-1", EINVAL, "process.user.uid: must be an" },
	{ "process.user.gid", "4294967295", EINVAL,
	  "process.user.gid: must be an" },
	{ "process.user.umask", "512", EINVAL, "process.user.umask: must" },
	{ "process.user.username", "\"root\"", EOPNOTSUPP,
	  "process.user.username: only for Windows" },
	{ "process.user.additionalGids", "[1, \"2\"]", EINVAL,
	  "process.user.additionalGids[1]: must be a gid" },
	{ "process.capabilities", "[]", EINVAL,
	  "process.capabilities: must be an object" },
	{ "process.capabilities.bounding", "\"CAP_KILL\"", EINVAL,
	  "process.capabilities.bounding: must be an array" },
	{ "process.capabilities.effective", "[\"CAP_KILL\", \"CAP_FLY\"]",
	  EINVAL, "process.capabilities.effective[1]: unknown capability" },
	{ "process.capabilities.permitted", "[\"kill\"]", EINVAL,
	  "process.capabilities.permitted[0]: unknown capability" },
	{ "process.rlimits", "{}", EINVAL,
	  "process.rlimits: must be an array" },
	{ "process.rlimits.0.type", "\"RLIMIT_FOO\"", EINVAL,
	  "process.rlimits[0].type: must be a known RLIMIT_ name" },
	{ "process.rlimits.0.soft", NULL, EINVAL,
	  "process.rlimits[0].soft: required" },
	{ "process.rlimits.0.soft", "2048", EINVAL,
	  "process.rlimits[0]: soft must not exceed hard" },
	{ "process.rlimits.0.hard", "-2", EINVAL,
	  "process.rlimits[0].hard: must be an integer" },
	{ "process.rlimits",
	  "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1},"
	  "{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":2}]",
	  EINVAL, "process.rlimits[1].type: RLIMIT_NOFILE given twice" },
	{ "process.oomScoreAdj", "1001", EINVAL,
	  "process.oomScoreAdj: must be an integer from -1000 to 1000" },
	{ "process.consoleSize", "{\"height\": 24}", EINVAL,
	  "process.consoleSize.width: required" },
	{ "process.noNewPrivileges", "\"true\"", EINVAL,
	  "process.noNewPrivileges: must be a boolean" },
	{ "process.apparmorProfile", "[]", EINVAL,
	  "process.apparmorProfile: must be a string" },
	{ "hostname", "7", EINVAL, "hostname: must be a string" },
	{ "linux", NULL, EINVAL, "hostname: needs a uts namespace" },
	{ "linux.namespaces", "[]", EINVAL, "hostname: needs a uts namespace" },
	{ "linux.namespaces.3", NULL, EINVAL,
	  "hostname: needs a uts namespace" },
	{ "mounts", "{}", EINVAL, "mounts: must be an array" },
	{ "mounts.0", "\"/proc\"", EINVAL, "mounts[0]: must be an object" },
	{ "mounts.2.destination", NULL, EINVAL,
	  "mounts[2].destination: required" },
	{ "mounts.2.destination", "\"dev/pts\"", EINVAL,
	  "mounts[2].destination: must be an absolute path" },
	{ "mounts.2.destination", "\"/dev/../etc\"", EINVAL,
	  "mounts[2].destination: must be an absolute path" },
	{ "mounts.2.destination", "\"/dev/./pts\"", EINVAL,
	  "mounts[2].destination: must be an absolute path" },
	{ "mounts.1.options", "[\"ro\", 5]", EINVAL,
	  "mounts[1].options: must be an array of strings" },
	{ "mounts.1.source", "{}", EINVAL, "mounts[1].source: must be a" },
	{ "mounts.1.uidMappings",
	  "[{\"containerID\":0,\"hostID\":1000,\"size\":1}]", EOPNOTSUPP,
	  "mounts[1].uidMappings: id-mapped mounts are not supported" },
	{ "hooks", "[]", EINVAL, "hooks: must be an object" },
	{ "hooks", "{\"prestart\": {}}", EINVAL,
	  "hooks.prestart: must be an array" },
	{ "hooks", "{\"poststart\": [{\"args\": []}]}", EINVAL,
	  "hooks.poststart[0].path: required" },
	{ "hooks", "{\"createRuntime\": [{\"path\": \"x\"}]}", EINVAL,
	  "hooks.createRuntime[0].path: must be an absolute path" },
	{ "hooks", "{\"poststop\": [{\"path\": \"/x\", \"timeout\": 0}]}",
	  EINVAL, "hooks.poststop[0].timeout: must be an integer" },
	{ "hooks", "{\"startContainer\": [{\"path\": \"/x\", \"env\": 1}]}",
	  EINVAL, "hooks.startContainer[0].env: must be an array" },
	{ "annotations", "[]", EINVAL, "annotations: must be an object" },
	{ "annotations", "{\"a\": 1}", EINVAL,
	  "annotations.a: must be a string" },
	{ "annotations", "{\"\": \"x\"}", EINVAL,
	  "annotations: a key must not be empty" },
	{ "linux", "[]", EINVAL, "linux: must be an object" },
	{ "linux.namespaces", "{}", EINVAL,
	  "linux.namespaces: must be an array" },
	{ "linux.namespaces.0", "{\"type\": \"pidd\"}", EINVAL,
	  "linux.namespaces[0].type: must be a namespace type" },
	{ "linux.namespaces.0", "{\"type\": \"uts\"}", EINVAL,
	  "linux.namespaces[3].type: uts given twice" },
	{ "linux.namespaces.0", "{\"type\": \"user\"}", EINVAL,
	  "linux.uidMappings: user namespaces enabled, but no namespace path "
	  "to join nor mappings to apply specified" },
	{ "linux.namespaces.0", "{\"type\": \"user\", \"path\": \"/x\"}",
	  EOPNOTSUPP, "linux.namespaces[0].path: joining a namespace" },
	{ "linux.namespaces.0", "{\"type\": \"time\"}", EOPNOTSUPP,
	  "linux.namespaces[0].type: time namespaces are not supported" },
	{ "linux.namespaces.1",
	  "{\"type\": \"mount\", "
	  "\"path\": \"/proc/1/ns/mnt\"}",
	  EOPNOTSUPP, "linux.namespaces[1].path: joining a namespace" },
	{ "linux.uidMappings",
	  "[{\"containerID\": 0, \"hostID\": 1, "
	  "\"size\": 1}]",
	  EINVAL,
	  "linux.uidMappings: user namespace mappings specified, but user "
	  "namespace isn't enabled in the config" },
	{ "linux.uidMappings", "{}", EINVAL,
	  "linux.uidMappings: must be an array" },
	{ "linux.maskedPaths", "[\"proc/kcore\"]", EINVAL,
	  "linux.maskedPaths[0]: must be an absolute path" },
	{ "linux.readonlyPaths", "\"/proc\"", EINVAL,
	  "linux.readonlyPaths: must be an array of strings" },
	{ "linux.resources", "[]", EINVAL,
	  "linux.resources: must be an object" },
	{ "linux.seccomp", "{}", EINVAL,
	  "linux.seccomp.defaultAction: required string" },
	{ "linux.seccomp", "true", EINVAL, "linux.seccomp: must be an object" },
	{ "linux.seccomp", "{\"defaultAction\": \"SCMP_ACT_MAYBE\"}", EINVAL,
	  "linux.seccomp.defaultAction: must be a seccomp action" },
	{ "linux.seccomp", "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}",
	  EOPNOTSUPP,
	  "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": -1}",
	  EINVAL, "linux.seccomp.defaultErrnoRet: must be an integer" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
	  "\"SCMP_ARCH_X86_64\"}",
	  EINVAL, "linux.seccomp.architectures: must be an array" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
	  "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_VAX\"]}",
	  EINVAL, "linux.seccomp.architectures[1]: must be an architecture" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
	  "[\"SECCOMP_FILTER_FLAG_FAST\"]}",
	  EINVAL, "linux.seccomp.flags[0]: must be a seccomp flag" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", EINVAL,
	  "linux.seccomp.syscalls: must be an array" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [1]}", EINVAL,
	  "linux.seccomp.syscalls[0]: must be an object" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"action\": \"SCMP_ACT_LOG\"}]}",
	  EINVAL, "linux.seccomp.syscalls[0].names: required" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\", 1], \"action\": \"SCMP_ACT_LOG\"}]}",
	  EINVAL,
	  "linux.seccomp.syscalls[0].names: must be an array of strings" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\"]}]}",
	  EINVAL, "linux.seccomp.syscalls[0].action: required string" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{}, "
	  "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL_ALL\"}]}",
	  EINVAL, "linux.seccomp.syscalls[0].names: required" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL_ALL\"}]}",
	  EINVAL,
	  "linux.seccomp.syscalls[0].action: must be a seccomp action" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
	  "\"errnoRet\": \"EPERM\"}]}",
	  EINVAL, "linux.seccomp.syscalls[0].errnoRet: must be an integer" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", "
	  "\"args\": {}}]}",
	  EINVAL, "linux.seccomp.syscalls[0].args: must be an array" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", "
	  "\"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_IN\"}]}]}",
	  EINVAL, "linux.seccomp.syscalls[0].args[0].op: must be an operator" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", "
	  "\"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	  EINVAL,
	  "linux.seccomp.syscalls[0].args[0].index: must be an integer from 0 "
	  "to 5" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", "
	  "\"args\": [{\"index\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	  EINVAL, "linux.seccomp.syscalls[0].args[0].value: required" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", "
	  "\"args\": [{\"index\": 1, \"value\": 1, \"valueTwo\": 1.5, "
	  "\"op\": \"SCMP_CMP_EQ\"}]}]}",
	  EINVAL,
	  "linux.seccomp.syscalls[0].args[0].valueTwo: must be an integer" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", "
	  "\"args\": [1]}]}",
	  EINVAL, "linux.seccomp.syscalls[0].args[0]: must be an object" },
	{ "linux.seccomp",
	  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
	  "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\", "
	  "\"args\": [" SECCOMP_ARG0 ", " SECCOMP_ARG0 ", " SECCOMP_ARG0
	  ", " SECCOMP_ARG0 ", " SECCOMP_ARG0 ", " SECCOMP_ARG0
	  ", " SECCOMP_ARG0 "]}]}",
	  EINVAL, "linux.seccomp.syscalls[0].args: at most 6 comparisons" },
	{ "linux.cgroupsPath", "1", EINVAL,
	  "linux.cgroupsPath: must be a string" },
	{ "linux.namespaces.1", "{\"type\": \"network\", \"path\": \"x\"}",
	  EINVAL, "linux.namespaces[1].path: must be an absolute path" },
	{ "linux.devices", "[{\"path\": \"/tmp/x\", \"type\": \"c\"}]", EINVAL,
	  "linux.devices[0].path: must be a clean path under /dev" },
	{ "linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"x\"}]", EINVAL,
	  "linux.devices[0].type: must be c, b, u or p" },
	{ "linux.devices",
	  "[{\"path\": \"/dev/x\", \"type\": \"b\", "
	  "\"major\": 5000}]",
	  EINVAL, "linux.devices[0].major: must be an integer" },
	{ "linux.sysctl", "{\"vm.swappiness\": \"1\"}", EOPNOTSUPP,
	  "linux.sysctl.vm.swappiness: not a namespaced sysctl" },
	{ "linux.sysctl", "{\"kernel.shmmni\": 1}", EINVAL,
	  "linux.sysctl.kernel.shmmni: must be a string" },
	{ "linux.sysctl", "{\"../x\": \"1\"}", EINVAL,
	  "linux.sysctl: a key must be a sysctl name" },
	{ "linux.rootfsPropagation", "\"sideways\"", EINVAL,
	  "linux.rootfsPropagation: must be a propagation" },
	{ "linux.resources", "{\"memory\": {\"limit\": \"1G\"}}", EINVAL,
	  "linux.resources.memory.limit: must be an integer" },
	{ "linux.resources", "{\"cpu\": 5}", EINVAL,
	  "linux.resources.cpu: must be an object" },
	{ "linux.resources", "{\"cpu\": {\"shares\": 300000}}", EINVAL,
	  "linux.resources.cpu.shares: must be an integer" },
	{ "linux.resources", "{\"devices\": [{\"access\": \"rwm\"}]}", EINVAL,
	  "linux.resources.devices[0].allow: required boolean" },
	{ "linux.resources",
	  "{\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}", EINVAL,
	  "linux.resources.devices[0].access: must be of r, w, m" },
	{ "mounts.1.options", "[\"a,b\"]", EINVAL,
	  "mounts[1].options[0]: must be a mount option" },
	{ "mounts.1", "{\"destination\": \"/x\", \"type\": \"bind\"}", EINVAL,
	  "mounts[1].source: a bind mount needs a source" },
	{ "mounts.1", "{\"destination\": \"/x\", \"options\": [\"rbind\"]}",
	  EINVAL, "mounts[1].source: a bind mount needs a source" },
};

/* With a user namespace (linux.namespaces[0] is made one). */
static const struct spec_case spec_userns_cases[] = {
	{ "linux.gidMappings", NULL, EINVAL,
	  "linux.gidMappings: required with linux.uidMappings" },
	{ "linux.uidMappings", NULL, EINVAL,
	  "linux.uidMappings: required with linux.gidMappings" },
	{ "linux.uidMappings", "[{\"containerID\": 0, \"size\": 1}]", EINVAL,
	  "linux.uidMappings[0].hostID: required" },
	{ "linux.uidMappings", "[5]", EINVAL,
	  "linux.uidMappings[0]: must be an object" },
	{ "linux.gidMappings",
	  "[{\"containerID\": 0, \"hostID\": 1, \"size\": 0}]", EINVAL,
	  "linux.gidMappings[0].size: must be an integer" },
	{ "linux.uidMappings",
	  "[{\"containerID\": -1, \"hostID\": 1, \"size\": 1}]", EINVAL,
	  "linux.uidMappings[0].containerID: must be an integer" },
	{ "linux.uidMappings",
	  "[{\"containerID\": 4294967295, \"hostID\": 1, \"size\": 2}]", EINVAL,
	  "linux.uidMappings[0].size: the range goes past" },
	{ "linux.uidMappings",
	  "[{\"containerID\": 0, \"hostID\": 100000, \"size\": 10}, "
	  "{\"containerID\": 9, \"hostID\": 200000, \"size\": 1}]",
	  EINVAL, "linux.uidMappings[1]: overlaps linux.uidMappings[0]" },
	{ "linux.gidMappings",
	  "[{\"containerID\": 0, \"hostID\": 100000, \"size\": 10}, "
	  "{\"containerID\": 10, \"hostID\": 100005, \"size\": 1}]",
	  EINVAL, "linux.gidMappings[1]: overlaps linux.gidMappings[0]" },
	{ "linux.gidMappings",
	  "[{\"containerID\": 0, \"hostID\": 100000, \"size\": 10}, "
	  "{\"containerID\": 10, \"hostID\": 100010, \"size\": 1}]",
	  0, NULL },
};

TEST(spec_user_namespace_and_its_maps)
{
	char msg[MOAT_ERR_MSG_MAX], big[341 * 64 + 8], *p = big;
	struct spec *s;
	json_t *doc;
	size_t i;
	int r;

	for (i = 0;
	     i < sizeof(spec_userns_cases) / sizeof(spec_userns_cases[0]);
	     i++) {
		const struct spec_case *c = &spec_userns_cases[i];

		doc = default_doc();
		mutate(doc, "linux.namespaces.0", "{\"type\": \"user\"}");
		mutate(doc, "linux.uidMappings",
		       "[{\"containerID\": 0, \"hostID\": 100000, "
		       "\"size\": 65536}]");
		mutate(doc, "linux.gidMappings",
		       "[{\"containerID\": 0, \"hostID\": 100000, "
		       "\"size\": 65536}]");
		mutate(doc, c->path, c->value);
		s = NULL;
		r = parse_doc(doc, msg, sizeof(msg), &s);
		json_decref(doc);
		if (r != c->err || (c->msg && !strstr(msg, c->msg)))
			FAIL("%s = %s: got %d \"%s\", want %d \"%s\"", c->path,
			     c->value ? c->value : "(deleted)", r, msg, c->err,
			     c->msg ? c->msg : "");
		if (!r) {
			ASSERT(s->namespaces & (1u << SPEC_NS_USER));
			ASSERT_EQ(s->ngid_mappings, 2);
			ASSERT_EQ(s->gid_mappings[1].host_id, 100010);
		}
		spec_free(s);
	}
	/* 341 lines are more than a map holds */
	p += sprintf(p, "[");
	for (i = 0; i < 341; i++)
		p += sprintf(p,
			     "%s{\"containerID\": %zu, \"hostID\": %zu, "
			     "\"size\": 1}",
			     i ? "," : "", i, 100000 + i);
	sprintf(p, "]");
	doc = default_doc();
	mutate(doc, "linux.namespaces.0", "{\"type\": \"user\"}");
	mutate(doc, "linux.uidMappings", big);
	mutate(doc, "linux.gidMappings", big);
	ASSERT_EQ(parse_doc(doc, msg, sizeof(msg), &s), EINVAL);
	ASSERT(strstr(msg, "linux.uidMappings: at most 340 ranges"));
	json_decref(doc);
}

TEST(spec_table_of_good_and_bad_configs)
{
	char msg[MOAT_ERR_MSG_MAX];
	size_t i, failed = 0;

	for (i = 0; i < sizeof(spec_cases) / sizeof(spec_cases[0]); i++) {
		const struct spec_case *c = &spec_cases[i];
		json_t *doc = default_doc();
		int r;

		mutate(doc, c->path, c->value);
		r = parse_doc(doc, msg, sizeof(msg), NULL);
		json_decref(doc);
		if (r != c->err ||
		    (c->msg && strncmp(msg, c->msg, strlen(c->msg)))) {
			test_diag("case %zu: %s = %s: got %d \"%s\", want %d "
				  "\"%s\"",
				  i, c->path, c->value ? c->value : "(deleted)",
				  r, msg, c->err, c->msg ? c->msg : "");
			failed++;
		}
	}
	if (failed)
		FAIL("%zu of %zu cases failed", failed,
		     sizeof(spec_cases) / sizeof(spec_cases[0]));
}

TEST(spec_parsed_fields)
{
	char msg[MOAT_ERR_MSG_MAX];
	json_t *doc = default_doc();
	struct spec *s = NULL;

	mutate(doc, "hooks",
	       "{\"createRuntime\": [{\"path\": \"/bin/a\", \"args\": "
	       "[\"a\", \"b\"], \"timeout\": 3}, {\"path\": \"/bin/b\"}]}");
	mutate(doc, "annotations", "{\"k1\": \"v1\", \"k2\": \"v2\"}");
	mutate(doc, "process.user",
	       "{\"uid\": 1000, \"gid\": 100, "
	       "\"additionalGids\": [5, 6]}");
	mutate(doc, "linux.seccomp",
	       "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": []}");
	if (parse_doc(doc, msg, sizeof(msg), &s))
		FAIL("%s", msg);
	json_decref(doc);
	ASSERT_EQ(s->nhooks[SPEC_HOOK_CREATE_RUNTIME], 2);
	ASSERT_EQ(s->nhooks[SPEC_HOOK_PRESTART], 0);
	ASSERT_STREQ(s->hooks[SPEC_HOOK_CREATE_RUNTIME][0].path, "/bin/a");
	ASSERT_STREQ(s->hooks[SPEC_HOOK_CREATE_RUNTIME][0].args[1], "b");
	ASSERT_EQ(s->hooks[SPEC_HOOK_CREATE_RUNTIME][0].timeout, 3);
	ASSERT_EQ(s->hooks[SPEC_HOOK_CREATE_RUNTIME][1].timeout, 0);
	ASSERT(s->hooks[SPEC_HOOK_CREATE_RUNTIME][1].args[0] == NULL);
	ASSERT_EQ(s->nannotations, 2);
	ASSERT_STREQ(s->annotations[1].key, "k2");
	ASSERT_STREQ(s->annotations[1].value, "v2");
	ASSERT_EQ(s->process.uid, 1000);
	ASSERT_EQ(s->process.gid, 100);
	ASSERT_EQ(s->process.nadditional_gids, 2);
	ASSERT_EQ(s->process.additional_gids[1], 6);
	ASSERT(s->seccomp != NULL);
	ASSERT_EQ(s->seccomp->default_action, SPEC_SCMP_ACT_ERRNO);
	ASSERT(!s->seccomp->has_default_errno_ret);
	ASSERT_EQ(s->seccomp->narchs, 0);
	ASSERT_EQ(s->seccomp->flags, 0);
	ASSERT_EQ(s->seccomp->nrules, 0);
	spec_free(s);
}

TEST(spec_mounts_devices_sysctls_resources_parsed)
{
	char msg[MOAT_ERR_MSG_MAX];
	json_t *doc = default_doc();
	const struct spec_mount *m;
	struct spec *s = NULL;
	unsigned long pf = 0;

	mutate(doc, "mounts.1.options",
	       "[\"rbind\", \"rprivate\", \"ro\", \"rw\", \"noexec\", "
	       "\"tmpcopyup\", \"size=1k\", \"mode=755\"]");
	mutate(doc, "mounts.2.type", "\"bind\"");
	mutate(doc, "linux.devices",
	       "[{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, "
	       "\"minor\": 229, \"fileMode\": 438, \"uid\": 1, \"gid\": 2}]");
	mutate(doc, "linux.sysctl", "{\"kernel.shmmni\": \"100\"}");
	mutate(doc, "linux.rootfsPropagation", "\"rshared\"");
	mutate(doc, "linux.resources",
	       "{\"memory\": {\"limit\": 1048576, \"swap\": -1}, "
	       "\"cpu\": {\"quota\": 50000, \"period\": 100000, "
	       "\"shares\": 512}, \"pids\": {\"limit\": 7}}");
	mutate(doc, "linux.namespaces.1",
	       "{\"type\": \"network\", \"path\": \"/run/netns/x\"}");
	if (parse_doc(doc, msg, sizeof(msg), &s))
		FAIL("%s", msg);
	json_decref(doc);
	m = &s->mounts[1];
	ASSERT(m->bind && m->copyup);
	ASSERT_EQ(m->pflags, MS_PRIVATE | MS_REC);
	ASSERT_EQ(m->flags, MS_NOEXEC);
	ASSERT_EQ(m->clear, MS_RDONLY);
	ASSERT_STREQ(m->data, "size=1k,mode=755");
	ASSERT(s->mounts[2].bind);
	ASSERT(!s->mounts[0].bind && s->mounts[0].data == NULL);
	ASSERT_EQ(s->ndevices, 1);
	ASSERT_EQ(s->devices[0].type, 'c');
	ASSERT_EQ(s->devices[0].minor, 229);
	ASSERT_EQ(s->devices[0].file_mode, 0666);
	ASSERT_EQ(s->devices[0].gid, 2);
	ASSERT_EQ(s->nsysctls, 1);
	ASSERT_STREQ(s->sysctls[0].value, "100");
	ASSERT_STREQ(s->rootfs_propagation, "rshared");
	ASSERT_EQ(spec_propagation(s->rootfs_propagation, &pf), 0);
	ASSERT_EQ(pf, MS_SHARED | MS_REC);
	ASSERT_EQ(spec_propagation("sideways", &pf), -1);
	ASSERT_EQ(s->resources.mem_limit, 1048576);
	ASSERT_EQ(s->resources.mem_swap, -1);
	ASSERT_EQ(s->resources.cpu_period, 100000);
	ASSERT_EQ(s->resources.cpu_shares, 512);
	ASSERT_EQ(s->resources.pids_limit, 7);
	ASSERT_STREQ(s->net_path, "/run/netns/x");
	ASSERT(s->namespaces & (1u << SPEC_NS_NETWORK));
	spec_free(s);
}

TEST(spec_seccomp_parsed)
{
	char msg[MOAT_ERR_MSG_MAX];
	json_t *doc = default_doc();
	const struct spec_seccomp *sc;
	const struct spec_scmp_rule *r;
	struct spec *s = NULL;

	mutate(doc, "linux.seccomp", SECCOMP_RICH);
	if (parse_doc(doc, msg, sizeof(msg), &s))
		FAIL("%s", msg);
	json_decref(doc);
	sc = s->seccomp;
	ASSERT(sc != NULL);
	ASSERT_EQ(sc->default_action, SPEC_SCMP_ACT_ERRNO);
	ASSERT(sc->has_default_errno_ret);
	ASSERT_EQ(sc->default_errno_ret, 38);
	ASSERT_EQ(sc->narchs, 3);
	ASSERT_STREQ(spec_scmp_archs[sc->archs[0]], "SCMP_ARCH_X86_64");
	ASSERT_STREQ(spec_scmp_archs[sc->archs[2]], "SCMP_ARCH_X32");
	ASSERT_EQ(sc->flags, 1u << 1); /* SECCOMP_FILTER_FLAG_LOG */
	ASSERT_EQ(sc->nrules, 5);
	r = &sc->rules[0];
	ASSERT_STREQ(r->names[0], "read");
	ASSERT_STREQ(r->names[1], "write");
	ASSERT(r->names[2] == NULL);
	ASSERT_EQ(r->action, SPEC_SCMP_ACT_ALLOW);
	ASSERT(!r->has_errno_ret);
	ASSERT_EQ(r->nargs, 0);
	r = &sc->rules[1];
	ASSERT_EQ(r->nargs, 1);
	ASSERT_EQ(r->args[0].value, 4294967295u);
	ASSERT_EQ(r->args[0].op, SPEC_SCMP_CMP_EQ);
	r = &sc->rules[2];
	ASSERT_EQ(r->nargs, 2);
	ASSERT_EQ(r->args[0].index, 0);
	ASSERT_EQ(r->args[0].value, 2114060288);
	ASSERT_EQ(r->args[0].op, SPEC_SCMP_CMP_MASKED_EQ);
	ASSERT_EQ(r->args[1].index, 5);
	ASSERT_EQ(r->args[1].value, UINT64_MAX); /* -1: every bit */
	ASSERT_EQ(r->args[1].value_two, 7);
	ASSERT_EQ(r->args[1].op, SPEC_SCMP_CMP_NE);
	r = &sc->rules[3];
	ASSERT_EQ(r->action, SPEC_SCMP_ACT_ERRNO);
	ASSERT(r->has_errno_ret);
	ASSERT_EQ(r->errno_ret, 1);
	ASSERT_EQ(sc->rules[4].action, SPEC_SCMP_ACT_KILL_PROCESS);
	spec_free(s);
}

/* Two profiles say the same. */
static void seccomp_same(const struct spec_seccomp *a,
			 const struct spec_seccomp *b)
{
	size_t i, k;

	ASSERT(a && b);
	ASSERT_EQ(a->default_action, b->default_action);
	ASSERT_EQ(a->has_default_errno_ret, b->has_default_errno_ret);
	ASSERT_EQ(a->default_errno_ret, b->default_errno_ret);
	ASSERT_EQ(a->narchs, b->narchs);
	for (i = 0; i < a->narchs; i++)
		ASSERT_EQ(a->archs[i], b->archs[i]);
	ASSERT_EQ(a->flags, b->flags);
	ASSERT_EQ(a->nrules, b->nrules);
	for (i = 0; i < a->nrules; i++) {
		const struct spec_scmp_rule *x = &a->rules[i],
					    *y = &b->rules[i];

		for (k = 0; x->names[k] || y->names[k]; k++)
			ASSERT(x->names[k] && y->names[k] &&
			       !strcmp(x->names[k], y->names[k]));
		ASSERT_EQ(x->action, y->action);
		ASSERT_EQ(x->has_errno_ret, y->has_errno_ret);
		ASSERT_EQ(x->errno_ret, y->errno_ret);
		ASSERT_EQ(x->nargs, y->nargs);
		for (k = 0; k < x->nargs; k++) {
			ASSERT_EQ(x->args[k].index, y->args[k].index);
			ASSERT(x->args[k].value == y->args[k].value);
			ASSERT(x->args[k].value_two == y->args[k].value_two);
			ASSERT_EQ(x->args[k].op, y->args[k].op);
		}
	}
}

/* A config with every part moat reads, for the encoder. */
static json_t *rich_doc(void)
{
	json_t *doc = default_doc();

	mutate(doc, "hooks",
	       "{\"prestart\": [{\"path\": \"/bin/a\", \"args\": [\"a\"], "
	       "\"env\": [\"X=1\"], \"timeout\": 3}]}");
	mutate(doc, "annotations", "{\"moat.hypervisor\": \"qemu\"}");
	mutate(doc, "process.user",
	       "{\"uid\": 7, \"gid\": 8, \"umask\": 18, "
	       "\"additionalGids\": [1, 2]}");
	mutate(doc, "process.oomScoreAdj", "-5");
	mutate(doc, "process.consoleSize", "{\"height\": 24, \"width\": 80}");
	mutate(doc, "process.rlimits",
	       "[{\"type\": \"RLIMIT_CORE\", \"soft\": -1, \"hard\": -1}, "
	       "{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 20}]");
	mutate(doc, "process.apparmorProfile", "\"p\"");
	mutate(doc, "domainname", "\"example.org\"");
	mutate(doc, "mounts.1.options", "[\"rbind\", \"ro\", \"size=1k\"]");
	mutate(doc, "linux.devices",
	       "[{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, "
	       "\"minor\": 229}]");
	mutate(doc, "linux.sysctl", "{\"net.ipv4.ip_forward\": \"1\"}");
	mutate(doc, "linux.rootfsPropagation", "\"rslave\"");
	mutate(doc, "linux.cgroupsPath", "\"/moat/x\"");
	mutate(doc, "linux.resources",
	       "{\"memory\": {\"limit\": 1048576}, \"cpu\": {\"quota\": "
	       "1000}, \"pids\": {\"limit\": -1}, \"devices\": "
	       "[{\"allow\": true, \"type\": \"c\", \"major\": 1, "
	       "\"access\": \"rw\"}]}");
	mutate(doc, "linux.seccomp", SECCOMP_RICH);
	mutate(doc, "linux.namespaces.1",
	       "{\"type\": \"network\", \"path\": \"/run/netns/x\"}");
	mutate(doc, "process.unknownFutureField", "1");
	mutate(doc, "linux.namespaces.0", "{\"type\": \"user\"}");
	mutate(doc, "linux.uidMappings",
	       "[{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]");
	mutate(doc, "linux.gidMappings",
	       "[{\"containerID\": 0, \"hostID\": 200000, \"size\": 1}, "
	       "{\"containerID\": 1, \"hostID\": 300000, \"size\": 9}]");
	return doc;
}

TEST(spec_encode_round_trips)
{
	char msg[MOAT_ERR_MSG_MAX], *t1, *t2, *g;
	struct moat_err *e = NULL;
	json_t *doc = rich_doc();
	struct spec *s = NULL, *s2 = NULL;

	if (parse_doc(doc, msg, sizeof(msg), &s))
		FAIL("%s", msg);
	json_decref(doc);
	t1 = spec_encode(s, SPEC_ENC_HOST);
	ASSERT(t1);
	ASSERT(!strstr(t1, "unknownFutureField"));
	if (spec_parse(t1, strlen(t1), &s2, &e))
		FAIL("%s: %s", t1, e->msg);
	/* the document of the document is the same document */
	t2 = spec_encode(s2, SPEC_ENC_HOST);
	ASSERT(t2);
	ASSERT_STREQ(t1, t2);
	ASSERT_EQ(s2->process.uid, 7);
	ASSERT_EQ(s2->process.umask, 18);
	ASSERT_EQ(s2->process.nadditional_gids, 2);
	ASSERT_EQ(s2->process.oom_score_adj, -5);
	ASSERT_EQ(s2->process.console_width, 80);
	ASSERT_EQ(s2->process.nrlimits, 2);
	ASSERT_EQ(s2->process.rlimits[0].soft, UINT64_MAX);
	ASSERT_EQ(s2->process.rlimits[1].hard, 20);
	ASSERT_EQ(s2->process.caps[SPEC_CAP_BOUNDING],
		  s->process.caps[SPEC_CAP_BOUNDING]);
	ASSERT(s2->process.has_caps && s2->process.no_new_privileges);
	ASSERT_STREQ(s2->process.apparmor_profile, "p");
	ASSERT(s2->root_readonly);
	ASSERT_STREQ(s2->hostname, "moat");
	ASSERT_EQ(s2->nmounts, s->nmounts);
	ASSERT(s2->mounts[1].bind);
	ASSERT_STREQ(s2->mounts[1].data, "size=1k");
	ASSERT_EQ(s2->nhooks[SPEC_HOOK_PRESTART], 1);
	ASSERT_EQ(s2->hooks[SPEC_HOOK_PRESTART][0].timeout, 3);
	ASSERT_STREQ(spec_annotation(s2, "moat.hypervisor"), "qemu");
	ASSERT_EQ(s2->namespaces, s->namespaces);
	ASSERT_STREQ(s2->net_path, "/run/netns/x");
	ASSERT_STREQ(s2->masked_paths[0], "/proc/acpi");
	ASSERT_STREQ(s2->cgroups_path, "/moat/x");
	ASSERT_EQ(s2->devices[0].major, 10);
	ASSERT_STREQ(s2->sysctls[0].key, "net.ipv4.ip_forward");
	ASSERT_STREQ(s2->rootfs_propagation, "rslave");
	ASSERT_EQ(s2->nuid_mappings, 1);
	ASSERT_EQ(s2->uid_mappings[0].size, 65536);
	ASSERT_EQ(s2->ngid_mappings, 2);
	ASSERT_EQ(s2->gid_mappings[1].container_id, 1);
	ASSERT_EQ(s2->gid_mappings[1].host_id, 300000);
	ASSERT_EQ(s2->gid_mappings[1].size, 9);
	ASSERT_EQ(s2->resources.mem_limit, 1048576);
	ASSERT_EQ(s2->resources.pids_limit, -1);
	ASSERT_EQ(s2->resources.ndevices, 1);
	ASSERT_EQ(s2->resources.devices[0].minor, -1);
	ASSERT_STREQ(s2->resources.devices[0].access, "rw");
	seccomp_same(s2->seccomp, s->seccomp);
	spec_free(s2);
	/* the guest's: nothing only the host acts on */
	g = spec_encode(s, 0);
	ASSERT(g);
	ASSERT(!strstr(g, "hooks") && !strstr(g, "annotations") &&
	       !strstr(g, "seccomp"));
	ASSERT_EQ(spec_parse(g, strlen(g), &s2, &e), 0);
	ASSERT_EQ(s2->nhooks[SPEC_HOOK_PRESTART], 0);
	ASSERT(s2->seccomp == NULL);
	ASSERT_EQ(s2->resources.cpu_quota, 1000);
	ASSERT_EQ(s2->uid_mappings[0].host_id, 100000); /* the guest's too */
	spec_free(s2);
	free(g);
	free(t1);
	free(t2);
	spec_free(s);
}

TEST(spec_resources_parse_an_update)
{
	static const struct {
		const char *json;
		const char *msg;
	} bad[] = {
		{ "{", "resources: 1:" },
		{ "[]", "resources: not an object" },
		{ "{\"memory\": 5}", "resources.memory: must be an object" },
		{ "{\"pids\": {\"limit\": -2}}",
		  "resources.pids.limit: must be an integer" },
		{ "{\"pids\": {}, \"pids\": {}}", "resources: 1:" },
	};
	static const char ok[] = "{\"memory\": {\"limit\": 5, \"swap\": -1}, "
				 "\"cpu\": {\"period\": 1000}, \"x\": 1}";
	struct spec_resources r;
	struct moat_err *e = NULL;
	size_t i;

	ASSERT_EQ(spec_resources_parse(ok, strlen(ok), &r, &e), 0);
	ASSERT_EQ(r.mem_limit, 5);
	ASSERT_EQ(r.mem_swap, -1);
	ASSERT_EQ(r.cpu_period, 1000);
	ASSERT_EQ(r.cpu_quota, 0);
	spec_resources_free(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(spec_resources_parse(bad[i].json, strlen(bad[i].json),
					       &r, &e),
			  -1);
		ASSERT_EQ(e->errnum, EINVAL);
		if (strncmp(e->msg, bad[i].msg, strlen(bad[i].msg)))
			FAIL("%s: %s", bad[i].json, e->msg);
		moat_err_free(&e);
	}
}

TEST(spec_rejects_duplicate_keys_and_bad_json)
{
	static const char *const bad[] = {
		"{\"ociVersion\": \"1.2.0\", \"ociVersion\": \"1.0.0\"}",
		"{\"ociVersion\": \"1.2.0\",",
		"[]",
		"",
	};
	struct moat_err *e = NULL;
	struct spec *s = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(spec_parse(bad[i], strlen(bad[i]), &s, &e), -1);
		ASSERT(s == NULL && e && e->errnum == EINVAL);
		moat_err_free(&e);
	}
	/* the duplicate key is named with its place */
	ASSERT_EQ(spec_parse(bad[0], strlen(bad[0]), &s, &e), -1);
	ASSERT(strstr(e->msg, "1:") == e->msg);
	ASSERT(strstr(e->msg, "duplicate"));
	moat_err_free(&e);
}

TEST(spec_load_names_the_file)
{
	char dir[] = "/tmp/moat-spec-XXXXXX", path[64];
	struct moat_err *e = NULL;
	struct spec *s = NULL;
	FILE *f;

	ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	ASSERT_EQ(spec_load(path, &s, &e), -1);
	ASSERT_EQ(e->errnum, ENOENT);
	moat_err_free(&e);
	f = fopen(path, "w");
	ASSERT(f);
	fputs("{\"ociVersion\": \"1.3.0\", \"root\": {\"path\": \"r\"}, "
	      "\"process\": {\"cwd\": \"/\", \"args\": []}}",
	      f);
	fclose(f);
	ASSERT_EQ(spec_load(path, &s, &e), -1);
	ASSERT_STREQ(e->msg,
		     "config.json: process.args: must be a non-empty array of "
		     "strings");
	moat_err_free(&e);
	unlink(path);
	rmdir(dir);
}

/* A process object alone: encoded from the rich config's process, it
 * reads back (spec_process_parse) to the same object; a --process file
 * is read by spec_process_load, its errors unprefixed. */
TEST(spec_process_encode_round_trips)
{
	char msg[MOAT_ERR_MSG_MAX], *t1, *t2, dir[] = "/tmp/moat-spec-XXXXXX",
					      path[64];
	struct moat_err *e = NULL;
	json_t *doc = rich_doc();
	struct spec *s = NULL, *p = NULL;
	FILE *f;

	if (parse_doc(doc, msg, sizeof(msg), &s))
		FAIL("%s", msg);
	json_decref(doc);
	t1 = spec_process_encode(&s->process);
	ASSERT(t1);
	if (spec_process_parse(t1, strlen(t1), &p, &e))
		FAIL("%s: %s", t1, e->msg);
	t2 = spec_process_encode(&p->process);
	ASSERT(t2);
	ASSERT_STREQ(t1, t2);
	ASSERT_EQ(p->process.uid, 7);
	ASSERT_EQ(p->process.nadditional_gids, 2);
	ASSERT_EQ(p->process.caps[SPEC_CAP_BOUNDING],
		  s->process.caps[SPEC_CAP_BOUNDING]);
	ASSERT(p->process.has_caps && p->process.no_new_privileges);
	ASSERT_EQ(p->process.console_width, 80);
	spec_free(p);
	p = NULL;
	ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/process.json", dir);
	f = fopen(path, "w");
	ASSERT(f);
	fputs(t1, f);
	fclose(f);
	ASSERT_EQ(spec_process_load(path, &p, &e), 0);
	ASSERT_EQ(p->process.uid, 7);
	spec_free(p);
	f = fopen(path, "w");
	ASSERT(f);
	fputs("{\"cwd\": \"/\", \"args\": []}", f);
	fclose(f);
	ASSERT_EQ(spec_process_load(path, &p, &e), -1);
	ASSERT_STREQ(e->msg,
		     "process.args: must be a non-empty array of strings");
	moat_err_free(&e);
	unlink(path);
	rmdir(dir);
	free(t1);
	free(t2);
	spec_free(s);
}
