/*
 * test_pfkey_ctl.c - PF_KEY v2 over the control socket: the CTL_MSG_PFKEY codec, the
 * daemon's side (daemon/pfkey.c, compiled in here with the server's two entry points
 * stubbed: each client is a buffer) on a real stack, and the client library
 * (src/ctl/pfkey_client.c) against a scripted server on a Unix socket.
 *
 * Topology of the daemon tests: one stack; clients A, B, C, P as buffers of what
 * they were sent. RFC 2367 semantics checked: replies with the request's seq, ADD copies
 * (without keys) to the other PF_KEY users, ACQUIRE/EXPIRE only to the REGISTERed ones,
 * registrations gone with the connection, SADB_X_PROMISC copies, malformed requests
 * refused with nothing changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../daemon/pfkey.c"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/setkey.h"

/* ---- the server stubs ---- */

struct client {
	size_t len;
	uint8_t out[1 << 16];
};

int server_client_push(struct daemon *d, struct client *c, const uint8_t *msg, size_t len)
{
	if (c->len + len > sizeof(c->out))
		return -ENOBUFS;
	memcpy(c->out + c->len, msg, len);
	c->len += len;
	return 0;
}

static int emit(void *ctx, const uint8_t *msg, size_t len)
{
	return server_client_push(NULL, ctx, msg, len);
}

void reply_error(struct reply_sink *sink, uint32_t seq, int err, const char *msg)
{
	uint8_t buf[512];
	struct ctl_builder b;
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_ERROR, 0, seq);
	ctl_put_s32(&b, A_ERRNO, err);
	if (msg)
		ctl_put_str(&b, A_ERRMSG, msg);
	int n = ctl_build_end(&b);
	sink->last_errno = err;
	sink->emit(sink->ctx, buf, (size_t)n);
}

/* ---- helpers ---- */

struct fx {
	struct umk_stack *s;
	struct daemon d;
	struct client a, b, c, p;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	f->s = umk_stack_new(&cfg, 1000);
	assert_non_null(f->s);
	f->d.stack = f->s;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	pfkeyd_client_gone(&f->d, &f->a);
	pfkeyd_client_gone(&f->d, &f->b);
	pfkeyd_client_gone(&f->d, &f->c);
	pfkeyd_client_gone(&f->d, &f->p);
	assert_null(f->d.pfkey_peers);
	umk_stack_free(f->s);
	free(f);
	return 0;
}

/* Sends a PF_KEY message (or, raw, any attribute bytes) from client c. */
static void request_type(struct fx *f, struct client *c, uint16_t type, uint32_t seq,
			 const void *msg, size_t len)
{
	uint8_t buf[8192];
	struct ctl_builder b;
	struct ctl_msg m;
	ctl_build_begin(&b, buf, sizeof(buf), type, CTL_F_REQUEST, seq);
	if (msg)
		ctl_put(&b, A_PFKEY, msg, len);
	int n = ctl_build_end(&b);
	assert_true(n > 0);
	assert_int_equal(ctl_msg_parse(buf, (size_t)n, &m), CTL_OK);
	struct reply_sink sink = { .emit = emit, .ctx = c, .client = c };
	pfkeyd_request(&f->d, &m, &sink);
}

static void request(struct fx *f, struct client *c, uint32_t seq, const void *msg, size_t len)
{
	request_type(f, c, CTL_MSG_PFKEY, seq, msg, len);
}

/* A statement in setkey's language as its message. */
static size_t msg_of(const char *text, uint8_t *out)
{
	struct setkey_prog prog = { 0 };
	char err[256];
	if (setkey_parse(text, strlen(text), "t", &prog, err, sizeof(err)))
		fail_msg("%s", err);
	size_t len = prog.cmds[0].len;
	memcpy(out, prog.cmds[0].msg, len);
	setkey_prog_free(&prog);
	return len;
}

static size_t header_only(uint8_t *out, uint8_t type, uint8_t satype)
{
	memset(out, 0, 16);
	out[0] = PF_KEY_V2;
	out[1] = type;
	out[3] = satype;
	out[4] = 2;
	return 16;
}

