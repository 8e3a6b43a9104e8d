/*
 * forward.c - IPv6 forwarding for a router. ip6_input hands over a packet that is not for
 * us when the receiving interface has `forwarding` on; here it is checked, routed and sent
 * on, or answered with the ICMPv6 error RFC 4443 names:
 *   - source and destination checks (RFC 4291 2.5.2, 2.5.3, 2.7; RFC 4007 9: nothing with
 *     a link-local source or destination leaves its link);
 *   - Hop Limit (RFC 8200 3): <= 1 gets Time Exceeded code 0, else it is decremented;
 *   - the route (ip6/route6.c, ECMP by flow hash): none gives Destination Unreachable code 0,
 *     a reject route code 1, a link-local source leaving its link code 2;
 *   - the outgoing link MTU: a larger packet gets Packet Too Big (RFC 8200 5: routers never
 *     fragment); address resolution failing gives code 3 from ip6/nd6.c;
 *   - a packet going back out of the link it came from, from a neighbor, triggers a
 *     Redirect (RFC 4861 8.2), rate limited like every ICMPv6 message we originate.
 * The Hop-by-Hop header is examined only where the receiving interface's
 * `hbh_forward_process` says so (RFC 8200 4.3: "only if explicitly configured"); its options
 * then go through input.c's table and action bits. A Router Alert is only acted on for
 * packets addressed to us (input.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/forward.h"
#include "ip6/gso.h"
#include "ip6/ip6.h"
#include "ip6/nd6.h"
#include "ip6/route6.h"
#include "ipsec/ipsec.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"
#include "wire/nd.h"

/* RFC 4861 8.2: "A router MUST limit the rate at which Redirect messages are sent". Our
 * choice: a token bucket of FWD_REDIRECT_BURST, refilled at FWD_REDIRECT_RATE per second. */
#define FWD_REDIRECT_RATE  10
#define FWD_REDIRECT_BURST 10

struct fwd_state {
	uint64_t redirect_tokens;     /* thousandths of a token */
	umk_time_t redirect_last;
};

int fwd_init(struct umk_stack *s)
{
	s->fwd = calloc(1, sizeof(*s->fwd));
	if (!s->fwd)
		return -ENOMEM;
	s->fwd->redirect_tokens = FWD_REDIRECT_BURST * 1000;
	s->fwd->redirect_last = s->now;
	return 0;
}

void fwd_fini(struct umk_stack *s)
{
	free(s->fwd);
	s->fwd = NULL;
}

static bool redirect_rate_pass(struct umk_stack *s)
{
	struct fwd_state *f = s->fwd;
	f->redirect_tokens += (s->now - f->redirect_last) * FWD_REDIRECT_RATE;
	f->redirect_last = s->now;
	if (f->redirect_tokens > FWD_REDIRECT_BURST * 1000)
		f->redirect_tokens = FWD_REDIRECT_BURST * 1000;
	if (f->redirect_tokens < 1000)
		return false;
	f->redirect_tokens -= 1000;
	return true;
}

/* RFC 4861 8.2: is the packet's source a neighbor on ifp (link-local, or covered by an
 * on-link route of ifp)? */
static bool src_is_neighbor(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *src)
{
	if (IN6_IS_ADDR_LINKLOCAL(src))
		return true;
	struct rt6_nexthop nh;
	return !rt6_lookup(s, src, 0, 0, &nh) && nh.on_link && nh.ifp == ifp;
}

/* RFC 4861 8.2: tells the sender of ip (a packet from a neighbor on ifp that we forward back
 * out of ifp) that `target` is a better first hop for dst. The packet is not consumed. */
