/*
 * test_rtadv.c - the router side of Router Discovery (ip6/rtadv.c), as tables:
 *   - umk_ra_set's RFC 4861 6.2.1 range checks, one row per rule;
 *   - the RA on the wire (6.2.3): flags, Prf (RFC 4191 2.2), lifetimes, PIO, MTU, RIO,
 *     RDNSS/DNSSL (RFC 8106), SLLAO, from the link-local address with hop limit 255;
 *   - timing (6.2.4): the first MAX_INITIAL_RTR_ADVERTISEMENTS at most 16 s apart, then
 *     within [Min, Max]RtrAdvInterval; RS answers (6.2.6) within MAX_RA_DELAY_TIME and never
 *     closer than MIN_DELAY_BETWEEN_RAS;
 *   - the final RA with Router Lifetime 0 (6.2.5) on ra del, forwarding off and link down;
 *   - all-routers membership and NA's Router flag; consistency checks (6.2.7).
 * Topology: one router stack, eth0 (02:00:00:00:00:01), frames recorded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <umikame/router.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/route6.h"
#include "ctl/ra_msg.h"
#include "wire/checksum.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"
#include "wire/nd.h"

#define MAXF 256
static struct umk_stack *S;
static int IFX;
static struct { uint8_t f[1600]; size_t len; umk_time_t at; } R[MAXF];
static int NR;

static int tx(void *ctx, const void *f, size_t len)
{
	if (NR < MAXF && len <= sizeof(R[0].f)) {
		memcpy(R[NR].f, f, len);
		R[NR].len = len;
		R[NR++].at = S->now;
	}
	return 0;
}
static const struct umk_link_ops ops = { .transmit = tx };

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	inet_pton(AF_INET6, s, &a);
	return a;
}

#define ADDR_EQ(a, s) \
	do { \
		struct in6_addr x_ = A(s); \
		assert_memory_equal((a), &x_, 16); \
	} while (0)

static void setup(bool forwarding)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.log_level = UMK_LOG_ERR;
	S = umk_stack_new(&cfg, 1000);
	struct umk_if_params p = { .name = "eth0", .mtu = 1500, .ops = &ops,
				   .lladdr = { 2, 0, 0, 0, 0, 1 } };
	IFX = umk_if_add(S, &p);
	if_get(S, IFX)->conf.dad_transmits = 0;
	if_get(S, IFX)->conf.rtr_solicitations = 0;
	if (forwarding)
		assert_int_equal(umk_conf_set(S, IFX, "forwarding", 1), 0);
	umk_if_up(S, IFX);
	NR = 0;
}

static void teardown(void)
{
	umk_stack_free(S);
	S = NULL;
}

static void run_until(umk_time_t t)
{
	while (S->now < t) {
		umk_time_t next = umk_next_deadline(S);
		if (next == UMK_TIME_NEVER || next > t)
			next = t;
		umk_timers_run(S, next);
	}
}

/* The i-th recorded RA, parsed; false when there is no such RA. */
static bool nth_ra(int n, struct nd_msg *m, struct ip6_hdr_info *h, umk_time_t *at)
{
	for (int i = 0; i < NR; i++) {
		struct ip6_hdr_info x;
		if (ip6_hdr_parse(R[i].f + 14, R[i].len - 14, &x) || x.nxt != IPPROTO6_ICMPV6 ||
		    R[i].f[14 + IP6_HLEN] != ND_ROUTER_ADVERT)
			continue;
		if (n-- > 0)
			continue;
		if (h)
			*h = x;
		if (at)
			*at = R[i].at;
		return nd_parse(R[i].f + 14 + IP6_HLEN, x.plen, m) == ND_PARSE_OK;
	}
	return false;
}

static int count_ra(void)
{
	struct nd_msg m;
	int n = 0;
	while (nth_ra(n, &m, NULL, NULL))
		n++;
	return n;
}

/* ---- config checks (RFC 4861 6.2.1) ---- */

