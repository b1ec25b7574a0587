/*
 * loop.h: a tiny epoll event loop (moat-vmm's main thread, moat-agent,
 * moat-shim). A
 * handler is registered with its fd and the events it wants; when they
 * fire, its function is called with them. Handlers are owned by their
 * callers and must stay alive while added, and through the rest of a
 * loop_run_once() that takes them out (events of its batch may still
 * point at them): free them after it returns.
 */
#ifndef MOAT_COMMON_LOOP_H
#define MOAT_COMMON_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop_handler;
typedef void loop_fn(struct loop_handler *h, uint32_t events);

struct loop_handler {
	int fd;
	uint32_t events; /* currently registered */
	loop_fn *fn;
	bool added; /* in the epoll set (loop_add() to loop_del()) */
};

/* The struct that holds handler h as its member (a handler's function
 * finds its object with it). */
#define loop_owner(h, type, member) \
	((type *)(void *)((char *)(h)-offsetof(type, member)))

struct loop {
	int ep;
	bool broken; /* loop_break() in this loop_run_once() */
};

int loop_init(struct loop *l);
void loop_fini(struct loop *l);
/* Register h (fd, fn set by the caller) for events; 0 or -1 (errno). */
int loop_add(struct loop *l, struct loop_handler *h, uint32_t events);
/* Change the events; a no-op when they are unchanged. */
int loop_mod(struct loop *l, struct loop_handler *h, uint32_t events);
int loop_del(struct loop *l, struct loop_handler *h);
/*
 * Want events on h, whether it is added or not: adds h, changes its
 * events, or with 0 takes it out of the set (a hang-up on an fd left in
 * with no events would still be reported, again and again). 0 or -1.
 */
int loop_set(struct loop *l, struct loop_handler *h, uint32_t events);
/* Wait up to timeout_ms (-1: forever) and dispatch; returns the number of
 * handlers called, or -1 on error other than EINTR. */
int loop_run_once(struct loop *l, int timeout_ms);
/* From a handler: the loop_run_once() that called it calls no more of its
 * batch (the caller is done with everything the loop watches). Outside a
 * run it has no effect. */
void loop_break(struct loop *l);

#endif
