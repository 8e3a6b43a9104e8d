/*
 * test_ctl.c - the control protocol codec (src/ctl/msg.c), requests (req.c) and the umk
 * grammar (cmd.c): round trips, malformed messages, and argv tables to request or error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/cmd.h"
#include "ctl/msg.h"
#include "ctl/req.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* ---- codec round trips ---- */

static void test_build_parse_all_kinds(void **state)
{
	uint8_t buf[512];
	struct ctl_builder b;
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_ROUTE, CTL_F_MULTI, 77);
	struct in6_addr a = A("2001:db8::1");
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	ctl_put(&b, A_ADDR, &a, 16);
	ctl_put(&b, A_LLADDR, mac, 6);
	ctl_put_u8(&b, A_PREFIXLEN, 64);
	ctl_put_u16(&b, A_IDENT, 0xbeef);
	ctl_put_u32(&b, A_METRIC, 0xdeadbeef);
	ctl_put_s32(&b, A_ERRNO, -5);
	ctl_put_u64(&b, A_COUNTER, 0x0123456789abcdefull);
	ctl_put_s64(&b, A_VALUE, -1234567890123ll);
	ctl_put_str(&b, A_IFNAME, "tap0");
	int len = ctl_build_end(&b);
	assert_true(len > 0);
	assert_int_equal(len % 4, 0);

	struct ctl_msg m;
	assert_int_equal(ctl_msg_parse(buf, (size_t)len, &m), CTL_OK);
	assert_int_equal(m.hdr.type, CTL_MSG_ROUTE);
	assert_int_equal(m.hdr.flags, CTL_F_MULTI);
	assert_int_equal(m.hdr.seq, 77);
	assert_int_equal(m.hdr.length, len);
	assert_memory_equal(ctl_get_bytes(&m, A_ADDR), &a, 16);
	assert_memory_equal(ctl_get_bytes(&m, A_LLADDR), mac, 6);
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	int32_t s32;
	uint64_t u64;
	int64_t s64;
	assert_true(ctl_get_u8(&m, A_PREFIXLEN, &u8));
	assert_int_equal(u8, 64);
	assert_true(ctl_get_u16(&m, A_IDENT, &u16));
	assert_int_equal(u16, 0xbeef);
	assert_true(ctl_get_u32(&m, A_METRIC, &u32));
	assert_int_equal(u32, 0xdeadbeef);
	assert_true(ctl_get_s32(&m, A_ERRNO, &s32));
	assert_int_equal(s32, -5);
	assert_true(ctl_get_u64(&m, A_COUNTER, &u64));
	assert_true(u64 == 0x0123456789abcdefull);
	assert_true(ctl_get_s64(&m, A_VALUE, &s64));
	assert_true(s64 == -1234567890123ll);
	assert_string_equal(ctl_get_str(&m, A_IFNAME), "tap0");
	/* absent, and asked for with the wrong kind */
	assert_false(ctl_get_u32(&m, A_MTU, &u32));
	assert_false(ctl_get_u8(&m, A_METRIC, &u8));
	assert_null(ctl_get_str(&m, A_ADDR));
}

static void test_builder_overflow(void **state)
{
	uint8_t buf[32];
	struct ctl_builder b;
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_STATS, CTL_F_REQUEST, 1);
	ctl_put_u32(&b, A_MTU, 1);                       /* 16 + 8 = 24 */
	assert_int_equal(ctl_build_end(&b), 24);
	ctl_put(&b, A_ADDR, buf, 16);                    /* 24 + 20 > 32 */
	assert_int_equal(ctl_build_end(&b), -1);
	ctl_build_begin(&b, buf, 8, CTL_MSG_STATS, 0, 1); /* not even a header */
	assert_int_equal(ctl_build_end(&b), -1);
	char longname[CTL_STR_MAX + 8];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	uint8_t big[1024];
	ctl_build_begin(&b, big, sizeof(big), CTL_MSG_STATS, 0, 1);
	ctl_put_str(&b, A_IFNAME, longname);
	assert_int_equal(ctl_build_end(&b), -1);
}

