/*
 * mld_const.h - Multicast Listener Discovery constants: message types and layouts
 * (RFC 2710 3, RFC 3810 4 and 5), record types (RFC 3810 5.2.12), timer defaults
 * (RFC 3810 9) and the well-known groups reports go to.
 */
#ifndef UMK_WIRE_MLD_CONST_H
#define UMK_WIRE_MLD_CONST_H

/* ICMPv6 types (RFC 2710 3, RFC 3810 4) */
#define MLD_LISTENER_QUERY     130
#define MLD_V1_LISTENER_REPORT 131
#define MLD_V1_LISTENER_DONE   132
#define MLD_V2_LISTENER_REPORT 143

/* Lengths (RFC 2710 3: every MLDv1 message is 24 bytes; RFC 3810 5.1: a query of 24 bytes
 * is MLDv1, of 28 or more MLDv2, anything else is ignored (RFC 3810 8.1)). */
#define MLD_V1_LEN             24
#define MLD_V2_QUERY_MINLEN    28
#define MLD_V2_REPORT_HDRLEN   8    /* RFC 3810 5.2 */
#define MLD_V2_RECORD_HDRLEN   20   /* RFC 3810 5.2.4: type, aux len, nsrcs, group */

/* RFC 3810 5.2.12 record types */
#define MLD_MODE_IS_INCLUDE        1
#define MLD_MODE_IS_EXCLUDE        2
#define MLD_CHANGE_TO_INCLUDE_MODE 3
#define MLD_CHANGE_TO_EXCLUDE_MODE 4
#define MLD_ALLOW_NEW_SOURCES      5
#define MLD_BLOCK_OLD_SOURCES      6

/* RFC 3810 5.1.3: a Maximum Response Code at or above this is floating point */
#define MLD_MRC_FLOAT_MIN      32768
/* RFC 3810 5.1.9: a QQIC at or above this is floating point */
#define MLD_QQIC_FLOAT_MIN     128
#define MLD_QRV_MASK           0x07 /* RFC 3810 5.1.8 */
#define MLD_S_FLAG             0x08 /* RFC 3810 5.1.7 */

/* RFC 3810 9 defaults */
#define MLD_ROBUSTNESS_DEFAULT         2        /* 9.1 */
#define MLD_QUERY_INTERVAL_DEFAULT     125000   /* 9.2, ms */
#define MLD_QUERY_RESPONSE_INTERVAL    10000    /* 9.3, ms */
#define MLD_UNSOLICITED_REPORT_INTERVAL 1000    /* 9.11, ms */

/* The all-MLDv2-capable-routers group (RFC 3810 5.2.14) and all-routers (RFC 2710 3 Done) */
#define MLD_V2_ROUTERS_GROUP { { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16 } } }
#define MLD_ALL_ROUTERS_GROUP { { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02 } } }
#define MLD_ALL_NODES_GROUP   { { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 } } }

#endif
