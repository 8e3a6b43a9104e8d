/*
 * show.c - umk's requests and their output. Human output follows `ip -6` (link, addr, route,
 * neigh) and `netstat -s` (stats); -j prints the JSON shapes fixed by issue 2.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umikame/mgmt.h>
#include <umikame/router.h>

#include "ctl/ra_msg.h"

#include "json.h"
#include "umk.h"

struct out {
	bool json;
	struct json j;
	/* addr show: the links, for ip-style headers */
	struct umk_link_info links[64];
	int nlinks;
	int last_ifindex;
	/* conf show without a target: one object per interface */
	char last_group[64];
	bool grouped;
	/* stats: kept to print grouped */
	struct stat_row { char group[64], name[64]; uint64_t value; } *stats;
	size_t nstats, capstats;
};

static void fmt_mac(const uint8_t *m, char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void fmt_addr(const uint8_t *a, char *buf)
{
	if (!inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN))
		strcpy(buf, "?");
}

/* An IPv4 address or route travels IPv4-mapped (RFC 4291 2.5.5.2); printed dotted. */
static bool fmt_addr4(const uint8_t *a, char *buf)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (memcmp(a, mapped, 12) != 0)
		return false;
	if (!inet_ntop(AF_INET, a + 12, buf, INET_ADDRSTRLEN))
		strcpy(buf, "?");
	return true;
}

static const char *ifname_of(const struct ctl_msg *m)
{
	const char *n = ctl_get_str(m, A_IFNAME);
	return n ? n : "?";
}

/* ---- link ---- */

static void link_flags(unsigned flags, const char *names[3], int *n)
{
	*n = 0;
	if (flags & UMK_LINK_F_MULTICAST)
		names[(*n)++] = "MULTICAST";
	if (flags & UMK_LINK_F_UP)
		names[(*n)++] = "UP";
	if (flags & UMK_LINK_F_RUNNING)
		names[(*n)++] = "LOWER_UP";
}

static void print_link_header(const struct umk_link_info *li)
{
	const char *names[3];
	int n;
	link_flags(li->flags, names, &n);
	printf("%d: %s: <", li->ifindex, li->name);
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", names[i]);
	printf("> mtu %u state %s\n", li->mtu, li->flags & UMK_LINK_F_UP ? "UP" : "DOWN");
}

static void link_from_msg(const struct ctl_msg *m, struct umk_link_info *li)
{
	memset(li, 0, sizeof(*li));
	uint32_t u = 0;
	ctl_get_u32(m, A_IFINDEX, &u);
	li->ifindex = (int)u;
	snprintf(li->name, sizeof(li->name), "%s", ifname_of(m));
	const uint8_t *mac = ctl_get_bytes(m, A_LLADDR);
	if (mac)
		memcpy(li->lladdr, mac, 6);
	ctl_get_u32(m, A_MTU, &li->mtu);
	ctl_get_u32(m, A_FLAGS, &u);
	li->flags = u;
}

static int link_item(void *ctx, const struct ctl_msg *m)
{
	struct out *o = ctx;
	struct umk_link_info li;
	char mac[18];
	link_from_msg(m, &li);
	fmt_mac(li.lladdr, mac);
	if (o->json) {
		const char *names[3];
		int n;
		link_flags(li.flags, names, &n);
		json_begin_object(&o->j, NULL);
		json_str(&o->j, "ifname", li.name);
		json_int(&o->j, "ifindex", li.ifindex);
		json_str(&o->j, "lladdr", mac);
		json_uint(&o->j, "mtu", li.mtu);
		json_begin_array(&o->j, "flags");
		for (int i = 0; i < n; i++)
			json_str(&o->j, NULL, names[i]);
		json_end_array(&o->j);
		json_end_object(&o->j);
		return 0;
	}
	print_link_header(&li);
	printf("    link/ether %s\n", mac);
	return 0;
}

static int collect_link(void *ctx, const struct ctl_msg *m)
{
	struct out *o = ctx;
	if (o->nlinks < (int)(sizeof(o->links) / sizeof(o->links[0])))
		link_from_msg(m, &o->links[o->nlinks++]);
	return 0;
}

/* ---- addr ---- */

