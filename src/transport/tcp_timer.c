/*
 * tcp_timer.c - TCP's timers on the injected clock: retransmission with the RFC 6298 RTO
 * (1 ms granularity from s->now, exponential backoff, Karn), the persist timer probing a zero
 * window (RFC 9293 3.8.6.1), delayed ACKs (RFC 9293 3.8.6.3, RFC 5681 4.2), keepalive
 * (RFC 9293 3.8.4), TIME_WAIT for 2*MSL (3.10.7.4), and the FIN_WAIT_2 limit of orphans.
 * One t_keep timer serves keepalive, TIME_WAIT and FIN_WAIT_2, which never overlap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>

#include "core/stack_int.h"
#include "socket/sock_int.h"
#include "transport/tcp_int.h"

static uint32_t rto_bound(struct umk_stack *s, uint64_t rto)
{
	if (rto < s->limits.tcp_rto_min)
		rto = s->limits.tcp_rto_min;     /* RFC 6298 2.4 */
	if (rto > TCP_RTO_MAX)
		rto = TCP_RTO_MAX;               /* RFC 6298 2.5 */
	return (uint32_t)rto;
}

/* RFC 6298 2.2 and 2.3, with srtt scaled by 8 and rttvar by 4 (G = 1 ms). */
void tcp_rtt_sample(struct umk_stack *s, struct tcpcb *tp, uint32_t rtt)
{
	if (!rtt)
		rtt = 1;
	tp->last_rtt = rtt;
	if (!tp->min_rtt || rtt < tp->min_rtt)
		tp->min_rtt = rtt;
	tcp_hystart_rtt(tp, rtt);
	if (!tp->srtt) {
		tp->srtt = rtt << 3;
		tp->rttvar = rtt << 1;           /* R/2, scaled by 4 */
	} else {
		int32_t delta = (int32_t)rtt - (int32_t)(tp->srtt >> 3);
		uint32_t adelta = (uint32_t)(delta < 0 ? -delta : delta);
		/* RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|; SRTT = 7/8 SRTT + 1/8 R' */
		tp->rttvar = tp->rttvar - (tp->rttvar >> 2) + adelta;
		tp->srtt = (uint32_t)((int32_t)tp->srtt + delta);
		if (tp->srtt < 8)
			tp->srtt = 8;
	}
	uint32_t var4 = tp->rttvar;              /* 4 * RTTVAR (the scaling is 4) */
	tp->rto = rto_bound(s, (uint64_t)(tp->srtt >> 3) + (var4 > 1 ? var4 : 1));
	tp->rxt_shift = 0;
}

void tcp_rexmt_arm(struct umk_stack *s, struct tcpcb *tp)
{
	uint64_t rto = (uint64_t)tp->rto << tp->rxt_shift;
	timer_arm_in(s, &tp->t_rexmt, rto > TCP_RTO_MAX ? TCP_RTO_MAX : rto);
}

void tcp_persist_arm(struct umk_stack *s, struct tcpcb *tp)
{
	uint64_t t = (uint64_t)(tp->rto > TCP_PERSIST_MIN ? tp->rto : TCP_PERSIST_MIN)
		     << tp->persist_shift;
	timer_arm_in(s, &tp->t_persist, t > TCP_PERSIST_MAX ? TCP_PERSIST_MAX : t);
}

void tcp_keep_arm(struct umk_stack *s, struct tcpcb *tp)
{
	if (tp->state == TCPS_FIN_WAIT_2 && !tp->so) {
		timer_arm_in(s, &tp->t_keep, TCP_FIN_TIMEOUT_MS);
		return;
	}
	if (!(tp->flags & TF_KEEPALIVE) || tp->state < TCPS_ESTABLISHED ||
	    tp->state == TCPS_TIME_WAIT) {
		if (tp->state != TCPS_TIME_WAIT)
			timer_cancel(s, &tp->t_keep);
		return;
	}
	tp->keep_probes = 0;
	timer_arm_in(s, &tp->t_keep, tp->keep_idle);
}

void tcp_timewait_arm(struct umk_stack *s, struct tcpcb *tp)
{
	timer_cancel(s, &tp->t_rexmt);
	timer_cancel(s, &tp->t_persist);
	timer_cancel(s, &tp->t_tlp);
	timer_arm_in(s, &tp->t_keep, 2ull * s->limits.tcp_msl);   /* RFC 9293 3.10.7.4 */
}

