/*
 * fuzz_mld_ssm.c - RFC 3678 socket source filters driving the RFC 3810 state, as a program
 * the fuzzer writes: three UDP sockets make MCAST_* calls (joins, leaves, blocks, full-state
 * filters) on two groups with four sources, interleaved with MLDv2 queries (general,
 * group, group-and-source) and timer runs. After every step the interface state MLD keeps
 * must equal the RFC 3810 4.2 merge of the sockets' filters as getsourcefilter reads them
 * back; a mismatch aborts.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <umikame/mgmt.h>
#include <umikame/socket.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/mld6_filter.h"
#include "wire/mld.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int tx(void *ctx, const void *f, size_t len) { return 0; }
static const struct umk_link_ops ops = { .transmit = tx };

#define NSOCK 3
#define NSRC 4

static struct in6_addr group_addr(int g)
{
	struct in6_addr a = { { { 0xff, 0x3e, [15] = (uint8_t)(g + 1) } } };
	return a;
}

static struct sockaddr_storage storage(const struct in6_addr *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_addr = *a;
	return ss;
}

static struct in6_addr src_addr(int i)
{
	struct in6_addr a = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = (uint8_t)(i + 1) } } };
	return a;
}

/* The sources of a mask, as sockaddr_storage. */
static uint32_t mask_list(unsigned mask, struct sockaddr_storage *out)
{
	uint32_t n = 0;
	for (int i = 0; i < NSRC; i++)
		if (mask & (1u << i)) {
			struct in6_addr a = src_addr(i);
			out[n++] = storage(&a);
		}
	return n;
}

static unsigned list_mask(const struct sockaddr_storage *l, uint32_t n)
{
	unsigned m = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&l[i];
		int x = s6->sin6_addr.s6_addr[15] - 1;
		if (x < 0 || x >= NSRC)
			abort();
		m |= 1u << x;
	}
	return m;
}

/* RFC 3810 4.2 over what the sockets say, against MLD's interface state. */
static void check(struct umk_stack *s, struct umk_if *ifp, const int *sd)
{
	for (int g = 0; g < 2; g++) {
		struct in6_addr ga = group_addr(g);
		struct sockaddr_in6 gs = { .sin6_family = AF_INET6, .sin6_addr = ga };
		unsigned inter = 0xf, uni = 0;
		bool any_ex = false, any = false;
		for (int k = 0; k < NSOCK; k++) {
			struct sockaddr_storage l[8];
			uint32_t fmode, n = 8;
			if (umk_getsourcefilter(s, sd[k], 0, (struct sockaddr *)&gs, sizeof(gs), &fmode,
						&n, l))
				continue;   /* not joined */
			unsigned m = list_mask(l, n);
			any = true;
			if (fmode == MCAST_EXCLUDE) {
				any_ex = true;
				inter &= m;
			} else {
				uni |= m;
			}
		}
		uint8_t mode = 0;
		struct in6_addr got[16];
		int n = mld_group_state(s, ifp, &ga, &mode, got, 16);
		if (!any) {
			if (n >= 0)
				abort();
			continue;
		}
		if (n < 0 || n > 16)
			abort();
		unsigned want = any_ex ? inter & ~uni : uni;
		unsigned have = 0;
		for (int i = 0; i < n; i++)
			have |= 1u << (got[i].s6_addr[15] - 1);
		if (mode != (any_ex ? MLD_FILTER_EXCLUDE : MLD_FILTER_INCLUDE) || have != want)
			abort();
	}
}

static void query(struct umk_stack *s, struct umk_if *ifp, uint8_t b, uint8_t mask)
{
	struct mld_query q = { .max_resp_code = (uint16_t)(b * 40), .qrv = 2, .qqic = 125 };
	if (b & 1)
		q.group = group_addr((b >> 1) & 1);
	struct in6_addr srcs[NSRC];
	uint16_t n = 0;
	if (b & 4)
		for (int i = 0; i < NSRC; i++)
			if (mask & (1u << i))
				srcs[n++] = src_addr(i);
	uint8_t buf[200];
	size_t len = mld_v2_query_emit(buf, sizeof(buf), &q, srcs, n);
	struct umk_pkt *pkt = pkt_alloc(s, (uint32_t)len, PKT_HEADROOM);
	if (!pkt)
		return;
	memcpy(pkt_put(pkt, (uint32_t)len), buf, len);
	struct ip6_rx rx = { .ifp = ifp, .hlim = 1, .nxt = IPPROTO_ICMPV6,
			     .flags = IP6_RX_ROUTER_ALERT };
	rx.src.s6_addr[0] = 0xfe;
	rx.src.s6_addr[1] = 0x80;
	rx.src.s6_addr[15] = 1;
	mld_input(s, pkt, &rx);
}

