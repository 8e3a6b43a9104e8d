/*
 * route6.h - the routing table (FIB) and next-hop lookup. Routes come from addresses and
 * on-link prefixes (proto KERNEL), by hand (STATIC), from RAs (RA: default routes, RFC 4191
 * routes) and from redirects (REDIRECT). Keyed by zone for scoped prefixes (RFC 4007).
 * Implementation: ip6/route6.c. The fast multibit FIB is issue 4; this one is plain.
 */
#ifndef UMK_IP6_ROUTE6_H
#define UMK_IP6_ROUTE6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <umikame/mgmt.h>

struct umk_stack;
struct umk_if;

struct rt6_entry {
	struct in6_addr dst;
	uint8_t plen;
	struct in6_addr gateway;      /* all zero: on-link */
	int ifindex;
	uint32_t metric;
	uint8_t proto;                /* enum umk_route_proto */
	int8_t pref;                  /* RFC 4191: -1, 0, 1 */
	umk_time_t expires;           /* absolute, 0 = never */
};

struct rt6_nexthop {
	struct umk_if *ifp;
	struct in6_addr addr;         /* the gateway, or the destination itself when on-link */
	bool on_link;
};

/* Adds a route, or refreshes one with the same dst/plen/gateway/ifindex/proto (lifetime,
 * metric, pref). 0, -ENOSPC (table full, counted), -EINVAL. */
int rt6_add(struct umk_stack *s, const struct rt6_entry *r);
/* Deletes matching routes; gateway NULL / ifindex 0 / proto 0 match any. 0 or -ENOENT. */
int rt6_del(struct umk_stack *s, const struct in6_addr *dst, unsigned plen,
	    const struct in6_addr *gateway, int ifindex, int proto);
/* Longest match for dst; among equal matches the lowest metric, then (default routers,
 * RFC 4861 6.3.6) one whose gateway is not known unreachable. zone: for scoped dst.
 * oif: restrict to one interface (0 any). 0 or -ENETUNREACH. */
int rt6_lookup(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif,
	       struct rt6_nexthop *nh);
/* Removes every route of ifindex (proto 0: all protos). */
void rt6_flush_if(struct umk_stack *s, int ifindex, int proto);

/* The table's state, made by ip6_init. */
int rt6_init(struct umk_stack *s);
void rt6_fini(struct umk_stack *s);

#endif
