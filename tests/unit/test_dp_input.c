/*
 * test_dp_input.c - IPv6 input (RFC 8200) through the whole receive path: frames fed with
 * umk_input into a one-interface stack (dp_harness.h), checking the named drop counter and
 * the ICMPv6 message sent back, if any. Cases marked needs_addrs rely on addrconf.c for our
 * unicast addresses and are skipped without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dp_harness.h"

enum l4 { L4_ECHO, L4_UDP, L4_UDP_ZERO_CSUM, L4_NONE };

struct in_case {
	const char *name;
	const char *src, *dst;
	bool mcast_mac;
	uint8_t nxt;                  /* first Next Header */
	uint8_t ext[32];              /* extension headers, as on the wire */
	uint32_t ext_len;
	enum l4 l4;
	int version;                  /* 0: 6 */
	int plen_delta;               /* added to the Payload Length field */
	uint32_t trailer;             /* link padding after the packet */
	int counter;                  /* CNT_* that must move, or -1 */
	int icmp_type;                /* expected ICMPv6 sent, -1 none */
	int icmp_code;
	int param;                    /* expected pointer, -1 unchecked */
	bool needs_addrs;
};

#define NONE -1, -1, -1
static const struct in_case cases[] = {
	{ "bad version", "fe80::2", "ff02::1", true, 58, {0}, 0, L4_ECHO, 4, 0, 0,
	  CNT_IP6_DROP_VERSION, NONE, false },
	{ "payload length beyond frame", "fe80::2", "ff02::1", true, 58, {0}, 0, L4_ECHO, 0, 8,
	  0, CNT_IP6_DROP_PLEN, NONE, false },
	{ "multicast source", "ff02::2", "ff02::1", true, 58, {0}, 0, L4_ECHO, 0, 0, 0,
	  CNT_IP6_DROP_SRC_MCAST, NONE, false },
	{ "loopback source from the wire", "::1", "ff02::1", true, 58, {0}, 0, L4_ECHO, 0, 0, 0,
	  CNT_IP6_DROP_SRC_LOOPBACK, NONE, false },
	{ "loopback destination from the wire", "fe80::2", "::1", false, 58, {0}, 0, L4_ECHO, 0,
	  0, 0, CNT_IP6_DROP_DST_LOOPBACK, NONE, false },
	{ "IPv4-mapped source", "::ffff:10.1.0.2", "ff02::1", true, 58, {0}, 0, L4_ECHO, 0, 0, 0,
	  CNT_IP6_DROP_V4MAPPED, NONE, false },
	{ "IPv4-mapped destination", "fe80::2", "::ffff:10.2.0.5", false, 58, {0}, 0, L4_ECHO,
	  0, 0, 0, CNT_IP6_DROP_V4MAPPED, NONE, false },
	{ "interface-local multicast from the wire", "fe80::2", "ff01::1", true, 58, {0}, 0,
	  L4_ECHO, 0, 0, 0, CNT_IP6_DROP_DST_IFLOCAL, NONE, false },
	{ "group not joined", "fe80::2", "ff02::1234", true, 58, {0}, 0, L4_ECHO, 0, 0, 0,
	  CNT_IP6_DROP_NOT_MEMBER, NONE, false },
	{ "not our address", "2001:db8::2", "2001:db8::99", false, 58, {0}, 0, L4_ECHO, 0, 0, 0,
	  CNT_IP6_DROP_NOT_OURS, NONE, false },
	/* RFC 8200 4.2 option actions, to a group: 00 skips, 01 and 11 drop silently, 10
	 * drops with Parameter Problem code 2 even for multicast */
	{ "option 00 skipped, multicast echo answered", "fe80::2", "ff02::1", true, 0,
	  { 58, 0, 0x1e, 4, 0, 0, 0, 0 }, 8, L4_ECHO, 0, 0, 0, CNT_IP6_IN_DELIVERS,
	  ICMP6_ECHO_REPLY, 0, -1, true },
	{ "option 01 to multicast: silent", "fe80::2", "ff02::1", true, 0,
	  { 58, 0, 0x5e, 4, 0, 0, 0, 0 }, 8, L4_ECHO, 0, 0, 0, CNT_IP6_DROP_OPT_UNKNOWN, NONE,
	  false },
	{ "option 11 to multicast: silent", "fe80::2", "ff02::1", true, 0,
	  { 58, 0, 0xde, 4, 0, 0, 0, 0 }, 8, L4_ECHO, 0, 0, 0, CNT_IP6_DROP_OPT_UNKNOWN, NONE,
	  false },
	{ "option 10 to multicast: Parameter Problem 2", "fe80::2", "ff02::1", true, 0,
	  { 58, 0, 0x9e, 4, 0, 0, 0, 0 }, 8, L4_ECHO, 0, 0, 0, CNT_IP6_DROP_OPT_UNKNOWN,
	  ICMP6_PARAM_PROB, ICMP6_PP_OPTION, 42, true },
	{ "option 11 to unicast: Parameter Problem 2", "fe80::2", "fe80::1", false, 0,
	  { 60, 0, 1, 0, 0xde, 0, 0, 0, 58, 0, 1, 0, 1, 0, 0xc1, 0 }, 16, L4_ECHO, 0, 0, 0,
	  CNT_IP6_DROP_OPT_UNKNOWN, ICMP6_PARAM_PROB, ICMP6_PP_OPTION, 44, true },
	{ "option overruns header", "fe80::2", "ff02::1", true, 0,
	  { 58, 0, 1, 9, 0, 0, 0, 0 }, 8, L4_ECHO, 0, 0, 0, CNT_IP6_DROP_OPT_BAD_TLV, NONE,
	  false },
	{ "router alert recorded", "fe80::2", "ff02::1", true, 0,
	  { 58, 0, 5, 2, 0, 0, 1, 0 }, 8, L4_ECHO, 0, 0, 0, CNT_IP6_IN_ROUTER_ALERT,
	  ICMP6_ECHO_REPLY, 0, -1, true },
	{ "hop-by-hop not first", "fe80::2", "fe80::1", false, 60,
	  { 0, 0, 1, 4, 0, 0, 0, 0, 58, 0, 1, 4, 0, 0, 0, 0 }, 16, L4_ECHO, 0, 0, 0,
	  CNT_IP6_DROP_HBH_NOT_FIRST, ICMP6_PARAM_PROB, ICMP6_PP_NEXTHEADER, 40, true },
	{ "unknown next header", "fe80::2", "fe80::1", false, 253, {0}, 0, L4_ECHO, 0, 0, 0,
	  CNT_IP6_DROP_UNKNOWN_NXT, ICMP6_PARAM_PROB, ICMP6_PP_NEXTHEADER, 6, true },
	{ "unknown next header after dst opts", "fe80::2", "fe80::1", false, 60,
	  { 253, 0, 1, 4, 0, 0, 0, 0 }, 8, L4_ECHO, 0, 0, 0, CNT_IP6_DROP_UNKNOWN_NXT,
	  ICMP6_PARAM_PROB, ICMP6_PP_NEXTHEADER, 40, true },
	{ "unknown next header to multicast: no error", "fe80::2", "ff02::1", true, 253, {0}, 0,
	  L4_ECHO, 0, 0, 0, CNT_IP6_DROP_UNKNOWN_NXT, NONE, false },
	{ "RH0 with segments left", "fe80::2", "fe80::1", false, 43,
	  { 58, 2, 0, 1, 0, 0, 0, 0, 0x20, 1, 0xd, 0xb8, [23] = 9 }, 24, L4_ECHO, 0, 0, 0,
	  CNT_IP6_DROP_RH_UNKNOWN, ICMP6_PARAM_PROB, ICMP6_PP_HEADER, 42, true },
	{ "routing header, segments left 0", "fe80::2", "fe80::1", false, 43,
	  { 58, 2, 0, 0, 0, 0, 0, 0, 0x20, 1, 0xd, 0xb8, [23] = 9 }, 24, L4_ECHO, 0, 0, 0,
	  CNT_IP6_IN_RH_IGNORED, ICMP6_ECHO_REPLY, 0, -1, true },
	{ "no next header", "fe80::2", "fe80::1", false, 59, {0}, 0, L4_NONE, 0, 0, 0,
	  CNT_IP6_DROP_NO_NEXT_HDR, NONE, true },
	{ "udp: port unreachable", "2001:db8::2", "2001:db8::1", false, 17, {0}, 0, L4_UDP, 0,
	  0, 0, CNT_IP6_DROP_UDP_NO_PORT, ICMP6_DST_UNREACH, ICMP6_DU_PORT, -1, true },
	{ "udp: zero checksum", "2001:db8::2", "2001:db8::1", false, 17, {0}, 0,
	  L4_UDP_ZERO_CSUM, 0, 0, 0, CNT_IP6_DROP_UDP_ZERO_CSUM, NONE, true },
	{ "echo with link padding", "2001:db8::2", "2001:db8::1", false, 58, {0}, 0, L4_ECHO,
	  0, 0, 6, CNT_IP6_IN_DELIVERS, ICMP6_ECHO_REPLY, 0, -1, true },
	{ "atomic fragment", "fe80::2", "fe80::1", false, 44, { 58, 0, 0, 0, 0, 0, 0, 7 }, 8,
	  L4_ECHO, 0, 0, 0, CNT_IP6_REASM_ATOMIC, ICMP6_ECHO_REPLY, 0, -1, true },
};

