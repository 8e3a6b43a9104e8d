/*
 * mld6.c - the MLD listener: MLDv2 (RFC 3810 6, host side) for every group the stack joins,
 * with MLDv1 (RFC 2710 4) compatibility mode (RFC 3810 8.2).
 *
 * Each group keeps the interface's source filter (RFC 3810 4.2), merged from its listeners'
 * filters (sockets with RFC 3678 source filters, the stack's own any-source joins) by
 * ip6/mld6_filter.c, the pending state-change retransmissions (RFC 3810 6.1: a filter-mode
 * counter here, a counter per source there) and the pending response to a query (RFC 3810
 * 6.2, 6.3). ff02::1 is always joined and never reported (RFC 3810 6), nor is any group of
 * scope 0 or 1 (RFC 2710 5). In MLDv1 compatibility mode sources are ignored (RFC 3810 8.3):
 * a group is reported while any listener remains.
 *
 * Neighbours: wire/mld.c (formats), ip6/icmp6 (mld_input is called for types 130, 131, 132,
 * 143; reports leave through icmp6_send), ip6/addrconf.c (joins the solicited-node groups
 * and tells us when a link-local address is ready to be the reports' source).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/mld6_filter.h"
#include "wire/mld.h"

/* Sources of a Multicast Address and Source Specific Query remembered per group (RFC 3810
 * 6.2 rule 5); beyond this the answer is the whole EXCLUDE {} state, which is a superset. */
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

static const struct in6_addr all_nodes = MLD_ALL_NODES_GROUP;
static const struct in6_addr all_routers = MLD_ALL_ROUTERS_GROUP;
static const struct in6_addr v2_routers = MLD_V2_ROUTERS_GROUP;

static void general_timer_fire(struct umk_stack *s, struct umk_timer *t);
static void change_timer_fire(struct umk_stack *s, struct umk_timer *t);
static void v1_timer_fire(struct umk_stack *s, struct umk_timer *t);
static void group_timer_fire(struct umk_stack *s, struct umk_timer *t);

/* ---- state ---------------------------------------------------------------------------- */

int mld_init(struct umk_stack *s)
{
	s->mld = calloc(1, sizeof(*s->mld));
	if (!s->mld)
		return -ENOMEM;
	s->mld->output = icmp6_send;
	return 0;
}

void mld_fini(struct umk_stack *s)
{
	free(s->mld);
	s->mld = NULL;
}

void mld_set_output(struct umk_stack *s, mld_output_fn fn)
{
	s->mld->output = fn ? fn : icmp6_send;
}

static bool is_v1_mode(const struct mld_ifinfo *mi)
{
	if (mi->ifp->conf.force_mld_version == 1)
		return true;
	if (mi->ifp->conf.force_mld_version == 2)
		return false;
	return timer_armed(&mi->v1_timer);
}

/* RFC 3810 6: ff02::1 is never reported; RFC 2710 5: nor reserved or interface-local scope. */
static bool reportable(const struct in6_addr *g)
{
	unsigned scope = g->s6_addr[1] & 0x0f;
	if (scope <= 1)
		return false;
	return !IN6_ARE_ADDR_EQUAL(g, &all_nodes);
}

static struct mld_group *group_find(struct mld_ifinfo *mi, const struct in6_addr *g)
{
	for (struct mld_group *grp = mi->groups; grp; grp = grp->next)
		if (IN6_ARE_ADDR_EQUAL(&grp->addr, g))
			return grp;
	return NULL;
}

