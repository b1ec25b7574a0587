/*
 * monitors.c: moat-vmm beside QEMU -M microvm with KVM (issue 3's
 * benchmark). Runs inside the nested-KVM test host (bench/nested-boot), as
 * root, with MOAT_VMM, MOAT_KERNEL and MOAT_INITRAMFS naming the monitor
 * and the guest. Both monitors boot the same kernel and initramfs with the
 * same memory, one vCPU, and the run alternates between them (QEMU first
 * in odd runs, moat-vmm first in even ones) so a change in the machine's
 * load falls on both. Three parts, RUNS runs each, medians (min-max):
 *
 *  1. boot (tests/harness/vmrun, 256 MiB, quiet console, no devices but
 *     the serial port): wall time from the monitor's start to the agent's
 *     ready line on the console, and the guest's uptime in that line;
 *  2. memory: a 128 MiB guest with the agent's channel (a virtio-serial
 *     port on a socketpair, as moat's backends give it) and two 9p
 *     shares, idle for two seconds after the agent's HELLO: the monitor's
 *     RSS summed over /proc/PID/smaps, the RSS of the guest's RAM (the one
 *     anonymous mapping of exactly the guest's size: both monitors map it
 *     so), and their difference, the monitor's own memory;
 *  3. 9p, in the same VM: a busybox container (its root the 9p share "b")
 *     mounts the share "bench", a directory on the test host's tmpfs, with
 *     the same options on both (trans=virtio, version=9p2000.L, cache=none,
 *     access=client, msize MSIZE), and times with its own clock
 *     (/proc/uptime): a sequential write of FILE_MIB MiB (dd bs=1M from
 *     /dev/zero), a sequential read of a FILE_MIB MiB file the host wrote
 *     (dd bs=1M to /dev/null), and NFILES empty files created (xargs
 *     touch), listed with their attributes (ls -l: a getattr each) and
 *     deleted (rm -r). QEMU serves its shares with its own virtio-9p
 *     (-fsdev local,security_model=none). The host checks what it can:
 *     the written file's size, dd's record counts, the listing's length,
 *     the directory gone.
 *
 * Usage: monitors RUNS [FILE_MIB [NFILES [MSIZE]]]   (3 256 2000 512000)
 * Any failure ends the benchmark with status 1 and no table (bench.c's
 * hooks); a missed target is a result, printed as "NO".
 */
#include "../tests/harness/agentc.h"
#include "../tests/harness/ociconf.h"
#include "../tests/harness/rootfs.h"
#include "../tests/harness/test.h"
#include "../tests/harness/vmmtest.h"
#include "../tests/harness/vmrun.h"
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MON_MEM_MIB 128
#define MON_TMPFS_MAGIC 0x01021994
#define MON_CHAN_FD 3
/* the channel's port, named as the backends name it */
#define MON_PORT "moat.channel"
#define MON_EXEC_S 300 /* a workload's limit: slow under nested KVM */
#define MON_RUNS_MAX 50

enum { MON_QEMU, MON_VMM, MON_N };
static const char *const mon_name[MON_N] = { "QEMU", "moat-vmm" };

/* One sample per run of each figure, for each monitor. */
enum {
	FIG_READY,
	FIG_UPTIME,
	FIG_RSS,
	FIG_GUEST,
	FIG_OWN,
	FIG_WRITE,
	FIG_READ,
	FIG_META,
	FIG_N
};

struct mon_vm {
	int kind;
	pid_t pid;
	struct agentc c;
	char log[160];
	uint32_t next_stream;
};

static double mon_fig[FIG_N][MON_N][MON_RUNS_MAX];
static unsigned mon_msize; /* as mounted (/proc/mounts), the same on both */

static void mon_loadavg(const char *when)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	printf("test host load average %s: %s\n", when, buf);
}

