/*
 * test_wire_tcp.c - the TCP header and option parser and emitter (wire/tcp.c): a table of
 * option lists with the verdict and fields each must give (including the lengths that must
 * be refused), a header table, and emit/parse round trips of every option combination.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wire/tcp.h"

struct opt_case {
	const char *name;
	uint8_t bytes[40];
	size_t len;
	int err;
	uint8_t present;
	uint16_t mss;
	uint8_t wscale, n_sack;
	uint32_t tsval, tsecr;
};

static const struct opt_case opt_cases[] = {
	{ "empty", {0}, 0, TCP_OK, 0, 0, 0, 0, 0, 0 },
	{ "Linux SYN: MSS SACKOK TS NOP WS",
	  { 2, 4, 0x05, 0xa0, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 }, 20, TCP_OK,
	  TCPO_MSS | TCPO_SACK_OK | TCPO_TS | TCPO_WSCALE, 1440, 7, 0, 1, 0 },
	{ "NOPs then EOL stops", { 1, 1, 0, 2, 4, 5, 0xb4 }, 7, TCP_OK, 0, 0, 0, 0, 0, 0 },
	{ "SACK two blocks", { 1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 9 }, 20,
	  TCP_OK, TCPO_SACK, 0, 0, 2, 0, 0 },
	{ "MSS with length 3", { 2, 3, 5, 1 }, 4, TCP_ERR_OPTION, 0, 0, 0, 0, 0, 0 },
	{ "WS with length 4", { 3, 4, 7, 0 }, 4, TCP_ERR_OPTION, 0, 0, 0, 0, 0, 0 },
	{ "TS with length 8", { 8, 8, 0, 0, 0, 1, 0, 0 }, 8, TCP_ERR_OPTION, 0, 0, 0, 0, 0, 0 },
	{ "SACK length not 2+8n", { 5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0 }, 11, TCP_ERR_OPTION, 0, 0,
	  0, 0, 0, 0 },
	{ "SACK five blocks", { 5, 42 }, 40, TCP_ERR_OPTION, 0, 0, 0, 0, 0, 0 },
	{ "length zero", { 30, 0, 1, 1 }, 4, TCP_ERR_OPTION, 0, 0, 0, 0, 0, 0 },
	{ "length one", { 30, 1, 1, 1 }, 4, TCP_ERR_OPTION, 0, 0, 0, 0, 0, 0 },
	{ "runs past the end", { 1, 1, 2, 4, 5 }, 5, TCP_ERR_OPTION, 0, 0, 0, 0, 0, 0 },
	{ "kind without length", { 1, 1, 1, 2 }, 4, TCP_ERR_OPTION, 0, 0, 0, 0, 0, 0 },
	{ "unknown kind skipped", { 30, 4, 9, 9, 2, 4, 1, 0 }, 8, TCP_OK, TCPO_MSS, 256, 0, 0, 0,
	  0 },
	{ "second MSS ignored", { 2, 4, 1, 0, 2, 4, 2, 0 }, 8, TCP_OK, TCPO_MSS, 256, 0, 0, 0, 0 },
	{ "SACK-Permitted with length 3", { 4, 3, 0, 1 }, 4, TCP_ERR_OPTION, 0, 0, 0, 0, 0, 0 },
};

static void test_options_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++) {
		const struct opt_case *c = &opt_cases[i];
		struct tcp_opts o;
		int r = tcp_opts_parse(c->bytes, c->len, &o);
		if (r != c->err)
			fail_msg("%s: got %d, want %d", c->name, r, c->err);
		if (r)
			continue;
		if (o.present != c->present)
			fail_msg("%s: present %#x, want %#x", c->name, o.present, c->present);
		if ((c->present & TCPO_MSS) && o.mss != c->mss)
			fail_msg("%s: mss %u", c->name, o.mss);
		if ((c->present & TCPO_WSCALE) && o.wscale != c->wscale)
			fail_msg("%s: wscale %u", c->name, o.wscale);
		if ((c->present & TCPO_TS) && (o.tsval != c->tsval || o.tsecr != c->tsecr))
			fail_msg("%s: ts %u %u", c->name, o.tsval, o.tsecr);
		if ((c->present & TCPO_SACK) && o.n_sack != c->n_sack)
			fail_msg("%s: %u sack blocks", c->name, o.n_sack);
	}
}

static void test_header(void **state)
{
	(void)state;
	/* 20-byte header, ports 443 -> 50000, seq 1, ack 2, SYN|ACK, window 1000, + 4 bytes */
	uint8_t seg[28] = { 0x01, 0xbb, 0xc3, 0x50, 0, 0, 0, 1, 0, 0, 0, 2, 0x60, 0x12, 0x03, 0xe8,
			    0, 0, 0, 0, 2, 4, 0x05, 0xb4, 'd', 'a', 't', 'a' };
	struct tcp_hdr_info h;
	assert_int_equal(tcp_parse(seg, sizeof(seg), &h), TCP_OK);
	assert_int_equal(h.sport, 443);
	assert_int_equal(h.dport, 50000);
	assert_int_equal(h.seq, 1);
	assert_int_equal(h.ack, 2);
	assert_int_equal(h.flags, TH_SYN | TH_ACK);
	assert_int_equal(h.win, 1000);
	assert_int_equal(h.hlen, 24);
	assert_int_equal(h.opt.mss, 1460);
	assert_int_equal(h.payload_len, 4);
	assert_memory_equal(h.payload, "data", 4);
	assert_int_equal(tcp_parse(seg, 19, &h), TCP_ERR_SHORT);
	seg[12] = 0x40;   /* offset 4 words: below the header */
	assert_int_equal(tcp_parse(seg, sizeof(seg), &h), TCP_ERR_OFFSET);
	seg[12] = 0x80;   /* 32 bytes: past the segment */
	assert_int_equal(tcp_parse(seg, sizeof(seg), &h), TCP_ERR_OFFSET);
	uint16_t sp, dp;
	uint32_t sq;
	assert_int_equal(tcp_quoted(seg, 8, &sp, &dp, &sq), 0);
	assert_int_equal(sq, 1);
	assert_int_equal(tcp_quoted(seg, 7, &sp, &dp, &sq), -1);
}

