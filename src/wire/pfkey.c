/*
 * wire/pfkey.c - PF_KEY v2 parse and emit (RFC 2367 2, KAME SPD extensions). Every length
 * is checked against the end of the message once; an unknown or repeated extension, a
 * length that does not add up or a reserved field that is not zero makes the whole
 * message invalid (RFC 2367 3.1: the kernel returns EINVAL), so a caller never acts on a
 * half-understood message. Extensions are handled from a table of {type, length, parse}.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "wire/pfkey.h"

#define SOCKADDR_IN6_LEN 28
#define SOCKADDR_IN_LEN  16      /* struct sockaddr_in: family, port, address, zero[8] */

static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t getbe32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A sockaddr at p with room bytes: sockaddr_in6, or sockaddr_in where v4 allows it (an
 * address extension: IPv4 selectors). Returns its padded length or -errno. */
static int parse_sockaddr(const uint8_t *p, size_t room, struct pfkey_address *a, bool v4)
{
	if (room < 2)
		return -EINVAL;
	uint16_t family = get16(p);
	if (family == AF_INET && !v4)
		return -EAFNOSUPPORT;
	if (family == AF_INET) {
		/* sockaddr_in: family, port, address, 8 bytes of zero; 16, already aligned */
		if (room < SOCKADDR_IN_LEN)
			return -EINVAL;
		a->family = AF_INET;
		a->port = (uint16_t)(p[2] << 8 | p[3]);
		memset(&a->addr, 0, sizeof(a->addr));
		a->addr.s6_addr[10] = a->addr.s6_addr[11] = 0xff;
		memcpy(a->addr.s6_addr + 12, p + 4, 4);
		a->scope = 0;
		return SOCKADDR_IN_LEN;
	}
	if (family != AF_INET6 || room < SOCKADDR_IN6_LEN)
		return -EINVAL;
	a->family = AF_INET6;
	a->port = (uint16_t)(p[2] << 8 | p[3]);
	memcpy(&a->addr, p + 8, 16);
	a->scope = get32(p + 24);
	return 32;     /* 28 rounded to 8 */
}

static int ext_sa(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	m->sa.spi = getbe32(p + 4);
	m->sa.replay = p[8];
	m->sa.state = p[9];
	m->sa.auth = p[10];
	m->sa.encrypt = p[11];
	m->sa.flags = get32(p + 12);
	return m->sa.state > SADB_SASTATE_DEAD ? -EINVAL : 0;
}

static int ext_lifetime(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	struct pfkey_lifetime *lt = &m->life[get16(p + 2) - SADB_EXT_LIFETIME_CURRENT];
	lt->allocations = get32(p + 4);
	lt->bytes = get64(p + 8);
	lt->addtime = get64(p + 16);
	lt->usetime = get64(p + 24);
	return 0;
}

/* sadb_address: protocol, prefix length, 2 reserved bytes, then the sockaddr, which must
 * fill the rest (SRC, DST, PROXY and NAT_T_OA alike) */
static int parse_address(struct pfkey_address *a, const uint8_t *p, size_t len)
{
	a->proto = p[4];
	a->prefixlen = p[5];
	if (get16(p + 6) != 0)
		return -EINVAL;
	int r = parse_sockaddr(p + 8, len - 8, a, true);
	if (r < 0)
		return r;
	if (a->prefixlen > (a->family == AF_INET ? 32 : 128) || (size_t)r + 8 != len)
		return -EINVAL;
	return 0;
}

static int ext_address(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	return parse_address(&m->addr[get16(p + 2) - SADB_EXT_ADDRESS_SRC], p, len);
}

static int ext_key(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	struct pfkey_key *k = get16(p + 2) == SADB_EXT_KEY_AUTH ? &m->key_auth : &m->key_enc;
	k->bits = get16(p + 4);
	k->data = p + 8;
	/* RFC 2367 2.3.4: key bits, padded to 64 bits; we take whole bytes only */
	if (get16(p + 6) != 0 || k->bits == 0 || k->bits % 8 ||
	    (size_t)k->bits / 8 > len - 8 || (len - 8) - k->bits / 8 >= PFKEY_ALIGN)
		return -EINVAL;
	return 0;
}

static int ext_spirange(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	m->spi_min = get32(p + 4);
	m->spi_max = get32(p + 8);
	return m->spi_min > m->spi_max || get32(p + 12) ? -EINVAL : 0;
}

static int ext_sa2(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	m->sa2.mode = p[4];
	m->sa2.seq = get32(p + 8);
	m->sa2.reqid = get32(p + 12);
	return m->sa2.mode > 2 ? -EINVAL : 0;
}

