/*
 * tcp_sock.c - TCP's row of the socket layer (struct sock_proto): attach, bind with ports
 * (RFC 6056 3.3.1), connect, listen, accept, send and recv on the connection's rings
 * (with urgent data, RFC 9293 3.8.5), shutdown and close (RFC 9293 3.10.4), poll, and the
 * TCP and SOL_SOCKET options TCP answers itself. Connection logic is in tcp.c and the files
 * it maps (transport/tcp_int.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "socket/sock_int.h"
#include "transport/tcp.h"
#include "transport/tcp_int.h"
#include "transport/transport.h"

/* RFC 6335 6: the dynamic ports, as UDP */
#define TCP_EPHEMERAL_FIRST 49152
#define TCP_EPHEMERAL_LAST  65535

/* ---- ports (RFC 6056 3.3.1) ---- */

static bool addr_overlap(const struct tcpcb *o, const struct in6_addr *a)
{
	return IN6_IS_ADDR_UNSPECIFIED(&o->laddr) || IN6_IS_ADDR_UNSPECIFIED(a) ||
	       IN6_ARE_ADDR_EQUAL(&o->laddr, a);
}

static bool port_conflict(struct umk_stack *s, const struct tcpcb *tp, const struct sock *so,
			  const struct in6_addr *a, uint16_t port)
{
	for (struct tcpcb *o = s->tcp->all; o; o = o->next) {
		if (o == tp || o->lport != port || !addr_overlap(o, a))
			continue;
		/* SO_REUSEADDR: share with anything but a listener (as BSD and Linux) */
		bool other_reuse = !o->so || o->so->opt.reuseaddr;
		if (so->opt.reuseaddr && other_reuse && o->state != TCPS_LISTEN)
			continue;
		if (so->opt.reuseport && o->so && o->so->opt.reuseport)
			continue;
		return true;
	}
	return false;
}

static int ephemeral_port(struct umk_stack *s, struct tcpcb *tp, struct sock *so,
			  const struct in6_addr *a, uint16_t *port)
{
	uint32_t n = TCP_EPHEMERAL_LAST - TCP_EPHEMERAL_FIRST + 1;
	uint32_t off = (uint32_t)rng_range(s, 0, n - 1);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t p = (uint16_t)(TCP_EPHEMERAL_FIRST + (off + i) % n);
		if (!port_conflict(s, tp, so, a, p)) {
			*port = p;
			return 0;
		}
	}
	COUNT(s, TCP_EPHEMERAL_EXHAUSTED);
	return -EADDRNOTAVAIL;
}

/* ---- the socket row ---- */

static struct tcpcb *cb(struct sock *so) { return so->pcb; }

static int tcp_attach(struct umk_stack *s, struct sock *so)
{
	struct tcpcb *tp = tcp_newcb(s);
	if (!tp)
		return -ENOBUFS;
	tp->so = so;
	so->pcb = tp;
	return 0;
}

static int tcp_bind(struct umk_stack *s, struct sock *so, const struct sockaddr_in6 *a)
{
	struct tcpcb *tp = cb(so);
	int zone, r;
	if (!tp || tp->state != TCPS_CLOSED)
		return -EINVAL;
	if ((r = sock_addr_zone(s, a, &zone)))
		return r;
	const struct in6_addr *addr = &a->sin6_addr;
	if (IN6_IS_ADDR_MULTICAST(addr))
		return -EADDRNOTAVAIL;
	if (!IN6_IS_ADDR_UNSPECIFIED(addr) && !in6_addr_find(s, zone ? if_get(s, zone) : NULL, addr))
		return -EADDRNOTAVAIL;
	uint16_t port = ntohs(a->sin6_port);
	if (!port) {
		if ((r = ephemeral_port(s, tp, so, addr, &port)))
			return r;
	} else if (port_conflict(s, tp, so, addr, port)) {
		return -EADDRINUSE;
	}
	tp->laddr = so->laddr = *addr;
	tp->zone = so->lzone = zone;
	tp->lport = so->lport = port;
	so->flags |= SOCK_F_BOUND;
	return 0;
}

