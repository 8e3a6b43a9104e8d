/*
 * output.c - IPv6 output: the outgoing interface and next hop (zones for scoped
 * destinations, RFC 4007; the routing table otherwise), source selection (select.c,
 * RFC 6724), the fixed header and an optional Hop-by-Hop Router Alert (RFC 2711), the
 * upper-layer checksum (RFC 8200 8.1), fragmentation to the path MTU (RFC 8200 4.5,
 * frag6.c; RFC 8201), and the hand-off: to ourselves through the loopback queue, to a group
 * by its RFC 2464 MAC, to a unicast neighbor through ND (nd6_output).
 */
#include <errno.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/frag6.h"
#include "ip6/gso.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/nd6.h"
#include "ip6/route6.h"
#include "ipsec/ipsec.h"
#include "link/eth.h"
#include "wire/checksum.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

struct out_path {
	struct umk_if *ifp;
	struct in6_addr nexthop;
	bool local;                   /* the destination is one of our addresses */
};

/* The interface of a scoped destination: its zone, else the forced interface, else the
 * only interface there is (RFC 4007 6 leaves a default zone to the implementation). */
static struct umk_if *zone_if(struct umk_stack *s, const struct ip6_tx *tx)
{
	if (tx->zone)
		return if_get(s, tx->zone);
	if (tx->oif)
		return if_get(s, tx->oif);
	if (s->n_ifs == 1)
		return if_first(s);
	return NULL;
}

static int find_path(struct umk_stack *s, const struct ip6_tx *tx, struct out_path *o)
{
	const struct in6_addr *dst = &tx->dst;
	struct rt6_nexthop nh;

	memset(o, 0, sizeof(*o));
	o->nexthop = *dst;
	if (in6_is_scoped(dst)) {
		o->ifp = zone_if(s, tx);
		if (!o->ifp) {
			COUNT(s, IP6_OUT_NO_ZONE);
			return -EHOSTUNREACH;
		}
		if (!IN6_IS_ADDR_MULTICAST(dst) && in6_addr_find(s, o->ifp, dst))
			o->local = true;
		/* RFC 4291 2.7: interface-local multicast is for loopback only */
		if (IN6_IS_ADDR_MULTICAST(dst) && in6_scope(dst) == UMK_SCOPE_HOST)
			o->local = true;
		return 0;
	}
	if (IN6_IS_ADDR_MULTICAST(dst)) {
		int scope = in6_scope(dst);
		/* RFC 4291 2.7: scopes 0 and f are reserved: never originate to them */
		if (scope == 0 || scope == 0xf) {
			COUNT(s, IP6_OUT_DROP_MCAST_SCOPE);
			return -EINVAL;
		}
		if (tx->oif)
			o->ifp = if_get(s, tx->oif);
		else if (!rt6_lookup(s, dst, 0, 0, &nh))
			o->ifp = nh.ifp;
		else if (s->n_ifs == 1)
			o->ifp = if_first(s);
		if (!o->ifp) {
			COUNT(s, IP6_OUT_NO_ROUTES);
			return -ENETUNREACH;
		}
		return 0;
	}
	struct in6_ifaddr *ia = in6_addr_find(s, NULL, dst);
	if (ia && ia->ifp) {
		o->ifp = ia->ifp;
		o->local = true;
		return 0;
	}
	if (rt6_lookup(s, dst, tx->zone, tx->oif, &nh)) {
		COUNT(s, IP6_OUT_NO_ROUTES);
		return -ENETUNREACH;
	}
	o->ifp = nh.ifp;
	o->nexthop = nh.addr;
	return 0;
}

static int link_send(struct umk_stack *s, struct out_path *o, struct umk_pkt *pkt, bool mcast);

/* Which offloads the packet may carry from here (ip6_tx_offloads). */
static unsigned path_offloads(struct umk_stack *s, const struct out_path *o,
			      const struct ip6_tx *tx)
{
	if (tx->nxt != IPPROTO6_TCP || tx->ext || IN6_IS_ADDR_MULTICAST(&tx->dst) ||
	    (tx->flags & (IP6_TX_MINMTU | IP6_TX_RTALERT)))
		return 0;
	if (o->local)
		return UMK_OFFLOAD_CSUM | UMK_OFFLOAD_TSO6;
	/* ESP and AH take the bytes as they are: the checksum must be whole before them */
	if (!ipsec_spd_empty(s, IPSEC_DIR_OUT))
		return 0;
	return o->ifp->offloads;
}

