/*
 * handlers.c - the daemon's answer to each control request: one row per request type in
 * handler_rows, each calling the management API (<umikame/mgmt.h>). Lists stream one item
 * message per entry (CTL_F_MULTI) and end with DONE; everything else ends with one ERROR
 * whose errno 0 means success.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "umikamed.h"

/* One item of a list reply is small: a few addresses and names. */
#define ITEM_MAX 1024

struct walk {
	struct daemon *d;
	struct reply_sink *sink;
	uint32_t seq;
	int ifindex;            /* filter, 0 = all */
	int emit_err;
};

void reply_error(struct reply_sink *sink, uint32_t seq, int err, const char *msg)
{
	uint8_t buf[ITEM_MAX];
	struct ctl_builder b;
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_ERROR, 0, seq);
	ctl_put_s32(&b, A_ERRNO, err);
	if (msg && msg[0])
		ctl_put_str(&b, A_ERRMSG, msg);
	int len = ctl_build_end(&b);
	sink->last_errno = err;
	snprintf(sink->last_errmsg, sizeof(sink->last_errmsg), "%s",
		 msg && msg[0] ? msg : err ? strerror(err) : "");
	if (len > 0)
		sink->emit(sink->ctx, buf, (size_t)len);
}

static void reply_done(struct reply_sink *sink, uint32_t seq)
{
	uint8_t buf[CTL_HDR_LEN];
	struct ctl_builder b;
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_DONE, 0, seq);
	int len = ctl_build_end(&b);
	sink->last_errno = 0;
	sink->last_errmsg[0] = 0;
	sink->emit(sink->ctx, buf, (size_t)len);
}

/* Ends a list: DONE, or the error that stopped the walk. */
static void finish_walk(struct walk *w, int r)
{
	if (w->emit_err)
		reply_error(w->sink, w->seq, ENOBUFS, "reply too large for the client buffer");
	else if (r < 0)
		reply_error(w->sink, w->seq, -r, NULL);
	else
		reply_done(w->sink, w->seq);
}

static void item_begin(struct walk *w, struct ctl_builder *b, uint8_t *buf, uint16_t type)
{
	ctl_build_begin(b, buf, ITEM_MAX, type, CTL_F_MULTI, w->seq);
}

/* Non-zero stops the walk: the client's buffer is full. */
static int item_end(struct walk *w, struct ctl_builder *b)
{
	int len = ctl_build_end(b);
	if (len < 0 || w->sink->emit(w->sink->ctx, b->buf, (size_t)len)) {
		w->emit_err = 1;
		return 1;
	}
	return 0;
}

static void put_if(struct walk *w, struct ctl_builder *b, int ifindex)
{
	ctl_put_u32(b, A_IFINDEX, (uint32_t)ifindex);
	const char *name = umk_if_name(w->d->stack, ifindex);
	if (name)
		ctl_put_str(b, A_IFNAME, name);
}

/* Resolves a name from a request; "" gives 0 (none/all). */
static int resolve(struct daemon *d, struct reply_sink *sink, uint32_t seq, const char *name,
		   int *ifindex)
{
	*ifindex = 0;
	if (!name[0])
		return 0;
	*ifindex = umk_if_index(d->stack, name);
	if (*ifindex)
		return 0;
	char msg[64];
	snprintf(msg, sizeof(msg), "no such interface \"%s\"", name);
	reply_error(sink, seq, ENODEV, msg);
	return -1;
}

/* ---- links ---- */

static int link_item(void *ctx, const struct umk_link_info *li)
{
	struct walk *w = ctx;
	if (w->ifindex && li->ifindex != w->ifindex)
		return 0;
	uint8_t buf[ITEM_MAX];
	struct ctl_builder b;
	item_begin(w, &b, buf, CTL_MSG_LINK);
	ctl_put_u32(&b, A_IFINDEX, (uint32_t)li->ifindex);
	ctl_put_str(&b, A_IFNAME, li->name);
	ctl_put(&b, A_LLADDR, li->lladdr, 6);
	ctl_put_u32(&b, A_MTU, li->mtu);
	ctl_put_u32(&b, A_FLAGS, li->flags);
	return item_end(w, &b);
}

static void do_link_list(struct walk *w, const struct ctl_req *r)
{
	finish_walk(w, umk_link_list(w->d->stack, link_item, w));
}

/* ---- addresses ---- */

