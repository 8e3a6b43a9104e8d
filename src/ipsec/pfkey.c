/*
 * pfkey.c - PF_KEY v2 (RFC 2367 3) on the SAD and SPD: each message type is a row
 * {type, required extensions, handler}; a message is parsed whole (wire/pfkey.c) and its
 * required extensions checked before its handler runs, and a handler validates everything
 * (algorithms, key lengths, addresses) before it changes anything, so a refused message
 * changes nothing. Replies go through the caller's callback; ACQUIRE and EXPIRE go to the
 * listener set with ipsec_set_listener (the REGISTERed key daemons, RFC 2367 3.1.6/3.1.7).
 */
#include <errno.h>
#include <string.h>

#include "ipsec/ipcomp.h"
#include "ipsec/ipsec.h"
#include "wire/ip6_const.h"
#include "wire/pfkey.h"
#include "wire/udpencap.h"

#define PFKEY_MSG_MAX 4096

struct ctx {
	struct umk_stack *s;
	const struct pfkey_msg *m;
	pfkey_reply_fn reply;
	void *rctx;
	uint8_t proto;                /* from satype */
	uint32_t left;                /* dump: messages still to send */
};

#define BIT(x) (1u << (x))

/* ---- algorithm numbers ---- */

static const struct { uint8_t id; enum ipsec_enc_alg alg; } ealgs[] = {
	{ SADB_EALG_NULL, IPSEC_ENC_NULL },
	{ SADB_X_EALG_AESCBC, IPSEC_ENC_AES_CBC },
	{ SADB_X_EALG_AES_GCM_ICV16, IPSEC_ENC_AES_GCM16 },
	{ SADB_X_EALG_NULL_AES_GMAC, IPSEC_ENC_AES_GMAC },
	{ SADB_X_EALG_CHACHA20POLY1305, IPSEC_ENC_CHACHA20_POLY1305 },
};
static const struct { uint8_t id; enum ipsec_auth_alg alg; } aalgs[] = {
	{ SADB_AALG_SHA1HMAC, IPSEC_AUTH_HMAC_SHA1_96 },
	{ SADB_X_AALG_SHA2_256HMAC, IPSEC_AUTH_HMAC_SHA256_128 },
	{ SADB_X_AALG_SHA2_384HMAC, IPSEC_AUTH_HMAC_SHA384_192 },
	{ SADB_X_AALG_SHA2_512HMAC, IPSEC_AUTH_HMAC_SHA512_256 },
	{ SADB_X_AALG_AES_XCBC_MAC, IPSEC_AUTH_AES_XCBC_96 },
};

static int ealg_from(uint8_t id, enum ipsec_enc_alg *alg)
{
	for (size_t i = 0; i < sizeof(ealgs) / sizeof(ealgs[0]); i++)
		if (ealgs[i].id == id) {
			*alg = ealgs[i].alg;
			return 0;
		}
	return -EINVAL;
}

static int aalg_from(uint8_t id, enum ipsec_auth_alg *alg)
{
	if (id == SADB_AALG_NONE) {
		*alg = IPSEC_AUTH_NONE;
		return 0;
	}
	for (size_t i = 0; i < sizeof(aalgs) / sizeof(aalgs[0]); i++)
		if (aalgs[i].id == id) {
			*alg = aalgs[i].alg;
			return 0;
		}
	return -EINVAL;
}

static uint8_t ealg_to(enum ipsec_enc_alg a)
{
	for (size_t i = 0; i < sizeof(ealgs) / sizeof(ealgs[0]); i++)
		if (ealgs[i].alg == a)
			return ealgs[i].id;
	return SADB_EALG_NONE;
}

static uint8_t aalg_to(enum ipsec_auth_alg a)
{
	for (size_t i = 0; i < sizeof(aalgs) / sizeof(aalgs[0]); i++)
		if (aalgs[i].alg == a)
			return aalgs[i].id;
	return SADB_AALG_NONE;
}

static uint8_t satype_to_proto(uint8_t satype)
{
	return satype == SADB_SATYPE_ESP ? IPPROTO6_ESP :
	       satype == SADB_SATYPE_AH ? IPPROTO6_AH :
	       satype == SADB_X_SATYPE_IPCOMP ? IPPROTO6_IPCOMP : 0;
}

static uint8_t proto_to_satype(uint8_t proto)
{
	return proto == IPPROTO6_ESP ? SADB_SATYPE_ESP :
	       proto == IPPROTO6_IPCOMP ? SADB_X_SATYPE_IPCOMP : SADB_SATYPE_AH;
}

/* ---- replies ---- */

