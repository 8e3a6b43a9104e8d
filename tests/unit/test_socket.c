/*
 * test_socket.c - the socket layer's rules on one stack (dp_harness.h):
 *
 *   [test/peer 2001:db8::2, fe80::2] --- eth0 --- [stack 2001:db8::1, fe80::1]
 *
 * Frames from the peer are built here and fed with umk_input; what the stack sends is
 * recorded. Tables: bind conflicts, demux order, option values and errors; then ancillary
 * data, queue bounds, ICMPv6 errors as socket errors, raw ICMPv6 sockets, the table limit.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include <umikame/socket.h>

#include "dp_harness.h"
#include "ip6/mld6.h"
#include "wire/udp.h"

static struct sockaddr_in6 SA(const char *a, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_scope_id = scope };
	s.sin6_addr = A(a);
	return s;
}
#define SAP(x) ((const struct sockaddr *)&(x))

static int setup(void **state)
{
	dp_setup(true);
	return dp_have_addrs() ? 0 : -1;
}

static int teardown(void **state)
{
	dp_teardown();
	return 0;
}

static int udp_sock(void) { return umk_socket(H.s, AF_INET6, SOCK_DGRAM, 0); }

static int bind_to(int sd, const char *a, uint16_t port)
{
	struct sockaddr_in6 sa = SA(a, port, 0);
	if (in6_is_scoped(&sa.sin6_addr))
		sa.sin6_scope_id = (uint32_t)H.ifx;
	return umk_bind(H.s, sd, SAP(sa), sizeof(sa));
}

/* Feeds the stack a UDP datagram from the peer. zero_csum leaves the checksum 0. */
static void inject_udp(const char *src, uint16_t sport, const char *dst, uint16_t dport,
		       const void *data, uint16_t n, bool zero_csum, uint8_t tclass)
{
	uint8_t u[1500], f[1600];
	struct in6_addr s = A(src), d = A(dst);
	udp_emit(u, sport, dport, (uint16_t)(8 + n));
	memcpy(u + 8, data, n);
	if (!zero_csum) {
		uint16_t c = csum_ip6(&s, &d, 17, u, 8u + n);
		u[6] = (uint8_t)(c >> 8);
		u[7] = (uint8_t)c;
	}
	uint8_t dmac[6];
	if (IN6_IS_ADDR_MULTICAST(&d))
		memcpy(dmac, (uint8_t[]){ 0x33, 0x33, d.s6_addr[12], d.s6_addr[13], d.s6_addr[14],
					  d.s6_addr[15] }, 6);
	else
		memcpy(dmac, MAC_US, 6);
	size_t len = dp_frame(f, dmac, &s, &d, 17, 61, u, 8u + n);
	f[14] = (uint8_t)(0x60 | tclass >> 4);
	f[15] = (uint8_t)(tclass << 4);
	umk_input(H.s, H.ifx, f, len);
}

/* ---- bind conflicts ---- */

struct bind_case {
	const char *name;
	const char *a1; uint16_t p1; bool reuse1;
	const char *a2; uint16_t p2; bool reuse2;
	int err;                    /* of the second bind, 0 = allowed */
};

static const struct bind_case bind_cases[] = {
	{ "same wildcard port", "::", 5000, false, "::", 5000, false, EADDRINUSE },
	{ "wildcard then specific", "::", 5000, false, "2001:db8::1", 5000, false, EADDRINUSE },
	{ "specific then wildcard", "2001:db8::1", 5000, false, "::", 5000, false, EADDRINUSE },
	{ "two different addresses", "2001:db8::1", 5000, false, "fe80::1", 5000, false, 0 },
	{ "both SO_REUSEADDR", "::", 5000, true, "::", 5000, true, 0 },
	{ "only second SO_REUSEADDR", "::", 5000, false, "::", 5000, true, EADDRINUSE },
	{ "different ports", "::", 5000, false, "::", 5001, false, 0 },
	{ "not our address", "::", 5000, false, "2001:db8::99", 5001, false, EADDRNOTAVAIL },
	{ "multicast group address", "::", 5000, false, "ff02::fb", 5353, false, 0 },
};

