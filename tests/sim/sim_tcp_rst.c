/*
 * sim_tcp_rst.c - RST processing in every state (RFC 9293 3.10.7.3, 3.10.7.4; RFC 5961 3),
 * table-driven against a hand-made peer: A is driven into SYN-SENT, SYN-RECEIVED,
 * ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK and TIME-WAIT, then meets
 * an exact RST (resets), an in-window inexact RST (challenge ACK, state kept) or an
 * out-of-window RST (dropped silently); the state after, the socket's error, the counters and
 * what A sent are checked. Also: a SYN in a synchronized state (RFC 5961 4), ACKs outside the
 * acceptable range (RFC 5961 5), PAWS (RFC 7323 5), ICMPv6 errors (RFC 5461: hard while
 * connecting, soft once synchronized; RFC 5927 sequence check; RFC 8201 Packet Too Big), and
 * a SYN reusing a TIME-WAIT 4-tuple (RFC 6191).
 */
#include "sim_tcp_util.h"
#include "wire/icmp6.h"

#define APORT 8080
#define PISN  1000u

enum rst_kind { EXACT, INEXACT, OUTSIDE };

/* A connection of A in state st with the peer p; *sd its socket (-1 when closed by the
 * application), *l the listener (-1 for SYN-SENT). */
static void drive(enum tcp_fsm st, struct peer *p, int *sd, int *l, uint64_t seed)
{
	struct umk_stack_config cfg = sim_cfg();
	cfg.limits.tcp_msl = 2000;   /* TIME_WAIT 4 s */
	peer_setup(seed, &cfg);
	memset(p, 0, sizeof(*p));
	*sd = *l = -1;
	if (st == TCPS_SYN_SENT) {
		*sd = umk_socket(a, AF_INET6, SOCK_STREAM, 0);
		struct sockaddr_in6 to = SA("2001:db8::b", 40000);
		seen_reset();
		umk_connect(a, *sd, (struct sockaddr *)&to, sizeof(to));
		sim_run_for(net, 5);
		const struct tcp_hdr_info *syn = seen_last(TH_SYN);
		assert_non_null(syn);
		p->sport = 40000;
		p->dport = syn->sport;
		p->rcv_nxt = syn->seq + 1;
		p->snd_nxt = 777;
		assert_int_equal(state_of(a, p->dport, p->sport), TCPS_SYN_SENT);
		return;
	}
	*l = listen_on(APORT, 4);
	p->sport = 40000;
	p->dport = APORT;
	if (st == TCPS_SYN_RECEIVED) {
		assert_true(peer_syn(p, PISN));
		assert_int_equal(state_of(a, APORT, p->sport), TCPS_SYN_RECEIVED);
		return;
	}
	*sd = peer_open(p, *l, PISN);
	switch (st) {
	case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2:
	case TCPS_CLOSING:
	case TCPS_TIME_WAIT:
		umk_shutdown(a, *sd, SHUT_WR);   /* A's FIN: FIN-WAIT-1 */
		sim_run_for(net, 5);
		assert_non_null(seen_last(TH_FIN));
		if (st == TCPS_CLOSING) {
			peer_send(p, TH_FIN | TH_ACK, NULL, 0);   /* not acknowledging A's FIN */
			break;
		}
		if (st == TCPS_FIN_WAIT_1)
			break;
		p->rcv_nxt++;
		peer_send(p, TH_ACK, NULL, 0);
		if (st == TCPS_TIME_WAIT)
			peer_send(p, TH_FIN | TH_ACK, NULL, 0);
		break;
	case TCPS_CLOSE_WAIT:
	case TCPS_LAST_ACK:
		peer_send(p, TH_FIN | TH_ACK, NULL, 0);
		if (st == TCPS_LAST_ACK) {
			umk_close(a, *sd);
			*sd = -1;
			sim_run_for(net, 5);
		}
		break;
	default:
		break;
	}
	assert_int_equal(state_of(a, APORT, p->sport), st);
}

struct rst_case {
	enum tcp_fsm state;
	enum rst_kind kind;
	bool resets;          /* the connection is gone (or CLOSED) afterwards */
	int err;              /* the socket's error afterwards, 0 = none */
	const char *counter;  /* must grow by one */
	bool answers;         /* A sends something back (a challenge ACK) */
};

