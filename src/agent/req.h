/*
 * req.h: the requests (req.c), carried out on the state of serve.h.
 */
#ifndef MOAT_AGENT_REQ_H
#define MOAT_AGENT_REQ_H

#include "serve.h"
#include "../proto/wire.h"

/* Decode the REQUEST frame f and carry it out: its REPLY or ERROR (or,
 * for WAIT, the later EXIT) is queued. */
void req_handle(struct serve *s, const struct wire_frame *f);

/* SIGKILL every process of the container (thawing a frozen group). */
void req_kill_all(struct serve *s);

#endif
