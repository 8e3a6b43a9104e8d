/*
 * addrconf_id.c - interface identifiers for SLAAC (RFC 4862 5.5.3 d): stable and opaque by
 * RFC 7217 (the default, RFC 8064), modified EUI-64 (RFC 4291 2.5.1) when asked for, and
 * random ones for RFC 8981 temporary addresses; never one RFC 5453 reserves.
 * Neighbours: ip6/addrconf.c uses them; umk_sha256 (core) is the crypto boundary.
 */
#include <string.h>

#include "core/stack_int.h"
#include "ip6/addrconf_int.h"

void addrconf_stable_iid(const uint8_t secret_key[32], const struct in6_addr *prefix,
			 const char *net_iface, const uint8_t *network_id, size_t network_id_len,
			 uint8_t dad_counter, uint8_t iid[8])
{
	/* Each variable-length input is preceded by its length, so that no two different
	 * input tuples concatenate to the same bytes. */
	uint8_t buf[8 + 1 + UMK_IFNAMSIZ + 1 + 64 + 1 + 32];
	size_t n = 0;
	memcpy(buf + n, prefix->s6_addr, 8);
	n += 8;
	size_t ilen = strnlen(net_iface, UMK_IFNAMSIZ);
	buf[n++] = (uint8_t)ilen;
	memcpy(buf + n, net_iface, ilen);
	n += ilen;
	if (network_id_len > 64)
		network_id_len = 64;
	buf[n++] = (uint8_t)network_id_len;
	if (network_id_len) {
		memcpy(buf + n, network_id, network_id_len);
		n += network_id_len;
	}
	buf[n++] = dad_counter;
	memcpy(buf + n, secret_key, 32);
	n += 32;
	uint8_t digest[32];
	umk_sha256(buf, n, digest);
	memcpy(iid, digest, 8);
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(digest, sizeof(digest));
}

void addrconf_eui64_iid(const uint8_t mac[6], uint8_t iid[8])
{
	iid[0] = mac[0] ^ 0x02;      /* RFC 4291 2.5.1: invert the universal/local bit */
	iid[1] = mac[1];
	iid[2] = mac[2];
	iid[3] = 0xff;
	iid[4] = 0xfe;
	iid[5] = mac[3];
	iid[6] = mac[4];
	iid[7] = mac[5];
}

bool addrconf_iid_reserved(const uint8_t iid[8])
{
	static const uint8_t zero[8];
	if (memcmp(iid, zero, 8) == 0)
		return true;         /* RFC 4291 2.6.1 Subnet-Router anycast */
	/* RFC 5453 3 (IANA registry): 0200:5EFF:FE00:0000 - 0200:5EFF:FE00:5212 reserved,
	 * ...:5213 Proxy Mobile IPv6, ...:5214 - 0200:5EFF:FEFF:FFFF reserved: the whole
	 * 0200:5EFF:FE00:0000/40 range */
	static const uint8_t reserved_iana[5] = { 0x02, 0x00, 0x5e, 0xff, 0xfe };
	if (memcmp(iid, reserved_iana, 5) == 0)
		return true;
	/* RFC 2526: FDFF:FFFF:FFFF:FF80 - FDFF:FFFF:FFFF:FFFF subnet anycast */
	static const uint8_t anycast[7] = { 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	return memcmp(iid, anycast, 7) == 0 && iid[7] >= 0x80;
}

void addrconf_random_iid(struct umk_stack *s, uint8_t iid[8])
{
	do
		rng_secure_bytes(s, iid, 8);
	while (addrconf_iid_reserved(iid));
}

void addrconf_make_addr(const struct in6_addr *prefix, const uint8_t iid[8],
			struct in6_addr *addr)
{
	memcpy(addr->s6_addr, prefix->s6_addr, 8);
	memcpy(addr->s6_addr + 8, iid, 8);
}
