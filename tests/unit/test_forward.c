/*
 * test_forward.c - a router's forwarding rules (ip6/forward.c), one table row per rule:
 * hop limit, routes (none, reject, blackhole, ECMP), scope (RFC 4007 9), source and
 * destination checks, Packet Too Big, Redirect (RFC 4861 8.2), and the counters.
 *
 *   host A 2001:db8:1::2 ---- eth0 [router] eth1 ---- host B 2001:db8:2::2
 *   (02:..:0a, fe80::a)       2001:db8:1::1  2001:db8:2::1      (02:..:0b, fe80::b)
 *   router R2 fe80::99 (02:..:99) on eth0 reaches 2001:db8:99::/48; eth1 MTU 1400.
 *   gw1 fe80::c1, gw2 fe80::c2 on eth1 share 2001:db8:ec::/48 (ECMP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <umikame/router.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/route6.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"
#include "wire/nd.h"

#define MAXF 64

struct rec {
	int ifx;
	uint8_t f[2048];
	size_t len;
};
static struct umk_stack *S;
static struct rec R[MAXF];
static int NR;
static int IF0, IF1;

static int tx0(void *ctx, const void *f, size_t len);
static int tx1(void *ctx, const void *f, size_t len);
static const struct umk_link_ops ops0 = { .transmit = tx0 }, ops1 = { .transmit = tx1 };

static int rec(int ifx, const void *f, size_t len)
{
	if (NR < MAXF && len <= sizeof(R[0].f)) {
		R[NR].ifx = ifx;
		memcpy(R[NR].f, f, len);
		R[NR++].len = len;
	}
	return 0;
}
static int tx0(void *ctx, const void *f, size_t len) { return rec(IF0, f, len); }
static int tx1(void *ctx, const void *f, size_t len) { return rec(IF1, f, len); }

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	inet_pton(AF_INET6, s, &a);
	return a;
}

#define ADDR_EQ(a, s) \
	do { \
		struct in6_addr x_ = A(s); \
		assert_memory_equal((a), &x_, 16); \
	} while (0)

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0x0a }, MAC_B[6] = { 2, 0, 0, 0, 0, 0x0b };
static const uint8_t MAC_R2[6] = { 2, 0, 0, 0, 0, 0x99 }, MAC_US0[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t MAC_C1[6] = { 2, 0, 0, 0, 0, 0xc1 }, MAC_C2[6] = { 2, 0, 0, 0, 0, 0xc2 };

static void neigh(int ifx, const char *a, const uint8_t *mac, bool router)
{
	struct in6_addr x = A(a);
	assert_int_equal(umk_neigh_add(S, ifx, &x, mac, router), 0);
}

static void setup_router(void)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.log_level = UMK_LOG_ERR;
	S = umk_stack_new(&cfg, 1000);
	struct umk_if_params p0 = { .name = "eth0", .mtu = 1500, .ops = &ops0,
				    .lladdr = { 2, 0, 0, 0, 0, 1 } };
	struct umk_if_params p1 = { .name = "eth1", .mtu = 1500, .ops = &ops1,
				    .lladdr = { 2, 0, 0, 0, 0, 2 } };
	IF0 = umk_if_add(S, &p0);
	IF1 = umk_if_add(S, &p1);
	for (int x = IF0; x <= IF1; x++) {
		if_get(S, x)->conf.dad_transmits = 0;
		if_get(S, x)->conf.rtr_solicitations = 0;
		assert_int_equal(umk_conf_set(S, x, "forwarding", 1), 0);
		umk_if_up(S, x);
	}
	assert_int_equal(umk_conf_set(S, IF1, "mtu", 1400), 0);
	struct in6_addr a0 = A("2001:db8:1::1"), a1 = A("2001:db8:2::1");
	assert_int_equal(umk_addr_add(S, IF0, &a0, 64), 0);
	assert_int_equal(umk_addr_add(S, IF1, &a1, 64), 0);
	neigh(IF0, "2001:db8:1::2", MAC_A, false);
	neigh(IF0, "fe80::a", MAC_A, false);
	neigh(IF0, "fe80::99", MAC_R2, true);
	neigh(IF1, "2001:db8:2::2", MAC_B, false);
	neigh(IF1, "fe80::c1", MAC_C1, true);
	neigh(IF1, "fe80::c2", MAC_C2, true);
	struct in6_addr p99 = A("2001:db8:99::"), r2 = A("fe80::99");
	assert_int_equal(umk_route_add(S, &p99, 48, &r2, IF0, 1024), 0);
	struct in6_addr pr = A("2001:db8:dead::"), pb = A("2001:db8:beef::");
	assert_int_equal(umk_route_add_type(S, &pr, 48, NULL, IF1, 1024, RT6_REJECT), 0);
	assert_int_equal(umk_route_add_type(S, &pb, 48, NULL, IF1, 1024, RT6_BLACKHOLE), 0);
	struct in6_addr pe = A("2001:db8:ec::"), c1 = A("fe80::c1"), c2 = A("fe80::c2");
	assert_int_equal(umk_route_add(S, &pe, 48, &c1, IF1, 1024), 0);
	assert_int_equal(umk_route_add(S, &pe, 48, &c2, IF1, 1024), 0);
	umk_timers_run(S, 1500);
	NR = 0;
}

static void teardown_router(void)
{
	umk_stack_free(S);
	S = NULL;
}

/* An Ethernet frame with an IPv6 packet carrying a UDP-ish payload of plen bytes. */
static size_t frame(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, const char *src,
		    const char *dst, uint8_t hlim, uint32_t plen, uint32_t flow)
{
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	struct ip6_hdr_info h = { .plen = (uint16_t)plen, .nxt = 17, .hlim = hlim,
				  .src = A(src), .dst = A(dst), .flowlabel = flow };
	ip6_hdr_emit(f + 14, &h);
	memset(f + 14 + IP6_HLEN, 0x5a, plen);
	return 14 + IP6_HLEN + plen;
}

