/*
 * remote.c - the client side of the remote socket API (DESIGN.md: "umk_stack_open gives a
 * handle on which the ordinary socket calls work"). A handle is a struct umk_stack whose
 * socket state carries a connection to umikamed; every socket call becomes one request
 * (ctl/msg.h CTL_MSG_SOCK_*) answered by one SOCK_REPLY within the handle's timeout.
 * Readiness arrives as SOCK_EVENT messages and in every reply; it is cached per descriptor
 * for umk_poll, blocking receives and callbacks. Server side: socket/sock_ctl.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/connect.h"
#include "core/stack_int.h"
#include "ctl/msg.h"
#include "socket/sock_ctl.h"
#include "socket/sock_int.h"

#define REMOTE_DEFAULT_TIMEOUT 10000
#define REMOTE_MAX_SD          65536

struct rsock {
	short events;                /* last readiness the daemon told */
	bool nonblock;
	bool stream;                 /* SOCK_STREAM: sends may be partial, connect waits */
	uint32_t rcvtimeo_ms;
	uint32_t send_credit;        /* stream: bytes the daemon's send buffer takes for sure
	                              * (its last A_SNDSPACE less what we sent since) */
	umk_sock_cb cb;
	void *ctx;
};

struct remote {
	int fd;
	uint32_t seq;
	int timeout_ms;
	struct rsock *socks;
	uint32_t nsocks;
	struct ctl_inbuf in;
	uint8_t out[CTL_MSG_MAX];
};

static struct remote *R(struct umk_stack *s) { return s->sock->remote; }

static struct rsock *rs(struct remote *r, int sd)
{
	if (sd < 0 || sd >= REMOTE_MAX_SD)
		return NULL;
	if ((uint32_t)sd >= r->nsocks) {
		uint32_t n = (uint32_t)sd + 16;
		struct rsock *p = realloc(r->socks, n * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + r->nsocks, 0, (n - r->nsocks) * sizeof(*p));
		r->socks = p;
		r->nsocks = n;
	}
	return &r->socks[sd];
}

