/*
 * fuzz_sock_ctl.c - the control socket's socket calls (socket/sock_ctl.c) on a real
 * one-interface stack. Two kinds of input, by the first byte:
 *   even: a stream of control messages from one client; each that parses is executed and
 *         answered;
 *   odd:  a program of socket calls built here as well-formed messages, so that the RFC 3542
 *         options and cmsgs are reached deep: UDP and raw sockets, setsockopt of the
 *         extension-header, NEXTHOP and RECV* options with fuzzed values, sendmsg to our
 *         own address (the loopback path brings the headers back to the receive side) with
 *         fuzzed cmsgs, and recvmsg.
 * Sockets it opens are released at the end.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <umikame/mgmt.h>
#include <umikame/socket.h>

#include "ctl/msg.h"
#include "socket/sock_ctl.h"

static int tx(void *ctx, const void *f, size_t len) { return 0; }
static const struct umk_link_ops ops = { .transmit = tx };
static void ev(void *ctx, int sd, short revents) { (void)ctx; (void)sd; (void)revents; }

static uint8_t reply[CTL_MSG_MAX];

/* Builds one request and runs it; the descriptor it names or returns (-1: none). */
struct prog {
	struct umk_stack *s;
	int owner;
	const uint8_t *p, *end;
	uint32_t sds[4];
};

static uint8_t take(struct prog *g)
{
	return g->p < g->end ? *g->p++ : 0;
}

static size_t take_bytes(struct prog *g, uint8_t *out, size_t max)
{
	size_t n = take(g);
	n = n * 8 % (max + 1);          /* whole 8-octet units are the interesting lengths */
	if (n > (size_t)(g->end - g->p))
		n = (size_t)(g->end - g->p);
	memcpy(out, g->p, n);
	g->p += n;
	return n;
}

static uint32_t run(struct prog *g, struct ctl_builder *b)
{
	int len = ctl_build_end(b);
	struct ctl_msg m;
	if (len < 0 || ctl_msg_parse(b->buf, (size_t)len, &m))
		return UINT32_MAX;
	int n = sock_ctl_handle(g->s, &g->owner, ev, NULL, &m, reply, sizeof(reply));
	struct ctl_msg r;
	uint32_t sd = UINT32_MAX;
	if (n > 0 && !ctl_msg_parse(reply, (size_t)n, &r))
		ctl_get_u32(&r, A_SD, &sd);
	return sd;
}

static const int ext_opts[] = {
	IPV6_HOPOPTS, IPV6_DSTOPTS, IPV6_RTHDRDSTOPTS, IPV6_RTHDR, IPV6_NEXTHOP,
	IPV6_RECVHOPOPTS, IPV6_RECVDSTOPTS, IPV6_RECVRTHDR, IPV6_RECVPKTINFO, IPV6_HOPLIMIT,
	IPV6_PKTINFO, IPV6_TCLASS,
};
#define N_EXT (sizeof(ext_opts) / sizeof(ext_opts[0]))

