/*
 * umikame.h - the embeddable stack: create it, give it links, feed it frames and time.
 *
 * A stack is single-threaded and passive (DESIGN.md): it never sleeps, never reads a clock and
 * never starts threads. Its owner
 *   - adds interfaces with a transmit callback (umk_if_add) and brings them up (umk_if_up),
 *   - hands it received frames (umk_input / umk_input_pkt),
 *   - tells it the time (umk_timers_run) and asks when to call next (umk_next_deadline).
 * Management (addresses, routes, neighbors, settings, counters) is in <umikame/mgmt.h>.
 */
#ifndef UMIKAME_UMIKAME_H
#define UMIKAME_UMIKAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UMK_API __attribute__((visibility("default")))

/* Time in milliseconds on a monotonic clock chosen by the owner. */
typedef uint64_t umk_time_t;
#define UMK_TIME_NEVER UINT64_MAX

struct umk_stack;
struct umk_pkt;

enum umk_log_level { UMK_LOG_ERR = 0, UMK_LOG_WARN, UMK_LOG_INFO, UMK_LOG_DEBUG };

/*
 * Bounds on every table the stack keeps. Each is counted when hit (`umk stats`) and can be
 * changed at run time with `umk conf set global KEY VALUE` (except the packet pools).
 */
struct umk_limits {
	uint32_t max_neighbors;       /* neighbor cache entries, all interfaces */
	uint32_t max_neighbor_queue;  /* packets queued per INCOMPLETE entry (RFC 4861 7.2.2) */
	uint32_t max_routes;          /* routing table entries */
	uint32_t max_default_routers; /* default router list, per interface */
	uint32_t max_prefixes;        /* prefix list, per interface */
	uint32_t max_addrs;           /* addresses per interface */
	uint32_t max_groups;          /* multicast groups per interface */
	uint32_t max_reasm_queues;    /* fragment reassembly queues */
	uint32_t max_reasm_bytes;     /* bytes held by reassembly, all queues */
	uint32_t reasm_timeout;       /* ms; RFC 8200 4.5: 60 s */
	uint32_t max_pmtu_entries;    /* path MTU cache */
	uint32_t icmp6_rate;          /* ICMPv6 errors per second (RFC 4443 2.4 f) */
	uint32_t icmp6_burst;         /* token bucket depth */
	uint32_t max_loopback_queue;  /* packets sent to ourselves awaiting delivery */
	uint32_t max_sockets;         /* open sockets (socket.h), all protocols */
	uint32_t max_socket_rcvbuf;   /* bytes a socket's receive queue may hold (SO_RCVBUF cap) */
	uint32_t socket_rcvbuf;       /* default SO_RCVBUF of a new socket, bytes */
	uint32_t max_sas;             /* IPsec security associations (SAD) */
	uint32_t max_policies;        /* IPsec security policies (SPD), both directions */
	uint32_t max_tcp_connections; /* TCP connection blocks, TIME_WAIT and listeners included */
	uint32_t tcp_backlog_max;     /* cap on listen() backlog; SYN cookies past it (RFC 4987) */
	uint32_t tcp_msl;             /* ms; Maximum Segment Lifetime, TIME_WAIT is 2*MSL (RFC 9293) */
	uint32_t tcp_rto_min;         /* ms; RFC 6298 2.4 lower bound of the RTO (1 s) */
	uint32_t tcp_challenge_acks;  /* RFC 5961 7: challenge ACKs per second, stack-wide */
	uint32_t max_socket_group_sources; /* RFC 3678 sources per group per socket */
	uint32_t max_group_sources;   /* sources an interface tracks per group (RFC 3810 4.2) */
	uint32_t arp_max_entries;     /* ARP cache entries, all interfaces (ip4/arp.c) */
	uint32_t arp_max_queue;       /* packets queued per unresolved ARP entry */
	uint32_t arp_timeout;         /* ms an ARP reply is trusted (RFC 1122 2.3.2.1) */
	uint32_t arp_retrans_time;    /* ms between ARP requests for one address */
	uint32_t arp_max_probes;      /* requests before an address is given up */
};

struct umk_stack_config {
	uint64_t seed;               /* seeds the stack's PRNG (RFC 4861 random delays, ...) */
	uint8_t secret_key[32];      /* RFC 7217 secret_key; all zero = derive from seed */
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
	int log_level;               /* enum umk_log_level; messages above it are not formatted */
	uint32_t pool_small;         /* 2 KiB packet buffers */
	uint32_t pool_medium;        /* 10 KiB packet buffers (jumbo frames) */
	uint32_t pool_large;         /* 66 KiB packet buffers (reassembly, big sends) */
	struct umk_limits limits;
};

/* Fills a config with the defaults (RFC values, modest table sizes). */
UMK_API void umk_stack_config_defaults(struct umk_stack_config *cfg);

/* Creates a stack; NULL on allocation failure. `now` is the owner's clock. */
UMK_API struct umk_stack *umk_stack_new(const struct umk_stack_config *cfg, umk_time_t now);
UMK_API void umk_stack_free(struct umk_stack *s);

/* ---- interfaces ---------------------------------------------------------------------- */

