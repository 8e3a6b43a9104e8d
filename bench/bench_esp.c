/*
 * bench_esp.c - ESP encrypt and decrypt rates per core with AES-GCM-128 (RFC 4106) for
 * 64, 512 and 1400-byte payloads, through esp_output/esp_input on one SA pair; compare
 * with `openssl speed -evp aes-128-gcm` (the crypto-bound limit) run alongside by
 * bench/run.sh or by hand. Under callgrind, `bench_esp 1000` gives instructions per
 * packet (total / (2 * 3 * 1000)). Measured, never asserted (DESIGN.md "Performance").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ipsec/ipsec.h"
#include "wire/ip6.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 200000;
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	struct umk_stack *s = umk_stack_new(&cfg, 0);
	struct ipsec_sa t = { .spi = 0x1000, .proto = 50, .state = SA_MATURE,
			      .enc = IPSEC_ENC_AES_GCM16, .enc_key_len = 20 };
	t.dst.s6_addr[15] = 1;
	t.replay.size = 0;         /* the receiver's window would refuse our reused seq */
	struct ipsec_sa *sa;
	if (sad_add(s, &t, &sa))
		return 1;
	static const uint32_t sizes[] = { 64, 512, 1400 };
	printf("%-6s %14s %10s %14s %10s\n", "bytes", "encrypt pkt/s", "MB/s", "decrypt pkt/s",
	       "MB/s");
	for (int k = 0; k < 3; k++) {
		uint32_t n = sizes[k];
		uint8_t payload[1400];
		memset(payload, 0xab, n);
		/* encrypt */
		static uint8_t last[2048];
		uint32_t last_len = 0;
		double t0 = now_s();
		for (long i = 0; i < iters; i++) {
			struct umk_pkt *p = pkt_alloc(s, 2048, PKT_HEADROOM);
			memcpy(pkt_put(p, n), payload, n);
			uint8_t nxt = 17;
			if (esp_output(s, sa, p, &nxt))
				return 1;
			if (i == iters - 1) {
				memcpy(last, p->data, p->len);
				last_len = p->len;
			}
			pkt_free(s, p);
		}
		double enc = (double)iters / (now_s() - t0);
		/* decrypt the same packet again and again (anti-replay off on this SA) */
		t0 = now_s();
		for (long i = 0; i < iters; i++) {
			struct umk_pkt *p = pkt_alloc(s, 2048, PKT_HEADROOM);
			struct ip6_hdr_info h = { .plen = (uint16_t)last_len, .nxt = 50,
						  .hlim = 64, .dst = t.dst };
			ip6_hdr_emit(pkt_put(p, 40), &h);
			memcpy(pkt_put(p, last_len), last, last_len);
			struct ip6_rx rx = { .dst = t.dst };
			uint32_t off = 40, len = p->len;
			uint8_t nxt = 50;
			if (esp_input(s, &p, &rx, &off, 6, &nxt, &len))
				return 1;
			pkt_free(s, p);
		}
		double dec = (double)iters / (now_s() - t0);
		printf("%-6u %14.0f %10.1f %14.0f %10.1f\n", n, enc, enc * n / 1e6, dec,
		       dec * n / 1e6);
	}
	umk_stack_free(s);
	return 0;
}
