/*
 * exthdr.c - extension headers through the socket API (RFC 3542 4, 6.4, 7-10):
 *
 *   sending    IPV6_HOPOPTS, IPV6_DSTOPTS, IPV6_RTHDRDSTOPTS, IPV6_RTHDR as sticky options
 *              and as ancillary data (ancillary wins, header by header: RFC 3542 6), and
 *              IPV6_NEXTHOP (6.4). Checked here, handed to ip6/output.c as an ip6_tx_ext,
 *              which fills the Next Header fields and keeps RFC 8200 4.1 order.
 *   receiving  IPV6_RECVHOPOPTS, IPV6_RECVDSTOPTS, IPV6_RECVRTHDR: the headers a datagram
 *              came with are found by walking back from its IPv6 header (pkt->net_off),
 *              copied in front of the queued payload, and returned by recvmsg as
 *              IPV6_HOPOPTS / IPV6_DSTOPTS / IPV6_RTHDR cmsgs in the order they came.
 *
 * Rules: a header is a whole number of 8-octet units whose Hdr Ext Len agrees with its
 * length, options headers hold well-formed TLVs (RFC 8200 4.2); a Routing header must be
 * type 2 with one unicast address (RFC 6275 6.4) - type 0 is refused (RFC 5095 3) and
 * other types (segment routing, RFC 8754) are not offered, since their senders need more
 * than a list of addresses. IPV6_NEXTHOP must be a neighbor: a link-local address with its
 * zone, or an address on one of our on-link prefixes; else EHOSTUNREACH.
 * Neighbours: socket/dgram.c (the rest of send and receive), socket/inet6_opt.c (builders).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/route6.h"
#include "socket/sock_int.h"
#include "wire/ip6.h"
#include "wire/ip6_const.h"

#define EXT_MAX_LEN 2048           /* RFC 8200 4.3: (255 + 1) * 8 octets */

/* Which header each option or cmsg names (ip6_tx_ext order). */
static int ext_index(int name)
{
	switch (name) {
	case IPV6_HOPOPTS: return IP6_TX_EXT_HBH;
	case IPV6_RTHDRDSTOPTS: return IP6_TX_EXT_DST1;
	case IPV6_RTHDR: return IP6_TX_EXT_RTHDR;
	case IPV6_DSTOPTS: return IP6_TX_EXT_DST2;
	}
	return -1;
}

/* 0 when p[0..len) is a header the stack will send for option `name`, else -EINVAL. */
static int ext_check(int name, const uint8_t *p, size_t len)
{
	if (len < 8 || len > EXT_MAX_LEN || len % 8 || ((size_t)p[1] + 1) * 8 != len)
		return -EINVAL;
	if (name == IPV6_RTHDR) {
		struct ip6_rthdr rh;
		if (ip6_rthdr_parse(p, len, &rh))
			return -EINVAL;
		/* RFC 5095 3: type 0 is never sent; RFC 6275 6.4: type 2 has one address */
		if (rh.type != IP6_RTHDR_TYPE2 || len != 24)
			return -EINVAL;
		struct in6_addr a;
		memcpy(&a, p + 8, 16);
		/* the first hop is routed to: a global unicast address (a care-of address) */
		if (IN6_IS_ADDR_MULTICAST(&a) || IN6_IS_ADDR_UNSPECIFIED(&a) || in6_is_scoped(&a))
			return -EINVAL;
		return 0;
	}
	struct ip6_opt_iter it;
	struct ip6_opt o;
	int r;
	ip6_opt_iter_init(&it, p, (uint32_t)len);
	while ((r = ip6_opt_next(&it, &o)) > 0)
		;
	return r < 0 ? -EINVAL : 0;
}

