/*
 * socket.h - the socket API of umikame (RFC 3493, RFC 3542): the BSD calls on a stack, with
 * the standard struct sockaddr_in6, struct msghdr, CMSG_* macros and option names from the
 * system headers. The same calls work on an embedded stack (umk_stack_new) and on a handle
 * to a running umikamed (umk_stack_open), so a program is written once.
 *
 * Errors: every call returns -1 and sets errno, like POSIX (0 or a count on success).
 *
 * Socket descriptors are small integers of the stack, not file descriptors.
 *
 * Blocking:
 *   - Embedded stack: nothing ever blocks (the stack is passive, DESIGN.md). A receive with
 *     nothing queued fails with EAGAIN; use umk_poll() or a readiness callback
 *     (umk_sock_set_callback) from your event loop. umk_poll's timeout is ignored.
 *   - Remote stack: every call is a request to umikamed answered within the handle's timeout
 *     (umk_stack_set_timeout, default 10 s; ETIMEDOUT past it). A receive on a socket made
 *     without SOCK_NONBLOCK (and without MSG_DONTWAIT) waits for data up to its SO_RCVTIMEO
 *     (default 0 = no limit) and then fails with EAGAIN, as POSIX says for SO_RCVTIMEO.
 *     umk_poll waits up to its timeout. umk_stack_fd() gives the control socket's fd, so an
 *     event loop can poll() it next to its own fds and then call umk_poll(..., 0).
 *
 * What is here (protocols): SOCK_DGRAM/IPPROTO_UDP; SOCK_RAW with any protocol number
 * (IPPROTO_ICMPV6 with ICMP6_FILTER and the checksum always computed, RFC 3542 3);
 * SOCK_STREAM/IPPROTO_TCP (RFC 9293 with window scaling, timestamps, SACK, CUBIC/NewReno).
 * TCP options: IPPROTO_TCP TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
 * TCP_CONGESTION ("cubic", "reno"); SOL_SOCKET SO_KEEPALIVE, SO_LINGER, SO_ACCEPTCONN.
 * SO_RCVBUF/SO_SNDBUF size a TCP connection's rings when it is set up (before connect or
 * listen).
 *
 * Options: SOL_SOCKET SO_REUSEADDR, SO_REUSEPORT, SO_RCVBUF, SO_SNDBUF, SO_ERROR, SO_TYPE,
 * SO_PROTOCOL, SO_DOMAIN, SO_RCVTIMEO (remote stacks); IPPROTO_IPV6 IPV6_UNICAST_HOPS,
 * IPV6_MULTICAST_IF, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP, IPV6_JOIN_GROUP,
 * IPV6_LEAVE_GROUP, IPV6_V6ONLY, IPV6_RECVPKTINFO, IPV6_PKTINFO (sticky), IPV6_RECVHOPLIMIT,
 * IPV6_RECVTCLASS, IPV6_TCLASS, IPV6_DONTFRAG, IPV6_USE_MIN_MTU, IPV6_RECVPATHMTU,
 * IPV6_PATHMTU (get, connected sockets), IPV6_CHECKSUM; IPPROTO_ICMPV6 ICMP6_FILTER.
 * Extension headers (RFC 3542 4, 9; UDP and raw sockets): IPV6_HOPOPTS, IPV6_DSTOPTS,
 * IPV6_RTHDRDSTOPTS, IPV6_RTHDR (type 2 only: type 0 is refused, RFC 5095) and IPV6_NEXTHOP
 * (a neighbor, else EHOSTUNREACH), sticky and as ancillary data (which wins); the stack
 * fills the Next Header fields and keeps RFC 8200 order. IPV6_RECVHOPOPTS,
 * IPV6_RECVDSTOPTS, IPV6_RECVRTHDR deliver them as IPV6_HOPOPTS / DSTOPTS / RTHDR cmsgs.
 * Ancillary data sent: IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS, IPV6_DONTFRAG,
 * IPV6_USE_MIN_MTU, the extension headers, IPV6_NEXTHOP; received: IPV6_PKTINFO,
 * IPV6_HOPLIMIT, IPV6_TCLASS, IPV6_PATHMTU, the extension headers. Helpers to build and
 * read them: umk_inet6_opt_* / umk_inet6_rth_*, at the end.
 * RFC 3678 source filters: below.
 *
 * struct in6_pktinfo and struct ip6_mtuinfo are GNU extensions in glibc: define _GNU_SOURCE
 * before including any header.
 */
#ifndef UMIKAME_SOCKET_H
#define UMIKAME_SOCKET_H

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <umikame/umikame.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 3542 11.1; Linux does not define it (it keeps 63 free for it). */
#ifndef IPV6_USE_MIN_MTU
#define IPV6_USE_MIN_MTU 63
#endif

