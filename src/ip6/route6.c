/*
 * route6.c - the routing table. Routes live here, grouped by prefix (zone, dst, plen): a
 * group holds every route of one prefix (several gateways: ECMP; several metrics or
 * protocols: the best wins). The fast FIB (ip6/fib/fib6.h, Poptrie) maps a destination to
 * the id of the longest matching group; the routes of that group then pick the next hop.
 * Scoped prefixes (fe80::/10 and friends) are keyed by their zone (RFC 4007 6), global ones
 * by zone 0.
 *
 * Among the routes of a group: the lowest metric, then (default routers, RFC 4861 6.3.6) one
 * whose gateway is not known unreachable, then the higher RFC 4191 preference; routes equal
 * on all three share the traffic by a flow hash (ECMP, RFC 2991/6438: src, dst, flow label).
 * What the FIB cannot answer alone (an oif restriction, a scoped destination without a zone
 * route, a group whose routes are all on down interfaces) falls back to a linear walk with the
 * same rules, so rt6_lookup's contract is that of a plain longest-match table. When the best
 * route learned from an RA points to a router known unreachable, the next best one with a
 * reachable router is taken (RFC 4191 3.2). Routes with a
 * lifetime are swept by one timer. Management calls umk_route_list/add/del are here too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <umikame/router.h>

#include "core/stack_int.h"
#include "ip6/fib/fib6.h"
#include "ip6/ip6.h"
#include "ip6/nd6.h"
#include "ip6/route6.h"

#define RT6_HASH_BUCKETS 4096u
#define RT6_NONE UINT32_MAX

/* All routes of one prefix; its index is the FIB's next-hop id. */
struct rt6_group {
	struct in6_addr dst;
	uint8_t plen;
	bool used;
	uint32_t zone;
	struct rt6_entry *v;
	uint32_t n, cap;
	uint32_t hnext;               /* hash chain, or the free list when unused */
};

struct rt6_table {
	struct rt6_group *g;
	uint32_t ng, capg;            /* groups in use or freed below ng */
	uint32_t free_head;           /* unused group indexes */
	uint32_t hash[RT6_HASH_BUCKETS];
	uint32_t n;                   /* routes */
	struct fib6 *fib;
	bool fib_broken;              /* an insert failed: every lookup walks (counted) */
	struct umk_timer expiry;      /* at the earliest `expires` */
};

static bool expired(const struct umk_stack *s, const struct rt6_entry *e)
{
	return e->expires && e->expires <= s->now;
}

static void mask_prefix(struct in6_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		a->s6_addr[i] &= (uint8_t)(0xff << (8 - plen));
		plen = 0;
	}
}

/* RFC 4007 6: a scoped prefix belongs to the zone of its interface. */
static uint32_t zone_of(const struct rt6_entry *e)
{
	return in6_is_scoped(&e->dst) ? (uint32_t)e->ifindex : 0;
}

static uint32_t bucket(const struct umk_stack *s, uint32_t zone, const struct in6_addr *dst,
		       unsigned plen)
{
	return (hash_addr(s, dst, zone) ^ plen * 0x9e3779b1u) & (RT6_HASH_BUCKETS - 1);
}

static struct rt6_group *group_find(struct umk_stack *s, uint32_t zone,
				    const struct in6_addr *dst, unsigned plen)
{
	struct rt6_table *t = s->rt6;
	for (uint32_t i = t->hash[bucket(s, zone, dst, plen)]; i != RT6_NONE; i = t->g[i].hnext) {
		struct rt6_group *g = &t->g[i];
		if (g->plen == plen && g->zone == zone && IN6_ARE_ADDR_EQUAL(&g->dst, dst))
			return g;
	}
	return NULL;
}

