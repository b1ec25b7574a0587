/*
 * nettest.c: a container network the test owns (see nettest.h).
 */
#include "nettest.h"
#include "engine.h"
#include "ociconf.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void nettest_make(const char *ns, const char *peer)
{
	struct engine_run r;

	engine_sh(
		&r,
		"ip netns add %s && ip netns add %s && ip -n %s link add "
		"eth0 type veth peer name peer0 netns %s && "
		"ip -n %s addr add " NETTEST_ADDR "/24 dev eth0 && "
		"ip -n %s link set eth0 mtu %d up && "
		"ip -n %s route add default via " NETTEST_PEER " && "
		"ip -n %s addr add " NETTEST_PEER "/24 dev peer0 && "
		"ip -n %s link set peer0 mtu %d up && ip -n %s link set lo up",
		ns, peer, ns, peer, ns, ns, NETTEST_MTU, ns, peer, peer,
		NETTEST_MTU, peer);
	ENGINE_EXPECT(&r, 0);
}

void nettest_remove(const char *ns, const char *peer)
{
	struct engine_run r;

	engine_sh(&r, "ip netns del %s; ip netns del %s", ns, peer);
}

void nettest_bundle(const char *bundle, const char *const *args, const char *ns)
{
	char path[512];
	struct stat st;
	json_t *j;

	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	if (stat(path, &st)) {
		mkdir(bundle, 0755);
		engine_rootfs(path);
	}
	j = ociconf_base(args);
	snprintf(path, sizeof(path),
		 "[ { \"type\": \"pid\" }, { \"type\": \"mount\" }, "
		 "{ \"type\": \"ipc\" }, { \"type\": \"uts\" }, "
		 "{ \"type\": \"network\", \"path\": \"/run/netns/%s\" } ]",
		 ns);
	ociconf_set(j, "linux.namespaces", ociconf_parse(path));
	ociconf_write(j, bundle);
}

void nettest_untouched(const char *ns)
{
	struct engine_run r;

	engine_sh(
		&r,
		"for i in $(seq 50); do ip -n %s -o link show | grep -q "
		"': moat' || tc -n %s qdisc show dev eth0 | grep -q ingress || "
		"break; sleep 0.2; done; ip -n %s -o link show; tc -n %s "
		"qdisc show dev eth0; ip -n %s -o link show eth0 | grep -q "
		"'mtu %d' && echo mtu-kept",
		ns, ns, ns, ns, ns, NETTEST_MTU);
	if (strstr(r.out, ": moat") || strstr(r.out, "ingress") ||
	    !strstr(r.out, "mtu-kept")) {
		engine_show(&r);
		FAIL("network namespace %s was not left as it was", ns);
	}
}

void nettest_kill_vmm(const char *id)
{
	struct engine_run r;

	/* [m]: the pattern does not match this shell's own command line */
	engine_sh(
		&r,
		"s=$(pgrep -f 'moat-shi[m].*--id %s') && for p in $(pgrep "
		"-P $s); do grep -qa -e qemu-system -e moat-vmm "
		"/proc/$p/cmdline && v=$p; done; test -n \"$v\" && kill -9 $v",
		id);
	ENGINE_EXPECT(&r, 0);
}

void nettest_serve(const char *runtime, const char *bundle, const char *id,
		   const char *ns, const char *peer)
{
	static const char *const server[] = {
		"sh", "-c",
		"mkdir -p /www && echo " NETTEST_WORD " > /www/index.html && "
		"exec httpd -f -p 80 -h /www",
		NULL
	};
	struct engine_run r;

	nettest_bundle(bundle, server, ns);
	engine_sh(&r, "%s run -d --bundle %s %s", runtime, bundle, id);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r, "ip -n %s -o link show; tc -n %s qdisc show dev eth0", ns,
		  ns);
	ENGINE_EXPECT_OUT(&r, ": moat0:");
	ENGINE_EXPECT_OUT(&r, "qdisc ingress");
	engine_sh(&r,
		  "for i in $(seq 90); do timeout 10 ip netns exec %s busybox "
		  "wget -q -O- http://" NETTEST_ADDR "/ && exit 0; sleep 1; "
		  "done; exit 1",
		  peer);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, NETTEST_WORD);
}

void nettest_kill(const char *runtime, const char *id, const char *ns)
{
	struct engine_run r;

	nettest_kill_vmm(id);
	nettest_untouched(ns);
	engine_sh(&r, "%s delete --force %s", runtime, id);
	ENGINE_EXPECT(&r, 0);
}
