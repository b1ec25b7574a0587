/*
 * netns.c: the shim lives in the container's network namespace on the
 * host (netns.h).
 *
 * Engines look at the network namespace of the container's pid, which for
 * moat is the shim's: docker's libnetwork prestart hook, for one, binds
 * /proc/<pid>/ns/net as the container's network sandbox. So the shim
 * joins the namespace config.json names (podman's, with the engine's
 * interfaces that the network code carries into the VM), or makes a new,
 * empty one when the config asks for a new namespace, as runc's init
 * would be in; the monitor it starts inherits it. A config without a
 * network namespace (the host's) is refused elsewhere (src/sandbox/net.c).
 *
 * Inputs: config.json (the engine's).
 */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

int shim_netns_enter(json_t *config, struct moat_err **e)
{
	json_t *nss, *ns, *type, *path = NULL;
	bool found = false;
	size_t i;
	int fd;

	nss = json_object_get(json_object_get(config, "linux"), "namespaces");
	json_array_foreach(nss, i, ns)
	{
		type = json_object_get(ns, "type");
		if (json_is_string(type) &&
		    !strcmp(json_string_value(type), "network")) {
			found = true;
			path = json_object_get(ns, "path");
		}
	}
	if (!found)
		return 0;
	if (!json_is_string(path) || !json_string_value(path)[0]) {
		if (unshare(CLONE_NEWNET) < 0)
			return moat_err_set(e, errno,
					    "a network namespace of its own");
		return 0;
	}
	fd = open(json_string_value(path), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return moat_err_set(e, errno, "network namespace %s",
				    json_string_value(path));
	if (setns(fd, CLONE_NEWNET) < 0) {
		int err = errno;

		close(fd);
		return moat_err_set(e, err, "network namespace %s",
				    json_string_value(path));
	}
	close(fd);
	return 0;
}
