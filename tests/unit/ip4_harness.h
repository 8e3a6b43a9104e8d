/*
 * ip4_harness.h - a two-interface stack for the ip4/ unit tests (test_arp.c, test_ip4.c):
 * frames each interface transmits are recorded; frames are fed with umk_input.
 *
 *   [peer A 02:..:0a] --- tap1 192.0.2.1/24  (02:00:00:00:00:01)
 *                             [stack, forwarding on]
 *   [peer B 02:..:0b] --- tap2 198.51.100.1/24 (02:00:00:00:00:02)
 */
#ifndef IP4_HARNESS_H
#define IP4_HARNESS_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "wire/arp.h"
#include "wire/eth.h"
#include "wire/ip4.h"

#define IH_MAX 64

struct ih_frame {
	int ifx;
	uint8_t *b;
	size_t len;
};
struct ih {
	struct umk_stack *s;
	int if1, if2;
	struct ih_frame f[IH_MAX];
	int n;
};
static struct ih I;

static const uint8_t MAC1[6] = { 2, 0, 0, 0, 0, 1 }, MAC2[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t MACA[6] = { 2, 0, 0, 0, 0, 0x0a }, MACB[6] = { 2, 0, 0, 0, 0, 0x0b };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static inline uint32_t V4(const char *t)
{
	struct in_addr a;
	inet_pton(AF_INET, t, &a);
	return ntohl(a.s_addr);
}

static inline int ih_rec(void *ctx, const void *fr, size_t len)
{
	if (I.n < IH_MAX) {
		I.f[I.n].ifx = (int)(intptr_t)ctx;
		I.f[I.n].b = malloc(len);
		memcpy(I.f[I.n].b, fr, len);
		I.f[I.n++].len = len;
	}
	return 0;
}

static inline void ih_clear(void)
{
	for (int i = 0; i < I.n; i++)
		free(I.f[i].b);
	I.n = 0;
}

static const struct umk_link_ops ih_ops = { .transmit = ih_rec };

static inline void ih_addr(int ifx, const char *a, unsigned plen)
{
	struct in_addr v;
	inet_pton(AF_INET, a, &v);
	if (umk_addr4_add(I.s, ifx, &v, plen))
		abort();
}

static inline void ih_setup(void)
{
	memset(&I, 0, sizeof(I));
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.seed = 7;
	cfg.log_level = UMK_LOG_ERR;
	I.s = umk_stack_new(&cfg, 1000);
	struct umk_if_params p = { .name = "tap1", .mtu = 1500, .ops = &ih_ops, .ctx = (void *)1 };
	memcpy(p.lladdr, MAC1, 6);
	I.if1 = umk_if_add(I.s, &p);
	p.name = "tap2";
	p.ctx = (void *)2;
	memcpy(p.lladdr, MAC2, 6);
	I.if2 = umk_if_add(I.s, &p);
	for (int i = 1; i <= 2; i++) {
		struct umk_if *ifp = if_get(I.s, i);
		ifp->conf.dad_transmits = 0;
		ifp->conf.rtr_solicitations = 0;
		ifp->conf.forwarding = 1;
		umk_if_up(I.s, i);
	}
	ih_addr(I.if1, "192.0.2.1", 24);
	ih_addr(I.if2, "198.51.100.1", 24);
	umk_timers_run(I.s, 1000);
	ih_clear();
}

static inline void ih_teardown(void)
{
	ih_clear();
	umk_stack_free(I.s);
	I.s = NULL;
}

static inline uint64_t ih_count(const char *group, const char *name)
{
	for (int i = 0; i < CNT__COUNT; i++)
		if (!strcmp(umk_counter_group[i], group) && !strcmp(umk_counter_name[i], name))
			return I.s->counters[i];
	abort();
}

/* Recorded frames of one EtherType (IPv6 timers of the stack send MLD, RS, ...). */
static inline int ih_frames_of(uint16_t type)
{
	int n = 0;
	for (int i = 0; i < I.n; i++)
		n += I.f[i].len >= 14 && (I.f[i].b[12] << 8 | I.f[i].b[13]) == type;
	return n;
}

/* Feeds an Ethernet frame carrying `payload` to ifx. */
static inline void ih_input(int ifx, const uint8_t dst[6], const uint8_t src[6],
			    uint16_t type, const void *payload, size_t len)
{
	uint8_t fr[2048];
	struct eth_hdr e = { .type = type };
	memcpy(e.dst, dst, 6);
	memcpy(e.src, src, 6);
	eth_hdr_emit(fr, &e);
	memcpy(fr + ETH_HDR_LEN, payload, len);
	umk_input(I.s, ifx, fr, ETH_HDR_LEN + len);
}

/* An IPv4 datagram: header, then payload. Returns its length. */
static inline size_t ih_ip4(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
			    bool df, const void *payload, size_t plen)
{
	struct ip4_hdr_info h = { .total_len = (uint16_t)(IP4_HLEN + plen), .id = 77, .df = df,
				  .ttl = ttl, .proto = proto, .src = src, .dst = dst };
	ip4_hdr_emit(b, &h);
	memcpy(b + IP4_HLEN, payload, plen);
	return IP4_HLEN + plen;
}

/* An echo request of n data bytes as ICMP message in m; returns its length. */
static inline size_t ih_echo(uint8_t *m, uint16_t id, uint16_t seq, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m[ICMP4_HLEN + i] = (uint8_t)i;
	struct icmp4_hdr ih = { .type = ICMP4_ECHO_REQUEST, .ident = id, .seq = seq };
	icmp4_emit(m, ICMP4_HLEN + n, &ih);
	return ICMP4_HLEN + n;
}

/* Frame i's Ethernet header, and its IPv4 header when it carries one (else -1). */
static inline int ih_parse(int i, struct eth_hdr *e, struct ip4_hdr_info *h)
{
	if (i >= I.n || eth_hdr_parse(I.f[i].b, I.f[i].len, e))
		return -1;
	if (e->type != ETH_TYPE_IPV4)
		return -1;
	return ip4_hdr_parse(I.f[i].b + ETH_HDR_LEN, I.f[i].len - ETH_HDR_LEN, h);
}

/* Answers the stack's ARP request in frame i for `who` with mac on ifx. */
static inline void ih_arp_reply(int ifx, uint32_t who, const uint8_t mac[6], uint32_t to,
				const uint8_t tomac[6])
{
	struct arp_pkt a = { .op = ARP_OP_REPLY, .spa = who, .tpa = to };
	memcpy(a.sha, mac, 6);
	memcpy(a.tha, tomac, 6);
	uint8_t b[ARP_LEN];
	arp_emit(b, &a);
	ih_input(ifx, tomac, mac, ETH_TYPE_ARP, b, sizeof(b));
}

#endif