static const struct {
	const char *name;
	uint32_t min, max, lifetime, mtu;
	int8_t pref;
	int expect;
} check_rows[] = {
	{ "defaults", 200, 600, UMK_RA_DEFAULT, 0, 0, 0 },
	{ "max below 4", 3, 3, UMK_RA_DEFAULT, 0, 0, -ERANGE },
	{ "max above 1800", 600, 1801, UMK_RA_DEFAULT, 0, 0, -ERANGE },
	{ "min below 3", 2, 10, UMK_RA_DEFAULT, 0, 0, -ERANGE },
	{ "min above 0.75 max", 8, 10, UMK_RA_DEFAULT, 0, 0, -ERANGE },
	{ "min at 0.75 max", 30, 40, UMK_RA_DEFAULT, 0, 0, 0 },
	{ "lifetime 0 (not a default router)", 30, 60, 0, 0, 0, 0 },
	{ "lifetime below max", 30, 60, 59, 0, 0, -ERANGE },
	{ "lifetime above 9000", 30, 60, 9001, 0, 0, -ERANGE },
	{ "mtu below 1280", 30, 60, UMK_RA_DEFAULT, 1279, 0, -ERANGE },
	{ "mtu 1280", 30, 60, UMK_RA_DEFAULT, 1280, 0, 0 },
	{ "pref out of range", 30, 60, UMK_RA_DEFAULT, 0, 2, -ERANGE },
};

static void test_config_checks(void **state)
{
	setup(true);
	for (size_t i = 0; i < sizeof(check_rows) / sizeof(check_rows[0]); i++) {
		struct umk_ra_config c;
		umk_ra_config_defaults(&c);
		c.min_interval = check_rows[i].min;
		c.max_interval = check_rows[i].max;
		c.router_lifetime = check_rows[i].lifetime;
		c.link_mtu = check_rows[i].mtu;
		c.pref = check_rows[i].pref;
		print_message("row: %s\n", check_rows[i].name);
		assert_int_equal(umk_ra_set(S, IFX, &c), check_rows[i].expect);
	}
	struct umk_ra_config c;
	umk_ra_config_defaults(&c);
	c.n_prefix = 1;
	c.prefix[0] = (struct umk_ra_prefix){ A("fe80::"), 64, true, true, 100, 50 };
	assert_int_equal(umk_ra_set(S, IFX, &c), -EINVAL);   /* link-local prefix */
	c.prefix[0] = (struct umk_ra_prefix){ A("2001:db8::"), 64, true, true, 100, 200 };
	assert_int_equal(umk_ra_set(S, IFX, &c), -EINVAL);   /* preferred > valid */
	c.n_prefix = 0;
	c.n_dnssl = 1;
	strcpy(c.dnssl[0], "bad..name");
	assert_int_equal(umk_ra_set(S, IFX, &c), -EINVAL);
	teardown();
}

/* ---- the message ---- */

static void full_config(struct umk_ra_config *c)
{
	umk_ra_config_defaults(c);
	c->min_interval = 30;
	c->max_interval = 60;
	c->managed = true;
	c->pref = 1;
	c->link_mtu = 1400;
	c->reachable_time = 20000;
	c->retrans_timer = 1500;
	c->n_prefix = 1;
	c->prefix[0] = (struct umk_ra_prefix){ A("2001:db8:1::"), 64, true, true, 86400, 14400 };
	c->n_route = 1;
	c->route[0] = (struct umk_ra_route){ A("2001:db8:f::"), 48, -1, UMK_RA_DEFAULT };
	c->n_rdnss = 1;
	c->rdnss[0] = A("2001:db8::53");
	c->n_dnssl = 1;
	strcpy(c->dnssl[0], "example.org");
}

