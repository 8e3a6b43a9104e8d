/*
 * ra_msg.h - the A_RA_CONF attribute: a struct umk_ra_config (<umikame/router.h>) in a
 * fixed network-order layout, and the A_NEXTHOPS attribute of an ECMP route request.
 *
 *   A_RA_CONF: min, max, router lifetime, MTU, reachable, retrans, DNS lifetime (u32 each),
 *              flags (u8: 0x80 M, 0x40 O, 0x20 unicast solicited), pref (s8), cur hop limit, then counts of
 *              prefixes, routes, RDNSS, DNSSL (u8 each); then each prefix {16 addr, u8 plen,
 *              u8 flags 0x80 L 0x40 A, u32 valid, u32 preferred}, route {16, u8 plen, s8
 *              pref, u32 lifetime}, RDNSS {16}, DNSSL {u8 length, the name}.
 *   A_NEXTHOPS: {16 gateway, 16 interface name NUL padded} each.
 * Implementation: ctl/ra_msg.c.
 */
#ifndef UMK_CTL_RA_MSG_H
#define UMK_CTL_RA_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <umikame/router.h>

#define CTL_RA_CONF_MAX 2048
#define CTL_NEXTHOP_LEN 32

/* Bytes written to buf, or -1 when cap is too small. */
int ctl_ra_encode(const struct umk_ra_config *c, uint8_t *buf, size_t cap);
/* 0, or -1 when the bytes are not a whole, well-formed configuration. */
int ctl_ra_decode(const uint8_t *buf, size_t len, struct umk_ra_config *c);

#endif
