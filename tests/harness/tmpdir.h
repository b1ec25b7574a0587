/*
 * tmpdir.h: a temporary directory for a test, removed with what is in it
 * however the test ends: a janitor in its own session (out of reach of the
 * harness's process-group kill) waits until every process holding the
 * test's end of a pipe has gone, then removes the directory. Tests that
 * check the directory empties also remove it themselves (tmpdir_remove).
 * Inputs: the test's own paths.
 */
#ifndef MOAT_TEST_TMPDIR_H
#define MOAT_TEST_TMPDIR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Make a directory from tmpl (ending in XXXXXX, as mkdtemp wants) into
 * dir[0..cap) and start its janitor. The pipe is inherited by the
 * processes the test forks; with cloexec, not by the programs they
 * execute (a daemon the test leaves running, such as a shim, then does not
 * keep the janitor waiting). Once the pipe closes the janitor calls
 * before(dir), unless NULL, then removes the tree.
 */
void tmpdir_make(char *dir, size_t cap, const char *tmpl, bool cloexec,
		 void (*before)(const char *dir));

/* Remove dir and what is in it (not following symbolic links). */
void tmpdir_remove(const char *dir);

#endif
