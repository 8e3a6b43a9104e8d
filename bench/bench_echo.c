/*
 * bench_echo.c - the cost of answering one ICMPv6 echo request: Ethernet frame in, echo
 * reply frame out through the driver callback, on one stack with the sender's neighbor entry
 * already PERMANENT (no resolution in the loop).
 *
 *   bench_echo [N]            wall-clock rate for N requests (default 1,000,000)
 *   bench/run.sh              the instruction count per request under callgrind
 *
 * Under callgrind only answer_loop() is counted (--toggle-collect=answer_loop), so
 * instructions / N is the per-packet figure, repeatable on a noisy machine.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <umikame/mgmt.h>
#include <umikame/umikame.h>

static uint64_t replies;

static int count_tx(void *ctx, const void *frame, size_t len)
{
	const uint8_t *f = frame;
	/* Ethernet IPv6, next header ICMPv6, type 129 */
	if (len >= 62 && f[12] == 0x86 && f[13] == 0xdd && f[20] == 58 && f[54] == 129)
		replies++;
	return 0;
}

static const struct umk_link_ops ops = { .transmit = count_tx };

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An echo request 2001:db8::2 -> 2001:db8::1 with `payload` bytes, as Linux's ping sends. */
static size_t build_request(uint8_t *f, const uint8_t dst_mac[6], size_t payload)
{
	static const uint8_t src_mac[6] = { 0x02, 0, 0, 0, 0, 2 };
	size_t icmp_len = 8 + payload;
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(icmp_len >> 8);
	ip[5] = (uint8_t)icmp_len;
	ip[6] = 58;
	ip[7] = 64;
	inet_pton(AF_INET6, "2001:db8::2", ip + 8);
	inet_pton(AF_INET6, "2001:db8::1", ip + 24);
	uint8_t *ic = ip + 40;
	ic[0] = 128;
	ic[1] = 0;
	ic[2] = ic[3] = 0;
	ic[4] = 0x12;
	ic[5] = 0x34;
	ic[6] = 0;
	ic[7] = 1;
	for (size_t i = 0; i < payload; i++)
		ic[8 + i] = (uint8_t)i;
	uint32_t sum = 0;
	for (int i = 8; i < 40; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	sum += (uint32_t)icmp_len + 58;
	for (size_t i = 0; i < icmp_len; i += 2)
		sum += (uint32_t)(ic[i] << 8 | (i + 1 < icmp_len ? ic[i + 1] : 0));
	uint16_t c = csum_fold(sum);
	ic[2] = (uint8_t)(c >> 8);
	ic[3] = (uint8_t)c;
	return 14 + 40 + icmp_len;
}

/* Kept out of line so callgrind can count exactly this. */
__attribute__((noinline)) void answer_loop(struct umk_stack *s, int idx, const uint8_t *f,
					   size_t len, long n);
__attribute__((noinline)) void answer_loop(struct umk_stack *s, int idx, const uint8_t *f,
					   size_t len, long n)
{
	for (long i = 0; i < n; i++)
		umk_input(s, idx, f, len);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.limits.icmp6_rate = 0; /* not relevant to echo replies, which are not errors */
	umk_time_t now = 1000;
	struct umk_stack *s = umk_stack_new(&cfg, now);
	struct umk_if_params ip = { .name = "bench0", .lladdr = { 0x02, 0, 0, 0, 0, 1 },
				    .mtu = 1500, .ops = &ops };
	int idx = umk_if_add(s, &ip);
	umk_conf_set(s, idx, "dad_transmits", 0);
	umk_conf_set(s, idx, "rtr_solicitations", 0);
	umk_if_up(s, idx);
	struct in6_addr me, peer;
	inet_pton(AF_INET6, "2001:db8::1", &me);
	inet_pton(AF_INET6, "2001:db8::2", &peer);
	if (umk_addr_add(s, idx, &me, 64) < 0) {
		fprintf(stderr, "bench_echo: cannot add the address\n");
		return 1;
	}
	static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 2 };
	umk_neigh_add(s, idx, &peer, peer_mac, false);
	umk_timers_run(s, now += 5000);

	uint8_t frame[256];
	size_t len = build_request(frame, ip.lladdr, 56);
	answer_loop(s, idx, frame, len, 1); /* warm up; also checks that it answers */
	if (replies != 1) {
		fprintf(stderr, "bench_echo: the stack did not answer the echo request\n");
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	answer_loop(s, idx, frame, len, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("echo requests: %ld, replies: %llu, %.0f per second, %.1f ns each\n", n,
	       (unsigned long long)replies - 1, (double)n / sec, sec * 1e9 / (double)n);
	umk_stack_free(s);
	return replies - 1 == (uint64_t)n ? 0 : 1;
}
