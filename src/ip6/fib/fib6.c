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
 * next hop is folded into a leaf of its parent. The read side is fib6_lookup.c.
 *
 * Short prefixes are not pushed. Prefixes of SHORT_BITS or fewer (the default route, /8s,
 * /12s, /16s) live only in the short table `sdp`, 2^SHORT_BITS pushed 16-bit next hops; the
 * nodes and leaves hold only the longer prefixes, and a walk that ends on "no route" reads
 * sdp[top SHORT_BITS bits] instead. A leaf entry of the direct table stores the combined
 * answer (its long value, else the short one; the long value is kept in dp_long), so a miss
 * in a region without nodes costs no second load. Adding or removing ::/0 under a full table
 * thus rewrites 2^16 short entries and the leaf entries of the direct table, never a node:
 * the leaf-pushed design rebuilt every leaf of the table for it.
 *
 * Updates. The prefix trie is changed first; then the region an update can touch -- the
 * node whose 6-bit stride holds the prefix's last bit -- is rebuilt aside from the trie, and
 * every ancestor node up to the direct table is copied with the one slot changed (path
 * copying). Readers keep seeing the old path until the final 32-bit store into `dp`. A
 * prefix longer than SHORT_BITS but no longer than DP_BITS rebuilds each direct entry it
 * covers (two at most); a short prefix recomputes its range of the short table aside and
 * stores each changed entry. Replaced blocks go to a limbo list and are reused only after
 * fib6_quiesce(). When an array must grow, a new view (dp, nodes, leaves) is copied and
 * published with one pointer store.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "ip6/fib/fib6_int.h"

#define DP_BITS 18        /* zone 0: 2^18 direct entries, 1 MiB */
#define SHORT_BITS 16     /* zone 0: prefixes up to /16 live in the short table */
#define ZONE_DP_BITS 10   /* scoped zones: fe80::/10 is one entry */
#define STRIDE FIB6_STRIDE
#define DP_LEAF FIB6_DP_LEAF
#define LEAF_NONE FIB6_LEAF_NONE
/* Node indices [0, 64) are scratch for failed allocations, [64, 128) the batch's sentinel
 * (FIB6_SENTINEL); leaves keep the same 128 for simplicity. */
#define SINK 128

/* ---- small helpers ------------------------------------------------------------------- */

