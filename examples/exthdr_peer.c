/*
 * exthdr_peer.c - RFC 3542 extension headers over the remote socket API of a running
 * umikamed: builds options with the umk_inet6_opt_* helpers, sends them sticky and as
 * ancillary data, and prints the ones a datagram came with. tests/router/test_traceroute.py
 * uses it against Linux's own RFC 3542 implementation.
 *
 *   exthdr_peer SOCK send DEST PORT   one UDP datagram "umikame" with a Hop-by-Hop header
 *                                     (sticky, option 0x1e = "hbh!") and a Destination
 *                                     Options header (cmsg, option 0x3e = "dst-opt")
 *   exthdr_peer SOCK recv PORT        waits 10 s for one datagram on PORT; prints
 *                                     "data TEXT" and "HOPOPTS|DSTOPTS|RTHDR HEX" per cmsg
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umikame/socket.h>

/* An options header holding one option of the given type and bytes. */
static int build(uint8_t *buf, socklen_t cap, uint8_t type, const char *val)
{
	void *db;
	socklen_t n = (socklen_t)strlen(val);
	int len = umk_inet6_opt_finish(NULL, 0,
				       umk_inet6_opt_append(NULL, 0, umk_inet6_opt_init(NULL, 0),
							    type, n, 1, NULL));
	if (len < 0 || (socklen_t)len > cap || umk_inet6_opt_init(buf, (socklen_t)len) < 0)
		return -1;
	int off = umk_inet6_opt_append(buf, (socklen_t)len, 2, type, n, 1, &db);
	if (off < 0)
		return -1;
	umk_inet6_opt_set_val(db, 0, val, n);
	return umk_inet6_opt_finish(buf, (socklen_t)len, off);
}

static int do_send(struct umk_stack *s, const char *dest, const char *port)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port)) };
	if (inet_pton(AF_INET6, dest, &to.sin6_addr) != 1) {
		fprintf(stderr, "exthdr_peer: bad address %s\n", dest);
		return 2;
	}
	int sd = umk_socket(s, AF_INET6, SOCK_DGRAM, 0);
	uint8_t hbh[64], dst[64];
	int hl = build(hbh, sizeof(hbh), 0x1e, "hbh!"), dl = build(dst, sizeof(dst), 0x3e, "dst-opt");
	if (sd < 0 || hl < 0 || dl < 0 ||
	    umk_setsockopt(s, sd, IPPROTO_IPV6, IPV6_HOPOPTS, hbh, (socklen_t)hl)) {
		perror("exthdr_peer: socket/IPV6_HOPOPTS");
		return 1;
	}
	char ctl[CMSG_SPACE(64)];
	memset(ctl, 0, sizeof(ctl));
	struct iovec iov = { "umikame", 7 };
	struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = CMSG_SPACE((size_t)dl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_DSTOPTS;
	c->cmsg_len = CMSG_LEN((size_t)dl);
	memcpy(CMSG_DATA(c), dst, (size_t)dl);
	if (umk_sendmsg(s, sd, &m, 0) != 7) {
		perror("exthdr_peer: sendmsg");
		return 1;
	}
	umk_close(s, sd);
	return 0;
}

static int do_recv(struct umk_stack *s, const char *port)
{
	struct sockaddr_in6 me = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port)) };
	int sd = umk_socket(s, AF_INET6, SOCK_DGRAM, 0), one = 1;
	struct timeval tv = { .tv_sec = 10 };
	if (sd < 0 || umk_bind(s, sd, (struct sockaddr *)&me, sizeof(me)) ||
	    umk_setsockopt(s, sd, IPPROTO_IPV6, IPV6_RECVHOPOPTS, &one, sizeof(one)) ||
	    umk_setsockopt(s, sd, IPPROTO_IPV6, IPV6_RECVDSTOPTS, &one, sizeof(one)) ||
	    umk_setsockopt(s, sd, IPPROTO_IPV6, IPV6_RECVRTHDR, &one, sizeof(one)) ||
	    umk_setsockopt(s, sd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("exthdr_peer: socket");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	char data[256], ctl[2048];
	struct iovec iov = { data, sizeof(data) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	ssize_t n = umk_recvmsg(s, sd, &m, 0);
	if (n < 0) {
		perror("exthdr_peer: recvmsg");
		return 1;
	}
	data[n] = 0;
	printf("data %s\n", data);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != IPPROTO_IPV6)
			continue;
		const char *name = c->cmsg_type == IPV6_HOPOPTS ? "HOPOPTS" :
				   c->cmsg_type == IPV6_DSTOPTS ? "DSTOPTS" :
				   c->cmsg_type == IPV6_RTHDR ? "RTHDR" : NULL;
		if (!name)
			continue;
		printf("%s ", name);
		for (size_t i = 0; i < c->cmsg_len - CMSG_LEN(0); i++)
			printf("%02x", CMSG_DATA(c)[i]);
		printf("\n");
	}
	umk_close(s, sd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[2], "send") == 0 && argc < 5)) {
		fprintf(stderr, "usage: exthdr_peer SOCK send DEST PORT | SOCK recv PORT\n");
		return 2;
	}
	struct umk_stack *s = umk_stack_open(argv[1]);
	if (!s) {
		perror("exthdr_peer: umk_stack_open");
		return 1;
	}
	int r = strcmp(argv[2], "send") == 0 ? do_send(s, argv[3], argv[4]) : do_recv(s, argv[3]);
	umk_stack_close(s);
	return r;
}
