/*
 * test_cri.c: level 3. Kubernetes' Container Runtime Interface driven as a
 * kubelet drives it, through containerd's CRI plugin (Debian's containerd
 * 1.6, which serves runtime.v1), with QEMU under TCG as moat's backend.
 * The test starts a private containerd: its own root, state and socket,
 * the CRI plugin's state, network namespaces (netns_mounts_under_state_dir)
 * and pods' logs under the test's directory, the cgroupfs driver,
 * restrict_oom_score_adj (root here lacks CAP_SYS_RESOURCE), and two
 * runtime handlers, `runc` and `moat` (both io.containerd.runc.v2; moat's
 * BinaryName is the tests' wrapper of engine.h, its Root under the test's
 * directory). The pod network is containernetworking-plugins' bridge and
 * host-local on a bridge and subnet of the test's own (CRI adds loopback);
 * the images, busybox and a pause image that is the same busybox sleeping
 * (containerd's sandbox_image), are built here as OCI archives and
 * `ctr image import`ed: no registry. tests/cri/cri is the client (gRPC on
 * containerd's socket, and Exec's websocket stream), as crictl would be.
 *
 * A pod's life, each call within a bound: RunPodSandbox, PodSandboxStatus
 * (ready, the pod's IP on the bridge), CreateContainer and StartContainer
 * of a busybox container, ContainerStatus, ListContainers, ExecSync (moat:
 * `uname -r` is the guest's kernel), Exec streamed without and with a
 * terminal (stdin, the terminal's size, the exit code from the status
 * channel), ContainerStats, the CRI log file's lines, a container that
 * exits 7 (status and reason exact), StopContainer, RemoveContainer,
 * StopPodSandbox, RemovePodSandbox; then nothing is left: no container or
 * pod listed, no network namespace, no port on the bridge, no address
 * held, no cgroup under the pods' parent, nothing of moat's (engine.h) and
 * no containerd shim. runc's pod first, shortly, as the reference.
 *
 * Today moat gives each container its own VM: the sandbox (pause)
 * container boots one in the pod's network namespace, and a pod's app
 * container is told to join the sandbox's network, IPC and UTS namespaces
 * by /proc/<pid>/ns paths, which moat refuses for IPC and UTS (and were
 * they accepted, the container's own VM could not take the pod's eth0,
 * which the sandbox's VM holds: "ingress qdisc: File exists"): so the moat
 * pod's containers fail at StartContainer until issue 16 (pods: one VM per
 * pod, the app containers created inside it) lands, and the test that
 * runs pod_containers() on a moat pod comes with it (a test that can only
 * fail has no place in the ladder). The sandbox's own test boots only the
 * pod's VM; its StopPodSandbox never finished while
 * moat answered containerd's kill of a stopped container otherwise than
 * runc's `container not running` (issue 20, case 1). Where issue 16 adds a
 * check (one VM per pod, the pod's IP on the app container's eth0), a
 * comment says so.
 */
#include "../harness/engine.h"
#include "../harness/test.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* the pod network: made by CNI's bridge plugin, removed by the test */
#define CRI_BRIDGE "moatcri0"
#define CRI_NET "10.213.9"
#define CRI_BUSYBOX "docker.io/library/moat-cri-busybox:1"
#define CRI_PAUSE "docker.io/library/moat-cri-pause:1"
#define CRI_BOOT_SECS 120 /* a call that boots a VM under TCG */
#define CRI_CALL_SECS 60  /* any other call */
#define CRI_STOP_GRACE 10 /* StopContainer's timeout */

static struct engine g;
static char cri[512];	  /* the client, its socket and --gen */
static char cgparent[64]; /* the pods' cgroup parent, "/<name>" */
static pid_t daemon_pid;

struct pod {
	const char *handler;
	char id[128];
	char json[256]; /* its PodSandboxConfig, a file */
	char logs[192]; /* its log directory */
	char ip[64];
};

