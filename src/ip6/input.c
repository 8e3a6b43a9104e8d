/*
 * input.c - IPv6 input for a host (RFC 8200): fixed-header validation, the destination
 * check (our addresses, joined groups; RFC 4862 5.4 for tentative ones), the walk over the
 * extension-header chain with option processing (4.2-4.7), and the upper-layer dispatch.
 * Offsets in this file count from the start of the IPv6 header, as Parameter Problem
 * pointers do (RFC 4443 3.4). Neighbours: link/eth.c below, frag6.c for Fragment headers,
 * icmp6.c above (and the errors it sends for us).
 */
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/forward.h"
#include "ip6/frag6.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ipsec/ipcomp.h"
#include "ipsec/ipsec.h"
#include "transport/tcp.h"
#include "transport/transport.h"
#include "wire/checksum.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

/* Where the walk is: the header at `off` is of type `nxt`, named by the byte at nxt_off. */
struct walk {
	uint32_t off;
	uint8_t nxt;
	uint32_t nxt_off;
	uint32_t len;                 /* the packet's length (IPv6 header + payload) */
	bool first;                   /* the header right after the fixed header */
};

enum verdict { WALK_ON, WALK_CONSUMED };

/* ---- options (RFC 8200 4.2) ---- */

#define OPT_IN_HBH 0x1
#define OPT_IN_DST 0x2

static int opt_router_alert(struct umk_stack *s, struct ip6_rx *rx, const struct ip6_opt *o)
{
	/* RFC 2711 2.1: a 2-byte value (0: MLD) */
	COUNT(s, IP6_IN_ROUTER_ALERT);
	rx->flags |= IP6_RX_ROUTER_ALERT;
	return 0;
}

static const struct opt_handler {
	uint8_t type;
	uint8_t min_len, max_len;     /* Opt Data Len */
	uint8_t where;
	int (*handle)(struct umk_stack *s, struct ip6_rx *rx, const struct ip6_opt *o);
} opt_handlers[] = {
	{ IP6OPT_PAD1, 0, 0, OPT_IN_HBH | OPT_IN_DST, NULL },
	{ IP6OPT_PADN, 0, 255, OPT_IN_HBH | OPT_IN_DST, NULL },
	{ IP6OPT_ROUTER_ALERT, 2, 2, OPT_IN_HBH, opt_router_alert },
};

/* Runs the options of the header at w->off. WALK_CONSUMED when the packet was dropped. */
static enum verdict process_options(struct umk_stack *s, struct umk_pkt *pkt,
				    struct ip6_rx *rx, const struct walk *w, uint32_t hlen,
				    unsigned where)
{
	struct ip6_opt_iter it;
	struct ip6_opt o;
	int r;

	ip6_opt_iter_init(&it, pkt->data + w->off, hlen);
	while ((r = ip6_opt_next(&it, &o)) > 0) {
		const struct opt_handler *h = NULL;
		for (size_t i = 0; i < sizeof(opt_handlers) / sizeof(opt_handlers[0]); i++)
			if (opt_handlers[i].type == o.type && (opt_handlers[i].where & where)) {
				h = &opt_handlers[i];
				break;
			}
		if (h) {
			if (o.len < h->min_len || o.len > h->max_len) {
				/* RFC 8200 4.2 gives no action for this; a bad length is a
				 * header error pointing at the option */
				COUNT(s, IP6_DROP_OPT_BAD_LEN);
				COUNT(s, IP6_IN_HDR_ERRORS);
				icmp6_error(s, pkt, ICMP6_PARAM_PROB, ICMP6_PP_HEADER,
					    w->off + o.off + 1);
				return WALK_CONSUMED;
			}
			if (h->handle && h->handle(s, rx, &o))
				return WALK_CONSUMED;
			continue;
		}
		/* RFC 8200 4.2: an unrecognized option; its type's two high bits decide */
		switch (IP6OPT_ACTION(o.type)) {
		case IP6OPT_ACT_SKIP:
			continue;
		case IP6OPT_ACT_DISCARD:
			COUNT(s, IP6_DROP_OPT_UNKNOWN);
			COUNT(s, IP6_IN_HDR_ERRORS);
			pkt_free(s, pkt);
			return WALK_CONSUMED;
		case IP6OPT_ACT_DISCARD_UCAST:
			if (rx->flags & IP6_RX_DST_MCAST) {
				COUNT(s, IP6_DROP_OPT_UNKNOWN);
				COUNT(s, IP6_IN_HDR_ERRORS);
				pkt_free(s, pkt);
				return WALK_CONSUMED;
			}
			/* fall through */
		case IP6OPT_ACT_DISCARD_ICMP:
			COUNT(s, IP6_DROP_OPT_UNKNOWN);
			COUNT(s, IP6_IN_HDR_ERRORS);
			icmp6_error(s, pkt, ICMP6_PARAM_PROB, ICMP6_PP_OPTION, w->off + o.off);
			return WALK_CONSUMED;
		}
	}
	if (r < 0) {
		COUNT(s, IP6_DROP_OPT_BAD_TLV);
		COUNT(s, IP6_IN_HDR_ERRORS);
		pkt_free(s, pkt);
		return WALK_CONSUMED;
	}
	return WALK_ON;
}

