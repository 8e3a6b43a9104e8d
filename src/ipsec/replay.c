/*
 * replay.c - anti-replay windows (replay.h): RFC 4303 3.4.3 and the ESN inference of
 * RFC 4303 appendix A2.2, on a ring bitmap so sliding costs one word per 64 positions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec/replay.h"

static inline bool bit_get(const struct ipsec_replay *r, uint64_t seq);
static inline void bit_set(struct ipsec_replay *r, uint64_t seq);

int replay_init(struct ipsec_replay *r, uint32_t size, bool esn)
{
	memset(r, 0, sizeof(*r));
	r->esn = esn;
	if (size > IPSEC_REPLAY_MAX)
		return -EINVAL;
	r->size = (size + 63) & ~63u;
	if (r->size) {
		r->bitmap = calloc(r->size / 64, sizeof(uint64_t));
		if (!r->bitmap)
			return -ENOMEM;
	}
	return 0;
}

void replay_carry(struct ipsec_replay *to, const struct ipsec_replay *from)
{
	/* RFC 4303 3.4.3: the window belongs to the SA, not to its keys: what was seen
	 * stays seen, as far as both windows reach */
	to->top = from->top;
	uint64_t n = to->size < from->size ? to->size : from->size;
	if (n > from->top)
		n = from->top;
	for (uint64_t seq = from->top - n + 1; n && seq <= from->top; seq++)
		if (bit_get(from, seq))
			bit_set(to, seq);
}

void replay_fini(struct ipsec_replay *r)
{
	free(r->bitmap);
	r->bitmap = NULL;
}

uint64_t replay_infer(const struct ipsec_replay *r, uint32_t seq_low)
{
	if (!r->esn)
		return seq_low;
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	/* a window of 0 (replay off) still needs a W for the inference: use 2^31 would be
	 * too loose; RFC 4303 A2.2 assumes W >= 1 */
	uint32_t w = r->size ? r->size : 64;
	uint32_t bottom = tl - w + 1;          /* mod 2^32, as A2.2 computes it */

	if (tl >= w - 1) {
		/* case A: the window lies within one subspace */
		if (seq_low >= bottom)
			return ((uint64_t)th << 32) | seq_low;
		return ((uint64_t)(th + 1) << 32) | seq_low;
	}
	/* case B: the window spans two subspaces */
	if (seq_low >= bottom) {
		if (th == 0)
			return 0;              /* below sequence 1: can only be a forgery */
		return ((uint64_t)(th - 1) << 32) | seq_low;
	}
	return ((uint64_t)th << 32) | seq_low;
}

static inline bool bit_get(const struct ipsec_replay *r, uint64_t seq)
{
	uint32_t i = (uint32_t)(seq % r->size);
	return r->bitmap[i / 64] >> (i % 64) & 1;
}

static inline void bit_set(struct ipsec_replay *r, uint64_t seq)
{
	uint32_t i = (uint32_t)(seq % r->size);
	r->bitmap[i / 64] |= 1ULL << (i % 64);
}

bool replay_check(const struct ipsec_replay *r, uint64_t seq)
{
	if (seq == 0)
		return false;                  /* RFC 4303 3.3.3: the first packet is 1 */
	if (!r->size || seq > r->top)
		return true;
	if (r->top - seq >= r->size)
		return false;                  /* left of the window */
	return !bit_get(r, seq);
}

void replay_update(struct ipsec_replay *r, uint64_t seq)
{
	if (!r->size) {
		if (seq > r->top)
			r->top = seq;
		return;
	}
	if (seq > r->top) {
		uint64_t diff = seq - r->top;
		if (diff >= r->size) {
			memset(r->bitmap, 0, r->size / 8);
		} else {
			/* clear the positions the window slides over, whole words where it can */
			uint64_t s = r->top + 1;
			while (s <= seq) {
				uint32_t i = (uint32_t)(s % r->size);
				if (i % 64 == 0 && seq - s >= 63) {
					r->bitmap[i / 64] = 0;
					s += 64;
				} else {
					r->bitmap[i / 64] &= ~(1ULL << (i % 64));
					s++;
				}
			}
		}
		r->top = seq;
	}
	bit_set(r, seq);
}
