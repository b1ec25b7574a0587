/*
 * replay.c: replays one fuzz target's seed corpus and every saved crash
 * (tests/fuzz/corpus/<name>/, tests/fuzz/regressions/<name>/) as a level-1
 * test, built with the normal compiler (and SAN= when given). Compiled once
 * per target with -DFUZZ_NAME and -DFUZZ_DIR.
 */
#include "../harness/test.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A target that keeps state outside the process (a temporary tree) may
 * define this to remove it: each test ends in _exit(), so the atexit()
 * handler a target registers for libFuzzer's runs never runs here. */
void fuzz_target_done(void) __attribute__((weak));

/* Run every file in dir through the target; returns how many ran. */
static int replay_dir(const char *dir, int must_exist)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d) {
		if (must_exist)
			FAIL("%s: %s", dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		char path[4096];
		uint8_t *buf;
		long len;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			FAIL("%s: %s", path, strerror(errno));
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		buf = malloc((size_t)len + 1);
		ASSERT(buf);
		ASSERT_EQ(fread(buf, 1, (size_t)len, f), len);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)len);
		free(buf);
		n++;
	}
	closedir(d);
	if (fuzz_target_done)
		fuzz_target_done();
	return n;
}

TEST(replay_seed_corpus)
{
	int n = replay_dir(FUZZ_DIR "/corpus/" FUZZ_NAME, 1);

	test_diag("%s: %d seed inputs", FUZZ_NAME, n);
	ASSERT(n > 0);
}

TEST(replay_regressions)
{
	int n = replay_dir(FUZZ_DIR "/regressions/" FUZZ_NAME, 0);

	test_diag("%s: %d saved crashes replayed", FUZZ_NAME, n);
}