static const struct { unsigned flag; const char *name; } addr_flag_names[] = {
	{ UMK_ADDR_F_TENTATIVE, "tentative" }, { UMK_ADDR_F_DEPRECATED, "deprecated" },
	{ UMK_ADDR_F_DADFAILED, "dadfailed" }, { UMK_ADDR_F_TEMPORARY, "temporary" },
	{ UMK_ADDR_F_AUTOCONF, "autoconf" },   { UMK_ADDR_F_PERMANENT, "permanent" },
	{ UMK_ADDR_F_OPTIMISTIC, "optimistic" },
};

static const char *scope_name(uint8_t scope)
{
	switch (scope) {
	case UMK_SCOPE_HOST: return "host";
	case UMK_SCOPE_LINK: return "link";
	case UMK_SCOPE_SITE: return "site";
	case UMK_SCOPE_GLOBAL: return "global";
	default: return "unknown";
	}
}

static void json_lft(struct json *j, const char *key, uint32_t v)
{
	if (v == UMK_LIFETIME_INFINITE)
		json_str(j, key, "forever");
	else
		json_uint(j, key, v);
}

static void fmt_lft(uint32_t v, char *buf)
{
	if (v == UMK_LIFETIME_INFINITE)
		strcpy(buf, "forever");
	else
		sprintf(buf, "%" PRIu32 "sec", v);
}

static int addr_item(void *ctx, const struct ctl_msg *m)
{
	struct out *o = ctx;
	char a[INET6_ADDRSTRLEN];
	const uint8_t *ap = ctl_get_bytes(m, A_ADDR);
	uint8_t plen = 0, scope = 0;
	uint32_t flags = 0, valid = 0, pref = 0, idx = 0;
	if (!ap)
		return 0;
	bool v4 = fmt_addr4(ap, a);
	if (!v4)
		fmt_addr(ap, a);
	ctl_get_u8(m, A_PREFIXLEN, &plen);
	ctl_get_u8(m, A_SCOPE, &scope);
	ctl_get_u32(m, A_FLAGS, &flags);
	ctl_get_u32(m, A_VALID_LFT, &valid);
	ctl_get_u32(m, A_PREFERRED_LFT, &pref);
	ctl_get_u32(m, A_IFINDEX, &idx);
	if (o->json) {
		json_begin_object(&o->j, NULL);
		json_str(&o->j, "ifname", ifname_of(m));
		if (v4)   /* IPv6 entries keep the shape they always had */
			json_str(&o->j, "family", "inet");
		json_str(&o->j, "address", a);
		json_uint(&o->j, "prefixlen", plen);
		json_str(&o->j, "scope", scope_name(scope));
		json_begin_array(&o->j, "flags");
		for (size_t i = 0; i < sizeof(addr_flag_names) / sizeof(addr_flag_names[0]); i++)
			if (flags & addr_flag_names[i].flag)
				json_str(&o->j, NULL, addr_flag_names[i].name);
		json_end_array(&o->j);
		json_lft(&o->j, "valid_lft", valid);
		json_lft(&o->j, "preferred_lft", pref);
		json_end_object(&o->j);
		return 0;
	}
	if ((int)idx != o->last_ifindex) {
		o->last_ifindex = (int)idx;
		bool found = false;
		for (int i = 0; i < o->nlinks; i++)
			if (o->links[i].ifindex == (int)idx) {
				print_link_header(&o->links[i]);
				found = true;
			}
		if (!found)
			printf("%u: %s:\n", idx, ifname_of(m));
	}
	printf("    %s %s/%u scope %s", v4 ? "inet" : "inet6", a, plen, scope_name(scope));
	for (size_t i = 0; i < sizeof(addr_flag_names) / sizeof(addr_flag_names[0]); i++)
		if (flags & addr_flag_names[i].flag)
			printf(" %s", addr_flag_names[i].name);
	char v[24], p[24];
	fmt_lft(valid, v);
	fmt_lft(pref, p);
	printf("\n       valid_lft %s preferred_lft %s\n", v, p);
	return 0;
}

/* ---- route ---- */

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case UMK_RTPROTO_KERNEL: return "kernel";
	case UMK_RTPROTO_STATIC: return "static";
	case UMK_RTPROTO_RA: return "ra";
	case UMK_RTPROTO_REDIRECT: return "redirect";
	default: return "unknown";
	}
}

