/*
 * test_sock_exthdr.c - extension headers and IPV6_NEXTHOP through the socket API
 * (RFC 3542 4, 6, 7, 9; socket/exthdr.c, ip6/output.c), on one stack (dp_harness.h):
 *
 *   [test/peer 2001:db8::2, fe80::2] --- eth0 --- [stack 2001:db8::1, fe80::1]
 *
 *   - a table of headers given to setsockopt and as cmsgs, each accepted or refused;
 *   - what goes on the wire: RFC 8200 4.1 order, Next Header chaining, the Routing header's
 *     first hop as destination with the final one last, ancillary over sticky, the
 *     checksum over the final destination (RFC 8200 8.1), fragments behind the
 *     unfragmentable part;
 *   - IPV6_NEXTHOP to a neighbor without any route, and refused when not a neighbor;
 *   - receiving: IPV6_RECVHOPOPTS / RECVDSTOPTS / RECVRTHDR on UDP and raw ICMPv6, byte
 *     for byte, only what was asked for; and the loopback path end to end;
 *   - the same through the remote socket calls (socket/sock_ctl.c) with a header of 1024
 *     bytes each way;
 *   - a send held by IPsec for its SA (ACQUIRE) and released later, after the send call's
 *     memory is gone: sent whole, its checksum untouched.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include <umikame/socket.h>

#include "ctl/msg.h"
#include "dp_harness.h"
#include "ipsec/ipsec.h"
#include "socket/sock_ctl.h"
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

/* An 8-byte options header with one PadN of 4 data bytes (all given: Next Header 0). */
static const uint8_t OPTS8[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
/* A 16-byte options header: an experimental option 0x1e with 10 data bytes, PadN 0 */
static const uint8_t OPTS16[16] = { 0, 1, 0x1e, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 0 };

static void rh2(uint8_t *b, const char *hop)
{
	assert_non_null(umk_inet6_rth_init(b, 24, 2, 1));
	struct in6_addr a = A(hop);
	assert_int_equal(umk_inet6_rth_add(b, &a), 0);
}

/* ---- what is accepted ---- */

struct accept_case {
	const char *name;
	int opt;
	uint8_t bytes[40];
	socklen_t len;
	int err;                     /* 0: accepted */
};

static void test_accept_table(void **state)
{
	uint8_t r2[24], r0[24], rll[24];
	rh2(r2, "2001:db8::2");
	rh2(rll, "fe80::2");
	memcpy(r0, r2, 24);
	r0[2] = 0;                   /* type 0 */
	struct accept_case cases[] = {
		{ "hopopts 8", IPV6_HOPOPTS, { 0 }, 8, 0 },
		{ "dstopts 16", IPV6_DSTOPTS, { 0 }, 16, 0 },
		{ "rthdrdstopts 8", IPV6_RTHDRDSTOPTS, { 0 }, 8, 0 },
		{ "length not a multiple of 8", IPV6_HOPOPTS, { 0, 0, 1, 2, 0, 0 }, 6, EINVAL },
		{ "Hdr Ext Len disagrees", IPV6_DSTOPTS, { 0, 1, 1, 4, 0, 0, 0, 0 }, 8, EINVAL },
		{ "option runs past the end", IPV6_HOPOPTS, { 0, 0, 0x1e, 9, 0, 0, 0, 0 }, 8, EINVAL },
		{ "rthdr type 2", IPV6_RTHDR, { 0 }, 24, 0 },
		{ "rthdr type 0 (RFC 5095)", IPV6_RTHDR, { 0 }, 24, EINVAL },
		{ "rthdr type 2 with two addresses", IPV6_RTHDR, { 0, 4, 2, 2 }, 40, EINVAL },
		{ "rthdr type 4 (not offered)", IPV6_RTHDR, { 0, 0, 4, 0 }, 8, EINVAL },
		{ "rthdr type 2 to a link-local address", IPV6_RTHDR, { 0 }, 24, EINVAL },
	};
	memcpy(cases[0].bytes, OPTS8, 8);
	memcpy(cases[1].bytes, OPTS16, 16);
	memcpy(cases[2].bytes, OPTS8, 8);
	memcpy(cases[6].bytes, r2, 24);
	memcpy(cases[7].bytes, r0, 24);
	memcpy(cases[10].bytes, rll, 24);
	int sd = umk_socket(H.s, AF_INET6, SOCK_DGRAM, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct accept_case *c = &cases[i];
		errno = 0;
		int r = umk_setsockopt(H.s, sd, IPPROTO_IPV6, c->opt, c->bytes, c->len);
		if (c->err ? (r != -1 || errno != c->err) : r != 0)
			fail_msg("%s: setsockopt gave %d errno %d, want %d", c->name, r, errno,
				 c->err);
		/* what was accepted reads back as it was given; removing it empties it */
		uint8_t got[64];
		socklen_t gl = sizeof(got);
		assert_int_equal(umk_getsockopt(H.s, sd, IPPROTO_IPV6, c->opt, got, &gl), 0);
		if (!c->err) {
			assert_int_equal(gl, c->len);
			assert_memory_equal(got, c->bytes, c->len);
			assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, c->opt, NULL, 0), 0);
			gl = sizeof(got);
			umk_getsockopt(H.s, sd, IPPROTO_IPV6, c->opt, got, &gl);
		}
		assert_int_equal(gl, 0);
		/* the same as a cmsg */
		uint8_t ctl[CMSG_SPACE(64)];
		memset(ctl, 0, sizeof(ctl));
		struct sockaddr_in6 to = SA("2001:db8::2", 9, 0);
		struct iovec iov = { "x", 1 };
		struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = CMSG_SPACE(c->len) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = c->opt;
		cm->cmsg_len = CMSG_LEN(c->len);
		memcpy(CMSG_DATA(cm), c->bytes, c->len);
		errno = 0;
		ssize_t n = umk_sendmsg(H.s, sd, &m, 0);
		if (c->err ? (n != -1 || errno != c->err) : n != 1)
			fail_msg("%s: sendmsg gave %zd errno %d, want %d", c->name, n, errno, c->err);
	}
	/* a TCP socket has none of them */
	int t = umk_socket(H.s, AF_INET6, SOCK_STREAM, 0);
	errno = 0;
	assert_int_equal(umk_setsockopt(H.s, t, IPPROTO_IPV6, IPV6_HOPOPTS, OPTS8, 8), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	umk_close(H.s, t);
	umk_close(H.s, sd);
}

