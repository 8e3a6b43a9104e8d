/*
 * fuzz_gso.c - ip6/gso.c: TCP/IPv6 super-segments cut by gso_segment_tcp6 (after
 * gso_csum_finish on a left-open checksum), and gso_csum_finish with any offsets. Aborts
 * when an invariant breaks: every segment parses, its Payload Length is its length, its
 * checksum verifies (RFC 8200 8.1), its sequence number follows the previous segment's
 * data, its flags obey gso.c's rules (FIN/PSH last, CWR first, URG where the urgent point
 * is not behind it); the segments' data put together is the input's; a refusal or success
 * is the one the input calls for; no packet buffer is left in use.
 *
 * Input: u16 gso_size; u8 mode; u8 tcp_flags; u8 opt_words; u8 repeat; u16 urp;
 *        u8 csum_start_delta; u8 csum_offset; then the rest.
 * mode bit 0: the rest is the IPv6 packet itself (raw); otherwise a valid IPv6 header and
 * a TCP header with the given flags, urp and opt_words * 4 option bytes from the rest are
 * built, and the rest after those, repeated `repeat + 1` times, is the payload.
 * mode bit 1: the checksum is left open (pseudo-header sum in the field) and finished first.
 * mode bit 2: gso_csum_finish also runs on a copy with csum_start/csum_offset from the input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <umikame/umikame.h>

#include "core/stack_int.h"
#include "ip6/gso.h"
#include "wire/checksum.h"
#include "wire/ip6.h"
#include "wire/tcp.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static uint8_t pktbuf[IP6_HLEN + 65535];

static uint32_t in_use(const struct umk_stack *s)
{
	uint32_t n = 0;
	for (int c = 0; c < PKT_NCLASSES; c++)
		n += s->pools[c].in_use;
	return n;
}

/* one stack for the whole run: its pools are the expensive part */
static struct umk_stack *stack(void)
{
	static struct umk_stack *s;
	if (!s) {
		struct umk_stack_config cfg;
		umk_stack_config_defaults(&cfg);
		cfg.pool_small = 512;
		cfg.pool_medium = 32;
		cfg.pool_large = 4;
		cfg.log_level = -1;
		s = umk_stack_new(&cfg, 1000);
		CHECK(s);
	}
	return s;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }

static struct umk_pkt *load(struct umk_stack *s, const uint8_t *d, uint32_t len)
{
	struct umk_pkt *p = pkt_alloc(s, len, 64);
	if (p)
		memcpy(pkt_put(p, len), d, len);
	return p;
}

/* gso_csum_finish with arbitrary offsets: refused exactly when they fall outside the data
 * or are odd; otherwise, over a zeroed field, the summed bytes then sum to zero. */
