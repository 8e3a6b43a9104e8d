/*
 * sim_tcp_util.h - what the TCP simulations share: two stacks on one simulated link, counters
 * by name, a connected pair, and a hand-made peer. The hand-made peer speaks with B's
 * addresses after B's port is cut off the link, so every sequence number is the test's own:
 * segments are built with wire/tcp.c and injected, A's answers are read off the wire by a
 * watcher, and A's connection blocks are looked at directly (white box: state, MSS).
 *
 *     [A] eth0 ----- link 0 (1 ms each way) ----- eth0 [B]    (B cut off: the test is "B")
 *      2001:db8::a/64                                  2001:db8::b/64
 */
#ifndef UMK_TESTS_SIM_TCP_UTIL_H
#define UMK_TESTS_SIM_TCP_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <umikame/mgmt.h>
#include <umikame/socket.h>
#include "sim.h"
#include "core/stack_int.h"
#include "transport/tcp_int.h"
#include "wire/checksum.h"
#include "wire/tcp.h"

static struct sim_net *net;
static struct umk_stack *a, *b;
static int ia, ib, link0, port_a, port_b;
static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa }, mac_b[6] = { 2, 0, 0, 0, 0, 0xb };

static inline struct sockaddr_in6 SA(const char *addr, uint16_t port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	inet_pton(AF_INET6, addr, &s.sin6_addr);
	return s;
}

/* Two stacks; cfg (NULL = sim defaults) applies to both, with its own seed for each; each
 * port plain (0) or with the offloads given (sim_attach_offload). */
static inline void two_stacks_offl_cfg(uint64_t seed, const struct umk_stack_config *cfg,
				       unsigned offl_a, unsigned offl_b)
{
	net = sim_net_new(seed);
	link0 = sim_link_new(net, 1, 0.0);
	if (cfg) {
		struct umk_stack_config c = *cfg;
		c.seed = seed * 2 + 1;
		a = sim_stack_new(net, &c);
		c.seed = seed * 2 + 2;
		b = sim_stack_new(net, &c);
	} else {
		a = sim_stack_new(net, NULL);
		b = sim_stack_new(net, NULL);
	}
	ia = sim_attach_offload(net, link0, a, "eth0", mac_a, 1500, offl_a, &port_a);
	ib = sim_attach_offload(net, link0, b, "eth0", mac_b, 1500, offl_b, &port_b);
	assert_true(ia > 0 && ib > 0);
	umk_if_up(a, ia);
	umk_if_up(b, ib);
	struct in6_addr ga, gb;
	inet_pton(AF_INET6, "2001:db8::a", &ga);
	inet_pton(AF_INET6, "2001:db8::b", &gb);
	assert_int_equal(umk_addr_add(a, ia, &ga, 64), 0);
	assert_int_equal(umk_addr_add(b, ib, &gb, 64), 0);
	sim_run_for(net, 5000); /* DAD */
}

static inline void two_stacks_cfg(uint64_t seed, const struct umk_stack_config *cfg)
{
	two_stacks_offl_cfg(seed, cfg, 0, 0);
}

/* The test's stack configuration: small pools as sim_stack_new's defaults. */
static inline struct umk_stack_config sim_cfg(void)
{
	struct umk_stack_config c;
	umk_stack_config_defaults(&c);
	memset(c.secret_key, 0, sizeof(c.secret_key));
	c.pool_small = 512;
	c.pool_medium = 8;
	c.pool_large = 16;
	return c;
}

struct cfind {
	const char *name;
	uint64_t value;
	bool found;
};

static inline int cfind_cb(void *ctx, const char *group, const char *name, uint64_t value)
{
	struct cfind *f = ctx;
	if (!strcmp(group, "tcp") && !strcmp(name, f->name)) {
		f->value = value;
		f->found = true;
	}
	return 0;
}

static inline uint64_t counter(struct umk_stack *s, const char *name)
{
	struct cfind f = { .name = name };
	umk_stats_list(s, cfind_cb, &f);
	if (!f.found)
		fail_msg("no tcp counter %s", name);
	return f.value;
}

/* A listens on port 80 (backlog 8), B connects; returns the accepted (on A, after which
 * B is writable) and the connected (on B) socket, and the listener. */
