/*
 * ipcomp.c - IPComp (RFC 3173) with the deflate transform (RFC 2394), on IPComp
 * associations kept in the SAD as SAs of protocol 108 whose SPI is the CPI.
 * Output (3.1, 2.2): the upper-layer payload is compressed as one raw deflate stream with
 * its history reset for every packet (RFC 2394 2: each datagram decompresses alone); a
 * payload below the threshold, or one that would not shrink, goes out uncompressed and
 * without the header, counted. Input (3.2): the CPI and destination name the
 * association; the data decompress into a fresh packet, never past the bound
 * (ipcomp_max_out and the 65,535-byte IPv6 payload), so a decompression bomb costs one
 * bounded inflate and a counter. zlib's streams and the scratch buffer are made once, with
 * the first IPComp SA (sad.c), so the data path never allocates; the pool gives packets.
 * Neighbours: wire/ipcomp.c (the header), datapath.c (the SA bundle order), esp.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ip6/ip6.h"
#include "ipsec/ipcomp.h"
#include "ipsec/ipsec_int.h"
#include "wire/ip6_const.h"
#include "wire/ipcomp.h"

#define IPCOMP_SCRATCH (IP6_MAX_PAYLOAD + 1)
/* RFC 2394 2 leaves the level to the sender; zlib's default trades well for packets */
#define IPCOMP_DEFLATE_LEVEL Z_DEFAULT_COMPRESSION
#define IPCOMP_DEFLATE_MEMLEVEL 8

struct ipcomp_ctx {
	z_stream def, inf;
	uint8_t *buf;                 /* IPCOMP_SCRATCH bytes */
};

