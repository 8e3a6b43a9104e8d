/*
 * fib6.c - the IPv6 FIB lookup structure: a Poptrie (Asai and Ohara, "Poptrie: A Compressed
 * Trie with Population Count for Fast and Scalable Software IP Routing Table Lookup",
 * SIGCOMM 2015), built from the prefix trie in fib6_radix.c. API in fib6.h.
 *
 * Why Poptrie rather than SAIL or DXR: SAIL's level-pushed arrays grow with the longest
 * prefix and, for IPv6, need a 2^24..2^64 split the 2021 table (lengths /16../48, and /128
 * host routes must still work) fits badly; DXR's range tables give small memory but a binary
 * search per lookup, which does not reach the 200 M/s aim. Poptrie gives both: a 64-ary node
 * is 24 bytes whatever its fan-out, children and leaves are found with one popcount, and
 * any length up to /128 costs one more level per 6 bits.
 *
 * Layout. The first DP_BITS bits of the address index a direct table (`dp`); an entry is a
 * leaf (DP_LEAF | next hop) or the index of one node. A node covers the next 6 bits: bit i
 * of `vector` says slot i continues in a child node, found at nodes[base1 + rank of i in
 * vector - 1]; otherwise slot i is a leaf, and `leafvec` marks where a run of equal leaves
 * starts, so its next hop is leaves[base0 + rank of i in leafvec - 1]. Leaves are pushed
 * (each slot holds the longest match for it), and a subtree whose slots all end in one
 * next hop is folded into a leaf of its parent.
 *
 * Updates. The prefix trie is changed first; then the region an update can touch -- the
 * node whose 6-bit stride holds the prefix's last bit -- is rebuilt aside from the trie, and
 * every ancestor node up to the direct table is copied with the one slot changed (path
 * copying). Readers keep seeing the old path until the final 32-bit store into `dp`. A
 * prefix no longer than DP_BITS rebuilds each direct entry it covers. Replaced blocks go to
 * a limbo list and are reused only after fib6_quiesce(). When an array must grow, a new
 * view (dp, nodes, leaves) is copied and published with one pointer store.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "ip6/fib/fib6_int.h"

#define DP_BITS 18        /* zone 0: 2^18 direct entries, 1 MiB */
#define ZONE_DP_BITS 10   /* scoped zones: fe80::/10 is one entry */
#define STRIDE 6
#define DP_LEAF 0x80000000u
#define LEAF_NONE 0xffff  /* fib6_leaf value for "no route" */
#define SINK 64           /* indices [0, SINK) are scratch for failed allocations */

typedef uint16_t fib6_leaf;

struct pt_node {
	uint64_t vector;
	uint64_t leafvec;
	uint32_t base0;   /* first leaf */
	uint32_t base1;   /* first child node */
};

/* What a reader needs, published as one pointer. */
struct pt_view {
	uint32_t *dp;
	struct pt_node *nodes;
	fib6_leaf *leaves;
};

/* Free blocks of one size, reused after they leave limbo. */
struct idx_stack {
	uint32_t *v;
	uint32_t n, cap;
};

struct pt_pool {
	uint32_t top, cap;          /* bump allocation */
	uint32_t live;              /* elements in blocks not freed */
	struct idx_stack free[65];  /* by block size 1..64 */
};

struct limbo_item {
	void *raw;                  /* an array or view to free(), or NULL for a block */
	uint32_t idx;
	uint8_t size;
	uint8_t is_leaf;
};

struct pt_trie {
	struct pt_view *view;       /* read with acquire, replaced on growth */
	unsigned dp_bits;
	struct fib6_radix radix;
	struct pt_pool nodes, leaves;
	struct limbo_item *limbo;
	uint32_t limbo_n, limbo_cap;
	size_t limbo_bytes;
	int err;                    /* set by a failed allocation during one update */
};

struct fib_zone {
	uint32_t zone;
	struct pt_trie *trie;
};

struct fib6 {
	struct pt_trie global;      /* zone 0 */
	uint32_t max_prefixes;
	uint32_t prefixes;
	uint32_t nzones;
	bool fast;                  /* the CPU has POPCNT */
	struct fib_zone zones[FIB6_MAX_ZONES];
};