static void test_bind_conflicts(void **state)
{
	for (size_t i = 0; i < sizeof(bind_cases) / sizeof(bind_cases[0]); i++) {
		const struct bind_case *c = &bind_cases[i];
		int one = 1;
		int a = udp_sock(), b = udp_sock();
		assert_true(a >= 0 && b >= 0);
		if (c->reuse1)
			assert_int_equal(umk_setsockopt(H.s, a, SOL_SOCKET, SO_REUSEADDR, &one,
							sizeof(one)), 0);
		if (c->reuse2)
			assert_int_equal(umk_setsockopt(H.s, b, SOL_SOCKET, SO_REUSEADDR, &one,
							sizeof(one)), 0);
		assert_int_equal(bind_to(a, c->a1, c->p1), 0);
		errno = 0;
		int r = bind_to(b, c->a2, c->p2);
		if (c->err ? (r != -1 || errno != c->err) : r != 0)
			fail_msg("%s: bind gave %d errno %d, want %d", c->name, r, errno, c->err);
		umk_close(H.s, a);
		umk_close(H.s, b);
	}
}

static void test_bind_misc(void **state)
{
	int a = udp_sock();
	assert_int_equal(bind_to(a, "::", 0), 0);
	struct sockaddr_in6 got;
	socklen_t gl = sizeof(got);
	assert_int_equal(umk_getsockname(H.s, a, (struct sockaddr *)&got, &gl), 0);
	assert_int_equal(gl, sizeof(got));
	/* RFC 6056 / RFC 6335: an ephemeral port from the dynamic range */
	assert_true(ntohs(got.sin6_port) >= UDP_EPHEMERAL_FIRST);
	/* a second bind fails */
	errno = 0;
	assert_int_equal(bind_to(a, "::", 7), -1);
	assert_int_equal(errno, EINVAL);
	/* wrong family, short address, unknown descriptor */
	struct sockaddr_in6 bad = SA("::", 9, 0);
	bad.sin6_family = AF_INET;
	int b = udp_sock();
	assert_int_equal(umk_bind(H.s, b, SAP(bad), sizeof(bad)), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(umk_bind(H.s, b, SAP(bad), 8), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(umk_bind(H.s, 999, SAP(bad), sizeof(bad)), -1);
	assert_int_equal(errno, EBADF);
	/* two ephemeral binds differ */
	int c = udp_sock();
	assert_int_equal(bind_to(c, "::", 0), 0);
	struct sockaddr_in6 got2;
	gl = sizeof(got2);
	umk_getsockname(H.s, c, (struct sockaddr *)&got2, &gl);
	assert_int_not_equal(got.sin6_port, got2.sin6_port);
	umk_close(H.s, a);
	umk_close(H.s, b);
	umk_close(H.s, c);
}

/* ---- demux order: connected 4-tuple, then bound address, then wildcard ---- */

struct demux_case {
	const char *name;
	const char *src; uint16_t sport;
	const char *dst;
	int want;                   /* 0 wildcard, 1 specific, 2 connected, -1 none (ICMP) */
};

static const struct demux_case demux_cases[] = {
	{ "exact 4-tuple", "2001:db8::2", 7000, "2001:db8::1", 2 },
	{ "other source port: bound address", "2001:db8::2", 7001, "2001:db8::1", 1 },
	{ "other local address: wildcard", "fe80::2", 7000, "fe80::1", 0 },
};

static void test_demux_order(void **state)
{
	int one = 1, sd[3];
	for (int i = 0; i < 3; i++) {
		sd[i] = udp_sock();
		umk_setsockopt(H.s, sd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	assert_int_equal(bind_to(sd[0], "::", 5000), 0);
	assert_int_equal(bind_to(sd[1], "2001:db8::1", 5000), 0);
	assert_int_equal(bind_to(sd[2], "2001:db8::1", 5000), 0);
	struct sockaddr_in6 peer = SA("2001:db8::2", 7000, 0);
	assert_int_equal(umk_connect(H.s, sd[2], SAP(peer), sizeof(peer)), 0);

	for (size_t i = 0; i < sizeof(demux_cases) / sizeof(demux_cases[0]); i++) {
		const struct demux_case *c = &demux_cases[i];
		inject_udp(c->src, c->sport, c->dst, 5000, "x", 1, false, 0);
		for (int k = 0; k < 3; k++) {
			char b[8];
			ssize_t n = umk_recv(H.s, sd[k], b, sizeof(b), 0);
			if ((k == c->want) != (n == 1))
				fail_msg("%s: socket %d got %zd", c->name, k, n);
		}
	}
	for (int i = 0; i < 3; i++)
		umk_close(H.s, sd[i]);
}

/* ---- no socket: Port Unreachable, bad datagrams dropped ---- */

static void test_port_unreachable(void **state)
{
	uint64_t np = H.s->counters[CNT_UDP_NO_PORTS];
	inject_udp("2001:db8::2", 7000, "2001:db8::1", 9999, "abc", 3, false, 0);
	struct dp_seen v;
	int i = dp_find_icmp(ICMP6_DST_UNREACH, &v);
	assert_true(i >= 0);
	assert_int_equal(v.l4[1], ICMP6_DU_PORT);
	assert_int_equal(H.s->counters[CNT_UDP_NO_PORTS], np + 1);
	dp_clear();
	/* never for multicast (RFC 4443 2.4 (e.3)) */
	inject_udp("fe80::2", 7000, "ff02::1", 9999, "abc", 3, false, 0);
	assert_int_equal(H.n, 0);
	/* zero and wrong checksums are dropped silently */
	int sd = udp_sock();
	bind_to(sd, "::", 9999);
	uint64_t z = H.s->counters[CNT_IP6_DROP_UDP_ZERO_CSUM];
	inject_udp("2001:db8::2", 7000, "2001:db8::1", 9999, "abc", 3, true, 0);
	assert_int_equal(H.s->counters[CNT_IP6_DROP_UDP_ZERO_CSUM], z + 1);
	char b[8];
	assert_int_equal(umk_recv(H.s, sd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(H.n, 0);
	umk_close(H.s, sd);
}

/* ---- options: values and errors ---- */

struct opt_case {
	const char *name;
	int level, opt;
	int set;                    /* value to set */
	int set_err;                /* 0 ok */
	int get;                    /* value read back after a good set */
};

static const struct opt_case opt_cases[] = {
	{ "unicast hops 10", IPPROTO_IPV6, IPV6_UNICAST_HOPS, 10, 0, 10 },
	{ "unicast hops -1 = default", IPPROTO_IPV6, IPV6_UNICAST_HOPS, -1, 0, -1 },
	{ "unicast hops 256", IPPROTO_IPV6, IPV6_UNICAST_HOPS, 256, EINVAL, 0 },
	{ "unicast hops -2", IPPROTO_IPV6, IPV6_UNICAST_HOPS, -2, EINVAL, 0 },
	{ "multicast hops 255", IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, 0, 255 },
	{ "multicast loop 0", IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, 0, 0 },
	{ "multicast if: no such interface", IPPROTO_IPV6, IPV6_MULTICAST_IF, 77, ENXIO, 0 },
	{ "multicast if 1", IPPROTO_IPV6, IPV6_MULTICAST_IF, 1, 0, 1 },
	{ "v6only", IPPROTO_IPV6, IPV6_V6ONLY, 1, 0, 1 },
	{ "recvpktinfo", IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, 0, 1 },
	{ "recvhoplimit", IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, 0, 1 },
	{ "recvtclass", IPPROTO_IPV6, IPV6_RECVTCLASS, 1, 0, 1 },
	{ "recvpathmtu", IPPROTO_IPV6, IPV6_RECVPATHMTU, 1, 0, 1 },
	{ "recvhopopts", IPPROTO_IPV6, IPV6_RECVHOPOPTS, 1, 0, 1 },
	{ "recvdstopts", IPPROTO_IPV6, IPV6_RECVDSTOPTS, 7, 0, 1 },
	{ "recvrthdr", IPPROTO_IPV6, IPV6_RECVRTHDR, 1, 0, 1 },
	{ "tclass 0xb8", IPPROTO_IPV6, IPV6_TCLASS, 0xb8, 0, 0xb8 },
	{ "tclass 256", IPPROTO_IPV6, IPV6_TCLASS, 256, EINVAL, 0 },
	{ "dontfrag", IPPROTO_IPV6, IPV6_DONTFRAG, 1, 0, 1 },
	{ "use_min_mtu 1", IPPROTO_IPV6, IPV6_USE_MIN_MTU, 1, 0, 1 },
	{ "use_min_mtu 2", IPPROTO_IPV6, IPV6_USE_MIN_MTU, 2, EINVAL, 0 },
	{ "checksum on UDP", IPPROTO_IPV6, IPV6_CHECKSUM, 6, ENOPROTOOPT, 0 },
	{ "rthdr that is not a header (an int)", IPPROTO_IPV6, IPV6_RTHDR, 0, EINVAL, 0 },
	{ "unknown level", 12345, 1, 1, ENOPROTOOPT, 0 },
	{ "reuseaddr", SOL_SOCKET, SO_REUSEADDR, 1, 0, 1 },
	{ "icmp6 filter on UDP", IPPROTO_ICMPV6, ICMP6_FILTER, 0, ENOPROTOOPT, 0 },
};

static void test_option_table(void **state)
{
	int sd = udp_sock();
	for (size_t i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++) {
		const struct opt_case *c = &opt_cases[i];
		errno = 0;
		int r = umk_setsockopt(H.s, sd, c->level, c->opt, &c->set, sizeof(c->set));
		if (c->set_err ? (r != -1 || errno != c->set_err) : r != 0)
			fail_msg("%s: set gave %d errno %d", c->name, r, errno);
		if (c->set_err)
			continue;
		int v = -99;
		socklen_t l = sizeof(v);
		assert_int_equal(umk_getsockopt(H.s, sd, c->level, c->opt, &v, &l), 0);
		if (v != c->get)
			fail_msg("%s: got %d want %d", c->name, v, c->get);
		assert_int_equal(l, sizeof(int));
	}
	/* defaults of a fresh socket (RFC 3493 5.2) */
	int fresh = udp_sock(), v;
	socklen_t l = sizeof(v);
	umk_getsockopt(H.s, fresh, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &v, &l);
	assert_int_equal(v, 1);
	umk_getsockopt(H.s, fresh, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &v, &l);
	assert_int_equal(v, -1);
	umk_getsockopt(H.s, fresh, SOL_SOCKET, SO_TYPE, &v, &l);
	assert_int_equal(v, SOCK_DGRAM);
	/* too short a value */
	char c = 1;
	assert_int_equal(umk_setsockopt(H.s, fresh, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &c, 1), -1);
	assert_int_equal(errno, EINVAL);
	/* V6ONLY cannot change once bound */
	bind_to(fresh, "::", 0);
	int one = 1;
	assert_int_equal(umk_setsockopt(H.s, fresh, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)),
			 -1);
	/* IPV6_PATHMTU needs a connected socket */
	struct ip6_mtuinfo mi;
	l = sizeof(mi);
	assert_int_equal(umk_getsockopt(H.s, fresh, IPPROTO_IPV6, IPV6_PATHMTU, &mi, &l), -1);
	assert_int_equal(errno, ENOTCONN);
	struct sockaddr_in6 peer = SA("2001:db8::2", 7, 0);
	umk_connect(H.s, fresh, SAP(peer), sizeof(peer));
	l = sizeof(mi);
	assert_int_equal(umk_getsockopt(H.s, fresh, IPPROTO_IPV6, IPV6_PATHMTU, &mi, &l), 0);
	assert_int_equal(mi.ip6m_mtu, 1500);
	umk_close(H.s, sd);
	umk_close(H.s, fresh);
}

static void test_join_leave(void **state)
{
	int sd = udp_sock();
	struct ipv6_mreq mr = { .ipv6mr_multiaddr = A("ff02::1:3"), .ipv6mr_interface = (unsigned)H.ifx };
	struct umk_if *ifp = if_get(H.s, H.ifx);
	assert_false(mld_is_member(H.s, ifp, &mr.ipv6mr_multiaddr));
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)), 0);
	assert_true(mld_is_member(H.s, ifp, &mr.ipv6mr_multiaddr));
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)), -1);
	assert_int_equal(errno, EADDRINUSE);
	/* a datagram to the group reaches a socket on its port */
	bind_to(sd, "::", 5355);
	inject_udp("fe80::2", 1000, "ff02::1:3", 5355, "hi", 2, false, 0);
	char b[4];
	assert_int_equal(umk_recv(H.s, sd, b, sizeof(b), 0), 2);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &mr, sizeof(mr)), 0);
	assert_false(mld_is_member(H.s, ifp, &mr.ipv6mr_multiaddr));
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &mr, sizeof(mr)), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	struct ipv6_mreq notmc = { .ipv6mr_multiaddr = A("2001:db8::5") };
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &notmc,
					sizeof(notmc)), -1);
	assert_int_equal(errno, EINVAL);
	/* close leaves what the socket joined */
	umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
	umk_close(H.s, sd);
	assert_false(mld_is_member(H.s, ifp, &mr.ipv6mr_multiaddr));
}

