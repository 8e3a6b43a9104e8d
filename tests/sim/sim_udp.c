/*
 * sim_udp.c - UDP between two stacks through the socket API: small and 8000-byte datagrams
 * (fragmented by the sender, reassembled by the receiver, both directions), a connected
 * socket learning ECONNREFUSED from the peer's Port Unreachable, and IPV6_DONTFRAG refusing
 * what would need fragments.
 *
 *     [A] eth0 ----- link 0 (1 ms, no loss, MTU 1500) ----- eth0 [B]
 *      2001:db8::a/64                                        2001:db8::b/64
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <umikame/mgmt.h>
#include <umikame/socket.h>
#include "sim.h"

static struct sim_net *net;
static struct umk_stack *a, *b;
static int ia, ib;

static struct sockaddr_in6 SA(const char *addr, uint16_t port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	inet_pton(AF_INET6, addr, &s.sin6_addr);
	return s;
}

static void two_stacks(void)
{
	static const uint8_t ma[6] = { 2, 0, 0, 0, 0, 0xa }, mb[6] = { 2, 0, 0, 0, 0, 0xb };
	net = sim_net_new(11);
	int l = sim_link_new(net, 1, 0.0);
	a = sim_stack_new(net, NULL);
	b = sim_stack_new(net, NULL);
	ia = sim_attach(net, l, a, "eth0", ma, 1500, NULL);
	ib = sim_attach(net, l, b, "eth0", mb, 1500, NULL);
	umk_if_up(a, ia);
	umk_if_up(b, ib);
	struct in6_addr ga, gb;
	inet_pton(AF_INET6, "2001:db8::a", &ga);
	inet_pton(AF_INET6, "2001:db8::b", &gb);
	assert_int_equal(umk_addr_add(a, ia, &ga, 64), 0);
	assert_int_equal(umk_addr_add(b, ib, &gb, 64), 0);
	sim_run_for(net, 5000); /* DAD */
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* B sends to A's port 7; A echoes every datagram back to where it came from. */
static void test_echo_sizes(void **state)
{
	two_stacks();
	int sa = umk_socket(a, AF_INET6, SOCK_DGRAM, 0);
	int sb = umk_socket(b, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 any = SA("::", 7), to = SA("2001:db8::a", 7);
	assert_int_equal(umk_bind(a, sa, (struct sockaddr *)&any, sizeof(any)), 0);
	assert_int_equal(umk_connect(b, sb, (struct sockaddr *)&to, sizeof(to)), 0);

	static const size_t sizes[] = { 0, 1, 1452, 1453, 4000, 8000, 65000 };
	static uint8_t out[65536], in[65536];
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		fill(out, n, (uint8_t)k);
		assert_int_equal(umk_send(b, sb, out, n, 0), (ssize_t)n);
		sim_run_for(net, 50);
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		ssize_t got = umk_recvfrom(a, sa, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		if (got != (ssize_t)n)
			fail_msg("size %zu: A got %zd (errno %d)", n, got, errno);
		assert_memory_equal(in, out, n);
		/* and back: A answers to the sender's address and port */
		assert_int_equal(umk_sendto(a, sa, in, n, 0, (struct sockaddr *)&from, fl), (ssize_t)n);
		sim_run_for(net, 50);
		memset(in, 0, n);
		got = umk_recv(b, sb, in, sizeof(in), 0);
		if (got != (ssize_t)n)
			fail_msg("size %zu: B got %zd back (errno %d)", n, got, errno);
		assert_memory_equal(in, out, n);
	}
	sim_net_free(net);
}

static void test_port_unreachable_to_econnrefused(void **state)
{
	two_stacks();
	int sb = umk_socket(b, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 to = SA("2001:db8::a", 9999);
	assert_int_equal(umk_connect(b, sb, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(umk_send(b, sb, "knock", 5, 0), 5);
	sim_run_for(net, 50);
	struct umk_pollfd p = { .sd = sb, .events = POLLIN };
	assert_int_equal(umk_poll(b, &p, 1, 0), 1);
	assert_true(p.revents & POLLERR);
	char buf[8];
	assert_int_equal(umk_recv(b, sb, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ECONNREFUSED);
	/* an unconnected socket is not told (BSD semantics) */
	int su = umk_socket(b, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(umk_sendto(b, su, "knock", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
	sim_run_for(net, 50);
	assert_int_equal(umk_recv(b, su, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EAGAIN);
	sim_net_free(net);
}

static void test_dontfrag(void **state)
{
	two_stacks();
	int sb = umk_socket(b, AF_INET6, SOCK_DGRAM, 0), one = 1;
	struct sockaddr_in6 to = SA("2001:db8::a", 7);
	umk_connect(b, sb, (struct sockaddr *)&to, sizeof(to));
	umk_setsockopt(b, sb, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one));
	umk_setsockopt(b, sb, IPPROTO_IPV6, IPV6_RECVPATHMTU, &one, sizeof(one));
	static uint8_t big[8000];
	assert_int_equal(umk_send(b, sb, big, sizeof(big), 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* RFC 3542 11.2: the path MTU comes as a notification */
	char ctl[128], d[4];
	struct iovec iov = { d, sizeof(d) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	assert_int_equal(umk_recvmsg(b, sb, &m, 0), 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	assert_non_null(c);
	assert_int_equal(c->cmsg_type, IPV6_PATHMTU);
	struct ip6_mtuinfo mi;
	memcpy(&mi, CMSG_DATA(c), sizeof(mi));
	assert_int_equal(mi.ip6m_mtu, 1500);
	assert_int_equal(umk_send(b, sb, big, 1452, 0), 1452);
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_sizes),
		cmocka_unit_test(test_port_unreachable_to_econnrefused),
		cmocka_unit_test(test_dontfrag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
