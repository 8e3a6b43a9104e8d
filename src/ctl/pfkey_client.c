/*
 * pfkey_client.c - the client side of PF_KEY over the control socket (<umikame/pfkey.h>):
 * each PF_KEY message travels in one CTL_MSG_PFKEY (ctl/msg.h); a request's answers carry
 * its seq and end with an ERROR, unsolicited messages come with seq 0. Server side:
 * daemon/pfkey.c. Unsolicited messages that arrive while umk_pfkey_request waits are queued
 * (bounded, like a socket buffer: the overflow is dropped and counted).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <umikame/pfkey.h>
#include <unistd.h>

#include "ctl/connect.h"
#include "ctl/msg.h"

#define PFKEY_QUEUE_MAX      256

struct queued {
	struct queued *next;
	size_t len;
	uint8_t msg[];
};

struct umk_pfkey {
	int fd;
	uint32_t seq;
	uint32_t answered_seq;        /* the last request seq a PF_KEY answer came for */
	struct queued *head, **tail;
	unsigned nqueued;
	uint64_t dropped;
	struct ctl_inbuf in;
};

static uint64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? UINT64_MAX : ctl_mono_ms() + (uint64_t)timeout_ms;
}

struct umk_pfkey *umk_pfkey_open(const char *path)
{
	struct umk_pfkey *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->tail = &k->head;
	k->fd = ctl_connect(path);
	if (k->fd < 0) {
		int e = errno;
		free(k);
		errno = e;
		return NULL;
	}
	return k;
}

void umk_pfkey_close(struct umk_pfkey *k)
{
	if (!k)
		return;
	close(k->fd);  /* the daemon drops our registrations with the connection */
	while (k->head) {
		struct queued *q = k->head;
		k->head = q->next;
		explicit_bzero(q->msg, q->len);
		free(q);
	}
	explicit_bzero(k, sizeof(*k));
	free(k);
}

int umk_pfkey_fd(const struct umk_pfkey *k) { return k->fd; }

static int send_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_msg(struct umk_pfkey *k, const void *msg, size_t len, uint32_t *seq)
{
	if (!msg || len < 16 || len > UMK_PFKEY_MSG_MAX) {
		errno = EINVAL;
		return -1;
	}
	uint8_t buf[CTL_HDR_LEN + CTL_ATTR_HDR + UMK_PFKEY_MSG_MAX];
	struct ctl_builder b;
	if (++k->seq == 0)
		k->seq = 1;     /* 0 marks unsolicited messages */
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_PFKEY, CTL_F_REQUEST, k->seq);
	ctl_put(&b, A_PFKEY, msg, len);
	int n = ctl_build_end(&b);
	int r = n < 0 ? (errno = EMSGSIZE, -1) : send_all(k->fd, buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	if (seq)
		*seq = k->seq;
	return r;
}

int umk_pfkey_send(struct umk_pfkey *k, const void *msg, size_t len)
{
	return send_msg(k, msg, len, NULL);
}

static void enqueue(struct umk_pfkey *k, const uint8_t *msg, size_t len)
{
	struct queued *q = k->nqueued < PFKEY_QUEUE_MAX ? malloc(sizeof(*q) + len) : NULL;
	if (!q) {
		k->dropped++;
		return;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->msg, msg, len);
	*k->tail = q;
	k->tail = &q->next;
	k->nqueued++;
}

static ssize_t copy_out(void *buf, size_t cap, const uint8_t *msg, size_t len)
{
	if (len > cap) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(buf, msg, len);
	return (ssize_t)len;
}

ssize_t umk_pfkey_recv(struct umk_pfkey *k, void *buf, size_t cap, int timeout_ms)
{
	if (k->head) {
		struct queued *q = k->head;
		k->head = q->next;
		if (!k->head)
			k->tail = &k->head;
		k->nqueued--;
		ssize_t r = copy_out(buf, cap, q->msg, q->len);
		explicit_bzero(q->msg, q->len);
		free(q);
		return r;
	}
	uint64_t deadline = deadline_of(timeout_ms);
	for (;;) {
		struct ctl_msg m;
		int e = ctl_read_msg(k->fd, &k->in, deadline, &m);
		if (e <= 0) {
			errno = e ? -e : ETIMEDOUT;
			return -1;
		}
		const struct ctl_attr_ref *a = &m.attr[A_PFKEY];
		if (m.hdr.type == CTL_MSG_PFKEY && a->present) {
			if (m.hdr.seq)
				k->answered_seq = m.hdr.seq;
			return copy_out(buf, cap, a->value, a->len);
		}
		int32_t err;
		/* the end of a request: news only when no PF_KEY answer said it already */
		if (m.hdr.type == CTL_MSG_ERROR && ctl_get_s32(&m, A_ERRNO, &err) && err > 0 &&
		    m.hdr.seq != k->answered_seq) {
			errno = err;
			return -1;
		}
	}
}

int umk_pfkey_request(struct umk_pfkey *k, const void *msg, size_t len, int timeout_ms,
		      void (*fn)(void *ctx, const void *msg, size_t len), void *ctx)
{
	uint32_t seq;
	if (send_msg(k, msg, len, &seq))
		return -1;
	uint64_t deadline = deadline_of(timeout_ms);
	bool answered = false;
	for (;;) {
		struct ctl_msg m;
		int e = ctl_read_msg(k->fd, &k->in, deadline, &m);
		if (e <= 0) {
			errno = e ? -e : ETIMEDOUT;
			return -1;
		}
		const struct ctl_attr_ref *a = &m.attr[A_PFKEY];
		if (m.hdr.type == CTL_MSG_PFKEY && a->present) {
			if (m.hdr.seq == seq) {
				answered = true;
				k->answered_seq = seq;
				fn(ctx, a->value, a->len);
			} else {
				enqueue(k, a->value, a->len);
			}
			continue;
		}
		int32_t err = 0;
		if (m.hdr.seq == seq && (m.hdr.type == CTL_MSG_ERROR || m.hdr.type == CTL_MSG_DONE)) {
			ctl_get_s32(&m, A_ERRNO, &err);
			if (err > 0 && !answered) {
				errno = err;
				return -1;
			}
			return 0;
		}
	}
}