/* ---- small helpers ------------------------------------------------------------------- */

static inline unsigned slot_of(fib6_key k, unsigned off)
{
	return (unsigned)((k << off) >> (128 - STRIDE));
}

static inline uint32_t leaf_out(fib6_leaf l)
{
	return l == LEAF_NONE ? FIB6_NONE : l;
}

static inline fib6_leaf leaf_in(uint32_t nh)
{
	return nh == FIB6_NONE ? LEAF_NONE : (fib6_leaf)nh;
}

static inline uint32_t dp_index(fib6_key k, unsigned dp_bits)
{
	return dp_bits ? (uint32_t)(k >> (128 - dp_bits)) : 0;
}

/* Rank of slot i among the set bits of v, from 1 (bit i set) */
static inline unsigned rank(uint64_t v, unsigned i)
{
	return (unsigned)__builtin_popcountll(v & ((2ULL << i) - 1));
}

/* ---- allocation and limbo ------------------------------------------------------------ */

static int stack_push(struct idx_stack *s, uint32_t x)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		uint32_t *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

static void retire_raw(struct pt_trie *t, void *p);

/* The lookup arrays. Past 2 MiB they are aligned for transparent huge pages: random walks
 * over a few MiB otherwise spend much of their time in TLB misses. free() releases both. */
static void *array_alloc(size_t bytes)
{
	enum { HUGE = 2u << 20 };
	if (bytes < HUGE)
		return malloc(bytes);
	void *p;
	bytes = (bytes + HUGE - 1) & ~(size_t)(HUGE - 1);
	if (posix_memalign(&p, HUGE, bytes))
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, bytes, MADV_HUGEPAGE);  /* advice only: failure changes nothing */
#endif
	return p;
}

/* Copies the view with a bigger array of one kind and publishes it. */
static int grow(struct pt_trie *t, bool leaf, uint32_t need)
{
	struct pt_pool *pool = leaf ? &t->leaves : &t->nodes;
	size_t esz = leaf ? sizeof(fib6_leaf) : sizeof(struct pt_node);
	uint32_t cap = pool->cap * 2;
	while (cap < need)
		cap *= 2;
	size_t dpn = (size_t)1 << t->dp_bits;
	struct pt_view *old = t->view, *v = malloc(sizeof(*v));
	void *arr = array_alloc(cap * esz);
	uint32_t *dp = array_alloc(dpn * sizeof(*dp));
	if (!v || !arr || !dp) {
		free(v);
		free(arr);
		free(dp);
		return -ENOMEM;
	}
	memcpy(dp, old->dp, dpn * sizeof(*dp));
	memcpy(arr, leaf ? (void *)old->leaves : (void *)old->nodes, pool->top * esz);
	*v = *old;
	v->dp = dp;
	if (leaf)
		v->leaves = arr;
	else
		v->nodes = arr;
	pool->cap = cap;
	__atomic_store_n(&t->view, v, __ATOMIC_RELEASE);
	/* Old readers may still walk the old view: its arrays wait in limbo. */
	retire_raw(t, old->dp);
	retire_raw(t, leaf ? (void *)old->leaves : (void *)old->nodes);
	retire_raw(t, old);
	return 0;
}

/* A block of n (1..64) nodes or leaves; on failure t->err is set and the scratch block at
 * index 0 is returned, so the build can finish without ever being published. */
static uint32_t block_alloc(struct pt_trie *t, bool leaf, unsigned n)
{
	struct pt_pool *pool = leaf ? &t->leaves : &t->nodes;
	struct idx_stack *fl = &pool->free[n];
	pool->live += n;
	if (fl->n)
		return fl->v[--fl->n];
	if (pool->top + n > pool->cap && grow(t, leaf, pool->top + n) < 0) {
		pool->live -= n;
		t->err = -ENOMEM;
		return 0;
	}
	uint32_t idx = pool->top;
	pool->top += n;
	return idx;
}

