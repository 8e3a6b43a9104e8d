/*
 * gso.h - offloads done in software where no driver does them (pkt.h PKT_F_CSUM_PARTIAL,
 * gso_size): finishing a left-open TCP/UDP checksum, and cutting a TCP/IPv6 super-segment
 * into wire-sized segments, as a Linux kernel does for a device without TSO. Used where a
 * packet that carries offload work leaves for a place that will not do it: forwarding
 * (ip6/forward.c), an interface without the offload (ip6/output.c).
 */
#ifndef UMK_IP6_GSO_H
#define UMK_IP6_GSO_H

#include "core/stack_int.h"

/* Finishes a PKT_F_CSUM_PARTIAL checksum in place (RFC 1071 sum from csum_start to the
 * end, complemented, at csum_start + csum_offset; a UDP result of 0 is sent as 0xffff,
 * RFC 8200 8.1) and clears the flag. Nothing to do without the flag. 0, or -EINVAL when
 * csum_start/csum_offset do not lie inside the packet's data or csum_offset is odd
 * (counted). UDP is told from its field's offset, 6 (TCP's is 16): see gso.c. */
int gso_csum_finish(struct umk_stack *s, struct umk_pkt *pkt);

/* Cuts a TCP super-segment (pkt->data at the IPv6 header; the fixed header followed
 * directly by TCP; pkt->gso_size > 0) into segments of at most gso_size payload bytes, each
 * a packet of its own with PKT_HEADROOM in front: its own payload length, sequence number
 * (the first keeps the original), flags (FIN and PSH only on the last, CWR only on the
 * first, RFC 3168 6.1.2), the TCP options copied, a complete checksum, gso_size 0 and no
 * checksum flags; URG only where the urgent point is not behind the segment's start, the
 * pointer made relative to it (gso.c). A payload of at most gso_size (even 0) makes one
 * segment. Consumes pkt on every path. 0 with the chain (->next) in *out; a negative
 * errno (-EINVAL malformed: payload length not the packet's, a bad Data Offset or options,
 * gso_size 0, SYN or RST on more than one segment's worth; -EPROTONOSUPPORT extension
 * headers or not TCP; -ENOBUFS the pool ran dry, what was built freed) with nothing in
 * *out and the cause counted. */
int gso_segment_tcp6(struct umk_stack *s, struct umk_pkt *pkt, struct umk_pkt **out);

#endif