/* The first recorded frame carrying the test's payload (UDP), or NULL. */
static struct rec *first_data(void)
{
	for (int i = 0; i < NR; i++) {
		struct ip6_hdr_info h;
		if (ip6_hdr_parse(R[i].f + 14, R[i].len - 14, &h))
			continue;
		if (h.nxt == 17)
			return &R[i];
	}
	return NULL;
}

static struct rec *find_icmp(uint8_t type)
{
	for (int i = 0; i < NR; i++) {
		struct ip6_hdr_info h;
		if (ip6_hdr_parse(R[i].f + 14, R[i].len - 14, &h) || h.nxt != IPPROTO6_ICMPV6)
			continue;
		if (R[i].f[14 + IP6_HLEN] == type)
			return &R[i];
	}
	return NULL;
}

enum expect { FWD, ICMP, DROP };

static const struct fwd_case {
	const char *name;
	const char *src, *dst;
	uint8_t hlim;
	uint32_t plen;
	bool l2_mcast;
	enum expect expect;
	int out;                  /* FWD: 0 eth0, 1 eth1 */
	uint8_t type, code;       /* ICMP */
	uint32_t param;
	enum umk_counter counter; /* incremented once */
} cases[] = {
	{ "forwarded A to B", "2001:db8:1::2", "2001:db8:2::2", 64, 100, false, FWD, 1, 0, 0, 0,
	  CNT_IP6_OUT_FORW_DATAGRAMS },
	{ "hop limit 1", "2001:db8:1::2", "2001:db8:2::2", 1, 100, false, ICMP, 0,
	  ICMP6_TIME_EXCEEDED, ICMP6_TE_HOPLIMIT, 0, CNT_FWD_HLIM_EXCEEDED },
	{ "hop limit 0", "2001:db8:1::2", "2001:db8:2::2", 0, 100, false, ICMP, 0,
	  ICMP6_TIME_EXCEEDED, ICMP6_TE_HOPLIMIT, 0, CNT_FWD_HLIM_EXCEEDED },
	{ "no route", "2001:db8:1::2", "2001:db8:77::1", 64, 100, false, ICMP, 0,
	  ICMP6_DST_UNREACH, ICMP6_DU_NOROUTE, 0, CNT_IP6_IN_NO_ROUTES },
	{ "reject route", "2001:db8:1::2", "2001:db8:dead::1", 64, 100, false, ICMP, 0,
	  ICMP6_DST_UNREACH, ICMP6_DU_ADMIN, 0, CNT_FWD_REJECT_ROUTE },
	{ "blackhole route", "2001:db8:1::2", "2001:db8:beef::1", 64, 100, false, DROP, 0, 0, 0,
	  0, CNT_FWD_BLACKHOLE_ROUTE },
	{ "link-local source off link", "fe80::a", "2001:db8:2::2", 64, 100, false, ICMP, 0,
	  ICMP6_DST_UNREACH, ICMP6_DU_BEYONDSCOPE, 0, CNT_FWD_DROP_SRC_LINKLOCAL },
	{ "link-local destination", "2001:db8:1::2", "fe80::b", 64, 100, false, DROP, 0, 0, 0, 0,
	  CNT_FWD_DROP_DST_LINKLOCAL },
	{ "unspecified source", "::", "2001:db8:2::2", 64, 100, false, DROP, 0, 0, 0, 0,
	  CNT_FWD_DROP_SRC_UNSPEC },
	/* RFC 4291 2.7, 2.5.3: these are refused by ip6_input before forwarding is asked */
	{ "multicast source", "ff02::1", "2001:db8:2::2", 64, 100, false, DROP, 0, 0, 0, 0,
	  CNT_IP6_DROP_SRC_MCAST },
	{ "global multicast source", "ff0e::1", "2001:db8:2::2", 64, 100, false, DROP, 0, 0, 0,
	  0, CNT_IP6_DROP_SRC_MCAST },
	{ "loopback source", "::1", "2001:db8:2::2", 64, 100, false, DROP, 0, 0, 0, 0,
	  CNT_IP6_DROP_SRC_LOOPBACK },
	{ "loopback destination", "2001:db8:1::2", "::1", 64, 100, false, DROP, 0, 0, 0, 0,
	  CNT_IP6_DROP_DST_LOOPBACK },
	{ "unspecified destination", "2001:db8:1::2", "::", 64, 100, false, DROP, 0, 0, 0, 0,
	  CNT_IP6_DROP_DST_UNSPEC },
	{ "link-layer multicast frame", "2001:db8:1::2", "2001:db8:2::2", 64, 100, true, DROP, 0,
	  0, 0, 0, CNT_FWD_DROP_L2_MCAST },
	{ "too big for eth1", "2001:db8:1::2", "2001:db8:2::2", 64, 1400, false, ICMP, 0,
	  ICMP6_PACKET_TOO_BIG, 0, 1400, CNT_FWD_TOO_BIG },
	{ "exactly eth1's MTU", "2001:db8:1::2", "2001:db8:2::2", 64, 1360, false, FWD, 1, 0, 0,
	  0, CNT_IP6_OUT_FORW_DATAGRAMS },
	{ "global multicast not routed", "2001:db8:1::2", "ff0e::1234", 64, 100, false, DROP, 0,
	  0, 0, 0, CNT_IP6_DROP_NOT_MEMBER },
	{ "back out of eth0 via R2", "2001:db8:1::2", "2001:db8:99::1", 64, 100, false, FWD, 0,
	  0, 0, 0, CNT_FWD_REDIRECT_SENT },
};

