/* TEMPORARY scaffolding: replaced by addrconf.c and mld6.c. */
#include <errno.h>
#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/mld6.h"
int addrconf_init(struct umk_stack *s) { return 0; }
void addrconf_fini(struct umk_stack *s) {}
void addrconf_if_attach(struct umk_stack *s, struct umk_if *ifp) {}
void addrconf_if_detach(struct umk_stack *s, struct umk_if *ifp) {}
void addrconf_if_up(struct umk_stack *s, struct umk_if *ifp) {}
void addrconf_if_down(struct umk_stack *s, struct umk_if *ifp) {}
struct in6_ifaddr *in6_addr_find(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *a) { return NULL; }
struct in6_ifaddr *in6_linklocal(struct umk_stack *s, struct umk_if *ifp) { return NULL; }
bool addrconf_dad_ns_input(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *t, bool su, const uint8_t *nonce) { return false; }
void addrconf_dad_na_input(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *t) {}
void addrconf_prefix_input(struct umk_stack *s, struct umk_if *ifp, const struct nd_prefix_info *pi) {}
int umk_addr_list(struct umk_stack *s, int ifindex, int (*cb)(void *, const struct umk_addr_info *), void *ctx) { return 0; }
int umk_addr_add(struct umk_stack *s, int ifindex, const struct in6_addr *a, unsigned plen) { return -ENOSYS; }
int umk_addr_del(struct umk_stack *s, int ifindex, const struct in6_addr *a, unsigned plen) { return -ENOSYS; }
int mld_init(struct umk_stack *s) { return 0; }
void mld_fini(struct umk_stack *s) {}
void mld_if_attach(struct umk_stack *s, struct umk_if *ifp) {}
void mld_if_detach(struct umk_stack *s, struct umk_if *ifp) {}
void mld_if_up(struct umk_stack *s, struct umk_if *ifp) {}
void mld_if_down(struct umk_stack *s, struct umk_if *ifp) {}
int mld_join(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *g) { return 0; }
int mld_leave(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *g) { return 0; }
bool mld_is_member(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *g) { return false; }
void mld_input(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx) { pkt_free(s, pkt); }
