/*
 * spec.c: `moat spec [--bundle DIR]`: write a default config.json (runc's
 * defaults, see spec_default_json) into the bundle directory, the current
 * one by default. An existing config.json is never overwritten.
 * Input: the bundle path from the command line.
 */
#include "cli.h"
#include "../common/cleanup.h"
#include "../runtime/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

int cli_spec(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_close_ int dfd = -1, fd = -1;
	_cleanup_free_ char *text = NULL;
	const char *bundle = ".";
	size_t len, off = 0;
	ssize_t n;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 'r':
			return moat_err_set(e, 0,
					    "--rootless: not supported (moat "
					    "runs each container in a VM, as "
					    "root)");
		default:
			return moat_err_set(e, 0, "unknown option %s",
					    argv[optind - 1]);
		}
	}
	if (cli_nargs(argc, argv, optind, 0, 0, e))
		return -1;
	text = spec_default_json();
	if (!text)
		return moat_err_set(e, ENOMEM, "config.json");
	dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return moat_err_set(e, errno, "bundle %s", bundle);
	fd = openat(dfd, "config.json",
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return moat_err_set(e, 0,
				    "%s/config.json: already exists; remove it "
				    "first",
				    bundle);
	if (fd < 0)
		return moat_err_set(e, errno, "%s/config.json", bundle);
	len = strlen(text);
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c = n < 0 ? errno : EIO;
			unlinkat(dfd, "config.json", 0);
			return moat_err_set(e, c, "%s/config.json: write",
					    bundle);
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		c = errno;
		unlinkat(dfd, "config.json", 0);
		return moat_err_set(e, c, "%s/config.json: fsync", bundle);
	}
	return 0;
}
