/*
 * tcp.c - TCP's connections (RFC 9293): the connection table (a 4-tuple hash plus the list of
 * every block), their life cycle (new, state changes, closed, dropped, freed), initial
 * sequence numbers (RFC 6528), the MSS (RFC 6691, RFC 8201), the per-connection rings, the
 * SYN options, listener children, and ICMPv6 errors (RFC 5461, RFC 5927). What joins TCP to
 * the socket layer (the struct sock_proto row, ports, options) is in tcp_sock.c.
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
#include "ip6/nd6.h"
#include "ip6/route6.h"
#include "socket/sock_int.h"
#include "transport/tcp.h"
#include "transport/tcp_int.h"
#include "transport/transport.h"
#include "wire/icmp6.h"
#include "wire/ip6_const.h"

#define TCP_HASH_SIZE       4096

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

void tcp_unlink_child(struct tcpcb *tp)
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
	if (st->deferred == tp)
		st->deferred = NULL;
	tcp_timers_cancel(s, tp);
	hash_remove(s, tp);
	tcp_unlink_child(tp);
	/* a listener going away takes its unaccepted children with it */
	while (tp->q0 || tp->q) {
		struct tcpcb *c = tp->q0 ? tp->q0 : tp->q;
		tcp_unlink_child(c);
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

void tcp_output_soon(struct umk_stack *s, struct tcpcb *tp)
{
	struct tcp_state *st = s->tcp;
	if (!st->corked) {
		tcp_output(s, tp);
		return;
	}
	/* one call at a time is corked: a second connection sends the first one's now */
	if (st->deferred && st->deferred != tp)
		tcp_output(s, st->deferred);
	st->deferred = tp;
}

void umk_cork(struct umk_stack *s)
{
	if (s->tcp)
		s->tcp->corked = true;
}

void umk_uncork(struct umk_stack *s)
{
	struct tcp_state *st = s->tcp;
	if (!st)
		return;
	st->corked = false;
	struct tcpcb *tp = st->deferred;
	st->deferred = NULL;
	if (tp)
		tcp_output(s, tp);
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

/* RFC 4861 7.3.1: new data acknowledged is forward progress, a reachability confirmation
 * for the next hop towards the peer; at most once a second (ReachableTime is tens of s),
 * so the route lookup stays off most ACKs. */
void tcp_nud_hint(struct umk_stack *s, struct tcpcb *tp)
{
	if (tp->nud_hint_at && s->now - tp->nud_hint_at < TCP_NUD_HINT_MS)
		return;
	tp->nud_hint_at = s->now;
	struct rt6_nexthop nh;
	if (!rt6_lookup(s, &tp->faddr, tp->zone, 0, &nh) && nh.ifp)
		nd6_confirm(s, nh.ifp, &nh.addr);
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

/* Sizes the rings from the socket's buffers and offers our SYN options. */
void tcp_setup_offer(struct umk_stack *s, struct tcpcb *tp, struct sock *so)
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
	tp->flags = TF_PASSIVE | (lp->flags & (TF_NODELAY | TF_KEEPALIVE | TF_LINGER0 | TF_OOBINLINE));
	tp->user_mss = lp->user_mss;
	tp->keep_idle = lp->keep_idle;
	tp->keep_intvl = lp->keep_intvl;
	tp->keep_cnt = lp->keep_cnt;
	tp->linger_ms = lp->linger_ms;
	tp->cc = lp->cc;
	if (lp->so)
		tcp_setup_offer(s, tp, lp->so);
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
	tcp_unlink_child(tp);
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

/* ---- ICMPv6 errors (RFC 5461, RFC 5927, RFC 8201) ---- */

bool tcp_ctlinput(struct umk_stack *s, const struct sock_ctlmsg *cm)
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

void tcp6_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	tcp_input_segment(s, pkt, rx);
}

