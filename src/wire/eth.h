/*
 * wire/eth.h - the Ethernet II header (RFC 2464 for IPv6 over Ethernet): parse and emit.
 */
#ifndef UMK_WIRE_ETH_H
#define UMK_WIRE_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_HDR_LEN 14
#define ETH_ALEN    6
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP  0x0806
#define ETH_TYPE_VLAN 0x8100
#define ETH_TYPE_IPV6 0x86dd

struct eth_hdr {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint16_t type;
};

/* 0 and h filled, or -1 when len is shorter than the header. */
int eth_hdr_parse(const uint8_t *p, size_t len, struct eth_hdr *h);
void eth_hdr_emit(uint8_t *p, const struct eth_hdr *h);

static inline bool eth_is_mcast(const uint8_t a[ETH_ALEN]) { return a[0] & 1; }
bool eth_is_bcast(const uint8_t a[ETH_ALEN]);

#endif
