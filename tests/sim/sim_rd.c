/*
 * sim_rd.c - router discovery on a simulated link (RFC 4861 6.3, 8.3): a host stack and two
 * routers played by the test (they answer NS for their link-local address, advertise, and
 * R1 redirects). The host autoconfigures from R1's prefix, picks its default router by
 * preference, switches to R2 when R1 vanishes (NUD, 6.3.6), and follows a redirect.
 *
 * Topology:   H (02:..:01) ---- link L (1 ms) ----+---- R1 fe80::1 (02:..:e1), Prf high
 *                                                 +---- R2 fe80::2 (02:..:e2), Prf medium
 *             off-link destination D = 2001:db8:ff::1
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

static const uint8_t MAC_H[6] = { 2, 0, 0, 0, 0, 1 };

struct router {
	const char *ll;
	uint8_t mac[6];
	bool alive;
	int echoes;                   /* echo requests to D that reached this router */
};

struct world {
	struct sim_net *net;
	struct umk_stack *h;
	int ih, port_h, link;
	struct router r[2];
	bool redirect_to_r2;          /* R1 redirects D to R2 */
	int redirects_sent;
};

static const struct in6_addr *dst_d(void)
{
	static struct in6_addr d;
	d = ndt_addr("2001:db8:ff::1");
	return &d;
}

static void router_send(struct world *w, struct router *r, const uint8_t *dmac,
			const struct in6_addr *dst, const struct nd_msg *m)
{
	uint8_t f[1600];
	struct in6_addr src = ndt_addr(r->ll);
	size_t n = ndt_frame(f, sizeof(f), dmac, r->mac, &src, dst, 255, m);
	assert_true(n > 0);
	sim_inject(w->net, w->link, f, n);
}

static void send_ra(struct world *w, struct router *r, uint16_t lifetime, uint8_t prf,
		    bool prefix)
{
	struct nd_msg m;
	memset(&m, 0, sizeof(m));
	m.type = ND_ROUTER_ADVERT;
	m.cur_hop_limit = 64;
	m.router_lifetime = lifetime;
	m.ra_flags = (uint8_t)(prf << ND_RA_PRF_SHIFT);
	m.opts.has_sllao = true;
	memcpy(m.opts.sllao, r->mac, 6);
	if (prefix) {
		m.opts.n_prefix = 1;
		m.opts.prefix[0] = (struct nd_opt_prefix){ ndt_addr("2001:db8:1::"), 64,
							   ND_PIO_F_ONLINK | ND_PIO_F_AUTO,
							   86400, 14400 };
	}
	struct in6_addr an = ndt_addr("ff02::1");
	router_send(w, r, NULL, &an, &m);
}

