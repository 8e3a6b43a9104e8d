/*
 * wire/tcp.h - the TCP header (RFC 9293 3.1) and its options: End of Option List, No-Operation,
 * MSS (RFC 9293 3.2, RFC 6691), Window Scale and Timestamps (RFC 7323 2.2, 3.2), SACK-Permitted
 * and SACK (RFC 2018 2, 3). Parse checks every length once against the end of the header and
 * fills a host-order struct; emit mirrors it. Logic in transport/tcp*.c.
 */
#ifndef UMK_WIRE_TCP_H
#define UMK_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_HLEN        20          /* RFC 9293 3.1: the header without options */
#define TCP_MAX_HLEN    60          /* Data Offset is 4 bits of 32-bit words */
#define TCP_MAX_OPTLEN  (TCP_MAX_HLEN - TCP_HLEN)
/* RFC 9293 3.1: offsets of the fields a segment of a cut super-segment changes */
#define TCP_OFF_SEQ     4
#define TCP_OFF_FLAGS   13
#define TCP_OFF_CSUM    16
#define TCP_OFF_URP     18

/* RFC 9293 3.1 control bits (RFC 3168 for ECE/CWR) */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

/* option kinds and their fixed lengths */
#define TCPOPT_EOL        0         /* RFC 9293 3.2 */
#define TCPOPT_NOP        1
#define TCPOPT_MSS        2
#define TCPOLEN_MSS       4
#define TCPOPT_WSCALE     3         /* RFC 7323 2.2 */
#define TCPOLEN_WSCALE    3
#define TCPOPT_SACK_PERM  4         /* RFC 2018 2 */
#define TCPOLEN_SACK_PERM 2
#define TCPOPT_SACK       5         /* RFC 2018 3: 2 + 8n bytes */
#define TCPOPT_TS         8         /* RFC 7323 3.2 */
#define TCPOLEN_TS        10

#define TCP_MAX_WSCALE    14        /* RFC 7323 2.3: larger shifts are used as 14 */
#define TCP_MAX_SACK      4         /* blocks that fit 40 bytes of options (RFC 2018 3) */
#define TCP_DEFAULT_MSS   1220      /* RFC 8200 5 minimum MTU 1280 - 40 - 20 (RFC 9293 3.7.1) */

/* which options a segment carried */
#define TCPO_MSS     0x01
#define TCPO_WSCALE  0x02
#define TCPO_SACK_OK 0x04
#define TCPO_SACK    0x08
#define TCPO_TS      0x10

struct tcp_sack_block {
	uint32_t start, end;        /* left edge, right edge (first byte past the block) */
};

struct tcp_opts {
	uint8_t present;            /* TCPO_* */
	uint8_t wscale;             /* as received, not clamped */
	uint16_t mss;
	uint32_t tsval, tsecr;
	uint8_t n_sack;
	struct tcp_sack_block sack[TCP_MAX_SACK];
};

struct tcp_hdr_info {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t hlen;               /* header with options, bytes */
	uint8_t flags;              /* TH_* */
	uint16_t win, csum, urp;
	struct tcp_opts opt;
	const uint8_t *payload;
	uint32_t payload_len;
};

enum tcp_err {
	TCP_OK = 0,
	TCP_ERR_SHORT = -1,         /* fewer than 20 bytes */
	TCP_ERR_OFFSET = -2,        /* Data Offset below 5 or past the end of the segment */
	TCP_ERR_OPTION = -3,        /* an option runs past the header or has a wrong length */
};

/* Parses the segment at p (len bytes to its end). */
int tcp_parse(const uint8_t *p, size_t len, struct tcp_hdr_info *h);
/* Parses an option list of len bytes. */
int tcp_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o);
/* Bytes tcp_opts_emit writes for o (a multiple of 4, at most 40). */
size_t tcp_opts_len(const struct tcp_opts *o);
/* Writes the options of o (NOP-padded to 32-bit words); returns the bytes written. */
size_t tcp_opts_emit(uint8_t *p, const struct tcp_opts *o);
/* Writes the header and options of h (h->hlen is computed from the options); checksum 0
 * (ip6_output fills it). Returns the header length. */
size_t tcp_emit(uint8_t *p, struct tcp_hdr_info *h);
/* Ports and sequence number from the first 8 bytes (what an ICMPv6 error quotes). */
int tcp_quoted(const uint8_t *p, size_t len, uint16_t *sport, uint16_t *dport, uint32_t *seq);

#endif
