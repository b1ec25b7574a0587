/*
 * loop.c: see loop.h.
 */
#include "loop.h"

#include <errno.h>
#include <unistd.h>

#define LOOP_BATCH 16

int loop_init(struct loop *l)
{
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->broken = false;
	return l->ep < 0 ? -1 : 0;
}

void loop_fini(struct loop *l)
{
	if (l->ep >= 0)
		close(l->ep);
	l->ep = -1;
}

int loop_add(struct loop *l, struct loop_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, h->fd, &ev) < 0)
		return -1;
	h->events = events;
	h->added = true;
	return 0;
}

int loop_mod(struct loop *l, struct loop_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (events == h->events)
		return 0;
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, h->fd, &ev) < 0)
		return -1;
	h->events = events;
	return 0;
}

int loop_del(struct loop *l, struct loop_handler *h)
{
	h->events = 0;
	h->added = false;
	return epoll_ctl(l->ep, EPOLL_CTL_DEL, h->fd, NULL);
}

int loop_set(struct loop *l, struct loop_handler *h, uint32_t events)
{
	if (!events)
		return h->added ? loop_del(l, h) : 0;
	if (!h->added)
		return loop_add(l, h, events);
	return loop_mod(l, h, events);
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[LOOP_BATCH];
	int n, i;

	l->broken = false;
	n = epoll_wait(l->ep, evs, LOOP_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n && !l->broken; i++) {
		struct loop_handler *h = evs[i].data.ptr;

		h->fn(h, evs[i].events);
	}
	l->broken = false;
	return i;
}

void loop_break(struct loop *l)
{
	l->broken = true;
}
