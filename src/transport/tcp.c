/*
 * tcp.c - TCP over IPv6 behind the socket layer (RFC 9293): the struct sock_proto row, the
 * connection table (a 4-tuple hash plus the list of every block), ports (RFC 6056 3.3.1),
 * initial sequence numbers (RFC 6528), the MSS (RFC 6691, RFC 8201), the per-connection
 * rings, ICMPv6 errors (RFC 5461, RFC 5927) and the TCP socket options.
 *
 * A connection block (struct tcpcb) outlives its socket: after close() it finishes the FIN
 * handshake and TIME_WAIT on its own ("orphan"), and a listener's children exist before
 * accept() gives them a socket. Map of the other files: transport/tcp_int.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "socket/sock_int.h"
#include "transport/tcp.h"
#include "transport/tcp_int.h"
#include "transport/transport.h"
#include "wire/icmp6.h"
#include "wire/ip6_const.h"

#define TCP_HASH_SIZE       4096
/* RFC 6335 6: the dynamic ports, as UDP */
#define TCP_EPHEMERAL_FIRST 49152
#define TCP_EPHEMERAL_LAST  65535

const char *const tcp_state_names[TCPS__COUNT] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
	"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

int tcp_init(struct umk_stack *s)
{
	struct tcp_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->hash = calloc(TCP_HASH_SIZE, sizeof(*st->hash));
	if (!st->hash) {
		free(st);
		return -ENOMEM;
	}
	st->hash_mask = TCP_HASH_SIZE - 1;
	rng_secure_bytes(s, st->isn_key, sizeof(st->isn_key));
	rng_secure_bytes(s, st->cookie_key, sizeof(st->cookie_key));
	st->challenge_tokens = s->limits.tcp_challenge_acks;
	st->challenge_refill = s->now;
	st->default_cc = &tcp_cubic;   /* RFC 9438 */
	s->tcp = st;
	return 0;
}

void tcp_fini(struct umk_stack *s)
{
	struct tcp_state *st = s->tcp;
	if (!st)
		return;
	while (st->all) {
		st->all->so = NULL;
		tcp_free(s, st->all);
	}
	explicit_bzero(st->isn_key, sizeof(st->isn_key));
	explicit_bzero(st->cookie_key, sizeof(st->cookie_key));
	free(st->hash);
	free(st);
	s->tcp = NULL;
}

/* ---- rings ---- */

uint32_t ring_free(const struct tcp_ring *r) { return r->cap - r->len; }

void ring_peek(const struct tcp_ring *r, uint32_t off, void *out, uint32_t n)
{
	uint32_t pos = (r->head + off) % r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(out, r->buf + pos, first);
	memcpy((uint8_t *)out + first, r->buf, n - first);
}

void ring_write_at(struct tcp_ring *r, uint32_t off, const void *in, uint32_t n)
{
	uint32_t pos = (r->head + off) % r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(r->buf + pos, in, first);
	memcpy(r->buf, (const uint8_t *)in + first, n - first);
}

void ring_drop(struct tcp_ring *r, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	r->head = (r->head + n) % r->cap;
	r->len -= n;   /* head is not reset when empty: out-of-order data lies past len */
}

int tcp_rings_alloc(struct tcpcb *tp)
{
	if (tp->sq.buf)
		return 0;
	tp->sq.buf = malloc(tp->sndbuf);
	tp->rq.buf = malloc(tp->rcvbuf);
	if (!tp->sq.buf || !tp->rq.buf) {
		free(tp->sq.buf);
		free(tp->rq.buf);
		tp->sq.buf = tp->rq.buf = NULL;
		return -ENOMEM;
	}
	tp->sq.cap = tp->sndbuf;
	tp->rq.cap = tp->rcvbuf;
	return 0;
}

/* ---- the table ---- */

static uint32_t hash_tuple(struct umk_stack *s, const struct in6_addr *faddr, uint16_t fport,
			   uint16_t lport)
{
	return hash_addr(s, faddr, ((uint32_t)fport << 16) | lport) & s->tcp->hash_mask;
}

void tcp_hash_insert(struct umk_stack *s, struct tcpcb *tp)
{
	if (tp->hashed)
		return;
	uint32_t h = hash_tuple(s, &tp->faddr, tp->fport, tp->lport);
	tp->hnext = s->tcp->hash[h];
	s->tcp->hash[h] = tp;
	tp->hashed = true;
}

