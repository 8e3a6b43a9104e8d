/*
 * setkey_print.c - PF_KEY answers printed as `setkey -D` and `setkey -DP` print them
 * (KAME/ipsec-tools layout: the endpoints, then tab-indented lines of mode, SPI, keys,
 * state, lifetimes and counters; for policies the selector, direction, action and
 * requests), so a person used to setkey reads them without a second look. Answers are
 * read with wire/pfkey.c's parser; setkey.h has the contract.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ctl/setkey.h"
#include "wire/pfkey.h"

struct alg_name {
	uint8_t id;
	const char *name;
};

static const struct alg_name enames[] = {
	{ SADB_EALG_NONE, "none" },
	{ SADB_EALG_NULL, "null" },
	{ SADB_X_EALG_AESCBC, "aes-cbc" },
	{ SADB_X_EALG_AES_GCM_ICV16, "aes-gcm-16" },
	{ SADB_X_EALG_NULL_AES_GMAC, "null_aes_gmac" },
	{ SADB_X_EALG_CHACHA20POLY1305, "chacha20-poly1305" },
	{ 0, NULL },
};

static const struct alg_name anames[] = {
	{ SADB_AALG_NONE, "none" },
	{ SADB_AALG_SHA1HMAC, "hmac-sha1" },
	{ SADB_X_AALG_SHA2_256HMAC, "hmac-sha256" },
	{ SADB_X_AALG_SHA2_384HMAC, "hmac-sha384" },
	{ SADB_X_AALG_SHA2_512HMAC, "hmac-sha512" },
	{ SADB_X_AALG_AES_XCBC_MAC, "aes-xcbc-mac" },
	{ 0, NULL },
};

static const char *alg_name(const struct alg_name *t, uint8_t id, char *buf, size_t cap)
{
	for (; t->name; t++)
		if (t->id == id)
			return t->name;
	snprintf(buf, cap, "unknown(%u)", id);
	return buf;
}

static const char *const states[] = { "larval", "mature", "dying", "dead" };
static const char *const modes[] = { "any", "transport", "tunnel" };

static void print_key(FILE *f, const char *tag, const char *alg, const struct pfkey_key *k)
{
	fprintf(f, "\t%s: %s ", tag, alg);
	for (unsigned i = 0; i < k->bits / 8u; i++)
		fprintf(f, "%s%02x", i % 4 ? "" : " ", k->data[i]);
	fputc('\n', f);
}

/* A stack time (monotonic seconds) as setkey's date. */
static void print_date(FILE *f, uint64_t t, time_t mono_now, time_t real_now)
{
	char buf[64];
	time_t when = real_now - (mono_now - (time_t)t);
	struct tm tm;
	if (!localtime_r(&when, &tm) || !strftime(buf, sizeof(buf), "%b %e %T %Y", &tm))
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)t);
	fputs(buf, f);
}

