/*
 * traceroute.c - `umk traceroute [-m MAXHOPS] [-q N] [-w SECONDS] [-I] [-j] DEST[%IF]`:
 * the path to DEST, hop by hop, printed like traceroute6 -n, over the remote socket API.
 *
 * Probes are UDP datagrams to ports 33434 and up, one port per probe, each sent with its
 * hop limit as IPV6_HOPLIMIT ancillary data (RFC 3542 6.3); with -I they are ICMPv6 echo
 * requests (RFC 4443 4.1) with the probe's number as sequence. The answers come on a raw
 * ICMPv6 socket whose ICMP6_FILTER passes the four errors and echo replies (RFC 3542 3.2):
 * a Time Exceeded (RFC 4443 3.3) from each router on the way, then a Port Unreachable
 * (3.1 code 4) or an echo reply from DEST. Other Destination Unreachable codes end the
 * trace, marked as traceroute does (!N no route, !A prohibited, !S beyond scope, !H
 * address unreachable, !P source policy, !R reject route). A probe is matched to its
 * answer by the packet the error quotes (ports, or echo identifier and sequence).
 *
 * Exit status: 0 DEST answered, 1 it did not, 2 a usage error or the daemon failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <umikame/socket.h>

#include "json.h"
#include "umk.h"

#define TR_BASE_PORT  33434       /* traceroute's customary first port */
#define TR_PAYLOAD    32          /* UDP/echo data bytes: 40 + 8 + 32 = 80-byte packets */
#define TR_MAX_PROBES 10

struct tr_opts {
	int max_hops, nprobes;
	double wait;
	bool icmp, json;
	struct sockaddr_in6 dst;
	char text[INET6_ADDRSTRLEN + CTL_IFNAMSIZ + 1];
};

/* What one probe learnt. */
struct tr_probe {
	bool answered;
	struct sockaddr_in6 from;
	double ms;
	uint8_t type, code;
};

struct tr {
	const struct tr_opts *o;
	struct umk_stack *st;
	int usd, rsd;               /* UDP probe socket, raw ICMPv6 socket */
	uint16_t sport, ident;
	const struct link_names *ln;
	uint8_t buf[2048];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage_err(const char *why)
{
	umk_err("traceroute: %s (usage: umk traceroute [-m MAXHOPS] [-q N] [-w SECONDS] [-I] "
		"[-j] DEST[%%IF])", why);
}

static bool num_arg(const char *s, double lo, double hi, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	return s[0] && !*end && !errno && *v >= lo && *v <= hi;
}

static int parse(int argc, char **argv, struct tr_opts *o, char *zone)
{
	const char *dest = NULL;
	double v;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-I")) {
			o->icmp = true;
		} else if (!strcmp(a, "-j")) {
			o->json = true;
		} else if (!strcmp(a, "-m") || !strcmp(a, "-q") || !strcmp(a, "-w")) {
			if (++i == argc) {
				usage_err("an option needs a value");
				return -1;
			}
			bool ok = a[1] == 'm' ? num_arg(argv[i], 1, 255, &v) :
				  a[1] == 'q' ? num_arg(argv[i], 1, TR_MAX_PROBES, &v) :
						num_arg(argv[i], 0.05, 60, &v);
			if (!ok || (a[1] != 'w' && v != floor(v))) {
				char why[96];
				snprintf(why, sizeof(why), "invalid value \"%s\" for %s", argv[i], a);
				usage_err(why);
				return -1;
			}
			if (a[1] == 'm')
				o->max_hops = (int)v;
			else if (a[1] == 'q')
				o->nprobes = (int)v;
			else
				o->wait = v;
		} else if (a[0] == '-' || dest) {
			char why[96];
			snprintf(why, sizeof(why), "unexpected \"%s\"", a);
			usage_err(why);
			return -1;
		} else {
			dest = a;
		}
	}
	if (!dest) {
		usage_err("no destination");
		return -1;
	}
	o->dst.sin6_family = AF_INET6;
	if (!ctl_parse_addr(dest, &o->dst.sin6_addr, zone)) {
		char why[96];
		snprintf(why, sizeof(why), "invalid address \"%s\"", dest);
		usage_err(why);
		return -1;
	}
	snprintf(o->text, sizeof(o->text), "%s", dest);
	return 0;
}

