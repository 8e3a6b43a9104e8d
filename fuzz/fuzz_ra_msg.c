/*
 * fuzz_ra_msg.c - libFuzzer target for the A_RA_CONF codec (ctl/ra_msg.c) and for what a
 * decoded configuration does to a router (ip6/rtadv.c): whatever `umk ra set` or a hostile
 * control client sends.
 *   - ctl_ra_decode on the input; a configuration it accepts is within the limits of
 *     <umikame/router.h>, encodes again, and decodes to the same configuration (and the
 *     same bytes a second time);
 *   - umk_ra_set with it on a forwarding interface (RFC 4861 6.2.1 checks), then the RAs
 *     it sends (ra_build, nd_emit), an RS answered (6.2.6) and a final RA (6.2.5), each
 *     frame read back by the ND parser.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <umikame/mgmt.h>
#include <umikame/router.h>
#include <umikame/umikame.h>

#include "ctl/ra_msg.h"
#include "wire/ip6.h"
#include "wire/nd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every RA the router sends must parse as one (RFC 4861 4.2 and its options). */
static int sink(void *ctx, const void *frame, size_t len)
{
	const uint8_t *f = frame;
	struct ip6_hdr_info h;
	if (len < 14 + IP6_HLEN || ip6_hdr_parse(f + 14, len - 14, &h))
		abort();
	if (h.nxt == IPPROTO6_ICMPV6 && f[14 + IP6_HLEN] == ND_ROUTER_ADVERT) {
		struct nd_msg m;
		if ((size_t)h.plen + 14 + IP6_HLEN > len ||
		    nd_parse(f + 14 + IP6_HLEN, h.plen, &m) != ND_PARSE_OK)
			abort();
		(*(int *)ctx)++;
	}
	return 0;
}

static void check_limits(const struct umk_ra_config *c)
{
	if (c->n_prefix > UMK_RA_MAX_PREFIXES || c->n_route > UMK_RA_MAX_ROUTES ||
	    c->n_rdnss > UMK_RA_MAX_RDNSS || c->n_dnssl > UMK_RA_MAX_DNSSL)
		abort();
	for (unsigned i = 0; i < c->n_dnssl; i++)
		if (strnlen(c->dnssl[i], UMK_RA_NAME_MAX + 1) > UMK_RA_NAME_MAX)
			abort();
}

static void roundtrip(const struct umk_ra_config *c)
{
	static uint8_t b1[CTL_RA_CONF_MAX], b2[CTL_RA_CONF_MAX];
	struct umk_ra_config d;
	int n1 = ctl_ra_encode(c, b1, sizeof(b1));
	if (n1 < 0 || ctl_ra_decode(b1, (size_t)n1, &d) != 0 || memcmp(c, &d, sizeof(d)) != 0)
		abort();
	int n2 = ctl_ra_encode(&d, b2, sizeof(b2));
	if (n2 != n1 || memcmp(b1, b2, (size_t)n1) != 0)
		abort();
	/* a buffer one byte short is refused, never overrun */
	if (n1 > 0 && ctl_ra_encode(c, b1, (size_t)n1 - 1) >= 0)
		abort();
}

static const uint8_t rs_frame[] = {
	0x33, 0x33, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0x77, 0x86, 0xdd,
	0x60, 0, 0, 0, 0, 16, 58, 255,
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77,
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 0x77,
};

static void run_router(const struct umk_ra_config *c)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.pool_small = 64;
	cfg.pool_medium = 8;
	cfg.pool_large = 4;
	cfg.log_level = -1;
	umk_time_t now = 1000;
	struct umk_stack *s = umk_stack_new(&cfg, now);
	if (!s)
		return;
	int ras = 0;
	struct umk_link_ops ops = { .transmit = sink };
	struct umk_if_params ip = { .name = "fz0", .lladdr = { 0x02, 0, 0, 0, 0, 1 },
				    .mtu = 1500, .ops = &ops, .ctx = &ras };
	int idx = umk_if_add(s, &ip);
	umk_conf_set(s, idx, "dad_transmits", 0);
	umk_conf_set(s, idx, "forwarding", 1);
	umk_if_up(s, idx);
	umk_timers_run(s, now += 1000);
	if (umk_ra_set(s, idx, c) == 0) {
		struct umk_ra_config got;
		struct umk_ra_status st;
		if (umk_ra_get(s, idx, &got) != 0 || umk_ra_status(s, idx, &st) != 0 ||
		    !st.advertising)
			abort();
		umk_timers_run(s, now += 20000);
		/* an accepted configuration is advertised (one that cannot be is refused) */
		if (ras == 0)
			abort();
		/* the RS frame's checksum is filled in here; its SLLAO is the sender's */
		uint8_t f[sizeof(rs_frame)];
		memcpy(f, rs_frame, sizeof(f));
		struct in6_addr src, dst;
		memcpy(&src, f + 22, 16);
		memcpy(&dst, f + 38, 16);
		uint32_t sum = 0;
		for (int i = 0; i < 16; i += 2)
			sum += (uint32_t)(src.s6_addr[i] << 8 | src.s6_addr[i + 1]) +
			       (uint32_t)(dst.s6_addr[i] << 8 | dst.s6_addr[i + 1]);
		sum += 16 + 58;
		for (size_t i = 54; i < sizeof(f); i += 2)
			sum += (uint32_t)(f[i] << 8 | f[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		f[56] = (uint8_t)(~sum >> 8);
		f[57] = (uint8_t)~sum;
		umk_input(s, idx, f, sizeof(f));
		umk_timers_run(s, now += 5000);
		umk_ra_del(s, idx);
		umk_timers_run(s, now += 20000);
	}
	umk_stack_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umk_ra_config c;
	if (ctl_ra_decode(data, size, &c) != 0)
		return 0;
	check_limits(&c);
	roundtrip(&c);
	run_router(&c);
	return 0;
}
