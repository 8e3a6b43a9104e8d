/*
 * bench_tcp_relay.c - the lab's link impairment (this kernel has no netem): an L2 relay
 * between two interfaces in a middle namespace, one AF_PACKET socket on each, forwarding
 * every Ethernet frame both ways after a configurable delay, jitter, reordering and loss,
 * all drawn from one seeded generator so a run can be repeated.
 *
 *   bench_tcp_relay -a IF_A -b IF_B [-d MS] [-j MS] [-r PCT] [-g FRAMES] [-G MS]
 *                   [-l PCT] [-D both|ab|ba] [-S SEED] [-q FRAMES] [-V]
 *   bench_tcp_relay -O IF     turn off TX checksum, TSO, GSO and GRO on IF, then exit
 *
 *   -d  one-way delay in ms (each direction; the round trip adds both)
 *   -j  jitter: each frame's delay is uniform in [d-j, d+j]; frames stay in order
 *   -r  percent of frames held back (reordered); each is released after -g later frames
 *       have gone out (default 3), or -G ms after it was due if -G is given, and at the
 *       latest 50 ms after it was due when traffic stops
 *   -l  percent of frames dropped
 *   -D  which direction is impaired (the other only forwards)
 *   -q  frames each direction may hold (default 16384; more are dropped and counted)
 *   -V  IF_B is the kernel side of a TAP whose program uses offloads (umikamed without -O):
 *       the relay reads and writes it with virtio-net headers (PACKET_VNET_HDR) and does a
 *       NIC's work on what it reads before the impairment - a left-open checksum finished,
 *       a TCP/IPv6 super-frame cut into its segments (counted: csum, cut) - with its own
 *       code, so it is also an independent check of what the program hands the kernel
 *
 * The relay copies whole frames, so the legs must not hand it offloaded super-frames or
 * frames with unfinished checksums: a veth leg whose far end is a Linux stack needs
 * `bench_tcp_relay -O` on that far end (run in its namespace), since ethtool is not here;
 * a TAP leg whose program uses offloads needs -V.
 * On SIGINT/SIGTERM it prints one line of counters per direction on stderr and exits 0.
 * A bench_ file so the build makes it (CMake globs bench/bench_*.c); it uses no umikame code.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOT 2048            /* bytes per queued frame: an MTU 1500 frame plus room */
#define MAXHELD 256          /* frames held back for reordering, per direction */
#define HOLD_CAP_US 50000    /* a held frame goes out at the latest this long after due */
#define BURST 64             /* frames read from one socket before looking at the timers */

struct frame { uint64_t due; uint32_t len; uint32_t passes; };

struct dir {
	const char *name;
	int in, out;                   /* sockets: read from in, write to out */
	bool in_vnet, out_vnet;        /* that socket carries virtio-net headers (-V) */
	bool impaired;
	struct frame *q;               /* FIFO ring of delayed frames */
	uint8_t *qdata;
	uint32_t head, count;
	uint64_t last_due;             /* jitter never reorders: due times are monotonic */
	struct frame held[MAXHELD];
	uint8_t *hdata;                /* MAXHELD slots */
	bool hused[MAXHELD];
	unsigned nheld;
	unsigned long rx, tx, lost, reordered, qfull, oversize, txerr;
	unsigned long csum, cut, badvnet;   /* -V: checksums finished, super-frames cut, refused */
};

struct cfg {
	uint64_t delay_us, jitter_us, hold_us;
	double reorder, loss;          /* probabilities 0..1 */
	uint32_t gap, qlen;
	uint64_t rng;
};

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* xorshift64*: small, seedable, good enough to pick frames */
static double rnd(struct cfg *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (double)((c->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int ethtool_off(const char *ifname)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	/* legacy ethtool commands; the kernel maps them onto netdev features. Turning the TX
	 * checksum off also drops TSO, but each is asked for explicitly. */
	static const uint32_t cmds[] = { ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO, ETHTOOL_STXCSUM };
	int rc = 0;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct ethtool_value ev = { .cmd = cmds[i], .data = 0 };
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		ifr.ifr_data = (void *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 && errno != EOPNOTSUPP) {
			fprintf(stderr, "relay: ethtool cmd 0x%x on %s: %s\n", cmds[i], ifname,
				strerror(errno));
			rc = -1;
		}
	}
	close(fd);
	return rc;
}

static int open_leg(const char *ifname, bool vnet)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("relay: socket(AF_PACKET)");
		return -1;
	}
	unsigned idx = if_nametoindex(ifname);
	if (!idx) {
		fprintf(stderr, "relay: no interface %s\n", ifname);
		close(fd);
		return -1;
	}
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)idx };
	int one = 1, big = 8 << 20;
	/* our own transmissions must not come back to us as input */
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) {
		perror("relay: PACKET_IGNORE_OUTGOING");
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	if (vnet && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
		perror("relay: PACKET_VNET_HDR");
		close(fd);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("relay: bind");
		close(fd);
		return -1;
	}
	return fd;
}