static void group_free(struct umk_stack *s, struct mld_group *g)
{
	struct mld_ifinfo *mi = g->mi;
	for (struct mld_group **pp = &mi->groups; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	timer_cancel(s, &g->timer);
	mi->n_groups--;
	mld_srcset_free(&g->filter);
	free(g);
}

static bool listened(const struct mld_group *g)
{
	return mld_srcset_listened(&g->filter);
}

static uint64_t random_delay(struct umk_stack *s, uint32_t max_ms)
{
	return rng_range(s, 0, max_ms);
}

/* ---- output --------------------------------------------------------------------------- */

/* The one place MLD messages leave: RFC 3810 5 / RFC 2710 3 hop limit 1 with Router Alert;
 * the source is the link-local address, or :: before one has passed DAD (RFC 3810
 * 5.2.13). Consumes pkt. */
static void mld_send(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt,
		     const struct in6_addr *dst)
{
	struct ip6_tx tx;
	ip6_tx_init(&tx, IPPROTO_ICMPV6);
	tx.dst = *dst;
	tx.oif = ifp->index;
	tx.zone = ifp->index;
	tx.hlim = 1;
	/* NOLOOP: a v1 report to a group we listen to must not suppress our own reports */
	tx.flags = IP6_TX_RTALERT | IP6_TX_NOLOOP;
	struct in6_ifaddr *ll = in6_linklocal(s, ifp);
	if (ll)
		tx.src = ll->addr;
	else
		tx.flags |= IP6_TX_SRC_UNSPEC;
	uint8_t type = pkt->data[0];
	int err = s->mld->output(s, pkt, &tx);
	if (err) {
		COUNT(s, MLD_OUT_FAILED);
		LOG_DEBUG(s, "%s: type %u not sent: %d", ifp->name, type, err);
		return;
	}
	if (type == MLD_V2_LISTENER_REPORT)
		COUNT(s, MLD_OUT_V2_REPORTS);
	else if (type == MLD_V1_LISTENER_REPORT)
		COUNT(s, MLD_OUT_V1_REPORTS);
	else if (type == MLD_V1_LISTENER_DONE)
		COUNT(s, MLD_OUT_DONES);
}

static void send_v1(struct umk_stack *s, struct mld_ifinfo *mi, uint8_t type,
		    const struct in6_addr *group)
{
	struct umk_pkt *pkt = pkt_alloc(s, MLD_V1_LEN, PKT_HEADROOM);
	if (!pkt) {
		COUNT(s, MLD_OUT_NOBUFS);
		return;
	}
	mld_v1_emit(pkt_put(pkt, MLD_V1_LEN), MLD_V1_LEN, type, 0, group);
	/* RFC 2710 3: a Report goes to the group itself, a Done to all-routers */
	mld_send(s, mi->ifp, pkt, type == MLD_V1_LISTENER_DONE ? &all_routers : group);
}

/*
 * Builds MLDv2 reports record by record, splitting them over as many reports as the link
 * MTU needs (RFC 3810 5.2.15).
 */
struct report_builder {
	struct umk_pkt *pkt;
	uint16_t nrecords;
	uint32_t max;
};

/* Sources one record may carry in a report of its own; the stack buffer below holds them. */
#define MLD_CHUNK_MAX 128

static void builder_init(struct mld_ifinfo *mi, struct report_builder *b)
{
	/* IPv6 header and the 8-byte Hop-by-Hop header with the Router Alert come first */
	uint32_t mtu = (uint32_t)mi->ifp->conf.mtu;
	if (mtu > PKT_SMALL_SIZE - PKT_HEADROOM)
		mtu = PKT_SMALL_SIZE - PKT_HEADROOM;
	b->pkt = NULL;
	b->nrecords = 0;
	b->max = mtu - 40 - 8;
}

static void builder_flush(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b)
{
	if (!b->pkt)
		return;
	mld_v2_report_set_count(b->pkt->data, b->nrecords);
	mld_send(s, mi->ifp, b->pkt, &v2_routers);
	b->pkt = NULL;
	b->nrecords = 0;
}

static void builder_add(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b,
			const struct in6_addr *group, uint8_t type, const struct in6_addr *srcs,
			uint16_t nsrcs)
{
	size_t need = mld_v2_record_len(nsrcs);
	if (b->pkt && b->pkt->len + need > b->max)
		builder_flush(s, mi, b);
	if (!b->pkt) {
		b->pkt = pkt_alloc(s, b->max, PKT_HEADROOM);
		if (!b->pkt) {
			COUNT(s, MLD_OUT_NOBUFS);
			return;
		}
		mld_v2_report_begin(pkt_put(b->pkt, MLD_V2_REPORT_HDRLEN), MLD_V2_REPORT_HDRLEN);
	}
	uint8_t *p = pkt_put(b->pkt, (uint32_t)need);
	if (!p)
		return;
	mld_v2_record_emit(p, need, type, group, srcs, nsrcs);
	b->nrecords++;
}

static bool exclude_type(uint8_t type)
{
	return type == MLD_MODE_IS_EXCLUDE || type == MLD_CHANGE_TO_EXCLUDE_MODE;
}

/* Adds the record `type` with the sources of kind k of g's filter. An empty record is only
 * sent when it means something (IS_EX {}, TO_EX {}, TO_IN {}); ALLOW, BLOCK and IS_IN with
 * no sources are omitted (RFC 3810 6.1, 6.3). RFC 3810 5.2.15: a list too long for one
 * report is split over several records, except an EXCLUDE one, which is cut to what fits. */
static void builder_add_set(struct umk_stack *s, struct mld_ifinfo *mi,
			    struct report_builder *b, struct mld_group *g, uint8_t type,
			    enum mld_pick k)
{
	struct in6_addr chunk[MLD_CHUNK_MAX];
	uint32_t room = (b->max - MLD_V2_REPORT_HDRLEN - MLD_V2_RECORD_HDRLEN) / 16;
	uint16_t per = (uint16_t)(room < MLD_CHUNK_MAX ? room : MLD_CHUNK_MAX);
	uint32_t total = mld_srcset_count(&g->filter, k);
	bool empty_ok = exclude_type(type) || type == MLD_CHANGE_TO_INCLUDE_MODE;
	if (!total) {
		if (empty_ok)
			builder_add(s, mi, b, &g->addr, type, NULL, 0);
		return;
	}
	uint32_t cursor = 0, done = 0;
	while (done < total) {
		uint16_t n = mld_srcset_pick(&g->filter, k, &cursor, chunk, per);
		if (!n)
			break;
		builder_add(s, mi, b, &g->addr, type, chunk, n);
		done += n;
		if (exclude_type(type) && done < total) {
			COUNT(s, MLD_OUT_EXCLUDE_TRUNCATED);
			break;
		}
	}
}

typedef void (*emit_fn)(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b,
			struct mld_group *g);

static void send_v2_records(struct umk_stack *s, struct mld_ifinfo *mi, emit_fn emit)
{
	struct report_builder b;
	builder_init(mi, &b);
	for (struct mld_group *g = mi->groups; g; g = g->next)
		if (reportable(&g->addr))
			emit(s, mi, &b, g);
	builder_flush(s, mi, &b);
}

/* ---- state-change reports (RFC 3810 6.1) ---------------------------------------------- */

/* RFC 3810 6.1: while the Filter Mode Retransmission Counter runs, the report carries a
 * Filter Mode Change record with the current list; otherwise ALLOW and BLOCK records with
 * every source whose own counter runs, by what the host now does with it. */
static void emit_change(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b,
			struct mld_group *g)
{
	if (g->change_left) {
		g->change_left--;
		uint8_t type = mld_srcset_mode(&g->filter) == MLD_FILTER_EXCLUDE ?
			       MLD_CHANGE_TO_EXCLUDE_MODE : MLD_CHANGE_TO_INCLUDE_MODE;
		builder_add_set(s, mi, b, g, type, MLD_PICK_LIST);
		return;
	}
	if (!mld_srcset_pending(&g->filter))
		return;
	builder_add_set(s, mi, b, g, MLD_ALLOW_NEW_SOURCES, MLD_PICK_ALLOW);
	builder_add_set(s, mi, b, g, MLD_BLOCK_OLD_SOURCES, MLD_PICK_BLOCK);
	mld_srcset_tick(&g->filter);
}

static bool change_pending(const struct mld_group *g)
{
	return g->change_left || mld_srcset_pending(&g->filter);
}

/* Sends every pending state-change record, then frees groups whose leave is fully told. */
static void send_changes(struct umk_stack *s, struct mld_ifinfo *mi)
{
	send_v2_records(s, mi, emit_change);
	bool more = false;
	struct mld_group *g = mi->groups;
	while (g) {
		struct mld_group *next = g->next;
		mld_srcset_gc(&g->filter);
		if (change_pending(g))
			more = true;
		else if (!listened(g))
			group_free(s, g);
		g = next;
	}
	/* RFC 3810 6.1: retransmit at random intervals of [0, Unsolicited Report Interval] */
	if (more)
		timer_arm_in(s, &mi->change_timer,
			     random_delay(s, (uint32_t)mi->ifp->conf.mld_unsolicited_report_interval));
	else
		timer_cancel(s, &mi->change_timer);
}

static void change_timer_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct mld_ifinfo *mi = container_of(t, struct mld_ifinfo, change_timer);
	if (!(mi->ifp->flags & UMK_IF_UP))
		return;
	if (is_v1_mode(mi))
		return;
	send_changes(s, mi);
}

