/*
 * sim_ipsec.c - ESP and AH between two stacks, configured through PF_KEY v2 messages
 * (pfkey_handle) as a key daemon would: echo through a transport-mode SA for several
 * algorithms, through an IPv6-in-IPv6 ESP tunnel and through AH; the wire carries only
 * ESP/AH; tampered, replayed and unknown-SPI packets and unprotected packets under a
 * "require" policy are dropped and counted; a policy without an SA sends an ACQUIRE and
 * holds the packet until the SA comes; a hard lifetime ends the SA with an EXPIRE.
 * RFC 4301 5.2 step 4: a peer holding a valid SA cannot send another host's traffic
 * through it (transport: a spoofed source; tunnel: inner addresses outside the policy).
 *
 *     [A] eth0 ----- link 0 (1 ms, no loss) ----- eth0 [B]
 *      2001:db8::a/64                              2001:db8::b/64
 *      (2001:db8::c: a second address of A, playing host C)
 *
 * test_gateway: B plays a security gateway (RFC 4301 5.1/5.2 on forwarded traffic):
 *
 *   [H] eth0 --- link 1 --- eth0 [G] eth1 --- link 2 --- eth0 [P]
 *   2001:db8:1::10      2001:db8:1::1  2001:db8:2::1      2001:db8:2::2 (tunnel end)
 *                        forwarding                       2001:db8:3::3 (protected net)
 *   G's SPD: 1::/64 <-> 3::/64 through an ESP tunnel 2::1 <-> 2::2; 1::/64 -> 4::/64
 *   discarded; anything else bypasses.
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
#include "core/stack_int.h"
#include "ipsec/ipsec.h"
#include "sim.h"
#include "wire/pfkey.h"
#include <umikame/socket.h>

static struct sim_net *net;
static struct umk_stack *a, *b;
static int ia, ib, link0;
static struct in6_addr addr_a, addr_b;
static int replies;

/* the last ESP/AH frame seen from A, for tampering and replay */
static uint8_t last_frame[2048];
static size_t last_len;
static int plain_from_a, prot_from_a;

static void on_echo(void *ctx, const struct umk_echo_event *ev)
{
	if (ev->icmp_type == 129 && !ev->truncated_or_bad)
		replies++;
}

static void watch(void *ctx, int link, int port, const uint8_t *f, size_t len, umk_time_t now)
{
	if (len < 14 + 40 || f[12] != 0x86 || f[13] != 0xdd)
		return;
	if (memcmp(f + 14 + 8, &addr_a, 16) != 0)
		return;
	uint8_t nxt = f[14 + 6];
	if (nxt == 44 && len >= 14 + 48)
		nxt = f[14 + 40];      /* a fragment: what it carries */
	if (nxt == 50 || nxt == 51) {
		prot_from_a++;
		memcpy(last_frame, f, len);
		last_len = len;
	} else if (nxt == 58 && f[14 + 40] == 128) {
		plain_from_a++;      /* an echo request in the clear */
	}
}

/* ---- PF_KEY messages ---- */

struct reply {
	int n;
	uint8_t err;
	uint8_t type;
};

static void on_reply(void *ctx, const void *msg, size_t len)
{
	struct reply *r = ctx;
	const uint8_t *p = msg;
	r->n++;
	r->err = p[2];
	r->type = p[1];
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

/* SADB_ADD or SADB_UPDATE of an SA; the keys follow from the SPI. */
static int sa_msg(uint8_t type, struct umk_stack *s, uint8_t satype, uint32_t spi,
		  const struct in6_addr *src, const struct in6_addr *dst, uint8_t ealg, int eklen,
		  uint8_t aalg, int aklen, uint8_t mode, uint8_t replay, uint64_t hard_add)
{
	uint8_t buf[1024], key[128];
	struct pfkey_buf bf;
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = type, .satype = satype, .seq = 1 };
	pfkey_emit_base(&bf, &h);
	struct pfkey_sa sa = { .spi = spi, .replay = replay, .state = SADB_SASTATE_MATURE,
			       .auth = aalg, .encrypt = ealg };
	pfkey_emit_sa(&bf, &sa);
	struct pfkey_address ad = { .proto = 255, .prefixlen = 128, .addr = *src };
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &ad);
	ad.addr = *dst;
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &ad);
	for (int i = 0; i < (int)sizeof(key); i++)
		key[i] = (uint8_t)(spi + i);
	if (eklen)
		pfkey_emit_key(&bf, SADB_EXT_KEY_ENCRYPT, key, (uint16_t)eklen);
	if (aklen)
		pfkey_emit_key(&bf, SADB_EXT_KEY_AUTH, key + 8, (uint16_t)aklen);
	struct pfkey_sa2 sa2 = { .mode = mode };
	pfkey_emit_sa2(&bf, &sa2);
	if (hard_add) {
		struct pfkey_lifetime lt = { .addtime = hard_add };
		pfkey_emit_lifetime(&bf, SADB_EXT_LIFETIME_HARD, &lt);
	}
	return pfkey(s, &bf);
}