static void xmit(struct dir *d, const uint8_t *p, uint32_t len)
{
	/* a virtio-net header saying nothing is left to do, then the frame */
	static const struct virtio_net_hdr none = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	struct iovec iov[2] = { { (void *)&none, sizeof(none) }, { (void *)p, len } };
	struct msghdr m = { .msg_iov = d->out_vnet ? iov : iov + 1,
			    .msg_iovlen = d->out_vnet ? 2 : 1 };
	size_t want = len + (d->out_vnet ? sizeof(none) : 0);
	for (;;) {
		if (sendmsg(d->out, &m, 0) == (ssize_t)want) {
			d->tx++;
			return;
		}
		if (errno == EINTR)
			continue;
		/* a full device queue: the frame is lost, as on a congested link */
		d->txerr++;
		return;
	}
}

/* One frame left the FIFO: every held frame waits for one fewer, and goes when none left. */
static void count_pass(struct dir *d)
{
	for (unsigned i = 0; i < MAXHELD && d->nheld; i++) {
		if (!d->hused[i] || d->held[i].passes == 0)
			continue;
		if (--d->held[i].passes == 0) {
			xmit(d, d->hdata + (size_t)i * SLOT, d->held[i].len);
			d->hused[i] = false;
			d->nheld--;
		}
	}
}

static void take(struct dir *d, struct cfg *c, const uint8_t *p, uint32_t len, uint64_t now)
{
	d->rx++;
	if (len > SLOT) {
		d->oversize++;
		return;
	}
	if (!d->impaired) {
		xmit(d, p, len);
		return;
	}
	if (c->loss > 0 && rnd(c) < c->loss) {
		d->lost++;
		return;
	}
	uint64_t due = now + c->delay_us;
	if (c->jitter_us) {
		double j = (rnd(c) * 2.0 - 1.0) * (double)c->jitter_us;
		due = (j < 0 && (uint64_t)-j > due - now) ? now : (uint64_t)((double)due + j);
	}
	if (due < d->last_due)
		due = d->last_due;
	d->last_due = due;
	if (c->reorder > 0 && d->nheld < MAXHELD && rnd(c) < c->reorder) {
		for (unsigned i = 0; i < MAXHELD; i++) {
			if (d->hused[i])
				continue;
			d->hused[i] = true;
			d->nheld++;
			d->reordered++;
			d->held[i].len = len;
			d->held[i].passes = c->hold_us ? 0 : c->gap;
			d->held[i].due = due + (c->hold_us ? c->hold_us : HOLD_CAP_US);
			memcpy(d->hdata + (size_t)i * SLOT, p, len);
			return;
		}
	}
	if (d->count == c->qlen) {
		d->qfull++;
		return;
	}
	uint32_t tail = (d->head + d->count) % c->qlen;
	d->q[tail].due = due;
	d->q[tail].len = len;
	memcpy(d->qdata + (size_t)tail * SLOT, p, len);
	d->count++;
}

/* ---- -V: a NIC's work on a frame read with its virtio-net header ---- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A left-open checksum: the field holds the pseudo-header's sum; the sum from start on,
 * complemented, goes in it (a UDP 0 as 0xffff). False if it does not fit the frame. */
static bool finish_csum(uint8_t *p, uint32_t len, uint32_t start, uint32_t off)
{
	if (start + off + 2 > len || (off & 1))
		return false;
	uint16_t c = fold(sum16(p + start, len - start, 0));
	if (c == 0 && off == 6)
		c = 0xffff;
	put16(p + start + off, c);
	return true;
}

/* RFC 8200 8.1: a TCP segment's checksum over its IPv6 pseudo-header, from scratch. */
static void tcp6_csum(uint8_t *f, uint32_t tcp_len)
{
	uint8_t *ip = f + 14, *t = ip + 40;
	put16(t + 16, 0);
	uint32_t sum = sum16(ip + 8, 32, 0) + (tcp_len >> 16) + (tcp_len & 0xffff) + 6;
	put16(t + 16, fold(sum16(t, tcp_len, sum)));
}

