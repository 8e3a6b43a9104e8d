/*
 * req.c - requests to and from messages. Which attributes each request needs is one table;
 * the daemon refuses a request that lacks one before it touches the stack.
 */
#include <errno.h>
#include <string.h>

#include "ctl/ra_msg.h"
#include "ctl/req.h"

#define BIT(a) (1ull << (a))

struct req_row {
	uint16_t type;
	uint64_t required;
	uint64_t allowed;   /* attributes the request uses (others are ignored) */
};

static const struct req_row req_rows[] = {
	{ CTL_MSG_LINK_LIST, 0, BIT(A_IFNAME) },
	{ CTL_MSG_ADDR_LIST, 0, BIT(A_IFNAME) },
	{ CTL_MSG_ADDR_ADD, BIT(A_ADDR) | BIT(A_PREFIXLEN) | BIT(A_IFNAME), 0 },
	{ CTL_MSG_ADDR_DEL, BIT(A_ADDR) | BIT(A_PREFIXLEN) | BIT(A_IFNAME), 0 },
	{ CTL_MSG_ROUTE_LIST, 0, 0 },
	{ CTL_MSG_ROUTE_ADD, BIT(A_ADDR) | BIT(A_PREFIXLEN),
	  BIT(A_GATEWAY) | BIT(A_GW_IFNAME) | BIT(A_IFNAME) | BIT(A_METRIC) | BIT(A_NEXTHOPS) |
	  BIT(A_RTTYPE) },
	{ CTL_MSG_ROUTE_DEL, BIT(A_ADDR) | BIT(A_PREFIXLEN),
	  BIT(A_GATEWAY) | BIT(A_GW_IFNAME) | BIT(A_IFNAME) },
	{ CTL_MSG_NEIGH_LIST, 0, BIT(A_IFNAME) },
	{ CTL_MSG_NEIGH_ADD, BIT(A_ADDR) | BIT(A_LLADDR) | BIT(A_IFNAME), BIT(A_ROUTER) },
	{ CTL_MSG_NEIGH_DEL, BIT(A_ADDR) | BIT(A_IFNAME), 0 },
	{ CTL_MSG_NEIGH_FLUSH, 0, BIT(A_IFNAME) },
	{ CTL_MSG_CONF_LIST, 0, BIT(A_IFNAME) | BIT(A_SCOPE) },
	{ CTL_MSG_CONF_GET, BIT(A_KEY), BIT(A_IFNAME) | BIT(A_SCOPE) },
	{ CTL_MSG_CONF_SET, BIT(A_KEY) | BIT(A_VALUE), BIT(A_IFNAME) | BIT(A_SCOPE) },
	{ CTL_MSG_STATS, 0, 0 },
	{ CTL_MSG_RA_SET, BIT(A_IFNAME) | BIT(A_RA_CONF), 0 },
	{ CTL_MSG_RA_DEL, BIT(A_IFNAME), 0 },
	{ CTL_MSG_RA_LIST, 0, BIT(A_IFNAME) },
};

static const struct req_row *find_row(uint16_t type)
{
	for (size_t i = 0; i < sizeof(req_rows) / sizeof(req_rows[0]); i++)
		if (req_rows[i].type == type)
			return &req_rows[i];
	return NULL;
}

static const char *const attr_names[A__COUNT] = {
	[A_IFNAME] = "interface", [A_ADDR] = "address", [A_PREFIXLEN] = "prefix length",
	[A_LLADDR] = "link-layer address", [A_KEY] = "key", [A_VALUE] = "value",
	[A_RA_CONF] = "RA configuration",
};

int ctl_req_encode(const struct ctl_req *r, uint32_t seq, uint8_t *buf, size_t cap)
{
	const struct req_row *row = find_row(r->type);
	if (!row)
		return -1;
	uint64_t use = row->required | row->allowed;
	struct ctl_builder b;
	ctl_build_begin(&b, buf, cap, r->type, CTL_F_REQUEST, seq);
	if ((use & BIT(A_IFNAME)) && r->ifname[0])
		ctl_put_str(&b, A_IFNAME, r->ifname);
	/* conf: A_SCOPE marks "global" (the stack-wide limits), as opposed to "every
	 * interface" (list) or a missing target */
	if ((use & BIT(A_SCOPE)) && r->global)
		ctl_put_u8(&b, A_SCOPE, 0);
	if ((use & BIT(A_ADDR)) && (r->has_addr || (row->required & BIT(A_ADDR))))
		ctl_put(&b, A_ADDR, &r->addr, 16);
	if (use & BIT(A_PREFIXLEN))
		ctl_put_u8(&b, A_PREFIXLEN, r->prefixlen);
	if ((use & BIT(A_GATEWAY)) && r->has_gateway)
		ctl_put(&b, A_GATEWAY, &r->gateway, 16);
	if ((use & BIT(A_GW_IFNAME)) && r->gw_ifname[0])
		ctl_put_str(&b, A_GW_IFNAME, r->gw_ifname);
	if ((use & BIT(A_METRIC)) && r->has_metric)
		ctl_put_u32(&b, A_METRIC, r->metric);
	if (use & BIT(A_LLADDR))
		ctl_put(&b, A_LLADDR, r->lladdr, 6);
	if ((use & BIT(A_ROUTER)) && r->router)
		ctl_put_u8(&b, A_ROUTER, 1);
	if (use & BIT(A_KEY))
		ctl_put_str(&b, A_KEY, r->key);
	if (use & BIT(A_VALUE))
		ctl_put_s64(&b, A_VALUE, r->value);
	if ((use & BIT(A_NEXTHOPS)) && r->n_nexthops) {
		uint8_t nh[CTL_MAX_NEXTHOPS * CTL_NEXTHOP_LEN] = { 0 };
		for (unsigned i = 0; i < r->n_nexthops && i < CTL_MAX_NEXTHOPS; i++) {
			memcpy(nh + i * CTL_NEXTHOP_LEN, &r->nexthop[i], 16);
			memcpy(nh + i * CTL_NEXTHOP_LEN + 16, r->nexthop_ifname[i], CTL_IFNAMSIZ);
		}
		unsigned n = r->n_nexthops < CTL_MAX_NEXTHOPS ? r->n_nexthops : CTL_MAX_NEXTHOPS;
		ctl_put(&b, A_NEXTHOPS, nh, n * CTL_NEXTHOP_LEN);
	}
	if ((use & BIT(A_RTTYPE)) && r->rttype)
		ctl_put_u8(&b, A_RTTYPE, r->rttype);
	if (use & BIT(A_RA_CONF)) {
		uint8_t ra[CTL_RA_CONF_MAX];
		int n = ctl_ra_encode(&r->ra, ra, sizeof(ra));
		if (n < 0)
			return -1;
		ctl_put(&b, A_RA_CONF, ra, (size_t)n);
	}
	return ctl_build_end(&b);
}

