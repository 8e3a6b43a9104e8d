/*
 * mld6.h - Multicast Listener Discovery, listener side: MLDv2 (RFC 3810) with MLDv1
 * (RFC 2710) compatibility. Every group the stack joins (all-nodes excepted, RFC 3810 6)
 * is reported, with the source filters of its listeners (RFC 3810 4, RFC 3678).
 * Implementation: ip6/mld6.c and ip6/mld6_query.c, the merged filter ip6/mld6_filter.c, wire
 * format wire/mld.c.
 */
#ifndef UMK_IP6_MLD6_H
#define UMK_IP6_MLD6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct umk_stack;
struct umk_pkt;
struct umk_if;
struct ip6_rx;
struct ip6_tx;

int mld_init(struct umk_stack *s);
void mld_fini(struct umk_stack *s);
void mld_if_attach(struct umk_stack *s, struct umk_if *ifp);  /* joins ff02::1 */
void mld_if_detach(struct umk_stack *s, struct umk_if *ifp);
void mld_if_up(struct umk_stack *s, struct umk_if *ifp);      /* (re)send reports */
void mld_if_down(struct umk_stack *s, struct umk_if *ifp);

struct mld_filter;   /* ip6/mld6_filter.h: a listener's mode and source list */

/* One listener's filter for group on ifp changes from old to new (RFC 3810 4.1; either
 * may be INCLUDE {}, "not listening"); the interface state is merged again (4.2) and the
 * difference reported (6.1). The caller remembers each listener's filter (the socket layer
 * does, per socket). 0, -ENOSPC (group table full), -ENOBUFS (max_group_sources; both
 * counted), -ENOMEM, -EINVAL. */
int mld_filter_change(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group,
		      const struct mld_filter *old, const struct mld_filter *new);
/* Any-source membership: one more (or one fewer) EXCLUDE {} listener. 0, -ENOSPC (table
 * full, counted), -ENOENT (leave of a group not joined that way). */
int mld_join(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group);
int mld_leave(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group);
/* Anyone listens to group on ifp (the interface state is not INCLUDE {}). */
bool mld_is_member(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group);
/* The interface state of group lets traffic from src in (RFC 3810 4.2). */
bool mld_source_passes(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group,
		       const struct in6_addr *src);
/* The interface state of group: *mode (MLD_FILTER_*) and up to max of its sources into
 * srcs; returns how many sources the list has, or -ENOENT when nobody listens. */
int mld_group_state(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group,
		    uint8_t *mode, struct in6_addr *srcs, uint16_t max);

/* ifp's first link-local address finished DAD: reports sent so far left from :: (RFC 3810
 * 5.2.13), which snooping switches may have dropped (RFC 3590); send them again. */
void mld_linklocal_ready(struct umk_stack *s, struct umk_if *ifp);

/* Where MLD messages are handed over (icmp6_send by default); tests swap it to look at the
 * reports without a datapath. Consumes pkt. */
typedef int (*mld_output_fn)(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_tx *tx);
void mld_set_output(struct umk_stack *s, mld_output_fn fn);

/* Query, Report (v1/v2), Done: types 130, 131, 132, 143. Checksum verified. Consumes. */
void mld_input(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx);

#endif
