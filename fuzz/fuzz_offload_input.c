/*
 * fuzz_offload_input.c - received frames with offload work described (umikame.h
 * umk_frame_offload, what drivers/tap.c makes of a virtio-net header) through
 * umk_pkt_set_offload and the whole input path: eth_input, ip6_input, TCP and UDP input
 * (which trust a PARTIAL or VALID checksum), and ip6/forward.c, which cuts super-segments
 * and finishes checksums (ip6/gso.c) on the way to a second interface.
 *
 *   peer 2001:db8::2 --- fz0 [2001:db8::1, offloads CSUM|TSO6] (stack, forwarding)
 *                        fz1 [2001:db8:1::1, offloads per input] --- 2001:db8:1::2
 *
 * TCP listens on port 80 and UDP on 5353; connections are accepted, read, written to (so
 * TCP hands super-segments to fz0) and aborted. Aborts when an invariant breaks:
 * - every frame the stack hands a driver: an Ethernet frame within the MTU unless it is a
 *   super-segment; transmit_offload only where the interface took offloads, TSO only where
 *   it took TSO6; a left-open checksum's field inside the frame at TCP's or UDP's offset
 *   right after the IPv6 header, and finishing it gives a checksum that verifies; a
 *   super-segment's hdr_len is the Ethernet, IPv6 and TCP headers, inside the frame, and
 *   its segments fit the MTU;
 * - every TCP, UDP and ICMPv6 packet the stack makes itself (a source no input used)
 *   carries a checksum that verifies (RFC 8200 8.1);
 * - umk_pkt_set_offload refuses flags it does not know, a super-segment with neither
 *   PARTIAL nor VALID, and a checksum field outside the frame;
 * - once the sockets are closed and the timers have run, no packet buffer is left in use.
 *
 * Input: records { u8 vflags; u8 gso_type; le16 hdr_len, gso_size, csum_start,
 *        csum_offset; u8 mode; u8 repeat; u8 advance; u8 app; le16 len; len bytes }.
 * vflags/gso_type are virtio-net's (VIRTIO_NET_HDR_F_NEEDS_CSUM 1, _DATA_VALID 2;
 * GSO_NONE 0, TCPV4 1, UDP 3, TCPV6 4, ECN 0x80), turned into umk_frame_offload as tap.c
 * does, or (mode M_DIRECT) passed as they are. The frame is the len bytes; the mode bits
 * fix parts of it so the fuzzer gets past the checks it is not about.
 *
 * The stack lives across inputs (one with fz1 plain, one with fz1 taking offloads: the first
 * record's M_FZ1_TSO picks); each input opens and closes its own sockets. To replay a
 * finding on a stack of its own, run with FZ_OFFLOAD_FRESH=1; FZ_OFFLOAD_STATS=1 prints the
 * counters that are not zero after each input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umikame/mgmt.h>
#include <umikame/socket.h>
#include <umikame/umikame.h>

#include "core/stack_int.h"
#include "wire/checksum.h"
#include "wire/ip6.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

#define M_DIRECT   0x01  /* vflags are UMK_FRAME_* and gso_size counts whatever gso_type */
#define M_FIX_L3   0x02  /* Ethernet to fz0 from the peer, IPv6 version, addresses, length */
#define M_FORWARD  0x04  /* with M_FIX_L3: to 2001:db8:1::2 behind fz1, not to us */
#define M_FIX_L4   0x08  /* ports to the listeners, UDP length, checksum (or its partial) */
#define M_RAW_CSUM 0x10  /* with M_FIX_L4: csum_start/csum_offset stay the input's */
#define M_FZ1_TSO  0x20  /* fz1 takes offloads too (read from the first record) */
#define M_REPEAT   0x40  /* the bytes after the transport header, repeat + 1 times */
#define M_TCP_SYNC 0x80  /* with M_FIX_L4 on TCP: seq/ack follow the last segment we sent */

#define VNET_NEEDS_CSUM 1
#define VNET_DATA_VALID 2
#define VNET_GSO_NONE   0
#define VNET_GSO_TCPV6  4
#define VNET_GSO_ECN    0x80

#define ETH_LEN   14
#define MTU       1500
#define MAX_FRAME (ETH_LEN + IP6_HLEN + 65535)
#define HDR_LEN   16
#define MAX_SRCS  16
#define MAX_CONNS 8

