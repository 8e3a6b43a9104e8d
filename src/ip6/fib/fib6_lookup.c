/*
 * fib6_lookup.c - the read side of the FIB (fib6.h): one walk, and batches of walks
 * interleaved so that their cache misses overlap. The structure is described in fib6.c.
 *
 * Readers take no lock. The view pointer is loaded with acquire; entries of the direct
 * table, the short table and the nodes they reach are loaded plain (relaxed): a node was
 * written before the release store that published its index, and the address dependency
 * orders the reads, as RCU's rcu_dereference relies on.
 *
 * The key is kept as two 64-bit words. The single walk keeps the bits still to be consumed
 * as a left-aligned window `w` refilled from `r`, so a level costs two shifts instead of a
 * 128-bit variable shift; the batch cuts slots from the words at one offset per pass. A slot i is tested and ranked with one shift of the vector, v << (63 - i): its
 * sign bit is bit i, its popcount the rank of i (Poptrie's own trick).
 */
#include "ip6/fib/fib6_int.h"

#if defined(__x86_64__) || defined(__i386__)
/* POPCNT for the ranks, BMI2 for shifts by a register that leave the flags alone */
#define FAST_TARGET __attribute__((target("popcnt,bmi2")))
#else
#define FAST_TARGET
#endif

static inline uint32_t leaf_out(fib6_leaf l)
{
	return l == FIB6_LEAF_NONE ? FIB6_NONE : l;
}

static inline uint64_t be64(uint64_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap64(x);
#else
	return x;
#endif
}

/* Consumes one stride from the window. */
#define ADVANCE(w, r)                                                                   \
	do {                                                                           \
		(w) = (w) << FIB6_STRIDE | (r) >> (64 - FIB6_STRIDE);                   \
		(r) <<= FIB6_STRIDE;                                                   \
	} while (0)

/* One walk; dp_bits is 1..63. The body is inlined into a POPCNT and a plain variant. */
static inline uint32_t walk(const struct fib6_view *v, unsigned dpb, const uint8_t a[16])
{
	uint64_t hi, lo;
	memcpy(&hi, a, 8);
	hi = be64(hi);
	uint32_t d = (uint32_t)(hi >> (64 - dpb));
	uint32_t e = __atomic_load_n(&v->dp[d], __ATOMIC_RELAXED);
	if (e & FIB6_DP_LEAF)
		return leaf_out((fib6_leaf)e);
	memcpy(&lo, a + 8, 8);
	lo = be64(lo);
	uint64_t w = hi << dpb | lo >> (64 - dpb), r = lo << dpb;
	const struct fib6_node *n = &v->nodes[e];
	for (;;) {
		uint64_t s = n->vector << (63 - (w >> 58));
		if ((int64_t)s >= 0)
			break;
		n = &v->nodes[n->base1 + (unsigned)__builtin_popcountll(s) - 1];
		ADVANCE(w, r);
	}
	uint64_t s = n->leafvec << (63 - (w >> 58));
	fib6_leaf l = v->leaves[n->base0 + (unsigned)__builtin_popcountll(s) - 1];
	if (l == FIB6_LEAF_NONE)
		l = __atomic_load_n(&v->sdp[d >> v->short_shift], __ATOMIC_RELAXED);
	return leaf_out(l);
}

/* Neither is inlined into fib6_lookup: each is reached by a tail jump, so the dispatch
 * itself needs no stack frame. */
static __attribute__((noinline)) FAST_TARGET uint32_t walk_fast(const struct fib6_view *v,
								 const uint8_t a[16])
{
	return walk(v, v->dp_bits, a);
}

static __attribute__((noinline)) uint32_t walk_plain(const struct fib6_view *v,
						     const uint8_t a[16])
{
	return walk(v, v->dp_bits, a);
}

static inline void prefetch_node(const struct fib6_node *n)
{
	/* a 24-byte node may straddle two cache lines */
	__builtin_prefetch(n);
	__builtin_prefetch((const char *)n + sizeof(*n) - 1);
}

/*
 * Batched walks, GROUP at a time, level by level: each step of one walk issues a prefetch
 * for its next node and moves on to the other walks of the group, so up to GROUP cache
 * misses are in flight instead of one walk's chain of dependent ones. Finished walks leave
 * the live list, so later levels loop over fewer lanes. All live walks of a pass are at the
 * same depth, so the bit offset of their slot is one number per pass, and a slot is cut
 * straight from the key's words (from the first word alone while the stride lies in it)
 * with no per-walk window to load and store. (A branch-free variant that parks finished
 * walks on a sentinel node was measured: more instructions, slower.)
 */
enum { GROUP = 16 };

struct batch {
	uint64_t hi[GROUP], lo[GROUP];
	const struct fib6_node *cur[GROUP];
	uint32_t d[GROUP], li[GROUP];
	uint8_t live[GROUP], leafl[GROUP];
	unsigned nlive, nleaf;
};