static void watch(void *ctx, int link, int from, const uint8_t *f, size_t len, umk_time_t now)
{
	struct world *w = ctx;
	if (from != w->port_h)
		return;
	struct ndt_seen sn;
	if (ndt_parse(f, len, &sn) && sn.m.type == ND_NEIGHBOR_SOLICIT &&
	    !IN6_IS_ADDR_UNSPECIFIED(&sn.src)) {
		for (int i = 0; i < 2; i++) {
			struct router *r = &w->r[i];
			struct in6_addr a = ndt_addr(r->ll);
			if (!r->alive || memcmp(&a, &sn.m.target, 16) != 0)
				continue;
			struct nd_msg na;
			memset(&na, 0, sizeof(na));
			na.type = ND_NEIGHBOR_ADVERT;
			na.target = a;
			na.na_flags = ND_NA_F_ROUTER | ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE;
			na.opts.has_tllao = true;
			memcpy(na.opts.tllao, r->mac, 6);
			router_send(w, r, sn.smac, &sn.src, &na);
		}
		return;
	}
	if (!ndt_is_icmp6(f, len, 128) || memcmp(f + 38, dst_d(), 16) != 0)
		return;
	for (int i = 0; i < 2; i++) {
		struct router *r = &w->r[i];
		if (memcmp(f, r->mac, 6) != 0 || !r->alive)
			continue;
		r->echoes++;
		if (i == 0 && w->redirect_to_r2) {
			/* RFC 4861 8.2: R1 tells H that R2 is the better first hop for D */
			struct nd_msg rd;
			memset(&rd, 0, sizeof(rd));
			rd.type = ND_REDIRECT;
			rd.target = ndt_addr(w->r[1].ll);
			rd.dest = *dst_d();
			rd.opts.has_tllao = true;
			memcpy(rd.opts.tllao, w->r[1].mac, 6);
			rd.opts.redir = f + 14;
			rd.opts.redir_len = len - 14 > 200 ? 200 : len - 14;
			struct in6_addr hsrc;
			memcpy(&hsrc, f + 22, 16);
			struct in6_ifaddr *ll = in6_linklocal(w->h, if_get(w->h, w->ih));
			router_send(w, r, MAC_H, &ll->addr, &rd);
			w->redirects_sent++;
		}
	}
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	w->r[0] = (struct router){ "fe80::1", { 2, 0, 0, 0, 0, 0xe1 }, true, 0 };
	w->r[1] = (struct router){ "fe80::2", { 2, 0, 0, 0, 0, 0xe2 }, true, 0 };
	w->net = sim_net_new(11);
	w->link = sim_link_new(w->net, 1, 0.0);
	w->h = sim_stack_new(w->net, NULL);
	w->ih = sim_attach(w->net, w->link, w->h, "eth0", MAC_H, 1500, &w->port_h);
	sim_watch(w->net, watch, w);
	umk_if_up(w->h, w->ih);
	sim_run_for(w->net, 3000);
	send_ra(w, &w->r[0], 1800, ND_PRF_HIGH, true);
	send_ra(w, &w->r[1], 1800, ND_PRF_MEDIUM, false);
	sim_run_for(w->net, 5000); /* SLAAC address through DAD */
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

static int router_count(void *ctx, const struct nd6_router_info *ri)
{
	(*(int *)ctx)++;
	return 0;
}

static void ping_d(struct world *w, uint16_t seq)
{
	umk_echo_send(w->h, dst_d(), 0, 0, 9, seq, 16, 0);
	sim_run_for(w->net, 50);
}

static void test_default_router_switch(void **state)
{
	struct world *w = *state;
	int n = 0;
	nd6_router_list(w->h, if_get(w->h, w->ih), router_count, &n);
	assert_int_equal(n, 2);
	/* RFC 4191: the high-preference router first */
	ping_d(w, 1);
	assert_int_equal(w->r[0].echoes, 1);
	assert_int_equal(w->r[1].echoes, 0);
	/* R1 vanishes: it stops answering; NUD on the host finds out (DELAY 5 s, 3 probes) */
	w->r[0].alive = false;
	sim_run_for(w->net, 46000); /* R1's entry goes STALE */
	for (int i = 2; i < 14; i++) {
		ping_d(w, (uint16_t)i);
		sim_run_for(w->net, 1000);
	}
	/* 6.3.6: R1 is known unreachable, so traffic goes to R2 */
	ping_d(w, 20);
	ping_d(w, 21);
	assert_true(w->r[1].echoes >= 2);
	assert_int_equal(w->h->counters[CNT_ND6_NUD_PROBE_FAILED], 1);
}

static void test_router_lifetime_zero(void **state)
{
	struct world *w = *state;
	/* R1 withdraws (lifetime 0): R2 takes over at once */
	send_ra(w, &w->r[0], 0, ND_PRF_HIGH, false);
	sim_run_for(w->net, 10);
	int n = 0;
	nd6_router_list(w->h, if_get(w->h, w->ih), router_count, &n);
	assert_int_equal(n, 1);
	ping_d(w, 1);
	assert_int_equal(w->r[0].echoes, 0);
	assert_int_equal(w->r[1].echoes, 1);
}

static void test_redirect_followed(void **state)
{
	struct world *w = *state;
	w->redirect_to_r2 = true;
	ping_d(w, 1);
	assert_int_equal(w->r[0].echoes, 1);
	assert_int_equal(w->redirects_sent, 1);
	assert_int_equal(w->h->counters[CNT_ND6_RD_APPLIED], 1);
	ping_d(w, 2);
	ping_d(w, 3);
	assert_int_equal(w->r[0].echoes, 1);
	assert_int_equal(w->r[1].echoes, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_router_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_router_lifetime_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_followed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
