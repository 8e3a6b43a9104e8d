/*
 * tcp_sack.c - selective acknowledgments (RFC 2018) both ways, and the sender's loss
 * recovery bookkeeping of RFC 6675.
 *
 *   receiver  the out-of-order ranges held in the receive ring, most recent first, so the
 *             first SACK block is the one with the latest segment (RFC 2018 4)
 *   sender    the scoreboard: SACKed ranges above SND.UNA, sorted and merged; IsLost, the
 *             pipe and NextSeg rule 1 of RFC 6675 4, computed per hole (every byte of a
 *             hole has the same number of SACKed bytes above it)
 */
#include <string.h>

#include "transport/tcp_int.h"

/* ---- receiver ---- */

bool tcp_ooo_add(struct tcpcb *tp, uint32_t start, uint32_t end)
{
	struct tcp_range m = { start, end };
	uint8_t n = 0;
	struct tcp_range keep[TCP_OOO_MAX];
	for (uint8_t i = 0; i < tp->n_ooo; i++) {
		struct tcp_range r = tp->ooo[i];
		if (seq_leq(r.start, m.end) && seq_geq(r.end, m.start)) {
			m.start = seq_min(m.start, r.start);
			m.end = seq_max(m.end, r.end);
		} else {
			keep[n++] = r;
		}
	}
	if (n >= TCP_OOO_MAX)
		return false;
	tp->ooo[0] = m;
	memcpy(&tp->ooo[1], keep, n * sizeof(keep[0]));
	tp->n_ooo = (uint8_t)(n + 1);
	return true;
}

uint32_t tcp_ooo_advance(struct tcpcb *tp, uint32_t rcv_nxt)
{
	bool again = true;
	while (again) {
		again = false;
		for (uint8_t i = 0; i < tp->n_ooo; i++) {
			if (seq_gt(tp->ooo[i].start, rcv_nxt))
				continue;
			if (seq_gt(tp->ooo[i].end, rcv_nxt))
				rcv_nxt = tp->ooo[i].end;
			memmove(&tp->ooo[i], &tp->ooo[i + 1], (tp->n_ooo - i - 1) * sizeof(tp->ooo[0]));
			tp->n_ooo--;
			again = true;
			break;
		}
	}
	return rcv_nxt;
}

uint8_t tcp_sack_blocks(const struct tcpcb *tp, struct tcp_sack_block *out, uint8_t max)
{
	uint8_t n = tp->n_ooo < max ? tp->n_ooo : max;
	for (uint8_t i = 0; i < n; i++) {
		out[i].start = tp->ooo[i].start;
		out[i].end = tp->ooo[i].end;
	}
	return n;
}

/* ---- sender scoreboard ---- */

static uint32_t sb_total(const struct tcpcb *tp)
{
	uint32_t t = 0;
	for (uint8_t i = 0; i < tp->n_sb; i++)
		t += tp->sb[i].end - tp->sb[i].start;
	return t;
}

static void sb_insert(struct tcpcb *tp, uint32_t start, uint32_t end)
{
	struct tcp_range out[TCP_SB_MAX + 1];
	uint8_t n = 0;
	bool placed = false;
	for (uint8_t i = 0; i < tp->n_sb; i++) {
		struct tcp_range r = tp->sb[i];
		if (seq_lt(r.end, start)) {
			out[n++] = r;
		} else if (seq_gt(r.start, end)) {
			if (!placed) {
				out[n++] = (struct tcp_range){ start, end };
				placed = true;
			}
			out[n++] = r;
		} else {
			start = seq_min(start, r.start);
			end = seq_max(end, r.end);
		}
	}
	if (!placed)
		out[n++] = (struct tcp_range){ start, end };
	if (n > TCP_SB_MAX)
		n = TCP_SB_MAX;  /* the highest range falls off; it will be reported again */
	memcpy(tp->sb, out, n * sizeof(out[0]));
	tp->n_sb = n;
}

