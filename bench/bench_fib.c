/*
 * bench_fib.c - the FIB of issue 4 on one core: umikame's Poptrie (ip6/fib), the plain
 * path-compressed binary radix trie it keeps as its control plane (the BSD radix walk), and,
 * when built with DPDK, rte_fib6 and rte_lpm6, all loaded with the same prefixes in one run.
 *
 *   bench_fib [TABLE] [--quick] [--callgrind] [--grown] [--only NAME]
 *
 * TABLE defaults to ../shared/data/ipv6-fib-2021.txt beside the repository (105,363 real BGP
 * prefixes). Each structure is measured on that table and on it grown to 220,000 prefixes as
 * the data README says: synthetic prefixes with the real length distribution inside the RIR
 * /12 blocks, half nested under an existing shorter prefix, from a fixed seed.
 *
 * Lookups are timed over pre-generated address arrays (no I/O, no generation in the loop);
 * every result is folded into a checksum that is printed, and the checksums of all
 * structures must agree. Sets: "random" (uniform over all 2^128), "2000::/3" (uniform over
 * global unicast), "in-table" (a random address inside a random prefix of the table).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ip6/fib/fib6.h"
#include "ip6/fib/fib6_int.h"

#ifdef UMK_BENCH_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_fib6.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#endif

#define GROWN 220000
#define NADDR (1u << 20)
#define BATCH 64

struct prefix {
	uint8_t a[16];
	uint8_t plen;
	uint16_t nh;
};

static bool quick;
static bool dpdk_ok;
static const char *only;        /* --only NAME: just the structures whose name has NAME */
static bool grown_only;         /* --grown: skip the 105k table */
static bool levels;             /* --levels: depth histograms instead of timings */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x2021011700c0ffeeull;

static uint64_t rnd(void)
{
	/* splitmix64: deterministic across runs and machines */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rnd_bytes(uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = rnd();
		memcpy(a + i, &r, n - i < 8 ? n - i : 8);
	}
}

/* ---- the table ----------------------------------------------------------------------- */

static struct prefix *load(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bench_fib: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	size_t cap = 1 << 17, k = 0;
	struct prefix *p = malloc(cap * sizeof(*p));
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		char *slash = strchr(line, '/');
		if (!slash)
			continue;
		*slash = 0;
		char *end;
		unsigned long plen = strtoul(slash + 1, &end, 10);
		unsigned long nh = strtoul(end, NULL, 10);
		if (k == cap)
			p = realloc(p, (cap *= 2) * sizeof(*p));
		if (inet_pton(AF_INET6, line, p[k].a) != 1 || plen > 128 || nh > FIB6_NEXTHOP_MAX) {
			fprintf(stderr, "bench_fib: bad line %zu in %s\n", k + 1, path);
			exit(1);
		}
		p[k].plen = (uint8_t)plen;
		p[k].nh = (uint16_t)nh;
		k++;
	}
	fclose(f);
	*n = k;
	return p;
}

/* Set of (prefix, plen) seen, open addressing. */
struct seen {
	fib6_key *k;
	uint8_t *l;
	size_t cap;
};

static bool seen_add(struct seen *s, fib6_key k, unsigned plen)
{
	uint64_t h = (uint64_t)(k >> 64) * 0x9e3779b97f4a7c15ull ^ (uint64_t)k * 0xc2b2ae3d27d4eb4full;
	h ^= plen * 0x165667b19e3779f9ull;
	for (size_t i = (h >> 20) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->l[i]) {
			s->k[i] = k;
			s->l[i] = (uint8_t)(plen + 1);
			return true;
		}
		if (s->l[i] == plen + 1 && s->k[i] == k)
			return false;
	}
}

static void mask_to(uint8_t a[16], unsigned plen)
{
	fib6_key_store(fib6_key_load(a) & fib6_mask(plen), a);
}

