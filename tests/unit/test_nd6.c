/*
 * test_nd6.c - neighbor and router discovery (ip6/nd6.c, ip6/rd6.c) on one stack with
 * injected time: hand-built NS/NA/RA/Redirect frames go in through umk_input, the frames
 * the stack transmits are recorded and parsed. Validation rules and the NA table are tables
 * of cases.
 *
 * Topology: the stack (02:00:00:00:00:01, eth0) alone on a wire the test plays the other
 * end of: peer P fe80::2 (02:00:00:00:00:02), router R fe80::1 (02:00:00:00:00:0e).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/nd6_int.h"
#include "ip6/route6.h"
#include "nd_test_util.h"

#define MAX_FRAMES 512

static const uint8_t MAC_US[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t MAC_P[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t MAC_P2[6] = { 2, 0, 0, 0, 0, 0x22 };
static const uint8_t MAC_R[6] = { 2, 0, 0, 0, 0, 0x0e };

struct cap {
	uint8_t f[MAX_FRAMES][1600];
	size_t len[MAX_FRAMES];
	umk_time_t at[MAX_FRAMES];
	int n;
};

struct fx {
	struct umk_stack *s;
	struct umk_if *ifp;
	int idx;
	struct cap cap;
	struct in6_addr ll;           /* our link-local address */
	int echo_errors;              /* Destination Unreachable about our echoes */
	int echo_err_code;
};

static struct fx *cur;

static int xmit(void *ctx, const void *frame, size_t len)
{
	struct fx *f = ctx;
	if (f->cap.n < MAX_FRAMES && len <= sizeof(f->cap.f[0])) {
		memcpy(f->cap.f[f->cap.n], frame, len);
		f->cap.len[f->cap.n] = len;
		f->cap.at[f->cap.n] = f->s->now;
		f->cap.n++;
	}
	return 0;
}
static const struct umk_link_ops ops = { .transmit = xmit };

static void echo_cb(void *ctx, const struct umk_echo_event *ev)
{
	struct fx *f = ctx;
	if (ev->icmp_type == 1) {
		f->echo_errors++;
		f->echo_err_code = ev->icmp_code;
	}
}

static void run_to(struct fx *f, umk_time_t t)
{
	for (;;) {
		umk_time_t d = umk_next_deadline(f->s);
		if (d > t)
			break;
		umk_timers_run(f->s, d > f->s->now ? d : f->s->now);
	}
	umk_timers_run(f->s, t);
}
static void run_for(struct fx *f, uint64_t ms) { run_to(f, f->s->now + ms); }

static int setup_cfg(void **state, void (*tweak)(struct umk_stack_config *))
{
	struct fx *f = calloc(1, sizeof(*f));
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.seed = 42;
	cfg.log_level = UMK_LOG_WARN;
	if (tweak)
		tweak(&cfg);
	f->s = umk_stack_new(&cfg, 1000);
	struct umk_if_params p = { .name = "eth0", .mtu = 1500, .ops = &ops, .ctx = f };
	memcpy(p.lladdr, MAC_US, 6);
	f->idx = umk_if_add(f->s, &p);
	assert_true(f->idx > 0);
	f->ifp = if_get(f->s, f->idx);
	umk_echo_set_handler(f->s, echo_cb, f);
	assert_int_equal(umk_if_up(f->s, f->idx), 0);
	run_for(f, 5000); /* link-local DAD done, RSs under way */
	struct in6_ifaddr *ia = in6_linklocal(f->s, f->ifp);
	assert_non_null(ia);
	f->ll = ia->addr;
	cur = f;
	*state = f;
	return 0;
}
static int setup(void **state) { return setup_cfg(state, NULL); }
static int teardown(void **state)
{
	struct fx *f = *state;
	umk_stack_free(f->s);
	free(f);
	return 0;
}

static void inject(struct fx *f, const uint8_t *dmac, const uint8_t *smac, const char *src,
		   const struct in6_addr *dst, uint8_t hlim, const struct nd_msg *m)
{
	uint8_t frame[1600];
	struct in6_addr s = ndt_addr(src);
	size_t n = ndt_frame(frame, sizeof(frame), dmac, smac, &s, dst, hlim, m);
	assert_true(n > 0);
	umk_input(f->s, f->idx, frame, n);
}

/* how many ND frames of `type` were sent since frame index `from`; the last in *last */
static int sent(struct fx *f, int from, uint8_t type, struct ndt_seen *last)
{
	int n = 0;
	for (int i = from; i < f->cap.n; i++) {
		struct ndt_seen sn;
		if (ndt_parse(f->cap.f[i], f->cap.len[i], &sn) && sn.m.type == type) {
			n++;
			if (last)
				*last = sn;
		}
	}
	return n;
}

static int icmp_sent(struct fx *f, int from, uint8_t type)
{
	int n = 0;
	for (int i = from; i < f->cap.n; i++)
		if (ndt_is_icmp6(f->cap.f[i], f->cap.len[i], type))
			n++;
	return n;
}

struct nfind {
	struct in6_addr a;
	struct umk_neigh_info ni;
	bool found;
};
static int nfind_cb(void *ctx, const struct umk_neigh_info *ni)
{
	struct nfind *q = ctx;
	if (memcmp(&ni->addr, &q->a, 16) == 0) {
		q->ni = *ni;
		q->found = true;
	}
	return 0;
}
/* state of the entry for addr, 0 when not listed */
static int nstate(struct fx *f, const char *addr, struct umk_neigh_info *out)
{
	struct nfind q = { .a = ndt_addr(addr) };
	umk_neigh_list(f->s, nfind_cb, &q);
	if (out)
		*out = q.ni;
	return q.found ? q.ni.state : 0;
}

