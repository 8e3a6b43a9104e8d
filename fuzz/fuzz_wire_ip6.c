/*
 * fuzz_wire_ip6.c - wire/ip6.c: the fixed header, every extension-header parser, option
 * iteration and the chain walk, on arbitrary bytes. Every length they return must stay
 * inside the input (ASan sees the reads).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "wire/ip6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ip6_hdr_info h;
	struct ip6_ext e;
	struct ip6_rthdr r;
	struct ip6_fraghdr f;
	struct ip6_chain c;

	if (ip6_hdr_parse(data, size, &h) == 0)
		ip6_chain_walk(data, (uint32_t)size, h.nxt, IP6_HLEN, IP6_OFF_NXT, &c);
	if (ip6_ext_parse(data, size, &e) == 0) {
		if (e.len > size)
			abort();
		struct ip6_opt_iter it;
		struct ip6_opt o;
		ip6_opt_iter_init(&it, data, e.len);
		while (ip6_opt_next(&it, &o) > 0)
			if (o.data && (o.data < data || o.data + o.len > data + e.len))
				abort();
	}
	ip6_rthdr_parse(data, size, &r);
	if (ip6_fraghdr_parse(data, size, &f) == 0) {
		uint8_t out[8];
		ip6_fraghdr_emit(out, &f);
	}
	if (size > 0 && ip6_chain_walk(data, (uint32_t)size, data[0], 1, 0, &c) == 0 &&
	    c.off > size)
		abort();
	return 0;
}
