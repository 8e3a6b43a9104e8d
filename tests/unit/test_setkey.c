/*
 * test_setkey.c - setkey(8)'s language into PF_KEY v2 (src/ctl/setkey.c) and the dump
 * printer (setkey_print.c). Table cases: a text and the messages it must make, each
 * described in one line from the bytes (parsed back with wire/pfkey.c, so the bytes are
 * checked to be valid RFC 2367 too); a text and the "NAME:LINE: reason" it must be refused
 * with, leaving nothing parsed. Plus golden bytes for one ADD and the dump formats.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctl/setkey.h"
#include "wire/pfkey.h"

static const char *const tnames[] = {
	[SADB_ADD] = "ADD", [SADB_UPDATE] = "UPDATE", [SADB_GET] = "GET",
	[SADB_DELETE] = "DELETE", [SADB_DUMP] = "DUMP", [SADB_FLUSH] = "FLUSH",
	[SADB_X_SPDADD] = "SPDADD", [SADB_X_SPDUPDATE] = "SPDUPDATE",
	[SADB_X_SPDDELETE] = "SPDDELETE", [SADB_X_SPDFLUSH] = "SPDFLUSH",
	[SADB_X_SPDDUMP] = "SPDDUMP",
};

static void addr(char *out, size_t cap, const struct pfkey_address *a)
{
	char b[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &a->addr, b, sizeof(b));
	snprintf(out, cap, "%s/%u[%u]", b, a->prefixlen, a->port);
}

/* One line saying what a message holds. */
static void describe(const uint8_t *msg, size_t len, char *out, size_t cap)
{
	struct pfkey_msg m;
	int r = pfkey_parse(msg, len, &m);
	assert_int_equal(r, 0);
	size_t n = (size_t)snprintf(out, cap, "%s sat=%u", tnames[m.base.type], m.base.satype);
#define ADD(...) n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__)
	if (PFKEY_HAS(&m, SADB_EXT_SA))
		ADD(" spi=0x%x e=%u a=%u r=%u", m.sa.spi, m.sa.encrypt, m.sa.auth, m.sa.replay);
	if (PFKEY_HAS(&m, SADB_EXT_SA) && m.sa.flags)
		ADD(" f=0x%x", m.sa.flags);
	if (PFKEY_HAS(&m, SADB_EXT_ADDRESS_SRC)) {
		char s[80], d[80];
		addr(s, sizeof(s), &m.addr[0]);
		addr(d, sizeof(d), &m.addr[1]);
		ADD(" %s>%s p=%u", s, d, m.addr[0].proto);
	}
	if (PFKEY_HAS(&m, SADB_EXT_KEY_ENCRYPT))
		ADD(" ek=%u:%02x", m.key_enc.bits, m.key_enc.data[0]);
	if (PFKEY_HAS(&m, SADB_EXT_KEY_AUTH))
		ADD(" ak=%u:%02x", m.key_auth.bits, m.key_auth.data[0]);
	if (PFKEY_HAS(&m, SADB_EXT_LIFETIME_HARD))
		ADD(" hard=%llus/%lluB", (unsigned long long)m.life[1].addtime,
		    (unsigned long long)m.life[1].bytes);
	if (PFKEY_HAS(&m, SADB_EXT_LIFETIME_SOFT))
		ADD(" soft=%llus/%lluB", (unsigned long long)m.life[2].addtime,
		    (unsigned long long)m.life[2].bytes);
	if (PFKEY_HAS(&m, SADB_X_EXT_SA2))
		ADD(" mode=%u reqid=%u", m.sa2.mode, m.sa2.reqid);
	if (PFKEY_HAS(&m, SADB_X_EXT_SA_REPLAY))
		ADD(" window=%u", m.sa_replay);
	if (PFKEY_HAS(&m, SADB_X_EXT_POLICY)) {
		ADD(" dir=%u type=%u prio=%u", m.policy.dir, m.policy.type, m.policy.priority);
		for (int i = 0; i < m.policy.n_req; i++) {
			const struct pfkey_ipsecreq *q = &m.policy.req[i];
			ADD(" req=%u/%u/%u/%u", q->proto, q->mode, q->level, q->reqid);
			if (q->tunnel_addrs) {
				char s[80], d[80];
				addr(s, sizeof(s), &q->src);
				addr(d, sizeof(d), &q->dst);
				ADD("/%s-%s", s, d);
			}
		}
	}
#undef ADD
}

