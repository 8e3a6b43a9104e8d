/*
 * setkey_spd.c - setkey(8)'s SPD statements into KAME's PF_KEY SPD extensions (RFC 2367
 * with SADB_X_SPD*, built with wire/pfkey.h):
 *
 *   spdadd|spdupdate SRC_RANGE DST_RANGE UPPERSPEC [-P] DIR [prio N] POLICY ;
 *   spddelete SRC_RANGE DST_RANGE UPPERSPEC [-P] DIR ;    spdflush ;   spddump ;
 *
 * UPPERSPEC is any, a protocol name or number, "icmp6 TYPE[,CODE]"; POLICY is discard,
 * none, bypass, entrust or "ipsec REQ...", REQ being PROTO/MODE/[TSRC-TDST]/[LEVEL[:ID]]
 * (ipsec_set_policy(3)). The tokens, addresses and the statement table are setkey.c's.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/setkey_int.h"

static int st_spd_simple(struct parser *ps, uint8_t type)
{
	struct pfkey_buf b;
	sk_begin(ps, &b, type, SADB_SATYPE_UNSPEC);
	if (type == SADB_X_SPDDUMP)
		ps->cmd.kind = SETKEY_PRINT_SP;
	return sk_finish(ps, &b);
}

int sk_st_spdflush(struct parser *ps) { return st_spd_simple(ps, SADB_X_SPDFLUSH); }
int sk_st_spddump(struct parser *ps) { return st_spd_simple(ps, SADB_X_SPDDUMP); }

static const struct { const char *name; uint8_t proto; } ulprotos[] = {
	{ "any", IPSEC_ULPROTO_ANY }, { "icmp6", 58 }, { "ipv6-icmp", 58 }, { "tcp", 6 },
	{ "udp", 17 }, { "sctp", 132 }, { "udplite", 136 }, { "dccp", 33 }, { "gre", 47 },
	{ "ip4", 4 }, { "ipv4", 4 }, { "ipencap", 4 }, { "ipv6", 41 }, { "esp", 50 },
	{ "ah", 51 }, { "ipcomp", 108 }, { "ospf", 89 }, { "pim", 103 }, { "mh", 135 },
	{ "ipv6-mh", 135 }, { "icmp", 1 },
};

/* UPPERSPEC, with "icmp6 TYPE[,CODE]": type and code travel as the ports (KAME). */
static int parse_upperspec(struct parser *ps, struct pfkey_address *src,
			   struct pfkey_address *dst)
{
	char buf[32];
	int line = sk_cur_line(ps);
	if (sk_next_word(ps, buf, sizeof(buf), "upper-layer protocol"))
		return -1;
	uint64_t v;
	int proto = -1;
	for (size_t i = 0; i < sizeof(ulprotos) / sizeof(ulprotos[0]); i++)
		if (strcmp(ulprotos[i].name, buf) == 0)
			proto = ulprotos[i].proto;
	if (proto < 0 && sk_parse_u64(buf, 255, &v))
		proto = (int)v;
	if (proto < 0)
		return sk_fail(ps, line, "unknown upper-layer protocol \"%s\"", buf);
	src->proto = dst->proto = (uint8_t)proto;
	const struct token *t = sk_peek(ps);
	if (proto == 58 && t && !t->quoted && isdigit((unsigned char)t->p[0])) {
		char tc[32], *comma;
		uint64_t type, code = 0;
		line = t->line;
		sk_next_word(ps, tc, sizeof(tc), "ICMPv6 type");
		comma = strchr(tc, ',');
		if (comma)
			*comma = 0;
		if (!sk_parse_u64(tc, 255, &type) || (comma && !sk_parse_u64(comma + 1, 255, &code)))
			return sk_fail(ps, line, "ICMPv6 TYPE,CODE expected, not \"%s\"", tc);
		if (src->port || dst->port)
			return sk_fail(ps, line, "icmp6 selectors take no ports");
		src->port = (uint16_t)type;
		dst->port = (uint16_t)code;
	} else if (proto == 58 && (src->port || dst->port)) {
		return sk_fail(ps, line, "icmp6 selectors take no ports; give \"icmp6 TYPE,CODE\"");
	}
	if ((src->port || dst->port) && proto != 6 && proto != 17 && proto != 132 &&
	    proto != 136 && proto != 33 && proto != 58)
		return sk_fail(ps, line, "ports need tcp, udp, sctp, udplite or dccp, not \"%s\"", buf);
	return 0;
}

