/*
 * sim_ipsec_gwfrag.c - a security gateway and fragments without ports (RFC 4301 4.4.1's
 * OPAQUE, section 7): G protects UDP to port 5060 of the protected net through an ESP
 * tunnel and lets everything else pass. A datagram too big for one frame leaves H in
 * fragments; only the first carries the ports. Without stateful fragment checking, G
 * must not send the others on in the clear (they carry the rest of the protected
 * datagram), nor take in the clear fragments that a port-specific inbound policy might
 * have required protected (gateway.c, spd.c:spd_opaque_unsafe). Without state, a
 * non-first fragment of a datagram to another port looks the same and is dropped too.
 * Under a policy on the protocol alone, every fragment goes into the tunnel.
 *
 *   [H] eth0 --- link 1 --- eth0 [G] eth1 --- link 2 --- eth0 [P]
 *   2001:db8:1::10      2001:db8:1::1  2001:db8:2::1      2001:db8:2::2 (tunnel end)
 *                        forwarding                       2001:db8:3::3 (protected net)
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <umikame/mgmt.h>
#include <umikame/socket.h>
#include "core/stack_int.h"
#include "ctl/setkey.h"
#include "ipsec/ipsec.h"
#include "sim.h"

static struct sim_net *net;

struct watch {
	int link;
	int clear_frags;              /* fragments between 1::/64 and 3::/64 not inside ESP */
	int esp;
};

static bool in_prefix(const uint8_t *addr, const char *p)
{
	struct in6_addr x;
	inet_pton(AF_INET6, p, &x);
	return memcmp(addr, &x, 8) == 0;
}

static void watch_fn(void *ctx, int link, int port, const uint8_t *f, size_t len, umk_time_t now)
{
	struct watch *w = ctx;
	if (link != w->link || len < 14 + 40 || f[12] != 0x86 || f[13] != 0xdd)
		return;
	const uint8_t *src = f + 14 + 8, *dst = f + 14 + 24;
	if (f[14 + 6] == 50)
		w->esp++;
	else if (f[14 + 6] == 44 && (in_prefix(src, "2001:db8:1::") || in_prefix(dst, "2001:db8:1::")))
		w->clear_frags++;
}

static void on_reply(void *ctx, const void *msg, size_t len)
{
	const uint8_t *p = msg;
	*(int *)ctx = p[2];           /* sadb_msg_errno */
}

/* setkey(8) text into s through PF_KEY, every statement accepted. */
static void setkey(struct umk_stack *s, const char *text)
{
	struct setkey_prog prog = { 0 };
	char err[256] = "";
	if (setkey_parse(text, strlen(text), "t", &prog, err, sizeof(err)))
		fail_msg("%s", err);
	for (size_t i = 0; i < prog.n; i++) {
		int e = -1;
		pfkey_handle(s, prog.cmds[i].msg, prog.cmds[i].len, on_reply, &e);
		assert_int_equal(e, 0);
	}
	setkey_prog_free(&prog);
}

static const char KEYS[] =
	"add 2001:db8:2::1 2001:db8:2::2 esp 0x1000 -m tunnel -E aes-gcm-16 "
	"0x0102030405060708090a0b0c0d0e0f1011121314;\n"
	"add 2001:db8:2::2 2001:db8:2::1 esp 0x2000 -m tunnel -E aes-gcm-16 "
	"0x1112131415161718191a1b1c1d1e1f2021222324;\n";

/* n bytes of UDP from s (bound to src) to dst:port; sent, and 300 ms run */
static void udp_send(struct umk_stack *s, const struct in6_addr *src, const struct in6_addr *dst,
		     uint16_t sport, uint16_t port, size_t n)
{
	static char data[3000];
	int sd = umk_socket(s, AF_INET6, SOCK_DGRAM, 0);
	assert_true(sd >= 0);
	struct sockaddr_in6 me = { .sin6_family = AF_INET6, .sin6_addr = *src,
				   .sin6_port = htons(sport) };
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = *dst,
				   .sin6_port = htons(port) };
	assert_int_equal(umk_bind(s, sd, (struct sockaddr *)&me, sizeof(me)), 0);
	assert_int_equal(umk_sendto(s, sd, data, n, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)n);
	sim_run_for(net, 300);
	umk_close(s, sd);
}

