/*
 * nd6.h - Neighbor Discovery for hosts (RFC 4861): the neighbor cache with NUD and queueing
 * (ip6/nd6.c), router and prefix discovery, router solicitation and Redirect (ip6/rd6.c).
 * Wire formats: wire/nd.c.
 */
#ifndef UMK_IP6_ND6_H
#define UMK_IP6_ND6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct umk_stack;
struct umk_pkt;
struct umk_if;
struct ip6_rx;

int nd6_init(struct umk_stack *s);
void nd6_fini(struct umk_stack *s);
void nd6_if_attach(struct umk_stack *s, struct umk_if *ifp);
void nd6_if_detach(struct umk_stack *s, struct umk_if *ifp);
/* Interface came up: start router solicitations (RFC 4861 6.3.7). */
void nd6_if_up(struct umk_stack *s, struct umk_if *ifp);
void nd6_if_down(struct umk_stack *s, struct umk_if *ifp);

/* RS, RA, NS, NA and Redirect (types 133..137), checksum already verified by icmp6.
 * pkt->data at the ICMPv6 header. Consumes pkt. */
void nd6_input(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx);

/* Sends pkt (pkt->data at its IPv6 header) to the on-link neighbor `nexthop` out of ifp:
 * resolves the link-layer address, queueing while INCOMPLETE (RFC 4861 7.2.2), and NUD
 * (7.3.3). Consumes pkt. 0 or a negative errno. */
int nd6_output(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *nexthop,
	       struct umk_pkt *pkt);

/* Sends a Neighbor Solicitation for target. dad: source :: and no SLLAO (RFC 4862 5.4.2),
 * to the solicited-node group; nonce (6 bytes, RFC 7527) may be NULL. */
int nd6_ns_send(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *target,
		bool dad, const uint8_t *nonce);
/* Sends an unsolicited all-nodes NA for one of our addresses (RFC 4861 7.2.6). */
int nd6_na_send_unsolicited(struct umk_stack *s, struct umk_if *ifp,
			    const struct in6_addr *target);

/* Upper-layer reachability confirmation (RFC 4861 7.3.1). */
void nd6_confirm(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *addr);
/* False only when the neighbor is known not to be reachable (INCOMPLETE that failed, or
 * PROBE exhausted): for default router selection (RFC 4861 6.3.6). */
bool nd6_probably_reachable(struct umk_stack *s, struct umk_if *ifp,
			    const struct in6_addr *addr);

/* The link-layer address of a neighbor whose entry has one (Redirect TLLAO, RFC 4861
 * 8.2). False when unknown. */
bool nd6_lladdr(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *addr,
		uint8_t lladdr[6]);

/* The default router list of ifp (RFC 4861 6.3.4), for display and tests. */
struct nd6_router_info {
	struct in6_addr addr;
	int pref;                     /* RFC 4191: -1, 0, 1 */
	uint32_t lifetime;            /* seconds left */
};
int nd6_router_list(struct umk_stack *s, struct umk_if *ifp,
		    int (*cb)(void *ctx, const struct nd6_router_info *), void *ctx);

/* RFC 8106 DNS configuration learned from RAs on ifp: RDNSS servers and DNSSL domains. */
struct nd6_dns_info {
	bool domain;                  /* false: RDNSS server `addr`; true: DNSSL `name` */
	struct in6_addr addr;
	const char *name;
	struct in6_addr router;       /* who advertised it */
	uint32_t lifetime;            /* seconds left, UINT32_MAX infinite */
};
int nd6_dns_list(struct umk_stack *s, struct umk_if *ifp,
		 int (*cb)(void *ctx, const struct nd6_dns_info *), void *ctx);

#endif
