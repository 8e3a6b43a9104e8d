/*
 * test_mld6.c - the MLD listener state machine (ip6/mld6.c): state-change reports and their
 * retransmission (RFC 3810 6.1), answers to General / Multicast Address Specific / Source
 * Specific queries (6.2, 6.3), query validation (6.2), MLDv1 compatibility mode with report
 * suppression and Done (RFC 3810 8.2, RFC 2710 4), the group table limit.
 *
 * One stack, one interface; the MLD output hook records every message instead of sending
 * it, and queries are handed straight to mld_input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "wire/mld.h"

#define MAXSENT 64

struct sent {
	struct ip6_tx tx;
	uint8_t msg[1500];
	uint32_t len;
	umk_time_t when;
};

/* Test-only capture (the library has no globals; a test may). */
static struct sent sent[MAXSENT];
static int nsent;
static umk_time_t clock_now;

static int capture(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_tx *tx)
{
	if (nsent < MAXSENT) {
		sent[nsent].tx = *tx;
		sent[nsent].len = pkt->len < 1500 ? pkt->len : 1500;
		memcpy(sent[nsent].msg, pkt->data, sent[nsent].len);
		sent[nsent].when = s->now;
		nsent++;
	}
	pkt_free(s, pkt);
	return 0;
}

static int drop_frame(void *ctx, const void *frame, size_t len) { return 0; }
static const struct umk_link_ops ops = { .transmit = drop_frame };

struct fx {
	struct umk_stack *s;
	struct umk_if *ifp;
};

static int setup(void **state)
{
	static struct fx fx;
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.seed = 7;
	cfg.log_level = UMK_LOG_ERR;
	clock_now = 1000;
	fx.s = umk_stack_new(&cfg, clock_now);
	assert_non_null(fx.s);
	struct umk_if_params p = { .name = "eth0", .lladdr = { 2, 0, 0, 0, 0, 1 }, .mtu = 1500,
				   .ops = &ops };
	int idx = umk_if_add(fx.s, &p);
	assert_true(idx > 0);
	fx.ifp = if_get(fx.s, idx);
	/* no DAD, so that the link-local source is there at once; tests that want :: undo it */
	fx.ifp->conf.dad_transmits = 0;
	mld_set_output(fx.s, capture);
	nsent = 0;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	umk_stack_free(fx->s);
	return 0;
}

/* Steps from deadline to deadline, so that each timer runs at its own time. */
static void run_until(struct fx *fx, umk_time_t t)
{
	umk_time_t next;
	while ((next = umk_next_deadline(fx->s)) <= t)
		umk_timers_run(fx->s, next > fx->s->now ? next : fx->s->now);
	umk_timers_run(fx->s, t);
}
static void run_for(struct fx *fx, uint64_t ms) { run_until(fx, fx->s->now + ms); }

static struct in6_addr grp(uint8_t scope, uint16_t last)
{
	struct in6_addr a = { .s6_addr = { 0xff, scope } };
	a.s6_addr[14] = (uint8_t)(last >> 8);
	a.s6_addr[15] = (uint8_t)last;
	return a;
}

/* Reports of the capture holding a record (type, group); returns how many. */
static int count_records(int from, uint8_t type, const struct in6_addr *g)
{
	int n = 0;
	for (int i = from; i < nsent; i++) {
		struct mld_report r;
		struct mld_record rec;
		if (mld_v2_report_parse(sent[i].msg, sent[i].len, &r))
			continue;
		while (mld_v2_record_next(&r, &rec))
			if (rec.type == type && IN6_ARE_ADDR_EQUAL(&rec.group, g))
				n++;
	}
	return n;
}

/* MLDv1 messages of the capture of `type` about group g. */
static int count_v1(int from, uint8_t type, const struct in6_addr *g)
{
	int n = 0;
	for (int i = from; i < nsent; i++) {
		struct mld_v1 m;
		if (sent[i].msg[0] == type && !mld_v1_parse(sent[i].msg, sent[i].len, &m) &&
		    IN6_ARE_ADDR_EQUAL(&m.group, g))
			n++;
	}
	return n;
}

