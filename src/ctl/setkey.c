/*
 * setkey.c - setkey(8)'s statements (KAME/ipsec-tools syntax) into PF_KEY v2 messages
 * (RFC 2367 with KAME's SPD extensions, built with wire/pfkey.h). The grammar:
 *
 *   add [-6n] SRC DST PROTO SPI [-m MODE] [-r SIZE] [-u REQID] [-lh S] [-ls S]
 *       [-bh BYTES] [-bs BYTES] [-E EALG KEY] [-A AALG KEY] [-C CALG] ;
 *   (PROTO esp, ah, ipcomp with -C deflate, or esp-udp: ESP in UDP (RFC 3948) between
 *   the ports of SRC[PORT] and DST[PORT], 4500 when not given)
 *   update ... (as add) ;     get/delete SRC DST PROTO SPI ;   deleteall SRC DST PROTO ;
 *   flush [PROTO] ;           dump [PROTO] ;
 *   spdadd|spdupdate SRC_RANGE DST_RANGE UPPERSPEC [-P] DIR [prio N] POLICY ;
 *   spddelete SRC_RANGE DST_RANGE UPPERSPEC [-P] DIR ;    spdflush ;   spddump ;
 *
 * SRC/DST are IPv6 addresses, with [PORT]; ranges are ADDR[/PLEN][[PORT|any]]; UPPERSPEC
 * is any, a protocol name or number, "icmp6 TYPE[,CODE]"; POLICY is discard, none, bypass,
 * entrust or "ipsec REQ...", REQ being PROTO/MODE/[TSRC-TDST]/[LEVEL[:ID]]. Keys are 0x
 * hex or "quoted" strings. '#' starts a comment, ';' ends a statement. Everything is
 * checked here (algorithms, key lengths, prefixes) so a file is refused before any of it
 * reaches the daemon. Tables, not ladders: statements, algorithms, protocols, options.
 * The SPD statements are in setkey_spd.c; what the two files share, in setkey_int.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/setkey.h"
#include "ctl/setkey_int.h"
#include "wire/pfkey.h"
#include "wire/udpencap.h"

int sk_fail(struct parser *ps, int line, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s:%d: %s", ps->name, line, why);
	return -1;
}

/* ---- tokens ---- */

bool sk_at_end(const struct parser *ps) { return ps->pos >= ps->ntok; }

const struct token *sk_peek(const struct parser *ps)
{
	return sk_at_end(ps) ? NULL : &ps->tok[ps->pos];
}

bool sk_tok_is(const struct token *t, const char *word)
{
	return t && !t->quoted && strlen(word) == t->len && !memcmp(t->p, word, t->len);
}

int sk_cur_line(const struct parser *ps)
{
	return sk_at_end(ps) ? (ps->ntok ? ps->tok[ps->ntok - 1].line : ps->line) :
			    ps->tok[ps->pos].line;
}

/* The next word as a C string in buf; -1 (with the error) when there is none. */
int sk_next_word(struct parser *ps, char *buf, size_t cap, const char *what)
{
	const struct token *t = sk_peek(ps);
	if (!t)
		return sk_fail(ps, sk_cur_line(ps), "missing %s before ';'", what);
	if (t->len >= cap)
		return sk_fail(ps, t->line, "%s too long", what);
	memcpy(buf, t->p, t->len);
	buf[t->len] = 0;
	ps->pos++;
	return 0;
}

/* ---- numbers, addresses ---- */

bool sk_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end || x > max)
		return false;
	*v = x;
	return true;
}

/* An IPv6 address, numeric: setkey -n (we resolve no names). */
int sk_parse_in6(struct parser *ps, int line, const char *s, struct in6_addr *a)
{
	struct in_addr a4;
	if (strchr(s, '%'))
		return sk_fail(ps, line, "\"%s\": zones are not supported in SAs and policies", s);
	if (inet_pton(AF_INET6, s, a) == 1)
		return 0;
	if (inet_pton(AF_INET, s, &a4) == 1)
		return sk_fail(ps, line, "\"%s\": IPv4 is not supported as an SA or tunnel "
			    "endpoint (IPv4 travels inside IPv6 tunnels: policy ranges only)", s);
	return sk_fail(ps, line, "\"%s\": not a numeric IPv6 address", s);
}

