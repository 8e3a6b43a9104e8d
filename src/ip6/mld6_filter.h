/*
 * mld6_filter.h - the per-interface source filter of one multicast group (RFC 3810 4.2),
 * kept as per-source reference counts so that each listener's change is applied on its
 * own, and the pending state-change retransmissions of its sources (RFC 3810 6.1).
 *
 * A listener (a socket, or the stack itself for its any-source joins) has a filter mode
 * and a source list (RFC 3810 4.1). The interface state is, by RFC 3810 4.2:
 *   - EXCLUDE if any listener is in EXCLUDE mode; its list is the intersection of the
 *     EXCLUDE lists minus the union of the INCLUDE lists;
 *   - otherwise INCLUDE, with the union of the INCLUDE lists.
 * With per-source counts that is: in EXCLUDE mode a source is in the list when every
 * EXCLUDE listener names it and no INCLUDE listener does; in INCLUDE mode when some
 * INCLUDE listener names it.
 *
 * Pure bookkeeping (no timers, no packets): ip6/mld6.c drives it; tests/unit/
 * test_mld6_filter.c checks it against the RFC's set definitions.
 */
#ifndef UMK_IP6_MLD6_FILTER_H
#define UMK_IP6_MLD6_FILTER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Filter modes (RFC 3810 4.1); the values are ours, not the sockets API's. */
#define MLD_FILTER_INCLUDE 1
#define MLD_FILTER_EXCLUDE 2

/* One listener's state for a group. INCLUDE {} means "not listening". */
struct mld_filter {
	uint8_t mode;
	uint16_t nsrcs;
	const struct in6_addr *srcs;    /* no duplicates */
};

struct mld_source {
	struct in6_addr addr;
	uint32_t n_include;             /* INCLUDE listeners naming it */
	uint32_t n_exclude;             /* EXCLUDE listeners naming it */
	uint8_t rexmit;                 /* RFC 3810 6.1 per-source retransmission counter */
	bool was;                       /* in the interface list before the last change */
};

struct mld_srcset {
	struct mld_source *v;
	uint32_t n, cap;
	uint32_t n_exclude_listeners;   /* listeners in EXCLUDE mode */
	uint32_t n_include_listeners;   /* listeners in INCLUDE mode with sources */
	uint8_t was_mode;               /* interface mode before the last change */
};

void mld_srcset_free(struct mld_srcset *set);
/* The interface filter mode (RFC 3810 4.2). */
uint8_t mld_srcset_mode(const struct mld_srcset *set);
/* Whether e is in the interface source list (RFC 3810 4.2). */
bool mld_srcset_in_list(const struct mld_srcset *set, const struct mld_source *e);
/* Whether the host listens to traffic from e under the interface state (INCLUDE: in the
 * list; EXCLUDE: not in it). */
bool mld_srcset_listens(const struct mld_srcset *set, const struct mld_source *e);
/* Any listener at all (the interface state is not INCLUDE {}). */
bool mld_srcset_listened(const struct mld_srcset *set);
/* Whether the interface state lets traffic from src through (RFC 3810 4.2). */
bool mld_srcset_passes(const struct mld_srcset *set, const struct in6_addr *src);

/* Replaces one listener's state old by new (either may be INCLUDE {}). Before touching the
 * counts it remembers the interface state (was, was_mode) for mld_srcset_mark. 0, or
 * -ENOBUFS when more than `limit` distinct sources would be tracked (nothing changed), or
 * -ENOMEM. */
int mld_srcset_update(struct mld_srcset *set, const struct mld_filter *old,
		      const struct mld_filter *new, uint32_t limit);
/* RFC 3810 6.1: after an update, sets the retransmission state for what changed: on a
 * filter-mode change *mode_rexmit = robustness and the per-source counters are cleared
 * (the Filter Mode Change record carries the whole list); otherwise each source whose
 * membership of the list changed gets rexmit = robustness. True if anything changed. */
bool mld_srcset_mark(struct mld_srcset *set, uint8_t robustness, uint8_t *mode_rexmit);
/* Any source retransmission pending. */
bool mld_srcset_pending(const struct mld_srcset *set);
/* Decrements every non-zero source retransmission counter (after a report carried them). */
void mld_srcset_tick(struct mld_srcset *set);
/* Forgets sources nobody names and that have nothing left to retransmit. */
void mld_srcset_gc(struct mld_srcset *set);
/* Clears every source's retransmission counter. */
void mld_srcset_clear_pending(struct mld_srcset *set);
/* Sets every listed source's counter to robustness (announcing an INCLUDE state afresh,
 * as ALLOW records, when the link comes up). */
void mld_srcset_mark_list(struct mld_srcset *set, uint8_t robustness);

/* What mld_srcset_pick collects. */
enum mld_pick {
	MLD_PICK_LIST,                  /* the interface source list */
	MLD_PICK_ALLOW,                 /* pending, now listened to: ALLOW_NEW_SOURCES */
	MLD_PICK_BLOCK,                 /* pending, now not listened to: BLOCK_OLD_SOURCES */
};
/* Copies up to max sources of kind k into out, starting at *cursor (an index into the set,
 * start at 0) and advancing it; returns how many. */
uint16_t mld_srcset_pick(const struct mld_srcset *set, enum mld_pick k, uint32_t *cursor,
			 struct in6_addr *out, uint16_t max);
/* How many sources of kind k there are. */
uint32_t mld_srcset_count(const struct mld_srcset *set, enum mld_pick k);

#endif
