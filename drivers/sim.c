/*
 * sim.c - simulated links. Each link is a hub: a frame sent by one port reaches every other
 * connected port on the link after the link's delay, unless the seeded loss drops it.
 * The event loop interleaves frame deliveries and every stack's timers in time order.
 *
 * Ports with offloads (sim.h) have a simulated NIC in front of the link: it finishes
 * partial checksums (the virtio-net rule: the one's complement sum from csum_start to the
 * end, complemented, at csum_start + csum_offset) and cuts TCP/IPv6 super-segments into
 * segments (RFC 9293 3.1, RFC 3168 6.1.2 for the flags, RFC 8200 8.1 for each checksum),
 * written here on its own so that simulations check the stack's ip6/gso.c rather than
 * reuse it. Frames are queued with the kinds of receiver they are for (RX_*): the wire
 * frames for plain ports, the frames as handed over, or coalesced, for offload ports.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define SIM_MAX_LINKS 32
#define SIM_MAX_PORTS 128
#define SIM_MAX_STACKS 64

/* Receivers by what they take from the NIC (sim.h) */
#define RX_PLAIN 0x01   /* finished wire frames only */
#define RX_CSUM  0x02   /* partial checksums too */
#define RX_TSO   0x04   /* super-frames too: a coalescing receiver */
#define RX_ALL   (RX_PLAIN | RX_CSUM | RX_TSO)

/* Where the fields the NIC reads and writes sit (RFC 2464 3, RFC 8200 3, RFC 9293 3.1) */
#define ETH_HLEN      14
#define ETH_TYPE_IPV6 0x86dd
#define IP6_AT        ETH_HLEN
#define IP6_HLEN      40
#define IP6_OFF_PLEN  4
#define IP6_OFF_NXT   6
#define IP6_OFF_SRC   8          /* source and destination: 32 bytes from here */
#define TCP_AT        (IP6_AT + IP6_HLEN)
#define TCP_HLEN_MIN  20
#define TCP_OFF_SEQ   4
#define TCP_OFF_DOFF  12
#define TCP_OFF_FLAGS 13
#define TCP_OFF_CSUM  16
#define PROTO_TCP     6
#define FLAG_FIN 0x01
#define FLAG_SYN 0x02
#define FLAG_RST 0x04
#define FLAG_PSH 0x08
#define FLAG_URG 0x20
#define FLAG_CWR 0x80

struct sim_frame {
	struct sim_frame *next;
	umk_time_t at;
	uint64_t seq;            /* FIFO among frames due at the same time */
	int link, from;
	uint8_t to;              /* RX_*: the receivers it is for */
	struct umk_frame_offload off;   /* what is left for the receiving stack */
	size_t len;
	uint8_t data[];
};

struct sim_port {
	struct sim_net *net;
	int link;
	struct umk_stack *stack;
	int ifindex;
	bool connected;
	unsigned offloads;       /* UMK_OFFLOAD_* */
	struct sim_port_stats stats;
};

struct sim_link {
	uint32_t delay;
	double loss;
};

struct sim_net {
	umk_time_t now;
	uint64_t rng, seq;
	struct sim_link links[SIM_MAX_LINKS];
	int n_links;
	struct sim_port ports[SIM_MAX_PORTS];
	int n_ports;
	struct umk_stack *stacks[SIM_MAX_STACKS];
	int n_stacks;
	struct sim_frame *queue; /* sorted by (at, seq) */
	sim_watch_fn watch;
	void *watch_ctx;
	sim_watch_offload_fn watch_offload;
	void *watch_offload_ctx;
};

static double sim_rand(struct sim_net *net)
{
	/* xorshift64*: enough for seeded loss */
	net->rng ^= net->rng >> 12;
	net->rng ^= net->rng << 25;
	net->rng ^= net->rng >> 27;
	return (double)((net->rng * 2685821657736338717ULL) >> 11) / (double)(1ULL << 53);
}

struct sim_net *sim_net_new(uint64_t seed)
{
	struct sim_net *net = calloc(1, sizeof(*net));
	if (!net)
		return NULL;
	net->rng = seed ? seed : 0x5eed;
	net->now = 1000; /* not zero: protocols may treat time 0 specially */
	return net;
}

void sim_net_free(struct sim_net *net)
{
	if (!net)
		return;
	for (int i = 0; i < net->n_stacks; i++)
		umk_stack_free(net->stacks[i]);
	while (net->queue) {
		struct sim_frame *f = net->queue;
		net->queue = f->next;
		free(f);
	}
	free(net);
}

