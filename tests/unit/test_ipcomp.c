/*
 * test_ipcomp.c - IPComp (RFC 3173) with deflate (RFC 2394): the header's parse/emit and
 * CPI ranges (wire/ipcomp.c, a table), the association checks (3.3: reserved CPIs
 * refused, a well-known CPI must be the algorithm), output (below the threshold or not
 * shrinking: sent as it was and counted; otherwise a header and a raw deflate stream that
 * zlib, as an independent decoder here, turns back into the payload), and input
 * (decompression of what zlib compressed; truncated, reserved-CPI, unknown-CPI, corrupt,
 * trailing-garbage and bomb packets dropped, each by its counter; the bound exact to the
 * byte), plus `setkey` lines for IPComp SAs and bundles and their dump.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "core/stack_int.h"
#include "ctl/setkey.h"
#include "ip6/ip6.h"
#include "ipsec/ipcomp.h"
#include "ipsec/ipsec.h"
#include "wire/ip6.h"
#include "wire/ipcomp.h"
#include "wire/pfkey.h"

static struct in6_addr addr_a, addr_b;

/* ---- wire ---- */

static const struct cpi_case {
	uint16_t cpi;
	enum ipcomp_cpi_class cls;
	int parse;
} cpi_cases[] = {
	{ 0, IPCOMP_CPI_INVALID, IPCOMP_ERR_CPI },
	{ 1, IPCOMP_CPI_WELLKNOWN, IPCOMP_OK },
	{ 2, IPCOMP_CPI_WELLKNOWN, IPCOMP_OK },
	{ 63, IPCOMP_CPI_WELLKNOWN, IPCOMP_OK },
	{ 64, IPCOMP_CPI_RESERVED, IPCOMP_ERR_CPI },
	{ 255, IPCOMP_CPI_RESERVED, IPCOMP_ERR_CPI },
	{ 256, IPCOMP_CPI_NEGOTIATED, IPCOMP_OK },
	{ 61439, IPCOMP_CPI_NEGOTIATED, IPCOMP_OK },
	{ 61440, IPCOMP_CPI_PRIVATE, IPCOMP_OK },
	{ 65535, IPCOMP_CPI_PRIVATE, IPCOMP_OK },
};

static void test_wire(void **state)
{
	uint8_t b[8];
	struct ipcomp_hdr h;
	for (size_t i = 0; i < sizeof(cpi_cases) / sizeof(cpi_cases[0]); i++) {
		const struct cpi_case *c = &cpi_cases[i];
		assert_int_equal(ipcomp_cpi_class(c->cpi), c->cls);
		ipcomp_hdr_emit(b, 58, c->cpi);
		b[4] = 0xaa;
		assert_int_equal(ipcomp_hdr_parse(b, 5, &h), c->parse);
		assert_int_equal(h.cpi, c->cpi);
		assert_int_equal(h.nxt, 58);
		assert_int_equal(h.payload_len, 1);
		assert_ptr_equal(h.payload, b + 4);
	}
	/* RFC 3173 2.2: flags are sent 0 and ignored on receipt */
	ipcomp_hdr_emit(b, 6, 0x1234);
	assert_int_equal(b[1], 0);
	b[1] = 0xff;
	assert_int_equal(ipcomp_hdr_parse(b, 4, &h), IPCOMP_OK);
	assert_int_equal(h.payload_len, 0);
	for (size_t n = 0; n < 4; n++)
		assert_int_equal(ipcomp_hdr_parse(b, n, &h), IPCOMP_ERR_SHORT);
}

/* ---- a stack with associations ---- */

static struct umk_stack *stack(void)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	struct umk_stack *s = umk_stack_new(&cfg, 0);
	assert_non_null(s);
	inet_pton(AF_INET6, "2001:db8::a", &addr_a);
	inet_pton(AF_INET6, "2001:db8::b", &addr_b);
	return s;
}

static int add_ipcomp(struct umk_stack *s, uint32_t cpi, uint8_t calg, struct ipsec_sa **out)
{
	struct ipsec_sa t = { .proto = IPPROTO6_IPCOMP, .spi = cpi, .mode = IPSEC_MODE_ANY,
			      .state = SA_MATURE, .src = addr_a, .dst = addr_b, .calg = calg };
	return sad_add(s, &t, out);
}

