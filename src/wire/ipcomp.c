/*
 * wire/ipcomp.c - the IPComp header (RFC 3173 2.2) and its CPI ranges (3.3). See
 * wire/ipcomp.h.
 */
#include "wire/ipcomp.h"

enum ipcomp_cpi_class ipcomp_cpi_class(uint16_t cpi)
{
	if (cpi == 0)
		return IPCOMP_CPI_INVALID;
	if (cpi <= IPCOMP_CPI_WELLKNOWN_MAX)
		return IPCOMP_CPI_WELLKNOWN;
	if (cpi <= IPCOMP_CPI_RESERVED_MAX)
		return IPCOMP_CPI_RESERVED;
	if (cpi < IPCOMP_CPI_PRIVATE_MIN)
		return IPCOMP_CPI_NEGOTIATED;
	return IPCOMP_CPI_PRIVATE;
}

int ipcomp_hdr_parse(const uint8_t *p, size_t len, struct ipcomp_hdr *h)
{
	if (len < IPCOMP_HLEN)
		return IPCOMP_ERR_SHORT;
	h->nxt = p[0];
	h->flags = p[1];
	h->cpi = (uint16_t)(p[2] << 8 | p[3]);
	h->payload = p + IPCOMP_HLEN;
	h->payload_len = (uint32_t)(len - IPCOMP_HLEN);
	enum ipcomp_cpi_class c = ipcomp_cpi_class(h->cpi);
	if (c == IPCOMP_CPI_INVALID || c == IPCOMP_CPI_RESERVED)
		return IPCOMP_ERR_CPI;
	return IPCOMP_OK;
}

void ipcomp_hdr_emit(uint8_t *p, uint8_t nxt, uint16_t cpi)
{
	p[0] = nxt;
	p[1] = 0;
	p[2] = (uint8_t)(cpi >> 8);
	p[3] = (uint8_t)cpi;
}