struct link {
	int index;
	unsigned offloads;
	uint8_t mac[6];
};

struct world {
	struct umk_stack *s;
	umk_time_t now;
	struct link links[2];    /* fz0, fz1 */
};

static struct in6_addr srcs[MAX_SRCS];   /* sources the input used: not ours to check */
static unsigned n_srcs;
static bool srcs_overflow;
static uint32_t last_seq, last_ack;      /* of the last TCP segment the stack sent */
static bool have_last;
static uint8_t frame[MAX_FRAME];
static uint8_t scratch[MAX_FRAME];

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 2 };

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) << 16 | rd16(p + 2); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)), wr16(p + 2, (uint16_t)v); }

static bool input_src(const struct in6_addr *a)
{
	if (srcs_overflow)
		return true;
	for (unsigned i = 0; i < n_srcs; i++)
		if (!memcmp(&srcs[i], a, 16))
			return true;
	return false;
}

static void note_src(const uint8_t *f, size_t len)
{
	if (len < ETH_LEN + IP6_HLEN)
		return;
	struct in6_addr a;
	memcpy(&a, f + ETH_LEN + 8, 16);
	if (input_src(&a))
		return;
	if (n_srcs == MAX_SRCS)
		srcs_overflow = true;
	else
		srcs[n_srcs++] = a;
}

/* A TCP, UDP or ICMPv6 packet right behind the IPv6 header, from a source the input did
 * not use (so the stack made it): its checksum verifies. */
static void check_own(const uint8_t *f, size_t len)
{
	struct ip6_hdr_info h;
	if (len < ETH_LEN || rd16(f + 12) != 0x86dd)
		return;
	CHECK(ip6_hdr_parse(f + ETH_LEN, len - ETH_LEN, &h) == 0);
	CHECK(h.plen == len - ETH_LEN - IP6_HLEN);
	if (input_src(&h.src))
		return;
	if (h.nxt == IPPROTO6_TCP || h.nxt == IPPROTO6_UDP || h.nxt == IPPROTO6_ICMPV6)
		CHECK(csum_ip6(&h.src, &h.dst, h.nxt, f + ETH_LEN + IP6_HLEN, h.plen) == 0);
	if (h.nxt == IPPROTO6_TCP && h.plen >= TCP_HLEN) {
		const uint8_t *t = f + ETH_LEN + IP6_HLEN;
		last_seq = rd32(t + 4) + (h.plen - (uint32_t)(t[12] >> 4) * 4) +
			   !!(t[13] & TH_SYN) + !!(t[13] & TH_FIN);
		last_ack = rd32(t + 8);
		have_last = true;
	}
}

static int tx_plain(void *ctx, const void *data, size_t len)
{
	const uint8_t *f = data;
	CHECK(len >= ETH_LEN && len <= ETH_LEN + MTU);
	CHECK(!memcmp(f + 6, ((const struct link *)ctx)->mac, 6));
	check_own(f, len);
	return 0;
}

static int tx_offload(void *ctx, const void *data, size_t len, const struct umk_frame_offload *off)
{
	const struct link *l = ctx;
	const uint8_t *f = data;
	CHECK(l->offloads & UMK_OFFLOAD_CSUM);
	if (!off->flags && !off->gso_size)
		return tx_plain(ctx, data, len);
	/* the stack leaves only TCP checksums open, always with a super-segment */
	CHECK(off->flags == UMK_FRAME_CSUM_PARTIAL);
	CHECK(len >= ETH_LEN + IP6_HLEN && len <= MAX_FRAME && rd16(f + 12) == 0x86dd);
	struct ip6_hdr_info h;
	CHECK(ip6_hdr_parse(f + ETH_LEN, len - ETH_LEN, &h) == 0);
	CHECK(h.plen == len - ETH_LEN - IP6_HLEN && h.nxt == IPPROTO6_TCP);
	CHECK(off->csum_start == ETH_LEN + IP6_HLEN && off->csum_offset == TCP_OFF_CSUM);
	CHECK((uint32_t)off->csum_start + off->csum_offset + 2 <= len);
	CHECK(h.plen >= TCP_HLEN);
	const uint8_t *t = f + off->csum_start;
	uint32_t thl = (uint32_t)(t[12] >> 4) * 4;
	CHECK(thl >= TCP_HLEN && off->csum_start + thl <= len);
	if (off->gso_size) {
		CHECK(l->offloads & UMK_OFFLOAD_TSO6);
		CHECK(off->hdr_len == off->csum_start + thl);
		CHECK(IP6_HLEN + thl + off->gso_size <= MTU);
		CHECK(!(t[13] & (TH_SYN | TH_RST)) || h.plen - thl <= off->gso_size);
	} else {
		CHECK(off->hdr_len == 0 && len <= ETH_LEN + MTU);
	}
	/* finished as the other side would, the whole verifies */
	memcpy(scratch, f, len);
	uint8_t *st = scratch + off->csum_start;
	wr16(st + off->csum_offset, csum_fold(csum_add(0, st, len - off->csum_start)));
	CHECK(csum_ip6(&h.src, &h.dst, IPPROTO6_TCP, st, h.plen) == 0);
	check_own(scratch, len);
	return 0;
}

