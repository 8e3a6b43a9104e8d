/*
 * test_wire_nd.c - the ND wire format (wire/nd.c): every message and option, valid and
 * malformed bytes, as tables of cases; and emit -> parse round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "wire/nd.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

/* 16 bytes of an address */
#define LL1 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
#define G1  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
#define MC1 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
#define MAC 0x02, 0, 0, 0, 0, 0x0a
#define SLLAO 1, 1, MAC
#define TLLAO 2, 1, MAC

struct msg_case {
	const char *name;
	const uint8_t *b;
	size_t len;
	enum nd_parse_result want;
	void (*check)(const struct nd_msg *m);
};

static void chk_rs_sllao(const struct nd_msg *m)
{
	assert_int_equal(m->type, ND_ROUTER_SOLICIT);
	assert_true(m->opts.has_sllao);
	assert_int_equal(m->opts.sllao[5], 0x0a);
}

static void chk_ra(const struct nd_msg *m)
{
	assert_int_equal(m->cur_hop_limit, 64);
	assert_int_equal(m->ra_flags, 0xc8);
	assert_int_equal(m->router_lifetime, 1800);
	assert_int_equal(m->reachable_time, 30000);
	assert_int_equal(m->retrans_timer, 1000);
	assert_true(m->opts.has_sllao);
	assert_true(m->opts.has_mtu);
	assert_int_equal(m->opts.mtu, 1400);
	assert_int_equal(m->opts.n_prefix, 1);
	assert_int_equal(m->opts.prefix[0].plen, 64);
	assert_int_equal(m->opts.prefix[0].flags, ND_PIO_F_ONLINK | ND_PIO_F_AUTO);
	assert_int_equal(m->opts.prefix[0].valid_lft, 86400);
	assert_int_equal(m->opts.prefix[0].preferred_lft, 14400);
	assert_int_equal(m->opts.prefix[0].prefix.s6_addr[1], 0x01);
	assert_int_equal(nd_prf_to_pref((m->ra_flags >> ND_RA_PRF_SHIFT) & ND_RA_PRF_MASK), 1);
}

static void chk_ns(const struct nd_msg *m)
{
	assert_int_equal(m->type, ND_NEIGHBOR_SOLICIT);
	assert_int_equal(m->target.s6_addr[0], 0xfe);
	assert_int_equal(m->target.s6_addr[15], 1);
	assert_true(m->opts.has_sllao);
	assert_false(m->opts.has_tllao);
}

static void chk_ns_nonce(const struct nd_msg *m)
{
	assert_true(m->opts.has_nonce);
	assert_int_equal(m->opts.nonce_len, 6);
	assert_int_equal(m->opts.nonce[0], 0xaa);
	assert_int_equal(m->opts.nonce[5], 0xff);
}

static void chk_na(const struct nd_msg *m)
{
	assert_int_equal(m->na_flags, ND_NA_F_ROUTER | ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE);
	assert_true(m->opts.has_tllao);
	assert_int_equal(m->target.s6_addr[0], 0x20);
}

static void chk_na_unknown(const struct nd_msg *m)
{
	assert_int_equal(m->opts.unknown, 1);
	assert_true(m->opts.has_tllao);
	assert_int_equal(m->na_flags, 0); /* reserved bits are not flags */
}

static void chk_redirect(const struct nd_msg *m)
{
	assert_int_equal(m->target.s6_addr[0], 0xfe);
	assert_int_equal(m->dest.s6_addr[0], 0x20);
	assert_true(m->opts.has_tllao);
	assert_non_null(m->opts.redir);
	assert_int_equal(m->opts.redir_len, 8);
	assert_int_equal(m->opts.redir[0], 0x60);
}

static void chk_pio_short(const struct nd_msg *m)
{
	assert_int_equal(m->opts.n_prefix, 0);
	assert_int_equal(m->opts.malformed, 1);
}