static const struct ok_case {
	const char *text;
	const char *want;        /* descriptions, one per message, separated by '\n' */
	enum setkey_kind kind;   /* of the last message */
} ok_cases[] = {
	/* AES-GCM-16, 128-bit key + salt, transport, hex key */
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -m transport -E aes-gcm-16 "
	  "0x0102030405060708090a0b0c0d0e0f1011121314;",
	  "ADD sat=3 spi=0x1000 e=20 a=0 r=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 "
	  "ek=160:01 mode=1 reqid=0", SETKEY_SEND },
	/* AES-CBC + HMAC-SHA-256, decimal SPI, replay, reqid, lifetimes, comment */
	{ "# a comment\nadd -6 2001:db8::2 2001:db8::1 esp 4097 -m tunnel -r 8 -u 7\n"
	  "  -lh 3600 -ls 3000 -bh 100000 -bs 90000\n"
	  "  -E rijndael-cbc 0x000102030405060708090a0b0c0d0e0f\n"
	  "  -A hmac-sha256 0xff0102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f;",
	  "ADD sat=3 spi=0x1001 e=12 a=5 r=8 2001:db8::2/128[0]>2001:db8::1/128[0] p=255 "
	  "ek=128:00 ak=256:ff hard=3600s/100000B soft=3000s/90000B mode=2 reqid=7",
	  SETKEY_SEND },
	/* replay windows past the 8-bit byte count: 512 bytes = 4096 packets, up to 8192 bytes
	 * = 65536 packets in FreeBSD's SADB_X_EXT_SA_REPLAY; 255 bytes still fit the field */
	{ "add 2001:db8::1 2001:db8::2 esp 0x1002 -r 512 -E aes-gcm-16 "
	  "0x0102030405060708090a0b0c0d0e0f1011121314;"
	  "add 2001:db8::1 2001:db8::2 esp 0x1003 -r 8192 -E aes-gcm-16 "
	  "0x0102030405060708090a0b0c0d0e0f1011121314;"
	  "add 2001:db8::1 2001:db8::2 esp 0x1004 -r 255 -E aes-gcm-16 "
	  "0x0102030405060708090a0b0c0d0e0f1011121314;",
	  "ADD sat=3 spi=0x1002 e=20 a=0 r=255 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 "
	  "ek=160:01 mode=0 reqid=0 window=4096\n"
	  "ADD sat=3 spi=0x1003 e=20 a=0 r=255 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 "
	  "ek=160:01 mode=0 reqid=0 window=65536\n"
	  "ADD sat=3 spi=0x1004 e=20 a=0 r=255 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 "
	  "ek=160:01 mode=0 reqid=0", SETKEY_SEND },
	/* -f esn: RFC 4303 ESN as FreeBSD's sadb_sa_flags bit */
	{ "add 2001:db8::1 2001:db8::2 esp 0x1005 -f esn -E aes-gcm-16 "
	  "0x0102030405060708090a0b0c0d0e0f1011121314;",
	  "ADD sat=3 spi=0x1005 e=20 a=0 r=0 f=0x400 2001:db8::1/128[0]>2001:db8::2/128[0] "
	  "p=255 ek=160:01 mode=0 reqid=0", SETKEY_SEND },
	/* quoted-string keys, AH with HMAC-SHA-1, ports on SA addresses */
	{ "add 2001:db8::1[500] 2001:db8::2[4500] ah 300 -A hmac-sha1 \"12345678901234567890\";",
	  "ADD sat=2 spi=0x12c e=0 a=3 r=0 2001:db8::1/128[500]>2001:db8::2/128[4500] p=255 "
	  "ak=160:31 mode=0 reqid=0", SETKEY_SEND },
	/* NULL encryption with integrity takes no key material */
	{ "add 2001:db8::1 2001:db8::2 esp 0x200 -E null \"\" -A hmac-sha512 "
	  "0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f"
	  "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f;",
	  "ADD sat=3 spi=0x200 e=11 a=7 r=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 "
	  "ak=512:00 mode=0 reqid=0", SETKEY_SEND },
	{ "add 2001:db8::1 2001:db8::2 esp 0x201 -E chacha20-poly1305 "
	  "0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f01020304;",
	  "ADD sat=3 spi=0x201 e=28 a=0 r=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 "
	  "ek=288:00 mode=0 reqid=0", SETKEY_SEND },
	{ "add 2001:db8::1 2001:db8::2 esp 0x202 -E null_aes_gmac "
	  "0x0102030405060708090a0b0c0d0e0f1011121314;"
	  "add 2001:db8::1 2001:db8::2 esp 0x203 -E aes-cbc 0x000102030405060708090a0b0c0d0e0f"
	  " -A aes-xcbc-mac 0x000102030405060708090a0b0c0d0e0f;",
	  "ADD sat=3 spi=0x202 e=23 a=0 r=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 "
	  "ek=160:01 mode=0 reqid=0\n"
	  "ADD sat=3 spi=0x203 e=12 a=9 r=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 "
	  "ek=128:00 ak=128:00 mode=0 reqid=0", SETKEY_SEND },
	{ "add 2001:db8::1 2001:db8::2 ah 0x300 -A hmac-sha384 "
	  "0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f"
	  "000102030405060708090a0b0c0d0e0f;",
	  "ADD sat=2 spi=0x300 e=0 a=6 r=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 "
	  "ak=384:00 mode=0 reqid=0", SETKEY_SEND },
	{ "update 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-gcm-16 "
	  "0x0102030405060708090a0b0c0d0e0f1011121314;",
	  "UPDATE sat=3 spi=0x1000 e=20 a=0 r=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 "
	  "ek=160:01 mode=0 reqid=0", SETKEY_SEND },
	{ "get 2001:db8::1 2001:db8::2 esp 0x1000 ;",
	  "GET sat=3 spi=0x1000 e=0 a=0 r=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255",
	  SETKEY_PRINT_SA },
	{ "delete 2001:db8::1 2001:db8::2 ah 4096;",
	  "DELETE sat=2 spi=0x1000 e=0 a=0 r=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255",
	  SETKEY_SEND },
	{ "deleteall 2001:db8::1 2001:db8::2 esp;", "DUMP sat=3", SETKEY_DELETEALL },
	{ "flush;dump esp;", "FLUSH sat=0\nDUMP sat=3", SETKEY_PRINT_SA },
	{ "flush ah ; spdflush;spddump;", "FLUSH sat=2\nSPDFLUSH sat=0\nSPDDUMP sat=0",
	  SETKEY_PRINT_SP },
	/* policies */
	{ "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec esp/transport//require;",
	  "SPDADD sat=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 dir=2 type=2 prio=0 "
	  "req=50/1/2/0", SETKEY_SEND },
	{ "spdadd 2001:db8:1::/48[any] 2001:db8:2::/64[80] tcp -P in ipsec\n"
	  "  ah/transport//use esp/tunnel/2001:db8::a-2001:db8::b/unique:12 ;",
	  "SPDADD sat=0 2001:db8:1::/48[0]>2001:db8:2::/64[80] p=6 dir=1 type=2 prio=0 "
	  "req=51/1/1/0 req=50/2/3/12/2001:db8::a/0[0]-2001:db8::b/0[0]", SETKEY_SEND },
	{ "spdupdate ::/0 ::/0 icmp6 135,0 -P out prio 10 none;",
	  "SPDUPDATE sat=0 ::/0[135]>::/0[0] p=58 dir=2 type=1 prio=10", SETKEY_SEND },
	{ "spdadd ::/0 2001:db8::/32 udp -P in discard;",
	  "SPDADD sat=0 ::/0[0]>2001:db8::/32[0] p=17 dir=1 type=0 prio=0", SETKEY_SEND },
	{ "spdadd ::/0 ::/0 58 out bypass;",
	  "SPDADD sat=0 ::/0[0]>::/0[0] p=58 dir=2 type=4 prio=0", SETKEY_SEND },
	{ "spddelete 2001:db8::1 2001:db8::2 any -P out;"
	  "spddelete 2001:db8::1 2001:db8::2 any -P in ipsec esp/transport//require;",
	  "SPDDELETE sat=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 dir=2 type=0 prio=0\n"
	  "SPDDELETE sat=0 2001:db8::1/128[0]>2001:db8::2/128[0] p=255 dir=1 type=0 prio=0",
	  SETKEY_SEND },
	/* empty statements, comments after code, CRLF, no trailing newline */
	{ ";; spdflush; # done\r\n  ;", "SPDFLUSH sat=0", SETKEY_SEND },
};

