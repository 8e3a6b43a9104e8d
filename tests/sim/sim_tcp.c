/*
 * sim_tcp.c - TCP between two stacks through the socket API, on injected time: the
 * handshake and options, bulk transfers checked byte for byte under 0-5 % seeded loss
 * (retransmission, fast recovery, SACK, NewReno and CUBIC), zero-window probing, keepalive,
 * TIME_WAIT, simultaneous open and close, RST to a closed port and an abort. SYN cookies are
 * in sim_tcp_cookie.c, RST in every state in sim_tcp_rst.c, urgent data in sim_tcp_urg.c.
 *
 *     [A] eth0 ----- link 0 (1 ms each way, loss p, MTU 1500) ----- eth0 [B]
 *      2001:db8::a/64                                                2001:db8::b/64
 */
#define _GNU_SOURCE
#include "sim_tcp_util.h"

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* Sends n bytes from (ss, sd) to (rs, rd), moving the clock 1 ms per round; returns the
 * simulated time it took. Fails unless every byte arrives in order. */
static uint64_t transfer(struct umk_stack *ss, int sd, struct umk_stack *rs, int rd, size_t n,
			 uint64_t limit_ms)
{
	uint8_t *out = malloc(n), *in = malloc(n);
	fill(out, n, (uint32_t)n);
	size_t sent = 0, got = 0;
	umk_time_t t0 = sim_now(net);
	while (got < n) {
		if (sim_now(net) - t0 > limit_ms)
			fail_msg("transfer stalled: sent %zu got %zu of %zu", sent, got, n);
		if (sent < n) {
			ssize_t w = umk_send(ss, sd, out + sent, n - sent, 0);
			if (w > 0)
				sent += (size_t)w;
			else
				assert_int_equal(errno, EAGAIN);
		}
		ssize_t r;
		while ((r = umk_recv(rs, rd, in + got, n - got, 0)) > 0)
			got += (size_t)r;
		sim_run_for(net, 1);
	}
	assert_memory_equal(in, out, n);
	free(out);
	free(in);
	return sim_now(net) - t0;
}

static void test_handshake_and_options(void **state)
{
	(void)state;
	two_stacks_cfg(1, NULL);
	int sa, sb, l;
	connect_pair(&sa, &sb, &l);
	struct sockaddr_in6 peer;
	socklen_t pl = sizeof(peer);
	assert_int_equal(umk_getpeername(a, sa, (struct sockaddr *)&peer, &pl), 0);
	char txt[64];
	inet_ntop(AF_INET6, &peer.sin6_addr, txt, sizeof(txt));
	assert_string_equal(txt, "2001:db8::b");
	int mss;
	socklen_t ml = sizeof(mss);
	assert_int_equal(umk_getsockopt(b, sb, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml), 0);
	assert_int_equal(mss, 1500 - 60 - 12);   /* timestamps negotiated */
	char cc[16];
	socklen_t cl = sizeof(cc);
	assert_int_equal(umk_getsockopt(b, sb, IPPROTO_TCP, TCP_CONGESTION, cc, &cl), 0);
	assert_string_equal(cc, "cubic");
	assert_int_equal(counter(a, "PassiveOpens"), 1);
	assert_int_equal(counter(b, "ActiveOpens"), 1);
	transfer(b, sb, a, sa, 1000, 1000);
	transfer(a, sa, b, sb, 1000, 1000);
	sim_net_free(net);
}

static void bulk(double loss, const char *cc, size_t n, uint64_t seed)
{
	two_stacks_cfg(seed, NULL);
	int sa, sb, l;
	connect_pair(&sa, &sb, &l);
	if (cc) {
		assert_int_equal(umk_setsockopt(b, sb, IPPROTO_TCP, TCP_CONGESTION, cc,
						(socklen_t)strlen(cc)), 0);
	}
	sim_link_set_loss(net, link0, loss);
	uint64_t ms = transfer(b, sb, a, sa, n, 600000);
	print_message("%s loss %.0f%%: %zu bytes in %llu ms, retrans %llu fast %llu rto %llu\n",
		      cc ? cc : "cubic", loss * 100, n, (unsigned long long)ms,
		      (unsigned long long)counter(b, "RetransSegs"),
		      (unsigned long long)counter(b, "FastRetransmits"),
		      (unsigned long long)counter(b, "RetransmitTimeouts"));
	if (loss > 0) {
		assert_true(counter(b, "RetransSegs") > 0);
		assert_true(counter(b, "FastRetransmits") > 0);
		assert_true(counter(a, "InOutOfOrderSegs") > 0);
	}
	sim_link_set_loss(net, link0, 0);
	/* orderly close both ways */
	assert_int_equal(umk_shutdown(b, sb, SHUT_WR), 0);
	char c;
	for (int i = 0; i < 3000 && umk_recv(a, sa, &c, 1, 0) != 0; i++)
		sim_run_for(net, 1);
	assert_int_equal(umk_recv(a, sa, &c, 1, 0), 0);
	assert_int_equal(umk_close(a, sa), 0);
	sim_run_for(net, 3000);
	assert_int_equal(umk_recv(b, sb, &c, 1, 0), 0);
	umk_close(b, sb);
	sim_net_free(net);
}