uint32_t tcp_sb_update(struct tcpcb *tp, const struct tcp_opts *o)
{
	if (!(o->present & TCPO_SACK))
		return 0;
	uint32_t before = sb_total(tp);
	for (uint8_t i = 0; i < o->n_sack; i++) {
		uint32_t a = o->sack[i].start, b = o->sack[i].end;
		/* RFC 2018 4 / RFC 2883: blocks below SND.UNA (D-SACK) or past what was sent
		 * carry nothing for the scoreboard */
		if (!seq_lt(a, b) || seq_leq(b, tp->snd_una) || seq_gt(b, tp->snd_max))
			continue;
		if (seq_lt(a, tp->snd_una))
			a = tp->snd_una;
		sb_insert(tp, a, b);
	}
	uint32_t after = sb_total(tp);
	return after > before ? after - before : 0;
}

void tcp_sb_ack(struct tcpcb *tp)
{
	uint8_t n = 0;
	for (uint8_t i = 0; i < tp->n_sb; i++) {
		struct tcp_range r = tp->sb[i];
		if (seq_leq(r.end, tp->snd_una))
			continue;
		if (seq_lt(r.start, tp->snd_una))
			r.start = tp->snd_una;
		tp->sb[n++] = r;
	}
	tp->n_sb = n;
}

void tcp_sb_clear(struct tcpcb *tp) { tp->n_sb = 0; }

static uint32_t sacked_above(const struct tcpcb *tp, uint32_t seq)
{
	uint32_t t = 0;
	for (uint8_t i = 0; i < tp->n_sb; i++)
		if (seq_gt(tp->sb[i].end, seq))
			t += tp->sb[i].end - seq_max(tp->sb[i].start, seq + 1);
	return t;
}

bool tcp_sb_is_lost(const struct tcpcb *tp, uint32_t seq)
{
	uint32_t smss = tp->mss - tcp_data_optlen(tp);
	uint32_t discontiguous = 0;
	for (uint8_t i = 0; i < tp->n_sb; i++)
		if (seq_gt(tp->sb[i].start, seq))
			discontiguous++;
	return discontiguous >= TCP_DUPTHRESH ||
	       sacked_above(tp, seq) > (TCP_DUPTHRESH - 1) * smss;
}

/* Calls fn for every hole [a, b) between SND.UNA and SND.MAX. */
#define FOR_HOLES(tp, a, b, body)                                                      \
	do {                                                                           \
		uint32_t cur_ = (tp)->snd_una;                                         \
		for (uint8_t i_ = 0; i_ <= (tp)->n_sb; i_++) {                         \
			uint32_t a = cur_;                                             \
			uint32_t b = i_ < (tp)->n_sb ? (tp)->sb[i_].start : (tp)->snd_max; \
			if (seq_lt(a, b)) {                                            \
				body                                                   \
			}                                                              \
			if (i_ < (tp)->n_sb)                                           \
				cur_ = seq_max(cur_, (tp)->sb[i_].end);                \
		}                                                                      \
	} while (0)

uint32_t tcp_sb_pipe(const struct tcpcb *tp)
{
	uint32_t pipe = 0;
	FOR_HOLES(tp, a, b, {
		/* RFC 6675 4 SetPipe (a), and RFC 8985's verdict on the first hole */
		bool lost = (tp->flags & TF_UNA_LOST) && a == tp->snd_una;
		if (!lost && !tcp_sb_is_lost(tp, a))
			pipe += b - a;
		if (seq_lt(a, tp->high_rxt))                    /* (b): retransmitted */
			pipe += seq_min(b, tp->high_rxt) - a;
	});
	return pipe;
}

bool tcp_sb_next_seg(const struct tcpcb *tp, uint32_t *seq, uint32_t *len)
{
	FOR_HOLES(tp, a, b, {
		uint32_t from = seq_max(a, tp->high_rxt);
		if (seq_lt(from, b) && tcp_sb_is_lost(tp, from)) {
			*seq = from;                            /* RFC 6675 4 NextSeg (1) */
			*len = b - from;
			return true;
		}
	});
	return false;
}

bool tcp_sb_sacked(const struct tcpcb *tp, uint32_t seq, uint32_t *end)
{
	for (uint8_t i = 0; i < tp->n_sb; i++)
		if (seq_in(seq, tp->sb[i].start, tp->sb[i].end)) {
			*end = tp->sb[i].end;
			return true;
		}
	return false;
}