/* RFC 3542 6.4: resolves a next hop to the interface it is a neighbor on. */
static int nexthop_check(struct umk_stack *s, const void *val, size_t len,
			 struct sockaddr_in6 *out)
{
	if (len < sizeof(*out))
		return -EINVAL;
	memcpy(out, val, sizeof(*out));
	if (out->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	const struct in6_addr *a = &out->sin6_addr;
	if (IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_V4MAPPED(a))
		return -EINVAL;
	if (in6_is_scoped(a)) {
		int zone;
		if (sock_addr_zone(s, out, &zone) || !if_get(s, zone))
			return -EHOSTUNREACH;
		out->sin6_scope_id = (uint32_t)zone;
		return 0;
	}
	/* a neighbor: the route towards it is on-link (no gateway in between) */
	struct rt6_nexthop nh;
	if (rt6_lookup(s, a, 0, 0, &nh) || !nh.ifp || !IN6_ARE_ADDR_EQUAL(&nh.addr, a))
		return -EHOSTUNREACH;
	out->sin6_scope_id = (uint32_t)nh.ifp->index;
	return 0;
}

/* ---- sticky options ---- */

void sock_ext_free(struct sock *so)
{
	if (!so->ext)
		return;
	for (int i = 0; i < IP6_TX_EXT_N; i++)
		free(so->ext->hdr[i]);
	free(so->ext);
	so->ext = NULL;
}

int sock_ext_setopt(struct umk_stack *s, struct sock *so, int name, const void *val,
		    socklen_t len)
{
	if (so->type != SOCK_DGRAM && so->type != SOCK_RAW)
		return -ENOPROTOOPT;
	if (len && !val)
		return -EFAULT;
	if (!so->ext && len == 0)
		return 0;                     /* removing what is not there */
	struct sockaddr_in6 nh;
	int i = ext_index(name), r;
	if (len) {
		r = name == IPV6_NEXTHOP ? nexthop_check(s, val, len, &nh) : ext_check(name, val, len);
		if (r)
			return r;
	}
	if (!so->ext && !(so->ext = calloc(1, sizeof(*so->ext))))
		return -ENOMEM;
	if (name == IPV6_NEXTHOP) {
		/* RFC 3542 6.4: an empty value removes it */
		so->ext->has_nexthop = len != 0;
		if (len)
			so->ext->nexthop = nh;
		return 0;
	}
	uint8_t *copy = NULL;
	if (len) {
		if (!(copy = malloc(len)))
			return -ENOMEM;
		memcpy(copy, val, len);
	}
	free(so->ext->hdr[i]);
	so->ext->hdr[i] = copy;
	so->ext->len[i] = (uint16_t)len;
	return 0;
}

int sock_ext_getopt(struct sock *so, int name, void *val, socklen_t *len)
{
	if (so->type != SOCK_DGRAM && so->type != SOCK_RAW)
		return -ENOPROTOOPT;
	if (!len)
		return -EFAULT;
	const void *p = NULL;
	socklen_t n = 0;
	if (so->ext && name == IPV6_NEXTHOP && so->ext->has_nexthop) {
		p = &so->ext->nexthop;
		n = sizeof(so->ext->nexthop);
	} else if (so->ext && name != IPV6_NEXTHOP) {
		int i = ext_index(name);
		p = so->ext->hdr[i];
		n = so->ext->len[i];
	}
	/* RFC 3542 6: an option not set reads back as zero length */
	if (n && (!val || *len < n))
		return -EINVAL;
	if (n)
		memcpy(val, p, n);
	*len = n;
	return 0;
}

/* ---- ancillary data on send ---- */

int sock_ext_cmsg(struct umk_stack *s, const struct cmsghdr *c, struct sock_send *ss)
{
	size_t dlen = c->cmsg_len - CMSG_LEN(0);
	const uint8_t *d = CMSG_DATA(c);
	if (c->cmsg_type == IPV6_NEXTHOP) {
		int r = nexthop_check(s, d, dlen, &ss->nexthop);
		if (!r)
			ss->has_nexthop = true;
		return r;
	}
	int i = ext_index(c->cmsg_type);
	if (i < 0)
		return -EINVAL;
	if (ss->ext_given & (1u << i))
		return -EINVAL;               /* one of each per send */
	/* RFC 3542 6: an empty one removes the sticky header for this send */
	if (dlen) {
		int r = ext_check(c->cmsg_type, d, dlen);
		if (r)
			return r;
	}
	ss->ext_given |= (uint8_t)(1u << i);
	ss->ext[i] = dlen ? d : NULL;
	ss->ext_len[i] = (uint16_t)dlen;
	return 0;
}

int sock_tx_ext(struct umk_stack *s, struct sock *so, struct sock_send *ss, struct ip6_tx *tx)
{
	struct ip6_tx_ext *x = &ss->txext;
	memset(x, 0, sizeof(*x));
	bool any = false;
	for (int i = 0; i < IP6_TX_EXT_N; i++) {
		if (ss->ext_given & (1u << i)) {
			x->hdr[i] = ss->ext[i];
			x->len[i] = ss->ext_len[i];
		} else if (so->ext) {
			x->hdr[i] = so->ext->hdr[i];
			x->len[i] = so->ext->len[i];
		}
	}
	/* RFC 3542 9.2: Destination Options before a Routing header need one */
	if (!x->len[IP6_TX_EXT_RTHDR])
		x->len[IP6_TX_EXT_DST1] = 0;
	for (int i = 0; i < IP6_TX_EXT_N; i++) {
		x->total += x->len[i];
		any |= x->len[i] != 0;
	}
	const struct sockaddr_in6 *nh = ss->has_nexthop ? &ss->nexthop :
					so->ext && so->ext->has_nexthop ? &so->ext->nexthop : NULL;
	/* RFC 3542 6.4: meaningless for multicast, where it is ignored */
	if (nh && !IN6_IS_ADDR_MULTICAST(&tx->dst)) {
		if (!if_get(s, (int)nh->sin6_scope_id))
			return -EHOSTUNREACH;   /* its interface went away */
		x->has_nexthop = true;
		x->nexthop = nh->sin6_addr;
		x->nexthop_if = (int)nh->sin6_scope_id;
		if (tx->oif && tx->oif != x->nexthop_if)
			return -EHOSTUNREACH;   /* IPV6_PKTINFO named another interface */
		any = true;
	}
	if (any)
		tx->ext = x;
	return 0;
}

/* ---- receiving ---- */

/* A header kept with a queued datagram: {cmsg type, length} then the bytes. */
struct ext_tag {
	uint16_t type;
	uint16_t len;
};

bool sock_ext_wanted(const struct sock *so)
{
	return so->opt.recvhopopts || so->opt.recvdstopts || so->opt.recvrthdr;
}

int sock_ext_scan(const struct umk_pkt *pkt, uint32_t ulp_off, struct sock_rx_ext *e)
{
	memset(e, 0, sizeof(*e));
	uint32_t start = pkt->net_off, end = ulp_off;
	struct ip6_hdr_info h;
	if (end < start || end - start < IP6_HLEN ||
	    ip6_hdr_parse(pkt->buf + start, end - start, &h))
		return 0;
	const uint8_t *base = pkt->buf + start;
	uint32_t len = end - start, off = IP6_HLEN;
	uint8_t nxt = h.nxt;
	while (off < len && e->n < SOCK_RX_EXT_MAX) {
		if (nxt != IPPROTO6_HOPOPTS && nxt != IPPROTO6_DSTOPTS && nxt != IPPROTO6_ROUTING &&
		    nxt != IPPROTO6_FRAGMENT)
			break;                  /* ESP/AH decapsulated: the chain is not plain */
		struct ip6_ext x;
		if (ip6_ext_parse(base + off, len - off, &x))
			break;
		if (nxt == IPPROTO6_FRAGMENT)
			x.len = 8;
		if (x.len > len - off)
			break;
		if (nxt != IPPROTO6_FRAGMENT) {
			e->h[e->n].type = nxt == IPPROTO6_HOPOPTS ? IPV6_HOPOPTS :
					  nxt == IPPROTO6_ROUTING ? IPV6_RTHDR : IPV6_DSTOPTS;
			e->h[e->n].off = start + off;
			e->h[e->n].len = (uint16_t)x.len;
			e->total += (uint32_t)sizeof(struct ext_tag) + x.len;
			e->n++;
		}
		nxt = base[off];
		off += x.len;
	}
	/* the walk must land exactly on the upper-layer header, or nothing is trusted */
	if (off != len) {
		memset(e, 0, sizeof(*e));
		return 0;
	}
	return (int)e->n;
}

static bool tag_wanted(const struct sock *so, int type)
{
	return (type == IPV6_HOPOPTS && so->opt.recvhopopts) ||
	       (type == IPV6_DSTOPTS && so->opt.recvdstopts) ||
	       (type == IPV6_RTHDR && so->opt.recvrthdr);
}

static uint32_t ext_room(const struct sock *so, const struct sock_rx_ext *e)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < e->n; i++)
		if (tag_wanted(so, e->h[i].type))
			n += (uint32_t)sizeof(struct ext_tag) + e->h[i].len;
	return n;
}

