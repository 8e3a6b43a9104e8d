/*
 * fuzz_ipcomp.c - IPComp (RFC 3173) input and output. Input: the fuzzer's bytes after an
 * IPv6 header and an IPComp header whose CPI the first byte picks (an association, the
 * well-known deflate CPI, an unknown one, a reserved one); ipcomp_input must consume or
 * return every packet without reading past it, and never decompress past its bound (set
 * small by the second byte at times). Output: the same bytes compressed by ipcomp_output
 * and decompressed by ipcomp_input must come back identical (the round trip is the oracle).
 */
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ipsec/ipcomp.h"
#include "ipsec/ipsec.h"
#include "wire/ip6.h"
#include "wire/ipcomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ipsec_sa *sa_neg, *sa_wk;

static struct umk_stack *setup(void)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.log_level = -1;
	struct umk_stack *s = umk_stack_new(&cfg, 0);
	struct ipsec_sa t = { .proto = IPPROTO6_IPCOMP, .spi = 0x1234, .state = SA_MATURE,
			      .calg = IPCOMP_ALG_DEFLATE };
	t.dst.s6_addr[15] = 1;
	if (sad_add(s, &t, &sa_neg))
		abort();
	t.spi = IPCOMP_ALG_DEFLATE;
	if (sad_add(s, &t, &sa_wk))
		abort();
	return s;
}

static const uint16_t cpis[4] = { 0x1234, IPCOMP_ALG_DEFLATE, 0x4321, 100 };

static int run_input(struct umk_stack *s, struct umk_pkt *pkt, uint8_t *nxt)
{
	struct ip6_rx rx = { 0 };
	rx.dst.s6_addr[15] = 1;
	uint32_t off = 40, len = pkt->len;
	int r = ipcomp_input(s, &pkt, &rx, &off, 6, nxt, &len);
	if (r == 0) {
		if (off != 40 || len != pkt->len)
			abort();
		pkt_free(s, pkt);
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct umk_stack *s;
	if (!s)
		s = setup();
	if (size < 2 || size > 9000)
		return 0;
	uint8_t sel = data[0], cap = data[1];
	data += 2;
	size -= 2;
	s->ipsec->ipcomp_max_out = cap & 0x80 ? 64u + cap * 8u : IP6_MAX_PAYLOAD;

	/* input of the bytes as compressed data */
	struct umk_pkt *pkt = pkt_alloc(s, (uint32_t)size + 44, PKT_HEADROOM);
	if (!pkt)
		return 0;
	struct ip6_hdr_info h = { .plen = (uint16_t)(size + 4), .nxt = IPPROTO6_IPCOMP,
				  .hlim = 64 };
	h.dst.s6_addr[15] = 1;
	ip6_hdr_emit(pkt_put(pkt, 40), &h);
	ipcomp_hdr_emit(pkt_put(pkt, 4), sel >> 4, cpis[sel & 3]);
	memcpy(pkt_put(pkt, (uint32_t)size), data, size);
	pkt->net_off = pkt_off(pkt);
	uint8_t nxt = IPPROTO6_IPCOMP;
	run_input(s, pkt, &nxt);

	/* the round trip */
	s->ipsec->ipcomp_max_out = IP6_MAX_PAYLOAD;
	pkt = pkt_alloc(s, (uint32_t)size + 64, PKT_HEADROOM);
	if (!pkt)
		return 0;
	memcpy(pkt_put(pkt, (uint32_t)size), data, size);
	nxt = 17;
	ipcomp_output(s, sel & 4 ? sa_wk : sa_neg, pkt, &nxt);
	if (nxt != IPPROTO6_IPCOMP) {
		/* sent uncompressed: unchanged */
		if (pkt->len != size || (size && memcmp(pkt->data, data, size)))
			abort();
		pkt_free(s, pkt);
		return 0;
	}
	h.plen = (uint16_t)pkt->len;
	ip6_hdr_emit(pkt_push(pkt, 40), &h);
	pkt->net_off = pkt_off(pkt);
	struct ip6_rx rx = { 0 };
	rx.dst.s6_addr[15] = 1;
	uint32_t off = 40, len = pkt->len;
	if (ipcomp_input(s, &pkt, &rx, &off, 6, &nxt, &len) != 0)
		abort();
	if (nxt != 17 || pkt->len != 40 + size || memcmp(pkt->data + 40, data, size))
		abort();
	pkt_free(s, pkt);
	return 0;
}
