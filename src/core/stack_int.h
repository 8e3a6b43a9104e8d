/*
 * stack_int.h - struct umk_stack: all state of one stack instance (no globals anywhere).
 * Each module keeps its state behind its own pointer here and allocates it in its _init.
 */
#ifndef UMK_CORE_STACK_INT_H
#define UMK_CORE_STACK_INT_H

#include <umikame/mgmt.h>
#include <umikame/umikame.h>

#include "core/counters.h"
#include "core/log.h"
#include "core/pkt.h"
#include "core/rng.h"
#include "core/timer.h"
#include "link/if.h"

struct pkt_pool {
	struct umk_pkt *free;   /* free list */
	uint8_t *mem;           /* one allocation for the class */
	uint32_t count, size, in_use;
};

struct ip6_state;
struct icmp6_state;
struct frag6_state;
struct rt6_table;
struct pmtu_cache;
struct nd6_state;
struct addrconf_state;
struct mld_state;
struct sock_state;
struct ipsec_state;
struct fwd_state;
struct rtadv_state;
struct tcp_state;
struct ip4_state;

struct umk_stack {
	umk_time_t now;
	struct umk_rng rng;
	struct umk_stack_config cfg;
	struct umk_limits limits;            /* live copy of cfg.limits, changed by `umk conf` */
	uint8_t secret_key[32];              /* RFC 7217 */
	uint64_t hash_key[2];                /* keys hash tables against flooding */
	uint8_t srng_key[32];                /* rng_secure_bytes: key, counter, buffer */
	uint64_t srng_ctr;
	uint8_t srng_buf[32];
	uint32_t srng_pos;

	struct pkt_pool pools[PKT_NCLASSES];

	struct umk_timer **heap;             /* timer min-heap, 1-based */
	uint32_t heap_len, heap_cap;

	struct umk_if *ifs[UMK_MAX_IFS + 1]; /* by ifindex; [0] unused */
	int n_ifs;
	int if_high;                         /* the highest ifindex in use: walks stop there */

	/* packets we sent to ourselves, delivered after the current entry point returns */
	struct umk_pkt *loop_head, *loop_tail;
	uint32_t loop_len;
	int in_entry;                        /* re-entrancy guard for draining */

	void (*echo_cb)(void *ctx, const struct umk_echo_event *ev);
	void *echo_ctx;

	uint32_t log_tokens;                 /* log rate limit (core/log.c) */
	umk_time_t log_refill;
	uint64_t log_held;

	uint64_t counters[CNT__COUNT];
	uint64_t icmp6_in_type[256];         /* RFC 4293 icmpStatsInMsgs by type */
	uint64_t icmp6_out_type[256];

	/* module state */
	struct ip6_state *ip6;
	struct icmp6_state *icmp6;
	struct frag6_state *frag6;
	struct rt6_table *rt6;
	struct pmtu_cache *pmtu;
	struct nd6_state *nd6;
	struct addrconf_state *ac;
	struct mld_state *mld;
	struct sock_state *sock;              /* socket layer (socket/), or a remote handle */
	struct ipsec_state *ipsec;            /* SPD, SAD (ipsec/ipsec.h) */
	struct fwd_state *fwd;                /* forwarding, Redirect rate (ip6/forward.c) */
	struct rtadv_state *rtadv;            /* router advertisements (ip6/rtadv.c) */
	struct tcp_state *tcp;                /* TCP connections (transport/tcp_int.h) */
	struct ip4_state *ip4;                /* IPv4 addresses, ARP (ip4/ip4_int.h) */
};

/* Queues pkt (pkt->data at the IPv6 header) for delivery to ourselves on ifp; consumes. */
void loopback_enqueue(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt);

/* A keyed 32-bit hash of an address and zone, for hash tables. */
uint32_t hash_addr(const struct umk_stack *s, const void *addr16, uint32_t zone);

/* SHA-256 through libcrypto (the crypto boundary, DESIGN.md "Crypto"). */
void umk_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
