/*
 * wire/ip6.c - IPv6 fixed and extension headers (RFC 8200 3, 4): parse and emit.
 * Every parse checks its lengths against `avail` once; nothing here trusts a length field.
 */
#include <string.h>

#include "wire/ip6.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int ip6_hdr_parse(const uint8_t *p, size_t len, struct ip6_hdr_info *h)
{
	if (len < IP6_HLEN)
		return IP6_ERR_SHORT;
	uint32_t w = get32(p);
	h->version = (uint8_t)(w >> 28);
	if (h->version != IP6_VERSION)
		return IP6_ERR_VERSION;
	h->tclass = (uint8_t)(w >> 20);
	h->flowlabel = w & 0xfffff;
	h->plen = get16(p + IP6_OFF_PLEN);
	h->nxt = p[IP6_OFF_NXT];
	h->hlim = p[IP6_OFF_HLIM];
	memcpy(&h->src, p + IP6_OFF_SRC, 16);
	memcpy(&h->dst, p + IP6_OFF_DST, 16);
	return 0;
}

void ip6_hdr_emit(uint8_t *p, const struct ip6_hdr_info *h)
{
	put32(p, (uint32_t)IP6_VERSION << 28 | (uint32_t)h->tclass << 20 |
			 (h->flowlabel & 0xfffff));
	put16(p + IP6_OFF_PLEN, h->plen);
	p[IP6_OFF_NXT] = h->nxt;
	p[IP6_OFF_HLIM] = h->hlim;
	memcpy(p + IP6_OFF_SRC, &h->src, 16);
	memcpy(p + IP6_OFF_DST, &h->dst, 16);
}

int ip6_ext_parse(const uint8_t *p, size_t avail, struct ip6_ext *e)
{
	if (avail < 8)
		return IP6_ERR_SHORT;
	e->nxt = p[0];
	e->len = ((uint32_t)p[1] + 1) * 8;
	if (e->len > avail)
		return IP6_ERR_SHORT;
	return 0;
}

int ip6_rthdr_parse(const uint8_t *p, size_t avail, struct ip6_rthdr *r)
{
	struct ip6_ext e;
	int err = ip6_ext_parse(p, avail, &e);
	if (err)
		return err;
	r->nxt = e.nxt;
	r->len = e.len;
	r->type = p[2];
	r->segleft = p[3];
	return 0;
}

int ip6_fraghdr_parse(const uint8_t *p, size_t avail, struct ip6_fraghdr *f)
{
	if (avail < IP6_FRAGHDR_LEN)
		return IP6_ERR_SHORT;
	uint16_t w = get16(p + IP6_OFF_FRAG_OFFSET);
	f->nxt = p[0];
	f->offset = w & IP6_FRAG_OFFMASK;
	f->more = w & IP6_FRAG_MF;
	f->id = get32(p + 4);
	return 0;
}

void ip6_fraghdr_emit(uint8_t *p, const struct ip6_fraghdr *f)
{
	p[0] = f->nxt;
	p[1] = 0;
	put16(p + IP6_OFF_FRAG_OFFSET,
	      (uint16_t)((f->offset & IP6_FRAG_OFFMASK) | (f->more ? IP6_FRAG_MF : 0)));
	put32(p + 4, f->id);
}

void ip6_opt_iter_init(struct ip6_opt_iter *it, const uint8_t *hdr, uint32_t hdrlen)
{
	it->hdr = hdr;
	it->pos = 2; /* after Next Header and Hdr Ext Len */
	it->end = hdrlen;
}

int ip6_opt_next(struct ip6_opt_iter *it, struct ip6_opt *o)
{
	if (it->pos >= it->end)
		return 0;
	o->off = it->pos;
	o->type = it->hdr[it->pos];
	if (o->type == IP6OPT_PAD1) {
		/* RFC 8200 4.2: Pad1 has no length and no data */
		o->len = 0;
		o->data = NULL;
		it->pos++;
		return 1;
	}
	if (it->end - it->pos < 2)
		return -1;
	o->len = it->hdr[it->pos + 1];
	if ((uint32_t)o->len > it->end - it->pos - 2)
		return -1;
	o->data = it->hdr + it->pos + 2;
	it->pos += 2u + o->len;
	return 1;
}

void ip6_hbh_rtalert_emit(uint8_t *p, uint8_t nxt, uint16_t value)
{
	p[0] = nxt;
	p[1] = 0;                     /* 8 bytes */
	p[2] = IP6OPT_ROUTER_ALERT;
	p[3] = 2;
	put16(p + 4, value);
	p[6] = IP6OPT_PADN;           /* PadN with no data fills the last two bytes */
	p[7] = 0;
}

int ip6_chain_walk(const uint8_t *pkt, uint32_t len, uint8_t nxt, uint32_t off,
		   uint32_t nxt_off, struct ip6_chain *c)
{
	c->frag_nonfirst = false;
	while (ip6_is_ext(nxt)) {
		if (off > len)
			return IP6_ERR_SHORT;
		uint32_t avail = len - off;
		uint8_t next;
		uint32_t hlen;
		if (nxt == IPPROTO6_FRAGMENT) {
			struct ip6_fraghdr f;
			if (ip6_fraghdr_parse(pkt + off, avail, &f))
				return IP6_ERR_SHORT;
			if (f.offset != 0) {
				c->frag_nonfirst = true;
				break;
			}
			next = f.nxt;
			hlen = IP6_FRAGHDR_LEN;
		} else if (nxt == IPPROTO6_AH) {
			/* RFC 4302 2.2: Payload Len in 4-octet units, minus 2 */
			if (avail < 8)
				return IP6_ERR_SHORT;
			next = pkt[off];
			hlen = ((uint32_t)pkt[off + 1] + 2) * 4;
			if (hlen > avail)
				return IP6_ERR_SHORT;
		} else {
			struct ip6_ext e;
			if (ip6_ext_parse(pkt + off, avail, &e))
				return IP6_ERR_SHORT;
			next = e.nxt;
			hlen = e.len;
		}
		nxt_off = off;
		nxt = next;
		off += hlen;
	}
	c->nxt = nxt;
	c->off = off;
	c->nxt_off = nxt_off;
	return 0;
}
