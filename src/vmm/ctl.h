/*
 * ctl.h: the control socket (protocol in src/proto/ctlproto.h), served on
 * the main thread's loop.
 */
#ifndef MOAT_VMM_CTL_H
#define MOAT_VMM_CTL_H

#include <stddef.h>

#include "../common/err.h"
#include "../common/loop.h"
#include "../proto/ctlproto.h"

struct vm;

struct ctl {
	struct vm *vm;
	struct loop *loop;
	int listen_fd, conn_fd, statm_fd;
	char *path;
	char buf[CTL_LINE_MAX + 2];
	size_t len;
	struct loop_handler h_listen, h_conn;
};

int ctl_open(struct ctl *c, const char *path, struct vm *vm, struct loop *l,
	     struct moat_err **e);
void ctl_close(struct ctl *c);

#endif
