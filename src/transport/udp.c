/*
 * udp.c - UDP over IPv6 (RFC 768; RFC 8200 8.1: the checksum is mandatory, a zero checksum
 * is dropped), behind the socket layer as one struct sock_proto.
 *
 *   demux      connected 4-tuple first, then a bound address, then the wildcard; multicast
 *              goes to every socket on the port (RFC 3493 5.2 semantics, as BSD)
 *   ports      RFC 6056 3.3.1 (Algorithm 1, simple randomization) over RFC 6335's
 *              dynamic range; SO_REUSEADDR/SO_REUSEPORT let two sockets share a port when
 *              both set it
 *   errors     Port Unreachable (RFC 4443 3.1) when nothing listens (unicast only);
 *              ICMPv6 errors become SO_ERROR on connected sockets, Packet Too Big an
 *              RFC 3542 11.3 IPV6_PATHMTU notification
 *
 * Wire format: wire/udp.c. Generic datagram parts: socket/dgram.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ipsec/udpencap.h"
#include "socket/sock_int.h"
#include "transport/transport.h"
#include "wire/checksum.h"
#include "wire/icmp6.h"
#include "wire/ip6_const.h"
#include "wire/udp.h"

static bool addr_overlap(const struct sock *o, const struct in6_addr *a, int zone)
{
	if (IN6_IS_ADDR_UNSPECIFIED(&o->laddr) || IN6_IS_ADDR_UNSPECIFIED(a))
		return true;
	if (!IN6_ARE_ADDR_EQUAL(&o->laddr, a))
		return false;
	return !in6_is_scoped(a) || !o->lzone || !zone || o->lzone == zone;
}

/* Would so binding (a, zone, port) clash with another socket? Two sockets share a port
 * only when both asked for it (SO_REUSEADDR or SO_REUSEPORT on each). */
static bool port_conflict(struct umk_stack *s, const struct sock *so, const struct in6_addr *a,
			  int zone, uint16_t port)
{
	for (struct sock *o = sock_next(s, NULL, &udp6_proto); o; o = sock_next(s, o, &udp6_proto)) {
		if (o == so || !(o->flags & SOCK_F_BOUND) || o->lport != port)
			continue;
		if (!addr_overlap(o, a, zone))
			continue;
		if ((so->opt.reuseaddr && o->opt.reuseaddr) || (so->opt.reuseport && o->opt.reuseport))
			continue;
		return true;
	}
	return false;
}

/* RFC 6056 3.3.1: a random starting point, then the next free port. */
static int ephemeral_port(struct umk_stack *s, struct sock *so, const struct in6_addr *a,
			  int zone, uint16_t *port)
{
	uint32_t n = UDP_EPHEMERAL_LAST - UDP_EPHEMERAL_FIRST + 1;
	uint32_t off = (uint32_t)rng_range(s, 0, n - 1);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t p = (uint16_t)(UDP_EPHEMERAL_FIRST + (off + i) % n);
		if (!port_conflict(s, so, a, zone, p)) {
			*port = p;
			return 0;
		}
	}
	COUNT(s, UDP_EPHEMERAL_EXHAUSTED);
	return -EAGAIN;
}

static int autobind(struct umk_stack *s, struct sock *so)
{
	if (so->flags & SOCK_F_BOUND)
		return 0;
	int r = ephemeral_port(s, so, &so->laddr, so->lzone, &so->lport);
	if (!r)
		so->flags |= SOCK_F_BOUND;
	return r;
}

static int udp_bind(struct umk_stack *s, struct sock *so, const struct sockaddr_in6 *a)
{
	int zone, r;
	if ((r = sock_addr_zone(s, a, &zone)))
		return r;
	const struct in6_addr *addr = &a->sin6_addr;
	if (!IN6_IS_ADDR_UNSPECIFIED(addr) && !IN6_IS_ADDR_MULTICAST(addr) &&
	    !in6_addr_find(s, zone ? if_get(s, zone) : NULL, addr))
		return -EADDRNOTAVAIL;
	uint16_t port = ntohs(a->sin6_port);
	if (!port) {
		if ((r = ephemeral_port(s, so, addr, zone, &port)))
			return r;
	} else if (port_conflict(s, so, addr, zone, port)) {
		return -EADDRINUSE;
	}
	so->laddr = *addr;
	so->lzone = zone;
	so->lport = port;
	so->flags |= SOCK_F_BOUND;
	return 0;
}

