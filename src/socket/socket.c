/*
 * socket.c - the socket layer (DESIGN.md "socket/"): the table of sockets of a stack
 * (bounded by limits.max_sockets), the API entry points of <umikame/socket.h>, bounded
 * receive queues with counted drops, readiness for umk_poll and callbacks, and the dispatch
 * of ICMPv6 errors to the protocol that sent the packet (RFC 4443 2.4 (b)).
 *
 * Every entry point returns -1 with errno set (POSIX); internally negative errnos travel.
 * A remote handle (umk_stack_open) sends each call to umikamed instead (ctl/remote.c).
 * Options are in sockopt.c, datagram receive and send preparation in dgram.c, protocols in
 * transport/.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ctl/msg.h"
#include "ip6/ip6.h"
#include "socket/sock_int.h"
#include "transport/transport.h"
#include "wire/ip6.h"

static const struct sock_proto *const protos[] = { &udp6_proto, &raw6_proto, &tcp6_proto };

int sock_init(struct umk_stack *s)
{
	s->sock = calloc(1, sizeof(*s->sock));
	return s->sock ? 0 : -ENOMEM;
}

static void sock_free(struct umk_stack *s, struct sock *so)
{
	sock_rq_purge(s, so);
	sock_ext_free(so);
	s->sock->tab[so->sd] = NULL;
	s->sock->count--;
	free(so);
}

void sock_fini(struct umk_stack *s)
{
	struct sock_state *st = s->sock;
	if (!st)
		return;
	st->freeing = true;
	for (uint32_t i = 0; i < st->cap; i++)
		if (st->tab[i])
			sock_free(s, st->tab[i]);
	free(st->tab);
	free(st);
	s->sock = NULL;
}

bool sock_is_remote(const struct umk_stack *s) { return s && s->sock && s->sock->remote; }

bool umk_stack_is_remote(const struct umk_stack *s) { return sock_is_remote(s); }

struct sock *sock_get(struct umk_stack *s, int sd)
{
	if (!s->sock || sd < 0 || (uint32_t)sd >= s->sock->cap)
		return NULL;
	return s->sock->tab[sd];
}

struct sock *sock_next(struct umk_stack *s, struct sock *prev, const struct sock_proto *p)
{
	struct sock_state *st = s->sock;
	for (uint32_t i = prev ? (uint32_t)prev->sd + 1 : 0; i < st->cap; i++)
		if (st->tab[i] && (!p || st->tab[i]->ops == p))
			return st->tab[i];
	return NULL;
}

/* ---- receive queue and readiness ---- */

void sock_notify(struct umk_stack *s, struct sock *so)
{
	if (so->cb)
		so->cb(so->cb_ctx, so->sd, so->ops->poll(s, so));
}

void sock_rq_purge(struct umk_stack *s, struct sock *so)
{
	pkt_free_chain(s, so->rq_head);
	so->rq_head = so->rq_tail = NULL;
	so->rq_count = so->rq_bytes = 0;
}

bool sock_enqueue(struct umk_stack *s, struct sock *so, struct umk_pkt *pkt,
		  const struct sock_rxmeta *m)
{
	if (so->flags & SOCK_F_RD_SHUT) {
		COUNT(s, SOCK_RCV_SHUTDOWN);
		goto drop;
	}
	/* a small datagram in a big reassembly buffer would pin the pool: copy it down */
	if (pkt_headroom(pkt) < sizeof(*m) || pkt->cap > 4 * (pkt->len + PKT_HEADROOM)) {
		struct umk_pkt *c = pkt_copy(s, pkt, PKT_HEADROOM);
		if (!c) {
			COUNT(s, SOCK_RCV_NOBUFS);
			goto drop;
		}
		pkt_free(s, pkt);
		pkt = c;
	}
	/* the buffer's whole size counts, so SO_RCVBUF bounds the pool a socket can hold */
	if (so->rq_bytes + pkt->cap > so->rcvbuf && so->rq_head) {
		COUNT(s, SOCK_RCVQ_FULL);
		so->rq_drops++;
		goto drop;
	}
	memcpy(pkt_push(pkt, sizeof(*m)), m, sizeof(*m));
	pkt->next = NULL;
	if (so->rq_tail)
		so->rq_tail->next = pkt;
	else
		so->rq_head = pkt;
	so->rq_tail = pkt;
	so->rq_count++;
	so->rq_bytes += pkt->cap;
	sock_notify(s, so);
	return true;
drop:
	pkt_free(s, pkt);
	return false;
}

