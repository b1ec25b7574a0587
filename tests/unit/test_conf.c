/*
 * test_conf.c: moat.conf(5) (src/runtime/conf.c): the parser on valid
 * files and on every kind of bad line, with the exact messages; loading
 * (a missing file, MOAT_CONFIG, a directory, a file too large); the
 * backend choice in every order of precedence and every error; and how
 * the sandbox defaults (src/sandbox/sandbox.c) take the file's values
 * under the environment's.
 */
#include "../harness/test.h"
#include "../../src/runtime/conf.h"
#include "../../src/runtime/spec.h"
#include "../../src/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Check the error contract of a call that returned r with error e: an
 * error exactly when r < 0. Copies the message into msg ("" if none),
 * frees e, returns r. */
static int outcome(const char *what, int r, struct moat_err *e, char *msg,
		   size_t cap)
{
	msg[0] = '\0';
	if (r >= 0 && e)
		FAIL("%s returned %d with an error: %s", what, r, e->msg);
	if (r < 0 && !e)
		FAIL("%s returned %d without an error", what, r);
	if (e)
		snprintf(msg, cap, "%s", e->msg);
	moat_err_free(&e);
	return r;
}

/* Parse a NUL-terminated text as "t.conf"; 0 or -1, message in msg. */
static int parse(const char *text, struct moat_conf *c, char *msg, size_t cap)
{
	struct moat_err *e = NULL;
	int r = conf_parse(text, strlen(text), "t.conf", c, &e);

	return outcome("conf_parse", r, e, msg, cap);
}

/* Expect text to be refused with exactly want. */
static void bad(const char *text, const char *want)
{
	struct moat_conf c;
	char msg[MOAT_ERR_MSG_MAX];

	if (parse(text, &c, msg, sizeof(msg)) != -1)
		FAIL("accepted: \"%s\"", text);
	if (strcmp(msg, want))
		FAIL("\"%s\": got \"%s\", want \"%s\"", text, msg, want);
}

TEST(conf_parse_every_key)
{
	static const char text[] =
		"# moat.conf\n"
		"\n"
		"hypervisor = qemu\n"
		"   kernel=/opt/moat/bzImage\n"
		"\tinitramfs\t=\t/opt/moat/initramfs.cpio  \r\n"
		"  # indented comment = not a key\n"
		"memory = 512\n"
		"vcpus = 4\n"
		"qemu = qemu-system-x86_64\n"
		"virtiofsd = /usr/libexec/virtiofsd\n"
		"vmm = /opt/moat/bin/moat vmm"; /* no final newline */
	struct moat_conf c;
	char msg[MOAT_ERR_MSG_MAX];

	ASSERT_EQ(parse(text, &c, msg, sizeof(msg)), 0);
	ASSERT_STREQ(c.file, "t.conf");
	ASSERT_EQ(c.hypervisor, CONF_HV_QEMU);
	ASSERT_EQ(c.hypervisor_line, 3);
	ASSERT_STREQ(c.kernel, "/opt/moat/bzImage");
	ASSERT_STREQ(c.initramfs, "/opt/moat/initramfs.cpio");
	ASSERT_EQ(c.memory_mib, 512);
	ASSERT_EQ(c.vcpus, 4);
	ASSERT_STREQ(c.qemu, "qemu-system-x86_64");
	ASSERT_STREQ(c.virtiofsd, "/usr/libexec/virtiofsd");
	ASSERT_STREQ(c.vmm, "/opt/moat/bin/moat vmm");
}

