/*
 * icmp6.c - ICMPv6 (RFC 4443): input checks and dispatch (echo here, ND to nd6.c, MLD to
 * mld6.c, errors to the path-MTU cache and the echo handler), error generation with the
 * rules of 2.4 and a token-bucket rate limit, sending, and `umk ping`'s echo requests.
 * Wire format: wire/icmp6.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/nd6.h"
#include "transport/transport.h"
#include "wire/checksum.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

struct icmp6_state {
	/* RFC 4443 2.4 (f): token bucket, in thousandths of a token */
	uint64_t tokens;
	umk_time_t last;
};

int icmp6_init(struct umk_stack *s)
{
	s->icmp6 = calloc(1, sizeof(*s->icmp6));
	if (!s->icmp6)
		return -ENOMEM;
	s->icmp6->tokens = (uint64_t)s->limits.icmp6_burst * 1000;
	s->icmp6->last = s->now;
	return 0;
}

void icmp6_fini(struct umk_stack *s)
{
	free(s->icmp6);
	s->icmp6 = NULL;
}

/* ---- sending ---- */

int icmp6_send(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_tx *tx)
{
	if (pkt->len < ICMP6_HLEN) {
		pkt_free(s, pkt);
		return -EINVAL;
	}
	uint8_t type = pkt->data[0];
	tx->nxt = IPPROTO6_ICMPV6;
	tx->csum_off = ICMP6_OFF_CSUM;
	COUNT(s, ICMP6_OUT_MSGS);
	if (ICMP6_IS_ERROR(type))
		COUNT(s, ICMP6_OUT_ERRORS);
	s->icmp6_out_type[type]++;
	int r = ip6_output(s, pkt, tx);
	if (r < 0)
		COUNT(s, ICMP6_OUT_FAILED);
	return r;
}

static bool ratelimit_pass(struct umk_stack *s)
{
	struct icmp6_state *st = s->icmp6;
	uint64_t cap = (uint64_t)s->limits.icmp6_burst * 1000;

	if (s->limits.icmp6_rate == 0)
		return true; /* 0: not limited */
	st->tokens += (s->now - st->last) * s->limits.icmp6_rate;
	st->last = s->now;
	if (st->tokens > cap)
		st->tokens = cap;
	if (st->tokens < 1000)
		return false;
	st->tokens -= 1000;
	return true;
}

/* RFC 4443 2.4 (e.1, e.2): is the invoking packet an ICMPv6 error or a Redirect? */
static bool about_error(const uint8_t *ip, uint32_t len, uint8_t nxt)
{
	struct ip6_chain c;
	if (ip6_chain_walk(ip, len, nxt, IP6_HLEN, IP6_OFF_NXT, &c) || c.frag_nonfirst ||
	    c.nxt != IPPROTO6_ICMPV6 || c.off >= len)
		return false;
	return ICMP6_IS_ERROR(ip[c.off]) || ip[c.off] == ICMP6_ND_REDIRECT;
}

