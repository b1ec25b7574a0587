/*
 * state_json.c: a container's record and its JSON forms (state_json.h):
 * the ID check, the status names, state.json and the OCI state document.
 * Pure: no system calls (jansson allocates).
 * Inputs: IDs from the command line; state.json text read back from the
 * state directory (written by moat, still type-checked).
 * Implements the runtime-spec runtime.md "State".
 */
#include "state_json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
	[STATE_CREATING] = "creating", [STATE_CREATED] = "created",
	[STATE_RUNNING] = "running",   [STATE_PAUSED] = "paused",
	[STATE_STOPPED] = "stopped",
};

#define STATE_NSTATUS (sizeof(state_names) / sizeof(state_names[0]))

int state_id_check(const char *id, struct moat_err **e)
{
	size_t n = strnlen(id, STATE_ID_MAX + 1), i;
	char c;

	if (!n)
		return moat_err_code(e, EINVAL, "invalid container id: empty");
	if (n > STATE_ID_MAX)
		return moat_err_code(e, EINVAL,
				     "invalid container id: longer than %d "
				     "bytes",
				     STATE_ID_MAX);
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return moat_err_code(e, EINVAL, "invalid container id: %s", id);
	for (i = 0; i < n; i++) {
		c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '+' ||
		      c == '-' || c == '.'))
			return moat_err_code(e, EINVAL,
					     "invalid container id: only "
					     "letters, digits and _+.- are "
					     "allowed");
	}
	return 0;
}

const char *state_status_name(enum state_status s)
{
	if ((unsigned)s >= STATE_NSTATUS)
		return NULL;
	return state_names[s];
}

int state_status_parse(const char *name)
{
	size_t i;

	for (i = 0; i < STATE_NSTATUS; i++)
		if (!strcmp(name, state_names[i]))
			return (int)i;
	return -1;
}

enum state_status state_derive(enum state_status phase, pid_t pid, bool alive)
{
	if (phase == STATE_STOPPED)
		return STATE_STOPPED;
	/* Still being created: the creator holds the lock and has no
	 * process to show yet. */
	if (phase == STATE_CREATING && pid == 0)
		return STATE_CREATING;
	if (pid <= 0 || !alive)
		return STATE_STOPPED;
	return phase;
}

/* The annotations as a JSON object, in their order; NULL when out of
 * memory (json_pack then fails). */
static json_t *state_annotations(const struct state *s)
{
	json_t *a = json_object();
	size_t i;

	for (i = 0; a && i < s->nannotations; i++)
		if (json_object_set_new(a, s->annotations[i].key,
					json_string(s->annotations[i].value))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int state_annotation_add(struct state *s, const char *key, const char *value,
			 struct moat_err **e)
{
	struct state_annotation *a;

	a = realloc(s->annotations, (s->nannotations + 1) * sizeof(*a));
	if (!a)
		return moat_err_set(e, ENOMEM, "annotations");
	s->annotations = a;
	a = &a[s->nannotations];
	a->key = strdup(key);
	a->value = strdup(value);
	if (!a->key || !a->value) {
		free(a->key);
		free(a->value);
		return moat_err_set(e, ENOMEM, "annotations");
	}
	s->nannotations++;
	return 0;
}

char *state_to_json(const struct state *s)
{
	json_t *j;
	char *out;

	j = json_pack("{s:i,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:I,s:o}", "version",
		      STATE_FORMAT_VERSION, "id", s->id, "phase",
		      state_status_name(s->phase), "pid", (json_int_t)s->pid,
		      "pidStartTime", (json_int_t)s->pid_start, "bundle",
		      s->bundle, "rootfs", s->rootfs, "created", s->created,
		      "owner", (json_int_t)s->owner, "annotations",
		      state_annotations(s));
	if (!j)
		return NULL;
	out = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(j);
	return out;
}

char *state_oci_json(const struct state *s, enum state_status status,
		     const char *oci_version, bool pretty)
{
	json_t *j;
	char *out;
	char owner[16];

	snprintf(owner, sizeof(owner), "%u", (unsigned)s->owner);
	j = json_pack(
		"{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:o}", "ociVersion",
		oci_version, "id", s->id, "status", state_status_name(status),
		"pid",
		/* creating: what create-time hooks see, with the pid they
		 * need (docker's joins /proc/<pid>/ns/net), as runc's do. */
		(json_int_t)((status == STATE_CREATING ||
			      status == STATE_CREATED ||
			      status == STATE_RUNNING || status == STATE_PAUSED)
				     ? s->pid
				     : 0),
		"bundle", s->bundle, "rootfs", s->rootfs, "created", s->created,
		"owner", owner, "annotations", state_annotations(s));
	if (!j)
		return NULL;
	out = json_dumps(j, (pretty ? JSON_INDENT(2) : JSON_COMPACT) |
				    JSON_PRESERVE_ORDER);
	json_decref(j);
	return out;
}

static int state_copy_str(json_t *o, const char *key, char *dst, size_t cap,
			  bool allow_empty, struct moat_err **e)
{
	json_t *v = json_object_get(o, key);
	size_t n;

	if (!json_is_string(v))
		return moat_err_code(e, EINVAL, "%s: must be a string", key);
	n = json_string_length(v);
	if (n >= cap || strlen(json_string_value(v)) != n ||
	    (!n && !allow_empty))
		return moat_err_code(e, EINVAL, "%s: bad length", key);
	memcpy(dst, json_string_value(v), n + 1);
	return 0;
}

static int state_get_uint(json_t *o, const char *key, json_int_t max,
			  json_int_t *out, struct moat_err **e)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max)
		return moat_err_code(e, EINVAL, "%s: must be an integer", key);
	*out = json_integer_value(v);
	return 0;
}

