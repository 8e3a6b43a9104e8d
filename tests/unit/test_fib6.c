/*
 * test_fib6.c - the FIB (ip6/fib): tables of longest-match cases (default route, /0 and
 * /128 edges, nesting, deletes revealing the shorter prefix, replace, zones, limits, the
 * short-table / direct-table / node boundaries at /16, /17, /18, /19), a randomized
 * comparison with a linear-scan model over thousands of nested prefixes, short prefixes
 * changed under a full table (which must leave the nodes alone), and a reader thread that
 * must see only the old or the new answer while long and short prefixes change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ip6/fib/fib6.h"

static void P(const char *s, uint8_t a[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

/* ---- tables of cases ----------------------------------------------------------------- */

enum { END, INS, DEL, LOOK };

struct step {
	int op;
	uint32_t zone;
	const char *addr;
	unsigned plen;       /* INS/DEL */
	uint32_t value;      /* INS: next hop; LOOK: expected; DEL: expected return */
};

#define NONE FIB6_NONE

static void run_steps(const struct step *st)
{
	struct fib6 *f = fib6_new(1000);
	assert_non_null(f);
	for (int i = 0; st[i].op != END; i++) {
		uint8_t a[16];
		P(st[i].addr, a);
		switch (st[i].op) {
		case INS:
			assert_int_equal(fib6_insert(f, st[i].zone, a, st[i].plen, st[i].value), 0);
			break;
		case DEL:
			assert_int_equal(fib6_delete(f, st[i].zone, a, st[i].plen), (int)st[i].value);
			break;
		case LOOK: {
			uint32_t got = fib6_lookup(f, st[i].zone, a), batch;
			const uint8_t (*one)[16] = (const uint8_t (*)[16])a;
			fib6_lookup_batch(f, st[i].zone, one, &batch, 1);
			if (got != st[i].value || batch != st[i].value)
				fail_msg("step %d: lookup %s zone %u = %u / batch %u, want %u", i,
					 st[i].addr, st[i].zone, got, batch, st[i].value);
			break;
		}
		}
		fib6_quiesce(f);
	}
	struct fib6_stats s;
	fib6_stats(f, &s);
	assert_int_equal(s.limbo_bytes, 0);
	fib6_free(f);
}

