/*
 * oci.h: the runtime-spec vocabulary under the config.json parser
 * (spec.c, which the host and the agent share): the capability and
 * rlimit names, type-checked getters for jansson objects whose errors
 * name the JSON path, and path checks.
 *
 * Inputs: JSON the caller parsed (the host's config.json; the config blob
 * of a CREATE request in the guest). Nothing here keeps a reference.
 */
#ifndef MOAT_COMMON_OCI_H
#define MOAT_COMMON_OCI_H

#include "err.h"

#include <jansson.h>
#include <stdbool.h>

/* "CAP_CHOWN", ...: index = capability number; NULL-terminated. */
extern const char *const oci_cap_names[];
/* "RLIMIT_AS", ...: NULL-terminated; oci_rlimit_resources[i] is the
 * RLIMIT_ number of oci_rlimit_names[i]. */
extern const char *const oci_rlimit_names[];
extern const int oci_rlimit_resources[];

/* The index of s in the NULL-terminated names, or -1. */
int oci_lookup(const char *const *names, const char *s);

/* v is missing or JSON null. */
bool oci_absent(json_t *v);

/*
 * Getters of o[key], an object member at JSON path where (the path of o;
 * "" for the root). Absent (or null) leaves *out alone and is fine unless
 * required; a wrong type or a value out of range is EINVAL, with a message
 * "<where>.<key>: must be ...". Strings may not hold a NUL; *out is a copy
 * (the caller frees it). oci_get_int sets *has when has is not NULL and the
 * member is there. oci_get_strv makes a NULL-terminated vector (an empty
 * one when absent; with nonempty, absent or [] is an error); on failure
 * *out may hold a partial vector for oci_strv_free. oci_get_obj's *out is
 * a borrowed reference, NULL when absent.
 */
int oci_get_str(json_t *o, const char *key, const char *where, bool required,
		char **out, struct moat_err **e);
int oci_get_bool(json_t *o, const char *key, const char *where, bool *out,
		 struct moat_err **e);
int oci_get_int(json_t *o, const char *key, const char *where, json_int_t min,
		json_int_t max, bool required, bool *has, json_int_t *out,
		struct moat_err **e);
int oci_get_strv(json_t *o, const char *key, const char *where, bool nonempty,
		 char ***out, struct moat_err **e);
int oci_get_obj(json_t *o, const char *key, const char *where, json_t **out,
		struct moat_err **e);
/* A JSON string without NULs, copied into *out; path names it in errors. */
int oci_str(json_t *v, const char *path, char **out, struct moat_err **e);
void oci_strv_free(char **v);

/* p has no "." or ".." component, and is absolute (oci_clean_abs) or
 * relative and not empty (oci_clean_rel). */
bool oci_clean_abs(const char *p);
bool oci_clean_rel(const char *p);

#endif