/* The README's recipe for today's table size. */
static struct prefix *grow_table(const struct prefix *real, size_t n, size_t want)
{
	static const struct { uint8_t a0, a1; unsigned len; } rir[] = {
		{ 0x20, 0x01, 16 }, { 0x24, 0x00, 12 }, { 0x26, 0x00, 12 },
		{ 0x28, 0x00, 12 }, { 0x2a, 0x00, 12 }, { 0x2c, 0x00, 12 },
	};
	struct prefix *p = malloc(want * sizeof(*p));
	struct seen s = { .cap = 1u << 20 };
	s.k = calloc(s.cap, sizeof(*s.k));
	s.l = calloc(s.cap, 1);
	memcpy(p, real, n * sizeof(*p));
	for (size_t i = 0; i < n; i++)
		seen_add(&s, fib6_key_load(p[i].a), p[i].plen);
	size_t k = n;
	while (k < want) {
		struct prefix x;
		x.plen = real[rnd() % n].plen;  /* the real length distribution */
		x.nh = real[rnd() % n].nh;
		rnd_bytes(x.a, 16);
		if (rnd() & 1) {
			/* nested: under an existing shorter prefix */
			const struct prefix *up = NULL;
			for (int tries = 0; tries < 32 && !up; tries++) {
				const struct prefix *c = &p[rnd() % k];
				if (c->plen < x.plen)
					up = c;
			}
			if (!up)
				continue;
			fib6_key m = fib6_mask(up->plen);
			fib6_key_store((fib6_key_load(up->a) & m) | (fib6_key_load(x.a) & ~m), x.a);
		} else {
			unsigned b = (unsigned)(rnd() % (sizeof(rir) / sizeof(rir[0])));
			x.a[0] = rir[b].a0;
			x.a[1] = rir[b].len == 16 ? rir[b].a1 : (uint8_t)(x.a[1] & 0x0f);
		}
		mask_to(x.a, x.plen);
		if (seen_add(&s, fib6_key_load(x.a), x.plen))
			p[k++] = x;
	}
	free(s.k);
	free(s.l);
	return p;
}

/* ---- address sets -------------------------------------------------------------------- */

enum { SET_RANDOM, SET_GLOBAL, SET_INSIDE, NSETS };
static const char *set_name[NSETS] = { "random", "2000::/3", "in-table" };

static void make_addrs(uint8_t (*a)[16], int set, const struct prefix *p, size_t n)
{
	for (size_t i = 0; i < NADDR; i++) {
		rnd_bytes(a[i], 16);
		if (set == SET_GLOBAL) {
			a[i][0] = (uint8_t)(0x20 | (a[i][0] & 0x1f));
		} else if (set == SET_INSIDE) {
			const struct prefix *x = &p[rnd() % n];
			fib6_key m = fib6_mask(x->plen);
			fib6_key_store((fib6_key_load(x->a) & m) | (fib6_key_load(a[i]) & ~m), a[i]);
		}
	}
}

/* ---- the structures under test ------------------------------------------------------- */

struct subject {
	const char *name;
	void *(*build)(const struct prefix *p, size_t n, size_t *bytes);
	void (*destroy)(void *t);
	uint32_t (*one)(void *t, const uint8_t *a);
	void (*batch)(void *t, const uint8_t (*a)[16], uint32_t *out, unsigned n);
	int (*insert)(void *t, const struct prefix *p);
	int (*delete)(void *t, const struct prefix *p);
};

struct update_times {
	double sum, worst;
	size_t n;
};

static void time_op(struct update_times *u, double t)
{
	u->sum += t;
	u->n++;
	if (t > u->worst)
		u->worst = t;
}

static struct update_times load_times;

/* umikame */
static int um_insert(void *t, const struct prefix *p)
{
	int r = fib6_insert(t, 0, p->a, p->plen, p->nh);
	fib6_quiesce(t);  /* part of the update's cost */
	return r;
}

static int um_delete(void *t, const struct prefix *p)
{
	int r = fib6_delete(t, 0, p->a, p->plen);
	fib6_quiesce(t);
	return r;
}

