/*
 * rd6.c - router discovery for hosts (RFC 4861 6.3): Router Solicitations at start
 * (6.3.7), Router Advertisement validation (6.1.2) and processing (6.3.4) into the default
 * router list, the prefix list (on-link determination), RFC 4191 routes and RFC 8106 DNS
 * options, and Redirect (8.1, 8.3). Routes are mirrored into the FIB (ip6/route6.h) with
 * proto RA or REDIRECT; the neighbor cache is ip6/nd6.c; SLAAC is ip6/addrconf.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/nd6_int.h"
#include "ip6/route6.h"
#include "ip6/rtadv.h"

static const struct in6_addr all_routers = { { { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } } };

#define RD6_DEFAULT_METRIC 1024   /* like the BSDs and Linux for RA-learned routes */

static bool addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* seconds from an option to an absolute expiry; 0xffffffff is infinity (RFC 4861 4.6.2) */
static umk_time_t expiry(struct umk_stack *s, uint32_t seconds)
{
	if (seconds == ND_INFINITE_LIFETIME)
		return UMK_TIME_NEVER;
	return s->now + (umk_time_t)seconds * 1000;
}

static uint32_t seconds_left(struct umk_stack *s, umk_time_t expires)
{
	if (expires == UMK_TIME_NEVER)
		return UINT32_MAX;
	return expires > s->now ? (uint32_t)((expires - s->now + 999) / 1000) : 0;
}

/* ---- the expiry timer: one per interface for all its lists ---- */

static void route_del(struct umk_stack *s, struct umk_if *ifp, const struct rd6_prefix *p)
{
	static const struct in6_addr any;
	rt6_del(s, &p->prefix, p->plen, p->route_info ? &p->router : &any, ifp->index,
		UMK_RTPROTO_RA);
}

static void router_del_route(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *a)
{
	static const struct in6_addr any;
	rt6_del(s, &any, 0, a, ifp->index, UMK_RTPROTO_RA);
}

static void rearm(struct umk_stack *s, struct nd6_ifinfo *ndi)
{
	umk_time_t next = UMK_TIME_NEVER;
	for (struct rd6_router *r = ndi->routers; r; r = r->next)
		if (r->expires < next)
			next = r->expires;
	for (struct rd6_prefix *p = ndi->prefixes; p; p = p->next)
		if (p->expires < next)
			next = p->expires;
	for (struct rd6_dns *d = ndi->dns; d; d = d->next)
		if (d->expires < next)
			next = d->expires;
	if (next == UMK_TIME_NEVER)
		timer_cancel(s, &ndi->expire_timer);
	else
		timer_arm(s, &ndi->expire_timer, next);
}

/* Removes what has expired (everything when all is true). */
static void expire_lists(struct umk_stack *s, struct nd6_ifinfo *ndi, bool all)
{
	struct umk_if *ifp = ndi->ifp;
	for (struct rd6_router **pp = &ndi->routers; *pp;) {
		struct rd6_router *r = *pp;
		if (all || r->expires <= s->now) {
			char buf[ADDRSTRLEN];
			LOG_INFO(s, "default router %s%%%s gone", addr_str(&r->addr, buf), ifp->name);
			if (!all)
				COUNT(s, ND6_RA_ROUTER_EXPIRED);
			router_del_route(s, ifp, &r->addr);
			*pp = r->next;
			ndi->n_routers--;
			free(r);
		} else {
			pp = &r->next;
		}
	}
	for (struct rd6_prefix **pp = &ndi->prefixes; *pp;) {
		struct rd6_prefix *p = *pp;
		if (all || p->expires <= s->now) {
			if (!all && !p->route_info)
				COUNT(s, ND6_RA_PREFIX_EXPIRED);
			route_del(s, ifp, p);
			if (p->route_info)
				ndi->n_routes--;
			else
				ndi->n_prefixes--;
			*pp = p->next;
			free(p);
		} else {
			pp = &p->next;
		}
	}
	for (struct rd6_dns **pp = &ndi->dns; *pp;) {
		struct rd6_dns *d = *pp;
		if (all || d->expires <= s->now) {
			if (d->domain)
				ndi->n_dnssl--;
			else
				ndi->n_rdnss--;
			*pp = d->next;
			free(d);
		} else {
			pp = &d->next;
		}
	}
}