static void test_forward_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fwd_case *c = &cases[i];
		setup_router();
		uint8_t f[1600];
		static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };
		size_t n = frame(f, c->l2_mcast ? mc : MAC_US0, MAC_A, c->src, c->dst, c->hlim,
				 c->plen, 0);
		uint64_t before = S->counters[c->counter];
		umk_input(S, IF0, f, n);
		print_message("case: %s\n", c->name);
		assert_int_equal(S->counters[c->counter], before + 1);
		struct rec *r = first_data();
		if (c->expect == FWD) {
			assert_non_null(r);
			assert_int_equal(r->ifx, c->out ? IF1 : IF0);
			struct ip6_hdr_info h;
			assert_int_equal(ip6_hdr_parse(r->f + 14, r->len - 14, &h), 0);
			assert_int_equal(h.hlim, c->hlim - 1);      /* RFC 8200 3 */
			assert_int_equal(h.plen, c->plen);
			ADDR_EQ(&h.dst, c->dst);
		} else if (c->expect == ICMP) {
			struct rec *e = find_icmp(c->type);
			assert_non_null(e);
			assert_int_equal(e->ifx, IF0);
			const uint8_t *m = e->f + 14 + IP6_HLEN;
			assert_int_equal(m[1], c->code);
			uint32_t param = (uint32_t)m[4] << 24 | m[5] << 16 | m[6] << 8 | m[7];
			assert_int_equal(param, c->param);
			/* the invoking packet is quoted, never the whole thing past 1280 */
			assert_true(e->len - 14 <= 1280);
			assert_null(r && r != e && r->ifx == IF1 ? r : NULL);
		} else {
			assert_null(r);
			/* nothing at all left the router: no error about these either */
			assert_null(find_icmp(ICMP6_DST_UNREACH));
			assert_null(find_icmp(ICMP6_PARAM_PROB));
		}
		if (c->expect == DROP && c->counter != CNT_FWD_BLACKHOLE_ROUTE &&
		    c->counter != CNT_FWD_DROP_L2_MCAST && c->counter != CNT_IP6_DROP_NOT_MEMBER)
			assert_int_equal(S->counters[CNT_IP6_OUT_FORW_DATAGRAMS], 0);
		teardown_router();
	}
}

