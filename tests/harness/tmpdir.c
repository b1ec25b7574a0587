/*
 * tmpdir.c: temporary directories with a janitor (see tmpdir.h).
 */
#include "tmpdir.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int tmpdir_rm_entry(const char *p, const struct stat *st, int flag,
			   struct FTW *f)
{
	return remove(p);
}

void tmpdir_remove(const char *dir)
{
	nftw(dir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void tmpdir_make(char *dir, size_t cap, const char *tmpl, bool cloexec,
		 void (*before)(const char *dir))
{
	int pfd[2];
	pid_t pid;
	char c;

	snprintf(dir, cap, "%s", tmpl);
	ASSERT(mkdtemp(dir));
	ASSERT_OK(pipe2(pfd, cloexec ? O_CLOEXEC : 0));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		close(pfd[1]);
		if (fork() != 0) /* the grandchild is reparented */
			_exit(0);
		setsid();
		while (read(pfd[0], &c, 1) > 0)
			;
		if (before)
			before(dir);
		tmpdir_remove(dir);
		_exit(0);
	}
	close(pfd[0]);
	ASSERT_EQ(waitpid(pid, NULL, 0), pid);
	/* pfd[1] stays open in this process until it ends */
}
