# Makefile: moat's one non-recursive build.
#
#   make                 build everything (host programs, agent, guest kernel
#                        from the cache, initramfs)
#   make check           build, then run the whole test ladder (tests/run)
#   make fuzz CC=clang   build the libFuzzer targets; make fuzz-run runs them
#   make format-check    clang-format (kernel style) over every C file
#   make shellcheck      shellcheck over every shell script
#   make pure-check      the codecs' and parsers' objects call no system
#                        function (nm -u against tests/static/pure.allow)
#   make lines-check     no C file in src/ over 1,000 lines
#   make install         install under PREFIX (default /usr/local), staged
#                        under DESTDIR when given
#
# Options: O=dir (out-of-tree, default build), V=1 (show commands),
# WERROR=0 (lift -Werror), SAN=address,undefined (sanitizers on host code;
# the static agent is never sanitized), FUZZ_SECONDS=N (fuzz-run time per
# target), MOAT_CACHE=dir (kernel cache, default /var/cache/moat).

O ?= build
V ?= 0
WERROR ?= 1
SAN ?=
FUZZ_SECONDS ?= 60
CLANG ?= clang
export MOAT_CACHE ?= /var/cache/moat

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2)
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wundef -Wvla -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif

# Hardening is on for every build, not only releases: it is cheap, and tests
# then run what ships.
HARDEN := -fstack-protector-strong -fstack-clash-protection -fcf-protection \
	-D_FORTIFY_SOURCE=2
HARDEN_LD := -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack

BASE_CFLAGS := -std=gnu11 -g -O2 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
	-fno-strict-aliasing -MMD -MP $(WARN) $(HARDEN)

HOST_CFLAGS := $(BASE_CFLAGS) -fPIE
HOST_LDFLAGS := -pie $(HARDEN_LD)
ifneq ($(SAN),)
HOST_CFLAGS += -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_LDFLAGS += -fsanitize=$(SAN)
endif
HOST_CFLAGS += $(CFLAGS)
HOST_LDFLAGS += $(LDFLAGS)

GUEST_CFLAGS := $(BASE_CFLAGS) -fPIE
GUEST_LDFLAGS := -static-pie $(HARDEN_LD)

all:

# --- sources, by trust zone ---------------------------------------------------
common_SRCS := src/common/err.c src/common/log.c src/common/loop.c \
	src/common/nl.c src/common/subproc.c src/common/psfmt.c
# The runtime-spec vocabulary, JSON getters and the config.json parser
# (jansson) that the host and the agent share.
oci_SRCS := src/common/oci.c src/common/spec.c src/common/spec_linux.c \
	src/common/spec_seccomp.c src/common/spec_encode.c
proto_SRCS := src/proto/ready.c src/proto/wire.c src/proto/msg.c \
	src/proto/netdesc.c
# The host's own protocols (shim.sock, the create handshake): pure codecs
# too, not in the agent.
hostproto_SRCS := src/proto/shimmsg.c src/proto/syncmsg.c
agent_SRCS := src/agent/main.c src/agent/serve.c src/agent/req.c \
	src/agent/proc.c src/agent/stream.c src/agent/outq.c \
	src/agent/config.c src/agent/container.c src/agent/rootfs.c \
	src/agent/child.c src/agent/share.c src/agent/cgroup.c \
	src/agent/resources.c src/agent/net.c src/agent/ps.c
# The agent is static: jansson from its .a (libjansson-dev).
AGENT_LIBS := -ljansson
# Host-side runtime code (libseccomp, jansson): in libmoat, not in the
# fuzzers' sources.
runtime_SRCS := $(oci_SRCS) src/runtime/secbpf.c src/runtime/spec.c \
	src/runtime/state.c src/runtime/state_json.c \
	src/runtime/state_proc.c src/runtime/signame.c src/runtime/shimctl.c \
	src/runtime/conf.c src/runtime/term.c src/runtime/hooks.c
