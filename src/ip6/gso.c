/*
 * gso.c - offloads finished in software (gso.h): a left-open transport checksum filled in
 * (RFC 1071, the pseudo-header of RFC 8200 8.1), and a TCP/IPv6 super-segment cut into
 * segments of gso_size payload bytes, as a Linux kernel's tcp_gso_segment does for a device
 * without TSO. The flag rules are RFC 9293 3.1 and RFC 3168 6.1.2; the urgent pointer is
 * the RFC 9293 3.8.5 / RFC 6093 one. Callers: ip6/output.c, ip6/forward.c.
 *
 * Headers are read through wire/ip6.h and wire/tcp.h; each segment's TCP header is the
 * original's bytes (options as they were, unknown ones too) with the four fields that
 * differ per segment rewritten at their RFC 9293 3.1 offsets.
 */
#include <errno.h>
#include <string.h>

#include "ip6/gso.h"
#include "wire/checksum.h"
#include "wire/ip6.h"
#include "wire/tcp.h"
#include "wire/udp.h"

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/*
 * The protocol is not in the packet's metadata, only where its checksum goes: offset 6 from
 * the transport header is UDP's field (TCP's is 16, ICMPv6's 2; at offset 6 TCP carries its
 * sequence number and ICMPv6 its message body, never a checksum), so that offset alone
 * says the 0 -> 0xffff rule of RFC 8200 8.1 / RFC 768 applies. A caller that knew the
 * protocol could pass it instead; for what the offload model (virtio-net's csum_start/
 * csum_offset pair) carries this is exact.
 */
int gso_csum_finish(struct umk_stack *s, struct umk_pkt *pkt)
{
	if (!(pkt->flags & PKT_F_CSUM_PARTIAL))
		return 0;
	uint32_t data_off = pkt_off(pkt);
	/* The field must lie whole inside the summed bytes, which lie inside data, and be a
	 * 16-bit word of the sum (an odd offset straddles two words: no checksum sits there). */
	if (pkt->csum_start < data_off || pkt->csum_start - data_off > pkt->len ||
	    (uint64_t)(pkt->csum_start - data_off) + pkt->csum_offset + 2 > pkt->len ||
	    (pkt->csum_offset & 1)) {
		COUNT(s, GSO_DROP_CSUM_OFFSETS);
		return -EINVAL;
	}
	uint8_t *start = pkt->buf + pkt->csum_start;
	uint32_t len = pkt->len - (pkt->csum_start - data_off);
	/* The field holds the pseudo-header sum, so summing it in with the rest and writing the
	 * complement over it leaves the whole (pseudo-header included) summing to 0xffff. */
	uint16_t c = csum_fold(csum_add(0, start, len));
	if (c == 0 && pkt->csum_offset == UDP_OFF_CSUM)
		c = 0xffff;
	wr16(start + pkt->csum_offset, c);
	pkt->flags &= (uint8_t)~PKT_F_CSUM_PARTIAL;
	COUNT(s, GSO_CSUM_FINISHED);
	return 0;
}

static int drop(struct umk_stack *s, struct umk_pkt *pkt, int err)
{
	pkt_free(s, pkt);
	return err;
}

/*
 * The control bits of the segment that starts `off` payload bytes into the super-segment.
 * FIN and PSH belong to the last byte, so to the last segment; CWR marks the first segment
 * after a window reduction, so only the first one (RFC 3168 6.1.2). Everything else (ACK,
 * ECE, RST, SYN where allowed) is the same on every segment.
 *
 * URG: the urgent pointer is an offset from the segment's own sequence number to the
 * urgent point (RFC 9293 3.8.5, RFC 6093). Linux's tcp_gso_segment copies URG and the
 * pointer unchanged onto every segment, so every segment after the first points past the
 * urgent point; Linux's own sender avoids that by not building super-segments for urgent
 * writes (tcp_send_mss: no size goal for MSG_OOB), but a super-segment from a TAP peer or
 * another stack may still carry it. Here the urgent point stays where the sender put it:
 * a segment that starts at or before it keeps URG with the pointer made relative to its
 * own start (urp - off, which never grows, so it always fits 16 bits); a segment that
 * starts after it has no urgent data to announce and goes without URG, pointer 0. That is
 * what a sender that sent these segments one by one would have written.
 */
