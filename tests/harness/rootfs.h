/*
 * rootfs.h: a tiny root filesystem for host tests, built in a temporary
 * directory from Debian's static busybox, laid out as the agent's host
 * mode expects: <dir> is the --share-dir, <dir>/b the bundle (tag "b"),
 * <dir>/b/rootfs the root (root.path "rootfs").
 */
#ifndef MOAT_TEST_ROOTFS_H
#define MOAT_TEST_ROOTFS_H

#include <stddef.h>

#define ROOTFS_TAG "b"
#define ROOTFS_PATH "rootfs"

/* Build it; dir receives the share directory. Skips the test when
 * /bin/busybox is missing. */
void rootfs_make(char *dir, size_t cap);

/* Remove the tree (never crossing into a mount). */
void rootfs_remove(const char *dir);

#endif
