/*
 * sim_ipsec_natt.c - two stacks exchanging RFC 3948 UDP-encapsulated ESP and RFC 3173
 * IPComp before ESP, set up through PF_KEY v2 messages as a key daemon would (the NAT-T
 * extensions, IPComp associations, policies with an ipcomp/use + esp/require bundle):
 *   - ESP in UDP, transport and tunnel mode: pings go both ways, the wire carries only
 *     UDP to port 4500 whose checksum verifies over the IPv6 pseudo-header, never bare
 *     ESP or a clear echo;
 *   - port 4500 shared with IKE: a non-ESP-marker datagram reaches B's UDP socket on the
 *     port, marker included; a NAT-keepalive is consumed and counted; ESP-in-UDP with an
 *     unknown SPI is dropped and counted by ESP; a peer's new source port is counted and
 *     its ESP still accepted, and B's key daemon gets one SADB_X_NAT_T_NEW_MAPPING;
 *   - IPComp + ESP: a large ping leaves compressed inside ESP (smaller on the wire than
 *     uncompressed), a small one uncompressed and counted, both answered; and the same
 *     bundle over ESP in UDP.
 *
 *     [A] eth0 ----- link 0 (1 ms, no loss) ----- eth0 [B]
 *      2001:db8::a/64                              2001:db8::b/64
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <umikame/mgmt.h>
#include <umikame/socket.h>
#include "core/stack_int.h"
#include "ipsec/ipsec.h"
#include "sim.h"
#include "wire/checksum.h"
#include "wire/pfkey.h"

static struct sim_net *net;
static struct umk_stack *a, *b;
static int ia, ib, link0;
static struct in6_addr addr_a, addr_b;
static int replies;

/* what A put on the wire */
static struct {
	int udp4500, udp_bad_csum, esp, clear_echo, other;
	size_t max_len;
} wire;

static void on_echo(void *ctx, const struct umk_echo_event *ev)
{
	if (ev->icmp_type == 129 && !ev->truncated_or_bad)
		replies++;
}

static void watch(void *ctx, int link, int port, const uint8_t *f, size_t len, umk_time_t now)
{
	if (len < 14 + 40 || f[12] != 0x86 || f[13] != 0xdd)
		return;
	const uint8_t *ip = f + 14;
	if (memcmp(ip + 8, &addr_a, 16) != 0)
		return;
	uint8_t nxt = ip[6];
	size_t plen = (size_t)(ip[4] << 8 | ip[5]);
	if (len > wire.max_len)
		wire.max_len = len;
	if (nxt == 17 && plen >= 8 && (ip[40 + 2] << 8 | ip[40 + 3]) == 4500) {
		wire.udp4500++;
		struct in6_addr s, d;
		memcpy(&s, ip + 8, 16);
		memcpy(&d, ip + 24, 16);
		if (csum_ip6(&s, &d, 17, ip + 40, plen) != 0 || !(ip[46] | ip[47]))
			wire.udp_bad_csum++;
	} else if (nxt == 50) {
		wire.esp++;
	} else if (nxt == 58 && ip[40] == 128) {
		wire.clear_echo++;
	} else if (nxt != 58) {
		wire.other++;
	}
}

/* ---- PF_KEY ---- */

struct reply {
	int n;
	uint8_t err;
};

static void on_reply(void *ctx, const void *msg, size_t len)
{
	struct reply *r = ctx;
	r->n++;
	r->err = ((const uint8_t *)msg)[2];
}

static int pfkey(struct umk_stack *s, struct pfkey_buf *bf)
{
	struct reply r = { 0 };
	int n = pfkey_finish(bf);
	assert_true(n > 0);
	pfkey_handle(s, bf->p, (size_t)n, on_reply, &r);
	assert_int_equal(r.n, 1);
	return r.err;
}