static void write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void write_file(const char *path, const char *fmt, ...)
{
	va_list ap;
	FILE *f = fopen(path, "w");

	ASSERT(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ASSERT_EQ(fclose(f), 0);
}

/* Run the client with args (printf-style), with in (unless NULL: a
 * printf format, no single quote) on its stdin, each call's deadline
 * secs: the bound of the step. */
static void cri_run(struct engine_run *r, int secs, const char *in,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void cri_run(struct engine_run *r, int secs, const char *in,
		    const char *fmt, ...)
{
	char args[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (in)
		engine_sh(r, "printf '%s' | %s --timeout %d %s", in, cri, secs,
			  args);
	else
		engine_sh(r, "%s --timeout %d %s", cri, secs, args);
}

/* The client's JSON answer to args; FAILs unless it exits 0. */
static json_t *cri_json(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static json_t *cri_json(const char *fmt, ...)
{
	static struct engine_run r;
	char args[1024];
	json_error_t err;
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	cri_run(&r, CRI_CALL_SECS, NULL, "%s", args);
	ENGINE_EXPECT(&r, 0);
	j = json_loads(r.out, 0, &err);
	if (!j) {
		engine_show(&r);
		FAIL("cri %s: not JSON: %s", args, err.text);
	}
	return j;
}

/* The member at a dotted path ("status.network.ip"), or NULL. */
static json_t *jget(json_t *j, const char *path)
{
	char buf[256], *k, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && j;
	     k = strtok_r(NULL, ".", &save))
		j = json_object_get(j, k);
	return j;
}

static const char *jstr(json_t *j, const char *path)
{
	const char *s = json_string_value(jget(j, path));

	return s ? s : "";
}

/* A number, or protobuf's JSON string of an int64; -1 when absent. */
static long long jnum(json_t *j, const char *path)
{
	json_t *v = jget(j, path);

	if (json_is_integer(v))
		return json_integer_value(v);
	return json_is_string(v) ? atoll(json_string_value(v)) : -1;
}

#define EXPECT_JSTR(j, path, want)                                  \
	do {                                                        \
		if (strcmp(jstr((j), (path)), (want))) {            \
			char *d_ = json_dumps((j), JSON_INDENT(1)); \
			test_diag_block("answer", d_, strlen(d_));  \
			FAIL("%s is \"%s\", not \"%s\"", (path),    \
			     jstr((j), (path)), (want));            \
		}                                                   \
	} while (0)

static long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

/* When a test fails: kill what names the test's directory (containerd,
 * its shims, whose sockets go, moat's shims and VMs), then the runc containers
 * left in the pods' cgroups, unmount what is mounted under the directory (the
 * pods' network namespaces), remove the cgroups, the bridge and the directory.
 * "[/]" keeps pkill from matching itself. */
static void cri_janitor(void *unused)
{
	struct engine_run r;

	(void)unused;
	/* containerd's shims keep their sockets in /run/containerd/s, named
	 * by sha256(<containerd's socket>/<namespace>/<shim's id>) */
	engine_sh(
		&r,
		"for id in $(pgrep -af 'containerd-shim.*[/]%s' | sed -n "
		"'s/.* -id \\([^ ]*\\).*/\\1/p'); do rm -f "
		"/run/containerd/s/$(printf %%s %s/containerd.sock/k8s.io/$id "
		"| sha256sum | cut -d' ' -f1); done",
		g.work + 1, g.work);
	engine_sh(&r, "pkill -9 -f '[/]%s'; sleep 1", g.work + 1);
	engine_sh(&r,
		  "for c in /sys/fs/cgroup%s /sys/fs/cgroup/*%s; do "
		  "[ -d $c ] && find $c -name cgroup.procs -exec cat {} + | "
		  "xargs -r kill -9; done; sleep 1; "
		  "find /sys/fs/cgroup%s /sys/fs/cgroup/*%s -depth -type d "
		  "-exec rmdir {} + 2>/dev/null; "
		  "awk '$2 ~ \"^%s\" {print $2}' /proc/mounts | sort -r | "
		  "xargs -r -n1 umount -l; ip link del " CRI_BRIDGE
		  " 2>/dev/null; rm -rf %s",
		  cgparent, cgparent, cgparent, cgparent, g.work, g.work);
}

/* The private containerd with CRI, its CNI config, and both images. */
static void cri_setup(void)
{
	static struct engine_run r;
	char path[256], cmd[1024];

	if (access("/usr/bin/containerd", X_OK) ||
	    access("/usr/lib/cni/bridge", X_OK) ||
	    access("/usr/bin/protoc", X_OK) || access("/usr/sbin/runc", X_OK))
		FAIL("containerd, runc, containernetworking-plugins or "
		     "protobuf-compiler is not installed (tools/deps)");
	engine_setup(&g, "cri");
	test_on_fail(cri_janitor, NULL);
	snprintf(cgparent, sizeof(cgparent), "/%s", strrchr(g.work, '/') + 1);
	/* the runc shim appends the namespace to moat's Root (the last
	 * --root given wins over the wrapper's) */
	snprintf(g.root, sizeof(g.root), "%s/moat-root/k8s.io", g.work);
	snprintf(cri, sizeof(cri),
		 MOAT_SRCDIR
		 "/tests/cri/cri -a %s/containerd.sock --gen %s/gen",
		 g.work, g.work);
	engine_sh(&r, "ip link del " CRI_BRIDGE " 2>/dev/null; mkdir -p %s/cni",
		  g.work);
	snprintf(path, sizeof(path), "%s/cni/10-moat-cri.conflist", g.work);
	write_file(path,
		   "{\"cniVersion\": \"0.4.0\", \"name\": \"moat-cri\", "
		   "\"plugins\": [{\"type\": \"bridge\", \"bridge\": "
		   "\"" CRI_BRIDGE "\", \"isGateway\": true, \"ipMasq\": "
		   "false, \"ipam\": {\"type\": \"host-local\", \"ranges\": "
		   "[[{\"subnet\": \"" CRI_NET ".0/24\"}]], \"dataDir\": "
		   "\"%s/ipam\"}}]}\n",
		   g.work);
	/* AppArmor off: where the kernel has it (the test host's Debian
	 * kernel), containerd would load its profile for every container */
	snprintf(path, sizeof(path), "%s/containerd.toml", g.work);
	write_file(
		path,
		"version = 2\nroot = \"%s/croot\"\nstate = \"%s/cstate\"\n"
		"[grpc]\n  address = \"%s/containerd.sock\"\n"
		"[plugins.\"io.containerd.grpc.v1.cri\"]\n"
		"  sandbox_image = \"" CRI_PAUSE "\"\n"
		"  restrict_oom_score_adj = true\n"
		"  netns_mounts_under_state_dir = true\n"
		"  disable_apparmor = true\n"
		"  stream_server_address = \"127.0.0.1\"\n"
		"  stream_server_port = \"0\"\n"
		"  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
		"    bin_dir = \"/usr/lib/cni\"\n    conf_dir = \"%s/cni\"\n"
		"  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
		"    snapshotter = \"native\"\n"
		"    default_runtime_name = \"runc\"\n"
		"    [plugins.\"io.containerd.grpc.v1.cri\".containerd."
		"runtimes.runc]\n"
		"      runtime_type = \"io.containerd.runc.v2\"\n"
		"      [plugins.\"io.containerd.grpc.v1.cri\".containerd."
		"runtimes.runc.options]\n"
		"        Root = \"%s/runc-root\"\n"
		"    [plugins.\"io.containerd.grpc.v1.cri\".containerd."
		"runtimes.moat]\n"
		"      runtime_type = \"io.containerd.runc.v2\"\n"
		"      [plugins.\"io.containerd.grpc.v1.cri\".containerd."
		"runtimes.moat.options]\n"
		"        BinaryName = \"%s\"\n        Root = \"%s/moat-root\"\n",
		g.work, g.work, g.work, g.work, g.work, g.runtime, g.work);
	{
		char *const argv[] = { "/usr/bin/containerd", "--config", path,
				       NULL };

		daemon_pid = engine_daemon_start(&g, "containerd.log", argv);
	}
	/* RuntimeReady and NetworkReady (the CNI config loaded) */
	snprintf(cmd, sizeof(cmd), "%s status", cri);
	engine_daemon_wait("containerd's CRI plugin", cmd);
	snprintf(path, sizeof(path), "%s/rootfs", g.work);
	engine_rootfs(path);
	engine_sh(&r,
		  "set -e; cd %s; C='%s'; I='ctr -n k8s.io -a "
		  "%s/containerd.sock image import'; "
		  "$C image-archive busybox.tar rootfs " CRI_BUSYBOX " sh; "
		  "$C image-archive pause.tar rootfs " CRI_PAUSE
		  " sleep 2147483647; $I busybox.tar; $I pause.tar; "
		  "$C image " CRI_BUSYBOX " >/dev/null; $C image " CRI_PAUSE
		  " >/dev/null",
		  g.work, cri, g.work);
	ENGINE_EXPECT(&r, 0);
}

static void cri_teardown(void)
{
	static struct engine_run r;

	engine_daemon_stop(daemon_pid);
	engine_sh(&r,
		  "ip link del " CRI_BRIDGE "; for c in /sys/fs/cgroup%s "
		  "/sys/fs/cgroup/*%s; do [ -d $c ] && rmdir $c; done; true",
		  cgparent, cgparent);
	engine_teardown(&g);
}

static int netns_count(void)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/cstate/io.containerd.grpc.v1.cri/netns",
		 g.work);
	return engine_dir_entries(dir);
}

static int bridge_ports(void)
{
	return engine_dir_entries("/sys/class/net/" CRI_BRIDGE "/brif");
}

/* Is there a cgroup under the pods' parent (v2, or any v1 hierarchy)? */
static bool cgroups_left(void)
{
	static struct engine_run r;

	engine_sh(&r,
		  "find /sys/fs/cgroup%s /sys/fs/cgroup/*%s -mindepth 1 "
		  "-type d 2>/dev/null",
		  cgparent, cgparent);
	return r.out[0] != '\0';
}

/* A VM monitor (QEMU here, moat-vmm in the test host) under a moat shim
 * of the test's (the monitor's command line does not name the test's
 * directory; the shim's does). */
static bool vm_running(void)
{
	int shim = engine_pid("moat-shim", g.work, 0);

	return shim && (engine_pid("qemu-system", NULL, shim) ||
			engine_pid("moat-vmm", NULL, shim));
}

/* host-local's record of the pod's address, into buf. */
static const char *ipam_path(const struct pod *p, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/ipam/moat-cri/%s", g.work, p->ip);
	return buf;
}

/* RunPodSandbox on handler, and its status: ready, on the bridge. */
static void pod_run(struct pod *p, const char *handler)
{
	static struct engine_run r;
	char path[256];
	json_t *j;

	p->handler = handler;
	snprintf(p->logs, sizeof(p->logs), "%s/logs/%s", g.work, handler);
	snprintf(p->json, sizeof(p->json), "%s/pod-%s.json", g.work, handler);
	write_file(p->json,
		   "{\"metadata\": {\"name\": \"p-%s\", \"uid\": \"u-%s\", "
		   "\"namespace\": \"moat-test\"}, \"hostname\": \"p-%s\", "
		   "\"log_directory\": \"%s\", \"linux\": {\"cgroup_parent\": "
		   "\"%s\"}}\n",
		   handler, handler, handler, p->logs, cgparent);
	cri_run(&r, CRI_BOOT_SECS, NULL, "runp --runtime %s %s", handler,
		p->json);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, p->id, sizeof(p->id));
	j = cri_json("inspectp %s", p->id);
	EXPECT_JSTR(j, "status.state", "SANDBOX_READY");
	EXPECT_JSTR(j, "status.runtime_handler", handler);
	snprintf(p->ip, sizeof(p->ip), "%s", jstr(j, "status.network.ip"));
	json_decref(j);
	test_diag("pod %s on %s: %s", p->id, handler, p->ip);
	if (strncmp(p->ip, CRI_NET ".", strlen(CRI_NET) + 1))
		FAIL("the pod's IP \"%s\" is not on the bridge's subnet",
		     p->ip);
	ASSERT_EQ(netns_count(), 1);
	ASSERT_EQ(bridge_ports(), 1);
	if (access(ipam_path(p, path, sizeof(path)), F_OK))
		FAIL("host-local holds no %s for the pod", path);
	/* issue 16: exactly one VM per pod, whatever its containers */
	if (!strcmp(handler, "moat") && !vm_running())
		FAIL("no VM runs for the moat pod");
	/* runc's pod has its cgroups under the parent (so that their
	 * absence at the end means something); issue 16 places moat's VM
	 * there */
	if (!strcmp(handler, "runc") && !cgroups_left())
		FAIL("runc's pod has no cgroup under %s", cgparent);
}

