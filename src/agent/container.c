/*
 * container.c: the container's processes, from clone() to execve().
 *
 * container_create() clones the container's init into new namespaces; the
 * child builds the root filesystem (mounts, devices, pivot_root, masked
 * and read-only paths), reports over a SOCK_SEQPACKET sync socket, and is
 * held there until container_start(). container_exec() starts a further
 * process in the init's namespaces (setns through a pidfd). Both children
 * then set up the process (rlimits, cwd, umask, groups, uid/gid, the five
 * capability sets, no_new_privs, seccomp) and execve; an error on the way
 * is sent over the sync socket as {errno, text} and the child exits, so
 * the request fails with a clear message. A successful execve closes the
 * socket (it is close-on-exec): EOF means "running".
 *
 * Inputs: the config (config.c, from the host) and the paths it names
 * inside the root filesystem, which the image controls: destinations are
 * created and resolved with openat2(RESOLVE_IN_ROOT) before pivot_root,
 * and mounted through /proc/self/fd, so a symlink in the image cannot send
 * a mount outside the container's root.
 */
#include "container.h"
#include "agent_log.h"
#include "net.h"
#include "../proto/msg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONTAINER_SYNC_TIMEOUT_MS 60000
#define CONTAINER_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#define CONTAINER_SYNC_READY 0 /* create: set up, waiting for start */
#define CONTAINER_SYNC_TTY 1   /* here is the terminal's master (fd) */
#define CONTAINER_SYNC_ERROR 2 /* failed: err and text */

struct container_sync {
	int32_t kind;
	int32_t err;
	char text[480];
};

/* --- in the child ----------------------------------------------------------
 */

/* Report a failure to the agent and end the child. */
static void __attribute__((noreturn, format(printf, 3, 4)))
container_fail(int sync, int err, const char *fmt, ...)
{
	struct container_sync m = { .kind = CONTAINER_SYNC_ERROR,
				    .err = err ? err : EINVAL };
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	n = strlen(m.text);
	if (err && n < sizeof(m.text))
		snprintf(m.text + n, sizeof(m.text) - n, ": %s", strerror(err));
	if (send(sync, &m, sizeof(m), MSG_NOSIGNAL) < 0) {
		/* the agent is gone; nothing to tell */
	}
	_exit(127);
}

