/*
 * checksum.h - the Internet checksum (RFC 1071) and the IPv6 pseudo-header (RFC 8200 8.1)
 * used by ICMPv6, UDP and TCP.
 */
#ifndef UMK_WIRE_CHECKSUM_H
#define UMK_WIRE_CHECKSUM_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* Adds len bytes to a 32-bit running sum (big-endian 16-bit words; an odd last byte is
 * padded with zero, so only the last piece of a message may have an odd length). */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
/* Folds a running sum to 16 bits and complements it. */
uint16_t csum_fold(uint32_t sum);
/* The running sum of the RFC 8200 8.1 pseudo-header. */
uint32_t csum_pseudo6(const struct in6_addr *src, const struct in6_addr *dst,
		      uint32_t upper_len, uint8_t nxt);
/* The complete upper-layer checksum over pseudo-header and data. Over data whose checksum
 * field is filled in, the result is 0 when the checksum is right. */
uint16_t csum_ip6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t nxt,
		  const void *data, size_t len);

#endif