/* StopPodSandbox and RemovePodSandbox, then nothing of the pod is left. */
static void pod_remove(struct pod *p)
{
	static struct engine_run r;
	char path[256];
	json_t *j;
	int i;

	cri_run(&r, CRI_CALL_SECS, NULL, "stopp %s", p->id);
	ENGINE_EXPECT(&r, 0);
	j = cri_json("inspectp %s", p->id);
	EXPECT_JSTR(j, "status.state", "SANDBOX_NOTREADY");
	json_decref(j);
	cri_run(&r, CRI_CALL_SECS, NULL, "rmp %s", p->id);
	ENGINE_EXPECT(&r, 0);
	j = cri_json("pods");
	ASSERT_EQ(json_array_size(jget(j, "items")), 0);
	json_decref(j);
	ASSERT_EQ(netns_count(), 0);
	ASSERT_EQ(bridge_ports(), 0);
	if (!access(ipam_path(p, path, sizeof(path)), F_OK))
		FAIL("the pod's address %s is still held (%s)", p->ip, path);
	engine_expect_clean(&g);
	for (i = 0; i < 100 && engine_pid("containerd-shim", g.work, 0); i++)
		usleep(100000);
	if (engine_pid("containerd-shim", g.work, 0))
		FAIL("a containerd shim of the pod still runs");
	if (cgroups_left())
		FAIL("cgroups are left under the pods' parent %s", cgparent);
}

