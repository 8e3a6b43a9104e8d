/*
 * ipsec.h - IPsec for the IPv6 data path (RFC 4301): the Security Policy Database (spd.c),
 * the Security Association Database (sad.c), ESP (esp.c, RFC 4303) and AH (ah.c, RFC 4302)
 * in transport and tunnel (IPv6-in-IPv6, IPv4-in-IPv6: gateway4.c) mode, anti-replay windows (replay.c), the crypto
 * boundary (crypto.c) and PF_KEY v2 (pfkey.c over wire/pfkey.c, RFC 2367 with KAME's SPD
 * extensions). Neighbours: ip6/input.c hands us ESP and AH headers and asks the inbound
 * SPD before delivery; ip6/output.c asks the outbound SPD before emitting the header.
 *
 * With no policy in a direction (and, inbound, no SA) the data path pays one load and
 * compare (ipsec_spd_empty). A security gateway's transit traffic meets the SPD through
 * ipsec_forward (gateway.c), called from ip6/forward.c.
 */
#ifndef UMK_IPSEC_IPSEC_H
#define UMK_IPSEC_IPSEC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "core/timer.h"
#include "ipsec/crypto.h"
#include "ipsec/replay.h"

struct ip6_rx;
struct ip6_tx;
struct ip6_hdr_info;

enum ipsec_dir { IPSEC_DIR_IN = 0, IPSEC_DIR_OUT = 1 };
enum ipsec_mode { IPSEC_MODE_ANY = 0, IPSEC_MODE_TRANSPORT = 1, IPSEC_MODE_TUNNEL = 2 };
enum ipsec_action { IPSEC_BYPASS, IPSEC_DISCARD, IPSEC_PROTECT };
/* RFC 2367 2.3.3 SA states */
enum ipsec_sa_state { SA_LARVAL = 0, SA_MATURE = 1, SA_DYING = 2, SA_DEAD = 3 };

#define IPSEC_PROTO_ANY  255         /* selector upper-layer protocol wildcard (KAME) */
#define IPSEC_PORT_ANY   0
#define IPSEC_ICMP_ANY   0xffff
#define IPSEC_MAX_REQ    3           /* IPComp, ESP and AH on one policy (RFC 4301 4.5 bundles) */
#define IPSEC_DEFAULT_REPLAY 64      /* RFC 4303 3.4.3: 32 MUST, 64 SHOULD be the default */

/* RFC 2367 2.3.4 lifetimes; time in seconds since add/first use. 0 = no limit. */
struct ipsec_lifetime {
	uint32_t packets;             /* sadb_lifetime_allocations, as Linux uses it */
	uint64_t bytes;
	uint64_t addtime;
	uint64_t usetime;
};

struct ipsec_selector {
	struct in6_addr src, dst;
	uint8_t src_plen, dst_plen;
	uint8_t proto;                /* IPSEC_PROTO_ANY or an upper-layer protocol */
	uint16_t sport, dport;        /* IPSEC_PORT_ANY or a port (TCP, UDP, SCTP) */
	uint16_t icmp_type, icmp_code;/* IPSEC_ICMP_ANY or a value (ICMPv6, RFC 4301 4.4.1.1) */
};