/* What a client was sent, one row per control message. */
struct got {
	uint16_t type, flags;
	uint32_t seq;
	int32_t err;             /* ERROR's errno */
	uint8_t pf_type, pf_err, pf_satype;
	bool keys;
};

static int take(struct client *c, struct got *g, int max)
{
	size_t off = 0;
	int n = 0;
	while (off < c->len) {
		struct ctl_msg m;
		struct ctl_hdr h;
		assert_int_equal(ctl_hdr_parse(c->out + off, c->len - off, &h), CTL_OK);
		assert_int_equal(ctl_msg_parse(c->out + off, h.length, &m), CTL_OK);
		assert_true(n < max);
		struct got *x = &g[n++];
		memset(x, 0, sizeof(*x));
		x->type = h.type;
		x->flags = h.flags;
		x->seq = h.seq;
		ctl_get_s32(&m, A_ERRNO, &x->err);
		if (m.attr[A_PFKEY].present) {
			struct pfkey_msg pm;
			const uint8_t *p = m.attr[A_PFKEY].value;
			assert_int_equal(pfkey_parse(p, m.attr[A_PFKEY].len, &pm), 0);
			x->pf_type = p[1];
			x->pf_err = p[2];
			x->pf_satype = p[3];
			x->keys = PFKEY_HAS(&pm, SADB_EXT_KEY_ENCRYPT) ||
				  PFKEY_HAS(&pm, SADB_EXT_KEY_AUTH);
		}
		off += h.length;
	}
	c->len = 0;
	return n;
}

static const char *ADD_GCM = "add 2001:db8::1 2001:db8::2 esp 0x1000 -m transport -E aes-gcm-16 "
			     "0x0102030405060708090a0b0c0d0e0f1011121314;";

/* ---- daemon side ---- */

static void test_reply_and_broadcast(void **state)
{
	struct fx *f = *state;
	struct got g[8];
	uint8_t msg[1024];
	size_t len;

	len = header_only(msg, SADB_REGISTER, SADB_SATYPE_ESP);
	request(f, &f->a, 1, msg, len);
	assert_int_equal(take(&f->a, g, 8), 2);
	assert_int_equal(g[0].type, CTL_MSG_PFKEY);
	assert_int_equal(g[0].seq, 1);
	assert_int_equal(g[0].flags, CTL_F_MULTI);
	assert_int_equal(g[0].pf_type, SADB_REGISTER);
	assert_int_equal(g[0].pf_err, 0);
	assert_int_equal(g[1].type, CTL_MSG_ERROR);
	assert_int_equal(g[1].err, 0);

	/* C becomes a PF_KEY user by asking for a dump of nothing */
	len = header_only(msg, SADB_DUMP, SADB_SATYPE_UNSPEC);
	request(f, &f->c, 5, msg, len);
	assert_int_equal(take(&f->c, g, 8), 2);
	assert_int_equal(g[0].pf_err, ENOENT);
	assert_int_equal(g[1].err, ENOENT);

	/* B adds: B's reply, A's and C's copies (seq 0, no keys: RFC 2367 3.1.3) */
	len = msg_of(ADD_GCM, msg);
	request(f, &f->b, 7, msg, len);
	assert_int_equal(take(&f->b, g, 8), 2);
	assert_int_equal(g[0].seq, 7);
	assert_int_equal(g[0].pf_type, SADB_ADD);
	assert_int_equal(g[0].pf_err, 0);
	assert_false(g[0].keys);
	assert_int_equal(g[1].err, 0);
	for (int i = 0; i < 2; i++) {
		struct client *c = i ? &f->c : &f->a;
		assert_int_equal(take(c, g, 8), 1);
		assert_int_equal(g[0].type, CTL_MSG_PFKEY);
		assert_int_equal(g[0].seq, 0);
		assert_int_equal(g[0].pf_type, SADB_ADD);
		assert_false(g[0].keys);
	}

	/* the same ADD again: refused (EEXIST) to B only */
	request(f, &f->b, 8, msg, len);
	assert_int_equal(take(&f->b, g, 8), 2);
	assert_int_equal(g[0].pf_err, EEXIST);
	assert_int_equal(g[1].err, EEXIST);
	assert_int_equal(take(&f->a, g, 8), 0);

	/* GET carries keys, and only to the asker */
	len = msg_of("get 2001:db8::1 2001:db8::2 esp 0x1000;", msg);
	request(f, &f->b, 9, msg, len);
	assert_int_equal(take(&f->b, g, 8), 2);
	assert_int_equal(g[0].pf_type, SADB_GET);
	assert_true(g[0].keys);
	assert_int_equal(take(&f->a, g, 8), 0);
	assert_int_equal(take(&f->c, g, 8), 0);
}