static int tcp_connect(struct umk_stack *s, struct sock *so, const struct sockaddr_in6 *a)
{
	struct tcpcb *tp = cb(so);
	int zone, r;
	if (!tp)
		return -EINVAL;
	switch (tp->state) {
	case TCPS_CLOSED:
		break;
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		return -EALREADY;
	case TCPS_LISTEN:
		return -EINVAL;
	default:
		return -EISCONN;
	}
	if (so->flags & SOCK_F_CONNECTED)
		return -EISCONN;  /* a connection that ended: a socket connects once */
	if (a->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if ((r = sock_addr_zone(s, a, &zone)))
		return r;
	if (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr) || IN6_IS_ADDR_MULTICAST(&a->sin6_addr) ||
	    !a->sin6_port)
		return -EINVAL;
	if (IN6_IS_ADDR_UNSPECIFIED(&tp->laddr)) {
		struct in6_addr src;
		int oif = so->opt.has_pktinfo ? (int)so->opt.pktinfo.ipi6_ifindex : 0;
		if ((r = sock_choose_source(s, &a->sin6_addr, zone, oif, &src)))
			return r;
		tp->laddr = so->laddr = src;
	}
	if (!tp->lport && (r = ephemeral_port(s, tp, so, &tp->laddr, &tp->lport)))
		return r;
	uint16_t fport = ntohs(a->sin6_port);
	if (tcp_lookup(s, &tp->laddr, tp->lport, &a->sin6_addr, fport, zone))
		return -EADDRINUSE;
	so->lport = tp->lport;
	so->flags |= SOCK_F_BOUND;
	tp->faddr = so->faddr = a->sin6_addr;
	tp->fport = so->fport = fport;
	tp->zone = zone;
	so->fzone = zone;
	if (in6_is_scoped(&tp->laddr))
		so->lzone = zone;
	tcp_setup_offer(s, tp, so);
	if ((r = tcp_rings_alloc(tp)))
		return r;
	tp->iss = tcp_isn(s, &tp->laddr, tp->lport, &tp->faddr, tp->fport);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	/* RFC 6582: recover starts at the ISN, which dup_ack reads as "no recovery yet"; left
	 * at 0 it blocked fast retransmit whenever SND.UNA was in the other half of the
	 * sequence space */
	tp->recover = tp->iss;
	tp->sq_seq = tp->iss + 1;
	tp->ts_offset = rng_secure_u32(s);   /* RFC 7323 5.4: per-connection offset */
	tcp_mss_update(s, tp);
	tp->cc->init(s, tp);
	tcp_hash_insert(s, tp);
	tcp_set_state(s, tp, TCPS_SYN_SENT);
	COUNT(s, TCP_ACTIVE_OPENS);
	tcp_output(s, tp);
	return -EINPROGRESS;
}

static int tcp_listen(struct umk_stack *s, struct sock *so, int backlog)
{
	struct tcpcb *tp = cb(so);
	int r;
	if (!tp || (tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN))
		return -EINVAL;
	if (so->flags & SOCK_F_CONNECTED)
		return -EINVAL;
	if (!tp->lport) {
		if ((r = ephemeral_port(s, tp, so, &tp->laddr, &tp->lport)))
			return r;
		so->lport = tp->lport;
		so->flags |= SOCK_F_BOUND;
	}
	/* a port bound with SO_REUSEADDR by several sockets: only one may listen */
	for (struct tcpcb *o = s->tcp->all; o; o = o->next)
		if (o != tp && o->lport == tp->lport && o->state == TCPS_LISTEN &&
		    addr_overlap(o, &tp->laddr) && !(so->opt.reuseport && o->so && o->so->opt.reuseport))
			return -EADDRINUSE;
	if (backlog < 1)
		backlog = 1;
	tp->backlog = (uint32_t)backlog > s->limits.tcp_backlog_max ? s->limits.tcp_backlog_max :
		      (uint32_t)backlog;
	tcp_set_state(s, tp, TCPS_LISTEN);
	return 0;
}

