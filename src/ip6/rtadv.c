/*
 * rtadv.c - the router side of Router Discovery, what KAME's rtadvd did, inside the stack:
 *   - Router Advertisements (RFC 4861 6.2.1-6.2.4) from the link-local address to all-nodes,
 *     every random [MinRtrAdvInterval, MaxRtrAdvInterval], the first
 *     MAX_INITIAL_RTR_ADVERTISEMENTS at most MAX_INITIAL_RTR_ADVERT_INTERVAL apart, with
 *     Prefix Information, MTU, SLLAO, Route Information and Default Router Preference
 *     (RFC 4191 2.2-2.3), RDNSS and DNSSL (RFC 8106 5);
 *   - answers to Router Solicitations (6.2.6): multicast after a random
 *     [0, MAX_RA_DELAY_TIME], no sooner than MIN_DELAY_BETWEEN_RAS after the last one; or,
 *     where `unicast_solicited` is on, unicast to a soliciting host that has an address;
 *   - final RAs with Router Lifetime 0 (and RIO/RDNSS/DNSSL lifetimes 0) when the
 *     interface stops advertising (6.2.5): MAX_FINAL_RTR_ADVERTISEMENTS of them,
 *     MIN_DELAY_BETWEEN_RAS apart, on ra del and forwarding off; one when the link goes
 *     down or the stack stops (there is no later then);
 *   - the consistency check of other routers' RAs (6.2.7), logged and counted;
 *   - membership of the all-routers groups on forwarding interfaces (RFC 4291 2.8,
 *     RFC 4861 6.2.2) and of ff02::1:ff00:0 for the Subnet-Router anycast addresses
 *     (RFC 4291 2.6.1), a failed join retried every RA_RETRY_JOIN.
 * The configuration API is <umikame/router.h>; host-side RA processing is ip6/rd6.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <umikame/router.h>

#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/nd6_int.h"
#include "ip6/rtadv.h"
#include "wire/ip6_const.h"

static const struct in6_addr all_nodes = { { { 0xff, 2, [15] = 1 } } };
static const struct in6_addr all_routers_ll = { { { 0xff, 2, [15] = 2 } } };
static const struct in6_addr all_routers_site = { { { 0xff, 5, [15] = 2 } } };

/* RFC 4861 6.2.1 defaults */
#define RA_DEFAULT_MAX_INTERVAL 600
#define RA_DEFAULT_VALID_LFT    2592000
#define RA_DEFAULT_PREF_LFT     604800
#define RA_DEFAULT_HOP_LIMIT    64
#define RA_RETRY_NO_LL          1000  /* ms: no link-local address yet (DAD), try again */
#define RA_RETRY_JOIN           1000  /* ms: the all-routers join failed (groups full) */
/* Unicast answers waiting for their random delay (6.2.6); more RSs in the same half
 * second get the multicast answer instead */
#define RA_MAX_UNICAST_PENDING  8

/* RFC 4291 2.6.1: the solicited-node group of every Subnet-Router anycast address of a
 * prefix up to /104 (its last 24 bits are zero), so NSs for them reach us */
static const struct in6_addr anycast_snm = { { { 0xff, 2, [11] = 1, [12] = 0xff } } };

/* The groups a forwarding interface is in */
#define RA_N_GROUPS 3
static const struct in6_addr *const all_routers[RA_N_GROUPS] = {
	&all_routers_ll, &all_routers_site, &anycast_snm
};

struct ra_pending {
	struct in6_addr to;
	umk_time_t when;
};

struct rtadv_if {
	struct umk_stack *s;
	int ifindex;
	bool configured, advertising;
	bool joined[RA_N_GROUPS];     /* all_routers[i] joined */
	bool join_failing;            /* logged once per run of failures */
	struct umk_ra_config conf;
	struct umk_timer timer;
	umk_time_t next;              /* when the timer fires */
	umk_time_t last_mcast;        /* the last RA sent, 0 none */
	unsigned initial_left;        /* fast initial RAs still to send (6.2.4) */
	unsigned final_left;          /* final RAs still to send (6.2.5), not advertising */
	struct umk_timer join_timer;
	struct umk_timer ucast_timer;
	struct ra_pending pending[RA_MAX_UNICAST_PENDING];
	unsigned n_pending;
	uint64_t ras_sent, rs_received, inconsistent;
};

struct rtadv_state {
	struct rtadv_if *ifs[UMK_MAX_IFS + 1];
};

