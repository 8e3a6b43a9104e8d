/*
 * transport/tcp_int.h - TCP's insides: the connection block and the seams between the files.
 *
 *   tcp.c           connection table, life cycle, ISNs, MSS, rings, listener children,
 *                   ICMPv6 errors
 *   tcp_sock.c      the socket-layer row (struct sock_proto): bind and ports, connect,
 *                   listen, accept, send/recv on the rings (urgent data), close, options
 *   tcp_input.c     segment arrival, RFC 9293 3.10.7 with RFC 5961, RFC 7323 PAWS
 *   tcp_output.c    what to send and building segments; RSTs without a connection
 *   tcp_timer.c     retransmission (RFC 6298), persist, delayed ACK, keepalive, TIME_WAIT
 *   tcp_cc.c        the congestion-control interface, NewReno (RFC 5681/6582), CUBIC (RFC 9438)
 *   tcp_sack.c      SACK blocks we send (RFC 2018) and the sender scoreboard (RFC 6675)
 *   tcp_loss.c      RFC 3042 limited transmit, RFC 8985 tail loss probe and lost
 *                   retransmissions
 *   tcp_urgent.c    urgent data both ways (RFC 9293 3.8.5, RFC 6093): mark, MSG_OOB
 *   tcp_syncookie.c SYN cookies when the listen queue is full (RFC 4987 3.6)
 *   wire/tcp.c      header and options
 *
 * Data never lives in malloc'd per-segment buffers: each connection has a send ring and a
 * receive ring, allocated once when it is set up. Out-of-order data is written into the
 * receive ring at its place; the list of those ranges is what SACK reports.
 */
#ifndef UMK_TRANSPORT_TCP_INT_H
#define UMK_TRANSPORT_TCP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "core/timer.h"
#include "transport/tcp_seq.h"
#include "wire/tcp.h"

struct umk_stack;
struct umk_pkt;
struct ip6_rx;
struct sock;

enum tcp_fsm {
	TCPS_CLOSED, TCPS_LISTEN, TCPS_SYN_SENT, TCPS_SYN_RECEIVED, TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2, TCPS_CLOSE_WAIT, TCPS_CLOSING, TCPS_LAST_ACK,
	TCPS_TIME_WAIT, TCPS__COUNT
};
extern const char *const tcp_state_names[TCPS__COUNT];

/* RFC 9293 and friends: defaults (ms) */
#define TCP_RTO_INITIAL     1000     /* RFC 6298 2.1 */
#define TCP_RTO_MAX         60000    /* RFC 6298 2.5: at least 60 s */
#define TCP_SYN_RETRIES     7        /* RFC 9293 3.8.3 MUST-23: R2 for a SYN at least 3 minutes: 1+2+4+8+16+32+60+60 s = 183 s */
#define TCP_DATA_RETRIES    15       /* RFC 9293 3.8.3: R2 at least 100 s */
#define TCP_DELACK_MS       40       /* RFC 9293 3.8.6.3: below 0.5 s */
#define TCP_PERSIST_MIN     1000
#define TCP_PERSIST_MAX     60000
#define TCP_DEF_KEEPIDLE_MS     7200000  /* RFC 9293 3.8.4: no less than two hours by default */
#define TCP_DEF_KEEPINTVL_MS    75000
#define TCP_DEF_KEEPCNT     9
#define TCP_FIN_TIMEOUT_MS  60000    /* FIN_WAIT_2 of a closed socket (as BSD/Linux) */
#define TCP_INIT_WINDOW     10       /* RFC 6928: segments */
#define TCP_SSTHRESH_INIT   (UINT32_MAX / 2)  /* RFC 5681 3.1: "arbitrarily high" */
#define TCP_DUPTHRESH       3        /* RFC 5681 3.2, RFC 6675 */
#define TCP_OOO_MAX         16       /* out-of-order ranges held in a receive ring */
#define TCP_SB_MAX          32       /* SACKed ranges in the sender scoreboard */
#define TCP_SENT_LOG        32       /* RFC 8985 send times kept (runs sent in one ms) */
#define TCP_PAWS_IDLE_MS    (24ull * 24 * 3600 * 1000) /* RFC 7323 5.5: 24 days */
#define TCP_COOKIE_PERIOD_MS 64000   /* a SYN cookie is good for one to two periods */
#define TCP_NUD_HINT_MS     1000     /* RFC 4861 7.3.1 hints, at most this often */

