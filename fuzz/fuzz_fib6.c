/*
 * fuzz_fib6.c - the FIB (ip6/fib) against a linear-scan model. The input is a list of
 * operations, 6 bytes each: op, zone/length, and address material spread over the top,
 * middle and bottom of the address so prefixes nest and collide often.
 *   op % 4: 0,1 insert, 2 delete, 3 lookup (every lookup is also checked in a batch, and
 *   the last 32 looked-up addresses again in one batch of walks interleaved together)
 * Bit 0x40 of op moves the address out of 2001::/16 into 20xx::, so prefixes of /16 and
 * shorter (the short table) differ across its entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ip6/fib/fib6.h"

#define MAX_ROUTES 512
#define RECENT 32

struct route {
	uint32_t zone;
	uint8_t a[16];
	unsigned plen;
	uint32_t nh;
};

static void mask_to(uint8_t a[16], unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
		if (bits < 8)
			a[i] &= (uint8_t)(0xff00 >> bits);
	}
}

static uint32_t model(const struct route *r, unsigned n, uint32_t zone, const uint8_t a[16])
{
	int best = -1;
	uint32_t nh = FIB6_NONE;
	for (unsigned i = 0; i < n; i++) {
		uint8_t x[16];
		memcpy(x, a, 16);
		mask_to(x, r[i].plen);
		if (r[i].zone == zone && (int)r[i].plen > best && !memcmp(x, r[i].a, 16)) {
			best = (int)r[i].plen;
			nh = r[i].nh;
		}
	}
	return nh;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct route r[MAX_ROUTES];
	static uint8_t recent[RECENT][16];
	uint32_t got[RECENT];
	unsigned n = 0, nrecent = 0;
	/* One table for the whole run: each input leaves it empty (checked below), so the next
	 * starts from a table whose blocks have been freed and reused, and the run is not spent
	 * setting up the 2^18-entry direct table. */
	static struct fib6 *f;
	if (!f && !(f = fib6_new(MAX_ROUTES)))
		return 0;
	for (size_t p = 0; p + 6 <= size; p += 6) {
		const uint8_t *d = data + p;
		uint32_t zone = (d[1] >> 7) ? (d[1] >> 5 & 3) : 0;
		unsigned plen = (unsigned)(d[1] & 0x1f) * 4 + (d[0] >> 2 & 3) * 1;
		if (plen > 128)
			plen = 128;
		uint8_t a[16] = { 0x20, (d[0] & 0x40) ? d[3] : 0x01, d[2], d[3] };
		a[6] = d[4];
		a[15] = d[5];
		a[8] = (uint8_t)(d[4] ^ d[5]);
		switch (d[0] % 4) {
		case 0:
		case 1: {
			mask_to(a, plen);
			uint32_t nh = d[5] % 7;
			int rc = fib6_insert(f, zone, a, plen, nh);
			unsigned i;
			for (i = 0; i < n; i++)
				if (r[i].zone == zone && r[i].plen == plen && !memcmp(r[i].a, a, 16))
					break;
			if (i == n && n == MAX_ROUTES) {
				if (rc != -28)  /* -ENOSPC */
					abort();
				break;
			}
			if (rc != 0)
				abort();
			if (i == n)
				n++;
			r[i] = (struct route){ .zone = zone, .plen = plen, .nh = nh };
			memcpy(r[i].a, a, 16);
			break;
		}
		case 2: {
			mask_to(a, plen);
			int rc = fib6_delete(f, zone, a, plen);
			unsigned i;
			for (i = 0; i < n; i++)
				if (r[i].zone == zone && r[i].plen == plen && !memcmp(r[i].a, a, 16))
					break;
			if ((i < n) != (rc == 0))
				abort();
			if (i < n)
				r[i] = r[--n];
			break;
		}
		case 3: {
			uint32_t one = fib6_lookup(f, zone, a), batch;
			fib6_lookup_batch(f, zone, (const uint8_t (*)[16])a, &batch, 1);
			uint32_t want = model(r, n, zone, a);
			if (one != want || batch != want)
				abort();
			memcpy(recent[nrecent++ % RECENT], a, 16);
			unsigned k = nrecent < RECENT ? nrecent : RECENT;
			fib6_lookup_batch(f, zone, (const uint8_t (*)[16])recent, got, k);
			for (unsigned i = 0; i < k; i++)
				if (got[i] != model(r, n, zone, recent[i]))
					abort();
			break;
		}
		}
		if (d[0] & 0x80)
			fib6_quiesce(f);
	}
	/* emptying the table must give every block back */
	for (unsigned i = 0; i < n; i++)
		if (fib6_delete(f, r[i].zone, r[i].a, r[i].plen) != 0)
			abort();
	fib6_quiesce(f);
	struct fib6_stats st;
	fib6_stats(f, &st);
	if (st.prefixes || st.nodes || st.leaves)
		abort();
	return 0;
}