/* ---- extension headers ---- */

static enum verdict truncated(struct umk_stack *s, struct umk_pkt *pkt)
{
	COUNT(s, IP6_DROP_EXT_TRUNCATED);
	COUNT(s, IP6_IN_TRUNCATED);
	pkt_free(s, pkt);
	return WALK_CONSUMED;
}

static enum verdict options_hdr(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx,
				struct walk *w, unsigned where)
{
	struct ip6_ext e;
	if (ip6_ext_parse((*pp)->data + w->off, w->len - w->off, &e))
		return truncated(s, *pp);
	if (process_options(s, *pp, rx, w, e.len, where) == WALK_CONSUMED)
		return WALK_CONSUMED;
	w->nxt_off = w->off;
	w->nxt = e.nxt;
	w->off += e.len;
	return WALK_ON;
}

static enum verdict hop_by_hop(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx,
			       struct walk *w)
{
	if (!w->first) {
		/* RFC 8200 4.3: only right after the IPv6 header; Parameter Problem code 1 at
		 * the Next Header field that named it */
		COUNT(s, IP6_DROP_HBH_NOT_FIRST);
		COUNT(s, IP6_IN_HDR_ERRORS);
		icmp6_error(s, *pp, ICMP6_PARAM_PROB, ICMP6_PP_NEXTHEADER, w->nxt_off);
		return WALK_CONSUMED;
	}
	rx->flags |= IP6_RX_HBH;
	return options_hdr(s, pp, rx, w, OPT_IN_HBH);
}

static enum verdict dst_options(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx,
				struct walk *w)
{
	return options_hdr(s, pp, rx, w, OPT_IN_DST);
}

static enum verdict routing(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx,
			    struct walk *w)
{
	struct ip6_rthdr rh;
	if (ip6_rthdr_parse((*pp)->data + w->off, w->len - w->off, &rh))
		return truncated(s, *pp);
	if (rh.segleft != 0) {
		/* RFC 8200 4.4: a host knows no routing type (RH0 is gone, RFC 5095), so
		 * Parameter Problem code 0 at the Routing Type field */
		COUNT(s, IP6_DROP_RH_UNKNOWN);
		COUNT(s, IP6_IN_HDR_ERRORS);
		icmp6_error(s, *pp, ICMP6_PARAM_PROB, ICMP6_PP_HEADER,
			    w->off + IP6_RTHDR_OFF_TYPE);
		return WALK_CONSUMED;
	}
	/* Segments Left 0: ignore the header and go on */
	COUNT(s, IP6_IN_RH_IGNORED);
	w->nxt_off = w->off;
	w->nxt = rh.nxt;
	w->off += rh.len;
	return WALK_ON;
}

static enum verdict fragment(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx,
			     struct walk *w)
{
	struct frag6_resume r;
	struct umk_pkt *pkt = frag6_input(s, *pp, w->off, w->nxt_off, &r);

	*pp = pkt;
	if (!pkt)
		return WALK_CONSUMED;
	if (r.reassembled) {
		rx->flags |= IP6_RX_FRAGMENTED;
		w->len = pkt->len;
	}
	w->off = r.off;
	w->nxt = r.nxt;
	w->nxt_off = r.nxt_off;
	return WALK_ON;
}

static enum verdict no_next_header(struct umk_stack *s, struct umk_pkt **pp,
				   struct ip6_rx *rx, struct walk *w)
{
	/* RFC 8200 4.7: nothing follows; anything after is ignored */
	COUNT(s, IP6_DROP_NO_NEXT_HDR);
	pkt_free(s, *pp);
	return WALK_CONSUMED;
}

/* What a driver said of the frame's checksum (left open, or verified) was said of the frame
 * as it came; behind ESP, AH or IPComp the transport header is inside what was protected,
 * decompressed or moved (ipsec_strip), and its checksum is checked as any other. */