struct umk_pkt *sock_ext_take(struct umk_stack *s, const struct sock *so,
			      const struct sock_rx_ext *e, const struct umk_pkt *orig,
			      struct umk_pkt *pkt, uint16_t *ext_len)
{
	*ext_len = 0;
	uint32_t need = e->n ? ext_room(so, e) : 0;
	if (!need)
		return pkt;
	/* a fresh buffer: the headers must not be written over where they are read from */
	struct umk_pkt *c = pkt_copy(s, pkt, PKT_HEADROOM + need);
	if (!c) {
		COUNT(s, SOCK_EXT_NOBUFS);      /* the datagram still goes, without them */
		return pkt;
	}
	uint8_t *p = pkt_push(c, need);
	const uint8_t *buf = orig->buf;
	for (uint32_t i = 0; i < e->n; i++) {
		if (!tag_wanted(so, e->h[i].type))
			continue;
		struct ext_tag t = { .type = (uint16_t)e->h[i].type, .len = e->h[i].len };
		memcpy(p, &t, sizeof(t));
		memcpy(p + sizeof(t), buf + e->h[i].off, t.len);
		p += sizeof(t) + t.len;
	}
	*ext_len = (uint16_t)need;
	pkt_free(s, pkt);
	return c;
}

void sock_ext_put_cmsgs(const uint8_t *p, uint16_t len,
			void (*put)(void *ctx, int type, const void *data, size_t n), void *ctx)
{
	uint32_t off = 0;
	while (off + sizeof(struct ext_tag) <= len) {
		struct ext_tag t;
		memcpy(&t, p + off, sizeof(t));
		off += sizeof(t);
		if (t.len > len - off)
			return;
		put(ctx, t.type, p + off, t.len);
		off += t.len;
	}
}
