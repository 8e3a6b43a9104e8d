/*
 * select.c - source address selection, RFC 6724 section 5, with the default policy table
 * of section 2.1. Candidates are the addresses of the outgoing interface and, for
 * destinations that are not scoped, those of the other interfaces (RFC 6724 4 allows them;
 * rule 5 still prefers the outgoing interface). Tentative and duplicate addresses are never
 * candidates (RFC 4862 5.4); optimistic ones are (RFC 4429 3.1).
 */
#include <errno.h>

#include "core/stack_int.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"

/* RFC 6724 2.1: the default policy table (precedence is used by destination selection,
 * which is the resolver's business; kept for `umk` to show later). */
static const struct policy {
	uint8_t prefix[16];
	uint8_t plen;
	uint8_t precedence;
	uint8_t label;
} policy_table[] = {
	{ { [15] = 1 }, 128, 50, 0 },                              /* ::1/128 */
	{ { 0 }, 0, 40, 1 },                                       /* ::/0 */
	{ { [10] = 0xff, [11] = 0xff }, 96, 35, 4 },               /* ::ffff:0:0/96 */
	{ { 0x20, 0x02 }, 16, 30, 2 },                             /* 2002::/16 */
	{ { 0x20, 0x01, 0, 0 }, 32, 5, 5 },                        /* 2001::/32 */
	{ { 0xfc }, 7, 3, 13 },                                    /* fc00::/7 */
	{ { 0 }, 96, 1, 3 },                                       /* ::/96 */
	{ { 0xfe, 0xc0 }, 10, 1, 11 },                             /* fec0::/10 */
	{ { 0x3f, 0xfe }, 16, 1, 12 },                             /* 3ffe::/16 */
};

static const struct policy *policy_of(const struct in6_addr *a)
{
	const struct policy *best = NULL;

	for (size_t i = 0; i < sizeof(policy_table) / sizeof(policy_table[0]); i++) {
		const struct policy *p = &policy_table[i];
		struct in6_addr pfx; /* the table's bytes are not aligned for struct in6_addr */
		memcpy(&pfx, p->prefix, sizeof(pfx));
		if (in6_prefix_eq(a, &pfx, p->plen) &&
		    (!best || p->plen > best->plen))
			best = p;
	}
	return best; /* ::/0 always matches */
}

static unsigned common_prefix_len(const struct in6_addr *a, const struct in6_addr *b)
{
	unsigned n = 0;
	for (int i = 0; i < 16; i++) {
		uint8_t x = a->s6_addr[i] ^ b->s6_addr[i];
		if (!x) {
			n += 8;
			continue;
		}
		while (!(x & 0x80)) {
			n++;
			x = (uint8_t)(x << 1);
		}
		break;
	}
	return n;
}

static bool usable(const struct in6_ifaddr *ia)
{
	if (ia->flags & UMK_ADDR_F_DADFAILED)
		return false;
	return !(ia->flags & UMK_ADDR_F_TENTATIVE) || (ia->flags & UMK_ADDR_F_OPTIMISTIC);
}

static bool deprecated(const struct umk_stack *s, const struct in6_ifaddr *ia)
{
	return (ia->flags & UMK_ADDR_F_DEPRECATED) ||
	       (ia->preferred_until != UMK_TIME_NEVER && ia->preferred_until <= s->now);
}

struct sel_ctx {
	struct umk_stack *s;
	struct umk_if *ifp;           /* outgoing interface */
	const struct in6_addr *dst;
	int dst_scope;
	uint8_t dst_label;
	bool prefer_temporary;
};

/* RFC 6724 5: > 0 when candidate a is preferred over b, < 0 for b, 0 when no rule decides */
static int compare(const struct sel_ctx *c, const struct in6_ifaddr *a,
		   const struct in6_ifaddr *b)
{
	/* Rule 1: prefer same address */
	bool ea = IN6_ARE_ADDR_EQUAL(&a->addr, c->dst), eb = IN6_ARE_ADDR_EQUAL(&b->addr, c->dst);
	if (ea != eb)
		return ea ? 1 : -1;
	/* Rule 2: prefer appropriate scope */
	int sa = in6_scope(&a->addr), sb = in6_scope(&b->addr);
	if (sa < sb)
		return sa < c->dst_scope ? -1 : 1;
	if (sb < sa)
		return sb < c->dst_scope ? 1 : -1;
	/* Rule 3: avoid deprecated addresses */
	bool da = deprecated(c->s, a), db = deprecated(c->s, b);
	if (da != db)
		return da ? -1 : 1;
	/* Rule 4 (home addresses) does not apply: no Mobile IPv6 yet. */
	/* Rule 5: prefer the outgoing interface */
	bool oa = a->ifp == c->ifp, ob = b->ifp == c->ifp;
	if (oa != ob)
		return oa ? 1 : -1;
	/* Rule 6: prefer matching label */
	bool la = policy_of(&a->addr)->label == c->dst_label;
	bool lb = policy_of(&b->addr)->label == c->dst_label;
	if (la != lb)
		return la ? 1 : -1;
	/* Rule 7: prefer temporary addresses, when the interface is set to (RFC 8981 3.6:
	 * use_tempaddr 2), else prefer public ones */
	bool ta = a->flags & UMK_ADDR_F_TEMPORARY, tb = b->flags & UMK_ADDR_F_TEMPORARY;
	if (ta != tb)
		return (ta == c->prefer_temporary) ? 1 : -1;
	/* Rule 8: longest matching prefix, counted at most over the source's prefix */
	unsigned pa = common_prefix_len(&a->addr, c->dst), pb = common_prefix_len(&b->addr, c->dst);
	if (pa > a->plen)
		pa = a->plen;
	if (pb > b->plen)
		pb = b->plen;
	if (pa != pb)
		return pa > pb ? 1 : -1;
	return 0;
}

static int select_source(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *dst,
			 struct in6_addr *src, bool own_link_only)
{
	struct sel_ctx c = {
		.s = s, .ifp = ifp, .dst = dst, .dst_scope = in6_scope(dst),
		.dst_label = policy_of(dst)->label,
		.prefer_temporary = ifp && ifp->conf.use_tempaddr == 2,
	};
	const struct in6_ifaddr *best = NULL;
	/* RFC 6724 4: for multicast and link-local destinations the candidates MUST be
	 * addresses of the outgoing link */
	bool scoped = own_link_only || in6_is_scoped(dst) || IN6_IS_ADDR_MULTICAST(dst);

	for (struct umk_if *x = if_first(s); x; x = if_next(s, x)) {
		/* RFC 6724 4: a scoped destination takes a source from its own zone */
		if (ifp && x != ifp && scoped)
			continue;
		for (const struct in6_ifaddr *ia = x->addrs; ia; ia = ia->next) {
			if (!usable(ia))
				continue;
			/* a link-local source only works on its own link */
			if (ifp && x != ifp && in6_is_scoped(&ia->addr))
				continue;
			if (!best || compare(&c, ia, best) > 0)
				best = ia;
		}
	}
	if (!best)
		return -EADDRNOTAVAIL;
	*src = best->addr;
	return 0;
}

int ip6_select_source(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *dst,
		      struct in6_addr *src)
{
	return select_source(s, ifp, dst, src, false);
}

int ip6_select_source_on_link(struct umk_stack *s, struct umk_if *ifp,
			      const struct in6_addr *dst, struct in6_addr *src)
{
	return select_source(s, ifp, dst, src, true);
}
