/*
 * test_gso.c - the software offloads of ip6/gso.c: a TCP/IPv6 super-segment cut into
 * segments (RFC 9293 3.1 fields, RFC 3168 6.1.2 CWR, the urgent pointer, RFC 8200 8.1
 * checksums), its refusals and their counters, pool exhaustion without a leak, and a
 * left-open TCP or UDP checksum finished (with UDP's 0 -> 0xffff). Every segment is
 * compared byte for byte with one a naive model builds (its own checksum loop, its own
 * flag rules), from tables of cases and from random ones (STYLE.md).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "core/stack_int.h"
#include "ip6/gso.h"
#include "wire/checksum.h"
#include "wire/ip6.h"
#include "wire/tcp.h"

#define IFX 3

static struct umk_stack *S;

static struct umk_stack *new_stack(uint32_t small, uint32_t medium, uint32_t large)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.pool_small = small;
	cfg.pool_medium = medium;
	cfg.pool_large = large;
	cfg.log_level = -1;
	struct umk_stack *s = umk_stack_new(&cfg, 1000);
	assert_non_null(s);
	return s;
}

static uint32_t in_use(const struct umk_stack *s)
{
	uint32_t n = 0;
	for (int c = 0; c < PKT_NCLASSES; c++)
		n += s->pools[c].in_use;
	return n;
}

static struct in6_addr A(const char *t)
{
	struct in6_addr a;
	inet_pton(AF_INET6, t, &a);
	return a;
}

/* ---- the original super-segment, written byte by byte (RFC 8200 3, RFC 9293 3.1) ---- */

static uint8_t orig[IP6_HLEN + TCP_MAX_HLEN + 65535];
static uint32_t orig_len, orig_hl, orig_payload;

