/*
 * connect.h - where the control socket is and how a client reaches it: the one place that
 * says so for umk, the remote socket API (remote.c) and the PF_KEY client (pfkey_client.c).
 */
#ifndef UMK_CTL_CONNECT_H
#define UMK_CTL_CONNECT_H

#include <stddef.h>
#include <stdint.h>

#include "ctl/msg.h"

#define CTL_DEFAULT_SOCKET "/run/umikame/umikamed.sock"

/* path when given and not empty, else $UMIKAME_SOCKET when set, else the default. */
const char *ctl_socket_path(const char *path);
/* A connected stream socket to the control socket at ctl_socket_path(path): its fd, or -1
 * with errno set (ENAMETOOLONG for a path that does not fit in sockaddr_un). */
int ctl_connect(const char *path);

/* What a client has received and not yet parsed, and the message last handed out. */
struct ctl_inbuf {
	size_t len;
	uint8_t data[2 * CTL_MSG_MAX];
	uint8_t msg[CTL_MSG_MAX];
};

/* Milliseconds on CLOCK_MONOTONIC, for clients' deadlines. */
uint64_t ctl_mono_ms(void);
/* Reads one control message from fd into b->msg, waiting until deadline (UINT64_MAX: no
 * limit; a past deadline: only what has arrived). 1 a message (m points into b->msg),
 * 0 none by the deadline, negative errno when the connection failed or sent garbage. */
int ctl_read_msg(int fd, struct ctl_inbuf *b, uint64_t deadline, struct ctl_msg *m);

#endif
