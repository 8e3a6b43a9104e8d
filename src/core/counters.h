/*
 * counters.h - every counter of the stack, after the standard MIBs (RFC 4293 ipv6 and
 * icmpv6 groups), plus a named counter for every drop reason (DESIGN.md "Every drop is
 * counted"). Each module lists its own counters in its <module>_counters.def file as
 *     C(ID, "group", "Name")
 * and bumps them with COUNT(s, ID). `umk stats` prints them all.
 */
#ifndef UMK_CORE_COUNTERS_H
#define UMK_CORE_COUNTERS_H

#include <stdint.h>

enum umk_counter {
#define C(id, group, name) CNT_##id,
#include "core/counters.def"
#undef C
	CNT__COUNT
};

extern const char *const umk_counter_group[CNT__COUNT];
extern const char *const umk_counter_name[CNT__COUNT];

#define COUNT(s, id) ((s)->counters[CNT_##id]++)
#define COUNT_ADD(s, id, n) ((s)->counters[CNT_##id] += (n))

#endif
