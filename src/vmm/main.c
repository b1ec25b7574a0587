/*
 * moat-vmm: moat's microVM monitor on KVM. One VM per process, configured
 * by command-line options (parsed into struct vm_config before anything is
 * built), then built (vm_build), given its control socket (ctl.h), run
 * and torn down, in that order. See `moat-vmm --help` and docs/vmm.md.
 * Inputs: the command line (from the runtime); the guest (through KVM).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "devices/virtio/blkreq.h"
#include "devices/virtio/net.h"
#include "devices/virtio/p9dev.h"
#include "vm.h"

#define VMM_VERSION "0.1.0"
#define VMM_DEFAULT_MIB 128

static void vmm_usage(FILE *f)
{
	fprintf(f,
		"usage: moat-vmm --kernel BZIMAGE [options]\n"
		"\n"
		"Runs one KVM virtual machine until its guest powers off or\n"
		"reboots.\n"
		"\n"
		"  --kernel PATH      64-bit bzImage to boot (required)\n"
		"  --initrd PATH      initramfs\n"
		"  --cmdline STRING   appended to the kernel command line\n"
		"                     (moat-vmm sets console=ttyS0 reboot=k\n"
		"                     panic=-1 first)\n"
		"  --memory MIB       guest RAM in MiB (default %d)\n"
		"  --cpus N           vCPUs, 1..%d (default 1)\n"
		"  --console SPEC     COM1: stdio (default; stdin is its input),\n"
		"                     none, file:PATH (appended), fd:N\n"
		"  --vconsole SPEC    a virtio console (hvc0, hvc1, ... in order),\n"
		"                     a byte channel to fd:N or unix:PATH (moat-vmm\n"
		"                     listens there); up to %d with --vport\n"
		"  --vport NAME=SPEC  a virtio console whose port 0 is the generic\n"
		"                     port NAME (multiport; the guest's\n"
		"                     /sys/class/virtio-ports/*/name), SPEC as\n"
		"                     for --vconsole; in order with them\n"
		"  --rng              a virtio-rng device fed by getrandom(2)\n"
		"  --block PATH[,ro][,id=ID]\n"
		"                     a virtio-blk device (vda, vdb, ... in order)\n"
		"                     on a raw image file or block device, read-\n"
		"                     write unless ro; ID is what the guest reads\n"
		"                     as its serial (<= 20 bytes, default\n"
		"                     moat-blkN); PATH may not contain a comma;\n"
		"                     up to %d\n"
		"  --share TAG=PATH[,ro][,submounts]\n"
		"                     a virtio-9p device (9P2000.L) exporting the\n"
		"                     host directory PATH under mount tag TAG\n"
		"                     ([A-Za-z0-9][A-Za-z0-9_.-]*, <= %d bytes),\n"
		"                     read-write unless ro; the guest can reach\n"
		"                     nothing outside PATH; mount points under\n"
		"                     PATH are crossed only with submounts; PATH\n"
		"                     may not contain a comma; up to %d, tags\n"
		"                     distinct\n"
		"  --net fd:N|tap:NAME[,mac=MAC][,mtu=N]\n"
		"                     a virtio-net device (eth0, eth1, ... in\n"
		"                     order) on a tap: fd N inherited (opened\n"
		"                     with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR), or the\n"
		"                     existing tap NAME; MAC XX:XX:XX:XX:XX:XX\n"
		"                     (default: random, locally administered);\n"
		"                     mtu offers the guest that MTU; up to %d\n"
		"  --control PATH     serve the control socket there: lines\n"
		"                     status, pause, resume, stop (see ctlproto.h)\n"
		"  --kvm PATH         KVM device (default /dev/kvm)\n"
		"  --help, --version\n"
		"\n"
		"Exit status: 0 the guest powered off or rebooted; 1 start-up\n"
		"failed; 2 bad command line; 3 the guest triple-faulted; 4 KVM\n"
		"could not run the guest; 5 stopped by SIGTERM, SIGINT or SIGHUP.\n",
		VMM_DEFAULT_MIB, LAYOUT_MAX_VCPUS, VM_MAX_VCONSOLES,
		VM_MAX_BLOCKS, P9_TAG_MAX, VM_MAX_SHARES, VM_MAX_NETS);
}

static int vmm_fail(int code, const char *what, const char *why)
{
	fprintf(stderr, "moat-vmm: %s: %s\n", what, why);
	return code;
}

static int vmm_parse_uint(const char *s, unsigned long long max,
			  unsigned long long *out)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	*out = strtoull(s, &end, 10);
	if (errno || *end || *out > max)
		return -1;
	return 0;
}

