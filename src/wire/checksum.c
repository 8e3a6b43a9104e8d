/*
 * checksum.c - the Internet checksum (RFC 1071) and the IPv6 pseudo-header (RFC 8200 8.1).
 */
#include "wire/checksum.h"

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	while (len >= 2) {
		acc += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	/* keep room for more additions: fold into 17 bits */
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_pseudo6(const struct in6_addr *src, const struct in6_addr *dst,
		      uint32_t upper_len, uint8_t nxt)
{
	uint8_t tail[8] = { (uint8_t)(upper_len >> 24), (uint8_t)(upper_len >> 16),
			    (uint8_t)(upper_len >> 8), (uint8_t)upper_len, 0, 0, 0, nxt };
	uint32_t sum = csum_add(0, src->s6_addr, 16);
	sum = csum_add(sum, dst->s6_addr, 16);
	return csum_add(sum, tail, sizeof(tail));
}

uint16_t csum_ip6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t nxt,
		  const void *data, size_t len)
{
	return csum_fold(csum_add(csum_pseudo6(src, dst, (uint32_t)len, nxt), data, len));
}