static int add_sa(struct umk_stack *s, uint8_t satype, uint32_t spi, const struct in6_addr *src,
		  const struct in6_addr *dst, uint8_t ealg, int eklen, uint8_t aalg, int aklen,
		  uint8_t mode, uint8_t replay, uint64_t hard_add)
{
	return sa_msg(SADB_ADD, s, satype, spi, src, dst, ealg, eklen, aalg, aklen, mode, replay,
		      hard_add);
}

/* A policy between src/splen and dst/dplen: bypass, discard, or protect with one request
 * (tunnel mode between tsrc and tdst). */
static int add_policy_full(struct umk_stack *s, uint8_t dir, const struct in6_addr *src,
			   int splen, const struct in6_addr *dst, int dplen, uint16_t type,
			   uint16_t proto, uint8_t mode, const struct in6_addr *tsrc,
			   const struct in6_addr *tdst)
{
	uint8_t buf[1024];
	struct pfkey_buf bf;
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_X_SPDADD, .seq = 2 };
	pfkey_emit_base(&bf, &h);
	struct pfkey_address ad = { .proto = 255, .prefixlen = (uint8_t)splen, .addr = *src };
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &ad);
	ad.addr = *dst;
	ad.prefixlen = (uint8_t)dplen;
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &ad);
	struct pfkey_policy pol = { .type = type, .dir = dir };
	if (type == IPSEC_POLICY_IPSEC) {
		pol.n_req = 1;
		pol.req[0] = (struct pfkey_ipsecreq){ .proto = proto, .mode = mode, .level = 2 };
		if (mode == 2) {
			pol.req[0].tunnel_addrs = true;
			pol.req[0].src.addr = *tsrc;
			pol.req[0].dst.addr = *tdst;
		}
	}
	pfkey_emit_policy(&bf, &pol);
	return pfkey(s, &bf);
}

static int add_policy(struct umk_stack *s, uint8_t dir, const struct in6_addr *src,
		      const struct in6_addr *dst, uint16_t proto, uint8_t mode, uint8_t level)
{
	uint8_t buf[1024];
	struct pfkey_buf bf;
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_X_SPDADD, .seq = 2 };
	pfkey_emit_base(&bf, &h);
	struct pfkey_address ad = { .proto = 255, .prefixlen = 128, .addr = *src };
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &ad);
	ad.addr = *dst;
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &ad);
	struct pfkey_policy pol = { .type = IPSEC_POLICY_IPSEC, .dir = dir, .n_req = 1 };
	pol.req[0] = (struct pfkey_ipsecreq){ .proto = proto, .mode = mode, .level = level };
	if (mode == 2) {
		pol.req[0].tunnel_addrs = true;
		/* the tunnel runs the way the traffic does, in either direction */
		pol.req[0].src.addr = *src;
		pol.req[0].dst.addr = *dst;
	}
	pfkey_emit_policy(&bf, &pol);
	return pfkey(s, &bf);
}

/* Both directions between A and B: SAs 0x1000+n (A->B) and 0x2000+n (B->A), and
 * policies on both ends. */
static void protect_pair(uint8_t satype, uint8_t ealg, int eklen, uint8_t aalg, int aklen,
			 uint8_t mode, uint8_t replay)
{
	uint16_t proto = satype == SADB_SATYPE_ESP ? 50 : 51;
	for (int side = 0; side < 2; side++) {
		struct umk_stack *s = side ? b : a;
		assert_int_equal(add_sa(s, satype, 0x1000, &addr_a, &addr_b, ealg, eklen, aalg,
					aklen, mode, replay, 0), 0);
		assert_int_equal(add_sa(s, satype, 0x2000, &addr_b, &addr_a, ealg, eklen, aalg,
					aklen, mode, replay, 0), 0);
		const struct in6_addr *me = side ? &addr_b : &addr_a, *peer = side ? &addr_a : &addr_b;
		assert_int_equal(add_policy(s, IPSEC_DIR_OUTBOUND, me, peer, proto, mode, 2), 0);
		assert_int_equal(add_policy(s, IPSEC_DIR_INBOUND, peer, me, proto, mode, 2), 0);
	}
}