static void test_ra_contents(void **state)
{
	setup(true);
	struct umk_ra_config c;
	full_config(&c);
	assert_int_equal(umk_ra_set(S, IFX, &c), 0);
	run_until(S->now + 600);      /* the first RA within MAX_RA_DELAY_TIME */
	struct nd_msg m;
	struct ip6_hdr_info h;
	assert_true(nth_ra(0, &m, &h, NULL));
	assert_int_equal(h.hlim, 255);
	assert_true(IN6_IS_ADDR_LINKLOCAL(&h.src));
	ADDR_EQ(&h.dst, "ff02::1");
	struct { const char *what; uint64_t got, want; } fields[] = {
		{ "cur hop limit", m.cur_hop_limit, 64 },
		{ "M", !!(m.ra_flags & ND_RA_F_MANAGED), 1 },
		{ "O", !!(m.ra_flags & ND_RA_F_OTHER), 0 },
		{ "Prf high", (m.ra_flags >> ND_RA_PRF_SHIFT) & ND_RA_PRF_MASK, ND_PRF_HIGH },
		{ "router lifetime 3*max", m.router_lifetime, 180 },
		{ "reachable", m.reachable_time, 20000 },
		{ "retrans", m.retrans_timer, 1500 },
		{ "MTU", m.opts.has_mtu ? m.opts.mtu : 0, 1400 },
		{ "SLLAO", m.opts.has_sllao && m.opts.sllao[5] == 1, 1 },
		{ "PIO count", m.opts.n_prefix, 1 },
		{ "PIO plen", m.opts.prefix[0].plen, 64 },
		{ "PIO L|A", m.opts.prefix[0].flags, ND_PIO_F_ONLINK | ND_PIO_F_AUTO },
		{ "PIO valid", m.opts.prefix[0].valid_lft, 86400 },
		{ "PIO preferred", m.opts.prefix[0].preferred_lft, 14400 },
		{ "RIO count", m.opts.n_route, 1 },
		{ "RIO plen", m.opts.route[0].plen, 48 },
		{ "RIO prf low", m.opts.route[0].prf, ND_PRF_LOW },
		{ "RIO lifetime", m.opts.route[0].lifetime, 180 },
		{ "RDNSS count", m.opts.n_rdnss, 1 },
		{ "RDNSS lifetime", m.opts.rdnss[0].lifetime, 180 },
		{ "DNSSL count", m.opts.n_dnssl, 1 },
		{ "DNSSL name", strcmp(m.opts.dnssl[0].name, "example.org") == 0, 1 },
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		print_message("field: %s\n", fields[i].what);
		assert_int_equal(fields[i].got, fields[i].want);
	}
	ADDR_EQ(&m.opts.rdnss[0].addr, "2001:db8::53");
	teardown();
}

/* ---- timing ---- */

/* An RS from src (02:00:00:00:00:77) to ff02::2; with an SLLAO unless src is :: (RFC
 * 4861 4.1). Returns the frame's length. */
