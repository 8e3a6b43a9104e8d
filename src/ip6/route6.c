/*
 * route6.c - the routing table: a plain bounded array (s->limits.max_routes) searched
 * linearly for the longest match. Scoped prefixes (fe80::/10 and friends) are keyed by zone
 * (RFC 4007 6); among default routers a reachable one is preferred (RFC 4861 6.3.6), then
 * the RFC 4191 preference. Routes with a lifetime are swept by one timer. The fast FIB is
 * issue 4. Management calls umk_route_list/add/del are here too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ip6/nd6.h"
#include "ip6/route6.h"

struct rt6_table {
	struct rt6_entry *v;
	uint32_t n, cap;
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

static void rearm(struct umk_stack *s)
{
	struct rt6_table *t = s->rt6;
	umk_time_t next = 0;

	for (uint32_t i = 0; i < t->n; i++)
		if (t->v[i].expires && (!next || t->v[i].expires < next))
			next = t->v[i].expires;
	if (next)
		timer_arm(s, &t->expiry, next);
	else
		timer_cancel(s, &t->expiry);
}

static void remove_at(struct rt6_table *t, uint32_t i)
{
	t->v[i] = t->v[--t->n];
}

static void sweep(struct umk_stack *s, struct umk_timer *tm)
{
	struct rt6_table *t = container_of(tm, struct rt6_table, expiry);

	for (uint32_t i = 0; i < t->n;) {
		if (expired(s, &t->v[i])) {
			COUNT(s, RT6_EXPIRED);
			remove_at(t, i);
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
	timer_init(&s->rt6->expiry, sweep);
	return 0;
}

void rt6_fini(struct umk_stack *s)
{
	if (!s->rt6)
		return;
	timer_cancel(s, &s->rt6->expiry);
	free(s->rt6->v);
	free(s->rt6);
	s->rt6 = NULL;
}

static bool same_key(const struct rt6_entry *a, const struct rt6_entry *b)
{
	return a->plen == b->plen && IN6_ARE_ADDR_EQUAL(&a->dst, &b->dst) &&
	       IN6_ARE_ADDR_EQUAL(&a->gateway, &b->gateway) && a->ifindex == b->ifindex &&
	       a->proto == b->proto;
}

int rt6_add(struct umk_stack *s, const struct rt6_entry *r)
{
	struct rt6_table *t = s->rt6;

	if (r->plen > 128 || !if_get(s, r->ifindex))
		return -EINVAL;
	struct rt6_entry e = *r;
	mask_prefix(&e.dst, e.plen);
	for (uint32_t i = 0; i < t->n; i++) {
		if (same_key(&t->v[i], &e)) {
			t->v[i].metric = e.metric;
			t->v[i].pref = e.pref;
			t->v[i].expires = e.expires;
			rearm(s);
			return 0;
		}
	}
	if (t->n >= s->limits.max_routes) {
		COUNT(s, RT6_TABLE_FULL);
		return -ENOSPC;
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		struct rt6_entry *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = e;
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

	mask_prefix(&key, plen);
	for (uint32_t i = 0; i < t->n;) {
		struct rt6_entry *e = &t->v[i];
		if (e->plen == plen && IN6_ARE_ADDR_EQUAL(&e->dst, &key) &&
		    (!gateway || IN6_ARE_ADDR_EQUAL(&e->gateway, gateway)) &&
		    (!ifindex || e->ifindex == ifindex) && (!proto || e->proto == proto)) {
			remove_at(t, i);
			COUNT(s, RT6_DELETED);
			found = 1;
		} else {
			i++;
		}
	}
	return found ? 0 : -ENOENT;
}

void rt6_flush_if(struct umk_stack *s, int ifindex, int proto)
{
	struct rt6_table *t = s->rt6;

	if (!t)
		return;
	for (uint32_t i = 0; i < t->n;) {
		if (t->v[i].ifindex == ifindex && (!proto || t->v[i].proto == proto)) {
			remove_at(t, i);
			COUNT(s, RT6_DELETED);
		} else {
			i++;
		}
	}
}

/* Orders two candidate routes of the same prefix length: > 0 when a is better. */
static int compare(struct umk_stack *s, const struct rt6_entry *a, const struct rt6_entry *b)
{
	if (a->metric != b->metric)
		return a->metric < b->metric ? 1 : -1;
	/* RFC 4861 6.3.6 and RFC 4191 3.2: a router not known to be unreachable first, then
	 * the higher preference */
	bool ra = IN6_IS_ADDR_UNSPECIFIED(&a->gateway) ||
		  nd6_probably_reachable(s, if_get(s, a->ifindex), &a->gateway);
	bool rb = IN6_IS_ADDR_UNSPECIFIED(&b->gateway) ||
		  nd6_probably_reachable(s, if_get(s, b->ifindex), &b->gateway);
	if (ra != rb)
		return ra ? 1 : -1;
	if (a->pref != b->pref)
		return a->pref > b->pref ? 1 : -1;
	return 0;
}

int rt6_lookup(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif,
	       struct rt6_nexthop *nh)
{
	struct rt6_table *t = s->rt6;
	const struct rt6_entry *best = NULL;
	bool scoped = in6_is_scoped(dst);

	for (uint32_t i = 0; i < t->n; i++) {
		const struct rt6_entry *e = &t->v[i];
		if (expired(s, e) || !in6_prefix_eq(&e->dst, dst, e->plen))
			continue;
		if (oif && e->ifindex != oif)
			continue;
		/* RFC 4007 6: a scoped destination only matches routes in its own zone */
		if (scoped && zone && e->ifindex != zone)
			continue;
		struct umk_if *ifp = if_get(s, e->ifindex);
		if (!ifp || !(ifp->flags & UMK_IF_UP))
			continue;
		if (!best || e->plen > best->plen ||
		    (e->plen == best->plen && compare(s, e, best) > 0))
			best = e;
	}
	if (!best) {
		COUNT(s, RT6_LOOKUP_MISS);
		return -ENETUNREACH;
	}
	nh->ifp = if_get(s, best->ifindex);
	nh->on_link = IN6_IS_ADDR_UNSPECIFIED(&best->gateway);
	nh->addr = nh->on_link ? *dst : best->gateway;
	return 0;
}

/* ---- management (mgmt.h) ---- */

int umk_route_list(struct umk_stack *s, int (*cb)(void *, const struct umk_route_info *),
		   void *ctx)
{
	struct rt6_table *t = s->rt6;

	for (uint32_t i = 0; i < t->n; i++) {
		const struct rt6_entry *e = &t->v[i];
		if (expired(s, e))
			continue;
		struct umk_route_info ri = {
			.dst = e->dst, .prefixlen = e->plen, .gateway = e->gateway,
			.ifindex = e->ifindex, .metric = e->metric, .proto = e->proto,
			.pref = e->pref,
		};
		if (e->expires)
			ri.expires = (uint32_t)((e->expires - s->now + 999) / 1000);
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
	for (uint32_t i = 0; i < s->rt6->n; i++)
		if (same_key(&s->rt6->v[i], &e))
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