static void redirect_send(struct umk_stack *s, struct umk_if *ifp, const uint8_t *ip,
			  uint32_t len, const struct in6_addr *src, const struct in6_addr *dst,
			  const struct in6_addr *target)
{
	/* 8.2: the target is the destination itself (on-link), or the link-local address
	 * of the better router: a global gateway cannot be named */
	if (!IN6_ARE_ADDR_EQUAL(target, dst) && !IN6_IS_ADDR_LINKLOCAL(target)) {
		COUNT(s, FWD_REDIRECT_NO_LL_TARGET);
		return;
	}
	/* 8.2: "MUST be the link-local address assigned to the interface from which this
	 * message is sent" */
	struct in6_ifaddr *ll = in6_linklocal(s, ifp);
	if (!ll) {
		COUNT(s, FWD_REDIRECT_NO_SRC);
		return;
	}
	if (!redirect_rate_pass(s)) {
		COUNT(s, FWD_REDIRECT_RATELIMITED);
		return;
	}
	struct nd_msg m;
	memset(&m, 0, sizeof(m));
	m.type = ND_REDIRECT;
	m.target = *target;
	m.dest = *dst;
	uint8_t ll_addr[ND_ETH_ADDR_LEN];
	if (nd6_lladdr(s, ifp, target, ll_addr)) {
		m.opts.has_tllao = true;
		memcpy(m.opts.tllao, ll_addr, sizeof(ll_addr));
	}
	/* 4.6.3: as much of the packet as fits in the minimum MTU, whole 8-octet units */
	uint32_t room = ICMP6_ERR_MAX_LEN - IP6_HLEN - ND_REDIRECT_LEN -
			(m.opts.has_tllao ? ND_OPT_LLADDR_LEN : 0) - ND_OPT_REDIR_MIN_LEN;
	room &= ~7u;
	m.opts.redir = ip;
	m.opts.redir_len = len < room ? len : room;
	struct umk_pkt *pkt = pkt_alloc(s, ICMP6_ERR_MAX_LEN, PKT_HEADROOM);
	if (!pkt) {
		COUNT(s, FWD_REDIRECT_NOBUFS);
		return;
	}
	size_t n = nd_emit(pkt->data, pkt_tailroom(pkt), &m);
	if (!n) {
		COUNT(s, FWD_REDIRECT_NOBUFS);
		pkt_free(s, pkt);
		return;
	}
	pkt_put(pkt, (uint32_t)n);
	struct ip6_tx tx;
	ip6_tx_init(&tx, IPPROTO6_ICMPV6);
	tx.src = ll->addr;
	tx.dst = *src;
	tx.oif = ifp->index;
	if (in6_is_scoped(src))
		tx.zone = ifp->index;
	tx.hlim = ND_HOP_LIMIT;
	COUNT(s, FWD_REDIRECT_SENT);
	icmp6_send(s, pkt, &tx);
}

/* An ICMPv6 error about pkt, which arrived on ifp; counts as a discard. Consumes pkt. */
static void error(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt, uint8_t type,
		  uint8_t code, uint32_t param)
{
	pkt->ifindex = (uint16_t)ifp->index;
	icmp6_error(s, pkt, type, code, param);
}

static void drop(struct umk_stack *s, struct umk_pkt *pkt, enum umk_counter why)
{
	s->counters[why]++;
	pkt_free(s, pkt);
}

