/*
 * dev.c: running a virtio-mmio device (see dev.h).
 */
#include "dev.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../kvm/kvm.h"

static void virtio_dev_irq(struct virtio_dev *vd)
{
	uint64_t one = 1;

	if (write(vd->irq_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: an interrupt is pending anyway */
	}
}

void virtio_dev_apply(struct virtio_dev *vd, const struct mmio_effect *fx)
{
	if (fx->reset && vd->ops->reset)
		vd->ops->reset(vd);
	if (fx->activate && vd->ops->activate)
		vd->ops->activate(vd);
	if (fx->notify >= 0 && vd->ops->notify)
		vd->ops->notify(vd, (unsigned)fx->notify);
	if (fx->irq)
		virtio_dev_irq(vd);
}

void virtio_dev_used(struct virtio_dev *vd, unsigned q)
{
	struct mmio_effect fx = { .notify = -1 };

	if (q >= vd->mmio.nqueues || !virtq_want_irq(&vd->mmio.q[q]))
		return;
	mmio_used(&vd->mmio, &fx);
	if (fx.irq)
		virtio_dev_irq(vd);
}

void virtio_dev_broken(struct virtio_dev *vd)
{
	struct mmio_effect fx = { .notify = -1 };

	mmio_needs_reset(&vd->mmio, &fx);
	if (fx.irq)
		virtio_dev_irq(vd);
}

static void virtio_bus_read(void *dev, uint64_t off, uint8_t *data,
			    uint32_t len)
{
	struct virtio_dev *vd = dev;

	pthread_mutex_lock(&vd->lock);
	mmio_read(&vd->mmio, off, data, len);
	pthread_mutex_unlock(&vd->lock);
}

static void virtio_bus_write(void *dev, uint64_t off, const uint8_t *data,
			     uint32_t len)
{
	struct virtio_dev *vd = dev;
	struct mmio_effect fx;

	pthread_mutex_lock(&vd->lock);
	mmio_write(&vd->mmio, vd->mem, off, data, len, &fx);
	virtio_dev_apply(vd, &fx);
	pthread_mutex_unlock(&vd->lock);
}

const struct bus_ops virtio_dev_bus_ops = {
	.read = virtio_bus_read,
	.write = virtio_bus_write,
};

int virtio_dev_init(struct virtio_dev *vd, int vm_fd, const struct gmem *m,
		    uint64_t base, unsigned gsi,
		    const struct virtio_dev_ops *ops, void *priv,
		    struct moat_err **e)
{
	struct kvm_irqfd irqfd;

	pthread_mutex_init(&vd->lock, NULL);
	vd->mem = m;
	vd->base = base;
	vd->gsi = gsi;
	vd->ops = ops;
	vd->priv = priv;
	vd->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vd->irq_fd < 0)
		return moat_err_set(e, errno, "virtio: eventfd");
	memset(&irqfd, 0, sizeof(irqfd));
	irqfd.fd = (uint32_t)vd->irq_fd;
	irqfd.gsi = gsi;
	if (kvm_ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0) {
		close(vd->irq_fd);
		vd->irq_fd = -1;
		return moat_err_set(e, errno, "virtio: KVM_IRQFD gsi %u", gsi);
	}
	return 0;
}

/* On the main thread: the driver notified queue k->q. */
static void virtio_kicked(struct loop_handler *h, uint32_t events)
{
	struct virtio_kick *k = (struct virtio_kick *)h;
	struct virtio_dev *vd = k->vd;
	uint64_t n;

	(void)events;
	if (read(h->fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing new since the last round */
	}
	pthread_mutex_lock(&vd->lock);
	if (mmio_notify_ok(&vd->mmio, k->q) && vd->ops->notify)
		vd->ops->notify(vd, k->q);
	pthread_mutex_unlock(&vd->lock);
}

int virtio_dev_kicks(struct virtio_dev *vd, int vm_fd, struct loop *loop,
		     struct moat_err **e)
{
	struct kvm_ioeventfd io;
	struct virtio_kick *k;
	unsigned q;

	for (q = 0; q < vd->mmio.nqueues && q < VIRTIO_KICKS_MAX; q++) {
		k = &vd->kick[q];
		k->vd = vd;
		k->q = q;
		k->h.fn = virtio_kicked;
		k->h.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (k->h.fd < 0)
			return moat_err_set(e, errno, "virtio: eventfd");
		vd->nkicks = q + 1;
		memset(&io, 0, sizeof(io));
		io.addr = vd->base + MMIO_REG_QUEUE_NOTIFY;
		io.len = 4;
		io.datamatch = q;
		io.fd = k->h.fd;
		io.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
		if (kvm_ioctl(vm_fd, KVM_IOEVENTFD, &io) < 0)
			return moat_err_set(e, errno,
					    "virtio: KVM_IOEVENTFD at %#llx",
					    (unsigned long long)io.addr);
		if (loop_add(loop, &k->h, EPOLLIN) < 0)
			return moat_err_set(e, errno, "virtio: event loop");
	}
	return 0;
}

void virtio_dev_destroy(struct virtio_dev *vd)
{
	unsigned q;

	for (q = 0; q < vd->nkicks; q++)
		if (vd->kick[q].h.fd >= 0)
			close(vd->kick[q].h.fd);
	vd->nkicks = 0;
	if (vd->irq_fd >= 0)
		close(vd->irq_fd);
	vd->irq_fd = -1;
	pthread_mutex_destroy(&vd->lock);
}

int virtio_thread_start(struct virtio_dev *vd, struct virtio_thread *t,
			void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&t->id, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return r;
	pthread_mutex_lock(&vd->lock);
	t->started = true;
	while (!t->filter_done)
		pthread_cond_wait(&t->cond, &vd->lock);
	r = t->filter_rc < 0 ? -1 : 0;
	pthread_mutex_unlock(&vd->lock);
	return r;
}

int virtio_thread_filter(struct virtio_dev *vd, struct virtio_thread *t,
			 enum filter_kind kind)
{
	struct moat_err *e = NULL;
	int rc = filter_load(kind, &e);

	moat_err_free(&e);
	pthread_mutex_lock(&vd->lock);
	t->filter_rc = rc;
	t->filter_done = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&vd->lock);
	return rc < 0 ? -1 : 0;
}
