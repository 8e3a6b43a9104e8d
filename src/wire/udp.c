/*
 * wire/udp.c - UDP header parse and emit (RFC 768, RFC 8200 8.1). Pure functions; fuzzed by
 * fuzz/fuzz_wire_udp.c, tested by tests/unit/test_wire_udp.c.
 */
#include "wire/udp.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int udp_parse(const uint8_t *p, size_t len, struct udp_hdr_info *u)
{
	if (len < UDP_HLEN)
		return UDP_ERR_SHORT;
	u->sport = rd16(p);
	u->dport = rd16(p + 2);
	u->len = rd16(p + UDP_OFF_LEN);
	u->csum = rd16(p + UDP_OFF_CSUM);
	/* RFC 768: Length counts the header; a datagram cannot claim more than it carries
	 * (bytes beyond Length, if any, are padding and not part of it) */
	if (u->len < UDP_HLEN || u->len > len)
		return UDP_ERR_LEN;
	if (u->csum == 0)
		return UDP_ERR_ZERO_CSUM;
	u->payload = p + UDP_HLEN;
	u->payload_len = (uint16_t)(u->len - UDP_HLEN);
	return UDP_OK;
}

void udp_emit(uint8_t *p, uint16_t sport, uint16_t dport, uint16_t len)
{
	wr16(p, sport);
	wr16(p + 2, dport);
	wr16(p + UDP_OFF_LEN, len);
	wr16(p + UDP_OFF_CSUM, 0);
}

int udp_ports(const uint8_t *p, size_t len, uint16_t *sport, uint16_t *dport)
{
	if (len < 4)
		return -1;
	*sport = rd16(p);
	*dport = rd16(p + 2);
	return 0;
}
