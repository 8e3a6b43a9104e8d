/*
 * socket/sock_ctl.h - the remote socket API's codec helpers (shared by the client,
 * ctl/remote.c) and its server side (socket/sock_ctl.c), which umikamed runs for each
 * connection (daemon/sockets.c). Message layout: ctl/msg.h, CTL_MSG_SOCK_*.
 */
#ifndef UMK_SOCKET_SOCK_CTL_H
#define UMK_SOCKET_SOCK_CTL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <umikame/socket.h>

#include "ctl/msg.h"

struct umk_stack;

/* The longest socket option value carried either way: a full-state source filter
 * (RFC 3678 MCAST_MSFILTER) of 64 sources, the default max_socket_group_sources, needs
 * about 8.3 KiB; an extension header (RFC 8200 4.3) at most 2 KiB. */
#define SOCK_CTL_OPT_MAX 16384

/* Executes request m for owner (opaque: whose sockets these are) and writes the SOCK_REPLY
 * into buf. New sockets get cb(cb_ctx, sd, revents) as their readiness callback. Returns
 * the reply's length, 0 for a send ahead (CTL_F_NOREPLY: no reply), or -1 when it does not
 * fit cap. */
int sock_ctl_handle(struct umk_stack *s, void *owner, umk_sock_cb cb, void *cb_ctx,
		    const struct ctl_msg *m, uint8_t *buf, size_t cap);
/* Closes every socket owner opened (its connection went away). */
void sock_ctl_release(struct umk_stack *s, void *owner);

/* A_SOCKADDR and A_CMSG encodings (msg.h). */
void ctl_sockaddr_put(struct ctl_builder *b, const struct sockaddr_in6 *a);
bool ctl_sockaddr_get(const struct ctl_msg *m, struct sockaddr_in6 *a);
/* msg's control data as A_CMSG bytes; length, or negative errno. */
int ctl_cmsg_encode(const struct msghdr *msg, uint8_t *out, size_t cap);
/* A_CMSG bytes into msg's control buffer (MSG_CTRUNC when it is short). 0 or -EINVAL. */
int ctl_cmsg_decode(const uint8_t *in, size_t len, struct msghdr *msg);

#endif
