/*
 * ip4/arp.c - ARP for IPv4 over Ethernet (RFC 826): answering requests for our addresses,
 * learning senders (the "merge" rule of RFC 826 "Packet Reception"), and resolving next
 * hops with a bounded cache (limits.arp_max_entries) and a small queue per unresolved
 * entry (limits.arp_max_queue). Timers after RFC 1122 2.3.2.1: an entry is trusted for
 * arp_timeout ms after a reply; used after that, it is revalidated with unicast requests
 * while still used (arp_max_probes of them, arp_retrans_time apart), then forgotten.
 * umk_arp_list shows the cache (`umk neigh show`, family inet).
 * Wire format: wire/arp.c. Above: ip4/input.c. Below: link/eth.c.
 */
#include <errno.h>
#include <stdlib.h>

#include "ip4/ip4_int.h"
#include "link/eth.h"
#include "wire/arp.h"
#include "wire/eth.h"

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint32_t bucket(const struct umk_stack *s, int ifindex, uint32_t addr)
{
	uint8_t k[16] = { 0 };
	k[12] = (uint8_t)(addr >> 24);
	k[13] = (uint8_t)(addr >> 16);
	k[14] = (uint8_t)(addr >> 8);
	k[15] = (uint8_t)addr;
	return hash_addr(s, k, (uint32_t)ifindex) % ARP_BUCKETS;
}

static struct arp_entry *find(struct umk_stack *s, int ifindex, uint32_t addr)
{
	for (struct arp_entry *e = s->ip4->arp[bucket(s, ifindex, addr)]; e; e = e->next)
		if (e->ifindex == ifindex && e->addr == addr)
			return e;
	return NULL;
}