static int addr_item(void *ctx, const struct umk_addr_info *ai)
{
	struct walk *w = ctx;
	uint8_t buf[ITEM_MAX];
	struct ctl_builder b;
	item_begin(w, &b, buf, CTL_MSG_ADDR);
	put_if(w, &b, ai->ifindex);
	ctl_put(&b, A_ADDR, &ai->addr, 16);
	ctl_put_u8(&b, A_PREFIXLEN, ai->prefixlen);
	ctl_put_u8(&b, A_SCOPE, ai->scope);
	ctl_put_u32(&b, A_FLAGS, ai->flags);
	ctl_put_u32(&b, A_VALID_LFT, ai->valid_lft);
	ctl_put_u32(&b, A_PREFERRED_LFT, ai->preferred_lft);
	return item_end(w, &b);
}

/* An IPv4 address travels IPv4-mapped (RFC 4291 2.5.5.2) with its IPv4 prefix length;
 * it is manual, global and does not expire. */
static int addr4_item(void *ctx, const struct umk_addr4_info *ai)
{
	struct walk *w = ctx;
	struct in6_addr m = { .s6_addr = { [10] = 0xff, [11] = 0xff } };
	memcpy(m.s6_addr + 12, &ai->addr, 4);
	uint8_t buf[ITEM_MAX];
	struct ctl_builder b;
	item_begin(w, &b, buf, CTL_MSG_ADDR);
	put_if(w, &b, ai->ifindex);
	ctl_put(&b, A_ADDR, &m, 16);
	ctl_put_u8(&b, A_PREFIXLEN, ai->prefixlen);
	ctl_put_u8(&b, A_SCOPE, UMK_SCOPE_GLOBAL);
	ctl_put_u32(&b, A_FLAGS, UMK_ADDR_F_PERMANENT);
	ctl_put_u32(&b, A_VALID_LFT, UMK_LIFETIME_INFINITE);
	ctl_put_u32(&b, A_PREFERRED_LFT, UMK_LIFETIME_INFINITE);
	return item_end(w, &b);
}

/* One link's addresses: IPv6 first (in the order they always came), then IPv4. */
static int addr_link(void *ctx, const struct umk_link_info *li)
{
	struct walk *w = ctx;
	if (w->ifindex && li->ifindex != w->ifindex)
		return 0;
	int r = umk_addr_list(w->d->stack, li->ifindex, addr_item, w);
	return r ? r : umk_addr4_list(w->d->stack, li->ifindex, addr4_item, w);
}

static void do_addr_list(struct walk *w, const struct ctl_req *r)
{
	finish_walk(w, umk_link_list(w->d->stack, addr_link, w));
}

static bool is_v4(const struct in6_addr *a, struct in_addr *v4)
{
	if (!IN6_IS_ADDR_V4MAPPED(a))
		return false;
	memcpy(v4, a->s6_addr + 12, 4);
	return true;
}

static void do_addr_change(struct walk *w, const struct ctl_req *r)
{
	struct in_addr a4;
	int e = is_v4(&r->addr, &a4)
			? (r->type == CTL_MSG_ADDR_ADD
				   ? umk_addr4_add(w->d->stack, w->ifindex, &a4, r->prefixlen)
				   : umk_addr4_del(w->d->stack, w->ifindex, &a4, r->prefixlen))
		: r->type == CTL_MSG_ADDR_ADD
			? umk_addr_add(w->d->stack, w->ifindex, &r->addr, r->prefixlen)
			: umk_addr_del(w->d->stack, w->ifindex, &r->addr, r->prefixlen);
	const char *msg = NULL;
	if (e == -EEXIST)
		msg = "address already assigned";
	else if (e == -ENOENT)
		msg = "no such address";
	reply_error(w->sink, w->seq, -e, msg);
}

/* ---- routes ---- */

static int route_item(void *ctx, const struct umk_route_info *ri)
{
	struct walk *w = ctx;
	static const struct in6_addr any;
	uint8_t buf[ITEM_MAX];
	struct ctl_builder b;
	item_begin(w, &b, buf, CTL_MSG_ROUTE);
	ctl_put(&b, A_ADDR, &ri->dst, 16);
	/* an IPv4 route (ip4/addr4.c): IPv4-mapped, with its IPv4 prefix length */
	bool v4 = IN6_IS_ADDR_V4MAPPED(&ri->dst) && ri->prefixlen >= 96;
	ctl_put_u8(&b, A_PREFIXLEN, (uint8_t)(v4 ? ri->prefixlen - 96 : ri->prefixlen));
	if (memcmp(&ri->gateway, &any, 16) != 0)
		ctl_put(&b, A_GATEWAY, &ri->gateway, 16);
	put_if(w, &b, ri->ifindex);
	ctl_put_u32(&b, A_METRIC, ri->metric);
	ctl_put_u8(&b, A_PROTO, ri->proto);
	ctl_put_u8(&b, A_PREF, (uint8_t)ri->pref);
	ctl_put_u32(&b, A_EXPIRES, ri->expires);
	ctl_put_u8(&b, A_RTTYPE, ri->rt_type);
	return item_end(w, &b);
}

