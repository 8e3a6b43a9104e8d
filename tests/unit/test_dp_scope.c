/*
 * test_dp_scope.c - multicast scopes and source rules on the way out and in:
 *   RFC 4291 2.7  reserved scopes 0 and f are never originated
 *   RFC 4291 2.7  interface-local multicast (ff01::/16) stays on the node; ff01::1 is ours
 *   RFC 4291 2.8  a router also answers ff01::2
 *   RFC 4291 2.6.1 a router answers the Subnet-Router anycast address of its prefixes
 *   RFC 4443 4.2  the reply to a multicast echo comes from the receiving interface
 *   RFC 4862 5.4  no ICMPv6 error about a packet sent to a tentative address
 * Topology: one stack, interfaces recorded by the harness (no peer stack).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dp_harness.h"
#include "ip6/addrconf.h"
#include "ip6/mld6.h"
#include "wire/nd.h"

static int n_events;
static struct umk_echo_event last_event;

static void on_echo(void *ctx, const struct umk_echo_event *ev)
{
	n_events++;
	last_event = *ev;
}

static void test_reserved_scopes_not_sent(void **state)
{
	dp_setup(true);
	static const char *const groups[] = { "ff00::1", "ff0f::1", "ff00::2:1", "ff0f::abcd" };
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		struct in6_addr g = A(groups[i]);
		int r = umk_echo_send(H.s, &g, 0, H.ifx, 1, (uint16_t)i, 8, 0);
		assert_true(r < 0);
	}
	assert_int_equal(H.n, 0);
	assert_int_equal(H.s->counters[CNT_IP6_OUT_DROP_MCAST_SCOPE], 4);
	dp_teardown();
}

static void test_reserved_scope_dropped_on_input(void **state)
{
	dp_setup(true);
	uint8_t f[128], echo[16] = { ICMP6_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1 };
	struct in6_addr src = A("2001:db8::2"), dst = A("ff0f::1");
	static const uint8_t mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	dp_icmp_csum(echo, sizeof(echo), &src, &dst);
	size_t n = dp_frame(f, mac, &src, &dst, IPPROTO6_ICMPV6, 64, echo, sizeof(echo));
	umk_input(H.s, H.ifx, f, n);
	assert_int_equal(H.n, 0);
	assert_int_equal(H.s->counters[CNT_IP6_DROP_DST_SCOPE0], 1);
	dp_teardown();
}

static void test_interface_local_stays_home(void **state)
{
	dp_setup(true);
	umk_echo_set_handler(H.s, on_echo, NULL);
	n_events = 0;
	struct in6_addr g = A("ff01::1");
	assert_int_equal(umk_echo_send(H.s, &g, H.ifx, H.ifx, 7, 1, 16, 0), 0);
	umk_timers_run(H.s, 2000);
	/* nothing for ff01::/16 on the link (MLD retransmissions may be there) */
	for (int i = 0; i < H.n; i++) {
		struct dp_seen v;
		assert_int_equal(dp_parse(i, &v), 0);
		assert_false(v.ip.dst.s6_addr[0] == 0xff && (v.ip.dst.s6_addr[1] & 0x0f) == 1);
		assert_false(v.chain.nxt == IPPROTO6_ICMPV6 && v.l4[0] == ICMP6_ECHO_REQUEST);
	}
	assert_int_equal(n_events, 1);            /* but we answered ourselves */
	assert_int_equal(last_event.icmp_type, ICMP6_ECHO_REPLY);
	assert_int_equal(last_event.ident, 7);
	dp_teardown();
}

/* RFC 4291 2.8: a router recognizes ff01::2 as its own; a host does not */
static void test_iflocal_all_routers(void **state)
{
	dp_setup(true);
	umk_echo_set_handler(H.s, on_echo, NULL);
	struct in6_addr g = A("ff01::2");
	n_events = 0;
	assert_int_equal(umk_echo_send(H.s, &g, H.ifx, H.ifx, 8, 1, 16, 0), 0);
	assert_int_equal(n_events, 0);
	assert_int_equal(umk_conf_set(H.s, H.ifx, "forwarding", 1), 0);
	assert_int_equal(umk_echo_send(H.s, &g, H.ifx, H.ifx, 8, 2, 16, 0), 0);
	assert_int_equal(n_events, 1);
	assert_int_equal(last_event.icmp_type, ICMP6_ECHO_REPLY);
	dp_teardown();
}

/* An echo request from the peer to dst; 0 when it drew an echo reply (its source in *from). */
static int echo_to(const char *src_s, const char *dst_s, struct in6_addr *from)
{
	uint8_t f[128], echo[16] = { ICMP6_ECHO_REQUEST, 0, 0, 0, 0, 9, 0, 1 };
	struct in6_addr src = A(src_s), dst = A(dst_s);
	dp_icmp_csum(echo, sizeof(echo), &src, &dst);
	size_t n = dp_frame(f, MAC_US, &src, &dst, IPPROTO6_ICMPV6, 64, echo, sizeof(echo));
	dp_clear();
	umk_input(H.s, H.ifx, f, n);
	struct dp_seen v;
	if (dp_find_icmp(ICMP6_ECHO_REPLY, &v) < 0)
		return -1;
	assert_memory_equal(&v.ip.dst, &src, 16);
	*from = v.ip.src;
	return 0;
}