static void offload_forget(struct umk_pkt *pkt)
{
	pkt->flags &= (uint8_t)~PKT_F_OFFLOAD;
	pkt->gso_size = 0;
}

/* ESP and AH (ipsec/esp.c, ah.c): transport mode leaves the inner header at w->off */
static enum verdict ipsec_hdr(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx,
			      struct walk *w)
{
	offload_forget(*pp);
	int r = w->nxt == IPPROTO6_ESP ?
		esp_input(s, pp, rx, &w->off, w->nxt_off, &w->nxt, &w->len) :
		ah_input(s, pp, rx, &w->off, w->nxt_off, &w->nxt, &w->len);
	return r ? WALK_CONSUMED : WALK_ON;
}

/* IPComp (ipsec/ipcomp.c, RFC 3173 3.2): the payload decompressed at w->off */
static enum verdict ipcomp_hdr(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx,
			       struct walk *w)
{
	offload_forget(*pp);
	int r = ipcomp_input(s, pp, rx, &w->off, w->nxt_off, &w->nxt, &w->len);
	return r ? WALK_CONSUMED : WALK_ON;
}

static const struct ext_handler {
	uint8_t nxt;
	enum verdict (*handle)(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx,
			       struct walk *w);
} ext_handlers[] = {
	{ IPPROTO6_HOPOPTS, hop_by_hop },
	{ IPPROTO6_DSTOPTS, dst_options },
	{ IPPROTO6_ROUTING, routing },
	{ IPPROTO6_FRAGMENT, fragment },
	{ IPPROTO6_NONE, no_next_header },
	{ IPPROTO6_ESP, ipsec_hdr },
	{ IPPROTO6_AH, ipsec_hdr },
	{ IPPROTO6_IPCOMP, ipcomp_hdr },
};

bool ip6_hbh_forward(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt)
{
	/* a forwarded packet is unicast (forward.c drops the rest first), so action 11
	 * always answers; a Router Alert is known and the packet goes on: without multicast
	 * routing there is nothing here to intercept it for (RFC 2711 2, RFC 6398 3) */
	struct ip6_rx rx = { .ifp = ifp };
	struct walk w = { .off = IP6_HLEN, .nxt = IPPROTO6_HOPOPTS, .nxt_off = IP6_OFF_NXT,
			  .len = pkt->len, .first = true };
	struct ip6_ext e;
	pkt->ifindex = (uint16_t)ifp->index;
	if (ip6_ext_parse(pkt->data + w.off, w.len - w.off, &e)) {
		truncated(s, pkt);
		return false;
	}
	return process_options(s, pkt, &rx, &w, e.len, OPT_IN_HBH) == WALK_ON;
}

/* ---- upper layers ---- */

void ip6_deliver(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	if ((rx->flags & IP6_RX_DST_TENTATIVE) && rx->nxt != IPPROTO6_ICMPV6) {
		COUNT(s, IP6_DROP_DST_TENTATIVE);
		pkt_free(s, pkt);
		return;
	}
	/* RFC 4301 5.2: what arrived unprotected but should not have is dropped here */
	if (!ipsec_spd_empty(s, IPSEC_DIR_IN) && ipsec_input_check(s, pkt, rx))
		return;
	COUNT(s, IP6_IN_DELIVERS);
	switch (rx->nxt) {
	case IPPROTO6_ICMPV6:
		icmp6_input(s, pkt, rx);
		return;
	case IPPROTO6_UDP:
		udp6_input(s, pkt, rx);   /* transport/udp.c */
		return;
	case IPPROTO6_TCP:
		tcp6_input(s, pkt, rx);   /* transport/tcp_input.c */
		return;
	default:
		if (raw6_wants(s, rx->nxt)) {
			raw6_input(s, pkt, rx);   /* RFC 3542 3: raw sockets */
			return;
		}
		COUNT(s, IP6_IN_UNKNOWN_PROTOS);
		break;
	}
	pkt_free(s, pkt);
}

static bool upper_known(uint8_t nxt)
{
	return nxt == IPPROTO6_ICMPV6 || nxt == IPPROTO6_UDP || nxt == IPPROTO6_TCP;
}

/* ---- the fixed header and the destination ---- */

static const struct in6_addr all_nodes = { { { 0xff, 0x02, [15] = 1 } } };

