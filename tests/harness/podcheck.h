/*
 * podcheck.h: the podman end-to-end checks, one body for both backends:
 * tests/vm/test_podman.c runs them with QEMU under TCG, and
 * tests/kvm/test_podman_vmm.c with moat-vmm inside the nested-KVM test
 * host. What differs between the two (podman's configuration in the test
 * host, the backend the wrapper names) is set up by the test before
 * podcheck_setup(); what the checks need to know of the backend is the
 * name of its VM monitor process.
 *
 * Podman commands take seconds each on this machine and tens of seconds
 * in the test host, so each check runs few containers and asks podman
 * little: several properties are shown by one container where that stays
 * clear.
 */
#ifndef MOAT_TEST_PODCHECK_H
#define MOAT_TEST_PODCHECK_H

#include "engine.h"

/* The image every check runs (engine_podman_image). */
#define PODCHECK_IMAGE "localhost/moat-test/busybox:latest"

struct podcheck {
	struct engine g;
	const char *monitor;	/* in the VM monitor's command line */
	char host_release[128]; /* uname -r here (crun's kernel) */
};

/* engine_setup, the image, crun's cgroup needs; FAILs without podman. */
void podcheck_setup(struct podcheck *pc, const char *name, const char *monitor);

/* Remove the test's podman containers; FAIL on moat's leftovers. */
void podcheck_teardown(struct podcheck *pc);

/* run --rm: -i (the guest's kernel, stdin, the exit code, volumes read
 * and written from both sides and :ro, --read-only, --user, --cap-drop,
 * --memory in the guest's cgroup and in the VM's size), then -it (a shell
 * driven through a pty, its size and a resize). */
void podcheck_run(struct podcheck *pc);

/* run -d, the container's VM monitor running under its shim, then pause
 * and unpause, exec -i (a volume shared live), exec -it, top, kill, crun
 * beside it, logs, stop (SIGTERM reaches the container's trap), rm. */
void podcheck_detached(struct podcheck *pc);

/* kill -9 of the shim, of the VM monitor, and of the container's init
 * (stop -t 2 of one that ignores SIGTERM) in turn: podman sees the exit,
 * moat's state said stopped when podman deleted it, nothing is left. */
void podcheck_deaths(struct podcheck *pc);

#endif