static void two_stacks(void)
{
	static const uint8_t ma[6] = { 2, 0, 0, 0, 0, 0xa }, mb[6] = { 2, 0, 0, 0, 0, 0xb };
	net = sim_net_new(5);
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
	replies = plain_from_a = prot_from_a = 0;
	umk_echo_set_handler(a, on_echo, NULL);
	sim_watch(net, watch, NULL);
	sim_run_for(net, 5000);
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

static const struct alg_case {
	const char *name;
	uint8_t satype, ealg;
	int eklen;
	uint8_t aalg;
	int aklen;
} alg_cases[] = {
	{ "aes-gcm-16/128", SADB_SATYPE_ESP, SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0 },
	{ "aes-gcm-16/256", SADB_SATYPE_ESP, SADB_X_EALG_AES_GCM_ICV16, 36, 0, 0 },
	{ "chacha20-poly1305", SADB_SATYPE_ESP, SADB_X_EALG_CHACHA20POLY1305, 36, 0, 0 },
	{ "aes-gmac", SADB_SATYPE_ESP, SADB_X_EALG_NULL_AES_GMAC, 20, 0, 0 },
	{ "aes-cbc + sha256", SADB_SATYPE_ESP, SADB_X_EALG_AESCBC, 16, SADB_X_AALG_SHA2_256HMAC, 32 },
	{ "aes-cbc256 + sha512", SADB_SATYPE_ESP, SADB_X_EALG_AESCBC, 32, SADB_X_AALG_SHA2_512HMAC, 64 },
	{ "null + sha384", SADB_SATYPE_ESP, SADB_EALG_NULL, 0, SADB_X_AALG_SHA2_384HMAC, 48 },
	{ "aes-cbc + sha1", SADB_SATYPE_ESP, SADB_X_EALG_AESCBC, 16, SADB_AALG_SHA1HMAC, 20 },
	{ "aes-cbc + xcbc", SADB_SATYPE_ESP, SADB_X_EALG_AESCBC, 16, SADB_X_AALG_AES_XCBC_MAC, 16 },
	{ "ah sha256", SADB_SATYPE_AH, SADB_EALG_NONE, 0, SADB_X_AALG_SHA2_256HMAC, 32 },
	{ "ah xcbc", SADB_SATYPE_AH, SADB_EALG_NONE, 0, SADB_X_AALG_AES_XCBC_MAC, 16 },
};

static void run_modes(uint8_t mode)
{
	for (size_t i = 0; i < sizeof(alg_cases) / sizeof(alg_cases[0]); i++) {
		const struct alg_case *c = &alg_cases[i];
		print_message("%s %s\n", mode == 2 ? "tunnel" : "transport", c->name);
		two_stacks();
		protect_pair(c->satype, c->ealg, c->eklen, c->aalg, c->aklen, mode, 8);
		assert_int_equal(ping(3, 56), 3);
		assert_int_equal(ping(1, 1400), 1);
		assert_int_equal(ping(1, 3000), 1);          /* ESP then fragmented */
		assert_int_equal(plain_from_a, 0);
		assert_true(prot_from_a >= 5);
		uint64_t ok = c->satype == SADB_SATYPE_ESP ? b->counters[CNT_ESP_IN_OK] :
							     b->counters[CNT_AH_IN_OK];
		assert_true(ok >= 5);
		sim_net_free(net);
	}
}

static void test_transport(void **state) { run_modes(1); }
static void test_tunnel(void **state) { run_modes(2); }

/* tampered, replayed, unknown SPI, and unprotected under "require" */
static void test_negative(void **state)
{
	two_stacks();
	protect_pair(SADB_SATYPE_ESP, SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0, 1, 8);
	assert_int_equal(ping(1, 56), 1);
	uint8_t saved[2048];
	size_t n = last_len;
	memcpy(saved, last_frame, n);

	/* replayed: the same frame again */
	uint64_t rep = b->counters[CNT_IPSEC_DROP_REPLAY];
	sim_inject(net, link0, saved, n);
	sim_run_for(net, 100);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_REPLAY], rep + 1);

	/* tampered: one ciphertext bit, with a fresh sequence number */
	uint64_t icv = b->counters[CNT_IPSEC_DROP_ICV];
	uint8_t t[2048];
	memcpy(t, saved, n);
	t[14 + 40 + 7] += 50;      /* sequence number low byte: past the window's top */
	t[n - 20] ^= 0x01;
	sim_inject(net, link0, t, n);
	sim_run_for(net, 100);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_ICV], icv + 1);

	/* truncated */
	uint64_t tr = b->counters[CNT_IPSEC_DROP_TRUNCATED];
	memcpy(t, saved, 14 + 40 + 12);
	t[14 + 4] = 0;
	t[14 + 5] = 12;            /* payload length: ESP header + 4 bytes */
	sim_inject(net, link0, t, 14 + 40 + 12);
	sim_run_for(net, 100);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_TRUNCATED], tr + 1);

	/* unknown SPI */
	uint64_t nosa = b->counters[CNT_IPSEC_DROP_NO_SA];
	memcpy(t, saved, n);
	t[14 + 40 + 2] ^= 0x40;
	sim_inject(net, link0, t, n);
	sim_run_for(net, 100);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_NO_SA], nosa + 1);

	/* an unprotected echo request is refused by B's inbound "require" policy */
	uint64_t pol = b->counters[CNT_IPSEC_DROP_POLICY];
	struct pfkey_buf bf;
	uint8_t buf[64];
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_X_SPDFLUSH };
	pfkey_emit_base(&bf, &h);
	assert_int_equal(pfkey(a, &bf), 0);       /* A sends in the clear now */
	assert_int_equal(ping(1, 56), 0);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_POLICY], pol + 1);
	/* ND kept working under B's policies (the RFC 4301 bypass) */
	assert_true(b->counters[CNT_IPSEC_ND_BYPASS] > 0);
	sim_net_free(net);
}

struct listener {
	int acquire, expire_hard, expire_soft;
};

static void on_listen(void *ctx, const void *msg, size_t len)
{
	struct listener *l = ctx;
	struct pfkey_msg m;
	assert_int_equal(pfkey_parse(msg, len, &m), 0);
	if (m.base.type == SADB_ACQUIRE)
		l->acquire++;
	if (m.base.type == SADB_EXPIRE && PFKEY_HAS(&m, SADB_EXT_LIFETIME_HARD))
		l->expire_hard++;
	if (m.base.type == SADB_EXPIRE && PFKEY_HAS(&m, SADB_EXT_LIFETIME_SOFT))
		l->expire_soft++;
}

