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
 *   RFC 8985 6 (RACK) for the segment at SND.UNA: every transmission is logged with its
 *     time (runs sent in one millisecond, TCP_SENT_LOG of them); each ACK finds the newest
 *     send among what it delivered (cumulatively or by SACK; an ACK that may be for an
 *     original rather than its retransmission is not taken, 6.2 step 2). The segment at
 *     SND.UNA is lost when it went before that and longer ago than SRTT plus the
 *     reordering window (min RTT / 4, at least 1 ms): it goes again - entering recovery
 *     without waiting for three duplicate ACKs, which a receiver that coalesces (one ACK
 *     per run) may never send - and no longer counts in the pipe (RFC 6675 SetPipe). Not
 *     yet lost, the reordering timer looks again when it would be (6.3): the probe's timer,
 *     which waits meanwhile. Holes above SND.UNA are RFC 6675's (IsLost, NextSeg).
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
	if (tp->flags & TF_RACK_WAIT)
		return;               /* the reordering timer holds t_tlp; rack_detect rearms */
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

static void rack_detect(struct umk_stack *s, struct tcpcb *tp);

static void tlp_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct tcpcb *tp = container_of(t, struct tcpcb, t_tlp);
	if (tp->flags & TF_RACK_WAIT) {
		rack_detect(s, tp);   /* the reordering timer (RFC 8985 6.3) */
		return;
	}
	if (tp->flags & TF_RECOVERY)
		return;
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

/* ---- RFC 8985 6: RACK, for the segment at SND.UNA ---- */

static struct tcp_sent *sent_at(struct tcpcb *tp, int i)
{
	return &tp->sent[(tp->sent_head + i) % TCP_SENT_LOG];
}

void tcp_rack_sent(struct umk_stack *s, struct tcpcb *tp, uint32_t seq, uint32_t len)
{
	uint32_t now = (uint32_t)s->now;
	bool rxt = seq_lt(seq, tp->snd_max);
	if (tp->sent_n) {
		struct tcp_sent *last = sent_at(tp, tp->sent_n - 1);
		if (last->end == seq && last->time == now && last->rxt == rxt) {
			last->end = seq + len;
			return;
		}
	}
	if (tp->sent_n == TCP_SENT_LOG) {
		/* full: forget the runs SND.UNA has passed, else the oldest */
		int k = 0;
		for (int i = 0; i < tp->sent_n; i++)
			if (seq_gt(sent_at(tp, i)->end, tp->snd_una))
				*sent_at(tp, k++) = *sent_at(tp, i);
		if (k == TCP_SENT_LOG) {
			tp->sent_head = (uint8_t)((tp->sent_head + 1) % TCP_SENT_LOG);
			k--;
		}
		tp->sent_n = (uint8_t)k;
	}
	*sent_at(tp, tp->sent_n++) = (struct tcp_sent){ seq, seq + len, now, rxt };
}

/* 6.2 step 2: an ACK for a retransmitted run may be the original's - its TSecr is older
 * than the retransmission, or (no timestamps) it came sooner than any round trip could. */
static bool ambiguous(struct umk_stack *s, const struct tcpcb *tp,
		      const struct tcp_hdr_info *th, const struct tcp_sent *e)
{
	if (!e->rxt)
		return false;
	if ((tp->flags & TF_TS) && (th->opt.present & TCPO_TS) && th->opt.tsecr)
		return seq_lt(th->opt.tsecr, e->time + tp->ts_offset);
	return (uint32_t)s->now - e->time < tp->min_rtt;
}

/* The newest run overlapping [start, end), or NULL; with th (the ACK that delivered the
 * range), not a run that ACK may not vouch for (6.2 step 2). */
static const struct tcp_sent *newest_sent(struct umk_stack *s, struct tcpcb *tp,
					  const struct tcp_hdr_info *th, uint32_t start,
					  uint32_t end)
{
	for (int i = tp->sent_n - 1; i >= 0; i--) {
		const struct tcp_sent *e = sent_at(tp, i);
		if (seq_lt(e->start, end) && seq_gt(e->end, start) &&
		    !(th && ambiguous(s, tp, th, e)))
			return e;
	}
	return NULL;
}

/* 6.2 steps 1 and 2 for [start, end), delivered by this ACK (cumulatively or SACKed): the
 * newest run overlapping it is the newest send it holds. */
