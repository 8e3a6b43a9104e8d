/*
 * pkt.h - packet buffers: one contiguous buffer with headroom, from a per-stack pool of sized
 * classes (DESIGN.md "Packets"). No malloc on the data path.
 *
 * Ownership: a function that takes a packet consumes it on every path (forwards, queues or
 * frees it) and says so in its comment. A pointer into a packet's bytes does not survive a
 * push, pull or copy of that packet.
 */
#ifndef UMK_CORE_PKT_H
#define UMK_CORE_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct umk_stack;

/* Room reserved in front of data for headers pushed on the way out (Ethernet 14, IPv6 40,
 * Fragment 8, Hop-by-Hop 8, and later ESP/tunnel headers). */
#define PKT_HEADROOM 192

enum pkt_class { PKT_SMALL, PKT_MEDIUM, PKT_LARGE, PKT_NCLASSES };
#define PKT_SMALL_SIZE  2048
#define PKT_MEDIUM_SIZE 10240
#define PKT_LARGE_SIZE  (65536 + 1024)

#define PKT_F_LOOPED 0x01  /* delivered to ourselves through the loopback queue */
#define PKT_F_MCAST  0x02  /* link-layer destination was multicast */
#define PKT_F_BCAST  0x04  /* link-layer destination was broadcast */
/* Offloads (umikame.h UMK_FRAME_*): the TCP checksum is still to be finished (its field
 * holds the pseudo-header sum; the sum runs from buf + csum_start to the end and goes at
 * csum_start + csum_offset), or was verified by the driver's other side. A packet with
 * gso_size > 0 is a TCP super-segment: on the wire it is segments of gso_size payload bytes
 * (ip6/gso.c cuts it where nobody else will). */
#define PKT_F_CSUM_PARTIAL 0x08
#define PKT_F_CSUM_VALID   0x10
#define PKT_F_OFFLOAD      (PKT_F_CSUM_PARTIAL | PKT_F_CSUM_VALID)

struct umk_pkt {
	struct umk_pkt *next;    /* for whoever holds the packet: queues, free lists */
	uint8_t *data;           /* first valid byte */
	uint32_t len;            /* valid bytes from data */
	uint32_t cap;            /* bytes in buf */
	uint32_t net_off;        /* offset of the IPv6 header from buf (set by ip6_input) */
	uint16_t ifindex;        /* receiving interface */
	uint8_t cls;             /* enum pkt_class */
	uint8_t flags;           /* PKT_F_* */
	uint16_t gso_size;       /* > 0: a TCP super-segment of segments this big (payload) */
	uint16_t csum_offset;    /* PKT_F_CSUM_PARTIAL: the checksum field, from csum_start */
	uint32_t csum_start;     /* PKT_F_CSUM_PARTIAL: offset from buf of the first byte summed */
	uint64_t _align;
	uint8_t buf[];
};

/* A packet with `len` bytes of room after `headroom`; data = buf + headroom, len = 0.
 * NULL (and a counted drop reason for the caller to count) when the pool is empty. */
struct umk_pkt *pkt_alloc(struct umk_stack *s, uint32_t len, uint32_t headroom);
void pkt_free(struct umk_stack *s, struct umk_pkt *pkt);
/* Frees a whole ->next chain. */
void pkt_free_chain(struct umk_stack *s, struct umk_pkt *pkt);
/* A copy of pkt's data with fresh headroom, metadata copied; NULL if the pool is empty. */
struct umk_pkt *pkt_copy(struct umk_stack *s, const struct umk_pkt *pkt, uint32_t headroom);

int pkt_pool_init(struct umk_stack *s, uint32_t n_small, uint32_t n_medium, uint32_t n_large);
void pkt_pool_fini(struct umk_stack *s);

static inline uint32_t pkt_headroom(const struct umk_pkt *p) { return (uint32_t)(p->data - p->buf); }
static inline uint32_t pkt_tailroom(const struct umk_pkt *p)
{
	return p->cap - pkt_headroom(p) - p->len;
}
/* Prepends n bytes; NULL when there is not enough headroom. */
static inline uint8_t *pkt_push(struct umk_pkt *p, uint32_t n)
{
	if (pkt_headroom(p) < n)
		return NULL;
	p->data -= n;
	p->len += n;
	return p->data;
}
/* Removes n bytes from the front; NULL when the packet is shorter. Returns the new data. */
static inline uint8_t *pkt_pull(struct umk_pkt *p, uint32_t n)
{
	if (p->len < n)
		return NULL;
	p->data += n;
	p->len -= n;
	return p->data;
}
/* Appends n bytes at the tail; returns where they go, NULL without tailroom. */
static inline uint8_t *pkt_put(struct umk_pkt *p, uint32_t n)
{
	if (pkt_tailroom(p) < n)
		return NULL;
	uint8_t *t = p->data + p->len;
	p->len += n;
	return t;
}
/* Cuts the packet to len bytes (no-op when already shorter). */
static inline void pkt_trim(struct umk_pkt *p, uint32_t len)
{
	if (p->len > len)
		p->len = len;
}
/* The IPv6 header of a received packet (see net_off). */
static inline uint8_t *pkt_net(struct umk_pkt *p) { return p->buf + p->net_off; }
static inline uint32_t pkt_off(const struct umk_pkt *p) { return (uint32_t)(p->data - p->buf); }

/* May a transport whose header is at data, its checksum `field` bytes in, skip summing?
 * When the driver's side verified the checksum, or left exactly this field open (a
 * description pointing anywhere else is no word about this header). */
static inline bool pkt_csum_trusted(const struct umk_pkt *p, uint16_t field)
{
	if (p->flags & PKT_F_CSUM_VALID)
		return true;
	return (p->flags & PKT_F_CSUM_PARTIAL) && p->csum_start == pkt_off(p) &&
	       p->csum_offset == field;
}

#endif