/* RFC 2710 4: report at once and again after a random delay (robustness - 1 times). */
static void v1_unsolicited(struct umk_stack *s, struct mld_ifinfo *mi, struct mld_group *g)
{
	send_v1(s, mi, MLD_V1_LISTENER_REPORT, &g->addr);
	g->last_reporter = true;
	g->change_left = mi->robustness > 1 ? (uint8_t)(mi->robustness - 1) : 0;
	if (g->change_left)
		timer_arm_in(s, &g->timer,
			     random_delay(s, (uint32_t)mi->ifp->conf.mld_unsolicited_report_interval));
}

/* The whole state of g told afresh (link up, a link-local source now valid): from the
 * routers' point of view it changes from INCLUDE {}, so TO_EX (list) or ALLOW (list). */
static void announce(struct mld_ifinfo *mi, struct mld_group *g)
{
	if (mld_srcset_mode(&g->filter) == MLD_FILTER_EXCLUDE)
		g->change_left = mi->robustness;
	else
		mld_srcset_mark_list(&g->filter, mi->robustness);
}

/* ---- joins, leaves and filter changes ------------------------------------------------- */

static struct mld_group *group_new(struct umk_stack *s, struct mld_ifinfo *mi,
				   const struct in6_addr *group)
{
	if (mi->n_groups >= s->limits.max_groups) {
		COUNT(s, MLD_GROUP_LIMIT);
		char b[ADDRSTRLEN];
		LOG_WARN(s, "%s: group table full (%u), cannot join %s", mi->ifp->name,
			 mi->n_groups, addr_str(group, b));
		return NULL;
	}
	struct mld_group *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->mi = mi;
	g->addr = *group;
	timer_init(&g->timer, group_timer_fire);
	g->next = mi->groups;
	mi->groups = g;
	mi->n_groups++;
	return g;
}

