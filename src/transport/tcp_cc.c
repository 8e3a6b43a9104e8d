/*
 * tcp_cc.c - congestion control behind one small interface (struct tcp_cc_ops): NewReno
 * (RFC 5681 slow start and congestion avoidance, RFC 6582 recovery lives in tcp_input.c)
 * and CUBIC (RFC 9438, the default), selected per socket with TCP_CONGESTION. cwnd and
 * ssthresh are in bytes; the initial window is RFC 6928's ten segments. Slow start, for
 * both, ends early with HyStart++ (RFC 9406) when the round-trip time grows: a queue is
 * building, so the window stops doubling (Conservative Slow Start) and, if the delay
 * stays, congestion avoidance begins without waiting for a loss.
 */
#include <string.h>

#include "core/stack_int.h"
#include "transport/tcp_int.h"

uint32_t tcp_flight(const struct tcpcb *tp) { return tp->snd_max - tp->snd_una; }

static uint32_t smss(const struct tcpcb *tp) { return tp->mss - tcp_data_optlen(tp); }

/* RFC 9406 4.3 constants */
#define HS_MIN_RTT_THRESH   4        /* ms */
#define HS_MAX_RTT_THRESH   16       /* ms */
#define HS_MIN_RTT_DIVISOR  8
#define HS_N_RTT_SAMPLE     8
#define HS_CSS_GROWTH_DIV   4
#define HS_CSS_ROUNDS       5

static void hystart_reset(struct tcp_hystart *h)
{
	memset(h, 0, sizeof(*h));
	h->last_round_min = h->cur_round_min = h->css_baseline = UINT32_MAX;
}

void tcp_hystart_rtt(struct tcpcb *tp, uint32_t rtt)
{
	struct tcp_hystart *h = &tp->hystart;
	if (tp->cwnd >= tp->ssthresh || tp->ssthresh != TCP_SSTHRESH_INIT || !h->started)
		return;
	if (rtt < h->cur_round_min)
		h->cur_round_min = rtt;
	h->samples++;
}

static void common_init(struct tcpcb *tp)
{
	/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)) */
	uint32_t m = smss(tp);
	uint32_t iw = 10 * m, cap = 2 * m > 14600 ? 2 * m : 14600;
	tp->cwnd = iw < cap ? iw : cap;
	tp->ssthresh = TCP_SSTHRESH_INIT;   /* RFC 5681 3.1: arbitrarily high */
	tp->bytes_acked = 0;
	hystart_reset(&tp->hystart);
}

/* RFC 9406 4.2: at each round's end, compare its minimum RTT with the last round's. */
static void hystart_round(struct umk_stack *s, struct tcpcb *tp)
{
	struct tcp_hystart *h = &tp->hystart;
	if (!h->started) {
		h->started = true;
		h->window_end = tp->snd_max;
		return;
	}
	if (seq_lt(tp->snd_una, h->window_end))
		return;
	bool enough = h->samples >= HS_N_RTT_SAMPLE && h->cur_round_min != UINT32_MAX;
	if (h->css_baseline == UINT32_MAX) {
		if (enough && h->last_round_min != UINT32_MAX) {
			uint32_t th = h->last_round_min / HS_MIN_RTT_DIVISOR;
			th = th < HS_MIN_RTT_THRESH ? HS_MIN_RTT_THRESH :
			     th > HS_MAX_RTT_THRESH ? HS_MAX_RTT_THRESH : th;
			if (h->cur_round_min >= h->last_round_min + th) {
				COUNT(s, TCP_HYSTART_CSS);
				h->css_baseline = h->cur_round_min;
				h->css_rounds = 0;
			}
		}
	} else if (enough && h->cur_round_min < h->css_baseline) {
		/* 4.2: the delay went away; it was not a queue: slow start again */
		h->css_baseline = UINT32_MAX;
	} else if (++h->css_rounds >= HS_CSS_ROUNDS) {
		/* the delay stayed: congestion avoidance from here, no loss needed */
		COUNT(s, TCP_HYSTART_EXIT);
		tp->ssthresh = tp->cwnd;
	}
	h->last_round_min = h->cur_round_min;
	h->cur_round_min = UINT32_MAX;
	h->samples = 0;
	h->window_end = tp->snd_max;
}

