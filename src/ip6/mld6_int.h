/*
 * mld6_int.h - the MLD listener's insides, shared by its two files:
 *   ip6/mld6.c        state, joins and filter changes, state-change reports (RFC 3810 6.1),
 *                     the report builder, interfaces
 *   ip6/mld6_query.c  message input, queries and the current-state answers (RFC 3810 6.2,
 *                     6.3), MLDv1 compatibility mode (RFC 3810 8.2)
 * The merged source filter of a group: ip6/mld6_filter.h.
 */
#ifndef UMK_IP6_MLD6_INT_H
#define UMK_IP6_MLD6_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "ip6/mld6.h"
#include "ip6/mld6_filter.h"

/* Sources of a Multicast Address and Source Specific Query remembered per group (RFC 3810
 * 6.2 rule 5); beyond this the answer is the whole current state, which is a superset. */
#define MLD_MAX_QUERY_SOURCES 16

struct mld_group {
	struct mld_group *next;
	struct mld_ifinfo *mi;
	struct in6_addr addr;
	struct mld_srcset filter;       /* interface state; no listener: left, kept while
					 * its last change is retransmitted */
	uint8_t change_left;            /* v2: Filter Mode Retransmission Counter (RFC 3810
					 * 6.1); v1: unsolicited reports still due */
	bool last_reporter;             /* RFC 2710 4: we sent the latest report */
	struct umk_timer timer;         /* v2: query response; v1: report delay */
	uint16_t nsrcs;                 /* queried sources pending (RFC 3810 6.2) */
	bool srcs_overflow;
	struct in6_addr srcs[MLD_MAX_QUERY_SOURCES];
};

struct mld_ifinfo {
	struct umk_if *ifp;
	struct mld_group *groups;
	uint32_t n_groups;
	struct umk_timer general_timer; /* RFC 3810 6.2: the interface timer */
	struct umk_timer change_timer;  /* retransmission of state-change reports */
	struct umk_timer v1_timer;      /* Older Version Querier Present (RFC 3810 8.2.1) */
	uint8_t robustness;             /* RFC 3810 9.1, learned from QRV */
	uint32_t query_interval;        /* ms, RFC 3810 9.2, learned from QQIC */
	uint32_t query_response_interval; /* ms, RFC 3810 9.3 */
};

struct mld_state {
	mld_output_fn output;
};

/* An MLDv2 report being filled record by record (mld6.c). */
struct report_builder {
	struct umk_pkt *pkt;
	uint16_t nrecords;
	uint32_t max;
};

typedef void (*mld_emit_fn)(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b,
			struct mld_group *g);

/* ---- mld6.c ---- */

bool mld_v1_mode(const struct mld_ifinfo *mi);
/* RFC 3810 6: ff02::1 is never reported; RFC 2710 5: nor reserved or interface-local scope. */
bool mld_reportable(const struct in6_addr *g);
struct mld_group *mld_group_find(struct mld_ifinfo *mi, const struct in6_addr *g);
void mld_group_free(struct umk_stack *s, struct mld_group *g);
/* Every group of mi stops: no timer, no pending query answer or state-change
 * retransmission, sources nobody names dropped, groups nobody listens to freed
 * (mld_if_down; the switch to MLDv1 mode, which keeps who reported last). */
void mld_groups_quiet(struct umk_stack *s, struct mld_ifinfo *mi, bool forget_reporter);
/* Anyone listens (the interface state is not INCLUDE {}). */
bool mld_listened(const struct mld_group *g);
uint64_t mld_random_delay(struct umk_stack *s, uint32_t max_ms);
/* An MLDv1 Report (to the group) or Done (to all-routers). */
void mld_send_v1(struct umk_stack *s, struct mld_ifinfo *mi, uint8_t type,
		 const struct in6_addr *group);
void mld_builder_init(struct mld_ifinfo *mi, struct report_builder *b);
void mld_builder_flush(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b);
void mld_builder_add(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b,
		     const struct in6_addr *group, uint8_t type, const struct in6_addr *srcs,
		     uint16_t nsrcs);
/* A record of `type` with the sources of kind k of g's filter, split or cut to fit. */
void mld_builder_add_set(struct umk_stack *s, struct mld_ifinfo *mi,
			 struct report_builder *b, struct mld_group *g, uint8_t type,
			 enum mld_pick k);
/* One report (or more) with what emit adds for each reportable group. */
void mld_send_v2_records(struct umk_stack *s, struct mld_ifinfo *mi, mld_emit_fn emit);

/* ---- mld6_query.c: the timers it owns ---- */

void mld_general_timer_fire(struct umk_stack *s, struct umk_timer *t);
void mld_group_timer_fire(struct umk_stack *s, struct umk_timer *t);
void mld_v1_timer_fire(struct umk_stack *s, struct umk_timer *t);

#endif
