/*
 * cmd.c - the `umk` grammar (see cmd.h): one table row per OBJECT COMMAND, each with the
 * function that reads its arguments. Keywords follow iproute2 (dev, via, metric, lladdr) so a
 * line reads like `ip -6`; ping takes iputils' options.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/cmd.h"

/* The words after OBJECT COMMAND, consumed left to right. */
struct words {
	int argc, i;
	char *const *argv;
	char *err;
	size_t errlen;
};

static int fail(struct words *w, const char *fmt, const char *arg)
{
	snprintf(w->err, w->errlen, fmt, arg);
	return -1;
}

static const char *next(struct words *w) { return w->i < w->argc ? w->argv[w->i++] : NULL; }
static bool more(const struct words *w) { return w->i < w->argc; }

/* The value of a keyword such as `dev`: missing is an error naming the keyword. */
static const char *value_of(struct words *w, const char *kw)
{
	const char *v = next(w);
	if (!v)
		fail(w, "\"%s\" needs an argument", kw);
	return v;
}

bool ctl_parse_addr(const char *text, struct in6_addr *a, char zone[CTL_IFNAMSIZ])
{
	char buf[INET6_ADDRSTRLEN + CTL_IFNAMSIZ];
	if (strlen(text) >= sizeof(buf))
		return false;
	strcpy(buf, text);
	char *pct = strchr(buf, '%');
	zone[0] = 0;
	if (pct) {
		*pct = 0;
		if (!pct[1] || strlen(pct + 1) >= CTL_IFNAMSIZ)
			return false;
		strcpy(zone, pct + 1);
	}
	return inet_pton(AF_INET6, buf, a) == 1;
}

