/*
 * test_install.c: level 2. `make install DESTDIR=<tmp>` from the source
 * tree into a temporary directory, using the build that `make check` made
 * (O is found from $MOAT_CLI) and the kernel it booted ($MOAT_KERNEL, as
 * INSTALL_KERNEL=, so that install never builds a kernel): the tree a
 * distribution would get (binaries side by side in bin, the guest in
 * share/moat, man pages in man1 and man5), the installed moat runs, the
 * installed shim boots from PREFIX/share/moat, and the installed moat finds
 * the installed shim with no MOAT_* variable; then `make uninstall` takes
 * it all away again.
 */
#include "../harness/test.h"
#include "../harness/vmrun.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MOAT_SRCDIR
#error "the Makefile passes MOAT_SRCDIR"
#endif

#define PREFIX "/usr/local"

static char dest[] = "/tmp/moat-install-XXXXXX";
static char objdir[PATH_MAX];
static char kernel[PATH_MAX];

/* The build directory and kernel; skips when make check did not set
 * them. */
static void setup(void)
{
	const char *cli = vmrun_env_path("MOAT_CLI");
	const char *k = vmrun_env_path("MOAT_KERNEL");
	char *s;

	if (!cli || !k)
		test_skip("MOAT_CLI and MOAT_KERNEL must name the build's moat "
			  "and kernel (make check sets them)");
	snprintf(objdir, sizeof(objdir), "%s", cli);
	s = strrchr(objdir, '/'); /* .../bin/moat */
	ASSERT(s);
	*s = '\0';
	s = strrchr(objdir, '/'); /* .../bin */
	ASSERT(s && !strcmp(s, "/bin"));
	*s = '\0';
	snprintf(kernel, sizeof(kernel), "%s", k);
	if (!mkdtemp(dest))
		FAIL("mkdtemp: %s", strerror(errno));
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	return remove(p);
}