static void mon_show_log(const struct mon_vm *v)
{
	char buf[16384];
	int fd = open(v->log, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (n > 0) {
		buf[n] = '\0';
		fprintf(stderr, "%s's console and messages:\n%s\n",
			mon_name[v->kind], buf);
	}
	if (fd >= 0)
		close(fd);
}

/* Start the monitor with the agent's channel on fd 3, the busybox root
 * filesystem under tag "b" and the bench directory under tag "bench". */
static void mon_spawn(struct mon_vm *v, int kind, const char *rootdir,
		      const char *benchdir, const char *tmp)
{
	const char *kernel = vmrun_env_path("MOAT_KERNEL");
	const char *initrd = vmrun_env_path("MOAT_INITRAMFS");
	char mem[16], fs0[400], fs1[400], sh0[400], sh1[400];
	const char *argv[48], *const *args;
	struct vmmtest_cmd cmd;
	int sv[2], n = 0;

	if (!kernel || !initrd)
		FAIL("MOAT_KERNEL or MOAT_INITRAMFS is not set");
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->next_stream = 100;
	snprintf(v->log, sizeof(v->log), "%s/%s.log", tmp,
		 kind == MON_QEMU ? "qemu" : "vmm");
	if (kind == MON_QEMU) {
		snprintf(mem, sizeof(mem), "%uM", MON_MEM_MIB);
		snprintf(fs0, sizeof(fs0),
			 "local,id=fs0,path=%s/b,security_model=none", rootdir);
		snprintf(fs1, sizeof(fs1),
			 "local,id=fs1,path=%s,security_model=none", benchdir);
		argv[n++] = "qemu-system-x86_64";
		argv[n++] = "-M";
		argv[n++] = "microvm,acpi=off";
		argv[n++] = "-accel";
		argv[n++] = "kvm";
		argv[n++] = "-cpu";
		argv[n++] = "host";
		argv[n++] = "-m";
		argv[n++] = mem;
		argv[n++] = "-smp";
		argv[n++] = "1";
		argv[n++] = "-nodefaults";
		argv[n++] = "-no-user-config";
		argv[n++] = "-display";
		argv[n++] = "none";
		argv[n++] = "-no-reboot";
		argv[n++] = "-serial";
		argv[n++] = "stdio";
		argv[n++] = "-kernel";
		argv[n++] = kernel;
		argv[n++] = "-initrd";
		argv[n++] = initrd;
		argv[n++] = "-append";
		/* no_timer_check, as moat's QEMU backend and moat-vmm
		 * (its base command line) boot the guest */
		argv[n++] = "console=ttyS0 reboot=t panic=-1 no_timer_check "
			    "quiet moat.channel=" MON_PORT;
		argv[n++] = "-chardev";
		argv[n++] = "socket,id=chan,fd=3,server=off";
		argv[n++] = "-device";
		argv[n++] = "virtio-serial-device";
		argv[n++] = "-device";
		argv[n++] = "virtserialport,chardev=chan,name=" MON_PORT;
		argv[n++] = "-fsdev";
		argv[n++] = fs0;
		argv[n++] = "-device";
		argv[n++] = "virtio-9p-device,fsdev=fs0,mount_tag=" ROOTFS_TAG;
		argv[n++] = "-fsdev";
		argv[n++] = fs1;
		argv[n++] = "-device";
		argv[n++] = "virtio-9p-device,fsdev=fs1,mount_tag=bench";
		argv[n] = NULL;
		args = argv;
	} else {
		snprintf(mem, sizeof(mem), "%u", MON_MEM_MIB);
		snprintf(sh0, sizeof(sh0), ROOTFS_TAG "=%s/b", rootdir);
		snprintf(sh1, sizeof(sh1), "bench=%s", benchdir);
		vmmtest_cmd_init(&cmd);
		vmmtest_cmd_add(&cmd, "--memory", mem);
		vmmtest_cmd_add(&cmd, "--cpus", "1");
		vmmtest_cmd_add(&cmd, "--console", "stdio");
		vmmtest_cmd_add(&cmd, "--vport", MON_PORT "=fd:3");
		vmmtest_cmd_add(&cmd, "--share", sh0);
		vmmtest_cmd_add(&cmd, "--share", sh1);
		vmmtest_cmd_add(&cmd, "--cmdline",
				"quiet moat.channel=" MON_PORT);
		args = cmd.argv;
	}
	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	v->pid = fork();
	ASSERT_OK(v->pid);
	if (v->pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		int log = open(v->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* dup2 onto itself would keep the close-on-exec flag */
		if (sv[1] == MON_CHAN_FD)
			fcntl(sv[1], F_SETFD, 0);
		if (nul < 0 || log < 0 || dup2(nul, 0) < 0 ||
		    dup2(log, 1) < 0 || dup2(log, 2) < 0 ||
		    dup2(sv[1], MON_CHAN_FD) < 0)
			_exit(126);
		execvp(args[0], (char *const *)args);
		_exit(127);
	}
	close(sv[1]);
	agentc_attach(&v->c, sv[0], v->pid);
}

/* Wait for the agent's first bytes on the channel; a monitor that exits
 * or closes the channel first fails with its console and messages. */
static void mon_wait_hello(struct mon_vm *v)
{
	double end = bench_now() + AGENTC_HELLO_MS / 1000;
	int status = 0, i;
	char b;

	for (;;) {
		struct pollfd p = { .fd = v->c.fd, .events = POLLIN };

		if (poll(&p, 1, 100) > 0) {
			if (recv(v->c.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
				return; /* the handshake reads it */
			break;		/* the channel ended */
		}
		if (waitpid(v->pid, &status, WNOHANG) == v->pid)
			break;
		if (bench_now() > end)
			return; /* the handshake says it timed out */
	}
	for (i = 0; i < 50 && waitpid(v->pid, &status, WNOHANG) == 0; i++)
		usleep(100000);
	mon_show_log(v);
	FAIL("%s closed the channel or exited before the agent's HELLO "
	     "(status %#x)",
	     mon_name[v->kind], status);
}

/* The monitor's RSS and the RSS of the guest's RAM, in MiB, from its
 * smaps: the guest's RAM is the one anonymous mapping of mem_mib. */
static void mon_smaps(const struct mon_vm *v, double *rss, double *guest)
{
	char path[64], line[512], name[256];
	unsigned long long size = 0, kb, total = 0, ram = 0;
	unsigned long a, b;
	int anon = 0, nram = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)v->pid);
	f = fopen(path, "r");
	ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
			anon = sscanf(line, "%*s %*s %*s %*s %*s %255s",
				      name) != 1;
			size = 0;
		} else if (sscanf(line, "Size: %llu kB", &kb) == 1) {
			size = kb;
		} else if (sscanf(line, "Rss: %llu kB", &kb) == 1) {
			total += kb;
			if (anon &&
			    size == (unsigned long long)MON_MEM_MIB * 1024) {
				ram += kb;
				nram++;
			}
		}
	}
	fclose(f);
	if (nram != 1)
		FAIL("%s: %d anonymous mappings of %u MiB, not one: cannot "
		     "tell the guest's RAM",
		     mon_name[v->kind], nram, MON_MEM_MIB);
	*rss = (double)total / 1024.0;
	*guest = (double)ram / 1024.0;
}

