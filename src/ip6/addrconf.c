/*
 * addrconf.c - the addresses of each interface (RFC 4862): the link-local address at link
 * up (5.3), Duplicate Address Detection (5.4, with RFC 7527 nonces), stateless addresses
 * from Prefix Information options (5.5.3) with their lifetimes and the two-hour rule,
 * RFC 8981 temporary addresses, and addresses added by hand (umk_addr_add/del/list).
 *
 * Interface identifiers come from ip6/addrconf_id.c (RFC 7217 by default). DAD probes go out
 * through nd6_ns_send; nd6_input reports what it hears through addrconf_dad_ns_input,
 * addrconf_dad_na_input and addrconf_prefix_input. Every address joins its solicited-node
 * group (ip6/mld6.c) before its first probe.
 *
 * Link down removes the autoconfigured addresses (link-local, SLAAC, temporary) and keeps
 * the manual ones, which go through DAD again when the link comes back (like Linux with
 * keep_addr_on_down): an administrator's address survives a cable pull, learned state is
 * learned again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf_int.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/nd6.h"
#include "ip6/route6.h"

#define CONNECTED_METRIC 256

static const char *const kind_names[] = {
	[AC_MANUAL] = "manual", [AC_LINKLOCAL] = "link-local",
	[AC_SLAAC] = "autoconf", [AC_TEMPORARY] = "temporary",
};

static void dad_timer_fire(struct umk_stack *s, struct umk_timer *t);
static void lft_timer_fire(struct umk_stack *s, struct umk_timer *t);
static void dad_start(struct umk_stack *s, struct in6_ifaddr *ia, bool delay);

/* ---- lifetimes ------------------------------------------------------------------------- */

umk_time_t addrconf_lft_abs(umk_time_t now, uint32_t seconds)
{
	if (seconds == UMK_LIFETIME_INFINITE)
		return UMK_TIME_NEVER;
	return now + (uint64_t)seconds * 1000;
}

uint64_t addrconf_two_hour_rule(uint64_t remaining_ms, uint32_t received_s)
{
	uint64_t received = received_s == UMK_LIFETIME_INFINITE ? UMK_TIME_NEVER
								 : (uint64_t)received_s * 1000;
	if (received > AC_TWO_HOURS || received > remaining_ms)
		return received;
	if (remaining_ms <= AC_TWO_HOURS)
		return remaining_ms;
	return AC_TWO_HOURS;
}

static uint64_t remaining(const struct umk_stack *s, umk_time_t until)
{
	if (until == UMK_TIME_NEVER)
		return UMK_TIME_NEVER;
	return until > s->now ? until - s->now : 0;
}

static umk_time_t min_time(umk_time_t a, umk_time_t b) { return a < b ? a : b; }

/* Applies the lifetimes now: deprecation (RFC 4862 5.5.4) and arms the timer for the next
 * event. Returns false when the address has expired and was deleted. */
static bool lft_update(struct umk_stack *s, struct in6_ifaddr *ia);

/* ---- the address list ------------------------------------------------------------------ */

static struct in6_ifaddr *find_on(struct umk_if *ifp, const struct in6_addr *a)
{
	for (struct in6_ifaddr *ia = ifp->addrs; ia; ia = ia->next)
		if (IN6_ARE_ADDR_EQUAL(&ia->addr, a))
			return ia;
	return NULL;
}

struct in6_ifaddr *in6_addr_find(struct umk_stack *s, struct umk_if *ifp,
				 const struct in6_addr *a)
{
	if (ifp)
		return find_on(ifp, a);
	for (struct umk_if *i = if_first(s); i; i = if_next(s, i)) {
		struct in6_ifaddr *ia = find_on(i, a);
		if (ia)
			return ia;
	}
	return NULL;
}

static bool is_linklocal(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80;
}

struct in6_ifaddr *in6_linklocal(struct umk_stack *s, struct umk_if *ifp)
{
	struct in6_ifaddr *fallback = NULL;
	for (struct in6_ifaddr *ia = ifp->addrs; ia; ia = ia->next) {
		if (!is_linklocal(&ia->addr) ||
		    (ia->flags & (UMK_ADDR_F_TENTATIVE | UMK_ADDR_F_DADFAILED)))
			continue;
		if (!(ia->flags & UMK_ADDR_F_DEPRECATED))
			return ia;
		if (!fallback)
			fallback = ia;
	}
	return fallback;
}

bool addrconf_ip_disabled(struct umk_stack *s, struct umk_if *ifp)
{
	return ifp->ac && ifp->ac->ip_disabled;
}

static bool snm_join(struct umk_stack *s, struct in6_ifaddr *ia)
{
	struct addrconf_priv *p = ia->priv;
	if (p->snm_joined)
		return true;
	struct in6_addr snm;
	in6_solicited_node(&ia->addr, &snm);
	int err = mld_join(s, ia->ifp, &snm);
	if (err) {
		COUNT(s, AC_SNM_JOIN_FAILED);
		char b[ADDRSTRLEN];
		LOG_WARN(s, "%s: cannot join the solicited-node group of %s: %d", ia->ifp->name,
			 addr_str(&ia->addr, b), err);
		return false;
	}
	p->snm_joined = true;
	return true;
}