#define SYNCED(st, err) \
	{ st, EXACT, true, err, NULL, false }, \
	{ st, INEXACT, false, 0, "InRstChallenged", true }, \
	{ st, OUTSIDE, false, 0, "InDropRstOutOfWindow", false }

static const struct rst_case cases[] = {
	/* RFC 9293 3.10.7.3 with RFC 5961 3.2: believed only when it acknowledges our SYN */
	{ TCPS_SYN_SENT, EXACT, true, ECONNREFUSED, "ConnectionRefused", false },
	{ TCPS_SYN_SENT, INEXACT, false, 0, "InDropRstOutOfWindow", false },   /* no ACK bit */
	{ TCPS_SYN_SENT, OUTSIDE, false, 0, "InDropSynSentBadAck", false },    /* wrong ACK */
	/* passive SYN-RECEIVED: back to LISTEN, the child goes, nobody is told */
	SYNCED(TCPS_SYN_RECEIVED, 0),
	SYNCED(TCPS_ESTABLISHED, ECONNRESET),
	SYNCED(TCPS_FIN_WAIT_1, ECONNRESET),
	SYNCED(TCPS_FIN_WAIT_2, ECONNRESET),
	SYNCED(TCPS_CLOSE_WAIT, ECONNRESET),
	SYNCED(TCPS_CLOSING, 0),
	SYNCED(TCPS_LAST_ACK, 0),
	SYNCED(TCPS_TIME_WAIT, 0),
};

static void test_rst_table(void **state)
{
	(void)state;
	static const char *const kinds[] = { "exact", "inexact", "outside" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rst_case *c = &cases[i];
		print_message("%s, %s RST\n", tcp_state_names[c->state], kinds[c->kind]);
		struct peer p;
		int sd, l;
		drive(c->state, &p, &sd, &l, 100 + i);
		struct tcp_hdr_info h = peer_seg(&p, TH_RST | TH_ACK);
		if (c->state == TCPS_SYN_SENT) {
			if (c->kind == INEXACT)
				h.flags = TH_RST;
			else if (c->kind == OUTSIDE)
				h.ack = p.rcv_nxt + 1000;
		} else if (c->kind == INEXACT) {
			h.seq += 100;                  /* inside the 256 KiB window */
		} else if (c->kind == OUTSIDE) {
			h.seq += 0x40000000;
		}
		uint64_t before = c->counter ? counter(a, c->counter) : 0;
		uint64_t resets = counter(a, "EstabResets");
		uint64_t chal = counter(a, "ChallengeAcksSent");
		uint64_t rsts = counter(a, "OutRsts");
		seen_reset();
		inject(&h, NULL, 0);
		int st = state_of(a, p.dport, p.sport);
		if (c->resets)
			assert_int_equal(st, TCPS_CLOSED);
		else
			assert_int_equal(st, c->state);
		if (c->counter)
			assert_int_equal(counter(a, c->counter), before + 1);
		assert_int_equal(counter(a, "OutRsts"), rsts);   /* a RST is never answered with one */
		bool estab = c->state == TCPS_ESTABLISHED || c->state == TCPS_CLOSE_WAIT;
		assert_int_equal(counter(a, "EstabResets"), resets + (c->resets && estab));
		if (c->answers) {
			assert_int_equal(counter(a, "ChallengeAcksSent"), chal + 1);
			const struct tcp_hdr_info *ack = seen_last(TH_ACK);
			assert_non_null(ack);
			assert_int_equal(ack->ack, p.snd_nxt);   /* A's RCV.NXT (RFC 5961 3.2) */
			assert_false(ack->flags & (TH_RST | TH_SYN));
		} else {
			assert_int_equal(counter(a, "ChallengeAcksSent"), chal);
			assert_int_equal(n_seen, 0);
		}
		if (sd >= 0) {
			int err = -1;
			socklen_t el = sizeof(err);
			assert_int_equal(umk_getsockopt(a, sd, SOL_SOCKET, SO_ERROR, &err, &el), 0);
			assert_int_equal(err, c->err);
		}
		if (c->state == TCPS_SYN_RECEIVED && l >= 0) {
			/* the listener is still there */
			assert_non_null(listener_of(a, APORT));
		}
		sim_net_free(net);
	}
}

