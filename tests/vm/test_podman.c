/*
 * test_podman.c: level 3. podman from Debian drives moat as its OCI
 * runtime (`podman --runtime <wrapper>`), with QEMU under TCG as the
 * backend: the engine's real calls (create with conmon's console socket,
 * start, state, kill, delete, exec with a pid file, pause, resume) and
 * what a user sees. The checks are tests/harness/podcheck.h's, the same
 * that tests/kvm/test_podman_vmm.c runs on moat-vmm: run -i and -it; run
 * -d with pause, exec -i and -it, top, kill, logs, stop and crun beside
 * it; kill -9 of the shim, of QEMU and of the container's init.
 *
 * The image is a busybox root filesystem built from Debian's
 * busybox-static and imported (`podman import`). The wrapper passes
 * moat's paths in the environment (podman does not pass its own to the
 * runtime) and a private --root. crun refuses a hybrid cgroup host whose
 * v2 hierarchy still has a controller (hugetlb here): the setup mounts
 * that controller's v1 hierarchy, as systemd does on hybrid hosts. After
 * each test no shim, QEMU or virtiofsd of the test is left and moat's
 * --root is empty.
 */
#include "../harness/podcheck.h"
#include "../harness/test.h"

static struct podcheck pc;

TEST_TIMEOUT(podman_run_i_and_it, 900)
{
	podcheck_setup(&pc, "podman", "qemu-system");
	podcheck_run(&pc);
	podcheck_teardown(&pc);
}

TEST_TIMEOUT(podman_detached_exec_top_kill_pause_stop, 900)
{
	podcheck_setup(&pc, "podman", "qemu-system");
	podcheck_detached(&pc);
	podcheck_teardown(&pc);
}

TEST_TIMEOUT(podman_sees_the_end_of_every_kind_of_death, 900)
{
	podcheck_setup(&pc, "podman", "qemu-system");
	podcheck_deaths(&pc);
	podcheck_teardown(&pc);
}

/* podman's own user namespace (--uidmap, --gidmap: it maps the image's
 * files for it) and, on this cgroup v1 host where podman asks for no
 * cgroup namespace, the container's own: root inside, 100000 in its map,
 * --pids-limit in its /sys/fs/cgroup, /proc/self/cgroup at the root. The
 * image lacks /run, which podman's /run/.containerenv needs, and podman
 * makes a user namespace's / mode 0555: the agent makes that mount point
 * (the share's file server would not let the mapped root). */
TEST_TIMEOUT(podman_user_and_cgroup_namespaces, 900)
{
	struct engine_run r;

	podcheck_setup(&pc, "podman", "qemu-system");
	engine_sh(&r,
		  "podman run --rm --runtime %s --network=none --label "
		  "moat-test=%s --uidmap 0:100000:65536 --gidmap "
		  "0:100000:65536 --pids-limit 20 %s sh -c 'id -u; "
		  "cat /proc/self/uid_map; cat /sys/fs/cgroup/pids.max; "
		  "cat /proc/self/cgroup; stat -c %%u /run; touch /tmp/made "
		  "&& echo made'",
		  pc.g.runtime, pc.g.work, PODCHECK_IMAGE);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "0\n         0     100000      65536\n20\n0::/\n"
			      "0\nmade\n");
	podcheck_teardown(&pc);
}
