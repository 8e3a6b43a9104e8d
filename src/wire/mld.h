/*
 * mld.h - MLD wire formats: MLDv1 messages (RFC 2710 3), MLDv2 Queries (RFC 3810 5.1) and
 * Reports with their Multicast Address Records (RFC 3810 5.2), and the exponential codes of
 * the Maximum Response Code and QQIC fields. Pure functions: parse checks every length
 * against the end of the message once and fills a host-order struct; emit mirrors it.
 * The checksum field is left zero by emit (icmp6_send fills it). Constants: wire/mld_const.h.
 */
#ifndef UMK_WIRE_MLD_H
#define UMK_WIRE_MLD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/mld_const.h"

/* A Multicast Listener Query of either version. */
struct mld_query {
	uint8_t version;             /* 1: 24 bytes (RFC 2710), 2: 28 or more (RFC 3810) */
	uint16_t max_resp_code;      /* as sent */
	uint32_t max_resp_delay;     /* ms, decoded (RFC 3810 5.1.3) */
	struct in6_addr group;       /* :: in a General Query */
	bool suppress;               /* S flag (RFC 3810 5.1.7), v2 only */
	uint8_t qrv;                 /* RFC 3810 5.1.8, v2 only */
	uint8_t qqic;                /* RFC 3810 5.1.9, v2 only */
	uint32_t qqi;                /* seconds, decoded */
	uint16_t nsrcs;
	const uint8_t *srcs;         /* nsrcs addresses of 16 bytes inside the message */
};

/* An MLDv1 Report or Done (or the common part of any 24-byte MLDv1 message). */
struct mld_v1 {
	uint8_t type;
	uint16_t max_resp_delay;     /* ms */
	struct in6_addr group;
};

/* A Multicast Address Record of an MLDv2 Report (RFC 3810 5.2.4). */
struct mld_record {
	uint8_t type;                /* MLD_MODE_IS_INCLUDE ... MLD_BLOCK_OLD_SOURCES */
	uint8_t aux_words;           /* Aux Data Len, in 32-bit words */
	uint16_t nsrcs;
	struct in6_addr group;
	const uint8_t *srcs;         /* nsrcs addresses of 16 bytes inside the message */
};

/* An MLDv2 Report whose records have all been checked to fit; walk them with
 * mld_v2_record_next. */
struct mld_report {
	uint16_t nrecords;
	const uint8_t *next;         /* the next record to return */
	const uint8_t *end;
	uint16_t left;
};

/* Each returns 0, -EMSGSIZE (shorter than its fields say), -EPROTO (the wrong type, or a
 * query length RFC 3810 8.1 says to ignore). p starts at the ICMPv6 type byte. */
int mld_query_parse(const uint8_t *p, size_t len, struct mld_query *q);
int mld_v1_parse(const uint8_t *p, size_t len, struct mld_v1 *m);
int mld_v2_report_parse(const uint8_t *p, size_t len, struct mld_report *r);
/* The next record of r, false after the last. */
bool mld_v2_record_next(struct mld_report *r, struct mld_record *rec);
/* Source i of a query or record (i < nsrcs). */
void mld_source_get(const uint8_t *srcs, unsigned i, struct in6_addr *a);

/* Emitters: the bytes written, or 0 when cap is too small. */
size_t mld_v1_emit(uint8_t *p, size_t cap, uint8_t type, uint16_t max_resp_delay,
		   const struct in6_addr *group);
/* An MLDv2 query from q's version-2 fields (max_resp_code, group, suppress, qrv, qqic) with
 * srcs[0..nsrcs). */
size_t mld_v2_query_emit(uint8_t *p, size_t cap, const struct mld_query *q,
			 const struct in6_addr *srcs, uint16_t nsrcs);
/* An MLDv2 Report header with zero records; append records with mld_v2_record_emit, then
 * set the count with mld_v2_report_set_count. */
size_t mld_v2_report_begin(uint8_t *p, size_t cap);
size_t mld_v2_record_emit(uint8_t *p, size_t cap, uint8_t type, const struct in6_addr *group,
			  const struct in6_addr *srcs, uint16_t nsrcs);
void mld_v2_report_set_count(uint8_t *report, uint16_t nrecords);
/* Bytes one record with nsrcs sources takes. */
static inline size_t mld_v2_record_len(uint16_t nsrcs)
{
	return MLD_V2_RECORD_HDRLEN + 16u * nsrcs;
}

/* RFC 3810 5.1.3 Maximum Response Code <-> Maximum Response Delay in ms; encode rounds down
 * to a representable value. */
uint32_t mld_mrc_decode(uint16_t code);
uint16_t mld_mrc_encode(uint32_t ms);
/* RFC 3810 5.1.9 QQIC <-> Querier's Query Interval in seconds. */
uint32_t mld_qqic_decode(uint8_t code);
uint8_t mld_qqic_encode(uint32_t seconds);

/* "MODE_IS_INCLUDE" etc., or NULL for a type RFC 3810 5.2.12 does not define. */
const char *mld_record_type_name(uint8_t type);

#endif