static void *um_build(const struct prefix *p, size_t n, size_t *bytes)
{
	struct fib6 *f = fib6_new((uint32_t)n + 1000);
	for (size_t i = 0; i < n; i++) {
		double t0 = now_s();
		if (um_insert(f, &p[i]) < 0)
			abort();
		time_op(&load_times, now_s() - t0);
	}
	struct fib6_stats st;
	fib6_stats(f, &st);
	*bytes = st.lookup_bytes;
	printf("  umikame: %u nodes, %u leaves; lookup structure %.1f MiB; with control plane "
	       "%.1f MiB (%.1f B/prefix); %s walk\n", st.nodes, st.leaves,
	       st.lookup_bytes / 1048576.0, (st.lookup_bytes + st.control_bytes) / 1048576.0,
	       (double)(st.lookup_bytes + st.control_bytes) / (double)n,
	       f->fast ? "POPCNT+BMI2" : "plain");
	return f;
}

static void um_destroy(void *t) { fib6_free(t); }
static uint32_t um_one(void *t, const uint8_t *a) { return fib6_lookup(t, 0, a); }
static void um_batch(void *t, const uint8_t (*a)[16], uint32_t *out, unsigned n)
{
	fib6_lookup_batch(t, 0, a, out, n);
}

/* the plain binary radix trie */
static int rx_insert(void *t, const struct prefix *p)
{
	uint32_t old;
	return fib6_radix_insert(t, fib6_key_load(p->a), p->plen, p->nh, &old) < 0 ? -1 : 0;
}

static int rx_delete(void *t, const struct prefix *p)
{
	uint32_t old;
	return fib6_radix_delete(t, fib6_key_load(p->a), p->plen, &old);
}

static void *rx_build(const struct prefix *p, size_t n, size_t *bytes)
{
	struct fib6_radix *r = calloc(1, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		double t0 = now_s();
		if (rx_insert(r, &p[i]) < 0)
			abort();
		time_op(&load_times, now_s() - t0);
	}
	*bytes = (size_t)r->nodes * sizeof(struct fib6_rnode);
	return r;
}

static void rx_destroy(void *t)
{
	fib6_radix_free(t);
	free(t);
}

static uint32_t rx_one(void *t, const uint8_t *a) { return fib6_radix_lookup(t, fib6_key_load(a)); }
static void rx_batch(void *t, const uint8_t (*a)[16], uint32_t *out, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = fib6_radix_lookup(t, fib6_key_load(a[i]));
}

#ifdef UMK_BENCH_DPDK
#define DPDK_NONE 0xffff
static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;
	rte_malloc_get_socket_stats(0, &st);
	return st.heap_allocsz_bytes;
}

static int df_insert(void *t, const struct prefix *p)
{
	return rte_fib6_add(t, p->a, p->plen, p->nh);
}

static int df_delete(void *t, const struct prefix *p)
{
	return rte_fib6_delete(t, p->a, p->plen);
}

static void *df_build(const struct prefix *p, size_t n, size_t *bytes)
{
	static int seq;
	char name[32];
	snprintf(name, sizeof(name), "fib6_%d", seq++);
	/* 4-byte next hops: the 2-byte variant allows only 32767 tbl8 groups */
	struct rte_fib6_conf conf = { .type = RTE_FIB6_TRIE, .default_nh = DPDK_NONE,
				      .max_routes = (int)n + 1000,
				      .trie = { .nh_sz = RTE_FIB6_TRIE_4B,
						.num_tbl8 = (uint32_t)(n * 3 / 2 + 4096) } };
	size_t before = heap_used();
	struct rte_fib6 *f = rte_fib6_create(name, 0, &conf);
	if (!f) {
		printf("  rte_fib6_create: %s\n", rte_strerror(rte_errno));
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		double t0 = now_s();
		if (df_insert(f, &p[i]) < 0) {
			printf("  rte_fib6_add failed at %zu\n", i);
			rte_fib6_free(f);
			return NULL;
		}
		time_op(&load_times, now_s() - t0);
	}
	*bytes = heap_used() - before;
	return f;
}

static void df_destroy(void *t) { rte_fib6_free(t); }