static inline void connect_pair(int *sa_out, int *sb_out, int *listener)
{
	int l = umk_socket(a, AF_INET6, SOCK_STREAM, 0);
	assert_true(l >= 0);
	struct sockaddr_in6 any = SA("::", 80), to = SA("2001:db8::a", 80);
	assert_int_equal(umk_bind(a, l, (struct sockaddr *)&any, sizeof(any)), 0);
	assert_int_equal(umk_listen(a, l, 8), 0);
	int c = umk_socket(b, AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(umk_connect(b, c, (struct sockaddr *)&to, sizeof(to)), -1);
	assert_int_equal(errno, EINPROGRESS);
	int sa = -1;
	for (int i = 0; i < 5000 && sa < 0; i++) {
		sim_run_for(net, 1);
		sa = umk_accept(a, l, NULL, NULL);
	}
	assert_true(sa >= 0);
	struct umk_pollfd p = { .sd = c, .events = POLLOUT };
	assert_int_equal(umk_poll(b, &p, 1, 0), 1);
	assert_true(p.revents & POLLOUT);
	*sa_out = sa;
	*sb_out = c;
	*listener = l;
}

/* ---- the hand-made peer ---- */

#define SEEN_MAX 256
static struct tcp_hdr_info seen[SEEN_MAX];    /* A's TCP segments since seen_reset() */
static int n_seen;

static inline void watch_a(void *ctx, int lk, int from, const uint8_t *f, size_t len,
			   umk_time_t now)
{
	(void)ctx; (void)lk; (void)now;
	if (from != port_a || len < 14 + 40 + 20 || f[12] != 0x86 || f[13] != 0xdd || f[20] != 6)
		return;
	if (n_seen < SEEN_MAX && tcp_parse(f + 54, len - 54, &seen[n_seen]) == TCP_OK)
		n_seen++;
}

static inline void seen_reset(void) { n_seen = 0; }

/* The last segment A sent with all of these flags, or NULL. */
static inline const struct tcp_hdr_info *seen_last(uint8_t flags)
{
	for (int i = n_seen - 1; i >= 0; i--)
		if ((seen[i].flags & flags) == flags)
			return &seen[i];
	return NULL;
}

/* Resolves A's and B's neighbors (one real connection), then cuts B off and watches A. */
static inline void peer_setup(uint64_t seed, const struct umk_stack_config *cfg)
{
	two_stacks_cfg(seed, cfg);
	int sa, sb, l;
	connect_pair(&sa, &sb, &l);
	umk_close(a, sa);
	umk_close(a, l);
	umk_close(b, sb);
	sim_run_for(net, 200);
	sim_port_set_connected(net, port_b, false);
	sim_watch(net, watch_a, NULL);
	seen_reset();
}

/* Writes into f the Ethernet frame of a segment from [2001:db8::b]:sport to
 * [2001:db8::a]:dport with dlen bytes of data and its checksum; returns its length. */
static inline size_t peer_frame(uint8_t *f, struct tcp_hdr_info *h, const void *data,
				size_t dlen)
{
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[6] = 6;
	ip[7] = 64;
	struct in6_addr src, dst;
	inet_pton(AF_INET6, "2001:db8::b", &src);
	inet_pton(AF_INET6, "2001:db8::a", &dst);
	memcpy(ip + 8, &src, 16);
	memcpy(ip + 24, &dst, 16);
	size_t hl = tcp_emit(ip + 40, h);
	if (dlen)
		memcpy(ip + 40 + hl, data, dlen);
	size_t tl = hl + dlen;
	ip[4] = (uint8_t)(tl >> 8);
	ip[5] = (uint8_t)tl;
	uint16_t c = csum_ip6(&src, &dst, 6, ip + 40, tl);
	ip[40 + TCP_OFF_CSUM] = (uint8_t)(c >> 8);
	ip[40 + TCP_OFF_CSUM + 1] = (uint8_t)c;
	return 14 + 40 + tl;
}

/* Puts that segment on the link (it arrives with the link's delay when the simulation
 * runs). */
static inline void inject_nowait(struct tcp_hdr_info *h, const void *data, size_t dlen)
{
	uint8_t f[14 + 40 + TCP_MAX_HLEN + 1500];
	assert_true(dlen <= 1500);
	sim_inject(net, link0, f, peer_frame(f, h, data, dlen));
}

/* The same, and 5 ms for A to take it and answer. */
static inline void inject(struct tcp_hdr_info *h, const void *data, size_t dlen)
{
	inject_nowait(h, data, dlen);
	sim_run_for(net, 5);
}

static inline struct tcp_hdr_info seg(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
				      uint8_t flags)
{
	struct tcp_hdr_info h;
	memset(&h, 0, sizeof(h));
	h.sport = sport;
	h.dport = dport;
	h.seq = seq;
	h.ack = ack;
	h.flags = flags;
	h.win = 65535;
	return h;
}

/* A's connection block for (lport, fport), NULL when there is none. */
static inline struct tcpcb *tcb_of(struct umk_stack *s, uint16_t lport, uint16_t fport)
{
	for (struct tcpcb *tp = s->tcp->all; tp; tp = tp->next)
		if (tp->lport == lport && tp->fport == fport && tp->state != TCPS_LISTEN)
			return tp;
	return NULL;
}

static inline struct tcpcb *listener_of(struct umk_stack *s, uint16_t lport)
{
	for (struct tcpcb *tp = s->tcp->all; tp; tp = tp->next)
		if (tp->lport == lport && tp->state == TCPS_LISTEN)
			return tp;
	return NULL;
}

static inline int state_of(struct umk_stack *s, uint16_t lport, uint16_t fport)
{
	struct tcpcb *tp = tcb_of(s, lport, fport);
	return tp ? (int)tp->state : TCPS_CLOSED;
}

/* The hand-made peer's side of one connection. */
struct peer {
	uint16_t sport, dport;
	uint32_t snd_nxt, rcv_nxt;   /* the peer's: next to send, next expected from A */
	bool ts;                     /* offers timestamps */
	uint32_t tsval;
	uint8_t wscale;              /* offers window scale wscale - 1 (0: no option) */
};

static inline struct tcp_hdr_info peer_seg(const struct peer *p, uint8_t flags)
{
	struct tcp_hdr_info h = seg(p->sport, p->dport, p->snd_nxt, p->rcv_nxt, flags);
	if (p->ts) {
		h.opt.present |= TCPO_TS;
		h.opt.tsval = p->tsval;
	}
	return h;
}

/* Sends data (and flags) at snd_nxt and advances it. */
static inline void peer_send(struct peer *p, uint8_t flags, const void *data, size_t n)
{
	struct tcp_hdr_info h = peer_seg(p, flags);
	inject(&h, data, n);
	p->snd_nxt += (uint32_t)n + ((flags & TH_FIN) ? 1u : 0u);
}

/* The peer's SYN to A:dport; A's SYN-ACK read off the wire. Returns false without one. */
static inline bool peer_syn(struct peer *p, uint32_t isn)
{
	seen_reset();
	p->snd_nxt = isn;
	struct tcp_hdr_info h = seg(p->sport, p->dport, isn, 0, TH_SYN);
	h.opt.present = TCPO_MSS | TCPO_SACK_OK;
	h.opt.mss = 1440;
	if (p->ts) {
		h.opt.present |= TCPO_TS;
		h.opt.tsval = p->tsval;
	}
	if (p->wscale) {
		h.opt.present |= TCPO_WSCALE;
		h.opt.wscale = (uint8_t)(p->wscale - 1);
	}
	inject(&h, NULL, 0);
	p->snd_nxt = isn + 1;
	const struct tcp_hdr_info *sa = seen_last(TH_SYN | TH_ACK);
	if (!sa)
		return false;
	p->rcv_nxt = sa->seq + 1;
	return true;
}

/* The whole handshake to A's listener l; returns the accepted descriptor. */
static inline int peer_open(struct peer *p, int l, uint32_t isn)
{
	assert_true(peer_syn(p, isn));
	peer_send(p, TH_ACK, NULL, 0);
	int sd = umk_accept(a, l, NULL, NULL);
	assert_true(sd >= 0);
	return sd;
}

static inline int listen_on(uint16_t port, int backlog)
{
	int l = umk_socket(a, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 any = SA("::", port);
	assert_int_equal(umk_bind(a, l, (struct sockaddr *)&any, sizeof(any)), 0);
	assert_int_equal(umk_listen(a, l, backlog), 0);
	return l;
}

#endif