static const struct mld_filter no_filter = { .mode = MLD_FILTER_INCLUDE };
static const struct mld_filter any_source = { .mode = MLD_FILTER_EXCLUDE };

int mld_filter_change(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group,
		      const struct mld_filter *old, const struct mld_filter *new)
{
	struct mld_ifinfo *mi = ifp->mld;
	if (!mi || !IN6_IS_ADDR_MULTICAST(group))
		return -EINVAL;
	struct mld_group *g = group_find(mi, group);
	bool created = false;
	if (!g) {
		if (new->mode == MLD_FILTER_INCLUDE && !new->nsrcs)
			return 0;
		if (!(g = group_new(s, mi, group)))
			return mi->n_groups >= s->limits.max_groups ? -ENOSPC : -ENOMEM;
		created = true;
	}
	bool was = listened(g);
	int r = mld_srcset_update(&g->filter, old, new, s->limits.max_group_sources);
	if (r) {
		if (r == -ENOBUFS) {
			COUNT(s, MLD_GROUP_SOURCE_LIMIT);
			char b[ADDRSTRLEN];
			LOG_WARN(s, "%s: %s would track more than %u sources", ifp->name,
				 addr_str(group, b), s->limits.max_group_sources);
		}
		if (created)
			group_free(s, g);
		return r;
	}
	bool now = listened(g);
	if (!was || !now) {
		/* a fresh membership, or none left: no query answer is pending for it */
		timer_cancel(s, &g->timer);
		g->nsrcs = 0;
		g->srcs_overflow = false;
	}
	if (!(ifp->flags & UMK_IF_UP) || !reportable(group)) {
		/* nothing is told; mld_if_up announces the state later */
		g->change_left = 0;
		mld_srcset_clear_pending(&g->filter);
		mld_srcset_gc(&g->filter);
		if (!now)
			group_free(s, g);
		return 0;
	}
	if (is_v1_mode(mi)) {
		/* RFC 3810 8.3: sources do not matter to an MLDv1 router; only whether anyone
		 * still listens */
		mld_srcset_gc(&g->filter);
		if (!was && now) {
			v1_unsolicited(s, mi, g);
		} else if (was && !now) {
			/* RFC 2710 4: Done only if we were the last to report; otherwise another
			 * listener most likely remains */
			if (g->last_reporter)
				send_v1(s, mi, MLD_V1_LISTENER_DONE, group);
			group_free(s, g);
		}
		return 0;
	}
	uint8_t robustness = mi->robustness ? mi->robustness : 1;
	if (mld_srcset_mark(&g->filter, robustness, &g->change_left))
		send_changes(s, mi);   /* RFC 3810 6.1: the new report goes out at once */
	else {
		mld_srcset_gc(&g->filter);
		if (!now && !change_pending(g))
			group_free(s, g);
	}
	return 0;
}

