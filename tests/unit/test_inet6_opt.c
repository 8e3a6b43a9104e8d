/*
 * test_inet6_opt.c - the RFC 3542 helpers (socket/inet6_opt.c), byte for byte:
 *
 *   - the worked example of RFC 3542 22 (Appendix C): options X (4n+2: a 4-octet and an
 *     8-octet field, Opt Data Len 12, align 8) and Y (4n+3: 1-, 2- and 4-octet fields, Opt
 *     Data Len 7, align 4), first measured with a NULL buffer, then built, then read back;
 *     the layouts are those of RFC 8200 Appendix A (X alone, Y alone, X then Y);
 *   - a table of bad arguments, each expected to fail;
 *   - the routing helpers on type 0 and type 2 headers, including reverse in place.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include <umikame/socket.h>

#define OPT_X 0x1e
#define OPT_Y 0x3e

struct layout_case {
	const char *name;
	bool x, y;
	size_t len;
	uint8_t bytes[32];
};

/* Field values as in RFC 3542 22, in network order */
static const struct layout_case layouts[] = {
	{ "X only (RFC 8200 A: 4n+2)", true, false, 16,
	  { 0, 1, OPT_X, 12, 0x12, 0x34, 0x56, 0x78,
	    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 } },
	{ "Y only (RFC 8200 A: Pad1, Y at 4n+3, PadN 2)", false, true, 16,
	  { 0, 1, 0x00, OPT_Y, 7, 0x11, 0x22, 0x33,
	    0x44, 0x55, 0x66, 0x77, 0x01, 0x02, 0x00, 0x00 } },
	{ "X then Y (RFC 8200 A: PadN 1 between, PadN 2 after)", true, true, 32,
	  { 0, 3, OPT_X, 12, 0x12, 0x34, 0x56, 0x78,
	    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	    0x01, 0x01, 0x00, OPT_Y, 7, 0x11, 0x22, 0x33,
	    0x44, 0x55, 0x66, 0x77, 0x01, 0x02, 0x00, 0x00 } },
};

