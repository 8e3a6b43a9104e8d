/*
 * test_udpencap.c - RFC 3948 UDP encapsulation of ESP: the payload markers (a table:
 * ESP, the non-ESP marker of IKE, the NAT-keepalive, too short), the input hook's
 * decisions for what is not ESP (keepalive consumed and counted, IKE and other ports left
 * to the sockets, short payloads dropped and counted), the output header (ports, length,
 * a UDP checksum that verifies over the IPv6 pseudo-header: never 0 over IPv6), the
 * PF_KEY extensions (SADB_X_EXT_NAT_T_TYPE/SPORT/DPORT/OA) in and out of the SAD with
 * their malformed forms refused, and `setkey`'s esp-udp line and dump.
 * ESP de-encapsulation through ip6_input is in tests/sim/sim_ipsec_natt.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/stack_int.h"
#include "ctl/setkey.h"
#include "ip6/ip6.h"
#include "ipsec/ipsec.h"
#include "ipsec/udpencap.h"
#include "wire/checksum.h"
#include "wire/ip6_const.h"
#include "wire/pfkey.h"
#include "wire/udp.h"
#include "wire/udpencap.h"

static struct in6_addr addr_a, addr_b, addr_c;

static const struct kind_case {
	const char *name;
	uint8_t bytes[12];
	size_t len;
	enum udpencap_kind want;
} kind_cases[] = {
	{ "keepalive", { 0xff }, 1, UDPENCAP_KEEPALIVE_PKT },
	{ "one byte not 0xff", { 0xfe }, 1, UDPENCAP_SHORT },
	{ "empty", { 0 }, 0, UDPENCAP_SHORT },
	{ "IKE marker", { 0, 0, 0, 0, 0x11, 0x22 }, 6, UDPENCAP_IKE },
	{ "bare marker", { 0, 0, 0, 0 }, 4, UDPENCAP_IKE },
	{ "three zero bytes", { 0, 0, 0 }, 3, UDPENCAP_SHORT },
	{ "SPI only", { 0, 0, 0x10, 0 }, 4, UDPENCAP_SHORT },
	{ "SPI and sequence", { 0, 0, 0x10, 0, 0, 0, 0, 1 }, 8, UDPENCAP_ESP },
	{ "ESP, SPI 1", { 0, 0, 0, 1, 0, 0, 0, 1, 9, 9 }, 10, UDPENCAP_ESP },
	{ "two 0xff", { 0xff, 0xff }, 2, UDPENCAP_SHORT },
};

static void test_classify(void **state)
{
	for (size_t i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		const struct kind_case *c = &kind_cases[i];
		print_message("%s\n", c->name);
		assert_int_equal(udpencap_classify(c->bytes, c->len), c->want);
	}
}

/* ---- a stack with an encapsulating SA ---- */

static struct umk_stack *stack(void)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	struct umk_stack *s = umk_stack_new(&cfg, 0);
	assert_non_null(s);
	inet_pton(AF_INET6, "2001:db8::a", &addr_a);
	inet_pton(AF_INET6, "2001:db8::b", &addr_b);
	inet_pton(AF_INET6, "2001:db8::c", &addr_c);
	return s;
}

static struct ipsec_sa *add_esp(struct umk_stack *s, uint32_t spi, const struct in6_addr *src,
				const struct in6_addr *dst, uint16_t sport, uint16_t dport)
{
	struct ipsec_sa t = { .proto = IPPROTO6_ESP, .spi = spi, .state = SA_MATURE,
			      .src = *src, .dst = *dst, .enc = IPSEC_ENC_AES_GCM16,
			      .enc_key_len = 20, .encap_type = sport ? UDPENCAP_TYPE_ESPINUDP : 0,
			      .encap_sport = sport, .encap_dport = dport };
	struct ipsec_sa *sa;
	assert_int_equal(sad_add(s, &t, &sa), 0);
	return sa;
}

