/*
 * sim_ipsec_v4.c - two umikame security gateways joining two IPv4 networks over an IPv6
 * ESP tunnel (RFC 4301 tunnel mode, IPv4 inner, IPv6 outer; RFC 4303 next header 4),
 * configured through PF_KEY with AF_INET selectors (RFC 2367 sockaddr_in). The hosts are
 * hand-made frames (umikame has no IPv4 host stack):
 *
 *   HA ~ link 1 ~ eth0 [G] eth1 ~~~~~~~~ link 2 ~~~~~~~~ eth0 [P] eth1 ~ link 3 ~ HB
 *   10.1.0.2    10.1.0.1   2001:db8:2::1      2001:db8:2::2   10.2.0.1     10.2.0.5
 *   (injected)  G's SPD: 10.1/16 <-> 10.2/16 esp/tunnel 2::1 <-> 2::2     (injected)
 *
 * Checked: only ESP crosses link 2, its Traffic Class copied from the inner TOS (RFC 4301
 * 5.1.2.1, RFC 6040 normal mode); HB's datagram arrives with TTL decremented at both
 * gateways and its bytes intact, and the reply comes back to HA; cleartext IPv4 under an
 * inbound protect policy is dropped; RFC 4301 5.2 step 4: a tunnel that carries an inner
 * source outside the policy is dropped; RFC 6040 4.2 decapsulation; PF_KEY refusals.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <umikame/mgmt.h>
#include "core/stack_int.h"
#include "ip4/ip4.h"
#include "ipsec/ipsec.h"
#include "sim.h"
#include "wire/arp.h"
#include "wire/eth.h"
#include "wire/ip4.h"
#include "wire/pfkey.h"

static struct sim_net *net;
static struct umk_stack *g, *p;
static int l1, l2, l3;
static struct in6_addr g6, p6;

static const uint8_t MAC_HA[6] = { 2, 0, 0, 0, 0, 0xa1 }, MAC_HB[6] = { 2, 0, 0, 0, 0, 0xb5 };
static const uint8_t MAC_G0[6] = { 2, 0, 0, 0, 1, 0 }, MAC_G1[6] = { 2, 0, 0, 0, 1, 1 };
static const uint8_t MAC_P0[6] = { 2, 0, 0, 0, 2, 0 }, MAC_P1[6] = { 2, 0, 0, 0, 2, 1 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* what crossed each link since the last reset: the last IPv4 frame put on it by a stack,
 * and counts of IPv4, ESP-in-IPv6 frames */
struct seen {
	uint8_t v4[2048];
	size_t v4_len;
	int n_v4, n_esp, n_frag;
	uint8_t esp_tclass;
	size_t esp_max;               /* longest ESP frame */
};
static struct seen seen[4];

static uint32_t V4(const char *t)
{
	struct in_addr a;
	inet_pton(AF_INET, t, &a);
	return ntohl(a.s_addr);
}

static void watch(void *ctx, int link, int port, const uint8_t *f, size_t len, umk_time_t now)
{
	if (port < 0 || link < 0 || link > 3 || len < 14)
		return;
	struct seen *w = &seen[link];
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
	if (type == ETH_TYPE_IPV4 && len <= sizeof(w->v4) + 14) {
		w->n_v4++;
		memcpy(w->v4, f + 14, len - 14);
		w->v4_len = len - 14;
	} else if (type == ETH_TYPE_IPV6 && len >= 14 + 40 && f[14 + 6] == 50) {
		w->n_esp++;
		w->esp_tclass = (uint8_t)((f[14] & 0x0f) << 4 | f[15] >> 4);
		if (len > w->esp_max)
			w->esp_max = len;
	} else if (type == ETH_TYPE_IPV6 && len >= 14 + 40 && f[14 + 6] == 44) {
		w->n_frag++;              /* an outer packet fragmented (RFC 8200 4.5) */
	}
}

