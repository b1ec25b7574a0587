/*
 * secbpf.h: the OCI seccomp profile (config.json linux.seccomp) compiled
 * to a classic BPF program with libseccomp, on the host. The program goes
 * to the agent in the CREATE request (docs/protocol.md, CREATE field 4),
 * which installs it with seccomp(2) just before execve: the static agent
 * carries no profile compiler.
 *
 * Input: the profile, from the bundle's config.json (the engine/user).
 */
#ifndef MOAT_RUNTIME_SECBPF_H
#define MOAT_RUNTIME_SECBPF_H

#include "../common/err.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Compile the linux.seccomp object in json[0..len) for this machine's
 * architecture (plus the profile's "architectures"). On success *prog is
 * a malloc'd array of struct sock_filter, *prog_len its size in bytes (a
 * multiple of 8), and 0 is returned; else -1 with *e set (EINVAL for a
 * malformed profile, EOPNOTSUPP for an action moat does not support).
 * Syscall names this libseccomp does not know are skipped, as runc does.
 */
int secbpf_compile(const char *json, size_t len, uint8_t **prog,
		   size_t *prog_len, struct moat_err **e);

#endif
