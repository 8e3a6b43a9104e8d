/*
 * sim_mld_ssm.c - source-specific multicast through the socket API (RFC 3678) on the wire
 * (RFC 3810 MLDv2 source records):
 *
 *     [S] eth0 ------- link (1 ms, no loss, MTU 1500) ------- eth0 [H]
 *     2001:db8::1, 2001:db8::2 (two senders)                 2001:db8::h
 *     test "querier": injects queries from fe80::1, decodes every MLD message H sends
 *
 * H's UDP socket joins (S1, G) and then changes its filter; every report on the link is
 * checked against the records expected (ALLOW / BLOCK / TO_EX / TO_IN, Robustness times,
 * to ff02::16), queries are answered with the RFC 3810 6.3 records, datagrams from a
 * source the filter refuses are not delivered to UDP or raw sockets (and counted), and the
 * RFC 3678 error rules hold.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <umikame/mgmt.h>
#include <umikame/socket.h>
#include "sim.h"

#include "core/stack_int.h"
#include "wire/mld.h"

static const uint8_t mac_h[6] = { 2, 0, 0, 0, 0, 0x0d };
static const uint8_t mac_s[6] = { 2, 0, 0, 0, 0, 0x05 };
static const uint8_t mac_q[6] = { 2, 0, 0, 0, 0, 0xfe };

#define GROUP "ff3e::4242"
#define PORT 5001

struct seen {
	umk_time_t when;
	struct in6_addr dst;
	uint8_t msg[600];
	size_t len;
};

struct fx {
	struct sim_net *net;
	int link, port_h;
	struct umk_stack *h, *snd;
	int ifh, ifs;
	struct seen seen[64];
	int n;
};
static struct fx fx;

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* Keeps H's MLD messages (behind its Hop-by-Hop header). */
static void watch(void *ctx, int link, int from, const uint8_t *f, size_t len, umk_time_t now)
{
	struct fx *x = ctx;
	if (from != x->port_h || len < 14 + 40 + 8 || f[12] != 0x86 || f[13] != 0xdd || x->n == 64)
		return;
	const uint8_t *ip = f + 14, *p = ip + 40, *end = f + len;
	if (ip[6] != 0 || end - p < (ip[41] + 1) * 8 || p[0] != 58)
		return;
	p += (ip[41] + 1) * 8;
	if (p >= end || (p[0] != 143 && p[0] != 131 && p[0] != 132))
		return;
	struct seen *s = &x->seen[x->n++];
	s->when = now;
	memcpy(&s->dst, ip + 24, 16);
	s->len = (size_t)(end - p) < sizeof(s->msg) ? (size_t)(end - p) : sizeof(s->msg);
	memcpy(s->msg, p, s->len);
}

static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	fx.net = sim_net_new(3678);
	fx.link = sim_link_new(fx.net, 1, 0.0);
	fx.h = sim_stack_new(fx.net, NULL);
	fx.snd = sim_stack_new(fx.net, NULL);
	fx.ifh = sim_attach(fx.net, fx.link, fx.h, "eth0", mac_h, 1500, &fx.port_h);
	fx.ifs = sim_attach(fx.net, fx.link, fx.snd, "eth0", mac_s, 1500, NULL);
	umk_if_up(fx.h, fx.ifh);
	umk_if_up(fx.snd, fx.ifs);
	struct in6_addr s1 = A("2001:db8::1"), s2 = A("2001:db8::2"), h = A("2001:db8::d");
	assert_int_equal(umk_addr_add(fx.snd, fx.ifs, &s1, 64), 0);
	assert_int_equal(umk_addr_add(fx.snd, fx.ifs, &s2, 64), 0);
	assert_int_equal(umk_addr_add(fx.h, fx.ifh, &h, 64), 0);
	sim_run_for(fx.net, 5000);   /* DAD, and the reports of the solicited-node groups */
	sim_watch(fx.net, watch, &fx);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	sim_net_free(fx.net);
	return 0;
}

/* ---- socket helpers ---- */

static struct sockaddr_storage SS(const char *addr)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_addr = A(addr);
	return ss;
}