static struct rt6_group *group_new(struct umk_stack *s, uint32_t zone,
				   const struct in6_addr *dst, unsigned plen)
{
	struct rt6_table *t = s->rt6;
	uint32_t id;
	if (t->free_head != RT6_NONE) {
		id = t->free_head;
		t->free_head = t->g[id].hnext;
	} else {
		if (t->ng > FIB6_NEXTHOP_MAX) {
			COUNT(s, RT6_TABLE_FULL);
			return NULL;
		}
		if (t->ng == t->capg) {
			uint32_t cap = t->capg ? t->capg * 2 : 16;
			struct rt6_group *g = realloc(t->g, cap * sizeof(*g));
			if (!g)
				return NULL;
			t->g = g;
			t->capg = cap;
		}
		id = t->ng++;
	}
	struct rt6_group *g = &t->g[id];
	memset(g, 0, sizeof(*g));
	g->dst = *dst;
	g->plen = (uint8_t)plen;
	g->zone = zone;
	g->used = true;
	if (!t->fib_broken) {
		int r = fib6_insert(t->fib, zone, dst->s6_addr, plen, id);
		fib6_quiesce(t->fib);
		if (r) {
			/* the walk still finds every route; only speed is lost */
			COUNT(s, RT6_FIB_FAILED);
			LOG_WARN(s, "FIB insert failed (%d): lookups fall back to the table walk", r);
			t->fib_broken = true;
		}
	}
	uint32_t b = bucket(s, zone, dst, plen);
	g->hnext = t->hash[b];
	t->hash[b] = id;
	return g;
}

static void group_free(struct umk_stack *s, struct rt6_group *g)
{
	struct rt6_table *t = s->rt6;
	uint32_t id = (uint32_t)(g - t->g);
	uint32_t *pp = &t->hash[bucket(s, g->zone, &g->dst, g->plen)];
	while (*pp != RT6_NONE && *pp != id)
		pp = &t->g[*pp].hnext;
	if (*pp == id)
		*pp = g->hnext;
	if (!t->fib_broken) {
		fib6_delete(t->fib, g->zone, g->dst.s6_addr, g->plen);
		fib6_quiesce(t->fib);
	}
	free(g->v);
	memset(g, 0, sizeof(*g));
	g->hnext = t->free_head;
	t->free_head = id;
}

/* Removes route i of g; frees g when it was the last. */
static void remove_at(struct umk_stack *s, struct rt6_group *g, uint32_t i)
{
	g->v[i] = g->v[--g->n];
	s->rt6->n--;
	if (!g->n)
		group_free(s, g);
}

#define FOR_EACH_GROUP(t, g) \
	for (struct rt6_group *g = (t)->g; g < (t)->g + (t)->ng; g++) \
		if (g->used)

static void rearm(struct umk_stack *s)
{
	struct rt6_table *t = s->rt6;
	umk_time_t next = 0;

	FOR_EACH_GROUP(t, g)
		for (uint32_t i = 0; i < g->n; i++)
			if (g->v[i].expires && (!next || g->v[i].expires < next))
				next = g->v[i].expires;
	if (next)
		timer_arm(s, &t->expiry, next);
	else
		timer_cancel(s, &t->expiry);
}

static void sweep(struct umk_stack *s, struct umk_timer *tm)
{
	struct rt6_table *t = container_of(tm, struct rt6_table, expiry);

	FOR_EACH_GROUP(t, g)
		for (uint32_t i = 0; g->used && i < g->n;) {
			if (expired(s, &g->v[i])) {
				COUNT(s, RT6_EXPIRED);
				remove_at(s, g, i);
			} else {
				i++;
			}
		}
	rearm(s);
}

int rt6_init(struct umk_stack *s)
{
	s->rt6 = calloc(1, sizeof(*s->rt6));
	if (!s->rt6)
		return -ENOMEM;
	/* group ids are the FIB's 16-bit next hops, so it never holds more prefixes */
	s->rt6->fib = fib6_new(FIB6_NEXTHOP_MAX + 1);
	if (!s->rt6->fib) {
		free(s->rt6);
		s->rt6 = NULL;
		return -ENOMEM;
	}
	s->rt6->free_head = RT6_NONE;
	for (uint32_t i = 0; i < RT6_HASH_BUCKETS; i++)
		s->rt6->hash[i] = RT6_NONE;
	timer_init(&s->rt6->expiry, sweep);
	return 0;
}

void rt6_fini(struct umk_stack *s)
{
	struct rt6_table *t = s->rt6;
	if (!t)
		return;
	timer_cancel(s, &t->expiry);
	FOR_EACH_GROUP(t, g)
		free(g->v);
	free(t->g);
	fib6_free(t->fib);
	free(t);
	s->rt6 = NULL;
}

static bool same_key(const struct rt6_entry *a, const struct rt6_entry *b)
{
	return a->plen == b->plen && IN6_ARE_ADDR_EQUAL(&a->dst, &b->dst) &&
	       IN6_ARE_ADDR_EQUAL(&a->gateway, &b->gateway) && a->ifindex == b->ifindex &&
	       a->proto == b->proto;
}

