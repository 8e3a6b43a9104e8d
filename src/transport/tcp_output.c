/*
 * tcp_output.c - sending (RFC 9293 3.8, 3.10): what the state, the peer's window, the
 * congestion window and Nagle allow (tcp_output), the segment builder (tcp_xmit) with its
 * options (MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK), the window we
 * advertise with receiver SWS avoidance (RFC 9293 3.8.6.2.2), RFC 6675 retransmissions in
 * SACK recovery, RSTs for segments without a connection (3.10.7.1) and rate-limited challenge
 * ACKs (RFC 5961 7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "socket/sock_int.h"
#include "transport/tcp_int.h"
#include "wire/ip6_const.h"

uint32_t tcp_ts_now(struct umk_stack *s, const struct tcpcb *tp)
{
	return (uint32_t)s->now + tp->ts_offset;  /* RFC 7323 5.4: 1 ms clock, random offset */
}

uint32_t tcp_rcv_space(const struct tcpcb *tp)
{
	return tp->rq.buf ? tp->rq.cap - tp->rq.len : tp->rcvbuf;
}

uint16_t tcp_rcv_window(struct tcpcb *tp)
{
	uint32_t space = tcp_rcv_space(tp);
	uint32_t adv = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t sws = tp->rq.cap / 2 < tp->mss ? tp->rq.cap / 2 : tp->mss;
	/* RFC 9293 3.8.6.2.2: open the window only by a useful amount; never shrink it */
	if (space > adv && space - adv < sws)
		space = adv;
	if (space < adv)
		space = adv;
	uint32_t w = space >> tp->rcv_wscale;
	if (w > 65535)
		w = 65535;
	uint32_t edge = tp->rcv_nxt + (w << tp->rcv_wscale);
	if (seq_gt(edge, tp->rcv_adv))
		tp->rcv_adv = edge;
	if (w == 0)
		tp->flags |= TF_SENT_WIN0;
	else
		tp->flags &= ~(unsigned)TF_SENT_WIN0;
	return (uint16_t)w;
}

/* Options of a segment with these flags; the MSS, window scale and SACK-Permitted only on
 * SYNs (RFC 7323 2.2, RFC 2018 2), SACK blocks on ACKs while data is held out of order. */
static void build_opts(struct umk_stack *s, struct tcpcb *tp, uint8_t flags, struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (flags & TH_SYN) {
		o->present |= TCPO_MSS;
		o->mss = tcp_mss_advertise(s, tp);
		if (tp->flags & TF_WSCALE) {
			o->present |= TCPO_WSCALE;
			o->wscale = tp->rcv_wscale;
		}
		if (tp->flags & TF_SACK)
			o->present |= TCPO_SACK_OK;
	}
	if (tp->flags & TF_TS) {
		o->present |= TCPO_TS;
		o->tsval = tcp_ts_now(s, tp);
		o->tsecr = (flags & TH_ACK) ? tp->ts_recent : 0;
	}
	if ((tp->flags & TF_SACK) && !(flags & TH_SYN) && (flags & TH_ACK) && tp->n_ooo) {
		uint8_t max = (tp->flags & TF_TS) ? 3 : 4;
		o->n_sack = tcp_sack_blocks(tp, o->sack, max);
		if (o->n_sack)
			o->present |= TCPO_SACK;
	}
}

/* What every segment of the connection asks of IPv6 output. */
static void tx_fill(const struct tcpcb *tp, struct ip6_tx *tx)
{
	ip6_tx_init(tx, IPPROTO6_TCP);
	tx->src = tp->laddr;
	tx->dst = tp->faddr;
	tx->zone = tp->zone;
	tx->csum_off = TCP_OFF_CSUM;
	tx->flags = IP6_TX_DONTFRAG;  /* segments fit the path MTU (RFC 8201 5.2) */
	if (tp->so) {
		tx->hlim = tp->so->opt.unicast_hops;
		if (tp->so->opt.tclass > 0)
			tx->tclass = (uint8_t)tp->so->opt.tclass;
	}
}

/* The most new data one tcp_xmit may carry: a whole number of segments up to a 64 KiB
 * IPv6 payload where the path takes super-segments (ip6_tx_offloads: an interface with
 * TSO), else one segment. Urgent data goes in plain segments: each carries its own
 * pointer (RFC 9293 3.8.5). */