static void inject(int link, const uint8_t dst[6], const uint8_t src[6], uint16_t type,
		   const void *payload, size_t len)
{
	uint8_t f[2048];
	struct eth_hdr e = { .type = type };
	memcpy(e.dst, dst, 6);
	memcpy(e.src, src, 6);
	eth_hdr_emit(f, &e);
	memcpy(f + 14, payload, len);
	sim_inject(net, link, f, 14 + len);
}

/* A host's ARP request for its router: the router learns the host from it (RFC 826). */
static void arp_hello(int link, const uint8_t mac[6], uint32_t host, uint32_t router)
{
	struct arp_pkt a = { .op = ARP_OP_REQUEST, .spa = host, .tpa = router };
	memcpy(a.sha, mac, 6);
	uint8_t b[ARP_LEN];
	arp_emit(b, &a);
	inject(link, BCAST, mac, ETH_TYPE_ARP, b, sizeof(b));
}

/* An IPv4 echo datagram (tos, ttl, DF) of `total` bytes into b; returns its length. */
static size_t echo4_len(uint8_t *b, uint32_t src, uint32_t dst, uint8_t type, uint8_t tos,
			uint8_t ttl, uint16_t seq, bool df, size_t total)
{
	uint8_t *m = b + IP4_HLEN;
	size_t data = total - IP4_HLEN - ICMP4_HLEN;
	for (size_t i = 0; i < data; i++)
		m[ICMP4_HLEN + i] = (uint8_t)(0x40 + i);
	struct icmp4_hdr ih = { .type = type, .ident = 0x4242, .seq = seq };
	icmp4_emit(m, ICMP4_HLEN + data, &ih);
	struct ip4_hdr_info h = { .tos = tos, .total_len = (uint16_t)total, .id = seq,
				  .df = df, .ttl = ttl, .proto = IP4_PROTO_ICMP, .src = src,
				  .dst = dst };
	ip4_hdr_emit(b, &h);
	return h.total_len;
}

static size_t echo4(uint8_t *b, uint32_t src, uint32_t dst, uint8_t type, uint8_t tos,
		    uint8_t ttl, uint16_t seq)
{
	return echo4_len(b, src, dst, type, tos, ttl, seq, true, IP4_HLEN + ICMP4_HLEN + 32);
}

/* ---- PF_KEY ---- */

struct reply { int n, err; };
static void on_reply(void *ctx, const void *msg, size_t len)
{
	struct reply *r = ctx;
	r->n++;
	r->err = ((const uint8_t *)msg)[2];
}

static int pfkey(struct umk_stack *s, struct pfkey_buf *bf)
{
	struct reply r = { 0 };
	int n = pfkey_finish(bf);
	assert_true(n > 0);
	pfkey_handle(s, bf->p, (size_t)n, on_reply, &r);
	assert_int_equal(r.n, 1);
	return r.err;
}

static void addr4(struct pfkey_address *a, const char *text, unsigned plen)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->proto = 255;
	a->prefixlen = (uint8_t)plen;
	ip4_mapped(V4(text), &a->addr);
}

static int add_sa(struct umk_stack *s, uint32_t spi, const struct in6_addr *src,
		  const struct in6_addr *dst)
{
	uint8_t buf[1024], key[20];
	struct pfkey_buf bf;
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_ADD, .satype = SADB_SATYPE_ESP, .seq = 1 };
	pfkey_emit_base(&bf, &h);
	struct pfkey_sa sa = { .spi = spi, .replay = 8, .state = SADB_SASTATE_MATURE,
			       .encrypt = SADB_X_EALG_AES_GCM_ICV16 };
	pfkey_emit_sa(&bf, &sa);
	struct pfkey_address ad = { .proto = 255, .prefixlen = 128, .addr = *src };
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &ad);
	ad.addr = *dst;
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &ad);
	for (int i = 0; i < 20; i++)
		key[i] = (uint8_t)(spi + i);
	pfkey_emit_key(&bf, SADB_EXT_KEY_ENCRYPT, key, 20);
	struct pfkey_sa2 sa2 = { .mode = 2 };
	pfkey_emit_sa2(&bf, &sa2);
	return pfkey(s, &bf);
}