/* RFC 5681 3.1 slow start with RFC 3465 byte counting, slowed to a quarter in HyStart++'s
 * Conservative Slow Start; true when cwnd was below ssthresh and the ACK was used here.
 * RFC 3465's limit L is 2 SMSS, or the segments of the super-segments the connection sends
 * when there are more and the ACK is a clean one (TF_ACK_CLEAN: nothing SACKed, nothing being
 * resent): a receiver that coalesces (Linux's GRO) answers a whole super-segment with one ACK,
 * and at 2 SMSS per such ACK slow start would hardly grow; the burst L guards against is then
 * one the sender made itself as a single super-segment. An ACK that fills a hole keeps 2. */
static bool slow_start(struct umk_stack *s, struct tcpcb *tp, uint32_t acked)
{
	if (tp->cwnd >= tp->ssthresh)
		return false;
	uint32_t m = smss(tp);
	uint32_t l = ((tp->flags & TF_ACK_CLEAN) && tp->tso_segs > 2 ? tp->tso_segs : 2) * m;
	uint32_t inc = acked < l ? acked : l;
	/* RFC 9406 4.1: HyStart++ in the initial slow start only (ssthresh still unset) */
	bool initial = tp->ssthresh == TCP_SSTHRESH_INIT;
	if (initial && tp->hystart.css_baseline != UINT32_MAX)
		inc /= HS_CSS_GROWTH_DIV;   /* RFC 9406 4.2 */
	tp->cwnd += inc;
	if (initial)
		hystart_round(s, tp);
	return true;
}

/* ---- NewReno ---- */

static void reno_init(struct umk_stack *s, struct tcpcb *tp)
{
	(void)s;
	common_init(tp);
}

static void reno_on_ack(struct umk_stack *s, struct tcpcb *tp, uint32_t acked)
{
	if (slow_start(s, tp, acked))
		return;
	/* RFC 5681 3.1 congestion avoidance: one SMSS per cwnd of data acknowledged */
	tp->bytes_acked += acked;
	if (tp->bytes_acked >= tp->cwnd) {
		tp->bytes_acked -= tp->cwnd;
		tp->cwnd += smss(tp);
	}
}

static uint32_t reno_on_loss(struct umk_stack *s, struct tcpcb *tp, bool rto)
{
	(void)s, (void)rto;
	/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2*SMSS) */
	uint32_t half = tcp_flight(tp) / 2, two = 2 * smss(tp);
	return half > two ? half : two;
}

static void reno_recovery_end(struct umk_stack *s, struct tcpcb *tp)
{
	(void)s, (void)tp;
}

const struct tcp_cc_ops tcp_newreno = {
	.name = "reno",
	.init = reno_init,
	.on_ack = reno_on_ack,
	.on_loss = reno_on_loss,
	.on_recovery_end = reno_recovery_end,
};

/* ---- CUBIC (RFC 9438) ---- */

/* Cube root by Newton's method (the library stays free of libm). */
static double cube_root(double x)
{
	if (x == 0)
		return 0;
	bool neg = x < 0;
	if (neg)
		x = -x;
	double r = x > 1 ? x / 3 : 1;
	for (int i = 0; i < 60; i++) {
		double n = r - (r * r * r - x) / (3 * r * r);
		if (n == r)
			break;
		r = n;
	}
	return neg ? -r : r;
}

#define CUBIC_C     0.4                  /* 5: segments per second cubed */
#define CUBIC_BETA  0.7                  /* 4.6 */

static void cubic_init(struct umk_stack *s, struct tcpcb *tp)
{
	(void)s;
	common_init(tp);
	memset(&tp->cubic, 0, sizeof(tp->cubic));
}