static struct rt6_entry *entry_find(struct umk_stack *s, const struct rt6_entry *e)
{
	struct rt6_group *g = group_find(s, zone_of(e), &e->dst, e->plen);
	if (!g)
		return NULL;
	for (uint32_t i = 0; i < g->n; i++)
		if (same_key(&g->v[i], e))
			return &g->v[i];
	return NULL;
}

int rt6_add(struct umk_stack *s, const struct rt6_entry *r)
{
	struct rt6_table *t = s->rt6;

	if (r->plen > 128 || !if_get(s, r->ifindex))
		return -EINVAL;
	struct rt6_entry e = *r;
	mask_prefix(&e.dst, e.plen);
	struct rt6_entry *old = entry_find(s, &e);
	if (old) {
		old->metric = e.metric;
		old->pref = e.pref;
		old->expires = e.expires;
		old->type = e.type;
		rearm(s);
		return 0;
	}
	if (t->n >= s->limits.max_routes) {
		COUNT(s, RT6_TABLE_FULL);
		return -ENOSPC;
	}
	uint32_t zone = zone_of(&e);
	struct rt6_group *g = group_find(s, zone, &e.dst, e.plen);
	if (!g && !(g = group_new(s, zone, &e.dst, e.plen)))
		return -ENOSPC;
	if (g->n == g->cap) {
		uint32_t cap = g->cap ? g->cap * 2 : 2;
		struct rt6_entry *v = realloc(g->v, cap * sizeof(*v));
		if (!v) {
			if (!g->n)
				group_free(s, g);
			return -ENOMEM;
		}
		g->v = v;
		g->cap = cap;
	}
	g->v[g->n++] = e;
	t->n++;
	COUNT(s, RT6_ADDED);
	if (e.expires)
		rearm(s);
	return 0;
}

int rt6_del(struct umk_stack *s, const struct in6_addr *dst, unsigned plen,
	    const struct in6_addr *gateway, int ifindex, int proto)
{
	struct rt6_table *t = s->rt6;
	struct in6_addr key = *dst;
	int found = 0;

	if (plen > 128)
		return -ENOENT;
	mask_prefix(&key, plen);
	FOR_EACH_GROUP(t, g) {
		if (g->plen != plen || !IN6_ARE_ADDR_EQUAL(&g->dst, &key))
			continue;
		for (uint32_t i = 0; g->used && i < g->n;) {
			struct rt6_entry *e = &g->v[i];
			if ((!gateway || IN6_ARE_ADDR_EQUAL(&e->gateway, gateway)) &&
			    (!ifindex || e->ifindex == ifindex) && (!proto || e->proto == proto)) {
				remove_at(s, g, i);
				COUNT(s, RT6_DELETED);
				found = 1;
			} else {
				i++;
			}
		}
	}
	return found ? 0 : -ENOENT;
}

void rt6_flush_if(struct umk_stack *s, int ifindex, int proto)
{
	struct rt6_table *t = s->rt6;

	if (!t)
		return;
	FOR_EACH_GROUP(t, g)
		for (uint32_t i = 0; g->used && i < g->n;) {
			if (g->v[i].ifindex == ifindex && (!proto || g->v[i].proto == proto)) {
				remove_at(s, g, i);
				COUNT(s, RT6_DELETED);
			} else {
				i++;
			}
		}
}

/* On-link, or its router not known to be unreachable (RFC 4861 6.3.6, RFC 4191 3.2). */
static bool gateway_reachable(struct umk_stack *s, const struct rt6_entry *e)
{
	return IN6_IS_ADDR_UNSPECIFIED(&e->gateway) ||
	       nd6_probably_reachable(s, if_get(s, e->ifindex), &e->gateway);
}

/* Orders two candidate routes of the same prefix length: > 0 when a is better. */
static int compare(struct umk_stack *s, const struct rt6_entry *a, const struct rt6_entry *b)
{
	if (a->metric != b->metric)
		return a->metric < b->metric ? 1 : -1;
	/* RFC 4861 6.3.6 and RFC 4191 3.2: a router not known to be unreachable first, then
	 * the higher preference */
	bool ra = gateway_reachable(s, a), rb = gateway_reachable(s, b);
	if (ra != rb)
		return ra ? 1 : -1;
	if (a->pref != b->pref)
		return a->pref > b->pref ? 1 : -1;
	return 0;
}

static bool usable(struct umk_stack *s, const struct rt6_entry *e, int oif)
{
	if (expired(s, e) || (oif && e->ifindex != oif))
		return false;
	struct umk_if *ifp = if_get(s, e->ifindex);
	return ifp && (ifp->flags & UMK_IF_UP);
}

