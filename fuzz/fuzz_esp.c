/*
 * fuzz_esp.c - ESP and AH input. Two modes, by bit 1 of the first byte:
 *   - raw: the fuzzer's bytes follow an IPv6 header naming ESP (or AH, by bit 0) towards an
 *     address that has SAs for SPIs 0x100-0x103 (GCM, CBC + SHA-256, NULL + SHA-1, AH
 *     SHA-256); esp_input/ah_input must consume every input;
 *   - sealed: the bytes after the second are a plaintext that a valid SA seals (so the ICV
 *     holds) and the whole frame goes through umk_input on a forwarding stack with an SPD:
 *     a transport-mode payload (its protocol from the second byte), or a tunnel's inner
 *     packet; the RFC 4301 5.2 checks, decapsulation and the gateway path see any content.
 */
#include <arpa/inet.h>
#include <string.h>

#include <umikame/mgmt.h>
#include <umikame/umikame.h>
#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ipsec/ipsec.h"
#include "wire/ip6.h"
#include "wire/pfkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct umk_stack *setup(void)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	struct umk_stack *s = umk_stack_new(&cfg, 0);
	static const struct { uint8_t proto; enum ipsec_enc_alg e; int el;
			      enum ipsec_auth_alg a; int al; } sas[] = {
		{ 50, IPSEC_ENC_AES_GCM16, 20, IPSEC_AUTH_NONE, 0 },
		{ 50, IPSEC_ENC_AES_CBC, 16, IPSEC_AUTH_HMAC_SHA256_128, 32 },
		{ 50, IPSEC_ENC_NULL, 0, IPSEC_AUTH_HMAC_SHA1_96, 20 },
		{ 51, IPSEC_ENC_NONE, 0, IPSEC_AUTH_HMAC_SHA256_128, 32 },
	};
	for (int i = 0; i < 4; i++) {
		struct ipsec_sa t = { .spi = 0x100 + (uint32_t)i, .proto = sas[i].proto,
				      .state = SA_MATURE, .enc = sas[i].e, .auth = sas[i].a,
				      .enc_key_len = (uint16_t)sas[i].el,
				      .auth_key_len = (uint16_t)sas[i].al, .esn = i == 1 };
		t.dst.s6_addr[15] = 1;
		t.replay.size = 128;
		sad_add(s, &t, NULL);
	}
	return s;
}

static int sink(void *ctx, const void *frame, size_t len) { return 0; }
static const struct umk_link_ops ops = { .transmit = sink };
static struct in6_addr me, peer;
static int gw_if;

static void sink_pfkey(void *ctx, const void *msg, size_t len) { }

static void spd_add_text(struct umk_stack *s, const char *src, int splen, const char *dst,
			 int dplen, uint8_t mode, const char *tsrc, const char *tdst, uint8_t dir)
{
	uint8_t buf[512];
	struct pfkey_buf b;
	struct pfkey_base h = { .type = SADB_X_SPDADD };
	struct pfkey_address a = { .proto = 255, .prefixlen = (uint8_t)splen };
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &h);
	inet_pton(AF_INET6, src, &a.addr);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &a);
	a.prefixlen = (uint8_t)dplen;
	inet_pton(AF_INET6, dst, &a.addr);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &a);
	struct pfkey_policy pol = { .type = IPSEC_POLICY_IPSEC, .dir = dir, .n_req = 1 };
	pol.req[0] = (struct pfkey_ipsecreq){ .proto = 50, .mode = mode, .level = 2 };
	if (tsrc) {
		pol.req[0].tunnel_addrs = true;
		inet_pton(AF_INET6, tsrc, &pol.req[0].src.addr);
		inet_pton(AF_INET6, tdst, &pol.req[0].dst.addr);
	}
	pfkey_emit_policy(&b, &pol);
	int n = pfkey_finish(&b);
	if (n > 0)
		pfkey_handle(s, buf, (size_t)n, sink_pfkey, NULL);
}

/* A gateway at 2001:db8::1 (forwarding) with a peer 2001:db8::2: a transport SA from the
 * peer (0x200), a tunnel from it (0x201) and one back (0x202), and policies for both. */
