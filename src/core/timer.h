/*
 * timer.h - intrusive one-shot timers on the stack's injected clock (a binary min-heap).
 * A timer is embedded in the object it serves; its callback recovers the object with
 * container_of. Callbacks may re-arm or cancel any timer, including their own.
 */
#ifndef UMK_CORE_TIMER_H
#define UMK_CORE_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <umikame/umikame.h>

struct umk_stack;
struct umk_timer;
typedef void (*umk_timer_fn)(struct umk_stack *s, struct umk_timer *t);

struct umk_timer {
	umk_time_t when;
	uint32_t heap_idx;       /* 1-based position in the heap; 0 = not armed */
	umk_timer_fn fn;
};

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#endif

void timer_init(struct umk_timer *t, umk_timer_fn fn);
/* Arms (or re-arms) t at absolute time `when`. */
void timer_arm(struct umk_stack *s, struct umk_timer *t, umk_time_t when);
/* Arms t `ms` milliseconds from now. */
void timer_arm_in(struct umk_stack *s, struct umk_timer *t, uint64_t ms);
void timer_cancel(struct umk_stack *s, struct umk_timer *t);
static inline bool timer_armed(const struct umk_timer *t) { return t->heap_idx != 0; }

int timer_heap_init(struct umk_stack *s, uint32_t capacity);
void timer_heap_fini(struct umk_stack *s);
/* Runs every timer due at or before s->now. */
void timer_run_due(struct umk_stack *s);
umk_time_t timer_next(const struct umk_stack *s);

#endif
