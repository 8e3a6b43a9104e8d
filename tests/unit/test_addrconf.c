/*
 * test_addrconf.c - ip6/addrconf.c and addrconf_id.c: RFC 7217 identifiers, modified EUI-64,
 * RFC 5453 reserved identifiers, the RFC 4862 5.5.3 e) two-hour rule, SLAAC lifetimes on an
 * injected clock, PIO checks, DAD outcomes (RFC 4862 5.4, RFC 7527, RFC 7217 6), manual
 * addresses, link down, RFC 8981 temporary addresses.
 *
 * One stack with one interface whose frames go nowhere; ND input is simulated by calling
 * addrconf's hooks the way nd6_input does.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "core/stack_int.h"
#include "ip6/addrconf_int.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"

#define H (3600ULL * 1000)
#define MIN (60ULL * 1000)
#define NEVER UMK_TIME_NEVER

static const uint8_t key1[32] = { 1, 2, 3 }, key2[32] = { 1, 2, 4 };

static struct in6_addr P(uint16_t w0, uint16_t w1, uint16_t w3)
{
	struct in6_addr a = { .s6_addr = { (uint8_t)(w0 >> 8), (uint8_t)w0, (uint8_t)(w1 >> 8),
					   (uint8_t)w1, 0, 0, (uint8_t)(w3 >> 8), (uint8_t)w3 } };
	return a;
}

/* RFC 7217 5: stable for the same inputs, different when any input changes. */
static void test_stable_iid(void **state)
{
	struct in6_addr p1 = P(0x2001, 0xdb8, 1), p2 = P(0x2001, 0xdb8, 2);
	uint8_t a[8], b[8];
	addrconf_stable_iid(key1, &p1, "eth0", NULL, 0, 0, a);
	addrconf_stable_iid(key1, &p1, "eth0", NULL, 0, 0, b);
	assert_memory_equal(a, b, 8);
	/* only the first 64 bits of the prefix are an input */
	struct in6_addr p1x = p1;
	p1x.s6_addr[15] = 0x99;
	addrconf_stable_iid(key1, &p1x, "eth0", NULL, 0, 0, b);
	assert_memory_equal(a, b, 8);
	static const struct {
		const uint8_t *key;
		int prefix;
		const char *ifname;
		uint8_t counter;
		const char *netid;
	} differ[] = {
		{ key1, 2, "eth0", 0, NULL }, { key1, 1, "eth1", 0, NULL },
		{ key1, 1, "eth0", 1, NULL }, { key1, 1, "eth0", 2, NULL },
		{ key2, 1, "eth0", 0, NULL }, { key1, 1, "eth0", 0, "ssid-a" },
	};
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		const char *nid = differ[i].netid;
		addrconf_stable_iid(differ[i].key, differ[i].prefix == 1 ? &p1 : &p2,
				    differ[i].ifname, (const uint8_t *)nid, nid ? strlen(nid) : 0,
				    differ[i].counter, b);
		assert_memory_not_equal(a, b, 8);
	}
	/* "eth" + name "0..." and "eth0" + ... must not collide through concatenation */
	addrconf_stable_iid(key1, &p1, "eth", (const uint8_t *)"0", 1, 0, b);
	assert_memory_not_equal(a, b, 8);
}

