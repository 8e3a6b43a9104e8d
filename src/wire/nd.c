/*
 * nd.c - Neighbor Discovery messages and options on the wire (RFC 4861 4, RFC 4191 2.3,
 * RFC 8106 5, RFC 3971 5.3.2 as used by RFC 7527). Every length is checked against the
 * end pointer once; messages and options are each handled from one table.
 * Header: wire/nd.h. Users: ip6/nd6.c, ip6/rd6.c.
 */
#include <string.h>

#include "wire/nd.h"

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

/* ---- options ---- */

/* o: the whole option (type, length, body); len: its length in octets (>= the row's
 * min_len). Returns false when the option is malformed (skipped and counted). */
typedef bool (*opt_parse_fn)(const uint8_t *o, size_t len, struct nd_opts *opts);

static bool opt_sllao(const uint8_t *o, size_t len, struct nd_opts *opts)
{
	/* RFC 4861 4.6.1: the first one counts; later ones are ignored */
	if (!opts->has_sllao) {
		memcpy(opts->sllao, o + 2, ND_ETH_ADDR_LEN);
		opts->has_sllao = true;
	}
	return true;
}

static bool opt_tllao(const uint8_t *o, size_t len, struct nd_opts *opts)
{
	if (!opts->has_tllao) {
		memcpy(opts->tllao, o + 2, ND_ETH_ADDR_LEN);
		opts->has_tllao = true;
	}
	return true;
}

static bool opt_prefix(const uint8_t *o, size_t len, struct nd_opts *opts)
{
	if (o[2] > 128)
		return false;
	if (opts->n_prefix >= ND_MAX_PREFIX_OPTS) {
		opts->overflow++;
		return true;
	}
	struct nd_opt_prefix *p = &opts->prefix[opts->n_prefix++];
	p->plen = o[2];
	p->flags = o[3];
	p->valid_lft = get32(o + 4);
	p->preferred_lft = get32(o + 8);
	memcpy(&p->prefix, o + 16, 16);
	return true;
}

static bool opt_redirected(const uint8_t *o, size_t len, struct nd_opts *opts)
{
	if (!opts->redir) {
		opts->redir = o + ND_OPT_REDIR_MIN_LEN;
		opts->redir_len = len - ND_OPT_REDIR_MIN_LEN;
	}
	return true;
}

static bool opt_mtu(const uint8_t *o, size_t len, struct nd_opts *opts)
{
	if (!opts->has_mtu) {
		opts->mtu = get32(o + 4);
		opts->has_mtu = true;
	}
	return true;
}

static bool opt_nonce(const uint8_t *o, size_t len, struct nd_opts *opts)
{
	if (!opts->has_nonce) {
		memcpy(opts->nonce, o + 2, ND_NONCE_LEN);
		opts->nonce_len = (uint8_t)(len - 2 > 255 ? 255 : len - 2);
		opts->has_nonce = true;
	}
	return true;
}

static bool opt_route(const uint8_t *o, size_t len, struct nd_opts *opts)
{
	unsigned plen = o[2];
	/* RFC 4191 2.3: Length 1, 2 or 3; > 64 needs 3, > 0 needs at least 2 */
	if (len > 24 || plen > 128 || (plen > 64 && len < 24) || (plen > 0 && len < 16))
		return false;
	uint8_t prf = (o[3] >> ND_RA_PRF_SHIFT) & ND_RA_PRF_MASK;
	if (opts->n_route >= ND_MAX_ROUTE_OPTS) {
		opts->overflow++;
		return true;
	}
	struct nd_opt_route *r = &opts->route[opts->n_route++];
	memset(r, 0, sizeof(*r));
	r->plen = (uint8_t)plen;
	r->prf = prf;
	r->lifetime = get32(o + 4);
	memcpy(&r->prefix, o + 8, len - 8);
	/* the bits past the prefix length are reserved (sender sets them to zero) */
	for (unsigned i = plen; i < 128; i++)
		r->prefix.s6_addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return true;
}

static bool opt_rdnss(const uint8_t *o, size_t len, struct nd_opts *opts)
{
	/* RFC 8106 5.1: Length = 1 + 2 * number of addresses, so odd */
	if ((len / ND_OPT_UNIT) % 2 == 0)
		return false;
	uint32_t lifetime = get32(o + 4);
	for (size_t off = 8; off + 16 <= len; off += 16) {
		if (opts->n_rdnss >= ND_MAX_RDNSS_ADDRS) {
			opts->overflow++;
			break;
		}
		struct nd_opt_rdnss *r = &opts->rdnss[opts->n_rdnss++];
		memcpy(&r->addr, o + off, 16);
		r->lifetime = lifetime;
	}
	return true;
}

