/*
 * test_net_podman.c: level 3. The container's network as the engine made
 * it, carried into the VM (src/sandbox/net.h, src/agent/net.c): podman's
 * default bridge network (netavark) with moat as the runtime, QEMU under
 * TCG as the backend (or moat-vmm where /dev/kvm is usable).
 *
 * What is checked: the guest's eth0 has the address, prefix, MAC and
 * default route podman assigned (`podman inspect` against the container's
 * own view); a port published with -p reaches busybox httpd in the
 * container from the host; two moat containers and a crun container on the
 * same network reach each other; /etc/resolv.conf and /etc/hosts are the
 * files podman wrote; --network=none gives only loopback; --network=host is
 * refused with a clear error; and nothing is left behind: no tap, no tc
 * qdisc on an engine's veth, no network namespace, no process, after
 * create/delete cycles, after kill -9 of the VMM, and (with moat run on a
 * namespace the test owns, which outlives the container) on the veth the
 * container used; and on a user network with IPv6, the guest has its
 * IPv6 address and reaches a neighbour by its IPv6 address and by its name
 * through aardvark-dns.
 *
 * The image and crun's cgroup fix-up are as in test_podman.c (engine.h).
 */
#include "../harness/engine.h"
#include "../harness/nettest.h"
#include "../harness/ociconf.h"
#include "../harness/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMAGE "localhost/moat-test/busybox:latest"
#define ULIMITS "--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
#define P "podman --runtime %s"
/* busybox httpd serving one word at / */
#define HTTPD_CMD(word)                                                   \
	"mkdir -p /www && echo " word " > /www/index.html && exec httpd " \
	"-f -p 80 -h /www"
#define HTTPD(word) "sh -c '" HTTPD_CMD(word) "'"

static struct engine g;
static char moat_rt[192]; /* "--runtime <the wrapper>" */

static void setup(void)
{
	if (access("/usr/bin/podman", X_OK))
		FAIL("podman is not installed (tools/deps installs it)");
	engine_setup(&g, "netpodman");
	snprintf(moat_rt, sizeof(moat_rt), "--runtime %s", g.runtime);
	engine_podman_image(&g, IMAGE);
	engine_crun_hybrid();
}

static void teardown(void)
{
	struct engine_run r;

	engine_sh(&r,
		  "podman ps -a --filter label=moat-test=%s -q | xargs -r "
		  "podman rm -f -t 0",
		  g.work);
	engine_sh(&r,
		  "podman network ls --filter label=moat-test=%s -q | xargs -r "
		  "podman network rm -f",
		  g.work);
	engine_teardown(&g);
}

/* `podman inspect -f FORMAT id`'s first line into buf. */
static void inspect(const char *id, const char *format, char *buf, size_t cap)
{
	struct engine_run r;

	engine_sh(&r, "podman inspect -f '%s' %s", format, id);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, buf, cap);
	if (!buf[0])
		FAIL("podman inspect %s of %s is empty", format, id);
}

/* Start a detached container (runtime: "--runtime X"); its id into id. */
static void run_d(const char *runtime, const char *opts, const char *cmd,
		  char *id, size_t cap)
{
	struct engine_run r;

	engine_sh(&r,
		  "podman %s run -d --label moat-test=%s " ULIMITS " %s %s %s",
		  runtime, g.work, opts, IMAGE, cmd);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, id, cap);
	ASSERT(strlen(id) == 64);
}

/* From the host, GET url until it answers (the container's httpd may
 * still be starting); the body must hold want. */
static void host_get(const char *url, const char *want)
{
	struct engine_run r;

	engine_sh(&r,
		  "for i in $(seq 60); do timeout 5 busybox wget -q -O- %s && "
		  "exit 0; sleep 1; done; exit 1",
		  url);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, want);
}

/* In container from, GET http://ip/ until it answers; body holds want. */
static void exec_get(const char *from, const char *ip, const char *want)
{
	struct engine_run r;

	engine_sh(
		&r,
		"podman exec %s sh -c 'for i in $(seq 30); do timeout 5 wget -q -O- "
		"http://%s/ && exit 0; sleep 1; done; exit 1'",
		from, ip);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, want);
}

/* No tap and no network namespace of ours on the host side: the host's
 * own namespace has no moat tap, and each sandbox key is gone. */
static void no_leftovers(const char *const *netns, int n)
{
	struct engine_run r;
	struct stat st;
	int i;

	engine_sh(&r, "ip -o link show | grep -c ': moat[0-9]*:' || true");
	if (strncmp(r.out, "0", 1))
		FAIL("a moat tap in the host's namespace: %s", r.out);
	for (i = 0; i < n; i++)
		for (int k = 0; k < 100 && stat(netns[i], &st) == 0; k++)
			usleep(100000);
	for (i = 0; i < n; i++)
		if (stat(netns[i], &st) == 0)
			FAIL("network namespace %s is left", netns[i]);
}

/* --- tests ---------------------------------------------------------------- */

