/*
 * mkcpio: write a cpio archive in the "newc" format that the Linux kernel
 * unpacks as an initramfs, from a recipe of lines like:
 *
 *     dir   <path> <mode> <uid> <gid>
 *     file  <path> <source> <mode> <uid> <gid>
 *     nod   <path> <mode> <uid> <gid> <c|b> <major> <minor>
 *     slink <path> <target> <mode> <uid> <gid>
 *     # comment
 *
 * Modes are octal. Relative <source> paths are taken under the directory
 * given with -C. Every mtime is 0, so the same inputs give the same bytes.
 * Device nodes are written from the recipe, so no root is needed.
 * Inputs: our own recipes (trusted build input). Format: the kernel's
 * Documentation/driver-api/early-userspace/buffer-format.rst.
 *
 * Usage: mkcpio [-C dir] RECIPE > archive.cpio
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned mkcpio_ino = 1;
static unsigned long long mkcpio_off;

static void mkcpio_put(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n) {
		perror("mkcpio: write");
		exit(1);
	}
	mkcpio_off += n;
}

static void mkcpio_pad(void)
{
	static const char zero[4];

	mkcpio_put(zero, (size_t)((4 - mkcpio_off % 4) % 4));
}

static void mkcpio_header(const char *name, unsigned mode, unsigned uid,
			  unsigned gid, unsigned nlink, unsigned size,
			  unsigned rmaj, unsigned rmin)
{
	char h[111];
	const char *n = name;

	while (*n == '/')
		n++; /* archive names are relative */
	if (!*n)
		n = ".";
	snprintf(h, sizeof(h),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 mkcpio_ino++, mode, uid, gid, nlink, 0u, size, 0u, 0u, rmaj,
		 rmin, (unsigned)strlen(n) + 1, 0u);
	mkcpio_put(h, 110);
	mkcpio_put(n, strlen(n) + 1);
	mkcpio_pad();
}

static void mkcpio_file(const char *name, const char *src, unsigned mode,
			unsigned uid, unsigned gid)
{
	char buf[65536];
	struct stat st;
	ssize_t r;
	int fd = open(src, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > 0xffffffffLL) {
		fprintf(stderr, "mkcpio: %s: %s\n", src,
			fd < 0 ? strerror(errno)
			       : "not a regular file under 4 GiB");
		exit(1);
	}
	mkcpio_header(name, S_IFREG | mode, uid, gid, 1, (unsigned)st.st_size,
		      0, 0);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		mkcpio_put(buf, (size_t)r);
	if (r < 0) {
		fprintf(stderr, "mkcpio: read %s: %s\n", src, strerror(errno));
		exit(1);
	}
	close(fd);
	mkcpio_pad();
}

int main(int argc, char **argv)
{
	const char *base = ".";
	char line[4096], a[1024], b[1024], t[4];
	unsigned mode, uid, gid, maj, min;
	int lineno = 0, opt;
	FILE *in;

	while ((opt = getopt(argc, argv, "C:")) != -1) {
		if (opt != 'C') {
			fprintf(stderr, "usage: mkcpio [-C dir] RECIPE\n");
			return 2;
		}
		base = optarg;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: mkcpio [-C dir] RECIPE\n");
		return 2;
	}
	in = fopen(argv[optind], "r");
	if (!in) {
		fprintf(stderr, "mkcpio: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		char src[2100];

		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\n")] == '\0')
			continue;
		if (sscanf(line, "dir %1023s %o %u %u", a, &mode, &uid, &gid) ==
		    4) {
			mkcpio_header(a, S_IFDIR | mode, uid, gid, 2, 0, 0, 0);
		} else if (sscanf(line, "file %1023s %1023s %o %u %u", a, b,
				  &mode, &uid, &gid) == 5) {
			snprintf(src, sizeof(src), "%s%s%s",
				 b[0] == '/' ? "" : base,
				 b[0] == '/' ? "" : "/", b);
			mkcpio_file(a, src, mode, uid, gid);
		} else if (sscanf(line, "nod %1023s %o %u %u %1s %u %u", a,
				  &mode, &uid, &gid, t, &maj, &min) == 7 &&
			   (t[0] == 'c' || t[0] == 'b')) {
			mkcpio_header(a,
				      (t[0] == 'c' ? S_IFCHR : S_IFBLK) | mode,
				      uid, gid, 1, 0, maj, min);
		} else if (sscanf(line, "slink %1023s %1023s %o %u %u", a, b,
				  &mode, &uid, &gid) == 5) {
			mkcpio_header(a, S_IFLNK | mode, uid, gid, 1,
				      (unsigned)strlen(b), 0, 0);
			mkcpio_put(b, strlen(b));
			mkcpio_pad();
		} else {
			fprintf(stderr, "mkcpio: %s:%d: cannot parse: %s",
				argv[optind], lineno, line);
			return 1;
		}
	}
	fclose(in);
	mkcpio_header("TRAILER!!!", 0, 0, 0, 1, 0, 0, 0);
	if (fflush(stdout)) {
		perror("mkcpio: write");
		return 1;
	}
	return 0;
}