static size_t rs_frame(uint8_t *f, const char *src_s)
{
	struct in6_addr src = A(src_s), dst = A("ff02::2");
	static const uint8_t mac[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	uint8_t rs[16] = { ND_ROUTER_SOLICIT, 0, 0, 0, 0, 0, 0, 0,
			   ND_OPT_SOURCE_LLADDR, 1, 2, 0, 0, 0, 0, 0x77 };
	uint16_t plen = IN6_IS_ADDR_UNSPECIFIED(&src) ? 8 : sizeof(rs);
	uint16_t ck = csum_ip6(&src, &dst, IPPROTO6_ICMPV6, rs, plen);
	rs[2] = (uint8_t)(ck >> 8);
	rs[3] = (uint8_t)ck;
	memcpy(f, mac, 6);
	memcpy(f + 6, (uint8_t[6]){ 2, 0, 0, 0, 0, 0x77 }, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	struct ip6_hdr_info h = { .plen = plen, .nxt = IPPROTO6_ICMPV6, .hlim = 255,
				  .src = src, .dst = dst };
	ip6_hdr_emit(f + 14, &h);
	memcpy(f + 14 + IP6_HLEN, rs, plen);
	return 14 + IP6_HLEN + plen;
}

static void test_timing(void **state)
{
	setup(true);
	struct umk_ra_config c;
	umk_ra_config_defaults(&c);
	c.min_interval = 200;
	c.max_interval = 600;
	assert_int_equal(umk_ra_set(S, IFX, &c), 0);
	umk_time_t t0 = S->now;
	run_until(t0 + 3600 * 1000);
	int n = count_ra();
	assert_true(n >= 1 + 3);
	umk_time_t prev = 0, at;
	struct nd_msg m;
	for (int i = 0; i < n; i++) {
		assert_true(nth_ra(i, &m, NULL, &at));
		if (i == 0) {
			assert_true(at - t0 <= ND_MAX_RA_DELAY_TIME);
		} else if (i <= ND_MAX_INITIAL_RTR_ADVERTISEMENTS) {
			/* 6.2.4: the initial ones no more than 16 s apart */
			assert_true(at - prev <= ND_MAX_INITIAL_RTR_ADVERT_INTERVAL);
		} else {
			assert_true(at - prev >= 200 * 1000 && at - prev <= 600 * 1000);
		}
		prev = at;
	}
	/* 6.2.6: an RS gets an RA within MAX_RA_DELAY_TIME (the last was long enough ago) */
	run_until(prev + 100 * 1000);
	NR = 0;
	uint8_t f[128];
	size_t rs_len = rs_frame(f, "fe80::77");
	umk_time_t trs = S->now;
	umk_input(S, IFX, f, rs_len);
	run_until(trs + ND_MAX_RA_DELAY_TIME);
	assert_true(nth_ra(0, &m, NULL, &at));
	assert_true(at - trs <= ND_MAX_RA_DELAY_TIME);
	/* a second RS right after: not before MIN_DELAY_BETWEEN_RAS */
	NR = 0;
	umk_time_t t2 = S->now;
	umk_input(S, IFX, f, rs_len);
	run_until(t2 + 5000);
	assert_true(nth_ra(0, &m, NULL, &at));
	assert_true(at - prev >= ND_MIN_DELAY_BETWEEN_RAS || at >= trs + ND_MIN_DELAY_BETWEEN_RAS);
	assert_true(S->counters[CNT_RA_RS_IN] == 2);
	teardown();
}

/* ---- stopping (6.2.5) ---- */

static const struct {
	const char *how;
	int which;
	int finals;               /* 6.2.5: MAX_FINAL_RTR_ADVERTISEMENTS while the link is up */
} stop_rows[] = { { "ra del", 0, 3 }, { "forwarding 0", 1, 3 }, { "interface down", 2, 1 } };

static void test_final_ra(void **state)
{
	for (size_t i = 0; i < sizeof(stop_rows) / sizeof(stop_rows[0]); i++) {
		setup(true);
		struct umk_ra_config c;
		full_config(&c);
		assert_int_equal(umk_ra_set(S, IFX, &c), 0);
		run_until(S->now + 1000);
		NR = 0;
		print_message("stop: %s\n", stop_rows[i].how);
		if (stop_rows[i].which == 0)
			assert_int_equal(umk_ra_del(S, IFX), 0);
		else if (stop_rows[i].which == 1)
			assert_int_equal(umk_conf_set(S, IFX, "forwarding", 0), 0);
		else
			assert_int_equal(umk_if_down(S, IFX), 0);
		struct nd_msg m;
		assert_true(nth_ra(0, &m, NULL, NULL));
		assert_int_equal(m.router_lifetime, 0);
		assert_int_equal((m.ra_flags >> ND_RA_PRF_SHIFT) & ND_RA_PRF_MASK, ND_PRF_MEDIUM);
		assert_int_equal(m.opts.route[0].lifetime, 0);
		assert_int_equal(m.opts.rdnss[0].lifetime, 0);
		assert_int_equal(S->counters[CNT_RA_OUT_FINAL], 1);
		/* the others MIN_DELAY_BETWEEN_RAS apart, all final; then silence */
		run_until(S->now + 3600 * 1000);
		assert_int_equal(count_ra(), stop_rows[i].finals);
		assert_int_equal(S->counters[CNT_RA_OUT_FINAL], stop_rows[i].finals);
		umk_time_t prev = 0, at;
		for (int k = 0; k < stop_rows[i].finals; k++) {
			assert_true(nth_ra(k, &m, NULL, &at));
			assert_int_equal(m.router_lifetime, 0);
			if (k)
				assert_true(at - prev >= ND_MIN_DELAY_BETWEEN_RAS);
			prev = at;
		}
		teardown();
	}
}

/* ---- host vs router bits ---- */

static void test_router_membership_and_flags(void **state)
{
	setup(false);
	struct in6_addr ar = A("ff02::2");
	assert_false(mld_is_member(S, if_get(S, IFX), &ar));
	struct umk_ra_config c;
	umk_ra_config_defaults(&c);
	assert_int_equal(umk_ra_set(S, IFX, &c), 0);
	run_until(S->now + 20000);
	assert_int_equal(count_ra(), 0);         /* not forwarding: configured, silent */
	struct umk_ra_status st;
	assert_int_equal(umk_ra_status(S, IFX, &st), 0);
	assert_true(st.configured && !st.advertising);
	assert_int_equal(umk_conf_set(S, IFX, "forwarding", 1), 0);
	assert_true(mld_is_member(S, if_get(S, IFX), &ar));   /* RFC 4291 2.8 */
	run_until(S->now + 1000);
	assert_int_equal(count_ra(), 1);
	assert_int_equal(umk_ra_status(S, IFX, &st), 0);
	assert_true(st.advertising && st.ras_sent == 1);
	assert_int_equal(umk_conf_set(S, IFX, "forwarding", 0), 0);
	assert_false(mld_is_member(S, if_get(S, IFX), &ar));
	teardown();
}

/* RFC 4291 2.8: the all-routers groups survive a link down and up once each: MLD keeps the
 * memberships of a downed link, so they are not joined again on top, and turning
 * forwarding off afterwards leaves them. */
static void test_membership_link_bounce(void **state)
{
	setup(true);
	struct umk_if *ifp = if_get(S, IFX);
	struct in6_addr ar = A("ff02::2"), ars = A("ff05::2");
	assert_true(mld_is_member(S, ifp, &ar));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(umk_if_down(S, IFX), 0);
		assert_true(mld_is_member(S, ifp, &ar));
		assert_int_equal(umk_if_up(S, IFX), 0);
		assert_true(mld_is_member(S, ifp, &ar));
	}
	assert_int_equal(umk_conf_set(S, IFX, "forwarding", 0), 0);
	assert_false(mld_is_member(S, ifp, &ar));
	assert_false(mld_is_member(S, ifp, &ars));
	teardown();
}

/* 6.2.6: with unicast_solicited on, an RS from an address is answered to that address
 * (and its link-layer address from the SLLAO) within MAX_RA_DELAY_TIME; an RS from :: and
 * every RS with the option off get the multicast answer. */
static void test_unicast_solicited(void **state)
{
	static const struct {
		const char *name;
		bool on;
		const char *src;
		const char *dst;       /* the answer's destination */
		bool unicast;
	} rows[] = {
		{ "off, from fe80::77", false, "fe80::77", "ff02::1", false },
		{ "on, from fe80::77", true, "fe80::77", "fe80::77", true },
		{ "on, from ::", true, "::", "ff02::1", false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("case: %s\n", rows[i].name);
		setup(true);
		struct umk_ra_config c;
		umk_ra_config_defaults(&c);
		c.unicast_solicited = rows[i].on;
		assert_int_equal(umk_ra_set(S, IFX, &c), 0);
		/* past the initial RAs; the next periodic one is >= 200 s away */
		run_until(S->now + 60 * 1000);
		NR = 0;
		uint8_t f[128];
		size_t n = rs_frame(f, rows[i].src);
		umk_time_t trs = S->now;
		umk_input(S, IFX, f, n);
		run_until(trs + ND_MAX_RA_DELAY_TIME);
		assert_int_equal(count_ra(), 1);
		struct nd_msg m;
		struct ip6_hdr_info h;
		umk_time_t at;
		assert_true(nth_ra(0, &m, &h, &at));
		assert_true(at - trs <= ND_MAX_RA_DELAY_TIME);
		ADDR_EQ(&h.dst, rows[i].dst);
		assert_int_equal(h.hlim, 255);
		assert_true(IN6_IS_ADDR_LINKLOCAL(&h.src));
		assert_true(m.router_lifetime > 0);
		assert_int_equal(S->counters[CNT_RA_OUT_UNICAST], rows[i].unicast ? 1 : 0);
		/* to the host's link-layer address, learned from the SLLAO */
		for (int k = 0; k < NR; k++)
			if (R[k].f[14 + IP6_HLEN] == ND_ROUTER_ADVERT && rows[i].unicast) {
				static const uint8_t host[6] = { 2, 0, 0, 0, 0, 0x77 };
				assert_memory_equal(R[k].f, host, 6);
			}
		/* a unicast answer leaves the multicast schedule alone: a second RS gets its
		 * own answer without waiting MIN_DELAY_BETWEEN_RAS */
		if (rows[i].unicast) {
			NR = 0;
			trs = S->now;
			umk_input(S, IFX, f, n);
			run_until(trs + ND_MAX_RA_DELAY_TIME);
			assert_int_equal(count_ra(), 1);
		}
		teardown();
	}
	/* the setting survives the control protocol's codec */
	struct umk_ra_config c, d;
	umk_ra_config_defaults(&c);
	c.unicast_solicited = true;
	uint8_t buf[CTL_RA_CONF_MAX];
	int len = ctl_ra_encode(&c, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(ctl_ra_decode(buf, (size_t)len, &d), 0);
	assert_true(d.unicast_solicited);
	c.unicast_solicited = false;
	len = ctl_ra_encode(&c, buf, sizeof(buf));
	assert_int_equal(ctl_ra_decode(buf, (size_t)len, &d), 0);
	assert_false(d.unicast_solicited);
}

/* An RA must fit the minimum MTU (we send one RA, not several, RFC 4861 6.2.3): every
 * option at its limit with four 253-byte DNSSL names does not, and is refused; with short
 * names it fits and is advertised. */
static void test_ra_too_big(void **state)
{
	setup(true);
	struct umk_ra_config c;
	umk_ra_config_defaults(&c);
	c.n_prefix = UMK_RA_MAX_PREFIXES;
	c.n_route = UMK_RA_MAX_ROUTES;
	c.n_rdnss = UMK_RA_MAX_RDNSS;
	c.n_dnssl = UMK_RA_MAX_DNSSL;
	for (unsigned i = 0; i < UMK_RA_MAX_PREFIXES; i++) {
		c.prefix[i].prefix = A("2001:db8::");
		c.prefix[i].prefix.s6_addr[5] = (uint8_t)i;
		c.prefix[i].plen = 64;
		c.prefix[i].valid_lft = 86400;
		c.prefix[i].preferred_lft = 3600;
		c.route[i].prefix = c.prefix[i].prefix;
		c.route[i].prefix.s6_addr[4] = 1;
		c.route[i].plen = 48;
		c.route[i].lifetime = UMK_RA_DEFAULT;
	}
	for (unsigned i = 0; i < UMK_RA_MAX_RDNSS; i++) {
		c.rdnss[i] = A("2001:db8::53");
		c.rdnss[i].s6_addr[15] = (uint8_t)(0x53 + i);
		/* four labels of 63 or 61: 253 characters */
		memset(c.dnssl[i], 'a', 253);
		c.dnssl[i][63] = c.dnssl[i][127] = c.dnssl[i][191] = '.';
		c.dnssl[i][253] = 0;
	}
	assert_int_equal(umk_ra_set(S, IFX, &c), -EMSGSIZE);
	assert_int_equal(umk_ra_get(S, IFX, &c), -ENOENT);      /* nothing changed */
	for (unsigned i = 0; i < UMK_RA_MAX_DNSSL; i++)
		strcpy(c.dnssl[i], "example.org");
	assert_int_equal(umk_ra_set(S, IFX, &c), 0);
	run_until(S->now + 1000);
	struct nd_msg m;
	struct ip6_hdr_info h;
	assert_true(nth_ra(0, &m, &h, NULL));
	assert_true(IP6_HLEN + h.plen <= 1280);
	assert_int_equal(m.opts.n_prefix, UMK_RA_MAX_PREFIXES);
	assert_int_equal(m.opts.n_dnssl, UMK_RA_MAX_DNSSL);
	teardown();
}

/* 6.2.2: a failed all-routers join (group table full) is counted and retried. */
static void test_join_retry(void **state)
{
	setup(false);
	struct umk_if *ifp = if_get(S, IFX);
	struct in6_addr ar = A("ff02::2"), ars = A("ff05::2");
	assert_int_equal(umk_conf_set(S, 0, "max_groups", 2), 0);
	assert_int_equal(umk_conf_set(S, IFX, "forwarding", 1), 0);
	assert_true(S->counters[CNT_RA_JOIN_FAILED] >= 1);
	assert_false(mld_is_member(S, ifp, &ar) && mld_is_member(S, ifp, &ars));
	uint64_t failed = S->counters[CNT_RA_JOIN_FAILED];
	run_until(S->now + 2500);
	assert_true(S->counters[CNT_RA_JOIN_FAILED] >= failed + 2);   /* retried */
	assert_int_equal(umk_conf_set(S, 0, "max_groups", 64), 0);
	run_until(S->now + 1500);
	assert_true(mld_is_member(S, ifp, &ar));
	assert_true(mld_is_member(S, ifp, &ars));
	failed = S->counters[CNT_RA_JOIN_FAILED];
	run_until(S->now + 5000);
	assert_int_equal(S->counters[CNT_RA_JOIN_FAILED], failed);     /* and it stops */
	/* leaving works on what was joined */
	assert_int_equal(umk_conf_set(S, IFX, "forwarding", 0), 0);
	assert_false(mld_is_member(S, ifp, &ar));
	assert_false(mld_is_member(S, ifp, &ars));
	teardown();
}

/* 6.2.7: another router's RA that disagrees is logged and counted, not used. */
static void test_consistency(void **state)
{
	setup(true);
	struct umk_ra_config c;
	full_config(&c);
	assert_int_equal(umk_ra_set(S, IFX, &c), 0);
	struct nd_msg m;
	memset(&m, 0, sizeof(m));
	m.type = ND_ROUTER_ADVERT;
	m.cur_hop_limit = 32;                   /* differs */
	m.ra_flags = ND_RA_F_MANAGED | ND_RA_F_OTHER; /* O differs */
	m.router_lifetime = 1800;
	m.reachable_time = 0;                   /* unspecified: no complaint */
	m.opts.has_mtu = true;
	m.opts.mtu = 1500;                      /* differs */
	m.opts.n_prefix = 1;
	m.opts.prefix[0] = (struct nd_opt_prefix){ A("2001:db8:1::"), 64,
						   ND_PIO_F_ONLINK | ND_PIO_F_AUTO, 86400, 3600 };
	uint8_t f[512];
	size_t n = nd_emit(f + 14 + IP6_HLEN, sizeof(f) - 14 - IP6_HLEN, &m);
	struct in6_addr src = A("fe80::66"), dst = A("ff02::1");
	uint16_t ck = csum_ip6(&src, &dst, IPPROTO6_ICMPV6, f + 14 + IP6_HLEN, (uint32_t)n);
	f[14 + IP6_HLEN + 2] = (uint8_t)(ck >> 8);
	f[14 + IP6_HLEN + 3] = (uint8_t)ck;
	memcpy(f, (uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, 6);
	memcpy(f + 6, (uint8_t[6]){ 2, 0, 0, 0, 0, 0x66 }, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	struct ip6_hdr_info h = { .plen = (uint16_t)n, .nxt = IPPROTO6_ICMPV6, .hlim = 255,
				  .src = src, .dst = dst };
	ip6_hdr_emit(f + 14, &h);
	umk_input(S, IFX, f, 14 + IP6_HLEN + n);
	/* hop limit, O, MTU, preferred lifetime */
	assert_int_equal(S->counters[CNT_RA_INCONSISTENT], 4);
	assert_int_equal(S->counters[CNT_RA_IN_CHECKED], 1);
	/* not used: no default route learned, hop limit untouched */
	assert_int_equal(if_get(S, IFX)->conf.hop_limit, 64);
	struct in6_addr any = A("::");
	struct rt6_nexthop nh;
	assert_int_equal(rt6_lookup(S, &any, 0, 0, &nh), -ENETUNREACH);
	struct umk_ra_status st;
	assert_int_equal(umk_ra_status(S, IFX, &st), 0);
	assert_int_equal(st.inconsistent, 4);
	teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test(test_ra_contents),
		cmocka_unit_test(test_timing),
		cmocka_unit_test(test_final_ra),
		cmocka_unit_test(test_router_membership_and_flags),
		cmocka_unit_test(test_consistency),
		cmocka_unit_test(test_unicast_solicited),
		cmocka_unit_test(test_join_retry),
		cmocka_unit_test(test_membership_link_bounce),
		cmocka_unit_test(test_ra_too_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
