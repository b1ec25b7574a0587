/*
 * conf.c: moat.conf(5), the configuration file, and the choice of the
 * hypervisor backend (see conf.h).
 *
 * Input: the file's bytes, written by the administrator; the annotation
 * moat.hypervisor (from the container's config.json, so from whoever
 * wrote the bundle) and MOAT_HYPERVISOR (the caller's environment) as
 * strings. conf_parse() and conf_choose() make no system calls and keep
 * no state: they are unit-tested and fuzzed (tests/fuzz/fuzz_conf.c).
 * Nothing here prints a value longer than CONF_QUOTE_MAX bytes, nor a
 * control character.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONF_QUOTE_MAX 64 /* bytes of a bad value quoted in a message */
#define CONF_KEY_MAX 32	  /* bytes of a key name quoted in a message */

enum conf_type {
	CONF_T_HV,	/* auto | moat-vmm | qemu */
	CONF_T_MIB,	/* guest memory in MiB */
	CONF_T_COUNT,	/* vCPUs */
	CONF_T_FILE,	/* an absolute path */
	CONF_T_PROGRAM, /* an absolute path or a name for PATH */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t off; /* offset of the field in struct moat_conf */
};

#define CONF_KEY(n, t, f)                           \
	{                                           \
		n, t, offsetof(struct moat_conf, f) \
	}

static const struct conf_key conf_keys[] = {
	CONF_KEY("hypervisor", CONF_T_HV, hypervisor),
	CONF_KEY("kernel", CONF_T_FILE, kernel),
	CONF_KEY("initramfs", CONF_T_FILE, initramfs),
	CONF_KEY("memory", CONF_T_MIB, memory_mib),
	CONF_KEY("vcpus", CONF_T_COUNT, vcpus),
	CONF_KEY("qemu", CONF_T_PROGRAM, qemu),
	CONF_KEY("virtiofsd", CONF_T_PROGRAM, virtiofsd),
	CONF_KEY("vmm", CONF_T_PROGRAM, vmm),
};

#define CONF_NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

static const char *const conf_hv_names[] = {
	[CONF_HV_AUTO] = "auto",
	[CONF_HV_VMM] = "moat-vmm",
	[CONF_HV_QEMU] = "qemu",
};

const char *conf_hv_name(enum conf_hv hv)
{
	if ((unsigned)hv >= sizeof(conf_hv_names) / sizeof(conf_hv_names[0]))
		return NULL;
	return conf_hv_names[hv];
}

int conf_hv_parse(const char *s)
{
	unsigned i;

	for (i = 0; i < sizeof(conf_hv_names) / sizeof(conf_hv_names[0]); i++)
		if (!strcmp(s, conf_hv_names[i]))
			return (int)i;
	return -1;
}

static bool conf_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static bool conf_keychar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-';
}

/* A decimal number without sign, blanks or leading '+'; false on overflow
 * past max or any other character. */
static bool conf_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return true;
}

/* Check value (NUL-terminated, no control characters) for key k and store
 * it in c. Returns 0, or -1 with *e set to "<where>: <key>: <why>". */