static int tcp_accept(struct umk_stack *s, struct sock *so, struct sock *nso)
{
	struct tcpcb *lp = cb(so);
	if (!lp || lp->state != TCPS_LISTEN)
		return -EINVAL;
	struct tcpcb *tp = lp->q;
	if (!tp)
		return -EAGAIN;
	tcp_unlink_child(tp);
	struct tcpcb *fresh = cb(nso);
	if (fresh) {
		fresh->so = NULL;
		tcp_free(s, fresh);
	}
	nso->pcb = tp;
	tp->so = nso;
	nso->laddr = tp->laddr;
	nso->lport = tp->lport;
	nso->faddr = tp->faddr;
	nso->fport = tp->fport;
	nso->lzone = in6_is_scoped(&tp->laddr) ? tp->zone : 0;
	nso->fzone = in6_is_scoped(&tp->faddr) ? tp->zone : 0;
	nso->opt = so->opt;
	nso->rcvbuf = so->rcvbuf;
	nso->flags |= SOCK_F_BOUND | SOCK_F_CONNECTED;
	if (tp->flags & TF_RCVD_FIN)
		nso->flags |= 0;  /* readable EOF: poll reports it */
	return 0;
}

/* Copies n bytes of the iovec, from byte `skip`, into the send ring's tail. */
static void iov_to_ring(const struct sock_send *ss, struct tcp_ring *r, uint32_t n)
{
	uint32_t done = 0;
	for (size_t i = 0; i < ss->iovlen && done < n; i++) {
		uint32_t l = (uint32_t)ss->iov[i].iov_len;
		if (l > n - done)
			l = n - done;
		ring_write_at(r, r->len, ss->iov[i].iov_base, l);
		r->len += l;
		done += l;
	}
}

static ssize_t tcp_send(struct umk_stack *s, struct sock *so, struct sock_send *ss)
{
	struct tcpcb *tp = cb(so);
	if (!tp)
		return -ENOTCONN;
	switch (tp->state) {
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		break;
	case TCPS_CLOSED:
	case TCPS_LISTEN:
		return (so->flags & SOCK_F_CONNECTED) ? -EPIPE : -ENOTCONN;
	default:
		return -EPIPE;
	}
	if (tp->flags & TF_FIN_QUEUED)
		return -EPIPE;
	if (!ss->len)
		return 0;
	uint32_t n = ring_free(&tp->sq);
	if (n > ss->len)
		n = (uint32_t)ss->len;
	if (!n)
		return -EAGAIN;
	iov_to_ring(ss, &tp->sq, n);
	if (ss->flags & MSG_OOB)
		tcp_urg_send_mark(tp);   /* RFC 9293 3.8.5: what this call queued is urgent */
	tcp_output_soon(s, tp);
	return n;
}

