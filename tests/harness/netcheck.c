/*
 * netcheck.c: the container network's checks through podman (see
 * netcheck.h).
 */
#include "netcheck.h"
#include "nettest.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* nofile and nproc as on any host, whatever the caller's are */
#define ULIMITS "--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"

void netcheck_setup(struct netcheck *n, const char *name)
{
	if (access("/usr/bin/podman", X_OK))
		FAIL("podman is not installed (tools/deps installs it)");
	engine_setup(&n->g, name);
	snprintf(n->moat, sizeof(n->moat), "--runtime %s", n->g.runtime);
	engine_podman_image(&n->g, NETCHECK_IMAGE);
	engine_crun_hybrid();
}

void netcheck_teardown(struct netcheck *n)
{
	struct engine_run r;

	engine_podman_rm_labelled(&n->g);
	engine_sh(&r,
		  "podman network ls --filter label=moat-test=%s -q | xargs -r "
		  "podman network rm -f",
		  n->g.work);
	engine_teardown(&n->g);
}

/* Copy the next '|'-separated field of *rest into buf. */
static void netcheck_field(char **rest, char *buf, size_t cap)
{
	char *f = strsep(rest, "|");

	snprintf(buf, cap, "%s", f ? f : "");
}

void netcheck_run_d(const struct netcheck *n, const char *runtime,
		    const char *opts, const char *cmd, struct netcheck_ctr *c)
{
	struct engine_run r;
	char line[2048], *rest = line;

	engine_sh(&r,
		  "podman %s run -d --label moat-test=%s " ULIMITS " %s %s %s",
		  runtime, n->g.work, opts, NETCHECK_IMAGE, cmd);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, c->id, sizeof(c->id));
	ASSERT(strlen(c->id) == 64);
	engine_sh(
		&r,
		"podman inspect -f '{{.NetworkSettings.IPAddress}}|"
		"{{.NetworkSettings.IPPrefixLen}}|"
		"{{.NetworkSettings.MacAddress}}|{{.NetworkSettings.Gateway}}|"
		"{{.NetworkSettings.SandboxKey}}|{{.ResolvConfPath}}|"
		"{{.HostsPath}}' %s",
		c->id);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, line, sizeof(line));
	netcheck_field(&rest, c->ip, sizeof(c->ip));
	netcheck_field(&rest, c->prefix, sizeof(c->prefix));
	netcheck_field(&rest, c->mac, sizeof(c->mac));
	netcheck_field(&rest, c->gateway, sizeof(c->gateway));
	netcheck_field(&rest, c->key, sizeof(c->key));
	netcheck_field(&rest, c->resolv, sizeof(c->resolv));
	netcheck_field(&rest, c->hosts, sizeof(c->hosts));
	if (!c->key[0] || !c->hosts[0]) {
		engine_show(&r);
		FAIL("podman inspect of %s lacks a field", c->id);
	}
}

/* From the host, GET url until it answers; the body must hold want. */
static void netcheck_host_get(const char *url, const char *want)
{
	struct engine_run r;

	engine_sh(&r,
		  "for i in $(seq 60); do timeout 5 busybox wget -q -O- %s && "
		  "exit 0; sleep 1; done; exit 1",
		  url);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, want);
}

void netcheck_exec_get(const char *from, const char *host, const char *want)
{
	struct engine_run r;

	engine_sh(
		&r,
		"podman exec %s sh -c 'for i in $(seq 30); do timeout 5 wget -q -O- "
		"http://%s/ && exit 0; sleep 1; done; exit 1'",
		from, host);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, want);
}

/* No tap in the host's own namespace, and each of the n namespaces (the
 * containers' sandbox keys) gone within 10 s. */
static void netcheck_no_leftovers(const char *const *netns, int n)
{
	struct engine_run r;
	struct stat st;
	int i, k;

	engine_sh(&r, "ip -o link show | grep -c ': moat[0-9]*:' || true");
	if (strncmp(r.out, "0", 1))
		FAIL("a moat tap in the host's namespace: %s", r.out);
	for (i = 0; i < n; i++) {
		for (k = 0; k < 100 && stat(netns[i], &st) == 0; k++)
			usleep(100000);
		if (stat(netns[i], &st) == 0)
			FAIL("network namespace %s is left", netns[i]);
	}
}

