/*
 * replay.h - the anti-replay window of an inbound SA (RFC 4303 3.4.3, RFC 4302 3.4.3) with
 * extended sequence numbers (RFC 4303 appendix A2). A ring bitmap of `size` bits (a
 * multiple of 64, up to IPSEC_REPLAY_MAX) indexed by sequence number modulo size; the top
 * of the window is the highest sequence number authenticated so far.
 *
 * Use: seq = replay_infer(r, low32) (the full number an ESP/AH header's 32 bits stand for),
 * replay_check() before the ICV is verified (cheap rejection), replay_update() only after
 * the ICV verified (RFC 4303 3.4.3: the window moves only for authenticated packets).
 */
#ifndef UMK_IPSEC_REPLAY_H
#define UMK_IPSEC_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define IPSEC_REPLAY_MAX 65536   /* bits */

struct ipsec_replay {
	uint64_t top;        /* highest sequence number accepted; 0 = none yet */
	uint32_t size;       /* window in packets; 0 = anti-replay off (RFC 4303 3.4.3) */
	bool esn;
	uint64_t *bitmap;    /* size / 64 words */
};

/* size is rounded up to a multiple of 64. 0 or -EINVAL/-ENOMEM. */
int replay_init(struct ipsec_replay *r, uint32_t size, bool esn);
/* A new window (replay_init) for an SA that had `from`: the same top, and every number
 * `from` saw that still lies inside both windows marked seen. */
void replay_carry(struct ipsec_replay *to, const struct ipsec_replay *from);
void replay_fini(struct ipsec_replay *r);
/* RFC 4303 A2.2: the 64-bit number for the low 32 bits received (the number itself
 * without ESN). 0 when it can only be below the window's start at high bits 0. */
uint64_t replay_infer(const struct ipsec_replay *r, uint32_t seq_low);
/* True when seq may be new: not 0, not left of the window, not seen. */
bool replay_check(const struct ipsec_replay *r, uint64_t seq);
/* Records an authenticated seq (after replay_check said yes). */
void replay_update(struct ipsec_replay *r, uint64_t seq);

#endif
