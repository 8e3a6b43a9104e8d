/*
 * datapath.c - IPsec in the IPv6 data path (RFC 4301 5): the outbound SPD decision and SA
 * bundle processing for ip6_output (5.1: discard, bypass, or protect with the SAs the
 * policy asks for, an ACQUIRE when one is missing), the inbound SPD check before delivery
 * (5.2: a packet that should have come protected and did not is dropped; step 4: one
 * that came through an SA must match that SA's selectors and a policy naming that SA),
 * and the transport/tunnel removal helpers ESP and AH input share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ip4/ip4.h"
#include "ip6/ip6.h"
#include "ipsec/ipcomp.h"
#include "ipsec/ipsec_int.h"
#include "ipsec/udpencap.h"
#include "wire/ip4.h"
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

/* ---- inbound: which SAs processed the packet (RFC 4301 5.2) ---- */

static void in_record(struct ipsec_in_sa *r, const struct ipsec_sa *sa, bool tunnel)
{
	r->proto = sa->proto;
	r->tunnel = tunnel;
	r->outer = false;
	r->spi = sa->spi;
	r->reqid = sa->reqid;
	r->src = sa->src;
	r->dst = sa->dst;
	r->sel = sa->sel;
}

static int in_slot(uint8_t proto)
{
	return proto == IPPROTO6_ESP ? IPSEC_IN_ESP : proto == IPPROTO6_AH ? IPSEC_IN_AH : -1;
}

void ipsec_in_note(struct umk_stack *s, const struct ipsec_sa *sa)
{
	int k = in_slot(sa->proto);
	if (k >= 0)
		in_record(&s->ipsec->in_sa[k], sa, false);
}

void ipsec_decap(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx,
		 uint32_t inner_off, uint32_t inner_len, const struct ipsec_sa *sa)
{
	struct ipsec_state *st = s->ipsec;
	if (st->decap_depth >= DECAP_MAX_DEPTH) {
		COUNT(s, IPSEC_DROP_NESTED);
		pkt_free(s, pkt);
		return;
	}
	pkt_pull(pkt, inner_off);
	pkt_trim(pkt, inner_len);
	/* IPv6 in IPv6, or IPv4 in IPv6 (gateway4.c: a gateway's IPv4 networks) */
	bool v4 = pkt->len >= IP4_HLEN && pkt->data[0] >> 4 == 4;
	if (!v4 && (pkt->len < IP6_HLEN || pkt->data[0] >> 4 != 6)) {
		COUNT(s, IPSEC_DROP_TUNNEL_BAD);
		pkt_free(s, pkt);
		return;
	}
	if (v4 && !ipsec_decap4_ecn(s, pkt, rx->tclass))
		return;
	if (v4)   /* the outer frame's link-layer broadcast says nothing of the inner */
		pkt->flags &= (uint8_t)~(PKT_F_BCAST | PKT_F_MCAST);
	/* the inner packet's check (ipsec_input_check, ipsec_forward) runs inside this call
	 * and sees this tunnel's SAs; an ESP or AH that covered the outer packet in
	 * transport mode (IPv6 | AH | ESP | IPv6) protected the tunnel too */
	struct ipsec_in_sa prev[2];
	memcpy(prev, st->decap_sa, sizeof(prev));
	memset(st->decap_sa, 0, sizeof(st->decap_sa));
	unsigned flag[2] = { IP6_RX_ESP, IP6_RX_AH };
	for (int k = 0; k < 2; k++)
		if (rx->flags & flag[k]) {
			st->decap_sa[k] = st->in_sa[k];
			st->decap_sa[k].tunnel = true;
			st->decap_sa[k].outer = true;
		}
	int k = in_slot(sa->proto);
	if (k >= 0) {
		in_record(&st->decap_sa[k], sa, true);
	} else {
		/* another layer (IPComp) let the tunnel out: the ESP/AH over it carried it */
		st->decap_sa[IPSEC_IN_ESP].outer = st->decap_sa[IPSEC_IN_AH].outer = false;
	}
	st->decap_depth++;
	if (v4)
		ip4_input(s, rx->ifp, pkt);
	else
		ip6_input(s, rx->ifp, pkt);
	st->decap_depth--;
	memcpy(st->decap_sa, prev, sizeof(prev));
}