static uint64_t cnt(struct fx *f, enum umk_counter c) { return f->s->counters[c]; }

static struct nd_msg ns_for(const struct in6_addr *target, const uint8_t *sllao)
{
	struct nd_msg m;
	memset(&m, 0, sizeof(m));
	m.type = ND_NEIGHBOR_SOLICIT;
	m.target = *target;
	if (sllao) {
		m.opts.has_sllao = true;
		memcpy(m.opts.sllao, sllao, 6);
	}
	return m;
}

static struct nd_msg na_for(const char *target, uint8_t flags, const uint8_t *tllao)
{
	struct nd_msg m;
	memset(&m, 0, sizeof(m));
	m.type = ND_NEIGHBOR_ADVERT;
	m.target = ndt_addr(target);
	m.na_flags = flags;
	if (tllao) {
		m.opts.has_tllao = true;
		memcpy(m.opts.tllao, tllao, 6);
	}
	return m;
}

static void send_echo(struct fx *f, const char *dst)
{
	struct in6_addr d = ndt_addr(dst);
	umk_echo_send(f->s, &d, f->idx, 0, 1, 1, 8, 0);
}

/* ---- NS input: answer rules (RFC 4861 7.2.3, 7.2.4) ---- */

static void test_ns_answered(void **state)
{
	struct fx *f = *state;
	int from = f->cap.n;
	struct nd_msg m = ns_for(&f->ll, MAC_P);
	struct in6_addr snm;
	in6_solicited_node(&f->ll, &snm);
	inject(f, NULL, MAC_P, "fe80::2", &snm, 255, &m);
	struct ndt_seen na;
	assert_int_equal(sent(f, from, ND_NEIGHBOR_ADVERT, &na), 1);
	assert_int_equal(na.hlim, 255);
	assert_memory_equal(&na.dst, ndt_addr("fe80::2").s6_addr, 16);
	assert_memory_equal(&na.src, &f->ll, 16);
	assert_memory_equal(na.dmac, MAC_P, 6);
	assert_int_equal(na.m.na_flags, ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE);
	assert_true(na.m.opts.has_tllao);
	assert_memory_equal(na.m.opts.tllao, MAC_US, 6);
	assert_memory_equal(&na.m.target, &f->ll, 16);
	/* 7.2.3: the sender's entry, STALE, then DELAY since the NA went to it (7.3.3) */
	struct umk_neigh_info ni;
	int st = nstate(f, "fe80::2", &ni);
	assert_true(st == UMK_NUD_STALE || st == UMK_NUD_DELAY);
	assert_memory_equal(ni.lladdr, MAC_P, 6);
	assert_false(ni.router);
}

static void test_ns_dad_defended(void **state)
{
	struct fx *f = *state;
	int from = f->cap.n;
	struct nd_msg m = ns_for(&f->ll, NULL);
	struct in6_addr snm;
	in6_solicited_node(&f->ll, &snm);
	inject(f, NULL, MAC_P, "::", &snm, 255, &m);
	struct ndt_seen na;
	assert_int_equal(sent(f, from, ND_NEIGHBOR_ADVERT, &na), 1);
	/* 7.2.4: from ::, S=0 and to all-nodes */
	assert_memory_equal(&na.dst, ndt_addr("ff02::1").s6_addr, 16);
	assert_int_equal(na.m.na_flags & ND_NA_F_SOLICITED, 0);
	assert_int_equal(nstate(f, "::", NULL), 0);
}

struct ns_bad_case {
	const char *name;
	const char *src;
	const char *dst;              /* NULL: the solicited-node group of our address */
	const char *target;           /* NULL: our link-local */
	bool sllao;
	uint8_t hlim;
	enum umk_counter counter;
};

static const struct ns_bad_case ns_bad[] = {
	{ "hop limit 254", "fe80::2", NULL, NULL, true, 254, CNT_ND6_BAD_HOPLIMIT },
	{ "hop limit 1", "fe80::2", NULL, NULL, true, 1, CNT_ND6_BAD_HOPLIMIT },
	{ "multicast target", "fe80::2", NULL, "ff02::1", true, 255, CNT_ND6_NS_TARGET_MCAST },
	{ ":: to all-nodes", "::", "ff02::1", NULL, false, 255, CNT_ND6_NS_UNSPEC_NOT_SNM },
	{ ":: with SLLAO", "::", NULL, NULL, true, 255, CNT_ND6_NS_UNSPEC_SLLAO },
	{ "not our address", "fe80::2", "ff02::1", "fe80::99", true, 255,
	  CNT_ND6_NS_NOT_FOR_US },
};

static void test_ns_invalid(void **state)
{
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof(ns_bad) / sizeof(ns_bad[0]); i++) {
		const struct ns_bad_case *c = &ns_bad[i];
		int from = f->cap.n;
		uint64_t before = cnt(f, c->counter);
		struct in6_addr target = c->target ? ndt_addr(c->target) : f->ll;
		struct in6_addr dst;
		if (c->dst)
			dst = ndt_addr(c->dst);
		else
			in6_solicited_node(&f->ll, &dst);
		struct nd_msg m = ns_for(&target, c->sllao ? MAC_P2 : NULL);
		inject(f, NULL, MAC_P2, c->src, &dst, c->hlim, &m);
		if (cnt(f, c->counter) != before + 1)
			fail_msg("case '%s': counter not bumped", c->name);
		if (sent(f, from, ND_NEIGHBOR_ADVERT, NULL) != 0)
			fail_msg("case '%s': answered", c->name);
		if (nstate(f, c->src, NULL) != 0)
			fail_msg("case '%s': created an entry", c->name);
	}
}

