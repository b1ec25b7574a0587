/*
 * vm.c: building, running and tearing down the VM (see vm.h).
 *
 * Build order (vm_build), undone in reverse by vm_destroy:
 *   1. the stop eventfd        4. the legacy devices on the buses, then
 *   2. KVM: VM, irqchip, PIT      the virtio devices (consoles, rng, block,
 *   3. guest memory, mapped       9p shares, net devices)
 *                              5. the guest image (boot_load)
 *                              6. the vCPUs, set up for boot
 * Threads: main runs an epoll loop (stop requests, signals, console input,
 * the virtio queues' notifications, which KVM signals on an ioeventfd);
 * each vCPU has a thread running KVM_RUN and the device models it exits to;
 * each 9p share and each net device has a thread serving its queues
 * (started by vm_run, each under its seccomp filter before any vCPU runs;
 * stopped by vm_destroy).
 */
#include "vm.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "boot/x86_64/boot.h"
#include "boot/x86_64/cpu.h"
#include "devices/legacy/i8042.h"
#include "devices/virtio/rng.h"
#include "seccomp/filter.h"

#define VM_SIG_KICK SIGUSR1
/* no_timer_check: the guest skips its check that the PIT's ticks reach
 * it through the IO-APIC (KVM's in-kernel PIT and IO-APIC do); the check
 * cost boot time and drove the PIT hard in the nested test host. */
#define VM_BASE_CMDLINE "console=ttyS0 reboot=k panic=-1 no_timer_check"
#define VM_CMDLINE_MAX 4096
#define COM1_BASE 0x3f8

void vm_stop(struct vm *vm, int code)
{
	int expected = -1;
	uint64_t one = 1;

	atomic_compare_exchange_strong(&vm->exit_code, &expected, code);
	atomic_store(&vm->stopping, true);
	if (write(vm->stop_fd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: main is woken anyway */
	}
}

/* --- the serial console backend --------------------------------------------
 */

static void serial_apply(struct serial_dev *d, const struct serial_effect *fx)
{
	if (fx->emit && d->out_fd >= 0) {
		struct pollfd p = { .fd = d->out_fd, .events = POLLOUT };

		/* A console that cannot take output now loses it: the guest
		 * (and a pause or stop of the VM) never waits on the host
		 * side. POLLOUT on a pipe means room for PIPE_BUF bytes. */
		if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) &&
		    write(d->out_fd, &fx->out, 1) < 0) {
			/* lost, as above */
		}
	}
	if (fx->irq != d->irq) {
		struct kvm_irq_level l = { .irq = LAYOUT_IRQ_SERIAL,
					   .level = fx->irq };

		d->irq = fx->irq;
		kvm_ioctl(d->vm->kvm.vm_fd, KVM_IRQ_LINE, &l);
	}
}

static void serial_pio_read(void *dev, uint64_t off, uint8_t *data,
			    uint32_t len)
{
	struct serial_dev *d = dev;
	struct serial_effect fx;

	pthread_mutex_lock(&d->lock);
	data[0] = serial_read(&d->s, (uint8_t)off, &fx);
	serial_apply(d, &fx);
	pthread_mutex_unlock(&d->lock);
	if (len > 1)
		memset(data + 1, 0, len - 1);
}

static void serial_pio_write(void *dev, uint64_t off, const uint8_t *data,
			     uint32_t len)
{
	struct serial_dev *d = dev;
	struct serial_effect fx;

	(void)len; /* only the low byte of a wider access reaches a UART */
	pthread_mutex_lock(&d->lock);
	serial_write(&d->s, (uint8_t)off, data[0], &fx);
	serial_apply(d, &fx);
	pthread_mutex_unlock(&d->lock);
}

static const struct bus_ops serial_ops = {
	.read = serial_pio_read,
	.write = serial_pio_write,
};

static void serial_input(struct serial_dev *d, const uint8_t *buf, size_t n)
{
	struct serial_effect fx;

	pthread_mutex_lock(&d->lock);
	serial_rx_push(&d->s, buf, n, &fx); /* a full FIFO drops the rest */
	serial_apply(d, &fx);
	pthread_mutex_unlock(&d->lock);
}

/* --- i8042 -----------------------------------------------------------------
 */