TEST(conf_parse_empty_gives_defaults)
{
	static const char *const texts[] = { "", "\n\n", "# only\n  #x\n",
					     " \t \r\n" };
	struct moat_conf c;
	char msg[MOAT_ERR_MSG_MAX];
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ASSERT_EQ(parse(texts[i], &c, msg, sizeof(msg)), 0);
		ASSERT_EQ(c.hypervisor, CONF_HV_AUTO);
		ASSERT_EQ(c.hypervisor_line, 0);
		ASSERT_EQ(c.memory_mib, 0);
		ASSERT_EQ(c.vcpus, 0);
		ASSERT_STREQ(c.kernel, "");
		ASSERT_STREQ(c.initramfs, "");
		ASSERT_STREQ(c.qemu, "");
		ASSERT_STREQ(c.virtiofsd, "");
		ASSERT_STREQ(c.vmm, "");
	}
}

TEST(conf_parse_bounds)
{
	struct moat_conf c;
	char msg[MOAT_ERR_MSG_MAX];

	ASSERT_EQ(parse("memory = 64\nvcpus = 1\n", &c, msg, sizeof(msg)), 0);
	ASSERT_EQ(c.memory_mib, 64);
	ASSERT_EQ(c.vcpus, 1);
	ASSERT_EQ(parse("memory = 65536\nvcpus = 32\nhypervisor = auto\n", &c,
			msg, sizeof(msg)),
		  0);
	ASSERT_EQ(c.memory_mib, 65536);
	ASSERT_EQ(c.vcpus, 32);
	ASSERT_EQ(c.hypervisor, CONF_HV_AUTO);
	ASSERT_EQ(c.hypervisor_line, 3);
	ASSERT_EQ(parse("hypervisor = moat-vmm\n", &c, msg, sizeof(msg)), 0);
	ASSERT_EQ(c.hypervisor, CONF_HV_VMM);
}

TEST(conf_parse_bad_lines)
{
	bad("memory 512\n", "t.conf:1: line: not \"key = value\" (a key is "
			    "lower-case letters, digits, '-' and '_')");
	bad("# c\n\n= /x\n", "t.conf:3: line: not \"key = value\" (a key is "
			     "lower-case letters, digits, '-' and '_')");
	bad("Kernel = /x\n", "t.conf:1: line: not \"key = value\" (a key is "
			     "lower-case letters, digits, '-' and '_')");
	bad("memory = 128 # MiB\n",
	    "t.conf:1: memory: \"128 # MiB\" is not a size in MiB from 64 to "
	    "65536");
	bad("colour = red\n", "t.conf:1: colour: unknown key");
	bad("a-very-long-key-name-that-goes-on-and-on-and-on = 1\n",
	    "t.conf:1: a-very-long-key-name-that-goes-o: unknown key");
	bad("memory =\n", "t.conf:1: memory: no value");
	bad("memory = \t \n", "t.conf:1: memory: no value");
	bad("memory = 128\nvcpus = 2\nmemory = 256\n",
	    "t.conf:3: memory: set twice (first on line 1)");
	bad("hypervisor = qemu\nhypervisor = qemu\n",
	    "t.conf:2: hypervisor: set twice (first on line 1)");
	bad("memory = a\x01\n", "t.conf:1: line: control character (byte 11)");
	bad("vcpus = 1\x7f\n", "t.conf:1: line: control character (byte 10)");
}