/* ---- ancillary data on receive, loopback send ---- */

static void test_ancillary_recv(void **state)
{
	int sd = udp_sock(), one = 1;
	bind_to(sd, "::", 6000);
	umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
	inject_udp("fe80::2", 4242, "fe80::1", 6000, "hello", 5, false, 0x28);

	char data[16], ctl[256];
	struct sockaddr_in6 from;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	assert_int_equal(umk_recvmsg(H.s, sd, &m, 0), 5);
	assert_memory_equal(data, "hello", 5);
	assert_int_equal(ntohs(from.sin6_port), 4242);
	assert_int_equal(from.sin6_scope_id, H.ifx);     /* RFC 4007: link-local has its zone */
	int seen = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		assert_int_equal(c->cmsg_level, IPPROTO_IPV6);
		if (c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			struct in6_addr me = A("fe80::1");
			assert_true(IN6_ARE_ADDR_EQUAL(&pi.ipi6_addr, &me));
			assert_int_equal(pi.ipi6_ifindex, H.ifx);
			seen |= 1;
		} else if (c->cmsg_type == IPV6_HOPLIMIT) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			assert_int_equal(v, 61);
			seen |= 2;
		} else if (c->cmsg_type == IPV6_TCLASS) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			assert_int_equal(v, 0x28);
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	/* a control buffer too small: MSG_CTRUNC */
	inject_udp("fe80::2", 4242, "fe80::1", 6000, "again", 5, false, 0);
	m.msg_controllen = CMSG_SPACE(sizeof(int));
	m.msg_namelen = sizeof(from);
	assert_int_equal(umk_recvmsg(H.s, sd, &m, 0), 5);
	assert_true(m.msg_flags & MSG_CTRUNC);
	/* truncated data: MSG_TRUNC, and with the flag the real length */
	inject_udp("fe80::2", 4242, "fe80::1", 6000, "0123456789", 10, false, 0);
	char small[4];
	assert_int_equal(umk_recvfrom(H.s, sd, small, 4, MSG_PEEK | MSG_TRUNC, NULL, NULL), 10);
	iov = (struct iovec){ small, 4 };
	m = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
	assert_int_equal(umk_recvmsg(H.s, sd, &m, 0), 4);
	assert_true(m.msg_flags & MSG_TRUNC);
	umk_close(H.s, sd);
}