#define UMK_IFNAMSIZ 16

/* Offloads, in the model of the virtio-net header (what a Linux TAP opened with IFF_VNET_HDR
 * speaks): work on a frame that the other side of the driver finishes. A driver that can
 * take it says so in umk_if_params.offloads and gives transmit_offload; the stack then may
 * hand it TCP frames whose checksum is left to fill and TCP super-segments to cut. In the
 * other direction a driver describes such a frame with umk_pkt_set_offload. */
#define UMK_OFFLOAD_CSUM 0x01        /* TCP checksums left to the other side */
#define UMK_OFFLOAD_TSO6 0x02        /* TCP over IPv6 super-segments of up to 64 KiB */

#define UMK_FRAME_CSUM_PARTIAL 0x01  /* the checksum field holds the pseudo-header sum; the
                                      * one's complement sum from csum_start to the end of
                                      * the frame, complemented, belongs there */
#define UMK_FRAME_CSUM_VALID   0x02  /* the other side verified the transport checksum */

struct umk_frame_offload {
	uint8_t flags;               /* UMK_FRAME_* */
	uint16_t gso_size;           /* > 0: a TCP/IPv6 super-segment, to be cut into segments
	                              * of this many payload bytes each */
	uint16_t hdr_len;            /* gso: Ethernet, IPv6 and TCP header bytes */
	uint16_t csum_start;         /* CSUM_PARTIAL: first byte summed, from the frame's start */
	uint16_t csum_offset;        /* CSUM_PARTIAL: the checksum field, from csum_start */
};

struct umk_link_ops {
	/* Sends one complete Ethernet frame. The stack keeps ownership of the bytes. Returns 0, or
	 * a negative errno (counted as an output drop). */
	int (*transmit)(void *ctx, const void *frame, size_t len);
	/* With umk_if_params.offloads: sends a frame and what is left to do on it (`off` all
	 * zero: nothing, as transmit). */
	int (*transmit_offload)(void *ctx, const void *frame, size_t len,
				const struct umk_frame_offload *off);
};

struct umk_if_params {
	const char *name;
	uint8_t lladdr[6];           /* Ethernet address */
	uint32_t mtu;                /* link MTU, at least 1280 */
	const struct umk_link_ops *ops;
	void *ctx;                   /* passed to ops */
	unsigned offloads;           /* UMK_OFFLOAD_*: what the other side finishes (needs
	                              * ops->transmit_offload); 0 for a plain link */
};

/* Adds an interface (down). Returns its ifindex (>= 1) or a negative errno. */
UMK_API int umk_if_add(struct umk_stack *s, const struct umk_if_params *p);
/* Brings an interface up: link-local address, DAD, router solicitation, MLD. */
UMK_API int umk_if_up(struct umk_stack *s, int ifindex);
UMK_API int umk_if_down(struct umk_stack *s, int ifindex);
/* Interface lookup by name; 0 when there is none. */
UMK_API int umk_if_index(struct umk_stack *s, const char *name);
UMK_API const char *umk_if_name(struct umk_stack *s, int ifindex);

/* ---- frames ---------------------------------------------------------------------------- */

/* A packet buffer from the stack's pool, with room for `len` bytes of frame (NULL if the pool
 * is empty). A driver reads a frame straight into umk_pkt_data(), sets the length and hands
 * it to umk_input_pkt(), which consumes it. */
UMK_API struct umk_pkt *umk_pkt_alloc(struct umk_stack *s, size_t len);
UMK_API uint8_t *umk_pkt_data(struct umk_pkt *pkt);
UMK_API size_t umk_pkt_room(const struct umk_pkt *pkt);
UMK_API void umk_pkt_set_len(struct umk_pkt *pkt, size_t len);
UMK_API void umk_pkt_free(struct umk_stack *s, struct umk_pkt *pkt);
/* Says what is left to do on a received frame (after umk_pkt_set_len, before
 * umk_input_pkt), for drivers with offloads. 0, or -EINVAL when `off` does not fit the
 * frame (unknown flags; a left-open checksum starting inside the Ethernet header, at an odd
 * field offset or with its field outside the frame; a super-segment whose checksum is
 * neither left open nor verified): the driver then drops it. */
UMK_API int umk_pkt_set_offload(struct umk_pkt *pkt, const struct umk_frame_offload *off);

/* Processes one received Ethernet frame. umk_input_pkt consumes pkt; umk_input copies. */
UMK_API void umk_input_pkt(struct umk_stack *s, int ifindex, struct umk_pkt *pkt);
UMK_API void umk_input(struct umk_stack *s, int ifindex, const void *frame, size_t len);

/* ---- time ------------------------------------------------------------------------------ */

/* Advances the stack's clock to `now` (never backwards) and runs every timer that is due. */
UMK_API void umk_timers_run(struct umk_stack *s, umk_time_t now);
/* The earliest time a timer is due, or UMK_TIME_NEVER. */
UMK_API umk_time_t umk_next_deadline(struct umk_stack *s);
UMK_API umk_time_t umk_now(const struct umk_stack *s);

#ifdef __cplusplus
}
#endif
#endif
