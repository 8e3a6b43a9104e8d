/*
 * dp_harness.h - a one-interface stack for datapath unit tests (test_frag6.c,
 * test_dp_input.c, ...): frames it transmits are recorded; frames are fed with umk_input.
 *
 *   [test] --- eth0 (02:00:00:00:00:01, 2001:db8::1/64, fe80::1/64) --- [stack]
 *   the peer 2001:db8::2 / fe80::2 (02:00:00:00:00:02) is a PERMANENT neighbor.
 *
 * DAD is off (dad_transmits 0) so the addresses are usable at once; that, and the
 * neighbor entry, need addrconf.c and nd6.c.
 */
#ifndef DP_HARNESS_H
#define DP_HARNESS_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "wire/checksum.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

#define DP_MAX_FRAMES 256

struct dp_h {
	struct umk_stack *s;
	int ifx;
	uint8_t *frame[DP_MAX_FRAMES];
	size_t len[DP_MAX_FRAMES];
	int n;
};
static struct dp_h H;

static const uint8_t MAC_US[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t MAC_PEER[6] = { 2, 0, 0, 0, 0, 2 };

static inline struct in6_addr A(const char *s)
{
	struct in6_addr a;
	inet_pton(AF_INET6, s, &a);
	return a;
}

static inline int dp_rec(void *ctx, const void *f, size_t len)
{
	if (H.n < DP_MAX_FRAMES) {
		H.frame[H.n] = malloc(len);
		memcpy(H.frame[H.n], f, len);
		H.len[H.n++] = len;
	}
	return 0;
}

static inline void dp_clear(void)
{
	for (int i = 0; i < H.n; i++)
		free(H.frame[i]);
	H.n = 0;
}

static const struct umk_link_ops dp_ops = { .transmit = dp_rec };

/* Stack with one interface; with_addrs adds the addresses and the neighbors. */
static inline void dp_setup_cfg(const struct umk_stack_config *cfg, bool with_addrs)
{
	memset(&H, 0, sizeof(H));
	H.s = umk_stack_new(cfg, 1000);
	struct umk_if_params p = { .name = "eth0", .mtu = 1500, .ops = &dp_ops };
	memcpy(p.lladdr, MAC_US, 6);
	H.ifx = umk_if_add(H.s, &p);
	struct umk_if *ifp = if_get(H.s, H.ifx);
	ifp->conf.dad_transmits = 0;
	ifp->conf.rtr_solicitations = 0;
	umk_if_up(H.s, H.ifx);
	if (with_addrs) {
		struct in6_addr g = A("2001:db8::1"), l = A("fe80::1");
		struct in6_addr pg = A("2001:db8::2"), pl = A("fe80::2");
		umk_addr_add(H.s, H.ifx, &g, 64);
		umk_addr_add(H.s, H.ifx, &l, 64);
		umk_neigh_add(H.s, H.ifx, &pg, MAC_PEER, false);
		umk_neigh_add(H.s, H.ifx, &pl, MAC_PEER, false);
	}
	umk_timers_run(H.s, 1000);
	dp_clear();
}

static inline void dp_setup(bool with_addrs)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.seed = 42;
	cfg.log_level = UMK_LOG_ERR;
	dp_setup_cfg(&cfg, with_addrs);
}

static inline void dp_teardown(void)
{
	dp_clear();
	umk_stack_free(H.s);
	H.s = NULL;
}

/* Is addrconf in the tree and did it take our address? (tests that need it skip if not) */
static inline bool dp_have_addrs(void)
{
	struct in6_addr g = A("2001:db8::1");
	extern struct in6_ifaddr *in6_addr_find(struct umk_stack *, struct umk_if *,
						const struct in6_addr *);
	return in6_addr_find(H.s, NULL, &g) != NULL;
}

/* Writes Ethernet + IPv6 headers into f, then `plen` payload bytes; returns frame length. */
static inline size_t dp_frame(uint8_t *f, const uint8_t dmac[6], const struct in6_addr *src,
			      const struct in6_addr *dst, uint8_t nxt, uint8_t hlim,
			      const void *payload, uint32_t plen)
{
	memcpy(f, dmac, 6);
	memcpy(f + 6, MAC_PEER, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	struct ip6_hdr_info h = { .plen = (uint16_t)plen, .nxt = nxt, .hlim = hlim,
				  .src = *src, .dst = *dst };
	ip6_hdr_emit(f + 14, &h);
	memcpy(f + 54, payload, plen);
	return 54 + plen;
}

/* Fills the checksum of an ICMPv6 message at msg (len bytes) between src and dst. */
static inline void dp_icmp_csum(uint8_t *msg, uint32_t len, const struct in6_addr *src,
				const struct in6_addr *dst)
{
	msg[2] = msg[3] = 0;
	uint16_t c = csum_ip6(src, dst, IPPROTO6_ICMPV6, msg, len);
	msg[2] = (uint8_t)(c >> 8);
	msg[3] = (uint8_t)c;
}

/* What a recorded frame carries: IPv6 header, and the first non-extension header. */
struct dp_seen {
	struct ip6_hdr_info ip;
	struct ip6_chain chain;
	const uint8_t *l4;            /* at chain.off */
	uint32_t l4_len;
	bool frag;                    /* had a Fragment header */
	struct ip6_fraghdr fh;
};

static inline int dp_parse(int i, struct dp_seen *v)
{
	memset(v, 0, sizeof(*v));
	if (i >= H.n || H.len[i] < 54)
		return -1;
	const uint8_t *ip = H.frame[i] + 14;
	uint32_t len = (uint32_t)H.len[i] - 14;
	if (ip6_hdr_parse(ip, len, &v->ip))
		return -1;
	/* find a Fragment header by walking by hand */
	uint8_t nxt = v->ip.nxt;
	uint32_t off = 40;
	while (nxt == IPPROTO6_HOPOPTS || nxt == IPPROTO6_DSTOPTS) {
		struct ip6_ext e;
		if (ip6_ext_parse(ip + off, len - off, &e))
			return -1;
		nxt = e.nxt;
		off += e.len;
	}
	if (nxt == IPPROTO6_FRAGMENT) {
		v->frag = true;
		ip6_fraghdr_parse(ip + off, len - off, &v->fh);
	}
	if (ip6_chain_walk(ip, len, v->ip.nxt, 40, 6, &v->chain))
		return -1;
	v->l4 = ip + v->chain.off;
	v->l4_len = len - v->chain.off;
	return 0;
}

/* Index of the first recorded ICMPv6 message of `type`, or -1. */
static inline int dp_find_icmp(uint8_t type, struct dp_seen *v)
{
	for (int i = 0; i < H.n; i++)
		if (!dp_parse(i, v) && !v->chain.frag_nonfirst &&
		    v->chain.nxt == IPPROTO6_ICMPV6 && v->l4_len >= 4 && v->l4[0] == type)
			return i;
	return -1;
}

#endif
