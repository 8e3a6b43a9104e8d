/*
 * fuzz_esp.c - ESP and AH input: the fuzzer's bytes follow an IPv6 header naming ESP (or
 * AH, by the first byte) towards an address that has SAs for SPIs 0x100-0x103 (GCM, CBC +
 * SHA-256, NULL + SHA-1, AH SHA-256); esp_input/ah_input must consume every input.
 */
#include <string.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ipsec/ipsec.h"
#include "wire/ip6.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct umk_stack *s;
	if (!s)
		s = setup();
	if (size < 1 || size > 4000)
		return 0;
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
