/*
 * wire/ah.h - AH wire format (RFC 4302 2) and the normalisation of an IPv6 packet's mutable
 * fields before the ICV is computed (RFC 4302 3.3.3.1.2): traffic class, flow label and hop
 * limit in the fixed header, and the data of every Hop-by-Hop/Destination option whose
 * type has the "may change en route" bit (RFC 8200 4.2, 0x20). Pure functions.
 */
#ifndef UMK_WIRE_AH_H
#define UMK_WIRE_AH_H

#include <stddef.h>
#include <stdint.h>

#define AH_FIXED_LEN  12          /* Next Header .. Sequence Number */
#define AH_OPT_MUTABLE 0x20       /* RFC 8200 4.2: option data may change en route */

enum ah_err { AH_ERR_SHORT = -1, AH_ERR_LEN = -2, AH_ERR_CHAIN = -3 };

struct ah_hdr {
	uint8_t nxt;
	uint32_t len;             /* whole header, bytes: (Payload Len + 2) * 4 */
	uint32_t spi;
	uint32_t seq;
	uint32_t icv_off;         /* ICV offset from the header start (12) */
	uint32_t icv_room;        /* bytes of ICV + padding */
};

/* p: the header, avail bytes. RFC 4302 2.2: IPv6 needs a multiple of 8 bytes. */
int ah_hdr_parse(const uint8_t *p, size_t avail, struct ah_hdr *h);
/* The header length for an ICV of icv_len bytes (padded to 8, RFC 4302 2.2). */
uint32_t ah_hdr_len(uint32_t icv_len);
/* Writes the header with a zero ICV field. */
void ah_hdr_emit(uint8_t *p, uint8_t nxt, uint32_t spi, uint32_t seq, uint32_t icv_len);

/* Zeroes the mutable fields in pkt[0..ah_off) (an IPv6 header and the extension headers up
 * to the AH at ah_off) and the AH's ICV field. 0 or an ah_err when the chain does not lead
 * to ah_off. */
int ah_zero_mutable(uint8_t *pkt, uint32_t ah_off, uint32_t icv_len);

#endif