TEST(conf_parse_bad_values)
{
	bad("hypervisor = kvm\n",
	    "t.conf:1: hypervisor: \"kvm\" is not auto, moat-vmm or qemu");
	bad("hypervisor = QEMU\n",
	    "t.conf:1: hypervisor: \"QEMU\" is not auto, moat-vmm or qemu");
	bad("memory = 63\n",
	    "t.conf:1: memory: \"63\" is not a size in MiB from 64 to 65536");
	bad("memory = 65537\n",
	    "t.conf:1: memory: \"65537\" is not a size in MiB from 64 to "
	    "65536");
	bad("memory = 99999999999999999999999999\n",
	    "t.conf:1: memory: \"99999999999999999999999999\" is not a size "
	    "in MiB from 64 to 65536");
	bad("memory = -128\n",
	    "t.conf:1: memory: \"-128\" is not a size in MiB from 64 to 65536");
	bad("memory = 512M\n",
	    "t.conf:1: memory: \"512M\" is not a size in MiB from 64 to 65536");
	bad("vcpus = 0\n", "t.conf:1: vcpus: \"0\" is not a number from 1 to "
			   "32");
	bad("vcpus = 33\n", "t.conf:1: vcpus: \"33\" is not a number from 1 "
			    "to 32");
	bad("vcpus = +2\n", "t.conf:1: vcpus: \"+2\" is not a number from 1 "
			    "to 32");
	bad("kernel = bzImage\n",
	    "t.conf:1: kernel: \"bzImage\" is not an absolute path");
	bad("initramfs = ./initramfs.cpio\n",
	    "t.conf:1: initramfs: \"./initramfs.cpio\" is not an absolute "
	    "path");
	bad("qemu = bin/qemu\n", "t.conf:1: qemu: \"bin/qemu\" is not an "
				 "absolute path or a program name");
	bad("virtiofsd = ../virtiofsd\n",
	    "t.conf:1: virtiofsd: \"../virtiofsd\" is not an absolute path or "
	    "a program name");
	bad("vmm = x/moat-vmm\n", "t.conf:1: vmm: \"x/moat-vmm\" is not an "
				  "absolute path or a program name");
}

TEST(conf_parse_long_and_binary)
{
	struct moat_conf c;
	char msg[MOAT_ERR_MSG_MAX];
	static char text[2 * PATH_MAX];
	struct moat_err *e = NULL;
	size_t n;

	/* A path of PATH_MAX - 1 bytes fits; PATH_MAX does not. */
	n = (size_t)snprintf(text, sizeof(text), "kernel = /");
	memset(text + n, 'k', PATH_MAX - 2);
	text[n + PATH_MAX - 2] = '\0';
	ASSERT_EQ(parse(text, &c, msg, sizeof(msg)), 0);
	ASSERT_EQ(strlen(c.kernel), PATH_MAX - 1);
	strcat(text, "k\n");
	bad(text, "t.conf:1: kernel: value too long");
	/* A long bad value is quoted only in part. */
	n = (size_t)snprintf(text, sizeof(text), "hypervisor = ");
	memset(text + n, 'x', 200);
	text[n + 200] = '\0';
	ASSERT_EQ(parse(text, &c, msg, sizeof(msg)), -1);
	ASSERT(strstr(msg, "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			   "xxxxxxxxxxxxxxx\" is not"));
	/* A NUL byte inside the text (not NUL-terminated input). */
	ASSERT_EQ(conf_parse("memory = 1\0\n", 12, "t.conf", &c, &e), -1);
	ASSERT_STREQ(e->msg, "t.conf:1: line: control character (byte 11)");
	ASSERT_EQ(e->errnum, EINVAL);
	moat_err_free(&e);
	/* Only len bytes are read: a cut line is still one line. */
	ASSERT_EQ(conf_parse("vcpus = 12345", 9, "t.conf", &c, &e), 0);
	ASSERT_EQ(c.vcpus, 1);
}

/* A temporary directory (removed by the test's end: the process exits
 * and the harness's tmp use is per test). */
static char *tmpdir(void)
{
	static char d[] = "/tmp/moat-conf-XXXXXX";

	if (!mkdtemp(d))
		FAIL("mkdtemp: %s", strerror(errno));
	return d;
}

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, text, len), (long long)len);
	close(fd);
}