/* RFC 6298 5.4-5.7 and RFC 5681 3.1: back off, collapse the window, go back to snd_una. */
static void rexmt_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct tcpcb *tp = container_of(t, struct tcpcb, t_rexmt);
	if (!tp->snd_wnd && tp->state >= TCPS_ESTABLISHED) {
		/* the peer's window is shut: what is outstanding was beyond it; probing the
		 * window is the persist timer's job (RFC 9293 3.8.6.1), not a loss */
		tp->snd_nxt = tp->snd_una;
		tcp_persist_arm(s, tp);
		return;
	}
	COUNT(s, TCP_RTO_EXPIRED);
	uint32_t limit = (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED) ?
			 TCP_SYN_RETRIES : TCP_DATA_RETRIES;
	if (tp->rxt_shift >= limit) {
		COUNT(s, TCP_TIMEOUT_DROPS);
		LOG_INFO(s, "tcp [%u->%u]: %s timed out after %u retransmissions", tp->lport,
			 tp->fport, tcp_state_names[tp->state], tp->rxt_shift);
		if (tp->state != TCPS_SYN_SENT)
			tcp_send_rst(s, tp);
		/* RFC 1122 4.2.3.9: a soft error seen meanwhile says more than ETIMEDOUT */
		tcp_drop(s, tp, tp->soft_error ? tp->soft_error : ETIMEDOUT);
		return;
	}
	tp->rxt_shift++;
	if (tp->state >= TCPS_ESTABLISHED && tp->snd_max != tp->snd_una) {
		uint32_t ss = tp->cc->on_loss(s, tp, true);
		tp->ssthresh = ss;
		tp->cwnd = tp->mss - tcp_data_optlen(tp);   /* RFC 5681 3.1: LW = 1 SMSS */
		tp->bytes_acked = 0;
	}
	tp->flags &= ~(unsigned)(TF_RECOVERY | TF_RTT_TIMING | TF_TLP_OUT | TF_RACK_WAIT |
				 TF_UNA_LOST);
	tp->dupacks = 0;
	tp->lt_extra = 0;
	timer_cancel(s, &tp->t_tlp);
	/* RFC 2018 8: after a timeout, prior SACK information is ignored */
	tcp_sb_clear(tp);
	tp->recover = tp->snd_max;      /* RFC 6582 4.2: no fast retransmit for old data */
	tp->snd_nxt = tp->snd_una;
	/* the SYN path resends the SYN from snd_nxt == iss */
	tcp_rexmt_arm(s, tp);
	tcp_output(s, tp);
}

/* RFC 9293 3.8.6.1: probe a zero window, backing off, for as long as the peer answers. */
static void persist_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct tcpcb *tp = container_of(t, struct tcpcb, t_persist);
	if (!tp->snd_wnd) {
		COUNT(s, TCP_PERSIST_PROBES);
		if (tp->persist_shift < 6)
			tp->persist_shift++;
	}
	tp->flags |= TF_FORCE;
	tcp_output(s, tp);
	tp->flags &= ~(unsigned)TF_FORCE;
	if (!tp->snd_wnd && tp->state >= TCPS_ESTABLISHED && tp->sq.len > tp->snd_nxt - tp->sq_seq)
		tcp_persist_arm(s, tp);
}

static void delack_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct tcpcb *tp = container_of(t, struct tcpcb, t_delack);
	if (!(tp->flags & TF_DELACK))
		return;
	COUNT(s, TCP_DELAYED_ACKS);
	tp->flags |= TF_ACKNOW;
	tcp_output(s, tp);
}

static void keep_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct tcpcb *tp = container_of(t, struct tcpcb, t_keep);
	switch (tp->state) {
	case TCPS_TIME_WAIT:
		COUNT(s, TCP_TIMEWAIT_DONE);
		tcp_closed(s, tp);
		return;
	case TCPS_FIN_WAIT_2:
		if (!tp->so) {
			tcp_closed(s, tp);
			return;
		}
		break;
	default:
		break;
	}
	if (!(tp->flags & TF_KEEPALIVE) || tp->state < TCPS_ESTABLISHED)
		return;
	uint64_t idle = s->now - tp->rcv_time;
	if (idle < tp->keep_idle) {
		timer_arm_in(s, &tp->t_keep, tp->keep_idle - idle);
		tp->keep_probes = 0;
		return;
	}
	if (tp->keep_probes >= tp->keep_cnt) {
		COUNT(s, TCP_KEEPALIVE_DROPS);
		tcp_send_rst(s, tp);
		tcp_drop(s, tp, tp->soft_error ? tp->soft_error : ETIMEDOUT);
		return;
	}
	/* RFC 9293 3.8.4: SEG.SEQ = SND.NXT-1, no data, so the peer must answer with an ACK */
	COUNT(s, TCP_KEEPALIVE_PROBES);
	tp->keep_probes++;
	tcp_xmit(s, tp, tp->snd_una - 1, 0, TH_ACK);
	timer_arm_in(s, &tp->t_keep, tp->keep_intvl);
}

void tcp_timers_init(struct tcpcb *tp)
{
	timer_init(&tp->t_rexmt, rexmt_fire);
	timer_init(&tp->t_persist, persist_fire);
	timer_init(&tp->t_delack, delack_fire);
	timer_init(&tp->t_keep, keep_fire);
	tcp_tlp_init(tp);
}

void tcp_timers_cancel(struct umk_stack *s, struct tcpcb *tp)
{
	timer_cancel(s, &tp->t_rexmt);
	timer_cancel(s, &tp->t_persist);
	timer_cancel(s, &tp->t_delack);
	timer_cancel(s, &tp->t_keep);
	timer_cancel(s, &tp->t_tlp);
}
