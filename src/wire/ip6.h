/*
 * wire/ip6.h - IPv6 wire formats (RFC 8200): the fixed header, the generic extension header,
 * Hop-by-Hop and Destination options (TLV iteration, 4.2), the Routing header (4.4), the
 * Fragment header (4.5), and a walk over a header chain. Pure functions: each checks every
 * length against the end of the buffer it is given and fills a host-order struct.
 */
#ifndef UMK_WIRE_IP6_H
#define UMK_WIRE_IP6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/ip6_const.h"

struct ip6_hdr_info {
	uint8_t version;
	uint8_t tclass;
	uint32_t flowlabel;
	uint16_t plen;                /* Payload Length */
	uint8_t nxt;
	uint8_t hlim;
	struct in6_addr src, dst;
};

enum ip6_parse_err {
	IP6_ERR_SHORT = -1,           /* buffer ends inside the header */
	IP6_ERR_VERSION = -2,         /* version field is not 6 */
	IP6_ERR_BADLEN = -3,          /* a length field is inconsistent */
};

/* The fixed header at p (len bytes available). 0 or an ip6_parse_err. */
int ip6_hdr_parse(const uint8_t *p, size_t len, struct ip6_hdr_info *h);
/* Writes 40 bytes at p. */
void ip6_hdr_emit(uint8_t *p, const struct ip6_hdr_info *h);

/* The generic extension header of RFC 8200 4.3/4.4/4.6 (Next Header, Hdr Ext Len in 8-octet
 * units not counting the first 8). len: the header's total length in bytes. */
struct ip6_ext {
	uint8_t nxt;
	uint32_t len;
};
int ip6_ext_parse(const uint8_t *p, size_t avail, struct ip6_ext *e);

/* RFC 8200 4.4 Routing header (the common part of every type). */
struct ip6_rthdr {
	uint8_t nxt;
	uint32_t len;
	uint8_t type;
	uint8_t segleft;
};
#define IP6_RTHDR_OFF_TYPE 2          /* offset of Routing Type inside the header */
int ip6_rthdr_parse(const uint8_t *p, size_t avail, struct ip6_rthdr *r);

/* RFC 8200 4.5 Fragment header. */
struct ip6_fraghdr {
	uint8_t nxt;
	uint16_t offset;              /* in bytes (the field times 8) */
	bool more;                    /* M flag */
	uint32_t id;
};
int ip6_fraghdr_parse(const uint8_t *p, size_t avail, struct ip6_fraghdr *f);
void ip6_fraghdr_emit(uint8_t *p, const struct ip6_fraghdr *f);

/* Options in a Hop-by-Hop or Destination Options header (RFC 8200 4.2), in order. */
struct ip6_opt {
	uint8_t type;
	uint8_t len;                  /* Opt Data Len (0 for Pad1) */
	const uint8_t *data;
	uint32_t off;                 /* offset of the type byte from the header's start */
};
struct ip6_opt_iter {
	const uint8_t *hdr;
	uint32_t pos, end;
};
/* hdr: the options header, hdrlen its total length (from ip6_ext_parse). */
void ip6_opt_iter_init(struct ip6_opt_iter *it, const uint8_t *hdr, uint32_t hdrlen);
/* 1 and o filled; 0 at the end; -1 when an option runs past the header. */
int ip6_opt_next(struct ip6_opt_iter *it, struct ip6_opt *o);

/* Writes a Hop-by-Hop header of 8 bytes holding a Router Alert option (RFC 2711). */
#define IP6_HBH_RTALERT_LEN 8
void ip6_hbh_rtalert_emit(uint8_t *p, uint8_t nxt, uint16_t value);

/*
 * A walk over the extension headers of a packet, for code that looks into packets it did
 * not receive itself (the packet quoted in an ICMPv6 error, the first fragment's chain,
 * RFC 7112). Starting with Next Header nxt at offset off of pkt[0..len), skips Hop-by-Hop,
 * Destination Options, Routing, Fragment and AH headers.
 */
struct ip6_chain {
	uint8_t nxt;                  /* the first header not skipped */
	uint32_t off;                 /* where it starts */
	uint32_t nxt_off;             /* offset of the byte that named it */
	bool frag_nonfirst;           /* stopped at a Fragment header with offset != 0 */
};
/* 0, or IP6_ERR_SHORT when an extension header does not fit in len. */
int ip6_chain_walk(const uint8_t *pkt, uint32_t len, uint8_t nxt, uint32_t off,
		   uint32_t nxt_off, struct ip6_chain *c);
static inline bool ip6_is_ext(uint8_t nxt)
{
	return nxt == IPPROTO6_HOPOPTS || nxt == IPPROTO6_ROUTING ||
	       nxt == IPPROTO6_FRAGMENT || nxt == IPPROTO6_DSTOPTS || nxt == IPPROTO6_AH;
}

#endif
