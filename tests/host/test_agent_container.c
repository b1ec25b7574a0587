/*
 * test_agent_container.c: level 2 (root). Containers built by moat-agent
 * in host mode from a table of OCI configs, checked from outside through
 * /proc/<pid> (namespaces, mounts, credentials, capabilities, no_new_privs,
 * seccomp, rlimits, oom score) and from inside with exec'd busybox
 * commands (hostname, id, umask, a syscall the seccomp profile denies, a
 * read-only root, a namespaced sysctl), before START too; the seccomp program
 * as the shim makes it (config -> spec_parse -> secbpf_compile) and what secbpf
 * alone refuses.
 */
#include "../harness/agentc.h"
#include "../harness/ociconf.h"
#include "../harness/rootfs.h"
#include "../harness/test.h"
#include "../../src/runtime/secbpf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct ct {
	char dir[256];
	struct agentc c;
	uint32_t pid;
};

/* The program of the seccomp profile prof, as the shim makes it: a
 * config with it as linux.seccomp, through spec_parse() and secbpf. */
static void ct_bpf(const char *prof, uint8_t **bpf, size_t *bpf_len)
{
	static const char *const args[] = { "true", NULL };
	json_t *j = ociconf_base(args);
	struct moat_err *e = NULL;
	struct spec *sp = NULL;
	char *cfg;

	ociconf_set(j, "linux.seccomp", ociconf_parse(prof));
	cfg = ociconf_dump(j);
	if (spec_parse(cfg, strlen(cfg), &sp, &e) < 0)
		FAIL("config: %s", e ? e->msg : "?");
	free(cfg);
	ASSERT(sp->seccomp != NULL);
	if (secbpf_compile(sp->seccomp, bpf, bpf_len, &e) < 0)
		FAIL("secbpf: %s", e ? e->msg : "?");
	spec_free(sp);
}

/* Create a container for "sleep 1000" with config changes (not started). */
static void ct_create(struct ct *t, const char *const *sets,
		      const char *bpf_json)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	json_t *j = ociconf_base(args);
	uint8_t *bpf = NULL;
	size_t bpf_len = 0, i;
	char *cfg;
	int r;

	if (geteuid() != 0)
		test_skip("needs root");
	for (i = 0; sets && sets[i]; i += 2)
		ociconf_set(j, sets[i], ociconf_parse(sets[i + 1]));
	if (bpf_json)
		ct_bpf(bpf_json, &bpf, &bpf_len);
	cfg = ociconf_dump(j);
	rootfs_make(t->dir, sizeof(t->dir));
	agentc_start(&t->c, t->dir);
	r = agentc_create(&t->c, "ct", ROOTFS_TAG, cfg, bpf, bpf_len, 0, 0, 0,
			  0, NULL, &t->pid);
	free(cfg);
	free(bpf);
	if (r)
		FAIL("create: %d %s", r, t->c.error);
}

/* Create and start it. */
static void ct_start(struct ct *t, const char *const *sets,
		     const char *bpf_json)
{
	ct_create(t, sets, bpf_json);
	ASSERT_EQ(agentc_simple(&t->c, MSG_OP_START), 0);
}

