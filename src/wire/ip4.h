/*
 * wire/ip4.h - IPv4 wire formats: the RFC 791 3.1 header (with its options skipped, not
 * interpreted) and the RFC 792 ICMP messages umikame uses (echo, Destination Unreachable,
 * Time Exceeded). Pure functions: every length is checked against the buffer given, and
 * every parse fills a host-order struct. Addresses are host-order uint32_t.
 */
#ifndef UMK_WIRE_IP4_H
#define UMK_WIRE_IP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IP4_HLEN          20      /* RFC 791 3.1: IHL 5, no options */
#define IP4_HLEN_MAX      60      /* IHL is 4 bits of 32-bit words */
#define IP4_FLAG_DF       0x4000  /* RFC 791 3.1 Flags bit 1: Don't Fragment */
#define IP4_FLAG_MF       0x2000  /* bit 2: More Fragments */
#define IP4_OFF_MASK      0x1fff  /* Fragment Offset, 8-octet units */
#define IP4_OFF_TTL       8       /* offset of Time to Live in the header */
#define IP4_OFF_CSUM      10      /* offset of Header Checksum */
#define IP4_PROTO_ICMP    1       /* IANA protocol numbers */
#define IP4_PROTO_IPV6    41
#define IP4_DEFAULT_TTL   64      /* RFC 1700/IANA recommended TTL */
#define IP4_MIN_MTU       68      /* RFC 791: every module forwards 68 octets unfragmented */

/* RFC 792 ICMP types and codes used here */
#define ICMP4_ECHO_REPLY      0
#define ICMP4_DEST_UNREACH    3
#define ICMP4_ECHO_REQUEST    8
#define ICMP4_TIME_EXCEEDED   11
#define ICMP4_UNREACH_NET     0
#define ICMP4_UNREACH_HOST    1
#define ICMP4_UNREACH_PROTO   2
#define ICMP4_UNREACH_NEEDFRAG 4  /* RFC 792, with RFC 1191 4 next-hop MTU */
#define ICMP4_UNREACH_ADMIN   13  /* RFC 1812 5.2.7.1 communication administratively prohibited */
#define ICMP4_TIMX_TTL        0
#define ICMP4_HLEN            8
/* RFC 792 / RFC 1812 4.3.2.3: an error quotes the IP header and at least 8 octets. We quote
 * up to this many bytes of the offending datagram (RFC 1812 allows up to 576 in total). */
#define ICMP4_ERR_QUOTE_MAX   548

struct ip4_hdr_info {
	uint8_t version;
	uint8_t hlen;                 /* header length in bytes (IHL * 4) */
	uint8_t tos;                  /* DSCP (6 bits) and ECN (2 bits), RFC 2474 / RFC 3168 */
	uint16_t total_len;           /* Total Length: header and data */
	uint16_t id;
	bool df, mf;
	uint16_t frag_off;            /* Fragment Offset in bytes (the field times 8) */
	uint8_t ttl;
	uint8_t proto;
	uint32_t src, dst;            /* host order */
};

enum ip4_parse_err {
	IP4_ERR_SHORT = -1,           /* buffer ends inside the header */
	IP4_ERR_VERSION = -2,         /* version is not 4 */
	IP4_ERR_HLEN = -3,            /* IHL < 5 */
	IP4_ERR_LEN = -4,             /* Total Length < IHL*4 or past the buffer */
	IP4_ERR_CSUM = -5,            /* header checksum is wrong (RFC 791 3.1) */
};

/* The header at p (len bytes available), checksum verified. 0 or an ip4_parse_err. The
 * datagram is total_len bytes: the caller trims link padding past it. */
int ip4_hdr_parse(const uint8_t *p, size_t len, struct ip4_hdr_info *h);
/* Writes a 20-byte header (h->hlen is ignored: no options) with its checksum. */
void ip4_hdr_emit(uint8_t *p, const struct ip4_hdr_info *h);
/* Decrements TTL of the header at p (hlen bytes, as parsed) and recomputes the checksum. */
void ip4_hdr_dec_ttl(uint8_t *p, size_t hlen);
/* The RFC 1071 checksum of hlen header bytes, with the checksum field counted as zero. */
uint16_t ip4_hdr_csum(const uint8_t *p, size_t hlen);

/* RFC 792 message header; for echo `ident`/`seq`, for Fragmentation Needed `mtu`
 * (RFC 1191 4: the low 16 bits of the second word), otherwise the word is unused. */
struct icmp4_hdr {
	uint8_t type, code;
	uint16_t ident, seq;          /* echo */
	uint16_t mtu;                 /* Destination Unreachable code 4 */
};
/* The ICMP message at p of exactly len bytes, checksum verified over all of it.
 * 0, -1 (shorter than 8 bytes), -2 (bad checksum). */
int icmp4_hdr_parse(const uint8_t *p, size_t len, struct icmp4_hdr *h);
/* Writes the 8-byte header at p and the checksum over p[0..len) (the body must already be
 * in place after it). len >= 8. */
void icmp4_emit(uint8_t *p, size_t len, const struct icmp4_hdr *h);

#endif
