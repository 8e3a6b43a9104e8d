/*
 * router.c - the daemon's side of the router role: `umk ra set|del|show` (RA_SET, RA_DEL,
 * RA_LIST over <umikame/router.h>) and ECMP or reject/blackhole routes (ROUTE_ADD with
 * A_NEXTHOPS or A_RTTYPE). Called from handlers.c's table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <umikame/router.h>

#include "ctl/ra_msg.h"
#include "umikamed.h"

#define RA_ITEM_MAX (CTL_RA_CONF_MAX + 256)

/* ---- routes ---- */

int router_route_add(struct daemon *d, const struct ctl_req *r, int ifindex, int gw_zone,
		     const char **msg)
{
	struct umk_stack *s = d->stack;
	uint32_t metric = r->has_metric ? r->metric : 1024;
	const struct in6_addr *gw = r->has_gateway ? &r->gateway : NULL;
	int idx = ifindex ? ifindex : gw_zone;
	if (r->rttype)
		return umk_route_add_type(s, &r->addr, r->prefixlen, NULL, idx, metric, r->rttype);
	int e = umk_route_add(s, &r->addr, r->prefixlen, gw, idx, metric);
	if (e)
		return e;
	/* the further next hops: all or nothing */
	for (unsigned i = 0; i < r->n_nexthops; i++) {
		int nidx = 0;
		if (r->nexthop_ifname[i][0] &&
		    !(nidx = umk_if_index(s, r->nexthop_ifname[i]))) {
			*msg = "no such interface for a next hop";
			e = -ENODEV;
		} else {
			e = umk_route_add(s, &r->addr, r->prefixlen, &r->nexthop[i], nidx, metric);
		}
		if (e) {
			umk_route_del(s, &r->addr, r->prefixlen, gw, idx);
			for (unsigned j = 0; j < i; j++)
				umk_route_del(s, &r->addr, r->prefixlen, &r->nexthop[j], 0);
			return e;
		}
	}
	return 0;
}

/* ---- ra ---- */

struct ra_walk {
	struct daemon *d;
	struct reply_sink *sink;
	uint32_t seq;
	int failed;
};

static int emit(struct ra_walk *w, struct ctl_builder *b)
{
	int len = ctl_build_end(b);
	if (len < 0 || w->sink->emit(w->sink->ctx, b->buf, (size_t)len)) {
		w->failed = 1;
		return 1;
	}
	return 0;
}

static int ra_item(struct ra_walk *w, int ifindex)
{
	struct umk_ra_status st;
	struct umk_ra_config c;
	uint8_t buf[RA_ITEM_MAX], conf[CTL_RA_CONF_MAX];
	if (umk_ra_status(w->d->stack, ifindex, &st) || !st.configured)
		return 0;
	struct ctl_builder b;
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_RA, CTL_F_MULTI, w->seq);
	ctl_put_u32(&b, A_IFINDEX, (uint32_t)ifindex);
	ctl_put_str(&b, A_IFNAME, umk_if_name(w->d->stack, ifindex));
	if (!umk_ra_get(w->d->stack, ifindex, &c)) {
		int n = ctl_ra_encode(&c, conf, sizeof(conf));
		if (n > 0)
			ctl_put(&b, A_RA_CONF, conf, (size_t)n);
	}
	ctl_put_u32(&b, A_FLAGS, st.advertising ? 1 : 0);
	ctl_put_u32(&b, A_EXPIRES, st.next_ra);
	ctl_put_u64(&b, A_COUNTER, st.ras_sent);
	ctl_put_u64(&b, A_VALUE, (uint64_t)st.rs_received << 32 | (uint32_t)st.inconsistent);
	return emit(w, &b);
}

static int learned_item(void *ctx, const struct umk_ra_learned *l)
{
	struct ra_walk *w = ctx;
	uint8_t buf[1024];
	struct ctl_builder b;
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_RA_LEARNED, CTL_F_MULTI, w->seq);
	ctl_put_u32(&b, A_IFINDEX, (uint32_t)l->ifindex);
	ctl_put_str(&b, A_IFNAME, umk_if_name(w->d->stack, l->ifindex));
	ctl_put_u8(&b, A_STATE, (uint8_t)l->kind);
	if (l->kind == UMK_RA_L_DNSSL)
		ctl_put_str(&b, A_KEY, l->name && l->name[0] ? l->name : ".");
	else
		ctl_put(&b, A_ADDR, &l->addr, 16);
	if (l->kind != UMK_RA_L_ROUTER)
		ctl_put(&b, A_GATEWAY, &l->router, 16);
	ctl_put_u8(&b, A_PREF, (uint8_t)l->pref);
	ctl_put_u32(&b, A_EXPIRES, l->lifetime);
	return emit(w, &b);
}

static int link_cb(void *ctx, const struct umk_link_info *li)
{
	return ra_item(ctx, li->ifindex);
}

void router_ra_request(struct daemon *d, const struct ctl_req *r, int ifindex,
		       struct reply_sink *sink, uint32_t seq)
{
	struct umk_stack *s = d->stack;
	int e;
	const char *msg = NULL;
	char buf[128];

	switch (r->type) {
	case CTL_MSG_RA_SET:
		e = umk_ra_set(s, ifindex, &r->ra);
		if (e == -ERANGE)
			msg = "out of range (RFC 4861 6.2.1: interval 3..1800 s with MIN <= 0.75 MAX, "
			      "lifetime 0 or MAX..9000 s, mtu >= 1280)";
		else if (e == -EINVAL)
			msg = "invalid prefix, route, rdnss or dnssl";
		if (!e) {
			int64_t fwd = 0;
			umk_conf_get(s, ifindex, "forwarding", &fwd);
			dlog(d, UMK_LOG_INFO, "ra set %s%s", umk_if_name(s, ifindex),
			     fwd ? "" : " (advertises once forwarding is 1)");
		}
		reply_error(sink, seq, -e, msg);
		return;
	case CTL_MSG_RA_DEL:
		e = umk_ra_del(s, ifindex);
		if (e == -ENOENT) {
			snprintf(buf, sizeof(buf), "%s has no RA configuration", r->ifname);
			msg = buf;
		}
		reply_error(sink, seq, -e, msg);
		return;
	default: {
		struct ra_walk w = { .d = d, .sink = sink, .seq = seq };
		e = ifindex ? ra_item(&w, ifindex) : umk_link_list(s, link_cb, &w);
		if (!e && !w.failed)
			e = umk_ra_learned_list(s, ifindex, learned_item, &w);
		if (w.failed) {
			reply_error(sink, seq, ENOBUFS, "reply too large for the client buffer");
		} else if (e < 0) {
			reply_error(sink, seq, -e, NULL);
		} else {
			uint8_t done[CTL_HDR_LEN];
			struct ctl_builder b;
			ctl_build_begin(&b, done, sizeof(done), CTL_MSG_DONE, 0, seq);
			int len = ctl_build_end(&b);
			sink->last_errno = 0;
			sink->last_errmsg[0] = 0;
			sink->emit(sink->ctx, done, (size_t)len);
		}
		return;
	}
	}
}