TEST(conf_load_files)
{
	char *d = tmpdir(), path[PATH_MAX], big[CONF_TEXT_MAX + 2];
	struct moat_err *e = NULL;
	struct moat_conf c;

	/* missing: the defaults, no error */
	snprintf(path, sizeof(path), "%s/moat.conf", d);
	ASSERT_EQ(conf_load(path, &c, &e), 0);
	ASSERT(!e);
	ASSERT_STREQ(c.file, path);
	ASSERT_EQ(c.hypervisor_line, 0);
	ASSERT_STREQ(c.kernel, "");

	/* present */
	write_file(path, "# x\nvcpus = 2\nhypervisor = qemu\n", 32);
	ASSERT_EQ(conf_load(path, &c, &e), 0);
	ASSERT_EQ(c.vcpus, 2);
	ASSERT_EQ(c.hypervisor, CONF_HV_QEMU);
	ASSERT_EQ(c.hypervisor_line, 3);

	/* a bad line names the file and the line */
	write_file(path, "# x\n\nvcpus = lots\n", 18);
	ASSERT_EQ(conf_load(path, &c, &e), -1);
	{
		char want[PATH_MAX + 128];

		snprintf(want, sizeof(want),
			 "%s:3: vcpus: \"lots\" is not a number from 1 to 32",
			 path);
		ASSERT_STREQ(e->msg, want);
		ASSERT(strstr(e->msg, "moat.conf:3: vcpus: "));
	}
	moat_err_free(&e);

	/* MOAT_CONFIG names the file when path is NULL */
	write_file(path, "memory = 1024\n", 14);
	ASSERT_OK(setenv(CONF_ENV_PATH, path, 1));
	ASSERT_STREQ(conf_path(), path);
	ASSERT_EQ(conf_load(NULL, &c, &e), 0);
	ASSERT_EQ(c.memory_mib, 1024);
	ASSERT_OK(setenv(CONF_ENV_PATH, "", 1));
	ASSERT_STREQ(conf_path(), CONF_PATH_DEFAULT);
	ASSERT_OK(unsetenv(CONF_ENV_PATH));
	ASSERT_STREQ(conf_path(), CONF_PATH_DEFAULT);

	/* too large */
	memset(big, '#', sizeof(big));
	write_file(path, big, CONF_TEXT_MAX + 1);
	ASSERT_EQ(conf_load(path, &c, &e), -1);
	ASSERT_EQ(e->errnum, EFBIG);
	ASSERT(strstr(e->msg, "larger than 65536 bytes"));
	moat_err_free(&e);
	/* exactly the limit is fine */
	big[CONF_TEXT_MAX - 1] = '\n';
	write_file(path, big, CONF_TEXT_MAX);
	ASSERT_EQ(conf_load(path, &c, &e), 0);
	unlink(path);

	/* a directory cannot be read */
	ASSERT_OK(mkdir(path, 0755));
	ASSERT_EQ(conf_load(path, &c, &e), -1);
	ASSERT_EQ(e->errnum, EISDIR);
	moat_err_free(&e);
	rmdir(path);
	rmdir(d);
}

/* conf_choose's result, or -1 with its message in msg. */
static int choose(const char *ann, const char *env, const struct moat_conf *c,
		  int kvm_err, char *msg, size_t cap)
{
	struct moat_err *e = NULL;
	int r = conf_choose(ann, env, c, kvm_err, &e);

	return outcome("conf_choose", r, e, msg, cap);
}

TEST(conf_choose_auto)
{
	char msg[MOAT_ERR_MSG_MAX];
	struct moat_conf c;

	/* nothing anywhere: auto */
	ASSERT_EQ(choose(NULL, NULL, NULL, 0, msg, sizeof(msg)), CONF_HV_VMM);
	ASSERT_EQ(choose(NULL, NULL, NULL, ENOENT, msg, sizeof(msg)),
		  CONF_HV_QEMU);
	ASSERT_EQ(choose(NULL, NULL, NULL, EACCES, msg, sizeof(msg)),
		  CONF_HV_QEMU);
	/* a file without the key, and an empty MOAT_HYPERVISOR: auto */
	ASSERT_EQ(parse("vcpus = 2\n", &c, msg, sizeof(msg)), 0);
	ASSERT_EQ(choose(NULL, "", &c, 0, msg, sizeof(msg)), CONF_HV_VMM);
	ASSERT_EQ(choose(NULL, "", &c, ENOENT, msg, sizeof(msg)), CONF_HV_QEMU);
	/* auto said explicitly at each level */
	ASSERT_EQ(parse("hypervisor = auto\n", &c, msg, sizeof(msg)), 0);
	ASSERT_EQ(choose(NULL, NULL, &c, 0, msg, sizeof(msg)), CONF_HV_VMM);
	ASSERT_EQ(choose(NULL, NULL, &c, ENOENT, msg, sizeof(msg)),
		  CONF_HV_QEMU);
	ASSERT_EQ(choose(NULL, "auto", NULL, ENOENT, msg, sizeof(msg)),
		  CONF_HV_QEMU);
	ASSERT_EQ(choose("auto", NULL, NULL, 0, msg, sizeof(msg)), CONF_HV_VMM);
}

