/*
 * mld6_query.c - the MLD listener's input: queries and what answers them (RFC 3810 6.2
 * reception rules, 6.3 Current-State records, including the source-list intersection of
 * Multicast Address and Source Specific Queries), MLDv1 queries and compatibility mode
 * (RFC 3810 8.2, RFC 2710 4), and the other messages (counted). Shared state and the report
 * builder: ip6/mld6_int.h, ip6/mld6.c.
 */
#include <errno.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ip6/mld6_int.h"
#include "wire/mld.h"

/* ---- responses to queries (RFC 3810 6.2, 6.3; RFC 2710 4) ----------------------------- */

/* RFC 3810 6.3: the Current-State record of a General or Multicast Address Specific Query */
static void emit_current(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b,
			 struct mld_group *g)
{
	if (!mld_listened(g))
		return;
	if (mld_srcset_mode(&g->filter) == MLD_FILTER_EXCLUDE)
		mld_builder_add_set(s, mi, b, g, MLD_MODE_IS_EXCLUDE, MLD_PICK_LIST);
	else
		mld_builder_add_set(s, mi, b, g, MLD_MODE_IS_INCLUDE, MLD_PICK_LIST);
}

void mld_general_timer_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct mld_ifinfo *mi = container_of(t, struct mld_ifinfo, general_timer);
	if (!(mi->ifp->flags & UMK_IF_UP) || mld_v1_mode(mi))
		return;
	mld_send_v2_records(s, mi, emit_current);
}

/* RFC 3810 6.3: to a Multicast Address and Source Specific Query with sources Q the answer
 * is IS_IN (A * Q) in INCLUDE (A) and IS_IN (Q - A) in EXCLUDE (A), that is the queried
 * sources the host listens to; none, no answer. To a group-specific one (or when more
 * sources were queried than we kept), the whole current state. */
void mld_group_timer_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct mld_group *g = container_of(t, struct mld_group, timer);
	struct mld_ifinfo *mi = g->mi;
	if (!(mi->ifp->flags & UMK_IF_UP) || !mld_listened(g))
		return;
	if (mld_v1_mode(mi)) {
		mld_send_v1(s, mi, MLD_V1_LISTENER_REPORT, &g->addr);
		g->last_reporter = true;
		if (g->change_left && --g->change_left)
			timer_arm_in(s, &g->timer, mld_random_delay(s,
				     (uint32_t)mi->ifp->conf.mld_unsolicited_report_interval));
		return;
	}
	struct report_builder b;
	mld_builder_init(mi, &b);
	if (g->nsrcs && !g->srcs_overflow) {
		uint16_t n = 0;
		for (uint16_t i = 0; i < g->nsrcs; i++)
			if (mld_srcset_passes(&g->filter, &g->srcs[i]))
				g->srcs[n++] = g->srcs[i];
		if (n)
			mld_builder_add(s, mi, &b, &g->addr, MLD_MODE_IS_INCLUDE, g->srcs, n);
		else
			COUNT(s, MLD_SOURCE_QUERY_NOTHING);
	} else {
		emit_current(s, mi, &b, g);
	}
	mld_builder_flush(s, mi, &b);
	g->nsrcs = 0;
	g->srcs_overflow = false;
}

static bool due_before(const struct umk_stack *s, const struct umk_timer *t, uint64_t delay)
{
	return timer_armed(t) && t->when <= s->now + delay;
}

/* Arms t at now + delay unless it is already due sooner. */
static void arm_earliest(struct umk_stack *s, struct umk_timer *t, uint64_t delay)
{
	if (!due_before(s, t, delay))
		timer_arm_in(s, t, delay);
}

static void record_sources(struct umk_stack *s, struct mld_group *g, const struct mld_query *q)
{
	for (unsigned i = 0; i < q->nsrcs; i++) {
		struct in6_addr a;
		mld_source_get(q->srcs, i, &a);
		bool have = false;
		for (unsigned j = 0; j < g->nsrcs && !have; j++)
			have = IN6_ARE_ADDR_EQUAL(&g->srcs[j], &a);
		if (have)
			continue;
		if (g->nsrcs == MLD_MAX_QUERY_SOURCES) {
			COUNT(s, MLD_QUERY_SOURCES_OVERFLOW);
			g->srcs_overflow = true;
			return;
		}
		g->srcs[g->nsrcs++] = a;
	}
}