static void run_case(const struct in_case *c)
{
	uint8_t pay[256], f[400];
	struct in6_addr src = A(c->src), dst = A(c->dst);
	uint32_t n = c->ext_len;

	memcpy(pay, c->ext, c->ext_len);
	uint8_t *l4 = pay + n;
	switch (c->l4) {
	case L4_ECHO:
		icmp6_echo_emit(l4, ICMP6_ECHO_REQUEST, 0x1234, 1);
		for (int i = 0; i < 16; i++)
			l4[8 + i] = (uint8_t)i;
		dp_icmp_csum(l4, 24, &src, &dst);
		n += 24;
		break;
	case L4_UDP:
	case L4_UDP_ZERO_CSUM: {
		uint8_t u[12] = { 0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 'a', 'b', 'c', 'd' };
		memcpy(l4, u, sizeof(u));
		if (c->l4 == L4_UDP) {
			uint16_t k = csum_ip6(&src, &dst, 17, l4, 12);
			l4[6] = (uint8_t)(k >> 8);
			l4[7] = (uint8_t)k;
		}
		n += 12;
		break;
	}
	case L4_NONE:
		break;
	}
	uint8_t dmac[6];
	if (c->mcast_mac)
		memcpy(dmac, (uint8_t[]){ 0x33, 0x33, dst.s6_addr[12], dst.s6_addr[13],
					  dst.s6_addr[14], dst.s6_addr[15] }, 6);
	else
		memcpy(dmac, MAC_US, 6);
	size_t len = dp_frame(f, dmac, &src, &dst, c->nxt, 64, pay, n);
	if (c->version)
		f[14] = (uint8_t)(c->version << 4);
	uint16_t plen = (uint16_t)(n + c->plen_delta);
	f[18] = (uint8_t)(plen >> 8);
	f[19] = (uint8_t)plen;
	memset(f + len, 0xee, c->trailer);
	len += c->trailer;

	uint64_t before = H.s->counters[c->counter];
	umk_input(H.s, H.ifx, f, len);
	assert_true(H.s->counters[c->counter] > before);

	struct dp_seen v;
	if (c->icmp_type < 0) {
		/* nothing at all on the wire */
		assert_int_equal(H.n, 0);
		return;
	}
	int i = dp_find_icmp((uint8_t)c->icmp_type, &v);
	if (i < 0)
		print_error("case '%s': no ICMPv6 type %d sent (%d frames)\n", c->name,
			    c->icmp_type, H.n);
	assert_true(i >= 0);
	assert_int_equal(v.l4[1], c->icmp_code);
	assert_true(IN6_ARE_ADDR_EQUAL(&v.ip.dst, &src));
	assert_int_equal(csum_ip6(&v.ip.src, &v.ip.dst, 58, v.l4, v.l4_len), 0);
	if (c->icmp_type == ICMP6_ECHO_REPLY && !IN6_IS_ADDR_MULTICAST(&dst))
		assert_true(IN6_ARE_ADDR_EQUAL(&v.ip.src, &dst));
	if (c->icmp_type == ICMP6_ECHO_REPLY)
		assert_false(IN6_IS_ADDR_MULTICAST(&v.ip.src)); /* RFC 4443 4.2 */
	if (c->param >= 0) {
		uint32_t p = (uint32_t)v.l4[4] << 24 | (uint32_t)v.l4[5] << 16 |
			     (uint32_t)v.l4[6] << 8 | v.l4[7];
		assert_int_equal(p, c->param);
		/* the error quotes the invoking packet from its IPv6 header */
		assert_memory_equal(v.l4 + 8, f + 14, 40);
	}
}