static void test_gateway_fragments(void **state)
{
	static const uint8_t mh[6] = { 2, 0, 0, 0, 1, 0x10 }, mg0[6] = { 2, 0, 0, 0, 1, 1 },
			     mg1[6] = { 2, 0, 0, 0, 2, 1 }, mp[6] = { 2, 0, 0, 0, 2, 2 };
	struct in6_addr h1, g1, g2, p2, p3, n1, n3, any;
	inet_pton(AF_INET6, "2001:db8:1::10", &h1);
	inet_pton(AF_INET6, "2001:db8:1::1", &g1);
	inet_pton(AF_INET6, "2001:db8:2::1", &g2);
	inet_pton(AF_INET6, "2001:db8:2::2", &p2);
	inet_pton(AF_INET6, "2001:db8:3::3", &p3);
	inet_pton(AF_INET6, "2001:db8:1::", &n1);
	inet_pton(AF_INET6, "2001:db8:3::", &n3);
	memset(&any, 0, sizeof(any));

	net = sim_net_new(11);
	int l1 = sim_link_new(net, 1, 0.0), l2 = sim_link_new(net, 1, 0.0);
	struct umk_stack *h = sim_stack_new(net, NULL), *g = sim_stack_new(net, NULL),
			 *p = sim_stack_new(net, NULL);
	int ih = sim_attach(net, l1, h, "eth0", mh, 1500, NULL);
	int ig0 = sim_attach(net, l1, g, "eth0", mg0, 1500, NULL);
	int ig1 = sim_attach(net, l2, g, "eth1", mg1, 1500, NULL);
	int ip = sim_attach(net, l2, p, "eth0", mp, 1500, NULL);
	struct watch w = { .link = l2 };
	sim_watch(net, watch_fn, &w);
	assert_int_equal(umk_conf_set(g, ig0, "forwarding", 1), 0);
	assert_int_equal(umk_conf_set(g, ig1, "forwarding", 1), 0);
	umk_if_up(h, ih);
	umk_if_up(g, ig0);
	umk_if_up(g, ig1);
	umk_if_up(p, ip);
	umk_addr_add(h, ih, &h1, 64);
	umk_addr_add(g, ig0, &g1, 64);
	umk_addr_add(g, ig1, &g2, 64);
	umk_addr_add(p, ip, &p2, 64);
	umk_addr_add(p, ip, &p3, 64);
	assert_int_equal(umk_route_add(h, &any, 0, &g1, ih, 1024), 0);
	assert_int_equal(umk_route_add(g, &n3, 64, &p2, ig1, 1024), 0);
	assert_int_equal(umk_route_add(p, &n1, 64, &g2, ip, 1024), 0);
	sim_run_for(net, 5000);

	setkey(g, KEYS);
	setkey(p, KEYS);
	setkey(g, "spdadd 2001:db8:1::/64[any] 2001:db8:3::/64[5060] udp -P out ipsec "
		  "esp/tunnel/2001:db8:2::1-2001:db8:2::2/require;\n"
		  "spdadd 2001:db8:3::/64[5060] 2001:db8:1::/64[any] udp -P in ipsec "
		  "esp/tunnel/2001:db8:2::2-2001:db8:2::1/require;\n");

	/* outbound: 2,000 bytes to port 5060 leave H as two fragments; the first is
	 * tunnelled, the second (no ports) must not cross link 2 in the clear */
	udp_send(h, &h1, &p3, 4000, 5060, 2000);
	assert_int_equal(g->counters[CNT_IPSEC_FWD_TUNNELLED], 1);
	assert_int_equal(w.clear_frags, 0);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_FWD_OPAQUE], 1);

	/* to a port no policy protects, the first fragment crosses in the clear; the second
	 * cannot be told from one of a datagram to 5060 and is dropped too (the price of
	 * having no stateful fragment checking, RFC 4301 7.3) */
	udp_send(h, &h1, &p3, 4000, 9, 2000);
	assert_int_equal(w.clear_frags, 1);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_FWD_OPAQUE], 2);

	/* inbound: P sends 2,000 bytes from port 5060 in the clear; G's policy wants them
	 * in the tunnel: the first fragment is refused by its ports, the second for having
	 * none, and nothing of it reaches H */
	uint64_t pol = g->counters[CNT_IPSEC_DROP_POLICY];
	uint64_t hin = h->counters[CNT_IP6_IN_RECEIVES];
	udp_send(p, &p3, &h1, 5060, 4000, 2000);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_POLICY], pol + 1);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_FWD_OPAQUE], 3);
	assert_int_equal(h->counters[CNT_IP6_IN_RECEIVES], hin);

	/* from another port the first fragment reaches H, the second does not */
	udp_send(p, &p3, &h1, 7000, 4000, 2000);
	assert_int_equal(h->counters[CNT_IP6_IN_RECEIVES], hin + 1);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_FWD_OPAQUE], 4);

	/* a datagram that fits one frame is judged by its ports as before */
	udp_send(p, &p3, &h1, 7000, 4000, 100);
	assert_int_equal(h->counters[CNT_IP6_IN_RECEIVES], hin + 2);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_FWD_OPAQUE], 4);

	/* a policy on the protocol alone: every fragment names UDP in its Fragment header,
	 * so both go into the tunnel (they used to be matched as protocol 44 and bypass) */
	setkey(g, "spdflush;\n"
		  "spdadd 2001:db8:1::/64 2001:db8:3::/64 udp -P out ipsec "
		  "esp/tunnel/2001:db8:2::1-2001:db8:2::2/require;\n");
	int clear = w.clear_frags;
	uint64_t tun = g->counters[CNT_IPSEC_FWD_TUNNELLED];
	udp_send(h, &h1, &p3, 4000, 9, 2000);
	assert_int_equal(g->counters[CNT_IPSEC_FWD_TUNNELLED], tun + 2);
	assert_int_equal(w.clear_frags, clear);
	assert_int_equal(g->counters[CNT_IPSEC_DROP_FWD_OPAQUE], 4);
	sim_net_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gateway_fragments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