static void ct_stop(struct ct *t)
{
	int status = agentc_stop(&t->c);

	rootfs_remove(t->dir);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Run argv in the container; returns its stdout+stderr, *code its exit. */
static const char *ct_exec(struct ct *t, const char *const *argv, int *code)
{
	return agentc_run(&t->c, argv, code);
}

/* The value of "Key:" in /proc/<pid>/status. */
static const char *ct_status(struct ct *t, const char *key)
{
	static char line[512];
	char path[64];
	size_t n = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", t->pid);
	f = fopen(path, "r");
	ASSERT(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			fclose(f);
			line[strcspn(line, "\n")] = '\0';
			return line + n + 1 + strspn(line + n + 1, " \t");
		}
	fclose(f);
	FAIL("no %s in %s", key, path);
}

/* The mountinfo line of mount point mp in the container, or NULL. */
static const char *ct_mount(struct ct *t, const char *mp)
{
	static char line[1024];
	char path[64], pat[256];
	const char *found = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/mountinfo", t->pid);
	snprintf(pat, sizeof(pat), " %s ", mp);
	f = fopen(path, "r");
	ASSERT(f);
	/* the last mount on mp is the visible one */
	static char last[1024];
	while (fgets(line, sizeof(line), f))
		if (strstr(line, pat)) {
			snprintf(last, sizeof(last), "%s", line);
			found = last;
		}
	fclose(f);
	return found;
}

static bool ct_mount_ro(const char *line)
{
	/* "... mountpoint options ..." : the 6th field */
	char opts[256];

	ASSERT(line);
	ASSERT_EQ(sscanf(line, "%*s %*s %*s %*s %*s %255s", opts), 1);
	return !strncmp(opts, "ro", 2) && (opts[2] == ',' || !opts[2]);
}

static void ct_ns_differs(struct ct *t, const char *ns)
{
	char a[64], b[64];
	struct stat sa, sb;

	snprintf(a, sizeof(a), "/proc/self/ns/%s", ns);
	snprintf(b, sizeof(b), "/proc/%u/ns/%s", t->pid, ns);
	ASSERT_OK(stat(a, &sa));
	ASSERT_OK(stat(b, &sb));
	if (sa.st_ino == sb.st_ino)
		FAIL("the container shares the %s namespace", ns);
}

/* EXEC before START, as runc's exec into a created container: the
 * process joins the container's namespaces and root while the init waits
 * (not yet "sleep"); START then runs the init. */
TEST(agent_container_exec_before_start)
{
	static const char *const look[] = {
		"sh", "-c", "hostname; cat /proc/1/comm; echo $$; ls /bin/sh",
		NULL
	};
	static const char *const comm[] = { "cat", "/proc/1/comm", NULL };
	const char *out;
	struct ct t;
	int code;

	ct_create(&t, NULL, NULL);
	ct_ns_differs(&t, "pid");
	out = ct_exec(&t, look, &code);
	ASSERT_EQ(code, 0);
	if (strncmp(out, "moat-test\n", 10) || strstr(out, "sleep") ||
	    !strstr(out, "/bin/sh") || strstr(out, "\n1\n"))
		FAIL("exec before start: %s", out);
	ASSERT_EQ(agentc_simple(&t.c, MSG_OP_START), 0);
	ASSERT_STREQ(ct_exec(&t, comm, &code), "sleep\n");
	ASSERT_EQ(code, 0);
	ct_stop(&t);
}

TEST(agent_container_default_config)
{
	static const char *const hn[] = { "hostname", NULL };
	struct ct t;
	int code;

	ct_start(&t, NULL, NULL);
	ct_ns_differs(&t, "pid");
	ct_ns_differs(&t, "mnt");
	ct_ns_differs(&t, "ipc");
	ct_ns_differs(&t, "uts");
	ct_ns_differs(&t, "net");
	/* mounts, read-only where asked; masked and read-only paths */
	ASSERT(ct_mount(&t, "/proc"));
	ASSERT(ct_mount(&t, "/dev/pts"));
	ASSERT(ct_mount(&t, "/dev/mqueue"));
	ASSERT(!ct_mount_ro(ct_mount(&t, "/tmp")));
	ASSERT(ct_mount_ro(ct_mount(&t, "/sys")));
	ASSERT(ct_mount_ro(ct_mount(&t, "/proc/sys")));
	ASSERT(ct_mount(&t, "/proc/timer_list")); /* /dev/null over it */
	ASSERT(ct_mount_ro(ct_mount(&t, "/sys/firmware")));
	/* 14 default capabilities: bits 0-8, 10, 13, 18, 27, 29, 31 */
	ASSERT_STREQ(ct_status(&t, "CapBnd"), "00000000a80425fb");
	ASSERT_STREQ(ct_status(&t, "CapEff"), "00000000a80425fb");
	ASSERT_STREQ(ct_status(&t, "CapPrm"), "00000000a80425fb");
	ASSERT_STREQ(ct_status(&t, "CapInh"), "0000000000000000");
	ASSERT_STREQ(ct_status(&t, "NoNewPrivs"), "1");
	ASSERT_STREQ(ct_status(&t, "Seccomp"), "0");
	ASSERT_STREQ(ct_exec(&t, hn, &code), "moat-test\n");
	ASSERT_EQ(code, 0);
	{
		static const char *const lim[] = { "sh", "-c",
						   "ulimit -n; ls /dev", NULL };
		const char *out = ct_exec(&t, lim, &code);

		if (strncmp(out, "1024\n", 5) || !strstr(out, "null") ||
		    !strstr(out, "urandom") || !strstr(out, "ptmx"))
			FAIL("unexpected: %s", out);
	}
	ct_stop(&t);
}

TEST(agent_container_user_umask_readonly_root)
{
	static const char *const sets[] = {
		"process.user",
		"{ \"uid\": 1000, \"gid\": 1001, \"additionalGids\": [ 10, 20 ],"
		"  \"umask\": 23 }",
		"root.readonly",
		"true",
		"process.oomScoreAdj",
		"500",
		"process.capabilities",
		"{ \"bounding\": [ \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],"
		"  \"permitted\": [ \"CAP_NET_BIND_SERVICE\" ],"
		"  \"inheritable\": [ \"CAP_NET_BIND_SERVICE\" ],"
		"  \"effective\": [ \"CAP_NET_BIND_SERVICE\" ],"
		"  \"ambient\": [ \"CAP_NET_BIND_SERVICE\" ] }",
		NULL
	};
	static const char *const um[] = { "sh", "-c", "umask", NULL };
	static const char *const touch[] = { "touch", "/x", NULL };
	char path[64], buf[32] = "";
	struct ct t;
	FILE *f;
	int code;

	ct_start(&t, sets, NULL);
	ASSERT_STREQ(ct_status(&t, "Uid"), "1000\t1000\t1000\t1000");
	ASSERT_STREQ(ct_status(&t, "Gid"), "1001\t1001\t1001\t1001");
	ASSERT_STREQ(ct_status(&t, "Groups"), "10 20 ");
	ASSERT_STREQ(ct_status(&t, "CapBnd"), "0000000000000420");
	ASSERT_STREQ(ct_status(&t, "CapAmb"), "0000000000000400");
	ASSERT_STREQ(ct_status(&t, "CapEff"), "0000000000000400");
	snprintf(path, sizeof(path), "/proc/%u/oom_score_adj", t.pid);
	f = fopen(path, "r");
	ASSERT(f && fgets(buf, sizeof(buf), f));
	fclose(f);
	ASSERT_STREQ(buf, "500\n");
	ASSERT(ct_mount_ro(ct_mount(&t, "/")));
	/* exec'd processes come as the request says: uid 0 here */
	ASSERT_STREQ(ct_exec(&t, um, &code), "0027\n");
	ct_exec(&t, touch, &code);
	ASSERT(code != 0);
	ct_stop(&t);
}

TEST(agent_container_seccomp_denies_a_syscall)
{
	static const char *const prof =
		"{ \"defaultAction\": \"SCMP_ACT_ALLOW\","
		"  \"architectures\": [ \"SCMP_ARCH_X86_64\" ],"
		"  \"syscalls\": [ { \"names\": [ \"mkdir\", \"mkdirat\" ],"
		"    \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1 } ] }";
	static const char *const mk[] = { "mkdir", "/tmp/d", NULL };
	static const char *const ok[] = { "touch", "/tmp/f", NULL };
	struct ct t;
	const char *out;
	int code;

	ct_start(&t, NULL, prof);
	ASSERT_STREQ(ct_status(&t, "Seccomp"), "2");
	out = ct_exec(&t, mk, &code);
	ASSERT(code != 0);
	if (!strstr(out, "Operation not permitted"))
		FAIL("mkdir said: %s", out);
	ct_exec(&t, ok, &code);
	ASSERT_EQ(code, 0);
	ct_stop(&t);
}

/* What only libseccomp can say is secbpf's to refuse; what changes
 * nothing or names a syscall it does not know is left out, as runc does. */
TEST(agent_container_seccomp_compile)
{
	static const char *const ok =
		"{ \"defaultAction\": \"SCMP_ACT_ALLOW\","
		"  \"syscalls\": [ { \"names\": [ \"read\" ],"
		"    \"action\": \"SCMP_ACT_ALLOW\" },"
		"  { \"names\": [ \"no_such_call\", \"mkdir\" ],"
		"    \"action\": \"SCMP_ACT_ERRNO\", \"args\": [ { \"index\": 1,"
		"    \"value\": 0, \"op\": \"SCMP_CMP_NE\" } ] } ] }";
	static const char *const args[] = { "true", NULL };
	struct moat_err *e = NULL;
	struct spec *sp = NULL;
	uint8_t *bpf = NULL;
	size_t len = 0;
	json_t *j;
	char *cfg;

	ct_bpf(ok, &bpf, &len);
	ASSERT(len > 0 && len % 8 == 0);
	free(bpf);
	/* an architecture of the spec's this libseccomp may not have */
	j = ociconf_base(args);
	ociconf_set(j, "linux.seccomp",
		    ociconf_parse("{ \"defaultAction\": \"SCMP_ACT_ALLOW\","
				  "  \"architectures\": [ \"SCMP_ARCH_X86_64\","
				  "  \"SCMP_ARCH_SHEB\" ] }"));
	cfg = ociconf_dump(j);
	ASSERT_EQ(spec_parse(cfg, strlen(cfg), &sp, &e), 0);
	free(cfg);
	bpf = NULL;
	if (secbpf_compile(sp->seccomp, &bpf, &len, &e) < 0) {
		ASSERT_EQ(e->errnum, EOPNOTSUPP);
		ASSERT_STREQ(e->msg,
			     "linux.seccomp.architectures[1]: "
			     "SCMP_ARCH_SHEB is not known to libseccomp");
		moat_err_free(&e);
	}
	free(bpf);
	spec_free(sp);
}

TEST(agent_container_namespaced_sysctl)
{
	static const char *const sets[] = { "linux.sysctl",
					    "{ \"net.ipv4.ip_forward\": \"1\","
					    "  \"kernel.shmmni\": \"1000\" }",
					    NULL };
	static const char *const cat[] = { "cat",
					   "/proc/sys/net/ipv4/ip_forward",
					   "/proc/sys/kernel/shmmni", NULL };
	char host[16] = "", host_after[16] = "";
	struct ct t;
	FILE *f;
	int code;

	f = fopen("/proc/sys/kernel/shmmni", "r");
	ASSERT(f && fgets(host, sizeof(host), f));
	fclose(f);
	ct_start(&t, sets, NULL);
	ASSERT_STREQ(ct_exec(&t, cat, &code), "1\n1000\n");
	f = fopen("/proc/sys/kernel/shmmni", "r");
	ASSERT(f && fgets(host_after, sizeof(host_after), f));
	fclose(f);
	ASSERT_STREQ(host, host_after);
	ct_stop(&t);
}

/* The first line of /proc/<pid>/<file>, spaces squeezed. */
static const char *ct_proc_line(struct ct *t, const char *file)
{
	static char line[256];
	char path[64], raw[256];
	size_t i, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/%s", t->pid, file);
	f = fopen(path, "r");
	ASSERT(f);
	ASSERT(fgets(raw, sizeof(raw), f));
	fclose(f);
	for (i = 0; raw[i] && raw[i] != '\n'; i++)
		if (raw[i] != ' ' || (n && line[n - 1] != ' '))
			line[n++] = raw[i];
	line[n] = '\0';
	return line;
}

/* Whether /proc/<pid>/limits's line name holds text. */
static bool ct_limit_is(struct ct *t, const char *name, const char *text)
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/limits", t->pid);
	f = fopen(path, "r");
	ASSERT(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)))
			found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

