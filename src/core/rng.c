/*
 * rng.c - xoshiro256** seeded through splitmix64: fast, small, reproducible for a seed.
 */
#include "core/stack_int.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void rng_seed(struct umk_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t rng_u64(struct umk_stack *st)
{
	uint64_t *s = st->rng.s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint32_t rng_u32(struct umk_stack *s) { return (uint32_t)(rng_u64(s) >> 32); }

uint64_t rng_range(struct umk_stack *s, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	uint64_t span = hi - lo + 1;
	if (span == 0)
		return rng_u64(s);
	return lo + rng_u64(s) % span;
}

void rng_bytes(struct umk_stack *s, void *buf, size_t n)
{
	uint8_t *b = buf;
	while (n) {
		uint64_t v = rng_u64(s);
		size_t k = n < 8 ? n : 8;
		memcpy(b, &v, k);
		b += k;
		n -= k;
	}
}

void rng_secure_init(struct umk_stack *s)
{
	uint8_t in[32 + 8 + 12];
	memcpy(in, s->secret_key, 32);
	memcpy(in + 32, &s->cfg.seed, 8);
	memcpy(in + 40, "umikame-srng", 12);
	umk_sha256(in, sizeof(in), s->srng_key);
	explicit_bzero(in, sizeof(in));
	s->srng_ctr = 0;
	s->srng_pos = sizeof(s->srng_buf);
}

void rng_secure_bytes(struct umk_stack *s, void *buf, size_t n)
{
	uint8_t *b = buf;
	while (n) {
		if (s->srng_pos == sizeof(s->srng_buf)) {
			uint8_t in[32 + 8];
			memcpy(in, s->srng_key, 32);
			memcpy(in + 32, &s->srng_ctr, 8);
			s->srng_ctr++;
			umk_sha256(in, sizeof(in), s->srng_buf);
			explicit_bzero(in, sizeof(in));
			s->srng_pos = 0;
		}
		size_t k = sizeof(s->srng_buf) - s->srng_pos;
		if (k > n)
			k = n;
		memcpy(b, s->srng_buf + s->srng_pos, k);
		/* bytes handed out are not kept */
		explicit_bzero(s->srng_buf + s->srng_pos, k);
		s->srng_pos += (uint32_t)k;
		b += k;
		n -= k;
	}
}

uint32_t rng_secure_u32(struct umk_stack *s)
{
	uint32_t v;
	rng_secure_bytes(s, &v, sizeof(v));
	return v;
}