static void test_input_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct in_case *c = &cases[i];
		dp_setup(c->needs_addrs);
		if (c->needs_addrs && !dp_have_addrs()) {
			print_message("skip '%s': needs addrconf\n", c->name);
			dp_teardown();
			continue;
		}
		print_message("case: %s\n", c->name);
		run_case(c);
		dp_teardown();
	}
}

/* Ethernet filtering (link/eth.c). */
static void test_eth_filter(void **state)
{
	dp_setup(false);
	uint8_t f[80] = { 2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 2, 0x86, 0xdd };
	umk_input(H.s, H.ifx, f, sizeof(f));
	assert_int_equal(H.s->counters[CNT_ETH_IN_DROP_NOT_OURS], 1);
	memcpy(f, MAC_US, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	umk_input(H.s, H.ifx, f, sizeof(f));
	/* ARP goes to ip4/arp.c, which drops these zeros as not Ethernet/IPv4 */
	assert_int_equal(H.s->counters[CNT_ARP_IN_PKTS], 1);
	assert_int_equal(H.s->counters[CNT_ARP_DROP_FORMAT], 1);
	umk_input(H.s, H.ifx, f, 10);
	assert_int_equal(H.s->counters[CNT_ETH_IN_DROP_SHORT], 1);
	/* short IPv6 header */
	f[12] = 0x86;
	f[13] = 0xdd;
	umk_input(H.s, H.ifx, f, 30);
	assert_int_equal(H.s->counters[CNT_IP6_DROP_SHORT], 1);
	dp_teardown();
}

/* RFC 4443 2.4 (f): the token bucket limits errors; the excess is counted. */
static void test_error_ratelimit(void **state)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.limits.icmp6_rate = 10;
	cfg.limits.icmp6_burst = 5;
	dp_setup_cfg(&cfg, true);
	if (!dp_have_addrs()) {
		dp_teardown();
		skip();
	}
	struct in6_addr src = A("2001:db8::2"), dst = A("2001:db8::1");
	uint8_t f[200], u[12] = { 0x30, 0x39, 0, 0x35, 0, 12, 0, 0, 1, 2, 3, 4 };
	uint16_t k = csum_ip6(&src, &dst, 17, u, 12);
	u[6] = (uint8_t)(k >> 8);
	u[7] = (uint8_t)k;
	size_t len = dp_frame(f, MAC_US, &src, &dst, 17, 64, u, 12);
	for (int i = 0; i < 20; i++)
		umk_input(H.s, H.ifx, f, len);
	assert_int_equal(H.n, 5);
	assert_int_equal(H.s->counters[CNT_ICMP6_ERR_RATELIMITED], 15);
	/* 10 per second: after 500 ms, 5 more */
	umk_timers_run(H.s, 1500);
	dp_clear();
	for (int i = 0; i < 20; i++)
		umk_input(H.s, H.ifx, f, len);
	assert_int_equal(H.n, 5);
	dp_teardown();
}