static void sa_to_msg(struct pfkey_buf *b, const struct ipsec_sa *sa, bool keys)
{
	uint32_t window = sa->replay.size;
	struct pfkey_sa psa = {
		.spi = sa->spi, .replay = (uint8_t)(window / 8 > 255 ? 255 : window / 8),
		.state = sa->state, .auth = aalg_to(sa->auth),
		.encrypt = sa->proto == IPPROTO6_IPCOMP ? sa->calg : ealg_to(sa->enc),
		.flags = sa->flags,
	};
	pfkey_emit_sa(b, &psa);
	struct pfkey_lifetime cur = { sa->cur.packets, sa->cur.bytes, sa->add_time / 1000,
				      sa->use_time / 1000 };
	pfkey_emit_lifetime(b, SADB_EXT_LIFETIME_CURRENT, &cur);
	struct pfkey_lifetime hard = { sa->hard.packets, sa->hard.bytes, sa->hard.addtime,
				       sa->hard.usetime };
	struct pfkey_lifetime soft = { sa->soft.packets, sa->soft.bytes, sa->soft.addtime,
				       sa->soft.usetime };
	pfkey_emit_lifetime(b, SADB_EXT_LIFETIME_HARD, &hard);
	pfkey_emit_lifetime(b, SADB_EXT_LIFETIME_SOFT, &soft);
	/* the SA's own selectors travel in its address extensions (sa_from_msg) */
	struct pfkey_address a = { .prefixlen = sa->sel.src_plen, .addr = sa->src,
				   .proto = sa->sel.proto };
	pfkey_emit_address(b, SADB_EXT_ADDRESS_SRC, &a);
	a.addr = sa->dst;
	a.prefixlen = sa->sel.dst_plen;
	pfkey_emit_address(b, SADB_EXT_ADDRESS_DST, &a);
	if (keys && sa->auth_key_len)
		pfkey_emit_key(b, SADB_EXT_KEY_AUTH, sa->auth_key, sa->auth_key_len);
	if (keys && sa->enc_key_len)
		pfkey_emit_key(b, SADB_EXT_KEY_ENCRYPT, sa->enc_key, sa->enc_key_len);
	struct pfkey_sa2 sa2 = { .mode = sa->mode, .reqid = sa->reqid };
	pfkey_emit_sa2(b, &sa2);
	/* a window the 8-bit byte count cannot say exactly, as FreeBSD reports it */
	if (window / 8 > 255 || window % 8)
		pfkey_emit_sa_replay(b, window);
	if (sa->encap_type) {
		struct pfkey_natt n = { sa->encap_type, sa->encap_sport, sa->encap_dport };
		struct pfkey_address oa = { .prefixlen = 128, .addr = sa->natt_oa[0],
					    .proto = IPSEC_ULPROTO_ANY };
		pfkey_emit_natt(b, &n, sa->natt_oa_present & 1 ? &oa : NULL);
	}
}

static void send_msg(struct ctx *c, struct pfkey_buf *b)
{
	int n = pfkey_finish(b);
	if (n > 0)
		c->reply(c->rctx, b->p, (size_t)n);
}

static void reply_error(struct umk_stack *s, const struct pfkey_base *in, int err,
			pfkey_reply_fn reply, void *rctx)
{
	uint8_t buf[PFKEY_HDR_LEN];
	struct pfkey_buf b;
	struct pfkey_base h = *in;
	h.err = (uint8_t)err;
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &h);
	int n = pfkey_finish(&b);
	if (n > 0)
		reply(rctx, buf, (size_t)n);
}

/* A reply that echoes the request's base header with an SA. */
static int reply_sa(struct ctx *c, const struct ipsec_sa *sa, bool keys)
{
	uint8_t buf[PFKEY_MSG_MAX];
	struct pfkey_buf b;
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &c->m->base);
	sa_to_msg(&b, sa, keys);
	send_msg(c, &b);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* ---- SA messages ---- */

