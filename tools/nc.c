/*
 * nc.c - `umk nc [-l] [-u] [-s SRC] [-q SECS] HOST PORT`: netcat through umikamed, written
 * against the remote socket API (<umikame/socket.h>, umk_stack_open) exactly as an embedded
 * program would be. TCP by default: -l listens on HOST (or ::) PORT and takes one connection;
 * stdin goes out, what arrives goes to stdout; at the end of stdin our side is shut down
 * (FIN) and nc exits once the peer has closed too. With -u, UDP: each read of stdin is one
 * datagram;
 * every datagram received goes to stdout. With -l it binds HOST (or ::) PORT and talks to
 * whoever sends first, as netcat does. -q quits SECS seconds after stdin ends (default: run
 * until interrupted). A scoped HOST takes a numeric zone (fe80::1%2).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <umikame/socket.h>

#include "umk.h"

static int parse_sa(const char *host, const char *port, struct sockaddr_in6 *sa)
{
	char buf[INET6_ADDRSTRLEN + 16];
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	if (strlen(host) >= sizeof(buf))
		return -1;
	strcpy(buf, host);
	char *pct = strchr(buf, '%');
	if (pct) {
		*pct = 0;
		char *end;
		long z = strtol(pct + 1, &end, 10);
		if (*end || z <= 0)
			return -1;
		sa->sin6_scope_id = (uint32_t)z;
	}
	if (inet_pton(AF_INET6, buf, &sa->sin6_addr) != 1)
		return -1;
	if (port) {
		char *end;
		long p = strtol(port, &end, 10);
		if (*end || p < 0 || p > 65535)
			return -1;
		sa->sin6_port = htons((uint16_t)p);
	}
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Writes all of buf, waiting for room in the send buffer (a blocking socket). */
static int send_all(struct umk_stack *s, int sd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t w = umk_send(s, sd, buf, n, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int nc_tcp(struct umk_stack *s, bool listen, bool bind_first,
		  const struct sockaddr_in6 *local, const struct sockaddr_in6 *peer)
{
	int sd = umk_socket(s, AF_INET6, SOCK_STREAM, 0), one = 1;
	if (sd < 0) {
		umk_err("nc: socket: %s", strerror(errno));
		return 1;
	}
	if (listen)
		umk_setsockopt(s, sd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind_first && umk_bind(s, sd, (const struct sockaddr *)local, sizeof(*local)) < 0) {
		umk_err("nc: bind: %s", strerror(errno));
		return 1;
	}
	if (listen) {
		int l = sd;
		if (umk_listen(s, l, 1) < 0) {
			umk_err("nc: listen: %s", strerror(errno));
			return 1;
		}
		sd = umk_accept(s, l, NULL, NULL);
		if (sd < 0) {
			umk_err("nc: accept: %s", strerror(errno));
			return 1;
		}
		umk_close(s, l);
	} else if (umk_connect(s, sd, (const struct sockaddr *)peer, sizeof(*peer)) < 0) {
		umk_err("nc: connect: %s", strerror(errno));
		return 1;
	}
	static uint8_t buf[60000];
	bool in_open = true, peer_open = true;
	while (peer_open) {
		struct pollfd p[2] = { { .fd = umk_stack_fd(s), .events = POLLIN },
				       { .fd = 0, .events = POLLIN } };
		struct umk_pollfd up = { .sd = sd, .events = POLLIN };
		int ready = umk_poll(s, &up, 1, 0);
		if (ready < 0) {
			umk_err("nc: umikamed: %s", strerror(errno));
			return 1;
		}
		if (!ready && poll(p, in_open ? 2 : 1, 200) < 0 && errno != EINTR)
			return 1;
		for (;;) {
			ssize_t got = umk_recv(s, sd, buf, sizeof(buf), MSG_DONTWAIT);
			if (got < 0) {
				if (errno == EAGAIN)
					break;
				umk_err("nc: %s", strerror(errno));
				return 1;
			}
			if (got == 0) {
				peer_open = false;
				break;
			}
			if (fwrite(buf, 1, (size_t)got, stdout) != (size_t)got)
				return 1;
		}
		fflush(stdout);
		if (in_open && (p[1].revents & (POLLIN | POLLHUP))) {
			ssize_t r = read(0, buf, sizeof(buf));
			if (r <= 0) {
				in_open = false;
				umk_shutdown(s, sd, SHUT_WR);
			} else if (send_all(s, sd, buf, (size_t)r) < 0) {
				umk_err("nc: send: %s", strerror(errno));
				return 1;
			}
		}
	}
	umk_close(s, sd);
	return 0;
}

int nc_run(const char *sockpath, int argc, char **argv)
{
	bool listen = false, udp = false;
	const char *src = NULL;
	long quit = -1;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-l"))
			listen = true;
		else if (!strcmp(argv[i], "-u"))
			udp = true;
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			src = argv[++i];
		else if (!strcmp(argv[i], "-q") && i + 1 < argc)
			quit = atol(argv[++i]);
		else {
			umk_err("nc: unknown option \"%s\"", argv[i]);
			return 2;
		}
	}
	int left = argc - i;
	if (left < 1 || left > 2 || (!listen && left != 2)) {
		umk_err("usage: umk nc [-l] [-u] [-s SRC] [-q SECS] HOST PORT");
		return 2;
	}
	struct sockaddr_in6 peer, local;
	if (parse_sa(left == 2 ? argv[i] : "::", argv[argc - 1], listen ? &local : &peer) ||
	    (src && parse_sa(src, NULL, &local))) {
		umk_err("nc: invalid address or port");
		return 2;
	}
	struct umk_stack *s = umk_stack_open(sockpath);
	if (!s) {
		umk_err("cannot connect to %s: %s", sockpath, strerror(errno));
		return 1;
	}
	int status = 1;
	if (!udp) {
		status = nc_tcp(s, listen, listen || src, &local, &peer);
		umk_stack_close(s);
		return status;
	}
	int sd = umk_socket(s, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (sd < 0) {
		umk_err("nc: socket: %s", strerror(errno));
		goto out;
	}
	if ((listen || src) && umk_bind(s, sd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		umk_err("nc: bind: %s", strerror(errno));
		goto out;
	}
	bool connected = false;
	if (!listen) {
		if (umk_connect(s, sd, (struct sockaddr *)&peer, sizeof(peer)) < 0) {
			umk_err("nc: connect: %s", strerror(errno));
			goto out;
		}
		connected = true;
	}
	static uint8_t buf[65536];
	bool in_open = true;
	long eof_at = 0;
	for (;;) {
		struct pollfd p[2] = { { .fd = umk_stack_fd(s), .events = POLLIN },
				       { .fd = 0, .events = POLLIN } };
		int n = poll(p, in_open && connected ? 2 : 1, 200);
		if (n < 0 && errno != EINTR)
			break;
		/* readiness may also have come in with the reply to our last send, so ask
		 * the cache every time, not only when the control socket is readable */
		struct umk_pollfd up = { .sd = sd, .events = POLLIN };
		int ready = umk_poll(s, &up, 1, 0);
		if (ready < 0) {
			umk_err("nc: umikamed: %s", strerror(errno));
			goto out;
		}
		if (ready > 0) {
			for (;;) {
				struct sockaddr_in6 from;
				socklen_t fl = sizeof(from);
				ssize_t got = umk_recvfrom(s, sd, buf, sizeof(buf), 0,
							   (struct sockaddr *)&from, &fl);
				if (got < 0) {
					if (errno == EAGAIN)
						break;
					/* ECONNREFUSED and the like: say it, keep going, as nc -u */
					umk_err("nc: %s", strerror(errno));
					if (errno == ECONNRESET || errno == EPROTO)
						goto out;
					break;
				}
				if (!connected) {
					if (umk_connect(s, sd, (struct sockaddr *)&from, fl) < 0) {
						umk_err("nc: connect: %s", strerror(errno));
						goto out;
					}
					connected = true;
				}
				if (fwrite(buf, 1, (size_t)got, stdout) != (size_t)got)
					goto out;
				fflush(stdout);
			}
		}
		if (in_open && connected && (p[1].revents & (POLLIN | POLLHUP))) {
			ssize_t r = read(0, buf, sizeof(buf) - 1024);
			if (r <= 0) {
				in_open = false;
				eof_at = now_ms();
			} else if (umk_send(s, sd, buf, (size_t)r, 0) < 0) {
				umk_err("nc: send: %s", strerror(errno));
			}
		}
		if (!in_open && quit >= 0 && now_ms() - eof_at >= quit * 1000) {
			status = 0;
			break;
		}
	}
out:
	umk_stack_close(s);
	return status;
}
