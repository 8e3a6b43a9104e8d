/*
 * test_wire_ip6.c - wire/ip6.c, wire/icmp6.c and wire/checksum.c as tables of cases, with
 * the bytes of a real packet: a Linux `ping -6 fe80::1%eth0` echo request (iputils
 * layout: 16-byte timestamp then 0x10..0x37), checksum 0x2ee1 as Linux computed it.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

static const uint8_t linux_echo[104] = {
	0x60, 0x05, 0xa2, 0xb1, 0x00, 0x40, 0x3a, 0x40, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56, 0xfe, 0x80, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00,
	0x2e, 0xe1, 0x1c, 0x2a, 0x00, 0x01, 0xe8, 0xb5, 0x5d, 0x67, 0x00, 0x00, 0x00, 0x00,
	0xa4, 0xc9, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
	0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31,
	0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

static void test_linux_echo(void **state)
{
	struct ip6_hdr_info h;
	assert_int_equal(ip6_hdr_parse(linux_echo, sizeof(linux_echo), &h), 0);
	assert_int_equal(h.version, 6);
	assert_int_equal(h.tclass, 0);
	assert_int_equal(h.flowlabel, 0x5a2b1);
	assert_int_equal(h.plen, 64);
	assert_int_equal(h.nxt, 58);
	assert_int_equal(h.hlim, 64);
	char b[64];
	assert_string_equal(inet_ntop(AF_INET6, &h.src, b, sizeof(b)), "fe80::5054:ff:fe12:3456");
	/* emit is the mirror image */
	uint8_t out[40];
	ip6_hdr_emit(out, &h);
	assert_memory_equal(out, linux_echo, 40);

	const uint8_t *m = linux_echo + 40;
	assert_int_equal(csum_ip6(&h.src, &h.dst, 58, m, 64), 0);
	struct icmp6_echo e;
	assert_int_equal(icmp6_echo_parse(m, 64, &e), 0);
	assert_int_equal(e.type, ICMP6_ECHO_REQUEST);
	assert_int_equal(e.ident, 0x1c2a);
	assert_int_equal(e.seq, 1);
	assert_int_equal(e.data_len, 56);
	/* recompute the checksum from scratch: Linux's value */
	uint8_t copy[64];
	memcpy(copy, m, 64);
	copy[2] = copy[3] = 0;
	assert_int_equal(csum_ip6(&h.src, &h.dst, 58, copy, 64), 0x2ee1);
	/* an odd length works too: one byte less is padded with zero */
	assert_int_not_equal(csum_ip6(&h.src, &h.dst, 58, m, 63), 0);
}

struct hdr_case {
	const char *name;
	uint8_t b[48];
	size_t len;
	int err;
};
static const struct hdr_case hdr_cases[] = {
	{ "ok", { 0x60 }, 40, 0 },
	{ "short", { 0x60 }, 39, IP6_ERR_SHORT },
	{ "empty", { 0 }, 0, IP6_ERR_SHORT },
	{ "version 4", { 0x45 }, 40, IP6_ERR_VERSION },
	{ "version 7", { 0x70 }, 40, IP6_ERR_VERSION },
};

static void test_hdr_cases(void **state)
{
	for (size_t i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		struct ip6_hdr_info h;
		assert_int_equal(ip6_hdr_parse(hdr_cases[i].b, hdr_cases[i].len, &h),
				 hdr_cases[i].err);
	}
}

struct opt_case {
	const char *name;
	uint8_t hdr[24];
	uint32_t hlen;
	int n_opts;                   /* options returned before the end, -1 if malformed */
	uint8_t types[6];
};
static const struct opt_case opt_cases[] = {
	{ "pad1 x6", { 58, 0, 0, 0, 0, 0, 0, 0 }, 8, 6, { 0, 0, 0, 0, 0, 0 } },
	{ "padn 4", { 58, 0, 1, 4, 0, 0, 0, 0 }, 8, 1, { 1 } },
	{ "router alert + padn 0", { 58, 0, 5, 2, 0, 0, 1, 0 }, 8, 2, { 5, 1 } },
	{ "overrun", { 58, 0, 1, 5, 0, 0, 0, 0 }, 8, -1, { 0 } },
	{ "type without length byte", { 58, 0, 1, 2, 0, 0, 0, 0xc2 }, 8, -1, { 1, 0 } },
	{ "16 bytes: two options", { 58, 1, 0xc2, 4, 0, 0, 0, 1, 1, 6, 0, 0, 0, 0, 0, 0 }, 16,
	  2, { 0xc2, 1 } },
};

static void test_opt_iter(void **state)
{
	for (size_t i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++) {
		const struct opt_case *c = &opt_cases[i];
		struct ip6_ext e;
		assert_int_equal(ip6_ext_parse(c->hdr, c->hlen, &e), 0);
		assert_int_equal(e.len, c->hlen);
		struct ip6_opt_iter it;
		struct ip6_opt o;
		int r, n = 0;
		ip6_opt_iter_init(&it, c->hdr, e.len);
		while ((r = ip6_opt_next(&it, &o)) > 0) {
			assert_int_equal(o.type, c->types[n]);
			n++;
		}
		if (c->n_opts < 0)
			assert_int_equal(r, -1);
		else
			assert_int_equal(n, c->n_opts);
	}
	/* the option action bits (RFC 8200 4.2) */
	assert_int_equal(IP6OPT_ACTION(0x1e), 0);
	assert_int_equal(IP6OPT_ACTION(0x5e), 1);
	assert_int_equal(IP6OPT_ACTION(0x9e), 2);
	assert_int_equal(IP6OPT_ACTION(0xde), 3);
}

