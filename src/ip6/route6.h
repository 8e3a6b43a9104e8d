/*
 * route6.h - the routing table (FIB) and next-hop lookup. Routes come from addresses and
 * on-link prefixes (proto KERNEL), by hand (STATIC), from RAs (RA: default routes, RFC 4191
 * routes) and from redirects (REDIRECT). Keyed by zone for scoped prefixes (RFC 4007).
 * Implementation: ip6/route6.c (routes grouped by prefix, looked up through the Poptrie FIB
 * of ip6/fib/fib6.h; ECMP among equal routes of a prefix by a flow hash).
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
	uint8_t type;                 /* RT6_UNICAST, RT6_REJECT, RT6_BLACKHOLE */
};

/* Route types: a reject route answers Destination Unreachable code 1 (administratively
 * prohibited, RFC 4443 3.1) to what it matches; a blackhole drops silently (counted). */
#define RT6_UNICAST   0
#define RT6_REJECT    1
#define RT6_BLACKHOLE 2

struct rt6_nexthop {
	struct umk_if *ifp;
	struct in6_addr addr;         /* the gateway, or the destination itself when on-link */
	bool on_link;
	uint8_t type;                 /* RT6_* of the route that matched */
	uint8_t plen;                 /* its prefix length */
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
/* rt6_lookup for a flow: among equal-cost routes (ECMP) the one chosen by a hash of src
 * (may be NULL), dst and the flow label (RFC 6438), stable for a flow. */
int rt6_lookup_flow(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif,
		    const struct in6_addr *src, uint32_t flowlabel, struct rt6_nexthop *nh);
/* Removes every route of ifindex (proto 0: all protos). */
void rt6_flush_if(struct umk_stack *s, int ifindex, int proto);

/* The table's state, made by ip6_init. */
int rt6_init(struct umk_stack *s);
void rt6_fini(struct umk_stack *s);

#endif