unsigned ip6_tx_offloads(struct umk_stack *s, const struct ip6_tx *tx, uint32_t *mtu)
{
	struct out_path o;

	if (find_path(s, tx, &o) || (!o.local && !(o.ifp->flags & UMK_IF_UP)))
		return 0;
	if (mtu)
		*mtu = pmtu_get(s, o.ifp, &tx->dst);
	return path_offloads(s, &o, tx);
}

/* A super-segment for an interface that cannot cut it (its path MTU fell below the
 * segments, or no TSO): cut here, each segment sent on its own. Consumes pkt. */
static int gso_send(struct umk_stack *s, struct out_path *o, struct umk_pkt *pkt)
{
	struct umk_pkt *segs;
	int r = gso_segment_tcp6(s, pkt, &segs);
	if (r) {
		COUNT(s, IP6_OUT_DISCARDS);
		return r;
	}
	while (segs) {
		struct umk_pkt *g = segs;
		segs = g->next;
		g->next = NULL;
		g->ifindex = (uint16_t)o->ifp->index;
		int e = link_send(s, o, g, false);
		if (e && !r)
			r = e;
	}
	return r;
}

/* ND and MLD messages are link control for the other nodes: never looped back to us. */
static bool link_control(const struct ip6_tx *tx, const struct umk_pkt *pkt)
{
	if (tx->nxt != IPPROTO6_ICMPV6 || pkt->len < 1)
		return false;
	uint8_t t = pkt->data[0];
	return (t >= ICMP6_MLD_QUERY && t <= ICMP6_ND_REDIRECT) || t == ICMP6_MLDV2_REPORT;
}

static int link_send(struct umk_stack *s, struct out_path *o, struct umk_pkt *pkt, bool mcast)
{
	COUNT(s, IP6_OUT_TRANSMITS);
	if (mcast) {
		uint8_t mac[6];
		eth_mcast_mac(&o->nexthop, mac);
		return eth_output(s, o->ifp, pkt, mac);
	}
	return nd6_output(s, o->ifp, &o->nexthop, pkt);
}

/* ---- extension headers from sockets (RFC 3542 9, RFC 8200 4.1) ---- */

static const uint8_t ext_proto[IP6_TX_EXT_N] = {
	[IP6_TX_EXT_HBH] = IPPROTO6_HOPOPTS, [IP6_TX_EXT_DST1] = IPPROTO6_DSTOPTS,
	[IP6_TX_EXT_RTHDR] = IPPROTO6_ROUTING, [IP6_TX_EXT_DST2] = IPPROTO6_DSTOPTS,
};
#define RTHDR_ADDRS 8         /* the addresses of types 0 and 2 start here */

/* Pushes header i of x, chaining it in front of *nxt. NULL without headroom. */
static uint8_t *ext_push(struct umk_pkt *pkt, const struct ip6_tx_ext *x, int i, uint8_t *nxt)
{
	uint8_t *p = pkt_push(pkt, x->len[i]);
	if (!p)
		return NULL;
	memcpy(p, x->hdr[i], x->len[i]);
	p[0] = *nxt;
	*nxt = ext_proto[i];
	return p;
}

/* RFC 3542 7: the hops shift down one, the final destination goes last, all of them left
 * to visit (Segments Left = their number). */
static void rthdr_finish(uint8_t *p, uint16_t len, const struct in6_addr *final)
{
	unsigned n = (len - RTHDR_ADDRS) / 16;
	memmove(p + RTHDR_ADDRS, p + RTHDR_ADDRS + 16, 16 * (n - 1));
	memcpy(p + RTHDR_ADDRS + 16 * (n - 1), final, 16);
	p[3] = (uint8_t)n;
}