TEST_TIMEOUT(net_bridge_addresses_ports_files_and_neighbours, 900)
{
	char a[128], b[128], c[128], ipa[64], ipb[64], ipc[64], want[400];
	char line[256], url[96], nsa[256], nsb[256], opts[64];
	const char *ns[2] = { nsa, nsb };
	struct engine_run r;
	int port = 20000 + getpid() % 10000;

	setup();
	snprintf(opts, sizeof(opts), "-p %d:80", port);
	run_d(moat_rt, opts, HTTPD("moat-a"), a, sizeof(a));
	run_d(moat_rt, "", HTTPD("moat-b"), b, sizeof(b));
	run_d("--runtime crun", "", HTTPD("crun-c"), c, sizeof(c));
	inspect(a, "{{.NetworkSettings.SandboxKey}}", nsa, sizeof(nsa));
	inspect(b, "{{.NetworkSettings.SandboxKey}}", nsb, sizeof(nsb));

	/* -p: the host reaches httpd in the VM through netavark's DNAT,
	 * the veth and the tap. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	host_get(url, "moat-a");

	/* The address, prefix, MAC and gateway podman assigned. */
	inspect(a, "{{.NetworkSettings.IPAddress}}", ipa, sizeof(ipa));
	inspect(b, "{{.NetworkSettings.IPAddress}}", ipb, sizeof(ipb));
	inspect(c, "{{.NetworkSettings.IPAddress}}", ipc, sizeof(ipc));
	inspect(a, "{{.NetworkSettings.IPPrefixLen}}", line, sizeof(line));
	snprintf(want, sizeof(want), "inet %s/%s ", ipa, line);
	engine_sh(&r, "podman exec %s ip -o -4 addr show eth0", a);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, want);
	inspect(a, "{{.NetworkSettings.MacAddress}}", line, sizeof(line));
	engine_sh(&r, "podman exec %s cat /sys/class/net/eth0/address", a);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, line);
	inspect(a, "{{.NetworkSettings.Gateway}}", line, sizeof(line));
	snprintf(want, sizeof(want), "default via %s dev eth0", line);
	engine_sh(&r, "podman exec %s ip route", a);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, want);
	/* The guest kernel, not the host's: it is the VM's NIC. */
	engine_sh(&r, "podman exec %s uname -r", a);
	ENGINE_EXPECT_OUT(&r, "moat");

	/* resolv.conf and hosts: what podman wrote. */
	inspect(a, "{{.ResolvConfPath}}", line, sizeof(line));
	engine_sh(&r, "podman exec %s cat /etc/resolv.conf | cmp - %s", a,
		  line);
	ENGINE_EXPECT(&r, 0);
	inspect(a, "{{.HostsPath}}", line, sizeof(line));
	engine_sh(&r, "podman exec %s cat /etc/hosts | cmp - %s", a, line);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r, "podman exec %s cat /etc/hosts", a);
	ENGINE_EXPECT_OUT(&r, ipa);

	/* Neighbours on the bridge: moat <-> moat, moat <-> crun. */
	exec_get(b, ipa, "moat-a");
	exec_get(a, ipb, "moat-b");
	exec_get(c, ipa, "moat-a");
	exec_get(a, ipc, "crun-c");

	engine_sh(&r, "podman rm -f -t 0 %s %s %s", a, b, c);
	ENGINE_EXPECT(&r, 0);
	no_leftovers(ns, 2);
	teardown();
}

TEST_TIMEOUT(net_none_is_loopback_only_and_host_is_refused, 600)
{
	struct engine_run r;

	setup();
	engine_sh(&r,
		  P " run --rm --network=none --label moat-test=%s " ULIMITS
		    " %s sh -c 'ls /sys/class/net; ip -o addr show lo'",
		  g.runtime, g.work, IMAGE);
	ENGINE_EXPECT(&r, 0);
	if (strncmp(r.out, "lo\n", 3) || strstr(r.out, "eth"))
		FAIL("--network=none: interfaces \"%s\"", r.out);
	ENGINE_EXPECT_OUT(&r, "inet 127.0.0.1/8");
	engine_sh(&r,
		  P " run --rm --network=host --label moat-test=%s " ULIMITS
		    " %s true",
		  g.runtime, g.work, IMAGE);
	if (r.status == 0 ||
	    !strstr(r.err,
		    "moat does not share the host's network namespace")) {
		engine_show(&r);
		FAIL("--network=host: want the clear error");
	}
	teardown();
}