static void df_batch(void *t, const uint8_t (*a)[16], uint32_t *out, unsigned n)
{
	uint64_t nh[BATCH];
	for (unsigned i = 0; i < n; i += BATCH) {
		unsigned m = n - i < BATCH ? n - i : BATCH;
		rte_fib6_lookup_bulk(t, (uint8_t (*)[16])a[i], nh, (int)m);
		for (unsigned j = 0; j < m; j++)
			out[i + j] = nh[j] == DPDK_NONE ? FIB6_NONE : (uint32_t)nh[j];
	}
}

static uint32_t df_one(void *t, const uint8_t *a)
{
	uint64_t nh;
	rte_fib6_lookup_bulk(t, (uint8_t (*)[16])a, &nh, 1);
	return nh == DPDK_NONE ? FIB6_NONE : (uint32_t)nh;
}

static int dl_insert(void *t, const struct prefix *p)
{
	return rte_lpm6_add(t, p->a, p->plen, p->nh);
}

static int dl_delete(void *t, const struct prefix *p)
{
	return rte_lpm6_delete(t, p->a, p->plen);
}

static void *dl_build(const struct prefix *p, size_t n, size_t *bytes)
{
	static int seq;
	char name[32];
	snprintf(name, sizeof(name), "lpm6_%d", seq++);
	struct rte_lpm6_config conf = { .max_rules = (uint32_t)n + 1000,
					.number_tbl8s = (uint32_t)(n * 3 / 2 + 4096) };
	size_t before = heap_used();
	struct rte_lpm6 *l = rte_lpm6_create(name, 0, &conf);
	if (!l) {
		printf("  rte_lpm6_create: %s\n", rte_strerror(rte_errno));
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		double t0 = now_s();
		if (dl_insert(l, &p[i]) < 0) {
			printf("  rte_lpm6_add failed at %zu\n", i);
			rte_lpm6_free(l);
			return NULL;
		}
		time_op(&load_times, now_s() - t0);
	}
	*bytes = heap_used() - before;
	return l;
}

static void dl_destroy(void *t) { rte_lpm6_free(t); }

static void dl_batch(void *t, const uint8_t (*a)[16], uint32_t *out, unsigned n)
{
	int32_t nh[BATCH];
	for (unsigned i = 0; i < n; i += BATCH) {
		unsigned m = n - i < BATCH ? n - i : BATCH;
		rte_lpm6_lookup_bulk_func(t, (uint8_t (*)[16])a[i], nh, m);
		for (unsigned j = 0; j < m; j++)
			out[i + j] = nh[j] < 0 ? FIB6_NONE : (uint32_t)nh[j];
	}
}

static uint32_t dl_one(void *t, const uint8_t *a)
{
	uint32_t nh;
	return rte_lpm6_lookup(t, a, &nh) == 0 ? nh : FIB6_NONE;
}
#endif

static const struct subject subjects[] = {
	{ "umikame poptrie", um_build, um_destroy, um_one, um_batch, um_insert, um_delete },
	{ "binary radix", rx_build, rx_destroy, rx_one, rx_batch, rx_insert, rx_delete },
#ifdef UMK_BENCH_DPDK
	{ "dpdk rte_fib6", df_build, df_destroy, df_one, df_batch, df_insert, df_delete },
	{ "dpdk rte_lpm6", dl_build, dl_destroy, dl_one, dl_batch, dl_insert, dl_delete },
#endif
};
#define NSUBJECTS (sizeof(subjects) / sizeof(subjects[0]))

/* ---- measurement --------------------------------------------------------------------- */

static uint32_t *results;
static void levels_report(const struct fib6 *f, uint8_t (*a)[16], const char *name);

/* Lookups per second over the whole set, repeated until min_s has passed; *sum is the
 * checksum of one pass, so structures can be compared. */
static double measure(const struct subject *s, void *t, uint8_t (*a)[16], bool batched,
		      uint64_t *sum)
{
	double min_s = quick ? 0.05 : 0.2, t0 = now_s(), t1;
	uint64_t passes = 0, acc = 0, first = 0;
	do {
		if (batched) {
			for (unsigned i = 0; i < NADDR; i += BATCH)
				s->batch(t, (const uint8_t (*)[16])a[i], results + i, BATCH);
			for (unsigned i = 0; i < NADDR; i++)
				acc += results[i] * (uint64_t)(i | 1);
		} else {
			for (unsigned i = 0; i < NADDR; i++)
				acc += s->one(t, a[i]) * (uint64_t)(i | 1);
		}
		if (!passes++)
			first = acc;
		t1 = now_s();
	} while (t1 - t0 < min_s);
	*sum = first;
	return (double)(passes * NADDR) / (t1 - t0);
}