/* setsockopt with a group_source_req (src NULL: a group_req); 0 or errno. */
static int opt(struct umk_stack *s, int sd, int name, uint32_t ifindex, const char *group,
	       const char *src)
{
	int r;
	if (src) {
		struct group_source_req gsr = { .gsr_interface = ifindex };
		gsr.gsr_group = SS(group);
		gsr.gsr_source = SS(src);
		r = umk_setsockopt(s, sd, IPPROTO_IPV6, name, &gsr, sizeof(gsr));
	} else {
		struct group_req gr = { .gr_interface = ifindex };
		gr.gr_group = SS(group);
		r = umk_setsockopt(s, sd, IPPROTO_IPV6, name, &gr, sizeof(gr));
	}
	return r ? errno : 0;
}

static int listener(void)
{
	int sd = umk_socket(fx.h, AF_INET6, SOCK_DGRAM, 0);
	assert_true(sd >= 0);
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons(PORT) };
	int one = 1;
	umk_setsockopt(fx.h, sd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(umk_bind(fx.h, sd, (struct sockaddr *)&any, sizeof(any)), 0);
	return sd;
}

/* S sends one datagram from src to the group. */
static void send_from(const char *src, const char *text)
{
	int sd = umk_socket(fx.snd, AF_INET6, SOCK_DGRAM, 0);
	assert_true(sd >= 0);
	struct sockaddr_in6 from = { .sin6_family = AF_INET6, .sin6_addr = A(src) };
	assert_int_equal(umk_bind(fx.snd, sd, (struct sockaddr *)&from, sizeof(from)), 0);
	int ifi = fx.ifs;
	assert_int_equal(umk_setsockopt(fx.snd, sd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi,
					sizeof(ifi)), 0);
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(PORT),
				   .sin6_addr = A(GROUP) };
	assert_int_equal(umk_sendto(fx.snd, sd, text, strlen(text), 0, (struct sockaddr *)&to,
				    sizeof(to)), (ssize_t)strlen(text));
	umk_close(fx.snd, sd);
	sim_run_for(fx.net, 20);
}

/* Every datagram queued on sd, as "src:text" lines in out. */
static void drain(int sd, char *out, size_t cap)
{
	out[0] = 0;
	char buf[64];
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	while ((n = umk_recvfrom(fx.h, sd, buf, sizeof(buf) - 1, MSG_DONTWAIT,
				 (struct sockaddr *)&from, &fl)) >= 0) {
		buf[n] = 0;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &from.sin6_addr, a, sizeof(a));
		size_t l = strlen(out);
		snprintf(out + l, cap - l, "%s:%s;", a, buf);
		fl = sizeof(from);
	}
}

/* ---- report decoding ---- */

/* The records about GROUP in seen[from..], flattened as "TYPE{srcs} " text. */
static void records_text(int from, char *out, size_t cap)
{
	struct in6_addr g = A(GROUP), v2r = A("ff02::16");
	out[0] = 0;
	for (int i = from; i < fx.n; i++) {
		struct mld_report r;
		struct mld_record rec;
		if (fx.seen[i].msg[0] != MLD_V2_LISTENER_REPORT ||
		    mld_v2_report_parse(fx.seen[i].msg, fx.seen[i].len, &r))
			continue;
		assert_memory_equal(&fx.seen[i].dst, &v2r, 16);   /* RFC 3810 5.2.14 */
		while (mld_v2_record_next(&r, &rec)) {
			if (!IN6_ARE_ADDR_EQUAL(&rec.group, &g))
				continue;
			size_t l = strlen(out);
			snprintf(out + l, cap - l, "%s{", mld_record_type_name(rec.type));
			for (unsigned k = 0; k < rec.nsrcs; k++) {
				struct in6_addr a;
				char b[INET6_ADDRSTRLEN];
				mld_source_get(rec.srcs, k, &a);
				inet_ntop(AF_INET6, &a, b, sizeof(b));
				l = strlen(out);
				snprintf(out + l, cap - l, "%s%s", k ? "," : "", b);
			}
			l = strlen(out);
			snprintf(out + l, cap - l, "} ");
		}
	}
}

