/*
 * test_loop.c: the epoll loop (src/common/loop.c): handlers called with
 * their events and found from them (loop_owner), loop_set adding,
 * changing and taking out a handler (a hung-up fd taken out is not
 * reported again), loop_mod and loop_del as moat-vmm uses them, loop_break
 * ending a batch (moat-shim, once it is done).
 */
#include "../harness/test.h"
#include "../../src/common/loop.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct lt_obj {
	int calls;
	uint32_t last;
	struct loop_handler h;
};

static void lt_fn(struct loop_handler *h, uint32_t events)
{
	struct lt_obj *o = loop_owner(h, struct lt_obj, h);

	o->calls++;
	o->last = events;
}

/* A loop, a pipe, and o's handler on end which of it. */
static void lt_setup(struct loop *l, struct lt_obj *o, int p[2], int which)
{
	ASSERT_OK(pipe(p));
	ASSERT_OK(loop_init(l));
	o->h.fd = p[which];
	o->h.fn = lt_fn;
}

TEST(loop_dispatch_and_owner)
{
	struct lt_obj o = { 0 };
	struct loop l;
	int p[2];

	lt_setup(&l, &o, p, 0);
	ASSERT_OK(loop_add(&l, &o.h, EPOLLIN));
	ASSERT(o.h.added);
	ASSERT_EQ(loop_run_once(&l, 0), 0);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ASSERT_EQ(loop_run_once(&l, 1000), 1);
	ASSERT_EQ(o.calls, 1);
	ASSERT(o.last & EPOLLIN);
	ASSERT_OK(loop_del(&l, &o.h));
	ASSERT(!o.h.added);
	ASSERT_EQ(loop_run_once(&l, 0), 0);
	loop_fini(&l);
	close(p[0]);
	close(p[1]);
}

TEST(loop_set_adds_changes_removes)
{
	struct lt_obj o = { 0 };
	struct loop l;
	int p[2];

	lt_setup(&l, &o, p, 1); /* the write end: writable, then hung up */
	ASSERT_OK(loop_set(&l, &o.h, 0)); /* not added: nothing to do */
	ASSERT(!o.h.added);
	ASSERT_OK(loop_set(&l, &o.h, EPOLLOUT));
	ASSERT(o.h.added);
	ASSERT_EQ(o.h.events, EPOLLOUT);
	ASSERT_EQ(loop_run_once(&l, 1000), 1);
	ASSERT(o.last & EPOLLOUT);
	ASSERT_OK(loop_set(&l, &o.h, EPOLLOUT)); /* unchanged */
	ASSERT_OK(loop_set(&l, &o.h, EPOLLIN));	 /* a write end never reads */
	ASSERT_EQ(o.h.events, EPOLLIN);
	o.calls = 0;
	ASSERT_EQ(loop_run_once(&l, 0), 0);
	close(p[0]); /* the reader goes: EPOLLERR, whatever was asked */
	ASSERT_EQ(loop_run_once(&l, 1000), 1);
	ASSERT(o.last & EPOLLERR);
	ASSERT_OK(loop_set(&l, &o.h, 0)); /* taken out: not reported again */
	ASSERT(!o.h.added);
	o.calls = 0;
	ASSERT_EQ(loop_run_once(&l, 0), 0);
	ASSERT_EQ(o.calls, 0);
	loop_fini(&l);
	close(p[1]);
}

TEST(loop_mod_with_no_events_keeps_hangups)
{
	struct lt_obj o = { 0 };
	struct loop l;
	int p[2];

	lt_setup(&l, &o, p, 0);
	ASSERT_OK(loop_add(&l, &o.h, 0)); /* as moat-vmm's console peer */
	ASSERT(o.h.added);
	ASSERT_EQ(loop_run_once(&l, 0), 0);
	close(p[1]);
	ASSERT_EQ(loop_run_once(&l, 1000), 1);
	ASSERT(o.last & EPOLLHUP);
	loop_fini(&l);
	close(p[0]);
}

static struct loop *lt_loop;

static void lt_break_fn(struct loop_handler *h, uint32_t events)
{
	lt_fn(h, events);
	loop_break(lt_loop);
}

TEST(loop_break_ends_the_batch)
{
	struct lt_obj a = { 0 }, b = { 0 };
	struct loop l;
	int p[2], q[2];

	lt_setup(&l, &a, p, 0);
	ASSERT_OK(pipe(q));
	b.h.fd = q[0];
	a.h.fn = b.h.fn = lt_break_fn;
	lt_loop = &l;
	ASSERT_OK(loop_add(&l, &a.h, EPOLLIN));
	ASSERT_OK(loop_add(&l, &b.h, EPOLLIN));
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ASSERT_EQ(write(q[1], "x", 1), 1);
	/* Both are ready; whichever comes first ends its batch. */
	ASSERT_EQ(loop_run_once(&l, 1000), 1);
	ASSERT_EQ(a.calls + b.calls, 1);
	/* The other is still ready, and the next run calls it. */
	ASSERT_EQ(loop_run_once(&l, 1000), 1);
	ASSERT_EQ(a.calls + b.calls, 2);
	/* A break outside a run does not cut the next one short. */
	a.h.fn = b.h.fn = lt_fn;
	loop_break(&l);
	ASSERT_EQ(loop_run_once(&l, 1000), 2);
	ASSERT_EQ(a.calls + b.calls, 4);
	loop_fini(&l);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}