int rtadv_init(struct umk_stack *s)
{
	s->rtadv = calloc(1, sizeof(*s->rtadv));
	return s->rtadv ? 0 : -ENOMEM;
}

void rtadv_fini(struct umk_stack *s)
{
	if (!s->rtadv)
		return;
	for (int i = 0; i <= UMK_MAX_IFS; i++)
		if (s->rtadv->ifs[i]) {
			timer_cancel(s, &s->rtadv->ifs[i]->timer);
			timer_cancel(s, &s->rtadv->ifs[i]->join_timer);
			timer_cancel(s, &s->rtadv->ifs[i]->ucast_timer);
			free(s->rtadv->ifs[i]);
		}
	free(s->rtadv);
	s->rtadv = NULL;
}

static struct rtadv_if *ri_get(struct umk_stack *s, int ifindex)
{
	if (!s->rtadv || ifindex <= 0 || ifindex > UMK_MAX_IFS)
		return NULL;
	return s->rtadv->ifs[ifindex];
}

static void ra_timer(struct umk_stack *s, struct umk_timer *t);
static void join_timer(struct umk_stack *s, struct umk_timer *t);
static void ucast_timer(struct umk_stack *s, struct umk_timer *t);

static struct rtadv_if *ri_make(struct umk_stack *s, int ifindex)
{
	struct rtadv_if *ri = ri_get(s, ifindex);
	if (ri || !s->rtadv || ifindex <= 0 || ifindex > UMK_MAX_IFS)
		return ri;
	ri = calloc(1, sizeof(*ri));
	if (!ri)
		return NULL;
	ri->s = s;
	ri->ifindex = ifindex;
	timer_init(&ri->timer, ra_timer);
	timer_init(&ri->join_timer, join_timer);
	timer_init(&ri->ucast_timer, ucast_timer);
	s->rtadv->ifs[ifindex] = ri;
	return ri;
}

/* ---- building and sending an RA ---- */

static uint32_t router_lifetime(const struct umk_ra_config *c)
{
	return c->router_lifetime == UMK_RA_DEFAULT ? 3 * c->max_interval : c->router_lifetime;
}

static uint32_t dns_lifetime(const struct umk_ra_config *c)
{
	return c->dns_lifetime == UMK_RA_DEFAULT ? 3 * c->max_interval : c->dns_lifetime;
}

static uint8_t prf_of(int pref)
{
	return pref > 0 ? ND_PRF_HIGH : pref < 0 ? ND_PRF_LOW : ND_PRF_MEDIUM;
}

/* The RA of c for ifp (final: RFC 4861 6.2.5, Router Lifetime 0; what it advertised with a
 * lifetime of its own is withdrawn too, as radvd's RemoveAdvOnExit does). */
static void ra_build(struct umk_if *ifp, const struct umk_ra_config *c, bool final,
		     struct nd_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = ND_ROUTER_ADVERT;
	m->cur_hop_limit = c->cur_hop_limit;
	m->ra_flags = (uint8_t)((c->managed ? ND_RA_F_MANAGED : 0) |
				(c->other ? ND_RA_F_OTHER : 0));
	uint32_t lft = final ? 0 : router_lifetime(c);
	/* RFC 4191 2.2: with Router Lifetime 0 the preference MUST be sent as medium */
	if (lft)
		m->ra_flags |= (uint8_t)(prf_of(c->pref) << ND_RA_PRF_SHIFT);
	m->router_lifetime = (uint16_t)lft;
	m->reachable_time = c->reachable_time;
	m->retrans_timer = c->retrans_timer;
	struct nd_opts *o = &m->opts;
	/* 6.2.3: SLLAO "SHOULD" be included */
	o->has_sllao = true;
	memcpy(o->sllao, ifp->lladdr, ND_ETH_ADDR_LEN);
	if (c->link_mtu) {
		o->has_mtu = true;
		o->mtu = c->link_mtu;
	}
	for (unsigned i = 0; i < c->n_prefix && i < ND_MAX_PREFIX_OPTS; i++) {
		const struct umk_ra_prefix *p = &c->prefix[i];
		struct nd_opt_prefix *q = &o->prefix[o->n_prefix++];
		q->prefix = p->prefix;
		q->plen = p->plen;
		q->flags = (uint8_t)((p->on_link ? ND_PIO_F_ONLINK : 0) |
				     (p->autonomous ? ND_PIO_F_AUTO : 0));
		q->valid_lft = p->valid_lft;
		q->preferred_lft = p->preferred_lft;
	}
	for (unsigned i = 0; i < c->n_route && i < ND_MAX_ROUTE_OPTS; i++) {
		const struct umk_ra_route *r = &c->route[i];
		struct nd_opt_route *q = &o->route[o->n_route++];
		q->prefix = r->prefix;
		q->plen = r->plen;
		q->prf = prf_of(r->pref);
		q->lifetime = final ? 0 : r->lifetime == UMK_RA_DEFAULT ? router_lifetime(c) :
									 r->lifetime;
	}
	for (unsigned i = 0; i < c->n_rdnss && i < ND_MAX_RDNSS_ADDRS; i++) {
		o->rdnss[o->n_rdnss].addr = c->rdnss[i];
		o->rdnss[o->n_rdnss++].lifetime = final ? 0 : dns_lifetime(c);
	}
	for (unsigned i = 0; i < c->n_dnssl && i < ND_MAX_DNSSL_NAMES; i++) {
		strcpy(o->dnssl[o->n_dnssl].name, c->dnssl[i]);
		o->dnssl[o->n_dnssl++].lifetime = final ? 0 : dns_lifetime(c);
	}
}

