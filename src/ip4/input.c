/*
 * ip4/input.c - IPv4 datagrams in (RFC 791 3.2 / RFC 1812 5.2.2 header checks), local
 * delivery (only ICMP: echo is answered, RFC 792 / RFC 1122 3.2.2.6), forwarding (RFC 1812
 * 5.2/5.3: TTL, route, MTU with DF -> Fragmentation Needed per RFC 1191 4), and the ICMP
 * messages we originate. umikame does not fragment IPv4: a datagram too big for the next
 * link is answered with Fragmentation Needed when DF is set and dropped (counted) when not.
 * A datagram that arrives in fragments is forwarded as fragments, never reassembled.
 * IPsec: the inbound SPD is asked before delivery or forwarding, the outbound one before
 * the route (ipsec/gateway4.c: IPv4 networks behind an IPv6 ESP tunnel).
 * Wire formats: wire/ip4.c. Neighbours: ip4/arp.c (below), ipsec/ (tunnels).
 */
#include <errno.h>

#include "ip4/ip4_int.h"
#include "ip6/route6.h"
#include "ipsec/ipsec.h"
#include "wire/ip4.h"

static bool martian_src(uint32_t a)
{
	/* RFC 1812 5.3.7: not from 0/8, 127/8, multicast, class E or limited broadcast */
	uint8_t hi = (uint8_t)(a >> 24);
	return hi == 0 || hi == 127 || hi >= 224;
}

/* Pushes a 20-byte header and sends toward dst; src 0 chooses one on the way out.
 * Consumes pkt. */
static int ip4_send(struct umk_stack *s, struct umk_pkt *pkt, uint32_t src, uint32_t dst,
		    uint8_t proto, uint8_t tos)
{
	struct umk_if *ifp;
	uint32_t nexthop;
	uint8_t type;
	COUNT(s, IP4_OUT_REQUESTS);
	if (ip4_route_lookup(s, dst, &ifp, &nexthop, &type) || type != RT6_UNICAST) {
		COUNT(s, IP4_OUT_NO_ROUTE);
		pkt_free(s, pkt);
		return -ENETUNREACH;
	}
	if (!src && !ip4_addr_source(s, ifp, dst, &src)) {
		COUNT(s, IP4_OUT_NO_SOURCE);
		pkt_free(s, pkt);
		return -EADDRNOTAVAIL;
	}
	uint8_t *p = pkt_push(pkt, IP4_HLEN);
	if (!p || pkt->len > UINT16_MAX) {
		COUNT(s, IP4_DROP_NO_POOL);
		pkt_free(s, pkt);
		return -ENOBUFS;
	}
	struct ip4_hdr_info h = {
		.tos = tos, .total_len = (uint16_t)pkt->len, .id = s->ip4->next_id++,
		.df = true,   /* RFC 1191: our messages are small; let the path tell us */
		.ttl = IP4_DEFAULT_TTL, .proto = proto, .src = src, .dst = dst,
	};
	ip4_hdr_emit(p, &h);
	return arp_output(s, ifp, nexthop, pkt);
}

static bool icmp_rate_ok(struct umk_stack *s)
{
	/* RFC 1812 4.3.2.8: errors are rate-limited; the bucket shares the ICMPv6 limits
	 * (icmp6_rate per second, icmp6_burst deep) */
	struct ip4_state *st = s->ip4;
	uint64_t rate = s->limits.icmp6_rate;
	if (rate) {
		uint64_t add = (s->now - st->icmp_refill) * rate / 1000;
		if (add) {
			uint64_t t = st->icmp_tokens + add;
			st->icmp_tokens = (uint32_t)(t > s->limits.icmp6_burst
							     ? s->limits.icmp6_burst : t);
			st->icmp_refill = s->now;
		}
	}
	if (!st->icmp_tokens)
		return false;
	st->icmp_tokens--;
	return true;
}