/* ADDR, ADDR[PORT], and for ranges ADDR/PLEN[PORT] and [any]. */
int sk_parse_addr(struct parser *ps, bool range, struct pfkey_address *a, const char *what)
{
	char buf[TOKEN_MAX];
	int line = sk_cur_line(ps);
	if (sk_next_word(ps, buf, sizeof(buf), what))
		return -1;
	memset(a, 0, sizeof(*a));
	a->prefixlen = 128;
	char *br = strchr(buf, '[');
	if (br) {
		size_t n = strlen(br);
		if (n < 3 || br[n - 1] != ']')
			return sk_fail(ps, line, "\"%s\": bad [port]", buf);
		br[n - 1] = 0;
		uint64_t port;
		if (strcmp(br + 1, "any") == 0)
			port = 0;
		else if (!sk_parse_u64(br + 1, 65535, &port))
			return sk_fail(ps, line, "\"%s\": bad port", br + 1);
		a->port = (uint16_t)port;
		*br = 0;
	}
	char *sl = strchr(buf, '/');
	uint64_t plen = 128;
	if (sl) {
		if (!range)
			return sk_fail(ps, line, "\"%s\": an SA address takes no prefix length", buf);
		if (!sk_parse_u64(sl + 1, 128, &plen))
			return sk_fail(ps, line, "\"%s\": bad prefix length", sl + 1);
		a->prefixlen = (uint8_t)plen;
		*sl = 0;
	}
	struct in_addr a4;
	if (range && inet_pton(AF_INET, buf, &a4) == 1) {
		/* an IPv4 selector (a security gateway's IPv4 networks over an IPv6 tunnel):
		 * a sockaddr_in in PF_KEY, held IPv4-mapped here */
		if (sl && plen > 32)
			return sk_fail(ps, line, "\"%s\": bad IPv4 prefix length", sl + 1);
		a->family = AF_INET;
		a->prefixlen = sl ? (uint8_t)plen : 32;
		a->addr.s6_addr[10] = a->addr.s6_addr[11] = 0xff;
		memcpy(a->addr.s6_addr + 12, &a4, 4);
		return 0;
	}
	return sk_parse_in6(ps, line, buf, &a->addr);
}

/* ---- protocols and algorithms ---- */

static const struct satype_row {
	const char *name;
	uint8_t satype;          /* 0: refused, see why */
	const char *why;
	bool udp;                /* ESP in UDP (RFC 3948) */
} satypes[] = {
	{ "esp", SADB_SATYPE_ESP, NULL, false },
	{ "ah", SADB_SATYPE_AH, NULL, false },
	{ "esp-old", 0, "RFC 1827 ESP is not supported; use esp", false },
	{ "ah-old", 0, "RFC 1826 AH is not supported; use ah", false },
	{ "ipcomp", SADB_X_SATYPE_IPCOMP, NULL, false },
	{ "tcp", 0, "TCP-MD5 SAs are not supported", false },
	{ "esp-udp", SADB_SATYPE_ESP, NULL, true },
};

static int parse_satype(struct parser *ps, uint8_t *satype)
{
	char buf[32];
	int line = sk_cur_line(ps);
	if (sk_next_word(ps, buf, sizeof(buf), "protocol"))
		return -1;
	for (size_t i = 0; i < sizeof(satypes) / sizeof(satypes[0]); i++) {
		if (strcmp(satypes[i].name, buf) != 0)
			continue;
		if (!satypes[i].satype)
			return sk_fail(ps, line, "%s: %s", buf, satypes[i].why);
		*satype = satypes[i].satype;
		ps->esp_udp = satypes[i].udp;
		return 0;
	}
	return sk_fail(ps, line, "unknown protocol \"%s\"", buf);
}

/* Key lengths in bits; a 0-terminated list. */
struct alg_row {
	const char *name;
	uint8_t id;
	uint16_t bits[4];
	const char *why;         /* refused */
};

/* The names setkey, ipsec-tools and FreeBSD use. AEADs' keys carry the 32-bit salt
 * (RFC 4106 8.1, RFC 4543 3.2, RFC 7634 2). */
static const struct alg_row ealgs[] = {
	{ "null", SADB_EALG_NULL, { 0 }, NULL },
	{ "rijndael-cbc", SADB_X_EALG_AESCBC, { 128, 192, 256 }, NULL },
	{ "aes-cbc", SADB_X_EALG_AESCBC, { 128, 192, 256 }, NULL },
	{ "aes-gcm-16", SADB_X_EALG_AES_GCM_ICV16, { 160, 224, 288 }, NULL },
	{ "aes-gmac", SADB_X_EALG_NULL_AES_GMAC, { 160, 224, 288 }, NULL },
	{ "null_aes_gmac", SADB_X_EALG_NULL_AES_GMAC, { 160, 224, 288 }, NULL },
	{ "chacha20-poly1305", SADB_X_EALG_CHACHA20POLY1305, { 288 }, NULL },
	{ "des-cbc", 0, { 0 }, "DES is not supported (RFC 8221: MUST NOT)" },
	{ "3des-cbc", 0, { 0 }, "3DES is not supported (RFC 8221: SHOULD NOT)" },
	{ "blowfish-cbc", 0, { 0 }, "Blowfish is not supported" },
	{ "cast128-cbc", 0, { 0 }, "CAST-128 is not supported" },
	{ "twofish-cbc", 0, { 0 }, "Twofish is not supported" },
	{ "camellia-cbc", 0, { 0 }, "Camellia is not supported" },
	{ "aes-ctr", 0, { 0 }, "AES-CTR is not supported yet" },
	{ "aes-gcm-8", 0, { 0 }, "AES-GCM with an 8-byte ICV is not supported (RFC 8221)" },
	{ "aes-gcm-12", 0, { 0 }, "AES-GCM with a 12-byte ICV is not supported (RFC 8221)" },
};

