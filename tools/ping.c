/*
 * ping.c - `umk ping`: ICMPv6 echo (RFC 4443 4.1, 4.2) over a raw ICMPv6 socket of the
 * remote socket API (RFC 3542 3: ICMP6_FILTER passes echo replies and the four errors,
 * IPV6_RECVHOPLIMIT gives each reply's hop limit), printed like iputils ping. The requests
 * are built here, the stack fills in the checksum; the round-trip times are measured here,
 * from the moment the request left umk, so they include the control socket (a few
 * microseconds). Also the interface names <-> indexes that ping and traceroute print
 * (LINK_LIST on the management connection).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <umikame/socket.h>

#include "umk.h"
#include "wire/icmp6.h"

/* ---- interface names ---- */

static int link_item(void *ctx, const struct ctl_msg *m)
{
	struct link_names *ln = ctx;
	uint32_t idx = 0;
	const char *name = ctl_get_str(m, A_IFNAME);
	if (!ctl_get_u32(m, A_IFINDEX, &idx) || !name ||
	    ln->n >= (int)(sizeof(ln->l) / sizeof(ln->l[0])))
		return 0;
	ln->l[ln->n].index = (int)idx;
	snprintf(ln->l[ln->n].name, sizeof(ln->l[ln->n].name), "%s", name);
	ln->n++;
	return 0;
}

int link_names_load(struct ctl_client *c, struct link_names *ln, char *msg, size_t msglen)
{
	struct ctl_req r = { .type = CTL_MSG_LINK_LIST };
	ln->n = 0;
	return client_request(c, &r, link_item, ln, msg, msglen);
}

int link_index(const struct link_names *ln, const char *name)
{
	for (int i = 0; i < ln->n; i++)
		if (strcmp(ln->l[i].name, name) == 0)
			return ln->l[i].index;
	return 0;
}

const char *link_name(const struct link_names *ln, int index)
{
	for (int i = 0; i < ln->n; i++)
		if (ln->l[i].index == index)
			return ln->l[i].name;
	return "?";
}

void addr_text(const struct link_names *ln, const struct sockaddr_in6 *a, char *out, size_t n)
{
	if (!inet_ntop(AF_INET6, &a->sin6_addr, out, (socklen_t)n))
		snprintf(out, n, "?");
	/* RFC 4007 11: a link-local address is shown with its zone */
	if (IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr) && a->sin6_scope_id)
		snprintf(out + strlen(out), n - strlen(out), "%%%s",
			 link_name(ln, (int)a->sin6_scope_id));
}

/* ---- ping ---- */

/* set by SIGINT: stop sending, print the statistics (like ping) */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) { interrupted = 1; }

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define ECHO_HLEN 8

struct ping_state {
	const struct ctl_ping *p;
	struct umk_stack *st;
	int sd;
	const struct link_names *ln;
	uint16_t ident;
	long sent, received, errors, dups;
	double *sent_at;           /* by seq % 65536; 0 = not outstanding */
	uint8_t *seen;
	uint8_t *buf;              /* one message: request to send, or what came */
	size_t buflen;
	double min, max, sum, sum2;
	char dst[INET6_ADDRSTRLEN + CTL_IFNAMSIZ + 1];
};

static const char *unreach_reason(uint8_t code)
{
	/* RFC 4443 3.1 codes, in iputils' words */
	static const char *const r[] = {
		"No route", "Administratively prohibited", "Beyond scope of source address",
		"Address unreachable", "Port unreachable", "Source address failed ingress/egress policy",
		"Reject route to destination",
	};
	return code < sizeof(r) / sizeof(r[0]) ? r[code] : "Unknown code";
}

void print_rtt(double ms)
{
	if (ms < 1)
		printf("%.3f", ms);
	else if (ms < 10)
		printf("%.2f", ms);
	else if (ms < 100)
		printf("%.1f", ms);
	else
		printf("%.0f", ms);
}

/* Where the quoted packet of an ICMPv6 error has its upper-layer header: skips the
 * extension headers (RFC 8200 4); -1 when it is cut short or not ICMPv6/UDP. */
int quoted_ulp(const uint8_t *q, size_t qlen, uint8_t *proto)
{
	if (qlen < 40 || (q[0] >> 4) != 6)
		return -1;
	uint8_t nxt = q[6];
	size_t off = 40;
	while (nxt == 0 || nxt == 43 || nxt == 60 || nxt == 44) {
		if (off + 8 > qlen)
			return -1;
		if (nxt == 44 && ((q[off + 2] << 8 | q[off + 3]) & 0xfff8))
			return -1;           /* a later fragment: no header to see */
		size_t l = nxt == 44 ? 8 : ((size_t)q[off + 1] + 1) * 8;
		nxt = q[off];
		off += l;
	}
	if (off + 8 > qlen)
		return -1;
	*proto = nxt;
	return (int)off;
}

