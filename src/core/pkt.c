/*
 * pkt.c - the per-stack packet pools: three sized classes, each one allocation made when the
 * stack is created and carved into buffers on a free list. pkt_alloc picks the smallest
 * class that fits; an empty class is counted, never papered over with malloc.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/stack_int.h"
#include "link/eth.h"

static const uint32_t class_size[PKT_NCLASSES] = { PKT_SMALL_SIZE, PKT_MEDIUM_SIZE,
						   PKT_LARGE_SIZE };

static uint32_t stride(uint32_t size)
{
	return (uint32_t)((sizeof(struct umk_pkt) + size + 63) & ~(size_t)63);
}

int pkt_pool_init(struct umk_stack *s, uint32_t n_small, uint32_t n_medium, uint32_t n_large)
{
	const uint32_t counts[PKT_NCLASSES] = { n_small, n_medium, n_large };

	for (int c = 0; c < PKT_NCLASSES; c++) {
		struct pkt_pool *pool = &s->pools[c];
		uint32_t st = stride(class_size[c]);

		pool->count = counts[c];
		pool->size = class_size[c];
		pool->free = NULL;
		pool->in_use = 0;
		if (counts[c] == 0)
			continue;
		pool->mem = aligned_alloc(64, (size_t)st * counts[c]);
		if (!pool->mem)
			return -ENOMEM;
		for (uint32_t i = counts[c]; i-- > 0;) {
			struct umk_pkt *p = (struct umk_pkt *)(pool->mem + (size_t)st * i);
			p->cls = (uint8_t)c;
			p->cap = class_size[c];
			p->next = pool->free;
			pool->free = p;
		}
	}
	return 0;
}

void pkt_pool_fini(struct umk_stack *s)
{
	for (int c = 0; c < PKT_NCLASSES; c++) {
		free(s->pools[c].mem);
		s->pools[c].mem = NULL;
		s->pools[c].free = NULL;
	}
}

struct umk_pkt *pkt_alloc(struct umk_stack *s, uint32_t len, uint32_t headroom)
{
	uint32_t need = len + headroom;

	for (int c = 0; c < PKT_NCLASSES; c++) {
		struct pkt_pool *pool = &s->pools[c];
		if (need > pool->size)
			continue;
		struct umk_pkt *p = pool->free;
		if (!p) {
			/* a bigger class may still have room; count the shortage of this one */
			s->counters[CNT_POOL_EMPTY_SMALL + c]++;
			continue;
		}
		pool->free = p->next;
		pool->in_use++;
		p->next = NULL;
		p->data = p->buf + headroom;
		p->len = 0;
		p->net_off = 0;
		p->ifindex = 0;
		p->flags = 0;
		p->gso_size = 0;
		p->csum_offset = 0;
		p->csum_start = 0;
		return p;
	}
	if (need > PKT_LARGE_SIZE)
		COUNT(s, PKT_TOO_BIG_FOR_POOL);
	return NULL;
}

void pkt_free(struct umk_stack *s, struct umk_pkt *p)
{
	if (!p)
		return;
	struct pkt_pool *pool = &s->pools[p->cls];
	p->next = pool->free;
	pool->free = p;
	pool->in_use--;
}

void pkt_free_chain(struct umk_stack *s, struct umk_pkt *p)
{
	while (p) {
		struct umk_pkt *n = p->next;
		pkt_free(s, p);
		p = n;
	}
}

struct umk_pkt *pkt_copy(struct umk_stack *s, const struct umk_pkt *src, uint32_t headroom)
{
	struct umk_pkt *p = pkt_alloc(s, src->len, headroom);
	if (!p)
		return NULL;
	memcpy(p->data, src->data, src->len);
	p->len = src->len;
	p->ifindex = src->ifindex;
	p->flags = src->flags;
	/* keep net_off pointing at the same header relative to data */
	int64_t rel = (int64_t)src->net_off - (int64_t)pkt_off(src);
	int64_t off = (int64_t)pkt_off(p) + rel;
	p->net_off = off >= 0 ? (uint32_t)off : 0;
	p->gso_size = src->gso_size;
	p->csum_offset = src->csum_offset;
	p->csum_start = (uint32_t)((int64_t)src->csum_start - (int64_t)pkt_off(src) + pkt_off(p));
	return p;
}

/* ---- the public face, for drivers ---- */

struct umk_pkt *umk_pkt_alloc(struct umk_stack *s, size_t len)
{
	if (len > PKT_LARGE_SIZE)
		return NULL;
	/* received frames keep some headroom so replies can be built in place */
	return pkt_alloc(s, (uint32_t)len, 64);
}

uint8_t *umk_pkt_data(struct umk_pkt *p) { return p->data; }
size_t umk_pkt_room(const struct umk_pkt *p) { return p->len + pkt_tailroom(p); }

void umk_pkt_set_len(struct umk_pkt *p, size_t len)
{
	size_t room = umk_pkt_room(p);
	p->len = (uint32_t)(len < room ? len : room);
}

void umk_pkt_free(struct umk_stack *s, struct umk_pkt *p) { pkt_free(s, p); }

int umk_pkt_set_offload(struct umk_pkt *p, const struct umk_frame_offload *off)
{
	uint8_t flags = 0;

	if (off->flags & ~(UMK_FRAME_CSUM_PARTIAL | UMK_FRAME_CSUM_VALID))
		return -EINVAL;
	if (off->flags & UMK_FRAME_CSUM_PARTIAL) {
		/* the checksum field must lie inside the summed part, behind the Ethernet
		 * header, at an even distance from the start (TCP 16, UDP 6) */
		if (off->csum_start < ETH_HLEN || (off->csum_offset & 1) ||
		    (uint32_t)off->csum_start + off->csum_offset + 2 > p->len)
			return -EINVAL;
		p->csum_start = pkt_off(p) + off->csum_start;
		p->csum_offset = off->csum_offset;
		flags |= PKT_F_CSUM_PARTIAL;
	} else if (off->flags & UMK_FRAME_CSUM_VALID) {
		flags |= PKT_F_CSUM_VALID;
	}
	/* a super-segment's checksum is never checked as one: it must be partial or valid */
	if (off->gso_size && !flags)
		return -EINVAL;
	p->gso_size = off->gso_size;
	p->flags = (uint8_t)((p->flags & ~(PKT_F_CSUM_PARTIAL | PKT_F_CSUM_VALID)) | flags);
	return 0;
}