/* Runs `ms` and checks the records H sent meanwhile. */
static void expect_records(uint64_t ms, const char *want)
{
	int from = fx.n;
	(void)from;
	sim_run_for(fx.net, ms);
	char got[1024];
	records_text(0, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("records: got \"%s\", want \"%s\"", got, want);
	fx.n = 0;
}

/* ---- the tests ---- */

/* A socket joins (S1, G), adds S2, drops S1, and leaves: ALLOW {S1} twice (Robustness 2,
 * RFC 3810 6.1), ALLOW {S2} twice, BLOCK {S1} twice, BLOCK {S2} twice. The filter reads
 * back through getsourcefilter. */
static void test_ssm_join_reports(void **state)
{
	int sd = listener();
	fx.n = 0;
	assert_int_equal(opt(fx.h, sd, MCAST_JOIN_SOURCE_GROUP, (uint32_t)fx.ifh, GROUP,
			     "2001:db8::1"), 0);
	assert_true(fx.n >= 1);   /* the first report leaves at once */
	expect_records(3000, "ALLOW_NEW_SOURCES{2001:db8::1} ALLOW_NEW_SOURCES{2001:db8::1} ");
	assert_int_equal(opt(fx.h, sd, MCAST_JOIN_SOURCE_GROUP, (uint32_t)fx.ifh, GROUP,
			     "2001:db8::2"), 0);
	expect_records(3000, "ALLOW_NEW_SOURCES{2001:db8::2} ALLOW_NEW_SOURCES{2001:db8::2} ");

	struct sockaddr_in6 g = { .sin6_family = AF_INET6, .sin6_addr = A(GROUP) };
	struct sockaddr_storage list[4];
	uint32_t fmode = 99, numsrc = 4;
	assert_int_equal(umk_getsourcefilter(fx.h, sd, (uint32_t)fx.ifh, (struct sockaddr *)&g,
					     sizeof(g), &fmode, &numsrc, list), 0);
	assert_int_equal(fmode, MCAST_INCLUDE);
	assert_int_equal(numsrc, 2);

	assert_int_equal(opt(fx.h, sd, MCAST_LEAVE_SOURCE_GROUP, (uint32_t)fx.ifh, GROUP,
			     "2001:db8::1"), 0);
	expect_records(3000, "BLOCK_OLD_SOURCES{2001:db8::1} BLOCK_OLD_SOURCES{2001:db8::1} ");
	assert_int_equal(opt(fx.h, sd, MCAST_LEAVE_GROUP, (uint32_t)fx.ifh, GROUP, NULL), 0);
	expect_records(3000, "BLOCK_OLD_SOURCES{2001:db8::2} BLOCK_OLD_SOURCES{2001:db8::2} ");
	umk_close(fx.h, sd);
}

/* Two sockets on the port: one INCLUDE {S1}, one any-source with S1 blocked. The
 * interface state is EXCLUDE {} (RFC 3810 4.2: {S1} minus {S1}); S1's datagram reaches only
 * the first socket, S2's only the second; each refusal is counted. */
static void test_delivery_filter(void **state)
{
	int in = listener(), ex = listener();
	assert_int_equal(opt(fx.h, in, MCAST_JOIN_SOURCE_GROUP, 0, GROUP, "2001:db8::1"), 0);
	assert_int_equal(opt(fx.h, ex, MCAST_JOIN_GROUP, 0, GROUP, NULL), 0);
	assert_int_equal(opt(fx.h, ex, MCAST_BLOCK_SOURCE, 0, GROUP, "2001:db8::1"), 0);
	sim_run_for(fx.net, 3000);
	fx.n = 0;
	uint64_t filtered = fx.h->counters[CNT_MLD_SOCK_SOURCE_FILTERED];
	send_from("2001:db8::1", "one");
	send_from("2001:db8::2", "two");
	char got[256];
	drain(in, got, sizeof(got));
	assert_string_equal(got, "2001:db8::1:one;");
	drain(ex, got, sizeof(got));
	assert_string_equal(got, "2001:db8::2:two;");
	assert_int_equal(fx.h->counters[CNT_MLD_SOCK_SOURCE_FILTERED], filtered + 2);

	/* the any-source socket goes: the interface is INCLUDE {S1}, told as TO_IN {S1} */
	umk_close(fx.h, ex);
	expect_records(3000, "CHANGE_TO_INCLUDE_MODE{2001:db8::1} CHANGE_TO_INCLUDE_MODE{2001:db8::1} ");
	send_from("2001:db8::2", "three");
	drain(in, got, sizeof(got));
	assert_string_equal(got, "");
	/* and the last: BLOCK {S1} */
	umk_close(fx.h, in);
	expect_records(3000, "BLOCK_OLD_SOURCES{2001:db8::1} BLOCK_OLD_SOURCES{2001:db8::1} ");
}

/* Raw sockets too (RFC 3678 applies to any socket that joins): a raw socket of protocol
 * 253 (RFC 3692 experimentation) joins (S2, G); S sends one packet from each source. */
static void test_raw_delivery_filter(void **state)
{
	int rs = umk_socket(fx.h, AF_INET6, SOCK_RAW, 253);
	assert_true(rs >= 0);
	assert_int_equal(opt(fx.h, rs, MCAST_JOIN_SOURCE_GROUP, 0, GROUP, "2001:db8::2"), 0);
	sim_run_for(fx.net, 100);
	for (int i = 0; i < 2; i++) {
		const char *src = i ? "2001:db8::2" : "2001:db8::1";
		int sd = umk_socket(fx.snd, AF_INET6, SOCK_RAW, 253);
		assert_true(sd >= 0);
		struct sockaddr_in6 from = { .sin6_family = AF_INET6, .sin6_addr = A(src) };
		assert_int_equal(umk_bind(fx.snd, sd, (struct sockaddr *)&from, sizeof(from)), 0);
		int ifi = fx.ifs;
		umk_setsockopt(fx.snd, sd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi, sizeof(ifi));
		struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = A(GROUP) };
		assert_int_equal(umk_sendto(fx.snd, sd, src, strlen(src), 0, (struct sockaddr *)&to,
					    sizeof(to)), (ssize_t)strlen(src));
		umk_close(fx.snd, sd);
	}
	sim_run_for(fx.net, 20);
	char got[256];
	drain(rs, got, sizeof(got));
	assert_string_equal(got, "2001:db8::2:2001:db8::2;");
	umk_close(fx.h, rs);
}

