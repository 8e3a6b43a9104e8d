/*
 * tcp_input.c - segment arrival (RFC 9293 3.10.7), in the RFC's order: CLOSED (3.10.7.1),
 * LISTEN (3.10.7.2, with SYN cookies past the backlog, RFC 4987), SYN-SENT (3.10.7.3,
 * including simultaneous open), and the synchronized states (3.10.7.4): PAWS (RFC 7323 5),
 * acceptability, RST and SYN with the RFC 5961 blind-attack defences (exact-match RST,
 * challenge ACKs, the ACK range check), ACK processing with RTT samples (RFC 6298, RFC 7323
 * 4), NewReno (RFC 6582) and SACK-based (RFC 6675) loss recovery, window updates, data into
 * the receive ring (in order or held for SACK) with delayed ACKs (RFC 5681 4.2), urgent
 * data (RFC 9293 3.8.5, tcp_urgent.c), and FIN.
 * TIME_WAIT accepts a new SYN when it is clearly newer (RFC 6191).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "socket/sock_int.h"
#include "transport/tcp_int.h"
#include "wire/checksum.h"
#include "wire/ip6_const.h"

struct seg {
	struct tcp_hdr_info th;
	const struct ip6_rx *rx;
	uint32_t seglen;                 /* RFC 9293 SEG.LEN: data, SYN and FIN */
};

/* ---- no connection (3.10.7.1) ---- */

static void closed_input(struct umk_stack *s, const struct seg *g)
{
	const struct tcp_hdr_info *th = &g->th;
	if (th->flags & TH_RST) {
		COUNT(s, TCP_IN_RST_NO_CONN);
		return;
	}
	COUNT(s, TCP_IN_NO_CONN);
	if (th->flags & TH_ACK)
		tcp_respond(s, g->rx, th, th->ack, 0, TH_RST);
	else
		tcp_respond(s, g->rx, th, 0, th->seq + g->seglen, TH_RST | TH_ACK);
}

/* ---- LISTEN (3.10.7.2) ---- */

static void synced_input(struct umk_stack *s, struct tcpcb *tp, struct seg *g);

static void established(struct umk_stack *s, struct tcpcb *tp)
{
	tcp_set_state(s, tp, TCPS_ESTABLISHED);
	tcp_keep_arm(s, tp);
	if (tp->parent)
		tcp_child_established(s, tp);
	else
		tcp_wakeup(s, tp);
}

static uint32_t listener_rcvbuf(const struct tcpcb *lp)
{
	uint32_t b = lp->so ? lp->so->rcvbuf : lp->rcvbuf;
	return b < 4096 ? 4096 : b;
}

static void send_cookie(struct umk_stack *s, struct tcpcb *lp, const struct seg *g)
{
	const struct tcp_hdr_info *th = &g->th;
	uint32_t mtu = sock_path_mtu(s, &g->rx->src, g->rx->ifp->index);
	uint16_t mss = (uint16_t)((mtu >= IP6_MIN_MTU ? mtu : IP6_MIN_MTU) - IP6_HLEN - TCP_HLEN);
	if (lp->user_mss && lp->user_mss < mss)
		mss = lp->user_mss;
	/* the SYN-ACK advertises what we can receive; the cookie keeps what we may send */
	uint16_t send_mss = mss;
	uint32_t iss = tcp_cookie_make(s, g->rx, th, &send_mss);
	/* the connection's timestamp offset (RFC 7323 5.4) must be the one the cookie's
	 * timestamp used, or our clock would jump and the peer's PAWS drop us */
	uint32_t tsval = tcp_cookie_tsval((uint32_t)s->now + tcp_cookie_ts_offset(s, g->rx, th),
					  &th->opt, 0);
	COUNT(s, TCP_SYNCOOKIES_SENT);
	lp->cookie_sent = s->now;
	tcp_send_synack_stateless(s, g->rx, th, iss, mss, &th->opt, tsval, listener_rcvbuf(lp));
}