/* A user namespace (linux.namespaces user, uid and gid maps): the init
 * and exec'd processes are the namespace's root, which is 100000 outside;
 * what it creates is 100000's; its devices are the host's bound (no mknod
 * there), sysfs its own (it owns its network namespace here), and the
 * agent wrote its oom score (a child in its own user namespace could
 * not lower it; this host's root cannot either, so it is raised here). */
TEST(agent_container_user_namespace)
{
	static const char *const sets[] = {
		"linux.namespaces",
		"[ { \"type\": \"pid\" }, { \"type\": \"mount\" },"
		"  { \"type\": \"ipc\" }, { \"type\": \"uts\" },"
		"  { \"type\": \"network\" }, { \"type\": \"user\" } ]",
		"linux.uidMappings",
		"[ { \"containerID\": 0, \"hostID\": 100000, \"size\": 65536 } ]",
		"linux.gidMappings",
		"[ { \"containerID\": 0, \"hostID\": 200000, \"size\": 1000 } ]",
		"process.oomScoreAdj",
		"300",
		"mounts",
		"[ { \"destination\": \"/proc\", \"type\": \"proc\" },"
		"  { \"destination\": \"/dev\", \"type\": \"tmpfs\","
		"    \"options\": [ \"mode=755\" ] },"
		"  { \"destination\": \"/dev/pts\", \"type\": \"devpts\","
		"    \"options\": [ \"newinstance\", \"ptmxmode=0666\" ] },"
		"  { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\" },"
		"  { \"destination\": \"/sys\", \"type\": \"sysfs\","
		"    \"options\": [ \"ro\" ] },"
		"  { \"destination\": \"/tmp\", \"type\": \"tmpfs\" },"
		"  { \"destination\": \"/run/x\", \"type\": \"tmpfs\" } ]",
		NULL
	};
	static const char *const id[] = { "sh", "-c",
					  "id -u; id -g; touch /tmp/made; "
					  "echo x >/dev/null && hostname",
					  NULL };
	char path[512];
	struct stat st;
	struct ct t;
	int code;

	ct_start(&t, sets, NULL);
	ct_ns_differs(&t, "user");
	ASSERT_STREQ(ct_proc_line(&t, "uid_map"), "0 100000 65536");
	ASSERT_STREQ(ct_proc_line(&t, "gid_map"), "0 200000 1000");
	ASSERT_STREQ(ct_proc_line(&t, "setgroups"), "allow");
	ASSERT_STREQ(ct_proc_line(&t, "oom_score_adj"), "300");
	ASSERT(ct_limit_is(&t, "Max open files", " 1024 ")); /* the agent's */
	ASSERT_STREQ(ct_status(&t, "Uid"), "100000\t100000\t100000\t100000");
	ASSERT_STREQ(ct_status(&t, "Gid"), "200000\t200000\t200000\t200000");
	ASSERT_STREQ(ct_status(&t, "CapEff"), "00000000a80425fb");
	ASSERT_STREQ(ct_exec(&t, id, &code), "0\n0\nmoat-test\n");
	ASSERT_EQ(code, 0);
	snprintf(path, sizeof(path), "/proc/%u/root/tmp/made", t.pid);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_uid, 100000);
	ASSERT_EQ(st.st_gid, 200000);
	/* a mount point the image lacked: made for the namespace's root */
	snprintf(path, sizeof(path), "%s/b/rootfs/run/x", t.dir);
	ASSERT_OK(stat(path, &st));
	ASSERT(st.st_uid == 100000 && st.st_gid == 200000);
	snprintf(path, sizeof(path), "%s/b/rootfs/run", t.dir);
	ASSERT_OK(stat(path, &st));
	ASSERT(st.st_uid == 100000 && st.st_gid == 200000);
	ASSERT(ct_mount(&t, "/dev/null")); /* the host's, bound */
	ASSERT(ct_mount(&t, "/sys"));
	ASSERT(ct_mount(&t, "/dev/mqueue"));
	ct_stop(&t);
}