/* ---- malformed messages: each is refused with its reason ---- */

struct bad_case {
	const char *name;
	uint8_t bytes[48];
	size_t len;
	int err;
};

#define H(type, len) 0x55, 0x4b, 1, 0, 0, type, 0, 1, 0, 0, 0, 9, 0, 0, 0, len

static const struct bad_case bad_cases[] = {
	{ "empty", { 0 }, 0, CTL_E_SHORT },
	{ "half header", { 0x55, 0x4b, 1, 0 }, 4, CTL_E_SHORT },
	{ "bad magic", { 0x55, 0x4c, 1, 0, 0, 16, 0, 1, 0, 0, 0, 9, 0, 0, 0, 16 }, 16, CTL_E_MAGIC },
	{ "version 2", { 0x55, 0x4b, 2, 0, 0, 16, 0, 1, 0, 0, 0, 9, 0, 0, 0, 16 }, 16, CTL_E_VERSION },
	{ "reserved byte", { 0x55, 0x4b, 1, 1, 0, 16, 0, 1, 0, 0, 0, 9, 0, 0, 0, 16 }, 16,
	  CTL_E_RESERVED },
	{ "unknown flag", { 0x55, 0x4b, 1, 0, 0, 16, 0x80, 1, 0, 0, 0, 9, 0, 0, 0, 16 }, 16,
	  CTL_E_RESERVED },
	{ "length < header", { H(16, 12) }, 16, CTL_E_LENGTH },
	{ "length not aligned", { H(16, 18), 0, 0 }, 18, CTL_E_LENGTH },
	{ "length too big", { 0x55, 0x4b, 1, 0, 0, 16, 0, 1, 0, 0, 0, 9, 0, 1, 0, 4 }, 16,
	  CTL_E_LENGTH },
	{ "body missing", { H(16, 24) }, 16, CTL_E_SHORT },
	{ "attr len < 4", { H(16, 20), 0, A_MTU, 0, 2 }, 20, CTL_E_ATTR_LEN },
	{ "attr past end", { H(16, 24), 0, A_MTU, 0, 12, 0, 0, 0, 1 }, 24, CTL_E_ATTR_LEN },
	{ "u32 of 0 bytes", { H(16, 24), 0, A_MTU, 0, 4, 0, 0, 0, 0 }, 24, CTL_E_ATTR_KIND },
	{ "u32 of 2 bytes", { H(16, 24), 0, A_MTU, 0, 6, 0, 1, 0, 0 }, 24, CTL_E_ATTR_KIND },
	{ "addr of 4 bytes", { H(16, 24), 0, A_ADDR, 0, 8, 1, 2, 3, 4 }, 24, CTL_E_ATTR_KIND },
	{ "string without NUL", { H(16, 24), 0, A_IFNAME, 0, 8, 't', 'a', 'p', '0' }, 24,
	  CTL_E_STRING },
	{ "string with inner NUL", { H(16, 24), 0, A_IFNAME, 0, 8, 't', 0, 'p', 0 }, 24,
	  CTL_E_STRING },
	{ "empty string attr", { H(16, 20), 0, A_IFNAME, 0, 4 }, 20, CTL_E_STRING },
	{ "repeated attr", { H(16, 32), 0, A_MTU, 0, 8, 0, 0, 5, 220, 0, A_MTU, 0, 8, 0, 0, 5, 220 },
	  32, CTL_E_ATTR_DUP },
};

static void test_malformed(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct ctl_msg m;
		int r = ctl_msg_parse(bad_cases[i].bytes, bad_cases[i].len, &m);
		if (r != bad_cases[i].err)
			fail_msg("%s: got %d (%s), want %d", bad_cases[i].name, r, ctl_err_str(r),
				 bad_cases[i].err);
	}
}

