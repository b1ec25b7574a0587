/*
 * suite.c: the whole-system benchmark for one runtime, driven through its
 * OCI CLI with a bundle (`RUNTIME --root R run --bundle B ID`, as engines
 * call it): crun from PATH, or moat ($MOAT_CLI, with $MOAT_SHIM,
 * $MOAT_KERNEL and $MOAT_INITRAMFS) on the backend MOAT_HYPERVISOR names.
 *
 * Usage: suite crun|moat-qemu|moat-vmm RUNS OUT_MIB MIB FILES LEVELS CAP
 * (as root)
 *   RUNS    samples of each timed workload
 *   OUT_MIB size of the stdout stream
 *   MIB     size of the file I/O workload's file
 *   FILES   small files of the metadata workload
 *   LEVELS  concurrency levels, separated by commas or colons ("1,4,16")
 *   CAP     most idle 128 MiB containers the density run starts
 *
 * Workloads (bench/run's table names them the same):
 *   start       `run` of busybox `true`, fork of the CLI to its exit (the
 *               container deleted with it, as `run --rm`)
 *   first-out   `run` of `echo ready`, fork to the line read on the host
 *   exec        `exec ID true` into a running container, fork to exit
 *   stdout      OUT_MIB MiB of `dd` through the container's stdout to a pipe,
 *               from a marker line to EOF (start-up excluded)
 *   rootfs-*, volume-*   in the container's root filesystem and in a bind
 *               mounted host directory: sequential write (dd, fsync) and
 *               read of MIB MiB, create / stat (ls -l) / delete of FILES
 *               files (stat: one `ls -l`); each step timed by the
 *               container's own clock (SUITE_CLOCK, microseconds)
 *   mem-*       host PSS of every process an idle container adds (the
 *               suite is their subreaper, so each is our descendant),
 *               without and with the guest's RAM (mappings of 64 MiB or
 *               more: the VM's memory, shared by QEMU and virtiofsd)
 *   create-K    K containers `run` at once, to the last one's exit: rate
 *   density     idle containers with a 128 MiB memory limit started one
 *               after another until the first failure or CAP
 *
 * Output: CSV rows "ENV,RUNTIME,WORKLOAD,UNIT,MEDIAN,MIN,MAX,N" on stdout
 * (ENV from $BENCH_ENV, default "host"). Any failure (a non-zero exit, a
 * short stream, a missing marker) ends the suite with status 1 and no
 * further row; bench/run discards every row of a failed suite.
 *
 * Inputs: the runtimes' exit statuses and the containers' output (read
 * with bounds); /proc of our own descendants.
 */
#include "bench.h"
#include "../tests/harness/ociconf.h"
#include "../tests/harness/rootfs.h"
#include "../tests/harness/test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SUITE_MAX_RUNS 100
#define SUITE_GUEST_MAP (64ULL << 20) /* a mapping this big is guest RAM */

static const char *suite_rt;  /* crun, moat-qemu, moat-vmm */
static const char *suite_env; /* host, testhost */
static char suite_dir[256];   /* rootfs_make's: bundle in b/ */
static char suite_root[300];  /* the runtime's --root */
static char suite_err[300];   /* the last command's stderr */
static int suite_seq;

static const char *suite_dir_b(void)
{
	static char b[300];

	snprintf(b, sizeof(b), "%s/b", suite_dir);
	return b;
}

/* --- running the runtime -------------------------------------------------- */

static void suite_config(json_t *cfg)
{
	ociconf_write(cfg, suite_dir_b());
}

static json_t *suite_base(const char *script)
{
	const char *const args[] = { "sh", "-c", script, NULL };

	return ociconf_base(args);
}

static void suite_id(char *id, size_t cap)
{
	snprintf(id, cap, "bench-%d-%d", (int)getpid(), ++suite_seq);
}

/*
 * A stalled run (a VM that stops, in the nested test host) must end the
 * suite rather than hang it: every spawn arms the watchdog (bench_watch)
 * for suite_limit s ($BENCH_RUN_LIMIT, default 600: the longest command
 * here, a run of the file steps in the test host, takes under 5 minutes),
 * naming the command; its status 3 tells bench/whole it was a stall.
 */
static unsigned suite_limit = 600;

/*
 * Fork the runtime with argv after "<cli> --root R" (NULL-terminated);
 * stdout to out (-1: /dev/null), stderr to suite_err. Returns the pid.
 */