static const struct alg_row aalgs[] = {
	{ "hmac-sha1", SADB_AALG_SHA1HMAC, { 160 }, NULL },
	{ "hmac-sha256", SADB_X_AALG_SHA2_256HMAC, { 256 }, NULL },
	{ "hmac-sha2-256", SADB_X_AALG_SHA2_256HMAC, { 256 }, NULL },
	{ "hmac-sha384", SADB_X_AALG_SHA2_384HMAC, { 384 }, NULL },
	{ "hmac-sha2-384", SADB_X_AALG_SHA2_384HMAC, { 384 }, NULL },
	{ "hmac-sha512", SADB_X_AALG_SHA2_512HMAC, { 512 }, NULL },
	{ "hmac-sha2-512", SADB_X_AALG_SHA2_512HMAC, { 512 }, NULL },
	{ "aes-xcbc-mac", SADB_X_AALG_AES_XCBC_MAC, { 128 }, NULL },
	{ "hmac-md5", 0, { 0 }, "HMAC-MD5 is not supported (RFC 8221: MUST NOT)" },
	{ "keyed-md5", 0, { 0 }, "keyed-md5 is not supported" },
	{ "keyed-sha1", 0, { 0 }, "keyed-sha1 is not supported" },
	{ "hmac-ripemd160", 0, { 0 }, "HMAC-RIPEMD-160 is not supported" },
	{ "tcp-md5", 0, { 0 }, "TCP-MD5 is not supported" },
	{ "null", 0, { 0 }, "no integrity: use an AEAD with -E, or an algorithm with -A" },
};