struct shape {
	uint32_t payload;
	uint16_t gso;
	uint8_t flags;           /* TH_* */
	uint16_t urp;
	uint8_t optlen;          /* 0, 12, 20 or 40 */
	uint32_t seq;
	uint8_t fill;            /* payload pattern seed */
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static void build(const struct shape *c)
{
	uint8_t *ip = orig, *t = orig + IP6_HLEN;
	struct in6_addr src = A("2001:db8::2"), dst = A("2001:db8:1::7");
	orig_hl = TCP_HLEN + c->optlen;
	orig_payload = c->payload;
	orig_len = IP6_HLEN + orig_hl + c->payload;
	ip[0] = 0x62, ip[1] = 0x81, ip[2] = 0x23, ip[3] = 0x45;  /* tclass 0x28, flow 0x12345 */
	put16(ip + 4, (uint16_t)(orig_hl + c->payload));
	ip[6] = 6, ip[7] = 61;
	memcpy(ip + 8, &src, 16);
	memcpy(ip + 24, &dst, 16);
	put16(t, 40000), put16(t + 2, 443);
	put32(t + 4, c->seq);
	put32(t + 8, 0x01020304);
	t[12] = (uint8_t)((orig_hl / 4) << 4);
	t[13] = c->flags;
	put16(t + 14, 5000);
	put16(t + 16, 0xdead);                 /* whatever it holds: recomputed */
	put16(t + 18, c->urp);
	uint8_t *o = t + TCP_HLEN;
	if (c->optlen >= 12) {                 /* NOP NOP Timestamps */
		o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
		put32(o + 4, 0xaabbccdd), put32(o + 8, 0x11223344);
	}
	if (c->optlen >= 20) {                 /* an experimental kind (RFC 4727), copied as is */
		uint8_t l = (uint8_t)(c->optlen - 12 - 2);
		o[12] = 1, o[13] = 1, o[14] = 253, o[15] = l;
		for (int i = 2; i < l; i++)
			o[14 + i] = (uint8_t)(0x40 + i);
	}
	for (uint32_t i = 0; i < c->payload; i++)
		orig[IP6_HLEN + orig_hl + i] = (uint8_t)(i * 31 + c->fill + (i >> 8));
}

static struct umk_pkt *orig_pkt(struct umk_stack *s, uint16_t gso)
{
	struct umk_pkt *p = pkt_alloc(s, orig_len, 64);
	assert_non_null(p);
	memcpy(pkt_put(p, orig_len), orig, orig_len);
	p->gso_size = gso;
	p->ifindex = IFX;
	p->flags = PKT_F_CSUM_PARTIAL | PKT_F_MCAST;
	p->csum_start = pkt_off(p) + IP6_HLEN;
	p->csum_offset = TCP_OFF_CSUM;
	return p;
}

/* ---- the naive model: each expected segment, from first principles ---- */

/* RFC 1071 one 16-bit word at a time */
static uint16_t naive_csum(const uint8_t *pseudo_src, const uint8_t *pseudo_dst, uint32_t len,
			   const uint8_t *d)
{
	uint64_t sum = 0;
	for (int i = 0; i < 16; i += 2)
		sum += get16(pseudo_src + i) + get16(pseudo_dst + i);
	sum += (len >> 16) + (len & 0xffff) + 6;
	for (uint32_t i = 0; i < len; i += 2)
		sum += (uint32_t)d[i] << 8 | (i + 1 < len ? d[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t model_count(uint32_t payload, uint16_t gso)
{
	return payload == 0 ? 1 : (payload + gso - 1) / gso;
}

static uint32_t model_segment(uint32_t i, uint16_t gso, uint8_t *e)
{
	uint32_t start = i * gso, n = model_count(orig_payload, gso);
	uint32_t seg = orig_payload - start < gso ? orig_payload - start : gso;
	uint32_t len = IP6_HLEN + orig_hl + seg;
	memcpy(e, orig, IP6_HLEN + orig_hl);
	memcpy(e + IP6_HLEN + orig_hl, orig + IP6_HLEN + orig_hl + start, seg);
	put16(e + 4, (uint16_t)(orig_hl + seg));
	uint8_t *t = e + IP6_HLEN;
	put32(t + 4, get32(orig + IP6_HLEN + 4) + start);
	uint8_t f = orig[IP6_HLEN + 13];
	uint16_t urp = get16(orig + IP6_HLEN + 18);
	if (i != n - 1)
		f &= (uint8_t)~(TH_FIN | TH_PSH);
	if (i != 0)
		f &= (uint8_t)~TH_CWR;
	if ((f & TH_URG) && urp >= start) {
		urp = (uint16_t)(urp - start);
	} else {
		f &= (uint8_t)~TH_URG;
		urp = 0;
	}
	if (!(orig[IP6_HLEN + 13] & TH_URG))
		urp = 0;
	t[13] = f;
	put16(t + 18, urp);
	put16(t + 16, 0);
	put16(t + 16, naive_csum(e + 8, e + 24, orig_hl + seg, t));
	return len;
}

/* Checks the chain against the model and the properties each segment must have on its
 * own; frees it. Returns the number of segments. */
static uint32_t check_chain(struct umk_pkt *chain, uint16_t gso)
{
	static uint8_t e[IP6_HLEN + TCP_MAX_HLEN + 65535], cat[65535];
	struct in6_addr src, dst;
	memcpy(&src, orig + 8, 16);
	memcpy(&dst, orig + 24, 16);
	uint32_t n = 0, got = 0, seq0 = get32(orig + IP6_HLEN + 4);
	for (struct umk_pkt *p = chain; p; p = p->next, n++) {
		assert_true(n < model_count(orig_payload, gso));
		uint32_t elen = model_segment(n, gso, e);
		assert_int_equal(p->len, elen);
		assert_memory_equal(p->data, e, elen);
		/* the same, said plainly */
		struct ip6_hdr_info ip;
		struct tcp_hdr_info th;
		assert_int_equal(ip6_hdr_parse(p->data, p->len, &ip), 0);
		assert_int_equal(ip.plen, p->len - IP6_HLEN);
		assert_int_equal(tcp_parse(p->data + IP6_HLEN, p->len - IP6_HLEN, &th), TCP_OK);
		assert_int_equal(csum_ip6(&src, &dst, IPPROTO6_TCP, p->data + IP6_HLEN,
					  p->len - IP6_HLEN), 0);
		assert_int_equal(th.seq, seq0 + got);
		assert_true(th.payload_len <= gso);
		assert_true(th.payload_len == gso || p->next == NULL);
		memcpy(cat + got, th.payload, th.payload_len);
		got += th.payload_len;
		assert_int_equal(pkt_off(p), PKT_HEADROOM);
		assert_int_equal(p->net_off, pkt_off(p));
		assert_int_equal(p->gso_size, 0);
		assert_int_equal(p->flags, PKT_F_MCAST);
		assert_int_equal(p->ifindex, IFX);
	}
	assert_int_equal(n, model_count(orig_payload, gso));
	assert_int_equal(got, orig_payload);
	assert_memory_equal(cat, orig + IP6_HLEN + orig_hl, orig_payload);
	pkt_free_chain(S, chain);
	return n;
}

/* ---- cutting: a table of shapes with what the segments must show ---- */

struct cut_case {
	const char *name;
	struct shape sh;
	uint32_t n;                 /* segments */
	uint8_t first, middle, last;/* flags of the first, a middle (second) and the last one */
	uint32_t urg_segs;          /* segments with URG */
};

#define AP (TH_ACK | TH_PSH)
static const struct cut_case cut_cases[] = {
	{ "exact multiple", { 4 * 1440, 1440, AP, 0, 12, 1000, 1 }, 4, TH_ACK, TH_ACK, AP, 0 },
	{ "remainder", { 3000, 1440, AP, 0, 12, 1000, 2 }, 3, TH_ACK, TH_ACK, AP, 0 },
	{ "payload below gso_size", { 100, 1440, AP, 0, 0, 7, 3 }, 1, AP, AP, AP, 0 },
	{ "payload equal to gso_size", { 1440, 1440, AP, 0, 0, 7, 3 }, 1, AP, AP, AP, 0 },
	{ "no payload", { 0, 1440, TH_ACK | TH_FIN, 0, 12, 9, 0 }, 1, TH_ACK | TH_FIN,
	  TH_ACK | TH_FIN, TH_ACK | TH_FIN, 0 },
	{ "gso_size 1", { 7, 1, AP, 0, 20, 5, 4 }, 7, TH_ACK, TH_ACK, AP, 0 },
	{ "odd gso_size, odd tail", { 1001, 333, AP, 0, 40, 5, 5 }, 4, TH_ACK, TH_ACK, AP, 0 },
	{ "64 KiB, 40 option bytes", { 65535 - 60, 1440, AP, 0, 40, 77, 6 }, 46, TH_ACK, TH_ACK,
	  AP, 0 },
	{ "64 KiB, 1220", { 65535 - 32, 1220, TH_ACK, 0, 12, 77, 6 }, 54, TH_ACK, TH_ACK,
	  TH_ACK, 0 },
	{ "sequence wraps", { 5000, 1000, AP, 0, 12, 0xfffffc00, 7 }, 5, TH_ACK, TH_ACK, AP, 0 },
	{ "FIN, PSH, CWR, ECE", { 2500, 1000, TH_ACK | TH_PSH | TH_FIN | TH_CWR | TH_ECE, 0, 12,
	  1, 8 }, 3, TH_ACK | TH_CWR | TH_ECE, TH_ACK | TH_ECE,
	  TH_ACK | TH_ECE | TH_PSH | TH_FIN, 0 },
	{ "URG inside the first", { 3000, 1000, TH_ACK | TH_URG, 500, 12, 1, 9 }, 3,
	  TH_ACK | TH_URG, TH_ACK, TH_ACK, 1 },
	{ "URG at the second's start", { 3000, 1000, TH_ACK | TH_URG, 1000, 12, 1, 9 }, 3,
	  TH_ACK | TH_URG, TH_ACK | TH_URG, TH_ACK, 2 },
	{ "URG in the last", { 3000, 1000, TH_ACK | TH_URG, 2500, 0, 1, 9 }, 3,
	  TH_ACK | TH_URG, TH_ACK | TH_URG, TH_ACK | TH_URG, 3 },
	{ "URG beyond the data", { 3000, 1000, TH_ACK | TH_URG, 0xffff, 0, 1, 9 }, 3,
	  TH_ACK | TH_URG, TH_ACK | TH_URG, TH_ACK | TH_URG, 3 },
	{ "URG pointer 0", { 3000, 1000, TH_ACK | TH_URG, 0, 0, 1, 9 }, 3, TH_ACK | TH_URG,
	  TH_ACK, TH_ACK, 1 },
	{ "pointer without URG ignored", { 3000, 1000, TH_ACK, 2000, 0, 1, 9 }, 3, TH_ACK,
	  TH_ACK, TH_ACK, 0 },
	{ "SYN that fits", { 100, 1440, TH_SYN, 0, 12, 1, 9 }, 1, TH_SYN, TH_SYN, TH_SYN, 0 },
};

static void test_cut_table(void **state)
{
	for (size_t k = 0; k < sizeof(cut_cases) / sizeof(cut_cases[0]); k++) {
		const struct cut_case *c = &cut_cases[k];
		print_message("  %s\n", c->name);
		build(&c->sh);
		uint32_t base = in_use(S);
		uint64_t cut = S->counters[CNT_GSO_SUPER_SEGMENTS_CUT];
		uint64_t made = S->counters[CNT_GSO_SEGMENTS_MADE];
		struct umk_pkt *out = (struct umk_pkt *)1;
		assert_int_equal(gso_segment_tcp6(S, orig_pkt(S, c->sh.gso), &out), 0);
		assert_non_null(out);
		/* the table's own expectations, independent of the model */
		uint32_t n = 0, urg = 0;
		for (struct umk_pkt *p = out; p; p = p->next, n++) {
			uint8_t f = p->data[IP6_HLEN + 13];
			uint16_t urp = get16(p->data + IP6_HLEN + 18);
			if (n == 0)
				assert_int_equal(f, c->first);
			else if (!p->next)
				assert_int_equal(f, c->last);
			else if (n == 1)
				assert_int_equal(f, c->middle);
			if (f & TH_URG) {
				urg++;
				assert_int_equal(urp, c->sh.urp - n * c->sh.gso);
			} else {
				assert_int_equal(urp, 0);
			}
		}
		assert_int_equal(n, c->n);
		assert_int_equal(urg, c->urg_segs);
		assert_int_equal(check_chain(out, c->sh.gso), c->n);
		assert_int_equal(in_use(S), base);  /* the input was consumed, outputs freed */
		assert_int_equal(S->counters[CNT_GSO_SUPER_SEGMENTS_CUT], cut + 1);
		assert_int_equal(S->counters[CNT_GSO_SEGMENTS_MADE], made + c->n);
	}
}

/* ---- refusals: each returns its errno, counts its cause, builds nothing, frees pkt ---- */

enum mutation { M_NONE, M_DSTOPTS, M_UDP, M_PLEN_BIG, M_PLEN_SMALL, M_DOFF_SMALL,
		M_DOFF_PAST, M_SHORT, M_VERSION4, M_GSO0, M_SYN_MULTI, M_RST_MULTI, M_BAD_OPT,
		M_TCP_SHORT };

struct err_case {
	const char *name;
	enum mutation m;
	int err;
	enum umk_counter counter;
};

static const struct err_case err_cases[] = {
	{ "Destination Options before TCP", M_DSTOPTS, -EPROTONOSUPPORT, CNT_GSO_DROP_NOT_TCP },
	{ "UDP", M_UDP, -EPROTONOSUPPORT, CNT_GSO_DROP_NOT_TCP },
	{ "payload length past the packet", M_PLEN_BIG, -EINVAL, CNT_GSO_DROP_MALFORMED },
	{ "payload length short of the packet", M_PLEN_SMALL, -EINVAL, CNT_GSO_DROP_MALFORMED },
	{ "Data Offset 4", M_DOFF_SMALL, -EINVAL, CNT_GSO_DROP_MALFORMED },
	{ "Data Offset past the packet", M_DOFF_PAST, -EINVAL, CNT_GSO_DROP_MALFORMED },
	{ "shorter than an IPv6 header", M_SHORT, -EINVAL, CNT_GSO_DROP_MALFORMED },
	{ "version 4", M_VERSION4, -EINVAL, CNT_GSO_DROP_MALFORMED },
	{ "gso_size 0", M_GSO0, -EINVAL, CNT_GSO_DROP_MALFORMED },
	{ "SYN over two segments", M_SYN_MULTI, -EINVAL, CNT_GSO_DROP_SYN_RST },
	{ "RST over two segments", M_RST_MULTI, -EINVAL, CNT_GSO_DROP_SYN_RST },
	{ "option running past the header", M_BAD_OPT, -EINVAL, CNT_GSO_DROP_MALFORMED },
	{ "TCP header cut short", M_TCP_SHORT, -EINVAL, CNT_GSO_DROP_MALFORMED },
};

static void test_refusals(void **state)
{
	for (size_t k = 0; k < sizeof(err_cases) / sizeof(err_cases[0]); k++) {
		const struct err_case *c = &err_cases[k];
		print_message("  %s\n", c->name);
		struct shape sh = { 3000, 1000, AP, 0, 12, 1, 1 };
		build(&sh);
		uint16_t gso = 1000;
		uint8_t *t = orig + IP6_HLEN;
		switch (c->m) {
		case M_DSTOPTS:   /* an 8-byte Destination Options header (PadN) before TCP */
			memmove(orig + IP6_HLEN + 8, orig + IP6_HLEN, orig_len - IP6_HLEN);
			memcpy(orig + IP6_HLEN, (uint8_t[8]){ 6, 0, 1, 4, 0, 0, 0, 0 }, 8);
			orig[6] = 60;
			orig_len += 8;
			put16(orig + 4, (uint16_t)(orig_len - IP6_HLEN));
			break;
		case M_UDP: orig[6] = 17; break;
		case M_PLEN_BIG: put16(orig + 4, (uint16_t)(orig_len - IP6_HLEN + 1)); break;
		case M_PLEN_SMALL: put16(orig + 4, (uint16_t)(orig_len - IP6_HLEN - 1)); break;
		case M_DOFF_SMALL: t[12] = 4 << 4; break;
		case M_DOFF_PAST:  /* 60 bytes of header claimed in a 40-byte TCP part */
			orig_len = IP6_HLEN + 40;
			put16(orig + 4, 40);
			t[12] = 15 << 4;
			break;
		case M_SHORT: orig_len = 39; break;
		case M_VERSION4: orig[0] = 0x42; break;
		case M_GSO0: gso = 0; break;
		case M_SYN_MULTI: t[13] = TH_SYN; break;
		case M_RST_MULTI: t[13] = TH_RST | TH_ACK; break;
		case M_BAD_OPT: t[TCP_HLEN + 3] = 11; break;   /* Timestamps of length 11 */
		case M_TCP_SHORT:
			orig_len = IP6_HLEN + 19;
			put16(orig + 4, 19);
			break;
		case M_NONE: break;
		}
		uint32_t base = in_use(S);
		uint64_t before[CNT__COUNT];
		memcpy(before, S->counters, sizeof(before));
		struct umk_pkt *out = (struct umk_pkt *)1;
		assert_int_equal(gso_segment_tcp6(S, orig_pkt(S, gso), &out), c->err);
		assert_null(out);
		assert_int_equal(in_use(S), base);
		/* exactly its own counter moved among the gso ones */
		for (int i = CNT_GSO_CSUM_FINISHED; i <= CNT_GSO_DROP_NOBUFS; i++)
			assert_int_equal(S->counters[i], before[i] + (i == (int)c->counter));
	}
}

/* ---- pool exhaustion: -ENOBUFS, everything built freed; one that just fits works ---- */

static void test_pool_exhaustion(void **state)
{
	/* only 2 KiB buffers: six of them; the super-segment takes one */
	struct umk_stack *saved = S;
	S = new_stack(6, 0, 0);
	static const struct { uint32_t payload; int err; } rows[] = {
		{ 1000, -ENOBUFS },   /* 10 segments, 5 buffers left */
		{ 600, -ENOBUFS },    /* 6 */
		{ 500, 0 },           /* 5: exactly what is left */
		{ 1000, -ENOBUFS },   /* and again after that one */
	};
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		struct shape sh = { rows[k].payload, 100, AP, 0, 12, 1, 1 };
		build(&sh);
		uint32_t base = in_use(S);
		uint64_t nobufs = S->counters[CNT_GSO_DROP_NOBUFS];
		struct umk_pkt *out = (struct umk_pkt *)1;
		assert_int_equal(gso_segment_tcp6(S, orig_pkt(S, 100), &out), rows[k].err);
		if (rows[k].err) {
			assert_null(out);
			assert_int_equal(in_use(S), base);
			assert_int_equal(S->counters[CNT_GSO_DROP_NOBUFS], nobufs + 1);
		} else {
			assert_int_equal(in_use(S), base + 5);  /* the input freed */
			assert_int_equal(check_chain(out, 100), 5);
			assert_int_equal(in_use(S), base);
		}
	}
	assert_int_equal(in_use(S), 0);
	umk_stack_free(S);
	S = saved;
}

/* ---- random shapes against the model ---- */

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
	return (uint32_t)(rs >> 16);
}

static void test_model_random(void **state)
{
	static const uint8_t optlens[4] = { 0, 12, 20, 40 };
	for (int iter = 0; iter < 600; iter++) {
		struct shape sh;
		sh.optlen = optlens[rnd() % 4];
		uint32_t room = 65535 - TCP_HLEN - sh.optlen;
		switch (rnd() % 3) {
		case 0: sh.payload = rnd() % 64; break;
		case 1: sh.payload = rnd() % 9000; break;
		default: sh.payload = room - rnd() % 2000; break;
		}
		/* at most ~1500 segments: the pool's 2048 small buffers (64 medium ones for segments
		 * past 1.7 KB) hold them */
		uint32_t min_gso = sh.payload / 1500 + 1;
		sh.gso = (uint16_t)(rnd() % 3 ? min_gso + rnd() % 2000 : min_gso + rnd() % 4);
		sh.flags = (uint8_t)(rnd() & ~(TH_SYN | TH_RST));
		if (rnd() % 8 == 0 && sh.payload <= sh.gso)
			sh.flags |= TH_SYN;
		sh.urp = (uint16_t)(rnd() % 2 ? rnd() % (sh.payload + 2) : rnd());
		sh.seq = rnd() << 16 ^ rnd();
		sh.fill = (uint8_t)rnd();
		build(&sh);
		uint32_t base = in_use(S);
		struct umk_pkt *out = NULL;
		assert_int_equal(gso_segment_tcp6(S, orig_pkt(S, sh.gso), &out), 0);
		check_chain(out, sh.gso);
		assert_int_equal(in_use(S), base);
	}
}

/* ---- gso_csum_finish ---- */

enum proto { P_TCP, P_UDP };

struct csum_case {
	const char *name;
	enum proto proto;
	uint32_t payload;
	int32_t start_delta;        /* csum_start - the transport header's offset */
	uint16_t csum_offset;
	bool make_zero;             /* payload chosen so the checksum comes out 0 */
	int rc;
	uint16_t want;              /* when make_zero: the field afterwards */
};

static const struct csum_case csum_cases[] = {
	{ "TCP", P_TCP, 1000, 0, 16, false, 0, 0 },
	{ "TCP, odd length", P_TCP, 999, 0, 16, false, 0, 0 },
	{ "UDP", P_UDP, 333, 0, 6, false, 0, 0 },
	{ "UDP, no payload", P_UDP, 0, 0, 6, false, 0, 0 },
	{ "UDP summing to 0 is sent as 0xffff", P_UDP, 64, 0, 6, true, 0, 0xffff },
	{ "TCP summing to 0 stays 0", P_TCP, 64, 0, 16, true, 0, 0x0000 },
	{ "start before data", P_TCP, 100, -(int32_t)IP6_HLEN - 1, 16, false, -EINVAL, 0 },
	{ "start past the end", P_TCP, 100, 20 + 100 + 1, 0, false, -EINVAL, 0 },
	{ "field past the end", P_TCP, 0, 0, 20, false, -EINVAL, 0 },
	{ "field's last byte past the end", P_UDP, 1, 0, 8, false, -EINVAL, 0 },
	{ "odd offset", P_TCP, 100, 0, 15, false, -EINVAL, 0 },
};

static void test_csum_finish(void **state)
{
	struct in6_addr src = A("2001:db8::2"), dst = A("2001:db8::1");
	for (size_t k = 0; k < sizeof(csum_cases) / sizeof(csum_cases[0]); k++) {
		const struct csum_case *c = &csum_cases[k];
		print_message("  %s\n", c->name);
		uint8_t nxt = c->proto == P_TCP ? IPPROTO6_TCP : IPPROTO6_UDP;
		uint32_t hl = c->proto == P_TCP ? TCP_HLEN : 8, tl = hl + c->payload;
		struct umk_pkt *p = pkt_alloc(S, IP6_HLEN + tl, PKT_HEADROOM);
		assert_non_null(p);
		uint8_t *d = pkt_put(p, IP6_HLEN + tl), *t = d + IP6_HLEN;
		struct ip6_hdr_info ip = { .version = 6, .plen = (uint16_t)tl, .nxt = nxt,
					   .hlim = 64, .src = src, .dst = dst };
		ip6_hdr_emit(d, &ip);
		for (uint32_t i = 0; i < tl; i++)
			t[i] = (uint8_t)(i * 13 + k);
		if (c->proto == P_TCP) {
			t[12] = 5 << 4;
		} else {
			put16(t + 4, (uint16_t)tl);
		}
		uint16_t field = c->proto == P_TCP ? 16 : 6;
		/* what a sender leaves there: the pseudo-header sum, not complemented */
		uint16_t pseudo = (uint16_t)csum_pseudo6(&src, &dst, tl, nxt);
		put16(t + field, pseudo);
		if (c->make_zero) {
			/* the last two payload bytes make the whole sum 0xffff: checksum 0 */
			put16(t + tl - 2, 0);
			uint16_t s0 = (uint16_t)csum_add(0, t, tl);
			put16(t + tl - 2, (uint16_t)~s0);
			assert_int_equal(csum_fold(csum_add(0, t, tl)), 0);
		}
		p->flags = PKT_F_CSUM_PARTIAL;
		p->csum_start = (uint32_t)((int32_t)pkt_off(p) + IP6_HLEN + c->start_delta);
		p->csum_offset = c->csum_offset;
		uint64_t fin = S->counters[CNT_GSO_CSUM_FINISHED];
		uint64_t bad = S->counters[CNT_GSO_DROP_CSUM_OFFSETS];
		uint8_t copy[IP6_HLEN + 2000];
		memcpy(copy, d, IP6_HLEN + tl);
		assert_int_equal(gso_csum_finish(S, p), c->rc);
		if (c->rc) {
			assert_int_equal(S->counters[CNT_GSO_DROP_CSUM_OFFSETS], bad + 1);
			assert_int_equal(S->counters[CNT_GSO_CSUM_FINISHED], fin);
			assert_memory_equal(d, copy, IP6_HLEN + tl);   /* nothing written */
			assert_true(p->flags & PKT_F_CSUM_PARTIAL);
		} else {
			assert_int_equal(S->counters[CNT_GSO_CSUM_FINISHED], fin + 1);
			assert_false(p->flags & PKT_F_CSUM_PARTIAL);
			assert_int_equal(csum_ip6(&src, &dst, nxt, t, tl), 0);
			if (c->make_zero)
				assert_int_equal(get16(t + field), c->want);
			if (c->proto == P_UDP)
				assert_int_not_equal(get16(t + field), 0);
			/* only the field changed */
			put16(copy + IP6_HLEN + field, get16(t + field));
			assert_memory_equal(d, copy, IP6_HLEN + tl);
			/* a second call has nothing to do */
			assert_int_equal(gso_csum_finish(S, p), 0);
			assert_int_equal(S->counters[CNT_GSO_CSUM_FINISHED], fin + 1);
		}
		pkt_free(S, p);
	}
}

/* A super-segment's checksum left open, as a TAP peer hands it over, then cut: the cut
 * ignores whatever the field held. */
static void test_partial_then_cut(void **state)
{
	struct shape sh = { 5000, 1220, AP, 0, 12, 42, 3 };
	build(&sh);
	struct in6_addr src, dst;
	memcpy(&src, orig + 8, 16);
	memcpy(&dst, orig + 24, 16);
	put16(orig + IP6_HLEN + 16,
	      (uint16_t)csum_pseudo6(&src, &dst, orig_len - IP6_HLEN, IPPROTO6_TCP));
	struct umk_pkt *p = orig_pkt(S, 1220);
	assert_int_equal(gso_csum_finish(S, p), 0);
	assert_int_equal(csum_ip6(&src, &dst, IPPROTO6_TCP, p->data + IP6_HLEN,
				  p->len - IP6_HLEN), 0);
	struct umk_pkt *out;
	assert_int_equal(gso_segment_tcp6(S, p, &out), 0);
	assert_int_equal(check_chain(out, 1220), 5);
}

static int setup(void **state)
{
	S = new_stack(2048, 64, 4);
	return 0;
}

/* every test gives back what it took: a leak fails the group */
static int teardown(void **state)
{
	uint32_t left = in_use(S);
	umk_stack_free(S);
	if (left)
		print_error("%u packets still in use\n", left);
	return left ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_table),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_pool_exhaustion),
		cmocka_unit_test(test_model_random),
		cmocka_unit_test(test_csum_finish),
		cmocka_unit_test(test_partial_then_cut),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
