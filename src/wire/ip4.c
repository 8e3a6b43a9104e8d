/*
 * wire/ip4.c - the RFC 791 IPv4 header and RFC 792 ICMP header: parse and emit. The
 * checksum is RFC 1071's (wire/checksum.c).
 */
#include "wire/ip4.h"
#include "wire/checksum.h"

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

uint16_t ip4_hdr_csum(const uint8_t *p, size_t hlen)
{
	uint32_t sum = csum_add(0, p, IP4_OFF_CSUM);
	return csum_fold(csum_add(sum, p + IP4_OFF_CSUM + 2, hlen - IP4_OFF_CSUM - 2));
}

int ip4_hdr_parse(const uint8_t *p, size_t len, struct ip4_hdr_info *h)
{
	if (len < IP4_HLEN)
		return IP4_ERR_SHORT;
	h->version = p[0] >> 4;
	if (h->version != 4)
		return IP4_ERR_VERSION;
	h->hlen = (uint8_t)((p[0] & 0x0f) * 4);
	if (h->hlen < IP4_HLEN)
		return IP4_ERR_HLEN;
	if (h->hlen > len)
		return IP4_ERR_SHORT;
	h->total_len = rd16(p + 2);
	if (h->total_len < h->hlen || h->total_len > len)
		return IP4_ERR_LEN;
	/* RFC 1071: summing the header with its checksum field gives 0xffff; compare
	 * against the recomputed value so a sum of 0 and 0xffff are not confused */
	if (ip4_hdr_csum(p, h->hlen) != rd16(p + IP4_OFF_CSUM))
		return IP4_ERR_CSUM;
	h->tos = p[1];
	h->id = rd16(p + 4);
	uint16_t fo = rd16(p + 6);
	h->df = (fo & IP4_FLAG_DF) != 0;
	h->mf = (fo & IP4_FLAG_MF) != 0;
	h->frag_off = (uint16_t)((fo & IP4_OFF_MASK) * 8);
	h->ttl = p[IP4_OFF_TTL];
	h->proto = p[9];
	h->src = rd32(p + 12);
	h->dst = rd32(p + 16);
	return 0;
}

void ip4_hdr_emit(uint8_t *p, const struct ip4_hdr_info *h)
{
	p[0] = 0x45;
	p[1] = h->tos;
	wr16(p + 2, h->total_len);
	wr16(p + 4, h->id);
	uint16_t fo = (uint16_t)((h->frag_off / 8) & IP4_OFF_MASK);
	if (h->df)
		fo |= IP4_FLAG_DF;
	if (h->mf)
		fo |= IP4_FLAG_MF;
	wr16(p + 6, fo);
	p[IP4_OFF_TTL] = h->ttl;
	p[9] = h->proto;
	wr32(p + 12, h->src);
	wr32(p + 16, h->dst);
	wr16(p + IP4_OFF_CSUM, ip4_hdr_csum(p, IP4_HLEN));
}

void ip4_hdr_dec_ttl(uint8_t *p, size_t hlen)
{
	p[IP4_OFF_TTL]--;
	wr16(p + IP4_OFF_CSUM, ip4_hdr_csum(p, hlen));
}

int icmp4_hdr_parse(const uint8_t *p, size_t len, struct icmp4_hdr *h)
{
	if (len < ICMP4_HLEN)
		return -1;
	if (csum_fold(csum_add(0, p, len)) != 0)
		return -2;
	h->type = p[0];
	h->code = p[1];
	h->ident = rd16(p + 4);
	h->seq = rd16(p + 6);
	h->mtu = rd16(p + 6);
	return 0;
}

void icmp4_emit(uint8_t *p, size_t len, const struct icmp4_hdr *h)
{
	p[0] = h->type;
	p[1] = h->code;
	wr16(p + 2, 0);
	if (h->type == ICMP4_ECHO_REQUEST || h->type == ICMP4_ECHO_REPLY) {
		wr16(p + 4, h->ident);
		wr16(p + 6, h->seq);
	} else {
		wr16(p + 4, 0);
		wr16(p + 6, h->type == ICMP4_DEST_UNREACH && h->code == ICMP4_UNREACH_NEEDFRAG
				    ? h->mtu : 0);
	}
	wr16(p + 2, csum_fold(csum_add(0, p, len)));
}