static int udp_connect(struct umk_stack *s, struct sock *so, const struct sockaddr_in6 *a)
{
	int zone, r;
	if (a->sin6_family == AF_UNSPEC) {
		so->flags &= ~SOCK_F_CONNECTED;
		memset(&so->faddr, 0, sizeof(so->faddr));
		so->fport = 0;
		so->fzone = 0;
		if (so->flags & SOCK_F_LADDR_AUTO) {
			memset(&so->laddr, 0, sizeof(so->laddr));
			so->lzone = 0;
			so->flags &= ~SOCK_F_LADDR_AUTO;
		}
		return 0;
	}
	if ((r = sock_addr_zone(s, a, &zone)))
		return r;
	if (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr))
		return -EINVAL;
	if ((r = autobind(s, so)))
		return r;
	if (IN6_IS_ADDR_UNSPECIFIED(&so->laddr)) {
		struct in6_addr src;
		int oif = IN6_IS_ADDR_MULTICAST(&a->sin6_addr) ? so->opt.multicast_if : 0;
		if (so->opt.has_pktinfo)
			oif = (int)so->opt.pktinfo.ipi6_ifindex;
		r = sock_choose_source(s, &a->sin6_addr, zone, oif, &src);
		if (r)
			return r;
		so->laddr = src;
		so->lzone = in6_is_scoped(&src) ? zone : 0;
		so->flags |= SOCK_F_LADDR_AUTO;
	}
	so->faddr = a->sin6_addr;
	so->fport = ntohs(a->sin6_port);
	so->fzone = zone;
	so->flags |= SOCK_F_CONNECTED;
	return 0;
}