void sock_set_error(struct umk_stack *s, struct sock *so, int err)
{
	so->error = err;
	sock_notify(s, so);
}

void sock_pathmtu_notify(struct umk_stack *s, struct sock *so, const struct in6_addr *dst,
			 int zone, uint32_t mtu)
{
	if (!so->opt.recvpathmtu)
		return;
	struct umk_pkt *pkt = pkt_alloc(s, 0, PKT_HEADROOM);
	if (!pkt) {
		COUNT(s, SOCK_RCV_NOBUFS);
		return;
	}
	struct sock_rxmeta m = { .dst = *dst, .mtu = mtu, .ifindex = (uint16_t)zone,
				 .kind = SOCK_RX_PATHMTU };
	if (sock_enqueue(s, so, pkt, &m))
		COUNT(s, SOCK_PATHMTU_QUEUED);
}

/* ---- ICMPv6 errors to the transports ---- */

bool sock_ctlinput(struct umk_stack *s, const struct ip6_rx *rx, uint8_t type, uint8_t code,
		   uint32_t param, const uint8_t *quoted, uint32_t qlen)
{
	struct ip6_hdr_info q;
	struct ip6_chain c;

	if (!s->sock || ip6_hdr_parse(quoted, qlen, &q) ||
	    ip6_chain_walk(quoted, qlen, q.nxt, IP6_HLEN, IP6_OFF_NXT, &c) || c.frag_nonfirst ||
	    c.off > qlen)
		return false;
	struct sock_ctlmsg cm = {
		.type = type, .code = code, .param = param, .src = q.src, .dst = q.dst,
		.zone = rx->ifp ? rx->ifp->index : 0, .ulp = quoted + c.off,
		.ulp_len = qlen - c.off,
	};
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i]->proto == c.nxt && protos[i]->ctlinput)
			return protos[i]->ctlinput(s, &cm);
	return false;
}

/* ---- the API ---- */

static long ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* Packets a call sent to our own addresses are delivered when the call returns, never
 * inside it (as at every stack entry point, core/stack.c). */
static void call_begin(struct umk_stack *s) { s->in_entry++; }

static void call_end(struct umk_stack *s)
{
	if (--s->in_entry == 0 && s->loop_head)
		umk_timers_run(s, s->now); /* an entry point: drains the loopback queue */
}

static const struct sock_proto *find_proto(int type, int proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i]->type == type && (protos[i]->proto == proto || protos[i]->proto < 0))
			return protos[i];
	return NULL;
}

