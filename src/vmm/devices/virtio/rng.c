/*
 * rng.c: virtio-rng (see rng.h).
 */
#include "rng.h"

#include <errno.h>
#include <sys/random.h>
#include <sys/syscall.h>

#define RNG_QUEUE_SIZE 64
#define RNG_MAX_PER_BUFFER (64 * 1024)

void rng_setup(struct virtio_dev *vd)
{
	mmio_init(&vd->mmio, VIRTIO_ID_RNG, 0, 1, RNG_QUEUE_SIZE);
}

static void rng_notify(struct virtio_dev *vd, unsigned qi)
{
	struct virtq *q = &vd->mmio.q[0];
	struct virtq_chain c;
	int r, used = 0;

	if (qi != 0)
		return;
	while ((r = virtq_pop(q, vd->mem, &c)) == 0) {
		uint32_t written = 0;
		unsigned i;

		for (i = c.nread; i < c.nbufs; i++) {
			uint32_t len = c.buf[i].len, n = 0;

			if (written >= RNG_MAX_PER_BUFFER)
				break;
			while (n < len) {
				ssize_t g = getrandom(c.buf[i].host + n,
						      len - n, 0);

				if (g < 0 && errno == EINTR)
					continue;
				if (g <= 0)
					break;
				n += (uint32_t)g;
			}
			written += n;
			if (n < len)
				break;
		}
		virtq_push(q, c.head, written);
		used = 1;
	}
	if (r == VIRTQ_EBROKEN)
		virtio_dev_broken(vd);
	if (used)
		virtio_dev_used(vd, 0);
}

const struct virtio_dev_ops rng_ops = {
	.notify = rng_notify,
};

static const int rng_sys[] = { SYS_getrandom };

const struct filter_rules rng_filter_rules = {
	.sys = rng_sys,
	.n = sizeof(rng_sys) / sizeof(rng_sys[0]),
};