static void finish_any(struct umk_stack *s, const uint8_t *d, uint32_t len, uint8_t delta,
		       uint8_t off)
{
	struct umk_pkt *p = load(s, d, len);
	if (!p)
		return;
	int64_t start = (int64_t)delta - 8;        /* a little before data too */
	p->flags = PKT_F_CSUM_PARTIAL;
	p->csum_start = (uint32_t)((int64_t)pkt_off(p) + start);
	p->csum_offset = off;
	bool ok = start >= 0 && start + off + 2 <= len && !(off & 1);
	if (ok)
		put16(p->data + start + off, 0);
	int r = gso_csum_finish(s, p);
	CHECK((r == 0) == ok);
	if (ok) {
		CHECK(!(p->flags & PKT_F_CSUM_PARTIAL));
		CHECK(csum_fold(csum_add(0, p->data + start, len - (uint32_t)start)) == 0);
		if (off == 6)
			CHECK(p->data[start + 6] || p->data[start + 7]);
	}
	pkt_free(s, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 10)
		return 0;
	struct umk_stack *s = stack();
	uint32_t base = in_use(s);
	uint16_t gso = (uint16_t)(data[0] << 8 | data[1]);
	uint8_t mode = data[2], flags = data[3], words = data[4] % 11, rep = data[5];
	uint16_t urp = (uint16_t)(data[6] << 8 | data[7]);
	uint8_t cs_delta = data[8], cs_off = data[9];
	data += 10;
	size -= 10;

	uint32_t len;
	if (mode & 1) {
		len = size < sizeof(pktbuf) ? (uint32_t)size : sizeof(pktbuf);
		memcpy(pktbuf, data, len);
	} else {
		uint32_t ol = words * 4u;
		if (ol > size)
			ol = (uint32_t)(size & ~3u);
		uint32_t hl = TCP_HLEN + ol, chunk = (uint32_t)size - ol, pay = 0;
		uint8_t *ip = pktbuf, *t = pktbuf + IP6_HLEN;
		for (uint32_t r = 0; r <= rep && chunk; r++) {
			uint32_t n = chunk;
			if (IP6_HLEN + hl + pay + n > sizeof(pktbuf))
				n = (uint32_t)sizeof(pktbuf) - IP6_HLEN - hl - pay;
			memcpy(t + hl + pay, data + ol, n);
			pay += n;
		}
		struct ip6_hdr_info h = { .version = 6, .tclass = 0x28, .flowlabel = 0xbeef,
					  .plen = (uint16_t)(hl + pay), .nxt = IPPROTO6_TCP,
					  .hlim = 64 };
		inet_pton(AF_INET6, "2001:db8::2", &h.src);
		inet_pton(AF_INET6, "2001:db8:1::7", &h.dst);
		ip6_hdr_emit(ip, &h);
		memset(t, 0, TCP_HLEN);
		t[0] = 0x9c, t[1] = 0x40, t[3] = 80;
		t[4] = cs_delta, t[7] = cs_off;            /* some sequence number */
		t[12] = (uint8_t)((hl / 4) << 4);
		t[13] = flags;
		put16(t + 18, urp);
		memcpy(t + TCP_HLEN, data, ol);
		len = IP6_HLEN + hl + pay;
	}

	if (mode & 4)
		finish_any(s, pktbuf, len, cs_delta, cs_off);

	/* what the input calls for, from the parsers */
	struct ip6_hdr_info ip;
	struct tcp_hdr_info th;
	memset(&th, 0, sizeof(th));
	int want = 0;
	if (ip6_hdr_parse(pktbuf, len, &ip) || ip.plen != len - IP6_HLEN)
		want = -EINVAL;
	else if (ip.nxt != IPPROTO6_TCP)
		want = -EPROTONOSUPPORT;
	else if (tcp_parse(pktbuf + IP6_HLEN, len - IP6_HLEN, &th) || gso == 0)
		want = -EINVAL;
	else if ((th.flags & (TH_SYN | TH_RST)) && th.payload_len > gso)
		want = -EINVAL;
	if (!(mode & 1))
		CHECK(want == 0 || gso == 0 || (th.flags & (TH_SYN | TH_RST)) ||
		      tcp_parse(pktbuf + IP6_HLEN, len - IP6_HLEN, &th) == TCP_ERR_OPTION);

	struct umk_pkt *p = load(s, pktbuf, len);
	if (!p)
		return 0;
	p->gso_size = gso;
	p->ifindex = 2;
	p->flags = PKT_F_CSUM_VALID;
	if ((mode & 2) && want == 0) {
		put16(p->data + IP6_HLEN + TCP_OFF_CSUM,
		      (uint16_t)csum_pseudo6(&ip.src, &ip.dst, len - IP6_HLEN, IPPROTO6_TCP));
		p->flags = PKT_F_CSUM_PARTIAL;
		p->csum_start = pkt_off(p) + IP6_HLEN;
		p->csum_offset = TCP_OFF_CSUM;
		CHECK(gso_csum_finish(s, p) == 0);
		CHECK(csum_ip6(&ip.src, &ip.dst, IPPROTO6_TCP, p->data + IP6_HLEN,
			       len - IP6_HLEN) == 0);
	}

	struct umk_pkt *out = (struct umk_pkt *)&out;
	int r = gso_segment_tcp6(s, p, &out);
	if (r == -ENOBUFS && want == 0) {
		CHECK(out == NULL);
		CHECK(in_use(s) == base);
		return 0;
	}
	CHECK(r == want);
	if (r) {
		CHECK(out == NULL);
		CHECK(in_use(s) == base);
		return 0;
	}
	const uint8_t *payload = pktbuf + IP6_HLEN + th.hlen;
	uint32_t got = 0, n = 0;
	for (struct umk_pkt *q = out; q; q = q->next, n++) {
		struct ip6_hdr_info qi;
		struct tcp_hdr_info qt;
		CHECK(ip6_hdr_parse(q->data, q->len, &qi) == 0);
		CHECK(qi.plen == q->len - IP6_HLEN && qi.nxt == IPPROTO6_TCP);
		CHECK(qi.tclass == ip.tclass && qi.flowlabel == ip.flowlabel && qi.hlim == ip.hlim);
		CHECK(!memcmp(&qi.src, &ip.src, 16) && !memcmp(&qi.dst, &ip.dst, 16));
		CHECK(tcp_parse(q->data + IP6_HLEN, q->len - IP6_HLEN, &qt) == TCP_OK);
		CHECK(qt.hlen == th.hlen);
		CHECK(!memcmp(q->data + IP6_HLEN + TCP_HLEN, pktbuf + IP6_HLEN + TCP_HLEN,
			      th.hlen - TCP_HLEN));
		CHECK(csum_ip6(&qi.src, &qi.dst, IPPROTO6_TCP, q->data + IP6_HLEN,
			       q->len - IP6_HLEN) == 0);
		CHECK(qt.seq == th.seq + got);
		CHECK(qt.payload_len <= gso && (qt.payload_len == gso || !q->next));
		CHECK(got + qt.payload_len <= th.payload_len);
		CHECK(!memcmp(qt.payload, payload + got, qt.payload_len));
		uint8_t keep = (uint8_t)~(TH_FIN | TH_PSH | TH_CWR | TH_URG);
		CHECK((qt.flags & keep) == (th.flags & keep));
		CHECK((qt.flags & (TH_FIN | TH_PSH)) == (q->next ? 0 : th.flags & (TH_FIN | TH_PSH)));
		CHECK((qt.flags & TH_CWR) == (n ? 0 : th.flags & TH_CWR));
		bool urg = (th.flags & TH_URG) && th.urp >= got;
		CHECK(!!(qt.flags & TH_URG) == urg);
		CHECK(qt.urp == (urg ? th.urp - got : 0));
		CHECK(q->gso_size == 0 && !(q->flags & (PKT_F_CSUM_PARTIAL | PKT_F_CSUM_VALID)));
		CHECK(q->ifindex == 2 && q->net_off == pkt_off(q) && pkt_off(q) == PKT_HEADROOM);
		got += qt.payload_len;
	}
	CHECK(got == th.payload_len);
	CHECK(n == (th.payload_len ? (th.payload_len + gso - 1) / gso : 1));
	pkt_free_chain(s, out);
	CHECK(in_use(s) == base);
	return 0;
}