static void snm_leave(struct umk_stack *s, struct in6_ifaddr *ia)
{
	struct addrconf_priv *p = ia->priv;
	if (!p->snm_joined)
		return;
	struct in6_addr snm;
	in6_solicited_node(&ia->addr, &snm);
	mld_leave(s, ia->ifp, &snm);
	p->snm_joined = false;
}

static struct in6_ifaddr *addr_create(struct umk_stack *s, struct umk_if *ifp,
				      const struct in6_addr *a, unsigned plen, enum ac_kind kind,
				      umk_time_t valid_until, umk_time_t preferred_until)
{
	char b[ADDRSTRLEN];
	if (!ifp->ac || find_on(ifp, a))
		return NULL;
	if (ifp->ac->n_addrs >= s->limits.max_addrs) {
		COUNT(s, AC_ADDR_LIMIT);
		LOG_WARN(s, "%s: address table full (%u), %s not added", ifp->name,
			 ifp->ac->n_addrs, addr_str(a, b));
		return NULL;
	}
	struct {
		struct in6_ifaddr ia;
		struct addrconf_priv priv;
	} *m = calloc(1, sizeof(*m));
	if (!m) {
		COUNT(s, AC_ADDR_NOMEM);
		return NULL;
	}
	struct in6_ifaddr *ia = &m->ia;
	ia->priv = &m->priv;
	ia->priv->ia = ia;
	ia->priv->kind = kind;
	timer_init(&ia->priv->dad_timer, dad_timer_fire);
	timer_init(&ia->priv->lft_timer, lft_timer_fire);
	ia->ifp = ifp;
	ia->addr = *a;
	ia->plen = (uint8_t)plen;
	ia->scope = (uint8_t)in6_scope(a);
	ia->flags = UMK_ADDR_F_TENTATIVE;
	if (kind == AC_MANUAL)
		ia->flags |= UMK_ADDR_F_PERMANENT;
	else if (kind == AC_SLAAC)
		ia->flags |= UMK_ADDR_F_AUTOCONF;
	else if (kind == AC_TEMPORARY)
		ia->flags |= UMK_ADDR_F_AUTOCONF | UMK_ADDR_F_TEMPORARY;
	ia->valid_until = valid_until;
	ia->preferred_until = preferred_until;
	ia->created = s->now;
	/* append: the link-local address stays first, as people expect to read it */
	struct in6_ifaddr **pp = &ifp->addrs;
	while (*pp)
		pp = &(*pp)->next;
	*pp = ia;
	ifp->ac->n_addrs++;
	COUNT(s, AC_ADDR_ADDED);
	LOG_INFO(s, "%s: %s address %s/%u", ifp->name, kind_names[kind], addr_str(a, b), plen);
	return ia;
}

static bool other_manual_on_prefix(struct umk_if *ifp, const struct in6_ifaddr *self)
{
	for (struct in6_ifaddr *ia = ifp->addrs; ia; ia = ia->next)
		if (ia != self && ia->priv->kind == AC_MANUAL && ia->plen == self->plen &&
		    in6_prefix_eq(&ia->addr, &self->addr, self->plen))
			return true;
	return false;
}

static void prefix_of(const struct in6_addr *a, unsigned plen, struct in6_addr *prefix)
{
	memset(prefix, 0, sizeof(*prefix));
	memcpy(prefix->s6_addr, a->s6_addr, plen / 8);
	if (plen % 8)
		prefix->s6_addr[plen / 8] = (uint8_t)(a->s6_addr[plen / 8] & (0xff << (8 - plen % 8)));
}

static void connected_route_add(struct umk_stack *s, struct in6_ifaddr *ia)
{
	if (ia->plen >= 128)
		return;
	struct rt6_entry r = { .plen = ia->plen, .ifindex = ia->ifp->index,
			       .metric = CONNECTED_METRIC, .proto = UMK_RTPROTO_KERNEL };
	prefix_of(&ia->addr, ia->plen, &r.dst);
	int err = rt6_add(s, &r);
	if (err) {
		COUNT(s, AC_ROUTE_ADD_FAILED);
		char b[ADDRSTRLEN];
		LOG_WARN(s, "%s: connected route %s/%u: %d", ia->ifp->name, addr_str(&r.dst, b),
			 ia->plen, err);
	}
}

static void connected_route_del(struct umk_stack *s, struct in6_ifaddr *ia)
{
	if (ia->plen >= 128 || other_manual_on_prefix(ia->ifp, ia))
		return;
	struct in6_addr dst;
	prefix_of(&ia->addr, ia->plen, &dst);
	rt6_del(s, &dst, ia->plen, NULL, ia->ifp->index, UMK_RTPROTO_KERNEL);
}

