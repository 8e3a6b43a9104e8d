/*
 * sim.h - in-process simulated links: several stacks in one process, joined by hub-like
 * links with a delay and seeded loss, on one injected clock. Simulations (tests/sim/) run
 * hours of protocol time in milliseconds, deterministically.
 *
 *   struct sim_net *net = sim_net_new(seed);
 *   int l = sim_link_new(net, 1, 0.0);               // 1 ms delay, no loss
 *   struct umk_stack *a = sim_stack_new(net, NULL);  // stack on the sim clock
 *   int ifa = sim_attach(net, l, a, "eth0", mac, 1500);
 *   umk_if_up(a, ifa);
 *   sim_run_for(net, 5000);
 *
 * Offloads (umikame.h UMK_OFFLOAD_*): a port attached with sim_attach_offload is a
 * virtio-net-like device. The stack may hand it TCP frames with the checksum left partial
 * and TCP/IPv6 super-segments; the simulated NIC finishes them on their way out. The wire
 * then carries ordinary frames: a super-segment is cut into segments of gso_size payload
 * bytes, each with its own checksum (an implementation of its own, not the stack's
 * ip6/gso.c, so it checks that one), and loss applies to each wire frame. What a port
 * receives depends on its own offloads:
 *   - plain, or UMK_OFFLOAD_CSUM alone: the wire frames (CSUM: a partial checksum of a
 *     frame that was not cut is passed on partial, as a virtio peer would);
 *   - UMK_OFFLOAD_CSUM | UMK_OFFLOAD_TSO6: a coalescing receiver. A super-segment none of
 *     whose segments was lost arrives whole with its description (umk_pkt_set_offload);
 *     otherwise each run of consecutive segments that arrived comes as one frame, the
 *     checksum marked verified (UMK_FRAME_CSUM_VALID) and a super-frame where it holds
 *     more than one segment, as a NIC's receive coalescing would make it.
 * sim_watch sees the wire frames; sim_watch_offload what ports hand the link, with the
 * description. sim_port_stats counts both, so tests can tell offloads were really used.
 */
#ifndef UMK_DRIVERS_SIM_H
#define UMK_DRIVERS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <umikame/umikame.h>

struct sim_net;

/* What a port did, for tests to assert on (every frame counted once per receiving port). */
struct sim_port_stats {
	uint64_t tx_frames;          /* frames the stack handed the port */
	uint64_t tx_super;           /* of them super-segments (gso_size > 0) */
	uint64_t tx_csum_partial;    /* of them with the checksum left partial */
	uint64_t tx_wire;            /* wire frames they became */
	uint64_t tx_wire_lost;       /* of those, lost to the link's loss */
	uint64_t tx_max_super;       /* the most payload bytes in one super-segment */
	uint64_t tx_offload_bad;     /* descriptions the NIC could not follow: dropped */
	uint64_t tx_csum_mismatch;   /* partial checksums that did not finish to a valid one */
	uint64_t rx_frames;          /* frames given to the stack */
	uint64_t rx_super;           /* of them super-frames */
	uint64_t rx_csum_partial;    /* of them with the checksum left partial */
	uint64_t rx_csum_valid;      /* of them marked verified */
	uint64_t rx_max_len;         /* the longest frame given to the stack */
	uint64_t rx_dropped;         /* no buffer, or a description the stack refused */
};

/* Called for every frame put on a link (before loss): tests watch the wire here. */
typedef void (*sim_watch_fn)(void *ctx, int link, int from_port, const uint8_t *frame,
			     size_t len, umk_time_t now);
/* Called for every frame a port (or sim_inject_offload, port -1) hands a link, before the
 * NIC finishes it and before loss; `off` is all zero for a frame with nothing left to do. */
typedef void (*sim_watch_offload_fn)(void *ctx, int link, int from_port, const uint8_t *frame,
				     size_t len, const struct umk_frame_offload *off,
				     umk_time_t now);

struct sim_net *sim_net_new(uint64_t seed);
void sim_net_free(struct sim_net *net);       /* frees the stacks made by sim_stack_new too */
int sim_link_new(struct sim_net *net, uint32_t delay_ms, double loss);
void sim_link_set_loss(struct sim_net *net, int link, double loss);
/* A stack on the simulation clock; cfg NULL = defaults (with a seed from the net). */
struct umk_stack *sim_stack_new(struct sim_net *net, const struct umk_stack_config *cfg);
/* Adds an interface to s on link; returns the ifindex (negative errno on failure). The port
 * number (for watchers) is returned through port if not NULL. */
int sim_attach(struct sim_net *net, int link, struct umk_stack *s, const char *ifname,
	       const uint8_t mac[6], uint32_t mtu, int *port);
/* The same with offloads (UMK_OFFLOAD_CSUM, optionally | UMK_OFFLOAD_TSO6): see the top. */
int sim_attach_offload(struct sim_net *net, int link, struct umk_stack *s, const char *ifname,
		       const uint8_t mac[6], uint32_t mtu, unsigned offloads, int *port);
const struct sim_port_stats *sim_port_stats(const struct sim_net *net, int port);
/* Puts a raw frame on a link as if sent by port -1 (a test's hand-made packet). */
void sim_inject(struct sim_net *net, int link, const void *frame, size_t len);
/* A hand-made frame with work left to the NIC, as if sent by an offload port -1. */
void sim_inject_offload(struct sim_net *net, int link, const void *frame, size_t len,
			const struct umk_frame_offload *off);
void sim_watch(struct sim_net *net, sim_watch_fn fn, void *ctx);
void sim_watch_offload(struct sim_net *net, sim_watch_offload_fn fn, void *ctx);
/* Cuts a port off its link (frames neither sent nor received) or reconnects it. */
void sim_port_set_connected(struct sim_net *net, int port, bool connected);

umk_time_t sim_now(const struct sim_net *net);
/* Runs frames and timers of every stack in time order until `t` (inclusive). */
void sim_run_until(struct sim_net *net, umk_time_t t);
void sim_run_for(struct sim_net *net, uint64_t ms);

#endif