static const struct alg_row *find_alg(const struct alg_row *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* A key: 0x hex digits or a "quoted string"; its bytes into key, length in *len. */
static int parse_key(struct parser *ps, uint8_t *key, size_t cap, size_t *len)
{
	const struct token *t = sk_peek(ps);
	if (!t)
		return sk_fail(ps, sk_cur_line(ps), "missing key before ';'");
	ps->pos++;
	if (t->quoted) {
		if (t->len > cap)
			return sk_fail(ps, t->line, "key too long");
		memcpy(key, t->p, t->len);
		*len = t->len;
		return 0;
	}
	if (t->len < 3 || t->p[0] != '0' || (t->p[1] != 'x' && t->p[1] != 'X'))
		return sk_fail(ps, t->line, "a key is 0x followed by hex digits, or a \"string\"");
	size_t digits = t->len - 2;
	if (digits % 2)
		return sk_fail(ps, t->line, "key has an odd number of hex digits");
	if (digits / 2 > cap)
		return sk_fail(ps, t->line, "key too long");
	for (size_t i = 0; i < digits / 2; i++) {
		int hi = hexval((unsigned char)t->p[2 + 2 * i]);
		int lo = hexval((unsigned char)t->p[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			return sk_fail(ps, t->line, "key has a character that is not a hex digit");
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = digits / 2;
	return 0;
}

/* -E/-A ALG KEY: the algorithm's number and a key of a length it takes. */
static int parse_alg_key(struct parser *ps, const struct alg_row *t, size_t n, const char *what,
			 uint8_t *id, uint8_t *key, size_t cap, size_t *keylen)
{
	char name[64];
	int line = sk_cur_line(ps);
	if (sk_next_word(ps, name, sizeof(name), what))
		return -1;
	const struct alg_row *a = find_alg(t, n, name);
	if (!a)
		return sk_fail(ps, line, "unknown %s \"%s\"", what, name);
	if (!a->id)
		return sk_fail(ps, line, "%s: %s", name, a->why);
	line = sk_cur_line(ps);
	if (parse_key(ps, key, cap, keylen))
		return -1;
	bool ok = false;
	for (int i = 0; i < 4 && (i == 0 || a->bits[i]); i++)
		ok |= a->bits[i] == *keylen * 8;
	if (!ok) {
		char lens[64] = "";
		for (int i = 0; i < 4 && (i == 0 || a->bits[i]); i++)
			snprintf(lens + strlen(lens), sizeof(lens) - strlen(lens), "%s%u",
				 i ? "/" : "", a->bits[i]);
		return sk_fail(ps, line, "%s takes a key of %s bits, not %zu", name, lens,
			    *keylen * 8);
	}
	*id = a->id;
	return 0;
}

/* ---- building ---- */

void sk_begin(struct parser *ps, struct pfkey_buf *b, uint8_t type, uint8_t satype)
{
	struct pfkey_base h = { .type = type, .satype = satype, .seq = ++ps->seq };
	memset(&ps->cmd, 0, sizeof(ps->cmd));
	ps->cmd.source = ps->name;
	ps->cmd.line = ps->line;
	ps->cmd.type = type;
	ps->cmd.kind = SETKEY_SEND;
	pfkey_buf_init(b, ps->cmd.msg, sizeof(ps->cmd.msg));
	pfkey_emit_base(b, &h);
}

int sk_finish(struct parser *ps, struct pfkey_buf *b)
{
	if (!sk_at_end(ps)) {
		const struct token *t = sk_peek(ps);
		return sk_fail(ps, t->line, "unexpected \"%.*s\"", (int)(t->len > 64 ? 64 : t->len),
			    t->p);
	}
	int n = pfkey_finish(b);
	if (n < 0)
		return sk_fail(ps, ps->line, "statement too long");
	ps->cmd.len = (size_t)n;
	return 0;
}

/* -4/-6/-n before the addresses: numeric IPv6 is all we take anyway. */
int sk_skip_af_options(struct parser *ps)
{
	while (!sk_at_end(ps) && sk_peek(ps)->p[0] == '-' && !sk_peek(ps)->quoted) {
		const struct token *t = sk_peek(ps);
		if (sk_tok_is(t, "-6") || sk_tok_is(t, "-n") || sk_tok_is(t, "-6n") || sk_tok_is(t, "-n6"))
			ps->pos++;
		else if (sk_tok_is(t, "-4") || sk_tok_is(t, "-4n") || sk_tok_is(t, "-n4"))
			return sk_fail(ps, t->line, "-4: IPv4 is not supported");
		else
			break;
	}
	return 0;
}

static int parse_spi(struct parser *ps, uint8_t satype, uint32_t *spi)
{
	char buf[32];
	uint64_t v;
	int line = sk_cur_line(ps);
	if (sk_next_word(ps, buf, sizeof(buf), "SPI"))
		return -1;
	if (!sk_parse_u64(buf, UINT32_MAX, &v))
		return sk_fail(ps, line, "\"%s\": an SPI is a decimal or 0x hex number", buf);
	if (satype == SADB_X_SATYPE_IPCOMP) {
		/* RFC 3173 3.3: a 16-bit CPI; 1-63 well-known, 64-255 reserved */
		if (v == 0 || v > 0xffff || (v > 63 && v < 256))
			return sk_fail(ps, line, "CPI %s: 1-63 (well-known) or 256-65535 (RFC 3173 "
					      "3.3)", buf);
		*spi = (uint32_t)v;
		return 0;
	}
	/* RFC 4303 2.1: 1-255 are reserved by IANA, 0 is never sent */
	if (v < 256)
		return sk_fail(ps, line, "SPI %s is reserved (RFC 4303 2.1: 0-255)", buf);
	*spi = (uint32_t)v;
	return 0;
}

static const struct { const char *name; uint8_t mode; } modes[] = {
	{ "any", 0 }, { "transport", 1 }, { "tunnel", 2 },
};

int sk_mode_of(const char *s)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, s) == 0)
			return modes[i].mode;
	return -1;
}

/* What the SA options of add/update fill in. */
struct sa_opts {
	struct pfkey_sa sa;
	struct pfkey_sa2 sa2;
	struct pfkey_lifetime hard, soft;
	bool has_e, has_a, has_c;
	uint32_t replay_packets;      /* -r above 255 bytes: SADB_X_EXT_SA_REPLAY */
	uint8_t ekey[64], akey[64];
	size_t ekeylen, akeylen;
};

static int opt_mode(struct parser *ps, struct sa_opts *o)
{
	char buf[32];
	int line = sk_cur_line(ps);
	if (sk_next_word(ps, buf, sizeof(buf), "mode"))
		return -1;
	int m = sk_mode_of(buf);
	if (m < 0)
		return sk_fail(ps, line, "unknown mode \"%s\" (transport, tunnel or any)", buf);
	o->sa2.mode = (uint8_t)m;
	return 0;
}

int sk_opt_number(struct parser *ps, uint64_t max, uint64_t *v, const char *what)
{
	char buf[32];
	int line = sk_cur_line(ps);
	if (sk_next_word(ps, buf, sizeof(buf), what))
		return -1;
	if (!sk_parse_u64(buf, max, v))
		return sk_fail(ps, line, "\"%s\": bad %s", buf, what);
	return 0;
}

/* 65536 packets, the largest window the SAD keeps (ipsec/replay.h IPSEC_REPLAY_MAX) */
#define SETKEY_REPLAY_MAX_BYTES 8192

static int opt_replay(struct parser *ps, struct sa_opts *o)
{
	uint64_t v;
	/* setkey(8): the window in bytes of bitmap (8 packets a byte), carried in the 8-bit
	 * sadb_sa_replay; a larger one goes in packets in FreeBSD's SADB_X_EXT_SA_REPLAY, up
	 * to the SAD's 65536 packets */
	if (sk_opt_number(ps, SETKEY_REPLAY_MAX_BYTES, &v, "replay window size (bytes)"))
		return -1;
	o->sa.replay = (uint8_t)(v > 255 ? 255 : v);
	o->replay_packets = v > 255 ? (uint32_t)v * 8 : 0;
	return 0;
}

static int opt_reqid(struct parser *ps, struct sa_opts *o)
{
	uint64_t v;
	if (sk_opt_number(ps, UINT32_MAX, &v, "reqid"))
		return -1;
	o->sa2.reqid = (uint32_t)v;
	return 0;
}

static int opt_lh(struct parser *ps, struct sa_opts *o)
{
	return sk_opt_number(ps, UINT64_MAX, &o->hard.addtime, "hard lifetime");
}
static int opt_ls(struct parser *ps, struct sa_opts *o)
{
	return sk_opt_number(ps, UINT64_MAX, &o->soft.addtime, "soft lifetime");
}
static int opt_bh(struct parser *ps, struct sa_opts *o)
{
	return sk_opt_number(ps, UINT64_MAX, &o->hard.bytes, "hard byte lifetime");
}
static int opt_bs(struct parser *ps, struct sa_opts *o)
{
	return sk_opt_number(ps, UINT64_MAX, &o->soft.bytes, "soft byte lifetime");
}

static int opt_e(struct parser *ps, struct sa_opts *o)
{
	int line = sk_cur_line(ps);
	if (o->has_e)
		return sk_fail(ps, line, "-E given twice");
	o->has_e = true;
	return parse_alg_key(ps, ealgs, sizeof(ealgs) / sizeof(ealgs[0]), "encryption algorithm",
			     &o->sa.encrypt, o->ekey, sizeof(o->ekey), &o->ekeylen);
}

static int opt_a(struct parser *ps, struct sa_opts *o)
{
	int line = sk_cur_line(ps);
	if (o->has_a)
		return sk_fail(ps, line, "-A given twice");
	o->has_a = true;
	return parse_alg_key(ps, aalgs, sizeof(aalgs) / sizeof(aalgs[0]),
			     "authentication algorithm", &o->sa.auth, o->akey, sizeof(o->akey),
			     &o->akeylen);
}

/* -C CALG: IPComp's compression algorithm, in sadb_sa_encrypt as KAME does */
static int opt_c(struct parser *ps, struct sa_opts *o)
{
	char name[32];
	int line = sk_cur_line(ps);
	if (o->has_c)
		return sk_fail(ps, line, "-C given twice");
	o->has_c = true;
	if (sk_next_word(ps, name, sizeof(name), "compression algorithm"))
		return -1;
	if (strcmp(name, "deflate") != 0)
		return sk_fail(ps, line, "compression algorithm \"%s\": only deflate (RFC 2394)", name);
	o->sa.encrypt = SADB_X_CALG_DEFLATE;
	return 0;
}

/* -f: ipsec-tools' padding and sequence words are refused; "esn" asks for RFC 4303 2.2.1
 * extended sequence numbers (umikame's word: setkey(8) has none, key daemons set the
 * flag FreeBSD defines, SADB_X_SAFLAGS_ESN) */
static int opt_flag(struct parser *ps, struct sa_opts *o)
{
	char buf[32];
	int line = sk_cur_line(ps);
	if (sk_next_word(ps, buf, sizeof(buf), "-f option"))
		return -1;
	if (strcmp(buf, "esn") != 0)
		return sk_fail(ps, line, "-f padding/sequence options are not supported (-f esn is)");
	o->sa.flags |= SADB_X_SAFLAGS_ESN;
	return 0;
}

static const struct opt_row {
	const char *name;
	int (*parse)(struct parser *ps, struct sa_opts *o);
	const char *why;         /* refused */
} sa_opt_rows[] = {
	{ "-m", opt_mode, NULL },
	{ "-r", opt_replay, NULL },
	{ "-u", opt_reqid, NULL },
	{ "-lh", opt_lh, NULL },
	{ "-ls", opt_ls, NULL },
	{ "-bh", opt_bh, NULL },
	{ "-bs", opt_bs, NULL },
	{ "-E", opt_e, NULL },
	{ "-A", opt_a, NULL },
	{ "-C", opt_c, NULL },
	{ "-R", NULL, "-R (a CPI other than the SPI on the wire) is not supported" },
	{ "-f", opt_flag, NULL },
	{ "-ctx", NULL, "security contexts (-ctx) are not supported" },
};

static int parse_sa_opts(struct parser *ps, uint8_t satype, struct sa_opts *o)
{
	while (!sk_at_end(ps)) {
		const struct token *t = sk_peek(ps);
		const struct opt_row *row = NULL;
		for (size_t i = 0; i < sizeof(sa_opt_rows) / sizeof(sa_opt_rows[0]); i++)
			if (sk_tok_is(t, sa_opt_rows[i].name))
				row = &sa_opt_rows[i];
		if (!row)
			return sk_fail(ps, t->line, "unknown option \"%.*s\"",
				    (int)(t->len > 64 ? 64 : t->len), t->p);
		if (!row->parse)
			return sk_fail(ps, t->line, "%s", row->why);
		ps->pos++;
		if (row->parse(ps, o))
			return -1;
	}
	int line = ps->line;
	if (o->has_c != (satype == SADB_X_SATYPE_IPCOMP))
		return sk_fail(ps, line, o->has_c ? "only ipcomp takes a compression algorithm (-C)" :
						  "ipcomp needs a compression algorithm (-C)");
	if (satype == SADB_X_SATYPE_IPCOMP) {
		if (o->has_e || o->has_a)
			return sk_fail(ps, line, "ipcomp takes no -E or -A (RFC 3173: no keys)");
	} else if (satype == SADB_SATYPE_AH) {
		if (o->has_e)
			return sk_fail(ps, line, "ah takes no encryption algorithm (-E)");
		if (!o->has_a)
			return sk_fail(ps, line, "ah needs an authentication algorithm (-A)");
	} else {
		bool aead = o->sa.encrypt == SADB_X_EALG_AES_GCM_ICV16 ||
			    o->sa.encrypt == SADB_X_EALG_NULL_AES_GMAC ||
			    o->sa.encrypt == SADB_X_EALG_CHACHA20POLY1305;
		if (!o->has_e)
			return sk_fail(ps, line, "esp needs an encryption algorithm (-E)");
		if (aead && o->has_a)
			return sk_fail(ps, line, "a combined-mode algorithm takes no -A (RFC 4303 3.2.3)");
		if (!aead && !o->has_a)
			return sk_fail(ps, line, "esp without integrity: add -A (RFC 8221: ENCR without "
					      "integrity MUST NOT)");
	}
	if (o->soft.addtime && o->hard.addtime && o->soft.addtime > o->hard.addtime)
		return sk_fail(ps, line, "soft lifetime longer than the hard one");
	if (o->soft.bytes && o->hard.bytes && o->soft.bytes > o->hard.bytes)
		return sk_fail(ps, line, "soft byte lifetime above the hard one");
	return 0;
}

/* ---- statements ---- */

static int parse_sa_head(struct parser *ps, struct pfkey_address *src, struct pfkey_address *dst,
			 uint8_t *satype)
{
	if (sk_skip_af_options(ps) || sk_parse_addr(ps, false, src, "source address") ||
	    sk_parse_addr(ps, false, dst, "destination address") || parse_satype(ps, satype))
		return -1;
	src->proto = dst->proto = IPSEC_ULPROTO_ANY;
	return 0;
}

static int st_add(struct parser *ps, uint8_t type)
{
	struct pfkey_address src, dst;
	struct sa_opts o;
	struct pfkey_buf b;
	uint8_t satype;
	uint32_t spi;
	int r = -1;

	memset(&o, 0, sizeof(o));
	o.sa.state = SADB_SASTATE_MATURE;
	if (parse_sa_head(ps, &src, &dst, &satype) || parse_spi(ps, satype, &spi) ||
	    parse_sa_opts(ps, satype, &o))
		goto out;
	bool udp = ps->esp_udp;
	o.sa.spi = spi;
	sk_begin(ps, &b, type, satype);
	pfkey_emit_sa(&b, &o.sa);
	if (o.hard.addtime || o.hard.bytes)
		pfkey_emit_lifetime(&b, SADB_EXT_LIFETIME_HARD, &o.hard);
	if (o.soft.addtime || o.soft.bytes)
		pfkey_emit_lifetime(&b, SADB_EXT_LIFETIME_SOFT, &o.soft);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &src);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &dst);
	if (o.akeylen)
		pfkey_emit_key(&b, SADB_EXT_KEY_AUTH, o.akey, (uint16_t)o.akeylen);
	if (o.ekeylen)
		pfkey_emit_key(&b, SADB_EXT_KEY_ENCRYPT, o.ekey, (uint16_t)o.ekeylen);
	pfkey_emit_sa2(&b, &o.sa2);
	if (o.replay_packets)
		pfkey_emit_sa_replay(&b, o.replay_packets);
	if (udp) {
		/* RFC 3948: ipsec-tools takes the UDP ports from SRC[PORT] and DST[PORT] */
		struct pfkey_natt n = { .type = UDPENCAP_TYPE_ESPINUDP,
					.sport = src.port ? src.port : UDPENCAP_PORT,
					.dport = dst.port ? dst.port : UDPENCAP_PORT };
		pfkey_emit_natt(&b, &n, NULL);
	}
	r = sk_finish(ps, &b);