/* Create and start a container on share "b" running sleep, with
 * CAP_SYS_ADMIN besides the default capabilities (to mount "bench"). */
static void mon_container(struct mon_vm *v)
{
	static const char *const args[] = { "sleep", "100000", NULL };
	static const char *const sets[] = { "bounding", "effective",
					    "permitted" };
	json_t *j = ociconf_base(args);
	json_t *caps =
		json_object_get(json_object_get(j, "process"), "capabilities");
	char *cfg;
	size_t i;
	int r;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		json_array_append_new(json_object_get(caps, sets[i]),
				      json_string("CAP_SYS_ADMIN"));
	cfg = ociconf_dump(j);
	r = agentc_create(&v->c, "bench", ROOTFS_TAG, cfg, NULL, 0, 0, 0, 0, 0,
			  NULL, NULL);
	free(cfg);
	if (r) {
		mon_show_log(v);
		FAIL("%s: create: %d %s", mon_name[v->kind], r, v->c.error);
	}
	ASSERT_EQ(agentc_simple(&v->c, MSG_OP_START), 0);
}

/* Run "sh -c script" in the container, waiting up to MON_EXEC_S (then the
 * watchdog ends the benchmark as stalled, status 3, which bench/run tells
 * apart from a failure); returns its stdout (stderr after it in *err),
 * failing unless it exits 0. */
