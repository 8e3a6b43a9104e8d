/*
 * ip4/addr4.c - IPv4 addresses on interfaces and IPv4 routes (mgmt.h umk_addr4_*,
 * umk_route4_*). An address brings its connected route (proto kernel), as on Linux.
 *
 * Routes are kept in the one FIB (ip6/route6.c) under IPv4-mapped prefixes (RFC 4291
 * 2.5.5.2), ::ffff:0:0/96 + the IPv4 prefix: one table, one longest-match lookup, one
 * limit (max_routes) and `umk route show` for both families. The FIB never holds a mapped
 * prefix for IPv6 use, and a lookup for IPv4 refuses a match shorter than /96 (which would
 * be an IPv6 route such as ::/0).
 */
#include <errno.h>
#include <stdlib.h>

#include "ip4/ip4_int.h"
#include "ip6/route6.h"

static bool valid_unicast(uint32_t a)
{
	/* RFC 1122 3.2.1.3 / RFC 6890: not 0/8, 127/8, class D/E or broadcast */
	uint8_t hi = (uint8_t)(a >> 24);
	return hi != 0 && hi != 127 && hi < 224;
}

struct umk_if *ip4_addr_owner(struct umk_stack *s, uint32_t addr)
{
	for (struct ip4_ifaddr *ia = s->ip4->addrs; ia; ia = ia->next)
		if (ia->addr == addr)
			return if_get(s, ia->ifindex);
	return NULL;
}

bool ip4_addr_source(struct umk_stack *s, const struct umk_if *ifp, uint32_t dst,
		     uint32_t *src)
{
	bool found = false;
	for (struct ip4_ifaddr *ia = s->ip4->addrs; ia; ia = ia->next) {
		if (ia->ifindex != ifp->index)
			continue;
		if (((ia->addr ^ dst) & ip4_mask(ia->plen)) == 0) {
			*src = ia->addr;
			return true;
		}
		if (!found) {
			*src = ia->addr;
			found = true;
		}
	}
	return found;
}

bool ip4_is_subnet_bcast(struct umk_stack *s, const struct umk_if *ifp, uint32_t dst)
{
	for (struct ip4_ifaddr *ia = s->ip4->addrs; ia; ia = ia->next)
		if (ia->ifindex == ifp->index && ia->plen < 31 &&
		    ((ia->addr ^ dst) & ip4_mask(ia->plen)) == 0 &&
		    (dst | ip4_mask(ia->plen)) == UINT32_MAX)
			return true;
	return false;
}

int ip4_route_lookup(struct umk_stack *s, uint32_t dst, struct umk_if **ifp,
		     uint32_t *nexthop, uint8_t *type)
{
	struct in6_addr m;
	struct rt6_nexthop nh;
	ip4_mapped(dst, &m);
	if (rt6_lookup(s, &m, 0, 0, &nh) || nh.plen < 96)
		return -ENETUNREACH;
	*ifp = nh.ifp;
	*nexthop = ip4_from_mapped(&nh.addr);
	*type = nh.type;
	return 0;
}

static void connected_route(struct umk_stack *s, const struct ip4_ifaddr *ia, bool add)
{
	struct rt6_entry e = { .plen = (uint8_t)(96 + ia->plen), .ifindex = ia->ifindex,
			       .proto = UMK_RTPROTO_KERNEL };
	ip4_mapped(ia->addr & ip4_mask(ia->plen), &e.dst);
	if (add)
		rt6_add(s, &e);
	else
		rt6_del(s, &e.dst, e.plen, NULL, ia->ifindex, UMK_RTPROTO_KERNEL);
}

/* A umk_stack_open() handle has no ip4 state: the management calls are the daemon's. */
#define NEED_IP4(s)                         \
	do {                                \
		if (!(s)->ip4)              \
			return -EOPNOTSUPP; \
	} while (0)

int umk_addr4_add(struct umk_stack *s, int ifindex, const struct in_addr *addr,
		  unsigned prefixlen)
{
	NEED_IP4(s);
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp)
		return -ENODEV;
	uint32_t a = ntohl(addr->s_addr);
	if (prefixlen > 32 || !valid_unicast(a))
		return -EINVAL;
	/* a host part of all zeros or all ones names the subnet or its broadcast
	 * (RFC 1122 3.2.1.3), except on /31 point-to-point links (RFC 3021) */
	if (prefixlen < 31 && ((a & ~ip4_mask(prefixlen)) == 0 ||
			       (a | ip4_mask(prefixlen)) == UINT32_MAX))
		return -EINVAL;
	if (ip4_addr_owner(s, a))
		return -EEXIST;
	uint32_t n = 0;
	for (struct ip4_ifaddr *ia = s->ip4->addrs; ia; ia = ia->next)
		n += ia->ifindex == ifindex;
	if (n >= s->limits.max_addrs)
		return -ENOSPC;
	struct ip4_ifaddr *ia = calloc(1, sizeof(*ia));
	if (!ia)
		return -ENOMEM;
	ia->ifindex = ifindex;
	ia->addr = a;
	ia->plen = (uint8_t)prefixlen;
	/* appended, so the first address added stays the interface's primary source */
	struct ip4_ifaddr **pp = &s->ip4->addrs;
	while (*pp)
		pp = &(*pp)->next;
	*pp = ia;
	connected_route(s, ia, true);
	return 0;
}

