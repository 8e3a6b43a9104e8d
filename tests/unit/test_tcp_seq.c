/*
 * test_tcp_seq.c - sequence number arithmetic (transport/tcp_seq.h) against a naive model
 * (STYLE.md "Tests"): 64-bit unwrapped numbers near a random base, compared after wrapping
 * to 32 bits, with random inputs around 0 and 2^32; plus a table of edge cases, and the
 * receive-side range bookkeeping (tcp_sack.c) against a byte map.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transport/tcp_int.h"

static uint64_t xs = 88172645463325252ull;
static uint64_t rnd(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return xs;
}

static void test_model(void **state)
{
	(void)state;
	for (int i = 0; i < 200000; i++) {
		/* two points less than 2^31 apart on the unwrapped line */
		uint64_t base = (rnd() % 3 == 0) ? 0xffffffffull - (rnd() % 100000) : rnd() >> 20;
		int64_t da = (int64_t)(rnd() % 0x7fffffffull) - 0x3fffffff;
		int64_t db = (int64_t)(rnd() % 0x7fffffffull) - 0x3fffffff;
		int64_t ua = (int64_t)base + da, ub = (int64_t)base + db;
		uint32_t a = (uint32_t)ua, b = (uint32_t)ub;
		if (seq_lt(a, b) != (ua < ub) || seq_leq(a, b) != (ua <= ub) ||
		    seq_gt(a, b) != (ua > ub) || seq_geq(a, b) != (ua >= ub))
			fail_msg("a=%u b=%u (unwrapped %lld %lld)", a, b, (long long)ua, (long long)ub);
		assert_int_equal(seq_max(a, b), (uint32_t)(ua > ub ? ua : ub));
		assert_int_equal(seq_min(a, b), (uint32_t)(ua < ub ? ua : ub));
		/* window membership: x in [lo, lo + w) */
		uint64_t w = rnd() % 0x40000000ull;
		int64_t ux = (int64_t)base + (int64_t)(rnd() % 0x80000000ull) - 0x40000000;
		bool in = ux >= (int64_t)base && ux < (int64_t)base + (int64_t)w;
		if (seq_in((uint32_t)ux, (uint32_t)base, (uint32_t)(base + w)) != in)
			fail_msg("x=%lld lo=%llu w=%llu", (long long)ux, (unsigned long long)base,
				 (unsigned long long)w);
	}
}

static void test_edges(void **state)
{
	(void)state;
	static const struct { uint32_t a, b; bool lt; } t[] = {
		{ 0xffffffffu, 0, true }, { 0, 0xffffffffu, false }, { 5, 5, false },
		{ 0, 0x7fffffffu, true }, { 0x7fffffffu, 0, false }, { 0x80000001u, 0, true },
		{ 100, 99, false },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (seq_lt(t[i].a, t[i].b) != t[i].lt)
			fail_msg("case %zu: %u < %u", i, t[i].a, t[i].b);
	assert_false(seq_in(10, 10, 10));          /* empty window */
	assert_true(seq_in(0, 0xfffffff0u, 5));     /* across the wrap */
}

/* Out-of-order ranges: random segments into a window, compared with a byte map. */
static void test_ooo_model(void **state)
{
	(void)state;
	for (int round = 0; round < 2000; round++) {
		struct tcpcb tp;
		memset(&tp, 0, sizeof(tp));
		uint32_t rcv_nxt = (uint32_t)rnd();
		const uint32_t W = 4000;
		bool map[4000] = { false };
		uint32_t base = rcv_nxt;
		for (int k = 0; k < 12; k++) {
			uint32_t off = 1 + (uint32_t)(rnd() % (W - 200)), len = 1 + (uint32_t)(rnd() % 150);
			if (!tcp_ooo_add(&tp, base + off, base + off + len))
				continue;
			for (uint32_t j = off; j < off + len; j++)
				map[j] = true;
		}
		/* the most recent range contains the last segment added (RFC 2018 4) */
		struct tcp_sack_block blk[4];
		uint8_t n = tcp_sack_blocks(&tp, blk, 4);
		assert_true(n <= tp.n_ooo);
		for (uint8_t i = 0; i < tp.n_ooo; i++)
			for (uint32_t j = tp.ooo[i].start - base; j < tp.ooo[i].end - base; j++)
				assert_true(map[j]);
		/* fill [rcv_nxt, rcv_nxt + f): the new rcv_nxt is the end of the contiguous run */
		uint32_t f = 1 + (uint32_t)(rnd() % 400);
		for (uint32_t j = 0; j < f; j++)
			map[j] = true;
		uint32_t want = 0;
		while (want < W && map[want])
			want++;
		assert_int_equal(tcp_ooo_advance(&tp, base + f) - base, want);
		for (uint8_t i = 0; i < tp.n_ooo; i++)
			assert_true(seq_gt(tp.ooo[i].start, base + want));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_ooo_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
