/*
 * fuzz_input.c - the whole frame input path: a fresh stack with one interface up and a
 * manual global address, then a sequence of frames from the input, with time advancing
 * between them so timers (reassembly, NUD, DAD, MLD) run too.
 *
 * Input: repeated records { u8 advance_ms_div4; u16 len (big endian); len bytes of frame }.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <umikame/mgmt.h>
#include <umikame/umikame.h>

static int sink(void *ctx, const void *frame, size_t len)
{
	/* touch every byte so ASan sees out-of-bounds frames the stack emits */
	const volatile uint8_t *b = frame;
	uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= b[i];
	(void)x;
	return 0;
}

static const struct umk_link_ops ops = { .transmit = sink };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.pool_small = 64;
	cfg.pool_medium = 4;
	cfg.pool_large = 4;
	cfg.log_level = -1;
	umk_time_t now = 1000;
	struct umk_stack *s = umk_stack_new(&cfg, now);
	if (!s)
		return 0;
	struct umk_if_params ip = { .name = "fz0", .lladdr = { 0x02, 0, 0, 0, 0, 1 },
				    .mtu = 1500, .ops = &ops };
	int idx = umk_if_add(s, &ip);
	umk_conf_set(s, idx, "dad_transmits", 0);
	umk_if_up(s, idx);
	struct in6_addr a;
	inet_pton(AF_INET6, "2001:db8::1", &a);
	umk_addr_add(s, idx, &a, 64);
	umk_timers_run(s, now += 2000);

	size_t off = 0;
	while (off + 3 <= size) {
		now += (umk_time_t)data[off] * 4;
		size_t len = ((size_t)data[off + 1] << 8) | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		umk_timers_run(s, now);
		umk_input(s, idx, data + off, len);
		off += len;
	}
	/* let every timer expire: reassembly timeouts, NUD, lifetimes */
	umk_timers_run(s, now + 120000);
	umk_stack_free(s);
	return 0;
}