/* The best usable route of g, an ECMP member chosen by hash among equals; NULL if none. */
static const struct rt6_entry *group_best(struct umk_stack *s, const struct rt6_group *g,
					  int oif, uint32_t hash)
{
	const struct rt6_entry *best = NULL;
	uint32_t ties = 0;

	if (g->n == 1)
		return usable(s, &g->v[0], oif) ? &g->v[0] : NULL;
	for (uint32_t i = 0; i < g->n; i++) {
		const struct rt6_entry *e = &g->v[i];
		if (!usable(s, e, oif))
			continue;
		int c = best ? compare(s, e, best) : 1;
		if (c > 0) {
			best = e;
			ties = 1;
		} else if (c == 0) {
			ties++;
		}
	}
	if (ties <= 1)
		return best;
	/* ECMP: the (hash mod ties)-th of the equal best routes, in table order, so one flow
	 * keeps its path while the set is unchanged */
	uint32_t pick = hash % ties;
	for (uint32_t i = 0; i < g->n; i++) {
		const struct rt6_entry *e = &g->v[i];
		if (usable(s, e, oif) && compare(s, e, best) == 0 && pick-- == 0)
			return e;
	}
	return best;
}

/* The old linear longest match: for what the FIB cannot answer by itself. below: only
 * prefixes shorter than this (129: all); reachable_only: skip routes whose router is known
 * unreachable (RFC 4191 3.2). */
static const struct rt6_entry *walk_lookup(struct umk_stack *s, const struct in6_addr *dst,
					   int zone, int oif, uint32_t hash, unsigned below,
					   bool reachable_only)
{
	struct rt6_table *t = s->rt6;
	const struct rt6_group *bestg = NULL;
	const struct rt6_entry *best = NULL;
	bool scoped = in6_is_scoped(dst);

	COUNT(s, RT6_LOOKUP_WALK);
	FOR_EACH_GROUP(t, g) {
		if ((bestg && g->plen < bestg->plen) || g->plen >= below)
			continue;
		if (!in6_prefix_eq(&g->dst, dst, g->plen))
			continue;
		/* RFC 4007 6: a scoped destination only matches routes in its own zone */
		const struct rt6_entry *e = group_best(s, g, scoped && zone ? zone : oif, hash);
		if (!e || (oif && e->ifindex != oif) || (reachable_only && !gateway_reachable(s, e)))
			continue;
		if (!best || g->plen > bestg->plen || compare(s, e, best) > 0) {
			best = e;
			bestg = g;
		}
	}
	return best;
}

static uint32_t flow_hash(const struct umk_stack *s, const struct in6_addr *src,
			  const struct in6_addr *dst, uint32_t flowlabel)
{
	uint32_t h = hash_addr(s, dst, flowlabel);
	if (src)
		h ^= hash_addr(s, src, h);
	return h;
}

int rt6_lookup_flow(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif,
		    const struct in6_addr *src, uint32_t flowlabel, struct rt6_nexthop *nh)
{
	struct rt6_table *t = s->rt6;
	const struct rt6_entry *best = NULL;
	bool scoped = in6_is_scoped(dst);
	uint32_t hash = flow_hash(s, src, dst, flowlabel);

	if (!t->fib_broken && !oif && (!scoped || zone)) {
		uint32_t id = fib6_lookup(t->fib, scoped ? (uint32_t)zone : 0, dst->s6_addr);
		if (id != FIB6_NONE)
			best = group_best(s, &t->g[id], 0, hash);
		/* every global route is in zone 0 of the FIB: no match there is no route */
		if (!best && (id != FIB6_NONE || scoped))
			best = walk_lookup(s, dst, zone, oif, hash, 129, false);
	} else {
		best = walk_lookup(s, dst, zone, oif, hash, 129, false);
	}
	/* RFC 4191 3.2: "If the best route points to a non-reachable router ... the next best
	 * route is consulted", until one points to a reachable router; none: the best stays
	 * (its router may come back, RFC 4861 6.3.6). For routes learned from RAs, a host's. */
	if (best && best->proto == UMK_RTPROTO_RA && !gateway_reachable(s, best)) {
		const struct rt6_entry *alt = walk_lookup(s, dst, zone, oif, hash, best->plen,
							  true);
		if (alt) {
			COUNT(s, RT6_UNREACHABLE_SKIPPED);
			best = alt;
		}
	}
	if (!best) {
		COUNT(s, RT6_LOOKUP_MISS);
		return -ENETUNREACH;
	}
	nh->ifp = if_get(s, best->ifindex);
	nh->on_link = IN6_IS_ADDR_UNSPECIFIED(&best->gateway);
	nh->addr = nh->on_link ? *dst : best->gateway;
	nh->type = best->type;
	nh->plen = best->plen;
	return 0;
}