static void test_bulk_clean(void **state) { (void)state; bulk(0, NULL, 4 << 20, 2); }
static void test_bulk_loss1(void **state) { (void)state; bulk(0.01, NULL, 2 << 20, 3); }
static void test_bulk_loss5(void **state) { (void)state; bulk(0.05, NULL, 1 << 20, 4); }
static void test_bulk_reno_loss2(void **state) { (void)state; bulk(0.02, "reno", 1 << 20, 5); }

/* Throughput under random loss (both directions, seeded): the simulated time of ten
 * transfers each at 1 % and 5 % loss, and the retransmission timeouts they took. Limited
 * transmit (RFC 3042), the tail loss probe (RFC 8985 7), detecting lost retransmissions
 * (RFC 8985 6.2), proportional rate reduction (RFC 6937) and the RFC 6582 `recover` fix keep
 * recovery off the 1 s RTO. Measured on these seeds: before, 1 %: 7778 ms with 7 RTOs, 5 %:
 * 21183 ms with 18 RTOs (fast retransmit never started for half of the ISNs); with the
 * recover fix alone, 654 ms / 0 and 5814 ms / 5; with limited transmit, TLP and RACK too,
 * 700 ms / 0 and 3042 ms / 2; with PRR as well, 684 ms / 0 and 1158 ms / 0; with the window
 * update after every read that opens the window by 2 MSS (sim_tcp_wnd.c), which moves every
 * later loss, 684 ms / 0 and 2560 ms / 1: in one run at 5 % the last segment and its tail
 * loss probe were both lost, which only the RTO (1 s at least, RFC 6298 2.4) repairs; with
 * RACK timing the segment at SND.UNA from a send log (entering recovery without three
 * duplicate ACKs), Minshall's Nagle and the tail sent in recovery, 680 ms / 0 and
 * 1685 ms / 1. The bounds fail all but the last three. */
static uint64_t loss_run(double loss, size_t n, uint64_t seed, uint64_t *rtos)
{
	two_stacks_cfg(seed, NULL);
	int sa, sb, l;
	connect_pair(&sa, &sb, &l);
	sim_link_set_loss(net, link0, loss);
	uint64_t ms = transfer(b, sb, a, sa, n, 600000);
	*rtos += counter(b, "RetransmitTimeouts");
	sim_net_free(net);
	return ms;
}

static void test_loss_duration(void **state)
{
	(void)state;
	static const double losses[] = { 0.01, 0.05 };
	static const size_t sizes[] = { 1 << 20, 512 << 10 };
	uint64_t total[2] = { 0 }, rtos[2] = { 0 };
	for (int k = 0; k < 2; k++) {
		for (uint64_t seed = 1; seed <= 10; seed++)
			total[k] += loss_run(losses[k], sizes[k], 100 + seed, &rtos[k]);
		print_message("loss %.0f%%: 10 x %zu bytes in %llu ms simulated, %llu RTOs\n",
			      losses[k] * 100, sizes[k], (unsigned long long)total[k],
			      (unsigned long long)rtos[k]);
	}
	assert_true(total[0] < 1500);
	assert_true(rtos[0] <= 1);
	assert_true(total[1] < 3000);   /* one RTO's second and the rest */
	assert_true(rtos[1] <= 1);
}

struct gfind {
	const char *group, *name;
	uint64_t value;
};

static int gfind_cb(void *ctx, const char *group, const char *name, uint64_t value)
{
	struct gfind *f = ctx;
	if (!strcmp(group, f->group) && !strcmp(name, f->name))
		f->value = value;
	return 0;
}

static uint64_t nd6_counter(struct umk_stack *s, const char *name)
{
	struct gfind f = { .group = "nd6", .name = name };
	umk_stats_list(s, gfind_cb, &f);
	return f.value;
}

