/*
 * qemu.h: the QEMU backend: qemu-system-x86_64 -M microvm,acpi=off, with
 * KVM when the host can run it (sandbox_kvm_errno), else TCG (-cpu max). The
 * QEMU binary and virtiofsd are the config's qemu and virtiofsd
 * (sandbox_config_init(): MOAT_QEMU / MOAT_VIRTIOFSD, else moat.conf), else
 * qemu-system-x86_64 in PATH and /usr/lib/qemu/virtiofsd.
 */
#ifndef MOAT_SANDBOX_QEMU_H
#define MOAT_SANDBOX_QEMU_H

#include "sandbox.h"

extern const struct sandbox_ops sandbox_qemu;

#endif