/* The ACK of a cookie SYN-ACK: rebuild the connection it stands for. */
static void cookie_ack(struct umk_stack *s, struct tcpcb *lp, struct seg *g, uint16_t mss)
{
	const struct tcp_hdr_info *th = &g->th;
	if (lp->q_len >= lp->backlog) {
		COUNT(s, TCP_LISTEN_OVERFLOW);
		return;
	}
	struct tcpcb *tp = tcp_child_new(s, lp, g->rx, th);
	if (!tp)
		return;
	tp->ts_offset = tcp_cookie_ts_offset(s, g->rx, th);
	tp->irs = th->seq - 1;
	tp->rcv_nxt = th->seq;
	/* the window the cookie SYN-ACK offered (unscaled, RFC 7323 2.2) */
	uint32_t offered = listener_rcvbuf(lp);
	tp->rcv_adv = th->seq + (offered > 65535 ? 65535 : offered);
	struct tcp_opts o;
	memset(&o, 0, sizeof(o));
	o.present = TCPO_MSS;
	o.mss = mss;
	if (th->opt.present & TCPO_TS) {
		tcp_cookie_ts_decode(th->opt.tsecr, &o, NULL);
		o.tsval = th->opt.tsval;
	}
	tp->flags |= TF_WSCALE | TF_TS | TF_SACK;
	tp->rcv_wscale = tcp_rcv_wscale_for(listener_rcvbuf(lp));
	tcp_syn_options(s, tp, &o);
	tp->iss = th->ack - 1;
	tp->snd_una = tp->snd_nxt = tp->snd_max = th->ack;
	tp->recover = tp->iss;     /* RFC 6582: no recovery yet (see dup_ack) */
	tp->sq_seq = th->ack;
	tp->snd_wnd = (uint32_t)th->win << tp->snd_wscale;
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = th->seq;
	tp->snd_wl2 = th->ack;
	if (tcp_rings_alloc(tp)) {
		tcp_free(s, tp);
		return;
	}
	tp->cc->init(s, tp);
	tp->parent = lp;
	tcp_hash_insert(s, tp);
	COUNT(s, TCP_SYNCOOKIES_OK);
	established(s, tp);
	tp->rcv_time = s->now;
	synced_input(s, tp, g);   /* data that came with the ACK */
}

static void listen_input(struct umk_stack *s, struct tcpcb *lp, struct seg *g)
{
	const struct tcp_hdr_info *th = &g->th;
	if (th->flags & TH_RST) {
		COUNT(s, TCP_IN_LISTEN_RST);
		return;
	}
	if (th->flags & TH_ACK) {
		uint16_t mss;
		if (!(th->flags & TH_SYN) && tcp_cookie_check(s, g->rx, th, &mss)) {
			cookie_ack(s, lp, g, mss);
			return;
		}
		/* while cookies are out, a bad one is worth telling apart (a guess, or late) */
		if (lp->cookie_sent && s->now - lp->cookie_sent < 2 * TCP_COOKIE_PERIOD_MS)
			COUNT(s, TCP_SYNCOOKIES_FAILED);
		COUNT(s, TCP_IN_LISTEN_ACK);
		tcp_respond(s, g->rx, th, th->ack, 0, TH_RST);
		return;
	}
	if (!(th->flags & TH_SYN)) {
		COUNT(s, TCP_IN_LISTEN_OTHER);
		return;
	}
	if (th->payload_len)
		COUNT(s, TCP_IN_SYN_DATA);  /* not kept: the peer sends it again once we ACK the SYN */
	if (lp->q_len >= lp->backlog) {
		COUNT(s, TCP_LISTEN_OVERFLOW);
		return;
	}
	struct tcpcb *tp = NULL;
	if (lp->q0_len < lp->backlog)
		tp = tcp_child_new(s, lp, g->rx, th);
	if (!tp) {
		/* RFC 4987 3.6: the half-open queue (or the table) is full */
		if (lp->q0_len >= lp->backlog)
			COUNT(s, TCP_LISTEN_OVERFLOW);
		send_cookie(s, lp, g);
		return;
	}
	tp->parent = lp;
	tp->qnext = lp->q0;
	lp->q0 = tp;
	lp->q0_len++;
	tcp_syn_options(s, tp, &th->opt);
	tp->snd_wnd = th->win;      /* RFC 7323 2.2: a SYN's window is not scaled */
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = th->seq;
	tp->iss = tcp_isn(s, &tp->laddr, tp->lport, &tp->faddr, tp->fport);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->recover = tp->iss;     /* RFC 6582: no recovery yet (see dup_ack) */
	tp->snd_wl2 = tp->iss;
	tp->sq_seq = tp->iss + 1;
	tp->cc->init(s, tp);
	tp->rcv_time = s->now;
	tcp_hash_insert(s, tp);
	tcp_set_state(s, tp, TCPS_SYN_RECEIVED);
	tcp_output(s, tp);
}

/* ---- SYN-SENT (3.10.7.3) ---- */