static void do_route_list(struct walk *w, const struct ctl_req *r)
{
	finish_walk(w, umk_route_list(w->d->stack, route_item, w));
}

static void do_route_change(struct walk *w, const struct ctl_req *r)
{
	int gw_zone = 0;
	if (r->gw_ifname[0] && resolve(w->d, w->sink, w->seq, r->gw_ifname, &gw_zone))
		return;
	if (gw_zone && w->ifindex && gw_zone != w->ifindex) {
		reply_error(w->sink, w->seq, EINVAL, "gateway zone differs from dev");
		return;
	}
	int ifindex = w->ifindex ? w->ifindex : gw_zone;
	const struct in6_addr *gw = r->has_gateway ? &r->gateway : NULL;
	/* ip -6 route's default metric for routes added by hand */
	uint32_t metric = r->has_metric ? r->metric : 1024;
	const char *msg = NULL;
	struct in_addr d4, g4 = { 0 };
	bool v4 = is_v4(&r->addr, &d4);
	if (v4 && gw && !is_v4(gw, &g4)) {
		reply_error(w->sink, w->seq, EINVAL, "gateway is not IPv4");
		return;
	}
	int e = v4 ? (r->type == CTL_MSG_ROUTE_ADD
			      ? umk_route4_add(w->d->stack, &d4, r->prefixlen, gw ? &g4 : NULL,
					       ifindex, metric)
			      : umk_route4_del(w->d->stack, &d4, r->prefixlen, gw ? &g4 : NULL,
					       ifindex))
		: r->type != CTL_MSG_ROUTE_ADD
			? umk_route_del(w->d->stack, &r->addr, r->prefixlen, gw, ifindex)
		: r->n_nexthops || r->rttype   /* ECMP, reject, blackhole: router.c */
			? router_route_add(w->d, r, w->ifindex, gw_zone, &msg)
			: umk_route_add(w->d->stack, &r->addr, r->prefixlen, gw, ifindex, metric);
	if (e == -EEXIST)
		msg = "route already exists";
	else if (e == -ENOENT)
		msg = "no such route";
	else if (e == -ENETUNREACH || e == -EHOSTUNREACH)
		msg = "gateway is not on a connected link";
	reply_error(w->sink, w->seq, -e, msg);
}

/* ---- neighbors ---- */

static int neigh_item(void *ctx, const struct umk_neigh_info *ni)
{
	struct walk *w = ctx;
	if (w->ifindex && ni->ifindex != w->ifindex)
		return 0;
	uint8_t buf[ITEM_MAX];
	struct ctl_builder b;
	item_begin(w, &b, buf, CTL_MSG_NEIGH);
	put_if(w, &b, ni->ifindex);
	ctl_put(&b, A_ADDR, &ni->addr, 16);
	if (ni->has_lladdr)
		ctl_put(&b, A_LLADDR, ni->lladdr, 6);
	ctl_put_u8(&b, A_STATE, ni->state);
	ctl_put_u8(&b, A_ROUTER, ni->router);
	return item_end(w, &b);
}

/* An ARP entry: the address IPv4-mapped, as addresses and routes travel. */
static int arp_item(void *ctx, const struct umk_arp_info *ai)
{
	struct walk *w = ctx;
	if (w->ifindex && ai->ifindex != w->ifindex)
		return 0;
	struct in6_addr m = { .s6_addr = { [10] = 0xff, [11] = 0xff } };
	memcpy(m.s6_addr + 12, &ai->addr, 4);
	uint8_t buf[ITEM_MAX];
	struct ctl_builder b;
	item_begin(w, &b, buf, CTL_MSG_NEIGH);
	put_if(w, &b, ai->ifindex);
	ctl_put(&b, A_ADDR, &m, 16);
	if (ai->has_lladdr)
		ctl_put(&b, A_LLADDR, ai->lladdr, 6);
	ctl_put_u8(&b, A_STATE, ai->state);
	ctl_put_u8(&b, A_ROUTER, 0);
	return item_end(w, &b);
}