/* A UDP datagram src:sport -> dst:dport with payload p, data at the UDP header after an
 * IPv6 header, as udp6_input holds it. */
static struct umk_pkt *udp_pkt(struct umk_stack *s, const struct in6_addr *src,
			       const struct in6_addr *dst, uint16_t sport, uint16_t dport,
			       const uint8_t *p, size_t n, struct ip6_rx *rx,
			       struct udp_hdr_info *u)
{
	uint8_t b[IP6_HLEN + UDP_HLEN + 64] = { 0x60, [6] = IPPROTO6_UDP };
	assert_true(n <= 64);
	udp_emit(b + IP6_HLEN, sport, dport, (uint16_t)(UDP_HLEN + n));
	memcpy(b + IP6_HLEN + UDP_HLEN, p, n);
	struct umk_pkt *pkt = pkt_alloc(s, sizeof(b), PKT_HEADROOM);
	assert_non_null(pkt);
	pkt->net_off = pkt_off(pkt);
	memcpy(pkt_put(pkt, (uint32_t)(IP6_HLEN + UDP_HLEN + n)), b, IP6_HLEN + UDP_HLEN + n);
	pkt_pull(pkt, IP6_HLEN);
	*rx = (struct ip6_rx){ .src = *src, .dst = *dst, .nxt = IPPROTO6_UDP,
			       .nxt_off = pkt->net_off + 6 };
	uint16_t c = csum_ip6(src, dst, IPPROTO6_UDP, pkt->data, pkt->len);
	pkt->data[6] = (uint8_t)(c >> 8);
	pkt->data[7] = (uint8_t)c;
	assert_int_equal(udp_parse(pkt->data, pkt->len, u), UDP_OK);
	return pkt;
}

static const struct hook_case {
	const char *name;
	int from_c;                  /* 1: from a host that is not the SA's peer */
	uint16_t dport;
	uint8_t bytes[8];
	size_t len;
	bool taken;
	int counter;                 /* -1: none */
} hook_cases[] = {
	{ "keepalive to the port", 0, 4500, { 0xff }, 1, true, CNT_UDPENCAP_IN_KEEPALIVE },
	{ "keepalive elsewhere", 0, 4501, { 0xff }, 1, false, -1 },
	{ "keepalive from a stranger", 1, 4500, { 0xff }, 1, false, -1 },
	{ "IKE to the port", 0, 4500, { 0, 0, 0, 0, 1, 2, 3, 4 }, 8, false, CNT_UDPENCAP_IN_IKE },
	{ "short to the port", 0, 4500, { 1, 2, 3 }, 3, true, CNT_UDPENCAP_DROP_SHORT },
	{ "short elsewhere", 0, 53, { 1, 2, 3 }, 3, false, -1 },
	{ "ESP-like to another port", 0, 53, { 0, 0, 0x30, 0, 0, 0, 0, 1 }, 8, false, -1 },
	{ "ESP for an SA without encapsulation", 0, 4500, { 0, 0, 0x30, 0, 0, 0, 0, 1 }, 8,
	  true, CNT_UDPENCAP_DROP_NOT_ENCAP },
	{ "our SA's SPI from a stranger", 1, 4500, { 0, 0, 0x10, 0, 0, 0, 0, 1 }, 8, false, -1 },
};