static int conf_set(struct moat_conf *c, const struct conf_key *k,
		    const char *value, const char *where, struct moat_err **e)
{
	char *field = (char *)c + k->off;
	unsigned long n;
	int hv;

	switch (k->type) {
	case CONF_T_HV:
		hv = conf_hv_parse(value);
		if (hv < 0)
			return moat_err_code(e, EINVAL,
					     "%s: %s: \"%.*s\" is not auto, "
					     "moat-vmm or qemu",
					     where, k->name, CONF_QUOTE_MAX,
					     value);
		c->hypervisor = (enum conf_hv)hv;
		return 0;
	case CONF_T_MIB:
		if (!conf_number(value, CONF_MEM_MAX_MIB, &n) ||
		    n < CONF_MEM_MIN_MIB)
			return moat_err_code(
				e, EINVAL,
				"%s: %s: \"%.*s\" is not a size in "
				"MiB from %d to %d",
				where, k->name, CONF_QUOTE_MAX, value,
				CONF_MEM_MIN_MIB, CONF_MEM_MAX_MIB);
		c->memory_mib = (unsigned)n;
		return 0;
	case CONF_T_COUNT:
		if (!conf_number(value, CONF_VCPUS_MAX, &n) || n < 1)
			return moat_err_code(e, EINVAL,
					     "%s: %s: \"%.*s\" is not a number "
					     "from 1 to %d",
					     where, k->name, CONF_QUOTE_MAX,
					     value, CONF_VCPUS_MAX);
		c->vcpus = (unsigned)n;
		return 0;
	case CONF_T_FILE:
	case CONF_T_PROGRAM:
		if (value[0] != '/' &&
		    (k->type == CONF_T_FILE || strchr(value, '/')))
			return moat_err_code(
				e, EINVAL, "%s: %s: \"%.*s\" is not %s", where,
				k->name, CONF_QUOTE_MAX, value,
				k->type == CONF_T_FILE
					? "an absolute path"
					: "an absolute path or a program name");
		if (strlen(value) >= PATH_MAX)
			return moat_err_code(e, ENAMETOOLONG,
					     "%s: %s: path too long", where,
					     k->name);
		strcpy(field, value);
		return 0;
	}
	return moat_err_code(e, EINVAL, "%s: %s: bad key type", where, k->name);
}

/*
 * One line, line[0..len) without its '\n'. Blank and comment lines are
 * skipped. seen[] holds the line each key was set on (0: not yet).
 */
static int conf_line(struct moat_conf *c, const char *line, size_t len,
		     unsigned lineno, unsigned *seen, struct moat_err **e)
{
	char where[PATH_MAX + 16], value[PATH_MAX];
	size_t i = 0, ks, kl, vs, ve;
	unsigned k;

	snprintf(where, sizeof(where), "%s:%u", c->file, lineno);
	for (i = 0; i < len; i++)
		if (line[i] == '\0' ||
		    ((unsigned char)line[i] < 0x20 && !conf_blank(line[i])) ||
		    line[i] == 0x7f)
			return moat_err_code(e, EINVAL,
					     "%s: line: control character "
					     "(byte %zu)",
					     where, i + 1);
	i = 0;
	while (i < len && conf_blank(line[i]))
		i++;
	if (i == len || line[i] == '#')
		return 0;
	ks = i;
	while (i < len && conf_keychar(line[i]))
		i++;
	kl = i - ks;
	while (i < len && conf_blank(line[i]))
		i++;
	if (kl == 0 || i == len || line[i] != '=')
		return moat_err_code(e, EINVAL,
				     "%s: line: not \"key = value\" (a key is "
				     "lower-case letters, digits, '-' and '_')",
				     where);
	for (k = 0; k < CONF_NKEYS; k++)
		if (strlen(conf_keys[k].name) == kl &&
		    !memcmp(conf_keys[k].name, line + ks, kl))
			break;
	if (k == CONF_NKEYS)
		return moat_err_code(
			e, EINVAL, "%s: %.*s: unknown key", where,
			(int)(kl > CONF_KEY_MAX ? CONF_KEY_MAX : kl),
			line + ks);
	if (seen[k])
		return moat_err_code(e, EINVAL,
				     "%s: %s: set twice (first on line %u)",
				     where, conf_keys[k].name, seen[k]);
	i++; /* '=' */
	while (i < len && conf_blank(line[i]))
		i++;
	vs = i;
	ve = len;
	while (ve > vs && conf_blank(line[ve - 1]))
		ve--;
	if (ve == vs)
		return moat_err_code(e, EINVAL, "%s: %s: no value", where,
				     conf_keys[k].name);
	if (ve - vs >= sizeof(value))
		return moat_err_code(e, ENAMETOOLONG, "%s: %s: value too long",
				     where, conf_keys[k].name);
	memcpy(value, line + vs, ve - vs);
	value[ve - vs] = '\0';
	if (conf_set(c, &conf_keys[k], value, where, e))
		return -1;
	seen[k] = lineno;
	if (conf_keys[k].type == CONF_T_HV)
		c->hypervisor_line = lineno;
	return 0;
}