static void test_ok(void **state)
{
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *c = &ok_cases[i];
		struct setkey_prog prog = { 0 };
		char err[256] = "", got[4096] = "";
		size_t n = 0;
		int r = setkey_parse(c->text, strlen(c->text), "t", &prog, err, sizeof(err));
		if (r)
			fail_msg("case %zu: %s", i, err);
		for (size_t j = 0; j < prog.n; j++) {
			char line[1024];
			describe(prog.cmds[j].msg, prog.cmds[j].len, line, sizeof(line));
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s", j ? "\n" : "", line);
			/* seq counts the statements */
			uint32_t seq;
			memcpy(&seq, prog.cmds[j].msg + 8, 4);
			assert_int_equal(seq, j + 1);
		}
		if (strcmp(got, c->want))
			fail_msg("case %zu:\n got: %s\nwant: %s", i, got, c->want);
		assert_int_equal(prog.cmds[prog.n - 1].kind, c->kind);
		setkey_prog_free(&prog);
	}
}

static const struct err_case {
	const char *text;
	const char *want;        /* the start of the message */
} err_cases[] = {
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-gcm-16 0x0102;", "t:1: aes-gcm-16 takes a key of 160/224/288 bits, not 16" },
	{ "spdflush;\nflush;\nadd 2001:db8::1 2001:db8::2 esp 0x1000\n -E aes-cbc 0x00;",
	  "t:4: aes-cbc takes a key of 128/192/256 bits" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E 3des-cbc 0x00;", "t:1: 3des-cbc: 3DES" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc 0x000102030405060708090a0b0c0d0e0f;",
	  "t:1: esp without integrity" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-gcm-16 "
	  "0x0102030405060708090a0b0c0d0e0f1011121314 -A hmac-sha1 \"12345678901234567890\";",
	  "t:1: a combined-mode algorithm takes no -A" },
	{ "add 2001:db8::1 2001:db8::2 ah 0x1000 -A hmac-md5 0x00;", "t:1: hmac-md5:" },
	{ "add 2001:db8::1 2001:db8::2 ah 0x1000;", "t:1: ah needs an authentication" },
	{ "add 2001:db8::1 2001:db8::2 esp 255 -E null \"\" -A hmac-sha1 0x00;",
	  "t:1: SPI 255 is reserved" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1x -E null;", "t:1: \"0x1x\": an SPI" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x1000;", "t:1: \"10.0.0.1\": IPv4 is not supported" },
	{ "add host.example 2001:db8::2 esp 0x1000;", "t:1: \"host.example\": not a numeric" },
	{ "add 2001:db8::1/64 2001:db8::2 esp 0x1000;", "t:1: \"2001:db8::1/64\": an SA address" },
	{ "add 2001:db8::1 2001:db8::2 esp-old 0x1000;", "t:1: esp-old: RFC 1827" },
	{ "add 2001:db8::1 2001:db8::2 ipcomp 0x1000 -C lzs;", "t:1: compression algorithm \"lzs\"" },
	{ "add 2001:db8::1 2001:db8::2 ipcomp 0x1000;", "t:1: ipcomp needs a compression" },
	{ "add 2001:db8::1 2001:db8::2 ipcomp 100 -C deflate;", "t:1: CPI 100: 1-63" },
	{ "add 2001:db8::1 2001:db8::2 ipcomp 0x10000 -C deflate;", "t:1: CPI 0x10000: 1-63" },
	{ "add 2001:db8::1 2001:db8::2 ipcomp 0x1000 -C deflate -E null \"\";",
	  "t:1: ipcomp takes no -E" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -C deflate -E null \"\";",
	  "t:1: only ipcomp takes" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -m beet;", "t:1: unknown mode \"beet\"" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -r 8193;",
	  "t:1: \"8193\": bad replay window size (bytes)" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -f zero-pad;", "t:1: -f padding" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc 0x0g;", "t:1: key has a character" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc 0x123;", "t:1: key has an odd" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -E aes-cbc \"unterminated;\n",
	  "t:1: unterminated" },
	{ "add 2001:db8::1 2001:db8::2 esp 0x1000 -lh 10 -ls 20 -E null \"\" -A hmac-sha1 "
	  "\"12345678901234567890\";", "t:1: soft lifetime longer" },
	{ "flush\n", "t:1: missing ';'" },
	{ "\n\nfrobnicate;", "t:3: unknown command \"frobnicate\"" },
	{ "dump esp ah;", "t:1: unexpected \"ah\"" },
	{ "get 2001:db8::1 2001:db8::2 esp;", "t:1: missing SPI" },
	{ "spdadd 2001:db8::1 2001:db8::2 any -P fwd ipsec esp/tunnel/a-b/require;",
	  "t:1: fwd policies" },
	{ "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec;", "t:1: ipsec needs at least one" },
	{ "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec esp/tunnel//require;",
	  "t:1: a tunnel request needs" },
	{ "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec esp/transport//sometimes;",
	  "t:1: unknown level \"sometimes\"" },
	{ "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec lzs/transport//use;",
	  "t:1: unknown request protocol \"lzs\"" },
	{ "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec ipcomp/tunnel/a-b/use;",
	  "t:1: ipcomp/tunnel is not supported" },
	{ "spdadd 2001:db8::1 2001:db8::2 any -P out discard esp/transport//use;",
	  "t:1: only ipsec policies" },
	{ "spdadd 2001:db8::1 2001:db8::2 any -P out entrust;", "t:1: entrust:" },
	{ "spdadd 2001:db8::/129 2001:db8::2 any -P out none;", "t:1: \"129\": bad prefix" },
	{ "spdadd 2001:db8::1[70000] 2001:db8::2 any -P out none;", "t:1: \"70000\": bad port" },
	{ "spdadd 2001:db8::1[80] 2001:db8::2 any -P out none;", "t:1: ports need tcp" },
	{ "spdadd 2001:db8::1 2001:db8::2 bogus -P out none;",
	  "t:1: unknown upper-layer protocol" },
	{ "spdadd 2001:db8::1 2001:db8::2 icmp6 300,1 -P out none;",
	  "t:1: ICMPv6 TYPE,CODE expected" },
	{ "spdadd fe80::1%eth0 2001:db8::2 any -P out none;", "t:1: \"fe80::1%eth0\": zones" },
	{ "spdadd 2001:db8::1 2001:db8::2 any -P out ipsec esp/transport//require "
	  "ah/transport//require esp/transport//use;", "t:1: at most two requests" },
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		struct setkey_prog prog = { 0 };
		char err[256] = "";
		/* a statement that parses comes first: nothing may be left of it */
		int r = setkey_parse(c->text, strlen(c->text), "t", &prog, err, sizeof(err));
		if (r != -1 || strncmp(err, c->want, strlen(c->want)))
			fail_msg("case %zu: r=%d err \"%s\", want \"%s\"", i, r, err, c->want);
		assert_int_equal(prog.n, 0);
		setkey_prog_free(&prog);
	}
}