/* An IPv4 policy src -> dst through an ESP tunnel tsrc -> tdst. */
static int add_policy(struct umk_stack *s, uint8_t dir, const char *src, unsigned splen,
		      const char *dst, unsigned dplen, const struct in6_addr *tsrc,
		      const struct in6_addr *tdst)
{
	uint8_t buf[1024];
	struct pfkey_buf bf;
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_X_SPDADD, .seq = 2 };
	pfkey_emit_base(&bf, &h);
	struct pfkey_address ad;
	addr4(&ad, src, splen);
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &ad);
	addr4(&ad, dst, dplen);
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &ad);
	struct pfkey_policy pol = { .type = IPSEC_POLICY_IPSEC, .dir = dir, .n_req = 1 };
	pol.req[0] = (struct pfkey_ipsecreq){ .proto = 50, .mode = 2, .level = 2,
					      .tunnel_addrs = true };
	pol.req[0].src.addr = *tsrc;
	pol.req[0].dst.addr = *tdst;
	pfkey_emit_policy(&bf, &pol);
	return pfkey(s, &bf);
}

static void addr_add4(struct umk_stack *s, int ifx, const char *a, unsigned plen)
{
	struct in_addr v;
	inet_pton(AF_INET, a, &v);
	assert_int_equal(umk_addr4_add(s, ifx, &v, plen), 0);
}

static int setup(void **state)
{
	memset(seen, 0, sizeof(seen));
	net = sim_net_new(11);
	l1 = sim_link_new(net, 1, 0.0);
	l2 = sim_link_new(net, 1, 0.0);
	l3 = sim_link_new(net, 1, 0.0);
	g = sim_stack_new(net, NULL);
	p = sim_stack_new(net, NULL);
	int g0 = sim_attach(net, l1, g, "eth0", MAC_G0, 1500, NULL);
	int g1 = sim_attach(net, l2, g, "eth1", MAC_G1, 1500, NULL);
	int p0 = sim_attach(net, l2, p, "eth0", MAC_P0, 1500, NULL);
	int p1 = sim_attach(net, l3, p, "eth1", MAC_P1, 1500, NULL);
	for (int i = 1; i <= 2; i++) {
		if_get(g, i)->conf.forwarding = 1;
		if_get(p, i)->conf.forwarding = 1;
		umk_if_up(g, i);
		umk_if_up(p, i);
	}
	inet_pton(AF_INET6, "2001:db8:2::1", &g6);
	inet_pton(AF_INET6, "2001:db8:2::2", &p6);
	umk_addr_add(g, g1, &g6, 64);
	umk_addr_add(p, p0, &p6, 64);
	addr_add4(g, g0, "10.1.0.1", 24);
	addr_add4(p, p1, "10.2.0.1", 24);
	/* the SAs: 0x1000 G -> P, 0x2000 P -> G, on both ends */
	for (int side = 0; side < 2; side++) {
		struct umk_stack *s = side ? p : g;
		assert_int_equal(add_sa(s, 0x1000, &g6, &p6), 0);
		assert_int_equal(add_sa(s, 0x2000, &p6, &g6), 0);
	}
	assert_int_equal(add_policy(g, IPSEC_DIR_OUTBOUND, "10.1.0.0", 16, "10.2.0.0", 16,
				    &g6, &p6), 0);
	assert_int_equal(add_policy(g, IPSEC_DIR_INBOUND, "10.2.0.0", 16, "10.1.0.0", 16,
				    &p6, &g6), 0);
	assert_int_equal(add_policy(p, IPSEC_DIR_OUTBOUND, "10.2.0.0", 16, "10.1.0.0", 16,
				    &p6, &g6), 0);
	assert_int_equal(add_policy(p, IPSEC_DIR_INBOUND, "10.1.0.0", 16, "10.2.0.0", 16,
				    &g6, &p6), 0);
	sim_watch(net, watch, NULL);
	sim_run_for(net, 5000);         /* DAD of the IPv6 addresses */
	arp_hello(l1, MAC_HA, V4("10.1.0.2"), V4("10.1.0.1"));
	arp_hello(l3, MAC_HB, V4("10.2.0.5"), V4("10.2.0.1"));
	sim_run_for(net, 100);
	memset(seen, 0, sizeof(seen));
	return 0;
}

