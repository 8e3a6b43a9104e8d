/*
 * wire/pfkey.h - PF_KEY v2 messages (RFC 2367 2) with KAME's SPD extensions
 * (SADB_X_SPD*, sadb_x_policy, sadb_x_ipsecrequest, sadb_x_sa2). Lengths in the message
 * and extension headers count 64-bit words; every field is in host byte order except
 * the SPI and ports (network order, RFC 2367 2.3.1/2.3.3). Addresses are struct
 * sockaddr_in6 as Linux lays it out (family, port, flowinfo, address, scope id).
 * pfkey_parse() checks everything once and fills struct pfkey_msg; the pfkey_emit_*
 * functions build replies. Pure functions.
 */
#ifndef UMK_WIRE_PFKEY_H
#define UMK_WIRE_PFKEY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PF_KEY_V2 2
#define PFKEY_ALIGN 8
#define PFKEY_HDR_LEN 16

/* RFC 2367 2.3.5 message types; 13-22 KAME */
enum {
	SADB_RESERVED = 0, SADB_GETSPI, SADB_UPDATE, SADB_ADD, SADB_DELETE, SADB_GET,
	SADB_ACQUIRE, SADB_REGISTER, SADB_EXPIRE, SADB_FLUSH, SADB_DUMP, SADB_X_PROMISC,
	SADB_X_PCHANGE, SADB_X_SPDUPDATE, SADB_X_SPDADD, SADB_X_SPDDELETE, SADB_X_SPDGET,
	SADB_X_SPDACQUIRE, SADB_X_SPDDUMP, SADB_X_SPDFLUSH, SADB_X_SPDSETIDX, SADB_X_SPDEXPIRE,
	SADB_X_SPDDELETE2, SADB_X_NAT_T_NEW_MAPPING, SADB_MAX = SADB_X_NAT_T_NEW_MAPPING
};

/* RFC 2367 2.3 extension types; 17-19 KAME; 20-23 the NAT-T ones Linux and KAME share
 * (23 is Linux's NAT_T_OA, KAME's NAT_T_OAI; 24 differs between them and is refused) */
enum {
	SADB_EXT_SA = 1, SADB_EXT_LIFETIME_CURRENT, SADB_EXT_LIFETIME_HARD,
	SADB_EXT_LIFETIME_SOFT, SADB_EXT_ADDRESS_SRC, SADB_EXT_ADDRESS_DST,
	SADB_EXT_ADDRESS_PROXY, SADB_EXT_KEY_AUTH, SADB_EXT_KEY_ENCRYPT, SADB_EXT_IDENTITY_SRC,
	SADB_EXT_IDENTITY_DST, SADB_EXT_SENSITIVITY, SADB_EXT_PROPOSAL, SADB_EXT_SUPPORTED_AUTH,
	SADB_EXT_SUPPORTED_ENCRYPT, SADB_EXT_SPIRANGE, SADB_X_EXT_KMPRIVATE, SADB_X_EXT_POLICY,
	SADB_X_EXT_SA2, SADB_X_EXT_NAT_T_TYPE, SADB_X_EXT_NAT_T_SPORT, SADB_X_EXT_NAT_T_DPORT,
	SADB_X_EXT_NAT_T_OA, SADB_EXT_MAX = SADB_X_EXT_NAT_T_OA
};

/* FreeBSD's sadb_x_sa_replay: the window in packets, for windows above the 2040 that
 * sadb_sa_replay (8 bits, in bytes of bitmap, KAME) can say. Beyond SADB_EXT_MAX, which
 * counts the contiguous types; PFKEY_EXT_LAST is the highest type parsed. */
#define SADB_X_EXT_SA_REPLAY 26
#define PFKEY_EXT_LAST SADB_X_EXT_SA_REPLAY

/* RFC 2367 2.3.3 */
#define SADB_SATYPE_UNSPEC 0
#define SADB_SATYPE_AH     2
#define SADB_SATYPE_ESP    3
#define SADB_X_SATYPE_IPCOMP 9       /* KAME/Linux: IPComp associations (RFC 3173) */
#define SADB_SASTATE_LARVAL 0
#define SADB_SASTATE_MATURE 1
#define SADB_SASTATE_DYING  2
#define SADB_SASTATE_DEAD   3
#define SADB_X_SAFLAGS_ESN  0x400        /* FreeBSD's flag for RFC 4303 ESN */

/* algorithm numbers (RFC 2367 2.3.3, IANA, Linux/KAME pfkeyv2.h) */
#define SADB_AALG_NONE            0
#define SADB_AALG_SHA1HMAC        3
#define SADB_X_AALG_SHA2_256HMAC  5
#define SADB_X_AALG_SHA2_384HMAC  6
#define SADB_X_AALG_SHA2_512HMAC  7
#define SADB_X_AALG_AES_XCBC_MAC  9
#define SADB_EALG_NONE            0
#define SADB_EALG_NULL            11
#define SADB_X_EALG_AESCBC        12
#define SADB_X_EALG_AES_GCM_ICV16 20
#define SADB_X_EALG_NULL_AES_GMAC 23
#define SADB_X_EALG_CHACHA20POLY1305 28  /* no PF_KEY number exists: the IKEv2 one */
/* IPComp: in sadb_sa_encrypt (KAME/Linux SADB_X_CALG_*, = IANA IPCOMP transform ids) */
#define SADB_X_CALG_NONE          0
#define SADB_X_CALG_DEFLATE       2
#define PFKEY_IPPROTO_IPCOMP      108    /* sadb_x_ipsecrequest_proto of an IPComp request */