/* To all-nodes (to NULL) or to one host (6.2.6). 0, or -EADDRNOTAVAIL while ifp has no
 * usable link-local address (6.1.2: RAs come from one), or another send error. */
static int ra_send(struct umk_stack *s, struct umk_if *ifp, struct rtadv_if *ri, bool final,
		   const struct in6_addr *to)
{
	struct in6_ifaddr *ll = in6_linklocal(s, ifp);
	if (!ll) {
		COUNT(s, RA_OUT_NO_LINKLOCAL);
		return -EADDRNOTAVAIL;
	}
	struct nd_msg m;
	ra_build(ifp, &ri->conf, final, &m);
	struct umk_pkt *pkt = pkt_alloc(s, ND_MIN_LINK_MTU, PKT_HEADROOM);
	if (!pkt) {
		COUNT(s, RA_OUT_FAILED);
		return -ENOBUFS;
	}
	/* what ra_fits promised: the whole packet within the minimum MTU */
	uint32_t room = pkt_tailroom(pkt);
	size_t n = nd_emit(pkt->data, room < ND_MIN_LINK_MTU - IP6_HLEN ? room :
				      ND_MIN_LINK_MTU - IP6_HLEN, &m);
	if (!n) {
		COUNT(s, RA_OUT_FAILED);
		pkt_free(s, pkt);
		return -EMSGSIZE;
	}
	pkt_put(pkt, (uint32_t)n);
	struct ip6_tx tx;
	ip6_tx_init(&tx, IPPROTO6_ICMPV6);
	tx.src = ll->addr;
	tx.dst = to ? *to : all_nodes;
	tx.oif = ifp->index;
	tx.zone = in6_is_scoped(&tx.dst) ? ifp->index : 0;
	tx.hlim = ND_HOP_LIMIT;
	tx.flags = IP6_TX_NOLOOP;
	int r = icmp6_send(s, pkt, &tx);
	if (r) {
		COUNT(s, RA_OUT_FAILED);
		return r;
	}
	COUNT(s, RA_OUT);
	if (final)
		COUNT(s, RA_OUT_FINAL);
	ri->ras_sent++;
	if (to)
		COUNT(s, RA_OUT_UNICAST);
	else
		ri->last_mcast = s->now;   /* MIN_DELAY_BETWEEN_RAS is about multicast RAs */
	return 0;
}

/* ---- timing (6.2.4, 6.2.6) ---- */

static void schedule_at(struct umk_stack *s, struct rtadv_if *ri, umk_time_t when)
{
	ri->next = when;
	timer_arm(s, &ri->timer, when);
}

/* The next unsolicited RA: random in [Min, Max]RtrAdvInterval, capped while the first
 * MAX_INITIAL_RTR_ADVERTISEMENTS go out. */
static void schedule_periodic(struct umk_stack *s, struct rtadv_if *ri)
{
	uint64_t lo = (uint64_t)ri->conf.min_interval * 1000;
	uint64_t hi = (uint64_t)ri->conf.max_interval * 1000;
	uint64_t d = rng_range(s, lo, hi);
	if (ri->initial_left && d > ND_MAX_INITIAL_RTR_ADVERT_INTERVAL)
		d = ND_MAX_INITIAL_RTR_ADVERT_INTERVAL;
	schedule_at(s, ri, s->now + d);
}

