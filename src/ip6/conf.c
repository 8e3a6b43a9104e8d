/*
 * conf.c - settings by name, for `umk conf show|set`: each interface's IPv6 settings
 * (struct ip6_ifconf, defaults from the RFCs) and the stack-wide table limits (ifindex 0,
 * `umk conf show global`). One table of {name, offset, min, max, unit} rows.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/rtadv.h"

void ip6_ifconf_defaults(struct ip6_ifconf *c, uint32_t mtu)
{
	memset(c, 0, sizeof(*c));
	c->accept_ra = 1;
	c->accept_redirects = 1;
	c->autoconf = 1;
	c->forwarding = 0;
	c->hop_limit = 64;                  /* IANA default, RFC 8200 3 */
	c->mtu = (int32_t)mtu;
	c->dad_transmits = 1;               /* RFC 4862 5.1 */
	c->base_reachable_time = 30000;     /* RFC 4861 10 REACHABLE_TIME */
	c->retrans_time = 1000;             /* RFC 4861 10 RETRANS_TIMER */
	c->delay_first_probe_time = 5000;   /* RFC 4861 10 DELAY_FIRST_PROBE_TIME */
	c->max_multicast_solicit = 3;       /* RFC 4861 10 */
	c->max_unicast_solicit = 3;         /* RFC 4861 10 */
	c->rtr_solicitations = 3;           /* RFC 4861 10 MAX_RTR_SOLICITATIONS */
	c->rtr_solicitation_interval = 4000;/* RFC 4861 10 RTR_SOLICITATION_INTERVAL */
	c->rtr_solicitation_delay = 1000;   /* RFC 4861 10 MAX_RTR_SOLICITATION_DELAY */
	c->use_tempaddr = 0;                /* RFC 8981 3.6: off unless asked for */
	c->temp_valid_lft = 2 * 86400;      /* RFC 8981 3.8 TEMP_VALID_LIFETIME */
	c->temp_preferred_lft = 86400;      /* RFC 8981 3.8 TEMP_PREFERRED_LIFETIME */
	c->max_desync_factor = 34560;       /* RFC 8981 3.8: 0.4 * TEMP_PREFERRED_LIFETIME */
	c->regen_advance = 5;               /* RFC 8981 3.8: 2 + 3 * 1 * 1 s */
	c->addr_gen_mode = 0;               /* RFC 8064: stable (RFC 7217) by default */
	c->idgen_retries = 3;               /* RFC 7217 6 IDGEN_RETRIES */
	c->force_mld_version = 0;
	c->mld_unsolicited_report_interval = 1000; /* RFC 3810 9.11 */
	c->mld_robustness = 2;              /* RFC 3810 9.1 */
	c->send_redirects = 1;              /* RFC 4861 8.2: routers send them */
	c->hbh_forward_process = 0;         /* RFC 8200 4.3: "MAY" ignore; on demand only */
}

struct conf_row {
	const char *name;
	size_t off;
	int64_t min, max;
	const char *unit;
};

#define IFC(field, lo, hi, unit) { #field, offsetof(struct ip6_ifconf, field), lo, hi, unit }
static const struct conf_row if_rows[] = {
	IFC(accept_ra, 0, 1, ""),
	IFC(accept_redirects, 0, 1, ""),
	IFC(autoconf, 0, 1, ""),
	IFC(forwarding, 0, 1, ""),          /* router role: ip6/forward.c, ip6/rtadv.c */
	IFC(hop_limit, 1, 255, ""),
	IFC(mtu, 1280, 65535, "bytes"),
	IFC(dad_transmits, 0, 100, ""),
	IFC(base_reachable_time, 1, 3600000, "ms"),
	IFC(retrans_time, 1, 3600000, "ms"),
	IFC(delay_first_probe_time, 1, 3600000, "ms"),
	IFC(max_multicast_solicit, 1, 100, ""),
	IFC(max_unicast_solicit, 1, 100, ""),
	IFC(rtr_solicitations, 0, 100, ""),
	IFC(rtr_solicitation_interval, 1, 3600000, "ms"),
	IFC(rtr_solicitation_delay, 0, 3600000, "ms"),
	IFC(use_tempaddr, 0, 2, ""),
	IFC(temp_valid_lft, 60, 0x7fffffff, "s"),
	IFC(temp_preferred_lft, 60, 0x7fffffff, "s"),
	IFC(max_desync_factor, 0, 0x7fffffff, "s"),
	IFC(regen_advance, 0, 0x7fffffff, "s"),
	IFC(addr_gen_mode, 0, 1, ""),
	IFC(idgen_retries, 0, 100, ""),
	IFC(force_mld_version, 0, 2, ""),
	IFC(mld_unsolicited_report_interval, 1, 3600000, "ms"),
	IFC(mld_robustness, 1, 10, ""),
	IFC(send_redirects, 0, 1, ""),
	IFC(hbh_forward_process, 0, 1, ""), /* ip6/forward.c */
};