int state_from_json(const char *text, size_t len, struct state *s,
		    struct moat_err **e)
{
	json_error_t jerr;
	const char *key;
	json_int_t v;
	json_t *j, *a, *val;
	int phase, r = -1;

	memset(s, 0, sizeof(*s));
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return moat_err_code(e, EINVAL, "%d:%d: %s", jerr.line,
				     jerr.column, jerr.text);
	if (!json_is_object(j)) {
		moat_err_code(e, EINVAL, "not an object");
		goto out;
	}
	if (state_get_uint(j, "version", INT32_MAX, &v, e))
		goto out;
	if (v != STATE_FORMAT_VERSION) {
		moat_err_code(e, EINVAL, "version %lld is not %d", (long long)v,
			      STATE_FORMAT_VERSION);
		goto out;
	}
	if (state_copy_str(j, "id", s->id, sizeof(s->id), false, e) ||
	    state_id_check(s->id, e) ||
	    state_copy_str(j, "bundle", s->bundle, sizeof(s->bundle), true,
			   e) ||
	    state_copy_str(j, "rootfs", s->rootfs, sizeof(s->rootfs), true,
			   e) ||
	    state_copy_str(j, "created", s->created, sizeof(s->created), true,
			   e))
		goto out;
	a = json_object_get(j, "phase");
	phase = json_is_string(a) ? state_status_parse(json_string_value(a))
				  : -1;
	if (phase < 0) {
		moat_err_code(e, EINVAL, "phase: must be a status name");
		goto out;
	}
	s->phase = (enum state_status)phase;
	if (state_get_uint(j, "pid", INT32_MAX, &v, e))
		goto out;
	s->pid = (pid_t)v;
	if (state_get_uint(j, "pidStartTime", INT64_MAX, &v, e))
		goto out;
	s->pid_start = (uint64_t)v;
	if (state_get_uint(j, "owner", UINT32_MAX, &v, e))
		goto out;
	s->owner = (uint32_t)v;
	a = json_object_get(j, "annotations");
	if (a && !json_is_object(a)) {
		moat_err_code(e, EINVAL, "annotations: must be an object");
		goto out;
	}
	json_object_foreach(a, key, val)
	{
		if (!json_is_string(val) ||
		    strlen(json_string_value(val)) != json_string_length(val)) {
			moat_err_code(e, EINVAL,
				      "annotations: a value must be a string");
			goto out;
		}
		if (state_annotation_add(s, key, json_string_value(val), e))
			goto out;
	}
	r = 0;
out:
	json_decref(j);
	if (r)
		state_clear(s);
	return r;
}

void state_clear(struct state *s)
{
	size_t i;

	for (i = 0; i < s->nannotations; i++) {
		free(s->annotations[i].key);
		free(s->annotations[i].value);
	}
	free(s->annotations);
	s->annotations = NULL;
	s->nannotations = 0;
}