static void test_acquire_and_expire(void **state)
{
	struct listener l = { 0 };
	two_stacks();
	ipsec_set_listener(a, on_listen, &l);
	struct pfkey_buf bf;
	uint8_t buf[64];
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_REGISTER, .satype = SADB_SATYPE_ESP };
	pfkey_emit_base(&bf, &h);
	assert_int_equal(pfkey(a, &bf), 0);
	assert_int_equal(add_policy(a, IPSEC_DIR_OUTBOUND, &addr_a, &addr_b, 50, 1, 2), 0);
	assert_int_equal(ping(1, 56), 0);
	assert_int_equal(l.acquire, 1);
	assert_int_equal(a->counters[CNT_IPSEC_HELD], 1);
	/* the key daemon answers: SAs on both sides, with a 30 s hard lifetime on A */
	assert_int_equal(add_sa(b, SADB_SATYPE_ESP, 0x1000, &addr_a, &addr_b,
				SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0, 1, 8, 0), 0);
	int before = replies;
	assert_int_equal(add_sa(a, SADB_SATYPE_ESP, 0x1000, &addr_a, &addr_b,
				SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0, 1, 8, 30), 0);
	sim_run_for(net, 200);
	assert_int_equal(replies, before + 1);    /* the held request went out */
	assert_int_equal(b->counters[CNT_ESP_IN_OK], 1);
	sim_run_for(net, 31000);
	assert_int_equal(l.expire_hard, 1);
	assert_int_equal(a->ipsec->n_sas, 0);
	int acq = l.acquire;
	assert_int_equal(ping(1, 56), 0);         /* traffic stopped; a new ACQUIRE */
	assert_int_equal(l.acquire, acq + 1);
	sim_net_free(net);
}

/* ---- RFC 4301 5.2 step 4 ---- */

static struct in6_addr addr_c;
static int udp_b;

/* A UDP datagram from src (an address of s) to port 7777 at dst. */
static void udp_send(struct umk_stack *s, const struct in6_addr *src, const struct in6_addr *dst)
{
	int sd = umk_socket(s, AF_INET6, SOCK_DGRAM, 0);
	assert_true(sd >= 0);
	struct sockaddr_in6 me = { .sin6_family = AF_INET6, .sin6_addr = *src };
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = *dst,
				   .sin6_port = htons(7777) };
	assert_int_equal(umk_bind(s, sd, (struct sockaddr *)&me, sizeof(me)), 0);
	assert_int_equal(umk_sendto(s, sd, "spoof", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
	sim_run_for(net, 200);
	umk_close(s, sd);
}

static int udp_received(struct umk_stack *s, int sd)
{
	char buf[64];
	int n = 0;
	while (umk_recv(s, sd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

/* A and B with ESP SAs and policies in `mode`; A also owns C's address, and B listens on
 * UDP port 7777. */
static void spoof_setup(uint8_t mode)
{
	two_stacks();
	protect_pair(SADB_SATYPE_ESP, SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0, mode, 8);
	inet_pton(AF_INET6, "2001:db8::c", &addr_c);
	umk_addr_add(a, ia, &addr_c, 64);
	sim_run_for(net, 3000);                   /* C's address passes DAD */
	udp_b = umk_socket(b, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons(7777) };
	assert_int_equal(umk_bind(b, udp_b, (struct sockaddr *)&any, sizeof(any)), 0);
	/* the path works for A's own traffic */
	udp_send(a, &addr_a, &addr_b);
	assert_int_equal(udp_received(b, udp_b), 1);
}

/* Transport mode: A holds the SA A->B (SPI 0x1000) and sends C's traffic through it. B
 * also has C as a protected peer (an SA C->B and a "require" policy from C), so only the
 * SA's own selectors can tell the difference. */
static void test_spoofed_source_transport(void **state)
{
	spoof_setup(1);
	assert_int_equal(add_sa(b, SADB_SATYPE_ESP, 0x3000, &addr_c, &addr_b,
				SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0, 1, 8, 0), 0);
	assert_int_equal(add_policy(b, IPSEC_DIR_INBOUND, &addr_c, &addr_b, 50, 1, 2), 0);
	/* A moves its SA A->B (SPI 0x1000, same keys, sequence numbers going on) to the
	 * source C, and sends from C */
	assert_int_equal(sa_msg(SADB_UPDATE, a, SADB_SATYPE_ESP, 0x1000, &addr_c, &addr_b,
				SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0, 1, 8, 0), 0);
	assert_int_equal(add_policy(a, IPSEC_DIR_OUTBOUND, &addr_c, &addr_b, 50, 1, 2), 0);
	uint64_t ok = b->counters[CNT_ESP_IN_OK], sel = b->counters[CNT_IPSEC_DROP_SA_SELECTOR];
	udp_send(a, &addr_c, &addr_b);
	assert_int_equal(b->counters[CNT_ESP_IN_OK], ok + 1);      /* it decrypted ... */
	assert_int_equal(b->counters[CNT_IPSEC_DROP_SA_SELECTOR], sel + 1);  /* ... and no more */
	assert_int_equal(udp_received(b, udp_b), 0);

	/* with no inbound policy at all, the SA's selectors still hold */
	struct pfkey_buf bf;
	uint8_t buf[64];
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_X_SPDFLUSH };
	pfkey_emit_base(&bf, &h);
	assert_int_equal(pfkey(b, &bf), 0);
	udp_send(a, &addr_c, &addr_b);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_SA_SELECTOR], sel + 2);
	assert_int_equal(udp_received(b, udp_b), 0);
	sim_net_free(net);
}

/* Tunnel mode: A's tunnel A->B carries an inner packet from C. B's only inbound policy for
 * that tunnel covers A->B, so C's packet falls under no policy that names the tunnel; then
 * under a policy for C that names another tunnel (D->B). */
static void test_tunnel_inner_outside_policy(void **state)
{
	spoof_setup(2);
	assert_int_equal(add_policy_full(a, IPSEC_DIR_OUTBOUND, &addr_c, 128, &addr_b, 128,
					 IPSEC_POLICY_IPSEC, 50, 2, &addr_a, &addr_b), 0);
	uint64_t ok = b->counters[CNT_ESP_IN_OK], pol = b->counters[CNT_IPSEC_DROP_SA_POLICY];
	udp_send(a, &addr_c, &addr_b);
	assert_int_equal(b->counters[CNT_ESP_IN_OK], ok + 1);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_SA_POLICY], pol + 1);
	assert_int_equal(udp_received(b, udp_b), 0);

	struct in6_addr addr_d;
	inet_pton(AF_INET6, "2001:db8::d", &addr_d);
	assert_int_equal(add_policy_full(b, IPSEC_DIR_INBOUND, &addr_c, 128, &addr_b, 128,
					 IPSEC_POLICY_IPSEC, 50, 2, &addr_d, &addr_b), 0);
	udp_send(a, &addr_c, &addr_b);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_SA_POLICY], pol + 2);
	assert_int_equal(udp_received(b, udp_b), 0);
	/* A's own traffic through the same tunnel is still fine */
	udp_send(a, &addr_a, &addr_b);
	assert_int_equal(udp_received(b, udp_b), 1);
	sim_net_free(net);
}