static void program(struct prog *g)
{
	static uint8_t buf[32768];
	uint8_t val[2200];
	struct ctl_builder b;
	for (int steps = 0; g->p < g->end && steps < 64; steps++) {
		uint8_t op = take(g), which = take(g);
		uint32_t sd = g->sds[which & 3];
		switch (op % 5) {
		case 0: {                       /* socket: UDP, raw ICMPv6, raw 253 */
			static const uint32_t kinds[3][2] = { { SOCK_DGRAM, 0 },
				{ SOCK_RAW, IPPROTO_ICMPV6 }, { SOCK_RAW, 253 } };
			ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_SOCK_SOCKET, 0, 1);
			ctl_put_u32(&b, A_DOMAIN, AF_INET6);
			ctl_put_u32(&b, A_SOCKTYPE, kinds[which % 3][0]);
			ctl_put_u32(&b, A_SOCKPROTO, kinds[which % 3][1]);
			g->sds[(which >> 2) & 3] = run(g, &b);
			break;
		}
		case 1: {                       /* setsockopt */
			size_t n = take_bytes(g, val, sizeof(val));
			int name = ext_opts[take(g) % N_EXT];
			if (n >= 4 && (name == IPV6_RECVHOPOPTS || name == IPV6_RECVDSTOPTS ||
				       name == IPV6_RECVRTHDR || name == IPV6_RECVPKTINFO))
				n = 4;
			ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_SOCK_SETSOCKOPT, 0, 1);
			ctl_put_u32(&b, A_SD, sd);
			ctl_put_u32(&b, A_LEVEL, IPPROTO_IPV6);
			ctl_put_u32(&b, A_OPTNAME, (uint32_t)name);
			ctl_put(&b, A_OPTVAL, val, n);
			run(g, &b);
			break;
		}
		case 2: {                       /* sendmsg to ourselves with cmsgs */
			uint8_t ctl[4096];
			size_t used = 0;
			for (int k = take(g) % 4; k > 0; k--) {
				size_t n = take_bytes(g, val, 1024);
				struct cmsghdr c = { .cmsg_len = CMSG_LEN(n), .cmsg_level = IPPROTO_IPV6,
						     .cmsg_type = ext_opts[take(g) % N_EXT] };
				if (used + CMSG_SPACE(n) > sizeof(ctl))
					break;
				memset(ctl + used, 0, CMSG_SPACE(n));
				memcpy(ctl + used, &c, sizeof(c));
				memcpy(ctl + used + CMSG_LEN(0), val, n);
				used += CMSG_SPACE(n);
			}
			uint8_t enc[4400];
			struct msghdr mh = { .msg_control = ctl, .msg_controllen = used };
			int en = used ? ctl_cmsg_encode(&mh, enc, sizeof(enc)) : 0;
			struct sockaddr_in6 to = { .sin6_family = AF_INET6,
						   .sin6_port = htons((uint16_t)(7000 + (which & 1))) };
			to.sin6_addr.s6_addr[0] = 0x20;
			to.sin6_addr.s6_addr[1] = 0x01;
			to.sin6_addr.s6_addr[2] = 0x0d;
			to.sin6_addr.s6_addr[3] = 0xb8;
			to.sin6_addr.s6_addr[15] = (which & 2) ? 2 : 1;  /* ours, or a neighbor */
			ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_SOCK_SENDMSG, 0, 1);
			ctl_put_u32(&b, A_SD, sd);
			uint8_t data[16] = { 128, 0, 0, 0, 1, 2, 3, 4 };
			ctl_put(&b, A_DATA, data, 8 + (which & 8));
			ctl_sockaddr_put(&b, &to);
			if (en > 0)
				ctl_put(&b, A_CMSG, enc, (size_t)en);
			ctl_put_u32(&b, A_MSGFLAGS, 0);
			run(g, &b);
			break;
		}
		case 3: {                       /* recvmsg */
			ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_SOCK_RECVMSG, 0, 1);
			ctl_put_u32(&b, A_SD, sd);
			ctl_put_u32(&b, A_BUFLEN, take(g));
			ctl_put_u32(&b, A_MSGFLAGS, 0);
			run(g, &b);
			break;
		}
		case 4: {                       /* bind a UDP socket to port 7000/7001, or getsockopt */
			if (which & 0x10) {
				ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_SOCK_GETSOCKOPT, 0, 1);
				ctl_put_u32(&b, A_SD, sd);
				ctl_put_u32(&b, A_LEVEL, IPPROTO_IPV6);
				ctl_put_u32(&b, A_OPTNAME, (uint32_t)ext_opts[take(g) % N_EXT]);
				ctl_put_u32(&b, A_BUFLEN, (uint32_t)take(g) * 16);
				run(g, &b);
				break;
			}
			struct sockaddr_in6 a = { .sin6_family = AF_INET6,
						  .sin6_port = htons((uint16_t)(7000 + (which & 1))) };
			ctl_build_begin(&b, buf, sizeof(buf), CTL_MSG_SOCK_BIND, 0, 1);
			ctl_put_u32(&b, A_SD, sd);
			ctl_sockaddr_put(&b, &a);
			run(g, &b);
			break;
		}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.log_level = UMK_LOG_ERR;
	cfg.pool_small = 64;
	cfg.pool_medium = 4;
	cfg.pool_large = 4;
	cfg.limits.max_sockets = 8;
	struct umk_stack *s = umk_stack_new(&cfg, 0);
	struct umk_if_params p = { .name = "eth0", .lladdr = { 2, 0, 0, 0, 0, 1 }, .mtu = 1500,
				   .ops = &ops };
	int ifx = umk_if_add(s, &p);
	umk_if_up(s, ifx);
	if (size && (data[0] & 1)) {
		/* 2001:db8::1 is ours once DAD is over; 2001:db8::2 a neighbor on the link */
		struct in6_addr me = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
		umk_addr_add(s, ifx, &me, 64);
		umk_timers_run(s, 10000);
		struct prog g = { .s = s, .p = data + 1, .end = data + size,
				  .sds = { UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX } };
		program(&g);
		sock_ctl_release(s, &g.owner);
		umk_stack_free(s);
		return 0;
	}
	int owner;
	size_t off = 0;
	while (off < size) {
		struct ctl_hdr h;
		if (ctl_hdr_parse(data + off, size - off, &h) || h.length > size - off)
			break;
		struct ctl_msg m;
		if (!ctl_msg_parse(data + off, h.length, &m) && h.type >= CTL_MSG_SOCK_FIRST &&
		    h.type <= CTL_MSG_SOCK_LAST)
			sock_ctl_handle(s, &owner, ev, NULL, &m, reply, sizeof(reply));
		off += h.length;
	}
	sock_ctl_release(s, &owner);
	umk_stack_free(s);
	return 0;
}
