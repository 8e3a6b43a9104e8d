/*
 * sim_tcp_ctl_send.c - the daemon's side of remote stream sends (socket/sock_ctl.c,
 * ctl/msg.h CTL_F_NOREPLY): a send answered tells the space the send buffer has left
 * (A_SNDSPACE, what the client may then send ahead without waiting); a send ahead gets no
 * answer and its bytes arrive; a send ahead that fails (the connection was reset) leaves
 * its error in the socket, and the next call gets it. Topology: sim_tcp_util.h's A and B,
 * the requests built as ctl/remote.c builds them and handed to B's sock_ctl_handle.
 */
#define _GNU_SOURCE
#include "sim_tcp_util.h"

#include "ctl/msg.h"
#include "socket/sock_ctl.h"
#include "socket/sock_int.h"

static uint8_t req[CTL_MSG_MAX], rep[CTL_MSG_MAX];
static int owner;
static void no_ev(void *ctx, int sd, short ev) { (void)ctx; (void)sd; (void)ev; }

/* B's SENDMSG of n bytes ('x'); returns the reply's length (0: no reply), parsed into r. */
static int sendmsg_req(int sd, size_t n, uint16_t flags, struct ctl_msg *r)
{
	static uint8_t data[32768];
	memset(data, 'x', sizeof(data));
	struct ctl_builder cb;
	struct ctl_msg m;
	ctl_build_begin(&cb, req, sizeof(req), CTL_MSG_SOCK_SENDMSG, CTL_F_REQUEST | flags, 7);
	ctl_put_u32(&cb, A_SD, (uint32_t)sd);
	ctl_put(&cb, A_DATA, data, n);
	ctl_put_u32(&cb, A_MSGFLAGS, 0);
	int len = ctl_build_end(&cb);
	assert_true(len > 0);
	assert_int_equal(ctl_msg_parse(req, (size_t)len, &m), 0);
	int k = sock_ctl_handle(b, &owner, no_ev, NULL, &m, rep, sizeof(rep));
	if (k > 0)
		assert_int_equal(ctl_msg_parse(rep, (size_t)k, r), 0);
	return k;
}

static ssize_t drain(int sd)
{
	static uint8_t buf[65536];
	ssize_t total = 0, n;
	while ((n = umk_recv(a, sd, buf, sizeof(buf), 0)) > 0)
		total += n;
	return total;
}

static void test_space_ahead_and_error(void **state)
{
	(void)state;
	two_stacks_cfg(51, NULL);
	int sa, sb, l;
	connect_pair(&sa, &sb, &l);
	sock_get(b, sb)->owner = &owner;
	struct ctl_msg r;
	int32_t e = -1;
	uint64_t ret = 0;
	uint32_t space = 0;

	/* answered: the result and the space left */
	assert_true(sendmsg_req(sb, 1000, 0, &r) > 0);
	assert_true(ctl_get_s32(&r, A_ERRNO, &e));
	assert_int_equal(e, 0);
	assert_true(ctl_get_u64(&r, A_RET, &ret));
	assert_int_equal(ret, 1000);
	assert_true(ctl_get_u32(&r, A_SNDSPACE, &space));
	struct tcpcb *tp = tcb_of(b, sock_get(b, sb)->lport, 80);
	assert_non_null(tp);
	assert_int_equal(space, ring_free(&tp->sq));
	assert_true(space >= 20000);

	/* ahead: no answer, the bytes arrive */
	assert_int_equal(sendmsg_req(sb, 20000, CTL_F_NOREPLY, &r), 0);
	sim_run_for(net, 50);
	assert_int_equal(drain(sa), 21000);

	/* A closes with unread data, which resets the connection (RFC 2525 2.17); B's send
	 * ahead fails, and its next call says why */
	assert_true(sendmsg_req(sb, 100, 0, &r) > 0);
	sim_run_for(net, 50);
	umk_close(a, sa);
	sim_run_for(net, 50);
	assert_int_equal(sendmsg_req(sb, 100, CTL_F_NOREPLY, &r), 0);
	assert_true(sock_get(b, sb)->error != 0);
	assert_true(sendmsg_req(sb, 100, 0, &r) > 0);
	assert_true(ctl_get_s32(&r, A_ERRNO, &e));
	assert_true(e == ECONNRESET || e == EPIPE);
	umk_close(b, sb);
	umk_close(a, l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_space_ahead_and_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