static void i8042_pio_read(void *dev, uint64_t off, uint8_t *data, uint32_t len)
{
	(void)dev;
	memset(data, 0, len);
	data[0] = i8042_read((uint16_t)(I8042_PORT_DATA + off));
}

static void i8042_pio_write(void *dev, uint64_t off, const uint8_t *data,
			    uint32_t len)
{
	(void)len;
	if (i8042_write((uint16_t)(I8042_PORT_DATA + off), data[0]) ==
	    I8042_RESET)
		vm_stop(dev, VMM_EXIT_GUEST);
}

static const struct bus_ops i8042_ops = {
	.read = i8042_pio_read,
	.write = i8042_pio_write,
};

/* --- vCPUs -------------------------------------------------------------------
 */

static void vcpu_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t size = run->io.size, i;
	/* GUEST: data_offset and size * count are set by KVM within the
	 * kvm_run mapping (size <= 4, count bounded by the page). */
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	if (run->io.data_offset + (uint64_t)size * run->io.count >
	    v->vm->kvm.run_size)
		return;
	for (i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			bus_write(&v->vm->pio, run->io.port, data, size);
		else
			bus_read(&v->vm->pio, run->io.port, data, size);
	}
}

static void vcpu_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	if (run->mmio.is_write)
		bus_write(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data,
			  len);
	else
		bus_read(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data,
			 len);
}

/* Wait, outside KVM_RUN, while a pause is requested. */
static void vcpu_park(struct vcpu *v)
{
	struct vm *vm = v->vm;

	pthread_mutex_lock(&vm->pause_lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (atomic_load(&vm->pause_req) && !atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->parked--;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

static void vm_kick(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		if (!v->started)
			continue;
		v->run->immediate_exit = 1;
		pthread_kill(v->thread, VM_SIG_KICK);
	}
}

int vm_pause(struct vm *vm)
{
	struct timespec dl;
	int r = 0;

	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->pause_req, true);
	pthread_mutex_unlock(&vm->pause_lock);
	vm_kick(vm);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 2;
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->parked < vm->ncpus && r == 0)
		r = pthread_cond_timedwait(&vm->pause_cond, &vm->pause_lock,
					   &dl);
	r = vm->parked == vm->ncpus ? 0 : -1;
	pthread_mutex_unlock(&vm->pause_lock);
	return r;
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->pause_req, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

bool vm_paused(struct vm *vm)
{
	bool p;

	pthread_mutex_lock(&vm->pause_lock);
	p = atomic_load(&vm->pause_req) && vm->parked == vm->ncpus;
	pthread_mutex_unlock(&vm->pause_lock);
	return p;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t set;

	struct moat_err *e = NULL;

	/* This thread's seccomp filter, before any guest code runs (vm_run
	 * holds every vCPU parked until the main thread has its own). */
	if (filter_load(FILTER_VCPU, &e) < 0) {
		fprintf(stderr, "moat-vmm: vcpu %u: %s\n", v->index,
			e ? e->msg : "seccomp");
		moat_err_free(&e);
		vm_stop(vm, VMM_EXIT_ERROR);
		return NULL;
	}
	sigemptyset(&set);
	sigaddset(&set, VM_SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!atomic_load(&vm->stopping)) {
		if (atomic_load(&vm->pause_req))
			vcpu_park(v);
		if (atomic_load(&vm->stopping))
			break;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			fprintf(stderr, "moat-vmm: vcpu %u: KVM_RUN: %s\n",
				v->index, strerror(errno));
			vm_stop(vm, VMM_EXIT_INTERNAL);
			break;
		}
		switch (v->run->exit_reason) {
		case KVM_EXIT_IO:
			vcpu_io(v);
			break;
		case KVM_EXIT_MMIO:
			vcpu_mmio(v);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			vm_stop(vm, VMM_EXIT_GUEST);
			break;
		case KVM_EXIT_SHUTDOWN:
			vm_stop(vm, VMM_EXIT_TRIPLE_FAULT);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			vm_stop(vm, v->run->system_event.type ==
						    KVM_SYSTEM_EVENT_CRASH
					    ? VMM_EXIT_INTERNAL
					    : VMM_EXIT_GUEST);
			break;
		default:
			fprintf(stderr, "moat-vmm: vcpu %u: exit reason %u\n",
				v->index, v->run->exit_reason);
			vm_stop(vm, VMM_EXIT_INTERNAL);
			break;
		}
	}
	return NULL;
}