/* tp->flags */
#define TF_ACKNOW     0x0001   /* send an ACK at once */
#define TF_DELACK     0x0002   /* an ACK is owed (delayed) */
#define TF_NODELAY    0x0004   /* TCP_NODELAY: no Nagle */
#define TF_WSCALE     0x0008   /* RFC 7323 window scaling in use */
#define TF_TS         0x0010   /* RFC 7323 timestamps in use */
#define TF_SACK       0x0020   /* RFC 2018 SACK permitted both ways */
#define TF_FIN_QUEUED 0x0040   /* the application is done sending: FIN after the data */
#define TF_RCVD_FIN   0x0080   /* the peer's FIN is in (rcv_nxt is past it) */
#define TF_RECOVERY   0x0100   /* in fast recovery (RFC 6582 / RFC 6675) */
#define TF_FORCE      0x0200   /* persist probe: send one byte into a zero window */
#define TF_PASSIVE    0x0400   /* made by a listener (RST in SYN_RECEIVED returns to LISTEN) */
#define TF_KEEPALIVE  0x0800   /* SO_KEEPALIVE */
#define TF_RTT_TIMING 0x1000   /* rtt_seq is being timed (no timestamps) */
#define TF_LINGER0    0x2000   /* SO_LINGER with zero: close aborts with RST */
#define TF_OOO_FIN    0x4000   /* a FIN arrived ahead of rcv_nxt: rcv_fin_seq */
#define TF_SENT_WIN0  0x8000   /* we advertised a zero window */
#define TF_RCV_URG    0x10000  /* RFC 9293 3.8.5: rcv_up holds a mark not yet read past */
#define TF_OOB_HAVE   0x20000  /* the urgent octet is in oob_byte, unread by MSG_OOB */
#define TF_OOB_READ   0x40000  /* this mark's octet was read with MSG_OOB */
#define TF_OOBINLINE  0x80000  /* SO_OOBINLINE: the urgent octet stays in the stream */
#define TF_SND_URG    0x100000 /* MSG_OOB sent: segments below snd_up carry URG */
#define TF_TLP_OUT    0x200000 /* RFC 8985 7: a tail loss probe is unacknowledged */
#define TF_RACK_WAIT  0x400000 /* t_tlp is RACK's reordering timer (RFC 8985 6.3) */
#define TF_UNA_LOST   0x1000000 /* RACK found the segment at snd_una lost: not in the pipe */
#define TF_SML_OUT    0x2000000 /* a short segment ending at snd_sml went (Minshall's Nagle) */
#define TF_ACK_CLEAN  0x800000 /* the ACK in hand came with nothing SACKed and nothing being
                                 * resent: slow start may count a super-segment whole */

struct tcp_ring {
	uint8_t *buf;
	uint32_t cap, head, len;
};

/* A range of sequence space [start, end). */
struct tcp_range {
	uint32_t start, end;
};

/* A run of sequence space sent in one millisecond (RFC 8985 6.1 per-segment send times,
 * kept per run: one tcp_xmit after another at the same time joins the run). */
struct tcp_sent {
	uint32_t start, end;
	uint32_t time;                   /* ms, the clock's low 32 bits */
	bool rxt;                        /* a retransmission */
};

struct tcpcb;

/* The congestion-control interface: each algorithm is one row (tcp_cc.c). cwnd and ssthresh
 * live in the connection; the algorithm may keep its own state in tp->cc_priv. */
struct tcp_cc_ops {
	const char *name;
	void (*init)(struct umk_stack *s, struct tcpcb *tp);
	/* New data acknowledged outside recovery: grow cwnd. */
	void (*on_ack)(struct umk_stack *s, struct tcpcb *tp, uint32_t acked);
	/* Loss detected (fast retransmit or RTO): returns the new ssthresh. */
	uint32_t (*on_loss)(struct umk_stack *s, struct tcpcb *tp, bool rto);
	/* Fast recovery ended (full ACK). */
	void (*on_recovery_end)(struct umk_stack *s, struct tcpcb *tp);
};

