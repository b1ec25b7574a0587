/*
 * loop.h: a tiny epoll event loop. A handler is registered with its fd and
 * the events it wants; when they fire, its function is called with them.
 * Handlers are owned by their callers and must stay alive while added.
 */
#ifndef MOAT_COMMON_LOOP_H
#define MOAT_COMMON_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct loop_handler;
typedef void loop_fn(struct loop_handler *h, uint32_t events);

struct loop_handler {
	int fd;
	uint32_t events; /* currently registered */
	loop_fn *fn;
};

struct loop {
	int ep;
};

int loop_init(struct loop *l);
void loop_fini(struct loop *l);
/* Register h (fd, fn set by the caller) for events; 0 or -1 (errno). */
int loop_add(struct loop *l, struct loop_handler *h, uint32_t events);
/* Change the events; a no-op when they are unchanged. */
int loop_mod(struct loop *l, struct loop_handler *h, uint32_t events);
int loop_del(struct loop *l, struct loop_handler *h);
/* Wait up to timeout_ms (-1: forever) and dispatch; returns the number of
 * handlers called, or -1 on error other than EINTR. */
int loop_run_once(struct loop *l, int timeout_ms);

#endif