static int ext_policy(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	struct pfkey_policy *pol = &m->policy;
	pol->type = get16(p + 4);
	pol->dir = p[6];
	pol->id = get32(p + 8);
	pol->priority = get32(p + 12);
	if (pol->type > IPSEC_POLICY_BYPASS || pol->dir > IPSEC_DIR_OUTBOUND)
		return -EINVAL;
	size_t off = 16;
	while (off < len) {
		/* sadb_x_ipsecrequest: its length is in bytes, a multiple of 8 */
		if (len - off < 16 || pol->n_req == PFKEY_MAX_REQ)
			return -EINVAL;
		const uint8_t *q = p + off;
		uint16_t qlen = get16(q);
		if (qlen < 16 || qlen % PFKEY_ALIGN || qlen > len - off)
			return -EINVAL;
		struct pfkey_ipsecreq *r = &pol->req[pol->n_req++];
		r->proto = get16(q + 2);
		r->mode = q[4];
		r->level = q[5];
		r->reqid = get32(q + 8);
		if (r->mode > 2 || r->level > IPSEC_LEVEL_UNIQUE)
			return -EINVAL;
		if (r->proto != IPPROTO_ESP && r->proto != IPPROTO_AH &&
		    r->proto != PFKEY_IPPROTO_IPCOMP)
			return -EPROTONOSUPPORT;
		if (qlen > 16) {
			/* tunnel endpoints: the outer header is IPv6 */
			int a = parse_sockaddr(q + 16, qlen - 16, &r->src, false);
			if (a < 0)
				return a;
			int b = parse_sockaddr(q + 16 + a, qlen - 16 - (size_t)a, &r->dst, false);
			if (b < 0)
				return b;
			if (16 + a + b != qlen)
				return -EINVAL;
			r->tunnel_addrs = true;
		}
		off += qlen;
	}
	if (pol->type != IPSEC_POLICY_IPSEC && pol->n_req)
		return -EINVAL;
	return 0;
}

/* sadb_x_nat_t_type: type, 3 reserved bytes */
static int ext_natt_type(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	m->natt.type = p[4];
	return p[5] | p[6] | p[7] ? -EINVAL : 0;
}

/* sadb_x_nat_t_port: the port in network order, 2 reserved bytes */
static int ext_natt_port(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	uint16_t port = (uint16_t)(p[4] << 8 | p[5]);
	if (get16(p + 2) == SADB_X_EXT_NAT_T_SPORT)
		m->natt.sport = port;
	else
		m->natt.dport = port;
	return get16(p + 6) ? -EINVAL : 0;
}

/* NAT_T_OA: a sadb_address like the others */
static int ext_natt_oa(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	return parse_address(&m->natt.oa, p, len);
}

/* sadb_x_sa_replay (FreeBSD): the window in packets */
static int ext_sa_replay(struct pfkey_msg *m, const uint8_t *p, size_t len)
{
	m->sa_replay = get32(p + 4);
	return 0;
}

static int ext_opaque(struct pfkey_msg *m, const uint8_t *p, size_t len) { return 0; }

static const struct ext_row {
	uint16_t min_len, max_len;    /* bytes, header included; 0 max = unbounded */
	int (*parse)(struct pfkey_msg *m, const uint8_t *p, size_t len);
} ext_rows[PFKEY_EXT_LAST + 1] = {
	[SADB_EXT_SA] = { 16, 16, ext_sa },
	[SADB_EXT_LIFETIME_CURRENT] = { 32, 32, ext_lifetime },
	[SADB_EXT_LIFETIME_HARD] = { 32, 32, ext_lifetime },
	[SADB_EXT_LIFETIME_SOFT] = { 32, 32, ext_lifetime },
	[SADB_EXT_ADDRESS_SRC] = { 16, 0, ext_address },
	[SADB_EXT_ADDRESS_DST] = { 16, 0, ext_address },
	[SADB_EXT_ADDRESS_PROXY] = { 16, 0, ext_address },
	[SADB_EXT_KEY_AUTH] = { 16, 0, ext_key },
	[SADB_EXT_KEY_ENCRYPT] = { 16, 0, ext_key },
	[SADB_EXT_IDENTITY_SRC] = { 16, 0, ext_opaque },
	[SADB_EXT_IDENTITY_DST] = { 16, 0, ext_opaque },
	[SADB_EXT_SENSITIVITY] = { 16, 0, ext_opaque },
	[SADB_EXT_PROPOSAL] = { 8, 0, ext_opaque },
	[SADB_EXT_SUPPORTED_AUTH] = { 8, 0, ext_opaque },
	[SADB_EXT_SUPPORTED_ENCRYPT] = { 8, 0, ext_opaque },
	[SADB_EXT_SPIRANGE] = { 16, 16, ext_spirange },
	[SADB_X_EXT_KMPRIVATE] = { 8, 0, ext_opaque },
	[SADB_X_EXT_POLICY] = { 16, 0, ext_policy },
	[SADB_X_EXT_SA2] = { 16, 16, ext_sa2 },
	[SADB_X_EXT_SA_REPLAY] = { 8, 8, ext_sa_replay },
	[SADB_X_EXT_NAT_T_TYPE] = { 8, 8, ext_natt_type },
	[SADB_X_EXT_NAT_T_SPORT] = { 8, 8, ext_natt_port },
	[SADB_X_EXT_NAT_T_DPORT] = { 8, 8, ext_natt_port },
	[SADB_X_EXT_NAT_T_OA] = { 16, 0, ext_natt_oa },
};

