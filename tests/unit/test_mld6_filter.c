/*
 * test_mld6_filter.c - source filters in MLD: the RFC 3810 4.2 merge of listeners' filters
 * into the interface state (ip6/mld6_filter.c), as a table and against a naive model of
 * the RFC's set formulas with random inputs; the contents of the RFC 3810 6.1 state-change
 * reports (ALLOW, BLOCK, TO_IN, TO_EX) and their merged retransmissions; the 6.3 answers
 * to General, Group-specific and Group-and-Source-specific queries; MLDv1 compatibility
 * (RFC 3810 8.3: sources ignored); the source limits; long lists split or cut (5.2.15).
 *
 * Source sets are bit masks over eight sources 2001:db8::1 .. ::8 (bit i = ::(i+1)).
 * One stack, one interface; MLD's output hook records every message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/mld6_filter.h"
#include "wire/mld.h"

#define IN MLD_FILTER_INCLUDE
#define EX MLD_FILTER_EXCLUDE
#define NSRC 8

static struct in6_addr src_addr(int i)
{
	struct in6_addr a = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8 } };
	a.s6_addr[15] = (uint8_t)(i + 1);
	return a;
}

static int src_index(const struct in6_addr *a)
{
	struct in6_addr b = src_addr(0);
	if (memcmp(a, &b, 15))
		return -1;
	return a->s6_addr[15] >= 1 && a->s6_addr[15] <= NSRC ? a->s6_addr[15] - 1 : -1;
}

/* A listener's filter from a mask; v holds the addresses. */
static struct mld_filter mkfilter(uint8_t mode, unsigned mask, struct in6_addr *v)
{
	struct mld_filter f = { .mode = mode, .srcs = v };
	for (int i = 0; i < NSRC; i++)
		if (mask & (1u << i))
			v[f.nsrcs++] = src_addr(i);
	return f;
}

static unsigned list_mask(const struct mld_srcset *set)
{
	struct in6_addr out[64];
	uint32_t cur = 0;
	uint16_t n = mld_srcset_pick(set, MLD_PICK_LIST, &cur, out, 64);
	unsigned m = 0;
	for (uint16_t i = 0; i < n; i++)
		m |= 1u << src_index(&out[i]);
	return m;
}

/* ---- RFC 3810 4.2, as a table ---------------------------------------------------------- */

struct listener { uint8_t mode; unsigned mask; };
struct merge_case {
	const char *name;
	struct listener l[4];
	int n;
	uint8_t mode;                   /* expected interface state */
	unsigned mask;
};

static const struct merge_case merge_cases[] = {
	{ "one INCLUDE", { { IN, 0x03 } }, 1, IN, 0x03 },
	{ "INCLUDEs unite", { { IN, 0x03 }, { IN, 0x06 } }, 2, IN, 0x07 },
	{ "EXCLUDEs intersect", { { EX, 0x03 }, { EX, 0x06 } }, 2, EX, 0x02 },
	{ "EXCLUDE minus INCLUDE", { { EX, 0x07 }, { IN, 0x02 } }, 2, EX, 0x05 },
	{ "any-source wins", { { EX, 0x00 }, { IN, 0x01 } }, 2, EX, 0x00 },
	{ "EXCLUDE {} empties the list", { { EX, 0x01 }, { EX, 0x00 } }, 2, EX, 0x00 },
	{ "both rules", { { EX, 0x0f }, { EX, 0x0e }, { IN, 0x04 }, { IN, 0x30 } }, 4, EX, 0x0a },
	{ "disjoint EXCLUDEs", { { EX, 0x01 }, { EX, 0x02 } }, 2, EX, 0x00 },
	{ "INCLUDE {} is no listener", { { IN, 0x00 }, { IN, 0x08 } }, 2, IN, 0x08 },
	{ "nobody", { { IN, 0x00 } }, 1, IN, 0x00 },
};