int conf_parse(const char *text, size_t len, const char *file,
	       struct moat_conf *c, struct moat_err **e)
{
	unsigned seen[CONF_NKEYS] = { 0 }, lineno = 0;
	const char *nl;
	size_t off = 0, l;

	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", file ? file : "moat.conf");
	while (off < len) {
		nl = memchr(text + off, '\n', len - off);
		l = nl ? (size_t)(nl - (text + off)) : len - off;
		lineno++;
		if (conf_line(c, text + off, l, lineno, seen, e))
			return -1;
		off += l + (nl ? 1 : 0);
	}
	return 0;
}

const char *conf_path(void)
{
	const char *p = getenv(CONF_ENV_PATH);

	return p && *p ? p : CONF_PATH_DEFAULT;
}

int conf_load(const char *path, struct moat_conf *c, struct moat_err **e)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, err, r;

	if (!path)
		path = conf_path();
	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : moat_err_set(e, errno, "%s", path);
	buf = malloc(CONF_TEXT_MAX + 1);
	if (!buf) {
		close(fd);
		return moat_err_set(e, ENOMEM, "%s", path);
	}
	while (len <= CONF_TEXT_MAX) {
		n = read(fd, buf + len, CONF_TEXT_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	err = n < 0 ? errno : 0;
	close(fd);
	if (err)
		r = moat_err_set(e, err, "%s", path);
	else if (len > CONF_TEXT_MAX)
		r = moat_err_code(e, EFBIG, "%s: larger than %d bytes", path,
				  CONF_TEXT_MAX);
	else
		r = conf_parse(buf, len, path, c, e);
	free(buf);
	return r;
}

int conf_choose(const char *annotation, const char *env,
		const struct moat_conf *c, int kvm_err, struct moat_err **e)
{
	char where[PATH_MAX + 32];
	int hv;

	if (annotation || (env && *env)) {
		const char *v = annotation ? annotation : env;

		snprintf(where, sizeof(where), "%s",
			 annotation ? "annotation " CONF_ANNOTATION_HYPERVISOR
				    : CONF_ENV_HYPERVISOR);
		hv = conf_hv_parse(v);
		if (hv < 0) {
			size_t i;

			for (i = 0; v[i] && i <= CONF_QUOTE_MAX; i++)
				if ((unsigned char)v[i] < 0x20 ||
				    v[i] == 0x7f || v[i] == '"')
					break;
			if (v[i] && i <= CONF_QUOTE_MAX)
				return moat_err_code(
					e, EINVAL,
					"%s: not auto, moat-vmm or "
					"qemu",
					where);
			return moat_err_code(e, EINVAL,
					     "%s: \"%.*s\" is not auto, "
					     "moat-vmm or qemu",
					     where, CONF_QUOTE_MAX, v);
		}
	} else if (c && c->hypervisor_line) {
		snprintf(where, sizeof(where), "%s:%u: hypervisor", c->file,
			 c->hypervisor_line);
		hv = (int)c->hypervisor;
	} else {
		hv = CONF_HV_AUTO;
		where[0] = '\0';
	}
	if (hv == CONF_HV_AUTO)
		return kvm_err ? CONF_HV_QEMU : CONF_HV_VMM;
	if (hv == CONF_HV_VMM && kvm_err == CONF_KVM_NO_HW)
		return moat_err_code(
			e, kvm_err,
			"%s: moat-vmm needs hardware "
			"virtualisation: /dev/kvm is there but the "
			"CPU offers neither VMX nor SVM (a "
			"paravirtual KVM such as PVM)",
			where);
	if (hv == CONF_HV_VMM && kvm_err)
		return moat_err_set(e, kvm_err, "%s: moat-vmm needs /dev/kvm",
				    where);
	return hv;
}
