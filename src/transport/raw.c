/*
 * raw.c - raw IPv6 sockets (RFC 3542 3): SOCK_RAW for ICMPv6 and for protocols the stack
 * does not handle itself. Data is the upper-layer message only (never the IPv6 header,
 * RFC 3542 3). ICMPv6 sockets receive a copy of every ICMPv6 message their ICMP6_FILTER
 * passes (3.2) and have their checksum computed by the stack (3.1); other protocols use
 * IPV6_CHECKSUM to have one computed and verified. Generic datagram parts: socket/dgram.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "socket/sock_int.h"
#include "transport/transport.h"
#include "wire/checksum.h"
#include "wire/icmp6.h"
#include "wire/ip6_const.h"

/* What raw sockets may not take: the stack's own transports and extension headers. */
static bool proto_refused(int proto)
{
	return proto == IPPROTO6_HOPOPTS || proto == IPPROTO6_TCP || proto == IPPROTO6_UDP ||
	       proto == IPPROTO6_ROUTING || proto == IPPROTO6_FRAGMENT || proto == IPPROTO6_ESP ||
	       proto == IPPROTO6_AH || proto == IPPROTO6_NONE || proto == IPPROTO6_DSTOPTS;
}

static int raw_attach(struct umk_stack *s, struct sock *so)
{
	if (proto_refused(so->proto))
		return -EPROTONOSUPPORT;
	/* RFC 3542 3.1: ICMPv6's checksum is always done by the stack (offset 2) */
	so->opt.checksum = so->proto == IPPROTO_ICMPV6 ? ICMP6_OFF_CSUM : -1;
	return 0;
}

static int raw_bind(struct umk_stack *s, struct sock *so, const struct sockaddr_in6 *a)
{
	const struct in6_addr *addr = &a->sin6_addr;
	int zone = (int)a->sin6_scope_id;
	if (!IN6_IS_ADDR_UNSPECIFIED(addr) && !IN6_IS_ADDR_MULTICAST(addr) &&
	    !in6_addr_find(s, zone ? if_get(s, zone) : NULL, addr))
		return -EADDRNOTAVAIL;
	so->laddr = *addr;
	so->lzone = zone;
	so->flags |= SOCK_F_BOUND;
	return 0;
}

static int raw_connect(struct umk_stack *s, struct sock *so, const struct sockaddr_in6 *a)
{
	if (a->sin6_family == AF_UNSPEC) {
		so->flags &= ~SOCK_F_CONNECTED;
		memset(&so->faddr, 0, sizeof(so->faddr));
		so->fzone = 0;
		return 0;
	}
	so->faddr = a->sin6_addr;
	so->fzone = (int)a->sin6_scope_id;
	so->flags |= SOCK_F_CONNECTED;
	return 0;
}

static ssize_t raw_send(struct umk_stack *s, struct sock *so, struct sock_send *ss)
{
	struct ip6_tx tx;
	int r;

	if (!ss->has_to && !(so->flags & SOCK_F_CONNECTED))
		return -EDESTADDRREQ;
	if (ss->len > IP6_MAX_PAYLOAD)
		return -EMSGSIZE;
	bool icmp = so->proto == IPPROTO_ICMPV6;
	if (icmp && ss->len < ICMP6_HLEN)
		return -EINVAL;
	if (!icmp && so->opt.checksum >= 0 && (size_t)so->opt.checksum + 2 > ss->len)
		return -EINVAL;
	if ((r = sock_tx_prepare(s, so, ss, &tx, (uint8_t)so->proto)) ||
	    (r = sock_tx_ext(s, so, ss, &tx)))
		return r;
	struct umk_pkt *pkt = pkt_alloc(s, (uint32_t)ss->len, PKT_HEADROOM + sock_tx_headroom(&tx));
	if (!pkt) {
		COUNT(s, RAW6_OUT_ERRORS);
		return -ENOBUFS;
	}
	sock_iov_copy(ss, pkt_put(pkt, (uint32_t)ss->len));
	if (icmp) {
		r = icmp6_send(s, pkt, &tx);  /* checksum and per-type counters */
	} else {
		tx.csum_off = so->opt.checksum;
		r = ip6_output(s, pkt, &tx);
	}
	if (r < 0) {
		COUNT(s, RAW6_OUT_ERRORS);
		return r;
	}
	COUNT(s, RAW6_OUT_PACKETS);
	return (ssize_t)ss->len;
}

