/*
 * engcheck.c: docker and containerd from Debian drive moat as their runc,
 * each through a private daemon the check starts (own data root, state
 * and socket under the test's directory) and stops; the checks of
 * tests/vm/test_engines.c (QEMU under TCG) and tests/kvm/test_engines_vmm.c
 * (moat-vmm in the nested-KVM test host), the backend being the caller's
 * MOAT_HYPERVISOR (engine.h's wrapper passes it on):
 *   - dockerd with `--add-runtime moat=<wrapper>`: the classic demo of a
 *     VM-isolated runtime, `docker run --runtime=moat -itd --name NAME
 *     busybox sh`, `docker exec NAME uname -r` showing the guest's kernel,
 *     an exec's exit code, `docker rm -f`; and `docker run --rm` to an exit
 *     code. (docker wants names of two characters or more: "m" is refused
 *     by docker itself, so the check names it "mc".) Then docker's own
 *     bridge network (on a bridge the check makes, docker's iptables
 *     off): libnetwork sets the container's network up from its prestart
 *     hook, in the namespace of the container's pid (moat's shim), and
 *     the VM must get it: the guest's eth0 has the address docker
 *     assigned, and the host fetches a page from busybox httpd in the
 *     guest at that address.
 *   - containerd with `ctr run --runc-binary <wrapper>`: a container to an
 *     exit code, `-t` through a pty, `ctr task exec` (also `-t`), `ctr
 *     task ps` (go-runc's `ps --format json`) running and stopped, and a
 *     stopped task's kill and `task rm -f` (containerd knows the end of a
 *     process by runc's error text).
 * Images: the busybox root filesystem of engine.h, `docker import`ed, and
 * for containerd packed here as an OCI image layout and `ctr image
 * import`ed. Nothing of moat is left after each check.
 */
#include "engcheck.h"
#include "engine.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define ULIMITS "--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
/* docker's bridge: made and removed by the test, never docker0 */
#define DOCKER_BRIDGE "moatdk0"
#define DOCKER_BRIDGE_NET "10.213.7"
#define DOCKER "/usr/bin/docker -H unix://%s/docker.sock"
/* A namespace of the test's own: containerd's runc shim keeps the
 * runtime's state under /run/containerd/runc/<namespace>. The native
 * snapshotter (copies): the test host has no overlay module. */
#define CTR                                     \
	"CONTAINERD_SNAPSHOTTER=native ctr -n " \
	"moat-test -a %s/containerd.sock"
#define CTR_IMAGE "docker.io/library/moat-busybox:latest"

static struct engine g;

/* When a test fails: kill every process that names the test's directory
 * (the daemons, their shims, moat's shims; the VMs die with those), unmount
 * what is mounted under it, remove the bridge and the directory. "[/]" in
 * the pattern keeps it from matching pkill itself. */
static void engines_janitor(void *unused)
{
	struct engine_run r;

	(void)unused;
	/* alone: the shell's own command line must not name the directory */
	engine_sh(&r, "pkill -9 -f '[/]%s'; sleep 1", g.work + 1);
	engine_sh(&r,
		  "awk '$2 ~ \"^%s\" {print $2}' /proc/mounts | sort -r | "
		  "xargs -r -n1 umount -l; ip link del " DOCKER_BRIDGE
		  " 2>/dev/null; rm -rf /run/containerd/runc/moat-test %s",
		  g.work, g.work);
}

static void host_release(char *buf, size_t cap)
{
	struct utsname u;

	ASSERT_OK(uname(&u));
	snprintf(buf, cap, "%s", u.release);
}

