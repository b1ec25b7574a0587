/*
 * test_vmm_blk.c: level 4, inside the nested-KVM test host: moat-vmm's
 * virtio-blk seen from a real guest. One boot with two images, one
 * read-write (--block rw.img,id=moat-rw) and one read-only
 * (--block ro.img,ro,id=moat-ro), and tests/kvm/guest/blkcheck as /init
 * (its own initramfs, blkcheck.cpio beside this binary). The guest finds
 * each disk by the serial it reads with GET_ID, hashes both, writes the
 * read-write one, flushes, reads back with O_DIRECT, fails to write the
 * read-only one, and prints a summary line. Here we check that line
 * against the images' sizes and hashes, and then the bytes on the host:
 * the pattern where the guest wrote, everything else untouched, and the
 * read-only image unchanged.
 */
#include "../harness/test.h"
#include "../harness/vmrun.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW_SIZE (2u << 20)
#define RO_SIZE ((1u << 20) + 100) /* a partial last sector is not seen */
#define WRITE_OFF 4096
#define WRITE_LEN 4096

/* Same as blkcheck_pattern in tests/kvm/guest/blkcheck.c. */
static uint8_t pattern(uint64_t i, unsigned seed)
{
	return (uint8_t)((i * 13 + seed) ^ (i >> 8));
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint8_t *make_image(const char *path, size_t size, unsigned seed)
{
	uint8_t *buf = malloc(size);
	size_t i;
	int fd;

	ASSERT(buf);
	for (i = 0; i < size; i++)
		buf[i] = (uint8_t)(pattern(i, seed) ^ (i / 512));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, buf, size), (ssize_t)size);
	close(fd);
	return buf;
}

static uint8_t *load(const char *path, size_t size)
{
	uint8_t *buf = malloc(size + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ASSERT(buf);
	ASSERT_OK(fd);
	ASSERT_EQ(read(fd, buf, size + 1), (ssize_t)size);
	close(fd);
	return buf;
}

TEST_TIMEOUT(vmm_blk_guest_reads_writes_flushes_and_is_refused_ro, 280)
{
	const char *vmm = vmrun_env_path("MOAT_VMM");
	const char *kernel = vmrun_env_path("MOAT_KERNEL");
	char dir[] = "/tmp/moat-blk.XXXXXX", rw[64], ro[64], brw[96], bro[96];
	char exe[PATH_MAX], cpio[PATH_MAX + 32], want[256];
	uint8_t *rw0, *ro0, *rw1, *ro1;
	struct vmrun_result r;
	const char *line;
	ssize_t n;
	size_t i;

	if (!vmm || !kernel)
		FAIL("MOAT_VMM or MOAT_KERNEL is not set");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_OK(n);
	exe[n] = '\0';
	snprintf(cpio, sizeof(cpio), "%s/blkcheck.cpio", dirname(exe));
	ASSERT_OK(access(cpio, R_OK));
	ASSERT(mkdtemp(dir));
	snprintf(rw, sizeof(rw), "%s/rw.img", dir);
	snprintf(ro, sizeof(ro), "%s/ro.img", dir);
	rw0 = make_image(rw, RW_SIZE, 3);
	ro0 = make_image(ro, RO_SIZE, 5);
	snprintf(brw, sizeof(brw), "%s,id=moat-rw", rw);
	snprintf(bro, sizeof(bro), "%s,ro,id=moat-ro", ro);
	{
		char *argv[] = { (char *)vmm, "--kernel", (char *)kernel,
				 "--initrd",  cpio,	  "--block",
				 brw,	      "--block",  bro,
				 "--cmdline", "quiet",	  NULL };

		if (vmrun(argv, 240, &r) < 0)
			FAIL("cannot start moat-vmm: %s", strerror(errno));
	}
	line = r.out ? strstr(r.out, "BLKCHECK ") : NULL;
	if (!r.exited || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0 ||
	    !line)
		test_diag_block("moat-vmm output", r.out, r.out_len);
	ASSERT(r.exited);
	ASSERT(WIFEXITED(r.status));
	ASSERT_EQ(WEXITSTATUS(r.status), 0);
	ASSERT(line);
	/* The guest's view: sizes in sectors, the RO flag, the contents. */
	snprintf(want, sizeof(want),
		 "BLKCHECK rw=%u,0,%016llx ro=%u,1,%016llx write=ok flush=ok "
		 "readback=ok rofail=",
		 RW_SIZE / 512, (unsigned long long)fnv(rw0, RW_SIZE),
		 RO_SIZE / 512,
		 (unsigned long long)fnv(ro0, RO_SIZE / 512 * 512));
	if (strncmp(line, want, strlen(want))) {
		test_diag_block("moat-vmm output", r.out, r.out_len);
		FAIL("expected a line starting \"%s\"", want);
	}
	line += strlen(want);
	if (strncmp(line, "EPERM", 5) && strncmp(line, "EROFS", 5)) {
		test_diag_block("moat-vmm output", r.out, r.out_len);
		FAIL("the read-only disk was not refused to a writer");
	}
	test_diag("guest done after %.2f s: %.*s", r.exit_s,
		  (int)strcspn(line - strlen(want), "\r\n"),
		  line - strlen(want));
	/* The host's view: what the guest wrote, and nothing else. */
	for (i = 0; i < WRITE_LEN; i++)
		rw0[WRITE_OFF + i] = pattern(i, 7);
	for (i = 0; i < 512; i++)
		rw0[RW_SIZE - 512 + i] = pattern(i, 99);
	rw1 = load(rw, RW_SIZE);
	ro1 = load(ro, RO_SIZE);
	for (i = 0; i < RW_SIZE; i++)
		if (rw1[i] != rw0[i])
			FAIL("rw.img differs at byte %zu", i);
	ASSERT(memcmp(ro1, ro0, RO_SIZE) == 0);
	free(rw0);
	free(ro0);
	free(rw1);
	free(ro1);
	free(r.out);
	unlink(rw);
	unlink(ro);
	rmdir(dir);
}