struct tcp_cubic {
	double w_max;            /* segments */
	double k;                /* seconds */
	double w_est;            /* RFC 9438 4.3 Reno-friendly estimate, segments */
	double cwnd_epoch;
	uint64_t epoch_start;    /* ms, 0 = no epoch */
	double cwnd_frac;        /* fractional segment growth carried over */
};

/* RFC 9406 HyStart++ state of slow start (ms for RTTs, UINT32_MAX = none yet). */
struct tcp_hystart {
	uint32_t window_end;             /* the round ends when this is acknowledged */
	uint32_t last_round_min, cur_round_min, samples;
	uint32_t css_baseline;           /* UINT32_MAX outside Conservative Slow Start */
	uint8_t css_rounds;
	bool started;
};

struct tcpcb {
	struct tcpcb *next, *prev;       /* every connection of the stack */
	struct tcpcb *hnext;             /* 4-tuple hash chain (connected states) */
	bool hashed;
	struct sock *so;                 /* NULL when the application closed it or not accepted */
	struct tcpcb *parent;            /* listener, until accepted */
	struct tcpcb *qnext;             /* in the parent's SYN or accept queue */
	bool in_acceptq;

	enum tcp_fsm state;
	unsigned flags;                  /* TF_* */
	struct in6_addr laddr, faddr;
	int zone;                        /* of scoped addresses */
	uint16_t lport, fport;

	/* RFC 9293 3.3.1 send sequence variables */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_sndwnd;
	/* receive sequence variables: rcv_adv is the right edge we advertised */
	uint32_t irs, rcv_nxt, rcv_adv;
	uint32_t rcv_fin_seq;
	uint32_t rcv_up, snd_up;         /* RFC 9293 3.8.5: octet after the urgent data */
	uint8_t oob_byte;                /* the last urgent octet, out of band */
	uint8_t snd_wscale, rcv_wscale;  /* RFC 7323 2 */
	uint16_t peer_mss;               /* MSS option received (536 without, RFC 9293 3.7.1) */
	uint16_t user_mss;               /* TCP_MAXSEG, 0 = none */
	uint16_t mss;                    /* Eff.snd.MSS without options (RFC 6691) */
	uint32_t segs_unacked;           /* full segments received since our last ACK */

	/* RFC 7323 timestamps */
	uint32_t ts_offset, ts_recent, last_ack_sent;
	uint64_t ts_recent_age;

	/* RFC 6298 */
	uint32_t srtt, rttvar;           /* ms, scaled by 8 and by 4 */
	uint32_t rto;                    /* ms */
	uint32_t rtt_seq;
	uint64_t rtt_start;
	uint8_t rxt_shift;               /* retransmissions of the same data */
	uint8_t persist_shift;

	/* congestion control and loss recovery */
	const struct tcp_cc_ops *cc;
	struct tcp_cubic cubic;
	struct tcp_hystart hystart;
	uint32_t last_rtt;               /* the latest RTT sample, ms (HyStart++) */
	uint32_t cwnd, ssthresh;
	uint32_t tso_segs;               /* segments in the last data tcp_xmit sent (>1: a
	                                  * super-segment), the slow-start limit's L */
	uint32_t dupacks;
	uint32_t recover;                /* RFC 6582 / RFC 6675 RecoveryPoint */
	uint32_t high_rxt;               /* RFC 6675 HighRxt */
	uint32_t bytes_acked;            /* congestion avoidance byte counting (RFC 3465) */
	uint32_t lt_extra;               /* RFC 3042: bytes past cwnd the dup ACKs allow */
	uint32_t prr_delivered, prr_out, recover_fs;   /* RFC 6937 */
	uint32_t tlp_high;               /* RFC 8985 7: snd_max when the probe went */
	bool tlp_rxt;                    /* the probe was a retransmission */
	/* RFC 8985 6: what went when, oldest first from sent_head (a ring), and RACK.xmit_ts /
	 * RACK.end_seq: the newest send among what has been delivered */
	struct tcp_sent sent[TCP_SENT_LOG];
	uint8_t sent_head, sent_n;
	bool rack_valid;
	uint32_t rack_time, rack_end;
	uint32_t min_rtt;                /* the smallest RTT sample (ms), RACK's reo_wnd */
	uint32_t snd_sml;                /* TF_SML_OUT: the end of the last short segment sent */
	struct tcp_range sb[TCP_SB_MAX]; /* SACKed by the peer, sorted, above snd_una */
	uint8_t n_sb;

