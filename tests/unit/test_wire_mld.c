/*
 * test_wire_mld.c - wire/mld.c: MLDv1 and MLDv2 queries and reports parsed and emitted,
 * malformed messages, and the RFC 3810 5.1.3 / 5.1.9 exponential codes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "wire/mld.h"

static struct in6_addr A(uint8_t b0, uint8_t b1, uint8_t last)
{
	struct in6_addr a = { .s6_addr = { b0, b1 } };
	a.s6_addr[15] = last;
	return a;
}

/* RFC 3810 5.1.3: codes below 32768 are ms; above, (mant | 0x1000) << (exp + 3). */
static void test_mrc_table(void **state)
{
	static const struct { uint16_t code; uint32_t ms; } rows[] = {
		{ 0, 0 }, { 1, 1 }, { 1000, 1000 }, { 10000, 10000 }, { 32767, 32767 },
		{ 0x8000, 0x1000 << 3 },            /* 32768 */
		{ 0x8001, 0x1001 << 3 },            /* 32776 */
		{ 0x8fff, 0x1fff << 3 },            /* 65528 */
		{ 0x9000, 0x1000 << 4 },            /* 65536 */
		{ 0xf000, 0x1000 << 10 },           /* 4194304 */
		{ 0xffff, 0x1fff << 10 },           /* 8387584, the largest */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(mld_mrc_decode(rows[i].code), rows[i].ms);
		assert_int_equal(mld_mrc_encode(rows[i].ms), rows[i].code);
	}
	/* every code survives decode then encode; every value encodes to at most itself */
	for (uint32_t c = 0; c <= 0xffff; c++)
		assert_int_equal(mld_mrc_encode(mld_mrc_decode((uint16_t)c)), c);
	for (uint32_t ms = 30000; ms < 9000000; ms += 977)
		assert_true(mld_mrc_decode(mld_mrc_encode(ms)) <= ms);
}

static void test_qqic_table(void **state)
{
	static const struct { uint8_t code; uint32_t s; } rows[] = {
		{ 0, 0 }, { 125, 125 }, { 127, 127 },
		{ 0x80, 0x10 << 3 },                /* 128 */
		{ 0x8f, 0x1f << 3 },                /* 248 */
		{ 0x90, 0x10 << 4 },                /* 256 */
		{ 0xff, 0x1f << 10 },               /* 31744 */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(mld_qqic_decode(rows[i].code), rows[i].s);
		assert_int_equal(mld_qqic_encode(rows[i].s), rows[i].code);
	}
	for (uint32_t c = 0; c <= 0xff; c++)
		assert_int_equal(mld_qqic_encode(mld_qqic_decode((uint8_t)c)), c);
}

/* An MLDv1 General Query as a Linux router sends it (RFC 2710 3: 24 bytes). */
static const uint8_t v1_general_query[24] = {
	0x82, 0x00, 0x8b, 0x5c, 0x27, 0x10, 0x00, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* An MLDv2 Multicast Address and Source Specific Query for ff05::1:3 with two sources,
 * MRC 10000, QRV 2, QQIC 125, S clear. */
static const uint8_t v2_source_query[60] = {
	0x82, 0x00, 0x00, 0x00, 0x27, 0x10, 0x00, 0x00,
	0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x03,
	0x02, 0x7d, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
};

static void test_query_parse(void **state)
{
	struct mld_query q;
	assert_int_equal(mld_query_parse(v1_general_query, 24, &q), 0);
	assert_int_equal(q.version, 1);
	assert_int_equal(q.max_resp_delay, 10000);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&q.group));

	assert_int_equal(mld_query_parse(v2_source_query, sizeof(v2_source_query), &q), 0);
	assert_int_equal(q.version, 2);
	assert_int_equal(q.max_resp_delay, 10000);
	assert_int_equal(q.qrv, 2);
	assert_int_equal(q.qqi, 125);
	assert_false(q.suppress);
	assert_int_equal(q.nsrcs, 2);
	struct in6_addr src, want = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8 } };
	want.s6_addr[15] = 2;
	mld_source_get(q.srcs, 1, &src);
	assert_memory_equal(&src, &want, 16);
	assert_int_equal(q.group.s6_addr[0], 0xff);
	assert_int_equal(q.group.s6_addr[15], 3);
}