static void query_v2(struct umk_stack *s, struct mld_ifinfo *mi, const struct mld_query *q)
{
	/* RFC 3810 9.1, 9.2, 9.3: adopt the querier's robustness and intervals */
	if (q->qrv)
		mi->robustness = q->qrv;
	if (q->qqi)
		mi->query_interval = q->qqi * 1000;
	mi->query_response_interval = q->max_resp_delay;

	uint64_t delay = mld_random_delay(s, q->max_resp_delay);
	/* RFC 3810 6.2 rule 1: a pending General Query response sooner covers everything */
	if (due_before(s, &mi->general_timer, delay))
		return;
	if (IN6_IS_ADDR_UNSPECIFIED(&q->group)) {
		/* rule 2 */
		timer_arm_in(s, &mi->general_timer, delay);
		return;
	}
	struct mld_group *g = mld_group_find(mi, &q->group);
	if (!g || !mld_listened(g) || !mld_reportable(&g->addr))
		return;
	bool pending = timer_armed(&g->timer);
	if (!q->nsrcs || (pending && !g->nsrcs)) {
		/* rules 3 and 4: a plain group-specific answer */
		g->nsrcs = 0;
		g->srcs_overflow = false;
	} else {
		/* rules 3 and 5: remember (more) queried sources */
		if (!pending) {
			g->nsrcs = 0;
			g->srcs_overflow = false;
		}
		record_sources(s, g, q);
	}
	arm_earliest(s, &g->timer, delay);
}

/* RFC 2710 4: a query (re)starts each addressed group's report delay timer, unless it is
 * already due within the new Maximum Response Delay. */
static void query_v1(struct umk_stack *s, struct mld_ifinfo *mi, const struct mld_query *q)
{
	for (struct mld_group *g = mi->groups; g; g = g->next) {
		if (!mld_listened(g) || !mld_reportable(&g->addr))
			continue;
		if (!IN6_IS_ADDR_UNSPECIFIED(&q->group) && !IN6_ARE_ADDR_EQUAL(&q->group, &g->addr))
			continue;
		if (due_before(s, &g->timer, q->max_resp_delay))
			continue;
		g->change_left = 0;
		timer_arm_in(s, &g->timer, mld_random_delay(s, q->max_resp_delay));
	}
}

/* RFC 3810 8.2.1: an MLDv1 Query puts the interface in MLDv1 mode for the Older Version
 * Querier Present Timeout (9.12); v2 timers and state-change retransmissions stop. */
static void enter_v1_mode(struct umk_stack *s, struct mld_ifinfo *mi)
{
	uint64_t timeout = (uint64_t)mi->robustness * mi->query_interval +
			   mi->query_response_interval;
	if (!timer_armed(&mi->v1_timer)) {
		COUNT(s, MLD_V1_MODE_ENTERED);
		LOG_INFO(s, "%s: MLDv1 querier present, MLDv1 compatibility mode for %llu ms",
			 mi->ifp->name, (unsigned long long)timeout);
		timer_cancel(s, &mi->general_timer);
		timer_cancel(s, &mi->change_timer);
		mld_groups_quiet(s, mi, false);
	}
	timer_arm_in(s, &mi->v1_timer, timeout);
}

void mld_v1_timer_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct mld_ifinfo *mi = container_of(t, struct mld_ifinfo, v1_timer);
	LOG_INFO(s, "%s: MLDv1 querier gone, back to MLDv2", mi->ifp->name);
	for (struct mld_group *g = mi->groups; g; g = g->next) {
		timer_cancel(s, &g->timer);
		g->change_left = 0;
	}
}

/* ---- input ---------------------------------------------------------------------------- */

static bool link_local_unicast(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80;
}

/* RFC 3810 6.2 (and 5.1.14): a query must come from a link-local source with hop limit 1
 * and a Router Alert option, or it is dropped. */
static void handle_query(struct umk_stack *s, struct mld_ifinfo *mi, const uint8_t *p,
			 size_t len, const struct ip6_rx *rx)
{
	COUNT(s, MLD_IN_QUERIES);
	struct mld_query q;
	int err = mld_query_parse(p, len, &q);
	if (err) {
		if (err == -EPROTO)
			COUNT(s, MLD_IN_BAD_LENGTH);
		else
			COUNT(s, MLD_IN_TOO_SHORT);
		LOG_DEBUG(s, "%s: query of %zu bytes dropped", mi->ifp->name, len);
		return;
	}
	char b[ADDRSTRLEN];
	if (rx->hlim != 1) {
		COUNT(s, MLD_IN_BAD_HLIM);
		LOG_DEBUG(s, "%s: query with hop limit %u dropped", mi->ifp->name, rx->hlim);
		return;
	}
	if (!link_local_unicast(&rx->src)) {
		COUNT(s, MLD_IN_BAD_SRC);
		LOG_DEBUG(s, "%s: query from %s dropped", mi->ifp->name, addr_str(&rx->src, b));
		return;
	}
	if (!(rx->flags & IP6_RX_ROUTER_ALERT)) {
		COUNT(s, MLD_IN_NO_RTALERT);
		LOG_DEBUG(s, "%s: query without Router Alert dropped", mi->ifp->name);
		return;
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&q.group) && !IN6_IS_ADDR_MULTICAST(&q.group)) {
		COUNT(s, MLD_IN_BAD_GROUP);
		LOG_DEBUG(s, "%s: query for %s dropped", mi->ifp->name, addr_str(&q.group, b));
		return;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&q.group))
		COUNT(s, MLD_IN_GENERAL_QUERIES);
	else if (q.nsrcs)
		COUNT(s, MLD_IN_SOURCE_QUERIES);
	else
		COUNT(s, MLD_IN_GROUP_QUERIES);

	if (q.version == 1) {
		COUNT(s, MLD_IN_V1_QUERIES);
		if (mi->ifp->conf.force_mld_version == 2) {
			COUNT(s, MLD_IN_V1_QUERY_FORCED_V2);
			return;
		}
		if (mi->ifp->conf.force_mld_version != 1)
			enter_v1_mode(s, mi);
		query_v1(s, mi, &q);
		return;
	}
	COUNT(s, MLD_IN_V2_QUERIES);
	/* in MLDv1 mode a v2 query is read as the v1 query it extends (RFC 3810 8.2.1) */
	if (mld_v1_mode(mi))
		query_v1(s, mi, &q);
	else
		query_v2(s, mi, &q);
}

