/*
 * sim_tcp_loss.c - loss recovery beyond three duplicate ACKs, each mechanism on its own
 * against a scripted receiver (the hand-made peer of sim_tcp_util.h acknowledging A's data
 * with SACK and "losing" the segments a script names):
 *   - RFC 8985 7 tail loss probe: the last segment of a transfer is lost; the probe resends
 *     it long before the 1 s RTO, and the repair counts as a loss (7.4.2);
 *   - RFC 8985 6.2: the fast retransmission of a hole is lost as well; newer data SACKed
 *     more than SRTT + SRTT/4 later sends it again, with no RTO;
 *   - RFC 3042 limited transmit: the first two duplicate ACKs each release a new segment;
 *     and with no third, RACK's reordering timer (RFC 8985 6.3) finds the loss;
 *   - Nagle in Minshall's form: a write's short end goes at once, a second waits;
 *   - RFC 9406 HyStart++: behind a bottleneck (the receiver takes so many segments a
 *     millisecond, the rest queue) the growing RTT ends slow start without a loss; on a
 *     path without a queue it does not;
 *   - RFC 7661 (simplest form): an application-limited sender's cwnd does not grow;
 *   - RFC 6298 2.4: the 1 s RTO minimum is the default; the tcp_rto_min limit lowers it.
 */
#include "sim_tcp_util.h"

#define APORT 8080
#define MSS   1440

/* The scripted receiver: in-order point, out-of-order ranges, which A segments to drop. */
struct rx {
	struct peer p;
	uint32_t base;                 /* A's ISN + 1 */
	struct tcp_range ooo[4];
	int n_ooo;
	int drops[32];                 /* "drop the k-th arrival of segment index i" pairs */
	int n_drops;
	int arrivals[256];             /* per segment index (MSS units from base) */
	uint64_t got;                  /* in-order bytes */
	int cap;                       /* segments taken per ms, 0 = all (no bottleneck) */
	struct tcp_range queue[512];   /* arrived, waiting for the bottleneck ... */
	uint32_t queue_ts[512];        /* ... with their TSval */
	int q_len;
	uint32_t echo;                 /* TSval to echo (RFC 7323 3) */
	int sd;                        /* A's socket, and what it has still to send */
	size_t to_send;
};

static bool want_drop(struct rx *r, int idx)
{
	int k = r->arrivals[idx]++;
	for (int i = 0; i + 1 < r->n_drops; i += 2)
		if (r->drops[i] == idx && r->drops[i + 1] == k)
			return true;
	return false;
}

static void rx_add(struct rx *r, uint32_t s, uint32_t e)
{
	if (seq_leq(e, r->p.rcv_nxt))
		return;
	if (seq_leq(s, r->p.rcv_nxt)) {
		if (seq_gt(e, r->p.rcv_nxt)) {
			r->got += e - r->p.rcv_nxt;
			r->p.rcv_nxt = e;
		}
	} else {
		/* most recent first (RFC 2018 4); ranges join */
		struct tcp_range n = { s, e };
		int k = 0;
		struct tcp_range keep[4];
		for (int i = 0; i < r->n_ooo; i++) {
			struct tcp_range o = r->ooo[i];
			if (seq_leq(o.start, n.end) && seq_geq(o.end, n.start)) {
				n.start = seq_min(n.start, o.start);
				n.end = seq_max(n.end, o.end);
			} else if (k < 3) {
				keep[k++] = o;
			}
		}
		r->ooo[0] = n;
		memcpy(r->ooo + 1, keep, (size_t)k * sizeof(keep[0]));
		r->n_ooo = k + 1;
	}
	/* ranges the in-order point reached */
	bool moved = true;
	while (moved) {
		moved = false;
		for (int i = 0; i < r->n_ooo; i++) {
			if (seq_leq(r->ooo[i].start, r->p.rcv_nxt)) {
				if (seq_gt(r->ooo[i].end, r->p.rcv_nxt)) {
					r->got += r->ooo[i].end - r->p.rcv_nxt;
					r->p.rcv_nxt = r->ooo[i].end;
				}
				r->ooo[i] = r->ooo[--r->n_ooo];
				moved = true;
			}
		}
	}
}