bool ctl_parse_mac(const char *text, uint8_t mac[6])
{
	unsigned v[6];
	char end;
	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return strlen(text) == 17;
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
	if (!*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	unsigned long x = strtoul(s, &end, 10);
	if (errno || *end || x > max)
		return false;
	*v = x;
	return true;
}

static bool parse_seconds(const char *s, double *v)
{
	if (!*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return false;
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (errno || *end || !isfinite(x) || x < 0 || x > 86400.0 * 365)
		return false;
	*v = x;
	return true;
}

static bool is_link_local(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80;
}

static bool is_multicast_ll(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff && (a->s6_addr[1] & 0x0f) <= 2;
}

static int set_ifname(struct words *w, char dst[CTL_IFNAMSIZ], const char *name)
{
	if (!name[0] || strlen(name) >= CTL_IFNAMSIZ)
		return fail(w, "invalid interface name \"%s\"", name);
	if (dst[0] && strcmp(dst, name) != 0)
		return fail(w, "conflicting interfaces for \"%s\"", name);
	strcpy(dst, name);
	return 0;
}

/* A dotted IPv4 address as it travels in the control protocol: IPv4-mapped (RFC 4291
 * 2.5.5.2), with IPv4 prefix lengths (0..32) beside it. */
static bool parse_ip4_mapped(const char *text, struct in6_addr *a)
{
	struct in_addr v4;
	if (inet_pton(AF_INET, text, &v4) != 1)
		return false;
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(a->s6_addr + 12, &v4, 4);
	return true;
}

/* ADDR[%IF][/PLEN]: the zone, if any, becomes the interface. An IPv4 address (ip4/) is
 * read IPv4-mapped with a prefix length of at most 32 (default 32). */
static int read_prefix(struct words *w, struct ctl_req *r, const char *text, bool need_plen,
		       unsigned default_plen)
{
	char buf[INET6_ADDRSTRLEN + CTL_IFNAMSIZ + 8], zone[CTL_IFNAMSIZ];
	if (strlen(text) >= sizeof(buf))
		return fail(w, "invalid address \"%s\"", text);
	strcpy(buf, text);
	char *slash = strchr(buf, '/');
	unsigned long plen = default_plen;
	if (slash) {
		*slash = 0;
		if (!parse_ulong(slash + 1, 128, &plen))
			return fail(w, "invalid prefix length in \"%s\"", text);
	} else if (need_plen) {
		return fail(w, "missing prefix length in \"%s\"", text);
	}
	if (parse_ip4_mapped(buf, &r->addr)) {
		if (!slash)
			plen = 32;
		else if (plen > 32)
			return fail(w, "invalid prefix length in \"%s\"", text);
		r->has_addr = true;
		r->prefixlen = (uint8_t)plen;
		return 0;
	}
	if (!ctl_parse_addr(buf, &r->addr, zone))
		return fail(w, "invalid address \"%s\"", text);
	if (zone[0] && set_ifname(w, r->ifname, zone))
		return -1;
	r->has_addr = true;
	r->prefixlen = (uint8_t)plen;
	return 0;
}

/* Like `ip -6 route`: a prefix must not have bits set past its length. */
static bool host_bits_clear(const struct in6_addr *a, unsigned plen)
{
	for (unsigned bit = plen; bit < 128; bit++)
		if (a->s6_addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

/* [dev] IF as the only optional argument of a show/flush. */
static int read_optional_dev(struct words *w, struct ctl_req *r)
{
	const char *a = next(w);
	if (!a)
		return 0;
	if (strcmp(a, "dev") == 0 && !(a = value_of(w, "dev")))
		return -1;
	if (set_ifname(w, r->ifname, a))
		return -1;
	if (more(w))
		return fail(w, "unexpected argument \"%s\"", next(w));
	return 0;
}

static int need_dev(struct words *w, struct ctl_req *r)
{
	if (!r->ifname[0])
		return fail(w, "%s", "missing \"dev IF\"");
	return 0;
}

/* ---- one function per OBJECT COMMAND ---- */

static int link_show(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_LINK_LIST;
	return read_optional_dev(w, &c->req);
}

static int addr_show(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_ADDR_LIST;
	return read_optional_dev(w, &c->req);
}

static int addr_change(struct words *w, struct ctl_cmd *c, uint16_t type)
{
	struct ctl_req *r = &c->req;
	r->type = type;
	const char *a = next(w);
	if (!a)
		return fail(w, "%s", "missing address");
	if (read_prefix(w, r, a, false, 128))
		return -1;
	while (more(w)) {
		const char *kw = next(w);
		if (strcmp(kw, "dev") == 0) {
			const char *v = value_of(w, kw);
			if (!v || set_ifname(w, r->ifname, v))
				return -1;
		} else {
			return fail(w, "unexpected argument \"%s\"", kw);
		}
	}
	return need_dev(w, r);
}

static int addr_add(struct words *w, struct ctl_cmd *c) { return addr_change(w, c, CTL_MSG_ADDR_ADD); }
static int addr_del(struct words *w, struct ctl_cmd *c) { return addr_change(w, c, CTL_MSG_ADDR_DEL); }

static int route_show(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_ROUTE_LIST;
	if (more(w))
		return fail(w, "unexpected argument \"%s\"", next(w));
	return 0;
}

static int route_change(struct words *w, struct ctl_cmd *c, uint16_t type)
{
	struct ctl_req *r = &c->req;
	r->type = type;
	const char *a = next(w);
	if (!a)
		return fail(w, "%s", "missing prefix");
	if (strcmp(a, "default") == 0) {
		memset(&r->addr, 0, sizeof(r->addr));
		r->prefixlen = 0;
		r->has_addr = true;
	} else {
		if (read_prefix(w, r, a, false, 128))
			return -1;
		bool v4 = IN6_IS_ADDR_V4MAPPED(&r->addr);
		if (!host_bits_clear(&r->addr, r->prefixlen + (v4 ? 96u : 0u)))
			return fail(w, "invalid prefix \"%s\": bits set past the prefix length", a);
	}
	bool v4 = IN6_IS_ADDR_V4MAPPED(&r->addr);
	while (more(w)) {
		const char *kw = next(w);
		/* iproute2's spelling of ECMP: nexthop via GW [dev IF] nexthop via ... */
		if (strcmp(kw, "nexthop") == 0 && type == CTL_MSG_ROUTE_ADD)
			continue;
		if ((strcmp(kw, "reject") == 0 || strcmp(kw, "blackhole") == 0) &&
		    type == CTL_MSG_ROUTE_ADD) {
			r->rttype = kw[0] == 'r' ? 1 : 2;   /* RT6_REJECT, RT6_BLACKHOLE */
			continue;
		}
		const char *v = value_of(w, kw);
		if (!v)
			return -1;
		if (strcmp(kw, "dev") == 0 && r->n_nexthops) {
			/* after a further via: that next hop's interface */
			char *nd = r->nexthop_ifname[r->n_nexthops - 1];
			if (!v[0] || strlen(v) >= CTL_IFNAMSIZ)
				return fail(w, "invalid interface name \"%s\"", v);
			strcpy(nd, v);
		} else if (strcmp(kw, "dev") == 0) {
			if (set_ifname(w, r->ifname, v))
				return -1;
		} else if (strcmp(kw, "via") == 0) {
			if (r->has_gateway && type == CTL_MSG_ROUTE_ADD) {
				/* ECMP: each further via is one more next hop */
				if (r->n_nexthops == CTL_MAX_NEXTHOPS)
					return fail(w, "%s", "too many next hops");
				unsigned i = r->n_nexthops++;
				if (!ctl_parse_addr(v, &r->nexthop[i], r->nexthop_ifname[i]))
					return fail(w, "invalid gateway \"%s\"", v);
				if (is_link_local(&r->nexthop[i]) && !r->nexthop_ifname[i][0] &&
				    !r->ifname[0])
					return fail(w, "link-local gateway \"%s\" needs a zone", v);
				if (!r->nexthop_ifname[i][0] && is_link_local(&r->nexthop[i]))
					strcpy(r->nexthop_ifname[i], r->ifname);
				continue;
			}
			if (r->has_gateway)
				return fail(w, "%s", "repeated \"via\"");
			if (v4 ? !parse_ip4_mapped(v, &r->gateway)
			       : !ctl_parse_addr(v, &r->gateway, r->gw_ifname))
				return fail(w, "invalid gateway \"%s\"", v);
			r->has_gateway = true;
		} else if (strcmp(kw, "metric") == 0 && type == CTL_MSG_ROUTE_ADD) {
			unsigned long m;
			if (!parse_ulong(v, UINT32_MAX, &m))
				return fail(w, "invalid metric \"%s\"", v);
			r->metric = (uint32_t)m;
			r->has_metric = true;
		} else {
			return fail(w, "unexpected argument \"%s\"", kw);
		}
	}
	if (r->has_gateway && is_link_local(&r->gateway)) {
		/* RFC 4007 6: a link-local gateway means nothing without its link */
		if (!r->gw_ifname[0] && !r->ifname[0])
			return fail(w, "%s", "link-local gateway needs a zone: via ADDR%IF or dev IF");
		if (r->gw_ifname[0] && r->ifname[0] && strcmp(r->gw_ifname, r->ifname) != 0)
			return fail(w, "gateway zone \"%s\" differs from dev", r->gw_ifname);
	}
	if (!r->has_gateway && !r->ifname[0] && !r->rttype)
		return fail(w, "%s", "missing \"via GW\" or \"dev IF\"");
	if (r->rttype && (r->has_gateway || r->n_nexthops))
		return fail(w, "%s", "a reject or blackhole route has no gateway");
	if (v4 && (r->rttype || r->n_nexthops))
		return fail(w, "%s", "ECMP, reject and blackhole routes are IPv6 only");
	return 0;
}

static int route_add(struct words *w, struct ctl_cmd *c) { return route_change(w, c, CTL_MSG_ROUTE_ADD); }
static int route_del(struct words *w, struct ctl_cmd *c) { return route_change(w, c, CTL_MSG_ROUTE_DEL); }

static int neigh_show(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_NEIGH_LIST;
	return read_optional_dev(w, &c->req);
}

static int neigh_flush(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_NEIGH_FLUSH;
	const char *a = w->i < w->argc ? w->argv[w->i] : NULL;
	if (a && strcmp(a, "all") == 0) {
		w->i++;
		if (more(w))
			return fail(w, "unexpected argument \"%s\"", next(w));
		return 0;
	}
	return read_optional_dev(w, &c->req);
}

static int neigh_change(struct words *w, struct ctl_cmd *c, uint16_t type)
{
	struct ctl_req *r = &c->req;
	r->type = type;
	const char *a = next(w);
	char zone[CTL_IFNAMSIZ];
	if (!a)
		return fail(w, "%s", "missing address");
	if (!ctl_parse_addr(a, &r->addr, zone))
		return fail(w, "invalid address \"%s\"", a);
	if (zone[0] && set_ifname(w, r->ifname, zone))
		return -1;
	r->has_addr = true;
	bool have_ll = false;
	while (more(w)) {
		const char *kw = next(w);
		if (strcmp(kw, "router") == 0 && type == CTL_MSG_NEIGH_ADD) {
			r->router = true;
			continue;
		}
		const char *v = value_of(w, kw);
		if (!v)
			return -1;
		if (strcmp(kw, "dev") == 0) {
			if (set_ifname(w, r->ifname, v))
				return -1;
		} else if (strcmp(kw, "lladdr") == 0 && type == CTL_MSG_NEIGH_ADD) {
			if (!ctl_parse_mac(v, r->lladdr))
				return fail(w, "invalid link-layer address \"%s\"", v);
			have_ll = true;
		} else {
			return fail(w, "unexpected argument \"%s\"", kw);
		}
	}
	if (type == CTL_MSG_NEIGH_ADD && !have_ll)
		return fail(w, "%s", "missing \"lladdr MAC\"");
	return need_dev(w, r);
}

static int neigh_add(struct words *w, struct ctl_cmd *c) { return neigh_change(w, c, CTL_MSG_NEIGH_ADD); }
static int neigh_del(struct words *w, struct ctl_cmd *c) { return neigh_change(w, c, CTL_MSG_NEIGH_DEL); }

/* IF or "global" */
static int conf_target(struct words *w, struct ctl_req *r, const char *t)
{
	if (strcmp(t, "global") == 0) {
		r->global = true;
		return 0;
	}
	return set_ifname(w, r->ifname, t);
}

static int conf_key(struct words *w, struct ctl_req *r, const char *k)
{
	if (!k[0] || strlen(k) >= CTL_KEYSIZ)
		return fail(w, "invalid key \"%s\"", k);
	strcpy(r->key, k);
	return 0;
}

static int conf_show(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_CONF_LIST;
	const char *t = next(w);
	if (t && conf_target(w, &c->req, t))
		return -1;
	if (more(w))
		return fail(w, "unexpected argument \"%s\"", next(w));
	return 0;
}

static int conf_get(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_CONF_GET;
	const char *t = next(w), *k = next(w);
	if (!t || !k)
		return fail(w, "%s", "usage: conf get IF|global KEY");
	if (conf_target(w, &c->req, t) || conf_key(w, &c->req, k))
		return -1;
	if (more(w))
		return fail(w, "unexpected argument \"%s\"", next(w));
	return 0;
}

static int conf_set(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_CONF_SET;
	const char *t = next(w), *k = next(w), *v = next(w);
	if (!t || !k || !v)
		return fail(w, "%s", "usage: conf set IF|global KEY VALUE");
	if (conf_target(w, &c->req, t) || conf_key(w, &c->req, k))
		return -1;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 0);
	if (errno || !*v || *end)
		return fail(w, "invalid value \"%s\"", v);
	c->req.value = x;
	if (more(w))
		return fail(w, "unexpected argument \"%s\"", next(w));
	return 0;
}

static int stats_show(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_STATS;
	if (more(w))
		return fail(w, "unexpected argument \"%s\"", next(w));
	return 0;
}

/* ping [-c N] [-s SIZE] [-i SECONDS] [-W SECONDS] [-I IF] [-t HLIM] DEST[%IF] */
static int ping_parse(struct words *w, struct ctl_cmd *c)
{
	struct ctl_ping *p = &c->ping;
	c->is_ping = true;
	p->size = 56;
	p->interval = 1.0;
	p->wait = 10.0;
	const char *dest = NULL;
	while (more(w)) {
		const char *a = next(w);
		if (a[0] != '-' || !a[1]) {
			if (dest)
				return fail(w, "unexpected argument \"%s\"", a);
			dest = a;
			continue;
		}
		if (strlen(a) != 2 || !strchr("csiWIt", a[1]))
			return fail(w, "ping: unknown option \"%s\"", a);
		const char *v = value_of(w, a);
		unsigned long n;
		if (!v)
			return -1;
		switch (a[1]) {
		case 'c':
			if (!parse_ulong(v, 1ul << 31, &n) || n == 0)
				return fail(w, "ping: invalid count \"%s\"", v);
			p->count = (long)n;
			break;
		case 's':
			/* RFC 8200 3: the payload length field bounds an echo without jumbograms */
			if (!parse_ulong(v, 65535 - 8, &n))
				return fail(w, "ping: invalid size \"%s\"", v);
			p->size = (unsigned)n;
			break;
		case 't':
			if (!parse_ulong(v, 255, &n) || n == 0)
				return fail(w, "ping: invalid hop limit \"%s\"", v);
			p->hlim = (unsigned)n;
			break;
		case 'i':
			if (!parse_seconds(v, &p->interval) || p->interval < 0.001)
				return fail(w, "ping: invalid interval \"%s\"", v);
			break;
		case 'W':
			if (!parse_seconds(v, &p->wait))
				return fail(w, "ping: invalid timeout \"%s\"", v);
			break;
		case 'I':
			if (!v[0] || strlen(v) >= CTL_IFNAMSIZ)
				return fail(w, "invalid interface name \"%s\"", v);
			strcpy(p->oif, v);
			break;
		}
	}
	if (!dest)
		return fail(w, "%s", "ping: missing destination");
	if (!ctl_parse_addr(dest, &p->dst, p->zone))
		return fail(w, "invalid address \"%s\"", dest);
	if (!p->zone[0] && p->oif[0] && (is_link_local(&p->dst) || is_multicast_ll(&p->dst)))
		strcpy(p->zone, p->oif);
	return 0;
}

/* ---- ra: the router role's advertisements (<umikame/router.h>) ---- */

static int ra_bool(struct words *w, const char *kw, bool *b)
{
	const char *v = value_of(w, kw);
	if (!v)
		return -1;
	if (strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "on") && strcmp(v, "off"))
		return fail(w, "invalid value \"%s\": 0 or 1", v);
	*b = strcmp(v, "1") == 0 || strcmp(v, "on") == 0;
	return 0;
}

static int ra_u32(struct words *w, const char *kw, unsigned long max, uint32_t *x)
{
	const char *v = value_of(w, kw);
	unsigned long n;
	if (!v)
		return -1;
	if (strcmp(v, "infinity") == 0 && max == UINT32_MAX) {
		*x = UINT32_MAX;
		return 0;
	}
	if (!parse_ulong(v, max, &n))
		return fail(w, "invalid number \"%s\"", v);
	*x = (uint32_t)n;
	return 0;
}

static int ra_pref(struct words *w, const char *kw, int8_t *pref)
{
	const char *v = value_of(w, kw);
	if (!v)
		return -1;
	if (strcmp(v, "low") == 0)
		*pref = -1;
	else if (strcmp(v, "medium") == 0)
		*pref = 0;
	else if (strcmp(v, "high") == 0)
		*pref = 1;
	else
		return fail(w, "invalid preference \"%s\": low, medium or high", v);
	return 0;
}

static int ra_prefix(struct words *w, const char *kw, struct in6_addr *a, uint8_t *plen)
{
	const char *v = value_of(w, kw);
	struct ctl_req tmp;
	if (!v)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	if (read_prefix(w, &tmp, v, true, 0))
		return -1;
	if (tmp.ifname[0])
		return fail(w, "a prefix has no zone: \"%s\"", v);
	if (!host_bits_clear(&tmp.addr, tmp.prefixlen))
		return fail(w, "invalid prefix \"%s\": bits set past the prefix length", v);
	*a = tmp.addr;
	*plen = tmp.prefixlen;
	return 0;
}

/* interval MAX or MIN-MAX, seconds */
static int ra_interval(struct words *w, struct umk_ra_config *c)
{
	const char *v = value_of(w, "interval");
	char buf[32];
	unsigned long lo = 0, hi;
	if (!v)
		return -1;
	if (strlen(v) >= sizeof(buf))
		return fail(w, "invalid interval \"%s\"", v);
	strcpy(buf, v);
	char *dash = strchr(buf, '-');
	if (dash) {
		*dash = 0;
		if (!parse_ulong(buf, 1800, &lo))
			return fail(w, "invalid interval \"%s\"", v);
	}
	if (!parse_ulong(dash ? dash + 1 : buf, 1800, &hi))
		return fail(w, "invalid interval \"%s\"", v);
	if (!dash)
		lo = hi / 3 < 3 ? 3 : hi / 3;   /* RFC 4861 6.2.1: 0.33 * MaxRtrAdvInterval */
	c->min_interval = (uint32_t)lo;
	c->max_interval = (uint32_t)hi;
	return 0;
}

enum ra_ctx { RA_TOP, RA_IN_PREFIX, RA_IN_ROUTE };

static int ra_set(struct words *w, struct ctl_cmd *c)
{
	struct ctl_req *r = &c->req;
	struct umk_ra_config *ra = &r->ra;
	r->type = CTL_MSG_RA_SET;
	const char *ifn = next(w);
	if (!ifn)
		return fail(w, "%s", "usage: ra set IF [prefix P/LEN ...] [rdnss ADDR] ...");
	if (set_ifname(w, r->ifname, ifn))
		return -1;
	umk_ra_config_defaults(ra);
	enum ra_ctx ctx = RA_TOP;
	while (more(w)) {
		const char *kw = next(w);
		struct umk_ra_prefix *p = ra->n_prefix ? &ra->prefix[ra->n_prefix - 1] : NULL;
		struct umk_ra_route *rt = ra->n_route ? &ra->route[ra->n_route - 1] : NULL;
		int e;
		/* words that belong to the prefix or route just named */
		if (ctx == RA_IN_PREFIX && strcmp(kw, "onlink") == 0)
			e = ra_bool(w, kw, &p->on_link);
		else if (ctx == RA_IN_PREFIX && strcmp(kw, "autonomous") == 0)
			e = ra_bool(w, kw, &p->autonomous);
		else if (ctx == RA_IN_PREFIX && strcmp(kw, "valid") == 0)
			e = ra_u32(w, kw, UINT32_MAX, &p->valid_lft);
		else if (ctx == RA_IN_PREFIX && strcmp(kw, "preferred") == 0)
			e = ra_u32(w, kw, UINT32_MAX, &p->preferred_lft);
		else if (ctx == RA_IN_ROUTE && strcmp(kw, "pref") == 0)
			e = ra_pref(w, kw, &rt->pref);
		else if (ctx == RA_IN_ROUTE && strcmp(kw, "lifetime") == 0)
			e = ra_u32(w, kw, UINT32_MAX, &rt->lifetime);
		else {
			ctx = RA_TOP;
			if (strcmp(kw, "prefix") == 0) {
				if (ra->n_prefix == UMK_RA_MAX_PREFIXES)
					return fail(w, "%s", "too many prefixes");
				p = &ra->prefix[ra->n_prefix++];
				p->on_link = p->autonomous = true;
				p->valid_lft = 2592000;       /* RFC 4861 6.2.1 defaults */
				p->preferred_lft = 604800;
				e = ra_prefix(w, kw, &p->prefix, &p->plen);
				ctx = RA_IN_PREFIX;
			} else if (strcmp(kw, "route") == 0) {
				if (ra->n_route == UMK_RA_MAX_ROUTES)
					return fail(w, "%s", "too many routes");
				rt = &ra->route[ra->n_route++];
				rt->lifetime = UMK_RA_DEFAULT;
				e = ra_prefix(w, kw, &rt->prefix, &rt->plen);
				ctx = RA_IN_ROUTE;
			} else if (strcmp(kw, "rdnss") == 0) {
				const char *v = value_of(w, kw);
				char zone[CTL_IFNAMSIZ];
				if (!v)
					return -1;
				if (ra->n_rdnss == UMK_RA_MAX_RDNSS)
					return fail(w, "%s", "too many rdnss servers");
				if (!ctl_parse_addr(v, &ra->rdnss[ra->n_rdnss], zone) || zone[0])
					return fail(w, "invalid address \"%s\"", v);
				ra->n_rdnss++;
				e = 0;
			} else if (strcmp(kw, "dnssl") == 0) {
				const char *v = value_of(w, kw);
				if (!v)
					return -1;
				if (ra->n_dnssl == UMK_RA_MAX_DNSSL)
					return fail(w, "%s", "too many dnssl domains");
				size_t n = strlen(v);
				if (n && v[n - 1] == '.')
					n--;
				if (!n || n > UMK_RA_NAME_MAX)
					return fail(w, "invalid domain \"%s\"", v);
				memcpy(ra->dnssl[ra->n_dnssl], v, n);
				ra->dnssl[ra->n_dnssl++][n] = 0;
				e = 0;
			} else if (strcmp(kw, "interval") == 0) {
				e = ra_interval(w, ra);
			} else if (strcmp(kw, "lifetime") == 0) {
				e = ra_u32(w, kw, 65535, &ra->router_lifetime);
			} else if (strcmp(kw, "dns_lifetime") == 0) {
				e = ra_u32(w, kw, UINT32_MAX, &ra->dns_lifetime);
			} else if (strcmp(kw, "mtu") == 0) {
				e = ra_u32(w, kw, UINT32_MAX - 1, &ra->link_mtu);
			} else if (strcmp(kw, "managed") == 0) {
				e = ra_bool(w, kw, &ra->managed);
			} else if (strcmp(kw, "other") == 0) {
				e = ra_bool(w, kw, &ra->other);
			} else if (strcmp(kw, "unicast_solicited") == 0) {
				e = ra_bool(w, kw, &ra->unicast_solicited);
			} else if (strcmp(kw, "pref") == 0) {
				e = ra_pref(w, kw, &ra->pref);
			} else if (strcmp(kw, "hop_limit") == 0) {
				uint32_t x;
				e = ra_u32(w, kw, 255, &x);
				ra->cur_hop_limit = (uint8_t)x;
			} else if (strcmp(kw, "reachable_time") == 0) {
				e = ra_u32(w, kw, 3600000, &ra->reachable_time);
			} else if (strcmp(kw, "retrans_time") == 0) {
				e = ra_u32(w, kw, UINT32_MAX - 1, &ra->retrans_timer);
			} else {
				return fail(w, "unexpected argument \"%s\"", kw);
			}
		}
		if (e)
			return -1;
	}
	return 0;
}

static int ra_show(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_RA_LIST;
	return read_optional_dev(w, &c->req);
}

static int ra_del(struct words *w, struct ctl_cmd *c)
{
	c->req.type = CTL_MSG_RA_DEL;
	const char *ifn = next(w);
	if (!ifn)
		return fail(w, "%s", "usage: ra del IF");
	if (set_ifname(w, c->req.ifname, ifn))
		return -1;
	if (more(w))
		return fail(w, "unexpected argument \"%s\"", next(w));
	return 0;
}

struct cmd_row {
	const char *object;
	const char *command;   /* NULL: the object takes no command word */
	int (*parse)(struct words *w, struct ctl_cmd *c);
	bool show;
};

static const struct cmd_row cmd_rows[] = {
	{ "link", "show", link_show, true },
	{ "addr", "show", addr_show, true },
	{ "addr", "add", addr_add, false },
	{ "addr", "del", addr_del, false },
	{ "route", "show", route_show, true },
	{ "route", "add", route_add, false },
	{ "route", "del", route_del, false },
	{ "neigh", "show", neigh_show, true },
	{ "neigh", "add", neigh_add, false },
	{ "neigh", "del", neigh_del, false },
	{ "neigh", "flush", neigh_flush, false },
	{ "conf", "show", conf_show, true },
	{ "conf", "get", conf_get, true },
	{ "conf", "set", conf_set, false },
	{ "stats", "show", stats_show, true },
	{ "ra", "show", ra_show, true },
	{ "ra", "set", ra_set, false },
	{ "ra", "del", ra_del, false },
	{ "ping", NULL, ping_parse, true },
};

/* Other spellings people type out of habit (ip, ndp, netstat). */
static const struct { const char *alias, *name; } aliases[] = {
	{ "address", "addr" }, { "a", "addr" }, { "l", "link" }, { "r", "route" },
	{ "neighbor", "neigh" }, { "neighbour", "neigh" }, { "n", "neigh" },
	{ "list", "show" }, { "ls", "show" }, { "delete", "del" }, { "s", "stats" },
};

static const char *canonical(const char *word)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(word, aliases[i].alias) == 0)
			return aliases[i].name;
	return word;
}