# The moat CLI: main.c (global options, command table), a file per verb.
cli_SRCS := src/cli/main.c src/cli/log.c src/cli/spec.c src/cli/features.c \
	src/cli/state.c src/cli/list.c src/cli/delete.c src/cli/kill.c \
	src/cli/create.c src/cli/start.c src/cli/run.c \
	src/cli/exec.c src/cli/ps.c src/cli/pause.c src/cli/hooks.c \
	src/cli/update.c src/cli/events.c
CLI_LIBS := -ljansson
# moat-shim: the per-container host process, and the VM backends it owns.
shim_SRCS := src/shim/main.c src/shim/chan.c src/shim/procs.c src/shim/ctl.c \
	src/shim/share.c src/shim/netns.c src/shim/pidns.c
sandbox_SRCS := src/sandbox/sandbox.c src/sandbox/qemu.c src/sandbox/vmm.c \
	src/sandbox/net.c
# The agent client: the shim's, the tests' and the benchmarks' (in libmoat).
aclient_SRCS := src/sandbox/aclient.c
SHIM_LIBS := -ljansson -lseccomp
# moat-vmm: the pure parts (boot builders, bus, device models, guest
# memory, and its control protocol's codec, host-side only so not in the
# agent's proto_SRCS) are also in libmoat for the unit tests and fuzzers.
vmm_pure_SRCS := src/vmm/boot/x86_64/bzimage.c src/vmm/boot/x86_64/mptable.c \
	src/vmm/boot/x86_64/cpuid.c \
	src/vmm/bus/bus.c src/vmm/devices/legacy/serial.c \
	src/vmm/devices/legacy/i8042.c src/vmm/mem/gmem.c \
	src/vmm/devices/virtio/virtq.c src/vmm/devices/virtio/mmio.c \
	src/vmm/devices/virtio/blkreq.c src/vmm/devices/virtio/netreq.c \
	src/vmm/devices/virtio/consctl.c src/proto/ctlproto.c
vmm_SRCS := src/vmm/main.c src/vmm/vm.c src/vmm/kvm/kvm.c \
	src/vmm/boot/x86_64/boot.c src/vmm/boot/x86_64/cpu.c \
	src/vmm/devices/legacy/legacy.c src/vmm/devices/device.c \
	src/vmm/devices/virtio/dev.c src/vmm/devices/virtio/rng.c \
	src/vmm/devices/virtio/console.c src/vmm/ctl.c \
	src/vmm/devices/virtio/block.c src/vmm/devices/virtio/p9dev.c \
	src/vmm/devices/virtio/net.c src/vmm/seccomp/filter.c

# 9p: the pure codec goes with the other parsers of guest bytes (unit
# tests, fuzzers); the server makes syscalls and is in libmoat, for the host
# tests and for moat-vmm's virtio-9p device (p9dev.c), which links it from
# there.
vmm_pure_SRCS += src/vmm/devices/virtio/9p/p9codec.c
p9_SRCS := src/vmm/devices/virtio/9p/p9server.c \
	src/vmm/devices/virtio/9p/p9confine.c src/vmm/devices/virtio/9p/p9fid.c \
	src/vmm/devices/virtio/9p/p9ops_file.c src/vmm/devices/virtio/9p/p9ops_tree.c
LIB_SRCS := $(common_SRCS) $(proto_SRCS) $(hostproto_SRCS) $(vmm_pure_SRCS)
LIB := $(O)/lib/libmoat.a

host_obj = $(patsubst %.c,$(O)/obj/host/%.o,$(1))
guest_obj = $(patsubst %.c,$(O)/obj/guest/%.o,$(1))

$(O)/obj/host/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(O)/obj/guest/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(LIB): $(call host_obj,$(LIB_SRCS) $(runtime_SRCS) $(p9_SRCS) $(aclient_SRCS))
	$(call msg,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# --- the agent and the guest image -------------------------------------------
AGENT := $(O)/bin/moat-agent
$(AGENT): $(call guest_obj,$(agent_SRCS) $(proto_SRCS) $(common_SRCS) $(oci_SRCS))
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_LDFLAGS) -o $@ $^ $(AGENT_LIBS)