static void rx_ack(struct rx *r)
{
	struct tcp_hdr_info h = peer_seg(&r->p, TH_ACK);
	if (r->p.ts)
		h.opt.tsecr = r->echo;
	for (int i = 0; i < r->n_ooo && i < 3; i++) {
		h.opt.sack[i].start = r->ooo[i].start;
		h.opt.sack[i].end = r->ooo[i].end;
	}
	if (r->n_ooo) {
		h.opt.present |= TCPO_SACK;
		h.opt.n_sack = (uint8_t)r->n_ooo;
	}
	inject_nowait(&h, NULL, 0);
}

/* Runs until total bytes are in or limit ms pass; returns the time taken. */
static uint64_t rx_run(struct rx *r, uint64_t total, uint64_t limit)
{
	umk_time_t t0 = sim_now(net);
	static const uint8_t zero[64 << 10];
	while (r->got < total && sim_now(net) - t0 < limit) {
		while (r->to_send) {
			size_t c = r->to_send < sizeof(zero) ? r->to_send : sizeof(zero);
			ssize_t w = umk_send(a, r->sd, zero, c, 0);
			if (w <= 0)
				break;
			r->to_send -= (size_t)w;
		}
		sim_run_for(net, 1);
		struct tcp_hdr_info segs[SEEN_MAX];
		int n = n_seen;
		memcpy(segs, seen, (size_t)n * sizeof(segs[0]));
		seen_reset();
		for (int i = 0; i < n; i++) {
			if (!segs[i].payload_len)
				continue;
			int idx = (int)((segs[i].seq - r->base) / MSS);
			if (idx >= 0 && idx < 256 && want_drop(r, idx))
				continue;
			if (r->cap) {
				assert_true(r->q_len < 512);
				r->queue_ts[r->q_len] = segs[i].opt.tsval;
				r->queue[r->q_len++] = (struct tcp_range){ segs[i].seq,
					segs[i].seq + segs[i].payload_len };
				continue;
			}
			r->echo = segs[i].opt.tsval;
			rx_add(r, segs[i].seq, segs[i].seq + segs[i].payload_len);
			rx_ack(r);
		}
		/* the bottleneck: cap segments a millisecond leave the queue */
		int k = r->q_len < r->cap ? r->q_len : r->cap;
		for (int i = 0; i < k; i++) {
			r->echo = r->queue_ts[i];
			rx_add(r, r->queue[i].start, r->queue[i].end);
			rx_ack(r);
		}
		memmove(r->queue, r->queue + k, (size_t)(r->q_len - k) * sizeof(r->queue[0]));
		memmove(r->queue_ts, r->queue_ts + k, (size_t)(r->q_len - k) * sizeof(r->queue_ts[0]));
		r->q_len -= k;
	}
	uint64_t took = sim_now(net) - t0;
	sim_run_for(net, 5);            /* the last ACK reaches A */
	return took;
}

/* A connection from the peer to A; A's socket sends n bytes. */
static int rx_open_cfg(struct rx *r, uint64_t seed, size_t n, bool ts,
		       const struct umk_stack_config *cfg)
{
	peer_setup(seed, cfg);
	int l = listen_on(APORT, 4);
	memset(r, 0, sizeof(*r));
	/* with timestamps also a window scale: 65535 << 4, so the window never limits */
	r->p = (struct peer){ .sport = 40000, .dport = APORT, .ts = ts, .tsval = 1,
			      .wscale = ts ? 5 : 0 };
	int sd = peer_open(&r->p, l, 1000);
	r->base = r->p.rcv_nxt;
	/* an RTT sample first: one segment, answered after 2 ms (the link's RTT) */
	assert_int_equal(umk_send(a, sd, "x", 1, 0), 1);
	sim_run_for(net, 1);
	seen_reset();
	r->p.rcv_nxt++;
	r->base++;
	rx_ack(r);
	sim_run_for(net, 2);
	static uint8_t buf[512 << 10];
	assert_true(n <= sizeof(buf));
	seen_reset();
	assert_int_equal(umk_send(a, sd, buf, n, 0), (ssize_t)n);
	return sd;
}

