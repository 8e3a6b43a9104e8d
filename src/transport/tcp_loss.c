/*
 * tcp_loss.c - loss detection beyond three duplicate ACKs, so that recovery does not wait
 * for the retransmission timer:
 *
 *   RFC 3042 limited transmit: the first and second duplicate ACKs each let one new segment
 *     go past cwnd (FlightSize <= cwnd + 2 SMSS), so a small window still gets the third.
 *   RFC 8985 7 tail loss probe: with SACK, when nothing has been acknowledged for a probe
 *     timeout (PTO = 2 SRTT, plus the worst-case delayed ACK when one segment is out, never
 *     past the RTO), one segment is sent - new data if the windows allow, else the last
 *     segment again - so a lost tail is reported by SACK and repaired by fast recovery. A
 *     probe that was a retransmission and repaired the loss alone gets the congestion
 *     response of a fast recovery (7.4.2; without DSACK we cannot tell it was spurious).
 *   RFC 8985 6.2 in its simplest form: in SACK recovery, the retransmission of the hole at
 *     SND.UNA is deemed lost when newer data keeps being SACKed for longer than
 *     SRTT + SRTT/4 (the reordering window) after it was sent; it goes again. Without
 *     per-segment send times, the hole SND.UNA moves to is timed from the moment it moved
 *     there, which is later than its retransmission: detection errs on the late side. When
 *     the SACKs stop (the peer's window is full), a timer at that deadline looks again
 *     (6.3); it is the probe's timer, since probes are never sent in recovery.
 *   RFC 6937 proportional rate reduction in SACK recovery: rather than dropping cwnd to
 *     ssthresh at once (a silence of half a window, then a burst), each ACK lets out data
 *     in proportion to what it delivered, so the flight comes down to ssthresh over one
 *     round trip (PRR-SSRB below it).
 */
#define _GNU_SOURCE
#include <stddef.h>

#include "core/stack_int.h"
#include "transport/tcp_int.h"

#define TLP_WCDELACK_MS 200   /* RFC 8985 7.2: worst-case delayed ACK of the peer */
#define TLP_MIN_MS      2     /* the clock's granularity, twice */

static uint32_t srtt_ms(const struct tcpcb *tp) { return tp->srtt >> 3; }

/* ---- RFC 3042 ---- */

void tcp_lt_dupack(struct umk_stack *s, struct tcpcb *tp)
{
	if (tp->dupacks > 2 || (tp->flags & TF_RECOVERY))
		return;
	COUNT(s, TCP_LIMITED_TRANSMIT);
	tp->lt_extra = tp->dupacks * tcp_maxseg(s, tp);
}

/* ---- RFC 6937 ---- */

void tcp_prr_start(struct tcpcb *tp)
{
	tp->prr_delivered = tp->prr_out = 0;
	tp->recover_fs = tp->snd_max - tp->snd_una;   /* RecoverFS */
}

void tcp_prr_ack(struct umk_stack *s, struct tcpcb *tp, uint32_t delivered)
{
	if ((tp->flags & (TF_RECOVERY | TF_SACK)) != (TF_RECOVERY | TF_SACK))
		return;
	tp->prr_delivered += delivered;
	uint32_t pipe = tcp_sb_pipe(tp), mss = tcp_maxseg(s, tp), sndcnt;
	if (pipe > tp->ssthresh) {
		/* sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out */
		uint64_t fs = tp->recover_fs ? tp->recover_fs : 1;
		uint64_t want = ((uint64_t)tp->prr_delivered * tp->ssthresh + fs - 1) / fs;
		sndcnt = want > tp->prr_out ? (uint32_t)(want - tp->prr_out) : 0;
	} else {
		/* PRR-SSRB: slow start back up to ssthresh, at most one MSS past what arrived */
		uint32_t owed = tp->prr_delivered > tp->prr_out ? tp->prr_delivered - tp->prr_out : 0;
		uint32_t lim = (owed > delivered ? owed : delivered) + mss;
		uint32_t room = tp->ssthresh - pipe;
		sndcnt = room < lim ? room : lim;
	}
	tp->cwnd = pipe + sndcnt;
}

/* ---- RFC 8985 7: tail loss probe ---- */

void tcp_tlp_arm(struct umk_stack *s, struct tcpcb *tp)
{
	if (!(tp->flags & TF_SACK) || (tp->flags & (TF_RECOVERY | TF_TLP_OUT)) || !tp->srtt ||
	    tp->snd_una == tp->snd_max || tp->state < TCPS_ESTABLISHED || tp->rxt_shift) {
		timer_cancel(s, &tp->t_tlp);
		return;
	}
	uint64_t pto = 2ull * srtt_ms(tp);
	if (tcp_flight(tp) <= tcp_maxseg(s, tp))
		pto += TLP_WCDELACK_MS;
	if (pto < TLP_MIN_MS)
		pto = TLP_MIN_MS;
	/* 7.2: never later than the RTO would fire */
	if (timer_armed(&tp->t_rexmt) && s->now + pto >= tp->t_rexmt.when) {
		timer_cancel(s, &tp->t_tlp);
		return;
	}
	timer_arm_in(s, &tp->t_tlp, pto);
}

static bool rack_check(struct umk_stack *s, struct tcpcb *tp);

