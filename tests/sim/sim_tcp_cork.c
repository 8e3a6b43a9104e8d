/*
 * sim_tcp_cork.c - umk_cork/umk_uncork (include/umikame/socket.h), which umikamed wraps
 * around each remote socket call so that its answer leaves before the segments the call
 * makes: while corked, a send queues its data and sends nothing; umk_uncork sends it; a
 * second connection's send releases the first one's; a read that opens the window sends
 * its update only at umk_uncork; and a connection freed while its output waits is
 * forgotten, not touched; corked around a batch of received segments (umikamed's TAP reads),
 * one ACK answers them. Topology: sim_tcp_util.h's A and the hand-made peer "B".
 */
#define _GNU_SOURCE
#include "sim_tcp_util.h"

#define MSS 1440

static uint64_t data_segs(void)
{
	uint64_t n = 0;
	for (int i = 0; i < n_seen; i++)
		n += seen[i].payload_len > 0;
	return n;
}

static void test_send_waits_for_uncork(void **state)
{
	(void)state;
	peer_setup(41, NULL);
	int l = listen_on(8080, 4);
	struct peer p = { .sport = 40000, .dport = 8080 };
	int sd = peer_open(&p, l, 1000);
	static uint8_t buf[4 * MSS];
	memset(buf, 'c', sizeof(buf));

	uint64_t out = counter(a, "OutSegs");
	seen_reset();
	umk_cork(a);
	assert_int_equal(umk_send(a, sd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	sim_run_for(net, 5);
	assert_int_equal(counter(a, "OutSegs"), out);
	assert_int_equal(data_segs(), 0);

	umk_uncork(a);
	sim_run_for(net, 5);
	assert_true(counter(a, "OutSegs") >= out + 4);
	assert_int_equal(data_segs(), 4);

	/* uncorked, a send goes at once again */
	seen_reset();
	assert_int_equal(umk_send(a, sd, buf, MSS, 0), MSS);
	sim_run_for(net, 5);
	assert_true(data_segs() >= 1);
	sim_net_free(net);
}

static void test_second_connection_releases_first(void **state)
{
	(void)state;
	peer_setup(42, NULL);
	int l = listen_on(8080, 4);
	struct peer p1 = { .sport = 40001, .dport = 8080 }, p2 = { .sport = 40002, .dport = 8080 };
	int s1 = peer_open(&p1, l, 1000), s2 = peer_open(&p2, l, 2000);
	static uint8_t buf[MSS];
	memset(buf, 'd', sizeof(buf));

	uint64_t out = counter(a, "OutSegs");
	umk_cork(a);
	assert_int_equal(umk_send(a, s1, buf, sizeof(buf), 0), MSS);
	assert_int_equal(counter(a, "OutSegs"), out);
	assert_int_equal(umk_send(a, s2, buf, sizeof(buf), 0), MSS);
	assert_int_equal(counter(a, "OutSegs"), out + 1);     /* s1's segment, now */
	umk_uncork(a);
	assert_int_equal(counter(a, "OutSegs"), out + 2);     /* and s2's */
	sim_net_free(net);
}

static void test_freed_connection_is_forgotten(void **state)
{
	(void)state;
	peer_setup(43, NULL);
	int l = listen_on(8080, 4);
	struct peer p = { .sport = 40003, .dport = 8080 };
	int sd = peer_open(&p, l, 1000);
	static uint8_t buf[MSS];
	memset(buf, 'e', sizeof(buf));

	umk_cork(a);
	assert_int_equal(umk_send(a, sd, buf, sizeof(buf), 0), MSS);
	/* the peer resets the connection, the application closes: A frees the block whose
	 * output waits */
	peer_send(&p, TH_RST | TH_ACK, NULL, 0);
	sim_run_for(net, 5);
	umk_close(a, sd);
	assert_null(tcb_of(a, 8080, 40003));
	umk_uncork(a);                 /* must not touch the freed block (the ASan run) */
	assert_null(tcb_of(a, 8080, 40003));
	sim_net_free(net);
}

/* Corked around a driver's batch, as umikamed is around each round of TAP reads: the
 * segments of one connection that arrive in it are answered by one ACK at umk_uncork, as a
 * receiver that coalesces (GRO) would answer them; uncorked, every second one is. */
static void test_batch_one_ack(void **state)
{
	(void)state;
	peer_setup(44, NULL);
	int l = listen_on(8080, 4);
	struct peer p = { .sport = 40004, .dport = 8080 };
	(void)peer_open(&p, l, 1000);
	static uint8_t buf[MSS];
	memset(buf, 'f', sizeof(buf));
	for (int corked = 1; corked >= 0; corked--) {
		seen_reset();
		if (corked)
			umk_cork(a);
		for (int i = 0; i < 6; i++) {
			struct tcp_hdr_info h = peer_seg(&p, TH_ACK);
			inject_nowait(&h, buf, sizeof(buf));
			p.snd_nxt += sizeof(buf);
		}
		sim_run_for(net, 5);
		if (corked) {
			assert_int_equal(n_seen, 0);     /* the ACKs wait for the batch's end */
			umk_uncork(a);
			sim_run_for(net, 2);
			assert_int_equal(n_seen, 1);
		} else {
			assert_int_equal(n_seen, 3);     /* RFC 9293 3.8.6.3: every second */
		}
		assert_int_equal(seen[n_seen - 1].ack, p.snd_nxt);
	}
	sim_net_free(net);
}

/* Corked around a batch, what an arriving ACK lets a sender send still goes at once (ACK
 * clocking: held to the batch's end it would leave in bursts). */
static void test_batch_ack_clock_not_held(void **state)
{
	(void)state;
	peer_setup(45, NULL);
	int l = listen_on(8080, 4);
	struct peer p = { .sport = 40005, .dport = 8080 };
	int sd = peer_open(&p, l, 1000);
	static uint8_t buf[30 * MSS];
	memset(buf, 'g', sizeof(buf));
	assert_int_equal(umk_send(a, sd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	sim_run_for(net, 5);
	assert_int_equal(data_segs(), 10);              /* RFC 6928: the initial window */
	seen_reset();
	umk_cork(a);
	p.rcv_nxt += 2 * MSS;                           /* the peer acknowledges two */
	struct tcp_hdr_info h = peer_seg(&p, TH_ACK);
	inject_nowait(&h, NULL, 0);
	sim_run_for(net, 5);
	assert_true(data_segs() >= 2);                  /* sent before umk_uncork */
	umk_uncork(a);
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_waits_for_uncork),
		cmocka_unit_test(test_second_connection_releases_first),
		cmocka_unit_test(test_freed_connection_is_forgotten),
		cmocka_unit_test(test_batch_one_ack),
		cmocka_unit_test(test_batch_ack_clock_not_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
