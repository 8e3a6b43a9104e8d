/*
 * sim_router.c - umikame as a router between two simulated links (issue 4): host H1
 * autoconfigures from router R's RAs on link 1 (address from the advertised prefix, R as
 * default router, RDNSS learned), H2 is configured by hand on link 2, and H1 pings H2
 * through R; then a hop limit of 1 gets Time Exceeded from R, and R's final RA on `ra del`
 * takes it off H1's default router list. A second test: unicast answers to RSs.
 *
 *   H1 (02:..:11) --- link 1 --- eth0 R eth1 --- link 2 --- H2 (02:..:22)
 *   SLAAC from 2001:db8:1::/64   2001:db8:1::1  2001:db8:2::1   2001:db8:2::2/64
 *                                                                default via 2001:db8:2::1
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <umikame/mgmt.h>
#include <umikame/router.h>

#include "sim.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	inet_pton(AF_INET6, s, &a);
	return a;
}

struct echo_log {
	int replies, time_exceeded;
	struct in6_addr from;
};

static void on_echo(void *ctx, const struct umk_echo_event *ev)
{
	struct echo_log *l = ctx;
	if (ev->icmp_type == 129)
		l->replies++;
	if (ev->icmp_type == 3) {
		l->time_exceeded++;
		l->from = ev->from;
	}
}

struct find {
	struct in6_addr addr;
	bool found;
	int count;
};

static int global_addr(void *ctx, const struct umk_addr_info *ai)
{
	struct find *f = ctx;
	if (ai->scope == UMK_SCOPE_GLOBAL && !(ai->flags & UMK_ADDR_F_TENTATIVE) &&
	    memcmp(&ai->addr, "\x20\x01\x0d\xb8\x00\x01", 6) == 0) {
		f->addr = ai->addr;
		f->found = true;
	}
	return 0;
}

static int learned(void *ctx, const struct umk_ra_learned *l)
{
	struct find *f = ctx;
	if (l->kind == UMK_RA_L_ROUTER)
		f->count++;
	if (l->kind == UMK_RA_L_RDNSS && memcmp(&l->addr, &f->addr, 16) == 0)
		f->found = true;
	return 0;
}

static void test_router_between_links(void **state)
{
	struct sim_net *net = sim_net_new(4);
	int l1 = sim_link_new(net, 1, 0.0), l2 = sim_link_new(net, 1, 0.0);
	struct umk_stack *r = sim_stack_new(net, NULL), *h1 = sim_stack_new(net, NULL),
			 *h2 = sim_stack_new(net, NULL);
	static const uint8_t m_r0[6] = { 2, 0, 0, 0, 0, 1 }, m_r1[6] = { 2, 0, 0, 0, 0, 2 },
			     m_h1[6] = { 2, 0, 0, 0, 0, 0x11 }, m_h2[6] = { 2, 0, 0, 0, 0, 0x22 };
	int r0 = sim_attach(net, l1, r, "eth0", m_r0, 1500, NULL);
	int r1 = sim_attach(net, l2, r, "eth1", m_r1, 1500, NULL);
	int ih1 = sim_attach(net, l1, h1, "eth0", m_h1, 1500, NULL);
	int ih2 = sim_attach(net, l2, h2, "eth0", m_h2, 1500, NULL);
	assert_int_equal(umk_conf_set(r, r0, "forwarding", 1), 0);
	assert_int_equal(umk_conf_set(r, r1, "forwarding", 1), 0);
	struct in6_addr a;
	a = A("2001:db8:1::1");
	assert_int_equal(umk_addr_add(r, r0, &a, 64), 0);
	a = A("2001:db8:2::1");
	assert_int_equal(umk_addr_add(r, r1, &a, 64), 0);
	a = A("2001:db8:2::2");
	assert_int_equal(umk_addr_add(h2, ih2, &a, 64), 0);
	struct umk_ra_config c;
	umk_ra_config_defaults(&c);
	c.min_interval = 30;
	c.max_interval = 60;
	c.n_prefix = 1;
	c.prefix[0] = (struct umk_ra_prefix){ A("2001:db8:1::"), 64, true, true, 86400, 14400 };
	c.n_rdnss = 1;
	c.rdnss[0] = A("2001:db8::53");
	assert_int_equal(umk_ra_set(r, r0, &c), 0);
	umk_if_up(r, r0);
	umk_if_up(r, r1);
	umk_if_up(h1, ih1);
	umk_if_up(h2, ih2);
	sim_run_for(net, 3000);
	a = A("2001:db8:2::1");
	struct in6_addr any = A("::");
	assert_int_equal(umk_route_add(h2, &any, 0, &a, ih2, 1024), 0);
	sim_run_for(net, 10000);

	/* H1 autoconfigured: an address in the prefix, R as its default router, the RDNSS */
	struct find f = { 0 };
	umk_addr_list(h1, ih1, global_addr, &f);
	assert_true(f.found);
	struct find lr = { .addr = A("2001:db8::53") };
	assert_int_equal(umk_ra_learned_list(h1, ih1, learned, &lr), 0);
	assert_int_equal(lr.count, 1);
	assert_true(lr.found);

	/* H1 pings H2 through R */
	struct echo_log log = { 0 };
	umk_echo_set_handler(h1, on_echo, &log);
	struct in6_addr d = A("2001:db8:2::2");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(umk_echo_send(h1, &d, 0, 0, 7, (uint16_t)i, 56, 0), 0);
		sim_run_for(net, 1000);
	}
	assert_int_equal(log.replies, 3);
	/* hop limit 1: R answers Time Exceeded from its address on link 1 */
	assert_int_equal(umk_echo_send(h1, &d, 0, 0, 7, 9, 56, 1), 0);
	sim_run_for(net, 1000);
	assert_int_equal(log.time_exceeded, 1);
	struct in6_addr r_addr = A("2001:db8:1::1");
	assert_memory_equal(&log.from, &r_addr, 16);
	/* RFC 4861 6.2.5: the final RA removes R from H1's default router list */
	assert_int_equal(umk_ra_del(r, r0), 0);
	sim_run_for(net, 100);
	lr.count = 0;
	umk_ra_learned_list(h1, ih1, learned, &lr);
	assert_int_equal(lr.count, 0);
	sim_net_free(net);
}