static void test_loopback_and_ancillary_send(void **state)
{
	int a = udp_sock(), b = udp_sock();
	bind_to(a, "2001:db8::1", 7100);
	struct sockaddr_in6 to = SA("2001:db8::1", 7100, 0);
	/* send with IPV6_HOPLIMIT and IPV6_TCLASS ancillary data to ourselves */
	char ctl[CMSG_SPACE(sizeof(int)) * 2];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
	struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = iov,
			    .msg_iovlen = 2, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_HOPLIMIT;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	int v = 17;
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	c = CMSG_NXTHDR(&m, c);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_TCLASS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	v = 0x10;
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	int one = 1;
	umk_setsockopt(H.s, a, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	assert_int_equal(umk_sendmsg(H.s, b, &m, 0), 4);
	char data[8], rctl[64];
	struct sockaddr_in6 from;
	struct iovec riov = { data, sizeof(data) };
	struct msghdr r = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &riov,
			    .msg_iovlen = 1, .msg_control = rctl, .msg_controllen = sizeof(rctl) };
	assert_int_equal(umk_recvmsg(H.s, a, &r, 0), 4);
	assert_memory_equal(data, "abcd", 4);
	c = CMSG_FIRSTHDR(&r);
	assert_non_null(c);
	memcpy(&v, CMSG_DATA(c), sizeof(v));
	assert_int_equal(v, 17);
	/* the sender was bound to an ephemeral port on send */
	struct sockaddr_in6 bn;
	socklen_t bl = sizeof(bn);
	umk_getsockname(H.s, b, (struct sockaddr *)&bn, &bl);
	assert_int_equal(from.sin6_port, bn.sin6_port);
	/* bad ancillary data */
	v = 300;
	c = CMSG_FIRSTHDR(&m);
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	assert_int_equal(umk_sendmsg(H.s, b, &m, 0), -1);
	assert_int_equal(errno, EINVAL);
	/* unconnected send without address; send to port 0 */
	assert_int_equal(umk_send(H.s, b, "x", 1, 0), -1);
	assert_int_equal(errno, EDESTADDRREQ);
	struct sockaddr_in6 p0 = SA("2001:db8::2", 0, 0);
	assert_int_equal(umk_sendto(H.s, b, "x", 1, 0, SAP(p0), sizeof(p0)), -1);
	assert_int_equal(errno, EINVAL);
	umk_close(H.s, a);
	umk_close(H.s, b);
}

