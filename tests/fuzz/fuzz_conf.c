/*
 * fuzz_conf.c: libFuzzer target for conf_parse(), moat.conf(5)'s parser,
 * and conf_choose(). Checks the parser's contract on every input: an
 * accepted file holds only values within their documented ranges, strings
 * are NUL-terminated absolute paths or program names, and an error
 * message always names the file and a line that exists; the choice is
 * always a concrete backend or an error.
 */
#include "../../src/runtime/conf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_path(const char *s, size_t cap, int program)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort();
	if (n && s[0] != '/' && (!program || strchr(s, '/')))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct moat_conf c;
	struct moat_err *e = NULL;
	unsigned lines = 1;
	size_t i;
	int r, hv;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	r = conf_parse((const char *)data, size, "f", &c, &e);
	if (r == 0) {
		if (e)
			abort();
		if (c.memory_mib && (c.memory_mib < CONF_MEM_MIN_MIB ||
				     c.memory_mib > CONF_MEM_MAX_MIB))
			abort();
		if (c.vcpus > CONF_VCPUS_MAX)
			abort();
		if (!conf_hv_name(c.hypervisor) || c.hypervisor_line > lines ||
		    (!c.hypervisor_line && c.hypervisor != CONF_HV_AUTO))
			abort();
		fuzz_path(c.kernel, sizeof(c.kernel), 0);
		fuzz_path(c.initramfs, sizeof(c.initramfs), 0);
		fuzz_path(c.qemu, sizeof(c.qemu), 1);
		fuzz_path(c.virtiofsd, sizeof(c.virtiofsd), 1);
		fuzz_path(c.vmm, sizeof(c.vmm), 1);
		/* The file's choice, with and without KVM. */
		hv = conf_choose(NULL, NULL, &c, 0, &e);
		if (hv != CONF_HV_VMM && hv != CONF_HV_QEMU)
			abort();
		hv = conf_choose(NULL, NULL, &c, 2, &e);
		if ((hv < 0) != (c.hypervisor == CONF_HV_VMM) ||
		    (hv >= 0 && hv != CONF_HV_QEMU))
			abort();
		moat_err_free(&e);
	} else {
		if (r != -1 || !e || strncmp(e->msg, "f:", 2) ||
		    strtoul(e->msg + 2, NULL, 10) < 1 ||
		    strtoul(e->msg + 2, NULL, 10) > lines)
			abort();
		moat_err_free(&e);
	}
	/* The input as an annotation or MOAT_HYPERVISOR value. */
	if (size < 256) {
		char v[256];

		memcpy(v, data, size);
		v[size] = '\0';
		hv = conf_choose(v, NULL, NULL, 0, &e);
		if (hv < 0 ? !e
			   : (e || (hv != CONF_HV_VMM && hv != CONF_HV_QEMU)))
			abort();
		moat_err_free(&e);
		hv = conf_choose(NULL, v, NULL, 2, &e);
		if (hv < 0 ? !e : (e || hv != CONF_HV_QEMU))
			abort();
		moat_err_free(&e);
	}
	return 0;
}
