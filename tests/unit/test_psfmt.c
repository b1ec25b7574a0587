/*
 * test_psfmt.c: `moat ps`'s table (src/common/psfmt.c): ps(1)'s options
 * read as procps-ng reads them (the formats of -ef, -f, -l, -j, -x, aux,
 * -o lists with their headers, -p), /proc/PID/stat and status records
 * (comm with spaces and parentheses, short and malformed lines), and the
 * rows written as procps writes them, with the guest's text made
 * printable.
 */
#include "../harness/test.h"
#include "../../src/common/psfmt.h"

#include <stdio.h>
#include <string.h>

static struct psfmt_spec sp;
static char err[PSFMT_ERR_MAX];

/* Parse the options in s (space-separated words; "" none). */
static int parse(const char *s)
{
	static char buf[512];
	const char *argv[32];
	size_t n = 0;
	char *p;

	snprintf(buf, sizeof(buf), "%s", s);
	for (p = strtok(buf, " "); p && n < 32; p = strtok(NULL, " "))
		argv[n++] = p;
	return psfmt_parse(argv, n, &sp, err, sizeof(err));
}

static const char *header(void)
{
	static char buf[1024];

	ASSERT(psfmt_header(&sp, buf, sizeof(buf)) >= 0);
	return buf;
}

TEST(psfmt_formats_of_the_options_are_procps_headers)
{
	ASSERT_EQ(parse(""), 0); /* runc's default: -ef */
	ASSERT_STREQ(header(), "UID        PID  PPID  C STIME TTY          "
			       "TIME CMD\n");
	ASSERT_EQ(parse("-e -f"), 0);
	ASSERT_STREQ(header(), "UID        PID  PPID  C STIME TTY          "
			       "TIME CMD\n");
	ASSERT_EQ(parse("-e"), 0);
	ASSERT_STREQ(header(), "  PID TTY          TIME CMD\n");
	ASSERT_EQ(parse("-e -x"), 0); /* procps: -x is BSD's x */
	ASSERT_STREQ(header(), "  PID TTY      STAT   TIME COMMAND\n");
	ASSERT_EQ(parse("aux"), 0);
	ASSERT_STREQ(header(), "USER       PID %CPU %MEM    VSZ   RSS TTY      "
			       "STAT START   TIME COMMAND\n");
	ASSERT_EQ(parse("-l"), 0);
	ASSERT_STREQ(header(), "F S   UID   PID  PPID  C PRI  NI ADDR    SZ "
			       "WCHAN  TTY          TIME CMD\n");
	ASSERT_EQ(parse("-lf"), 0);
	ASSERT_STREQ(header(), "F S UID        PID  PPID  C PRI  NI ADDR    SZ "
			       "WCHAN  STIME TTY          TIME CMD\n");
	ASSERT_EQ(parse("-ej"), 0);
	ASSERT_STREQ(header(), "  PID  PGID   SID TTY          TIME CMD\n");
	ASSERT_EQ(parse("-o pid,comm"), 0);
	ASSERT_STREQ(header(), "  PID COMMAND\n");
	ASSERT_EQ(parse("-opid,ppid -o args"), 0); /* lists add up */
	ASSERT_STREQ(header(), "  PID  PPID COMMAND\n");
	ASSERT_EQ(parse("-o pid=X,comm=Y,args"), 0);
	ASSERT_STREQ(header(), "    X Y               COMMAND\n");
	ASSERT_EQ(parse("--format=pid,user"), 0);
	ASSERT_STREQ(header(), "  PID USER\n");
	ASSERT_EQ(parse("-f -o pid"), 0); /* -o wins */
	ASSERT_STREQ(header(), "  PID\n");
	ASSERT_EQ(parse("-o pid= -o comm="), 0); /* no header at all */
	ASSERT_STREQ(header(), "");
	ASSERT_EQ(parse("--no-headers -ef"), 0);
	ASSERT_STREQ(header(), "");
}

