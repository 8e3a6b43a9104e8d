/*
 * ipsec_int.h - helpers shared by esp.c and ah.c, implemented in datapath.c.
 */
#ifndef UMK_IPSEC_IPSEC_INT_H
#define UMK_IPSEC_IPSEC_INT_H

#include "ipsec/ipsec.h"

/* Transport mode input: removes hdr_len bytes at off (the ESP/AH header, with the IV) and
 * keeps inner_len bytes after them; the headers before off slide forward so the packet
 * stays one IPv6 packet whose byte at nxt_off now says nxt. Payload Length is fixed. */
void ipsec_strip(struct umk_pkt *pkt, uint32_t off, uint32_t hdr_len, uint32_t inner_len,
		 uint32_t nxt_off, uint8_t nxt);
/* Tunnel mode input: the inner packet (IPv6, inner_len bytes at inner_off) goes through
 * ip6_input with `seen` recorded for its SPD check. Consumes pkt. */
void ipsec_decap(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx,
		 uint32_t inner_off, uint32_t inner_len, unsigned seen);

/* Big-endian 32/64-bit stores for the AAD and IVs. */
static inline void ipsec_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Counts an input drop by reason, frees the packet, and returns 1 ("consumed") for the
 * ESP and AH input functions. */
static inline int ipsec_drop(struct umk_stack *s, struct umk_pkt *pkt, int cnt)
{
	s->counters[cnt]++;
	pkt_free(s, pkt);
	return 1;
}

#endif