/* ---- the wire ---- */

/* The chain of a recorded frame: types and lengths, from the IPv6 header on. */
struct chain {
	uint8_t type[8];
	uint32_t off[8];
	uint32_t len[8];
	int n;
	uint8_t final;               /* the upper-layer protocol */
	uint32_t final_off;
};

static void walk(int i, struct chain *c)
{
	memset(c, 0, sizeof(*c));
	assert_true(i < H.n);
	const uint8_t *ip = H.frame[i] + 14;
	uint32_t len = (uint32_t)H.len[i] - 14, off = 40;
	uint8_t nxt = ip[6];
	while (nxt == 0 || nxt == 43 || nxt == 44 || nxt == 60) {
		assert_true(off + 8 <= len && c->n < 8);
		uint32_t l = nxt == 44 ? 8 : (ip[off + 1] + 1u) * 8;
		c->type[c->n] = nxt;
		c->off[c->n] = off;
		c->len[c->n++] = l;
		nxt = ip[off];
		off += l;
		if (c->type[c->n - 1] == 44 && (((ip[off - 6] << 8) | ip[off - 5]) & 0xfff8))
			break;       /* a later fragment: what follows is not a header */
	}
	c->final = nxt;
	c->final_off = off;
}

static void test_wire_order(void **state)
{
	int sd = umk_socket(H.s, AF_INET6, SOCK_DGRAM, 0);
	uint8_t r2[24];
	rh2(r2, "2001:db8::2");
	/* sticky: all four */
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_HOPOPTS, OPTS8, 8), 0);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RTHDRDSTOPTS, OPTS16, 16), 0);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RTHDR, r2, 24), 0);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_DSTOPTS, OPTS8, 8), 0);
	struct sockaddr_in6 to = SA("2001:db8:99::1", 4242, 0);
	dp_clear();
	assert_int_equal(umk_sendto(H.s, sd, "hello", 5, 0, SAP(to), sizeof(to)), 5);
	assert_int_equal(H.n, 1);
	struct chain c;
	walk(0, &c);
	/* RFC 8200 4.1: HBH, Destination Options (before RH), Routing, Destination Options */
	assert_int_equal(c.n, 4);
	const uint8_t want_type[4] = { 0, 60, 43, 60 };
	const uint32_t want_len[4] = { 8, 16, 24, 8 };
	assert_memory_equal(c.type, want_type, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(c.len[i], want_len[i]);
	assert_int_equal(c.final, 17);
	const uint8_t *ip = H.frame[0] + 14;
	/* the option bytes went out as given (after the Next Header byte) */
	assert_memory_equal(ip + c.off[0] + 1, OPTS8 + 1, 7);
	assert_memory_equal(ip + c.off[1] + 1, OPTS16 + 1, 15);
	/* RFC 3542 7: the first hop is the destination, the final one is last in the RH */
	struct in6_addr hop = A("2001:db8::2"), fin = A("2001:db8:99::1");
	assert_memory_equal(ip + 24, &hop, 16);
	assert_int_equal(ip[c.off[2] + 2], 2);         /* type 2 */
	assert_int_equal(ip[c.off[2] + 3], 1);         /* Segments Left */
	assert_memory_equal(ip + c.off[2] + 8, &fin, 16);
	/* RFC 8200 8.1: the UDP checksum is over the final destination */
	struct in6_addr src = A("2001:db8::1");
	uint32_t ulen = (uint32_t)H.len[0] - 14 - c.final_off;
	assert_int_equal(ulen, 13);
	assert_int_equal(csum_ip6(&src, &fin, 17, ip + c.final_off, ulen), 0);
	/* the payload length counts every header */
	assert_int_equal((ip[4] << 8) | ip[5], 8 + 16 + 24 + 8 + 13);

	/* ancillary over sticky: another DSTOPTS, and an empty RTHDR removes the routing
	 * header - and with it the Destination Options that go before it (RFC 3542 9.2) */
	uint8_t ctl[CMSG_SPACE(16) + CMSG_SPACE(0)];
	memset(ctl, 0, sizeof(ctl));
	struct sockaddr_in6 to2 = SA("2001:db8::2", 4242, 0);
	struct iovec iov = { "hi", 2 };
	struct msghdr m = { .msg_name = &to2, .msg_namelen = sizeof(to2), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_DSTOPTS;
	cm->cmsg_len = CMSG_LEN(16);
	memcpy(CMSG_DATA(cm), OPTS16, 16);
	cm = CMSG_NXTHDR(&m, cm);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_RTHDR;
	cm->cmsg_len = CMSG_LEN(0);
	dp_clear();
	assert_int_equal(umk_sendmsg(H.s, sd, &m, 0), 2);
	walk(0, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.type[0], 0);
	assert_int_equal(c.type[1], 60);
	assert_int_equal(c.len[1], 16);
	assert_memory_equal(H.frame[0] + 14 + c.off[1] + 1, OPTS16 + 1, 15);
	struct in6_addr peer = A("2001:db8::2");
	assert_memory_equal(H.frame[0] + 14 + 24, &peer, 16);
	/* the same header twice in one send is refused */
	cm->cmsg_type = IPV6_DSTOPTS;
	cm->cmsg_len = CMSG_LEN(0);
	errno = 0;
	assert_int_equal(umk_sendmsg(H.s, sd, &m, 0), -1);
	assert_int_equal(errno, EINVAL);
	umk_close(H.s, sd);
}

static void test_fragments_keep_order(void **state)
{
	/* a raw ICMPv6 socket this time: an echo request of 3000 bytes */
	int sd = umk_socket(H.s, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	uint8_t r2[24];
	rh2(r2, "2001:db8::2");
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_HOPOPTS, OPTS16, 16), 0);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RTHDR, r2, 24), 0);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_DSTOPTS, OPTS8, 8), 0);
	static uint8_t echo[3000];
	echo[0] = 128;
	struct sockaddr_in6 to = SA("2001:db8:7::7", 0, 0);
	dp_clear();
	assert_int_equal(umk_sendto(H.s, sd, echo, sizeof(echo), 0, SAP(to), sizeof(to)), 3000);
	assert_true(H.n >= 3);
	uint32_t total = 0;
	for (int i = 0; i < H.n; i++) {
		struct chain c;
		walk(i, &c);
		/* HBH and RH in every fragment, then the Fragment header; the final
		 * Destination Options only in the fragmentable part (RFC 8200 4.5) */
		assert_true(c.n >= 3);
		assert_int_equal(c.type[0], 0);
		assert_int_equal(c.type[1], 43);
		assert_int_equal(c.type[2], 44);
		const uint8_t *fh = H.frame[i] + 14 + c.off[2];
		uint16_t fo = (uint16_t)(((fh[2] << 8) | fh[3]) & 0xfff8);
		if (fo == 0) {
			assert_int_equal(fh[0], 60);     /* fragmentable part starts with DSTOPTS */
			assert_int_equal(c.n, 4);
			assert_int_equal(c.final, 58);
		}
		total += (uint32_t)H.len[i] - 14 - (c.off[2] + 8);
		assert_true(H.len[i] - 14 <= 1500);
	}
	assert_int_equal(total, 8 + 3000);
	umk_close(H.s, sd);
}

