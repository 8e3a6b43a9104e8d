/*
 * sim_ipcomp_nested.c - one IPComp decompression per packet (src/ipsec/ipcomp.c). IPComp
 * carries no integrity, so anyone who knows a CPI of ours can send it. A decompressed
 * payload that starts with another header and then another IPComp header would be
 * decompressed again, and a deflate stream can be made to decompress to itself behind a
 * fixed prefix, so one such packet could keep the stack decompressing forever. The second
 * IPComp is dropped and counted; a single one still goes through.
 *
 *     (hand-made frames) ---- link ---- eth0 [B] 2001:db8::b, IPComp CPI 0x1234 from ::a
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include <umikame/mgmt.h>
#include "core/stack_int.h"
#include "ipsec/ipsec.h"
#include "sim.h"
#include "wire/ip6.h"
#include "wire/ip6_const.h"
#include "wire/ipcomp.h"

#define CPI 0x1234

static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 0xb }, mac_a[6] = { 2, 0, 0, 0, 0, 0xa };

static size_t zdeflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t got = z.total_out;
	deflateEnd(&z);
	return got;
}

/* IPComp (next header nxt) | deflate(data) into out; its length */
static size_t ipcomp(uint8_t nxt, const uint8_t *data, size_t n, uint8_t *out, size_t cap)
{
	ipcomp_hdr_emit(out, nxt, CPI);
	return IPCOMP_HLEN + zdeflate(data, n, out + IPCOMP_HLEN, cap - IPCOMP_HLEN);
}

/* The frame: Ethernet | IPv6 ::a -> ::b (next header IPComp) | payload */
static size_t frame(const struct in6_addr *a, const struct in6_addr *b, const uint8_t *payload,
		    size_t n, uint8_t *f)
{
	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	struct ip6_hdr_info h = { .plen = (uint16_t)n, .nxt = IPPROTO6_IPCOMP, .hlim = 64,
				  .src = *a, .dst = *b };
	ip6_hdr_emit(f + 14, &h);
	memcpy(f + 14 + IP6_HLEN, payload, n);
	return 14 + IP6_HLEN + n;
}

static void test_nested(void **state)
{
	struct in6_addr a, b;
	inet_pton(AF_INET6, "2001:db8::a", &a);
	inet_pton(AF_INET6, "2001:db8::b", &b);
	struct sim_net *net = sim_net_new(3);
	int l = sim_link_new(net, 1, 0.0);
	struct umk_stack *s = sim_stack_new(net, NULL);
	int ib = sim_attach(net, l, s, "eth0", mac_b, 1500, NULL);
	umk_if_up(s, ib);
	umk_addr_add(s, ib, &b, 64);
	sim_run_for(net, 3000);
	struct ipsec_sa t = { .proto = IPPROTO6_IPCOMP, .spi = CPI, .mode = IPSEC_MODE_ANY,
			      .state = SA_MATURE, .src = a, .dst = b, .calg = IPCOMP_ALG_DEFLATE };
	assert_int_equal(sad_add(s, &t, NULL), 0);

	/* the innermost payload: 600 bytes of No Next Header filler (text compresses) */
	static uint8_t inner[600], mid[2048], outer[2048], f[2048];
	for (size_t i = 0; i < sizeof(inner); i++)
		inner[i] = (uint8_t)('a' + i % 7);

	/* once: IPComp (next header 59) | deflate(inner); decompressed, then No Next Header */
	size_t n = ipcomp(IPPROTO6_NONE, inner, sizeof(inner), outer, sizeof(outer));
	sim_inject(net, l, f, frame(&a, &b, outer, n, f));
	sim_run_for(net, 10);
	assert_int_equal(s->counters[CNT_IPCOMP_IN_OK], 1);
	assert_int_equal(s->counters[CNT_IPCOMP_DROP_NESTED], 0);

	/* twice: IPComp (next 60) | deflate(Destination Options (next 108, PadN) |
	 * IPComp (next 59) | deflate(inner)) */
	size_t m = 8;
	mid[0] = IPPROTO6_IPCOMP;
	mid[1] = 0;                      /* 8 bytes */
	mid[2] = 1;                      /* PadN, 4 bytes of padding */
	mid[3] = 4;
	memset(mid + 4, 0, 4);
	m += ipcomp(IPPROTO6_NONE, inner, sizeof(inner), mid + 8, sizeof(mid) - 8);
	n = ipcomp(IPPROTO6_DSTOPTS, mid, m, outer, sizeof(outer));
	sim_inject(net, l, f, frame(&a, &b, outer, n, f));
	sim_run_for(net, 10);
	assert_int_equal(s->counters[CNT_IPCOMP_IN_OK], 2);      /* the outer one only */
	assert_int_equal(s->counters[CNT_IPCOMP_DROP_NESTED], 1);
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
