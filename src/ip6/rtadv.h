/*
 * rtadv.h - the router side of Router Discovery (RFC 4861 6.2, RFC 4191, RFC 8106): Router
 * Advertisements on the interfaces that have an RA configuration (<umikame/router.h>) and
 * forward, answers to Router Solicitations, final RAs, and the consistency check of other
 * routers' RAs. Implementation: ip6/rtadv.c; the host side is ip6/rd6.c, which hands RS
 * and RA received on a forwarding interface here.
 */
#ifndef UMK_IP6_RTADV_H
#define UMK_IP6_RTADV_H

#include <stdbool.h>

struct umk_stack;
struct umk_if;
struct ip6_rx;
struct nd_msg;

int rtadv_init(struct umk_stack *s);
void rtadv_fini(struct umk_stack *s);
void rtadv_if_detach(struct umk_stack *s, struct umk_if *ifp);

/* Re-evaluates whether ifp advertises (configured, forwarding, up), starting RAs or sending
 * the final one; also joins or leaves the all-routers groups as forwarding says (RFC 4291
 * 2.8). Called when forwarding changes, the interface goes up, and before it goes down
 * (going_down: advertising stops now, with a final RA while the link can still send). */
void rtadv_update(struct umk_stack *s, struct umk_if *ifp, bool going_down);

/* RFC 4861 6.2.6: an RS received on a forwarding interface (validated by nd6/rd6). */
void rtadv_rs_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
		    const struct nd_msg *m);
/* RFC 4861 6.2.7: another router's RA on a forwarding interface: checked, never used. */
void rtadv_ra_input(struct umk_stack *s, struct umk_if *ifp, const struct ip6_rx *rx,
		    const struct nd_msg *m);

#endif