TEST(conf_choose_precedence)
{
	char msg[MOAT_ERR_MSG_MAX];
	struct moat_conf vmm, qemu;

	ASSERT_EQ(parse("hypervisor = moat-vmm\n", &vmm, msg, sizeof(msg)), 0);
	ASSERT_EQ(parse("\nhypervisor = qemu\n", &qemu, msg, sizeof(msg)), 0);

	/* the file over auto */
	ASSERT_EQ(choose(NULL, NULL, &qemu, 0, msg, sizeof(msg)), CONF_HV_QEMU);
	ASSERT_EQ(choose(NULL, NULL, &vmm, 0, msg, sizeof(msg)), CONF_HV_VMM);
	/* MOAT_HYPERVISOR over the file */
	ASSERT_EQ(choose(NULL, "qemu", &vmm, 0, msg, sizeof(msg)),
		  CONF_HV_QEMU);
	ASSERT_EQ(choose(NULL, "moat-vmm", &qemu, 0, msg, sizeof(msg)),
		  CONF_HV_VMM);
	ASSERT_EQ(choose(NULL, "auto", &qemu, 0, msg, sizeof(msg)),
		  CONF_HV_VMM);
	/* the annotation over both */
	ASSERT_EQ(choose("qemu", "moat-vmm", &vmm, 0, msg, sizeof(msg)),
		  CONF_HV_QEMU);
	ASSERT_EQ(choose("moat-vmm", "qemu", &qemu, 0, msg, sizeof(msg)),
		  CONF_HV_VMM);
	ASSERT_EQ(choose("qemu", NULL, &vmm, 0, msg, sizeof(msg)),
		  CONF_HV_QEMU);
	ASSERT_EQ(choose("auto", "qemu", &qemu, 0, msg, sizeof(msg)),
		  CONF_HV_VMM);
	/* qemu asked for is qemu, with or without KVM */
	ASSERT_EQ(choose("qemu", NULL, NULL, ENOENT, msg, sizeof(msg)),
		  CONF_HV_QEMU);
	/* a higher level's good value hides nothing below it: the file was
	 * checked when it was read, the environment only when consulted */
	ASSERT_EQ(choose("qemu", "xen", NULL, 0, msg, sizeof(msg)),
		  CONF_HV_QEMU);
}