MKCPIO := $(O)/tools/mkcpio
$(MKCPIO): $(call host_obj,tools/mkcpio.c)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^

INITRAMFS := $(O)/guest/initramfs.cpio
$(INITRAMFS): guest/initramfs.list $(AGENT) $(MKCPIO)
	$(call msg,CPIO,$@)
	@mkdir -p $(dir $@)
	$(Q)$(MKCPIO) -C $(O) $< >$@.tmp && mv $@.tmp $@

VMM := $(O)/bin/moat-vmm
$(VMM): $(call host_obj,$(vmm_SRCS)) $(LIB)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lpthread -lseccomp

MOAT := $(O)/bin/moat
$(MOAT): $(call host_obj,$(cli_SRCS)) $(LIB)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(CLI_LIBS)

SHIM := $(O)/bin/moat-shim
$(SHIM): $(call host_obj,$(shim_SRCS) $(sandbox_SRCS)) $(LIB)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(SHIM_LIBS)

# The kernel build is cached under $(MOAT_CACHE); the script is a quick
# no-op when the cache holds the build for this source version and fragment.
KERNEL := $(O)/guest/bzImage
kernel:
	$(call msg,KERNEL,$(KERNEL))
	$(Q)guest/build-kernel $(O)/guest >/dev/null
$(KERNEL): kernel

guest: kernel $(INITRAMFS)

# Where make install puts things; the shim has DATADIR compiled in (the
# kernel and initramfs it boots by default), and is rebuilt when it changes.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/moat
MANDIR ?= $(PREFIX)/share/man
$(O)/datadir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@
$(call host_obj,src/sandbox/sandbox.c): $(O)/datadir.stamp
$(call host_obj,src/sandbox/sandbox.c): HOST_CFLAGS += -DMOAT_DATADIR='"$(DATADIR)"'

all: $(LIB) $(AGENT) $(VMM) $(MOAT) $(SHIM) guest

# --- tests --------------------------------------------------------------------
HARNESS_SRCS := tests/harness/test.c tests/harness/vmrun.c \
	tests/harness/agentc.c tests/harness/rootfs.c tests/harness/ociconf.c \
	tests/harness/vmmtest.c tests/harness/fakevq.c tests/harness/engine.c \
	tests/harness/nettest.c tests/harness/clirun.c tests/harness/podcheck.c \
	tests/harness/netcheck.c tests/harness/engcheck.c \
	tests/harness/tmpdir.c
# Host-side libraries the tests may use (the agent's tests build configs
# with jansson and seccomp programs with libseccomp).
TEST_LIBS := -ljansson -lseccomp
HARNESS := $(call host_obj,$(HARNESS_SRCS))

# Every tests/<level>/test_*.c is one test binary linked with the harness and
# libmoat.
UNIT_TESTS := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(wildcard tests/unit/test_*.c))
HOST_TESTS := $(patsubst tests/host/%.c,$(O)/tests/host/%,$(wildcard tests/host/test_*.c))
VM_TESTS := $(patsubst tests/vm/%.c,$(O)/tests/vm/%,$(wildcard tests/vm/test_*.c))
KVM_TESTS := $(patsubst tests/kvm/%.c,$(O)/tests/kvm/%,$(wildcard tests/kvm/test_*.c))

# Fuzz targets: tests/fuzz/fuzz_<name>.c. Each is also linked into a replay
# test (level 1) that runs its corpus and every saved crash.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
REPLAY_TESTS := $(patsubst %,$(O)/tests/unit/replay_%,$(FUZZ_NAMES))

$(O)/tests/%: $(call host_obj,tests/%.c) $(HARNESS) $(LIB)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $(filter-out $(LIB),$^) $(LIB) $(TEST_LIBS)

