/*
 * nd6.c - the neighbor side of Neighbor Discovery for hosts (RFC 4861 7): the neighbor
 * cache with the NUD state machine (7.3), address resolution with packet queueing (7.2.2),
 * NS/NA validation (7.1.1, 7.1.2), processing (7.2.3-7.2.5) and sending (7.2.2, 7.2.4,
 * 7.2.6), and the dispatch of every ND message. Router discovery and Redirect are in
 * ip6/rd6.c; wire formats in wire/nd.c; DAD decisions in ip6/addrconf.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ip6/addrconf.h"
#include "ip6/forward.h"
#include "ip6/ip6.h"
#include "ip6/nd6_int.h"
#include "link/eth.h"
#include "wire/ip6_const.h"

static const struct in6_addr all_nodes = { { { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } } };

static bool addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* ff02::1:ff00:0/104 (RFC 4291 2.7.1) */
static bool is_solicited_node(const struct in6_addr *a)
{
	static const uint8_t p[13] = { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
	return memcmp(a->s6_addr, p, sizeof(p)) == 0;
}

static int zone_of(struct umk_if *ifp, const struct in6_addr *a)
{
	return in6_scope(a) <= UMK_SCOPE_LINK ? ifp->index : 0;
}

/* ---- sending NS and NA ---- */

int nd6_send(struct umk_stack *s, struct umk_if *ifp, const struct nd_msg *m,
	     const struct in6_addr *src, const struct in6_addr *dst, unsigned txflags)
{
	struct umk_pkt *pkt = pkt_alloc(s, 256, PKT_HEADROOM);
	if (!pkt) {
		COUNT(s, ND6_OUT_NOBUFS);
		return -ENOBUFS;
	}
	size_t n = nd_emit(pkt->data, pkt_tailroom(pkt), m);
	if (!n) {
		COUNT(s, ND6_OUT_NOBUFS);
		pkt_free(s, pkt);
		return -ENOBUFS;
	}
	pkt_put(pkt, (uint32_t)n);
	struct ip6_tx tx;
	ip6_tx_init(&tx, IPPROTO6_ICMPV6);
	if (src)
		tx.src = *src;
	tx.dst = *dst;
	tx.oif = ifp->index;
	tx.zone = zone_of(ifp, dst);
	tx.hlim = ND_HOP_LIMIT;
	/* our own ND never needs to come back to us (RFC 7527 covers DAD loops anyway) */
	tx.flags = txflags | IP6_TX_NOLOOP;
	int r = icmp6_send(s, pkt, &tx);
	if (r) {
		COUNT(s, ND6_OUT_FAILED);
		LOG_DEBUG(s, "type %u on %s: %d", m->type, ifp->name, r);
	}
	return r;
}

/* RFC 4861 7.2.2 (dst NULL: multicast to the solicited-node group) and 7.3.3 (dst the
 * target: unicast NUD probe). src NULL: chosen by output. */
static int ns_send(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *target,
		   const struct in6_addr *src, const struct in6_addr *dst, bool dad,
		   const uint8_t *nonce)
{
	struct nd_msg m;
	memset(&m, 0, sizeof(m));
	m.type = ND_NEIGHBOR_SOLICIT;
	m.target = *target;
	struct in6_addr snm;
	if (!dst) {
		in6_solicited_node(target, &snm);
		dst = &snm;
	}
	unsigned flags = 0;
	if (dad) {
		/* RFC 4862 5.4.2: source ::, no SLLAO; RFC 7527 4: a nonce */
		flags |= IP6_TX_SRC_UNSPEC;
		src = NULL;
		if (nonce) {
			m.opts.has_nonce = true;
			memcpy(m.opts.nonce, nonce, ND_NONCE_LEN);
		}
	} else {
		m.opts.has_sllao = true;
		memcpy(m.opts.sllao, ifp->lladdr, ND_ETH_ADDR_LEN);
	}
	COUNT(s, ND6_OUT_NS);
	return nd6_send(s, ifp, &m, src, dst, flags);
}

int nd6_ns_send(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *target,
		bool dad, const uint8_t *nonce)
{
	return ns_send(s, ifp, target, NULL, NULL, dad, nonce);
}

/* RFC 4861 7.2.4 / 7.2.6: source is the target (one of our addresses), TLLAO always. */
static int na_send(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *target,
		   const struct in6_addr *dst, uint8_t flags)
{
	struct nd_msg m;
	memset(&m, 0, sizeof(m));
	m.type = ND_NEIGHBOR_ADVERT;
	m.target = *target;
	m.na_flags = flags | (ifp->conf.forwarding ? ND_NA_F_ROUTER : 0);
	m.opts.has_tllao = true;
	memcpy(m.opts.tllao, ifp->lladdr, ND_ETH_ADDR_LEN);
	COUNT(s, ND6_OUT_NA);
	return nd6_send(s, ifp, &m, target, dst, 0);
}

int nd6_na_send_unsolicited(struct umk_stack *s, struct umk_if *ifp,
			    const struct in6_addr *target)
{
	struct in6_ifaddr *ia = in6_addr_find(s, ifp, target);
	if (!ia || (ia->flags & (UMK_ADDR_F_TENTATIVE | UMK_ADDR_F_DADFAILED)))
		return -EADDRNOTAVAIL;
	/* RFC 4861 7.2.6: S=0, O=1 (we have no anycast addresses), to all-nodes */
	return na_send(s, ifp, target, &all_nodes, ND_NA_F_OVERRIDE);
}

/* ---- the cache ---- */

static uint32_t bucket_of(struct umk_stack *s, int ifindex, const struct in6_addr *a)
{
	return hash_addr(s, a, (uint32_t)ifindex) & s->nd6->mask;
}

struct nd6_neigh *nd6_lookup(struct umk_stack *s, struct umk_if *ifp,
			     const struct in6_addr *addr)
{
	for (struct nd6_neigh *n = s->nd6->tab[bucket_of(s, ifp->index, addr)]; n; n = n->next)
		if (n->ifp == ifp && addr_eq(&n->addr, addr))
			return n;
	return NULL;
}

static void queue_free(struct umk_stack *s, struct nd6_neigh *n)
{
	COUNT_ADD(s, ND6_RES_QUEUE_FREED, n->q_len);
	pkt_free_chain(s, n->q_head);
	n->q_head = n->q_tail = NULL;
	n->q_len = 0;
}

static void neigh_delete(struct umk_stack *s, struct nd6_neigh *n)
{
	struct nd6_neigh **pp = &s->nd6->tab[bucket_of(s, n->ifp->index, &n->addr)];
	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp)
		*pp = n->next;
	timer_cancel(s, &n->timer);
	queue_free(s, n);
	s->nd6->count--;
	COUNT(s, ND6_NEIGH_DELETED);
	free(n);
}