/* Where a route came from, finer than proto: an RA gives a default route (its router), an
 * on-link prefix (PIO, no gateway) or a more specific route (RFC 4191 RIO). */
static const char *route_origin_name(uint8_t proto, uint8_t plen, bool gateway)
{
	switch (proto) {
	case UMK_RTPROTO_KERNEL: return "connected";
	case UMK_RTPROTO_STATIC: return "static";
	case UMK_RTPROTO_RA:
		return !gateway ? "ra-prefix" : plen == 0 ? "ra-default" : "ra-route";
	case UMK_RTPROTO_REDIRECT: return "redirect";
	default: return "unknown";
	}
}

static const char *route_type_name(uint8_t t)
{
	return t == 1 ? "reject" : t == 2 ? "blackhole" : "unicast";
}

static int route_item(void *ctx, const struct ctl_msg *m)
{
	struct out *o = ctx;
	char dst[INET6_ADDRSTRLEN + 4], gw[INET6_ADDRSTRLEN];
	const uint8_t *dp = ctl_get_bytes(m, A_ADDR), *gp = ctl_get_bytes(m, A_GATEWAY);
	uint8_t plen = 0, proto = 0, pref = 0, rt_type = 0;
	uint32_t metric = 0, expires = 0;
	if (!dp)
		return 0;
	ctl_get_u8(m, A_PREFIXLEN, &plen);
	ctl_get_u8(m, A_PROTO, &proto);
	ctl_get_u8(m, A_PREF, &pref);
	ctl_get_u8(m, A_RTTYPE, &rt_type);
	int8_t p = (int8_t)pref;
	const char *pref_s = p > 0 ? "high" : p < 0 ? "low" : "medium";
	ctl_get_u32(m, A_METRIC, &metric);
	ctl_get_u32(m, A_EXPIRES, &expires);
	bool v4 = fmt_addr4(dp, dst);
	if (!v4)
		fmt_addr(dp, dst);
	sprintf(dst + strlen(dst), "/%u", plen);
	if (gp && !(v4 && fmt_addr4(gp, gw)))
		fmt_addr(gp, gw);
	if (o->json) {
		json_begin_object(&o->j, NULL);
		if (v4)   /* IPv6 entries keep the shape they always had */
			json_str(&o->j, "family", "inet");
		json_str(&o->j, "dst", dst);
		json_str(&o->j, "gateway", gp ? gw : NULL);
		json_str(&o->j, "ifname", ctl_get_str(m, A_IFNAME));
		json_uint(&o->j, "metric", metric);
		json_str(&o->j, "proto", proto_name(proto));
		if (expires)
			json_uint(&o->j, "expires", expires);
		else
			json_null(&o->j, "expires");
		/* added fields; the ones above are fixed by issue 2 */
		json_str(&o->j, "origin", route_origin_name(proto, plen, gp != NULL));
		json_str(&o->j, "type", route_type_name(rt_type));
		/* RFC 4191 preference: only RA-learned routes have one */
		json_str(&o->j, "pref", proto == UMK_RTPROTO_RA ? pref_s : NULL);
		json_end_object(&o->j);
		return 0;
	}
	/* as ip -6 route: reject and blackhole routes lead with their type (the words of
	 * `route add`) */
	if (rt_type)
		printf("%s ", route_type_name(rt_type));
	printf("%s", plen == 0 && strcmp(dst, "::/0") == 0 ? "default" : dst);
	if (gp)
		printf(" via %s", gw);
	if (ctl_get_str(m, A_IFNAME))
		printf(" dev %s", ctl_get_str(m, A_IFNAME));
	printf(" proto %s metric %u", proto_name(proto), metric);
	if (expires)
		printf(" expires %usec", expires);
	printf(" pref %s origin %s\n", pref_s, route_origin_name(proto, plen, gp != NULL));
	return 0;
}

/* ---- neigh ---- */

static const char *nud_name(uint8_t s)
{
	static const char *const names[] = {
		[UMK_NUD_INCOMPLETE] = "INCOMPLETE", [UMK_NUD_REACHABLE] = "REACHABLE",
		[UMK_NUD_STALE] = "STALE",           [UMK_NUD_DELAY] = "DELAY",
		[UMK_NUD_PROBE] = "PROBE",           [UMK_NUD_PERMANENT] = "PERMANENT",
	};
	return s < sizeof(names) / sizeof(names[0]) && names[s] ? names[s] : "NONE";
}

