/*
 * spec.h: config.json on the host: read from a file into the validated
 * struct spec (the parser is src/common/spec.h, shared with the agent),
 * saved as the document built from it, and `moat spec`'s default.
 *
 * Input: the bundle's config.json, from the engine or the user; the copy
 * `moat create` saved in the state directory (written by spec_save());
 * exec's --process file, from the engine.
 */
#ifndef MOAT_RUNTIME_SPEC_H
#define MOAT_RUNTIME_SPEC_H

#include "../common/spec.h"

/* Read path (at most 16 MiB) and spec_parse() it; errors are prefixed
 * with "config.json" (the base name of path). */
int spec_load(const char *path, struct spec **out, struct moat_err **e);

/* As spec_load(), for name relative to dir_fd (not following a symlink
 * there): the copy spec_save() wrote. */
int spec_loadat(int dir_fd, const char *name, struct spec **out,
		struct moat_err **e);

/* Read path (at most 16 MiB), an OCI "process" object (exec's --process
 * file), and spec_process_parse() it; its errors are not prefixed. */
int spec_process_load(const char *path, struct spec **out, struct moat_err **e);

/* Write spec_encode(s, SPEC_ENC_HOST) to name in dir_fd (mode 0600):
 * the container's validated config, which the shim and the hooks of
 * later verbs read instead of the bundle's. 0, or -1 with *e set. */
int spec_save(int dir_fd, const char *name, const struct spec *s,
	      struct moat_err **e);

/*
 * The default config.json that `moat spec` writes (like runc's): sh on a
 * terminal in ./rootfs, read-only root, the usual mounts, masked and
 * read-only paths, and namespaces. Returns a malloc'd NUL-terminated
 * document, or NULL when out of memory.
 */
char *spec_default_json(void);

#endif