/* CreateContainer (command: a JSON array) and StartContainer; its id. */
static void ctr_start(struct pod *p, const char *name, const char *command,
		      char *id, size_t cap)
{
	static struct engine_run r;
	char path[256];

	snprintf(path, sizeof(path), "%s/ctr-%s-%s.json", g.work, p->handler,
		 name);
	write_file(path,
		   "{\"metadata\": {\"name\": \"%s\"}, \"image\": {\"image\": "
		   "\"" CRI_BUSYBOX "\"}, \"command\": %s, \"log_path\": "
		   "\"%s.log\"}\n",
		   name, command, name);
	cri_run(&r, CRI_CALL_SECS, NULL, "create %s %s %s", p->id, path,
		p->json);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, id, cap);
	/* moat today: refused here, "joining a namespace by path is not
	 * supported" (the sandbox's IPC and UTS); issue 16 joins them in
	 * the pod's VM */
	cri_run(&r, CRI_BOOT_SECS, NULL, "start %s", id);
	ENGINE_EXPECT(&r, 0);
}

/* Wait (up to secs) until file holds each of the n texts. */
static void expect_file(const char *path, int secs, const char *const *texts,
			size_t n)
{
	static char buf[65536];
	long end = now_s() + secs;
	size_t i = 0;
	ssize_t len;
	FILE *f;

	for (;;) {
		buf[0] = '\0';
		f = fopen(path, "r");
		if (f) {
			len = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
			buf[len > 0 ? len : 0] = '\0';
			fclose(f);
		}
		for (i = 0; i < n && strstr(buf, texts[i]); i++)
			;
		if (i == n)
			return;
		if (now_s() > end)
			break;
		usleep(200000);
	}
	test_diag_block(path, buf, strlen(buf));
	FAIL("%s lacks \"%s\"", path, texts[i]);
}