static int neigh_item(void *ctx, const struct ctl_msg *m)
{
	struct out *o = ctx;
	char a[INET6_ADDRSTRLEN], mac[18];
	const uint8_t *ap = ctl_get_bytes(m, A_ADDR), *lp = ctl_get_bytes(m, A_LLADDR);
	uint8_t state = 0, router = 0;
	if (!ap)
		return 0;
	bool v4 = fmt_addr4(ap, a);   /* an ARP entry */
	if (!v4)
		fmt_addr(ap, a);
	if (lp)
		fmt_mac(lp, mac);
	ctl_get_u8(m, A_STATE, &state);
	ctl_get_u8(m, A_ROUTER, &router);
	if (o->json) {
		json_begin_object(&o->j, NULL);
		json_str(&o->j, "ifname", ifname_of(m));
		if (v4)   /* IPv6 entries keep the shape they always had */
			json_str(&o->j, "family", "inet");
		json_str(&o->j, "address", a);
		json_str(&o->j, "lladdr", lp ? mac : NULL);
		json_str(&o->j, "state", nud_name(state));
		json_bool(&o->j, "router", router != 0);
		json_end_object(&o->j);
		return 0;
	}
	printf("%s dev %s", a, ifname_of(m));
	if (lp)
		printf(" lladdr %s", mac);
	if (router)
		printf(" router");
	printf(" %s\n", nud_name(state));
	return 0;
}

/* ---- conf ---- */

static int conf_item(void *ctx, const struct ctl_msg *m)
{
	struct out *o = ctx;
	const char *key = ctl_get_str(m, A_KEY), *unit = ctl_get_str(m, A_UNIT);
	const char *group = ctl_get_str(m, A_IFNAME);
	int64_t v = 0;
	if (!key)
		return 0;
	ctl_get_s64(m, A_VALUE, &v);
	if (!group)
		group = "global";
	if (o->grouped && strcmp(group, o->last_group) != 0) {
		if (o->json) {
			if (o->last_group[0])
				json_end_object(&o->j);
			json_begin_object(&o->j, group);
		} else {
			printf("%s%s:\n", o->last_group[0] ? "\n" : "", group);
		}
		snprintf(o->last_group, sizeof(o->last_group), "%s", group);
	}
	if (o->json)
		json_int(&o->j, key, v);
	else
		printf("%s%-32s %" PRId64 "%s%s\n", o->grouped ? "    " : "", key, v,
		       unit && unit[0] ? " " : "", unit ? unit : "");
	return 0;
}

static int conf_get_item(void *ctx, const struct ctl_msg *m)
{
	struct out *o = ctx;
	int64_t v = 0;
	const char *key = ctl_get_str(m, A_KEY);
	ctl_get_s64(m, A_VALUE, &v);
	if (o->json && key) {
		json_begin_object(&o->j, NULL);
		json_int(&o->j, key, v);
		json_end_object(&o->j);
		json_finish(&o->j);
	} else {
		printf("%" PRId64 "\n", v);
	}
	return 0;
}

/* ---- stats ---- */

static int stat_item(void *ctx, const struct ctl_msg *m)
{
	struct out *o = ctx;
	const char *g = ctl_get_str(m, A_GROUP), *n = ctl_get_str(m, A_KEY);
	if (!g || !n)
		return 0;
	if (o->nstats == o->capstats) {
		size_t cap = o->capstats ? o->capstats * 2 : 256;
		struct stat_row *p = realloc(o->stats, cap * sizeof(*p));
		if (!p)
			return -12;
		o->stats = p;
		o->capstats = cap;
	}
	struct stat_row *r = &o->stats[o->nstats++];
	snprintf(r->group, sizeof(r->group), "%s", g);
	snprintf(r->name, sizeof(r->name), "%s", n);
	r->value = 0;
	ctl_get_u64(m, A_COUNTER, &r->value);
	return 0;
}