/* ---- the wire: checksum always set; queue bounds ---- */

static void test_send_on_wire(void **state)
{
	int sd = udp_sock();
	struct sockaddr_in6 to = SA("2001:db8::2", 53, 0);
	assert_int_equal(umk_connect(H.s, sd, SAP(to), sizeof(to)), 0);
	struct sockaddr_in6 me;
	socklen_t ml = sizeof(me);
	umk_getsockname(H.s, sd, (struct sockaddr *)&me, &ml);
	struct in6_addr g = A("2001:db8::1");
	assert_true(IN6_ARE_ADDR_EQUAL(&me.sin6_addr, &g)); /* RFC 6724 at connect */
	dp_clear();
	assert_int_equal(umk_send(H.s, sd, "query", 5, 0), 5);
	assert_int_equal(H.n, 1);
	struct dp_seen v;
	assert_int_equal(dp_parse(0, &v), 0);
	assert_int_equal(v.chain.nxt, 17);
	struct udp_hdr_info u;
	assert_int_equal(udp_parse(v.l4, v.l4_len, &u), UDP_OK);
	assert_int_equal(u.dport, 53);
	assert_int_equal(u.sport, ntohs(me.sin6_port));
	assert_int_not_equal(u.csum, 0);
	assert_int_equal(csum_ip6(&v.ip.src, &v.ip.dst, 17, v.l4, v.l4_len), 0);
	/* too big for UDP */
	static char big[70000];
	assert_int_equal(umk_send(H.s, sd, big, 65528, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* DONTFRAG: too big for the link fails */
	int one = 1;
	umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one));
	assert_int_equal(umk_send(H.s, sd, big, 3000, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	umk_close(H.s, sd);
}

static void test_rcvbuf_bound(void **state)
{
	int sd = udp_sock(), small = 4096;
	bind_to(sd, "::", 6100);
	umk_setsockopt(H.s, sd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	uint64_t full = H.s->counters[CNT_SOCK_RCVQ_FULL];
	for (int i = 0; i < 10; i++)
		inject_udp("2001:db8::2", 1, "2001:db8::1", 6100, "data", 4, false, 0);
	assert_true(H.s->counters[CNT_SOCK_RCVQ_FULL] > full);
	int got = 0;
	char b[8];
	while (umk_recv(H.s, sd, b, sizeof(b), 0) == 4)
		got++;
	assert_true(got >= 1 && got < 10);
	assert_int_equal(errno, EAGAIN);
	umk_close(H.s, sd);
}

/* ---- ICMPv6 errors become socket errors ---- */

static void inject_error(uint8_t type, uint8_t code, uint32_t param, const struct sockaddr_in6 *me,
			 uint16_t dport)
{
	/* the error quotes our datagram: IPv6 header 2001:db8::1 -> ::2, then UDP */
	uint8_t e[8 + 40 + 8 + 4], f[200];
	struct in6_addr peer = A("2001:db8::2");
	icmp6_err_emit(e, type, code, param);
	struct ip6_hdr_info q = { .plen = 12, .nxt = 17, .hlim = 64, .src = me->sin6_addr,
				  .dst = peer };
	ip6_hdr_emit(e + 8, &q);
	udp_emit(e + 48, ntohs(me->sin6_port), dport, 12);
	memcpy(e + 56, "ping", 4);
	dp_icmp_csum(e, sizeof(e), &peer, &me->sin6_addr);
	size_t len = dp_frame(f, MAC_US, &peer, &me->sin6_addr, 58, 64, e, sizeof(e));
	umk_input(H.s, H.ifx, f, len);
}

static void test_icmp_errors(void **state)
{
	int sd = udp_sock();
	struct sockaddr_in6 to = SA("2001:db8::2", 9, 0), me;
	socklen_t ml = sizeof(me);
	umk_connect(H.s, sd, SAP(to), sizeof(to));
	umk_getsockname(H.s, sd, (struct sockaddr *)&me, &ml);

	inject_error(ICMP6_DST_UNREACH, ICMP6_DU_PORT, 0, &me, 9);
	struct umk_pollfd p = { .sd = sd, .events = POLLIN };
	assert_int_equal(umk_poll(H.s, &p, 1, 0), 1);
	assert_true(p.revents & POLLERR);
	char b[8];
	assert_int_equal(umk_recv(H.s, sd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(umk_recv(H.s, sd, b, sizeof(b), 0), -1);
	assert_int_equal(errno, EAGAIN);   /* reported once */

	/* an error about another peer port is not this socket's */
	inject_error(ICMP6_DST_UNREACH, ICMP6_DU_PORT, 0, &me, 10);
	int err = -1;
	socklen_t el = sizeof(err);
	umk_getsockopt(H.s, sd, SOL_SOCKET, SO_ERROR, &err, &el);
	assert_int_equal(err, 0);

	/* admin prohibited -> EACCES through SO_ERROR */
	inject_error(ICMP6_DST_UNREACH, ICMP6_DU_ADMIN, 0, &me, 9);
	umk_getsockopt(H.s, sd, SOL_SOCKET, SO_ERROR, &err, &el);
	assert_int_equal(err, EACCES);

	/* Packet Too Big with DONTFRAG: EMSGSIZE and an IPV6_PATHMTU notification */
	int one = 1;
	umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one));
	umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RECVPATHMTU, &one, sizeof(one));
	inject_error(ICMP6_PACKET_TOO_BIG, 0, 1400, &me, 9);
	char ctl[128];
	struct iovec iov = { b, sizeof(b) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	assert_int_equal(umk_recvmsg(H.s, sd, &m, 0), 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	assert_non_null(c);
	assert_int_equal(c->cmsg_type, IPV6_PATHMTU);
	struct ip6_mtuinfo mi;
	memcpy(&mi, CMSG_DATA(c), sizeof(mi));
	assert_int_equal(mi.ip6m_mtu, 1400);
	umk_getsockopt(H.s, sd, SOL_SOCKET, SO_ERROR, &err, &el);
	assert_int_equal(err, EMSGSIZE);
	/* and the path MTU the socket sees went down */
	el = sizeof(mi);
	umk_getsockopt(H.s, sd, IPPROTO_IPV6, IPV6_PATHMTU, &mi, &el);
	assert_int_equal(mi.ip6m_mtu, 1400);
	umk_close(H.s, sd);
}

/* ---- raw ICMPv6 sockets (RFC 3542 3) ---- */

static void test_raw_icmp6(void **state)
{
	int sd = umk_socket(H.s, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	assert_true(sd >= 0);
	/* RFC 3542 3.1: the checksum option cannot be set on ICMPv6, reads 2 */
	int off = 4, v;
	socklen_t l = sizeof(v);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(umk_getsockopt(H.s, sd, IPPROTO_IPV6, IPV6_CHECKSUM, &v, &l), 0);
	assert_int_equal(v, 2);
	/* only echo replies pass the filter */
	struct icmp6_filter f;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)), 0);

	/* send an echo request through the socket: the stack fills the checksum */
	uint8_t req[12] = { 128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g' };
	struct sockaddr_in6 to = SA("2001:db8::2", 0, 0);
	dp_clear();
	assert_int_equal(umk_sendto(H.s, sd, req, sizeof(req), 0, SAP(to), sizeof(to)), 12);
	struct dp_seen sv;
	int i = dp_find_icmp(ICMP6_ECHO_REQUEST, &sv);
	assert_true(i >= 0);
	assert_int_equal(csum_ip6(&sv.ip.src, &sv.ip.dst, 58, sv.l4, sv.l4_len), 0);

	/* the peer's reply comes to the socket, its request does not (filtered) */
	struct in6_addr peer = A("2001:db8::2"), me = A("2001:db8::1");
	uint8_t rep[12], fr[100];
	memcpy(rep, req, sizeof(rep));
	rep[0] = ICMP6_ECHO_REPLY;
	dp_icmp_csum(rep, sizeof(rep), &peer, &me);
	umk_input(H.s, H.ifx, fr, dp_frame(fr, MAC_US, &peer, &me, 58, 64, rep, sizeof(rep)));
	uint64_t filtered = H.s->counters[CNT_RAW6_IN_FILTERED];
	dp_icmp_csum(req, sizeof(req), &peer, &me);
	umk_input(H.s, H.ifx, fr, dp_frame(fr, MAC_US, &peer, &me, 58, 64, req, sizeof(req)));
	assert_int_equal(H.s->counters[CNT_RAW6_IN_FILTERED], filtered + 1);

	uint8_t got[64];
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	assert_int_equal(umk_recvfrom(H.s, sd, got, sizeof(got), 0, (struct sockaddr *)&from, &fl), 12);
	assert_int_equal(got[0], ICMP6_ECHO_REPLY);   /* no IPv6 header (RFC 3542 3) */
	assert_true(IN6_ARE_ADDR_EQUAL(&from.sin6_addr, &peer));
	assert_int_equal(umk_recv(H.s, sd, got, sizeof(got), 0), -1);
	assert_int_equal(errno, EAGAIN);
	/* the stack still answered the request itself */
	assert_true(dp_find_icmp(ICMP6_ECHO_REPLY, &sv) >= 0);
	/* too short an ICMPv6 message */
	assert_int_equal(umk_sendto(H.s, sd, req, 3, 0, SAP(to), sizeof(to)), -1);
	assert_int_equal(errno, EINVAL);
	umk_close(H.s, sd);

	/* raw sockets of other protocols: IPV6_CHECKSUM must be even; UDP/TCP refused */
	int o = umk_socket(H.s, AF_INET6, SOCK_RAW, 89);
	assert_true(o >= 0);
	off = 3;
	assert_int_equal(umk_setsockopt(H.s, o, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)), -1);
	off = 12;
	assert_int_equal(umk_setsockopt(H.s, o, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)), 0);
	umk_close(H.s, o);
	assert_int_equal(umk_socket(H.s, AF_INET6, SOCK_RAW, IPPROTO_UDP), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
}

/* ---- the table and the API's edges ---- */

static int cb_calls;
static short cb_events;
static void cb(void *ctx, int sd, short ev)
{
	cb_calls++;
	cb_events = ev;
}

static void test_table_and_edges(void **state)
{
	assert_int_equal(umk_socket(H.s, AF_INET, SOCK_DGRAM, 0), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(umk_socket(H.s, AF_INET6, SOCK_STREAM, IPPROTO_UDP), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);   /* a stream over UDP: no such protocol */
	assert_int_equal(umk_socket(H.s, AF_INET6, SOCK_SEQPACKET, 0), -1);
	assert_int_equal(errno, ESOCKTNOSUPPORT);

	H.s->limits.max_sockets = 3;
	int sd[3];
	for (int i = 0; i < 3; i++)
		assert_true((sd[i] = udp_sock()) >= 0);
	uint64_t full = H.s->counters[CNT_SOCK_TABLE_FULL];
	assert_int_equal(udp_sock(), -1);
	assert_int_equal(errno, EMFILE);
	assert_int_equal(H.s->counters[CNT_SOCK_TABLE_FULL], full + 1);
	umk_close(H.s, sd[1]);
	assert_int_equal(udp_sock(), sd[1]);         /* the lowest free descriptor */
	assert_int_equal(umk_close(H.s, 99), -1);
	assert_int_equal(errno, EBADF);

	/* readiness callback and poll */
	bind_to(sd[0], "::", 6200);
	umk_sock_set_callback(H.s, sd[0], cb, NULL);
	inject_udp("2001:db8::2", 1, "2001:db8::1", 6200, "x", 1, false, 0);
	assert_int_equal(cb_calls, 1);
	assert_true(cb_events & POLLIN);
	struct umk_pollfd p[2] = { { sd[0], POLLIN, 0 }, { 77, POLLIN, 0 } };
	assert_int_equal(umk_poll(H.s, p, 2, 0), 2);
	assert_int_equal(p[0].revents, POLLIN);
	assert_int_equal(p[1].revents, POLLNVAL);

	/* shutdown: needs a connected socket; after SHUT_RD reads give 0, sends after SHUT_WR
	 * fail */
	assert_int_equal(umk_shutdown(H.s, sd[0], SHUT_RD), -1);
	assert_int_equal(errno, ENOTCONN);
	struct sockaddr_in6 peer = SA("2001:db8::2", 1, 0);
	umk_connect(H.s, sd[2], SAP(peer), sizeof(peer));
	assert_int_equal(umk_shutdown(H.s, sd[2], SHUT_RDWR), 0);
	char b[4];
	assert_int_equal(umk_recv(H.s, sd[2], b, 4, 0), 0);
	assert_int_equal(umk_send(H.s, sd[2], "x", 1, 0), -1);
	assert_int_equal(errno, EPIPE);
	/* getpeername, and AF_UNSPEC connect dissolves the association */
	struct sockaddr_in6 pn;
	socklen_t pl = sizeof(pn);
	assert_int_equal(umk_getpeername(H.s, sd[2], (struct sockaddr *)&pn, &pl), 0);
	assert_int_equal(ntohs(pn.sin6_port), 1);
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	assert_int_equal(umk_connect(H.s, sd[2], &un, sizeof(un)), 0);
	assert_int_equal(umk_getpeername(H.s, sd[2], (struct sockaddr *)&pn, &pl), -1);
	assert_int_equal(errno, ENOTCONN);
	for (int i = 0; i < 3; i++)
		umk_close(H.s, sd[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bind_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_misc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demux_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_option_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_leave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ancillary_recv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback_and_ancillary_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_on_wire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcvbuf_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_icmp6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_and_edges, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