/* One stack for the whole run (making one per input is most of the cost): every input
 * ends with all its sockets closed and the reports run out, which is itself checked. */
static struct umk_stack *s;
static struct umk_if *ifp;
static int ifx;
static umk_time_t now;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!s) {
		struct umk_stack_config cfg;
		umk_stack_config_defaults(&cfg);
		cfg.log_level = UMK_LOG_ERR;
		cfg.pool_small = 64;
		cfg.pool_medium = 4;
		cfg.pool_large = 4;
		s = umk_stack_new(&cfg, 0);
		if (!s)
			return 0;
		struct umk_if_params p = { .name = "eth0", .lladdr = { 2, 0, 0, 0, 0, 1 },
					   .mtu = 1500, .ops = &ops };
		ifx = umk_if_add(s, &p);
		umk_if_up(s, ifx);
		now = 5000;
		umk_timers_run(s, now);
		ifp = if_get(s, ifx);
	}
	s->limits.max_socket_group_sources = 3;   /* so that the bound is reached too */
	int sd[NSOCK];
	for (int k = 0; k < NSOCK; k++)
		sd[k] = umk_socket(s, AF_INET6, SOCK_DGRAM, 0);
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint8_t op = data[i], arg = data[i + 1];
		int k = op % NSOCK;
		struct in6_addr g = group_addr((op >> 5) & 1), src = src_addr(arg % NSRC);
		switch ((op / NSOCK) % 8) {
		case 0: case 1: case 2: case 3: {
			static const int names[] = { MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_SOURCE_GROUP,
						     MCAST_BLOCK_SOURCE, MCAST_UNBLOCK_SOURCE };
			struct group_source_req r = { .gsr_interface = (arg & 0x80) ? 0 : (uint32_t)ifx };
			r.gsr_group = storage(&g);
			r.gsr_source = storage(&src);
			umk_setsockopt(s, sd[k], IPPROTO_IPV6, names[(op / NSOCK) % 8], &r, sizeof(r));
			break;
		}
		case 4: case 5: {
			struct group_req r = { .gr_interface = (uint32_t)ifx };
			r.gr_group = storage(&g);
			umk_setsockopt(s, sd[k], IPPROTO_IPV6,
				       (op / NSOCK) % 8 == 4 ? MCAST_JOIN_GROUP : MCAST_LEAVE_GROUP,
				       &r, sizeof(r));
			break;
		}
		case 6: {
			struct sockaddr_storage l[NSRC];
			uint32_t n = mask_list(arg & 0xf, l);
			struct sockaddr_in6 gs = { .sin6_family = AF_INET6, .sin6_addr = g };
			umk_setsourcefilter(s, sd[k], 0, (struct sockaddr *)&gs, sizeof(gs),
					    (arg & 0x10) ? MCAST_EXCLUDE : MCAST_INCLUDE, n, l);
			break;
		}
		default:
			if (arg & 0x80) {
				now += (uint64_t)(arg & 0x7f) * 100;
				umk_timers_run(s, now);
			} else {
				query(s, ifp, arg, op);
			}
			break;
		}
		check(s, ifp, sd);
	}
	for (int k = 0; k < NSOCK; k++)
		umk_close(s, sd[k]);
	now += 60000;
	umk_timers_run(s, now);
	for (int g = 0; g < 2; g++) {
		struct in6_addr ga = group_addr(g);
		uint8_t mode;
		if (mld_group_state(s, ifp, &ga, &mode, NULL, 0) >= 0)
			abort();   /* every socket closed: nobody listens */
	}
	return 0;
}
