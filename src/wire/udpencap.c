/*
 * wire/udpencap.c - the RFC 3948 2 payload markers of an ESP-in-UDP port. See
 * wire/udpencap.h.
 */
#include "wire/udpencap.h"

enum udpencap_kind udpencap_classify(const uint8_t *p, size_t len)
{
	/* RFC 3948 2.3: a keepalive is exactly one 0xFF byte */
	if (len == 1 && p[0] == UDPENCAP_KEEPALIVE)
		return UDPENCAP_KEEPALIVE_PKT;
	/* RFC 3948 2.2: the marker takes the place of an SPI, which is never 0 */
	if (len >= UDPENCAP_NON_ESP_MARKER_LEN && !(p[0] | p[1] | p[2] | p[3]))
		return UDPENCAP_IKE;
	if (len < UDPENCAP_ESP_MIN)
		return UDPENCAP_SHORT;
	return UDPENCAP_ESP;
}
