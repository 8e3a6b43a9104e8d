/*
 * wire/tcp.c - TCP header and option parse and emit (RFC 9293 3.1-3.2, RFC 7323, RFC 2018).
 * Options are read from a table of {kind, min_len, max_len, parse} rows; an option whose length
 * is wrong for its kind, or that runs past the header, makes the segment malformed (RFC 9293
 * 3.2: a TCP implementation must be robust against illegal option lengths). Unknown kinds with
 * a sane length are skipped. Pure functions; fuzzed by fuzz/fuzz_wire_tcp.c.
 */
#include "wire/tcp.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static void opt_mss(const uint8_t *v, uint8_t len, struct tcp_opts *o)
{
	(void)len;
	o->mss = rd16(v);
}

static void opt_wscale(const uint8_t *v, uint8_t len, struct tcp_opts *o)
{
	(void)len;
	o->wscale = v[0];
}

static void opt_none(const uint8_t *v, uint8_t len, struct tcp_opts *o)
{
	(void)v, (void)len, (void)o;
}

static void opt_sack(const uint8_t *v, uint8_t len, struct tcp_opts *o)
{
	o->n_sack = (uint8_t)(len / 8);
	for (uint8_t i = 0; i < o->n_sack; i++) {
		o->sack[i].start = rd32(v + 8 * i);
		o->sack[i].end = rd32(v + 8 * i + 4);
	}
}

static void opt_ts(const uint8_t *v, uint8_t len, struct tcp_opts *o)
{
	(void)len;
	o->tsval = rd32(v);
	o->tsecr = rd32(v + 4);
}

static const struct opt_row {
	uint8_t kind;
	uint8_t flag;               /* TCPO_* */
	uint8_t min_len, max_len;   /* whole option, kind and length bytes included */
	void (*parse)(const uint8_t *value, uint8_t value_len, struct tcp_opts *o);
} opt_rows[] = {
	{ TCPOPT_MSS, TCPO_MSS, TCPOLEN_MSS, TCPOLEN_MSS, opt_mss },
	{ TCPOPT_WSCALE, TCPO_WSCALE, TCPOLEN_WSCALE, TCPOLEN_WSCALE, opt_wscale },
	{ TCPOPT_SACK_PERM, TCPO_SACK_OK, TCPOLEN_SACK_PERM, TCPOLEN_SACK_PERM, opt_none },
	{ TCPOPT_SACK, TCPO_SACK, 2 + 8, 2 + 8 * TCP_MAX_SACK, opt_sack },
	{ TCPOPT_TS, TCPO_TS, TCPOLEN_TS, TCPOLEN_TS, opt_ts },
};

int tcp_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o)
{
	const uint8_t *end = p + len;
	o->present = 0;
	o->n_sack = 0;
	while (p < end) {
		uint8_t kind = p[0];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			p++;
			continue;
		}
		if (end - p < 2)
			return TCP_ERR_OPTION;
		uint8_t olen = p[1];
		if (olen < 2 || olen > end - p)
			return TCP_ERR_OPTION;
		for (size_t i = 0; i < sizeof(opt_rows) / sizeof(opt_rows[0]); i++) {
			const struct opt_row *r = &opt_rows[i];
			if (r->kind != kind)
				continue;
			if (olen < r->min_len || olen > r->max_len)
				return TCP_ERR_OPTION;
			if (kind == TCPOPT_SACK && (olen - 2) % 8)
				return TCP_ERR_OPTION;
			if (!(o->present & r->flag)) {  /* a repeated option: the first one counts */
				r->parse(p + 2, (uint8_t)(olen - 2), o);
				o->present |= r->flag;
			}
			break;
		}
		p += olen;
	}
	return TCP_OK;
}