/* ---- a security gateway (RFC 4301 5.1, 5.2 on forwarded packets) ---- */

struct gw_watch {
	int link;                     /* link 2's id */
	int esp_link2, plain_link2;   /* transit frames between 1::/64 and 3::/64 or 4::/64 */
};

static bool in_prefix(const uint8_t *addr, const char *p)
{
	struct in6_addr x;
	inet_pton(AF_INET6, p, &x);
	return memcmp(addr, &x, 8) == 0;
}

static void gw_watch_fn(void *ctx, int link, int port, const uint8_t *f, size_t len,
			umk_time_t now)
{
	struct gw_watch *w = ctx;
	if (link != w->link || len < 14 + 40 || f[12] != 0x86 || f[13] != 0xdd)
		return;
	const uint8_t *src = f + 14 + 8, *dst = f + 14 + 24;
	if (f[14 + 6] == 50)
		w->esp_link2++;
	else if ((in_prefix(src, "2001:db8:1::") || in_prefix(dst, "2001:db8:1::")) &&
		 f[14 + 6] == 58)
		w->plain_link2++;
}

static void test_gateway(void **state)
{
	static const uint8_t mh[6] = { 2, 0, 0, 0, 1, 0x10 }, mg0[6] = { 2, 0, 0, 0, 1, 1 },
			     mg1[6] = { 2, 0, 0, 0, 2, 1 }, mp[6] = { 2, 0, 0, 0, 2, 2 };
	struct in6_addr h1, g1, g2, p2, p3, n1, n3, n4, p4, any;
	inet_pton(AF_INET6, "2001:db8:1::10", &h1);
	inet_pton(AF_INET6, "2001:db8:1::1", &g1);
	inet_pton(AF_INET6, "2001:db8:2::1", &g2);
	inet_pton(AF_INET6, "2001:db8:2::2", &p2);
	inet_pton(AF_INET6, "2001:db8:3::3", &p3);
	inet_pton(AF_INET6, "2001:db8:4::4", &p4);
	inet_pton(AF_INET6, "2001:db8:1::", &n1);
	inet_pton(AF_INET6, "2001:db8:3::", &n3);
	inet_pton(AF_INET6, "2001:db8:4::", &n4);
	memset(&any, 0, sizeof(any));

	net = sim_net_new(7);
	int l1 = sim_link_new(net, 1, 0.0), l2 = sim_link_new(net, 1, 0.0);
	struct umk_stack *h = sim_stack_new(net, NULL), *g = sim_stack_new(net, NULL),
			 *p = sim_stack_new(net, NULL);
	int ih = sim_attach(net, l1, h, "eth0", mh, 1500, NULL);
	int ig0 = sim_attach(net, l1, g, "eth0", mg0, 1500, NULL);
	int ig1 = sim_attach(net, l2, g, "eth1", mg1, 1500, NULL);
	int ip = sim_attach(net, l2, p, "eth0", mp, 1500, NULL);
	struct gw_watch w = { .link = l2 };
	sim_watch(net, gw_watch_fn, &w);
	assert_int_equal(umk_conf_set(g, ig0, "forwarding", 1), 0);
	assert_int_equal(umk_conf_set(g, ig1, "forwarding", 1), 0);
	umk_if_up(h, ih);
	umk_if_up(g, ig0);
	umk_if_up(g, ig1);
	umk_if_up(p, ip);
	umk_addr_add(h, ih, &h1, 64);
	umk_addr_add(g, ig0, &g1, 64);
	umk_addr_add(g, ig1, &g2, 64);
	umk_addr_add(p, ip, &p2, 64);
	umk_addr_add(p, ip, &p3, 64);
	assert_int_equal(umk_route_add(h, &any, 0, &g1, ih, 1024), 0);
	assert_int_equal(umk_route_add(g, &n3, 64, &p2, ig1, 1024), 0);
	assert_int_equal(umk_route_add(g, &n4, 64, &p2, ig1, 1024), 0);
	assert_int_equal(umk_route_add(p, &n1, 64, &g2, ip, 1024), 0);
	replies = 0;
	umk_echo_set_handler(h, on_echo, NULL);
	sim_run_for(net, 5000);

	/* the tunnel G (2::1) <-> P (2::2), keyed on both ends */
	for (int side = 0; side < 2; side++) {
		struct umk_stack *s = side ? p : g;
		assert_int_equal(add_sa(s, SADB_SATYPE_ESP, 0x1000, &g2, &p2,
					SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0, 2, 8, 0), 0);
		assert_int_equal(add_sa(s, SADB_SATYPE_ESP, 0x2000, &p2, &g2,
					SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0, 2, 8, 0), 0);
	}
	uint16_t pi = IPSEC_POLICY_IPSEC;
	assert_int_equal(add_policy_full(g, IPSEC_DIR_OUTBOUND, &n1, 64, &n3, 64, pi, 50, 2,
					 &g2, &p2), 0);
	assert_int_equal(add_policy_full(g, IPSEC_DIR_INBOUND, &n3, 64, &n1, 64, pi, 50, 2,
					 &p2, &g2), 0);
	assert_int_equal(add_policy_full(g, IPSEC_DIR_OUTBOUND, &n1, 64, &n4, 64,
					 IPSEC_POLICY_DISCARD, 0, 0, NULL, NULL), 0);
	assert_int_equal(add_policy_full(p, IPSEC_DIR_OUTBOUND, &n3, 64, &n1, 64, pi, 50, 2,
					 &p2, &g2), 0);
	assert_int_equal(add_policy_full(p, IPSEC_DIR_INBOUND, &n1, 64, &n3, 64, pi, 50, 2,
					 &g2, &p2), 0);

	/* protect: H's echo to the protected net crosses link 2 only inside ESP, both ways */
	for (int i = 0; i < 3; i++) {
		umk_echo_send(h, &p3, 0, 0, 9, (uint16_t)i, 100, 0);
		sim_run_for(net, 200);
	}
	assert_int_equal(replies, 3);
	assert_int_equal(w.plain_link2, 0);
	assert_true(w.esp_link2 >= 6);
	assert_int_equal(g->counters[CNT_IPSEC_FWD_TUNNELLED], 3);
	assert_int_equal(p->counters[CNT_ESP_IN_OK], 3);
	assert_int_equal(g->counters[CNT_ESP_IN_OK], 3);   /* replies decapsulated, forwarded */

	/* bypass: to P's own address no policy applies; forwarded in the clear */
	umk_echo_send(h, &p2, 0, 0, 9, 10, 100, 0);
	sim_run_for(net, 200);
	assert_int_equal(replies, 4);
	assert_true(w.plain_link2 >= 2);

	/* discard: 4::/64 is refused by G, nothing reaches link 2 */
	int plain = w.plain_link2, esp = w.esp_link2;
	uint64_t disc = g->counters[CNT_IPSEC_DROP_OUT_DISCARD];
	umk_echo_send(h, &p4, 0, 0, 9, 11, 100, 0);
	sim_run_for(net, 200);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_OUT_DISCARD], disc + 1);
	assert_int_equal(w.plain_link2, plain);
	assert_int_equal(w.esp_link2, esp);

	/* a tunnel packet whose inner source is outside G's inbound policy: P (with a valid
	 * SA) sends from 5::5 through the tunnel; G decapsulates and refuses it */
	struct in6_addr p5, n5;
	inet_pton(AF_INET6, "2001:db8:5::5", &p5);
	inet_pton(AF_INET6, "2001:db8:5::", &n5);
	umk_addr_add(p, ip, &p5, 64);
	sim_run_for(net, 3000);
	assert_int_equal(add_policy_full(p, IPSEC_DIR_OUTBOUND, &n5, 64, &n1, 64, pi, 50, 2,
					 &p2, &g2), 0);
	uint64_t sapol = g->counters[CNT_IPSEC_DROP_SA_POLICY];
	uint64_t hin = h->counters[CNT_IP6_IN_RECEIVES];
	udp_send(p, &p5, &h1);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_SA_POLICY], sapol + 1);
	assert_int_equal(h->counters[CNT_IP6_IN_RECEIVES], hin);

	/* unprotected under G's inbound protect policy: P sends from 3::3 in the clear */
	struct pfkey_buf bf;
	uint8_t buf[64];
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base fl = { .type = SADB_X_SPDFLUSH };
	pfkey_emit_base(&bf, &fl);
	assert_int_equal(pfkey(p, &bf), 0);
	uint64_t pol = g->counters[CNT_IPSEC_DROP_POLICY];
	hin = h->counters[CNT_IP6_IN_RECEIVES];
	udp_send(p, &p3, &h1);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_POLICY], pol + 1);
	assert_int_equal(h->counters[CNT_IP6_IN_RECEIVES], hin);
	sim_net_free(net);
}

