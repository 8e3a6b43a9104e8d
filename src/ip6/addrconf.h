/*
 * addrconf.h - the addresses of each interface: link-local and SLAAC addresses (RFC 4862),
 * DAD, lifetimes and the two-hour rule, RFC 7217 stable interface identifiers, RFC 8981
 * temporary addresses, manual addresses. Implementation: ip6/addrconf.c.
 */
#ifndef UMK_IP6_ADDRCONF_H
#define UMK_IP6_ADDRCONF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <umikame/umikame.h>

struct umk_stack;
struct umk_if;

/* UMK_ADDR_F_* flags from <umikame/mgmt.h> */
struct in6_ifaddr {
	struct in6_ifaddr *next;          /* the interface's list (ifp->addrs) */
	struct umk_if *ifp;
	struct in6_addr addr;
	uint8_t plen;
	uint8_t scope;                    /* UMK_SCOPE_* */
	unsigned flags;                   /* UMK_ADDR_F_* */
	umk_time_t valid_until;           /* absolute; UMK_TIME_NEVER = infinite */
	umk_time_t preferred_until;
	umk_time_t created;
	/* private to addrconf.c from here */
	struct addrconf_priv *priv;
};

/* A Prefix Information option, host order (RFC 4861 4.6.2), as rd6.c hands it over. */
struct nd_prefix_info {
	struct in6_addr prefix;
	uint8_t plen;
	bool on_link;                     /* L */
	bool autonomous;                  /* A */
	uint32_t valid_lft;               /* seconds, 0xffffffff infinite */
	uint32_t preferred_lft;
};

int addrconf_init(struct umk_stack *s);
void addrconf_fini(struct umk_stack *s);
void addrconf_if_attach(struct umk_stack *s, struct umk_if *ifp);
void addrconf_if_detach(struct umk_stack *s, struct umk_if *ifp);
/* Link up: form the link-local address and start DAD (RFC 4862 5.3). */
void addrconf_if_up(struct umk_stack *s, struct umk_if *ifp);
void addrconf_if_down(struct umk_stack *s, struct umk_if *ifp);

/* Our address `a` on ifp (ifp NULL: on any interface), in any state; NULL if not ours. */
struct in6_ifaddr *in6_addr_find(struct umk_stack *s, struct umk_if *ifp,
				 const struct in6_addr *a);
/* The preferred link-local address of ifp that has completed DAD, or NULL. */
struct in6_ifaddr *in6_linklocal(struct umk_stack *s, struct umk_if *ifp);

/* RFC 4862 5.4.5: DAD found ifp's MAC-derived link-local address duplicated; no more
 * addresses are formed on ifp until it goes down and up again. */
bool addrconf_ip_disabled(struct umk_stack *s, struct umk_if *ifp);

/* An NS arrived whose target is one of our addresses in DAD: RFC 4862 5.4.3. Returns true
 * when the target was tentative (then the NS is not answered). */
bool addrconf_dad_ns_input(struct umk_stack *s, struct umk_if *ifp,
			   const struct in6_addr *target, bool src_unspecified,
			   const uint8_t *nonce /* NULL if none */);
/* An NA arrived for target: a tentative target means a duplicate (RFC 4862 5.4.4); an NA
 * for one of our valid addresses is logged as a conflict. */
void addrconf_dad_na_input(struct umk_stack *s, struct umk_if *ifp,
			   const struct in6_addr *target);
/* A Prefix Information option from an accepted RA (RFC 4862 5.5.3); rd6.c has already
 * handled the on-link (L) part. */
void addrconf_prefix_input(struct umk_stack *s, struct umk_if *ifp,
			   const struct nd_prefix_info *pi);

#endif