UMK_API int umk_socket(struct umk_stack *s, int domain, int type, int protocol);
UMK_API int umk_bind(struct umk_stack *s, int sd, const struct sockaddr *addr, socklen_t len);
UMK_API int umk_connect(struct umk_stack *s, int sd, const struct sockaddr *addr, socklen_t len);
UMK_API ssize_t umk_send(struct umk_stack *s, int sd, const void *buf, size_t len, int flags);
UMK_API ssize_t umk_sendto(struct umk_stack *s, int sd, const void *buf, size_t len, int flags,
			   const struct sockaddr *to, socklen_t tolen);
UMK_API ssize_t umk_sendmsg(struct umk_stack *s, int sd, const struct msghdr *msg, int flags);
UMK_API ssize_t umk_recv(struct umk_stack *s, int sd, void *buf, size_t len, int flags);
UMK_API ssize_t umk_recvfrom(struct umk_stack *s, int sd, void *buf, size_t len, int flags,
			     struct sockaddr *from, socklen_t *fromlen);
UMK_API ssize_t umk_recvmsg(struct umk_stack *s, int sd, struct msghdr *msg, int flags);
UMK_API int umk_shutdown(struct umk_stack *s, int sd, int how);
/* SOCK_STREAM (TCP): listen() with the backlog capped by the stack's tcp_backlog_max;
 * accept() returns a new descriptor (EAGAIN when none is ready on an embedded stack; a
 * remote one waits unless the socket is SOCK_NONBLOCK). connect() on an embedded stack
 * returns -1/EINPROGRESS and completes in the background (POLLOUT, or POLLERR with
 * SO_ERROR); on a remote stack it waits for the handshake unless SOCK_NONBLOCK. */
UMK_API int umk_listen(struct umk_stack *s, int sd, int backlog);
UMK_API int umk_accept(struct umk_stack *s, int sd, struct sockaddr *addr, socklen_t *len);
UMK_API int umk_close(struct umk_stack *s, int sd);
UMK_API int umk_getsockname(struct umk_stack *s, int sd, struct sockaddr *addr, socklen_t *len);
UMK_API int umk_getpeername(struct umk_stack *s, int sd, struct sockaddr *addr, socklen_t *len);
UMK_API int umk_setsockopt(struct umk_stack *s, int sd, int level, int name, const void *val,
			   socklen_t len);
UMK_API int umk_getsockopt(struct umk_stack *s, int sd, int level, int name, void *val,
			   socklen_t *len);

/* Output cork, for an embedded stack serving other processes' socket calls (umikamed's
 * remote socket API) or reading frames in batches: between umk_cork and umk_uncork, the TCP
 * segments a send or a window-opening read would make, and the ACK of data received, go out
 * only at umk_uncork. So the answer to a call can be on its way first and the caller's next
 * call overlaps their transmission; and the segments of one connection in a batch of
 * received frames are answered by one ACK, as a coalescing receiver's. One connection's
 * output waits at a time (another's releases it). What an arriving ACK lets a sender send,
 * and what timers send, is never held. No effect on a remote stack. */
UMK_API void umk_cork(struct umk_stack *s);
UMK_API void umk_uncork(struct umk_stack *s);

/* TCP urgent data (RFC 9293 3.8.5), as BSD: send(MSG_OOB) makes the data urgent; the last
 * urgent octet is read with recv(MSG_OOB) unless SO_OOBINLINE keeps it in the stream; reads
 * stop at the mark; POLLPRI says urgent data is pending; umk_sockatmark() (POSIX
 * sockatmark) returns 1 when the next read starts at the mark, 0 if not, -1 with errno.
 * UMK_SO_ATMARK is the SOL_SOCKET getsockopt (int) it reads. */
#define UMK_SO_ATMARK 0x5501
UMK_API int umk_sockatmark(struct umk_stack *s, int sd);

/* poll(2) over socket descriptors: events/revents are POLLIN, POLLOUT, POLLERR, POLLHUP,
 * POLLNVAL. Returns how many entries have revents set. */
struct umk_pollfd {
	int sd;
	short events;
	short revents;
};
UMK_API int umk_poll(struct umk_stack *s, struct umk_pollfd *fds, unsigned nfds, int timeout_ms);

/* Readiness callback: called with the socket's current revents whenever they may have
 * changed (data queued, error, shutdown). On an embedded stack it runs inside the stack call
 * that caused it and may call any socket function; on a remote stack, inside the umk_* call
 * that read the daemon's event. fn NULL removes it. */
typedef void (*umk_sock_cb)(void *ctx, int sd, short revents);
UMK_API int umk_sock_set_callback(struct umk_stack *s, int sd, umk_sock_cb fn, void *ctx);

/* ---- RFC 3678 multicast source filters ------------------------------------------------- */