int sim_link_new(struct sim_net *net, uint32_t delay_ms, double loss)
{
	if (net->n_links == SIM_MAX_LINKS)
		return -1;
	net->links[net->n_links] = (struct sim_link){ delay_ms, loss };
	return net->n_links++;
}

void sim_link_set_loss(struct sim_net *net, int link, double loss) { net->links[link].loss = loss; }

struct umk_stack *sim_stack_new(struct sim_net *net, const struct umk_stack_config *cfg)
{
	struct umk_stack_config def;
	if (net->n_stacks == SIM_MAX_STACKS)
		return NULL;
	if (!cfg) {
		umk_stack_config_defaults(&def);
		def.seed = (uint64_t)(sim_rand(net) * 1e15) + (uint64_t)net->n_stacks;
		/* reproducible: the RFC 7217 secret is derived from the seed */
		memset(def.secret_key, 0, sizeof(def.secret_key));
		def.pool_small = 512;
		def.pool_medium = 8;
		def.pool_large = 16;
		cfg = &def;
	}
	struct umk_stack *s = umk_stack_new(cfg, net->now);
	if (s)
		net->stacks[net->n_stacks++] = s;
	return s;
}

/* Queues a frame for the receivers in `to`, with what is left to do on it (NULL: nothing). */
static void queue_frame(struct sim_net *net, int link, int from, uint8_t to, const void *frame,
			size_t len, const struct umk_frame_offload *off)
{
	struct sim_frame *f = malloc(sizeof(*f) + len);
	if (!f)
		return;
	f->at = net->now + net->links[link].delay;
	f->seq = net->seq++;
	f->link = link;
	f->from = from;
	f->to = to;
	if (off)
		f->off = *off;
	else
		memset(&f->off, 0, sizeof(f->off));
	f->len = len;
	memcpy(f->data, frame, len);
	struct sim_frame **pp = &net->queue;
	while (*pp && ((*pp)->at < f->at || ((*pp)->at == f->at && (*pp)->seq < f->seq)))
		pp = &(*pp)->next;
	f->next = *pp;
	*pp = f;
}

/* One frame on the wire: watched, then lost or queued for `to`. True when it was lost. */
static bool wire(struct sim_net *net, int link, int from, uint8_t to, const void *frame,
		 size_t len)
{
	if (net->watch)
		net->watch(net->watch_ctx, link, from, frame, len, net->now);
	if (net->links[link].loss > 0 && sim_rand(net) < net->links[link].loss)
		return true;
	queue_frame(net, link, from, to, frame, len, NULL);
	return false;
}

