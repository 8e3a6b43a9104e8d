/*
 * pmtu.c - the path-MTU cache (RFC 8201): what Packet Too Big messages taught us, per
 * destination (and zone for scoped ones). Bounded by s->limits.max_pmtu_entries; an entry
 * ages out after 10 minutes (RFC 8201 5.3), after which the link MTU is tried again.
 * Fed by ip6/icmp6.c, read by ip6/output.c.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "wire/ip6_const.h"

struct pmtu_entry {
	struct in6_addr dst;
	int zone;                     /* ifindex for a scoped dst, else 0 */
	uint32_t mtu;
	umk_time_t expires;
};

struct pmtu_cache {
	struct pmtu_entry *v;
	uint32_t n, cap;
};

int pmtu_init(struct umk_stack *s)
{
	s->pmtu = calloc(1, sizeof(*s->pmtu));
	return s->pmtu ? 0 : -ENOMEM;
}

void pmtu_fini(struct umk_stack *s)
{
	if (!s->pmtu)
		return;
	free(s->pmtu->v);
	free(s->pmtu);
	s->pmtu = NULL;
}

static int zone_of(struct umk_if *ifp, const struct in6_addr *dst)
{
	return in6_is_scoped(dst) && ifp ? ifp->index : 0;
}

/* The live entry for dst, dropping it when it has aged out. */
static struct pmtu_entry *find(struct umk_stack *s, int zone, const struct in6_addr *dst)
{
	struct pmtu_cache *c = s->pmtu;

	for (uint32_t i = 0; i < c->n; i++) {
		struct pmtu_entry *e = &c->v[i];
		if (e->zone != zone || !IN6_ARE_ADDR_EQUAL(&e->dst, dst))
			continue;
		if (e->expires <= s->now) {
			COUNT(s, PMTU_EXPIRED);
			*e = c->v[--c->n];
			return NULL;
		}
		return e;
	}
	return NULL;
}

uint32_t pmtu_get(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *dst)
{
	uint32_t link = (uint32_t)ifp->conf.mtu;
	struct pmtu_entry *e = find(s, zone_of(ifp, dst), dst);

	return e && e->mtu < link ? e->mtu : link;
}

void pmtu_update(struct umk_stack *s, struct umk_if *ifp, const struct in6_addr *dst,
		 uint32_t mtu)
{
	struct pmtu_cache *c = s->pmtu;

	if (mtu < IP6_MIN_MTU) {
		/* RFC 8201 4 / RFC 8021: never below the minimum, and no atomic fragments */
		COUNT(s, PMTU_CLAMPED);
		mtu = IP6_MIN_MTU;
	}
	if (mtu >= pmtu_get(s, ifp, dst)) {
		/* RFC 8201 4: a PTB never increases the estimate */
		COUNT(s, PMTU_IGNORED_INCREASE);
		return;
	}
	int zone = zone_of(ifp, dst);
	struct pmtu_entry *e = find(s, zone, dst);
	if (!e) {
		if (c->n >= s->limits.max_pmtu_entries) {
			if (!c->n)
				return;
			/* evict the entry closest to aging out */
			uint32_t victim = 0;
			for (uint32_t i = 1; i < c->n; i++)
				if (c->v[i].expires < c->v[victim].expires)
					victim = i;
			COUNT(s, PMTU_EVICTED);
			c->v[victim] = c->v[--c->n];
		}
		if (c->n == c->cap) {
			uint32_t cap = c->cap ? c->cap * 2 : 16;
			struct pmtu_entry *v = realloc(c->v, cap * sizeof(*v));
			if (!v)
				return;
			c->v = v;
			c->cap = cap;
		}
		e = &c->v[c->n++];
		e->dst = *dst;
		e->zone = zone;
	}
	e->mtu = mtu;
	e->expires = s->now + IP6_PMTU_AGE_MS;
	COUNT(s, PMTU_UPDATES);
	char buf[ADDRSTRLEN];
	LOG_INFO(s, "path MTU to %s is now %u", addr_str(dst, buf), mtu);
}
