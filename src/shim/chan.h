/*
 * chan.h: what the agent client reports to the shim (chan.c): the handshake
 * and CREATE, events, a lost channel; the shim's requests to the agent and
 * its answers to the CLI's create.
 */
#ifndef MOAT_SHIM_CHAN_H
#define MOAT_SHIM_CHAN_H

#include "shim.h"

extern const struct aclient_ops shim_chan_ops; /* ctx: the shim */
void shim_lost(struct shim *s, const char *what);
uint32_t shim_request(struct shim *s, struct msg *m, aclient_done_fn *done,
		      void *arg);
void shim_text(char *dst, size_t cap, const struct msg_str *t);
void shim_sync_ok(struct shim *s);
void shim_sync_fail(struct shim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
