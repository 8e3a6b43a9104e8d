/*
 * sockets.c - umikamed's side of the remote socket API (DESIGN.md: the daemon owns the real
 * sockets for its clients). Each request of the CTL_MSG_SOCK_* block runs on the stack
 * through socket/sock_ctl.c for the asking connection; readiness changes of its sockets go
 * back as unsolicited SOCK_EVENT messages; when the connection goes, its sockets close.
 */
#include <errno.h>
#include <stdlib.h>
#include <umikame/socket.h>

#include "socket/sock_ctl.h"
#include "umikamed.h"

/* What a socket's readiness callback needs to find its connection. */
struct sock_peer {
	struct daemon *d;
	struct client *c;
	uint64_t events_dropped;
	uint8_t reply[CTL_MSG_MAX];  /* every reply is built here: no allocation per request */
};

static void sock_event(void *ctx, int sd, short revents)
{
	struct sock_peer *p = ctx;
	uint8_t buf[64];
	struct ctl_builder b;
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_SOCK_EVENT, 0, 0);
	ctl_put_u32(&b, A_SD, (uint32_t)sd);
	ctl_put_u32(&b, A_EVENTS, (uint32_t)(uint16_t)revents);
	int len = ctl_build_end(&b);
	/* a client that stops reading misses events; its next call's reply says the state */
	if (len < 0 || server_client_push(p->d, p->c, buf, (size_t)len)) {
		p->events_dropped++;
		p->d->events_dropped++;
	}
}

void sockets_request(struct daemon *d, const struct ctl_msg *m, struct reply_sink *sink)
{
	if (!sink->client) {
		reply_error(sink, m->hdr.seq, EINVAL, "sockets need a connection");
		return;
	}
	void **slot = server_client_sockets(sink->client);
	struct sock_peer *p = *slot;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			reply_error(sink, m->hdr.seq, ENOMEM, NULL);
			return;
		}
		p->d = d;
		p->c = sink->client;
		*slot = p;
	}
	/* the answer first, then the segments the call made (umk_cork): the client's next
	 * request is built while they are sent */
	umk_cork(d->stack);
	int len = sock_ctl_handle(d->stack, p, sock_event, p, m, p->reply, sizeof(p->reply));
	if (len < 0)
		reply_error(sink, m->hdr.seq, EMSGSIZE, "reply too large");
	else if (len > 0 && sink->emit(sink->ctx, p->reply, (size_t)len))
		dlog(d, UMK_LOG_INFO, "socket reply to a full client dropped");
	umk_uncork(d->stack);
}

void sockets_client_gone(struct daemon *d, struct client *c)
{
	void **slot = server_client_sockets(c);
	struct sock_peer *p = *slot;
	if (!p)
		return;
	sock_ctl_release(d->stack, p);
	free(p);
	*slot = NULL;
}
