/*
 * sim_dad.c - Duplicate Address Detection between stacks (RFC 4862 5.4, RFC 7527):
 *
 *     A (02:..:0a) ----[ link, 1 ms ]---- B (02:..:0b)
 *                         |
 *                   test injects / watches frames
 *
 * - a manual address already used by A: B's probe is answered, B's copy fails, A keeps it;
 * - both add the same address at once: each hears the other's probe, both fail;
 * - A's own probe reflected back by the link (same nonce) is not a duplicate;
 * - the same MAC in EUI-64 mode: the later link-local is a duplicate, IP is disabled there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <sim.h>
#include <umikame/mgmt.h>

#include "core/stack_int.h"

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0x0a }, mac_b[6] = { 2, 0, 0, 0, 0, 0x0b };

struct fx {
	struct sim_net *net;
	int link, port_a, port_b;
	struct umk_stack *a, *b;
	int ifa, ifb;
	/* the watcher keeps A's last DAD probe */
	uint8_t probe[256];
	size_t probe_len;
};

static struct fx fx;

/* A DAD probe: IPv6 from ::, ICMPv6 type 135. */
static void watch(void *ctx, int link, int from, const uint8_t *f, size_t len, umk_time_t now)
{
	struct fx *x = ctx;
	if (from != x->port_a || len < 14 + 40 + 24 || len > sizeof(x->probe))
		return;
	static const uint8_t unspec[16];
	if (f[12] != 0x86 || f[13] != 0xdd || f[14 + 6] != 58 || f[14 + 40] != 135 ||
	    memcmp(f + 14 + 8, unspec, 16) != 0)
		return;
	memcpy(x->probe, f, len);
	x->probe_len = len;
}

static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	fx.net = sim_net_new(42);
	fx.link = sim_link_new(fx.net, 1, 0.0);
	fx.a = sim_stack_new(fx.net, NULL);
	fx.b = sim_stack_new(fx.net, NULL);
	fx.ifa = sim_attach(fx.net, fx.link, fx.a, "eth0", mac_a, 1500, &fx.port_a);
	fx.ifb = sim_attach(fx.net, fx.link, fx.b, "eth0", mac_b, 1500, &fx.port_b);
	assert_true(fx.ifa > 0 && fx.ifb > 0);
	sim_watch(fx.net, watch, &fx);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	sim_net_free(fx.net);
	return 0;
}

struct find { struct in6_addr addr; bool found; unsigned flags; };
static int find_cb(void *ctx, const struct umk_addr_info *ai)
{
	struct find *f = ctx;
	if (IN6_ARE_ADDR_EQUAL(&ai->addr, &f->addr)) {
		f->found = true;
		f->flags = ai->flags;
	}
	return 0;
}

static unsigned flags_of(struct umk_stack *s, int ifindex, const struct in6_addr *a)
{
	struct find f = { .addr = *a };
	umk_addr_list(s, ifindex, find_cb, &f);
	assert_true(f.found);
	return f.flags;
}

/* Returns the first link-local address of the interface and its flags. */
struct ll { struct in6_addr addr; unsigned flags; bool found; };
static int ll_cb(void *ctx, const struct umk_addr_info *ai)
{
	struct ll *l = ctx;
	if (!l->found && ai->scope == UMK_SCOPE_LINK) {
		l->addr = ai->addr;
		l->flags = ai->flags;
		l->found = true;
	}
	return 0;
}

static void up_both(void)
{
	umk_if_up(fx.a, fx.ifa);
	umk_if_up(fx.b, fx.ifb);
	sim_run_for(fx.net, 5000);
}

static void test_manual_duplicate(void **state)
{
	up_both();
	struct in6_addr x;
	inet_pton(AF_INET6, "2001:db8::1", &x);
	assert_int_equal(umk_addr_add(fx.a, fx.ifa, &x, 64), 0);
	sim_run_for(fx.net, 2000);
	assert_int_equal(flags_of(fx.a, fx.ifa, &x), UMK_ADDR_F_PERMANENT);
	assert_int_equal(umk_addr_add(fx.b, fx.ifb, &x, 64), 0);
	sim_run_for(fx.net, 3000);
	assert_true(flags_of(fx.b, fx.ifb, &x) & UMK_ADDR_F_DADFAILED);
	assert_int_equal(flags_of(fx.a, fx.ifa, &x), UMK_ADDR_F_PERMANENT);
	assert_int_equal(fx.b->counters[CNT_AC_DAD_DUP_NA], 1);
}