static const struct sa_case {
	uint32_t cpi;
	uint8_t calg;
	int want;
} sa_cases[] = {
	{ 0x1000, IPCOMP_ALG_DEFLATE, 0 },
	{ 2, IPCOMP_ALG_DEFLATE, 0 },               /* well-known CPI = deflate's id */
	{ 3, IPCOMP_ALG_DEFLATE, -EINVAL },         /* well-known CPI of LZS, not deflate */
	{ 100, IPCOMP_ALG_DEFLATE, -EINVAL },       /* reserved */
	{ 0, IPCOMP_ALG_DEFLATE, -EINVAL },
	{ 0x10000, IPCOMP_ALG_DEFLATE, -EINVAL },   /* CPIs are 16 bits */
	{ 0x2000, IPCOMP_ALG_LZS, -EPROTONOSUPPORT },
	{ 0xf001, IPCOMP_ALG_DEFLATE, 0 },          /* private use */
};

static void test_sa_checks(void **state)
{
	struct umk_stack *s = stack();
	for (size_t i = 0; i < sizeof(sa_cases) / sizeof(sa_cases[0]); i++)
		assert_int_equal(add_ipcomp(s, sa_cases[i].cpi, sa_cases[i].calg, NULL),
				 sa_cases[i].want);
	assert_int_equal(add_ipcomp(s, 0x1000, IPCOMP_ALG_DEFLATE, NULL), -EEXIST);
	/* policies: ipcomp/transport before esp is fine; IPComp's own tunnel is refused */
	struct ipsec_policy p = { .dir = IPSEC_DIR_OUT, .action = IPSEC_PROTECT, .n_req = 2 };
	p.sel.proto = IPSEC_PROTO_ANY;
	p.sel.icmp_type = p.sel.icmp_code = IPSEC_ICMP_ANY;
	p.req[0] = (struct ipsec_req){ .proto = IPPROTO6_IPCOMP, .mode = IPSEC_MODE_TRANSPORT,
				       .level = 1 };
	p.req[1] = (struct ipsec_req){ .proto = 50, .mode = IPSEC_MODE_TRANSPORT, .level = 2 };
	assert_int_equal(spd_add(s, &p, false, NULL), 0);
	p.dir = IPSEC_DIR_IN;
	p.n_req = 1;
	p.req[0].mode = IPSEC_MODE_TUNNEL;
	p.req[0].tsrc = addr_a;
	p.req[0].tdst = addr_b;
	assert_int_equal(spd_add(s, &p, false, NULL), -EPROTONOSUPPORT);
	umk_stack_free(s);
}

/* ---- output ---- */

static struct umk_pkt *payload_pkt(struct umk_stack *s, const uint8_t *p, uint32_t n)
{
	struct umk_pkt *pkt = pkt_alloc(s, n + 64, PKT_HEADROOM);
	assert_non_null(pkt);
	memcpy(pkt_put(pkt, n), p, n);
	return pkt;
}

/* raw inflate by zlib, independent of ipcomp.c */
static size_t zinflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, -15), Z_OK);
	z.next_in = (uint8_t *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	size_t got = z.total_out;
	inflateEnd(&z);
	return got;
}

static size_t zdeflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t got = z.total_out;
	deflateEnd(&z);
	return got;
}

static void text(uint8_t *p, size_t n, unsigned seed)
{
	static const char words[] = "the quick brown fox jumps over the lazy dog ";
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)words[(i + seed) % (sizeof(words) - 1)];
}