static const struct umk_link_ops ops = { .transmit = tx_plain, .transmit_offload = tx_offload };

static uint32_t in_use(const struct umk_stack *s)
{
	uint32_t n = 0;
	for (int c = 0; c < PKT_NCLASSES; c++)
		n += s->pools[c].in_use;
	return n;
}

static void add_link(struct world *w, int i, const char *name, unsigned offloads,
		     const char *addr, const char *nbr)
{
	struct link *l = &w->links[i];
	struct umk_if_params p = { .name = name, .lladdr = { 0x02, 0, 0, 0, (uint8_t)i, 1 },
				   .mtu = MTU, .ops = &ops, .ctx = l, .offloads = offloads };
	l->offloads = offloads;
	memcpy(l->mac, p.lladdr, 6);
	l->index = umk_if_add(w->s, &p);
	CHECK(l->index > 0);
	umk_conf_set(w->s, l->index, "dad_transmits", 0);
	umk_conf_set(w->s, l->index, "forwarding", 1);
	umk_if_up(w->s, l->index);
	struct in6_addr a, n;
	inet_pton(AF_INET6, addr, &a);
	inet_pton(AF_INET6, nbr, &n);
	umk_addr_add(w->s, l->index, &a, 64);
	uint8_t mac[6] = { 0x02, 0, 0, 0, (uint8_t)i, 2 };
	umk_neigh_add(w->s, l->index, &n, mac, false);
}

/* Its timers run until `until` (each one when it is due, at most `steps` of them). */
static void run_until(struct world *w, umk_time_t until, int steps)
{
	while (steps-- > 0) {
		umk_time_t t = umk_next_deadline(w->s);
		if (t > until)
			break;
		if (t > w->now)
			w->now = t;
		umk_timers_run(w->s, w->now);
	}
	if (until > w->now)
		w->now = until;
	umk_timers_run(w->s, w->now);
}

/* The stack and its links, made on first use: creating a stack (its FIB above all) costs
 * far more than an input. fz1 takes offloads in one world, none in the other. */
static struct world *world(bool fz1_tso)
{
	static struct world worlds[2];
	struct world *w = &worlds[fz1_tso];
	if (w->s && !getenv("FZ_OFFLOAD_FRESH"))
		return w;
	if (w->s)
		umk_stack_free(w->s);
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.seed = 1;
	cfg.pool_small = 128;
	cfg.pool_medium = 4;
	cfg.pool_large = 6;
	cfg.log_level = -1;
	w->now = 1000;
	w->s = umk_stack_new(&cfg, w->now);
	CHECK(w->s);
	unsigned all = UMK_OFFLOAD_CSUM | UMK_OFFLOAD_TSO6;
	add_link(w, 0, "fz0", all, "2001:db8::1", "2001:db8::2");
	add_link(w, 1, "fz1", fz1_tso ? all : 0, "2001:db8:1::1", "2001:db8:1::2");
	run_until(w, w->now + 60000, 1000);  /* DAD, MLD and the router's first reports */
	return w;
}

/* The virtio-net header's fields as drivers/tap.c's vnet_rx turns them into an offload
 * description; false for a GSO type it does not take (the frame is dropped there). */