/* ---- IPV6_NEXTHOP ---- */

static void test_nexthop(void **state)
{
	int sd = umk_socket(H.s, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 to = SA("2001:db8:5555::1", 7, 0);
	/* no route there */
	errno = 0;
	assert_int_equal(umk_sendto(H.s, sd, "a", 1, 0, SAP(to), sizeof(to)), -1);
	assert_int_equal(errno, ENETUNREACH);
	/* a next hop that is not a neighbor is refused, sticky or ancillary */
	struct sockaddr_in6 far = SA("2001:db8:6666::1", 0, 0);
	errno = 0;
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_NEXTHOP, &far, sizeof(far)), -1);
	assert_int_equal(errno, EHOSTUNREACH);
	struct sockaddr_in6 mc = SA("ff02::1", 0, (uint32_t)H.ifx);
	errno = 0;
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_NEXTHOP, &mc, sizeof(mc)), -1);
	assert_int_equal(errno, EINVAL);
	/* the link-local neighbor with its zone takes the packet, with no route at all */
	struct sockaddr_in6 nh = SA("fe80::2", 0, (uint32_t)H.ifx);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_NEXTHOP, &nh, sizeof(nh)), 0);
	struct sockaddr_in6 got;
	socklen_t gl = sizeof(got);
	assert_int_equal(umk_getsockopt(H.s, sd, IPPROTO_IPV6, IPV6_NEXTHOP, &got, &gl), 0);
	assert_int_equal(gl, sizeof(got));
	assert_memory_equal(&got.sin6_addr, &nh.sin6_addr, 16);
	dp_clear();
	assert_int_equal(umk_sendto(H.s, sd, "a", 1, 0, SAP(to), sizeof(to)), 1);
	assert_true(H.n >= 1);
	/* to the neighbor's MAC (or an NS for it), and the IPv6 destination unchanged */
	int i;
	for (i = 0; i < H.n; i++) {
		struct dp_seen v;
		if (!dp_parse(i, &v) && v.chain.nxt == 17) {
			assert_memory_equal(H.frame[i], MAC_PEER, 6);
			assert_memory_equal(&v.ip.dst, &to.sin6_addr, 16);
			break;
		}
	}
	assert_true(i < H.n);
	/* the global on-link neighbor works too; an empty value removes it */
	struct sockaddr_in6 gnh = SA("2001:db8::2", 0, 0);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_NEXTHOP, &gnh, sizeof(gnh)), 0);
	assert_int_equal(umk_sendto(H.s, sd, "a", 1, 0, SAP(to), sizeof(to)), 1);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_NEXTHOP, NULL, 0), 0);
	errno = 0;
	assert_int_equal(umk_sendto(H.s, sd, "a", 1, 0, SAP(to), sizeof(to)), -1);
	assert_int_equal(errno, ENETUNREACH);
	/* as a cmsg: a non-neighbor fails the send */
	uint8_t ctl[CMSG_SPACE(sizeof(far))];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov = { "b", 1 };
	struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_NEXTHOP;
	cm->cmsg_len = CMSG_LEN(sizeof(far));
	memcpy(CMSG_DATA(cm), &far, sizeof(far));
	errno = 0;
	assert_int_equal(umk_sendmsg(H.s, sd, &m, 0), -1);
	assert_int_equal(errno, EHOSTUNREACH);
	memcpy(CMSG_DATA(cm), &nh, sizeof(nh));
	assert_int_equal(umk_sendmsg(H.s, sd, &m, 0), 1);
	umk_close(H.s, sd);
}