static void do_neigh_list(struct walk *w, const struct ctl_req *r)
{
	int e = umk_neigh_list(w->d->stack, neigh_item, w);
	finish_walk(w, e ? e : umk_arp_list(w->d->stack, arp_item, w));
}

static void do_neigh_change(struct walk *w, const struct ctl_req *r)
{
	int e;
	if (r->type == CTL_MSG_NEIGH_ADD)
		e = umk_neigh_add(w->d->stack, w->ifindex, &r->addr, r->lladdr, r->router);
	else if (r->type == CTL_MSG_NEIGH_DEL)
		e = umk_neigh_del(w->d->stack, w->ifindex, &r->addr);
	else
		e = umk_neigh_flush(w->d->stack, w->ifindex);
	reply_error(w->sink, w->seq, -e, e == -ENOENT ? "no such neighbor entry" : NULL);
}

/* ---- settings ---- */

struct conf_walk {
	struct walk *w;
	int ifindex;
	const char *only;      /* CONF_GET: the one key */
	int found;
};

static int conf_item(void *ctx, const char *key, int64_t value, const char *unit)
{
	struct conf_walk *cw = ctx;
	if (cw->only && strcmp(cw->only, key) != 0)
		return 0;
	cw->found = 1;
	uint8_t buf[ITEM_MAX];
	struct ctl_builder b;
	item_begin(cw->w, &b, buf, CTL_MSG_CONF);
	if (cw->ifindex)
		put_if(cw->w, &b, cw->ifindex);
	ctl_put_str(&b, A_KEY, key);
	ctl_put_s64(&b, A_VALUE, value);
	ctl_put_str(&b, A_UNIT, unit ? unit : "");
	return item_end(cw->w, &b);
}

struct if_set {
	int idx[64];
	int n;
};

static int collect_if(void *ctx, const struct umk_link_info *li)
{
	struct if_set *set = ctx;
	if (set->n < (int)(sizeof(set->idx) / sizeof(set->idx[0])))
		set->idx[set->n++] = li->ifindex;
	return 0;
}

static void do_conf_list(struct walk *w, const struct ctl_req *r)
{
	struct conf_walk cw = { .w = w, .ifindex = w->ifindex };
	int e = 0;
	if (w->ifindex || r->global) {
		e = umk_conf_list(w->d->stack, w->ifindex, conf_item, &cw);
	} else {
		/* every interface, then the stack-wide limits */
		struct if_set set = { 0 };
		umk_link_list(w->d->stack, collect_if, &set);
		for (int i = 0; i < set.n && !e; i++) {
			cw.ifindex = set.idx[i];
			e = umk_conf_list(w->d->stack, cw.ifindex, conf_item, &cw);
		}
		cw.ifindex = 0;
		if (!e)
			e = umk_conf_list(w->d->stack, 0, conf_item, &cw);
	}
	finish_walk(w, e);
}

static void do_conf_get(struct walk *w, const struct ctl_req *r)
{
	if (!w->ifindex && !r->global) {
		reply_error(w->sink, w->seq, EINVAL, "conf get needs an interface or \"global\"");
		return;
	}
	struct conf_walk cw = { .w = w, .ifindex = w->ifindex, .only = r->key };
	int e = umk_conf_list(w->d->stack, w->ifindex, conf_item, &cw);
	if (!e && !cw.found) {
		char msg[128];
		snprintf(msg, sizeof(msg), "unknown key \"%s\"", r->key);
		reply_error(w->sink, w->seq, ENOENT, msg);
		return;
	}
	finish_walk(w, e);
}

static void do_conf_set(struct walk *w, const struct ctl_req *r)
{
	if (!w->ifindex && !r->global) {
		reply_error(w->sink, w->seq, EINVAL, "conf set needs an interface or \"global\"");
		return;
	}
	int e = umk_conf_set(w->d->stack, w->ifindex, r->key, r->value);
	char msg[160] = "";
	if (e == -ENOENT)
		snprintf(msg, sizeof(msg), "unknown key \"%s\"", r->key);
	else if (e == -ERANGE)
		snprintf(msg, sizeof(msg), "value %lld out of range for %s", (long long)r->value,
			 r->key);
	if (!e)
		dlog(w->d, UMK_LOG_INFO, "conf set %s %s %lld",
		     w->ifindex ? umk_if_name(w->d->stack, w->ifindex) : "global", r->key,
		     (long long)r->value);
	reply_error(w->sink, w->seq, -e, msg);
}

