/*
 * esp.c - ESP (RFC 4303) processing on an SA: output (3.3: sequence number, padding,
 * encryption, ICV) and input (3.4: SA lookup, replay check, ICV verified before any
 * decryption for non-AEAD algorithms, then the window moves, padding checked, dummy
 * packets dropped). AEAD layouts: RFC 4106 (GCM) and RFC 7634 (ChaCha20-Poly1305) put SPI
 * and sequence number (with the ESN high bits, 2.2.1) in the AAD and use an 8-byte IV
 * equal to the 64-bit sequence number (unique per key, RFC 4106 3.1); RFC 4543 (GMAC)
 * authenticates header, IV and payload as AAD and encrypts nothing.
 * Wire format in wire/esp.c; the data path glue in datapath.c.
 */
#include <errno.h>
#include <string.h>

#include "ip6/ip6.h"
#include "ipsec/ipsec_int.h"
#include "wire/esp.h"
#include "wire/ip6_const.h"

/* The AAD prefix: SPI, then (ESN) the high 32 bits, then the low 32 bits. */
static uint32_t esp_aad(const struct ipsec_sa *sa, uint64_t seq, uint8_t aad[12])
{
	ipsec_put32(aad, sa->spi);
	if (sa->esn) {
		ipsec_put32(aad + 4, (uint32_t)(seq >> 32));
		ipsec_put32(aad + 8, (uint32_t)seq);
		return 12;
	}
	ipsec_put32(aad + 4, (uint32_t)seq);
	return 8;
}

int esp_output(struct umk_stack *s, struct ipsec_sa *sa, struct umk_pkt *pkt, uint8_t *nxt)
{
	struct ipsec_crypto *c = sa->crypto;
	uint32_t ivl = ipsec_crypto_iv_len(c), icvl = ipsec_crypto_icv_len(c);
	uint32_t plen = pkt->len;
	uint32_t pad = esp_pad_len(plen, ipsec_crypto_block(c));
	uint8_t aad[12], hi[4];
	int r;

	/* RFC 4303 3.3.3: the counter never cycles; a new SA is needed first */
	if (sa->seq == (sa->esn ? UINT64_MAX : UINT32_MAX)) {
		COUNT(s, IPSEC_DROP_SEQ_CYCLE);
		r = -EKEYEXPIRED;
		goto drop;
	}
	if (!sad_use(s, sa, plen)) {
		COUNT(s, IPSEC_DROP_HARD_EXPIRED);
		r = -EKEYEXPIRED;
		goto drop;
	}
	uint64_t seq = ++sa->seq;
	uint8_t *tail = pkt_put(pkt, pad + ESP_TRAILER_LEN + icvl);
	uint8_t *hdr = pkt_push(pkt, ESP_HDR_LEN + ivl);
	if (!tail || !hdr) {
		COUNT(s, IPSEC_DROP_NOBUFS);
		r = -ENOBUFS;
		goto drop;
	}
	struct esp_hdr eh = { .spi = sa->spi, .seq = (uint32_t)seq };
	esp_hdr_emit(hdr, &eh);
	uint8_t *iv = hdr + ESP_HDR_LEN, *payload = iv + ivl;
	uint32_t clen = plen + pad + ESP_TRAILER_LEN;
	esp_trailer_emit(payload + plen, pad, *nxt);
	uint8_t *icv = payload + clen;
	uint32_t aadl = esp_aad(sa, seq, aad);

	if (ipsec_crypto_aead(c)) {
		ipsec_put32(iv, (uint32_t)(seq >> 32));
		ipsec_put32(iv + 4, (uint32_t)seq);
		if (ipsec_crypto_gmac(c)) {
			struct ipsec_iov a[3] = { { aad, aadl }, { iv, ivl }, { payload, clen } };
			r = ipsec_crypto_seal(c, iv, a, 3, NULL, 0, icv);
		} else {
			struct ipsec_iov a = { aad, aadl };
			r = ipsec_crypto_seal(c, iv, &a, 1, payload, clen, icv);
		}
	} else {
		/* RFC 3602 2.1: the CBC IV must be unpredictable */
		r = ivl ? ipsec_crypto_random(iv, ivl) : 0;
		if (!r)
			r = ipsec_crypto_encrypt(c, iv, payload, clen);
		/* RFC 4303 2.2.1: with ESN the high bits are covered but not sent */
		ipsec_put32(hi, (uint32_t)(seq >> 32));
		struct ipsec_iov parts[2] = { { hdr, ESP_HDR_LEN + ivl + clen },
					      { hi, sa->esn ? 4 : 0 } };
		if (!r)
			r = ipsec_crypto_icv(c, parts, 2, icv);
	}
	if (r) {
		COUNT(s, IPSEC_DROP_CRYPTO);
		goto drop;
	}
	COUNT(s, ESP_OUT_PKTS);
	*nxt = IPPROTO6_ESP;
	return 0;
drop:
	pkt_free(s, pkt);
	return r;
}