/* ---- lifetimes by packets and bytes (RFC 4301 4.4.2.1, RFC 2367 3.1.8) ---- */

struct expire_log {
	int n;
	struct { uint32_t spi; bool hard; uint32_t packets; uint64_t bytes; } e[8];
};

static void on_expire(void *ctx, const void *msg, size_t len)
{
	struct expire_log *l = ctx;
	struct pfkey_msg m;
	assert_int_equal(pfkey_parse(msg, len, &m), 0);
	if (m.base.type != SADB_EXPIRE || l->n == 8)
		return;
	bool hard = PFKEY_HAS(&m, SADB_EXT_LIFETIME_HARD);
	const struct pfkey_lifetime *lt = &m.life[hard ? 1 : 2];
	l->e[l->n].spi = m.sa.spi;
	l->e[l->n].hard = hard;
	l->e[l->n].packets = lt->allocations;
	l->e[l->n].bytes = lt->bytes;
	l->n++;
}

static int update_sa_lifetimes(struct umk_stack *s, uint32_t spi, const struct in6_addr *src,
			       const struct in6_addr *dst, const struct pfkey_lifetime *soft,
			       const struct pfkey_lifetime *hard)
{
	uint8_t buf[1024], key[128];
	struct pfkey_buf bf;
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_UPDATE, .satype = SADB_SATYPE_ESP, .seq = 4 };
	pfkey_emit_base(&bf, &h);
	struct pfkey_sa sa = { .spi = spi, .replay = 8, .state = SADB_SASTATE_MATURE,
			       .encrypt = SADB_X_EALG_AES_GCM_ICV16 };
	pfkey_emit_sa(&bf, &sa);
	struct pfkey_address ad = { .proto = 255, .prefixlen = 128, .addr = *src };
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &ad);
	ad.addr = *dst;
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &ad);
	for (int i = 0; i < (int)sizeof(key); i++)
		key[i] = (uint8_t)(spi + i);      /* add_sa's keys */
	pfkey_emit_key(&bf, SADB_EXT_KEY_ENCRYPT, key, 20);
	struct pfkey_sa2 sa2 = { .mode = 1 };
	pfkey_emit_sa2(&bf, &sa2);
	pfkey_emit_lifetime(&bf, SADB_EXT_LIFETIME_SOFT, soft);
	pfkey_emit_lifetime(&bf, SADB_EXT_LIFETIME_HARD, hard);
	return pfkey(s, &bf);
}

