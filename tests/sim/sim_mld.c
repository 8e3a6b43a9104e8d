/*
 * sim_mld.c - the MLD listener on the wire (RFC 3810, RFC 2710 compatibility):
 *
 *     test "querier" (injects queries, watches) ----[ link, 1 ms ]---- H (eth0)
 *
 * Every frame H puts on the link is decoded here (Ethernet, IPv6, Hop-by-Hop, ICMPv6):
 * H reports its solicited-node group when it comes up (from :: before DAD, RFC 3810
 * 5.2.13), with hop limit 1 and a Router Alert, to ff02::16; it answers an MLDv2 General
 * Query within the Maximum Response Delay, ignores one without Router Alert, and after an
 * MLDv1 Query speaks MLDv1.
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
#include "ip6/mld6.h"
#include "wire/mld.h"

static const uint8_t mac_h[6] = { 2, 0, 0, 0, 0, 0x0d };
static const uint8_t mac_q[6] = { 2, 0, 0, 0, 0, 0xfe };

struct seen {
	umk_time_t when;
	uint8_t eth_dst[6];
	struct in6_addr src, dst;
	uint8_t hlim;
	bool rtalert;
	uint8_t msg[600];
	size_t len;
};

struct fx {
	struct sim_net *net;
	int link, port;
	struct umk_stack *h;
	int ifh;
	struct seen seen[64];
	int n;
};
static struct fx fx;

/* Keeps H's MLD messages (ICMPv6 130..132, 143), behind an optional Hop-by-Hop header. */
static void watch(void *ctx, int link, int from, const uint8_t *f, size_t len, umk_time_t now)
{
	struct fx *x = ctx;
	if (from != x->port || len < 14 + 40 || f[12] != 0x86 || f[13] != 0xdd || x->n == 64)
		return;
	const uint8_t *ip = f + 14, *end = f + len, *p = ip + 40;
	uint8_t nxt = ip[6];
	bool ra = false;
	if (nxt == 0) {
		if (end - p < 8 || end - p < (ip[41] + 1) * 8)
			return;
		const uint8_t *o = p + 2, *oend = p + (p[1] + 1) * 8;
		while (o < oend) {
			if (o[0] == 0) {
				o++;
				continue;
			}
			if (oend - o < 2)
				break;
			if (o[0] == 5)
				ra = true;
			o += 2 + o[1];
		}
		nxt = p[0];
		p = oend;
	}
	if (nxt != 58 || p >= end)
		return;
	if (p[0] != 130 && p[0] != 131 && p[0] != 132 && p[0] != 143)
		return;
	struct seen *s = &x->seen[x->n++];
	s->when = now;
	memcpy(s->eth_dst, f, 6);
	memcpy(&s->src, ip + 8, 16);
	memcpy(&s->dst, ip + 24, 16);
	s->hlim = ip[7];
	s->rtalert = ra;
	s->len = (size_t)(end - p) < sizeof(s->msg) ? (size_t)(end - p) : sizeof(s->msg);
	memcpy(s->msg, p, s->len);
}

/* Ethernet + IPv6 (fe80::1 -> ff02::1, hop limit 1) + Hop-by-Hop Router Alert + msg. */
static void inject(const uint8_t *msg, size_t mlen, bool rtalert)
{
	uint8_t f[14 + 40 + 8 + 200];
	memset(f, 0, sizeof(f));
	static const uint8_t dmac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	memcpy(f, dmac, 6);
	memcpy(f + 6, mac_q, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14, *p = ip + 40;
	size_t hbh = rtalert ? 8 : 0, plen = hbh + mlen;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = rtalert ? 0 : 58;
	ip[7] = 1;
	inet_pton(AF_INET6, "fe80::1", ip + 8);
	inet_pton(AF_INET6, "ff02::1", ip + 24);
	if (rtalert) {
		static const uint8_t h[8] = { 58, 0, 5, 2, 0, 0, 1, 0 };
		memcpy(p, h, 8);
		p += 8;
	}
	memcpy(p, msg, mlen);
	p[2] = p[3] = 0;
	uint32_t acc = 0;
	for (int i = 0; i < 32; i += 2)
		acc += (uint32_t)(ip[8 + i] << 8 | ip[9 + i]);
	acc += (uint32_t)mlen + 58;
	for (size_t i = 0; i < mlen; i += 2)
		acc += (uint32_t)(p[i] << 8 | (i + 1 < mlen ? p[i + 1] : 0));
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	p[2] = (uint8_t)(~acc >> 8);
	p[3] = (uint8_t)~acc;
	sim_inject(fx.net, fx.link, f, 14 + 40 + plen);
}

static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	fx.net = sim_net_new(9);
	fx.link = sim_link_new(fx.net, 1, 0.0);
	fx.h = sim_stack_new(fx.net, NULL);
	fx.ifh = sim_attach(fx.net, fx.link, fx.h, "eth0", mac_h, 1500, &fx.port);
	assert_true(fx.ifh > 0);
	sim_watch(fx.net, watch, &fx);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	sim_net_free(fx.net);
	return 0;
}

/* The solicited-node group of H's link-local address. */
struct ll { struct in6_addr snm; bool found; };
static int ll_cb(void *ctx, const struct umk_addr_info *ai)
{
	struct ll *l = ctx;
	if (!l->found && ai->scope == UMK_SCOPE_LINK) {
		inet_pton(AF_INET6, "ff02::1:ff00:0", &l->snm);
		memcpy(l->snm.s6_addr + 13, ai->addr.s6_addr + 13, 3);
		l->found = true;
	}
	return 0;
}