/* Unlinks and frees ia with its timers, group membership and (manual) connected route. */
static void addr_delete(struct umk_stack *s, struct in6_ifaddr *ia)
{
	struct umk_if *ifp = ia->ifp;
	struct addrconf_priv *p = ia->priv;
	char b[ADDRSTRLEN];
	LOG_INFO(s, "%s: %s address %s/%u removed", ifp->name, kind_names[p->kind],
		 addr_str(&ia->addr, b), ia->plen);
	timer_cancel(s, &p->dad_timer);
	timer_cancel(s, &p->lft_timer);
	snm_leave(s, ia);
	if (p->kind == AC_MANUAL)
		connected_route_del(s, ia);
	for (struct in6_ifaddr **pp = &ifp->addrs; *pp; pp = &(*pp)->next)
		if (*pp == ia) {
			*pp = ia->next;
			break;
		}
	ifp->ac->n_addrs--;
	COUNT(s, AC_ADDR_DELETED);
	free(ia); /* ia and its priv are one allocation */
}

static bool lft_update(struct umk_stack *s, struct in6_ifaddr *ia)
{
	struct addrconf_priv *p = ia->priv;
	char b[ADDRSTRLEN];
	if (ia->valid_until <= s->now) {
		COUNT(s, AC_ADDR_EXPIRED);
		LOG_INFO(s, "%s: %s valid lifetime expired", ia->ifp->name,
			 addr_str(&ia->addr, b));
		addr_delete(s, ia);
		return false;
	}
	if (ia->preferred_until <= s->now) {
		if (!(ia->flags & UMK_ADDR_F_DEPRECATED)) {
			/* RFC 4862 5.5.4: deprecated, still valid for existing communication */
			COUNT(s, AC_ADDR_DEPRECATED);
			LOG_INFO(s, "%s: %s deprecated", ia->ifp->name, addr_str(&ia->addr, b));
		}
		ia->flags |= UMK_ADDR_F_DEPRECATED;
	} else {
		ia->flags &= ~UMK_ADDR_F_DEPRECATED;
	}
	umk_time_t next = ia->valid_until;
	if (!(ia->flags & UMK_ADDR_F_DEPRECATED))
		next = min_time(next, ia->preferred_until);
	if (p->kind == AC_TEMPORARY && !p->regen_done)
		next = min_time(next, p->regen_at > s->now ? p->regen_at : s->now);
	if (next == UMK_TIME_NEVER)
		timer_cancel(s, &p->lft_timer);
	else
		timer_arm(s, &p->lft_timer, next);
	return true;
}

/* ---- RFC 8981 temporary addresses ----------------------------------------------------- */

static struct in6_ifaddr *public_for(struct umk_if *ifp, const struct in6_addr *prefix)
{
	for (struct in6_ifaddr *ia = ifp->addrs; ia; ia = ia->next)
		if (ia->priv->kind == AC_SLAAC && in6_prefix_eq(&ia->addr, prefix, 64))
			return ia;
	return NULL;
}

/* RFC 8981 3.4: a temporary address lives at most TEMP_VALID_LIFETIME and is preferred at
 * most TEMP_PREFERRED_LIFETIME - DESYNC_FACTOR from its creation, and never longer than the
 * public address of its prefix. */
static void temp_lifetimes(struct umk_stack *s, struct in6_ifaddr *t,
			   const struct in6_ifaddr *pub)
{
	const struct ip6_ifconf *c = &t->ifp->conf;
	struct addrconf_priv *p = t->priv;
	umk_time_t valid = t->created + (uint64_t)c->temp_valid_lft * 1000;
	uint64_t pref_ms = (uint64_t)c->temp_preferred_lft * 1000;
	pref_ms = pref_ms > p->desync_ms ? pref_ms - p->desync_ms : 0;
	umk_time_t preferred = t->created + pref_ms;
	t->valid_until = min_time(valid, pub->valid_until);
	t->preferred_until = min_time(min_time(preferred, pub->preferred_until), t->valid_until);
	/* RFC 8981 3.5: make the successor REGEN_ADVANCE before this one is deprecated */
	uint64_t adv = (uint64_t)c->regen_advance * 1000;
	p->regen_at = t->preferred_until > s->now + adv ? t->preferred_until - adv : s->now;
}

