/*
 * server.c - umikamed's control socket (a Unix stream socket, DESIGN.md "The daemon").
 *
 * The socket is bound under a temporary name and renamed into place, so its path appears only
 * once the stack is running and a client never meets a half-made daemon. Peers are checked
 * with SO_PEERCRED (root and our own uid). Each client has a bounded input buffer (one
 * message at most) and a bounded output buffer; a client that sends a header we cannot frame
 * gets an error and is disconnected, a message with bad attributes gets an error and the
 * connection stays. Nothing here blocks: a client that stops reading loses echo events
 * (counted) and stops having its requests read until it drains.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "umikamed.h"

struct client {
	struct client *next;
	int fd;
	uid_t uid;
	pid_t pid;
	bool closing;           /* close once the output is flushed */
	bool reading;           /* EPOLLIN armed */
	uint32_t armed;         /* the events epoll was last given for fd */
	size_t in_len;
	uint8_t in[CTL_MSG_MAX];
	uint8_t *out;
	size_t out_len, out_cap;
	void *sockets;          /* daemon/sockets.c: this connection's remote sockets */
};

/* epoll data: the daemon's own fds are tagged by small integers in umikamed.c; a client
 * is its pointer. */

static void client_arm(struct daemon *d, struct client *c)
{
	bool want_in = !c->closing && c->out_len < UMKD_OUT_HIGH;
	uint32_t events = (want_in ? EPOLLIN : 0) | (c->out_len ? EPOLLOUT : 0);
	c->reading = want_in;
	/* a busy remote socket re-arms after every message: tell epoll only of a change */
	if (events == c->armed)
		return;
	struct epoll_event ev = { .events = events, .data.ptr = c };
	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->armed = events;
}

static void client_free(struct daemon *d, struct client *c)
{
	sockets_client_gone(d, c);   /* closes the sockets it opened */
	pfkeyd_client_gone(d, c);    /* its PF_KEY registrations */
	for (struct client **pp = &d->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	d->nclients--;
	dlog(d, UMK_LOG_DEBUG, "client pid %d gone", (int)c->pid);
	free(c->out);
	free(c);
}

static int out_append(struct client *c, const uint8_t *msg, size_t len)
{
	if (c->out_len + len > UMKD_OUT_MAX)
		return -ENOBUFS;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 65536;
		while (cap < c->out_len + len)
			cap *= 2;
		if (cap > UMKD_OUT_MAX)
			cap = UMKD_OUT_MAX;
		uint8_t *p = realloc(c->out, cap);
		if (!p)
			return -ENOBUFS;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, msg, len);
	c->out_len += len;
	return 0;
}

/* A reply at least this long goes to the socket at once when nothing is queued before it
 * (a remote recv's data: one copy less, and no growing of the queue); shorter ones are
 * queued, so that a dump's many small messages leave in few writes. */
#define EMIT_DIRECT_MIN 4096

static bool client_flush(struct client *c);

static int client_emit(void *ctx, const uint8_t *msg, size_t len)
{
	struct client *c = ctx;
	if (len >= EMIT_DIRECT_MIN && c->out_len)
		client_flush(c);     /* events queued before it; an error shows at the next flush */
	if (len >= EMIT_DIRECT_MIN && !c->out_len) {
		ssize_t n;
		do
			n = send(c->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			msg += n;
			len -= (size_t)n;
		}
		if (!len)
			return 0;
		if (n > 0 && out_append(c, msg, len)) {
			c->closing = true;   /* half a message went: the stream cannot go on */
			return -ENOBUFS;
		}
		if (n > 0)
			return 0;
	}
	return out_append(c, msg, len);
}

/* Writes what the socket takes now; false when the client is gone. */
static bool client_flush(struct client *c)
{
	size_t off = 0;
	while (off < c->out_len) {
		ssize_t n = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return false;
		}
		off += (size_t)n;
	}
	memmove(c->out, c->out + off, c->out_len - off);
	c->out_len -= off;
	/* give memory back after a big dump */
	if (!c->out_len && c->out_cap > 65536) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return true;
}