TEST(conf_choose_errors)
{
	char msg[MOAT_ERR_MSG_MAX], want[PATH_MAX + 128];
	struct moat_conf vmm;
	struct moat_err *e = NULL;

	ASSERT_EQ(choose("kvm", "qemu", NULL, 0, msg, sizeof(msg)), -1);
	ASSERT_STREQ(msg, "annotation moat.hypervisor: \"kvm\" is not auto, "
			  "moat-vmm or qemu");
	ASSERT_EQ(choose("", NULL, NULL, 0, msg, sizeof(msg)), -1);
	ASSERT_STREQ(msg, "annotation moat.hypervisor: \"\" is not auto, "
			  "moat-vmm or qemu");
	/* a value that cannot be printed safely is not */
	ASSERT_EQ(choose("qemu\n\x1b[2J", NULL, NULL, 0, msg, sizeof(msg)), -1);
	ASSERT_STREQ(msg, "annotation moat.hypervisor: not auto, moat-vmm or "
			  "qemu");
	ASSERT_EQ(choose("a\"b", NULL, NULL, 0, msg, sizeof(msg)), -1);
	ASSERT_STREQ(msg, "annotation moat.hypervisor: not auto, moat-vmm or "
			  "qemu");
	ASSERT_EQ(choose(NULL, "Qemu", NULL, 0, msg, sizeof(msg)), -1);
	ASSERT_STREQ(msg, "MOAT_HYPERVISOR: \"Qemu\" is not auto, moat-vmm "
			  "or qemu");

	/* moat-vmm without /dev/kvm: an error naming who asked */
	ASSERT_EQ(choose("moat-vmm", NULL, NULL, ENOENT, msg, sizeof(msg)), -1);
	ASSERT_STREQ(msg, "annotation moat.hypervisor: moat-vmm needs "
			  "/dev/kvm: No such file or directory");
	ASSERT_EQ(choose(NULL, "moat-vmm", NULL, EACCES, msg, sizeof(msg)), -1);
	ASSERT_STREQ(msg, "MOAT_HYPERVISOR: moat-vmm needs /dev/kvm: "
			  "Permission denied");
	{
		static const char t[] = "# x\n\n\nhypervisor = moat-vmm\n";

		ASSERT_EQ(conf_parse(t, strlen(t), "/etc/moat/moat.conf", &vmm,
				     &e),
			  0);
	}
	ASSERT_EQ(choose(NULL, NULL, &vmm, ENOENT, msg, sizeof(msg)), -1);
	snprintf(want, sizeof(want),
		 "/etc/moat/moat.conf:4: hypervisor: moat-vmm needs /dev/kvm: "
		 "%s",
		 strerror(ENOENT));
	ASSERT_STREQ(msg, want);
	ASSERT_EQ(conf_choose(NULL, NULL, &vmm, ENOENT, &e), -1);
	ASSERT_EQ(e->errnum, ENOENT);
	moat_err_free(&e);

	/* a /dev/kvm without VMX or SVM behind it: auto takes qemu, and
	 * moat-vmm asked for is refused with the reason */
	ASSERT_EQ(choose(NULL, NULL, NULL, CONF_KVM_NO_HW, msg, sizeof(msg)),
		  CONF_HV_QEMU);
	ASSERT_EQ(choose(NULL, "moat-vmm", NULL, CONF_KVM_NO_HW, msg,
			 sizeof(msg)),
		  -1);
	ASSERT_STREQ(msg, "MOAT_HYPERVISOR: moat-vmm needs hardware "
			  "virtualisation: /dev/kvm is there but the CPU "
			  "offers neither VMX nor SVM (a paravirtual KVM "
			  "such as PVM)");
}

/* The CPUID words behind sandbox_kvm_errno's check. */
TEST(conf_cpu_hw_virt)
{
	ASSERT(sandbox_cpu_hw_virt(1u << 5, 0, 0));	      /* VMX */
	ASSERT(sandbox_cpu_hw_virt(0, 0x80000008u, 1u << 2)); /* SVM */
	ASSERT(!sandbox_cpu_hw_virt(0, 0x80000008u, 0));
	ASSERT(!sandbox_cpu_hw_virt(~(1u << 5), 0x80000008u, ~(1u << 2)));
	/* the SVM bit means nothing without the extended leaf */
	ASSERT(!sandbox_cpu_hw_virt(0, 0x80000000u, 1u << 2));
}

TEST(conf_hv_names)
{
	ASSERT_STREQ(conf_hv_name(CONF_HV_AUTO), "auto");
	ASSERT_STREQ(conf_hv_name(CONF_HV_VMM), "moat-vmm");
	ASSERT_STREQ(conf_hv_name(CONF_HV_QEMU), "qemu");
	ASSERT(conf_hv_name((enum conf_hv)3) == NULL);
	ASSERT_EQ(conf_hv_parse("moat-vmm"), CONF_HV_VMM);
	ASSERT_EQ(conf_hv_parse("moat-vmm "), -1);
	ASSERT_EQ(conf_hv_parse(""), -1);
}