void engcheck_docker(void)
{
	char sock[160], rt[200], data[160], exec[160], pidf[160], id[128];
	char line[256], host[128], cmd[256];
	struct engine_run r;
	pid_t d;

	if (access("/usr/sbin/dockerd", X_OK))
		FAIL("dockerd is not installed (tools/deps installs docker.io)");
	engine_setup(&g, "docker");
	test_on_fail(engines_janitor, NULL);
	host_release(host, sizeof(host));
	snprintf(sock, sizeof(sock), "unix://%s/docker.sock", g.work);
	snprintf(rt, sizeof(rt), "moat=%s", g.runtime);
	snprintf(data, sizeof(data), "%s/data", g.work);
	snprintf(exec, sizeof(exec), "%s/exec", g.work);
	snprintf(pidf, sizeof(pidf), "%s/dockerd.pid", g.work);
	engine_sh(&r,
		  "ip link del " DOCKER_BRIDGE " 2>/dev/null; "
		  "ip link add " DOCKER_BRIDGE " type bridge && "
		  "ip addr add " DOCKER_BRIDGE_NET ".1/24 dev " DOCKER_BRIDGE
		  " && ip link set " DOCKER_BRIDGE " up");
	ENGINE_EXPECT(&r, 0);
	{
		char *const argv[] = {
			"/usr/sbin/dockerd",
			"--data-root",
			data,
			"--exec-root",
			exec,
			"--pidfile",
			pidf,
			"-H",
			sock,
			"--add-runtime",
			rt,
			"--iptables=false",
			"--ip6tables=false",
			"--bridge=" DOCKER_BRIDGE,
			"--storage-driver=vfs",
			NULL,
		};
		d = engine_daemon_start(&g, "dockerd.log", argv);
	}
	snprintf(cmd, sizeof(cmd), DOCKER " version", g.work);
	engine_daemon_wait("dockerd", cmd);
	snprintf(line, sizeof(line), "%s/rootfs", g.work);
	engine_rootfs(line);
	engine_sh(&r,
		  "tar -C %s -c . | " DOCKER
		  " import --change 'CMD [\"/bin/sh\"]' - moat-busybox",
		  line, g.work);
	ENGINE_EXPECT(&r, 0);

	engine_sh(&r,
		  DOCKER
		  " run --runtime=moat -itd --name=mc --network=none " ULIMITS
		  " moat-busybox sh",
		  g.work);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, id, sizeof(id));
	engine_sh(&r, DOCKER " exec mc uname -r", g.work);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, line, sizeof(line));
	test_diag("docker exec mc uname -r: %s (host %s)", line, host);
	if (!strstr(line, "moat") || !strcmp(line, host))
		FAIL("docker exec: uname -r is \"%s\", not the guest's", line);
	engine_sh(&r, DOCKER " exec mc sh -c 'exit 9'", g.work);
	ENGINE_EXPECT(&r, 9);
	engine_sh(&r, DOCKER " rm -f mc", g.work);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r,
		  DOCKER " run --rm --runtime=moat --network=none " ULIMITS
			 " moat-busybox sh -c 'exit 42'",
		  g.work);
	ENGINE_EXPECT(&r, 42);

	/* docker's bridge network, set up by libnetwork's prestart hook */
	engine_sh(&r,
		  DOCKER " run --runtime=moat -d --name=web " ULIMITS
			 " moat-busybox sh -c 'mkdir -p /w && echo "
			 "moat-docker-net >/w/index.html && exec httpd -f -p "
			 "8080 -h /w'",
		  g.work);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r, DOCKER " inspect -f '{{.NetworkSettings.IPAddress}}' web",
		  g.work);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, line, sizeof(line));
	test_diag("docker assigned %s", line);
	if (strncmp(line, DOCKER_BRIDGE_NET ".", strlen(DOCKER_BRIDGE_NET) + 1))
		FAIL("docker inspect: address \"%s\" is not on the bridge",
		     line);
	{
		char ip[sizeof(line)];

		snprintf(ip, sizeof(ip), "%s", line);
		engine_sh(&r, DOCKER " exec web ip -4 addr show eth0", g.work);
		ENGINE_EXPECT(&r, 0);
		if (!strstr(r.out, ip)) {
			engine_show(&r);
			FAIL("the guest's eth0 does not have %s", ip);
		}
		engine_sh(&r,
			  "for i in $(seq 60); do timeout 5 busybox wget -q "
			  "-O- http://%s:8080/ && exit 0; sleep 1; done; "
			  "exit 1",
			  ip);
		ENGINE_EXPECT(&r, 0);
		if (!strstr(r.out, "moat-docker-net")) {
			engine_show(&r);
			FAIL("the host did not get the guest's page");
		}
	}
	engine_sh(&r, DOCKER " rm -f web", g.work);
	ENGINE_EXPECT(&r, 0);
	engine_daemon_stop(d);
	engine_sh(&r, "ip link del " DOCKER_BRIDGE);
	engine_teardown(&g);
}

