/*
 * fib6_radix.c - the prefix trie behind the FIB (see fib6_int.h): a path-compressed binary
 * trie keeping every prefix of one zone with its next hop. Updates go here first; fib6.c then
 * rebuilds the affected part of the Poptrie from it. Its lookup, one bit test per branching
 * node, is the classic BSD radix walk the benchmark compares against.
 */
#include <errno.h>
#include <stdlib.h>

#include "ip6/fib/fib6_int.h"

static struct fib6_rnode *rnode_new(struct fib6_radix *r, fib6_key key, unsigned plen,
				    uint32_t nexthop)
{
	struct fib6_rnode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->key = key & fib6_mask(plen);
	n->plen = (uint8_t)plen;
	n->nexthop = nexthop;
	r->nodes++;
	return n;
}

static unsigned common_len(fib6_key a, fib6_key b)
{
	fib6_key x = a ^ b;
	uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
	if (hi)
		return (unsigned)__builtin_clzll(hi);
	if (lo)
		return 64 + (unsigned)__builtin_clzll(lo);
	return 128;
}

static struct fib6_rnode **link_of(struct fib6_radix *r, struct fib6_rnode *n)
{
	struct fib6_rnode *p = n->parent;
	return p ? &p->child[fib6_bit(n->key, p->plen)] : &r->root;
}

int fib6_radix_insert(struct fib6_radix *r, fib6_key key, unsigned plen, uint32_t nexthop,
		      uint32_t *old)
{
	struct fib6_rnode **link = &r->root, *parent = NULL, *n;

	key &= fib6_mask(plen);
	while ((n = *link) != NULL) {
		if (n->plen > plen || ((key ^ n->key) & fib6_mask(n->plen)))
			break;
		if (n->plen == plen) {
			*old = n->nexthop;
			n->nexthop = nexthop;
			if (*old != FIB6_NONE)
				return 0;
			r->prefixes++;  /* a glue node becomes a prefix */
			return 1;
		}
		parent = n;
		link = &n->child[fib6_bit(key, n->plen)];
	}
	struct fib6_rnode *leaf = rnode_new(r, key, plen, nexthop);
	if (!leaf)
		return -ENOMEM;
	leaf->parent = parent;
	if (n) {
		unsigned d = common_len(key, n->key);
		if (d > plen)
			d = plen;
		if (d > n->plen)
			d = n->plen;
		if (d == plen) {
			/* the new prefix covers n: it slots in above it */
			leaf->child[fib6_bit(n->key, plen)] = n;
			n->parent = leaf;
		} else {
			struct fib6_rnode *glue = rnode_new(r, key, d, FIB6_NONE);
			if (!glue) {
				free(leaf);
				r->nodes--;
				return -ENOMEM;
			}
			glue->parent = parent;
			glue->child[fib6_bit(key, d)] = leaf;
			glue->child[fib6_bit(n->key, d)] = n;
			leaf->parent = glue;
			n->parent = glue;
			leaf = glue;
		}
	}
	*link = leaf;
	r->prefixes++;
	*old = FIB6_NONE;
	return 1;
}

int fib6_radix_delete(struct fib6_radix *r, fib6_key key, unsigned plen, uint32_t *old)
{
	struct fib6_rnode *n = r->root;

	key &= fib6_mask(plen);
	while (n && n->plen < plen && !((key ^ n->key) & fib6_mask(n->plen)))
		n = n->child[fib6_bit(key, n->plen)];
	if (!n || n->plen != plen || n->key != key || n->nexthop == FIB6_NONE)
		return -ENOENT;
	*old = n->nexthop;
	n->nexthop = FIB6_NONE;
	r->prefixes--;
	/* Drop nodes that no longer carry a prefix or part two branches. */
	while (n && n->nexthop == FIB6_NONE && !(n->child[0] && n->child[1])) {
		struct fib6_rnode *c = n->child[0] ? n->child[0] : n->child[1];
		struct fib6_rnode *p = n->parent;
		*link_of(r, n) = c;
		if (c)
			c->parent = p;
		free(n);
		r->nodes--;
		n = c ? NULL : p;  /* only a removed leaf can leave its parent with one branch */
	}
	return 0;
}

uint32_t fib6_radix_lookup(const struct fib6_radix *r, fib6_key key)
{
	const struct fib6_rnode *n = r->root;
	uint32_t best = FIB6_NONE;

	while (n && !((key ^ n->key) & fib6_mask(n->plen))) {
		if (n->nexthop != FIB6_NONE)
			best = n->nexthop;
		if (n->plen == 128)
			break;
		n = n->child[fib6_bit(key, n->plen)];
	}
	return best;
}

const struct fib6_rnode *fib6_radix_region(const struct fib6_radix *r, fib6_key key,
					   unsigned off, unsigned floor, uint32_t *inherit)
{
	const struct fib6_rnode *n = r->root;

	*inherit = FIB6_NONE;
	while (n && n->plen < off) {
		if ((key ^ n->key) & fib6_mask(n->plen))
			return NULL;
		if (n->nexthop != FIB6_NONE && n->plen >= floor)
			*inherit = n->nexthop;
		n = n->child[fib6_bit(key, n->plen)];
	}
	if (n && ((key ^ n->key) & fib6_mask(off)))
		return NULL;
	return n;
}

static void free_subtree(struct fib6_rnode *n)
{
	while (n) {
		free_subtree(n->child[0]);
		struct fib6_rnode *next = n->child[1];
		free(n);
		n = next;
	}
}

void fib6_radix_free(struct fib6_radix *r)
{
	free_subtree(r->root);
	r->root = NULL;
	r->prefixes = r->nodes = 0;
}
