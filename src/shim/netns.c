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
 * Inputs: the validated config (the engine's config.json).
 */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

int shim_netns_enter(const struct spec *sp, struct moat_err **e)
{
	int fd;

	if (!(sp->namespaces & (1u << SPEC_NS_NETWORK)))
		return 0;
	if (!sp->net_path) {
		if (unshare(CLONE_NEWNET) < 0)
			return moat_err_set(e, errno,
					    "a network namespace of its own");
		return 0;
	}
	fd = open(sp->net_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return moat_err_set(e, errno, "network namespace %s",
				    sp->net_path);
	if (setns(fd, CLONE_NEWNET) < 0) {
		int err = errno;

		close(fd);
		return moat_err_set(e, err, "network namespace %s",
				    sp->net_path);
	}
	close(fd);
	return 0;
}
