/*
 * fuzz_tcp_input.c - TCP input with state: a stack (2001:db8::1) with a listener on port 80
 * and an active open to [2001:db8::2]:443, fed segments from 2001:db8::2 wrapped in valid
 * Ethernet/IPv6 headers with a correct checksum (so the fuzzer reaches the state machine,
 * not the checksum check), with time advancing between them (retransmission, persist,
 * keepalive and TIME_WAIT timers run), accept() and recv() between segments.
 *
 * Input: records { u8 advance_ms_div4; u8 sport_sel; u8 len; len bytes of TCP segment }.
 * sport_sel picks the peer port (443 for the active open, else a port of its own), and its
 * high bits the application's urgent-data calls on the active open (MSG_OOB recv and send,
 * SO_OOBINLINE, sockatmark, POLLPRI).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <umikame/mgmt.h>
#include <umikame/socket.h>
#include <umikame/umikame.h>

#include "wire/checksum.h"

static int sink(void *ctx, const void *frame, size_t len)
{
	(void)ctx;
	const volatile uint8_t *b = frame;
	uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= b[i];
	(void)x;
	return 0;
}

static const struct umk_link_ops ops = { .transmit = sink };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.seed = 1;
	cfg.pool_small = 128;
	cfg.pool_medium = 4;
	cfg.pool_large = 4;
	cfg.log_level = -1;
	umk_time_t now = 1000;
	struct umk_stack *s = umk_stack_new(&cfg, now);
	if (!s)
		return 0;
	struct umk_if_params ip = { .name = "fz0", .lladdr = { 0x02, 0, 0, 0, 0, 1 },
				    .mtu = 1500, .ops = &ops };
	int idx = umk_if_add(s, &ip);
	umk_conf_set(s, idx, "dad_transmits", 0);
	umk_if_up(s, idx);
	struct in6_addr me, peer;
	inet_pton(AF_INET6, "2001:db8::1", &me);
	inet_pton(AF_INET6, "2001:db8::2", &peer);
	umk_addr_add(s, idx, &me, 64);
	uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 2 };
	umk_neigh_add(s, idx, &peer, peer_mac, false);
	umk_timers_run(s, now += 2000);

	int l = umk_socket(s, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	umk_bind(s, l, (struct sockaddr *)&any, sizeof(any));
	umk_listen(s, l, 2);
	int c = umk_socket(s, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(443),
				   .sin6_addr = peer };
	umk_connect(s, c, (struct sockaddr *)&to, sizeof(to));
	umk_send(s, c, "hello", 5, 0);

	uint8_t frame[14 + 40 + 256];
	size_t off = 0;
	while (off + 3 <= size) {
		now += (umk_time_t)data[off] * 4;
		uint8_t sel = data[off + 1];
		size_t len = data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		if (len >= 4) {
			uint8_t seg[256];
			memcpy(seg, data + off, len);
			if (sel & 1) {   /* from 443 to the active open's port */
				seg[0] = 0x01;
				seg[1] = 0xbb;
			}
			if (sel & 2) {   /* to the listener */
				seg[2] = 0;
				seg[3] = 80;
			}
			if (len >= 18) {
				seg[16] = seg[17] = 0;
				uint16_t cs = csum_ip6(&peer, &me, 6, seg, len);
				seg[16] = (uint8_t)(cs >> 8);
				seg[17] = (uint8_t)cs;
			}
			memcpy(frame, (uint8_t[]){ 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x86, 0xdd }, 14);
			uint8_t *h = frame + 14;
			memset(h, 0, 40);
			h[0] = 0x60;
			h[4] = (uint8_t)(len >> 8);
			h[5] = (uint8_t)len;
			h[6] = 6;
			h[7] = 64;
			memcpy(h + 8, &peer, 16);
			memcpy(h + 24, &me, 16);
			memcpy(h + 40, seg, len);
			umk_timers_run(s, now);
			umk_input(s, idx, frame, 14 + 40 + len);
		}
		off += len;
		int a = umk_accept(s, l, NULL, NULL);
		char buf[512];
		if (a >= 0) {
			umk_recv(s, a, buf, sizeof(buf), 0);
			if (sel & 4)
				umk_close(s, a);
			else
				umk_send(s, a, buf, 100, 0);
		}
		umk_recv(s, c, buf, sizeof(buf), 0);
		if ((sel & 0x18) == 0x18)
			umk_shutdown(s, c, SHUT_WR);
		if (sel & 0x20)
			umk_recv(s, c, buf, 1, (sel & 0x80) ? MSG_OOB | MSG_PEEK : MSG_OOB);
		if ((sel & 0x60) == 0x40)
			umk_send(s, c, "urgent", 6, MSG_OOB);
		if ((sel & 0xe0) == 0xe0) {
			int on = sel & 1;
			umk_setsockopt(s, c, SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on));
		}
		struct umk_pollfd pf = { .sd = c, .events = POLLIN | POLLPRI };
		umk_poll(s, &pf, 1, 0);
		(void)umk_sockatmark(s, c);
	}
	umk_timers_run(s, now += 300000);
	umk_stack_free(s);
	return 0;
}
