/*
 * frag6.c - fragmentation (RFC 8200 4.5) of what we send, and reassembly of what we
 * receive with the later hardening: overlapping fragments abandon the datagram (RFC 5722),
 * atomic fragments are processed alone (RFC 6946), a first fragment must hold the whole
 * header chain (RFC 7112), the multiple-of-8 and 65535 rules, a 60-second timeout with
 * Time Exceeded code 1, and bounded queues and memory (s->limits).
 *
 * A queued fragment keeps its own packet buffer: net_off at its IPv6 header, data at the
 * fragment's data (so the Fragment header sits just before data). Nothing else is stored
 * per fragment. Callers: ip6/input.c (frag6_input) and ip6/output.c (frag6_output).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/frag6.h"
#include "ip6/ip6.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"

struct frag6_queue {
	struct frag6_queue *next;
	struct in6_addr src, dst;     /* RFC 8200 4.5: the key is (src, dst, Identification) */
	uint32_t id;
	int ifindex;                  /* and the zone the fragments came from */
	struct umk_pkt *frags;        /* sorted by offset */
	uint32_t total;               /* length of the fragmentable part, once the last is in */
	bool have_last;
	bool dead;                    /* overlap seen: drop the rest until the timer fires */
	uint8_t first_nxt;            /* from the first fragment's Fragment header */
	uint32_t first_nxt_off;       /* where that Fragment header was named */
	uint32_t bytes;               /* buffer bytes held */
	struct umk_stack *s;
	struct umk_timer timer;
};

struct frag6_state {
	struct frag6_queue *queues;
	uint32_t n_queues;
	uint32_t bytes;
};

int frag6_init(struct umk_stack *s)
{
	s->frag6 = calloc(1, sizeof(*s->frag6));
	return s->frag6 ? 0 : -ENOMEM;
}

/* ---- one fragment's geometry, from its buffer ---- */

static uint32_t frag_start(struct umk_pkt *f)
{
	struct ip6_fraghdr fh;
	ip6_fraghdr_parse(f->data - IP6_FRAGHDR_LEN, IP6_FRAGHDR_LEN, &fh);
	return fh.offset;
}

static uint32_t frag_end(struct umk_pkt *f) { return frag_start(f) + f->len; }

/* Puts data back at the IPv6 header: the whole fragment packet, as received. */
static void frag_rewind(struct umk_pkt *f)
{
	pkt_push(f, pkt_off(f) - f->net_off);
}

/* ---- queues ---- */

static void drop_frags(struct umk_stack *s, struct frag6_queue *q)
{
	pkt_free_chain(s, q->frags);
	q->frags = NULL;
	s->frag6->bytes -= q->bytes;
	q->bytes = 0;
}

