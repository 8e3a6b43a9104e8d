/*
 * test_route6.c - the routing table (ip6/route6.c): longest match, zones for scoped
 * prefixes, metrics, RFC 4191 preference among default routes, expiry, the limit, and the
 * umk_route_* management calls.   eth0, eth1 (both up)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ip6/route6.h"
#include <umikame/router.h>

static int tx_nop(void *ctx, const void *f, size_t len) { return 0; }
static const struct umk_link_ops ops = { .transmit = tx_nop };

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	inet_pton(AF_INET6, s, &a);
	return a;
}

static struct umk_stack *S;

static void setup2(uint32_t max_routes)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.limits.max_routes = max_routes;
	cfg.log_level = UMK_LOG_ERR;
	S = umk_stack_new(&cfg, 1000);
	for (int i = 0; i < 2; i++) {
		struct umk_if_params p = { .name = i ? "eth1" : "eth0", .mtu = 1500, .ops = &ops,
					   .lladdr = { 2, 0, 0, 0, 0, (uint8_t)(i + 1) } };
		int x = umk_if_add(S, &p);
		if_get(S, x)->conf.dad_transmits = 0;
		if_get(S, x)->conf.rtr_solicitations = 0;
		umk_if_up(S, x);
	}
	/* whatever addrconf put there (connected routes): start from an empty table */
	rt6_flush_if(S, 1, 0);
	rt6_flush_if(S, 2, 0);
}

static void add(const char *dst, int plen, const char *gw, int ifx, uint32_t metric, int pref,
		umk_time_t expires)
{
	struct rt6_entry e = { .dst = A(dst), .plen = (uint8_t)plen, .ifindex = ifx,
			       .metric = metric, .pref = (int8_t)pref, .expires = expires,
			       .proto = UMK_RTPROTO_STATIC };
	if (gw)
		e.gateway = A(gw);
	assert_int_equal(rt6_add(S, &e), 0);
}

struct look_case {
	const char *dst;
	int zone, oif;
	int err;
	int ifindex;
	const char *nexthop;
};