static ssize_t udp_send(struct umk_stack *s, struct sock *so, struct sock_send *ss)
{
	struct ip6_tx tx;
	uint16_t dport;
	int r;

	if (ss->has_to) {
		dport = ntohs(ss->to.sin6_port);
		if (!dport || IN6_IS_ADDR_UNSPECIFIED(&ss->to.sin6_addr))
			return -EINVAL;
	} else if (so->flags & SOCK_F_CONNECTED) {
		dport = so->fport;
	} else {
		return -EDESTADDRREQ;
	}
	if (ss->len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if ((r = autobind(s, so)))
		return r;
	if ((r = sock_tx_prepare(s, so, ss, &tx, IPPROTO6_UDP)) ||
	    (r = sock_tx_ext(s, so, ss, &tx)))
		return r;
	tx.csum_off = UDP_OFF_CSUM; /* RFC 8200 8.1: mandatory over IPv6 */

	struct umk_pkt *pkt = pkt_alloc(s, UDP_HLEN + (uint32_t)ss->len,
					PKT_HEADROOM + sock_tx_headroom(&tx));
	if (!pkt) {
		COUNT(s, UDP_OUT_ERRORS);
		return -ENOBUFS;
	}
	uint8_t *p = pkt_put(pkt, UDP_HLEN + (uint32_t)ss->len);
	udp_emit(p, so->lport, dport, (uint16_t)(UDP_HLEN + ss->len));
	sock_iov_copy(ss, p + UDP_HLEN);

	struct in6_addr dst = tx.dst;
	int zone = tx.zone;
	r = ip6_output(s, pkt, &tx);
	if (r < 0) {
		COUNT(s, UDP_OUT_ERRORS);
		/* RFC 3542 11.2: too big with IPV6_DONTFRAG; say the MTU if asked */
		if (r == -EMSGSIZE)
			sock_pathmtu_notify(s, so, &dst, zone, sock_path_mtu(s, &dst, zone));
		return r;
	}
	COUNT(s, UDP_OUT_DATAGRAMS);
	return (ssize_t)ss->len;
}

/* ---- input ---- */

static bool sock_matches(const struct sock *so, const struct ip6_rx *rx, uint16_t sport,
			 uint16_t dport, int *score)
{
	int ifindex = rx->ifp->index;
	*score = 0;
	if (!(so->flags & SOCK_F_BOUND) || so->lport != dport)
		return false;
	if (!IN6_IS_ADDR_UNSPECIFIED(&so->laddr)) {
		if (!IN6_ARE_ADDR_EQUAL(&so->laddr, &rx->dst))
			return false;
		if (so->lzone && in6_is_scoped(&rx->dst) && so->lzone != ifindex)
			return false;
		*score += 1;
	}
	if (so->flags & SOCK_F_CONNECTED) {
		if (!IN6_ARE_ADDR_EQUAL(&so->faddr, &rx->src) || so->fport != sport)
			return false;
		if (so->fzone && in6_is_scoped(&rx->src) && so->fzone != ifindex)
			return false;
		*score += 2;
	}
	return true;
}

/* e: the extension headers the original packet orig came with (RFC 3542 4). */
static void deliver(struct umk_stack *s, struct sock *so, struct umk_pkt *pkt,
		    const struct ip6_rx *rx, uint16_t sport, const struct sock_rx_ext *e,
		    const struct umk_pkt *orig)
{
	struct sock_rxmeta m = {
		.src = rx->src, .dst = rx->dst, .ifindex = (uint16_t)rx->ifp->index,
		.sport = sport, .hlim = rx->hlim, .tclass = rx->tclass, .kind = SOCK_RX_DATA,
	};
	if (e->n && sock_ext_wanted(so))
		pkt = sock_ext_take(s, so, e, orig, pkt, &m.ext_len);
	if (sock_enqueue(s, so, pkt, &m))
		COUNT(s, UDP_IN_DATAGRAMS);
	else
		COUNT(s, UDP_IN_ERRORS); /* RFC 4113: receive buffer errors count here */
}

void udp6_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	struct udp_hdr_info u;
	int r = udp_parse(pkt->data, pkt->len, &u);

	switch (r) {
	case UDP_OK:
		break;
	case UDP_ERR_SHORT:
		COUNT(s, IP6_DROP_UDP_SHORT);
		goto bad;
	case UDP_ERR_ZERO_CSUM:
		COUNT(s, IP6_DROP_UDP_ZERO_CSUM); /* RFC 8200 8.1 */
		goto bad;
	default:
		COUNT(s, UDP_IN_BAD_LEN);
		goto bad;
	}
	if (!pkt_csum_trusted(pkt, UDP_OFF_CSUM) &&
	    csum_ip6(&rx->src, &rx->dst, IPPROTO6_UDP, pkt->data, u.len) != 0) {
		COUNT(s, UDP_IN_CSUM_ERRORS);
		COUNT(s, IP6_DROP_UDP_BAD_CSUM);
		goto bad;
	}
	pkt_trim(pkt, u.len);
	/* RFC 3948 3.2: ESP in UDP and NAT-keepalives to an SA's port (ipsec/udpencap.c) */
	if (udpencap_input(s, pkt, rx, &u))
		return;
	/* extension headers came with it: found once, for the sockets that ask (exthdr.c) */
	struct sock_rx_ext ext;
	ext.n = 0;               /* the rest is filled only when there are headers */
	if (rx->nxt_off != pkt->net_off + IP6_OFF_NXT)
		sock_ext_scan(pkt, pkt_headroom(pkt), &ext);

	if (rx->flags & IP6_RX_DST_MCAST) {
		/* every socket on the port gets a copy, the last one the packet itself */
		struct sock *last = NULL;
		int score;
		for (struct sock *so = sock_next(s, NULL, &udp6_proto); so;
		     so = sock_next(s, so, &udp6_proto)) {
			if (!sock_matches(so, rx, u.sport, u.dport, &score))
				continue;
			if (!sock_mcast_pass(s, so, rx))
				continue;   /* RFC 3678 source filter; counted */
			if (last) {
				struct umk_pkt *c = pkt_copy(s, pkt, PKT_HEADROOM);
				if (c && pkt_pull(c, UDP_HLEN))
					deliver(s, last, c, rx, u.sport, &ext, pkt);
				else if (c)
					pkt_free(s, c);
				else
					COUNT(s, SOCK_RCV_NOBUFS);
			}
			last = so;
		}
		if (!last) {
			COUNT(s, UDP_IN_MCAST_NO_MEMBER);
			goto drop;
		}
		pkt_pull(pkt, UDP_HLEN);
		deliver(s, last, pkt, rx, u.sport, &ext, pkt);
		return;
	}

	struct sock *best = NULL;
	int best_score = -1, score;
	for (struct sock *so = sock_next(s, NULL, &udp6_proto); so; so = sock_next(s, so, &udp6_proto))
		if (sock_matches(so, rx, u.sport, u.dport, &score) && score > best_score) {
			best = so;
			best_score = score;
		}
	if (!best) {
		/* RFC 4443 3.1 code 4; icmp6_error applies the rules of 2.4 (e) */
		COUNT(s, UDP_NO_PORTS);
		COUNT(s, IP6_DROP_UDP_NO_PORT);
		icmp6_error(s, pkt, ICMP6_DST_UNREACH, ICMP6_DU_PORT, 0);
		return;
	}
	pkt_pull(pkt, UDP_HLEN);
	deliver(s, best, pkt, rx, u.sport, &ext, pkt);
	return;
bad:
	COUNT(s, UDP_IN_ERRORS);
drop:
	pkt_free(s, pkt);
}