static int vcpu_create(struct vm *vm, unsigned i, uint64_t entry,
		       struct moat_err **e)
{
	struct vcpu *v = &vm->vcpu[i];
	void *run;

	v->vm = vm;
	v->index = i;
	v->fd = kvm_ioctl_val(vm->kvm.vm_fd, KVM_CREATE_VCPU, i);
	if (v->fd < 0)
		return moat_err_set(e, errno, "KVM_CREATE_VCPU %u", i);
	run = mmap(NULL, vm->kvm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   v->fd, 0);
	if (run == MAP_FAILED)
		return moat_err_set(e, errno, "mmap kvm_run of vcpu %u", i);
	v->run = run;
	return cpu_setup(&vm->kvm, v->fd, i, vm->ncpus, entry, e);
}

/* --- virtio devices ------------------------------------------------------- */

/* Add a virtio-mmio device: its transport, irqfd, MMIO range, and its
 * entry on the kernel command line. */
static struct virtio_dev *vm_add_virtio(struct vm *vm, char *cmdline,
					size_t cap,
					const struct virtio_dev_ops *ops,
					struct moat_err **e)
{
	struct virtio_dev *vd;
	uint64_t base;
	unsigned gsi;
	size_t n = strlen(cmdline);

	if (vm->nvdev >= LAYOUT_VIRTIO_MAX ||
	    LAYOUT_IRQ_VIRTIO_FIRST + vm->nvdev > LAYOUT_IRQ_MAX) {
		moat_err_set(e, 0, "too many virtio devices");
		return NULL;
	}
	vd = &vm->vdev[vm->nvdev];
	base = LAYOUT_VIRTIO_MMIO_BASE + vm->nvdev * LAYOUT_VIRTIO_MMIO_SIZE;
	gsi = LAYOUT_IRQ_VIRTIO_FIRST + vm->nvdev;
	if (virtio_dev_init(vd, vm->kvm.vm_fd, &vm->mem, base, gsi, ops, NULL,
			    e) < 0)
		return NULL;
	vm->nvdev++;
	if (bus_add(&vm->mmio, base, LAYOUT_VIRTIO_MMIO_SIZE,
		    &virtio_dev_bus_ops, vd) < 0) {
		moat_err_set(e, 0, "MMIO bus: conflict at %#llx",
			     (unsigned long long)base);
		return NULL;
	}
	if ((size_t)snprintf(cmdline + n, cap - n,
			     " virtio_mmio.device=4K@%#llx:%u",
			     (unsigned long long)base, gsi) >= cap - n) {
		moat_err_set(e, 0, "kernel command line is too long");
		return NULL;
	}
	return vd;
}

static int vm_add_devices(struct vm *vm, char *cmdline, size_t cap,
			  struct moat_err **e)
{
	const struct vm_config *c = vm->cfg;
	struct virtio_dev *vd;
	unsigned i;

