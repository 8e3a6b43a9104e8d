/*
 * wire/icmp6.h - ICMPv6 (RFC 4443): the generic header, echo messages (4.1, 4.2) and error
 * messages (3.1-3.4). Types and codes with their sections. ND and MLD bodies are in
 * wire/nd.h and wire/mld.h.
 */
#ifndef UMK_WIRE_ICMP6_H
#define UMK_WIRE_ICMP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICMP6_HLEN 4                  /* type, code, checksum (RFC 4443 2.1) */
#define ICMP6_ERR_HLEN 8              /* plus the 32-bit field of error messages */
#define ICMP6_OFF_CSUM 2

/* RFC 4443 2.1: types */
#define ICMP6_DST_UNREACH       1     /* 3.1 */
#define ICMP6_PACKET_TOO_BIG    2     /* 3.2 */
#define ICMP6_TIME_EXCEEDED     3     /* 3.3 */
#define ICMP6_PARAM_PROB        4     /* 3.4 */
#define ICMP6_ECHO_REQUEST      128   /* 4.1 */
#define ICMP6_ECHO_REPLY        129   /* 4.2 */
#define ICMP6_MLD_QUERY         130   /* RFC 2710 / RFC 3810 */
#define ICMP6_MLD_REPORT        131
#define ICMP6_MLD_DONE          132
#define ICMP6_ND_RS             133   /* RFC 4861 */
#define ICMP6_ND_RA             134
#define ICMP6_ND_NS             135
#define ICMP6_ND_NA             136
#define ICMP6_ND_REDIRECT       137
#define ICMP6_MLDV2_REPORT      143   /* RFC 3810 */
#define ICMP6_IS_ERROR(t)       ((t) < 128)   /* RFC 4443 2.1 */

/* 3.1 Destination Unreachable codes */
#define ICMP6_DU_NOROUTE        0
#define ICMP6_DU_ADMIN          1
#define ICMP6_DU_BEYONDSCOPE    2
#define ICMP6_DU_ADDR           3
#define ICMP6_DU_PORT           4
#define ICMP6_DU_POLICY         5
#define ICMP6_DU_REJECT         6
/* 3.3 Time Exceeded codes */
#define ICMP6_TE_HOPLIMIT       0
#define ICMP6_TE_REASM          1
/* 3.4 Parameter Problem codes (code 3: RFC 7112) */
#define ICMP6_PP_HEADER         0
#define ICMP6_PP_NEXTHEADER     1
#define ICMP6_PP_OPTION         2
#define ICMP6_PP_INCOMPLETE_CHAIN 3

/* RFC 4443 2.4 (c): an error carries as much of the invoking packet as fits in the minimum
 * IPv6 MTU. */
#define ICMP6_ERR_MAX_LEN       1280

struct icmp6_hdr_info {
	uint8_t type;
	uint8_t code;
	uint16_t cksum;
	const uint8_t *body;          /* after the 4-byte header */
	uint32_t body_len;
};
/* 0, or -1 when shorter than the 4-byte header. */
int icmp6_hdr_parse(const uint8_t *p, size_t len, struct icmp6_hdr_info *h);

struct icmp6_echo {
	uint8_t type;                 /* 128 or 129 */
	uint16_t ident, seq;
	const uint8_t *data;
	uint32_t data_len;
};
int icmp6_echo_parse(const uint8_t *p, size_t len, struct icmp6_echo *e);
/* Writes the 8-byte echo header (checksum zero) at p. */
void icmp6_echo_emit(uint8_t *p, uint8_t type, uint16_t ident, uint16_t seq);
/* The echo payload umk_echo_send and umk ping send, so a reply can be checked: a pattern
 * of the offset, its first four octets overwritten by the size (big-endian) when it has
 * room for them. fill writes size octets at p; ok says whether p holds such a payload. */
void icmp6_echo_payload_fill(uint8_t *p, uint32_t size);
bool icmp6_echo_payload_ok(const uint8_t *p, uint32_t size);

struct icmp6_err {
	uint8_t type, code;
	uint32_t param;               /* MTU (PTB), Pointer (Param Problem), else unused */
	const uint8_t *quoted;        /* as much of the invoking packet as the error carries */
	uint32_t quoted_len;
};
int icmp6_err_parse(const uint8_t *p, size_t len, struct icmp6_err *e);
/* Writes the 8-byte error header (checksum zero) at p. */
void icmp6_err_emit(uint8_t *p, uint8_t type, uint8_t code, uint32_t param);

/* Writes the checksum field of the message at p. */
void icmp6_set_csum(uint8_t *p, uint16_t csum);

#endif