static void udp_proto_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	udp6_input(s, pkt, rx);
}

/* ---- ICMPv6 errors ---- */

static bool udp_ctlinput(struct umk_stack *s, const struct sock_ctlmsg *cm)
{
	uint16_t sport, dport;
	bool taken = false;

	if (udp_ports(cm->ulp, cm->ulp_len, &sport, &dport)) {
		COUNT(s, UDP_CTL_NO_SOCKET);
		return false;
	}
	int err = transport_icmp6_errno(cm->type, cm->code);
	for (struct sock *so = sock_next(s, NULL, &udp6_proto); so; so = sock_next(s, so, &udp6_proto)) {
		if (!(so->flags & SOCK_F_BOUND) || so->lport != sport)
			continue;
		if (!IN6_IS_ADDR_UNSPECIFIED(&so->laddr) && !IN6_IS_ADDR_MULTICAST(&so->laddr) &&
		    !IN6_ARE_ADDR_EQUAL(&so->laddr, &cm->src))
			continue;
		bool connected = so->flags & SOCK_F_CONNECTED;
		if (connected && (!IN6_ARE_ADDR_EQUAL(&so->faddr, &cm->dst) || so->fport != dport))
			continue;
		taken = true;
		if (cm->type == ICMP6_PACKET_TOO_BIG) {
			/* RFC 8201 4: the stack fragments later sends itself; only a socket that
			 * forbade fragmentation has failed (RFC 3542 11.2) */
			uint32_t mtu = cm->param < IP6_MIN_MTU ? IP6_MIN_MTU : cm->param;
			sock_pathmtu_notify(s, so, &cm->dst, cm->zone, mtu);
			if (connected && so->opt.dontfrag)
				sock_set_error(s, so, EMSGSIZE);
			continue;
		}
		/* as BSD: asynchronous errors only for connected sockets, which know the
		 * peer the error is about */
		if (connected && err)
			sock_set_error(s, so, err);
	}
	if (taken)
		COUNT(s, UDP_CTL_DELIVERED);
	else
		COUNT(s, UDP_CTL_NO_SOCKET);
	return taken;
}

const struct sock_proto udp6_proto = {
	.type = SOCK_DGRAM,
	.proto = IPPROTO_UDP,
	.name = "udp",
	.bind = udp_bind,
	.connect = udp_connect,
	.send = udp_send,
	.recv = sock_dgram_recv,
	.ctlinput = udp_ctlinput,
	.input = udp_proto_input,
	.poll = sock_dgram_poll,
};