static bool label_char_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static bool opt_dnssl(const uint8_t *o, size_t len, struct nd_opts *opts)
{
	uint32_t lifetime = get32(o + 4);
	const uint8_t *p = o + 8, *end = o + len;
	struct nd_opt_dnssl tmp;
	unsigned first = opts->n_dnssl; /* a malformed option adds no name at all */
	/* RFC 8106 5.2: names in RFC 1035 3.1 form, no compression, then zero padding */
	while (p < end && *p != 0) {
		size_t n = 0;
		while (p < end && *p != 0) {
			unsigned l = *p++;
			if (l > 63 || (size_t)(end - p) < l || n + l + 1 > ND_DNS_NAME_MAX)
				goto bad;
			if (n)
				tmp.name[n++] = '.';
			for (unsigned i = 0; i < l; i++) {
				if (!label_char_ok(p[i]))
					goto bad;
				tmp.name[n++] = (char)p[i];
			}
			p += l;
		}
		if (p >= end)
			goto bad; /* the name has no terminating zero label */
		p++;
		tmp.name[n] = '\0';
		tmp.lifetime = lifetime;
		if (opts->n_dnssl >= ND_MAX_DNSSL_NAMES) {
			opts->overflow++;
			continue;
		}
		opts->dnssl[opts->n_dnssl++] = tmp;
	}
	for (; p < end; p++)
		if (*p != 0)
			goto bad;
	return true;
bad:
	opts->n_dnssl = first;
	return false;
}

static const struct nd_opt_row {
	uint8_t type;
	uint16_t min_len;
	opt_parse_fn parse;
} opt_rows[] = {
	{ ND_OPT_SOURCE_LLADDR, ND_OPT_LLADDR_LEN, opt_sllao },
	{ ND_OPT_TARGET_LLADDR, ND_OPT_LLADDR_LEN, opt_tllao },
	{ ND_OPT_PREFIX_INFO, ND_OPT_PREFIX_LEN, opt_prefix },
	{ ND_OPT_REDIRECTED_HDR, ND_OPT_REDIR_MIN_LEN, opt_redirected },
	{ ND_OPT_MTU, ND_OPT_MTU_LEN, opt_mtu },
	{ ND_OPT_NONCE, ND_OPT_NONCE_MIN_LEN, opt_nonce },
	{ ND_OPT_ROUTE_INFO, ND_OPT_ROUTE_MIN_LEN, opt_route },
	{ ND_OPT_RDNSS, ND_OPT_RDNSS_MIN_LEN, opt_rdnss },
	{ ND_OPT_DNSSL, ND_OPT_DNSSL_MIN_LEN, opt_dnssl },
};

static const struct nd_opt_row *opt_row(uint8_t type)
{
	for (size_t i = 0; i < sizeof(opt_rows) / sizeof(opt_rows[0]); i++)
		if (opt_rows[i].type == type)
			return &opt_rows[i];
	return NULL;
}

static enum nd_parse_result parse_opts(const uint8_t *p, const uint8_t *end,
				       struct nd_opts *opts)
{
	while (p < end) {
		if (end - p < 2)
			return ND_PARSE_OPT_TRUNCATED;
		size_t len = (size_t)p[1] * ND_OPT_UNIT;
		/* RFC 4861 4.6: "Nodes MUST silently discard an ND packet that contains an
		 * option with length zero." */
		if (len == 0)
			return ND_PARSE_OPT_ZERO_LEN;
		if ((size_t)(end - p) < len)
			return ND_PARSE_OPT_TRUNCATED;
		const struct nd_opt_row *row = opt_row(p[0]);
		if (!row)
			opts->unknown++; /* 4.6: skip options we don't recognize */
		else if (len < row->min_len || !row->parse(p, len, opts))
			opts->malformed++;
		p += len;
	}
	return ND_PARSE_OK;
}

/* ---- messages ---- */

typedef void (*msg_parse_fn)(const uint8_t *b, struct nd_msg *m);

static void msg_rs(const uint8_t *b, struct nd_msg *m) {}

static void msg_ra(const uint8_t *b, struct nd_msg *m)
{
	m->cur_hop_limit = b[4];
	m->ra_flags = b[5];
	m->router_lifetime = get16(b + 6);
	m->reachable_time = get32(b + 8);
	m->retrans_timer = get32(b + 12);
}

static void msg_ns(const uint8_t *b, struct nd_msg *m) { memcpy(&m->target, b + 8, 16); }

