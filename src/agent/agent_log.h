/*
 * agent_log.h: the agent's former name for log_info() (src/common/log.h:
 * the process's sink, "moat-agent: " lines on stderr, the console in a
 * VM), kept for cgroup.c, container.c and net.c until they say log_info()
 * themselves; new code calls the log module.
 */
#ifndef MOAT_AGENT_AGENT_LOG_H
#define MOAT_AGENT_AGENT_LOG_H

#include "../common/log.h"

#define agent_log log_info

#endif