/* Does request q of a policy name the SA behind r (RFC 4301 5.2 step 4)? */
static bool req_names(const struct ipsec_req *q, const struct ipsec_in_sa *r)
{
	if (r->proto != q->proto || r->tunnel != (q->mode == IPSEC_MODE_TUNNEL))
		return false;
	/* tunnel mode: the SA must run between the endpoints the policy names */
	if (r->tunnel && (!IN6_ARE_ADDR_EQUAL(&r->src, &q->tsrc) ||
			  !IN6_ARE_ADDR_EQUAL(&r->dst, &q->tdst)))
		return false;
	/* a request bound to SAs by id (KAME "unique:N", RFC 2367's reqid) takes no other */
	return !q->reqid || r->reqid == q->reqid;
}

int ipsec_in_verdict(struct umk_stack *s, const struct ipsec_pktsel *ps,
		     const struct ipsec_in_sa *const *recs, int n)
{
	/* step 4, the SA's own selectors: a transport-mode SA from A carries A's traffic,
	 * not a packet whose source says B */
	for (int i = 0; i < n; i++)
		if (!recs[i]->tunnel && !spd_sel_match(&recs[i]->sel, ps))
			return CNT_IPSEC_DROP_SA_SELECTOR;
	if (!n && spd_nd_bypass(s, ps)) {
		COUNT(s, IPSEC_ND_BYPASS);
		return 0;
	}
	struct ipsec_policy *pol = spd_lookup(s, IPSEC_DIR_IN, ps);
	unsigned used = 0;
	if (pol && pol->action == IPSEC_DISCARD)
		return CNT_IPSEC_DROP_IN_DISCARD;
	for (int j = 0; pol && pol->action == IPSEC_PROTECT && j < pol->n_req; j++) {
		const struct ipsec_req *q = &pol->req[j];
		bool tun = q->mode == IPSEC_MODE_TUNNEL, kind = false;
		int hit = -1;
		if (q->proto != IPPROTO6_ESP && q->proto != IPPROTO6_AH)
			continue;            /* IPComp is not ours to require here */
		for (int i = 0; i < n && hit < 0; i++) {
			if (used & (1u << i))
				continue;
			if (recs[i]->proto == q->proto && recs[i]->tunnel == tun)
				kind = true;
			if (req_names(q, recs[i]))
				hit = i;
		}
		if (hit >= 0) {
			used |= 1u << hit;
			continue;
		}
		if (q->level == 1)
			continue;            /* KAME "use": protection optional */
		char a[ADDRSTRLEN], b[ADDRSTRLEN];
		LOG_DEBUG(s, "policy %u wants proto %u mode %u from %s to %s: %s", pol->id,
			  q->proto, q->mode, addr_str(&ps->src, a), addr_str(&ps->dst, b),
			  kind ? "another SA" : "unprotected");
		return kind ? CNT_IPSEC_DROP_SA_POLICY : CNT_IPSEC_DROP_POLICY;
	}
	/* step 4 for tunnels: the inner packet must fall under a policy that names the
	 * tunnel; under none, or under a bypass, it is outside what the SA may carry */
	for (int i = 0; i < n; i++)
		if (recs[i]->tunnel && !recs[i]->outer && !(used & (1u << i)))
			return CNT_IPSEC_DROP_SA_POLICY;
	return 0;
}

bool ipsec_input_check(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx)
{
	struct ipsec_state *st = s->ipsec;
	const struct ipsec_in_sa *recs[4];
	struct ipsec_pktsel ps;
	int n = 0;

	if (pkt->flags & PKT_F_LOOPED)
		return false;  /* our own traffic to ourselves: ip6_output skipped IPsec too */
	if (rx->flags & IP6_RX_ESP)
		recs[n++] = &st->in_sa[IPSEC_IN_ESP];
	if (rx->flags & IP6_RX_AH)
		recs[n++] = &st->in_sa[IPSEC_IN_AH];
	for (int k = 0; st->decap_depth && k < 2; k++)
		if (st->decap_sa[k].proto)
			recs[n++] = &st->decap_sa[k];
	if (!n && !st->head.n_policies[IPSEC_DIR_IN])
		return false;  /* SAs exist, but this packet met none and no policy asks */
	/* RFC 3948 3.2: ESP's UDP header is checked with what ESP carries (udpencap.c) */
	if (!n && udpencap_spd_exempt(s, pkt, rx))
		return false;
	spd_pktsel(&ps, &rx->src, &rx->dst, rx->nxt, pkt->data, pkt->len);
	int why = ipsec_in_verdict(s, &ps, recs, n);
	if (!why)
		return false;
	char a[ADDRSTRLEN], b[ADDRSTRLEN];
	LOG_DEBUG(s, "inbound %s -> %s proto %u refused (counter %d)", addr_str(&rx->src, a),
		  addr_str(&rx->dst, b), rx->nxt, why);
	s->counters[why]++;
	pkt_free(s, pkt);
	return true;
}

