/*
 * gateway4.c - IPsec for IPv4 traffic carried in IPv6 tunnels (RFC 4301 tunnel mode with an
 * IPv4 inner and an IPv6 outer header, RFC 4303 next header 4): umikamed as the security
 * gateway of an IPv4 network. IPv4 selectors are IPv4-mapped (::ffff:0:0/96 + prefix, see
 * ipsec/pfkey.c), so the SPD, SA lookup and the 5.2 checks are those of IPv6 traffic
 * (gateway.c, datapath.c):
 *   - ipsec_input4: the inbound SPD for an IPv4 packet we received, in the clear or out of
 *     a tunnel (RFC 4301 5.2 step 4: it must fall under a policy that names the tunnel);
 *   - ipsec_forward4: the outbound SPD for one we forward: bypass, discard, or one tunnel
 *     request toward the peer gateway (TTL decremented first, as forwarding does);
 *   - ipsec_decap4: an IPv4 inner packet out of a tunnel, with RFC 6040 ECN decapsulation.
 * A DF datagram too big for an ESP tunnel gets Fragmentation Needed with the room the
 * tunnel leaves (RFC 4301 8.2.1). Called from ip4/input.c and datapath.c:ipsec_decap. Not
 * done: IPv4 outer headers (SA and tunnel endpoints are IPv6), ICMP type/code selectors for
 * ICMPv4, and fragments past the first are matched without ports (only "any port"
 * selectors take them).
 */
#include <errno.h>
#include <string.h>

#include "ip4/ip4.h"
#include "ip6/ip6.h"
#include "ip6/route6.h"
#include "ipsec/ipsec_int.h"
#include "wire/esp.h"
#include "wire/ip4.h"
#include "wire/ip6.h"
#include "wire/ip6_const.h"
#include "wire/udp.h"

#define ECN_MASK 0x03
#define ECN_CE   0x03             /* RFC 3168 5 */

/* The selector values of an IPv4 datagram at pkt->data (header h, already checked). A
 * non-first fragment has no ports: 0s, which only "any port" selectors take. */
static void pktsel4(const struct umk_pkt *pkt, const struct ip4_hdr_info *h,
		    struct ipsec_pktsel *ps)
{
	struct in6_addr src, dst;
	ip4_mapped(h->src, &src);
	ip4_mapped(h->dst, &dst);
	const uint8_t *ul = pkt->data + h->hlen;
	uint32_t len = h->frag_off ? 0 : h->total_len - h->hlen;
	/* spd_pktsel reads ICMP type/code only for ICMPv6: IPv4's ICMP is matched by
	 * protocol alone */
	spd_pktsel(ps, &src, &dst, h->proto, ul, len);
}

/* Collects the tunnel SAs recorded for the packet being decapsulated. */
static int decap_recs(struct ipsec_state *st, const struct ipsec_in_sa **recs)
{
	int n = 0;
	for (int k = 0; st->decap_depth && k < 2; k++)
		if (st->decap_sa[k].proto)
			recs[n++] = &st->decap_sa[k];
	return n;
}

bool ipsec_input4(struct umk_stack *s, struct umk_pkt *pkt, const struct ip4_hdr_info *h)
{
	struct ipsec_state *st = s->ipsec;
	const struct ipsec_in_sa *recs[2];
	struct ipsec_pktsel ps;
	int n = decap_recs(st, recs);
	if (!n && !st->head.n_policies[IPSEC_DIR_IN])
		return false;
	pktsel4(pkt, h, &ps);
	int why = ipsec_in_verdict(s, &ps, recs, n);
	if (!why)
		return false;
	LOG_DEBUG(s, "inbound IPv4 %08x -> %08x proto %u refused (counter %d)", h->src, h->dst,
		  h->proto, why);
	s->counters[why]++;
	pkt_free(s, pkt);
	return true;
}

/* The largest inner datagram an ESP tunnel SA carries without fragmenting the outer IPv6
 * packet: the outer path MTU less IPv6, (UDP,) ESP header, IV, ICV, and the trailer with
 * the padding that aligns it. 0 when not known (AH, IPComp, no route to the peer). */
static uint32_t tunnel_room(struct umk_stack *s, const struct ipsec_sa *sa,
			    const struct ipsec_req *q)
{
	struct rt6_nexthop nh;
	if (sa->proto != IPPROTO6_ESP || !sa->crypto || rt6_lookup(s, &q->tdst, 0, 0, &nh))
		return 0;
	uint32_t mtu = pmtu_get(s, nh.ifp, &q->tdst);
	uint32_t fixed = IP6_HLEN + ESP_HDR_LEN + ipsec_crypto_iv_len(sa->crypto) +
			 ipsec_crypto_icv_len(sa->crypto) + (sa->encap_type ? UDP_HLEN : 0);
	uint32_t block = ipsec_crypto_block(sa->crypto);
	if (block < 4)
		block = 4;               /* RFC 4303 2.4: the trailer ends 4-aligned */
	if (mtu < fixed + block + IP4_MIN_MTU)
		return 0;
	return (mtu - fixed) / block * block - ESP_TRAILER_LEN;
}

