/*
 * sad.c - the Security Association Database (RFC 4301 4.4.2): SAs by SPI in a keyed hash
 * for inbound lookup (RFC 4301 4.1: SPI, with destination and protocol), every SA on a
 * list for outbound selection and dumps, bounded by limits.max_sas. Soft and hard
 * lifetimes by time (timers on the injected clock), bytes and packets (RFC 4301 4.4.2.1)
 * raise PF_KEY EXPIREs (pfkey.c); a hard one deletes the SA. Keys are wiped when an SA
 * goes. Also ipsec_init/fini for the whole module.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec/ipcomp.h"
#include "ipsec/ipsec.h"
#include "ipsec/udpencap.h"
#include "wire/esp.h"
#include "wire/ip6_const.h"

#define SPI_HASH_SIZE 256

static uint32_t spi_hash(const struct ipsec_state *st, uint32_t spi)
{
	uint32_t h = spi * 0x9e3779b1u;
	return (h ^ (h >> 16)) & st->hash_mask;
}

int ipsec_init(struct umk_stack *s)
{
	struct ipsec_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->spi_hash = calloc(SPI_HASH_SIZE, sizeof(*st->spi_hash));
	if (!st->spi_hash) {
		free(st);
		return -ENOMEM;
	}
	st->hash_mask = SPI_HASH_SIZE - 1;
	st->replay_window = IPSEC_DEFAULT_REPLAY;
	st->acquire_hold = true;
	st->nd_bypass = true;
	st->ipcomp_threshold = IPCOMP_DEFLATE_MIN;
	st->ipcomp_max_out = IP6_MAX_PAYLOAD;
	st->next_policy_id = 1;
	s->ipsec = st;
	return 0;
}

void ipsec_fini(struct umk_stack *s)
{
	struct ipsec_state *st = s->ipsec;
	if (!st)
		return;
	spd_flush(s);
	sad_flush(s, 0);
	ipcomp_ctx_fini(s);
	free(st->spi_hash);
	free(st);
	s->ipsec = NULL;
}

void ipsec_set_listener(struct umk_stack *s, ipsec_pfkey_fn fn, void *ctx)
{
	s->ipsec->listener = fn;
	s->ipsec->listener_ctx = ctx;
}

/* ---- lifetimes ---- */

/* The earliest time limit of lt (addtime from the add, usetime from the first use). */
static umk_time_t lifetime_deadline(const struct ipsec_sa *sa, const struct ipsec_lifetime *lt)
{
	umk_time_t d = UMK_TIME_NEVER;
	if (lt->addtime)
		d = sa->add_time + lt->addtime * 1000;
	if (lt->usetime && sa->use_time) {
		umk_time_t u = sa->use_time + lt->usetime * 1000;
		if (u < d)
			d = u;
	}
	return d;
}

static void soft_expire(struct umk_stack *s, struct ipsec_sa *sa)
{
	if (sa->soft_sent)
		return;
	sa->soft_sent = true;
	sa->state = SA_DYING;
	s->ipsec->sa_gen++;
	COUNT(s, IPSEC_SOFT_EXPIRES);
	LOG_INFO(s, "SA spi 0x%08x reached its soft lifetime", sa->spi);
	pfkey_send_expire(s, sa, false);
}

static void hard_expire(struct umk_stack *s, struct ipsec_sa *sa)
{
	COUNT(s, IPSEC_HARD_EXPIRES);
	LOG_INFO(s, "SA spi 0x%08x reached its hard lifetime", sa->spi);
	sa->state = SA_DEAD;
	pfkey_send_expire(s, sa, true);
	sad_delete(s, sa);
}

static void arm_lifetimes(struct umk_stack *s, struct ipsec_sa *sa)
{
	umk_time_t d = lifetime_deadline(sa, &sa->soft);
	if (d != UMK_TIME_NEVER && !sa->soft_sent)
		timer_arm(s, &sa->soft_timer, d);
	d = lifetime_deadline(sa, &sa->hard);
	if (d != UMK_TIME_NEVER)
		timer_arm(s, &sa->hard_timer, d);
}