/* The annotation as the shim finds it: spec_annotation on a parsed
 * config.json. */
TEST(conf_annotation_from_spec)
{
	char *def = spec_default_json(), *text;
	struct moat_err *e = NULL;
	struct spec *sp = NULL;
	json_t *j = json_loads(def, 0, NULL);

	ASSERT(j);
	ASSERT(!json_object_set_new(j, "annotations",
				    json_pack("{s:s, s:s}", "org.example", "1",
					      CONF_ANNOTATION_HYPERVISOR,
					      "qemu")));
	text = json_dumps(j, 0);
	ASSERT(text);
	if (spec_parse(text, strlen(text), &sp, &e))
		FAIL("spec_parse: %s", e->msg);
	ASSERT_STREQ(spec_annotation(sp, CONF_ANNOTATION_HYPERVISOR), "qemu");
	ASSERT_STREQ(spec_annotation(sp, "org.example"), "1");
	ASSERT(spec_annotation(sp, "moat.hypervisor ") == NULL);
	ASSERT_EQ(conf_choose(spec_annotation(sp, CONF_ANNOTATION_HYPERVISOR),
			      "moat-vmm", NULL, 0, &e),
		  CONF_HV_QEMU);
	spec_free(sp);
	/* no annotations at all */
	ASSERT(!spec_parse(def, strlen(def), &sp, &e));
	ASSERT(spec_annotation(sp, CONF_ANNOTATION_HYPERVISOR) == NULL);
	spec_free(sp);
	free(text);
	free(def);
	json_decref(j);
}

/* sandbox_choose: the same rules, with the real environment and the real
 * /dev/kvm. */
TEST(conf_sandbox_choose)
{
	struct moat_err *e = NULL;
	enum sandbox_kind k = SANDBOX_KIND_VMM;
	int kvm = sandbox_kvm_errno();
	struct moat_conf c;

	ASSERT_OK(unsetenv(CONF_ENV_HYPERVISOR));
	ASSERT_EQ(sandbox_choose("qemu", NULL, &k, &e), 0);
	ASSERT_EQ(k, SANDBOX_KIND_QEMU);
	ASSERT_EQ(sandbox_choose(NULL, NULL, &k, &e), 0);
	ASSERT_EQ(k, kvm ? SANDBOX_KIND_QEMU : SANDBOX_KIND_VMM);

	ASSERT_OK(setenv(CONF_ENV_HYPERVISOR, "qemu", 1));
	k = SANDBOX_KIND_VMM;
	ASSERT_EQ(sandbox_choose(NULL, NULL, &k, &e), 0);
	ASSERT_EQ(k, SANDBOX_KIND_QEMU);
	ASSERT_EQ(sandbox_choose("moat-vmm", NULL, &k, &e), kvm ? -1 : 0);
	if (kvm) {
		ASSERT_EQ(e->errnum, kvm);
		static const char pre[] = "annotation moat.hypervisor: "
					  "moat-vmm needs /dev/kvm: ",
				  nohw[] = "annotation moat.hypervisor: "
					   "moat-vmm needs hardware "
					   "virtualisation: ";

		ASSERT(!strncmp(e->msg, kvm == CONF_KVM_NO_HW ? nohw : pre,
				strlen(kvm == CONF_KVM_NO_HW ? nohw : pre)));
		moat_err_free(&e);
	} else {
		ASSERT_EQ(k, SANDBOX_KIND_VMM);
	}
	ASSERT_OK(setenv(CONF_ENV_HYPERVISOR, "firecracker", 1));
	ASSERT_EQ(sandbox_choose(NULL, NULL, &k, &e), -1);
	ASSERT_STREQ(e->msg, "MOAT_HYPERVISOR: \"firecracker\" is not auto, "
			     "moat-vmm or qemu");
	moat_err_free(&e);
	ASSERT_OK(unsetenv(CONF_ENV_HYPERVISOR));
	ASSERT_EQ(conf_parse("hypervisor = qemu\n", 18, "c", &c, &e), 0);
	ASSERT_EQ(sandbox_choose(NULL, &c, &k, &e), 0);
	ASSERT_EQ(k, SANDBOX_KIND_QEMU);
}