#define EXPECT_OUT_EXACT(r, want)                                     \
	do {                                                          \
		if (strcmp((r)->out, (want))) {                       \
			engine_show(r);                               \
			FAIL("stdout is not exactly \"%s\"", (want)); \
		}                                                     \
	} while (0)

/* The app containers' part of the pod's life. */
static void pod_containers(struct pod *p)
{
	static struct engine_run r;
	char id[128], x7[128], path[256], host[128];
	static const char *const main_log[] = { " stdout F out-line\n",
						" stderr F err-line\n" };
	static const char *const x7_log[] = { " stdout F bye\n" };
	bool moat = !strcmp(p->handler, "moat");
	struct utsname u;
	json_t *j;
	long t;

	ASSERT_OK(uname(&u));
	snprintf(host, sizeof(host), "%s\n", u.release);
	ctr_start(p, "main",
		  "[\"sh\", \"-c\", \"trap 'exit 0' TERM; echo out-line; echo "
		  "err-line >&2; while :; do sleep 1; done\"]",
		  id, sizeof(id));
	j = cri_json("inspect %s", id);
	EXPECT_JSTR(j, "status.state", "CONTAINER_RUNNING");
	ASSERT(jnum(j, "status.started_at") > 0);
	snprintf(path, sizeof(path), "%s/main.log", p->logs);
	EXPECT_JSTR(j, "status.log_path", path);
	json_decref(j);
	j = cri_json("ps --pod %s", p->id);
	ASSERT_EQ(json_array_size(jget(j, "containers")), 1);
	EXPECT_JSTR(json_array_get(jget(j, "containers"), 0), "id", id);
	EXPECT_JSTR(json_array_get(jget(j, "containers"), 0), "state",
		    "CONTAINER_RUNNING");
	json_decref(j);

	/* ExecSync: the kernel is the guest's on moat, the host's on runc */
	cri_run(&r, CRI_CALL_SECS, NULL, "exec-sync %s uname -r", id);
	ENGINE_EXPECT(&r, 0);
	test_diag("uname -r in the pod: %s", r.out);
	if (moat && (!strcmp(r.out, host) || !strstr(r.out, "-moat")))
		FAIL("uname -r in the moat pod is not the guest's kernel");
	if (!moat)
		EXPECT_OUT_EXACT(&r, host);
	cri_run(&r, CRI_CALL_SECS, NULL,
		"exec-sync %s sh -c 'echo o; echo e >&2; exit 4'", id);
	ENGINE_EXPECT(&r, 4);
	EXPECT_OUT_EXACT(&r, "o\n");
	ASSERT_STREQ(r.err, "e\n");

	/* Exec, streamed: no terminal, then stdin, then a terminal */
	cri_run(&r, CRI_CALL_SECS, NULL,
		"exec %s sh -c 'echo to-out; echo to-err >&2; exit 3'", id);
	ENGINE_EXPECT(&r, 3);
	EXPECT_OUT_EXACT(&r, "to-out\n");
	ASSERT_STREQ(r.err, "to-err\n");
	cri_run(&r, CRI_CALL_SECS, "ping\\n", "exec -i %s head -n1", id);
	ENGINE_EXPECT(&r, 0);
	EXPECT_OUT_EXACT(&r, "ping\n");
	/* the size lands once the process runs (containerd resizes after
	 * the start): the shell sleeps before it asks */
	cri_run(&r, CRI_CALL_SECS,
		"sleep 3; stty size; tty; echo typed-$((6*7)); exit 5\\n",
		"exec -i -t --rows 11 --cols 51 %s sh", id);
	ENGINE_EXPECT(&r, 5);
	ENGINE_EXPECT_OUT(&r, "11 51");
	ENGINE_EXPECT_OUT(&r, "/dev/pts/");
	ENGINE_EXPECT_OUT(&r, "typed-42");

	/* the pod's network: issue 16 gives the moat pod's containers the
	 * pod's eth0 (today each VM of the pod would claim it) */
	if (!moat) {
		cri_run(&r, CRI_CALL_SECS, NULL,
			"exec-sync %s ip -4 addr show eth0", id);
		ENGINE_EXPECT(&r, 0);
		snprintf(path, sizeof(path), "inet %s/", p->ip);
		ENGINE_EXPECT_OUT(&r, path);
	}

	j = cri_json("stats %s", id);
	EXPECT_JSTR(j, "stats.attributes.id", id);
	ASSERT(jnum(j, "stats.cpu.timestamp") > 0);
	ASSERT(jnum(j, "stats.memory.timestamp") > 0);
	ASSERT(jnum(j, "stats.memory.working_set_bytes.value") > 0);
	json_decref(j);
	snprintf(path, sizeof(path), "%s/main.log", p->logs);
	expect_file(path, 10, main_log, 2);

	/* a container that exits with a status */
	ctr_start(p, "exit7", "[\"sh\", \"-c\", \"echo bye; exit 7\"]", x7,
		  sizeof(x7));
	j = NULL;
	for (t = now_s(); now_s() < t + CRI_BOOT_SECS; usleep(500000)) {
		j = cri_json("inspect %s", x7);
		if (!strcmp(jstr(j, "status.state"), "CONTAINER_EXITED"))
			break;
		json_decref(j);
		j = NULL;
	}
	if (!j)
		FAIL("the container exit7 did not exit within %d s",
		     CRI_BOOT_SECS);
	ASSERT_EQ(jnum(j, "status.exit_code"), 7);
	EXPECT_JSTR(j, "status.reason", "Error");
	ASSERT(jnum(j, "status.finished_at") > 0);
	json_decref(j);
	snprintf(path, sizeof(path), "%s/exit7.log", p->logs);
	expect_file(path, 10, x7_log, 1);

	/* StopContainer: its shell's trap ends it with 0 */
	cri_run(&r, CRI_STOP_GRACE + CRI_CALL_SECS, NULL, "stop -t %d %s",
		CRI_STOP_GRACE, id);
	ENGINE_EXPECT(&r, 0);
	j = cri_json("inspect %s", id);
	EXPECT_JSTR(j, "status.state", "CONTAINER_EXITED");
	ASSERT_EQ(jnum(j, "status.exit_code"), 0);
	EXPECT_JSTR(j, "status.reason", "Completed");
	json_decref(j);
	cri_run(&r, CRI_CALL_SECS, NULL, "rm %s", id);
	ENGINE_EXPECT(&r, 0);
	cri_run(&r, CRI_CALL_SECS, NULL, "rm %s", x7);
	ENGINE_EXPECT(&r, 0);
	j = cri_json("ps --pod %s", p->id);
	ASSERT_EQ(json_array_size(jget(j, "containers")), 0);
	json_decref(j);
}

TEST_TIMEOUT(cri_runc_pod_is_the_reference, 600)
{
	struct pod p;

	cri_setup();
	pod_run(&p, "runc");
	pod_containers(&p);
	pod_remove(&p);
	cri_teardown();
}

TEST_TIMEOUT(cri_moat_pod_sandbox_runs_and_stops, 600)
{
	struct pod p;

	cri_setup();
	pod_run(&p, "moat");
	pod_remove(&p);
	cri_teardown();
}