struct ipsec_sa {
	struct ipsec_sa *hash_next;   /* SPI hash chain (inbound lookup) */
	struct ipsec_sa *next;        /* every SA */
	uint32_t spi;                 /* host order */
	uint8_t proto;                /* IPPROTO_ESP or IPPROTO_AH */
	uint8_t mode;                 /* enum ipsec_mode: ANY = transport or tunnel */
	uint8_t state;                /* enum ipsec_sa_state */
	bool esn;                     /* RFC 4303 2.2.1 extended sequence numbers */
	struct in6_addr src, dst;     /* SA endpoints (tunnel endpoints in tunnel mode) */
	uint32_t reqid;
	/* RFC 4301 4.4.2 / 5.2 step 4: what a transport-mode packet through this SA may be
	 * (from the PF_KEY address extensions: prefixes, protocol, ports; by default exactly
	 * the endpoints). A tunnel's inner packets are held to the policy instead. */
	struct ipsec_selector sel;
	enum ipsec_enc_alg enc;
	enum ipsec_auth_alg auth;
	uint8_t enc_key[IPSEC_MAX_ENC_KEY], auth_key[IPSEC_MAX_AUTH_KEY];
	uint16_t enc_key_len, auth_key_len;
	struct ipsec_crypto *crypto;  /* NULL while LARVAL */
	uint64_t seq;                 /* outbound: last sequence number sent */
	struct ipsec_replay replay;   /* inbound */
	struct ipsec_lifetime soft, hard, cur;
	umk_time_t add_time, use_time;/* use_time 0 = never used */
	bool soft_sent;
	struct umk_timer soft_timer, hard_timer;
	uint32_t pfkey_seq, pfkey_pid;/* the GETSPI/ACQUIRE exchange this SA answers */
	uint32_t flags;               /* sadb_sa_flags as given */
	/* RFC 3948 UDP encapsulation (PF_KEY SADB_X_EXT_NAT_T_*, udpencap.c); 0 = none */
	uint8_t encap_type;
	uint16_t encap_sport, encap_dport; /* host order: src's port, dst's port */
	uint8_t natt_oa_present;      /* bit 0: natt_oa[0] (OAI), bit 1: natt_oa[1] (OAR) */
	struct in6_addr natt_oa[2];   /* original addresses (RFC 3948 3.1.2), as given */
	uint8_t calg;                 /* IPComp SAs: IPCOMP_ALG_* (ipcomp.c) */
	uint16_t natt_new_sport;      /* the peer's port last told in a NEW_MAPPING */
};


struct ipsec_req {
	uint8_t proto;                /* IPPROTO_ESP / IPPROTO_AH */
	uint8_t mode;                 /* TRANSPORT or TUNNEL */
	uint8_t level;                /* KAME: 0 default, 1 use, 2 require, 3 unique */
	uint32_t reqid;
	struct in6_addr tsrc, tdst;   /* tunnel endpoints */
	struct ipsec_sa *cache;       /* outbound SA found last time, valid at cache_gen */
	uint32_t cache_gen;
};

struct ipsec_policy {
	struct ipsec_policy *next;    /* in priority order */
	uint32_t id;
	uint8_t dir;                  /* enum ipsec_dir */
	uint8_t action;               /* enum ipsec_action */
	uint32_t priority;            /* lower runs first; equal: earlier added first */
	struct ipsec_selector sel;
	struct ipsec_req req[IPSEC_MAX_REQ];
	uint8_t n_req;
	struct umk_pkt *held;         /* one packet waiting for its SA (ACQUIRE) */
	struct ip6_tx *held_tx;
	umk_time_t last_acquire;
};

/* PF_KEY messages the stack sends on its own (ACQUIRE, EXPIRE) go to this listener. */
typedef void (*ipsec_pfkey_fn)(void *ctx, const void *msg, size_t len);

/* The part the data path reads for every packet. */
struct ipsec_state_head {
	uint32_t n_policies[2];
	uint32_t n_sas;               /* = ipsec_state.n_sas: inbound checks apply while > 0 */
};

/* An SA that processed the packet being received, as RFC 4301 5.2 step 4 checks it: a
 * copy, so nothing here can outlive the SA. proto 0: no such SA. */
struct ipsec_in_sa {
	uint8_t proto;                /* IPPROTO_ESP or IPPROTO_AH */
	bool tunnel;                  /* the packet was its inner packet */
	bool outer;                   /* transport SA over a tunnel's outer packet */
	uint32_t spi, reqid;
	struct in6_addr src, dst;     /* the SA's endpoints */
	struct ipsec_selector sel;    /* its own selectors (transport use) */
};
#define IPSEC_IN_ESP 0                /* index of ESP and AH in the records below */
#define IPSEC_IN_AH  1

