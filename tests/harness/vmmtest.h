/*
 * vmmtest.h: helpers of the nested-KVM tests that run moat-vmm as a child:
 * show its guest console, connect to a unix socket it serves, check that
 * each of its threads runs under a seccomp filter. They fail the test
 * (FAIL) on error.
 */
#ifndef MOAT_TEST_VMMTEST_H
#define MOAT_TEST_VMMTEST_H

#include <sys/types.h>

/* Print the first 64 KiB of the console log at path as a TAP diagnostic. */
void vmmtest_show_log(const char *path);

/* Connect to the unix socket at path, retrying for 30 s while moat-vmm
 * (vmm) runs; log (may be NULL) is shown if it exits first. */
int vmmtest_connect(const char *path, pid_t vmm, const char *log);

/* Every thread of pid runs under a seccomp filter (mode 2); returns the
 * number of threads. */
int vmmtest_threads_filtered(pid_t pid);

#endif
