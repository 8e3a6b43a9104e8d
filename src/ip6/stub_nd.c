/* TEMPORARY scaffolding: replaced by neighbor and router discovery (nd6.c, rd6.c). */
#include <errno.h>
#include "core/stack_int.h"
#include "ip6/nd6.h"
int nd6_init(struct umk_stack *s) { return 0; }
void nd6_fini(struct umk_stack *s) {}
void nd6_if_attach(struct umk_stack *s, struct umk_if *ifp) {}
void nd6_if_detach(struct umk_stack *s, struct umk_if *ifp) {}
void nd6_if_up(struct umk_stack *s, struct umk_if *ifp) {}
void nd6_if_down(struct umk_stack *s, struct umk_if *ifp) {}
void nd6_input(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx) { pkt_free(s, pkt); }
int nd6_output(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *nh, struct umk_pkt *pkt) { pkt_free(s, pkt); return -ENOSYS; }
int nd6_ns_send(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *t, bool dad, const uint8_t *nonce) { return -ENOSYS; }
int nd6_na_send_unsolicited(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *t) { return -ENOSYS; }
void nd6_confirm(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *a) {}
bool nd6_probably_reachable(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *a) { return true; }
int umk_neigh_list(struct umk_stack *s, int (*cb)(void *, const struct umk_neigh_info *), void *ctx) { return 0; }
int umk_neigh_add(struct umk_stack *s, int ifindex, const struct in6_addr *a, const uint8_t ll[6], bool router) { return -ENOSYS; }
int umk_neigh_del(struct umk_stack *s, int ifindex, const struct in6_addr *a) { return -ENOSYS; }
int umk_neigh_flush(struct umk_stack *s, int ifindex) { return -ENOSYS; }