static void hash_remove(struct umk_stack *s, struct tcpcb *tp)
{
	if (!tp->hashed)
		return;
	struct tcpcb **pp = &s->tcp->hash[hash_tuple(s, &tp->faddr, tp->fport, tp->lport)];
	while (*pp && *pp != tp)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = tp->hnext;
	tp->hashed = false;
}

static bool zone_ok(const struct in6_addr *a, int want, int zone)
{
	return !in6_is_scoped(a) || !want || !zone || want == zone;
}

struct tcpcb *tcp_lookup(struct umk_stack *s, const struct in6_addr *laddr, uint16_t lport,
			 const struct in6_addr *faddr, uint16_t fport, int zone)
{
	for (struct tcpcb *tp = s->tcp->hash[hash_tuple(s, faddr, fport, lport)]; tp;
	     tp = tp->hnext)
		if (tp->lport == lport && tp->fport == fport &&
		    IN6_ARE_ADDR_EQUAL(&tp->faddr, faddr) && IN6_ARE_ADDR_EQUAL(&tp->laddr, laddr) &&
		    zone_ok(faddr, tp->zone, zone))
			return tp;
	return NULL;
}

struct tcpcb *tcp_lookup_listener(struct umk_stack *s, const struct in6_addr *laddr,
				  uint16_t lport, int zone)
{
	struct tcpcb *wild = NULL;
	for (struct tcpcb *tp = s->tcp->all; tp; tp = tp->next) {
		if (tp->state != TCPS_LISTEN || tp->lport != lport)
			continue;
		if (IN6_IS_ADDR_UNSPECIFIED(&tp->laddr))
			wild = tp;
		else if (IN6_ARE_ADDR_EQUAL(&tp->laddr, laddr) && zone_ok(laddr, tp->zone, zone))
			return tp;
	}
	return wild;
}

struct tcpcb *tcp_newcb(struct umk_stack *s)
{
	struct tcp_state *st = s->tcp;
	if (st->count >= s->limits.max_tcp_connections) {
		COUNT(s, TCP_TABLE_FULL);
		LOG_INFO(s, "tcp: connection table full (%u)", st->count);
		return NULL;
	}
	struct tcpcb *tp = calloc(1, sizeof(*tp));
	if (!tp)
		return NULL;
	tp->state = TCPS_CLOSED;
	tp->rto = TCP_RTO_INITIAL;
	tp->peer_mss = 536;                /* RFC 9293 3.7.1: without an MSS option */
	tp->mss = 536;
	tp->cc = st->default_cc;
	tp->keep_idle = TCP_DEF_KEEPIDLE_MS;
	tp->keep_intvl = TCP_DEF_KEEPINTVL_MS;
	tp->keep_cnt = TCP_DEF_KEEPCNT;
	tp->sndbuf = 256 * 1024;
	tp->rcvbuf = 256 * 1024;
	tcp_timers_init(tp);
	tp->next = st->all;
	if (st->all)
		st->all->prev = tp;
	st->all = tp;
	st->count++;
	return tp;
}

static void unlink_child(struct tcpcb *tp)
{
	struct tcpcb *lp = tp->parent;
	if (!lp)
		return;
	struct tcpcb **pp = tp->in_acceptq ? &lp->q : &lp->q0;
	while (*pp && *pp != tp)
		pp = &(*pp)->qnext;
	if (*pp) {
		*pp = tp->qnext;
		if (tp->in_acceptq)
			lp->q_len--;
		else
			lp->q0_len--;
	}
	tp->parent = NULL;
	tp->qnext = NULL;
	tp->in_acceptq = false;
}

void tcp_free(struct umk_stack *s, struct tcpcb *tp)
{
	struct tcp_state *st = s->tcp;
	tcp_timers_cancel(s, tp);
	hash_remove(s, tp);
	unlink_child(tp);
	/* a listener going away takes its unaccepted children with it */
	while (tp->q0 || tp->q) {
		struct tcpcb *c = tp->q0 ? tp->q0 : tp->q;
		unlink_child(c);
		if (c->state != TCPS_SYN_RECEIVED && c->state != TCPS_CLOSED)
			tcp_send_rst(s, c);
		tcp_free(s, c);
	}
	if (tp->so) {
		tp->so->pcb = NULL;
		tp->so = NULL;
	}
	if (tp->prev)
		tp->prev->next = tp->next;
	else
		st->all = tp->next;
	if (tp->next)
		tp->next->prev = tp->prev;
	st->count--;
	free(tp->sq.buf);
	free(tp->rq.buf);
	free(tp);
}