/* The SA an ADD/UPDATE describes, validated whole. */
static int sa_from_msg(struct ctx *c, struct ipsec_sa *t)
{
	const struct pfkey_msg *m = c->m;
	int r;

	memset(t, 0, sizeof(*t));
	if (!c->proto)
		return -EINVAL;
	/* SA endpoints are the outer header's: IPv6 (IPv4 rides inside tunnels only) */
	if (m->addr[0].family == AF_INET || m->addr[1].family == AF_INET)
		return -EAFNOSUPPORT;
	t->proto = c->proto;
	t->spi = m->sa.spi;
	t->src = m->addr[0].addr;
	t->dst = m->addr[1].addr;
	t->state = SA_MATURE;
	/* RFC 4301 4.4.2 and 5.2 step 4: the address extensions' prefixes and protocol are
	 * the SA's own selectors, as Linux reads them (prefix 0: the whole address) */
	const struct pfkey_address *as = &m->addr[0], *ad = &m->addr[1];
	t->sel = (struct ipsec_selector){
		.src = as->addr, .dst = ad->addr,
		.src_plen = as->prefixlen ? as->prefixlen : 128,
		.dst_plen = ad->prefixlen ? ad->prefixlen : 128,
		.proto = as->proto ? as->proto : IPSEC_PROTO_ANY,
		.sport = as->port, .dport = ad->port,
		.icmp_type = IPSEC_ICMP_ANY, .icmp_code = IPSEC_ICMP_ANY,
	};
	t->flags = m->sa.flags;
	t->esn = m->sa.flags & SADB_X_SAFLAGS_ESN;
	/* KAME: the window size is in bytes of bitmap; 0 turns anti-replay off, which
	 * RFC 4303 3.4.3 expects with manual keys. FreeBSD's SADB_X_EXT_SA_REPLAY gives
	 * larger windows in packets and then overrides it (sa_check bounds it). */
	t->replay.size = PFKEY_HAS(m, SADB_X_EXT_SA_REPLAY) ? m->sa_replay :
			 (uint32_t)m->sa.replay * 8;
	if (PFKEY_HAS(m, SADB_X_EXT_SA2)) {
		t->mode = m->sa2.mode;
		t->reqid = m->sa2.reqid;
	}
	if (c->proto == IPPROTO6_IPCOMP) {
		/* RFC 3173: a compression algorithm in sadb_sa_encrypt, no keys, no
		 * integrity, no anti-replay; ipcomp_sa_check (via sad_add) checks the CPI */
		if (m->sa.auth != SADB_AALG_NONE || PFKEY_HAS(m, SADB_EXT_KEY_AUTH) ||
		    PFKEY_HAS(m, SADB_EXT_KEY_ENCRYPT) || m->present & BIT(SADB_X_EXT_NAT_T_TYPE))
			return -EINVAL;
		if (m->sa.encrypt != SADB_X_CALG_DEFLATE)
			return -EPROTONOSUPPORT;
		t->calg = m->sa.encrypt;
		t->replay.size = 0;
		goto lifetimes;
	}
	if (PFKEY_HAS(m, SADB_X_EXT_NAT_T_TYPE)) {
		/* RFC 3948 over IPv6; the ports default to 4500, as the IKE daemons use */
		if (c->proto != IPPROTO6_ESP || m->natt.type != UDPENCAP_TYPE_ESPINUDP)
			return -EINVAL;
		t->encap_type = m->natt.type;
		t->encap_sport = PFKEY_HAS(m, SADB_X_EXT_NAT_T_SPORT) ? m->natt.sport :
				 UDPENCAP_PORT;
		t->encap_dport = PFKEY_HAS(m, SADB_X_EXT_NAT_T_DPORT) ? m->natt.dport :
				 UDPENCAP_PORT;
		if (!t->encap_sport || !t->encap_dport)
			return -EINVAL;
		if (PFKEY_HAS(m, SADB_X_EXT_NAT_T_OA)) {
			t->natt_oa[0] = m->natt.oa.addr;
			t->natt_oa_present = 1;
		}
	} else if (m->present & (BIT(SADB_X_EXT_NAT_T_SPORT) | BIT(SADB_X_EXT_NAT_T_DPORT) |
				 BIT(SADB_X_EXT_NAT_T_OA))) {
		return -EINVAL;               /* ports without an encapsulation type */
	}
	if ((r = ealg_from(m->sa.encrypt, &t->enc)) && c->proto == IPPROTO6_ESP)
		return r;
	if (c->proto == IPPROTO6_AH) {
		if (m->sa.encrypt != SADB_EALG_NONE)
			return -EINVAL;
		t->enc = IPSEC_ENC_NONE;
	}
	if ((r = aalg_from(m->sa.auth, &t->auth)))
		return r;
	if (PFKEY_HAS(m, SADB_EXT_KEY_ENCRYPT)) {
		t->enc_key_len = m->key_enc.bits / 8;
		if (t->enc_key_len > sizeof(t->enc_key))
			return -EINVAL;
		memcpy(t->enc_key, m->key_enc.data, t->enc_key_len);
	}
	if (PFKEY_HAS(m, SADB_EXT_KEY_AUTH)) {
		t->auth_key_len = m->key_auth.bits / 8;
		if (t->auth_key_len > sizeof(t->auth_key))
			return -EINVAL;
		memcpy(t->auth_key, m->key_auth.data, t->auth_key_len);
	}
	if (!ipsec_enc_key_ok(t->enc, t->enc_key_len) ||
	    !ipsec_auth_key_ok(t->auth, t->auth_key_len))
		return -EINVAL;
	if (ipsec_enc_is_aead(t->enc) ? t->auth != IPSEC_AUTH_NONE :
	    t->auth == IPSEC_AUTH_NONE)
		return -EINVAL;
lifetimes:;
	const struct pfkey_lifetime *h = &m->life[1], *so = &m->life[2];
	t->hard = (struct ipsec_lifetime){ h->allocations, h->bytes, h->addtime, h->usetime };
	t->soft = (struct ipsec_lifetime){ so->allocations, so->bytes, so->addtime, so->usetime };
	t->pfkey_seq = m->base.seq;
	t->pfkey_pid = m->base.pid;
	return 0;
}

