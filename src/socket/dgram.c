/*
 * dgram.c - what datagram sockets (UDP, raw) share: socket addresses with their zones
 * (RFC 4007 11, sin6_scope_id), reading a send's destination and ancillary data
 * (RFC 3542 6), turning socket options and ancillary data into an ip6_tx, and receiving one
 * queued datagram with IPV6_PKTINFO / HOPLIMIT / TCLASS / PATHMTU ancillary data
 * (RFC 3542 6, 11.3). Extension headers and IPV6_NEXTHOP: socket/exthdr.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/route6.h"
#include "socket/sock_int.h"

/* ---- addresses ---- */

int sock_addr_in(struct umk_stack *s, const struct sockaddr *a, socklen_t len,
		 struct sockaddr_in6 *out)
{
	if (!a || len < sizeof(struct sockaddr_in6))
		return -EINVAL;
	memcpy(out, a, sizeof(*out));
	if (out->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (IN6_IS_ADDR_V4MAPPED(&out->sin6_addr))
		return -EAFNOSUPPORT; /* no IPv4 in this stack (yet) */
	if (!in6_is_scoped(&out->sin6_addr)) {
		out->sin6_scope_id = 0;
		return 0;
	}
	/* RFC 4007 11: the zone of a scoped address is its interface index here */
	if (out->sin6_scope_id && !if_get(s, (int)out->sin6_scope_id))
		return -ENODEV;
	return 0;
}

int sock_addr_zone(struct umk_stack *s, const struct sockaddr_in6 *a, int *zone)
{
	*zone = 0;
	if (!in6_is_scoped(&a->sin6_addr))
		return 0;
	if (a->sin6_scope_id)
		*zone = (int)a->sin6_scope_id;
	else if (s->n_ifs == 1)
		*zone = if_first(s)->index;   /* RFC 4007 6: the default zone */
	else
		return -EINVAL;
	return 0;
}

void sock_addr_out(struct sockaddr_in6 *out, const struct in6_addr *a, uint16_t port, int zone)
{
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_port = htons(port);
	out->sin6_addr = *a;
	if (in6_is_scoped(a))
		out->sin6_scope_id = (uint32_t)zone;
}

int sock_choose_source(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif,
		       struct in6_addr *src)
{
	struct umk_if *ifp = NULL;
	struct rt6_nexthop nh;

