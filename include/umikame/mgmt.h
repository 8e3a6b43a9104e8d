/*
 * mgmt.h - management of a stack: links, addresses, routes, neighbors, settings, counters and
 * ICMPv6 echo. umikamed serves all but echo over its control socket; `umk` prints them
 * (`umk ping` sends its echoes over a raw ICMPv6 socket, <umikame/socket.h>).
 *
 * List functions call `cb` once per item; a non-zero return from cb stops the walk and is
 * returned. Other functions return 0 or a negative errno (-EINVAL bad argument, -ENODEV no
 * such interface, -ENOENT no such entry, -EEXIST already there, -ENOSPC a table is full).
 */
#ifndef UMIKAME_MGMT_H
#define UMIKAME_MGMT_H

#include <netinet/in.h>
#include <umikame/umikame.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UMK_LIFETIME_INFINITE UINT32_MAX

/* ---- links ----------------------------------------------------------------------------- */

#define UMK_LINK_F_UP        0x01
#define UMK_LINK_F_MULTICAST 0x02
#define UMK_LINK_F_RUNNING   0x04

struct umk_link_info {
	int ifindex;
	char name[UMK_IFNAMSIZ];
	uint8_t lladdr[6];
	uint32_t mtu;                 /* MTU in use (may have been set by an RA) */
	unsigned flags;               /* UMK_LINK_F_* */
};
UMK_API int umk_link_list(struct umk_stack *s,
			  int (*cb)(void *ctx, const struct umk_link_info *), void *ctx);

/* ---- addresses ------------------------------------------------------------------------- */

#define UMK_ADDR_F_TENTATIVE  0x01
#define UMK_ADDR_F_DEPRECATED 0x02
#define UMK_ADDR_F_DADFAILED  0x04
#define UMK_ADDR_F_TEMPORARY  0x08
#define UMK_ADDR_F_AUTOCONF   0x10
#define UMK_ADDR_F_PERMANENT  0x20 /* configured by hand */
#define UMK_ADDR_F_OPTIMISTIC 0x40

enum umk_scope { UMK_SCOPE_HOST = 1, UMK_SCOPE_LINK = 2, UMK_SCOPE_SITE = 5, UMK_SCOPE_GLOBAL = 14 };

struct umk_addr_info {
	int ifindex;
	struct in6_addr addr;
	uint8_t prefixlen;
	uint8_t scope;                /* enum umk_scope (RFC 4007 scope values) */
	unsigned flags;               /* UMK_ADDR_F_* */
	uint32_t valid_lft;           /* seconds left, or UMK_LIFETIME_INFINITE */
	uint32_t preferred_lft;
};
/* ifindex 0 lists every interface. */
UMK_API int umk_addr_list(struct umk_stack *s, int ifindex,
			  int (*cb)(void *ctx, const struct umk_addr_info *), void *ctx);
/* Adds a manual (permanent) address; it goes through DAD like any other. */
UMK_API int umk_addr_add(struct umk_stack *s, int ifindex, const struct in6_addr *addr,
			 unsigned prefixlen);
UMK_API int umk_addr_del(struct umk_stack *s, int ifindex, const struct in6_addr *addr,
			 unsigned prefixlen);

/*
 * IPv4 addresses (ip4/): addr in network byte order, prefixlen 0..32. Each brings its
 * connected route. -EINVAL for an address that is not unicast or is its subnet's network
 * or broadcast address.
 */
struct umk_addr4_info {
	int ifindex;
	struct in_addr addr;
	uint8_t prefixlen;
};
UMK_API int umk_addr4_list(struct umk_stack *s, int ifindex,
			   int (*cb)(void *ctx, const struct umk_addr4_info *), void *ctx);
UMK_API int umk_addr4_add(struct umk_stack *s, int ifindex, const struct in_addr *addr,
			  unsigned prefixlen);
UMK_API int umk_addr4_del(struct umk_stack *s, int ifindex, const struct in_addr *addr,
			  unsigned prefixlen);

/* ---- routes ---------------------------------------------------------------------------- */

enum umk_route_proto {
	UMK_RTPROTO_KERNEL = 1,       /* connected: from an address or on-link prefix */
	UMK_RTPROTO_STATIC = 2,       /* added by hand */
	UMK_RTPROTO_RA = 3,           /* learned from a router advertisement */
	UMK_RTPROTO_REDIRECT = 4,     /* learned from a redirect (RFC 4861 8.3) */
};

struct umk_route_info {
	struct in6_addr dst;
	uint8_t prefixlen;
	struct in6_addr gateway;      /* all zero: directly connected */
	int ifindex;
	uint32_t metric;
	uint8_t proto;                /* enum umk_route_proto */
	int8_t pref;                  /* RFC 4191 preference: -1 low, 0 medium, 1 high */
	uint32_t expires;             /* seconds left, or 0 when it does not expire */
	uint8_t rt_type;              /* 0 unicast, 1 reject, 2 blackhole (umk_route_add_type) */
};
UMK_API int umk_route_list(struct umk_stack *s,
			   int (*cb)(void *ctx, const struct umk_route_info *), void *ctx);