static void syn_sent_input(struct umk_stack *s, struct tcpcb *tp, struct seg *g)
{
	const struct tcp_hdr_info *th = &g->th;
	bool ack = th->flags & TH_ACK;
	if (ack && (seq_leq(th->ack, tp->iss) || seq_gt(th->ack, tp->snd_max))) {
		COUNT(s, TCP_IN_SYNSENT_BADACK);
		if (!(th->flags & TH_RST))
			tcp_respond(s, g->rx, th, th->ack, 0, TH_RST);
		return;
	}
	if (th->flags & TH_RST) {
		/* RFC 5961 3.2: only a RST that acknowledges our SYN is believed */
		if (ack) {
			COUNT(s, TCP_CONN_REFUSED);
			tcp_drop(s, tp, ECONNREFUSED);
		} else {
			COUNT(s, TCP_IN_RST_OUT_OF_WINDOW);
		}
		return;
	}
	if (!(th->flags & TH_SYN)) {
		COUNT(s, TCP_IN_SYNSENT_NOSYN);
		return;
	}
	tp->irs = th->seq;
	tp->rcv_nxt = tp->rcv_adv = th->seq + 1;
	tcp_syn_options(s, tp, &th->opt);
	tp->snd_wnd = th->win;      /* not scaled in a SYN */
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = th->seq;
	tp->rcv_time = s->now;
	if (th->payload_len)
		COUNT(s, TCP_IN_SYN_DATA);
	if (ack) {
		tp->snd_wl2 = th->ack;
		if ((tp->flags & TF_TS) && (th->opt.present & TCPO_TS) && th->opt.tsecr)
			tcp_rtt_sample(s, tp, tcp_ts_now(s, tp) - th->opt.tsecr);
		else if ((tp->flags & TF_RTT_TIMING) && seq_gt(th->ack, tp->rtt_seq))
			tcp_rtt_sample(s, tp, (uint32_t)(s->now - tp->rtt_start));
		tp->flags &= ~(unsigned)TF_RTT_TIMING;
		tp->snd_una = th->ack;
		tp->snd_nxt = seq_max(tp->snd_nxt, tp->snd_una);
		timer_cancel(s, &tp->t_rexmt);
		tp->rxt_shift = 0;
		tp->cc->init(s, tp);   /* the MSS is known now */
		established(s, tp);
		tp->flags |= TF_ACKNOW;
		tcp_output(s, tp);
		return;
	}
	/* simultaneous open (RFC 9293 3.5 figure 7): SYN,ACK with our ISN again */
	tcp_set_state(s, tp, TCPS_SYN_RECEIVED);
	tp->snd_nxt = tp->iss;
	tcp_output(s, tp);
}

/* ---- ACK processing ---- */

void tcp_retransmit_una(struct umk_stack *s, struct tcpcb *tp)
{
	uint32_t off = tp->snd_una - tp->sq_seq;
	uint32_t avail = tp->sq.len > off ? tp->sq.len - off : 0;
	uint32_t len = tcp_maxseg(s, tp);
	if (len > avail)
		len = avail;
	uint8_t flags = TH_ACK;
	if ((tp->flags & TF_FIN_QUEUED) && tp->snd_una + len == tp->sq_seq + tp->sq.len &&
	    seq_gt(tp->snd_max, tp->snd_una + len))
		flags |= TH_FIN;
	if (!len && !(flags & TH_FIN))
		return;
	if (!tcp_xmit(s, tp, tp->snd_una, len, flags))
		COUNT(s, TCP_RETRANS_SEGS);
	if (seq_gt(tp->snd_una + len, tp->high_rxt))
		tp->high_rxt = tp->snd_una + len;
}

static bool fin_acked(const struct tcpcb *tp)
{
	return (tp->flags & TF_FIN_QUEUED) && !tp->sq.len && tp->snd_una == tp->sq_seq + 1 &&
	       tp->snd_max == tp->snd_una;
}