static int h_getspi(struct ctx *c)
{
	const struct pfkey_msg *m = c->m;
	struct ipsec_sa t = { 0 }, *sa;
	if (!c->proto)
		return -EINVAL;
	uint32_t min = PFKEY_HAS(m, SADB_EXT_SPIRANGE) ? m->spi_min : 0x100;
	uint32_t max = PFKEY_HAS(m, SADB_EXT_SPIRANGE) ? m->spi_max : 0x0fffffff;
	if (m->addr[0].family == AF_INET || m->addr[1].family == AF_INET)
		return -EAFNOSUPPORT;
	t.proto = c->proto;
	t.src = m->addr[0].addr;
	t.dst = m->addr[1].addr;
	t.state = SA_LARVAL;
	if (PFKEY_HAS(m, SADB_X_EXT_SA2)) {
		t.mode = m->sa2.mode;
		t.reqid = m->sa2.reqid;
	}
	t.pfkey_seq = m->base.seq;
	t.pfkey_pid = m->base.pid;
	t.spi = sad_alloc_spi(c->s, &t.dst, t.proto, min, max);
	if (!t.spi)
		return -EEXIST;
	int r = sad_add(c->s, &t, &sa);
	return r ? r : reply_sa(c, sa, false);
}

static int h_add_update(struct ctx *c)
{
	struct ipsec_sa t, *sa;
	int r = sa_from_msg(c, &t);
	if (!r) {
		struct ipsec_sa *old = sad_lookup(c->s, t.spi, &t.dst, t.proto);
		if (c->m->base.type == SADB_ADD) {
			r = old ? -EEXIST : sad_add(c->s, &t, &sa);
		} else if (!old) {
			r = -ENOENT;
		} else {
			/* RFC 2367 3.1.2: UPDATE completes a LARVAL SA (or changes a mature
			 * one's lifetimes; we also accept new keys, as Linux does) */
			r = sad_update(c->s, old, &t);
			sa = old;
		}
	}
	if (!r)
		reply_sa(c, sa, false);       /* 3.1.2/3.1.3: replies carry no keys */
	explicit_bzero(&t, sizeof(t));
	return r;
}

static int h_delete_get(struct ctx *c)
{
	const struct pfkey_msg *m = c->m;
	if (!c->proto)
		return -EINVAL;
	struct ipsec_sa *sa = sad_lookup(c->s, m->sa.spi, &m->addr[1].addr, c->proto);
	if (!sa)
		return -ESRCH;
	if (m->base.type == SADB_GET)
		return reply_sa(c, sa, true);
	reply_sa(c, sa, false);
	sad_delete(c->s, sa);
	return 0;
}

static int h_register(struct ctx *c)
{
	static const struct pfkey_alg auth[] = {
		{ SADB_AALG_SHA1HMAC, 0, 160, 160 },
		{ SADB_X_AALG_SHA2_256HMAC, 0, 256, 256 },
		{ SADB_X_AALG_SHA2_384HMAC, 0, 384, 384 },
		{ SADB_X_AALG_SHA2_512HMAC, 0, 512, 512 },
		{ SADB_X_AALG_AES_XCBC_MAC, 0, 128, 128 },
	};
	static const struct pfkey_alg enc[] = {
		{ SADB_EALG_NULL, 0, 0, 0 },
		{ SADB_X_EALG_AESCBC, 16, 128, 256 },
		{ SADB_X_EALG_AES_GCM_ICV16, 8, 160, 288 },
		{ SADB_X_EALG_NULL_AES_GMAC, 8, 160, 288 },
		{ SADB_X_EALG_CHACHA20POLY1305, 8, 288, 288 },
	};
	uint8_t buf[512];
	struct pfkey_buf b;
	if (c->m->base.satype && !c->proto)
		return -EINVAL;
	c->s->ipsec->registered |= 1u << c->m->base.satype;
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &c->m->base);
	pfkey_emit_supported(&b, SADB_EXT_SUPPORTED_AUTH, auth, 5);
	pfkey_emit_supported(&b, SADB_EXT_SUPPORTED_ENCRYPT, enc, 5);
	send_msg(c, &b);
	return 0;
}