static void expire_timer_fn(struct umk_stack *s, struct umk_timer *t)
{
	struct nd6_ifinfo *ndi = container_of(t, struct nd6_ifinfo, expire_timer);
	expire_lists(s, ndi, false);
	rearm(s, ndi);
}

/* ---- router solicitation (RFC 4861 6.3.7) ---- */

static void rs_send(struct umk_stack *s, struct umk_if *ifp)
{
	struct nd_msg m;
	memset(&m, 0, sizeof(m));
	m.type = ND_ROUTER_SOLICIT;
	/* 6.3.7: a link-local source once one has passed DAD, with SLLAO; else :: and no
	 * SLLAO (4.1) */
	struct in6_ifaddr *ll = in6_linklocal(s, ifp);
	COUNT(s, ND6_OUT_RS);
	if (ll) {
		m.opts.has_sllao = true;
		memcpy(m.opts.sllao, ifp->lladdr, ND_ETH_ADDR_LEN);
		nd6_send(s, ifp, &m, &ll->addr, &all_routers, 0);
	} else {
		nd6_send(s, ifp, &m, NULL, &all_routers, IP6_TX_SRC_UNSPEC);
	}
}

static void rs_timer_fn(struct umk_stack *s, struct umk_timer *t)
{
	struct nd6_ifinfo *ndi = container_of(t, struct nd6_ifinfo, rs_timer);
	struct umk_if *ifp = ndi->ifp;
	if (ndi->rs_done || !(ifp->flags & UMK_IF_UP) || !ifp->conf.accept_ra ||
	    ifp->conf.forwarding)
		return;
	rs_send(s, ifp);
	if (++ndi->rs_sent < ifp->conf.rtr_solicitations)
		timer_arm_in(s, &ndi->rs_timer, (uint64_t)ifp->conf.rtr_solicitation_interval);
}

void rd6_if_attach(struct umk_stack *s, struct umk_if *ifp)
{
	struct nd6_ifinfo *ndi = ifp->nd;
	timer_init(&ndi->rs_timer, rs_timer_fn);
	timer_init(&ndi->expire_timer, expire_timer_fn);
}

void rd6_if_up(struct umk_stack *s, struct umk_if *ifp)
{
	struct nd6_ifinfo *ndi = ifp->nd;
	ndi->rs_sent = 0;
	ndi->rs_done = false;
	rtadv_update(s, ifp, false);
	if (!ifp->conf.accept_ra || ifp->conf.forwarding || ifp->conf.rtr_solicitations <= 0)
		return;
	/* 6.3.7: wait a random time in [0, MAX_RTR_SOLICITATION_DELAY] first */
	timer_arm_in(s, &ndi->rs_timer, rng_range(s, 0, (uint64_t)ifp->conf.rtr_solicitation_delay));
}

void rd6_if_down(struct umk_stack *s, struct umk_if *ifp)
{
	struct nd6_ifinfo *ndi = ifp->nd;
	rtadv_update(s, ifp, true);   /* the final RA while the link still sends */
	timer_cancel(s, &ndi->rs_timer);
	timer_cancel(s, &ndi->expire_timer);
	expire_lists(s, ndi, true);
	rt6_flush_if(s, ifp->index, UMK_RTPROTO_REDIRECT);
	rt6_flush_if(s, ifp->index, UMK_RTPROTO_RA);
}

void rd6_if_detach(struct umk_stack *s, struct umk_if *ifp)
{
	rd6_if_down(s, ifp);
}

/* ---- RS: hosts don't answer; routers do (RFC 4861 6.2.6, ip6/rtadv.c) ---- */

void rd6_rs_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
		  const struct nd_msg *m)
{
	/* 6.1.1: from :: there must be no SLLAO */
	if (IN6_IS_ADDR_UNSPECIFIED(&rx->src) && m->opts.has_sllao) {
		COUNT(s, ND6_RS_UNSPEC_SLLAO);
		return;
	}
	if (ifp->conf.forwarding) {
		rtadv_rs_input(s, ifp, rx, m);   /* RFC 4861 6.2.6: ip6/rtadv.c */
		return;
	}
	COUNT(s, ND6_RS_HOST_DISCARD);
}

/* ---- RA (RFC 4861 6.3.4) ---- */