static void test_unknown_attr_skipped(void **state)
{
	/* an attribute type from a newer peer: skipped, the rest still read */
	const uint8_t msg[] = { H(16, 32), 0x7f, 0x00, 0, 6, 9, 9, 0, 0, 0, A_MTU, 0, 8, 0, 0, 5, 220 };
	struct ctl_msg m;
	assert_int_equal(ctl_msg_parse(msg, sizeof(msg), &m), CTL_OK);
	uint32_t mtu;
	assert_true(ctl_get_u32(&m, A_MTU, &mtu));
	assert_int_equal(mtu, 1500);
}

/* ---- requests: encode, parse, decode gives back the same request ---- */

static void test_req_round_trip(void **state)
{
	struct ctl_req cases[6];
	memset(cases, 0, sizeof(cases));
	cases[0] = (struct ctl_req){ .type = CTL_MSG_ADDR_ADD, .ifname = "tap0", .has_addr = true,
				     .addr = A("2001:db8::5"), .prefixlen = 64 };
	cases[1] = (struct ctl_req){ .type = CTL_MSG_ROUTE_ADD, .ifname = "tap0", .has_addr = true,
				     .addr = A("2001:db8:9::"), .prefixlen = 48,
				     .has_gateway = true, .gateway = A("fe80::1"),
				     .gw_ifname = "tap0", .has_metric = true, .metric = 7 };
	cases[2] = (struct ctl_req){ .type = CTL_MSG_NEIGH_ADD, .ifname = "eth1", .has_addr = true,
				     .addr = A("fe80::2"), .lladdr = { 2, 1, 2, 3, 4, 5 },
				     .router = true };
	cases[3] = (struct ctl_req){ .type = CTL_MSG_CONF_SET, .global = true,
				     .key = "max_neighbors", .value = -42 };
	cases[4] = (struct ctl_req){ .type = CTL_MSG_ROUTE_ADD, .has_addr = true,
				     .addr = A("2001:db8:bad::"), .prefixlen = 64, .rttype = 2 };
	cases[5] = (struct ctl_req){ .type = CTL_MSG_NEIGH_FLUSH };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[CTL_MSG_MAX];
		int len = ctl_req_encode(&cases[i], 100 + (uint32_t)i, buf, sizeof(buf));
		assert_true(len > 0);
		struct ctl_msg m;
		assert_int_equal(ctl_msg_parse(buf, (size_t)len, &m), CTL_OK);
		assert_int_equal(m.hdr.seq, 100 + i);
		struct ctl_req back;
		const char *why = NULL;
		assert_int_equal(ctl_req_decode(&m, &back, &why), 0);
		if (memcmp(&back, &cases[i], sizeof(back)) != 0)
			fail_msg("case %zu (type %u) differs after the round trip", i, cases[i].type);
	}
}

static void test_req_decode_refuses(void **state)
{
	uint8_t buf[256];
	struct ctl_builder b;
	struct ctl_msg m;
	struct ctl_req r;
	const char *why;

	/* ADDR_ADD without an address */
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_ADDR_ADD, CTL_F_REQUEST, 1);
	ctl_put_str(&b, A_IFNAME, "tap0");
	ctl_put_u8(&b, A_PREFIXLEN, 64);
	assert_int_equal(ctl_msg_parse(buf, (size_t)ctl_build_end(&b), &m), CTL_OK);
	assert_int_equal(ctl_req_decode(&m, &r, &why), -EINVAL);
	assert_string_equal(why, "address");

	/* prefix length 129 */
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_ADDR_ADD, CTL_F_REQUEST, 1);
	ctl_put_str(&b, A_IFNAME, "tap0");
	ctl_put(&b, A_ADDR, buf, 16);
	ctl_put_u8(&b, A_PREFIXLEN, 129);
	assert_int_equal(ctl_msg_parse(buf, (size_t)ctl_build_end(&b), &m), CTL_OK);
	assert_int_equal(ctl_req_decode(&m, &r, &why), -EINVAL);

	/* an interface name longer than any interface name */
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_LINK_LIST, CTL_F_REQUEST, 1);
	ctl_put_str(&b, A_IFNAME, "averyveryverylongname");
	assert_int_equal(ctl_msg_parse(buf, (size_t)ctl_build_end(&b), &m), CTL_OK);
	assert_int_equal(ctl_req_decode(&m, &r, &why), -EINVAL);

	/* a reply type, and a request without the request flag */
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_LINK, CTL_F_REQUEST, 1);
	assert_int_equal(ctl_msg_parse(buf, (size_t)ctl_build_end(&b), &m), CTL_OK);
	assert_int_equal(ctl_req_decode(&m, &r, &why), -EOPNOTSUPP);
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_LINK_LIST, 0, 1);
	assert_int_equal(ctl_msg_parse(buf, (size_t)ctl_build_end(&b), &m), CTL_OK);
	assert_int_equal(ctl_req_decode(&m, &r, &why), -EOPNOTSUPP);
}