static void test_lookup_cases(void **state)
{
	setup2(100);
	add("::", 0, "fe80::1", 1, 1024, 0, 0);
	add("2001:db8::", 32, "fe80::2", 2, 1024, 0, 0);
	add("2001:db8:1::", 48, NULL, 1, 1024, 0, 0);
	add("2001:db8:1:2::", 64, "fe80::3", 2, 10, 0, 0);
	add("2001:db8:1:2::", 64, "fe80::4", 1, 5, 0, 0);
	add("fe80::", 64, NULL, 1, 256, 0, 0);
	add("fe80::", 64, NULL, 2, 256, 0, 0);
	const struct look_case cases[] = {
		{ "2001:db9::1", 0, 0, 0, 1, "fe80::1" },            /* default */
		{ "2001:db8:5::1", 0, 0, 0, 2, "fe80::2" },          /* /32 */
		{ "2001:db8:1:9::1", 0, 0, 0, 1, "2001:db8:1:9::1" },/* /48 on-link */
		{ "2001:db8:1:2::7", 0, 0, 0, 1, "fe80::4" },        /* /64, lower metric */
		{ "2001:db8:1:2::7", 0, 2, 0, 2, "fe80::3" },        /* restricted by oif */
		{ "fe80::99", 2, 0, 0, 2, "fe80::99" },              /* zone 2 */
		{ "fe80::99", 1, 0, 0, 1, "fe80::99" },              /* zone 1 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rt6_nexthop nh;
		struct in6_addr d = A(cases[i].dst);
		assert_int_equal(rt6_lookup(S, &d, cases[i].zone, cases[i].oif, &nh),
				 cases[i].err);
		assert_int_equal(nh.ifp->index, cases[i].ifindex);
		struct in6_addr want = A(cases[i].nexthop);
		assert_true(IN6_ARE_ADDR_EQUAL(&nh.addr, &want));
	}
	/* no default: unreachable */
	assert_int_equal(rt6_del(S, &(struct in6_addr){ 0 }, 0, NULL, 0, 0), 0);
	struct rt6_nexthop nh;
	struct in6_addr d = A("3000::1");
	assert_int_equal(rt6_lookup(S, &d, 0, 0, &nh), -ENETUNREACH);
	assert_int_equal(rt6_del(S, &(struct in6_addr){ 0 }, 0, NULL, 0, 0), -ENOENT);
	umk_stack_free(S);
}

static void test_pref_expiry_limit(void **state)
{
	setup2(3);
	struct in6_addr any = A("3000::1");
	struct rt6_nexthop nh;
	/* RFC 4191: high preference wins among equal defaults */
	add("::", 0, "fe80::1", 1, 1024, 0, 0);
	add("::", 0, "fe80::2", 2, 1024, 1, 5000);
	assert_int_equal(rt6_lookup(S, &any, 0, 0, &nh), 0);
	assert_int_equal(nh.ifp->index, 2);
	/* the limit */
	add("2001:db8::", 32, NULL, 1, 1, 0, 0);
	struct rt6_entry e = { .dst = A("2001:db9::"), .plen = 32, .ifindex = 1 };
	assert_int_equal(rt6_add(S, &e), -ENOSPC);
	assert_int_equal(S->counters[CNT_RT6_TABLE_FULL], 1);
	/* a refresh is not a new entry */
	add("::", 0, "fe80::2", 2, 1024, 1, 9000);
	/* expiry: the timer sweeps it at 9000 */
	umk_timers_run(S, 8999);
	assert_int_equal(rt6_lookup(S, &any, 0, 0, &nh), 0);
	assert_int_equal(nh.ifp->index, 2);
	umk_timers_run(S, 9000);
	assert_int_equal(S->counters[CNT_RT6_EXPIRED], 1);
	assert_int_equal(rt6_lookup(S, &any, 0, 0, &nh), 0);
	assert_int_equal(nh.ifp->index, 1);
	umk_stack_free(S);
}

static int count_cb(void *ctx, const struct umk_route_info *ri)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_mgmt(void **state)
{
	setup2(100);
	struct in6_addr p = A("2001:db8:7::"), gw_ll = A("fe80::1"), gw_g = A("2001:db8:1::1");
	/* a link-local gateway needs an interface */
	assert_int_equal(umk_route_add(S, &p, 48, &gw_ll, 0, 1), -EINVAL);
	assert_int_equal(umk_route_add(S, &p, 48, &gw_ll, 1, 1), 0);
	assert_int_equal(umk_route_add(S, &p, 48, &gw_ll, 1, 1), -EEXIST);
	assert_int_equal(umk_route_add(S, &p, 48, &gw_ll, 9, 1), -ENODEV);
	/* a global gateway finds its interface from an on-link route */
	struct in6_addr q = A("2001:db8:8::");
	assert_int_equal(umk_route_add(S, &q, 48, &gw_g, 0, 1), -ENETUNREACH);
	struct in6_addr onl = A("2001:db8:1::");
	assert_int_equal(umk_route_add(S, &onl, 64, NULL, 2, 1), 0);
	assert_int_equal(umk_route_add(S, &q, 48, &gw_g, 0, 1), 0);
	struct rt6_nexthop nh;
	struct in6_addr d = A("2001:db8:8::5");
	assert_int_equal(rt6_lookup(S, &d, 0, 0, &nh), 0);
	assert_int_equal(nh.ifp->index, 2);
	int n = 0;
	umk_route_list(S, count_cb, &n);
	assert_int_equal(n, 3);
	assert_int_equal(umk_route_del(S, &q, 48, NULL, 0), 0);
	assert_int_equal(umk_route_del(S, &q, 48, NULL, 0), -ENOENT);
	umk_stack_free(S);
}

/* umk_route_list: what `umk route show` prints per route: proto, type, RFC 4191 preference,
 * seconds left (0 for a route that never expires, also an infinite RA lifetime). */
struct seen {
	int n;
	struct umk_route_info r[8];
};

static int collect(void *ctx, const struct umk_route_info *ri)
{
	struct seen *v = ctx;
	if (v->n < 8)
		v->r[v->n++] = *ri;
	return 0;
}

static const struct umk_route_info *find(const struct seen *v, const char *dst, int plen)
{
	struct in6_addr d = A(dst);
	for (int i = 0; i < v->n; i++)
		if (v->r[i].prefixlen == plen && !memcmp(&v->r[i].dst, &d, 16))
			return &v->r[i];
	return NULL;
}

static void test_list_fields(void **state)
{
	setup2(100);
	struct in6_addr p = A("2001:db8:dead::");
	assert_int_equal(umk_route_add_type(S, &p, 48, NULL, 1, 1024, RT6_REJECT), 0);
	struct rt6_entry ra = { .plen = 0, .gateway = A("fe80::1"), .ifindex = 1, .metric = 1024,
				.proto = UMK_RTPROTO_RA, .pref = 1,
				.expires = S->now + 1800 * 1000 };
	assert_int_equal(rt6_add(S, &ra), 0);
	struct rt6_entry pio = { .dst = A("2001:db8:1::"), .plen = 64, .ifindex = 1,
				 .metric = 256, .proto = UMK_RTPROTO_RA,
				 .expires = UMK_TIME_NEVER };
	assert_int_equal(rt6_add(S, &pio), 0);
	struct in6_addr a = A("2001:db8:2::1");
	assert_int_equal(umk_addr_add(S, 2, &a, 64), 0);
	umk_timers_run(S, S->now + 500);
	struct seen v = { 0 };
	assert_int_equal(umk_route_list(S, collect, &v), 0);
	const struct umk_route_info *r = find(&v, "2001:db8:dead::", 48);
	assert_non_null(r);
	assert_int_equal(r->rt_type, RT6_REJECT);
	assert_int_equal(r->proto, UMK_RTPROTO_STATIC);
	assert_int_equal(r->expires, 0);
	r = find(&v, "::", 0);
	assert_non_null(r);
	assert_int_equal(r->rt_type, RT6_UNICAST);
	assert_int_equal(r->proto, UMK_RTPROTO_RA);
	assert_int_equal(r->pref, 1);
	assert_true(r->expires >= 1799 && r->expires <= 1800);
	r = find(&v, "2001:db8:1::", 64);
	assert_non_null(r);
	assert_int_equal(r->expires, 0);          /* infinite: not a huge count of seconds */
	r = find(&v, "2001:db8:2::", 64);
	assert_non_null(r);
	assert_int_equal(r->proto, UMK_RTPROTO_KERNEL);
	umk_stack_free(S);
}

/* RFC 4191 3.2: a host's RIO route whose router turns out unreachable (address resolution
 * failed) gives way to the next best route, the default via another router; a static route
 * is not second-guessed. */
static void test_next_best_when_unreachable(void **state)
{
	setup2(100);
	struct in6_addr a = A("2001:db8:9::1");
	assert_int_equal(umk_addr_add(S, 1, &a, 64), 0);
	struct rt6_entry rio = { .dst = A("2001:db8:5::"), .plen = 48, .gateway = A("fe80::1"),
				 .ifindex = 1, .metric = 1024, .proto = UMK_RTPROTO_RA, .pref = 1 };
	struct rt6_entry def = { .plen = 0, .gateway = A("fe80::2"), .ifindex = 1,
				 .metric = 1024, .proto = UMK_RTPROTO_RA };
	assert_int_equal(rt6_add(S, &rio), 0);
	assert_int_equal(rt6_add(S, &def), 0);
	/* fe80::2 answers (a known entry), fe80::1 never will */
	static const uint8_t mac2[6] = { 2, 0, 0, 0, 0, 0x22 };
	struct in6_addr r2 = A("fe80::2");
	assert_int_equal(umk_neigh_add(S, 1, &r2, mac2, true), 0);
	umk_timers_run(S, S->now + 100);
	struct in6_addr d = A("2001:db8:5::77");
	struct rt6_nexthop nh;
	assert_int_equal(rt6_lookup(S, &d, 0, 0, &nh), 0);
	assert_memory_equal(&nh.addr, &rio.gateway, 16);
	/* resolving fe80::1 fails after MAX_MULTICAST_SOLICIT (3) NSs, 1 s apart */
	assert_int_equal(umk_echo_send(S, &d, 0, 0, 1, 1, 16, 0), 0);
	for (int i = 0; i < 5; i++)
		umk_timers_run(S, S->now + 1000);
	assert_int_equal(rt6_lookup(S, &d, 0, 0, &nh), 0);
	assert_memory_equal(&nh.addr, &r2, 16);
	assert_true(S->counters[CNT_RT6_UNREACHABLE_SKIPPED] >= 1);
	/* with no other route left the best stays, unreachable or not */
	assert_int_equal(rt6_del(S, &def.dst, 0, &r2, 1, UMK_RTPROTO_RA), 0);
	assert_int_equal(rt6_lookup(S, &d, 0, 0, &nh), 0);
	assert_memory_equal(&nh.addr, &rio.gateway, 16);
	/* a static route to the dead router is kept (only RA-learned routes fall back) */
	assert_int_equal(rt6_add(S, &def), 0);
	assert_int_equal(rt6_del(S, &rio.dst, 48, NULL, 1, UMK_RTPROTO_RA), 0);
	add("2001:db8:5::", 48, "fe80::1", 1, 1024, 0, 0);
	assert_int_equal(rt6_lookup(S, &d, 0, 0, &nh), 0);
	assert_memory_equal(&nh.addr, &rio.gateway, 16);
	umk_stack_free(S);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_cases),
		cmocka_unit_test(test_pref_expiry_limit),
		cmocka_unit_test(test_mgmt),
		cmocka_unit_test(test_list_fields),
		cmocka_unit_test(test_next_best_when_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