/* When the cache is full: a FAILED entry, else the STALE non-router entry that has been
 * STALE longest, else the oldest STALE router entry (a flood of RAs from made-up routers
 * must not lock the cache: a real router evicted this way is simply resolved again).
 * REACHABLE, DELAY, PROBE, INCOMPLETE and PERMANENT entries stay. */
static bool evict_one(struct umk_stack *s)
{
	struct nd6_neigh *victim = NULL, *router = NULL;
	for (uint32_t i = 0; i <= s->nd6->mask; i++)
		for (struct nd6_neigh *n = s->nd6->tab[i]; n; n = n->next) {
			if (n->state == ND6_FAILED) {
				victim = n;
				goto found;
			}
			if (n->state != UMK_NUD_STALE)
				continue;
			if (!n->router && (!victim || n->changed < victim->changed))
				victim = n;
			if (n->router && (!router || n->changed < router->changed))
				router = n;
		}
	if (!victim)
		victim = router;
	if (!victim)
		return false;
found:
	COUNT(s, ND6_CACHE_EVICTED);
	neigh_delete(s, victim);
	return true;
}

static void neigh_timer(struct umk_stack *s, struct umk_timer *t);

static struct nd6_neigh *neigh_create(struct umk_stack *s, struct umk_if *ifp,
				      const struct in6_addr *addr)
{
	if (s->nd6->count >= s->limits.max_neighbors && !evict_one(s)) {
		COUNT(s, ND6_CACHE_FULL);
		return NULL;
	}
	struct nd6_neigh *n = calloc(1, sizeof(*n));
	if (!n) {
		COUNT(s, ND6_CACHE_FULL);
		return NULL;
	}
	n->ifp = ifp;
	n->addr = *addr;
	n->state = UMK_NUD_INCOMPLETE;
	n->changed = s->now;
	timer_init(&n->timer, neigh_timer);
	uint32_t b = bucket_of(s, ifp->index, addr);
	n->next = s->nd6->tab[b];
	s->nd6->tab[b] = n;
	s->nd6->count++;
	COUNT(s, ND6_NEIGH_CREATED);
	return n;
}