struct umk_stack *umk_stack_open(const char *path)
{
	int fd = ctl_connect(path);
	if (fd < 0)
		return NULL;
	struct umk_stack *s = calloc(1, sizeof(*s));
	struct sock_state *st = calloc(1, sizeof(*st));
	struct remote *r = calloc(1, sizeof(*r));
	if (!s || !st || !r) {
		free(s);
		free(st);
		free(r);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	r->fd = fd;
	r->timeout_ms = REMOTE_DEFAULT_TIMEOUT;
	st->remote = r;
	s->sock = st;
	return s;
}

void remote_close(struct umk_stack *s)
{
	struct remote *r = R(s);
	close(r->fd);  /* the daemon closes our sockets when the connection goes */
	free(r->socks);
	free(r);
	free(s->sock);
	free(s);
}

void umk_stack_close(struct umk_stack *s) { umk_stack_free(s); }

int umk_stack_fd(struct umk_stack *s) { return sock_is_remote(s) ? R(s)->fd : -1; }

int umk_stack_set_timeout(struct umk_stack *s, int timeout_ms)
{
	if (!sock_is_remote(s) || timeout_ms <= 0) {
		errno = EINVAL;
		return -1;
	}
	R(s)->timeout_ms = timeout_ms;
	return 0;
}

/* ---- messages ---- */

static void note_events(struct remote *r, const struct ctl_msg *m)
{
	uint32_t sd, ev;
	if (!ctl_get_u32(m, A_SD, &sd) || !ctl_get_u32(m, A_EVENTS, &ev))
		return;
	struct rsock *x = rs(r, (int)sd);
	if (!x)
		return;
	x->events = (short)ev;
	if (m->hdr.type == CTL_MSG_SOCK_EVENT && x->cb)
		x->cb(x->ctx, (int)sd, x->events);
}

/* Processes what has arrived, waiting up to deadline for at least one message. */
static int pump(struct remote *r, uint64_t deadline)
{
	struct ctl_msg m;
	int e = ctl_read_msg(r->fd, &r->in, deadline, &m);
	if (e <= 0)
		return e;
	if (m.hdr.type == CTL_MSG_SOCK_EVENT)
		note_events(r, &m);
	return 1;
}

/* Sends the request built in r->out and waits for its reply in *m. 0 or negative errno
 * (the daemon's errno when it answered one). */
static int send_request(struct remote *r, struct ctl_builder *b)
{
	int len = ctl_build_end(b);
	if (len < 0)
		return -EMSGSIZE;
	for (int off = 0; off < len;) {
		ssize_t n = send(r->fd, r->out + off, (size_t)(len - off), MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (int)n;
	}
	return 0;
}

static int rpc(struct remote *r, struct ctl_builder *b, struct ctl_msg *m)
{
	uint32_t seq = r->seq;
	int se = send_request(r, b);
	if (se)
		return se;
	uint64_t deadline = ctl_mono_ms() + (uint64_t)r->timeout_ms;
	for (;;) {
		int e = ctl_read_msg(r->fd, &r->in, deadline, m);
		if (e < 0)
			return e;
		if (e == 0)
			return -ETIMEDOUT;
		if (m->hdr.type == CTL_MSG_SOCK_EVENT) {
			note_events(r, m);
			continue;
		}
		if (m->hdr.seq != seq)
			continue;  /* a late answer to a request that timed out */
		note_events(r, m);
		int32_t err = 0;
		if (m->hdr.type == CTL_MSG_ERROR || !ctl_get_s32(m, A_ERRNO, &err))
			return ctl_get_s32(m, A_ERRNO, &err) && err ? -err : -EPROTO;
		return err ? -err : 0;
	}
}

static void begin_flags(struct remote *r, struct ctl_builder *b, uint16_t type, int sd,
			uint16_t flags)
{
	ctl_build_begin(b, r->out, sizeof(r->out), type, CTL_F_REQUEST | flags, ++r->seq);
	if (sd < 0)
		return;
	ctl_put_u32(b, A_SD, (uint32_t)sd);
	/* a call other than a send (shutdown, close, options) may change what a send does:
	 * the next one asks again */
	struct rsock *x = type != CTL_MSG_SOCK_SENDMSG ? rs(r, sd) : NULL;
	if (x)
		x->send_credit = 0;
}

static void begin(struct remote *r, struct ctl_builder *b, uint16_t type, int sd)
{
	begin_flags(r, b, type, sd, 0);
}

/* ---- the calls ---- */

int remote_socket(struct umk_stack *s, int domain, int type, int proto)
{
	struct remote *r = R(s);
	struct ctl_builder b;
	struct ctl_msg m;
	begin(r, &b, CTL_MSG_SOCK_SOCKET, -1);
	ctl_put_u32(&b, A_DOMAIN, (uint32_t)domain);
	ctl_put_u32(&b, A_SOCKTYPE, (uint32_t)type);
	ctl_put_u32(&b, A_SOCKPROTO, (uint32_t)proto);
	int e = rpc(r, &b, &m);
	uint32_t sd;
	if (e)
		return e;
	if (!ctl_get_u32(&m, A_SD, &sd))
		return -EPROTO;
	struct rsock *x = rs(r, (int)sd);
	if (!x)
		return -EMFILE;
	short ev = x->events;
	memset(x, 0, sizeof(*x));
	x->events = ev;
	x->nonblock = type & SOCK_NONBLOCK;
	x->stream = (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM;
	return (int)sd;
}

static int wait_ready(struct remote *r, int sd, short want, uint32_t timeout_ms);

int remote_addr_call(struct umk_stack *s, uint16_t op, int sd, const struct sockaddr *a,
		     socklen_t len)
{
	struct remote *r = R(s);
	struct ctl_builder b;
	struct ctl_msg m;
	struct sockaddr_in6 sa;
	begin(r, &b, op, sd);
	if (a && len >= sizeof(sa_family_t) && a->sa_family == AF_UNSPEC && op == CTL_MSG_SOCK_CONNECT)
		return rpc(r, &b, &m);  /* no address: dissolve */
	if (!a || len < sizeof(sa))
		return -EINVAL;
	memcpy(&sa, a, sizeof(sa));
	if (sa.sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	ctl_sockaddr_put(&b, &sa);
	int e = rpc(r, &b, &m);
	struct rsock *x = rs(r, sd);
	/* a blocking stream connect waits for the handshake (POLLOUT) or its failure */
	if (e == -EINPROGRESS && x && x->stream && !x->nonblock) {
		x->events &= (short)~POLLOUT;
		if ((e = wait_ready(r, sd, POLLOUT, 0)))
			return e;
		if (x->events & POLLOUT)
			return 0;
		int err = 0;
		socklen_t l = sizeof(err);
		e = remote_getsockopt(s, sd, SOL_SOCKET, SO_ERROR, &err, &l);
		return e ? e : (err ? -err : -ECONNREFUSED);
	}
	return e;
}

ssize_t remote_sendmsg(struct umk_stack *s, int sd, const struct msghdr *msg, int flags)
{
	struct remote *r = R(s);
	struct ctl_builder b;
	struct ctl_msg m;
	if (!msg)
		return -EFAULT;
	size_t len = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		len += msg->msg_iov[i].iov_len;
	struct rsock *xs = rs(r, sd);
	bool stream = xs && xs->stream;
	/* one control message carries the datagram (msg.h CTL_MSG_MAX); a stream send is
	 * partial instead, as POSIX allows */
	if (len > CTL_MSG_MAX - 2048 && !stream)
		return -EMSGSIZE;
	if (stream && len > CTL_MSG_MAX - 2048)
		len = CTL_MSG_MAX - 2048;
	/* A plain stream send that fits the space the daemon last told is sent without
	 * waiting for its answer (CTL_F_NOREPLY): it cannot be short, and the client's next
	 * request is on its way while the daemon handles this one. Anything else (datagrams,
	 * ancillary data, flags, no known space) asks and waits. */
	bool ahead = stream && len && len <= xs->send_credit && !msg->msg_name &&
		     !msg->msg_controllen && !(flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL));
	begin_flags(r, &b, CTL_MSG_SOCK_SENDMSG, sd, ahead ? CTL_F_NOREPLY : 0);
	/* the caller's bytes go straight into the request */
	uint8_t *data = ctl_put_reserve(&b, len);
	if (!data)
		return -EMSGSIZE;
	for (size_t i = 0, off = 0; i < msg->msg_iovlen && off < len; i++) {
		size_t n = msg->msg_iov[i].iov_len < len - off ? msg->msg_iov[i].iov_len : len - off;
		if (n)
			memcpy(data + off, msg->msg_iov[i].iov_base, n);
		off += n;
	}
	ctl_put_commit(&b, A_DATA, len);
	if (msg->msg_name && msg->msg_namelen) {
		struct sockaddr_in6 sa;
		if (msg->msg_namelen < sizeof(sa))
			return -EINVAL;
		memcpy(&sa, msg->msg_name, sizeof(sa));
		if (sa.sin6_family != AF_INET6)
			return -EAFNOSUPPORT;
		ctl_sockaddr_put(&b, &sa);
	}
	uint8_t enc[4096];           /* room for RFC 3542 extension headers (sock_ctl.c) */
	int n = ctl_cmsg_encode(msg, enc, sizeof(enc));
	if (n < 0)
		return n;
	if (n)
		ctl_put(&b, A_CMSG, enc, (size_t)n);
	ctl_put_u32(&b, A_MSGFLAGS, (uint32_t)(flags & ~MSG_DONTWAIT));
	if (ahead) {
		int se = send_request(r, &b);
		if (se)
			return se;
		xs->send_credit -= (uint32_t)len;
		return (ssize_t)len;
	}
	int e = rpc(r, &b, &m);
	uint32_t space = 0;
	xs = rs(r, sd);       /* events in the answer may have grown the table */
	if (xs && stream)
		xs->send_credit = !e && ctl_get_u32(&m, A_SNDSPACE, &space) ? space : 0;
	uint64_t ret;
	/* a full stream send buffer: a blocking socket waits for room and tries again */
	if (e == -EAGAIN && stream && !xs->nonblock && !(flags & MSG_DONTWAIT)) {
		xs->events &= (short)~POLLOUT;
		if ((e = wait_ready(r, sd, POLLOUT, 0)))
			return e;
		return remote_sendmsg(s, sd, msg, flags);   /* the same request again */
	}
	if (e)
		return e;
	return ctl_get_u64(&m, A_RET, &ret) ? (ssize_t)ret : -EPROTO;
}

/* Waits for a socket's readiness to include want, up to timeout_ms (0 = forever).
 * 0 when ready, -EAGAIN when the time ran out. */
static int wait_ready(struct remote *r, int sd, short want, uint32_t timeout_ms)
{
	uint64_t deadline = timeout_ms ? ctl_mono_ms() + timeout_ms : UINT64_MAX;
	for (;;) {
		struct rsock *x = rs(r, sd);
		if (!x)
			return -EBADF;
		if (x->events & (want | POLLERR | POLLHUP))
			return 0;
		int e = pump(r, deadline);
		if (e < 0)
			return e;
		if (e == 0)
			return -EAGAIN;
	}
}

ssize_t remote_recvmsg(struct umk_stack *s, int sd, struct msghdr *msg, int flags)
{
	struct remote *r = R(s);
	struct ctl_builder b;
	struct ctl_msg m;
	if (!msg)
		return -EFAULT;
	size_t room = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		room += msg->msg_iov[i].iov_len;
	for (;;) {
		begin(r, &b, CTL_MSG_SOCK_RECVMSG, sd);
		ctl_put_u32(&b, A_BUFLEN, (uint32_t)(room > CTL_MSG_MAX ? CTL_MSG_MAX : room));
		ctl_put_u32(&b, A_MSGFLAGS, (uint32_t)(flags & (MSG_PEEK | MSG_TRUNC | MSG_OOB)));
		int e = rpc(r, &b, &m);
		struct rsock *x = rs(r, sd);
		/* recv(MSG_OOB) never waits: no urgent octet yet is EAGAIN at once (BSD, Linux) */
		if (e == -EAGAIN && x && !x->nonblock && !(flags & (MSG_DONTWAIT | MSG_OOB))) {
			x->events &= (short)~POLLIN;
			e = wait_ready(r, sd, POLLIN, x->rcvtimeo_ms);
			if (e)
				return e;
			continue;
		}
		if (e)
			return e;
		break;
	}
	const uint8_t *d = ctl_get_bytes(&m, A_DATA);
	size_t dlen = d ? m.attr[A_DATA].len : 0, off = 0;
	for (size_t i = 0; i < msg->msg_iovlen && off < dlen; i++) {
		size_t n = msg->msg_iov[i].iov_len < dlen - off ? msg->msg_iov[i].iov_len : dlen - off;
		memcpy(msg->msg_iov[i].iov_base, d + off, n);
		off += n;
	}
	uint32_t mf = 0;
	ctl_get_u32(&m, A_MSGFLAGS, &mf);
	msg->msg_flags = (int)mf;
	struct sockaddr_in6 sa;
	if (msg->msg_name && msg->msg_namelen && ctl_sockaddr_get(&m, &sa)) {
		memcpy(msg->msg_name, &sa, msg->msg_namelen < sizeof(sa) ? msg->msg_namelen : sizeof(sa));
		msg->msg_namelen = sizeof(sa);
	} else {
		msg->msg_namelen = 0;
	}
	const uint8_t *c = ctl_get_bytes(&m, A_CMSG);
	if (c)
		ctl_cmsg_decode(c, m.attr[A_CMSG].len, msg);
	else if (msg->msg_control)
		msg->msg_controllen = 0;
	uint64_t ret;
	return ctl_get_u64(&m, A_RET, &ret) ? (ssize_t)ret : -EPROTO;
}

int remote_simple(struct umk_stack *s, uint16_t op, int sd, int arg)
{
	struct remote *r = R(s);
	struct ctl_builder b;
	struct ctl_msg m;
	begin(r, &b, op, sd);
	if (op == CTL_MSG_SOCK_SHUTDOWN || op == CTL_MSG_SOCK_LISTEN)
		ctl_put_u32(&b, A_HOW, (uint32_t)arg);
	int e = rpc(r, &b, &m);
	struct rsock *x;
	if (!e && op == CTL_MSG_SOCK_CLOSE && (x = rs(r, sd)))
		memset(x, 0, sizeof(*x));
	return e;
}

int remote_getname(struct umk_stack *s, uint16_t op, int sd, struct sockaddr *a, socklen_t *len)
{
	struct remote *r = R(s);
	struct ctl_builder b;
	struct ctl_msg m;
	struct sockaddr_in6 sa;
	if (!a || !len)
		return -EFAULT;
	begin(r, &b, op, sd);
	int e = rpc(r, &b, &m);
	if (e)
		return e;
	if (!ctl_sockaddr_get(&m, &sa))
		return -EPROTO;
	memcpy(a, &sa, *len < sizeof(sa) ? *len : sizeof(sa));
	*len = sizeof(sa);
	return 0;
}

int remote_setsockopt(struct umk_stack *s, int sd, int level, int name, const void *val,
		      socklen_t len)
{
	struct remote *r = R(s);
	struct ctl_builder b;
	struct ctl_msg m;
	if (len > SOCK_CTL_OPT_MAX)
		return -EINVAL;
	begin(r, &b, CTL_MSG_SOCK_SETSOCKOPT, sd);
	ctl_put_u32(&b, A_LEVEL, (uint32_t)level);
	ctl_put_u32(&b, A_OPTNAME, (uint32_t)name);
	if (val && len)
		ctl_put(&b, A_OPTVAL, val, len);
	int e = rpc(r, &b, &m);
	struct rsock *x = rs(r, sd);
	/* SO_RCVTIMEO is what a blocking remote receive waits for (socket.h) */
	if (!e && x && level == SOL_SOCKET && name == SO_RCVTIMEO && len >= sizeof(struct timeval)) {
		struct timeval tv;
		memcpy(&tv, val, sizeof(tv));
		x->rcvtimeo_ms = (uint32_t)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
	}
	return e;
}

int remote_getsockopt(struct umk_stack *s, int sd, int level, int name, void *val,
		      socklen_t *len)
{
	struct remote *r = R(s);
	struct ctl_builder b;
	struct ctl_msg m;
	if (!val || !len)
		return -EFAULT;
	begin(r, &b, CTL_MSG_SOCK_GETSOCKOPT, sd);
	ctl_put_u32(&b, A_LEVEL, (uint32_t)level);
	ctl_put_u32(&b, A_OPTNAME, (uint32_t)name);
	ctl_put_u32(&b, A_BUFLEN, *len);
	/* Some options read their input from the buffer (MCAST_MSFILTER names the group and
	 * interface there, RFC 3678 5.2.1): the caller's bytes travel with the request. */
	if (*len)
		ctl_put(&b, A_OPTVAL, val, *len < SOCK_CTL_OPT_MAX ? *len : SOCK_CTL_OPT_MAX);
	int e = rpc(r, &b, &m);
	if (e)
		return e;
	const uint8_t *v = ctl_get_bytes(&m, A_OPTVAL);
	socklen_t n = v ? m.attr[A_OPTVAL].len : 0;
	if (n > *len)
		return -EPROTO;
	memcpy(val, v, n);
	*len = n;
	return 0;
}

int remote_poll(struct umk_stack *s, struct umk_pollfd *fds, unsigned nfds, int timeout_ms)
{
	struct remote *r = R(s);
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : ctl_mono_ms() + (uint64_t)timeout_ms;
	/* take in whatever the daemon already said */
	int e;
	while ((e = pump(r, 0)) > 0)
		;
	if (e < 0)
		return e;
	for (;;) {
		int n = 0;
		for (unsigned i = 0; i < nfds; i++) {
			struct rsock *x = rs(r, fds[i].sd);
			fds[i].revents = x ? (short)(x->events & (fds[i].events | POLLERR | POLLHUP)) :
					     POLLNVAL;
			if (fds[i].revents)
				n++;
		}
		if (n || timeout_ms == 0)
			return n;
		e = pump(r, deadline);
		if (e < 0)
			return e;
		if (e == 0)
			return 0;
	}
}

int remote_accept(struct umk_stack *s, int sd, struct sockaddr *a, socklen_t *len)
{
	struct remote *r = R(s);
	struct ctl_builder b;
	struct ctl_msg m;
	int e;
	for (;;) {
		begin(r, &b, CTL_MSG_SOCK_ACCEPT, sd);
		e = rpc(r, &b, &m);
		struct rsock *x = rs(r, sd);
		if (e == -EAGAIN && x && !x->nonblock) {
			x->events &= (short)~POLLIN;
			if ((e = wait_ready(r, sd, POLLIN, 0)))
				return e;
			continue;
		}
		break;
	}
	if (e)
		return e;
	uint64_t nsd;
	struct sockaddr_in6 sa;
	if (!ctl_get_u64(&m, A_RET, &nsd))
		return -EPROTO;
	struct rsock *x = rs(r, (int)nsd);
	if (!x)
		return -EMFILE;
	memset(x, 0, sizeof(*x));
	x->stream = true;
	if (a && len && ctl_sockaddr_get(&m, &sa)) {
		memcpy(a, &sa, *len < sizeof(sa) ? *len : sizeof(sa));
		*len = sizeof(sa);
	}
	return (int)nsd;
}

int remote_set_callback(struct umk_stack *s, int sd, umk_sock_cb fn, void *ctx)
{
	struct rsock *x = rs(R(s), sd);
	if (!x)
		return -EBADF;
	x->cb = fn;
	x->ctx = ctx;
	return 0;
}
