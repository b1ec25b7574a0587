/*
 * engcheck.h: docker's and containerd's end-to-end checks of moat (see
 * engcheck.c), one body for both backends.
 */
#ifndef MOAT_TEST_ENGCHECK_H
#define MOAT_TEST_ENGCHECK_H

/* A private dockerd: the classic demo (run -itd, exec, rm -f), run --rm to
 * an exit code, and docker's bridge network reaching the guest. */
void engcheck_docker(void);

/* A private containerd: ctr run to an exit code, -t, task exec (also -t),
 * a stopped task's kill and rm -f. */
void engcheck_containerd(void);

#endif