static void new_ack(struct umk_stack *s, struct tcpcb *tp, const struct tcp_hdr_info *th)
{
	uint32_t ack = th->ack;
	uint32_t acked = ack - tp->snd_una;
	uint32_t flight_before = tp->snd_max - tp->snd_una;

	/* RFC 7323 4.3 / RFC 6298 3 (Karn: never from a retransmitted segment) */
	if ((tp->flags & TF_TS) && (th->opt.present & TCPO_TS) && th->opt.tsecr) {
		uint32_t rtt = tcp_ts_now(s, tp) - th->opt.tsecr;
		if (rtt < TCP_RTO_MAX)
			tcp_rtt_sample(s, tp, rtt);
	} else if ((tp->flags & TF_RTT_TIMING) && seq_gt(ack, tp->rtt_seq)) {
		tcp_rtt_sample(s, tp, (uint32_t)(s->now - tp->rtt_start));
		tp->flags &= ~(unsigned)TF_RTT_TIMING;
	}
	uint32_t data_acked = 0;
	if (tp->sq.buf && seq_gt(ack, tp->sq_seq)) {
		data_acked = ack - tp->sq_seq;
		if (data_acked > tp->sq.len)
			data_acked = tp->sq.len;
		ring_drop(&tp->sq, data_acked);
		tp->sq_seq += data_acked;
	}
	/* an ACK over data that was SACKed or is being resent (it fills a hole) is a
	 * stretch ACK slow start must not take whole (tcp_cc.c slow_start) */
	if (!tp->n_sb && tp->snd_nxt == tp->snd_max)
		tp->flags |= TF_ACK_CLEAN;
	else
		tp->flags &= ~(unsigned)TF_ACK_CLEAN;
	tp->snd_una = ack;
	tp->flags &= ~(unsigned)TF_UNA_LOST;
	if (seq_lt(tp->snd_nxt, tp->snd_una))
		tp->snd_nxt = tp->snd_una;
	tcp_sb_ack(tp);
	tp->rxt_shift = 0;
	tp->lt_extra = 0;
	tcp_tlp_ack(s, tp, ack);

	if (tp->flags & TF_RECOVERY) {
		if (seq_geq(ack, tp->recover)) {
			/* RFC 6582 3.2 (3): full ACK, cwnd = min(ssthresh, FlightSize + SMSS) */
			tp->flags &= ~(unsigned)TF_RECOVERY;
			uint32_t fl = tcp_flight(tp) + tcp_maxseg(s, tp);
			tp->cwnd = tp->ssthresh < fl ? tp->ssthresh : fl;
			tp->dupacks = 0;
			tp->cc->on_recovery_end(s, tp);
		} else {
			if (!(tp->flags & TF_SACK)) {
				/* RFC 6582 3.2 (5): partial ACK, resend the next hole, deflate */
				tcp_retransmit_una(s, tp);
				tp->cwnd = tp->cwnd > acked ? tp->cwnd - acked : 0;
				if (acked >= tcp_maxseg(s, tp))
					tp->cwnd += tcp_maxseg(s, tp);
				if (tp->cwnd < tcp_maxseg(s, tp))
					tp->cwnd = tcp_maxseg(s, tp);
			}
			if (seq_lt(tp->high_rxt, tp->snd_una))
				tp->high_rxt = tp->snd_una;
		}
	} else {
		tp->dupacks = 0;
		/* RFC 7661 / RFC 9438 5.8 in their simplest form: the window grows only while it
		 * is what limits the sender (in slow start: half of it in flight), not while the
		 * application or the peer's window does */
		bool limited = tp->cwnd < tp->ssthresh ? 2 * flight_before >= tp->cwnd :
			       flight_before + tcp_maxseg(s, tp) >= tp->cwnd;
		if (limited)
			tp->cc->on_ack(s, tp, acked);
	}
	/* RFC 6298 5.2, 5.3 */
	if (tp->snd_una == tp->snd_max)
		timer_cancel(s, &tp->t_rexmt);
	else
		tcp_rexmt_arm(s, tp);
	tcp_tlp_arm(s, tp);
	if (data_acked) {
		tcp_nud_hint(s, tp);
		tcp_wakeup(s, tp);
	}
}

static void dup_ack(struct umk_stack *s, struct tcpcb *tp, uint32_t newly_sacked)
{
	COUNT(s, TCP_DUPACKS);
	tp->dupacks++;
	if (tp->flags & TF_RECOVERY) {
		if (!(tp->flags & TF_SACK))
			tp->cwnd += tcp_maxseg(s, tp);   /* RFC 6582 3.2 (4) */
		return;
	}
	bool lost = (tp->flags & TF_SACK) && newly_sacked && tcp_sb_is_lost(tp, tp->snd_una);
	if (tp->dupacks < TCP_DUPTHRESH && !lost) {
		tcp_lt_dupack(s, tp);
		return;
	}
	/* RFC 6582 3.2 (2): not again for data sent before the last recovery or timeout */
	if (!tcp_recovery_allowed(tp)) {
		if (tp->snd_una != tp->recover || tp->dupacks != TCP_DUPTHRESH)
			return;
	}
	tcp_enter_recovery(s, tp);
}

bool tcp_recovery_allowed(const struct tcpcb *tp)
{
	return seq_gt(tp->snd_una, tp->recover) || tp->recover == tp->iss;
}

