/*
 * ociconf.c: OCI config documents for the agent's host tests (see
 * ociconf.h).
 */
#include "ociconf.h"
#include "rootfs.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ociconf_default[] =
	"{"
	" \"ociVersion\": \"1.0.2\","
	" \"root\": { \"path\": \"" ROOTFS_PATH "\" },"
	" \"hostname\": \"moat-test\","
	" \"process\": {"
	"  \"cwd\": \"/\","
	"  \"env\": [ \"PATH=/bin\", \"HOME=/root\" ],"
	"  \"user\": { \"uid\": 0, \"gid\": 0 },"
	"  \"capabilities\": {"
	"   \"bounding\": [ \"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FSETID\","
	"    \"CAP_FOWNER\", \"CAP_MKNOD\", \"CAP_NET_RAW\", \"CAP_SETGID\","
	"    \"CAP_SETUID\", \"CAP_SETFCAP\", \"CAP_SETPCAP\","
	"    \"CAP_NET_BIND_SERVICE\", \"CAP_SYS_CHROOT\", \"CAP_KILL\","
	"    \"CAP_AUDIT_WRITE\" ],"
	"   \"effective\": [ \"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FSETID\","
	"    \"CAP_FOWNER\", \"CAP_MKNOD\", \"CAP_NET_RAW\", \"CAP_SETGID\","
	"    \"CAP_SETUID\", \"CAP_SETFCAP\", \"CAP_SETPCAP\","
	"    \"CAP_NET_BIND_SERVICE\", \"CAP_SYS_CHROOT\", \"CAP_KILL\","
	"    \"CAP_AUDIT_WRITE\" ],"
	"   \"permitted\": [ \"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FSETID\","
	"    \"CAP_FOWNER\", \"CAP_MKNOD\", \"CAP_NET_RAW\", \"CAP_SETGID\","
	"    \"CAP_SETUID\", \"CAP_SETFCAP\", \"CAP_SETPCAP\","
	"    \"CAP_NET_BIND_SERVICE\", \"CAP_SYS_CHROOT\", \"CAP_KILL\","
	"    \"CAP_AUDIT_WRITE\" ]"
	"  },"
	"  \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024,"
	"                  \"soft\": 1024 } ],"
	"  \"noNewPrivileges\": true"
	" },"
	" \"mounts\": ["
	"  { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },"
	"  { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
	"    \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\","
	"                   \"size=65536k\" ] },"
	"  { \"destination\": \"/dev/pts\", \"type\": \"devpts\","
	"    \"source\": \"devpts\", \"options\": [ \"nosuid\", \"noexec\","
	"    \"newinstance\", \"ptmxmode=0666\", \"mode=0620\" ] },"
	"  { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
	"    \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\","
	"                   \"size=65536k\" ] },"
	"  { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\","
	"    \"source\": \"mqueue\", \"options\": [ \"nosuid\", \"noexec\","
	"    \"nodev\" ] },"
	"  { \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
	"    \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] },"
	"  { \"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
	"    \"options\": [ \"nosuid\", \"nodev\" ] }"
	" ],"
	" \"linux\": {"
	"  \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"mount\" },"
	"   { \"type\": \"ipc\" }, { \"type\": \"uts\" }, { \"type\": \"network\" } ],"
	"  \"maskedPaths\": [ \"/proc/kcore\", \"/proc/keys\", \"/proc/timer_list\","
	"   \"/sys/firmware\", \"/proc/scsi\" ],"
	"  \"readonlyPaths\": [ \"/proc/sys\", \"/proc/sysrq-trigger\","
	"   \"/proc/irq\", \"/proc/bus\" ]"
	" }"
	"}";

json_t *ociconf_parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			       &err);

	if (!j)
		FAIL("config %d:%d: %s", err.line, err.column, err.text);
	return j;
}

json_t *ociconf_base(const char *const *args)
{
	json_t *root = ociconf_parse(ociconf_default), *a = json_array();
	size_t i;

	for (i = 0; args[i]; i++)
		json_array_append_new(a, json_string(args[i]));
	ociconf_set(root, "process.args", a);
	return root;
}

void ociconf_set(json_t *root, const char *path, json_t *v)
{
	char buf[256], *p, *dot;
	json_t *o = root, *next;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf; (dot = strchr(p, '.')); p = dot + 1) {
		*dot = '\0';
		next = json_object_get(o, p);
		if (!next) {
			next = json_object();
			json_object_set_new(o, p, next);
		}
		o = next;
	}
	if (v)
		json_object_set_new(o, p, v);
	else
		json_object_del(o, p);
}

char *ociconf_dump(json_t *root)
{
	char *s = json_dumps(root, JSON_COMPACT);

	json_decref(root);
	ASSERT(s);
	return s;
}

void ociconf_write(json_t *root, const char *bundle)
{
	char path[4096];
	char *text = ociconf_dump(root);
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	f = fopen(path, "w");
	ASSERT(f);
	fputs(text, f);
	ASSERT_EQ(fclose(f), 0);
	free(text);
}