/* Deletes a sample and inserts it back, timing each. */
static void measure_updates(const struct subject *s, void *t, const struct prefix *p, size_t n,
			    struct update_times *del, struct update_times *ins)
{
	size_t k = quick ? 2000 : 20000;
	uint64_t saved = rng;
	rng = 0x5eed;
	size_t *pick = malloc(k * sizeof(*pick));
	for (size_t i = 0; i < k; i++)
		pick[i] = rnd() % n;
	for (size_t i = 0; i < k; i++) {
		double t0 = now_s();
		int r = s->delete(t, &p[pick[i]]);
		if (r == 0)  /* a repeated pick is already gone */
			time_op(del, now_s() - t0);
	}
	for (size_t i = 0; i < k; i++) {
		double t0 = now_s();
		s->insert(t, &p[pick[i]]);
		time_op(ins, now_s() - t0);
	}
	free(pick);
	rng = saved;
}

/* A default route added and removed under the full table: the worst update for a structure
 * that pushes leaves, since every slot without a longer match changes. */
static double default_route_ms(const struct subject *s, void *t)
{
	struct prefix d = { .plen = 0, .nh = 1 };
	double t0 = now_s();
	s->insert(t, &d);
	double t1 = now_s();
	s->delete(t, &d);
	double t2 = now_s();
	return ((t1 - t0) + (t2 - t1)) / 2 * 1e3;
}

static void run_table(const char *label, const struct prefix *p, size_t n, uint8_t (*addrs[NSETS])[16])
{
	printf("\n== %s: %zu prefixes ==\n", label, n);
	printf("%-16s %10s | %-21s | %-21s | %-21s | %12s %12s %12s\n", "", "bytes/pfx",
	       "random M/s 1 / batch", "2000::/3 M/s 1 / batch", "in-table M/s 1 / batch",
	       "load us avg/max", "del us avg/max", "ins us avg/max");
	uint64_t ref[NSETS][2];
	bool have_ref = false;
	if (levels) {
		size_t bytes;
		void *t = um_build(p, n, &bytes);
		for (int set = 0; set < NSETS; set++)
			levels_report(t, addrs[set], set_name[set]);
		um_destroy(t);
		return;
	}
	for (size_t si = 0; si < NSUBJECTS; si++) {
		const struct subject *s = &subjects[si];
		size_t bytes = 0;
		if (!strncmp(s->name, "dpdk", 4) && !dpdk_ok)
			continue;
		if (only && !strstr(s->name, only))
			continue;
		memset(&load_times, 0, sizeof(load_times));
		void *t = s->build(p, n, &bytes);
		if (!t)
			continue;
		struct update_times lt = load_times;
		double rate[NSETS][2];
		uint64_t sum[NSETS][2];
		for (int set = 0; set < NSETS; set++)
			for (int b = 0; b < 2; b++) {
				rate[set][b] = measure(s, t, addrs[set], b, &sum[set][b]);
				if (!have_ref)
					ref[set][b] = sum[set][b];
				else if (sum[set][b] != ref[set][0])
					printf("  MISMATCH: %s %s %s checksum %llx vs %llx\n", s->name,
					       set_name[set], b ? "batch" : "single",
					       (unsigned long long)sum[set][b],
					       (unsigned long long)ref[set][0]);
			}
		if (!have_ref)
			for (int set = 0; set < NSETS; set++)
				if (ref[set][1] != ref[set][0])
					printf("  MISMATCH: batch and single differ (%s)\n", set_name[set]);
		have_ref = true;
		struct update_times del = { 0 }, ins = { 0 };
		measure_updates(s, t, p, n, &del, &ins);
		double dflt = default_route_ms(s, t);
		printf("%-16s %10.1f | %9.1f / %9.1f | %9.1f / %9.1f | %9.1f / %9.1f | %5.2f/%6.0f %5.2f/%6.0f "
		       "%5.2f/%6.0f\n",
		       s->name, (double)bytes / (double)n, rate[0][0] / 1e6, rate[0][1] / 1e6,
		       rate[1][0] / 1e6, rate[1][1] / 1e6, rate[2][0] / 1e6, rate[2][1] / 1e6,
		       lt.sum / lt.n * 1e6, lt.worst * 1e6, del.sum / del.n * 1e6, del.worst * 1e6,
		       ins.sum / ins.n * 1e6, ins.worst * 1e6);
		printf("  checksums %llx %llx %llx; ::/0 insert+delete %.2f ms each\n",
		       (unsigned long long)sum[0][1], (unsigned long long)sum[1][1],
		       (unsigned long long)sum[2][1], dflt);
		s->destroy(t);
	}
}

