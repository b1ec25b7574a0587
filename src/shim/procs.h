/*
 * procs.h: the container's processes and their streams through the agent
 * client, and the guest's console (procs.c).
 */
#ifndef MOAT_SHIM_PROCS_H
#define MOAT_SHIM_PROCS_H

#include "shim.h"

void shim_proc_init(struct shim *s, struct shim_proc *p, int in, int out,
		    int err, bool tty);
struct shim_proc *shim_by_handle(struct shim *s, uint32_t proc);
int shim_proc_open(struct shim *s, struct shim_proc *p);
void shim_proc_streams(const struct shim_proc *p, uint32_t *in, uint32_t *out,
		       uint32_t *err, uint32_t *tty);
void shim_proc_credit(struct shim *s, struct shim_proc *p);
bool shim_in_ready(const struct shim_proc *p);
void shim_in_arm(struct shim *s, struct shim_proc *p);
void shim_proc_done(struct shim *s, struct shim_proc *p);
void shim_in_read(struct shim *s, struct shim_proc *p);
void shim_resize(struct shim *s, struct shim_proc *p, int fd);
void shim_out_data(void *ctx, struct aclient_stream *st, const uint8_t *b,
		   size_t n);
void shim_out_eof(void *ctx, struct aclient_stream *st);
void shim_in_credit(void *ctx, struct aclient_stream *st);
void shim_console(struct shim *s);
void shim_console_event(struct loop_handler *h, uint32_t events); /* s's */

#endif
