/*
 * sim_tcp_urg.c - TCP urgent data (RFC 9293 3.8.5 MUST-30 to MUST-33, RFC 6093) between two
 * stacks and against a hand-made peer: send(MSG_OOB) sets URG with the pointer on the octet
 * after the urgent data, the receiver signals POLLPRI, reads stop at the mark,
 * umk_sockatmark() finds it, recv(MSG_OOB) returns the out-of-band octet (or EINVAL with
 * SO_OOBINLINE, where it stays in the stream), and an urgent pointer far beyond the segment
 * (a long run of urgent data) is held until its data arrives.
 */
#define _GNU_SOURCE             /* struct in6_pktinfo, for socket/sock_int.h */
#include "sim_tcp_util.h"
#include "ctl/msg.h"
#include "socket/sock_ctl.h"
#include "socket/sock_int.h"

static short poll_ev(struct umk_stack *s, int sd, short events)
{
	struct umk_pollfd p = { .sd = sd, .events = events };
	umk_poll(s, &p, 1, 0);
	return p.revents;
}

static void urgent_pair(bool oobinline)
{
	two_stacks_cfg(21, NULL);
	int sa, sb, l;
	connect_pair(&sa, &sb, &l);
	if (oobinline) {
		int one = 1;
		assert_int_equal(umk_setsockopt(a, sa, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
		int v = 0;
		socklen_t vl = sizeof(v);
		assert_int_equal(umk_getsockopt(a, sa, SOL_SOCKET, SO_OOBINLINE, &v, &vl), 0);
		assert_int_equal(v, 1);
	}
	assert_int_equal(umk_send(b, sb, "hello", 5, 0), 5);
	sim_run_for(net, 10);
	assert_false(poll_ev(a, sa, POLLPRI) & POLLPRI);
	assert_int_equal(umk_sockatmark(a, sa), 0);
	/* the urgent data is "abc!"; the pointer is the octet after '!' */
	assert_int_equal(umk_send(b, sb, "abc!", 4, MSG_OOB), 4);
	sim_run_for(net, 10);
	assert_true(counter(b, "OutUrgentSegs") >= 1);
	assert_int_equal(counter(a, "InUrgentPointers"), 1);
	assert_true(poll_ev(a, sa, POLLPRI | POLLIN) & POLLPRI);   /* MUST-32 */
	char buf[64];
	/* reads stop at the mark (MUST-33): the octets before the urgent one */
	assert_int_equal(umk_recv(a, sa, buf, sizeof(buf), 0), 8);
	assert_memory_equal(buf, "helloabc", 8);
	assert_int_equal(umk_sockatmark(a, sa), 1);
	assert_int_equal(umk_send(b, sb, "tail", 4, 0), 4);
	sim_run_for(net, 10);
	if (!oobinline) {
		assert_int_equal(umk_recv(a, sa, buf, 1, MSG_OOB | MSG_PEEK), 1);
		assert_int_equal(buf[0], '!');
		assert_int_equal(umk_recv(a, sa, buf, 1, MSG_OOB), 1);
		assert_int_equal(buf[0], '!');
		assert_false(poll_ev(a, sa, POLLPRI) & POLLPRI);
		assert_int_equal(umk_recv(a, sa, buf, 1, MSG_OOB), -1);
		assert_int_equal(errno, EINVAL);        /* read already */
		assert_int_equal(umk_recv(a, sa, buf, sizeof(buf), 0), 4);
		assert_memory_equal(buf, "tail", 4);    /* the octet left the stream */
	} else {
		assert_int_equal(umk_recv(a, sa, buf, 1, MSG_OOB), -1);
		assert_int_equal(errno, EINVAL);        /* SO_OOBINLINE: it is in the stream */
		assert_int_equal(umk_recv(a, sa, buf, sizeof(buf), 0), 5);
		assert_memory_equal(buf, "!tail", 5);
		assert_false(poll_ev(a, sa, POLLPRI) & POLLPRI);
	}
	assert_int_equal(umk_sockatmark(a, sa), 0);
	/* once acknowledged, B's segments stop carrying URG */
	uint64_t urg = counter(b, "OutUrgentSegs");
	assert_int_equal(umk_send(b, sb, "more", 4, 0), 4);
	sim_run_for(net, 100);
	assert_int_equal(counter(b, "OutUrgentSegs"), urg);
	/* datagram sockets have no urgent data */
	int u = umk_socket(b, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 to = SA("2001:db8::a", 9);
	assert_int_equal(umk_sendto(b, u, "x", 1, MSG_OOB, (struct sockaddr *)&to, sizeof(to)), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	sim_net_free(net);
}

static void test_oob_byte(void **state) { (void)state; urgent_pair(false); }
static void test_oob_inline(void **state) { (void)state; urgent_pair(true); }

/* MUST-30: urgent data of any length. The peer's pointer runs 3000 octets past a 1000-octet
 * segment; the mark waits for its data, later segments repeating the pointer are not news,
 * and the octet at pointer - 1 becomes the out-of-band one. Our own MSG_OOB send carries the
 * RFC 6093 pointer. */
static void test_long_urgent(void **state)
{
	(void)state;
	peer_setup(22, NULL);
	int l = listen_on(8080, 4);
	struct peer p = { .sport = 40001, .dport = 8080 };
	int sd = peer_open(&p, l, 5000);
	uint8_t data[3000];
	for (int i = 0; i < 3000; i++)
		data[i] = (uint8_t)i;
	uint32_t up = p.snd_nxt + 3000;
	for (int i = 0; i < 3; i++) {
		struct tcp_hdr_info h = peer_seg(&p, TH_ACK | TH_URG);
		h.urp = (uint16_t)(up - p.snd_nxt);
		inject(&h, data + 1000 * i, 1000);
		p.snd_nxt += 1000;
		if (i == 0) {
			char c;
			assert_int_equal(umk_recv(a, sd, &c, 1, MSG_OOB), -1);
			assert_int_equal(errno, EAGAIN);   /* the urgent octet is still to come */
			assert_true(poll_ev(a, sd, POLLPRI) & POLLPRI);
		}
	}
	assert_int_equal(counter(a, "InUrgentPointers"), 1);
	uint8_t in[3000];
	ssize_t got = 0, r;
	while ((r = umk_recv(a, sd, in + got, sizeof(in) - (size_t)got, 0)) > 0)
		got += r;
	assert_int_equal(got, 2999);              /* up to the mark */
	assert_memory_equal(in, data, 2999);
	assert_int_equal(umk_sockatmark(a, sd), 1);
	char c;
	assert_int_equal(umk_recv(a, sd, &c, 1, MSG_OOB), 1);
	assert_int_equal((uint8_t)c, data[2999]);
	/* a stale pointer (into data already read) is ignored */
	struct tcp_hdr_info h = peer_seg(&p, TH_ACK | TH_URG);
	h.seq = p.snd_nxt - 1000;
	h.urp = 10;
	inject(&h, data, 1000);
	assert_int_equal(counter(a, "InUrgentPointers"), 1);

	/* our side: the pointer is the octet after the urgent data */
	seen_reset();
	assert_int_equal(umk_send(a, sd, "xyz", 3, MSG_OOB), 3);
	sim_run_for(net, 5);
	const struct tcp_hdr_info *o = seen_last(TH_URG);
	assert_non_null(o);
	assert_int_equal(o->payload_len, 3);
	assert_int_equal(o->urp, 3);
	assert_int_equal(o->seq, p.rcv_nxt);
	sim_net_free(net);
}

/* ---- through the remote socket API's server side (socket/sock_ctl.c) ----
 * A's socket is handed to a control connection ("owner") and read with SOCK_RECVMSG
 * requests as umikamed runs them for a remote client (ctl/remote.c sends MSG_OOB along). */
static uint8_t req_buf[CTL_MSG_MAX], rep_buf[CTL_MSG_MAX];
static int owner;
static void no_ev(void *ctx, int sd, short ev) { }

/* SOCK_RECVMSG of up to 64 octets with flags; the reply's errno, data copied to out. */
static int remote_recv(int sd, uint32_t flags, char *out, size_t *n)
{
	struct ctl_builder bld;
	struct ctl_msg m, r;
	ctl_build_begin(&bld, req_buf, sizeof(req_buf), CTL_MSG_SOCK_RECVMSG, 0, 1);
	ctl_put_u32(&bld, A_SD, (uint32_t)sd);
	ctl_put_u32(&bld, A_BUFLEN, 64);
	ctl_put_u32(&bld, A_MSGFLAGS, flags);
	int len = ctl_build_end(&bld);
	assert_true(len > 0);
	assert_int_equal(ctl_msg_parse(req_buf, (size_t)len, &m), 0);
	int k = sock_ctl_handle(a, &owner, no_ev, NULL, &m, rep_buf, sizeof(rep_buf));
	assert_true(k > 0);
	assert_int_equal(ctl_msg_parse(rep_buf, (size_t)k, &r), 0);
	int32_t e = -1;
	ctl_get_s32(&r, A_ERRNO, &e);
	*n = 0;
	if (!e && ctl_get_bytes(&r, A_DATA)) {
		*n = r.attr[A_DATA].len;
		memcpy(out, ctl_get_bytes(&r, A_DATA), *n);
	}
	return e;
}

static void test_oob_remote(void **state)
{
	(void)state;
	two_stacks_cfg(22, NULL);
	int sa, sb, l;
	connect_pair(&sa, &sb, &l);
	sock_get(a, sa)->owner = &owner;
	char buf[64];
	size_t n;
	assert_int_equal(remote_recv(sa, MSG_OOB, buf, &n), EINVAL);   /* no urgent data */
	assert_int_equal(umk_send(b, sb, "ab!", 3, MSG_OOB), 3);
	sim_run_for(net, 10);
	assert_int_equal(remote_recv(sa, 0, buf, &n), 0);
	assert_int_equal(n, 2);                                         /* up to the mark */
	assert_int_equal(remote_recv(sa, MSG_OOB, buf, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(buf[0], '!');
	assert_int_equal(remote_recv(sa, MSG_OOB, buf, &n), EINVAL);   /* read already */
	sock_ctl_release(a, &owner);
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oob_byte),
		cmocka_unit_test(test_oob_inline),
		cmocka_unit_test(test_long_urgent),
		cmocka_unit_test(test_oob_remote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