int tcp_parse(const uint8_t *p, size_t len, struct tcp_hdr_info *h)
{
	if (len < TCP_HLEN)
		return TCP_ERR_SHORT;
	h->sport = rd16(p);
	h->dport = rd16(p + 2);
	h->seq = rd32(p + 4);
	h->ack = rd32(p + 8);
	h->hlen = (uint8_t)((p[12] >> 4) * 4);
	h->flags = p[13];
	h->win = rd16(p + 14);
	h->csum = rd16(p + TCP_OFF_CSUM);
	h->urp = rd16(p + 18);
	if (h->hlen < TCP_HLEN || h->hlen > len)
		return TCP_ERR_OFFSET;
	int r = tcp_opts_parse(p + TCP_HLEN, h->hlen - TCP_HLEN, &h->opt);
	if (r)
		return r;
	h->payload = p + h->hlen;
	h->payload_len = (uint32_t)(len - h->hlen);
	return TCP_OK;
}

size_t tcp_opts_len(const struct tcp_opts *o)
{
	size_t n = 0;
	if (o->present & TCPO_MSS)
		n += 4;
	if (o->present & (TCPO_TS | TCPO_SACK_OK))
		n += (o->present & TCPO_TS) ? 12 : 4;    /* SACK-Permitted rides in TS's NOPs */
	if (o->present & TCPO_WSCALE)
		n += 4;
	if ((o->present & TCPO_SACK) && o->n_sack)
		n += 4 + 8 * (size_t)o->n_sack;
	return n;
}

/* The layout every common stack uses, so middleboxes and captures look familiar:
 * MSS, SACK-Permitted + Timestamps (or NOP NOP Timestamps), NOP Window Scale, NOP NOP SACK. */
size_t tcp_opts_emit(uint8_t *p, const struct tcp_opts *o)
{
	uint8_t *q = p;
	if (o->present & TCPO_MSS) {
		q[0] = TCPOPT_MSS;
		q[1] = TCPOLEN_MSS;
		wr16(q + 2, o->mss);
		q += 4;
	}
	if (o->present & (TCPO_TS | TCPO_SACK_OK)) {
		if (o->present & TCPO_SACK_OK) {
			q[0] = TCPOPT_SACK_PERM;
			q[1] = TCPOLEN_SACK_PERM;
		} else {
			q[0] = q[1] = TCPOPT_NOP;
		}
		q += 2;
		if (o->present & TCPO_TS) {
			q[0] = TCPOPT_TS;
			q[1] = TCPOLEN_TS;
			wr32(q + 2, o->tsval);
			wr32(q + 6, o->tsecr);
			q += 10;
		} else {
			q[0] = q[1] = TCPOPT_NOP;
			q += 2;
		}
	}
	if (o->present & TCPO_WSCALE) {
		q[0] = TCPOPT_NOP;
		q[1] = TCPOPT_WSCALE;
		q[2] = TCPOLEN_WSCALE;
		q[3] = o->wscale;
		q += 4;
	}
	if ((o->present & TCPO_SACK) && o->n_sack) {
		q[0] = q[1] = TCPOPT_NOP;
		q[2] = TCPOPT_SACK;
		q[3] = (uint8_t)(2 + 8 * o->n_sack);
		q += 4;
		for (uint8_t i = 0; i < o->n_sack; i++, q += 8) {
			wr32(q, o->sack[i].start);
			wr32(q + 4, o->sack[i].end);
		}
	}
	return (size_t)(q - p);
}

size_t tcp_emit(uint8_t *p, struct tcp_hdr_info *h)
{
	size_t ol = tcp_opts_emit(p + TCP_HLEN, &h->opt);
	h->hlen = (uint8_t)(TCP_HLEN + ol);
	wr16(p, h->sport);
	wr16(p + 2, h->dport);
	wr32(p + 4, h->seq);
	wr32(p + 8, h->ack);
	p[12] = (uint8_t)((h->hlen / 4) << 4);
	p[13] = h->flags;
	wr16(p + 14, h->win);
	wr16(p + TCP_OFF_CSUM, 0);
	wr16(p + 18, h->urp);
	return h->hlen;
}

int tcp_quoted(const uint8_t *p, size_t len, uint16_t *sport, uint16_t *dport, uint32_t *seq)
{
	if (len < 8)
		return -1;
	*sport = rd16(p);
	*dport = rd16(p + 2);
	*seq = rd32(p + 4);
	return 0;
}