static struct in6_ifaddr *temp_create(struct umk_stack *s, struct in6_ifaddr *pub,
				      uint8_t retries)
{
	struct umk_if *ifp = pub->ifp;
	const struct ip6_ifconf *c = &ifp->conf;
	/* RFC 8981 3.8: DESYNC_FACTOR in [0, MAX_DESYNC_FACTOR], which must stay below
	 * TEMP_PREFERRED_LIFETIME - REGEN_ADVANCE */
	uint64_t max_desync = (uint64_t)(c->max_desync_factor > 0 ? c->max_desync_factor : 0);
	uint64_t room = c->temp_preferred_lft > c->regen_advance
			? (uint64_t)(c->temp_preferred_lft - c->regen_advance) : 0;
	if (max_desync >= room)
		max_desync = room ? room - 1 : 0;
	uint64_t desync_ms = rng_range(s, 0, max_desync * 1000);

	/* RFC 8981 3.4 step 5: no temporary address whose preferred lifetime would not exceed
	 * REGEN_ADVANCE */
	uint64_t pref_ms = (uint64_t)c->temp_preferred_lft * 1000;
	pref_ms = pref_ms > desync_ms ? pref_ms - desync_ms : 0;
	pref_ms = min_time(pref_ms, remaining(s, pub->preferred_until));
	if (pref_ms <= (uint64_t)c->regen_advance * 1000) {
		COUNT(s, AC_TEMP_SKIPPED);
		return NULL;
	}
	struct in6_addr a;
	uint8_t iid[8];
	do {
		addrconf_random_iid(s, iid);
		addrconf_make_addr(&pub->addr, iid, &a);
	} while (find_on(ifp, &a)); /* RFC 8981 3.3.1: not an identifier already in use */
	struct in6_ifaddr *t = addr_create(s, ifp, &a, 64, AC_TEMPORARY, UMK_TIME_NEVER,
					   UMK_TIME_NEVER);
	if (!t)
		return NULL;
	t->priv->desync_ms = desync_ms;
	t->priv->dad_counter = retries;
	temp_lifetimes(s, t, pub);
	COUNT(s, AC_TEMP_CREATED);
	dad_start(s, t, false);
	lft_update(s, t);
	return t;
}

static bool has_preferred_temp(struct umk_if *ifp, const struct in6_addr *prefix)
{
	for (struct in6_ifaddr *ia = ifp->addrs; ia; ia = ia->next)
		if (ia->priv->kind == AC_TEMPORARY && in6_prefix_eq(&ia->addr, prefix, 64) &&
		    !(ia->flags & (UMK_ADDR_F_DEPRECATED | UMK_ADDR_F_DADFAILED)))
			return true;
	return false;
}

static void lft_timer_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct addrconf_priv *p = container_of(t, struct addrconf_priv, lft_timer);
	struct in6_ifaddr *ia = p->ia;
	struct umk_if *ifp = ia->ifp;
	if (p->kind == AC_TEMPORARY && !p->regen_done && p->regen_at <= s->now) {
		p->regen_done = true;
		struct in6_ifaddr *pub = public_for(ifp, &ia->addr);
		/* RFC 8981 3.5: only while the prefix is still preferred and the feature on */
		if (pub && ifp->conf.use_tempaddr >= 1 && (ifp->flags & UMK_IF_UP) &&
		    !(pub->flags & (UMK_ADDR_F_DEPRECATED | UMK_ADDR_F_DADFAILED)) &&
		    temp_create(s, pub, 0))
			COUNT(s, AC_TEMP_REGENERATED);
	}
	lft_update(s, ia);
}

/* ---- DAD (RFC 4862 5.4, RFC 7527) ----------------------------------------------------- */

static void dad_succeeded(struct umk_stack *s, struct in6_ifaddr *ia)
{
	struct umk_if *ifp = ia->ifp;
	char b[ADDRSTRLEN];
	bool first_ll = is_linklocal(&ia->addr) && !in6_linklocal(s, ifp);
	ia->flags &= ~UMK_ADDR_F_TENTATIVE;
	COUNT(s, AC_DAD_SUCCEEDED);
	LOG_INFO(s, "%s: %s is unique, now usable", ifp->name, addr_str(&ia->addr, b));
	if (first_ll)
		mld_linklocal_ready(s, ifp);
}

static void dad_probe(struct umk_stack *s, struct in6_ifaddr *ia)
{
	struct addrconf_priv *p = ia->priv;
	/* RFC 4862 5.4.2: join the solicited-node group before the first probe, to hear
	 * the probes of another node doing DAD for the same address; no probe (and no
	 * address) without it: try again a RetransTimer later */
	if (!snm_join(s, ia)) {
		timer_arm_in(s, &p->dad_timer, (uint64_t)ia->ifp->conf.retrans_time);
		return;
	}
	if (!p->dad_left) {
		dad_succeeded(s, ia);
		return;
	}
	/* RFC 7527 4.1: a fresh nonce in every probe */
	uint8_t *nonce = p->nonces[p->n_nonces % AC_DAD_NONCES];
	rng_secure_bytes(s, nonce, AC_NONCE_LEN);
	p->n_nonces++;
	p->dad_left--;
	COUNT(s, AC_DAD_PROBES);
	int err = nd6_ns_send(s, ia->ifp, &ia->addr, true, nonce);
	if (err)
		LOG_DEBUG(s, "%s: DAD probe not sent: %d", ia->ifp->name, err);
	/* 5.4: unique once RetransTimer passes after the last probe without an answer */
	timer_arm_in(s, &p->dad_timer, (uint64_t)ia->ifp->conf.retrans_time);
}