void engcheck_containerd(void)
{
	char conf[160], line[256], cmd[256];
	struct engine_run r;
	FILE *f;
	pid_t d;

	if (access("/usr/bin/containerd", X_OK) || access("/usr/bin/ctr", X_OK))
		FAIL("containerd is not installed (tools/deps installs it)");
	engine_setup(&g, "ctr");
	test_on_fail(engines_janitor, NULL);
	/* What a failed run of this test left in the namespace's runc root
	 * (moat's --root there) would make create refuse the ids. */
	engine_sh(&r, "rm -rf /run/containerd/runc/moat-test");
	snprintf(conf, sizeof(conf), "%s/containerd.toml", g.work);
	f = fopen(conf, "w");
	ASSERT(f);
	fprintf(f,
		"version = 2\nroot = \"%s/croot\"\nstate = \"%s/cstate\"\n"
		"[grpc]\n  address = \"%s/containerd.sock\"\n"
		"[plugins.\"io.containerd.grpc.v1.cri\"]\n  disable = true\n",
		g.work, g.work, g.work);
	fclose(f);
	{
		char *const argv[] = { "/usr/bin/containerd", "--config", conf,
				       NULL };
		d = engine_daemon_start(&g, "containerd.log", argv);
	}
	snprintf(cmd, sizeof(cmd), CTR " version", g.work);
	engine_daemon_wait("containerd", cmd);
	/* An OCI image layout of the busybox root filesystem. */
	snprintf(line, sizeof(line), "%s/rootfs", g.work);
	engine_rootfs(line);
	engine_sh(
		&r,
		"set -e; cd %s; mkdir -p oci/blobs/sha256; cd oci; "
		"tar -C ../rootfs -cf layer.tar .; "
		"L=$(sha256sum layer.tar | cut -d' ' -f1); "
		"LS=$(stat -c %%s layer.tar); mv layer.tar blobs/sha256/$L; "
		"printf '{\"architecture\":\"amd64\",\"os\":\"linux\","
		"\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":"
		"\"layers\",\"diff_ids\":[\"sha256:%%s\"]}}' $L > c.json; "
		"C=$(sha256sum c.json | cut -d' ' -f1); "
		"CS=$(stat -c %%s c.json); mv c.json blobs/sha256/$C; "
		"printf '{\"schemaVersion\":2,\"mediaType\":\"application/"
		"vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
		"\"application/vnd.oci.image.config.v1+json\",\"digest\":"
		"\"sha256:%%s\",\"size\":%%s},\"layers\":[{\"mediaType\":"
		"\"application/vnd.oci.image.layer.v1.tar\",\"digest\":"
		"\"sha256:%%s\",\"size\":%%s}]}' $C $CS $L $LS > m.json; "
		"M=$(sha256sum m.json | cut -d' ' -f1); "
		"MS=$(stat -c %%s m.json); mv m.json blobs/sha256/$M; "
		"printf '{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
		"\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
		"\"sha256:%%s\",\"size\":%%s,\"platform\":{\"architecture\":"
		"\"amd64\",\"os\":\"linux\"},\"annotations\":{"
		"\"io.containerd.image.name\":\"%s\"}}]}' $M $MS > "
		"index.json; echo '{\"imageLayoutVersion\":\"1.0.0\"}' > "
		"oci-layout; tar -cf ../image.tar oci-layout index.json blobs; "
		"cd ..; " CTR " image import image.tar",
		g.work, CTR_IMAGE, g.work);
	ENGINE_EXPECT(&r, 0);

	engine_sh(&r,
		  CTR " run --rm --runc-binary %s " CTR_IMAGE
		      " c1 sh -c 'uname -r; exit 42'",
		  g.work, g.runtime);
	ENGINE_EXPECT(&r, 42);
	ENGINE_EXPECT_OUT(&r, "moat");
	engine_sh(&r,
		  "script -qefc \"stty rows 11 cols 51; " CTR
		  " run -t --rm --runc-binary %s " CTR_IMAGE
		  " c2 sh -c 'tty; stty size; exit 6'\" /dev/null",
		  g.work, g.runtime);
	ENGINE_EXPECT(&r, 6);
	ENGINE_EXPECT_OUT(&r, "/dev/pts/");
	ENGINE_EXPECT_OUT(&r, "11 51");
	engine_sh(&r,
		  CTR " run -d --runc-binary %s " CTR_IMAGE
		      " c3 sh -c 'while :; do sleep 1; done'",
		  g.work, g.runtime);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r, CTR " task exec --exec-id e1 c3 sh -c 'uname -r; exit 3'",
		  g.work);
	ENGINE_EXPECT(&r, 3);
	ENGINE_EXPECT_OUT(&r, "moat");
	/* ctr sets the size once the process runs (so does runc's
	 * caller): give it time before asking. */
	engine_sh(
		&r,
		"script -qefc \"stty rows 12 cols 52; " CTR
		" task exec -t --exec-id e2 c3 sh -c 'tty; sleep 3; stty size'\" "
		"/dev/null",
		g.work);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "12 52");
	/* task ps: the shim's Pids, go-runc's Ps (`ps --format json`) */
	engine_sh(&r, CTR " task ps c3 | awk 'NR > 1 && $1 > 0' | wc -l",
		  g.work);
	ENGINE_EXPECT(&r, 0);
	if (atoi(r.out) < 2) { /* sh and its sleep at least */
		engine_show(&r);
		FAIL("ctr task ps: want the container's processes");
	}
	/* c3's process ends; once containerd's shim has seen it, a kill is
	 * the stopped container's: moat must say runc's "container not
	 * running", which containerd takes for "process already finished"
	 * (NotFound: what the CRI's StopContainer waits for; other words are
	 * an unknown error it retries), and `task rm -f`, which first kills
	 * every process (`kill --all`: nothing left, 0), must end at once. */
	engine_sh(&r, CTR " task kill -s SIGKILL c3", g.work);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r,
		  "for i in $(seq 120); do " CTR " task ls | grep -q "
		  "'^c3 .*STOPPED' && exit 0; sleep 0.5; done; exit 1",
		  g.work);
	ENGINE_EXPECT(&r, 0);
	/* a stopped task has no processes: runc's json is null */
	engine_sh(&r, CTR " task ps c3", g.work);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r, "timeout 30 env " CTR " task kill -s SIGTERM c3", g.work);
	if (r.status != 1 || !strstr(r.err, "process already finished")) {
		engine_show(&r);
		FAIL("a stopped task's kill: want containerd's \"process "
		     "already finished\", exit 1; got exit %d",
		     r.status);
	}
	engine_sh(&r,
		  "timeout 30 env " CTR " task rm -f c3 && " CTR
		  " container rm c3",
		  g.work, g.work);
	ENGINE_EXPECT(&r, 0);
	engine_daemon_stop(d);
	engine_teardown(&g);
}
