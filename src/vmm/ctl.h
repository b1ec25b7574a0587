/*
 * ctl.h: the control socket (protocol in src/proto/ctlproto.h), served on
 * the main thread's loop. main.c opens it once the VM is built and closes
 * it before the VM is torn down; it reaches the VM only through vm.h's
 * public functions (vm_pause, vm_resume, vm_stop, vm_stats), and the VM
 * knows nothing of it.
 * Inputs: lines from the one local client (the runtime), bounded.
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

/* Listen on path (mode 0600) and serve it on vm's loop. Returns 0, or -1
 * with *e set; either way ctl_close undoes what was done. */
int ctl_open(struct ctl *c, const char *path, struct vm *vm,
	     struct moat_err **e);
/* Stop serving, close and unlink the socket. */
void ctl_close(struct ctl *c);

#endif