/* ---- the sockets ---- */

static int open_sockets(struct tr *t)
{
	int one = 1;
	t->rsd = umk_socket(t->st, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (t->rsd < 0)
		return -errno;
	struct icmp6_filter f;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
	ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
	ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
	ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
	if (t->o->icmp)
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	if (umk_setsockopt(t->st, t->rsd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) ||
	    umk_setsockopt(t->st, t->rsd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)))
		return -errno;
	if (t->o->icmp)
		return 0;
	t->usd = umk_socket(t->st, AF_INET6, SOCK_DGRAM, 0);
	if (t->usd < 0)
		return -errno;
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
	struct sockaddr_in6 me;
	socklen_t ml = sizeof(me);
	if (umk_bind(t->st, t->usd, (struct sockaddr *)&any, sizeof(any)) ||
	    umk_getsockname(t->st, t->usd, (struct sockaddr *)&me, &ml))
		return -errno;
	t->sport = ntohs(me.sin6_port);
	return 0;
}

/* Sends probe n (0-based over the whole trace) with hop limit hlim. */
static int send_probe(struct tr *t, int n, int hlim)
{
	uint8_t pkt[8 + TR_PAYLOAD];
	memset(pkt, 0, sizeof(pkt));
	for (int i = 0; i < TR_PAYLOAD; i++)
		pkt[8 + i] = (uint8_t)(0x40 + i);
	struct sockaddr_in6 to = t->o->dst;
	struct iovec iov;
	int sd;
	if (t->o->icmp) {
		pkt[0] = ICMP6_ECHO_REQUEST;
		pkt[4] = (uint8_t)(t->ident >> 8);
		pkt[5] = (uint8_t)t->ident;
		pkt[6] = (uint8_t)(n >> 8);
		pkt[7] = (uint8_t)n;
		iov = (struct iovec){ pkt, sizeof(pkt) };
		sd = t->rsd;
	} else {
		to.sin6_port = htons((uint16_t)(TR_BASE_PORT + n));
		iov = (struct iovec){ pkt + 8, TR_PAYLOAD };
		sd = t->usd;
	}
	/* RFC 3542 6.3: this probe's hop limit, whatever the socket's */
	char ctl[CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof(ctl));
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_HOPLIMIT;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &hlim, sizeof(hlim));
	return umk_sendmsg(t->st, sd, &mh, 0) < 0 ? -errno : 0;
}

/* Which probe an ICMPv6 message answers: its number, or -1 when it is not about ours. */
static int match(const struct tr *t, const uint8_t *m, size_t len)
{
	if (len < 8)
		return -1;
	if (m[0] == ICMP6_ECHO_REPLY)
		return t->o->icmp && (m[4] << 8 | m[5]) == t->ident ? (m[6] << 8 | m[7]) : -1;
	uint8_t proto;
	int off = quoted_ulp(m + 8, len - 8, &proto);
	if (off < 0)
		return -1;
	const uint8_t *q = m + 8 + off;
	if (t->o->icmp)
		return proto == IPPROTO_ICMPV6 && q[0] == ICMP6_ECHO_REQUEST &&
		       (q[4] << 8 | q[5]) == t->ident ? (q[6] << 8 | q[7]) : -1;
	if (proto != IPPROTO_UDP || (q[0] << 8 | q[1]) != t->sport)
		return -1;
	int dport = q[2] << 8 | q[3];
	return dport >= TR_BASE_PORT ? dport - TR_BASE_PORT : -1;
}

/* Waits for the answer to probe n, sent at `sent`. 0 (answered or not), negative errno
 * when the daemon went away. */