static int container_openat2(int dirfd, const char *path, int flags,
			     unsigned long long resolve)
{
	struct open_how how = {
		.flags = (unsigned long long)flags | O_CLOEXEC,
		.resolve = resolve,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Open rel (relative, inside the root rootfd) with O_PATH. */
static int container_resolve(int rootfd, const char *rel)
{
	return container_openat2(rootfd, *rel ? rel : ".", O_PATH,
				 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/*
 * Make sure rel exists inside rootfd (directories on the way, and rel a
 * directory or, when !dir, an empty file) and return an O_PATH fd on it.
 */
static int container_mkpath(int rootfd, const char *rel, bool dir)
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
		fd = container_resolve(rootfd, buf);
		if (fd < 0 && errno == ENOENT) {
			char *slash = strrchr(buf, '/');
			const char *name = slash ? slash + 1 : buf;

			if (slash)
				*slash = '\0';
			parent = container_resolve(rootfd, slash ? buf : "");
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
			close(parent);
			if (fd < 0 && errno != EEXIST)
				return -1;
			fd = container_resolve(rootfd, buf);
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

static void container_fdpath(char *buf, size_t cap, int fd)
{
	snprintf(buf, cap, "/proc/self/fd/%d", fd);
}

/* MS_* flags of the mount at path that a bind remount must keep. */
static unsigned long container_locked_flags(const char *path)
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

#define CONTAINER_MS_ATTR                                                      \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |       \
	 MS_DIRSYNC | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | \
	 MS_STRICTATIME)

#define CONTAINER_COPY_DEPTH 32

/* Copy the tree under directory from into directory to (tmpcopyup): files,
 * directories and symlinks with their modes and owners. Returns 0 or -1
 * (errno). */
static int container_copy_tree(int from, int to, int depth)
{
	char buf[65536], link[PATH_MAX];
	struct dirent *d;
	struct stat st;
	int dup_from, a, b, r = 0;
	ssize_t n;
	DIR *dir;

	if (depth > CONTAINER_COPY_DEPTH)
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
				   container_copy_tree(a, b, depth + 1)))
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

static void container_mount_one(int sync, int rootfd,
				const struct config_mount *m)
{
	const char *rel = m->dest + 1;
	char target[64];
	unsigned long attr = m->flags & CONTAINER_MS_ATTR;
	struct stat st;
	bool dir = true;
	int fd, under;

	if (m->bind) {
		if (stat(m->source, &st) < 0)
			container_fail(sync, errno, "mount %s: source %s",
				       m->dest, m->source);
		dir = S_ISDIR(st.st_mode);
	}
	fd = container_mkpath(rootfd, rel, dir);
	if (fd < 0)
		container_fail(sync, errno, "mount %s: destination", m->dest);
	container_fdpath(target, sizeof(target), fd);
	if (m->bind) {
		if (mount(m->source, target, NULL,
			  MS_BIND | (m->pflags & MS_REC), NULL) < 0)
			container_fail(sync, errno, "mount %s: bind %s",
				       m->dest, m->source);
	} else if (mount(m->source ? m->source : m->type, target, m->type, attr,
			 m->data) < 0) {
		container_fail(sync, errno, "mount %s: %s", m->dest, m->type);
	}
	under = fd; /* the directory under the mount */
	/* The fd named the directory under the mount: look again. */
	fd = container_resolve(rootfd, rel);
	if (fd < 0)
		container_fail(sync, errno, "mount %s: reopen", m->dest);
	container_fdpath(target, sizeof(target), fd);
	if (m->copyup && !m->bind) {
		int from =
			openat(under, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int to = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (from < 0 || to < 0 || container_copy_tree(from, to, 0))
			container_fail(sync, errno, "mount %s: tmpcopyup",
				       m->dest);
		close(from);
		close(to);
	}
	close(under);
	if (m->bind && (attr || m->clear) &&
	    mount(NULL, target, NULL,
		  MS_BIND | MS_REMOUNT | attr |
			  (container_locked_flags(target) & ~m->clear),
		  NULL) < 0)
		container_fail(sync, errno, "mount %s: remount", m->dest);
	if ((m->pflags & ~MS_REC) &&
	    mount(NULL, target, NULL, m->pflags, NULL) < 0)
		container_fail(sync, errno, "mount %s: propagation", m->dest);
	close(fd);
}

static void container_devices(int sync, int rootfd, const struct config *cfg,
			      bool defaults)
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
	const struct config_device *d;
	char rel[4096], *slash;
	size_t i;
	int dev, parent;

	if (defaults) {
		dev = container_resolve(rootfd, "dev");
		if (dev < 0)
			container_fail(sync, errno, "/dev");
		for (i = 0; i < sizeof(def) / sizeof(def[0]); i++)
			if (mknodat(dev, def[i].name, S_IFCHR | 0666,
				    makedev(def[i].major, def[i].minor)) < 0 &&
			    errno != EEXIST)
				container_fail(sync, errno, "mknod /dev/%s",
					       def[i].name);
		for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
			if (symlinkat(links[i].target, dev, links[i].name) <
				    0 &&
			    errno != EEXIST)
				container_fail(sync, errno, "symlink /dev/%s",
					       links[i].name);
		close(dev);
	}
	for (i = 0; i < cfg->ndevices; i++) {
		d = &cfg->devices[i];
		snprintf(rel, sizeof(rel), "%s", d->path + 1);
		slash = strrchr(rel, '/');
		*slash = '\0';
		parent = container_mkpath(rootfd, rel, true);
		if (parent < 0)
			container_fail(sync, errno, "device %s", d->path);
		if (mknodat(parent, slash + 1, d->mode, d->dev) < 0 &&
		    errno != EEXIST)
			container_fail(sync, errno, "mknod %s", d->path);
		if (fchownat(parent, slash + 1, d->uid, d->gid,
			     AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(parent, slash + 1, d->mode & 07777, 0) < 0)
			container_fail(sync, errno, "device %s", d->path);
		close(parent);
	}
}

static void container_sysctls(int sync, const struct config *cfg)
{
	char path[512], *p;
	size_t i, n;
	int fd;

	for (i = 0; i < cfg->nsysctls; i++) {
		snprintf(path, sizeof(path), "/proc/sys/%s",
			 cfg->sysctls[i].key);
		for (p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			container_fail(sync, errno, "sysctl %s",
				       cfg->sysctls[i].key);
		n = strlen(cfg->sysctls[i].value);
		if (write(fd, cfg->sysctls[i].value, n) != (ssize_t)n)
			container_fail(sync, errno, "sysctl %s",
				       cfg->sysctls[i].key);
		close(fd);
	}
}

/* After pivot_root: paths are inside the container. */
static void container_mask_paths(int sync, const struct config *cfg)
{
	struct stat st;
	size_t i;

	for (i = 0; cfg->masked && cfg->masked[i]; i++) {
		if (stat(cfg->masked[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			container_fail(sync, errno, "maskedPaths %s",
				       cfg->masked[i]);
		}
		if (S_ISDIR(st.st_mode) ? mount("tmpfs", cfg->masked[i],
						"tmpfs", MS_RDONLY, "size=0")
					: mount("/dev/null", cfg->masked[i],
						NULL, MS_BIND, NULL))
			container_fail(sync, errno, "maskedPaths %s",
				       cfg->masked[i]);
	}
	for (i = 0; cfg->readonly && cfg->readonly[i]; i++) {
		const char *p = cfg->readonly[i];

		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			container_fail(sync, errno, "readonlyPaths %s", p);
		}
		if (mount(NULL, p, NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY |
				  container_locked_flags(p),
			  NULL) < 0)
			container_fail(sync, errno, "readonlyPaths %s", p);
	}
}

static void container_rootfs(int sync, const struct config *cfg,
			     const char *rootfs)
{
	bool dev_mounted = false;
	int rootfd;
	size_t i;

	if (mount(NULL, "/", NULL, cfg->root_propagation, NULL) < 0)
		container_fail(sync, errno, "rootfsPropagation");
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		container_fail(sync, errno, "bind the root filesystem");
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		container_fail(sync, errno, "open the root filesystem");
	for (i = 0; i < cfg->nmounts; i++) {
		container_mount_one(sync, rootfd, &cfg->mounts[i]);
		if (!strcmp(cfg->mounts[i].dest, "/dev"))
			dev_mounted = true;
	}
	container_devices(sync, rootfd, cfg, dev_mounted);
	/* A new network namespace: loopback only, and up. */
	if ((cfg->ns_flags & CLONE_NEWNET) && (errno = -net_lo_up()) > 0)
		container_fail(sync, errno, "bring up lo");
	container_sysctls(sync, cfg);
	if (cfg->hostname &&
	    sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		container_fail(sync, errno, "hostname");
	if (cfg->domainname &&
	    setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
		container_fail(sync, errno, "domainname");
	if (fchdir(rootfd) < 0)
		container_fail(sync, errno, "chdir to the root filesystem");
	close(rootfd);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		container_fail(sync, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		container_fail(sync, errno, "detach the old root");
	if (chdir("/") < 0)
		container_fail(sync, errno, "chdir /");
	container_mask_paths(sync, cfg);
	if (cfg->root_readonly && mount(NULL, "/", NULL,
					MS_BIND | MS_REMOUNT | MS_RDONLY |
						container_locked_flags("/"),
					NULL) < 0)
		container_fail(sync, errno, "read-only root");
}

/* Close every fd but 0..2 and sync (the agent's fds are close-on-exec,
 * but a held init would keep them open until its execve). */
static void container_close_fds(int sync)
{
	if (sync > 3)
		close_range(3, (unsigned)sync - 1, 0);
	close_range((unsigned)sync + 1, ~0U, 0);
}

/* What every child does first: a clean signal state, its session and
 * stdio, its cgroup, and its oom score (while /proc is the agent's). */
static void container_child_begin(int sync, const struct container_proc *p)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	char buf[32];
	int i, fd, null = -1;

	for (i = 1; i < NSIG; i++)
		sigaction(i, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setsid() < 0)
		container_fail(sync, errno, "setsid");
	if (!p->tty) {
		for (i = 0; i < 3; i++) {
			fd = p->stdio[i];
			if (fd < 0) {
				if (null < 0)
					null = open("/dev/null",
						    O_RDWR | O_CLOEXEC);
				if (null < 0)
					container_fail(sync, errno,
						       "/dev/null");
				fd = null;
			}
			/* dup2 onto itself would keep FD_CLOEXEC */
			if (fd == i ? fcntl(fd, F_SETFD, 0) < 0
				    : dup2(fd, i) < 0)
				container_fail(sync, errno, "stdio");
		}
	}
	if (p->cgroup_procs) {
		fd = open(p->cgroup_procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			container_fail(sync, errno, "join the cgroup");
		close(fd);
	}
	if (p->cfg->has_oom_score_adj) {
		snprintf(buf, sizeof(buf), "%d", p->cfg->oom_score_adj);
		fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
			container_fail(sync, errno, "oomScoreAdj");
		close(fd);
	}
}

/* Open a terminal in the container's devpts, make it the process's, and
 * send the master to the agent. */
static void container_child_tty(int sync)
{
	struct container_sync m = { .kind = CONTAINER_SYNC_TTY };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	int master, slave, unlock = 0, i;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		container_fail(sync, errno,
			       "open /dev/ptmx in the container (is devpts "
			       "mounted?)");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		container_fail(sync, errno, "unlock the terminal");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		container_fail(sync, errno, "open the terminal");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		container_fail(sync, errno, "controlling terminal");
	for (i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			container_fail(sync, errno, "dup2");
	close(slave);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(sync, &mh, MSG_NOSIGNAL) < 0)
		_exit(127);
	close(master);
}

static void container_seccomp(int sync, const struct container_proc *p)
{
	struct sock_fprog prog = {
		.len = (unsigned short)p->bpf_len,
		.filter = (struct sock_filter *)p->bpf,
	};

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		container_fail(sync, errno, "seccomp");
}

static void container_caps(int sync, const uint64_t caps[CONFIG_CAP_SETS],
			   uint64_t known)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t eff = caps[CONFIG_CAP_EFFECTIVE] & known;
	uint64_t perm = caps[CONFIG_CAP_PERMITTED] & known;
	uint64_t inh = caps[CONFIG_CAP_INHERITABLE] & known;
	unsigned long c;

	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)perm;
	d[1].permitted = (uint32_t)(perm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &h, d) < 0)
		container_fail(sync, errno, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		container_fail(sync, errno, "clear ambient capabilities");
	for (c = 0; c < 64; c++)
		if ((caps[CONFIG_CAP_AMBIENT] & known) >> c & 1 &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			container_fail(sync, errno,
				       "ambient capability %lu (it must be "
				       "permitted and inheritable)",
				       c);
}

/* execve argv with env, searching PATH (from env) when argv[0] has no
 * slash. Returns only on failure, with errno set. */
static void container_execvpe(char *const *argv, char *const *env)
{
	const char *path = CONTAINER_DEFAULT_PATH, *p, *end;
	char buf[4096];
	int err = ENOENT;
	size_t i, n;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, env);
		return;
	}
	for (i = 0; env && env[i]; i++)
		if (!strncmp(env[i], "PATH=", 5))
			path = env[i] + 5;
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		n = (size_t)(end - p);
		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, argv[0]) >=
		    (int)sizeof(buf))
			continue;
		execve(n ? buf : argv[0], argv, env);
		if (errno != ENOENT && errno != ENOTDIR)
			err = errno;
	}
	errno = err;
}

/* The process's own setup, then execve. Never returns. */
static void __attribute__((noreturn))
container_run(int sync, const struct container_proc *p)
{
	const struct config *cfg = p->cfg;
	char *const *argv = p->argv ? p->argv : cfg->args;
	char *const *env = p->env ? p->env : cfg->env;
	const char *cwd = p->cwd ? p->cwd : cfg->cwd;
	uid_t uid = p->has_user ? p->uid : cfg->uid;
	gid_t gid = p->has_user ? p->gid : cfg->gid;
	const gid_t *gids = p->has_user ? p->gids : cfg->gids;
	size_t ngids = p->has_user ? p->ngids : cfg->ngids, i;
	const uint64_t *caps = p->has_caps ? p->caps : cfg->caps;
	bool nnp = p->nnp == MSG_NNP_CONTAINER ? cfg->no_new_privs
					       : p->nnp == MSG_NNP_ON;
	uint64_t known = 0;
	int c;

	for (i = 0; i < cfg->nrlimits; i++)
		if (setrlimit(cfg->rlimits[i].resource, &cfg->rlimits[i].lim) <
		    0)
			container_fail(sync, errno, "rlimit %d",
				       cfg->rlimits[i].resource);
	if (chdir(cwd) < 0)
		container_fail(sync, errno, "cwd %s", cwd);
	umask(cfg->has_umask ? cfg->umask : 022);
	if (p->bpf && !nnp)
		container_seccomp(sync, p);
	for (c = 0; c < 64 && prctl(PR_CAPBSET_READ, c) >= 0; c++) {
		known |= 1ULL << c;
		if (!(caps[CONFIG_CAP_BOUNDING] >> c & 1) &&
		    prctl(PR_CAPBSET_DROP, c) < 0)
			container_fail(sync, errno, "drop capability %d", c);
	}
	if (setgroups(ngids, gids) < 0)
		container_fail(sync, errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		container_fail(sync, errno, "setgid %u", gid);
	if (prctl(PR_SET_KEEPCAPS, 1) < 0)
		container_fail(sync, errno, "keepcaps");
	if (setresuid(uid, uid, uid) < 0)
		container_fail(sync, errno, "setuid %u", uid);
	container_caps(sync, caps, known);
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		container_fail(sync, errno, "noNewPrivileges");
	if (p->bpf && nnp)
		container_seccomp(sync, p);
	container_execvpe(argv, env);
	container_fail(sync, errno, "exec %s", argv[0]);
}

/* --- in the agent ----------------------------------------------------------
 */

/*
 * Read the child's report. Returns 1 on EOF (it exec'd), 0 with *m filled,
 * -1 on a timeout or error (errno). A terminal's master that comes with a
 * message is stored in *master (when it is still -1; else closed).
 */
static int container_sync_read(int sync, struct container_sync *m, int *master)
{
	struct pollfd pfd = { .fd = sync, .events = POLLIN };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	ssize_t n;
	int r, fd;

	do
		r = poll(&pfd, 1, CONTAINER_SYNC_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	if (r <= 0)
		return -1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	n = recvmsg(sync, &mh, MSG_CMSG_CLOEXEC);
	for (cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm;
	     cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
			if (master && *master < 0)
				*master = fd;
			else
				close(fd);
		}
	if (n == 0)
		return 1;
	if (n != (ssize_t)sizeof(*m)) {
		if (n >= 0)
			errno = EPROTO;
		return -1;
	}
	m->text[sizeof(m->text) - 1] = '\0';
	return 0;
}

static int container_sync_fail(pid_t pid, int r, const struct container_sync *m,
			       const char *what, struct moat_err **e)
{
	int err = errno;

	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (r == 0) {
		moat_err_set(e, 0, "%s: %s", what, m->text);
		if (*e)
			(*e)->errnum = m->err;
		return -1;
	}
	if (r == 1)
		return moat_err_set(e, EPROTO, "%s: the child ended", what);
	return moat_err_set(e, err ? err : EPROTO, "%s", what);
}

pid_t container_create(const struct container_proc *p, const char *rootfs,
		       int *sync, int *master, struct moat_err **e)
{
	struct container_sync m = { 0 };
	pid_t pid;
	char c;
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return moat_err_set(e, errno, "socketpair");
	pid = (pid_t)syscall(SYS_clone, SIGCHLD | p->cfg->ns_flags, 0, 0, 0, 0);
	if (pid < 0) {
		r = errno;
		close(sv[0]);
		close(sv[1]);
		return moat_err_set(e, r, "clone");
	}
	if (pid == 0) {
		close(sv[0]);
		umask(0);
		container_child_begin(sv[1], p);
		container_close_fds(sv[1]);
		container_rootfs(sv[1], p->cfg, rootfs);
		if (p->tty)
			container_child_tty(sv[1]);
		m.kind = CONTAINER_SYNC_READY;
		if (send(sv[1], &m, sizeof(m), MSG_NOSIGNAL) < 0 ||
		    recv(sv[1], &c, 1, 0) != 1)
			_exit(127);
		container_run(sv[1], p);
	}
	close(sv[1]);
	*master = -1;
	do
		r = container_sync_read(sv[0], &m, master);
	while (r == 0 && m.kind == CONTAINER_SYNC_TTY);
	if (r != 0 || m.kind != CONTAINER_SYNC_READY ||
	    (p->tty && *master < 0)) {
		container_sync_fail(pid, r, &m, "create", e);
		close(sv[0]);
		if (*master >= 0)
			close(*master);
		*master = -1;
		return -1;
	}
	*sync = sv[0];
	return pid;
}

int container_start(int sync, struct moat_err **e)
{
	struct container_sync m;
	int r;

	if (send(sync, "s", 1, MSG_NOSIGNAL) != 1) {
		r = errno;
		close(sync);
		return moat_err_set(e, r, "start");
	}
	r = container_sync_read(sync, &m, NULL);
	close(sync);
	if (r == 1)
		return 0;
	if (r == 0) {
		moat_err_set(e, 0, "start: %s", m.text);
		if (*e)
			(*e)->errnum = m.err;
		return -1;
	}
	return moat_err_set(e, errno, "start");
}

pid_t container_exec(const struct container_proc *p, int init_pidfd,
		     int *master, struct moat_err **e)
{
	int other = p->cfg->ns_flags & ~CLONE_NEWPID;
	struct container_sync m;
	int sv[2], self = -1, r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return moat_err_set(e, errno, "socketpair");
	/* Children of the agent go into the container's pid namespace for
	 * this one fork, so that the process stays the agent's child. */
	if (p->cfg->ns_flags & CLONE_NEWPID) {
		self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(init_pidfd, CLONE_NEWPID) < 0) {
			r = errno;
			if (self >= 0)
				close(self);
			close(sv[0]);
			close(sv[1]);
			return moat_err_set(e, r, "enter the pid namespace");
		}
	}
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	r = errno;
	if (pid == 0) {
		close(sv[0]);
		container_child_begin(sv[1], p);
		if (other && setns(init_pidfd, other) < 0)
			container_fail(sv[1], errno, "enter the namespaces");
		container_close_fds(sv[1]);
		if (p->tty)
			container_child_tty(sv[1]);
		container_run(sv[1], p);
	}
	if (self >= 0) {
		if (setns(self, CLONE_NEWPID) < 0)
			agent_log("cannot return to the agent's pid namespace");
		close(self);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return moat_err_set(e, r, "clone");
	}
	*master = -1;
	do
		r = container_sync_read(sv[0], &m, master);
	while (r == 0 && m.kind == CONTAINER_SYNC_TTY);
	close(sv[0]);
	if (r != 1 || (p->tty && *master < 0)) {
		if (*master >= 0)
			close(*master);
		*master = -1;
		return container_sync_fail(pid, r == 1 ? -1 : r, &m, "exec", e);
	}
	return pid;
}
