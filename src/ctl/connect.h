/*
 * connect.h - where the control socket is and how a client reaches it: the one place that
 * says so for umk, the remote socket API (remote.c) and the PF_KEY client (pfkey_client.c).
 */
#ifndef UMK_CTL_CONNECT_H
#define UMK_CTL_CONNECT_H

#define CTL_DEFAULT_SOCKET "/run/umikame/umikamed.sock"

/* path when given and not empty, else $UMIKAME_SOCKET when set, else the default. */
const char *ctl_socket_path(const char *path);
/* A connected stream socket to the control socket at ctl_socket_path(path): its fd, or -1
 * with errno set (ENAMETOOLONG for a path that does not fit in sockaddr_un). */
int ctl_connect(const char *path);

#endif