/* Echo to ourselves goes through the loopback queue, never the wire (RFC 4291 2.5.3-like
 * local delivery), and the reply reaches the echo handler. */
static int got_reply;
static void on_echo(void *ctx, const struct umk_echo_event *ev)
{
	if (ev->icmp_type == ICMP6_ECHO_REPLY && ev->seq == 7 && !ev->truncated_or_bad)
		got_reply++;
}

static void test_echo_self(void **state)
{
	dp_setup(true);
	if (!dp_have_addrs()) {
		dp_teardown();
		skip();
	}
	struct in6_addr me = A("2001:db8::1");
	got_reply = 0;
	umk_echo_set_handler(H.s, on_echo, NULL);
	assert_int_equal(umk_echo_send(H.s, &me, 0, 0, 1, 7, 3000, 0), 0);
	assert_int_equal(got_reply, 1);
	assert_int_equal(H.n, 0);
	dp_teardown();
}

/* A 4000-byte echo to the peer leaves in fragments of the link MTU, multiples of 8, with
 * one Identification; with DONTFRAG semantics absent, never an atomic fragment. */
static void test_output_fragments(void **state)
{
	dp_setup(true);
	if (!dp_have_addrs()) {
		dp_teardown();
		skip();
	}
	struct in6_addr peer = A("2001:db8::2");
	assert_int_equal(umk_echo_send(H.s, &peer, 0, 0, 1, 1, 4000, 0), 0);
	assert_int_equal(H.n, 3);
	uint32_t next = 0, id = 0;
	for (int i = 0; i < H.n; i++) {
		struct dp_seen v;
		assert_int_equal(dp_parse(i, &v), 0);
		assert_true(v.frag);
		assert_true(H.len[i] - 14 <= 1500);
		if (i == 0)
			id = v.fh.id;
		assert_int_equal(v.fh.id, id);
		assert_int_equal(v.fh.offset, next);
		uint32_t dlen = v.ip.plen - 8;
		assert_int_equal(v.fh.more, i < H.n - 1);
		if (v.fh.more)
			assert_int_equal(dlen % 8, 0);
		next += dlen;
	}
	assert_int_equal(next, 4008);
	assert_int_equal(H.s->counters[CNT_IP6_OUT_FRAG_CREATES], 3);
	dp_teardown();
}

