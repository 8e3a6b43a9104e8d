/*
 * sim_slaac.c - stateless address autoconfiguration end to end (RFC 4862 5.5, RFC 8981):
 *
 *     test "router" (injects RAs) ----[ link, 1 ms ]---- H (eth0)
 *
 * A hand-built Router Advertisement with a Prefix Information option goes through H's whole
 * input path (Ethernet, IPv6, ICMPv6, ND) to addrconf: H forms an address, runs DAD,
 * deprecates and removes it on time, applies the two-hour rule, and makes temporary
 * addresses when asked to.
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

static const uint8_t mac_h[6] = { 2, 0, 0, 0, 0, 0x0c };
static const uint8_t mac_r[6] = { 2, 0, 0, 0, 0, 0xfe };

struct fx {
	struct sim_net *net;
	int link;
	struct umk_stack *h;
	int ifh;
};
static struct fx fx;

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Ethernet + IPv6 (hop limit 255, fe80::1 -> ff02::1) + RA with SLLAO and one PIO. */
static void inject_ra(const char *prefix, uint8_t plen, uint8_t pio_flags, uint32_t valid,
		      uint32_t preferred)
{
	uint8_t f[14 + 40 + 16 + 8 + 32];
	memset(f, 0, sizeof(f));
	static const uint8_t dmac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	memcpy(f, dmac, 6);
	memcpy(f + 6, mac_r, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14, *icmp = ip + 40;
	size_t ilen = 16 + 8 + 32;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(ilen >> 8);
	ip[5] = (uint8_t)ilen;
	ip[6] = 58;
	ip[7] = 255;
	inet_pton(AF_INET6, "fe80::1", ip + 8);
	inet_pton(AF_INET6, "ff02::1", ip + 24);
	icmp[0] = 134;
	icmp[4] = 64;                     /* Cur Hop Limit */
	icmp[6] = 0x07;                   /* Router Lifetime 1800 */
	icmp[7] = 0x08;
	uint8_t *o = icmp + 16;
	o[0] = 1;                         /* Source Link-Layer Address */
	o[1] = 1;
	memcpy(o + 2, mac_r, 6);
	o += 8;
	o[0] = 3;                         /* Prefix Information */
	o[1] = 4;
	o[2] = plen;
	o[3] = pio_flags;
	put32(o + 4, valid);
	put32(o + 8, preferred);
	inet_pton(AF_INET6, prefix, o + 16);
	uint32_t acc = 0;
	for (int i = 0; i < 32; i += 2)
		acc += (uint32_t)(ip[8 + i] << 8 | ip[9 + i]);
	acc += (uint32_t)ilen + 58;
	for (size_t i = 0; i < ilen; i += 2)
		acc += (uint32_t)(icmp[i] << 8 | icmp[i + 1]);
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	icmp[2] = (uint8_t)(~acc >> 8);
	icmp[3] = (uint8_t)~acc;
	sim_inject(fx.net, fx.link, f, sizeof(f));
}

static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	fx.net = sim_net_new(7);
	fx.link = sim_link_new(fx.net, 1, 0.0);
	fx.h = sim_stack_new(fx.net, NULL);
	fx.ifh = sim_attach(fx.net, fx.link, fx.h, "eth0", mac_h, 1500, NULL);
	assert_true(fx.ifh > 0);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	sim_net_free(fx.net);
	return 0;
}

/* The addresses of H inside `prefix`/64. */
struct in_prefix {
	struct in6_addr prefix;
	struct umk_addr_info a[8];
	int n;
};
static int prefix_cb(void *ctx, const struct umk_addr_info *ai)
{
	struct in_prefix *p = ctx;
	if (memcmp(ai->addr.s6_addr, p->prefix.s6_addr, 8) == 0 && p->n < 8)
		p->a[p->n++] = *ai;
	return 0;
}

static struct in_prefix addrs_in(const char *prefix)
{
	struct in_prefix p = { .n = 0 };
	inet_pton(AF_INET6, prefix, &p.prefix);
	umk_addr_list(fx.h, fx.ifh, prefix_cb, &p);
	return p;
}

static void up(void)
{
	umk_if_up(fx.h, fx.ifh);
	sim_run_for(fx.net, 3000);
}

