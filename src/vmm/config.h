/*
 * config.h: what one moat-vmm VM is made of, as main.c parses it from the
 * command line before anything is built; vm.c builds the machine and the
 * device table (devices/device.c) the devices from it. Plain data.
 * Inputs: the command line (the runtime's), checked by main.c.
 */
#ifndef MOAT_VMM_CONFIG_H
#define MOAT_VMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define VM_MAX_VCONSOLES 4
#define VM_MAX_BLOCKS 4
#define VM_MAX_SHARES 8
#define VM_MAX_NETS 4

/* A virtio-9p share: a host directory the guest mounts by tag. */
struct vm_share_config {
	const char *tag; /* 1..P9_TAG_MAX bytes */
	const char *path;
	bool ro;
	bool submounts; /* cross mount points under path */
};

/* A virtio-blk device: a raw image (or block device), opened before the
 * guest runs. */
struct vm_block_config {
	const char *path;
	bool ro;
	const char *id; /* GET_ID string (<= 20 bytes), NULL: "moat-blkN" */
};

/* A virtio-net device on a tap: inherited (fd) or attached by name. */
struct vm_net_config {
	int fd;		    /* >= 0: an inherited tap fd */
	const char *ifname; /* else: the existing tap to attach to */
	uint8_t mac[6];
	bool has_mac; /* else a random locally administered one */
	unsigned mtu; /* 0: not offered to the guest */
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline; /* appended to moat-vmm's own arguments */
	uint64_t mem_bytes;
	unsigned ncpus;
	int console_out;			/* -1: discard */
	int console_in;				/* -1: none */
	const char *kvm_dev;			/* NULL: /dev/kvm */
	const char *vconsole[VM_MAX_VCONSOLES]; /* hvc0, hvc1, ...: backends */
	const char *vport[VM_MAX_VCONSOLES];	/* NULL, or the port's name */
	unsigned nvconsole;
	bool rng;				     /* a virtio-rng device */
	struct vm_block_config block[VM_MAX_BLOCKS]; /* vda, vdb, ... */
	unsigned nblock;
	struct vm_share_config share[VM_MAX_SHARES];
	unsigned nshare;
	struct vm_net_config net[VM_MAX_NETS]; /* eth0, eth1, ... */
	unsigned nnet;
};

#endif
