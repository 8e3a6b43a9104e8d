/*
 * test_replay.c - the anti-replay window (src/ipsec/replay.c): table cases from RFC 4303
 * 3.4.3 and A2.2, then random sequences against a naive model (a set of every accepted
 * number and the highest one), for several window sizes up to 4096, with and without ESN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ipsec/replay.h"

static bool accept(struct ipsec_replay *r, uint64_t seq)
{
	if (!replay_check(r, seq))
		return false;
	replay_update(r, seq);
	return true;
}

static void test_table(void **state)
{
	static const struct { uint64_t seq; bool ok; } steps[] = {
		{ 0, false },     /* never valid */
		{ 1, true }, { 1, false }, { 3, true }, { 2, true }, { 2, false },
		{ 100, true },    /* slides: 1..36 now left of a 64 window */
		{ 36, false }, { 37, true }, { 37, false }, { 99, true }, { 101, true },
		{ 1000, true }, { 937, true }, { 936, false },
	};
	struct ipsec_replay r;
	assert_int_equal(replay_init(&r, 64, false), 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		assert_int_equal(accept(&r, steps[i].seq), steps[i].ok);
	replay_fini(&r);
}

static void test_esn_infer(void **state)
{
	/* RFC 4303 A2.2 cases A and B with W = 64 */
	static const struct { uint64_t top; uint32_t low; uint64_t want; } cases[] = {
		{ 1000, 999, 999 },                                  /* A, same subspace */
		{ 1000, 5, (1ULL << 32) | 5 },                       /* A, below: next one */
		{ (1ULL << 32) | 10, 0xfffffff0u, 0xfffffff0u },     /* B, previous subspace */
		{ (1ULL << 32) | 10, 20, (1ULL << 32) | 20 },        /* B, same subspace */
		{ 10, 0xfffffff0u, 0 },                              /* B at the start */
		{ 0xfffffff0u, 0xffffffffu, 0xffffffffu },
		{ 0xfffffff0u, 3, (1ULL << 32) | 3 },                /* rollover */
	};
	struct ipsec_replay r;
	assert_int_equal(replay_init(&r, 64, true), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.top = cases[i].top;
		assert_int_equal(replay_infer(&r, cases[i].low), cases[i].want);
	}
	replay_fini(&r);
}

/* naive model: a sorted-free set of accepted numbers */
struct model {
	uint64_t *seen;
	size_t n, cap;
	uint64_t top;
	uint32_t size;
};

static bool model_seen(const struct model *m, uint64_t s)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->seen[i] == s)
			return true;
	return false;
}

static bool model_accept(struct model *m, uint64_t s)
{
	if (s == 0 || model_seen(m, s))
		return false;
	if (s <= m->top && m->top - s >= m->size)
		return false;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 1024;
		m->seen = realloc(m->seen, m->cap * sizeof(uint64_t));
	}
	m->seen[m->n++] = s;
	if (s > m->top)
		m->top = s;
	return true;
}

static void test_random_vs_model(void **state)
{
	static const uint32_t sizes[] = { 64, 128, 1024, 4096 };
	srandom(4303);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (int esn = 0; esn < 2; esn++) {
			struct ipsec_replay r;
			struct model m = { .size = sizes[k] };
			assert_int_equal(replay_init(&r, sizes[k], esn), 0);
			/* start near 2^32 with ESN so the high bits roll over */
			uint64_t base = esn ? 0xffffff00ULL : 0;
			uint64_t cur = base;
			for (int i = 0; i < 6000; i++) {
				/* mostly forward, with reorders, replays and far jumps */
				long d = random() % 100;
				uint64_t s;
				if (d < 60)
					s = cur + 1 + random() % 4;
				else if (d < 90)
					s = cur > (uint64_t)sizes[k] * 2 ?
					    cur - random() % (sizes[k] * 2) : cur + 1;
				else
					s = cur + random() % (sizes[k] * 3);
				if (s > cur)
					cur = s;
				if (m.n == 0 && esn)
					m.top = base; /* both start with the same top */
				if (i == 0)
					r.top = base;
				uint64_t got = esn ? replay_infer(&r, (uint32_t)s) : s;
				bool ok_model = model_accept(&m, s);
				/* a number the inference maps elsewhere is refused by the
				 * model too only when it lies left of the window */
				bool ok = got == s && accept(&r, s);
				if (got != s)
					assert_false(ok_model);
				assert_int_equal(ok, ok_model);
			}
			replay_fini(&r);
			free(m.seen);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_esn_infer),
		cmocka_unit_test(test_random_vs_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