static void test_slaac_address(void **state)
{
	up();
	inject_ra("2001:db8:1::", 64, 0xc0, 3600, 1800);
	sim_run_for(fx.net, 10);
	struct in_prefix p = addrs_in("2001:db8:1::");
	assert_int_equal(p.n, 1);
	assert_int_equal(p.a[0].prefixlen, 64);
	assert_int_equal(p.a[0].flags, UMK_ADDR_F_AUTOCONF | UMK_ADDR_F_TENTATIVE);
	sim_run_for(fx.net, 1500);
	p = addrs_in("2001:db8:1::");
	assert_int_equal(p.a[0].flags, UMK_ADDR_F_AUTOCONF);
	assert_true(p.a[0].valid_lft <= 3600 && p.a[0].valid_lft >= 3598);
	assert_true(p.a[0].preferred_lft <= 1800 && p.a[0].preferred_lft >= 1798);
	assert_int_equal(p.a[0].scope, UMK_SCOPE_GLOBAL);
	/* A=0, a /56 and a link-local prefix make nothing */
	inject_ra("2001:db8:2::", 64, 0x80, 3600, 1800);
	inject_ra("2001:db8:3::", 56, 0xc0, 3600, 1800);
	inject_ra("fe80::", 64, 0xc0, 3600, 1800);
	sim_run_for(fx.net, 10);
	assert_int_equal(addrs_in("2001:db8:2::").n, 0);
	assert_int_equal(addrs_in("2001:db8:3::").n, 0);
	assert_int_equal(fx.h->counters[CNT_AC_PIO_BAD_PLEN], 1);
	/* rd6 drops the link-local PIO before addrconf sees it (RFC 4861 6.3.4) */
	assert_int_equal(fx.h->counters[CNT_AC_PIO_LINKLOCAL] +
			 fx.h->counters[CNT_ND6_RA_PIO_LINKLOCAL], 1);
	assert_int_equal(addrs_in("fe80::").n, 1); /* only the link-local address itself */
}

/* RFC 4862 5.5.4: deprecated at the preferred lifetime, gone at the valid lifetime. */
static void test_deprecation_and_expiry(void **state)
{
	up();
	inject_ra("2001:db8:4::", 64, 0xc0, 60, 20);
	sim_run_for(fx.net, 19000);
	struct in_prefix p = addrs_in("2001:db8:4::");
	assert_int_equal(p.n, 1);
	assert_false(p.a[0].flags & UMK_ADDR_F_DEPRECATED);
	sim_run_for(fx.net, 1100);
	p = addrs_in("2001:db8:4::");
	assert_true(p.a[0].flags & UMK_ADDR_F_DEPRECATED);
	assert_int_equal(p.a[0].preferred_lft, 0);
	sim_run_for(fx.net, 40000);
	assert_int_equal(addrs_in("2001:db8:4::").n, 0);
}

/* RFC 4862 5.5.3 e): an RA cannot cut a long valid lifetime below two hours. */
static void test_two_hour_rule(void **state)
{
	up();
	inject_ra("2001:db8:5::", 64, 0xc0, 4 * 3600, 3600);
	sim_run_for(fx.net, 2000);
	inject_ra("2001:db8:5::", 64, 0xc0, 10, 5);
	sim_run_for(fx.net, 100);
	struct in_prefix p = addrs_in("2001:db8:5::");
	assert_int_equal(p.n, 1);
	assert_true(p.a[0].valid_lft >= 7199 && p.a[0].valid_lft <= 7200);
	assert_true(p.a[0].preferred_lft <= 5);
}

/* RFC 8981: with use_tempaddr, a temporary address beside the public one. */
static void test_temporary(void **state)
{
	assert_int_equal(umk_conf_set(fx.h, fx.ifh, "use_tempaddr", 1), 0);
	up();
	inject_ra("2001:db8:6::", 64, 0xc0, 86400 * 7, 86400 * 3);
	sim_run_for(fx.net, 3000);
	struct in_prefix p = addrs_in("2001:db8:6::");
	assert_int_equal(p.n, 2);
	int temps = 0;
	for (int i = 0; i < p.n; i++) {
		assert_false(p.a[i].flags & UMK_ADDR_F_TENTATIVE);
		if (p.a[i].flags & UMK_ADDR_F_TEMPORARY) {
			temps++;
			assert_true(p.a[i].valid_lft <= 2 * 86400);
			assert_true(p.a[i].preferred_lft <= 86400);
		}
	}
	assert_int_equal(temps, 1);
	assert_memory_not_equal(p.a[0].addr.s6_addr + 8, p.a[1].addr.s6_addr + 8, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slaac_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deprecation_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_hour_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temporary, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
