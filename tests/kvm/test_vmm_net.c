/*
 * test_vmm_net.c: level 4, inside the nested-KVM test host: moat-vmm's
 * virtio-net device on a real tap, under a real guest. One boot serves
 * every check (boots are slow under the test host's emulated KVM):
 *
 *  - the host makes a persistent tap (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR)
 *    with 10.77.0.1/24 and boots the guest with --net tap:NAME,mac=...,
 *    mtu=1400 (eth0), and a second, non-persistent tap with 10.78.0.1/24
 *    whose fd moat-vmm inherits, as the runtime hands it over: --net
 *    fd:N,mac=... (eth1);
 *  - in a busybox container that shares the guest's own network namespace
 *    (no network namespace in its config) and holds CAP_NET_ADMIN, eth0
 *    carries the MAC we gave and the MTU we offered; it is configured with
 *    10.77.0.2/24 and pings the host's end;
 *  - 1 MiB goes from the guest to a TCP server on the host, and 1 MiB from
 *    the host to the guest (busybox nc both times, the guest's side
 *    through a file on its 9p root): every byte checked;
 *  - eth1 has its MAC and the default MTU and pings its host end;
 *  - the control socket's counters saw the frames; every thread of
 *    moat-vmm (main, the vCPU, the 9p and the two net threads) runs under
 *    a seccomp filter; the VM ends with status 0, and the inherited tap,
 *    whose last fd was moat-vmm's, is gone with it.
 */
#include "../harness/agentc.h"
#include "../harness/ociconf.h"
#include "../harness/rootfs.h"
#include "../harness/test.h"
#include "../harness/vmmtest.h"
#include "../harness/vmrun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAP "moatnt0"
#define HOST_IP "10.77.0.1"
#define GUEST_MAC "02:00:00:77:00:02"
#define TAP_FD "moatnt1" /* inherited by moat-vmm */
#define HOST_IP_FD "10.78.0.1"
#define GUEST_MAC_FD "02:00:00:78:00:02"
#define MTU 1400
#define BLOB (1u << 20)
#define PORT_IN 7701  /* guest -> host */
#define PORT_OUT 7702 /* host -> guest */

struct vmnet {
	char dir[256]; /* rootfs_make */
	char sock[96], log[96], ctl[96];
	pid_t pid;
	int tap_fd; /* TAP_FD's, for moat-vmm to inherit */
	struct agentc c;
};

/* A one-connection TCP server on the host's end of the tap. */
struct srv {
	int lfd;
	bool send; /* send blob, else receive into got */
	uint8_t *blob, *got;
	size_t n;
	double secs;
	const char *err;
};

static void pattern(uint8_t *p, size_t n, uint32_t x)
{
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *srv_run(void *arg)
{
	struct srv *s = arg;
	struct pollfd p = { .fd = s->lfd, .events = POLLIN };
	size_t done = 0;
	double t0;
	int fd;

	if (poll(&p, 1, 300000) != 1) {
		s->err = "no connection within 300 s";
		return NULL;
	}
	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		s->err = "accept";
		return NULL;
	}
	t0 = now();
	while (done < s->n) {
		ssize_t k = s->send ? write(fd, s->blob + done, s->n - done)
				    : read(fd, s->got + done, s->n - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			s->err = s->send ? "write" : "read: short";
			break;
		}
		done += (size_t)k;
	}
	s->secs = now() - t0;
	close(fd);
	return NULL;
}

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_OK(fd);
	ASSERT_EQ(inet_pton(AF_INET, HOST_IP, &a.sin_addr), 1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_OK(listen(fd, 1));
	return fd;
}

/* An fd on the tap name (made if need be), as the runtime opens one. */
static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		FAIL("/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ASSERT_OK(ioctl(fd, TUNSETIFF, &ifr));
	return fd;
}