static uint32_t send_limit(struct umk_stack *s, struct tcpcb *tp, uint32_t maxseg)
{
	struct ip6_tx tx;

	if (tp->flags & TF_SND_URG)
		return maxseg;
	tx_fill(tp, &tx);
	if (!(ip6_tx_offloads(s, &tx, NULL) & UMK_OFFLOAD_TSO6))
		return maxseg;
	uint32_t n = (IP6_MAX_PAYLOAD - TCP_MAX_HLEN) / maxseg;
	return n > 1 ? n * maxseg : maxseg;
}

int tcp_xmit(struct umk_stack *s, struct tcpcb *tp, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct tcp_hdr_info h;
	uint8_t hdr[TCP_MAX_HLEN];

	memset(&h, 0, sizeof(h));
	h.sport = tp->lport;
	h.dport = tp->fport;
	h.seq = seq;
	h.flags = flags;
	if (flags & TH_ACK)
		h.ack = tp->rcv_nxt;
	build_opts(s, tp, flags, &h.opt);
	if (flags & TH_SYN) {
		/* RFC 7323 2.2: the window of a SYN is never scaled */
		uint32_t space = tcp_rcv_space(tp);
		h.win = (uint16_t)(space > 65535 ? 65535 : space);
		if (seq_gt(tp->rcv_nxt + h.win, tp->rcv_adv))
			tp->rcv_adv = tp->rcv_nxt + h.win;
	} else if (flags & TH_RST) {
		h.win = 0;
	} else {
		h.win = tcp_rcv_window(tp);
	}
	tcp_urg_fill(tp, &h);
	size_t hl = tcp_emit(hdr, &h);
	struct umk_pkt *pkt = pkt_alloc(s, (uint32_t)hl + len, PKT_HEADROOM);
	if (!pkt) {
		COUNT(s, TCP_OUT_NOBUFS);
		return -ENOBUFS;
	}
	uint8_t *p = pkt_put(pkt, (uint32_t)hl + len);
	memcpy(p, hdr, hl);
	if (len)
		ring_peek(&tp->sq, seq - tp->sq_seq, p + hl, len);

	struct ip6_tx tx;
	tx_fill(tp, &tx);
	/* more than one segment's payload: a super-segment, cut into segments of the
	 * payload an ACK-flagged segment carries (what tcp_maxseg gives) */
	uint32_t per = tp->mss > hl - TCP_HLEN + 1 ? tp->mss - (uint32_t)(hl - TCP_HLEN) : 1;
	uint32_t nsegs = 1;
	if (len > per) {
		tx.gso_size = (uint16_t)per;
		nsegs = (len + per - 1) / per;
	}
	int r = ip6_output(s, pkt, &tx);
	if (r < 0) {
		if (r == -EMSGSIZE) {
			COUNT(s, TCP_OUT_MSGSIZE);
			tcp_mss_update(s, tp);
		} else {
			COUNT(s, TCP_OUT_ERRORS);
		}
		return r;
	}
	s->counters[CNT_TCP_OUT_SEGS] += nsegs;    /* RFC 4022 tcpOutSegs: wire segments */
	if (len) {
		tp->tso_segs = nsegs;
		tcp_rack_sent(s, tp, seq, len);
	}
	if (nsegs > 1)
		COUNT(s, TCP_OUT_SUPER_SEGS);
	if (tp->flags & TF_RECOVERY)
		tp->prr_out += len;          /* RFC 6937 */
	if (flags & TH_RST)
		COUNT(s, TCP_OUT_RSTS);
	if (h.flags & TH_URG)
		COUNT(s, TCP_OUT_URGENT);
	if (flags & TH_ACK) {
		tp->last_ack_sent = tp->rcv_nxt;
		tp->flags &= ~(unsigned)(TF_ACKNOW | TF_DELACK);
		tp->segs_unacked = 0;
		timer_cancel(s, &tp->t_delack);
	}
	return 0;
}

void tcp_send_ack(struct umk_stack *s, struct tcpcb *tp)
{
	tcp_xmit(s, tp, tp->snd_nxt, 0, TH_ACK);
}

void tcp_send_rst(struct umk_stack *s, struct tcpcb *tp)
{
	tcp_xmit(s, tp, tp->snd_max, 0, TH_RST | TH_ACK);
}

