/*
 * boot.h: put a Linux guest into memory for the 64-bit boot protocol:
 * the bzImage's protected-mode code at 1 MiB, the initrd high in low RAM,
 * the command line, the zero page with the e820 map, identity page tables
 * for the first 4 GiB, the boot GDT, and the MP table.
 * Inputs: the kernel and initrd files named by the configuration.
 */
#ifndef MOAT_VMM_BOOT_H
#define MOAT_VMM_BOOT_H

#include <stdint.h>

#include "../../../common/err.h"
#include "../../mem/gmem.h"

struct boot_config {
	const char *kernel;  /* bzImage path */
	const char *initrd;  /* NULL: none */
	const char *cmdline; /* the whole command line */
	unsigned ncpus;
};

/* Load the guest; on success *entry is the boot vCPU's RIP. */
int boot_load(const struct gmem *m, const struct boot_config *c,
	      uint64_t *entry, struct moat_err **e);

#endif