struct counter { const char *name; uint64_t value; };

static int counter_cb(void *ctx, const char *group, const char *name, uint64_t value)
{
	struct counter *c = ctx;
	if (strcmp(group, "rtadv") == 0 && strcmp(name, c->name) == 0)
		c->value = value;
	return 0;
}

static uint64_t rtadv_counter(struct umk_stack *s, const char *name)
{
	struct counter c = { name, 0 };
	umk_stats_list(s, counter_cb, &c);
	return c.value;
}

/* RFC 4861 6.2.6 with `unicast_solicited`: a host that comes up long after R's initial RAs
 * (the next periodic one is minutes away) autoconfigures from the unicast answer to its RS,
 * and R sends nothing to all-nodes meanwhile.
 *
 *   H3 (up from the start) --- link 1 --- eth0 R        H1 joins the link at 60 s
 */
static void test_unicast_solicited_answer(void **state)
{
	struct sim_net *net = sim_net_new(3);
	int l1 = sim_link_new(net, 1, 0.0);
	struct umk_stack *r = sim_stack_new(net, NULL), *h1 = sim_stack_new(net, NULL),
			 *h3 = sim_stack_new(net, NULL);
	static const uint8_t m_r0[6] = { 2, 0, 0, 0, 0, 1 }, m_h1[6] = { 2, 0, 0, 0, 0, 0x11 },
			     m_h3[6] = { 2, 0, 0, 0, 0, 0x33 };
	int r0 = sim_attach(net, l1, r, "eth0", m_r0, 1500, NULL);
	int ih1 = sim_attach(net, l1, h1, "eth0", m_h1, 1500, NULL);
	int ih3 = sim_attach(net, l1, h3, "eth0", m_h3, 1500, NULL);
	assert_int_equal(umk_conf_set(r, r0, "forwarding", 1), 0);
	/* the hosts solicit from their link-local address (as Linux does after DAD); one
	 * still tentative would send from ::, which only a multicast RA can answer */
	assert_int_equal(umk_conf_set(h1, ih1, "dad_transmits", 0), 0);
	assert_int_equal(umk_conf_set(h3, ih3, "dad_transmits", 0), 0);
	struct in6_addr a = A("2001:db8:1::1");
	assert_int_equal(umk_addr_add(r, r0, &a, 64), 0);
	struct umk_ra_config c;
	umk_ra_config_defaults(&c);           /* 200-600 s */
	c.unicast_solicited = true;
	c.n_prefix = 1;
	c.prefix[0] = (struct umk_ra_prefix){ A("2001:db8:1::"), 64, true, true, 86400, 14400 };
	assert_int_equal(umk_ra_set(r, r0, &c), 0);
	umk_if_up(r, r0);
	umk_if_up(h3, ih3);
	sim_run_for(net, 60000);
	struct find f3 = { 0 };
	umk_addr_list(h3, ih3, global_addr, &f3);
	assert_true(f3.found);
	uint64_t all = rtadv_counter(r, "OutRouterAdvertisements");
	uint64_t uni = rtadv_counter(r, "OutUnicastAdvertisements");
	struct umk_ra_status st;
	assert_int_equal(umk_ra_status(r, r0, &st), 0);
	assert_true(st.next_ra > 100000);     /* the next periodic RA is far away */

	umk_if_up(h1, ih1);
	sim_run_for(net, 5000);
	struct find f = { 0 };
	umk_addr_list(h1, ih1, global_addr, &f);
	assert_true(f.found);
	struct find lr = { 0 };
	assert_int_equal(umk_ra_learned_list(h1, ih1, learned, &lr), 0);
	assert_int_equal(lr.count, 1);
	/* every RA of the last 5 s was a unicast answer, at least one */
	uint64_t uni_now = rtadv_counter(r, "OutUnicastAdvertisements");
	assert_true(uni_now >= uni + 1);
	assert_int_equal(rtadv_counter(r, "OutRouterAdvertisements") - all, uni_now - uni);
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_between_links),
		cmocka_unit_test(test_unicast_solicited_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