static int sock_open(struct umk_stack *s, int domain, int type, int proto)
{
	struct sock_state *st = s->sock;
	int extra = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);

	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain != AF_INET6)
		return -EAFNOSUPPORT;
	if (type == SOCK_DGRAM && proto == 0)
		proto = IPPROTO_UDP;
	if (type == SOCK_STREAM && proto == 0)
		proto = IPPROTO_TCP;
	if (type == SOCK_RAW && (proto < 0 || proto > 255))
		return -EINVAL;
	if (type != SOCK_DGRAM && type != SOCK_RAW && type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	const struct sock_proto *p = find_proto(type, proto);
	if (!p)
		return -EPROTONOSUPPORT; /* SOCK_STREAM: TCP is not there yet */

	int sd = -1;
	for (uint32_t i = 0; i < st->cap; i++)
		if (!st->tab[i]) {
			sd = (int)i;
			break;
		}
	if (sd < 0) {
		if (st->cap >= s->limits.max_sockets) {
			COUNT(s, SOCK_TABLE_FULL);
			LOG_INFO(s, "socket table full (%u)", st->cap);
			return -EMFILE;
		}
		uint32_t cap = st->cap ? st->cap * 2 : 16;
		if (cap > s->limits.max_sockets)
			cap = s->limits.max_sockets;
		struct sock **t = realloc(st->tab, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		memset(t + st->cap, 0, (cap - st->cap) * sizeof(*t));
		sd = (int)st->cap;
		st->tab = t;
		st->cap = cap;
	}
	struct sock *so = calloc(1, sizeof(*so));
	if (!so)
		return -ENOMEM;
	so->sd = sd;
	so->type = type;
	so->proto = proto;
	so->ops = p;
	so->rcvbuf = s->limits.socket_rcvbuf;
	if (so->rcvbuf > s->limits.max_socket_rcvbuf)
		so->rcvbuf = s->limits.max_socket_rcvbuf;
	if (extra & SOCK_NONBLOCK)
		so->flags |= SOCK_F_NONBLOCK;
	sock_opts_init(&so->opt);
	int r = p->attach ? p->attach(s, so) : 0;
	if (r) {
		free(so);
		return r;
	}
	st->tab[sd] = so;
	st->count++;
	COUNT(s, SOCK_OPENED);
	return sd;
}

int umk_socket(struct umk_stack *s, int domain, int type, int protocol)
{
	if (sock_is_remote(s))
		return (int)ret(remote_socket(s, domain, type, protocol));
	return (int)ret(sock_open(s, domain, type, protocol));
}

int umk_bind(struct umk_stack *s, int sd, const struct sockaddr *addr, socklen_t len)
{
	if (sock_is_remote(s))
		return (int)ret(remote_addr_call(s, CTL_MSG_SOCK_BIND, sd, addr, len));
	struct sock *so = sock_get(s, sd);
	struct sockaddr_in6 a;
	if (!so)
		return (int)ret(-EBADF);
	int r = sock_addr_in(s, addr, len, &a);
	if (!r && (so->flags & SOCK_F_BOUND))
		r = -EINVAL;
	if (!r)
		r = so->ops->bind(s, so, &a);
	return (int)ret(r);
}

int umk_connect(struct umk_stack *s, int sd, const struct sockaddr *addr, socklen_t len)
{
	if (sock_is_remote(s))
		return (int)ret(remote_addr_call(s, CTL_MSG_SOCK_CONNECT, sd, addr, len));
	struct sock *so = sock_get(s, sd);
	struct sockaddr_in6 a = { .sin6_family = AF_UNSPEC };
	if (!so)
		return (int)ret(-EBADF);
	int r = 0;
	/* AF_UNSPEC dissolves a datagram socket's association (POSIX connect()) */
	if (!addr || len < sizeof(sa_family_t) || addr->sa_family != AF_UNSPEC)
		r = sock_addr_in(s, addr, len, &a);
	if (!r)
		r = so->ops->connect(s, so, &a);
	return (int)ret(r);
}

ssize_t umk_sendmsg(struct umk_stack *s, int sd, const struct msghdr *msg, int flags)
{
	if (sock_is_remote(s))
		return ret(remote_sendmsg(s, sd, msg, flags));
	struct sock *so = sock_get(s, sd);
	struct sock_send ss;
	if (!so)
		return ret(-EBADF);
	if (so->flags & SOCK_F_WR_SHUT)
		return ret(-EPIPE);
	if (so->error) {
		int e = so->error;
		so->error = 0;
		return ret(-e);
	}
	int r = sock_send_parse(s, so, msg, flags, &ss);
	if (r)
		return ret(r);
	call_begin(s);
	ssize_t n = so->ops->send(s, so, &ss);
	call_end(s);
	return ret(n);
}

ssize_t umk_sendto(struct umk_stack *s, int sd, const void *buf, size_t len, int flags,
		   const struct sockaddr *to, socklen_t tolen)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_name = (void *)to, .msg_namelen = to ? tolen : 0,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	return umk_sendmsg(s, sd, &m, flags);
}

