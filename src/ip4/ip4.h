/*
 * ip4/ip4.h - the IPv4 umikame needs (DESIGN.md "ip4/"): addresses on interfaces, ARP
 * (RFC 826), input with ICMP echo (RFC 791, RFC 792), and forwarding over connected and
 * static routes (RFC 1812 subset) with ICMP Time Exceeded and Fragmentation Needed
 * (RFC 1191). No IPv4 host stack (no sockets, no reassembly): IPv4 is routed, answered to
 * ping, and carried in IPv6 ESP tunnels (ipsec/). Files:
 *   ip4/addr4.c  addresses and routes (management, mgmt.h umk_addr4_* / umk_route4_*)
 *   ip4/arp.c    ARP cache, resolution with a small queue per entry, answering requests
 *   ip4/input.c  input checks, local delivery (ICMP), forwarding, ICMP errors, output
 *
 * Routes live in the IPv6 FIB (ip6/route6.h) as IPv4-mapped prefixes ::ffff:0:0/96
 * (RFC 4291 2.5.5.2): plen 96 + the IPv4 prefix length. A lookup that matches a shorter
 * prefix (an IPv6 route such as ::/0) is not an IPv4 route.
 */
#ifndef UMK_IP4_IP4_H
#define UMK_IP4_IP4_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct umk_stack;
struct umk_if;
struct umk_pkt;

/* RFC 4291 2.5.5.2: ::ffff:a.b.c.d; addr host order. */
static inline void ip4_mapped(uint32_t addr, struct in6_addr *m)
{
	memset(m, 0, sizeof(*m));
	m->s6_addr[10] = m->s6_addr[11] = 0xff;
	m->s6_addr[12] = (uint8_t)(addr >> 24);
	m->s6_addr[13] = (uint8_t)(addr >> 16);
	m->s6_addr[14] = (uint8_t)(addr >> 8);
	m->s6_addr[15] = (uint8_t)addr;
}
static inline uint32_t ip4_from_mapped(const struct in6_addr *m)
{
	return (uint32_t)m->s6_addr[12] << 24 | (uint32_t)m->s6_addr[13] << 16 |
	       (uint32_t)m->s6_addr[14] << 8 | m->s6_addr[15];
}
static inline uint32_t ip4_mask(unsigned plen)
{
	return plen ? ~(uint32_t)0 << (32 - plen) : 0;
}

int ip4_init(struct umk_stack *s);
void ip4_fini(struct umk_stack *s);

/* A received IPv4 datagram, pkt->data at its header. Consumes pkt. */
void ip4_input(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt);
/* A received ARP packet, pkt->data at the ARP header. Consumes pkt. */
void arp_input(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt);

/* Forwards an IPv4 datagram (pkt->data at its header, header already checked) that came in
 * on in (NULL: out of a tunnel): TTL, route, MTU, ARP. Consumes pkt. */
void ip4_forward(struct umk_stack *s, struct umk_if *in, struct umk_pkt *pkt);
/* Sends an ICMP error about the datagram in pkt (data at its IPv4 header) that came in on
 * `in` (may be NULL); applies RFC 1812 4.3.2.7's "never about" rules and the rate limit.
 * Does not consume pkt. (ip4/input.c; ipsec/gateway4.c uses it for tunnel PMTU.) */
void icmp4_error(struct umk_stack *s, struct umk_if *in, const struct umk_pkt *pkt,
		 uint8_t type, uint8_t code, uint16_t mtu);
/* Sends pkt (data at the IPv4 header) to the on-link nexthop out of ifp through ARP.
 * Consumes pkt. 0 or a negative errno. */
int arp_output(struct umk_stack *s, struct umk_if *ifp, uint32_t nexthop, struct umk_pkt *pkt);

/* ---- addresses (ip4/addr4.c) ---- */

/* The interface with `addr` among its addresses, or NULL. */
struct umk_if *ip4_addr_owner(struct umk_stack *s, uint32_t addr);
/* An address of ifp to source from (the first one on dst's subnet, else the first one).
 * false when ifp has none. */
bool ip4_addr_source(struct umk_stack *s, const struct umk_if *ifp, uint32_t dst,
		     uint32_t *src);
/* Whether dst is the directed broadcast of a subnet of ifp (RFC 919/922). */
bool ip4_is_subnet_bcast(struct umk_stack *s, const struct umk_if *ifp, uint32_t dst);

/* The next hop toward dst: 0 and *ifp, *nexthop (the gateway, or dst when on-link),
 * *type (RT6_* of the route); -ENETUNREACH without an IPv4 route. */
int ip4_route_lookup(struct umk_stack *s, uint32_t dst, struct umk_if **ifp,
		     uint32_t *nexthop, uint8_t *type);

#endif
