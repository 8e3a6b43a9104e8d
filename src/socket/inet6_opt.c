/*
 * inet6_opt.c - the RFC 3542 helpers that build and read the bytes of extension headers an
 * application hands to IPV6_HOPOPTS / IPV6_DSTOPTS / IPV6_RTHDRDSTOPTS (section 10: the
 * TLV options of RFC 8200 4.2 with their alignment padding) and IPV6_RTHDR (section 7: a
 * Routing header's address list). Pure functions over caller buffers; no stack state.
 *
 * Named umk_inet6_opt_* / umk_inet6_rth_*: glibc already declares the unprefixed names in
 * <netinet/in.h>, which socket.h includes, and a second definition would clash at link time
 * with libc's (and differ from it in what it accepts, e.g. routing type 2).
 *
 * The socket layer checks what it is given by the same rules (socket/exthdr.c).
 */
#define _GNU_SOURCE
#include <string.h>

#include <umikame/socket.h>

#include "wire/ip6_const.h"

/* ---- RFC 3542 10: options headers ---- */

#define OPT_HDR_MIN 2          /* Next Header and Hdr Ext Len come first */

/* Writes padlen bytes of padding at p: one Pad1, or a PadN (RFC 8200 4.2). */
static void put_pad(uint8_t *p, unsigned padlen)
{
	if (padlen == 0)
		return;
	if (padlen == 1) {
		p[0] = IP6OPT_PAD1;
		return;
	}
	p[0] = IP6OPT_PADN;
	p[1] = (uint8_t)(padlen - 2);
	memset(p + 2, 0, padlen - 2);
}

int umk_inet6_opt_init(void *extbuf, socklen_t extlen)
{
	if (extbuf) {
		/* RFC 3542 10.1: a whole number of 8-octet units, at most 256 of them */
		if (extlen == 0 || extlen % 8 || extlen > 2048)
			return -1;
		uint8_t *p = extbuf;
		p[0] = 0;                          /* Next Header: the stack fills it in */
		p[1] = (uint8_t)(extlen / 8 - 1);  /* Hdr Ext Len */
	}
	return OPT_HDR_MIN;
}

int umk_inet6_opt_append(void *extbuf, socklen_t extlen, int offset, uint8_t type,
			 socklen_t len, unsigned align, void **databufp)
{
	/* RFC 3542 10.2: Pad1 and PadN are the helpers' own business; align is 1, 2, 4 or
	 * 8 and not more than len */
	if (offset < OPT_HDR_MIN || type == IP6OPT_PAD1 || type == IP6OPT_PADN || len > 255 ||
	    (align != 1 && align != 2 && align != 4 && align != 8) || align > len)
		return -1;
	/* the option is placed so that it ends on a multiple of align: then a data part
	 * laid out as the option's definition says (RFC 8200 4.2 xn+y alignment) falls on
	 * its natural boundaries, as in RFC 8200 Appendix A */
	unsigned end = (unsigned)offset + 2 + len;
	unsigned padlen = (align - end % align) % align;
	unsigned total = (unsigned)offset + padlen + 2 + len;
	if (!extbuf)
		return (int)total;
	if (total > extlen)
		return -1;
	uint8_t *p = (uint8_t *)extbuf + offset;
	put_pad(p, padlen);
	p += padlen;
	p[0] = type;
	p[1] = (uint8_t)len;
	if (databufp)
		*databufp = p + 2;
	return (int)total;
}

int umk_inet6_opt_finish(void *extbuf, socklen_t extlen, int offset)
{
	if (offset < OPT_HDR_MIN)
		return -1;
	unsigned padlen = (8 - (unsigned)offset % 8) % 8;
	unsigned total = (unsigned)offset + padlen;
	if (!extbuf)
		return (int)total;
	if (total > extlen)
		return -1;
	put_pad((uint8_t *)extbuf + offset, padlen);
	return (int)total;
}

int umk_inet6_opt_set_val(void *databuf, int offset, const void *val, socklen_t vallen)
{
	if (!databuf || offset < 0)
		return -1;
	memcpy((uint8_t *)databuf + offset, val, vallen);
	return offset + (int)vallen;
}

int umk_inet6_opt_get_val(const void *databuf, int offset, void *val, socklen_t vallen)
{
	if (!databuf || offset < 0)
		return -1;
	memcpy(val, (const uint8_t *)databuf + offset, vallen);
	return offset + (int)vallen;
}

/* The next option other than padding at or after offset: RFC 3542 10.5/10.6. any: every
 * type, else only `type`. The returned offset is the end of the option found. */