#define LIM(field, lo, hi, unit) { #field, offsetof(struct umk_limits, field), lo, hi, unit }
static const struct conf_row limit_rows[] = {
	LIM(max_neighbors, 1, 1 << 20, ""),
	LIM(max_neighbor_queue, 1, 1024, "packets"),
	LIM(max_routes, 1, 1 << 22, ""),
	LIM(max_default_routers, 1, 1024, ""),
	LIM(max_prefixes, 1, 1024, ""),
	LIM(max_addrs, 2, 4096, ""),
	LIM(max_groups, 2, 4096, ""),
	LIM(max_reasm_queues, 1, 1 << 16, ""),
	LIM(max_reasm_bytes, 65536, 1 << 30, "bytes"),
	LIM(reasm_timeout, 1, 600000, "ms"),
	LIM(max_pmtu_entries, 1, 1 << 20, ""),
	LIM(icmp6_rate, 0, 1000000, "per s"),
	LIM(icmp6_burst, 1, 1000000, ""),
	LIM(max_loopback_queue, 1, 1 << 16, "packets"),
	LIM(max_sockets, 1, 1 << 20, ""),
	LIM(max_socket_rcvbuf, 4096, 1 << 30, "bytes"),
	LIM(socket_rcvbuf, 4096, 1 << 30, "bytes"),
	LIM(max_sas, 1, 1 << 20, ""),
	LIM(max_policies, 1, 1 << 20, ""),
	LIM(max_tcp_connections, 1, 1 << 20, ""),
	LIM(tcp_backlog_max, 1, 65535, ""),
	LIM(tcp_msl, 1, 600000, "ms"),
	LIM(tcp_rto_min, 1, 60000, "ms"),
	LIM(tcp_challenge_acks, 1, 1000000, "per s"),
	LIM(max_socket_group_sources, 1, 1024, ""),
	LIM(max_group_sources, 1, 65535, ""),
	LIM(arp_max_entries, 1, 1 << 20, ""),
	LIM(arp_max_queue, 1, 1024, "packets"),
	LIM(arp_timeout, 1000, 86400000, "ms"),
	LIM(arp_retrans_time, 10, 60000, "ms"),
	LIM(arp_max_probes, 1, 100, ""),
};

static int32_t *field(void *base, const struct conf_row *r) { return (int32_t *)((char *)base + r->off); }

static int rows_for(struct umk_stack *s, int ifindex, const struct conf_row **rows, size_t *n,
		    void **base)
{
	if (ifindex == 0) {
		*rows = limit_rows;
		*n = sizeof(limit_rows) / sizeof(limit_rows[0]);
		*base = &s->limits;
		return 0;
	}
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp)
		return -ENODEV;
	*rows = if_rows;
	*n = sizeof(if_rows) / sizeof(if_rows[0]);
	*base = &ifp->conf;
	return 0;
}

static const struct conf_row *find_row(const struct conf_row *rows, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].name, key) == 0)
			return &rows[i];
	return NULL;
}

/* The limits are uint32_t and the ifconf fields int32_t: both 4 bytes, read through
 * the row's range. */
static int64_t get_value(int ifindex, void *base, const struct conf_row *r)
{
	return ifindex ? (int64_t)*field(base, r) : (int64_t)*(uint32_t *)field(base, r);
}

int umk_conf_get(struct umk_stack *s, int ifindex, const char *key, int64_t *value)
{
	const struct conf_row *rows;
	size_t n;
	void *base;
	int r = rows_for(s, ifindex, &rows, &n, &base);
	if (r)
		return r;
	const struct conf_row *row = find_row(rows, n, key);
	if (!row)
		return -ENOENT;
	*value = get_value(ifindex, base, row);
	return 0;
}

int umk_conf_set(struct umk_stack *s, int ifindex, const char *key, int64_t value)
{
	const struct conf_row *rows;
	size_t n;
	void *base;
	int r = rows_for(s, ifindex, &rows, &n, &base);
	if (r)
		return r;
	const struct conf_row *row = find_row(rows, n, key);
	if (!row)
		return -ENOENT;
	if (value < row->min || value > row->max)
		return -ERANGE;
	if (ifindex) {
		struct umk_if *ifp = if_get(s, ifindex);
		/* the MTU in use never exceeds what the link can carry */
		if (strcmp(key, "mtu") == 0 && value > ifp->device_mtu)
			return -ERANGE;
		*field(base, row) = (int32_t)value;
		/* the router role follows the switch: all-routers groups, RAs (rtadv.c) */
		if (strcmp(key, "forwarding") == 0)
			rtadv_update(s, ifp, false);
	} else {
		*(uint32_t *)field(base, row) = (uint32_t)value;
	}
	return 0;
}

int umk_conf_list(struct umk_stack *s, int ifindex,
		  int (*cb)(void *ctx, const char *key, int64_t value, const char *unit), void *ctx)
{
	const struct conf_row *rows;
	size_t n;
	void *base;
	int r = rows_for(s, ifindex, &rows, &n, &base);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = cb(ctx, rows[i].name, get_value(ifindex, base, &rows[i]), rows[i].unit)))
			return r;
	return 0;
}