/* RFC 8201: a Packet Too Big lowers the path MTU, never below 1280 and never up. */
static void test_ptb(void **state)
{
	dp_setup(true);
	if (!dp_have_addrs()) {
		dp_teardown();
		skip();
	}
	struct in6_addr peer = A("2001:db8::2"), me = A("2001:db8::1");
	struct umk_if *ifp = if_get(H.s, H.ifx);
	uint32_t mtus[] = { 1400, 1000, 1450 }, want[] = { 1400, 1280, 1280 };
	for (int k = 0; k < 3; k++) {
		uint8_t msg[8 + 48], f[200];
		icmp6_err_emit(msg, ICMP6_PACKET_TOO_BIG, 0, mtus[k]);
		struct ip6_hdr_info q = { .plen = 1452, .nxt = 58, .hlim = 64, .src = me,
					  .dst = peer };
		ip6_hdr_emit(msg + 8, &q);
		icmp6_echo_emit(msg + 48, ICMP6_ECHO_REQUEST, 1, 1);
		dp_icmp_csum(msg, sizeof(msg), &peer, &me);
		size_t len = dp_frame(f, MAC_US, &peer, &me, 58, 64, msg, sizeof(msg));
		umk_input(H.s, H.ifx, f, len);
		assert_int_equal(pmtu_get(H.s, ifp, &peer), want[k]);
	}
	/* RFC 8201 5.3: it ages out */
	umk_timers_run(H.s, 1000 + 11 * 60 * 1000);
	assert_int_equal(pmtu_get(H.s, ifp, &peer), 1500);
	dp_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_input_cases),
		cmocka_unit_test(test_eth_filter),
		cmocka_unit_test(test_error_ratelimit),
		cmocka_unit_test(test_echo_self),
		cmocka_unit_test(test_output_fragments),
		cmocka_unit_test(test_ptb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
