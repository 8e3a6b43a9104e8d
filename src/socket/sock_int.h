/*
 * socket/sock_int.h - the socket layer's insides, shared with the transports.
 *
 *   socket/socket.c    the descriptor table, the API entry points, receive queues, readiness
 *   socket/sockopt.c   setsockopt/getsockopt (RFC 3493 5, RFC 3542)
 *   socket/sockopt_mcast.c  group membership and RFC 3678 source filters (RFC 3810 4.1)
 *   socket/dgram.c     datagram receive with ancillary data, send preparation (RFC 3542 6-11)
 *   socket/exthdr.c    extension headers and IPV6_NEXTHOP, sticky and ancillary (RFC 3542 4-9)
 *   socket/inet6_opt.c the RFC 3542 10 / 7 helpers of the public API
 *   socket/sock_ctl.c  the remote socket calls, executed for umikamed (daemon/sockets.c)
 *   transport/udp.c, transport/raw.c   the protocols, each a struct sock_proto
 *   ctl/remote.c       the client side of the remote API
 *
 * Every protocol is a table of functions (struct sock_proto); the generic layer never knows
 * which protocol it talks to. TCP will be one more row.
 *
 * Files including this header define _GNU_SOURCE first (struct in6_pktinfo, ip6_mtuinfo).
 */
#ifndef UMK_SOCKET_SOCK_INT_H
#define UMK_SOCKET_SOCK_INT_H

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <umikame/socket.h>

#include "ip6/ip6.h"
#include "socket/sock.h"

struct umk_stack;
struct umk_pkt;
struct umk_if;
struct ip6_rx;
struct ip6_tx;
struct sock;

#define SOCK_MAX_MEMBERSHIPS 20     /* groups per socket (Linux's max_memberships default) */

/* What a protocol is told about an ICMPv6 error (RFC 4443 2.4 (b)). */
struct sock_ctlmsg {
	uint8_t type, code;
	uint32_t param;                 /* MTU of a Packet Too Big */
	struct in6_addr src, dst;       /* of the quoted packet: ours, and the peer */
	int zone;                       /* interface the error came in on */
	const uint8_t *ulp;             /* the quoted upper-layer header */
	uint32_t ulp_len;
};

/* One send, after the ancillary data has been read (RFC 3542 6). */
struct sock_send {
	struct sockaddr_in6 to;         /* destination (sin6_port for UDP) */
	bool has_to;
	struct in6_addr src;            /* IPV6_PKTINFO source, :: = choose */
	int ifindex;                    /* IPV6_PKTINFO interface, 0 = route */
	int hlim;                       /* IPV6_HOPLIMIT, -1 = socket's */
	int tclass;                     /* IPV6_TCLASS, -1 = socket's */
	int dontfrag;                   /* IPV6_DONTFRAG, -1 = socket's */
	int minmtu;                     /* IPV6_USE_MIN_MTU, -2 = socket's */
	uint8_t ext_given;              /* bit i: ancillary header i given (IP6_TX_EXT_*) */
	const uint8_t *ext[IP6_TX_EXT_N];   /* ... into the caller's msg_control */
	uint16_t ext_len[IP6_TX_EXT_N];     /* 0: none for this send */
	bool has_nexthop;               /* IPV6_NEXTHOP (sin6_scope_id: its interface) */
	struct sockaddr_in6 nexthop;
	struct ip6_tx_ext txext;        /* filled by sock_tx_ext for ip6_output */
	const struct iovec *iov;
	size_t iovlen;
	size_t len;                     /* bytes in iov */
	int flags;                      /* MSG_* */
};

