/*
 * ra_msg.c - the A_RA_CONF codec (layout in ra_msg.h): every read checked against the end.
 */
#include <string.h>

#include "ctl/ra_msg.h"

struct cur {
	uint8_t *w;
	const uint8_t *r, *end;
	bool fail;
};

static void put(struct cur *c, const void *v, size_t n)
{
	if (c->fail || (size_t)(c->end - c->w) < n) {
		c->fail = true;
		return;
	}
	memcpy(c->w, v, n);
	c->w += n;
}

static void put8(struct cur *c, uint8_t v) { put(c, &v, 1); }

static void put32(struct cur *c, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	put(c, b, 4);
}

static bool get(struct cur *c, void *v, size_t n)
{
	if (c->fail || (size_t)(c->end - c->r) < n) {
		c->fail = true;
		return false;
	}
	memcpy(v, c->r, n);
	c->r += n;
	return true;
}

static uint8_t get8(struct cur *c)
{
	uint8_t v = 0;
	get(c, &v, 1);
	return v;
}

static uint32_t get32(struct cur *c)
{
	uint8_t b[4] = { 0 };
	get(c, b, 4);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int ctl_ra_encode(const struct umk_ra_config *c, uint8_t *buf, size_t cap)
{
	struct cur k = { .w = buf, .end = buf + cap };
	if (c->n_prefix > UMK_RA_MAX_PREFIXES || c->n_route > UMK_RA_MAX_ROUTES ||
	    c->n_rdnss > UMK_RA_MAX_RDNSS || c->n_dnssl > UMK_RA_MAX_DNSSL)
		return -1;
	put32(&k, c->min_interval);
	put32(&k, c->max_interval);
	put32(&k, c->router_lifetime);
	put32(&k, c->link_mtu);
	put32(&k, c->reachable_time);
	put32(&k, c->retrans_timer);
	put32(&k, c->dns_lifetime);
	put8(&k, (uint8_t)((c->managed ? 0x80 : 0) | (c->other ? 0x40 : 0) |
			   (c->unicast_solicited ? 0x20 : 0)));
	put8(&k, (uint8_t)c->pref);
	put8(&k, c->cur_hop_limit);
	put8(&k, (uint8_t)c->n_prefix);
	put8(&k, (uint8_t)c->n_route);
	put8(&k, (uint8_t)c->n_rdnss);
	put8(&k, (uint8_t)c->n_dnssl);
	for (unsigned i = 0; i < c->n_prefix; i++) {
		const struct umk_ra_prefix *p = &c->prefix[i];
		put(&k, &p->prefix, 16);
		put8(&k, p->plen);
		put8(&k, (uint8_t)((p->on_link ? 0x80 : 0) | (p->autonomous ? 0x40 : 0)));
		put32(&k, p->valid_lft);
		put32(&k, p->preferred_lft);
	}
	for (unsigned i = 0; i < c->n_route; i++) {
		const struct umk_ra_route *r = &c->route[i];
		put(&k, &r->prefix, 16);
		put8(&k, r->plen);
		put8(&k, (uint8_t)r->pref);
		put32(&k, r->lifetime);
	}
	for (unsigned i = 0; i < c->n_rdnss; i++)
		put(&k, &c->rdnss[i], 16);
	for (unsigned i = 0; i < c->n_dnssl; i++) {
		size_t n = strnlen(c->dnssl[i], UMK_RA_NAME_MAX + 1);
		if (n > UMK_RA_NAME_MAX)
			return -1;
		put8(&k, (uint8_t)n);
		put(&k, c->dnssl[i], n);
	}
	return k.fail ? -1 : (int)(k.w - buf);
}

int ctl_ra_decode(const uint8_t *buf, size_t len, struct umk_ra_config *c)
{
	struct cur k = { .r = buf, .end = buf + len };
	memset(c, 0, sizeof(*c));
	c->min_interval = get32(&k);
	c->max_interval = get32(&k);
	c->router_lifetime = get32(&k);
	c->link_mtu = get32(&k);
	c->reachable_time = get32(&k);
	c->retrans_timer = get32(&k);
	c->dns_lifetime = get32(&k);
	uint8_t f = get8(&k);
	c->managed = f & 0x80;
	c->other = f & 0x40;
	c->unicast_solicited = f & 0x20;
	c->pref = (int8_t)get8(&k);
	c->cur_hop_limit = get8(&k);
	c->n_prefix = get8(&k);
	c->n_route = get8(&k);
	c->n_rdnss = get8(&k);
	c->n_dnssl = get8(&k);
	if (k.fail || c->n_prefix > UMK_RA_MAX_PREFIXES || c->n_route > UMK_RA_MAX_ROUTES ||
	    c->n_rdnss > UMK_RA_MAX_RDNSS || c->n_dnssl > UMK_RA_MAX_DNSSL)
		return -1;
	for (unsigned i = 0; i < c->n_prefix; i++) {
		struct umk_ra_prefix *p = &c->prefix[i];
		get(&k, &p->prefix, 16);
		p->plen = get8(&k);
		uint8_t pf = get8(&k);
		p->on_link = pf & 0x80;
		p->autonomous = pf & 0x40;
		p->valid_lft = get32(&k);
		p->preferred_lft = get32(&k);
	}
	for (unsigned i = 0; i < c->n_route; i++) {
		struct umk_ra_route *r = &c->route[i];
		get(&k, &r->prefix, 16);
		r->plen = get8(&k);
		r->pref = (int8_t)get8(&k);
		r->lifetime = get32(&k);
	}
	for (unsigned i = 0; i < c->n_rdnss; i++)
		get(&k, &c->rdnss[i], 16);
	for (unsigned i = 0; i < c->n_dnssl; i++) {
		uint8_t n = get8(&k);
		if (n > UMK_RA_NAME_MAX || !get(&k, c->dnssl[i], n))
			return -1;
		/* a NUL inside would cut the name short of its length (found by
		 * fuzz_ra_msg: such a name did not encode back to itself) */
		if (memchr(c->dnssl[i], 0, n))
			return -1;
		c->dnssl[i][n] = 0;
	}
	return k.fail || k.r != k.end ? -1 : 0;
}
