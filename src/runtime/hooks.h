/*
 * hooks.h: OCI lifecycle hooks (runtime-spec config.md "POSIX-platform
 * Hooks", runtime.md "Lifecycle").
 *
 * moat runs every hook on the host, in the runtime's namespaces, with the
 * container's state JSON on its stdin: prestart and createRuntime when
 * `create` has the container built in its VM, createContainer right after
 * them, startContainer when `start` is about to run the process,
 * poststart once it runs, poststop when `delete` has removed the
 * container. The container's own namespaces are in its guest, where no
 * host program can run, so createContainer and startContainer run on the
 * host too (documented in docs/design.md): a hook that must see the
 * container's mount namespace cannot work with a VM runtime.
 *
 * `moat create` runs them from the struct it parsed; later verbs from the
 * config it saved in the state directory (HOOKS_CONFIG: the document
 * built from that struct, spec_save()), so a bundle changed or removed
 * later does not change them.
 *
 * Inputs: config.json (the engine's), the hook's exit status and output
 * (quoted, bounded, in error messages).
 */
#ifndef MOAT_RUNTIME_HOOKS_H
#define MOAT_RUNTIME_HOOKS_H

#include "../common/err.h"
#include "spec.h"
#include "state.h"

#define HOOKS_CONFIG STATE_CONFIG /* the saved config, in <root>/<id> */

/* Told each failure of a hook whose phase goes on (hooks_run()). */
typedef void hooks_warn_fn(void *arg, const char *msg);

/*
 * Run sp's hooks of kind k in order, each with state_json on stdin and
 * within its timeout (SIGKILL after it). A failure reads "hooks.
 * createRuntime[1] /bin/x: exit status 3: <its output>". Without warn,
 * the first that fails ends the run: -1 with *e set, the ones after it do
 * not run (prestart, createRuntime, createContainer, startContainer: the
 * operation fails). With warn, each failure goes to warn(arg, text) and
 * the rest run (poststart, poststop: runtime-spec's "the runtime MUST log
 * a warning, but the remaining hooks and lifecycle continue"); returns 0.
 */
int hooks_run(const struct spec *sp, enum spec_hook_kind k,
	      const char *state_json, hooks_warn_fn *warn, void *arg,
	      struct moat_err **e);

/* Load the config create saved (NULL *out and 0 when there is none). */
int hooks_load_config(int dir_fd, struct spec **out, struct moat_err **e);

#endif
