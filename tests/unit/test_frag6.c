/*
 * test_frag6.c - reassembly (RFC 8200 4.5, RFC 5722, RFC 6946, RFC 7112) through the whole
 * receive path: an echo request to 2001:db8::1 cut in fragments is fed in various orders;
 * a reassembled request is answered (the answer is itself fragmented on the way out).
 * Also checked against a naive model with random fragment sets (STYLE.md).
 *
 *   [test, 2001:db8::2] --- eth0 --- [stack, 2001:db8::1]     (see dp_harness.h)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dp_harness.h"

static struct in6_addr SRC, DST;
static uint8_t msg[8192];            /* the whole ICMPv6 echo request */
static uint32_t msg_len;

static void make_echo(uint32_t data_len, uint16_t seq)
{
	SRC = A("2001:db8::2");
	DST = A("2001:db8::1");
	icmp6_echo_emit(msg, ICMP6_ECHO_REQUEST, 0x77, seq);
	for (uint32_t i = 0; i < data_len; i++)
		msg[8 + i] = (uint8_t)(i * 7 + seq);
	msg_len = 8 + data_len;
	dp_icmp_csum(msg, msg_len, &SRC, &DST);
}

/* Sends bytes [off, off+len) of msg as a fragment. */
static void send_frag(uint32_t id, uint32_t off, uint32_t len, bool more)
{
	uint8_t pay[2000], f[2100];
	struct ip6_fraghdr fh = { .nxt = 58, .offset = (uint16_t)off, .more = more, .id = id };
	ip6_fraghdr_emit(pay, &fh);
	memcpy(pay + 8, msg + (off + len <= sizeof(msg) ? off : 0), len); /* far offsets: any bytes */
	size_t n = dp_frame(f, MAC_US, &SRC, &DST, 44, 64, pay, 8 + len);
	umk_input(H.s, H.ifx, f, n);
}

/* Puts the recorded reply back together; true when it is the echo reply to msg. */
static bool reply_ok(void)
{
	static uint8_t r[8192];
	uint32_t got = 0, total = 0;
	bool last = false;
	for (int i = 0; i < H.n; i++) {
		struct dp_seen v;
		if (dp_parse(i, &v) || !v.frag)
			continue;
		const uint8_t *ip = H.frame[i] + 14;
		uint32_t dlen = v.ip.plen - 8;
		if (v.fh.offset + dlen > sizeof(r))
			return false;
		memcpy(r + v.fh.offset, ip + 48, dlen);
		got += dlen;
		if (!v.fh.more) {
			last = true;
			total = v.fh.offset + dlen;
		}
	}
	if (!last || got != total || total != msg_len)
		return false;
	if (r[0] != ICMP6_ECHO_REPLY || csum_ip6(&DST, &SRC, 58, r, total) != 0)
		return false;
	return memcmp(r + 4, msg + 4, msg_len - 4) == 0;
}

struct piece { uint32_t off, len; };

struct reasm_case {
	const char *name;
	struct piece p[6];
	int n;
	bool expect_reply;
	int counter;                  /* must move */
};

/* msg is 3008 bytes: 8 + 3000 */
static const struct reasm_case cases[] = {
	{ "in order", { { 0, 1448 }, { 1448, 1448 }, { 2896, 112 } }, 3, true, CNT_IP6_REASM_OKS },
	{ "reverse", { { 2896, 112 }, { 1448, 1448 }, { 0, 1448 } }, 3, true, CNT_IP6_REASM_OKS },
	{ "middle first", { { 1448, 1448 }, { 0, 1448 }, { 2896, 112 } }, 3, true,
	  CNT_IP6_REASM_OKS },
	{ "exact duplicate dropped alone",
	  { { 0, 1448 }, { 0, 1448 }, { 1448, 1448 }, { 2896, 112 } }, 4, true,
	  CNT_IP6_REASM_DUPLICATES },
	{ "overlap abandons the datagram (RFC 5722)",
	  { { 0, 1448 }, { 1440, 1448 }, { 1448, 1448 }, { 2896, 112 } }, 4, false,
	  CNT_IP6_REASM_OVERLAPS },
	{ "overlap inside", { { 0, 1448 }, { 1448, 1448 }, { 8, 16 }, { 2896, 112 } }, 4, false,
	  CNT_IP6_REASM_OVERLAPS },
	{ "missing middle", { { 0, 1448 }, { 2896, 112 } }, 2, false, CNT_IP6_REASM_REQDS },
	{ "last fragment disagrees on the end", { { 2896, 112 }, { 1448, 1600 } }, 2, false,
	  CNT_IP6_REASM_INCONSISTENT },
};

