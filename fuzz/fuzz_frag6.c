/*
 * fuzz_frag6.c - reassembly: a stack with 2001:db8::1 receives fragments of one datagram
 * (same source, destination and a few Identifications) whose offsets, lengths, M flags and
 * inner headers come from the input, with time advancing so the timeout runs too.
 *
 * Input: records { u8 id_and_flags; u16 offset; u8 advance; u8 len; len bytes of data }.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <umikame/mgmt.h>
#include <umikame/umikame.h>

static int sink(void *ctx, const void *frame, size_t len) { return 0; }
static const struct umk_link_ops ops = { .transmit = sink };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.pool_small = 128;
	cfg.pool_medium = 4;
	cfg.pool_large = 4;
	cfg.log_level = -1;
	cfg.limits.max_reasm_queues = 4;
	cfg.limits.max_reasm_bytes = 32 * 2048;
	umk_time_t now = 1000;
	struct umk_stack *s = umk_stack_new(&cfg, now);
	if (!s)
		return 0;
	struct umk_if_params p = { .name = "eth0", .lladdr = { 2, 0, 0, 0, 0, 1 }, .mtu = 1500,
				   .ops = &ops };
	int ifx = umk_if_add(s, &p);
	int64_t zero = 0;
	umk_conf_set(s, ifx, "dad_transmits", zero);
	umk_if_up(s, ifx);
	struct in6_addr me, peer;
	inet_pton(AF_INET6, "2001:db8::1", &me);
	inet_pton(AF_INET6, "2001:db8::2", &peer);
	umk_addr_add(s, ifx, &me, 64);

	static const uint8_t nxts[4] = { 58, 17, 60, 6 };
	while (size >= 5) {
		uint8_t flags = data[0];
		uint16_t off = (uint16_t)(data[1] << 8 | data[2]);
		uint8_t adv = data[3], len = data[4];
		data += 5;
		size -= 5;
		if (len > size)
			len = (uint8_t)size;
		uint8_t f[14 + 40 + 8 + 255] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd };
		uint8_t *ip = f + 14;
		uint16_t plen = (uint16_t)(8 + len);
		ip[0] = 0x60;
		ip[4] = (uint8_t)(plen >> 8);
		ip[5] = (uint8_t)plen;
		ip[6] = 44;
		ip[7] = 64;
		memcpy(ip + 8, &peer, 16);
		memcpy(ip + 24, &me, 16);
		uint8_t *fh = ip + 40;
		fh[0] = nxts[flags & 3];
		fh[2] = (uint8_t)(off >> 8);
		fh[3] = (uint8_t)((off & 0xf8) | ((flags >> 2) & 1));
		fh[7] = (uint8_t)(flags >> 5); /* 8 Identifications */
		memcpy(fh + 8, data, len);
		umk_input(s, ifx, f, 14 + 40 + 8 + len);
		data += len;
		size -= len;
		now += (umk_time_t)adv * 500;
		umk_timers_run(s, now);
	}
	umk_stack_free(s);
	return 0;
}
