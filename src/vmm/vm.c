/*
 * vm.c: building, running and tearing down the VM (see vm.h).
 *
 * Build order (vm_build), undone in reverse by vm_destroy:
 *   1. the stop eventfd, the loop  4. the legacy devices (legacy.h)
 *   2. KVM: VM, irqchip, PIT       5. the device table's devices, in its
 *   3. guest memory, mapped           order, each opened, on its transport,
 *                                     set up (devices/device.h)
 *                                  6. the guest image (boot_load)
 *                                  7. the vCPUs, set up for boot
 * Run order (vm_run), undone in reverse at its end: the vCPU threads
 * (parked), the devices' threads, the main thread's filter, the vCPUs let
 * go; then the main loop until the VM stops.
 * Threads: main runs an epoll loop (stop requests, signals, console input,
 * the virtio queues' notifications, which KVM signals on an ioeventfd, and
 * what main.c adds: the control socket); each vCPU has a thread running
 * KVM_RUN and the device models it exits to; a device kind with a start
 * op (9p shares, net devices) has a thread per instance serving its
 * queues, each under its seccomp filter before any vCPU runs.
 * Nothing here knows a device kind by name, nor the control socket.
 */
#include "vm.h"

#include <errno.h>
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
#include "seccomp/filter.h"

#define VM_SIG_KICK SIGUSR1
/* no_timer_check: the guest skips its check that the PIT's ticks reach
 * it through the IO-APIC (KVM's in-kernel PIT and IO-APIC do); the check
 * cost boot time and drove the PIT hard in the nested test host. */
#define VM_BASE_CMDLINE "console=ttyS0 reboot=k panic=-1 no_timer_check"
#define VM_CMDLINE_MAX 4096

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

/* --- vCPUs -------------------------------------------------------------- */

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

/* The first unexpected exit of the VM is described once (the guest can
 * cause them; the VM stops on each, so one is all there is to read). */
static bool vcpu_tell(struct vcpu *v)
{
	bool no = false;

	return atomic_compare_exchange_strong(&v->vm->exit_told, &no, true);
}

static const char *vcpu_suberror(uint32_t s)
{
	switch (s) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failed";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering one";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "event delivery failed";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected exit reason";
	default:
		return "unknown";
	}
}

/* KVM_EXIT_INTERNAL_ERROR: its suberror and data words, on one line; for
 * an emulation failure that carries them, the instruction's bytes too. */
static void vcpu_tell_internal(struct vcpu *v)
{
	const struct kvm_run *run = v->run;
	uint32_t n = run->internal.ndata, i;
	char words[16 * 20 + 64];
	size_t k = 0;

	if (!vcpu_tell(v))
		return;
	if (n > sizeof(run->internal.data) / sizeof(run->internal.data[0]))
		n = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	words[0] = '\0';
	for (i = 0; i < n && k < sizeof(words); i++)
		k += (size_t)snprintf(
			words + k, sizeof(words) - k, " %#llx",
			(unsigned long long)run->internal.data[i]);
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    (run->emulation_failure.flags &
	     KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) &&
	    n >= 3) {
		uint8_t len = run->emulation_failure.insn_size;

		if (len > sizeof(run->emulation_failure.insn_bytes))
			len = sizeof(run->emulation_failure.insn_bytes);
		if (k < sizeof(words))
			k += (size_t)snprintf(words + k, sizeof(words) - k,
					      "; instruction:");
		for (i = 0; i < len && k < sizeof(words); i++)
			k += (size_t)snprintf(
				words + k, sizeof(words) - k, " %02x",
				run->emulation_failure.insn_bytes[i]);
	}
	fprintf(stderr,
		"moat-vmm: vcpu %u: exit reason %u (KVM internal error): "
		"suberror %u (%s), %u data word(s):%s\n",
		v->index, run->exit_reason, run->internal.suberror,
		vcpu_suberror(run->internal.suberror), n, words);
}

/* KVM_EXIT_SHUTDOWN: where the guest was when it triple-faulted. */
static void vcpu_tell_shutdown(struct vcpu *v)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (!vcpu_tell(v))
		return;
	if (kvm_ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
	    kvm_ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
		fprintf(stderr, "moat-vmm: vcpu %u: triple fault\n", v->index);
		return;
	}
	fprintf(stderr,
		"moat-vmm: vcpu %u: triple fault: rip=%#llx cr0=%#llx "
		"cr3=%#llx cr4=%#llx efer=%#llx\n",
		v->index, (unsigned long long)regs.rip,
		(unsigned long long)sregs.cr0, (unsigned long long)sregs.cr3,
		(unsigned long long)sregs.cr4, (unsigned long long)sregs.efer);
}