void icmp6_error(struct umk_stack *s, struct umk_pkt *pkt, uint8_t type, uint8_t code,
		 uint32_t param)
{
	struct ip6_hdr_info h;
	uint8_t *ip = pkt_net(pkt);
	uint32_t end = pkt_off(pkt) + pkt->len;
	uint32_t qlen = end > pkt->net_off ? end - pkt->net_off : 0;
	struct umk_if *ifp = if_get(s, pkt->ifindex);
	char a[ADDRSTRLEN];

	if (!ifp || ip6_hdr_parse(ip, qlen, &h))
		goto drop;
	if (about_error(ip, qlen, h.nxt)) {
		COUNT(s, ICMP6_ERR_ABOUT_ERROR);
		goto drop;
	}
	/* e.3, e.4: not about multicast, except Packet Too Big and an unrecognized option
	 * of type 10xxxxxx (input.c only asks for code 2 in that case) */
	bool mcast_ok = type == ICMP6_PACKET_TOO_BIG ||
			(type == ICMP6_PARAM_PROB && code == ICMP6_PP_OPTION);
	if ((IN6_IS_ADDR_MULTICAST(&h.dst) || (pkt->flags & (PKT_F_MCAST | PKT_F_BCAST))) &&
	    !mcast_ok) {
		COUNT(s, ICMP6_ERR_ABOUT_MCAST);
		goto drop;
	}
	/* e.5: the source must identify a single node */
	if (IN6_IS_ADDR_UNSPECIFIED(&h.src) || IN6_IS_ADDR_MULTICAST(&h.src)) {
		COUNT(s, ICMP6_ERR_BAD_SRC);
		goto drop;
	}
	/* RFC 4862 5.4: packets to a tentative address (other than DAD's NS/NA) are
	 * silently discarded: no error gives the address away before it is ours */
	struct in6_ifaddr *dia = IN6_IS_ADDR_MULTICAST(&h.dst) ? NULL :
				 in6_addr_find(s, in6_is_scoped(&h.dst) ? ifp : NULL, &h.dst);
	if (dia && (dia->flags & (UMK_ADDR_F_TENTATIVE | UMK_ADDR_F_DADFAILED))) {
		COUNT(s, ICMP6_ERR_ABOUT_TENTATIVE);
		goto drop;
	}
	if (!ratelimit_pass(s)) {
		COUNT(s, ICMP6_ERR_RATELIMITED);
		goto drop;
	}

	/* 2.4 (c): as much of the invoking packet as fits in 1280 bytes */
	uint32_t room = ICMP6_ERR_MAX_LEN - IP6_HLEN - ICMP6_ERR_HLEN;
	uint32_t n = qlen < room ? qlen : room;
	struct umk_pkt *e = pkt_alloc(s, ICMP6_ERR_HLEN + n, PKT_HEADROOM);
	if (!e) {
		COUNT(s, ICMP6_ERR_NOBUFS);
		goto drop;
	}
	uint8_t *p = pkt_put(e, ICMP6_ERR_HLEN + n);
	icmp6_err_emit(p, type, code, param);
	memcpy(p + ICMP6_ERR_HLEN, ip, n);

	struct ip6_tx tx;
	ip6_tx_init(&tx, IPPROTO6_ICMPV6);
	tx.dst = h.src;
	if (in6_is_scoped(&h.src))
		tx.zone = ifp->index;
	/* the address the packet was sent to, when it is one of ours; else RFC 6724 */
	if (dia)
		tx.src = h.dst;
	else if (ip6_select_source(s, ifp, &h.src, &tx.src)) {
		COUNT(s, ICMP6_ERR_BAD_SRC);
		pkt_free(s, e);
		goto drop;
	}
	LOG_DEBUG(s, "type %u code %u param %u to %s", type, code, param, addr_str(&h.src, a));
	icmp6_send(s, e, &tx);
drop:
	pkt_free(s, pkt);
}

/* ---- input ---- */

static void echo_event(struct umk_stack *s, const struct ip6_rx *rx, uint8_t type, uint8_t code,
		       uint16_t ident, uint16_t seq, uint32_t len, bool bad)
{
	if (!s->echo_cb) {
		COUNT(s, ICMP6_IN_ECHO_NO_HANDLER);
		return;
	}
	struct umk_echo_event ev = {
		.ifindex = rx->ifp->index, .from = rx->src, .icmp_type = type, .icmp_code = code,
		.ident = ident, .seq = seq, .hlim = rx->hlim, .len = len, .truncated_or_bad = bad,
	};
	s->echo_cb(s->echo_ctx, &ev);
}

/* RFC 4443 4.1, 4.2: answer in place, from the address asked (a unicast address of the
 * receiving interface when the request went to a group or an anycast address). */