static int h_flush(struct ctx *c)
{
	if (c->m->base.satype && !c->proto)
		return -EINVAL;
	sad_flush(c->s, c->proto);
	reply_error(c->s, &c->m->base, 0, c->reply, c->rctx);
	return 0;
}

static int count_sa(void *ctx, struct ipsec_sa *sa)
{
	((struct ctx *)ctx)->left++;
	return 0;
}

static int dump_sa(void *ctx, struct ipsec_sa *sa)
{
	struct ctx *c = ctx;
	uint8_t buf[PFKEY_MSG_MAX];
	struct pfkey_buf b;
	struct pfkey_base h = c->m->base;
	/* RFC 2367 3.1.10: seq counts down, the last message has 0 */
	h.seq = --c->left;
	h.satype = proto_to_satype(sa->proto);
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &h);
	sa_to_msg(&b, sa, true);
	send_msg(c, &b);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

static int h_dump(struct ctx *c)
{
	if (c->m->base.satype && !c->proto)
		return -EINVAL;
	sad_walk(c->s, c->proto, count_sa, c);
	if (!c->left)
		return -ENOENT;
	return sad_walk(c->s, c->proto, dump_sa, c);
}

static int h_acquire(struct ctx *c)
{
	/* RFC 2367 3.1.6: a key daemon's ACQUIRE with sadb_msg_errno set says it failed */
	if (!c->m->base.err)
		return -EINVAL;
	reply_error(c->s, &c->m->base, 0, c->reply, c->rctx);
	return 0;
}

/* ---- SPD messages (KAME) ---- */

/* An IPv4 selector (AF_INET address extensions) is kept IPv4-mapped: ::ffff:0:0/96 plus
 * its prefix, so IPv4 and IPv6 selectors never overlap and one matcher serves both. */
static uint8_t sel_plen(const struct pfkey_address *a)
{
	return (uint8_t)(a->family == AF_INET ? 96 + a->prefixlen : a->prefixlen);
}

/* The PF_KEY form of one side of a selector: AF_INET again when it is IPv4-mapped. */
static void sel_to_addr(const struct in6_addr *addr, uint8_t plen, struct pfkey_address *a)
{
	a->addr = *addr;
	a->prefixlen = plen;
	if (IN6_IS_ADDR_V4MAPPED(addr) && plen >= 96) {
		a->family = AF_INET;
		a->prefixlen = (uint8_t)(plen - 96);
	}
}

static void sel_from_msg(const struct pfkey_msg *m, struct ipsec_selector *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->src = m->addr[0].addr;
	sel->dst = m->addr[1].addr;
	sel->src_plen = sel_plen(&m->addr[0]);
	sel->dst_plen = sel_plen(&m->addr[1]);
	sel->proto = m->addr[0].proto;
	sel->icmp_type = sel->icmp_code = IPSEC_ICMP_ANY;
	if (sel->proto == IPPROTO6_ICMPV6) {
		/* setkey's "icmp6 135,0": type and code travel as the ports */
		if (m->addr[0].port)
			sel->icmp_type = m->addr[0].port;
		if (m->addr[1].port)
			sel->icmp_code = m->addr[1].port;
	} else {
		sel->sport = m->addr[0].port;
		sel->dport = m->addr[1].port;
	}
}

static int dir_from(uint8_t d)
{
	return d == IPSEC_DIR_INBOUND ? IPSEC_DIR_IN : d == IPSEC_DIR_OUTBOUND ? IPSEC_DIR_OUT : -1;
}