/* RFC 4291 2.6.1: a router owns prefix:: of each prefix of its forwarding interfaces; the
 * echo reply comes from a unicast address of the interface (RFC 4443 4.2). A host does
 * not, nor does a router for what is not exactly the prefix with a zero rest, nor for a
 * /127 (RFC 6164 6). */
static void test_subnet_router_anycast(void **state)
{
	dp_setup(true);
	struct in6_addr from, p127 = A("2001:db8:7::1"), p60 = A("2001:db8:6:15::1");
	struct in6_addr p126 = A("2001:db8:5::5");
	assert_int_equal(umk_addr_add(H.s, H.ifx, &p127, 127), 0);
	assert_int_equal(umk_addr_add(H.s, H.ifx, &p60, 60), 0);
	assert_int_equal(umk_addr_add(H.s, H.ifx, &p126, 126), 0);
	umk_timers_run(H.s, 100);
	/* a host: not ours */
	uint64_t not_ours = H.s->counters[CNT_IP6_DROP_NOT_OURS];
	assert_int_equal(echo_to("2001:db8::2", "2001:db8::", &from), -1);
	assert_int_equal(H.s->counters[CNT_IP6_DROP_NOT_OURS], not_ours + 1);

	assert_int_equal(umk_conf_set(H.s, H.ifx, "forwarding", 1), 0);
	uint64_t fwd = H.s->counters[CNT_IP6_IN_FORW_DATAGRAMS];
	assert_int_equal(echo_to("2001:db8::2", "2001:db8::", &from), 0);
	struct in6_addr anycast = A("2001:db8::");
	assert_memory_not_equal(&from, &anycast, 16);
	struct in6_ifaddr *ia = in6_addr_find(H.s, if_get(H.s, H.ifx), &from);
	assert_non_null(ia);
	assert_false(IN6_IS_ADDR_LINKLOCAL(&from));
	assert_int_equal(H.s->counters[CNT_FWD_IN_SUBNET_ROUTER_ANYCAST], 1);
	assert_int_equal(H.s->counters[CNT_IP6_IN_FORW_DATAGRAMS], fwd);   /* not forwarded */
	/* the link-local prefix's anycast, fe80::, on its link */
	assert_int_equal(echo_to("fe80::2", "fe80::", &from), 0);
	assert_true(IN6_IS_ADDR_LINKLOCAL(&from));
	/* a neighbor's address and another prefix's zero IID are transit traffic */
	assert_int_equal(echo_to("2001:db8::2", "2001:db8::4", &from), -1);
	assert_int_equal(echo_to("2001:db8::2", "2001:db8:1::", &from), -1);
	/* the /127's "anycast" is the other end's address */
	assert_int_equal(echo_to("2001:db8::2", "2001:db8:7::", &from), -1);
	assert_int_equal(H.s->counters[CNT_IP6_IN_FORW_DATAGRAMS], fwd + 3);
	assert_int_equal(H.s->counters[CNT_FWD_IN_SUBNET_ROUTER_ANYCAST], 2);
	/* prefixes not on a byte boundary: /60 ends in the middle of a byte, /126 has two
	 * zero bits; one bit set past either prefix is someone else */
	assert_int_equal(echo_to("2001:db8::2", "2001:db8:6:10::", &from), 0);
	assert_int_equal(echo_to("2001:db8::2", "2001:db8:5::4", &from), 0);
	assert_int_equal(echo_to("2001:db8::2", "2001:db8:6:18::", &from), -1);
	assert_int_equal(echo_to("2001:db8::2", "2001:db8:5::8", &from), -1);
	assert_int_equal(H.s->counters[CNT_FWD_IN_SUBNET_ROUTER_ANYCAST], 4);
	assert_int_equal(H.s->counters[CNT_IP6_IN_FORW_DATAGRAMS], fwd + 5);

	/* on-link hosts find it by ND: an NS to its solicited-node group ff02::1:ff00:0 is
	 * answered with an NA for the anycast target, O=0 (RFC 4861 7.2.4), R=1, from a
	 * unicast address */
	struct in6_addr snm = A("ff02::1:ff00:0"), peer = A("2001:db8::2");
	assert_true(mld_is_member(H.s, if_get(H.s, H.ifx), &snm));
	uint8_t f[128], ns[32] = { ND_NEIGHBOR_SOLICIT, 0, 0, 0, 0, 0, 0, 0 };
	memcpy(ns + 8, &anycast, 16);
	ns[24] = ND_OPT_SOURCE_LLADDR;
	ns[25] = 1;
	memcpy(ns + 26, MAC_PEER, 6);
	dp_icmp_csum(ns, sizeof(ns), &peer, &snm);
	static const uint8_t snm_mac[6] = { 0x33, 0x33, 0xff, 0, 0, 0 };
	size_t n = dp_frame(f, snm_mac, &peer, &snm, IPPROTO6_ICMPV6, 255, ns, sizeof(ns));
	dp_clear();
	umk_input(H.s, H.ifx, f, n);
	struct dp_seen v;
	assert_true(dp_find_icmp(ND_NEIGHBOR_ADVERT, &v) >= 0);
	assert_memory_equal(&v.ip.dst, &peer, 16);
	assert_memory_not_equal(&v.ip.src, &anycast, 16);
	assert_int_equal(v.ip.hlim, 255);
	struct nd_msg na;
	assert_int_equal(nd_parse(v.l4, v.l4_len, &na), ND_PARSE_OK);
	assert_memory_equal(&na.target, &anycast, 16);
	assert_int_equal(na.na_flags & ND_NA_F_OVERRIDE, 0);
	assert_true(na.na_flags & ND_NA_F_SOLICITED);
	assert_true(na.na_flags & ND_NA_F_ROUTER);
	/* and a host does not answer it */
	assert_int_equal(umk_conf_set(H.s, H.ifx, "forwarding", 0), 0);
	assert_false(mld_is_member(H.s, if_get(H.s, H.ifx), &snm));
	dp_clear();
	umk_input(H.s, H.ifx, f, n);
	assert_int_equal(dp_find_icmp(ND_NEIGHBOR_ADVERT, &v), -1);
	dp_teardown();
}

