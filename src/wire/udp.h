/*
 * wire/udp.h - the UDP header (RFC 768) as carried over IPv6 (RFC 8200 8.1: the checksum is
 * mandatory). Parse checks the lengths once and fills a host-order struct; emit mirrors it.
 * Logic in transport/udp.c.
 */
#ifndef UMK_WIRE_UDP_H
#define UMK_WIRE_UDP_H

#include <stddef.h>
#include <stdint.h>

#define UDP_HLEN            8       /* RFC 768: source port, destination port, length, checksum */
#define UDP_OFF_LEN         4
#define UDP_OFF_CSUM        6
#define UDP_MAX_PAYLOAD     (65535 - UDP_HLEN) /* the Length field is 16 bits (RFC 768) */

/* RFC 6335 6: the Dynamic and/or Private Ports, our ephemeral range */
#define UDP_EPHEMERAL_FIRST 49152
#define UDP_EPHEMERAL_LAST  65535

enum udp_err {
	UDP_OK = 0,
	UDP_ERR_SHORT = -1,        /* fewer than 8 bytes */
	UDP_ERR_LEN = -2,          /* Length below 8 or past the end of the packet */
	UDP_ERR_ZERO_CSUM = -3,    /* RFC 8200 8.1: zero checksum over IPv6 */
};

struct udp_hdr_info {
	uint16_t sport, dport;
	uint16_t len;               /* the Length field: header + payload */
	uint16_t csum;
	const uint8_t *payload;
	uint16_t payload_len;       /* len - 8; bytes past Length are not part of the datagram */
};

/* Parses the header at p (len bytes to the end of the packet). */
int udp_parse(const uint8_t *p, size_t len, struct udp_hdr_info *u);
/* Writes a header with a zero checksum (ip6_output fills it, RFC 8200 8.1). */
void udp_emit(uint8_t *p, uint16_t sport, uint16_t dport, uint16_t len);
/* Reads only the ports, from the first 4 bytes (what an ICMPv6 error quotes); -1 if short. */
int udp_ports(const uint8_t *p, size_t len, uint16_t *sport, uint16_t *dport);

#endif