static int opt_walk(const void *extbuf, socklen_t extlen, int offset, bool any, uint8_t type,
		    uint8_t *typep, socklen_t *lenp, void **databufp)
{
	const uint8_t *p = extbuf;
	if (!extbuf || extlen < OPT_HDR_MIN || extlen % 8)
		return -1;
	unsigned pos = offset == 0 ? OPT_HDR_MIN : (unsigned)offset;
	if (offset < 0 || (offset > 0 && offset < OPT_HDR_MIN))
		return -1;
	while (pos < extlen) {
		if (p[pos] == IP6OPT_PAD1) {
			pos++;
			continue;
		}
		if (extlen - pos < 2 || p[pos + 1] > extlen - pos - 2)
			return -1;   /* an option running past the header */
		unsigned olen = p[pos + 1];
		unsigned next = pos + 2 + olen;
		if (p[pos] != IP6OPT_PADN && (any || p[pos] == type)) {
			if (typep)
				*typep = p[pos];
			if (lenp)
				*lenp = olen;
			if (databufp)
				*databufp = (void *)(p + pos + 2);
			return (int)next;
		}
		pos = next;
	}
	return -1;
}

int umk_inet6_opt_next(const void *extbuf, socklen_t extlen, int offset, uint8_t *typep,
		       socklen_t *lenp, void **databufp)
{
	return opt_walk(extbuf, extlen, offset, true, 0, typep, lenp, databufp);
}

int umk_inet6_opt_find(const void *extbuf, socklen_t extlen, int offset, uint8_t type,
		       socklen_t *lenp, void **databufp)
{
	return opt_walk(extbuf, extlen, offset, false, type, NULL, lenp, databufp);
}

/* ---- RFC 3542 7: Routing headers ---- */

#define RTH_HDR 8              /* Next Header, Hdr Ext Len, Type, Segments Left, Reserved */

/* Type 0 (RFC 3542 7.1, kept for reading old headers; RFC 5095 forbids sending it) holds up
 * to 127 addresses (Hdr Ext Len is 2 per address, at most 255); type 2 (RFC 6275 6.4)
 * exactly one. */
static bool rth_segments_ok(int type, int segments)
{
	if (type == IP6_RTHDR_TYPE0)
		return segments >= 0 && segments <= 127;
	if (type == IP6_RTHDR_TYPE2)
		return segments == 1;
	return false;
}

socklen_t umk_inet6_rth_space(int type, int segments)
{
	if (!rth_segments_ok(type, segments))
		return 0;
	return (socklen_t)(RTH_HDR + 16 * segments);
}

void *umk_inet6_rth_init(void *bp, socklen_t bp_len, int type, int segments)
{
	socklen_t need = umk_inet6_rth_space(type, segments);
	if (!bp || !need || bp_len < need)
		return NULL;
	uint8_t *p = bp;
	memset(p, 0, need);
	p[1] = (uint8_t)(2 * segments);  /* Hdr Ext Len: 16 octets per address */
	p[2] = (uint8_t)type;
	p[3] = 0;                        /* RFC 3542 7.2: rth_add counts them */
	return bp;
}

/* Addresses the header has room for, -1 when it is not a type these helpers know. */
static int rth_room(const uint8_t *p)
{
	if (p[2] != IP6_RTHDR_TYPE0 && p[2] != IP6_RTHDR_TYPE2)
		return -1;
	if (p[1] & 1)
		return -1;
	return p[1] / 2;
}

int umk_inet6_rth_add(void *bp, const struct in6_addr *addr)
{
	uint8_t *p = bp;
	if (!bp || !addr)
		return -1;
	int room = rth_room(p);
	if (room < 0 || p[3] >= room)
		return -1;
	memcpy(p + RTH_HDR + 16 * p[3], addr, 16);
	p[3]++;
	return 0;
}

int umk_inet6_rth_reverse(const void *in, void *out)
{
	const uint8_t *ip = in;
	if (!in || !out)
		return -1;
	int n = rth_room(ip);
	if (n < 0)
		return -1;
	uint8_t *op = out;
	if (op != ip)
		memmove(op, ip, RTH_HDR);
	/* swap from both ends so that in == out works (RFC 3542 7.4) */
	uint8_t tmp[16];
	for (int i = 0, j = n - 1; i <= j; i++, j--) {
		memcpy(tmp, ip + RTH_HDR + 16 * i, 16);
		memmove(op + RTH_HDR + 16 * i, ip + RTH_HDR + 16 * j, 16);
		memcpy(op + RTH_HDR + 16 * j, tmp, 16);
	}
	op[3] = (uint8_t)n;              /* RFC 3542 7.4: Segments Left = the number of them */
	return 0;
}

int umk_inet6_rth_segments(const void *bp)
{
	if (!bp)
		return -1;
	return rth_room(bp);
}

struct in6_addr *umk_inet6_rth_getaddr(const void *bp, int index)
{
	int n = umk_inet6_rth_segments(bp);
	if (n < 0 || index < 0 || index >= n)
		return NULL;
	return (struct in6_addr *)((uint8_t *)bp + RTH_HDR + 16 * index);
}