/* Groups in order of first appearance, like netstat -s. */
static void print_stats(struct out *o)
{
	bool *done = calloc(o->nstats + 1, sizeof(bool));
	if (o->json)
		json_begin_object(&o->j, NULL);
	for (size_t i = 0; i < o->nstats; i++) {
		if (done[i])
			continue;
		const char *g = o->stats[i].group;
		if (o->json)
			json_begin_object(&o->j, g);
		else
			printf("%s:\n", g);
		for (size_t k = i; k < o->nstats; k++) {
			if (done[k] || strcmp(o->stats[k].group, g) != 0)
				continue;
			done[k] = true;
			if (o->json)
				json_uint(&o->j, o->stats[k].name, o->stats[k].value);
			else
				printf("    %s: %" PRIu64 "\n", o->stats[k].name, o->stats[k].value);
		}
		if (o->json)
			json_end_object(&o->j);
	}
	if (o->json) {
		json_end_object(&o->j);
		json_finish(&o->j);
	}
	free(done);
}

/* ---- ra ---- */

static const char *pref_name(int p) { return p > 0 ? "high" : p < 0 ? "low" : "medium"; }

static void ra_config_print(struct out *o, const struct umk_ra_config *c)
{
	char a[INET6_ADDRSTRLEN];
	uint32_t lft = c->router_lifetime == UMK_RA_DEFAULT ? 3 * c->max_interval :
							      c->router_lifetime;
	uint32_t dlft = c->dns_lifetime == UMK_RA_DEFAULT ? 3 * c->max_interval : c->dns_lifetime;
	if (o->json) {
		json_uint(&o->j, "min_interval", c->min_interval);
		json_uint(&o->j, "max_interval", c->max_interval);
		json_uint(&o->j, "lifetime", lft);
		json_str(&o->j, "pref", pref_name(c->pref));
		json_uint(&o->j, "hop_limit", c->cur_hop_limit);
		json_bool(&o->j, "managed", c->managed);
		json_bool(&o->j, "other", c->other);
		json_bool(&o->j, "unicast_solicited", c->unicast_solicited);
		json_uint(&o->j, "mtu", c->link_mtu);
		json_uint(&o->j, "reachable_time", c->reachable_time);
		json_uint(&o->j, "retrans_time", c->retrans_timer);
		json_begin_array(&o->j, "prefixes");
		for (unsigned i = 0; i < c->n_prefix; i++) {
			const struct umk_ra_prefix *p = &c->prefix[i];
			char pfx[INET6_ADDRSTRLEN + 4];
			fmt_addr(p->prefix.s6_addr, pfx);
			sprintf(pfx + strlen(pfx), "/%u", p->plen);
			json_begin_object(&o->j, NULL);
			json_str(&o->j, "prefix", pfx);
			json_bool(&o->j, "onlink", p->on_link);
			json_bool(&o->j, "autonomous", p->autonomous);
			json_uint(&o->j, "valid", p->valid_lft);
			json_uint(&o->j, "preferred", p->preferred_lft);
			json_end_object(&o->j);
		}
		json_end_array(&o->j);
		json_begin_array(&o->j, "routes");
		for (unsigned i = 0; i < c->n_route; i++) {
			const struct umk_ra_route *r = &c->route[i];
			char pfx[INET6_ADDRSTRLEN + 4];
			fmt_addr(r->prefix.s6_addr, pfx);
			sprintf(pfx + strlen(pfx), "/%u", r->plen);
			json_begin_object(&o->j, NULL);
			json_str(&o->j, "prefix", pfx);
			json_str(&o->j, "pref", pref_name(r->pref));
			json_uint(&o->j, "lifetime", r->lifetime == UMK_RA_DEFAULT ? lft : r->lifetime);
			json_end_object(&o->j);
		}
		json_end_array(&o->j);
		json_begin_array(&o->j, "rdnss");
		for (unsigned i = 0; i < c->n_rdnss; i++) {
			fmt_addr(c->rdnss[i].s6_addr, a);
			json_str(&o->j, NULL, a);
		}
		json_end_array(&o->j);
		json_begin_array(&o->j, "dnssl");
		for (unsigned i = 0; i < c->n_dnssl; i++)
			json_str(&o->j, NULL, c->dnssl[i]);
		json_end_array(&o->j);
		json_uint(&o->j, "dns_lifetime", dlft);
		return;
	}
	printf("    interval %u-%u lifetime %u pref %s hop_limit %u managed %d other %d",
	       c->min_interval, c->max_interval, lft, pref_name(c->pref), c->cur_hop_limit,
	       c->managed, c->other);
	if (c->link_mtu)
		printf(" mtu %u", c->link_mtu);
	if (c->unicast_solicited)
		printf(" unicast_solicited 1");
	printf(" reachable_time %u retrans_time %u\n", c->reachable_time, c->retrans_timer);
	for (unsigned i = 0; i < c->n_prefix; i++) {
		const struct umk_ra_prefix *p = &c->prefix[i];
		fmt_addr(p->prefix.s6_addr, a);
		printf("    prefix %s/%u onlink %d autonomous %d valid %u preferred %u\n", a,
		       p->plen, p->on_link, p->autonomous, p->valid_lft, p->preferred_lft);
	}
	for (unsigned i = 0; i < c->n_route; i++) {
		const struct umk_ra_route *r = &c->route[i];
		fmt_addr(r->prefix.s6_addr, a);
		printf("    route %s/%u pref %s lifetime %u\n", a, r->plen, pref_name(r->pref),
		       r->lifetime == UMK_RA_DEFAULT ? lft : r->lifetime);
	}
	for (unsigned i = 0; i < c->n_rdnss; i++) {
		fmt_addr(c->rdnss[i].s6_addr, a);
		printf("    rdnss %s lifetime %u\n", a, dlft);
	}
	for (unsigned i = 0; i < c->n_dnssl; i++)
		printf("    dnssl %s lifetime %u\n", c->dnssl[i], dlft);
}