/* ---- the grammar: command lines to requests or one error line ---- */

struct cmd_case {
	const char *line;
	int type;              /* expected request type, 0 for ping, -1 for an error */
	const char *ifname;
	const char *addr;
	int prefixlen;
	const char *error;     /* expected error line */
};

static const struct cmd_case cmd_cases[] = {
	{ "link show", CTL_MSG_LINK_LIST, "", NULL, 0, NULL },
	{ "link", CTL_MSG_LINK_LIST, "", NULL, 0, NULL },
	{ "addr show dev tap0", CTL_MSG_ADDR_LIST, "tap0", NULL, 0, NULL },
	{ "address list tap1", CTL_MSG_ADDR_LIST, "tap1", NULL, 0, NULL },
	{ "addr add 2001:db8::1/64 dev tap0", CTL_MSG_ADDR_ADD, "tap0", "2001:db8::1", 64, NULL },
	{ "addr del fe80::5%tap0/64", CTL_MSG_ADDR_DEL, "tap0", "fe80::5", 64, NULL },
	{ "addr add 2001:db8::1 dev tap0", CTL_MSG_ADDR_ADD, "tap0", "2001:db8::1", 128, NULL },
	{ "addr add x dev tap0", -1, NULL, NULL, 0, "invalid address \"x\"" },
	{ "addr add 2001:db8::1/129 dev tap0", -1, NULL, NULL, 0,
	  "invalid prefix length in \"2001:db8::1/129\"" },
	{ "addr add 2001:db8::1/64", -1, NULL, NULL, 0, "missing \"dev IF\"" },
	{ "addr add fe80::1%tap1/64 dev tap0", -1, NULL, NULL, 0,
	  "conflicting interfaces for \"tap0\"" },
	{ "addr add 2001:db8::1/64 dev", -1, NULL, NULL, 0, "\"dev\" needs an argument" },
	{ "route show", CTL_MSG_ROUTE_LIST, "", NULL, 0, NULL },
	{ "route add default via fe80::1%tap0", CTL_MSG_ROUTE_ADD, "", "::", 0, NULL },
	{ "route add 2001:db8::/32 via fe80::1 dev tap0 metric 5", CTL_MSG_ROUTE_ADD, "tap0",
	  "2001:db8::", 32, NULL },
	{ "route add 2001:db8::/32 dev tap0", CTL_MSG_ROUTE_ADD, "tap0", "2001:db8::", 32, NULL },
	{ "route del 2001:db8::/32 via 2001:db8:1::1", CTL_MSG_ROUTE_DEL, "", "2001:db8::", 32,
	  NULL },
	{ "route add 2001:db8::/32 via fe80::1", -1, NULL, NULL, 0,
	  "link-local gateway needs a zone: via ADDR%IF or dev IF" },
	{ "route add 2001:db8::1/32 dev tap0", -1, NULL, NULL, 0,
	  "invalid prefix \"2001:db8::1/32\": bits set past the prefix length" },
	{ "route add 2001:db8::/32", -1, NULL, NULL, 0, "missing \"via GW\" or \"dev IF\"" },
	{ "route add 2001:db8::/32 dev tap0 metric x", -1, NULL, NULL, 0, "invalid metric \"x\"" },
	{ "route add 2001:db8::/32 via fe80::1%tap1 dev tap0", -1, NULL, NULL, 0,
	  "gateway zone \"tap1\" differs from dev" },
	{ "neigh show", CTL_MSG_NEIGH_LIST, "", NULL, 0, NULL },
	{ "neigh add fe80::1 lladdr 02:00:00:00:00:01 dev tap0 router", CTL_MSG_NEIGH_ADD, "tap0",
	  "fe80::1", 0, NULL },
	{ "neigh add fe80::1 lladdr 02:00:00:00:00 dev tap0", -1, NULL, NULL, 0,
	  "invalid link-layer address \"02:00:00:00:00\"" },
	{ "neigh add fe80::1 dev tap0", -1, NULL, NULL, 0, "missing \"lladdr MAC\"" },
	{ "neigh del fe80::1%tap0", CTL_MSG_NEIGH_DEL, "tap0", "fe80::1", 0, NULL },
	{ "neigh flush", CTL_MSG_NEIGH_FLUSH, "", NULL, 0, NULL },
	{ "neigh flush dev tap0", CTL_MSG_NEIGH_FLUSH, "tap0", NULL, 0, NULL },
	{ "conf show", CTL_MSG_CONF_LIST, "", NULL, 0, NULL },
	{ "conf show tap0", CTL_MSG_CONF_LIST, "tap0", NULL, 0, NULL },
	{ "conf set tap0 accept_ra 0", CTL_MSG_CONF_SET, "tap0", NULL, 0, NULL },
	{ "conf set tap0 accept_ra", -1, NULL, NULL, 0, "usage: conf set IF|global KEY VALUE" },
	{ "conf set tap0 accept_ra yes", -1, NULL, NULL, 0, "invalid value \"yes\"" },
	{ "stats", CTL_MSG_STATS, "", NULL, 0, NULL },
	{ "stats foo", -1, NULL, NULL, 0, "unknown command \"foo\" for stats" },
	{ "ping -c 3 -i 0.01 -s 1000 fe80::1%tap0", 0, NULL, NULL, 0, NULL },
	{ "ping -c 0 ::1", -1, NULL, NULL, 0, "ping: invalid count \"0\"" },
	{ "ping -i 0 ::1", -1, NULL, NULL, 0, "ping: invalid interval \"0\"" },
	{ "ping -x ::1", -1, NULL, NULL, 0, "ping: unknown option \"-x\"" },
	{ "ping", -1, NULL, NULL, 0, "ping: missing destination" },
	{ "ping -s 70000 ::1", -1, NULL, NULL, 0, "ping: invalid size \"70000\"" },
	{ "ping example.org", -1, NULL, NULL, 0, "invalid address \"example.org\"" },
	{ "foo", -1, NULL, NULL, 0, "unknown object \"foo\"" },
	{ "addr frob", -1, NULL, NULL, 0, "unknown command \"frob\" for addr" },
	{ "route show extra", -1, NULL, NULL, 0, "unexpected argument \"extra\"" },
};