static int wait_probe(struct tr *t, int n, double sent, struct tr_probe *pr)
{
	double until = sent + t->o->wait;
	memset(pr, 0, sizeof(*pr));
	for (;;) {
		double left = until - now_s();
		if (left <= 0)
			return 0;
		struct umk_pollfd pf = { .sd = t->rsd, .events = POLLIN };
		int r = umk_poll(t->st, &pf, 1, (int)ceil(left * 1000.0));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0 || !(pf.revents & POLLIN))
			continue;
		struct sockaddr_in6 from;
		char ctl[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct iovec iov = { t->buf, sizeof(t->buf) };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
				     .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		ssize_t got = umk_recvmsg(t->st, t->rsd, &mh, MSG_DONTWAIT);
		double at = now_s();
		if (got < 0) {
			if (errno == ECONNRESET || errno == EPROTO || errno == ETIMEDOUT)
				return -errno;
			continue;
		}
		if (match(t, t->buf, (size_t)got) != n)
			continue;        /* late answer to an earlier probe, or not ours */
		pr->answered = true;
		pr->from = from;
		pr->ms = (at - sent) * 1000.0;
		pr->type = t->buf[0];
		pr->code = t->buf[1];
		return 0;
	}
}

/* traceroute's marks for a Destination Unreachable that ends the trace (RFC 4443 3.1). */
static const char *mark(const struct tr_probe *pr)
{
	if (pr->type == ICMP6_PACKET_TOO_BIG)
		return "!F";
	if (pr->type == ICMP6_PARAM_PROB)
		return "!P";
	if (pr->type != ICMP6_DST_UNREACH || pr->code == ICMP6_DST_UNREACH_NOPORT)
		return NULL;
	static const char *const m[] = { "!N", "!A", "!S", "!H", NULL, "!P", "!R" };
	return pr->code < sizeof(m) / sizeof(m[0]) && m[pr->code] ? m[pr->code] : "!X";
}

static bool reached(const struct tr_probe *pr)
{
	return pr->answered && (pr->type == ICMP6_ECHO_REPLY ||
				(pr->type == ICMP6_DST_UNREACH && pr->code == ICMP6_DST_UNREACH_NOPORT));
}

static int run(struct tr *t, struct json *j)
{
	const struct tr_opts *o = t->o;
	bool done = false, got_there = false;
	char a[INET6_ADDRSTRLEN + CTL_IFNAMSIZ + 1];
	if (!o->json) {
		printf("traceroute to %s (%s), %d hops max, %d byte packets\n", o->text, o->text,
		       o->max_hops, 40 + 8 + TR_PAYLOAD);
		fflush(stdout);
	} else {
		json_begin_object(j, NULL);
		json_str(j, "destination", o->text);
		json_int(j, "max_hops", o->max_hops);
		json_int(j, "probes", o->nprobes);
		json_str(j, "method", o->icmp ? "icmp" : "udp");
		json_begin_array(j, "hops");
	}
	for (int h = 1; h <= o->max_hops && !done; h++) {
		struct sockaddr_in6 last = { 0 };
		bool have_last = false;
		if (o->json) {
			json_begin_object(j, NULL);
			json_int(j, "hop", h);
			json_begin_array(j, "probes");
		} else {
			printf("%2d ", h);
		}
		for (int q = 0; q < o->nprobes; q++) {
			int n = (h - 1) * o->nprobes + q;
			double sent = now_s();
			int e = send_probe(t, n, h);
			struct tr_probe pr = { .answered = false };
			if (!e)
				e = wait_probe(t, n, sent, &pr);
			if (e) {
				if (!o->json)
					printf("\n");
				umk_err("traceroute: %s", strerror(-e));
				return 2;
			}
			const char *mk = pr.answered ? mark(&pr) : NULL;
			if (pr.answered)
				addr_text(t->ln, &pr.from, a, sizeof(a));
			if (o->json) {
				json_begin_object(j, NULL);
				if (pr.answered) {
					json_str(j, "address", a);
					json_uint(j, "rtt_us", (uint64_t)(pr.ms * 1000.0 + 0.5));
					json_int(j, "icmp_type", pr.type);
					json_int(j, "icmp_code", pr.code);
					if (mk)
						json_str(j, "mark", mk);
				} else {
					json_bool(j, "timeout", true);
				}
				json_end_object(j);
			} else if (!pr.answered) {
				printf(" *");
			} else {
				/* a new address is named before its time, as traceroute does */
				if (!have_last || memcmp(&last.sin6_addr, &pr.from.sin6_addr, 16))
					printf(" %s", a);
				printf("  ");
				print_rtt(pr.ms);
				printf(" ms%s%s", mk ? " " : "", mk ? mk : "");
				last = pr.from;
				have_last = true;
			}
			if (!o->json)
				fflush(stdout);
			if (reached(&pr))
				got_there = done = true;
			else if (mk)
				done = true;
		}
		if (o->json) {
			json_end_array(j);
			json_end_object(j);
		} else {
			printf("\n");
		}
	}
	if (o->json) {
		json_end_array(j);
		json_bool(j, "reached", got_there);
		json_end_object(j);
	}
	return got_there ? 0 : 1;
}