/* Load filter kind (FILTER_MAIN or FILTER_VCPU: the threads that serve
 * the queues) with the syscalls of the devices this VM has. */
static int vm_filter_load(struct vm *vm, enum filter_kind kind,
			  struct moat_err **e)
{
	const struct filter_rules *rules[LAYOUT_VIRTIO_MAX];
	unsigned i;

	for (i = 0; i < vm->ndev; i++)
		rules[i] = vm->dev[i].ops->host_rules;
	return filter_load_with(kind, rules, vm->ndev, e);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t set;

	struct moat_err *e = NULL;

	/* This thread's seccomp filter, before any guest code runs (vm_run
	 * holds every vCPU parked until the main thread has its own). */
	if (vm_filter_load(vm, FILTER_VCPU, &e) < 0) {
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
			vcpu_tell_shutdown(v);
			vm_stop(vm, VMM_EXIT_TRIPLE_FAULT);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			vm_stop(vm, v->run->system_event.type ==
						    KVM_SYSTEM_EVENT_CRASH
					    ? VMM_EXIT_INTERNAL
					    : VMM_EXIT_GUEST);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			vcpu_tell_internal(v);
			vm_stop(vm, VMM_EXIT_INTERNAL);
			break;
		default:
			if (vcpu_tell(v))
				fprintf(stderr,
					"moat-vmm: vcpu %u: exit reason %u\n",
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

/* --- the devices -------------------------------------------------------- */

/* Put device i's transport on the MMIO bus: its irqfd, MMIO range, and its
 * entry on the kernel command line. */
static int vm_add_virtio(struct vm *vm, struct vm_device *d, char *cmdline,
			 size_t cap, struct moat_err **e)
{
	unsigned i = (unsigned)(d - vm->dev);
	struct virtio_dev *vd = &vm->vdev[i];
	uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + i * LAYOUT_VIRTIO_MMIO_SIZE;
	unsigned gsi = LAYOUT_IRQ_VIRTIO_FIRST + i;
	size_t n = strlen(cmdline);

	if (gsi > LAYOUT_IRQ_MAX)
		return moat_err_set(e, 0, "too many virtio devices");
	if (virtio_dev_init(vd, vm->kvm.vm_fd, &vm->mem, base, gsi,
			    d->ops->virtio, NULL, e) < 0)
		return -1;
	d->vd = vd;
	if (bus_add(&vm->mmio, base, LAYOUT_VIRTIO_MMIO_SIZE,
		    &virtio_dev_bus_ops, vd) < 0)
		return moat_err_set(e, 0, "MMIO bus: conflict at %#llx",
				    (unsigned long long)base);
	if ((size_t)snprintf(cmdline + n, cap - n,
			     " virtio_mmio.device=4K@%#llx:%u",
			     (unsigned long long)base, gsi) >= cap - n)
		return moat_err_set(e, 0, "kernel command line is too long");
	return 0;
}

/* One instance of ops: open, transport, setup, queue notifications by
 * ioeventfd (served by the main loop). What was done is in vm->dev[] for
 * vm_del_devices to undo, whatever failed. */
static int vm_add_device(struct vm *vm, const struct device_ops *ops,
			 unsigned i, char *cmdline, size_t cap,
			 struct moat_err **e)
{
	struct vm_device *d;
	void *state = NULL;

	if (vm->ndev >= LAYOUT_VIRTIO_MAX)
		return moat_err_set(e, 0, "too many virtio devices");
	if (ops->size && !(state = calloc(1, ops->size)))
		return moat_err_set(e, ENOMEM, "%s", ops->many);
	if (ops->open && ops->open(state, vm->cfg, i, e) < 0) {
		free(state);
		return -1;
	}
	d = &vm->dev[vm->ndev++];
	d->ops = ops;
	d->state = state;
	if (vm_add_virtio(vm, d, cmdline, cap, e) < 0 ||
	    ops->setup(state, d->vd, &vm->loop, e) < 0 ||
	    virtio_dev_kicks(d->vd, vm->kvm.vm_fd, &vm->loop, e) < 0)
		return -1;
	return 0;
}

/* Every instance of every kind in the device table, in its order. Each
 * backend is opened here, before any seccomp filter. */
static int vm_add_devices(struct vm *vm, char *cmdline, size_t cap,
			  struct moat_err **e)
{
	const struct device_ops *const *k;
	unsigned i, n;

	for (k = device_table; *k; k++) {
		n = (*k)->count(vm->cfg);
		if (n > (*k)->max)
			return moat_err_set(e, 0, "at most %u %s", (*k)->max,
					    (*k)->many);
		for (i = 0; i < n; i++)
			if (vm_add_device(vm, *k, i, cmdline, cap, e) < 0)
				return -1;
	}
	return 0;
}

/* The devices' threads, in the table's order; each returns once it runs
 * under its filter. Returns 0, or -1 when one failed (said on stderr). */
static int vm_start_devices(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->ndev; i++) {
		struct vm_device *d = &vm->dev[i];
		struct moat_err *e = NULL;

		if (!d->ops->start)
			continue;
		if (d->ops->start(d->state, &e) < 0) {
			fprintf(stderr, "moat-vmm: %s\n",
				e ? e->msg : d->ops->many);
			moat_err_free(&e);
			return -1;
		}
		d->started = true;
	}
	return 0;
}

/* Undo vm_start_devices, in reverse. */
static void vm_stop_devices(struct vm *vm)
{
	unsigned i;

	for (i = vm->ndev; i-- > 0;) {
		struct vm_device *d = &vm->dev[i];

		if (d->started)
			d->ops->stop(d->state);
		d->started = false;
	}
}

/* Undo vm_add_devices, in reverse: each device closed, then its
 * transport. */
static void vm_del_devices(struct vm *vm)
{
	vm_stop_devices(vm);
	while (vm->ndev > 0) {
		struct vm_device *d = &vm->dev[--vm->ndev];

		if (d->ops->close)
			d->ops->close(d->state);
		if (d->vd)
			virtio_dev_destroy(d->vd);
		free(d->state);
		memset(d, 0, sizeof(*d));
	}
}

void vm_stats(struct vm *vm, struct vm_stats *s)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->paused = vm_paused(vm);
	s->vcpus = vm->ncpus;
	s->mem_bytes = vm->mem.size;
	for (i = 0; i < vm->ndev; i++)
		if (vm->dev[i].ops->stats)
			vm->dev[i].ops->stats(vm->dev[i].state, &s->dev);
}

struct loop *vm_loop(struct vm *vm)
{
	return &vm->loop;
}

/* --- the main loop's handlers ------------------------------------------- */

struct vm_main {
	struct vm *vm;
	struct loop_handler stop, sig;
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

/* The i8042's reset line: the guest rebooted. */
static void vm_on_reset(void *arg)
{
	vm_stop(arg, VMM_EXIT_GUEST);
}

/* --- build, run, destroy ------------------------------------------------ */

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
	atomic_init(&vm->exit_told, false);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	atomic_init(&vm->pause_req, false);