/* RFC 3542 22: the same calls first with a NULL buffer (to size it), then for real */
static int build(const struct layout_case *c, uint8_t *buf, socklen_t cap)
{
	void *db;
	int off = umk_inet6_opt_init(buf, cap);
	if (off < 0)
		return -1;
	if (c->x) {
		off = umk_inet6_opt_append(buf, cap, off, OPT_X, 12, 8, buf ? &db : NULL);
		if (off < 0)
			return -1;
		if (buf) {
			uint32_t v32 = htonl(0x12345678);
			uint8_t v64[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
			int o = umk_inet6_opt_set_val(db, 0, &v32, sizeof(v32));
			umk_inet6_opt_set_val(db, o, v64, sizeof(v64));
		}
	}
	if (c->y) {
		off = umk_inet6_opt_append(buf, cap, off, OPT_Y, 7, 4, buf ? &db : NULL);
		if (off < 0)
			return -1;
		if (buf) {
			uint8_t v8 = 0x11;
			uint16_t v16 = htons(0x2233);
			uint32_t v32 = htonl(0x44556677);
			int o = umk_inet6_opt_set_val(db, 0, &v8, sizeof(v8));
			o = umk_inet6_opt_set_val(db, o, &v16, sizeof(v16));
			umk_inet6_opt_set_val(db, o, &v32, sizeof(v32));
		}
	}
	return umk_inet6_opt_finish(buf, cap, off);
}

static void test_opt_layouts(void **state)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		const struct layout_case *c = &layouts[i];
		int need = build(c, NULL, 0);
		if (need != (int)c->len)
			fail_msg("%s: sized %d, want %zu", c->name, need, c->len);
		uint8_t buf[64];
		memset(buf, 0xee, sizeof(buf));
		assert_int_equal(build(c, buf, (socklen_t)need), need);
		if (memcmp(buf, c->bytes, c->len)) {
			for (size_t k = 0; k < c->len; k++)
				print_message("%02x%s", buf[k], k % 8 == 7 ? "\n" : " ");
			fail_msg("%s: bytes differ", c->name);
		}
		assert_int_equal(buf[need], 0xee);        /* nothing written past the end */
		/* one byte short fails */
		assert_int_equal(build(c, buf, (socklen_t)need - 8), -1);

		/* read back: RFC 3542 22's second half */
		uint8_t type;
		socklen_t len;
		void *db;
		int off = umk_inet6_opt_next(buf, (socklen_t)need, 0, &type, &len, &db);
		if (c->x) {
			assert_int_equal(type, OPT_X);
			assert_int_equal(len, 12);
			uint32_t v32;
			uint8_t v64[8];
			int o = umk_inet6_opt_get_val(db, 0, &v32, sizeof(v32));
			assert_int_equal(o, 4);
			assert_int_equal(umk_inet6_opt_get_val(db, o, v64, sizeof(v64)), 12);
			assert_int_equal(ntohl(v32), 0x12345678);
			assert_int_equal(v64[7], 8);
			assert_int_equal(off, 16);
			off = umk_inet6_opt_next(buf, (socklen_t)need, off, &type, &len, &db);
		}
		if (c->y) {
			assert_true(off > 0);
			assert_int_equal(type, OPT_Y);
			assert_int_equal(len, 7);
			uint8_t v8;
			uint16_t v16;
			uint32_t v32;
			int o = umk_inet6_opt_get_val(db, 0, &v8, 1);
			o = umk_inet6_opt_get_val(db, o, &v16, 2);
			assert_int_equal(umk_inet6_opt_get_val(db, o, &v32, 4), 7);
			assert_int_equal(v8, 0x11);
			assert_int_equal(ntohs(v16), 0x2233);
			assert_int_equal(ntohl(v32), 0x44556677);
			off = umk_inet6_opt_next(buf, (socklen_t)need, off, &type, &len, &db);
		}
		assert_int_equal(off, -1);               /* only padding is left */
		/* find skips what it is not looking for */
		int f = umk_inet6_opt_find(buf, (socklen_t)need, 0, OPT_Y, &len, &db);
		assert_int_equal(f, c->y ? (int)c->len - 4 : -1);
		assert_int_equal(umk_inet6_opt_find(buf, (socklen_t)need, 0, 0x77, &len, &db), -1);
	}
}

struct bad_case {
	const char *name;
	int r;
};

static void test_opt_bad_args(void **state)
{
	uint8_t buf[16] = { 0 };
	void *db;
	/* an option whose length runs past the header */
	uint8_t runs_over[8] = { 0, 0, OPT_X, 9, 0, 0, 0, 0 };
	const struct bad_case cases[] = {
		{ "init: length not a multiple of 8", umk_inet6_opt_init(buf, 12) },
		{ "init: zero length", umk_inet6_opt_init(buf, 0) },
		{ "append: Pad1 is the helpers' own", umk_inet6_opt_append(NULL, 0, 2, 0, 4, 1, NULL) },
		{ "append: PadN is the helpers' own", umk_inet6_opt_append(NULL, 0, 2, 1, 4, 1, NULL) },
		{ "append: align 3", umk_inet6_opt_append(NULL, 0, 2, OPT_X, 4, 3, NULL) },
		{ "append: align above len", umk_inet6_opt_append(NULL, 0, 2, OPT_X, 2, 4, NULL) },
		{ "append: len above 255", umk_inet6_opt_append(NULL, 0, 2, OPT_X, 256, 1, NULL) },
		{ "append: offset inside the header", umk_inet6_opt_append(NULL, 0, 1, OPT_X, 1, 1, NULL) },
		{ "append: does not fit", umk_inet6_opt_append(buf, 8, 2, OPT_X, 5, 1, &db) },
		{ "finish: does not fit", umk_inet6_opt_finish(buf, 8, 9) },
		{ "next: option past the end", umk_inet6_opt_next(runs_over, 8, 0, NULL, NULL, NULL) },
		{ "next: bad extlen", umk_inet6_opt_next(buf, 6, 0, NULL, NULL, NULL) },
		{ "next: offset 1", umk_inet6_opt_next(buf, 8, 1, NULL, NULL, NULL) },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cases[i].r != -1)
			fail_msg("%s: gave %d, want -1", cases[i].name, cases[i].r);
	/* and the good neighbours of those cases succeed */
	assert_int_equal(umk_inet6_opt_init(buf, 16), 2);
	assert_int_equal(buf[1], 1);
	assert_int_equal(umk_inet6_opt_append(buf, 8, 2, OPT_X, 4, 1, &db), 8);
	assert_ptr_equal(db, buf + 4);
}

