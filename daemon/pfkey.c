/*
 * pfkey.c - PF_KEY v2 (RFC 2367) over the control socket (DESIGN.md: "PF_KEY v2 messages
 * travel inside it unchanged"). A connection that sends a CTL_MSG_PFKEY becomes a PF_KEY
 * "socket" (a peer here). Its message goes to the stack's pfkey_handle (src/ipsec/pfkey.c);
 * the replies go back with the request's seq, closed by one ERROR carrying the result.
 *
 * Who else sees what, after RFC 2367 3.1 and KAME:
 *   - replies that change the databases (ADD, UPDATE, DELETE, FLUSH and the SPD changes)
 *     go to every other peer too (3.1.2-3.1.4, 3.1.9: "all listening sockets");
 *   - ACQUIRE and EXPIRE, which the stack originates, go to the peers REGISTERed for
 *     their SA type (3.1.6, 3.1.7 and 3.1.9 SADB_EXPIRE);
 *   - a peer that turned SADB_X_PROMISC on gets a copy of every message (KAME).
 * A peer's registrations vanish with its connection (server.c calls pfkeyd_client_gone).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <umikame/pfkey.h>

#include "ipsec/ipsec.h"
#include "umikamed.h"
#include "wire/pfkey.h"

struct pfkey_peer {
	struct pfkey_peer *next;
	struct client *c;
	uint32_t registered;         /* 1 << SADB_SATYPE_* it REGISTERed for */
	bool promisc;
};

/* The request being answered, for the reply callback. */
struct pfkey_call {
	struct daemon *d;
	struct reply_sink *sink;
	struct pfkey_peer *from;     /* NULL: the config loader */
	uint32_t seq;
	int emit_err;
};

static struct pfkey_peer *peer_find(struct daemon *d, struct client *c)
{
	for (struct pfkey_peer *p = d->pfkey_peers; p; p = p->next)
		if (p->c == c)
			return p;
	return NULL;
}

static struct pfkey_peer *peer_get(struct daemon *d, struct client *c)
{
	struct pfkey_peer *p = peer_find(d, c);
	if (p || !c)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->c = c;
	p->next = d->pfkey_peers;
	d->pfkey_peers = p;
	return p;
}

static void update_registered(struct daemon *d)
{
	uint32_t all = 0;
	for (struct pfkey_peer *p = d->pfkey_peers; p; p = p->next)
		all |= p->registered;
	pfkey_set_registered(d->stack, all);
}

/* One PF_KEY message as a control message: seq 0 for unsolicited ones. */
static int build(uint8_t *buf, size_t cap, uint32_t seq, uint16_t flags, const void *msg,
		 size_t len)
{
	struct ctl_builder b;
	ctl_build_begin(&b, buf, cap, CTL_MSG_PFKEY, flags, seq);
	ctl_put(&b, A_PFKEY, msg, len);
	return ctl_build_end(&b);
}

/* Unsolicited copies: to each peer `want` picks, except `skip`. */
static void push_to(struct daemon *d, const void *msg, size_t len, struct pfkey_peer *skip,
		    bool (*want)(const struct pfkey_peer *p, uint8_t satype))
{
	uint8_t buf[CTL_HDR_LEN + CTL_ATTR_HDR + UMK_PFKEY_MSG_MAX];
	const uint8_t *h = msg;
	int n = build(buf, sizeof(buf), 0, 0, msg, len);
	if (n < 0)
		return;
	for (struct pfkey_peer *p = d->pfkey_peers; p; p = p->next) {
		if (p == skip || !want(p, h[3]))
			continue;
		/* a peer that stops reading misses broadcasts, as a full PF_KEY socket does */
		if (server_client_push(d, p->c, buf, (size_t)n))
			d->events_dropped++;
	}
	explicit_bzero(buf, sizeof(buf));
}

static bool want_all(const struct pfkey_peer *p, uint8_t satype) { return true; }
static bool want_promisc(const struct pfkey_peer *p, uint8_t satype) { return p->promisc; }
static bool want_registered(const struct pfkey_peer *p, uint8_t satype)
{
	return p->promisc || (satype < 32 && (p->registered >> satype) & 1);
}

/* RFC 2367 3.1: the replies every listening socket gets. */
static bool broadcast_type(uint8_t type)
{
	switch (type) {
	case SADB_UPDATE: case SADB_ADD: case SADB_DELETE: case SADB_FLUSH:
	case SADB_X_SPDUPDATE: case SADB_X_SPDADD: case SADB_X_SPDDELETE:
	case SADB_X_SPDDELETE2: case SADB_X_SPDFLUSH:
		return true;
	default:
		return false;
	}
}