TEST(psfmt_bad_options_are_refused_clearly)
{
	ASSERT_EQ(parse("-N"), -1);
	ASSERT_STREQ(err, "unsupported option -N");
	ASSERT_EQ(parse("-o pid,bogus"), -1);
	ASSERT_STREQ(err, "unknown user-defined format specifier bogus");
	ASSERT_EQ(parse("-o"), -1);
	ASSERT_EQ(parse("-p 1,x"), -1);
	ASSERT_EQ(parse("--sort=pid"), -1);
	ASSERT_STREQ(err, "unsupported option --sort=pid");
	ASSERT_EQ(parse("e"), -1); /* BSD e: the environment */
	ASSERT_EQ(parse("-"), -1);
}

TEST(psfmt_pid_selection)
{
	ASSERT_EQ(parse("-ef"), 0);
	ASSERT(psfmt_selected(&sp, 7));
	ASSERT_EQ(parse("-p 1,3 --pid 9 -o pid"), 0);
	ASSERT(psfmt_selected(&sp, 1) && psfmt_selected(&sp, 3));
	ASSERT(psfmt_selected(&sp, 9) && !psfmt_selected(&sp, 2));
	ASSERT_EQ(parse("5"), 0); /* ps 5: BSD's pid list */
	ASSERT(psfmt_selected(&sp, 5) && !psfmt_selected(&sp, 1));
}

static const char stat_sleep[] =
	"42 (sle) (p) S 1 42 42 34816 42 4194560 100 0 0 0 250 50 0 0 20 0 "
	"1 0 1000 4009984 150 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 "
	"17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
static const char status_sleep[] = "Name:\tsle\nUmask:\t0022\nState:\tS\n"
				   "Uid:\t1000\t1000\t1000\t1000\n"
				   "Gid:\t100\t100\t100\t100\nVmLck:\t"
				   "       0 kB\n";