static void chk_rio(const struct nd_msg *m)
{
	assert_int_equal(m->opts.n_route, 3);
	assert_int_equal(m->opts.route[0].plen, 0);
	assert_int_equal(m->opts.route[0].prf, ND_PRF_HIGH);
	assert_int_equal(m->opts.route[0].lifetime, 600);
	assert_int_equal(m->opts.route[1].plen, 48);
	assert_int_equal(m->opts.route[1].prf, ND_PRF_LOW);
	assert_int_equal(m->opts.route[1].prefix.s6_addr[5], 0x07);
	assert_int_equal(m->opts.route[1].prefix.s6_addr[6], 0);  /* past plen: cleared */
	assert_int_equal(m->opts.route[2].plen, 128);
	assert_int_equal(m->opts.route[2].prefix.s6_addr[15], 1);
	assert_int_equal(m->opts.malformed, 0);
}

static void chk_rio_bad(const struct nd_msg *m)
{
	/* plen 64 with length 1, plen 96 with length 2, plen 129: all skipped */
	assert_int_equal(m->opts.n_route, 0);
	assert_int_equal(m->opts.malformed, 3);
}

static void chk_rdnss(const struct nd_msg *m)
{
	assert_int_equal(m->opts.n_rdnss, 2);
	assert_int_equal(m->opts.rdnss[0].lifetime, 1200);
	assert_int_equal(m->opts.rdnss[1].addr.s6_addr[0], 0xfe);
}

static void chk_rdnss_even(const struct nd_msg *m)
{
	assert_int_equal(m->opts.n_rdnss, 0);
	assert_int_equal(m->opts.malformed, 1);
}

static void chk_dnssl(const struct nd_msg *m)
{
	assert_int_equal(m->opts.n_dnssl, 2);
	assert_string_equal(m->opts.dnssl[0].name, "example.com");
	assert_string_equal(m->opts.dnssl[1].name, "a");
	assert_int_equal(m->opts.dnssl[0].lifetime, 300);
	assert_int_equal(m->opts.malformed, 0);
}

static void chk_dnssl_bad(const struct nd_msg *m)
{
	assert_int_equal(m->opts.n_dnssl, 0);
	assert_int_equal(m->opts.malformed, 1);
}

static void chk_first_sllao_wins(const struct nd_msg *m)
{
	assert_true(m->opts.has_sllao);
	assert_int_equal(m->opts.sllao[5], 0x0a);
}

