/*
 * rng.h - the stack's pseudo-random numbers (xoshiro256**), seeded by the owner so
 * simulations are reproducible. Used for protocol jitter (RFC 4861 random delays), IDs and
 * temporary interface identifiers; never for keys.
 */
#ifndef UMK_CORE_RNG_H
#define UMK_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

struct umk_rng { uint64_t s[4]; };
struct umk_stack;

void rng_seed(struct umk_rng *r, uint64_t seed);
uint64_t rng_u64(struct umk_stack *s);
uint32_t rng_u32(struct umk_stack *s);
/* Uniform in [lo, hi] (inclusive). */
uint64_t rng_range(struct umk_stack *s, uint64_t lo, uint64_t hi);
void rng_bytes(struct umk_stack *s, void *buf, size_t n);

#endif