	if (!IN6_IS_ADDR_MULTICAST(dst)) {
		struct in6_ifaddr *ia = in6_addr_find(s, in6_is_scoped(dst) ? if_get(s, zone) : NULL,
						      dst);
		if (ia && !(ia->flags & (UMK_ADDR_F_TENTATIVE | UMK_ADDR_F_DADFAILED))) {
			*src = *dst; /* talking to ourselves */
			return 0;
		}
	}
	if (in6_is_scoped(dst) || IN6_IS_ADDR_MULTICAST(dst))
		ifp = if_get(s, zone ? zone : oif);
	if (!ifp && !rt6_lookup(s, dst, zone, oif, &nh))
		ifp = nh.ifp;
	if (!ifp && s->n_ifs == 1)
		ifp = if_first(s);
	if (!ifp)
		return -ENETUNREACH;
	return ip6_select_source(s, ifp, dst, src);
}

uint32_t sock_path_mtu(struct umk_stack *s, const struct in6_addr *dst, int zone)
{
	struct umk_if *ifp = NULL;
	struct rt6_nexthop nh;
	if (in6_is_scoped(dst))
		ifp = if_get(s, zone);
	else if (!rt6_lookup(s, dst, zone, 0, &nh))
		ifp = nh.ifp;
	if (!ifp && s->n_ifs == 1)
		ifp = if_first(s);
	return ifp ? pmtu_get(s, ifp, dst) : 0;
}

/* ---- sending ---- */

static int cmsg_int(const struct cmsghdr *c, int lo, int hi, int *v)
{
	if (c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EINVAL;
	memcpy(v, CMSG_DATA(c), sizeof(int));
	return *v < lo || *v > hi ? -EINVAL : 0;
}

static int send_cmsg(struct umk_stack *s, const struct cmsghdr *c, struct sock_send *ss)
{
	if (c->cmsg_level != IPPROTO_IPV6)
		return -EINVAL;
	switch (c->cmsg_type) {
	case IPV6_PKTINFO: {
		/* RFC 3542 6.1: source address and outgoing interface */
		struct in6_pktinfo pi;
		if (c->cmsg_len != CMSG_LEN(sizeof(pi)))
			return -EINVAL;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		if (pi.ipi6_ifindex && !if_get(s, (int)pi.ipi6_ifindex))
			return -ENXIO;
		ss->src = pi.ipi6_addr;
		ss->ifindex = (int)pi.ipi6_ifindex;
		return 0;
	}
	case IPV6_HOPLIMIT:
		return cmsg_int(c, -1, 255, &ss->hlim);      /* RFC 3542 6.3 */
	case IPV6_TCLASS:
		return cmsg_int(c, -1, 255, &ss->tclass);    /* RFC 3542 6.5 */
	case IPV6_DONTFRAG:
		return cmsg_int(c, 0, 1, &ss->dontfrag);     /* RFC 3542 11.2 */
	case IPV6_USE_MIN_MTU:
		return cmsg_int(c, -1, 1, &ss->minmtu);      /* RFC 3542 11.1 */
	case IPV6_NEXTHOP:
	case IPV6_RTHDR:
	case IPV6_HOPOPTS:
	case IPV6_DSTOPTS:
	case IPV6_RTHDRDSTOPTS:
		return sock_ext_cmsg(s, c, ss);               /* RFC 3542 6.4, 7-9 */
	default:
		return -EINVAL;
	}
}

int sock_send_parse(struct umk_stack *s, struct sock *so, const struct msghdr *msg, int flags,
		    struct sock_send *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->hlim = ss->tclass = ss->dontfrag = -1;
	ss->minmtu = -2;
	ss->flags = flags;
	if (!msg)
		return -EFAULT;
	/* MSG_OOB: TCP urgent data (RFC 9293 3.8.5); datagrams have none */
	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CONFIRM | MSG_MORE |
		      (so->type == SOCK_STREAM ? MSG_OOB : 0)))
		return -EOPNOTSUPP;
	if (msg->msg_name && msg->msg_namelen) {
		int r = sock_addr_in(s, msg->msg_name, msg->msg_namelen, &ss->to);
		if (r)
			return r;
		ss->has_to = true;
	}
	if (msg->msg_iovlen && !msg->msg_iov)
		return -EFAULT;
	ss->iov = msg->msg_iov;
	ss->iovlen = msg->msg_iovlen;
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		if (msg->msg_iov[i].iov_len && !msg->msg_iov[i].iov_base)
			return -EFAULT;
		ss->len += msg->msg_iov[i].iov_len;
		if (ss->len > 0x10000000)
			return -EMSGSIZE;
	}
	if (msg->msg_controllen) {
		if (!msg->msg_control)
			return -EFAULT;
		for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
		     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
			if (c->cmsg_len < CMSG_LEN(0) ||
			    (char *)c + c->cmsg_len > (char *)msg->msg_control + msg->msg_controllen)
				return -EINVAL;
			int r = send_cmsg(s, c, ss);
			if (r)
				return r;
		}
	}
	return 0;
}

void sock_iov_copy(const struct sock_send *ss, uint8_t *p)
{
	for (size_t i = 0; i < ss->iovlen; i++) {
		memcpy(p, ss->iov[i].iov_base, ss->iov[i].iov_len);
		p += ss->iov[i].iov_len;
	}
}

int sock_tx_prepare(struct umk_stack *s, struct sock *so, const struct sock_send *ss,
		    struct ip6_tx *tx, uint8_t nxt)
{
	const struct sock_opts *o = &so->opt;

