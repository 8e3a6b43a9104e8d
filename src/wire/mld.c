/*
 * mld.c - MLD wire formats (RFC 2710 3, RFC 3810 5): parse and emit of queries, MLDv1
 * reports and dones, MLDv2 reports and their records. No stack state; fuzzed by
 * fuzz/fuzz_wire_mld.c. The listener logic is ip6/mld6.c.
 */
#include <errno.h>
#include <string.h>

#include "wire/mld.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint32_t mld_mrc_decode(uint16_t code)
{
	if (code < MLD_MRC_FLOAT_MIN)
		return code;
	/* RFC 3810 5.1.3: 1 | exp (3 bits) | mant (12 bits); (mant | 0x1000) << (exp + 3) */
	unsigned exp = (code >> 12) & 0x7;
	uint32_t mant = code & 0xfff;
	return (mant | 0x1000) << (exp + 3);
}

uint16_t mld_mrc_encode(uint32_t ms)
{
	if (ms < MLD_MRC_FLOAT_MIN)
		return (uint16_t)ms;
	for (unsigned exp = 0; exp < 8; exp++) {
		uint32_t mant = ms >> (exp + 3);
		if (mant <= 0x1fff)
			return (uint16_t)(0x8000 | exp << 12 | (mant & 0xfff));
	}
	return 0xffff;
}

uint32_t mld_qqic_decode(uint8_t code)
{
	if (code < MLD_QQIC_FLOAT_MIN)
		return code;
	/* RFC 3810 5.1.9: 1 | exp (3 bits) | mant (4 bits); (mant | 0x10) << (exp + 3) */
	unsigned exp = (code >> 4) & 0x7;
	uint32_t mant = code & 0xf;
	return (mant | 0x10) << (exp + 3);
}

uint8_t mld_qqic_encode(uint32_t seconds)
{
	if (seconds < MLD_QQIC_FLOAT_MIN)
		return (uint8_t)seconds;
	for (unsigned exp = 0; exp < 8; exp++) {
		uint32_t mant = seconds >> (exp + 3);
		if (mant <= 0x1f)
			return (uint8_t)(0x80 | exp << 4 | (mant & 0xf));
	}
	return 0xff;
}

void mld_source_get(const uint8_t *srcs, unsigned i, struct in6_addr *a)
{
	memcpy(a->s6_addr, srcs + 16 * (size_t)i, 16);
}

int mld_query_parse(const uint8_t *p, size_t len, struct mld_query *q)
{
	if (len < MLD_V1_LEN)
		return -EMSGSIZE;
	if (p[0] != MLD_LISTENER_QUERY)
		return -EPROTO;
	memset(q, 0, sizeof(*q));
	q->max_resp_code = get16(p + 4);
	memcpy(q->group.s6_addr, p + 8, 16);
	if (len == MLD_V1_LEN) {
		/* RFC 2710 3.4: Maximum Response Delay in ms, not a code */
		q->version = 1;
		q->max_resp_delay = q->max_resp_code;
		return 0;
	}
	/* RFC 3810 8.1: a length between 24 and 28 is neither version */
	if (len < MLD_V2_QUERY_MINLEN)
		return -EPROTO;
	q->version = 2;
	q->max_resp_delay = mld_mrc_decode(q->max_resp_code);
	q->suppress = (p[24] & MLD_S_FLAG) != 0;
	q->qrv = p[24] & MLD_QRV_MASK;
	q->qqic = p[25];
	q->qqi = mld_qqic_decode(q->qqic);
	q->nsrcs = get16(p + 26);
	/* RFC 3810 5.1.12: octets after the sources are ignored, but the sources must fit */
	if ((size_t)q->nsrcs * 16 > len - MLD_V2_QUERY_MINLEN)
		return -EMSGSIZE;
	q->srcs = p + MLD_V2_QUERY_MINLEN;
	return 0;
}

int mld_v1_parse(const uint8_t *p, size_t len, struct mld_v1 *m)
{
	if (len < MLD_V1_LEN)
		return -EMSGSIZE;
	if (p[0] != MLD_LISTENER_QUERY && p[0] != MLD_V1_LISTENER_REPORT &&
	    p[0] != MLD_V1_LISTENER_DONE)
		return -EPROTO;
	m->type = p[0];
	m->max_resp_delay = get16(p + 4);
	memcpy(m->group.s6_addr, p + 8, 16);
	return 0;
}

