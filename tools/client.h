/*
 * client.h - umk's side of the control socket: connect, send a request, read the replies
 * (message format in src/ctl/msg.h).
 */
#ifndef UMK_TOOLS_CLIENT_H
#define UMK_TOOLS_CLIENT_H

#include "ctl/msg.h"
#include "ctl/req.h"

struct ctl_client {
	int fd;
	uint32_t seq;
	size_t len, consumed;         /* bytes in buf; bytes of the message last returned */
	uint8_t buf[2 * CTL_MSG_MAX];
};

/* 0 or a negative errno. */
int client_connect(struct ctl_client *c, const char *path);
void client_close(struct ctl_client *c);
/* Sends r with a new sequence number (returned in *seq). */
int client_send(struct ctl_client *c, const struct ctl_req *r, uint32_t *seq);
/* Reads the next message into m (valid until the next call). timeout_ms < 0 waits forever.
 * 1: a message; 0: timed out; negative errno: the connection failed or sent garbage. */
int client_recv(struct ctl_client *c, struct ctl_msg *m, int timeout_ms);

/*
 * Sends r and reads its replies: item(ctx, m) for each list item; messages with another
 * seq are passed over. Returns 0, or the daemon's negative errno with its message in errmsg
 * (or the local failure).
 */
int client_request(struct ctl_client *c, const struct ctl_req *r,
		   int (*item)(void *ctx, const struct ctl_msg *m), void *ctx, char *errmsg,
		   size_t errlen);

#endif
