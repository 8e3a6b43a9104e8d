/*
 * mld6_filter.c - the per-interface source filter of a group (RFC 3810 4.2) and the
 * per-source retransmission state of its state-change reports (RFC 3810 6.1), as counts
 * per source. See mld6_filter.h for the rules; ip6/mld6.c is the only user besides tests.
 *
 * The table grows on the control path only (joins, leaves, filter changes), never while a
 * packet is handled, and never past the limit the caller gives (max_group_sources).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ip6/mld6_filter.h"

void mld_srcset_free(struct mld_srcset *set)
{
	free(set->v);
	memset(set, 0, sizeof(*set));
}

uint8_t mld_srcset_mode(const struct mld_srcset *set)
{
	return set->n_exclude_listeners ? MLD_FILTER_EXCLUDE : MLD_FILTER_INCLUDE;
}

bool mld_srcset_in_list(const struct mld_srcset *set, const struct mld_source *e)
{
	/* RFC 3810 4.2: EXCLUDE: the intersection of the EXCLUDE lists minus the INCLUDE
	 * lists; INCLUDE: the union of the INCLUDE lists */
	if (set->n_exclude_listeners)
		return e->n_exclude == set->n_exclude_listeners && e->n_include == 0;
	return e->n_include > 0;
}

bool mld_srcset_listens(const struct mld_srcset *set, const struct mld_source *e)
{
	bool in = mld_srcset_in_list(set, e);
	return set->n_exclude_listeners ? !in : in;
}

bool mld_srcset_listened(const struct mld_srcset *set)
{
	return set->n_exclude_listeners || set->n_include_listeners;
}

static struct mld_source *find(const struct mld_srcset *set, const struct in6_addr *a)
{
	for (uint32_t i = 0; i < set->n; i++)
		if (IN6_ARE_ADDR_EQUAL(&set->v[i].addr, a))
			return &set->v[i];
	return NULL;
}

bool mld_srcset_passes(const struct mld_srcset *set, const struct in6_addr *src)
{
	const struct mld_source *e = find(set, src);
	if (e)
		return mld_srcset_listens(set, e);
	/* a source nobody names: listened to exactly in EXCLUDE mode */
	return set->n_exclude_listeners > 0;
}

static int grow(struct mld_srcset *set, uint32_t want)
{
	if (want <= set->cap)
		return 0;
	uint32_t cap = set->cap ? set->cap : 4;
	while (cap < want)
		cap *= 2;
	struct mld_source *v = realloc(set->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	set->v = v;
	set->cap = cap;
	return 0;
}

static void count(struct mld_srcset *set, const struct mld_filter *f, int sign)
{
	if (f->mode == MLD_FILTER_EXCLUDE)
		set->n_exclude_listeners += (uint32_t)sign;
	else if (f->nsrcs)
		set->n_include_listeners += (uint32_t)sign;
	for (uint16_t i = 0; i < f->nsrcs; i++) {
		struct mld_source *e = find(set, &f->srcs[i]);
		if (!e) {
			/* room was made by mld_srcset_update */
			e = &set->v[set->n++];
			memset(e, 0, sizeof(*e));
			e->addr = f->srcs[i];
		}
		uint32_t *c = f->mode == MLD_FILTER_EXCLUDE ? &e->n_exclude : &e->n_include;
		*c += (uint32_t)sign;
	}
}

int mld_srcset_update(struct mld_srcset *set, const struct mld_filter *old,
		      const struct mld_filter *new, uint32_t limit)
{
	uint32_t fresh = 0;
	for (uint16_t i = 0; i < new->nsrcs; i++)
		if (!find(set, &new->srcs[i]))
			fresh++;
	if (set->n + fresh > limit)
		return -ENOBUFS;
	if (grow(set, set->n + fresh))
		return -ENOMEM;
	set->was_mode = mld_srcset_mode(set);
	for (uint32_t i = 0; i < set->n; i++)
		set->v[i].was = mld_srcset_in_list(set, &set->v[i]);
	count(set, old, -1);
	count(set, new, +1);   /* new entries start with was = false: not in the list before */
	return 0;
}

bool mld_srcset_mark(struct mld_srcset *set, uint8_t robustness, uint8_t *mode_rexmit)
{
	uint8_t mode = mld_srcset_mode(set);
	if (mode != set->was_mode) {
		*mode_rexmit = robustness;
		mld_srcset_clear_pending(set);
		return true;
	}
	bool changed = false;
	for (uint32_t i = 0; i < set->n; i++) {
		struct mld_source *e = &set->v[i];
		if (mld_srcset_in_list(set, e) != e->was) {
			e->rexmit = robustness;
			changed = true;
		}
	}
	return changed;
}

bool mld_srcset_pending(const struct mld_srcset *set)
{
	for (uint32_t i = 0; i < set->n; i++)
		if (set->v[i].rexmit)
			return true;
	return false;
}

void mld_srcset_tick(struct mld_srcset *set)
{
	for (uint32_t i = 0; i < set->n; i++)
		if (set->v[i].rexmit)
			set->v[i].rexmit--;
}

void mld_srcset_clear_pending(struct mld_srcset *set)
{
	for (uint32_t i = 0; i < set->n; i++)
		set->v[i].rexmit = 0;
}

void mld_srcset_gc(struct mld_srcset *set)
{
	uint32_t j = 0;
	for (uint32_t i = 0; i < set->n; i++) {
		const struct mld_source *e = &set->v[i];
		if (e->n_include || e->n_exclude || e->rexmit)
			set->v[j++] = *e;
	}
	set->n = j;
}

static bool picked(const struct mld_srcset *set, const struct mld_source *e, enum mld_pick k)
{
	switch (k) {
	case MLD_PICK_LIST:
		return mld_srcset_in_list(set, e);
	case MLD_PICK_ALLOW:
		return e->rexmit && mld_srcset_listens(set, e);
	case MLD_PICK_BLOCK:
		return e->rexmit && !mld_srcset_listens(set, e);
	}
	return false;
}

uint16_t mld_srcset_pick(const struct mld_srcset *set, enum mld_pick k, uint32_t *cursor,
			 struct in6_addr *out, uint16_t max)
{
	uint16_t n = 0;
	uint32_t i = *cursor;
	for (; i < set->n && n < max; i++)
		if (picked(set, &set->v[i], k))
			out[n++] = set->v[i].addr;
	*cursor = i;
	return n;
}

uint32_t mld_srcset_count(const struct mld_srcset *set, enum mld_pick k)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < set->n; i++)
		if (picked(set, &set->v[i], k))
			n++;
	return n;
}

void mld_srcset_mark_list(struct mld_srcset *set, uint8_t robustness)
{
	for (uint32_t i = 0; i < set->n; i++)
		if (mld_srcset_in_list(set, &set->v[i]))
			set->v[i].rexmit = robustness;
}