static void soft_timer_fn(struct umk_stack *s, struct umk_timer *t)
{
	struct ipsec_sa *sa = container_of(t, struct ipsec_sa, soft_timer);
	if (lifetime_deadline(sa, &sa->soft) <= s->now)
		soft_expire(s, sa);
	else
		arm_lifetimes(s, sa);
}

static void hard_timer_fn(struct umk_stack *s, struct umk_timer *t)
{
	struct ipsec_sa *sa = container_of(t, struct ipsec_sa, hard_timer);
	if (lifetime_deadline(sa, &sa->hard) <= s->now)
		hard_expire(s, sa);
	else
		arm_lifetimes(s, sa);
}

bool sad_use(struct umk_stack *s, struct ipsec_sa *sa, uint32_t bytes)
{
	if (!sa->use_time) {
		sa->use_time = s->now ? s->now : 1;
		arm_lifetimes(s, sa);
	}
	sa->cur.packets++;
	sa->cur.bytes += bytes;
	if ((sa->hard.packets && sa->cur.packets > sa->hard.packets) ||
	    (sa->hard.bytes && sa->cur.bytes > sa->hard.bytes)) {
		hard_expire(s, sa);
		return false;
	}
	if ((sa->soft.packets && sa->cur.packets >= sa->soft.packets) ||
	    (sa->soft.bytes && sa->cur.bytes >= sa->soft.bytes))
		soft_expire(s, sa);
	return true;
}

/* ---- the table ---- */

struct ipsec_sa *sad_lookup(struct umk_stack *s, uint32_t spi, const struct in6_addr *dst,
			    uint8_t proto)
{
	struct ipsec_state *st = s->ipsec;
	for (struct ipsec_sa *sa = st->spi_hash[spi_hash(st, spi)]; sa; sa = sa->hash_next)
		if (sa->spi == spi && sa->proto == proto && IN6_ARE_ADDR_EQUAL(&sa->dst, dst))
			return sa;
	return NULL;
}

static int sa_check(const struct ipsec_sa *t)
{
	if (t->proto == IPPROTO6_IPCOMP)   /* RFC 3173 associations (ipcomp.c) */
		return t->mode > IPSEC_MODE_TUNNEL ? -EINVAL : ipcomp_sa_check(t);
	if (udpencap_sa_check(t))
		return -EINVAL;
	if (t->proto != IPPROTO6_ESP && t->proto != IPPROTO6_AH)
		return -EINVAL;
	if (t->mode > IPSEC_MODE_TUNNEL || t->spi <= ESP_SPI_RESERVED)
		return -EINVAL;
	if (t->sel.src_plen > 128 || t->sel.dst_plen > 128)
		return -EINVAL;
	if (t->state == SA_LARVAL)
		return 0;
	if (t->proto == IPPROTO6_AH && (t->enc != IPSEC_ENC_NONE || t->auth == IPSEC_AUTH_NONE))
		return -EINVAL;
	if (t->proto == IPPROTO6_ESP && t->enc == IPSEC_ENC_NONE)
		return -EINVAL;
	if (t->replay.size > IPSEC_REPLAY_MAX)
		return -EINVAL;
	return 0;
}

/* RFC 4301 4.4.2: the SA's own selectors from t->sel; none given (proto 0), exactly its
 * endpoints and any protocol, which is what a transport-mode SA between two hosts may
 * carry (5.2 step 4 holds inbound packets to it). */
static void sa_set_sel(struct ipsec_sa *sa, const struct ipsec_sa *t)
{
	if (t->sel.proto) {
		sa->sel = t->sel;
		return;
	}
	sa->sel = (struct ipsec_selector){ .src = t->src, .dst = t->dst, .src_plen = 128,
					   .dst_plen = 128, .proto = IPSEC_PROTO_ANY,
					   .icmp_type = IPSEC_ICMP_ANY,
					   .icmp_code = IPSEC_ICMP_ANY };
}

