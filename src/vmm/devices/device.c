/*
 * device.c: the device table, and each kind's ops over its module's API
 * (see device.h).
 */
#include "device.h"

#include <stdio.h>

#include "virtio/block.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/p9dev.h"
#include "virtio/rng.h"

/* --- virtio-console: c->vconsole[i], named c->vport[i] or not ----------- */

static unsigned device_console_count(const struct vm_config *c)
{
	return c->nvconsole;
}

static int device_console_open(void *dev, const struct vm_config *c, unsigned i,
			       struct moat_err **e)
{
	if (console_open(dev, c->vport[i], c->vconsole[i], e) < 0)
		return moat_err_wrap(e, "virtio console %u", i);
	return 0;
}

static int device_console_setup(void *dev, struct virtio_dev *vd,
				struct loop *loop, struct moat_err **e)
{
	console_setup(vd, dev);
	return console_attach(dev, vd, loop, e);
}

static void device_console_close(void *dev)
{
	console_close(dev);
}

static const struct device_ops device_console = {
	.many = "virtio consoles",
	.max = VM_MAX_VCONSOLES,
	.size = sizeof(struct console),
	.count = device_console_count,
	.open = device_console_open,
	.setup = device_console_setup,
	.close = device_console_close,
	.virtio = &console_ops,
};

/* --- virtio-rng: one, with c->rng --------------------------------------- */

static unsigned device_rng_count(const struct vm_config *c)
{
	return c->rng ? 1 : 0;
}

static int device_rng_setup(void *dev, struct virtio_dev *vd, struct loop *loop,
			    struct moat_err **e)
{
	(void)dev;
	(void)loop;
	(void)e;
	rng_setup(vd);
	return 0;
}

static const struct device_ops device_rng = {
	.many = "virtio rng devices",
	.max = 1,
	.count = device_rng_count,
	.setup = device_rng_setup,
	.virtio = &rng_ops,
	.host_rules = &rng_filter_rules,
};

/* --- virtio-blk: c->block[i], vda, vdb, ... ----------------------------- */

static unsigned device_block_count(const struct vm_config *c)
{
	return c->nblock;
}

static int device_block_open(void *dev, const struct vm_config *c, unsigned i,
			     struct moat_err **e)
{
	const struct vm_block_config *bc = &c->block[i];
	char id[BLKREQ_ID_BYTES + 1];

	snprintf(id, sizeof(id), "moat-blk%u", i);
	if (block_open(dev, bc->path, bc->ro, bc->id ? bc->id : id, e) < 0)
		return moat_err_wrap(e, "virtio block %u", i);
	return 0;
}

static int device_block_setup(void *dev, struct virtio_dev *vd,
			      struct loop *loop, struct moat_err **e)
{
	(void)loop;
	(void)e;
	block_setup(dev, vd);
	return 0;
}

static void device_block_close(void *dev)
{
	block_close(dev);
}

static const struct device_ops device_block = {
	.many = "block devices",
	.max = VM_MAX_BLOCKS,
	.size = sizeof(struct block),
	.count = device_block_count,
	.open = device_block_open,
	.setup = device_block_setup,
	.close = device_block_close,
	.virtio = &block_ops,
	.host_rules = &block_filter_rules,
};

/* --- virtio-9p: c->share[i], found by tag ------------------------------- */

static unsigned device_p9_count(const struct vm_config *c)
{
	return c->nshare;
}

static int device_p9_open(void *dev, const struct vm_config *c, unsigned i,
			  struct moat_err **e)
{
	const struct vm_share_config *sc = &c->share[i];

	if (p9dev_open(dev, sc->path, sc->tag, sc->ro, sc->submounts, e) < 0)
		return moat_err_wrap(e, "9p share %s", sc->tag);
	return 0;
}

static int device_p9_setup(void *dev, struct virtio_dev *vd, struct loop *loop,
			   struct moat_err **e)
{
	(void)loop;
	(void)e;
	p9dev_setup(dev, vd);
	return 0;
}

static int device_p9_start(void *dev, struct moat_err **e)
{
	return p9dev_start(dev, e);
}

static void device_p9_stop(void *dev)
{
	p9dev_stop(dev);
}

static void device_p9_close(void *dev)
{
	p9dev_close(dev);
}

static void device_p9_stats(const void *dev, struct device_stats *s)
{
	const struct p9dev *d = dev;

	s->p9_req += __atomic_load_n(&d->nreq, __ATOMIC_RELAXED);
	s->p9_copy += __atomic_load_n(&d->ncopy, __ATOMIC_RELAXED);
	s->p9_sg += __atomic_load_n(&d->nsg, __ATOMIC_RELAXED);
}

static const struct device_ops device_p9 = {
	.many = "9p shares",
	.max = VM_MAX_SHARES,
	.size = sizeof(struct p9dev),
	.count = device_p9_count,
	.open = device_p9_open,
	.setup = device_p9_setup,
	.start = device_p9_start,
	.stop = device_p9_stop,
	.close = device_p9_close,
	.stats = device_p9_stats,
	.virtio = &p9dev_ops,
	.thread_filter = FILTER_P9,
};

/* --- virtio-net: c->net[i], eth0, eth1, ... ----------------------------- */

static unsigned device_net_count(const struct vm_config *c)
{
	return c->nnet;
}

static int device_net_open(void *dev, const struct vm_config *c, unsigned i,
			   struct moat_err **e)
{
	const struct vm_net_config *nc = &c->net[i];

	if (net_open(dev, nc->fd, nc->ifname, nc->has_mac ? nc->mac : NULL,
		     nc->mtu, e) < 0)
		return moat_err_wrap(e, "virtio net %u", i);
	return 0;
}

static int device_net_setup(void *dev, struct virtio_dev *vd, struct loop *loop,
			    struct moat_err **e)
{
	(void)loop;
	(void)e;
	net_setup(dev, vd);
	return 0;
}

static int device_net_start(void *dev, struct moat_err **e)
{
	return net_start(dev, e);
}

static void device_net_stop(void *dev)
{
	net_stop(dev);
}

static void device_net_close(void *dev)
{
	net_close(dev);
}

static void device_net_stats(const void *dev, struct device_stats *s)
{
	const struct net *d = dev;

	s->net_rx += __atomic_load_n(&d->rx_frames, __ATOMIC_RELAXED);
	s->net_tx += __atomic_load_n(&d->tx_frames, __ATOMIC_RELAXED);
	s->net_drop += __atomic_load_n(&d->drops, __ATOMIC_RELAXED);
}

static const struct device_ops device_net = {
	.many = "net devices",
	.max = VM_MAX_NETS,
	.size = sizeof(struct net),
	.count = device_net_count,
	.open = device_net_open,
	.setup = device_net_setup,
	.start = device_net_start,
	.stop = device_net_stop,
	.close = device_net_close,
	.stats = device_net_stats,
	.virtio = &net_ops,
	.thread_filter = FILTER_NET,
};

/* Block devices after the consoles and rng: the guest names them vda,
 * vdb, ... in this order; net devices eth0, eth1, ... likewise. */
const struct device_ops *const device_table[] = {
	&device_console, &device_rng, &device_block,
	&device_p9,	 &device_net, NULL,
};