int pfkey_parse(const uint8_t *p, size_t len, struct pfkey_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len < PFKEY_HDR_LEN)
		return -EINVAL;
	m->base.version = p[0];
	m->base.type = p[1];
	m->base.err = p[2];
	m->base.satype = p[3];
	m->base.len = (uint32_t)get16(p + 4) * PFKEY_ALIGN;
	m->base.seq = get32(p + 8);
	m->base.pid = get32(p + 12);
	if (m->base.version != PF_KEY_V2 || m->base.len != len || get16(p + 6) != 0 ||
	    m->base.type == SADB_RESERVED || m->base.type > SADB_MAX)
		return -EINVAL;
	size_t off = PFKEY_HDR_LEN;
	while (off < len) {
		if (len - off < 4)
			return -EINVAL;
		size_t elen = (size_t)get16(p + off) * PFKEY_ALIGN;
		uint16_t type = get16(p + off + 2);
		if (elen == 0 || elen > len - off || type == 0 || type > PFKEY_EXT_LAST ||
		    !ext_rows[type].parse)
			return -EINVAL;
		const struct ext_row *row = &ext_rows[type];
		if (elen < row->min_len || (row->max_len && elen > row->max_len))
			return -EINVAL;
		if (m->present & (1u << type))
			return -EINVAL;          /* RFC 2367 2.3: at most one of each */
		m->present |= 1u << type;
		int r = row->parse(m, p + off, elen);
		if (r)
			return r;
		off += elen;
	}
	return 0;
}

/* ---- emit ---- */

void pfkey_buf_init(struct pfkey_buf *b, uint8_t *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->overflow = false;
}

