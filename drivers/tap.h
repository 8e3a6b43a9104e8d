/*
 * tap.h - the Linux TAP driver: creates a TAP device (or attaches to an existing persistent
 * one), and moves Ethernet frames between it and a stack.
 *
 *   struct tap *t = tap_open("tap0", mac, err, sizeof(err));   // kernel side up, fd ready
 *   int ifindex = tap_attach(t, stack);                        // umk_if_add with its MTU
 *   ... epoll on tap_fd(t); on EPOLLIN: tap_rx(t) ...
 *   tap_close(t);                                              // a TAP we created vanishes
 *
 * The kernel side is a Linux interface with its own MAC; ours is chosen by the caller (a
 * locally administered unicast address, never the kernel's: tap_open changes it if equal).
 */
#ifndef UMK_DRIVERS_TAP_H
#define UMK_DRIVERS_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <umikame/umikame.h>

struct tap;

struct tap_stats {
	uint64_t rx_frames, rx_bytes, rx_nobuf, rx_errors;
	uint64_t tx_frames, tx_bytes, tx_again, tx_errors;
	/* with TAP_OFFLOADS: super-segments and left-open checksums each way, and frames whose
	 * virtio-net header asked for what we did not offer */
	uint64_t rx_gso, rx_csum_partial, rx_offload_bad, tx_gso, tx_csum_partial;
};

/* tap_open flags */
#define TAP_OFFLOADS 0x01   /* IFF_VNET_HDR with checksum and TCP/IPv6 segmentation offloads */

/*
 * Opens /dev/net/tun as TAP `name` (IFF_TAP | IFF_NO_PI, non-blocking; with TAP_OFFLOADS
 * also IFF_VNET_HDR and the offloads the kernel accepts), brings the kernel side up and
 * reads its MTU. mac: our Ethernet address (made locally administered unicast). NULL with a
 * reason in err on failure.
 */
struct tap *tap_open(const char *name, const uint8_t mac[6], unsigned flags, char *err,
		     size_t errlen);
/* Adds the interface to s (same name, our MAC, the kernel side's MTU); its ifindex or a
 * negative errno. */
int tap_attach(struct tap *t, struct umk_stack *s);
/* Reads every waiting frame (at most `budget`) into the stack. Returns frames read. */
int tap_rx(struct tap *t, int budget);
int tap_fd(const struct tap *t);
int tap_ifindex(const struct tap *t);
const char *tap_name(const struct tap *t);
bool tap_created(const struct tap *t);
uint32_t tap_mtu(const struct tap *t);
/* UMK_OFFLOAD_* in use (0 without TAP_OFFLOADS, or when the kernel refused them). */
unsigned tap_offloads(const struct tap *t);
const struct tap_stats *tap_stats(const struct tap *t);
/* Closes the fd; a TAP we created (not persistent) disappears with it. */
void tap_close(struct tap *t);

/* A stable locally administered unicast MAC for `name` from a secret key. */
void tap_derive_mac(const uint8_t key[32], const char *name, uint8_t mac[6]);

#endif
