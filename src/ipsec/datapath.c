/*
 * datapath.c - IPsec in the IPv6 data path (RFC 4301 5): the outbound SPD decision and SA
 * bundle processing for ip6_output (5.1: discard, bypass, or protect with the SAs the
 * policy asks for, an ACQUIRE when one is missing), the inbound SPD check before delivery
 * (5.2: a packet that should have come protected and did not is dropped), and the
 * transport/tunnel removal helpers ESP and AH input share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ip6/ip6.h"
#include "ipsec/ipsec_int.h"
#include "wire/ip6.h"
#include "wire/ip6_const.h"

#define DECAP_MAX_DEPTH 3

void ipsec_strip(struct umk_pkt *pkt, uint32_t off, uint32_t hdr_len, uint32_t inner_len,
		 uint32_t nxt_off, uint8_t nxt)
{
	/* the headers before ESP/AH are the short part: move them, not the payload */
	memmove(pkt->data + hdr_len, pkt->data, off);
	pkt_pull(pkt, hdr_len);
	pkt_trim(pkt, off + inner_len);
	pkt->data[nxt_off] = nxt;
	uint32_t plen = pkt->len - IP6_HLEN;
	pkt->data[4] = (uint8_t)(plen >> 8);
	pkt->data[5] = (uint8_t)plen;
	pkt->net_off = pkt_off(pkt);
}

void ipsec_decap(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx,
		 uint32_t inner_off, uint32_t inner_len, unsigned seen)
{
	struct ipsec_state *st = s->ipsec;
	if (st->decap_depth >= DECAP_MAX_DEPTH) {
		COUNT(s, IPSEC_DROP_NESTED);
		pkt_free(s, pkt);
		return;
	}
	pkt_pull(pkt, inner_off);
	pkt_trim(pkt, inner_len);
	if (pkt->len < IP6_HLEN || pkt->data[0] >> 4 != 6) {
		/* IPv4-in-IPv6 tunnels are not there yet */
		COUNT(s, IPSEC_DROP_TUNNEL_BAD);
		pkt_free(s, pkt);
		return;
	}
	/* the inner packet's SPD check (ipsec_input_check) runs inside this call */
	unsigned prev = st->decap_seen;
	st->decap_seen = seen;
	st->decap_depth++;
	ip6_input(s, rx->ifp, pkt);
	st->decap_depth--;
	st->decap_seen = prev;
}

bool ipsec_input_check(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx)
{
	struct ipsec_state *st = s->ipsec;
	struct ipsec_pktsel ps;

	if (pkt->flags & PKT_F_LOOPED)
		return false;  /* our own traffic to ourselves: ip6_output skipped IPsec too */
	spd_pktsel(&ps, &rx->src, &rx->dst, rx->nxt, pkt->data, pkt->len);
	if (spd_nd_bypass(s, &ps)) {
		COUNT(s, IPSEC_ND_BYPASS);
		return false;
	}
	struct ipsec_policy *pol = spd_lookup(s, IPSEC_DIR_IN, &ps);
	if (!pol || pol->action == IPSEC_BYPASS)
		return false;
	if (pol->action == IPSEC_DISCARD) {
		COUNT(s, IPSEC_DROP_IN_DISCARD);
		pkt_free(s, pkt);
		return true;
	}
	unsigned seen = st->decap_seen;
	if (rx->flags & IP6_RX_ESP)
		seen |= IPSEC_SEEN_ESP;
	if (rx->flags & IP6_RX_AH)
		seen |= IPSEC_SEEN_AH;
	for (int i = 0; i < pol->n_req; i++) {
		const struct ipsec_req *q = &pol->req[i];
		if (q->level == 1)
			continue;            /* KAME "use": protection optional */
		bool tun = q->mode == IPSEC_MODE_TUNNEL;
		unsigned need = q->proto == IPPROTO6_ESP ?
				(tun ? IPSEC_SEEN_ESP_TUNNEL : IPSEC_SEEN_ESP) :
				(tun ? IPSEC_SEEN_AH_TUNNEL : IPSEC_SEEN_AH);
		if (!(seen & need)) {
			char a[ADDRSTRLEN], b[ADDRSTRLEN];
			LOG_DEBUG(s, "policy %u wants proto %u mode %u from %s to %s, saw 0x%x",
				  pol->id, q->proto, q->mode, addr_str(&rx->src, a),
				  addr_str(&rx->dst, b), seen);
			COUNT(s, IPSEC_DROP_POLICY);
			pkt_free(s, pkt);
			return true;
		}
	}
	return false;
}

/* ---- output ---- */

/* No SA for a protect policy (RFC 4301 5.1, step 3a): ask the key daemons, then hold
 * the packet (the newest one only) or drop it. */
