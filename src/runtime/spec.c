/*
 * spec.c: config.json files on the host (see spec.h): read and parsed
 * with the shared parser (src/common/spec.c), the saved copy written
 * from the struct, and the default config.
 */
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPEC_FILE_MAX (16u << 20) /* config.json size limit */

/* Read path (relative to dir_fd) with open flags oflags, and parse it
 * with parse (errors prefixed with its base name when wrap). */
static int spec_read(int dir_fd, const char *path, int oflags,
		     int (*parse)(const char *, size_t, struct spec **,
				  struct moat_err **),
		     bool wrap, struct spec **out, struct moat_err **e)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	*out = NULL;
	fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | oflags);
	if (fd < 0)
		return moat_err_set(e, errno, "open %s", path);
	if (fstat(fd, &st) < 0) {
		r = errno;
		close(fd);
		return moat_err_set(e, r, "stat %s", path);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SPEC_FILE_MAX) {
		close(fd);
		return moat_err_code(e, EINVAL,
				     "%s: must be a regular file of at most "
				     "16 MiB",
				     path);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return moat_err_set(e, ENOMEM, "%s", path);
	}
	while (got < (size_t)st.st_size &&
	       (n = read(fd, buf + got, (size_t)st.st_size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno;
			free(buf);
			close(fd);
			return moat_err_set(e, r, "read %s", path);
		}
		got += (size_t)n;
	}
	close(fd);
	r = parse(buf, got, out, e);
	free(buf);
	if (r && wrap)
		return moat_err_wrap(e, "%s", base);
	return r;
}

int spec_load(const char *path, struct spec **out, struct moat_err **e)
{
	return spec_read(AT_FDCWD, path, 0, spec_parse, true, out, e);
}

int spec_loadat(int dir_fd, const char *name, struct spec **out,
		struct moat_err **e)
{
	return spec_read(dir_fd, name, O_NOFOLLOW, spec_parse, true, out, e);
}

int spec_process_load(const char *path, struct spec **out, struct moat_err **e)
{
	return spec_read(AT_FDCWD, path, 0, spec_process_parse, false, out, e);
}

int spec_save(int dir_fd, const char *name, const struct spec *s,
	      struct moat_err **e)
{
	char *text = spec_encode(s, SPEC_ENC_HOST);
	size_t len, off = 0;
	ssize_t n;
	int fd, err = 0;

	if (!text)
		return moat_err_set(e, ENOMEM, "save %s", name);
	len = strlen(text);
	fd = openat(dir_fd, name,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0)
		err = errno;
	while (!err && off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n ? errno : EIO;
		else
			off += (size_t)n;
	}
	if (fd >= 0 && close(fd) < 0 && !err)
		err = errno;
	free(text);
	return err ? moat_err_set(e, err, "save %s", name) : 0;
}

/* --- the default config -----------------------------------------------------
 */

static const char spec_default_text[] =
	"{\n"
	"\t\"ociVersion\": \"" SPEC_VERSION_OUT "\",\n"
	"\t\"process\": {\n"
	"\t\t\"terminal\": true,\n"
	"\t\t\"user\": { \"uid\": 0, \"gid\": 0 },\n"
	"\t\t\"args\": [ \"sh\" ],\n"
	"\t\t\"env\": [\n"
	"\t\t\t\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	"/sbin:/bin\",\n"
	"\t\t\t\"TERM=xterm\"\n"
	"\t\t],\n"
	"\t\t\"cwd\": \"/\",\n"
	"\t\t\"capabilities\": {\n"
	"\t\t\t\"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", "
	"\"CAP_NET_BIND_SERVICE\" ],\n"
	"\t\t\t\"effective\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", "
	"\"CAP_NET_BIND_SERVICE\" ],\n"
	"\t\t\t\"permitted\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", "
	"\"CAP_NET_BIND_SERVICE\" ]\n"
	"\t\t},\n"
	"\t\t\"rlimits\": [\n"
	"\t\t\t{ \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 }\n"
	"\t\t],\n"
	"\t\t\"noNewPrivileges\": true\n"
	"\t},\n"
	"\t\"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
	"\t\"hostname\": \"moat\",\n"
	"\t\"mounts\": [\n"
	"\t\t{ \"destination\": \"/proc\", \"type\": \"proc\", "
	"\"source\": \"proc\" },\n"
	"\t\t{ \"destination\": \"/dev\", \"type\": \"tmpfs\", "
	"\"source\": \"tmpfs\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", "
	"\"size=65536k\" ] },\n"
	"\t\t{ \"destination\": \"/dev/pts\", \"type\": \"devpts\", "
	"\"source\": \"devpts\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", "
	"\"ptmxmode=0666\", \"mode=0620\", \"gid=5\" ] },\n"
	"\t\t{ \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", "
	"\"source\": \"shm\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"noexec\", \"nodev\", "
	"\"mode=1777\", \"size=65536k\" ] },\n"
	"\t\t{ \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", "
	"\"source\": \"mqueue\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },\n"
	"\t\t{ \"destination\": \"/sys\", \"type\": \"sysfs\", "
	"\"source\": \"sysfs\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] },\n"
	"\t\t{ \"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", "
	"\"source\": \"cgroup\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"noexec\", \"nodev\", "
	"\"relatime\", \"ro\" ] }\n"
	"\t],\n"
	"\t\"linux\": {\n"
	"\t\t\"resources\": {\n"
	"\t\t\t\"devices\": [ { \"allow\": false, \"access\": \"rwm\" } ]\n"
	"\t\t},\n"
	"\t\t\"namespaces\": [\n"
	"\t\t\t{ \"type\": \"pid\" },\n"
	"\t\t\t{ \"type\": \"network\" },\n"
	"\t\t\t{ \"type\": \"ipc\" },\n"
	"\t\t\t{ \"type\": \"uts\" },\n"
	"\t\t\t{ \"type\": \"mount\" },\n"
	"\t\t\t{ \"type\": \"cgroup\" }\n"
	"\t\t],\n"
	"\t\t\"maskedPaths\": [\n"
	"\t\t\t\"/proc/acpi\",\n"
	"\t\t\t\"/proc/asound\",\n"
	"\t\t\t\"/proc/kcore\",\n"
	"\t\t\t\"/proc/keys\",\n"
	"\t\t\t\"/proc/latency_stats\",\n"
	"\t\t\t\"/proc/timer_list\",\n"
	"\t\t\t\"/proc/timer_stats\",\n"
	"\t\t\t\"/proc/sched_debug\",\n"
	"\t\t\t\"/sys/firmware\",\n"
	"\t\t\t\"/sys/devices/virtual/powercap\",\n"
	"\t\t\t\"/proc/scsi\"\n"
	"\t\t],\n"
	"\t\t\"readonlyPaths\": [\n"
	"\t\t\t\"/proc/bus\",\n"
	"\t\t\t\"/proc/fs\",\n"
	"\t\t\t\"/proc/irq\",\n"
	"\t\t\t\"/proc/sys\",\n"
	"\t\t\t\"/proc/sysrq-trigger\"\n"
	"\t\t]\n"
	"\t}\n"
	"}\n";

char *spec_default_json(void)
{
	return strdup(spec_default_text);
}