ssize_t umk_send(struct umk_stack *s, int sd, const void *buf, size_t len, int flags)
{
	return umk_sendto(s, sd, buf, len, flags, NULL, 0);
}

ssize_t umk_recvmsg(struct umk_stack *s, int sd, struct msghdr *msg, int flags)
{
	if (sock_is_remote(s))
		return ret(remote_recvmsg(s, sd, msg, flags));
	struct sock *so = sock_get(s, sd);
	if (!so)
		return ret(-EBADF);
	return ret(so->ops->recv(s, so, msg, flags));
}

ssize_t umk_recvfrom(struct umk_stack *s, int sd, void *buf, size_t len, int flags,
		     struct sockaddr *from, socklen_t *fromlen)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_name = from, .msg_namelen = from && fromlen ? *fromlen : 0,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = umk_recvmsg(s, sd, &m, flags);
	if (n >= 0 && from && fromlen)
		*fromlen = m.msg_namelen;
	return n;
}

ssize_t umk_recv(struct umk_stack *s, int sd, void *buf, size_t len, int flags)
{
	return umk_recvfrom(s, sd, buf, len, flags, NULL, NULL);
}

int umk_listen(struct umk_stack *s, int sd, int backlog)
{
	if (sock_is_remote(s))
		return (int)ret(remote_simple(s, CTL_MSG_SOCK_LISTEN, sd, backlog));
	struct sock *so = sock_get(s, sd);
	if (!so)
		return (int)ret(-EBADF);
	if (!so->ops->listen)
		return (int)ret(-EOPNOTSUPP);
	return (int)ret(so->ops->listen(s, so, backlog));
}

/* The new connection gets a descriptor made like socket() makes one, then the protocol
 * hands it the connection (sock_proto.accept). */
int umk_accept(struct umk_stack *s, int sd, struct sockaddr *addr, socklen_t *len)
{
	if (sock_is_remote(s))
		return (int)ret(remote_accept(s, sd, addr, len));
	struct sock *so = sock_get(s, sd);
	if (!so)
		return (int)ret(-EBADF);
	if (!so->ops->accept)
		return (int)ret(-EOPNOTSUPP);
	if (so->ops->poll && !(so->ops->poll(s, so) & POLLIN))
		return (int)ret(-EAGAIN);
	int nsd = sock_open(s, AF_INET6, so->type, so->proto);
	if (nsd < 0)
		return (int)ret(nsd);
	struct sock *nso = sock_get(s, nsd);
	int r = so->ops->accept(s, so, nso);
	if (r) {
		umk_close(s, nsd);
		return (int)ret(r);
	}
	nso->owner = so->owner;
	if (addr && len) {
		struct sockaddr_in6 a;
		sock_addr_out(&a, &nso->faddr, nso->fport, nso->fzone);
		memcpy(addr, &a, *len < sizeof(a) ? *len : sizeof(a));
		*len = sizeof(a);
	}
	sock_notify(s, so);
	return nsd;
}

int umk_shutdown(struct umk_stack *s, int sd, int how)
{
	if (sock_is_remote(s))
		return (int)ret(remote_simple(s, CTL_MSG_SOCK_SHUTDOWN, sd, how));
	struct sock *so = sock_get(s, sd);
	if (!so)
		return (int)ret(-EBADF);
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return (int)ret(-EINVAL);
	if (!(so->flags & SOCK_F_CONNECTED))
		return (int)ret(-ENOTCONN);
	if (how != SHUT_WR)
		so->flags |= SOCK_F_RD_SHUT;
	if (how != SHUT_RD)
		so->flags |= SOCK_F_WR_SHUT;
	int r = so->ops->shutdown ? so->ops->shutdown(s, so, how) : 0;
	sock_notify(s, so);
	return (int)ret(r);
}