static struct rd6_router *router_find(struct nd6_ifinfo *ndi, const struct in6_addr *a)
{
	for (struct rd6_router *r = ndi->routers; r; r = r->next)
		if (addr_eq(&r->addr, a))
			return r;
	return NULL;
}

static void router_remove(struct umk_stack *s, struct nd6_ifinfo *ndi, const struct in6_addr *a)
{
	for (struct rd6_router **pp = &ndi->routers; *pp; pp = &(*pp)->next)
		if (addr_eq(&(*pp)->addr, a)) {
			struct rd6_router *r = *pp;
			*pp = r->next;
			ndi->n_routers--;
			router_del_route(s, ndi->ifp, a);
			free(r);
			return;
		}
}

void rd6_router_gone(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *addr)
{
	if (!ifp->nd)
		return;
	router_remove(s, ifp->nd, addr);
	rearm(s, ifp->nd);
}

static void ra_router(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *src,
		      const struct nd_msg *m)
{
	struct nd6_ifinfo *ndi = ifp->nd;
	struct rd6_router *r = router_find(ndi, src);
	if (m->router_lifetime == 0) {
		/* "timeout the entry immediately" */
		if (r)
			router_remove(s, ndi, src);
		return;
	}
	/* RFC 4191 2.2: Prf; ignored when the lifetime is 0 (handled above) */
	int pref = nd_prf_to_pref((m->ra_flags >> ND_RA_PRF_SHIFT) & ND_RA_PRF_MASK);
	if (!r) {
		if (ndi->n_routers >= s->limits.max_default_routers) {
			char buf[ADDRSTRLEN];
			COUNT(s, ND6_RA_ROUTERS_FULL);
			LOG_WARN(s, "%s: default router list full, %s ignored", ifp->name,
				 addr_str(src, buf));
			return;
		}
		r = calloc(1, sizeof(*r));
		if (!r) {
			COUNT(s, ND6_RA_ROUTERS_FULL);
			return;
		}
		r->addr = *src;
		r->next = ndi->routers;
		ndi->routers = r;
		ndi->n_routers++;
		COUNT(s, ND6_RA_ROUTER_ADDED);
	}
	r->pref = (int8_t)pref;
	r->expires = s->now + (umk_time_t)m->router_lifetime * 1000;
	struct rt6_entry e = {
		.plen = 0, .gateway = *src, .ifindex = ifp->index, .metric = RD6_DEFAULT_METRIC,
		.proto = UMK_RTPROTO_RA, .pref = (int8_t)pref, .expires = r->expires,
	};
	if (rt6_add(s, &e))
		COUNT(s, ND6_RA_RT_FAILED);
}

static struct rd6_prefix *prefix_find(struct nd6_ifinfo *ndi, const struct in6_addr *prefix,
				      uint8_t plen, const struct in6_addr *router)
{
	for (struct rd6_prefix *p = ndi->prefixes; p; p = p->next)
		if (p->plen == plen && addr_eq(&p->prefix, prefix) &&
		    (router ? p->route_info && addr_eq(&p->router, router) : !p->route_info))
			return p;
	return NULL;
}

static void prefix_remove(struct umk_stack *s, struct nd6_ifinfo *ndi, struct rd6_prefix *p)
{
	for (struct rd6_prefix **pp = &ndi->prefixes; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			route_del(s, ndi->ifp, p);
			if (p->route_info)
				ndi->n_routes--;
			else
				ndi->n_prefixes--;
			free(p);
			return;
		}
}

/* The on-link part of a PIO (6.3.4) or a Route Information option (RFC 4191 3.1): the
 * list entry and its FIB route. router NULL: on-link prefix. */