static void test_acquire_expire_registered(void **state)
{
	struct fx *f = *state;
	struct got g[8];
	uint8_t msg[1024];
	size_t len;

	request(f, &f->a, 1, msg, header_only(msg, SADB_REGISTER, SADB_SATYPE_ESP));
	request(f, &f->c, 1, msg, header_only(msg, SADB_REGISTER, SADB_SATYPE_AH));
	len = msg_of(ADD_GCM, msg);
	request(f, &f->b, 2, msg, len);
	take(&f->a, g, 8);
	take(&f->b, g, 8);
	take(&f->c, g, 8);
	assert_int_equal(f->s->ipsec->registered,
			 (1u << SADB_SATYPE_ESP) | (1u << SADB_SATYPE_AH));

	struct ipsec_policy pol = { .id = 9 };
	struct ipsec_req req = { .proto = IPPROTO_ESP, .mode = IPSEC_MODE_TRANSPORT };
	struct in6_addr s1, s2;
	inet_pton(AF_INET6, "2001:db8::1", &s1);
	inet_pton(AF_INET6, "2001:db8::2", &s2);
	pfkey_send_acquire(f->s, &pol, &req, &s1, &s2);
	assert_int_equal(take(&f->a, g, 8), 1);
	assert_int_equal(g[0].pf_type, SADB_ACQUIRE);
	assert_int_equal(g[0].pf_satype, SADB_SATYPE_ESP);
	assert_int_equal(g[0].seq, 0);
	assert_int_equal(take(&f->b, g, 8), 0);
	assert_int_equal(take(&f->c, g, 8), 0);

	struct ipsec_sa *sa = sad_lookup(f->s, 0x1000, &s2, IPPROTO_ESP);
	assert_non_null(sa);
	pfkey_send_expire(f->s, sa, false);
	assert_int_equal(take(&f->a, g, 8), 1);
	assert_int_equal(g[0].pf_type, SADB_EXPIRE);
	assert_int_equal(take(&f->b, g, 8), 0);
	assert_int_equal(take(&f->c, g, 8), 0);

	/* A goes: its registration with it (RFC 2367 3.1.6: nobody to ask for ESP keys) */
	pfkeyd_client_gone(&f->d, &f->a);
	assert_int_equal(f->s->ipsec->registered, 1u << SADB_SATYPE_AH);
	pfkey_send_acquire(f->s, &pol, &req, &s1, &s2);
	assert_int_equal(take(&f->b, g, 8), 0);
	assert_int_equal(take(&f->c, g, 8), 0);
	req.proto = IPPROTO_AH;
	pfkey_send_acquire(f->s, &pol, &req, &s1, &s2);
	assert_int_equal(take(&f->c, g, 8), 1);
	assert_int_equal(g[0].pf_satype, SADB_SATYPE_AH);
}

