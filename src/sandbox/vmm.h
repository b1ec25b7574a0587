/*
 * vmm.h: the moat-vmm backend: moat's own microVM monitor (src/vmm/) on
 * KVM. The binary is the config's vmm (sandbox_config_init(): MOAT_VMM,
 * else moat.conf's vmm, else moat-vmm beside the calling program), else
 * moat-vmm in PATH. Needs /dev/kvm; there is no TCG fallback (use the
 * QEMU backend without KVM).
 */
#ifndef MOAT_SANDBOX_VMM_H
#define MOAT_SANDBOX_VMM_H

#include "sandbox.h"

extern const struct sandbox_ops sandbox_vmm;

#endif