/* A text appended to a program that already holds statements leaves them as they were. */
static void test_error_keeps_earlier(void **state)
{
	struct setkey_prog prog = { 0 };
	char err[256];
	assert_int_equal(setkey_parse("spdflush;", 9, "a", &prog, err, sizeof(err)), 0);
	const char *bad = "flush;\nflush bogus;";
	assert_int_equal(setkey_parse(bad, strlen(bad), "b", &prog, err, sizeof(err)), -1);
	assert_string_equal(err, "b:2: unknown protocol \"bogus\"");
	assert_int_equal(prog.n, 1);
	assert_int_equal(prog.cmds[0].type, SADB_X_SPDFLUSH);
	assert_string_equal(prog.cmds[0].source, "a");
	setkey_prog_free(&prog);
}

/* The bytes of one ADD, laid out by hand from RFC 2367 2.3. */
static void test_golden_add(void **state)
{
	const char *t = "add 2001:db8::1 2001:db8::2 esp 0x01020304 -E aes-gcm-16 "
			"0x0102030405060708090a0b0c0d0e0f1011121314;";
	struct setkey_prog prog = { 0 };
	char err[128];
	assert_int_equal(setkey_parse(t, strlen(t), "g", &prog, err, sizeof(err)), 0);
	const uint8_t *m = prog.cmds[0].msg;
	size_t len = prog.cmds[0].len;
	/* base 16 + sa 16 + 2 addresses 40 + key 8+24 (20 bytes padded) + sa2 16 */
	assert_int_equal(len, 16 + 16 + 80 + 32 + 16);
	static const uint8_t base[] = { 2, SADB_ADD, 0, SADB_SATYPE_ESP, 20, 0, 0, 0 };
	assert_memory_equal(m, base, sizeof(base));
	/* sadb_sa: len 2, type 1, SPI in network order, replay 0, state mature, auth 0, enc 20 */
	static const uint8_t sa[] = { 2, 0, 1, 0, 1, 2, 3, 4, 0, 1, 0, 20, 0, 0, 0, 0 };
	assert_memory_equal(m + 16, sa, sizeof(sa));
	/* sadb_address src: len 5, type 5, proto any, prefix 128, then sockaddr_in6 */
	static const uint8_t asrc[] = { 5, 0, 5, 0, 255, 128, 0, 0, AF_INET6, 0, 0, 0 };
	assert_memory_equal(m + 32, asrc, sizeof(asrc));
	assert_int_equal(m[32 + 8 + 8], 0x20);     /* 2001:db8::1 */
	assert_int_equal(m[32 + 8 + 8 + 15], 1);
	/* sadb_key (encrypt): len 4, type 9, 160 bits */
	static const uint8_t key[] = { 4, 0, 9, 0, 160, 0, 0, 0, 1, 2, 3 };
	assert_memory_equal(m + 112, key, sizeof(key));
	setkey_prog_free(&prog);
}