	for (i = 0; i < c->nvconsole; i++) {
		struct console *con = &vm->cons[i];

		if (console_open(con, c->vport[i], c->vconsole[i], e) < 0)
			return moat_err_wrap(e, "virtio console %u", i);
		vm->ncons++;
		vd = vm_add_virtio(vm, cmdline, cap, &console_ops, e);
		if (!vd)
			return -1;
		console_setup(vd, con);
		if (console_attach(con, vd, &vm->loop, e) < 0)
			return -1;
	}
	if (c->rng) {
		vd = vm_add_virtio(vm, cmdline, cap, &rng_ops, e);
		if (!vd)
			return -1;
		rng_setup(vd);
	}
	/* Block devices last: the guest names them vda, vdb, ... in this
	 * order. Each image is opened here, before any seccomp filter. */
	for (i = 0; i < c->nblock; i++) {
		const struct vm_block_config *bc = &c->block[i];
		struct block *b = &vm->blk[i];
		char id[BLKREQ_ID_BYTES + 1];

		snprintf(id, sizeof(id), "moat-blk%u", i);
		if (block_open(b, bc->path, bc->ro, bc->id ? bc->id : id, e) <
		    0)
			return moat_err_wrap(e, "virtio block %u", i);
		vm->nblk++;
		vd = vm_add_virtio(vm, cmdline, cap, &block_ops, e);
		if (!vd)
			return -1;
		block_setup(b, vd);
	}
	/* 9p shares: each directory opened here, before any filter; the
	 * guest finds them by tag, not by order. */
	for (i = 0; i < c->nshare; i++) {
		const struct vm_share_config *sc = &c->share[i];
		struct p9dev *d = &vm->p9[i];

		if (p9dev_open(d, sc->path, sc->tag, sc->ro, sc->submounts, e) <
		    0)
			return moat_err_wrap(e, "9p share %s", sc->tag);
		vm->np9++;
		vd = vm_add_virtio(vm, cmdline, cap, &p9dev_ops, e);
		if (!vd)
			return -1;
		p9dev_setup(d, vd);
	}
	/* Net devices: each tap taken here, before any filter; the guest
	 * names them eth0, eth1, ... in this order. */
	for (i = 0; i < c->nnet; i++) {
		const struct vm_net_config *nc = &c->net[i];
		struct net *d = &vm->net[i];

		if (net_open(d, nc->fd, nc->ifname,
			     nc->has_mac ? nc->mac : NULL, nc->mtu, e) < 0)
			return moat_err_wrap(e, "virtio net %u", i);
		vm->nnet++;
		vd = vm_add_virtio(vm, cmdline, cap, &net_ops, e);
		if (!vd)
			return -1;
		net_setup(d, vd);
	}
	return 0;
}

/* --- the main loop's handlers ------------------------------------------------
 */

struct vm_main {
	struct vm *vm;
	struct loop_handler stop, sig, in;
};

static void vm_on_stop(struct loop_handler *h, uint32_t events)
{
	(void)h;
	(void)events; /* vm->stopping is already set; the loop ends */
}

static void vm_on_signal(struct loop_handler *h, uint32_t events)
{
	struct vm_main *m =
		(struct vm_main *)((char *)h - offsetof(struct vm_main, sig));
	struct signalfd_siginfo si;

	(void)events;
	if (read(h->fd, &si, sizeof(si)) == sizeof(si))
		vm_stop(m->vm, VMM_EXIT_KILLED);
}

static void vm_on_input(struct loop_handler *h, uint32_t events)
{
	struct vm_main *m =
		(struct vm_main *)((char *)h - offsetof(struct vm_main, in));
	uint8_t buf[SERIAL_RX_FIFO];
	ssize_t r = read(h->fd, buf, sizeof(buf));

	(void)events;
	if (r > 0)
		serial_input(&m->vm->serial, buf, (size_t)r);
	else if (r == 0 || errno != EAGAIN)
		loop_del(&m->vm->loop, h); /* console input ended */
}

/* --- build, run, destroy
 * ------------------------------------------------------ */