static void test_input_hook(void **state)
{
	for (size_t i = 0; i < sizeof(hook_cases) / sizeof(hook_cases[0]); i++) {
		const struct hook_case *c = &hook_cases[i];
		print_message("%s\n", c->name);
		struct umk_stack *s = stack();
		struct ip6_rx rx;
		struct udp_hdr_info u;
		const struct in6_addr *from = c->from_c ? &addr_c : &addr_a;
		/* no encapsulating SA: the hook never looks */
		struct umk_pkt *pkt = udp_pkt(s, from, &addr_b, 4500, c->dport, c->bytes, c->len,
					      &rx, &u);
		assert_false(udpencap_input(s, pkt, &rx, &u));
		add_esp(s, 0x1000, &addr_a, &addr_b, 4500, 4500);   /* in: A:4500 -> B:4500 */
		add_esp(s, 0x3000, &addr_a, &addr_b, 0, 0);          /* plain ESP */
		/* the SPD skips exactly what the hook takes: nothing skipped reaches a socket */
		assert_int_equal(udpencap_spd_exempt(s, pkt, &rx), c->taken);
		bool taken = udpencap_input(s, pkt, &rx, &u);
		assert_int_equal(taken, c->taken);
		if (!taken)
			pkt_free(s, pkt);
		if (c->counter >= 0)
			assert_int_equal(s->counters[c->counter], 1);
		assert_int_equal(s->counters[CNT_UDPENCAP_IN_ESP], 0);
		umk_stack_free(s);
	}
}

/* More encapsulation ports than the port cache holds, and the cache after SAs go. */
static void test_many_ports(void **state)
{
	struct umk_stack *s = stack();
	static const uint8_t ka[1] = { 0xff };
	struct ipsec_sa *sas[12];
	for (uint32_t i = 0; i < 12; i++)
		sas[i] = add_esp(s, 0x1000 + i, &addr_a, &addr_b, 4500, (uint16_t)(5000 + i));
	for (int round = 0; round < 2; round++) {
		for (uint16_t port = 4999; port <= 5012; port++) {
			struct ip6_rx rx;
			struct udp_hdr_info u;
			struct umk_pkt *pkt = udp_pkt(s, &addr_a, &addr_b, 4500, port, ka, 1, &rx, &u);
			bool want = port >= 5000 && port < (round ? 5003 : 5012);
			bool taken = udpencap_input(s, pkt, &rx, &u);
			assert_int_equal(taken, want);
			if (!taken)
				pkt_free(s, pkt);
		}
		/* now only three: the cache is rebuilt from the SAD */
		for (int i = 3; i < 12 && !round; i++)
			sad_delete(s, sas[i]);
	}
	assert_int_equal(s->counters[CNT_UDPENCAP_IN_KEEPALIVE], 12 + 3);
	umk_stack_free(s);
}

static void test_output(void **state)
{
	struct umk_stack *s = stack();
	struct ipsec_sa *sa = add_esp(s, 0x2000, &addr_b, &addr_a, 4500, 61000);
	for (uint32_t n = 1; n < 300; n += 37) {
		struct umk_pkt *pkt = pkt_alloc(s, 512, PKT_HEADROOM);
		uint8_t *p = pkt_put(pkt, n);
		for (uint32_t i = 0; i < n; i++)
			p[i] = (uint8_t)(i * 13 + n);
		uint8_t nxt = IPPROTO6_ESP;
		assert_int_equal(udpencap_output(s, sa, pkt, &nxt, &addr_b, &addr_a), 0);
		assert_int_equal(nxt, IPPROTO6_UDP);
		struct udp_hdr_info u;
		/* RFC 8200 8.1: a checksum, not 0, and it verifies */
		assert_int_equal(udp_parse(pkt->data, pkt->len, &u), UDP_OK);
		assert_int_equal(u.sport, 4500);
		assert_int_equal(u.dport, 61000);
		assert_int_equal(u.len, n + UDP_HLEN);
		assert_int_equal(csum_ip6(&addr_b, &addr_a, IPPROTO6_UDP, pkt->data, pkt->len), 0);
		/* ... and only over these addresses */
		assert_int_not_equal(csum_ip6(&addr_c, &addr_a, IPPROTO6_UDP, pkt->data, pkt->len),
				     0);
		pkt_free(s, pkt);
	}
	assert_int_equal(s->counters[CNT_UDPENCAP_OUT_PKTS], 9);
	umk_stack_free(s);
}