static int teardown(void **state)
{
	sim_net_free(net);
	return 0;
}

static void test_tunnel_both_ways(void **state)
{
	uint8_t d[256];
	/* DSCP 40 and ECT(0): copied to the outer Traffic Class */
	size_t n = echo4(d, V4("10.1.0.2"), V4("10.2.0.5"), ICMP4_ECHO_REQUEST, 0xa2, 64, 1);
	inject(l1, MAC_G0, MAC_HA, ETH_TYPE_IPV4, d, n);
	sim_run_for(net, 200);
	assert_int_equal(seen[l2].n_v4, 0);          /* nothing in the clear between gateways */
	assert_true(seen[l2].n_esp >= 1);
	assert_int_equal(seen[l2].esp_tclass, 0xa2);
	assert_int_equal(seen[l3].n_v4, 1);
	struct ip4_hdr_info h;
	assert_int_equal(ip4_hdr_parse(seen[l3].v4, seen[l3].v4_len, &h), 0);
	assert_int_equal(h.src, V4("10.1.0.2"));
	assert_int_equal(h.dst, V4("10.2.0.5"));
	assert_int_equal(h.ttl, 62);                  /* one hop at G, one at P */
	assert_int_equal(h.tos, 0xa2);
	assert_memory_equal(seen[l3].v4 + IP4_HLEN, d + IP4_HLEN, n - IP4_HLEN);
	assert_int_equal(g->counters[CNT_IPSEC_FWD_TUNNELLED], 1);

	/* and back: HB's reply reaches HA through the tunnel */
	memset(seen, 0, sizeof(seen));
	n = echo4(d, V4("10.2.0.5"), V4("10.1.0.2"), ICMP4_ECHO_REPLY, 0, 64, 1);
	inject(l3, MAC_P1, MAC_HB, ETH_TYPE_IPV4, d, n);
	sim_run_for(net, 200);
	assert_int_equal(seen[l2].n_v4, 0);
	assert_true(seen[l2].n_esp >= 1);
	assert_int_equal(seen[l1].n_v4, 1);
	assert_int_equal(ip4_hdr_parse(seen[l1].v4, seen[l1].v4_len, &h), 0);
	assert_int_equal(h.src, V4("10.2.0.5"));
	assert_int_equal(h.ttl, 62);
	assert_memory_equal(seen[l1].v4 + IP4_HLEN, d + IP4_HLEN, n - IP4_HLEN);
	/* HA pings G's own address 10.1.0.1 from the IPv4 side: plain ICMP, no tunnel */
	memset(seen, 0, sizeof(seen));
	n = echo4(d, V4("10.1.0.2"), V4("10.1.0.1"), ICMP4_ECHO_REQUEST, 0, 64, 2);
	inject(l1, MAC_G0, MAC_HA, ETH_TYPE_IPV4, d, n);
	sim_run_for(net, 50);
	assert_int_equal(seen[l1].n_v4, 1);
	assert_int_equal(seen[l1].v4[IP4_HLEN], ICMP4_ECHO_REPLY);
}

static void test_cleartext_refused(void **state)
{
	/* what the policy says must come through the tunnel, sent to G in the clear */
	uint8_t d[256];
	size_t n = echo4(d, V4("10.2.0.5"), V4("10.1.0.2"), ICMP4_ECHO_REPLY, 0, 64, 1);
	inject(l2, MAC_G1, MAC_P0, ETH_TYPE_IPV4, d, n);
	sim_run_for(net, 100);
	assert_int_equal(seen[l1].n_v4, 0);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_POLICY], 1);
}

