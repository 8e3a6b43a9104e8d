/*
 * test_ipsec_scapy.c - interoperability of our ESP and AH with an independent
 * implementation: scapy's scapy.layers.ipsec (Debian python3-scapy over
 * python3-cryptography, run by /usr/bin/python3). For each algorithm both implementations
 * share, in transport mode:
 *   ours -> scapy: esp_output/ah_output protect a payload, scapy's SecurityAssociation
 *                  decrypts/verifies it and must give the payload back;
 *   scapy -> ours: scapy protects an ICMPv6 echo request, esp_input/ah_input must accept
 *                  it and give back the same bytes.
 * scapy has neither AES-GMAC nor AES-XCBC: those two are covered by the KATs only.
 * Skipped (not failed) when scapy is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ipsec/ipsec.h"
#include "wire/ip6.h"

static const char script[] =
"import sys\n"
"from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest\n"
"from scapy.layers.ipsec import SecurityAssociation, ESP, AH\n"
"proto, calg, ckey, aalg, akey, spi_in, spi_out, ours = sys.argv[1:9]\n"
"ck = bytes.fromhex(ckey) if ckey != '-' else None\n"
"ak = bytes.fromhex(akey) if akey != '-' else None\n"
"P = ESP if proto == 'esp' else AH\n"
"kw = dict(auth_algo=aalg, auth_key=ak)\n"
"if P is ESP: kw.update(crypt_algo=calg, crypt_key=ck)\n"
"sa_out = SecurityAssociation(P, spi=int(spi_out, 16), **kw)\n"
"pkt = IPv6(bytes.fromhex(ours))\n"
"d = sa_out.decrypt(pkt)\n"
"print(bytes(d.payload).hex())\n"
"sa_in = SecurityAssociation(P, spi=int(spi_in, 16), **kw)\n"
"p = IPv6(src='2001:db8::b', dst='2001:db8::a')/ICMPv6EchoRequest(id=7, seq=9, data=b'scapy' * 20)\n"
"e = sa_in.encrypt(p, seq_num=5)\n"
"print(bytes(e).hex())\n"
"print(bytes(p.payload).hex())\n";

static const struct interop_case {
	const char *name;
	uint8_t proto;
	enum ipsec_enc_alg enc;
	int eklen;
	enum ipsec_auth_alg auth;
	int aklen;
	const char *scapy_enc, *scapy_auth;
} cases[] = {
	{ "aes-gcm-16/128", 50, IPSEC_ENC_AES_GCM16, 20, IPSEC_AUTH_NONE, 0, "AES-GCM", "NULL" },
	{ "aes-gcm-16/256", 50, IPSEC_ENC_AES_GCM16, 36, IPSEC_AUTH_NONE, 0, "AES-GCM", "NULL" },
	{ "chacha20-poly1305", 50, IPSEC_ENC_CHACHA20_POLY1305, 36, IPSEC_AUTH_NONE, 0,
	  "CHACHA20-POLY1305", "NULL" },
	{ "aes-cbc + hmac-sha1-96", 50, IPSEC_ENC_AES_CBC, 16, IPSEC_AUTH_HMAC_SHA1_96, 20,
	  "AES-CBC", "HMAC-SHA1-96" },
	{ "aes-cbc + sha2-256-128", 50, IPSEC_ENC_AES_CBC, 16, IPSEC_AUTH_HMAC_SHA256_128, 32,
	  "AES-CBC", "SHA2-256-128" },
	{ "aes-cbc-256 + sha2-384-192", 50, IPSEC_ENC_AES_CBC, 32, IPSEC_AUTH_HMAC_SHA384_192,
	  48, "AES-CBC", "SHA2-384-192" },
	{ "aes-cbc + sha2-512-256", 50, IPSEC_ENC_AES_CBC, 24, IPSEC_AUTH_HMAC_SHA512_256, 64,
	  "AES-CBC", "SHA2-512-256" },
	{ "null + sha2-256-128", 50, IPSEC_ENC_NULL, 0, IPSEC_AUTH_HMAC_SHA256_128, 32, "NULL",
	  "SHA2-256-128" },
	{ "ah sha2-256-128", 51, IPSEC_ENC_NONE, 0, IPSEC_AUTH_HMAC_SHA256_128, 32, NULL,
	  "SHA2-256-128" },
	{ "ah hmac-sha1-96", 51, IPSEC_ENC_NONE, 0, IPSEC_AUTH_HMAC_SHA1_96, 20, NULL,
	  "HMAC-SHA1-96" },
};

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (h[0] && h[1] && h[0] != '\n' && n < cap) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static struct ipsec_sa *mk_sa(struct umk_stack *s, const struct interop_case *c, uint32_t spi,
			      const struct in6_addr *src, const struct in6_addr *dst)
{
	struct ipsec_sa t = { .spi = spi, .proto = c->proto, .mode = IPSEC_MODE_TRANSPORT,
			      .state = SA_MATURE, .src = *src, .dst = *dst, .enc = c->enc,
			      .auth = c->auth, .enc_key_len = (uint16_t)c->eklen,
			      .auth_key_len = (uint16_t)c->aklen };
	t.replay.size = 64;
	for (int i = 0; i < c->eklen; i++)
		t.enc_key[i] = (uint8_t)(0x11 * i + 3);
	for (int i = 0; i < c->aklen; i++)
		t.auth_key[i] = (uint8_t)(0x07 * i + 5);
	struct ipsec_sa *sa;
	assert_int_equal(sad_add(s, &t, &sa), 0);
	return sa;
}

static void test_scapy(void **state)
{
	if (system("/usr/bin/python3 -c 'import scapy.layers.ipsec' >/dev/null 2>&1") != 0)
		skip();
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	struct umk_stack *s = umk_stack_new(&cfg, 0);
	assert_non_null(s);
	struct in6_addr a, b;
	inet_pton(AF_INET6, "2001:db8::a", &a);
	inet_pton(AF_INET6, "2001:db8::b", &b);
	FILE *f = fopen("/tmp/umk_ipsec_scapy.py", "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct interop_case *c = &cases[i];
		print_message("%s\n", c->name);
		struct ipsec_sa *out = mk_sa(s, c, 0x1001 + (uint32_t)i, &a, &b);
		struct ipsec_sa *in = mk_sa(s, c, 0x2001 + (uint32_t)i, &b, &a);

		/* ours -> scapy */
		uint8_t payload[100];
		for (int k = 0; k < 100; k++)
			payload[k] = (uint8_t)(k * 7);
		payload[0] = 128;
		struct umk_pkt *pkt = pkt_alloc(s, 2048, PKT_HEADROOM);
		memcpy(pkt_put(pkt, 100), payload, 100);
		uint8_t nxt = 58;
		int r = c->proto == 50 ? esp_output(s, out, pkt, &nxt) :
			ah_output(s, out, pkt, &nxt, &a, &b, 0);
		assert_int_equal(r, 0);
		struct ip6_hdr_info h = { .plen = (uint16_t)pkt->len, .nxt = nxt, .hlim = 64,
					  .src = a, .dst = b };
		ip6_hdr_emit(pkt_push(pkt, 40), &h);
		static char ours[8192], ck[200], ak[200], cmd[10000];
		hex(ours, pkt->data, pkt->len);
		pkt_free(s, pkt);
		if (c->eklen)
			hex(ck, out->enc_key, (size_t)c->eklen);
		else
			strcpy(ck, "-");
		if (c->aklen)
			hex(ak, out->auth_key, (size_t)c->aklen);
		else
			strcpy(ak, "-");
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 /tmp/umk_ipsec_scapy.py %s '%s' %s '%s' %s %x %x %s 2>&1",
			 c->proto == 50 ? "esp" : "ah", c->scapy_enc ? c->scapy_enc : "NULL", ck,
			 c->scapy_auth, ak, in->spi, out->spi, ours);
		FILE *py = popen(cmd, "r");
		assert_non_null(py);
		static char l1[8192], l2[8192], l3[8192];
		assert_non_null(fgets(l1, sizeof(l1), py));
		if (!fgets(l2, sizeof(l2), py) || !fgets(l3, sizeof(l3), py))
			fail_msg("scapy said: %s", l1);
		pclose(py);
		uint8_t got[4096];
		size_t n = unhex(l1, got, sizeof(got));
		assert_int_equal(n, 100);
		assert_memory_equal(got, payload, 100);

		/* scapy -> ours */
		uint8_t wire[4096], want[4096];
		size_t wn = unhex(l2, wire, sizeof(wire));
		size_t pn = unhex(l3, want, sizeof(want));
		pkt = pkt_alloc(s, 4096, PKT_HEADROOM);
		memcpy(pkt_put(pkt, (uint32_t)wn), wire, wn);
		struct ip6_rx rx = { .src = b, .dst = a };
		uint32_t off = 40, len = (uint32_t)wn;
		uint8_t rnxt = wire[6];
		r = c->proto == 50 ? esp_input(s, &pkt, &rx, &off, 6, &rnxt, &len) :
			ah_input(s, &pkt, &rx, &off, 6, &rnxt, &len);
		assert_int_equal(r, 0);
		assert_int_equal(rnxt, 58);
		assert_int_equal(len - off, pn);
		assert_memory_equal(pkt->data + off, want, pn);
		pkt_free(s, pkt);
	}
	umk_stack_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scapy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