static void copy_str(char *dst, size_t size, const char *src)
{
	if (!src) {
		dst[0] = 0;
		return;
	}
	strncpy(dst, src, size - 1);
	dst[size - 1] = 0;
}

/* A name that does not fit an interface name cannot name an interface; say so instead of
 * truncating it into another one. */
static bool name_fits(const struct ctl_msg *m, int type)
{
	const char *s = ctl_get_str(m, type);
	return !s || strlen(s) < CTL_IFNAMSIZ;
}

int ctl_req_decode(const struct ctl_msg *m, struct ctl_req *r, const char **why)
{
	static const char *unused;
	if (!why)
		why = &unused;
	*why = NULL;
	memset(r, 0, sizeof(*r));
	const struct req_row *row = find_row(m->hdr.type);
	if (!row || !(m->hdr.flags & CTL_F_REQUEST)) {
		*why = "not a request";
		return -EOPNOTSUPP;
	}
	for (int a = 1; a < A__COUNT; a++)
		if ((row->required & BIT(a)) && !m->attr[a].present) {
			*why = attr_names[a] ? attr_names[a] : "attribute";
			return -EINVAL;
		}
	r->type = m->hdr.type;

	if (!name_fits(m, A_IFNAME) || !name_fits(m, A_GW_IFNAME)) {
		*why = "interface name too long";
		return -EINVAL;
	}
	copy_str(r->ifname, sizeof(r->ifname), ctl_get_str(m, A_IFNAME));
	copy_str(r->gw_ifname, sizeof(r->gw_ifname), ctl_get_str(m, A_GW_IFNAME));
	r->global = m->attr[A_SCOPE].present;

	const uint8_t *p;
	if ((p = ctl_get_bytes(m, A_ADDR))) {
		memcpy(&r->addr, p, 16);
		r->has_addr = true;
	}
	if ((p = ctl_get_bytes(m, A_GATEWAY))) {
		memcpy(&r->gateway, p, 16);
		r->has_gateway = true;
	}
	if ((p = ctl_get_bytes(m, A_LLADDR)))
		memcpy(r->lladdr, p, 6);
	ctl_get_u8(m, A_PREFIXLEN, &r->prefixlen);
	if (r->prefixlen > 128) {
		*why = "prefix length";
		return -EINVAL;
	}
	r->has_metric = ctl_get_u32(m, A_METRIC, &r->metric);
	uint8_t u8 = 0;
	if (ctl_get_u8(m, A_ROUTER, &u8))
		r->router = u8 != 0;
	const char *key = ctl_get_str(m, A_KEY);
	if (key && strlen(key) >= CTL_KEYSIZ) {
		*why = "key";
		return -EINVAL;
	}
	copy_str(r->key, sizeof(r->key), key);
	ctl_get_s64(m, A_VALUE, &r->value);
	ctl_get_u8(m, A_RTTYPE, &r->rttype);
	if (m->attr[A_NEXTHOPS].present) {
		const struct ctl_attr_ref *a = &m->attr[A_NEXTHOPS];
		if (a->len % CTL_NEXTHOP_LEN || a->len / CTL_NEXTHOP_LEN > CTL_MAX_NEXTHOPS) {
			*why = "next hops";
			return -EINVAL;
		}
		r->n_nexthops = a->len / CTL_NEXTHOP_LEN;
		for (unsigned i = 0; i < r->n_nexthops; i++) {
			const uint8_t *q = a->value + i * CTL_NEXTHOP_LEN;
			memcpy(&r->nexthop[i], q, 16);
			if (!memchr(q + 16, 0, CTL_IFNAMSIZ)) {
				*why = "next hop interface";
				return -EINVAL;
			}
			memcpy(r->nexthop_ifname[i], q + 16, CTL_IFNAMSIZ);
		}
	}
	if (m->attr[A_RA_CONF].present &&
	    ctl_ra_decode(m->attr[A_RA_CONF].value, m->attr[A_RA_CONF].len, &r->ra)) {
		*why = "RA configuration";
		return -EINVAL;
	}
	return 0;
}