	ip6_tx_init(tx, nxt);
	if (ss->has_to) {
		tx->dst = ss->to.sin6_addr;
		tx->zone = (int)ss->to.sin6_scope_id;
	} else {
		tx->dst = so->faddr;
		tx->zone = so->fzone;
	}
	bool mcast = IN6_IS_ADDR_MULTICAST(&tx->dst);

	/* RFC 3542 6.1: ancillary IPV6_PKTINFO overrides the sticky one, which overrides the
	 * bound address */
	struct in6_addr src = ss->src;
	int oif = ss->ifindex;
	if (o->has_pktinfo) {
		if (IN6_IS_ADDR_UNSPECIFIED(&src))
			src = o->pktinfo.ipi6_addr;
		if (!oif)
			oif = (int)o->pktinfo.ipi6_ifindex;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&src) && !IN6_IS_ADDR_MULTICAST(&so->laddr))
		src = so->laddr;
	if (!IN6_IS_ADDR_UNSPECIFIED(&src)) {
		struct in6_ifaddr *ia = in6_addr_find(s, in6_is_scoped(&src) && oif ?
						      if_get(s, oif) : NULL, &src);
		if (!ia)
			return -EADDRNOTAVAIL;
		if (in6_is_scoped(&src) && !oif)
			oif = ia->ifp->index;
	}
	tx->src = src;
	if (!oif && mcast)
		oif = o->multicast_if;  /* RFC 3493 5.2 IPV6_MULTICAST_IF */
	tx->oif = oif;
	if (!tx->zone && in6_is_scoped(&tx->dst))
		tx->zone = oif ? oif : so->lzone;

	/* RFC 3542 6.3: ancillary hop limit, else the socket's option, -1 = default */
	if (ss->hlim >= 0)
		tx->hlim = (int16_t)ss->hlim;
	else if (mcast)
		tx->hlim = o->multicast_hops >= 0 ? o->multicast_hops : 1;
	else
		tx->hlim = o->unicast_hops;
	int tclass = ss->tclass >= 0 ? ss->tclass : o->tclass;
	tx->tclass = (uint8_t)(tclass >= 0 ? tclass : 0);
	int dontfrag = ss->dontfrag >= 0 ? ss->dontfrag : o->dontfrag;
	if (dontfrag)
		tx->flags |= IP6_TX_DONTFRAG;
	/* RFC 3542 11.1: -1 fragments multicast to the minimum MTU, 1 everything */
	int minmtu = ss->minmtu != -2 ? ss->minmtu : o->use_min_mtu;
	if (minmtu == 1 || (minmtu == -1 && mcast))
		tx->flags |= IP6_TX_MINMTU;
	if (mcast && !o->multicast_loop)
		tx->flags |= IP6_TX_NOLOOP;
	return 0;
}

/* ---- receiving ---- */

static void put_cmsg(struct msghdr *msg, size_t *used, int type, const void *data, size_t len)
{
	size_t need = CMSG_SPACE(len);
	if (!msg->msg_control || *used + CMSG_LEN(len) > msg->msg_controllen) {
		msg->msg_flags |= MSG_CTRUNC;
		return;
	}
	struct cmsghdr c = { .cmsg_len = CMSG_LEN(len), .cmsg_level = IPPROTO_IPV6,
			     .cmsg_type = type };
	uint8_t *p = (uint8_t *)msg->msg_control + *used;
	memcpy(p, &c, sizeof(c));
	memcpy(CMSG_DATA((struct cmsghdr *)p), data, len);
	*used += need;
	if (*used > msg->msg_controllen)
		*used = msg->msg_controllen;
}

struct put_ctx {
	struct msghdr *msg;
	size_t *used;
};

static void put_one(void *ctx, int type, const void *data, size_t n)
{
	struct put_ctx *pc = ctx;
	put_cmsg(pc->msg, pc->used, type, data, n);
}