/* Make (persist true) or remove the persistent tap TAP. */
static void tap_persist(bool persist)
{
	int fd = tap_open(TAP);

	ASSERT_OK(ioctl(fd, TUNSETPERSIST, persist ? 1UL : 0UL));
	close(fd);
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static pid_t spawn_vmm(struct vmnet *v)
{
	struct vmmtest_cmd c;
	char share[300], net[96], netfd[96];

	snprintf(share, sizeof(share), "%s=%s/b", ROOTFS_TAG, v->dir);
	snprintf(net, sizeof(net), "tap:%s,mac=%s,mtu=%d", TAP, GUEST_MAC, MTU);
	snprintf(netfd, sizeof(netfd), "fd:%d,mac=%s", v->tap_fd, GUEST_MAC_FD);
	vmmtest_cmd_init(&c);
	vmmtest_cmd_add(&c, "--memory", "256");
	vmmtest_cmd_consoles(&c, v->log, v->sock);
	vmmtest_cmd_add(&c, "--share", share);
	vmmtest_cmd_add(&c, "--net", net);
	vmmtest_cmd_add(&c, "--net", netfd);
	vmmtest_cmd_add(&c, "--control", v->ctl);
	vmmtest_cmd_add(&c, "--cmdline", "quiet moat.channel=/dev/hvc0");
	return vmmtest_cmd_spawn(&c, v->tap_fd); /* the tap is inherited */
}

/* The default container without a network namespace (it shares the
 * guest's, where eth0 is) and with CAP_NET_ADMIN, running sleep. */
static void ct_up(struct vmnet *v)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static const char *const sets[] = { "bounding", "effective",
					    "permitted" };
	json_t *j = ociconf_base(args), *ns, *keep, *caps;
	char *cfg, path[64];
	size_t i;
	int r;

	ns = json_object_get(json_object_get(j, "linux"), "namespaces");
	keep = json_array();
	for (i = 0; i < json_array_size(ns); i++) {
		json_t *e = json_array_get(ns, i);

		if (strcmp(json_string_value(json_object_get(e, "type")),
			   "network"))
			json_array_append(keep, e);
	}
	ASSERT_EQ(json_array_size(keep) + 1, json_array_size(ns));
	ociconf_set(j, "linux.namespaces", keep);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		snprintf(path, sizeof(path), "process.capabilities.%s",
			 sets[i]);
		caps = json_deep_copy(json_object_get(
			json_object_get(json_object_get(j, "process"),
					"capabilities"),
			sets[i]));
		ASSERT(caps);
		json_array_append_new(caps, json_string("CAP_NET_ADMIN"));
		ociconf_set(j, path, caps);
	}
	cfg = ociconf_dump(j);
	r = agentc_create(&v->c, "ct", ROOTFS_TAG, cfg, NULL, 0, 0, 0, 0, 0,
			  NULL, NULL);
	free(cfg);
	if (r) {
		vmmtest_show_log(v->log);
		FAIL("create: %d %s", r, v->c.error);
	}
	ASSERT_EQ(agentc_simple(&v->c, MSG_OP_START), 0);
}

static const char *ct_ok(struct vmnet *v, const char *script)
{
	int code;
	const char *out = agentc_sh(&v->c, script, &code);

	if (code != 0) {
		vmmtest_show_log(v->log);
		FAIL("'%s' exited %d: %s", script, code, out);
	}
	return out;
}

/* The status line's net counters: frames received, sent, dropped. */
static void net_counters(struct vmnet *v, unsigned long long n[3])
{
	static const char *const names[] = { "net_rx", "net_tx", "net_drop" };

	vmmtest_counters(v->ctl, v->pid, v->log, names, n, 3);
}

/* 1 MiB each way through busybox nc, checked byte for byte. */
static void transfer(struct vmnet *v)
{
	static uint8_t up[BLOB], down[BLOB], got[BLOB];
	struct srv in = { .send = false, .blob = up, .got = got, .n = BLOB };
	struct srv out = { .send = true, .blob = down, .n = BLOB };
	pthread_t tin, tout;
	char p[512], cmd[128];
	double t0, t_up, t_down;
	struct stat st;
	FILE *f;

	pattern(up, BLOB, 7);
	pattern(down, BLOB, 11);
	snprintf(p, sizeof(p), "%s/b/rootfs/data/up", v->dir);
	write_file(p, up, BLOB);
	in.lfd = listen_on(PORT_IN);
	out.lfd = listen_on(PORT_OUT);
	ASSERT_EQ(pthread_create(&tin, NULL, srv_run, &in), 0);
	ASSERT_EQ(pthread_create(&tout, NULL, srv_run, &out), 0);
	/* cat in between: busybox nc reads and writes 1 KiB at a time,
	 * which on the 9p root would time 9p, not the network. */
	snprintf(cmd, sizeof(cmd), "cat /data/up | busybox nc %s %d", HOST_IP,
		 PORT_IN);
	t0 = now();
	ct_ok(v, cmd);
	t_up = now() - t0;
	snprintf(cmd, sizeof(cmd), "busybox nc %s %d | cat > /data/down",
		 HOST_IP, PORT_OUT);
	t0 = now();
	ct_ok(v, cmd);
	t_down = now() - t0;
	pthread_join(tin, NULL);
	pthread_join(tout, NULL);
	close(in.lfd);
	close(out.lfd);
	if (in.err || out.err)
		FAIL("host server: %s", in.err ? in.err : out.err);
	test_diag("1 MiB guest -> host in %.2f s (%.2f s on the host's "
		  "socket), host -> guest in %.2f s (%.2f s), exec included",
		  t_up, in.secs, t_down, out.secs);
	ASSERT(memcmp(got, up, BLOB) == 0);
	snprintf(p, sizeof(p), "%s/b/rootfs/data/down", v->dir);
	ASSERT_OK(stat(p, &st));
	ASSERT_EQ(st.st_size, (off_t)BLOB);
	f = fopen(p, "rb");
	ASSERT(f);
	ASSERT_EQ(fread(got, 1, BLOB, f), BLOB);
	fclose(f);
	ASSERT(memcmp(got, down, BLOB) == 0);
}