static void ra_timer(struct umk_stack *s, struct umk_timer *t)
{
	struct rtadv_if *ri = container_of(t, struct rtadv_if, timer);
	struct umk_if *ifp = if_get(s, ri->ifindex);
	if (!ifp)
		return;
	if (!ri->advertising) {
		/* 6.2.5: the rest of the final RAs, while the link is up */
		if (ri->final_left && (ifp->flags & UMK_IF_UP)) {
			ra_send(s, ifp, ri, true, NULL);
			if (--ri->final_left)
				schedule_at(s, ri, s->now + ND_MIN_DELAY_BETWEEN_RAS);
		}
		return;
	}
	if (ra_send(s, ifp, ri, false, NULL) == -EADDRNOTAVAIL) {
		schedule_at(s, ri, s->now + RA_RETRY_NO_LL);
		return;
	}
	/* 6.2.4: the intervals after each of the first MAX_INITIAL_RTR_ADVERTISEMENTS RAs
	 * are capped */
	schedule_periodic(s, ri);
	if (ri->initial_left)
		ri->initial_left--;
}

static void start(struct umk_stack *s, struct rtadv_if *ri)
{
	ri->advertising = true;
	ri->final_left = 0;
	ri->initial_left = ND_MAX_INITIAL_RTR_ADVERTISEMENTS;
	/* the first RA soon, with the jitter an RS answer has, so routers that start
	 * together don't synchronise */
	umk_time_t when = s->now + rng_range(s, 0, ND_MAX_RA_DELAY_TIME);
	if (ri->last_mcast && when < ri->last_mcast + ND_MIN_DELAY_BETWEEN_RAS)
		when = ri->last_mcast + ND_MIN_DELAY_BETWEEN_RAS;
	schedule_at(s, ri, when);
}

/* going_down: the link goes down or the stack stops, so there is no later */
static void stop(struct umk_stack *s, struct umk_if *ifp, struct rtadv_if *ri, bool going_down)
{
	timer_cancel(s, &ri->timer);
	timer_cancel(s, &ri->ucast_timer);
	ri->n_pending = 0;
	ri->advertising = false;
	ri->final_left = 0;
	/* 6.2.5: "one or more (but not more than MAX_FINAL_RTR_ADVERTISEMENTS)" final RAs:
	 * the first now, the others MIN_DELAY_BETWEEN_RAS apart (6.2.4's spacing of
	 * multicast RAs) when the link stays up */
	if (!(ifp->flags & UMK_IF_UP))
		return;
	ra_send(s, ifp, ri, true, NULL);
	if (!going_down && ND_MAX_FINAL_RTR_ADVERTISEMENTS > 1) {
		ri->final_left = ND_MAX_FINAL_RTR_ADVERTISEMENTS - 1;
		schedule_at(s, ri, s->now + ND_MIN_DELAY_BETWEEN_RAS);
	}
}

/* RFC 4291 2.8 / RFC 4861 6.2.2: a forwarding interface is in ff02::2 and ff05::2 (and the
 * anycast addresses' solicited-node group, RFC 4291 2.6.1). A join
 * that fails (the group table is full) is counted and retried until it succeeds, since
 * without it RSs to ff02::2 go unheard. */
static void groups_update(struct umk_stack *s, struct umk_if *ifp, struct rtadv_if *ri)
{
	bool want = ifp->conf.forwarding && ifp->mld;
	bool failed = false;
	for (int i = 0; i < RA_N_GROUPS; i++) {
		if (want && !ri->joined[i]) {
			if (mld_join(s, ifp, all_routers[i]) == 0)
				ri->joined[i] = true;
			else
				failed = true;
		} else if (!want && ri->joined[i]) {
			mld_leave(s, ifp, all_routers[i]);
			ri->joined[i] = false;
		}
	}
	if (!failed) {
		timer_cancel(s, &ri->join_timer);
		ri->join_failing = false;
		return;
	}
	COUNT(s, RA_JOIN_FAILED);
	if (!ri->join_failing)
		LOG_WARN(s, "%s: cannot join the all-routers groups; retrying", ifp->name);
	ri->join_failing = true;
	timer_arm(s, &ri->join_timer, s->now + RA_RETRY_JOIN);
}

static void join_timer(struct umk_stack *s, struct umk_timer *t)
{
	struct rtadv_if *ri = container_of(t, struct rtadv_if, join_timer);
	struct umk_if *ifp = if_get(s, ri->ifindex);
	if (ifp && (ifp->flags & UMK_IF_UP))
		groups_update(s, ifp, ri);
}

