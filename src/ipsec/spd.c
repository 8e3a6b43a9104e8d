/*
 * spd.c - the Security Policy Database (RFC 4301 4.4.1): per direction, an ordered list of
 * policies (priority, then insertion order) with selectors on addresses and prefixes, the
 * upper-layer protocol, ports and ICMPv6 type/code (4.4.1.1), and actions bypass, discard
 * and protect. Bounded by limits.max_policies. Also the packets held while an ACQUIRE is
 * out (one per policy) and the RFC 4301 ND/MLD bypass: Neighbor Discovery and MLD must work
 * before any SA exists, so they pass even under a catch-all policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ip6/ip6.h"
#include "ipsec/ipsec.h"
#include "wire/icmp6.h"
#include "wire/ip6_const.h"
#include "wire/ipcomp.h"

static bool sel_equal(const struct ipsec_selector *a, const struct ipsec_selector *b)
{
	return IN6_ARE_ADDR_EQUAL(&a->src, &b->src) && IN6_ARE_ADDR_EQUAL(&a->dst, &b->dst) &&
	       a->src_plen == b->src_plen && a->dst_plen == b->dst_plen &&
	       a->proto == b->proto && a->sport == b->sport && a->dport == b->dport &&
	       a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code;
}

static void policy_free(struct umk_stack *s, struct ipsec_policy *p)
{
	if (p->held)
		pkt_free(s, p->held);
	free(p->held_tx);
	free(p);
}

static int policy_check(const struct ipsec_policy *t)
{
	if (t->dir > IPSEC_DIR_OUT || t->action > IPSEC_PROTECT || t->sel.src_plen > 128 ||
	    t->sel.dst_plen > 128 || t->n_req > IPSEC_MAX_REQ)
		return -EINVAL;
	if (t->action == IPSEC_PROTECT && !t->n_req)
		return -EINVAL;
	for (int i = 0; i < t->n_req; i++) {
		const struct ipsec_req *q = &t->req[i];
		if (q->proto != IPPROTO6_ESP && q->proto != IPPROTO6_AH &&
		    q->proto != IPPROTO6_IPCOMP)
			return -EINVAL;
		if (q->mode != IPSEC_MODE_TRANSPORT && q->mode != IPSEC_MODE_TUNNEL)
			return -EINVAL;
		/* RFC 3173 2.2: IPComp's own tunnel sends what does not shrink as bare
		 * IPv6-in-IPv6, which this stack does not take in; ipcomp/transport inside an
		 * ESP tunnel works */
		if (q->proto == IPPROTO6_IPCOMP && q->mode == IPSEC_MODE_TUNNEL)
			return -EPROTONOSUPPORT;
		/* the tunnel is the outermost layer: only the last request may be one */
		if (q->mode == IPSEC_MODE_TUNNEL &&
		    (i != t->n_req - 1 || IN6_IS_ADDR_UNSPECIFIED(&q->tdst) ||
		     IN6_IS_ADDR_UNSPECIFIED(&q->tsrc)))
			return -EINVAL;
	}
	return 0;
}

int spd_add(struct umk_stack *s, const struct ipsec_policy *t, bool update, uint32_t *id)
{
	struct ipsec_state *st = s->ipsec;
	int r = policy_check(t);
	if (r)
		return r;
	struct ipsec_policy **pp, *old = NULL;
	for (pp = &st->spd[t->dir]; *pp; pp = &(*pp)->next)
		if (sel_equal(&(*pp)->sel, &t->sel)) {
			old = *pp;
			break;
		}
	if (old && !update)
		return -EEXIST;
	if (!old && st->head.n_policies[0] + st->head.n_policies[1] >= s->limits.max_policies) {
		COUNT(s, IPSEC_SPD_LIMIT);
		return -ENOSPC;
	}
	struct ipsec_policy *p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = *t;
	p->held = NULL;
	p->held_tx = NULL;
	p->last_acquire = 0;
	for (int i = 0; i < p->n_req; i++)
		p->req[i].cache = NULL;
	if (old) {
		p->id = old->id;
		*pp = old->next;
		st->head.n_policies[t->dir]--;
		policy_free(s, old);
	} else {
		p->id = st->next_policy_id++;
		/* KAME ids: the low bits carry the direction */
	}
	for (pp = &st->spd[t->dir]; *pp && (*pp)->priority <= p->priority; pp = &(*pp)->next)
		;
	p->next = *pp;
	*pp = p;
	st->head.n_policies[t->dir]++;
	if (id)
		*id = p->id;
	return 0;
}

static void unlink_policy(struct umk_stack *s, struct ipsec_policy **pp)
{
	struct ipsec_policy *p = *pp;
	*pp = p->next;
	s->ipsec->head.n_policies[p->dir]--;
	policy_free(s, p);
}

int spd_delete(struct umk_stack *s, uint8_t dir, const struct ipsec_selector *sel)
{
	if (dir > IPSEC_DIR_OUT)
		return -EINVAL;
	for (struct ipsec_policy **pp = &s->ipsec->spd[dir]; *pp; pp = &(*pp)->next)
		if (sel_equal(&(*pp)->sel, sel)) {
			unlink_policy(s, pp);
			return 0;
		}
	return -ENOENT;
}

int spd_delete_id(struct umk_stack *s, uint32_t id)
{
	for (int d = 0; d < 2; d++)
		for (struct ipsec_policy **pp = &s->ipsec->spd[d]; *pp; pp = &(*pp)->next)
			if ((*pp)->id == id) {
				unlink_policy(s, pp);
				return 0;
			}
	return -ENOENT;
}