/* An option with length 0 invalidates the whole NS (RFC 4861 4.6). */
static void test_ns_zero_len_option(void **state)
{
	struct fx *f = *state;
	uint8_t frame[200];
	struct nd_msg m = ns_for(&f->ll, MAC_P);
	struct in6_addr snm, src = ndt_addr("fe80::2");
	in6_solicited_node(&f->ll, &snm);
	size_t n = ndt_frame(frame, sizeof(frame), NULL, MAC_P, &src, &snm, 255, &m);
	/* append a zero-length option and fix lengths and checksum */
	uint8_t *icmp = frame + 54;
	size_t il = n - 54;
	memset(icmp + il, 0, 8);
	icmp[il] = 99;
	il += 8;
	frame[18] = (uint8_t)(il >> 8);
	frame[19] = (uint8_t)il;
	icmp[2] = icmp[3] = 0;
	uint16_t c = csum_ip6(&src, &snm, 58, icmp, il);
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	int from = f->cap.n;
	uint64_t before = cnt(f, CNT_ND6_BAD_OPT_ZERO_LEN);
	umk_input(f->s, f->idx, frame, 54 + il);
	assert_int_equal(cnt(f, CNT_ND6_BAD_OPT_ZERO_LEN), before + 1);
	assert_int_equal(sent(f, from, ND_NEIGHBOR_ADVERT, NULL), 0);
}

/* ---- address resolution (7.2.2) and NUD (7.3) ---- */

static void test_resolution_fails(void **state)
{
	struct fx *f = *state;
	int from = f->cap.n;
	umk_time_t t0 = f->s->now;
	send_echo(f, "fe80::2");
	send_echo(f, "fe80::2");
	assert_int_equal(nstate(f, "fe80::2", NULL), UMK_NUD_INCOMPLETE);
	struct ndt_seen ns;
	assert_int_equal(sent(f, from, ND_NEIGHBOR_SOLICIT, &ns), 1);
	assert_memory_equal(&ns.dst, ndt_addr("ff02::1:ff00:2").s6_addr, 16);
	assert_memory_equal(&ns.src, &f->ll, 16); /* 7.2.2: the queued packet's source */
	assert_true(ns.m.opts.has_sllao);
	assert_int_equal(ns.hlim, 255);
	run_to(f, t0 + 2500);
	assert_int_equal(sent(f, from, ND_NEIGHBOR_SOLICIT, NULL), 3);
	run_to(f, t0 + 10000);
	/* MAX_MULTICAST_SOLICIT = 3, then Destination Unreachable code 3 per queued packet */
	assert_int_equal(sent(f, from, ND_NEIGHBOR_SOLICIT, NULL), 3);
	assert_int_equal(cnt(f, CNT_ND6_RES_FAILED), 1);
	assert_int_equal(cnt(f, CNT_ND6_RES_UNREACH), 2);
	assert_int_equal(f->echo_errors, 2);
	assert_int_equal(f->echo_err_code, 3);
	assert_int_equal(nstate(f, "fe80::2", NULL), 0);
	assert_false(nd6_probably_reachable(f->s, f->ifp, &ns.m.target));
	assert_int_equal(icmp_sent(f, from, 128), 0); /* the echo never left */
}

static void resolve_peer(struct fx *f)
{
	send_echo(f, "fe80::2");
	struct in6_addr ll = f->ll;
	struct nd_msg na = na_for("fe80::2", ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE, MAC_P);
	inject(f, MAC_US, MAC_P, "fe80::2", &ll, 255, &na);
}

static void test_resolution_and_nud(void **state)
{
	struct fx *f = *state;
	int from = f->cap.n;
	resolve_peer(f);
	/* the queued echo went out to the answered MAC */
	int echo_at = -1;
	for (int i = from; i < f->cap.n; i++)
		if (ndt_is_icmp6(f->cap.f[i], f->cap.len[i], 128))
			echo_at = i;
	assert_true(echo_at >= 0);
	assert_memory_equal(f->cap.f[echo_at], MAC_P, 6);
	assert_int_equal(nstate(f, "fe80::2", NULL), UMK_NUD_REACHABLE);
	/* ReachableTime is at most 1.5 x 30 s */
	run_for(f, 45001);
	assert_int_equal(nstate(f, "fe80::2", NULL), UMK_NUD_STALE);
	from = f->cap.n;
	send_echo(f, "fe80::2");
	assert_int_equal(nstate(f, "fe80::2", NULL), UMK_NUD_DELAY);
	assert_int_equal(icmp_sent(f, from, 128), 1);
	assert_int_equal(sent(f, from, ND_NEIGHBOR_SOLICIT, NULL), 0);
	run_for(f, 5001); /* DELAY_FIRST_PROBE_TIME */
	assert_int_equal(nstate(f, "fe80::2", NULL), UMK_NUD_PROBE);
	struct ndt_seen ns;
	assert_int_equal(sent(f, from, ND_NEIGHBOR_SOLICIT, &ns), 1);
	/* 7.3.3: PROBE solicitations are unicast to the cached address */
	assert_memory_equal(&ns.dst, ndt_addr("fe80::2").s6_addr, 16);
	assert_memory_equal(ns.dmac, MAC_P, 6);
	run_for(f, 10000);
	assert_int_equal(sent(f, from, ND_NEIGHBOR_SOLICIT, NULL), 3);
	assert_int_equal(nstate(f, "fe80::2", NULL), 0);
	assert_int_equal(cnt(f, CNT_ND6_NUD_PROBE_FAILED), 1);
}