/* ---- receiving ---- */

/* Builds an IPv6 packet from the peer with the given headers (each complete except its
 * Next Header, which is chained here) before the upper-layer body, and feeds it. */
static void inject(const char *dst, const uint8_t *const *hdrs, const uint8_t *types,
		   const size_t *lens, int n, uint8_t ulp, uint8_t *body, size_t blen)
{
	uint8_t pl[1400], f[1500];
	size_t off = 0;
	struct in6_addr s = A("2001:db8::2"), d = A(dst);
	for (int i = 0; i < n; i++) {
		memcpy(pl + off, hdrs[i], lens[i]);
		pl[off] = i + 1 < n ? types[i + 1] : ulp;
		off += lens[i];
	}
	if (ulp == 17) {
		body[6] = body[7] = 0;
		uint16_t c = csum_ip6(&s, &d, 17, body, (uint32_t)blen);
		body[6] = (uint8_t)(c >> 8);
		body[7] = (uint8_t)c;
	} else {
		dp_icmp_csum(body, (uint32_t)blen, &s, &d);
	}
	memcpy(pl + off, body, blen);
	size_t len = dp_frame(f, MAC_US, &s, &d, n ? types[0] : ulp, 64, pl, (uint32_t)(off + blen));
	umk_input(H.s, H.ifx, f, len);
}

struct got {
	int type[4];
	size_t len[4];
	uint8_t data[4][64];
	int n;
};