/* While container id runs: in its namespace, a tap joined to eth0 by an
 * ingress qdisc whose filter redirects to the tap. */
static void netcheck_plumbed(const char *netns)
{
	struct engine_run r;

	engine_sh(&r,
		  "nsenter --net=%s sh -c 'ip -o link show; tc qdisc show dev "
		  "eth0; tc filter show dev eth0 ingress'",
		  netns);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, ": moat0:");
	ENGINE_EXPECT_OUT(&r, "qdisc ingress ffff:");
	ENGINE_EXPECT_OUT(&r, "Egress Redirect to device moat0");
}

/* r's stdout from the line "== name" to the next "== " line (or its end)
 * is the text of host's file path (podman's, for the container's file),
 * byte for byte; and holds holds. */
static void netcheck_section_is(const struct engine_run *r, const char *name,
				const char *path, const char *holds)
{
	static char want[65536];
	char mark[64];
	const char *from, *to;
	size_t len;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		FAIL("%s (podman's %s): %s", path, name, strerror(errno));
	len = fread(want, 1, sizeof(want) - 1, f);
	want[len] = '\0';
	fclose(f);
	snprintf(mark, sizeof(mark), "== %s\n", name);
	from = strstr(r->out, mark);
	if (!from) {
		engine_show(r);
		FAIL("no %s in the container's output", name);
	}
	from += strlen(mark);
	to = strstr(from, "\n== ");
	to = to ? to + 1 : from + strlen(from);
	if ((size_t)(to - from) != len || memcmp(from, want, len) ||
	    !strstr(want, holds)) {
		engine_show(r);
		test_diag_block("podman's", want, len);
		FAIL("%s in the container is not the file podman wrote (%s), "
		     "or lacks \"%s\"",
		     name, path, holds);
	}
}

void netcheck_kill9(const char *id)
{
	struct engine_run r;

	nettest_kill_vmm(id);
	engine_sh(&r,
		  "for i in $(seq 100); do test \"$(podman inspect -f "
		  "'{{.State.Status}}' %s)\" = exited && exit 0; sleep 0.2; "
		  "done; exit 1",
		  id);
	ENGINE_EXPECT(&r, 0);
}

void netcheck_bridge(struct netcheck *n, bool kill9)
{
	struct netcheck_ctr a, b, c;
	const char *ns[2] = { a.key, b.key };
	char want[400], url[96], opts[64];
	struct engine_run r;
	int port = 20000 + getpid() % 10000;

	snprintf(opts, sizeof(opts), "-p %d:80", port);
	netcheck_run_d(n, n->moat, opts, NETCHECK_HTTPD("moat-a"), &a);
	netcheck_run_d(n, n->moat, "", NETCHECK_HTTPD("moat-b"), &b);
	netcheck_run_d(n, "--runtime crun", "", NETCHECK_HTTPD("crun-c"), &c);

	/* -p: the host reaches httpd in the VM through netavark's DNAT,
	 * the veth and the tap. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	netcheck_host_get(url, "moat-a");
	netcheck_plumbed(a.key);

	/* The guest's view: the address, prefix, MAC and gateway podman
	 * assigned, the guest's kernel (the VM's NIC, not the host's veth),
	 * and resolv.conf and hosts as podman wrote them. */
	engine_sh(&r,
		  "podman exec %s sh -c 'ip -o -4 addr show eth0; cat "
		  "/sys/class/net/eth0/address; ip route; uname -r; echo == "
		  "resolv.conf; cat /etc/resolv.conf; echo == hosts; cat "
		  "/etc/hosts'",
		  a.id);
	ENGINE_EXPECT(&r, 0);
	snprintf(want, sizeof(want), "inet %s/%s ", a.ip, a.prefix);
	ENGINE_EXPECT_OUT(&r, want);
	ENGINE_EXPECT_OUT(&r, a.mac);
	snprintf(want, sizeof(want), "default via %s dev eth0", a.gateway);
	ENGINE_EXPECT_OUT(&r, want);
	ENGINE_EXPECT_OUT(&r, "moat");
	netcheck_section_is(&r, "resolv.conf", a.resolv, "nameserver");
	netcheck_section_is(&r, "hosts", a.hosts, a.ip);

	/* Neighbours on the bridge: moat <-> moat, moat <-> crun. */
	netcheck_exec_get(b.id, a.ip, "moat-a");
	netcheck_exec_get(a.id, b.ip, "moat-b");
	netcheck_exec_get(c.id, a.ip, "moat-a");
	netcheck_exec_get(a.id, c.ip, "crun-c");

	if (kill9)
		netcheck_kill9(b.id);
	engine_sh(&r, "podman rm -f -t 0 %s %s %s", a.id, b.id, c.id);
	ENGINE_EXPECT(&r, 0);
	netcheck_no_leftovers(ns, 2);
}

