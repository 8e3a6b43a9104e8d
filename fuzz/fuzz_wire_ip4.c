/*
 * fuzz_wire_ip4.c - wire/ip4.c (RFC 791 header, RFC 792 ICMP) and wire/arp.c (RFC 826) on
 * arbitrary bytes. A header that parses must lie inside the input and re-emit to bytes
 * that parse to the same values (options aside); ASan sees every read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/arp.h"
#include "wire/ip4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ip4_hdr_info h, h2;
	if (ip4_hdr_parse(data, size, &h) == 0) {
		if (h.hlen < IP4_HLEN || h.hlen > size || h.total_len > size || h.total_len < h.hlen)
			abort();
		uint8_t out[IP4_HLEN];
		ip4_hdr_emit(out, &h);
		/* the emitted header (no options) parses once its length is set to 20 */
		out[2] = 0;
		out[3] = IP4_HLEN;
		uint16_t c = ip4_hdr_csum(out, IP4_HLEN);
		out[10] = (uint8_t)(c >> 8);
		out[11] = (uint8_t)c;
		if (ip4_hdr_parse(out, sizeof(out), &h2))
			abort();
		if (h2.src != h.src || h2.dst != h.dst || h2.ttl != h.ttl || h2.proto != h.proto ||
		    h2.df != h.df || h2.mf != h.mf || h2.frag_off != h.frag_off || h2.id != h.id ||
		    h2.tos != h.tos)
			abort();
		struct icmp4_hdr ih;
		icmp4_hdr_parse(data + h.hlen, h.total_len - h.hlen, &ih);
	}
	struct icmp4_hdr ih;
	if (icmp4_hdr_parse(data, size, &ih) == 0 && size < ICMP4_HLEN)
		abort();
	struct arp_pkt a, a2;
	if (arp_parse(data, size, &a) == 0) {
		uint8_t out[ARP_LEN];
		arp_emit(out, &a);
		if (arp_parse(out, sizeof(out), &a2) || memcmp(out, data, ARP_LEN) != 0)
			abort();
	}
	return 0;
}
