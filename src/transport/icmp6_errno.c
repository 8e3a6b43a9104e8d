/*
 * icmp6_errno.c - the errno a socket reports for an ICMPv6 error about what it sent
 * (RFC 4443 3 codes; the values BSD and Linux report), one table for every transport.
 */
#include <errno.h>
#include <stddef.h>

#include "transport/transport.h"
#include "wire/icmp6.h"

static const struct err_map {
	uint8_t type, code;
	int err;
} err_map[] = {
	/* RFC 4443 3.1 codes; what BSD and Linux report for them */
	{ ICMP6_DST_UNREACH, ICMP6_DU_NOROUTE, ENETUNREACH },
	{ ICMP6_DST_UNREACH, ICMP6_DU_ADMIN, EACCES },
	{ ICMP6_DST_UNREACH, ICMP6_DU_BEYONDSCOPE, EHOSTUNREACH },
	{ ICMP6_DST_UNREACH, ICMP6_DU_ADDR, EHOSTUNREACH },
	{ ICMP6_DST_UNREACH, ICMP6_DU_PORT, ECONNREFUSED },
	{ ICMP6_DST_UNREACH, ICMP6_DU_POLICY, EACCES },
	{ ICMP6_DST_UNREACH, ICMP6_DU_REJECT, EACCES },
	{ ICMP6_PACKET_TOO_BIG, 0xff, EMSGSIZE },
	{ ICMP6_TIME_EXCEEDED, 0xff, EHOSTUNREACH },
	{ ICMP6_PARAM_PROB, 0xff, EPROTO },
};

int transport_icmp6_errno(uint8_t type, uint8_t code)
{
	for (size_t i = 0; i < sizeof(err_map) / sizeof(err_map[0]); i++)
		if (err_map[i].type == type && (err_map[i].code == 0xff || err_map[i].code == code))
			return err_map[i].err;
	return type == ICMP6_DST_UNREACH ? EHOSTUNREACH : 0;
}