/* RFC 4861 8.2: the Redirect names fe80::99 as the target for the destination, carries
 * its TLLAO and the packet in a Redirected Header, from our link-local to the source. */
static void test_redirect_contents(void **state)
{
	setup_router();
	uint8_t f[1600];
	size_t n = frame(f, MAC_US0, MAC_A, "2001:db8:1::2", "2001:db8:99::1", 64, 1200, 0);
	umk_input(S, IF0, f, n);
	struct rec *r = find_icmp(ND_REDIRECT);
	assert_non_null(r);
	struct ip6_hdr_info h;
	assert_int_equal(ip6_hdr_parse(r->f + 14, r->len - 14, &h), 0);
	assert_int_equal(h.hlim, 255);
	assert_true(IN6_IS_ADDR_LINKLOCAL(&h.src));
	ADDR_EQ(&h.dst, "2001:db8:1::2");
	assert_true(r->len - 14 <= 1280);
	struct nd_msg m;
	assert_int_equal(nd_parse(r->f + 14 + IP6_HLEN, h.plen, &m), ND_PARSE_OK);
	ADDR_EQ(&m.target, "fe80::99");
	ADDR_EQ(&m.dest, "2001:db8:99::1");
	assert_true(m.opts.has_tllao);
	assert_memory_equal(m.opts.tllao, MAC_R2, 6);
	assert_non_null(m.opts.redir);
	assert_true(m.opts.redir_len >= 1000);
	assert_int_equal(m.opts.redir[0] >> 4, 6);
	/* rate limit: a flood gets a bounded number of Redirects */
	uint64_t sent = S->counters[CNT_FWD_REDIRECT_SENT];
	for (int i = 0; i < 100; i++) {
		NR = 0;
		umk_input(S, IF0, f, n);
	}
	assert_true(S->counters[CNT_FWD_REDIRECT_SENT] - sent <= 10);
	assert_true(S->counters[CNT_FWD_REDIRECT_RATELIMITED] >= 90);
	assert_int_equal(S->counters[CNT_IP6_OUT_FORW_DATAGRAMS], 101);
	teardown_router();
}

/* ECMP: flows spread over both next hops; one flow always takes the same one. */
static void test_ecmp(void **state)
{
	setup_router();
	int seen[2] = { 0, 0 };
	for (int i = 0; i < 64; i++) {
		char src[64];
		snprintf(src, sizeof(src), "2001:db8:1::%x", 0x100 + i);
		uint8_t f[256];
		size_t n = frame(f, MAC_US0, MAC_A, src, "2001:db8:ec::1", 64, 20, (uint32_t)i);
		int first = -1;
		for (int k = 0; k < 3; k++) {
			NR = 0;
			umk_input(S, IF0, f, n);
			struct rec *r = first_data();
			assert_non_null(r);
			assert_int_equal(r->ifx, IF1);
			int which = memcmp(r->f, MAC_C1, 6) == 0 ? 0 : memcmp(r->f, MAC_C2, 6) == 0 ? 1 : -1;
			assert_true(which >= 0);
			if (first < 0)
				first = which;
			assert_int_equal(which, first);
		}
		seen[first]++;
	}
	assert_true(seen[0] > 8 && seen[1] > 8);
	teardown_router();
}

