/*
 * wire/eth.c - the Ethernet II header: parse and emit.
 */
#include <string.h>

#include "wire/eth.h"

int eth_hdr_parse(const uint8_t *p, size_t len, struct eth_hdr *h)
{
	if (len < ETH_HDR_LEN)
		return -1;
	memcpy(h->dst, p, ETH_ALEN);
	memcpy(h->src, p + 6, ETH_ALEN);
	h->type = (uint16_t)(p[12] << 8 | p[13]);
	return 0;
}

void eth_hdr_emit(uint8_t *p, const struct eth_hdr *h)
{
	memcpy(p, h->dst, ETH_ALEN);
	memcpy(p + 6, h->src, ETH_ALEN);
	p[12] = (uint8_t)(h->type >> 8);
	p[13] = (uint8_t)h->type;
}

bool eth_is_bcast(const uint8_t a[ETH_ALEN])
{
	static const uint8_t bc[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	return memcmp(a, bc, ETH_ALEN) == 0;
}