static struct in6_addr snm_of_h(void)
{
	struct ll l = { .found = false };
	umk_addr_list(fx.h, fx.ifh, ll_cb, &l);
	assert_true(l.found);
	return l.snm;
}

static bool has_record(const struct seen *s, uint8_t type, const struct in6_addr *g)
{
	struct mld_report r;
	struct mld_record rec;
	if (mld_v2_report_parse(s->msg, s->len, &r))
		return false;
	while (mld_v2_record_next(&r, &rec))
		if (rec.type == type && (!g || IN6_ARE_ADDR_EQUAL(&rec.group, g)))
			return true;
	return false;
}

static void test_reports_at_up(void **state)
{
	umk_if_up(fx.h, fx.ifh);
	sim_run_for(fx.net, 5000);
	struct in6_addr snm = snm_of_h(), all_nodes, v2r;
	inet_pton(AF_INET6, "ff02::1", &all_nodes);
	inet_pton(AF_INET6, "ff02::16", &v2r);
	int joins = 0, from_unspec = 0;
	for (int i = 0; i < fx.n; i++) {
		struct seen *s = &fx.seen[i];
		assert_int_equal(s->msg[0], MLD_V2_LISTENER_REPORT);
		assert_int_equal(s->hlim, 1);
		assert_true(s->rtalert);
		assert_memory_equal(&s->dst, &v2r, 16);
		static const uint8_t mac16[6] = { 0x33, 0x33, 0, 0, 0, 0x16 };
		assert_memory_equal(s->eth_dst, mac16, 6);
		assert_false(has_record(s, MLD_CHANGE_TO_EXCLUDE_MODE, &all_nodes));
		if (has_record(s, MLD_CHANGE_TO_EXCLUDE_MODE, &snm)) {
			joins++;
			if (IN6_IS_ADDR_UNSPECIFIED(&s->src))
				from_unspec++;
		}
	}
	/* robustness 2 from ::, then again from the link-local once DAD is done */
	assert_true(joins >= 2);
	assert_true(from_unspec >= 1);
	assert_true(IN6_IS_ADDR_LINKLOCAL(&fx.seen[fx.n - 1].src));
}

static void test_general_query(void **state)
{
	umk_if_up(fx.h, fx.ifh);
	sim_run_for(fx.net, 5000);
	struct in6_addr snm = snm_of_h();
	fx.n = 0;
	struct mld_query q = { .max_resp_code = 2000, .qrv = 2, .qqic = 125 };
	uint8_t buf[28];
	mld_v2_query_emit(buf, sizeof(buf), &q, NULL, 0);
	umk_time_t t0 = sim_now(fx.net);
	/* without Router Alert: dropped (RFC 3810 6.2) */
	inject(buf, sizeof(buf), false);
	sim_run_for(fx.net, 3000);
	assert_int_equal(fx.n, 0);
	assert_int_equal(fx.h->counters[CNT_MLD_IN_NO_RTALERT], 1);

	t0 = sim_now(fx.net);
	inject(buf, sizeof(buf), true);
	sim_run_for(fx.net, 3000);
	assert_int_equal(fx.n, 1);
	assert_true(fx.seen[0].when - t0 <= 2000 + 2);
	assert_true(has_record(&fx.seen[0], MLD_MODE_IS_EXCLUDE, &snm));
	assert_true(IN6_IS_ADDR_LINKLOCAL(&fx.seen[0].src));
}

static void test_v1_querier(void **state)
{
	umk_if_up(fx.h, fx.ifh);
	sim_run_for(fx.net, 5000);
	struct in6_addr snm = snm_of_h(), any = { 0 };
	fx.n = 0;
	uint8_t buf[24];
	mld_v1_emit(buf, sizeof(buf), MLD_LISTENER_QUERY, 1000, &any);
	inject(buf, sizeof(buf), true);
	sim_run_for(fx.net, 2000);
	assert_int_equal(fx.n, 1);
	struct mld_v1 m;
	assert_int_equal(mld_v1_parse(fx.seen[0].msg, fx.seen[0].len, &m), 0);
	assert_int_equal(m.type, MLD_V1_LISTENER_REPORT);
	assert_memory_equal(&m.group, &snm, 16);
	assert_memory_equal(&fx.seen[0].dst, &snm, 16);
	assert_true(fx.seen[0].rtalert);
	/* a new group while in v1 mode: v1 reports; leaving it: Done to ff02::2 */
	struct in6_addr g;
	inet_pton(AF_INET6, "ff0e::1234", &g);
	fx.n = 0;
	assert_int_equal(mld_join(fx.h, fx.h->ifs[fx.ifh], &g), 0);
	sim_run_for(fx.net, 2000);
	assert_true(fx.n >= 1);
	assert_int_equal(fx.seen[0].msg[0], MLD_V1_LISTENER_REPORT);
	fx.n = 0;
	assert_int_equal(mld_leave(fx.h, fx.h->ifs[fx.ifh], &g), 0);
	sim_run_for(fx.net, 10);
	assert_int_equal(fx.n, 1);
	assert_int_equal(fx.seen[0].msg[0], MLD_V1_LISTENER_DONE);
	assert_int_equal(fx.seen[0].dst.s6_addr[15], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reports_at_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_general_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_querier, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