static void reply_cb(void *ctx, const void *msg, size_t len)
{
	struct pfkey_call *k = ctx;
	uint8_t buf[CTL_HDR_LEN + CTL_ATTR_HDR + UMK_PFKEY_MSG_MAX];
	const uint8_t *h = msg;
	int n = build(buf, sizeof(buf), k->seq, CTL_F_MULTI, msg, len);
	if (n < 0 || k->sink->emit(k->sink->ctx, buf, (size_t)n))
		k->emit_err = 1;
	explicit_bzero(buf, sizeof(buf));
	if (h[2] == 0 && broadcast_type(h[1]))
		push_to(k->d, msg, len, k->from, want_all);
	else
		push_to(k->d, msg, len, k->from, want_promisc);
}

/* ACQUIRE and EXPIRE from the stack (ipsec_set_listener). */
static void kernel_msg(void *ctx, const void *msg, size_t len)
{
	struct daemon *d = ctx;
	const uint8_t *h = msg;
	if (len < PFKEY_HDR_LEN)
		return;
	if (h[1] == SADB_ACQUIRE || h[1] == SADB_EXPIRE)
		push_to(d, msg, len, NULL, want_registered);
	else
		push_to(d, msg, len, NULL, want_all);
}

/* KAME's SADB_X_PROMISC: satype 1 turns copies of every message on, 0 off. */
static int promisc(struct pfkey_call *k, const uint8_t *msg, size_t len)
{
	if (len != PFKEY_HDR_LEN || msg[0] != PF_KEY_V2 || msg[2] || msg[3] > 1 ||
	    (size_t)(msg[4] | msg[5] << 8) * PFKEY_ALIGN != len)
		return -EINVAL;
	if (!k->from)
		return -EINVAL;
	k->from->promisc = msg[3] == 1;
	reply_cb(k, msg, len);
	return 0;
}

void pfkeyd_request(struct daemon *d, const struct ctl_msg *m, struct reply_sink *sink)
{
	uint32_t seq = m->hdr.seq;
	const struct ctl_attr_ref *a = &m->attr[A_PFKEY];
	if (m->hdr.type != CTL_MSG_PFKEY) {
		reply_error(sink, seq, EOPNOTSUPP, "unknown PF_KEY request");
		return;
	}
	if (!a->present || a->len < PFKEY_HDR_LEN || a->len > UMK_PFKEY_MSG_MAX) {
		d->bad_messages++;
		reply_error(sink, seq, EINVAL, "PF_KEY: missing or malformed message");
		return;
	}
	/* the stack's ACQUIRE/EXPIRE come here once anyone speaks PF_KEY */
	ipsec_set_listener(d->stack, kernel_msg, d);
	struct pfkey_call k = { .d = d, .sink = sink, .seq = seq,
				.from = peer_get(d, sink->client) };
	if (sink->client && !k.from) {
		reply_error(sink, seq, ENOMEM, NULL);
		return;
	}
	/* our own copy, wiped after use: it may carry keys */
	uint8_t msg[UMK_PFKEY_MSG_MAX];
	size_t len = a->len;
	memcpy(msg, a->value, len);
	int r;
	if (msg[1] == SADB_X_PROMISC) {
		r = promisc(&k, msg, len);
		if (r)
			reply_error(sink, seq, -r, "PF_KEY: bad SADB_X_PROMISC");
		else
			reply_error(sink, seq, 0, NULL);
		explicit_bzero(msg, sizeof(msg));
		return;
	}
	uint8_t type = msg[1], satype = msg[3];
	push_to(d, msg, len, k.from, want_promisc);
	r = pfkey_handle(d->stack, msg, len, reply_cb, &k);
	explicit_bzero(msg, sizeof(msg));
	if (!r && k.from && type == SADB_REGISTER) {
		/* RFC 2367 3.1.6: this socket now gets the ACQUIREs of the SA type */
		k.from->registered |= 1u << (satype & 31);
		update_registered(d);
	}
	if (k.emit_err)
		reply_error(sink, seq, ENOBUFS, "PF_KEY reply too large for the client buffer");
	else
		reply_error(sink, seq, r < 0 ? -r : 0, NULL);
}

void pfkeyd_client_gone(struct daemon *d, struct client *c)
{
	for (struct pfkey_peer **pp = &d->pfkey_peers; *pp; pp = &(*pp)->next) {
		if ((*pp)->c != c)
			continue;
		struct pfkey_peer *p = *pp;
		*pp = p->next;
		bool had = p->registered != 0;
		free(p);
		if (had)
			update_registered(d);
		return;
	}
}
