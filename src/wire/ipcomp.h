/*
 * wire/ipcomp.h - the IPComp header (RFC 3173 2.2) and its CPI ranges (3.3), the deflate
 * transform's constants (RFC 2394). Parse checks lengths once and fills a host-order struct; emit mirrors it. Pure
 * functions. Logic in ipsec/ipcomp.c.
 */
#ifndef UMK_WIRE_IPCOMP_H
#define UMK_WIRE_IPCOMP_H

#include <stddef.h>
#include <stdint.h>

#define IPPROTO6_IPCOMP 108          /* IANA protocol number (RFC 3173 2.2) */
#define IPCOMP_HLEN     4            /* RFC 3173 2.2: Next Header, Flags, CPI */

/* RFC 3173 3.3: CPI ranges */
#define IPCOMP_CPI_WELLKNOWN_MAX 63  /* 0-63: the IPCOMP transform identifiers themselves */
#define IPCOMP_CPI_RESERVED_MAX  255 /* 64-255: reserved for future use */
#define IPCOMP_CPI_PRIVATE_MIN   61440 /* 61440-65535: private use */

/* IANA "IPCOMP transform identifiers" (RFC 2407 4.4.5), also PF_KEY's SADB_X_CALG_* */
#define IPCOMP_ALG_OUI     1
#define IPCOMP_ALG_DEFLATE 2         /* RFC 2394 */
#define IPCOMP_ALG_LZS     3

/* RFC 2394 2: below about 90 bytes deflate rarely wins; such payloads go uncompressed */
#define IPCOMP_DEFLATE_MIN 90
/* RFC 2394 2: the raw deflate format (RFC 1951), no zlib header; a 32 KiB window */
#define IPCOMP_DEFLATE_WBITS 15

enum ipcomp_err {
	IPCOMP_OK = 0,
	IPCOMP_ERR_SHORT = -1,       /* fewer than 4 bytes */
	IPCOMP_ERR_CPI = -2,         /* CPI 0 or in the reserved range 64-255 (RFC 3173 3.3) */
};

enum ipcomp_cpi_class {
	IPCOMP_CPI_INVALID,          /* 0 */
	IPCOMP_CPI_WELLKNOWN,        /* 1-63 */
	IPCOMP_CPI_RESERVED,         /* 64-255 */
	IPCOMP_CPI_NEGOTIATED,       /* 256-61439 */
	IPCOMP_CPI_PRIVATE,          /* 61440-65535 */
};

struct ipcomp_hdr {
	uint8_t nxt;                 /* the protocol of the uncompressed payload */
	uint8_t flags;               /* RFC 3173 2.2: reserved, sent 0, ignored on receipt */
	uint16_t cpi;
	const uint8_t *payload;      /* the compressed data */
	uint32_t payload_len;
};

enum ipcomp_cpi_class ipcomp_cpi_class(uint16_t cpi);
/* Parses the header at p (len bytes to the end of the packet). */
int ipcomp_hdr_parse(const uint8_t *p, size_t len, struct ipcomp_hdr *h);
/* Writes the 4-byte header (flags 0). */
void ipcomp_hdr_emit(uint8_t *p, uint8_t nxt, uint16_t cpi);

#endif