static int rx_open_ts(struct rx *r, uint64_t seed, size_t n, bool ts)
{
	return rx_open_cfg(r, seed, n, ts, NULL);
}

static int rx_open(struct rx *r, uint64_t seed, size_t n) { return rx_open_ts(r, seed, n, false); }

static void test_tail_loss_probe(void **state)
{
	(void)state;
	struct rx r;
	rx_open(&r, 41, 10 * MSS);        /* the initial window, exactly */
	r.drops[0] = 9;                    /* the last segment, first time */
	r.drops[1] = 0;
	r.n_drops = 2;
	uint64_t ms = rx_run(&r, 10 * MSS, 5000);
	print_message("tail loss repaired in %llu ms\n", (unsigned long long)ms);
	assert_int_equal(r.got, 10 * MSS);
	assert_int_equal(counter(a, "TailLossProbes"), 1);
	assert_int_equal(counter(a, "TailLossProbeRecoveries"), 1);
	assert_int_equal(counter(a, "RetransmitTimeouts"), 0);
	assert_true(ms < 500);             /* PTO = 2 SRTT + 200 ms, not the 1 s RTO */
	sim_net_free(net);
}

/* RFC 8985 7.2: the whole initial window is lost, so no ACK comes: the probe goes after
 * PTO = 2 SRTT (ten segments out, no delayed-ACK allowance), as new data; it is lost too.
 * RFC 8985 7.3: the probe goes past cwnd by one segment without raising it. */
static void test_probe_keeps_cwnd(void **state)
{
	(void)state;
	struct rx r;
	rx_open(&r, 47, 20 * MSS);
	uint32_t iw = tcb_of(a, APORT, r.p.sport)->cwnd;
	for (int i = 0; i <= 10; i++) {
		r.drops[2 * i] = i;            /* segments 0-9, then the probe (10) */
		r.drops[2 * i + 1] = 0;
	}
	r.n_drops = 22;
	rx_run(&r, 20 * MSS, 100);          /* well before the 1 s RTO */
	struct tcpcb *tp = tcb_of(a, APORT, r.p.sport);
	assert_int_equal(counter(a, "TailLossProbes"), 1);
	assert_int_equal(counter(a, "RetransmitTimeouts"), 0);
	assert_int_equal(r.arrivals[10], 1);  /* the probe was new data */
	assert_int_equal(r.got, 0);
	assert_int_equal(tp->cwnd, iw);      /* past cwnd, not added to it (7.3) */
	sim_net_free(net);
}

static void test_lost_retransmission(void **state)
{
	(void)state;
	struct rx r;
	size_t n = 160 * MSS;            /* within the 256 KiB send buffer */
	rx_open(&r, 42, n);
	r.drops[0] = 3;                    /* segment 3 ... */
	r.drops[1] = 0;
	r.drops[2] = 3;                    /* ... and its fast retransmission */
	r.drops[3] = 1;
	r.n_drops = 4;
	uint64_t ms = rx_run(&r, n, 10000);
	print_message("lost retransmission repaired; %zu bytes in %llu ms\n", n,
		      (unsigned long long)ms);
	assert_int_equal(r.got, n);
	assert_int_equal(r.arrivals[3], 3);
	assert_true(counter(a, "FastRetransmits") >= 1);
	assert_int_equal(counter(a, "LostRetransmitsDetected"), 1);
	assert_int_equal(counter(a, "RetransmitTimeouts"), 0);
	assert_true(ms < 500);
	sim_net_free(net);
}