static void on_message(struct ping_state *st, const uint8_t *m, size_t len,
		       const struct sockaddr_in6 *from, int hlim)
{
	if (len < ECHO_HLEN)
		return;
	double t = now_s();
	uint8_t type = m[0], code = m[1];
	uint16_t ident, seq;
	char a[INET6_ADDRSTRLEN + CTL_IFNAMSIZ + 1];

	if (type == ICMP6_ECHO_REPLY) {
		ident = (uint16_t)(m[4] << 8 | m[5]);
		seq = (uint16_t)(m[6] << 8 | m[7]);
		if (ident != st->ident)
			return;
		double sent = st->sent_at[seq];
		bool dup = st->seen[seq];
		if (sent <= 0)
			return; /* not one we are waiting for (an old run of ours) */
		bool bad = len != ECHO_HLEN + st->p->size ||
			   !icmp6_echo_payload_ok(m + ECHO_HLEN, (uint32_t)(len - ECHO_HLEN));
		double ms = (t - sent) * 1000.0;
		if (!dup) {
			st->seen[seq] = 1;
			st->received++;
			st->sum += ms;
			st->sum2 += ms * ms;
			if (st->received == 1 || ms < st->min)
				st->min = ms;
			if (ms > st->max)
				st->max = ms;
		} else {
			st->dups++;
		}
		addr_text(st->ln, from, a, sizeof(a));
		printf("%zu bytes from %s: icmp_seq=%u ttl=%d time=", len, a, seq, hlim);
		print_rtt(ms);
		printf(" ms%s%s\n", dup ? " (DUP!)" : "", bad ? " (wrong data)" : "");
		fflush(stdout);
		return;
	}
	if (type < 1 || type > 4)
		return;
	/* RFC 4443 2.4 (b): an error quotes the packet that caused it; ours if it is one of
	 * our echo requests */
	uint8_t proto;
	int off = quoted_ulp(m + 8, len - 8, &proto);
	if (off < 0 || proto != IPPROTO_ICMPV6)
		return;
	const uint8_t *q = m + 8 + off;
	ident = (uint16_t)(q[4] << 8 | q[5]);
	seq = (uint16_t)(q[6] << 8 | q[7]);
	if (q[0] != ICMP6_ECHO_REQUEST || ident != st->ident)
		return;
	st->errors++;
	addr_text(st->ln, from, a, sizeof(a));
	printf("From %s icmp_seq=%u ", a, seq);
	switch (type) {
	case 1: printf("Destination unreachable: %s\n", unreach_reason(code)); break;
	case 2: printf("Packet too big\n"); break;
	case 3: printf("Time exceeded: %s\n", code ? "Fragment reassembly time exceeded" :
						    "Hop limit"); break;
	default: printf("Parameter problem: code %u\n", code); break;
	}
	fflush(stdout);
}

/* Reads messages until `until` (seconds, monotonic) or a reply for every request. 0, or a
 * negative errno when the daemon went away. */
static int wait_replies(struct ping_state *st, double until, bool stop_when_all)
{
	for (;;) {
		if (interrupted)
			return 0;
		if (stop_when_all && st->received + st->errors >= st->sent)
			return 0;
		double left = until - now_s();
		if (left <= 0)
			return 0;
		struct umk_pollfd pf = { .sd = st->sd, .events = POLLIN };
		int n = umk_poll(st->st, &pf, 1, (int)ceil(left * 1000.0));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0 || !(pf.revents & POLLIN))
			continue;
		struct sockaddr_in6 from;
		char ctl[CMSG_SPACE(sizeof(int)) * 2];
		struct iovec iov = { st->buf, st->buflen };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
				     .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		ssize_t r = umk_recvmsg(st->st, st->sd, &mh, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ECONNRESET || errno == EPROTO || errno == ETIMEDOUT)
				return -errno;
			continue;    /* an asynchronous error on the socket: not ours to print */
		}
		int hlim = -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hlim, CMSG_DATA(c), sizeof(hlim));
		on_message(st, st->buf, (size_t)r, &from, hlim);
	}
}

static int send_one(struct ping_state *st, const struct sockaddr_in6 *to, uint16_t seq)
{
	uint8_t *m = st->buf;
	size_t len = ECHO_HLEN + st->p->size;
	memset(m, 0, ECHO_HLEN);
	m[0] = ICMP6_ECHO_REQUEST;       /* checksum: the stack's (RFC 3542 3.1) */
	m[4] = (uint8_t)(st->ident >> 8);
	m[5] = (uint8_t)st->ident;
	m[6] = (uint8_t)(seq >> 8);
	m[7] = (uint8_t)seq;
	icmp6_echo_payload_fill(m + ECHO_HLEN, st->p->size);
	st->sent_at[seq] = now_s();
	st->seen[seq] = 0;
	ssize_t r = umk_sendto(st->st, st->sd, m, len, 0, (const struct sockaddr *)to, sizeof(*to));
	return r < 0 ? -errno : 0;
}

