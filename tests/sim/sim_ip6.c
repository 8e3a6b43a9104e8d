/*
 * sim_ip6.c - the IPv6 datapath between two stacks on one simulated link: echo over
 * link-local and global addresses, a 4000-byte echo (fragmented both ways and reassembled
 * both ways), echo to all-nodes, and an echo to a scoped address without a zone.
 *
 *     [A] eth0 ----- link 0 (1 ms, no loss) ----- eth0 [B]
 *      2001:db8::a/64                              2001:db8::b/64
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <umikame/mgmt.h>
#include "sim.h"

struct replies {
	int n, bad;
	struct in6_addr from[8];
	uint16_t seq;
};

static void on_echo(void *ctx, const struct umk_echo_event *ev)
{
	struct replies *r = ctx;
	if (ev->icmp_type != 129)
		return;
	if (ev->truncated_or_bad)
		r->bad++;
	if (r->n < 8)
		r->from[r->n] = ev->from;
	r->seq = ev->seq;
	r->n++;
}

static int find_ll(void *ctx, const struct umk_addr_info *ai)
{
	if (ai->addr.s6_addr[0] == 0xfe && (ai->addr.s6_addr[1] & 0xc0) == 0x80 &&
	    !(ai->flags & UMK_ADDR_F_TENTATIVE)) {
		*(struct in6_addr *)ctx = ai->addr;
		return 1;
	}
	return 0;
}

static struct sim_net *net;
static struct umk_stack *a, *b;
static int ia, ib;
static struct replies ra;

static void two_stacks(void)
{
	static const uint8_t ma[6] = { 2, 0, 0, 0, 0, 0xa }, mb[6] = { 2, 0, 0, 0, 0, 0xb };
	net = sim_net_new(7);
	int l = sim_link_new(net, 1, 0.0);
	a = sim_stack_new(net, NULL);
	b = sim_stack_new(net, NULL);
	ia = sim_attach(net, l, a, "eth0", ma, 1500, NULL);
	ib = sim_attach(net, l, b, "eth0", mb, 1500, NULL);
	umk_if_up(a, ia);
	umk_if_up(b, ib);
	memset(&ra, 0, sizeof(ra));
	umk_echo_set_handler(a, on_echo, &ra);
	sim_run_for(net, 5000); /* DAD */
}

static void test_ping_linklocal(void **state)
{
	two_stacks();
	struct in6_addr llb;
	assert_int_equal(umk_addr_list(b, ib, find_ll, &llb), 1);
	assert_int_equal(umk_echo_send(a, &llb, ia, 0, 1, 1, 56, 0), 0);
	sim_run_for(net, 1000);
	assert_int_equal(ra.n, 1);
	assert_int_equal(ra.bad, 0);
	assert_true(IN6_ARE_ADDR_EQUAL(&ra.from[0], &llb));
	sim_net_free(net);
}

static void test_ping_global_4000(void **state)
{
	two_stacks();
	struct in6_addr ga, gb;
	inet_pton(AF_INET6, "2001:db8::a", &ga);
	inet_pton(AF_INET6, "2001:db8::b", &gb);
	assert_int_equal(umk_addr_add(a, ia, &ga, 64), 0);
	assert_int_equal(umk_addr_add(b, ib, &gb, 64), 0);
	sim_run_for(net, 3000);
	assert_int_equal(umk_echo_send(a, &gb, 0, 0, 1, 2, 56, 0), 0);
	sim_run_for(net, 1000);
	assert_int_equal(ra.n, 1);
	/* 4000 bytes: fragmented by A, reassembled by B, answered in fragments */
	assert_int_equal(umk_echo_send(a, &gb, 0, 0, 1, 3, 4000, 0), 0);
	sim_run_for(net, 1000);
	assert_int_equal(ra.n, 2);
	assert_int_equal(ra.seq, 3);
	assert_int_equal(ra.bad, 0);
	sim_net_free(net);
}

static void test_ping_all_nodes(void **state)
{
	two_stacks();
	struct in6_addr all;
	inet_pton(AF_INET6, "ff02::1", &all);
	assert_int_equal(umk_echo_send(a, &all, ia, 0, 1, 4, 32, 0), 0);
	sim_run_for(net, 1000);
	/* B answers from a unicast address (RFC 4443 4.2); A answers itself via loopback */
	assert_true(ra.n >= 1);
	for (int i = 0; i < ra.n && i < 8; i++)
		assert_false(IN6_IS_ADDR_MULTICAST(&ra.from[i]));
	sim_net_free(net);
}

static void test_scoped_without_zone(void **state)
{
	/* one interface: the zone defaults to it (RFC 4007 6 leaves this to us) */
	two_stacks();
	struct in6_addr llb;
	assert_int_equal(umk_addr_list(b, ib, find_ll, &llb), 1);
	assert_int_equal(umk_echo_send(a, &llb, 0, 0, 1, 5, 8, 0), 0);
	sim_run_for(net, 1000);
	assert_int_equal(ra.n, 1);
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_linklocal),
		cmocka_unit_test(test_ping_global_4000),
		cmocka_unit_test(test_ping_all_nodes),
		cmocka_unit_test(test_scoped_without_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