/* Ethernet + IPv6 (fe80::1 -> ff02::1, hop limit 1) + Router Alert + an MLDv2 query. */
static void inject_query(const char *group, const char **srcs, int nsrcs)
{
	struct in6_addr q[8];
	for (int i = 0; i < nsrcs; i++)
		q[i] = A(srcs[i]);
	struct mld_query mq = { .max_resp_code = mld_mrc_encode(500), .qrv = 2, .qqic = 125 };
	if (group)
		mq.group = A(group);
	uint8_t msg[200];
	size_t mlen = mld_v2_query_emit(msg, sizeof(msg), &mq, q, (uint16_t)nsrcs);
	uint8_t f[14 + 40 + 8 + 200];
	memset(f, 0, sizeof(f));
	static const uint8_t dmac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	memcpy(f, dmac, 6);
	memcpy(f + 6, mac_q, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14, *p = ip + 48;
	size_t plen = 8 + mlen;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = 0;
	ip[7] = 1;
	inet_pton(AF_INET6, "fe80::1", ip + 8);
	inet_pton(AF_INET6, "ff02::1", ip + 24);
	static const uint8_t hbh[8] = { 58, 0, 5, 2, 0, 0, 1, 0 };
	memcpy(ip + 40, hbh, 8);
	memcpy(p, msg, mlen);
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

/* RFC 3810 6.3 on the wire: INCLUDE {S1, S2}; a General Query gets IS_IN {S1,S2}, a
 * Group-and-Source Query for {S2, S3} gets IS_IN {S2} (A*Q), one for {S3} nothing; after the
 * change to EXCLUDE {S1} (full-state setsourcefilter: TO_EX {S1}), a query for {S1, S3}
 * gets IS_IN {S3} (Q-A). */
static void test_query_answers(void **state)
{
	int sd = listener();
	assert_int_equal(opt(fx.h, sd, MCAST_JOIN_SOURCE_GROUP, 0, GROUP, "2001:db8::1"), 0);
	assert_int_equal(opt(fx.h, sd, MCAST_JOIN_SOURCE_GROUP, 0, GROUP, "2001:db8::2"), 0);
	sim_run_for(fx.net, 3000);
	fx.n = 0;
	inject_query(NULL, NULL, 0);
	expect_records(1000, "MODE_IS_INCLUDE{2001:db8::1,2001:db8::2} ");
	const char *q1[] = { "2001:db8::2", "2001:db8::3" };
	inject_query(GROUP, q1, 2);
	expect_records(1000, "MODE_IS_INCLUDE{2001:db8::2} ");
	const char *q2[] = { "2001:db8::3" };
	inject_query(GROUP, q2, 1);
	expect_records(1000, "");

	struct sockaddr_in6 g = { .sin6_family = AF_INET6, .sin6_addr = A(GROUP) };
	struct sockaddr_storage ex[1] = { SS("2001:db8::1") };
	assert_int_equal(umk_setsourcefilter(fx.h, sd, 0, (struct sockaddr *)&g, sizeof(g),
					     MCAST_EXCLUDE, 1, ex), 0);
	expect_records(3000, "CHANGE_TO_EXCLUDE_MODE{2001:db8::1} CHANGE_TO_EXCLUDE_MODE{2001:db8::1} ");
	const char *q3[] = { "2001:db8::1", "2001:db8::3" };
	inject_query(GROUP, q3, 2);
	expect_records(1000, "MODE_IS_INCLUDE{2001:db8::3} ");
	inject_query(GROUP, NULL, 0);
	expect_records(1000, "MODE_IS_EXCLUDE{2001:db8::1} ");
	umk_close(fx.h, sd);
}

/* RFC 3678 error rules, as a table of calls on one socket, in order. */
struct call {
	int name;
	const char *group, *src;      /* src NULL: group_req */
	uint32_t ifindex;             /* 0: the only interface */
	int err;
};

static const struct call calls[] = {
	{ MCAST_JOIN_SOURCE_GROUP, GROUP, "2001:db8::1", 0, 0 },
	{ MCAST_JOIN_SOURCE_GROUP, GROUP, "2001:db8::1", 0, EADDRNOTAVAIL },  /* listed */
	{ MCAST_BLOCK_SOURCE, GROUP, "2001:db8::2", 0, EINVAL },      /* INCLUDE membership */
	{ MCAST_JOIN_GROUP, GROUP, NULL, 0, EINVAL },                 /* mixing modes */
	{ MCAST_LEAVE_SOURCE_GROUP, GROUP, "2001:db8::3", 0, EADDRNOTAVAIL },
	{ MCAST_LEAVE_SOURCE_GROUP, GROUP, "2001:db8::1", 0, 0 },     /* the last: left */
	{ MCAST_LEAVE_SOURCE_GROUP, GROUP, "2001:db8::1", 0, EADDRNOTAVAIL },
	{ MCAST_LEAVE_GROUP, GROUP, NULL, 0, EADDRNOTAVAIL },
	{ MCAST_JOIN_GROUP, GROUP, NULL, 0, 0 },
	{ MCAST_JOIN_GROUP, GROUP, NULL, 0, EADDRINUSE },
	{ MCAST_JOIN_SOURCE_GROUP, GROUP, "2001:db8::1", 0, EINVAL }, /* mixing modes */
	{ MCAST_UNBLOCK_SOURCE, GROUP, "2001:db8::1", 0, EADDRNOTAVAIL },
	{ MCAST_BLOCK_SOURCE, GROUP, "2001:db8::1", 0, 0 },
	{ MCAST_BLOCK_SOURCE, GROUP, "2001:db8::1", 0, EADDRNOTAVAIL },
	{ MCAST_UNBLOCK_SOURCE, GROUP, "2001:db8::1", 0, 0 },
	{ MCAST_LEAVE_GROUP, GROUP, NULL, 0, 0 },
	{ MCAST_BLOCK_SOURCE, GROUP, "2001:db8::1", 0, EADDRNOTAVAIL }, /* not joined */
	{ MCAST_JOIN_SOURCE_GROUP, GROUP, "ff3e::1", 0, EINVAL },      /* source multicast */
	{ MCAST_JOIN_SOURCE_GROUP, GROUP, "::", 0, EINVAL },
	{ MCAST_JOIN_SOURCE_GROUP, "2001:db8::9", "2001:db8::1", 0, EINVAL }, /* not a group */
	{ MCAST_JOIN_GROUP, GROUP, NULL, 99, ENODEV },
};

static void test_error_rules(void **state)
{
	int sd = listener();
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		const struct call *c = &calls[i];
		int e = opt(fx.h, sd, c->name, c->ifindex, c->group, c->src);
		if (e != c->err)
			fail_msg("call %zu (option %d): errno %d, want %d", i, c->name, e, c->err);
	}
	/* an IPv4 group */
	struct group_req gr = { 0 };
	gr.gr_group.ss_family = AF_INET;
	assert_int_equal(umk_setsockopt(fx.h, sd, IPPROTO_IPV6, MCAST_JOIN_GROUP, &gr, sizeof(gr)),
			 -1);
	assert_int_equal(errno, EINVAL);
	/* IPV6_JOIN_GROUP is the same membership as MCAST_JOIN_GROUP */
	struct ipv6_mreq mr = { .ipv6mr_multiaddr = A(GROUP) };
	assert_int_equal(umk_setsockopt(fx.h, sd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)), 0);
	assert_int_equal(opt(fx.h, sd, MCAST_JOIN_GROUP, 0, GROUP, NULL), EADDRINUSE);
	assert_int_equal(opt(fx.h, sd, MCAST_BLOCK_SOURCE, 0, GROUP, "2001:db8::5"), 0);
	assert_int_equal(umk_setsockopt(fx.h, sd, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &mr, sizeof(mr)), 0);
	assert_int_equal(opt(fx.h, sd, MCAST_LEAVE_GROUP, 0, GROUP, NULL), EADDRNOTAVAIL);

	/* the per-socket bound, counted */
	fx.h->limits.max_socket_group_sources = 3;
	uint64_t hit = fx.h->counters[CNT_MLD_SOCK_SOURCE_LIMIT];
	assert_int_equal(opt(fx.h, sd, MCAST_JOIN_SOURCE_GROUP, 0, GROUP, "2001:db8::1"), 0);
	assert_int_equal(opt(fx.h, sd, MCAST_JOIN_SOURCE_GROUP, 0, GROUP, "2001:db8::2"), 0);
	assert_int_equal(opt(fx.h, sd, MCAST_JOIN_SOURCE_GROUP, 0, GROUP, "2001:db8::3"), 0);
	assert_int_equal(opt(fx.h, sd, MCAST_JOIN_SOURCE_GROUP, 0, GROUP, "2001:db8::4"), ENOBUFS);
	assert_int_equal(fx.h->counters[CNT_MLD_SOCK_SOURCE_LIMIT], hit + 1);
	struct sockaddr_in6 g = { .sin6_family = AF_INET6, .sin6_addr = A(GROUP) };
	struct sockaddr_storage four[4] = { SS("2001:db8::1"), SS("2001:db8::2"),
					    SS("2001:db8::3"), SS("2001:db8::4") };
	assert_int_equal(umk_setsourcefilter(fx.h, sd, 0, (struct sockaddr *)&g, sizeof(g),
					     MCAST_INCLUDE, 4, four), -1);
	assert_int_equal(errno, ENOBUFS);

	/* full state: EXCLUDE {1, 2}; a get with room for one says 2 and copies 1 */
	assert_int_equal(umk_setsourcefilter(fx.h, sd, 0, (struct sockaddr *)&g, sizeof(g),
					     MCAST_EXCLUDE, 2, four), 0);
	struct sockaddr_storage out[1];
	uint32_t fmode = 0, numsrc = 1;
	assert_int_equal(umk_getsourcefilter(fx.h, sd, 0, (struct sockaddr *)&g, sizeof(g),
					     &fmode, &numsrc, out), 0);
	assert_int_equal(fmode, MCAST_EXCLUDE);
	assert_int_equal(numsrc, 2);
	assert_int_equal(out[0].ss_family, AF_INET6);
	/* a bad mode; INCLUDE {} leaves */
	assert_int_equal(umk_setsourcefilter(fx.h, sd, 0, (struct sockaddr *)&g, sizeof(g), 7, 0,
					     NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(umk_setsourcefilter(fx.h, sd, 0, (struct sockaddr *)&g, sizeof(g),
					     MCAST_INCLUDE, 0, NULL), 0);
	numsrc = 1;
	assert_int_equal(umk_getsourcefilter(fx.h, sd, 0, (struct sockaddr *)&g, sizeof(g),
					     &fmode, &numsrc, out), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	umk_close(fx.h, sd);

	/* not on a stream socket */
	int tcp = umk_socket(fx.h, AF_INET6, SOCK_STREAM, 0);
	assert_true(tcp >= 0);
	assert_int_equal(opt(fx.h, tcp, MCAST_JOIN_GROUP, 0, GROUP, NULL), ENOPROTOOPT);
	umk_close(fx.h, tcp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ssm_join_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_delivery_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_rules, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