/* The mountinfo line of the container's / (its 5th field). */
static const char *ct_root_mount(struct ct *t)
{
	static char line[1024];
	char path[64], mp[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/mountinfo", t->pid);
	f = fopen(path, "r");
	ASSERT(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %255s", mp) == 1 &&
		    !strcmp(mp, "/")) {
			fclose(f);
			return line;
		}
	fclose(f);
	FAIL("no / in %s", path);
}

/* linux.rootfsPropagation is the container's root's, set after
 * pivot_root (runc's order); shared too, which pivot_root refuses unless
 * the root's parent mount was made private first. */
TEST(agent_container_rootfs_propagation)
{
	static const char *const values[] = { "\"unbindable\"", "unbindable",
					      "\"rshared\"",	"shared:",
					      "\"private\"",	NULL };
	const char *sets[] = { "linux.rootfsPropagation", NULL, NULL };
	const char *line;
	struct ct t;
	size_t i;

	for (i = 0; i < 6; i += 2) {
		sets[1] = values[i];
		ct_start(&t, sets, NULL);
		line = ct_root_mount(&t);
		if (values[i + 1] ? !strstr(line, values[i + 1])
				  : strstr(line, "shared:") ||
					    strstr(line, "master:") ||
					    strstr(line, "unbindable"))
			FAIL("%s: / is %s", values[i], line);
		ct_stop(&t);
	}
}