void rtadv_update(struct umk_stack *s, struct umk_if *ifp, bool going_down)
{
	struct rtadv_if *ri = ri_make(s, ifp->index);
	if (!ri)
		return;
	bool want = ri->configured && ifp->conf.forwarding && (ifp->flags & UMK_IF_UP) &&
		    !going_down;
	if (want && !ri->advertising)
		start(s, ri);
	else if (!want && ri->advertising)
		stop(s, ifp, ri, going_down);
	else if (going_down)
		ri->final_left = 0;
	if (!going_down) {
		groups_update(s, ifp, ri);
	} else {
		/* MLD keeps the memberships of a downed link (mld_if_down) and reports them
		 * when it comes up (mld_if_up): what was joined stays joined, and a join that
		 * failed is tried again then */
		ri->join_failing = false;
		timer_cancel(s, &ri->join_timer);
	}
}

void rtadv_if_detach(struct umk_stack *s, struct umk_if *ifp)
{
	struct rtadv_if *ri = ri_get(s, ifp->index);
	if (!ri)
		return;
	timer_cancel(s, &ri->timer);
	timer_cancel(s, &ri->join_timer);
	timer_cancel(s, &ri->ucast_timer);
	free(ri);
	s->rtadv->ifs[ifp->index] = NULL;
}

/* ---- RS (6.2.6) ---- */

static void ucast_arm(struct umk_stack *s, struct rtadv_if *ri)
{
	umk_time_t first = 0;
	for (unsigned i = 0; i < ri->n_pending; i++)
		if (!first || ri->pending[i].when < first)
			first = ri->pending[i].when;
	if (ri->n_pending)
		timer_arm(s, &ri->ucast_timer, first);
	else
		timer_cancel(s, &ri->ucast_timer);
}

static void ucast_timer(struct umk_stack *s, struct umk_timer *t)
{
	struct rtadv_if *ri = container_of(t, struct rtadv_if, ucast_timer);
	struct umk_if *ifp = if_get(s, ri->ifindex);
	for (unsigned i = 0; i < ri->n_pending;) {
		if (ri->pending[i].when > s->now) {
			i++;
			continue;
		}
		struct in6_addr to = ri->pending[i].to;
		ri->pending[i] = ri->pending[--ri->n_pending];
		if (ifp && ri->advertising)
			ra_send(s, ifp, ri, false, &to);
	}
	ucast_arm(s, ri);
}

/* 6.2.6: "the router MAY send the response to the requesting host" unicast; false when
 * no room is left for it (the multicast answer serves then). */
static bool ucast_queue(struct umk_stack *s, struct rtadv_if *ri, const struct in6_addr *to,
			umk_time_t when)
{
	for (unsigned i = 0; i < ri->n_pending; i++)
		if (IN6_ARE_ADDR_EQUAL(&ri->pending[i].to, to)) {
			COUNT(s, RA_RS_ALREADY_SCHEDULED);
			return true;
		}
	if (ri->n_pending == RA_MAX_UNICAST_PENDING) {
		COUNT(s, RA_UNICAST_QUEUE_FULL);
		return false;
	}
	ri->pending[ri->n_pending].to = *to;
	ri->pending[ri->n_pending++].when = when;
	COUNT(s, RA_OUT_SOLICITED);
	ucast_arm(s, ri);
	return true;
}

void rtadv_rs_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
		    const struct nd_msg *m)
{
	struct rtadv_if *ri = ri_get(s, ifp->index);
	COUNT(s, RA_RS_IN);
	/* 6.2.6: the sender's link-layer address is recorded (a new entry is STALE, IsRouter
	 * false) */
	if (!IN6_IS_ADDR_UNSPECIFIED(&rx->src) && m->opts.has_sllao)
		nd6_learn(s, ifp, &rx->src, m->opts.sllao, false);
	if (!ri || !ri->advertising) {
		COUNT(s, RA_RS_NOT_ADVERTISING);
		return;
	}
	ri->rs_received++;
	/* "In all cases" delayed by a random [0, MAX_RA_DELAY_TIME] */
	umk_time_t when = s->now + rng_range(s, 0, ND_MAX_RA_DELAY_TIME);
	/* a soliciting host without an address (::) can only be answered by multicast */
	if (ri->conf.unicast_solicited && !IN6_IS_ADDR_UNSPECIFIED(&rx->src) &&
	    ucast_queue(s, ri, &rx->src, when))
		return;
	/* an RA already due within the delay answers this RS too */
	if (timer_armed(&ri->timer) && ri->next <= when) {
		COUNT(s, RA_RS_ALREADY_SCHEDULED);
		return;
	}
	/* multicast answers no closer together than MIN_DELAY_BETWEEN_RAS */
	if (ri->last_mcast && when < ri->last_mcast + ND_MIN_DELAY_BETWEEN_RAS)
		when = ri->last_mcast + ND_MIN_DELAY_BETWEEN_RAS;
	COUNT(s, RA_OUT_SOLICITED);
	schedule_at(s, ri, when);
}