int setkey_print_sa(FILE *f, const uint8_t *msg, size_t len, time_t mono_now, time_t real_now)
{
	struct pfkey_msg m;
	char eb[24], ab[24];
	if (pfkey_parse(msg, len, &m) || m.base.err || !PFKEY_HAS(&m, SADB_EXT_SA) ||
	    !PFKEY_HAS(&m, SADB_EXT_ADDRESS_SRC) || !PFKEY_HAS(&m, SADB_EXT_ADDRESS_DST)) {
		explicit_bzero(&m, sizeof(m));
		return -1;
	}
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &m.addr[0].addr, src, sizeof(src));
	inet_ntop(AF_INET6, &m.addr[1].addr, dst, sizeof(dst));
	bool udp = PFKEY_HAS(&m, SADB_X_EXT_NAT_T_TYPE);
	bool comp = m.base.satype == SADB_X_SATYPE_IPCOMP;
	if (udp)   /* ipsec-tools: the NAT-T ports beside the addresses */
		fprintf(f, "%s[%u] %s[%u]\n", src, m.natt.sport, dst, m.natt.dport);
	else
		fprintf(f, "%s %s\n", src, dst);
	uint8_t mode = PFKEY_HAS(&m, SADB_X_EXT_SA2) ? m.sa2.mode : 0;
	uint32_t reqid = PFKEY_HAS(&m, SADB_X_EXT_SA2) ? m.sa2.reqid : 0;
	fprintf(f, "\t%s mode=%s spi=%u(0x%08x) reqid=%u(0x%08x)\n",
		m.base.satype == SADB_SATYPE_AH ? "ah" : comp ? "ipcomp" : udp ? "esp-udp" : "esp",
		mode < 3 ? modes[mode] : "?",
		m.sa.spi, m.sa.spi, reqid, reqid);
	const char *ename = alg_name(enames, m.sa.encrypt, eb, sizeof(eb));
	const char *aname = alg_name(anames, m.sa.auth, ab, sizeof(ab));
	if (comp)
		fprintf(f, "\tC: %s\n", m.sa.encrypt == SADB_X_CALG_DEFLATE ? "deflate" : ename);
	else if (PFKEY_HAS(&m, SADB_EXT_KEY_ENCRYPT))
		print_key(f, "E", ename, &m.key_enc);
	else if (m.base.satype == SADB_SATYPE_ESP)
		fprintf(f, "\tE: %s\n", ename);
	if (PFKEY_HAS(&m, SADB_EXT_KEY_AUTH))
		print_key(f, "A", aname, &m.key_auth);
	else if (m.sa.auth)
		fprintf(f, "\tA: %s\n", aname);
	fprintf(f, "\tseq=0x%08x replay=%u flags=0x%08x state=%s\n",
		PFKEY_HAS(&m, SADB_X_EXT_SA2) ? m.sa2.seq : 0,
		/* in bytes, as -r takes it, also past the 8-bit field (FreeBSD's setkey) */
		PFKEY_HAS(&m, SADB_X_EXT_SA_REPLAY) ? m.sa_replay / 8 : m.sa.replay, m.sa.flags,
		m.sa.state < 4 ? states[m.sa.state] : "?");
	const struct pfkey_lifetime *c = &m.life[0], *h = &m.life[1], *s = &m.life[2];
	if (PFKEY_HAS(&m, SADB_EXT_LIFETIME_CURRENT)) {
		fputs("\tcreated: ", f);
		print_date(f, c->addtime, mono_now, real_now);
		fputs("\tcurrent: ", f);
		print_date(f, (uint64_t)mono_now, mono_now, real_now);
		fputc('\n', f);
		fprintf(f, "\tdiff: %lld(s)\thard: %llu(s)\tsoft: %llu(s)\n",
			(long long)(mono_now - (time_t)c->addtime),
			(unsigned long long)h->addtime, (unsigned long long)s->addtime);
		fputs("\tlast: ", f);
		if (c->usetime)
			print_date(f, c->usetime, mono_now, real_now);
		else
			fputs("                    ", f);
		fprintf(f, "\thard: %llu(s)\tsoft: %llu(s)\n", (unsigned long long)h->usetime,
			(unsigned long long)s->usetime);
		fprintf(f, "\tcurrent: %llu(bytes)\thard: %llu(bytes)\tsoft: %llu(bytes)\n",
			(unsigned long long)c->bytes, (unsigned long long)h->bytes,
			(unsigned long long)s->bytes);
		fprintf(f, "\tallocated: %u\thard: %u\tsoft: %u\n", c->allocations,
			h->allocations, s->allocations);
	}
	fprintf(f, "\tsadb_seq=%u pid=%u refcnt=0\n", m.base.seq, m.base.pid);
	explicit_bzero(&m, sizeof(m));
	return 0;
}

static const struct { uint8_t proto; const char *name; } ulnames[] = {
	{ IPSEC_ULPROTO_ANY, "any" }, { 58, "icmp6" }, { 6, "tcp" }, { 17, "udp" },
	{ 132, "sctp" }, { 4, "ip4" }, { 41, "ipv6" }, { 47, "gre" }, { 50, "esp" },
	{ 51, "ah" }, { 135, "mh" },
};