static int ra_item(void *ctx, const struct ctl_msg *m)
{
	struct out *o = ctx;
	const char *ifn = ifname_of(m);
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	if (m->hdr.type == CTL_MSG_RA) {
		struct umk_ra_config c;
		const struct ctl_attr_ref *ra = &m->attr[A_RA_CONF];
		bool have = ra->present && !ctl_ra_decode(ra->value, ra->len, &c);
		uint32_t adv = 0, next = 0;
		uint64_t sent = 0, rsinc = 0;
		ctl_get_u32(m, A_FLAGS, &adv);
		ctl_get_u32(m, A_EXPIRES, &next);
		ctl_get_u64(m, A_COUNTER, &sent);
		ctl_get_u64(m, A_VALUE, &rsinc);
		if (o->json) {
			json_begin_object(&o->j, NULL);
			json_str(&o->j, "ifname", ifn);
			json_str(&o->j, "type", "router");
			json_bool(&o->j, "advertising", adv);
			if (adv)
				json_uint(&o->j, "next_ra_ms", next);
			json_uint(&o->j, "ras_sent", sent);
			json_uint(&o->j, "rs_received", rsinc >> 32);
			json_uint(&o->j, "inconsistent", (uint32_t)rsinc);
			if (have)
				ra_config_print(o, &c);
			json_end_object(&o->j);
			return 0;
		}
		printf("%s: %s", ifn, adv ? "advertising" : "configured, not advertising "
						"(needs forwarding 1 and the link up)");
		if (adv)
			printf(", next RA in %u.%03us", next / 1000, next % 1000);
		printf(", %" PRIu64 " RAs sent, %" PRIu64 " RS received, %u inconsistent RAs seen\n",
		       sent, rsinc >> 32, (uint32_t)rsinc);
		if (have)
			ra_config_print(o, &c);
		return 0;
	}
	uint8_t kind = 0, pref = 0;
	char a[INET6_ADDRSTRLEN], rt[INET6_ADDRSTRLEN];
	const uint8_t *ap = ctl_get_bytes(m, A_ADDR), *gp = ctl_get_bytes(m, A_GATEWAY);
	ctl_get_u8(m, A_STATE, &kind);
	ctl_get_u8(m, A_PREF, &pref);
	ctl_get_u32(m, A_EXPIRES, &v32);
	(void)v64;
	if (ap)
		fmt_addr(ap, a);
	if (gp)
		fmt_addr(gp, rt);
	const char *kname = kind == UMK_RA_L_ROUTER ? "router" : kind == UMK_RA_L_RDNSS ? "rdnss" :
			    "dnssl";
	const char *what = kind == UMK_RA_L_DNSSL ? ctl_get_str(m, A_KEY) : ap ? a : "?";
	if (o->json) {
		json_begin_object(&o->j, NULL);
		json_str(&o->j, "ifname", ifn);
		json_str(&o->j, "type", kname);
		json_str(&o->j, kind == UMK_RA_L_DNSSL ? "domain" : "addr", what);
		if (gp)
			json_str(&o->j, "router", rt);
		if (kind == UMK_RA_L_ROUTER)
			json_str(&o->j, "pref", pref_name((int8_t)pref));
		if (v32 == UINT32_MAX)
			json_null(&o->j, "lifetime");
		else
			json_uint(&o->j, "lifetime", v32);
		json_end_object(&o->j);
		return 0;
	}
	printf("%s: learned %s %s", ifn, kname, what ? what : "?");
	if (gp)
		printf(" from %s", rt);
	if (kind == UMK_RA_L_ROUTER)
		printf(" pref %s", pref_name((int8_t)pref));
	if (v32 == UINT32_MAX)
		printf(" lifetime infinite\n");
	else
		printf(" lifetime %usec\n", v32);
	return 0;
}