int mld_join(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group)
{
	return mld_filter_change(s, ifp, group, &no_filter, &any_source);
}

int mld_leave(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group)
{
	struct mld_ifinfo *mi = ifp->mld;
	if (!mi)
		return -EINVAL;
	struct mld_group *g = group_find(mi, group);
	if (!g || !g->filter.n_exclude_listeners)
		return -ENOENT;
	return mld_filter_change(s, ifp, group, &any_source, &no_filter);
}

bool mld_is_member(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group)
{
	if (!ifp->mld)
		return false;
	struct mld_group *g = group_find(ifp->mld, group);
	return g && listened(g);
}

bool mld_source_passes(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group,
		       const struct in6_addr *src)
{
	if (!ifp->mld)
		return false;
	struct mld_group *g = group_find(ifp->mld, group);
	return g && mld_srcset_passes(&g->filter, src);
}

int mld_group_state(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group,
		    uint8_t *mode, struct in6_addr *srcs, uint16_t max)
{
	if (!ifp->mld)
		return -EINVAL;
	struct mld_group *g = group_find(ifp->mld, group);
	if (!g || !listened(g))
		return -ENOENT;
	*mode = mld_srcset_mode(&g->filter);
	uint32_t cursor = 0;
	uint32_t total = mld_srcset_count(&g->filter, MLD_PICK_LIST);
	if (srcs && max)
		mld_srcset_pick(&g->filter, MLD_PICK_LIST, &cursor, srcs, max);
	return (int)total;
}

/* ---- responses to queries (RFC 3810 6.2, 6.3; RFC 2710 4) ----------------------------- */