static int h_spdadd(struct ctx *c)
{
	const struct pfkey_msg *m = c->m;
	const struct pfkey_policy *pp = &m->policy;
	struct ipsec_policy t;
	memset(&t, 0, sizeof(t));
	int dir = dir_from(pp->dir);
	if (dir < 0 || m->addr[0].proto != m->addr[1].proto)
		return -EINVAL;
	/* one family per policy: an IPv4 source with an IPv6 destination selects nothing */
	if ((m->addr[0].family == AF_INET) != (m->addr[1].family == AF_INET))
		return -EINVAL;
	t.dir = (uint8_t)dir;
	t.priority = pp->priority;
	sel_from_msg(m, &t.sel);
	switch (pp->type) {
	case IPSEC_POLICY_DISCARD: t.action = IPSEC_DISCARD; break;
	case IPSEC_POLICY_NONE:
	case IPSEC_POLICY_BYPASS: t.action = IPSEC_BYPASS; break;
	case IPSEC_POLICY_IPSEC: t.action = IPSEC_PROTECT; break;
	default: return -EINVAL;  /* ENTRUST: there is no system default to defer to */
	}
	if (pp->n_req > IPSEC_MAX_REQ)
		return -EINVAL;
	t.n_req = pp->n_req;
	for (int i = 0; i < pp->n_req; i++) {
		const struct pfkey_ipsecreq *q = &pp->req[i];
		t.req[i].proto = (uint8_t)q->proto;
		t.req[i].mode = q->mode;
		t.req[i].level = q->level;
		t.req[i].reqid = q->reqid;
		if (q->tunnel_addrs) {
			t.req[i].tsrc = q->src.addr;
			t.req[i].tdst = q->dst.addr;
		}
	}
	uint32_t id;
	int r = spd_add(c->s, &t, m->base.type == SADB_X_SPDUPDATE, &id);
	if (r)
		return r;
	uint8_t buf[PFKEY_MSG_MAX];
	struct pfkey_buf b;
	struct pfkey_policy out = *pp;
	out.id = id;
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &m->base);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &m->addr[0]);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &m->addr[1]);
	pfkey_emit_policy(&b, &out);
	send_msg(c, &b);
	return 0;
}

static int h_spddelete(struct ctx *c)
{
	struct ipsec_selector sel;
	int dir = dir_from(c->m->policy.dir);
	if (dir < 0)
		return -EINVAL;
	sel_from_msg(c->m, &sel);
	int r = spd_delete(c->s, (uint8_t)dir, &sel);
	if (!r)
		reply_error(c->s, &c->m->base, 0, c->reply, c->rctx);
	return r;
}

static void policy_to_msg(struct pfkey_buf *b, const struct pfkey_base *h,
			  const struct ipsec_policy *p)
{
	struct pfkey_policy pp = { .dir = p->dir == IPSEC_DIR_IN ? IPSEC_DIR_INBOUND :
						       IPSEC_DIR_OUTBOUND,
				   .id = p->id, .priority = p->priority, .n_req = p->n_req };
	pp.type = p->action == IPSEC_DISCARD ? IPSEC_POLICY_DISCARD :
		  p->action == IPSEC_BYPASS ? IPSEC_POLICY_NONE : IPSEC_POLICY_IPSEC;
	for (int i = 0; i < p->n_req; i++) {
		const struct ipsec_req *q = &p->req[i];
		pp.req[i] = (struct pfkey_ipsecreq){ .proto = q->proto, .mode = q->mode,
						     .level = q->level, .reqid = q->reqid };
		if (q->mode == IPSEC_MODE_TUNNEL) {
			pp.req[i].tunnel_addrs = true;
			pp.req[i].src.addr = q->tsrc;
			pp.req[i].dst.addr = q->tdst;
		}
	}
	const struct ipsec_selector *sel = &p->sel;
	struct pfkey_address a = { .proto = sel->proto, .port = sel->sport };
	struct pfkey_address d = { .proto = sel->proto, .port = sel->dport };
	sel_to_addr(&sel->src, sel->src_plen, &a);
	sel_to_addr(&sel->dst, sel->dst_plen, &d);
	if (sel->proto == IPPROTO6_ICMPV6) {
		a.port = sel->icmp_type == IPSEC_ICMP_ANY ? 0 : sel->icmp_type;
		d.port = sel->icmp_code == IPSEC_ICMP_ANY ? 0 : sel->icmp_code;
	}
	pfkey_emit_base(b, h);
	pfkey_emit_address(b, SADB_EXT_ADDRESS_SRC, &a);
	pfkey_emit_address(b, SADB_EXT_ADDRESS_DST, &d);
	pfkey_emit_policy(b, &pp);
}

static int h_spdget_delete2(struct ctx *c)
{
	struct ipsec_policy *p = spd_get_id(c->s, c->m->policy.id);
	if (!p)
		return -ENOENT;
	uint8_t buf[PFKEY_MSG_MAX];
	struct pfkey_buf b;
	pfkey_buf_init(&b, buf, sizeof(buf));
	policy_to_msg(&b, &c->m->base, p);
	send_msg(c, &b);
	if (c->m->base.type == SADB_X_SPDDELETE2)
		spd_delete_id(c->s, p->id);
	return 0;
}

static int count_pol(void *ctx, struct ipsec_policy *p)
{
	((struct ctx *)ctx)->left++;
	return 0;
}

