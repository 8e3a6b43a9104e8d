/*
 * addrconf_int.h - private to ip6/addrconf.c and ip6/addrconf_id.c (and their unit tests):
 * the per-address and per-interface autoconfiguration state, interface identifier
 * generation (RFC 7217, modified EUI-64, RFC 8981) and the lifetime rules as pure functions.
 */
#ifndef UMK_IP6_ADDRCONF_INT_H
#define UMK_IP6_ADDRCONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/timer.h"
#include "ip6/addrconf.h"

/* RFC 4862 5.5.3 e): the two hours of the two-hour rule, in ms */
#define AC_TWO_HOURS (2ULL * 3600 * 1000)
/* RFC 7217 6 IDGEN_DELAY: wait before trying the next DAD_Counter */
#define AC_IDGEN_DELAY 1000
/* Nonces of our own DAD probes remembered to recognise them looped back (RFC 7527) */
#define AC_DAD_NONCES 4
#define AC_NONCE_LEN 6

/* Where an address came from; decides what DAD failure and link down do to it. */
enum ac_kind {
	AC_MANUAL = 1,       /* umk_addr_add: kept over link down, DAD failure leaves it failed */
	AC_LINKLOCAL,        /* RFC 4862 5.3 */
	AC_SLAAC,            /* RFC 4862 5.5.3 public address */
	AC_TEMPORARY,        /* RFC 8981 */
};

struct addrconf_priv {
	struct in6_ifaddr *ia;
	enum ac_kind kind;
	bool eui64;                   /* identifier from the MAC (RFC 4862 5.4.5 applies) */
	uint8_t dad_counter;          /* RFC 7217 DAD_Counter; RFC 8981 retries for temporaries */
	uint8_t dad_left;             /* probes still to send */
	bool snm_joined;              /* we hold a reference on the solicited-node group */
	bool retry_pending;           /* DAD failed; dad_timer forms the next identifier */
	uint8_t n_nonces;
	uint8_t nonces[AC_DAD_NONCES][AC_NONCE_LEN];
	struct umk_timer dad_timer;
	struct umk_timer lft_timer;   /* the next of preferred expiry, valid expiry, regeneration */
	/* RFC 8981 temporaries */
	umk_time_t regen_at;          /* REGEN_ADVANCE before preferred expiry */
	bool regen_done;              /* the successor was made (or declined) */
	uint64_t desync_ms;           /* DESYNC_FACTOR of this address */
};

struct addrconf_ifinfo {
	uint32_t n_addrs;
	bool ip_disabled;             /* RFC 4862 5.4.5: an EUI-64 link-local was duplicated */
};

/* ---- addrconf_id.c ---- */

/*
 * RFC 7217 5: RID = F(Prefix, Net_Iface, Network_ID, DAD_Counter, secret_key), F being
 * SHA-256 over the concatenation; the identifier is its first 64 bits. prefix: the first 64
 * bits are used. net_iface: a NUL-terminated stable interface name. network_id may be NULL.
 */
void addrconf_stable_iid(const uint8_t secret_key[32], const struct in6_addr *prefix,
			 const char *net_iface, const uint8_t *network_id, size_t network_id_len,
			 uint8_t dad_counter, uint8_t iid[8]);
/* RFC 4291 2.5.1 / RFC 2464 4: modified EUI-64 from a MAC address. */
void addrconf_eui64_iid(const uint8_t mac[6], uint8_t iid[8]);
/* RFC 5453 reserved identifiers (all zero, the ISATAP-like 0200:5EFF:FE00:0000-5212, the
 * subnet anycast range FDFF:FFFF:FFFF:FF80-FFFF): never to be generated. */
bool addrconf_iid_reserved(const uint8_t iid[8]);
/* RFC 8981 3.3.1: a random identifier from the stack's generator, never a reserved one. */
void addrconf_random_iid(struct umk_stack *s, uint8_t iid[8]);
/* prefix (first 64 bits) + iid -> addr */
void addrconf_make_addr(const struct in6_addr *prefix, const uint8_t iid[8],
			struct in6_addr *addr);

/* ---- lifetimes (addrconf.c) ---- */

/* Seconds from a PIO (0xffffffff = infinite) to an absolute time from now. */
umk_time_t addrconf_lft_abs(umk_time_t now, uint32_t seconds);
/* RFC 4862 5.5.3 e) the two-hour rule: the remaining valid lifetime (ms, UMK_TIME_NEVER for
 * infinite) after a PIO with received_s arrives for an existing address. */
uint64_t addrconf_two_hour_rule(uint64_t remaining_ms, uint32_t received_s);

#endif
