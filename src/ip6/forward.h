/*
 * forward.h - IPv6 forwarding for a router (RFC 8200, RFC 4443 2.4 and 3, RFC 4861 8.2,
 * RFC 4007 9): what ip6_input hands over when a packet is not for us and the receiving
 * interface forwards. Implementation: ip6/forward.c; routes from ip6/route6.c.
 */
#ifndef UMK_IP6_FORWARD_H
#define UMK_IP6_FORWARD_H

#include <stdbool.h>

struct umk_stack;
struct umk_if;
struct umk_pkt;

/* pkt->data and pkt->net_off at the IPv6 header (already validated by ip6_input: version,
 * payload length, trimmed to it; source neither multicast nor loopback), received on ifp,
 * which has forwarding on. Forwards it, answers with an ICMPv6 error, or drops it, counting
 * each outcome. Consumes pkt. */
void ip6_forward(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt);

/* RFC 8200 4.3: the Hop-by-Hop options of a packet in transit (pkt as for ip6_forward, its
 * first header a Hop-by-Hop header), run by their types' action bits as for our own
 * packets (4.2). true: forward it; false: it was consumed (dropped, or answered with
 * Parameter Problem), counted. In ip6/input.c, beside the option table. */
bool ip6_hbh_forward(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt);

/* RFC 4291 2.6.1: is dst the Subnet-Router anycast address (prefix, then zeros) of a prefix
 * of a forwarding interface's address? A scoped dst only counts on ifp. In ip6/input.c,
 * which accepts packets to it; ip6/nd6.c answers NSs for it. */
struct in6_addr;
bool ip6_subnet_router_anycast(struct umk_stack *s, struct umk_if *ifp,
			       const struct in6_addr *dst);

int fwd_init(struct umk_stack *s);
void fwd_fini(struct umk_stack *s);

#endif