static void prefix_update(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *prefix,
			  uint8_t plen, uint32_t lifetime, int pref,
			  const struct in6_addr *router)
{
	struct nd6_ifinfo *ndi = ifp->nd;
	struct rd6_prefix *p = prefix_find(ndi, prefix, plen, router);
	if (lifetime == 0) {
		if (p)
			prefix_remove(s, ndi, p);
		return;
	}
	if (!p) {
		uint32_t *n = router ? &ndi->n_routes : &ndi->n_prefixes;
		if (*n >= s->limits.max_prefixes) {
			char buf[ADDRSTRLEN];
			if (router)
				COUNT(s, ND6_RA_ROUTES_FULL);
			else
				COUNT(s, ND6_RA_PREFIXES_FULL);
			LOG_WARN(s, "%s: list full, %s/%u ignored", ifp->name, addr_str(prefix, buf),
				 plen);
			return;
		}
		p = calloc(1, sizeof(*p));
		if (!p)
			return;
		p->prefix = *prefix;
		p->plen = plen;
		if (router) {
			p->route_info = true;
			p->router = *router;
			COUNT(s, ND6_RA_ROUTE_ADDED);
		} else {
			COUNT(s, ND6_RA_PREFIX_ADDED);
		}
		p->next = ndi->prefixes;
		ndi->prefixes = p;
		(*n)++;
	}
	p->pref = (int8_t)pref;
	p->expires = expiry(s, lifetime);
	struct rt6_entry e = {
		.dst = *prefix, .plen = plen, .ifindex = ifp->index,
		.metric = RD6_DEFAULT_METRIC, .proto = UMK_RTPROTO_RA, .pref = (int8_t)pref,
		.expires = p->expires == UMK_TIME_NEVER ? 0 : p->expires,
	};
	if (router)
		e.gateway = *router;
	if (rt6_add(s, &e))
		COUNT(s, ND6_RA_RT_FAILED);
}

static void ra_prefix(struct umk_stack *s, struct umk_if *ifp, const struct nd_opt_prefix *o)
{
	/* 6.3.4: "If the prefix is the link-local prefix, silently ignore" (both parts) */
	if (IN6_IS_ADDR_LINKLOCAL(&o->prefix)) {
		COUNT(s, ND6_RA_PIO_LINKLOCAL);
		return;
	}
	if (o->flags & ND_PIO_F_ONLINK)
		prefix_update(s, ifp, &o->prefix, o->plen, o->valid_lft, 0, NULL);
	struct nd_prefix_info pi = {
		.prefix = o->prefix, .plen = o->plen,
		.on_link = o->flags & ND_PIO_F_ONLINK, .autonomous = o->flags & ND_PIO_F_AUTO,
		.valid_lft = o->valid_lft, .preferred_lft = o->preferred_lft,
	};
	addrconf_prefix_input(s, ifp, &pi);
}

static void ra_route(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *router,
		     const struct nd_opt_route *o)
{
	/* RFC 4191 2.3: a reserved preference means the option is ignored */
	if (o->prf == ND_PRF_RESERVED) {
		COUNT(s, ND6_RA_RIO_BAD_PREF);
		return;
	}
	prefix_update(s, ifp, &o->prefix, o->plen, o->lifetime, nd_prf_to_pref(o->prf), router);
}

static struct rd6_dns *dns_find(struct nd6_ifinfo *ndi, bool domain, const struct in6_addr *a,
				const char *name)
{
	for (struct rd6_dns *d = ndi->dns; d; d = d->next)
		if (d->domain == domain &&
		    (domain ? strcasecmp(d->name, name) == 0 : addr_eq(&d->addr, a)))
			return d;
	return NULL;
}

/* RFC 8106 5.1/5.2: add or refresh; lifetime 0 removes. */
static void dns_update(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *router,
		       bool domain, const struct in6_addr *a, const char *name, uint32_t lifetime)
{
	struct nd6_ifinfo *ndi = ifp->nd;
	struct rd6_dns *d = dns_find(ndi, domain, a, name);
	if (lifetime == 0) {
		if (!d)
			return;
		for (struct rd6_dns **pp = &ndi->dns; *pp; pp = &(*pp)->next)
			if (*pp == d) {
				*pp = d->next;
				break;
			}
		if (domain)
			ndi->n_dnssl--;
		else
			ndi->n_rdnss--;
		free(d);
		return;
	}
	if (!d) {
		uint32_t *n = domain ? &ndi->n_dnssl : &ndi->n_rdnss;
		if (*n >= (domain ? ND6_MAX_DNSSL : ND6_MAX_RDNSS) || !(d = calloc(1, sizeof(*d)))) {
			COUNT(s, ND6_RA_DNS_FULL);
			return;
		}
		d->domain = domain;
		if (domain)
			strcpy(d->name, name);
		else
			d->addr = *a;
		d->next = ndi->dns;
		ndi->dns = d;
		(*n)++;
	}
	d->router = *router;
	d->expires = expiry(s, lifetime);
}