/* An AES-GCM ESP SA (udp_sport 0: plain ESP) or, with satype IPComp, a deflate IPCA. */
static void add_sa(struct umk_stack *s, uint8_t satype, uint32_t spi, const struct in6_addr *src,
		   const struct in6_addr *dst, uint8_t mode, uint16_t sport, uint16_t dport)
{
	uint8_t buf[1024], key[20];
	struct pfkey_buf bf;
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_ADD, .satype = satype, .seq = 1 };
	pfkey_emit_base(&bf, &h);
	bool comp = satype == SADB_X_SATYPE_IPCOMP;
	struct pfkey_sa sa = { .spi = spi, .replay = comp ? 0 : 8, .state = SADB_SASTATE_MATURE,
			       .encrypt = comp ? SADB_X_CALG_DEFLATE : SADB_X_EALG_AES_GCM_ICV16 };
	pfkey_emit_sa(&bf, &sa);
	struct pfkey_address ad = { .proto = 255, .prefixlen = 128, .addr = *src };
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &ad);
	ad.addr = *dst;
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &ad);
	for (int i = 0; i < 20; i++)
		key[i] = (uint8_t)(spi + i);
	if (!comp)
		pfkey_emit_key(&bf, SADB_EXT_KEY_ENCRYPT, key, 20);
	struct pfkey_sa2 sa2 = { .mode = mode };
	pfkey_emit_sa2(&bf, &sa2);
	if (sport) {
		struct pfkey_natt n = { .type = 2, .sport = sport, .dport = dport };
		pfkey_emit_natt(&bf, &n, NULL);
	}
	assert_int_equal(pfkey(s, &bf), 0);
}

/* Upper-layer protocol ulp (255: any) between src and dst protected by the requests
 * (proto, mode, level), in order. */
static void add_policy(struct umk_stack *s, uint8_t dir, const struct in6_addr *src,
		       const struct in6_addr *dst, uint8_t ulp, int n, const uint16_t (*req)[3])
{
	uint8_t buf[1024];
	struct pfkey_buf bf;
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_X_SPDADD, .seq = 2 };
	pfkey_emit_base(&bf, &h);
	struct pfkey_address ad = { .proto = ulp, .prefixlen = 128, .addr = *src };
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &ad);
	ad.addr = *dst;
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &ad);
	struct pfkey_policy pol = { .type = IPSEC_POLICY_IPSEC, .dir = dir, .n_req = (uint8_t)n };
	for (int i = 0; i < n; i++) {
		pol.req[i] = (struct pfkey_ipsecreq){ .proto = req[i][0], .mode = (uint8_t)req[i][1],
						      .level = (uint8_t)req[i][2] };
		if (req[i][1] == 2) {
			pol.req[i].tunnel_addrs = true;
			pol.req[i].src.addr = *src;
			pol.req[i].dst.addr = *dst;
		}
	}
	pfkey_emit_policy(&bf, &pol);
	assert_int_equal(pfkey(s, &bf), 0);
}

/* SAs A->B (spi) and B->A (spi + 1) on both stacks, with policies both ways. */
static void protect(uint8_t satype, uint32_t spi, uint8_t mode, uint16_t port_a,
		    uint16_t port_b)
{
	for (int side = 0; side < 2; side++) {
		struct umk_stack *s = side ? b : a;
		add_sa(s, satype, spi, &addr_a, &addr_b, mode, port_a, port_b);
		add_sa(s, satype, spi + 1, &addr_b, &addr_a, mode, port_b, port_a);
	}
}

static void policies(uint8_t ulp, int n, const uint16_t (*req)[3])
{
	add_policy(a, IPSEC_DIR_OUTBOUND, &addr_a, &addr_b, ulp, n, req);
	add_policy(a, IPSEC_DIR_INBOUND, &addr_b, &addr_a, ulp, n, req);
	add_policy(b, IPSEC_DIR_OUTBOUND, &addr_b, &addr_a, ulp, n, req);
	add_policy(b, IPSEC_DIR_INBOUND, &addr_a, &addr_b, ulp, n, req);
}

