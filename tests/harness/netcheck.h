/*
 * netcheck.h: the checks of the container's network through podman and
 * netavark, shared by both backends' tests: QEMU under TCG
 * (tests/vm/test_net_podman.c) and moat-vmm in the nested-KVM test host
 * (tests/kvm/test_net_podman_vmm.c). Each check starts its containers
 * (labelled moat-test=<the engine's work dir>), asserts what the container
 * sees against what podman says it assigned, removes them and looks for
 * what could be left: a tap, an ingress qdisc, a network namespace, a
 * process of moat's.
 */
#ifndef MOAT_TEST_NETCHECK_H
#define MOAT_TEST_NETCHECK_H

#include "engine.h"

#include <stdbool.h>
#include <stddef.h>

#define NETCHECK_IMAGE "localhost/moat-test/busybox:latest"

struct netcheck {
	struct engine g;
	char moat[192]; /* "--runtime <the wrapper>" */
};

/* engine_setup(name) (moat's wrapper, with the backend $MOAT_HYPERVISOR
 * names), the image imported; FAILs without podman. */
void netcheck_setup(struct netcheck *n, const char *name);

/* Remove the test's containers and networks; engine_teardown(). */
void netcheck_teardown(struct netcheck *n);

/* A container, and what podman says of its network (one inspect). */
struct netcheck_ctr {
	char id[128];
	char ip[64], prefix[8], mac[32], gateway[64];
	char key[256]; /* its network namespace (the sandbox key) */
	char resolv[256], hosts[256]; /* the files podman wrote for it */
};

/* Start a detached container of NETCHECK_IMAGE (runtime: "--runtime X")
 * running cmd with podman run options opts; c filled from podman
 * inspect. */
void netcheck_run_d(const struct netcheck *n, const char *runtime,
		    const char *opts, const char *cmd, struct netcheck_ctr *c);

/* The shell command that serves word at / with busybox httpd on port 80. */
#define NETCHECK_HTTPD(word)                 \
	"sh -c 'mkdir -p /www && echo " word \
	" > /www/index.html && exec httpd "  \
	"-f -p 80 -h /www'"

/* In container from, GET http://host/ until it answers (its server may
 * still be starting); the body must hold want. */
void netcheck_exec_get(const char *from, const char *host, const char *want);

/* SIGKILL container id's VMM; wait until podman sees it exited. */
void netcheck_kill9(const char *id);

/* Podman's default bridge: moat container A serves with a port published
 * (-p), moat B and crun C serve beside it. Checks: the host reaches A
 * through -p; A's eth0 has the address, prefix, MAC and default route
 * podman assigned, and A runs the guest's kernel; A's resolv.conf and hosts
 * are the files podman wrote; A <-> B and A <-> C over the bridge; A's
 * namespace has the tap, eth0's ingress qdisc and the redirect to the tap.
 * Then B's VMM is killed with SIGKILL when kill9 (podman sees B exit), all
 * are removed, and neither A's nor B's namespace, nor a tap, is left. */
void netcheck_bridge(struct netcheck *n, bool kill9);

/* --network=none: loopback only; --network=host: the clear error. */
void netcheck_none_and_host(struct netcheck *n);

/* cycles times: run -d a moat container, check its tap and tc redirect,
 * rm -f; then one more whose VMM is killed with SIGKILL when kill9; no
 * tap or namespace of any of them is left. */
void netcheck_cycles(struct netcheck *n, int cycles, bool kill9);

/* A user network with IPv6 and aardvark-dns: a moat container has the
 * IPv6 address podman assigned, and another reaches it by its name and by
 * that address. */
void netcheck_ipv6_names(struct netcheck *n);

#endif