/* RFC 2710 4: another listener's report for a group whose report we have pending stops
 * ours (suppression); we are then no longer the last reporter. */
static void handle_v1_report(struct umk_stack *s, struct mld_ifinfo *mi, const uint8_t *p,
			     size_t len, const struct ip6_rx *rx)
{
	COUNT(s, MLD_IN_V1_REPORTS);
	struct mld_v1 m;
	if (mld_v1_parse(p, len, &m)) {
		COUNT(s, MLD_IN_TOO_SHORT);
		return;
	}
	if (rx->hlim != 1) {
		COUNT(s, MLD_IN_BAD_HLIM);
		return;
	}
	if (!link_local_unicast(&rx->src) && !IN6_IS_ADDR_UNSPECIFIED(&rx->src)) {
		COUNT(s, MLD_IN_BAD_SRC);
		return;
	}
	if (!IN6_IS_ADDR_MULTICAST(&m.group)) {
		COUNT(s, MLD_IN_BAD_GROUP);
		return;
	}
	struct mld_group *g = mld_group_find(mi, &m.group);
	if (!g || !mld_listened(g) || !mld_v1_mode(mi))
		return;
	if (timer_armed(&g->timer)) {
		COUNT(s, MLD_V1_REPORT_SUPPRESSED);
		timer_cancel(s, &g->timer);
		g->change_left = 0;
	}
	g->last_reporter = false;
}

/* Hosts do not act on MLDv2 reports or Dones (RFC 3810 6, RFC 2710 4); they are counted. */
static void handle_v2_report(struct umk_stack *s, struct mld_ifinfo *mi, const uint8_t *p,
			     size_t len, const struct ip6_rx *rx)
{
	COUNT(s, MLD_IN_V2_REPORTS);
}

static void handle_done(struct umk_stack *s, struct mld_ifinfo *mi, const uint8_t *p,
			size_t len, const struct ip6_rx *rx)
{
	COUNT(s, MLD_IN_DONES);
}

struct mld_msg_row {
	uint8_t type;
	uint8_t min_len;
	void (*handle)(struct umk_stack *s, struct mld_ifinfo *mi, const uint8_t *p, size_t len,
		       const struct ip6_rx *rx);
};

static const struct mld_msg_row msg_rows[] = {
	{ MLD_LISTENER_QUERY, MLD_V1_LEN, handle_query },
	{ MLD_V1_LISTENER_REPORT, MLD_V1_LEN, handle_v1_report },
	{ MLD_V1_LISTENER_DONE, MLD_V1_LEN, handle_done },
	{ MLD_V2_LISTENER_REPORT, MLD_V2_REPORT_HDRLEN, handle_v2_report },
};

void mld_input(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx)
{
	struct mld_ifinfo *mi = rx->ifp ? rx->ifp->mld : NULL;
	if (!mi || !(rx->ifp->flags & UMK_IF_UP)) {
		COUNT(s, MLD_IN_NOT_UP);
		pkt_free(s, pkt);
		return;
	}
	const struct mld_msg_row *row = NULL;
	for (size_t i = 0; i < sizeof(msg_rows) / sizeof(msg_rows[0]); i++)
		if (pkt->len >= 1 && msg_rows[i].type == pkt->data[0])
			row = &msg_rows[i];
	if (!row) {
		COUNT(s, MLD_IN_UNKNOWN_TYPE);
	} else if (pkt->len < row->min_len) {
		COUNT(s, MLD_IN_TOO_SHORT);
		LOG_DEBUG(s, "%s: MLD type %u of %u bytes", mi->ifp->name, row->type, pkt->len);
	} else {
		row->handle(s, mi, pkt->data, pkt->len, rx);
	}
	pkt_free(s, pkt);
}