static const char *mon_sh(struct mon_vm *v, const char *script,
			  const char **err)
{
	const char *const argv[] = { "sh", "-c", script, NULL };
	static char obuf[8192], ebuf[8192];
	uint32_t proc, code = 0, sig = 0, out = v->next_stream++,
		       errs = v->next_stream++;
	struct agentc_stream *so, *se;
	bench_watch(MON_EXEC_S, "monitors: %s: '%s'", mon_name[v->kind],
		    script);
	agentc_out(&v->c, out, 65536);
	agentc_out(&v->c, errs, 65536);
	if (agentc_exec(&v->c, argv, 0, out, errs, 0, &proc, NULL))
		FAIL("%s: exec '%s': %s", mon_name[v->kind], script,
		     v->c.error);
	so = agentc_stream(&v->c, out);
	se = agentc_stream(&v->c, errs);
	/* agentc_wait_eof allows 20 s; a workload may take minutes. */
	while (!so->eof || !se->eof) {
		if (!agentc_pump(&v->c, 100)) {
			mon_show_log(v);
			FAIL("%s: the channel ended during '%s'",
			     mon_name[v->kind], script);
		}
	}
	snprintf(obuf, sizeof(obuf), "%s", agentc_wait_eof(&v->c, out));
	snprintf(ebuf, sizeof(ebuf), "%s", agentc_wait_eof(&v->c, errs));
	ASSERT_EQ(agentc_wait(&v->c, proc, &code, &sig), 0);
	if (code || sig)
		FAIL("%s: '%s' exited %u (signal %u): %s%s", mon_name[v->kind],
		     script, code, sig, obuf, ebuf);
	bench_watch(0, NULL);
	if (err)
		*err = ebuf;
	return obuf;
}

/* Seconds between the first two guest uptimes script prints. */
static double mon_timed(struct mon_vm *v, const char *script, const char **err)
{
	const char *out = mon_sh(v, script, err);
	double t0, t1;

	if (sscanf(out, "%lf %lf", &t0, &t1) != 2 || t1 < t0)
		FAIL("%s: '%s' printed '%s'", mon_name[v->kind], script, out);
	/* /proc/uptime counts hundredths: a zero would be a rounding. */
	return t1 - t0 > 0.01 ? t1 - t0 : 0.01;
}

