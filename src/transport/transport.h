/*
 * transport/transport.h - how the IPv6 data path hands packets and ICMPv6 errors to the
 * transports and sockets: UDP (transport/udp.c), raw sockets (transport/raw.c), and the
 * socket layer's error dispatch (socket/socket.c). Called from ip6/input.c and ip6/icmp6.c.
 */
#ifndef UMK_TRANSPORT_TRANSPORT_H
#define UMK_TRANSPORT_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

struct umk_stack;
struct umk_pkt;
struct ip6_rx;

/* UDP input (RFC 768, RFC 8200 8.1): pkt->data at the UDP header. Consumes pkt. Answers
 * Port Unreachable (RFC 4443 3.1) when no socket takes a unicast datagram. */
void udp6_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx);

/* RFC 3542 3: a copy of every ICMPv6 message (pkt->data at the ICMPv6 header, checksum
 * verified) to each raw ICMPv6 socket whose filter passes it. Does not consume pkt. */
void raw6_icmp_input(struct umk_stack *s, const struct umk_pkt *pkt, const struct ip6_rx *rx);
/* Is a raw socket open for upper-layer protocol nxt (not ICMPv6, UDP, TCP)? */
bool raw6_wants(struct umk_stack *s, uint8_t nxt);
/* Delivers a packet of such a protocol to its raw sockets. Consumes pkt. */
void raw6_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx);

/* An ICMPv6 error (RFC 4443 2.4 (b)) about a packet we sent: quoted starts at the quoted
 * IPv6 header. Hands it to the transport that sent the packet. True when a socket took it. */
bool sock_ctlinput(struct umk_stack *s, const struct ip6_rx *rx, uint8_t type, uint8_t code,
		   uint32_t param, const uint8_t *quoted, uint32_t qlen);

/* The errno for an ICMPv6 error of type/code (0: not an error to report). */
int transport_icmp6_errno(uint8_t type, uint8_t code);

#endif