/* One level of every live walk; slot(j) gives walk j's 6-bit slot at this level. */
#define BATCH_PASS(b, nodes, v, SLOT)                                                   \
	do {                                                                           \
		unsigned still_ = 0;                                                   \
		for (unsigned x_ = 0; x_ < (b)->nlive; x_++) {                         \
			unsigned j = (b)->live[x_];                                    \
			const struct fib6_node *nd_ = (b)->cur[j];                     \
			unsigned sh_ = 63 - (unsigned)(SLOT);                          \
			uint64_t s_ = nd_->vector << sh_;                              \
			if ((int64_t)s_ < 0) {                                         \
				nd_ = &(nodes)[nd_->base1 +                            \
					       (unsigned)__builtin_popcountll(s_) - 1]; \
				(b)->cur[j] = nd_;                                     \
				prefetch_node(nd_);                                    \
				(b)->live[still_++] = (uint8_t)j;                      \
			} else {                                                       \
				s_ = nd_->leafvec << sh_;                              \
				(b)->li[j] = nd_->base0 +                              \
					     (unsigned)__builtin_popcountll(s_) - 1;   \
				__builtin_prefetch(&(v)->leaves[(b)->li[j]]);          \
				(b)->leafl[(b)->nleaf++] = (uint8_t)j;                 \
			}                                                              \
		}                                                                      \
		(b)->nlive = still_;                                                   \
	} while (0)

static FAST_TARGET void batch_fast(const struct fib6_view *v, const uint8_t (*addrs)[16],
				   uint32_t *out, size_t n)
{
	const unsigned dpb = v->dp_bits;
	const struct fib6_node *nodes = v->nodes;
	struct batch b;
	for (size_t base = 0; base < n; base += GROUP) {
		unsigned m = n - base < GROUP ? (unsigned)(n - base) : GROUP;
		b.nlive = b.nleaf = 0;
		for (unsigned j = 0; j < m; j++) {
			memcpy(&b.hi[j], addrs[base + j], 8);
			b.hi[j] = be64(b.hi[j]);
			b.d[j] = (uint32_t)(b.hi[j] >> (64 - dpb));
			__builtin_prefetch(&v->dp[b.d[j]]);
		}
		for (unsigned j = 0; j < m; j++) {
			uint32_t e = __atomic_load_n(&v->dp[b.d[j]], __ATOMIC_RELAXED);
			if (e & FIB6_DP_LEAF) {
				/* a leaf entry already answers for the short prefixes too */
				out[base + j] = leaf_out((fib6_leaf)e);
				continue;
			}
			memcpy(&b.lo[j], addrs[base + j] + 8, 8);
			b.lo[j] = be64(b.lo[j]);
			b.cur[j] = &nodes[e];
			prefetch_node(b.cur[j]);
			b.live[b.nlive++] = (uint8_t)j;
		}
		/* off: the first bit of this level's stride */
		unsigned off = dpb;
		for (; b.nlive && off <= 64 - FIB6_STRIDE; off += FIB6_STRIDE)
			BATCH_PASS(&b, nodes, v, (b.hi[j] << off) >> (64 - FIB6_STRIDE));
		for (; b.nlive && off < 64; off += FIB6_STRIDE)
			BATCH_PASS(&b, nodes, v,
				   (b.hi[j] << off | b.lo[j] >> (64 - off)) >> (64 - FIB6_STRIDE));
		/* past bit 64 (and up to 128 + stride: the last stride reads zeros, as the
		 * single walk's window does) */
		for (; b.nlive; off += FIB6_STRIDE)
			BATCH_PASS(&b, nodes, v,
				   off < 128 ? (b.lo[j] << (off - 64)) >> (64 - FIB6_STRIDE) : 0);
		for (unsigned x = 0; x < b.nleaf; x++) {
			unsigned j = b.leafl[x];
			fib6_leaf l = v->leaves[b.li[j]];
			if (l == FIB6_LEAF_NONE)
				l = __atomic_load_n(&v->sdp[b.d[j] >> v->short_shift],
						    __ATOMIC_RELAXED);
			out[base + j] = leaf_out(l);
		}
	}
}

uint32_t fib6_lookup(const struct fib6 *fib, uint32_t zone, const uint8_t addr[16])
{
	const struct fib6_trie *t = zone ? fib6_zone_trie(fib, zone) : &fib->global;
	if (!t)
		return FIB6_NONE;
	const struct fib6_view *v = __atomic_load_n(&t->view, __ATOMIC_ACQUIRE);
	return fib->fast ? walk_fast(v, addr) : walk_plain(v, addr);
}

void fib6_lookup_batch(const struct fib6 *fib, uint32_t zone, const uint8_t (*addrs)[16],
		       uint32_t *out, size_t n)
{
	const struct fib6_trie *t = zone ? fib6_zone_trie(fib, zone) : &fib->global;
	if (!t) {
		for (size_t i = 0; i < n; i++)
			out[i] = FIB6_NONE;
		return;
	}
	const struct fib6_view *v = __atomic_load_n(&t->view, __ATOMIC_ACQUIRE);
	if (fib->fast) {
		batch_fast(v, addrs, out, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = walk_plain(v, addrs[i]);
}