static char *print_to_string(int (*fn)(FILE *, const uint8_t *, size_t), const uint8_t *msg,
			     size_t len, int *r)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	*r = fn(f, msg, len);
	fclose(f);
	return buf;
}

static int print_sa_fixed(FILE *f, const uint8_t *msg, size_t len)
{
	return setkey_print_sa(f, msg, len, 1000, 1700000000);
}

/* A DUMP answer as pfkey.c makes it, and the text setkey -D users expect. */
static void test_print_sa(void **state)
{
	uint8_t buf[512];
	struct pfkey_buf b;
	struct pfkey_base h = { .type = SADB_DUMP, .satype = SADB_SATYPE_ESP, .pid = 77 };
	struct pfkey_sa sa = { .spi = 0x1000, .state = SADB_SASTATE_MATURE,
			       .encrypt = SADB_X_EALG_AES_GCM_ICV16 };
	struct pfkey_lifetime cur = { .allocations = 5, .bytes = 640, .addtime = 990,
				      .usetime = 995 };
	struct pfkey_lifetime hard = { .addtime = 3600 }, soft = { .addtime = 3000 };
	struct pfkey_address a = { .prefixlen = 128, .proto = 255 };
	static const uint8_t key[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					 17, 18, 19, 20 };
	struct pfkey_sa2 sa2 = { .mode = 1, .reqid = 3 };
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &h);
	pfkey_emit_sa(&b, &sa);
	pfkey_emit_lifetime(&b, SADB_EXT_LIFETIME_CURRENT, &cur);
	pfkey_emit_lifetime(&b, SADB_EXT_LIFETIME_HARD, &hard);
	pfkey_emit_lifetime(&b, SADB_EXT_LIFETIME_SOFT, &soft);
	inet_pton(AF_INET6, "2001:db8::1", &a.addr);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &a);
	inet_pton(AF_INET6, "2001:db8::2", &a.addr);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &a);
	pfkey_emit_key(&b, SADB_EXT_KEY_ENCRYPT, key, 20);
	pfkey_emit_sa2(&b, &sa2);
	pfkey_emit_sa_replay(&b, 4096);   /* the window -r 512 asked for, in packets */
	int n = pfkey_finish(&b), r;
	assert_true(n > 0);
	char *s = print_to_string(print_sa_fixed, buf, (size_t)n, &r);
	assert_int_equal(r, 0);
	const char *want[] = {
		"2001:db8::1 2001:db8::2\n",
		"\tesp mode=transport spi=4096(0x00001000) reqid=3(0x00000003)\n",
		"\tE: aes-gcm-16  01020304 05060708 090a0b0c 0d0e0f10 11121314\n",
		"\tseq=0x00000000 replay=512 flags=0x00000000 state=mature\n",
		"\tdiff: 10(s)\thard: 3600(s)\tsoft: 3000(s)\n",
		"\tcurrent: 640(bytes)\thard: 0(bytes)\tsoft: 0(bytes)\n",
		"\tallocated: 5\thard: 0\tsoft: 0\n",
		"\tsadb_seq=0 pid=77 refcnt=0\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(s, want[i]))
			fail_msg("missing \"%s\" in:\n%s", want[i], s);
	assert_true(strncmp(s, want[0], strlen(want[0])) == 0);
	free(s);
	/* an error answer is not an SA */
	buf[2] = 2;
	s = print_to_string(print_sa_fixed, buf, (size_t)n, &r);
	assert_int_equal(r, -1);
	assert_string_equal(s, "");
	free(s);
}

