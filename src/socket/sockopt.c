/*
 * sockopt.c - socket options: SOL_SOCKET basics, the RFC 3493 5.2 IPv6 options, RFC 3542
 * sticky and receive options, IPV6_CHECKSUM (RFC 3542 3.1) and ICMP6_FILTER (3.2). Plain
 * integer options are rows of one table {level, name, field, min, max}; the rest have a
 * handler each. Group membership and RFC 3678 source filters: socket/sockopt_mcast.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/time.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/route6.h"
#include "socket/sock_int.h"

void sock_opts_init(struct sock_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->unicast_hops = -1;
	o->multicast_hops = -1;
	o->multicast_loop = true;    /* RFC 3493 5.2: loopback on by default */
	o->use_min_mtu = -1;         /* RFC 3542 11.1 default */
	o->tclass = -1;
	o->checksum = -1;
	o->sndbuf = 65536 * 4;
	ICMP6_FILTER_SETPASSALL(&o->filter);
}

/* ---- plain integer options ---- */

enum field_kind { F_BOOL, F_I8, F_I16, F_INT };

struct int_opt {
	int level, name;
	enum field_kind kind;
	size_t off;                  /* in struct sock_opts */
	int min, max;
	bool before_bind;            /* may not change once bound (IPV6_V6ONLY) */
};

#define O(f) offsetof(struct sock_opts, f)
static const struct int_opt int_opts[] = {
	{ SOL_SOCKET, SO_REUSEADDR, F_BOOL, O(reuseaddr), 0, 1, false },
	{ SOL_SOCKET, SO_REUSEPORT, F_BOOL, O(reuseport), 0, 1, false },
	{ IPPROTO_IPV6, IPV6_UNICAST_HOPS, F_I16, O(unicast_hops), -1, 255, false },
	{ IPPROTO_IPV6, IPV6_MULTICAST_HOPS, F_I16, O(multicast_hops), -1, 255, false },
	{ IPPROTO_IPV6, IPV6_MULTICAST_LOOP, F_BOOL, O(multicast_loop), 0, 1, false },
	{ IPPROTO_IPV6, IPV6_V6ONLY, F_BOOL, O(v6only), 0, 1, true },
	{ IPPROTO_IPV6, IPV6_RECVPKTINFO, F_BOOL, O(recvpktinfo), 0, 1, false },
	{ IPPROTO_IPV6, IPV6_RECVHOPLIMIT, F_BOOL, O(recvhoplimit), 0, 1, false },
	{ IPPROTO_IPV6, IPV6_RECVTCLASS, F_BOOL, O(recvtclass), 0, 1, false },
	{ IPPROTO_IPV6, IPV6_RECVPATHMTU, F_BOOL, O(recvpathmtu), 0, 1, false },
	{ IPPROTO_IPV6, IPV6_DONTFRAG, F_BOOL, O(dontfrag), 0, 1, false },
	{ IPPROTO_IPV6, IPV6_USE_MIN_MTU, F_I8, O(use_min_mtu), -1, 1, false },
	{ IPPROTO_IPV6, IPV6_TCLASS, F_I16, O(tclass), -1, 255, false },
	{ IPPROTO_IPV6, IPV6_RECVHOPOPTS, F_BOOL, O(recvhopopts), 0, 1, false },
	{ IPPROTO_IPV6, IPV6_RECVDSTOPTS, F_BOOL, O(recvdstopts), 0, 1, false },
	{ IPPROTO_IPV6, IPV6_RECVRTHDR, F_BOOL, O(recvrthdr), 0, 1, false },
};

static const struct int_opt *find_int(int level, int name)
{
	for (size_t i = 0; i < sizeof(int_opts) / sizeof(int_opts[0]); i++)
		if (int_opts[i].level == level && int_opts[i].name == name)
			return &int_opts[i];
	return NULL;
}