# The seccomp test loads moat-vmm's own filters (with virtio-rng's rules).
$(O)/tests/unit/test_vmm_seccomp: $(call host_obj,src/vmm/seccomp/filter.c \
	src/vmm/devices/virtio/rng.c src/vmm/devices/virtio/dev.c \
	src/vmm/kvm/kvm.c)
# The block test runs the virtio-blk backend on a temporary image, also
# under the vCPU filter.
$(O)/tests/unit/test_vmm_blk: $(call host_obj,src/vmm/devices/virtio/block.c \
	src/vmm/devices/virtio/dev.c src/vmm/kvm/kvm.c src/vmm/seccomp/filter.c)
# The 9p device test runs p9dev's thread on a temporary share under its
# filter.
$(O)/tests/unit/test_vmm_p9dev: $(call host_obj,src/vmm/devices/virtio/p9dev.c \
	src/vmm/devices/virtio/dev.c src/vmm/kvm/kvm.c src/vmm/seccomp/filter.c)
# The console test runs the device on a socketpair with a loop of its own.
$(O)/tests/unit/test_vmm_console: $(call host_obj,src/vmm/devices/virtio/console.c \
	src/vmm/devices/virtio/dev.c src/vmm/kvm/kvm.c src/vmm/seccomp/filter.c)
# The net device test runs its thread on a socketpair under its filter.
$(O)/tests/unit/test_vmm_net: $(call host_obj,src/vmm/devices/virtio/net.c \
	src/vmm/devices/virtio/dev.c src/vmm/kvm/kvm.c src/vmm/seccomp/filter.c)

# The config test also runs the backend choice and the sandbox defaults.
$(O)/tests/unit/test_conf: $(call host_obj,src/sandbox/sandbox.c)
# The agent's guest test boots the guest with the shim's QEMU backend.
$(O)/tests/vm/test_agent_guest_ops: $(call host_obj,src/sandbox/sandbox.c \
	src/sandbox/qemu.c)
# The moat-vmm backend's test starts moat-vmm as the shim does.
$(O)/tests/kvm/test_sandbox_vmm: $(call host_obj,src/sandbox/sandbox.c src/sandbox/vmm.c)
# The install test runs make install from the source tree.
$(call host_obj,tests/host/test_install.c): HOST_CFLAGS += -DMOAT_SRCDIR='"$(CURDIR)"'

$(O)/obj/host/tests/fuzz/replay_%.o: tests/fuzz/replay.c
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -DFUZZ_NAME='"$*"' -DFUZZ_DIR='"$(CURDIR)/tests/fuzz"' -c -o $@ $<

$(O)/tests/unit/replay_%: $(O)/obj/host/tests/fuzz/replay_%.o $(call host_obj,tests/fuzz/fuzz_%.c) $(HARNESS) $(LIB)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(TEST_LIBS)

# The test host's /init holds a KVM VM open with tests/kvm/kvm-pin (static:
# the initramfs has no libc).
KVM_PIN := $(O)/tests/kvm/kvm-pin
$(KVM_PIN): $(call guest_obj,tests/kvm/kvm-pin.c)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_LDFLAGS) -o $@ $^

TESTHOST_INITRAMFS := $(O)/tests/kvm/testhost.cpio
$(TESTHOST_INITRAMFS): tests/kvm/build-testhost tests/kvm/testhost-init $(MKCPIO) \
		$(KVM_PIN)
	$(call msg,CPIO,$@)
	@mkdir -p $(dir $@)
	$(Q)tests/kvm/build-testhost $(MKCPIO) $(KVM_PIN) $@