out:
	explicit_bzero(&o, sizeof(o));
	return r;
}

static int st_sa_add(struct parser *ps) { return st_add(ps, SADB_ADD); }
static int st_sa_update(struct parser *ps) { return st_add(ps, SADB_UPDATE); }

static int st_get_delete(struct parser *ps, uint8_t type)
{
	struct pfkey_address src, dst;
	struct pfkey_buf b;
	uint8_t satype;
	uint32_t spi;
	if (parse_sa_head(ps, &src, &dst, &satype) || parse_spi(ps, satype, &spi))
		return -1;
	sk_begin(ps, &b, type, satype);
	struct pfkey_sa sa = { .spi = spi };
	pfkey_emit_sa(&b, &sa);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &src);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &dst);
	if (type == SADB_GET)
		ps->cmd.kind = SETKEY_PRINT_SA;
	return sk_finish(ps, &b);
}

static int st_get(struct parser *ps) { return st_get_delete(ps, SADB_GET); }
static int st_delete(struct parser *ps) { return st_get_delete(ps, SADB_DELETE); }

static int st_deleteall(struct parser *ps)
{
	struct pfkey_address src, dst;
	struct pfkey_buf b;
	uint8_t satype;
	if (parse_sa_head(ps, &src, &dst, &satype))
		return -1;
	/* PF_KEY has no "delete all": dump the type, then delete what matches */
	sk_begin(ps, &b, SADB_DUMP, satype);
	ps->cmd.kind = SETKEY_DELETEALL;
	ps->cmd.src = src.addr;
	ps->cmd.dst = dst.addr;
	return sk_finish(ps, &b);
}