static int setup(void **state)
{
	static const uint8_t ma[6] = { 2, 0, 0, 0, 0, 0xa }, mb[6] = { 2, 0, 0, 0, 0, 0xb };
	net = sim_net_new(7);
	link0 = sim_link_new(net, 1, 0.0);
	a = sim_stack_new(net, NULL);
	b = sim_stack_new(net, NULL);
	ia = sim_attach(net, link0, a, "eth0", ma, 1500, NULL);
	ib = sim_attach(net, link0, b, "eth0", mb, 1500, NULL);
	inet_pton(AF_INET6, "2001:db8::a", &addr_a);
	inet_pton(AF_INET6, "2001:db8::b", &addr_b);
	umk_if_up(a, ia);
	umk_if_up(b, ib);
	umk_addr_add(a, ia, &addr_a, 64);
	umk_addr_add(b, ib, &addr_b, 64);
	replies = 0;
	memset(&wire, 0, sizeof(wire));
	umk_echo_set_handler(a, on_echo, NULL);
	sim_watch(net, watch, NULL);
	sim_run_for(net, 5000);
	return 0;
}

static int teardown(void **state)
{
	sim_net_free(net);
	return 0;
}

static int ping(int n, uint32_t size)
{
	int before = replies;
	for (int i = 0; i < n; i++) {
		umk_echo_send(a, &addr_b, 0, 0, 7, (uint16_t)i, size, 0);
		sim_run_for(net, 200);
	}
	return replies - before;
}

static const uint16_t esp_transport[][3] = { { 50, 1, 2 } };
static const uint16_t esp_tunnel[][3] = { { 50, 2, 2 } };
static const uint16_t comp_esp[][3] = { { 108, 1, 1 }, { 50, 1, 2 } };

static void test_udp_transport(void **state)
{
	protect(SADB_SATYPE_ESP, 0x1000, 1, 4500, 4500);
	policies(58, 1, esp_transport);
	memset(&wire, 0, sizeof(wire));
	assert_int_equal(ping(5, 56), 5);
	assert_true(wire.udp4500 >= 5);
	assert_int_equal(wire.udp_bad_csum, 0);
	assert_int_equal(wire.esp, 0);
	assert_int_equal(wire.clear_echo, 0);
	assert_true(b->counters[CNT_UDPENCAP_IN_ESP] >= 5);
	assert_true(a->counters[CNT_UDPENCAP_IN_ESP] >= 5);    /* the replies came back in UDP */
	assert_true(a->counters[CNT_UDPENCAP_OUT_PKTS] >= 5);
	assert_true(b->counters[CNT_ESP_IN_OK] >= 5);
}

static void test_udp_tunnel(void **state)
{
	/* odd ports on both sides, as behind a NAT */
	protect(SADB_SATYPE_ESP, 0x1100, 2, 4500, 61000);
	policies(58, 1, esp_tunnel);
	memset(&wire, 0, sizeof(wire));
	assert_int_equal(ping(4, 300), 4);
	assert_true(wire.udp4500 == 0);   /* A sends from 4500 to B's 61000: counted below */
	assert_int_equal(wire.esp, 0);
	assert_int_equal(wire.clear_echo, 0);
	assert_true(b->counters[CNT_UDPENCAP_IN_ESP] >= 4);
	assert_true(b->counters[CNT_ESP_IN_OK] >= 4);
	assert_true(a->counters[CNT_UDPENCAP_IN_ESP] >= 4);
}

/* what B's key daemon hears */
static uint8_t key_msg[512];
static size_t key_len;
static int key_msgs;

static void on_key_msg(void *ctx, const void *msg, size_t len)
{
	key_msgs++;
	key_len = len < sizeof(key_msg) ? len : sizeof(key_msg);
	memcpy(key_msg, msg, key_len);
}

static struct sockaddr_in6 sa6(const struct in6_addr *a6, uint16_t port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_addr = *a6 };
	return s;
}

