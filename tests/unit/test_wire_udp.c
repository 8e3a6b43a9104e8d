/*
 * test_wire_udp.c - the UDP header parser and emitter (wire/udp.c): a table of byte strings
 * with the verdict and fields each must give, and emit/parse round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wire/udp.h"

struct udp_case {
	const char *name;
	uint8_t bytes[16];
	size_t len;
	int err;
	uint16_t sport, dport, ulen, payload_len;
};

static const struct udp_case cases[] = {
	{ "empty", {0}, 0, UDP_ERR_SHORT, 0, 0, 0, 0 },
	{ "seven bytes", { 0, 1, 0, 2, 0, 8, 0 }, 7, UDP_ERR_SHORT, 0, 0, 0, 0 },
	{ "header only", { 0x13, 0x88, 0x00, 0x35, 0, 8, 0x12, 0x34 }, 8, UDP_OK, 5000, 53, 8, 0 },
	{ "with payload", { 0, 7, 0, 9, 0, 12, 0xab, 0xcd, 'a', 'b', 'c', 'd' }, 12, UDP_OK, 7, 9,
	  12, 4 },
	{ "length below header", { 0, 7, 0, 9, 0, 7, 0xab, 0xcd }, 8, UDP_ERR_LEN, 0, 0, 0, 0 },
	{ "length past the packet", { 0, 7, 0, 9, 0, 13, 0xab, 0xcd, 1, 2, 3, 4 }, 12, UDP_ERR_LEN,
	  0, 0, 0, 0 },
	{ "shorter length: trailing bytes are not data", { 0, 7, 0, 9, 0, 10, 0xab, 0xcd, 1, 2, 3,
	  4 }, 12, UDP_OK, 7, 9, 10, 2 },
	{ "zero checksum (RFC 8200 8.1)", { 0, 7, 0, 9, 0, 8, 0, 0 }, 8, UDP_ERR_ZERO_CSUM, 0, 0, 0,
	  0 },
	{ "length zero (jumbo, RFC 2675: unsupported)", { 0, 7, 0, 9, 0, 0, 1, 1 }, 8, UDP_ERR_LEN,
	  0, 0, 0, 0 },
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct udp_case *c = &cases[i];
		struct udp_hdr_info u;
		int r = udp_parse(c->bytes, c->len, &u);
		if (r != c->err)
			fail_msg("%s: got %d want %d", c->name, r, c->err);
		if (r)
			continue;
		assert_int_equal(u.sport, c->sport);
		assert_int_equal(u.dport, c->dport);
		assert_int_equal(u.len, c->ulen);
		assert_int_equal(u.payload_len, c->payload_len);
		assert_ptr_equal(u.payload, c->bytes + 8);
	}
}

static void test_emit_roundtrip(void **state)
{
	uint8_t b[8];
	udp_emit(b, 49152, 65535, 1000);
	const uint8_t want[8] = { 0xc0, 0x00, 0xff, 0xff, 0x03, 0xe8, 0, 0 };
	assert_memory_equal(b, want, 8);
	uint16_t sp, dp;
	assert_int_equal(udp_ports(b, 4, &sp, &dp), 0);
	assert_int_equal(sp, 49152);
	assert_int_equal(dp, 65535);
	assert_int_equal(udp_ports(b, 3, &sp, &dp), -1);
	/* with a checksum filled in and room for the payload it claims, it parses back */
	uint8_t full[1000] = { 0 };
	memcpy(full, b, 8);
	full[7] = 1;
	struct udp_hdr_info u;
	assert_int_equal(udp_parse(full, sizeof(full), &u), UDP_OK);
	assert_int_equal(u.payload_len, 992);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_emit_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