static void test_probe_answered(void **state)
{
	struct fx *f = *state;
	resolve_peer(f);
	run_for(f, 45001);
	send_echo(f, "fe80::2");
	run_for(f, 5001);
	assert_int_equal(nstate(f, "fe80::2", NULL), UMK_NUD_PROBE);
	struct in6_addr ll = f->ll;
	struct nd_msg na = na_for("fe80::2", ND_NA_F_SOLICITED, MAC_P);
	inject(f, MAC_US, MAC_P, "fe80::2", &ll, 255, &na);
	assert_int_equal(nstate(f, "fe80::2", NULL), UMK_NUD_REACHABLE);
	/* upper-layer confirmation keeps it REACHABLE */
	run_for(f, 10000);
	struct in6_addr p = ndt_addr("fe80::2");
	nd6_confirm(f->s, f->ifp, &p);
	assert_int_equal(nstate(f, "fe80::2", NULL), UMK_NUD_REACHABLE);
}

/* RFC 4861 7.2.5 for an entry that has a link-layer address. */
struct na_case {
	const char *name;
	uint8_t start;                /* REACHABLE or STALE */
	uint8_t flags;
	bool tllao;
	bool other_mac;               /* TLLAO differs from the cached one */
	uint8_t want;
	bool want_new_mac;
};

static const struct na_case na_cases[] = {
	{ "R: S=0 O=0 same", UMK_NUD_REACHABLE, 0, true, false, UMK_NUD_REACHABLE, false },
	{ "R: S=0 O=0 other", UMK_NUD_REACHABLE, 0, true, true, UMK_NUD_STALE, false },
	{ "R: S=1 O=0 other", UMK_NUD_REACHABLE, ND_NA_F_SOLICITED, true, true, UMK_NUD_STALE, false },
	{ "R: S=0 O=1 other", UMK_NUD_REACHABLE, ND_NA_F_OVERRIDE, true, true, UMK_NUD_STALE, true },
	{ "R: S=1 O=1 other", UMK_NUD_REACHABLE, ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE, true, true,
	  UMK_NUD_REACHABLE, true },
	{ "S: S=0 O=0 other", UMK_NUD_STALE, 0, true, true, UMK_NUD_STALE, false },
	{ "S: S=1 O=0 same", UMK_NUD_STALE, ND_NA_F_SOLICITED, true, false, UMK_NUD_REACHABLE, false },
	{ "S: S=1 no tllao", UMK_NUD_STALE, ND_NA_F_SOLICITED, false, false, UMK_NUD_REACHABLE, false },
	{ "S: S=0 O=1 other", UMK_NUD_STALE, ND_NA_F_OVERRIDE, true, true, UMK_NUD_STALE, true },
	{ "S: S=0 O=1 same", UMK_NUD_STALE, ND_NA_F_OVERRIDE, true, false, UMK_NUD_STALE, false },
	{ "S: S=1 O=1 other", UMK_NUD_STALE, ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE, true, true,
	  UMK_NUD_REACHABLE, true },
};

static void test_na_table(void **state)
{
	struct fx *f = *state;
	struct in6_addr ll = f->ll;
	for (size_t i = 0; i < sizeof(na_cases) / sizeof(na_cases[0]); i++) {
		const struct na_case *c = &na_cases[i];
		umk_neigh_flush(f->s, f->idx);
		if (c->start == UMK_NUD_REACHABLE) {
			resolve_peer(f);
		} else {
			/* as an NS with SLLAO would leave it (7.2.3), without our answer */
			struct in6_addr p = ndt_addr("fe80::2");
			nd6_learn(f->s, f->ifp, &p, MAC_P, false);
		}
		if (nstate(f, "fe80::2", NULL) != c->start)
			fail_msg("case '%s': setup state %d", c->name, nstate(f, "fe80::2", NULL));
		struct nd_msg na = na_for("fe80::2", c->flags, c->tllao ? (c->other_mac ? MAC_P2 : MAC_P) : NULL);
		inject(f, MAC_US, MAC_P2, "fe80::2", &ll, 255, &na);
		struct umk_neigh_info ni;
		int st = nstate(f, "fe80::2", &ni);
		if (st != c->want)
			fail_msg("case '%s': state %d, want %d", c->name, st, c->want);
		if (memcmp(ni.lladdr, c->want_new_mac ? MAC_P2 : MAC_P, 6) != 0)
			fail_msg("case '%s': wrong lladdr", c->name);
	}
}

struct na_bad_case {
	const char *name;
	const char *target;
	const char *dst;              /* NULL: our link-local */
	uint8_t flags;
	uint8_t hlim;
	enum umk_counter counter;
};

static const struct na_bad_case na_bad[] = {
	{ "hop limit 64", "fe80::2", NULL, ND_NA_F_SOLICITED, 64, CNT_ND6_BAD_HOPLIMIT },
	{ "multicast target", "ff02::1", NULL, ND_NA_F_SOLICITED, 255, CNT_ND6_NA_TARGET_MCAST },
	{ "S=1 to multicast", "fe80::2", "ff02::1", ND_NA_F_SOLICITED, 255,
	  CNT_ND6_NA_SOLICITED_MCAST },
	{ "no entry", "fe80::77", NULL, ND_NA_F_SOLICITED, 255, CNT_ND6_NA_NO_ENTRY },
};

