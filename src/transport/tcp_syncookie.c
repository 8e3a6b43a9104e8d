/*
 * tcp_syncookie.c - SYN cookies (RFC 4987 3.6): when a listener's queue of half-open
 * connections is full, the SYN-ACK's ISN carries the state instead of a connection block,
 * and the ACK that completes the handshake rebuilds it.
 *
 *   ISN = t (5 bits, 64 s periods) | MSS index (3 bits) | 24-bit keyed hash
 *
 * The hash (SHA-256 under a secret drawn at stack creation) covers both addresses and ports,
 * the client's ISN and t; a cookie is good for one to two periods. The window scale and
 * SACK-Permitted of the SYN travel in the low 6 bits of our timestamp (echoed back in TSecr)
 * when the client uses timestamps; without them the connection goes without those options.
 * The timestamp clock of such a connection is offset by a keyed hash of its 4-tuple
 * (RFC 7323 5.4), the same in the SYN-ACK and in the connection rebuilt from the ACK.
 */
#include <string.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "transport/tcp_int.h"

#define COOKIE_PERIOD_MS TCP_COOKIE_PERIOD_MS
static const uint16_t cookie_mss[8] = { 216, 536, 1220, 1380, 1440, 1460, 4036, 8940 };

static uint32_t cookie_hash(struct umk_stack *s, const struct ip6_rx *rx, uint16_t sport,
			    uint16_t dport, uint32_t cseq, uint32_t t)
{
	uint8_t in[32 + 16 + 16 + 4 + 4 + 4], out[32];
	memcpy(in, s->tcp->cookie_key, 32);
	memcpy(in + 32, &rx->src, 16);
	memcpy(in + 48, &rx->dst, 16);
	memcpy(in + 64, &sport, 2);
	memcpy(in + 66, &dport, 2);
	memcpy(in + 68, &cseq, 4);
	memcpy(in + 72, &t, 4);
	umk_sha256(in, sizeof(in), out);
	explicit_bzero(in, 32);
	return (uint32_t)out[0] << 16 | (uint32_t)out[1] << 8 | out[2];
}

uint32_t tcp_cookie_ts_offset(struct umk_stack *s, const struct ip6_rx *rx,
			      const struct tcp_hdr_info *th)
{
	/* t = 32 is never a period (5 bits), so this never equals a cookie's hash input */
	uint32_t hi = cookie_hash(s, rx, th->sport, th->dport, 0, 32);
	uint32_t lo = cookie_hash(s, rx, th->sport, th->dport, 1, 32);
	return hi << 8 ^ lo;
}

static uint32_t period(struct umk_stack *s) { return (uint32_t)(s->now / COOKIE_PERIOD_MS) & 31; }

uint32_t tcp_cookie_make(struct umk_stack *s, const struct ip6_rx *rx,
			 const struct tcp_hdr_info *th, uint16_t *mss)
{
	uint16_t want = (th->opt.present & TCPO_MSS) ? th->opt.mss : 536;
	if (*mss < want)
		want = *mss;   /* ours, from the path */
	uint32_t idx = 0;
	for (uint32_t i = 0; i < 8; i++)
		if (cookie_mss[i] <= want)
			idx = i;
	*mss = cookie_mss[idx];
	uint32_t t = period(s);
	return t << 27 | idx << 24 | cookie_hash(s, rx, th->sport, th->dport, th->seq, t);
}

bool tcp_cookie_check(struct umk_stack *s, const struct ip6_rx *rx,
		      const struct tcp_hdr_info *th, uint16_t *mss)
{
	uint32_t cookie = th->ack - 1, cseq = th->seq - 1;
	uint32_t t = cookie >> 27, now = period(s);
	if (((now - t) & 31) > 1)
		return false;
	if ((cookie & 0xffffff) != cookie_hash(s, rx, th->sport, th->dport, cseq, t))
		return false;
	*mss = cookie_mss[(cookie >> 24) & 7];
	return true;
}

uint32_t tcp_cookie_tsval(uint32_t now_ts, const struct tcp_opts *syn, uint8_t our_wscale)
{
	(void)our_wscale;
	uint32_t ws = (syn->present & TCPO_WSCALE) ?
		      (syn->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : syn->wscale) : 0xf;
	uint32_t sack = (syn->present & TCPO_SACK_OK) ? 0x10 : 0;
	return (now_ts & ~0x3fu) | sack | ws;
}

void tcp_cookie_ts_decode(uint32_t tsecr, struct tcp_opts *o, uint8_t *our_wscale)
{
	(void)our_wscale;
	o->present |= TCPO_TS;
	if ((tsecr & 0xf) != 0xf) {
		o->present |= TCPO_WSCALE;
		o->wscale = (uint8_t)(tsecr & 0xf);
	}
	if (tsecr & 0x10)
		o->present |= TCPO_SACK_OK;
}