static int dump_pol(void *ctx, struct ipsec_policy *p)
{
	struct ctx *c = ctx;
	uint8_t buf[PFKEY_MSG_MAX];
	struct pfkey_buf b;
	struct pfkey_base h = c->m->base;
	h.seq = --c->left;
	pfkey_buf_init(&b, buf, sizeof(buf));
	policy_to_msg(&b, &h, p);
	send_msg(c, &b);
	return 0;
}

static int h_spddump(struct ctx *c)
{
	spd_walk(c->s, count_pol, c);
	if (!c->left)
		return -ENOENT;
	return spd_walk(c->s, dump_pol, c);
}

static int h_spdflush(struct ctx *c)
{
	spd_flush(c->s);
	reply_error(c->s, &c->m->base, 0, c->reply, c->rctx);
	return 0;
}

#define ADDRS (BIT(SADB_EXT_ADDRESS_SRC) | BIT(SADB_EXT_ADDRESS_DST))

static const struct msg_row {
	uint8_t type;
	uint32_t required;
	int (*handle)(struct ctx *c);
} msg_rows[] = {
	{ SADB_GETSPI, ADDRS, h_getspi },
	{ SADB_UPDATE, BIT(SADB_EXT_SA) | ADDRS, h_add_update },
	{ SADB_ADD, BIT(SADB_EXT_SA) | ADDRS, h_add_update },
	{ SADB_DELETE, BIT(SADB_EXT_SA) | BIT(SADB_EXT_ADDRESS_DST), h_delete_get },
	{ SADB_GET, BIT(SADB_EXT_SA) | BIT(SADB_EXT_ADDRESS_DST), h_delete_get },
	{ SADB_ACQUIRE, 0, h_acquire },
	{ SADB_REGISTER, 0, h_register },
	{ SADB_FLUSH, 0, h_flush },
	{ SADB_DUMP, 0, h_dump },
	{ SADB_X_SPDADD, ADDRS | BIT(SADB_X_EXT_POLICY), h_spdadd },
	{ SADB_X_SPDUPDATE, ADDRS | BIT(SADB_X_EXT_POLICY), h_spdadd },
	{ SADB_X_SPDDELETE, ADDRS | BIT(SADB_X_EXT_POLICY), h_spddelete },
	{ SADB_X_SPDGET, BIT(SADB_X_EXT_POLICY), h_spdget_delete2 },
	{ SADB_X_SPDDELETE2, BIT(SADB_X_EXT_POLICY), h_spdget_delete2 },
	{ SADB_X_SPDDUMP, 0, h_spddump },
	{ SADB_X_SPDFLUSH, 0, h_spdflush },
};

int pfkey_handle(struct umk_stack *s, const void *msg, size_t len, pfkey_reply_fn reply,
		 void *rctx)
{
	struct pfkey_msg m;
	struct ctx c = { .s = s, .m = &m, .reply = reply, .rctx = rctx };
	const struct msg_row *row = NULL;
	int r;

	COUNT(s, PFKEY_IN_MSGS);
	r = pfkey_parse(msg, len, &m);
	if (!r) {
		for (size_t i = 0; i < sizeof(msg_rows) / sizeof(msg_rows[0]); i++)
			if (msg_rows[i].type == m.base.type)
				row = &msg_rows[i];
		if (!row)
			r = -EOPNOTSUPP;   /* EXPIRE, PROMISC, ...: never sent to a kernel */
		else if ((m.present & row->required) != row->required)
			r = -EINVAL;       /* RFC 2367 3.1: a missing extension */
		else if (m.base.err && m.base.type != SADB_ACQUIRE)
			r = -EINVAL;
	}
	if (!r) {
		c.proto = satype_to_proto(m.base.satype);
		r = row->handle(&c);
	}
	if (r) {
		struct pfkey_base h = { 0 };
		if (len >= PFKEY_HDR_LEN) {
			const uint8_t *p = msg;
			h.type = p[1];
			h.satype = p[3];
			memcpy(&h.seq, p + 8, 4);
			memcpy(&h.pid, p + 12, 4);
		}
		COUNT(s, PFKEY_IN_ERRORS);
		LOG_DEBUG(s, "PF_KEY message type %u refused: %d", h.type, r);
		reply_error(s, &h, -r, reply, rctx);
	}
	explicit_bzero(&m, sizeof(m));
	return r;
}

void pfkey_set_registered(struct umk_stack *s, uint32_t satypes)
{
	s->ipsec->registered = satypes;
}

/* ---- messages from the stack ---- */