static void test_inner_outside_policy(void **state)
{
	/* P (compromised, or misconfigured) also tunnels 10.3/16 to G; G's policy for the
	 * tunnel names 10.2/16 only: RFC 4301 5.2 step 4 drops what comes out of it */
	assert_int_equal(add_policy(p, IPSEC_DIR_OUTBOUND, "10.3.0.0", 16, "10.1.0.0", 16,
				    &p6, &g6), 0);
	uint8_t d[256];
	size_t n = echo4(d, V4("10.3.0.7"), V4("10.1.0.2"), ICMP4_ECHO_REQUEST, 0, 64, 1);
	inject(l3, MAC_P1, MAC_HB, ETH_TYPE_IPV4, d, n);
	sim_run_for(net, 100);
	assert_true(seen[l2].n_esp >= 1);            /* P tunnelled it */
	assert_int_equal(seen[l1].n_v4, 0);           /* G did not let it out */
	assert_int_equal(g->counters[CNT_IPSEC_DROP_SA_POLICY], 1);
}

static void test_tunnel_pmtu(void **state)
{
	/* AES-GCM over link 2's 1500: IPv6 40 + ESP 8 + IV 8 + ICV 16 leave 1428, of which the
	 * trailer takes 2 on a 4-byte boundary: 1426 bytes of inner datagram fit */
	static uint8_t d[2000];
	size_t n = echo4_len(d, V4("10.1.0.2"), V4("10.2.0.5"), ICMP4_ECHO_REQUEST, 0, 64, 1,
			     true, 1427);
	inject(l1, MAC_G0, MAC_HA, ETH_TYPE_IPV4, d, n);
	sim_run_for(net, 100);
	assert_int_equal(seen[l2].n_esp, 0);
	assert_int_equal(seen[l1].n_v4, 1);   /* RFC 4301 8.2.1: Fragmentation Needed to HA */
	struct ip4_hdr_info h;
	struct icmp4_hdr ih;
	assert_int_equal(ip4_hdr_parse(seen[l1].v4, seen[l1].v4_len, &h), 0);
	assert_int_equal(h.dst, V4("10.1.0.2"));
	assert_int_equal(icmp4_hdr_parse(seen[l1].v4 + h.hlen, h.total_len - h.hlen, &ih), 0);
	assert_int_equal(ih.type, ICMP4_DEST_UNREACH);
	assert_int_equal(ih.code, ICMP4_UNREACH_NEEDFRAG);
	assert_int_equal(ih.mtu, 1426);
	/* 1426 fits exactly: one 1500-byte outer packet */
	memset(seen, 0, sizeof(seen));
	n = echo4_len(d, V4("10.1.0.2"), V4("10.2.0.5"), ICMP4_ECHO_REQUEST, 0, 64, 2, true,
		      1426);
	inject(l1, MAC_G0, MAC_HA, ETH_TYPE_IPV4, d, n);
	sim_run_for(net, 100);
	assert_int_equal(seen[l2].n_esp, 1);
	assert_int_equal(seen[l2].esp_max, 14 + 1500);
	assert_int_equal(seen[l2].n_frag, 0);
	assert_int_equal(seen[l3].v4_len, 1426);
	/* without DF a bigger one goes, its outer packet fragmented and reassembled by P */
	memset(seen, 0, sizeof(seen));
	n = echo4_len(d, V4("10.1.0.2"), V4("10.2.0.5"), ICMP4_ECHO_REQUEST, 0, 64, 3, false,
		      1480);
	inject(l1, MAC_G0, MAC_HA, ETH_TYPE_IPV4, d, n);
	sim_run_for(net, 100);
	assert_true(seen[l2].n_frag >= 2);
	assert_int_equal(seen[l3].n_v4, 1);
	assert_int_equal(seen[l3].v4_len, 1480);
	assert_memory_equal(seen[l3].v4 + IP4_HLEN, d + IP4_HLEN, 1480 - IP4_HLEN);
}