static ssize_t tcp_recv(struct umk_stack *s, struct sock *so, struct msghdr *msg, int flags)
{
	struct tcpcb *tp = cb(so);
	msg->msg_namelen = 0;
	msg->msg_controllen = 0;
	msg->msg_flags = 0;
	if (!tp)
		return -ENOTCONN;
	if (tp->state == TCPS_LISTEN)
		return -ENOTCONN;
	if (flags & MSG_OOB)
		return tcp_urg_recv_oob(tp, msg, flags);
	uint32_t skip;
	uint32_t avail = tcp_urg_readable(tp, &skip);   /* stops at the urgent mark */
	if (skip && avail && !(flags & MSG_PEEK)) {
		/* the urgent octet went out of band; it leaves the ring when a read passes it,
		 * so that until then the application is still at the mark */
		ring_drop(&tp->rq, skip);
		tcp_urg_consumed(tp);
		skip = 0;
	}
	if (!avail) {
		if (so->error) {
			int e = so->error;
			so->error = 0;
			return -e;
		}
		if ((tp->flags & TF_RCVD_FIN) || (so->flags & SOCK_F_RD_SHUT))
			return 0;
		if (tp->state == TCPS_CLOSED)
			return (so->flags & SOCK_F_CONNECTED) ? 0 : -ENOTCONN;
		return -EAGAIN;
	}
	uint32_t done = 0;
	for (size_t i = 0; i < (size_t)msg->msg_iovlen && done < avail; i++) {
		uint32_t l = (uint32_t)msg->msg_iov[i].iov_len;
		if (l > avail - done)
			l = avail - done;
		ring_peek(&tp->rq, skip + done, msg->msg_iov[i].iov_base, l);
		done += l;
	}
	if (!(flags & MSG_PEEK) && done) {
		ring_drop(&tp->rq, done);
		tcp_urg_consumed(tp);
		/* RFC 9293 3.8.6.2.2: a window update once the window can open by a useful
		 * amount (receiver SWS avoidance), whatever the reads before this one freed: the
		 * space counted is all of it beyond the edge last advertised, and the update
		 * moves that edge, so it goes once. (Counting only reads that began at the edge
		 * left a window that a small read had opened a little closed until the sender's
		 * persist timer: sim_tcp_wnd.c, docs/bench-tcp.md.) */
		uint32_t after = tcp_rcv_space(tp);
		uint32_t adv = tp->rcv_adv - tp->rcv_nxt;
		if (tp->state >= TCPS_ESTABLISHED && after > adv &&
		    (after - adv >= 2u * tp->mss || after - adv >= tp->rq.cap / 2)) {
			tp->flags |= TF_ACKNOW;
			tcp_output_soon(s, tp);
		}
	}
	return done;
}

/* RFC 9293 3.10.4 CLOSE / shutdown(SHUT_WR): queue the FIN after the data. */
static void usrclosed(struct umk_stack *s, struct tcpcb *tp)
{
	switch (tp->state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		tcp_closed(s, tp);
		return;
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tp->flags |= TF_FIN_QUEUED;
		tcp_set_state(s, tp, TCPS_FIN_WAIT_1);
		break;
	case TCPS_CLOSE_WAIT:
		tp->flags |= TF_FIN_QUEUED;
		tcp_set_state(s, tp, TCPS_LAST_ACK);
		break;
	default:
		return;
	}
	tcp_output(s, tp);
}

static int tcp_shutdown(struct umk_stack *s, struct sock *so, int how)
{
	struct tcpcb *tp = cb(so);
	if (!tp)
		return -ENOTCONN;
	if (how != SHUT_RD && !(tp->flags & TF_FIN_QUEUED))
		usrclosed(s, tp);
	return 0;
}

static void tcp_close(struct umk_stack *s, struct sock *so)
{
	struct tcpcb *tp = cb(so);
	if (!tp)
		return;
	so->pcb = NULL;
	tp->so = NULL;
	switch (tp->state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		tcp_free(s, tp);
		return;
	default:
		break;
	}
	/* RFC 9293 3.10.4 / RFC 2525 2.17: closing with unread data, or SO_LINGER 0, aborts */
	if ((tp->flags & TF_LINGER0) || tp->rq.len) {
		if (tp->rq.len)
			COUNT(s, TCP_ABORT_ON_CLOSE);
		if (tp->state != TCPS_TIME_WAIT)
			tcp_send_rst(s, tp);
		tcp_drop(s, tp, 0);
		return;
	}
	if (!(tp->flags & TF_FIN_QUEUED))
		usrclosed(s, tp);
	else if (tp->state == TCPS_FIN_WAIT_2)
		tcp_keep_arm(s, tp);  /* an orphan does not wait forever for the peer's FIN */
}