static void test_eui64(void **state)
{
	static const struct { uint8_t mac[6]; uint8_t iid[8]; } rows[] = {
		{ { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 },
		  { 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55 } },
		{ { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
		  { 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x01 } },
	};
	for (size_t i = 0; i < 2; i++) {
		uint8_t iid[8];
		addrconf_eui64_iid(rows[i].mac, iid);
		assert_memory_equal(iid, rows[i].iid, 8);
	}
}

static void test_reserved_iid(void **state)
{
	static const struct { uint8_t iid[8]; bool reserved; } rows[] = {
		{ { 0, 0, 0, 0, 0, 0, 0, 0 }, true },
		{ { 0, 0, 0, 0, 0, 0, 0, 1 }, false },
		{ { 0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x00, 0x00 }, true },
		{ { 0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x52, 0x12 }, true },
		{ { 0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x52, 0x13 }, true },  /* PMIPv6 */
		{ { 0x02, 0x00, 0x5e, 0xff, 0xfe, 0xff, 0xff, 0xff }, true },
		{ { 0x02, 0x00, 0x5e, 0xff, 0xff, 0x00, 0x00, 0x00 }, false },
		{ { 0x02, 0x00, 0x5e, 0xff, 0xfd, 0xff, 0xff, 0xff }, false },
		{ { 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80 }, true },
		{ { 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, true },
		{ { 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }, false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(addrconf_iid_reserved(rows[i].iid), rows[i].reserved);
}

/* RFC 4862 5.5.3 e) */
static void test_two_hour_rule(void **state)
{
	static const struct { uint64_t remaining; uint32_t received_s; uint64_t want; } rows[] = {
		{ 3 * H, 600, 2 * H },             /* 3: reset to two hours */
		{ 1 * H, 600, 1 * H },             /* 2: remaining <= 2 h: ignored */
		{ 2 * H, 3600, 2 * H },            /* 2: exactly two hours left: ignored */
		{ 1 * H, 3 * 3600, 3 * H },        /* 1: more than two hours */
		{ 1 * H, 90 * 60, 90 * MIN },      /* 1: more than remaining */
		{ 30 * MIN, 3600, 1 * H },         /* 1: more than remaining */
		{ 5 * H, 3 * 3600, 3 * H },        /* 1: more than two hours, shortens */
		{ NEVER, 3600, 2 * H },            /* infinite shortened to two hours */
		{ 1 * H, UMK_LIFETIME_INFINITE, NEVER },
		{ NEVER, UMK_LIFETIME_INFINITE, NEVER },
		{ 3 * H, 0, 2 * H },               /* a zero lifetime cannot kill the address */
		{ 0, 0, 0 },
		{ 10 * MIN, 7200, 2 * H },         /* 1: more than remaining */
		{ 4 * H, 7201, 7201000 },          /* 1: just over two hours */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(addrconf_two_hour_rule(rows[i].remaining, rows[i].received_s),
				 rows[i].want);
}

/* ---- one stack ---- */

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
	memcpy(cfg.secret_key, key1, 32);
	fx.s = umk_stack_new(&cfg, 1000);
	assert_non_null(fx.s);
	struct umk_if_params p = { .name = "eth0", .lladdr = { 0, 0x11, 0x22, 0x33, 0x44, 0x55 },
				   .mtu = 1500, .ops = &ops };
	int idx = umk_if_add(fx.s, &p);
	assert_true(idx > 0);
	fx.ifp = if_get(fx.s, idx);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	umk_stack_free(fx->s);
	return 0;
}

static void run_until(struct fx *fx, umk_time_t t)
{
	umk_time_t next;
	while ((next = umk_next_deadline(fx->s)) <= t)
		umk_timers_run(fx->s, next > fx->s->now ? next : fx->s->now);
	umk_timers_run(fx->s, t);
}
static void run_for(struct fx *fx, uint64_t ms) { run_until(fx, fx->s->now + ms); }

static int count_kind(struct fx *fx, enum ac_kind kind, unsigned flags_set)
{
	int n = 0;
	for (struct in6_ifaddr *ia = fx->ifp->addrs; ia; ia = ia->next)
		if (ia->priv->kind == kind && (ia->flags & flags_set) == flags_set)
			n++;
	return n;
}

static struct in6_ifaddr *first_kind(struct fx *fx, enum ac_kind kind)
{
	for (struct in6_ifaddr *ia = fx->ifp->addrs; ia; ia = ia->next)
		if (ia->priv->kind == kind)
			return ia;
	return NULL;
}

static void pio(struct fx *fx, const struct in6_addr *prefix, uint8_t plen, bool a,
		uint32_t valid, uint32_t preferred)
{
	struct nd_prefix_info pi = { .prefix = *prefix, .plen = plen, .on_link = true,
				     .autonomous = a, .valid_lft = valid,
				     .preferred_lft = preferred };
	addrconf_prefix_input(fx->s, fx->ifp, &pi);
}

struct listed { struct umk_addr_info a[16]; int n; };
static int collect(void *ctx, const struct umk_addr_info *ai)
{
	struct listed *l = ctx;
	if (l->n < 16)
		l->a[l->n++] = *ai;
	return 0;
}

/* RFC 4862 5.3, 5.4: link up makes an RFC 7217 link-local address, tentative until
 * RetransTimer after the probe (after a random delay of at most 1 s), member of its
 * solicited-node group. */
static void test_linklocal_up(void **state)
{
	struct fx *fx = *state;
	umk_if_up(fx->s, fx->ifp->index);
	struct in6_ifaddr *ll = first_kind(fx, AC_LINKLOCAL);
	assert_non_null(ll);
	assert_int_equal(ll->addr.s6_addr[0], 0xfe);
	assert_int_equal(ll->addr.s6_addr[1], 0x80);
	assert_true(ll->flags & UMK_ADDR_F_TENTATIVE);
	assert_null(in6_linklocal(fx->s, fx->ifp));
	uint8_t iid[8];
	addrconf_stable_iid(key1, &ll->addr, "eth0", NULL, 0, 0, iid);
	assert_memory_equal(ll->addr.s6_addr + 8, iid, 8);
	run_for(fx, 999 + 1000 + 1);
	assert_false(ll->flags & UMK_ADDR_F_TENTATIVE);
	assert_ptr_equal(in6_linklocal(fx->s, fx->ifp), ll);
	struct in6_addr snm;
	in6_solicited_node(&ll->addr, &snm);
	assert_true(mld_is_member(fx->s, fx->ifp, &snm));
	assert_int_equal(fx->s->counters[CNT_AC_DAD_PROBES], 1);

	/* the same name and key give the same address after down/up */
	struct in6_addr before = ll->addr;
	umk_if_down(fx->s, fx->ifp->index);
	assert_null(fx->ifp->addrs);
	umk_if_up(fx->s, fx->ifp->index);
	assert_memory_equal(&first_kind(fx, AC_LINKLOCAL)->addr, &before, 16);
}

static void test_eui64_mode(void **state)
{
	struct fx *fx = *state;
	fx->ifp->conf.addr_gen_mode = 1;
	umk_if_up(fx->s, fx->ifp->index);
	struct in6_ifaddr *ll = first_kind(fx, AC_LINKLOCAL);
	static const uint8_t want[8] = { 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55 };
	assert_memory_equal(ll->addr.s6_addr + 8, want, 8);
	/* RFC 4862 5.4.5: a duplicate MAC-derived link-local stops autoconfiguration */
	addrconf_dad_na_input(fx->s, fx->ifp, &ll->addr);
	assert_true(ll->flags & UMK_ADDR_F_DADFAILED);
	assert_true(addrconf_ip_disabled(fx->s, fx->ifp));
	struct in6_addr p = P(0x2001, 0xdb8, 1);
	pio(fx, &p, 64, true, 3600, 1800);
	assert_null(first_kind(fx, AC_SLAAC));
	assert_int_equal(fx->s->counters[CNT_AC_PIO_IP_DISABLED], 1);
}

/* SLAAC (5.5.3 d) and lifetimes (5.5.4) on the injected clock. */
static void test_slaac_lifetimes(void **state)
{
	struct fx *fx = *state;
	fx->ifp->conf.dad_transmits = 0;
	umk_if_up(fx->s, fx->ifp->index);
	struct in6_addr p = P(0x2001, 0xdb8, 1);
	umk_time_t t0 = fx->s->now;
	pio(fx, &p, 64, true, 100, 50);
	struct in6_ifaddr *ia = first_kind(fx, AC_SLAAC);
	assert_non_null(ia);
	assert_true(in6_prefix_eq(&ia->addr, &p, 64));
	assert_int_equal(ia->flags, UMK_ADDR_F_AUTOCONF);
	struct listed l = { .n = 0 };
	umk_addr_list(fx->s, fx->ifp->index, collect, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.a[1].valid_lft, 100);
	assert_int_equal(l.a[1].preferred_lft, 50);
	assert_int_equal(l.a[0].valid_lft, UMK_LIFETIME_INFINITE);
	run_until(fx, t0 + 49999);
	assert_false(ia->flags & UMK_ADDR_F_DEPRECATED);
	run_until(fx, t0 + 50000);
	assert_true(ia->flags & UMK_ADDR_F_DEPRECATED);
	/* a new PIO with a preferred lifetime undeprecates (and 5.5.3 e for valid) */
	pio(fx, &p, 64, true, 100, 20);
	assert_false(ia->flags & UMK_ADDR_F_DEPRECATED);
	run_until(fx, t0 + 70000);
	assert_true(ia->flags & UMK_ADDR_F_DEPRECATED);
	run_until(fx, t0 + 149999);
	assert_non_null(first_kind(fx, AC_SLAAC));
	run_until(fx, t0 + 150000);
	assert_null(first_kind(fx, AC_SLAAC));
	assert_int_equal(fx->s->counters[CNT_AC_ADDR_EXPIRED], 1);
}

static void test_slaac_two_hour_rule(void **state)
{
	struct fx *fx = *state;
	fx->ifp->conf.dad_transmits = 0;
	umk_if_up(fx->s, fx->ifp->index);
	struct in6_addr p = P(0x2001, 0xdb8, 7);
	pio(fx, &p, 64, true, 3 * 3600, 3600);
	struct in6_ifaddr *ia = first_kind(fx, AC_SLAAC);
	pio(fx, &p, 64, true, 0, 0); /* an attacker's "valid 0" */
	assert_int_equal(ia->valid_until - fx->s->now, 2 * H);
	assert_true(ia->flags & UMK_ADDR_F_DEPRECATED);
	assert_int_equal(fx->s->counters[CNT_AC_TWO_HOUR_RULE], 1);
}

/* RFC 4862 5.5.3 a-d: what a PIO must not configure, each counted. */
static void test_pio_ignored(void **state)
{
	struct fx *fx = *state;
	fx->ifp->conf.dad_transmits = 0;
	umk_if_up(fx->s, fx->ifp->index);
	struct in6_addr ll = P(0xfe80, 0, 0), p = P(0x2001, 0xdb8, 3);
	static const struct { int which; uint8_t plen; bool a; uint32_t v, pr; int autoconf;
			      enum umk_counter cnt; } rows[] = {
		{ 0, 64, true, 100, 50, 1, CNT_AC_PIO_LINKLOCAL },
		{ 1, 64, true, 50, 100, 1, CNT_AC_PIO_PREFERRED_GT_VALID },
		{ 1, 48, true, 100, 50, 1, CNT_AC_PIO_BAD_PLEN },
		{ 1, 80, true, 100, 50, 1, CNT_AC_PIO_BAD_PLEN },
		{ 1, 64, false, 100, 50, 1, CNT_AC_PIO_NOT_AUTONOMOUS },
		{ 1, 64, true, 100, 50, 0, CNT_AC_PIO_AUTOCONF_OFF },
		{ 1, 64, true, 0, 0, 1, CNT_AC_PIO_ZERO_VALID_NEW },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		fx->ifp->conf.autoconf = rows[i].autoconf;
		uint64_t before = fx->s->counters[rows[i].cnt];
		pio(fx, rows[i].which ? &p : &ll, rows[i].plen, rows[i].a, rows[i].v, rows[i].pr);
		assert_int_equal(fx->s->counters[rows[i].cnt], before + 1);
		assert_null(first_kind(fx, AC_SLAAC));
	}
}

/* RFC 4862 5.4.3 with RFC 7527: our own looped probe is not a duplicate, another node's
 * probe is; RFC 7217 6: the next DAD_Counter gives a new address, up to IDGEN_RETRIES. */
static void test_dad_ns_and_retries(void **state)
{
	struct fx *fx = *state;
	fx->ifp->conf.rtr_solicitation_delay = 0;
	umk_if_up(fx->s, fx->ifp->index);
	struct in6_ifaddr *ll = first_kind(fx, AC_LINKLOCAL);
	struct in6_addr first = ll->addr;
	assert_int_equal(ll->priv->n_nonces, 1);
	uint8_t own[6];
	memcpy(own, ll->priv->nonces[0], 6);
	assert_true(addrconf_dad_ns_input(fx->s, fx->ifp, &first, true, own));
	assert_false(ll->flags & UMK_ADDR_F_DADFAILED);
	assert_int_equal(fx->s->counters[CNT_AC_DAD_LOOPED_NS], 1);
	/* address resolution for a tentative address is not answered, not a duplicate */
	assert_true(addrconf_dad_ns_input(fx->s, fx->ifp, &first, false, NULL));
	assert_false(ll->flags & UMK_ADDR_F_DADFAILED);

	static const uint8_t theirs[6] = { 9, 9, 9, 9, 9, 9 };
	struct in6_addr seen[4] = { first };
	for (int round = 1; round <= 3; round++) {
		ll = first_kind(fx, AC_LINKLOCAL);
		assert_true(addrconf_dad_ns_input(fx->s, fx->ifp, &ll->addr, true, theirs));
		assert_true(ll->flags & UMK_ADDR_F_DADFAILED);
		run_for(fx, AC_IDGEN_DELAY);
		ll = first_kind(fx, AC_LINKLOCAL);
		assert_false(ll->flags & UMK_ADDR_F_DADFAILED);
		assert_int_equal(ll->priv->dad_counter, round);
		for (int j = 0; j < round; j++)
			assert_memory_not_equal(&ll->addr, &seen[j], 16);
		seen[round] = ll->addr;
	}
	/* the fourth failure exhausts IDGEN_RETRIES (3) */
	addrconf_dad_ns_input(fx->s, fx->ifp, &ll->addr, true, NULL);
	run_for(fx, 5000);
	ll = first_kind(fx, AC_LINKLOCAL);
	assert_true(ll->flags & UMK_ADDR_F_DADFAILED);
	assert_int_equal(fx->s->counters[CNT_AC_IDGEN_EXHAUSTED], 1);
	assert_null(in6_linklocal(fx->s, fx->ifp));
	struct in6_addr snm;
	in6_solicited_node(&ll->addr, &snm);
	assert_false(mld_is_member(fx->s, fx->ifp, &snm));
}

/* Manual addresses: permanent, DAD, -EEXIST / -ENOENT, the table limit, kept over down. */
static void test_manual(void **state)
{
	struct fx *fx = *state;
	umk_if_up(fx->s, fx->ifp->index);
	struct in6_addr a = P(0x2001, 0xdb8, 9);
	a.s6_addr[15] = 1;
	assert_int_equal(umk_addr_add(fx->s, fx->ifp->index, &a, 64), 0);
	assert_int_equal(umk_addr_add(fx->s, fx->ifp->index, &a, 64), -EEXIST);
	struct in6_addr mc = P(0xff02, 0, 0);
	assert_int_equal(umk_addr_add(fx->s, fx->ifp->index, &mc, 64), -EINVAL);
	assert_int_equal(umk_addr_add(fx->s, 99, &a, 64), -ENODEV);
	struct in6_ifaddr *ia = in6_addr_find(fx->s, NULL, &a);
	assert_non_null(ia);
	assert_int_equal(ia->flags, UMK_ADDR_F_PERMANENT | UMK_ADDR_F_TENTATIVE);
	run_for(fx, 1001);
	assert_int_equal(ia->flags, UMK_ADDR_F_PERMANENT);
	struct in6_addr snm;
	in6_solicited_node(&a, &snm);
	assert_true(mld_is_member(fx->s, fx->ifp, &snm));

	umk_if_down(fx->s, fx->ifp->index);
	assert_null(first_kind(fx, AC_LINKLOCAL));
	ia = in6_addr_find(fx->s, fx->ifp, &a);
	assert_non_null(ia);
	assert_true(ia->flags & UMK_ADDR_F_TENTATIVE);
	umk_if_up(fx->s, fx->ifp->index);
	run_for(fx, 3000);
	assert_false(ia->flags & UMK_ADDR_F_TENTATIVE);

	assert_int_equal(umk_addr_del(fx->s, fx->ifp->index, &a, 48), -ENOENT);
	assert_int_equal(umk_addr_del(fx->s, fx->ifp->index, &a, 64), 0);
	assert_null(in6_addr_find(fx->s, NULL, &a));
	assert_false(mld_is_member(fx->s, fx->ifp, &snm));
	assert_int_equal(umk_addr_del(fx->s, fx->ifp->index, &a, 64), -ENOENT);

	/* a manual address that another node defends stays, failed */
	umk_addr_add(fx->s, fx->ifp->index, &a, 64);
	addrconf_dad_na_input(fx->s, fx->ifp, &a);
	run_for(fx, 5000);
	ia = in6_addr_find(fx->s, NULL, &a);
	assert_true(ia->flags & UMK_ADDR_F_DADFAILED);

	fx->s->limits.max_addrs = 3;
	struct in6_addr b = a;
	int ok = 0;
	for (int i = 2; i < 8; i++) {
		b.s6_addr[15] = (uint8_t)i;
		if (umk_addr_add(fx->s, fx->ifp->index, &b, 128) == 0)
			ok++;
	}
	assert_int_equal(ok, 1);
	assert_true(fx->s->counters[CNT_AC_ADDR_LIMIT] >= 5);
}

/* RFC 8981: a temporary address beside the public one, lifetimes within TEMP_* and the
 * public address's, a successor REGEN_ADVANCE before deprecation. */
static void test_temporary(void **state)
{
	struct fx *fx = *state;
	struct ip6_ifconf *c = &fx->ifp->conf;
	c->dad_transmits = 0;
	c->use_tempaddr = 1;
	c->temp_valid_lft = 400;
	c->temp_preferred_lft = 100;
	c->max_desync_factor = 10;
	c->regen_advance = 5;
	umk_if_up(fx->s, fx->ifp->index);
	struct in6_addr p = P(0x2001, 0xdb8, 5);
	umk_time_t t0 = fx->s->now;
	pio(fx, &p, 64, true, 86400, 14400);
	struct in6_ifaddr *pub = first_kind(fx, AC_SLAAC), *tmp = first_kind(fx, AC_TEMPORARY);
	assert_non_null(pub);
	assert_non_null(tmp);
	assert_true(tmp->flags & UMK_ADDR_F_TEMPORARY);
	assert_true(in6_prefix_eq(&tmp->addr, &p, 64));
	assert_memory_not_equal(tmp->addr.s6_addr + 8, pub->addr.s6_addr + 8, 8);
	assert_int_equal(tmp->valid_until, t0 + 400000);
	assert_true(tmp->preferred_until <= t0 + 100000 && tmp->preferred_until >= t0 + 90000);
	/* a second RA does not add another while this one is preferred */
	pio(fx, &p, 64, true, 86400, 14400);
	assert_int_equal(count_kind(fx, AC_TEMPORARY, 0), 1);
	/* before it is deprecated a successor appears */
	umk_time_t dep = tmp->preferred_until;
	run_until(fx, dep - 1);
	assert_int_equal(count_kind(fx, AC_TEMPORARY, 0), 2);
	assert_int_equal(fx->s->counters[CNT_AC_TEMP_REGENERATED], 1);
	run_until(fx, dep);
	assert_true(tmp->flags & UMK_ADDR_F_DEPRECATED);
	/* never longer than the public address: a shorter public lifetime caps it */
	pio(fx, &p, 64, true, 86400, 30);
	for (struct in6_ifaddr *ia = fx->ifp->addrs; ia; ia = ia->next)
		if (ia->priv->kind == AC_TEMPORARY)
			assert_true(ia->preferred_until <= pub->preferred_until);
	run_until(fx, t0 + 400000);
	assert_ptr_not_equal(first_kind(fx, AC_TEMPORARY), tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stable_iid),
		cmocka_unit_test(test_eui64),
		cmocka_unit_test(test_reserved_iid),
		cmocka_unit_test(test_two_hour_rule),
		cmocka_unit_test_setup_teardown(test_linklocal_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eui64_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slaac_lifetimes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slaac_two_hour_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pio_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dad_ns_and_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manual, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temporary, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
