/*
 * ah.c - AH (RFC 4302) processing on an SA: output (3.3: sequence number, ICV over the
 * packet with its mutable fields zeroed) and input (3.4: SA lookup, replay check, ICV
 * verified over a normalised copy of the headers, then the window moves). The headers up
 * to and including AH are copied to a bounded scratch buffer for normalisation so the
 * received packet itself is never modified before it verified. ESN high bits are
 * appended to the ICV input (RFC 4302 2.5.1). Wire format and zeroing in wire/ah.c.
 */
#include <errno.h>
#include <string.h>

#include "ip6/ip6.h"
#include "ipsec/ipsec_int.h"
#include "wire/ah.h"
#include "wire/ip6.h"
#include "wire/ip6_const.h"

#define AH_SCRATCH 1024   /* IPv6 header + extension headers + AH we normalise */

int ah_output(struct umk_stack *s, struct ipsec_sa *sa, struct umk_pkt *pkt, uint8_t *nxt,
	      const struct in6_addr *src, const struct in6_addr *dst, uint32_t extra_hdr_len)
{
	struct ipsec_crypto *c = sa->crypto;
	uint32_t icvl = ipsec_crypto_icv_len(c), ahl = ah_hdr_len(icvl);
	uint8_t ip[IP6_HLEN], hi[4];
	int r;

	if (sa->seq == (sa->esn ? UINT64_MAX : UINT32_MAX)) {
		COUNT(s, IPSEC_DROP_SEQ_CYCLE);
		r = -EKEYEXPIRED;
		goto drop;
	}
	if (!sad_use(s, sa, pkt->len)) {
		COUNT(s, IPSEC_DROP_HARD_EXPIRED);
		r = -EKEYEXPIRED;
		goto drop;
	}
	uint64_t seq = ++sa->seq;
	uint8_t *hdr = pkt_push(pkt, ahl);
	if (!hdr || pkt->len + extra_hdr_len > IP6_MAX_PAYLOAD) {
		COUNT(s, IPSEC_DROP_NOBUFS);
		r = -ENOBUFS;
		goto drop;
	}
	ah_hdr_emit(hdr, *nxt, sa->spi, (uint32_t)seq, icvl);
	/* the IPv6 header as the receiver will see it, mutable fields zero (3.3.3.1) */
	struct ip6_hdr_info h = { .plen = (uint16_t)(pkt->len + extra_hdr_len),
				  .nxt = IPPROTO6_AH, .src = *src, .dst = *dst };
	ip6_hdr_emit(ip, &h);
	ipsec_put32(hi, (uint32_t)(seq >> 32));
	struct ipsec_iov parts[3] = { { ip, IP6_HLEN }, { pkt->data, pkt->len },
				      { hi, sa->esn ? 4 : 0 } };
	r = ipsec_crypto_icv(c, parts, 3, hdr + AH_FIXED_LEN);
	if (r) {
		COUNT(s, IPSEC_DROP_CRYPTO);
		goto drop;
	}
	COUNT(s, AH_OUT_PKTS);
	*nxt = IPPROTO6_AH;
	return 0;
drop:
	pkt_free(s, pkt);
	return r;
}

int ah_input(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx, uint32_t *off,
	     uint32_t nxt_off, uint8_t *nxt, uint32_t *len)
{
	struct umk_pkt *pkt = *pp;
	struct ah_hdr ah;
	uint8_t scratch[AH_SCRATCH], hi[4];

	COUNT(s, AH_IN_PKTS);
	if (ah_hdr_parse(pkt->data + *off, *len - *off, &ah))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_TRUNCATED);
	struct ipsec_sa *sa = sad_lookup(s, ah.spi, &rx->dst, IPPROTO6_AH);
	if (!sa || !sa->crypto)
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_NO_SA);
	struct ipsec_crypto *c = sa->crypto;
	uint32_t icvl = ipsec_crypto_icv_len(c);
	if (ah.len != ah_hdr_len(icvl))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_BAD_LEN);
	uint64_t seq = replay_infer(&sa->replay, ah.seq);
	if (!replay_check(&sa->replay, seq))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_REPLAY);
	uint32_t hlen = *off + ah.len;
	if (hlen > sizeof(scratch))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_AH_HDRS);
	memcpy(scratch, pkt->data, hlen);
	if (ah_zero_mutable(scratch, *off, icvl))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_AH_HDRS);
	ipsec_put32(hi, (uint32_t)(seq >> 32));
	struct ipsec_iov parts[3] = { { scratch, hlen }, { pkt->data + hlen, *len - hlen },
				      { hi, sa->esn ? 4 : 0 } };
	int r = ipsec_crypto_icv_verify(c, parts, 3, pkt->data + *off + ah.icv_off);
	if (r == -EBADMSG)
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_ICV);
	if (r)
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_CRYPTO);
	replay_update(&sa->replay, seq);
	if (!sad_use(s, sa, *len - hlen))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_HARD_EXPIRED);
	COUNT(s, AH_IN_OK);

	uint32_t inner_len = *len - hlen;
	if (ah.nxt == IPPROTO6_IPV6 || ah.nxt == IPPROTO6_IPV4) {
		ipsec_decap(s, pkt, rx, hlen, inner_len, sa);
		return 1;
	}
	if (sa->mode == IPSEC_MODE_TUNNEL)
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_TUNNEL_BAD);
	ipsec_strip(pkt, *off, ah.len, inner_len, nxt_off, ah.nxt);
	ipsec_in_note(s, sa);              /* RFC 4301 5.2 step 4, before delivery */
	rx->flags |= IP6_RX_AH;
	*nxt = ah.nxt;
	*len = pkt->len;
	return 0;
}