/* --levels: how deep lookups go in umikame's structure, per address set: a histogram of
 * nodes visited, and how many of them were chain nodes (one child, one leaf value), which is
 * what explains the in-table rates. */
static void levels_report(const struct fib6 *f, uint8_t (*a)[16], const char *name)
{
	const struct fib6_view *v = f->global.view;
	unsigned hist[24] = { 0 };
	uint64_t visits = 0, chains = 0, small_end = 0;
	for (unsigned i = 0; i < NADDR; i++) {
		fib6_key k = fib6_key_load(a[i]);
		uint32_t e = v->dp[(uint32_t)(k >> (128 - v->dp_bits))];
		unsigned depth = 0, off = v->dp_bits;
		if (!(e & FIB6_DP_LEAF)) {
			const struct fib6_node *n = &v->nodes[e];
			for (;;) {
				depth++;
				if (__builtin_popcountll(n->vector) == 1 &&
				    __builtin_popcountll(n->leafvec) == 1)
					chains++;
				unsigned s = (unsigned)((k << off) >> (128 - FIB6_STRIDE));
				if (!(n->vector >> s & 1)) {
					if (!n->vector && __builtin_popcountll(n->leafvec) <= 4)
						small_end++;
					break;
				}
				n = &v->nodes[n->base1 +
					      __builtin_popcountll(n->vector & ((2ULL << s) - 1)) - 1];
				off += FIB6_STRIDE;
			}
		}
		hist[depth < 23 ? depth : 23]++;
		visits += depth;
	}
	printf("  %-9s nodes per lookup %.2f (chain nodes %.2f, ending on a childless node of <= 4 "
	       "runs %.0f%%):", name, (double)visits / NADDR, (double)chains / NADDR,
	       100.0 * small_end / NADDR);
	for (unsigned d = 0; d < 24; d++)
		if (hist[d])
			printf(" %u:%.1f%%", d, 100.0 * hist[d] / NADDR);
	printf("\n");
}

/* --callgrind: a fixed number of lookups in functions of their own, so that
 * `valgrind --tool=callgrind --toggle-collect=cg_*` counts instructions per lookup
 * (bench/fib_run.sh). Four calls of each, so four dumps: the real table with random and
 * with in-table destinations, then the grown table with the same two sets. */
#define CG_N 100000u
__attribute__((noinline)) uint64_t cg_poptrie_single(void *t, uint8_t (*a)[16]);
__attribute__((noinline)) uint64_t cg_poptrie_batch(void *t, uint8_t (*a)[16]);
__attribute__((noinline)) uint64_t cg_radix_single(void *t, uint8_t (*a)[16]);

uint64_t cg_poptrie_single(void *t, uint8_t (*a)[16])
{
	uint64_t acc = 0;
	for (unsigned i = 0; i < CG_N; i++)
		acc += fib6_lookup(t, 0, a[i]);
	return acc;
}

uint64_t cg_poptrie_batch(void *t, uint8_t (*a)[16])
{
	uint64_t acc = 0;
	for (unsigned i = 0; i < CG_N; i += BATCH) {
		unsigned m = CG_N - i < BATCH ? CG_N - i : BATCH;  /* the tail: 100000 % 64 */
		fib6_lookup_batch(t, 0, (const uint8_t (*)[16])a[i], results + i, m);
		for (unsigned j = 0; j < m; j++)
			acc += results[i + j];
	}
	return acc;
}