void tcp_enter_recovery(struct umk_stack *s, struct tcpcb *tp)
{
	COUNT(s, TCP_FAST_RETRANS);
	tp->ssthresh = tp->cc->on_loss(s, tp, false);
	tp->recover = tp->snd_max;
	tp->flags |= TF_RECOVERY;
	tp->flags &= ~(unsigned)(TF_RTT_TIMING | TF_TLP_OUT | TF_RACK_WAIT);
	tp->lt_extra = 0;
	timer_cancel(s, &tp->t_tlp);
	tp->high_rxt = tp->snd_una;
	if (tp->flags & TF_SACK)
		tcp_prr_start(tp);
	tcp_retransmit_una(s, tp);
	if (tp->flags & TF_SACK) {
		/* RFC 6675 5 (4.2) would set cwnd = ssthresh at once; RFC 6937 PRR instead
		 * brings the flight down to ssthresh in step with what the ACKs deliver
		 * (tcp_prr_ack, on this ACK too) */
		COUNT(s, TCP_SACK_RECOVERY);
	} else {
		tp->cwnd = tp->ssthresh + 3 * tcp_maxseg(s, tp);   /* RFC 6582 3.2 (2) */
	}
	tcp_rexmt_arm(s, tp);
}

/* ---- data and FIN (seventh and eighth) ---- */

static void fin_arrived(struct umk_stack *s, struct tcpcb *tp)
{
	tp->rcv_nxt++;
	tp->flags |= TF_RCVD_FIN | TF_ACKNOW;
	tp->flags &= ~(unsigned)TF_OOO_FIN;
	switch (tp->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tcp_set_state(s, tp, TCPS_CLOSE_WAIT);
		break;
	case TCPS_FIN_WAIT_1:
		if (fin_acked(tp)) {
			tcp_set_state(s, tp, TCPS_TIME_WAIT);
			tcp_timewait_arm(s, tp);
		} else {
			tcp_set_state(s, tp, TCPS_CLOSING);
		}
		break;
	case TCPS_FIN_WAIT_2:
		tcp_set_state(s, tp, TCPS_TIME_WAIT);
		tcp_timewait_arm(s, tp);
		break;
	default:
		break;
	}
	tcp_wakeup(s, tp);
}

/* Returns false when the connection went away. */
static bool receive_data(struct umk_stack *s, struct tcpcb *tp, uint32_t seq,
			 const uint8_t *data, uint32_t dlen, bool fin)
{
	if (dlen && !tp->so && !tp->parent && tp->state != TCPS_CLOSE_WAIT) {
		/* the application closed and cannot read it (RFC 2525 2.17, as BSD/Linux) */
		COUNT(s, TCP_IN_DATA_AFTER_CLOSE);
		tcp_send_rst(s, tp);
		tcp_drop(s, tp, 0);
		return false;
	}
	if (seq_lt(seq, tp->rcv_nxt)) {
		uint32_t d = tp->rcv_nxt - seq;
		if (d >= dlen) {
			if (dlen)
				COUNT(s, TCP_IN_DUP_SEGS);
			if (d > dlen)
				fin = false;   /* a FIN we already have */
			data += dlen;
			dlen = 0;
			tp->flags |= TF_ACKNOW;
		} else {
			data += d;
			dlen -= d;
		}
		seq = tp->rcv_nxt;
	}
	uint32_t space = tcp_rcv_space(tp);
	uint32_t off = seq - tp->rcv_nxt;
	if (dlen && off + dlen > space) {
		COUNT(s, TCP_IN_TRIMMED);
		dlen = off < space ? space - off : 0;
		fin = false;
		tp->flags |= TF_ACKNOW;
	}
	if (dlen && tp->rq.buf) {
		ring_write_at(&tp->rq, tp->rq.len + off, data, dlen);
		if (!off) {
			tp->rq.len += dlen;
			tp->rcv_nxt += dlen;
			if (tp->n_ooo) {
				/* RFC 5681 4.2: filling a hole is acknowledged at once */
				uint32_t nn = tcp_ooo_advance(tp, tp->rcv_nxt);
				tp->rq.len += nn - tp->rcv_nxt;
				tp->rcv_nxt = nn;
				tp->flags |= TF_ACKNOW;
			}
			/* every second full segment (RFC 5681 4.2); a super-segment from a receive
			 * offload is several at once */
			if (++tp->segs_unacked >= 2 || dlen > tp->mss)
				tp->flags |= TF_ACKNOW;
			else
				tp->flags |= TF_DELACK;
			tcp_wakeup(s, tp);
		} else {
			/* out of order: a duplicate ACK at once carries the SACK (RFC 5681 4.2) */
			COUNT(s, TCP_IN_OOO_SEGS);
			if (!tcp_ooo_add(tp, seq, seq + dlen))
				COUNT(s, TCP_IN_OOO_FULL);
			tp->flags |= TF_ACKNOW;
			if (fin) {
				tp->flags |= TF_OOO_FIN;
				tp->rcv_fin_seq = seq + dlen;
				fin = false;
			}
		}
	} else if (fin && off) {
		tp->flags |= TF_OOO_FIN | TF_ACKNOW;
		tp->rcv_fin_seq = seq;
		fin = false;
	}
	if ((fin && seq + dlen == tp->rcv_nxt) ||
	    ((tp->flags & TF_OOO_FIN) && tp->rcv_fin_seq == tp->rcv_nxt))
		fin_arrived(s, tp);
	if ((tp->flags & TF_DELACK) && !(tp->flags & TF_ACKNOW) && !timer_armed(&tp->t_delack))
		timer_arm_in(s, &tp->t_delack, TCP_DELACK_MS);
	return true;
}

