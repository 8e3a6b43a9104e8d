/*
 * link/eth.c - Ethernet in and out (RFC 2464): destination filtering, IPv6, IPv4 and ARP
 * dispatch (RFC 894: EtherType 0x0800 and 0x0806), the
 * header pushed on the way out, and the multicast MAC mapping. Wire format: wire/eth.c;
 * above: ip6/input.c, below: the driver's transmit callback.
 */
#include <errno.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip4/ip4.h"
#include "ip6/gso.h"
#include "ip6/ip6.h"
#include "link/eth.h"
#include "wire/eth.h"

void eth_input(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt)
{
	struct eth_hdr h;

	COUNT(s, ETH_IN_FRAMES);
	if (eth_hdr_parse(pkt->data, pkt->len, &h)) {
		COUNT(s, ETH_IN_DROP_SHORT);
		goto drop;
	}
	if (memcmp(h.dst, ifp->lladdr, ETH_ALEN) == 0) {
		/* unicast to us */
	} else if (eth_is_bcast(h.dst)) {
		COUNT(s, ETH_IN_BCAST);
		pkt->flags |= PKT_F_BCAST;
	} else if (h.dst[0] == 0x33 && h.dst[1] == 0x33) {
		/* RFC 2464 7: IPv6 multicast; ip6_input checks the group itself */
		COUNT(s, ETH_IN_MCAST);
		pkt->flags |= PKT_F_MCAST;
	} else {
		COUNT(s, ETH_IN_DROP_NOT_OURS);
		goto drop;
	}

	switch (h.type) {
	case ETH_TYPE_IPV6:
		pkt_pull(pkt, ETH_HDR_LEN);
		ip6_input(s, ifp, pkt);
		return;
	case ETH_TYPE_ARP:
		pkt_pull(pkt, ETH_HDR_LEN);
		arp_input(s, ifp, pkt);
		return;
	case ETH_TYPE_IPV4:
		/* offloads are for IPv6 TCP (TUN_F_TSO6): an IPv4 checksum left open is finished
		 * here, an IPv4 super-segment is not ours to cut */
		if (pkt->gso_size) {
			COUNT(s, ETH_IN_DROP_OFFLOAD);
			goto drop;
		}
		if ((pkt->flags & PKT_F_CSUM_PARTIAL) && gso_csum_finish(s, pkt))
			goto drop;
		pkt_pull(pkt, ETH_HDR_LEN);
		ip4_input(s, ifp, pkt);
		return;
	default:
		COUNT(s, ETH_IN_DROP_UNKNOWN_TYPE);
		LOG_DEBUG(s, "%s: ethertype 0x%04x dropped", ifp->name, h.type);
		break;
	}
drop:
	pkt_free(s, pkt);
}

/* A frame with offload work left (pkt.h): told to a driver that said it does it. */
static int transmit_offload(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt)
{
	struct umk_frame_offload off = { 0 };
	uint32_t at = pkt_off(pkt);

	if (!ifp->ops->transmit_offload || pkt->csum_start < at ||
	    pkt->csum_start - at + 13u > pkt->len ||
	    (pkt->gso_size && !(ifp->offloads & UMK_OFFLOAD_TSO6))) {
		/* ip6/output.c sends these only where the interface said it can */
		COUNT(s, ETH_OUT_DROP_OFFLOAD);
		return -EINVAL;
	}
	off.flags = UMK_FRAME_CSUM_PARTIAL;
	off.csum_start = (uint16_t)(pkt->csum_start - at);
	off.csum_offset = pkt->csum_offset;
	if (pkt->gso_size) {
		/* the TCP header's Data Offset (RFC 9293 3.1) ends the headers */
		off.gso_size = pkt->gso_size;
		off.hdr_len = (uint16_t)(off.csum_start + (pkt->data[off.csum_start + 12] >> 4) * 4);
	}
	return ifp->ops->transmit_offload(ifp->ctx, pkt->data, pkt->len, &off);
}

int eth_output(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt,
	       const uint8_t dst[6])
{
	return eth_output_type(s, ifp, pkt, dst, ETH_TYPE_IPV6);
}

int eth_output_type(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt,
		    const uint8_t dst[6], uint16_t type)
{
	int r;

	if (!(ifp->flags & UMK_IF_UP)) {
		COUNT(s, ETH_OUT_DROP_DOWN);
		r = -ENETDOWN;
		goto out;
	}
	/* a super-segment meets the MTU segment by segment (checked by ip6/output.c) */
	if (pkt->len > ifp->device_mtu && !pkt->gso_size) {
		/* a bug above us: the datapath fragments to the path MTU */
		COUNT(s, ETH_OUT_DROP_TOO_BIG);
		LOG_WARN(s, "%s: %u-byte packet over MTU %u", ifp->name, pkt->len,
			 ifp->device_mtu);
		r = -EMSGSIZE;
		goto out;
	}
	uint8_t *p = pkt_push(pkt, ETH_HDR_LEN);
	if (!p) {
		COUNT(s, ETH_OUT_DROP_NO_HEADROOM);
		r = -ENOBUFS;
		goto out;
	}
	struct eth_hdr h = { .type = type };
	memcpy(h.dst, dst, ETH_ALEN);
	memcpy(h.src, ifp->lladdr, ETH_ALEN);
	eth_hdr_emit(p, &h);
	if (pkt->gso_size || (pkt->flags & PKT_F_CSUM_PARTIAL))
		r = transmit_offload(s, ifp, pkt);
	else
		r = ifp->ops->transmit(ifp->ctx, pkt->data, pkt->len);
	if (r < 0)
		COUNT(s, ETH_OUT_ERRORS);
	else
		COUNT(s, ETH_OUT_FRAMES);
out:
	pkt_free(s, pkt);
	return r < 0 ? r : 0;
}

void eth_mcast_mac(const struct in6_addr *group, uint8_t mac[6])
{
	/* RFC 2464 7: 33:33 followed by the last four octets of the group */
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, group->s6_addr + 12, 4);
}