static void test_query_malformed(void **state)
{
	uint8_t buf[80];
	struct mld_query q;
	static const struct { size_t len; int err; } rows[] = {
		{ 0, -EMSGSIZE }, { 8, -EMSGSIZE }, { 23, -EMSGSIZE },
		{ 25, -EPROTO }, { 26, -EPROTO }, { 27, -EPROTO }, /* RFC 3810 8.1 */
		{ 28, -EMSGSIZE },         /* claims 2 sources, has none */
		{ 44, -EMSGSIZE },         /* one of two sources */
		{ 59, -EMSGSIZE },         /* one byte short */
		{ 60, 0 }, { 64, 0 },      /* 5.1.12: additional data is ignored */
	};
	memset(buf, 0, sizeof(buf));
	memcpy(buf, v2_source_query, sizeof(v2_source_query));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(mld_query_parse(buf, rows[i].len, &q), rows[i].err);
	buf[0] = MLD_V1_LISTENER_REPORT;
	assert_int_equal(mld_query_parse(buf, 60, &q), -EPROTO);
}

static void test_query_emit_roundtrip(void **state)
{
	struct mld_query q = { .max_resp_code = mld_mrc_encode(65536), .group = A(0xff, 0x0e, 7),
			       .suppress = true, .qrv = 3, .qqic = mld_qqic_encode(300) };
	struct in6_addr srcs[3] = { A(0x20, 0x01, 1), A(0x20, 0x01, 2), A(0x20, 0x01, 3) };
	uint8_t buf[100];
	assert_int_equal(mld_v2_query_emit(buf, 75, &q, srcs, 3), 0);
	size_t n = mld_v2_query_emit(buf, sizeof(buf), &q, srcs, 3);
	assert_int_equal(n, 28 + 48);
	struct mld_query r;
	assert_int_equal(mld_query_parse(buf, n, &r), 0);
	assert_int_equal(r.version, 2);
	assert_int_equal(r.max_resp_delay, 65536);
	assert_true(r.suppress);
	assert_int_equal(r.qrv, 3);
	assert_int_equal(r.qqi, mld_qqic_decode(mld_qqic_encode(300)));
	assert_int_equal(r.nsrcs, 3);
	assert_memory_equal(&r.group, &q.group, 16);
	struct in6_addr s2;
	mld_source_get(r.srcs, 2, &s2);
	assert_memory_equal(&s2, &srcs[2], 16);
}

static void test_v1_roundtrip(void **state)
{
	static const uint8_t types[] = { MLD_LISTENER_QUERY, MLD_V1_LISTENER_REPORT,
					 MLD_V1_LISTENER_DONE };
	for (size_t i = 0; i < sizeof(types); i++) {
		uint8_t buf[24];
		struct in6_addr g = A(0xff, 0x02, 0x99);
		assert_int_equal(mld_v1_emit(buf, 23, types[i], 5, &g), 0);
		assert_int_equal(mld_v1_emit(buf, sizeof(buf), types[i], 5, &g), 24);
		struct mld_v1 m;
		assert_int_equal(mld_v1_parse(buf, 24, &m), 0);
		assert_int_equal(m.type, types[i]);
		assert_int_equal(m.max_resp_delay, 5);
		assert_memory_equal(&m.group, &g, 16);
		assert_int_equal(mld_v1_parse(buf, 23, &m), -EMSGSIZE);
	}
	uint8_t bad[24] = { MLD_V2_LISTENER_REPORT };
	struct mld_v1 m;
	assert_int_equal(mld_v1_parse(bad, 24, &m), -EPROTO);
}

