/*
 * wire/icmp6.c - ICMPv6 messages (RFC 4443): generic header, echo and errors.
 */
#include "wire/icmp6.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

int icmp6_hdr_parse(const uint8_t *p, size_t len, struct icmp6_hdr_info *h)
{
	if (len < ICMP6_HLEN)
		return -1;
	h->type = p[0];
	h->code = p[1];
	h->cksum = get16(p + 2);
	h->body = p + ICMP6_HLEN;
	h->body_len = (uint32_t)(len - ICMP6_HLEN);
	return 0;
}

int icmp6_echo_parse(const uint8_t *p, size_t len, struct icmp6_echo *e)
{
	if (len < 8)
		return -1;
	e->type = p[0];
	e->ident = get16(p + 4);
	e->seq = get16(p + 6);
	e->data = p + 8;
	e->data_len = (uint32_t)(len - 8);
	return 0;
}

void icmp6_echo_emit(uint8_t *p, uint8_t type, uint16_t ident, uint16_t seq)
{
	p[0] = type;
	p[1] = 0;
	put16(p + 2, 0);
	put16(p + 4, ident);
	put16(p + 6, seq);
}

int icmp6_err_parse(const uint8_t *p, size_t len, struct icmp6_err *e)
{
	if (len < ICMP6_ERR_HLEN)
		return -1;
	e->type = p[0];
	e->code = p[1];
	e->param = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	e->quoted = p + ICMP6_ERR_HLEN;
	e->quoted_len = (uint32_t)(len - ICMP6_ERR_HLEN);
	return 0;
}

void icmp6_err_emit(uint8_t *p, uint8_t type, uint8_t code, uint32_t param)
{
	p[0] = type;
	p[1] = code;
	put16(p + 2, 0);
	p[4] = (uint8_t)(param >> 24);
	p[5] = (uint8_t)(param >> 16);
	p[6] = (uint8_t)(param >> 8);
	p[7] = (uint8_t)param;
}

void icmp6_set_csum(uint8_t *p, uint16_t csum) { put16(p + ICMP6_OFF_CSUM, csum); }

/* ---- the echo payload (icmp6.h) ---- */

static uint8_t echo_pattern(uint32_t i) { return (uint8_t)(0xa5 ^ i ^ (i >> 8)); }

void icmp6_echo_payload_fill(uint8_t *p, uint32_t size)
{
	for (uint32_t i = 0; i < size; i++)
		p[i] = echo_pattern(i);
	if (size >= 4) {
		p[0] = (uint8_t)(size >> 24);
		p[1] = (uint8_t)(size >> 16);
		p[2] = (uint8_t)(size >> 8);
		p[3] = (uint8_t)size;
	}
}

bool icmp6_echo_payload_ok(const uint8_t *p, uint32_t size)
{
	uint32_t i = 0;
	if (size >= 4) {
		uint32_t sent = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				(uint32_t)p[2] << 8 | p[3];
		if (sent != size)
			return false;
		i = 4;
	}
	for (; i < size; i++)
		if (p[i] != echo_pattern(i))
			return false;
	return true;
}