static void test_port_sharing(void **state)
{
	protect(SADB_SATYPE_ESP, 0x1200, 1, 4500, 4500);
	policies(58, 1, esp_transport);      /* ICMPv6 only: IKE and keepalives go as UDP */
	/* B's IKE daemon on port 4500, A's too */
	int sb = umk_socket(b, AF_INET6, SOCK_DGRAM, 0);
	int sa = umk_socket(a, AF_INET6, SOCK_DGRAM, 0);
	struct in6_addr any = IN6ADDR_ANY_INIT;
	struct sockaddr_in6 lb = sa6(&any, 4500), la = sa6(&any, 4500), to = sa6(&addr_b, 4500);
	assert_int_equal(umk_bind(b, sb, (struct sockaddr *)&lb, sizeof(lb)), 0);
	assert_int_equal(umk_bind(a, sa, (struct sockaddr *)&la, sizeof(la)), 0);

	/* RFC 3948 2.2: IKE behind the non-ESP marker goes to the socket, marker and all */
	static const uint8_t ike[] = { 0, 0, 0, 0, 'I', 'K', 'E', '!', 1, 2, 3 };
	assert_int_equal(umk_sendto(a, sa, ike, sizeof(ike), 0, (struct sockaddr *)&to,
				    sizeof(to)), (ssize_t)sizeof(ike));
	sim_run_for(net, 100);
	uint8_t got[64];
	assert_int_equal(umk_recvfrom(b, sb, got, sizeof(got), MSG_DONTWAIT, NULL, NULL),
			 (ssize_t)sizeof(ike));
	assert_memory_equal(got, ike, sizeof(ike));
	assert_int_equal(b->counters[CNT_UDPENCAP_IN_IKE], 1);

	/* RFC 3948 2.3: a keepalive is consumed, never reaches the socket */
	static const uint8_t ka[] = { 0xff };
	assert_int_equal(umk_sendto(a, sa, ka, 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	sim_run_for(net, 100);
	assert_int_equal(b->counters[CNT_UDPENCAP_IN_KEEPALIVE], 1);
	assert_true(umk_recvfrom(b, sb, got, sizeof(got), MSG_DONTWAIT, NULL, NULL) < 0);

	/* ESP-in-UDP with an SPI nobody has: de-encapsulated, then ESP's no-SA drop */
	static const uint8_t bogus[] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 9, 9, 9, 9,
					 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };
	uint64_t nosa = b->counters[CNT_IPSEC_DROP_NO_SA];
	assert_int_equal(umk_sendto(a, sa, bogus, sizeof(bogus), 0, (struct sockaddr *)&to,
				    sizeof(to)), (ssize_t)sizeof(bogus));
	sim_run_for(net, 100);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_NO_SA], nosa + 1);
	assert_true(umk_recvfrom(b, sb, got, sizeof(got), MSG_DONTWAIT, NULL, NULL) < 0);

	/* and real ESP still flows over the shared port */
	assert_int_equal(ping(2, 56), 2);
	assert_true(b->counters[CNT_UDPENCAP_IN_ESP] >= 3);

	/* a NAT rebinding: A's SA now leaves from port 4501; B counts the new port, still
	 * takes the ESP (the SPI names the SA) and tells its key daemon once */
	ipsec_set_listener(b, on_key_msg, NULL);
	pfkey_set_registered(b, 1u << SADB_SATYPE_ESP);
	struct ipsec_sa *out = sad_lookup(a, 0x1200, &addr_b, 50);
	assert_non_null(out);
	out->encap_sport = 4501;
	assert_int_equal(ping(3, 56), 3);
	assert_true(b->counters[CNT_UDPENCAP_IN_PORT_CHANGED] >= 3);
	assert_int_equal(key_msgs, 1);
	struct pfkey_msg m;
	assert_int_equal(pfkey_parse(key_msg, key_len, &m), 0);
	assert_int_equal(m.base.type, SADB_X_NAT_T_NEW_MAPPING);
	assert_int_equal(m.base.satype, SADB_SATYPE_ESP);
	assert_int_equal(m.sa.spi, 0x1200);
	assert_memory_equal(&m.addr[0].addr, &addr_a, 16);
	assert_memory_equal(&m.addr[1].addr, &addr_b, 16);
	assert_int_equal(m.natt.sport, 4501);
	assert_int_equal(m.natt.dport, 4500);
	assert_false(PFKEY_HAS(&m, SADB_X_EXT_NAT_T_TYPE));
	ipsec_set_listener(b, NULL, NULL);
	umk_close(a, sa);
	umk_close(b, sb);
}