static void take(struct dir *d, struct cfg *c, const uint8_t *p, uint32_t len, uint64_t now);

/* What the TAP's program left to the "NIC": finished or cut, then impaired as any frame.
 * Only TCP over IPv6 without extension headers is cut (what TUN_F_TSO6 lets through). */
static void take_vnet(struct dir *d, struct cfg *c, uint8_t *p, uint32_t len, uint64_t now)
{
	static uint8_t seg[SLOT];
	struct virtio_net_hdr vh;
	if (len < sizeof(vh)) {
		d->badvnet++;
		return;
	}
	memcpy(&vh, p, sizeof(vh));
	p += sizeof(vh);
	len -= (uint32_t)sizeof(vh);
	uint8_t gso = vh.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			if (!finish_csum(p, len, vh.csum_start, vh.csum_offset)) {
				d->badvnet++;
				return;
			}
			d->csum++;
		}
		take(d, c, p, len, now);
		return;
	}
	const uint32_t l4 = 14 + 40;
	if (gso != VIRTIO_NET_HDR_GSO_TCPV6 || len < l4 + 20 || p[12] != 0x86 || p[13] != 0xdd ||
	    p[14 + 6] != 6 || !vh.gso_size) {
		d->badvnet++;
		return;
	}
	uint32_t thl = (uint32_t)(p[l4 + 12] >> 4) * 4, hl = l4 + thl;
	if (thl < 20 || hl > len || hl + vh.gso_size > SLOT) {
		d->badvnet++;
		return;
	}
	uint32_t payload = len - hl, seq0 = (uint32_t)p[l4 + 4] << 24 | (uint32_t)p[l4 + 5] << 16 |
					  (uint32_t)p[l4 + 6] << 8 | p[l4 + 7];
	uint8_t flags = p[l4 + 13];
	d->cut++;
	for (uint32_t off = 0; off < payload || (off == 0 && payload == 0); off += vh.gso_size) {
		uint32_t n = payload - off < vh.gso_size ? payload - off : vh.gso_size;
		bool first = off == 0, last = off + n >= payload;
		memcpy(seg, p, hl);
		memcpy(seg + hl, p + hl + off, n);
		put16(seg + 14 + 4, (uint16_t)(thl + n));
		uint32_t seq = seq0 + off;
		seg[l4 + 4] = (uint8_t)(seq >> 24);
		seg[l4 + 5] = (uint8_t)(seq >> 16);
		seg[l4 + 6] = (uint8_t)(seq >> 8);
		seg[l4 + 7] = (uint8_t)seq;
		/* FIN and PSH on the last segment only, CWR on the first only (RFC 3168 6.1.2) */
		seg[l4 + 13] = (uint8_t)(flags & ~((last ? 0 : 0x09) | (first ? 0 : 0x80)));
		tcp6_csum(seg, thl + n);
		take(d, c, seg, hl + n, now);
		if (!payload)
			break;
	}
}

/* Sends what is due; returns the next due time (UINT64_MAX if nothing waits). */
static uint64_t release(struct dir *d, struct cfg *c, uint64_t now)
{
	while (d->count && d->q[d->head].due <= now) {
		xmit(d, d->qdata + (size_t)d->head * SLOT, d->q[d->head].len);
		d->head = (d->head + 1) % c->qlen;
		d->count--;
		count_pass(d);
	}
	uint64_t next = d->count ? d->q[d->head].due : UINT64_MAX;
	for (unsigned i = 0; i < MAXHELD && d->nheld; i++) {
		if (!d->hused[i])
			continue;
		if (d->held[i].due <= now) {
			xmit(d, d->hdata + (size_t)i * SLOT, d->held[i].len);
			d->hused[i] = false;
			d->nheld--;
		} else if (d->held[i].due < next) {
			next = d->held[i].due;
		}
	}
	return next;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_tcp_relay -a IF -b IF [-d MS] [-j MS] [-r PCT] [-g N] [-G MS]"
		" [-l PCT] [-D both|ab|ba] [-S SEED] [-q N] [-V]\n       bench_tcp_relay -O IF\n");
	exit(2);
}

static bool alloc_dir(struct dir *d, uint32_t qlen)
{
	d->q = calloc(qlen, sizeof(*d->q));
	d->qdata = malloc((size_t)qlen * SLOT);
	d->hdata = malloc((size_t)MAXHELD * SLOT);
	return d->q && d->qdata && d->hdata;
}