void tcp_challenge_ack(struct umk_stack *s, struct tcpcb *tp)
{
	struct tcp_state *st = s->tcp;
	/* RFC 5961 7: a stack-wide budget per second */
	if (s->now - st->challenge_refill >= 1000) {
		st->challenge_refill = s->now;
		st->challenge_tokens = s->limits.tcp_challenge_acks;
	}
	if (!st->challenge_tokens) {
		COUNT(s, TCP_CHALLENGE_LIMITED);
		return;
	}
	st->challenge_tokens--;
	COUNT(s, TCP_CHALLENGE_ACKS);
	tcp_send_ack(s, tp);
}

/* A segment that belongs to no connection, built from the segment it answers. */
static void respond(struct umk_stack *s, const struct in6_addr *src, const struct in6_addr *dst,
		    int zone, struct tcp_hdr_info *h, uint32_t win)
{
	uint8_t hdr[TCP_MAX_HLEN];
	h->win = (uint16_t)(win > 65535 ? 65535 : win);
	size_t hl = tcp_emit(hdr, h);
	struct umk_pkt *pkt = pkt_alloc(s, (uint32_t)hl, PKT_HEADROOM);
	if (!pkt) {
		COUNT(s, TCP_OUT_NOBUFS);
		return;
	}
	memcpy(pkt_put(pkt, (uint32_t)hl), hdr, hl);
	struct ip6_tx tx;
	ip6_tx_init(&tx, IPPROTO6_TCP);
	tx.src = *src;
	tx.dst = *dst;
	tx.zone = zone;
	tx.csum_off = TCP_OFF_CSUM;
	if (ip6_output(s, pkt, &tx) < 0) {
		COUNT(s, TCP_OUT_ERRORS);
		return;
	}
	COUNT(s, TCP_OUT_SEGS);
	if (h->flags & TH_RST)
		COUNT(s, TCP_OUT_RSTS);
}

void tcp_respond(struct umk_stack *s, const struct ip6_rx *rx, const struct tcp_hdr_info *th,
		 uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct tcp_hdr_info h;
	memset(&h, 0, sizeof(h));
	h.sport = th->dport;
	h.dport = th->sport;
	h.seq = seq;
	h.ack = ack;
	h.flags = flags;
	int zone = rx->ifp ? rx->ifp->index : 0;
	respond(s, &rx->dst, &rx->src, zone, &h, 0);
}

void tcp_send_synack_stateless(struct umk_stack *s, const struct ip6_rx *rx,
			       const struct tcp_hdr_info *th, uint32_t iss, uint16_t mss,
			       const struct tcp_opts *synopt, uint32_t tsval, uint32_t win)
{
	struct tcp_hdr_info h;
	memset(&h, 0, sizeof(h));
	h.sport = th->dport;
	h.dport = th->sport;
	h.seq = iss;
	h.ack = th->seq + 1;
	h.flags = TH_SYN | TH_ACK;
	h.opt.present = TCPO_MSS;
	h.opt.mss = mss;
	/* without timestamps there is nowhere to keep the window scale and SACK-Permitted,
	 * so a cookie connection then goes without them (RFC 4987 3.6) */
	if (synopt->present & TCPO_TS) {
		h.opt.present |= TCPO_TS;
		h.opt.tsval = tsval;
		h.opt.tsecr = synopt->tsval;
		if (synopt->present & TCPO_WSCALE) {
			h.opt.present |= TCPO_WSCALE;
			h.opt.wscale = tcp_rcv_wscale_for(win);
		}
		if (synopt->present & TCPO_SACK_OK)
			h.opt.present |= TCPO_SACK_OK;
	}
	int zone = rx->ifp ? rx->ifp->index : 0;
	respond(s, &rx->dst, &rx->src, zone, &h, win);
}

/* The largest payload of a segment with these flags (Eff.snd.MSS less the options). */
uint32_t tcp_maxseg(struct umk_stack *s, struct tcpcb *tp)
{
	struct tcp_opts o;
	build_opts(s, tp, TH_ACK, &o);
	uint32_t ol = (uint32_t)tcp_opts_len(&o);
	return tp->mss > ol + 1 ? tp->mss - ol : 1;
}