static int parse_dir(struct parser *ps, struct pfkey_policy *pol)
{
	char buf[16];
	if (sk_tok_is(sk_peek(ps), "-P"))
		ps->pos++;
	int line = sk_cur_line(ps);
	if (sk_next_word(ps, buf, sizeof(buf), "direction (in or out)"))
		return -1;
	if (strcmp(buf, "in") == 0)
		pol->dir = IPSEC_DIR_INBOUND;
	else if (strcmp(buf, "out") == 0)
		pol->dir = IPSEC_DIR_OUTBOUND;
	else if (strcmp(buf, "fwd") == 0)
		return sk_fail(ps, line, "fwd policies are not supported (a host has in and out)");
	else
		return sk_fail(ps, line, "unknown direction \"%s\" (in or out)", buf);
	return 0;
}

static const struct { const char *name; uint8_t level; } levels[] = {
	{ "default", IPSEC_LEVEL_DEFAULT }, { "use", IPSEC_LEVEL_USE },
	{ "require", IPSEC_LEVEL_REQUIRE }, { "unique", IPSEC_LEVEL_UNIQUE },
};

/* PROTO/MODE/[SRC-DST]/[LEVEL[:REQID]] (ipsec_set_policy(3)). */
static int parse_request(struct parser *ps, const struct token *t, struct pfkey_ipsecreq *q)
{
	char buf[TOKEN_MAX], *part[4] = { 0 };
	int n = 0;
	if (t->len >= sizeof(buf))
		return sk_fail(ps, t->line, "request too long");
	memcpy(buf, t->p, t->len);
	buf[t->len] = 0;
	for (char *s = buf, *slash; n < 4; n++) {
		part[n] = s;
		if (!(slash = strchr(s, '/'))) {
			n++;
			break;
		}
		*slash = 0;
		s = slash + 1;
		if (n == 3)
			return sk_fail(ps, t->line, "\"%.*s\": too many '/'", (int)t->len, t->p);
	}
	if (n < 2)
		return sk_fail(ps, t->line, "\"%s\": a request is PROTO/MODE/SRC-DST/LEVEL", part[0]);
	memset(q, 0, sizeof(*q));
	if (strcmp(part[0], "esp") == 0)
		q->proto = IPPROTO_ESP;
	else if (strcmp(part[0], "ah") == 0)
		q->proto = IPPROTO_AH;
	else if (strcmp(part[0], "ipcomp") == 0)
		q->proto = PFKEY_IPPROTO_IPCOMP;
	else
		return sk_fail(ps, t->line, "unknown request protocol \"%s\"", part[0]);
	int m = sk_mode_of(part[1]);
	if (m <= 0)
		return sk_fail(ps, t->line, "request mode is transport or tunnel, not \"%s\"", part[1]);
	q->mode = (uint8_t)m;
	if (q->proto == PFKEY_IPPROTO_IPCOMP && m == 2)
		return sk_fail(ps, t->line, "ipcomp/tunnel is not supported (what does not compress "
				      "would go as bare IPv6-in-IPv6); use ipcomp/transport "
				      "inside esp/tunnel");
	if (part[2] && part[2][0]) {
		/* addresses contain ':' but never '-' */
		char *dash = strchr(part[2], '-');
		if (!dash)
			return sk_fail(ps, t->line, "\"%s\": tunnel endpoints are SRC-DST", part[2]);
		*dash = 0;
		if (sk_parse_in6(ps, t->line, part[2], &q->src.addr) ||
		    sk_parse_in6(ps, t->line, dash + 1, &q->dst.addr))
			return -1;
		q->src.prefixlen = q->dst.prefixlen = 128;
		q->tunnel_addrs = true;
	}
	if (q->mode == 2 && !q->tunnel_addrs)
		return sk_fail(ps, t->line, "a tunnel request needs its endpoints, SRC-DST");
	if (q->mode == 1 && q->tunnel_addrs)
		return sk_fail(ps, t->line, "a transport request takes no endpoints");
	q->level = IPSEC_LEVEL_DEFAULT;
	if (part[3] && part[3][0]) {
		char *colon = strchr(part[3], ':');
		if (colon)
			*colon = 0;
		int found = -1;
		for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (strcmp(levels[i].name, part[3]) == 0)
				found = levels[i].level;
		if (found < 0)
			return sk_fail(ps, t->line, "unknown level \"%s\"", part[3]);
		q->level = (uint8_t)found;
		if (colon) {
			uint64_t id;
			if (found != IPSEC_LEVEL_UNIQUE)
				return sk_fail(ps, t->line, "only unique takes an id");
			/* KAME: ids above 0x3fff are the kernel's own */
			if (!sk_parse_u64(colon + 1, 0x3fff, &id) || id == 0)
				return sk_fail(ps, t->line, "\"%s\": unique id is 1-16383", colon + 1);
			q->reqid = (uint32_t)id;
		}
	}
	return 0;
}

