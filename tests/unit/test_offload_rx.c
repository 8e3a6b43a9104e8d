/*
 * test_offload_rx.c - what a driver may say of a received frame (umk_pkt_set_offload,
 * the virtio-net header's model) and what the stack does with it: descriptions that do
 * not fit the frame refused (a table); a UDP datagram with a wrong checksum dropped and
 * counted when nothing is said, delivered when the driver's side verified it or left it
 * open; and behind IPComp (RFC 3173) the same claim no longer holds: the decompressed
 * datagram's checksum is checked, so a wrong one is dropped although the frame came
 * "verified" (ip6/input.c offload_forget); nor for a datagram reassembled from a
 * "verified" first fragment (frag6.c); and a left-open field elsewhere than the UDP
 * checksum is no word about it (pkt_csum_trusted). Topology: dp_harness.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>
#include <cmocka.h>

#include "dp_harness.h"
#include "ipsec/ipsec.h"
#include "umikame/socket.h"
#include "wire/ipcomp.h"
#include "wire/udp.h"

#define PORT 5353
#define CPI  0x4242

static uint64_t cnt(enum umk_counter c) { return H.s->counters[c]; }

/* Ethernet | IPv6 2001:db8::2 -> ::1 | UDP 4000 -> PORT with `n` bytes of 'x'; the
 * checksum right, or off by one. Returns the frame length. */
static size_t udp_frame(uint8_t *f, uint32_t n, bool good_csum)
{
	uint8_t u[UDP_HLEN + 512];
	struct in6_addr src = A("2001:db8::2"), dst = A("2001:db8::1");
	assert_true(n <= 512);
	memset(u + UDP_HLEN, 'x', n);
	udp_emit(u, 4000, PORT, (uint16_t)(UDP_HLEN + n));
	uint16_t c = csum_ip6(&src, &dst, IPPROTO6_UDP, u, UDP_HLEN + n);
	if (!good_csum)
		c ^= 0x0100;
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
	return dp_frame(f, MAC_US, &src, &dst, IPPROTO6_UDP, 64, u, UDP_HLEN + n);
}

/* f as a received frame in a packet of the stack's, as a driver makes it. */
static struct umk_pkt *frame_pkt(const uint8_t *f, size_t len)
{
	struct umk_pkt *p = umk_pkt_alloc(H.s, len);
	assert_non_null(p);
	memcpy(umk_pkt_data(p), f, len);
	umk_pkt_set_len(p, len);
	return p;
}

/* Feeds f as a received frame with `off` (NULL: nothing said); returns set_offload's. */
static int feed(const uint8_t *f, size_t len, const struct umk_frame_offload *off)
{
	struct umk_pkt *p = frame_pkt(f, len);
	if (off) {
		int r = umk_pkt_set_offload(p, off);
		if (r) {
			umk_pkt_free(H.s, p);
			return r;
		}
	}
	umk_input_pkt(H.s, H.ifx, p);
	return 0;
}

static int udp_sock(void)
{
	int sd = umk_socket(H.s, AF_INET6, SOCK_DGRAM, 0);
	assert_true(sd >= 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(PORT) };
	assert_int_equal(umk_bind(H.s, sd, (struct sockaddr *)&a, sizeof(a)), 0);
	return sd;
}

/* Receives what waits on sd: its length, or -1 when nothing does. */
static ssize_t take(int sd)
{
	uint8_t buf[1024];
	ssize_t n = umk_recv(H.s, sd, buf, sizeof(buf), MSG_DONTWAIT);
	return n < 0 ? -1 : n;
}

static const struct set_case {
	const char *what;
	uint8_t flags;
	uint16_t gso_size, csum_start, csum_offset;
	int want;
} set_cases[] = {
	{ "nothing said", 0, 0, 0, 0, 0 },
	{ "verified", UMK_FRAME_CSUM_VALID, 0, 0, 0, 0 },
	{ "UDP field left open", UMK_FRAME_CSUM_PARTIAL, 0, 54, 6, 0 },
	{ "super-segment, left open", UMK_FRAME_CSUM_PARTIAL, 1440, 54, 6, 0 },
	{ "super-segment, verified", UMK_FRAME_CSUM_VALID, 1440, 0, 0, 0 },
	{ "unknown flag", 0x80, 0, 0, 0, -EINVAL },
	{ "start in the Ethernet header", UMK_FRAME_CSUM_PARTIAL, 0, 13, 6, -EINVAL },
	{ "odd field offset", UMK_FRAME_CSUM_PARTIAL, 0, 54, 7, -EINVAL },
	{ "field past the frame", UMK_FRAME_CSUM_PARTIAL, 0, 54, 60, -EINVAL },
	{ "start past the frame", UMK_FRAME_CSUM_PARTIAL, 0, 200, 0, -EINVAL },
	{ "super-segment with nothing said", 0, 1440, 0, 0, -EINVAL },
};