int umk_addr4_del(struct umk_stack *s, int ifindex, const struct in_addr *addr,
		  unsigned prefixlen)
{
	NEED_IP4(s);
	if (!if_get(s, ifindex))
		return -ENODEV;
	uint32_t a = ntohl(addr->s_addr);
	for (struct ip4_ifaddr **pp = &s->ip4->addrs; *pp; pp = &(*pp)->next) {
		struct ip4_ifaddr *ia = *pp;
		if (ia->ifindex != ifindex || ia->addr != a || ia->plen != prefixlen)
			continue;
		*pp = ia->next;
		/* another address on the same subnet keeps the connected route */
		bool shared = false;
		for (struct ip4_ifaddr *o = s->ip4->addrs; o; o = o->next)
			shared |= o->ifindex == ifindex && o->plen == ia->plen &&
				  ((o->addr ^ ia->addr) & ip4_mask(ia->plen)) == 0;
		if (!shared)
			connected_route(s, ia, false);
		free(ia);
		return 0;
	}
	return -ENOENT;
}

int umk_addr4_list(struct umk_stack *s, int ifindex,
		   int (*cb)(void *ctx, const struct umk_addr4_info *), void *ctx)
{
	NEED_IP4(s);
	if (ifindex && !if_get(s, ifindex))
		return -ENODEV;
	for (struct ip4_ifaddr *ia = s->ip4->addrs; ia; ia = ia->next) {
		if (ifindex && ia->ifindex != ifindex)
			continue;
		struct umk_addr4_info ai = { .ifindex = ia->ifindex, .prefixlen = ia->plen };
		ai.addr.s_addr = htonl(ia->addr);
		int r = cb(ctx, &ai);
		if (r)
			return r;
	}
	return 0;
}

int umk_route4_add(struct umk_stack *s, const struct in_addr *dst, unsigned prefixlen,
		   const struct in_addr *gateway, int ifindex, uint32_t metric)
{
	NEED_IP4(s);
	if (!dst || prefixlen > 32)
		return -EINVAL;
	uint32_t d = ntohl(dst->s_addr), gw = gateway ? ntohl(gateway->s_addr) : 0;
	if (d & ~ip4_mask(prefixlen))
		return -EINVAL;
	if (ifindex && !if_get(s, ifindex))
		return -ENODEV;
	if (gw) {
		if (!valid_unicast(gw))
			return -EINVAL;
		/* the gateway must be on a connected subnet (of dev, when given) */
		struct in6_addr m;
		struct rt6_nexthop n6;
		ip4_mapped(gw, &m);
		if (rt6_lookup(s, &m, 0, ifindex, &n6) || !n6.on_link || n6.plen < 96)
			return -ENETUNREACH;
		ifindex = n6.ifp->index;
	} else if (!ifindex) {
		return -EINVAL;
	}
	struct in6_addr m_dst, m_gw;
	ip4_mapped(d, &m_dst);
	ip4_mapped(gw, &m_gw);
	return umk_route_add(s, &m_dst, 96 + prefixlen, gw ? &m_gw : NULL, ifindex, metric);
}

int umk_route4_del(struct umk_stack *s, const struct in_addr *dst, unsigned prefixlen,
		   const struct in_addr *gateway, int ifindex)
{
	NEED_IP4(s);
	if (!dst || prefixlen > 32)
		return -EINVAL;
	struct in6_addr m_dst, m_gw;
	ip4_mapped(ntohl(dst->s_addr), &m_dst);
	if (gateway && gateway->s_addr)
		ip4_mapped(ntohl(gateway->s_addr), &m_gw);
	return umk_route_del(s, &m_dst, 96 + prefixlen,
			     gateway && gateway->s_addr ? &m_gw : NULL, ifindex);
}

int ip4_init(struct umk_stack *s)
{
	s->ip4 = calloc(1, sizeof(*s->ip4));
	if (!s->ip4)
		return -ENOMEM;
	s->ip4->icmp_tokens = s->limits.icmp6_burst;
	s->ip4->icmp_refill = s->now;
	return 0;
}

void ip4_fini(struct umk_stack *s)
{
	if (!s->ip4)
		return;
	arp_fini(s);
	while (s->ip4->addrs) {
		struct ip4_ifaddr *ia = s->ip4->addrs;
		s->ip4->addrs = ia->next;
		free(ia);
	}
	free(s->ip4);
	s->ip4 = NULL;
}