void tcp_wakeup(struct umk_stack *s, struct tcpcb *tp)
{
	if (tp->so)
		sock_notify(s, tp->so);
	else if (tp->parent && tp->in_acceptq && tp->parent->so)
		sock_notify(s, tp->parent->so);
}

void tcp_set_state(struct umk_stack *s, struct tcpcb *tp, enum tcp_fsm st)
{
	LOG_DEBUG(s, "tcp [%u->%u]: %s -> %s", tp->lport, tp->fport, tcp_state_names[tp->state],
		  tcp_state_names[st]);
	tp->state = st;
	if (tp->so && (st == TCPS_ESTABLISHED || st == TCPS_CLOSE_WAIT))
		tp->so->flags |= SOCK_F_CONNECTED;
}

void tcp_closed(struct umk_stack *s, struct tcpcb *tp)
{
	tcp_set_state(s, tp, TCPS_CLOSED);
	tcp_timers_cancel(s, tp);
	hash_remove(s, tp);
	if (!tp->so) {
		tcp_free(s, tp);
		return;
	}
	tcp_wakeup(s, tp);
}

void tcp_drop(struct umk_stack *s, struct tcpcb *tp, int err)
{
	if (tp->state == TCPS_ESTABLISHED || tp->state == TCPS_CLOSE_WAIT)
		COUNT(s, TCP_ESTAB_RESETS);
	else if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)
		COUNT(s, TCP_ATTEMPT_FAILS);
	if (tp->so && err)
		tp->so->error = err;
	tcp_closed(s, tp);
}

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 us
 * clock. F is SHA-256 under a secret drawn at stack creation. */
uint32_t tcp_isn(struct umk_stack *s, const struct in6_addr *laddr, uint16_t lport,
		 const struct in6_addr *faddr, uint16_t fport)
{
	uint8_t in[32 + 16 + 16 + 4], out[32];
	memcpy(in, s->tcp->isn_key, 32);
	memcpy(in + 32, laddr, 16);
	memcpy(in + 48, faddr, 16);
	in[64] = (uint8_t)(lport >> 8);
	in[65] = (uint8_t)lport;
	in[66] = (uint8_t)(fport >> 8);
	in[67] = (uint8_t)fport;
	umk_sha256(in, sizeof(in), out);
	uint32_t f;
	memcpy(&f, out, 4);
	explicit_bzero(in, 32);
	return f + (uint32_t)(s->now * 250);
}

/* ---- MSS (RFC 9293 3.7.1, RFC 6691, RFC 8201) ---- */

uint16_t tcp_mss_advertise(struct umk_stack *s, struct tcpcb *tp)
{
	uint32_t mtu = sock_path_mtu(s, &tp->faddr, tp->zone);
	uint32_t mss = (mtu >= IP6_MIN_MTU ? mtu : IP6_MIN_MTU) - IP6_HLEN - TCP_HLEN;
	if (tp->user_mss && tp->user_mss < mss)
		mss = tp->user_mss;
	return (uint16_t)(mss > 65535 ? 65535 : mss);
}

void tcp_mss_update(struct umk_stack *s, struct tcpcb *tp)
{
	uint32_t mtu = sock_path_mtu(s, &tp->faddr, tp->zone);
	uint32_t mss = (mtu >= IP6_MIN_MTU ? mtu : IP6_MIN_MTU) - IP6_HLEN - TCP_HLEN;
	if (tp->peer_mss < mss)
		mss = tp->peer_mss;
	if (tp->user_mss && tp->user_mss < mss)
		mss = tp->user_mss;
	if (mss < 64 + tcp_data_optlen(tp))
		mss = 64 + tcp_data_optlen(tp);
	tp->mss = (uint16_t)mss;
}

uint32_t tcp_data_optlen(const struct tcpcb *tp)
{
	return (tp->flags & TF_TS) ? 12 : 0;
}

uint8_t tcp_rcv_wscale_for(uint32_t rcvbuf)
{
	uint8_t sc = 0;
	while (sc < TCP_MAX_WSCALE && (rcvbuf >> sc) > 65535)
		sc++;
	return sc;
}