static void test_set_offload_checks(void **state)
{
	(void)state;
	dp_setup(true);
	uint8_t f[1600];
	size_t len = udp_frame(f, 16, true);    /* 54 + 8 + 16 = 78 bytes */
	for (size_t i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		const struct set_case *c = &set_cases[i];
		struct umk_pkt *p = frame_pkt(f, len);
		struct umk_frame_offload off = { .flags = c->flags, .gso_size = c->gso_size,
						 .csum_start = c->csum_start,
						 .csum_offset = c->csum_offset };
		int r = umk_pkt_set_offload(p, &off);
		if (r != c->want)
			fail_msg("%s: %d, want %d", c->what, r, c->want);
		umk_pkt_free(H.s, p);
	}
	dp_teardown();
}

static void test_udp_checksum_claims(void **state)
{
	(void)state;
	dp_setup(true);
	int sd = udp_sock();
	uint8_t f[1600];

	/* nothing said: a wrong checksum is dropped and counted, a right one delivered */
	size_t len = udp_frame(f, 32, false);
	uint64_t bad = cnt(CNT_UDP_IN_CSUM_ERRORS);
	assert_int_equal(feed(f, len, NULL), 0);
	assert_int_equal(cnt(CNT_UDP_IN_CSUM_ERRORS), bad + 1);
	assert_int_equal(take(sd), -1);
	len = udp_frame(f, 32, true);
	assert_int_equal(feed(f, len, NULL), 0);
	assert_int_equal(take(sd), 32);

	/* verified on the driver's side: its word is taken */
	len = udp_frame(f, 32, false);
	struct umk_frame_offload valid = { .flags = UMK_FRAME_CSUM_VALID };
	assert_int_equal(feed(f, len, &valid), 0);
	assert_int_equal(take(sd), 32);
	assert_int_equal(cnt(CNT_UDP_IN_CSUM_ERRORS), bad + 1);

	/* left open: the field holds a partial sum, not a checksum; delivered */
	len = udp_frame(f, 40, true);
	f[60] = 0x12;
	f[61] = 0x34;
	struct umk_frame_offload part = { .flags = UMK_FRAME_CSUM_PARTIAL, .csum_start = 54,
					  .csum_offset = 6 };
	assert_int_equal(feed(f, len, &part), 0);
	assert_int_equal(take(sd), 40);
	assert_int_equal(cnt(CNT_UDP_IN_CSUM_ERRORS), bad + 1);
	dp_teardown();
}

/* A description that points elsewhere says nothing of this header's checksum. */
static void test_partial_elsewhere_not_trusted(void **state)
{
	(void)state;
	dp_setup(true);
	int sd = udp_sock();
	uint8_t f[1600];
	size_t len = udp_frame(f, 32, false);
	uint64_t bad = cnt(CNT_UDP_IN_CSUM_ERRORS);
	static const struct { uint16_t start, offset; } elsewhere[] = {
		{ 14, 6 },     /* from the IPv6 header */
		{ 54, 16 },    /* TCP's field in a UDP datagram */
		{ 56, 4 },     /* inside the UDP header */
	};
	for (size_t i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++) {
		struct umk_frame_offload off = { .flags = UMK_FRAME_CSUM_PARTIAL,
						 .csum_start = elsewhere[i].start,
						 .csum_offset = elsewhere[i].offset };
		assert_int_equal(feed(f, len, &off), 0);
		assert_int_equal(take(sd), -1);
		assert_int_equal(cnt(CNT_UDP_IN_CSUM_ERRORS), bad + i + 1);
	}
	dp_teardown();
}