/* The five paths of a sandbox_config sc. */
#define EXPECT_PATHS(sc, k, i, q, v, m)            \
	do {                                       \
		ASSERT_STREQ((sc).kernel, (k));    \
		ASSERT_STREQ((sc).initramfs, (i)); \
		ASSERT_STREQ((sc).qemu, (q));      \
		ASSERT_STREQ((sc).virtiofsd, (v)); \
		ASSERT_STREQ((sc).vmm, (m));       \
	} while (0)

static const char *const sandbox_env_vars[] = {
	"MOAT_KERNEL",	  "MOAT_INITRAMFS", "MOAT_QEMU",
	"MOAT_VIRTIOFSD", "MOAT_VMM",
};

TEST(conf_sandbox_defaults)
{
	static const char text[] = "kernel = /k\ninitramfs = /i\nqemu = q\n"
				   "virtiofsd = /v\nvmm = /m\nmemory = 1024\n"
				   "vcpus = 3\n";
	struct moat_err *e = NULL;
	struct sandbox_config sc;
	struct moat_conf c;
	char self[PATH_MAX], want[PATH_MAX + 16], *slash;
	ssize_t n;
	size_t i;

	for (i = 0; i < sizeof(sandbox_env_vars) / sizeof(sandbox_env_vars[0]);
	     i++)
		ASSERT_OK(unsetenv(sandbox_env_vars[i]));

	/* nothing: the built-in defaults */
	sandbox_config_init(&sc, NULL);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT(n > 0);
	self[n] = '\0';
	slash = strrchr(self, '/');
	ASSERT(slash);
	*slash = '\0';
	snprintf(want, sizeof(want), "%s/moat-vmm", self);
	EXPECT_PATHS(sc, MOAT_DATADIR "/bzImage",
		     MOAT_DATADIR "/initramfs.cpio", "qemu-system-x86_64",
		     "/usr/lib/qemu/virtiofsd", want);
	ASSERT_EQ(sc.mem_mib, SANDBOX_MEM_DEFAULT_MIB);
	ASSERT_EQ(sc.cpus, SANDBOX_CPUS_DEFAULT);
	ASSERT_EQ(sc.log_fd, -1);
	ASSERT_EQ(sc.dir_fd, -1);

	/* the file */
	ASSERT_EQ(conf_parse(text, sizeof(text) - 1, "c", &c, &e), 0);
	sandbox_config_init(&sc, &c);
	EXPECT_PATHS(sc, "/k", "/i", "q", "/v", "/m");
	ASSERT_EQ(sc.mem_mib, 1024);
	ASSERT_EQ(sc.cpus, 3);

	/* the environment over the file; an empty variable does not count */
	ASSERT_OK(setenv("MOAT_KERNEL", "/env/k", 1));
	ASSERT_OK(setenv("MOAT_INITRAMFS", "/env/i", 1));
	ASSERT_OK(setenv("MOAT_QEMU", "/env/q", 1));
	ASSERT_OK(setenv("MOAT_VIRTIOFSD", "", 1));
	ASSERT_OK(setenv("MOAT_VMM", "/env/m", 1));
	sandbox_config_init(&sc, &c);
	EXPECT_PATHS(sc, "/env/k", "/env/i", "/env/q", "/v", "/env/m");
	sandbox_config_defaults(&sc);
	ASSERT_STREQ(sc.kernel, "/env/k");
	ASSERT_STREQ(sc.virtiofsd, "/usr/lib/qemu/virtiofsd");
	ASSERT_EQ(sc.mem_mib, SANDBOX_MEM_DEFAULT_MIB);
}