static bool addr_ok(const struct sock *so, const struct ip6_rx *rx)
{
	if (!IN6_IS_ADDR_UNSPECIFIED(&so->laddr) && !IN6_ARE_ADDR_EQUAL(&so->laddr, &rx->dst))
		return false;
	if ((so->flags & SOCK_F_CONNECTED) && !IN6_ARE_ADDR_EQUAL(&so->faddr, &rx->src))
		return false;
	return true;
}

/* e: the extension headers the original packet orig came with (RFC 3542 4). */
static void deliver(struct umk_stack *s, struct sock *so, struct umk_pkt *pkt,
		    const struct ip6_rx *rx, const struct sock_rx_ext *e,
		    const struct umk_pkt *orig)
{
	struct sock_rxmeta m = {
		.src = rx->src, .dst = rx->dst, .ifindex = (uint16_t)rx->ifp->index,
		.hlim = rx->hlim, .tclass = rx->tclass, .kind = SOCK_RX_DATA,
	};
	if (e->n && sock_ext_wanted(so))
		pkt = sock_ext_take(s, so, e, orig, pkt, &m.ext_len);
	if (sock_enqueue(s, so, pkt, &m))
		COUNT(s, RAW6_IN_DELIVERED);
}

void raw6_icmp_input(struct umk_stack *s, const struct umk_pkt *pkt, const struct ip6_rx *rx)
{
	if (!s->sock || pkt->len < ICMP6_HLEN)
		return;
	uint8_t type = pkt->data[0];
	struct sock_rx_ext ext;
	ext.n = 0;               /* the rest is filled only when there are headers */
	if (rx->nxt_off != pkt->net_off + IP6_OFF_NXT)
		sock_ext_scan(pkt, pkt_headroom(pkt), &ext);
	for (struct sock *so = sock_next(s, NULL, &raw6_proto); so; so = sock_next(s, so, &raw6_proto)) {
		if (so->proto != IPPROTO_ICMPV6 || !addr_ok(so, rx) || !sock_mcast_pass(s, so, rx))
			continue;
		if (ICMP6_FILTER_WILLBLOCK(type, &so->opt.filter)) {
			COUNT(s, RAW6_IN_FILTERED);   /* RFC 3542 3.2 */
			continue;
		}
		struct umk_pkt *c = pkt_copy(s, pkt, PKT_HEADROOM);
		if (!c) {
			COUNT(s, RAW6_IN_NOBUFS);
			continue;
		}
		deliver(s, so, c, rx, &ext, pkt);
	}
}

bool raw6_wants(struct umk_stack *s, uint8_t nxt)
{
	if (!s->sock)
		return false;
	for (struct sock *so = sock_next(s, NULL, &raw6_proto); so; so = sock_next(s, so, &raw6_proto))
		if (so->proto == nxt && nxt != IPPROTO_ICMPV6)
			return true;
	return false;
}

void raw6_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	struct sock *last = NULL;
	struct sock_rx_ext ext;
	ext.n = 0;               /* the rest is filled only when there are headers */
	if (rx->nxt_off != pkt->net_off + IP6_OFF_NXT)
		sock_ext_scan(pkt, pkt_headroom(pkt), &ext);
	for (struct sock *so = sock_next(s, NULL, &raw6_proto); so; so = sock_next(s, so, &raw6_proto)) {
		if (so->proto != rx->nxt || !addr_ok(so, rx) || !sock_mcast_pass(s, so, rx))
			continue;
		/* RFC 3542 3.1: with IPV6_CHECKSUM set the stack verifies it on input too */
		if (so->opt.checksum >= 0 &&
		    ((uint32_t)so->opt.checksum + 2 > pkt->len ||
		     csum_ip6(&rx->src, &rx->dst, rx->nxt, pkt->data, pkt->len) != 0)) {
			COUNT(s, RAW6_IN_CSUM_ERRORS);
			continue;
		}
		if (last) {
			struct umk_pkt *c = pkt_copy(s, pkt, PKT_HEADROOM);
			if (c)
				deliver(s, last, c, rx, &ext, pkt);
			else
				COUNT(s, RAW6_IN_NOBUFS);
		}
		last = so;
	}
	if (last)
		deliver(s, last, pkt, rx, &ext, pkt);
	else
		pkt_free(s, pkt);
}

const struct sock_proto raw6_proto = {
	.type = SOCK_RAW,
	.proto = -1,
	.name = "raw6",
	.attach = raw_attach,
	.bind = raw_bind,
	.connect = raw_connect,
	.send = raw_send,
	.recv = sock_dgram_recv,
	.poll = sock_dgram_poll,
};