/* ---- the NIC: checksums and segmentation ---- */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) << 16 | rd16(p + 2); }

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* RFC 1071: big-endian 16-bit words, an odd last byte padded with zero */
static uint64_t sum16(uint64_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += rd16(p);
	if (n)
		sum += (uint64_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The one's complement sum of the RFC 8200 8.1 pseudo-header and the TCP segment of a
 * TCP/IPv6 frame: 0xffff when its checksum is right. */
static uint16_t tcp6_sum(const uint8_t *f, size_t len)
{
	size_t tl = len - TCP_AT;
	uint64_t sum = sum16(0, f + IP6_AT + IP6_OFF_SRC, 32);
	sum += (tl >> 16) + (tl & 0xffff) + PROTO_TCP;
	return fold(sum16(sum, f + TCP_AT, tl));
}

struct tcp6_frame {
	size_t hlen;             /* Ethernet, IPv6 and TCP header bytes */
	size_t payload;          /* TCP payload bytes */
};

/* An Ethernet frame with IPv6 and TCP right after it (no extension headers: an offload
 * never carries them), its lengths consistent. */
static bool tcp6_parse(const uint8_t *f, size_t len, struct tcp6_frame *v)
{
	if (len < TCP_AT + TCP_HLEN_MIN || rd16(f + 12) != ETH_TYPE_IPV6 || f[IP6_AT] >> 4 != 6 ||
	    f[IP6_AT + IP6_OFF_NXT] != PROTO_TCP || rd16(f + IP6_AT + IP6_OFF_PLEN) != len - TCP_AT)
		return false;
	size_t th = (size_t)(f[TCP_AT + TCP_OFF_DOFF] >> 4) * 4;
	if (th < TCP_HLEN_MIN || TCP_AT + th > len)
		return false;
	v->hlen = TCP_AT + th;
	v->payload = len - v->hlen;
	return true;
}

/* The frame that carries payload bytes [from, to) of the super-segment f as a segment of
 * its own, written to out (room for v->hlen + to - from): the headers copied with the
 * IPv6 payload length, sequence number and flags made its own (FIN and PSH belong to the
 * last byte, RFC 9293 3.1; CWR to the first segment, RFC 3168 6.1.2), the checksum
 * computed whole. Returns its length. */
static size_t piece(const uint8_t *f, const struct tcp6_frame *v, size_t from, size_t to,
		    uint8_t *out)
{
	size_t n = v->hlen + (to - from);
	memcpy(out, f, v->hlen);
	memcpy(out + v->hlen, f + v->hlen + from, to - from);
	wr16(out + IP6_AT + IP6_OFF_PLEN, (uint16_t)(n - TCP_AT));
	wr32(out + TCP_AT + TCP_OFF_SEQ, rd32(f + TCP_AT + TCP_OFF_SEQ) + (uint32_t)from);
	uint8_t fl = f[TCP_AT + TCP_OFF_FLAGS];
	if (to < v->payload)
		fl &= (uint8_t)~(FLAG_FIN | FLAG_PSH);
	if (from > 0)
		fl &= (uint8_t)~FLAG_CWR;
	out[TCP_AT + TCP_OFF_FLAGS] = fl;
	wr16(out + TCP_AT + TCP_OFF_CSUM, 0);
	wr16(out + TCP_AT + TCP_OFF_CSUM, (uint16_t)~tcp6_sum(out, n));
	return n;
}

/* Finishes a partial checksum by the rule of the description (sim.h); false when the
 * field does not lie inside the frame. */
static bool csum_finish(uint8_t *f, size_t len, const struct umk_frame_offload *off)
{
	if ((size_t)off->csum_start + off->csum_offset + 2 > len)
		return false;
	uint16_t c = (uint16_t)~fold(sum16(0, f + off->csum_start, len - off->csum_start));
	wr16(f + off->csum_start + off->csum_offset, c);
	return true;
}

/* A partial checksum must finish to a right one: the stack's pseudo-header sum checked
 * against the frame's own addresses and length (TCP/IPv6 frames; others are not known). */
static void csum_check(struct sim_port_stats *st, const uint8_t *f, size_t len,
		       const struct umk_frame_offload *off)
{
	struct tcp6_frame v;
	uint8_t *c = malloc(len);
	if (!c)
		return;
	memcpy(c, f, len);
	if (csum_finish(c, len, off) && tcp6_parse(c, len, &v) && off->csum_start == TCP_AT &&
	    off->csum_offset == TCP_OFF_CSUM && tcp6_sum(c, len) != 0xffff && st)
		st->tx_csum_mismatch++;
	free(c);
}

/* A frame whose checksum is left partial, not to be cut: finished for the wire; an offload
 * receiver gets it as it was handed over. */
static void nic_csum(struct sim_net *net, int link, int from, struct sim_port_stats *st,
		     const uint8_t *frame, size_t len, const struct umk_frame_offload *off)
{
	uint8_t *w = malloc(len);
	if (!w)
		return;
	memcpy(w, frame, len);
	if (!csum_finish(w, len, off)) {
		if (st)
			st->tx_offload_bad++;
		free(w);
		return;
	}
	csum_check(st, frame, len, off);
	if (st)
		st->tx_wire++;
	if (wire(net, link, from, RX_PLAIN, w, len)) {
		if (st)
			st->tx_wire_lost++;
	} else {
		queue_frame(net, link, from, RX_CSUM | RX_TSO, frame, len, off);
	}
	free(w);
}

/* A super-segment: cut into gso_size segments for the wire, each lost or not on its own.
 * A coalescing receiver gets it whole when every segment arrived, else each run of
 * consecutive segments that did as one frame, its checksum verified by the NIC. */
static void nic_segment(struct sim_net *net, int link, int from, struct sim_port_stats *st,
			const uint8_t *frame, size_t len, const struct umk_frame_offload *off)
{
	struct tcp6_frame v;
	uint8_t fl = len > TCP_AT + TCP_OFF_FLAGS ? frame[TCP_AT + TCP_OFF_FLAGS] : 0;
	/* a NIC cuts TCP/IPv6 with a partial checksum in the TCP header; SYN and RST take no
	 * cutting (RFC 9293 3.4), and the stack sends urgent data in plain segments */
	if (!tcp6_parse(frame, len, &v) || !(off->flags & UMK_FRAME_CSUM_PARTIAL) ||
	    off->csum_start != TCP_AT || off->csum_offset != TCP_OFF_CSUM ||
	    off->hdr_len != v.hlen || (fl & FLAG_URG) ||
	    ((fl & (FLAG_SYN | FLAG_RST)) && v.payload > off->gso_size)) {
		if (st)
			st->tx_offload_bad++;
		return;
	}
	csum_check(st, frame, len, off);
	if (st && v.payload > st->tx_max_super)
		st->tx_max_super = v.payload;
	size_t g = off->gso_size, n = v.payload ? (v.payload + g - 1) / g : 1;
	bool *lost = calloc(n, sizeof(*lost));
	uint8_t *buf = malloc(len);
	if (!lost || !buf) {
		free(lost);
		free(buf);
		return;
	}
	bool any_lost = false;
	for (size_t i = 0; i < n; i++) {
		size_t a = i * g, b = a + g < v.payload ? a + g : v.payload;
		size_t m = piece(frame, &v, a, b, buf);
		lost[i] = wire(net, link, from, RX_PLAIN | RX_CSUM, buf, m);
		any_lost |= lost[i];
		if (st) {
			st->tx_wire++;
			st->tx_wire_lost += lost[i];
		}
	}
	if (!any_lost) {
		queue_frame(net, link, from, RX_TSO, frame, len, off);
	} else {
		for (size_t i = 0; i < n;) {
			if (lost[i]) {
				i++;
				continue;
			}
			size_t j = i;
			while (j < n && !lost[j])
				j++;
			size_t a = i * g, b = j * g < v.payload ? j * g : v.payload;
			size_t m = piece(frame, &v, a, b, buf);
			struct umk_frame_offload ro = { .flags = UMK_FRAME_CSUM_VALID,
							.gso_size = j - i > 1 ? off->gso_size : 0,
							.hdr_len = (uint16_t)v.hlen };
			queue_frame(net, link, from, RX_TSO, buf, m, &ro);
			i = j;
		}
	}
	free(lost);
	free(buf);
}

/* What a port (st: its stats) or a test (from -1, st NULL) hands a link. */
static void nic_transmit(struct sim_net *net, int link, int from, struct sim_port_stats *st,
			 const uint8_t *frame, size_t len, const struct umk_frame_offload *off)
{
	static const struct umk_frame_offload none;
	if (!off)
		off = &none;
	if (net->watch_offload)
		net->watch_offload(net->watch_offload_ctx, link, from, frame, len, off, net->now);
	if (st) {
		st->tx_frames++;
		st->tx_super += off->gso_size > 0;
		st->tx_csum_partial += (off->flags & UMK_FRAME_CSUM_PARTIAL) != 0;
	}
	if (off->gso_size) {
		nic_segment(net, link, from, st, frame, len, off);
	} else if (off->flags & UMK_FRAME_CSUM_PARTIAL) {
		nic_csum(net, link, from, st, frame, len, off);
	} else {
		/* nothing left to do (a "verified" mark means nothing on the way out) */
		bool lost = wire(net, link, from, RX_ALL, frame, len);
		if (st) {
			st->tx_wire++;
			st->tx_wire_lost += lost;
		}
	}
}

static int sim_transmit(void *ctx, const void *frame, size_t len)
{
	struct sim_port *p = ctx;
	if (!p->connected)
		return 0;
	nic_transmit(p->net, p->link, (int)(p - p->net->ports), &p->stats, frame, len, NULL);
	return 0;
}

static int sim_transmit_offload(void *ctx, const void *frame, size_t len,
				const struct umk_frame_offload *off)
{
	struct sim_port *p = ctx;
	if (!p->connected)
		return 0;
	nic_transmit(p->net, p->link, (int)(p - p->net->ports), &p->stats, frame, len, off);
	return 0;
}

static const struct umk_link_ops sim_ops = { .transmit = sim_transmit };
static const struct umk_link_ops sim_offload_ops = { .transmit = sim_transmit,
						     .transmit_offload = sim_transmit_offload };

static int attach(struct sim_net *net, int link, struct umk_stack *s, const char *ifname,
		  const uint8_t mac[6], uint32_t mtu, unsigned offloads, int *port)
{
	if (net->n_ports == SIM_MAX_PORTS || link < 0 || link >= net->n_links)
		return -1;
	struct sim_port *p = &net->ports[net->n_ports];
	*p = (struct sim_port){ .net = net, .link = link, .stack = s, .connected = true,
				.offloads = offloads };
	struct umk_if_params ip = { .name = ifname, .mtu = mtu, .ctx = p, .offloads = offloads,
				    .ops = offloads ? &sim_offload_ops : &sim_ops };
	memcpy(ip.lladdr, mac, 6);
	int idx = umk_if_add(s, &ip);
	if (idx < 0)
		return idx;
	p->ifindex = idx;
	if (port)
		*port = net->n_ports;
	net->n_ports++;
	return idx;
}

int sim_attach(struct sim_net *net, int link, struct umk_stack *s, const char *ifname,
	       const uint8_t mac[6], uint32_t mtu, int *port)
{
	return attach(net, link, s, ifname, mac, mtu, 0, port);
}

int sim_attach_offload(struct sim_net *net, int link, struct umk_stack *s, const char *ifname,
		       const uint8_t mac[6], uint32_t mtu, unsigned offloads, int *port)
{
	return attach(net, link, s, ifname, mac, mtu, offloads, port);
}

const struct sim_port_stats *sim_port_stats(const struct sim_net *net, int port)
{
	return &net->ports[port].stats;
}

void sim_inject(struct sim_net *net, int link, const void *frame, size_t len)
{
	wire(net, link, -1, RX_ALL, frame, len);
}

void sim_inject_offload(struct sim_net *net, int link, const void *frame, size_t len,
			const struct umk_frame_offload *off)
{
	nic_transmit(net, link, -1, NULL, frame, len, off);
}

void sim_watch(struct sim_net *net, sim_watch_fn fn, void *ctx)
{
	net->watch = fn;
	net->watch_ctx = ctx;
}

void sim_watch_offload(struct sim_net *net, sim_watch_offload_fn fn, void *ctx)
{
	net->watch_offload = fn;
	net->watch_offload_ctx = ctx;
}

void sim_port_set_connected(struct sim_net *net, int port, bool connected)
{
	net->ports[port].connected = connected;
}

umk_time_t sim_now(const struct sim_net *net) { return net->now; }

static uint8_t rx_class(const struct sim_port *p)
{
	if ((p->offloads & (UMK_OFFLOAD_CSUM | UMK_OFFLOAD_TSO6)) ==
	    (UMK_OFFLOAD_CSUM | UMK_OFFLOAD_TSO6))
		return RX_TSO;
	return (p->offloads & UMK_OFFLOAD_CSUM) ? RX_CSUM : RX_PLAIN;
}

/* A frame with work left for the stack, told to it as a driver does (umk_pkt_set_offload). */
static void input_offload(struct sim_port *p, const struct sim_frame *f)
{
	struct umk_pkt *pkt = umk_pkt_alloc(p->stack, f->len);
	if (!pkt) {
		p->stats.rx_dropped++;
		return;
	}
	memcpy(umk_pkt_data(pkt), f->data, f->len);
	umk_pkt_set_len(pkt, f->len);
	if (umk_pkt_set_offload(pkt, &f->off)) {
		p->stats.rx_dropped++;
		umk_pkt_free(p->stack, pkt);
		return;
	}
	p->stats.rx_super += f->off.gso_size > 0;
	p->stats.rx_csum_partial += (f->off.flags & UMK_FRAME_CSUM_PARTIAL) != 0;
	p->stats.rx_csum_valid += (f->off.flags & UMK_FRAME_CSUM_VALID) != 0;
	umk_input_pkt(p->stack, p->ifindex, pkt);
}

static void deliver(struct sim_net *net, struct sim_frame *f)
{
	for (int i = 0; i < net->n_ports; i++) {
		struct sim_port *p = &net->ports[i];
		if (p->link != f->link || i == f->from || !p->connected || !(rx_class(p) & f->to))
			continue;
		umk_timers_run(p->stack, net->now);
		p->stats.rx_frames++;
		if (f->len > p->stats.rx_max_len)
			p->stats.rx_max_len = f->len;
		if (f->off.flags || f->off.gso_size)
			input_offload(p, f);
		else
			umk_input(p->stack, p->ifindex, f->data, f->len);
	}
}

void sim_run_until(struct sim_net *net, umk_time_t t)
{
	for (;;) {
		umk_time_t next = UMK_TIME_NEVER;
		for (int i = 0; i < net->n_stacks; i++) {
			umk_time_t d = umk_next_deadline(net->stacks[i]);
			if (d < next)
				next = d;
		}
		if (net->queue && net->queue->at < next)
			next = net->queue->at;
		if (next > t)
			break;
		if (next > net->now)
			net->now = next;
		if (net->queue && net->queue->at <= net->now) {
			struct sim_frame *f = net->queue;
			net->queue = f->next;
			deliver(net, f);
			free(f);
			continue;
		}
		for (int i = 0; i < net->n_stacks; i++)
			if (umk_next_deadline(net->stacks[i]) <= net->now)
				umk_timers_run(net->stacks[i], net->now);
	}
	if (t > net->now)
		net->now = t;
	for (int i = 0; i < net->n_stacks; i++)
		umk_timers_run(net->stacks[i], net->now);
}

void sim_run_for(struct sim_net *net, uint64_t ms) { sim_run_until(net, net->now + ms); }