void icmp4_error(struct umk_stack *s, struct umk_if *in, const struct umk_pkt *pkt,
		 uint8_t type, uint8_t code, uint16_t mtu)
{
	struct ip4_hdr_info h;
	if (ip4_hdr_parse(pkt->data, pkt->len, &h))
		return;
	/* RFC 1812 4.3.2.7: never about an ICMP error, a non-first fragment, a datagram to
	 * a broadcast or multicast address or received as link-layer broadcast, or from a
	 * source that does not name a single host */
	bool icmp_err = false;
	if (h.proto == IP4_PROTO_ICMP && h.frag_off == 0 && pkt->len >= h.hlen + 1u) {
		uint8_t t = pkt->data[h.hlen];
		icmp_err = t != ICMP4_ECHO_REQUEST && t != ICMP4_ECHO_REPLY && t != 13 &&
			   t != 14;  /* not an informational type (echo, timestamp) */
	}
	if (icmp_err || h.frag_off || h.dst == UINT32_MAX || (h.dst >> 28) == 0xe ||
	    (pkt->flags & (PKT_F_BCAST | PKT_F_MCAST)) || martian_src(h.src) ||
	    (in && ip4_is_subnet_bcast(s, in, h.dst))) {
		COUNT(s, ICMP4_OUT_SUPPRESSED);
		return;
	}
	if (!icmp_rate_ok(s)) {
		COUNT(s, ICMP4_OUT_RATELIMITED);
		return;
	}
	uint32_t quote = h.total_len < ICMP4_ERR_QUOTE_MAX ? h.total_len : ICMP4_ERR_QUOTE_MAX;
	struct umk_pkt *e = pkt_alloc(s, ICMP4_HLEN + quote, PKT_HEADROOM);
	if (!e) {
		COUNT(s, IP4_DROP_NO_POOL);
		return;
	}
	uint8_t *p = pkt_put(e, ICMP4_HLEN + quote);
	memcpy(p + ICMP4_HLEN, pkt->data, quote);
	struct icmp4_hdr ih = { .type = type, .code = code, .mtu = mtu };
	icmp4_emit(p, ICMP4_HLEN + quote, &ih);
	/* RFC 1812 4.3.2.4: the source is an address of the interface the datagram came in
	 * on (the one that would be used to reach the source otherwise) */
	uint32_t src = 0;
	if (in)
		ip4_addr_source(s, in, h.src, &src);
	COUNT(s, ICMP4_OUT_MSGS);
	if (type == ICMP4_TIME_EXCEEDED)
		COUNT(s, ICMP4_OUT_TIME_EXCDS);
	else if (type == ICMP4_DEST_UNREACH)
		COUNT(s, ICMP4_OUT_DEST_UNREACHS);
	ip4_send(s, e, src, h.src, IP4_PROTO_ICMP, 0);
}

/* ICMP to one of our addresses; pkt->data at the IPv4 header. Consumes pkt. */
static void icmp4_input(struct umk_stack *s, struct umk_pkt *pkt, const struct ip4_hdr_info *h,
			bool to_bcast)
{
	struct icmp4_hdr ih;
	const uint8_t *m = pkt->data + h->hlen;
	uint32_t mlen = h->total_len - h->hlen;
	COUNT(s, ICMP4_IN_MSGS);
	if (icmp4_hdr_parse(m, mlen, &ih)) {
		COUNT(s, ICMP4_IN_ERRORS);
		goto out;
	}
	if (ih.type != ICMP4_ECHO_REQUEST) {
		/* replies and errors would go to sockets; umikame has no IPv4 sockets */
		COUNT(s, ICMP4_IN_OTHER);
		goto out;
	}
	COUNT(s, ICMP4_IN_ECHOS);
	if (to_bcast) {
		/* RFC 1122 3.2.2.6 MAY answer; we do not (smurf amplification) */
		COUNT(s, ICMP4_IN_ECHO_BCAST);
		goto out;
	}
	/* RFC 792: the reply carries the request's data, identifier and sequence number */
	struct umk_pkt *r = pkt_alloc(s, mlen, PKT_HEADROOM);
	if (!r) {
		COUNT(s, IP4_DROP_NO_POOL);
		goto out;
	}
	uint8_t *p = pkt_put(r, mlen);
	memcpy(p, m, mlen);
	struct icmp4_hdr rep = { .type = ICMP4_ECHO_REPLY, .ident = ih.ident, .seq = ih.seq };
	icmp4_emit(p, mlen, &rep);
	COUNT(s, ICMP4_OUT_MSGS);
	COUNT(s, ICMP4_OUT_ECHO_REPS);
	ip4_send(s, r, h->dst, h->src, IP4_PROTO_ICMP, h->tos & 0xfc);
out:
	pkt_free(s, pkt);
}