/* ---- PF_KEY ---- */

struct rep {
	uint8_t buf[4096];
	size_t len;
	uint8_t err;
	int n;
};

static void on_rep(void *ctx, const void *msg, size_t len)
{
	struct rep *r = ctx;
	memcpy(r->buf, msg, len < sizeof(r->buf) ? len : sizeof(r->buf));
	r->len = len;
	r->err = ((const uint8_t *)msg)[2];
	r->n++;
}

enum { NAT_TYPE = 1, NAT_SPORT = 2, NAT_DPORT = 4, NAT_OA = 8 };

static int pfkey_add(struct umk_stack *s, uint8_t satype, uint32_t spi, unsigned what,
		     uint8_t type, uint16_t sport, uint16_t dport, struct rep *r)
{
	uint8_t buf[1024], key[20] = { 1, 2, 3 };
	struct pfkey_buf b;
	pfkey_buf_init(&b, buf, sizeof(buf));
	struct pfkey_base h = { .type = SADB_ADD, .satype = satype, .seq = 9 };
	pfkey_emit_base(&b, &h);
	struct pfkey_sa sa = { .spi = spi, .state = SADB_SASTATE_MATURE,
			       .encrypt = satype == SADB_SATYPE_ESP ? SADB_X_EALG_AES_GCM_ICV16 : 0,
			       .auth = satype == SADB_SATYPE_AH ? SADB_X_AALG_SHA2_256HMAC : 0 };
	pfkey_emit_sa(&b, &sa);
	struct pfkey_address ad = { .proto = 255, .prefixlen = 128, .addr = addr_a };
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &ad);
	ad.addr = addr_b;
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &ad);
	if (satype == SADB_SATYPE_ESP)
		pfkey_emit_key(&b, SADB_EXT_KEY_ENCRYPT, key, 20);
	else
		pfkey_emit_key(&b, SADB_EXT_KEY_AUTH, (uint8_t[32]){ 1 }, 32);
	/* the extensions one by one, so each can be left out */
	struct pfkey_natt n = { .type = type, .sport = sport, .dport = dport };
	uint8_t tmp[256];
	struct pfkey_buf t;
	pfkey_buf_init(&t, tmp, sizeof(tmp));
	ad.addr = addr_c;
	pfkey_emit_natt(&t, &n, &ad);
	size_t off = 0;
	for (int i = 0; off < t.len; i++) {
		size_t elen = (size_t)(tmp[off] | tmp[off + 1] << 8) * 8;
		if ((what & (1u << i)) && b.cap - b.len >= elen) {
			memcpy(b.p + b.len, tmp + off, elen);
			b.len += elen;
		}
		off += elen;
	}
	int len = pfkey_finish(&b);
	assert_true(len > 0);
	memset(r, 0, sizeof(*r));
	pfkey_handle(s, buf, (size_t)len, on_rep, r);
	assert_int_equal(r->n, 1);
	return r->err;
}

static const struct pfkey_case {
	const char *name;
	uint8_t satype;
	unsigned what;
	uint8_t type;
	uint16_t sport, dport;
	int err;
	uint16_t want_sport, want_dport;
} pfkey_cases[] = {
	{ "type and ports", SADB_SATYPE_ESP, NAT_TYPE | NAT_SPORT | NAT_DPORT, 2, 4500, 61001,
	  0, 4500, 61001 },
	{ "type, ports and OA", SADB_SATYPE_ESP, NAT_TYPE | NAT_SPORT | NAT_DPORT | NAT_OA, 2,
	  1234, 4500, 0, 1234, 4500 },
	{ "type only: 4500 both ways", SADB_SATYPE_ESP, NAT_TYPE, 2, 0, 0, 0, 4500, 4500 },
	{ "ports without a type", SADB_SATYPE_ESP, NAT_SPORT | NAT_DPORT, 2, 4500, 4500,
	  EINVAL, 0, 0 },
	{ "non-IKE (pre-RFC) type 1", SADB_SATYPE_ESP, NAT_TYPE, 1, 0, 0, EINVAL, 0, 0 },
	{ "port 0", SADB_SATYPE_ESP, NAT_TYPE | NAT_SPORT, 2, 0, 0, EINVAL, 0, 0 },
	{ "AH in UDP", SADB_SATYPE_AH, NAT_TYPE, 2, 0, 0, EINVAL, 0, 0 },
	{ "no NAT-T at all", SADB_SATYPE_ESP, 0, 0, 0, 0, 0, 0, 0 },
};