# The guest side of tests/kvm/test_vmm_blk: a static /init that exercises
# virtio-blk from inside the guest, in an initramfs of its own.
BLKCHECK := $(O)/tests/kvm/guest/blkcheck
BLKCHECK_CPIO := $(O)/tests/kvm/blkcheck.cpio
$(BLKCHECK): $(call guest_obj,tests/kvm/guest/blkcheck.c)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_LDFLAGS) -o $@ $^
$(BLKCHECK_CPIO): tests/kvm/guest/blkcheck.list $(BLKCHECK) $(MKCPIO)
	$(call msg,CPIO,$@)
	@mkdir -p $(dir $@)
	$(Q)$(MKCPIO) -C $(O) $< >$@.tmp && mv $@.tmp $@

TEST_BINS := $(UNIT_TESTS) $(REPLAY_TESTS) $(HOST_TESTS) $(VM_TESTS) $(KVM_TESTS)
tests: all $(TEST_BINS) $(TESTHOST_INITRAMFS) $(BLKCHECK_CPIO)

# make check also runs the unit and host levels once more, built with
# AddressSanitizer and UBSan, from $(O)/san (its own tree: nothing is shared
# with the plain build).
SAN_O := $(O)/san
SAN_BINS := $(patsubst $(O)/%,$(SAN_O)/%,$(UNIT_TESTS) $(REPLAY_TESTS) \
	$(HOST_TESTS) $(AGENT) $(MOAT) $(SHIM) $(VMM))
san-tests:
	$(Q)$(MAKE) --no-print-directory O=$(SAN_O) SAN=address,undefined $(SAN_BINS)

check: tests san-tests
	$(Q)O=$(O) MOAT_KERNEL=$(abspath $(KERNEL)) \
		MOAT_SAN_O=$(abspath $(SAN_O)) \
		MOAT_INITRAMFS=$(abspath $(INITRAMFS)) \
		MOAT_AGENT=$(abspath $(AGENT)) \
		MOAT_CLI=$(abspath $(MOAT)) \
		MOAT_SHIM=$(abspath $(SHIM)) \
		MOAT_TESTHOST_INITRAMFS=$(abspath $(TESTHOST_INITRAMFS)) \
		MAKE="$(MAKE)" tests/run $(abspath $(O))

# --- benchmarks ----------------------------------------------------------------
BENCH_BOOT := $(O)/bench/boot
$(BENCH_BOOT): $(call host_obj,bench/boot.c tests/harness/vmrun.c) $(LIB)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^

# The agent's host-mode figures beside crun; it drives the agent through
# the tests' client.
BENCH_AGENT := $(O)/bench/agent
$(BENCH_AGENT): $(call host_obj,bench/agent.c bench/bench.c tests/harness/agentc.c \
	tests/harness/rootfs.c tests/harness/ociconf.c tests/harness/vmrun.c) $(LIB)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -ljansson

# moat-vmm beside QEMU+KVM in the test host (bench/monitors.c).
BENCH_MONITORS := $(O)/bench/monitors
$(BENCH_MONITORS): $(call host_obj,bench/monitors.c bench/bench.c \
	tests/harness/agentc.c tests/harness/rootfs.c tests/harness/ociconf.c \
	tests/harness/vmrun.c tests/harness/vmmtest.c) $(LIB)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -ljansson

# The whole-system suite, one runtime per run (bench/suite.c).
BENCH_SUITE := $(O)/bench/suite
$(BENCH_SUITE): $(call host_obj,bench/suite.c bench/bench.c \
	tests/harness/rootfs.c tests/harness/ociconf.c) $(LIB)
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -ljansson
# make check runs the suite once, tiny (tests/vm/test_bench_tiny.c).
$(O)/tests/vm/test_bench_tiny: | $(BENCH_SUITE)
$(call host_obj,tests/vm/test_bench_tiny.c): HOST_CFLAGS += -DMOAT_SRCDIR='"$(CURDIR)"'
# The CRI test runs the tests' CRI client, tests/cri/cri, from the tree.
$(call host_obj,tests/vm/test_cri.c): HOST_CFLAGS += -DMOAT_SRCDIR='"$(CURDIR)"'