static __attribute__((unused)) void dump(void)
{
	for (int i = 0; i < nsent; i++) {
		fprintf(stderr, "#%d t=%llu type %u len %u dst ..%02x%02x:", i,
			(unsigned long long)sent[i].when, sent[i].msg[0], sent[i].len,
			sent[i].tx.dst.s6_addr[14], sent[i].tx.dst.s6_addr[15]);
		struct mld_report r;
		struct mld_record rec;
		if (!mld_v2_report_parse(sent[i].msg, sent[i].len, &r))
			while (mld_v2_record_next(&r, &rec))
				fprintf(stderr, " [%u %02x%02x..%02x%02x]", rec.type, rec.group.s6_addr[0],
					rec.group.s6_addr[1], rec.group.s6_addr[14], rec.group.s6_addr[15]);
		fprintf(stderr, "\n");
	}
}

static bool any_record_for(int from, const struct in6_addr *g)
{
	for (uint8_t t = 1; t <= 6; t++)
		if (count_records(from, t, g))
			return true;
	return false;
}

static void up(struct fx *fx)
{
	assert_int_equal(umk_if_up(fx->s, fx->ifp->index), 0);
	run_for(fx, 3000); /* link-local ready */
	assert_non_null(in6_linklocal(fx->s, fx->ifp));
	nsent = 0;
}

/* Hands a query (or any MLD message) to mld_input as if received on the interface. */
static void deliver(struct fx *fx, const uint8_t *msg, size_t len, uint8_t hlim,
		    const struct in6_addr *src, bool rtalert)
{
	struct umk_pkt *pkt = pkt_alloc(fx->s, (uint32_t)len, PKT_HEADROOM);
	memcpy(pkt_put(pkt, (uint32_t)len), msg, len);
	struct ip6_rx rx = { .ifp = fx->ifp, .src = *src, .hlim = hlim, .nxt = IPPROTO_ICMPV6,
			     .flags = rtalert ? IP6_RX_ROUTER_ALERT : 0 };
	rx.dst = grp(2, 1);
	mld_input(fx->s, pkt, &rx);
}

static const struct in6_addr router_ll = { .s6_addr = { 0xfe, 0x80, [15] = 0x01 } };

static void query_v2(struct fx *fx, const struct in6_addr *g, uint32_t mrd_ms,
		     const struct in6_addr *srcs, uint16_t nsrcs)
{
	struct mld_query q = { .max_resp_code = mld_mrc_encode(mrd_ms), .qrv = 2, .qqic = 125 };
	if (g)
		q.group = *g;
	uint8_t buf[200];
	size_t n = mld_v2_query_emit(buf, sizeof(buf), &q, srcs, nsrcs);
	deliver(fx, buf, n, 1, &router_ll, true);
}

static void query_v1(struct fx *fx, const struct in6_addr *g, uint16_t mrd_ms)
{
	struct in6_addr any = { 0 };
	uint8_t buf[24];
	mld_v1_emit(buf, sizeof(buf), MLD_LISTENER_QUERY, mrd_ms, g ? g : &any);
	deliver(fx, buf, 24, 1, &router_ll, true);
}

/* RFC 3810 6.1: a join is reported at once as TO_EX {} and retransmitted robustness - 1
 * times within the Unsolicited Report Interval; to ff02::16, hop limit 1, Router Alert,
 * from the link-local address. */
static void test_join_state_change(void **state)
{
	struct fx *fx = *state;
	up(fx);
	struct in6_addr g = grp(0x0e, 0x123);
	umk_time_t t0 = fx->s->now;
	assert_int_equal(mld_join(fx->s, fx->ifp, &g), 0);
	assert_true(mld_is_member(fx->s, fx->ifp, &g));
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].msg[0], MLD_V2_LISTENER_REPORT);
	assert_int_equal(sent[0].tx.dst.s6_addr[15], 0x16);
	assert_int_equal(sent[0].tx.hlim, 1);
	assert_true(sent[0].tx.flags & IP6_TX_RTALERT);
	assert_false(sent[0].tx.flags & IP6_TX_SRC_UNSPEC);
	assert_memory_equal(&sent[0].tx.src, &in6_linklocal(fx->s, fx->ifp)->addr, 16);
	run_for(fx, 10000);
	assert_int_equal(count_records(0, MLD_CHANGE_TO_EXCLUDE_MODE, &g), 2);
	assert_true(sent[1].when - t0 <= 1000);
	/* a second join only counts */
	int before = nsent;
	assert_int_equal(mld_join(fx->s, fx->ifp, &g), 0);
	assert_int_equal(nsent, before);
	assert_int_equal(mld_leave(fx->s, fx->ifp, &g), 0);
	assert_int_equal(nsent, before);
	assert_true(mld_is_member(fx->s, fx->ifp, &g));
}