static pid_t suite_spawn(const char *const *argv, int out)
{
	const char *v[24];
	int n = 0, null;
	pid_t pid;

	if (!strcmp(suite_rt, "crun")) {
		v[n++] = "crun";
	} else {
		v[n++] = getenv("MOAT_CLI");
	}
	v[n++] = "--root";
	v[n++] = suite_root;
	while (*argv && n < 23)
		v[n++] = *argv++;
	v[n] = NULL;
	pid = fork();
	ASSERT_OK(pid);
	if (pid) {
		bench_watch(suite_limit, "suite: %s: `%s %s`", suite_rt, v[3],
			    n > 4 ? v[n - 1] : "");
		return pid;
	}
	null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(out >= 0 ? out : null, 1);
	n = open(suite_err, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	dup2(n, 2);
	execvp(v[0], (char *const *)v);
	_exit(127);
}

/* FAIL, with the runtime's stderr, unless st is a zero exit status. */
static void suite_check(int st, const char *what)
{
	char buf[2048] = "", cmd[400];
	ssize_t n;
	int fd;

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	fd = open(suite_err, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;
	buf[n > 0 ? n : 0] = '\0';
	/* moat's error names the VM's console log: show the last lines */
	snprintf(cmd, sizeof(cmd),
		 "tail -n 25 %s/*/console.log >&2 2>/dev/null", suite_root);
	if (system(cmd)) {
		/* none (crun), or unreadable: the error below stands */
	}
	FAIL("%s %s: status 0x%x; stderr: %s", suite_rt, what, st, buf);
}

/* Wait for pid; FAIL, with its stderr, unless it exits 0. */
static void suite_expect(pid_t pid, const char *what)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		ASSERT(errno == EINTR);
	suite_check(st, what);
}

static void suite_run(const char *const *argv, const char *what)
{
	suite_expect(suite_spawn(argv, -1), what);
}

/* Reap what the subreaper inherited. */
static void suite_reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void suite_remove(const char *id)
{
	pid_t pid = suite_spawn(
		(const char *const[]){ "delete", "--force", id, NULL }, -1);

	waitpid(pid, NULL, 0);
	suite_reap();
}

/* `run -d` of the bundle as id; 0 or the failing status. */
static int suite_start_detached(const char *id)
{
	int st;
	pid_t pid =
		suite_spawn((const char *const[]){ "run", "-d", "--bundle",
						   suite_dir_b(), id, NULL },
			    -1);

	waitpid(pid, &st, 0);
	return st;
}

/* `run` of the bundle as a new id, its stdout into a pipe whose read end
 * is *fd. Returns the CLI's pid. */
static pid_t suite_run_piped(char *id, size_t cap, int *fd)
{
	int p[2];
	pid_t pid;

	suite_id(id, cap);
	ASSERT_OK(pipe2(p, O_CLOEXEC));
	pid = suite_spawn((const char *const[]){ "run", "--bundle",
						 suite_dir_b(), id, NULL },
			  p[1]);
	close(p[1]);
	*fd = p[0];
	return pid;
}

/* --- reading markers -------------------------------------------------------
 */

/*
 * Read lines from fd, the stdout of the CLI pid (what: its command), until
 * every marker in marks was seen, in order. A line "MARK" stamps at[] with
 * the host's clock as it arrives; a line "MARK SECONDS" with the
 * container's own clock (SUITE_CLOCK). Output that ends early fails with
 * the CLI's status, stderr and the VM's console when it failed.
 */
static void suite_markers(int fd, pid_t pid, const char *what,
			  const char *const *marks, double *at)
{
	char line[256], *end;
	size_t len = 0, ml;
	int k = 0;
	char c;

	while (marks[k]) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			suite_expect(pid, what);
			FAIL("%s: %s: output ended before marker \"%s\"",
			     suite_rt, what, marks[k]);
		}
		if (c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = c;
			continue;
		}
		line[len] = '\0';
		len = 0;
		ml = strlen(marks[k]);
		if (!strcmp(line, marks[k])) {
			at[k++] = bench_now();
			continue;
		}
		if (strncmp(line, marks[k], ml) || line[ml] != ' ')
			FAIL("%s: line \"%s\" where \"%s\" was due", suite_rt,
			     line, marks[k]);
		at[k] = strtod(line + ml + 1, &end);
		if (end == line + ml + 1 || *end)
			FAIL("%s: bad clock in \"%s\"", suite_rt, line);
		k++;
	}
}

/* --- output ----------------------------------------------------------------
 */

