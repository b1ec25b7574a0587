/*
 * oci.c: the runtime-spec vocabulary and JSON getters under the config
 * parser (see oci.h).
 */
#include "oci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define OCI_PATH_MAX 256 /* a JSON path in an error message */

const char *const oci_cap_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
	NULL,
};

const char *const oci_rlimit_names[] = {
	"RLIMIT_AS",
	"RLIMIT_CORE",
	"RLIMIT_CPU",
	"RLIMIT_DATA",
	"RLIMIT_FSIZE",
	"RLIMIT_LOCKS",
	"RLIMIT_MEMLOCK",
	"RLIMIT_MSGQUEUE",
	"RLIMIT_NICE",
	"RLIMIT_NOFILE",
	"RLIMIT_NPROC",
	"RLIMIT_RSS",
	"RLIMIT_RTPRIO",
	"RLIMIT_RTTIME",
	"RLIMIT_SIGPENDING",
	"RLIMIT_STACK",
	NULL,
};

const int oci_rlimit_resources[] = {
	RLIMIT_AS,     RLIMIT_CORE,   RLIMIT_CPU,	 RLIMIT_DATA,
	RLIMIT_FSIZE,  RLIMIT_LOCKS,  RLIMIT_MEMLOCK,	 RLIMIT_MSGQUEUE,
	RLIMIT_NICE,   RLIMIT_NOFILE, RLIMIT_NPROC,	 RLIMIT_RSS,
	RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK,
};

int oci_lookup(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

bool oci_absent(json_t *v)
{
	return !v || json_is_null(v);
}

int oci_str(json_t *v, const char *path, char **out, struct moat_err **e)
{
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return moat_err_code(e, EINVAL, "%s: must be a string", path);
	*out = strdup(json_string_value(v));
	if (!*out)
		return moat_err_set(e, ENOMEM, "%s", path);
	return 0;
}

static void oci_path(char *buf, size_t cap, const char *where, const char *key)
{
	snprintf(buf, cap, "%s%s%s", where, *where ? "." : "", key);
}

int oci_get_str(json_t *o, const char *key, const char *where, bool required,
		char **out, struct moat_err **e)
{
	char path[OCI_PATH_MAX];
	json_t *v = json_object_get(o, key);

	oci_path(path, sizeof(path), where, key);
	if (oci_absent(v)) {
		if (required)
			return moat_err_code(e, EINVAL, "%s: required", path);
		return 0;
	}
	return oci_str(v, path, out, e);
}

int oci_get_bool(json_t *o, const char *key, const char *where, bool *out,
		 struct moat_err **e)
{
	json_t *v = json_object_get(o, key);

	if (oci_absent(v))
		return 0;
	if (!json_is_boolean(v))
		return moat_err_code(e, EINVAL, "%s.%s: must be a boolean",
				     where, key);
	*out = json_is_true(v);
	return 0;
}

int oci_get_int(json_t *o, const char *key, const char *where, json_int_t min,
		json_int_t max, bool required, bool *has, json_int_t *out,
		struct moat_err **e)
{
	json_t *v = json_object_get(o, key);

	if (oci_absent(v)) {
		if (required)
			return moat_err_code(e, EINVAL, "%s.%s: required",
					     where, key);
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return moat_err_code(e, EINVAL,
				     "%s.%s: must be an integer from %lld to "
				     "%lld",
				     where, key, (long long)min,
				     (long long)max);
	*out = json_integer_value(v);
	if (has)
		*has = true;
	return 0;
}

void oci_strv_free(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

int oci_get_strv(json_t *o, const char *key, const char *where, bool nonempty,
		 char ***out, struct moat_err **e)
{
	char path[OCI_PATH_MAX];
	json_t *v = json_object_get(o, key), *s;
	size_t i, n;

	oci_path(path, sizeof(path), where, key);
	if (!oci_absent(v) && !json_is_array(v))
		goto bad;
	n = json_is_array(v) ? json_array_size(v) : 0;
	if (nonempty && !n)
		goto bad;
	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return moat_err_set(e, ENOMEM, "%s", path);
	for (i = 0; i < n; i++) {
		s = json_array_get(v, i);
		if (!json_is_string(s) ||
		    strlen(json_string_value(s)) != json_string_length(s))
			goto bad;
		(*out)[i] = strdup(json_string_value(s));
		if (!(*out)[i])
			return moat_err_set(e, ENOMEM, "%s", path);
	}
	return 0;
bad:
	return moat_err_code(e, EINVAL, "%s: must be %sarray of strings", path,
			     nonempty ? "a non-empty " : "an ");
}

int oci_get_obj(json_t *o, const char *key, const char *where, json_t **out,
		struct moat_err **e)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (oci_absent(v))
		return 0;
	if (!json_is_object(v))
		return moat_err_code(e, EINVAL, "%s%s%s: must be an object",
				     where, *where ? "." : "", key);
	*out = v;
	return 0;
}

/* No "." or ".." component. */
static bool oci_clean_parts(const char *c)
{
	while (*c) {
		while (*c == '/')
			c++;
		if ((c[0] == '.' && (c[1] == '/' || !c[1])) ||
		    (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2])))
			return false;
		while (*c && *c != '/')
			c++;
	}
	return true;
}

bool oci_clean_abs(const char *p)
{
	return *p == '/' && oci_clean_parts(p);
}

bool oci_clean_rel(const char *p)
{
	return *p && *p != '/' && oci_clean_parts(p);
}