int vm_build(struct vm *vm, const struct vm_config *c, struct moat_err **e)
{
	char cmdline[VM_CMDLINE_MAX];
	struct boot_config bc;
	uint64_t entry;
	unsigned i;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = c;
	vm->kvm.sys_fd = vm->kvm.vm_fd = -1;
	vm->loop.ep = -1;
	vm->stop_fd = -1;
	for (i = 0; i < LAYOUT_MAX_VCPUS; i++)
		vm->vcpu[i].fd = -1;
	atomic_init(&vm->exit_code, -1);
	atomic_init(&vm->stopping, false);
	pthread_mutex_init(&vm->serial.lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	atomic_init(&vm->pause_req, false);
	vm->serial.out_fd = c->console_out;
	vm->serial.vm = vm;
	serial_init(&vm->serial.s);

	if (c->ncpus < 1 || c->ncpus > LAYOUT_MAX_VCPUS) {
		moat_err_set(e, 0, "vcpus: %u is not in 1..%d", c->ncpus,
			     LAYOUT_MAX_VCPUS);
		goto fail;
	}
	if (c->nvconsole > VM_MAX_VCONSOLES) {
		moat_err_set(e, 0, "at most %d virtio consoles",
			     VM_MAX_VCONSOLES);
		goto fail;
	}
	if (c->nblock > VM_MAX_BLOCKS) {
		moat_err_set(e, 0, "at most %d block devices", VM_MAX_BLOCKS);
		goto fail;
	}
	if (c->nshare > VM_MAX_SHARES) {
		moat_err_set(e, 0, "at most %d 9p shares", VM_MAX_SHARES);
		goto fail;
	}
	if (c->nnet > VM_MAX_NETS) {
		moat_err_set(e, 0, "at most %d net devices", VM_MAX_NETS);
		goto fail;
	}
	vm->ncpus = c->ncpus;
	snprintf(cmdline, sizeof(cmdline), "%s", VM_BASE_CMDLINE);

	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0 || loop_init(&vm->loop) < 0) {
		moat_err_set(e, errno, "eventfd/epoll");
		goto fail;
	}
	if (kvm_open(&vm->kvm, c->kvm_dev, e) < 0)
		goto fail;
	if (gmem_map(&vm->mem, c->mem_bytes, e) < 0)
		goto fail;
	for (i = 0; i < vm->mem.nregions; i++)
		if (kvm_set_memory(&vm->kvm, i, vm->mem.region[i].gpa,
				   vm->mem.region[i].size,
				   vm->mem.region[i].host, e) < 0)
			goto fail;
	if (bus_add(&vm->pio, COM1_BASE, SERIAL_PORT_COUNT, &serial_ops,
		    &vm->serial) < 0 ||
	    /* 0x61 in between is KVM's in-kernel PIT speaker port. */
	    bus_add(&vm->pio, I8042_PORT_DATA,
		    I8042_PORT_CMD - I8042_PORT_DATA + 1, &i8042_ops, vm) < 0) {
		moat_err_set(e, 0, "port I/O bus: conflict");
		goto fail;
	}
	if (vm_add_devices(vm, cmdline, sizeof(cmdline), e) < 0)
		goto fail;
	/* Queue notifications by ioeventfd, served by the main loop. */
	for (i = 0; i < vm->nvdev; i++)
		if (virtio_dev_kicks(&vm->vdev[i], vm->kvm.vm_fd, &vm->loop,
				     e) < 0)
			goto fail;
	if (c->control) {
		if (ctl_open(&vm->ctl, c->control, vm, &vm->loop, e) < 0)
			goto fail;
		vm->has_ctl = true;
	}
	if (c->cmdline) {
		size_t n = strlen(cmdline);

		if ((size_t)snprintf(cmdline + n, sizeof(cmdline) - n, " %s",
				     c->cmdline) >= sizeof(cmdline) - n) {
			moat_err_set(e, 0, "kernel command line is too long");
			goto fail;
		}
	}
	bc.kernel = c->kernel;
	bc.initrd = c->initrd;
	bc.cmdline = cmdline;
	bc.ncpus = c->ncpus;
	if (boot_load(&vm->mem, &bc, &entry, e) < 0)
		goto fail;
	for (i = 0; i < vm->ncpus; i++)
		if (vcpu_create(vm, i, entry, e) < 0)
			goto fail;
	return 0;
fail:
	vm_destroy(vm);
	return -1;
}

static void vm_kick_join(struct vm *vm)
{
	unsigned i;

	atomic_store(&vm->stopping, true);
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond); /* parked vCPUs: go */
	pthread_mutex_unlock(&vm->pause_lock);
	vm_kick(vm);
	for (i = 0; i < vm->ncpus; i++) {
		if (vm->vcpu[i].started) {
			pthread_join(vm->vcpu[i].thread, NULL);
			vm->vcpu[i].started = false;
		}
	}
}

static void vm_kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

