/*
 * eth.h - Ethernet framing (RFC 2464 for IPv6 over Ethernet). Implementation: link/eth.c,
 * wire format wire/eth.c.
 */
#ifndef UMK_LINK_ETH_H
#define UMK_LINK_ETH_H

#include <netinet/in.h>
#include <stdint.h>

struct umk_stack;
struct umk_if;
struct umk_pkt;

#define ETH_HLEN 14
#define ETHERTYPE_IPV6 0x86dd

/* A received frame (pkt->data at the Ethernet header). Filters the destination, dispatches
 * IPv6 to ip6_input, IPv4 and ARP to ip4/, counts and drops the rest. Consumes pkt. */
void eth_input(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt);
/* Pushes an Ethernet header for dst and transmits through the driver. Consumes pkt. */
int eth_output(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt,
	       const uint8_t dst[6]);
/* eth_output with another EtherType (IPv4, ARP: ip4/). Consumes pkt. */
int eth_output_type(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt,
		    const uint8_t dst[6], uint16_t type);
/* RFC 2464 7: 33:33 followed by the group's last 32 bits. */
void eth_mcast_mac(const struct in6_addr *group, uint8_t mac[6]);

#endif