void ip6_forward(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt)
{
	struct ip6_hdr_info h;
	struct rt6_nexthop nh;

	/* offloads end here (ip6/gso.c): a super-segment from a receive offload is cut back
	 * into the segments its sender made, each forwarded on its own; a checksum left open
	 * is finished, since the next hop may check it */
	if (pkt->gso_size && !(pkt->flags & (PKT_F_MCAST | PKT_F_BCAST))) {
		struct umk_pkt *segs;
		if (gso_segment_tcp6(s, pkt, &segs))
			return;
		while (segs) {
			struct umk_pkt *g = segs;
			segs = g->next;
			g->next = NULL;
			g->ifindex = (uint16_t)ifp->index;
			ip6_forward(s, ifp, g);
		}
		return;
	}
	if (pkt->flags & PKT_F_CSUM_PARTIAL) {
		/* a sum starting inside the IPv6 header would write over the header we forward
		 * by (its payload length, its addresses): no driver's checksum sits there */
		if (pkt->csum_start < pkt->net_off + IP6_HLEN) {
			COUNT(s, GSO_DROP_CSUM_OFFSETS);
			pkt_free(s, pkt);
			return;
		}
		if (gso_csum_finish(s, pkt)) {
			pkt_free(s, pkt);
			return;
		}
	}
	COUNT(s, IP6_IN_FORW_DATAGRAMS);
	if (ip6_hdr_parse(pkt->data, pkt->len, &h)) {
		COUNT(s, IP6_IN_HDR_ERRORS);
		drop(s, pkt, CNT_IP6_DROP_SHORT);
		return;
	}
	/* a unicast packet that came in a link-layer multicast or broadcast frame is not
	 * ours to forward (RFC 1812 5.3.4 by analogy; Linux does the same) */
	if (pkt->flags & (PKT_F_MCAST | PKT_F_BCAST)) {
		drop(s, pkt, CNT_FWD_DROP_L2_MCAST);
		return;
	}
	/* no multicast routing: a group we are not a member of stays where it is */
	if (IN6_IS_ADDR_MULTICAST(&h.dst)) {
		drop(s, pkt, CNT_FWD_DROP_DST_MCAST);
		return;
	}
	/* RFC 4291 2.5.2, 2.5.3, 2.7: these sources name no single node elsewhere */
	if (IN6_IS_ADDR_UNSPECIFIED(&h.src) || IN6_IS_ADDR_MULTICAST(&h.src) ||
	    IN6_IS_ADDR_LOOPBACK(&h.src)) {
		COUNT(s, IP6_IN_ADDR_ERRORS);
		drop(s, pkt, IN6_IS_ADDR_UNSPECIFIED(&h.src) ? CNT_FWD_DROP_SRC_UNSPEC :
			     IN6_IS_ADDR_MULTICAST(&h.src) ? CNT_FWD_DROP_SRC_MCAST :
							     CNT_FWD_DROP_SRC_LOOPBACK);
		return;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&h.dst) || IN6_IS_ADDR_LOOPBACK(&h.dst)) {
		COUNT(s, IP6_IN_ADDR_ERRORS);
		drop(s, pkt, CNT_FWD_DROP_DST_BAD);
		return;
	}
	/* RFC 4007 9 / RFC 4291 2.5.6: "Routers must not forward any packets with Link-Local
	 * source or destination addresses to other links"; a link-local destination that is
	 * not ours has nowhere else to go either */
	if (IN6_IS_ADDR_LINKLOCAL(&h.dst)) {
		COUNT(s, IP6_IN_ADDR_ERRORS);
		drop(s, pkt, CNT_FWD_DROP_DST_LINKLOCAL);
		return;
	}
	/* RFC 8200 4.3: "it should only be processed if explicitly configured to do so" */
	if (h.nxt == IPPROTO6_HOPOPTS) {
		if (!ifp->conf.hbh_forward_process) {
			COUNT(s, FWD_HBH_NOT_EXAMINED);
		} else {
			COUNT(s, FWD_HBH_PROCESSED);
			if (!ip6_hbh_forward(s, ifp, pkt))
				return;
		}
	}
	/* RFC 8200 3 and RFC 4443 3.3: a router never forwards with Hop Limit 0 */
	if (h.hlim <= 1) {
		COUNT(s, FWD_HLIM_EXCEEDED);
		COUNT(s, IP6_IN_HDR_ERRORS);
		error(s, ifp, pkt, ICMP6_TIME_EXCEEDED, ICMP6_TE_HOPLIMIT, 0);
		return;
	}
	/* RFC 4301 5.1, 5.2: a security gateway's SPD on transit traffic (ipsec/gateway.c) */
	if (ipsec_forward(s, ifp, pkt, &h))
		return;
	if (rt6_lookup_flow(s, &h.dst, 0, 0, &h.src, h.flowlabel, &nh)) {
		COUNT(s, FWD_NO_ROUTE);
		COUNT(s, IP6_IN_NO_ROUTES);
		error(s, ifp, pkt, ICMP6_DST_UNREACH, ICMP6_DU_NOROUTE, 0);
		return;
	}
	if (nh.type == RT6_REJECT) {
		COUNT(s, FWD_REJECT_ROUTE);
		COUNT(s, IP6_IN_NO_ROUTES);
		error(s, ifp, pkt, ICMP6_DST_UNREACH, ICMP6_DU_ADMIN, 0);
		return;
	}
	if (nh.type == RT6_BLACKHOLE) {
		COUNT(s, IP6_IN_DISCARDS);
		drop(s, pkt, CNT_FWD_BLACKHOLE_ROUTE);
		return;
	}
	struct umk_if *out = nh.ifp;
	/* RFC 4443 3.1 / RFC 4007 9: a link-local source cannot be answered off its link */
	if (out != ifp && IN6_IS_ADDR_LINKLOCAL(&h.src)) {
		COUNT(s, FWD_DROP_SRC_LINKLOCAL);
		COUNT(s, IP6_IN_ADDR_ERRORS);
		error(s, ifp, pkt, ICMP6_DST_UNREACH, ICMP6_DU_BEYONDSCOPE, 0);
		return;
	}
	if (!(out->flags & UMK_IF_UP)) {
		COUNT(s, IP6_IN_DISCARDS);
		drop(s, pkt, CNT_FWD_OUT_IF_DOWN);
		return;
	}
	/* RFC 8200 5 and RFC 4443 3.2: never fragmented on the way; the sender learns the
	 * MTU of the next link */
	uint32_t mtu = (uint32_t)out->conf.mtu;
	if (pkt->len > mtu) {
		COUNT(s, FWD_TOO_BIG);
		COUNT(s, IP6_OUT_FRAG_FAILS);
		error(s, ifp, pkt, ICMP6_PACKET_TOO_BIG, 0, mtu);
		return;
	}
	/* RFC 4861 8.2: back out of the link it came in on, from a neighbor: a better first
	 * hop exists on that link. The packet is forwarded all the same. */
	if (out == ifp && ifp->conf.send_redirects && src_is_neighbor(s, ifp, &h.src))
		redirect_send(s, ifp, pkt->data, pkt->len, &h.src, &h.dst, &nh.addr);

	pkt->data[IP6_OFF_HLIM] = (uint8_t)(h.hlim - 1);
	pkt->flags = 0;
	pkt->ifindex = (uint16_t)out->index;
	COUNT(s, IP6_OUT_FORW_DATAGRAMS);
	COUNT(s, IP6_OUT_TRANSMITS);
	if (nd6_output(s, out, &nh.addr, pkt) < 0)
		COUNT(s, FWD_OUT_FAILED);
}
