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

/*
 * Unpredictable bytes for values an off-link attacker must not guess: RFC 8981 temporary
 * interface identifiers, RFC 7739 fragment identifications, RFC 7527 DAD nonces. SHA-256 in
 * counter mode under a key derived from the RFC 7217 secret and the seed (the owner's
 * getrandom() output in umk_stack_config_defaults); deterministic for a given config, so
 * simulations stay reproducible.
 */
void rng_secure_init(struct umk_stack *s);
void rng_secure_bytes(struct umk_stack *s, void *buf, size_t n);
uint32_t rng_secure_u32(struct umk_stack *s);

#endif