/* KAME sadb_x_policy / sadb_x_ipsecrequest */
#define IPSEC_POLICY_DISCARD 0
#define IPSEC_POLICY_NONE    1
#define IPSEC_POLICY_IPSEC   2
#define IPSEC_POLICY_ENTRUST 3
#define IPSEC_POLICY_BYPASS  4
#define IPSEC_DIR_ANY        0
#define IPSEC_DIR_INBOUND    1
#define IPSEC_DIR_OUTBOUND   2
#define IPSEC_LEVEL_DEFAULT  0
#define IPSEC_LEVEL_USE      1
#define IPSEC_LEVEL_REQUIRE  2
#define IPSEC_LEVEL_UNIQUE   3
#define IPSEC_ULPROTO_ANY    255
#define PFKEY_MAX_REQ        4

struct pfkey_base {
	uint8_t version, type, err, satype;
	uint32_t len;                 /* bytes */
	uint32_t seq, pid;
};

struct pfkey_sa {
	uint32_t spi;                 /* host order here */
	uint8_t replay, state, auth, encrypt;
	uint32_t flags;
};

struct pfkey_lifetime {
	uint32_t allocations;
	uint64_t bytes, addtime, usetime;
};

struct pfkey_address {
	/* 0 or AF_INET6; AF_INET (RFC 2367 2.3.3: a sockaddr_in) for IPv4 selectors, its
	 * address kept IPv4-mapped (RFC 4291 2.5.5.2) in addr, prefixlen 0..32 */
	uint8_t family;
	uint8_t proto, prefixlen;
	uint16_t port;                /* host order here */
	struct in6_addr addr;
	uint32_t scope;
};

struct pfkey_key {
	uint16_t bits;
	const uint8_t *data;
};

struct pfkey_ipsecreq {
	uint16_t proto;
	uint8_t mode, level;
	uint32_t reqid;
	bool tunnel_addrs;
	struct pfkey_address src, dst;
};

struct pfkey_policy {
	uint16_t type;
	uint8_t dir;
	uint32_t id, priority;
	uint8_t n_req;
	struct pfkey_ipsecreq req[PFKEY_MAX_REQ];
};

struct pfkey_sa2 {
	uint8_t mode;
	uint32_t seq, reqid;
};

/* RFC 3948 NAT traversal (sadb_x_nat_t_type, sadb_x_nat_t_port, NAT_T_OA's address) */
struct pfkey_natt {
	uint8_t type;                 /* UDP_ENCAP_ESPINUDP (2) */
	uint16_t sport, dport;        /* host order here */
	struct pfkey_address oa;
};

struct pfkey_msg {
	struct pfkey_base base;
	uint32_t present;             /* 1 << SADB_EXT_* of each extension there */
	struct pfkey_sa sa;
	struct pfkey_lifetime life[3];/* current, hard, soft */
	struct pfkey_address addr[3]; /* src, dst, proxy */
	struct pfkey_key key_auth, key_enc;
	uint32_t spi_min, spi_max;
	struct pfkey_sa2 sa2;
	struct pfkey_policy policy;
	uint32_t sa_replay;           /* SADB_X_EXT_SA_REPLAY: packets */
	struct pfkey_natt natt;
};

#define PFKEY_HAS(m, ext) (((m)->present >> (ext)) & 1)

/* 0, or -EINVAL (malformed), -EAFNOSUPPORT (a non-IPv6 address), -EPROTONOSUPPORT. */
int pfkey_parse(const uint8_t *p, size_t len, struct pfkey_msg *m);

/* Reply building into a caller's buffer; overflow is sticky and reported by finish. */
struct pfkey_buf {
	uint8_t *p;
	size_t cap, len;
	bool overflow;
};
struct pfkey_alg {
	uint8_t id, ivlen;
	uint16_t minbits, maxbits;
};
void pfkey_buf_init(struct pfkey_buf *b, uint8_t *p, size_t cap);
void pfkey_emit_base(struct pfkey_buf *b, const struct pfkey_base *h);
void pfkey_emit_sa(struct pfkey_buf *b, const struct pfkey_sa *sa);
void pfkey_emit_lifetime(struct pfkey_buf *b, uint16_t type, const struct pfkey_lifetime *lt);
void pfkey_emit_address(struct pfkey_buf *b, uint16_t type, const struct pfkey_address *a);
void pfkey_emit_key(struct pfkey_buf *b, uint16_t type, const uint8_t *key, uint16_t len);
void pfkey_emit_sa2(struct pfkey_buf *b, const struct pfkey_sa2 *sa2);
void pfkey_emit_policy(struct pfkey_buf *b, const struct pfkey_policy *pol);
void pfkey_emit_supported(struct pfkey_buf *b, uint16_t type, const struct pfkey_alg *algs,
			  int n);
void pfkey_emit_spirange(struct pfkey_buf *b, uint32_t min, uint32_t max);
/* SADB_X_EXT_SA_REPLAY with a window of `packets`. */
void pfkey_emit_sa_replay(struct pfkey_buf *b, uint32_t packets);
/* The NAT-T extensions: type (unless 0), both ports, and NAT_T_OA when oa is non-NULL. */
void pfkey_emit_natt(struct pfkey_buf *b, const struct pfkey_natt *n,
		     const struct pfkey_address *oa);
/* Writes the total length into the base header: the message length, or -ENOBUFS. */
int pfkey_finish(struct pfkey_buf *b);

#endif
