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
 * Queries, their answers and MLDv1 mode: ip6/mld6_query.c (shared state: mld6_int.h).
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
#include "ip6/mld6_int.h"
#include "wire/mld.h"

static const struct in6_addr all_nodes = MLD_ALL_NODES_GROUP;
static const struct in6_addr all_routers = MLD_ALL_ROUTERS_GROUP;
static const struct in6_addr v2_routers = MLD_V2_ROUTERS_GROUP;

static void change_timer_fire(struct umk_stack *s, struct umk_timer *t);

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

bool mld_v1_mode(const struct mld_ifinfo *mi)
{
	if (mi->ifp->conf.force_mld_version == 1)
		return true;
	if (mi->ifp->conf.force_mld_version == 2)
		return false;
	return timer_armed(&mi->v1_timer);
}

/* RFC 3810 6: ff02::1 is never reported; RFC 2710 5: nor reserved or interface-local scope. */
bool mld_reportable(const struct in6_addr *g)
{
	unsigned scope = g->s6_addr[1] & 0x0f;
	if (scope <= 1)
		return false;
	return !IN6_ARE_ADDR_EQUAL(g, &all_nodes);
}

struct mld_group *mld_group_find(struct mld_ifinfo *mi, const struct in6_addr *g)
{
	for (struct mld_group *grp = mi->groups; grp; grp = grp->next)
		if (IN6_ARE_ADDR_EQUAL(&grp->addr, g))
			return grp;
	return NULL;
}

void mld_group_free(struct umk_stack *s, struct mld_group *g)
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

void mld_groups_quiet(struct umk_stack *s, struct mld_ifinfo *mi, bool forget_reporter)
{
	struct mld_group *g = mi->groups;
	while (g) {
		struct mld_group *next = g->next;
		timer_cancel(s, &g->timer);
		g->change_left = 0;
		g->nsrcs = 0;
		if (forget_reporter)
			g->last_reporter = false;
		mld_srcset_clear_pending(&g->filter);
		mld_srcset_gc(&g->filter);
		if (!mld_listened(g))
			mld_group_free(s, g);
		g = next;
	}
}

bool mld_listened(const struct mld_group *g)
{
	return mld_srcset_listened(&g->filter);
}

uint64_t mld_random_delay(struct umk_stack *s, uint32_t max_ms)
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

void mld_send_v1(struct umk_stack *s, struct mld_ifinfo *mi, uint8_t type,
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

/* ---- the report builder: MLDv2 reports record by record, split over as many reports as
 * the link MTU needs (RFC 3810 5.2.15) ---- */

/* Sources one record may carry in a report of its own; the stack buffer below holds them. */
#define MLD_CHUNK_MAX 128

void mld_builder_init(struct mld_ifinfo *mi, struct report_builder *b)
{
	/* IPv6 header and the 8-byte Hop-by-Hop header with the Router Alert come first */
	uint32_t mtu = (uint32_t)mi->ifp->conf.mtu;
	if (mtu > PKT_SMALL_SIZE - PKT_HEADROOM)
		mtu = PKT_SMALL_SIZE - PKT_HEADROOM;
	b->pkt = NULL;
	b->nrecords = 0;
	b->max = mtu - 40 - 8;
}

void mld_builder_flush(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b)
{
	if (!b->pkt)
		return;
	mld_v2_report_set_count(b->pkt->data, b->nrecords);
	mld_send(s, mi->ifp, b->pkt, &v2_routers);
	b->pkt = NULL;
	b->nrecords = 0;
}

void mld_builder_add(struct umk_stack *s, struct mld_ifinfo *mi, struct report_builder *b,
			const struct in6_addr *group, uint8_t type, const struct in6_addr *srcs,
			uint16_t nsrcs)
{
	size_t need = mld_v2_record_len(nsrcs);
	if (b->pkt && b->pkt->len + need > b->max)
		mld_builder_flush(s, mi, b);
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
void mld_builder_add_set(struct umk_stack *s, struct mld_ifinfo *mi,
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
			mld_builder_add(s, mi, b, &g->addr, type, NULL, 0);
		return;
	}
	uint32_t cursor = 0, done = 0;
	while (done < total) {
		uint16_t n = mld_srcset_pick(&g->filter, k, &cursor, chunk, per);
		if (!n)
			break;
		mld_builder_add(s, mi, b, &g->addr, type, chunk, n);
		done += n;
		if (exclude_type(type) && done < total) {
			COUNT(s, MLD_OUT_EXCLUDE_TRUNCATED);
			break;
		}
	}
}

void mld_send_v2_records(struct umk_stack *s, struct mld_ifinfo *mi, mld_emit_fn emit)
{
	struct report_builder b;
	mld_builder_init(mi, &b);
	for (struct mld_group *g = mi->groups; g; g = g->next)
		if (mld_reportable(&g->addr))
			emit(s, mi, &b, g);
	mld_builder_flush(s, mi, &b);
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
		mld_builder_add_set(s, mi, b, g, type, MLD_PICK_LIST);
		return;
	}
	if (!mld_srcset_pending(&g->filter))
		return;
	mld_builder_add_set(s, mi, b, g, MLD_ALLOW_NEW_SOURCES, MLD_PICK_ALLOW);
	mld_builder_add_set(s, mi, b, g, MLD_BLOCK_OLD_SOURCES, MLD_PICK_BLOCK);
	mld_srcset_tick(&g->filter);
}