/* The frame of `frame`, with a Hop-by-Hop header holding one option of `type` (4 data
 * bytes) before the payload. */
static size_t frame_hbh(uint8_t *f, uint8_t type, uint32_t plen)
{
	size_t n = frame(f, MAC_US0, MAC_A, "2001:db8:1::2", "2001:db8:2::2", 64, plen + 8, 0);
	uint8_t *hbh = f + 14 + IP6_HLEN;
	memmove(hbh + 8, hbh, plen);
	/* next header UDP, length 0 (8 bytes); the option: type, 4 bytes of data; PadN 0 */
	const uint8_t h[8] = { 17, 0, type, 4, 0, 0, 0, 0 };
	memcpy(hbh, h, 8);
	f[14 + IP6_OFF_NXT] = IPPROTO6_HOPOPTS;
	return n;
}

/* RFC 8200 4.3: a forwarded packet's Hop-by-Hop options are looked at only when
 * hbh_forward_process is on; then unknown options follow their action bits (4.2) and a
 * Router Alert (RFC 2711) goes on with the packet. */
static void test_hbh_on_demand(void **state)
{
	static const struct {
		const char *name;
		uint8_t type;
		enum expect off, on;
		uint32_t param;               /* ICMP: the option's offset */
	} rows[] = {
		{ "unknown, skip (00)", 0x1e, FWD, FWD, 0 },
		{ "unknown, discard (01)", 0x5e, FWD, DROP, 0 },
		{ "unknown, Parameter Problem (10)", 0x9e, FWD, ICMP, 42 },
		{ "unknown, Parameter Problem if unicast (11)", 0xde, FWD, ICMP, 42 },
		{ "Router Alert", IP6OPT_ROUTER_ALERT, FWD, FWD, 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (int on = 0; on <= 1; on++) {
			print_message("case: %s, hbh_forward_process %d\n", rows[i].name, on);
			setup_router();
			assert_int_equal(umk_conf_set(S, IF0, "hbh_forward_process", on), 0);
			uint8_t f[256];
			/* a Router Alert's data is 2 bytes: RFC 2711 2.1 */
			size_t n = frame_hbh(f, rows[i].type, 20);
			if (rows[i].type == IP6OPT_ROUTER_ALERT) {
				f[14 + IP6_HLEN + 3] = 2;
				f[14 + IP6_HLEN + 6] = IP6OPT_PAD1;
				f[14 + IP6_HLEN + 7] = IP6OPT_PAD1;
			}
			umk_input(S, IF0, f, n);
			enum expect e = on ? rows[i].on : rows[i].off;
			assert_int_equal(S->counters[CNT_FWD_HBH_NOT_EXAMINED], on ? 0 : 1);
			assert_int_equal(S->counters[CNT_FWD_HBH_PROCESSED], on ? 1 : 0);
			struct rec *r = NULL;
			for (int k = 0; k < NR; k++)
				if (R[k].ifx == IF1 && R[k].f[14 + IP6_OFF_NXT] == IPPROTO6_HOPOPTS)
					r = &R[k];
			if (e == FWD) {
				assert_non_null(r);
				assert_int_equal(r->len, n);          /* the header goes on whole */
				assert_int_equal(r->f[14 + IP6_OFF_HLIM], 63);
			} else {
				assert_null(r);
				assert_int_equal(S->counters[CNT_IP6_DROP_OPT_UNKNOWN], 1);
			}
			struct rec *pp = find_icmp(ICMP6_PARAM_PROB);
			if (e == ICMP) {
				assert_non_null(pp);
				assert_int_equal(pp->ifx, IF0);
				const uint8_t *m = pp->f + 14 + IP6_HLEN;
				assert_int_equal(m[1], ICMP6_PP_OPTION);
				uint32_t param = (uint32_t)m[4] << 24 | m[5] << 16 | m[6] << 8 | m[7];
				assert_int_equal(param, rows[i].param);
			} else {
				assert_null(pp);
			}
			teardown_router();
		}
	}
	/* not a switch of the whole stack: eth1 keeps its own (default 0) setting */
	setup_router();
	int64_t v = -1;
	assert_int_equal(umk_conf_get(S, IF1, "hbh_forward_process", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(umk_conf_set(S, IF0, "hbh_forward_process", 2), -ERANGE);
	teardown_router();
}

/* RFC 4861 8.1: "A router MUST NOT update its routing tables upon receipt of a Redirect".
 * R2 (fe80::99), our first hop for 2001:db8:99::/48, says host A is a better one; the
 * router ignores it, while the same Redirect changes a host's (forwarding 0) next hop. */
static void test_router_ignores_redirect(void **state)
{
	for (int forwarding = 1; forwarding >= 0; forwarding--) {
		print_message("case: forwarding %d\n", forwarding);
		setup_router();
		if (!forwarding)
			assert_int_equal(umk_conf_set(S, IF0, "forwarding", 0), 0);
		struct in6_ifaddr *ll = in6_linklocal(S, if_get(S, IF0));
		assert_non_null(ll);
		struct nd_msg m;
		memset(&m, 0, sizeof(m));
		m.type = ND_REDIRECT;
		m.target = A("fe80::a");
		m.dest = A("2001:db8:99::1");
		uint8_t f[256];
		size_t n = nd_emit(f + 14 + IP6_HLEN, sizeof(f) - 14 - IP6_HLEN, &m);
		assert_true(n > 0);
		struct in6_addr src = A("fe80::99");
		f[14 + IP6_HLEN + 2] = f[14 + IP6_HLEN + 3] = 0;
		uint16_t ck = csum_ip6(&src, &ll->addr, IPPROTO6_ICMPV6, f + 14 + IP6_HLEN,
				       (uint32_t)n);
		f[14 + IP6_HLEN + 2] = (uint8_t)(ck >> 8);
		f[14 + IP6_HLEN + 3] = (uint8_t)ck;
		memcpy(f, MAC_US0, 6);
		memcpy(f + 6, MAC_R2, 6);
		f[12] = 0x86;
		f[13] = 0xdd;
		struct ip6_hdr_info h = { .plen = (uint16_t)n, .nxt = IPPROTO6_ICMPV6, .hlim = 255,
					  .src = src, .dst = ll->addr };
		ip6_hdr_emit(f + 14, &h);
		umk_input(S, IF0, f, 14 + IP6_HLEN + n);
		struct rt6_nexthop nh;
		struct in6_addr d = A("2001:db8:99::1");
		assert_int_equal(rt6_lookup(S, &d, 0, 0, &nh), 0);
		assert_int_equal(S->counters[CNT_ND6_RD_IGNORED], forwarding ? 1 : 0);
		ADDR_EQ(&nh.addr, forwarding ? "fe80::99" : "fe80::a");
		teardown_router();
	}
}

/* A host (forwarding 0) drops what is not for it, as before. */
static void test_host_does_not_forward(void **state)
{
	setup_router();
	assert_int_equal(umk_conf_set(S, IF0, "forwarding", 0), 0);
	uint8_t f[256];
	size_t n = frame(f, MAC_US0, MAC_A, "2001:db8:1::2", "2001:db8:2::2", 64, 20, 0);
	umk_input(S, IF0, f, n);
	assert_null(first_data());
	assert_int_equal(S->counters[CNT_IP6_DROP_NOT_OURS], 1);
	assert_int_equal(S->counters[CNT_IP6_IN_FORW_DATAGRAMS], 0);
	teardown_router();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_table),
		cmocka_unit_test(test_redirect_contents),
		cmocka_unit_test(test_ecmp),
		cmocka_unit_test(test_host_does_not_forward),
		cmocka_unit_test(test_hbh_on_demand),
		cmocka_unit_test(test_router_ignores_redirect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
