/*
 * client.c - the client end of the control socket (see client.h). Every reply is parsed with
 * the same strict codec the daemon uses; a daemon that sends garbage is an error, not a crash.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "ctl/connect.h"

int client_connect(struct ctl_client *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->fd = ctl_connect(path);
	return c->fd < 0 ? -errno : 0;
}

void client_close(struct ctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int client_send(struct ctl_client *c, const struct ctl_req *r, uint32_t *seq)
{
	uint8_t msg[CTL_MSG_MAX];
	uint32_t s = ++c->seq;
	int len = ctl_req_encode(r, s, msg, sizeof(msg));
	if (len < 0)
		return -EMSGSIZE;
	size_t off = 0;
	while (off < (size_t)len) {
		ssize_t n = send(c->fd, msg + off, (size_t)len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	if (seq)
		*seq = s;
	return 0;
}

int client_recv(struct ctl_client *c, struct ctl_msg *m, int timeout_ms)
{
	memmove(c->buf, c->buf + c->consumed, c->len - c->consumed);
	c->len -= c->consumed;
	c->consumed = 0;
	for (;;) {
		struct ctl_hdr h;
		int r = ctl_hdr_parse(c->buf, c->len, &h);
		if (r && r != CTL_E_SHORT)
			return -EPROTO;
		if (!r && c->len >= h.length) {
			if (ctl_msg_parse(c->buf, h.length, m))
				return -EPROTO;
			c->consumed = h.length;
			return 1;
		}
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&pfd, 1, timeout_ms);
		if (pr < 0)
			return errno == EINTR ? 0 : -errno;
		if (pr == 0)
			return 0;
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR)
			return 0;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		c->len += (size_t)n;
	}
}

int client_request(struct ctl_client *c, const struct ctl_req *r,
		   int (*item)(void *ctx, const struct ctl_msg *m), void *ctx, char *errmsg,
		   size_t errlen)
{
	uint32_t seq;
	errmsg[0] = 0;
	int e = client_send(c, r, &seq);
	if (e)
		return e;
	for (;;) {
		struct ctl_msg m;
		int got = client_recv(c, &m, -1);
		if (got < 0)
			return got;
		if (got == 0)
			continue;
		if (m.hdr.seq != seq)
			continue;
		if (m.hdr.type == CTL_MSG_DONE)
			return 0;
		if (m.hdr.type == CTL_MSG_ERROR) {
			int32_t err = EPROTO;
			ctl_get_s32(&m, A_ERRNO, &err);
			const char *s = ctl_get_str(&m, A_ERRMSG);
			if (s)
				snprintf(errmsg, errlen, "%s", s);
			return err > 0 ? -err : err;
		}
		if ((m.hdr.flags & CTL_F_MULTI) && item && (e = item(ctx, &m)))
			return e;
	}
}