/* A's outbound SA lives 3 (soft) / 5 (hard) packets, its inbound SA 100 / 250 bytes of
 * ESP payload (68 bytes per echo reply: 64 + 2 trailer + 2 padding). The EXPIREs reach
 * A's REGISTERed listener in order, each with the limit it hit; a hard limit ends the SA
 * and its traffic. */
static void test_lifetimes_packets_bytes(void **state)
{
	struct expire_log l = { 0 };
	two_stacks();
	protect_pair(SADB_SATYPE_ESP, SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0, 1, 8);
	ipsec_set_listener(a, on_expire, &l);
	struct pfkey_buf bf;
	uint8_t buf[64];
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_REGISTER, .satype = SADB_SATYPE_ESP };
	pfkey_emit_base(&bf, &h);
	assert_int_equal(pfkey(a, &bf), 0);
	struct pfkey_lifetime soft = { .allocations = 3 }, hard = { .allocations = 5 };
	assert_int_equal(update_sa_lifetimes(a, 0x1000, &addr_a, &addr_b, &soft, &hard), 0);
	soft = (struct pfkey_lifetime){ .bytes = 100 };
	hard = (struct pfkey_lifetime){ .bytes = 250 };
	assert_int_equal(update_sa_lifetimes(a, 0x2000, &addr_b, &addr_a, &soft, &hard), 0);

	assert_int_equal(ping(1, 56), 1);
	assert_int_equal(l.n, 0);
	assert_int_equal(ping(1, 56), 1);         /* inbound: 136 bytes >= 100: soft */
	assert_int_equal(l.n, 1);
	assert_int_equal(l.e[0].spi, 0x2000);
	assert_false(l.e[0].hard);
	assert_int_equal(l.e[0].bytes, 100);
	assert_int_equal(ping(1, 56), 1);         /* outbound: 3 packets: soft */
	assert_int_equal(l.n, 2);
	assert_int_equal(l.e[1].spi, 0x1000);
	assert_false(l.e[1].hard);
	assert_int_equal(l.e[1].packets, 3);
	assert_int_equal(a->counters[CNT_IPSEC_SOFT_EXPIRES], 2);
	/* soft: the SAs are DYING but still carry traffic */
	uint64_t hexp = a->counters[CNT_IPSEC_DROP_HARD_EXPIRED];
	assert_int_equal(ping(1, 56), 0);         /* the reply: 272 bytes > 250: hard */
	assert_int_equal(l.n, 3);
	assert_int_equal(l.e[2].spi, 0x2000);
	assert_true(l.e[2].hard);
	assert_int_equal(l.e[2].bytes, 250);
	assert_int_equal(a->counters[CNT_IPSEC_DROP_HARD_EXPIRED], hexp + 1);
	assert_int_equal(a->ipsec->n_sas, 1);
	assert_int_equal(ping(1, 56), 0);         /* 5th packet out; no inbound SA for the reply */
	assert_int_equal(l.n, 3);
	assert_int_equal(ping(1, 56), 0);         /* 6th > 5: hard, the request is dropped */
	assert_int_equal(l.n, 4);
	assert_int_equal(l.e[3].spi, 0x1000);
	assert_true(l.e[3].hard);
	assert_int_equal(l.e[3].packets, 5);
	assert_int_equal(a->counters[CNT_IPSEC_DROP_HARD_EXPIRED], hexp + 2);
	assert_int_equal(a->counters[CNT_IPSEC_HARD_EXPIRES], 2);
	assert_int_equal(a->ipsec->n_sas, 0);
	assert_int_equal(b->counters[CNT_ESP_IN_OK], 5);
	sim_net_free(net);
}