static int st_flush_dump(struct parser *ps, uint8_t type)
{
	struct pfkey_buf b;
	uint8_t satype = SADB_SATYPE_UNSPEC;
	if (!sk_at_end(ps) && parse_satype(ps, &satype))
		return -1;
	sk_begin(ps, &b, type, satype);
	if (type == SADB_DUMP)
		ps->cmd.kind = SETKEY_PRINT_SA;
	return sk_finish(ps, &b);
}

static int st_flush(struct parser *ps) { return st_flush_dump(ps, SADB_FLUSH); }
static int st_dump(struct parser *ps) { return st_flush_dump(ps, SADB_DUMP); }


static const struct st_row {
	const char *name;
	int (*parse)(struct parser *ps);
} st_rows[] = {
	{ "add", st_sa_add },
	{ "update", st_sa_update },
	{ "get", st_get },
	{ "delete", st_delete },
	{ "deleteall", st_deleteall },
	{ "flush", st_flush },
	{ "dump", st_dump },
	{ "spdadd", sk_st_spdadd },
	{ "spdupdate", sk_st_spdupdate },
	{ "spddelete", sk_st_spddelete },
	{ "spdflush", sk_st_spdflush },
	{ "spddump", sk_st_spddump },
};

static int statement(struct parser *ps, struct setkey_prog *prog)
{
	const struct token *t = &ps->tok[0];
	ps->pos = 1;
	ps->line = t->line;
	for (size_t i = 0; i < sizeof(st_rows) / sizeof(st_rows[0]); i++) {
		if (!sk_tok_is(t, st_rows[i].name))
			continue;
		if (st_rows[i].parse(ps))
			return -1;
		if (prog->n == prog->cap) {
			size_t cap = prog->cap ? prog->cap * 2 : 16;
			struct setkey_cmd *c = malloc(cap * sizeof(*c));
			if (!c)
				return sk_fail(ps, ps->line, "out of memory");
			if (prog->n) {
				memcpy(c, prog->cmds, prog->n * sizeof(*c));
				explicit_bzero(prog->cmds, prog->n * sizeof(*c));
			}
			free(prog->cmds);
			prog->cmds = c;
			prog->cap = cap;
		}
		prog->cmds[prog->n++] = ps->cmd;
		explicit_bzero(&ps->cmd, sizeof(ps->cmd));
		return 0;
	}
	return sk_fail(ps, t->line, "unknown command \"%.*s\"", (int)(t->len > 64 ? 64 : t->len),
		    t->p);
}

