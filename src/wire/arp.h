/*
 * wire/arp.h - RFC 826 ARP packets for Ethernet (hardware type 1) and IPv4 (protocol type
 * 0x0800): the only pairing umikame speaks. Parse and emit, host-order addresses.
 */
#ifndef UMK_WIRE_ARP_H
#define UMK_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>

#define ARP_LEN          28      /* 8 fixed + 2 * (6 + 4) */
#define ARP_HRD_ETHER    1       /* RFC 826 ar$hrd for Ethernet (IANA ARP parameters) */
#define ARP_PRO_IPV4     0x0800  /* ar$pro: the EtherType of IPv4 */
#define ARP_OP_REQUEST   1
#define ARP_OP_REPLY     2

struct arp_pkt {
	uint16_t op;                  /* ARP_OP_* */
	uint8_t sha[6];               /* sender hardware address */
	uint32_t spa;                 /* sender protocol address */
	uint8_t tha[6];
	uint32_t tpa;
};

enum arp_parse_err {
	ARP_ERR_SHORT = -1,           /* fewer than 28 bytes */
	ARP_ERR_FORMAT = -2,          /* hardware/protocol type or address lengths not ours */
	ARP_ERR_OP = -3,              /* opcode neither request nor reply */
};

/* 0 or an arp_parse_err; bytes past the 28 (Ethernet padding) are ignored. */
int arp_parse(const uint8_t *p, size_t len, struct arp_pkt *a);
/* Writes ARP_LEN bytes at p. */
void arp_emit(uint8_t *p, const struct arp_pkt *a);

#endif
