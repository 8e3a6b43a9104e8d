/*
 * nd_test_util.h - helpers shared by the ND tests (tests/unit/test_nd6.c, tests/sim/sim_nd.c,
 * tests/sim/sim_rd.c): build Ethernet/IPv6/ND frames from a struct nd_msg with a correct
 * checksum, and pick ND messages out of captured frames. Header-only (static functions).
 */
#ifndef UMK_TESTS_ND_TEST_UTIL_H
#define UMK_TESTS_ND_TEST_UTIL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "wire/checksum.h"
#include "wire/nd.h"

static inline struct in6_addr ndt_addr(const char *s)
{
	struct in6_addr a;
	inet_pton(AF_INET6, s, &a);
	return a;
}

/* Ethernet + IPv6 + the ND message m; returns the frame length. dmac NULL: derived from
 * dst (multicast) or ff:ff:.. otherwise use the given one. */
static inline size_t ndt_frame(uint8_t *f, size_t cap, const uint8_t dmac[6],
			       const uint8_t smac[6], const struct in6_addr *src,
			       const struct in6_addr *dst, uint8_t hlim, const struct nd_msg *m)
{
	uint8_t *icmp = f + 14 + 40;
	size_t n = nd_emit(icmp, cap - 54, m);
	if (!n)
		return 0;
	if (dmac) {
		memcpy(f, dmac, 6);
	} else {
		f[0] = 0x33;
		f[1] = 0x33;
		memcpy(f + 2, dst->s6_addr + 12, 4);
	}
	memcpy(f + 6, smac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(n >> 8);
	ip[5] = (uint8_t)n;
	ip[6] = 58;
	ip[7] = hlim;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	uint16_t c = csum_ip6(src, dst, 58, icmp, n);
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	return 54 + n;
}

struct ndt_seen {
	uint8_t dmac[6], smac[6];
	struct in6_addr src, dst;
	uint8_t hlim;
	struct nd_msg m;
};

/* If the frame is an ND message (IPv6 header directly followed by ICMPv6 133..137), fills
 * *out and returns true. */
static inline bool ndt_parse(const uint8_t *f, size_t len, struct ndt_seen *out)
{
	if (len < 54 || f[12] != 0x86 || f[13] != 0xdd || (f[14] >> 4) != 6 || f[20] != 58)
		return false;
	if (f[54] < 133 || f[54] > 137)
		return false;
	size_t plen = (size_t)f[18] << 8 | f[19];
	if (plen > len - 54)
		return false;
	memcpy(out->dmac, f, 6);
	memcpy(out->smac, f + 6, 6);
	out->hlim = f[21];
	memcpy(&out->src, f + 22, 16);
	memcpy(&out->dst, f + 38, 16);
	return nd_parse(f + 54, plen, &out->m) == ND_PARSE_OK;
}

/* An ICMPv6 message of type `type` (any, not just ND) directly after the IPv6 header. */
static inline bool ndt_is_icmp6(const uint8_t *f, size_t len, uint8_t type)
{
	return len >= 55 && f[12] == 0x86 && f[13] == 0xdd && f[20] == 58 && f[54] == type;
}

#endif