# RUNS; stdout MiB, file MiB, small files; concurrency levels and density
# cap here, then inside the nested-KVM test host (2 GiB: fewer), or none.
# 3 runs give median, min and max, and keep `make bench` near an hour here.
BENCH_RUNS ?= 3
BENCH_SIZES ?= 1024 256 10000
BENCH_LEVELS ?= 1,4,16
BENCH_CAP ?= 8
BENCH_NESTED_LEVELS ?= 1,4
BENCH_NESTED_CAP ?= 4
# The test host's sizes: smaller (its CPU is emulated: 9p metadata moves
# 50 to 100 files/s there, so 10,000 files would take 10 minutes a step;
# and with a 1 GiB stream moat on QEMU with KVM there hung the test host's
# kernel or ended with status 255 in 3 of 3 attempts, docs/design.md).
BENCH_NESTED_SIZES ?= 64 64 1000
BENCH_NESTED_RUNS ?= $(BENCH_RUNS)
# The runtimes run in the test host (docs/design.md, "Measured"): crun, moat
# on QEMU with KVM, moat on moat-vmm.
BENCH_NESTED_RUNTIMES ?= crun moat-qemu moat-vmm
bench: all $(BENCH_BOOT) $(BENCH_AGENT) $(BENCH_MONITORS) $(BENCH_SUITE) \
	$(TESTHOST_INITRAMFS)
	$(Q)MOAT_KERNEL=$(abspath $(KERNEL)) MOAT_INITRAMFS=$(abspath $(INITRAMFS)) \
		MOAT_AGENT=$(abspath $(AGENT)) \
		MOAT_TESTHOST_INITRAMFS=$(abspath $(TESTHOST_INITRAMFS)) \
		MOAT_CLI=$(abspath $(MOAT)) MOAT_SHIM=$(abspath $(SHIM)) \
		BENCH_NESTED_RUNTIMES="$(BENCH_NESTED_RUNTIMES)" \
		BENCH_NESTED_SIZES="$(BENCH_NESTED_SIZES)" \
		BENCH_NESTED_RUNS="$(BENCH_NESTED_RUNS)" \
		bench/run $(abspath $(O)) $(BENCH_RUNS) "$(BENCH_SIZES)" \
		$(BENCH_LEVELS) $(BENCH_CAP) $(BENCH_NESTED_LEVELS) $(BENCH_NESTED_CAP)

# --- fuzzing (clang + libFuzzer) ----------------------------------------------
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer $(WARN)
FUZZ_BINS := $(patsubst %,$(O)/fuzz/fuzz_%,$(FUZZ_NAMES))

