/*
 * test_checksum.c - the Internet checksum (wire/checksum.c, RFC 1071) against the RFC's own
 * example and against a naive model (big-endian 16-bit pairs added one at a time) on random
 * data of every length from 0 to 1600 at every alignment, in one piece and in pieces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire/checksum.h"

/* The model: RFC 1071 4.1's loop, a 16-bit pair at a time, folded to 16 bits. */
static uint32_t model_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t acc = sum;
	for (; len >= 2; p += 2, len -= 2)
		acc += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void test_rfc1071_example(void **state)
{
	(void)state;
	/* RFC 1071 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (checksum 220d) */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	assert_int_equal(csum_add(0, b, sizeof(b)), 0xddf2);
	assert_int_equal(csum_fold(csum_add(0, b, sizeof(b))), 0x220d);
	assert_int_equal(csum_add(0, b, 0), 0);
	/* all ones stays 0xffff, all zeros 0: the two representations of zero kept apart */
	static const uint8_t ones[40] = { [0 ... 39] = 0xff };
	static const uint8_t zeros[40];
	assert_int_equal(csum_add(0, ones, sizeof(ones)), 0xffff);
	assert_int_equal(csum_add(0, zeros, sizeof(zeros)), 0);
	assert_int_equal(csum_add(0xffff, zeros, sizeof(zeros)), 0xffff);
	/* an odd last byte is the high byte of a padded pair */
	static const uint8_t odd[] = { 0x12, 0x34, 0x56 };
	assert_int_equal(csum_add(0, odd, 3), 0x1234 + 0x5600);
}

static void test_random_model(void **state)
{
	(void)state;
	static uint8_t buf[1600 + 8];
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			uint32_t r = next_rand();
			/* rounds 2 and 3 lean on 0xff and 0x00 bytes, where carries pile up */
			buf[i] = round < 2 ? (uint8_t)r : (r & 1) ? 0xff : (round == 3 ? 0 : 0xfe);
		}
		for (size_t len = 0; len <= 1600; len++) {
			size_t off = len % 8;
			uint32_t seed = next_rand() % 0x1ffff;
			assert_int_equal(csum_add(seed, buf + off, len), model_add(seed, buf + off, len));
			/* in two pieces, the first of even length, as the callers chain them */
			size_t cut = (len / 2 ? next_rand() % (len / 2 + 1) : 0) * 2;
			uint32_t two = csum_add(csum_add(seed, buf + off, cut), buf + off + cut,
						len - cut);
			assert_int_equal(two, model_add(seed, buf + off, len));
		}
	}
}

static void test_verify_is_zero(void **state)
{
	(void)state;
	/* a datagram with its checksum filled in sums to zero (what input checks) */
	struct in6_addr src = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
	struct in6_addr dst = { { { 0xfe, 0x80, [15] = 2 } } };
	uint8_t udp[8 + 333];
	for (size_t i = 0; i < sizeof(udp); i++)
		udp[i] = (uint8_t)next_rand();
	udp[6] = udp[7] = 0;
	uint16_t c = csum_ip6(&src, &dst, 17, udp, sizeof(udp));
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	assert_int_equal(csum_ip6(&src, &dst, 17, udp, sizeof(udp)), 0);
	udp[100] ^= 0x40;
	assert_int_not_equal(csum_ip6(&src, &dst, 17, udp, sizeof(udp)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_verify_is_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