/* The raw socket with its options; the descriptor or a negative errno (msg says why). */
static int open_socket(struct ping_state *st, int oif, char *msg, size_t msglen)
{
	int sd = umk_socket(st->st, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), one = 1;
	if (sd < 0)
		return -errno;
	struct icmp6_filter f;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
	ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
	ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
	ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
	if (umk_setsockopt(st->st, sd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) ||
	    umk_setsockopt(st->st, sd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)))
		goto fail;
	if (st->p->hlim) {
		int h = (int)st->p->hlim;
		if (umk_setsockopt(st->st, sd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &h, sizeof(h)) ||
		    umk_setsockopt(st->st, sd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &h, sizeof(h)))
			goto fail;
	}
	if (oif) {
		/* -I: every request leaves through that interface (RFC 3542 6.1, 6.7) */
		struct in6_pktinfo pi = { .ipi6_ifindex = (unsigned)oif };
		if (umk_setsockopt(st->st, sd, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi)) ||
		    umk_setsockopt(st->st, sd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &oif, sizeof(oif)))
			goto fail;
	}
	return sd;
fail:;
	int e = errno;
	umk_close(st->st, sd);
	snprintf(msg, msglen, "setting up the raw ICMPv6 socket: %s", strerror(e));
	return -e;
}

int ping_run(struct ctl_client *c, const char *sockpath, const struct ctl_ping *p)
{
	struct link_names ln;
	struct ping_state st = { .p = p, .ln = &ln, .sd = -1 };
	char msg[256] = "";
	int status = 2;

	int e = link_names_load(c, &ln, msg, sizeof(msg));
	if (e) {
		umk_err("ping: %s", umk_strerror(-e, msg));
		return 2;
	}
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = p->dst };
	int oif = 0;
	if (p->zone[0] && !(to.sin6_scope_id = (uint32_t)link_index(&ln, p->zone))) {
		umk_err("ping: no interface \"%s\"", p->zone);
		return 2;
	}
	if (p->oif[0] && !(oif = link_index(&ln, p->oif))) {
		umk_err("ping: no interface \"%s\"", p->oif);
		return 2;
	}
	st.buflen = ECHO_HLEN + (size_t)p->size + 64;
	st.sent_at = calloc(65536, sizeof(double));
	st.seen = calloc(65536, 1);
	st.buf = malloc(st.buflen);
	if (!st.sent_at || !st.seen || !st.buf) {
		umk_err("ping: out of memory");
		goto out;
	}
	st.st = umk_stack_open(sockpath);
	if (!st.st) {
		umk_err("ping: cannot connect to %s: %s", sockpath, strerror(errno));
		goto out;
	}
	if ((st.sd = open_socket(&st, oif, msg, sizeof(msg))) < 0) {
		umk_err("ping: %s", msg[0] ? msg : strerror(-st.sd));
		goto out;
	}
	inet_ntop(AF_INET6, &p->dst, st.dst, INET6_ADDRSTRLEN);
	if (p->zone[0])
		snprintf(st.dst + strlen(st.dst), sizeof(st.dst) - strlen(st.dst), "%%%s", p->zone);
	if (getrandom(&st.ident, sizeof(st.ident), 0) != sizeof(st.ident))
		st.ident = (uint16_t)getpid();

	struct sigaction sa = { .sa_handler = on_sigint };
	sigaction(SIGINT, &sa, NULL);

	double start = now_s();
	for (long i = 0; !interrupted && (p->count == 0 || i < p->count); i++) {
		uint16_t seq = (uint16_t)((i + 1) & 0xffff);
		e = send_one(&st, &to, seq);
		if (i == 0 && !e)
			printf("PING %s(%s) %u data bytes\n", st.dst, st.dst, p->size);
		if (e) {
			st.sent_at[seq] = 0;
			if (i == 0 || e == -ECONNRESET || e == -EPROTO) {
				umk_err("ping: %s", umk_strerror(-e, NULL));
				goto out;
			}
			printf("umk: ping: send: %s\n", umk_strerror(-e, NULL));
			st.errors++;
		}
		st.sent++;
		fflush(stdout);
		bool last = p->count && i + 1 == p->count;
		double until = last ? now_s() + p->wait : st.sent_at[seq] + p->interval;
		if (!st.sent_at[seq])
			until = now_s() + (last ? 0 : p->interval);
		int r = wait_replies(&st, until, last);
		if (r < 0) {
			umk_err("ping: %s", strerror(-r));
			goto out;
		}
	}
	double elapsed = (now_s() - start) * 1000.0;
	printf("\n--- %s ping statistics ---\n", st.dst);
	printf("%ld packets transmitted, %ld received", st.sent, st.received);
	if (st.dups)
		printf(", +%ld duplicates", st.dups);
	if (st.errors)
		printf(", +%ld errors", st.errors);
	printf(", %ld%% packet loss, time %.0fms\n",
	       st.sent ? (st.sent - st.received) * 100 / st.sent : 0, elapsed);
	if (st.received) {
		double avg = st.sum / (double)st.received;
		double var = st.sum2 / (double)st.received - avg * avg;
		printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", st.min, avg, st.max,
		       var > 0 ? sqrt(var) : 0.0);
	}
	status = st.received ? 0 : 1;
out:
	if (st.st) {
		if (st.sd >= 0)
			umk_close(st.st, st.sd);
		umk_stack_close(st.st);
	}
	free(st.sent_at);
	free(st.seen);
	free(st.buf);
	return status;
}