static void test_print_sp(void **state)
{
	const char *t = "spdadd 2001:db8:1::/48[any] 2001:db8::2[80] tcp -P out prio 5 ipsec "
			"ah/transport//use esp/tunnel/2001:db8::a-2001:db8::b/unique:12;"
			"spdadd ::/0 ::/0 icmp6 135,0 -P in none;";
	struct setkey_prog prog = { 0 };
	char err[128];
	int r;
	assert_int_equal(setkey_parse(t, strlen(t), "p", &prog, err, sizeof(err)), 0);
	char *s = print_to_string(setkey_print_sp, prog.cmds[0].msg, prog.cmds[0].len, &r);
	assert_int_equal(r, 0);
	assert_string_equal(s, "2001:db8:1::/48[any] 2001:db8::2[80] tcp\n"
			       "\tout prio 5 ipsec\n"
			       "\tah/transport//use\n"
			       "\tesp/tunnel/2001:db8::a-2001:db8::b/unique:12\n"
			       "\tspid=0 seq=1 pid=0\n");
	free(s);
	s = print_to_string(setkey_print_sp, prog.cmds[1].msg, prog.cmds[1].len, &r);
	assert_string_equal(s, "::/0[any] ::/0[any] icmp6 135,0\n\tin prio def none\n"
			       "\tspid=0 seq=2 pid=0\n");
	free(s);
	setkey_prog_free(&prog);
}