int main(int argc, char **argv)
{
	const char *ifa = NULL, *ifb = NULL, *dirs = "both";
	struct cfg c = { .gap = 3, .qlen = 16384, .rng = 1 };
	int opt;
	bool vnet = false;
	while ((opt = getopt(argc, argv, "a:b:d:j:r:g:G:l:D:S:q:O:V")) != -1) {
		switch (opt) {
		case 'a': ifa = optarg; break;
		case 'b': ifb = optarg; break;
		case 'd': c.delay_us = (uint64_t)(atof(optarg) * 1000.0); break;
		case 'j': c.jitter_us = (uint64_t)(atof(optarg) * 1000.0); break;
		case 'r': c.reorder = atof(optarg) / 100.0; break;
		case 'g': c.gap = (uint32_t)atoi(optarg); break;
		case 'G': c.hold_us = (uint64_t)(atof(optarg) * 1000.0); break;
		case 'l': c.loss = atof(optarg) / 100.0; break;
		case 'D': dirs = optarg; break;
		case 'S': c.rng = strtoull(optarg, NULL, 0); break;
		case 'q': c.qlen = (uint32_t)atoi(optarg); break;
		case 'O': return ethtool_off(optarg) ? 1 : 0;
		case 'V': vnet = true; break;
		default: usage();
		}
	}
	if (!ifa || !ifb || c.qlen == 0 || c.gap == 0 || c.reorder < 0 || c.reorder > 1 ||
	    c.loss < 0 || c.loss > 1)
		usage();
	if (c.rng == 0)
		c.rng = 1;     /* xorshift's one bad seed */
	struct dir d[2];
	memset(d, 0, sizeof(d));
	d[0].name = "a->b";
	d[1].name = "b->a";
	d[0].impaired = strcmp(dirs, "ba") != 0;
	d[1].impaired = strcmp(dirs, "ab") != 0;
	int fa = open_leg(ifa, false), fb = open_leg(ifb, vnet);
	if (fa < 0 || fb < 0 || !alloc_dir(&d[0], c.qlen) || !alloc_dir(&d[1], c.qlen))
		return 1;
	d[0].in = fa; d[0].out = fb;
	d[1].in = fb; d[1].out = fa;
	d[0].out_vnet = d[1].in_vnet = vnet;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	static uint8_t buf[sizeof(struct virtio_net_hdr) + 14 + 40 + 65535 + 64];
	struct pollfd pf[2] = { { .fd = fa, .events = POLLIN }, { .fd = fb, .events = POLLIN } };
	fprintf(stderr, "relay: %s <-> %s delay %.1f ms jitter %.1f ms reorder %.2f%% loss %.2f%%"
		" (%s)\n", ifa, ifb, c.delay_us / 1000.0, c.jitter_us / 1000.0, c.reorder * 100,
		c.loss * 100, dirs);
	while (!stop) {
		uint64_t now = now_us();
		uint64_t next = UINT64_MAX;
		for (int i = 0; i < 2; i++) {
			uint64_t n = release(&d[i], &c, now);
			if (n < next)
				next = n;
		}
		struct timespec ts, *tp = NULL;
		if (next != UINT64_MAX) {
			uint64_t w = next > now ? next - now : 0;
			ts.tv_sec = (time_t)(w / 1000000u);
			ts.tv_nsec = (long)(w % 1000000u) * 1000;
			tp = &ts;
		}
		int r = ppoll(pf, 2, tp, NULL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("relay: ppoll");
			return 1;
		}
		for (int i = 0; i < 2; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			for (int k = 0; k < BURST; k++) {
				ssize_t n = recv(d[i].in, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
				if (n < 0)
					break;
				if (d[i].in_vnet)
					take_vnet(&d[i], &c, buf, (uint32_t)n, now_us());
				else
					take(&d[i], &c, buf, (uint32_t)n, now_us());
			}
		}
	}
	for (int i = 0; i < 2; i++)
		fprintf(stderr, "relay %s: rx %lu tx %lu lost %lu reordered %lu queue_full %lu"
			" oversize %lu tx_errors %lu csum %lu cut %lu bad_vnet %lu\n", d[i].name,
			d[i].rx, d[i].tx, d[i].lost, d[i].reordered, d[i].qfull, d[i].oversize,
			d[i].txerr, d[i].csum, d[i].cut, d[i].badvnet);
	return 0;
}