static const struct msg_case msg_cases[] = {
	{ "rs empty", B(133, 0, 0, 0, 0, 0, 0, 0), ND_PARSE_OK, NULL },
	{ "rs sllao", B(133, 0, 0, 0, 0, 0, 0, 0, SLLAO), ND_PARSE_OK, chk_rs_sllao },
	{ "rs short", B(133, 0, 0, 0, 0, 0, 0), ND_PARSE_SHORT, NULL },
	{ "rs code 1", B(133, 1, 0, 0, 0, 0, 0, 0), ND_PARSE_BAD_CODE, NULL },
	{ "rs opt len 0", B(133, 0, 0, 0, 0, 0, 0, 0, 1, 0, MAC), ND_PARSE_OPT_ZERO_LEN, NULL },
	{ "rs opt truncated", B(133, 0, 0, 0, 0, 0, 0, 0, 1, 2, MAC), ND_PARSE_OPT_TRUNCATED, NULL },
	{ "rs opt 1 byte", B(133, 0, 0, 0, 0, 0, 0, 0, 1), ND_PARSE_OPT_TRUNCATED, NULL },
	{ "ra full",
	  B(134, 0, 0, 0, 64, 0xc8, 0x07, 0x08, 0, 0, 0x75, 0x30, 0, 0, 0x03, 0xe8,
	    SLLAO,
	    5, 1, 0, 0, 0, 0, 0x05, 0x78,
	    3, 4, 64, 0xc0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40, 0, 0, 0, 0, G1),
	  ND_PARSE_OK, chk_ra },
	{ "ra short", B(134, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), ND_PARSE_SHORT, NULL },
	{ "ra pio short",
	  B(134, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 64, 0xc0, 0, 0, 0, 0),
	  ND_PARSE_OK, chk_pio_short },
	{ "ra rio",
	  B(134, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    24, 1, 0, 0x08, 0, 0, 0x02, 0x58,
	    24, 2, 48, 0x18, 0, 0, 0, 60, 0x20, 0x01, 0x0d, 0xb8, 0, 0x07, 0xff, 0xff,
	    24, 3, 128, 0, 0, 0, 0, 60, G1),
	  ND_PARSE_OK, chk_rio },
	{ "ra rio bad lengths",
	  B(134, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    24, 1, 64, 0, 0, 0, 0, 60,
	    24, 2, 96, 0, 0, 0, 0, 60, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    24, 3, 129, 0, 0, 0, 0, 60, G1),
	  ND_PARSE_OK, chk_rio_bad },
	{ "ra rdnss",
	  B(134, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    25, 5, 0, 0, 0, 0, 0x04, 0xb0, G1, LL1),
	  ND_PARSE_OK, chk_rdnss },
	{ "ra rdnss even length",
	  B(134, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    25, 4, 0, 0, 0, 0, 0x04, 0xb0, G1, 0, 0, 0, 0, 0, 0, 0, 0),
	  ND_PARSE_OK, chk_rdnss_even },
	{ "ra dnssl",
	  B(134, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    31, 3, 0, 0, 0, 0, 0x01, 0x2c,
	    7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 1, 'a', 0),
	  ND_PARSE_OK, chk_dnssl },
	{ "ra dnssl label past end",
	  B(134, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    31, 2, 0, 0, 0, 0, 0x01, 0x2c, 9, 'e', 'x', 'a', 'm', 'p', 'l', 'e'),
	  ND_PARSE_OK, chk_dnssl_bad },
	{ "ra dnssl garbage after padding",
	  B(134, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    31, 2, 0, 0, 0, 0, 0x01, 0x2c, 1, 'a', 0, 0, 0, 0, 0, 7),
	  ND_PARSE_OK, chk_dnssl_bad },
	{ "ns", B(135, 0, 0, 0, 0, 0, 0, 0, LL1, SLLAO), ND_PARSE_OK, chk_ns },
	{ "ns nonce", B(135, 0, 0, 0, 0, 0, 0, 0, LL1, 14, 1, 0xaa, 1, 2, 3, 4, 0xff),
	  ND_PARSE_OK, chk_ns_nonce },
	{ "ns short", B(135, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0x80), ND_PARSE_SHORT, NULL },
	{ "ns code 3", B(135, 3, 0, 0, 0, 0, 0, 0, LL1), ND_PARSE_BAD_CODE, NULL },
	{ "ns zero-length opt after good", B(135, 0, 0, 0, 0, 0, 0, 0, LL1, SLLAO, 99, 0),
	  ND_PARSE_OPT_ZERO_LEN, NULL },
	{ "ns two sllao", B(135, 0, 0, 0, 0, 0, 0, 0, LL1, SLLAO, 1, 1, 9, 9, 9, 9, 9, 9),
	  ND_PARSE_OK, chk_first_sllao_wins },
	{ "na", B(136, 0, 0, 0, 0xe0, 0, 0, 0, G1, TLLAO), ND_PARSE_OK, chk_na },
	{ "na unknown opt", B(136, 0, 0, 0, 0x1f, 0xff, 0xff, 0xff, G1, 200, 1, 0, 0, 0, 0, 0, 0, TLLAO),
	  ND_PARSE_OK, chk_na_unknown },
	{ "na short", B(136, 0, 0, 0, 0xe0, 0, 0, 0, 0x20, 0x01, 0x0d), ND_PARSE_SHORT, NULL },
	{ "na no options", B(136, 0, 0, 0, 0xe0, 0, 0, 0, G1), ND_PARSE_OK, NULL },
	{ "redirect",
	  B(137, 0, 0, 0, 0, 0, 0, 0, LL1, G1, TLLAO, 4, 2, 0, 0, 0, 0, 0, 0,
	    0x60, 0, 0, 0, 0, 0, 58, 64),
	  ND_PARSE_OK, chk_redirect },
	{ "redirect short", B(137, 0, 0, 0, 0, 0, 0, 0, LL1, 0x20), ND_PARSE_SHORT, NULL },
	{ "not nd", B(128, 0, 0, 0, 0, 0, 0, 0), ND_PARSE_BAD_TYPE, NULL },
	{ "empty", B(0), ND_PARSE_SHORT, NULL },
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(msg_cases) / sizeof(msg_cases[0]); i++) {
		const struct msg_case *c = &msg_cases[i];
		struct nd_msg m;
		size_t len = strcmp(c->name, "empty") == 0 ? 0 : c->len;
		enum nd_parse_result r = nd_parse(c->b, len, &m);
		if (r != c->want)
			fail_msg("case '%s': got %s, want %s", c->name, nd_parse_result_str(r),
				 nd_parse_result_str(c->want));
		if (r == ND_PARSE_OK && c->check)
			c->check(&m);
	}
}