static void test_rth(void **state)
{
	struct in6_addr a[3];
	inet_pton(AF_INET6, "2001:db8::a", &a[0]);
	inet_pton(AF_INET6, "2001:db8::b", &a[1]);
	inet_pton(AF_INET6, "2001:db8::c", &a[2]);

	/* sizes (RFC 3542 7.1): 8 + 16 per address; type 2 takes exactly one */
	const struct { int type, segs; socklen_t space; } sizes[] = {
		{ 0, 0, 8 }, { 0, 3, 56 }, { 0, 127, 2040 }, { 0, 128, 0 }, { 0, -1, 0 },
		{ 2, 1, 24 }, { 2, 2, 0 }, { 4, 1, 0 }, { 1, 1, 0 },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (umk_inet6_rth_space(sizes[i].type, sizes[i].segs) != sizes[i].space)
			fail_msg("space(%d, %d) = %u, want %u", sizes[i].type, sizes[i].segs,
				 umk_inet6_rth_space(sizes[i].type, sizes[i].segs), sizes[i].space);

	uint8_t b[56], r[56];
	assert_null(umk_inet6_rth_init(b, 55, 0, 3));   /* too small */
	assert_ptr_equal(umk_inet6_rth_init(b, sizeof(b), 0, 3), b);
	static const uint8_t hdr0[8] = { 0, 6, 0, 0, 0, 0, 0, 0 };
	assert_memory_equal(b, hdr0, 8);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(umk_inet6_rth_add(b, &a[i]), 0);
		assert_int_equal(b[3], i + 1);              /* Segments Left counts them */
	}
	assert_int_equal(umk_inet6_rth_add(b, &a[0]), -1); /* full */
	assert_int_equal(umk_inet6_rth_segments(b), 3);
	assert_memory_equal(b + 8, &a[0], 16);
	assert_memory_equal(b + 40, &a[2], 16);
	assert_memory_equal(umk_inet6_rth_getaddr(b, 1), &a[1], 16);
	assert_null(umk_inet6_rth_getaddr(b, 3));
	assert_null(umk_inet6_rth_getaddr(b, -1));

	/* reverse into another buffer, then in place */
	b[3] = 1;
	assert_int_equal(umk_inet6_rth_reverse(b, r), 0);
	assert_int_equal(r[3], 3);
	assert_memory_equal(r + 8, &a[2], 16);
	assert_memory_equal(r + 24, &a[1], 16);
	assert_memory_equal(r + 40, &a[0], 16);
	assert_int_equal(umk_inet6_rth_reverse(r, r), 0);
	assert_memory_equal(r + 8, &a[0], 16);
	assert_memory_equal(r + 40, &a[2], 16);

	/* type 2 (RFC 6275 6.4): one address, reserved bytes zero */
	uint8_t t2[24];
	memset(t2, 0xff, sizeof(t2));
	assert_ptr_equal(umk_inet6_rth_init(t2, sizeof(t2), 2, 1), t2);
	assert_int_equal(umk_inet6_rth_add(t2, &a[1]), 0);
	static const uint8_t hdr2[8] = { 0, 2, 2, 1, 0, 0, 0, 0 };
	assert_memory_equal(t2, hdr2, 8);
	assert_memory_equal(t2 + 8, &a[1], 16);
	assert_int_equal(umk_inet6_rth_add(t2, &a[0]), -1);

	/* an unknown type is not read */
	t2[2] = 4;
	assert_int_equal(umk_inet6_rth_segments(t2), -1);
	assert_null(umk_inet6_rth_getaddr(t2, 0));
	assert_int_equal(umk_inet6_rth_reverse(t2, r), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt_layouts),
		cmocka_unit_test(test_opt_bad_args),
		cmocka_unit_test(test_rth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