int ctl_cmd_parse(int argc, char *const argv[], struct ctl_cmd *cmd, char *err, size_t errlen)
{
	memset(cmd, 0, sizeof(*cmd));
	err[0] = 0;
	struct words w = { .argc = argc, .i = 0, .argv = argv, .err = err, .errlen = errlen };
	if (argc < 1)
		return fail(&w, "%s", "missing object (link, addr, route, neigh, conf, ra, ping, stats)");
	const char *obj = canonical(argv[0]);
	if (strcmp(obj, "help") == 0) {
		cmd->is_help = true;
		return 0;
	}
	bool known = false;
	for (size_t i = 0; i < sizeof(cmd_rows) / sizeof(cmd_rows[0]); i++)
		known |= strcmp(cmd_rows[i].object, obj) == 0;
	if (!known)
		return fail(&w, "unknown object \"%s\"", argv[0]);
	w.i = 1;
	const char *verb = argc > 1 ? canonical(argv[1]) : "show";
	for (size_t i = 0; i < sizeof(cmd_rows) / sizeof(cmd_rows[0]); i++) {
		const struct cmd_row *row = &cmd_rows[i];
		if (strcmp(row->object, obj) != 0)
			continue;
		if (row->command) {
			if (strcmp(row->command, verb) != 0)
				continue;
			if (argc > 1)
				w.i = 2;
		}
		cmd->is_show = row->show;
		return row->parse(&w, cmd);
	}
	if (strcmp(verb, "help") == 0) {
		cmd->is_help = true;
		return 0;
	}
	snprintf(err, errlen, "unknown command \"%s\" for %s", argv[1], obj);
	return -1;
}

int ctl_cmd_split(char *line, char *argv[], int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		if (n == max)
			return -1;
		argv[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '#')
			p++;
		if (*p == '#') {
			*p = 0;
			break;
		}
		if (*p)
			*p++ = 0;
	}
	return n;
}