uint32_t nd6_reachable_time(struct umk_stack *s, struct umk_if *ifp)
{
	struct nd6_ifinfo *ndi = ifp->nd;
	int32_t base = ifp->conf.base_reachable_time;
	/* RFC 4861 6.3.2: a random value in [0.5, 1.5] x BaseReachableTime, drawn again when
	 * BaseReachableTime changes and at least every few hours (6.3.4) */
	if (!ndi->reachable_time || ndi->reachable_base != base ||
	    s->now - ndi->reachable_drawn >= ND_REACHABLE_RECOMPUTE) {
		uint64_t b = base > 0 ? (uint64_t)base : 1;
		ndi->reachable_time = (uint32_t)rng_range(s, b * ND_MIN_RANDOM_FACTOR_PCT / 100,
							   b * ND_MAX_RANDOM_FACTOR_PCT / 100);
		if (!ndi->reachable_time)
			ndi->reachable_time = 1;
		ndi->reachable_base = base;
		ndi->reachable_drawn = s->now;
	}
	return ndi->reachable_time;
}

static void send_probe(struct umk_stack *s, struct nd6_neigh *n)
{
	struct umk_if *ifp = n->ifp;
	const struct in6_addr *src = NULL;
	if (n->has_probe_src) {
		/* RFC 4861 7.2.2: the source of the packet that prompted the solicitation, if
		 * it is (still) one of our usable addresses on this interface */
		struct in6_ifaddr *ia = in6_addr_find(s, ifp, &n->probe_src);
		if (ia && !(ia->flags & (UMK_ADDR_F_TENTATIVE | UMK_ADDR_F_DADFAILED)))
			src = &n->probe_src;
	}
	n->probes++;
	if (n->state == UMK_NUD_PROBE)
		ns_send(s, ifp, &n->addr, src, &n->addr, false, NULL);
	else
		ns_send(s, ifp, &n->addr, src, NULL, false, NULL);
}

static void set_state(struct umk_stack *s, struct nd6_neigh *n, uint8_t state)
{
	n->state = state;
	n->changed = s->now;
	struct ip6_ifconf *c = &n->ifp->conf;
	switch (state) {
	case UMK_NUD_REACHABLE:
		timer_arm_in(s, &n->timer, nd6_reachable_time(s, n->ifp));
		break;
	case UMK_NUD_STALE:
		/* RFC 4861 7.3.2: STALE needs no timer; ours collects unused entries */
		timer_arm_in(s, &n->timer, ND6_STALE_GC_TIME);
		break;
	case UMK_NUD_DELAY:
		timer_arm_in(s, &n->timer, (uint64_t)c->delay_first_probe_time);
		break;
	case UMK_NUD_INCOMPLETE:
	case UMK_NUD_PROBE:
		/* RFC 4861 7.2.2 / 7.3.3: first solicitation now, then every RetransTimer */
		n->probes = 0;
		timer_arm_in(s, &n->timer, (uint64_t)c->retrans_time);
		send_probe(s, n);
		break;
	case ND6_FAILED:
		n->has_lladdr = false;
		timer_arm_in(s, &n->timer, ND6_FAILED_HOLD_TIME);
		break;
	default: /* PERMANENT */
		timer_cancel(s, &n->timer);
		break;
	}
}

static void queue_send(struct umk_stack *s, struct nd6_neigh *n)
{
	struct umk_pkt *pkt = n->q_head;
	n->q_head = n->q_tail = NULL;
	n->q_len = 0;
	uint8_t ll[ND_ETH_ADDR_LEN];
	memcpy(ll, n->lladdr, sizeof(ll)); /* n may not survive eth_output */
	struct umk_if *ifp = n->ifp;
	while (pkt) {
		struct umk_pkt *next = pkt->next;
		pkt->next = NULL;
		eth_output(s, ifp, pkt, ll);
		pkt = next;
	}
}

/* RFC 4861 7.3.3: resolution failed; each queued packet gets Destination Unreachable
 * code 3 (address unreachable). */
static void resolution_failed(struct umk_stack *s, struct nd6_neigh *n)
{
	char buf[ADDRSTRLEN];
	COUNT(s, ND6_RES_FAILED);
	LOG_DEBUG(s, "%s%%%s: no answer to %u solicitations", addr_str(&n->addr, buf),
		  n->ifp->name, n->probes);
	struct umk_pkt *pkt = n->q_head;
	n->q_head = n->q_tail = NULL;
	n->q_len = 0;
	int ifindex = n->ifp->index;
	set_state(s, n, ND6_FAILED);
	while (pkt) {
		struct umk_pkt *next = pkt->next;
		pkt->next = NULL;
		pkt->net_off = pkt_off(pkt);
		pkt->ifindex = (uint16_t)ifindex;
		COUNT(s, ND6_RES_UNREACH);
		icmp6_error(s, pkt, 1 /* Destination Unreachable */, 3 /* address unreachable */, 0);
		pkt = next;
	}
}