TEST_TIMEOUT(net_nothing_leaks_after_cycles_and_kill9, 900)
{
	char id[128], key[4][256];
	const char *ns[4] = { key[0], key[1], key[2], key[3] };
	struct engine_run r;
	int i;

	setup();
	/* create/delete cycles (create, start, delete through podman) */
	for (i = 0; i < 3; i++) {
		run_d(moat_rt, "", "sleep 600", id, sizeof(id));
		inspect(id, "{{.NetworkSettings.SandboxKey}}", key[i],
			sizeof(key[i]));
		/* while it runs: a tap joined to eth0 by tc in its netns */
		engine_sh(&r,
			  "nsenter --net=%s sh -c 'ip -o link show; tc qdisc "
			  "show dev eth0; tc filter show dev eth0 ingress'",
			  key[i]);
		ENGINE_EXPECT(&r, 0);
		ENGINE_EXPECT_OUT(&r, ": moat0:");
		ENGINE_EXPECT_OUT(&r, "qdisc ingress ffff:");
		ENGINE_EXPECT_OUT(&r, "Egress Redirect to device moat0");
		engine_sh(&r, "podman rm -f -t 0 %s", id);
		ENGINE_EXPECT(&r, 0);
	}
	/* kill -9 of the VMM: the tap goes with its last fd, the engine
	 * removes the namespace, the shim reports the death. */
	run_d(moat_rt, "", "sleep 600", id, sizeof(id));
	inspect(id, "{{.NetworkSettings.SandboxKey}}", key[3], sizeof(key[3]));
	nettest_kill_vmm(id);
	engine_sh(&r,
		  "for i in $(seq 100); do test \"$(podman inspect -f "
		  "'{{.State.Status}}' %s)\" = exited && exit 0; sleep 0.2; "
		  "done; exit 1",
		  id);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r, "podman rm -f -t 0 %s", id);
	ENGINE_EXPECT(&r, 0);
	no_leftovers(ns, 4);
	teardown();
}

/* moat run on a namespace the test made, which outlives the container:
 * the guest gets its address, route and MTU and reaches the veth's other
 * end, which reaches the container's server; when the container is gone,
 * and when its VMM was killed with SIGKILL, the veth has no qdisc of
 * moat's and no tap is left beside it. */
TEST_TIMEOUT(net_own_namespace_is_left_as_it_was, 600)
{
	static const char *const args[] = {
		"sh", "-c",
		"ip -o -4 addr show eth0; ip route; cat /sys/class/net/eth0/mtu; "
		"ping -c 1 -W 5 " NETTEST_PEER,
		NULL
	};
	char ns[64], peer[64], bundle[160], id[64];
	struct engine_run r;
	int me = (int)getpid();

	setup();
	snprintf(ns, sizeof(ns), "moatnet-%d", me);
	snprintf(peer, sizeof(peer), "moatpeer-%d", me);
	nettest_make(ns, peer);
	snprintf(bundle, sizeof(bundle), "%s/bundle", g.work);
	nettest_bundle(bundle, args, ns);

	engine_sh(&r, "%s run --bundle %s netown-%d", g.runtime, bundle, me);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "inet " NETTEST_ADDR "/24");
	ENGINE_EXPECT_OUT(&r, "default via " NETTEST_PEER " dev eth0");
	ENGINE_EXPECT_OUT(&r, "\n1400\n");
	ENGINE_EXPECT_OUT(&r, "1 packets received");
	/* run deleted the container; its shim may still be ending */
	nettest_untouched(ns);

	/* the other end reaches a server in the VM; then kill -9 of the
	 * VMM while the container runs */
	snprintf(id, sizeof(id), "netkill-%d", me);
	nettest_serve(g.runtime, bundle, id, ns, peer);
	nettest_kill(g.runtime, id, ns);
	nettest_remove(ns, peer);
	teardown();
}

/* A user network with IPv6 and aardvark-dns: the guest has the IPv6
 * address podman assigned, and a moat container reaches another by its
 * name (the engine's DNS) and by its IPv6 address. */
TEST_TIMEOUT(net_user_network_ipv6_and_names, 600)
{
	char net[64], web[128], cli[128], v6[64], want[256], name[64];
	struct engine_run r;
	int me = (int)getpid();

	setup();
	snprintf(net, sizeof(net), "moatv6-%d", me);
	engine_sh(&r,
		  "podman network create --label moat-test=%s --ipv6 --subnet "
		  "10.%d.%d.0/24 --subnet fd%02x:%x::/64 %s",
		  g.work, 100 + me % 50, me % 250, me % 200, me % 65000, net);
	ENGINE_EXPECT(&r, 0);
	snprintf(name, sizeof(name), "web-%d", me);
	snprintf(want, sizeof(want), "--network %s --name %s", net, name);
	run_d(moat_rt, want, HTTPD("moat-v6"), web, sizeof(web));
	inspect(web,
		"{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}"
		"{{end}}",
		v6, sizeof(v6));
	snprintf(want, sizeof(want), "inet6 %s/64 scope global", v6);
	engine_sh(&r, "podman exec %s ip -6 addr show eth0", web);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, want);
	snprintf(want, sizeof(want), "--network %s", net);
	run_d(moat_rt, want, "sleep 600", cli, sizeof(cli));
	exec_get(cli, name, "moat-v6");
	snprintf(want, sizeof(want), "[%s]", v6);
	exec_get(cli, want, "moat-v6");
	engine_sh(&r, "podman rm -f -t 0 %s %s", web, cli);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r, "podman network rm %s", net);
	ENGINE_EXPECT(&r, 0);
	teardown();
}