	if (c->ncpus < 1 || c->ncpus > LAYOUT_MAX_VCPUS) {
		moat_err_set(e, 0, "vcpus: %u is not in 1..%d", c->ncpus,
			     LAYOUT_MAX_VCPUS);
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
	vm->has_legacy = true;
	if (legacy_init(&vm->legacy, vm->kvm.vm_fd, &vm->pio, &vm->loop,
			c->console_out, c->console_in, vm_on_reset, vm, e) < 0)
		goto fail;
	if (vm_add_devices(vm, cmdline, sizeof(cmdline), e) < 0)
		goto fail;
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
	/* The devices' threads, each under its own filter. */
	if (!atomic_load(&vm->stopping) && vm_start_devices(vm) < 0)
		vm_stop(vm, VMM_EXIT_ERROR);
	if (!atomic_load(&vm->stopping)) {
		struct moat_err *e = NULL;

		if (vm_filter_load(vm, FILTER_MAIN, &e) < 0) {
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
	vm_stop_devices(vm);
	loop_del(&vm->loop, &m.sig);
	loop_del(&vm->loop, &m.stop);
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
	vm_del_devices(vm);
	if (vm->has_legacy)
		legacy_fini(&vm->legacy);
	vm->has_legacy = false;
	kvm_close(&vm->kvm);
	gmem_unmap(&vm->mem);
	loop_fini(&vm->loop);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	vm->stop_fd = -1;
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_cond_destroy(&vm->pause_cond);
}