struct sock_proto {
	int type;                       /* SOCK_DGRAM, SOCK_RAW, SOCK_STREAM */
	int proto;                      /* IPPROTO_*; -1 matches any (raw) */
	const char *name;
	int (*attach)(struct umk_stack *s, struct sock *so);
	int (*bind)(struct umk_stack *s, struct sock *so, const struct sockaddr_in6 *a);
	int (*connect)(struct umk_stack *s, struct sock *so, const struct sockaddr_in6 *a);
	ssize_t (*send)(struct umk_stack *s, struct sock *so, struct sock_send *ss);
	ssize_t (*recv)(struct umk_stack *s, struct sock *so, struct msghdr *msg, int flags);
	int (*shutdown)(struct umk_stack *s, struct sock *so, int how);
	void (*close)(struct umk_stack *s, struct sock *so);
	/* An ICMPv6 error about a packet of this protocol; true when a socket took it. */
	bool (*ctlinput)(struct umk_stack *s, const struct sock_ctlmsg *cm);
	/* Protocol input from ip6_deliver (consumes); NULL when the protocol is dispatched
	 * another way (raw copies). */
	void (*input)(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx);
	/* POLLIN/POLLOUT/... the socket has now. */
	short (*poll)(struct umk_stack *s, struct sock *so);
	/* Stream sockets: bytes a send would take now without blocking (NULL: not told). */
	uint32_t (*send_space)(struct umk_stack *s, struct sock *so);
	/* Stream sockets (NULL: EOPNOTSUPP). accept fills nso, a fresh socket of the same
	 * protocol made by the socket layer, with the next established connection. */
	int (*listen)(struct umk_stack *s, struct sock *so, int backlog);
	int (*accept)(struct umk_stack *s, struct sock *so, struct sock *nso);
	/* Protocol options (IPPROTO_TCP, some SOL_SOCKET): -ENOPROTOOPT passes them on to the
	 * generic ones. */
	int (*setopt)(struct umk_stack *s, struct sock *so, int level, int name, const void *val,
		      socklen_t len);
	int (*getopt)(struct umk_stack *s, struct sock *so, int level, int name, void *val,
		      socklen_t *len);
};

/* Sticky options (RFC 3493 5.2, RFC 3542). */
struct sock_opts {
	int16_t unicast_hops;           /* -1: the interface's CurHopLimit */
	int16_t multicast_hops;         /* -1: 1 (RFC 3493 5.2) */
	int multicast_if;
	bool multicast_loop;
	bool v6only;
	bool reuseaddr, reuseport;
	bool recvpktinfo, recvhoplimit, recvtclass, recvpathmtu;
	bool recvhopopts, recvdstopts, recvrthdr;   /* RFC 3542 4 */
	bool dontfrag;
	int8_t use_min_mtu;             /* RFC 3542 11.1: -1 multicast only, 0 never, 1 always */
	int16_t tclass;                 /* -1: 0 */
	bool has_pktinfo;
	struct in6_pktinfo pktinfo;     /* sticky IPV6_PKTINFO */
	int checksum;                   /* RFC 3542 3.1 IPV6_CHECKSUM offset, -1 off */
	struct icmp6_filter filter;     /* RFC 3542 3.2 */
	uint32_t rcvtimeo_ms;           /* SO_RCVTIMEO, used by remote stacks */
	uint32_t sndbuf;
};

/* A membership with its RFC 3678 source filter (RFC 3810 4.1 per-socket state): an
 * any-source join is MCAST_EXCLUDE with no sources. socket/sockopt_mcast.c. */
struct sock_mship {
	struct in6_addr group;
	int ifindex;
	uint32_t fmode;                 /* MCAST_INCLUDE or MCAST_EXCLUDE */
	uint16_t nsrcs;
	struct in6_addr *srcs;          /* at most max_socket_group_sources; owned */
};

/* A received datagram's metadata, kept in the packet's headroom while it is queued. */
enum { SOCK_RX_DATA, SOCK_RX_PATHMTU };
struct sock_rxmeta {
	struct in6_addr src, dst;       /* PATHMTU: dst is the destination of the path */
	uint32_t mtu;                   /* PATHMTU */
	uint16_t ifindex;
	uint16_t sport;
	uint8_t hlim, tclass;
	uint8_t kind;
	uint8_t pad;
	uint16_t ext_len;               /* bytes of kept extension headers after this (exthdr.c) */
};

#define SOCK_F_BOUND      0x01
#define SOCK_F_CONNECTED  0x02
#define SOCK_F_RD_SHUT    0x04
#define SOCK_F_WR_SHUT    0x08
#define SOCK_F_NONBLOCK   0x10
#define SOCK_F_LADDR_AUTO 0x20   /* laddr chosen by connect(), forgotten by AF_UNSPEC */

struct sock {
	int sd;
	int type, proto;
	const struct sock_proto *ops;
	unsigned flags;                 /* SOCK_F_* */
	struct in6_addr laddr, faddr;
	uint16_t lport, fport;          /* host order */
	int lzone, fzone;               /* zones of scoped laddr / faddr (RFC 4007) */
	int error;                      /* pending SO_ERROR, positive errno */
	struct umk_pkt *rq_head, *rq_tail;
	uint32_t rq_count, rq_bytes, rcvbuf;
	uint64_t rq_drops;
	struct sock_opts opt;
	struct sock_mship mships[SOCK_MAX_MEMBERSHIPS];
	int n_mships;
	umk_sock_cb cb;
	void *cb_ctx;
	void *owner;                    /* who opened it (a daemon client), for sock_ctl */
	void *pcb;                      /* the protocol's connection block (TCP) */
	struct sock_exthdrs *ext;       /* sticky extension headers, NULL: none (exthdr.c) */
};