/* Keys, crypto context, replay window of sa from t. */
static int sa_set_keys(struct ipsec_sa *sa, const struct ipsec_sa *t)
{
	struct ipsec_crypto *c = NULL;
	struct ipsec_replay rp;
	int r;

	if (t->state == SA_LARVAL)
		return 0;
	if (t->proto == IPPROTO6_IPCOMP) {
		sa->calg = t->calg;          /* no keys, no replay window (RFC 3173 2.2) */
		sa->state = SA_MATURE;
		return 0;
	}
	r = ipsec_crypto_new(t->enc, t->enc_key, t->enc_key_len, t->auth, t->auth_key,
			     t->auth_key_len, &c);
	if (r)
		return r;
	r = replay_init(&rp, t->replay.size, t->esn);
	if (r) {
		ipsec_crypto_free(c);
		return r;
	}
	/* an UPDATE of a mature SA (new lifetimes, or keys) keeps its window: a fresh one
	 * would take every packet already received once more */
	if (sa->state != SA_LARVAL)
		replay_carry(&rp, &sa->replay);
	ipsec_crypto_free(sa->crypto);
	replay_fini(&sa->replay);
	sa->crypto = c;
	sa->replay = rp;
	sa->enc = t->enc;
	sa->auth = t->auth;
	memcpy(sa->enc_key, t->enc_key, sizeof(sa->enc_key));
	memcpy(sa->auth_key, t->auth_key, sizeof(sa->auth_key));
	sa->enc_key_len = t->enc_key_len;
	sa->auth_key_len = t->auth_key_len;
	sa->esn = t->esn;
	sa->state = SA_MATURE;
	return 0;
}

int sad_add(struct umk_stack *s, const struct ipsec_sa *t, struct ipsec_sa **out)
{
	struct ipsec_state *st = s->ipsec;
	int r = sa_check(t);
	if (r)
		return r;
	if (sad_lookup(s, t->spi, &t->dst, t->proto))
		return -EEXIST;
	if (st->n_sas >= s->limits.max_sas) {
		COUNT(s, IPSEC_SA_LIMIT);
		return -ENOSPC;
	}
	if (t->proto == IPPROTO6_IPCOMP && (r = ipcomp_ctx_init(s)))
		return r;                    /* deflate streams, once: the data path never allocates */
	struct ipsec_sa *sa = calloc(1, sizeof(*sa));
	if (!sa)
		return -ENOMEM;
	sa->spi = t->spi;
	sa->proto = t->proto;
	sa->mode = t->mode;
	sa->state = SA_LARVAL;
	sa->src = t->src;
	sa->dst = t->dst;
	sa->reqid = t->reqid;
	sa_set_sel(sa, t);
	sa->soft = t->soft;
	sa->hard = t->hard;
	sa->flags = t->flags;
	sa->pfkey_seq = t->pfkey_seq;
	sa->pfkey_pid = t->pfkey_pid;
	sa->encap_type = t->encap_type;
	sa->encap_sport = t->encap_sport;
	sa->encap_dport = t->encap_dport;
	sa->natt_oa_present = t->natt_oa_present;
	memcpy(sa->natt_oa, t->natt_oa, sizeof(sa->natt_oa));
	sa->add_time = s->now;
	timer_init(&sa->soft_timer, soft_timer_fn);
	timer_init(&sa->hard_timer, hard_timer_fn);
	r = sa_set_keys(sa, t);
	if (r) {
		free(sa);
		return r;
	}
	uint32_t h = spi_hash(st, sa->spi);
	sa->hash_next = st->spi_hash[h];
	st->spi_hash[h] = sa;
	sa->next = st->sas;
	st->sas = sa;
	st->head.n_sas = ++st->n_sas;
	st->n_encap += sa->encap_type != 0;
	st->sa_gen++;
	arm_lifetimes(s, sa);
	if (out)
		*out = sa;
	if (sa->state == SA_MATURE)
		spd_release_held(s);
	return 0;
}

int sad_update(struct umk_stack *s, struct ipsec_sa *sa, const struct ipsec_sa *t)
{
	int r = sa_check(t);
	if (r)
		return r;
	if (t->state == SA_LARVAL)
		return -EINVAL;
	r = sa_set_keys(sa, t);
	if (r)
		return r;
	sa->mode = t->mode;
	sa->reqid = t->reqid;
	sa->soft = t->soft;
	sa->hard = t->hard;
	sa->flags = t->flags;
	sa->src = t->src;
	sa_set_sel(sa, t);
	s->ipsec->n_encap += (t->encap_type != 0) - (sa->encap_type != 0);
	sa->encap_type = t->encap_type;
	sa->encap_sport = t->encap_sport;
	sa->encap_dport = t->encap_dport;
	sa->natt_oa_present = t->natt_oa_present;
	memcpy(sa->natt_oa, t->natt_oa, sizeof(sa->natt_oa));
	s->ipsec->sa_gen++;
	timer_cancel(s, &sa->soft_timer);
	timer_cancel(s, &sa->hard_timer);
	arm_lifetimes(s, sa);
	spd_release_held(s);
	return 0;
}

