/*
 * checksum.c - the Internet checksum (RFC 1071) and the IPv6 pseudo-header (RFC 8200 8.1).
 */
#include "wire/checksum.h"

#include <string.h>

/* Folds a 64-bit sum of 16-bit words to 16 bits with end-around carries (RFC 1071 2(C)). */
static uint32_t fold64(uint64_t acc)
{
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/* RFC 1071 2(B): the one's complement sum does not depend on byte order, so the data is
 * added as the host's own 32-bit words (eight at a time into a 64-bit accumulator, which
 * cannot overflow below 2^32 words) and the folded result swapped once into network
 * order. The result is the same as adding big-endian 16-bit pairs one by one: with end-
 * around carries the sum is 0 only when every word is 0, so its value is unique. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0;
	uint32_t w[8];

	while (len >= sizeof(w)) {
		memcpy(w, p, sizeof(w));
		acc += (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
		p += sizeof(w);
		len -= sizeof(w);
	}
	while (len >= 4) {
		memcpy(w, p, 4);
		acc += w[0];
		p += 4;
		len -= 4;
	}
	uint8_t tail[4] = { 0 };     /* the last 1-3 bytes, an odd one padded with zero */
	memcpy(tail, p, len);
	memcpy(w, tail, 4);
	acc += w[0];
	uint32_t r = fold64(acc);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	r = (uint32_t)__builtin_bswap16((uint16_t)r);
#endif
	return fold64((uint64_t)sum + r);
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
