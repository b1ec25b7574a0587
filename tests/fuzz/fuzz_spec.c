/*
 * fuzz_spec.c: libFuzzer target for spec_parse(), the config.json parser
 * the host and the agent share (src/common/spec.c), and for spec_encode().
 * Checks the contract on every input: a refused document leaves no spec
 * and an error with a cause; an accepted one encodes (both ways) into a
 * document spec_parse() accepts again, whose encoding is the same text
 * (the encoder's output is a fixpoint), and the guest's encoding carries
 * no hooks. Also feeds the input to spec_resources_parse() (an UPDATE's
 * resources) and spec_process_parse() (exec's --process).
 */
#include "../../src/common/spec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* spec_parse() of text must succeed; returns encode(flags) of the result. */
static char *fuzz_reparse(const char *text, unsigned flags)
{
	struct moat_err *e = NULL;
	struct spec *s = NULL;
	char *out;

	if (spec_parse(text, strlen(text), &s, &e) || !s || e)
		abort();
	out = spec_encode(s, flags);
	if (!out)
		abort();
	if (!(flags & SPEC_ENC_HOST) && s->nhooks[SPEC_HOOK_PRESTART])
		abort();
	spec_free(s);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec_resources r;
	struct moat_err *e = NULL;
	struct spec *s = (struct spec *)1;
	char *a, *b;
	unsigned f;
	int rc;

	rc = spec_parse((const char *)data, size, &s, &e);
	if (rc) {
		if (s || !e || !e->errnum || !e->msg[0])
			abort();
		moat_err_free(&e);
	} else {
		if (!s || e)
			abort();
		for (f = 0; f <= SPEC_ENC_HOST; f += SPEC_ENC_HOST) {
			a = spec_encode(s, f);
			if (!a)
				abort();
			b = fuzz_reparse(a, f);
			if (strcmp(a, b))
				abort();
			free(a);
			free(b);
		}
		spec_free(s);
	}
	if (spec_resources_parse((const char *)data, size, &r, &e)) {
		if (!e || r.devices)
			abort();
		moat_err_free(&e);
	} else {
		spec_resources_free(&r);
	}
	s = NULL;
	if (spec_process_parse((const char *)data, size, &s, &e))
		moat_err_free(&e);
	spec_free(s);
	return 0;
}