	/* receive side: out-of-order ranges in rq, most recent first (RFC 2018 4) */
	struct tcp_range ooo[TCP_OOO_MAX];
	uint8_t n_ooo;

	struct tcp_ring sq;              /* unacknowledged and unsent data from snd_buf_seq */
	uint32_t sq_seq;                 /* sequence number of sq's first byte */
	struct tcp_ring rq;              /* in-order data the application has not read yet */
	uint32_t sndbuf, rcvbuf;

	/* keepalive (RFC 9293 3.8.4) */
	uint32_t keep_idle, keep_intvl, keep_cnt, keep_probes;
	uint64_t rcv_time;               /* last segment accepted */
	uint64_t nud_hint_at;            /* last RFC 4861 7.3.1 hint given */
	uint32_t linger_ms;

	/* listener */
	uint32_t backlog;
	uint32_t q0_len, q_len;          /* SYN_RECEIVED children, established not accepted */
	struct tcpcb *q0, *q;            /* heads */
	uint64_t cookie_sent;            /* when the last SYN cookie went out, 0 = never */

	int soft_error;                  /* RFC 1122 4.2.3.9: the last ICMP soft error */

	struct umk_timer t_rexmt, t_persist, t_delack, t_keep, t_tlp;
};

struct tcp_state {
	struct tcpcb *all;               /* every connection, listeners included */
	uint32_t count;                  /* limited by limits.max_tcp_connections */
	struct tcpcb **hash;
	uint32_t hash_mask;
	uint8_t isn_key[32];             /* RFC 6528 secret */
	uint8_t cookie_key[32];          /* RFC 4987 SYN cookie secret */
	uint32_t challenge_tokens;       /* RFC 5961 7 rate limit */
	uint64_t challenge_refill;
	const struct tcp_cc_ops *default_cc;
	bool corked;                     /* umk_cork: socket calls' output and data ACKs wait */
	struct tcpcb *deferred;          /* the connection whose output waits (one at most) */
};

/* ---- tcp.c ---- */
struct tcpcb *tcp_lookup(struct umk_stack *s, const struct in6_addr *laddr, uint16_t lport,
			 const struct in6_addr *faddr, uint16_t fport, int zone);
struct tcpcb *tcp_lookup_listener(struct umk_stack *s, const struct in6_addr *laddr,
				  uint16_t lport, int zone);
/* A new connection block (counted against max_tcp_connections); NULL when full. */
struct tcpcb *tcp_newcb(struct umk_stack *s);
void tcp_hash_insert(struct umk_stack *s, struct tcpcb *tp);
/* Allocates the rings of an established connection. 0 or -ENOMEM. */
int tcp_rings_alloc(struct tcpcb *tp);
/* tcp_output, or at umk_uncork while the stack is corked (socket calls, the ACK of data). */
void tcp_output_soon(struct umk_stack *s, struct tcpcb *tp);
/* Frees tp: timers, tables, rings. */
void tcp_free(struct umk_stack *s, struct tcpcb *tp);
/* Enters CLOSED: frees tp if no socket holds it, else leaves it for close(). */
void tcp_closed(struct umk_stack *s, struct tcpcb *tp);
/* Aborts with err reported to the socket (RFC 9293 3.10.7 "connection reset"). */
void tcp_drop(struct umk_stack *s, struct tcpcb *tp, int err);
void tcp_set_state(struct umk_stack *s, struct tcpcb *tp, enum tcp_fsm st);
/* RFC 6528 initial sequence number for tp's 4-tuple. */
uint32_t tcp_isn(struct umk_stack *s, const struct in6_addr *laddr, uint16_t lport,
		 const struct in6_addr *faddr, uint16_t fport);