static void msg_na(const uint8_t *b, struct nd_msg *m)
{
	m->na_flags = b[4] & (ND_NA_F_ROUTER | ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE);
	memcpy(&m->target, b + 8, 16);
}

static void msg_redirect(const uint8_t *b, struct nd_msg *m)
{
	memcpy(&m->target, b + 8, 16);
	memcpy(&m->dest, b + 24, 16);
}

static const struct nd_msg_row {
	uint8_t type;
	uint16_t min_len;
	msg_parse_fn parse;
} msg_rows[] = {
	{ ND_ROUTER_SOLICIT, ND_RS_LEN, msg_rs },
	{ ND_ROUTER_ADVERT, ND_RA_LEN, msg_ra },
	{ ND_NEIGHBOR_SOLICIT, ND_NS_LEN, msg_ns },
	{ ND_NEIGHBOR_ADVERT, ND_NA_LEN, msg_na },
	{ ND_REDIRECT, ND_REDIRECT_LEN, msg_redirect },
};

static const struct nd_msg_row *msg_row(uint8_t type)
{
	for (size_t i = 0; i < sizeof(msg_rows) / sizeof(msg_rows[0]); i++)
		if (msg_rows[i].type == type)
			return &msg_rows[i];
	return NULL;
}

enum nd_parse_result nd_parse(const uint8_t *b, size_t len, struct nd_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len < 2)
		return ND_PARSE_SHORT;
	const struct nd_msg_row *row = msg_row(b[0]);
	if (!row)
		return ND_PARSE_BAD_TYPE;
	m->type = b[0];
	m->code = b[1];
	if (m->code != 0)
		return ND_PARSE_BAD_CODE;
	if (len < row->min_len)
		return ND_PARSE_SHORT;
	row->parse(b, m);
	return parse_opts(b + row->min_len, b + len, &m->opts);
}

const char *nd_parse_result_str(enum nd_parse_result r)
{
	switch (r) {
	case ND_PARSE_OK: return "ok";
	case ND_PARSE_BAD_TYPE: return "not an ND message";
	case ND_PARSE_BAD_CODE: return "code not 0";
	case ND_PARSE_SHORT: return "too short";
	case ND_PARSE_OPT_ZERO_LEN: return "option with length 0";
	case ND_PARSE_OPT_TRUNCATED: return "option runs past the end";
	}
	return "?";
}

int nd_prf_to_pref(uint8_t prf)
{
	switch (prf & ND_RA_PRF_MASK) {
	case ND_PRF_HIGH: return 1;
	case ND_PRF_LOW: return -1;
	default: return 0; /* RFC 4191 2.2: reserved (10) is treated as medium */
	}
}

/* ---- emit ---- */

struct emitter {
	uint8_t *b;
	size_t cap, len;
	bool fail;
};

static uint8_t *emit_room(struct emitter *e, size_t n)
{
	if (e->fail || e->cap - e->len < n) {
		e->fail = true;
		return NULL;
	}
	uint8_t *p = e->b + e->len;
	memset(p, 0, n);
	e->len += n;
	return p;
}

static void emit_lladdr(struct emitter *e, uint8_t type, const uint8_t *ll)
{
	uint8_t *p = emit_room(e, ND_OPT_LLADDR_LEN);
	if (!p)
		return;
	p[0] = type;
	p[1] = ND_OPT_LLADDR_LEN / ND_OPT_UNIT;
	memcpy(p + 2, ll, ND_ETH_ADDR_LEN);
}