static void mon_write_file(const char *path, unsigned mib)
{
	static uint8_t buf[1 << 20];
	uint32_t x = 2463534242u;
	unsigned i;
	size_t k;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ASSERT_OK(fd);
	for (i = 0; i < mib; i++) {
		for (k = 0; k < sizeof(buf); k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[k] = (uint8_t)x;
		}
		ASSERT_EQ(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	}
	close(fd);
}

#define T0 "read t0 x </proc/uptime; "
#define T1 "read t1 x </proc/uptime; "

/* One run of parts 2 and 3 on one monitor. */
static void mon_vm_run(int kind, int run, const char *rootdir,
		       const char *benchdir, const char *tmp, unsigned mib,
		       unsigned nfiles, unsigned msize)
{
	struct mon_vm v;
	char script[1024], path[512], want[64];
	const char *err, *out;
	struct stat st;
	double rss, guest, dt, t[4];
	int status;
	unsigned n;

	mon_spawn(&v, kind, rootdir, benchdir, tmp);
	mon_wait_hello(&v);
	agentc_handshake(&v.c);
	test_diag("%s, run %d: the agent is up", mon_name[kind], run + 1);
	agentc_pump_for(&v.c, 2000); /* idle a moment */
	mon_smaps(&v, &rss, &guest);
	mon_fig[FIG_RSS][kind][run] = rss;
	mon_fig[FIG_GUEST][kind][run] = guest;
	mon_fig[FIG_OWN][kind][run] = rss - guest;

	mon_container(&v);
	test_diag("%s, run %d: container started", mon_name[kind], run + 1);
	snprintf(script, sizeof(script),
		 "mkdir -p /mnt && mount -t 9p -o trans=virtio,"
		 "version=9p2000.L,cache=none,access=client,msize=%u bench "
		 "/mnt && grep ' /mnt ' /proc/mounts",
		 msize);
	out = mon_sh(&v, script, NULL);
	/* The msize in effect: the kernel caps it at its transport's most. */
	if (!strstr(out, "msize=") ||
	    sscanf(strstr(out, "msize=") + 6, "%u", &n) != 1)
		FAIL("%s: no msize in the mount: %s", mon_name[kind], out);
	if (mon_msize && n != mon_msize)
		FAIL("%s mounted with msize %u, the other with %u",
		     mon_name[kind], n, mon_msize);
	mon_msize = n;
	test_diag("%s, run %d: share mounted, msize %u", mon_name[kind],
		  run + 1, n);

	/* sequential write */
	snprintf(script, sizeof(script),
		 T0 "dd if=/dev/zero of=/mnt/w bs=1M count=%u; " T1
		    "echo $t0 $t1",
		 mib);
	dt = mon_timed(&v, script, &err);
	test_diag("%s, run %d: wrote %u MiB in %.2f s", mon_name[kind], run + 1,
		  mib, dt);
	snprintf(want, sizeof(want), "%u+0 records out", mib);
	if (!strstr(err, want))
		FAIL("%s: dd wrote: %s", mon_name[kind], err);
	snprintf(path, sizeof(path), "%s/w", benchdir);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_size, (off_t)mib << 20);
	ASSERT_OK(unlink(path));
	mon_fig[FIG_WRITE][kind][run] = mib / dt;

	/* sequential read of the host's file */
	snprintf(script, sizeof(script),
		 T0 "dd if=/mnt/r of=/dev/null bs=1M; " T1 "echo $t0 $t1");
	dt = mon_timed(&v, script, &err);
	test_diag("%s, run %d: read %u MiB in %.2f s", mon_name[kind], run + 1,
		  mib, dt);
	snprintf(want, sizeof(want), "%u+0 records in", mib);
	if (!strstr(err, want))
		FAIL("%s: dd read: %s", mon_name[kind], err);
	mon_fig[FIG_READ][kind][run] = mib / dt;

	/* create, stat and delete nfiles */
	snprintf(script, sizeof(script),
		 "set -e; mkdir /mnt/m; cd /mnt/m; read t0 x </proc/uptime; "
		 "seq 1 %u | busybox xargs touch; read t1 x </proc/uptime; "
		 "n=$(ls -l | wc -l); read t2 x </proc/uptime; cd /; "
		 "rm -r /mnt/m; read t3 x </proc/uptime; "
		 "echo $t0 $t1 $t2 $t3 $n",
		 nfiles);
	out = mon_sh(&v, script, NULL);
	if (sscanf(out, "%lf %lf %lf %lf %u", &t[0], &t[1], &t[2], &t[3], &n) !=
		    5 ||
	    n != nfiles + 1 || t[3] < t[0])
		FAIL("%s: the metadata workload printed '%s'", mon_name[kind],
		     out);
	snprintf(path, sizeof(path), "%s/m", benchdir);
	if (lstat(path, &st) == 0)
		FAIL("%s: %s is still there", mon_name[kind], path);
	mon_fig[FIG_META][kind][run] = t[3] - t[0];
	test_diag("%s, run %d: %u files in %.2f s", mon_name[kind], run + 1,
		  nfiles, t[3] - t[0]);

	status = agentc_stop(&v.c);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		mon_show_log(&v);
		FAIL("%s ended with status %#x", mon_name[kind], status);
	}
}

static void mon_boot_run(int kind, int run)
{
	struct vmrun_result r;
	int st = kind == MON_VMM ? vmrun_vmm_guest(1, "quiet", 300, &r)
				 : vmrun_qemu_guest("kvm", 300, &r);

	if (st < 0 || !r.ready || !r.exited || !WIFEXITED(r.status) ||
	    WEXITSTATUS(r.status) != 0)
		FAIL("%s: boot %d failed; console:\n%s", mon_name[kind],
		     run + 1, r.out ? r.out : "");
	mon_fig[FIG_READY][kind][run] = r.ready_s;
	mon_fig[FIG_UPTIME][kind][run] = (double)r.uptime_ms / 1000.0;
	free(r.out);
}

/*
 * One row: QEMU's and moat-vmm's medians (min-max), the ratio moat-vmm /
 * QEMU, and the target: the ratio at most (le) or at least (!le) goal;
 * goal 0: no target.
 */
