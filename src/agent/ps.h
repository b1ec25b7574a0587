/*
 * ps.h: the table a PS request with ps(1)'s options asks for (ps.c),
 * made from the guest's /proc (the guest has no ps(1)).
 */
#ifndef MOAT_AGENT_PS_H
#define MOAT_AGENT_PS_H

#include "outq.h"
#include "../proto/msg.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Answer the PS request req (its args present) with the table of the
 * container's processes pids[0..n) (the agent's pid numbering) as its
 * options ask, user and group names from the container's passwd and
 * group (those of root's root, root the container's init; 0: none).
 * Rows stop where MSG_TABLE_MAX is full. Bad options get an ERROR.
 */
void ps_reply_table(struct outq *q, const struct msg *req, const uint32_t *pids,
		    size_t n, pid_t root);

#endif
