/*
 * ping.c - `umk ping`: ICMPv6 echo through the daemon (RFC 4443 4.1, 4.2), printed like
 * iputils ping. The daemon sends each request and streams back the replies and the errors
 * that quote our requests; the round-trip times are measured here, from the moment the
 * request left umk, so they include the control socket (a few microseconds).
 */
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

#include "umk.h"

/* set by SIGINT: stop sending, print the statistics (like ping) */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) { interrupted = 1; }

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ping_state {
	const struct ctl_ping *p;
	uint16_t ident;
	long sent, received, errors, dups;
	double *sent_at;           /* by seq % 65536; 0 = not outstanding */
	uint8_t *seen;
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

static void print_rtt(double ms)
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

static void on_event(void *ctx, const struct ctl_msg *m)
{
	struct ping_state *st = ctx;
	uint16_t ident = 0, seq = 0;
	uint8_t type = 0, code = 0, hlim = 0, bad = 0;
	uint32_t len = 0;
	const uint8_t *from = ctl_get_bytes(m, A_ADDR);
	ctl_get_u16(m, A_IDENT, &ident);
	if (ident != st->ident || !from)
		return;
	double t = now_s();
	ctl_get_u16(m, A_SEQ, &seq);
	ctl_get_u8(m, A_ICMP_TYPE, &type);
	ctl_get_u8(m, A_ICMP_CODE, &code);
	ctl_get_u8(m, A_HLIM, &hlim);
	ctl_get_u8(m, A_BAD, &bad);
	ctl_get_u32(m, A_LEN, &len);

	char a[INET6_ADDRSTRLEN + CTL_IFNAMSIZ + 1];
	if (!inet_ntop(AF_INET6, from, a, INET6_ADDRSTRLEN))
		strcpy(a, "?");
	/* RFC 4007 11: a link-local source is shown with its zone */
	const char *ifn = ctl_get_str(m, A_IFNAME);
	if (ifn && from[0] == 0xfe && (from[1] & 0xc0) == 0x80)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), "%%%s", ifn);

	if (type == 129) {
		double sent = st->sent_at[seq];
		bool dup = st->seen[seq];
		if (sent <= 0)
			return; /* not one we are waiting for (an old run of ours) */
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
		printf("%u bytes from %s: icmp_seq=%u ttl=%u time=", len, a, seq, hlim);
		print_rtt(ms);
		printf(" ms%s%s\n", dup ? " (DUP!)" : "", bad ? " (wrong data)" : "");
		fflush(stdout);
		return;
	}
	st->errors++;
	printf("From %s icmp_seq=%u ", a, seq);
	switch (type) {
	case 1: printf("Destination unreachable: %s\n", unreach_reason(code)); break;
	case 2: printf("Packet too big\n"); break;
	case 3: printf("Time exceeded: %s\n", code ? "Fragment reassembly time exceeded" :
						    "Hop limit"); break;
	case 4: printf("Parameter problem: code %u\n", code); break;
	default: printf("ICMPv6 type %u code %u\n", type, code); break;
	}
	fflush(stdout);
}

/* Reads events until `until` (seconds, monotonic) or a reply for every request. */
static int wait_events(struct ctl_client *c, struct ping_state *st, double until, bool stop_when_all)
{
	for (;;) {
		if (interrupted)
			return 0;
		if (stop_when_all && st->received + st->errors >= st->sent)
			return 0;
		double left = until - now_s();
		if (left <= 0)
			return 0;
		struct ctl_msg m;
		int r = client_recv(c, &m, (int)ceil(left * 1000.0));
		if (r < 0)
			return r;
		if (r > 0 && m.hdr.type == CTL_MSG_ECHO_EVENT)
			on_event(st, &m);
	}
}

static int send_one(struct ctl_client *c, struct ping_state *st, uint16_t seq, char *msg,
		    size_t msglen)
{
	struct ctl_req r = { .type = CTL_MSG_ECHO_SEND, .has_addr = true, .addr = st->p->dst,
			     .ident = st->ident, .seq = seq, .size = st->p->size,
			     .hlim = (uint8_t)st->p->hlim };
	strcpy(r.zone, st->p->zone);
	strcpy(r.oif, st->p->oif);
	st->sent_at[seq] = now_s();
	st->seen[seq] = 0;
	return client_request(c, &r, NULL, on_event, st, msg, msglen);
}

int ping_run(struct ctl_client *c, const struct ctl_ping *p)
{
	struct ping_state st = { .p = p };
	char msg[256];
	st.sent_at = calloc(65536, sizeof(double));
	st.seen = calloc(65536, 1);
	if (!st.sent_at || !st.seen) {
		umk_err("ping: out of memory");
		return 2;
	}
	inet_ntop(AF_INET6, &p->dst, st.dst, INET6_ADDRSTRLEN);
	if (p->zone[0])
		snprintf(st.dst + strlen(st.dst), sizeof(st.dst) - strlen(st.dst), "%%%s", p->zone);
	if (getrandom(&st.ident, sizeof(st.ident), 0) != sizeof(st.ident))
		st.ident = (uint16_t)getpid();

	struct sigaction sa = { .sa_handler = on_sigint };
	sigaction(SIGINT, &sa, NULL);

	double start = now_s();
	int status = 0;
	for (long i = 0; !interrupted && (p->count == 0 || i < p->count); i++) {
		uint16_t seq = (uint16_t)((i + 1) & 0xffff);
		int e = send_one(c, &st, seq, msg, sizeof(msg));
		/* another client's ping holds this identifier: take another one */
		for (int tries = 0; e == -EADDRINUSE && i == 0 && tries < 8; tries++) {
			st.ident = (uint16_t)(st.ident * 31 + 7);
			e = send_one(c, &st, seq, msg, sizeof(msg));
		}
		if (i == 0 && !e)
			printf("PING %s(%s) %u data bytes\n", st.dst, st.dst, p->size);
		if (e) {
			st.sent_at[seq] = 0;
			if (i == 0 || e == -ECONNRESET || e == -EPROTO) {
				umk_err("ping: %s", umk_strerror(-e, msg));
				status = 2;
				goto out;
			}
			printf("umk: ping: send: %s\n", umk_strerror(-e, msg));
			st.errors++;
		}
		st.sent++;
		fflush(stdout);
		bool last = p->count && i + 1 == p->count;
		double until = last ? now_s() + p->wait : st.sent_at[seq] + p->interval;
		if (!st.sent_at[seq])
			until = now_s() + (last ? 0 : p->interval);
		int r = wait_events(c, &st, until, last);
		if (r < 0) {
			umk_err("ping: %s", strerror(-r));
			status = 2;
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
	free(st.sent_at);
	free(st.seen);
	return status;
}