static int parse_policy(struct parser *ps, struct pfkey_policy *pol)
{
	char buf[16];
	if (sk_tok_is(sk_peek(ps), "prio") || sk_tok_is(sk_peek(ps), "priority")) {
		uint64_t v;
		ps->pos++;
		if (sk_opt_number(ps, UINT32_MAX, &v, "priority"))
			return -1;
		pol->priority = (uint32_t)v;
	}
	int line = sk_cur_line(ps);
	if (sk_next_word(ps, buf, sizeof(buf), "policy (discard, none, ipsec)"))
		return -1;
	if (strcmp(buf, "discard") == 0)
		pol->type = IPSEC_POLICY_DISCARD;
	else if (strcmp(buf, "none") == 0)
		pol->type = IPSEC_POLICY_NONE;
	else if (strcmp(buf, "bypass") == 0)
		pol->type = IPSEC_POLICY_BYPASS;
	else if (strcmp(buf, "entrust") == 0)
		return sk_fail(ps, line, "entrust: there is no system-wide policy to defer to");
	else if (strcmp(buf, "ipsec") == 0)
		pol->type = IPSEC_POLICY_IPSEC;
	else
		return sk_fail(ps, line, "unknown policy \"%s\"", buf);
	while (!sk_at_end(ps)) {
		const struct token *t = sk_peek(ps);
		if (pol->type != IPSEC_POLICY_IPSEC)
			return sk_fail(ps, t->line, "only ipsec policies take requests");
		if (pol->n_req == 2)
			return sk_fail(ps, t->line, "at most two requests (ah and esp) per policy");
		ps->pos++;
		if (parse_request(ps, t, &pol->req[pol->n_req]))
			return -1;
		pol->n_req++;
	}
	if (pol->type == IPSEC_POLICY_IPSEC && !pol->n_req)
		return sk_fail(ps, line, "ipsec needs at least one request, e.g. esp/transport//require");
	return 0;
}

static int st_spd(struct parser *ps, uint8_t type)
{
	struct pfkey_address src, dst;
	struct pfkey_policy pol;
	struct pfkey_buf b;
	memset(&pol, 0, sizeof(pol));
	if (sk_skip_af_options(ps) || sk_parse_addr(ps, true, &src, "source range") ||
	    sk_parse_addr(ps, true, &dst, "destination range") ||
	    parse_upperspec(ps, &src, &dst) || parse_dir(ps, &pol))
		return -1;
	if (src.family != dst.family)
		return sk_fail(ps, sk_cur_line(ps), "%s", "source and destination ranges of one "
			    "policy must be of one address family");
	/* spddelete: setkey also takes the policy after the direction; the selector and
	 * direction alone name what to delete */
	if ((type != SADB_X_SPDDELETE || !sk_at_end(ps)) && parse_policy(ps, &pol))
		return -1;
	if (type == SADB_X_SPDDELETE) {
		uint8_t dir = pol.dir;
		memset(&pol, 0, sizeof(pol));
		pol.dir = dir;
	}
	sk_begin(ps, &b, type, SADB_SATYPE_UNSPEC);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_SRC, &src);
	pfkey_emit_address(&b, SADB_EXT_ADDRESS_DST, &dst);
	pfkey_emit_policy(&b, &pol);
	return sk_finish(ps, &b);
}

int sk_st_spdadd(struct parser *ps) { return st_spd(ps, SADB_X_SPDADD); }
int sk_st_spdupdate(struct parser *ps) { return st_spd(ps, SADB_X_SPDUPDATE); }
int sk_st_spddelete(struct parser *ps) { return st_spd(ps, SADB_X_SPDDELETE); }