int esp_input(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx, uint32_t *off,
	      uint32_t nxt_off, uint8_t *nxt, uint32_t *len)
{
	struct umk_pkt *pkt = *pp;
	struct esp_hdr eh;
	struct esp_trailer tr;
	uint8_t aad[12], hi[4];
	int r;

	COUNT(s, ESP_IN_PKTS);
	uint8_t *hdr = pkt->data + *off;
	uint32_t esp_len = *len - *off;
	if (esp_hdr_parse(hdr, esp_len, &eh))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_TRUNCATED);
	struct ipsec_sa *sa = sad_lookup(s, eh.spi, &rx->dst, IPPROTO6_ESP);
	if (!sa || !sa->crypto) {
		/* RFC 4303 3.4.2: auditable; no ICMP is sent */
		LOG_DEBUG(s, "no SA for spi 0x%08x", eh.spi);
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_NO_SA);
	}
	struct ipsec_crypto *c = sa->crypto;
	uint32_t ivl = ipsec_crypto_iv_len(c), icvl = ipsec_crypto_icv_len(c);
	if (esp_len < ESP_HDR_LEN + ivl + ESP_TRAILER_LEN + icvl)
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_TRUNCATED);
	uint32_t clen = esp_len - ESP_HDR_LEN - ivl - icvl;
	if (clen % ipsec_crypto_block(c))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_BAD_LEN);
	uint8_t *iv = hdr + ESP_HDR_LEN, *payload = iv + ivl, *icv = payload + clen;

	/* RFC 4303 3.4.3: the cheap replay check comes before the ICV */
	uint64_t seq = replay_infer(&sa->replay, eh.seq);
	if (!replay_check(&sa->replay, seq))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_REPLAY);
	uint32_t aadl = esp_aad(sa, seq, aad);
	if (ipsec_crypto_aead(c)) {
		if (ipsec_crypto_gmac(c)) {
			struct ipsec_iov a[3] = { { aad, aadl }, { iv, ivl }, { payload, clen } };
			r = ipsec_crypto_open(c, iv, a, 3, NULL, 0, icv);
		} else {
			struct ipsec_iov a = { aad, aadl };
			r = ipsec_crypto_open(c, iv, &a, 1, payload, clen, icv);
		}
	} else {
		ipsec_put32(hi, (uint32_t)(seq >> 32));
		struct ipsec_iov parts[2] = { { hdr, ESP_HDR_LEN + ivl + clen },
					      { hi, sa->esn ? 4 : 0 } };
		/* RFC 4303 3.4.4.1: integrity first, decryption only of what verified */
		r = ipsec_crypto_icv_verify(c, parts, 2, icv);
		if (!r)
			r = ipsec_crypto_decrypt(c, iv, payload, clen);
	}
	if (r == -EBADMSG)
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_ICV);
	if (r)
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_CRYPTO);
	replay_update(&sa->replay, seq);
	if (!sad_use(s, sa, clen))
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_HARD_EXPIRED);

	r = esp_trailer_parse(payload, clen, &tr);
	if (r == ESP_ERR_PAD)
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_BAD_PAD);
	if (r)
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_TRUNCATED);
	uint32_t inner_len = clen - tr.pad_len - ESP_TRAILER_LEN;
	if (tr.nxt == IPPROTO6_NONE)
		return ipsec_drop(s, pkt, CNT_IPSEC_DROP_DUMMY);   /* RFC 4303 2.6 */
	COUNT(s, ESP_IN_OK);

	/* tunnel mode carries IPv6 (41) or IPv4 (4, a gateway's IPv4 networks) */
	bool inner_ip = tr.nxt == IPPROTO6_IPV6 || tr.nxt == IPPROTO6_IPV4;
	if (inner_ip || sa->mode == IPSEC_MODE_TUNNEL) {
		if (!inner_ip)
			return ipsec_drop(s, pkt, CNT_IPSEC_DROP_TUNNEL_BAD);
		ipsec_decap(s, pkt, rx, *off + ESP_HDR_LEN + ivl, inner_len, sa);
		return 1;
	}
	ipsec_strip(pkt, *off, ESP_HDR_LEN + ivl, inner_len, nxt_off, tr.nxt);
	ipsec_in_note(s, sa);              /* RFC 4301 5.2 step 4, before delivery */
	rx->flags |= IP6_RX_ESP;
	*nxt = tr.nxt;
	*len = pkt->len;
	return 0;
}