static void drop_from(struct setkey_prog *prog, size_t n)
{
	if (prog->n > n)
		explicit_bzero(prog->cmds + n, (prog->n - n) * sizeof(*prog->cmds));
	prog->n = n;
}

int setkey_parse(const char *text, size_t len, const char *name, struct setkey_prog *prog,
		 char *err, size_t errlen)
{
	struct parser *ps = calloc(1, sizeof(*ps));
	size_t first = prog->n;
	int line = 1, r = 0;
	if (!ps) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	ps->name = name;
	ps->err = err;
	ps->errlen = errlen;
	ps->seq = (uint32_t)prog->n;
	size_t i = 0;
	while (i < len && !r) {
		char c = text[i];
		if (c == '\n') {
			line++;
			i++;
		} else if (isspace((unsigned char)c)) {
			i++;
		} else if (c == '#') {
			while (i < len && text[i] != '\n')
				i++;
		} else if (c == '\0') {
			r = sk_fail(ps, line, "NUL byte in the text");
		} else if (c == ';') {
			i++;
			if (ps->ntok)
				r = statement(ps, prog);
			ps->ntok = 0;
		} else {
			struct token t = { .line = line };
			if (c == '"') {
				size_t j = ++i;
				while (j < len && text[j] != '"' && text[j] != '\n')
					j++;
				if (j == len || text[j] != '"') {
					r = sk_fail(ps, line, "unterminated \"string\"");
					break;
				}
				t.p = text + i;
				t.len = j - i;
				t.quoted = true;
				i = j + 1;
			} else {
				size_t j = i;
				while (j < len && !isspace((unsigned char)text[j]) && text[j] != ';' &&
				       text[j] != '#' && text[j] != '"' && text[j] != '\0')
					j++;
				t.p = text + i;
				t.len = j - i;
				i = j;
			}
			if (t.len >= TOKEN_MAX)
				r = sk_fail(ps, line, "word too long");
			else if (ps->ntok == MAX_TOKENS)
				r = sk_fail(ps, line, "statement too long (missing ';'?)");
			else
				ps->tok[ps->ntok++] = t;
		}
	}
	if (!r && ps->ntok)
		r = sk_fail(ps, ps->tok[ps->ntok - 1].line, "missing ';' at the end");
	if (r)
		drop_from(prog, first);
	explicit_bzero(ps, sizeof(*ps));
	free(ps);
	return r;
}