int mld_v2_report_parse(const uint8_t *p, size_t len, struct mld_report *r)
{
	if (len < MLD_V2_REPORT_HDRLEN)
		return -EMSGSIZE;
	if (p[0] != MLD_V2_LISTENER_REPORT)
		return -EPROTO;
	const uint8_t *end = p + len;
	r->nrecords = get16(p + 6);
	r->next = p + MLD_V2_REPORT_HDRLEN;
	r->end = end;
	r->left = r->nrecords;
	/* check every record once, so that walking them later cannot run off the end */
	const uint8_t *q = r->next;
	for (unsigned i = 0; i < r->nrecords; i++) {
		if ((size_t)(end - q) < MLD_V2_RECORD_HDRLEN)
			return -EMSGSIZE;
		size_t rlen = MLD_V2_RECORD_HDRLEN + 16 * (size_t)get16(q + 2) + 4 * (size_t)q[1];
		if ((size_t)(end - q) < rlen)
			return -EMSGSIZE;
		q += rlen;
	}
	return 0;
}

bool mld_v2_record_next(struct mld_report *r, struct mld_record *rec)
{
	if (!r->left)
		return false;
	const uint8_t *q = r->next;
	rec->type = q[0];
	rec->aux_words = q[1];
	rec->nsrcs = get16(q + 2);
	memcpy(rec->group.s6_addr, q + 4, 16);
	rec->srcs = q + MLD_V2_RECORD_HDRLEN;
	r->next = q + MLD_V2_RECORD_HDRLEN + 16 * (size_t)rec->nsrcs + 4 * (size_t)rec->aux_words;
	r->left--;
	return true;
}

size_t mld_v1_emit(uint8_t *p, size_t cap, uint8_t type, uint16_t max_resp_delay,
		   const struct in6_addr *group)
{
	if (cap < MLD_V1_LEN)
		return 0;
	memset(p, 0, MLD_V1_LEN);
	p[0] = type;
	put16(p + 4, max_resp_delay);
	memcpy(p + 8, group->s6_addr, 16);
	return MLD_V1_LEN;
}

size_t mld_v2_query_emit(uint8_t *p, size_t cap, const struct mld_query *q,
			 const struct in6_addr *srcs, uint16_t nsrcs)
{
	size_t len = MLD_V2_QUERY_MINLEN + 16 * (size_t)nsrcs;
	if (cap < len)
		return 0;
	memset(p, 0, MLD_V2_QUERY_MINLEN);
	p[0] = MLD_LISTENER_QUERY;
	put16(p + 4, q->max_resp_code);
	memcpy(p + 8, q->group.s6_addr, 16);
	p[24] = (uint8_t)((q->suppress ? MLD_S_FLAG : 0) | (q->qrv & MLD_QRV_MASK));
	p[25] = q->qqic;
	put16(p + 26, nsrcs);
	for (unsigned i = 0; i < nsrcs; i++)
		memcpy(p + MLD_V2_QUERY_MINLEN + 16 * (size_t)i, srcs[i].s6_addr, 16);
	return len;
}

size_t mld_v2_report_begin(uint8_t *p, size_t cap)
{
	if (cap < MLD_V2_REPORT_HDRLEN)
		return 0;
	memset(p, 0, MLD_V2_REPORT_HDRLEN);
	p[0] = MLD_V2_LISTENER_REPORT;
	return MLD_V2_REPORT_HDRLEN;
}

size_t mld_v2_record_emit(uint8_t *p, size_t cap, uint8_t type, const struct in6_addr *group,
			  const struct in6_addr *srcs, uint16_t nsrcs)
{
	size_t len = mld_v2_record_len(nsrcs);
	if (cap < len)
		return 0;
	p[0] = type;
	p[1] = 0;                    /* RFC 3810 5.2.6: no auxiliary data in MLDv2 */
	put16(p + 2, nsrcs);
	memcpy(p + 4, group->s6_addr, 16);
	for (unsigned i = 0; i < nsrcs; i++)
		memcpy(p + MLD_V2_RECORD_HDRLEN + 16 * (size_t)i, srcs[i].s6_addr, 16);
	return len;
}

void mld_v2_report_set_count(uint8_t *report, uint16_t nrecords)
{
	put16(report + 6, nrecords);
}

static const char *const record_names[] = {
	[MLD_MODE_IS_INCLUDE] = "MODE_IS_INCLUDE",
	[MLD_MODE_IS_EXCLUDE] = "MODE_IS_EXCLUDE",
	[MLD_CHANGE_TO_INCLUDE_MODE] = "CHANGE_TO_INCLUDE_MODE",
	[MLD_CHANGE_TO_EXCLUDE_MODE] = "CHANGE_TO_EXCLUDE_MODE",
	[MLD_ALLOW_NEW_SOURCES] = "ALLOW_NEW_SOURCES",
	[MLD_BLOCK_OLD_SOURCES] = "BLOCK_OLD_SOURCES",
};

const char *mld_record_type_name(uint8_t type)
{
	if (type >= sizeof(record_names) / sizeof(record_names[0]))
		return NULL;
	return record_names[type];
}