static struct umk_stack *setup_gw(void)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.log_level = -1;
	struct umk_stack *s = umk_stack_new(&cfg, 1000);
	struct umk_if_params ip = { .name = "fz0", .lladdr = { 0x02, 0, 0, 0, 0, 1 },
				    .mtu = 1500, .ops = &ops };
	gw_if = umk_if_add(s, &ip);
	umk_conf_set(s, gw_if, "dad_transmits", 0);
	umk_conf_set(s, gw_if, "forwarding", 1);
	umk_if_up(s, gw_if);
	inet_pton(AF_INET6, "2001:db8::1", &me);
	inet_pton(AF_INET6, "2001:db8::2", &peer);
	umk_addr_add(s, gw_if, &me, 64);
	umk_timers_run(s, 3000);
	for (uint32_t i = 0; i < 3; i++) {
		struct ipsec_sa t = { .spi = 0x200 + i, .proto = 50, .state = SA_MATURE,
				      .mode = i ? IPSEC_MODE_TUNNEL : IPSEC_MODE_TRANSPORT,
				      .enc = IPSEC_ENC_AES_GCM16, .enc_key_len = 20,
				      .src = i == 2 ? me : peer, .dst = i == 2 ? peer : me };
		t.replay.size = 64;
		sad_add(s, &t, NULL);
	}
	spd_add_text(s, "2001:db8::2", 128, "2001:db8::1", 128, 1, NULL, NULL,
		     IPSEC_DIR_INBOUND);
	spd_add_text(s, "2001:db8:7::", 64, "::", 0, 2, "2001:db8::2", "2001:db8::1",
		     IPSEC_DIR_INBOUND);
	spd_add_text(s, "::", 0, "2001:db8:7::", 64, 2, "2001:db8::1", "2001:db8::2",
		     IPSEC_DIR_OUTBOUND);
	return s;
}

/* The sealed mode: mode byte, then the plaintext. */
static void sealed(const uint8_t *data, size_t size)
{
	static struct umk_stack *s;
	if (!s)
		s = setup_gw();
	if (size < 2)
		return;
	bool tunnel = data[0] & 4;
	uint8_t nxt = tunnel ? IPPROTO6_IPV6 : data[1];
	struct ipsec_sa *sa = sad_lookup(s, tunnel ? 0x201 : 0x200, &me, IPPROTO6_ESP);
	struct umk_pkt *pkt = pkt_alloc(s, 4096 + 128, PKT_HEADROOM);
	if (!sa || !pkt)
		return;
	memcpy(pkt_put(pkt, (uint32_t)(size - 2)), data + 2, size - 2);
	if (esp_output(s, sa, pkt, &nxt))
		return;                      /* consumed */
	struct ip6_hdr_info h = { .plen = (uint16_t)pkt->len, .nxt = nxt, .hlim = 64,
				  .src = peer, .dst = me };
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd };
	uint8_t *ip = pkt_push(pkt, IP6_HLEN), *e = ip ? pkt_push(pkt, 14) : NULL;
	if (e) {
		ip6_hdr_emit(ip, &h);
		memcpy(e, eth, 14);
		umk_input(s, gw_if, pkt->data, pkt->len);
	}
	pkt_free(s, pkt);
	umk_timers_run(s, s->now + 10);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct umk_stack *s;
	if (!s)
		s = setup();
	if (size < 1 || size > 4000)
		return 0;
	if (data[0] & 2) {
		sealed(data, size);
		return 0;
	}
	struct umk_pkt *pkt = pkt_alloc(s, 4096 + 64, PKT_HEADROOM);
	if (!pkt)
		return 0;
	struct ip6_rx rx = { 0 };
	rx.dst.s6_addr[15] = 1;
	uint8_t nxt = data[0] & 1 ? 51 : 50;
	struct ip6_hdr_info h = { .plen = (uint16_t)(size - 1), .nxt = nxt, .hlim = 64,
				  .dst = rx.dst };
	ip6_hdr_emit(pkt_put(pkt, 40), &h);
	memcpy(pkt_put(pkt, (uint32_t)(size - 1)), data + 1, size - 1);
	uint32_t off = 40, len = pkt->len;
	int r = nxt == 50 ? esp_input(s, &pkt, &rx, &off, 6, &nxt, &len) :
		ah_input(s, &pkt, &rx, &off, 6, &nxt, &len);
	if (r == 0)
		pkt_free(s, pkt);
	return 0;
}