struct ipsec_state {
	struct ipsec_state_head head; /* first: ipsec_spd_empty() reads it */
	struct ipsec_sa **spi_hash;
	uint32_t hash_mask;
	struct ipsec_sa *sas;
	uint32_t n_sas;
	uint32_t sa_gen;              /* bumps when an SA comes or goes or changes state */
	struct ipsec_policy *spd[2];
	uint32_t next_policy_id;
	uint32_t replay_window;       /* default for new inbound SAs */
	bool acquire_hold;            /* hold one packet per policy instead of dropping */
	bool nd_bypass;               /* RFC 4301 ND/MLD bypass (default on) */
	uint32_t acquire_seq;
	uint32_t registered;          /* SADB_SATYPE_* bit set of REGISTERed key daemons */
	ipsec_pfkey_fn listener;
	void *listener_ctx;
	/* RFC 4301 5.2: the SAs that processed the packet being received. Transport mode:
	 * valid while that packet's ip6_rx has IP6_RX_ESP / IP6_RX_AH (each ESP/AH input
	 * overwrites its slot). Tunnel mode: the tunnel whose inner packet is in ip6_input,
	 * saved and restored around it (ipsec_decap). */
	struct ipsec_in_sa in_sa[2];
	struct ipsec_in_sa decap_sa[2];
	int decap_depth;
	uint32_t n_encap;             /* SAs with UDP encapsulation (udpencap.c's fast path) */
	/* udpencap.c: the destination ports of those SAs, rebuilt when sa_gen moves; more
	 * than fit: every port is a candidate (ports_all) */
	uint32_t encap_ports_gen;
	uint16_t encap_ports[8];
	uint8_t n_encap_ports;
	bool encap_ports_all, encap_ports_valid;
	struct ipcomp_ctx *ipcomp;    /* deflate streams, made with the first IPComp SA */
	uint32_t ipcomp_threshold;    /* smallest payload worth compressing (RFC 2394 2) */
	uint32_t ipcomp_max_out;      /* largest decompressed payload taken (bomb guard) */
};

/* Inbound (dir IN) the check also runs while any SA exists: a packet an SA processed is
 * matched against that SA's selectors even with no inbound policy (RFC 4301 5.2 step 4). */
static inline bool ipsec_spd_empty(const struct umk_stack *s, enum ipsec_dir dir)
{
	const struct ipsec_state_head *h = (const struct ipsec_state_head *)s->ipsec;
	return !h || (!h->n_policies[dir] && (dir == IPSEC_DIR_OUT || !h->n_sas));
}

int ipsec_init(struct umk_stack *s);
void ipsec_fini(struct umk_stack *s);
void ipsec_set_listener(struct umk_stack *s, ipsec_pfkey_fn fn, void *ctx);

/* ---- SAD (sad.c) ---- */

/* A new SA from its parameters (keys copied; crypto context made unless LARVAL).
 * 0, -EEXIST (same SPI/dst/proto), -ENOSPC (max_sas, counted), -EINVAL, -ENOMEM. */
int sad_add(struct umk_stack *s, const struct ipsec_sa *tmpl, struct ipsec_sa **out);
/* Completes a LARVAL SA (PF_KEY UPDATE) or replaces keys/lifetimes of a mature one. */
int sad_update(struct umk_stack *s, struct ipsec_sa *sa, const struct ipsec_sa *tmpl);
void sad_delete(struct umk_stack *s, struct ipsec_sa *sa);
/* proto 0 = any. */
void sad_flush(struct umk_stack *s, uint8_t proto);
struct ipsec_sa *sad_lookup(struct umk_stack *s, uint32_t spi, const struct in6_addr *dst,
			    uint8_t proto);
/* The newest usable outbound SA for a policy request between src and dst. */
struct ipsec_sa *sad_find_out(struct umk_stack *s, const struct ipsec_req *req,
			      const struct in6_addr *src, const struct in6_addr *dst);
/* A random SPI in [min, max] not in use for dst/proto (GETSPI); 0 when none is free. */
uint32_t sad_alloc_spi(struct umk_stack *s, const struct in6_addr *dst, uint8_t proto,
		       uint32_t min, uint32_t max);
/* Accounts a packet of `bytes` on sa (lifetimes, RFC 4301 4.4.2.1). False when the SA hit
 * a hard limit and was deleted: the packet must be dropped. */
bool sad_use(struct umk_stack *s, struct ipsec_sa *sa, uint32_t bytes);
/* Walks every SA (DUMP); stops when fn returns non-zero, and returns that. */
int sad_walk(struct umk_stack *s, uint8_t proto, int (*fn)(void *, struct ipsec_sa *), void *ctx);