/* deleteall: a DELETE for the SAs between the two addresses only. */
static void test_delete_for(void **state)
{
	const char *t = "add 2001:db8::1 2001:db8::2 esp 0x1234 -E aes-gcm-16 "
			"0x0102030405060708090a0b0c0d0e0f1011121314;";
	struct setkey_prog prog = { 0 };
	char err[128], d[128];
	struct in6_addr a1, a2;
	inet_pton(AF_INET6, "2001:db8::1", &a1);
	inet_pton(AF_INET6, "2001:db8::2", &a2);
	assert_int_equal(setkey_parse(t, strlen(t), "d", &prog, err, sizeof(err)), 0);
	int n = setkey_delete_for(prog.cmds[0].msg, prog.cmds[0].len, &a1, &a2, (uint8_t *)d,
				  sizeof(d));
	assert_true(n > 0);
	char line[512];
	describe((uint8_t *)d, (size_t)n, line, sizeof(line));
	assert_string_equal(line, "DELETE sat=3 spi=0x1234 e=0 a=0 r=0 "
				  "2001:db8::1/128[0]>2001:db8::2/128[0] p=255");
	assert_int_equal(setkey_delete_for(prog.cmds[0].msg, prog.cmds[0].len, &a2, &a1,
					   (uint8_t *)d, sizeof(d)), -1);
	setkey_prog_free(&prog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_keeps_earlier),
		cmocka_unit_test(test_golden_add),
		cmocka_unit_test(test_print_sa),
		cmocka_unit_test(test_print_sp),
		cmocka_unit_test(test_delete_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