static void test_na_invalid(void **state)
{
	struct fx *f = *state;
	send_echo(f, "fe80::2"); /* INCOMPLETE entry that a valid NA would complete */
	for (size_t i = 0; i < sizeof(na_bad) / sizeof(na_bad[0]); i++) {
		const struct na_bad_case *c = &na_bad[i];
		uint64_t before = cnt(f, c->counter);
		struct in6_addr dst = c->dst ? ndt_addr(c->dst) : f->ll;
		struct nd_msg na = na_for(c->target, c->flags, MAC_P);
		inject(f, NULL, MAC_P, "fe80::2", &dst, c->hlim, &na);
		if (cnt(f, c->counter) != before + 1)
			fail_msg("case '%s': counter not bumped", c->name);
		if (nstate(f, "fe80::2", NULL) != UMK_NUD_INCOMPLETE)
			fail_msg("case '%s': entry changed", c->name);
	}
	/* INCOMPLETE and no TLLAO: ignored */
	struct in6_addr ll = f->ll;
	struct nd_msg na = na_for("fe80::2", ND_NA_F_SOLICITED, NULL);
	inject(f, MAC_US, MAC_P, "fe80::2", &ll, 255, &na);
	assert_int_equal(cnt(f, CNT_ND6_NA_NO_TLLAO), 1);
	assert_int_equal(nstate(f, "fe80::2", NULL), UMK_NUD_INCOMPLETE);
}

static void tweak_queue(struct umk_stack_config *c) { c->limits.max_neighbor_queue = 2; }
static int setup_queue(void **state) { return setup_cfg(state, tweak_queue); }

static void test_queue_overflow(void **state)
{
	struct fx *f = *state;
	int from = f->cap.n;
	struct in6_addr d = ndt_addr("fe80::2");
	for (int i = 0; i < 5; i++)
		umk_echo_send(f->s, &d, f->idx, 0, 1, (uint16_t)i, 8, 0);
	assert_int_equal(cnt(f, CNT_ND6_RES_QUEUE_OVERFLOW), 3);
	struct in6_addr ll = f->ll;
	struct nd_msg na = na_for("fe80::2", ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE, MAC_P);
	inject(f, MAC_US, MAC_P, "fe80::2", &ll, 255, &na);
	/* 7.2.2: the newest replace the oldest: seq 3 and 4 go out */
	int seqs[8], n = 0;
	for (int i = from; i < f->cap.n; i++)
		if (ndt_is_icmp6(f->cap.f[i], f->cap.len[i], 128) && n < 8)
			seqs[n++] = f->cap.f[i][54 + 7];
	assert_int_equal(n, 2);
	assert_int_equal(seqs[0], 3);
	assert_int_equal(seqs[1], 4);
}

static void tweak_small_cache(struct umk_stack_config *c) { c->limits.max_neighbors = 3; }
static int setup_small_cache(void **state) { return setup_cfg(state, tweak_small_cache); }

static void test_cache_limit(void **state)
{
	struct fx *f = *state;
	char a[64];
	/* three STALE entries learned from NS; a fourth evicts one */
	for (int i = 0; i < 4; i++) {
		snprintf(a, sizeof(a), "fe80::%d", 0x10 + i);
		struct in6_addr p = ndt_addr(a);
		assert_non_null(nd6_learn(f->s, f->ifp, &p, MAC_P, false));
	}
	assert_int_equal(cnt(f, CNT_ND6_CACHE_EVICTED), 1);
	assert_int_equal(f->s->nd6->count, 3);
	/* PERMANENT entries are never evicted: with all three PERMANENT, a new one fails */
	umk_neigh_flush(f->s, f->idx);
	for (int i = 0; i < 3; i++) {
		snprintf(a, sizeof(a), "fe80::%d", 0x20 + i);
		struct in6_addr p = ndt_addr(a);
		assert_int_equal(umk_neigh_add(f->s, f->idx, &p, MAC_P, false), 0);
	}
	struct in6_addr p = ndt_addr("fe80::99");
	assert_null(nd6_learn(f->s, f->ifp, &p, MAC_P, false));
	assert_int_equal(cnt(f, CNT_ND6_CACHE_FULL), 1);
	assert_int_equal(umk_neigh_add(f->s, f->idx, &p, MAC_P, false), -ENOSPC);
}

/* A flood of RAs from made-up routers fills the cache with STALE router entries: they
 * must be evictable, and an NS must be answered even when nothing can be evicted
 * (RFC 4861 7.2.4), straight to its SLLAO. */
static void test_cache_full_of_routers(void **state)
{
	struct fx *f = *state;
	char a[64];
	for (int i = 0; i < 3; i++) {
		snprintf(a, sizeof(a), "fe80::%d", 0x30 + i);
		struct in6_addr p = ndt_addr(a);
		assert_non_null(nd6_learn(f->s, f->ifp, &p, MAC_P, true));
	}
	struct in6_addr p = ndt_addr("fe80::40");
	assert_non_null(nd6_learn(f->s, f->ifp, &p, MAC_P, false));
	assert_int_equal(f->s->nd6->count, 3);
	assert_int_equal(nstate(f, "fe80::30", NULL), 0);  /* the oldest router went */

	/* all PERMANENT: nothing evictable, the NS is still answered, to its SLLAO */
	umk_neigh_flush(f->s, f->idx);
	for (int i = 0; i < 3; i++) {
		snprintf(a, sizeof(a), "fe80::%d", 0x50 + i);
		struct in6_addr q = ndt_addr(a);
		assert_int_equal(umk_neigh_add(f->s, f->idx, &q, MAC_US, false), 0);
	}
	int from = f->cap.n;
	struct nd_msg m = ns_for(&f->ll, MAC_P);
	struct in6_addr snm;
	in6_solicited_node(&f->ll, &snm);
	inject(f, NULL, MAC_P, "fe80::2", &snm, 255, &m);
	struct ndt_seen na;
	assert_int_equal(sent(f, from, ND_NEIGHBOR_ADVERT, &na), 1);
	assert_memory_equal(na.dmac, MAC_P, 6);
	assert_memory_equal(&na.dst, ndt_addr("fe80::2").s6_addr, 16);
	assert_int_equal(nstate(f, "fe80::2", NULL), 0);    /* and no entry was kept */
	assert_int_equal(cnt(f, CNT_ND6_NA_DIRECT_NO_CACHE), 1);
}