static void suite_row(const char *work, const char *unit, double *v, int n)
{
	struct bench_fig f = bench_summary(v, n);

	printf("%s,%s,%s,%s,%.6g,%.6g,%.6g,%d\n", suite_env, suite_rt, work,
	       unit, f.med, f.min, f.max, f.n);
	fflush(stdout);
}

/* --- workloads -------------------------------------------------------------
 */

static void suite_start(int runs)
{
	double v[SUITE_MAX_RUNS];
	char id[64];
	int i;

	suite_config(ociconf_base((const char *const[]){ "true", NULL }));
	for (i = 0; i < runs; i++) {
		double t = bench_now();

		suite_id(id, sizeof(id));
		suite_run((const char *const[]){ "run", "--bundle",
						 suite_dir_b(), id, NULL },
			  "run true");
		v[i] = (bench_now() - t) * 1e3;
		suite_remove(id);
	}
	suite_row("start", "ms", v, runs);
}

static void suite_first_output(int runs)
{
	static const char *const marks[] = { "ready", NULL };
	double v[SUITE_MAX_RUNS], at;
	char id[64];
	int i, fd;

	suite_config(
		ociconf_base((const char *const[]){ "echo", "ready", NULL }));
	for (i = 0; i < runs; i++) {
		double t = bench_now();
		pid_t pid;

		pid = suite_run_piped(id, sizeof(id), &fd);
		suite_markers(fd, pid, "run echo ready", marks, &at);
		v[i] = (at - t) * 1e3;
		close(fd);
		suite_expect(pid, "run echo ready");
		suite_remove(id);
	}
	suite_row("first-output", "ms", v, runs);
}

static void suite_exec(int runs)
{
	double v[SUITE_MAX_RUNS];
	char id[64];
	int i;

	suite_config(ociconf_base(
		(const char *const[]){ "sleep", "1000000", NULL }));
	suite_id(id, sizeof(id));
	suite_check(suite_start_detached(id), "run -d sleep");
	for (i = 0; i < runs; i++) {
		double t = bench_now();

		suite_run(
			(const char *const[]){ "exec", id, "/bin/true", NULL },
			"exec true");
		v[i] = (bench_now() - t) * 1e3;
	}
	suite_remove(id);
	suite_row("exec", "ms", v, runs);
}

static void suite_stdout(int runs, int mib)
{
	static const char *const marks[] = { "go", NULL };
	static char buf[1 << 17];
	double v[SUITE_MAX_RUNS], at;
	char script[128], id[64];
	int i, fd;

	snprintf(script, sizeof(script),
		 "echo go; exec dd if=/dev/zero bs=1048576 count=%d "
		 "2>/dev/null",
		 mib);
	suite_config(suite_base(script));
	for (i = 0; i < runs; i++) {
		unsigned long long got = 0;
		ssize_t n;
		pid_t pid;

		pid = suite_run_piped(id, sizeof(id), &fd);
		suite_markers(fd, pid, "run dd", marks, &at);
		while ((n = read(fd, buf, sizeof(buf))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			ASSERT(n > 0);
			got += (unsigned long long)n;
		}
		v[i] = (double)got / (1 << 20) / (bench_now() - at);
		close(fd);
		suite_expect(pid, "run dd");
		if (got != (unsigned long long)mib << 20)
			FAIL("%s: stdout carried %llu bytes of %d MiB",
			     suite_rt, got, mib);
		suite_remove(id);
	}
	suite_row("stdout", "MiB/s", v, runs);
}

/*
 * The container's clock: `t MARK` prints "MARK SECONDS" from the wall clock
 * in microseconds, read with adjtimex(2) (busybox's applet; read-only, no
 * privilege needed). /proc/uptime's 10 ms were too coarse for crun's
 * steps, and busybox's date has no %N here.
 */
#define SUITE_CLOCK                                               \
	"t() { busybox adjtimex | while read a b; do case $a in " \
	"time.tv_sec:) s=$b;; time.tv_usec:) "                    \
	"printf '%s %s.%06d\\n' $1 $s $b;; esac; done; };"

/* File I/O in dir (in the container): 5 steps between 6 markers. */
static void suite_fileio(int runs, int mib, int files, const char *where,
			 const char *dir)
{
	static const char *const marks[] = {
		"s", "w", "r", "c", "t", "d", NULL
	};
	static const char *const names[] = { "write", "read", "create", "stat",
					     "delete" };
	static const char *const units[] = { "MiB/s", "MiB/s", "files/s",
					     "files/s", "files/s" };
	double v[5][SUITE_MAX_RUNS], at[6];
	char script[1024], id[64], name[64], vol[320];
	int i, k, fd;
	json_t *cfg;

	snprintf(script, sizeof(script),
		 "set -e; %s cd %s; t s; dd if=/dev/zero of=f bs=1048576 "
		 "count=%d conv=fsync 2>/dev/null; t w; dd if=f of=/dev/null "
		 "bs=1048576 2>/dev/null; t r; rm f; mkdir m; i=0; "
		 "while [ $i -lt %d ]; do : > m/$i; i=$((i+1)); done; t c; "
		 "ls -l m >/dev/null; t t; rm -r m; t d",
		 SUITE_CLOCK, dir, mib, files);
	cfg = suite_base(script);
	snprintf(vol, sizeof(vol), "%s/vol", suite_dir);
	mkdir(vol, 0755);
	json_array_append_new(json_object_get(cfg, "mounts"),
			      json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination",
					"/vol", "type", "bind", "source", vol,
					"options", "rbind", "rw"));
	suite_config(cfg);
	for (i = 0; i < runs; i++) {
		pid_t pid;

		pid = suite_run_piped(id, sizeof(id), &fd);
		suite_markers(fd, pid, "run file I/O", marks, at);
		close(fd);
		suite_expect(pid, "run file I/O");
		for (k = 0; k < 5; k++) {
			double s = at[k + 1] - at[k];

			if (s <= 0)
				FAIL("%s: %s-%s took no time on the container's "
				     "clock: give it more work",
				     suite_rt, where, names[k]);
			v[k][i] = (k < 2 ? mib : files) / s;
		}
		suite_remove(id);
	}
	for (k = 0; k < 5; k++) {
		snprintf(name, sizeof(name), "%s-%s", where, names[k]);
		suite_row(name, units[k], v[k], runs);
	}
}

