/*
 * fuzz_sock_ctl.c - the control socket's socket calls (socket/sock_ctl.c) on a real
 * one-interface stack: the input is a stream of control messages from one client; each
 * that parses is executed and answered. Sockets it opens are released at the end.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <umikame/mgmt.h>
#include <umikame/socket.h>

#include "ctl/msg.h"
#include "socket/sock_ctl.h"

static int tx(void *ctx, const void *f, size_t len) { return 0; }
static const struct umk_link_ops ops = { .transmit = tx };
static void ev(void *ctx, int sd, short revents) { (void)ctx; (void)sd; (void)revents; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t reply[CTL_MSG_MAX];
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