static void test_promisc(void **state)
{
	struct fx *f = *state;
	struct got g[8];
	uint8_t msg[1024];
	size_t len;

	request(f, &f->p, 1, msg, header_only(msg, SADB_X_PROMISC, 1));
	assert_int_equal(take(&f->p, g, 8), 2);
	assert_int_equal(g[0].pf_type, SADB_X_PROMISC);
	assert_int_equal(g[1].err, 0);

	/* B's GET: P sees the request and the answer */
	len = msg_of("get 2001:db8::1 2001:db8::2 esp 0x1000;", msg);
	request(f, &f->b, 3, msg, len);
	assert_int_equal(take(&f->b, g, 8), 2);
	assert_int_equal(g[0].pf_err, ESRCH);
	assert_int_equal(take(&f->p, g, 8), 2);
	assert_int_equal(g[0].pf_type, SADB_GET);
	assert_int_equal(g[0].pf_err, 0);
	assert_int_equal(g[1].pf_err, ESRCH);
	assert_int_equal(g[1].seq, 0);

	request(f, &f->p, 4, msg, header_only(msg, SADB_X_PROMISC, 0));
	take(&f->p, g, 8);
	len = msg_of("get 2001:db8::1 2001:db8::2 esp 0x1000;", msg);
	request(f, &f->b, 5, msg, len);
	take(&f->b, g, 8);
	assert_int_equal(take(&f->p, g, 8), 0);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	struct got g[8];
	uint8_t msg[1024];

	/* no PF_KEY attribute */
	request(f, &f->b, 1, NULL, 0);
	assert_int_equal(take(&f->b, g, 8), 1);
	assert_int_equal(g[0].type, CTL_MSG_ERROR);
	assert_int_equal(g[0].err, EINVAL);
	/* shorter than a header */
	request(f, &f->b, 2, msg, 8);
	assert_int_equal(take(&f->b, g, 8), 1);
	assert_int_equal(g[0].err, EINVAL);
	/* longer than any message */
	static uint8_t big[UMK_PFKEY_MSG_MAX + 8];
	request(f, &f->b, 3, big, sizeof(big));
	assert_int_equal(take(&f->b, g, 8), 1);
	assert_int_equal(g[0].err, EINVAL);
	/* a type of the reserved block that is not CTL_MSG_PFKEY */
	request_type(f, &f->b, CTL_MSG_PFKEY + 1, 4, msg, header_only(msg, SADB_DUMP, 0));
	assert_int_equal(take(&f->b, g, 8), 1);
	assert_int_equal(g[0].err, EOPNOTSUPP);
	/* PF_KEY version 1: an answer with errno, then the ERROR */
	header_only(msg, SADB_FLUSH, 0);
	msg[0] = 1;
	request(f, &f->b, 5, msg, 16);
	assert_int_equal(take(&f->b, g, 8), 2);
	assert_int_equal(g[0].type, CTL_MSG_PFKEY);
	assert_int_equal(g[0].pf_err, EINVAL);
	assert_int_equal(g[1].err, EINVAL);
	/* sadb_msg_len that disagrees with the attribute */
	size_t len = msg_of(ADD_GCM, msg);
	request(f, &f->b, 6, msg, len - 8);
	assert_int_equal(take(&f->b, g, 8), 2);
	assert_int_equal(g[1].err, EINVAL);
	/* an ADD without its SA extension: RFC 2367 3.1 EINVAL */
	len = msg_of("add 2001:db8::1 2001:db8::2 ah 0x1000 -A hmac-sha1 0x0001020304050607"
		     "08090a0b0c0d0e0f10111213;", msg);
	uint8_t cut[1024];
	memcpy(cut, msg, 16);
	memcpy(cut + 16, msg + 32, len - 32);
	cut[4] = (uint8_t)((len - 16) / 8);
	request(f, &f->b, 7, cut, len - 16);
	assert_int_equal(take(&f->b, g, 8), 2);
	assert_int_equal(g[0].pf_err, EINVAL);
	/* a PROMISC that is not a bare header */
	header_only(msg, SADB_X_PROMISC, 1);
	msg[4] = 3;
	request(f, &f->p, 8, msg, 24);
	assert_int_equal(take(&f->p, g, 8), 1);
	assert_int_equal(g[0].err, EINVAL);
	/* none of it changed anything */
	request(f, &f->b, 9, msg, header_only(msg, SADB_DUMP, 0));
	assert_int_equal(take(&f->b, g, 8), 2);
	assert_int_equal(g[0].pf_err, ENOENT);
	assert_int_equal(f->s->ipsec->n_sas, 0);
}