static void test_pfkey(void **state)
{
	for (size_t i = 0; i < sizeof(pfkey_cases) / sizeof(pfkey_cases[0]); i++) {
		const struct pfkey_case *c = &pfkey_cases[i];
		print_message("%s\n", c->name);
		struct umk_stack *s = stack();
		struct rep r;
		assert_int_equal(pfkey_add(s, c->satype, 0x1000, c->what, c->type, c->sport,
					   c->dport, &r), c->err);
		uint8_t proto = c->satype == SADB_SATYPE_ESP ? IPPROTO6_ESP : IPPROTO6_AH;
		struct ipsec_sa *sa = sad_lookup(s, 0x1000, &addr_b, proto);
		if (c->err) {
			assert_null(sa);      /* refused whole */
			umk_stack_free(s);
			continue;
		}
		assert_non_null(sa);
		assert_int_equal(sa->encap_type, c->what ? 2 : 0);
		assert_int_equal(sa->encap_sport, c->want_sport);
		assert_int_equal(sa->encap_dport, c->want_dport);
		assert_int_equal(s->ipsec->n_encap, c->what ? 1 : 0);
		assert_int_equal(sa->natt_oa_present, (c->what & NAT_OA) ? 1 : 0);
		if (c->what & NAT_OA)
			assert_memory_equal(&sa->natt_oa[0], &addr_c, 16);
		/* a dump carries the extensions back */
		uint8_t dump[16] = { PF_KEY_V2, SADB_DUMP, 0, SADB_SATYPE_ESP, 2, 0 };
		pfkey_handle(s, dump, sizeof(dump), on_rep, &r);
		struct pfkey_msg m;
		assert_int_equal(pfkey_parse(r.buf, r.len, &m), 0);
		assert_int_equal(PFKEY_HAS(&m, SADB_X_EXT_NAT_T_TYPE), c->what ? 1 : 0);
		if (c->what) {
			assert_int_equal(m.natt.type, 2);
			assert_int_equal(m.natt.sport, c->want_sport);
			assert_int_equal(m.natt.dport, c->want_dport);
		}
		assert_int_equal(PFKEY_HAS(&m, SADB_X_EXT_NAT_T_OA), (c->what & NAT_OA) ? 1 : 0);
		sad_flush(s, 0);
		assert_int_equal(s->ipsec->n_encap, 0);
		umk_stack_free(s);
	}
}

/* sadb_x_nat_t_type and _port with their reserved bytes set: the message is invalid */
static void test_pfkey_reserved(void **state)
{
	uint8_t msg[16 + 8] = { PF_KEY_V2, SADB_ADD, 0, SADB_SATYPE_ESP, 3, 0 };
	msg[16] = 1;
	msg[18] = SADB_X_EXT_NAT_T_TYPE;
	msg[20] = 2;
	struct pfkey_msg m;
	assert_int_equal(pfkey_parse(msg, sizeof(msg), &m), 0);
	assert_int_equal(m.natt.type, 2);
	msg[21] = 1;
	assert_int_equal(pfkey_parse(msg, sizeof(msg), &m), -EINVAL);
	msg[21] = 0;
	msg[18] = SADB_X_EXT_NAT_T_DPORT;
	msg[20] = 0x11;
	msg[21] = 0x94;
	assert_int_equal(pfkey_parse(msg, sizeof(msg), &m), 0);
	assert_int_equal(m.natt.dport, 4500);
	msg[22] = 1;
	assert_int_equal(pfkey_parse(msg, sizeof(msg), &m), -EINVAL);
	msg[22] = 0;
	msg[16] = 2;                     /* 16 bytes where 8 belong */
	assert_int_equal(pfkey_parse(msg, sizeof(msg), &m), -EINVAL);
}

