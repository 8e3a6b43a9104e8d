/*
 * fuzz_udpencap.c - RFC 3948 UDP-encapsulated ESP through the whole frame input path
 * (umk_input -> ip6_input -> udp6_input's hook -> ip6_input again -> ESP -> IPComp ->
 * delivery or a tunnel's inner packet). The stack, 2001:db8::1 on one interface, holds an
 * ESP-in-UDP SA from 2001:db8::2 port 4500, a plain ESP SA, an IPComp association and an
 * inbound policy that wants ESP. The first byte picks the source port (the SA's or
 * another, a NAT rebinding) and the mode:
 *   raw:  the rest is the UDP payload as is (markers, keepalives, bogus ESP);
 *   esp:  the rest after one byte (the next header) is sealed by esp_output with the SA's
 *         keys, so the decrypted contents (IPComp data, inner packets, upper layers) are
 *         the fuzzer's.
 * The UDP checksum is always right, so every datagram reaches the hook.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <umikame/mgmt.h>
#include <umikame/umikame.h>
#include "core/stack_int.h"
#include "ipsec/ipsec.h"
#include "wire/checksum.h"
#include "wire/ip6.h"
#include "wire/ipcomp.h"
#include "wire/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *ctx, const void *frame, size_t len)
{
	const volatile uint8_t *b = frame;
	uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= b[i];
	(void)x;
	return 0;
}

static const struct umk_link_ops ops = { .transmit = sink };
static struct in6_addr me, peer;
static struct ipsec_sa *encap_sa;
static int ifidx;

static struct umk_stack *setup(void)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.log_level = -1;
	struct umk_stack *s = umk_stack_new(&cfg, 1000);
	struct umk_if_params ip = { .name = "fz0", .lladdr = { 0x02, 0, 0, 0, 0, 1 },
				    .mtu = 1500, .ops = &ops };
	ifidx = umk_if_add(s, &ip);
	umk_conf_set(s, ifidx, "dad_transmits", 0);
	umk_if_up(s, ifidx);
	inet_pton(AF_INET6, "2001:db8::1", &me);
	inet_pton(AF_INET6, "2001:db8::2", &peer);
	umk_addr_add(s, ifidx, &me, 64);
	umk_timers_run(s, 3000);
	struct ipsec_sa t = { .proto = 50, .spi = 0x100, .state = SA_MATURE, .src = peer,
			      .dst = me, .enc = IPSEC_ENC_AES_GCM16, .enc_key_len = 20,
			      .encap_type = 2, .encap_sport = 4500, .encap_dport = 4500 };
	t.replay.size = 64;
	if (sad_add(s, &t, &encap_sa))
		abort();
	t.spi = 0x101;
	t.encap_type = 0;
	t.encap_sport = t.encap_dport = 0;
	if (sad_add(s, &t, NULL))
		abort();
	struct ipsec_sa c = { .proto = IPPROTO6_IPCOMP, .spi = 0x200, .state = SA_MATURE,
			      .src = peer, .dst = me, .calg = IPCOMP_ALG_DEFLATE };
	if (sad_add(s, &c, NULL))
		abort();
	struct ipsec_policy p = { .dir = IPSEC_DIR_IN, .action = IPSEC_PROTECT, .n_req = 2 };
	p.sel.proto = IPSEC_PROTO_ANY;
	p.sel.icmp_type = p.sel.icmp_code = IPSEC_ICMP_ANY;
	p.req[0] = (struct ipsec_req){ .proto = IPPROTO6_IPCOMP, .mode = IPSEC_MODE_TRANSPORT,
				       .level = 1 };
	p.req[1] = (struct ipsec_req){ .proto = 50, .mode = IPSEC_MODE_TRANSPORT, .level = 2 };
	if (spd_add(s, &p, false, NULL))
		abort();
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct umk_stack *s;
	static umk_time_t now = 4000;
	if (!s)
		s = setup();
	if (size < 1 || size > 1300)
		return 0;
	uint8_t sel = *data++;
	size--;
	uint8_t frame[1600];
	uint8_t *udp = frame + 14 + 40, *payload = udp + UDP_HLEN;
	size_t plen;
	if (sel & 1) {
		/* esp: our own ESP output over the fuzzer's plaintext */
		if (size < 1)
			return 0;
		struct umk_pkt *pkt = pkt_alloc(s, 1500, PKT_HEADROOM);
		if (!pkt)
			return 0;
		memcpy(pkt_put(pkt, (uint32_t)(size - 1)), data + 1, size - 1);
		uint8_t nxt = data[0];
		if (esp_output(s, encap_sa, pkt, &nxt))
			return 0;        /* consumed */
		plen = pkt->len;
		memcpy(payload, pkt->data, plen);
		pkt_free(s, pkt);
	} else {
		plen = size;
		memcpy(payload, data, size);
	}
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 1 }, smac[6] = { 0x02, 0, 0, 0, 0, 2 };
	memcpy(frame, dmac, 6);
	memcpy(frame + 6, smac, 6);
	frame[12] = 0x86;
	frame[13] = 0xdd;
	struct ip6_hdr_info h = { .plen = (uint16_t)(UDP_HLEN + plen), .nxt = 17, .hlim = 64,
				  .src = peer, .dst = me };
	ip6_hdr_emit(frame + 14, &h);
	udp_emit(udp, sel & 2 ? 4501 : 4500, 4500, (uint16_t)(UDP_HLEN + plen));
	uint16_t c = csum_ip6(&peer, &me, 17, udp, UDP_HLEN + plen);
	if (!c)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	umk_timers_run(s, now += 10);
	umk_input(s, ifidx, frame, 14 + 40 + UDP_HLEN + plen);
	return 0;
}