void pfkey_send_expire(struct umk_stack *s, const struct ipsec_sa *sa, bool hard)
{
	struct ipsec_state *st = s->ipsec;
	if (!st->listener)
		return;
	uint8_t buf[512];
	struct pfkey_buf b;
	struct pfkey_base h = { .type = SADB_EXPIRE, .satype = proto_to_satype(sa->proto) };
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &h);
	struct pfkey_sa psa = { .spi = sa->spi, .state = sa->state, .auth = aalg_to(sa->auth),
				.encrypt = ealg_to(sa->enc), .flags = sa->flags };
	pfkey_emit_sa(&b, &psa);
	struct pfkey_lifetime cur = { sa->cur.packets, sa->cur.bytes, sa->add_time / 1000,
				      sa->use_time / 1000 };
	pfkey_emit_lifetime(&b, SADB_EXT_LIFETIME_CURRENT, &cur);
	const struct ipsec_lifetime *l = hard ? &sa->hard : &sa->soft;
	struct pfkey_lifetime lt = { l->packets, l->bytes, l->addtime, l->usetime };
	/* RFC 2367 3.1.7: the lifetime that expired says soft or hard */
	pfkey_emit_lifetime(&b, hard ? SADB_EXT_LIFETIME_HARD : SADB_EXT_LIFETIME_SOFT, &lt);
	struct pfkey_address a = { .prefixlen = 128, .addr = sa->src, .proto = IPSEC_ULPROTO_ANY };
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &a);
	a.addr = sa->dst;
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &a);
	int n = pfkey_finish(&b);
	if (n > 0) {
		COUNT(s, PFKEY_OUT_EXPIRE);
		st->listener(st->listener_ctx, buf, (size_t)n);
	}
}

void pfkey_send_new_mapping(struct umk_stack *s, const struct ipsec_sa *sa,
			    const struct in6_addr *src, uint16_t sport)
{
	struct ipsec_state *st = s->ipsec;
	/* as Linux: to the daemons REGISTERed for ESP, with the SA, the new source and port
	 * and the unchanged destination and port */
	if (!st->listener || !(st->registered & (1u << SADB_SATYPE_ESP)))
		return;
	uint8_t buf[256];
	struct pfkey_buf b;
	struct pfkey_base h = { .type = SADB_X_NAT_T_NEW_MAPPING, .satype = SADB_SATYPE_ESP,
				.seq = ++st->acquire_seq };
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &h);
	struct pfkey_sa psa = { .spi = sa->spi, .state = sa->state };
	pfkey_emit_sa(&b, &psa);
	struct pfkey_address a = { .prefixlen = 128, .addr = *src, .proto = IPSEC_ULPROTO_ANY };
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &a);
	a.addr = sa->dst;
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &a);
	struct pfkey_natt n = { .sport = sport, .dport = sa->encap_dport };
	pfkey_emit_natt(&b, &n, NULL);
	int len = pfkey_finish(&b);
	if (len > 0) {
		COUNT(s, PFKEY_OUT_NEW_MAPPING);
		st->listener(st->listener_ctx, buf, (size_t)len);
	}
}

void pfkey_send_acquire(struct umk_stack *s, const struct ipsec_policy *pol,
			const struct ipsec_req *req, const struct in6_addr *src,
			const struct in6_addr *dst)
{
	struct ipsec_state *st = s->ipsec;
	uint8_t satype = proto_to_satype(req->proto);
	/* RFC 2367 3.1.6: only to daemons that registered for this SA type */
	if (!st->listener || !(st->registered & (1u << satype)))
		return;
	uint8_t buf[1024];
	struct pfkey_buf b;
	struct pfkey_base h = { .type = SADB_ACQUIRE, .satype = satype, .seq = ++st->acquire_seq };
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &h);
	struct pfkey_address a = { .prefixlen = 128, .addr = *src, .proto = IPSEC_ULPROTO_ANY };
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &a);
	a.addr = *dst;
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &a);
	/* KAME racoon finds the policy through this extension */
	struct pfkey_policy pp = { .type = IPSEC_POLICY_IPSEC, .dir = IPSEC_DIR_OUTBOUND,
				   .id = pol->id, .priority = pol->priority, .n_req = 1 };
	pp.req[0] = (struct pfkey_ipsecreq){ .proto = req->proto, .mode = req->mode,
					     .level = req->level, .reqid = req->reqid };
	if (req->mode == IPSEC_MODE_TUNNEL) {
		pp.req[0].tunnel_addrs = true;
		pp.req[0].src.addr = req->tsrc;
		pp.req[0].dst.addr = req->tdst;
	}
	pfkey_emit_policy(&b, &pp);
	int n = pfkey_finish(&b);
	if (n > 0) {
		COUNT(s, PFKEY_OUT_ACQUIRE);
		st->listener(st->listener_ctx, buf, (size_t)n);
	}
}