void setkey_prog_free(struct setkey_prog *prog)
{
	if (prog->cmds)
		explicit_bzero(prog->cmds, prog->cap * sizeof(*prog->cmds));
	free(prog->cmds);
	memset(prog, 0, sizeof(*prog));
}

int setkey_delete_for(const uint8_t *msg, size_t len, const struct in6_addr *src,
		      const struct in6_addr *dst, uint8_t *out, size_t cap)
{
	struct pfkey_msg m;
	struct pfkey_buf b;
	if (pfkey_parse(msg, len, &m) || m.base.err || !PFKEY_HAS(&m, SADB_EXT_SA) ||
	    !PFKEY_HAS(&m, SADB_EXT_ADDRESS_SRC) || !PFKEY_HAS(&m, SADB_EXT_ADDRESS_DST) ||
	    memcmp(&m.addr[0].addr, src, 16) || memcmp(&m.addr[1].addr, dst, 16)) {
		explicit_bzero(&m, sizeof(m));
		return -1;
	}
	struct pfkey_base h = { .type = SADB_DELETE, .satype = m.base.satype };
	struct pfkey_sa sa = { .spi = m.sa.spi };
	struct pfkey_address a = { .proto = IPSEC_ULPROTO_ANY, .prefixlen = 128 };
	pfkey_buf_init(&b, out, cap);
	pfkey_emit_base(&b, &h);
	pfkey_emit_sa(&b, &sa);
	a.addr = *src;
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &a);
	a.addr = *dst;
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &a);
	explicit_bzero(&m, sizeof(m));
	return pfkey_finish(&b);
}