static uint8_t *room(struct pfkey_buf *b, size_t n)
{
	if (b->overflow || b->cap - b->len < n) {
		b->overflow = true;
		return NULL;
	}
	uint8_t *q = b->p + b->len;
	memset(q, 0, n);
	b->len += n;
	return q;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void putbe32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint8_t *ext(struct pfkey_buf *b, uint16_t type, size_t len)
{
	uint8_t *q = room(b, len);
	if (q) {
		put16(q, (uint16_t)(len / PFKEY_ALIGN));
		put16(q + 2, type);
	}
	return q;
}

void pfkey_emit_base(struct pfkey_buf *b, const struct pfkey_base *h)
{
	uint8_t *q = room(b, PFKEY_HDR_LEN);
	if (!q)
		return;
	q[0] = PF_KEY_V2;
	q[1] = h->type;
	q[2] = h->err;
	q[3] = h->satype;
	put32(q + 8, h->seq);
	put32(q + 12, h->pid);
}

void pfkey_emit_sa(struct pfkey_buf *b, const struct pfkey_sa *sa)
{
	uint8_t *q = ext(b, SADB_EXT_SA, 16);
	if (!q)
		return;
	putbe32(q + 4, sa->spi);
	q[8] = sa->replay;
	q[9] = sa->state;
	q[10] = sa->auth;
	q[11] = sa->encrypt;
	put32(q + 12, sa->flags);
}

void pfkey_emit_lifetime(struct pfkey_buf *b, uint16_t type, const struct pfkey_lifetime *lt)
{
	uint8_t *q = ext(b, type, 32);
	if (!q)
		return;
	put32(q + 4, lt->allocations);
	put64(q + 8, lt->bytes);
	put64(q + 16, lt->addtime);
	put64(q + 24, lt->usetime);
}

static void put_sockaddr(uint8_t *q, const struct pfkey_address *a)
{
	put16(q, AF_INET6);
	q[2] = (uint8_t)(a->port >> 8);
	q[3] = (uint8_t)a->port;
	memcpy(q + 8, &a->addr, 16);
	put32(q + 24, a->scope);
}

void pfkey_emit_address(struct pfkey_buf *b, uint16_t type, const struct pfkey_address *a)
{
	uint8_t *q = ext(b, type, a->family == AF_INET ? 8 + SOCKADDR_IN_LEN : 8 + 32);
	if (!q)
		return;
	q[4] = a->proto;
	q[5] = a->prefixlen;
	if (a->family == AF_INET) {
		put16(q + 8, AF_INET);
		q[10] = (uint8_t)(a->port >> 8);
		q[11] = (uint8_t)a->port;
		memcpy(q + 12, a->addr.s6_addr + 12, 4);
		return;
	}
	put_sockaddr(q + 8, a);
}

void pfkey_emit_key(struct pfkey_buf *b, uint16_t type, const uint8_t *key, uint16_t len)
{
	uint8_t *q = ext(b, type, 8 + ((len + 7u) & ~7u));
	if (!q)
		return;
	put16(q + 4, (uint16_t)(len * 8));
	memcpy(q + 8, key, len);
}

void pfkey_emit_sa2(struct pfkey_buf *b, const struct pfkey_sa2 *sa2)
{
	uint8_t *q = ext(b, SADB_X_EXT_SA2, 16);
	if (!q)
		return;
	q[4] = sa2->mode;
	put32(q + 8, sa2->seq);
	put32(q + 12, sa2->reqid);
}

void pfkey_emit_policy(struct pfkey_buf *b, const struct pfkey_policy *pol)
{
	size_t len = 16;
	for (int i = 0; i < pol->n_req; i++)
		len += pol->req[i].tunnel_addrs ? 16 + 64 : 16;
	uint8_t *q = ext(b, SADB_X_EXT_POLICY, len);
	if (!q)
		return;
	put16(q + 4, pol->type);
	q[6] = pol->dir;
	put32(q + 8, pol->id);
	put32(q + 12, pol->priority);
	uint8_t *r = q + 16;
	for (int i = 0; i < pol->n_req; i++) {
		const struct pfkey_ipsecreq *rq = &pol->req[i];
		uint16_t qlen = rq->tunnel_addrs ? 16 + 64 : 16;
		put16(r, qlen);
		put16(r + 2, rq->proto);
		r[4] = rq->mode;
		r[5] = rq->level;
		put32(r + 8, rq->reqid);
		if (rq->tunnel_addrs) {
			put_sockaddr(r + 16, &rq->src);
			put_sockaddr(r + 48, &rq->dst);
		}
		r += qlen;
	}
}

void pfkey_emit_supported(struct pfkey_buf *b, uint16_t type, const struct pfkey_alg *algs,
			  int n)
{
	uint8_t *q = ext(b, type, 8 + 8 * (size_t)n);
	if (!q)
		return;
	for (int i = 0; i < n; i++) {
		uint8_t *a = q + 8 + 8 * i;
		a[0] = algs[i].id;
		a[1] = algs[i].ivlen;
		put16(a + 2, algs[i].minbits);
		put16(a + 4, algs[i].maxbits);
	}
}

void pfkey_emit_spirange(struct pfkey_buf *b, uint32_t min, uint32_t max)
{
	uint8_t *q = ext(b, SADB_EXT_SPIRANGE, 16);
	if (!q)
		return;
	put32(q + 4, min);
	put32(q + 8, max);
}

void pfkey_emit_natt(struct pfkey_buf *b, const struct pfkey_natt *n,
		     const struct pfkey_address *oa)
{
	uint8_t *q = n->type ? ext(b, SADB_X_EXT_NAT_T_TYPE, 8) : NULL;
	if (q)
		q[4] = n->type;
	uint16_t type[2] = { SADB_X_EXT_NAT_T_SPORT, SADB_X_EXT_NAT_T_DPORT };
	uint16_t port[2] = { n->sport, n->dport };
	for (int i = 0; i < 2; i++) {
		q = ext(b, type[i], 8);
		if (q) {
			q[4] = (uint8_t)(port[i] >> 8);
			q[5] = (uint8_t)port[i];
		}
	}
	if (oa)
		pfkey_emit_address(b, SADB_X_EXT_NAT_T_OA, oa);
}

void pfkey_emit_sa_replay(struct pfkey_buf *b, uint32_t packets)
{
	uint8_t *q = ext(b, SADB_X_EXT_SA_REPLAY, 8);
	if (q)
		put32(q + 4, packets);
}

int pfkey_finish(struct pfkey_buf *b)
{
	if (b->overflow || b->len < PFKEY_HDR_LEN || b->len / PFKEY_ALIGN > UINT16_MAX)
		return -ENOBUFS;
	put16(b->p + 4, (uint16_t)(b->len / PFKEY_ALIGN));
	return (int)b->len;
}