static void echo_request(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	struct ip6_tx tx;

	ip6_tx_init(&tx, IPPROTO6_ICMPV6);
	tx.dst = rx->src;
	if (in6_is_scoped(&rx->src))
		tx.zone = rx->ifp->index;
	if (!(rx->flags & (IP6_RX_DST_MCAST | IP6_RX_DST_ANYCAST)))
		tx.src = rx->dst;
	else if (ip6_select_source_on_link(s, rx->ifp, &rx->src, &tx.src))
		goto fail;
	if (IN6_IS_ADDR_UNSPECIFIED(&rx->src))
		goto fail;
	pkt->data[0] = ICMP6_ECHO_REPLY;
	pkt->data[1] = 0;
	icmp6_send(s, pkt, &tx);
	return;
fail:
	COUNT(s, ICMP6_IN_ECHO_REPLY_FAIL);
	pkt_free(s, pkt);
}

static void echo_reply(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	struct icmp6_echo e;

	icmp6_echo_parse(pkt->data, pkt->len, &e); /* length checked by the table */
	echo_event(s, rx, ICMP6_ECHO_REPLY, 0, e.ident, e.seq, pkt->len,
		   !icmp6_echo_payload_ok(e.data, e.data_len));
	pkt_free(s, pkt);
}

/* Destination Unreachable, Packet Too Big, Time Exceeded, Parameter Problem. */
static void error_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	struct icmp6_err e;
	struct ip6_hdr_info q;
	struct ip6_chain c;

	icmp6_err_parse(pkt->data, pkt->len, &e);
	if (ip6_hdr_parse(e.quoted, e.quoted_len, &q)) {
		COUNT(s, ICMP6_IN_SHORT);
		goto out;
	}
	if (e.type == ICMP6_PACKET_TOO_BIG) {
		/* RFC 8201 4: only about packets we sent */
		if (!in6_addr_find(s, NULL, &q.src) && !(pkt->flags & PKT_F_LOOPED))
			COUNT(s, ICMP6_IN_PTB_BAD);
		else
			pmtu_update(s, rx->ifp, &q.dst, e.param);
	}
	/* an error about one of our echo requests goes to the echo handler */
	if (!ip6_chain_walk(e.quoted, e.quoted_len, q.nxt, IP6_HLEN, IP6_OFF_NXT, &c) &&
	    !c.frag_nonfirst && c.nxt == IPPROTO6_ICMPV6 && c.off + 8 <= e.quoted_len &&
	    e.quoted[c.off] == ICMP6_ECHO_REQUEST) {
		struct icmp6_echo qe;
		icmp6_echo_parse(e.quoted + c.off, e.quoted_len - c.off, &qe);
		echo_event(s, rx, e.type, e.code, qe.ident, qe.seq, pkt->len, false);
	} else if (!sock_ctlinput(s, rx, e.type, e.code, e.param, e.quoted, e.quoted_len)) {
		/* RFC 4443 2.4 (b): handed to the transport that sent it; none took it */
		COUNT(s, ICMP6_IN_ERR_NO_LISTENER);
	}
out:
	pkt_free(s, pkt);
}

static void to_nd(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	nd6_input(s, pkt, rx);
}

static void to_mld(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	mld_input(s, pkt, rx);
}