static void test_limited_transmit(void **state)
{
	(void)state;
	struct rx r;
	rx_open(&r, 43, 40 * MSS);
	r.drops[0] = 0;                    /* the first segment of the window */
	r.drops[1] = 0;
	r.n_drops = 2;
	/* only the first two segments after the loss arrive and are SACKed: two dup ACKs */
	sim_run_for(net, 1);
	int n = n_seen;
	assert_true(n >= 10);
	uint32_t top = 0;
	for (int i = 0; i < n; i++)
		top = seq_max(top, seen[i].seq + seen[i].payload_len);
	assert_int_equal(top - r.base, 10 * MSS);    /* the initial window */
	struct tcp_hdr_info segs[SEEN_MAX];
	memcpy(segs, seen, (size_t)n * sizeof(segs[0]));
	seen_reset();
	/* both sent at once: they arrive before RACK's reordering window (SRTT + min RTT / 4
	 * after the segment went) is over */
	for (int i = 1; i <= 2; i++) {
		rx_add(&r, segs[i].seq, segs[i].seq + segs[i].payload_len);
		rx_ack(&r);
	}
	sim_run_for(net, 1);
	assert_int_equal(counter(a, "LimitedTransmits"), 2);
	assert_int_equal(counter(a, "FastRetransmits"), 0);
	/* each duplicate ACK let one new segment past cwnd */
	int fresh = 0;
	for (int i = 0; i < n_seen; i++)
		if (seq_geq(seen[i].seq, r.base + 10 * MSS) && seen[i].payload_len)
			fresh++;
	assert_int_equal(fresh, 2);
	/* RFC 8985 6.3: when the window is over, with no third duplicate ACK, the reordering
	 * timer finds the first segment lost (segments sent after it were delivered) */
	seen_reset();
	sim_run_for(net, 10);
	assert_int_equal(counter(a, "RackLossesDetected"), 1);
	assert_int_equal(counter(a, "FastRetransmits"), 1);
	assert_int_equal(counter(a, "RetransmitTimeouts"), 0);
	bool resent = false;
	for (int i = 0; i < n_seen; i++)
		resent |= seen[i].seq == r.base && seen[i].payload_len == MSS;
	assert_true(resent);
	sim_net_free(net);
}

/* RFC 9293 3.7.4 Nagle in Minshall's form: the short end of a write goes at once while
 * only full-sized segments are unacknowledged; a second short write waits for the first
 * short segment's ACK. */
static void test_minshall_nagle(void **state)
{
	(void)state;
	struct rx r;
	int sd = rx_open(&r, 44, 3 * MSS + 100);
	sim_run_for(net, 1);
	int data = 0, tail = 0;
	for (int i = 0; i < n_seen; i++) {
		data += seen[i].payload_len > 0;
		tail += seen[i].payload_len == 100;
	}
	assert_int_equal(data, 4);
	assert_int_equal(tail, 1);
	seen_reset();
	static const uint8_t more[50];
	assert_int_equal(umk_send(a, sd, more, sizeof(more), 0), (ssize_t)sizeof(more));
	sim_run_for(net, 1);
	for (int i = 0; i < n_seen; i++)
		assert_int_equal(seen[i].payload_len, 0);
	rx_add(&r, r.base, r.base + 3 * MSS + 100);
	rx_ack(&r);
	sim_run_for(net, 2);
	tail = 0;
	for (int i = 0; i < n_seen; i++)
		tail += seen[i].payload_len == sizeof(more);
	assert_int_equal(tail, 1);
	sim_net_free(net);
}