static void neigh_timer(struct umk_stack *s, struct umk_timer *t)
{
	struct nd6_neigh *n = container_of(t, struct nd6_neigh, timer);
	struct ip6_ifconf *c = &n->ifp->conf;
	switch (n->state) {
	case UMK_NUD_INCOMPLETE:
		if (n->probes >= c->max_multicast_solicit) {
			resolution_failed(s, n);
			return;
		}
		timer_arm_in(s, &n->timer, (uint64_t)c->retrans_time);
		send_probe(s, n);
		break;
	case UMK_NUD_REACHABLE:
		/* RFC 4861 7.3.3: ReachableTime passed without confirmation */
		set_state(s, n, UMK_NUD_STALE);
		break;
	case UMK_NUD_DELAY:
		/* 7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME */
		set_state(s, n, UMK_NUD_PROBE);
		break;
	case UMK_NUD_PROBE:
		if (n->probes >= c->max_unicast_solicit) {
			/* 7.3.3: "the entry SHOULD be deleted"; we keep it as FAILED (not
			 * listed) so default router selection knows (6.3.6) */
			char buf[ADDRSTRLEN];
			COUNT(s, ND6_NUD_PROBE_FAILED);
			LOG_DEBUG(s, "%s%%%s unreachable", addr_str(&n->addr, buf), n->ifp->name);
			set_state(s, n, ND6_FAILED);
			return;
		}
		timer_arm_in(s, &n->timer, (uint64_t)c->retrans_time);
		send_probe(s, n);
		break;
	case UMK_NUD_STALE:
		if (n->router) {
			timer_arm_in(s, &n->timer, ND6_STALE_GC_TIME);
			break;
		}
		COUNT(s, ND6_GC_STALE);
		neigh_delete(s, n);
		break;
	case ND6_FAILED:
		neigh_delete(s, n);
		break;
	default:
		break;
	}
}

static void set_lladdr(struct umk_stack *s, struct nd6_neigh *n, const uint8_t *ll)
{
	if (n->has_lladdr && memcmp(n->lladdr, ll, ND_ETH_ADDR_LEN) != 0)
		COUNT(s, ND6_LLADDR_CHANGED);
	memcpy(n->lladdr, ll, ND_ETH_ADDR_LEN);
	n->has_lladdr = true;
}

struct nd6_neigh *nd6_learn(struct umk_stack *s, struct umk_if *ifp,
			    const struct in6_addr *addr, const uint8_t *lladdr, bool router)
{
	struct nd6_neigh *n = nd6_lookup(s, ifp, addr);
	if (!n) {
		n = neigh_create(s, ifp, addr);
		if (!n)
			return NULL;
		set_lladdr(s, n, lladdr);
		n->router = router;
		set_state(s, n, UMK_NUD_STALE);
		return n;
	}
	if (router)
		n->router = true;
	if (n->state == UMK_NUD_PERMANENT)
		return n;
	if (n->state == UMK_NUD_INCOMPLETE || n->state == ND6_FAILED) {
		set_lladdr(s, n, lladdr);
		set_state(s, n, UMK_NUD_STALE);
		queue_send(s, n);
		return nd6_lookup(s, ifp, addr);
	}
	/* RFC 4861 7.2.3 / 6.3.4 / 8.3: a different address makes the entry STALE; the same
	 * one changes nothing */
	if (memcmp(n->lladdr, lladdr, ND_ETH_ADDR_LEN) != 0) {
		set_lladdr(s, n, lladdr);
		set_state(s, n, UMK_NUD_STALE);
	}
	return n;
}

/* ---- NS and NA input ---- */