/* ---- setkey ---- */

static void test_setkey(void **state)
{
	static const char text_in[] =
		"add 2001:db8::a[4500] 2001:db8::b[61002] esp-udp 0x1000 -m transport\n"
		"    -E aes-gcm-16 0x0102030405060708090a0b0c0d0e0f1011121314;\n"
		"add 2001:db8::b 2001:db8::a esp-udp 0x2000\n"
		"    -E aes-cbc 0x000102030405060708090a0b0c0d0e0f -A hmac-sha256\n"
		"    0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f;\n";
	struct setkey_prog prog = { 0 };
	char err[256] = "";
	assert_int_equal(setkey_parse(text_in, strlen(text_in), "t", &prog, err, sizeof(err)), 0);
	assert_int_equal(prog.n, 2);
	struct pfkey_msg m;
	assert_int_equal(pfkey_parse(prog.cmds[0].msg, prog.cmds[0].len, &m), 0);
	assert_int_equal(m.base.satype, SADB_SATYPE_ESP);
	assert_true(PFKEY_HAS(&m, SADB_X_EXT_NAT_T_TYPE));
	assert_int_equal(m.natt.type, UDPENCAP_TYPE_ESPINUDP);
	assert_int_equal(m.natt.sport, 4500);
	assert_int_equal(m.natt.dport, 61002);
	assert_int_equal(pfkey_parse(prog.cmds[1].msg, prog.cmds[1].len, &m), 0);
	assert_int_equal(m.natt.sport, 4500);   /* no [port]: 4500 */
	assert_int_equal(m.natt.dport, 4500);

	struct umk_stack *s = stack();
	struct rep r = { .len = 0 };
	assert_int_equal(pfkey_handle(s, prog.cmds[0].msg, prog.cmds[0].len, on_rep, &r), 0);
	uint8_t dump[16] = { PF_KEY_V2, SADB_DUMP, 0, SADB_SATYPE_ESP, 2, 0 };
	pfkey_handle(s, dump, sizeof(dump), on_rep, &r);
	char out[2048] = "";
	FILE *f = fmemopen(out, sizeof(out), "w");
	assert_int_equal(setkey_print_sa(f, r.buf, r.len, 100, 1000000), 0);
	fclose(f);
	assert_non_null(strstr(out, "2001:db8::a[4500] 2001:db8::b[61002]\n"));
	assert_non_null(strstr(out, "\tesp-udp mode=transport spi=4096(0x00001000)"));
	setkey_prog_free(&prog);
	umk_stack_free(s);

	/* the refusals */
	static const char *const bad[][2] = {
		{ "add 2001:db8::a 2001:db8::b esp-udp 0x1000 -A hmac-sha256 0x00;", "t:1: " },
		{ "add 2001:db8::a[70000] 2001:db8::b esp-udp 0x1000 -E null \"\";", "t:1: " },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct setkey_prog p2 = { 0 };
		assert_int_equal(setkey_parse(bad[i][0], strlen(bad[i][0]), "t", &p2, err,
					      sizeof(err)), -1);
		assert_int_equal(p2.n, 0);
		assert_memory_equal(err, bad[i][1], strlen(bad[i][1]));
		setkey_prog_free(&p2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_input_hook),
		cmocka_unit_test(test_many_ports),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_pfkey),
		cmocka_unit_test(test_pfkey_reserved),
		cmocka_unit_test(test_setkey),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
