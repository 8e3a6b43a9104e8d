/*
 * connect.c - the client side of reaching umikamed's control socket (see connect.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/connect.h"

const char *ctl_socket_path(const char *path)
{
	if (path && path[0])
		return path;
	const char *env = getenv("UMIKAME_SOCKET");
	return env && env[0] ? env : CTL_DEFAULT_SOCKET;
}

int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	path = ctl_socket_path(path);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

uint64_t ctl_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int ctl_read_msg(int fd, struct ctl_inbuf *b, uint64_t deadline, struct ctl_msg *m)
{
	for (;;) {
		struct ctl_hdr h;
		int e = ctl_hdr_parse(b->data, b->len, &h);
		if (e && e != CTL_E_SHORT)
			return -EPROTO;
		if (!e && b->len >= h.length) {
			memcpy(b->msg, b->data, h.length);
			memmove(b->data, b->data + h.length, b->len - h.length);
			b->len -= h.length;
			return ctl_msg_parse(b->msg, h.length, m) ? -EPROTO : 1;
		}
		uint64_t now = ctl_mono_ms();
		int wait = deadline == UINT64_MAX ? -1 : deadline > now ? (int)(deadline - now) : 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		ssize_t got = recv(fd, b->data + b->len, sizeof(b->data) - b->len, 0);
		if (got == 0)
			return -ECONNRESET;
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		b->len += (size_t)got;
	}
}
