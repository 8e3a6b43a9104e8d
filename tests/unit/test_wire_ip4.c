/*
 * test_wire_ip4.c - wire/ip4.c (RFC 791 header, RFC 792 ICMP) as tables of cases. The
 * reference header is the much-quoted UDP datagram 192.168.0.1 -> 192.168.0.199 whose
 * checksum is 0xb861; the echo request is what Linux `ping -c1 10.1.0.1` sends (iputils:
 * id 0x1c2a, seq 1, 8-byte timestamp then 0x10.. pattern, 56 bytes of data).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wire/ip4.h"

static const uint8_t ref_hdr[20] = {
	0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
};

static void test_reference_header(void **state)
{
	uint8_t buf[0x73] = { 0 };
	memcpy(buf, ref_hdr, 20);
	struct ip4_hdr_info h;
	assert_int_equal(ip4_hdr_parse(buf, sizeof(buf), &h), 0);
	assert_int_equal(h.version, 4);
	assert_int_equal(h.hlen, 20);
	assert_int_equal(h.total_len, 0x73);
	assert_true(h.df);
	assert_false(h.mf);
	assert_int_equal(h.frag_off, 0);
	assert_int_equal(h.ttl, 64);
	assert_int_equal(h.proto, 17);
	assert_int_equal(h.src, 0xc0a80001);
	assert_int_equal(h.dst, 0xc0a800c7);
	assert_int_equal(ip4_hdr_csum(buf, 20), 0xb861);
	/* emit is the mirror image, checksum included */
	uint8_t out[20];
	ip4_hdr_emit(out, &h);
	assert_memory_equal(out, ref_hdr, 20);
	/* TTL decrement keeps the checksum right (RFC 1624 would give the same value) */
	ip4_hdr_dec_ttl(buf, 20);
	assert_int_equal(buf[8], 63);
	assert_int_equal(ip4_hdr_parse(buf, sizeof(buf), &h), 0);
	assert_int_equal(h.ttl, 63);
	assert_int_equal(buf[10] << 8 | buf[11], 0xb961);
}

/* Each case: the reference header with one byte changed, and the buffer length. */
static const struct {
	const char *what;
	int off;                      /* -1: unchanged */
	uint8_t val;
	size_t len;
	int want;
} bad[] = {
	{ "empty", -1, 0, 0, IP4_ERR_SHORT },
	{ "19 bytes", -1, 0, 19, IP4_ERR_SHORT },
	{ "version 6", 0, 0x65, 0x73, IP4_ERR_VERSION },
	{ "IHL 4", 0, 0x44, 0x73, IP4_ERR_HLEN },
	{ "IHL 0", 0, 0x40, 0x73, IP4_ERR_HLEN },
	{ "IHL 15, 24 bytes there", 0, 0x4f, 24, IP4_ERR_SHORT },
	{ "total length past the buffer", -1, 0, 0x72, IP4_ERR_LEN },
	{ "total length < IHL", 3, 0x10, 0x73, IP4_ERR_LEN },
	{ "checksum off by one", 11, 0x62, 0x73, IP4_ERR_CSUM },
	{ "a flipped source bit", 15, 0x03, 0x73, IP4_ERR_CSUM },
	{ "IHL 6 without fixing the checksum", 0, 0x46, 0x73, IP4_ERR_CSUM },
};

static void test_bad_headers(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[0x80] = { 0 };
		memcpy(buf, ref_hdr, 20);
		if (bad[i].off >= 0)
			buf[bad[i].off] = bad[i].val;
		struct ip4_hdr_info h;
		int r = ip4_hdr_parse(buf, bad[i].len, &h);
		if (r != bad[i].want)
			fail_msg("%s: got %d want %d", bad[i].what, r, bad[i].want);
	}
}

