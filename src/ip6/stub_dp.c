/* TEMPORARY scaffolding: replaced by the datapath (eth, ip6, icmp6, frag6, route6). */
#include <errno.h>
#include <string.h>
#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ip6/route6.h"
#include "link/eth.h"
void eth_input(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt) { pkt_free(s, pkt); }
int eth_output(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt, const uint8_t dst[6]) { pkt_free(s, pkt); return -ENOSYS; }
void eth_mcast_mac(const struct in6_addr *g, uint8_t mac[6]) { mac[0] = 0x33; mac[1] = 0x33; memcpy(mac + 2, g->s6_addr + 12, 4); }
void ip6_tx_init(struct ip6_tx *tx, uint8_t nxt) { memset(tx, 0, sizeof(*tx)); tx->nxt = nxt; tx->hlim = -1; tx->csum_off = -1; }
void ip6_input(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt) { pkt_free(s, pkt); }
int ip6_output(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_tx *tx) { pkt_free(s, pkt); return -ENOSYS; }
int ip6_select_source(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *dst, struct in6_addr *src) { return -EADDRNOTAVAIL; }
int icmp6_send(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_tx *tx) { pkt_free(s, pkt); return -ENOSYS; }
void icmp6_error(struct umk_stack *s, struct umk_pkt *pkt, uint8_t type, uint8_t code, uint32_t param) { pkt_free(s, pkt); }
uint32_t pmtu_get(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *dst) { return (uint32_t)ifp->conf.mtu; }
int in6_scope(const struct in6_addr *a) { return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80 ? UMK_SCOPE_LINK : UMK_SCOPE_GLOBAL; }
void in6_solicited_node(const struct in6_addr *a, struct in6_addr *snm) { static const uint8_t p[13] = {0xff,2,0,0,0,0,0,0,0,0,0,1,0xff}; memcpy(snm->s6_addr, p, 13); memcpy(snm->s6_addr + 13, a->s6_addr + 13, 3); }
bool in6_prefix_eq(const struct in6_addr *a, const struct in6_addr *b, unsigned plen) { unsigned n = plen / 8; if (memcmp(a, b, n)) return false; if (plen % 8) { uint8_t m = (uint8_t)(0xff << (8 - plen % 8)); return ((a->s6_addr[n] ^ b->s6_addr[n]) & m) == 0; } return true; }
int ip6_init(struct umk_stack *s) { return 0; }
void ip6_fini(struct umk_stack *s) {}
void ip6_if_attach(struct umk_stack *s, struct umk_if *ifp) {}
void ip6_if_detach(struct umk_stack *s, struct umk_if *ifp) {}
int rt6_add(struct umk_stack *s, const struct rt6_entry *r) { return -ENOSYS; }
int rt6_del(struct umk_stack *s, const struct in6_addr *dst, unsigned plen, const struct in6_addr *gw, int ifindex, int proto) { return -ENOENT; }
int rt6_lookup(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif, struct rt6_nexthop *nh) { return -ENETUNREACH; }
void rt6_flush_if(struct umk_stack *s, int ifindex, int proto) {}
int umk_route_list(struct umk_stack *s, int (*cb)(void *, const struct umk_route_info *), void *ctx) { return 0; }
int umk_route_add(struct umk_stack *s, const struct in6_addr *dst, unsigned plen, const struct in6_addr *gw, int ifindex, uint32_t metric) { return -ENOSYS; }
int umk_route_del(struct umk_stack *s, const struct in6_addr *dst, unsigned plen, const struct in6_addr *gw, int ifindex) { return -ENOSYS; }
int umk_echo_send(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif, uint16_t ident, uint16_t seq, uint32_t size, int hlim) { return -ENOSYS; }
void umk_echo_set_handler(struct umk_stack *s, void (*cb)(void *, const struct umk_echo_event *), void *ctx) { s->echo_cb = cb; s->echo_ctx = ctx; }