static uint32_t tcp_send_space(struct umk_stack *s, struct sock *so)
{
	(void)s;
	struct tcpcb *tp = cb(so);
	if (!tp || !tp->sq.buf || (tp->flags & TF_FIN_QUEUED) ||
	    (tp->state != TCPS_ESTABLISHED && tp->state != TCPS_CLOSE_WAIT))
		return 0;
	return ring_free(&tp->sq);
}

static short tcp_poll(struct umk_stack *s, struct sock *so)
{
	(void)s;
	struct tcpcb *tp = cb(so);
	short ev = 0;
	if (!tp)
		return POLLNVAL;
	if (tp->state == TCPS_LISTEN)
		return tp->q ? POLLIN : 0;
	if (so->error)
		ev |= POLLERR;
	uint32_t skip;
	if (tcp_urg_readable(tp, &skip) || (tp->flags & TF_RCVD_FIN) ||
	    (so->flags & SOCK_F_RD_SHUT))
		ev |= POLLIN;
	if (tcp_urg_pending(tp))
		ev |= POLLPRI;           /* RFC 9293 3.8.5 MUST-32 */
	if ((tp->state == TCPS_ESTABLISHED || tp->state == TCPS_CLOSE_WAIT) &&
	    !(tp->flags & TF_FIN_QUEUED) && ring_free(&tp->sq) >= tp->sq.cap / 4 + 1)
		ev |= POLLOUT;
	if (tp->state == TCPS_CLOSED && ((so->flags & SOCK_F_CONNECTED) || so->error))
		ev |= POLLHUP | POLLIN;
	if ((tp->flags & TF_RCVD_FIN) && (tp->flags & TF_FIN_QUEUED))
		ev |= POLLHUP;
	return ev;
}

/* ---- options ---- */