static void test_mgmt(void **state)
{
	struct fx *f = *state;
	struct in6_addr p = ndt_addr("2001:db8::5");
	assert_int_equal(umk_neigh_add(f->s, 99, &p, MAC_P, false), -ENODEV);
	struct in6_addr mc = ndt_addr("ff02::1");
	assert_int_equal(umk_neigh_add(f->s, f->idx, &mc, MAC_P, false), -EINVAL);
	assert_int_equal(umk_neigh_add(f->s, f->idx, &p, MAC_P, true), 0);
	struct umk_neigh_info ni;
	assert_int_equal(nstate(f, "2001:db8::5", &ni), UMK_NUD_PERMANENT);
	assert_true(ni.router);
	/* a permanent entry ignores NAs and survives flush and time */
	struct in6_addr ll = f->ll;
	struct nd_msg na = na_for("2001:db8::5", ND_NA_F_OVERRIDE, MAC_P2);
	inject(f, MAC_US, MAC_P2, "fe80::2", &ll, 255, &na);
	assert_int_equal(umk_neigh_flush(f->s, 0), 0);
	run_for(f, 3600 * 1000);
	assert_int_equal(nstate(f, "2001:db8::5", &ni), UMK_NUD_PERMANENT);
	assert_memory_equal(ni.lladdr, MAC_P, 6);
	assert_int_equal(umk_neigh_del(f->s, f->idx, &p), 0);
	assert_int_equal(umk_neigh_del(f->s, f->idx, &p), -ENOENT);
	assert_int_equal(nstate(f, "2001:db8::5", NULL), 0);
}

/* ---- router discovery ---- */

static struct nd_msg ra_basic(uint16_t lifetime)
{
	struct nd_msg m;
	memset(&m, 0, sizeof(m));
	m.type = ND_ROUTER_ADVERT;
	m.router_lifetime = lifetime;
	m.opts.has_sllao = true;
	memcpy(m.opts.sllao, MAC_R, 6);
	return m;
}

static void inject_ra(struct fx *f, const char *src, const struct nd_msg *m)
{
	struct in6_addr an = ndt_addr("ff02::1");
	inject(f, NULL, MAC_R, src, &an, 255, m);
}

struct rt_find {
	struct in6_addr dst;
	uint8_t plen;
	struct umk_route_info ri;
	int found;
};
static int rt_cb(void *ctx, const struct umk_route_info *ri)
{
	struct rt_find *q = ctx;
	if (ri->prefixlen == q->plen && memcmp(&ri->dst, &q->dst, 16) == 0) {
		q->ri = *ri;
		q->found++;
	}
	return 0;
}
static int route_find(struct fx *f, const char *dst, uint8_t plen, struct umk_route_info *out)
{
	struct rt_find q = { .dst = ndt_addr(dst), .plen = plen };
	umk_route_list(f->s, rt_cb, &q);
	if (out)
		*out = q.ri;
	return q.found;
}

struct rcount {
	int n;
	struct nd6_router_info last;
};
static int rcount_cb(void *ctx, const struct nd6_router_info *ri)
{
	struct rcount *c = ctx;
	c->n++;
	c->last = *ri;
	return 0;
}
static int routers(struct fx *f, struct nd6_router_info *last)
{
	struct rcount c = { 0 };
	nd6_router_list(f->s, f->ifp, rcount_cb, &c);
	if (last)
		*last = c.last;
	return c.n;
}

static void test_rs_at_start(void **state)
{
	struct fx *f = *state;
	/* setup ran 5 s: the first RS within MAX_RTR_SOLICITATION_DELAY, then 4 s apart */
	run_for(f, 10000);
	int first = -1, n = 0;
	umk_time_t at[8];
	for (int i = 0; i < f->cap.n; i++) {
		struct ndt_seen sn;
		if (ndt_parse(f->cap.f[i], f->cap.len[i], &sn) && sn.m.type == ND_ROUTER_SOLICIT) {
			if (first < 0)
				first = i;
			assert_int_equal(sn.hlim, 255);
			assert_memory_equal(&sn.dst, ndt_addr("ff02::2").s6_addr, 16);
			/* 6.3.7: SLLAO only with a (non-tentative) link-local source */
			assert_int_equal(sn.m.opts.has_sllao, !IN6_IS_ADDR_UNSPECIFIED(&sn.src));
			if (n < 8)
				at[n] = f->cap.at[i];
			n++;
		}
	}
	assert_int_equal(n, 3);
	assert_true(at[0] <= 1000 + 1000);
	assert_int_equal(at[1] - at[0], 4000);
	assert_int_equal(at[2] - at[1], 4000);
}

static void test_rs_stops_on_ra(void **state)
{
	struct fx *f = *state;
	struct nd_msg ra = ra_basic(1800);
	inject_ra(f, "fe80::1", &ra);
	int from = f->cap.n;
	run_for(f, 20000);
	assert_int_equal(sent(f, from, ND_ROUTER_SOLICIT, NULL), 0);
}

