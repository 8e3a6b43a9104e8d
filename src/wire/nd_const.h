/*
 * nd_const.h - Neighbor Discovery constants: message types and fixed lengths, option types
 * and their minimum lengths, flag bits, and the protocol constants of RFC 4861 section 10
 * that are not per-interface settings (those live in struct ip6_ifconf, link/if.h).
 */
#ifndef UMK_WIRE_ND_CONST_H
#define UMK_WIRE_ND_CONST_H

/* RFC 4861 4.1-4.5: ICMPv6 types */
#define ND_ROUTER_SOLICIT    133
#define ND_ROUTER_ADVERT     134
#define ND_NEIGHBOR_SOLICIT  135
#define ND_NEIGHBOR_ADVERT   136
#define ND_REDIRECT          137

/* RFC 4861 6.1.1/6.1.2/7.1.1/7.1.2/8.1: "ICMP length (derived from the IP length) is N or
 * more octets": the fixed part of each message, ICMPv6 header included. */
#define ND_RS_LEN        8
#define ND_RA_LEN        16
#define ND_NS_LEN        24
#define ND_NA_LEN        24
#define ND_REDIRECT_LEN  40

/* RFC 4861 6.1.1 etc.: every ND message arrives with IP Hop Limit 255 (proves on-link). */
#define ND_HOP_LIMIT 255

/* RFC 4861 4.2 RA flags byte: M, O; RFC 3775 H; RFC 4191 2.2 Prf (bits 4..3) */
#define ND_RA_F_MANAGED  0x80
#define ND_RA_F_OTHER    0x40
#define ND_RA_F_HA       0x20
#define ND_RA_PRF_SHIFT  3
#define ND_RA_PRF_MASK   0x03
/* RFC 4191 2.1: 01 high, 00 medium, 11 low, 10 reserved */
#define ND_PRF_HIGH      0x1
#define ND_PRF_MEDIUM    0x0
#define ND_PRF_RESERVED  0x2
#define ND_PRF_LOW       0x3

/* RFC 4861 4.4 NA flags (first byte of the reserved word) */
#define ND_NA_F_ROUTER    0x80
#define ND_NA_F_SOLICITED 0x40
#define ND_NA_F_OVERRIDE  0x20

/* RFC 4861 4.6: options are TLVs with the length in units of 8 octets. */
#define ND_OPT_UNIT 8

/* Option types: RFC 4861 4.6, RFC 3971 5.3.2 (Nonce, used by RFC 7527), RFC 4191 2.3,
 * RFC 8106 5.1/5.2 */
#define ND_OPT_SOURCE_LLADDR   1
#define ND_OPT_TARGET_LLADDR   2
#define ND_OPT_PREFIX_INFO     3
#define ND_OPT_REDIRECTED_HDR  4
#define ND_OPT_MTU             5
#define ND_OPT_NONCE           14
#define ND_OPT_ROUTE_INFO      24
#define ND_OPT_RDNSS           25
#define ND_OPT_DNSSL           31

/* Minimum option lengths in octets (type and length included) */
#define ND_OPT_LLADDR_LEN      8   /* RFC 2464 8: Ethernet, length 1 */
#define ND_OPT_PREFIX_LEN      32  /* RFC 4861 4.6.2: length 4 */
#define ND_OPT_REDIR_MIN_LEN   8   /* RFC 4861 4.6.3: 8 octets, then the packet */
#define ND_OPT_MTU_LEN         8   /* RFC 4861 4.6.4 */
#define ND_OPT_NONCE_MIN_LEN   8   /* RFC 3971 5.3.2: at least 6 octets of nonce */
#define ND_OPT_ROUTE_MIN_LEN   8   /* RFC 4191 2.3: length 1, 2 or 3 */
#define ND_OPT_RDNSS_MIN_LEN   24  /* RFC 8106 5.1: length at least 3 */
#define ND_OPT_DNSSL_MIN_LEN   16  /* RFC 8106 5.2: length at least 2 */

/* RFC 4861 4.6.2 PIO flags */
#define ND_PIO_F_ONLINK 0x80
#define ND_PIO_F_AUTO   0x40

#define ND_ETH_ADDR_LEN  6
#define ND_NONCE_LEN     6         /* RFC 7527 4: the nonce DAD sends */
#define ND_INFINITE_LIFETIME 0xffffffffu

/* How many of each repeatable option one parsed message keeps; more are counted. */
#define ND_MAX_PREFIX_OPTS 16
#define ND_MAX_ROUTE_OPTS  16
#define ND_MAX_RDNSS_ADDRS 8
#define ND_MAX_DNSSL_NAMES 8
#define ND_DNS_NAME_MAX    254       /* RFC 1035 3.1: 255 octets wire, dotted text <= 253 */

/* RFC 4861 10: host constants that are not settings */
#define ND_MAX_RA_DELAY_TIME      500
#define ND_REACHABLE_RECOMPUTE    (2 * 3600 * 1000)  /* 6.3.4: "at least every few hours" */
#define ND_MIN_RANDOM_FACTOR_PCT  50                 /* RFC 4861 10: 0.5 */
#define ND_MAX_RANDOM_FACTOR_PCT  150                /* RFC 4861 10: 1.5 */
#define ND_MAX_REACHABLE_TIME     3600000            /* RFC 4861 6.2.1: 1 hour */
#define ND_MIN_LINK_MTU           1280               /* RFC 8200 5 */

/* RFC 4861 10: router constants, and the ranges of 6.2.1 */
#define ND_MAX_INITIAL_RTR_ADVERT_INTERVAL 16000    /* ms */
#define ND_MAX_INITIAL_RTR_ADVERTISEMENTS  3
#define ND_MAX_FINAL_RTR_ADVERTISEMENTS    3
#define ND_MIN_DELAY_BETWEEN_RAS           3000     /* ms */
#define ND_MIN_MAX_RTR_ADV_INTERVAL        4        /* s: MaxRtrAdvInterval >= 4 */
#define ND_MAX_MAX_RTR_ADV_INTERVAL        1800     /* s: MaxRtrAdvInterval <= 1800 */
#define ND_MIN_MIN_RTR_ADV_INTERVAL        3        /* s: MinRtrAdvInterval >= 3 */
#define ND_MAX_ROUTER_LIFETIME             9000     /* s: AdvDefaultLifetime <= 9000 */

/* Our own choices (not in the RFCs) */
#define ND6_STALE_GC_TIME    (20 * 60 * 1000)  /* unused STALE entries are collected after */
#define ND6_FAILED_HOLD_TIME (60 * 1000)       /* remember a failed neighbor this long */
#define ND6_REDIRECT_LIFETIME (10 * 60 * 1000) /* RFC 4861 8.3 leaves it open */
#define ND6_MAX_RDNSS 8                        /* RDNSS servers kept per interface */
#define ND6_MAX_DNSSL 8                        /* DNSSL domains kept per interface */

#endif