/* RFC 4861 7.1.1 validation, then 7.2.3 (the sender's entry) and 7.2.4 (the answer). */
static void ns_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
		     const struct nd_msg *m)
{
	char buf[ADDRSTRLEN];
	bool unspec = IN6_IS_ADDR_UNSPECIFIED(&rx->src);
	if (IN6_IS_ADDR_MULTICAST(&m->target)) {
		COUNT(s, ND6_NS_TARGET_MCAST);
		return;
	}
	if (IN6_IS_ADDR_MULTICAST(&rx->src)) {
		COUNT(s, ND6_NS_SRC_MCAST);
		return;
	}
	if (unspec && !is_solicited_node(&rx->dst)) {
		COUNT(s, ND6_NS_UNSPEC_NOT_SNM);
		LOG_DEBUG(s, "from :: to %s", addr_str(&rx->dst, buf));
		return;
	}
	if (unspec && m->opts.has_sllao) {
		COUNT(s, ND6_NS_UNSPEC_SLLAO);
		return;
	}
	struct in6_ifaddr *ia = in6_addr_find(s, ifp, &m->target);
	if (!ia && !unspec && ip6_subnet_router_anycast(s, ifp, &m->target)) {
		/* RFC 4291 2.6.1: a router's Subnet-Router anycast address. RFC 4861 7.2.4:
		 * an anycast target is answered with O=0, here from a unicast address of ours
		 * (7.2.7's random delay, a SHOULD, is not applied) */
		if (m->opts.has_sllao)
			nd6_learn(s, ifp, &rx->src, m->opts.sllao, false);
		struct nd_msg a;
		memset(&a, 0, sizeof(a));
		a.type = ND_NEIGHBOR_ADVERT;
		a.target = m->target;
		a.na_flags = ND_NA_F_SOLICITED | ND_NA_F_ROUTER;
		a.opts.has_tllao = true;
		memcpy(a.opts.tllao, ifp->lladdr, ND_ETH_ADDR_LEN);
		COUNT(s, ND6_OUT_NA);
		nd6_send(s, ifp, &a, NULL, &rx->src, 0);
		return;
	}
	if (!ia || (ia->flags & UMK_ADDR_F_DADFAILED)) {
		COUNT(s, ND6_NS_NOT_FOR_US);
		return;
	}
	if (ia->flags & UMK_ADDR_F_TENTATIVE) {
		/* RFC 4862 5.4.3: addrconf decides; a tentative address is never defended */
		COUNT(s, ND6_NS_TENTATIVE);
		const uint8_t *nonce = m->opts.has_nonce && m->opts.nonce_len == ND_NONCE_LEN ?
				       m->opts.nonce : NULL;
		addrconf_dad_ns_input(s, ifp, &m->target, unspec, nonce);
		return;
	}
	if (unspec) {
		/* 7.2.4: DAD by someone else for our address: S=0, to all-nodes */
		na_send(s, ifp, &m->target, &all_nodes, ND_NA_F_OVERRIDE);
		return;
	}
	if (m->opts.has_sllao && !nd6_learn(s, ifp, &rx->src, m->opts.sllao, false)) {
		/* 7.2.4: the cache is full and nothing could be evicted; answer anyway, to
		 * the link-layer address the NS carried, without keeping an entry */
		struct nd6_state *st = s->nd6;
		st->direct_valid = true;
		st->direct_addr = rx->src;
		memcpy(st->direct_lladdr, m->opts.sllao, 6);
		COUNT(s, ND6_NA_DIRECT_NO_CACHE);
		na_send(s, ifp, &m->target, &rx->src, ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE);
		st->direct_valid = false;
		return;
	}
	/* 7.2.4: solicited, O=1 (not anycast), back to the source */
	na_send(s, ifp, &m->target, &rx->src, ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE);
}