/* RFC 4291 2.6.1: "Routers must support the Subnet-Router anycast address for the subnets
 * to which they have interfaces": the prefix of an address of a forwarding interface with
 * every bit after it zero. Like the unicast addresses, a global one is ours on any
 * interface; a scoped one (fe80::) only on its link. /127 and /128 have none (RFC 6164 6:
 * on a /127 it would be the other end's address). */
bool ip6_subnet_router_anycast(struct umk_stack *s, struct umk_if *ifp,
			       const struct in6_addr *dst)
{
	/* every candidate ends in at least two zero bits (prefix length <= 126); one for a
	 * prefix of length p in at least 128 - p: transit traffic mostly stops here */
	if (dst->s6_addr[15] & 3)
		return false;
	unsigned zeros = 0;
	for (int b = 15; b >= 0 && !dst->s6_addr[b]; b--)
		zeros += 8;
	bool scoped = in6_is_scoped(dst);
	for (struct umk_if *i = scoped ? ifp : if_first(s); i; i = scoped ? NULL : if_next(s, i)) {
		if (!i->conf.forwarding)
			continue;
		for (struct in6_ifaddr *ia = i->addrs; ia; ia = ia->next) {
			/* (zeros counts whole bytes: a finer check is left to the mask below) */
			if (ia->plen >= 127 || 128u - ia->plen > zeros + 7 ||
			    (ia->flags & (UMK_ADDR_F_TENTATIVE | UMK_ADDR_F_DADFAILED)) ||
			    !in6_prefix_eq(&ia->addr, dst, ia->plen))
				continue;
			struct in6_addr any = *dst;
			for (unsigned b = 0; b < ia->plen; b++)
				any.s6_addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
			if (IN6_IS_ADDR_UNSPECIFIED(&any))
				return true;
		}
	}
	return false;
}

/* 0 when the packet is for us (rx->flags updated), else the counter that says why not. */
static int accept_dst(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt,
		      struct ip6_rx *rx)
{
	const struct in6_addr *dst = &rx->dst;
	bool looped = pkt->flags & PKT_F_LOOPED;

	if (IN6_IS_ADDR_MULTICAST(dst)) {
		int scope = in6_scope(dst);
		rx->flags |= IP6_RX_DST_MCAST;
		COUNT(s, IP6_IN_MCAST_PKTS);
		if (scope == 0 || scope == 0xf)
			return CNT_IP6_DROP_DST_SCOPE0;      /* RFC 4291 2.7: reserved scopes */
		if (scope == UMK_SCOPE_HOST && !looped)
			return CNT_IP6_DROP_DST_IFLOCAL;     /* RFC 4291 2.7: never on a link */
		/* RFC 4291 2.8: every node is a member of ff01::1 and ff02::1 */
		/* ... and a router of ff01::2 (RFC 4291 2.8; ff02::2 and ff05::2 are joined) */
		bool all_routers_iflocal = ifp->conf.forwarding && in6_is_all_routers_iflocal(dst);
		if (!IN6_ARE_ADDR_EQUAL(dst, &all_nodes) && !in6_is_all_nodes_iflocal(dst) &&
		    !all_routers_iflocal && !mld_is_member(s, ifp, dst))
			return CNT_IP6_DROP_NOT_MEMBER;
		return 0;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(dst))
		return CNT_IP6_DROP_DST_UNSPEC;
	if (IN6_IS_ADDR_LOOPBACK(dst) && !looped)
		return CNT_IP6_DROP_DST_LOOPBACK;            /* RFC 4291 2.5.3 */
	/* a scoped address must be ours on this link; others on any interface (a host
	 * that is not forwarding still owns all its addresses, RFC 8200 has no rule) */
	struct in6_ifaddr *ia = in6_addr_find(s, in6_is_scoped(dst) ? ifp : NULL, dst);
	if (!ia && ip6_subnet_router_anycast(s, ifp, dst)) {
		COUNT(s, FWD_IN_SUBNET_ROUTER_ANYCAST);
		rx->flags |= IP6_RX_DST_ANYCAST;
		return 0;
	}
	if (!ia)
		return CNT_IP6_DROP_NOT_OURS;
	if (ia->flags & UMK_ADDR_F_DADFAILED)
		return CNT_IP6_DROP_DST_DADFAILED;
	if ((ia->flags & UMK_ADDR_F_TENTATIVE) && !(ia->flags & UMK_ADDR_F_OPTIMISTIC))
		rx->flags |= IP6_RX_DST_TENTATIVE;   /* RFC 4862 5.4: ND decides */
	return 0;
}

