/*
 * wire/ah.c - AH header parse/emit and mutable-field zeroing (RFC 4302 2, 3.3.3.1).
 */
#include <string.h>

#include "wire/ah.h"
#include "wire/ip6_const.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int ah_hdr_parse(const uint8_t *p, size_t avail, struct ah_hdr *h)
{
	if (avail < AH_FIXED_LEN)
		return AH_ERR_SHORT;
	h->nxt = p[0];
	h->len = ((uint32_t)p[1] + 2) * 4;        /* RFC 4302 2.2: in 32-bit words, minus 2 */
	if (h->len < AH_FIXED_LEN || h->len % 8)
		return AH_ERR_LEN;
	if (h->len > avail)
		return AH_ERR_SHORT;
	h->spi = get32(p + 4);
	h->seq = get32(p + 8);
	h->icv_off = AH_FIXED_LEN;
	h->icv_room = h->len - AH_FIXED_LEN;
	return 0;
}

uint32_t ah_hdr_len(uint32_t icv_len)
{
	return (AH_FIXED_LEN + icv_len + 7) & ~7u;
}

void ah_hdr_emit(uint8_t *p, uint8_t nxt, uint32_t spi, uint32_t seq, uint32_t icv_len)
{
	uint32_t len = ah_hdr_len(icv_len);
	memset(p, 0, len);
	p[0] = nxt;
	p[1] = (uint8_t)(len / 4 - 2);
	put32(p + 4, spi);
	put32(p + 8, seq);
}

/* Options of one Hop-by-Hop/Destination header at h (hlen bytes): mutable data zeroed. */
static int zero_options(uint8_t *h, uint32_t hlen)
{
	uint32_t pos = 2;
	while (pos < hlen) {
		uint8_t type = h[pos];
		if (type == IP6OPT_PAD1) {
			pos++;
			continue;
		}
		if (pos + 2 > hlen || pos + 2 + (uint32_t)h[pos + 1] > hlen)
			return AH_ERR_CHAIN;
		if (type & AH_OPT_MUTABLE)
			memset(h + pos + 2, 0, h[pos + 1]);
		pos += 2 + h[pos + 1];
	}
	return 0;
}

int ah_zero_mutable(uint8_t *pkt, uint32_t ah_off, uint32_t icv_len)
{
	if (ah_off < 40)
		return AH_ERR_CHAIN;
	/* RFC 4302 3.3.3.1.2.1: Traffic Class, Flow Label and Hop Limit are mutable */
	pkt[0] &= 0xf0;
	pkt[1] = pkt[2] = pkt[3] = 0;
	pkt[7] = 0;
	uint8_t nxt = pkt[6];
	uint32_t off = 40;
	while (off < ah_off) {
		if (off + 8 > ah_off)
			return AH_ERR_CHAIN;
		uint32_t hlen = ((uint32_t)pkt[off + 1] + 1) * 8;
		if (off + hlen > ah_off)
			return AH_ERR_CHAIN;
		switch (nxt) {
		case IPPROTO6_HOPOPTS:
		case IPPROTO6_DSTOPTS:
			if (zero_options(pkt + off, hlen))
				return AH_ERR_CHAIN;
			break;
		case IPPROTO6_ROUTING:
			/* RFC 4302 3.3.3.1.2.2: the Routing header is included as it will be
			 * at the destination; a host only accepts Segments Left 0, where
			 * it is already in that form */
			break;
		default:
			return AH_ERR_CHAIN;     /* a Fragment header before AH: not ours */
		}
		nxt = pkt[off];
		off += hlen;
	}
	if (nxt != IPPROTO6_AH)
		return AH_ERR_CHAIN;
	memset(pkt + ah_off + AH_FIXED_LEN, 0, ah_hdr_len(icv_len) - AH_FIXED_LEN);
	return 0;
}
