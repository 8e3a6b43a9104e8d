/*
 * gateway.c - IPsec on a security gateway's transit traffic (RFC 4301 5.1 and 5.2): the one
 * hook ip6/forward.c calls for a packet it is about to forward.
 *   - Inbound, the packet is held to the SPD as one delivered to us is
 *     (datapath.c:ipsec_in_verdict): a packet that arrived in the clear under a protect
 *     policy, or out of a tunnel that the matching policy does not name (5.2 step 4), is
 *     dropped. Traffic decapsulated from a tunnel SA reaches this check through
 *     ipsec_decap -> ip6_input -> ip6_forward, with the tunnel's SAs recorded.
 *   - Outbound, the SPD decides: bypass (forwarded as it is), discard, or protect. For
 *     transit traffic protect means tunnel mode toward the peer gateway (RFC 4301 4.1: a
 *     gateway uses transport mode only for traffic it sends or receives itself), so the
 *     policy must be one tunnel-mode request; the packet, its Hop Limit decremented as
 *     forwarding does, becomes the inner packet.
 * Choice: with no SA yet, an ACQUIRE goes out and the transit packet is dropped, not held
 * (the held-packet path of datapath.c re-sends our own packets through ip6_output).
 */
#include <errno.h>
#include <string.h>

#include "ip6/ip6.h"
#include "ipsec/ipsec_int.h"
#include "wire/ip6.h"
#include "wire/ip6_const.h"

/* The selector values of a transit packet: its addresses, and the upper-layer protocol
 * and ports past its extension headers (RFC 4301 4.4.1.1). A non-first fragment carries
 * no ports (nor does a first one cut before them): it is matched with ports 0 (only "any
 * port" selectors take it), and true says so (4.4.1's OPAQUE). Its protocol is the one
 * its Fragment header names (RFC 8200 4.5: the same in every fragment); when that is
 * another extension header the protocol is unknown too: IPSEC_PROTO_ANY, which only
 * "any protocol" selectors take. */
static bool transit_sel(const struct umk_pkt *pkt, const struct ip6_hdr_info *h,
			struct ipsec_pktsel *ps)
{
	struct ip6_chain c;
	struct ip6_fraghdr f;
	uint8_t proto = h->nxt;
	const uint8_t *ul = NULL;
	uint32_t len = 0;

	if (!ip6_chain_walk(pkt->data, pkt->len, h->nxt, IP6_HLEN, IP6_OFF_NXT, &c)) {
		proto = c.nxt;
		if (!c.frag_nonfirst && c.off <= pkt->len) {
			ul = pkt->data + c.off;
			len = pkt->len - c.off;
		} else if (c.frag_nonfirst &&
			   !ip6_fraghdr_parse(pkt->data + c.off, pkt->len - c.off, &f)) {
			proto = ip6_is_ext(f.nxt) ? IPSEC_PROTO_ANY : f.nxt;
		}
	}
	spd_pktsel(ps, &h->src, &h->dst, proto, ul, len);
	bool ports = proto == IPPROTO6_TCP || proto == IPPROTO6_UDP || proto == 132 /* SCTP */;
	return (ports && len < 4) || (proto == IPPROTO6_ICMPV6 && len < 2) ||
	       proto == IPSEC_PROTO_ANY;
}

int ipsec_forward_slow(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt,
		       const struct ip6_hdr_info *h)
{
	struct ipsec_state *st = s->ipsec;
	const struct ipsec_in_sa *recs[2];
	struct ipsec_pktsel ps;
	int n = 0, why;

	bool opaque = transit_sel(pkt, h, &ps);
	for (int k = 0; st->decap_depth && k < 2; k++)
		if (st->decap_sa[k].proto)
			recs[n++] = &st->decap_sa[k];
	/* RFC 4301 5.2: the inbound SPD before anything else is done with the packet */
	if (n || st->head.n_policies[IPSEC_DIR_IN]) {
		why = ipsec_in_verdict(s, &ps, recs, n);
		/* RFC 4301 7: without stateful fragment checking (7.3), a fragment that came
		 * in the clear and has no ports to tell is dropped where a port-specific
		 * policy might have required it protected; else its fragments would carry
		 * past the gateway what the first one could not */
		if (!why && !n && opaque && spd_opaque_unsafe(s, IPSEC_DIR_IN, &ps))
			why = CNT_IPSEC_DROP_FWD_OPAQUE;
		if (why)
			goto drop;
	}
	/* RFC 4301 5.1: then the outbound SPD */
	if (!st->head.n_policies[IPSEC_DIR_OUT])
		return 0;
	/* the same outbound: it would leave in the clear, where a port-specific policy
	 * might protect the rest of its packet */
	if (opaque && spd_opaque_unsafe(s, IPSEC_DIR_OUT, &ps)) {
		why = CNT_IPSEC_DROP_FWD_OPAQUE;
		goto drop;
	}
	struct ipsec_policy *pol = spd_lookup(s, IPSEC_DIR_OUT, &ps);
	if (!pol || pol->action == IPSEC_BYPASS)
		return 0;
	if (pol->action == IPSEC_DISCARD) {
		why = CNT_IPSEC_DROP_OUT_DISCARD;
		goto drop;
	}
	struct ipsec_req *q = &pol->req[0];
	if (pol->n_req != 1 || q->mode != IPSEC_MODE_TUNNEL) {
		why = CNT_IPSEC_DROP_FWD_NOT_TUNNEL;
		goto drop;
	}
	struct ipsec_sa *sas[IPSEC_MAX_REQ];
	struct ipsec_req *missing;
	ipsec_find_sas(s, pol, &h->src, &h->dst, sas, &missing);
	if (missing) {
		ipsec_acquire(s, pol, missing, &missing->tsrc, &missing->tdst);
		why = CNT_IPSEC_DROP_NO_OUT_SA;
		goto drop;
	}
	if (!sas[0])
		return 0;                /* KAME "use" and no SA: forwarded as it is */
	pkt->data[IP6_OFF_HLIM] = (uint8_t)(h->hlim - 1);
	pkt->flags = 0;
	COUNT(s, IPSEC_FWD_TUNNELLED);
	ipsec_tunnel_out(s, sas[0], q, pkt);   /* its drops are counted where they happen */
	return 1;
drop:
	{
		char a[ADDRSTRLEN], b[ADDRSTRLEN];
		LOG_DEBUG(s, "transit %s -> %s proto %u on %s refused (counter %d)",
			  addr_str(&h->src, a), addr_str(&h->dst, b), ps.proto, ifp->name, why);
	}
	s->counters[why]++;
	pkt_free(s, pkt);
	return 1;
}