/* RFC 4861 7.1.2 validation, then 7.2.5. */
static void na_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
		     const struct nd_msg *m)
{
	bool solicited = m->na_flags & ND_NA_F_SOLICITED;
	bool override = m->na_flags & ND_NA_F_OVERRIDE;
	bool router = m->na_flags & ND_NA_F_ROUTER;
	if (IN6_IS_ADDR_MULTICAST(&m->target)) {
		COUNT(s, ND6_NA_TARGET_MCAST);
		return;
	}
	if (solicited && (IN6_IS_ADDR_MULTICAST(&rx->dst) || (rx->flags & IP6_RX_DST_MCAST))) {
		COUNT(s, ND6_NA_SOLICITED_MCAST);
		return;
	}
	if (in6_addr_find(s, ifp, &m->target)) {
		/* RFC 4862 5.4.4: a duplicate if tentative, a conflict otherwise */
		COUNT(s, ND6_NA_FOR_OUR_ADDR);
		addrconf_dad_na_input(s, ifp, &m->target);
		return;
	}
	struct nd6_neigh *n = nd6_lookup(s, ifp, &m->target);
	if (!n) {
		/* 7.2.5: "There is no need to create an entry if none exists" */
		COUNT(s, ND6_NA_NO_ENTRY);
		return;
	}
	if (n->state == UMK_NUD_PERMANENT)
		return;
	if (n->state == UMK_NUD_INCOMPLETE || n->state == ND6_FAILED) {
		if (!m->opts.has_tllao) {
			COUNT(s, ND6_NA_NO_TLLAO);
			return;
		}
		set_lladdr(s, n, m->opts.tllao);
		n->router = router;
		set_state(s, n, solicited ? UMK_NUD_REACHABLE : UMK_NUD_STALE);
		queue_send(s, n);
		return;
	}
	bool differs = m->opts.has_tllao &&
		       (!n->has_lladdr || memcmp(n->lladdr, m->opts.tllao, ND_ETH_ADDR_LEN) != 0);
	if (!override && differs) {
		/* 7.2.5: O=0 with another address: REACHABLE only becomes STALE, nothing else
		 * changes */
		COUNT(s, ND6_NA_NO_OVERRIDE);
		if (n->state == UMK_NUD_REACHABLE)
			set_state(s, n, UMK_NUD_STALE);
		return;
	}
	if (differs)
		set_lladdr(s, n, m->opts.tllao);
	if (solicited)
		set_state(s, n, UMK_NUD_REACHABLE);
	else if (differs)
		set_state(s, n, UMK_NUD_STALE);
	bool was_router = n->router;
	n->router = router;
	if (was_router && !router) {
		/* 7.2.5: the router became a host: off the default router list */
		COUNT(s, ND6_ROUTER_TO_HOST);
		rd6_router_gone(s, ifp, &n->addr);
	}
}

/* ---- dispatch ---- */

typedef void (*nd_handler_fn)(struct umk_stack *s, struct umk_if *ifp,
			      const struct ip6_rx *rx, const struct nd_msg *m);

static const struct nd_handler_row {
	uint8_t type;
	enum umk_counter in;
	nd_handler_fn handle;
} handler_rows[] = {
	{ ND_ROUTER_SOLICIT, CNT_ND6_IN_RS, rd6_rs_input },
	{ ND_ROUTER_ADVERT, CNT_ND6_IN_RA, rd6_ra_input },
	{ ND_NEIGHBOR_SOLICIT, CNT_ND6_IN_NS, ns_input },
	{ ND_NEIGHBOR_ADVERT, CNT_ND6_IN_NA, na_input },
	{ ND_REDIRECT, CNT_ND6_IN_REDIRECT, rd6_redirect_input },
};

static const enum umk_counter parse_counter[] = {
	[ND_PARSE_BAD_TYPE] = CNT_ND6_BAD_CODE,
	[ND_PARSE_BAD_CODE] = CNT_ND6_BAD_CODE,
	[ND_PARSE_SHORT] = CNT_ND6_BAD_LEN,
	[ND_PARSE_OPT_ZERO_LEN] = CNT_ND6_BAD_OPT_ZERO_LEN,
	[ND_PARSE_OPT_TRUNCATED] = CNT_ND6_BAD_OPT_TRUNC,
};

void nd6_input(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx)
{
	const struct nd_handler_row *row = NULL;
	uint8_t type = pkt->len ? pkt->data[0] : 0;
	for (size_t i = 0; i < sizeof(handler_rows) / sizeof(handler_rows[0]); i++)
		if (handler_rows[i].type == type)
			row = &handler_rows[i];
	if (!row || !rx->ifp) {
		COUNT(s, ND6_BAD_CODE);
		pkt_free(s, pkt);
		return;
	}
	s->counters[row->in]++;
	/* RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1: "The IP Hop Limit field has a value of
	 * 255", i.e. no router forwarded it */
	if (rx->hlim != ND_HOP_LIMIT) {
		COUNT(s, ND6_BAD_HOPLIMIT);
		LOG_DEBUG(s, "type %u with hop limit %u", type, rx->hlim);
		pkt_free(s, pkt);
		return;
	}
	struct nd_msg m;
	enum nd_parse_result r = nd_parse(pkt->data, pkt->len, &m);
	if (r != ND_PARSE_OK) {
		s->counters[parse_counter[r]]++;
		LOG_DEBUG(s, "type %u, %u bytes: %s", type, pkt->len, nd_parse_result_str(r));
		pkt_free(s, pkt);
		return;
	}
	COUNT_ADD(s, ND6_OPT_UNKNOWN, m.opts.unknown);
	COUNT_ADD(s, ND6_OPT_MALFORMED, m.opts.malformed);
	COUNT_ADD(s, ND6_OPT_OVERFLOW, m.opts.overflow);
	if (rx->ifp->nd)
		row->handle(s, rx->ifp, rx, &m);
	pkt_free(s, pkt); /* after the handler: m.opts.redir points into it */
}

