/*
 * ip6.h - the IPv6 data path between the modules: what input hands to upper layers, how
 * anything is sent, and the hooks the datapath offers to ND, addrconf and MLD.
 * Implementation: ip6/input.c (RFC 8200 header chain), ip6/output.c (source selection, next
 * hop, fragmentation), ip6/frag6.c (RFC 8200 4.5 reassembly, RFC 5722/6946/7112),
 * ip6/icmp6.c (RFC 4443), ip6/route6.c, ip6/pmtu.c (RFC 8201), ip6/select.c (RFC 6724).
 */
#ifndef UMK_IP6_IP6_H
#define UMK_IP6_IP6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct umk_stack;
struct umk_pkt;
struct umk_if;

/* What ip6_input learned about a packet, handed to the upper-layer handler with pkt->data
 * at the upper-layer header and pkt->len its length. pkt->net_off still locates the IPv6
 * header (and the whole original packet, for ICMPv6 errors). */
struct ip6_rx {
	struct umk_if *ifp;
	struct in6_addr src, dst;
	uint8_t hlim;
	uint8_t tclass;
	uint32_t flowlabel;
	uint8_t nxt;                  /* upper-layer protocol */
	uint32_t nxt_off;             /* offset from buf of the byte holding nxt (for errors) */
	unsigned flags;               /* IP6_RX_* */
};
#define IP6_RX_DST_MCAST     0x01 /* destination is multicast */
#define IP6_RX_FRAGMENTED    0x02 /* reassembled */
#define IP6_RX_ROUTER_ALERT  0x04 /* Hop-by-Hop Router Alert (RFC 2711) was present */
#define IP6_RX_HBH           0x08 /* had a Hop-by-Hop header */
#define IP6_RX_DST_TENTATIVE 0x10 /* destination is one of our tentative addresses */
#define IP6_RX_DST_ANYCAST   0x20 /* destination is a Subnet-Router anycast (RFC 4291 2.6.1) */
#define IP6_RX_ESP         0x1000 /* came through ESP transport mode (ipsec/esp.c) */
#define IP6_RX_AH          0x2000 /* came through AH transport mode (ipsec/ah.c) */
#define IP6_RX_IPCOMP      0x4000 /* was decompressed once already (ipsec/ipcomp.c) */

/* Extension headers a socket asked for (RFC 3542 9, sticky or ancillary), built and checked
 * by the socket layer (socket/exthdr.c); ip6_output fills in their Next Header fields and
 * puts them in RFC 8200 4.1 order. A Routing header lists the hops after the first: the
 * first becomes the IPv6 destination and tx->dst goes last (RFC 3542 7, as BSD and Linux). */
enum { IP6_TX_EXT_HBH, IP6_TX_EXT_DST1, IP6_TX_EXT_RTHDR, IP6_TX_EXT_DST2, IP6_TX_EXT_N };
struct ip6_tx_ext {
	const uint8_t *hdr[IP6_TX_EXT_N];   /* DST1: before the Routing header, DST2: final */
	uint16_t len[IP6_TX_EXT_N];
	uint32_t total;                     /* sum of len[] (headroom the packet needs) */
	bool has_nexthop;                   /* RFC 3542 6.4 IPV6_NEXTHOP: a neighbor ... */
	struct in6_addr nexthop;
	int nexthop_if;                     /* ... on this interface */
};

/* How to send. src all zero: choose by RFC 6724. zone: the interface of a scoped
 * destination (RFC 4007). oif: force the interface (multicast, ND). */
struct ip6_tx {
	struct in6_addr src;
	struct in6_addr dst;
	int zone;
	int oif;
	uint8_t nxt;                  /* protocol of pkt's payload */
	int16_t hlim;                 /* -1: the interface's CurHopLimit (1 for multicast) */
	uint8_t tclass;
	uint32_t flowlabel;
	int32_t csum_off;             /* >= 0: fill the upper-layer checksum at this offset */
	unsigned flags;               /* IP6_TX_* */
	const struct ip6_tx_ext *ext; /* NULL: none (only sockets set it) */
	uint16_t gso_size;            /* > 0: pkt is a TCP super-segment of segments this big
	                               * (payload), sent only where ip6_tx_offloads allowed */
};
#define IP6_TX_DONTFRAG   0x01    /* never fragment (RFC 3542 IPV6_DONTFRAG) */
#define IP6_TX_MINMTU     0x02    /* fragment to 1280 (RFC 3542 IPV6_USE_MIN_MTU) */
#define IP6_TX_SRC_UNSPEC 0x04    /* src :: is intended (DAD probes, MLD before an address) */
#define IP6_TX_RTALERT    0x08    /* add a Hop-by-Hop Router Alert (MLD, RFC 3810 5) */
#define IP6_TX_NOLOOP     0x10    /* no local copy of multicast we are a member of */
#define IP6_TX_IPSEC_DONE 0x8000  /* IPsec already applied (a tunnel's outer packet) */