static void dad_start(struct umk_stack *s, struct in6_ifaddr *ia, bool delay)
{
	struct addrconf_priv *p = ia->priv;
	struct umk_if *ifp = ia->ifp;
	ia->flags |= UMK_ADDR_F_TENTATIVE;
	ia->flags &= ~UMK_ADDR_F_DADFAILED;
	p->retry_pending = false;
	p->n_nonces = 0;
	timer_cancel(s, &p->dad_timer);
	if (!(ifp->flags & UMK_IF_UP))
		return; /* addrconf_if_up starts it */
	COUNT(s, AC_DAD_STARTED);
	if (ifp->conf.dad_transmits <= 0) {
		/* RFC 4862 5.4: DupAddrDetectTransmits 0 turns DAD off */
		p->dad_left = 0;
		dad_probe(s, ia);
		return;
	}
	p->dad_left = (uint8_t)(ifp->conf.dad_transmits > 255 ? 255 : ifp->conf.dad_transmits);
	if (delay && ifp->conf.rtr_solicitation_delay > 0) {
		/* RFC 4862 5.4.2: the first message after the interface comes up waits a random
		 * 0..MAX_RTR_SOLICITATION_DELAY so that nodes powered on together do not
		 * collide */
		timer_arm_in(s, &p->dad_timer,
			     rng_range(s, 0, (uint64_t)ifp->conf.rtr_solicitation_delay));
		return;
	}
	dad_probe(s, ia);
}

/* The next identifier after a duplicate (RFC 7217 6, RFC 8981 3.4 step 7). */
static void dad_retry(struct umk_stack *s, struct in6_ifaddr *ia)
{
	struct addrconf_priv *p = ia->priv;
	struct umk_if *ifp = ia->ifp;
	char b[ADDRSTRLEN];
	uint8_t counter = (uint8_t)(p->dad_counter + 1);
	enum ac_kind kind = p->kind;
	if (kind == AC_TEMPORARY) {
		struct in6_ifaddr *pub = public_for(ifp, &ia->addr);
		addr_delete(s, ia);
		if (pub)
			temp_create(s, pub, counter);
		COUNT(s, AC_IDGEN_RETRY);
		return;
	}
	struct in6_addr prefix = ia->addr, a;
	uint8_t iid[8];
	do {
		addrconf_stable_iid(s->secret_key, &prefix, ifp->name, NULL, 0, counter, iid);
		addrconf_make_addr(&prefix, iid, &a);
		/* RFC 7217 5: a reserved identifier counts as a collision */
	} while ((addrconf_iid_reserved(iid) || find_on(ifp, &a)) && ++counter != 0);
	umk_time_t valid = ia->valid_until, preferred = ia->preferred_until;
	unsigned plen = ia->plen;
	addr_delete(s, ia);
	struct in6_ifaddr *n = addr_create(s, ifp, &a, plen, kind, valid, preferred);
	if (!n)
		return;
	COUNT(s, AC_IDGEN_RETRY);
	LOG_INFO(s, "%s: RFC 7217 DAD_Counter %u gives %s", ifp->name, counter, addr_str(&a, b));
	n->priv->dad_counter = counter;
	dad_start(s, n, false);
	lft_update(s, n);
}

static void dad_timer_fire(struct umk_stack *s, struct umk_timer *t)
{
	struct addrconf_priv *p = container_of(t, struct addrconf_priv, dad_timer);
	struct in6_ifaddr *ia = p->ia;
	if (p->retry_pending) {
		dad_retry(s, ia);
		return;
	}
	if (!(ia->flags & UMK_ADDR_F_TENTATIVE) || (ia->flags & UMK_ADDR_F_DADFAILED))
		return;
	dad_probe(s, ia);
}

/* RFC 4862 5.4.5: the address is not unique. It stays listed as dadfailed (never used);
 * what comes next depends on how it was formed. Anything that frees it runs from the DAD
 * timer, since our caller (nd6_input) may still hold the address. */