static int limbo_add(struct pt_trie *t, struct limbo_item it)
{
	if (t->limbo_n == t->limbo_cap) {
		uint32_t cap = t->limbo_cap ? t->limbo_cap * 2 : 64;
		struct limbo_item *l = realloc(t->limbo, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		t->limbo = l;
		t->limbo_cap = cap;
	}
	t->limbo[t->limbo_n++] = it;
	return 0;
}

/* If limbo cannot grow the memory leaks until fib6_free rather than being reused early. */
static void retire_raw(struct pt_trie *t, void *p)
{
	if (limbo_add(t, (struct limbo_item){ .raw = p }) < 0)
		t->err = -ENOMEM;
}

static void retire_block(struct pt_trie *t, bool leaf, uint32_t idx, unsigned n)
{
	if (!n || idx < SINK)
		return;
	struct pt_pool *pool = leaf ? &t->leaves : &t->nodes;
	pool->live -= n;
	t->limbo_bytes += n * (leaf ? sizeof(fib6_leaf) : sizeof(struct pt_node));
	limbo_add(t, (struct limbo_item){ .idx = idx, .size = (uint8_t)n, .is_leaf = leaf });
}

/* Retires everything below node n (not n itself, which lives in its parent's block). */
static void retire_below(struct pt_trie *t, const struct pt_node *n)
{
	unsigned k = (unsigned)__builtin_popcountll(n->vector);
	for (unsigned i = 0; i < k; i++) {
		struct pt_node child = t->view->nodes[n->base1 + i];
		retire_below(t, &child);
	}
	retire_block(t, false, n->base1, k);
	retire_block(t, true, n->base0, (unsigned)__builtin_popcountll(n->leafvec));
}

static void retire_dp(struct pt_trie *t, uint32_t e)
{
	if (e & DP_LEAF)
		return;
	struct pt_node n = t->view->nodes[e];
	retire_below(t, &n);
	retire_block(t, false, e, 1);
}

static void trie_quiesce(struct pt_trie *t)
{
	for (uint32_t i = 0; i < t->limbo_n; i++) {
		struct limbo_item *it = &t->limbo[i];
		if (it->raw) {
			free(it->raw);
			continue;
		}
		struct pt_pool *pool = it->is_leaf ? &t->leaves : &t->nodes;
		/* a failed push only loses the block for reuse */
		stack_push(&pool->free[it->size], it->idx);
	}
	t->limbo_n = 0;
	t->limbo_bytes = 0;
}

/* ---- building ------------------------------------------------------------------------ */

/* Marks the slots of a node at offset off that prefix trie node n (plen >= off) decides. */
static void fill(const struct fib6_rnode *n, unsigned off, fib6_leaf *val,
		 const struct fib6_rnode **sub)
{
	for (; n; n = n->child[1]) {
		unsigned i = slot_of(n->key, off);
		if (n->plen > off + STRIDE ||
		    (n->plen == off + STRIDE && (n->child[0] || n->child[1]))) {
			sub[i] = n;  /* the region of slot i, or part of it, is below n */
			return;
		}
		if (n->nexthop != FIB6_NONE) {
			unsigned width = 1u << (off + STRIDE - n->plen);
			for (unsigned j = i; j < i + width && j < 64; j++)
				val[j] = leaf_in(n->nexthop);
		}
		/* children are longer prefixes: they overwrite what n filled */
		fill(n->child[0], off, val, sub);
	}
}

/* A node from its 64 slots: kinds[i] set means kids[rank] is slot i's child. Returns 1 and
 * *leaf when it folds into one leaf. */
static int make_node(struct pt_trie *t, const fib6_leaf *val, uint64_t vector,
		     const struct pt_node *kids, struct pt_node *out, fib6_leaf *leaf)
{
	fib6_leaf runs[64];
	uint64_t leafvec = 0;
	unsigned nruns = 0;

	for (unsigned i = 0; i < 64; i++) {
		if (vector >> i & 1)
			continue;
		if (!nruns || val[i] != runs[nruns - 1]) {
			leafvec |= 1ULL << i;
			runs[nruns++] = val[i];
		}
	}
	if (!vector && nruns == 1) {
		*leaf = runs[0];
		return 1;
	}
	unsigned nkids = (unsigned)__builtin_popcountll(vector);
	out->vector = vector;
	out->leafvec = leafvec;
	out->base1 = nkids ? block_alloc(t, false, nkids) : 0;
	out->base0 = nruns ? block_alloc(t, true, nruns) : 0;
	struct pt_view *v = t->view;  /* after the allocations: they may grow it */
	memcpy(&v->nodes[out->base1], kids, nkids * sizeof(*kids));
	memcpy(&v->leaves[out->base0], runs, nruns * sizeof(*runs));
	return 0;
}

/* Builds the region of key's first off bits, whose prefixes hang from top (may be NULL) and
 * whose enclosing prefix gives inherit. 1: a leaf (*leaf), 0: a node (*out). */
static int build(struct pt_trie *t, fib6_key key, unsigned off, fib6_leaf inherit,
		 const struct fib6_rnode *top, struct pt_node *out, fib6_leaf *leaf)
{
	fib6_leaf val[64];
	const struct fib6_rnode *sub[64] = { 0 };
	struct pt_node kids[64];
	uint64_t vector = 0;
	unsigned nkids = 0;

	if (!top) {
		*leaf = inherit;
		return 1;
	}
	for (unsigned i = 0; i < 64; i++)
		val[i] = inherit;
	fill(top, off, val, sub);
	for (unsigned i = 0; i < 64; i++) {
		if (!sub[i])
			continue;
		fib6_key ck = (key & fib6_mask(off)) | (fib6_key)i << (128 - STRIDE - off);
		if (build(t, ck, off + STRIDE, val[i], sub[i], &kids[nkids], &val[i]) == 0) {
			vector |= 1ULL << i;
			nkids++;
		}
	}
	return make_node(t, val, vector, kids, out, leaf);
}

static void dp_store(struct pt_trie *t, uint32_t d, uint32_t e)
{
	__atomic_store_n(&t->view->dp[d], e, __ATOMIC_RELEASE);
}

/* Encodes a build result as a direct-table entry (a node needs a block of its own). */
static uint32_t dp_entry(struct pt_trie *t, int is_leaf, const struct pt_node *n,
			 fib6_leaf leaf)
{
	if (is_leaf)
		return DP_LEAF | leaf;
	uint32_t idx = block_alloc(t, false, 1);
	t->view->nodes[idx] = *n;
	return idx;
}

static void rebuild_dp(struct pt_trie *t, uint32_t d)
{
	fib6_key key = t->dp_bits ? (fib6_key)d << (128 - t->dp_bits) : 0;
	uint32_t inherit;
	const struct fib6_rnode *top = fib6_radix_region(&t->radix, key, t->dp_bits, &inherit);
	struct pt_node n;
	fib6_leaf leaf;
	int r = build(t, key, t->dp_bits, leaf_in(inherit), top, &n, &leaf);
	uint32_t e = dp_entry(t, r, &n, leaf);
	if (t->err)
		return;
	uint32_t old = t->view->dp[d];
	dp_store(t, d, e);
	retire_dp(t, old);
}

#define MAX_LEVELS ((128 + STRIDE - 1) / STRIDE + 1)

/* Makes the lookup structure agree with the prefix trie after a change of key/plen. */
static void update(struct pt_trie *t, fib6_key key, unsigned plen)
{
	unsigned dpb = t->dp_bits;
	uint32_t d = dp_index(key, dpb);

	if (plen <= dpb) {
		uint32_t n = 1u << (dpb - plen);
		for (uint32_t i = 0; i < n && !t->err; i++)
			rebuild_dp(t, d + i);
		return;
	}
	/* The node whose stride holds the prefix's last bit is level L; find how much of the
	 * path to it exists. */
	unsigned L = (plen - dpb - 1) / STRIDE;
	uint32_t path[MAX_LEVELS];
	uint32_t e = t->view->dp[d];
	if (e & DP_LEAF) {
		rebuild_dp(t, d);
		return;
	}
	path[0] = e;
	unsigned c = 0;
	while (c < L) {
		const struct pt_node *n = &t->view->nodes[path[c]];
		unsigned i = slot_of(key, dpb + c * STRIDE);
		if (!(n->vector >> i & 1))
			break;
		path[c + 1] = n->base1 + rank(n->vector, i) - 1;
		c++;
	}
	/* c: the deepest existing node on the path, at most L. Rebuild its region if it is L,
	 * else the (leaf) slot below it, from the trie. */
	struct pt_node res;
	fib6_leaf leaf;
	int is_leaf;
	unsigned level = c == L ? c : c + 1;
	unsigned off = dpb + level * STRIDE;
	uint32_t inherit;
	const struct fib6_rnode *top = fib6_radix_region(&t->radix, key & fib6_mask(off), off,
							 &inherit);
	is_leaf = build(t, key & fib6_mask(off), off, leaf_in(inherit), top, &res, &leaf);
	if (level == 0) {
		uint32_t ne = dp_entry(t, is_leaf, &res, leaf);
		if (t->err)
			return;
		dp_store(t, d, ne);
		retire_dp(t, e);
		return;
	}
	/* Copy each ancestor with the one slot changed, deepest first; what they replace is
	 * retired only once the new path is published. */
	struct { uint32_t idx; unsigned n; bool leaf; } gone[2 * MAX_LEVELS];
	unsigned ngone = 0;
	for (int lv = (int)level - 1; lv >= 0 && !t->err; lv--) {
		struct pt_node old = t->view->nodes[path[lv]];
		unsigned si = slot_of(key, dpb + (unsigned)lv * STRIDE);
		fib6_leaf val[64];
		struct pt_node kids[64];
		unsigned nk = 0;
		uint64_t vector = 0;
		for (unsigned i = 0; i < 64; i++) {
			if (i == si) {
				if (is_leaf) {
					val[i] = leaf;
				} else {
					kids[nk++] = res;
					vector |= 1ULL << i;
				}
			} else if (old.vector >> i & 1) {
				kids[nk++] = t->view->nodes[old.base1 + rank(old.vector, i) - 1];
				vector |= 1ULL << i;
			} else {
				val[i] = t->view->leaves[old.base0 + rank(old.leafvec, i) - 1];
			}
		}
		is_leaf = make_node(t, val, vector, kids, &res, &leaf);
		gone[ngone++] = (typeof(gone[0])){ old.base1,
			(unsigned)__builtin_popcountll(old.vector), false };
		gone[ngone++] = (typeof(gone[0])){ old.base0,
			(unsigned)__builtin_popcountll(old.leafvec), true };
	}
	uint32_t ne = dp_entry(t, is_leaf, &res, leaf);
	if (t->err)
		return;
	/* The old node at `level` (if it existed) lives on in the old path until now. */
	struct pt_node below = t->view->nodes[path[c]];
	dp_store(t, d, ne);
	if (level == c)
		retire_below(t, &below);
	for (unsigned i = 0; i < ngone; i++)
		retire_block(t, gone[i].leaf, gone[i].idx, gone[i].n);
	retire_block(t, false, e, 1);
}

/* ---- tries --------------------------------------------------------------------------- */

static int trie_init(struct pt_trie *t, unsigned dp_bits, uint32_t nodes, uint32_t leaves)
{
	size_t dpn = (size_t)1 << dp_bits;
	memset(t, 0, sizeof(*t));
	t->dp_bits = dp_bits;
	t->view = malloc(sizeof(*t->view));
	if (!t->view)
		return -ENOMEM;
	t->nodes.cap = nodes + SINK;
	t->leaves.cap = leaves + SINK;
	t->nodes.top = t->leaves.top = SINK;
	t->view->dp = array_alloc(dpn * sizeof(uint32_t));
	t->view->nodes = array_alloc(t->nodes.cap * sizeof(struct pt_node));
	t->view->leaves = array_alloc(t->leaves.cap * sizeof(fib6_leaf));
	if (!t->view->dp || !t->view->nodes || !t->view->leaves)
		return -ENOMEM;
	for (size_t i = 0; i < dpn; i++)
		t->view->dp[i] = DP_LEAF | LEAF_NONE;
	return 0;
}

static void trie_fini(struct pt_trie *t)
{
	trie_quiesce(t);
	free(t->limbo);
	for (int i = 0; i <= 64; i++) {
		free(t->nodes.free[i].v);
		free(t->leaves.free[i].v);
	}
	if (t->view) {
		free(t->view->dp);
		free(t->view->nodes);
		free(t->view->leaves);
		free(t->view);
	}
	fib6_radix_free(&t->radix);
}

static size_t trie_lookup_bytes(const struct pt_trie *t)
{
	return ((size_t)1 << t->dp_bits) * sizeof(uint32_t) +
	       (size_t)t->nodes.live * sizeof(struct pt_node) +
	       (size_t)t->leaves.live * sizeof(fib6_leaf);
}

static size_t trie_control_bytes(const struct pt_trie *t)
{
	size_t b = (size_t)t->radix.nodes * sizeof(struct fib6_rnode) +
		   (size_t)t->limbo_cap * sizeof(struct limbo_item);
	for (int i = 0; i <= 64; i++)
		b += (t->nodes.free[i].cap + t->leaves.free[i].cap) * sizeof(uint32_t);
	/* allocated but not live: bump headroom and free blocks */
	b += (size_t)(t->nodes.cap - t->nodes.live) * sizeof(struct pt_node);
	b += (size_t)(t->leaves.cap - t->leaves.live) * sizeof(fib6_leaf);
	return b;
}

/* ---- zones --------------------------------------------------------------------------- */

static struct pt_trie *zone_trie(const struct fib6 *fib, uint32_t zone)
{
	if (zone == 0)
		return (struct pt_trie *)&fib->global;
	uint32_t n = __atomic_load_n(&fib->nzones, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++)
		if (fib->zones[i].zone == zone)
			return fib->zones[i].trie;
	return NULL;
}

static struct pt_trie *zone_get(struct fib6 *fib, uint32_t zone)
{
	struct pt_trie *t = zone_trie(fib, zone);
	if (t)
		return t;
	if (fib->nzones == FIB6_MAX_ZONES)
		return NULL;
	t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	if (trie_init(t, ZONE_DP_BITS, 64, 64) < 0) {
		trie_fini(t);
		free(t);
		return NULL;
	}
	fib->zones[fib->nzones] = (struct fib_zone){ .zone = zone, .trie = t };
	/* publish the row before the count that makes readers look at it */
	__atomic_store_n(&fib->nzones, fib->nzones + 1, __ATOMIC_RELEASE);
	return t;
}

/* ---- API ----------------------------------------------------------------------------- */

struct fib6 *fib6_new(uint32_t max_prefixes)
{
	struct fib6 *fib = calloc(1, sizeof(*fib));
	if (!fib)
		return NULL;
	fib->max_prefixes = max_prefixes;
#if defined(__x86_64__) || defined(__i386__)
	fib->fast = __builtin_cpu_supports("popcnt");
#endif
	/* The 2021 table needs about 0.5 nodes and 2 leaves per prefix; arrays grow anyway. */
	uint32_t hint = max_prefixes < (1u << 24) ? max_prefixes : (1u << 24);
	if (trie_init(&fib->global, DP_BITS, hint / 2 + 1024, hint * 2 + 1024) < 0) {
		fib6_free(fib);
		return NULL;
	}
	return fib;
}

void fib6_free(struct fib6 *fib)
{
	if (!fib)
		return;
	trie_fini(&fib->global);
	for (uint32_t i = 0; i < fib->nzones; i++) {
		trie_fini(fib->zones[i].trie);
		free(fib->zones[i].trie);
	}
	free(fib);
}

int fib6_insert(struct fib6 *fib, uint32_t zone, const uint8_t prefix[16], unsigned plen,
		uint32_t nexthop)
{
	if (plen > 128 || nexthop > FIB6_NEXTHOP_MAX)
		return -EINVAL;
	struct pt_trie *t = zone_trie(fib, zone);
	if (!t || !t->radix.prefixes) {
		if (fib->prefixes >= fib->max_prefixes)
			return -ENOSPC;
		if (!t && !(t = zone_get(fib, zone)))
			return fib->nzones == FIB6_MAX_ZONES ? -ENOSPC : -ENOMEM;
	}
	fib6_key key = fib6_key_load(prefix) & fib6_mask(plen);
	uint32_t old;
	int r = fib6_radix_insert(&t->radix, key, plen, nexthop, &old);
	if (r < 0)
		return r;
	if (r == 1 && fib->prefixes >= fib->max_prefixes) {
		fib6_radix_delete(&t->radix, key, plen, &old);
		return -ENOSPC;
	}
	if (r == 0 && old == nexthop)
		return 0;
	t->err = 0;
	update(t, key, plen);
	if (t->err) {
		/* nothing was published: put the trie back as the structure still is */
		if (r == 1)
			fib6_radix_delete(&t->radix, key, plen, &old);
		else
			fib6_radix_insert(&t->radix, key, plen, old, &old);
		return t->err;
	}
	fib->prefixes += (uint32_t)r;
	return 0;
}

int fib6_delete(struct fib6 *fib, uint32_t zone, const uint8_t prefix[16], unsigned plen)
{
	if (plen > 128)
		return -EINVAL;
	struct pt_trie *t = zone_trie(fib, zone);
	if (!t)
		return -ENOENT;
	fib6_key key = fib6_key_load(prefix) & fib6_mask(plen);
	uint32_t old;
	int r = fib6_radix_delete(&t->radix, key, plen, &old);
	if (r < 0)
		return r;
	t->err = 0;
	update(t, key, plen);
	if (t->err) {
		uint32_t dummy;
		fib6_radix_insert(&t->radix, key, plen, old, &dummy);
		return t->err;
	}
	fib->prefixes--;
	return 0;
}

void fib6_quiesce(struct fib6 *fib)
{
	trie_quiesce(&fib->global);
	for (uint32_t i = 0; i < fib->nzones; i++)
		trie_quiesce(fib->zones[i].trie);
}

void fib6_stats(const struct fib6 *fib, struct fib6_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->prefixes = fib->prefixes;
	st->zones = fib->nzones;
	for (uint32_t i = 0; i <= fib->nzones; i++) {
		const struct pt_trie *t = i ? fib->zones[i - 1].trie : &fib->global;
		st->lookup_bytes += trie_lookup_bytes(t);
		st->control_bytes += trie_control_bytes(t);
		st->nodes += t->nodes.live;
		st->leaves += t->leaves.live;
		st->limbo_bytes += t->limbo_bytes;
	}
}

/* ---- lookup -------------------------------------------------------------------------- */

/*
 * One walk. Loads of dp entries need no acquire: the node they index was written before the
 * release store that published it, and the address dependency orders the reads (as RCU's
 * rcu_dereference relies on).
 */
#define LOOKUP_BODY(v, dpb, k)                                                          \
	do {                                                                           \
		uint32_t e_ = __atomic_load_n(&(v)->dp[dp_index((k), (dpb))], __ATOMIC_RELAXED); \
		if (e_ & DP_LEAF)                                                      \
			return leaf_out((fib6_leaf)e_);                                \
		const struct pt_node *n_ = &(v)->nodes[e_];                            \
		unsigned off_ = (dpb), i_ = slot_of((k), off_);                        \
		while (n_->vector >> i_ & 1) {                                         \
			n_ = &(v)->nodes[n_->base1 + rank(n_->vector, i_) - 1];        \
			off_ += STRIDE;                                                \
			i_ = slot_of((k), off_);                                       \
		}                                                                      \
		return leaf_out((v)->leaves[n_->base0 + rank(n_->leafvec, i_) - 1]);   \
	} while (0)

static inline uint32_t walk_generic(const struct pt_view *v, unsigned dpb, fib6_key k)
{
	LOOKUP_BODY(v, dpb, k);
}

#if defined(__x86_64__) || defined(__i386__)
#define FAST_TARGET __attribute__((target("popcnt")))
#else
#define FAST_TARGET
#endif

static inline FAST_TARGET uint32_t walk_global(const struct pt_view *v, fib6_key k)
{
	LOOKUP_BODY(v, DP_BITS, k);
}

static FAST_TARGET uint32_t lookup_global_fast(const struct pt_view *v, const uint8_t *a)
{
	return walk_global(v, fib6_key_load(a));
}

static inline void prefetch_node(const struct pt_node *n)
{
	/* a 24-byte node may straddle two cache lines */
	__builtin_prefetch(n);
	__builtin_prefetch((const char *)n + sizeof(*n) - 1);
}

/*
 * Batched walks, GROUP at a time, level by level: each step of one walk issues a prefetch
 * for its next node and moves on to the other walks of the group, so up to GROUP cache
 * misses are in flight instead of one walk's chain of dependent ones.
 */
static FAST_TARGET void batch_global_fast(const struct pt_view *v, const uint8_t (*addrs)[16],
					  uint32_t *out, size_t n)
{
	enum { GROUP = 16 };
	for (size_t base = 0; base < n; base += GROUP) {
		unsigned m = n - base < GROUP ? (unsigned)(n - base) : GROUP;
		fib6_key k[GROUP];
		uint32_t cur[GROUP], where[GROUP];
		uint8_t live[GROUP], off[GROUP];
		unsigned nlive = 0, nleaf = 0;
		uint8_t leafl[GROUP];

		for (unsigned j = 0; j < m; j++) {
			k[j] = fib6_key_load(addrs[base + j]);
			__builtin_prefetch(&v->dp[dp_index(k[j], DP_BITS)]);
		}
		for (unsigned j = 0; j < m; j++) {
			uint32_t e = __atomic_load_n(&v->dp[dp_index(k[j], DP_BITS)],
						     __ATOMIC_RELAXED);
			if (e & DP_LEAF) {
				out[base + j] = leaf_out((fib6_leaf)e);
				continue;
			}
			cur[j] = e;
			off[j] = DP_BITS;
			prefetch_node(&v->nodes[e]);
			live[nlive++] = (uint8_t)j;
		}
		while (nlive) {
			unsigned still = 0;
			for (unsigned x = 0; x < nlive; x++) {
				unsigned j = live[x];
				const struct pt_node *nd = &v->nodes[cur[j]];
				unsigned i = slot_of(k[j], off[j]);
				if (nd->vector >> i & 1) {
					cur[j] = nd->base1 + rank(nd->vector, i) - 1;
					off[j] = (uint8_t)(off[j] + STRIDE);
					prefetch_node(&v->nodes[cur[j]]);
					live[still++] = (uint8_t)j;
				} else {
					where[j] = nd->base0 + rank(nd->leafvec, i) - 1;
					__builtin_prefetch(&v->leaves[where[j]]);
					leafl[nleaf++] = (uint8_t)j;
				}
			}
			nlive = still;
		}
		for (unsigned x = 0; x < nleaf; x++) {
			unsigned j = leafl[x];
			out[base + j] = leaf_out(v->leaves[where[j]]);
		}
	}
}

uint32_t fib6_lookup(const struct fib6 *fib, uint32_t zone, const uint8_t addr[16])
{
	if (zone == 0) {
		const struct pt_view *v = __atomic_load_n(&fib->global.view, __ATOMIC_ACQUIRE);
		if (fib->fast)
			return lookup_global_fast(v, addr);
		return walk_generic(v, DP_BITS, fib6_key_load(addr));
	}
	const struct pt_trie *t = zone_trie(fib, zone);
	if (!t)
		return FIB6_NONE;
	const struct pt_view *v = __atomic_load_n(&t->view, __ATOMIC_ACQUIRE);
	return walk_generic(v, t->dp_bits, fib6_key_load(addr));
}

void fib6_lookup_batch(const struct fib6 *fib, uint32_t zone, const uint8_t (*addrs)[16],
		       uint32_t *out, size_t n)
{
	if (zone == 0 && fib->fast) {
		const struct pt_view *v = __atomic_load_n(&fib->global.view, __ATOMIC_ACQUIRE);
		batch_global_fast(v, addrs, out, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = fib6_lookup(fib, zone, addrs[i]);
}
