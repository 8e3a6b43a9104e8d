/*
 * test_arp.c - wire/arp.c as a table of cases, and ip4/arp.c on the two-interface stack of
 * ip4_harness.h: answering requests (RFC 826), learning, resolution with a bounded queue,
 * revalidation and expiry (RFC 1122 2.3.2.1), the cache limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "ip4_harness.h"

/* Linux's `arping`-style request: who has 192.0.2.1? tell 192.0.2.2 (02:..:0a) */
static const uint8_t linux_req[28] = {
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,
	0xc0, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x01,
};

static void test_wire(void **state)
{
	struct arp_pkt a;
	assert_int_equal(arp_parse(linux_req, sizeof(linux_req), &a), 0);
	assert_int_equal(a.op, ARP_OP_REQUEST);
	assert_memory_equal(a.sha, MACA, 6);
	assert_int_equal(a.spa, V4("192.0.2.2"));
	assert_int_equal(a.tpa, V4("192.0.2.1"));
	uint8_t out[28];
	arp_emit(out, &a);
	assert_memory_equal(out, linux_req, 28);

	static const struct { const char *what; int off; uint8_t val; size_t len; int want; } t[] = {
		{ "27 bytes", -1, 0, 27, ARP_ERR_SHORT },
		{ "padded to 46", -1, 0, 46, 0 },
		{ "hardware type 6 (IEEE 802)", 1, 6, 28, ARP_ERR_FORMAT },
		{ "protocol IPv6", 2, 0x86, 28, ARP_ERR_FORMAT },
		{ "hardware length 8", 4, 8, 28, ARP_ERR_FORMAT },
		{ "protocol length 16", 5, 16, 28, ARP_ERR_FORMAT },
		{ "opcode 3 (RARP)", 7, 3, 28, ARP_ERR_OP },
		{ "opcode 0", 7, 0, 28, ARP_ERR_OP },
		{ "reply", 7, 2, 28, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t b[64] = { 0 };
		memcpy(b, linux_req, 28);
		if (t[i].off >= 0)
			b[t[i].off] = t[i].val;
		int r = arp_parse(b, t[i].len, &a);
		if (r != t[i].want)
			fail_msg("%s: got %d want %d", t[i].what, r, t[i].want);
	}
}

static int setup(void **state) { ih_setup(); return 0; }
static int teardown(void **state) { ih_teardown(); return 0; }

static void test_answers_request(void **state)
{
	ih_input(I.if1, BCAST, MACA, ETH_TYPE_ARP, linux_req, sizeof(linux_req));
	assert_int_equal(I.n, 1);
	struct eth_hdr e;
	assert_int_equal(eth_hdr_parse(I.f[0].b, I.f[0].len, &e), 0);
	assert_int_equal(e.type, ETH_TYPE_ARP);
	assert_memory_equal(e.dst, MACA, 6);
	struct arp_pkt a;
	assert_int_equal(arp_parse(I.f[0].b + 14, I.f[0].len - 14, &a), 0);
	assert_int_equal(a.op, ARP_OP_REPLY);
	assert_memory_equal(a.sha, MAC1, 6);
	assert_int_equal(a.spa, V4("192.0.2.1"));
	assert_memory_equal(a.tha, MACA, 6);
	assert_int_equal(a.tpa, V4("192.0.2.2"));
	assert_int_equal(ih_count("arp", "OutReplies"), 1);
	ih_clear();

	/* not answered: a request for an address of the other interface, for someone else,
	 * one on the wrong link, and a sender claiming our own address */
	struct arp_pkt q = { .op = ARP_OP_REQUEST, .spa = V4("192.0.2.2"),
			     .tpa = V4("198.51.100.1") };
	memcpy(q.sha, MACA, 6);
	uint8_t b[28];
	arp_emit(b, &q);
	ih_input(I.if1, BCAST, MACA, ETH_TYPE_ARP, b, 28);
	q.tpa = V4("192.0.2.77");
	arp_emit(b, &q);
	ih_input(I.if1, BCAST, MACA, ETH_TYPE_ARP, b, 28);
	q.tpa = V4("192.0.2.1");
	q.spa = V4("192.0.2.1");
	arp_emit(b, &q);
	ih_input(I.if1, BCAST, MACA, ETH_TYPE_ARP, b, 28);
	assert_int_equal(I.n, 0);
	assert_int_equal(ih_count("arp", "InNotForUs"), 2);
	assert_int_equal(ih_count("arp", "InDropBadSender"), 1);
	/* garbage is counted */
	ih_input(I.if1, BCAST, MACA, ETH_TYPE_ARP, linux_req, 20);
	assert_int_equal(ih_count("arp", "InDropShort"), 1);
}

/* Sends an echo request to 198.51.100.9 through us: we must ARP for it out of tap2. */
static void send_through(uint16_t seq)
{
	uint8_t m[64], d[128];
	size_t ml = ih_echo(m, 5, seq, 16);
	size_t dl = ih_ip4(d, V4("192.0.2.2"), V4("198.51.100.9"), IP4_PROTO_ICMP, 64, true, m, ml);
	ih_input(I.if1, MAC1, MACA, ETH_TYPE_IPV4, d, dl);
}

static void test_resolve_queue(void **state)
{
	I.s->limits.arp_max_queue = 2;
	send_through(1);
	assert_int_equal(I.n, 1);   /* one broadcast request, the datagram queued */
	struct eth_hdr e;
	struct arp_pkt a;
	assert_int_equal(eth_hdr_parse(I.f[0].b, I.f[0].len, &e), 0);
	assert_int_equal(I.f[0].ifx, 2);
	assert_memory_equal(e.dst, BCAST, 6);
	assert_int_equal(arp_parse(I.f[0].b + 14, I.f[0].len - 14, &a), 0);
	assert_int_equal(a.op, ARP_OP_REQUEST);
	assert_int_equal(a.spa, V4("198.51.100.1"));
	assert_int_equal(a.tpa, V4("198.51.100.9"));
	send_through(2);
	send_through(3);            /* the queue holds 2: seq 1 goes */
	assert_int_equal(I.n, 1);   /* no second request while one is outstanding */
	assert_int_equal(ih_count("arp", "DropQueueFull"), 1);
	ih_clear();
	ih_arp_reply(I.if2, V4("198.51.100.9"), MACB, V4("198.51.100.1"), MAC2);
	assert_int_equal(I.n, 2);
	for (int i = 0; i < 2; i++) {
		struct ip4_hdr_info h;
		assert_int_equal(ih_parse(i, &e, &h), 0);
		assert_memory_equal(e.dst, MACB, 6);
		assert_memory_equal(e.src, MAC2, 6);
		assert_int_equal(h.ttl, 63);
		uint8_t *icmp = I.f[i].b + 14 + 20;
		assert_int_equal(icmp[7], 2 + i);   /* seq 2 then 3, in order */
	}
	ih_clear();
	/* resolved: sent at once */
	send_through(4);
	assert_int_equal(I.n, 1);
	struct ip4_hdr_info h;
	assert_int_equal(ih_parse(0, &e, &h), 0);
}

static void test_resolution_fails(void **state)
{
	send_through(1);
	/* RFC 1122 2.3.2.1: retransmitted, at most arp_max_probes requests, then given up */
	for (int t = 1; t <= 5; t++)
		umk_timers_run(I.s, 1000 + (umk_time_t)t * I.s->limits.arp_retrans_time);
	assert_int_equal(ih_count("arp", "OutRequests"), I.s->limits.arp_max_probes);
	assert_int_equal(ih_count("arp", "DropResolutionFailed"), 1);
	assert_int_equal(ih_count("arp", "EntriesExpired"), 1);
}

static void test_revalidate(void **state)
{
	send_through(1);
	ih_arp_reply(I.if2, V4("198.51.100.9"), MACB, V4("198.51.100.1"), MAC2);
	ih_clear();
	/* past arp_timeout the entry is still used, and checked with a unicast request */
	umk_time_t t = 1000 + I.s->limits.arp_timeout + 1;
	umk_timers_run(I.s, t);
	ih_clear();
	send_through(2);
	assert_int_equal(I.n, 2);
	struct eth_hdr e;
	assert_int_equal(eth_hdr_parse(I.f[0].b, I.f[0].len, &e), 0);
	assert_int_equal(e.type, ETH_TYPE_ARP);
	assert_memory_equal(e.dst, MACB, 6);
	struct ip4_hdr_info h;
	assert_int_equal(ih_parse(1, &e, &h), 0);
	assert_memory_equal(e.dst, MACB, 6);
	/* the neighbour answers: REACHABLE again, nothing more is sent */
	ih_arp_reply(I.if2, V4("198.51.100.9"), MACB, V4("198.51.100.1"), MAC2);
	ih_clear();
	umk_timers_run(I.s, t + 10 * I.s->limits.arp_retrans_time);
	assert_int_equal(ih_frames_of(ETH_TYPE_ARP), 0);
	assert_int_equal(ih_count("arp", "EntriesExpired"), 0);
	/* a neighbour that moved: its new MAC replaces the old (RFC 826 merge) */
	ih_arp_reply(I.if2, V4("198.51.100.9"), MACA, V4("198.51.100.1"), MAC2);
	ih_clear();
	send_through(3);
	assert_int_equal(ih_parse(0, &e, &h), 0);
	assert_memory_equal(e.dst, MACA, 6);
}

static int arp_cb(void *ctx, const struct umk_arp_info *ai)
{
	struct umk_arp_info *out = ctx;
	out[out[0].ifindex ? 1 : 0] = *ai;
	return 0;
}

static void test_list(void **state)
{
	send_through(1);
	ih_input(I.if1, BCAST, MACA, ETH_TYPE_ARP, linux_req, sizeof(linux_req));
	struct umk_arp_info got[2];
	memset(got, 0, sizeof(got));
	assert_int_equal(umk_arp_list(I.s, arp_cb, got), 0);
	/* 198.51.100.9 being resolved on tap2, 192.0.2.2 learned on tap1 (either order) */
	struct umk_arp_info *inc = got[0].state == UMK_NUD_INCOMPLETE ? &got[0] : &got[1];
	struct umk_arp_info *ok = inc == &got[0] ? &got[1] : &got[0];
	assert_int_equal(inc->state, UMK_NUD_INCOMPLETE);
	assert_false(inc->has_lladdr);
	assert_int_equal(inc->ifindex, I.if2);
	assert_int_equal(ntohl(inc->addr.s_addr), V4("198.51.100.9"));
	assert_int_equal(ok->state, UMK_NUD_REACHABLE);
	assert_true(ok->has_lladdr);
	assert_memory_equal(ok->lladdr, MACA, 6);
	assert_int_equal(ntohl(ok->addr.s_addr), V4("192.0.2.2"));
}

static void test_cache_limit(void **state)
{
	I.s->limits.arp_max_entries = 2;
	uint8_t m[64], d[128];
	size_t ml = ih_echo(m, 5, 1, 8);
	for (int i = 0; i < 4; i++) {
		char a[32];
		snprintf(a, sizeof(a), "198.51.100.%d", 10 + i);
		size_t dl = ih_ip4(d, V4("192.0.2.2"), V4(a), IP4_PROTO_ICMP, 64, true, m, ml);
		ih_input(I.if1, MAC1, MACA, ETH_TYPE_IPV4, d, dl);
	}
	assert_int_equal(ih_count("arp", "EntriesCreated"), 2);
	assert_int_equal(ih_count("arp", "DropCacheFull"), 2);
	assert_int_equal(ih_count("arp", "OutRequests"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire),
		cmocka_unit_test_setup_teardown(test_answers_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolution_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revalidate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