static bool change_pending(const struct mld_group *g)
{
	return g->change_left || mld_srcset_pending(&g->filter);
}

/* Sends every pending state-change record, then frees groups whose leave is fully told. */
static void send_changes(struct umk_stack *s, struct mld_ifinfo *mi)
{
	mld_send_v2_records(s, mi, emit_change);
	bool more = false;
	struct mld_group *g = mi->groups;
	while (g) {
		struct mld_group *next = g->next;
		mld_srcset_gc(&g->filter);
		if (change_pending(g))
			more = true;
		else if (!mld_listened(g))
			mld_group_free(s, g);
		g = next;
	}
	/* RFC 3810 6.1: retransmit at random intervals of [0, Unsolicited Report Interval] */
	if (more)
		timer_arm_in(s, &mi->change_timer,
			     mld_random_delay(s, (uint32_t)mi->ifp->conf.mld_unsolicited_report_interval));
	else
		timer_cancel(s, &mi->change_timer);
}

static void change_timer_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct mld_ifinfo *mi = container_of(t, struct mld_ifinfo, change_timer);
	if (!(mi->ifp->flags & UMK_IF_UP))
		return;
	if (mld_v1_mode(mi))
		return;
	send_changes(s, mi);
}

/* RFC 2710 4: report at once and again after a random delay (robustness - 1 times). */
static void v1_unsolicited(struct umk_stack *s, struct mld_ifinfo *mi, struct mld_group *g)
{
	mld_send_v1(s, mi, MLD_V1_LISTENER_REPORT, &g->addr);
	g->last_reporter = true;
	g->change_left = mi->robustness > 1 ? (uint8_t)(mi->robustness - 1) : 0;
	if (g->change_left)
		timer_arm_in(s, &g->timer,
			     mld_random_delay(s, (uint32_t)mi->ifp->conf.mld_unsolicited_report_interval));
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
	timer_init(&g->timer, mld_group_timer_fire);
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
	struct mld_group *g = mld_group_find(mi, group);
	bool created = false;
	if (!g) {
		if (new->mode == MLD_FILTER_INCLUDE && !new->nsrcs)
			return 0;
		if (!(g = group_new(s, mi, group)))
			return mi->n_groups >= s->limits.max_groups ? -ENOSPC : -ENOMEM;
		created = true;
	}
	bool was = mld_listened(g);
	int r = mld_srcset_update(&g->filter, old, new, s->limits.max_group_sources);
	if (r) {
		if (r == -ENOBUFS) {
			COUNT(s, MLD_GROUP_SOURCE_LIMIT);
			char b[ADDRSTRLEN];
			LOG_WARN(s, "%s: %s would track more than %u sources", ifp->name,
				 addr_str(group, b), s->limits.max_group_sources);
		}
		if (created)
			mld_group_free(s, g);
		return r;
	}
	bool now = mld_listened(g);
	if (!was || !now) {
		/* a fresh membership, or none left: no query answer is pending for it */
		timer_cancel(s, &g->timer);
		g->nsrcs = 0;
		g->srcs_overflow = false;
	}
	if (!(ifp->flags & UMK_IF_UP) || !mld_reportable(group)) {
		/* nothing is told; mld_if_up announces the state later */
		g->change_left = 0;
		mld_srcset_clear_pending(&g->filter);
		mld_srcset_gc(&g->filter);
		if (!now)
			mld_group_free(s, g);
		return 0;
	}
	if (mld_v1_mode(mi)) {
		/* RFC 3810 8.3: sources do not matter to an MLDv1 router; only whether anyone
		 * still listens */
		mld_srcset_gc(&g->filter);
		if (!was && now) {
			v1_unsolicited(s, mi, g);
		} else if (was && !now) {
			/* RFC 2710 4: Done only if we were the last to report; otherwise another
			 * listener most likely remains */
			if (g->last_reporter)
				mld_send_v1(s, mi, MLD_V1_LISTENER_DONE, group);
			mld_group_free(s, g);
		}
		return 0;
	}
	uint8_t robustness = mi->robustness ? mi->robustness : 1;
	if (mld_srcset_mark(&g->filter, robustness, &g->change_left))
		send_changes(s, mi);   /* RFC 3810 6.1: the new report goes out at once */
	else {
		mld_srcset_gc(&g->filter);
		if (!now && !change_pending(g))
			mld_group_free(s, g);
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
	struct mld_group *g = mld_group_find(mi, group);
	if (!g || !g->filter.n_exclude_listeners)
		return -ENOENT;
	return mld_filter_change(s, ifp, group, &any_source, &no_filter);
}

bool mld_is_member(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group)
{
	if (!ifp->mld)
		return false;
	struct mld_group *g = mld_group_find(ifp->mld, group);
	return g && mld_listened(g);
}

bool mld_source_passes(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group,
		       const struct in6_addr *src)
{
	if (!ifp->mld)
		return false;
	struct mld_group *g = mld_group_find(ifp->mld, group);
	return g && mld_srcset_passes(&g->filter, src);
}

int mld_group_state(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *group,
		    uint8_t *mode, struct in6_addr *srcs, uint16_t max)
{
	if (!ifp->mld)
		return -EINVAL;
	struct mld_group *g = mld_group_find(ifp->mld, group);
	if (!g || !mld_listened(g))
		return -ENOENT;
	*mode = mld_srcset_mode(&g->filter);
	uint32_t cursor = 0;
	uint32_t total = mld_srcset_count(&g->filter, MLD_PICK_LIST);
	if (srcs && max)
		mld_srcset_pick(&g->filter, MLD_PICK_LIST, &cursor, srcs, max);
	return (int)total;
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
	timer_init(&mi->general_timer, mld_general_timer_fire);
	timer_init(&mi->change_timer, change_timer_fire);
	timer_init(&mi->v1_timer, mld_v1_timer_fire);
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
		mld_group_free(s, mi->groups);
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
	bool v1 = mld_v1_mode(mi);
	for (struct mld_group *g = mi->groups; g; g = g->next) {
		if (!mld_listened(g) || !mld_reportable(&g->addr))
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
	mld_groups_quiet(s, mi, true);
}

void mld_linklocal_ready(struct umk_stack *s, struct umk_if *ifp)
{
	struct mld_ifinfo *mi = ifp->mld;
	if (!mi || !(ifp->flags & UMK_IF_UP))
		return;
	if (mld_v1_mode(mi)) {
		for (struct mld_group *g = mi->groups; g; g = g->next)
			if (mld_listened(g) && mld_reportable(&g->addr))
				v1_unsolicited(s, mi, g);
		return;
	}
	for (struct mld_group *g = mi->groups; g; g = g->next)
		if (mld_listened(g) && mld_reportable(&g->addr))
			announce(mi, g);
	send_changes(s, mi);
}