void sad_delete(struct umk_stack *s, struct ipsec_sa *sa)
{
	struct ipsec_state *st = s->ipsec;
	struct ipsec_sa **pp;

	for (pp = &st->spi_hash[spi_hash(st, sa->spi)]; *pp; pp = &(*pp)->hash_next)
		if (*pp == sa) {
			*pp = sa->hash_next;
			break;
		}
	for (pp = &st->sas; *pp; pp = &(*pp)->next)
		if (*pp == sa) {
			*pp = sa->next;
			break;
		}
	st->head.n_sas = --st->n_sas;
	st->n_encap -= sa->encap_type != 0;
	st->sa_gen++;              /* invalidates every policy's cached SA */
	timer_cancel(s, &sa->soft_timer);
	timer_cancel(s, &sa->hard_timer);
	ipsec_crypto_free(sa->crypto);
	replay_fini(&sa->replay);
	explicit_bzero(sa, sizeof(*sa));  /* STYLE.md: keys are wiped when freed */
	free(sa);
}

void sad_flush(struct umk_stack *s, uint8_t proto)
{
	struct ipsec_sa *sa = s->ipsec->sas, *next;
	for (; sa; sa = next) {
		next = sa->next;
		if (!proto || sa->proto == proto)
			sad_delete(s, sa);
	}
}

int sad_walk(struct umk_stack *s, uint8_t proto, int (*fn)(void *, struct ipsec_sa *), void *ctx)
{
	for (struct ipsec_sa *sa = s->ipsec->sas, *next; sa; sa = next) {
		next = sa->next;
		if (proto && sa->proto != proto)
			continue;
		int r = fn(ctx, sa);
		if (r)
			return r;
	}
	return 0;
}

struct ipsec_sa *sad_find_out(struct umk_stack *s, const struct ipsec_req *req,
			      const struct in6_addr *src, const struct in6_addr *dst)
{
	struct ipsec_sa *best = NULL;
	for (struct ipsec_sa *sa = s->ipsec->sas; sa; sa = sa->next) {
		if (sa->proto != req->proto || (!sa->crypto && sa->proto != IPPROTO6_IPCOMP) ||
		    (sa->state != SA_MATURE && sa->state != SA_DYING))
			continue;
		if (sa->mode != IPSEC_MODE_ANY && req->mode != IPSEC_MODE_ANY &&
		    sa->mode != req->mode)
			continue;
		if (!IN6_ARE_ADDR_EQUAL(&sa->dst, dst) || !IN6_ARE_ADDR_EQUAL(&sa->src, src))
			continue;
		/* KAME "unique": only the SA made for this request id */
		if (req->level == 3 && req->reqid && sa->reqid != req->reqid)
			continue;
		/* RFC 2367 3.1.2 leaves the choice; like KAME, prefer a mature SA, then the
		 * newest (the list is newest first) */
		if (!best || (best->state == SA_DYING && sa->state == SA_MATURE))
			best = sa;
	}
	return best;
}

uint32_t sad_alloc_spi(struct umk_stack *s, const struct in6_addr *dst, uint8_t proto,
		       uint32_t min, uint32_t max)
{
	if (min <= ESP_SPI_RESERVED)
		min = ESP_SPI_RESERVED + 1;
	/* RFC 3173 3.3: a CPI we choose is a negotiated one, 256-61439 */
	if (proto == IPPROTO6_IPCOMP && max >= IPCOMP_CPI_PRIVATE_MIN)
		max = IPCOMP_CPI_PRIVATE_MIN - 1;
	if (max < min)
		return 0;
	for (int tries = 0; tries < 64; tries++) {
		uint32_t spi = (uint32_t)rng_range(s, min, max);
		if (!sad_lookup(s, spi, dst, proto))
			return spi;
	}
	return 0;
}