/* The established child of a listener becomes acceptable (wakes the listener). */
void tcp_child_established(struct umk_stack *s, struct tcpcb *tp);
/* Readiness changed: tell the socket's owner. */
void tcp_wakeup(struct umk_stack *s, struct tcpcb *tp);
/* The MSS we advertise, and Eff.snd.MSS from the path MTU (RFC 6691, RFC 8201). */
uint16_t tcp_mss_advertise(struct umk_stack *s, struct tcpcb *tp);
void tcp_mss_update(struct umk_stack *s, struct tcpcb *tp);
/* Forward progress: tells ND the next hop is reachable (RFC 4861 7.3.1). */
void tcp_nud_hint(struct umk_stack *s, struct tcpcb *tp);
/* Bytes of options on a data segment (timestamps, SACK blocks not counted). */
uint32_t tcp_data_optlen(const struct tcpcb *tp);
/* Options negotiated on a SYN (ours or the peer's) applied to tp. */
void tcp_syn_options(struct umk_stack *s, struct tcpcb *tp, const struct tcp_opts *o);
/* Shared by listener input and syncookies: a child for a SYN. */
struct tcpcb *tcp_child_new(struct umk_stack *s, struct tcpcb *lp, const struct ip6_rx *rx,
			    const struct tcp_hdr_info *th);
uint8_t tcp_rcv_wscale_for(uint32_t rcvbuf);
/* Sizes tp's rings from the socket's buffers and offers our SYN options. */
void tcp_setup_offer(struct umk_stack *s, struct tcpcb *tp, struct sock *so);
/* Takes a child off its listener's queues. */
void tcp_unlink_child(struct tcpcb *tp);
struct sock_ctlmsg;
/* An ICMPv6 error quoting one of our segments (the sock_proto ctlinput). */
bool tcp_ctlinput(struct umk_stack *s, const struct sock_ctlmsg *cm);

/* ---- tcp_ring (tcp.c) ---- */
uint32_t ring_free(const struct tcp_ring *r);
/* Copies n bytes at offset off from the head out of the ring. */
void ring_peek(const struct tcp_ring *r, uint32_t off, void *out, uint32_t n);
/* Writes n bytes at offset off from the head (off + n <= cap); does not change len. */
void ring_write_at(struct tcp_ring *r, uint32_t off, const void *in, uint32_t n);
void ring_drop(struct tcp_ring *r, uint32_t n);

/* ---- tcp_input.c ---- */
void tcp_input_segment(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx);

/* ---- tcp_output.c ---- */
/* Sends what the state, windows and timers allow. */
void tcp_output(struct umk_stack *s, struct tcpcb *tp);
/* Sends one segment of tp: [seq, seq+len) from the send ring with flags. 0 or -errno. */
int tcp_xmit(struct umk_stack *s, struct tcpcb *tp, uint32_t seq, uint32_t len, uint8_t flags);
/* The largest payload of a data segment now (Eff.snd.MSS less the options). */
uint32_t tcp_maxseg(struct umk_stack *s, struct tcpcb *tp);
/* An ACK now (challenge ACKs, out-of-window segments, keepalive probes use tcp_xmit). */
void tcp_send_ack(struct umk_stack *s, struct tcpcb *tp);
/* RFC 5961 7: a challenge ACK, rate limited stack-wide. */
void tcp_challenge_ack(struct umk_stack *s, struct tcpcb *tp);
/* A RST (or RST+ACK) for a segment with no connection (RFC 9293 3.10.7.1). */
void tcp_respond(struct umk_stack *s, const struct ip6_rx *rx, const struct tcp_hdr_info *th,
		 uint32_t seq, uint32_t ack, uint8_t flags);