static int read_int(const void *val, socklen_t len, int *v)
{
	if (!val || len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

static int write_out(void *val, socklen_t *len, const void *data, socklen_t n)
{
	if (!val || !len || *len < n)
		return -EINVAL;
	memcpy(val, data, n);
	*len = n;
	return 0;
}

static int set_int(struct sock *so, const struct int_opt *o, const void *val, socklen_t len)
{
	int v;
	int r = read_int(val, len, &v);
	if (r)
		return r;
	if (o->kind == F_BOOL && v)
		v = 1;   /* any non-zero turns a flag on, as BSD and Linux accept */
	if (v < o->min || v > o->max)
		return -EINVAL;
	if (o->before_bind && (so->flags & SOCK_F_BOUND))
		return -EINVAL;
	char *f = (char *)&so->opt + o->off;
	switch (o->kind) {
	case F_BOOL: *(bool *)f = v != 0; break;
	case F_I8: *(int8_t *)f = (int8_t)v; break;
	case F_I16: *(int16_t *)f = (int16_t)v; break;
	case F_INT: *(int *)f = v; break;
	}
	return 0;
}

static int get_int(struct sock *so, const struct int_opt *o, void *val, socklen_t *len)
{
	const char *f = (const char *)&so->opt + o->off;
	int v = 0;
	switch (o->kind) {
	case F_BOOL: v = *(const bool *)f; break;
	case F_I8: v = *(const int8_t *)f; break;
	case F_I16: v = *(const int16_t *)f; break;
	case F_INT: v = *(const int *)f; break;
	}
	return write_out(val, len, &v, sizeof(v));
}

/* Group membership (RFC 3493 5.2) and RFC 3678 source filters: socket/sockopt_mcast.c. */

/* ---- the rest, one handler each ---- */

static bool is_raw_icmp(const struct sock *so)
{
	return so->type == SOCK_RAW && so->proto == IPPROTO_ICMPV6;
}

int sock_setopt(struct umk_stack *s, struct sock *so, int level, int name, const void *val,
		socklen_t len)
{
	const struct int_opt *io = find_int(level, name);
	int v, r;

	if (so->ops->setopt && (r = so->ops->setopt(s, so, level, name, val, len)) != -ENOPROTOOPT)
		return r;
	if (io)
		return set_int(so, io, val, len);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVBUF:
			if ((r = read_int(val, len, &v)))
				return r;
			/* clamped to the stack's limit, never below one full datagram */
			if (v < 2048)
				v = 2048;
			so->rcvbuf = (uint32_t)v > s->limits.max_socket_rcvbuf ?
				     s->limits.max_socket_rcvbuf : (uint32_t)v;
			return 0;
		case SO_SNDBUF:
			if ((r = read_int(val, len, &v)))
				return r;
			so->opt.sndbuf = v < 2048 ? 2048 : (uint32_t)v;
			return 0;
		case SO_RCVTIMEO: {
			struct timeval tv;
			if (!val || len < sizeof(tv))
				return -EINVAL;
			memcpy(&tv, val, sizeof(tv));
			if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
				return -EDOM;
			uint64_t ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
			so->opt.rcvtimeo_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
			return 0;
		}
		}
		return -ENOPROTOOPT;
	}
	if (level == IPPROTO_ICMPV6 && name == ICMP6_FILTER) {
		if (!is_raw_icmp(so))
			return -ENOPROTOOPT;
		if (!val || len < sizeof(so->opt.filter))
			return -EINVAL;
		memcpy(&so->opt.filter, val, sizeof(so->opt.filter));
		return 0;
	}
	if (level != IPPROTO_IPV6)
		return -ENOPROTOOPT;
	if ((r = sock_mcast_setopt(s, so, name, val, len)) != -ENOPROTOOPT)
		return r;
	switch (name) {
	case IPV6_MULTICAST_IF:
		if ((r = read_int(val, len, &v)))
			return r;
		if (v && !if_get(s, v))
			return -ENXIO;
		so->opt.multicast_if = v;
		return 0;
	case IPV6_PKTINFO: {
		/* RFC 3542 6.1: sticky source and interface; an empty value clears it */
		struct in6_pktinfo pi;
		if (!val || len == 0) {
			so->opt.has_pktinfo = false;
			return 0;
		}
		if (len < sizeof(pi))
			return -EINVAL;
		memcpy(&pi, val, sizeof(pi));
		if (pi.ipi6_ifindex && !if_get(s, (int)pi.ipi6_ifindex))
			return -ENXIO;
		so->opt.pktinfo = pi;
		so->opt.has_pktinfo = !IN6_IS_ADDR_UNSPECIFIED(&pi.ipi6_addr) || pi.ipi6_ifindex;
		return 0;
	}
	case IPV6_CHECKSUM:
		/* RFC 3542 3.1: raw sockets only; ICMPv6 always has its checksum done by the
		 * stack, so setting it there fails; an odd offset is refused */
		if (so->type != SOCK_RAW)
			return -ENOPROTOOPT;
		if (is_raw_icmp(so))
			return -EINVAL;
		if ((r = read_int(val, len, &v)))
			return r;
		if (v < -1 || (v >= 0 && (v & 1)))
			return -EINVAL;
		so->opt.checksum = v;
		return 0;
	case IPV6_RTHDR:
	case IPV6_HOPOPTS:
	case IPV6_DSTOPTS:
	case IPV6_RTHDRDSTOPTS:
	case IPV6_NEXTHOP:
		return sock_ext_setopt(s, so, name, val, len);   /* exthdr.c */
	}
	return -ENOPROTOOPT;
}