/* ---- consistency of other routers' RAs (6.2.7) ---- */

static void inconsistent(struct umk_stack *s, struct umk_if *ifp, struct rtadv_if *ri,
			 const struct in6_addr *from, const char *what, uint64_t ours,
			 uint64_t theirs)
{
	char b[ADDRSTRLEN];
	COUNT(s, RA_INCONSISTENT);
	ri->inconsistent++;
	LOG_WARN(s, "%s: RA from %s disagrees on %s: ours %llu, theirs %llu", ifp->name,
		 addr_str(from, b), what, (unsigned long long)ours, (unsigned long long)theirs);
}

/* 6.2.7: values both sides specify (non-zero) that differ */
struct ra_check_row {
	const char *what;
	bool zero_unspecified;
	uint64_t (*ours)(const struct umk_ra_config *c);
	uint64_t (*theirs)(const struct nd_msg *m);
};

static uint64_t our_hlim(const struct umk_ra_config *c) { return c->cur_hop_limit; }
static uint64_t their_hlim(const struct nd_msg *m) { return m->cur_hop_limit; }
static uint64_t our_m(const struct umk_ra_config *c) { return c->managed; }
static uint64_t their_m(const struct nd_msg *m) { return !!(m->ra_flags & ND_RA_F_MANAGED); }
static uint64_t our_o(const struct umk_ra_config *c) { return c->other; }
static uint64_t their_o(const struct nd_msg *m) { return !!(m->ra_flags & ND_RA_F_OTHER); }
static uint64_t our_reach(const struct umk_ra_config *c) { return c->reachable_time; }
static uint64_t their_reach(const struct nd_msg *m) { return m->reachable_time; }
static uint64_t our_retrans(const struct umk_ra_config *c) { return c->retrans_timer; }
static uint64_t their_retrans(const struct nd_msg *m) { return m->retrans_timer; }
static uint64_t our_mtu(const struct umk_ra_config *c) { return c->link_mtu; }
static uint64_t their_mtu(const struct nd_msg *m) { return m->opts.has_mtu ? m->opts.mtu : 0; }

static const struct ra_check_row ra_checks[] = {
	{ "Cur Hop Limit", true, our_hlim, their_hlim },
	{ "M flag", false, our_m, their_m },
	{ "O flag", false, our_o, their_o },
	{ "Reachable Time", true, our_reach, their_reach },
	{ "Retrans Timer", true, our_retrans, their_retrans },
	{ "MTU", true, our_mtu, their_mtu },
};

void rtadv_ra_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
		    const struct nd_msg *m)
{
	struct rtadv_if *ri = ri_get(s, ifp->index);
	if (!ri || !ri->configured)
		return;
	/* our own RA, looped by the link */
	if (in6_addr_find(s, ifp, &rx->src))
		return;
	COUNT(s, RA_IN_CHECKED);
	const struct umk_ra_config *c = &ri->conf;
	for (size_t i = 0; i < sizeof(ra_checks) / sizeof(ra_checks[0]); i++) {
		const struct ra_check_row *row = &ra_checks[i];
		uint64_t a = row->ours(c), b = row->theirs(m);
		if (row->zero_unspecified && (!a || !b))
			continue;
		if (a != b)
			inconsistent(s, ifp, ri, &rx->src, row->what, a, b);
	}
	/* the lifetimes of a prefix we both advertise (ours are fixed, not decrementing) */
	for (unsigned i = 0; i < m->opts.n_prefix; i++) {
		const struct nd_opt_prefix *p = &m->opts.prefix[i];
		for (unsigned j = 0; j < c->n_prefix; j++) {
			const struct umk_ra_prefix *q = &c->prefix[j];
			if (q->plen != p->plen || !in6_prefix_eq(&q->prefix, &p->prefix, p->plen))
				continue;
			if (q->valid_lft != p->valid_lft)
				inconsistent(s, ifp, ri, &rx->src, "Valid Lifetime", q->valid_lft,
					     p->valid_lft);
			if (q->preferred_lft != p->preferred_lft)
				inconsistent(s, ifp, ri, &rx->src, "Preferred Lifetime",
					     q->preferred_lft, p->preferred_lft);
		}
	}
}

