/*
 * blkcheck: the guest side of tests/kvm/test_vmm_blk, run as /init (PID 1,
 * static) of its own initramfs under moat-vmm with two virtio-blk disks:
 * serial "moat-rw" (read-write) and "moat-ro" (read-only), found by the
 * serial the guest kernel reads from each with GET_ID.
 *
 * It reads both disks whole and hashes them, writes a pattern to the
 * read-write disk (8 sectors at 4096, and its last sector), flushes with
 * fsync, reads the written sectors back with O_DIRECT (from the device,
 * not the page cache), tries to write the read-only disk, prints one line
 *   BLKCHECK rw=<size>,<ro>,<hash> ro=<size>,<ro>,<hash> write=ok
 *   flush=ok readback=ok rofail=<errno name>
 * on the console (or "BLKCHECK FAIL <step>: <errno>"), and restarts the VM
 * (moat-vmm then exits 0). The host checks the line and the image bytes.
 * Hash: 64-bit FNV-1a; patterns: see blkcheck_pattern (the test computes
 * the same). Inputs: the guest kernel's view of moat-vmm's devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#define BLKCHECK_WRITE_OFF 4096
#define BLKCHECK_WRITE_LEN 4096

struct disk {
	char dev[32];
	unsigned long long sectors;
	int ro;
	uint64_t hash;
};

static char blkcheck_line[1024];

static void blkcheck_end(void)
{
	size_t n = strlen(blkcheck_line);

	blkcheck_line[n] = '\n';
	if (write(1, blkcheck_line, n + 1) < 0) {
		/* nowhere else to say it */
	}
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void blkcheck_fail(const char *step)
{
	snprintf(blkcheck_line, sizeof(blkcheck_line) - 1,
		 "BLKCHECK FAIL %s: %s", step, strerror(errno));
	blkcheck_end();
}

/* The byte at offset i of a pattern seeded with seed. */
static uint8_t blkcheck_pattern(uint64_t i, unsigned seed)
{
	return (uint8_t)((i * 13 + seed) ^ (i >> 8));
}

static int read_sysfs(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int hash_disk(struct disk *d)
{
	static uint8_t buf[65536];
	uint64_t h = 0xcbf29ce484222325ULL, total = 0;
	int fd = open(d->dev, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		h = fnv(h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	if (n < 0)
		return -1;
	if (total != d->sectors * 512) {
		errno = EIO;
		return -1;
	}
	d->hash = h;
	return 0;
}

/* Find the disk whose serial is want among vda..vdd. */
static int find_disk(const char *want, struct disk *d)
{
	char path[96], buf[64];
	char c;

	for (c = 'a'; c <= 'd'; c++) {
		snprintf(path, sizeof(path), "/sys/block/vd%c/serial", c);
		if (read_sysfs(path, buf, sizeof(buf)) < 0 || strcmp(buf, want))
			continue;
		snprintf(d->dev, sizeof(d->dev), "/dev/vd%c", c);
		snprintf(path, sizeof(path), "/sys/block/vd%c/size", c);
		if (read_sysfs(path, buf, sizeof(buf)) < 0)
			return -1;
		d->sectors = strtoull(buf, NULL, 10);
		snprintf(path, sizeof(path), "/sys/block/vd%c/ro", c);
		if (read_sysfs(path, buf, sizeof(buf)) < 0)
			return -1;
		d->ro = atoi(buf);
		return 0;
	}
	errno = ENOENT;
	return -1;
}

static void write_pattern(int fd, uint64_t off, size_t len, unsigned seed)
{
	static uint8_t buf[BLKCHECK_WRITE_LEN];
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = blkcheck_pattern(i, seed);
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		blkcheck_fail("write");
}

/* Read [off, off+len) with O_DIRECT and compare with the pattern. */
static void read_back(const char *dev, uint64_t off, size_t len, unsigned seed)
{
	static uint8_t buf[BLKCHECK_WRITE_LEN] __attribute__((aligned(4096)));
	int fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	size_t i;

	if (fd < 0 || pread(fd, buf, len, (off_t)off) != (ssize_t)len)
		blkcheck_fail("read back");
	close(fd);
	for (i = 0; i < len; i++)
		if (buf[i] != blkcheck_pattern(i, seed)) {
			errno = EILSEQ;
			blkcheck_fail("read back compare");
		}
}

int main(void)
{
	struct disk rw, ro;
	const char *rofail = "none";
	int fd, tries;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
		blkcheck_fail("mount /sys");
	for (tries = 0;; tries++) {
		if (find_disk("moat-rw", &rw) == 0 &&
		    find_disk("moat-ro", &ro) == 0)
			break;
		if (tries == 50)
			blkcheck_fail("find disks");
		usleep(100000);
	}
	if (hash_disk(&rw) < 0)
		blkcheck_fail("read rw");
	if (hash_disk(&ro) < 0)
		blkcheck_fail("read ro");
	fd = open(rw.dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		blkcheck_fail("open rw");
	write_pattern(fd, BLKCHECK_WRITE_OFF, BLKCHECK_WRITE_LEN, 7);
	write_pattern(fd, (rw.sectors - 1) * 512, 512, 99);
	if (fsync(fd) < 0)
		blkcheck_fail("fsync");
	close(fd);
	read_back(rw.dev, BLKCHECK_WRITE_OFF, BLKCHECK_WRITE_LEN, 7);
	read_back(rw.dev, (rw.sectors - 1) * 512, 512, 99);
	/* The read-only disk refuses a writer: at open (EROFS) or at the
	 * write (EPERM), depending on the kernel. */
	fd = open(ro.dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rofail = errno == EROFS ? "EROFS" : "other";
	} else {
		static const char x[512];

		if (pwrite(fd, x, sizeof(x), 0) >= 0 && fsync(fd) == 0)
			rofail = "none";
		else
			rofail = errno == EPERM	  ? "EPERM"
				 : errno == EROFS ? "EROFS"
				 : errno == EIO	  ? "EIO"
						  : "other";
		close(fd);
	}
	snprintf(blkcheck_line, sizeof(blkcheck_line) - 1,
		 "BLKCHECK rw=%llu,%d,%016llx ro=%llu,%d,%016llx write=ok "
		 "flush=ok readback=ok rofail=%s",
		 rw.sectors, rw.ro, (unsigned long long)rw.hash, ro.sectors,
		 ro.ro, (unsigned long long)ro.hash, rofail);
	blkcheck_end();
	return 0;
}
