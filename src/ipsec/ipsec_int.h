/*
 * ipsec_int.h - helpers shared by esp.c and ah.c, implemented in datapath.c.
 */
#ifndef UMK_IPSEC_IPSEC_INT_H
#define UMK_IPSEC_IPSEC_INT_H

#include "ipsec/ipsec.h"

/* Transport mode input: removes hdr_len bytes at off (the ESP/AH header, with the IV) and
 * keeps inner_len bytes after them; the headers before off slide forward so the packet
 * stays one IPv6 packet whose byte at nxt_off now says nxt. Payload Length is fixed. */
void ipsec_strip(struct umk_pkt *pkt, uint32_t off, uint32_t hdr_len, uint32_t inner_len,
		 uint32_t nxt_off, uint8_t nxt);
/* Transport mode input: records sa as the one that processed the packet (for its
 * RFC 4301 5.2 step 4 check before delivery); the caller sets IP6_RX_ESP / IP6_RX_AH. */
void ipsec_in_note(struct umk_stack *s, const struct ipsec_sa *sa);
/* Tunnel mode input: the inner packet (IPv6, inner_len bytes at inner_off) goes through
 * ip6_input with sa (and an AH that covered the outer packet, from rx) recorded as its
 * tunnel for the inbound check. Consumes pkt. */
void ipsec_decap(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx,
		 uint32_t inner_off, uint32_t inner_len, const struct ipsec_sa *sa);
/* RFC 4301 5.2 (step 4): the verdict on a received packet with selector values ps that
 * the n SAs in recs processed: 0 to accept, else the counter to drop it by. Shared by
 * delivery (datapath.c) and forwarding (gateway.c). */
int ipsec_in_verdict(struct umk_stack *s, const struct ipsec_pktsel *ps,
		     const struct ipsec_in_sa *const *recs, int n);
/* RFC 4301 5.1 step 3a: the ACQUIRE for a policy that has no SA, at most once a second. */
void ipsec_acquire(struct umk_stack *s, struct ipsec_policy *pol, const struct ipsec_req *req,
		   const struct in6_addr *src, const struct in6_addr *dst);
/* The SAs pol asks for between src and dst (tunnel requests use their endpoints) into sas;
 * the first request that has none (and is not optional) through *missing, else NULL. */
void ipsec_find_sas(struct umk_stack *s, struct ipsec_policy *pol, const struct in6_addr *src,
		    const struct in6_addr *dst, struct ipsec_sa **sas,
		    struct ipsec_req **missing);
/* Tunnel mode output of a whole IPv6 packet (pkt->data at its header) through sa, toward
 * the endpoints of q. ip6_output's result (pkt consumed). */
int ipsec_tunnel_out(struct umk_stack *s, struct ipsec_sa *sa, const struct ipsec_req *q,
		     struct umk_pkt *pkt);
/* The same for an inner packet of protocol `inner` (IPPROTO6_IPV6 or IPPROTO6_IPV4), the
 * outer Traffic Class set to tclass (RFC 4301 5.1.2.1: DSCP copied; RFC 6040 normal mode:
 * ECN copied). Consumes pkt. */
int ipsec_tunnel_out_inner(struct umk_stack *s, struct ipsec_sa *sa, const struct ipsec_req *q,
			   struct umk_pkt *pkt, uint8_t inner, uint8_t tclass);

/* Big-endian 32/64-bit stores for the AAD and IVs. */
static inline void ipsec_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Counts an input drop by reason, frees the packet, and returns 1 ("consumed") for the
 * ESP and AH input functions. */
static inline int ipsec_drop(struct umk_stack *s, struct umk_pkt *pkt, int cnt)
{
	s->counters[cnt]++;
	pkt_free(s, pkt);
	return 1;
}

#endif