static inline unsigned slot_of(fib6_key k, unsigned off)
{
	return (unsigned)((k << off) >> (128 - STRIDE));
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

static int stack_push(struct fib6_idx_stack *s, uint32_t x)
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

static void retire_raw(struct fib6_trie *t, void *p);

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
static int grow(struct fib6_trie *t, bool leaf, uint32_t need)
{
	struct fib6_pool *pool = leaf ? &t->leaves : &t->nodes;
	size_t esz = leaf ? sizeof(fib6_leaf) : sizeof(struct fib6_node);
	uint32_t cap = pool->cap * 2;
	while (cap < need)
		cap *= 2;
	size_t dpn = (size_t)1 << t->dp_bits;
	struct fib6_view *old = t->view, *v = malloc(sizeof(*v));
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
static uint32_t block_alloc(struct fib6_trie *t, bool leaf, unsigned n)
{
	struct fib6_pool *pool = leaf ? &t->leaves : &t->nodes;
	struct fib6_idx_stack *fl = &pool->free[n];
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

static int limbo_add(struct fib6_trie *t, struct fib6_limbo it)
{
	if (t->limbo_n == t->limbo_cap) {
		uint32_t cap = t->limbo_cap ? t->limbo_cap * 2 : 64;
		struct fib6_limbo *l = realloc(t->limbo, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		t->limbo = l;
		t->limbo_cap = cap;
	}
	t->limbo[t->limbo_n++] = it;
	return 0;
}

/* If limbo cannot grow the memory leaks until fib6_free rather than being reused early. */
static void retire_raw(struct fib6_trie *t, void *p)
{
	if (limbo_add(t, (struct fib6_limbo){ .raw = p }) < 0)
		t->err = -ENOMEM;
}

static void retire_block(struct fib6_trie *t, bool leaf, uint32_t idx, unsigned n)
{
	if (!n || idx < SINK)
		return;
	struct fib6_pool *pool = leaf ? &t->leaves : &t->nodes;
	pool->live -= n;
	t->limbo_bytes += n * (leaf ? sizeof(fib6_leaf) : sizeof(struct fib6_node));
	limbo_add(t, (struct fib6_limbo){ .idx = idx, .size = (uint8_t)n, .is_leaf = leaf });
}

/* Retires everything below node n (not n itself, which lives in its parent's block). */
static void retire_below(struct fib6_trie *t, const struct fib6_node *n)
{
	unsigned k = (unsigned)__builtin_popcountll(n->vector);
	for (unsigned i = 0; i < k; i++) {
		struct fib6_node child = t->view->nodes[n->base1 + i];
		retire_below(t, &child);
	}
	retire_block(t, false, n->base1, k);
	retire_block(t, true, n->base0, (unsigned)__builtin_popcountll(n->leafvec));
}

static void retire_dp(struct fib6_trie *t, uint32_t e)
{
	if (e & DP_LEAF)
		return;
	struct fib6_node n = t->view->nodes[e];
	retire_below(t, &n);
	retire_block(t, false, e, 1);
}

static void trie_quiesce(struct fib6_trie *t)
{
	for (uint32_t i = 0; i < t->limbo_n; i++) {
		struct fib6_limbo *it = &t->limbo[i];
		if (it->raw) {
			free(it->raw);
			continue;
		}
		struct fib6_pool *pool = it->is_leaf ? &t->leaves : &t->nodes;
		/* a failed push only loses the block for reuse */
		stack_push(&pool->free[it->size], it->idx);
	}
	t->limbo_n = 0;
	t->limbo_bytes = 0;
}

/* ---- building ------------------------------------------------------------------------ */

/* Marks the slots of a node at offset off that prefix trie node n (plen >= off) decides.
 * Prefixes shorter than floor belong to the short table and are passed over. */
static void fill(const struct fib6_rnode *n, unsigned off, unsigned floor, fib6_leaf *val,
		 const struct fib6_rnode **sub)
{
	for (; n; n = n->child[1]) {
		unsigned i = slot_of(n->key, off);
		if (n->plen > off + STRIDE ||
		    (n->plen == off + STRIDE && (n->child[0] || n->child[1]))) {
			sub[i] = n;  /* the region of slot i, or part of it, is below n */
			return;
		}
		if (n->nexthop != FIB6_NONE && n->plen >= floor) {
			unsigned width = 1u << (off + STRIDE - n->plen);
			for (unsigned j = i; j < i + width && j < 64; j++)
				val[j] = leaf_in(n->nexthop);
		}
		/* children are longer prefixes: they overwrite what n filled */
		fill(n->child[0], off, floor, val, sub);
	}
}

/* A node from its 64 slots: kinds[i] set means kids[rank] is slot i's child. Returns 1 and
 * *leaf when it folds into one leaf. */
static int make_node(struct fib6_trie *t, const fib6_leaf *val, uint64_t vector,
		     const struct fib6_node *kids, struct fib6_node *out, fib6_leaf *leaf)
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
	struct fib6_view *v = t->view;  /* after the allocations: they may grow it */
	memcpy(&v->nodes[out->base1], kids, nkids * sizeof(*kids));
	memcpy(&v->leaves[out->base0], runs, nruns * sizeof(*runs));
	return 0;
}

/* Builds the region of key's first off bits, whose prefixes hang from top (may be NULL) and
 * whose enclosing prefix gives inherit. 1: a leaf (*leaf), 0: a node (*out). */
static int build(struct fib6_trie *t, fib6_key key, unsigned off, fib6_leaf inherit,
		 const struct fib6_rnode *top, struct fib6_node *out, fib6_leaf *leaf)
{
	fib6_leaf val[64];
	const struct fib6_rnode *sub[64] = { 0 };
	struct fib6_node kids[64];
	uint64_t vector = 0;
	unsigned nkids = 0;

	if (!top) {
		*leaf = inherit;
		return 1;
	}
	for (unsigned i = 0; i < 64; i++)
		val[i] = inherit;
	fill(top, off, t->short_bits + 1, val, sub);
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

static void dp_store(struct fib6_trie *t, uint32_t d, uint32_t e)
{
	__atomic_store_n(&t->view->dp[d], e, __ATOMIC_RELEASE);
}

/* A leaf entry of the direct table answers for the short prefixes too. */
static uint32_t dp_leaf_entry(const struct fib6_trie *t, uint32_t d, fib6_leaf leaf)
{
	if (leaf == LEAF_NONE)
		leaf = t->view->sdp[d >> t->view->short_shift];
	return DP_LEAF | leaf;
}

/* Encodes a build result as direct-table entry d (a node needs a block of its own). */
static uint32_t dp_entry(struct fib6_trie *t, uint32_t d, int is_leaf,
			 const struct fib6_node *n, fib6_leaf leaf)
{
	if (is_leaf) {
		t->dp_long[d] = leaf;
		return dp_leaf_entry(t, d, leaf);
	}
	uint32_t idx = block_alloc(t, false, 1);
	t->view->nodes[idx] = *n;
	return idx;
}

static void rebuild_dp(struct fib6_trie *t, uint32_t d)
{
	fib6_key key = t->dp_bits ? (fib6_key)d << (128 - t->dp_bits) : 0;
	uint32_t inherit;
	const struct fib6_rnode *top = fib6_radix_region(&t->radix, key, t->dp_bits,
							 t->short_bits + 1, &inherit);
	struct fib6_node n;
	fib6_leaf leaf;
	int r = build(t, key, t->dp_bits, leaf_in(inherit), top, &n, &leaf);
	uint32_t e = dp_entry(t, d, r, &n, leaf);
	if (t->err)
		return;
	uint32_t old = t->view->dp[d];
	dp_store(t, d, e);
	retire_dp(t, old);
}

/* Paints the short table's scratch copy with the short prefixes at and below n. */
static void short_paint(struct fib6_trie *t, const struct fib6_rnode *n)
{
	unsigned sb = t->short_bits;
	for (; n && n->plen <= sb; n = n->child[1]) {
		if (n->nexthop != FIB6_NONE) {
			uint32_t s = dp_index(n->key, sb), w = 1u << (sb - n->plen);
			for (uint32_t j = 0; j < w; j++)
				t->sdp_next[s + j] = leaf_in(n->nexthop);
		}
		/* children are longer prefixes: they overwrite what n painted */
		short_paint(t, n->child[0]);
	}
}

/*
 * A prefix of short_bits or fewer changed: recompute the short table over its range aside,
 * then store each changed entry, and the leaf entries of the direct table under it, one by
 * one. A reader sees each entry old or new, never a half-painted value; the nodes are not
 * touched, so a default route costs 2^short_bits + 2^dp_bits stores whatever the table holds.
 */
static void short_update(struct fib6_trie *t, fib6_key key, unsigned plen)
{
	struct fib6_view *v = t->view;
	unsigned sb = t->short_bits, sh = v->short_shift;
	uint32_t s0 = dp_index(key, sb), w = 1u << (sb - plen), inherit;
	const struct fib6_rnode *top = fib6_radix_region(&t->radix, key, plen, 0, &inherit);

	for (uint32_t j = 0; j < w; j++)
		t->sdp_next[s0 + j] = leaf_in(inherit);
	short_paint(t, top);
	for (uint32_t j = s0; j < s0 + w; j++) {
		if (t->sdp_next[j] == v->sdp[j])
			continue;
		__atomic_store_n(&v->sdp[j], t->sdp_next[j], __ATOMIC_RELAXED);
		for (uint32_t d = j << sh; d < (j + 1) << sh; d++) {
			uint32_t e = v->dp[d];
			if (e & DP_LEAF && t->dp_long[d] == LEAF_NONE)
				dp_store(t, d, dp_leaf_entry(t, d, LEAF_NONE));
		}
	}
}

#define MAX_LEVELS ((128 + STRIDE - 1) / STRIDE + 1)

/* Makes the lookup structure agree with the prefix trie after a change of key/plen. */
static void update(struct fib6_trie *t, fib6_key key, unsigned plen)
{
	unsigned dpb = t->dp_bits;
	uint32_t d = dp_index(key, dpb);

	if (plen <= t->short_bits) {
		short_update(t, key, plen);
		return;
	}
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
		const struct fib6_node *n = &t->view->nodes[path[c]];
		unsigned i = slot_of(key, dpb + c * STRIDE);
		if (!(n->vector >> i & 1))
			break;
		path[c + 1] = n->base1 + rank(n->vector, i) - 1;
		c++;
	}
	/* c: the deepest existing node on the path, at most L. Rebuild its region if it is L,
	 * else the (leaf) slot below it, from the trie. */
	struct fib6_node res;
	fib6_leaf leaf;
	int is_leaf;
	unsigned level = c == L ? c : c + 1;
	unsigned off = dpb + level * STRIDE;
	uint32_t inherit;
	const struct fib6_rnode *top = fib6_radix_region(&t->radix, key & fib6_mask(off), off,
							 t->short_bits + 1, &inherit);
	is_leaf = build(t, key & fib6_mask(off), off, leaf_in(inherit), top, &res, &leaf);
	if (level == 0) {
		uint32_t ne = dp_entry(t, d, is_leaf, &res, leaf);
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
		struct fib6_node old = t->view->nodes[path[lv]];
		unsigned si = slot_of(key, dpb + (unsigned)lv * STRIDE);
		fib6_leaf val[64];
		struct fib6_node kids[64];
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
	uint32_t ne = dp_entry(t, d, is_leaf, &res, leaf);
	if (t->err)
		return;
	/* The old node at `level` (if it existed) lives on in the old path until now. */
	struct fib6_node below = t->view->nodes[path[c]];
	dp_store(t, d, ne);
	if (level == c)
		retire_below(t, &below);
	for (unsigned i = 0; i < ngone; i++)
		retire_block(t, gone[i].leaf, gone[i].idx, gone[i].n);
	retire_block(t, false, e, 1);
}

/* ---- tries --------------------------------------------------------------------------- */

static int trie_init(struct fib6_trie *t, unsigned dp_bits, unsigned short_bits,
		     uint32_t nodes, uint32_t leaves)
{
	size_t dpn = (size_t)1 << dp_bits, sn = (size_t)1 << short_bits;
	memset(t, 0, sizeof(*t));
	t->dp_bits = dp_bits;
	t->short_bits = short_bits;
	t->view = calloc(1, sizeof(*t->view));
	t->dp_long = malloc(dpn * sizeof(fib6_leaf));
	t->sdp_next = malloc(sn * sizeof(fib6_leaf));
	if (!t->view || !t->dp_long || !t->sdp_next)
		return -ENOMEM;
	t->view->dp_bits = (uint8_t)dp_bits;
	t->view->short_shift = (uint8_t)(dp_bits - short_bits);
	t->view->sdp = malloc(sn * sizeof(fib6_leaf));
	t->nodes.cap = nodes + SINK;
	t->leaves.cap = leaves + SINK;
	t->nodes.top = t->leaves.top = SINK;
	t->view->dp = array_alloc(dpn * sizeof(uint32_t));
	t->view->nodes = array_alloc(t->nodes.cap * sizeof(struct fib6_node));
	t->view->leaves = array_alloc(t->leaves.cap * sizeof(fib6_leaf));
	if (!t->view->dp || !t->view->nodes || !t->view->leaves || !t->view->sdp)
		return -ENOMEM;
	for (size_t i = 0; i < dpn; i++) {
		t->view->dp[i] = DP_LEAF | LEAF_NONE;
		t->dp_long[i] = LEAF_NONE;
	}
	for (size_t i = 0; i < sn; i++)
		t->view->sdp[i] = LEAF_NONE;
	for (uint32_t i = 0; i < 64; i++)
		t->view->nodes[FIB6_SENTINEL + i] = (struct fib6_node){
			.vector = ~0ULL, .base1 = FIB6_SENTINEL };
	return 0;
}

static void trie_fini(struct fib6_trie *t)
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
		free(t->view->sdp);
		free(t->view);
	}
	free(t->dp_long);
	free(t->sdp_next);
	fib6_radix_free(&t->radix);
}

static size_t trie_lookup_bytes(const struct fib6_trie *t)
{
	return ((size_t)1 << t->dp_bits) * sizeof(uint32_t) +
	       ((size_t)1 << t->short_bits) * sizeof(fib6_leaf) +
	       (size_t)t->nodes.live * sizeof(struct fib6_node) +
	       (size_t)t->leaves.live * sizeof(fib6_leaf);
}

static size_t trie_control_bytes(const struct fib6_trie *t)
{
	size_t b = (size_t)t->radix.nodes * sizeof(struct fib6_rnode) +
		   (size_t)t->limbo_cap * sizeof(struct fib6_limbo) +
		   ((size_t)1 << t->dp_bits) * sizeof(fib6_leaf) +     /* dp_long */
		   ((size_t)1 << t->short_bits) * sizeof(fib6_leaf);   /* sdp_next */
	for (int i = 0; i <= 64; i++)
		b += (t->nodes.free[i].cap + t->leaves.free[i].cap) * sizeof(uint32_t);
	/* allocated but not live: bump headroom and free blocks */
	b += (size_t)(t->nodes.cap - t->nodes.live) * sizeof(struct fib6_node);
	b += (size_t)(t->leaves.cap - t->leaves.live) * sizeof(fib6_leaf);
	return b;
}

/* ---- zones --------------------------------------------------------------------------- */

static struct fib6_trie *zone_get(struct fib6 *fib, uint32_t zone)
{
	struct fib6_trie *t = fib6_zone_trie(fib, zone);
	if (t)
		return t;
	if (fib->nzones == FIB6_MAX_ZONES)
		return NULL;
	t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	if (trie_init(t, ZONE_DP_BITS, ZONE_DP_BITS, 64, 64) < 0) {
		trie_fini(t);
		free(t);
		return NULL;
	}
	fib->zones[fib->nzones] = (struct fib6_zone){ .zone = zone, .trie = t };
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
	fib->fast = __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("bmi2");
#endif
	/* The 2021 table needs about 0.5 nodes and 2 leaves per prefix; arrays grow anyway. */
	uint32_t hint = max_prefixes < (1u << 24) ? max_prefixes : (1u << 24);
	if (trie_init(&fib->global, DP_BITS, SHORT_BITS, hint / 2 + 1024, hint * 2 + 1024) < 0) {
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
	struct fib6_trie *t = fib6_zone_trie(fib, zone);
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
	struct fib6_trie *t = fib6_zone_trie(fib, zone);
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
		const struct fib6_trie *t = i ? fib->zones[i - 1].trie : &fib->global;
		st->lookup_bytes += trie_lookup_bytes(t);
		st->control_bytes += trie_control_bytes(t);
		st->nodes += t->nodes.live;
		st->leaves += t->leaves.live;
		st->limbo_bytes += t->limbo_bytes;
	}
}
