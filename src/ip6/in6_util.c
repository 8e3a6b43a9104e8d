/*
 * in6_util.c - small helpers on addresses (RFC 4291 scopes, RFC 4007 zones, solicited-node
 * groups) and the datapath's init/attach entry points, which bring up icmp6.c, frag6.c,
 * route6.c and pmtu.c together.
 */
#include <string.h>

#include "core/stack_int.h"
#include "ip6/frag6.h"
#include "ip6/ip6.h"
#include "ip6/forward.h"
#include "ip6/route6.h"
#include "ip6/rtadv.h"

void ip6_tx_init(struct ip6_tx *tx, uint8_t nxt)
{
	memset(tx, 0, sizeof(*tx));
	tx->nxt = nxt;
	tx->hlim = -1;
	tx->csum_off = -1;
}

int in6_scope(const struct in6_addr *a)
{
	const uint8_t *b = a->s6_addr;

	if (b[0] == 0xff)
		return b[1] & 0x0f;          /* RFC 4291 2.7: the multicast scope field */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return UMK_SCOPE_LINK;       /* fe80::/10 */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return UMK_SCOPE_SITE;       /* fec0::/10, deprecated (RFC 3879) */
	if (IN6_IS_ADDR_LOOPBACK(a))
		return UMK_SCOPE_HOST;
	return UMK_SCOPE_GLOBAL;
}

bool in6_is_all_nodes_iflocal(const struct in6_addr *a)
{
	static const struct in6_addr ff01_1 = { { { 0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
						    0, 0, 0, 1 } } };
	return IN6_ARE_ADDR_EQUAL(a, &ff01_1);
}

bool in6_is_all_routers_iflocal(const struct in6_addr *a)
{
	static const struct in6_addr ff01_2 = { { { 0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
						    0, 0, 0, 2 } } };
	return IN6_ARE_ADDR_EQUAL(a, &ff01_2);
}

bool in6_is_scoped(const struct in6_addr *a)
{
	int sc = in6_scope(a);
	/* RFC 4007 6: link-local unicast and interface/link-local multicast name a zone */
	return sc == UMK_SCOPE_LINK || (a->s6_addr[0] == 0xff && sc == UMK_SCOPE_HOST);
}

void in6_solicited_node(const struct in6_addr *a, struct in6_addr *snm)
{
	/* RFC 4291 2.7.1: ff02::1:ffXX:XXXX with the low 24 bits of the address */
	static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
	memcpy(snm->s6_addr, prefix, sizeof(prefix));
	memcpy(snm->s6_addr + 13, a->s6_addr + 13, 3);
}

bool in6_prefix_eq(const struct in6_addr *a, const struct in6_addr *b, unsigned plen)
{
	if (plen > 128)
		plen = 128;
	unsigned n = plen / 8;
	if (memcmp(a->s6_addr, b->s6_addr, n))
		return false;
	if (plen % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - plen % 8));
		return ((a->s6_addr[n] ^ b->s6_addr[n]) & mask) == 0;
	}
	return true;
}

int ip6_init(struct umk_stack *s)
{
	if (icmp6_init(s) || frag6_init(s) || rt6_init(s) || pmtu_init(s) || fwd_init(s) ||
	    rtadv_init(s))
		return -1; /* umk_stack_free calls ip6_fini, which copes with partial state */
	return 0;
}

void ip6_fini(struct umk_stack *s)
{
	rtadv_fini(s);
	fwd_fini(s);
	pmtu_fini(s);
	rt6_fini(s);
	frag6_fini(s);
	icmp6_fini(s);
}

void ip6_if_attach(struct umk_stack *s, struct umk_if *ifp) {}

void ip6_if_detach(struct umk_stack *s, struct umk_if *ifp)
{
	rtadv_if_detach(s, ifp);
	rt6_flush_if(s, ifp->index, 0);
	frag6_if_detach(s, ifp->index);
}