static void ra_dns(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *router,
		   const struct nd_opts *o)
{
	for (unsigned i = 0; i < o->n_rdnss; i++) {
		const struct in6_addr *a = &o->rdnss[i].addr;
		if (IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_UNSPECIFIED(a) ||
		    IN6_IS_ADDR_LOOPBACK(a)) {
			COUNT(s, ND6_RA_DNS_BAD_ADDR);
			continue;
		}
		dns_update(s, ifp, router, false, a, NULL, o->rdnss[i].lifetime);
	}
	for (unsigned i = 0; i < o->n_dnssl; i++)
		dns_update(s, ifp, router, true, NULL, o->dnssl[i].name, o->dnssl[i].lifetime);
}

/* 6.3.4: a non-zero parameter replaces ours. */
static void ra_params(struct umk_stack *s, struct umk_if *ifp, const struct nd_msg *m)
{
	struct ip6_ifconf *c = &ifp->conf;
	if (m->cur_hop_limit) {
		c->hop_limit = m->cur_hop_limit;
		COUNT(s, ND6_RA_HOPLIMIT_SET);
	}
	if (m->reachable_time) {
		uint32_t v = m->reachable_time > ND_MAX_REACHABLE_TIME ? ND_MAX_REACHABLE_TIME :
									 m->reachable_time;
		/* a new BaseReachableTime: ReachableTime is drawn again (nd6_reachable_time) */
		c->base_reachable_time = (int32_t)v;
	}
	if (m->retrans_timer) {
		uint32_t v = m->retrans_timer > ND_MAX_REACHABLE_TIME ? ND_MAX_REACHABLE_TIME :
									m->retrans_timer;
		c->retrans_time = (int32_t)v;
	}
	if (m->opts.has_mtu) {
		/* 6.3.4: MTU within [minimum link MTU, the link's maximum] only */
		if (m->opts.mtu < ND_MIN_LINK_MTU || m->opts.mtu > ifp->device_mtu) {
			COUNT(s, ND6_RA_MTU_INVALID);
			LOG_DEBUG(s, "%s: MTU %u ignored (device %u)", ifp->name, m->opts.mtu,
				  ifp->device_mtu);
		} else {
			c->mtu = (int32_t)m->opts.mtu;
			COUNT(s, ND6_RA_MTU_SET);
		}
	}
}

void rd6_ra_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
		  const struct nd_msg *m)
{
	char buf[ADDRSTRLEN];
	/* 6.1.2: routers speak from their link-local address */
	if (!IN6_IS_ADDR_LINKLOCAL(&rx->src)) {
		COUNT(s, ND6_RA_SRC_NOT_LL);
		LOG_DEBUG(s, "RA from %s", addr_str(&rx->src, buf));
		return;
	}
	if (ifp->conf.forwarding) {
		/* RFC 4861 6.2.7: a router only checks other routers' RAs */
		rtadv_ra_input(s, ifp, rx, m);
		COUNT(s, ND6_RA_IGNORED);
		return;
	}
	if (!ifp->conf.accept_ra) {
		COUNT(s, ND6_RA_IGNORED);
		return;
	}
	struct nd6_ifinfo *ndi = ifp->nd;
	/* 6.3.7: a valid RA with a non-zero Router Lifetime ends the solicitations */
	if (m->router_lifetime) {
		ndi->rs_done = true;
		timer_cancel(s, &ndi->rs_timer);
	}
	ra_params(s, ifp, m);
	/* 6.3.4: the router's neighbor entry: SLLAO recorded, IsRouter TRUE */
	if (m->opts.has_sllao) {
		nd6_learn(s, ifp, &rx->src, m->opts.sllao, true);
	} else {
		struct nd6_neigh *n = nd6_lookup(s, ifp, &rx->src);
		if (n)
			n->router = true;
	}
	ra_router(s, ifp, &rx->src, m);
	for (unsigned i = 0; i < m->opts.n_prefix; i++)
		ra_prefix(s, ifp, &m->opts.prefix[i]);
	for (unsigned i = 0; i < m->opts.n_route; i++)
		ra_route(s, ifp, &rx->src, &m->opts.route[i]);
	ra_dns(s, ifp, &rx->src, &m->opts);
	rearm(s, ndi);
}