static bool vnet_offload(const uint8_t *r, struct umk_frame_offload *off)
{
	uint8_t vflags = r[0], type = r[1] & (uint8_t)~VNET_GSO_ECN;
	memset(off, 0, sizeof(*off));
	if (r[10] & M_DIRECT) {
		off->flags = vflags;
		off->gso_size = le16(r + 4);
	} else {
		if (vflags & VNET_NEEDS_CSUM)
			off->flags = UMK_FRAME_CSUM_PARTIAL;
		else if (vflags & VNET_DATA_VALID)
			off->flags = UMK_FRAME_CSUM_VALID;
		if (type == VNET_GSO_TCPV6)
			off->gso_size = le16(r + 4);
		else if (type != VNET_GSO_NONE)
			return false;
	}
	off->hdr_len = le16(r + 2);
	off->csum_start = le16(r + 6);
	off->csum_offset = le16(r + 8);
	return true;
}

/* Builds the record's frame in `frame`; returns its length. */
static size_t build(const uint8_t *r, const uint8_t *d, size_t n, struct umk_frame_offload *off)
{
	uint8_t mode = r[10], rep = r[11];
	size_t len = n;
	memcpy(frame, d, n);
	uint8_t *ip = frame + ETH_LEN, *l4 = ip + IP6_HLEN;
	bool l3 = len >= ETH_LEN + IP6_HLEN;
	if ((mode & M_FIX_L3) && l3) {
		memcpy(frame, our_mac, 6);
		memcpy(frame + 6, peer_mac, 6);
		wr16(frame + 12, 0x86dd);
		ip[0] = (uint8_t)(0x60 | (ip[0] & 0x0f));
		inet_pton(AF_INET6, "2001:db8::2", ip + 8);
		inet_pton(AF_INET6, (mode & M_FORWARD) ? "2001:db8:1::2" : "2001:db8::1", ip + 24);
		if (ip[7] < 2)
			ip[7] = 64;
	}
	uint8_t nxt = l3 ? ip[6] : 0;
	size_t l4len = 0;
	if (l3 && nxt == IPPROTO6_TCP && len >= ETH_LEN + IP6_HLEN + TCP_HLEN)
		l4len = (size_t)(l4[12] >> 4) * 4;
	else if (l3 && nxt == IPPROTO6_UDP)
		l4len = UDP_HLEN;
	size_t body = ETH_LEN + IP6_HLEN + l4len;
	if ((mode & M_REPEAT) && body < len) {
		size_t chunk = len - body;
		for (unsigned k = 0; k < rep && len + chunk <= MAX_FRAME; k++, len += chunk)
			memcpy(frame + len, frame + body, chunk);
	}
	if ((mode & M_FIX_L3) && l3)
		wr16(ip + 4, (uint16_t)(len - ETH_LEN - IP6_HLEN));
	if (!(mode & M_FIX_L4) || !l3 || body > len || !l4len)
		return len;

	uint32_t ulen = (uint32_t)(len - ETH_LEN - IP6_HLEN);
	uint16_t coff = TCP_OFF_CSUM;
	if (nxt == IPPROTO6_TCP) {
		wr16(l4 + 2, 80);
		if ((mode & M_TCP_SYNC) && have_last) {
			wr32(l4 + 4, last_ack);
			wr32(l4 + 8, last_seq);
		}
	} else {
		wr16(l4 + 2, 5353);
		wr16(l4 + 4, (uint16_t)ulen);
		coff = UDP_OFF_CSUM;
	}
	struct in6_addr src, dst;
	memcpy(&src, ip + 8, 16);
	memcpy(&dst, ip + 24, 16);
	wr16(l4 + coff, 0);
	if (off->flags & UMK_FRAME_CSUM_PARTIAL) {
		/* what a sender leaving it open puts there: the pseudo-header's sum */
		wr16(l4 + coff, (uint16_t)~csum_fold(csum_pseudo6(&src, &dst, ulen, nxt)));
		if (!(mode & M_RAW_CSUM)) {
			off->csum_start = ETH_LEN + IP6_HLEN;
			off->csum_offset = coff;
		}
	} else {
		uint16_t c = csum_ip6(&src, &dst, nxt, l4, ulen);
		wr16(l4 + coff, c ? c : 0xffff);
	}
	if (!(mode & M_RAW_CSUM))
		off->hdr_len = (uint16_t)body;
	return len;
}