/* RFC 4861 7.3.1: a sender whose data keeps being acknowledged tells ND, so its neighbor
 * entry stays REACHABLE and is never probed, over several ReachableTimes. */
static void test_nud_hint(void **state)
{
	(void)state;
	two_stacks_cfg(12, NULL);
	int sa, sb, l;
	connect_pair(&sa, &sb, &l);
	sim_run_for(net, 100);
	uint64_t ns = nd6_counter(b, "OutNeighborSolicits");
	char buf[100] = { 0 };
	for (int i = 0; i < 1200; i++) {        /* 120 s, 100 bytes every 100 ms */
		assert_int_equal(umk_send(b, sb, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
		sim_run_for(net, 100);
		while (umk_recv(a, sa, buf, sizeof(buf), 0) > 0)
			;
	}
	assert_true(nd6_counter(b, "UpperLayerConfirmations") >= 60);
	assert_int_equal(nd6_counter(b, "OutNeighborSolicits"), ns);
	sim_net_free(net);
}

/* RST from a port nobody listens on: ECONNREFUSED in SYN_SENT (RFC 9293 3.10.7.3). */
static void test_refused(void **state)
{
	(void)state;
	two_stacks_cfg(6, NULL);
	int c = umk_socket(b, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 to = SA("2001:db8::a", 81);
	umk_connect(b, c, (struct sockaddr *)&to, sizeof(to));
	sim_run_for(net, 100);
	struct umk_pollfd p = { .sd = c, .events = POLLOUT };
	assert_int_equal(umk_poll(b, &p, 1, 0), 1);
	assert_true(p.revents & POLLERR);
	int err;
	socklen_t el = sizeof(err);
	assert_int_equal(umk_getsockopt(b, c, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	assert_int_equal(err, ECONNREFUSED);
	assert_int_equal(counter(a, "InNoConnection"), 1);
	assert_int_equal(counter(b, "ConnectionRefused"), 1);
	sim_net_free(net);
}

/* SO_LINGER 0 aborts with RST; the peer in ESTABLISHED sees ECONNRESET (3.10.7.4). */
static void test_abort_rst(void **state)
{
	(void)state;
	two_stacks_cfg(7, NULL);
	int sa, sb, l;
	connect_pair(&sa, &sb, &l);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	assert_int_equal(umk_setsockopt(a, sa, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	umk_close(a, sa);
	sim_run_for(net, 50);
	char c;
	assert_int_equal(umk_recv(b, sb, &c, 1, 0), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(counter(b, "EstabResets"), 1);
	/* the closed side kept nothing: a segment to it now meets a RST (CLOSED, 3.10.7.1) */
	sim_net_free(net);
}

/* The receiver does not read: the window closes, the sender probes it (RFC 9293 3.8.6.1)
 * with backoff, and everything arrives once the application reads. */
static void test_zero_window(void **state)
{
	(void)state;
	two_stacks_cfg(8, NULL);
	int small = 4096;
	int l = umk_socket(a, AF_INET6, SOCK_STREAM, 0);
	umk_setsockopt(a, l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	struct sockaddr_in6 any = SA("::", 80), to = SA("2001:db8::a", 80);
	umk_bind(a, l, (struct sockaddr *)&any, sizeof(any));
	umk_listen(a, l, 4);
	int c = umk_socket(b, AF_INET6, SOCK_STREAM, 0);
	umk_connect(b, c, (struct sockaddr *)&to, sizeof(to));
	sim_run_for(net, 50);
	int sa = umk_accept(a, l, NULL, NULL);
	assert_true(sa >= 0);
	static uint8_t out[20000], in[20000];
	fill(out, sizeof(out), 9);
	assert_int_equal(umk_send(b, c, out, sizeof(out), 0), (ssize_t)sizeof(out));
	sim_run_for(net, 30000);   /* nobody reads for 30 s */
	assert_true(counter(b, "ZeroWindowProbes") >= 3);
	assert_true(counter(b, "ZeroWindowProbes") < 30);   /* backed off */
	size_t got = 0;
	for (int i = 0; i < 100000 && got < sizeof(in); i++) {
		ssize_t r = umk_recv(a, sa, in + got, sizeof(in) - got, 0);
		if (r > 0)
			got += (size_t)r;
		sim_run_for(net, 1);
	}
	assert_int_equal(got, sizeof(in));
	assert_memory_equal(in, out, sizeof(in));
	sim_net_free(net);
}

/* Keepalive (RFC 9293 3.8.4): an idle connection is probed; when the peer goes silent the
 * connection ends with ETIMEDOUT after KEEPCNT probes. */
static void test_keepalive(void **state)
{
	(void)state;
	two_stacks_cfg(9, NULL);
	int sa, sb, l, one = 1, idle = 10, intvl = 2, cnt = 3;
	connect_pair(&sa, &sb, &l);
	umk_setsockopt(b, sb, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	umk_setsockopt(b, sb, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	umk_setsockopt(b, sb, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	umk_setsockopt(b, sb, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	sim_run_for(net, 25000);   /* A answers the probes: still up */
	assert_true(counter(b, "KeepaliveProbes") >= 2);
	char c;
	assert_int_equal(umk_recv(b, sb, &c, 1, 0), -1);
	assert_int_equal(errno, EAGAIN);
	sim_port_set_connected(net, port_a, false);
	sim_run_for(net, 20000);
	assert_int_equal(counter(b, "KeepaliveDrops"), 1);
	assert_int_equal(umk_recv(b, sb, &c, 1, 0), -1);
	assert_int_equal(errno, ETIMEDOUT);
	sim_net_free(net);
}

/* The side that closes first holds TIME_WAIT for 2*MSL (MSL from the stack's limits), and a
 * FIN repeated meanwhile is answered. */
static void test_time_wait(void **state)
{
	(void)state;
	two_stacks_cfg(10, NULL);
	int sa, sb, l;
	connect_pair(&sa, &sb, &l);
	umk_close(b, sb);           /* B: FIN_WAIT_1 -> FIN_WAIT_2 */
	sim_run_for(net, 100);
	char c;
	assert_int_equal(umk_recv(a, sa, &c, 1, 0), 0);
	umk_close(a, sa);           /* A: LAST_ACK -> CLOSED; B: TIME_WAIT */
	sim_run_for(net, 100);
	assert_int_equal(counter(b, "TimeWaitExpired"), 0);
	sim_run_for(net, 2 * 30000 - 1000);
	assert_int_equal(counter(b, "TimeWaitExpired"), 0);
	sim_run_for(net, 2000);
	assert_int_equal(counter(b, "TimeWaitExpired"), 1);
	sim_net_free(net);
}

/* Simultaneous open (RFC 9293 3.5 figure 7) and simultaneous close (figure 13). */
static void test_simultaneous(void **state)
{
	(void)state;
	two_stacks_cfg(11, NULL);
	int x = umk_socket(a, AF_INET6, SOCK_STREAM, 0), y = umk_socket(b, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 la = SA("2001:db8::a", 5000), lb = SA("2001:db8::b", 6000);
	assert_int_equal(umk_bind(a, x, (struct sockaddr *)&la, sizeof(la)), 0);
	assert_int_equal(umk_bind(b, y, (struct sockaddr *)&lb, sizeof(lb)), 0);
	umk_connect(a, x, (struct sockaddr *)&lb, sizeof(lb));
	umk_connect(b, y, (struct sockaddr *)&la, sizeof(la));
	sim_run_for(net, 100);
	struct umk_pollfd p = { .sd = x, .events = POLLOUT };
	assert_int_equal(umk_poll(a, &p, 1, 0), 1);
	assert_true(p.revents & POLLOUT);
	p.sd = y;
	assert_int_equal(umk_poll(b, &p, 1, 0), 1);
	assert_true(p.revents & POLLOUT);
	transfer(a, x, b, y, 5000, 1000);
	transfer(b, y, a, x, 5000, 1000);
	/* both close at once: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both sides */
	umk_shutdown(a, x, SHUT_WR);
	umk_shutdown(b, y, SHUT_WR);
	sim_run_for(net, 100);
	char c;
	assert_int_equal(umk_recv(a, x, &c, 1, 0), 0);
	assert_int_equal(umk_recv(b, y, &c, 1, 0), 0);
	umk_close(a, x);
	umk_close(b, y);
	sim_run_for(net, 70000);
	assert_int_equal(counter(a, "TimeWaitExpired"), 1);
	assert_int_equal(counter(b, "TimeWaitExpired"), 1);
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_and_options),
		cmocka_unit_test(test_bulk_clean),
		cmocka_unit_test(test_bulk_loss1),
		cmocka_unit_test(test_bulk_loss5),
		cmocka_unit_test(test_bulk_reno_loss2),
		cmocka_unit_test(test_loss_duration),
		cmocka_unit_test(test_nud_hint),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_abort_rst),
		cmocka_unit_test(test_zero_window),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_time_wait),
		cmocka_unit_test(test_simultaneous),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