/* ---- Redirect (RFC 4861 8.1, 8.3) ---- */

void rd6_redirect_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
			const struct nd_msg *m)
{
	char b1[ADDRSTRLEN], b2[ADDRSTRLEN];
	if (!IN6_IS_ADDR_LINKLOCAL(&rx->src)) {
		COUNT(s, ND6_RD_SRC_NOT_LL);
		return;
	}
	if (IN6_IS_ADDR_MULTICAST(&m->dest)) {
		COUNT(s, ND6_RD_DST_MCAST);
		return;
	}
	bool on_link = addr_eq(&m->target, &m->dest);
	/* 8.1: the target is a link-local router address, or the destination itself */
	if (!on_link && !IN6_IS_ADDR_LINKLOCAL(&m->target)) {
		COUNT(s, ND6_RD_TARGET_BAD);
		return;
	}
	if (!ifp->conf.accept_redirects || ifp->conf.forwarding) {
		COUNT(s, ND6_RD_IGNORED);
		return;
	}
	/* 8.1: "the IP source address of the Redirect is the same as the current first-hop
	 * router for the specified ICMP Destination Address" */
	struct rt6_nexthop nh;
	int zone = in6_scope(&m->dest) <= UMK_SCOPE_LINK ? ifp->index : 0;
	if (rt6_lookup(s, &m->dest, zone, 0, &nh) || nh.on_link || nh.ifp != ifp ||
	    !addr_eq(&nh.addr, &rx->src)) {
		COUNT(s, ND6_RD_NOT_FIRST_HOP);
		LOG_DEBUG(s, "redirect for %s from %s, not our first hop",
			  addr_str(&m->dest, b1), addr_str(&rx->src, b2));
		return;
	}
	/* 8.3: the destination's next hop becomes the target (on-link if it is the
	 * destination); a host route stands for the destination cache entry */
	rt6_del(s, &m->dest, 128, NULL, ifp->index, UMK_RTPROTO_REDIRECT);
	struct rt6_entry e = {
		.dst = m->dest, .plen = 128, .ifindex = ifp->index, .proto = UMK_RTPROTO_REDIRECT,
		.expires = s->now + ND6_REDIRECT_LIFETIME,
	};
	if (!on_link)
		e.gateway = m->target;
	if (rt6_add(s, &e)) {
		COUNT(s, ND6_RD_ROUTE_FAILED);
		return;
	}
	COUNT(s, ND6_RD_APPLIED);
	LOG_DEBUG(s, "%s now via %s", addr_str(&m->dest, b1), addr_str(&m->target, b2));
	/* 8.3: TLLAO creates or updates the target's entry (STALE); a target that is not
	 * the destination is a router */
	if (m->opts.has_tllao) {
		nd6_learn(s, ifp, &m->target, m->opts.tllao, !on_link);
	} else if (!on_link) {
		struct nd6_neigh *n = nd6_lookup(s, ifp, &m->target);
		if (n)
			n->router = true;
	}
}

/* ---- accessors ---- */

int nd6_router_list(struct umk_stack *s, struct umk_if *ifp,
		    int (*cb)(void *, const struct nd6_router_info *), void *ctx)
{
	if (!ifp || !ifp->nd)
		return -ENODEV;
	for (struct rd6_router *r = ifp->nd->routers; r; r = r->next) {
		struct nd6_router_info ri = { .addr = r->addr, .pref = r->pref,
					      .lifetime = seconds_left(s, r->expires) };
		int rc = cb(ctx, &ri);
		if (rc)
			return rc;
	}
	return 0;
}

int nd6_dns_list(struct umk_stack *s, struct umk_if *ifp,
		 int (*cb)(void *, const struct nd6_dns_info *), void *ctx)
{
	if (!ifp || !ifp->nd)
		return -ENODEV;
	for (struct rd6_dns *d = ifp->nd->dns; d; d = d->next) {
		struct nd6_dns_info di = { .domain = d->domain, .addr = d->addr,
					   .name = d->domain ? d->name : NULL, .router = d->router,
					   .lifetime = seconds_left(s, d->expires) };
		int rc = cb(ctx, &di);
		if (rc)
			return rc;
	}
	return 0;
}
