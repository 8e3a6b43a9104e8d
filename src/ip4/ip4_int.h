/*
 * ip4/ip4_int.h - state of the ip4/ module (struct ip4_state, behind umk_stack.ip4).
 */
#ifndef UMK_IP4_IP4_INT_H
#define UMK_IP4_IP4_INT_H

#include "core/stack_int.h"
#include "ip4/ip4.h"

struct ip4_ifaddr {
	struct ip4_ifaddr *next;
	int ifindex;
	uint32_t addr;                /* host order */
	uint8_t plen;
};

enum arp_state { ARP_INCOMPLETE = 1, ARP_REACHABLE, ARP_STALE, ARP_PROBE };

struct arp_entry {
	struct arp_entry *next;       /* hash chain */
	int ifindex;
	uint32_t addr;
	uint8_t lladdr[6];
	uint8_t state;                /* enum arp_state */
	uint8_t probes;               /* requests sent in this INCOMPLETE/PROBE round */
	umk_time_t confirmed;         /* last reply or request from the neighbour */
	struct umk_timer timer;
	struct umk_pkt *q_head, *q_tail;
	uint32_t q_len;
};

#define ARP_BUCKETS 256

struct ip4_state {
	struct ip4_ifaddr *addrs;
	struct arp_entry *arp[ARP_BUCKETS];
	uint32_t arp_count;
	uint16_t next_id;             /* IPv4 Identification of datagrams we originate */
	uint32_t icmp_tokens;         /* ICMP error rate limit (RFC 1812 4.3.2.8) */
	umk_time_t icmp_refill;
};

/* ip4/arp.c */
void arp_if_flush(struct umk_stack *s, int ifindex);
void arp_fini(struct umk_stack *s);

#endif
