/*
 * legacy.h: the PC's legacy devices on the port I/O bus, as moat-vmm runs
 * them: COM1 (the 16550A model of serial.h, its console fds and its
 * interrupt line) and the i8042 (i8042.h: its reset command ends the VM).
 * Register accesses arrive on vCPU threads, console input on the main
 * thread's loop; COM1's lock orders them. The reset is reported through
 * the caller's callback, never to the VM by name.
 * Inputs: guest port accesses (through the models); console input bytes
 * (the runtime's or the user's, bounded by the UART's FIFO).
 */
#ifndef MOAT_VMM_LEGACY_H
#define MOAT_VMM_LEGACY_H

#include <pthread.h>
#include <stdbool.h>

#include "../../../common/err.h"
#include "../../../common/loop.h"
#include "../../bus/bus.h"
#include "serial.h"

struct legacy {
	int vm_fd;	      /* KVM_IRQ_LINE on it */
	pthread_mutex_t lock; /* COM1's model and line */
	struct serial com1;
	bool irq;   /* COM1's line as last set */
	int out_fd; /* COM1's output, -1: discarded */
	struct loop *loop;
	struct loop_handler in;	  /* in.fd: COM1's input, -1: none */
	bool in_added;		  /* in is on loop */
	void (*reset)(void *arg); /* the guest pulsed the reset line */
	void *reset_arg;
};

/* Set the devices up (nothing is opened: out_fd and in_fd are the
 * caller's, either -1), put them on the port I/O bus pio and COM1's input
 * on loop. Returns 0, or -1 with *e set; legacy_fini undoes what was done
 * either way. */
int legacy_init(struct legacy *l, int vm_fd, struct bus *pio, struct loop *loop,
		int out_fd, int in_fd, void (*reset)(void *arg), void *arg,
		struct moat_err **e);
void legacy_fini(struct legacy *l);

#endif
