/*
 * vmmtest.h: helpers of the nested-KVM tests that run moat-vmm as a child:
 * show its guest console, connect to a unix socket it serves, check that
 * each of its threads runs under a seccomp filter. They fail the test
 * (FAIL) on error.
 */
#ifndef MOAT_TEST_VMMTEST_H
#define MOAT_TEST_VMMTEST_H

#include <sys/types.h>

/*
 * moat-vmm's command line for a test: MOAT_VMM booting MOAT_KERNEL and
 * MOAT_INITRAMFS (the test fails when one is not set), then the options
 * added in order. Strings given to vmmtest_cmd_add must outlive the spawn.
 */
struct vmmtest_cmd {
	const char *argv[48];
	int n;
	char con[400], vcon[400];
};
void vmmtest_cmd_init(struct vmmtest_cmd *c);
/* --opt value, or the flag --opt alone when value is NULL. */
void vmmtest_cmd_add(struct vmmtest_cmd *c, const char *opt, const char *value);
/* The serial console to the file log ("fd:N" as it is), the agent's
 * channel on the unix socket sock (NULL: none). */
void vmmtest_cmd_consoles(struct vmmtest_cmd *c, const char *log,
			  const char *sock);
/* Fork and exec it, stdin on /dev/null, fd keep_fd (>= 0) inherited;
 * returns its pid. */
pid_t vmmtest_cmd_spawn(struct vmmtest_cmd *c, int keep_fd);

/* Print the first 64 KiB of the console log at path as a TAP diagnostic. */
void vmmtest_show_log(const char *path);

/* Connect to the unix socket at path, retrying for 30 s while moat-vmm
 * (vmm) runs; log (may be NULL) is shown if it exits first. */
int vmmtest_connect(const char *path, pid_t vmm, const char *log);

/* moat-vmm's status line (with its newline) from the control socket at
 * ctl, into line (cap bytes, NUL-terminated). */
void vmmtest_status(const char *ctl, pid_t vmm, const char *log, char *line,
		    size_t cap);

/* The status line's counters named names[0..n) ("p9_req", ...) into
 * v[]; a counter missing from the line fails the test. */
void vmmtest_counters(const char *ctl, pid_t vmm, const char *log,
		      const char *const *names, unsigned long long *v,
		      size_t n);

/* Every thread of pid runs under a seccomp filter (mode 2); returns the
 * number of threads. */
int vmmtest_threads_filtered(pid_t pid);

#endif
