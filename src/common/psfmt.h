/*
 * psfmt.h: `moat ps`'s table (src/common/psfmt.c): ps(1)'s options read
 * into a list of columns, a process's /proc/PID/stat and status read into
 * a record, and the table's header and rows written as procps-ng's ps
 * writes them (the column names, headers and value formats of ps(1) and
 * of `ps -ef`, which runc's ps runs by default).
 *
 * The agent formats the table in the guest, where the processes are (the
 * guest's initramfs has no ps(1)); the CLI writes the header alone for a
 * stopped container, as runc's ps does when no process is left. Pure: no
 * syscalls, no allocation, no globals.
 *
 * Inputs: the options come from the `moat ps` command line (the host's
 * user); /proc text and the passwd/group files from the guest (the files
 * from the container's root): every field bounded, every text byte that
 * is not printable written as '?'.
 */
#ifndef MOAT_COMMON_PSFMT_H
#define MOAT_COMMON_PSFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PSFMT_COLS_MAX 64 /* columns in one table */
#define PSFMT_HEAD_MAX 32 /* a column's header */
#define PSFMT_SEL_MAX 64  /* pids selected by -p */
#define PSFMT_COMM_MAX 64 /* comm (the kernel's TASK_COMM_LEN is 16) */
#define PSFMT_ERR_MAX 160 /* psfmt_parse()'s error text */

enum psfmt_kind {
	PSFMT_PID = 1,
	PSFMT_PPID,
	PSFMT_PGID,
	PSFMT_SID,
	PSFMT_TTY,
	PSFMT_STAT,    /* state and flags, BSD (S<Ll) */
	PSFMT_S,       /* state letter */
	PSFMT_TIME,    /* cpu time, [DD-]HH:MM:SS */
	PSFMT_BSDTIME, /* cpu time, M:SS */
	PSFMT_ETIME,   /* elapsed, [[DD-]HH:]MM:SS */
	PSFMT_ETIMES,  /* elapsed, seconds */
	PSFMT_COMM,
	PSFMT_ARGS,
	PSFMT_UID,
	PSFMT_USER,
	PSFMT_RUID,
	PSFMT_RUSER,
	PSFMT_GID,
	PSFMT_GROUP,
	PSFMT_C,    /* cpu %, integer */
	PSFMT_PCPU, /* cpu %, one decimal */
	PSFMT_PMEM,
	PSFMT_VSZ, /* KiB */
	PSFMT_RSS, /* KiB */
	PSFMT_SZ,  /* pages */
	PSFMT_NLWP,
	PSFMT_NI,
	PSFMT_PRI,
	PSFMT_F,
	PSFMT_STIME, /* start, HH:MM today, else MonDD, else the year */
	PSFMT_START, /* the same, BSD's */
	PSFMT_WCHAN,
	PSFMT_PSR,
	PSFMT_ADDR,
	PSFMT_KINDS,
};

struct psfmt_col {
	enum psfmt_kind kind;
	char head[PSFMT_HEAD_MAX];
};

/* What the options ask: the columns, the header or not, and the pids -p
 * selects (none: every process of the container). Selections that pick
 * processes by terminal or user (ps without -e) mean nothing for a
 * container's processes: every one is listed, as with -e. */
struct psfmt_spec {
	struct psfmt_col cols[PSFMT_COLS_MAX];
	size_t ncols;
	bool no_header;
	uint32_t sel[PSFMT_SEL_MAX];
	size_t nsel;
};

/*
 * Read ps(1)'s options argv[0..argc) (procps-ng's syntax: UNIX options
 * "-ef", "-o pid,comm", "-p 1,2"; BSD ones "aux"; GNU "--format=LIST",
 * "--pid", "--no-headers") into *sp. Returns 0, or -1 with a message for
 * the user in err ("unsupported option -N", "unknown column foo"). No
 * options at all is runc's default, -ef.
 */
int psfmt_parse(const char *const *argv, size_t argc, struct psfmt_spec *sp,
		char *err, size_t errcap);

/* true when sp selects pid (no -p, or pid in its list). */
bool psfmt_selected(const struct psfmt_spec *sp, uint32_t pid);

/* One process, from its /proc files. */
struct psfmt_proc {
	uint32_t pid, ppid, pgid, sid;
	uint32_t tty; /* tty_nr: the kernel's dev_t encoding */
	char state;
	uint32_t flags;
	uint64_t utime, stime; /* clock ticks */
	int64_t priority, nice;
	uint32_t nlwp, psr;
	uint64_t start; /* clock ticks after boot */
	uint64_t vsize; /* bytes */
	uint64_t rss;	/* pages */
	uint32_t uid, euid, gid, egid;
	int32_t vmlck; /* VmLck kB from status: 'L' in STAT */
	bool leader;   /* pid == sid: 's' in STAT */
	bool fg;       /* in its terminal's foreground group: '+' */
	char comm[PSFMT_COMM_MAX];
	const char *args; /* cmdline: NUL-separated, args_len bytes */
	size_t args_len;
	const char *wchan; /* NUL-terminated, NULL: "-" */
};

/* The machine's figures the columns need. */
struct psfmt_sys {
	uint64_t hz;	    /* clock ticks per second */
	uint64_t page;	    /* page size, bytes */
	uint64_t boot;	    /* boot time, seconds since the epoch */
	uint64_t now;	    /* seconds since the epoch */
	uint64_t uptime;    /* seconds since boot */
	uint64_t mem_kb;    /* MemTotal */
	const char *passwd; /* /etc/passwd text (NUL-terminated) or NULL */
	const char *group;  /* /etc/group text or NULL */
};

/*
 * Read /proc/PID/stat's text (buf[0..len), no NUL needed) into p: pid,
 * comm (up to the last ')'), state and the numbers after it. 0 or -1.
 */
int psfmt_stat_parse(const char *buf, size_t len, struct psfmt_proc *p);
/* Read /proc/PID/status's Uid:, Gid: and VmLck: lines into p. 0 or -1
 * (no Uid: or Gid: line). */
int psfmt_status_parse(const char *buf, size_t len, struct psfmt_proc *p);

/*
 * Write the header line (with its newline) or one process's row into
 * buf[0..cap), NUL-terminated. Returns the length, or -1 when it does
 * not fit (nothing is half-written: buf[0] is NUL).
 */
int psfmt_header(const struct psfmt_spec *sp, char *buf, size_t cap);
int psfmt_row(const struct psfmt_spec *sp, const struct psfmt_sys *sys,
	      const struct psfmt_proc *p, char *buf, size_t cap);

#endif