/* Level IPPROTO_IPV6 on SOCK_DGRAM and SOCK_RAW sockets, with the system's structs
 * (struct group_req, group_source_req, group_filter; sockaddr_storage holding a
 * sockaddr_in6): MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP (any-source, like IPV6_JOIN_GROUP),
 * MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_SOURCE_GROUP (INCLUDE mode), MCAST_BLOCK_SOURCE,
 * MCAST_UNBLOCK_SOURCE (EXCLUDE mode) and MCAST_MSFILTER (set; get with the group in the
 * buffer). A datagram to a joined group is delivered only if its source passes the filter.
 * Errors: EINVAL mixing INCLUDE and EXCLUDE calls on one membership or a bad address,
 * EADDRNOTAVAIL leaving/unblocking a source not listed, joining/blocking one already
 * listed, or a group not joined, EADDRINUSE joining a group twice, ENOBUFS past the
 * max_socket_group_sources limit (default 64) or 20 memberships per socket.
 *
 * RFC 3678 5.2.1 setsourcefilter()/getsourcefilter(): the full state of one membership.
 * fmode MCAST_INCLUDE or MCAST_EXCLUDE; INCLUDE with no sources leaves the group. On get,
 * *numsrc says how many entries slist has room for and returns how many the filter has.
 * Both work on a remote stack too, where a set carries at most 126 sources (the remote
 * socket API's 16 KiB option limit). */
UMK_API int umk_setsourcefilter(struct umk_stack *s, int sd, uint32_t interface,
				const struct sockaddr *group, socklen_t grouplen, uint32_t fmode,
				uint32_t numsrc, const struct sockaddr_storage *slist);
UMK_API int umk_getsourcefilter(struct umk_stack *s, int sd, uint32_t interface,
				const struct sockaddr *group, socklen_t grouplen, uint32_t *fmode,
				uint32_t *numsrc, struct sockaddr_storage *slist);

/* ---- remote stacks: umikamed's control socket ------------------------------------------ */

/* Connects to umikamed at path (NULL: $UMIKAME_SOCKET, else /run/umikame/umikamed.sock).
 * NULL with errno on failure. Only the socket calls above, umk_stack_fd/set_timeout and
 * umk_stack_close (or umk_stack_free) may be used on the handle. Closing it closes every
 * socket it opened (the daemon does so when the connection goes away). */
UMK_API struct umk_stack *umk_stack_open(const char *path);
UMK_API void umk_stack_close(struct umk_stack *s);
/* The control socket's fd (readable when the daemon sent something), -1 on an embedded stack. */
UMK_API int umk_stack_fd(struct umk_stack *s);
/* Milliseconds a request to the daemon may take before failing with ETIMEDOUT (> 0). */
UMK_API int umk_stack_set_timeout(struct umk_stack *s, int timeout_ms);
UMK_API bool umk_stack_is_remote(const struct umk_stack *s);

/* ---- RFC 3542 10 and 7: building and reading extension headers ---------------------------
 * The RFC's inet6_opt_* and inet6_rth_* with a umk_ prefix: glibc declares the plain names
 * in <netinet/in.h> already, and ours must not clash with libc's at link time. Semantics are
 * the RFC's (-1 / 0 / NULL on error). The routing helpers know type 0 (RFC 3542 7, for
 * reading: RFC 5095 forbids sending it, IPV6_RTHDR refuses it) and type 2 (RFC 6275 6.4,
 * exactly one address). */
UMK_API int umk_inet6_opt_init(void *extbuf, socklen_t extlen);
UMK_API int umk_inet6_opt_append(void *extbuf, socklen_t extlen, int offset, uint8_t type,
				 socklen_t len, unsigned align, void **databufp);
UMK_API int umk_inet6_opt_finish(void *extbuf, socklen_t extlen, int offset);
UMK_API int umk_inet6_opt_set_val(void *databuf, int offset, const void *val, socklen_t vallen);
UMK_API int umk_inet6_opt_next(const void *extbuf, socklen_t extlen, int offset,
			       uint8_t *typep, socklen_t *lenp, void **databufp);
UMK_API int umk_inet6_opt_find(const void *extbuf, socklen_t extlen, int offset, uint8_t type,
			       socklen_t *lenp, void **databufp);
UMK_API int umk_inet6_opt_get_val(const void *databuf, int offset, void *val, socklen_t vallen);
UMK_API socklen_t umk_inet6_rth_space(int type, int segments);
UMK_API void *umk_inet6_rth_init(void *bp, socklen_t bp_len, int type, int segments);
UMK_API int umk_inet6_rth_add(void *bp, const struct in6_addr *addr);
UMK_API int umk_inet6_rth_reverse(const void *in, void *out);
UMK_API int umk_inet6_rth_segments(const void *bp);
UMK_API struct in6_addr *umk_inet6_rth_getaddr(const void *bp, int index);

#ifdef __cplusplus
}
#endif
#endif