static void tlp_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct tcpcb *tp = container_of(t, struct tcpcb, t_tlp);
	if (tp->flags & TF_RECOVERY) {
		rack_check(s, tp);   /* the reordering timer (RFC 8985 6.3) */
		return;
	}
	if (tp->snd_una == tp->snd_max || (tp->flags & TF_TLP_OUT) ||
	    tp->state < TCPS_ESTABLISHED || !tp->sq.buf)
		return;
	COUNT(s, TCP_TLP_PROBES);
	uint32_t maxseg = tcp_maxseg(s, tp);
	uint32_t before = tp->snd_max;
	/* 7.3: new data first, if the peer's window has room, past cwnd by one segment */
	uint32_t unsent = tp->sq.len - (tp->snd_nxt - tp->sq_seq);
	uint32_t outstanding = tp->snd_nxt - tp->snd_una;
	if (tp->snd_nxt == tp->snd_max && unsent >= maxseg && tp->snd_wnd >= outstanding + maxseg) {
		uint32_t cw = tp->cwnd;
		tp->cwnd = outstanding + maxseg;
		tcp_output(s, tp);
		tp->cwnd = cw;                 /* the probe is let past cwnd, not added to it */
	}
	tp->tlp_rxt = false;
	if (tp->snd_max == before) {
		/* else the last segment sent, again */
		uint32_t buf_end = tp->sq_seq + tp->sq.len;
		bool fin = (tp->flags & TF_FIN_QUEUED) && tp->snd_max == buf_end + 1;
		uint32_t data_end = fin ? buf_end : tp->snd_max;
		uint32_t len = data_end - tp->snd_una;
		if (len > maxseg)
			len = maxseg;
		if (!tcp_xmit(s, tp, data_end - len, len, (uint8_t)(TH_ACK | (fin ? TH_FIN : 0))))
			COUNT(s, TCP_RETRANS_SEGS);
		tp->tlp_rxt = true;
	}
	tp->flags |= TF_TLP_OUT;
	tp->tlp_high = tp->snd_max;
	timer_cancel(s, &tp->t_tlp);
	tcp_rexmt_arm(s, tp);   /* 7.3: the RTO runs again from the probe */
}

void tcp_tlp_ack(struct umk_stack *s, struct tcpcb *tp, uint32_t ack)
{
	if (!(tp->flags & TF_TLP_OUT) || !seq_geq(ack, tp->tlp_high))
		return;
	tp->flags &= ~(unsigned)TF_TLP_OUT;
	if (tp->tlp_rxt && !(tp->flags & TF_RECOVERY)) {
		/* 7.4.2: the probe alone repaired a loss: respond as to one */
		COUNT(s, TCP_TLP_RECOVERIES);
		tp->ssthresh = tp->cc->on_loss(s, tp, false);
		tp->cwnd = tp->ssthresh;
		tp->cc->on_recovery_end(s, tp);
	}
}

void tcp_tlp_init(struct tcpcb *tp)
{
	timer_init(&tp->t_tlp, tlp_fire);
}

/* ---- RFC 8985 6.2: a lost retransmission at SND.UNA ---- */

void tcp_rack_rxt_sent(struct umk_stack *s, struct tcpcb *tp, uint32_t seq)
{
	if (seq != tp->snd_una)
		return;
	tp->una_rxt_seq = seq;
	tp->una_rxt_time = s->now;
	tp->flags |= TF_UNA_RXT;
}

void tcp_rack_una_moved(struct umk_stack *s, struct tcpcb *tp)
{
	tp->flags &= ~(unsigned)TF_UNA_RXT;
	if ((tp->flags & TF_RECOVERY) && seq_lt(tp->snd_una, tp->high_rxt)) {
		/* the new first hole was retransmitted already, at the latest now */
		tp->una_rxt_seq = tp->snd_una;
		tp->una_rxt_time = s->now;
		tp->flags |= TF_UNA_RXT;
	}
}

/* Deemed lost (RFC 8985 6.2): a SACK arrived at least an RTT after the retransmission (so it
 * reports data sent after it), and the retransmission is older than RTT + RTT/4. */
static bool rack_lost_rxt(struct umk_stack *s, const struct tcpcb *tp)
{
	if ((tp->flags & (TF_RECOVERY | TF_SACK | TF_UNA_RXT)) !=
	    (TF_RECOVERY | TF_SACK | TF_UNA_RXT) || tp->una_rxt_seq != tp->snd_una || !tp->srtt)
		return false;
	uint32_t r = srtt_ms(tp);
	return tp->rack_sack_time >= tp->una_rxt_time + r &&
	       s->now - tp->una_rxt_time > (uint64_t)r + r / 4 + 1;
}

static bool rack_check(struct umk_stack *s, struct tcpcb *tp)
{
	if (!rack_lost_rxt(s, tp))
		return false;
	COUNT(s, TCP_LOST_RETRANS);
	tcp_retransmit_una(s, tp);
	return true;
}

void tcp_rack_sack(struct umk_stack *s, struct tcpcb *tp)
{
	tp->rack_sack_time = s->now;
	if (rack_check(s, tp))
		return;
	if ((tp->flags & TF_UNA_RXT) && tp->una_rxt_seq == tp->snd_una && tp->srtt) {
		/* 6.3: the reordering timer; the same timer as the probe (never both at once) */
		uint32_t r = srtt_ms(tp);
		timer_arm(s, &tp->t_tlp, tp->una_rxt_time + r + r / 4 + 2);
	}
}