/* Every prefix of a valid message with options parses without reading past the end. */
static void test_truncations(void **state)
{
	static const uint8_t ra[] = {
		134, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, SLLAO,
		3, 4, 64, 0xc0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40, 0, 0, 0, 0, G1,
		25, 3, 0, 0, 0, 0, 0x04, 0xb0, G1,
	};
	for (size_t len = 0; len < sizeof(ra); len++) {
		struct nd_msg m;
		enum nd_parse_result r = nd_parse(ra, len, &m);
		if (len < ND_RA_LEN)
			assert_int_equal(r, ND_PARSE_SHORT);
		else if (len == ND_RA_LEN || len == 24 || len == 56)
			assert_int_equal(r, ND_PARSE_OK);
		else
			assert_int_equal(r, ND_PARSE_OPT_TRUNCATED);
	}
}

static void test_bounds(void **state)
{
	/* 20 PIOs: 16 kept, 4 counted */
	uint8_t b[16 + 20 * 32];
	memset(b, 0, sizeof(b));
	b[0] = 134;
	for (int i = 0; i < 20; i++) {
		uint8_t *o = b + 16 + i * 32;
		o[0] = 3;
		o[1] = 4;
		o[2] = 64;
		o[16] = 0x20;
		o[17] = (uint8_t)i;
	}
	struct nd_msg m;
	assert_int_equal(nd_parse(b, sizeof(b), &m), ND_PARSE_OK);
	assert_int_equal(m.opts.n_prefix, ND_MAX_PREFIX_OPTS);
	assert_int_equal(m.opts.overflow, 4);
}

static void roundtrip(const struct nd_msg *in)
{
	uint8_t b[2048];
	size_t n = nd_emit(b, sizeof(b), in);
	assert_true(n >= 8);
	assert_int_equal(n % 8, 0);
	struct nd_msg out;
	assert_int_equal(nd_parse(b, n, &out), ND_PARSE_OK);
	assert_int_equal(out.type, in->type);
	assert_int_equal(out.cur_hop_limit, in->cur_hop_limit);
	assert_int_equal(out.ra_flags, in->ra_flags);
	assert_int_equal(out.router_lifetime, in->router_lifetime);
	assert_int_equal(out.reachable_time, in->reachable_time);
	assert_int_equal(out.retrans_timer, in->retrans_timer);
	assert_int_equal(out.na_flags, in->na_flags);
	assert_memory_equal(&out.target, &in->target, 16);
	assert_memory_equal(&out.dest, &in->dest, 16);
	assert_int_equal(out.opts.has_sllao, in->opts.has_sllao);
	assert_int_equal(out.opts.has_tllao, in->opts.has_tllao);
	assert_memory_equal(out.opts.sllao, in->opts.sllao, 6);
	assert_memory_equal(out.opts.tllao, in->opts.tllao, 6);
	assert_int_equal(out.opts.has_mtu, in->opts.has_mtu);
	assert_int_equal(out.opts.mtu, in->opts.mtu);
	assert_int_equal(out.opts.has_nonce, in->opts.has_nonce);
	assert_memory_equal(out.opts.nonce, in->opts.nonce, 6);
	assert_int_equal(out.opts.n_prefix, in->opts.n_prefix);
	assert_memory_equal(out.opts.prefix, in->opts.prefix,
			    in->opts.n_prefix * sizeof(in->opts.prefix[0]));
	assert_int_equal(out.opts.n_route, in->opts.n_route);
	for (unsigned i = 0; i < in->opts.n_route; i++) {
		assert_int_equal(out.opts.route[i].plen, in->opts.route[i].plen);
		assert_int_equal(out.opts.route[i].prf, in->opts.route[i].prf);
		assert_int_equal(out.opts.route[i].lifetime, in->opts.route[i].lifetime);
		assert_memory_equal(&out.opts.route[i].prefix, &in->opts.route[i].prefix, 16);
	}
	assert_int_equal(out.opts.n_rdnss, in->opts.n_rdnss);
	for (unsigned i = 0; i < in->opts.n_rdnss; i++)
		assert_memory_equal(&out.opts.rdnss[i], &in->opts.rdnss[i], sizeof(in->opts.rdnss[i]));
	assert_int_equal(out.opts.n_dnssl, in->opts.n_dnssl);
	for (unsigned i = 0; i < in->opts.n_dnssl; i++)
		assert_string_equal(out.opts.dnssl[i].name, in->opts.dnssl[i].name);
	assert_int_equal(out.opts.malformed, 0);
	assert_int_equal(out.opts.unknown, 0);
	/* a buffer one unit too small fails cleanly */
	assert_int_equal(nd_emit(b, n - 1, in), 0);
}

