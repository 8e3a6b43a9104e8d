/*
 * test_sad_update.c - an UPDATE of a mature SA (src/ipsec/sad.c:sad_update, what PF_KEY
 * SADB_UPDATE does to an SA that is no longer LARVAL) keeps its anti-replay window
 * (RFC 4303 3.4.3: the window is the SA's, and an SA is not re-established by new
 * lifetimes); and replay_carry, which does it, against a naive model for window sizes
 * from off to the 65536 maximum, with sizes that are not multiples of 64.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/stack_int.h"
#include "ipsec/ipsec.h"
#include "wire/ip6_const.h"

static struct ipsec_sa sa_template(uint32_t window)
{
	struct ipsec_sa t = { .proto = IPPROTO6_ESP, .spi = 0x1234, .state = SA_MATURE,
			      .enc = IPSEC_ENC_AES_GCM16, .enc_key_len = 20 };
	inet_pton(AF_INET6, "2001:db8::a", &t.src);
	inet_pton(AF_INET6, "2001:db8::b", &t.dst);
	t.replay.size = window;
	return t;
}

/* Receives seq on sa as esp_input does after the ICV verified. */
static bool receive(struct ipsec_sa *sa, uint64_t seq)
{
	if (!replay_check(&sa->replay, seq))
		return false;
	replay_update(&sa->replay, seq);
	return true;
}

static void test_update_keeps_window(void **state)
{
	static const struct { uint32_t before, after; } sizes[] = {
		{ 64, 64 }, { 64, 4096 }, { 4096, 64 }, { 100, 65536 }, { 65536, 32 },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct umk_stack_config cfg;
		umk_stack_config_defaults(&cfg);
		struct umk_stack *s = umk_stack_new(&cfg, 0);
		assert_non_null(s);
		struct ipsec_sa t = sa_template(sizes[i].before), *sa;
		assert_int_equal(sad_add(s, &t, &sa), 0);
		for (uint64_t q = 1; q <= 20; q++)
			if (q != 7)
				assert_true(receive(sa, q));
		/* a key daemon changes the lifetimes (and the window) of the live SA */
		t.hard.addtime = 3600;
		t.replay.size = sizes[i].after;
		assert_int_equal(sad_update(s, sa, &t), 0);
		assert_int_equal(sa->hard.addtime, 3600);
		for (uint64_t q = 1; q <= 20; q++)
			assert_int_equal(replay_check(&sa->replay, q), q == 7);
		assert_true(receive(sa, 7));
		assert_true(receive(sa, 21));
		assert_false(receive(sa, 21));
		umk_stack_free(s);
	}
}

/* replay_carry against a model: the set of numbers seen, and the top. */
static void test_carry_vs_model(void **state)
{
	static const uint32_t sizes[] = { 0, 32, 64, 100, 1000, 4096, 65536 };
	srand(4303);
	for (size_t a = 0; a < sizeof(sizes) / sizeof(sizes[0]); a++)
		for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
			struct ipsec_replay from, to;
			assert_int_equal(replay_init(&from, sizes[a], true), 0);
			uint64_t top = 0;
			uint8_t *seen = calloc(200000, 1);
			assert_non_null(seen);
			for (int k = 0; k < 3000; k++) {
				uint64_t q = top + 1 + (uint64_t)(rand() % 120) - 60;
				if (q == 0 || q >= 200000 || !replay_check(&from, q))
					continue;
				replay_update(&from, q);
				seen[q] = 1;
				if (q > top)
					top = q;
			}
			assert_int_equal(replay_init(&to, sizes[b], true), 0);
			replay_carry(&to, &from);
			assert_true(to.top == top);
			/* both windows' rounded sizes: what replay_init made of the requests */
			uint64_t wf = from.size, wt = to.size;
			for (uint64_t q = 1; q <= top + 5; q++) {
				bool want;
				if (q > top)
					want = true;
				else if (!wt)
					want = true;            /* anti-replay off in the new window */
				else if (top - q >= wt)
					want = false;           /* left of the new window */
				else if (!wf || top - q >= wf)
					want = true;            /* the old window knew nothing there */
				else
					want = !seen[q];
				assert_int_equal(replay_check(&to, q), want);
			}
			free(seen);
			replay_fini(&from);
			replay_fini(&to);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_keeps_window),
		cmocka_unit_test(test_carry_vs_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