static double w_cubic(const struct tcp_cubic *c, double t)
{
	double d = t - c->k;
	return CUBIC_C * d * d * d + c->w_max;   /* RFC 9438 4.2 (1) */
}

static void cubic_on_ack(struct umk_stack *s, struct tcpcb *tp, uint32_t acked)
{
	struct tcp_cubic *c = &tp->cubic;
	if (slow_start(s, tp, acked))
		return;
	double m = smss(tp);
	double cwnd = tp->cwnd / m;
	if (!c->epoch_start) {
		/* RFC 9438 4.2: a congestion avoidance epoch starts */
		c->epoch_start = s->now ? s->now : 1;
		c->cwnd_epoch = cwnd;
		c->w_est = cwnd;
		if (c->w_max < cwnd)
			c->w_max = cwnd;
		c->k = cube_root((c->w_max - cwnd) / CUBIC_C);   /* (2) */
	}
	double t = (double)(s->now - c->epoch_start) / 1000.0;
	double rtt = tp->srtt ? (double)(tp->srtt >> 3) / 1000.0 : 0.1;
	double target = w_cubic(c, t + rtt);
	/* 4.2: the target is kept within [cwnd, 1.5 cwnd] */
	if (target < cwnd)
		target = cwnd;
	if (target > 1.5 * cwnd)
		target = 1.5 * cwnd;
	/* 4.3 Reno-friendly region: alpha = 3 (1 - beta) / (1 + beta) */
	double segs = acked / m;
	double alpha = c->w_est >= c->w_max ? 1.0 : 3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA);
	c->w_est += alpha * segs / cwnd;
	double grow;
	if (w_cubic(c, t) < c->w_est)
		grow = c->w_est - cwnd;                  /* 4.3 */
	else
		grow = (target - cwnd) / cwnd * segs;   /* 4.4, 4.5 */
	if (grow < 0)
		grow = 0;
	c->cwnd_frac += grow;
	if (c->cwnd_frac >= 1.0) {
		double whole = (double)(uint64_t)c->cwnd_frac;
		tp->cwnd += (uint32_t)(whole * m);
		c->cwnd_frac -= whole;
	}
}

static uint32_t cubic_on_loss(struct umk_stack *s, struct tcpcb *tp, bool rto)
{
	(void)s;
	struct tcp_cubic *c = &tp->cubic;
	double m = smss(tp);
	double cwnd = tp->cwnd / m;
	/* 4.7 fast convergence */
	if (cwnd < c->w_max)
		c->w_max = cwnd * (1 + CUBIC_BETA) / 2;
	else
		c->w_max = cwnd;
	c->epoch_start = 0;
	c->cwnd_frac = 0;
	if (rto) {
		/* 4.8: after a timeout, a new epoch starts from the reduced window */
		c->w_est = 0;
	}
	/* 4.6: ssthresh = cwnd * beta (flight-based as RFC 5681 when cwnd is app-limited) */
	double ss = (double)tp->cwnd * CUBIC_BETA;
	uint32_t flight = tcp_flight(tp);
	if (flight < tp->cwnd)
		ss = (double)flight * CUBIC_BETA;
	uint32_t two = 2 * smss(tp);
	return ss > two ? (uint32_t)ss : two;
}

static void cubic_recovery_end(struct umk_stack *s, struct tcpcb *tp)
{
	(void)s;
	tp->cubic.epoch_start = 0;
}

const struct tcp_cc_ops tcp_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_loss = cubic_on_loss,
	.on_recovery_end = cubic_recovery_end,
};

static const struct tcp_cc_ops *const cc_table[] = { &tcp_cubic, &tcp_newreno };

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cc_table) / sizeof(cc_table[0]); i++)
		if (!strcmp(cc_table[i]->name, name))
			return cc_table[i];
	if (!strcmp(name, "newreno"))
		return &tcp_newreno;
	return NULL;
}
