/*
 * rootfs.c: the container's root filesystem, built in the child that
 * container_create() cloned into new namespaces (rootfs.h): the mounts,
 * /dev and its devices, namespaced sysctls, hostname, pivot_root, the
 * root's propagation (runc's order: the root's parent mount made private
 * first, linux.rootfsPropagation set on / again after pivot_root, where
 * it is the container's root), masked and read-only paths, a read-only
 * root.
 *
 * In a new user namespace nothing is chowned (runc does not either: the
 * image is owned as whoever prepared it chose); device nodes, which the
 * namespace's root may not make, are the guest's bound onto empty files
 * (runc's way); and a sysfs, which only the owner of the network
 * namespace may mount, is, when it cannot be (the container uses the
 * guest's network namespace), the guest's /sys bound read-only (crun's
 * way; a read-only sysfs only, as crun).
 *
 * Inputs: the config (the host's struct spec, decoded by the shared
 * parser) and the paths it names inside the root filesystem, which the
 * image controls: destinations are created and resolved with
 * openat2(RESOLVE_IN_ROOT) before pivot_root, and mounted through
 * /proc/self/fd, so a symlink in the image cannot send a mount outside the
 * container's root.
 */
#include "rootfs.h"
#include "child.h"
#include "net.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int rootfs_openat2(int dirfd, const char *path, int flags,
			  unsigned long long resolve)
{
	struct open_how how = {
		.flags = (unsigned long long)flags | O_CLOEXEC,
		.resolve = resolve,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Open rel (relative, inside the root rootfd) with O_PATH. */
static int rootfs_resolve(int rootfd, const char *rel)
{
	return rootfs_openat2(rootfd, *rel ? rel : ".", O_PATH,
			      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/*
 * Make sure rel exists inside rootfd (directories on the way, and rel a
 * directory or, when !dir, an empty file) and return an O_PATH fd on it.
 * What it makes is uid's and gid's unless uid is (uid_t)-1.
 */
static int rootfs_mkpath_as(int rootfd, const char *rel, bool dir, uid_t uid,
			    gid_t gid)
{
	char buf[4096];
	size_t len = strlen(rel), i;
	int fd, parent;
	char saved;

	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, rel, len + 1);
	for (i = 0; i <= len; i++) {
		if (buf[i] != '/' && buf[i])
			continue;
		if (i == 0 || buf[i - 1] == '/')
			continue;
		saved = buf[i];
		buf[i] = '\0';
		fd = rootfs_resolve(rootfd, buf);
		if (fd < 0 && errno == ENOENT) {
			char *slash = strrchr(buf, '/');
			const char *name = slash ? slash + 1 : buf;

			if (slash)
				*slash = '\0';
			parent = rootfs_resolve(rootfd, slash ? buf : "");
			if (slash)
				*slash = '/';
			if (parent < 0)
				return -1;
			if (saved || dir)
				fd = mkdirat(parent, name, 0755);
			else
				fd = openat(parent, name,
					    O_CREAT | O_EXCL | O_WRONLY |
						    O_CLOEXEC | O_NOFOLLOW,
					    0644);
			if (fd >= 0 && !saved && !dir)
				close(fd);
			if (fd >= 0 && uid != (uid_t)-1 &&
			    fchownat(parent, name, uid, gid,
				     AT_SYMLINK_NOFOLLOW) < 0) {
				close(parent);
				return -1;
			}
			close(parent);
			if (fd < 0 && errno != EEXIST)
				return -1;
			fd = rootfs_resolve(rootfd, buf);
		}
		if (fd < 0)
			return -1;
		buf[i] = saved;
		if (saved)
			close(fd);
		else
			return fd;
	}
	errno = EINVAL;
	return -1;
}

static int rootfs_mkpath(int rootfd, const char *rel, bool dir)
{
	return rootfs_mkpath_as(rootfd, rel, dir, (uid_t)-1, (gid_t)-1);
}

static void rootfs_fdpath(char *buf, size_t cap, int fd)
{
	snprintf(buf, cap, "/proc/self/fd/%d", fd);
}

/* MS_* flags of the mount at path that a bind remount must keep. */
static unsigned long rootfs_locked_flags(const char *path)
{
	unsigned long f = 0;
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

#define ROOTFS_MS_ATTR                                                         \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |       \
	 MS_DIRSYNC | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | \
	 MS_STRICTATIME)

#define ROOTFS_COPY_DEPTH 32

/* Copy the tree under directory from into directory to (tmpcopyup): files,
 * directories and symlinks with their modes and owners. Returns 0 or -1
 * (errno). */
static int rootfs_copy_tree(int from, int to, int depth)
{
	char buf[65536], link[PATH_MAX];
	struct dirent *d;
	struct stat st;
	int dup_from, a, b, r = 0;
	ssize_t n;
	DIR *dir;

	if (depth > ROOTFS_COPY_DEPTH)
		return errno = ELOOP, -1;
	dup_from = dup(from);
	dir = dup_from >= 0 ? fdopendir(dup_from) : NULL;
	if (!dir) {
		if (dup_from >= 0)
			close(dup_from);
		return -1;
	}
	while (!r && (d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (fstatat(from, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(to, d->d_name, st.st_mode & 07777) < 0)
				r = -1;
			a = openat(from, d->d_name,
				   O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
			b = openat(to, d->d_name,
				   O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
			if (!r && (a < 0 || b < 0 ||
				   rootfs_copy_tree(a, b, depth + 1)))
				r = -1;
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlinkat(from, d->d_name, link, sizeof(link) - 1);
			if (n < 0)
				r = -1;
			else {
				link[n] = '\0';
				r = symlinkat(link, to, d->d_name);
			}
		} else if (S_ISREG(st.st_mode)) {
			a = openat(from, d->d_name,
				   O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			b = openat(to, d->d_name,
				   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				   st.st_mode & 07777);
			while (a >= 0 && b >= 0 &&
			       (n = read(a, buf, sizeof(buf))) > 0)
				if (write(b, buf, (size_t)n) != n)
					break;
			if (a < 0 || b < 0 || n != 0)
				r = -1;
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		} else {
			continue; /* device nodes, fifos, sockets: not copied */
		}
		if (!r)
			r = fchownat(to, d->d_name, st.st_uid, st.st_gid,
				     AT_SYMLINK_NOFOLLOW);
		if (!r && !S_ISLNK(st.st_mode))
			r = fchmodat(to, d->d_name, st.st_mode & 07777, 0);
	}
	closedir(dir);
	return r;
}

/* sysfs where it cannot be mounted (see above): the guest's /sys, bound
 * with its submounts (a user namespace's copies are locked together). */
static int rootfs_sysfs_bind(const struct spec_mount *m, const char *target,
			     bool userns)
{
	if (errno != EPERM || !userns || !(m->flags & MS_RDONLY))
		return -1;
	return mount("/sys", target, NULL, MS_BIND | MS_REC, NULL);
}

/* Cover the guest's cgroup hierarchy in such a /sys (rel, in rootfd) with
 * an empty read-only tmpfs: the container sees none of it, and its own
 * cgroup mount there does not land on the same filesystem (EBUSY). */
static void rootfs_sysfs_cover(int sync, int rootfd, const char *rel)
{
	char path[4096], target[64];
	int fd;

	snprintf(path, sizeof(path), "%s/fs/cgroup", rel);
	fd = rootfs_resolve(rootfd, path);
	if (fd < 0)
		return; /* the guest has no cgroup hierarchy there */
	rootfs_fdpath(target, sizeof(target), fd);
	if (mount("tmpfs", target, "tmpfs",
		  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755") < 0)
		child_fail(sync, errno, "mount /%s", path);
	close(fd);
}

static void rootfs_mount_one(int sync, int rootfd, const struct spec_mount *m,
			     bool userns)
{
	const char *rel = m->destination + 1;
	/* The guest has cgroup v2 only: a v1 "cgroup" mount (what engines
	 * on v1 hosts ask for) gets the v2 hierarchy. */
	const char *type =
		m->type && !strcmp(m->type, "cgroup") ? "cgroup2" : m->type;
	char target[64];
	unsigned long attr = m->flags & ROOTFS_MS_ATTR;
	bool dir = true, bound = m->bind, sysbound = false;
	struct stat st;
	int fd, under;

	if (m->bind) {
		if (stat(m->source, &st) < 0)
			child_fail(sync, errno, "mount %s: source %s",
				   m->destination, m->source);
		dir = S_ISDIR(st.st_mode);
	}
	fd = rootfs_mkpath(rootfd, rel, dir);
	if (fd < 0)
		child_fail(sync, errno, "mount %s: destination",
			   m->destination);
	rootfs_fdpath(target, sizeof(target), fd);
	if (m->bind) {
		if (mount(m->source, target, NULL,
			  MS_BIND | (m->pflags & MS_REC), NULL) < 0)
			child_fail(sync, errno, "mount %s: bind %s",
				   m->destination, m->source);
	} else if (mount(m->source ? m->source : type, target, type, attr,
			 m->data) < 0) {
		if (strcmp(type, "sysfs") ||
		    rootfs_sysfs_bind(m, target, userns) < 0)
			child_fail(sync, errno, "mount %s: %s", m->destination,
				   type);
		bound = sysbound = true;
	}
	under = fd; /* the directory under the mount */
	/* The fd named the directory under the mount: look again. */
	fd = rootfs_resolve(rootfd, rel);
	if (fd < 0)
		child_fail(sync, errno, "mount %s: reopen", m->destination);
	rootfs_fdpath(target, sizeof(target), fd);
	if (sysbound)
		rootfs_sysfs_cover(sync, rootfd, rel);
	if (m->copyup && !m->bind) {
		int from =
			openat(under, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int to = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (from < 0 || to < 0 || rootfs_copy_tree(from, to, 0))
			child_fail(sync, errno, "mount %s: tmpcopyup",
				   m->destination);
		close(from);
		close(to);
	}
	close(under);
	if (bound && (attr || m->clear) &&
	    mount(NULL, target, NULL,
		  MS_BIND | MS_REMOUNT | attr |
			  (rootfs_locked_flags(target) & ~m->clear),
		  NULL) < 0)
		child_fail(sync, errno, "mount %s: remount", m->destination);
	if ((m->pflags & ~MS_REC) &&
	    mount(NULL, target, NULL, m->pflags, NULL) < 0)
		child_fail(sync, errno, "mount %s: propagation",
			   m->destination);
	close(fd);
}

/*
 * Make the node name in directory dir, the container's path (absolute:
 * inside rootfd): with bind, an empty file with the guest's node at path
 * bound onto it.
 */
static void rootfs_node(int sync, int rootfd, int dir, const char *path,
			const char *name, mode_t mode, dev_t dev, bool bind)
{
	char target[64];
	int fd;

	if (!bind) {
		if (mknodat(dir, name, mode, dev) < 0 && errno != EEXIST)
			child_fail(sync, errno, "mknod %s", path);
		return;
	}
	fd = rootfs_mkpath(rootfd, path + 1, false);
	if (fd < 0)
		child_fail(sync, errno, "device %s", path);
	rootfs_fdpath(target, sizeof(target), fd);
	if (mount(path, target, NULL, MS_BIND, NULL) < 0)
		child_fail(sync, errno, "device %s: bind the guest's", path);
	close(fd);
}

static void rootfs_devices(int sync, int rootfd, const struct spec *cfg,
			   bool defaults, bool bind)
{
	static const struct {
		const char *name;
		unsigned major, minor;
	} def[] = {
		{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const struct {
		const char *name, *target;
	} links[] = {
		{ "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" },
		{ "ptmx", "pts/ptmx" },
		{ "core", "/proc/kcore" },
	};
	const struct spec_device *d;
	char rel[4096], path[64], *slash;
	mode_t mode;
	size_t i;
	int dev, parent;

	if (defaults) {
		dev = rootfs_resolve(rootfd, "dev");
		if (dev < 0)
			child_fail(sync, errno, "/dev");
		for (i = 0; i < sizeof(def) / sizeof(def[0]); i++) {
			snprintf(path, sizeof(path), "/dev/%s", def[i].name);
			rootfs_node(sync, rootfd, dev, path, def[i].name,
				    S_IFCHR | 0666,
				    makedev(def[i].major, def[i].minor), bind);
		}
		for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
			if (symlinkat(links[i].target, dev, links[i].name) <
				    0 &&
			    errno != EEXIST)
				child_fail(sync, errno, "symlink /dev/%s",
					   links[i].name);
		close(dev);
	}
	for (i = 0; i < cfg->ndevices; i++) {
		d = &cfg->devices[i];
		mode = (mode_t)d->file_mode | (d->type == 'b'	? S_IFBLK
					       : d->type == 'p' ? S_IFIFO
								: S_IFCHR);
		snprintf(rel, sizeof(rel), "%s", d->path + 1);
		slash = strrchr(rel, '/');
		*slash = '\0';
		parent = rootfs_mkpath(rootfd, rel, true);
		if (parent < 0)
			child_fail(sync, errno, "device %s", d->path);
		/* a fifo needs no privilege: made, not bound */
		rootfs_node(sync, rootfd, parent, d->path, slash + 1, mode,
			    makedev(d->major, d->minor),
			    bind && d->type != 'p');
		if (bind && d->type != 'p') {
			close(parent);
			continue;
		}
		if (fchownat(parent, slash + 1, d->uid, d->gid,
			     AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(parent, slash + 1, mode & 07777, 0) < 0)
			child_fail(sync, errno, "device %s", d->path);
		close(parent);
	}
}

int rootfs_sysctl_write(const struct spec_sysctl *sc)
{
	char path[512], *p;
	size_t n = strlen(sc->value);
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", sc->key);
	for (p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (write(fd, sc->value, n) != (ssize_t)n)
		r = -1;
	close(fd);
	return r;
}

/* The config's sysctls; with net_by_agent not the network's, which
 * container_create() wrote (see rootfs.h). */
static void rootfs_sysctls(int sync, const struct spec *cfg, bool net_by_agent)
{
	size_t i;

	for (i = 0; i < cfg->nsysctls; i++)
		if (!(net_by_agent &&
		      !strncmp(cfg->sysctls[i].key, "net.", 4)) &&
		    rootfs_sysctl_write(&cfg->sysctls[i]) < 0)
			child_fail(sync, errno, "sysctl %s",
				   cfg->sysctls[i].key);
}

/* After pivot_root: paths are inside the container. */
static void rootfs_mask_paths(int sync, const struct spec *cfg)
{
	struct stat st;
	size_t i;

	for (i = 0; cfg->masked_paths && cfg->masked_paths[i]; i++) {
		if (stat(cfg->masked_paths[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			child_fail(sync, errno, "maskedPaths %s",
				   cfg->masked_paths[i]);
		}
		if (S_ISDIR(st.st_mode)
			    ? mount("tmpfs", cfg->masked_paths[i], "tmpfs",
				    MS_RDONLY, "size=0")
			    : mount("/dev/null", cfg->masked_paths[i], NULL,
				    MS_BIND, NULL))
			child_fail(sync, errno, "maskedPaths %s",
				   cfg->masked_paths[i]);
	}
	for (i = 0; cfg->readonly_paths && cfg->readonly_paths[i]; i++) {
		const char *p = cfg->readonly_paths[i];

		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			child_fail(sync, errno, "readonlyPaths %s", p);
		}
		if (mount(NULL, p, NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY |
				  rootfs_locked_flags(p),
			  NULL) < 0)
			child_fail(sync, errno, "readonlyPaths %s", p);
	}
}

/* The outside id of the inside id 0 in maps m[0..n), or -1. */
static int64_t rootfs_root_id(const struct spec_idmap *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].container_id == 0)
			return m[i].host_id;
	return -1;
}

int rootfs_premake(const struct config *c, const char *rootfs,
		   struct moat_err **e)
{
	const struct spec *cfg = c->spec;
	int64_t uid = rootfs_root_id(cfg->uid_mappings, cfg->nuid_mappings);
	int64_t gid = rootfs_root_id(cfg->gid_mappings, cfg->ngid_mappings);
	const struct spec_mount *m;
	struct stat st;
	size_t i, k, n;
	int rootfd, fd;
	bool under;

	if (uid < 0 || gid < 0)
		return 0; /* the child fails to become root, and says so */
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return moat_err_set(e, errno, "open the root filesystem");
	for (i = 0; i < cfg->nmounts; i++) {
		m = &cfg->mounts[i];
		/* inside an earlier mount: the child makes it there */
		for (k = 0, under = false; k < i && !under; k++) {
			n = strlen(cfg->mounts[k].destination);
			under = !strncmp(m->destination,
					 cfg->mounts[k].destination, n) &&
				(m->destination[n] == '/' ||
				 !m->destination[n] || n == 1);
		}
		if (under || !m->destination[1])
			continue;
		fd = m->bind && stat(m->source, &st) < 0
			     ? -1
			     : rootfs_mkpath_as(rootfd, m->destination + 1,
						!m->bind || S_ISDIR(st.st_mode),
						(uid_t)uid, (gid_t)gid);
		if (fd < 0) {
			moat_err_set(e, errno, "mount %s: destination",
				     m->destination);
			close(rootfd);
			return -1;
		}
		close(fd);
	}
	close(rootfd);
	return 0;
}

/* Make the mount holding path private, so that the root's bind does not
 * propagate and pivot_root finds no shared parent (runc's
 * rootfsParentMountPrivate): path itself if it is a mount point, else the
 * nearest one above (mount says EINVAL for a directory that is none). */
static void rootfs_parent_private(int sync, const char *path)
{
	char buf[8192], *slash;

	if (!realpath(path, buf))
		snprintf(buf, sizeof(buf), "%s", path);
	while (mount(NULL, buf, NULL, MS_PRIVATE, NULL) < 0) {
		slash = strrchr(buf, '/');
		if (errno != EINVAL || !slash || !strcmp(buf, "/"))
			child_fail(sync, errno,
				   "make the root's parent mount private");
		slash[slash == buf ? 1 : 0] = '\0';
	}
}

void rootfs_build(int sync, const struct config *c, const char *rootfs)
{
	const struct spec *cfg = c->spec;
	bool dev_mounted = false, userns = c->ns_flags & CLONE_NEWUSER;
	int rootfd;
	size_t i;

	if (mount(NULL, "/", NULL, c->root_propagation, NULL) < 0)
		child_fail(sync, errno, "rootfsPropagation");
	rootfs_parent_private(sync, rootfs);
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		child_fail(sync, errno, "bind the root filesystem");
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		child_fail(sync, errno, "open the root filesystem");
	for (i = 0; i < cfg->nmounts; i++) {
		rootfs_mount_one(sync, rootfd, &cfg->mounts[i], userns);
		if (!strcmp(cfg->mounts[i].destination, "/dev"))
			dev_mounted = true;
	}
	rootfs_devices(sync, rootfd, cfg, dev_mounted, userns);
	/* A new network namespace: loopback only, and up. */
	if ((c->ns_flags & CLONE_NEWNET) && (errno = -net_lo_up()) > 0)
		child_fail(sync, errno, "bring up lo");
	rootfs_sysctls(sync, cfg, rootfs_net_by_agent(c));
	if (cfg->hostname &&
	    sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		child_fail(sync, errno, "hostname");
	if (cfg->domainname &&
	    setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
		child_fail(sync, errno, "domainname");
	if (fchdir(rootfd) < 0)
		child_fail(sync, errno, "chdir to the root filesystem");
	close(rootfd);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		child_fail(sync, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		child_fail(sync, errno, "detach the old root");
	if (chdir("/") < 0)
		child_fail(sync, errno, "chdir /");
	/* What was set on the guest's / above, on the container's now */
	if (cfg->rootfs_propagation &&
	    mount(NULL, "/", NULL, c->root_propagation, NULL) < 0)
		child_fail(sync, errno, "rootfsPropagation");
	rootfs_mask_paths(sync, cfg);
	if (cfg->root_readonly &&
	    mount(NULL, "/", NULL,
		  MS_BIND | MS_REMOUNT | MS_RDONLY | rootfs_locked_flags("/"),
		  NULL) < 0)
		child_fail(sync, errno, "read-only root");
}