static int read_int(const void *val, socklen_t len, int *v)
{
	if (!val || len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

static int write_int(void *val, socklen_t *len, int v)
{
	if (!val || !len || *len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(int));
	*len = sizeof(int);
	return 0;
}

static void set_flag(struct tcpcb *tp, unsigned f, int on)
{
	if (on)
		tp->flags |= f;
	else
		tp->flags &= ~f;
}

static int tcp_setopt(struct umk_stack *s, struct sock *so, int level, int name,
		      const void *val, socklen_t len)
{
	struct tcpcb *tp = cb(so);
	int v, r;
	if (!tp)
		return -ENOPROTOOPT;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_KEEPALIVE:
			if ((r = read_int(val, len, &v)))
				return r;
			set_flag(tp, TF_KEEPALIVE, v);
			if (tp->state >= TCPS_ESTABLISHED)
				tcp_keep_arm(s, tp);
			return 0;
		case SO_OOBINLINE:
			if ((r = read_int(val, len, &v)))
				return r;
			set_flag(tp, TF_OOBINLINE, v);
			return 0;
		case SO_LINGER: {
			struct linger l;
			if (!val || len < sizeof(l))
				return -EINVAL;
			memcpy(&l, val, sizeof(l));
			set_flag(tp, TF_LINGER0, l.l_onoff && l.l_linger == 0);
			tp->linger_ms = l.l_onoff ? (uint32_t)l.l_linger * 1000 : 0;
			return 0;
		}
		}
		return -ENOPROTOOPT;
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	if (name == TCP_CONGESTION) {
		char nm[16] = { 0 };
		if (!val || !len)
			return -EINVAL;
		memcpy(nm, val, len < sizeof(nm) - 1 ? len : sizeof(nm) - 1);
		const struct tcp_cc_ops *cc = tcp_cc_find(nm);
		if (!cc)
			return -ENOENT;
		tp->cc = cc;
		if (tp->state >= TCPS_SYN_SENT)
			cc->init(s, tp);
		return 0;
	}
	if ((r = read_int(val, len, &v)))
		return r;
	switch (name) {
	case TCP_NODELAY:
		set_flag(tp, TF_NODELAY, v);
		if (v)
			tcp_output(s, tp);
		return 0;
	case TCP_MAXSEG:
		/* RFC 9293 3.7.1: the MSS we send and use, never above what the path allows */
		if (v < 88 || v > 65535 - 60)
			return -EINVAL;
		tp->user_mss = (uint16_t)v;
		if (tp->state >= TCPS_SYN_SENT)
			tcp_mss_update(s, tp);
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (v < 1 || v > 32767)
			return -EINVAL;
		if (name == TCP_KEEPIDLE)
			tp->keep_idle = (uint32_t)v * 1000;
		else
			tp->keep_intvl = (uint32_t)v * 1000;
		if ((tp->flags & TF_KEEPALIVE) && tp->state >= TCPS_ESTABLISHED)
			tcp_keep_arm(s, tp);
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		tp->keep_cnt = (uint32_t)v;
		return 0;
	}
	return -ENOPROTOOPT;
}

static int tcp_getopt(struct umk_stack *s, struct sock *so, int level, int name, void *val,
		      socklen_t *len)
{
	(void)s;
	struct tcpcb *tp = cb(so);
	if (!tp)
		return -ENOPROTOOPT;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_KEEPALIVE: return write_int(val, len, !!(tp->flags & TF_KEEPALIVE));
		case SO_ACCEPTCONN: return write_int(val, len, tp->state == TCPS_LISTEN);
		case SO_OOBINLINE: return write_int(val, len, !!(tp->flags & TF_OOBINLINE));
		case UMK_SO_ATMARK: return write_int(val, len, tcp_urg_atmark(tp));
		case SO_LINGER: {
			struct linger l = { .l_onoff = (tp->flags & TF_LINGER0) || tp->linger_ms,
					    .l_linger = (int)(tp->linger_ms / 1000) };
			if (!val || !len || *len < sizeof(l))
				return -EINVAL;
			memcpy(val, &l, sizeof(l));
			*len = sizeof(l);
			return 0;
		}
		}
		return -ENOPROTOOPT;
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY: return write_int(val, len, !!(tp->flags & TF_NODELAY));
	case TCP_MAXSEG:
		return write_int(val, len, tp->state >= TCPS_ESTABLISHED ?
				 (int)(tp->mss - tcp_data_optlen(tp)) :
				 (tp->user_mss ? tp->user_mss : TCP_DEFAULT_MSS));
	case TCP_KEEPIDLE: return write_int(val, len, (int)(tp->keep_idle / 1000));
	case TCP_KEEPINTVL: return write_int(val, len, (int)(tp->keep_intvl / 1000));
	case TCP_KEEPCNT: return write_int(val, len, (int)tp->keep_cnt);
	case TCP_CONGESTION: {
		size_t n = strlen(tp->cc->name) + 1;
		if (!val || !len)
			return -EINVAL;
		if (*len < n)
			n = *len;
		memcpy(val, tp->cc->name, n);
		*len = (socklen_t)n;
		return 0;
	}
	}
	return -ENOPROTOOPT;
}

static void tcp_proto_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	tcp6_input(s, pkt, rx);
}

const struct sock_proto tcp6_proto = {
	.type = SOCK_STREAM,
	.proto = IPPROTO_TCP,
	.name = "tcp",
	.attach = tcp_attach,
	.bind = tcp_bind,
	.connect = tcp_connect,
	.send = tcp_send,
	.recv = tcp_recv,
	.shutdown = tcp_shutdown,
	.close = tcp_close,
	.ctlinput = tcp_ctlinput,
	.input = tcp_proto_input,
	.poll = tcp_poll,
	.send_space = tcp_send_space,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.setopt = tcp_setopt,
	.getopt = tcp_getopt,
};