static int vmm_console(const char *spec, struct vm_config *c)
{
	unsigned long long fd;

	if (!strcmp(spec, "stdio")) {
		c->console_out = STDOUT_FILENO;
		c->console_in = STDIN_FILENO;
	} else if (!strcmp(spec, "none")) {
		c->console_out = c->console_in = -1;
	} else if (!strncmp(spec, "file:", 5) && spec[5]) {
		c->console_in = -1;
		c->console_out =
			open(spec + 5,
			     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (c->console_out < 0)
			return -1;
	} else if (!strncmp(spec, "fd:", 3) &&
		   !vmm_parse_uint(spec + 3, INT_MAX, &fd) &&
		   fcntl((int)fd, F_GETFD) >= 0) {
		c->console_out = (int)fd;
		c->console_in = -1;
	} else {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Parse "PATH[,ro|,rw][,id=ID]" in place (the commas become NULs). */
static int vmm_block(char *spec, struct vm_config *c)
{
	struct vm_block_config *b;
	char *opt, *next;

	if (c->nblock >= VM_MAX_BLOCKS)
		return -1;
	b = &c->block[c->nblock];
	memset(b, 0, sizeof(*b));
	b->path = spec;
	next = strchr(spec, ',');
	if (next)
		*next++ = '\0';
	if (!*spec)
		return -1;
	while ((opt = next)) {
		next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		if (!strcmp(opt, "ro"))
			b->ro = true;
		else if (!strcmp(opt, "rw"))
			b->ro = false;
		else if (!strncmp(opt, "id=", 3) && opt[3] &&
			 strlen(opt + 3) <= BLKREQ_ID_BYTES)
			b->id = opt + 3;
		else
			return -1;
	}
	c->nblock++;
	return 0;
}

static bool vmm_tag_ok(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0 || n > P9_TAG_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char ch = t[i];
		bool alnum = (ch >= 'a' && ch <= 'z') ||
			     (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');

		if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
			return false;
	}
	return true;
}

static int vmm_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Parse XX:XX:XX:XX:XX:XX, a unicast address. */
static int vmm_mac(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		hi = vmm_hex(s[3 * i]);
		lo = vmm_hex(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return (mac[0] & 1) ? -1 : 0; /* not a multicast address */
}

/* Parse "fd:N|tap:NAME[,mac=MAC][,mtu=N]" in place. Returns NULL or what
 * is wrong. */
static const char *vmm_net(char *spec, struct vm_config *c)
{
	struct vm_net_config *n;
	unsigned long long v;
	char *opt, *next;

	if (c->nnet >= VM_MAX_NETS)
		return "too many";
	n = &c->net[c->nnet];
	memset(n, 0, sizeof(*n));
	n->fd = -1;
	next = strchr(spec, ',');
	if (next)
		*next++ = '\0';
	if (!strncmp(spec, "fd:", 3)) {
		if (vmm_parse_uint(spec + 3, INT_MAX, &v) ||
		    fcntl((int)v, F_GETFD) < 0)
			return "fd:N is not an open fd";
		n->fd = (int)v;
	} else if (!strncmp(spec, "tap:", 4) && spec[4] &&
		   strlen(spec + 4) < 16) {
		n->ifname = spec + 4;
	} else {
		return "not fd:N or tap:NAME[,mac=MAC][,mtu=N]";
	}
	while ((opt = next)) {
		next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		if (!strncmp(opt, "mac=", 4) && !vmm_mac(opt + 4, n->mac))
			n->has_mac = true;
		else if (!strncmp(opt, "mtu=", 4) &&
			 !vmm_parse_uint(opt + 4, 65535, &v) &&
			 v >= NET_MTU_MIN)
			n->mtu = (unsigned)v;
		else
			return "bad option (mac=XX:XX:XX:XX:XX:XX, mtu=68..65535)";
	}
	c->nnet++;
	return NULL;
}

/* Parse "TAG=PATH[,ro|,rw]" in place. Returns NULL or what is wrong. */
static const char *vmm_share(char *spec, struct vm_config *c)
{
	struct vm_share_config *sh;
	char *eq = strchr(spec, '='), *opt, *next;
	unsigned i;

	if (c->nshare >= VM_MAX_SHARES)
		return "too many";
	if (!eq)
		return "not TAG=PATH[,ro]";
	*eq = '\0';
	sh = &c->share[c->nshare];
	memset(sh, 0, sizeof(*sh));
	sh->tag = spec;
	sh->path = eq + 1;
	if (!vmm_tag_ok(sh->tag))
		return "bad TAG";
	for (i = 0; i < c->nshare; i++)
		if (!strcmp(c->share[i].tag, sh->tag))
			return "TAG used twice";
	next = strchr(eq + 1, ',');
	if (next)
		*next++ = '\0';
	if (!*sh->path)
		return "not TAG=PATH[,ro]";
	while ((opt = next)) {
		next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		if (!strcmp(opt, "ro"))
			sh->ro = true;
		else if (!strcmp(opt, "rw"))
			sh->ro = false;
		else if (!strcmp(opt, "submounts"))
			sh->submounts = true;
		else
			return "not TAG=PATH[,ro][,submounts]";
	}
	c->nshare++;
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'n' },
		{ "console", required_argument, NULL, 'C' },
		{ "kvm", required_argument, NULL, 'K' },
		{ "vconsole", required_argument, NULL, 'v' },
		{ "vport", required_argument, NULL, 'p' },
		{ "rng", no_argument, NULL, 'r' },
		{ "block", required_argument, NULL, 'b' },
		{ "share", required_argument, NULL, 's' },
		{ "net", required_argument, NULL, 'N' },
		{ "control", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_config c = {
		.mem_bytes = (uint64_t)VMM_DEFAULT_MIB << 20,
		.ncpus = 1,
		.console_out = STDOUT_FILENO,
		.console_in = STDIN_FILENO,
	};
	struct moat_err *e = NULL;
	const char *control = NULL; /* the control socket's path */
	unsigned long long v;
	const char *why;
	struct ctl ctl;
	struct vm vm;
	int opt, code;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			c.kernel = optarg;
			break;
		case 'i':
			c.initrd = optarg;
			break;
		case 'c':
			c.cmdline = optarg;
			break;
		case 'm':
			if (vmm_parse_uint(optarg, 1ULL << 20, &v) || v < 16)
				return vmm_fail(VMM_EXIT_USAGE, "--memory",
						"not a size in MiB of at "
						"least 16");
			c.mem_bytes = v << 20;
			break;
		case 'n':
			if (vmm_parse_uint(optarg, LAYOUT_MAX_VCPUS, &v) || !v)
				return vmm_fail(VMM_EXIT_USAGE, "--cpus",
						"not a vCPU count in 1..32");
			c.ncpus = (unsigned)v;
			break;
		case 'C':
			if (vmm_console(optarg, &c) < 0)
				return vmm_fail(VMM_EXIT_USAGE, "--console",
						strerror(errno));
			break;
		case 'K':
			c.kvm_dev = optarg;
			break;
		case 'v':
			if (c.nvconsole >= VM_MAX_VCONSOLES)
				return vmm_fail(VMM_EXIT_USAGE, "--vconsole",
						"too many");
			c.vconsole[c.nvconsole++] = optarg;
			break;
		case 'p': {
			char *eq = strchr(optarg, '=');

			if (c.nvconsole >= VM_MAX_VCONSOLES)
				return vmm_fail(VMM_EXIT_USAGE, "--vport",
						"too many");
			if (!eq || eq == optarg)
				return vmm_fail(VMM_EXIT_USAGE, "--vport",
						"not NAME=SPEC");
			*eq = '\0';
			c.vport[c.nvconsole] = optarg;
			c.vconsole[c.nvconsole++] = eq + 1;
			break;
		}
		case 'r':
			c.rng = true;
			break;
		case 'b':
			if (vmm_block(optarg, &c) < 0)
				return vmm_fail(
					VMM_EXIT_USAGE, "--block",
					c.nblock >= VM_MAX_BLOCKS
						? "too many"
						: "not PATH[,ro][,id=ID]");
			break;
		case 's':
			why = vmm_share(optarg, &c);
			if (why)
				return vmm_fail(VMM_EXIT_USAGE, "--share", why);
			break;
		case 'N':
			why = vmm_net(optarg, &c);
			if (why)
				return vmm_fail(VMM_EXIT_USAGE, "--net", why);
			break;
		case 'S':
			control = optarg;
			break;
		case 'h':
			vmm_usage(stdout);
			return 0;
		case 'V':
			printf("moat-vmm %s\n", VMM_VERSION);
			return 0;
		default:
			vmm_usage(stderr);
			return VMM_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return vmm_fail(VMM_EXIT_USAGE, argv[optind],
				"unexpected argument");
	if (!c.kernel)
		return vmm_fail(VMM_EXIT_USAGE, "--kernel", "is required");
	if (vm_build(&vm, &c, &e) < 0)
		goto fail;
	if (control && ctl_open(&ctl, control, &vm, &e) < 0) {
		ctl_close(&ctl);
		vm_destroy(&vm);
		goto fail;
	}
	code = vm_run(&vm);
	if (control)
		ctl_close(&ctl);
	vm_destroy(&vm);
	return code;
fail:
	fprintf(stderr, "moat-vmm: %s\n", e ? e->msg : "out of memory");
	moat_err_free(&e);
	return VMM_EXIT_ERROR;
}