static void queue_free(struct umk_stack *s, struct frag6_queue *q)
{
	struct frag6_state *st = s->frag6;

	for (struct frag6_queue **pp = &st->queues; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	st->n_queues--;
	timer_cancel(s, &q->timer);
	drop_frags(s, q);
	free(q);
}

/* RFC 5722: abandon the whole datagram; the queue stays (empty, dead) until its timer so
 * that later fragments of the same datagram are dropped too. */
static void queue_kill(struct umk_stack *s, struct frag6_queue *q)
{
	COUNT(s, IP6_REASM_FAILS);
	drop_frags(s, q);
	q->dead = true;
}

static void reasm_timeout(struct umk_stack *s, struct umk_timer *t)
{
	struct frag6_queue *q = container_of(t, struct frag6_queue, timer);
	struct umk_pkt *first = NULL;

	if (!q->dead) {
		COUNT(s, IP6_REASM_TIMEOUT);
		COUNT(s, IP6_REASM_FAILS);
		/* RFC 8200 4.5: Time Exceeded code 1 only if the first fragment arrived */
		if (q->frags && frag_start(q->frags) == 0) {
			first = q->frags;
			q->frags = first->next;
			first->next = NULL;
			s->frag6->bytes -= first->cap;
			q->bytes -= first->cap;
		}
	}
	queue_free(s, q);
	if (first) {
		frag_rewind(first);
		icmp6_error(s, first, ICMP6_TIME_EXCEEDED, ICMP6_TE_REASM, 0);
	}
}

static struct frag6_queue *queue_get(struct umk_stack *s, const struct ip6_hdr_info *h,
				     uint32_t id, int ifindex)
{
	struct frag6_state *st = s->frag6;

	for (struct frag6_queue *q = st->queues; q; q = q->next)
		if (q->id == id && q->ifindex == ifindex && IN6_ARE_ADDR_EQUAL(&q->src, &h->src) &&
		    IN6_ARE_ADDR_EQUAL(&q->dst, &h->dst))
			return q;
	if (st->n_queues >= s->limits.max_reasm_queues) {
		COUNT(s, IP6_REASM_QUEUES_FULL);
		return NULL;
	}
	struct frag6_queue *q = calloc(1, sizeof(*q));
	if (!q) {
		COUNT(s, IP6_REASM_QUEUES_FULL);
		return NULL;
	}
	q->src = h->src;
	q->dst = h->dst;
	q->id = id;
	q->ifindex = ifindex;
	q->s = s;
	timer_init(&q->timer, reasm_timeout);
	timer_arm_in(s, &q->timer, s->limits.reasm_timeout);
	q->next = st->queues;
	st->queues = q;
	st->n_queues++;
	return q;
}

void frag6_if_detach(struct umk_stack *s, int ifindex)
{
	struct frag6_queue *q = s->frag6 ? s->frag6->queues : NULL;
	while (q) {
		struct frag6_queue *n = q->next;
		if (q->ifindex == ifindex)
			queue_free(s, q);
		q = n;
	}
}

void frag6_fini(struct umk_stack *s)
{
	if (!s->frag6)
		return;
	while (s->frag6->queues)
		queue_free(s, s->frag6->queues);
	free(s->frag6);
	s->frag6 = NULL;
}

/* ---- input ---- */

/* RFC 7112 / RFC 8200 4.5: the bytes of an upper-layer header that must be in the first
 * fragment (its fixed part; unknown protocols need only the chain). */
static uint32_t upper_hdr_len(uint8_t nxt)
{
	switch (nxt) {
	case IPPROTO6_TCP: return 20;
	case IPPROTO6_UDP: return 8;
	case IPPROTO6_ICMPV6: return ICMP6_HLEN;
	default: return 0;
	}
}

static bool chain_complete(const uint8_t *ip, uint32_t len, uint8_t nxt, uint32_t off,
			   uint32_t nxt_off)
{
	struct ip6_chain c;
	if (ip6_chain_walk(ip, len, nxt, off, nxt_off, &c) || c.frag_nonfirst)
		return false;
	if (c.nxt == IPPROTO6_NONE)
		return true;
	return c.off + upper_hdr_len(c.nxt) <= len;
}

static bool same_bytes(struct umk_pkt *a, struct umk_pkt *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static struct umk_pkt *reassemble(struct umk_stack *s, struct frag6_queue *q,
				  struct frag6_resume *r)
{
	struct umk_pkt *first = q->frags;
	uint32_t unfrag = (uint32_t)(first->data - IP6_FRAGHDR_LEN - pkt_net(first));

	if (unfrag - IP6_HLEN + q->total > IP6_MAX_PAYLOAD) {
		COUNT(s, IP6_REASM_TOO_LONG);
		queue_kill(s, q);
		return NULL;
	}
	struct umk_pkt *big = pkt_alloc(s, unfrag + q->total, PKT_HEADROOM);
	if (!big) {
		COUNT(s, IP6_REASM_NOBUFS);
		queue_kill(s, q);
		return NULL;
	}
	uint8_t *p = pkt_put(big, unfrag + q->total);
	memcpy(p, pkt_net(first), unfrag);
	/* RFC 8200 4.5: the Next Header that named the Fragment header now names what the
	 * first fragment's Fragment header named; Payload Length covers the whole datagram */
	p[q->first_nxt_off] = q->first_nxt;
	uint32_t plen = unfrag - IP6_HLEN + q->total;
	p[IP6_OFF_PLEN] = (uint8_t)(plen >> 8);
	p[IP6_OFF_PLEN + 1] = (uint8_t)plen;
	for (struct umk_pkt *f = q->frags; f; f = f->next)
		memcpy(p + unfrag + frag_start(f), f->data, f->len);
	big->net_off = pkt_off(big);
	big->ifindex = first->ifindex;
	/* what a driver said of the first fragment's checksum is no word about the datagram */
	big->flags = first->flags & (uint8_t)~PKT_F_OFFLOAD;
	r->off = unfrag;
	r->nxt = q->first_nxt;
	r->nxt_off = q->first_nxt_off;
	r->reassembled = true;
	COUNT(s, IP6_REASM_OKS);
	queue_free(s, q);
	return big;
}

struct umk_pkt *frag6_input(struct umk_stack *s, struct umk_pkt *pkt, uint32_t frag_off,
			    uint32_t nxt_off, struct frag6_resume *r)
{
	struct ip6_hdr_info h;
	struct ip6_fraghdr fh;
	uint8_t *ip = pkt->data;

	ip6_hdr_parse(ip, pkt->len, &h); /* checked by ip6_input */
	if (ip6_fraghdr_parse(ip + frag_off, pkt->len - frag_off, &fh)) {
		COUNT(s, IP6_DROP_EXT_TRUNCATED);
		COUNT(s, IP6_IN_TRUNCATED);
		goto drop;
	}
	uint32_t data_off = frag_off + IP6_FRAGHDR_LEN;
	uint32_t dlen = pkt->len - data_off;

	if (fh.offset == 0 && !fh.more) {
		/* RFC 6946: an atomic fragment is a whole packet; never touch the queues */
		COUNT(s, IP6_REASM_ATOMIC);
		r->off = data_off;
		r->nxt = fh.nxt;
		r->nxt_off = frag_off;
		r->reassembled = false;
		return pkt;
	}
	COUNT(s, IP6_REASM_REQDS);
	if (fh.more && dlen % 8) {
		/* RFC 8200 4.5: Parameter Problem code 0 at the Payload Length field */
		COUNT(s, IP6_REASM_BAD_LEN8);
		icmp6_error(s, pkt, ICMP6_PARAM_PROB, ICMP6_PP_HEADER, IP6_OFF_PLEN);
		return NULL;
	}
	if (frag_off - IP6_HLEN + fh.offset + dlen > IP6_MAX_PAYLOAD) {
		/* RFC 8200 4.5: Parameter Problem code 0 at the Fragment Offset field */
		COUNT(s, IP6_REASM_TOO_LONG);
		icmp6_error(s, pkt, ICMP6_PARAM_PROB, ICMP6_PP_HEADER,
			    frag_off + IP6_OFF_FRAG_OFFSET);
		return NULL;
	}
	if (dlen == 0) {
		COUNT(s, IP6_REASM_EMPTY_FRAG);
		goto drop;
	}
	if (fh.offset == 0 && !chain_complete(ip, pkt->len, fh.nxt, data_off, frag_off)) {
		/* RFC 7112 5 / RFC 8200 4.5: Parameter Problem code 3, pointer 0 */
		COUNT(s, IP6_REASM_INCOMPLETE_CHAIN);
		icmp6_error(s, pkt, ICMP6_PARAM_PROB, ICMP6_PP_INCOMPLETE_CHAIN, 0);
		return NULL;
	}

	struct frag6_queue *q = queue_get(s, &h, fh.id, pkt->ifindex);
	if (!q)
		goto fail;
	if (q->dead) {
		COUNT(s, IP6_REASM_DEAD_QUEUE);
		goto drop;
	}
	if (s->frag6->bytes + pkt->cap > s->limits.max_reasm_bytes) {
		COUNT(s, IP6_REASM_MEM_FULL);
		goto fail;
	}

	uint32_t start = fh.offset, end = fh.offset + dlen;
	if ((!fh.more && q->have_last && q->total != end) ||
	    (fh.more && q->have_last && end > q->total)) {
		COUNT(s, IP6_REASM_INCONSISTENT);
		queue_kill(s, q);
		goto drop;
	}
	/* the fragment is now data at the fragment's bytes; net_off at its IPv6 header */
	pkt->net_off = pkt_off(pkt);
	pkt_pull(pkt, data_off);

	struct umk_pkt **pp = &q->frags;
	for (struct umk_pkt *f = q->frags; f; f = f->next) {
		uint32_t fs = frag_start(f), fe = frag_end(f);
		if (start < fe && fs < end) {
			if (fs == start && fe == end && same_bytes(f, pkt)) {
				/* RFC 8200 4.5: an exact duplicate may be dropped alone */
				COUNT(s, IP6_REASM_DUPLICATES);
				goto drop;
			}
			/* RFC 5722 */
			char a[ADDRSTRLEN];
			LOG_INFO(s, "overlapping fragment from %s id 0x%08x [%u,%u) vs [%u,%u)",
				 addr_str(&h.src, a), fh.id, start, end, fs, fe);
			COUNT(s, IP6_REASM_OVERLAPS);
			queue_kill(s, q);
			goto drop;
		}
		if (fs < start)
			pp = &f->next;
	}
	if (!fh.more) {
		/* a fragment beyond the end the last one says */
		for (struct umk_pkt *f = q->frags; f; f = f->next)
			if (frag_end(f) > end) {
				COUNT(s, IP6_REASM_INCONSISTENT);
				queue_kill(s, q);
				goto drop;
			}
		q->have_last = true;
		q->total = end;
	}
	if (start == 0) {
		q->first_nxt = fh.nxt;
		q->first_nxt_off = nxt_off;
	}
	pkt->next = *pp;
	*pp = pkt;
	q->bytes += pkt->cap;
	s->frag6->bytes += pkt->cap;

	if (!q->have_last)
		return NULL;
	uint32_t covered = 0;
	for (struct umk_pkt *f = q->frags; f; f = f->next) {
		if (frag_start(f) != covered)
			return NULL;
		covered = frag_end(f);
	}
	if (covered != q->total)
		return NULL;
	return reassemble(s, q, r);

fail:
	COUNT(s, IP6_REASM_FAILS);
drop:
	pkt_free(s, pkt);
	return NULL;
}

/* ---- output ---- */

int frag6_output(struct umk_stack *s, struct umk_pkt *pkt, uint32_t unfrag_len,
		 uint32_t nxt_off, uint32_t mtu, struct umk_pkt **out)
{
	struct umk_pkt *head = NULL, **tail = &head;
	int r = 0;

	*out = NULL;
	if (mtu < unfrag_len + IP6_FRAGHDR_LEN + 8 || pkt->len <= unfrag_len) {
		r = -EMSGSIZE;
		goto done;
	}
	uint32_t total = pkt->len - unfrag_len;
	uint32_t per = (mtu - unfrag_len - IP6_FRAGHDR_LEN) & ~7u;
	/* RFC 7739: an Identification nobody can predict */
	struct ip6_fraghdr fh = { .nxt = pkt->data[nxt_off], .id = rng_secure_u32(s) };

	for (uint32_t off = 0; off < total; off += per) {
		uint32_t n = total - off < per ? total - off : per;
		struct umk_pkt *f = pkt_alloc(s, unfrag_len + IP6_FRAGHDR_LEN + n, PKT_HEADROOM);
		if (!f) {
			r = -ENOBUFS;
			goto done;
		}
		uint8_t *p = pkt_put(f, unfrag_len + IP6_FRAGHDR_LEN + n);
		memcpy(p, pkt->data, unfrag_len);
		p[nxt_off] = IPPROTO6_FRAGMENT;
		uint32_t plen = unfrag_len - IP6_HLEN + IP6_FRAGHDR_LEN + n;
		p[IP6_OFF_PLEN] = (uint8_t)(plen >> 8);
		p[IP6_OFF_PLEN + 1] = (uint8_t)plen;
		fh.offset = (uint16_t)off;
		fh.more = off + n < total;
		ip6_fraghdr_emit(p + unfrag_len, &fh);
		memcpy(p + unfrag_len + IP6_FRAGHDR_LEN, pkt->data + unfrag_len + off, n);
		f->net_off = pkt_off(f);
		f->flags = pkt->flags & (uint8_t)~PKT_F_OFFLOAD;   /* finished before (output.c) */
		*tail = f;
		tail = &f->next;
	}
done:
	pkt_free(s, pkt);
	if (r) {
		pkt_free_chain(s, head);
		return r;
	}
	*out = head;
	return 0;
}