static ssize_t recv_ext(int sd, struct got *g)
{
	char data[64], ctl[512];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	memset(g, 0, sizeof(*g));
	ssize_t n = umk_recvmsg(H.s, sd, &m, 0);
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c && g->n < 4; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != IPPROTO_IPV6 || c->cmsg_type == IPV6_HOPLIMIT)
			continue;
		g->type[g->n] = c->cmsg_type;
		g->len[g->n] = c->cmsg_len - CMSG_LEN(0);
		memcpy(g->data[g->n], CMSG_DATA(c), g->len[g->n] < 64 ? g->len[g->n] : 64);
		g->n++;
	}
	return n;
}

struct recv_case {
	const char *name;
	bool hop, dst, rth;          /* what the socket asks for */
	int want[4];                 /* cmsg types expected, in order, 0-terminated */
};

static void test_recv_udp(void **state)
{
	/* the packet: HBH (16), DSTOPTS before RH (8), RH type 2 Segments Left 0 (24),
	 * DSTOPTS (16), UDP */
	uint8_t r2[24];
	rh2(r2, "2001:db8::1");
	r2[3] = 0;
	const uint8_t *hdrs[4] = { OPTS16, OPTS8, r2, OPTS16 };
	const uint8_t types[4] = { 0, 60, 43, 60 };
	const size_t lens[4] = { 16, 8, 24, 16 };
	static const struct recv_case cases[] = {
		{ "nothing asked", false, false, false, { 0 } },
		{ "hop-by-hop only", true, false, false, { IPV6_HOPOPTS } },
		{ "destination options: both of them", false, true, false,
		  { IPV6_DSTOPTS, IPV6_DSTOPTS } },
		{ "routing only", false, false, true, { IPV6_RTHDR } },
		{ "all, in packet order", true, true, true,
		  { IPV6_HOPOPTS, IPV6_DSTOPTS, IPV6_RTHDR, IPV6_DSTOPTS } },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct recv_case *c = &cases[k];
		int sd = umk_socket(H.s, AF_INET6, SOCK_DGRAM, 0);
		struct sockaddr_in6 me = SA("::", 5300, 0);
		assert_int_equal(umk_bind(H.s, sd, SAP(me), sizeof(me)), 0);
		int v = 1;
		if (c->hop)
			umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RECVHOPOPTS, &v, sizeof(v));
		if (c->dst)
			umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RECVDSTOPTS, &v, sizeof(v));
		if (c->rth)
			umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RECVRTHDR, &v, sizeof(v));
		uint8_t u[12];
		udp_emit(u, 999, 5300, sizeof(u));
		memcpy(u + 8, "data", 4);
		inject("2001:db8::1", hdrs, types, lens, 4, 17, u, sizeof(u));
		struct got g;
		ssize_t n = recv_ext(sd, &g);
		if (n != 4)
			fail_msg("%s: recvmsg gave %zd", c->name, n);
		int nw = 0;
		while (nw < 4 && c->want[nw])
			nw++;
		if (g.n != nw)
			fail_msg("%s: %d cmsgs, want %d", c->name, g.n, nw);
		for (int i = 0; i < nw; i++) {
			assert_int_equal(g.type[i], c->want[i]);
			/* byte for byte as they came, Next Header included */
			int src = c->want[i] == IPV6_HOPOPTS ? 0 : c->want[i] == IPV6_RTHDR ? 2 :
				  (c->hop || c->rth) ? (i == 1 ? 1 : 3) : (i == 0 ? 1 : 3);
			assert_int_equal(g.len[i], lens[src]);
			assert_memory_equal(g.data[i] + 1, hdrs[src] + 1, lens[src] - 1);
			uint8_t next = src < 3 ? types[src + 1] : 17;
			assert_int_equal(g.data[i][0], next);
		}
		umk_close(H.s, sd);
	}
}

