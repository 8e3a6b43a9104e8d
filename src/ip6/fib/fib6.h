/*
 * fib6.h - the fast IPv6 forwarding table: longest-prefix match keyed by zone, mapping a
 * destination to a small next-hop id (issue 4, "The FIB"). The routing table (ip6/route6.c)
 * owns routes and maps next-hop ids to gateway and interface; this module only answers
 * "which id does the longest matching prefix carry".
 *
 * Zones (RFC 4007 6): global prefixes live in zone 0, the fast path; scoped prefixes
 * (fe80::/10, ...) are inserted under the zone (interface) they belong to, in a small table
 * of their own. A lookup in zone z sees only zone z's prefixes.
 *
 * Updates never stall or tear lookups: a changed part is built aside and published with one
 * 32-bit store (a short prefix, /16 or shorter, with one store per entry of its range, each
 * of which answers old or new); blocks a concurrent reader may still hold are freed only at
 * fib6_quiesce(), which the owner calls when no lookup is in flight (for the single-threaded
 * stack: after each batch of route changes).
 *
 * Implementation: fib6.c (Poptrie lookup structure, short-prefix table, build and
 * path-copy update), fib6_lookup.c (single and batched walks), fib6_radix.c (the
 * path-compressed binary trie holding the prefixes themselves).
 */
#ifndef UMK_IP6_FIB_FIB6_H
#define UMK_IP6_FIB_FIB6_H

#include <stddef.h>
#include <stdint.h>

#define FIB6_NONE UINT32_MAX    /* lookup result: no prefix matches */
#define FIB6_NEXTHOP_MAX 0xfffe /* next-hop ids are 0 .. FIB6_NEXTHOP_MAX (16-bit leaves) */
#define FIB6_MAX_ZONES 256      /* distinct non-zero zones */

struct fib6;

struct fib6_stats {
	uint32_t prefixes;          /* all zones */
	uint32_t zones;             /* non-zero zones in use */
	size_t lookup_bytes;        /* what a lookup can touch: direct table, nodes, leaves */
	size_t control_bytes;       /* the prefix trie and allocator bookkeeping */
	uint32_t nodes, leaves;     /* live Poptrie nodes and leaves, all zones */
	size_t limbo_bytes;         /* retired blocks waiting for fib6_quiesce() */
};

/* A table for at most max_prefixes prefixes over all zones; NULL on allocation failure. */
struct fib6 *fib6_new(uint32_t max_prefixes);
void fib6_free(struct fib6 *fib);

/* Adds prefix/plen -> nexthop in zone, replacing the next hop if the prefix is present.
 * Bits of prefix past plen are ignored. 0, -EINVAL (plen > 128, nexthop too large),
 * -ENOSPC (max_prefixes or FIB6_MAX_ZONES reached), -ENOMEM. */
int fib6_insert(struct fib6 *fib, uint32_t zone, const uint8_t prefix[16], unsigned plen,
		uint32_t nexthop);
/* Removes prefix/plen from zone. 0, -ENOENT, -EINVAL, -ENOMEM. */
int fib6_delete(struct fib6 *fib, uint32_t zone, const uint8_t prefix[16], unsigned plen);

/* The next hop of the longest prefix containing addr in zone, or FIB6_NONE. Safe against
 * a concurrent writer in another thread (see above). */
uint32_t fib6_lookup(const struct fib6 *fib, uint32_t zone, const uint8_t addr[16]);
/* n lookups in one zone; interleaves them to hide memory latency. */
void fib6_lookup_batch(const struct fib6 *fib, uint32_t zone, const uint8_t (*addrs)[16],
		       uint32_t *out, size_t n);

/* Frees blocks retired by earlier updates. Call only when no lookup is in flight. */
void fib6_quiesce(struct fib6 *fib);

void fib6_stats(const struct fib6 *fib, struct fib6_stats *st);

#endif
