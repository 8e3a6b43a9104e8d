/*
 * wire/udpencap.h - RFC 3948's UDP encapsulation of ESP: the port, the markers that tell
 * ESP, IKE and NAT-keepalives apart on an encapsulation port (RFC 3948 2.1-2.3) and
 * PF_KEY's encapsulation types. Pure functions; logic in ipsec/udpencap.c.
 */
#ifndef UMK_WIRE_UDPENCAP_H
#define UMK_WIRE_UDPENCAP_H

#include <stddef.h>
#include <stdint.h>

#define UDPENCAP_PORT          4500  /* RFC 3948 2: the IKE NAT-T port (RFC 7296 2.23) */
#define UDPENCAP_NON_ESP_MARKER_LEN 4 /* RFC 3948 2.2: four zero bytes where an SPI would be */
#define UDPENCAP_KEEPALIVE     0xff  /* RFC 3948 2.3: the one byte of a NAT-keepalive */
#define UDPENCAP_ESP_MIN       8     /* SPI and sequence number (RFC 4303 2) */
/* PF_KEY's sadb_x_nat_t_type values (Linux/KAME UDP_ENCAP_*) */
#define UDPENCAP_TYPE_ESPINUDP_NON_IKE 1 /* draft-ietf-ipsec-nat-t-ike-00: 8 zero bytes */
#define UDPENCAP_TYPE_ESPINUDP         2 /* RFC 3948 */

enum udpencap_kind {
	UDPENCAP_ESP,                /* an ESP packet: SPI (non-zero), sequence number, ... */
	UDPENCAP_IKE,                /* non-ESP marker: the rest is IKE for the socket */
	UDPENCAP_KEEPALIVE_PKT,      /* NAT-keepalive */
	UDPENCAP_SHORT,              /* 1-7 bytes that are none of the above, or empty */
};

/* What the UDP payload p (len bytes, after the UDP header) of an encapsulation port is. */
enum udpencap_kind udpencap_classify(const uint8_t *p, size_t len);

#endif