static void test_recv_raw_icmp_and_loopback(void **state)
{
	int sd = umk_socket(H.s, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	int v = 1;
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_RECVDSTOPTS, &v, sizeof(v)), 0);
	struct icmp6_filter flt;
	ICMP6_FILTER_SETBLOCKALL(&flt);
	ICMP6_FILTER_SETPASS(128, &flt);
	umk_setsockopt(H.s, sd, IPPROTO_ICMPV6, ICMP6_FILTER, &flt, sizeof(flt));
	const uint8_t *hdrs[1] = { OPTS16 };
	const uint8_t types[1] = { 60 };
	const size_t lens[1] = { 16 };
	uint8_t echo[12] = { 128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g' };
	inject("2001:db8::1", hdrs, types, lens, 1, 58, echo, sizeof(echo));
	struct got g;
	assert_int_equal(recv_ext(sd, &g), 12);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.type[0], IPV6_DSTOPTS);
	assert_int_equal(g.len[0], 16);
	assert_int_equal(g.data[0][0], 58);
	assert_memory_equal(g.data[0] + 1, OPTS16 + 1, 15);
	/* without extension headers: no cmsg */
	inject("2001:db8::1", NULL, NULL, NULL, 0, 58, echo, sizeof(echo));
	assert_int_equal(recv_ext(sd, &g), 12);
	assert_int_equal(g.n, 0);
	umk_close(H.s, sd);

	/* loopback end to end: a UDP socket sends to another with sticky HBH + DSTOPTS */
	int a = umk_socket(H.s, AF_INET6, SOCK_DGRAM, 0), b = umk_socket(H.s, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 me = SA("2001:db8::1", 5400, 0);
	assert_int_equal(umk_bind(H.s, a, SAP(me), sizeof(me)), 0);
	umk_setsockopt(H.s, a, IPPROTO_IPV6, IPV6_RECVHOPOPTS, &v, sizeof(v));
	umk_setsockopt(H.s, a, IPPROTO_IPV6, IPV6_RECVDSTOPTS, &v, sizeof(v));
	assert_int_equal(umk_setsockopt(H.s, b, IPPROTO_IPV6, IPV6_HOPOPTS, OPTS8, 8), 0);
	assert_int_equal(umk_setsockopt(H.s, b, IPPROTO_IPV6, IPV6_DSTOPTS, OPTS16, 16), 0);
	assert_int_equal(umk_sendto(H.s, b, "loop", 4, 0, SAP(me), sizeof(me)), 4);
	assert_int_equal(recv_ext(a, &g), 4);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.type[0], IPV6_HOPOPTS);
	assert_int_equal(g.data[0][0], 60);
	assert_memory_equal(g.data[0] + 1, OPTS8 + 1, 7);
	assert_int_equal(g.type[1], IPV6_DSTOPTS);
	assert_int_equal(g.data[1][0], 17);
	assert_memory_equal(g.data[1] + 1, OPTS16 + 1, 15);
	/* a control buffer too small: MSG_CTRUNC, the data still comes */
	assert_int_equal(umk_sendto(H.s, b, "loop", 4, 0, SAP(me), sizeof(me)), 4);
	char data[8], ctl[CMSG_SPACE(8)];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	assert_int_equal(umk_recvmsg(H.s, a, &m, 0), 4);
	assert_true(m.msg_flags & MSG_CTRUNC);
	assert_memory_equal(data, "loop", 4);
	umk_close(H.s, a);
	umk_close(H.s, b);
}

/* ---- the remote socket calls ---- */

static uint8_t rbuf[CTL_MSG_MAX], rep_buf[CTL_MSG_MAX];
static int owner;
static void no_ev(void *ctx, int sd, short ev) { }

/* Runs the request being built in b; the reply parsed into r, its A_ERRNO returned. */
static int call(struct ctl_builder *b, struct ctl_msg *r)
{
	int len = ctl_build_end(b);
	struct ctl_msg m;
	assert_true(len > 0);
	assert_int_equal(ctl_msg_parse(rbuf, (size_t)len, &m), 0);
	int n = sock_ctl_handle(H.s, &owner, no_ev, NULL, &m, rep_buf, sizeof(rep_buf));
	assert_true(n > 0);
	assert_int_equal(ctl_msg_parse(rep_buf, (size_t)n, r), 0);
	int32_t e = -1;
	ctl_get_s32(r, A_ERRNO, &e);
	return e;
}