/* RFC 4862 5.4.3: both probing at once, each sees the other's NS from ::: both fail. */
static void test_dad_race(void **state)
{
	up_both();
	struct in6_addr x;
	inet_pton(AF_INET6, "2001:db8::2", &x);
	assert_int_equal(umk_addr_add(fx.a, fx.ifa, &x, 64), 0);
	assert_int_equal(umk_addr_add(fx.b, fx.ifb, &x, 64), 0);
	sim_run_for(fx.net, 3000);
	assert_true(flags_of(fx.a, fx.ifa, &x) & UMK_ADDR_F_DADFAILED);
	assert_true(flags_of(fx.b, fx.ifb, &x) & UMK_ADDR_F_DADFAILED);
	assert_int_equal(fx.a->counters[CNT_AC_DAD_DUP_NS], 1);
	assert_int_equal(fx.b->counters[CNT_AC_DAD_DUP_NS], 1);
}

/* RFC 7527: a link that loops A's probe back (same nonce) does not make it a duplicate. */
static void test_looped_probe(void **state)
{
	sim_port_set_connected(fx.net, fx.port_b, false);
	umk_if_up(fx.a, fx.ifa);
	sim_run_for(fx.net, 5000);
	struct in6_addr x;
	inet_pton(AF_INET6, "2001:db8::3", &x);
	fx.a->ifs[fx.ifa]->conf.dad_transmits = 2;
	fx.probe_len = 0;
	assert_int_equal(umk_addr_add(fx.a, fx.ifa, &x, 64), 0);
	sim_run_for(fx.net, 10);
	assert_true(fx.probe_len > 0);
	sim_inject(fx.net, fx.link, fx.probe, fx.probe_len);
	sim_run_for(fx.net, 3000);
	assert_int_equal(flags_of(fx.a, fx.ifa, &x), UMK_ADDR_F_PERMANENT);
	assert_int_equal(fx.a->counters[CNT_AC_DAD_LOOPED_NS], 1);
	/* a probe with another nonce (byte changed) is a real duplicate */
	struct in6_addr y;
	inet_pton(AF_INET6, "2001:db8::4", &y);
	fx.probe_len = 0;
	assert_int_equal(umk_addr_add(fx.a, fx.ifa, &y, 64), 0);
	sim_run_for(fx.net, 10);
	assert_true(fx.probe_len > 0);
	/* the nonce option (RFC 7527) ends the probe: flip a nonce byte, redo the checksum */
	fx.probe[fx.probe_len - 1] ^= 0x01;
	fx.probe[14 + 42] = fx.probe[14 + 43] = 0;
	size_t plen = fx.probe_len - 54;
	uint32_t acc = 0;
	for (int i = 0; i < 32; i += 2)
		acc += (uint32_t)(fx.probe[14 + 8 + i] << 8 | fx.probe[14 + 9 + i]);
	acc += (uint32_t)plen + 58;
	for (size_t i = 0; i < plen; i += 2)
		acc += (uint32_t)(fx.probe[54 + i] << 8 | (i + 1 < plen ? fx.probe[55 + i] : 0));
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	uint16_t ck = (uint16_t)~acc;
	fx.probe[14 + 42] = (uint8_t)(ck >> 8);
	fx.probe[14 + 43] = (uint8_t)ck;
	sim_inject(fx.net, fx.link, fx.probe, fx.probe_len);
	sim_run_for(fx.net, 3000);
	assert_true(flags_of(fx.a, fx.ifa, &y) & UMK_ADDR_F_DADFAILED);
}

/* Same MAC, EUI-64 link-locals: the later one is a duplicate (RFC 4862 5.4.5). */
static void test_same_mac_linklocal(void **state)
{
	sim_net_free(fx.net);
	memset(&fx, 0, sizeof(fx));
	fx.net = sim_net_new(43);
	fx.link = sim_link_new(fx.net, 1, 0.0);
	fx.a = sim_stack_new(fx.net, NULL);
	fx.b = sim_stack_new(fx.net, NULL);
	fx.ifa = sim_attach(fx.net, fx.link, fx.a, "eth0", mac_a, 1500, &fx.port_a);
	fx.ifb = sim_attach(fx.net, fx.link, fx.b, "eth0", mac_a, 1500, &fx.port_b);
	fx.a->ifs[fx.ifa]->conf.addr_gen_mode = 1;
	fx.b->ifs[fx.ifb]->conf.addr_gen_mode = 1;
	umk_if_up(fx.a, fx.ifa);
	sim_run_for(fx.net, 5000);
	umk_if_up(fx.b, fx.ifb);
	sim_run_for(fx.net, 5000);
	struct ll la = { 0 }, lb = { 0 };
	umk_addr_list(fx.a, fx.ifa, ll_cb, &la);
	umk_addr_list(fx.b, fx.ifb, ll_cb, &lb);
	assert_true(la.found && lb.found);
	assert_memory_equal(&la.addr, &lb.addr, 16);
	assert_false(la.flags & UMK_ADDR_F_DADFAILED);
	assert_true(lb.flags & UMK_ADDR_F_DADFAILED);
	assert_int_equal(fx.b->counters[CNT_AC_IP_DISABLED], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_manual_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dad_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_looped_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_mac_linklocal, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