TEST_TIMEOUT(vmm_net_tap_ping_and_tcp_both_ways, 900)
{
	struct vmnet v;
	char tmp[] = "/tmp/moat-net.XXXXXX";
	unsigned long long n[3];
	const char *out;
	int status;

	if (geteuid() != 0)
		test_skip("needs root");
	memset(&v, 0, sizeof(v));
	/* A stale tap from an earlier run goes first. */
	if (system("ip link del " TAP " 2>/dev/null") != 0) {
		/* none: fine */
	}
	tap_persist(true);
	if (system("ip addr add " HOST_IP "/24 dev " TAP " && ip link set " TAP
		   " up") != 0)
		FAIL("ip: could not configure %s", TAP);
	rootfs_make(v.dir, sizeof(v.dir));
	ASSERT(mkdtemp(tmp));
	snprintf(v.sock, sizeof(v.sock), "%s/agent.sock", tmp);
	snprintf(v.log, sizeof(v.log), "%s/console.log", tmp);
	snprintf(v.ctl, sizeof(v.ctl), "%s/ctl.sock", tmp);
	v.tap_fd = tap_open(TAP_FD);
	if (system("ip addr add " HOST_IP_FD "/24 dev " TAP_FD
		   " && ip link set " TAP_FD " up") != 0)
		FAIL("ip: could not configure %s", TAP_FD);
	v.pid = spawn_vmm(&v);
	close(v.tap_fd); /* moat-vmm's is now the last */
	agentc_attach(&v.c, vmmtest_connect(v.sock, v.pid, v.log), v.pid);
	agentc_handshake(&v.c);
	/* main, one vCPU, the 9p share's thread, two net threads */
	ASSERT_EQ(vmmtest_threads_filtered(v.pid), 5);
	ct_up(&v);

	/* eth0: our MAC, the MTU we offered; then addressed and up. */
	out = ct_ok(&v, "busybox ip link show eth0");
	if (!strstr(out, "link/ether " GUEST_MAC) || !strstr(out, "mtu 1400"))
		FAIL("eth0: %s", out);
	ct_ok(&v, "busybox ip addr add 10.77.0.2/24 dev eth0 && "
		  "busybox ip link set eth0 up");
	out = ct_ok(&v, "busybox ping -c 3 -W 10 " HOST_IP);
	if (!strstr(out, "3 packets received"))
		FAIL("ping: %s", out);
	out = strstr(out, "round-trip");
	test_diag("ping eth0: %.*s", out ? (int)strcspn(out, "\n") : 0,
		  out ? out : "");
	/* eth1, on the inherited tap. */
	out = ct_ok(&v, "busybox ip link show eth1");
	if (!strstr(out, "link/ether " GUEST_MAC_FD) ||
	    !strstr(out, "mtu 1500"))
		FAIL("eth1: %s", out);
	out = ct_ok(&v, "busybox ip addr add 10.78.0.2/24 dev eth1 && "
			"busybox ip link set eth1 up && "
			"busybox ping -c 2 -W 10 " HOST_IP_FD);
	if (!strstr(out, "2 packets received"))
		FAIL("ping over eth1: %s", out);
	transfer(&v);
	net_counters(&v, n);
	test_diag("frames: %llu received, %llu sent, %llu dropped", n[0], n[1],
		  n[2]);
	/* 1 MiB each way in frames of at most 1400 bytes of IP. */
	ASSERT(n[0] > BLOB / MTU);
	ASSERT(n[1] > BLOB / MTU);

	status = agentc_stop(&v.c);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		vmmtest_show_log(v.log);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT(if_nametoindex(TAP_FD) == 0);
	tap_persist(false);
	ASSERT(if_nametoindex(TAP) == 0);
	rootfs_remove(v.dir);
}