int vm_run(struct vm *vm)
{
	struct vm_main m = { .vm = vm };
	struct sigaction sa;
	sigset_t stop_sigs, kick;
	unsigned i;
	int code;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vm_kick_handler; /* no SA_RESTART: KVM_RUN returns */
	sigaction(VM_SIG_KICK, &sa, NULL);
	/* vCPU threads inherit this mask and unblock only the kick. */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGHUP);
	sigemptyset(&kick);
	sigaddset(&kick, VM_SIG_KICK);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
	pthread_sigmask(SIG_BLOCK, &kick, NULL);
	/* A peer that goes away must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	m.stop.fd = vm->stop_fd;
	m.stop.fn = vm_on_stop;
	m.sig.fd = signalfd(-1, &stop_sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	m.sig.fn = vm_on_signal;
	if (m.sig.fd < 0 || loop_add(&vm->loop, &m.stop, EPOLLIN) < 0 ||
	    loop_add(&vm->loop, &m.sig, EPOLLIN) < 0) {
		fprintf(stderr, "moat-vmm: event loop: %s\n", strerror(errno));
		if (m.sig.fd >= 0)
			close(m.sig.fd);
		return VMM_EXIT_ERROR;
	}
	m.in.fd = vm->cfg->console_in;
	m.in.fn = vm_on_input;
	if (m.in.fd >= 0)
		loop_add(&vm->loop, &m.in, EPOLLIN); /* fails for files: fine */

	/* The vCPUs start parked; they run once every thread, this one
	 * included, has its seccomp filter. */
	atomic_store(&vm->pause_req, true);
	for (i = 0; i < vm->ncpus; i++) {
		if (pthread_create(&vm->vcpu[i].thread, NULL, vcpu_thread,
				   &vm->vcpu[i]) != 0) {
			vm_stop(vm, VMM_EXIT_ERROR);
			break;
		}
		vm->vcpu[i].started = true;
	}
	/* The 9p threads: each returns once it runs under its filter. */
	for (i = 0; i < vm->np9 && !atomic_load(&vm->stopping); i++) {
		struct moat_err *e = NULL;

		if (p9dev_start(&vm->p9[i], &e) < 0) {
			fprintf(stderr, "moat-vmm: %s\n", e ? e->msg : "9p");
			moat_err_free(&e);
			vm_stop(vm, VMM_EXIT_ERROR);
		}
	}
	/* The net threads, likewise. */
	for (i = 0; i < vm->nnet && !atomic_load(&vm->stopping); i++) {
		struct moat_err *e = NULL;

		if (net_start(&vm->net[i], &e) < 0) {
			fprintf(stderr, "moat-vmm: %s\n", e ? e->msg : "net");
			moat_err_free(&e);
			vm_stop(vm, VMM_EXIT_ERROR);
		}
	}
	if (!atomic_load(&vm->stopping)) {
		struct moat_err *e = NULL;

		if (filter_load(FILTER_MAIN, &e) < 0) {
			fprintf(stderr, "moat-vmm: %s\n",
				e ? e->msg : "seccomp");
			moat_err_free(&e);
			vm_stop(vm, VMM_EXIT_ERROR);
		}
	}
	vm_resume(vm);
	while (!atomic_load(&vm->stopping))
		if (loop_run_once(&vm->loop, -1) < 0)
			vm_stop(vm, VMM_EXIT_INTERNAL);
	vm_kick_join(vm);
	close(m.sig.fd);
	code = atomic_load(&vm->exit_code);
	return code < 0 ? VMM_EXIT_INTERNAL : code;
}

void vm_destroy(struct vm *vm)
{
	unsigned i;

	vm_kick_join(vm);
	for (i = 0; i < LAYOUT_MAX_VCPUS; i++) {
		struct vcpu *v = &vm->vcpu[i];

		if (v->run)
			munmap(v->run, vm->kvm.run_size);
		if (v->fd >= 0)
			close(v->fd);
		v->run = NULL;
		v->fd = -1;
	}
	if (vm->has_ctl)
		ctl_close(&vm->ctl);
	vm->has_ctl = false;
	for (i = 0; i < vm->ncons; i++)
		console_close(&vm->cons[i]);
	vm->ncons = 0;
	for (i = 0; i < vm->nblk; i++)
		block_close(&vm->blk[i]);
	vm->nblk = 0;
	for (i = 0; i < vm->np9; i++)
		p9dev_close(&vm->p9[i]); /* joins its thread */
	vm->np9 = 0;
	for (i = 0; i < vm->nnet; i++)
		net_close(&vm->net[i]); /* joins its thread */
	vm->nnet = 0;
	for (i = 0; i < vm->nvdev; i++)
		virtio_dev_destroy(&vm->vdev[i]);
	vm->nvdev = 0;
	kvm_close(&vm->kvm);
	gmem_unmap(&vm->mem);
	loop_fini(&vm->loop);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	vm->stop_fd = -1;
	pthread_mutex_destroy(&vm->serial.lock);
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_cond_destroy(&vm->pause_cond);
}