int traceroute_run(const char *sockpath, bool json, int argc, char **argv)
{
	struct tr_opts o = { .max_hops = 30, .nprobes = 3, .wait = 5.0, .json = json };
	struct link_names ln;
	char zone[CTL_IFNAMSIZ] = "", msg[256] = "";
	if (parse(argc, argv, &o, zone))
		return 2;

	struct ctl_client *c = malloc(sizeof(*c));
	if (!c) {
		umk_err("traceroute: out of memory");
		return 2;
	}
	int e = client_connect(c, sockpath);
	if (!e)
		e = link_names_load(c, &ln, msg, sizeof(msg));
	if (e) {
		umk_err("traceroute: %s", msg[0] ? msg : strerror(-e));
		free(c);
		return 2;
	}
	client_close(c);
	free(c);
	if (zone[0] && !(o.dst.sin6_scope_id = (uint32_t)link_index(&ln, zone))) {
		umk_err("traceroute: no interface \"%s\"", zone);
		return 2;
	}

	struct tr *t = calloc(1, sizeof(*t));
	if (!t) {
		umk_err("traceroute: out of memory");
		return 2;
	}
	t->o = &o;
	t->ln = &ln;
	t->usd = t->rsd = -1;
	if (getrandom(&t->ident, sizeof(t->ident), 0) != sizeof(t->ident))
		t->ident = (uint16_t)getpid();
	int status = 2;
	t->st = umk_stack_open(sockpath);
	if (!t->st) {
		umk_err("traceroute: cannot connect to %s: %s", sockpath, strerror(errno));
		goto out;
	}
	if ((e = open_sockets(t))) {
		umk_err("traceroute: opening the sockets: %s", strerror(-e));
		goto out;
	}
	/* JSON is printed whole or not at all, as show.c does */
	char *jbuf = NULL;
	size_t jlen = 0;
	FILE *mf = o.json ? open_memstream(&jbuf, &jlen) : NULL;
	if (o.json && !mf) {
		umk_err("traceroute: out of memory");
		goto out;
	}
	struct json j;
	json_init(&j, mf);
	status = run(t, &j);
	if (mf) {
		if (status != 2)
			json_finish(&j);
		fclose(mf);
		if (status != 2)
			fwrite(jbuf, 1, jlen, stdout);
		free(jbuf);
	}
out:
	if (t->st) {
		if (t->usd >= 0)
			umk_close(t->st, t->usd);
		if (t->rsd >= 0)
			umk_close(t->st, t->rsd);
		umk_stack_close(t->st);
	}
	free(t);
	return status;
}