static void test_options_and_fragments(void **state)
{
	/* IHL 6 (one 4-byte option: NOP NOP NOP EOL), MF set, offset 185 * 8 */
	uint8_t buf[64] = { 0x46, 0x00, 0x00, 0x40, 0x12, 0x34, 0x20, 0xb9, 0x01, 0x01,
			    0, 0, 10, 1, 0, 2, 10, 2, 0, 5, 1, 1, 1, 0 };
	uint16_t c = ip4_hdr_csum(buf, 24);
	buf[10] = (uint8_t)(c >> 8);
	buf[11] = (uint8_t)c;
	struct ip4_hdr_info h;
	assert_int_equal(ip4_hdr_parse(buf, sizeof(buf), &h), 0);
	assert_int_equal(h.hlen, 24);
	assert_true(h.mf);
	assert_false(h.df);
	assert_int_equal(h.frag_off, 185 * 8);
	assert_int_equal(h.id, 0x1234);
	assert_int_equal(h.ttl, 1);
	assert_int_equal(h.proto, 1);
	/* the checksum covers the options too */
	buf[22] = 0x44;
	assert_int_equal(ip4_hdr_parse(buf, sizeof(buf), &h), IP4_ERR_CSUM);
}

/* Linux iputils ping -c1: id 0x1c2a seq 1; data: 8-byte timeval, then 0x10..0x37 */
static void make_echo(uint8_t *m)
{
	static const uint8_t head[16] = { 0x08, 0x00, 0, 0, 0x1c, 0x2a, 0x00, 0x01,
					  0xe8, 0xb5, 0x5d, 0x67, 0, 0, 0, 0 };
	memcpy(m, head, 16);
	for (int i = 0; i < 48; i++)
		m[16 + i] = (uint8_t)(0x10 + i);
}

static void test_icmp_echo(void **state)
{
	uint8_t m[64];
	make_echo(m);
	struct icmp4_hdr ih = { .type = ICMP4_ECHO_REQUEST, .ident = 0x1c2a, .seq = 1 };
	icmp4_emit(m, sizeof(m), &ih);
	struct icmp4_hdr got;
	assert_int_equal(icmp4_hdr_parse(m, sizeof(m), &got), 0);
	assert_int_equal(got.type, 8);
	assert_int_equal(got.code, 0);
	assert_int_equal(got.ident, 0x1c2a);
	assert_int_equal(got.seq, 1);
	/* the reply differs in the type only: its checksum is the request's plus 0x0800
	 * (RFC 1624 incremental update), which is what ping checks */
	uint16_t req_c = (uint16_t)(m[2] << 8 | m[3]);
	struct icmp4_hdr rep = { .type = ICMP4_ECHO_REPLY, .ident = 0x1c2a, .seq = 1 };
	icmp4_emit(m, sizeof(m), &rep);
	uint32_t want = (uint32_t)req_c + 0x0800;
	want = (want & 0xffff) + (want >> 16);
	assert_int_equal(m[2] << 8 | m[3], want);
	assert_int_equal(icmp4_hdr_parse(m, sizeof(m), &got), 0);
	assert_int_equal(got.type, 0);
	/* short and corrupt */
	assert_int_equal(icmp4_hdr_parse(m, 7, &got), -1);
	m[40] ^= 1;
	assert_int_equal(icmp4_hdr_parse(m, sizeof(m), &got), -2);
}

static void test_icmp_need_frag(void **state)
{
	uint8_t m[8 + 28] = { 0 };
	struct icmp4_hdr ih = { .type = ICMP4_DEST_UNREACH, .code = ICMP4_UNREACH_NEEDFRAG,
				.mtu = 1400 };
	icmp4_emit(m, sizeof(m), &ih);
	/* RFC 1191 4: unused (16 bits) then Next-Hop MTU */
	assert_int_equal(m[4], 0);
	assert_int_equal(m[5], 0);
	assert_int_equal(m[6] << 8 | m[7], 1400);
	struct icmp4_hdr got;
	assert_int_equal(icmp4_hdr_parse(m, sizeof(m), &got), 0);
	assert_int_equal(got.mtu, 1400);
	/* other errors leave the word zero */
	struct icmp4_hdr te = { .type = ICMP4_TIME_EXCEEDED, .mtu = 1400 };
	icmp4_emit(m, sizeof(m), &te);
	assert_int_equal(m[6] << 8 | m[7], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_header),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_options_and_fragments),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp_need_frag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