/* ---- dispatch ---- */

struct show_row {
	uint16_t type;
	int (*item)(void *ctx, const struct ctl_msg *m);
	bool json_array;         /* the JSON answer is [ ... ] */
};

static const struct show_row show_rows[] = {
	{ CTL_MSG_LINK_LIST, link_item, true },
	{ CTL_MSG_ADDR_LIST, addr_item, true },
	{ CTL_MSG_ROUTE_LIST, route_item, true },
	{ CTL_MSG_NEIGH_LIST, neigh_item, true },
	{ CTL_MSG_CONF_LIST, conf_item, false },
	{ CTL_MSG_CONF_GET, conf_get_item, false },
	{ CTL_MSG_STATS, stat_item, false },
	{ CTL_MSG_RA_LIST, ra_item, true },
};

int show_run(struct ctl_client *c, const struct ctl_cmd *cmd, const char *what, bool json)
{
	struct out o = { .json = json };
	char msg[256];
	const struct show_row *row = NULL;
	for (size_t i = 0; i < sizeof(show_rows) / sizeof(show_rows[0]); i++)
		if (show_rows[i].type == cmd->req.type)
			row = &show_rows[i];
	/* JSON is printed whole or not at all: an error half-way leaves no broken document */
	char *jbuf = NULL;
	size_t jlen = 0;
	FILE *mf = json ? open_memstream(&jbuf, &jlen) : NULL;
	if (json && !mf) {
		umk_err("%s: out of memory", what);
		return 1;
	}
	json_init(&o.j, mf);

	if (cmd->req.type == CTL_MSG_ADDR_LIST && !json) {
		struct ctl_req lr = { .type = CTL_MSG_LINK_LIST };
		int e = client_request(c, &lr, collect_link, &o, msg, sizeof(msg));
		if (e) {
			umk_err("%s: %s", what, umk_strerror(-e, msg));
			return 1; /* json is false here: nothing to free */
		}
	}
	if (row && row->json_array && json)
		json_begin_array(&o.j, NULL);
	bool conf_object = cmd->req.type == CTL_MSG_CONF_LIST;
	if (conf_object) {
		o.grouped = !cmd->req.ifname[0] && !cmd->req.global;
		if (json)
			json_begin_object(&o.j, NULL);
	}
	int e = client_request(c, &cmd->req, row ? row->item : NULL, &o, msg, sizeof(msg));
	if (e) {
		umk_err("%s: %s", what, umk_strerror(-e, msg));
		free(o.stats);
		if (mf)
			fclose(mf);
		free(jbuf);
		return 1;
	}
	if (cmd->req.type == CTL_MSG_STATS) {
		print_stats(&o);
	} else if (conf_object) {
		if (json) {
			if (o.grouped && o.last_group[0])
				json_end_object(&o.j);
			json_end_object(&o.j);
			json_finish(&o.j);
		}
	} else if (row && row->json_array && json) {
		json_end_array(&o.j);
		json_finish(&o.j);
	}
	free(o.stats);
	if (mf) {
		fclose(mf);
		fwrite(jbuf, 1, jlen, stdout);
		free(jbuf);
	}
	return 0;
}
