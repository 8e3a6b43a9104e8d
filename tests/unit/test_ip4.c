/*
 * test_ip4.c - ip4/input.c and ip4/addr4.c on the two-interface stack of ip4_harness.h:
 * echo (RFC 792), header checks (RFC 791 / RFC 1812 5.2.2) each with its counter,
 * forwarding over connected and static routes (RFC 1812 5.2), Time Exceeded, Net
 * Unreachable, Fragmentation Needed with the next-hop MTU (RFC 1191 4), addresses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "ip4_harness.h"

static int setup(void **state)
{
	ih_setup();
	/* peer A on tap1 and peer B on tap2 are resolved (their requests taught us) */
	ih_arp_reply(I.if1, V4("192.0.2.2"), MACA, V4("192.0.2.1"), MAC1);
	ih_arp_reply(I.if2, V4("198.51.100.9"), MACB, V4("198.51.100.1"), MAC2);
	ih_clear();
	return 0;
}
static int teardown(void **state) { ih_teardown(); return 0; }

/* The ICMP message of recorded frame i (after its IPv4 header), and the header. */
static const uint8_t *icmp_of(int i, struct ip4_hdr_info *h, struct icmp4_hdr *ih)
{
	struct eth_hdr e;
	if (ih_parse(i, &e, h) || h->proto != IP4_PROTO_ICMP)
		return NULL;
	const uint8_t *m = I.f[i].b + 14 + h->hlen;
	if (icmp4_hdr_parse(m, h->total_len - h->hlen, ih))
		return NULL;
	return m;
}

static void from_a(uint32_t dst, uint8_t ttl, bool df, size_t data)
{
	uint8_t m[1600], d[1700];
	size_t ml = ih_echo(m, 0x77, 3, data);
	size_t dl = ih_ip4(d, V4("192.0.2.2"), dst, IP4_PROTO_ICMP, ttl, df, m, ml);
	ih_input(I.if1, MAC1, MACA, ETH_TYPE_IPV4, d, dl);
}

static void test_echo(void **state)
{
	from_a(V4("192.0.2.1"), 64, true, 56);
	assert_int_equal(ih_frames_of(ETH_TYPE_IPV4), 1);
	struct ip4_hdr_info h;
	struct icmp4_hdr ih;
	const uint8_t *m = icmp_of(0, &h, &ih);
	assert_non_null(m);
	assert_int_equal(I.f[0].ifx, 1);
	assert_int_equal(h.src, V4("192.0.2.1"));
	assert_int_equal(h.dst, V4("192.0.2.2"));
	assert_int_equal(ih.type, ICMP4_ECHO_REPLY);
	assert_int_equal(ih.ident, 0x77);
	assert_int_equal(ih.seq, 3);
	assert_int_equal(h.total_len, 20 + 8 + 56);
	for (int i = 0; i < 56; i++)
		assert_int_equal(m[8 + i], (uint8_t)i);
	/* the weak host model: tap2's address answers on tap1 too */
	ih_clear();
	from_a(V4("198.51.100.1"), 64, true, 8);
	assert_non_null(icmp_of(0, &h, &ih));
	assert_int_equal(h.src, V4("198.51.100.1"));
	/* broadcast echo is not answered (RFC 1122 3.2.2.6 MAY) */
	ih_clear();
	from_a(V4("192.0.2.255"), 64, true, 8);
	assert_int_equal(ih_frames_of(ETH_TYPE_IPV4), 0);
	assert_int_equal(ih_count("icmp4", "InDropEchoToBroadcast"), 1);
	assert_int_equal(ih_count("icmp4", "OutEchoReps"), 2);
}

