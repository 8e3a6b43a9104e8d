/*
 * tcp_urgent.c - urgent data (RFC 9293 3.8.5, 3.10.7.4 "sixth, check the URG bit"; RFC 6093).
 *
 * The urgent pointer is the sequence number of the octet after the urgent data (RFC 6093 2,
 * RFC 9293 3.8.5 MUST-31), both ways. A sequence of urgent data of any length is taken
 * (MUST-30): RCV.UP only moves forward and may point past what has arrived. The application is
 * told at once (MUST-32, sock_notify with POLLPRI) and can learn where the urgent data ends
 * (MUST-33): reads stop at the mark and umk_sockatmark() says when the next read starts there.
 *
 * As BSD and Linux, the last urgent octet is also handed out "out of band": without
 * SO_OOBINLINE it is copied out of the receive ring once it arrives, recv(MSG_OOB) returns it,
 * and ordinary reads skip it. RFC 6093 5 advises applications against relying on that; with
 * SO_OOBINLINE the octet stays in the stream and only the mark is kept. One mark at a time:
 * a newer pointer replaces the old one, and an older out-of-band octet not yet read is then
 * ordinary data (as BSD).
 *
 * The receive ring holds the in-order data from tcp_urg_rq_seq(); the urgent octet is at
 * RCV.UP - 1, and nothing is removed from the ring before the application reads past it, so
 * the window accounting is unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "core/stack_int.h"
#include "socket/sock_int.h"
#include "transport/tcp_int.h"

uint32_t tcp_urg_rq_seq(const struct tcpcb *tp)
{
	return tp->rcv_nxt - tp->rq.len - ((tp->flags & TF_RCVD_FIN) ? 1u : 0u);
}

/* The urgent octet is in the ring: keep a copy for MSG_OOB. */
static void extract(struct tcpcb *tp)
{
	if ((tp->flags & (TF_RCV_URG | TF_OOBINLINE | TF_OOB_HAVE | TF_OOB_READ)) != TF_RCV_URG ||
	    !tp->rq.buf)
		return;
	uint32_t first = tcp_urg_rq_seq(tp);
	uint32_t at = tp->rcv_up - 1;
	if (!seq_geq(at, first) || !seq_lt(at, first + tp->rq.len))
		return;
	ring_peek(&tp->rq, at - first, &tp->oob_byte, 1);
	tp->flags |= TF_OOB_HAVE;
}

void tcp_urg_input(struct umk_stack *s, struct tcpcb *tp, uint32_t seq, uint16_t urp)
{
	uint32_t up = seq + urp;
	/* RFC 9293 3.10.7.4: RCV.UP <- max(RCV.UP, SEG.UP); a pointer into data the application
	 * has already read is stale (a retransmission) */
	if (!seq_gt(up, tcp_urg_rq_seq(tp)) ||
	    ((tp->flags & TF_RCV_URG) && !seq_gt(up, tp->rcv_up))) {
		extract(tp);
		return;
	}
	COUNT(s, TCP_IN_URGENT);
	tp->rcv_up = up;
	tp->flags |= TF_RCV_URG;
	tp->flags &= ~(unsigned)(TF_OOB_HAVE | TF_OOB_READ);
	extract(tp);
	tcp_wakeup(s, tp);   /* MUST-32: signal the user (POLLPRI) */
}

void tcp_urg_data_arrived(struct tcpcb *tp)
{
	extract(tp);
}

/* Offset of the mark (the urgent octet) in the ring, or UINT32_MAX without one there. */
static uint32_t mark_off(const struct tcpcb *tp)
{
	if (!(tp->flags & TF_RCV_URG))
		return UINT32_MAX;
	uint32_t first = tcp_urg_rq_seq(tp), at = tp->rcv_up - 1;
	if (!seq_geq(at, first))
		return UINT32_MAX;
	return at - first;
}

uint32_t tcp_urg_readable(const struct tcpcb *tp, uint32_t *skip)
{
	uint32_t m = mark_off(tp), avail = tp->rq.len;
	*skip = 0;
	if (m == UINT32_MAX || m >= avail)
		return avail;
	if (m == 0) {
		if (tp->flags & TF_OOBINLINE)
			return avail;      /* the urgent octet starts this read */
		*skip = 1;             /* the octet went out of band */
		return avail - 1;
	}
	return m;                      /* reads stop at the mark */
}

void tcp_urg_consumed(struct tcpcb *tp)
{
	if ((tp->flags & TF_RCV_URG) && seq_gt(tcp_urg_rq_seq(tp), tp->rcv_up - 1))
		tp->flags &= ~(unsigned)(TF_RCV_URG | TF_OOB_READ);
}

bool tcp_urg_atmark(const struct tcpcb *tp)
{
	return mark_off(tp) == 0;
}

bool tcp_urg_pending(const struct tcpcb *tp)
{
	if (tp->flags & TF_OOBINLINE)
		return tp->flags & TF_RCV_URG;
	return (tp->flags & TF_OOB_HAVE) || ((tp->flags & TF_RCV_URG) && !(tp->flags & TF_OOB_READ));
}

long tcp_urg_recv_oob(struct tcpcb *tp, struct msghdr *msg, int flags)
{
	if (tp->flags & TF_OOBINLINE)
		return -EINVAL;            /* the octet is in the stream (BSD, Linux) */
	if (!(tp->flags & TF_OOB_HAVE))
		return ((tp->flags & TF_RCV_URG) && !(tp->flags & TF_OOB_READ)) ? -EAGAIN : -EINVAL;
	for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) {
		if (!msg->msg_iov[i].iov_len)
			continue;
		memcpy(msg->msg_iov[i].iov_base, &tp->oob_byte, 1);
		msg->msg_flags |= MSG_OOB;
		if (!(flags & MSG_PEEK)) {
			tp->flags &= ~(unsigned)TF_OOB_HAVE;
			if (tp->flags & TF_RCV_URG)
				tp->flags |= TF_OOB_READ;
		}
		return 1;
	}
	return 0;
}

void tcp_urg_send_mark(struct tcpcb *tp)
{
	/* RFC 6093 / RFC 9293 3.8.5: the pointer is the octet after the urgent data */
	tp->snd_up = tp->sq_seq + tp->sq.len;
	tp->flags |= TF_SND_URG;
}

void tcp_urg_fill(struct tcpcb *tp, struct tcp_hdr_info *h)
{
	if (!(tp->flags & TF_SND_URG) || (h->flags & (TH_SYN | TH_RST)))
		return;
	if (!seq_lt(tp->snd_una, tp->snd_up)) {
		tp->flags &= ~(unsigned)TF_SND_URG;   /* the urgent data is acknowledged */
		return;
	}
	if (!seq_gt(tp->snd_up, h->seq))
		return;
	uint32_t off = tp->snd_up - h->seq;
	h->flags |= TH_URG;
	/* a pointer beyond 16 bits: say "urgent data continues past this segment" */
	h->urp = (uint16_t)(off > 65535 ? 65535 : off);
}