/* RFC 5961 4: a SYN in a synchronized state gets a challenge ACK, wherever it falls. */
static void test_syn_challenge(void **state)
{
	(void)state;
	static const uint32_t offs[] = { 0, 100, 0x40000000u, (uint32_t)-5000 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct peer p;
		int sd, l;
		drive(TCPS_ESTABLISHED, &p, &sd, &l, 200 + i);
		struct tcp_hdr_info h = peer_seg(&p, TH_SYN);
		h.seq += offs[i];
		seen_reset();
		inject(&h, NULL, 0);
		assert_int_equal(state_of(a, APORT, p.sport), TCPS_ESTABLISHED);
		const struct tcp_hdr_info *ack = seen_last(TH_ACK);
		assert_non_null(ack);
		assert_int_equal(ack->ack, p.snd_nxt);
		if (offs[i] == 0 || offs[i] == 100)
			assert_int_equal(counter(a, "InSynChallenged"), 1);
		assert_int_equal(counter(a, "OutRsts"), 0);
		sim_net_free(net);
	}
}

/* RFC 5961 5.2: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT, else a challenge ACK and the
 * segment (with its data) is dropped; RFC 9293 3.10.7.4: an ACK of unsent data likewise. */
static void test_ack_range(void **state)
{
	(void)state;
	struct peer p;
	int sd, l;
	drive(TCPS_ESTABLISHED, &p, &sd, &l, 300);
	assert_int_equal(umk_send(a, sd, "0123456789", 10, 0), 10);
	sim_run_for(net, 5);
	char buf[16];
	struct tcp_hdr_info h = peer_seg(&p, TH_ACK);
	h.ack = p.rcv_nxt + 10 + 1000;         /* never sent */
	inject(&h, "zz", 2);
	assert_int_equal(counter(a, "InDropAckUnsent"), 1);
	assert_int_equal(counter(a, "ChallengeAcksSent"), 1);
	assert_int_equal(umk_recv(a, sd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EAGAIN);
	h.ack = p.rcv_nxt - 70000;             /* older than a whole window (65535) */
	inject(&h, "zz", 2);
	assert_int_equal(counter(a, "InAckChallenged"), 1);
	assert_int_equal(counter(a, "ChallengeAcksSent"), 2);
	assert_int_equal(umk_recv(a, sd, buf, sizeof(buf), 0), -1);
	h.ack = p.rcv_nxt - 1000;              /* old but inside: the data is taken */
	inject(&h, "zz", 2);
	assert_int_equal(umk_recv(a, sd, buf, sizeof(buf), 0), 2);
	assert_int_equal(counter(a, "ChallengeAcksSent"), 2);
	/* RFC 5961 7: challenge ACKs are rate limited */
	struct tcp_hdr_info r = peer_seg(&p, TH_RST);
	r.seq += 2 + 50;
	for (int i = 0; i < 300; i++)
		inject(&r, NULL, 0);
	assert_true(counter(a, "ChallengeAcksRateLimited") > 0);
	assert_int_equal(state_of(a, APORT, p.sport), TCPS_ESTABLISHED);
	sim_net_free(net);
}

/* RFC 7323 5: a segment with an older timestamp than TS.Recent is dropped (and ACKed); the
 * same data with a current timestamp is taken. */
static void test_paws(void **state)
{
	(void)state;
	peer_setup(400, NULL);
	int l = listen_on(APORT, 4);
	struct peer p = { .sport = 40000, .dport = APORT, .ts = true, .tsval = 100000 };
	int sd = peer_open(&p, l, PISN);
	char buf[16];
	p.tsval = 100010;
	peer_send(&p, TH_ACK, "ab", 2);
	assert_int_equal(umk_recv(a, sd, buf, sizeof(buf), 0), 2);
	p.tsval = 99000;                        /* older: a wrapped old duplicate */
	seen_reset();
	struct tcp_hdr_info h = peer_seg(&p, TH_ACK);
	inject(&h, "cd", 2);
	assert_int_equal(counter(a, "InDropPaws"), 1);
	assert_non_null(seen_last(TH_ACK));
	assert_int_equal(umk_recv(a, sd, buf, sizeof(buf), 0), -1);
	p.tsval = 100020;
	peer_send(&p, TH_ACK, "cd", 2);
	assert_int_equal(umk_recv(a, sd, buf, sizeof(buf), 0), 2);
	assert_memory_equal(buf, "cd", 2);
	assert_int_equal(counter(a, "InDropPaws"), 1);
	/* R1 does not apply to a RST: an exact RST with an old timestamp still resets */
	p.tsval = 5;
	h = peer_seg(&p, TH_RST);
	inject(&h, NULL, 0);
	assert_int_equal(state_of(a, APORT, p.sport), TCPS_CLOSED);
	sim_net_free(net);
}

/* Injects an ICMPv6 error from 2001:db8::b quoting A's segment q (A -> B). */
static void inject_icmp(uint8_t type, uint8_t code, uint32_t param, const struct tcp_hdr_info *q)
{
	uint8_t f[14 + 40 + 8 + 40 + 20];
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14, *ic = ip + 40, *qi = ic + 8, *qt = qi + 40;
	struct in6_addr pa, pb;
	inet_pton(AF_INET6, "2001:db8::a", &pa);
	inet_pton(AF_INET6, "2001:db8::b", &pb);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[5] = 8 + 40 + 20;
	ip[6] = 58;
	ip[7] = 64;
	memcpy(ip + 8, &pb, 16);
	memcpy(ip + 24, &pa, 16);
	memset(ic, 0, 8);
	ic[0] = type;
	ic[1] = code;
	ic[4] = (uint8_t)(param >> 24);
	ic[5] = (uint8_t)(param >> 16);
	ic[6] = (uint8_t)(param >> 8);
	ic[7] = (uint8_t)param;
	memset(qi, 0, 40);
	qi[0] = 0x60;
	qi[5] = 20;
	qi[6] = 6;
	qi[7] = 64;
	memcpy(qi + 8, &pa, 16);
	memcpy(qi + 24, &pb, 16);
	struct tcp_hdr_info c = *q;
	memset(&c.opt, 0, sizeof(c.opt));
	tcp_emit(qt, &c);
	uint16_t s = csum_ip6(&pb, &pa, 58, ic, 8 + 40 + 20);
	ic[2] = (uint8_t)(s >> 8);
	ic[3] = (uint8_t)s;
	sim_inject(net, link0, f, sizeof(f));
	sim_run_for(net, 5);
}

static void test_icmp_errors(void **state)
{
	(void)state;
	/* connecting: hard (RFC 5461 4 / RFC 1122 4.2.3.9) */
	struct peer p;
	int sd, l;
	drive(TCPS_SYN_SENT, &p, &sd, &l, 500);
	const struct tcp_hdr_info *syn = seen_last(TH_SYN);
	struct tcp_hdr_info q = *syn;
	inject_icmp(ICMP6_DST_UNREACH, ICMP6_DU_NOROUTE, 0, &q);
	assert_int_equal(counter(a, "InIcmpHardErrors"), 1);
	assert_int_equal(state_of(a, p.dport, p.sport), TCPS_CLOSED);
	int err = 0;
	socklen_t el = sizeof(err);
	umk_getsockopt(a, sd, SOL_SOCKET, SO_ERROR, &err, &el);
	assert_int_equal(err, ENETUNREACH);
	sim_net_free(net);

	/* synchronized: soft; only a quote of data in flight is believed (RFC 5927 4.1) */
	drive(TCPS_ESTABLISHED, &p, &sd, &l, 501);
	seen_reset();
	static char big[2 * 1440];   /* whole segments: the last one seen is full-sized */
	assert_int_equal(umk_send(a, sd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	sim_run_for(net, 5);
	const struct tcp_hdr_info *d = seen_last(TH_ACK);
	assert_non_null(d);
	q = *d;
	assert_int_equal(q.payload_len, 1440);       /* the peer's MSS */
	inject_icmp(ICMP6_DST_UNREACH, ICMP6_DU_ADDR, 0, &q);
	assert_int_equal(counter(a, "InIcmpSoftErrors"), 1);
	assert_int_equal(state_of(a, APORT, p.sport), TCPS_ESTABLISHED);
	q.seq += 1000000;
	inject_icmp(ICMP6_DST_UNREACH, ICMP6_DU_ADDR, 0, &q);
	assert_int_equal(counter(a, "InIcmpErrorBadSeq"), 1);
	assert_int_equal(counter(a, "InIcmpSoftErrors"), 1);
	/* RFC 8201: Packet Too Big lowers the MSS and what is in flight goes again, smaller */
	q.seq -= 1000000;
	seen_reset();
	inject_icmp(ICMP6_PACKET_TOO_BIG, 0, 1280, &q);
	assert_int_equal(counter(a, "InIcmpPacketTooBig"), 1);
	assert_int_equal(tcb_of(a, APORT, p.sport)->mss, 1280 - 60);
	d = seen_last(TH_ACK);
	assert_non_null(d);
	assert_true(d->payload_len > 0 && d->payload_len <= 1220);
	/* a soft error is what a later timeout reports (RFC 1122 4.2.3.9) */
	sim_run_for(net, 700000);   /* 15 backed-off retransmissions: about 10 min */
	el = sizeof(err);
	umk_getsockopt(a, sd, SOL_SOCKET, SO_ERROR, &err, &el);
	assert_int_equal(err, EHOSTUNREACH);
	sim_net_free(net);
}

/* RFC 6191 / RFC 9293 3.10.7.4: a SYN for a TIME-WAIT 4-tuple opens a new connection when it
 * is clearly newer (a higher sequence number, or with timestamps a higher TSval even with a
 * lower sequence number); an old one gets a challenge ACK and TIME-WAIT stays. */
static void test_time_wait_reuse(void **state)
{
	(void)state;
	for (int ts = 0; ts < 2; ts++) {
		struct peer p;
		int sd, l;
		drive(TCPS_TIME_WAIT, &p, &sd, &l, 600 + (uint64_t)ts);
		(void)sd;
		if (ts) {
			/* timestamps: a fresh connection in TIME-WAIT with TS */
			sim_net_free(net);
			struct umk_stack_config cfg = sim_cfg();
			cfg.limits.tcp_msl = 2000;
			peer_setup(610, &cfg);
			l = listen_on(APORT, 4);
			p = (struct peer){ .sport = 40000, .dport = APORT, .ts = true, .tsval = 5000 };
			sd = peer_open(&p, l, PISN);
			umk_shutdown(a, sd, SHUT_WR);
			sim_run_for(net, 5);
			p.rcv_nxt++;
			peer_send(&p, TH_ACK, NULL, 0);
			peer_send(&p, TH_FIN | TH_ACK, NULL, 0);
			assert_int_equal(state_of(a, APORT, p.sport), TCPS_TIME_WAIT);
		}
		/* old: below RCV.NXT, no newer timestamp */
		struct tcp_hdr_info h = seg(p.sport, APORT, p.snd_nxt - 10, 0, TH_SYN);
		if (ts) {
			h.opt.present = TCPO_TS;
			h.opt.tsval = p.tsval - 1;
		}
		seen_reset();
		inject(&h, NULL, 0);
		assert_int_equal(state_of(a, APORT, p.sport), TCPS_TIME_WAIT);
		assert_int_equal(counter(a, "TimeWaitRecycled"), 0);
		assert_null(seen_last(TH_SYN));
		/* newer */
		h.seq = ts ? p.snd_nxt - 20 : p.snd_nxt + 100000;
		if (ts)
			h.opt.tsval = p.tsval + 100;
		seen_reset();
		inject(&h, NULL, 0);
		assert_int_equal(counter(a, "TimeWaitRecycled"), 1);
		assert_int_equal(state_of(a, APORT, p.sport), TCPS_SYN_RECEIVED);
		const struct tcp_hdr_info *sa = seen_last(TH_SYN | TH_ACK);
		assert_non_null(sa);
		assert_int_equal(sa->ack, h.seq + 1);
		sim_net_free(net);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rst_table),
		cmocka_unit_test(test_syn_challenge),
		cmocka_unit_test(test_ack_range),
		cmocka_unit_test(test_paws),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_time_wait_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