static void test_ra_params(void **state)
{
	struct fx *f = *state;
	struct nd_msg ra = ra_basic(1800);
	ra.cur_hop_limit = 42;
	ra.reachable_time = 10000;
	ra.retrans_timer = 500;
	ra.ra_flags = ND_PRF_HIGH << ND_RA_PRF_SHIFT;
	ra.opts.has_mtu = true;
	ra.opts.mtu = 1400;
	ra.opts.n_prefix = 2;
	ra.opts.prefix[0] = (struct nd_opt_prefix){ ndt_addr("2001:db8:1::"), 64,
						    ND_PIO_F_ONLINK | ND_PIO_F_AUTO, 7200, 3600 };
	ra.opts.prefix[1] = (struct nd_opt_prefix){ ndt_addr("fe80::"), 64, ND_PIO_F_ONLINK,
						    7200, 3600 };
	ra.opts.n_route = 2;
	ra.opts.route[0] = (struct nd_opt_route){ ndt_addr("2001:db8:99::"), 48, ND_PRF_LOW, 600 };
	ra.opts.route[1] = (struct nd_opt_route){ ndt_addr("2001:db8:98::"), 48, ND_PRF_RESERVED, 600 };
	ra.opts.n_rdnss = 1;
	ra.opts.rdnss[0] = (struct nd_opt_rdnss){ ndt_addr("2001:db8::53"), 300 };
	ra.opts.n_dnssl = 1;
	strcpy(ra.opts.dnssl[0].name, "example.net");
	ra.opts.dnssl[0].lifetime = 300;
	inject_ra(f, "fe80::1", &ra);

	struct ip6_ifconf *c = &f->ifp->conf;
	assert_int_equal(c->hop_limit, 42);
	assert_int_equal(c->base_reachable_time, 10000);
	assert_int_equal(c->retrans_time, 500);
	assert_int_equal(c->mtu, 1400);
	uint32_t rt = nd6_reachable_time(f->s, f->ifp);
	assert_true(rt >= 5000 && rt <= 15000);
	/* the router: neighbor entry STALE with IsRouter, default router list, ::/0 route */
	struct umk_neigh_info ni;
	assert_int_equal(nstate(f, "fe80::1", &ni), UMK_NUD_STALE);
	assert_true(ni.router);
	assert_memory_equal(ni.lladdr, MAC_R, 6);
	struct nd6_router_info ri;
	assert_int_equal(routers(f, &ri), 1);
	assert_int_equal(ri.pref, 1);
	assert_int_equal(ri.lifetime, 1800);
	struct umk_route_info r;
	assert_int_equal(route_find(f, "::", 0, &r), 1);
	assert_int_equal(r.proto, UMK_RTPROTO_RA);
	assert_memory_equal(&r.gateway, ndt_addr("fe80::1").s6_addr, 16);
	assert_int_equal(r.pref, 1);
	/* on-link prefix route, no link-local one */
	assert_int_equal(route_find(f, "2001:db8:1::", 64, &r), 1);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&r.gateway));
	assert_int_equal(cnt(f, CNT_ND6_RA_PIO_LINKLOCAL), 1);
	/* RFC 4191 route; the reserved-preference one ignored */
	assert_int_equal(route_find(f, "2001:db8:99::", 48, &r), 1);
	assert_int_equal(r.pref, -1);
	assert_memory_equal(&r.gateway, ndt_addr("fe80::1").s6_addr, 16);
	assert_int_equal(route_find(f, "2001:db8:98::", 48, NULL), 0);
	/* RFC 8106 */
	assert_int_equal(f->ifp->nd->n_rdnss, 1);
	assert_int_equal(f->ifp->nd->n_dnssl, 1);

	/* MTU out of range is ignored */
	struct nd_msg ra2 = ra_basic(1800);
	ra2.opts.has_mtu = true;
	ra2.opts.mtu = 9000;
	inject_ra(f, "fe80::1", &ra2);
	assert_int_equal(c->mtu, 1400);
	ra2.opts.mtu = 1000;
	inject_ra(f, "fe80::1", &ra2);
	assert_int_equal(c->mtu, 1400);
	assert_int_equal(cnt(f, CNT_ND6_RA_MTU_INVALID), 2);

	/* lifetimes run out: route info after 600 s, DNS after 300 s */
	run_for(f, 601 * 1000);
	assert_int_equal(route_find(f, "2001:db8:99::", 48, NULL), 0);
	assert_int_equal(f->ifp->nd->n_rdnss, 0);
	assert_int_equal(route_find(f, "2001:db8:1::", 64, NULL), 1);
	/* router lifetime 0 removes it at once */
	struct nd_msg ra3 = ra_basic(0);
	inject_ra(f, "fe80::1", &ra3);
	assert_int_equal(routers(f, NULL), 0);
	assert_int_equal(route_find(f, "::", 0, NULL), 0);
}

static void test_ra_invalid(void **state)
{
	struct fx *f = *state;
	struct nd_msg ra = ra_basic(1800);
	ra.cur_hop_limit = 7;
	struct in6_addr an = ndt_addr("ff02::1");
	inject(f, NULL, MAC_R, "2001:db8::1", &an, 255, &ra);
	assert_int_equal(cnt(f, CNT_ND6_RA_SRC_NOT_LL), 1);
	inject(f, NULL, MAC_R, "fe80::1", &an, 64, &ra);
	assert_int_equal(cnt(f, CNT_ND6_BAD_HOPLIMIT), 1);
	f->ifp->conf.accept_ra = 0;
	inject(f, NULL, MAC_R, "fe80::1", &an, 255, &ra);
	assert_int_equal(cnt(f, CNT_ND6_RA_IGNORED), 1);
	assert_int_equal(routers(f, NULL), 0);
	assert_int_equal(f->ifp->conf.hop_limit, 64);
}

static void tweak_routers(struct umk_stack_config *c) { c->limits.max_default_routers = 2; }
static int setup_routers(void **state) { return setup_cfg(state, tweak_routers); }