/* ---- synchronized states (3.10.7.4) ---- */

static void synced_input(struct umk_stack *s, struct tcpcb *tp, struct seg *g)
{
	struct tcp_hdr_info *th = &g->th;
	uint8_t fl = th->flags;
	uint32_t seq = th->seq;
	uint32_t dlen = th->payload_len;
	bool has_ts = (tp->flags & TF_TS) && (th->opt.present & TCPO_TS);

	/* a retransmitted SYN while our SYN-ACK is out: say it again */
	if (tp->state == TCPS_SYN_RECEIVED && (fl & TH_SYN) && !(fl & (TH_ACK | TH_RST)) &&
	    seq == tp->irs) {
		tp->snd_nxt = tp->iss;
		tcp_output(s, tp);
		return;
	}
	/* RFC 7323 5.3 R1: PAWS */
	if (has_ts && !(fl & TH_RST) && seq_lt(th->opt.tsval, tp->ts_recent)) {
		if (s->now - tp->ts_recent_age > TCP_PAWS_IDLE_MS) {
			tp->ts_recent = th->opt.tsval;   /* 5.5: TS.Recent is too old to judge */
		} else {
			COUNT(s, TCP_IN_PAWS);
			tp->flags |= TF_ACKNOW;
			tcp_output(s, tp);
			return;
		}
	}
	/* first: is the segment acceptable (RFC 9293 3.10.7.4 table) */
	uint32_t wnd = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t seglen = g->seglen;
	bool ok;
	if (!seglen)
		ok = wnd ? seq_in(seq, tp->rcv_nxt, tp->rcv_nxt + wnd) : seq == tp->rcv_nxt;
	else
		ok = wnd && (seq_in(seq, tp->rcv_nxt, tp->rcv_nxt + wnd) ||
			     seq_in(seq + seglen - 1, tp->rcv_nxt, tp->rcv_nxt + wnd));
	if (!ok && !wnd && seq == tp->rcv_nxt) {
		/* a zero window still takes ACKs and RSTs (the data waits; a window probe) */
		ok = true;
		dlen = 0;
		fl &= (uint8_t)~TH_FIN;
		tp->flags |= TF_ACKNOW;
	}
	if (!ok) {
		if (fl & TH_RST) {
			COUNT(s, TCP_IN_RST_OUT_OF_WINDOW);
			return;
		}
		if (seq_lt(seq, tp->rcv_nxt))
			COUNT(s, TCP_IN_DUP_SEGS);
		else
			COUNT(s, TCP_IN_OUT_OF_WINDOW);
		tp->flags |= TF_ACKNOW;
		tcp_output(s, tp);
		return;
	}
	/* second: RST (RFC 5961 3.2: only an exact match resets; in window, a challenge) */
	if (fl & TH_RST) {
		if (seq != tp->rcv_nxt) {
			COUNT(s, TCP_IN_RST_CHALLENGED);
			tcp_challenge_ack(s, tp);
			return;
		}
		switch (tp->state) {
		case TCPS_SYN_RECEIVED:
			if (tp->flags & TF_PASSIVE) {
				tcp_closed(s, tp);        /* back to LISTEN: the child goes */
				return;
			}
			COUNT(s, TCP_CONN_REFUSED);
			tcp_drop(s, tp, ECONNREFUSED);
			return;
		case TCPS_ESTABLISHED:
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
		case TCPS_CLOSE_WAIT:
			tcp_drop(s, tp, ECONNRESET);
			return;
		default:
			tcp_closed(s, tp);
			return;
		}
	}
	/* fourth: SYN (RFC 5961 4.2: a challenge ACK, whatever the sequence number) */
	if (fl & TH_SYN) {
		if (tp->state == TCPS_SYN_RECEIVED && (tp->flags & TF_PASSIVE)) {
			tcp_closed(s, tp);
			return;
		}
		COUNT(s, TCP_IN_SYN_CHALLENGED);
		tcp_challenge_ack(s, tp);
		return;
	}
	/* fifth: ACK */
	if (!(fl & TH_ACK)) {
		COUNT(s, TCP_IN_NO_ACK);
		return;
	}
	uint32_t ack = th->ack;
	if (tp->state == TCPS_SYN_RECEIVED) {
		if (!seq_gt(ack, tp->snd_una) || seq_gt(ack, tp->snd_max)) {
			COUNT(s, TCP_IN_SYNRCVD_BADACK);
			tcp_respond(s, g->rx, th, ack, 0, TH_RST);
			return;
		}
		if (tcp_rings_alloc(tp)) {
			COUNT(s, TCP_OUT_NOBUFS);
			tcp_send_rst(s, tp);
			tcp_drop(s, tp, ENOBUFS);
			return;
		}
		tp->snd_wnd = (uint32_t)th->win << tp->snd_wscale;
		tp->max_sndwnd = seq_max(tp->max_sndwnd, tp->snd_wnd);
		tp->snd_wl1 = seq;
		tp->snd_wl2 = ack;
		established(s, tp);
	}
	/* RFC 5961 5.2: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT */
	if (seq_gt(ack, tp->snd_max)) {
		COUNT(s, TCP_IN_ACK_TOO_NEW);
		tcp_challenge_ack(s, tp);
		return;
	}
	if (seq_lt(ack, tp->snd_una - tp->max_sndwnd)) {
		COUNT(s, TCP_IN_ACK_CHALLENGED);
		tcp_challenge_ack(s, tp);
		return;
	}
	tp->rcv_time = s->now;
	/* RFC 7323 4.3 (2): TS.Recent from a segment covering Last.ACK.sent */
	if (has_ts && seq_geq(th->opt.tsval, tp->ts_recent) && seq_leq(seq, tp->last_ack_sent)) {
		tp->ts_recent = th->opt.tsval;
		tp->ts_recent_age = s->now;
	}
	uint32_t win = (uint32_t)th->win << tp->snd_wscale;
	uint32_t newly = (tp->flags & TF_SACK) ? tcp_sb_update(tp, &th->opt) : 0;
	uint32_t old_una = tp->snd_una;
	uint32_t delivered = newly + (seq_gt(ack, tp->snd_una) ? ack - tp->snd_una : 0);
	if (seq_gt(ack, tp->snd_una)) {
		new_ack(s, tp, th);
	} else if (ack == tp->snd_una && !dlen && !(fl & TH_FIN) && tp->snd_max != tp->snd_una &&
		   (win == tp->snd_wnd || newly)) {
		dup_ack(s, tp, newly);
	}
	/* RFC 8985 6.2: is the segment at SND.UNA (first sent, or resent) lost? */
	if ((tp->flags & TF_SACK) && tp->state >= TCPS_ESTABLISHED)
		tcp_rack_ack(s, tp, th, old_una);
	if (delivered)
		tcp_prr_ack(s, tp, delivered);
	/* RFC 9293 3.10.7.4: window update from a newer segment */
	if (seq_lt(tp->snd_wl1, seq) || (tp->snd_wl1 == seq && seq_leq(tp->snd_wl2, ack))) {
		if (win && !tp->snd_wnd) {
			timer_cancel(s, &tp->t_persist);
			tp->persist_shift = 0;
		}
		tp->snd_wnd = win;
		tp->snd_wl1 = seq;
		tp->snd_wl2 = ack;
		if (win > tp->max_sndwnd)
			tp->max_sndwnd = win;
	}
	switch (tp->state) {
	case TCPS_FIN_WAIT_1:
		if (fin_acked(tp)) {
			tcp_set_state(s, tp, TCPS_FIN_WAIT_2);
			tcp_keep_arm(s, tp);
		}
		break;
	case TCPS_CLOSING:
		if (fin_acked(tp)) {
			tcp_set_state(s, tp, TCPS_TIME_WAIT);
			tcp_timewait_arm(s, tp);
		}
		break;
	case TCPS_LAST_ACK:
		if (fin_acked(tp)) {
			tcp_closed(s, tp);
			return;
		}
		break;
	case TCPS_TIME_WAIT:
		if (fl & TH_FIN) {       /* the peer's FIN again: ACK and restart 2 MSL */
			tp->flags |= TF_ACKNOW;
			tcp_timewait_arm(s, tp);
		}
		break;
	default:
		break;
	}
	bool rcv_open = tp->state == TCPS_ESTABLISHED || tp->state == TCPS_FIN_WAIT_1 ||
			tp->state == TCPS_FIN_WAIT_2;
	/* sixth: URG (RFC 9293 3.8.5); after the peer's FIN there is no urgent data to come */
	if ((fl & TH_URG) && rcv_open && !(tp->flags & TF_RCVD_FIN))
		tcp_urg_input(s, tp, seq, th->urp);
	/* seventh and eighth: text and FIN */
	if ((dlen || (fl & TH_FIN)) && rcv_open) {
		if (!receive_data(s, tp, seq, th->payload, dlen, fl & TH_FIN))
			return;
		if (tp->flags & TF_RCV_URG)
			tcp_urg_data_arrived(tp);
	} else if (dlen && tp->state != TCPS_TIME_WAIT) {
		tp->flags |= TF_ACKNOW;  /* after the peer's FIN: nothing more can be data */
	}
	/* corked around a driver's batch, the ACK of data waits for the batch's end: one for
	 * its segments; what an ACK lets out goes at once (ACK clocking, no bursts) */
	if (dlen)
		tcp_output_soon(s, tp);
	else
		tcp_output(s, tp);
}