/* A connection's RST (abort). */
void tcp_send_rst(struct umk_stack *s, struct tcpcb *tp);
/* The window to advertise (already scaled down for the header); updates rcv_adv. */
uint16_t tcp_rcv_window(struct tcpcb *tp);
/* Bytes the receive window could open by now (for window updates). */
uint32_t tcp_rcv_space(const struct tcpcb *tp);
uint32_t tcp_ts_now(struct umk_stack *s, const struct tcpcb *tp);
/* Sends a SYN-ACK for a syncookie (no connection exists). */
void tcp_send_synack_stateless(struct umk_stack *s, const struct ip6_rx *rx,
			       const struct tcp_hdr_info *th, uint32_t iss, uint16_t mss,
			       const struct tcp_opts *synopt, uint32_t tsval, uint32_t win);

/* ---- tcp_timer.c ---- */
void tcp_timers_init(struct tcpcb *tp);
void tcp_timers_cancel(struct umk_stack *s, struct tcpcb *tp);
void tcp_rexmt_arm(struct umk_stack *s, struct tcpcb *tp);
void tcp_persist_arm(struct umk_stack *s, struct tcpcb *tp);
void tcp_keep_arm(struct umk_stack *s, struct tcpcb *tp);
void tcp_timewait_arm(struct umk_stack *s, struct tcpcb *tp);
/* RFC 6298 2.2-2.3: a round-trip sample in ms. */
void tcp_rtt_sample(struct umk_stack *s, struct tcpcb *tp, uint32_t rtt);

/* ---- tcp_cc.c ---- */
/* RFC 9406: a round-trip sample for slow start's delay check. */
void tcp_hystart_rtt(struct tcpcb *tp, uint32_t rtt);
extern const struct tcp_cc_ops tcp_newreno, tcp_cubic;
const struct tcp_cc_ops *tcp_cc_find(const char *name);
uint32_t tcp_flight(const struct tcpcb *tp);

/* ---- tcp_sack.c ---- */
/* Receive side: records [start, end) as held out of order; false when no room. */
bool tcp_ooo_add(struct tcpcb *tp, uint32_t start, uint32_t end);
/* rcv_nxt advanced: drops ranges below it; returns the new rcv_nxt (contiguous ranges join). */
uint32_t tcp_ooo_advance(struct tcpcb *tp, uint32_t rcv_nxt);
/* Fills up to max blocks of the SACK option. */
uint8_t tcp_sack_blocks(const struct tcpcb *tp, struct tcp_sack_block *out, uint8_t max);
/* Sender: merges the peer's SACK blocks into the scoreboard; returns bytes newly SACKed. */
uint32_t tcp_sb_update(struct tcpcb *tp, const struct tcp_opts *o);
/* snd_una advanced: drops what is below. */
void tcp_sb_ack(struct tcpcb *tp);
void tcp_sb_clear(struct tcpcb *tp);
/* RFC 6675 4: IsLost, pipe, NextSeg. */
bool tcp_sb_is_lost(const struct tcpcb *tp, uint32_t seq);
uint32_t tcp_sb_pipe(const struct tcpcb *tp);
/* The next range to retransmit in recovery (rule 1 or 3), or false. */
bool tcp_sb_next_seg(const struct tcpcb *tp, uint32_t *seq, uint32_t *len);
/* Is seq inside a SACKed range? Returns the range end through end. */
bool tcp_sb_sacked(const struct tcpcb *tp, uint32_t seq, uint32_t *end);

/* ---- tcp_loss.c ---- */
/* RFC 3042: a duplicate ACK below the threshold lets new data past cwnd. */
void tcp_lt_dupack(struct umk_stack *s, struct tcpcb *tp);
/* RFC 8985 7: (re)arms the probe timeout after new data went out or was acknowledged. */
void tcp_tlp_arm(struct umk_stack *s, struct tcpcb *tp);
/* New data acknowledged up to ack: ends a probe episode. */
void tcp_tlp_ack(struct umk_stack *s, struct tcpcb *tp, uint32_t ack);
void tcp_tlp_init(struct tcpcb *tp);
/* RFC 8985 6.1: data [seq, seq + len) went out now (new or again). */
void tcp_rack_sent(struct umk_stack *s, struct tcpcb *tp, uint32_t seq, uint32_t len);
/* RFC 8985 6.2 on an ACK of a SACK connection (after the scoreboard and snd_una moved;
 * old_una is where snd_una was): what it delivered updates RACK's newest send, then the
 * segment at snd_una is deemed lost when it went before that by more than the reordering
 * window - it is resent, entering recovery if not in it - or the reordering timer is armed
 * for the moment it would be (6.3). */