/* Sticky IPV6_HOPOPTS / RTHDRDSTOPTS / RTHDR / DSTOPTS (by IP6_TX_EXT_*) and NEXTHOP. */
struct sock_exthdrs {
	uint8_t *hdr[IP6_TX_EXT_N];
	uint16_t len[IP6_TX_EXT_N];
	bool has_nexthop;
	struct sockaddr_in6 nexthop;
};

struct remote;

struct sock_state {
	struct sock **tab;              /* by descriptor */
	uint32_t cap, count;
	bool freeing;
	struct remote *remote;          /* set on a umk_stack_open() handle */
};

/* ---- socket.c: for the transports ---- */

struct sock *sock_get(struct umk_stack *s, int sd);
/* Iterates the open sockets of one protocol: start with NULL. */
struct sock *sock_next(struct umk_stack *s, struct sock *prev, const struct sock_proto *p);
/* Queues a received datagram (pkt->data at its payload), consumes pkt. false when dropped
 * (queue full, read side shut; counted). */
bool sock_enqueue(struct umk_stack *s, struct sock *so, struct umk_pkt *pkt,
		  const struct sock_rxmeta *m);
/* Records an asynchronous error (SO_ERROR) and wakes the owner. */
void sock_set_error(struct umk_stack *s, struct sock *so, int err);
/* RFC 3542 11.3: queues an IPV6_PATHMTU notification if the socket asked for them. */
void sock_pathmtu_notify(struct umk_stack *s, struct sock *so, const struct in6_addr *dst,
			 int zone, uint32_t mtu);
/* Tells the callback, if any, the socket's readiness. */
void sock_notify(struct umk_stack *s, struct sock *so);
/* Bytes queued count against rcvbuf; frees the queue. */
void sock_rq_purge(struct umk_stack *s, struct sock *so);

/* ---- dgram.c ---- */

/* Receive for datagram sockets: one queued datagram into msg with its ancillary data. */
ssize_t sock_dgram_recv(struct umk_stack *s, struct sock *so, struct msghdr *msg, int flags);
short sock_dgram_poll(struct umk_stack *s, struct sock *so);
/* Reads msg's destination and ancillary data into ss. 0 or negative errno. */
int sock_send_parse(struct umk_stack *s, struct sock *so, const struct msghdr *msg, int flags,
		    struct sock_send *ss);
/* Fills tx for a send from so (options, then ancillary data). 0 or negative errno. */
int sock_tx_prepare(struct umk_stack *s, struct sock *so, const struct sock_send *ss,
		    struct ip6_tx *tx, uint8_t nxt);
/* The path MTU towards dst (RFC 8201 cache), 0 when there is no route. */
uint32_t sock_path_mtu(struct umk_stack *s, const struct in6_addr *dst, int zone);
/* Copies the iovec into p. */
void sock_iov_copy(const struct sock_send *ss, uint8_t *p);
/* Checks a sockaddr for AF_INET6 and its zone; copies it. 0 or negative errno. */
int sock_addr_in(struct umk_stack *s, const struct sockaddr *a, socklen_t len,
		 struct sockaddr_in6 *out);
/* The zone of a (bound or connected) address: its sin6_scope_id, or the only interface when
 * a scoped address comes without one; 0 for a global address. 0 or -EINVAL. */
int sock_addr_zone(struct umk_stack *s, const struct sockaddr_in6 *a, int *zone);
/* Fills a sockaddr_in6 (sin6_scope_id for scoped addresses). */
void sock_addr_out(struct sockaddr_in6 *out, const struct in6_addr *a, uint16_t port, int zone);
/* The source for a connected or bound socket towards dst (RFC 6724). 0 or negative errno. */
int sock_choose_source(struct umk_stack *s, const struct in6_addr *dst, int zone, int oif,
		       struct in6_addr *src);

/* ---- exthdr.c ---- */

int sock_ext_setopt(struct umk_stack *s, struct sock *so, int name, const void *val,
		    socklen_t len);
int sock_ext_getopt(struct sock *so, int name, void *val, socklen_t *len);
void sock_ext_free(struct sock *so);
/* One IPV6_HOPOPTS/DSTOPTS/RTHDRDSTOPTS/RTHDR/NEXTHOP cmsg into ss. 0 or negative errno. */
int sock_ext_cmsg(struct umk_stack *s, const struct cmsghdr *c, struct sock_send *ss);
/* After sock_tx_prepare: the headers and next hop of this send (ancillary over sticky),
 * pointed to by tx->ext when there are any. 0 or negative errno. */