/* The last leave: TO_IN {} twice, then the group is gone; a leave too many is -ENOENT. */
static void test_leave_state_change(void **state)
{
	struct fx *fx = *state;
	up(fx);
	struct in6_addr g = grp(0x05, 0x77);
	mld_join(fx->s, fx->ifp, &g);
	run_for(fx, 5000);
	nsent = 0;
	assert_int_equal(mld_leave(fx->s, fx->ifp, &g), 0);
	assert_false(mld_is_member(fx->s, fx->ifp, &g));
	run_for(fx, 5000);
	assert_int_equal(count_records(0, MLD_CHANGE_TO_INCLUDE_MODE, &g), 2);
	assert_int_equal(mld_leave(fx->s, fx->ifp, &g), -ENOENT);
}

/* RFC 3810 6: ff02::1 is never reported, nor interface-local groups; non-multicast is
 * refused. */
static void test_unreported_groups(void **state)
{
	struct fx *fx = *state;
	up(fx);
	struct in6_addr all = grp(2, 1), iflocal = grp(1, 5), uni = { .s6_addr = { 0x20, 1 } };
	assert_true(mld_is_member(fx->s, fx->ifp, &all));
	assert_int_equal(mld_join(fx->s, fx->ifp, &iflocal), 0);
	assert_int_equal(mld_join(fx->s, fx->ifp, &uni), -EINVAL);
	query_v2(fx, NULL, 1000, NULL, 0);
	run_for(fx, 5000);
	assert_false(any_record_for(0, &all));
	assert_false(any_record_for(0, &iflocal));
}

/* RFC 3810 6.2/6.3: a General Query is answered within Maximum Response Delay by one
 * report with IS_EX {} for every group. */
static void test_general_query(void **state)
{
	struct fx *fx = *state;
	up(fx);
	struct in6_addr g1 = grp(0x0e, 1), g2 = grp(0x0e, 2);
	mld_join(fx->s, fx->ifp, &g1);
	mld_join(fx->s, fx->ifp, &g2);
	run_for(fx, 5000);
	nsent = 0;
	umk_time_t t0 = fx->s->now;
	query_v2(fx, NULL, 2000, NULL, 0);
	assert_int_equal(nsent, 0);
	run_for(fx, 2001);
	assert_int_equal(nsent, 1);
	assert_true(sent[0].when - t0 <= 2000);
	assert_int_equal(count_records(0, MLD_MODE_IS_EXCLUDE, &g1), 1);
	assert_int_equal(count_records(0, MLD_MODE_IS_EXCLUDE, &g2), 1);
	assert_int_equal(fx->s->counters[CNT_MLD_IN_GENERAL_QUERIES], 1);
}

/* Group-specific: IS_EX {} for that group only. Source-specific: IS_IN {queried}. */
static void test_specific_queries(void **state)
{
	struct fx *fx = *state;
	up(fx);
	struct in6_addr g1 = grp(0x0e, 1), g2 = grp(0x0e, 2), other = grp(0x0e, 3);
	mld_join(fx->s, fx->ifp, &g1);
	mld_join(fx->s, fx->ifp, &g2);
	run_for(fx, 5000);
	nsent = 0;
	query_v2(fx, &g1, 500, NULL, 0);
	query_v2(fx, &other, 500, NULL, 0);
	run_for(fx, 600);
	assert_int_equal(nsent, 1);
	assert_int_equal(count_records(0, MLD_MODE_IS_EXCLUDE, &g1), 1);
	assert_false(any_record_for(0, &g2));
	assert_false(any_record_for(0, &other));

	nsent = 0;
	struct in6_addr srcs[2] = { { .s6_addr = { 0x20, 1, [15] = 1 } },
				    { .s6_addr = { 0x20, 1, [15] = 2 } } };
	query_v2(fx, &g2, 500, &srcs[0], 1);
	query_v2(fx, &g2, 500, &srcs[1], 1);
	run_for(fx, 600);
	assert_int_equal(nsent, 1);
	struct mld_report r;
	struct mld_record rec;
	assert_int_equal(mld_v2_report_parse(sent[0].msg, sent[0].len, &r), 0);
	assert_true(mld_v2_record_next(&r, &rec));
	assert_int_equal(rec.type, MLD_MODE_IS_INCLUDE);
	assert_int_equal(rec.nsrcs, 2); /* rule 5: the two queries' sources merged */
	assert_int_equal(fx->s->counters[CNT_MLD_IN_SOURCE_QUERIES], 2);
}