static void test_cmd_table(void **state)
{
	for (size_t i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *c = &cmd_cases[i];
		char line[256], err[256];
		char *argv[32];
		snprintf(line, sizeof(line), "%s", c->line);
		int argc = ctl_cmd_split(line, argv, 32);
		struct ctl_cmd cmd;
		int r = ctl_cmd_parse(argc, argv, &cmd, err, sizeof(err));
		if (c->type < 0) {
			if (r == 0)
				fail_msg("\"%s\": parsed, want error \"%s\"", c->line, c->error);
			if (strcmp(err, c->error) != 0)
				fail_msg("\"%s\": error \"%s\", want \"%s\"", c->line, err, c->error);
			continue;
		}
		if (r != 0)
			fail_msg("\"%s\": error \"%s\"", c->line, err);
		if (c->type == 0) {
			assert_true(cmd.is_ping);
			continue;
		}
		if (cmd.req.type != c->type || strcmp(cmd.req.ifname, c->ifname) != 0)
			fail_msg("\"%s\": type %u dev \"%s\"", c->line, cmd.req.type, cmd.req.ifname);
		if (c->addr) {
			struct in6_addr want = A(c->addr);
			if (memcmp(&want, &cmd.req.addr, 16) != 0 || cmd.req.prefixlen != c->prefixlen)
				fail_msg("\"%s\": address or prefix length differs", c->line);
		}
	}
}