static void noise(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void test_output(void **state)
{
	struct umk_stack *s = stack();
	struct ipsec_sa *sa;
	assert_int_equal(add_ipcomp(s, 0x1234, IPCOMP_ALG_DEFLATE, &sa), 0);
	static uint8_t in[1400], back[2048];

	/* compressible: header + raw deflate that zlib reads back */
	text(in, sizeof(in), 3);
	struct umk_pkt *pkt = payload_pkt(s, in, sizeof(in));
	uint8_t nxt = 58;
	assert_int_equal(ipcomp_output(s, sa, pkt, &nxt), 0);
	assert_int_equal(nxt, IPPROTO6_IPCOMP);
	assert_true(pkt->len < sizeof(in) / 4);
	struct ipcomp_hdr h;
	assert_int_equal(ipcomp_hdr_parse(pkt->data, pkt->len, &h), IPCOMP_OK);
	assert_int_equal(h.nxt, 58);
	assert_int_equal(h.cpi, 0x1234);
	assert_int_equal(zinflate(h.payload, h.payload_len, back, sizeof(back)), sizeof(in));
	assert_memory_equal(back, in, sizeof(in));
	assert_int_equal(s->counters[CNT_IPCOMP_OUT_PKTS], 1);
	pkt_free(s, pkt);

	/* below the threshold (RFC 2394 2): unchanged, counted */
	pkt = payload_pkt(s, in, IPCOMP_DEFLATE_MIN - 1);
	nxt = 17;
	assert_int_equal(ipcomp_output(s, sa, pkt, &nxt), 0);
	assert_int_equal(nxt, 17);
	assert_int_equal(pkt->len, IPCOMP_DEFLATE_MIN - 1);
	assert_memory_equal(pkt->data, in, IPCOMP_DEFLATE_MIN - 1);
	assert_int_equal(s->counters[CNT_IPCOMP_OUT_SMALL], 1);
	pkt_free(s, pkt);

	/* incompressible (RFC 3173 2.2): unchanged, counted */
	noise(in, sizeof(in), 7);
	pkt = payload_pkt(s, in, sizeof(in));
	nxt = 6;
	assert_int_equal(ipcomp_output(s, sa, pkt, &nxt), 0);
	assert_int_equal(nxt, 6);
	assert_int_equal(pkt->len, sizeof(in));
	assert_memory_equal(pkt->data, in, sizeof(in));
	assert_int_equal(s->counters[CNT_IPCOMP_OUT_NO_GAIN], 1);
	assert_int_equal(s->counters[CNT_IPCOMP_OUT_PKTS], 1);
	pkt_free(s, pkt);

	/* no headroom for the header: sent as it was, counted */
	text(in, sizeof(in), 3);
	pkt = pkt_alloc(s, sizeof(in), 2);
	memcpy(pkt_put(pkt, sizeof(in)), in, sizeof(in));
	nxt = 58;
	assert_int_equal(ipcomp_output(s, sa, pkt, &nxt), 0);
	assert_int_equal(nxt, 58);
	assert_int_equal(pkt->len, sizeof(in));
	assert_memory_equal(pkt->data, in, sizeof(in));
	assert_int_equal(s->counters[CNT_IPCOMP_OUT_ERRORS], 1);
	pkt_free(s, pkt);
	umk_stack_free(s);
}

/* ---- input ---- */

/* IPv6 (A -> B) | IPComp (cpi, next header 58) | data */
static struct umk_pkt *comp_pkt(struct umk_stack *s, uint16_t cpi, const uint8_t *data,
				size_t n)
{
	struct umk_pkt *pkt = pkt_alloc(s, (uint32_t)(IP6_HLEN + IPCOMP_HLEN + n), PKT_HEADROOM);
	assert_non_null(pkt);
	uint8_t *p = pkt_put(pkt, (uint32_t)(IP6_HLEN + IPCOMP_HLEN + n));
	struct ip6_hdr_info ih = { .plen = (uint16_t)(IPCOMP_HLEN + n), .nxt = IPPROTO6_IPCOMP,
				   .hlim = 64, .src = addr_a, .dst = addr_b };
	ip6_hdr_emit(p, &ih);
	ipcomp_hdr_emit(p + IP6_HLEN, 58, cpi);
	memcpy(p + IP6_HLEN + IPCOMP_HLEN, data, n);
	pkt->net_off = pkt_off(pkt);
	return pkt;
}

/* Runs ipcomp_input; returns 0 (accepted: *out holds the packet) or 1 (consumed). */
static int run_input(struct umk_stack *s, struct umk_pkt *pkt, struct umk_pkt **out,
		     uint8_t *nxt)
{
	struct ip6_rx rx = { .src = addr_a, .dst = addr_b };
	uint32_t off = IP6_HLEN, len = pkt->len;
	*nxt = IPPROTO6_IPCOMP;
	int r = ipcomp_input(s, &pkt, &rx, &off, 6, nxt, &len);
	*out = r ? NULL : pkt;
	if (!r) {
		assert_int_equal(off, IP6_HLEN);
		assert_int_equal(len, pkt->len);
	}
	return r;
}

static const struct drop_case {
	const char *name;
	int kind;                    /* what to send, see test_input_drops */
	int counter;
} drop_cases[] = {
	{ "truncated header", 0, CNT_IPCOMP_DROP_TRUNCATED },
	{ "reserved CPI 100", 1, CNT_IPCOMP_DROP_BAD_CPI },
	{ "unknown CPI", 2, CNT_IPCOMP_DROP_NO_SA },
	{ "not deflate", 3, CNT_IPCOMP_DROP_BAD_DATA },
	{ "garbage after the stream", 4, CNT_IPCOMP_DROP_BAD_DATA },
	{ "cut short stream", 5, CNT_IPCOMP_DROP_BAD_DATA },
	{ "bomb: 1 MiB of zeros", 6, CNT_IPCOMP_DROP_TOO_BIG },
	{ "IPComp in IPComp", 7, CNT_IPCOMP_DROP_NESTED },
};

static void test_input(void **state)
{
	struct umk_stack *s = stack();
	assert_int_equal(add_ipcomp(s, 0x1234, IPCOMP_ALG_DEFLATE, NULL), 0);
	static uint8_t in[3000], z[4096];
	text(in, sizeof(in), 11);
	size_t zn = zdeflate(in, sizeof(in), z, sizeof(z));
	struct umk_pkt *pkt = comp_pkt(s, 0x1234, z, zn), *got;
	uint8_t nxt;
	assert_int_equal(run_input(s, pkt, &got, &nxt), 0);
	assert_int_equal(nxt, 58);
	assert_int_equal(got->len, IP6_HLEN + sizeof(in));
	assert_memory_equal(got->data + IP6_HLEN, in, sizeof(in));
	/* the IPv6 header now says what IPComp carried, with the new Payload Length */
	assert_int_equal(got->data[6], 58);
	assert_int_equal(got->data[4] << 8 | got->data[5], sizeof(in));
	assert_int_equal(s->counters[CNT_IPCOMP_IN_OK], 1);
	pkt_free(s, got);
	umk_stack_free(s);
}

static void test_input_drops(void **state)
{
	for (size_t i = 0; i < sizeof(drop_cases) / sizeof(drop_cases[0]); i++) {
		const struct drop_case *c = &drop_cases[i];
		print_message("%s\n", c->name);
		struct umk_stack *s = stack();
		assert_int_equal(add_ipcomp(s, 0x1234, IPCOMP_ALG_DEFLATE, NULL), 0);
		static uint8_t in[1 << 20], z[1 << 16];
		text(in, 2000, 1);
		size_t zn = zdeflate(in, 2000, z, sizeof(z));
		struct umk_pkt *pkt;
		uint16_t cpi = 0x1234;
		switch (c->kind) {
		case 0:
			pkt = comp_pkt(s, cpi, z, 0);
			pkt_trim(pkt, IP6_HLEN + 3);
			break;
		case 1: pkt = comp_pkt(s, 100, z, zn); break;
		case 2: pkt = comp_pkt(s, 0x4321, z, zn); break;
		case 3:
			noise(z, 200, 5);
			z[0] = 0xff;             /* BTYPE 11: reserved, an error (RFC 1951 3.2.3) */
			pkt = comp_pkt(s, cpi, z, 200);
			break;
		case 4:
			z[zn] = 0x55;
			pkt = comp_pkt(s, cpi, z, zn + 1);
			break;
		case 5: pkt = comp_pkt(s, cpi, z, zn / 2); break;
		case 6:
			memset(in, 0, sizeof(in));
			zn = zdeflate(in, sizeof(in), z, sizeof(z));
			assert_true(zn < 1500);   /* a small packet that claims a megabyte */
			pkt = comp_pkt(s, cpi, z, zn);
			break;
		default:
			pkt = comp_pkt(s, cpi, z, zn);
			pkt->data[IP6_HLEN] = IPPROTO6_IPCOMP;
			break;
		}
		struct umk_pkt *got;
		uint8_t nxt;
		assert_int_equal(run_input(s, pkt, &got, &nxt), 1);
		assert_int_equal(s->counters[c->counter], 1);
		assert_int_equal(s->counters[CNT_IPCOMP_IN_OK], 0);
		umk_stack_free(s);
	}
}

/* The bound is exact: max_out bytes decompress, max_out + 1 do not. */
static void test_bound(void **state)
{
	struct umk_stack *s = stack();
	assert_int_equal(add_ipcomp(s, 0x1234, IPCOMP_ALG_DEFLATE, NULL), 0);
	s->ipsec->ipcomp_max_out = 1000;
	static uint8_t in[1001], z[2048];
	text(in, sizeof(in), 4);
	struct umk_pkt *got;
	uint8_t nxt;
	size_t zn = zdeflate(in, 1000, z, sizeof(z));
	assert_int_equal(run_input(s, comp_pkt(s, 0x1234, z, zn), &got, &nxt), 0);
	assert_int_equal(got->len, IP6_HLEN + 1000);
	pkt_free(s, got);
	zn = zdeflate(in, 1001, z, sizeof(z));
	assert_int_equal(run_input(s, comp_pkt(s, 0x1234, z, zn), &got, &nxt), 1);
	assert_int_equal(s->counters[CNT_IPCOMP_DROP_TOO_BIG], 1);
	umk_stack_free(s);
}

/* ours -> ours: what ipcomp_output makes, ipcomp_input takes back */
static void test_roundtrip(void **state)
{
	struct umk_stack *s = stack();
	struct ipsec_sa *sa;
	assert_int_equal(add_ipcomp(s, 0x1234, IPCOMP_ALG_DEFLATE, &sa), 0);
	static uint8_t in[8000];
	for (uint32_t n = 100; n <= sizeof(in); n = n * 3 / 2) {
		text(in, n, n);
		struct umk_pkt *pkt = payload_pkt(s, in, n);
		uint8_t nxt = 17;
		assert_int_equal(ipcomp_output(s, sa, pkt, &nxt), 0);
		assert_int_equal(nxt, IPPROTO6_IPCOMP);
		struct ip6_hdr_info ih = { .plen = (uint16_t)pkt->len, .nxt = nxt, .hlim = 64,
					   .src = addr_a, .dst = addr_b };
		ip6_hdr_emit(pkt_push(pkt, IP6_HLEN), &ih);
		pkt->net_off = pkt_off(pkt);
		struct umk_pkt *got;
		assert_int_equal(run_input(s, pkt, &got, &nxt), 0);
		assert_int_equal(nxt, 17);
		assert_int_equal(got->len, IP6_HLEN + n);
		assert_memory_equal(got->data + IP6_HLEN, in, n);
		pkt_free(s, got);
	}
	umk_stack_free(s);
}

/* ---- setkey ---- */

struct rep {
	uint8_t buf[4096];
	size_t len;
	uint8_t err;
};

static void on_rep(void *ctx, const void *msg, size_t len)
{
	struct rep *r = ctx;
	memcpy(r->buf, msg, len < sizeof(r->buf) ? len : sizeof(r->buf));
	r->len = len;
	r->err = ((const uint8_t *)msg)[2];
}

static void test_setkey(void **state)
{
	static const char text_in[] =
		"add 2001:db8::a 2001:db8::b ipcomp 0x1000 -C deflate;\n"
		"add 2001:db8::a 2001:db8::b ipcomp 2 -m transport -C deflate;\n"
		"spdadd 2001:db8::a 2001:db8::b any -P out ipsec\n"
		"    ipcomp/transport//use esp/transport//require;\n";
	struct setkey_prog prog = { 0 };
	char err[256] = "";
	assert_int_equal(setkey_parse(text_in, strlen(text_in), "t", &prog, err, sizeof(err)), 0);
	assert_int_equal(prog.n, 3);
	struct pfkey_msg m;
	assert_int_equal(pfkey_parse(prog.cmds[0].msg, prog.cmds[0].len, &m), 0);
	assert_int_equal(m.base.satype, SADB_X_SATYPE_IPCOMP);
	assert_int_equal(m.sa.spi, 0x1000);
	assert_int_equal(m.sa.encrypt, SADB_X_CALG_DEFLATE);
	assert_false(PFKEY_HAS(&m, SADB_EXT_KEY_ENCRYPT));
	assert_int_equal(pfkey_parse(prog.cmds[1].msg, prog.cmds[1].len, &m), 0);
	assert_int_equal(m.sa.spi, 2);
	assert_int_equal(pfkey_parse(prog.cmds[2].msg, prog.cmds[2].len, &m), 0);
	assert_int_equal(m.policy.n_req, 2);
	assert_int_equal(m.policy.req[0].proto, 108);
	assert_int_equal(m.policy.req[0].level, IPSEC_LEVEL_USE);
	assert_int_equal(m.policy.req[1].proto, 50);

	/* the SA goes in through PF_KEY and comes out of a dump as setkey -D shows it */
	struct umk_stack *s = stack();
	struct rep rep = { .len = 0 };
	assert_int_equal(pfkey_handle(s, prog.cmds[0].msg, prog.cmds[0].len, on_rep, &rep), 0);
	assert_int_equal(rep.err, 0);
	assert_non_null(sad_lookup(s, 0x1000, &addr_b, IPPROTO6_IPCOMP));
	uint8_t dump[16] = { PF_KEY_V2, SADB_DUMP, 0, SADB_X_SATYPE_IPCOMP, 2, 0 };
	assert_int_equal(pfkey_handle(s, dump, sizeof(dump), on_rep, &rep), 0);
	char out[2048] = "";
	FILE *f = fmemopen(out, sizeof(out), "w");
	assert_int_equal(setkey_print_sa(f, rep.buf, rep.len, 100, 1000000), 0);
	fclose(f);
	assert_non_null(strstr(out, "\tipcomp mode=any spi=4096(0x00001000)"));
	assert_non_null(strstr(out, "\tC: deflate\n"));
	assert_null(strstr(out, "\tE:"));
	setkey_prog_free(&prog);
	umk_stack_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_sa_checks),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_input_drops),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_setkey),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