/* RFC 3810 6.2: hop limit 1, link-local source, Router Alert; 8.1: odd lengths. */
static void test_query_validation(void **state)
{
	struct fx *fx = *state;
	up(fx);
	struct in6_addr g = grp(0x0e, 9), global = { .s6_addr = { 0x20, 1, [15] = 1 } };
	mld_join(fx->s, fx->ifp, &g);
	run_for(fx, 5000);
	nsent = 0;
	struct mld_query q = { .max_resp_code = 100 };
	uint8_t buf[28];
	mld_v2_query_emit(buf, sizeof(buf), &q, NULL, 0);
	static const struct {
		uint8_t hlim;
		bool ll_src;
		bool rtalert;
		size_t len;
		enum umk_counter cnt;
	} rows[] = {
		{ 255, true, true, 28, CNT_MLD_IN_BAD_HLIM },
		{ 1, false, true, 28, CNT_MLD_IN_BAD_SRC },
		{ 1, true, false, 28, CNT_MLD_IN_NO_RTALERT },
		{ 1, true, true, 26, CNT_MLD_IN_BAD_LENGTH },
		{ 1, true, true, 20, CNT_MLD_IN_TOO_SHORT },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t before = fx->s->counters[rows[i].cnt];
		deliver(fx, buf, rows[i].len, rows[i].hlim, rows[i].ll_src ? &router_ll : &global,
			rows[i].rtalert);
		assert_int_equal(fx->s->counters[rows[i].cnt], before + 1);
	}
	/* a query for a unicast "group" */
	q.group = global;
	mld_v2_query_emit(buf, sizeof(buf), &q, NULL, 0);
	deliver(fx, buf, 28, 1, &router_ll, true);
	assert_int_equal(fx->s->counters[CNT_MLD_IN_BAD_GROUP], 1);
	run_for(fx, 5000);
	assert_int_equal(nsent, 0);
}

/* RFC 3810 8.2: an MLDv1 query switches to v1: answers are v1 reports to the group, a
 * leave is a Done to ff02::2, and the mode ends after the Older Version Querier Present
 * Timeout (2 * 125 s + 10 s by default). */
static void test_v1_compat(void **state)
{
	struct fx *fx = *state;
	up(fx);
	struct in6_addr g = grp(0x0e, 0x42);
	mld_join(fx->s, fx->ifp, &g);
	run_for(fx, 5000);
	nsent = 0;
	umk_time_t t0 = fx->s->now;
	query_v1(fx, NULL, 1000);
	run_for(fx, 1001);
	/* the solicited-node group of the link-local address answers too */
	assert_int_equal(nsent, 2);
	assert_int_equal(count_v1(0, MLD_V1_LISTENER_REPORT, &g), 1);
	assert_true(sent[0].when - t0 <= 1000 && sent[1].when - t0 <= 1000);
	assert_int_equal(fx->s->counters[CNT_MLD_V1_MODE_ENTERED], 1);

	/* joins in v1 mode are v1 reports, twice */
	struct in6_addr g2 = grp(0x0e, 0x43);
	nsent = 0;
	mld_join(fx->s, fx->ifp, &g2);
	run_for(fx, 2000);
	assert_int_equal(nsent, 2);
	assert_int_equal(sent[0].msg[0], MLD_V1_LISTENER_REPORT);
	assert_int_equal(sent[1].msg[0], MLD_V1_LISTENER_REPORT);

	nsent = 0;
	mld_leave(fx->s, fx->ifp, &g);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].msg[0], MLD_V1_LISTENER_DONE);
	assert_int_equal(sent[0].tx.dst.s6_addr[15], 2);

	/* back to MLDv2 after 260 s */
	run_until(fx, t0 + 260000 + 1);
	nsent = 0;
	struct in6_addr g3 = grp(0x0e, 0x44);
	mld_join(fx->s, fx->ifp, &g3);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].msg[0], MLD_V2_LISTENER_REPORT);
}

/* RFC 2710 4: another host's report stops ours; then we are not the last reporter and
 * send no Done. */
static void test_v1_suppression(void **state)
{
	struct fx *fx = *state;
	up(fx);
	struct in6_addr g = grp(0x0e, 0x50), peer = { .s6_addr = { 0xfe, 0x80, [15] = 9 } };
	mld_join(fx->s, fx->ifp, &g);
	run_for(fx, 5000);
	query_v1(fx, NULL, 10000);
	nsent = 0;
	uint8_t rep[24];
	mld_v1_emit(rep, sizeof(rep), MLD_V1_LISTENER_REPORT, 0, &g);
	deliver(fx, rep, 24, 1, &peer, true);
	run_for(fx, 11000);
	assert_int_equal(count_v1(0, MLD_V1_LISTENER_REPORT, &g), 0);
	assert_int_equal(nsent, 1); /* the solicited-node group's report, not suppressed */
	assert_int_equal(fx->s->counters[CNT_MLD_V1_REPORT_SUPPRESSED], 1);
	nsent = 0;
	mld_leave(fx->s, fx->ifp, &g);
	assert_int_equal(nsent, 0);
}