/* A UDP datagram of compressible text from A to B:7777; B must get it whole. The echo
 * pattern does not compress (each 256-byte block differs), so IPComp is seen with UDP. */
static void udp_text(size_t n)
{
	static uint8_t msg[4000], got[4000];
	static const char words[] = "compressible text for IPComp, again and again. ";
	for (size_t i = 0; i < n; i++)
		msg[i] = (uint8_t)words[i % (sizeof(words) - 1)];
	int sb = umk_socket(b, AF_INET6, SOCK_DGRAM, 0), sa = umk_socket(a, AF_INET6, SOCK_DGRAM, 0);
	struct in6_addr any = IN6ADDR_ANY_INIT;
	struct sockaddr_in6 lb = sa6(&any, 7777), to = sa6(&addr_b, 7777);
	assert_int_equal(umk_bind(b, sb, (struct sockaddr *)&lb, sizeof(lb)), 0);
	assert_int_equal(umk_sendto(a, sa, msg, n, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)n);
	sim_run_for(net, 100);
	assert_int_equal(umk_recvfrom(b, sb, got, sizeof(got), MSG_DONTWAIT, NULL, NULL),
			 (ssize_t)n);
	assert_memory_equal(got, msg, n);
	umk_close(a, sa);
	umk_close(b, sb);
}

static void test_ipcomp_esp(void **state)
{
	protect(SADB_X_SATYPE_IPCOMP, 0x3000, 0, 0, 0);
	protect(SADB_SATYPE_ESP, 0x1300, 1, 0, 0);
	policies(255, 2, comp_esp);
	memset(&wire, 0, sizeof(wire));
	/* 1200 bytes of text leave compressed inside ESP: much smaller on the wire */
	udp_text(1200);
	assert_int_equal(wire.clear_echo, 0);
	assert_int_equal(wire.other, 0);          /* no UDP in the clear */
	assert_int_equal(wire.esp, 1);
	assert_true(wire.max_len < 14 + 40 + 8 + 1200 / 2);
	assert_int_equal(a->counters[CNT_IPCOMP_OUT_PKTS], 1);
	assert_int_equal(b->counters[CNT_IPCOMP_IN_OK], 1);
	/* the echo pattern does not shrink, a small echo is below the threshold: both go
	 * uncompressed (RFC 3173 2.2, RFC 2394 2), counted, inside ESP, and are answered */
	assert_int_equal(ping(2, 1000), 2);
	assert_true(a->counters[CNT_IPCOMP_OUT_NO_GAIN] >= 2);
	uint64_t small = a->counters[CNT_IPCOMP_OUT_SMALL];
	assert_int_equal(ping(2, 16), 2);
	assert_int_equal(a->counters[CNT_IPCOMP_OUT_SMALL], small + 2);
	assert_int_equal(wire.clear_echo, 0);
	assert_int_equal(b->counters[CNT_IPCOMP_DROP_BAD_DATA], 0);
	assert_int_equal(b->counters[CNT_IPCOMP_IN_OK], 1);
}

static void test_ipcomp_esp_udp(void **state)
{
	protect(SADB_X_SATYPE_IPCOMP, 0x3100, 0, 0, 0);
	protect(SADB_SATYPE_ESP, 0x1400, 1, 4500, 4500);
	policies(255, 2, comp_esp);
	memset(&wire, 0, sizeof(wire));
	udp_text(3000);                           /* compressed, then one ESP-in-UDP packet */
	assert_int_equal(wire.udp4500, 1);
	assert_int_equal(wire.udp_bad_csum, 0);
	assert_int_equal(wire.esp, 0);
	assert_true(wire.max_len < 14 + 40 + 8 + 1500 / 2);
	assert_int_equal(b->counters[CNT_UDPENCAP_IN_ESP], 1);
	assert_int_equal(b->counters[CNT_IPCOMP_IN_OK], 1);
	assert_int_equal(ping(2, 56), 2);         /* and pings, uncompressed, in UDP */
	assert_true(wire.udp4500 >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_tunnel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_sharing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipcomp_esp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipcomp_esp_udp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