static void mon_row(const char *what, int fig, int n, bool le, double goal)
{
	struct bench_fig f[MON_N];
	char cell[MON_N][48], tgt[16] = "";
	double ratio;
	int k;

	for (k = 0; k < MON_N; k++) {
		f[k] = bench_summary(mon_fig[fig][k], n);
		snprintf(cell[k], sizeof(cell[k]), "%.3f (%.3f-%.3f)", f[k].med,
			 f[k].min, f[k].max);
	}
	ratio = f[MON_QEMU].med > 0 ? f[MON_VMM].med / f[MON_QEMU].med : 0;
	if (goal > 0)
		snprintf(tgt, sizeof(tgt), "%s %.2f", le ? "<=" : ">=", goal);
	printf("%-34s %-26s %-26s %6.2f  %-8s %s\n", what, cell[MON_QEMU],
	       cell[MON_VMM], ratio, tgt,
	       goal <= 0			      ? ""
	       : (le ? ratio <= goal : ratio >= goal) ? "yes"
						      : "NO");
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3, run, k;
	unsigned mib = argc > 2 ? (unsigned)atoi(argv[2]) : 256;
	unsigned nfiles = argc > 3 ? (unsigned)atoi(argv[3]) : 500;
	unsigned msize = argc > 4 ? (unsigned)atoi(argv[4]) : 512000;
	char rootdir[256], tmp[] = "/tmp/moat-monitors.XXXXXX", bench[300];
	char path[400], what[64];
	struct statfs sf;

	if (n < 1 || n > MON_RUNS_MAX || mib < 1 || mib > 4096 || nfiles < 1 ||
	    nfiles > 1000000 || msize < 8192) {
		fprintf(stderr,
			"usage: monitors RUNS [FILE_MIB [NFILES [MSIZE]]]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0)
		test_skip("needs root (the container mounts the share)");
	ASSERT(mkdtemp(tmp));
	snprintf(bench, sizeof(bench), "%s/share", tmp);
	ASSERT_OK(mkdir(bench, 0777));
	ASSERT_OK(statfs(bench, &sf));
	if (sf.f_type != MON_TMPFS_MAGIC)
		FAIL("%s is not on a tmpfs", bench);
	rootfs_make(rootdir, sizeof(rootdir));
	snprintf(path, sizeof(path), "%s/r", bench);
	mon_write_file(path, mib);

	printf("moat-vmm beside QEMU -M microvm,accel=kvm (%s), inside the "
	       "nested-KVM test host; %d runs each, alternating; median "
	       "(min-max)\n",
	       "same kernel and initramfs, 1 vCPU", n);
	mon_loadavg("at the start");
	for (run = 0; run < n; run++)
		for (k = 0; k < MON_N; k++)
			mon_boot_run(run % 2 ? MON_N - 1 - k : k, run);
	for (run = 0; run < n; run++)
		for (k = 0; k < MON_N; k++)
			mon_vm_run(run % 2 ? MON_N - 1 - k : k, run, rootdir,
				   bench, tmp, mib, nfiles, msize);
	mon_loadavg("at the end");

	printf("%-34s %-26s %-26s %6s  %-8s %s\n", "figure", mon_name[MON_QEMU],
	       mon_name[MON_VMM], "ratio", "target", "met");
	printf("boot, 256 MiB guest, serial console only:\n");
	mon_row("  launch to ready line (s)", FIG_READY, n, true, 0.6);
	mon_row("  guest uptime at ready line (s)", FIG_UPTIME, n, true, 0);
	printf("memory, idle %d MiB guest, channel + two 9p shares:\n",
	       MON_MEM_MIB);
	mon_row("  RSS total (MiB)", FIG_RSS, n, true, 0);
	mon_row("  guest RAM RSS (MiB)", FIG_GUEST, n, true, 0);
	mon_row("  monitor's own: difference (MiB)", FIG_OWN, n, true,
		1.0 / 3.0);
	printf("9p, share on the test host's tmpfs, msize %u, cache=none:\n",
	       mon_msize);
	snprintf(what, sizeof(what), "  seq write %u MiB (MiB/s)", mib);
	mon_row(what, FIG_WRITE, n, false, 1.0);
	snprintf(what, sizeof(what), "  seq read %u MiB (MiB/s)", mib);
	mon_row(what, FIG_READ, n, false, 1.0);
	snprintf(what, sizeof(what), "  %u files create+stat+rm (s)", nfiles);
	mon_row(what, FIG_META, n, true, 1.0);
	rootfs_remove(rootdir);
	snprintf(path, sizeof(path), "%s/r", bench);
	unlink(path);
	rmdir(bench);
	return 0;
}