static void cleanup(void)
{
	nftw(dest, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run argv (up to 120 s); its wait status, output in *out (freed by the
 * caller). */
static int run(char *const argv[], char **out)
{
	struct vmrun_result r;

	if (vmrun(argv, 120, &r) < 0)
		FAIL("%s: %s", argv[0], strerror(errno));
	if (!r.exited)
		FAIL("%s did not finish in 120 s", argv[0]);
	*out = r.out;
	return r.status;
}

/* make -C the sources, with the build's O, into dest. */
static void make(const char *target)
{
	char o[PATH_MAX + 8], d[PATH_MAX + 16], k[PATH_MAX + 32], *out;
	const char *mk = getenv("MAKE");
	char *argv[] = { (char *)(mk && *mk ? mk : "make"),
			 "-C",
			 MOAT_SRCDIR,
			 o,
			 d,
			 k,
			 (char *)target,
			 NULL };
	int st;

	snprintf(o, sizeof(o), "O=%s", objdir);
	snprintf(d, sizeof(d), "DESTDIR=%s", dest);
	snprintf(k, sizeof(k), "INSTALL_KERNEL=%s", kernel);
	/* Whatever make check was given stays out of this make. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	st = run(argv, &out);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		test_diag_block("make output", out, strlen(out));
		FAIL("make %s: status %#x", target, st);
	}
	free(out);
}

/* path under dest: a regular file with at least mode bits mode, of the
 * same size as like (when not NULL). */
static void installed(const char *rel, mode_t mode, const char *like)
{
	char p[PATH_MAX];
	struct stat st, lst;

	snprintf(p, sizeof(p), "%s%s", dest, rel);
	if (lstat(p, &st) < 0)
		FAIL("%s not installed: %s", rel, strerror(errno));
	if (!S_ISREG(st.st_mode))
		FAIL("%s: not a regular file", rel);
	if ((st.st_mode & mode) != mode)
		FAIL("%s: mode %o lacks %o", rel, st.st_mode & 07777, mode);
	if (like) {
		ASSERT_OK(stat(like, &lst));
		ASSERT_EQ(st.st_size, lst.st_size);
	}
}

static void gone(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s%s", dest, rel);
	if (access(p, F_OK) == 0)
		FAIL("%s still there after make uninstall", rel);
}

/* Does file contain the bytes of s? */
static int file_has(const char *path, const char *s)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 64u << 20, n;
	char *buf = malloc(cap);
	int found;

	ASSERT(f && buf);
	n = fread(buf, 1, cap, f);
	fclose(f);
	found = memmem(buf, n, s, strlen(s) + 1) != NULL;
	free(buf);
	return found;
}

static const char *const files_bin[] = { "moat", "moat-shim", "moat-vmm" };

TEST_TIMEOUT(install_tree, 600)
{
	char p[PATH_MAX], src[PATH_MAX + 64], *out;
	size_t i;

	setup();
	make("install");
	for (i = 0; i < sizeof(files_bin) / sizeof(files_bin[0]); i++) {
		snprintf(p, sizeof(p), PREFIX "/bin/%s", files_bin[i]);
		snprintf(src, sizeof(src), "%s/bin/%s", objdir, files_bin[i]);
		installed(p, 0755, src);
	}
	installed(PREFIX "/share/moat/bzImage", 0644, kernel);
	snprintf(src, sizeof(src), "%s/guest/initramfs.cpio", objdir);
	installed(PREFIX "/share/moat/initramfs.cpio", 0644, src);
	installed(PREFIX "/share/man/man1/moat.1", 0644,
		  MOAT_SRCDIR "/docs/man/moat.1");
	installed(PREFIX "/share/man/man1/moat-vmm.1", 0644,
		  MOAT_SRCDIR "/docs/man/moat-vmm.1");
	installed(PREFIX "/share/man/man5/moat.conf.5", 0644,
		  MOAT_SRCDIR "/docs/man/moat.conf.5");

	/* the installed moat runs */
	snprintf(p, sizeof(p), "%s" PREFIX "/bin/moat", dest);
	{
		char *argv[] = { p, "--version", NULL };
		int st = run(argv, &out);

		if (!WIFEXITED(st) || WEXITSTATUS(st) ||
		    strncmp(out, "moat version ", 13)) {
			test_diag_block("moat --version", out, strlen(out));
			FAIL("moat --version: status %#x", st);
		}
		free(out);
	}
	/* the shim boots PREFIX's guest by default */
	snprintf(p, sizeof(p), "%s" PREFIX "/bin/moat-shim", dest);
	ASSERT(file_has(p, PREFIX "/share/moat/bzImage"));
	ASSERT(file_has(p, PREFIX "/share/moat/initramfs.cpio"));

	make("uninstall");
	for (i = 0; i < sizeof(files_bin) / sizeof(files_bin[0]); i++) {
		snprintf(p, sizeof(p), PREFIX "/bin/%s", files_bin[i]);
		gone(p);
	}
	gone(PREFIX "/share/moat");
	gone(PREFIX "/share/man/man1/moat.1");
	gone(PREFIX "/share/man/man1/moat-vmm.1");
	gone(PREFIX "/share/man/man5/moat.conf.5");
	cleanup();
}

/* The installed moat, with no MOAT_* in its environment, starts the
 * installed shim (found beside it), which looks for the guest kernel in
 * PREFIX/share/moat: on this machine nothing is installed there, so
 * create fails naming that path, and leaves no container behind. */
TEST_TIMEOUT(install_finds_shim, 600)
{
	static const char *const vars[] = {
		"MOAT_SHIM",	  "MOAT_KERNEL", "MOAT_INITRAMFS", "MOAT_QEMU",
		"MOAT_VIRTIOFSD", "MOAT_VMM",	 "MOAT_AGENT",
	};
	char moat[PATH_MAX], root[PATH_MAX], bundle[PATH_MAX], cfg[PATH_MAX];
	char *out;
	json_t *j;
	size_t i;
	int st;

	if (access(PREFIX "/share/moat/bzImage", F_OK) == 0)
		test_skip(PREFIX "/share/moat/bzImage exists on this machine");
	setup();
	make("install");
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		ASSERT_OK(unsetenv(vars[i]));
	ASSERT_OK(setenv("MOAT_CONFIG", "/nonexistent/moat.conf", 1));
	ASSERT_OK(setenv("MOAT_HYPERVISOR", "qemu", 1));
	snprintf(moat, sizeof(moat), "%s" PREFIX "/bin/moat", dest);
	snprintf(root, sizeof(root), "%s/state", dest);
	snprintf(bundle, sizeof(bundle), "%s/bundle", dest);
	snprintf(cfg, sizeof(cfg), "%s/bundle/config.json", dest);
	ASSERT_OK(mkdir(root, 0700));
	ASSERT_OK(mkdir(bundle, 0755));
	{
		char *argv[] = { moat, "spec", "--bundle", bundle, NULL };

		st = run(argv, &out);
		ASSERT_EQ(st, 0);
		free(out);
	}
	/* no terminal: nothing to pass a console to */
	j = json_load_file(cfg, 0, NULL);
	ASSERT(j);
	ASSERT(!json_object_set_new(json_object_get(j, "process"), "terminal",
				    json_false()));
	ASSERT(!json_dump_file(j, cfg, 0));
	json_decref(j);
	snprintf(cfg, sizeof(cfg), "%s/bundle/rootfs", dest);
	ASSERT_OK(mkdir(cfg, 0755));
	{
		char *argv[] = { moat,	     "--root", root,   "create",
				 "--bundle", bundle,   "inst", NULL };

		st = run(argv, &out);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 1 ||
		    !strstr(out, PREFIX "/share/moat/bzImage")) {
			test_diag_block("moat create", out, strlen(out));
			FAIL("moat create: status %#x, want 1 naming the "
			     "kernel in " PREFIX "/share/moat",
			     st);
		}
		free(out);
	}
	{
		char *argv[] = { moat, "--root", root, "list", "-q", NULL };

		st = run(argv, &out);
		ASSERT_EQ(st, 0);
		ASSERT_STREQ(out, "");
		free(out);
	}
	cleanup();
}