TEST(psfmt_proc_records)
{
	struct psfmt_proc p;

	ASSERT_EQ(psfmt_stat_parse(stat_sleep, strlen(stat_sleep), &p), 0);
	ASSERT_EQ(p.pid, 42);
	ASSERT_STREQ(p.comm, "sle) (p");
	ASSERT_EQ(p.state, 'S');
	ASSERT_EQ(p.ppid, 1);
	ASSERT_EQ(p.sid, 42);
	ASSERT_EQ(p.tty, 34816); /* 136,0: pts/0 */
	ASSERT(p.fg && p.leader);
	ASSERT_EQ(p.utime, 250);
	ASSERT_EQ(p.stime, 50);
	ASSERT_EQ(p.start, 1000);
	ASSERT_EQ(p.vsize, 4009984);
	ASSERT_EQ(p.rss, 150);
	ASSERT_EQ(p.psr, 1);
	ASSERT_EQ(psfmt_status_parse(status_sleep, strlen(status_sleep), &p),
		  0);
	ASSERT_EQ(p.uid, 1000);
	ASSERT_EQ(p.egid, 100);
	ASSERT_EQ(p.vmlck, 0);
	/* malformed: no comm, no pid, cut before rss, no Uid */
	ASSERT_EQ(psfmt_stat_parse("42 sle S 1", 10, &p), -1);
	ASSERT_EQ(psfmt_stat_parse("(x) S 1 2 3", 11, &p), -1);
	ASSERT_EQ(psfmt_stat_parse(stat_sleep, 60, &p), -1);
	ASSERT_EQ(psfmt_stat_parse("", 0, &p), -1);
	ASSERT_EQ(psfmt_status_parse("Gid:\t1\t1\t1\t1\n", 14, &p), -1);
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "averylongname:x:9:9::/:/bin/sh\n"
			     "bad name:x:7:7::/:/bin/sh\n"
			     "app:x:1000:100::/home/app:/bin/sh\n";

/* A row of the proc in stat_sleep / status_sleep with cmdline args. */
static const char *row(const char *opts, const char *args, size_t alen)
{
	static char buf[8192];
	struct psfmt_sys sys = { .hz = 100,
				 .page = 4096,
				 .boot = 1700000000,
				 .now = 1700000000 + 3700,
				 .uptime = 3700,
				 .mem_kb = 1000,
				 .passwd = passwd };
	struct psfmt_proc p;

	ASSERT_EQ(parse(opts), 0);
	ASSERT_EQ(psfmt_stat_parse(stat_sleep, strlen(stat_sleep), &p), 0);
	ASSERT_EQ(psfmt_status_parse(status_sleep, strlen(status_sleep), &p),
		  0);
	p.args = args;
	p.args_len = alen;
	ASSERT(psfmt_row(&sp, &sys, &p, buf, sizeof(buf)) > 0);
	return buf;
}

TEST(psfmt_rows_as_procps_writes_them)
{
	static const char args[] = "sleep\0"
				   "1000\0";

	/* started 10 s after boot (1000 ticks), 3 s of cpu, user app */
	ASSERT_STREQ(row("-ef", args, sizeof(args) - 1),
		     "app         42     1  0 22:13 pts/0    00:00:03 "
		     "sleep 1000\n");
	ASSERT_STREQ(row("-e", args, sizeof(args) - 1),
		     "   42 pts/0    00:00:03 sle) (p\n");
	ASSERT_STREQ(row("-e -x", args, sizeof(args) - 1),
		     "   42 pts/0    Ss+    0:03 sleep 1000\n");
	ASSERT_STREQ(row("-o pid,uid,gid,vsz,rss,sz,nlwp,ni,pri,etime,etimes",
			 args, sizeof(args) - 1),
		     "   42  1000   100   3916   600   979    1   0  80 "
		     "   01:01:30    3690\n");
	ASSERT_STREQ(row("-o pcpu,pmem,c,pid", args, sizeof(args) - 1),
		     " 0.0 60.0  0    42\n");
	/* no cmdline: [comm]; guest bytes that are not printable: '?' */
	ASSERT_STREQ(row("-o pid,args", "", 0), "   42 [sle) (p]\n");
	ASSERT_STREQ(row("-o args", "a\x1b[2J\0b\xff", 8), "a?[2J b?\n");
}

TEST(psfmt_names_and_small_buffers)
{
	struct psfmt_sys sys = { .hz = 100, .passwd = passwd };
	struct psfmt_proc p;
	char small[8];

	ASSERT_EQ(psfmt_stat_parse(stat_sleep, strlen(stat_sleep), &p), 0);
	p.euid = 7; /* a name with a space is not a name: the number */
	ASSERT_EQ(parse("-o user"), 0);
	{
		char buf[64];

		ASSERT(psfmt_row(&sp, &sys, &p, buf, sizeof(buf)) > 0);
		ASSERT_STREQ(buf, "7\n");
		p.euid = 5; /* none: the number */
		ASSERT(psfmt_row(&sp, &sys, &p, buf, sizeof(buf)) > 0);
		ASSERT_STREQ(buf, "5\n");
		p.euid = 0;
		ASSERT(psfmt_row(&sp, &sys, &p, buf, sizeof(buf)) > 0);
		ASSERT_STREQ(buf, "root\n");
		/* cut to the column but last: '+' for names, as procps */
		p.euid = 9;
		p.wchan = "hrtimer_nanosleep";
		ASSERT(psfmt_row(&sp, &sys, &p, buf, sizeof(buf)) > 0);
		ASSERT_STREQ(buf, "averylongname\n");
		ASSERT_EQ(parse("-o user,wchan,pid"), 0);
		ASSERT(psfmt_row(&sp, &sys, &p, buf, sizeof(buf)) > 0);
		ASSERT_STREQ(buf, "averylo+ hrtime    42\n");
	}
	ASSERT_EQ(parse("-ef"), 0);
	ASSERT_EQ(psfmt_row(&sp, &sys, &p, small, sizeof(small)), -1);
	ASSERT_STREQ(small, "");
	ASSERT_EQ(psfmt_header(&sp, small, sizeof(small)), -1);
}
