/*
 * console.h: virtio-console (ID 3) with one port: without a name, no
 * multiport feature, and the guest sees /dev/hvcN; with a name, the
 * multiport feature and port 0 a generic port of that name (consctl.h:
 * the guest sees /dev/vportNp0, whose writes do not wait for the host).
 * Either is a clean byte channel to a host fd.
 * Guest output goes out through the fd without ever blocking a vCPU (a
 * slow host reader leaves the guest's buffers pending, so the guest
 * waits); host input is read straight into the guest's buffers, only as
 * far as the guest offers them.
 * Backends: an fd that is already connected (fd:N, e.g. one end of a
 * socketpair), or a unix socket path on which moat-vmm listens and accepts
 * one peer at a time (unix:PATH).
 * Inputs: guest descriptors (through virtq), host bytes from the peer.
 * Spec: Virtio 1.2, 5.3 "Console Device".
 */
#ifndef MOAT_VMM_VIRTIO_CONSOLE_H
#define MOAT_VMM_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../../common/err.h"
#include "../../../common/loop.h"
#include "consctl.h"
#include "dev.h"

#define VIRTIO_ID_CONSOLE 3

struct console {
	struct virtio_dev *vd;
	struct loop *loop;
	int fd;	       /* the peer, -1 when none */
	int listen_fd; /* unix:PATH listener, or -1 */
	char *path;    /* unlinked at teardown */
	struct loop_handler h_peer, h_listen;
	bool rx_wait;	 /* waiting for the guest's buffers */
	bool tx_pending; /* tx holds a chain not fully sent */
	bool parked; /* the peer hung up with no guest buffer: off the loop */
	uint64_t tx_off;
	struct virtq_chain tx;
	struct consctl ctl;	   /* multiport: name[0] != 0 */
	struct virtq_chain ctl_ch; /* a control chain being served */
};

/* Parse "fd:N" or "unix:PATH" and open the backend (a unix listener is
 * bound and listening when this returns); name NULL for an hvc console,
 * else the port's name (1 to CONSCTL_NAME_MAX of [A-Za-z0-9._-]). */
int console_open(struct console *c, const char *name, const char *spec,
		 struct moat_err **e);
/* Attach to its virtio device and the main loop. */
int console_attach(struct console *c, struct virtio_dev *vd, struct loop *l,
		   struct moat_err **e);
void console_close(struct console *c);

void console_setup(struct virtio_dev *vd, const struct console *c);
extern const struct virtio_dev_ops console_ops;

#endif