/* Ethernet | IPv6 | Fragment (id 7, offset, M) | `n` bytes of p */
static size_t frag_frame(uint8_t *f, uint16_t offset, bool more, const uint8_t *p, uint32_t n)
{
	uint8_t pl[1600];
	struct ip6_fraghdr fh = { .nxt = IPPROTO6_UDP, .offset = offset, .more = more, .id = 7 };
	ip6_fraghdr_emit(pl, &fh);
	memcpy(pl + IP6_FRAGHDR_LEN, p, n);
	struct in6_addr src = A("2001:db8::2"), dst = A("2001:db8::1");
	return dp_frame(f, MAC_US, &src, &dst, IPPROTO6_FRAGMENT, 64, pl, IP6_FRAGHDR_LEN + n);
}

/* A first fragment "verified" by the driver says nothing of the reassembled datagram. */
static void test_claim_forgotten_in_reassembly(void **state)
{
	(void)state;
	dp_setup(true);
	int sd = udp_sock();
	uint8_t d[1600], f[1600];
	struct umk_frame_offload valid = { .flags = UMK_FRAME_CSUM_VALID };
	for (int good = 1; good >= 0; good--) {
		size_t dl = udp_frame(d, 400, good) - 54;    /* the UDP datagram, 408 bytes */
		uint64_t bad = cnt(CNT_UDP_IN_CSUM_ERRORS);
		size_t len = frag_frame(f, 0, true, d + 54, 200);
		assert_int_equal(feed(f, len, &valid), 0);
		len = frag_frame(f, 200, false, d + 54 + 200, (uint32_t)dl - 200);
		assert_int_equal(feed(f, len, NULL), 0);
		assert_int_equal(take(sd), good ? 400 : -1);
		assert_int_equal(cnt(CNT_UDP_IN_CSUM_ERRORS), bad + !good);
	}
	dp_teardown();
}

/* Ethernet | IPv6 | IPComp CPI | deflate(UDP datagram of udp_frame's with `good_csum`) */
static size_t ipcomp_frame(uint8_t *f, bool good_csum)
{
	uint8_t inner[1600], z[1600], pl[1600];
	size_t ilen = udp_frame(inner, 400, good_csum) - 54;
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = inner + 54;
	zs.avail_in = (uInt)ilen;
	zs.next_out = z;
	zs.avail_out = sizeof(z);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	size_t zlen = zs.total_out;
	deflateEnd(&zs);
	assert_true(zlen < ilen);
	ipcomp_hdr_emit(pl, IPPROTO6_UDP, CPI);
	memcpy(pl + IPCOMP_HLEN, z, zlen);
	struct in6_addr src = A("2001:db8::2"), dst = A("2001:db8::1");
	return dp_frame(f, MAC_US, &src, &dst, IPPROTO6_IPCOMP, 64, pl,
			(uint32_t)(IPCOMP_HLEN + zlen));
}

static void test_claim_forgotten_behind_ipcomp(void **state)
{
	(void)state;
	dp_setup(true);
	struct ipsec_sa t = { .proto = IPPROTO6_IPCOMP, .spi = CPI, .mode = IPSEC_MODE_ANY,
			      .state = SA_MATURE, .src = A("2001:db8::2"),
			      .dst = A("2001:db8::1"), .calg = IPCOMP_ALG_DEFLATE };
	assert_int_equal(sad_add(H.s, &t, NULL), 0);
	int sd = udp_sock();
	uint8_t f[1600];
	struct umk_frame_offload valid = { .flags = UMK_FRAME_CSUM_VALID };

	size_t len = ipcomp_frame(f, true);
	assert_int_equal(feed(f, len, &valid), 0);
	assert_int_equal(take(sd), 400);           /* the path works */

	uint64_t bad = cnt(CNT_UDP_IN_CSUM_ERRORS);
	len = ipcomp_frame(f, false);
	assert_int_equal(feed(f, len, &valid), 0);
	assert_int_equal(take(sd), -1);            /* the inner checksum was checked */
	assert_int_equal(cnt(CNT_UDP_IN_CSUM_ERRORS), bad + 1);
	dp_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_offload_checks),
		cmocka_unit_test(test_udp_checksum_claims),
		cmocka_unit_test(test_partial_elsewhere_not_trusted),
		cmocka_unit_test(test_claim_forgotten_in_reassembly),
		cmocka_unit_test(test_claim_forgotten_behind_ipcomp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