/* DUMP: several answers with the request's seq, sadb_msg_seq counting down to 0. */
static void test_dump_multi(void **state)
{
	struct fx *f = *state;
	struct got g[8];
	uint8_t msg[1024];
	size_t len = msg_of(ADD_GCM, msg);
	request(f, &f->b, 1, msg, len);
	len = msg_of("add 2001:db8::2 2001:db8::1 esp 0x1001 -E aes-gcm-16 "
		     "0x0102030405060708090a0b0c0d0e0f1011121314;", msg);
	request(f, &f->b, 2, msg, len);
	take(&f->b, g, 8);
	request(f, &f->b, 3, msg, header_only(msg, SADB_DUMP, SADB_SATYPE_ESP));
	assert_int_equal(take(&f->b, g, 8), 3);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(g[i].type, CTL_MSG_PFKEY);
		assert_int_equal(g[i].seq, 3);
		assert_int_equal(g[i].pf_type, SADB_DUMP);
		assert_true(g[i].keys);
	}
	assert_int_equal(g[2].type, CTL_MSG_ERROR);
	assert_int_equal(g[2].err, 0);
}

/* ---- codec ---- */

static void test_codec(void **state)
{
	uint8_t pf[16], buf[256];
	struct ctl_builder b;
	struct ctl_msg m;
	header_only(pf, SADB_REGISTER, SADB_SATYPE_ESP);
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_PFKEY, CTL_F_REQUEST, 42);
	ctl_put(&b, A_PFKEY, pf, sizeof(pf));
	int n = ctl_build_end(&b);
	assert_int_equal(n, CTL_HDR_LEN + CTL_ATTR_HDR + 16);
	assert_int_equal(ctl_msg_parse(buf, (size_t)n, &m), CTL_OK);
	assert_int_equal(m.hdr.type, CTL_MSG_PFKEY);
	assert_int_equal(m.hdr.seq, 42);
	assert_true(m.attr[A_PFKEY].present);
	assert_int_equal(m.attr[A_PFKEY].len, 16);
	assert_memory_equal(m.attr[A_PFKEY].value, pf, 16);
	/* the attribute cut short, or running past the message: refused */
	struct ctl_hdr h;
	assert_int_equal(ctl_hdr_parse(buf, 10, &h), CTL_E_SHORT);
	buf[CTL_HDR_LEN + 3] = 40;    /* attribute length past the end */
	assert_int_equal(ctl_msg_parse(buf, (size_t)n, &m), CTL_E_ATTR_LEN);
	/* two PF_KEY attributes in one message */
	ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_PFKEY, CTL_F_REQUEST, 43);
	ctl_put(&b, A_PFKEY, pf, sizeof(pf));
	ctl_put(&b, A_PFKEY, pf, sizeof(pf));
	n = ctl_build_end(&b);
	assert_int_equal(ctl_msg_parse(buf, (size_t)n, &m), CTL_E_ATTR_DUP);
}

/* ---- the client library against a scripted server ---- */

static void server_send(int fd, uint16_t type, uint32_t seq, const void *pf, size_t len,
			int err)
{
	uint8_t buf[512];
	struct ctl_builder b;
	ctl_build_begin(&b, buf, sizeof(buf), type, pf ? CTL_F_MULTI : 0, seq);
	if (pf)
		ctl_put(&b, A_PFKEY, pf, len);
	if (type == CTL_MSG_ERROR)
		ctl_put_s32(&b, A_ERRNO, err);
	int n = ctl_build_end(&b);
	assert_int_equal(write(fd, buf, (size_t)n), n);
}

static int answers;
static void count_answer(void *ctx, const void *msg, size_t len)
{
	const uint8_t *p = msg;
	assert_int_equal(p[1], SADB_ADD);
	answers++;
}