static void print_range(FILE *f, const struct pfkey_address *a, bool icmp)
{
	char buf[INET6_ADDRSTRLEN];
	bool v4 = a->family == AF_INET;   /* an IPv4 selector, held IPv4-mapped */
	if (v4)
		inet_ntop(AF_INET, a->addr.s6_addr + 12, buf, sizeof(buf));
	else
		inet_ntop(AF_INET6, &a->addr, buf, sizeof(buf));
	fputs(buf, f);
	if (a->prefixlen != (v4 ? 32 : 128))
		fprintf(f, "/%u", a->prefixlen);
	if (icmp || !a->port)
		fputs("[any]", f);
	else
		fprintf(f, "[%u]", a->port);
}

static const char *const levels[] = { "default", "use", "require", "unique" };

int setkey_print_sp(FILE *f, const uint8_t *msg, size_t len)
{
	struct pfkey_msg m;
	char ub[24];
	if (pfkey_parse(msg, len, &m) || m.base.err || !PFKEY_HAS(&m, SADB_X_EXT_POLICY) ||
	    !PFKEY_HAS(&m, SADB_EXT_ADDRESS_SRC) || !PFKEY_HAS(&m, SADB_EXT_ADDRESS_DST))
		return -1;
	uint8_t proto = m.addr[0].proto;
	bool icmp = proto == 58;
	print_range(f, &m.addr[0], icmp);
	fputc(' ', f);
	print_range(f, &m.addr[1], icmp);
	const char *un = NULL;
	for (size_t i = 0; i < sizeof(ulnames) / sizeof(ulnames[0]); i++)
		if (ulnames[i].proto == proto)
			un = ulnames[i].name;
	if (!un) {
		snprintf(ub, sizeof(ub), "%u", proto);
		un = ub;
	}
	fprintf(f, " %s", un);
	if (icmp && (m.addr[0].port || m.addr[1].port))
		fprintf(f, " %u,%u", m.addr[0].port, m.addr[1].port);
	fputc('\n', f);
	const struct pfkey_policy *p = &m.policy;
	static const char *const types[] = { "discard", "none", "ipsec", "entrust", "bypass" };
	fprintf(f, "\t%s", p->dir == IPSEC_DIR_INBOUND ? "in" :
			   p->dir == IPSEC_DIR_OUTBOUND ? "out" : "any");
	if (p->priority)
		fprintf(f, " prio %u", p->priority);
	else
		fputs(" prio def", f);
	fprintf(f, " %s\n", p->type < 5 ? types[p->type] : "?");
	for (int i = 0; i < p->n_req; i++) {
		const struct pfkey_ipsecreq *q = &p->req[i];
		char ts[INET6_ADDRSTRLEN] = "", td[INET6_ADDRSTRLEN] = "";
		if (q->tunnel_addrs) {
			inet_ntop(AF_INET6, &q->src.addr, ts, sizeof(ts));
			inet_ntop(AF_INET6, &q->dst.addr, td, sizeof(td));
		}
		fprintf(f, "\t%s/%s/%s%s%s/%s", q->proto == IPPROTO_AH ? "ah" :
			q->proto == PFKEY_IPPROTO_IPCOMP ? "ipcomp" : "esp",
			q->mode < 3 ? modes[q->mode] : "?", ts, q->tunnel_addrs ? "-" : "", td,
			q->level < 4 ? levels[q->level] : "?");
		if (q->level == IPSEC_LEVEL_UNIQUE && q->reqid)
			fprintf(f, ":%u", q->reqid);
		fputc('\n', f);
	}
	fprintf(f, "\tspid=%u seq=%u pid=%u\n", p->id, m.base.seq, m.base.pid);
	return 0;
}

const char *setkey_strerror(int err)
{
	switch (err) {
	case ESRCH: return "No such process (no such SA)";
	case ENOENT: return "No such file or directory (nothing there)";
	default: return strerror(err);
	}
}