int ip6_output(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_tx *tx)
{
	struct out_path o;
	struct in6_addr src = tx->src;
	const struct ip6_tx_ext *x = tx->ext;
	struct ip6_tx rtx;
	const struct ip6_tx *ptx = tx;   /* what the path is found for */
	bool loop_copy = false;
	int r;

	COUNT(s, IP6_OUT_REQUESTS);
	if (x && x->len[IP6_TX_EXT_RTHDR]) {
		/* a Routing header: the packet goes to its first hop */
		rtx = *tx;
		memcpy(&rtx.dst, x->hdr[IP6_TX_EXT_RTHDR] + RTHDR_ADDRS, 16);
		rtx.zone = 0;
		ptx = &rtx;
	}
	bool mcast = IN6_IS_ADDR_MULTICAST(&ptx->dst);
	if (x && x->has_nexthop && !mcast && !in6_addr_find(s, NULL, &ptx->dst) &&
	    if_get(s, x->nexthop_if)) {
		/* RFC 3542 6.4: the socket layer checked it is a neighbor; it replaces the
		 * route (there need not be one) */
		memset(&o, 0, sizeof(o));
		o.ifp = if_get(s, x->nexthop_if);
		o.nexthop = x->nexthop;
	} else if ((r = find_path(s, ptx, &o))) {
		goto drop;
	}
	if (!o.local && !(o.ifp->flags & UMK_IF_UP)) {
		COUNT(s, IP6_OUT_DROP_IF_DOWN);
		r = -ENETUNREACH;
		goto drop;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&src) && !(tx->flags & IP6_TX_SRC_UNSPEC) &&
	    ip6_select_source(s, o.ifp, &ptx->dst, &src)) {
		COUNT(s, IP6_OUT_NO_SRC);
		r = -EADDRNOTAVAIL;
		goto drop;
	}
	if (mcast && !(tx->flags & IP6_TX_NOLOOP) && !link_control(tx, pkt) &&
	    mld_is_member(s, o.ifp, &ptx->dst))
		loop_copy = true;

	unsigned offl = path_offloads(s, &o, tx);
	if (tx->gso_size && !(offl & UMK_OFFLOAD_CSUM)) {
		/* TCP asked ip6_tx_offloads first; the path changed under it (it cannot in one
		 * call chain): refused, and TCP's retransmission sends it again */
		COUNT(s, IP6_OUT_DROP_GSO_PATH);
		r = -ENETUNREACH;
		goto drop;
	}
	/* RFC 8200 8.1: the upper-layer checksum over the pseudo-header; with the checksum
	 * offload (or a super-segment, each of whose segments needs its own) only the
	 * pseudo-header's sum goes in, the rest is summed where the packet is finished */
	uint32_t ulen = pkt->len;
	uint32_t ulp_at = pkt_off(pkt);
	bool csum_partial = false;
	if (tx->csum_off >= 0 && (uint32_t)tx->csum_off + 2 <= ulen) {
		uint8_t *c = pkt->data + tx->csum_off;
		uint16_t sum;
		if (offl & UMK_OFFLOAD_CSUM) {
			sum = (uint16_t)~csum_fold(csum_pseudo6(&src, &tx->dst, ulen, tx->nxt));
			csum_partial = true;
		} else {
			c[0] = c[1] = 0;
			sum = csum_ip6(&src, &tx->dst, tx->nxt, pkt->data, ulen);
			if (sum == 0)
				sum = 0xffff; /* RFC 768 / 8200 8.1: 0 means "none" for UDP */
		}
		c[0] = (uint8_t)(sum >> 8);
		c[1] = (uint8_t)sum;
	}

	uint8_t nxt = tx->nxt;
	/* RFC 8200 4.1: final Destination Options sit after ESP, so they go on first */
	if (x && x->len[IP6_TX_EXT_DST2] && !ext_push(pkt, x, IP6_TX_EXT_DST2, &nxt))
		goto nobufs;
	/* RFC 4301 5.1: the outbound SPD; one compare when it is empty */
	if (!o.local && !ipsec_spd_empty(s, IPSEC_DIR_OUT)) {
		/* a packet held for an SA is sent again later from a copy of this tx: it must
		 * not point into the socket's send call, nor checksum again what now starts
		 * with the final Destination Options (so a held packet loses the others) */
		struct ip6_tx itx;
		const struct ip6_tx *stx = tx;
		if (x) {
			itx = *tx;
			itx.ext = NULL;
			itx.nxt = nxt;
			itx.csum_off = -1;
			stx = &itx;
		}
		r = ipsec_output(s, &pkt, stx, &src, o.ifp, &nxt);
		if (r)
			return r < 0 ? r : 0;
	}
	uint32_t unfrag = IP6_HLEN, nxt_off = IP6_OFF_NXT;
	if (tx->flags & IP6_TX_RTALERT) {
		uint8_t *p = pkt_push(pkt, IP6_HBH_RTALERT_LEN);
		if (!p)
			goto nobufs;
		ip6_hbh_rtalert_emit(p, nxt, IP6_RTALERT_MLD);
		nxt = IPPROTO6_HOPOPTS;
		unfrag += IP6_HBH_RTALERT_LEN;
		nxt_off = IP6_HLEN;
	}
	if (x && !(tx->flags & IP6_TX_RTALERT)) {
		/* the unfragmentable part, innermost first: Routing, the Destination Options
		 * before it (RFC 3542 9.2: only with a Routing header), Hop-by-Hop */
		uint32_t last = 0;           /* the header just before the fragmentable part */
		for (int i = IP6_TX_EXT_RTHDR; i >= IP6_TX_EXT_HBH; i--) {
			if (!x->len[i] || (i == IP6_TX_EXT_DST1 && !x->len[IP6_TX_EXT_RTHDR]))
				continue;
			uint8_t *p = ext_push(pkt, x, i, &nxt);
			if (!p)
				goto nobufs;
			if (i == IP6_TX_EXT_RTHDR)
				rthdr_finish(p, x->len[i], &tx->dst);
			if (!last)
				last = x->len[i];
			unfrag += x->len[i];
		}
		if (last)
			nxt_off = unfrag - last;
	}
	if (pkt->len > IP6_MAX_PAYLOAD) {
		COUNT(s, IP6_OUT_DROP_TOO_BIG);
		r = -EMSGSIZE;
		goto drop;
	}
	struct ip6_hdr_info h = {
		.tclass = tx->tclass, .flowlabel = tx->flowlabel, .plen = (uint16_t)pkt->len,
		.nxt = nxt, .src = src, .dst = ptx->dst,
	};
	if (tx->hlim >= 0)
		h.hlim = (uint8_t)tx->hlim;
	else
		h.hlim = mcast ? 1 : (uint8_t)o.ifp->conf.hop_limit; /* RFC 3542 6.3 */
	uint8_t *ip = pkt_push(pkt, IP6_HLEN);
	if (!ip)
		goto nobufs;
	ip6_hdr_emit(ip, &h);
	pkt->net_off = pkt_off(pkt);
	pkt->ifindex = (uint16_t)o.ifp->index;
	pkt->flags = 0; /* a reply built in a received buffer: its receive flags are stale */
	pkt->gso_size = tx->gso_size;
	if (csum_partial) {
		pkt->flags |= PKT_F_CSUM_PARTIAL;
		pkt->csum_start = ulp_at;
		pkt->csum_offset = (uint16_t)tx->csum_off;
	}

	if (o.local) {
		/* our own address: delivered by the loopback queue, never on the wire */
		COUNT(s, IP6_OUT_LOOPBACK);
		loopback_enqueue(s, o.ifp, pkt);
		return 0;
	}
	if (mcast)
		COUNT(s, IP6_OUT_MCAST_PKTS);
	if (loop_copy) {
		struct umk_pkt *c = pkt_copy(s, pkt, PKT_HEADROOM);
		if (c) {
			COUNT(s, IP6_OUT_LOOPBACK);
			loopback_enqueue(s, o.ifp, c);
		}
	}

	uint32_t mtu = (tx->flags & IP6_TX_MINMTU) ? IP6_MIN_MTU : pmtu_get(s, o.ifp, &ptx->dst);
	if (pkt->gso_size) {
		/* the segments, not the super-segment, meet the path MTU (RFC 8201 5.2) */
		uint32_t thl = ulen >= 13 ? (uint32_t)(pkt->data[IP6_HLEN + 12] >> 4) * 4 : 0;
		if (IP6_HLEN + thl + pkt->gso_size > mtu) {
			COUNT(s, IP6_OUT_DROP_DONTFRAG);
			r = -EMSGSIZE;
			goto drop;
		}
		if (!(offl & UMK_OFFLOAD_TSO6))
			return gso_send(s, &o, pkt);
		COUNT(s, IP6_OUT_GSO_PKTS);
		return link_send(s, &o, pkt, mcast);
	}
	if (pkt->len <= mtu)
		return link_send(s, &o, pkt, mcast);
	if (csum_partial && gso_csum_finish(s, pkt)) {
		r = -EINVAL;
		goto drop;
	}
	if (tx->flags & IP6_TX_DONTFRAG) {
		COUNT(s, IP6_OUT_DROP_DONTFRAG);
		r = -EMSGSIZE;
		goto drop;
	}
	COUNT(s, IP6_OUT_FRAG_REQDS);
	struct umk_pkt *frags;
	r = frag6_output(s, pkt, unfrag, nxt_off, mtu, &frags);
	if (r) {
		COUNT(s, IP6_OUT_FRAG_FAILS);
		COUNT(s, IP6_OUT_DISCARDS);
		return r;
	}
	COUNT(s, IP6_OUT_FRAG_OKS);
	while (frags) {
		struct umk_pkt *f = frags;
		frags = f->next;
		f->next = NULL;
		COUNT(s, IP6_OUT_FRAG_CREATES);
		int e = link_send(s, &o, f, mcast);
		if (e && !r)
			r = e;
	}
	return r;

nobufs:
	COUNT(s, IP6_OUT_DROP_NOBUFS);
	r = -ENOBUFS;
drop:
	COUNT(s, IP6_OUT_DISCARDS);
	pkt_free(s, pkt);
	return r;
}