static void seg_control(const struct tcp_hdr_info *th, uint32_t off, bool last,
			uint8_t *flags, uint16_t *urp)
{
	uint8_t f = th->flags;
	if (!last)
		f &= (uint8_t)~(TH_FIN | TH_PSH);
	if (off)
		f &= (uint8_t)~TH_CWR;
	*urp = 0;
	if (f & TH_URG) {
		if (th->urp >= off)
			*urp = (uint16_t)(th->urp - off);
		else
			f &= (uint8_t)~TH_URG;
	}
	*flags = f;
}

int gso_segment_tcp6(struct umk_stack *s, struct umk_pkt *pkt, struct umk_pkt **out)
{
	struct ip6_hdr_info ip;
	struct tcp_hdr_info th;

	*out = NULL;
	if (ip6_hdr_parse(pkt->data, pkt->len, &ip) != 0 || ip.plen != pkt->len - IP6_HLEN) {
		COUNT(s, GSO_DROP_MALFORMED);
		return drop(s, pkt, -EINVAL);
	}
	/* Extension headers would have to be copied into every segment, and a Fragment header
	 * cannot be: nobody hands us those (gso.h), so they are refused, not walked. */
	if (ip.nxt != IPPROTO6_TCP) {
		COUNT(s, GSO_DROP_NOT_TCP);
		return drop(s, pkt, -EPROTONOSUPPORT);
	}
	/* tcp_parse checks the Data Offset (>= 5 words, inside the packet) and the options;
	 * options it cannot parse make the super-segment malformed, as they would a segment. */
	const uint8_t *tcp = pkt->data + IP6_HLEN;
	if (tcp_parse(tcp, pkt->len - IP6_HLEN, &th) != TCP_OK || pkt->gso_size == 0) {
		COUNT(s, GSO_DROP_MALFORMED);
		return drop(s, pkt, -EINVAL);
	}
	uint32_t g = pkt->gso_size, total = th.payload_len, hl = th.hlen;
	/* A SYN occupies the first sequence number (RFC 9293 3.4), so a second segment's data
	 * would not start at seq + offset; an RST ends the connection with its first segment.
	 * No sender builds either as a super-segment: refuse one rather than cut it wrong. */
	if ((th.flags & (TH_SYN | TH_RST)) && total > g) {
		COUNT(s, GSO_DROP_SYN_RST);
		return drop(s, pkt, -EINVAL);
	}

	struct umk_pkt *head = NULL, **tail = &head;
	uint32_t n = 0, off = 0;
	do {
		uint32_t seg = total - off < g ? total - off : g;
		uint32_t tlen = hl + seg;
		struct umk_pkt *p = pkt_alloc(s, IP6_HLEN + tlen, PKT_HEADROOM);
		if (!p) {
			pkt_free_chain(s, head);
			COUNT(s, GSO_DROP_NOBUFS);
			return drop(s, pkt, -ENOBUFS);
		}
		uint8_t *d = pkt_put(p, IP6_HLEN + tlen);
		ip.plen = (uint16_t)tlen;
		ip6_hdr_emit(d, &ip);
		uint8_t *t = d + IP6_HLEN;
		memcpy(t, tcp, hl);
		memcpy(t + hl, th.payload + off, seg);

		uint8_t flags;
		uint16_t urp;
		seg_control(&th, off, off + seg == total, &flags, &urp);
		wr32(t + TCP_OFF_SEQ, th.seq + off);
		t[TCP_OFF_FLAGS] = flags;
		wr16(t + TCP_OFF_URP, urp);
		wr16(t + TCP_OFF_CSUM, 0);
		/* RFC 8200 8.1: the pseudo-header carries this segment's own upper-layer length */
		wr16(t + TCP_OFF_CSUM, csum_ip6(&ip.src, &ip.dst, IPPROTO6_TCP, t, tlen));

		p->ifindex = pkt->ifindex;
		p->flags = (uint8_t)(pkt->flags & ~(PKT_F_CSUM_PARTIAL | PKT_F_CSUM_VALID));
		p->net_off = pkt_off(p);
		p->csum_start = 0;
		p->csum_offset = 0;
		*tail = p;
		tail = &p->next;
		n++;
		off += seg;
	} while (off < total);

	pkt_free(s, pkt);
	COUNT(s, GSO_SUPER_SEGMENTS_CUT);
	COUNT_ADD(s, GSO_SEGMENTS_MADE, n);
	*out = head;
	return 0;
}