int ipcomp_ctx_init(struct umk_stack *s)
{
	struct ipsec_state *st = s->ipsec;
	if (st->ipcomp)
		return 0;
	struct ipcomp_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->buf = malloc(IPCOMP_SCRATCH);
	/* negative window bits: raw deflate (RFC 1951) as RFC 2394 2 wants, no zlib wrapper */
	if (!c->buf || deflateInit2(&c->def, IPCOMP_DEFLATE_LEVEL, Z_DEFLATED,
				    -IPCOMP_DEFLATE_WBITS, IPCOMP_DEFLATE_MEMLEVEL,
				    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(c->buf);
		free(c);
		return -ENOMEM;
	}
	if (inflateInit2(&c->inf, -IPCOMP_DEFLATE_WBITS) != Z_OK) {
		deflateEnd(&c->def);
		free(c->buf);
		free(c);
		return -ENOMEM;
	}
	st->ipcomp = c;
	return 0;
}

void ipcomp_ctx_fini(struct umk_stack *s)
{
	struct ipcomp_ctx *c = s->ipsec->ipcomp;
	if (!c)
		return;
	deflateEnd(&c->def);
	inflateEnd(&c->inf);
	free(c->buf);
	free(c);
	s->ipsec->ipcomp = NULL;
}

int ipcomp_sa_check(const struct ipsec_sa *sa)
{
	if (sa->spi > UINT16_MAX)
		return -EINVAL;                 /* RFC 3173 2.2: the CPI is 16 bits */
	switch (ipcomp_cpi_class((uint16_t)sa->spi)) {
	case IPCOMP_CPI_INVALID:
	case IPCOMP_CPI_RESERVED:
		return -EINVAL;                 /* RFC 3173 3.3: 64-255 reserved */
	case IPCOMP_CPI_WELLKNOWN:
		/* RFC 3173 3.3: a well-known CPI is the transform identifier itself */
		if (sa->spi != sa->calg && sa->state != SA_LARVAL)
			return -EINVAL;
		break;
	default:
		break;
	}
	if (sa->state != SA_LARVAL && sa->calg != IPCOMP_ALG_DEFLATE)
		return -EPROTONOSUPPORT;        /* only deflate (RFC 2394) is built */
	if (sa->encap_type)
		return -EINVAL;                 /* RFC 3948 encapsulates ESP only */
	return 0;
}

int ipcomp_output(struct umk_stack *s, struct ipsec_sa *sa, struct umk_pkt *pkt, uint8_t *nxt)
{
	struct ipsec_state *st = s->ipsec;
	struct ipcomp_ctx *c = st->ipcomp;
	uint32_t plen = pkt->len;

	if (plen < st->ipcomp_threshold || plen <= IPCOMP_HLEN + 1) {
		COUNT(s, IPCOMP_OUT_SMALL);
		return 0;
	}
	/* the header goes in front: without room the payload goes as it is */
	if (!c || pkt_headroom(pkt) < IPCOMP_HLEN || deflateReset(&c->def) != Z_OK) {
		COUNT(s, IPCOMP_OUT_ERRORS);
		return 0;
	}
	/* RFC 3173 2.2: only a result smaller than the original, header included, is sent;
	 * an output buffer of that size makes deflate stop early on a payload that does
	 * not shrink */
	c->def.next_in = pkt->data;
	c->def.avail_in = plen;
	c->def.next_out = c->buf;
	c->def.avail_out = plen - IPCOMP_HLEN - 1;
	int r = deflate(&c->def, Z_FINISH);
	if (r != Z_STREAM_END) {
		if (r == Z_OK || r == Z_BUF_ERROR)
			COUNT(s, IPCOMP_OUT_NO_GAIN);
		else
			COUNT(s, IPCOMP_OUT_ERRORS);
		return 0;
	}
	uint32_t clen = (uint32_t)c->def.total_out;
	if (!sad_use(s, sa, plen)) {
		/* the association reached its hard limit and is gone: send uncompressed */
		COUNT(s, IPCOMP_OUT_ERRORS);
		return 0;
	}
	pkt_trim(pkt, 0);
	uint8_t *hdr = pkt_push(pkt, IPCOMP_HLEN);   /* room checked above */
	uint8_t *data = pkt_put(pkt, clen);          /* cannot fail: clen < plen - 4 */
	ipcomp_hdr_emit(hdr, *nxt, (uint16_t)sa->spi);
	memcpy(data, c->buf, clen);
	*nxt = IPPROTO6_IPCOMP;
	COUNT(s, IPCOMP_OUT_PKTS);
	return 0;
}

int ipcomp_input(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx, uint32_t *off,
		 uint32_t nxt_off, uint8_t *nxt, uint32_t *len)
{
	struct ipsec_state *st = s->ipsec;
	struct umk_pkt *pkt = *pp;
	struct ipcomp_hdr h;

	COUNT(s, IPCOMP_IN_PKTS);
	int r = ipcomp_hdr_parse(pkt->data + *off, *len - *off, &h);
	if (r == IPCOMP_ERR_SHORT)
		return ipsec_drop(s, pkt, CNT_IPCOMP_DROP_TRUNCATED);
	if (r)
		return ipsec_drop(s, pkt, CNT_IPCOMP_DROP_BAD_CPI);
	struct ipsec_sa *sa = sad_lookup(s, h.cpi, &rx->dst, IPPROTO6_IPCOMP);
	struct ipcomp_ctx *c = st->ipcomp;
	if (!sa || sa->state == SA_LARVAL || !c) {
		LOG_DEBUG(s, "no IPComp association for cpi 0x%04x", h.cpi);
		return ipsec_drop(s, pkt, CNT_IPCOMP_DROP_NO_SA);
	}
	/* one decompression per packet: not only IPComp right inside IPComp, but also one
	 * behind other headers of a decompressed payload (IPComp | Destination Options |
	 * IPComp ...), which would let one packet decompress again and again, forever
	 * with a deflate stream that decompresses to itself behind those headers */
	if (h.nxt == IPPROTO6_IPCOMP || (rx->flags & IP6_RX_IPCOMP))
		return ipsec_drop(s, pkt, CNT_IPCOMP_DROP_NESTED);

	/* the bound: the configured cap, the scratch buffer, and what still fits in one
	 * IPv6 packet after the headers before this one */
	uint32_t room = IP6_MAX_PAYLOAD + IP6_HLEN - *off;
	if (room > st->ipcomp_max_out)
		room = st->ipcomp_max_out;
	if (room > IPCOMP_SCRATCH - 1)
		room = IPCOMP_SCRATCH - 1;
	if (inflateReset(&c->inf) != Z_OK)
		return ipsec_drop(s, pkt, CNT_IPCOMP_DROP_BAD_DATA);
	c->inf.next_in = (uint8_t *)(uintptr_t)h.payload;
	c->inf.avail_in = h.payload_len;
	c->inf.next_out = c->buf;
	c->inf.avail_out = room + 1;          /* one byte more tells "too big" from "exact" */
	r = inflate(&c->inf, Z_FINISH);
	uint32_t dlen = (uint32_t)c->inf.total_out;
	if (dlen > room) {
		LOG_DEBUG(s, "cpi 0x%04x: %u compressed bytes decompress past %u", h.cpi,
			  h.payload_len, room);
		return ipsec_drop(s, pkt, CNT_IPCOMP_DROP_TOO_BIG);
	}
	/* RFC 3173 3.2: a datagram that does not decompress is dropped; so is one with
	 * bytes after the end of its deflate stream, or an empty one */
	if (r != Z_STREAM_END || c->inf.avail_in || dlen == 0)
		return ipsec_drop(s, pkt, CNT_IPCOMP_DROP_BAD_DATA);
	if (!sad_use(s, sa, dlen))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_HARD_EXPIRED);

	/* the headers before IPComp, then the decompressed payload, in a packet of its own */
	struct umk_pkt *np = pkt_alloc(s, *off + dlen, PKT_HEADROOM);
	if (!np)
		return ipsec_drop(s, pkt, CNT_IPCOMP_DROP_NOBUFS);
	uint8_t *p = pkt_put(np, *off + dlen);
	memcpy(p, pkt->data, *off);
	memcpy(p + *off, c->buf, dlen);
	np->ifindex = pkt->ifindex;
	np->flags = pkt->flags;
	np->net_off = pkt_off(np);
	pkt_free(s, pkt);
	p[nxt_off] = h.nxt;
	uint32_t plen = np->len - IP6_HLEN;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	*pp = np;
	rx->flags |= IP6_RX_IPCOMP;
	COUNT(s, IPCOMP_IN_OK);

	if (h.nxt == IPPROTO6_IPV6) {
		/* tunnel mode: the payload is a whole IPv6 packet, which goes on */
		ipsec_decap(s, np, rx, *off, dlen, sa);
		return 1;
	}
	*nxt = h.nxt;
	*len = np->len;
	return 0;
}