static void test_reassembly_cases(void **state)
{
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct reasm_case *c = &cases[k];
		dp_setup(true);
		if (!dp_have_addrs()) {
			dp_teardown();
			skip();
		}
		print_message("case: %s\n", c->name);
		make_echo(3000, (uint16_t)k);
		uint64_t before = H.s->counters[c->counter];
		for (int i = 0; i < c->n; i++) {
			uint32_t end = c->p[i].off + c->p[i].len;
			send_frag(100 + (uint32_t)k, c->p[i].off, c->p[i].len, end < msg_len);
		}
		assert_true(H.s->counters[c->counter] > before);
		assert_int_equal(reply_ok(), c->expect_reply);
		if (!c->expect_reply)
			assert_int_equal(H.n, 0);
		dp_teardown();
	}
}

/* RFC 8200 4.5: after 60 s, Time Exceeded code 1 quoting the first fragment, only if it
 * arrived. */
static void test_timeout(void **state)
{
	for (int with_first = 0; with_first < 2; with_first++) {
		dp_setup(true);
		if (!dp_have_addrs()) {
			dp_teardown();
			skip();
		}
		make_echo(3000, 1);
		send_frag(9, with_first ? 0 : 1448, 1448, true);
		struct dp_seen v;
		umk_timers_run(H.s, 1000 + 59999);
		assert_int_equal(dp_find_icmp(ICMP6_TIME_EXCEEDED, &v), -1);
		umk_timers_run(H.s, 1000 + 60000);
		assert_int_equal(H.s->counters[CNT_IP6_REASM_TIMEOUT], 1);
		int i = dp_find_icmp(ICMP6_TIME_EXCEEDED, &v);
		if (!with_first) {
			assert_int_equal(i, -1);
		} else {
			assert_true(i >= 0);
			assert_int_equal(v.l4[1], ICMP6_TE_REASM);
			/* quotes the fragment as it arrived: its IPv6 header says Fragment */
			assert_int_equal(v.l4[8 + 6], IPPROTO6_FRAGMENT);
		}
		dp_teardown();
	}
}

/* Parameter Problems of RFC 8200 4.5 and RFC 7112, with their pointers. */
static void test_frag_errors(void **state)
{
	dp_setup(true);
	if (!dp_have_addrs()) {
		dp_teardown();
		skip();
	}
	struct dp_seen v;
	make_echo(3000, 2);

	/* M=1 and a length not a multiple of 8: code 0 at Payload Length */
	send_frag(1, 0, 1001, true);
	assert_true(dp_find_icmp(ICMP6_PARAM_PROB, &v) >= 0);
	assert_int_equal(v.l4[1], ICMP6_PP_HEADER);
	assert_int_equal(v.l4[7], 4);
	dp_clear();

	/* beyond 65535: code 0 at the Fragment Offset field (40 + 2) */
	send_frag(2, 65528, 16, true);
	assert_true(dp_find_icmp(ICMP6_PARAM_PROB, &v) >= 0);
	assert_int_equal(v.l4[1], ICMP6_PP_HEADER);
	assert_int_equal(v.l4[7], 42);
	dp_clear();

	/* a first fragment whose Destination Options header runs past it: code 3, ptr 0 */
	uint8_t pay[64], f[128];
	struct ip6_fraghdr fh = { .nxt = 60, .offset = 0, .more = true, .id = 3 };
	ip6_fraghdr_emit(pay, &fh);
	memset(pay + 8, 0, 16);
	pay[8] = 58;
	pay[9] = 3; /* 32 bytes, only 16 here */
	size_t n = dp_frame(f, MAC_US, &SRC, &DST, 44, 64, pay, 24);
	umk_input(H.s, H.ifx, f, n);
	assert_true(dp_find_icmp(ICMP6_PARAM_PROB, &v) >= 0);
	assert_int_equal(v.l4[1], ICMP6_PP_INCOMPLETE_CHAIN);
	assert_int_equal(v.l4[7], 0);
	assert_int_equal(H.s->counters[CNT_IP6_REASM_INCOMPLETE_CHAIN], 1);
	dp_teardown();
}