static void test_mcast_echo_reply_from_receiving_interface(void **state)
{
	dp_setup(false);
	/* eth0 has only its link-local; eth1 has a global address that would match better */
	struct umk_if_params p = { .name = "eth1", .mtu = 1500, .ops = &dp_ops };
	p.lladdr[0] = 2;
	p.lladdr[5] = 9;
	int if1 = umk_if_add(H.s, &p);
	if_get(H.s, if1)->conf.dad_transmits = 0;
	umk_if_up(H.s, if1);
	struct in6_addr ll = A("fe80::1"), other = A("2001:db8:9::1"), peer = A("2001:db8::2");
	struct in6_addr net = A("2001:db8::");
	assert_int_equal(umk_addr_add(H.s, H.ifx, &ll, 64), 0);
	assert_int_equal(umk_addr_add(H.s, if1, &other, 64), 0);
	assert_int_equal(umk_route_add(H.s, &net, 64, NULL, H.ifx, 1), 0);
	umk_neigh_add(H.s, H.ifx, &peer, MAC_PEER, false);
	umk_timers_run(H.s, 2000);
	dp_clear();

	uint8_t f[128], echo[16] = { ICMP6_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1 };
	struct in6_addr dst = A("ff02::1");
	static const uint8_t mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	dp_icmp_csum(echo, sizeof(echo), &peer, &dst);
	size_t n = dp_frame(f, mac, &peer, &dst, IPPROTO6_ICMPV6, 64, echo, sizeof(echo));
	umk_input(H.s, H.ifx, f, n);
	struct dp_seen v;
	int i = dp_find_icmp(ICMP6_ECHO_REPLY, &v);
	assert_true(i >= 0);
	/* any address of eth0 (it has its own stable link-local too), none of eth1 */
	struct in6_ifaddr *ia = in6_addr_find(H.s, if_get(H.s, H.ifx), &v.ip.src);
	assert_non_null(ia);
	assert_ptr_equal(ia->ifp, if_get(H.s, H.ifx));
	dp_teardown();
}

static void test_no_error_about_tentative_destination(void **state)
{
	dp_setup(true);
	struct umk_if *ifp = if_get(H.s, H.ifx);
	ifp->conf.dad_transmits = 3;
	ifp->conf.retrans_time = 1000;
	struct in6_addr t = A("2001:db8::77"), src = A("2001:db8::2");
	assert_int_equal(umk_addr_add(H.s, H.ifx, &t, 64), 0);
	umk_timers_run(H.s, 1001);
	dp_clear();
	/* an unknown next header would earn a Parameter Problem from a valid address */
	uint8_t f[128], body[8] = { 0 };
	size_t n = dp_frame(f, MAC_US, &src, &t, 253, 64, body, sizeof(body));
	umk_input(H.s, H.ifx, f, n);
	struct dp_seen v;
	assert_int_equal(dp_find_icmp(ICMP6_PARAM_PROB, &v), -1);
	/* the same to the valid address is answered: the rule is about the tentative one */
	struct in6_addr g = A("2001:db8::1");
	n = dp_frame(f, MAC_US, &src, &g, 253, 64, body, sizeof(body));
	umk_input(H.s, H.ifx, f, n);
	assert_true(dp_find_icmp(ICMP6_PARAM_PROB, &v) >= 0);
	dp_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserved_scopes_not_sent),
		cmocka_unit_test(test_reserved_scope_dropped_on_input),
		cmocka_unit_test(test_interface_local_stays_home),
		cmocka_unit_test(test_iflocal_all_routers),
		cmocka_unit_test(test_subnet_router_anycast),
		cmocka_unit_test(test_mcast_echo_reply_from_receiving_interface),
		cmocka_unit_test(test_no_error_about_tentative_destination),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
