/*
 * features.c: `moat features`: the OCI features document (runtime-spec
 * features.md, features-linux.md) on stdout.
 *
 * It is built from the tables spec_parse() checks against, so it says
 * what moat accepts: namespaces (the user one too, made in the guest),
 * capabilities, hooks and mount options
 * from src/common/spec.c; seccomp actions and operators from
 * src/common/spec_seccomp.c, architectures those of x86_64 guests; cgroup v2
 * (the guest's); no AppArmor, SELinux, Intel RDT or id-mapped mounts.
 * Input: none but argv.
 */
#include "cli.h"
#include "../runtime/spec.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

/* The x86 ones of spec_scmp_archs: moat's guests are x86_64. */
static const char *const cli_features_seccomp_archs[] = {
	"SCMP_ARCH_X86",
	"SCMP_ARCH_X86_64",
	"SCMP_ARCH_X32",
	NULL,
};

/* A JSON array of the names in v (NULL-terminated); with a non-zero
 * mask, only those whose index has its bit set (index < 32). */
static json_t *cli_features_names(const char *const *v, unsigned mask)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && v[i]; i++)
		if (!mask || (i < 32 && ((mask >> i) & 1)))
			json_array_append_new(a, json_string(v[i]));
	return a;
}

int cli_features(struct cli_ctx *ctx, int argc, char **argv,
		 struct moat_err **e)
{
	json_t *doc;

	if (cli_nargs(argc, argv, 1, 0, 0, e))
		return -1;
	doc = json_pack("{s:s,s:s,s:o,s:o,s:{s:o,s:o,s:{s:b,s:b,s:b,s:b,s:b},"
			"s:{s:b,s:o,s:o,s:o,s:o,s:o},s:{s:b},s:{s:b},s:{s:b},"
			"s:{s:{s:b}}},s:{s:s}}",
			"ociVersionMin", SPEC_VERSION_MIN, "ociVersionMax",
			SPEC_VERSION_MAX, "hooks",
			cli_features_names(spec_hook_names, 0), "mountOptions",
			cli_features_names(spec_mount_options, 0), "linux",
			"namespaces",
			cli_features_names(spec_ns_names, SPEC_NS_SUPPORTED),
			"capabilities", cli_features_names(oci_cap_names, 0),
			"cgroup", "v1", 0, "v2", 1, "systemd", 0, "systemdUser",
			0, "rdma", 0, "seccomp", "enabled", 1, "actions",
			cli_features_names(spec_scmp_actions, 0), "operators",
			cli_features_names(spec_scmp_ops, 0), "archs",
			cli_features_names(cli_features_seccomp_archs, 0),
			"knownFlags", json_array(), "supportedFlags",
			json_array(), "apparmor", "enabled", 0, "selinux",
			"enabled", 0, "intelRdt", "enabled", 0,
			"mountExtensions", "idmap", "enabled", 0, "annotations",
			"moat.version", MOAT_VERSION);
	return cli_print_json(doc, JSON_INDENT(4) | JSON_PRESERVE_ORDER,
			      "features document", e);
}
