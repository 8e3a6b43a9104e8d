/*
 * bench_tcp.c - one TCP benchmark peer for both ends of bench/tcp_run.sh: the same code on
 * the Linux kernel's sockets or, with -s SOCK, on a running umikamed through the remote
 * socket API (umk_stack_open), so both sides of every pair do the same work per byte.
 *
 *   bench_tcp [-s SOCK] [-b BYTES] sink PORT             accept one connection, read to EOF; prints
 *                                             "bytes B seconds T MB/s R" (first byte to EOF)
 *   bench_tcp [-s SOCK] source HOST PORT MB   connect, write MB MiB, shut down, wait for EOF
 *   bench_tcp [-s SOCK] echo PORT             accept one connection, echo until EOF
 *   bench_tcp [-s SOCK] ping HOST PORT N      N 1-byte round trips (TCP_NODELAY); prints
 *                                             "rtt_us median M p99 P min L" over the N
 *
 * -b sets SO_RCVBUF and SO_SNDBUF to BYTES before listen/connect (default: the stack's).
 * Remote calls block (the handle's timeout raised to 60 s); the kernel's are plain blocking.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <umikame/socket.h>

#define CHUNK (64 * 1024)

static struct umk_stack *S;   /* NULL: the kernel's sockets */
static int Bufsize;           /* -b: SO_RCVBUF and SO_SNDBUF before listen/connect */

static int x_setsockopt(int sd, int lvl, int name, int v);

static int x_socket(void)
{
	int sd = S ? umk_socket(S, AF_INET6, SOCK_STREAM, 0) : socket(AF_INET6, SOCK_STREAM, 0);
	if (sd >= 0 && Bufsize && (x_setsockopt(sd, SOL_SOCKET, SO_RCVBUF, Bufsize) < 0 ||
				   x_setsockopt(sd, SOL_SOCKET, SO_SNDBUF, Bufsize) < 0))
		fprintf(stderr, "bench_tcp: SO_RCVBUF/SO_SNDBUF %d: %s\n", Bufsize, strerror(errno));
	return sd;
}

static int x_setsockopt(int sd, int lvl, int name, int v)
{
	return S ? umk_setsockopt(S, sd, lvl, name, &v, sizeof(v))
		 : setsockopt(sd, lvl, name, &v, sizeof(v));
}

static int x_bind(int sd, const struct sockaddr_in6 *a)
{
	return S ? umk_bind(S, sd, (const struct sockaddr *)a, sizeof(*a))
		 : bind(sd, (const struct sockaddr *)a, sizeof(*a));
}

static int x_listen(int sd)
{
	return S ? umk_listen(S, sd, 1) : listen(sd, 1);
}

static int x_accept(int sd)
{
	return S ? umk_accept(S, sd, NULL, NULL) : accept(sd, NULL, NULL);
}

static int x_connect(int sd, const struct sockaddr_in6 *a)
{
	return S ? umk_connect(S, sd, (const struct sockaddr *)a, sizeof(*a))
		 : connect(sd, (const struct sockaddr *)a, sizeof(*a));
}

static ssize_t x_send(int sd, const void *b, size_t n)
{
	return S ? umk_send(S, sd, b, n, 0) : send(sd, b, n, 0);
}

static ssize_t x_recv(int sd, void *b, size_t n)
{
	return S ? umk_recv(S, sd, b, n, 0) : recv(sd, b, n, 0);
}

static int x_shutdown(int sd)
{
	return S ? umk_shutdown(S, sd, SHUT_WR) : shutdown(sd, SHUT_WR);
}

static int x_close(int sd)
{
	return S ? umk_close(S, sd) : close(sd);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_tcp: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int send_all(int sd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = x_send(sd, b, n);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int listen_accept(const char *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port)),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	int l = x_socket();
	if (l < 0)
		die("socket");
	x_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, 1);
	if (x_bind(l, &a) < 0 || x_listen(l) < 0)
		die("bind/listen");
	printf("listening\n");
	fflush(stdout);
	int c;
	while ((c = x_accept(l)) < 0 && (errno == EAGAIN || errno == EINTR || errno == ETIMEDOUT))
		;
	if (c < 0)
		die("accept");
	x_close(l);
	return c;
}

