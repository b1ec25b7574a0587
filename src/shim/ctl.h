/*
 * ctl.h: shim.sock, the CLI's control socket (ctl.c): its requests, signals
 * for the container's processes.
 */
#ifndef MOAT_SHIM_CTL_H
#define MOAT_SHIM_CTL_H

#include "shim.h"

void shim_signal_proc(struct shim *s, uint32_t proc, int sig, bool all,
		      int client);
void shim_signal_init(struct shim *s, int sig, bool all, int client);
bool shim_running(struct shim *s);
void shim_client_event(struct loop_handler *h, uint32_t events); /* s's */
void shim_fail(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
