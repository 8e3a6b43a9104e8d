/*
 * bench_forward.c - forwarded packets per second through one umikame stack, in process:
 * frames from host A on eth0 to host B behind eth1 (both PERMANENT neighbors), 64-byte UDP
 * payloads, the transmit callback only counts. `bench_forward N` forwards N packets (default
 * 2,000,000); under `valgrind --tool=callgrind` a small N gives instructions per packet
 * (bench/forward_run.sh does both).
 *
 *   A 2001:db8:1::2 -- eth0 [router] eth1 -- B 2001:db8:2::2, 64 routes in the table
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <umikame/mgmt.h>
#include <umikame/umikame.h>

static uint64_t sent[3];

static int tx(void *ctx, const void *f, size_t len)
{
	sent[(intptr_t)ctx]++;
	return 0;
}
static const struct umk_link_ops ops = { .transmit = tx };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	inet_pton(AF_INET6, s, &a);
	return a;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.log_level = UMK_LOG_ERR;
	struct umk_stack *s = umk_stack_new(&cfg, 1000);
	int ifx[2];
	for (int i = 0; i < 2; i++) {
		struct umk_if_params p = { .name = i ? "eth1" : "eth0", .mtu = 1500, .ops = &ops,
					   .ctx = (void *)(intptr_t)(i + 1),
					   .lladdr = { 2, 0, 0, 0, 0, (uint8_t)(i + 1) } };
		ifx[i] = umk_if_add(s, &p);
		umk_conf_set(s, ifx[i], "dad_transmits", 0);
		umk_conf_set(s, ifx[i], "rtr_solicitations", 0);
		umk_conf_set(s, ifx[i], "forwarding", 1);
		umk_if_up(s, ifx[i]);
	}
	struct in6_addr a0 = A("2001:db8:1::1"), a1 = A("2001:db8:2::1");
	umk_addr_add(s, ifx[0], &a0, 64);
	umk_addr_add(s, ifx[1], &a1, 64);
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa }, mac_b[6] = { 2, 0, 0, 0, 0, 0xb };
	struct in6_addr ha = A("2001:db8:1::2"), hb = A("2001:db8:2::2");
	umk_neigh_add(s, ifx[0], &ha, mac_a, false);
	umk_neigh_add(s, ifx[1], &hb, mac_b, false);
	for (int i = 0; i < 64; i++) {
		char p[64];
		snprintf(p, sizeof(p), "2001:db8:%x::", 0x100 + i);
		struct in6_addr pa = A(p);
		umk_route_add(s, &pa, 48, &hb, ifx[1], 1024);
	}
	umk_timers_run(s, 2000);
	uint8_t f[14 + 40 + 8 + 64];
	memcpy(f, (uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, 6);
	memcpy(f + 6, mac_a, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[4] = 0;
	ip[5] = 72;
	ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, &ha, 16);
	memcpy(ip + 24, &hb, 16);
	memset(ip + 40, 0x42, 72);
	sent[2] = 0;
	double t0 = now_s();
	for (long i = 0; i < n; i++)
		umk_input(s, ifx[0], f, sizeof(f));
	double dt = now_s() - t0;
	printf("forwarded %llu of %ld packets (%zu-byte frames) in %.3f s: %.2f Mpps, %.0f ns/pkt\n",
	       (unsigned long long)sent[2], n, sizeof(f), dt, sent[2] / dt / 1e6, dt * 1e9 / n);
	umk_stack_free(s);
	return sent[2] == (uint64_t)n ? 0 : 1;
}