static int no_sa(struct umk_stack *s, struct ipsec_policy *pol, const struct ipsec_req *req,
		 const struct in6_addr *src, const struct in6_addr *dst, struct umk_pkt *pkt,
		 const struct ip6_tx *tx)
{
	struct ipsec_state *st = s->ipsec;
	if (!pol->last_acquire || s->now >= pol->last_acquire + 1000) {
		pol->last_acquire = s->now ? s->now : 1;
		pfkey_send_acquire(s, pol, req, src, dst);
	}
	if (st->acquire_hold) {
		if (!pol->held_tx)
			pol->held_tx = malloc(sizeof(*pol->held_tx));
		if (pol->held_tx) {
			if (pol->held) {
				COUNT(s, IPSEC_HELD_REPLACED);
				pkt_free(s, pol->held);
			}
			*pol->held_tx = *tx;
			pol->held = pkt;
			COUNT(s, IPSEC_HELD);
			return 1;
		}
	}
	COUNT(s, IPSEC_DROP_NO_OUT_SA);
	pkt_free(s, pkt);
	return -EAGAIN;
}

static int apply(struct umk_stack *s, struct ipsec_sa *sa, struct umk_pkt *pkt, uint8_t *nxt,
		 const struct in6_addr *src, const struct in6_addr *dst)
{
	if (sa->proto == IPPROTO6_ESP)
		return esp_output(s, sa, pkt, nxt);
	return ah_output(s, sa, pkt, nxt, src, dst, 0);
}

int ipsec_output(struct umk_stack *s, struct umk_pkt **pp, const struct ip6_tx *tx,
		 const struct in6_addr *src, struct umk_if *ifp, uint8_t *nxt)
{
	struct ipsec_state *st = s->ipsec;
	struct umk_pkt *pkt = *pp;
	struct ipsec_pktsel ps;
	struct ipsec_sa *sas[IPSEC_MAX_REQ];

	/* a tunnel's outer packet is done; Router Alert packets are MLD (bypassed) */
	if (tx->flags & (IP6_TX_IPSEC_DONE | IP6_TX_RTALERT))
		return 0;
	spd_pktsel(&ps, src, &tx->dst, *nxt, pkt->data, pkt->len);
	if (spd_nd_bypass(s, &ps)) {
		COUNT(s, IPSEC_ND_BYPASS);
		return 0;
	}
	struct ipsec_policy *pol = spd_lookup(s, IPSEC_DIR_OUT, &ps);
	if (!pol || pol->action == IPSEC_BYPASS)
		return 0;
	if (pol->action == IPSEC_DISCARD) {
		COUNT(s, IPSEC_DROP_OUT_DISCARD);
		pkt_free(s, pkt);
		return -EPERM;
	}
	for (int i = 0; i < pol->n_req; i++) {
		struct ipsec_req *q = &pol->req[i];
		bool tun = q->mode == IPSEC_MODE_TUNNEL;
		const struct in6_addr *as = tun ? &q->tsrc : src, *ad = tun ? &q->tdst : &tx->dst;
		struct ipsec_sa *sa = q->cache;
		/* the cache is good while no SA came, went or changed state */
		if (!sa || q->cache_gen != st->sa_gen || !IN6_ARE_ADDR_EQUAL(&sa->dst, ad) ||
		    !IN6_ARE_ADDR_EQUAL(&sa->src, as)) {
			sa = sad_find_out(s, q, as, ad);
			q->cache = sa;
			q->cache_gen = st->sa_gen;
		}
		if (!sa && q->level != 1) {
			struct ip6_tx htx = *tx;
			htx.src = *src;
			return no_sa(s, pol, q, as, ad, pkt, &htx);
		}
		sas[i] = sa;
	}
	for (int i = 0; i < pol->n_req; i++) {
		struct ipsec_req *q = &pol->req[i];
		int r;
		if (!sas[i])
			continue;
		if (q->mode != IPSEC_MODE_TUNNEL) {
			r = apply(s, sas[i], pkt, nxt, src, &tx->dst);
			if (r)
				return r;
			continue;
		}
		/* RFC 4301 5.1.2.1: the inner header keeps the original addresses */
		uint8_t *ip = pkt_push(pkt, IP6_HLEN);
		if (!ip || pkt->len - IP6_HLEN > IP6_MAX_PAYLOAD) {
			COUNT(s, IPSEC_DROP_NOBUFS);
			pkt_free(s, pkt);
			return -ENOBUFS;
		}
		struct ip6_hdr_info h = {
			.tclass = tx->tclass, .flowlabel = tx->flowlabel,
			.plen = (uint16_t)(pkt->len - IP6_HLEN), .nxt = *nxt,
			.src = *src, .dst = tx->dst,
		};
		if (tx->hlim >= 0)
			h.hlim = (uint8_t)tx->hlim;
		else
			h.hlim = IN6_IS_ADDR_MULTICAST(&tx->dst) ? 1 : (uint8_t)ifp->conf.hop_limit;
		ip6_hdr_emit(ip, &h);
		uint8_t onxt = IPPROTO6_IPV6;
		r = apply(s, sas[i], pkt, &onxt, &q->tsrc, &q->tdst);
		if (r)
			return r;
		struct ip6_tx otx;
		ip6_tx_init(&otx, onxt);
		otx.src = q->tsrc;
		otx.dst = q->tdst;
		otx.flags = IP6_TX_IPSEC_DONE;
		r = ip6_output(s, pkt, &otx);
		return r ? r : 1;
	}
	*pp = pkt;
	return 0;
}
