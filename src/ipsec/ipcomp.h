/*
 * ipcomp.h - IPComp (RFC 3173) with deflate (RFC 2394) on an IPComp association (an SA
 * of protocol 108 whose SPI field holds the CPI): output compresses a payload before ESP
 * (the policy's bundle lists IPComp first, datapath.c), input decompresses with a bound.
 * The header's wire format is in wire/ipcomp.c; zlib does the deflate.
 */
#ifndef UMK_IPSEC_IPCOMP_H
#define UMK_IPSEC_IPCOMP_H

#include "ipsec/ipsec.h"
#include "wire/ipcomp.h"

/* The deflate streams and scratch buffer, made once (control path: the first IPComp SA)
 * so the data path never allocates. 0 or -ENOMEM. */
int ipcomp_ctx_init(struct umk_stack *s);
void ipcomp_ctx_fini(struct umk_stack *s);

/* Checks an IPComp SA's CPI and algorithm (RFC 3173 3.3): 0 or -EINVAL. */
int ipcomp_sa_check(const struct ipsec_sa *sa);

/* Compresses the payload at pkt->data (protocol *nxt) under sa. 0 with the payload
 * replaced by the IPComp header and compressed data (*nxt = 108), or 0 with it unchanged
 * when it is below the threshold or would not shrink (RFC 3173 2.2: sent uncompressed,
 * counted). Never fails. */
int ipcomp_output(struct umk_stack *s, struct ipsec_sa *sa, struct umk_pkt *pkt, uint8_t *nxt);

/* ip6_input's IPComp header handler, as esp_input: the header at off from pkt->data (the
 * IPv6 header). 0 with *pp (a new packet), *nxt, *len updated and the decompressed
 * payload at *off, or 1 when consumed (dropped and counted, or a tunnel's inner packet
 * handed to ip6_input). */
int ipcomp_input(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx, uint32_t *off,
		 uint32_t nxt_off, uint8_t *nxt, uint32_t *len);

#endif
