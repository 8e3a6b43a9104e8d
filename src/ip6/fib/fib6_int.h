/*
 * fib6_int.h - what fib6.c and fib6_radix.c share: 128-bit keys and the prefix trie that
 * holds the control-plane truth the Poptrie is built from. Not for other modules: they use
 * fib6.h. Keys are unsigned __int128 in host order (bit 0 of the address is the top bit),
 * which needs a 64-bit GCC or Clang target.
 */
#ifndef UMK_IP6_FIB_FIB6_INT_H
#define UMK_IP6_FIB_FIB6_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ip6/fib/fib6.h"

typedef unsigned __int128 fib6_key;

static inline fib6_key fib6_key_load(const uint8_t a[16])
{
	uint64_t hi, lo;
	memcpy(&hi, a, 8);
	memcpy(&lo, a + 8, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	hi = __builtin_bswap64(hi);
	lo = __builtin_bswap64(lo);
#endif
	return (fib6_key)hi << 64 | lo;
}

static inline void fib6_key_store(fib6_key k, uint8_t a[16])
{
	for (int i = 15; i >= 0; i--, k >>= 8)
		a[i] = (uint8_t)k;
}

/* The first plen bits set. */
static inline fib6_key fib6_mask(unsigned plen)
{
	return plen ? ~(fib6_key)0 << (128 - plen) : 0;
}

/* Bit i of the address, counted from the top (i < 128). */
static inline unsigned fib6_bit(fib6_key k, unsigned i)
{
	return (unsigned)(k >> (127 - i)) & 1;
}

/*
 * The prefix trie: a path-compressed binary trie (PATRICIA, as in BSD's radix.c) with one
 * node per prefix plus a glue node where two prefixes part. It answers exact-match updates
 * and tells the Poptrie builder which prefixes lie inside a region; fib6_radix_lookup is the
 * bit-at-a-time baseline the benchmark measures against.
 */
struct fib6_rnode {
	fib6_key key;                 /* zero past plen */
	struct fib6_rnode *child[2];  /* by the bit after plen */
	struct fib6_rnode *parent;
	uint32_t nexthop;             /* FIB6_NONE: a glue node */
	uint8_t plen;
};

struct fib6_radix {
	struct fib6_rnode *root;
	uint32_t prefixes;
	uint32_t nodes;
};

/* 1 added, 0 replaced (*old set), -ENOMEM. */
int fib6_radix_insert(struct fib6_radix *r, fib6_key key, unsigned plen, uint32_t nexthop,
		      uint32_t *old);
/* 0 removed (*old set), -ENOENT. */
int fib6_radix_delete(struct fib6_radix *r, fib6_key key, unsigned plen, uint32_t *old);
uint32_t fib6_radix_lookup(const struct fib6_radix *r, fib6_key key);
/* The topmost node inside the region of key's first off bits (NULL: none), and in *inherit
 * the next hop of the longest prefix shorter than off, and at least floor long, that covers
 * the region (shorter ones are left to the short table, see fib6.c). */
const struct fib6_rnode *fib6_radix_region(const struct fib6_radix *r, fib6_key key,
					   unsigned off, unsigned floor, uint32_t *inherit);
void fib6_radix_free(struct fib6_radix *r);

/*
 * The Poptrie (fib6.c builds it, fib6_lookup.c reads it). See fib6.c for the layout.
 */
#define FIB6_STRIDE 6
#define FIB6_DP_LEAF 0x80000000u
#define FIB6_LEAF_NONE 0xffff       /* fib6_leaf value for "no route" */
/* 64 nodes at this index whose every slot leads back into them: a finished walk of a batch
 * parks there, so the batch loop needs no branch per walk (fib6_lookup.c). */
#define FIB6_SENTINEL 64

typedef uint16_t fib6_leaf;

struct fib6_node {
	uint64_t vector;    /* bit i: slot i continues in a child node */
	uint64_t leafvec;   /* bit i: a run of equal leaves starts at slot i */
	uint32_t base0;     /* first leaf */
	uint32_t base1;     /* first child node */
};

/* What a reader needs, published as one pointer. */
struct fib6_view {
	uint32_t *dp;               /* 2^dp_bits: FIB6_DP_LEAF | next hop, or a node index */
	struct fib6_node *nodes;
	fib6_leaf *leaves;
	fib6_leaf *sdp;             /* 2^short_bits: the short prefixes, pushed; never moves */
	uint8_t dp_bits, short_shift;   /* short index = dp index >> short_shift */
};

/* Free blocks of one size, reused after they leave limbo. */
struct fib6_idx_stack {
	uint32_t *v;
	uint32_t n, cap;
};

struct fib6_pool {
	uint32_t top, cap;          /* bump allocation */
	uint32_t live;              /* elements in blocks not freed */
	struct fib6_idx_stack free[65];  /* by block size 1..64 */
};

struct fib6_limbo {
	void *raw;                  /* an array or view to free(), or NULL for a block */
	uint32_t idx;
	uint8_t size;
	uint8_t is_leaf;
};

/* One zone's table. */
struct fib6_trie {
	struct fib6_view *view;     /* read with acquire, replaced on growth */
	unsigned dp_bits, short_bits;
	struct fib6_radix radix;
	struct fib6_pool nodes, leaves;
	fib6_leaf *dp_long;         /* 2^dp_bits: a leaf dp entry's value without short prefixes */
	fib6_leaf *sdp_next;        /* 2^short_bits: scratch for a short-prefix update */
	struct fib6_limbo *limbo;
	uint32_t limbo_n, limbo_cap;
	size_t limbo_bytes;
	int err;                    /* set by a failed allocation during one update */
};

struct fib6_zone {
	uint32_t zone;
	struct fib6_trie *trie;
};

struct fib6 {
	struct fib6_trie global;    /* zone 0 */
	uint32_t max_prefixes;
	uint32_t prefixes;
	uint32_t nzones;
	bool fast;                  /* the CPU has POPCNT and BMI2 (fib6_lookup.c) */
	struct fib6_zone zones[FIB6_MAX_ZONES];
};

/* The table of a zone, NULL if it has none yet (safe against a concurrent writer). */
static inline struct fib6_trie *fib6_zone_trie(const struct fib6 *fib, uint32_t zone)
{
	if (zone == 0)
		return (struct fib6_trie *)&fib->global;
	uint32_t n = __atomic_load_n(&fib->nzones, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++)
		if (fib->zones[i].zone == zone)
			return fib->zones[i].trie;
	return NULL;
}

#endif
