/*
 * wire/arp.c - RFC 826 ("Packet format") for Ethernet/IPv4: parse and emit.
 */
#include <string.h>

#include "wire/arp.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

int arp_parse(const uint8_t *p, size_t len, struct arp_pkt *a)
{
	if (len < ARP_LEN)
		return ARP_ERR_SHORT;
	/* RFC 826 "Packet Reception": ?Do I have the hardware type in ar$hrd? ?Do I speak
	 * the protocol in ar$pro? The lengths must then be Ethernet's and IPv4's. */
	if (rd16(p) != ARP_HRD_ETHER || rd16(p + 2) != ARP_PRO_IPV4 || p[4] != 6 || p[5] != 4)
		return ARP_ERR_FORMAT;
	a->op = rd16(p + 6);
	if (a->op != ARP_OP_REQUEST && a->op != ARP_OP_REPLY)
		return ARP_ERR_OP;
	memcpy(a->sha, p + 8, 6);
	a->spa = rd32(p + 14);
	memcpy(a->tha, p + 18, 6);
	a->tpa = rd32(p + 24);
	return 0;
}

void arp_emit(uint8_t *p, const struct arp_pkt *a)
{
	wr16(p, ARP_HRD_ETHER);
	wr16(p + 2, ARP_PRO_IPV4);
	p[4] = 6;
	p[5] = 4;
	wr16(p + 6, a->op);
	memcpy(p + 8, a->sha, 6);
	wr32(p + 14, a->spa);
	memcpy(p + 18, a->tha, 6);
	wr32(p + 24, a->tpa);
}