uint64_t cg_radix_single(void *t, uint8_t (*a)[16])
{
	uint64_t acc = 0;
	for (unsigned i = 0; i < CG_N; i++)
		acc += fib6_radix_lookup(t, fib6_key_load(a[i]));
	return acc;
}

static void callgrind_table(const struct prefix *p, size_t n)
{
	size_t bytes;
	void *um = um_build(p, n, &bytes), *rx = rx_build(p, n, &bytes);
	uint8_t (*a)[16] = malloc(CG_N * 16 + BATCH * 16);
	for (int set = SET_RANDOM; set <= SET_INSIDE; set += SET_INSIDE - SET_RANDOM) {
		rng = 42;
		for (unsigned i = 0; i < CG_N; i++) {
			rnd_bytes(a[i], 16);
			if (set == SET_INSIDE) {
				const struct prefix *x = &p[rnd() % n];
				fib6_key m = fib6_mask(x->plen);
				fib6_key_store((fib6_key_load(x->a) & m) | (fib6_key_load(a[i]) & ~m), a[i]);
			}
		}
		printf("%zu %s %llx %llx %llx\n", n, set_name[set],
		       (unsigned long long)cg_poptrie_single(um, a),
		       (unsigned long long)cg_poptrie_batch(um, a),
		       (unsigned long long)cg_radix_single(rx, a));
	}
	free(a);
	um_destroy(um);
	rx_destroy(rx);
}

static int callgrind_mode(const struct prefix *p, size_t n)
{
	results = malloc((CG_N + BATCH) * sizeof(*results));
	callgrind_table(p, n);
	struct prefix *grown = grow_table(p, n, GROWN);
	callgrind_table(grown, GROWN);
	free(grown);
	return 0;
}

int main(int argc, char **argv)
{
	bool cg = false;
	char def[4096];
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "--callgrind"))
			cg = true;
		else if (!strcmp(argv[i], "--grown"))
			grown_only = true;
		else if (!strcmp(argv[i], "--levels"))
			levels = true;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else
			path = argv[i];
	}
	if (!path) {
		/* the repository is two levels above this file */
		snprintf(def, sizeof(def), "%s", __FILE__);
		for (int up = 0; up < 2; up++) {
			char *sl = strrchr(def, '/');
			if (sl)
				*sl = 0;
			else
				snprintf(def, sizeof(def), ".");
		}
		strncat(def, "/../shared/data/ipv6-fib-2021.txt", sizeof(def) - strlen(def) - 1);
		path = def;
	}
	if (cg) {
		size_t n;
		struct prefix *real = load(path, &n);
		return callgrind_mode(real, n);
	}
#ifdef UMK_BENCH_DPDK
	/* no hugepages or devices needed; let DPDK use AVX-512 where it has it */
	char *eal[] = { "bench_fib", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
			"-l", "0", "-m", "3072", "--log-level", "error",
			"--force-max-simd-bitwidth=512", NULL };
	if (rte_eal_init(12, eal) < 0)
		fprintf(stderr, "bench_fib: rte_eal_init failed, no DPDK baseline\n");
	else
		dpdk_ok = true;
#endif
	size_t n;
	struct prefix *real = load(path, &n);
	struct prefix *grown = grow_table(real, n, GROWN);
	uint8_t (*addrs[2][NSETS])[16];
	results = malloc(NADDR * sizeof(*results));
	for (int t = 0; t < 2; t++)
		for (int set = 0; set < NSETS; set++) {
			addrs[t][set] = malloc(NADDR * 16);
			make_addrs(addrs[t][set], set, t ? grown : real, t ? GROWN : n);
		}
	printf("bench_fib: %s; %u addresses per set, batches of %u; rates in million lookups/s "
	       "on one core\n", path, NADDR, BATCH);
	if (!grown_only)
		run_table("ipv6-fib-2021", real, n, addrs[0]);
	run_table("grown", grown, GROWN, addrs[1]);
	return 0;
}