static void test_merge_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(merge_cases) / sizeof(merge_cases[0]); c++) {
		const struct merge_case *mc = &merge_cases[c];
		struct mld_srcset set = { 0 };
		struct in6_addr v[4][NSRC];
		struct mld_filter none = { .mode = IN };
		for (int i = 0; i < mc->n; i++) {
			struct mld_filter f = mkfilter(mc->l[i].mode, mc->l[i].mask, v[i]);
			assert_int_equal(mld_srcset_update(&set, &none, &f, 64), 0);
		}
		if (mld_srcset_mode(&set) != mc->mode || list_mask(&set) != mc->mask)
			fail_msg("%s: mode %u list %#x, want %u %#x", mc->name, mld_srcset_mode(&set),
				 list_mask(&set), mc->mode, mc->mask);
		/* each source passes exactly when the state says */
		for (int i = 0; i < NSRC; i++) {
			struct in6_addr a = src_addr(i);
			bool listed = mc->mask & (1u << i);
			bool want = mc->mode == IN ? listed : !listed;
			if (mc->mode == IN && !mc->mask)
				want = false;
			assert_int_equal(mld_srcset_passes(&set, &a), want);
		}
		/* everyone leaves: nothing is left */
		for (int i = mc->n - 1; i >= 0; i--) {
			struct mld_filter f = mkfilter(mc->l[i].mode, mc->l[i].mask, v[i]);
			assert_int_equal(mld_srcset_update(&set, &f, &none, 64), 0);
		}
		mld_srcset_gc(&set);
		assert_int_equal(set.n, 0);
		assert_false(mld_srcset_listened(&set));
		mld_srcset_free(&set);
	}
}

/* The RFC 3810 4.2 formulas over masks, for the model check. */
static void naive_merge(const struct listener *l, int n, uint8_t *mode, unsigned *mask)
{
	unsigned inter = 0xff, uni = 0;
	bool any_ex = false;
	for (int i = 0; i < n; i++) {
		if (l[i].mode == EX) {
			any_ex = true;
			inter &= l[i].mask;
		} else {
			uni |= l[i].mask;
		}
	}
	*mode = any_ex ? EX : IN;
	*mask = any_ex ? inter & ~uni : uni;
}

/* Random listeners change their filters one at a time; the counted state always equals
 * the formulas. */
static void test_merge_model(void **state)
{
	(void)state;
	srand(3810);
	struct listener l[6] = { { IN, 0 } };
	struct in6_addr v_old[NSRC], v_new[NSRC];
	struct mld_srcset set = { 0 };
	for (int step = 0; step < 5000; step++) {
		int who = rand() % 6;
		struct listener nl = { (uint8_t)(rand() % 2 ? IN : EX), (unsigned)(rand() & 0xff) };
		struct mld_filter o = mkfilter(l[who].mode, l[who].mask, v_old);
		struct mld_filter f = mkfilter(nl.mode, nl.mask, v_new);
		assert_int_equal(mld_srcset_update(&set, &o, &f, 64), 0);
		l[who] = nl;
		uint8_t mode;
		unsigned mask;
		naive_merge(l, 6, &mode, &mask);
		if (mld_srcset_mode(&set) != mode || list_mask(&set) != mask)
			fail_msg("step %d: mode %u list %#x, model %u %#x", step,
				 mld_srcset_mode(&set), list_mask(&set), mode, mask);
		if (step % 7 == 0)
			mld_srcset_gc(&set);
	}
	mld_srcset_free(&set);
}

/* More distinct sources than the limit: refused whole, nothing changed. */
static void test_source_limit(void **state)
{
	(void)state;
	struct mld_srcset set = { 0 };
	struct in6_addr v[NSRC], w[NSRC];
	struct mld_filter none = { .mode = IN };
	struct mld_filter a = mkfilter(IN, 0x0f, v);
	assert_int_equal(mld_srcset_update(&set, &none, &a, 5), 0);
	struct mld_filter b = mkfilter(EX, 0x3c, w);  /* two new sources: 6 > 5 */
	assert_int_equal(mld_srcset_update(&set, &none, &b, 5), -ENOBUFS);
	assert_int_equal(mld_srcset_mode(&set), IN);
	assert_int_equal(list_mask(&set), 0x0f);
	mld_srcset_free(&set);
}