void tcp_rack_ack(struct umk_stack *s, struct tcpcb *tp, const struct tcp_hdr_info *th,
		  uint32_t old_una);
/* RFC 6937 proportional rate reduction: the recovery starts; an ACK in recovery delivered
 * this many bytes (cumulatively or by SACK): sets cwnd = pipe + what may be sent now. */
void tcp_prr_start(struct tcpcb *tp);
void tcp_prr_ack(struct umk_stack *s, struct tcpcb *tp, uint32_t delivered);
/* Resends the segment at snd_una (fast retransmit, partial ACKs, lost retransmissions). */
void tcp_retransmit_una(struct umk_stack *s, struct tcpcb *tp);
/* Fast recovery begins (RFC 6675 / RFC 6582, PRR): ssthresh, recover, the segment at
 * snd_una resent. */
void tcp_enter_recovery(struct umk_stack *s, struct tcpcb *tp);
/* RFC 6582 3.2 (2): was the data at snd_una sent after the last recovery or timeout began
 * (snd_una past recover)? Callers add their own case for snd_una == recover. */
bool tcp_recovery_allowed(const struct tcpcb *tp);

/* ---- tcp_urgent.c ---- */
/* Sequence number of the first unread octet of the receive ring. */
uint32_t tcp_urg_rq_seq(const struct tcpcb *tp);
/* RFC 9293 3.10.7.4 sixth step: an acceptable segment with URG. */
void tcp_urg_input(struct umk_stack *s, struct tcpcb *tp, uint32_t seq, uint16_t urp);
/* In-order data was added to the receive ring. */
void tcp_urg_data_arrived(struct tcpcb *tp);
/* Octets an ordinary read may take now (up to the mark), and how many to skip first (the
 * out-of-band octet at the head). */
uint32_t tcp_urg_readable(const struct tcpcb *tp, uint32_t *skip);
/* The application read from the ring: forget a mark it read past. */
void tcp_urg_consumed(struct tcpcb *tp);
bool tcp_urg_atmark(const struct tcpcb *tp);
/* Urgent data for the application to learn of (POLLPRI). */
bool tcp_urg_pending(const struct tcpcb *tp);
struct msghdr;
/* recv(MSG_OOB): 1 with the octet, or -EINVAL / -EAGAIN. */
long tcp_urg_recv_oob(struct tcpcb *tp, struct msghdr *msg, int flags);
/* send(MSG_OOB): the data just queued is urgent. */
void tcp_urg_send_mark(struct tcpcb *tp);
/* Sets URG and the pointer on an outgoing segment while urgent data is unacknowledged. */
void tcp_urg_fill(struct tcpcb *tp, struct tcp_hdr_info *h);

/* ---- tcp_syncookie.c ---- */
uint32_t tcp_cookie_make(struct umk_stack *s, const struct ip6_rx *rx,
			 const struct tcp_hdr_info *th, uint16_t *mss);
/* On the ACK completing a cookie handshake: true and the MSS when it is ours. */
bool tcp_cookie_check(struct umk_stack *s, const struct ip6_rx *rx,
		      const struct tcp_hdr_info *th, uint16_t *mss);
/* Timestamp value encoding the SYN's window scale and SACK-permitted (low 6 bits). */
uint32_t tcp_cookie_tsval(uint32_t now_ts, const struct tcp_opts *syn, uint8_t our_wscale);
void tcp_cookie_ts_decode(uint32_t tsecr, struct tcp_opts *o, uint8_t *our_wscale);
/* The timestamp offset of a cookie connection: keyed on its addresses and ports, so the
 * SYN-ACK and the connection rebuilt later agree. */
uint32_t tcp_cookie_ts_offset(struct umk_stack *s, const struct ip6_rx *rx,
			      const struct tcp_hdr_info *th);

#endif