/* ---- counters ---- */

static int stat_item(void *ctx, const char *group, const char *name, uint64_t value)
{
	struct walk *w = ctx;
	uint8_t buf[ITEM_MAX];
	struct ctl_builder b;
	item_begin(w, &b, buf, CTL_MSG_STAT);
	ctl_put_str(&b, A_GROUP, group);
	ctl_put_str(&b, A_KEY, name);
	ctl_put_u64(&b, A_COUNTER, value);
	return item_end(w, &b);
}

static void do_stats(struct walk *w, const struct ctl_req *r)
{
	int e = umk_stats_list(w->d->stack, stat_item, w);
	/* the daemon's own drops are counters too (DESIGN.md: every drop is counted) */
	if (!e)
		e = stat_item(w, "umikamed", "BadControlMessages", w->d->bad_messages);
	if (!e)
		e = stat_item(w, "umikamed", "EventsDropped", w->d->events_dropped);
	if (!e)
		e = daemon_tap_stats(w->d, stat_item, w);
	finish_walk(w, e);
}

static void do_ra(struct walk *w, const struct ctl_req *r)
{
	router_ra_request(w->d, r, w->ifindex, w->sink, w->seq);   /* router.c */
}

struct handler_row {
	uint16_t type;
	void (*fn)(struct walk *w, const struct ctl_req *r);
};

static const struct handler_row handler_rows[] = {
	{ CTL_MSG_LINK_LIST, do_link_list },
	{ CTL_MSG_ADDR_LIST, do_addr_list },
	{ CTL_MSG_ADDR_ADD, do_addr_change },
	{ CTL_MSG_ADDR_DEL, do_addr_change },
	{ CTL_MSG_ROUTE_LIST, do_route_list },
	{ CTL_MSG_ROUTE_ADD, do_route_change },
	{ CTL_MSG_ROUTE_DEL, do_route_change },
	{ CTL_MSG_NEIGH_LIST, do_neigh_list },
	{ CTL_MSG_NEIGH_ADD, do_neigh_change },
	{ CTL_MSG_NEIGH_DEL, do_neigh_change },
	{ CTL_MSG_NEIGH_FLUSH, do_neigh_change },
	{ CTL_MSG_CONF_LIST, do_conf_list },
	{ CTL_MSG_CONF_GET, do_conf_get },
	{ CTL_MSG_CONF_SET, do_conf_set },
	{ CTL_MSG_STATS, do_stats },
	{ CTL_MSG_RA_SET, do_ra },
	{ CTL_MSG_RA_DEL, do_ra },
	{ CTL_MSG_RA_LIST, do_ra },
};

void handle_request(struct daemon *d, const struct ctl_msg *m, struct reply_sink *sink)
{
	uint32_t seq = m->hdr.seq;
	char name[24];
	const char *why;
	struct ctl_req r;
	uint16_t type = m->hdr.type;

	if (type >= CTL_MSG_SOCK_FIRST && type <= CTL_MSG_SOCK_LAST) {
		sockets_request(d, m, sink);   /* sockets.c: the remote socket API */
		return;
	}
	if (type >= CTL_MSG_PFKEY_FIRST && type <= CTL_MSG_PFKEY_LAST) {
		pfkeyd_request(d, m, sink);    /* pfkey.c: PF_KEY v2 */
		return;
	}
	int e = ctl_req_decode(m, &r, &why);
	if (e) {
		char msg[96];
		if (e == -EOPNOTSUPP)
			snprintf(msg, sizeof(msg), "unknown request %s", ctl_msg_name(type, name, sizeof(name)));
		else
			snprintf(msg, sizeof(msg), "%s: bad or missing %s",
				 ctl_msg_name(type, name, sizeof(name)), why);
		d->bad_messages++;
		reply_error(sink, seq, -e, msg);
		return;
	}
	dlog(d, UMK_LOG_DEBUG, "request %s seq %u", ctl_msg_name(type, name, sizeof(name)), seq);
	for (size_t i = 0; i < sizeof(handler_rows) / sizeof(handler_rows[0]); i++) {
		if (handler_rows[i].type != type)
			continue;
		struct walk w = { .d = d, .sink = sink, .seq = seq };
		if (resolve(d, sink, seq, r.ifname, &w.ifindex))
			return;
		handler_rows[i].fn(&w, &r);
		return;
	}
	reply_error(sink, seq, EOPNOTSUPP, "unknown request");
}
