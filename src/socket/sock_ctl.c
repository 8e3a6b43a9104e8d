/*
 * sock_ctl.c - the server side of the remote socket API: one CTL_MSG_SOCK_* request (msg.h)
 * executed on the real stack for one owner (a connection of umikamed, daemon/sockets.c),
 * answered by one SOCK_REPLY. An owner only reaches its own sockets (others are EBADF).
 * Pure library code, so fuzz/fuzz_sock_ctl.c drives it without a daemon.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ctl/msg.h"
#include "socket/sock_ctl.h"
#include "socket/sock_int.h"

#define DATA_MAX (CTL_MSG_MAX - 512)  /* room left for the other attributes */
/* Ancillary data either way: room for RFC 3542 extension headers (one of 2048 bytes, and
 * the small ones); a datagram read with them leaves this much of the message for them. */
#define CMSG_MAX 4096

void ctl_sockaddr_put(struct ctl_builder *b, const struct sockaddr_in6 *a)
{
	uint8_t v[CTL_SOCKADDR_LEN];
	memcpy(v, &a->sin6_addr, 16);
	memcpy(v + 16, &a->sin6_port, 2);           /* already network order */
	uint32_t fi = htonl(a->sin6_flowinfo), sc = htonl(a->sin6_scope_id);
	memcpy(v + 18, &fi, 4);
	memcpy(v + 22, &sc, 4);
	ctl_put(b, A_SOCKADDR, v, sizeof(v));
}

bool ctl_sockaddr_get(const struct ctl_msg *m, struct sockaddr_in6 *a)
{
	const uint8_t *v = ctl_get_bytes(m, A_SOCKADDR);
	if (!v || m->attr[A_SOCKADDR].len != CTL_SOCKADDR_LEN)
		return false;
	uint32_t fi, sc;
	memset(a, 0, sizeof(*a));
	a->sin6_family = AF_INET6;
	memcpy(&a->sin6_addr, v, 16);
	memcpy(&a->sin6_port, v + 16, 2);
	memcpy(&fi, v + 18, 4);
	memcpy(&sc, v + 22, 4);
	a->sin6_flowinfo = ntohl(fi);
	a->sin6_scope_id = ntohl(sc);
	return true;
}

int ctl_cmsg_encode(const struct msghdr *msg, uint8_t *out, size_t cap)
{
	size_t n = 0;
	if (!msg->msg_control || !msg->msg_controllen)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		/* as the local send path checks it (dgram.c): no data past msg_controllen */
		if (c->cmsg_len < CMSG_LEN(0) ||
		    (const char *)c + c->cmsg_len >
		    (const char *)msg->msg_control + msg->msg_controllen)
			return -EINVAL;
		uint32_t dlen = (uint32_t)(c->cmsg_len - CMSG_LEN(0));
		size_t step = 12 + ((dlen + 3) & ~3u);
		if (n + step > cap)
			return -EMSGSIZE;
		uint32_t h[3] = { htonl((uint32_t)c->cmsg_level), htonl((uint32_t)c->cmsg_type),
				  htonl(dlen) };
		memcpy(out + n, h, 12);
		memset(out + n + 12, 0, step - 12);
		memcpy(out + n + 12, CMSG_DATA(c), dlen);
		n += step;
	}
	return (int)n;
}

int ctl_cmsg_decode(const uint8_t *in, size_t len, struct msghdr *msg)
{
	size_t n = 0, used = 0;
	while (n < len) {
		uint32_t h[3];
		if (len - n < 12)
			return -EINVAL;
		memcpy(h, in + n, 12);
		uint32_t dlen = ntohl(h[2]);
		if (dlen > len - n - 12)
			return -EINVAL;
		if (!msg->msg_control || used + CMSG_LEN(dlen) > msg->msg_controllen) {
			msg->msg_flags |= MSG_CTRUNC;
			break;
		}
		struct cmsghdr c = { .cmsg_len = CMSG_LEN(dlen), .cmsg_level = (int)ntohl(h[0]),
				     .cmsg_type = (int)ntohl(h[1]) };
		uint8_t *p = (uint8_t *)msg->msg_control + used;
		memcpy(p, &c, sizeof(c));
		memcpy(CMSG_DATA((struct cmsghdr *)p), in + n + 12, dlen);
		used += CMSG_SPACE(dlen);
		if (used > msg->msg_controllen)
			used = msg->msg_controllen;
		n += 12 + ((dlen + 3) & ~3u);
	}
	if (msg->msg_control)
		msg->msg_controllen = used;
	return 0;
}

static struct sock *owned(struct umk_stack *s, void *owner, const struct ctl_msg *m, int *sd)
{
	uint32_t v;
	if (!ctl_get_u32(m, A_SD, &v) || v > INT32_MAX)
		return NULL;
	*sd = (int)v;
	struct sock *so = sock_get(s, *sd);
	return so && so->owner == owner ? so : NULL;
}