$(O)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRCS)
	$(call msg,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $^ $(FUZZ_LIBS)

# The 9p server's target runs the server itself (syscalls) on a temporary
# tree, so it links the server's sources too.
$(O)/fuzz/fuzz_p9server: $(p9_SRCS)
$(O)/fuzz/fuzz_conf: src/runtime/conf.c
# The config.json parser the host and the agent share, with jansson.
$(O)/fuzz/fuzz_spec: $(oci_SRCS)
$(O)/fuzz/fuzz_spec: FUZZ_LIBS := -ljansson

fuzz: $(FUZZ_BINS)

# Run each target for FUZZ_SECONDS from a copy of its corpus; a crash is
# saved under $(O)/fuzz/crashes/ and fails the run (copy it into
# tests/fuzz/regressions/<name>/ so the replay tests keep it).
fuzz-run: fuzz
	$(Q)for n in $(FUZZ_NAMES); do \
		mkdir -p $(O)/fuzz/corpus-$$n $(O)/fuzz/crashes/$$n && \
		cp -n tests/fuzz/corpus/$$n/* $(O)/fuzz/corpus-$$n/ 2>/dev/null; \
		$(O)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(O)/fuzz/crashes/$$n/ $(O)/fuzz/corpus-$$n \
			>$(O)/fuzz/fuzz_$$n.log 2>&1 || { tail -n 30 $(O)/fuzz/fuzz_$$n.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units' $(O)/fuzz/fuzz_$$n.log | sed "s/^/fuzz_$$n: /"; \
	done

# --- install --------------------------------------------------------------------
# The binaries side by side in BINDIR (moat finds moat-shim beside itself,
# the shim finds moat-vmm the same way), the guest kernel and initramfs in
# DATADIR, the man pages. The kernel comes from the cache through
# guest/build-kernel; INSTALL_KERNEL=file installs a given one instead and
# never builds.
INSTALL ?= install
ifdef INSTALL_KERNEL
INSTALL_KERNEL_DEP :=
else
INSTALL_KERNEL := $(KERNEL)
INSTALL_KERNEL_DEP := $(KERNEL)
endif
MAN1 := docs/man/moat.1 docs/man/moat-vmm.1
MAN5 := docs/man/moat.conf.5
install: $(MOAT) $(SHIM) $(VMM) $(INITRAMFS) $(INSTALL_KERNEL_DEP) \
	$(O)/datadir.stamp
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	$(Q)$(INSTALL) -m 0755 $(MOAT) $(SHIM) $(VMM) $(DESTDIR)$(BINDIR)/
	$(Q)$(INSTALL) -m 0644 $(INSTALL_KERNEL) $(DESTDIR)$(DATADIR)/bzImage
	$(Q)$(INSTALL) -m 0644 $(INITRAMFS) $(DESTDIR)$(DATADIR)/initramfs.cpio
	$(Q)$(INSTALL) -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(Q)$(INSTALL) -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,moat moat-shim moat-vmm) \
		$(DESTDIR)$(DATADIR)/bzImage $(DESTDIR)$(DATADIR)/initramfs.cpio \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	-rmdir $(DESTDIR)$(DATADIR)

# --- formatting -----------------------------------------------------------------
C_FILES := $(shell find src tests tools bench -name '*.[ch]' 2>/dev/null)
format-check:
	$(Q)clang-format --dry-run --Werror $(C_FILES)

format:
	$(Q)clang-format -i $(C_FILES)

# Every shell script in the tree (a file whose first line runs sh or bash).
shellcheck:
	$(Q)shellcheck $$(find .ci tools tests bench guest -type f \
		! -path '*/corpus/*' ! -path '*/regressions/*' ! -name '*.[ch]' \
		-exec sh -c 'head -n1 "$$1" | grep -q "^#!.*sh"' _ {} \; -print)

# The pure objects (codecs and device parsers: the files that read guest or
# wire bytes) call no system function: tests/static/pure-check, against the
# allowlist beside it (psfmt.c too: ps(1)'s options and /proc text, read
# and written as a table). gmem.c maps guest memory, so it is not one of them.
PURE_SRCS := $(proto_SRCS) $(hostproto_SRCS) src/common/psfmt.c $(filter-out src/vmm/mem/gmem.c,$(vmm_pure_SRCS))
PURE_OBJS := $(call host_obj,$(PURE_SRCS))
pure-check: $(PURE_OBJS)
	$(Q)tests/static/pure-check tests/static/pure.allow $(PURE_OBJS)

# No C file in src/ over 1,000 lines: a file that long holds several modules.
SRC_LINES_MAX := 1000
lines-check:
	$(Q)find src -name '*.c' -exec wc -l {} + | awk -v max=$(SRC_LINES_MAX) \
		'$$2 != "total" && $$1 > max { print "lines-check: " $$2 ": " $$1 " lines, over " max; bad = 1 } END { exit bad }'

clean:
	rm -rf $(O)

.PHONY: all kernel guest tests check san-tests bench fuzz fuzz-run \
	format-check format shellcheck pure-check lines-check clean install uninstall FORCE
FORCE:
.SECONDARY:

# The dependency files come from the compiler alone: without this empty rule
# make would try to remake them as included makefiles through its built-in
# "%: %.o" and our replay_%.o (replay_X.d from replay_X.d.o, and so on).
$(O)/obj/%.d: ;
-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