/* Inits an ip6_tx with defaults (hlim -1, csum_off -1). */
void ip6_tx_init(struct ip6_tx *tx, uint8_t nxt);

void ip6_input(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt); /* consumes */

/* The offloads (UMK_OFFLOAD_*) ip6_output would use for tx: the outgoing interface's, for
 * unicast TCP without extension headers, IPsec policy or the minimum-MTU option; all of
 * them to ourselves (the loopback queue keeps the packet as it is); 0 otherwise or without
 * a path. *mtu (if not NULL) gets the path MTU. TCP asks before building a super-segment. */
unsigned ip6_tx_offloads(struct umk_stack *s, const struct ip6_tx *tx, uint32_t *mtu);

/* Sends pkt (pkt->data at the upper-layer header). Consumes pkt. 0 or a negative errno
 * (-ENETUNREACH no route, -EHOSTUNREACH, -EMSGSIZE with DONTFRAG, -ENOBUFS). */
int ip6_output(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_tx *tx);

/* RFC 6724 section 5 source selection for dst out of ifp. 0 or -EADDRNOTAVAIL. */
int ip6_select_source(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *dst,
		      struct in6_addr *src);
/* The same, with the candidates restricted to ifp's own addresses (RFC 4443 4.2: the
 * reply to a multicast echo request comes from the interface that received it). */
int ip6_select_source_on_link(struct umk_stack *s, struct umk_if *ifp,
			      const struct in6_addr *dst, struct in6_addr *src);

/* Sends an ICMPv6 message already built at pkt->data (type, code, body; checksum is filled
 * here). Counts it by type. Consumes pkt. */
int icmp6_send(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_tx *tx);

/* RFC 4443 2.4 error generation about the packet at pkt->net_off (received on
 * pkt->ifindex): applies the rules (never about an error or a multicast packet except PTB
 * and Parameter Problem code 2, no unspecified/multicast source, rate limit, 1280 bytes).
 * Consumes pkt. */
void icmp6_error(struct umk_stack *s, struct umk_pkt *pkt, uint8_t type, uint8_t code,
		 uint32_t param);

/* The path MTU towards dst (the link MTU when nothing is known). */
uint32_t pmtu_get(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *dst);

/* Address scope per RFC 4007/4291 (UMK_SCOPE_* values; multicast from its scope field). */
int in6_scope(const struct in6_addr *a);

/* Helpers on addresses. */
void in6_solicited_node(const struct in6_addr *a, struct in6_addr *snm);
bool in6_prefix_eq(const struct in6_addr *a, const struct in6_addr *b, unsigned plen);

int ip6_init(struct umk_stack *s);   /* also icmp6, frag6, route6, pmtu state */
void ip6_fini(struct umk_stack *s);
void ip6_if_attach(struct umk_stack *s, struct umk_if *ifp);
void ip6_if_detach(struct umk_stack *s, struct umk_if *ifp);

/* True for addresses that need a zone to be meaningful (RFC 4007 6): link-local unicast,
 * interface- and link-local multicast. */
/* ff01::1, the interface-local all-nodes group every node belongs to (RFC 4291 2.8). */
bool in6_is_all_nodes_iflocal(const struct in6_addr *a);
/* ff01::2, which every router belongs to (RFC 4291 2.8). */
bool in6_is_all_routers_iflocal(const struct in6_addr *a);
bool in6_is_scoped(const struct in6_addr *a);

/* ---- between the datapath's own files (input.c, output.c, icmp6.c, frag6.c, pmtu.c) ---- */

/* ICMPv6 input (RFC 4443 2.3, 2.4): pkt->data at the ICMPv6 header. Consumes pkt. */
void icmp6_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx);
/* A Packet Too Big said `mtu` for dst (RFC 8201 4): clamps to 1280, never increases. */
void pmtu_update(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *dst,
		 uint32_t mtu);
int icmp6_init(struct umk_stack *s);
void icmp6_fini(struct umk_stack *s);
int pmtu_init(struct umk_stack *s);
void pmtu_fini(struct umk_stack *s);
/* Upper-layer dispatch of a packet whose header chain has been walked (input.c); pkt->data
 * at the upper-layer header. Consumes pkt. */
void ip6_deliver(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx);

#endif