static void test_cmd_details(void **state)
{
	char line[256], err[256];
	char *argv[32];
	struct ctl_cmd cmd;

	strcpy(line, "ping -c 3 -i 0.01 -s 1000 -W 2.5 -I tap0 -t 9 fe80::1");
	int argc = ctl_cmd_split(line, argv, 32);
	assert_int_equal(ctl_cmd_parse(argc, argv, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.ping.count, 3);
	assert_int_equal(cmd.ping.size, 1000);
	assert_true(cmd.ping.interval > 0.0099 && cmd.ping.interval < 0.0101);
	assert_true(cmd.ping.wait > 2.49 && cmd.ping.wait < 2.51);
	assert_string_equal(cmd.ping.oif, "tap0");
	assert_string_equal(cmd.ping.zone, "tap0"); /* -I gives a link-local its zone */
	assert_int_equal(cmd.ping.hlim, 9);

	strcpy(line, "route add 2001:db8::/32 via fe80::1%tap0 metric 7");
	argc = ctl_cmd_split(line, argv, 32);
	assert_int_equal(ctl_cmd_parse(argc, argv, &cmd, err, sizeof(err)), 0);
	assert_true(cmd.req.has_gateway && cmd.req.has_metric);
	assert_string_equal(cmd.req.gw_ifname, "tap0");
	assert_int_equal(cmd.req.metric, 7);

	strcpy(line, "neigh add fe80::1 lladdr 02:aa:bb:cc:dd:ee dev tap0 router");
	argc = ctl_cmd_split(line, argv, 32);
	assert_int_equal(ctl_cmd_parse(argc, argv, &cmd, err, sizeof(err)), 0);
	const uint8_t mac[6] = { 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	assert_memory_equal(cmd.req.lladdr, mac, 6);
	assert_true(cmd.req.router);

	strcpy(line, "conf set global max_neighbors 0x100");
	argc = ctl_cmd_split(line, argv, 32);
	assert_int_equal(ctl_cmd_parse(argc, argv, &cmd, err, sizeof(err)), 0);
	assert_true(cmd.req.global);
	assert_true(cmd.req.value == 256);
	assert_false(cmd.is_show);
}

static void test_split(void **state)
{
	static const struct { const char *line; int n; const char *last; } cases[] = {
		{ "", 0, NULL },
		{ "   # only a comment", 0, NULL },
		{ "addr add ::1/128 dev tap0", 5, "tap0" },
		{ "\taddr show   tap0\t# trailing comment\n", 3, "tap0" },
		{ "stats#glued comment", 1, "stats" },
		{ "a b c d e f g h i", -1, NULL },  /* more than max = 8 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[128];
		char *argv[8];
		snprintf(line, sizeof(line), "%s", cases[i].line);
		int n = ctl_cmd_split(line, argv, 8);
		if (n != cases[i].n)
			fail_msg("\"%s\": %d words, want %d", cases[i].line, n, cases[i].n);
		if (n > 0)
			assert_string_equal(argv[n - 1], cases[i].last);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_parse_all_kinds),
		cmocka_unit_test(test_builder_overflow),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unknown_attr_skipped),
		cmocka_unit_test(test_req_round_trip),
		cmocka_unit_test(test_req_decode_refuses),
		cmocka_unit_test(test_cmd_table),
		cmocka_unit_test(test_cmd_details),
		cmocka_unit_test(test_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