static void test_bad_input(void **state)
{
	uint8_t m[64], d[128];
	size_t ml = ih_echo(m, 1, 1, 8);
	static const struct { const char *what; int off; uint8_t val; size_t cut; uint32_t src;
			      const char *counter; } t[] = {
		{ "bad checksum", 10, 0x00, 0, 0, "InDropBadHeaderChecksum" },
		{ "version 5", 0, 0x55, 0, 0, "InDropBadVersion" },
		{ "IHL 3", 0, 0x43, 0, 0, "InDropBadHeaderLength" },
		{ "truncated", -1, 0, 5, 0, "InDropTotalLengthBeyondFrame" },
		{ "loopback source", -1, 0, 0, 0x7f000001, "InDropMartianSource" },
		{ "multicast source", -1, 0, 0, 0xe0000001, "InDropMartianSource" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t src = t[i].src ? t[i].src : V4("192.0.2.2");
		size_t dl = ih_ip4(d, src, V4("192.0.2.1"), IP4_PROTO_ICMP, 64, true, m, ml);
		if (t[i].off >= 0)
			d[t[i].off] = t[i].val;
		uint64_t before = ih_count("ip4", t[i].counter);
		ih_input(I.if1, MAC1, MACA, ETH_TYPE_IPV4, d, dl - t[i].cut);
		if (ih_count("ip4", t[i].counter) != before + 1)
			fail_msg("%s: %s not counted", t[i].what, t[i].counter);
	}
	assert_int_equal(ih_frames_of(ETH_TYPE_IPV4), 0);
	/* a bad ICMP checksum */
	m[9] ^= 0xff;
	size_t dl = ih_ip4(d, V4("192.0.2.2"), V4("192.0.2.1"), IP4_PROTO_ICMP, 64, true, m, ml);
	ih_input(I.if1, MAC1, MACA, ETH_TYPE_IPV4, d, dl);
	assert_int_equal(ih_count("icmp4", "InErrors"), 1);
	/* UDP to us: Protocol Unreachable quoting the datagram */
	dl = ih_ip4(d, V4("192.0.2.2"), V4("192.0.2.1"), 17, 64, true, m, ml);
	ih_input(I.if1, MAC1, MACA, ETH_TYPE_IPV4, d, dl);
	struct ip4_hdr_info h;
	struct icmp4_hdr ih;
	const uint8_t *q = icmp_of(0, &h, &ih);
	assert_non_null(q);
	assert_int_equal(ih.type, ICMP4_DEST_UNREACH);
	assert_int_equal(ih.code, ICMP4_UNREACH_PROTO);
	assert_memory_equal(q + 8, d, dl);
	assert_int_equal(ih_count("ip4", "InDropUnknownProtocol"), 1);
}

static void test_forward(void **state)
{
	from_a(V4("198.51.100.9"), 64, true, 32);
	assert_int_equal(ih_frames_of(ETH_TYPE_IPV4), 1);
	struct eth_hdr e;
	struct ip4_hdr_info h;
	assert_int_equal(ih_parse(0, &e, &h), 0);   /* the checksum is right after TTL-1 */
	assert_int_equal(I.f[0].ifx, 2);
	assert_memory_equal(e.dst, MACB, 6);
	assert_int_equal(h.ttl, 63);
	assert_int_equal(h.src, V4("192.0.2.2"));
	assert_int_equal(ih_count("ip4", "InForwDatagrams"), 1);

	/* a static route via peer B */
	struct in_addr dst, gw;
	inet_pton(AF_INET, "10.2.0.0", &dst);
	inet_pton(AF_INET, "198.51.100.9", &gw);
	assert_int_equal(umk_route4_add(I.s, &dst, 16, &gw, 0, 1024), 0);
	assert_int_equal(umk_route4_add(I.s, &dst, 16, &gw, 0, 1024), -EEXIST);
	inet_pton(AF_INET, "203.0.113.1", &gw);
	assert_int_equal(umk_route4_add(I.s, &dst, 16, &gw, 0, 1024), -ENETUNREACH);
	inet_pton(AF_INET, "10.2.0.1", &dst);
	assert_int_equal(umk_route4_add(I.s, &dst, 16, NULL, I.if2, 1), -EINVAL); /* host bits */
	ih_clear();
	from_a(V4("10.2.3.4"), 64, true, 32);
	assert_int_equal(ih_parse(0, &e, &h), 0);
	assert_memory_equal(e.dst, MACB, 6);
	assert_int_equal(h.dst, V4("10.2.3.4"));

	/* an IPv6 default route is no IPv4 route: Net Unreachable */
	struct in6_addr any = { 0 }, gw6;
	inet_pton(AF_INET6, "fe80::99", &gw6);
	assert_int_equal(umk_route_add(I.s, &any, 0, &gw6, I.if2, 1024), 0);
	ih_clear();
	from_a(V4("10.3.0.1"), 64, true, 32);
	struct icmp4_hdr ih;
	const uint8_t *q = icmp_of(0, &h, &ih);
	assert_non_null(q);
	assert_int_equal(I.f[0].ifx, 1);
	assert_int_equal(ih.type, ICMP4_DEST_UNREACH);
	assert_int_equal(ih.code, ICMP4_UNREACH_NET);
	assert_int_equal(h.src, V4("192.0.2.1"));
	assert_int_equal(ih_count("ip4", "FwdDropNoRoute"), 1);

	/* forwarding off on the receiving interface: dropped, counted */
	if_get(I.s, I.if1)->conf.forwarding = 0;
	ih_clear();
	from_a(V4("198.51.100.9"), 64, true, 32);
	assert_int_equal(ih_frames_of(ETH_TYPE_IPV4), 0);
	assert_int_equal(ih_count("ip4", "InDropNotForUsNotForwarding"), 1);
}

static void test_ttl_and_mtu(void **state)
{
	/* RFC 1812 5.3.1: TTL 1 is not forwarded: Time Exceeded from tap1's address */
	from_a(V4("198.51.100.9"), 1, true, 32);
	struct ip4_hdr_info h;
	struct icmp4_hdr ih;
	const uint8_t *q = icmp_of(0, &h, &ih);
	assert_non_null(q);
	assert_int_equal(ih.type, ICMP4_TIME_EXCEEDED);
	assert_int_equal(ih.code, 0);
	assert_int_equal(h.src, V4("192.0.2.1"));
	struct ip4_hdr_info qh;
	assert_int_equal(ip4_hdr_parse(q + 8, h.total_len - h.hlen - 8, &qh), 0);
	assert_int_equal(qh.dst, V4("198.51.100.9"));
	assert_int_equal(ih_count("ip4", "FwdDropTtlExceeded"), 1);

	/* RFC 1191: DF and too big for tap2 (MTU 1400 here): code 4 with MTU 1400 */
	if_get(I.s, I.if2)->device_mtu = 1400;
	ih_clear();
	from_a(V4("198.51.100.9"), 64, true, 1400);
	q = icmp_of(0, &h, &ih);
	assert_non_null(q);
	assert_int_equal(ih.type, ICMP4_DEST_UNREACH);
	assert_int_equal(ih.code, ICMP4_UNREACH_NEEDFRAG);
	assert_int_equal(ih.mtu, 1400);
	assert_int_equal(ih_count("ip4", "FwdDropTooBigDF"), 1);
	/* without DF: we do not fragment, the drop is counted */
	ih_clear();
	from_a(V4("198.51.100.9"), 64, false, 1400);
	assert_int_equal(ih_frames_of(ETH_TYPE_IPV4), 0);
	assert_int_equal(ih_count("ip4", "FwdDropTooBigNoFragmentation"), 1);
	/* exactly the MTU passes */
	from_a(V4("198.51.100.9"), 64, true, 1400 - 28);
	assert_int_equal(ih_frames_of(ETH_TYPE_IPV4), 1);
	/* no ICMP error about an ICMP error (RFC 1812 4.3.2.7) */
	ih_clear();
	uint8_t m[64], d[128];
	struct icmp4_hdr te = { .type = ICMP4_TIME_EXCEEDED };
	memset(m, 0, sizeof(m));
	icmp4_emit(m, 36, &te);
	size_t dl = ih_ip4(d, V4("192.0.2.2"), V4("198.51.100.9"), IP4_PROTO_ICMP, 1, true, m, 36);
	ih_input(I.if1, MAC1, MACA, ETH_TYPE_IPV4, d, dl);
	assert_int_equal(ih_frames_of(ETH_TYPE_IPV4), 0);
	assert_int_equal(ih_count("icmp4", "OutErrorNotAllowed"), 1);
}

static int count_addr(void *ctx, const struct umk_addr4_info *ai)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_addresses(void **state)
{
	struct in_addr a;
	inet_pton(AF_INET, "192.0.2.1", &a);
	assert_int_equal(umk_addr4_add(I.s, I.if2, &a, 24), -EEXIST);
	static const struct { const char *a; unsigned plen; int want; } t[] = {
		{ "192.0.2.0", 24, -EINVAL },       /* the subnet */
		{ "192.0.2.255", 24, -EINVAL },     /* its broadcast */
		{ "127.0.0.2", 8, -EINVAL },
		{ "224.0.0.1", 24, -EINVAL },
		{ "0.1.2.3", 8, -EINVAL },
		{ "10.0.0.1", 33, -EINVAL },
		{ "10.9.9.0", 31, 0 },               /* RFC 3021 */
		{ "10.8.8.8", 32, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		inet_pton(AF_INET, t[i].a, &a);
		int r = umk_addr4_add(I.s, I.if2, &a, t[i].plen);
		if (r != t[i].want)
			fail_msg("%s/%u: got %d want %d", t[i].a, t[i].plen, r, t[i].want);
	}
	int n = 0;
	umk_addr4_list(I.s, 0, count_addr, &n);
	assert_int_equal(n, 4);
	n = 0;
	umk_addr4_list(I.s, I.if1, count_addr, &n);
	assert_int_equal(n, 1);
	/* deleting the address removes its connected route: no more forwarding there */
	inet_pton(AF_INET, "198.51.100.1", &a);
	assert_int_equal(umk_addr4_del(I.s, I.if2, &a, 16), -ENOENT);
	assert_int_equal(umk_addr4_del(I.s, I.if2, &a, 24), 0);
	from_a(V4("198.51.100.9"), 64, true, 8);
	struct ip4_hdr_info h;
	struct icmp4_hdr ih;
	assert_non_null(icmp_of(0, &h, &ih));
	assert_int_equal(ih.type, ICMP4_DEST_UNREACH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_and_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