static void test_ecn_decap(void **state)
{
	/* RFC 6040 4.2: outer CE over inner ECT(0) -> inner CE; over Not-ECT -> drop */
	static const struct { uint8_t inner, outer, want; bool kept; } t[] = {
		{ 0x02, 0x03, 0x03, true }, { 0x01, 0x03, 0x03, true }, { 0xa0, 0x03, 0, false },
		{ 0x02, 0x00, 0x02, true }, { 0x00, 0x02, 0x00, true }, { 0x03, 0x03, 0x03, true },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct umk_pkt *pkt = pkt_alloc(g, 256, PKT_HEADROOM);
		uint8_t *b = pkt_put(pkt, 60);
		echo4(b, V4("10.2.0.5"), V4("10.1.0.2"), ICMP4_ECHO_REPLY, t[i].inner, 64, 1);
		uint64_t drops = g->counters[CNT_IPSEC_DROP_ECN];
		bool kept = ipsec_decap4_ecn(g, pkt, t[i].outer);
		assert_int_equal(kept, t[i].kept);
		if (!kept) {
			assert_int_equal(g->counters[CNT_IPSEC_DROP_ECN], drops + 1);
			continue;
		}
		struct ip4_hdr_info h;
		assert_int_equal(ip4_hdr_parse(pkt->data, pkt->len, &h), 0);  /* checksum */
		assert_int_equal(h.tos & 3, t[i].want & 3);
		assert_int_equal(h.tos & 0xfc, t[i].inner & 0xfc);
		pkt_free(g, pkt);
	}
}

static void test_pfkey_refusals(void **state)
{
	uint8_t buf[512];
	struct pfkey_buf bf;
	struct pfkey_base h = { .type = SADB_X_SPDADD, .seq = 3 };
	struct pfkey_policy pol = { .type = IPSEC_POLICY_DISCARD, .dir = IPSEC_DIR_OUTBOUND };
	struct pfkey_address a4, a6 = { .proto = 255, .prefixlen = 64, .addr = g6 };
	/* families must match (RFC 2367 2.3.3: src and dst of one family) */
	pfkey_buf_init(&bf, buf, sizeof(buf));
	pfkey_emit_base(&bf, &h);
	addr4(&a4, "10.1.0.0", 16);
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &a4);
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &a6);
	pfkey_emit_policy(&bf, &pol);
	assert_int_equal(pfkey(g, &bf), EINVAL);
	/* an IPv4 prefix longer than 32 does not parse */
	pfkey_buf_init(&bf, buf, sizeof(buf));
	pfkey_emit_base(&bf, &h);
	addr4(&a4, "10.1.0.0", 33);
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &a4);
	addr4(&a4, "10.2.0.0", 16);
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &a4);
	pfkey_emit_policy(&bf, &pol);
	int n = pfkey_finish(&bf);
	struct pfkey_msg m;
	assert_int_equal(pfkey_parse(buf, (size_t)n, &m), -EINVAL);
	/* 32 does, and comes back as a sockaddr_in with its prefix */
	buf[16 + 5] = 32;    /* after the 16-byte base header: the source extension's prefix */
	assert_int_equal(pfkey_parse(buf, (size_t)n, &m), 0);
	assert_int_equal(m.addr[0].family, AF_INET);
	assert_int_equal(m.addr[0].prefixlen, 32);
	assert_true(IN6_IS_ADDR_V4MAPPED(&m.addr[0].addr));
	/* SA endpoints stay IPv6 */
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base hs = { .type = SADB_ADD, .satype = SADB_SATYPE_ESP, .seq = 4 };
	pfkey_emit_base(&bf, &hs);
	struct pfkey_sa sa = { .spi = 0x3000, .state = SADB_SASTATE_MATURE,
			       .encrypt = SADB_X_EALG_AES_GCM_ICV16 };
	pfkey_emit_sa(&bf, &sa);
	addr4(&a4, "10.1.0.1", 32);
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &a4);
	addr4(&a4, "10.2.0.1", 32);
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &a4);
	uint8_t key[20] = { 1 };
	pfkey_emit_key(&bf, SADB_EXT_KEY_ENCRYPT, key, 20);
	assert_int_equal(pfkey(g, &bf), EAFNOSUPPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tunnel_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cleartext_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inner_outside_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_pmtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecn_decap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pfkey_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