void ip6_input(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt)
{
	struct ip6_hdr_info h;
	struct ip6_rx rx = { .ifp = ifp };
	int err, why;

	COUNT(s, IP6_IN_RECEIVES);
	pkt->net_off = pkt_off(pkt);
	err = ip6_hdr_parse(pkt->data, pkt->len, &h);
	if (err == IP6_ERR_SHORT) {
		COUNT(s, IP6_DROP_SHORT);
		COUNT(s, IP6_IN_TRUNCATED);
		goto drop;
	}
	if (err) {
		COUNT(s, IP6_DROP_VERSION);
		COUNT(s, IP6_IN_HDR_ERRORS);
		goto drop;
	}
	if (h.plen == 0 && h.nxt == IPPROTO6_HOPOPTS) {
		/* RFC 2675 jumbograms are not supported */
		COUNT(s, IP6_DROP_JUMBO);
		COUNT(s, IP6_IN_HDR_ERRORS);
		goto drop;
	}
	if ((uint32_t)IP6_HLEN + h.plen > pkt->len) {
		COUNT(s, IP6_DROP_PLEN);
		COUNT(s, IP6_IN_TRUNCATED);
		goto drop;
	}
	/* link padding (Ethernet's 60-byte minimum) is not part of the packet */
	pkt_trim(pkt, IP6_HLEN + h.plen);

	if (IN6_IS_ADDR_MULTICAST(&h.src)) {
		COUNT(s, IP6_DROP_SRC_MCAST);         /* RFC 4291 2.7 */
		COUNT(s, IP6_IN_ADDR_ERRORS);
		goto drop;
	}
	if (IN6_IS_ADDR_LOOPBACK(&h.src) && !(pkt->flags & PKT_F_LOOPED)) {
		COUNT(s, IP6_DROP_SRC_LOOPBACK);      /* RFC 4291 2.5.3 */
		COUNT(s, IP6_IN_ADDR_ERRORS);
		goto drop;
	}
	if (IN6_IS_ADDR_V4MAPPED(&h.src) || IN6_IS_ADDR_V4MAPPED(&h.dst)) {
		/* RFC 4291 2.5.5.2 / RFC 5156 2.2: ::ffff:0:0/96 names IPv4 nodes to the dual-
		 * stack API and never appears on the wire. Here it also keys IPv4 routes in the
		 * one FIB (ip4/), which an IPv6 packet must not reach. */
		COUNT(s, IP6_DROP_V4MAPPED);
		COUNT(s, IP6_IN_ADDR_ERRORS);
		goto drop;
	}
	rx.src = h.src;
	rx.dst = h.dst;
	rx.hlim = h.hlim;
	rx.tclass = h.tclass;
	rx.flowlabel = h.flowlabel;
	why = accept_dst(s, ifp, pkt, &rx);
	if (why == CNT_IP6_DROP_NOT_OURS && ifp->conf.forwarding) {
		ip6_forward(s, ifp, pkt);     /* a router's transit traffic: forward.c */
		return;
	}
	if (why) {
		s->counters[why]++;
		COUNT(s, IP6_IN_ADDR_ERRORS);
		goto drop;
	}

	struct walk w = { .off = IP6_HLEN, .nxt = h.nxt, .nxt_off = IP6_OFF_NXT,
			  .len = pkt->len, .first = true };
	for (;;) {
		const struct ext_handler *eh = NULL;
		for (size_t i = 0; i < sizeof(ext_handlers) / sizeof(ext_handlers[0]); i++)
			if (ext_handlers[i].nxt == w.nxt) {
				eh = &ext_handlers[i];
				break;
			}
		if (!eh)
			break;
		if (eh->handle(s, &pkt, &rx, &w) == WALK_CONSUMED)
			return;
		w.first = false;
	}
	if (!upper_known(w.nxt) && !raw6_wants(s, w.nxt)) {
		/* RFC 8200 4: Parameter Problem code 1 at the offending Next Header byte */
		COUNT(s, IP6_DROP_UNKNOWN_NXT);
		COUNT(s, IP6_IN_UNKNOWN_PROTOS);
		icmp6_error(s, pkt, ICMP6_PARAM_PROB, ICMP6_PP_NEXTHEADER, w.nxt_off);
		return;
	}
	rx.nxt = w.nxt;
	rx.nxt_off = pkt->net_off + w.nxt_off;
	pkt_pull(pkt, w.off);
	ip6_deliver(s, pkt, &rx);
	return;
drop:
	pkt_free(s, pkt);
}
