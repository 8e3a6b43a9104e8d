/*
 * ssm_client.c - a small program for tests/interop/test_mld_ssm.py: a UDP socket on a
 * running umikamed (remote socket API, umk_stack_open) that joins a group with RFC 3678
 * source filters and prints what it receives. Built by the test itself:
 *   cc -Iinclude tests/interop/ssm_client.c BUILD/libumikame.a -lcrypto -lz
 *
 * usage: ssm_client SOCKET IFINDEX GROUP PORT STEP...
 *   join-src S    MCAST_JOIN_SOURCE_GROUP        leave-src S   MCAST_LEAVE_SOURCE_GROUP
 *   join          MCAST_JOIN_GROUP               leave         MCAST_LEAVE_GROUP
 *   block S       MCAST_BLOCK_SOURCE             unblock S     MCAST_UNBLOCK_SOURCE
 *   sleep MS      wait                           recv MS       print datagrams for MS ms
 *   filter        umk_getsourcefilter: prints "filter MODE N S..." (MODE 1 include, 0 exclude)
 * Prints "ok STEP" or "err STEP errno" per step and "rx SOURCE PAYLOAD" per datagram, each
 * line flushed, so the test can follow along.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <umikame/socket.h>

static struct sockaddr_storage storage(const char *addr)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	s6->sin6_family = AF_INET6;
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) {
		fprintf(stderr, "bad address %s\n", addr);
		exit(2);
	}
	return ss;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void receive(struct umk_stack *s, int sd, long ms)
{
	long long end = now_ms() + ms;
	for (;;) {
		long long left = end - now_ms();
		if (left <= 0)
			return;
		struct timeval tv = { .tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000 };
		umk_setsockopt(s, sd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		char buf[512];
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		ssize_t n = umk_recvfrom(s, sd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			continue;
		buf[n] = 0;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &from.sin6_addr, a, sizeof(a));
		printf("rx %s %s\n", a, buf);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s SOCKET IFINDEX GROUP PORT STEP...\n", argv[0]);
		return 2;
	}
	struct umk_stack *s = umk_stack_open(argv[1]);
	if (!s) {
		perror("umk_stack_open");
		return 1;
	}
	uint32_t ifindex = (uint32_t)atoi(argv[2]);
	const char *group = argv[3];
	int sd = umk_socket(s, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons(atoi(argv[4])) };
	if (sd < 0 || umk_bind(s, sd, (struct sockaddr *)&any, sizeof(any))) {
		perror("socket/bind");
		return 1;
	}
	for (int i = 5; i < argc; i++) {
		const char *step = argv[i];
		const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
		int name = 0;
		bool has_src = true;
		if (!strcmp(step, "sleep") || !strcmp(step, "recv")) {
			if (!arg)
				return 2;
			if (!strcmp(step, "recv")) {
				receive(s, sd, atol(arg));
			} else {
				struct timespec ts = { atol(arg) / 1000, (atol(arg) % 1000) * 1000000 };
				nanosleep(&ts, NULL);
			}
			printf("ok %s\n", step);
			fflush(stdout);
			i++;
			continue;
		}
		if (!strcmp(step, "filter")) {
			uint32_t fmode = 0, numsrc = 8;
			struct sockaddr_storage slist[8];
			struct sockaddr_storage g = storage(group);
			if (umk_getsourcefilter(s, sd, ifindex, (struct sockaddr *)&g, sizeof(g),
						&fmode, &numsrc, slist)) {
				printf("err filter %d\n", errno);
			} else {
				printf("filter %u %u", fmode, numsrc);
				for (uint32_t k = 0; k < numsrc && k < 8; k++) {
					char a[INET6_ADDRSTRLEN];
					inet_ntop(AF_INET6,
						  &((struct sockaddr_in6 *)&slist[k])->sin6_addr, a,
						  sizeof(a));
					printf(" %s", a);
				}
				printf("\n");
			}
			fflush(stdout);
			continue;
		}
		if (!strcmp(step, "join-src"))
			name = MCAST_JOIN_SOURCE_GROUP;
		else if (!strcmp(step, "leave-src"))
			name = MCAST_LEAVE_SOURCE_GROUP;
		else if (!strcmp(step, "block"))
			name = MCAST_BLOCK_SOURCE;
		else if (!strcmp(step, "unblock"))
			name = MCAST_UNBLOCK_SOURCE;
		else if (!strcmp(step, "join"))
			name = MCAST_JOIN_GROUP, has_src = false;
		else if (!strcmp(step, "leave"))
			name = MCAST_LEAVE_GROUP, has_src = false;
		else {
			fprintf(stderr, "unknown step %s\n", step);
			return 2;
		}
		int r;
		if (has_src) {
			if (!arg)
				return 2;
			struct group_source_req gsr = { .gsr_interface = ifindex };
			gsr.gsr_group = storage(group);
			gsr.gsr_source = storage(arg);
			r = umk_setsockopt(s, sd, IPPROTO_IPV6, name, &gsr, sizeof(gsr));
			i++;
		} else {
			struct group_req gr = { .gr_interface = ifindex };
			gr.gr_group = storage(group);
			r = umk_setsockopt(s, sd, IPPROTO_IPV6, name, &gr, sizeof(gr));
		}
		if (r)
			printf("err %s %d\n", step, errno);
		else
			printf("ok %s\n", step);
		fflush(stdout);
	}
	umk_close(s, sd);
	umk_stack_close(s);
	return 0;
}