/* Static routes. gateway NULL or all zero: on-link. ifindex 0: found from the gateway. */
UMK_API int umk_route_add(struct umk_stack *s, const struct in6_addr *dst, unsigned prefixlen,
			  const struct in6_addr *gateway, int ifindex, uint32_t metric);
UMK_API int umk_route_del(struct umk_stack *s, const struct in6_addr *dst, unsigned prefixlen,
			  const struct in6_addr *gateway, int ifindex);
/*
 * IPv4 routes. They share the table with IPv6 and umk_route_list shows them IPv4-mapped
 * (RFC 4291 2.5.5.2: ::ffff:a.b.c.d, prefixlen 96 + the IPv4 length). gateway NULL or
 * 0.0.0.0: on-link out of ifindex; otherwise it must be on a connected IPv4 subnet
 * (-ENETUNREACH) and ifindex 0 means the gateway's interface.
 */
UMK_API int umk_route4_add(struct umk_stack *s, const struct in_addr *dst, unsigned prefixlen,
			   const struct in_addr *gateway, int ifindex, uint32_t metric);
UMK_API int umk_route4_del(struct umk_stack *s, const struct in_addr *dst, unsigned prefixlen,
			   const struct in_addr *gateway, int ifindex);

/* ---- neighbors (RFC 4861 section 7.3.2 states) ----------------------------------------- */

enum umk_nud_state {
	UMK_NUD_INCOMPLETE = 1, UMK_NUD_REACHABLE, UMK_NUD_STALE, UMK_NUD_DELAY, UMK_NUD_PROBE,
	UMK_NUD_PERMANENT,
};

struct umk_neigh_info {
	int ifindex;
	struct in6_addr addr;
	uint8_t lladdr[6];
	bool has_lladdr;
	uint8_t state;                /* enum umk_nud_state */
	bool router;                  /* IsRouter flag */
};
UMK_API int umk_neigh_list(struct umk_stack *s,
			   int (*cb)(void *ctx, const struct umk_neigh_info *), void *ctx);
/* A PERMANENT entry (like `ip -6 neigh add ... nud permanent`). */
UMK_API int umk_neigh_add(struct umk_stack *s, int ifindex, const struct in6_addr *addr,
			  const uint8_t lladdr[6], bool router);
UMK_API int umk_neigh_del(struct umk_stack *s, int ifindex, const struct in6_addr *addr);
/* ARP entries (ip4/arp.c): addr in network byte order; state INCOMPLETE, REACHABLE, STALE
 * (trusted time over, revalidated at next use) or PROBE (being revalidated). */
struct umk_arp_info {
	int ifindex;
	struct in_addr addr;
	uint8_t lladdr[6];
	bool has_lladdr;
	uint8_t state;                /* enum umk_nud_state */
};
UMK_API int umk_arp_list(struct umk_stack *s,
			 int (*cb)(void *ctx, const struct umk_arp_info *), void *ctx);
/* Removes every non-permanent entry of ifindex (0: all interfaces). */
UMK_API int umk_neigh_flush(struct umk_stack *s, int ifindex);

/* ---- settings -------------------------------------------------------------------------- */

/*
 * Per-interface settings by name (accept_ra, hop_limit, mtu, dad_transmits,
 * base_reachable_time, retrans_time, use_tempaddr, rtr_solicitations, ...); ifindex 0 names
 * the stack-wide limits (max_neighbors, ...). umk_conf_list walks them with their values.
 */
UMK_API int umk_conf_get(struct umk_stack *s, int ifindex, const char *key, int64_t *value);
UMK_API int umk_conf_set(struct umk_stack *s, int ifindex, const char *key, int64_t value);
UMK_API int umk_conf_list(struct umk_stack *s, int ifindex,
			  int (*cb)(void *ctx, const char *key, int64_t value, const char *unit),
			  void *ctx);

/* ---- counters -------------------------------------------------------------------------- */

/* Walks every counter: group ("ip6", "icmp6", "nd6", ...), name, value. Zero counters too. */
UMK_API int umk_stats_list(struct umk_stack *s,
			   int (*cb)(void *ctx, const char *group, const char *name, uint64_t value),
			   void *ctx);

/* ---- ICMPv6 echo (for programs linking the stack; `umk ping` uses a raw socket) -------- */

struct umk_echo_event {
	int ifindex;                  /* where the answer arrived */
	struct in6_addr from;
	uint8_t icmp_type;            /* 129 echo reply, or the error's type */
	uint8_t icmp_code;
	uint16_t ident;
	uint16_t seq;
	uint8_t hlim;
	uint32_t len;                 /* ICMPv6 message length */
	bool truncated_or_bad;        /* reply payload did not match what was sent */
};

/*
 * Sends an echo request. zone: the interface for a scoped destination (RFC 4007), or 0.
 * oif: force the outgoing interface, or 0. size: bytes of payload after the 8-byte header;
 * the payload is a pattern the stack can check on return. hlim 0: the default.
 */
UMK_API int umk_echo_send(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif,
			  uint16_t ident, uint16_t seq, uint32_t size, int hlim);
/* Called for every echo reply, and every ICMPv6 error that quotes one of our echo requests. */
UMK_API void umk_echo_set_handler(struct umk_stack *s,
				  void (*cb)(void *ctx, const struct umk_echo_event *), void *ctx);

#ifdef __cplusplus
}
#endif
#endif
