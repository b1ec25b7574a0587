/*
 * secbpf.h: the OCI seccomp profile (config.json linux.seccomp, as
 * spec_parse() validated it into a struct spec_seccomp) compiled to a
 * classic BPF program with libseccomp, on the host. The program goes to
 * the agent in the CREATE request (docs/protocol.md, CREATE field 4),
 * which installs it with seccomp(2) just before execve: the static agent
 * carries no profile compiler.
 *
 * Input: the profile, from the bundle's config.json (the engine/user),
 * already checked against the runtime-spec's names (src/common/spec.h).
 */
#ifndef MOAT_RUNTIME_SECBPF_H
#define MOAT_RUNTIME_SECBPF_H

#include "../common/err.h"
#include "../common/spec.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Compile sc for this machine's architecture (plus the profile's
 * "architectures"). On success *prog is a malloc'd array of struct
 * sock_filter, *prog_len its size in bytes (a multiple of 8), and 0 is
 * returned; else -1 with *e set: EOPNOTSUPP for an architecture this
 * libseccomp does not know, libseccomp's error for a rule it refuses.
 * Syscall names this libseccomp does not know are skipped, as runc does;
 * the flags are not applied (the agent's process is one thread).
 */
int secbpf_compile(const struct spec_seccomp *sc, uint8_t **prog,
		   size_t *prog_len, struct moat_err **e);

#endif