int ipsec_forward4(struct umk_stack *s, struct umk_if *in, struct umk_pkt *pkt,
		   const struct ip4_hdr_info *h)
{
	struct ipsec_state *st = s->ipsec;
	struct ipsec_pktsel ps;
	int why;
	if (!st->head.n_policies[IPSEC_DIR_OUT])
		return 0;
	pktsel4(pkt, h, &ps);
	struct ipsec_policy *pol = spd_lookup(s, IPSEC_DIR_OUT, &ps);
	if (!pol || pol->action == IPSEC_BYPASS)
		return 0;
	if (pol->action == IPSEC_DISCARD) {
		why = CNT_IPSEC_DROP_OUT_DISCARD;
		goto drop;
	}
	struct ipsec_req *q = &pol->req[0];
	if (pol->n_req != 1 || q->mode != IPSEC_MODE_TUNNEL) {
		/* RFC 4301 4.1: transit traffic is protected in tunnel mode only */
		why = CNT_IPSEC_DROP_FWD_NOT_TUNNEL;
		goto drop;
	}
	struct ipsec_sa *sas[IPSEC_MAX_REQ];
	struct ipsec_req *missing;
	ipsec_find_sas(s, pol, &ps.src, &ps.dst, sas, &missing);
	if (missing) {
		ipsec_acquire(s, pol, missing, &missing->tsrc, &missing->tdst);
		why = CNT_IPSEC_DROP_NO_OUT_SA;
		goto drop;
	}
	if (!sas[0])
		return 0;                /* KAME "use" and no SA: forwarded as it is */
	/* RFC 4301 8.2.1 / RFC 1191: a DF datagram the tunnel could only carry fragmented is
	 * answered with Fragmentation Needed giving what fits; without DF the outer IPv6
	 * packet is fragmented (RFC 4301 8.1) */
	uint32_t room = h->df ? tunnel_room(s, sas[0], q) : 0;
	if (room && h->total_len > room) {
		COUNT(s, IP4_FWD_NEED_FRAG);
		icmp4_error(s, in, pkt, ICMP4_DEST_UNREACH, ICMP4_UNREACH_NEEDFRAG,
			    (uint16_t)(room > UINT16_MAX ? UINT16_MAX : room));
		pkt_free(s, pkt);
		return 1;
	}
	/* forwarding's TTL decrement happens before the datagram becomes the inner packet
	 * (RFC 4301 5.1.2.1: the inner header is the forwarded one) */
	ip4_hdr_dec_ttl(pkt->data, h->hlen);
	pkt->flags = 0;
	COUNT(s, IPSEC_FWD_TUNNELLED);
	/* RFC 4301 5.1.2.1 / RFC 6040 4.1 normal mode: DSCP and ECN copied to the outer */
	ipsec_tunnel_out_inner(s, sas[0], q, pkt, IPPROTO6_IPV4, h->tos);
	return 1;
drop:
	LOG_DEBUG(s, "transit IPv4 %08x -> %08x proto %u refused (counter %d)", h->src, h->dst,
		  h->proto, why);
	s->counters[why]++;
	pkt_free(s, pkt);
	return 1;
}

bool ipsec_decap4_ecn(struct umk_stack *s, struct umk_pkt *pkt, uint8_t outer_tclass)
{
	/* RFC 6040 4.2: a CE outer marks an ECN-capable inner CE, and drops a Not-ECT one
	 * (its sender would not see the congestion); other outer values leave the inner be */
	if ((outer_tclass & ECN_MASK) != ECN_CE)
		return true;
	struct ip4_hdr_info h;
	if (ip4_hdr_parse(pkt->data, pkt->len, &h))
		return true;             /* ip4_input counts what is wrong with it */
	if ((h.tos & ECN_MASK) == 0) {
		COUNT(s, IPSEC_DROP_ECN);
		pkt_free(s, pkt);
		return false;
	}
	if ((h.tos & ECN_MASK) != ECN_CE) {
		h.tos |= ECN_CE;
		pkt->data[1] = h.tos;
		uint16_t c = ip4_hdr_csum(pkt->data, h.hlen);
		pkt->data[10] = (uint8_t)(c >> 8);
		pkt->data[11] = (uint8_t)c;
	}
	return true;
}