ssize_t sock_dgram_recv(struct umk_stack *s, struct sock *so, struct msghdr *msg, int flags)
{
	struct sock_rxmeta m;
	struct umk_pkt *pkt = so->rq_head;

	if (!msg || (msg->msg_iovlen && !msg->msg_iov))
		return -EFAULT;
	if (flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_CMSG_CLOEXEC))
		return -EOPNOTSUPP;
	msg->msg_flags = 0;
	if (!pkt) {
		if (so->error) {
			int e = so->error;
			so->error = 0;
			return -e;
		}
		return (so->flags & SOCK_F_RD_SHUT) ? 0 : -EAGAIN;
	}
	memcpy(&m, pkt->data, sizeof(m));
	const uint8_t *ext = pkt->data + sizeof(m);
	const uint8_t *p = ext + m.ext_len;
	size_t plen = pkt->len - sizeof(m) - m.ext_len, done = 0;
	for (size_t i = 0; i < msg->msg_iovlen && done < plen; i++) {
		size_t n = msg->msg_iov[i].iov_len;
		if (n > plen - done)
			n = plen - done;
		if (n)
			memcpy(msg->msg_iov[i].iov_base, p + done, n);
		done += n;
	}
	if (done < plen)
		msg->msg_flags |= MSG_TRUNC;

	if (msg->msg_name && msg->msg_namelen) {
		struct sockaddr_in6 a;
		sock_addr_out(&a, m.kind == SOCK_RX_PATHMTU ? &m.dst : &m.src, m.sport, m.ifindex);
		memcpy(msg->msg_name, &a, msg->msg_namelen < sizeof(a) ? msg->msg_namelen : sizeof(a));
		msg->msg_namelen = sizeof(a);
	} else {
		msg->msg_namelen = 0;
	}

	size_t used = 0;
	if (m.kind == SOCK_RX_PATHMTU) {
		/* RFC 3542 11.3: the path and its MTU, with no data */
		struct ip6_mtuinfo mi;
		memset(&mi, 0, sizeof(mi));
		sock_addr_out(&mi.ip6m_addr, &m.dst, 0, m.ifindex);
		mi.ip6m_mtu = m.mtu;
		put_cmsg(msg, &used, IPV6_PATHMTU, &mi, sizeof(mi));
	} else {
		if (so->opt.recvpktinfo) {
			struct in6_pktinfo pi = { .ipi6_addr = m.dst, .ipi6_ifindex = m.ifindex };
			put_cmsg(msg, &used, IPV6_PKTINFO, &pi, sizeof(pi));
		}
		if (so->opt.recvhoplimit) {
			int v = m.hlim;
			put_cmsg(msg, &used, IPV6_HOPLIMIT, &v, sizeof(v));
		}
		if (so->opt.recvtclass) {
			int v = m.tclass;
			put_cmsg(msg, &used, IPV6_TCLASS, &v, sizeof(v));
		}
		/* RFC 3542 4: the headers, in the order they were in the packet */
		struct put_ctx pc = { msg, &used };
		sock_ext_put_cmsgs(ext, m.ext_len, put_one, &pc);
	}
	if (msg->msg_control)
		msg->msg_controllen = used;

	if (!(flags & MSG_PEEK)) {
		so->rq_head = pkt->next;
		if (!so->rq_head)
			so->rq_tail = NULL;
		so->rq_count--;
		so->rq_bytes -= pkt->cap;
		pkt_free(s, pkt);
	}
	return (ssize_t)((flags & MSG_TRUNC) ? plen : done);
}

short sock_dgram_poll(struct umk_stack *s, struct sock *so)
{
	short ev = 0;
	if (so->rq_head || (so->flags & SOCK_F_RD_SHUT))
		ev |= POLLIN;
	if (!(so->flags & SOCK_F_WR_SHUT))
		ev |= POLLOUT;
	if (so->error)
		ev |= POLLERR;
	if ((so->flags & (SOCK_F_RD_SHUT | SOCK_F_WR_SHUT)) == (SOCK_F_RD_SHUT | SOCK_F_WR_SHUT))
		ev |= POLLHUP;
	return ev;
}