/* --- memory ----------------------------------------------------------------
 */

static pid_t suite_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd, ppid = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')'); /* comm may hold anything */
	if (!p || sscanf(p, ") %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

static int suite_ours(pid_t pid)
{
	int hops;

	for (hops = 0; pid > 1 && hops < 64; hops++) {
		pid = suite_ppid(pid);
		if (pid == getpid())
			return 1;
	}
	return 0;
}

/* Add pid's PSS (kB) to all, and that of its big mappings to guest. */
static void suite_pss(pid_t pid, double *all, double *guest)
{
	char path[64], line[512];
	unsigned long long a, b, kb;
	int big = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		FAIL("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx ", &a, &b) == 2 &&
		    strchr(line, ' ') > strchr(line, '-'))
			big = b - a >= SUITE_GUEST_MAP;
		else if (sscanf(line, "Pss: %llu kB", &kb) == 1) {
			*all += (double)kb;
			if (big)
				*guest += (double)kb;
		}
	}
	fclose(f);
}

static void suite_memory(int runs)
{
	double ex[SUITE_MAX_RUNS], in[SUITE_MAX_RUNS];
	char id[64];
	int i;

	suite_config(ociconf_base(
		(const char *const[]){ "sleep", "1000000", NULL }));
	for (i = 0; i < runs; i++) {
		double all = 0, guest = 0;
		struct dirent *d;
		int procs = 0;
		DIR *dir;

		suite_id(id, sizeof(id));
		suite_check(suite_start_detached(id), "run -d sleep");
		sleep(2); /* idle: let the guest settle */
		suite_reap();
		dir = opendir("/proc");
		ASSERT(dir);
		while ((d = readdir(dir))) {
			pid_t pid = atoi(d->d_name);

			if (pid > 0 && pid != getpid() && suite_ours(pid)) {
				suite_pss(pid, &all, &guest);
				procs++;
			}
		}
		closedir(dir);
		if (!procs)
			FAIL("%s: the idle container added no process",
			     suite_rt);
		ex[i] = (all - guest) / 1024;
		in[i] = all / 1024;
		suite_remove(id);
	}
	suite_row("mem-excl-guest", "MiB", ex, runs);
	suite_row("mem-incl-guest", "MiB", in, runs);
}

/* --- creation rate and density ---------------------------------------------
 */

