/*
 * transport/tcp.h - what the rest of the stack sees of TCP: its state's life cycle
 * (core/stack.c) and its input (ip6/input.c). ICMPv6 errors reach TCP through the socket
 * layer's ctlinput dispatch (socket/socket.c, RFC 5461), as for UDP.
 */
#ifndef UMK_TRANSPORT_TCP_H
#define UMK_TRANSPORT_TCP_H

struct umk_stack;
struct umk_pkt;
struct ip6_rx;

int tcp_init(struct umk_stack *s);
/* Frees every connection without sending anything (the stack is going away). */
void tcp_fini(struct umk_stack *s);
/* TCP input (RFC 9293 3.10.7): pkt->data at the TCP header. Consumes pkt. */
void tcp6_input(struct umk_stack *s, struct umk_pkt *pkt, struct ip6_rx *rx);

#endif