/* ---- entry ---- */

void tcp_input_segment(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	struct seg g = { .rx = rx };
	struct tcp_hdr_info *th = &g.th;

	COUNT(s, TCP_IN_SEGS);
	if (rx->flags & IP6_RX_DST_MCAST || IN6_IS_ADDR_MULTICAST(&rx->src)) {
		COUNT(s, TCP_IN_MCAST);     /* RFC 9293 3.9.1: TCP is unicast only */
		goto drop;
	}
	switch (tcp_parse(pkt->data, pkt->len, th)) {
	case TCP_OK:
		break;
	case TCP_ERR_SHORT:
		COUNT(s, TCP_IN_SHORT);
		goto bad;
	case TCP_ERR_OFFSET:
		COUNT(s, TCP_IN_BAD_OFFSET);
		goto bad;
	default:
		COUNT(s, TCP_IN_BAD_OPTION);
		goto bad;
	}
	/* a checksum the driver's other side left open (it made the segment) or verified
	 * (virtio-net's DATA_VALID) is not summed again */
	if (!pkt_csum_trusted(pkt, TCP_OFF_CSUM) &&
	    csum_ip6(&rx->src, &rx->dst, IPPROTO6_TCP, pkt->data, pkt->len) != 0) {
		COUNT(s, TCP_IN_CSUM_ERRORS);
		goto bad;
	}
	g.seglen = th->payload_len + !!(th->flags & TH_SYN) + !!(th->flags & TH_FIN);
	int zone = rx->ifp ? rx->ifp->index : 0;
	struct tcpcb *tp = tcp_lookup(s, &rx->dst, th->dport, &rx->src, th->sport, zone);
	if (tp && tp->state == TCPS_TIME_WAIT && (th->flags & TH_SYN) &&
	    !(th->flags & (TH_ACK | TH_RST))) {
		/* RFC 6191 / RFC 9293 3.10.7.4: a new incarnation may reuse the 4-tuple when its
		 * SYN is clearly newer than what TIME_WAIT guards */
		bool newer = (tp->flags & TF_TS) && (th->opt.present & TCPO_TS) ?
			     seq_gt(th->opt.tsval, tp->ts_recent) : seq_gt(th->seq, tp->rcv_nxt);
		struct tcpcb *lp = tcp_lookup_listener(s, &rx->dst, th->dport, zone);
		if (newer && lp) {
			COUNT(s, TCP_IN_TW_RECYCLED);
			tcp_closed(s, tp);
			listen_input(s, lp, &g);
			goto drop;
		}
	}
	if (!tp || tp->state == TCPS_CLOSED) {
		struct tcpcb *lp = tcp_lookup_listener(s, &rx->dst, th->dport, zone);
		if (lp)
			listen_input(s, lp, &g);
		else
			closed_input(s, &g);
		goto drop;
	}
	if (tp->state == TCPS_SYN_SENT)
		syn_sent_input(s, tp, &g);
	else
		synced_input(s, tp, &g);
	goto drop;
bad:
	COUNT(s, TCP_IN_ERRS);
drop:
	pkt_free(s, pkt);
}
