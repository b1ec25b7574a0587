/*
 * spec_priv.h: what the config parser's files (spec.c, spec_linux.c,
 * spec_seccomp.c) share; not for the parser's users (they include spec.h).
 */
#ifndef MOAT_COMMON_SPEC_PRIV_H
#define MOAT_COMMON_SPEC_PRIV_H

#include "spec.h"

/*
 * v, at JSON path where: absent (*items NULL), or an array, for whose
 * items *items gets a zeroed array of size-byte elements (one spare).
 * Returns 0 or -1 with *e set.
 */
int spec_array(json_t *v, const char *where, size_t size, void **items,
	       struct moat_err **e);

/* Item i of the array at where: its path into at[0..cap); an object. */
int spec_item(json_t *item, const char *where, size_t i, char *at, size_t cap,
	      struct moat_err **e);

/* The document's "linux" object into s (after its process and mounts). */
int spec_linux_parse(json_t *root, struct spec *s, struct moat_err **e);

/* linux.seccomp of the linux object lx into s->seccomp (spec_seccomp.c);
 * spec_seccomp_free() releases it, NULL included. */
int spec_seccomp_parse(json_t *lx, struct spec *s, struct moat_err **e);
void spec_seccomp_free(struct spec_seccomp *sc);

#endif