void netcheck_none_and_host(struct netcheck *n)
{
	struct engine_run r;

	engine_sh(
		&r,
		"podman %s run --rm --network=none --label moat-test=%s " ULIMITS
		" %s sh -c 'ls /sys/class/net; ip -o addr show lo'",
		n->moat, n->g.work, NETCHECK_IMAGE);
	ENGINE_EXPECT(&r, 0);
	if (strncmp(r.out, "lo\n", 3) || strstr(r.out, "eth"))
		FAIL("--network=none: interfaces \"%s\"", r.out);
	ENGINE_EXPECT_OUT(&r, "inet 127.0.0.1/8");
	engine_sh(
		&r,
		"podman %s run --rm --network=host --label moat-test=%s " ULIMITS
		" %s true",
		n->moat, n->g.work, NETCHECK_IMAGE);
	if (r.status == 0 ||
	    !strstr(r.err,
		    "moat does not share the host's network namespace")) {
		engine_show(&r);
		FAIL("--network=host: want the clear error");
	}
}

void netcheck_cycles(struct netcheck *n, int cycles, bool kill9)
{
	struct netcheck_ctr *c = calloc(cycles + 1, sizeof(*c));
	const char **ns = calloc(cycles + 1, sizeof(*ns));
	struct engine_run r;
	int i;

	ASSERT(c && ns);
	for (i = 0; i < cycles + (kill9 ? 1 : 0); i++) {
		netcheck_run_d(n, n->moat, "", "sleep 600", &c[i]);
		ns[i] = c[i].key;
		netcheck_plumbed(c[i].key);
		/* the last one: the tap goes with the VMM's last fd, the
		 * engine removes the namespace, the shim reports the death */
		if (i == cycles)
			netcheck_kill9(c[i].id);
		engine_sh(&r, "podman rm -f -t 0 %s", c[i].id);
		ENGINE_EXPECT(&r, 0);
	}
	netcheck_no_leftovers(ns, i);
	free(ns);
	free(c);
}

void netcheck_ipv6_names(struct netcheck *n)
{
	struct netcheck_ctr web, cli;
	char net[64], v6[64], want[256], name[64];
	struct engine_run r;
	int me = (int)getpid();

	snprintf(net, sizeof(net), "moatv6-%d", me);
	engine_sh(&r,
		  "podman network create --label moat-test=%s --ipv6 --subnet "
		  "10.%d.%d.0/24 --subnet fd%02x:%x::/64 %s",
		  n->g.work, 100 + me % 50, me % 250, me % 200, me % 65000,
		  net);
	ENGINE_EXPECT(&r, 0);
	snprintf(name, sizeof(name), "web-%d", me);
	snprintf(want, sizeof(want), "--network %s --name %s", net, name);
	netcheck_run_d(n, n->moat, want, NETCHECK_HTTPD("moat-v6"), &web);
	engine_sh(&r,
		  "podman inspect -f '{{range .NetworkSettings.Networks}}"
		  "{{.GlobalIPv6Address}}{{end}}' %s",
		  web.id);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, v6, sizeof(v6));
	if (!strchr(v6, ':'))
		FAIL("podman gave no IPv6 address: \"%s\"", v6);
	snprintf(want, sizeof(want), "inet6 %s/64 scope global", v6);
	engine_sh(&r, "podman exec %s ip -6 addr show eth0", web.id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, want);
	snprintf(want, sizeof(want), "--network %s", net);
	netcheck_run_d(n, n->moat, want, "sleep 600", &cli);
	netcheck_exec_get(cli.id, name, "moat-v6");
	snprintf(want, sizeof(want), "[%s]", v6);
	netcheck_exec_get(cli.id, want, "moat-v6");
	engine_sh(&r, "podman rm -f -t 0 %s %s", web.id, cli.id);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r, "podman network rm %s", net);
	ENGINE_EXPECT(&r, 0);
}