static void test_client_library(void **state)
{
	char dir[] = "/tmp/umk-pfkey-XXXXXX", path[108];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	struct umk_pfkey *k = umk_pfkey_open(path);
	assert_non_null(k);
	int fd = accept(ls, NULL, NULL);
	assert_true(fd >= 0);

	uint8_t add[16], acq[16], got[64];
	header_only(add, SADB_ADD, SADB_SATYPE_ESP);
	header_only(acq, SADB_ACQUIRE, SADB_SATYPE_ESP);
	/* the server's script for request seq 1: an ACQUIRE in between, then the answer */
	server_send(fd, CTL_MSG_PFKEY, 0, acq, 16, 0);
	server_send(fd, CTL_MSG_PFKEY, 1, add, 16, 0);
	server_send(fd, CTL_MSG_ERROR, 1, NULL, 0, 0);
	assert_int_equal(umk_pfkey_request(k, add, 16, 1000, count_answer, NULL), 0);
	assert_int_equal(answers, 1);
	/* what the server got: one CTL_MSG_PFKEY with the bytes unchanged */
	uint8_t in[256];
	ssize_t n = read(fd, in, sizeof(in));
	struct ctl_msg m;
	assert_int_equal(ctl_msg_parse(in, (size_t)n, &m), CTL_OK);
	assert_int_equal(m.hdr.type, CTL_MSG_PFKEY);
	assert_int_equal(m.hdr.seq, 1);
	assert_memory_equal(m.attr[A_PFKEY].value, add, 16);
	/* the ACQUIRE was kept for recv */
	assert_int_equal(umk_pfkey_recv(k, got, sizeof(got), 0), 16);
	assert_int_equal(got[1], SADB_ACQUIRE);
	errno = 0;
	assert_int_equal(umk_pfkey_recv(k, got, sizeof(got), 20), -1);
	assert_int_equal(errno, ETIMEDOUT);
	/* a refusal with no PF_KEY answer (the daemon could not read it) */
	assert_int_equal(umk_pfkey_send(k, add, 16), 0);
	server_send(fd, CTL_MSG_ERROR, 2, NULL, 0, EINVAL);
	assert_int_equal(umk_pfkey_recv(k, got, sizeof(got), 1000), -1);
	assert_int_equal(errno, EINVAL);
	/* a buffer too small */
	server_send(fd, CTL_MSG_PFKEY, 0, acq, 16, 0);
	assert_int_equal(umk_pfkey_recv(k, got, 8, 1000), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* bad arguments, then the daemon gone */
	assert_int_equal(umk_pfkey_send(k, add, 8), -1);
	assert_int_equal(errno, EINVAL);
	close(fd);
	assert_int_equal(umk_pfkey_recv(k, got, sizeof(got), 1000), -1);
	assert_int_equal(errno, ECONNRESET);
	umk_pfkey_close(k);
	close(ls);
	unlink(path);
	rmdir(dir);
}

/* ---- message types through pfkey_handle, as a key daemon uses them ---- */

/* The last reply pfkey_handle gave, parsed (its bytes kept for the pointers in m). */
struct last {
	int n;
	uint8_t buf[4096];
	struct pfkey_msg m;
};

static void on_last(void *ctx, const void *msg, size_t len)
{
	struct last *l = ctx;
	assert_true(len <= sizeof(l->buf));
	memcpy(l->buf, msg, len);
	assert_int_equal(pfkey_parse(l->buf, len, &l->m), 0);
	l->n++;
}

/* Sends b's message; the reply's errno (0 = accepted), one reply expected. */
static int handle(struct umk_stack *s, struct pfkey_buf *b, struct last *l)
{
	int n = pfkey_finish(b);
	assert_true(n > 0);
	l->n = 0;
	pfkey_handle(s, b->p, (size_t)n, on_last, l);
	assert_int_equal(l->n, 1);
	return l->m.base.err;
}

static int handle_text(struct umk_stack *s, const char *text, struct last *l)
{
	uint8_t msg[1024];
	size_t len = msg_of(text, msg);
	l->n = 0;
	pfkey_handle(s, msg, len, on_last, l);
	assert_int_equal(l->n, 1);
	return l->m.base.err;
}

static void sa_head(struct pfkey_buf *b, uint8_t *buf, size_t cap, uint8_t type, uint32_t seq,
		    const char *src, const char *dst)
{
	struct pfkey_base h = { .type = type, .satype = SADB_SATYPE_ESP, .seq = seq, .pid = 42 };
	struct pfkey_address a = { .prefixlen = 128, .proto = 255 };
	pfkey_buf_init(b, buf, cap);
	pfkey_emit_base(b, &h);
	inet_pton(AF_INET6, src, &a.addr);
	pfkey_emit_address(b, SADB_EXT_ADDRESS_SRC, &a);
	inet_pton(AF_INET6, dst, &a.addr);
	pfkey_emit_address(b, SADB_EXT_ADDRESS_DST, &a);
}

/* RFC 2367 3.1.1, 3.1.2, 3.1.4: GETSPI makes a LARVAL SA, UPDATE completes it, DELETE
 * removes it; each answer echoes the request's seq and pid. */
static void test_getspi_update_delete(void **state)
{
	struct umk_stack *s = ((struct fx *)*state)->s;
	struct last l;
	uint8_t buf[1024];
	struct pfkey_buf b;
	struct in6_addr dst;
	inet_pton(AF_INET6, "2001:db8::2", &dst);

	/* a range of reserved SPIs only (RFC 4303 2.1): nothing to give */
	sa_head(&b, buf, sizeof(buf), SADB_GETSPI, 11, "2001:db8::1", "2001:db8::2");
	pfkey_emit_spirange(&b, 1, 255);
	assert_int_equal(handle(s, &b, &l), EEXIST);
	assert_int_equal(s->ipsec->n_sas, 0);

	sa_head(&b, buf, sizeof(buf), SADB_GETSPI, 12, "2001:db8::1", "2001:db8::2");
	pfkey_emit_spirange(&b, 0x2000, 0x2000);
	assert_int_equal(handle(s, &b, &l), 0);
	assert_int_equal(l.m.base.type, SADB_GETSPI);
	assert_int_equal(l.m.base.seq, 12);
	assert_int_equal(l.m.base.pid, 42);
	assert_true(PFKEY_HAS(&l.m, SADB_EXT_SA));
	assert_int_equal(l.m.sa.spi, 0x2000);
	assert_int_equal(l.m.sa.state, SADB_SASTATE_LARVAL);
	struct ipsec_sa *sa = sad_lookup(s, 0x2000, &dst, IPPROTO_ESP);
	assert_non_null(sa);
	assert_int_equal(sa->state, SA_LARVAL);
	assert_null(sa->crypto);
	/* the same single SPI again: taken */
	sa_head(&b, buf, sizeof(buf), SADB_GETSPI, 13, "2001:db8::1", "2001:db8::2");
	pfkey_emit_spirange(&b, 0x2000, 0x2000);
	assert_int_equal(handle(s, &b, &l), EEXIST);

	/* UPDATE completes it (keys, window from FreeBSD's extension) */
	sa_head(&b, buf, sizeof(buf), SADB_UPDATE, 14, "2001:db8::1", "2001:db8::2");
	struct pfkey_sa psa = { .spi = 0x2000, .replay = 255, .state = SADB_SASTATE_MATURE,
				.encrypt = SADB_X_EALG_AES_GCM_ICV16 };
	pfkey_emit_sa(&b, &psa);
	static const uint8_t key[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					 17, 18, 19, 20 };
	pfkey_emit_key(&b, SADB_EXT_KEY_ENCRYPT, key, 20);
	pfkey_emit_sa_replay(&b, 4096);
	assert_int_equal(handle(s, &b, &l), 0);
	assert_int_equal(l.m.base.type, SADB_UPDATE);
	assert_false(PFKEY_HAS(&l.m, SADB_EXT_KEY_ENCRYPT));   /* 3.1.2: no keys back */
	sa = sad_lookup(s, 0x2000, &dst, IPPROTO_ESP);
	assert_non_null(sa);
	assert_int_equal(sa->state, SA_MATURE);
	assert_non_null(sa->crypto);
	assert_int_equal(sa->replay.size, 4096);
	assert_true(PFKEY_HAS(&l.m, SADB_X_EXT_SA_REPLAY));
	assert_int_equal(l.m.sa_replay, 4096);
	assert_int_equal(l.m.sa.replay, 255);

	/* UPDATE of an SA that does not exist; a window past the SAD's 65536 */
	sa_head(&b, buf, sizeof(buf), SADB_UPDATE, 15, "2001:db8::1", "2001:db8::2");
	psa.spi = 0x2001;
	pfkey_emit_sa(&b, &psa);
	pfkey_emit_key(&b, SADB_EXT_KEY_ENCRYPT, key, 20);
	assert_int_equal(handle(s, &b, &l), ENOENT);
	sa_head(&b, buf, sizeof(buf), SADB_ADD, 16, "2001:db8::1", "2001:db8::2");
	pfkey_emit_sa(&b, &psa);
	pfkey_emit_key(&b, SADB_EXT_KEY_ENCRYPT, key, 20);
	pfkey_emit_sa_replay(&b, 65537);
	assert_int_equal(handle(s, &b, &l), EINVAL);
	assert_null(sad_lookup(s, 0x2001, &dst, IPPROTO_ESP));
	/* setkey's -r 8192 (bytes) is the largest: 65536 packets */
	assert_int_equal(handle_text(s, "add 2001:db8::1 2001:db8::2 esp 0x2002 -r 8192 "
				     "-E aes-gcm-16 0x0102030405060708090a0b0c0d0e0f1011121314;",
				     &l), 0);
	assert_int_equal(sad_lookup(s, 0x2002, &dst, IPPROTO_ESP)->replay.size, 65536);

	/* DELETE, then DELETE again */
	sa_head(&b, buf, sizeof(buf), SADB_DELETE, 17, "2001:db8::1", "2001:db8::2");
	psa.spi = 0x2000;
	pfkey_emit_sa(&b, &psa);
	assert_int_equal(handle(s, &b, &l), 0);
	assert_int_equal(l.m.base.type, SADB_DELETE);
	assert_int_equal(l.m.sa.spi, 0x2000);
	assert_null(sad_lookup(s, 0x2000, &dst, IPPROTO_ESP));
	assert_int_equal(handle(s, &b, &l), ESRCH);
	assert_int_equal(s->ipsec->n_sas, 1);
}

/* KAME's SPDGET and SPDDELETE2 name a policy by the id SPDADD answered with. */
static void test_spdget_spddelete2(void **state)
{
	struct umk_stack *s = ((struct fx *)*state)->s;
	struct last l;
	uint8_t buf[256];
	struct pfkey_buf b;

	assert_int_equal(handle_text(s, "spdadd 2001:db8:1::/48 2001:db8:2::/48 tcp -P in ipsec "
				     "esp/tunnel/2001:db8::a-2001:db8::b/unique:5;", &l), 0);
	uint32_t id = l.m.policy.id;
	assert_true(id != 0);
	assert_int_equal(handle_text(s, "spdadd 2001:db8::1 2001:db8::2 any -P out discard;", &l),
			 0);
	uint32_t other = l.m.policy.id;
	assert_true(other != id);

	struct pfkey_base h = { .type = SADB_X_SPDGET, .seq = 21 };
	struct pfkey_policy pp = { .type = IPSEC_POLICY_IPSEC, .dir = IPSEC_DIR_INBOUND, .id = id };
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &h);
	pfkey_emit_policy(&b, &pp);
	assert_int_equal(handle(s, &b, &l), 0);
	assert_int_equal(l.m.base.type, SADB_X_SPDGET);
	assert_int_equal(l.m.base.seq, 21);
	assert_int_equal(l.m.policy.id, id);
	assert_int_equal(l.m.policy.dir, IPSEC_DIR_INBOUND);
	assert_int_equal(l.m.policy.type, IPSEC_POLICY_IPSEC);
	assert_int_equal(l.m.policy.n_req, 1);
	assert_int_equal(l.m.policy.req[0].reqid, 5);
	assert_int_equal(l.m.addr[0].prefixlen, 48);
	assert_int_equal(l.m.addr[0].proto, IPPROTO_TCP);
	assert_non_null(spd_get_id(s, id));

	h.type = SADB_X_SPDDELETE2;
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &h);
	pfkey_emit_policy(&b, &pp);
	assert_int_equal(handle(s, &b, &l), 0);
	assert_int_equal(l.m.base.type, SADB_X_SPDDELETE2);
	assert_int_equal(l.m.policy.id, id);
	assert_null(spd_get_id(s, id));
	assert_non_null(spd_get_id(s, other));         /* only that one */
	assert_int_equal(handle(s, &b, &l), ENOENT);
	h.type = SADB_X_SPDGET;
	pfkey_buf_init(&b, buf, sizeof(buf));
	pfkey_emit_base(&b, &h);
	pfkey_emit_policy(&b, &pp);
	assert_int_equal(handle(s, &b, &l), ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_and_broadcast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acquire_expire_registered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promisc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_multi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_getspi_update_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spdget_spddelete2, setup, teardown),
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_client_library),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
