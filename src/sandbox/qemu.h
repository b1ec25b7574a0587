/*
 * qemu.h: the QEMU backend: qemu-system-x86_64 -M microvm,acpi=off, with
 * KVM when /dev/kvm is usable, else TCG (-cpu max). The QEMU binary is
 * MOAT_QEMU from the environment, else qemu-system-x86_64 in PATH.
 */
#ifndef MOAT_SANDBOX_QEMU_H
#define MOAT_SANDBOX_QEMU_H

#include "sandbox.h"

extern const struct sandbox_ops sandbox_qemu;

#endif