/* Every combination of options survives emit then parse, in at most 40 bytes. */
static void test_roundtrip(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 32; m++) {
		for (uint8_t ns = 1; ns <= 4; ns++) {
			struct tcp_hdr_info h, p;
			uint8_t buf[TCP_MAX_HLEN + 4];
			memset(&h, 0, sizeof(h));
			h.sport = 1;
			h.dport = 2;
			h.seq = 0xfffffff0u;
			h.ack = 77;
			h.flags = TH_ACK;
			h.win = 0xffff;
			h.opt.present = (uint8_t)m;
			h.opt.mss = 1220;
			h.opt.wscale = 14;
			h.opt.tsval = 0xdeadbeef;
			h.opt.tsecr = 0x01020304;
			h.opt.n_sack = (m & TCPO_TS) && ns > 3 ? 3 : ns;
			if ((m & (TCPO_MSS | TCPO_WSCALE | TCPO_TS | TCPO_SACK_OK)) &&
			    (m & TCPO_SACK) && tcp_opts_len(&h.opt) > TCP_MAX_OPTLEN)
				continue;   /* SYN options and 3+ SACK blocks never go together */
			for (uint8_t i = 0; i < h.opt.n_sack; i++) {
				h.opt.sack[i].start = 1000u * i;
				h.opt.sack[i].end = 1000u * i + 500;
			}
			size_t hl = tcp_emit(buf, &h);
			assert_int_equal(hl, TCP_HLEN + tcp_opts_len(&h.opt));
			assert_true(hl <= TCP_MAX_HLEN && hl % 4 == 0);
			assert_int_equal(tcp_parse(buf, hl, &p), TCP_OK);
			assert_int_equal(p.opt.present, (m & TCPO_SACK) ? m : m & ~TCPO_SACK);
			assert_int_equal(p.seq, h.seq);
			if (m & TCPO_TS)
				assert_int_equal(p.opt.tsval, 0xdeadbeef);
			if (m & TCPO_SACK) {
				assert_int_equal(p.opt.n_sack, h.opt.n_sack);
				assert_int_equal(p.opt.sack[h.opt.n_sack - 1].end,
						 h.opt.sack[h.opt.n_sack - 1].end);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_table),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
