/*
 * vmrun.h: run a VM monitor (QEMU for now) as a child, collect its console
 * from stdout/stderr, and time the agent's ready line. Used by the VM and
 * nested-KVM tests and by bench/boot.
 */
#ifndef MOAT_TEST_VMRUN_H
#define MOAT_TEST_VMRUN_H

#include <stddef.h>
#include <stdint.h>

#define VMRUN_OUT_MAX (4u << 20)

struct vmrun_result {
	char *out; /* console bytes (NUL-terminated), caller frees */
	size_t out_len;
	int ready;	    /* the ready line was seen */
	int ready_bad;	    /* a malformed ready line was seen */
	uint64_t uptime_ms; /* guest uptime in the ready line */
	double ready_s;	    /* host seconds from spawn to the ready line */
	double exit_s;	    /* host seconds from spawn to exit */
	int exited;	    /* the monitor exited before the deadline */
	int status;	    /* its wait status */
};

/*
 * Start argv[0] (searched in PATH) with stdin from /dev/null, read its
 * output until it exits or timeout_s passes (then it is killed). Returns 0
 * when it could be started, -1 otherwise (errno set).
 */
int vmrun(char *const argv[], unsigned timeout_s, struct vmrun_result *r);

/* Path of a file the tests need, from the environment, or NULL. */
const char *vmrun_env_path(const char *var);

/*
 * Boot the guest (MOAT_KERNEL, MOAT_INITRAMFS) under QEMU -M microvm with
 * accel "tcg" or "kvm" and collect the result. Returns -1 with a message in
 * r->out when the environment does not name the guest image.
 */
int vmrun_qemu_guest(const char *accel, unsigned timeout_s,
		     struct vmrun_result *r);

/*
 * Boot the guest under moat-vmm (MOAT_VMM) with ncpus vCPUs, appending
 * cmdline (may be NULL) to the kernel command line. As vmrun_qemu_guest.
 */
int vmrun_vmm_guest(unsigned ncpus, const char *cmdline, unsigned timeout_s,
		    struct vmrun_result *r);

#endif
