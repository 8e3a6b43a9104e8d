/*
 * transport/tcp_seq.h - sequence number arithmetic modulo 2^32 (RFC 9293 3.4, RFC 1982
 * style): a < b when b is ahead of a by less than 2^31. Checked against a naive model in
 * tests/unit/test_tcp_seq.c.
 */
#ifndef UMK_TRANSPORT_TCP_SEQ_H
#define UMK_TRANSPORT_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }
/* lo <= x < hi, for a window [lo, hi) shorter than 2^31 */
static inline bool seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return x - lo < hi - lo;
}

#endif