static void hystart(int cap, uint64_t seed)
{
	struct rx r;
	size_t n = 2 << 20;
	r.sd = rx_open_ts(&r, seed, 64 << 10, true);
	r.to_send = n - (64 << 10);
	r.cap = cap;
	uint64_t ms = rx_run(&r, n, 20000);
	struct tcpcb *tp = tcb_of(a, APORT, r.p.sport);
	print_message("bottleneck %d segments/ms: %llu ms, cwnd %u, ssthresh %u, CSS %llu, exits "
		      "%llu\n", cap, (unsigned long long)ms, tp->cwnd, tp->ssthresh,
		      (unsigned long long)counter(a, "HystartConservativeStarts"),
		      (unsigned long long)counter(a, "HystartSlowStartExits"));
	assert_int_equal(r.got, n);
	assert_int_equal(counter(a, "RetransSegs"), 0);
	if (cap) {
		assert_true(counter(a, "HystartConservativeStarts") >= 1);
		assert_int_equal(counter(a, "HystartSlowStartExits"), 1);
		assert_true(tp->ssthresh < TCP_SSTHRESH_INIT);   /* congestion avoidance */
	} else {
		assert_int_equal(counter(a, "HystartConservativeStarts"), 0);
		assert_int_equal(tp->ssthresh, TCP_SSTHRESH_INIT);
	}
	sim_net_free(net);
}

static void test_hystart_bottleneck(void **state) { (void)state; hystart(2, 44); }
static void test_hystart_clean(void **state) { (void)state; hystart(0, 45); }

static void test_app_limited(void **state)
{
	(void)state;
	struct rx r;
	int sd = rx_open(&r, 46, 1000);
	rx_run(&r, 1000, 100);
	uint32_t iw = tcb_of(a, APORT, r.p.sport)->cwnd;
	static const char chunk[1000];
	for (int i = 0; i < 200; i++) {   /* 1000 bytes every 10 ms: never near cwnd */
		assert_int_equal(umk_send(a, sd, chunk, sizeof(chunk), 0), (ssize_t)sizeof(chunk));
		rx_run(&r, r.got + sizeof(chunk), 100);
		sim_run_for(net, 10);
	}
	assert_int_equal(r.got, 201 * 1000);
	struct tcpcb *tp = tcb_of(a, APORT, r.p.sport);
	print_message("app-limited: cwnd %u after 200 small sends (initial %u)\n", tp->cwnd, iw);
	assert_int_equal(tp->cwnd, iw);
	sim_net_free(net);
}

/* A lone segment lost twice: by default the original and its tail loss probe, then the RTO
 * (1 s) repairs it; with tcp_rto_min 100 the RTO comes before any probe could (PTO is never
 * past the RTO), so the original and the first RTO's copy are lost and the second RTO, after
 * 100 + 200 ms, repairs it. */
static uint64_t rto_repair(uint32_t rto_min, uint64_t seed)
{
	struct umk_stack_config cfg = sim_cfg(), *c = NULL;
	if (rto_min) {
		cfg.limits.tcp_rto_min = rto_min;
		c = &cfg;
	}
	struct rx r;
	rx_open_cfg(&r, seed, 1000, false, c);
	r.drops[0] = 0;
	r.drops[1] = 0;
	r.drops[2] = 0;
	r.drops[3] = 1;
	r.n_drops = 4;
	uint64_t ms = rx_run(&r, 1000, 5000);
	assert_int_equal(r.got, 1000);
	assert_int_equal(counter(a, "TailLossProbes"), rto_min ? 0 : 1);
	assert_int_equal(counter(a, "RetransmitTimeouts"), rto_min ? 2 : 1);
	sim_net_free(net);
	return ms;
}

static void test_rto_min(void **state)
{
	(void)state;
	uint64_t def = rto_repair(0, 47), low = rto_repair(100, 47);
	print_message("twice-lost segment repaired: %llu ms (default), %llu ms (tcp_rto_min 100)\n",
		      (unsigned long long)def, (unsigned long long)low);
	assert_true(def >= 1000);
	assert_true(low >= 300 && low < 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tail_loss_probe),
		cmocka_unit_test(test_probe_keeps_cwnd),
		cmocka_unit_test(test_lost_retransmission),
		cmocka_unit_test(test_limited_transmit),
		cmocka_unit_test(test_minshall_nagle),
		cmocka_unit_test(test_hystart_bottleneck),
		cmocka_unit_test(test_hystart_clean),
		cmocka_unit_test(test_app_limited),
		cmocka_unit_test(test_rto_min),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
