/*
 * timer.c - a binary min-heap of intrusive timers keyed by deadline. The heap array is
 * sized when the stack is created; it grows (counted) only if a configuration keeps more
 * timers armed than the tables' limits suggested.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/stack_int.h"

static void heap_set(struct umk_stack *s, uint32_t i, struct umk_timer *t)
{
	s->heap[i] = t;
	t->heap_idx = i;
}

static void sift_up(struct umk_stack *s, uint32_t i)
{
	struct umk_timer *t = s->heap[i];
	while (i > 1 && s->heap[i / 2]->when > t->when) {
		heap_set(s, i, s->heap[i / 2]);
		i /= 2;
	}
	heap_set(s, i, t);
}

static void sift_down(struct umk_stack *s, uint32_t i)
{
	struct umk_timer *t = s->heap[i];
	for (;;) {
		uint32_t c = 2 * i;
		if (c > s->heap_len)
			break;
		if (c + 1 <= s->heap_len && s->heap[c + 1]->when < s->heap[c]->when)
			c++;
		if (s->heap[c]->when >= t->when)
			break;
		heap_set(s, i, s->heap[c]);
		i = c;
	}
	heap_set(s, i, t);
}

int timer_heap_init(struct umk_stack *s, uint32_t capacity)
{
	s->heap = calloc((size_t)capacity + 1, sizeof(*s->heap));
	if (!s->heap)
		return -ENOMEM;
	s->heap_cap = capacity;
	s->heap_len = 0;
	return 0;
}

void timer_heap_fini(struct umk_stack *s)
{
	for (uint32_t i = 1; i <= s->heap_len; i++)
		s->heap[i]->heap_idx = 0;
	free(s->heap);
	s->heap = NULL;
	s->heap_len = s->heap_cap = 0;
}

void timer_init(struct umk_timer *t, umk_timer_fn fn)
{
	t->when = 0;
	t->heap_idx = 0;
	t->fn = fn;
}

void timer_cancel(struct umk_stack *s, struct umk_timer *t)
{
	uint32_t i = t->heap_idx;
	if (!i)
		return;
	struct umk_timer *last = s->heap[s->heap_len--];
	t->heap_idx = 0;
	if (last == t)
		return;
	heap_set(s, i, last);
	if (i > 1 && s->heap[i / 2]->when > last->when)
		sift_up(s, i);
	else
		sift_down(s, i);
}

void timer_arm(struct umk_stack *s, struct umk_timer *t, umk_time_t when)
{
	if (t->heap_idx) {
		t->when = when;
		uint32_t i = t->heap_idx;
		if (i > 1 && s->heap[i / 2]->when > when)
			sift_up(s, i);
		else
			sift_down(s, i);
		return;
	}
	if (s->heap_len == s->heap_cap) {
		uint32_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
		struct umk_timer **h = realloc(s->heap, ((size_t)cap + 1) * sizeof(*h));
		if (!h) {
			LOG_ERR(s, "timer heap full at %u and cannot grow", s->heap_cap);
			return;
		}
		s->heap = h;
		s->heap_cap = cap;
		COUNT(s, TIMER_HEAP_GROWN);
	}
	t->when = when;
	s->heap[++s->heap_len] = t;
	t->heap_idx = s->heap_len;
	sift_up(s, s->heap_len);
}

void timer_arm_in(struct umk_stack *s, struct umk_timer *t, uint64_t ms)
{
	timer_arm(s, t, s->now + ms);
}

void timer_run_due(struct umk_stack *s)
{
	while (s->heap_len && s->heap[1]->when <= s->now) {
		struct umk_timer *t = s->heap[1];
		timer_cancel(s, t);
		t->fn(s, t);
	}
}

umk_time_t timer_next(const struct umk_stack *s)
{
	return s->heap_len ? s->heap[1]->when : UMK_TIME_NEVER;
}