static void entry_delete(struct umk_stack *s, struct arp_entry *e)
{
	struct arp_entry **pp = &s->ip4->arp[bucket(s, e->ifindex, e->addr)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	timer_cancel(s, &e->timer);
	pkt_free_chain(s, e->q_head);
	s->ip4->arp_count--;
	free(e);
}

static void arp_timer(struct umk_stack *s, struct umk_timer *t);

static struct arp_entry *entry_create(struct umk_stack *s, int ifindex, uint32_t addr)
{
	if (s->ip4->arp_count >= s->limits.arp_max_entries) {
		COUNT(s, ARP_CACHE_FULL);
		return NULL;
	}
	struct arp_entry *e = calloc(1, sizeof(*e));
	if (!e) {
		COUNT(s, ARP_CACHE_FULL);
		return NULL;
	}
	e->ifindex = ifindex;
	e->addr = addr;
	e->state = ARP_INCOMPLETE;
	timer_init(&e->timer, arp_timer);
	uint32_t b = bucket(s, ifindex, addr);
	e->next = s->ip4->arp[b];
	s->ip4->arp[b] = e;
	s->ip4->arp_count++;
	COUNT(s, ARP_ENTRIES_CREATED);
	return e;
}

/* Sends an ARP packet out of ifp. Returns 0 or a negative errno. */
static int arp_send(struct umk_stack *s, struct umk_if *ifp, const struct arp_pkt *a,
		    const uint8_t dst[6])
{
	struct umk_pkt *pkt = pkt_alloc(s, ARP_LEN, PKT_HEADROOM);
	if (!pkt) {
		COUNT(s, IP4_DROP_NO_POOL);
		return -ENOBUFS;
	}
	arp_emit(pkt_put(pkt, ARP_LEN), a);
	return eth_output_type(s, ifp, pkt, dst, ETH_TYPE_ARP);
}

static void send_request(struct umk_stack *s, struct arp_entry *e, const uint8_t *unicast)
{
	struct umk_if *ifp = if_get(s, e->ifindex);
	struct arp_pkt a = { .op = ARP_OP_REQUEST, .tpa = e->addr };
	if (!ifp || !ip4_addr_source(s, ifp, e->addr, &a.spa))
		return;
	memcpy(a.sha, ifp->lladdr, 6);
	COUNT(s, ARP_OUT_REQUESTS);
	arp_send(s, ifp, &a, unicast ? unicast : bcast_mac);
}

static void flush_queue(struct umk_stack *s, struct arp_entry *e)
{
	struct umk_if *ifp = if_get(s, e->ifindex);
	struct umk_pkt *q = e->q_head;
	e->q_head = e->q_tail = NULL;
	e->q_len = 0;
	uint8_t ll[6];
	memcpy(ll, e->lladdr, 6);     /* e may not survive eth_output */
	while (q) {
		struct umk_pkt *p = q;
		q = q->next;
		p->next = NULL;
		if (ifp && eth_output_type(s, ifp, p, ll, ETH_TYPE_IPV4) == 0)
			COUNT(s, IP4_OUT_TRANSMITS);
		else if (!ifp)
			pkt_free(s, p);
	}
}

static void arp_timer(struct umk_stack *s, struct umk_timer *t)
{
	struct arp_entry *e = container_of(t, struct arp_entry, timer);
	if (e->state == ARP_REACHABLE) {
		/* unused since it was confirmed: keep the address, check before next use */
		e->state = ARP_STALE;
		return;
	}
	if (e->probes >= s->limits.arp_max_probes) {
		if (e->state == ARP_INCOMPLETE)
			COUNT_ADD(s, ARP_RESOLVE_FAILED, e->q_len);
		COUNT(s, ARP_ENTRIES_EXPIRED);
		entry_delete(s, e);
		return;
	}
	e->probes++;
	send_request(s, e, e->state == ARP_PROBE ? e->lladdr : NULL);
	timer_arm_in(s, t, s->limits.arp_retrans_time);
}

/* The neighbour told us its address (a reply, or a request naming us). */
static void learn(struct umk_stack *s, struct arp_entry *e, const uint8_t sha[6])
{
	memcpy(e->lladdr, sha, 6);
	e->state = ARP_REACHABLE;
	e->probes = 0;
	e->confirmed = s->now;
	timer_arm_in(s, &e->timer, s->limits.arp_timeout);
	if (e->q_head)
		flush_queue(s, e);
}

int arp_output(struct umk_stack *s, struct umk_if *ifp, uint32_t nexthop, struct umk_pkt *pkt)
{
	struct arp_entry *e = find(s, ifp->index, nexthop);
	if (e && e->state != ARP_INCOMPLETE) {
		if (e->state == ARP_STALE) {
			/* RFC 1122 2.3.2.1 (2): revalidate an old entry by unicast while using it */
			e->state = ARP_PROBE;
			e->probes = 1;
			send_request(s, e, e->lladdr);
			timer_arm_in(s, &e->timer, s->limits.arp_retrans_time);
		}
		int r = eth_output_type(s, ifp, pkt, e->lladdr, ETH_TYPE_IPV4);
		if (r == 0)
			COUNT(s, IP4_OUT_TRANSMITS);
		return r;
	}
	if (!e) {
		e = entry_create(s, ifp->index, nexthop);
		if (!e) {
			pkt_free(s, pkt);
			return -ENOBUFS;
		}
		e->probes = 1;
		send_request(s, e, NULL);
		timer_arm_in(s, &e->timer, s->limits.arp_retrans_time);
	}
	/* RFC 1122 2.3.2.2: queue at least one packet while resolving; we keep a few and
	 * drop the oldest past the limit */
	if (e->q_len >= s->limits.arp_max_queue) {
		struct umk_pkt *old = e->q_head;
		e->q_head = old->next;
		if (!e->q_head)
			e->q_tail = NULL;
		e->q_len--;
		pkt_free(s, old);
		COUNT(s, ARP_QUEUE_FULL);
	}
	pkt->next = NULL;
	if (e->q_tail)
		e->q_tail->next = pkt;
	else
		e->q_head = pkt;
	e->q_tail = pkt;
	e->q_len++;
	return 0;
}

void arp_input(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt)
{
	struct arp_pkt a;
	COUNT(s, ARP_IN_PKTS);
	switch (arp_parse(pkt->data, pkt->len, &a)) {
	case 0:
		break;
	case ARP_ERR_SHORT:
		COUNT(s, ARP_DROP_SHORT);
		goto out;
	case ARP_ERR_FORMAT:
		COUNT(s, ARP_DROP_FORMAT);
		goto out;
	default:
		COUNT(s, ARP_DROP_OP);
		goto out;
	}
	if (a.op == ARP_OP_REQUEST)
		COUNT(s, ARP_IN_REQUESTS);
	else
		COUNT(s, ARP_IN_REPLIES);
	/* a sender claiming a multicast/broadcast MAC, or one of our own addresses, would
	 * poison the cache */
	if (eth_is_mcast(a.sha) || memcmp(a.sha, ifp->lladdr, 6) == 0 ||
	    (a.spa && ip4_addr_owner(s, a.spa) == ifp)) {
		COUNT(s, ARP_DROP_BAD_SENDER);
		goto out;
	}
	bool for_us = ip4_addr_owner(s, a.tpa) == ifp;
	/* RFC 826 "Packet Reception": update an existing entry for the sender (merge_flag);
	 * a probe's sender 0.0.0.0 (RFC 5227) is not learned */
	struct arp_entry *e = a.spa ? find(s, ifp->index, a.spa) : NULL;
	if (e)
		learn(s, e, a.sha);
	if (!for_us) {
		COUNT(s, ARP_DROP_NOT_FOR_US);
		goto out;
	}
	/* "If the merge_flag is false, add the triplet": we are the target, so we will
	 * most likely talk back */
	if (!e && a.spa && (e = entry_create(s, ifp->index, a.spa)))
		learn(s, e, a.sha);
	if (a.op == ARP_OP_REQUEST) {
		/* "swap hardware and protocol fields, putting the local addresses in the
		 * sender fields; set ar$op to ares_op$REPLY; send it to the requester" */
		struct arp_pkt r = { .op = ARP_OP_REPLY, .spa = a.tpa, .tpa = a.spa };
		memcpy(r.sha, ifp->lladdr, 6);
		memcpy(r.tha, a.sha, 6);
		COUNT(s, ARP_OUT_REPLIES);
		arp_send(s, ifp, &r, a.sha);
	}
out:
	pkt_free(s, pkt);
}

void arp_if_flush(struct umk_stack *s, int ifindex)
{
	for (unsigned b = 0; b < ARP_BUCKETS; b++)
		for (struct arp_entry *e = s->ip4->arp[b], *n; e; e = n) {
			n = e->next;
			if (!ifindex || e->ifindex == ifindex)
				entry_delete(s, e);
		}
}

void arp_fini(struct umk_stack *s) { arp_if_flush(s, 0); }

int umk_arp_list(struct umk_stack *s, int (*cb)(void *ctx, const struct umk_arp_info *),
		 void *ctx)
{
	static const uint8_t nud[] = { [ARP_INCOMPLETE] = UMK_NUD_INCOMPLETE,
				       [ARP_REACHABLE] = UMK_NUD_REACHABLE,
				       [ARP_STALE] = UMK_NUD_STALE, [ARP_PROBE] = UMK_NUD_PROBE };
	if (!s->ip4)
		return -EOPNOTSUPP;   /* a umk_stack_open() handle */
	for (unsigned b = 0; b < ARP_BUCKETS; b++)
		for (const struct arp_entry *e = s->ip4->arp[b]; e; e = e->next) {
			struct umk_arp_info ai = { .ifindex = e->ifindex, .state = nud[e->state],
						   .has_lladdr = e->state != ARP_INCOMPLETE };
			ai.addr.s_addr = htonl(e->addr);
			memcpy(ai.lladdr, e->lladdr, 6);
			int r = cb(ctx, &ai);
			if (r)
				return r;
		}
	return 0;
}