static void dad_failed(struct umk_stack *s, struct in6_ifaddr *ia, const char *how)
{
	struct addrconf_priv *p = ia->priv;
	struct umk_if *ifp = ia->ifp;
	char b[ADDRSTRLEN];
	ia->flags |= UMK_ADDR_F_DADFAILED | UMK_ADDR_F_TENTATIVE;
	timer_cancel(s, &p->dad_timer);
	snm_leave(s, ia);
	COUNT(s, AC_DAD_FAILED);
	LOG_WARN(s, "%s: duplicate address %s detected (%s)", ifp->name, addr_str(&ia->addr, b),
		 how);
	if (p->kind == AC_LINKLOCAL && p->eui64) {
		/* RFC 4862 5.4.5: a duplicate hardware-derived link-local address means another
		 * node has our MAC address; IP operation on the interface should stop */
		ifp->ac->ip_disabled = true;
		COUNT(s, AC_IP_DISABLED);
		LOG_ERR(s, "%s: link-local %s from the MAC is duplicated: autoconfiguration "
			"disabled on this interface (RFC 4862 5.4.5)", ifp->name,
			addr_str(&ia->addr, b));
		return;
	}
	bool stable = (p->kind == AC_LINKLOCAL || p->kind == AC_SLAAC) && !p->eui64;
	if (stable || p->kind == AC_TEMPORARY) {
		if (p->dad_counter < ifp->conf.idgen_retries) {
			p->retry_pending = true;
			timer_arm_in(s, &p->dad_timer, AC_IDGEN_DELAY);
			return;
		}
		COUNT(s, AC_IDGEN_EXHAUSTED);
		LOG_ERR(s, "%s: no unique address after %u tries (IDGEN_RETRIES)", ifp->name,
			p->dad_counter + 1);
	}
}

bool addrconf_dad_ns_input(struct umk_stack *s, struct umk_if *ifp,
			   const struct in6_addr *target, bool src_unspecified,
			   const uint8_t *nonce)
{
	struct in6_ifaddr *ia = find_on(ifp, target);
	if (!ia || !(ia->flags & UMK_ADDR_F_TENTATIVE))
		return false;
	if (ia->flags & UMK_ADDR_F_DADFAILED)
		return true;
	if (!src_unspecified) {
		/* RFC 4862 5.4.3: address resolution for a tentative address: not answered */
		COUNT(s, AC_DAD_NS_NOT_DAD);
		return true;
	}
	struct addrconf_priv *p = ia->priv;
	if (nonce) {
		unsigned n = p->n_nonces < AC_DAD_NONCES ? p->n_nonces : AC_DAD_NONCES;
		for (unsigned i = 0; i < n; i++)
			if (memcmp(p->nonces[i], nonce, AC_NONCE_LEN) == 0) {
				/* RFC 7527 4.2: our own probe, looped back by the link */
				COUNT(s, AC_DAD_LOOPED_NS);
				return true;
			}
	}
	/* RFC 4862 5.4.3: another node is doing DAD for the same address */
	COUNT(s, AC_DAD_DUP_NS);
	dad_failed(s, ia, "neighbor solicitation from ::");
	return true;
}

void addrconf_dad_na_input(struct umk_stack *s, struct umk_if *ifp,
			   const struct in6_addr *target)
{
	struct in6_ifaddr *ia = find_on(ifp, target);
	if (!ia)
		return;
	if (!(ia->flags & UMK_ADDR_F_TENTATIVE)) {
		COUNT(s, AC_NA_CONFLICT);
		char b[ADDRSTRLEN];
		LOG_WARN(s, "%s: another node advertises our address %s", ifp->name,
			 addr_str(target, b));
		return;
	}
	if (ia->flags & UMK_ADDR_F_DADFAILED)
		return;
	/* RFC 4862 5.4.4: an advertisement for a tentative address: it is in use */
	COUNT(s, AC_DAD_DUP_NA);
	dad_failed(s, ia, "neighbor advertisement");
}

/* ---- link-local and SLAAC (RFC 4862 5.3, 5.5.3) -------------------------------------- */

static void form_iid(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *prefix,
		     uint8_t counter, uint8_t iid[8], uint8_t *used_counter, bool *eui64)
{
	if (ifp->conf.addr_gen_mode == 1) {
		addrconf_eui64_iid(ifp->lladdr, iid);
		*eui64 = true;
		*used_counter = 0;
		return;
	}
	*eui64 = false;
	do
		addrconf_stable_iid(s->secret_key, prefix, ifp->name, NULL, 0, counter, iid);
	while (addrconf_iid_reserved(iid) && ++counter != 0);
	*used_counter = counter;
}

static struct in6_ifaddr *autoconf_create(struct umk_stack *s, struct umk_if *ifp,
					  const struct in6_addr *prefix, enum ac_kind kind,
					  umk_time_t valid, umk_time_t preferred, bool delay)
{
	uint8_t iid[8], counter;
	bool eui64;
	struct in6_addr a;
	form_iid(s, ifp, prefix, 0, iid, &counter, &eui64);
	addrconf_make_addr(prefix, iid, &a);
	struct in6_ifaddr *ia = addr_create(s, ifp, &a, 64, kind, valid, preferred);
	if (!ia)
		return NULL;
	ia->priv->eui64 = eui64;
	ia->priv->dad_counter = counter;
	dad_start(s, ia, delay);
	return ia;
}

