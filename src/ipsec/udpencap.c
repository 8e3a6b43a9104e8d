/*
 * udpencap.c - RFC 3948 UDP encapsulation of ESP, over IPv6 outer headers. An SA with
 * encapsulation (PF_KEY SADB_X_EXT_NAT_T_TYPE/SPORT/DPORT, pfkey.c) sends its ESP packets
 * inside UDP between its two ports (3.1); the UDP checksum is computed, because over IPv6
 * it is mandatory (RFC 8200 8.1; RFC 3948 3.1.1's zero checksum is for IPv4, and RFC
 * 6935/6936's zero-checksum tunnels do not cover ESP).
 * Input (3.2): a datagram to an encapsulation port (the destination port of one of our
 * SAs, from that SA's peer) is, by its first bytes (2.1-2.3, wire/udpencap.c), either
 *   - ESP: the UDP header is removed, the IPv6 next header becomes ESP, and the packet
 *     goes through ip6_input again, so ESP input, the SPD check and delivery run as for
 *     ESP that came without UDP;
 *   - IKE (the non-ESP marker): left to udp6_input, which hands it to the socket bound
 *     to the port, marker included, so an IKE daemon shares port 4500 through the
 *     ordinary socket API as on Linux and the BSDs;
 *   - a NAT-keepalive: consumed and counted (2.3).
 * A peer seen from a new source port (a NAT rebinding) is counted and accepted, as the
 * SPI already names the SA, and told once to the key daemons (SADB_X_NAT_T_NEW_MAPPING). Neighbours: transport/udp.c (the hook), datapath.c (SPD
 * exemption, output), esp.c.
 */
#include <errno.h>
#include <string.h>

#include "ip6/ip6.h"
#include "ipsec/ipsec_int.h"
#include "ipsec/udpencap.h"
#include "wire/checksum.h"
#include "wire/ip6_const.h"
#include "wire/udp.h"
#include "wire/udpencap.h"

#define UDPENCAP_MAX_DEPTH 3          /* as datapath.c's tunnel nesting */

int udpencap_sa_check(const struct ipsec_sa *sa)
{
	if (!sa->encap_type)
		return 0;
	/* only RFC 3948's format; the pre-RFC 8-byte-marker one is long gone */
	if (sa->encap_type != UDPENCAP_TYPE_ESPINUDP || sa->proto != IPPROTO6_ESP)
		return -EINVAL;
	if (!sa->encap_sport || !sa->encap_dport)
		return -EINVAL;
	return 0;
}

/* Could dport be an encapsulation port? A few compares against the ports of the
 * encapsulating SAs, rebuilt from the SAD only when an SA came, went or changed, so
 * ordinary UDP pays no walk over the SAD. */
static bool maybe_encap_port(struct ipsec_state *st, uint16_t dport)
{
	if (!st->encap_ports_valid || st->encap_ports_gen != st->sa_gen) {
		st->n_encap_ports = 0;
		st->encap_ports_all = false;
		for (const struct ipsec_sa *sa = st->sas; sa; sa = sa->next) {
			if (!sa->encap_type)
				continue;
			int i = 0;
			while (i < st->n_encap_ports && st->encap_ports[i] != sa->encap_dport)
				i++;
			if (i < st->n_encap_ports)
				continue;
			if (st->n_encap_ports == sizeof(st->encap_ports) / sizeof(st->encap_ports[0])) {
				st->encap_ports_all = true;
				break;
			}
			st->encap_ports[st->n_encap_ports++] = sa->encap_dport;
		}
		st->encap_ports_gen = st->sa_gen;
		st->encap_ports_valid = true;
	}
	if (st->encap_ports_all)
		return true;
	for (int i = 0; i < st->n_encap_ports; i++)
		if (st->encap_ports[i] == dport)
			return true;
	return false;
}