int sock_getopt(struct umk_stack *s, struct sock *so, int level, int name, void *val,
		socklen_t *len)
{
	const struct int_opt *io = find_int(level, name);
	int v;

	if (so->ops->getopt) {
		int r = so->ops->getopt(s, so, level, name, val, len);
		if (r != -ENOPROTOOPT)
			return r;
	}
	if (io)
		return get_int(so, io, val, len);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR:
			v = so->error;
			so->error = 0;
			break;
		case SO_TYPE: v = so->type; break;
		case SO_PROTOCOL: v = so->proto; break;
		case SO_DOMAIN: v = AF_INET6; break;
		case SO_RCVBUF: v = (int)so->rcvbuf; break;
		case SO_SNDBUF: v = (int)so->opt.sndbuf; break;
		case SO_RCVTIMEO: {
			struct timeval tv = { .tv_sec = so->opt.rcvtimeo_ms / 1000,
					      .tv_usec = (so->opt.rcvtimeo_ms % 1000) * 1000 };
			return write_out(val, len, &tv, sizeof(tv));
		}
		default:
			return -ENOPROTOOPT;
		}
		return write_out(val, len, &v, sizeof(v));
	}
	if (level == IPPROTO_ICMPV6 && name == ICMP6_FILTER) {
		if (!is_raw_icmp(so))
			return -ENOPROTOOPT;
		return write_out(val, len, &so->opt.filter, sizeof(so->opt.filter));
	}
	if (level != IPPROTO_IPV6)
		return -ENOPROTOOPT;
	if ((v = sock_mcast_getopt(s, so, name, val, len)) != -ENOPROTOOPT)
		return v;
	switch (name) {
	case IPV6_MULTICAST_IF:
		v = so->opt.multicast_if;
		return write_out(val, len, &v, sizeof(v));
	case IPV6_CHECKSUM:
		if (so->type != SOCK_RAW)
			return -ENOPROTOOPT;
		v = is_raw_icmp(so) ? 2 : so->opt.checksum;
		return write_out(val, len, &v, sizeof(v));
	case IPV6_PKTINFO: {
		struct in6_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		if (so->opt.has_pktinfo)
			pi = so->opt.pktinfo;
		return write_out(val, len, &pi, sizeof(pi));
	}
	case IPV6_PATHMTU: {
		/* RFC 3542 11.4: the current path MTU of a connected socket */
		if (!(so->flags & SOCK_F_CONNECTED))
			return -ENOTCONN;
		struct ip6_mtuinfo mi;
		memset(&mi, 0, sizeof(mi));
		mi.ip6m_mtu = sock_path_mtu(s, &so->faddr, so->fzone);
		if (!mi.ip6m_mtu)
			return -ENETUNREACH;
		sock_addr_out(&mi.ip6m_addr, &so->faddr, so->fport, so->fzone);
		return write_out(val, len, &mi, sizeof(mi));
	}
	case IPV6_RTHDR:
	case IPV6_HOPOPTS:
	case IPV6_DSTOPTS:
	case IPV6_RTHDRDSTOPTS:
	case IPV6_NEXTHOP:
		return sock_ext_getopt(so, name, val, len);      /* exthdr.c */
	}
	return -ENOPROTOOPT;
}
