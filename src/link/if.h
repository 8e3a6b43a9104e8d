/*
 * if.h - interfaces: the stack's view of a link (name, Ethernet address, MTU, driver), its
 * per-interface IPv6 settings, and the per-protocol state hung off it by each module.
 * Neighbours: link/eth.c frames in and out; ip6/conf.c names the settings for `umk conf`.
 */
#ifndef UMK_LINK_IF_H
#define UMK_LINK_IF_H

#include <stdbool.h>
#include <stdint.h>
#include <umikame/umikame.h>

struct umk_stack;
struct nd6_ifinfo;
struct in6_ifaddr;
struct mld_ifinfo;
struct addrconf_ifinfo;

#define UMK_MAX_IFS 64

/*
 * Per-interface IPv6 settings. Defaults are the RFC constants; an RA may change the ones it
 * carries (RFC 4861 6.3.4). Times in milliseconds unless the name says seconds (_lft).
 */
struct ip6_ifconf {
	int32_t accept_ra;                 /* process RAs (RFC 4861 6.3.4) */
	int32_t accept_redirects;          /* process Redirects (RFC 4861 8.3) */
	int32_t autoconf;                  /* SLAAC from prefixes with A=1 (RFC 4862 5.5.3) */
	int32_t forwarding;                /* 0: host */
	int32_t hop_limit;                 /* CurHopLimit; RFC 8200/IANA default 64 */
	int32_t mtu;                       /* LinkMTU in use, 1280..device MTU */
	int32_t dad_transmits;             /* DupAddrDetectTransmits, RFC 4862 5.1: 1 */
	int32_t base_reachable_time;       /* BaseReachableTime, RFC 4861 10: 30000 */
	int32_t retrans_time;              /* RetransTimer, RFC 4861 10: 1000 */
	int32_t delay_first_probe_time;    /* DELAY_FIRST_PROBE_TIME, RFC 4861 10: 5000 */
	int32_t max_multicast_solicit;     /* MAX_MULTICAST_SOLICIT: 3 */
	int32_t max_unicast_solicit;       /* MAX_UNICAST_SOLICIT: 3 */
	int32_t rtr_solicitations;         /* MAX_RTR_SOLICITATIONS: 3 */
	int32_t rtr_solicitation_interval; /* RTR_SOLICITATION_INTERVAL: 4000 */
	int32_t rtr_solicitation_delay;    /* MAX_RTR_SOLICITATION_DELAY: 1000 */
	int32_t use_tempaddr;              /* RFC 8981: 0 off, 1 make, 2 make and prefer */
	int32_t temp_valid_lft;            /* TEMP_VALID_LIFETIME, s: 2 days */
	int32_t temp_preferred_lft;        /* TEMP_PREFERRED_LIFETIME, s: 1 day */
	int32_t max_desync_factor;         /* MAX_DESYNC_FACTOR, s: 0.4 * preferred (RFC 8981 3.8) */
	int32_t regen_advance;             /* REGEN_ADVANCE, s */
	int32_t addr_gen_mode;             /* 0: RFC 7217 stable-privacy, 1: EUI-64 */
	int32_t idgen_retries;             /* RFC 7217 IDGEN_RETRIES: 3 */
	int32_t force_mld_version;         /* 0: follow the querier, 1: MLDv1, 2: MLDv2 */
	int32_t mld_unsolicited_report_interval; /* RFC 3810 9.11: 1000 */
	int32_t mld_robustness;            /* RFC 3810 9.1: 2 */
	int32_t send_redirects;            /* a router sends Redirects (RFC 4861 8.2): 1 */
	int32_t hbh_forward_process;       /* a router runs forwarded packets' Hop-by-Hop
					      options (RFC 8200 4.3, "only if explicitly
					      configured"): 0 */
};

#define UMK_IF_UP 0x01

struct umk_if {
	int index;
	char name[UMK_IFNAMSIZ];
	uint8_t lladdr[6];
	uint32_t device_mtu;               /* what the driver said; conf.mtu <= this */
	unsigned flags;                    /* UMK_IF_* */
	unsigned offloads;                 /* UMK_OFFLOAD_*: what the driver's other side does */
	const struct umk_link_ops *ops;
	void *ctx;
	struct ip6_ifconf conf;

	/* owned by their modules (see each module's header) */
	struct nd6_ifinfo *nd;             /* ip6/nd6.c, ip6/rd6.c */
	struct in6_ifaddr *addrs;          /* ip6/addrconf.c: this interface's addresses */
	struct addrconf_ifinfo *ac;        /* ip6/addrconf.c */
	struct mld_ifinfo *mld;            /* ip6/mld6.c */
};

void ip6_ifconf_defaults(struct ip6_ifconf *c, uint32_t mtu);
struct umk_if *if_get(struct umk_stack *s, int ifindex);
struct umk_if *if_by_name(struct umk_stack *s, const char *name);
/* Iterate: for (ifp = if_first(s); ifp; ifp = if_next(s, ifp)) */
struct umk_if *if_first(struct umk_stack *s);
struct umk_if *if_next(struct umk_stack *s, struct umk_if *ifp);

#endif