int server_open(struct daemon *d, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path)];
	if (strlen(d->sockpath) + 16 >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", d->sockpath);
		return -1;
	}
	/* a path another umikamed answers on is not stale: refuse to take it over */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, d->sockpath);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		snprintf(err, errlen, "%s: another daemon is listening there", d->sockpath);
		return -1;
	}
	if (probe >= 0)
		close(probe);

	snprintf(tmp, sizeof(tmp), "%s.%d", d->sockpath, (int)getpid());
	unlink(tmp);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	strcpy(sa.sun_path, tmp);
	mode_t old = umask(0117); /* srw-rw----: SO_PEERCRED decides, the mode is a second lock */
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	/* rename() replaces a stale socket atomically */
	if (rename(tmp, d->sockpath) < 0) {
		snprintf(err, errlen, "%s: %s", d->sockpath, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	d->listen_fd = fd;
	return 0;
}

void server_close(struct daemon *d)
{
	while (d->clients)
		client_free(d, d->clients);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		unlink(d->sockpath);
		d->listen_fd = -1;
	}
}

void server_accept(struct daemon *d)
{
	for (;;) {
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
		    (cred.uid != 0 && cred.uid != d->uid)) {
			dlog(d, UMK_LOG_WARN, "control client uid %d refused",
			     cl == sizeof(cred) ? (int)cred.uid : -1);
			close(fd);
			continue;
		}
		if (d->nclients >= UMKD_MAX_CLIENTS) {
			dlog(d, UMK_LOG_WARN, "control client pid %d refused: %d clients already",
			     (int)cred.pid, d->nclients);
			close(fd);
			continue;
		}
		struct client *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->uid = cred.uid;
		c->pid = cred.pid;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->reading = true;
		c->armed = EPOLLIN;
		c->next = d->clients;
		d->clients = c;
		d->nclients++;
		dlog(d, UMK_LOG_DEBUG, "client pid %d uid %d connected", (int)c->pid, (int)c->uid);
	}
}

/* Handles every whole message in the input buffer. */
static void client_process(struct daemon *d, struct client *c)
{
	size_t off = 0;
	while (!c->closing && c->out_len < UMKD_OUT_HIGH) {
		struct ctl_hdr h;
		const uint8_t *p = c->in + off;
		size_t avail = c->in_len - off;
		int r = ctl_hdr_parse(p, avail, &h);
		if (r == CTL_E_SHORT)
			break;
		struct reply_sink sink = { .emit = client_emit, .ctx = c, .client = c };
		if (r) {
			/* the stream cannot be re-framed after a bad header: answer and hang up */
			d->bad_messages++;
			dlog(d, UMK_LOG_INFO, "client pid %d: %s; disconnecting", (int)c->pid,
			     ctl_err_str(r));
			reply_error(&sink, 0, EPROTO, ctl_err_str(r));
			c->closing = true;
			off = c->in_len;
			break;
		}
		if (avail < h.length)
			break;
		struct ctl_msg m;
		r = ctl_msg_parse(p, h.length, &m);
		if (r) {
			d->bad_messages++;
			dlog(d, UMK_LOG_DEBUG, "client pid %d: %s", (int)c->pid, ctl_err_str(r));
			reply_error(&sink, h.seq, EINVAL, ctl_err_str(r));
		} else {
			handle_request(d, &m, &sink);
		}
		off += h.length;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

void server_client_event(struct daemon *d, struct client *c, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		bool eof = false;
		while (c->reading && c->in_len < sizeof(c->in)) {
			ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
					 MSG_DONTWAIT);
			if (n > 0) {
				c->in_len += (size_t)n;
				client_process(d, c);
				if (c->out_len >= UMKD_OUT_HIGH || c->closing)
					break;
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
				eof = true;
			break;
		}
		if (eof && !c->out_len) {
			client_free(d, c);
			return;
		}
		if (eof)
			c->closing = true;
	}
	/* a buffer drained below the mark lets the requests already read go on */
	if (c->in_len && !c->closing && c->out_len < UMKD_OUT_HIGH)
		client_process(d, c);
	if (!client_flush(c) || (c->closing && !c->out_len)) {
		client_free(d, c);
		return;
	}
	client_arm(d, c);
}

void **server_client_sockets(struct client *c) { return &c->sockets; }

int server_client_push(struct daemon *d, struct client *c, const uint8_t *msg, size_t len)
{
	if (c->closing || c->out_len >= UMKD_OUT_HIGH || out_append(c, msg, len))
		return -ENOBUFS;
	client_arm(d, c);
	return 0;
}