static void test_remote_calls(void **state)
{
	struct ctl_builder b;
	struct ctl_msg r;
	uint32_t sd;
	/* a 1024-byte Destination Options header: three options of 255 bytes and one of 248 */
	static uint8_t big[1024];
	int off = umk_inet6_opt_init(big, sizeof(big));
	void *db;
	for (int i = 0; i < 3; i++) {
		off = umk_inet6_opt_append(big, sizeof(big), off, 0x1e, 255, 1, &db);
		assert_true(off > 0);
		memset(db, i + 1, 255);
	}
	off = umk_inet6_opt_append(big, sizeof(big), off, 0x1e, 248, 1, &db);
	assert_true(off > 0);
	assert_int_equal(umk_inet6_opt_finish(big, sizeof(big), off), 1024);

	ctl_build_begin(&b, rbuf, sizeof(rbuf), CTL_MSG_SOCK_SOCKET, 0, 1);
	ctl_put_u32(&b, A_DOMAIN, AF_INET6);
	ctl_put_u32(&b, A_SOCKTYPE, SOCK_DGRAM);
	ctl_put_u32(&b, A_SOCKPROTO, 0);
	assert_int_equal(call(&b, &r), 0);
	assert_true(ctl_get_u32(&r, A_SD, &sd));
	struct sockaddr_in6 me = SA("2001:db8::1", 5500, 0);
	ctl_build_begin(&b, rbuf, sizeof(rbuf), CTL_MSG_SOCK_BIND, 0, 2);
	ctl_put_u32(&b, A_SD, sd);
	ctl_sockaddr_put(&b, &me);
	assert_int_equal(call(&b, &r), 0);
	int one = 1;
	ctl_build_begin(&b, rbuf, sizeof(rbuf), CTL_MSG_SOCK_SETSOCKOPT, 0, 3);
	ctl_put_u32(&b, A_SD, sd);
	ctl_put_u32(&b, A_LEVEL, IPPROTO_IPV6);
	ctl_put_u32(&b, A_OPTNAME, IPV6_RECVDSTOPTS);
	ctl_put(&b, A_OPTVAL, &one, sizeof(one));
	assert_int_equal(call(&b, &r), 0);

	/* the big header as a cmsg of a send to ourselves */
	static uint8_t ctl[CMSG_SPACE(1024)], enc[1200];
	struct msghdr mh = { .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_DSTOPTS;
	c->cmsg_len = CMSG_LEN(1024);
	memcpy(CMSG_DATA(c), big, 1024);
	int en = ctl_cmsg_encode(&mh, enc, sizeof(enc));
	assert_true(en > 1024);
	ctl_build_begin(&b, rbuf, sizeof(rbuf), CTL_MSG_SOCK_SENDMSG, 0, 4);
	ctl_put_u32(&b, A_SD, sd);
	ctl_put(&b, A_DATA, "remote", 6);
	ctl_sockaddr_put(&b, &me);
	ctl_put(&b, A_CMSG, enc, (size_t)en);
	ctl_put_u32(&b, A_MSGFLAGS, 0);
	assert_int_equal(call(&b, &r), 0);

	/* read back through the remote recvmsg: the header comes as it went */
	ctl_build_begin(&b, rbuf, sizeof(rbuf), CTL_MSG_SOCK_RECVMSG, 0, 5);
	ctl_put_u32(&b, A_SD, sd);
	ctl_put_u32(&b, A_BUFLEN, 64);
	ctl_put_u32(&b, A_MSGFLAGS, 0);
	assert_int_equal(call(&b, &r), 0);
	assert_int_equal(r.attr[A_DATA].len, 6);
	assert_memory_equal(ctl_get_bytes(&r, A_DATA), "remote", 6);
	const uint8_t *cm = ctl_get_bytes(&r, A_CMSG);
	assert_non_null(cm);
	static uint8_t back[CMSG_SPACE(1024) + 64];
	struct msghdr bm = { .msg_control = back, .msg_controllen = sizeof(back) };
	assert_int_equal(ctl_cmsg_decode(cm, r.attr[A_CMSG].len, &bm), 0);
	c = CMSG_FIRSTHDR(&bm);
	assert_non_null(c);
	assert_int_equal(c->cmsg_type, IPV6_DSTOPTS);
	assert_int_equal(c->cmsg_len, CMSG_LEN(1024));
	assert_int_equal(CMSG_DATA(c)[0], 17);            /* Next Header filled: UDP */
	assert_memory_equal(CMSG_DATA(c) + 1, big + 1, 1023);

	/* a sticky header of 1024 bytes set and read back remotely */
	ctl_build_begin(&b, rbuf, sizeof(rbuf), CTL_MSG_SOCK_SETSOCKOPT, 0, 6);
	ctl_put_u32(&b, A_SD, sd);
	ctl_put_u32(&b, A_LEVEL, IPPROTO_IPV6);
	ctl_put_u32(&b, A_OPTNAME, IPV6_HOPOPTS);
	ctl_put(&b, A_OPTVAL, big, 1024);
	assert_int_equal(call(&b, &r), 0);
	ctl_build_begin(&b, rbuf, sizeof(rbuf), CTL_MSG_SOCK_GETSOCKOPT, 0, 7);
	ctl_put_u32(&b, A_SD, sd);
	ctl_put_u32(&b, A_LEVEL, IPPROTO_IPV6);
	ctl_put_u32(&b, A_OPTNAME, IPV6_HOPOPTS);
	ctl_put_u32(&b, A_BUFLEN, 2048);
	assert_int_equal(call(&b, &r), 0);
	assert_int_equal(r.attr[A_OPTVAL].len, 1024);
	assert_memory_equal(ctl_get_bytes(&r, A_OPTVAL), big, 1024);
	sock_ctl_release(H.s, &owner);
}

/* ---- next to IPsec ---- */

/* Sends "held!" with a Destination Options cmsg from this frame's stack. */
static __attribute__((noinline)) ssize_t send_dst_cmsg(int sd, const struct sockaddr_in6 *to)
{
	uint8_t ctl[CMSG_SPACE(16)];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov = { "held!", 5 };
	struct msghdr m = { .msg_name = (void *)to, .msg_namelen = sizeof(*to), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_DSTOPTS;
	c->cmsg_len = CMSG_LEN(16);
	memcpy(CMSG_DATA(c), OPTS16, 16);
	return umk_sendmsg(H.s, sd, &m, 0);
}

/* Writes over the stack where send_dst_cmsg's frame was. */
static __attribute__((noinline)) void clobber(void)
{
	volatile uint8_t junk[8192];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = 0xa5;
}

static void test_ipsec_held_send(void **state)
{
	int sd = umk_socket(H.s, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(umk_setsockopt(H.s, sd, IPPROTO_IPV6, IPV6_HOPOPTS, OPTS8, 8), 0);
	struct ipsec_policy p = { .dir = IPSEC_DIR_OUT, .action = IPSEC_PROTECT, .n_req = 1,
				  .priority = 100 };
	p.sel.proto = IPSEC_PROTO_ANY;
	p.sel.icmp_type = p.sel.icmp_code = IPSEC_ICMP_ANY;
	p.req[0] = (struct ipsec_req){ .proto = 50, .mode = IPSEC_MODE_TRANSPORT, .level = 2 };
	assert_int_equal(spd_add(H.s, &p, false, NULL), 0);
	struct sockaddr_in6 to = SA("2001:db8::2", 4500, 0);
	dp_clear();
	assert_int_equal(send_dst_cmsg(sd, &to), 5);
	for (int i = 0; i < H.n; i++) {                /* held: no UDP on the wire */
		struct dp_seen v;
		assert_false(!dp_parse(i, &v) && v.chain.nxt == 17);
	}
	clobber();
	/* a bypass ahead of it: the held packet goes out when released */
	struct ipsec_policy b = { .dir = IPSEC_DIR_OUT, .action = IPSEC_BYPASS, .priority = 10 };
	b.sel.dst = to.sin6_addr;
	b.sel.dst_plen = 128;
	b.sel.proto = IPSEC_PROTO_ANY;
	b.sel.icmp_type = b.sel.icmp_code = IPSEC_ICMP_ANY;
	assert_int_equal(spd_add(H.s, &b, false, NULL), 0);
	dp_clear();
	spd_release_held(H.s);
	int k;
	struct chain c;
	for (k = 0; k < H.n; k++) {
		walk(k, &c);
		if (c.final == 17)
			break;
	}
	assert_true(k < H.n);
	/* the final Destination Options as given (what a held packet keeps), then UDP whose
	 * checksum was made once, over the right bytes */
	assert_int_equal(c.n, 1);
	assert_int_equal(c.type[0], 60);
	const uint8_t *ip = H.frame[k] + 14;
	assert_int_equal(ip[c.off[0]], 17);
	assert_memory_equal(ip + c.off[0] + 1, OPTS16 + 1, 15);
	struct in6_addr src = A("2001:db8::1");
	uint32_t ulen = (uint32_t)H.len[k] - 14 - c.final_off;
	assert_int_equal(ulen, 8 + 5);
	assert_int_equal(csum_ip6(&src, &to.sin6_addr, 17, ip + c.final_off, ulen), 0);
	assert_memory_equal(ip + c.final_off + 8, "held!", 5);
	umk_close(H.s, sd);
}

/* The remote calls' cmsg encoder refuses a cmsg_len that runs past msg_controllen, as the
 * local send path (dgram.c) does, instead of copying what lies after the caller's buffer. */
static void test_remote_cmsg_bounds(void **state)
{
	struct {
		union {
			struct cmsghdr h;
			uint8_t b[CMSG_SPACE(sizeof(int))];
		} ctl;
		uint8_t after[256];           /* what the encoder must not read */
	} u;
	memset(&u, 0x5a, sizeof(u));
	struct msghdr mh = { .msg_control = u.ctl.b, .msg_controllen = sizeof(u.ctl.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_HOPLIMIT;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	uint8_t out[4096];
	int n = ctl_cmsg_encode(&mh, out, sizeof(out));
	assert_int_equal(n, 12 + 4);
	c->cmsg_len = CMSG_LEN(200);        /* longer than the control buffer */
	assert_int_equal(ctl_cmsg_encode(&mh, out, sizeof(out)), -EINVAL);
	c->cmsg_len = CMSG_LEN(0) - 1;
	assert_int_equal(ctl_cmsg_encode(&mh, out, sizeof(out)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accept_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wire_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments_keep_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nexthop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_raw_icmp_and_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipsec_held_send, setup, teardown),
		cmocka_unit_test(test_remote_cmsg_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