static void rack_update(struct umk_stack *s, struct tcpcb *tp, const struct tcp_hdr_info *th,
			uint32_t start, uint32_t end)
{
	const struct tcp_sent *e = newest_sent(s, tp, th, start, end);
	if (!e)
		return;
	uint32_t dend = seq_lt(e->end, end) ? e->end : end;
	int32_t dt = (int32_t)(e->time - tp->rack_time);
	if (!tp->rack_valid || dt > 0 || (dt == 0 && seq_gt(dend, tp->rack_end))) {
		tp->rack_valid = true;
		tp->rack_time = e->time;
		tp->rack_end = dend;
	}
}

/* 6.2 step 5 (4 for the window) for the segment at SND.UNA: lost when it went out before
 * the newest delivered send (earlier, or at the same time and below it) and longer ago
 * than SRTT plus the reordering window (a quarter of the smallest RTT, at least the clock's
 * 1 ms). Not yet lost: *when says at what time (ms) it will be; 0 when it will not. */
static bool una_lost(struct umk_stack *s, struct tcpcb *tp, bool *rxt, uint64_t *when)
{
	*when = 0;
	if (!tp->rack_valid || !tp->srtt || tp->snd_una == tp->snd_max)
		return false;
	/* the newest send of the segment at SND.UNA; gone from the log: no verdict */
	const struct tcp_sent *e = newest_sent(s, tp, NULL, tp->snd_una, tp->snd_una + 1);
	if (!e)
		return false;
	uint32_t seg_end = e->end;
	if (seq_gt(seg_end, tp->snd_una + tcp_maxseg(s, tp)))
		seg_end = tp->snd_una + tcp_maxseg(s, tp);
	int32_t dt = (int32_t)(tp->rack_time - e->time);
	if (dt < 0 || (dt == 0 && !seq_gt(tp->rack_end, seg_end)))
		return false;
	uint32_t reo = tp->min_rtt / 4 ? tp->min_rtt / 4 : 1;
	int32_t left = (int32_t)(e->time + srtt_ms(tp) + reo - (uint32_t)s->now);
	*rxt = e->rxt;
	if (left <= 0)
		return true;
	*when = s->now + (uint32_t)left;
	return false;
}

static void rack_detect(struct umk_stack *s, struct tcpcb *tp)
{
	bool waited = tp->flags & TF_RACK_WAIT, rxt = false;
	uint64_t when;
	tp->flags &= ~(unsigned)TF_RACK_WAIT;
	if (una_lost(s, tp, &rxt, &when)) {
		tp->flags |= TF_UNA_LOST;
		if (tp->flags & TF_RECOVERY) {
			s->counters[rxt ? CNT_TCP_LOST_RETRANS : CNT_TCP_RACK_LOST]++;
			tcp_retransmit_una(s, tp);
			return;
		}
		/* RFC 6582 3.2 (2) keeps a recovery off data sent before the last one began;
		 * the segment at recover was sent after (time, not a count, found it lost) */
		if ((tcp_recovery_allowed(tp) || tp->snd_una == tp->recover) && !tp->rxt_shift) {
			COUNT(s, TCP_RACK_LOST);
			tcp_enter_recovery(s, tp);   /* resends it */
			return;
		}
	} else if (when) {
		/* 6.3: the reordering timer; the probe's timer, which waits meanwhile */
		tp->flags |= TF_RACK_WAIT;
		timer_arm(s, &tp->t_tlp, when);
		return;
	}
	if (waited) {
		timer_cancel(s, &tp->t_tlp);
		tcp_tlp_arm(s, tp);
	}
}

void tcp_rack_ack(struct umk_stack *s, struct tcpcb *tp, const struct tcp_hdr_info *th,
		  uint32_t old_una)
{
	/* nothing SACKed, no recovery, no timer: no hole to judge (a lost tail is the probe's);
	 * the ACKs of a clean transfer pass by without walking the log */
	if (!tp->n_sb && !(th->opt.present & TCPO_SACK) &&
	    !(tp->flags & (TF_RECOVERY | TF_RACK_WAIT)))
		return;
	if (seq_gt(tp->snd_una, old_una))
		rack_update(s, tp, th, old_una, tp->snd_una);
	if (th->opt.present & TCPO_SACK)
		for (int i = 0; i < th->opt.n_sack; i++)
			if (seq_gt(th->opt.sack[i].end, tp->snd_una))
				rack_update(s, tp, th, th->opt.sack[i].start, th->opt.sack[i].end);
	rack_detect(s, tp);
}