/* ---- ICMPv6 type/code selectors, and the sequence-number cycle stop ---- */

/* An inbound discard policy for ICMPv6 from A to B with type and code (RFC 4301 4.4.1.1:
 * they travel as setkey's "icmp6 TYPE,CODE", in the ports). */
static int discard_icmp6(struct umk_stack *s, uint16_t type, uint16_t code)
{
	uint8_t buf[512];
	struct pfkey_buf bf;
	pfkey_buf_init(&bf, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_X_SPDADD, .seq = 5 };
	pfkey_emit_base(&bf, &h);
	struct pfkey_address ad = { .proto = 58, .prefixlen = 128, .addr = addr_a, .port = type };
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_SRC, &ad);
	ad.addr = addr_b;
	ad.port = code;
	pfkey_emit_address(&bf, SADB_EXT_ADDRESS_DST, &ad);
	struct pfkey_policy pol = { .type = IPSEC_POLICY_DISCARD, .dir = IPSEC_DIR_INBOUND };
	pfkey_emit_policy(&bf, &pol);
	return pfkey(s, &bf);
}

static void test_icmp6_selectors(void **state)
{
	two_stacks();
	assert_int_equal(ping(1, 56), 1);
	/* type 128 code 5 does not match an echo request (code 0) */
	assert_int_equal(discard_icmp6(b, 128, 5), 0);
	uint64_t disc = b->counters[CNT_IPSEC_DROP_IN_DISCARD];
	assert_int_equal(ping(1, 56), 1);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_IN_DISCARD], disc);
	/* type 129 (echo reply) does not either; type 128 with code 0 does */
	assert_int_equal(discard_icmp6(b, 129, 0), 0);
	assert_int_equal(ping(1, 56), 1);
	assert_int_equal(discard_icmp6(b, 128, 0), 0);
	assert_int_equal(ping(1, 56), 0);
	assert_int_equal(b->counters[CNT_IPSEC_DROP_IN_DISCARD], disc + 1);
	/* other traffic and ND between them are not selected */
	udp_b = umk_socket(b, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons(7777) };
	assert_int_equal(umk_bind(b, udp_b, (struct sockaddr *)&any, sizeof(any)), 0);
	udp_send(a, &addr_a, &addr_b);
	assert_int_equal(udp_received(b, udp_b), 1);
	sim_net_free(net);
}

/* RFC 4303 3.3.3: without ESN the counter stops at 2^32 - 1; the SA sends no more. */
static void test_sequence_cycle_stop(void **state)
{
	two_stacks();
	protect_pair(SADB_SATYPE_ESP, SADB_X_EALG_AES_GCM_ICV16, 20, 0, 0, 1, 8);
	struct ipsec_sa *sa = sad_lookup(a, 0x1000, &addr_b, IPPROTO_ESP);
	assert_non_null(sa);
	struct ipsec_sa *in = sad_lookup(b, 0x1000, &addr_b, IPPROTO_ESP);
	assert_non_null(in);
	sa->seq = UINT32_MAX - 2;
	assert_int_equal(ping(2, 56), 2);        /* 2^32 - 2 and 2^32 - 1 go out */
	uint64_t cyc = a->counters[CNT_IPSEC_DROP_SEQ_CYCLE];
	assert_int_equal(ping(1, 56), 0);
	assert_int_equal(a->counters[CNT_IPSEC_DROP_SEQ_CYCLE], cyc + 1);
	assert_int_equal(sa->seq, UINT32_MAX);
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_tunnel),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_acquire_and_expire),
		cmocka_unit_test(test_spoofed_source_transport),
		cmocka_unit_test(test_tunnel_inner_outside_policy),
		cmocka_unit_test(test_gateway),
		cmocka_unit_test(test_lifetimes_packets_bytes),
		cmocka_unit_test(test_icmp6_selectors),
		cmocka_unit_test(test_sequence_cycle_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
