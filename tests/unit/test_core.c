/*
 * test_core.c - the core: timer heap (against a naive model with random operations), packet
 * pools (classes, exhaustion counted, push/pull bounds), settings by name (ranges, unknown
 * keys), and the loopback queue bound.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/stack_int.h"

static struct umk_stack *new_stack(void)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.pool_small = 4;
	cfg.pool_medium = 2;
	cfg.pool_large = 1;
	struct umk_stack *s = umk_stack_new(&cfg, 1000);
	assert_non_null(s);
	return s;
}

/* ---- timers: random arm/re-arm/cancel against a model, fired in deadline order ---- */

#define NT 200
struct tt {
	struct umk_timer t;
	int id;
};
static struct tt timers[NT];
static umk_time_t model_when[NT]; /* 0 = not armed */
static umk_time_t last_fire_time;

static void on_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct tt *x = container_of(t, struct tt, t);
	assert_true(x->t.when <= s->now);
	assert_true(x->t.when >= last_fire_time); /* in deadline order */
	last_fire_time = x->t.when;
	assert_int_not_equal(model_when[x->id], 0);
	assert_int_equal(model_when[x->id], x->t.when);
	model_when[x->id] = 0;
}

static void test_timer_model(void **state)
{
	struct umk_stack *s = new_stack();
	srand(7);
	for (int i = 0; i < NT; i++) {
		timers[i].id = i;
		timer_init(&timers[i].t, on_fire);
		model_when[i] = 0;
	}
	umk_time_t now = 1000;
	for (int round = 0; round < 200; round++) {
		for (int k = 0; k < 20; k++) {
			int i = rand() % NT;
			int op = rand() % 3;
			if (op < 2) {
				umk_time_t w = now + 1 + (umk_time_t)(rand() % 500);
				timer_arm(s, &timers[i].t, w);
				model_when[i] = w;
			} else {
				timer_cancel(s, &timers[i].t);
				model_when[i] = 0;
			}
		}
		umk_time_t expect_next = UMK_TIME_NEVER;
		for (int i = 0; i < NT; i++)
			if (model_when[i] && model_when[i] < expect_next)
				expect_next = model_when[i];
		assert_int_equal(umk_next_deadline(s), expect_next);
		now += (umk_time_t)(rand() % 300);
		last_fire_time = 0;
		umk_timers_run(s, now);
		for (int i = 0; i < NT; i++) {
			assert_true(model_when[i] == 0 || model_when[i] > now);
			assert_int_equal(timer_armed(&timers[i].t), model_when[i] != 0);
		}
	}
	for (int i = 0; i < NT; i++)
		timer_cancel(s, &timers[i].t);
	assert_int_equal(umk_next_deadline(s), UMK_TIME_NEVER);
	umk_stack_free(s);
}

/* ---- packet pools ---- */

static void test_pool_classes_and_exhaustion(void **state)
{
	struct umk_stack *s = new_stack();
	struct umk_pkt *small[4];
	for (int i = 0; i < 4; i++) {
		small[i] = pkt_alloc(s, 1500, PKT_HEADROOM);
		assert_non_null(small[i]);
		assert_int_equal(small[i]->cls, PKT_SMALL);
	}
	/* small class empty: a small request spills into medium and the shortage is counted */
	struct umk_pkt *spill = pkt_alloc(s, 100, PKT_HEADROOM);
	assert_non_null(spill);
	assert_int_equal(spill->cls, PKT_MEDIUM);
	assert_int_equal(s->counters[CNT_POOL_EMPTY_SMALL], 1);
	struct umk_pkt *big = pkt_alloc(s, 60000, PKT_HEADROOM);
	assert_non_null(big);
	assert_int_equal(big->cls, PKT_LARGE);
	assert_null(pkt_alloc(s, 60000, PKT_HEADROOM));
	assert_int_equal(s->counters[CNT_POOL_EMPTY_LARGE], 1);
	assert_null(pkt_alloc(s, 70000, 0));
	assert_int_equal(s->counters[CNT_PKT_TOO_BIG_FOR_POOL], 1);
	for (int i = 0; i < 4; i++)
		pkt_free(s, small[i]);
	pkt_free(s, spill);
	pkt_free(s, big);
	for (int c = 0; c < PKT_NCLASSES; c++)
		assert_int_equal(s->pools[c].in_use, 0);
	umk_stack_free(s);
}

static void test_pkt_push_pull_bounds(void **state)
{
	struct umk_stack *s = new_stack();
	struct umk_pkt *p = pkt_alloc(s, 100, 16);
	assert_non_null(pkt_put(p, 100));
	assert_int_equal(p->len, 100);
	assert_non_null(pkt_push(p, 16));
	assert_null(pkt_push(p, 1));                 /* no headroom left */
	assert_null(pkt_pull(p, 117));               /* longer than the packet */
	assert_non_null(pkt_pull(p, 116));
	assert_int_equal(p->len, 0);
	assert_null(pkt_put(p, PKT_SMALL_SIZE));     /* beyond the buffer */
	struct umk_pkt *q = pkt_copy(s, p, 32);
	assert_non_null(q);
	assert_int_equal(pkt_headroom(q), 32);
	pkt_free(s, q);
	pkt_free(s, p);
	umk_stack_free(s);
}

/* ---- settings ---- */

static int noop_tx(void *ctx, const void *f, size_t n) { return 0; }
static const struct umk_link_ops noop_ops = { noop_tx };

static void test_conf_table(void **state)
{
	struct umk_stack *s = new_stack();
	struct umk_if_params ip = { .name = "t0", .mtu = 1500, .ops = &noop_ops };
	int idx = umk_if_add(s, &ip);
	assert_true(idx >= 1);
	static const struct {
		int ifindex;
		const char *key;
		int64_t value;
		int expect;
	} cases[] = {
		{ 1, "hop_limit", 200, 0 },
		{ 1, "hop_limit", 0, -ERANGE },
		{ 1, "hop_limit", 256, -ERANGE },
		{ 1, "mtu", 1280, 0 },
		{ 1, "mtu", 1501, -ERANGE },          /* above the device MTU */
		{ 1, "mtu", 1279, -ERANGE },          /* below the IPv6 minimum */
		{ 1, "retrans_time", 50, 0 },
		{ 1, "no_such_key", 1, -ENOENT },
		{ 9, "hop_limit", 1, -ENODEV },
		{ 0, "max_neighbors", 16, 0 },
		{ 0, "max_neighbors", 0, -ERANGE },
		{ 0, "hop_limit", 1, -ENOENT },       /* per-interface key on the global table */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = umk_conf_set(s, cases[i].ifindex, cases[i].key, cases[i].value);
		assert_int_equal(r, cases[i].expect);
		if (r == 0) {
			int64_t v = -1;
			assert_int_equal(umk_conf_get(s, cases[i].ifindex, cases[i].key, &v), 0);
			assert_int_equal(v, cases[i].value);
		}
	}
	assert_int_equal(s->limits.max_neighbors, 16);
	assert_int_equal(umk_if_add(s, &ip), -EEXIST);
	struct umk_if_params bad = { .name = "t1", .mtu = 1279, .ops = &noop_ops };
	assert_int_equal(umk_if_add(s, &bad), -EINVAL);
	umk_stack_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_model),
		cmocka_unit_test(test_pool_classes_and_exhaustion),
		cmocka_unit_test(test_pkt_push_pull_bounds),
		cmocka_unit_test(test_conf_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