/* Is (src, dst, dport) the peer and port of one of our encapsulating SAs? */
static bool encap_port(const struct umk_stack *s, const struct in6_addr *src,
		       const struct in6_addr *dst, uint16_t dport)
{
	if (!maybe_encap_port(s->ipsec, dport))
		return false;
	for (const struct ipsec_sa *sa = s->ipsec->sas; sa; sa = sa->next)
		if (sa->encap_type && sa->encap_dport == dport &&
		    IN6_ARE_ADDR_EQUAL(&sa->dst, dst) && IN6_ARE_ADDR_EQUAL(&sa->src, src))
			return true;
	return false;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The encapsulating SA an ESP-in-UDP datagram names, found by SPI (RFC 4303 3.4.2). */
static struct ipsec_sa *esp_sa(struct umk_stack *s, const struct ip6_rx *rx,
			       const uint8_t *esp)
{
	return sad_lookup(s, be32(esp), &rx->dst, IPPROTO6_ESP);
}

/* What the hook does with a datagram; the SPD exemption asks the same question, so the
 * two never disagree (a datagram the SPD skipped is never delivered to a socket). */
enum verdict {
	PASS,                         /* ordinary UDP, or IKE behind the non-ESP marker */
	IKE,                          /* IKE to an encapsulation port: PASS, counted */
	TAKE_ESP,
	TAKE_KEEPALIVE,
	DROP_SHORT,
	DROP_NOT_ENCAP,
};

static enum verdict judge(struct umk_stack *s, const struct ip6_rx *rx, uint16_t dport,
			  const uint8_t *p, uint32_t n, struct ipsec_sa **sap)
{
	enum udpencap_kind k = udpencap_classify(p, n);
	*sap = NULL;
	if (k == UDPENCAP_ESP) {
		struct ipsec_sa *sa = esp_sa(s, rx, p);
		if (sa && sa->encap_type && sa->encap_dport == dport &&
		    IN6_ARE_ADDR_EQUAL(&sa->src, &rx->src)) {
			*sap = sa;
			return TAKE_ESP;
		}
		if (!encap_port(s, &rx->src, &rx->dst, dport))
			return PASS;          /* ordinary UDP that happens to look like ESP */
		/* an SA keyed for plain ESP: its peer does not encapsulate */
		if (sa && !sa->encap_type)
			return DROP_NOT_ENCAP;
		return TAKE_ESP;              /* unknown SPI: ESP input counts it (RFC 4303 3.4.2) */
	}
	if (!encap_port(s, &rx->src, &rx->dst, dport))
		return PASS;
	switch (k) {
	case UDPENCAP_IKE: return IKE;
	case UDPENCAP_KEEPALIVE_PKT: return TAKE_KEEPALIVE;
	default: return DROP_SHORT;
	}
}

bool udpencap_spd_exempt(struct umk_stack *s, const struct umk_pkt *pkt,
			 const struct ip6_rx *rx)
{
	struct udp_hdr_info u;
	struct ipsec_sa *sa;
	if (!s->ipsec->n_encap || rx->nxt != IPPROTO6_UDP || (rx->flags & IP6_RX_DST_MCAST) ||
	    udp_parse(pkt->data, pkt->len, &u) != UDP_OK)
		return false;
	/* IKE is ordinary UDP to the SPD */
	enum verdict v = judge(s, rx, u.dport, u.payload, u.payload_len, &sa);
	return v != PASS && v != IKE;
}

/* Removes the UDP header at pkt->data: the IPv6 header and the extension headers before
 * it slide forward, the byte that said UDP now says ESP, Payload Length shrinks by 8.
 * pkt->data ends at the IPv6 header. */
static void strip_udp(struct umk_pkt *pkt, const struct ip6_rx *rx)
{
	uint32_t hoff = pkt_off(pkt) - pkt->net_off;
	uint32_t nxt_off = rx->nxt_off - pkt->net_off;
	pkt_push(pkt, hoff);
	/* as ESP/AH transport input removes its header (datapath.c) */
	ipsec_strip(pkt, hoff, UDP_HLEN, pkt->len - hoff - UDP_HLEN, nxt_off, IPPROTO6_ESP);
}

bool udpencap_input(struct umk_stack *s, struct umk_pkt *pkt, const struct ip6_rx *rx,
		    const struct udp_hdr_info *u)
{
	struct ipsec_state *st = s->ipsec;
	struct ipsec_sa *sa;
	if (!st || !st->n_encap || (rx->flags & IP6_RX_DST_MCAST))
		return false;
	switch (judge(s, rx, u->dport, pkt->data + UDP_HLEN, pkt->len - UDP_HLEN, &sa)) {
	case PASS:
		return false;
	case IKE:
		COUNT(s, UDPENCAP_IN_IKE);
		return false;
	case TAKE_KEEPALIVE:
		COUNT(s, UDPENCAP_IN_KEEPALIVE);
		pkt_free(s, pkt);
		return true;
	case DROP_SHORT:
		ipsec_drop(s, pkt, CNT_UDPENCAP_DROP_SHORT);
		return true;
	case DROP_NOT_ENCAP:
		ipsec_drop(s, pkt, CNT_UDPENCAP_DROP_NOT_ENCAP);
		return true;
	case TAKE_ESP:
		break;
	}
	if (sa && sa->encap_sport != u->sport) {
		COUNT(s, UDPENCAP_IN_PORT_CHANGED);
		/* once per new port: the key daemon updates the SA (or not) */
		if (sa->natt_new_sport != u->sport) {
			sa->natt_new_sport = u->sport;
			pfkey_send_new_mapping(s, sa, &rx->src, u->sport);
		}
	}
	if (st->decap_depth >= UDPENCAP_MAX_DEPTH) {
		ipsec_drop(s, pkt, CNT_UDPENCAP_DROP_NESTED);
		return true;
	}
	COUNT(s, UDPENCAP_IN_ESP);
	strip_udp(pkt, rx);
	/* RFC 3948 3.2: from here the packet is ESP as if it came without UDP */
	st->decap_depth++;
	ip6_input(s, rx->ifp, pkt);
	st->decap_depth--;
	return true;
}

int udpencap_output(struct umk_stack *s, const struct ipsec_sa *sa, struct umk_pkt *pkt,
		    uint8_t *nxt, const struct in6_addr *src, const struct in6_addr *dst)
{
	uint8_t *h = pkt_push(pkt, UDP_HLEN);
	if (!h || pkt->len > UDP_HLEN + UDP_MAX_PAYLOAD) {
		COUNT(s, UDPENCAP_DROP_NOBUFS);
		pkt_free(s, pkt);
		return -ENOBUFS;
	}
	udp_emit(h, sa->encap_sport, sa->encap_dport, (uint16_t)pkt->len);
	uint16_t c = csum_ip6(src, dst, IPPROTO6_UDP, h, pkt->len);
	if (c == 0)
		c = 0xffff;               /* RFC 768: a computed 0 is sent as all ones */
	h[UDP_OFF_CSUM] = (uint8_t)(c >> 8);
	h[UDP_OFF_CSUM + 1] = (uint8_t)c;
	*nxt = IPPROTO6_UDP;
	COUNT(s, UDPENCAP_OUT_PKTS);
	return 0;
}