/* force_mld_version: 1 speaks v1 from the start; 2 ignores MLDv1 queries. */
static void test_force_version(void **state)
{
	struct fx *fx = *state;
	up(fx);
	fx->ifp->conf.force_mld_version = 1;
	struct in6_addr g = grp(0x0e, 0x60);
	mld_join(fx->s, fx->ifp, &g);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].msg[0], MLD_V1_LISTENER_REPORT);

	fx->ifp->conf.force_mld_version = 2;
	run_for(fx, 5000);
	nsent = 0;
	query_v1(fx, NULL, 1000);
	run_for(fx, 2000);
	assert_int_equal(nsent, 0);
	assert_int_equal(fx->s->counters[CNT_MLD_IN_V1_QUERY_FORCED_V2], 1);
}

/* The group table is bounded by limits.max_groups, and hitting it is counted. */
static void test_group_limit(void **state)
{
	struct fx *fx = *state;
	up(fx);
	fx->s->limits.max_groups = 4;
	int ok = 0, full = 0;
	for (uint16_t i = 0; i < 10; i++) {
		struct in6_addr g = grp(0x0e, (uint16_t)(0x100 + i));
		int r = mld_join(fx->s, fx->ifp, &g);
		if (r == 0)
			ok++;
		else if (r == -ENOSPC)
			full++;
	}
	assert_true(ok >= 1 && ok <= 3);  /* ff02::1 and solicited-node groups hold some */
	assert_int_equal(ok + full, 10);
	assert_int_equal(fx->s->counters[CNT_MLD_GROUP_LIMIT], (uint64_t)full);
}

/* RFC 3810 5.2.13: before any link-local address has passed DAD, reports leave from ::;
 * afterwards the groups are reported again from the link-local address. */
static void test_source_before_dad(void **state)
{
	struct fx *fx = *state;
	fx->ifp->conf.dad_transmits = 1;
	assert_int_equal(umk_if_up(fx->s, fx->ifp->index), 0);
	nsent = 0;
	struct in6_addr g = grp(0x0e, 0x70);
	mld_join(fx->s, fx->ifp, &g);
	assert_true(nsent >= 1);
	assert_true(sent[0].tx.flags & IP6_TX_SRC_UNSPEC);
	run_for(fx, 5000);
	assert_non_null(in6_linklocal(fx->s, fx->ifp));
	bool from_ll = false;
	for (int i = 0; i < nsent; i++)
		if (!(sent[i].tx.flags & IP6_TX_SRC_UNSPEC) &&
		    IN6_IS_ADDR_LINKLOCAL(&sent[i].tx.src) &&
		    count_records(i, MLD_CHANGE_TO_EXCLUDE_MODE, &g))
			from_ll = true;
	assert_true(from_ll);
}

/* RFC 3810 5.2.15: more records than fit the MTU are split over several reports. */
static void test_report_split(void **state)
{
	struct fx *fx = *state;
	up(fx);
	fx->s->limits.max_groups = 200;
	fx->ifp->conf.mtu = 1280;
	for (uint16_t i = 0; i < 100; i++) {
		struct in6_addr g = grp(0x0e, (uint16_t)(0x200 + i));
		assert_int_equal(mld_join(fx->s, fx->ifp, &g), 0);
	}
	run_for(fx, 5000);
	nsent = 0;
	query_v2(fx, NULL, 100, NULL, 0);
	run_for(fx, 200);
	assert_int_equal(nsent, 2); /* (1280 - 48 - 8) / 20 = 61 records per report */
	int recs = 0;
	for (int i = 0; i < nsent; i++) {
		assert_true(sent[i].len <= 1280 - 48);
		struct mld_report r;
		struct mld_record rec;
		assert_int_equal(mld_v2_report_parse(sent[i].msg, sent[i].len, &r), 0);
		while (mld_v2_record_next(&r, &rec))
			recs++;
	}
	assert_true(recs >= 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join_state_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave_state_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreported_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_general_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_specific_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_compat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_suppression, setup, teardown),
		cmocka_unit_test_setup_teardown(test_force_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_before_dad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_split, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