/* What umk_pkt_set_offload must refuse (umikame.h): flags it does not know, a checksum
 * field outside the frame, a super-segment whose checksum is neither partial nor valid. */
static bool must_refuse(const struct umk_frame_offload *off, size_t len)
{
	if (off->flags & ~(UMK_FRAME_CSUM_PARTIAL | UMK_FRAME_CSUM_VALID))
		return true;
	if ((off->flags & UMK_FRAME_CSUM_PARTIAL) &&
	    (size_t)off->csum_start + off->csum_offset + 2 > len)
		return true;
	return off->gso_size && !off->flags;
}

static void feed(struct world *w, const uint8_t *r, const uint8_t *d, size_t n)
{
	struct umk_stack *s = w->s;
	struct umk_frame_offload off;
	if (!vnet_offload(r, &off))
		return;                      /* tap.c counts it in rx_offload_bad */
	size_t len = build(r, d, n, &off);
	note_src(frame, len);
	struct umk_pkt *p = umk_pkt_alloc(s, len);
	if (!p)
		return;
	memcpy(umk_pkt_data(p), frame, len);
	umk_pkt_set_len(p, len);
	if (off.flags || off.gso_size) {
		int e = umk_pkt_set_offload(p, &off);
		CHECK(e == 0 || e == -EINVAL);
		if (must_refuse(&off, len))
			CHECK(e == -EINVAL);
		if (e) {
			umk_pkt_free(s, p);
			return;
		}
	}
	umk_input_pkt(s, w->links[0].index, p);
}

static void app(struct umk_stack *s, int l, int u, int *conns, unsigned *nc, uint8_t what)
{
	static uint8_t buf[16384];
	int a;
	while ((a = umk_accept(s, l, NULL, NULL)) >= 0) {
		if (*nc == MAX_CONNS) {
			umk_close(s, a);
			continue;
		}
		conns[(*nc)++] = a;
	}
	for (unsigned i = 0; i < *nc; i++) {
		while (umk_recv(s, conns[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		if (what & 1)
			umk_send(s, conns[i], buf, (size_t)(what >> 1) * 128, MSG_DONTWAIT);
	}
	while (umk_recv(s, u, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* FZ_OFFLOAD_STATS=1: the counters an input moved, to see what a seed reaches */
static int print_counter(void *ctx, const char *group, const char *name, uint64_t value)
{
	if (value)
		fprintf(stderr, "  %s.%s %llu\n", group, name, (unsigned long long)value);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR_LEN)
		return 0;
	struct world *w = world(data[10] & M_FZ1_TSO);
	struct umk_stack *s = w->s;
	n_srcs = 0;
	srcs_overflow = false;
	have_last = false;
	uint32_t base = in_use(s);

	int l = umk_socket(s, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	CHECK(umk_bind(s, l, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(umk_listen(s, l, 4) == 0);
	int u = umk_socket(s, AF_INET6, SOCK_DGRAM, 0);
	sa.sin6_port = htons(5353);
	CHECK(umk_bind(s, u, (struct sockaddr *)&sa, sizeof(sa)) == 0);

	int conns[MAX_CONNS];
	unsigned nc = 0;
	size_t at = 0;
	while (at + HDR_LEN <= size) {
		const uint8_t *r = data + at;
		size_t n = le16(r + 14);
		at += HDR_LEN;
		if (n > size - at)
			n = size - at;
		umk_timers_run(s, w->now += (umk_time_t)r[12] * 8);
		feed(w, r, data + at, n);
		at += n;
		app(s, l, u, conns, &nc, r[13]);
	}

	/* everything closed (aborted: no FIN to retransmit), the timers run out (ND's queue,
	 * reassembly), and every buffer is back */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	for (unsigned i = 0; i < nc; i++) {
		umk_setsockopt(s, conns[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		umk_close(s, conns[i]);
	}
	umk_close(s, l);
	umk_close(s, u);
	run_until(w, w->now + 200000, 1000);
	if (getenv("FZ_OFFLOAD_STATS"))
		umk_stats_list(s, print_counter, NULL);
	CHECK(in_use(s) == base);
	return 0;
}