static int err_of(long r) { return r < 0 ? errno : 0; }

int sock_ctl_handle(struct umk_stack *s, void *owner, umk_sock_cb cb, void *cb_ctx,
		    const struct ctl_msg *m, uint8_t *buf, size_t cap)
{
	struct ctl_builder b;
	int sd = -1, e = 0;
	long r = 0;
	uint32_t u = 0;
	struct sock *so = NULL;
	struct sockaddr_in6 a;

	ctl_build_begin(&b, buf, cap, CTL_MSG_SOCK_REPLY, 0, m->hdr.seq);
	if (m->hdr.type != CTL_MSG_SOCK_SOCKET && !(so = owned(s, owner, m, &sd))) {
		e = EBADF;
		goto out;
	}
	switch (m->hdr.type) {
	case CTL_MSG_SOCK_SOCKET: {
		uint32_t dom = 0, type = 0, proto = 0;
		ctl_get_u32(m, A_DOMAIN, &dom);
		ctl_get_u32(m, A_SOCKTYPE, &type);
		ctl_get_u32(m, A_SOCKPROTO, &proto);
		/* the daemon never blocks: the client handles SOCK_NONBLOCK itself */
		r = umk_socket(s, (int)dom, (int)(type & ~(uint32_t)SOCK_NONBLOCK), (int)proto);
		if ((e = err_of(r)))
			break;
		sd = (int)r;
		so = sock_get(s, sd);
		so->owner = owner;
		umk_sock_set_callback(s, sd, cb, cb_ctx);
		break;
	}
	case CTL_MSG_SOCK_BIND:
	case CTL_MSG_SOCK_CONNECT:
		if (!ctl_sockaddr_get(m, &a)) {
			if (m->hdr.type == CTL_MSG_SOCK_BIND) {
				e = EINVAL;
				break;
			}
			struct sockaddr un = { .sa_family = AF_UNSPEC };
			r = umk_connect(s, sd, &un, sizeof(un));
		} else if (m->hdr.type == CTL_MSG_SOCK_BIND) {
			r = umk_bind(s, sd, (struct sockaddr *)&a, sizeof(a));
		} else {
			r = umk_connect(s, sd, (struct sockaddr *)&a, sizeof(a));
		}
		e = err_of(r);
		break;
	case CTL_MSG_SOCK_SENDMSG: {
		uint8_t ctl[CMSG_MAX];
		struct iovec iov = { .iov_base = (void *)ctl_get_bytes(m, A_DATA),
				     .iov_len = m->attr[A_DATA].len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (!iov.iov_base)
			iov.iov_base = (void *)"";
		if (ctl_sockaddr_get(m, &a)) {
			mh.msg_name = &a;
			mh.msg_namelen = sizeof(a);
		}
		const uint8_t *cm = ctl_get_bytes(m, A_CMSG);
		if (cm) {
			mh.msg_control = ctl;
			mh.msg_controllen = sizeof(ctl);
			if (ctl_cmsg_decode(cm, m->attr[A_CMSG].len, &mh) ||
			    (mh.msg_flags & MSG_CTRUNC)) {
				e = EINVAL;
				break;
			}
			mh.msg_flags = 0;
		}
		ctl_get_u32(m, A_MSGFLAGS, &u);
		r = umk_sendmsg(s, sd, &mh, (int)(u | MSG_DONTWAIT));
		if (m->hdr.flags & CTL_F_NOREPLY) {
			/* the client counted every byte as sent: a failure (the connection
			 * broke; a short send cannot happen within the space we told) waits in
			 * the socket for its next call, as a kernel socket's would */
			if (r != (long)iov.iov_len && sock_get(s, sd) == so)
				so->error = r < 0 ? err_of(r) : EIO;
			return 0;
		}
		if (!(e = err_of(r)))
			ctl_put_u64(&b, A_RET, (uint64_t)r);
		if (so->ops->send_space && sock_get(s, sd) == so)
			ctl_put_u32(&b, A_SNDSPACE, so->ops->send_space(s, so));
		break;
	}
	case CTL_MSG_SOCK_RECVMSG: {
		uint8_t ctl[CMSG_MAX], enc[CMSG_MAX + 256];
		uint32_t want = 0, most = DATA_MAX - (sock_ext_wanted(so) ? sizeof(enc) : 0);
		ctl_get_u32(m, A_BUFLEN, &want);
		if (want > most)
			want = most;
		/* the bytes go from the socket's queue straight into the reply's A_DATA attribute
		 * (its header written once the length is known): no buffer of their own, no
		 * copy into the reply after (docs/bench-tcp.md) */
		uint8_t *data = ctl_put_reserve(&b, want);
		if (!data) {
			e = EMSGSIZE;
			break;
		}
		struct iovec iov = { .iov_base = data, .iov_len = want };
		struct msghdr mh = { .msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		ctl_get_u32(m, A_MSGFLAGS, &u);
		r = umk_recvmsg(s, sd, &mh,
				(int)((u & (MSG_PEEK | MSG_TRUNC | MSG_OOB)) | MSG_DONTWAIT));
		if ((e = err_of(r)))
			break;
		ctl_put_commit(&b, A_DATA, (size_t)r < want ? (size_t)r : want);
		ctl_put_u64(&b, A_RET, (uint64_t)r);
		if (mh.msg_namelen)
			ctl_sockaddr_put(&b, &a);
		int n = ctl_cmsg_encode(&mh, enc, sizeof(enc));
		if (n > 0)
			ctl_put(&b, A_CMSG, enc, (size_t)n);
		ctl_put_u32(&b, A_MSGFLAGS, (uint32_t)mh.msg_flags);
		break;
	}
	case CTL_MSG_SOCK_SHUTDOWN:
		ctl_get_u32(m, A_HOW, &u);
		e = err_of(umk_shutdown(s, sd, (int)u));
		break;
	case CTL_MSG_SOCK_CLOSE:
		e = err_of(umk_close(s, sd));
		so = NULL;
		break;
	case CTL_MSG_SOCK_GETSOCKNAME:
	case CTL_MSG_SOCK_GETPEERNAME: {
		socklen_t l = sizeof(a);
		r = m->hdr.type == CTL_MSG_SOCK_GETSOCKNAME ?
		    umk_getsockname(s, sd, (struct sockaddr *)&a, &l) :
		    umk_getpeername(s, sd, (struct sockaddr *)&a, &l);
		if (!(e = err_of(r)))
			ctl_sockaddr_put(&b, &a);
		break;
	}
	case CTL_MSG_SOCK_SETSOCKOPT:
	case CTL_MSG_SOCK_GETSOCKOPT: {
		uint32_t level = 0, name = 0;
		ctl_get_u32(m, A_LEVEL, &level);
		ctl_get_u32(m, A_OPTNAME, &name);
		if (m->hdr.type == CTL_MSG_SOCK_SETSOCKOPT) {
			const uint8_t *v = ctl_get_bytes(m, A_OPTVAL);
			e = err_of(umk_setsockopt(s, sd, (int)level, (int)name, v,
						  v ? m->attr[A_OPTVAL].len : 0));
			break;
		}
		/* the caller's buffer as input (remote.c), the rest zero: never stack garbage */
		uint8_t v[SOCK_CTL_OPT_MAX] = { 0 };
		const uint8_t *in = ctl_get_bytes(m, A_OPTVAL);
		if (in)
			memcpy(v, in, m->attr[A_OPTVAL].len < sizeof(v) ? m->attr[A_OPTVAL].len :
									sizeof(v));
		ctl_get_u32(m, A_BUFLEN, &u);
		socklen_t l = u < sizeof(v) ? u : sizeof(v);
		if (!(e = err_of(umk_getsockopt(s, sd, (int)level, (int)name, v, &l))))
			ctl_put(&b, A_OPTVAL, v, l);
		break;
	}
	case CTL_MSG_SOCK_POLL:
		break;
	case CTL_MSG_SOCK_LISTEN:
		ctl_get_u32(m, A_HOW, &u);
		e = err_of(umk_listen(s, sd, (int)u));
		break;
	case CTL_MSG_SOCK_ACCEPT: {
		socklen_t l = sizeof(a);
		r = umk_accept(s, sd, (struct sockaddr *)&a, &l);
		if ((e = err_of(r)))
			break;
		struct sock *nso = sock_get(s, (int)r);
		nso->owner = owner;
		umk_sock_set_callback(s, (int)r, cb, cb_ctx);
		ctl_put_u64(&b, A_RET, (uint64_t)r);
		ctl_sockaddr_put(&b, &a);
		break;
	}
	default:
		e = EOPNOTSUPP;
		break;
	}
out:
	ctl_put_s32(&b, A_ERRNO, e);
	if (so && sock_get(s, sd) == so) {
		ctl_put_u32(&b, A_SD, (uint32_t)sd);
		ctl_put_u32(&b, A_EVENTS, (uint32_t)(uint16_t)so->ops->poll(s, so));
	}
	return ctl_build_end(&b);
}

void sock_ctl_release(struct umk_stack *s, void *owner)
{
	if (!s->sock)
		return;
	for (uint32_t i = 0; i < s->sock->cap; i++) {
		struct sock *so = s->sock->tab[i];
		if (so && so->owner == owner)
			umk_close(s, (int)i);
	}
}
