/*
 * udpencap.h - RFC 3948 UDP encapsulation of ESP over IPv6 outer headers (NAT traversal):
 * the input hook of transport/udp.c, the SPD exemption of the encapsulating UDP header
 * (datapath.c) and the output wrap after ESP (datapath.c). Ports are per SA (PF_KEY
 * SADB_X_EXT_NAT_T_SPORT/DPORT); an encapsulation port is one an SA's destination port
 * names for its peer.
 */
#ifndef UMK_IPSEC_UDPENCAP_H
#define UMK_IPSEC_UDPENCAP_H

#include "ipsec/ipsec.h"

struct ip6_rx;
struct udp_hdr_info;

/* udp6_input's hook, after the UDP checksum was verified and pkt trimmed to the datagram
 * (pkt->data at the UDP header). True when the datagram was taken: ESP de-encapsulated
 * and handed to ip6_input (RFC 3948 3.2), a NAT-keepalive consumed, or a drop (counted).
 * False: ordinary UDP for the sockets, the non-ESP-marker IKE packets among it (2.2). */
bool udpencap_input(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx,
		    const struct udp_hdr_info *u);

/* The inbound SPD check's question (pkt->data at the UDP header): is this ESP-in-UDP or a
 * keepalive for one of our encapsulating SAs? Then the UDP header is part of ESP, and the
 * SPD is asked about what the ESP carries, after de-encapsulation. */
bool udpencap_spd_exempt(struct umk_stack *s, const struct umk_pkt *pkt,
			 const struct ip6_rx *rx);

/* After esp_output on an SA with encapsulation: prepends the UDP header with the SA's
 * ports and a checksum over the IPv6 pseudo-header of src and dst (RFC 8200 8.1: over
 * IPv6 it is mandatory; RFC 3948 3.1.1's zero checksum is IPv4's). 0 (*nxt = UDP) or
 * -ENOBUFS (pkt consumed, counted). */
int udpencap_output(struct umk_stack *s, const struct ipsec_sa *sa, struct umk_pkt *pkt,
		    uint8_t *nxt, const struct in6_addr *src, const struct in6_addr *dst);

/* PF_KEY/SAD check of an SA's encapsulation: 0 or -EINVAL. */
int udpencap_sa_check(const struct ipsec_sa *sa);

#endif