struct ipsec_policy *spd_get_id(struct umk_stack *s, uint32_t id)
{
	for (int d = 0; d < 2; d++)
		for (struct ipsec_policy *p = s->ipsec->spd[d]; p; p = p->next)
			if (p->id == id)
				return p;
	return NULL;
}

void spd_flush(struct umk_stack *s)
{
	for (int d = 0; d < 2; d++)
		while (s->ipsec->spd[d])
			unlink_policy(s, &s->ipsec->spd[d]);
}

int spd_walk(struct umk_stack *s, int (*fn)(void *, struct ipsec_policy *), void *ctx)
{
	for (int d = 0; d < 2; d++)
		for (struct ipsec_policy *p = s->ipsec->spd[d], *n; p; p = n) {
			n = p->next;
			int r = fn(ctx, p);
			if (r)
				return r;
		}
	return 0;
}

/* ---- matching ---- */

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO6_TCP || proto == IPPROTO6_UDP || proto == 132 /* SCTP */;
}

void spd_pktsel(struct ipsec_pktsel *ps, const struct in6_addr *src, const struct in6_addr *dst,
		uint8_t proto, const uint8_t *ul, uint32_t len)
{
	ps->src = *src;
	ps->dst = *dst;
	ps->proto = proto;
	ps->sport = ps->dport = 0;
	if (has_ports(proto) && len >= 4) {
		ps->sport = (uint16_t)(ul[0] << 8 | ul[1]);
		ps->dport = (uint16_t)(ul[2] << 8 | ul[3]);
	} else if (proto == IPPROTO6_ICMPV6 && len >= 2) {
		/* RFC 4301 4.4.1.1: ICMP type and code take the ports' places */
		ps->sport = ul[0];
		ps->dport = ul[1];
	}
}

bool spd_sel_match(const struct ipsec_selector *sel, const struct ipsec_pktsel *ps)
{
	if (!in6_prefix_eq(&sel->src, &ps->src, sel->src_plen) ||
	    !in6_prefix_eq(&sel->dst, &ps->dst, sel->dst_plen))
		return false;
	if (sel->proto == IPSEC_PROTO_ANY)
		return true;
	if (sel->proto != ps->proto)
		return false;
	if (has_ports(ps->proto))
		return (!sel->sport || sel->sport == ps->sport) &&
		       (!sel->dport || sel->dport == ps->dport);
	if (ps->proto == IPPROTO6_ICMPV6)
		return (sel->icmp_type == IPSEC_ICMP_ANY || sel->icmp_type == ps->sport) &&
		       (sel->icmp_code == IPSEC_ICMP_ANY || sel->icmp_code == ps->dport);
	return true;
}

/* Would sel take a packet like ps for some ports (ICMPv6 type and code), or for some
 * protocol when ps->proto is IPSEC_PROTO_ANY (not known)? Only a selector that names
 * what ps lacks can say yes where spd_sel_match says no. */
static bool sel_match_some_ports(const struct ipsec_selector *sel, const struct ipsec_pktsel *ps)
{
	if (!in6_prefix_eq(&sel->src, &ps->src, sel->src_plen) ||
	    !in6_prefix_eq(&sel->dst, &ps->dst, sel->dst_plen) || sel->proto == IPSEC_PROTO_ANY)
		return false;
	if (ps->proto == IPSEC_PROTO_ANY)
		return true;
	if (sel->proto != ps->proto)
		return false;
	if (has_ports(ps->proto))
		return sel->sport || sel->dport;
	return ps->proto == IPPROTO6_ICMPV6 &&
	       (sel->icmp_type != IPSEC_ICMP_ANY || sel->icmp_code != IPSEC_ICMP_ANY);
}

bool spd_opaque_unsafe(struct umk_stack *s, uint8_t dir, const struct ipsec_pktsel *ps)
{
	bool stricter = false;
	for (const struct ipsec_policy *p = s->ipsec->spd[dir]; p; p = p->next) {
		if (spd_sel_match(&p->sel, ps))
			return stricter && p->action == IPSEC_BYPASS;
		if (p->action != IPSEC_BYPASS && sel_match_some_ports(&p->sel, ps))
			stricter = true;
	}
	return stricter;                 /* no policy: bypassed */
}

struct ipsec_policy *spd_lookup(struct umk_stack *s, uint8_t dir, const struct ipsec_pktsel *ps)
{
	for (struct ipsec_policy *p = s->ipsec->spd[dir]; p; p = p->next)
		if (spd_sel_match(&p->sel, ps))
			return p;
	return NULL;
}

bool spd_nd_bypass(const struct umk_stack *s, const struct ipsec_pktsel *ps)
{
	if (!s->ipsec->nd_bypass || ps->proto != IPPROTO6_ICMPV6)
		return false;
	/* MLDv1 130-132, RS/RA/NS/NA/Redirect 133-137, MLDv2 report 143 */
	return (ps->sport >= ICMP6_MLD_QUERY && ps->sport <= ICMP6_ND_REDIRECT) ||
	       ps->sport == ICMP6_MLDV2_REPORT;
}

void spd_release_held(struct umk_stack *s)
{
	for (struct ipsec_policy *p = s->ipsec->spd[IPSEC_DIR_OUT]; p; p = p->next) {
		if (!p->held)
			continue;
		struct umk_pkt *pkt = p->held;
		struct ip6_tx tx = *p->held_tx;
		p->held = NULL;
		/* goes through the SPD again: sent if its SA now exists, held again if not */
		ip6_output(s, pkt, &tx);
	}
}
