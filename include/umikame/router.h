/*
 * router.h - the router role of an interface: what its Router Advertisements say (RFC 4861
 * 6.2.1 AdvSendAdvertisements and friends, RFC 4191 Route Information and preference,
 * RFC 8106 RDNSS and DNSSL), and what a host learned from other routers' RAs. An interface
 * advertises while it has a configuration here, `forwarding` is 1 and it is up; when it
 * stops it sends a final RA with Router Lifetime 0 (RFC 4861 6.2.5). `umk ra ...` drives it.
 */
#ifndef UMIKAME_ROUTER_H
#define UMIKAME_ROUTER_H

#include <netinet/in.h>
#include <umikame/umikame.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UMK_RA_MAX_PREFIXES 8
#define UMK_RA_MAX_ROUTES   8
#define UMK_RA_MAX_RDNSS    4
#define UMK_RA_MAX_DNSSL    4
#define UMK_RA_NAME_MAX     253     /* a dotted domain name without the final dot */
#define UMK_RA_DEFAULT      UINT32_MAX /* in a lifetime: derived from MaxRtrAdvInterval */

struct umk_ra_prefix {              /* Prefix Information, RFC 4861 4.6.2 */
	struct in6_addr prefix;
	uint8_t plen;
	bool on_link;                   /* L: AdvOnLinkFlag, default 1 */
	bool autonomous;                /* A: AdvAutonomousFlag, default 1 */
	uint32_t valid_lft;             /* s, default 2592000 (30 days); 0xffffffff infinite */
	uint32_t preferred_lft;         /* s, default 604800 (7 days) */
};

struct umk_ra_route {               /* Route Information, RFC 4191 2.3 */
	struct in6_addr prefix;
	uint8_t plen;
	int8_t pref;                    /* -1 low, 0 medium, 1 high */
	uint32_t lifetime;              /* s; UMK_RA_DEFAULT: the router lifetime */
};

struct umk_ra_config {
	uint32_t min_interval;          /* MinRtrAdvInterval, s: 3 .. 0.75 * max */
	uint32_t max_interval;          /* MaxRtrAdvInterval, s: 4 .. 1800, default 600 */
	uint32_t router_lifetime;       /* AdvDefaultLifetime, s: 0 or max .. 9000;
					   UMK_RA_DEFAULT = 3 * max_interval */
	uint32_t link_mtu;              /* AdvLinkMTU: 0 = no MTU option */
	bool managed;                   /* M: AdvManagedFlag */
	bool other;                     /* O: AdvOtherConfigFlag */
	int8_t pref;                    /* RFC 4191 2.2 Default Router Preference */
	uint8_t cur_hop_limit;          /* AdvCurHopLimit, default 64; 0 unspecified */
	uint32_t reachable_time;        /* AdvReachableTime, ms, 0 unspecified */
	uint32_t retrans_timer;         /* AdvRetransTimer, ms, 0 unspecified */
	unsigned n_prefix, n_route, n_rdnss, n_dnssl;
	struct umk_ra_prefix prefix[UMK_RA_MAX_PREFIXES];
	struct umk_ra_route route[UMK_RA_MAX_ROUTES];
	struct in6_addr rdnss[UMK_RA_MAX_RDNSS];
	char dnssl[UMK_RA_MAX_DNSSL][UMK_RA_NAME_MAX + 1];
	uint32_t dns_lifetime;          /* RDNSS/DNSSL Lifetime, s; UMK_RA_DEFAULT = 3 * max
					   (RFC 8106 5.1) */
	bool unicast_solicited;         /* RFC 4861 6.2.6: answer an RS from an address with
					   a unicast RA (default off: multicast answers) */
};

/* RFC 4861 6.2.1 defaults, no options. */
UMK_API void umk_ra_config_defaults(struct umk_ra_config *c);
/* Checks c against RFC 4861 6.2.1 (-EINVAL, -ERANGE) and makes it the RA configuration of
 * ifindex, replacing any other; advertising (re)starts with fast initial RAs (6.2.4). */
UMK_API int umk_ra_set(struct umk_stack *s, int ifindex, const struct umk_ra_config *c);
/* Stops advertising on ifindex (a final RA first, 6.2.5) and forgets its configuration. */
UMK_API int umk_ra_del(struct umk_stack *s, int ifindex);
/* The configuration of ifindex; -ENOENT when it has none. */
UMK_API int umk_ra_get(struct umk_stack *s, int ifindex, struct umk_ra_config *c);

struct umk_ra_status {
	int ifindex;
	bool configured;
	bool advertising;               /* configured, forwarding and up */
	uint32_t next_ra;               /* ms until the next RA, when advertising */
	uint64_t ras_sent, rs_received, inconsistent;
};
UMK_API int umk_ra_status(struct umk_stack *s, int ifindex, struct umk_ra_status *st);

/* What a host learned from RAs on an interface (RFC 4861 6.3.4, RFC 8106 5.3). */
enum umk_ra_learned_kind { UMK_RA_L_ROUTER = 1, UMK_RA_L_RDNSS, UMK_RA_L_DNSSL };
struct umk_ra_learned {
	int ifindex;
	int kind;                       /* enum umk_ra_learned_kind */
	struct in6_addr addr;           /* the router, or the RDNSS server */
	const char *name;               /* DNSSL domain */
	struct in6_addr router;         /* who advertised an RDNSS/DNSSL entry */
	int pref;                       /* a router's RFC 4191 preference */
	uint32_t lifetime;              /* seconds left, UINT32_MAX infinite */
};
/* ifindex 0: every interface. */
UMK_API int umk_ra_learned_list(struct umk_stack *s, int ifindex,
				int (*cb)(void *ctx, const struct umk_ra_learned *), void *ctx);

/* umk_route_add with a route type: 0 unicast, 1 reject (Destination Unreachable code 1,
 * administratively prohibited, to what it matches), 2 blackhole (dropped, counted). A reject
 * or blackhole route has no gateway; ifindex 0 puts it on the first interface. */
UMK_API int umk_route_add_type(struct umk_stack *s, const struct in6_addr *dst,
			       unsigned prefixlen, const struct in6_addr *gateway, int ifindex,
			       uint32_t metric, int type);

#ifdef __cplusplus
}
#endif

#endif