/* ---- output ---- */

static void enqueue(struct umk_stack *s, struct nd6_neigh *n, struct umk_pkt *pkt)
{
	if (!n->has_probe_src && pkt->len >= IP6_HLEN) {
		memcpy(&n->probe_src, pkt->data + IP6_OFF_SRC, sizeof(n->probe_src));
		n->has_probe_src = true;
	}
	if (n->q_len >= s->limits.max_neighbor_queue) {
		/* RFC 4861 7.2.2: "the new arrival SHOULD replace the oldest entry" */
		COUNT(s, ND6_RES_QUEUE_OVERFLOW);
		struct umk_pkt *old = n->q_head;
		if (!old) {
			pkt_free(s, pkt);
			return;
		}
		n->q_head = old->next;
		if (!n->q_head)
			n->q_tail = NULL;
		n->q_len--;
		pkt_free(s, old);
	}
	COUNT(s, ND6_RES_QUEUED);
	pkt->next = NULL;
	if (n->q_tail)
		n->q_tail->next = pkt;
	else
		n->q_head = pkt;
	n->q_tail = pkt;
	n->q_len++;
}

int nd6_output(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *nexthop,
	       struct umk_pkt *pkt)
{
	if (IN6_IS_ADDR_MULTICAST(nexthop)) {
		/* output maps groups itself; be safe if one gets here (RFC 2464 7) */
		uint8_t mac[ND_ETH_ADDR_LEN];
		eth_mcast_mac(nexthop, mac);
		return eth_output(s, ifp, pkt, mac);
	}
	if (!ifp->nd || IN6_IS_ADDR_UNSPECIFIED(nexthop)) {
		COUNT(s, ND6_OUT_NO_LLADDR);
		pkt_free(s, pkt);
		return -EHOSTUNREACH;
	}
	struct nd6_neigh *n = nd6_lookup(s, ifp, nexthop);
	if (!n && s->nd6->direct_valid && addr_eq(nexthop, &s->nd6->direct_addr))
		return eth_output(s, ifp, pkt, s->nd6->direct_lladdr);
	if (!n) {
		n = neigh_create(s, ifp, nexthop);
		if (!n) {
			COUNT(s, ND6_OUT_NO_LLADDR);
			pkt_free(s, pkt);
			return -ENOBUFS;
		}
		/* RFC 4861 7.2.2: queue, then solicit */
		enqueue(s, n, pkt);
		set_state(s, n, UMK_NUD_INCOMPLETE);
		return 0;
	}
	switch (n->state) {
	case UMK_NUD_INCOMPLETE:
		enqueue(s, n, pkt);
		return 0;
	case ND6_FAILED:
		/* traffic again: try resolution afresh */
		n->has_probe_src = false;
		enqueue(s, n, pkt);
		set_state(s, n, UMK_NUD_INCOMPLETE);
		return 0;
	case UMK_NUD_STALE:
		/* RFC 4861 7.3.3: the first packet to a STALE neighbor starts the DELAY */
		set_state(s, n, UMK_NUD_DELAY);
		break;
	default:
		break;
	}
	return eth_output(s, ifp, pkt, n->lladdr);
}

void nd6_confirm(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *addr)
{
	struct nd6_neigh *n = nd6_lookup(s, ifp, addr);
	/* RFC 4861 7.3.1: forward progress proves reachability of an entry with an address */
	if (!n || !n->has_lladdr || n->state == UMK_NUD_PERMANENT ||
	    n->state == UMK_NUD_INCOMPLETE || n->state == ND6_FAILED)
		return;
	COUNT(s, ND6_NUD_CONFIRMED);
	set_state(s, n, UMK_NUD_REACHABLE);
}

bool nd6_probably_reachable(struct umk_stack *s, struct umk_if *ifp,
			    const struct in6_addr *addr)
{
	if (!ifp || !ifp->nd)
		return false;
	struct nd6_neigh *n = nd6_lookup(s, ifp, addr);
	if (!n)
		return true;
	if (n->state == ND6_FAILED)
		return false;
	/* an INCOMPLETE entry that has used up its solicitations is about to fail */
	return !(n->state == UMK_NUD_INCOMPLETE && n->probes >= n->ifp->conf.max_multicast_solicit);
}

bool nd6_lladdr(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *addr,
		uint8_t lladdr[6])
{
	struct nd6_neigh *n = ifp->nd ? nd6_lookup(s, ifp, addr) : NULL;
	if (!n || !n->has_lladdr || n->state == ND6_FAILED)
		return false;
	memcpy(lladdr, n->lladdr, ND_ETH_ADDR_LEN);
	return true;
}