/* ---- SPD (spd.c) ---- */

/* Adds a policy (copied). 0, -EEXIST (same selector and direction), -ENOSPC
 * (max_policies), -EINVAL. The new policy's id through id. update: replace the one
 * with the same selector instead of failing. */
int spd_add(struct umk_stack *s, const struct ipsec_policy *tmpl, bool update, uint32_t *id);
int spd_delete(struct umk_stack *s, uint8_t dir, const struct ipsec_selector *sel);
int spd_delete_id(struct umk_stack *s, uint32_t id);
void spd_flush(struct umk_stack *s);
struct ipsec_policy *spd_get_id(struct umk_stack *s, uint32_t id);
int spd_walk(struct umk_stack *s, int (*fn)(void *, struct ipsec_policy *), void *ctx);

/* The selector values of a packet: addresses, protocol and, from the upper-layer header
 * at ul (len bytes), ports or ICMPv6 type and code. */
struct ipsec_pktsel {
	struct in6_addr src, dst;
	uint8_t proto;
	uint16_t sport, dport;        /* ports; for ICMPv6 type and code */
};
void spd_pktsel(struct ipsec_pktsel *ps, const struct in6_addr *src, const struct in6_addr *dst,
		uint8_t proto, const uint8_t *ul, uint32_t len);
/* The first policy for dir that matches, NULL when none does. The RFC 4301 ND/MLD bypass
 * is applied by the callers (spd_nd_bypass). */
struct ipsec_policy *spd_lookup(struct umk_stack *s, uint8_t dir, const struct ipsec_pktsel *ps);
bool spd_nd_bypass(const struct umk_stack *s, const struct ipsec_pktsel *ps);
/* Do a packet's selector values ps fall under sel (RFC 4301 4.4.1.1)? */
bool spd_sel_match(const struct ipsec_selector *sel, const struct ipsec_pktsel *ps);
/* For a packet whose ports are not in it (a non-first fragment; RFC 4301 4.4.1's OPAQUE,
 * ps holding 0s, and proto IPSEC_PROTO_ANY when that is not known either): would the SPD
 * pass it in the clear (bypass, or no policy) while an earlier policy that names ports
 * (or a protocol) might have been the one to protect or discard it? */
bool spd_opaque_unsafe(struct umk_stack *s, uint8_t dir, const struct ipsec_pktsel *ps);
/* Held packets (ACQUIRE) go out again now that their SA may exist (after an SA add). */
void spd_release_held(struct umk_stack *s);

/* ---- the data path ---- */

/* ip6_output's hook, after source selection and the upper-layer checksum: pkt->data at
 * the upper-layer payload whose protocol is *nxt. Returns 0 to go on (the payload may have
 * been wrapped in ESP/AH: *pp and *nxt updated), or consumed the packet: 1 when it left
 * another way (tunnel, held for an SA), a negative errno when it was dropped (counted). */
int ipsec_output(struct umk_stack *s, struct umk_pkt **pp, const struct ip6_tx *tx,
		 const struct in6_addr *src, struct umk_if *ifp, uint8_t *nxt);

/* ip6_input's ESP/AH header handlers: the header at `off` from pkt->data (the IPv6 header),
 * named by the byte at nxt_off. Returns 0 with *pp, *off, *nxt, *len updated for the walk
 * to go on (transport mode: the ESP/AH header and trailer removed in place), or 1 when the
 * packet was consumed (dropped and counted, or a tunnel's inner packet handed to
 * ip6_input). */
int esp_input(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx, uint32_t *off,
	      uint32_t nxt_off, uint8_t *nxt, uint32_t *len);
int ah_input(struct umk_stack *s, struct umk_pkt **pp, struct ip6_rx *rx, uint32_t *off,
	     uint32_t nxt_off, uint8_t *nxt, uint32_t *len);

/* The inbound check before delivery (RFC 4301 5.2): pkt->data at the upper layer. The
 * packet is matched against the selectors of each SA that processed it and against the
 * inbound policy, which must name those SAs (step 4); an unprotected packet that a
 * protect policy covers is dropped. True when the packet was dropped (consumed, counted). */