static void test_default_and_edges(void **state)
{
	static const struct step st[] = {
		{ LOOK, 0, "2001:db8::1", 0, NONE },
		{ INS, 0, "::", 0, 7 },
		{ LOOK, 0, "2001:db8::1", 0, 7 },
		{ LOOK, 0, "::", 0, 7 },
		{ LOOK, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 7 },
		{ INS, 0, "2001:db8::1", 128, 9 },
		{ LOOK, 0, "2001:db8::1", 0, 9 },
		{ LOOK, 0, "2001:db8::", 0, 7 },
		{ LOOK, 0, "2001:db8::2", 0, 7 },
		{ INS, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128, 3 },
		{ LOOK, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 3 },
		{ LOOK, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 0, 7 },
		{ INS, 0, "8000::", 1, 4 },
		{ LOOK, 0, "8000::", 0, 4 },
		{ LOOK, 0, "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 7 },
		{ LOOK, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 0, 4 },
		{ INS, 0, "2001:db8::", 127, 5 },   /* the /128 beside it stays */
		{ LOOK, 0, "2001:db8::", 0, 5 },
		{ LOOK, 0, "2001:db8::1", 0, 9 },
		{ LOOK, 0, "2001:db8::2", 0, 7 },
		{ DEL, 0, "::", 0, 0 },
		{ LOOK, 0, "2001:db8::2", 0, NONE },
		{ LOOK, 0, "2001:db8::1", 0, 9 },
		{ DEL, 0, "::", 0, -ENOENT },
		{ END },
	};
	run_steps(st);
}

static void test_nested(void **state)
{
	/* lengths around the direct table (18) and stride (6) boundaries */
	static const struct step st[] = {
		{ INS, 0, "2000::", 3, 1 },
		{ INS, 0, "2001::", 16, 2 },
		{ INS, 0, "2001::", 17, 3 },
		{ INS, 0, "2001::", 18, 4 },
		{ INS, 0, "2001::", 19, 5 },
		{ INS, 0, "2001:db8::", 32, 6 },
		{ INS, 0, "2001:db8:1::", 48, 7 },
		{ INS, 0, "2001:db8:1:2::", 64, 8 },
		{ INS, 0, "2001:db8:1:2::", 65, 9 },
		{ LOOK, 0, "2001:db8:1:2::1", 0, 9 },
		{ LOOK, 0, "2001:db8:1:2:8000::1", 0, 8 },
		{ LOOK, 0, "2001:db8:1:3::", 0, 7 },
		{ LOOK, 0, "2001:db8:2::", 0, 6 },
		{ LOOK, 0, "2001:db9::", 0, 5 },
		{ LOOK, 0, "2001:2000::", 0, 4 },
		{ LOOK, 0, "2001:4000::", 0, 3 },
		{ LOOK, 0, "2001:8000::", 0, 2 },
		{ LOOK, 0, "2002::", 0, 1 },
		{ LOOK, 0, "4000::", 0, NONE },
		/* deletes reveal the next shorter prefix */
		{ DEL, 0, "2001:db8:1:2::", 65, 0 },
		{ LOOK, 0, "2001:db8:1:2::1", 0, 8 },
		{ DEL, 0, "2001:db8:1::", 48, 0 },
		{ LOOK, 0, "2001:db8:1:2::1", 0, 8 },
		{ LOOK, 0, "2001:db8:1:3::", 0, 6 },
		{ DEL, 0, "2001::", 18, 0 },
		{ LOOK, 0, "2001:db9::", 0, 5 },
		{ LOOK, 0, "2001:2000::", 0, 3 },
		{ DEL, 0, "2001::", 17, 0 },
		{ LOOK, 0, "2001:2000::", 0, 2 },
		{ DEL, 0, "2001::", 16, 0 },
		{ LOOK, 0, "2001:2000::", 0, 1 },
		{ LOOK, 0, "2001:db8:1:2::1", 0, 8 },
		{ DEL, 0, "2001::", 16, -ENOENT },
		{ DEL, 0, "2001:db8::", 33, -ENOENT },
		{ END },
	};
	run_steps(st);
}

static void test_short_boundaries(void **state)
{
	/* zone 0: prefixes up to /16 live in the short table, /17 and /18 are pushed into the
	 * direct table (2^18 entries), longer ones into nodes; a walk that ends on "no route"
	 * in a node falls back to the short table */
	static const struct step st[] = {
		{ INS, 0, "2001::", 16, 1 },
		{ LOOK, 0, "2001:4000::", 0, 1 },          /* a direct leaf entry */
		{ INS, 0, "2001:8000::", 17, 2 },
		{ INS, 0, "2001:4000::", 18, 3 },
		{ INS, 0, "2001:0:1::", 48, 4 },           /* a node under the /16 only */
		{ INS, 0, "2001:8000:1::", 48, 5 },        /* a node under the /17 */
		{ LOOK, 0, "2001:0:1::1", 0, 4 },
		{ LOOK, 0, "2001:0:2::1", 0, 1 },          /* node walk ends empty: the /16 */
		{ LOOK, 0, "2001:8000:1::1", 0, 5 },
		{ LOOK, 0, "2001:8000:2::1", 0, 2 },       /* the /17 was pushed into the node */
		{ LOOK, 0, "2001:4000::1", 0, 3 },
		{ LOOK, 0, "2001:c000::1", 0, 2 },
		{ LOOK, 0, "2002::1", 0, NONE },
		{ INS, 0, "2001::", 16, 6 },               /* replace the short prefix */
		{ LOOK, 0, "2001:0:2::1", 0, 6 },
		{ LOOK, 0, "2001:0:1::1", 0, 4 },
		{ LOOK, 0, "2001:2000::", 0, 6 },
		{ LOOK, 0, "2001:8000:2::1", 0, 2 },
		{ INS, 0, "2000::", 3, 7 },                /* a shorter cover under them all */
		{ INS, 0, "::", 0, 8 },
		{ LOOK, 0, "2002::1", 0, 7 },
		{ LOOK, 0, "4000::1", 0, 8 },
		{ LOOK, 0, "2001:0:2::1", 0, 6 },
		{ DEL, 0, "2001::", 16, 0 },               /* the /3 shows through the node */
		{ LOOK, 0, "2001:0:2::1", 0, 7 },
		{ LOOK, 0, "2001:0:1::1", 0, 4 },
		{ LOOK, 0, "2001:2000::", 0, 7 },
		{ DEL, 0, "2000::", 3, 0 },
		{ LOOK, 0, "2001:0:2::1", 0, 8 },
		{ DEL, 0, "::", 0, 0 },
		{ LOOK, 0, "2001:0:2::1", 0, NONE },
		{ LOOK, 0, "2001:8000:2::1", 0, 2 },
		{ DEL, 0, "2001:8000::", 17, 0 },
		{ LOOK, 0, "2001:8000:2::1", 0, NONE },
		{ LOOK, 0, "2001:8000:1::1", 0, 5 },
		{ INS, 0, "2001::", 19, 9 },               /* the first node level */
		{ LOOK, 0, "2001:1fff::", 0, 9 },
		{ LOOK, 0, "2001:0:1::1", 0, 4 },
		{ LOOK, 0, "2001:2000::", 0, NONE },
		{ END },
	};
	run_steps(st);
}

static void test_replace(void **state)
{
	static const struct step st[] = {
		{ INS, 0, "2001:db8::", 32, 1 },
		{ INS, 0, "2001:db8:1::", 48, 2 },
		{ INS, 0, "2001:db8::", 32, 3 },           /* replace */
		{ LOOK, 0, "2001:db8:2::", 0, 3 },
		{ LOOK, 0, "2001:db8:1::", 0, 2 },
		{ INS, 0, "2001:db8:1::", 48, 3 },         /* same as the cover: folds */
		{ LOOK, 0, "2001:db8:1::", 0, 3 },
		{ INS, 0, "2001:db8:1::ff", 48, 4 },       /* bits past plen ignored */
		{ LOOK, 0, "2001:db8:1::", 0, 4 },
		{ DEL, 0, "2001:db8:1::1", 48, 0 },
		{ LOOK, 0, "2001:db8:1::", 0, 3 },
		{ END },
	};
	run_steps(st);
}

static void test_zones(void **state)
{
	static const struct step st[] = {
		{ INS, 0, "::", 0, 1 },
		{ INS, 2, "fe80::", 64, 20 },
		{ INS, 3, "fe80::", 64, 30 },
		{ INS, 3, "fe80::1", 128, 31 },
		{ INS, 3, "fe80::", 10, 32 },      /* a zone's short table (its 10-bit direct table) */
		{ INS, 3, "::", 0, 33 },
		{ LOOK, 3, "fe80:0:0:1::1", 0, 32 },
		{ LOOK, 3, "2001:db8::", 0, 33 },
		{ LOOK, 3, "fe80::1", 0, 31 },
		{ DEL, 3, "fe80::", 10, 0 },
		{ LOOK, 3, "fe80:0:0:1::1", 0, 33 },
		{ DEL, 3, "::", 0, 0 },
		{ LOOK, 3, "fe80:0:0:1::1", 0, NONE },
		{ LOOK, 2, "fe80::1", 0, 20 },
		{ LOOK, 3, "fe80::1", 0, 31 },
		{ LOOK, 3, "fe80::2", 0, 30 },
		{ LOOK, 0, "fe80::1", 0, 1 },      /* zone 0 does not see scoped routes */
		{ LOOK, 4, "fe80::1", 0, NONE },   /* nor a zone its default */
		{ LOOK, 2, "2001:db8::", 0, NONE },
		{ DEL, 2, "fe80::", 64, 0 },
		{ LOOK, 2, "fe80::1", 0, NONE },
		{ LOOK, 3, "fe80::2", 0, 30 },
		{ DEL, 4, "fe80::", 64, -ENOENT },
		{ END },
	};
	run_steps(st);
}

static void test_limits(void **state)
{
	struct fib6 *f = fib6_new(2);
	uint8_t a[16];
	P("2001:db8::", a);
	assert_int_equal(fib6_insert(f, 0, a, 129, 1), -EINVAL);
	assert_int_equal(fib6_insert(f, 0, a, 32, FIB6_NEXTHOP_MAX + 1), -EINVAL);
	assert_int_equal(fib6_insert(f, 0, a, 32, 1), 0);
	assert_int_equal(fib6_insert(f, 0, a, 33, 1), 0);
	assert_int_equal(fib6_insert(f, 0, a, 34, 1), -ENOSPC);
	assert_int_equal(fib6_insert(f, 5, a, 34, 1), -ENOSPC);
	assert_int_equal(fib6_insert(f, 0, a, 33, 2), 0);  /* replace needs no room */
	assert_int_equal(fib6_lookup(f, 0, a), 2);
	assert_int_equal(fib6_delete(f, 0, a, 33), 0);
	assert_int_equal(fib6_insert(f, 0, a, 34, 1), 0);
	struct fib6_stats s;
	fib6_stats(f, &s);
	assert_int_equal(s.prefixes, 2);
	fib6_free(f);
}

/* ---- randomized, against a linear scan ----------------------------------------------- */

struct model_route {
	uint32_t zone;
	uint8_t a[16];
	unsigned plen;
	uint32_t nh;
	bool live;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void mask_to(uint8_t a[16], unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
		if (bits < 8)
			a[i] &= (uint8_t)(0xff00 >> bits);
	}
}

static bool covers(const uint8_t p[16], unsigned plen, const uint8_t a[16])
{
	uint8_t x[16];
	memcpy(x, a, 16);
	mask_to(x, plen);
	return memcmp(x, p, 16) == 0;
}

static uint32_t model_lookup(const struct model_route *m, size_t n, uint32_t zone,
			     const uint8_t a[16])
{
	int best = -1;
	uint32_t nh = FIB6_NONE;
	for (size_t i = 0; i < n; i++)
		if (m[i].live && m[i].zone == zone && (int)m[i].plen > best &&
		    covers(m[i].a, m[i].plen, a)) {
			best = (int)m[i].plen;
			nh = m[i].nh;
		}
	return nh;
}

/* A prefix nested under an earlier one half the time, lengths spread over /0../128 but
 * crowded where real tables are (/29../48) and around the structure's boundaries. */
static void random_prefix(const struct model_route *m, size_t n, uint8_t a[16], unsigned *plen)
{
	static const unsigned common[] = { 0, 1, 8, 12, 16, 17, 18, 19, 24, 29, 32, 32, 36,
					   40, 44, 48, 48, 48, 54, 60, 64, 64, 66, 96, 120, 127,
					   128 };
	for (int i = 0; i < 16; i += 8) {
		uint64_t r = rnd();
		memcpy(a + i, &r, 8);
	}
	a[0] = (uint8_t)(0x20 | (a[0] & 0x0f));  /* keep most in 2000::/4 so they collide */
	*plen = (rnd() & 3) ? common[rnd() % (sizeof(common) / sizeof(common[0]))]
			    : (unsigned)(rnd() % 129);
	if (n && (rnd() & 1)) {
		const struct model_route *up = &m[rnd() % n];
		if (up->plen < 128) {
			unsigned keep = up->plen;
			for (unsigned b = 0; b < keep; b++) {
				uint8_t bit = (uint8_t)(0x80 >> (b % 8));
				a[b / 8] = (uint8_t)((a[b / 8] & ~bit) | (up->a[b / 8] & bit));
			}
			if (*plen <= keep)
				*plen = keep + 1 + (unsigned)(rnd() % (128 - keep));
		}
	}
	mask_to(a, *plen);
}

/* An address inside a random prefix, at its first or last address or anywhere. */
static void probe_addr(const struct model_route *m, size_t n, uint8_t a[16])
{
	for (int i = 0; i < 16; i += 8) {
		uint64_t r = rnd();
		memcpy(a + i, &r, 8);
	}
	if (!n || (rnd() % 4) == 0)
		return;
	const struct model_route *r = &m[rnd() % n];
	unsigned how = (unsigned)(rnd() % 3);
	for (unsigned b = 0; b < 128; b++) {
		uint8_t bit = (uint8_t)(0x80 >> (b % 8));
		uint8_t v = b < r->plen ? (r->a[b / 8] & bit) : how == 0 ? 0 : how == 1 ? bit
										: (a[b / 8] & bit);
		a[b / 8] = (uint8_t)((a[b / 8] & ~bit) | v);
	}
}

static void random_round(uint64_t seed, unsigned ops, unsigned nzones)
{
	enum { CAP = 6000, PROBES = 64 };
	struct model_route *m = calloc(CAP, sizeof(*m));
	size_t n = 0;
	struct fib6 *f = fib6_new(CAP);
	rng_state = seed;
	for (unsigned op = 0; op < ops; op++) {
		uint32_t zone = nzones ? (uint32_t)(rnd() % (nzones + 1)) : 0;
		unsigned what = (unsigned)(rnd() % 10);
		if (what < 6 || n == 0) {
			uint8_t a[16];
			unsigned plen;
			random_prefix(m, n, a, &plen);
			uint32_t nh = (uint32_t)(rnd() % 40);
			assert_int_equal(fib6_insert(f, zone, a, plen, nh), 0);
			size_t i;
			for (i = 0; i < n; i++)
				if (m[i].zone == zone && m[i].plen == plen && !memcmp(m[i].a, a, 16))
					break;
			if (i == n) {
				assert_true(n < CAP);
				n++;
			}
			m[i] = (struct model_route){ .zone = zone, .plen = plen, .nh = nh,
						     .live = true };
			memcpy(m[i].a, a, 16);
		} else {
			struct model_route *r = &m[rnd() % n];
			int want = r->live ? 0 : -ENOENT;
			assert_int_equal(fib6_delete(f, r->zone, r->a, r->plen), want);
			r->live = false;
		}
		if (rnd() % 4 == 0)
			fib6_quiesce(f);
		uint8_t probes[PROBES][16];
		uint32_t got[PROBES];
		for (int p = 0; p < PROBES; p++)
			probe_addr(m, n, probes[p]);
		fib6_lookup_batch(f, zone, (const uint8_t (*)[16])probes, got, PROBES);
		for (int p = 0; p < PROBES; p++) {
			uint32_t want = model_lookup(m, n, zone, probes[p]);
			uint32_t one = fib6_lookup(f, zone, probes[p]);
			if (one != want || got[p] != want) {
				char s[64];
				inet_ntop(AF_INET6, probes[p], s, sizeof(s));
				fail_msg("seed %llu op %u: %s zone %u = %u / batch %u, model %u",
					 (unsigned long long)seed, op, s, zone, one, got[p], want);
			}
		}
	}
	/* delete everything: the structure must give back all its blocks */
	for (size_t i = 0; i < n; i++)
		if (m[i].live)
			assert_int_equal(fib6_delete(f, m[i].zone, m[i].a, m[i].plen), 0);
	fib6_quiesce(f);
	struct fib6_stats s;
	fib6_stats(f, &s);
	assert_int_equal(s.prefixes, 0);
	assert_int_equal(s.nodes, 0);
	assert_int_equal(s.leaves, 0);
	fib6_free(f);
	free(m);
}

static void test_random_model(void **state)
{
	for (uint64_t seed = 1; seed <= 4; seed++)
		random_round(seed * 0x9e3779b97f4a7c15ull, 2500, 0);
}

static void test_random_model_zones(void **state)
{
	random_round(0x1234567, 2000, 3);
}

/* Short prefixes (::/0 .. /16) changed under a table of thousands of longer ones: every
 * answer must match the model, and the nodes and leaves must not change at all -- the
 * short table answers for them, nothing is pushed into the nodes. */
static void test_short_under_full_table(void **state)
{
	enum { CAP = 3000, PROBES = 1024 };
	struct model_route *m = calloc(CAP + 16, sizeof(*m));
	size_t n = 0;
	struct fib6 *f = fib6_new(CAP + 16);
	rng_state = 0xfeedface;
	while (n < CAP) {
		uint8_t a[16];
		unsigned plen;
		random_prefix(m, n, a, &plen);
		if (plen <= 16)
			continue;
		uint32_t nh = (uint32_t)(rnd() % 40);
		size_t i;
		for (i = 0; i < n; i++)
			if (m[i].plen == plen && !memcmp(m[i].a, a, 16))
				break;
		assert_int_equal(fib6_insert(f, 0, a, plen, nh), 0);
		m[i] = (struct model_route){ .plen = plen, .nh = nh, .live = true };
		memcpy(m[i].a, a, 16);
		if (i == n)
			n++;
	}
	fib6_quiesce(f);
	struct fib6_stats before, after;
	fib6_stats(f, &before);
	static const struct { const char *a; unsigned plen; } shorts[] = {
		{ "::", 0 }, { "2000::", 3 }, { "2000::", 4 }, { "2000::", 8 },
		{ "2400::", 6 }, { "2000::", 12 }, { "2001::", 16 }, { "2a00::", 15 },
	};
	enum { NS = sizeof(shorts) / sizeof(shorts[0]) };
	for (int round = 0; round < 3; round++) {
		for (unsigned k = 0; k < NS; k++) {
			/* add them one at a time (round 0), change their next hops (1), remove (2) */
			struct model_route *r = &m[n + k];
			if (round == 0) {
				*r = (struct model_route){ .plen = shorts[k].plen, .nh = 100 + k,
							   .live = true };
				P(shorts[k].a, r->a);
				assert_int_equal(fib6_insert(f, 0, r->a, r->plen, r->nh), 0);
			} else if (round == 1) {
				r->nh = 200 + k;
				assert_int_equal(fib6_insert(f, 0, r->a, r->plen, r->nh), 0);
			} else {
				r->live = false;
				assert_int_equal(fib6_delete(f, 0, r->a, r->plen), 0);
			}
			fib6_quiesce(f);
			fib6_stats(f, &after);
			assert_int_equal(after.nodes, before.nodes);
			assert_int_equal(after.leaves, before.leaves);
			static uint8_t probes[PROBES][16];
			static uint32_t got[PROBES];
			for (int p = 0; p < PROBES; p++)
				probe_addr(m, n + NS, probes[p]);
			fib6_lookup_batch(f, 0, (const uint8_t (*)[16])probes, got, PROBES);
			for (int p = 0; p < PROBES; p++) {
				uint32_t want = model_lookup(m, n + NS, 0, probes[p]);
				uint32_t one = fib6_lookup(f, 0, probes[p]);
				if (one != want || got[p] != want) {
					char txt[64];
					inet_ntop(AF_INET6, probes[p], txt, sizeof(txt));
					fail_msg("round %d short %u: %s = %u / batch %u, model %u", round,
						 k, txt, one, got[p], want);
				}
			}
		}
	}
	fib6_free(f);
	free(m);
}

/* ---- a reader thread during updates -------------------------------------------------- */

struct reader {
	struct fib6 *f;
	volatile bool stop;
	unsigned long bad, reads;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	uint8_t addrs[4][16];
	uint32_t got[4];
	P("2001:db8:0:77::1", addrs[0]);  /* inside the toggled /64s: old or new, 1 or 2 */
	P("2001:db9::1", addrs[1]);       /* outside them: always 1 */
	P("4000::1", addrs[2]);           /* only the toggled ::/0 covers it: 3 or none */
	P("2001:db8:0:1:ffff::", addrs[3]);  /* under a /64 too: 1 or 2, never the default */
	while (!r->stop) {
		uint32_t a = fib6_lookup(r->f, 0, addrs[0]), b = fib6_lookup(r->f, 0, addrs[1]);
		uint32_t c = fib6_lookup(r->f, 0, addrs[2]);
		if ((a != 1 && a != 2) || b != 1 || (c != 3 && c != FIB6_NONE))
			r->bad++;
		fib6_lookup_batch(r->f, 0, (const uint8_t (*)[16])addrs, got, 4);
		if ((got[0] != 1 && got[0] != 2) || got[1] != 1 ||
		    (got[2] != 3 && got[2] != FIB6_NONE) || (got[3] != 1 && got[3] != 2))
			r->bad++;
		r->reads++;
	}
	return NULL;
}

static void test_concurrent_reader(void **state)
{
	/* No fib6_quiesce while the reader runs: that is the contract. */
	struct reader r = { .f = fib6_new(100000) };
	uint8_t a[16];
	P("2000::", a);
	assert_int_equal(fib6_insert(r.f, 0, a, 4, 1), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
	uint8_t dflt[16] = { 0 };
	for (int round = 0; round < 40; round++) {
		/* the default route comes and goes through the short table meanwhile */
		if (round & 1)
			assert_int_equal(fib6_delete(r.f, 0, dflt, 0), 0);
		else
			assert_int_equal(fib6_insert(r.f, 0, dflt, 0, 3), 0);
		for (int i = 0; i < 256; i++) {
			P("2001:db8::", a);
			a[6] = (uint8_t)(i >> 8);
			a[7] = (uint8_t)i;
			if (round & 1)
				assert_int_equal(fib6_delete(r.f, 0, a, 64), 0);
			else
				assert_int_equal(fib6_insert(r.f, 0, a, 64, 2), 0);
		}
	}
	r.stop = true;
	pthread_join(th, NULL);
	fib6_quiesce(r.f);
	assert_int_equal(r.bad, 0);
	assert_true(r.reads > 0);
	fib6_free(r.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_and_edges),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_short_boundaries),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_random_model_zones),
		cmocka_unit_test(test_short_under_full_table),
		cmocka_unit_test(test_concurrent_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