/* RFC 3810 6.3: the Current-State record of a General or Multicast Address Specific Query */
static void emit_current(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b,
			 struct mld_group *g)
{
	if (!listened(g))
		return;
	if (mld_srcset_mode(&g->filter) == MLD_FILTER_EXCLUDE)
		builder_add_set(s, mi, b, g, MLD_MODE_IS_EXCLUDE, MLD_PICK_LIST);
	else
		builder_add_set(s, mi, b, g, MLD_MODE_IS_INCLUDE, MLD_PICK_LIST);
}

static void general_timer_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct mld_ifinfo *mi = container_of(t, struct mld_ifinfo, general_timer);
	if (!(mi->ifp->flags & UMK_IF_UP) || is_v1_mode(mi))
		return;
	send_v2_records(s, mi, emit_current);
}

/* RFC 3810 6.3: to a Multicast Address and Source Specific Query with sources Q the answer
 * is IS_IN (A * Q) in INCLUDE (A) and IS_IN (Q - A) in EXCLUDE (A), that is the queried
 * sources the host listens to; none, no answer. To a group-specific one (or when more
 * sources were queried than we kept), the whole current state. */
static void group_timer_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct mld_group *g = container_of(t, struct mld_group, timer);
	struct mld_ifinfo *mi = g->mi;
	if (!(mi->ifp->flags & UMK_IF_UP) || !listened(g))
		return;
	if (is_v1_mode(mi)) {
		send_v1(s, mi, MLD_V1_LISTENER_REPORT, &g->addr);
		g->last_reporter = true;
		if (g->change_left && --g->change_left)
			timer_arm_in(s, &g->timer, random_delay(s,
				     (uint32_t)mi->ifp->conf.mld_unsolicited_report_interval));
		return;
	}
	struct report_builder b;
	builder_init(mi, &b);
	if (g->nsrcs && !g->srcs_overflow) {
		uint16_t n = 0;
		for (uint16_t i = 0; i < g->nsrcs; i++)
			if (mld_srcset_passes(&g->filter, &g->srcs[i]))
				g->srcs[n++] = g->srcs[i];
		if (n)
			builder_add(s, mi, &b, &g->addr, MLD_MODE_IS_INCLUDE, g->srcs, n);
		else
			COUNT(s, MLD_SOURCE_QUERY_NOTHING);
	} else {
		emit_current(s, mi, &b, g);
	}
	builder_flush(s, mi, &b);
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

	uint64_t delay = random_delay(s, q->max_resp_delay);
	/* RFC 3810 6.2 rule 1: a pending General Query response sooner covers everything */
	if (due_before(s, &mi->general_timer, delay))
		return;
	if (IN6_IS_ADDR_UNSPECIFIED(&q->group)) {
		/* rule 2 */
		timer_arm_in(s, &mi->general_timer, delay);
		return;
	}
	struct mld_group *g = group_find(mi, &q->group);
	if (!g || !listened(g) || !reportable(&g->addr))
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
		if (!listened(g) || !reportable(&g->addr))
			continue;
		if (!IN6_IS_ADDR_UNSPECIFIED(&q->group) && !IN6_ARE_ADDR_EQUAL(&q->group, &g->addr))
			continue;
		if (due_before(s, &g->timer, q->max_resp_delay))
			continue;
		g->change_left = 0;
		timer_arm_in(s, &g->timer, random_delay(s, q->max_resp_delay));
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
		struct mld_group *g = mi->groups;
		while (g) {
			struct mld_group *next = g->next;
			timer_cancel(s, &g->timer);
			g->change_left = 0;
			g->nsrcs = 0;
			mld_srcset_clear_pending(&g->filter);
			mld_srcset_gc(&g->filter);
			if (!listened(g))
				group_free(s, g);
			g = next;
		}
	}
	timer_arm_in(s, &mi->v1_timer, timeout);
}

