/*
 * frag6.h - private to the datapath: fragment reassembly (RFC 8200 4.5 with RFC 5722,
 * RFC 6946 and RFC 7112) and fragmentation of what we send. Implementation: ip6/frag6.c;
 * callers: ip6/input.c and ip6/output.c.
 */
#ifndef UMK_IP6_FRAG6_H
#define UMK_IP6_FRAG6_H

#include <stdbool.h>
#include <stdint.h>

struct umk_stack;
struct umk_pkt;

int frag6_init(struct umk_stack *s);
void frag6_fini(struct umk_stack *s);
/* Drops every reassembly queue of an interface that goes away. */
void frag6_if_detach(struct umk_stack *s, int ifindex);

/* Where the header-chain walk goes on after a Fragment header. */
struct frag6_resume {
	uint32_t off;                 /* offset (from the IPv6 header) of the next header */
	uint8_t nxt;                  /* its type */
	uint32_t nxt_off;             /* offset of the byte that names it */
	bool reassembled;
};

/*
 * A received packet with a Fragment header at frag_off (pkt->data at its IPv6 header,
 * pkt->len the whole packet; nxt_off: offset of the Next Header byte that named the
 * Fragment header). Consumes pkt. Returns NULL when the fragment was queued or dropped
 * (errors sent as RFC 8200 4.5 asks), else the packet to go on with: the same one for an
 * atomic fragment (RFC 6946), or the reassembled datagram (IPv6 header rebuilt, Fragment
 * header gone), with *r telling where its walk resumes.
 */
struct umk_pkt *frag6_input(struct umk_stack *s, struct umk_pkt *pkt, uint32_t frag_off,
			    uint32_t nxt_off, struct frag6_resume *r);

/*
 * Splits pkt (pkt->data at its IPv6 header; the first unfrag_len bytes are the
 * unfragmentable part, whose last Next Header byte is at nxt_off) into fragments of at
 * most mtu bytes (RFC 8200 4.5), each a multiple of 8 but the last. Consumes pkt. 0 and
 * the fragments on *out (a ->next chain), or a negative errno.
 */
int frag6_output(struct umk_stack *s, struct umk_pkt *pkt, uint32_t unfrag_len,
		 uint32_t nxt_off, uint32_t mtu, struct umk_pkt **out);

#endif
