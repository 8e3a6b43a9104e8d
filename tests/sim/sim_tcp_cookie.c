/*
 * sim_tcp_cookie.c - SYN cookies (RFC 4987 3.6) against a hand-made peer: SYNs fill a
 * listener's half-open queue (backlog 2); the next SYNs get cookie SYN-ACKs and no connection
 * block; the ACK completing one builds the connection with the MSS from the cookie and, when
 * the SYN had timestamps, the window scale and SACK-Permitted carried in our timestamp; the
 * connection then carries data both ways with timestamps that keep increasing (the peer's
 * PAWS). A forged cookie, or one from too long ago, is refused with a RST and counted.
 */
#include "sim_tcp_util.h"

#define APORT 8080

/* Fills the half-open queue with two SYNs that are never completed. */
static int fill_backlog(void)
{
	int l = listen_on(APORT, 2);
	for (uint16_t i = 0; i < 2; i++) {
		struct peer p = { .sport = (uint16_t)(30000 + i), .dport = APORT };
		assert_true(peer_syn(&p, 1000 + i));
		assert_int_equal(state_of(a, APORT, p.sport), TCPS_SYN_RECEIVED);
	}
	assert_int_equal(counter(a, "SyncookiesSent"), 0);
	return l;
}

/* A SYN past the backlog: returns the cookie SYN-ACK. */
static struct tcp_hdr_info cookie_syn(struct peer *p, uint32_t isn, bool opts)
{
	seen_reset();
	struct tcp_hdr_info h = seg(p->sport, APORT, isn, 0, TH_SYN);
	h.opt.present = TCPO_MSS;
	h.opt.mss = 1380;
	if (opts) {
		h.opt.present |= TCPO_TS | TCPO_WSCALE | TCPO_SACK_OK;
		h.opt.tsval = p->tsval;
		h.opt.wscale = 7;
	}
	uint64_t sent = counter(a, "SyncookiesSent");
	inject(&h, NULL, 0);
	assert_int_equal(counter(a, "SyncookiesSent"), sent + 1);
	assert_null(tcb_of(a, APORT, p->sport));      /* no state kept */
	const struct tcp_hdr_info *sa = seen_last(TH_SYN | TH_ACK);
	assert_non_null(sa);
	assert_int_equal(sa->ack, isn + 1);
	p->snd_nxt = isn + 1;
	p->rcv_nxt = sa->seq + 1;
	return *sa;
}

static void cookie_connection(bool opts)
{
	peer_setup(opts ? 31 : 32, NULL);
	int l = fill_backlog();
	struct peer p = { .sport = 40000, .dport = APORT, .ts = opts, .tsval = 777000 };
	struct tcp_hdr_info sa = cookie_syn(&p, 5000, opts);
	assert_int_equal(sa.opt.mss, 1440);                   /* ours, from the path */
	assert_int_equal(!!(sa.opt.present & TCPO_TS), opts);
	struct tcp_hdr_info h = peer_seg(&p, TH_ACK);
	if (opts)
		h.opt.tsecr = sa.opt.tsval;
	inject(&h, "hi", 2);
	p.snd_nxt += 2;
	assert_int_equal(counter(a, "SyncookiesRecv"), 1);
	struct tcpcb *tp = tcb_of(a, APORT, p.sport);
	assert_non_null(tp);
	assert_int_equal(tp->state, TCPS_ESTABLISHED);
	/* the MSS the cookie encodes: the table entry at or below the SYN's 1380 */
	assert_int_equal(tp->peer_mss, 1380);
	assert_int_equal(!!(tp->flags & TF_TS), opts);
	assert_int_equal(!!(tp->flags & TF_SACK), opts);
	assert_int_equal(!!(tp->flags & TF_WSCALE), opts);
	if (opts)
		assert_int_equal(tp->snd_wscale, 7);
	int sd = umk_accept(a, l, NULL, NULL);
	assert_true(sd >= 0);
	char buf[8];
	assert_int_equal(umk_recv(a, sd, buf, sizeof(buf), 0), 2);   /* data with the ACK */
	assert_memory_equal(buf, "hi", 2);
	seen_reset();
	assert_int_equal(umk_send(a, sd, "back", 4, 0), 4);
	sim_run_for(net, 5);
	const struct tcp_hdr_info *d = seen_last(TH_ACK);
	assert_non_null(d);
	assert_int_equal(d->payload_len, 4);
	assert_int_equal(d->seq, p.rcv_nxt);
	assert_int_equal(d->ack, p.snd_nxt);
	if (opts) {
		/* RFC 7323 5.3: our timestamps must not run backwards after the SYN-ACK, or the
		 * peer's PAWS drops the connection's segments */
		assert_true(d->opt.present & TCPO_TS);
		assert_true((int32_t)(d->opt.tsval - sa.opt.tsval) >= 0);
		assert_true(d->opt.tsval - sa.opt.tsval < 1000);
		assert_int_equal(d->opt.tsecr, p.tsval);
		/* the window is scaled as the cookie SYN-ACK offered */
		assert_int_equal(tp->rcv_wscale, sa.opt.wscale);
	}
	sim_net_free(net);
}

static void test_cookie_with_options(void **state) { (void)state; cookie_connection(true); }
static void test_cookie_plain(void **state) { (void)state; cookie_connection(false); }

static void test_cookie_forged(void **state)
{
	(void)state;
	peer_setup(33, NULL);
	fill_backlog();
	struct peer p = { .sport = 40000, .dport = APORT };
	cookie_syn(&p, 5000, false);
	/* a guessed cookie: one bit off */
	struct tcp_hdr_info h = peer_seg(&p, TH_ACK);
	h.ack ^= 0x10;
	seen_reset();
	inject(&h, NULL, 0);
	assert_int_equal(counter(a, "SyncookiesFailed"), 1);
	assert_int_equal(counter(a, "SyncookiesRecv"), 0);
	assert_null(tcb_of(a, APORT, p.sport));
	const struct tcp_hdr_info *r = seen_last(TH_RST);
	assert_non_null(r);
	assert_int_equal(r->seq, h.ack);
	/* the right cookie for another client ISN */
	h = peer_seg(&p, TH_ACK);
	h.seq += 1;
	inject(&h, NULL, 0);
	assert_int_equal(counter(a, "SyncookiesFailed"), 2);
	/* in time it works */
	struct peer q = { .sport = 40001, .dport = APORT };
	cookie_syn(&q, 9000, false);
	h = peer_seg(&q, TH_ACK);
	inject(&h, NULL, 0);
	assert_int_equal(counter(a, "SyncookiesRecv"), 1);
	assert_non_null(tcb_of(a, APORT, q.sport));
	/* the right cookie, but too late: good for one to two 64 s periods */
	sim_run_for(net, 130000);
	h = peer_seg(&p, TH_ACK);
	inject(&h, NULL, 0);
	assert_int_equal(counter(a, "SyncookiesRecv"), 1);
	assert_null(tcb_of(a, APORT, p.sport));
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_with_options),
		cmocka_unit_test(test_cookie_plain),
		cmocka_unit_test(test_cookie_forged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