static void test_emit_roundtrip(void **state)
{
	static const struct in6_addr g = { { { G1 } } }, ll = { { { LL1 } } };
	struct nd_msg m;

	memset(&m, 0, sizeof(m));
	m.type = ND_ROUTER_SOLICIT;
	m.opts.has_sllao = true;
	memcpy(m.opts.sllao, (uint8_t[]){ MAC }, 6);
	roundtrip(&m);

	memset(&m, 0, sizeof(m));
	m.type = ND_ROUTER_ADVERT;
	m.cur_hop_limit = 64;
	m.ra_flags = ND_RA_F_MANAGED | (ND_PRF_LOW << ND_RA_PRF_SHIFT);
	m.router_lifetime = 9000;
	m.reachable_time = 12345;
	m.retrans_timer = 777;
	m.opts.has_sllao = m.opts.has_mtu = true;
	m.opts.mtu = 1500;
	m.opts.n_prefix = 2;
	m.opts.prefix[0] = (struct nd_opt_prefix){ g, 64, ND_PIO_F_ONLINK, 100, 50 };
	m.opts.prefix[1] = (struct nd_opt_prefix){ ll, 10, ND_PIO_F_AUTO, 0xffffffff, 7 };
	m.opts.n_route = 3;
	m.opts.route[0] = (struct nd_opt_route){ .plen = 0, .prf = ND_PRF_HIGH, .lifetime = 5 };
	m.opts.route[1] = (struct nd_opt_route){ .prefix = g, .plen = 128, .lifetime = 6 };
	m.opts.route[2].plen = 32;
	memcpy(&m.opts.route[2].prefix, (uint8_t[]){ 0x20, 1, 0xd, 0xb8 }, 4);
	m.opts.n_rdnss = 2;
	m.opts.rdnss[0] = (struct nd_opt_rdnss){ g, 60 };
	m.opts.rdnss[1] = (struct nd_opt_rdnss){ ll, 0 };
	m.opts.n_dnssl = 2;
	strcpy(m.opts.dnssl[0].name, "corp.example.org");
	strcpy(m.opts.dnssl[1].name, "x-y_z");
	roundtrip(&m);

	memset(&m, 0, sizeof(m));
	m.type = ND_NEIGHBOR_SOLICIT;
	m.target = g;
	m.opts.has_nonce = true;
	memcpy(m.opts.nonce, (uint8_t[]){ 1, 2, 3, 4, 5, 6 }, 6);
	roundtrip(&m);

	memset(&m, 0, sizeof(m));
	m.type = ND_NEIGHBOR_ADVERT;
	m.target = ll;
	m.na_flags = ND_NA_F_SOLICITED;
	m.opts.has_tllao = true;
	roundtrip(&m);

	memset(&m, 0, sizeof(m));
	m.type = ND_REDIRECT;
	m.target = ll;
	m.dest = g;
	roundtrip(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_emit_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