bool ipsec_input_check(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx);

/* ip6_forward's hook for a security gateway (RFC 4301 5.1, 5.2), after the Hop Limit
 * check, pkt->data at the IPv6 header h describes: the inbound check as for delivery
 * (what arrived unprotected under a protect policy, or through a tunnel the policy does
 * not name, is dropped), then the outbound SPD: bypass (0: forward it), discard, or
 * protect (the packet, its Hop Limit decremented, leaves in tunnel mode toward the peer
 * gateway). Returns 0 to forward, 1 when pkt was consumed (counted when dropped). */
int ipsec_forward_slow(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt,
		       const struct ip6_hdr_info *h);

/* ---- IPv4 inner traffic (gateway4.c), called from ip4/input.c ---- */
struct ip4_hdr_info;
/* The inbound SPD (RFC 4301 5.2) for a received IPv4 datagram (pkt->data at its header, h
 * parsed), in the clear or out of a tunnel (ipsec_decap). true: dropped (counted). */
bool ipsec_input4(struct umk_stack *s, struct umk_pkt *pkt, const struct ip4_hdr_info *h);
/* The outbound SPD for a datagram being forwarded: 0 to forward it as it is, 1 when it was
 * tunnelled or dropped (counted). Either way only after its TTL was checked. */
int ipsec_forward4(struct umk_stack *s, struct umk_if *in, struct umk_pkt *pkt,
		   const struct ip4_hdr_info *h);
/* RFC 6040 4.2 for an IPv4 inner packet; false when it was dropped. */
bool ipsec_decap4_ecn(struct umk_stack *s, struct umk_pkt *pkt, uint8_t outer_tclass);
static inline int ipsec_forward(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt,
				const struct ip6_hdr_info *h)
{
	if (ipsec_spd_empty(s, IPSEC_DIR_IN) && ipsec_spd_empty(s, IPSEC_DIR_OUT))
		return 0;
	return ipsec_forward_slow(s, ifp, pkt, h);
}

/* Transport-mode ESP/AH output on a payload (pkt->data at it, protocol *nxt); the IPv6
 * header fields AH covers are given by src/dst. 0 or a negative errno (pkt consumed). */
int esp_output(struct umk_stack *s, struct ipsec_sa *sa, struct umk_pkt *pkt, uint8_t *nxt);
int ah_output(struct umk_stack *s, struct ipsec_sa *sa, struct umk_pkt *pkt, uint8_t *nxt,
	      const struct in6_addr *src, const struct in6_addr *dst, uint32_t extra_hdr_len);

/* ---- PF_KEY (pfkey.c) ---- */

typedef void (*pfkey_reply_fn)(void *ctx, const void *msg, size_t len);
/* Handles one PF_KEY v2 message: replies (one or several for DUMP) through reply. A
 * malformed message gets an error reply and changes nothing. Returns 0 or the negative
 * errno also carried in the reply. */
int pfkey_handle(struct umk_stack *s, const void *msg, size_t len, pfkey_reply_fn reply,
		 void *ctx);
/* The SADB_SATYPE_* bit set that still has REGISTERed listeners, from the transport that
 * carries PF_KEY (umikamed) after a registered client went away (RFC 2367 3.1.6). */
void pfkey_set_registered(struct umk_stack *s, uint32_t satypes);
/* Messages the stack originates (sad.c, spd.c call these). */
void pfkey_send_expire(struct umk_stack *s, const struct ipsec_sa *sa, bool hard);
/* KAME/Linux SADB_X_NAT_T_NEW_MAPPING: the peer of an ESP-in-UDP SA now sends from
 * src port sport (a NAT rebinding, udpencap.c), for the key daemon to update the SA. */
void pfkey_send_new_mapping(struct umk_stack *s, const struct ipsec_sa *sa,
			    const struct in6_addr *src, uint16_t sport);
void pfkey_send_acquire(struct umk_stack *s, const struct ipsec_policy *pol,
			const struct ipsec_req *req, const struct in6_addr *src,
			const struct in6_addr *dst);

#endif