static void test_ext_and_frag(void **state)
{
	uint8_t b[16] = { 58, 1 };
	struct ip6_ext e;
	assert_int_equal(ip6_ext_parse(b, 15, &e), IP6_ERR_SHORT); /* says 16 */
	assert_int_equal(ip6_ext_parse(b, 7, &e), IP6_ERR_SHORT);
	assert_int_equal(ip6_ext_parse(b, 16, &e), 0);

	struct ip6_fraghdr f = { .nxt = 17, .offset = 1448, .more = true, .id = 0xdeadbeef }, g;
	uint8_t w[8];
	ip6_fraghdr_emit(w, &f);
	const uint8_t want[8] = { 17, 0, 0x05, 0xa9, 0xde, 0xad, 0xbe, 0xef };
	assert_memory_equal(w, want, 8);
	assert_int_equal(ip6_fraghdr_parse(w, 8, &g), 0);
	assert_int_equal(g.offset, 1448);
	assert_true(g.more);
	assert_int_equal(g.id, 0xdeadbeef);
	assert_int_equal(ip6_fraghdr_parse(w, 7, &g), IP6_ERR_SHORT);

	struct ip6_rthdr r;
	uint8_t rh[24] = { 58, 2, 0, 1 };
	assert_int_equal(ip6_rthdr_parse(rh, 24, &r), 0);
	assert_int_equal(r.type, 0);
	assert_int_equal(r.segleft, 1);
	assert_int_equal(r.len, 24);
}

struct chain_case {
	const char *name;
	uint8_t nxt;
	uint8_t b[40];
	uint32_t len;
	int err;
	uint8_t upper;
	uint32_t off;
	bool nonfirst;
};
static const struct chain_case chain_cases[] = {
	{ "none", 58, { 0 }, 8, 0, 58, 0, false },
	{ "hbh dst", 0, { 60, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0 }, 24, 0, 17, 16 },
	{ "first fragment", 44, { 58, 0, 0, 1, 0, 0, 0, 1 }, 16, 0, 58, 8, false },
	{ "later fragment", 44, { 58, 0, 0x05, 0xa8, 0, 0, 0, 1 }, 16, 0, 44, 0, true },
	{ "truncated dst", 60, { 58, 2 }, 16, IP6_ERR_SHORT },
	{ "ah", 51, { 58, 4, 0, 0 }, 32, 0, 58, 24, false },
};

static void test_chain_walk(void **state)
{
	for (size_t i = 0; i < sizeof(chain_cases) / sizeof(chain_cases[0]); i++) {
		const struct chain_case *c = &chain_cases[i];
		struct ip6_chain ch;
		int r = ip6_chain_walk(c->b, c->len, c->nxt, 0, 0, &ch);
		assert_int_equal(r, c->err);
		if (r)
			continue;
		assert_int_equal(ch.nxt, c->upper);
		assert_int_equal(ch.off, c->off);
		assert_int_equal(ch.frag_nonfirst, c->nonfirst);
	}
}

static void test_icmp6_err_and_eth(void **state)
{
	uint8_t b[8 + 40];
	icmp6_err_emit(b, ICMP6_PACKET_TOO_BIG, 0, 1400);
	memcpy(b + 8, linux_echo, 40);
	struct icmp6_err e;
	assert_int_equal(icmp6_err_parse(b, sizeof(b), &e), 0);
	assert_int_equal(e.type, 2);
	assert_int_equal(e.param, 1400);
	assert_int_equal(e.quoted_len, 40);
	assert_int_equal(icmp6_err_parse(b, 7, &e), -1);
	struct icmp6_hdr_info h;
	assert_int_equal(icmp6_hdr_parse(b, 3, &h), -1);
	assert_int_equal(icmp6_hdr_parse(b, 4, &h), 0);

	const uint8_t frame[14] = { 0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 9, 0x86, 0xdd };
	struct eth_hdr eh;
	assert_int_equal(eth_hdr_parse(frame, 13, &eh), -1);
	assert_int_equal(eth_hdr_parse(frame, 14, &eh), 0);
	assert_int_equal(eh.type, ETH_TYPE_IPV6);
	assert_true(eth_is_mcast(eh.dst));
	assert_false(eth_is_bcast(eh.dst));
	uint8_t out[14];
	eth_hdr_emit(out, &eh);
	assert_memory_equal(out, frame, 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_echo),
		cmocka_unit_test(test_hdr_cases),
		cmocka_unit_test(test_opt_iter),
		cmocka_unit_test(test_ext_and_frag),
		cmocka_unit_test(test_chain_walk),
		cmocka_unit_test(test_icmp6_err_and_eth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
