/*
 * conf.h: moat's configuration file, /etc/moat/moat.conf (MOAT_CONFIG
 * overrides the path), read into a struct moat_conf; and the choice of
 * the hypervisor backend.
 *
 * Input: a file the administrator writes (trusted as such, but checked
 * strictly so that a typo is an error, not a silent default). The format
 * is documented in moat.conf(5): one `key = value` per line, blank lines
 * and lines whose first non-blank character is '#' ignored, no quoting.
 * conf_parse() is pure (text in, struct out) and fuzzed; conf_load()
 * reads the file. Errors read "<file>:<line>: <key>: <why>".
 */
#ifndef MOAT_RUNTIME_CONF_H
#define MOAT_RUNTIME_CONF_H

#include "../common/err.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>

#define CONF_PATH_DEFAULT "/etc/moat/moat.conf"
#define CONF_ENV_PATH "MOAT_CONFIG"
#define CONF_ENV_HYPERVISOR "MOAT_HYPERVISOR"
#define CONF_ANNOTATION_HYPERVISOR "moat.hypervisor"
#define CONF_TEXT_MAX (64 * 1024) /* a larger file is refused */
#define CONF_MEM_MIN_MIB 64
#define CONF_MEM_MAX_MIB 65536
#define CONF_VCPUS_MAX 32 /* moat-vmm's LAYOUT_MAX_VCPUS */

enum conf_hv {
	CONF_HV_AUTO, /* moat-vmm when /dev/kvm opens read-write, else qemu */
	CONF_HV_VMM,
	CONF_HV_QEMU,
};

/* A parsed file. Strings are "" and numbers 0 where the file is silent. */
struct moat_conf {
	char file[PATH_MAX]; /* the name errors quote ("" before parsing) */
	enum conf_hv hypervisor;
	unsigned hypervisor_line; /* its line, 0: not in the file */
	unsigned memory_mib;	  /* default guest RAM */
	unsigned vcpus;		  /* default vCPUs */
	char kernel[PATH_MAX];	  /* absolute */
	char initramfs[PATH_MAX]; /* absolute */
	char qemu[PATH_MAX];	  /* absolute, or a name looked up in PATH */
	char virtiofsd[PATH_MAX]; /* likewise */
	char vmm[PATH_MAX];	  /* likewise */
};

/*
 * Parse text[0..len) (need not be NUL-terminated) into *c; file is the
 * name used in messages (copied; truncated if very long). Pure. Returns
 * 0, or -1 with *e set to "<file>:<line>: <what>: <why>" (EINVAL) and *c
 * holding what was parsed before the bad line.
 */
int conf_parse(const char *text, size_t len, const char *file,
	       struct moat_conf *c, struct moat_err **e);

/* The file's path: $MOAT_CONFIG when set and not empty, else the default. */
const char *conf_path(void);

/*
 * Read and parse path (NULL: conf_path()). A missing file (ENOENT) gives
 * the defaults and returns 0; any other failure to read it, a file over
 * CONF_TEXT_MAX, or a parse error returns -1 with *e set.
 */
int conf_load(const char *path, struct moat_conf *c, struct moat_err **e);

/* "auto", "moat-vmm" or "qemu"; NULL for anything else. */
const char *conf_hv_name(enum conf_hv hv);

/* The value of "auto", "moat-vmm" or "qemu", or -1 (a negative int). */
int conf_hv_parse(const char *s);

/*
 * Decide the backend, purely. Precedence: annotation (the config.json's
 * moat.hypervisor; NULL: absent), then env (MOAT_HYPERVISOR's value; NULL
 * or "": unset), then c->hypervisor (c may be NULL), then auto. Each may
 * be "auto", "moat-vmm" or "qemu". auto picks moat-vmm when kvm_err is 0
 * (/dev/kvm opened read-write), else qemu. moat-vmm asked for explicitly
 * while kvm_err is set is an error too, rather than a VM that cannot
 * start. Returns CONF_HV_VMM or CONF_HV_QEMU, or -1 with *e naming where
 * the value came from: "annotation moat.hypervisor: \"x\" is not auto,
 * moat-vmm or qemu", "MOAT_HYPERVISOR: ...", "<file>:<line>: hypervisor:
 * moat-vmm needs /dev/kvm: <strerror>", or for kvm_err CONF_KVM_NO_HW
 * "...: moat-vmm needs hardware virtualisation: /dev/kvm is there but
 * the CPU offers neither VMX nor SVM (a paravirtual KVM such as PVM)".
 */
#define CONF_KVM_NO_HW EOPNOTSUPP
int conf_choose(const char *annotation, const char *env,
		const struct moat_conf *c, int kvm_err, struct moat_err **e);

#endif