void addrconf_if_up(struct umk_stack *s, struct umk_if *ifp)
{
	if (!ifp->ac)
		return;
	ifp->ac->ip_disabled = false;
	/* RFC 4862 5.3: fe80::/64 + identifier, infinite lifetimes */
	struct in6_addr ll = { .s6_addr = { 0xfe, 0x80 } };
	struct rt6_entry r = { .dst = ll, .plen = 64, .ifindex = ifp->index,
			       .metric = CONNECTED_METRIC, .proto = UMK_RTPROTO_KERNEL };
	int err = rt6_add(s, &r);
	if (err) {
		COUNT(s, AC_ROUTE_ADD_FAILED);
		LOG_WARN(s, "%s: fe80::/64 route: %d", ifp->name, err);
	}
	if (!in6_linklocal(s, ifp))
		autoconf_create(s, ifp, &ll, AC_LINKLOCAL, UMK_TIME_NEVER, UMK_TIME_NEVER, true);
	/* manual addresses kept over the link down: DAD again (RFC 4862 5.4) */
	for (struct in6_ifaddr *ia = ifp->addrs; ia; ia = ia->next)
		if (ia->priv->kind == AC_MANUAL) {
			connected_route_add(s, ia);
			dad_start(s, ia, true);
		}
}

void addrconf_if_down(struct umk_stack *s, struct umk_if *ifp)
{
	struct in6_ifaddr *ia = ifp->addrs;
	while (ia) {
		struct in6_ifaddr *next = ia->next;
		if (ia->priv->kind != AC_MANUAL) {
			addr_delete(s, ia);
		} else {
			timer_cancel(s, &ia->priv->dad_timer);
			snm_leave(s, ia);
			ia->flags |= UMK_ADDR_F_TENTATIVE;
			ia->flags &= ~UMK_ADDR_F_DADFAILED;
		}
		ia = next;
	}
	struct in6_addr ll = { .s6_addr = { 0xfe, 0x80 } };
	rt6_del(s, &ll, 64, NULL, ifp->index, UMK_RTPROTO_KERNEL);
}

void addrconf_prefix_input(struct umk_stack *s, struct umk_if *ifp,
			   const struct nd_prefix_info *pi)
{
	char b[ADDRSTRLEN];
	if (!ifp->ac || !pi->autonomous) {
		COUNT(s, AC_PIO_NOT_AUTONOMOUS);
		return;
	}
	if (!ifp->conf.autoconf) {
		COUNT(s, AC_PIO_AUTOCONF_OFF);
		return;
	}
	if (ifp->ac->ip_disabled) {
		COUNT(s, AC_PIO_IP_DISABLED);
		return;
	}
	/* RFC 4862 5.5.3 b) */
	if (is_linklocal(&pi->prefix)) {
		COUNT(s, AC_PIO_LINKLOCAL);
		LOG_DEBUG(s, "%s: PIO for link-local %s ignored", ifp->name,
			  addr_str(&pi->prefix, b));
		return;
	}
	/* 5.5.3 c) */
	if (pi->preferred_lft > pi->valid_lft) {
		COUNT(s, AC_PIO_PREFERRED_GT_VALID);
		LOG_DEBUG(s, "%s: PIO %s preferred %u > valid %u ignored", ifp->name,
			  addr_str(&pi->prefix, b), pi->preferred_lft, pi->valid_lft);
		return;
	}
	/* 5.5.3 d): prefix length + 64-bit identifier (RFC 4291 2.5.1) must make 128 */
	if (pi->plen != 64) {
		COUNT(s, AC_PIO_BAD_PLEN);
		LOG_INFO(s, "%s: PIO %s/%u: prefix length + 64 != 128, no address", ifp->name,
			 addr_str(&pi->prefix, b), pi->plen);
		return;
	}
	struct in6_ifaddr *pub = public_for(ifp, &pi->prefix);
	if (!pub) {
		if (!pi->valid_lft) {
			COUNT(s, AC_PIO_ZERO_VALID_NEW);
			return;
		}
		pub = autoconf_create(s, ifp, &pi->prefix, AC_SLAAC,
				      addrconf_lft_abs(s->now, pi->valid_lft),
				      addrconf_lft_abs(s->now, pi->preferred_lft), false);
		if (!pub)
			return;
		COUNT(s, AC_SLAAC_CREATED);
		if (!lft_update(s, pub))
			return;
	} else {
		if (pub->flags & UMK_ADDR_F_DADFAILED) {
			COUNT(s, AC_PIO_DADFAILED);
			return;
		}
		/* 5.5.3 e) */
		COUNT(s, AC_SLAAC_UPDATED);
		pub->preferred_until = addrconf_lft_abs(s->now, pi->preferred_lft);
		uint64_t rem = remaining(s, pub->valid_until);
		uint64_t nv = addrconf_two_hour_rule(rem, pi->valid_lft);
		uint64_t asked = pi->valid_lft == UMK_LIFETIME_INFINITE
				 ? UMK_TIME_NEVER : (uint64_t)pi->valid_lft * 1000;
		if (nv != asked) {
			COUNT(s, AC_TWO_HOUR_RULE);
			LOG_DEBUG(s, "%s: %s valid lifetime %u s kept at %llu ms (two-hour rule)",
				  ifp->name, addr_str(&pub->addr, b), pi->valid_lft,
				  (unsigned long long)nv);
		}
		pub->valid_until = nv == UMK_TIME_NEVER ? UMK_TIME_NEVER : s->now + nv;
		pub->preferred_until = min_time(pub->preferred_until, pub->valid_until);
		if (!lft_update(s, pub))
			return;
		/* RFC 8981 3.4: the temporaries of the prefix follow, capped as at creation */
		struct in6_ifaddr *ia = ifp->addrs;
		while (ia) {
			struct in6_ifaddr *next = ia->next;
			if (ia->priv->kind == AC_TEMPORARY &&
			    in6_prefix_eq(&ia->addr, &pi->prefix, 64)) {
				temp_lifetimes(s, ia, pub);
				lft_update(s, ia);
			}
			ia = next;
		}
	}
	/* RFC 8981 3.4: a temporary address for the prefix when none is preferred */
	if (ifp->conf.use_tempaddr >= 1 && !(pub->flags & UMK_ADDR_F_DEPRECATED) &&
	    !has_preferred_temp(ifp, &pi->prefix))
		temp_create(s, pub, 0);
}