/* An MLDv2 report as Linux sends it when it joins ff02::1:ff00:1 (CHANGE_TO_EXCLUDE {}). */
static const uint8_t linux_join_report[28] = {
	0x8f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x04, 0x00, 0x00, 0x00,
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x00, 0x00, 0x01,
};

static void test_report_parse(void **state)
{
	struct mld_report r;
	struct mld_record rec;
	assert_int_equal(mld_v2_report_parse(linux_join_report, sizeof(linux_join_report), &r), 0);
	assert_int_equal(r.nrecords, 1);
	assert_true(mld_v2_record_next(&r, &rec));
	assert_int_equal(rec.type, MLD_CHANGE_TO_EXCLUDE_MODE);
	assert_int_equal(rec.nsrcs, 0);
	assert_int_equal(rec.group.s6_addr[12], 0xff);
	assert_false(mld_v2_record_next(&r, &rec));
	assert_string_equal(mld_record_type_name(rec.type), "CHANGE_TO_EXCLUDE_MODE");
	assert_null(mld_record_type_name(7));

	for (size_t len = 0; len < sizeof(linux_join_report); len++)
		assert_int_not_equal(mld_v2_report_parse(linux_join_report, len, &r), 0);
}

static void test_report_emit_roundtrip(void **state)
{
	uint8_t buf[200];
	struct in6_addr g1 = A(0xff, 0x02, 1), g2 = A(0xff, 0x05, 2);
	struct in6_addr srcs[2] = { A(0x20, 0x01, 0xa), A(0x20, 0x01, 0xb) };
	size_t n = mld_v2_report_begin(buf, sizeof(buf));
	n += mld_v2_record_emit(buf + n, sizeof(buf) - n, MLD_MODE_IS_EXCLUDE, &g1, NULL, 0);
	n += mld_v2_record_emit(buf + n, sizeof(buf) - n, MLD_MODE_IS_INCLUDE, &g2, srcs, 2);
	mld_v2_report_set_count(buf, 2);
	assert_int_equal(n, 8 + 20 + 20 + 32);
	assert_int_equal(mld_v2_record_emit(buf, 51, MLD_MODE_IS_INCLUDE, &g2, srcs, 2), 0);

	struct mld_report r;
	struct mld_record rec;
	assert_int_equal(mld_v2_report_parse(buf, n, &r), 0);
	assert_true(mld_v2_record_next(&r, &rec));
	assert_int_equal(rec.type, MLD_MODE_IS_EXCLUDE);
	assert_memory_equal(&rec.group, &g1, 16);
	assert_true(mld_v2_record_next(&r, &rec));
	assert_int_equal(rec.type, MLD_MODE_IS_INCLUDE);
	assert_int_equal(rec.nsrcs, 2);
	struct in6_addr s;
	mld_source_get(rec.srcs, 1, &s);
	assert_memory_equal(&s, &srcs[1], 16);
	assert_false(mld_v2_record_next(&r, &rec));

	/* every truncation is caught; a count larger than the records is too */
	for (size_t len = 0; len < n; len++)
		assert_int_equal(mld_v2_report_parse(buf, len, &r), -EMSGSIZE);
	mld_v2_report_set_count(buf, 3);
	assert_int_equal(mld_v2_report_parse(buf, n, &r), -EMSGSIZE);
	/* aux data (RFC 3810 5.2.6) is skipped by its length */
	mld_v2_report_set_count(buf, 1);
	buf[8 + 1] = 1;
	assert_int_equal(mld_v2_report_parse(buf, 8 + 20, &r), -EMSGSIZE);
	assert_int_equal(mld_v2_report_parse(buf, 8 + 24, &r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mrc_table),
		cmocka_unit_test(test_qqic_table),
		cmocka_unit_test(test_query_parse),
		cmocka_unit_test(test_query_malformed),
		cmocka_unit_test(test_query_emit_roundtrip),
		cmocka_unit_test(test_v1_roundtrip),
		cmocka_unit_test(test_report_parse),
		cmocka_unit_test(test_report_emit_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