/* ---- through MLD: reports ------------------------------------------------------------- */

#define MAXSENT 64
struct sent {
	uint8_t msg[1500];
	uint32_t len;
	struct in6_addr dst;
};
static struct sent sent[MAXSENT];
static int nsent;

static int capture(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_tx *tx)
{
	if (nsent < MAXSENT) {
		sent[nsent].len = pkt->len < 1500 ? pkt->len : 1500;
		memcpy(sent[nsent].msg, pkt->data, sent[nsent].len);
		sent[nsent].dst = tx->dst;
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
	cfg.seed = 11;
	cfg.log_level = UMK_LOG_ERR;
	fx.s = umk_stack_new(&cfg, 1000);
	assert_non_null(fx.s);
	struct umk_if_params p = { .name = "eth0", .lladdr = { 2, 0, 0, 0, 0, 2 }, .mtu = 1500,
				   .ops = &ops };
	int idx = umk_if_add(fx.s, &p);
	assert_true(idx > 0);
	fx.ifp = if_get(fx.s, idx);
	fx.ifp->conf.dad_transmits = 0;
	mld_set_output(fx.s, capture);
	assert_int_equal(umk_if_up(fx.s, idx), 0);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	umk_stack_free(fx->s);
	return 0;
}

static void run_for(struct fx *fx, uint64_t ms)
{
	umk_time_t t = fx->s->now + ms, next;
	while ((next = umk_next_deadline(fx->s)) <= t)
		umk_timers_run(fx->s, next > fx->s->now ? next : fx->s->now);
	umk_timers_run(fx->s, t);
}

static const struct in6_addr G = { .s6_addr = { 0xff, 0x3e, [15] = 0x42 } };

/* One record of a report about G. */
struct rec { uint8_t type; unsigned mask; };

/* The records about G in sent message i, into r; returns how many (-1: not a v2 report). */
static int records(int i, struct rec *r, int max)
{
	struct mld_report rep;
	struct mld_record rec;
	if (sent[i].msg[0] != MLD_V2_LISTENER_REPORT ||
	    mld_v2_report_parse(sent[i].msg, sent[i].len, &rep))
		return -1;
	int n = 0;
	while (mld_v2_record_next(&rep, &rec) && n < max) {
		if (!IN6_ARE_ADDR_EQUAL(&rec.group, &G))
			continue;
		r[n].type = rec.type;
		r[n].mask = 0;
		for (unsigned k = 0; k < rec.nsrcs; k++) {
			struct in6_addr a;
			mld_source_get(rec.srcs, k, &a);
			int x = src_index(&a);
			assert_true(x >= 0);
			r[n].mask |= 1u << x;
		}
		n++;
	}
	return n;
}

/* The records about G in all the reports from `from` on, flattened. */
static int all_records(int from, struct rec *r, int max)
{
	int n = 0;
	for (int i = from; i < nsent; i++) {
		int k = records(i, r + n, max - n);
		if (k > 0)
			n += k;
	}
	return n;
}

static void set_filter(struct fx *fx, struct listener *cur, uint8_t mode, unsigned mask)
{
	struct in6_addr a[NSRC], b[NSRC];
	struct mld_filter o = mkfilter(cur->mode, cur->mask, a);
	struct mld_filter n = mkfilter(mode, mask, b);
	assert_int_equal(mld_filter_change(fx->s, fx->ifp, &G, &o, &n), 0);
	cur->mode = mode;
	cur->mask = mask;
}

/*
 * RFC 3810 6.1: the records of the state-change report for one listener's change, with
 * another listener holding its filter meanwhile ("other"; IN 0 = none). Each case: the
 * first report after the change, and Robustness (2) reports in all.
 */
struct change_case {
	const char *name;
	struct listener other, before, after;
	struct rec want[2];
	int nwant;
};

static const struct change_case change_cases[] = {
	{ "SSM join", { IN, 0 }, { IN, 0 }, { IN, 0x01 }, { { MLD_ALLOW_NEW_SOURCES, 0x01 } }, 1 },
	{ "add a source", { IN, 0 }, { IN, 0x01 }, { IN, 0x03 },
	  { { MLD_ALLOW_NEW_SOURCES, 0x02 } }, 1 },
	{ "drop a source", { IN, 0 }, { IN, 0x03 }, { IN, 0x02 },
	  { { MLD_BLOCK_OLD_SOURCES, 0x01 } }, 1 },
	{ "swap sources", { IN, 0 }, { IN, 0x03 }, { IN, 0x06 },
	  { { MLD_ALLOW_NEW_SOURCES, 0x04 }, { MLD_BLOCK_OLD_SOURCES, 0x01 } }, 2 },
	{ "SSM leave", { IN, 0 }, { IN, 0x05 }, { IN, 0 }, { { MLD_BLOCK_OLD_SOURCES, 0x05 } }, 1 },
	{ "ASM join", { IN, 0 }, { IN, 0 }, { EX, 0 }, { { MLD_CHANGE_TO_EXCLUDE_MODE, 0 } }, 1 },
	{ "ASM leave", { IN, 0 }, { EX, 0 }, { IN, 0 }, { { MLD_CHANGE_TO_INCLUDE_MODE, 0 } }, 1 },
	{ "unblock", { IN, 0 }, { EX, 0x01 }, { EX, 0 }, { { MLD_ALLOW_NEW_SOURCES, 0x01 } }, 1 },
	{ "block", { IN, 0 }, { EX, 0 }, { EX, 0x03 }, { { MLD_BLOCK_OLD_SOURCES, 0x03 } }, 1 },
	{ "INCLUDE to EXCLUDE", { IN, 0 }, { IN, 0x01 }, { EX, 0x02 },
	  { { MLD_CHANGE_TO_EXCLUDE_MODE, 0x02 } }, 1 },
	{ "EXCLUDE to INCLUDE", { IN, 0 }, { EX, 0x01 }, { IN, 0x02 },
	  { { MLD_CHANGE_TO_INCLUDE_MODE, 0x02 } }, 1 },
	/* other: EXCLUDE {1,2}; our INCLUDE {1} takes 1 out of the interface's list */
	{ "INCLUDE under EXCLUDE", { EX, 0x03 }, { IN, 0 }, { IN, 0x01 },
	  { { MLD_ALLOW_NEW_SOURCES, 0x01 } }, 1 },
	/* other: EXCLUDE {1,2}; our EXCLUDE {2,3} shrinks the list to {2}: 1 is allowed */
	{ "second EXCLUDE", { EX, 0x03 }, { IN, 0 }, { EX, 0x06 },
	  { { MLD_ALLOW_NEW_SOURCES, 0x01 } }, 1 },
	/* other: INCLUDE {1}; our change within INCLUDE {1} tells nothing about 1 */
	{ "overlapping INCLUDEs", { IN, 0x01 }, { IN, 0 }, { IN, 0x03 },
	  { { MLD_ALLOW_NEW_SOURCES, 0x02 } }, 1 },
};

static bool rec_in(const struct rec *r, int n, const struct rec *want)
{
	for (int i = 0; i < n; i++)
		if (r[i].type == want->type && r[i].mask == want->mask)
			return true;
	return false;
}

static void test_state_change_records(void **state)
{
	struct fx *fx = *state;
	for (size_t c = 0; c < sizeof(change_cases) / sizeof(change_cases[0]); c++) {
		const struct change_case *cc = &change_cases[c];
		struct listener other = { IN, 0 }, me = { IN, 0 };
		set_filter(fx, &other, cc->other.mode, cc->other.mask);
		set_filter(fx, &me, cc->before.mode, cc->before.mask);
		run_for(fx, 5000);   /* every earlier retransmission done */
		nsent = 0;
		set_filter(fx, &me, cc->after.mode, cc->after.mask);
		struct rec r[8];
		int n = nsent ? records(0, r, 8) : 0;
		if (n != cc->nwant)
			fail_msg("%s: %d records, want %d", cc->name, n, cc->nwant);
		for (int i = 0; i < cc->nwant; i++)
			if (!rec_in(r, n, &cc->want[i]))
				fail_msg("%s: record %u %#x missing (first %u %#x)", cc->name,
					 cc->want[i].type, cc->want[i].mask, r[0].type, r[0].mask);
		/* RFC 3810 6.1: Robustness reports in all, then silence */
		run_for(fx, 5000);
		struct rec all[16];
		int na = all_records(0, all, 16);
		assert_int_equal(na, 2 * cc->nwant);
		/* clean up: both leave, the reports of that are not looked at */
		set_filter(fx, &me, IN, 0);
		set_filter(fx, &other, IN, 0);
		run_for(fx, 5000);
		assert_false(mld_is_member(fx->s, fx->ifp, &G));
	}
}

/* RFC 3810 6.1 merging: a second change while the first is still being retransmitted
 * sends at once a report with both (each source has its own counter), and each source
 * is sent Robustness times in all. */
static void test_merged_retransmission(void **state)
{
	struct fx *fx = *state;
	struct listener me = { IN, 0 };
	nsent = 0;
	set_filter(fx, &me, IN, 0x01);        /* ALLOW {1}, one retransmission due */
	assert_int_equal(nsent, 1);
	set_filter(fx, &me, IN, 0x03);        /* at once: ALLOW {1,2} */
	assert_int_equal(nsent, 2);
	struct rec r[4];
	assert_int_equal(records(1, r, 4), 1);
	assert_int_equal(r[0].type, MLD_ALLOW_NEW_SOURCES);
	assert_int_equal(r[0].mask, 0x03);
	run_for(fx, 5000);
	assert_int_equal(nsent, 3);           /* then ALLOW {2} once more, and nothing */
	assert_int_equal(records(2, r, 4), 1);
	assert_int_equal(r[0].mask, 0x02);

	/* a source dropped while its ALLOW is pending is reported as BLOCK from then on */
	nsent = 0;
	set_filter(fx, &me, IN, 0x07);        /* ALLOW {3} */
	set_filter(fx, &me, IN, 0x03);        /* BLOCK {3} */
	assert_int_equal(records(1, r, 4), 1);
	assert_int_equal(r[0].type, MLD_BLOCK_OLD_SOURCES);
	assert_int_equal(r[0].mask, 0x04);

	/* a filter-mode change takes over: TO_EX with the current list, Robustness times */
	run_for(fx, 5000);
	nsent = 0;
	set_filter(fx, &me, IN, 0x0b);        /* ALLOW {4} pending */
	set_filter(fx, &me, EX, 0x10);
	run_for(fx, 5000);
	struct rec all[8];
	int n = all_records(1, all, 8);
	assert_int_equal(n, 2);
	assert_int_equal(all[0].type, MLD_CHANGE_TO_EXCLUDE_MODE);
	assert_int_equal(all[0].mask, 0x10);
	assert_int_equal(all[1].type, MLD_CHANGE_TO_EXCLUDE_MODE);
}

/* ---- queries (RFC 3810 6.2, 6.3) ------------------------------------------------------ */

static const struct in6_addr router_ll = { .s6_addr = { 0xfe, 0x80, [15] = 0x01 } };

static void query(struct fx *fx, const struct in6_addr *g, unsigned qmask)
{
	struct in6_addr q[NSRC];
	struct mld_filter f = mkfilter(IN, qmask, q);
	struct mld_query mq = { .max_resp_code = mld_mrc_encode(1000), .qrv = 2, .qqic = 125 };
	if (g)
		mq.group = *g;
	uint8_t buf[300];
	size_t len = mld_v2_query_emit(buf, sizeof(buf), &mq, q, f.nsrcs);
	struct umk_pkt *pkt = pkt_alloc(fx->s, (uint32_t)len, PKT_HEADROOM);
	memcpy(pkt_put(pkt, (uint32_t)len), buf, len);
	struct ip6_rx rx = { .ifp = fx->ifp, .src = router_ll, .hlim = 1, .nxt = IPPROTO_ICMPV6,
			     .flags = IP6_RX_ROUTER_ALERT };
	mld_input(fx->s, pkt, &rx);
}

struct query_case {
	const char *name;
	struct listener l[2];
	bool general;                   /* else group-specific, or G-and-S with qmask */
	unsigned qmask;
	int nwant;                      /* 0: no record about G */
	struct rec want;
};

static const struct query_case query_cases[] = {
	{ "general, INCLUDE", { { IN, 0x03 }, { IN, 0x04 } }, true, 0, 1,
	  { MLD_MODE_IS_INCLUDE, 0x07 } },
	{ "general, EXCLUDE", { { EX, 0x03 }, { EX, 0x06 } }, true, 0, 1,
	  { MLD_MODE_IS_EXCLUDE, 0x02 } },
	{ "group, EXCLUDE minus INCLUDE", { { EX, 0x07 }, { IN, 0x01 } }, false, 0, 1,
	  { MLD_MODE_IS_EXCLUDE, 0x06 } },
	{ "G-and-S, INCLUDE: A*Q", { { IN, 0x03 } }, false, 0x0e, 1,
	  { MLD_MODE_IS_INCLUDE, 0x02 } },
	{ "G-and-S, EXCLUDE: Q-A", { { EX, 0x03 } }, false, 0x0e, 1,
	  { MLD_MODE_IS_INCLUDE, 0x0c } },
	{ "G-and-S, nothing listened", { { IN, 0x10 } }, false, 0x0e, 0, { 0, 0 } },
	{ "G-and-S, all blocked", { { EX, 0x0e } }, false, 0x0e, 0, { 0, 0 } },
};

static void test_query_answers(void **state)
{
	struct fx *fx = *state;
	for (size_t c = 0; c < sizeof(query_cases) / sizeof(query_cases[0]); c++) {
		const struct query_case *qc = &query_cases[c];
		struct listener l[2] = { { IN, 0 }, { IN, 0 } };
		for (int i = 0; i < 2; i++)
			set_filter(fx, &l[i], qc->l[i].mode ? qc->l[i].mode : IN, qc->l[i].mask);
		run_for(fx, 5000);
		nsent = 0;
		query(fx, qc->general ? NULL : &G, qc->qmask);
		run_for(fx, 2000);
		struct rec r[8];
		int n = all_records(0, r, 8);
		if (n != qc->nwant || (n && (r[0].type != qc->want.type || r[0].mask != qc->want.mask)))
			fail_msg("%s: %d records (first %u %#x), want %d (%u %#x)", qc->name, n,
				 n ? r[0].type : 0, n ? r[0].mask : 0, qc->nwant, qc->want.type,
				 qc->want.mask);
		for (int i = 1; i >= 0; i--)
			set_filter(fx, &l[i], IN, 0);
		run_for(fx, 5000);
	}
}

/* ---- MLDv1 compatibility (RFC 3810 8.3) ----------------------------------------------- */

static int count_v1(int type)
{
	int n = 0;
	for (int i = 0; i < nsent; i++)
		if (sent[i].msg[0] == type)
			n++;
	return n;
}

/* Sources are ignored: an INCLUDE join is a v1 Report, a source change says nothing, the
 * last source gone is a Done. */
static void test_v1_sources_ignored(void **state)
{
	struct fx *fx = *state;
	fx->ifp->conf.force_mld_version = 1;
	struct listener me = { IN, 0 };
	nsent = 0;
	set_filter(fx, &me, IN, 0x01);
	run_for(fx, 5000);
	assert_int_equal(count_v1(MLD_V1_LISTENER_REPORT), 2);
	assert_int_equal(count_v1(MLD_V2_LISTENER_REPORT), 0);
	nsent = 0;
	set_filter(fx, &me, IN, 0x03);
	set_filter(fx, &me, EX, 0x04);
	run_for(fx, 5000);
	assert_int_equal(nsent, 0);
	set_filter(fx, &me, IN, 0);
	assert_int_equal(count_v1(MLD_V1_LISTENER_DONE), 1);
	assert_false(mld_is_member(fx->s, fx->ifp, &G));
}

/* The interface table's bound is counted and the join refused whole. */
static void test_group_source_limit(void **state)
{
	struct fx *fx = *state;
	fx->s->limits.max_group_sources = 3;
	struct listener me = { IN, 0 };
	set_filter(fx, &me, IN, 0x07);
	struct in6_addr a[NSRC], b[NSRC];
	struct mld_filter o = mkfilter(IN, 0x07, a), n = mkfilter(IN, 0x0f, b);
	uint64_t before = fx->s->counters[CNT_MLD_GROUP_SOURCE_LIMIT];
	assert_int_equal(mld_filter_change(fx->s, fx->ifp, &G, &o, &n), -ENOBUFS);
	assert_int_equal(fx->s->counters[CNT_MLD_GROUP_SOURCE_LIMIT], before + 1);
	uint8_t mode;
	struct in6_addr list[8];
	assert_int_equal(mld_group_state(fx->s, fx->ifp, &G, &mode, list, 8), 3);
	assert_int_equal(mode, IN);
}

/* RFC 3810 5.2.15: 100 sources do not fit one 1500-byte report (89 do): an ALLOW is split
 * over two records in two reports, a TO_EX is cut to what fits and the cut is counted. */
static void test_long_lists(void **state)
{
	struct fx *fx = *state;
	static struct in6_addr many[100];
	for (int i = 0; i < 100; i++) {
		many[i] = src_addr(0);
		many[i].s6_addr[14] = 1;
		many[i].s6_addr[15] = (uint8_t)i;
	}
	struct mld_filter none = { .mode = IN };
	struct mld_filter inc = { .mode = IN, .nsrcs = 100, .srcs = many };
	nsent = 0;
	assert_int_equal(mld_filter_change(fx->s, fx->ifp, &G, &none, &inc), 0);
	assert_int_equal(nsent, 2);
	unsigned total = 0;
	for (int i = 0; i < 2; i++) {
		struct mld_report rep;
		struct mld_record rec;
		assert_int_equal(mld_v2_report_parse(sent[i].msg, sent[i].len, &rep), 0);
		assert_true(sent[i].len <= 1500 - 48);
		assert_true(mld_v2_record_next(&rep, &rec));
		assert_int_equal(rec.type, MLD_ALLOW_NEW_SOURCES);
		total += rec.nsrcs;
	}
	assert_int_equal(total, 100);
	run_for(fx, 5000);
	struct mld_filter exc = { .mode = EX, .nsrcs = 100, .srcs = many };
	uint64_t cut = fx->s->counters[CNT_MLD_OUT_EXCLUDE_TRUNCATED];
	nsent = 0;
	assert_int_equal(mld_filter_change(fx->s, fx->ifp, &G, &inc, &exc), 0);
	assert_int_equal(nsent, 1);
	struct mld_report rep;
	struct mld_record rec;
	assert_int_equal(mld_v2_report_parse(sent[0].msg, sent[0].len, &rep), 0);
	assert_true(mld_v2_record_next(&rep, &rec));
	assert_int_equal(rec.type, MLD_CHANGE_TO_EXCLUDE_MODE);
	assert_int_equal(rec.nsrcs, (1500 - 48 - 8 - 20) / 16);
	assert_false(mld_v2_record_next(&rep, &rec));
	assert_int_equal(fx->s->counters[CNT_MLD_OUT_EXCLUDE_TRUNCATED], cut + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_table),
		cmocka_unit_test(test_merge_model),
		cmocka_unit_test(test_source_limit),
		cmocka_unit_test_setup_teardown(test_state_change_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merged_retransmission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_sources_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_source_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lists, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