/* RFC 6675 5 (C): retransmissions first, as long as the pipe leaves room. */
static void sack_retransmit(struct umk_stack *s, struct tcpcb *tp, uint32_t maxseg)
{
	for (int guard = 0; guard < 256; guard++) {
		uint32_t pipe = tcp_sb_pipe(tp), seq, len;
		if (tp->cwnd <= pipe || tp->cwnd - pipe < maxseg)
			return;
		if (!tcp_sb_next_seg(tp, &seq, &len))
			return;
		if (len > maxseg)
			len = maxseg;
		if (tcp_xmit(s, tp, seq, len, TH_ACK))
			return;
		COUNT(s, TCP_RETRANS_SEGS);
		tp->high_rxt = seq + len;
		if (!timer_armed(&tp->t_rexmt))
			tcp_rexmt_arm(s, tp);
	}
}

void tcp_output(struct umk_stack *s, struct tcpcb *tp)
{
	uint32_t seglim = 0;
	for (int guard = 0; guard < 4096; guard++) {
		uint8_t flags;
		switch (tp->state) {
		case TCPS_CLOSED:
		case TCPS_LISTEN:
			return;
		case TCPS_SYN_SENT:
		case TCPS_SYN_RECEIVED:
			if (tp->snd_nxt != tp->iss) {
				if (tp->flags & TF_ACKNOW && tp->state == TCPS_SYN_RECEIVED)
					tcp_send_ack(s, tp);
				return;
			}
			flags = tp->state == TCPS_SYN_SENT ? TH_SYN : TH_SYN | TH_ACK;
			if (tp->snd_max == tp->iss && !(tp->flags & TF_TS)) {
				tp->flags |= TF_RTT_TIMING;
				tp->rtt_seq = tp->iss;
				tp->rtt_start = s->now;
			}
			if (tcp_xmit(s, tp, tp->iss, 0, flags) == 0 && tp->snd_max != tp->iss)
				COUNT(s, TCP_RETRANS_SEGS);
			tp->snd_nxt = tp->iss + 1;
			tp->snd_max = seq_max(tp->snd_max, tp->snd_nxt);
			if (!timer_armed(&tp->t_rexmt))
				tcp_rexmt_arm(s, tp);
			return;
		default:
			break;
		}
		if (!tp->sq.buf) {
			if (tp->flags & TF_ACKNOW)
				tcp_send_ack(s, tp);
			return;
		}
		uint32_t maxseg = tcp_maxseg(s, tp);
		if (guard == 0)
			seglim = send_limit(s, tp, maxseg);
		bool sack_rec = (tp->flags & (TF_RECOVERY | TF_SACK)) == (TF_RECOVERY | TF_SACK);
		if (sack_rec && guard == 0)
			sack_retransmit(s, tp, maxseg);

		if (seq_lt(tp->snd_nxt, tp->sq_seq))
			tp->snd_nxt = tp->sq_seq;
		uint32_t off = tp->snd_nxt - tp->sq_seq;
		uint32_t avail = tp->sq.len > off ? tp->sq.len - off : 0;
		uint32_t flight = sack_rec ? tcp_sb_pipe(tp) : tp->snd_nxt - tp->snd_una;
		/* RFC 3042: new data past cwnd on the first duplicate ACKs */
		uint32_t cwnd = tp->cwnd + ((tp->flags & TF_RECOVERY) ? 0 : tp->lt_extra);
		uint32_t usable = cwnd > flight ? cwnd - flight : 0;
		uint32_t outstanding = tp->snd_nxt - tp->snd_una;
		uint32_t wleft = tp->snd_wnd > outstanding ? tp->snd_wnd - outstanding : 0;
		if (usable > wleft)
			usable = wleft;
		/* the persist timer forces a send: one byte into a zero window, or past
		 * Nagle and sender SWS avoidance into a small one (RFC 9293 3.8.6.2.1 (d)) */
		bool force = (tp->flags & TF_FORCE) && avail;
		bool probe = force && !tp->snd_wnd;
		if (probe)
			usable = 1;
		uint32_t len = avail < usable ? avail : usable;
		if (len > seglim)
			len = seglim;
		/* a super-segment is whole segments; a shorter rest goes by the rules below */
		if (len > maxseg)
			len -= len % maxseg;
		uint32_t fin_seq = tp->sq_seq + tp->sq.len;
		bool fin = (tp->flags & TF_FIN_QUEUED) && tp->snd_nxt + len == fin_seq &&
			   (tp->state == TCPS_FIN_WAIT_1 || tp->state == TCPS_CLOSING ||
			    tp->state == TCPS_LAST_ACK);

		bool send = false;
		if (len) {
			if (len >= maxseg || (force && tp->snd_nxt == tp->snd_una))
				send = true;
			else if (tp->snd_nxt != tp->snd_max)
				send = true;     /* resending after a timeout */
			/* urgent data goes out past Nagle (RFC 9293 3.8.5: "as quickly as possible") */
			else if ((tp->flags & TF_SND_URG) && seq_lt(tp->snd_nxt, tp->snd_up))
				send = true;
			/* RFC 9293 3.7.4 Nagle, in Minshall's form (Linux's too): a short segment
			 * only while no other short one is unacknowledged, so the short end of a
			 * write goes at once rather than after the ACK of all before it (a round
			 * trip, or an RTO when that ACK is what a loss took); and in SACK recovery
			 * the tail goes as the window lets it, since its SACK is what finds a lost
			 * retransmission before the RTO (no probes in recovery) */
			else if (off + len == tp->sq.len &&
				 ((tp->flags & TF_NODELAY) || tp->snd_nxt == tp->snd_una ||
				  !(tp->flags & TF_SML_OUT) || seq_leq(tp->snd_sml, tp->snd_una) ||
				  (tp->flags & TF_FIN_QUEUED) || sack_rec))
				send = true;
			/* RFC 9293 3.8.6.2.1 sender SWS: at least half the largest window */
			else if (tp->max_sndwnd && len >= tp->max_sndwnd / 2)
				send = true;
		}
		if (fin || (tp->flags & TF_ACKNOW))
			send = true;
		if (!send) {
			if (avail && !timer_armed(&tp->t_rexmt) && !timer_armed(&tp->t_persist))
				tcp_persist_arm(s, tp);
			return;
		}
		flags = TH_ACK;
		if (fin)
			flags |= TH_FIN;
		if (len && off + len == tp->sq.len)
			flags |= TH_PSH;
		bool rexmit = seq_lt(tp->snd_nxt, tp->snd_max);
		int r = tcp_xmit(s, tp, tp->snd_nxt, len, flags);
		if (r) {
			/* no route, no buffers: the retransmission timer tries again */
			if ((len || fin) && !timer_armed(&tp->t_rexmt) && !timer_armed(&tp->t_persist))
				tcp_rexmt_arm(s, tp);
			return;
		}
		if (rexmit && (len || fin))
			COUNT(s, TCP_RETRANS_SEGS);
		if (force)
			tp->flags &= ~(unsigned)TF_FORCE;
		if (probe) {
			/* the probe byte is sent but snd_nxt stays (RFC 9293 3.8.6.1); the persist
			 * timer, not retransmission, repeats it */
			tp->flags &= ~(unsigned)TF_FORCE;
			tp->snd_max = seq_max(tp->snd_max, tp->snd_nxt + 1);
			return;
		}
		if (len && len < maxseg && !rexmit) {
			tp->flags |= TF_SML_OUT;
			tp->snd_sml = tp->snd_nxt + len;
		}
		tp->snd_nxt += len + (fin ? 1 : 0);
		if (seq_gt(tp->snd_nxt, tp->snd_max)) {
			if (!(tp->flags & (TF_TS | TF_RTT_TIMING))) {
				/* RFC 6298 3 / Karn: time one new segment at a time */
				tp->flags |= TF_RTT_TIMING;
				tp->rtt_seq = tp->snd_max;
				tp->rtt_start = s->now;
			}
			tp->snd_max = tp->snd_nxt;
		}
		if ((len || fin) && !timer_armed(&tp->t_rexmt)) {
			timer_cancel(s, &tp->t_persist);
			tcp_rexmt_arm(s, tp);
		}
		/* RFC 8985 7.2: the probe timer restarts after each new segment, so its PTO sees
		 * the flight as it now is (one segment, and only then, waits for a delayed ACK);
		 * in recovery the timer is the reordering timer (tcp_loss.c), left alone */
		if (len && !(tp->flags & TF_RECOVERY))
			tcp_tlp_arm(s, tp);
		if (!len)
			return;
	}
}