int umk_close(struct umk_stack *s, int sd)
{
	if (sock_is_remote(s))
		return (int)ret(remote_simple(s, CTL_MSG_SOCK_CLOSE, sd, 0));
	struct sock *so = sock_get(s, sd);
	if (!so)
		return (int)ret(-EBADF);
	call_begin(s);
	if (so->ops->close)
		so->ops->close(s, so);
	sock_leave_all(s, so);
	sock_free(s, so);
	call_end(s);
	return 0;
}

static int getname(struct umk_stack *s, int sd, bool peer, struct sockaddr *addr,
		   socklen_t *len)
{
	struct sock *so = sock_get(s, sd);
	struct sockaddr_in6 a;
	if (!so)
		return -EBADF;
	if (!addr || !len)
		return -EFAULT;
	if (peer && !(so->flags & SOCK_F_CONNECTED))
		return -ENOTCONN;
	if (peer)
		sock_addr_out(&a, &so->faddr, so->fport, so->fzone);
	else
		sock_addr_out(&a, &so->laddr, so->lport, so->lzone);
	/* POSIX: truncated to the buffer, the full length reported */
	memcpy(addr, &a, *len < sizeof(a) ? *len : sizeof(a));
	*len = sizeof(a);
	return 0;
}

int umk_getsockname(struct umk_stack *s, int sd, struct sockaddr *addr, socklen_t *len)
{
	if (sock_is_remote(s))
		return (int)ret(remote_getname(s, CTL_MSG_SOCK_GETSOCKNAME, sd, addr, len));
	return (int)ret(getname(s, sd, false, addr, len));
}

int umk_getpeername(struct umk_stack *s, int sd, struct sockaddr *addr, socklen_t *len)
{
	if (sock_is_remote(s))
		return (int)ret(remote_getname(s, CTL_MSG_SOCK_GETPEERNAME, sd, addr, len));
	return (int)ret(getname(s, sd, true, addr, len));
}

int umk_setsockopt(struct umk_stack *s, int sd, int level, int name, const void *val,
		   socklen_t len)
{
	if (sock_is_remote(s))
		return (int)ret(remote_setsockopt(s, sd, level, name, val, len));
	struct sock *so = sock_get(s, sd);
	if (!so)
		return (int)ret(-EBADF);
	call_begin(s);
	int r = sock_setopt(s, so, level, name, val, len);
	call_end(s);
	return (int)ret(r);
}

int umk_getsockopt(struct umk_stack *s, int sd, int level, int name, void *val, socklen_t *len)
{
	if (sock_is_remote(s))
		return (int)ret(remote_getsockopt(s, sd, level, name, val, len));
	struct sock *so = sock_get(s, sd);
	if (!so)
		return (int)ret(-EBADF);
	return (int)ret(sock_getopt(s, so, level, name, val, len));
}

int umk_sockatmark(struct umk_stack *s, int sd)
{
	int v = 0;
	socklen_t l = sizeof(v);
	if (umk_getsockopt(s, sd, SOL_SOCKET, UMK_SO_ATMARK, &v, &l) < 0)
		return -1;
	return v;
}

int umk_poll(struct umk_stack *s, struct umk_pollfd *fds, unsigned nfds, int timeout_ms)
{
	if (sock_is_remote(s))
		return (int)ret(remote_poll(s, fds, nfds, timeout_ms));
	int n = 0;
	for (unsigned i = 0; i < nfds; i++) {
		struct sock *so = sock_get(s, fds[i].sd);
		if (!so)
			fds[i].revents = POLLNVAL;
		else
			fds[i].revents = (short)(so->ops->poll(s, so) &
						 (fds[i].events | POLLERR | POLLHUP));
		if (fds[i].revents)
			n++;
	}
	return n;
}

int umk_sock_set_callback(struct umk_stack *s, int sd, umk_sock_cb fn, void *ctx)
{
	if (sock_is_remote(s))
		return (int)ret(remote_set_callback(s, sd, fn, ctx));
	struct sock *so = sock_get(s, sd);
	if (!so)
		return (int)ret(-EBADF);
	so->cb = fn;
	so->cb_ctx = ctx;
	return 0;
}
