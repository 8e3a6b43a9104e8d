/*
 * udp_echo.c - the smallest embedded umikame program: a stack on a TAP device that echoes
 * every UDP datagram sent to PORT, event-driven through the socket readiness callback.
 *
 *   sudo ./udp_echo tap0 2001:db8:5::2 7
 *   (from the kernel side: ip addr add 2001:db8:5::1/64 dev tap0; nc -u 2001:db8:5::2 7)
 *
 * One loop feeds the stack frames and time; the stack never blocks (DESIGN.md).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <umikame/mgmt.h>
#include <umikame/socket.h>

#include "tap.h"

static umk_time_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (umk_time_t)ts.tv_sec * 1000 + (umk_time_t)ts.tv_nsec / 1000000;
}

struct echo { struct umk_stack *s; unsigned long served; };

/* Readiness callback: answer everything queued, to where it came from. */
static void on_ready(void *ctx, int sd, short revents)
{
	struct echo *e = ctx;
	char buf[65536];
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	if (!(revents & POLLIN))
		return;
	while ((n = umk_recvfrom(e->s, sd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) >= 0) {
		umk_sendto(e->s, sd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
		e->served++;
		fl = sizeof(from);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s TAPNAME ADDRESS PORT\n", argv[0]);
		return 2;
	}
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	struct umk_stack *s = umk_stack_new(&cfg, now_ms());
	struct tap *t = NULL;
	char err[256];
	static const uint8_t mac[6] = { 0x02, 0x75, 0x6d, 0x6b, 0, 1 };
	if (!s || !(t = tap_open(argv[1], mac, 0, err, sizeof(err)))) {
		fprintf(stderr, "udp_echo: %s\n", s ? err : "no memory");
		return 1;
	}
	int ifx = tap_attach(t, s);
	struct in6_addr a;
	if (ifx < 0 || inet_pton(AF_INET6, argv[2], &a) != 1 || umk_addr_add(s, ifx, &a, 64)) {
		fprintf(stderr, "udp_echo: cannot set up %s with %s\n", argv[1], argv[2]);
		return 1;
	}
	umk_if_up(s, ifx);

	struct echo e = { .s = s };
	int sd = umk_socket(s, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(argv[3])) };
	if (sd < 0 || umk_bind(s, sd, (struct sockaddr *)&any, sizeof(any)) < 0) {
		perror("udp_echo: bind");
		return 1;
	}
	umk_sock_set_callback(s, sd, on_ready, &e);
	for (;;) {
		umk_time_t next = umk_next_deadline(s), now = now_ms();
		int wait = next == UMK_TIME_NEVER ? 1000 : next <= now ? 0 : (int)(next - now);
		struct pollfd p = { .fd = tap_fd(t), .events = POLLIN };
		if (poll(&p, 1, wait) < 0 && errno != EINTR)
			break;
		if (p.revents & POLLIN)
			tap_rx(t, 64);
		umk_timers_run(s, now_ms());
	}
	return 0;
}