/* ---- output ---- */

void ipsec_acquire(struct umk_stack *s, struct ipsec_policy *pol, const struct ipsec_req *req,
		   const struct in6_addr *src, const struct in6_addr *dst)
{
	if (!pol->last_acquire || s->now >= pol->last_acquire + 1000) {
		pol->last_acquire = s->now ? s->now : 1;
		pfkey_send_acquire(s, pol, req, src, dst);
	}
}

/* No SA for a protect policy (RFC 4301 5.1, step 3a): ask the key daemons, then hold
 * the packet (the newest one only) or drop it. */
static int no_sa(struct umk_stack *s, struct ipsec_policy *pol, const struct ipsec_req *req,
		 const struct in6_addr *src, const struct in6_addr *dst, struct umk_pkt *pkt,
		 const struct ip6_tx *tx)
{
	struct ipsec_state *st = s->ipsec;
	ipsec_acquire(s, pol, req, src, dst);
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
	if (sa->proto == IPPROTO6_ESP) {
		int r = esp_output(s, sa, pkt, nxt);
		/* RFC 3948 3.1: the UDP header goes outside ESP */
		if (!r && sa->encap_type)
			r = udpencap_output(s, sa, pkt, nxt, src, dst);
		return r;
	}
	if (sa->proto == IPPROTO6_IPCOMP)
		return ipcomp_output(s, sa, pkt, nxt);   /* RFC 3173 3: before ESP/AH */
	return ah_output(s, sa, pkt, nxt, src, dst, 0);
}

void ipsec_find_sas(struct umk_stack *s, struct ipsec_policy *pol, const struct in6_addr *src,
		    const struct in6_addr *dst, struct ipsec_sa **sas,
		    struct ipsec_req **missing)
{
	struct ipsec_state *st = s->ipsec;
	*missing = NULL;
	for (int i = 0; i < pol->n_req; i++) {
		struct ipsec_req *q = &pol->req[i];
		bool tun = q->mode == IPSEC_MODE_TUNNEL;
		const struct in6_addr *as = tun ? &q->tsrc : src, *ad = tun ? &q->tdst : dst;
		struct ipsec_sa *sa = q->cache;
		/* the cache is good while no SA came, went or changed state */
		if (!sa || q->cache_gen != st->sa_gen || !IN6_ARE_ADDR_EQUAL(&sa->dst, ad) ||
		    !IN6_ARE_ADDR_EQUAL(&sa->src, as)) {
			sa = sad_find_out(s, q, as, ad);
			q->cache = sa;
			q->cache_gen = st->sa_gen;
		}
		sas[i] = sa;
		if (!sa && q->level != 1 && !*missing)
			*missing = q;
	}
}

int ipsec_tunnel_out(struct umk_stack *s, struct ipsec_sa *sa, const struct ipsec_req *q,
		     struct umk_pkt *pkt)
{
	return ipsec_tunnel_out_inner(s, sa, q, pkt, IPPROTO6_IPV6, 0);
}

int ipsec_tunnel_out_inner(struct umk_stack *s, struct ipsec_sa *sa, const struct ipsec_req *q,
			   struct umk_pkt *pkt, uint8_t inner, uint8_t tclass)
{
	uint8_t onxt = inner;
	int r = apply(s, sa, pkt, &onxt, &q->tsrc, &q->tdst);
	if (r)
		return r;
	struct ip6_tx otx;
	ip6_tx_init(&otx, onxt);
	otx.tclass = tclass;
	otx.src = q->tsrc;
	otx.dst = q->tdst;
	otx.flags = IP6_TX_IPSEC_DONE;
	return ip6_output(s, pkt, &otx);
}

int ipsec_output(struct umk_stack *s, struct umk_pkt **pp, const struct ip6_tx *tx,
		 const struct in6_addr *src, struct umk_if *ifp, uint8_t *nxt)
{
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
	struct ipsec_req *missing;
	ipsec_find_sas(s, pol, src, &tx->dst, sas, &missing);
	if (missing) {
		bool tun = missing->mode == IPSEC_MODE_TUNNEL;
		struct ip6_tx htx = *tx;
		htx.src = *src;
		return no_sa(s, pol, missing, tun ? &missing->tsrc : src,
			     tun ? &missing->tdst : &tx->dst, pkt, &htx);
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
		r = ipsec_tunnel_out(s, sas[i], q, pkt);
		return r ? r : 1;
	}
	*pp = pkt;
	return 0;
}
