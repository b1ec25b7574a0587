/*
 * syncmsg.h: the codec of the create handshake, the socket pair between
 * `moat create` and the shim it starts (the shim's fd 3; docs/protocol.md,
 * "The create handshake"; docs/design.md "Runtime, shim and backends").
 * Pure: no syscalls, no allocation.
 *
 *   shim -> CLI  "pid <pid>\n"     in the container's network namespace,
 *                                  before the VM: the hooks may run
 *   CLI -> shim  "go\n"            they ran: start the VM
 *   shim -> CLI  "ok <pid>"        created (then EOF), or
 *                "error <text>"    it failed (EOF once the VM is gone)
 *
 * Inputs: each side's bytes come from the other (the same user); the
 * error's text may quote the guest agent or its console (a view, printed,
 * never parsed).
 */
#ifndef MOAT_PROTO_SYNCMSG_H
#define MOAT_PROTO_SYNCMSG_H

#include <stddef.h>
#include <stdint.h>

#define SYNCMSG_EMALFORMED (-1) /* not a message of the handshake */
#define SYNCMSG_EARG (-2)	/* pid or ok with a bad pid (kind set) */
#define SYNCMSG_ESHORT (-3)	/* a "pid" line without its newline yet */
#define SYNCMSG_ESPACE (-4)	/* does not fit the buffer */

#define SYNCMSG_GO_LEN 3 /* "go\n" */

enum syncmsg_kind {
	SYNCMSG_PID = 1,
	SYNCMSG_GO,
	SYNCMSG_OK,
	SYNCMSG_ERROR,
};

struct syncmsg {
	enum syncmsg_kind kind;
	int32_t pid;	  /* pid, ok: the shim's, > 0 */
	const char *text; /* error: a view into the input, not terminated */
	size_t text_len;
};

/* Write m into buf (NUL-terminated); an error's text is cut to fit.
 * Returns the message's length or SYNCMSG_ESPACE. */
int syncmsg_encode(char *buf, size_t cap, const struct syncmsg *m);
/*
 * Read the message that is all of buf[0..len) (what came until EOF, or a
 * pid line). "pid" needs its newline (SYNCMSG_ESHORT until it came); "ok"
 * may end with one. 0, or an error (EARG: m->kind is set).
 */
int syncmsg_decode(const char *buf, size_t len, struct syncmsg *m);

#endif