static void v1_timer_fire(struct umk_stack *s, struct umk_timer *t)
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
	if (is_v1_mode(mi))
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
	struct mld_group *g = group_find(mi, &m.group);
	if (!g || !listened(g) || !is_v1_mode(mi))
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

/* ---- interfaces ----------------------------------------------------------------------- */

static void reset_querier_state(struct mld_ifinfo *mi)
{
	struct umk_if *ifp = mi->ifp;
	mi->robustness = (uint8_t)(ifp->conf.mld_robustness > 0 ? ifp->conf.mld_robustness : 1);
	mi->query_interval = MLD_QUERY_INTERVAL_DEFAULT;
	mi->query_response_interval = MLD_QUERY_RESPONSE_INTERVAL;
}

void mld_if_attach(struct umk_stack *s, struct umk_if *ifp)
{
	struct mld_ifinfo *mi = calloc(1, sizeof(*mi));
	if (!mi) {
		LOG_ERR(s, "%s: no memory for MLD state", ifp->name);
		return;
	}
	mi->ifp = ifp;
	timer_init(&mi->general_timer, general_timer_fire);
	timer_init(&mi->change_timer, change_timer_fire);
	timer_init(&mi->v1_timer, v1_timer_fire);
	reset_querier_state(mi);
	ifp->mld = mi;
	/* RFC 4291 2.7.1 / RFC 3810 6: every interface listens to all-nodes, unreported */
	mld_join(s, ifp, &all_nodes);
}

void mld_if_detach(struct umk_stack *s, struct umk_if *ifp)
{
	struct mld_ifinfo *mi = ifp->mld;
	if (!mi)
		return;
	timer_cancel(s, &mi->general_timer);
	timer_cancel(s, &mi->change_timer);
	timer_cancel(s, &mi->v1_timer);
	while (mi->groups)
		group_free(s, mi->groups);
	free(mi);
	ifp->mld = NULL;
}

/* Link up: tell the routers about every group joined so far (RFC 3810 6.1 state change from
 * the interface's point of view: nothing was reported on this link yet). */
void mld_if_up(struct umk_stack *s, struct umk_if *ifp)
{
	struct mld_ifinfo *mi = ifp->mld;
	if (!mi)
		return;
	reset_querier_state(mi);
	bool v1 = is_v1_mode(mi);
	for (struct mld_group *g = mi->groups; g; g = g->next) {
		if (!listened(g) || !reportable(&g->addr))
			continue;
		if (v1)
			v1_unsolicited(s, mi, g);
		else
			announce(mi, g);
	}
	if (!v1)
		send_changes(s, mi);
}

void mld_if_down(struct umk_stack *s, struct umk_if *ifp)
{
	struct mld_ifinfo *mi = ifp->mld;
	if (!mi)
		return;
	timer_cancel(s, &mi->general_timer);
	timer_cancel(s, &mi->change_timer);
	timer_cancel(s, &mi->v1_timer);
	struct mld_group *g = mi->groups;
	while (g) {
		struct mld_group *next = g->next;
		timer_cancel(s, &g->timer);
		g->change_left = 0;
		g->nsrcs = 0;
		g->last_reporter = false;
		mld_srcset_clear_pending(&g->filter);
		mld_srcset_gc(&g->filter);
		if (!listened(g))
			group_free(s, g);
		g = next;
	}
}

void mld_linklocal_ready(struct umk_stack *s, struct umk_if *ifp)
{
	struct mld_ifinfo *mi = ifp->mld;
	if (!mi || !(ifp->flags & UMK_IF_UP))
		return;
	if (is_v1_mode(mi)) {
		for (struct mld_group *g = mi->groups; g; g = g->next)
			if (listened(g) && reportable(&g->addr))
				v1_unsolicited(s, mi, g);
		return;
	}
	for (struct mld_group *g = mi->groups; g; g = g->next)
		if (listened(g) && reportable(&g->addr))
			announce(mi, g);
	send_changes(s, mi);
}