void ip4_forward(struct umk_stack *s, struct umk_if *in, struct umk_pkt *pkt)
{
	struct ip4_hdr_info h;
	struct umk_if *out;
	uint32_t nexthop;
	uint8_t type;
	if (ip4_hdr_parse(pkt->data, pkt->len, &h)) {
		COUNT(s, IP4_DROP_LEN);
		goto drop;
	}
	if (pkt->flags & (PKT_F_BCAST | PKT_F_MCAST)) {
		/* RFC 1812 5.3.4: not forwarded when received as link-layer broadcast */
		COUNT(s, IP4_FWD_LINK_BCAST);
		goto drop;
	}
	/* RFC 1812 5.3.1: TTL <= 1 is not forwarded and earns a Time Exceeded */
	if (h.ttl <= 1) {
		COUNT(s, IP4_FWD_TTL_EXCEEDED);
		icmp4_error(s, in, pkt, ICMP4_TIME_EXCEEDED, ICMP4_TIMX_TTL, 0);
		goto drop;
	}
	/* RFC 4301 5.1: the outbound SPD before the route: a protect policy sends it into an
	 * IPv6 tunnel (ipsec/gateway4.c), whatever IPv4 routes say */
	if (!ipsec_spd_empty(s, IPSEC_DIR_OUT) && ipsec_forward4(s, in, pkt, &h))
		return;
	if (ip4_route_lookup(s, h.dst, &out, &nexthop, &type)) {
		COUNT(s, IP4_FWD_NO_ROUTE);
		icmp4_error(s, in, pkt, ICMP4_DEST_UNREACH, ICMP4_UNREACH_NET, 0);
		goto drop;
	}
	if (type == RT6_REJECT) {
		COUNT(s, IP4_FWD_REJECT);
		icmp4_error(s, in, pkt, ICMP4_DEST_UNREACH, ICMP4_UNREACH_ADMIN, 0);
		goto drop;
	}
	if (type == RT6_BLACKHOLE) {
		COUNT(s, IP4_FWD_BLACKHOLE);
		goto drop;
	}
	/* the IPv4 MTU of the link is the device's: IPv6 RAs may lower conf.mtu only for
	 * IPv6 (RFC 4861 6.3.4) */
	uint32_t mtu = out->device_mtu;
	if (h.total_len > mtu) {
		if (h.df) {
			/* RFC 1191 4: code 4 with the next-hop MTU */
			COUNT(s, IP4_FWD_NEED_FRAG);
			icmp4_error(s, in, pkt, ICMP4_DEST_UNREACH, ICMP4_UNREACH_NEEDFRAG,
				    (uint16_t)(mtu > UINT16_MAX ? UINT16_MAX : mtu));
		} else {
			COUNT(s, IP4_FWD_TOO_BIG_NO_DF);
		}
		goto drop;
	}
	ip4_hdr_dec_ttl(pkt->data, h.hlen);
	COUNT(s, IP4_IN_FORW_DATAGRAMS);
	arp_output(s, out, nexthop, pkt);
	return;
drop:
	pkt_free(s, pkt);
}

void ip4_input(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt)
{
	struct ip4_hdr_info h;
	COUNT(s, IP4_IN_RECEIVES);
	switch (ip4_hdr_parse(pkt->data, pkt->len, &h)) {
	case 0:
		break;
	case IP4_ERR_SHORT:
		COUNT(s, IP4_DROP_SHORT);
		goto drop;
	case IP4_ERR_VERSION:
		COUNT(s, IP4_DROP_VERSION);
		goto drop;
	case IP4_ERR_HLEN:
		COUNT(s, IP4_DROP_HLEN);
		goto drop;
	case IP4_ERR_LEN:
		COUNT(s, IP4_DROP_LEN);
		goto drop;
	default:
		COUNT(s, IP4_DROP_CSUM);
		goto drop;
	}
	pkt_trim(pkt, h.total_len);   /* Ethernet pads short frames */
	pkt->ifindex = (uint16_t)ifp->index;
	if (martian_src(h.src)) {
		COUNT(s, IP4_DROP_SRC_MARTIAN);
		goto drop;
	}
	uint8_t hi = (uint8_t)(h.dst >> 24);
	if (hi == 0 || hi == 127) {
		COUNT(s, IP4_DROP_DST_MARTIAN);
		goto drop;
	}
	if ((h.dst >> 28) == 0xe) {
		COUNT(s, IP4_DROP_MCAST);   /* no IPv4 multicast */
		goto drop;
	}
	/* RFC 4301 5.2: the inbound SPD, for what came in the clear and what came out of a
	 * tunnel (then inside ipsec_decap, which recorded the tunnel's SAs) */
	if (!ipsec_spd_empty(s, IPSEC_DIR_IN) && ipsec_input4(s, pkt, &h))
		return;
	bool bcast = h.dst == UINT32_MAX || ip4_is_subnet_bcast(s, ifp, h.dst);
	/* the weak host model of RFC 1122 3.3.4.2: any of our addresses, on any interface */
	if (bcast || ip4_addr_owner(s, h.dst)) {
		if (h.mf || h.frag_off) {
			COUNT(s, IP4_DROP_FRAGMENT);
			goto drop;
		}
		if (h.proto != IP4_PROTO_ICMP) {
			COUNT(s, IP4_DROP_NO_PROTO);
			if (!bcast)  /* RFC 1122 3.2.2.1: Protocol Unreachable */
				icmp4_error(s, ifp, pkt, ICMP4_DEST_UNREACH, ICMP4_UNREACH_PROTO, 0);
			goto drop;
		}
		COUNT(s, IP4_IN_DELIVERS);
		icmp4_input(s, pkt, &h, bcast);
		return;
	}
	if (h.dst >= 0xf0000000u) {
		COUNT(s, IP4_DROP_DST_MARTIAN);   /* class E, RFC 1812 5.3.7 */
		goto drop;
	}
	if (!ifp->conf.forwarding) {
		COUNT(s, IP4_DROP_NOT_FORWARDING);
		goto drop;
	}
	ip4_forward(s, ifp, pkt);
	return;
drop:
	pkt_free(s, pkt);
}