/* RFC 7323 2.2/3.2, RFC 2018 2: what the SYN of the other side offered, on top of what tp
 * offered itself (rcv_wscale set, TF_WSCALE/TF_TS/TF_SACK meaning "we offer"). */
void tcp_syn_options(struct umk_stack *s, struct tcpcb *tp, const struct tcp_opts *o)
{
	if (o->present & TCPO_MSS)
		tp->peer_mss = o->mss ? o->mss : 536;
	if ((tp->flags & TF_WSCALE) && (o->present & TCPO_WSCALE)) {
		/* RFC 7323 2.3: a shift above 14 is used as 14 (and logged) */
		tp->snd_wscale = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale;
		if (o->wscale > TCP_MAX_WSCALE)
			LOG_INFO(s, "tcp: window scale %u from peer used as 14", o->wscale);
	} else {
		tp->flags &= ~(unsigned)TF_WSCALE;
		tp->snd_wscale = tp->rcv_wscale = 0;
	}
	if ((tp->flags & TF_TS) && (o->present & TCPO_TS)) {
		tp->ts_recent = o->tsval;
		tp->ts_recent_age = s->now;
	} else {
		tp->flags &= ~(unsigned)TF_TS;
	}
	if (!(o->present & TCPO_SACK_OK))
		tp->flags &= ~(unsigned)TF_SACK;
	tcp_mss_update(s, tp);
}

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