/* ---- management (<umikame/router.h>) ---- */

void umk_ra_config_defaults(struct umk_ra_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_interval = RA_DEFAULT_MAX_INTERVAL;
	c->min_interval = RA_DEFAULT_MAX_INTERVAL / 3;   /* 0.33 * MaxRtrAdvInterval */
	c->router_lifetime = UMK_RA_DEFAULT;
	c->cur_hop_limit = RA_DEFAULT_HOP_LIMIT;
	c->dns_lifetime = UMK_RA_DEFAULT;
}

static bool name_ok(const char *n)
{
	size_t len = strnlen(n, UMK_RA_NAME_MAX + 1);
	if (!len || len > UMK_RA_NAME_MAX || n[0] == '.' || n[len - 1] == '.')
		return false;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		if (n[i] == '.') {
			if (!label)
				return false;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return true;
}

/* RFC 4861 6.2.1 ranges, RFC 4191 and RFC 8106 sanity. */
static int config_check(const struct umk_ra_config *c)
{
	if (c->max_interval < ND_MIN_MAX_RTR_ADV_INTERVAL ||
	    c->max_interval > ND_MAX_MAX_RTR_ADV_INTERVAL)
		return -ERANGE;
	if (c->min_interval < ND_MIN_MIN_RTR_ADV_INTERVAL ||
	    (uint64_t)c->min_interval * 4 > (uint64_t)c->max_interval * 3)
		return -ERANGE;
	uint32_t lft = router_lifetime(c);
	if (lft && (lft < c->max_interval || lft > ND_MAX_ROUTER_LIFETIME))
		return -ERANGE;
	if (c->link_mtu && c->link_mtu < ND_MIN_LINK_MTU)
		return -ERANGE;
	if (c->pref < -1 || c->pref > 1 || c->reachable_time > ND_MAX_REACHABLE_TIME)
		return -ERANGE;
	if (c->n_prefix > UMK_RA_MAX_PREFIXES || c->n_route > UMK_RA_MAX_ROUTES ||
	    c->n_rdnss > UMK_RA_MAX_RDNSS || c->n_dnssl > UMK_RA_MAX_DNSSL)
		return -EINVAL;
	for (unsigned i = 0; i < c->n_prefix; i++) {
		const struct umk_ra_prefix *p = &c->prefix[i];
		/* 4.6.2: preferred never exceeds valid; link-local is never advertised */
		if (p->plen > 128 || p->preferred_lft > p->valid_lft ||
		    IN6_IS_ADDR_LINKLOCAL(&p->prefix) || IN6_IS_ADDR_MULTICAST(&p->prefix))
			return -EINVAL;
	}
	for (unsigned i = 0; i < c->n_route; i++)
		if (c->route[i].plen > 128 || c->route[i].pref < -1 || c->route[i].pref > 1)
			return -EINVAL;
	for (unsigned i = 0; i < c->n_rdnss; i++)
		if (IN6_IS_ADDR_MULTICAST(&c->rdnss[i]) || IN6_IS_ADDR_UNSPECIFIED(&c->rdnss[i]))
			return -EINVAL;
	for (unsigned i = 0; i < c->n_dnssl; i++)
		if (!name_ok(c->dnssl[i]))
			return -EINVAL;
	return 0;
}

/* RFC 4861 6.2.3 lets a router spread its options over several RAs when they do not fit
 * the link MTU; we send one RA, so a configuration whose RA would not fit the minimum MTU
 * (1280, RFC 8200 5) is refused rather than never advertised (found by fuzz_ra_msg: eight
 * prefixes and routes with four 253-byte DNSSL names were accepted and every RA failed). */
static bool ra_fits(struct umk_if *ifp, const struct umk_ra_config *c)
{
	uint8_t buf[ND_MIN_LINK_MTU - IP6_HLEN];
	struct nd_msg m;
	ra_build(ifp, c, false, &m);
	return nd_emit(buf, sizeof(buf), &m) != 0;
}

int umk_ra_set(struct umk_stack *s, int ifindex, const struct umk_ra_config *c)
{
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp)
		return -ENODEV;
	if (!c)
		return -EINVAL;
	int r = config_check(c);
	if (r)
		return r;
	if (!ra_fits(ifp, c))
		return -EMSGSIZE;
	struct rtadv_if *ri = ri_make(s, ifindex);
	if (!ri)
		return -ENOMEM;
	ri->conf = *c;
	/* bits past the prefix length are not part of a prefix */
	for (unsigned i = 0; i < ri->conf.n_prefix; i++) {
		struct umk_ra_prefix *p = &ri->conf.prefix[i];
		for (unsigned b = p->plen; b < 128; b++)
			p->prefix.s6_addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	}
	for (unsigned i = 0; i < ri->conf.n_route; i++) {
		struct umk_ra_route *p = &ri->conf.route[i];
		for (unsigned b = p->plen; b < 128; b++)
			p->prefix.s6_addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	}
	ri->configured = true;
	/* 6.2.4: a changed configuration may be announced with fast RAs again */
	if (ri->advertising) {
		timer_cancel(s, &ri->timer);
		ri->advertising = false;
	}
	rtadv_update(s, ifp, false);
	return 0;
}

