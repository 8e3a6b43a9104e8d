/*
 * nd.h - Neighbor Discovery wire format (RFC 4861 4, with RFC 4191 Route Information,
 * RFC 8106 RDNSS/DNSSL and the RFC 3971/7527 Nonce): parse a received RS, RA, NS, NA or
 * Redirect into a host-order struct nd_msg, and emit the mirror image. Pure functions, no
 * stack state: the logic is in ip6/nd6.c and ip6/rd6.c; fuzzed by fuzz/fuzz_wire_nd.c.
 */
#ifndef UMK_WIRE_ND_H
#define UMK_WIRE_ND_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/nd_const.h"

/* Prefix Information (RFC 4861 4.6.2) */
struct nd_opt_prefix {
	struct in6_addr prefix;
	uint8_t plen;
	uint8_t flags;                 /* ND_PIO_F_* */
	uint32_t valid_lft;            /* seconds */
	uint32_t preferred_lft;
};

/* Route Information (RFC 4191 2.3) */
struct nd_opt_route {
	struct in6_addr prefix;        /* bits past plen are zero */
	uint8_t plen;
	uint8_t prf;                   /* ND_PRF_* */
	uint32_t lifetime;             /* seconds */
};

struct nd_opt_rdnss {
	struct in6_addr addr;
	uint32_t lifetime;             /* seconds */
};

struct nd_opt_dnssl {
	char name[ND_DNS_NAME_MAX + 1]; /* dotted, without the trailing dot */
	uint32_t lifetime;
};

/* The options of one message. Repeatable options beyond the per-message bounds, and known
 * options that are malformed, are skipped and counted in `overflow` / `malformed`. */
struct nd_opts {
	bool has_sllao, has_tllao, has_mtu, has_nonce;
	uint8_t sllao[ND_ETH_ADDR_LEN];
	uint8_t tllao[ND_ETH_ADDR_LEN];
	uint32_t mtu;
	uint8_t nonce[ND_NONCE_LEN];
	uint8_t nonce_len;             /* octets of nonce in the option (only the first 6 kept) */
	const uint8_t *redir;          /* Redirected Header: the packet, pointer into the message */
	size_t redir_len;
	struct nd_opt_prefix prefix[ND_MAX_PREFIX_OPTS];
	unsigned n_prefix;
	struct nd_opt_route route[ND_MAX_ROUTE_OPTS];
	unsigned n_route;
	struct nd_opt_rdnss rdnss[ND_MAX_RDNSS_ADDRS];
	unsigned n_rdnss;
	struct nd_opt_dnssl dnssl[ND_MAX_DNSSL_NAMES];
	unsigned n_dnssl;
	unsigned unknown;              /* options of a type we don't know (skipped, 4.6) */
	unsigned malformed;            /* known options with a bad length or content */
	unsigned overflow;             /* repeatable options past the bounds above */
};

/* One ND message, host order. Fields a type does not have stay zero. */
struct nd_msg {
	uint8_t type, code;
	/* RA (4.2) */
	uint8_t cur_hop_limit;
	uint8_t ra_flags;              /* ND_RA_F_*, Prf in bits 4..3 */
	uint16_t router_lifetime;      /* seconds */
	uint32_t reachable_time;       /* ms */
	uint32_t retrans_timer;        /* ms */
	/* NA (4.4) */
	uint8_t na_flags;              /* ND_NA_F_* */
	/* NS, NA, Redirect */
	struct in6_addr target;
	/* Redirect (4.5) */
	struct in6_addr dest;
	struct nd_opts opts;
};

enum nd_parse_result {
	ND_PARSE_OK = 0,
	ND_PARSE_BAD_TYPE,             /* not 133..137 */
	ND_PARSE_BAD_CODE,             /* code not 0 */
	ND_PARSE_SHORT,                /* shorter than the type's fixed part */
	ND_PARSE_OPT_ZERO_LEN,         /* an option with length 0: whole message invalid (4.6) */
	ND_PARSE_OPT_TRUNCATED,        /* an option runs past the end */
};

/* Parses the ICMPv6 message at b (len octets, from the ICMPv6 type byte; checksum already
 * verified). Fills *m (which may point into b: opts.redir). */
enum nd_parse_result nd_parse(const uint8_t *b, size_t len, struct nd_msg *m);
const char *nd_parse_result_str(enum nd_parse_result r);

/* Writes m (fixed part for m->type and the options present in m->opts, in the order SLLAO,
 * TLLAO, MTU, Nonce, PIO, RIO, RDNSS, DNSSL, Redirected Header) into b with the checksum
 * zero. Returns the length, or 0 when cap is too small or the type is unknown. */
size_t nd_emit(uint8_t *b, size_t cap, const struct nd_msg *m);

/* RFC 4191 2.2: the preference -1/0/1 of a Prf field (reserved reads as medium). */
int nd_prf_to_pref(uint8_t prf);

#endif
