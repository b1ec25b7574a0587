/*
 * boot.c: boot-time benchmark. Boots the guest N times under QEMU with the
 * given accelerator and prints, for launch-to-ready-line (host clock) and
 * the guest's own uptime at its ready line, the median, min and max.
 *
 * Usage: boot tcg|kvm|vmm [N]   (MOAT_KERNEL and MOAT_INITRAMFS name the
 * guest; vmm boots it under moat-vmm, MOAT_VMM, instead of QEMU+KVM)
 * A boot that fails fails the benchmark: no partial figure is printed.
 */
#include "../tests/harness/vmrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int boot_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void boot_report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), boot_cmp);
	printf("%-28s median %7.3f s  min %7.3f s  max %7.3f s  (n=%d)\n", what,
	       n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1],
	       n);
}

int main(int argc, char **argv)
{
	const char *accel = argc > 1 ? argv[1] : "tcg";
	int n = argc > 2 ? atoi(argv[2]) : 5, i;
	double *ready, *uptime;

	if (n < 1 || n > 1000 ||
	    (strcmp(accel, "tcg") != 0 && strcmp(accel, "kvm") != 0 &&
	     strcmp(accel, "vmm") != 0)) {
		fprintf(stderr, "usage: boot tcg|kvm|vmm [N]\n");
		return 2;
	}
	ready = calloc((size_t)n, sizeof(*ready));
	uptime = calloc((size_t)n, sizeof(*uptime));
	if (!ready || !uptime)
		return 1;
	for (i = 0; i < n; i++) {
		struct vmrun_result r;

		int st = strcmp(accel, "vmm") == 0
				 ? vmrun_vmm_guest(1, "quiet", 300, &r)
				 : vmrun_qemu_guest(accel, 300, &r);

		if (st < 0 || !r.ready || !r.exited || !WIFEXITED(r.status) ||
		    WEXITSTATUS(r.status) != 0) {
			fprintf(stderr, "boot: run %d failed; console:\n%s\n",
				i + 1, r.out ? r.out : "");
			return 1;
		}
		ready[i] = r.ready_s;
		uptime[i] = (double)r.uptime_ms / 1000.0;
		free(r.out);
	}
	printf("guest boot, %s\n", strcmp(accel, "vmm") == 0 ? "moat-vmm (KVM)"
				   : strcmp(accel, "kvm") == 0
					   ? "QEMU microvm, accel=kvm"
					   : "QEMU microvm, accel=tcg");
	boot_report("launch to ready line (host)", ready, n);
	boot_report("guest uptime at ready line", uptime, n);
	return 0;
}