static int dial(const char *host, const char *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port)) };
	if (inet_pton(AF_INET6, host, &a.sin6_addr) != 1) {
		fprintf(stderr, "bench_tcp: bad address %s\n", host);
		exit(2);
	}
	int sd = x_socket();
	if (sd < 0)
		die("socket");
	if (x_connect(sd, &a) < 0)
		die("connect");
	return sd;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static uint8_t buf[CHUNK];
	int i = 1;
	if (argc > 2 && !strcmp(argv[1], "-s")) {
		if (!(S = umk_stack_open(argv[2])))
			die(argv[2]);
		umk_stack_set_timeout(S, 60000);
		i = 3;
	}
	if (argc > i + 1 && !strcmp(argv[i], "-b")) {
		Bufsize = atoi(argv[i + 1]);
		i += 2;
	}
	if (i >= argc)
		goto usage;
	const char *mode = argv[i++];
	int left = argc - i;
	if (!strcmp(mode, "sink") && left == 1) {
		int c = listen_accept(argv[i]);
		unsigned long long n = 0;
		double t0 = 0;
		for (;;) {
			ssize_t r = x_recv(c, buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r < 0)
				die("recv");
			if (r == 0)
				break;
			if (!n)
				t0 = now_s();
			n += (unsigned long long)r;
		}
		double dt = now_s() - t0;
		printf("bytes %llu seconds %.3f MB/s %.1f\n", n, dt, dt > 0 ? n / dt / 1e6 : 0.0);
		x_close(c);
	} else if (!strcmp(mode, "source") && left == 3) {
		int sd = dial(argv[i], argv[i + 1]);
		unsigned long long total = strtoull(argv[i + 2], NULL, 10) << 20;
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (uint8_t)(k * 131u + 7u);
		while (total) {
			size_t n = total < sizeof(buf) ? (size_t)total : sizeof(buf);
			if (send_all(sd, buf, n) < 0)
				die("send");
			total -= n;
		}
		x_shutdown(sd);
		while (x_recv(sd, buf, sizeof(buf)) > 0)
			;
		x_close(sd);
	} else if (!strcmp(mode, "echo") && left == 1) {
		int c = listen_accept(argv[i]);
		x_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, 1);
		for (;;) {
			ssize_t r = x_recv(c, buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0)
				break;
			if (send_all(c, buf, (size_t)r) < 0)
				die("send");
		}
		x_close(c);
	} else if (!strcmp(mode, "ping") && left == 3) {
		int sd = dial(argv[i], argv[i + 1]);
		int n = atoi(argv[i + 2]);
		if (n <= 0)
			goto usage;
		x_setsockopt(sd, IPPROTO_TCP, TCP_NODELAY, 1);
		double *rtt = calloc((size_t)n, sizeof(*rtt));
		if (!rtt)
			die("calloc");
		for (int k = 0; k < n; k++) {
			uint8_t b = (uint8_t)k;
			double t0 = now_s();
			if (send_all(sd, &b, 1) < 0)
				die("send");
			ssize_t r;
			while ((r = x_recv(sd, &b, 1)) < 0 && (errno == EINTR || errno == EAGAIN))
				;
			if (r != 1)
				die("recv (echo closed?)");
			rtt[k] = (now_s() - t0) * 1e6;
		}
		qsort(rtt, (size_t)n, sizeof(*rtt), cmp_d);
		printf("rtt_us median %.1f p99 %.1f min %.1f n %d\n", rtt[n / 2],
		       rtt[(size_t)((n - 1) * 0.99)], rtt[0], n);
		x_shutdown(sd);
		x_close(sd);
		free(rtt);
	} else {
		goto usage;
	}
	if (S)
		umk_stack_close(S);
	return 0;
usage:
	fprintf(stderr, "usage: bench_tcp [-s SOCK] [-b BYTES] sink PORT | source HOST PORT MB | echo PORT |"
		" ping HOST PORT N\n");
	return 2;
}