int sock_tx_ext(struct umk_stack *s, struct sock *so, struct sock_send *ss, struct ip6_tx *tx);
static inline uint32_t sock_tx_headroom(const struct ip6_tx *tx)
{
	return tx->ext ? tx->ext->total : 0;
}

/* The extension headers a received packet came with (offsets from pkt->buf). */
#define SOCK_RX_EXT_MAX 8
struct sock_rx_ext {
	struct { int type; uint32_t off; uint16_t len; } h[SOCK_RX_EXT_MAX];
	uint32_t n, total;
};
bool sock_ext_wanted(const struct sock *so);
/* Walks from pkt->net_off to the upper-layer header at ulp_off; how many were found (0
 * when the chain is not a plain one: ESP/AH, or it does not end at ulp_off). */
int sock_ext_scan(const struct umk_pkt *pkt, uint32_t ulp_off, struct sock_rx_ext *e);
/* What so gets queued: pkt itself, or, when so asked for headers e found in orig, a copy of
 * pkt with them in front (*ext_len their bytes). pkt may be orig; it is freed if replaced. */
struct umk_pkt *sock_ext_take(struct umk_stack *s, const struct sock *so,
			      const struct sock_rx_ext *e, const struct umk_pkt *orig,
			      struct umk_pkt *pkt, uint16_t *ext_len);
/* Calls put for each kept header (cmsg type, bytes), in the order they came. */
void sock_ext_put_cmsgs(const uint8_t *p, uint16_t len,
			void (*put)(void *ctx, int type, const void *data, size_t n), void *ctx);

/* ---- sockopt.c ---- */

void sock_opts_init(struct sock_opts *o);
int sock_setopt(struct umk_stack *s, struct sock *so, int level, int name, const void *val,
		socklen_t len);
int sock_getopt(struct umk_stack *s, struct sock *so, int level, int name, void *val,
		socklen_t *len);

/* ---- sockopt_mcast.c: group membership and RFC 3678 source filters ---- */

/* IPV6_JOIN_GROUP/LEAVE_GROUP and the MCAST_* options of level IPPROTO_IPV6;
 * -ENOPROTOOPT for any other. */
int sock_mcast_setopt(struct umk_stack *s, struct sock *so, int name, const void *val,
		      socklen_t len);
int sock_mcast_getopt(struct umk_stack *s, struct sock *so, int name, void *val,
		      socklen_t *len);
/* Leaves every group of the socket (on close). */
void sock_leave_all(struct umk_stack *s, struct sock *so);
/* RFC 3678 / RFC 3810 4.1: a datagram to a multicast group reaches the socket only if its
 * source passes the socket's filter for that group and interface (a socket that did not
 * join the group takes it, as before). A refusal is counted. Always true for unicast. */
bool sock_mcast_pass(struct umk_stack *s, const struct sock *so, const struct ip6_rx *rx);

/* ---- the protocols ---- */

extern const struct sock_proto udp6_proto;
extern const struct sock_proto raw6_proto;
extern const struct sock_proto tcp6_proto;

/* ---- remote.c: a remote handle's calls (negative errno or a result) ---- */

int remote_socket(struct umk_stack *s, int domain, int type, int proto);
int remote_addr_call(struct umk_stack *s, uint16_t op, int sd, const struct sockaddr *a,
		     socklen_t len);
ssize_t remote_sendmsg(struct umk_stack *s, int sd, const struct msghdr *msg, int flags);
ssize_t remote_recvmsg(struct umk_stack *s, int sd, struct msghdr *msg, int flags);
int remote_simple(struct umk_stack *s, uint16_t op, int sd, int arg);
int remote_getname(struct umk_stack *s, uint16_t op, int sd, struct sockaddr *a, socklen_t *len);
int remote_setsockopt(struct umk_stack *s, int sd, int level, int name, const void *val,
		      socklen_t len);
int remote_getsockopt(struct umk_stack *s, int sd, int level, int name, void *val,
		      socklen_t *len);
int remote_poll(struct umk_stack *s, struct umk_pollfd *fds, unsigned nfds, int timeout_ms);
int remote_set_callback(struct umk_stack *s, int sd, umk_sock_cb fn, void *ctx);
int remote_accept(struct umk_stack *s, int sd, struct sockaddr *a, socklen_t *len);

#endif