int rt6_lookup(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif,
	       struct rt6_nexthop *nh)
{
	return rt6_lookup_flow(s, dst, zone, oif, NULL, 0, nh);
}

/* ---- management (mgmt.h) ---- */

int umk_route_list(struct umk_stack *s, int (*cb)(void *, const struct umk_route_info *),
		   void *ctx)
{
	struct rt6_table *t = s->rt6;

	FOR_EACH_GROUP(t, g)
		for (uint32_t i = 0; i < g->n; i++) {
			const struct rt6_entry *e = &g->v[i];
			if (expired(s, e))
				continue;
			struct umk_route_info ri = {
				.dst = e->dst, .prefixlen = e->plen, .gateway = e->gateway,
				.ifindex = e->ifindex, .metric = e->metric, .proto = e->proto,
				.pref = e->pref, .rt_type = e->type,
			};
			/* an infinite RA lifetime (UMK_TIME_NEVER) does not expire either */
			if (e->expires && e->expires != UMK_TIME_NEVER) {
				uint64_t left = (e->expires - s->now + 999) / 1000;
				ri.expires = left > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)left;
			}
			int r = cb(ctx, &ri);
			if (r)
				return r;
		}
	return 0;
}

int umk_route_add(struct umk_stack *s, const struct in6_addr *dst, unsigned prefixlen,
		  const struct in6_addr *gateway, int ifindex, uint32_t metric)
{
	struct rt6_entry e = { .plen = (uint8_t)prefixlen, .ifindex = ifindex,
			       .metric = metric, .proto = UMK_RTPROTO_STATIC };

	if (!dst || prefixlen > 128)
		return -EINVAL;
	e.dst = *dst;
	if (gateway)
		e.gateway = *gateway;
	if (ifindex && !if_get(s, ifindex))
		return -ENODEV;
	if (IN6_IS_ADDR_MULTICAST(&e.gateway))
		return -EINVAL;
	if (!ifindex) {
		if (IN6_IS_ADDR_UNSPECIFIED(&e.gateway) || in6_is_scoped(&e.gateway))
			return -EINVAL; /* RFC 4007: a link-local gateway names no interface */
		struct rt6_nexthop nh;
		if (rt6_lookup(s, &e.gateway, 0, 0, &nh) || !nh.on_link)
			return -ENETUNREACH;
		e.ifindex = nh.ifp->index;
	}
	mask_prefix(&e.dst, e.plen);
	if (entry_find(s, &e))
		return -EEXIST;
	return rt6_add(s, &e);
}

int umk_route_add_type(struct umk_stack *s, const struct in6_addr *dst, unsigned prefixlen,
		       const struct in6_addr *gateway, int ifindex, uint32_t metric, int type)
{
	if (type == RT6_UNICAST)
		return umk_route_add(s, dst, prefixlen, gateway, ifindex, metric);
	if ((type != RT6_REJECT && type != RT6_BLACKHOLE) || !dst || prefixlen > 128 ||
	    (gateway && !IN6_IS_ADDR_UNSPECIFIED(gateway)))
		return -EINVAL;
	struct umk_if *ifp = ifindex ? if_get(s, ifindex) : if_first(s);
	if (!ifp)
		return -ENODEV;
	struct rt6_entry e = { .dst = *dst, .plen = (uint8_t)prefixlen, .ifindex = ifp->index,
			       .metric = metric, .proto = UMK_RTPROTO_STATIC,
			       .type = (uint8_t)type };
	mask_prefix(&e.dst, e.plen);
	if (entry_find(s, &e))
		return -EEXIST;
	return rt6_add(s, &e);
}

int umk_route_del(struct umk_stack *s, const struct in6_addr *dst, unsigned prefixlen,
		  const struct in6_addr *gateway, int ifindex)
{
	if (!dst || prefixlen > 128)
		return -EINVAL;
	if (gateway && IN6_IS_ADDR_UNSPECIFIED(gateway))
		gateway = NULL;
	return rt6_del(s, dst, prefixlen, gateway, ifindex, 0);
}