static const struct icmp6_handler {
	uint8_t type;
	uint8_t min_len;
	void (*handle)(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx);
} handlers[] = {
	{ ICMP6_DST_UNREACH, ICMP6_ERR_HLEN, error_input },
	{ ICMP6_PACKET_TOO_BIG, ICMP6_ERR_HLEN, error_input },
	{ ICMP6_TIME_EXCEEDED, ICMP6_ERR_HLEN, error_input },
	{ ICMP6_PARAM_PROB, ICMP6_ERR_HLEN, error_input },
	{ ICMP6_ECHO_REQUEST, 8, echo_request },
	{ ICMP6_ECHO_REPLY, 8, echo_reply },
	{ ICMP6_MLD_QUERY, ICMP6_HLEN, to_mld },
	{ ICMP6_MLD_REPORT, ICMP6_HLEN, to_mld },
	{ ICMP6_MLD_DONE, ICMP6_HLEN, to_mld },
	{ ICMP6_MLDV2_REPORT, ICMP6_HLEN, to_mld },
	{ ICMP6_ND_RS, ICMP6_HLEN, to_nd },
	{ ICMP6_ND_RA, ICMP6_HLEN, to_nd },
	{ ICMP6_ND_NS, ICMP6_HLEN, to_nd },
	{ ICMP6_ND_NA, ICMP6_HLEN, to_nd },
	{ ICMP6_ND_REDIRECT, ICMP6_HLEN, to_nd },
};

void icmp6_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx)
{
	struct icmp6_hdr_info h;

	COUNT(s, ICMP6_IN_MSGS);
	if (icmp6_hdr_parse(pkt->data, pkt->len, &h)) {
		COUNT(s, ICMP6_IN_SHORT);
		goto bad;
	}
	if (csum_ip6(&rx->src, &rx->dst, IPPROTO6_ICMPV6, pkt->data, pkt->len) != 0) {
		COUNT(s, ICMP6_IN_CSUM_ERRORS);
		goto bad;
	}
	s->icmp6_in_type[h.type]++;
	/* RFC 4862 5.4: to a tentative address only what DAD needs gets through */
	if ((rx->flags & IP6_RX_DST_TENTATIVE) && h.type != ICMP6_ND_NS &&
	    h.type != ICMP6_ND_NA) {
		COUNT(s, ICMP6_IN_TENTATIVE);
		goto drop;
	}
	raw6_icmp_input(s, pkt, rx);  /* RFC 3542 3: copies to raw ICMPv6 sockets */
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (handlers[i].type != h.type)
			continue;
		if (pkt->len < handlers[i].min_len) {
			COUNT(s, ICMP6_IN_SHORT);
			goto bad;
		}
		handlers[i].handle(s, pkt, rx);
		return;
	}
	if (ICMP6_IS_ERROR(h.type)) {
		/* RFC 4443 2.4 (b): unknown errors go to the upper layer; none listens yet */
		COUNT(s, ICMP6_IN_UNKNOWN_ERROR);
	} else {
		/* 2.4 (a): unknown informational messages are discarded */
		COUNT(s, ICMP6_IN_UNKNOWN_INFO);
	}
	goto drop;
bad:
	COUNT(s, ICMP6_IN_ERRORS);
drop:
	pkt_free(s, pkt);
}

/* ---- management: echo (mgmt.h) ---- */

int umk_echo_send(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif,
		  uint16_t ident, uint16_t seq, uint32_t size, int hlim)
{
	if (!dst || size > IP6_MAX_PAYLOAD - 8 || hlim < 0 || hlim > 255)
		return -EINVAL;
	if ((zone && !if_get(s, zone)) || (oif && !if_get(s, oif)))
		return -ENODEV;
	struct umk_pkt *pkt = pkt_alloc(s, 8 + size, PKT_HEADROOM);
	if (!pkt)
		return -ENOBUFS;
	uint8_t *p = pkt_put(pkt, 8 + size);
	icmp6_echo_emit(p, ICMP6_ECHO_REQUEST, ident, seq);
	icmp6_echo_payload_fill(p + 8, size);

	struct ip6_tx tx;
	ip6_tx_init(&tx, IPPROTO6_ICMPV6);
	tx.dst = *dst;
	tx.zone = zone;
	tx.oif = oif;
	if (hlim)
		tx.hlim = (int16_t)hlim;
	return icmp6_send(s, pkt, &tx);
}

void umk_echo_set_handler(struct umk_stack *s, void (*cb)(void *, const struct umk_echo_event *),
			  void *ctx)
{
	s->echo_cb = cb;
	s->echo_ctx = ctx;
}
