/*
 * test_select.c - RFC 6724 source address selection (ip6/select.c), one case per rule,
 * on hand-made address lists (the interfaces stay down so addrconf adds nothing):
 *   eth0 (outgoing), eth1 (another interface)
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
#include "ip6/addrconf.h"
#include "ip6/ip6.h"

static int tx_nop(void *ctx, const void *f, size_t len) { return 0; }
static const struct umk_link_ops ops = { .transmit = tx_nop };

struct cand {
	const char *addr;
	uint8_t plen;
	int ifnum;                    /* 0 eth0, 1 eth1 */
	unsigned flags;
};

struct sel_case {
	const char *name;
	const char *dst;
	struct cand c[4];
	int n;
	int use_tempaddr;
	const char *want;             /* NULL: -EADDRNOTAVAIL */
};

#define T UMK_ADDR_F_TEMPORARY
#define D UMK_ADDR_F_DEPRECATED
static const struct sel_case cases[] = {
	{ "rule 1: same address", "2001:db8::1",
	  { { "2001:db8::2", 64 }, { "2001:db8::1", 64 } }, 2, 0, "2001:db8::1" },
	{ "rule 2: link-local for a link-local destination", "fe80::9",
	  { { "2001:db8::1", 64 }, { "fe80::1", 64 } }, 2, 0, "fe80::1" },
	{ "rule 2: global for a global destination", "2001:db8:1::9",
	  { { "fe80::1", 64 }, { "2001:db8::1", 64 } }, 2, 0, "2001:db8::1" },
	{ "rule 2: smallest scope that reaches (site over global for site dst)", "fec0::9",
	  { { "2001:db8::1", 64 }, { "fec0::1", 64 }, { "fe80::1", 64 } }, 3, 0, "fec0::1" },
	{ "rule 2: link-local for ff02::1", "ff02::1",
	  { { "2001:db8::1", 64 }, { "fe80::1", 64 } }, 2, 0, "fe80::1" },
	{ "rule 3: avoid deprecated", "2001:db8::9",
	  { { "2001:db8::1", 64, 0, D }, { "2001:db8::2", 64 } }, 2, 0, "2001:db8::2" },
	{ "rule 5: outgoing interface", "2001:db8:5::9",
	  { { "2001:db8:1::1", 64, 1 }, { "2001:db8:2::1", 64, 0 } }, 2, 0, "2001:db8:2::1" },
	{ "rule 6: matching label (ULA to ULA)", "fd00::9",
	  { { "2001:db8::1", 64 }, { "fd01::1", 64 } }, 2, 0, "fd01::1" },
	{ "rule 6: matching label (2002::/16)", "2002:c000:201::1",
	  { { "2001:db8::1", 64 }, { "2002:c000:202::1", 48 } }, 2, 0, "2002:c000:202::1" },
	{ "rule 7: public unless use_tempaddr 2", "2001:db8:9::9",
	  { { "2001:db8::1", 64, 0, T }, { "2001:db8::2", 64 } }, 2, 1, "2001:db8::2" },
	{ "rule 7: temporary with use_tempaddr 2", "2001:db8:9::9",
	  { { "2001:db8::2", 64 }, { "2001:db8::1", 64, 0, T } }, 2, 2, "2001:db8::1" },
	{ "rule 8: longest matching prefix", "2001:db8:1:2::9",
	  { { "2001:db8:ff::1", 64 }, { "2001:db8:1:3::1", 64 } }, 2, 0, "2001:db8:1:3::1" },
	{ "tentative and duplicate are not candidates", "2001:db8::9",
	  { { "2001:db8::1", 64, 0, UMK_ADDR_F_TENTATIVE },
	    { "2001:db8::2", 64, 0, UMK_ADDR_F_DADFAILED } }, 2, 0, NULL },
	{ "optimistic is a candidate (RFC 4429)", "2001:db8::9",
	  { { "2001:db8::1", 64, 0, UMK_ADDR_F_TENTATIVE | UMK_ADDR_F_OPTIMISTIC } }, 1, 0,
	  "2001:db8::1" },
	{ "link-local of another interface never", "fe80::9",
	  { { "fe80::1", 64, 1 } }, 1, 0, NULL },
};

static void test_select_cases(void **state)
{
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct sel_case *c = &cases[k];
		struct umk_stack_config cfg;
		umk_stack_config_defaults(&cfg);
		struct umk_stack *s = umk_stack_new(&cfg, 1000);
		struct umk_if *ifs[2];
		for (int i = 0; i < 2; i++) {
			struct umk_if_params p = { .name = i ? "eth1" : "eth0", .mtu = 1500,
						   .ops = &ops, .lladdr = { 2, 0, 0, 0, 0, (uint8_t)i } };
			ifs[i] = if_get(s, umk_if_add(s, &p));
			ifs[i]->conf.use_tempaddr = c->use_tempaddr;
		}
		struct in6_ifaddr ia[4];
		memset(ia, 0, sizeof(ia));
		struct in6_ifaddr *saved[2] = { ifs[0]->addrs, ifs[1]->addrs };
		for (int i = 0; i < c->n; i++) {
			inet_pton(AF_INET6, c->c[i].addr, &ia[i].addr);
			ia[i].plen = c->c[i].plen;
			ia[i].flags = c->c[i].flags;
			ia[i].ifp = ifs[c->c[i].ifnum];
			ia[i].scope = (uint8_t)in6_scope(&ia[i].addr);
			ia[i].valid_until = ia[i].preferred_until = UMK_TIME_NEVER;
			ia[i].next = ia[i].ifp->addrs;
			ia[i].ifp->addrs = &ia[i];
		}
		struct in6_addr dst, src, want;
		inet_pton(AF_INET6, c->dst, &dst);
		int r = ip6_select_source(s, ifs[0], &dst, &src);
		print_message("case: %s\n", c->name);
		if (!c->want) {
			assert_int_equal(r, -EADDRNOTAVAIL);
		} else {
			assert_int_equal(r, 0);
			inet_pton(AF_INET6, c->want, &want);
			char b[64];
			if (!IN6_ARE_ADDR_EQUAL(&src, &want))
				print_error("got %s\n", inet_ntop(AF_INET6, &src, b, sizeof(b)));
			assert_true(IN6_ARE_ADDR_EQUAL(&src, &want));
		}
		ifs[0]->addrs = saved[0];
		ifs[1]->addrs = saved[1];
		umk_stack_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
