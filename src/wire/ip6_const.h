/*
 * ip6_const.h - IPv6 wire constants: header sizes, protocol numbers, option types and the
 * limits of RFC 8200, each with the section it comes from. ICMPv6 constants are in
 * wire/icmp6.h.
 */
#ifndef UMK_WIRE_IP6_CONST_H
#define UMK_WIRE_IP6_CONST_H

/* RFC 8200 3: the fixed header */
#define IP6_HLEN            40
#define IP6_VERSION         6
#define IP6_MAX_PAYLOAD     65535   /* RFC 8200 3 Payload Length; jumbograms not supported */
#define IP6_MIN_MTU         1280    /* RFC 8200 5 */
#define IP6_OFF_PLEN        4       /* offset of Payload Length in the fixed header */
#define IP6_OFF_NXT         6       /* offset of Next Header */
#define IP6_OFF_HLIM        7
#define IP6_OFF_SRC         8
#define IP6_OFF_DST         24
#define IP6_DEFAULT_HLIM    64      /* IANA / RFC 8200 3 recommended default */

/* Next Header values (IANA protocol numbers; RFC 8200 4.1 and 4.7) */
#define IPPROTO6_HOPOPTS    0       /* RFC 8200 4.3 */
#define IPPROTO6_TCP        6
#define IPPROTO6_UDP        17
#define IPPROTO6_IPV6       41
#define IPPROTO6_IPV4       4     /* IPv4 in a tunnel (IANA "IPv4 encapsulation") */
#define IPPROTO6_ROUTING    43      /* RFC 8200 4.4 */
#define IPPROTO6_FRAGMENT   44      /* RFC 8200 4.5 */
#define IPPROTO6_ESP        50
#define IPPROTO6_AH         51
#define IPPROTO6_ICMPV6     58
#define IPPROTO6_NONE       59      /* RFC 8200 4.7 No Next Header */
#define IPPROTO6_DSTOPTS    60      /* RFC 8200 4.6 */

/* RFC 8200 4.2: option types and the action in their two high-order bits */
#define IP6OPT_PAD1         0x00
#define IP6OPT_PADN         0x01
#define IP6OPT_TUNNEL_LIMIT 0x04    /* RFC 2473 */
#define IP6OPT_ROUTER_ALERT 0x05    /* RFC 2711 */
#define IP6OPT_JUMBO        0xc2    /* RFC 2675 (not supported: treated as unknown) */
#define IP6OPT_ACTION(t)    (((t) >> 6) & 3)
#define IP6OPT_ACT_SKIP         0   /* 00: skip over this option */
#define IP6OPT_ACT_DISCARD      1   /* 01: discard silently */
#define IP6OPT_ACT_DISCARD_ICMP 2   /* 10: discard, Parameter Problem code 2 */
#define IP6OPT_ACT_DISCARD_UCAST 3  /* 11: as 10, only if the destination is not multicast */
#define IP6OPT_CHANGES(t)   (((t) >> 5) & 1) /* option data may change en route */

/* RFC 2711: Router Alert values */
#define IP6_RTALERT_MLD     0

/* RFC 8200 4.4: routing types */
#define IP6_RTHDR_TYPE0     0       /* deprecated, RFC 5095 */
#define IP6_RTHDR_TYPE2     2       /* Mobile IPv6, RFC 6275 */

/* RFC 8200 4.5: Fragment header */
#define IP6_FRAGHDR_LEN     8
#define IP6_FRAG_MF         0x0001
#define IP6_FRAG_OFFMASK    0xfff8
#define IP6_OFF_FRAG_OFFSET 2       /* offset of Fragment Offset inside the Fragment header */
#define IP6_REASM_TIMEOUT   60000   /* RFC 8200 4.5: 60 seconds */

/* RFC 8201 5.3: a PMTU estimate ages out after no less than 5 minutes; 10 recommended */
#define IP6_PMTU_AGE_MS     (10 * 60 * 1000)

#endif