int umk_ra_del(struct umk_stack *s, int ifindex)
{
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp)
		return -ENODEV;
	struct rtadv_if *ri = ri_get(s, ifindex);
	if (!ri || !ri->configured)
		return -ENOENT;
	ri->configured = false;
	rtadv_update(s, ifp, false);
	return 0;
}

int umk_ra_get(struct umk_stack *s, int ifindex, struct umk_ra_config *c)
{
	if (!if_get(s, ifindex))
		return -ENODEV;
	struct rtadv_if *ri = ri_get(s, ifindex);
	if (!ri || !ri->configured)
		return -ENOENT;
	*c = ri->conf;
	return 0;
}

int umk_ra_status(struct umk_stack *s, int ifindex, struct umk_ra_status *st)
{
	if (!if_get(s, ifindex))
		return -ENODEV;
	memset(st, 0, sizeof(*st));
	st->ifindex = ifindex;
	struct rtadv_if *ri = ri_get(s, ifindex);
	if (!ri)
		return 0;
	st->configured = ri->configured;
	st->advertising = ri->advertising;
	if (ri->advertising && ri->next > s->now)
		st->next_ra = (uint32_t)(ri->next - s->now);
	st->ras_sent = ri->ras_sent;
	st->rs_received = ri->rs_received;
	st->inconsistent = ri->inconsistent;
	return 0;
}

struct learned_walk {
	struct umk_ra_learned l;
	int (*cb)(void *, const struct umk_ra_learned *);
	void *ctx;
};

static int router_item(void *ctx, const struct nd6_router_info *r)
{
	struct learned_walk *w = ctx;
	w->l.kind = UMK_RA_L_ROUTER;
	w->l.addr = r->addr;
	w->l.name = NULL;
	memset(&w->l.router, 0, sizeof(w->l.router));
	w->l.pref = r->pref;
	w->l.lifetime = r->lifetime;
	return w->cb(w->ctx, &w->l);
}

static int dns_item(void *ctx, const struct nd6_dns_info *d)
{
	struct learned_walk *w = ctx;
	w->l.kind = d->domain ? UMK_RA_L_DNSSL : UMK_RA_L_RDNSS;
	memset(&w->l.addr, 0, sizeof(w->l.addr));
	if (!d->domain)
		w->l.addr = d->addr;
	w->l.name = d->name;
	w->l.router = d->router;
	w->l.pref = 0;
	w->l.lifetime = d->lifetime;
	return w->cb(w->ctx, &w->l);
}

int umk_ra_learned_list(struct umk_stack *s, int ifindex,
			int (*cb)(void *, const struct umk_ra_learned *), void *ctx)
{
	if (ifindex && !if_get(s, ifindex))
		return -ENODEV;
	for (struct umk_if *ifp = if_first(s); ifp; ifp = if_next(s, ifp)) {
		if (ifindex && ifp->index != ifindex)
			continue;
		struct learned_walk w = { .l = { .ifindex = ifp->index }, .cb = cb, .ctx = ctx };
		int r = nd6_router_list(s, ifp, router_item, &w);
		if (!r)
			r = nd6_dns_list(s, ifp, dns_item, &w);
		if (r && r != -ENODEV)
			return r;
	}
	return 0;
}
