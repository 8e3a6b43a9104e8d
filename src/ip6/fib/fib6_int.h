/*
 * fib6_int.h - what fib6.c and fib6_radix.c share: 128-bit keys and the prefix trie that
 * holds the control-plane truth the Poptrie is built from. Not for other modules: they use
 * fib6.h. Keys are unsigned __int128 in host order (bit 0 of the address is the top bit),
 * which needs a 64-bit GCC or Clang target.
 */
#ifndef UMK_IP6_FIB_FIB6_INT_H
#define UMK_IP6_FIB_FIB6_INT_H

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
 * the next hop of the longest prefix shorter than off that covers the region. */
const struct fib6_rnode *fib6_radix_region(const struct fib6_radix *r, fib6_key key,
					   unsigned off, uint32_t *inherit);
void fib6_radix_free(struct fib6_radix *r);

#endif