/* Bounded queues and memory (s->limits), counted when hit. */
static void test_limits(void **state)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.limits.max_reasm_queues = 2;
	cfg.limits.max_reasm_bytes = 3 * 2048;
	dp_setup_cfg(&cfg, true);
	if (!dp_have_addrs()) {
		dp_teardown();
		skip();
	}
	make_echo(3000, 3);
	send_frag(1, 0, 1448, true);
	send_frag(2, 0, 1448, true);
	send_frag(3, 0, 1448, true);
	assert_int_equal(H.s->counters[CNT_IP6_REASM_QUEUES_FULL], 1);
	send_frag(1, 1448, 1448, true);
	send_frag(2, 1448, 1448, true);
	assert_int_equal(H.s->counters[CNT_IP6_REASM_MEM_FULL], 1);
	/* after the timeout everything is released and reassembly works again */
	umk_timers_run(H.s, 1000 + 61000);
	dp_clear();
	send_frag(4, 0, 1448, true);
	send_frag(4, 1448, 1448, true);
	send_frag(4, 2896, 112, false);
	assert_true(reply_ok());
	dp_teardown();
}

/* The naive model: a datagram completes when its fragments cover it without any overlap
 * other than exact duplicates; any other overlap abandons it for good (RFC 5722). */
static void test_model_random(void **state)
{
	dp_setup(true);
	if (!dp_have_addrs()) {
		dp_teardown();
		skip();
	}
	srand(1234);
	umk_time_t now = 1000;
	int n_ok = 0, n_dead = 0;
	for (int round = 0; round < 300; round++) {
		make_echo(1500, (uint16_t)round); /* msg_len 1508 */
		uint32_t units = (msg_len + 7) / 8;
		struct piece seq[64];
		int n = 0;
		/* some random pieces (maybe overlapping, maybe duplicated) ... */
		int extra = rand() % 4;
		for (int i = 0; i < extra; i++) {
			if (n && rand() % 3 == 0) {
				seq[n] = seq[rand() % n];
				n++;
				continue;
			}
			uint32_t a = (uint32_t)rand() % units, b = a + 1 + (uint32_t)rand() % 40;
			if (b > units)
				b = units;
			seq[n].off = a * 8;
			seq[n].len = (b == units ? msg_len : b * 8) - a * 8;
			n++;
		}
		/* ... then a clean partition in random order */
		struct piece part[16];
		int np = 0;
		for (uint32_t u = 0; u < units;) {
			uint32_t step = 1 + (uint32_t)rand() % 60, e = u + step > units ? units : u + step;
			part[np].off = u * 8;
			part[np].len = (e == units ? msg_len : e * 8) - u * 8;
			np++;
			u = e;
		}
		for (int i = np - 1; i > 0; i--) {
			int j = rand() % (i + 1);
			struct piece t = part[i];
			part[i] = part[j];
			part[j] = t;
		}
		for (int i = 0; i < np; i++)
			seq[n++] = part[i];

		/* model */
		bool dead = false, done = false;
		int done_at = -1;
		struct piece have[64];
		int nh = 0;
		for (int i = 0; i < n && !done && !dead; i++) {
			bool dup = false, ov = false;
			for (int j = 0; j < nh; j++) {
				uint32_t s0 = have[j].off, e0 = s0 + have[j].len;
				uint32_t s1 = seq[i].off, e1 = s1 + seq[i].len;
				if (s1 < e0 && s0 < e1) {
					if (s0 == s1 && e0 == e1)
						dup = true;
					else
						ov = true;
				}
			}
			if (ov) {
				dead = true;
				break;
			}
			if (!dup)
				have[nh++] = seq[i];
			uint32_t cov = 0;
			for (int j = 0; j < nh; j++)
				cov += have[j].len;
			if (cov == msg_len) {
				done = true;
				done_at = i;
			}
		}

		/* the stack */
		uint64_t ok0 = H.s->counters[CNT_IP6_REASM_OKS];
		uint64_t ov0 = H.s->counters[CNT_IP6_REASM_OVERLAPS];
		uint32_t id = 5000 + (uint32_t)round;
		int last = done ? done_at : n - 1;
		for (int i = 0; i <= last; i++) {
			uint32_t end = seq[i].off + seq[i].len;
			send_frag(id, seq[i].off, seq[i].len, end < msg_len);
		}
		assert_int_equal(H.s->counters[CNT_IP6_REASM_OKS] - ok0, done ? 1 : 0);
		assert_int_equal(H.s->counters[CNT_IP6_REASM_OVERLAPS] - ov0, dead ? 1 : 0);
		assert_int_equal(reply_ok(), done);
		n_ok += done;
		n_dead += dead;
		now += 61000;
		umk_timers_run(H.s, now);
		dp_clear();
	}
	/* the generator exercises both outcomes */
	assert_true(n_ok > 50 && n_dead > 50);
	dp_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reassembly_cases),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_frag_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_model_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
