/*
 * nd6_int.h - what ip6/nd6.c (neighbor cache, NUD, NS/NA) and ip6/rd6.c (router discovery,
 * prefix list, Redirect) share. Not for other modules: they use ip6/nd6.h.
 */
#ifndef UMK_IP6_ND6_INT_H
#define UMK_IP6_ND6_INT_H

#include "core/stack_int.h"
#include "ip6/nd6.h"
#include "wire/nd.h"

/* An entry that failed resolution or NUD: kept (without a link-layer address, not listed)
 * for a while so nd6_probably_reachable can say the neighbor is known unreachable
 * (RFC 4861 6.3.6). Outside the public enum umk_nud_state on purpose. */
#define ND6_FAILED 0x80

struct nd6_neigh {
	struct nd6_neigh *next;        /* hash chain */
	struct umk_if *ifp;
	struct in6_addr addr;
	uint8_t lladdr[ND_ETH_ADDR_LEN];
	bool has_lladdr;
	bool router;                   /* IsRouter (RFC 4861 7.3.1) */
	uint8_t state;                 /* enum umk_nud_state, or ND6_FAILED */
	uint8_t probes;                /* solicitations sent in INCOMPLETE or PROBE */
	umk_time_t changed;            /* when state last changed (eviction order) */
	struct in6_addr probe_src;     /* RFC 7.2.2: source of the packet that prompted NS */
	bool has_probe_src;
	struct umk_timer timer;
	struct umk_pkt *q_head, *q_tail; /* packets awaiting resolution (7.2.2) */
	uint32_t q_len;
};

struct nd6_state {
	struct nd6_neigh **tab;
	uint32_t mask;
	uint32_t count;
	/* RFC 4861 7.2.4: an NA answering an NS whose sender found no room in a full cache
	 * goes straight to the NS's SLLAO (set only while that NA is being sent) */
	bool direct_valid;
	struct in6_addr direct_addr;
	uint8_t direct_lladdr[6];
};

/* Default router list (RFC 4861 6.3.4, preference RFC 4191 2.2) */
struct rd6_router {
	struct rd6_router *next;
	struct in6_addr addr;
	int8_t pref;
	umk_time_t expires;
};

/* On-link prefixes (PIO with L=1) and RFC 4191 routes (router non-zero) */
struct rd6_prefix {
	struct rd6_prefix *next;
	struct in6_addr prefix;
	uint8_t plen;
	bool route_info;               /* from a Route Information option */
	struct in6_addr router;        /* RIO: the advertising router */
	int8_t pref;
	umk_time_t expires;            /* UMK_TIME_NEVER: infinite */
};

/* RFC 8106 RDNSS server or DNSSL domain */
struct rd6_dns {
	struct rd6_dns *next;
	bool domain;
	struct in6_addr addr;          /* RDNSS */
	char name[ND_DNS_NAME_MAX + 1];/* DNSSL */
	struct in6_addr router;
	umk_time_t expires;
};

struct nd6_ifinfo {
	struct umk_if *ifp;
	/* RFC 4861 6.3.2 ReachableTime, drawn from BaseReachableTime */
	uint32_t reachable_time;
	int32_t reachable_base;        /* the BaseReachableTime it was drawn from */
	umk_time_t reachable_drawn;
	/* RFC 4861 6.3.7 router solicitation */
	struct umk_timer rs_timer;
	int rs_sent;
	bool rs_done;
	/* lists, each bounded (s->limits, nd_const.h) */
	struct rd6_router *routers;
	uint32_t n_routers;
	struct rd6_prefix *prefixes;
	uint32_t n_prefixes, n_routes;
	struct rd6_dns *dns;
	uint32_t n_rdnss, n_dnssl;
	struct umk_timer expire_timer; /* the earliest expiry of the lists above */
};

/* nd6.c */
struct nd6_neigh *nd6_lookup(struct umk_stack *s, struct umk_if *ifp,
			     const struct in6_addr *addr);
/* A link-layer address learned from an SLLAO (NS 7.2.3, RA 6.3.4) or a TLLAO (Redirect
 * 8.3): creates a STALE entry, or updates one (STALE when the address changed, queued
 * packets sent when it was INCOMPLETE). router: 1 sets IsRouter, 0 leaves it (a new entry
 * starts as a host). NULL when the cache is full. */
struct nd6_neigh *nd6_learn(struct umk_stack *s, struct umk_if *ifp,
			    const struct in6_addr *addr, const uint8_t *lladdr, bool router);
uint32_t nd6_reachable_time(struct umk_stack *s, struct umk_if *ifp);
/* Sends an ND message built from m (hop limit 255, RFC 4861 6.1/7.1). */
int nd6_send(struct umk_stack *s, struct umk_if *ifp, const struct nd_msg *m,
	     const struct in6_addr *src, const struct in6_addr *dst, unsigned txflags);

/* rd6.c */
void rd6_if_attach(struct umk_stack *s, struct umk_if *ifp);
void rd6_if_detach(struct umk_stack *s, struct umk_if *ifp);
void rd6_if_up(struct umk_stack *s, struct umk_if *ifp);
void rd6_if_down(struct umk_stack *s, struct umk_if *ifp);
void rd6_rs_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
		  const struct nd_msg *m);
void rd6_ra_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
		  const struct nd_msg *m);
void rd6_redirect_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
			const struct nd_msg *m);
/* A router's IsRouter went from TRUE to FALSE (RFC 4861 7.2.5): off the default router
 * list. */
void rd6_router_gone(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *addr);

#endif