/* ---- module life ---- */

int nd6_init(struct umk_stack *s)
{
	struct nd6_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	uint32_t n = 64;
	while (n < s->limits.max_neighbors && n < (1u << 20))
		n <<= 1;
	st->tab = calloc(n, sizeof(*st->tab));
	if (!st->tab) {
		free(st);
		return -ENOMEM;
	}
	st->mask = n - 1;
	s->nd6 = st;
	return 0;
}

static void flush_if(struct umk_stack *s, struct umk_if *ifp, bool permanent_too)
{
	if (!s->nd6)
		return;
	for (uint32_t i = 0; i <= s->nd6->mask; i++) {
		struct nd6_neigh *n = s->nd6->tab[i];
		while (n) {
			struct nd6_neigh *next = n->next;
			if ((!ifp || n->ifp == ifp) &&
			    (permanent_too || n->state != UMK_NUD_PERMANENT))
				neigh_delete(s, n);
			n = next;
		}
	}
}

void nd6_fini(struct umk_stack *s)
{
	if (!s->nd6)
		return;
	flush_if(s, NULL, true);
	free(s->nd6->tab);
	free(s->nd6);
	s->nd6 = NULL;
}

void nd6_if_attach(struct umk_stack *s, struct umk_if *ifp)
{
	struct nd6_ifinfo *ndi = calloc(1, sizeof(*ndi));
	if (!ndi) {
		LOG_ERR(s, "%s: no memory for ND state", ifp->name);
		return;
	}
	ndi->ifp = ifp;
	ifp->nd = ndi;
	rd6_if_attach(s, ifp);
}

void nd6_if_detach(struct umk_stack *s, struct umk_if *ifp)
{
	if (!ifp->nd)
		return;
	flush_if(s, ifp, true);
	rd6_if_detach(s, ifp);
	free(ifp->nd);
	ifp->nd = NULL;
}

void nd6_if_up(struct umk_stack *s, struct umk_if *ifp)
{
	if (ifp->nd)
		rd6_if_up(s, ifp);
}

void nd6_if_down(struct umk_stack *s, struct umk_if *ifp)
{
	if (!ifp->nd)
		return;
	flush_if(s, ifp, false);
	rd6_if_down(s, ifp);
}

/* ---- management (<umikame/mgmt.h>) ---- */

int umk_neigh_list(struct umk_stack *s, int (*cb)(void *, const struct umk_neigh_info *),
		   void *ctx)
{
	for (uint32_t i = 0; i <= s->nd6->mask; i++)
		for (struct nd6_neigh *n = s->nd6->tab[i]; n; n = n->next) {
			if (n->state == ND6_FAILED)
				continue;
			struct umk_neigh_info ni = {
				.ifindex = n->ifp->index, .addr = n->addr,
				.has_lladdr = n->has_lladdr, .state = n->state, .router = n->router,
			};
			memcpy(ni.lladdr, n->lladdr, sizeof(ni.lladdr));
			int r = cb(ctx, &ni);
			if (r)
				return r;
		}
	return 0;
}

int umk_neigh_add(struct umk_stack *s, int ifindex, const struct in6_addr *addr,
		  const uint8_t lladdr[6], bool router)
{
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp || !ifp->nd)
		return -ENODEV;
	if (!addr || !lladdr || IN6_IS_ADDR_MULTICAST(addr) || IN6_IS_ADDR_UNSPECIFIED(addr))
		return -EINVAL;
	struct nd6_neigh *n = nd6_lookup(s, ifp, addr);
	if (!n && !(n = neigh_create(s, ifp, addr)))
		return -ENOSPC;
	set_lladdr(s, n, lladdr);
	n->router = router;
	set_state(s, n, UMK_NUD_PERMANENT);
	if (n->q_head)
		queue_send(s, n);
	return 0;
}

int umk_neigh_del(struct umk_stack *s, int ifindex, const struct in6_addr *addr)
{
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp || !ifp->nd)
		return -ENODEV;
	struct nd6_neigh *n = nd6_lookup(s, ifp, addr);
	if (!n || n->state == ND6_FAILED)
		return -ENOENT;
	neigh_delete(s, n);
	return 0;
}

int umk_neigh_flush(struct umk_stack *s, int ifindex)
{
	struct umk_if *ifp = NULL;
	if (ifindex && !(ifp = if_get(s, ifindex)))
		return -ENODEV;
	flush_if(s, ifp, false);
	return 0;
}