static void test_router_list(void **state)
{
	struct fx *f = *state;
	struct nd_msg ra = ra_basic(100);
	inject_ra(f, "fe80::1", &ra);
	ra.router_lifetime = 300;
	inject_ra(f, "fe80::3", &ra);
	inject_ra(f, "fe80::4", &ra);
	assert_int_equal(routers(f, NULL), 2);
	assert_int_equal(cnt(f, CNT_ND6_RA_ROUTERS_FULL), 1);
	/* router -> host through an NA with R=0 (7.2.5) */
	struct in6_addr ll = f->ll;
	struct nd_msg na = na_for("fe80::3", ND_NA_F_OVERRIDE, MAC_R);
	inject(f, MAC_US, MAC_R, "fe80::3", &ll, 255, &na);
	assert_int_equal(routers(f, NULL), 1);
	assert_int_equal(cnt(f, CNT_ND6_ROUTER_TO_HOST), 1);
	/* fe80::1 expires after 100 s */
	run_for(f, 100 * 1000 + 1);
	assert_int_equal(routers(f, NULL), 0);
	assert_int_equal(route_find(f, "::", 0, NULL), 0);
}

/* ---- Redirect (8.1, 8.3) ---- */

static struct nd_msg redirect(const char *target, const char *dest, const uint8_t *tllao)
{
	struct nd_msg m;
	memset(&m, 0, sizeof(m));
	m.type = ND_REDIRECT;
	m.target = ndt_addr(target);
	m.dest = ndt_addr(dest);
	if (tllao) {
		m.opts.has_tllao = true;
		memcpy(m.opts.tllao, tllao, 6);
	}
	return m;
}

static void test_redirect(void **state)
{
	struct fx *f = *state;
	struct nd_msg ra = ra_basic(1800);
	inject_ra(f, "fe80::1", &ra);
	struct in6_addr ll = f->ll;
	/* not from the first hop: ignored */
	struct nd_msg rd = redirect("fe80::3", "2001:db8:5::9", MAC_P2);
	inject(f, MAC_US, MAC_P, "fe80::2", &ll, 255, &rd);
	assert_int_equal(cnt(f, CNT_ND6_RD_NOT_FIRST_HOP), 1);
	/* malformed ones */
	struct nd_msg bad = redirect("2001:db8::3", "2001:db8:5::9", NULL);
	inject(f, MAC_US, MAC_R, "fe80::1", &ll, 255, &bad);
	assert_int_equal(cnt(f, CNT_ND6_RD_TARGET_BAD), 1);
	bad = redirect("fe80::3", "ff0e::1", NULL);
	inject(f, MAC_US, MAC_R, "fe80::1", &ll, 255, &bad);
	assert_int_equal(cnt(f, CNT_ND6_RD_DST_MCAST), 1);
	inject(f, MAC_US, MAC_R, "2001:db8::1", &ll, 255, &rd);
	assert_int_equal(cnt(f, CNT_ND6_RD_SRC_NOT_LL), 1);
	inject(f, MAC_US, MAC_R, "fe80::1", &ll, 254, &rd);
	assert_int_equal(cnt(f, CNT_ND6_BAD_HOPLIMIT), 1);
	assert_int_equal(route_find(f, "2001:db8:5::9", 128, NULL), 0);
	/* from the router: a host route via the target, whose entry is STALE and a router */
	inject(f, MAC_US, MAC_R, "fe80::1", &ll, 255, &rd);
	assert_int_equal(cnt(f, CNT_ND6_RD_APPLIED), 1);
	struct umk_route_info r;
	assert_int_equal(route_find(f, "2001:db8:5::9", 128, &r), 1);
	assert_int_equal(r.proto, UMK_RTPROTO_REDIRECT);
	assert_memory_equal(&r.gateway, ndt_addr("fe80::3").s6_addr, 16);
	struct umk_neigh_info ni;
	assert_int_equal(nstate(f, "fe80::3", &ni), UMK_NUD_STALE);
	assert_true(ni.router);
	assert_memory_equal(ni.lladdr, MAC_P2, 6);
	/* traffic to the destination now goes to the target's MAC */
	int from = f->cap.n;
	send_echo(f, "2001:db8:5::9");
	int found = 0;
	for (int i = from; i < f->cap.n; i++)
		if (ndt_is_icmp6(f->cap.f[i], f->cap.len[i], 128) &&
		    memcmp(f->cap.f[i], MAC_P2, 6) == 0)
			found++;
	assert_int_equal(found, 1);
	/* on-link redirect (target == destination) from the new first hop is rejected: the
	 * first hop for it is now fe80::3, not fe80::1 */
	struct nd_msg onl = redirect("2001:db8:5::9", "2001:db8:5::9", MAC_P);
	inject(f, MAC_US, MAC_R, "fe80::1", &ll, 255, &onl);
	assert_int_equal(cnt(f, CNT_ND6_RD_NOT_FIRST_HOP), 2);
	inject(f, MAC_US, MAC_P2, "fe80::3", &ll, 255, &onl);
	assert_int_equal(route_find(f, "2001:db8:5::9", 128, &r), 1);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&r.gateway));
	/* redirects expire */
	run_for(f, ND6_REDIRECT_LIFETIME + 1000);
	assert_int_equal(route_find(f, "2001:db8:5::9", 128, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ns_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ns_dad_defended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ns_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ns_zero_len_option, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolution_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolution_and_nud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_na_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_na_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_overflow, setup_queue, teardown),
		cmocka_unit_test_setup_teardown(test_cache_limit, setup_small_cache, teardown),
		cmocka_unit_test_setup_teardown(test_cache_full_of_routers, setup_small_cache,
						teardown),
		cmocka_unit_test_setup_teardown(test_mgmt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rs_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rs_stops_on_ra, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ra_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ra_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_router_list, setup_routers, teardown),
		cmocka_unit_test_setup_teardown(test_redirect, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