/* ---- module life ---------------------------------------------------------------------- */

int addrconf_init(struct umk_stack *s) { return 0; }
void addrconf_fini(struct umk_stack *s) {}

void addrconf_if_attach(struct umk_stack *s, struct umk_if *ifp)
{
	ifp->ac = calloc(1, sizeof(*ifp->ac));
	if (!ifp->ac)
		LOG_ERR(s, "%s: no memory for addrconf state", ifp->name);
}

void addrconf_if_detach(struct umk_stack *s, struct umk_if *ifp)
{
	/* the interface is going away: its groups and routes go with it (mld_if_detach,
	 * rt6), so only our own state is freed here */
	while (ifp->addrs) {
		struct in6_ifaddr *ia = ifp->addrs;
		ifp->addrs = ia->next;
		timer_cancel(s, &ia->priv->dad_timer);
		timer_cancel(s, &ia->priv->lft_timer);
		free(ia);
	}
	free(ifp->ac);
	ifp->ac = NULL;
}

/* ---- management (mgmt.h) -------------------------------------------------------------- */

static uint32_t lft_seconds(const struct umk_stack *s, umk_time_t until)
{
	if (until == UMK_TIME_NEVER)
		return UMK_LIFETIME_INFINITE;
	uint64_t left = remaining(s, until) / 1000;
	return left >= UMK_LIFETIME_INFINITE ? UMK_LIFETIME_INFINITE - 1 : (uint32_t)left;
}

int umk_addr_list(struct umk_stack *s, int ifindex,
		  int (*cb)(void *ctx, const struct umk_addr_info *), void *ctx)
{
	if (ifindex && !if_get(s, ifindex))
		return -ENODEV;
	for (struct umk_if *ifp = if_first(s); ifp; ifp = if_next(s, ifp)) {
		if (ifindex && ifp->index != ifindex)
			continue;
		for (struct in6_ifaddr *ia = ifp->addrs; ia; ia = ia->next) {
			struct umk_addr_info ai = {
				.ifindex = ifp->index, .addr = ia->addr, .prefixlen = ia->plen,
				.scope = ia->scope, .flags = ia->flags,
				.valid_lft = lft_seconds(s, ia->valid_until),
				.preferred_lft = lft_seconds(s, ia->preferred_until),
			};
			int r = cb(ctx, &ai);
			if (r)
				return r;
		}
	}
	return 0;
}

int umk_addr_add(struct umk_stack *s, int ifindex, const struct in6_addr *addr,
		 unsigned prefixlen)
{
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp)
		return -ENODEV;
	if (prefixlen > 128 || IN6_IS_ADDR_MULTICAST(addr) || IN6_IS_ADDR_UNSPECIFIED(addr) ||
	    IN6_IS_ADDR_LOOPBACK(addr))
		return -EINVAL;
	if (find_on(ifp, addr))
		return -EEXIST;
	if (ifp->ac && ifp->ac->n_addrs >= s->limits.max_addrs) {
		COUNT(s, AC_ADDR_LIMIT);
		return -ENOSPC;
	}
	struct in6_ifaddr *ia = addr_create(s, ifp, addr, prefixlen, AC_MANUAL, UMK_TIME_NEVER,
					    UMK_TIME_NEVER);
	if (!ia)
		return -ENOMEM;
	if (ifp->flags & UMK_IF_UP) {
		connected_route_add(s, ia);
		dad_start(s, ia, false);
	}
	return 0;
}

int umk_addr_del(struct umk_stack *s, int ifindex, const struct in6_addr *addr,
		 unsigned prefixlen)
{
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp)
		return -ENODEV;
	struct in6_ifaddr *ia = find_on(ifp, addr);
	if (!ia || ia->plen != prefixlen)
		return -ENOENT;
	addr_delete(s, ia);
	return 0;
}
