/*
 * sim_nd.c - neighbor discovery between two stacks on a simulated link (RFC 4861 7):
 * address resolution both ways, and NUD finding a neighbor that went away.
 *
 * Topology:   A (02:..:0a) ---- link L (1 ms) ---- B (02:..:0b)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/nd6.h"
#include "nd_test_util.h"
#include "sim.h"

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 2, 0, 0, 0, 0, 0x0b };

struct world {
	struct sim_net *net;
	struct umk_stack *a, *b;
	int ia, ib, port_a, port_b;
	struct in6_addr ll_a, ll_b;
	int replies_a;
	int unreach_a;
	int ns_seen, ns_unicast;
};

static void echo_a(void *ctx, const struct umk_echo_event *ev)
{
	struct world *w = ctx;
	if (ev->icmp_type == 129)
		w->replies_a++;
	else if (ev->icmp_type == 1)
		w->unreach_a++;
}

static void watch(void *ctx, int link, int from, const uint8_t *f, size_t len, umk_time_t now)
{
	struct world *w = ctx;
	struct ndt_seen sn;
	if (from == w->port_a && ndt_parse(f, len, &sn) && sn.m.type == ND_NEIGHBOR_SOLICIT &&
	    memcmp(&sn.m.target, &w->ll_b, 16) == 0) {
		w->ns_seen++;
		if (!IN6_IS_ADDR_MULTICAST(&sn.dst))
			w->ns_unicast++;
	}
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	w->net = sim_net_new(7);
	int l = sim_link_new(w->net, 1, 0.0);
	w->a = sim_stack_new(w->net, NULL);
	w->b = sim_stack_new(w->net, NULL);
	w->ia = sim_attach(w->net, l, w->a, "eth0", MAC_A, 1500, &w->port_a);
	w->ib = sim_attach(w->net, l, w->b, "eth0", MAC_B, 1500, &w->port_b);
	umk_echo_set_handler(w->a, echo_a, w);
	sim_watch(w->net, watch, w);
	umk_if_up(w->a, w->ia);
	umk_if_up(w->b, w->ib);
	sim_run_for(w->net, 5000);
	struct in6_ifaddr *la = in6_linklocal(w->a, if_get(w->a, w->ia));
	struct in6_ifaddr *lb = in6_linklocal(w->b, if_get(w->b, w->ib));
	assert_non_null(la);
	assert_non_null(lb);
	w->ll_a = la->addr;
	w->ll_b = lb->addr;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	sim_net_free(w->net);
	free(w);
	return 0;
}

struct nq {
	struct in6_addr a;
	struct umk_neigh_info ni;
	bool found;
};
static int nq_cb(void *ctx, const struct umk_neigh_info *ni)
{
	struct nq *q = ctx;
	if (memcmp(&ni->addr, &q->a, 16) == 0) {
		q->ni = *ni;
		q->found = true;
	}
	return 0;
}
static int nstate(struct umk_stack *s, const struct in6_addr *a, struct umk_neigh_info *out)
{
	struct nq q = { .a = *a };
	umk_neigh_list(s, nq_cb, &q);
	if (out)
		*out = q.ni;
	return q.found ? q.ni.state : 0;
}

static void ping_b(struct world *w, uint16_t seq)
{
	umk_echo_send(w->a, &w->ll_b, w->ia, 0, 7, seq, 56, 0);
}

/* A pings B: A resolves B (multicast NS, NA), B learns A from the NS's SLLAO. */
static void test_resolve_both_ways(void **state)
{
	struct world *w = *state;
	ping_b(w, 1);
	sim_run_for(w->net, 100);
	assert_int_equal(w->replies_a, 1);
	struct umk_neigh_info ni;
	assert_int_equal(nstate(w->a, &w->ll_b, &ni), UMK_NUD_REACHABLE);
	assert_memory_equal(ni.lladdr, MAC_B, 6);
	int sb = nstate(w->b, &w->ll_a, &ni);
	assert_true(sb == UMK_NUD_STALE || sb == UMK_NUD_DELAY);
	assert_memory_equal(ni.lladdr, MAC_A, 6);
	/* B's DELAY ends with a unicast probe A answers: REACHABLE, never gone */
	sim_run_for(w->net, 7000);
	sb = nstate(w->b, &w->ll_a, NULL);
	assert_true(sb == UMK_NUD_REACHABLE || sb == UMK_NUD_STALE);
	/* and B can reach A without another multicast solicitation */
	umk_echo_send(w->b, &w->ll_a, w->ib, 0, 8, 1, 8, 0);
	sim_run_for(w->net, 100);
	assert_int_equal(w->b->counters[CNT_ND6_RES_FAILED], 0);
}

/* NUD: REACHABLE -> STALE -> DELAY -> PROBE -> gone once B is cut off. */
static void test_nud_peer_gone(void **state)
{
	struct world *w = *state;
	ping_b(w, 1);
	sim_run_for(w->net, 100);
	assert_int_equal(w->replies_a, 1);
	sim_port_set_connected(w->net, w->port_b, false);
	sim_run_for(w->net, 45000);
	assert_int_equal(nstate(w->a, &w->ll_b, NULL), UMK_NUD_STALE);
	int before = w->ns_unicast;
	ping_b(w, 2);
	assert_int_equal(nstate(w->a, &w->ll_b, NULL), UMK_NUD_DELAY);
	sim_run_for(w->net, 5001);
	assert_int_equal(nstate(w->a, &w->ll_b, NULL), UMK_NUD_PROBE);
	sim_run_for(w->net, 3500);
	assert_int_equal(w->ns_unicast - before, 3);
	assert_int_equal(nstate(w->a, &w->ll_b, NULL), 0);
	assert_false(nd6_probably_reachable(w->a, if_get(w->a, w->ia), &w->ll_b));
	assert_int_equal(w->replies_a, 1);
	/* B back: a new ping resolves it afresh */
	sim_port_set_connected(w->net, w->port_b, true);
	ping_b(w, 3);
	sim_run_for(w->net, 100);
	assert_int_equal(w->replies_a, 2);
	assert_int_equal(nstate(w->a, &w->ll_b, NULL), UMK_NUD_REACHABLE);
}

/* Resolution of a neighbor that never answers: 3 NSs, then unreachable. */
static void test_resolution_timeout(void **state)
{
	struct world *w = *state;
	sim_port_set_connected(w->net, w->port_b, false);
	ping_b(w, 1);
	sim_run_for(w->net, 4000);
	assert_int_equal(w->ns_seen, 3);
	assert_int_equal(w->unreach_a, 1);
	assert_int_equal(w->a->counters[CNT_ND6_RES_FAILED], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nud_peer_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolution_timeout, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
