/*
 * ociconf.h: OCI config.json documents for the agent's host tests, built
 * with jansson: a default container (busybox rootfs from rootfs.h, the
 * usual mounts, pid/mount/ipc/uts/network namespaces, root with the
 * default capabilities) that each test changes where it needs to.
 */
#ifndef MOAT_TEST_OCICONF_H
#define MOAT_TEST_OCICONF_H

#include <jansson.h>

/* The default config running args (NULL-terminated). */
json_t *ociconf_base(const char *const *args);

/* Set a member along a dotted path ("process.user.uid"), creating
 * objects on the way; steals v. */
void ociconf_set(json_t *root, const char *path, json_t *v);

/* Parse JSON text (for tables of overrides); fails the test if bad. */
json_t *ociconf_parse(const char *text);

/* The document's text (caller frees) ; frees root. */
char *ociconf_dump(json_t *root);

/* Write the document as <bundle>/config.json; frees root. */
void ociconf_write(json_t *root, const char *bundle);

#endif
