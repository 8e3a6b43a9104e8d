/*
 * bench_tcp_relay.c - the lab's link impairment (this kernel has no netem): an L2 relay
 * between two interfaces in a middle namespace, one AF_PACKET socket on each, forwarding
 * every Ethernet frame both ways after a configurable delay, jitter, reordering and loss,
 * all drawn from one seeded generator so a run can be repeated.
 *
 *   bench_tcp_relay -a IF_A -b IF_B [-d MS] [-j MS] [-r PCT] [-g FRAMES] [-G MS]
 *                   [-l PCT] [-D both|ab|ba] [-S SEED] [-q FRAMES]
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
 *
 * The relay copies whole frames, so the legs must not hand it offloaded super-frames or
 * frames with unfinished checksums: a veth leg whose far end is a Linux stack needs
 * `bench_tcp_relay -O` on that far end (run in its namespace), since ethtool is not here.
 * On SIGINT/SIGTERM it prints one line of counters per direction on stderr and exits 0.
 * A bench_ file so the build makes it (CMake globs bench/bench_*.c); it uses no umikame code.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
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

static int open_leg(const char *ifname)
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
	for (;;) {
		if (send(d->out, p, len, 0) == (ssize_t)len) {
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
		" [-l PCT] [-D both|ab|ba] [-S SEED] [-q N]\n       bench_tcp_relay -O IF\n");
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
	while ((opt = getopt(argc, argv, "a:b:d:j:r:g:G:l:D:S:q:O:")) != -1) {
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
	int fa = open_leg(ifa), fb = open_leg(ifb);
	if (fa < 0 || fb < 0 || !alloc_dir(&d[0], c.qlen) || !alloc_dir(&d[1], c.qlen))
		return 1;
	d[0].in = fa; d[0].out = fb;
	d[1].in = fb; d[1].out = fa;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	static uint8_t buf[65536];
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
				take(&d[i], &c, buf, (uint32_t)n, now_us());
			}
		}
	}
	for (int i = 0; i < 2; i++)
		fprintf(stderr, "relay %s: rx %lu tx %lu lost %lu reordered %lu queue_full %lu"
			" oversize %lu tx_errors %lu\n", d[i].name, d[i].rx, d[i].tx, d[i].lost,
			d[i].reordered, d[i].qfull, d[i].oversize, d[i].txerr);
	return 0;
}