static void emit_opts(struct emitter *e, const struct nd_opts *o)
{
	uint8_t *p;
	if (o->has_sllao)
		emit_lladdr(e, ND_OPT_SOURCE_LLADDR, o->sllao);
	if (o->has_tllao)
		emit_lladdr(e, ND_OPT_TARGET_LLADDR, o->tllao);
	if (o->has_mtu && (p = emit_room(e, ND_OPT_MTU_LEN))) {
		p[0] = ND_OPT_MTU;
		p[1] = 1;
		put32(p + 4, o->mtu);
	}
	if (o->has_nonce && (p = emit_room(e, ND_OPT_NONCE_MIN_LEN))) {
		p[0] = ND_OPT_NONCE;
		p[1] = 1;
		memcpy(p + 2, o->nonce, ND_NONCE_LEN);
	}
	for (unsigned i = 0; i < o->n_prefix && i < ND_MAX_PREFIX_OPTS; i++) {
		const struct nd_opt_prefix *pi = &o->prefix[i];
		if (!(p = emit_room(e, ND_OPT_PREFIX_LEN)))
			return;
		p[0] = ND_OPT_PREFIX_INFO;
		p[1] = ND_OPT_PREFIX_LEN / ND_OPT_UNIT;
		p[2] = pi->plen;
		p[3] = pi->flags;
		put32(p + 4, pi->valid_lft);
		put32(p + 8, pi->preferred_lft);
		memcpy(p + 16, &pi->prefix, 16);
	}
	for (unsigned i = 0; i < o->n_route && i < ND_MAX_ROUTE_OPTS; i++) {
		const struct nd_opt_route *r = &o->route[i];
		size_t len = r->plen == 0 ? 8 : r->plen <= 64 ? 16 : 24;
		if (!(p = emit_room(e, len)))
			return;
		p[0] = ND_OPT_ROUTE_INFO;
		p[1] = (uint8_t)(len / ND_OPT_UNIT);
		p[2] = r->plen;
		p[3] = (uint8_t)((r->prf & ND_RA_PRF_MASK) << ND_RA_PRF_SHIFT);
		put32(p + 4, r->lifetime);
		memcpy(p + 8, &r->prefix, len - 8);
	}
	for (unsigned i = 0; i < o->n_rdnss && i < ND_MAX_RDNSS_ADDRS; i++) {
		if (!(p = emit_room(e, ND_OPT_RDNSS_MIN_LEN)))
			return;
		p[0] = ND_OPT_RDNSS;
		p[1] = ND_OPT_RDNSS_MIN_LEN / ND_OPT_UNIT;
		put32(p + 4, o->rdnss[i].lifetime);
		memcpy(p + 8, &o->rdnss[i].addr, 16);
	}
	for (unsigned i = 0; i < o->n_dnssl && i < ND_MAX_DNSSL_NAMES; i++) {
		const char *name = o->dnssl[i].name;
		size_t nlen = strnlen(name, ND_DNS_NAME_MAX);
		/* wire form: one length byte per label plus the zero label */
		size_t wire = nlen ? nlen + 2 : 1;
		size_t len = (8 + wire + ND_OPT_UNIT - 1) / ND_OPT_UNIT * ND_OPT_UNIT;
		if (!(p = emit_room(e, len)))
			return;
		p[0] = ND_OPT_DNSSL;
		p[1] = (uint8_t)(len / ND_OPT_UNIT);
		put32(p + 4, o->dnssl[i].lifetime);
		uint8_t *q = p + 8;
		const char *l = name;
		while (*l) {
			const char *dot = strchr(l, '.');
			size_t ll = dot ? (size_t)(dot - l) : strlen(l);
			*q++ = (uint8_t)ll;
			memcpy(q, l, ll);
			q += ll;
			l += ll + (dot ? 1 : 0);
		}
		*q = 0;
	}
	if (o->redir) {
		/* RFC 4861 4.6.3: as much of the packet as fits, padded to 8 octets */
		size_t len = (ND_OPT_REDIR_MIN_LEN + o->redir_len + 7) / 8 * 8;
		if (len / ND_OPT_UNIT > 255)
			len = 255 * ND_OPT_UNIT;
		if (!(p = emit_room(e, len)))
			return;
		p[0] = ND_OPT_REDIRECTED_HDR;
		p[1] = (uint8_t)(len / ND_OPT_UNIT);
		size_t n = o->redir_len < len - 8 ? o->redir_len : len - 8;
		memcpy(p + 8, o->redir, n);
	}
}

size_t nd_emit(uint8_t *b, size_t cap, const struct nd_msg *m)
{
	const struct nd_msg_row *row = msg_row(m->type);
	if (!row)
		return 0;
	struct emitter e = { .b = b, .cap = cap };
	uint8_t *p = emit_room(&e, row->min_len);
	if (!p)
		return 0;
	p[0] = m->type;
	p[1] = m->code;
	switch (m->type) {
	case ND_ROUTER_ADVERT:
		p[4] = m->cur_hop_limit;
		p[5] = m->ra_flags;
		put16(p + 6, m->router_lifetime);
		put32(p + 8, m->reachable_time);
		put32(p + 12, m->retrans_timer);
		break;
	case ND_NEIGHBOR_ADVERT:
		p[4] = m->na_flags;
		/* fall through */
	case ND_NEIGHBOR_SOLICIT:
		memcpy(p + 8, &m->target, 16);
		break;
	case ND_REDIRECT:
		memcpy(p + 8, &m->target, 16);
		memcpy(p + 24, &m->dest, 16);
		break;
	default:
		break;
	}
	emit_opts(&e, &m->opts);
	return e.fail ? 0 : e.len;
}