static void suite_create(int runs, int k)
{
	double v[SUITE_MAX_RUNS];
	char ids[64][64], name[32];
	pid_t pids[64];
	int i, j;

	suite_config(ociconf_base((const char *const[]){ "true", NULL }));
	for (i = 0; i < runs; i++) {
		double t = bench_now();

		for (j = 0; j < k; j++) {
			suite_id(ids[j], sizeof(ids[j]));
			pids[j] = suite_spawn(
				(const char *const[]){ "run", "--bundle",
						       suite_dir_b(), ids[j],
						       NULL },
				-1);
		}
		for (j = 0; j < k; j++)
			suite_expect(pids[j], "run true (concurrent)");
		v[i] = k / (bench_now() - t);
		for (j = 0; j < k; j++)
			suite_remove(ids[j]);
	}
	snprintf(name, sizeof(name), "create-%d", k);
	suite_row(name, "ctr/s", v, runs);
}

static void suite_density(int cap)
{
	char ids[64][64];
	double v;
	int n, st = 0;
	json_t *cfg =
		ociconf_base((const char *const[]){ "sleep", "1000000", NULL });

	ociconf_set(cfg, "linux.resources.memory.limit",
		    json_integer(128LL << 20));
	suite_config(cfg);
	for (n = 0; n < cap; n++) {
		suite_id(ids[n], sizeof(ids[n]));
		st = suite_start_detached(ids[n]);
		if (st) {
			fprintf(stderr,
				"# %s density: container %d failed "
				"(status 0x%x)\n",
				suite_rt, n + 1, st);
			suite_remove(ids[n]);
			break;
		}
	}
	v = n;
	while (n-- > 0)
		suite_remove(ids[n]);
	suite_row("density", "ctrs", &v, 1);
}

/* --- main ------------------------------------------------------------------
 */

int main(int argc, char **argv)
{
	int runs, out_mib, mib, files, cap;
	char *lv, *tok;

	if (argc != 8 ||
	    (strcmp(argv[1], "crun") && strcmp(argv[1], "moat-qemu") &&
	     strcmp(argv[1], "moat-vmm"))) {
		fprintf(stderr, "usage: suite crun|moat-qemu|moat-vmm RUNS "
				"OUT_MIB MIB FILES LEVELS CAP\n");
		return 2;
	}
	suite_rt = argv[1];
	runs = atoi(argv[2]);
	out_mib = atoi(argv[3]);
	mib = atoi(argv[4]);
	files = atoi(argv[5]);
	cap = atoi(argv[7]);
	if (runs < 1 || runs > SUITE_MAX_RUNS || out_mib < 1 || mib < 1 ||
	    files < 1 || cap < 1 || cap > 64) {
		fprintf(stderr,
			"suite: bad RUNS, OUT_MIB, MIB, FILES or CAP\n");
		return 2;
	}
	suite_env = getenv("BENCH_ENV") ? getenv("BENCH_ENV") : "host";
	if (getenv("BENCH_RUN_LIMIT"))
		suite_limit = (unsigned)atoi(getenv("BENCH_RUN_LIMIT"));
	if (suite_limit < 1) {
		fprintf(stderr, "suite: bad BENCH_RUN_LIMIT\n");
		return 2;
	}
	if (strcmp(suite_rt, "crun")) {
		if (!getenv("MOAT_CLI"))
			FAIL("MOAT_CLI is not set");
		setenv("MOAT_HYPERVISOR",
		       strcmp(suite_rt, "moat-vmm") ? "qemu" : "moat-vmm", 1);
	}
	/* crun exec looks the program up in the container with our PATH
	 * (the test host's lacks /bin, where busybox is) */
	setenv("PATH",
	       "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	       1);
	ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1));
	rootfs_make(suite_dir, sizeof(suite_dir));
	snprintf(suite_root, sizeof(suite_root), "%s/state", suite_dir);
	snprintf(suite_err, sizeof(suite_err), "%s/stderr", suite_dir);
	suite_start(runs);
	suite_first_output(runs);
	suite_exec(runs);
	suite_stdout(runs, out_mib);
	suite_fileio(runs, mib, files, "rootfs", "/root");
	suite_fileio(runs, mib, files, "volume", "/vol");
	suite_memory(runs);
	lv = strdup(argv[6]);
	for (tok = strtok(lv, ",:"); tok; tok = strtok(NULL, ",:")) {
		int k = atoi(tok);

		if (k < 1 || k > 64)
			FAIL("bad concurrency level %s", tok);
		suite_create(runs, k);
	}
	free(lv);
	suite_density(cap);
	rootfs_remove(suite_dir);
	return 0;
}