/* Sizes the rings from the socket's buffers and offers our SYN options. */
static void setup_offer(struct umk_stack *s, struct tcpcb *tp, struct sock *so)
{
	(void)s;
	tp->rcvbuf = so->rcvbuf;
	tp->sndbuf = so->opt.sndbuf;
	if (tp->rcvbuf < 4096)
		tp->rcvbuf = 4096;
	if (tp->sndbuf < 4096)
		tp->sndbuf = 4096;
	tp->rcv_wscale = tcp_rcv_wscale_for(tp->rcvbuf);
	tp->flags |= TF_WSCALE | TF_TS | TF_SACK;
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
	setup_offer(s, tp, so);
	if ((r = tcp_rings_alloc(tp)))
		return r;
	tp->iss = tcp_isn(s, &tp->laddr, tp->lport, &tp->faddr, tp->fport);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
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

/* A child for a SYN arriving at lp (RFC 9293 3.10.7.2): not yet accepted, no rings yet. */
struct tcpcb *tcp_child_new(struct umk_stack *s, struct tcpcb *lp, const struct ip6_rx *rx,
			    const struct tcp_hdr_info *th)
{
	struct tcpcb *tp = tcp_newcb(s);
	if (!tp)
		return NULL;
	tp->laddr = rx->dst;
	tp->faddr = rx->src;
	tp->lport = th->dport;
	tp->fport = th->sport;
	tp->zone = (in6_is_scoped(&rx->src) || in6_is_scoped(&rx->dst)) ? rx->ifp->index : 0;
	tp->flags = TF_PASSIVE | (lp->flags & (TF_NODELAY | TF_KEEPALIVE | TF_LINGER0));
	tp->user_mss = lp->user_mss;
	tp->keep_idle = lp->keep_idle;
	tp->keep_intvl = lp->keep_intvl;
	tp->keep_cnt = lp->keep_cnt;
	tp->linger_ms = lp->linger_ms;
	tp->cc = lp->cc;
	if (lp->so)
		setup_offer(s, tp, lp->so);
	tp->ts_offset = rng_secure_u32(s);
	tp->irs = th->seq;
	tp->rcv_nxt = th->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	return tp;
}

void tcp_child_established(struct umk_stack *s, struct tcpcb *tp)
{
	struct tcpcb *lp = tp->parent;
	if (!lp || tp->in_acceptq)
		return;
	unlink_child(tp);
	tp->parent = lp;
	tp->in_acceptq = true;
	/* FIFO: accept() takes the oldest */
	struct tcpcb **pp = &lp->q;
	while (*pp)
		pp = &(*pp)->qnext;
	*pp = tp;
	tp->qnext = NULL;
	lp->q_len++;
	COUNT(s, TCP_PASSIVE_OPENS);
	if (lp->so)
		sock_notify(s, lp->so);
}

static int tcp_accept(struct umk_stack *s, struct sock *so, struct sock *nso)
{
	struct tcpcb *lp = cb(so);
	if (!lp || lp->state != TCPS_LISTEN)
		return -EINVAL;
	struct tcpcb *tp = lp->q;
	if (!tp)
		return -EAGAIN;
	unlink_child(tp);
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
	tcp_output(s, tp);
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
	uint32_t avail = tp->rq.len;
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
		ring_peek(&tp->rq, done, msg->msg_iov[i].iov_base, l);
		done += l;
	}
	if (!(flags & MSG_PEEK) && done) {
		uint32_t before = tcp_rcv_space(tp);
		ring_drop(&tp->rq, done);
		/* RFC 9293 3.8.6.2.2: a window update once the window can open by a useful
		 * amount (receiver SWS avoidance) */
		uint32_t after = tcp_rcv_space(tp);
		uint32_t adv = tp->rcv_adv - tp->rcv_nxt;
		if (tp->state >= TCPS_ESTABLISHED && after > adv &&
		    (after - adv >= 2u * tp->mss || after - adv >= tp->rq.cap / 2) &&
		    (before <= adv || (tp->flags & TF_SENT_WIN0))) {
			tp->flags |= TF_ACKNOW;
			tcp_output(s, tp);
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
	if (tp->rq.len || (tp->flags & TF_RCVD_FIN) || (so->flags & SOCK_F_RD_SHUT))
		ev |= POLLIN;
	if ((tp->state == TCPS_ESTABLISHED || tp->state == TCPS_CLOSE_WAIT) &&
	    !(tp->flags & TF_FIN_QUEUED) && ring_free(&tp->sq) >= tp->sq.cap / 4 + 1)
		ev |= POLLOUT;
	if (tp->state == TCPS_CLOSED && ((so->flags & SOCK_F_CONNECTED) || so->error))
		ev |= POLLHUP | POLLIN;
	if ((tp->flags & TF_RCVD_FIN) && (tp->flags & TF_FIN_QUEUED))
		ev |= POLLHUP;
	return ev;
}

/* ---- ICMPv6 errors (RFC 5461, RFC 5927, RFC 8201) ---- */

static bool tcp_ctlinput(struct umk_stack *s, const struct sock_ctlmsg *cm)
{
	uint16_t sport, dport;
	uint32_t seq;
	if (tcp_quoted(cm->ulp, cm->ulp_len, &sport, &dport, &seq)) {
		COUNT(s, TCP_CTL_NO_CONN);
		return false;
	}
	struct tcpcb *tp = tcp_lookup(s, &cm->src, sport, &cm->dst, dport, cm->zone);
	if (!tp) {
		COUNT(s, TCP_CTL_NO_CONN);
		return false;
	}
	/* RFC 5927 4.1 / RFC 5961: only an error quoting data in flight is believed */
	if (!seq_in(seq, tp->snd_una, tp->snd_max + 1)) {
		COUNT(s, TCP_CTL_BAD_SEQ);
		return true;
	}
	if (cm->type == ICMP6_PACKET_TOO_BIG) {
		/* RFC 8201 4 (the cache is already updated by icmp6.c): resend smaller */
		COUNT(s, TCP_CTL_PMTU);
		uint16_t old = tp->mss;
		tcp_mss_update(s, tp);
		if (tp->mss < old && tp->state >= TCPS_ESTABLISHED && tp->snd_max != tp->snd_una) {
			tp->snd_nxt = tp->snd_una;
			tcp_output(s, tp);
		}
		return true;
	}
	int err = transport_icmp6_errno(cm->type, cm->code);
	if (!err)
		return true;
	/* RFC 5461 / RFC 1122 4.2.3.9: hard during connection establishment, soft once
	 * synchronized (reported only if the connection then times out) */
	if (tp->state == TCPS_SYN_SENT ||
	    (tp->state == TCPS_SYN_RECEIVED && !(tp->flags & TF_PASSIVE))) {
		COUNT(s, TCP_CTL_HARD);
		tcp_drop(s, tp, err);
	} else {
		COUNT(s, TCP_CTL_SOFT);
		tp->soft_error = err;
	}
	return true;
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

void tcp6_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	tcp_input_segment(s, pkt, rx);
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
	.listen = tcp_listen,
	.accept = tcp_accept,
	.setopt = tcp_setopt,
	.getopt = tcp_getopt,
};
