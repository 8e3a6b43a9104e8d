/*
 * sim_tcp_wnd.c - the receive window A offers a hand-made peer (RFC 9293 3.8.6.2.2 receiver
 * SWS avoidance, RFC 1122 4.2.3.3): the peer fills A's window until it is closed, and the
 * application's reads must then reopen it with a window update of their own, without the
 * peer sending anything, as soon as the space freed since the last advertisement is useful
 * (2 MSS or half the buffer) - also when an earlier read freed too little to be worth one.
 * A missing update leaves the sender to its persist timer: the stall behind the slow
 * Linux -> umikamed transfers of docs/bench-tcp.md.
 */
#define _GNU_SOURCE
#include "sim_tcp_util.h"

#define RCVBUF 16384
#define MSS 1440

/* Fills A's window from the peer, following A's ACKs, until A offers only `leave` bytes
 * (a window that is small but not zero, as Linux found umikamed's in docs/bench-tcp.md). */
static void fill_window(struct peer *p, uint32_t leave)
{
	static uint8_t data[MSS];
	memset(data, 'w', sizeof(data));
	for (int i = 0; i < 100; i++) {
		const struct tcp_hdr_info *ack = seen_last(TH_ACK);
		assert_non_null(ack);
		uint32_t right = ack->ack + ack->win;
		if (!seq_lt(p->snd_nxt + leave, right))
			return;
		uint32_t n = right - p->snd_nxt - leave;
		peer_send(p, TH_ACK, data, n > MSS ? MSS : n);
		sim_run_for(net, 500);          /* A's delayed ACK */
	}
	fail_msg("A's window never closed");
}

static void test_update_after_small_read(void **state)
{
	(void)state;
	peer_setup(31, NULL);
	int l = listen_on(8080, 4), small = RCVBUF;
	assert_int_equal(umk_setsockopt(a, l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	struct peer p = { .sport = 40000, .dport = 8080 };
	int sd = peer_open(&p, l, 1000);
	fill_window(&p, 500);
	struct tcpcb *tp = tcb_of(a, 8080, 40000);
	assert_non_null(tp);
	uint32_t queued = tp->rq.len;
	assert_true(queued > RCVBUF - MSS);
	assert_int_equal(tp->rcv_adv - tp->rcv_nxt, 500);   /* offered, not zero */

	/* a read too small to be worth a window update (< 2 MSS, < half the buffer) */
	static uint8_t buf[RCVBUF];
	seen_reset();
	assert_int_equal(umk_recv(a, sd, buf, 1000, 0), 1000);
	sim_run_for(net, 5);
	assert_null(seen_last(TH_ACK));

	/* the rest: now the window can open by far more than 2 MSS, and A must say so at once */
	assert_int_equal(umk_recv(a, sd, buf, sizeof(buf), 0), (ssize_t)(queued - 1000));
	sim_run_for(net, 5);
	const struct tcp_hdr_info *upd = seen_last(TH_ACK);
	assert_non_null(upd);
	assert_int_equal(upd->ack, p.snd_nxt);
	assert_true(upd->win >= RCVBUF - MSS);

	/* and the peer, told so, can fill it again: everything arrives */
	fill_window(&p, 0);
	assert_true(tp->rq.len > RCVBUF - MSS);
	umk_close(a, sd);
	umk_close(a, l);
	sim_net_free(net);
}

/* Reads one segment's worth at a time while the window is closed: the update comes with the
 * read that makes the freed space reach 2 MSS, not before and not never. */
static void test_update_after_many_small_reads(void **state)
{
	(void)state;
	peer_setup(32, NULL);
	int l = listen_on(8080, 4), small = RCVBUF;
	assert_int_equal(umk_setsockopt(a, l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	struct peer p = { .sport = 40001, .dport = 8080 };
	int sd = peer_open(&p, l, 5000);
	fill_window(&p, 500);
	struct tcpcb *tp = tcb_of(a, 8080, 40001);
	assert_non_null(tp);
	uint32_t adv0 = tp->rcv_adv - tp->rcv_nxt, space0 = tp->rq.cap - tp->rq.len;
	assert_true(space0 - adv0 < 2 * MSS);
	static uint8_t buf[RCVBUF];
	seen_reset();
	uint32_t got = 0;
	while (!seen_last(TH_ACK) && tp->rq.len >= 700) {
		assert_int_equal(umk_recv(a, sd, buf, 700, 0), 700);
		got += 700;
		sim_run_for(net, 5);
	}
	const struct tcp_hdr_info *upd = seen_last(TH_ACK);
	assert_non_null(upd);
	/* the first read after which the space beyond the advertised edge reached 2 MSS */
	uint32_t want = ((2 * MSS - (space0 - adv0)) + 699) / 700 * 700;
	assert_int_equal(got, want);
	assert_true(upd->win >= 2 * MSS);
	umk_close(a, sd);
	umk_close(a, l);
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_after_small_read),
		cmocka_unit_test(test_update_after_many_small_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
