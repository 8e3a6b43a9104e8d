/*
 * fuzz_pfkey.c - PF_KEY v2 messages: the parser, and pfkey_handle on a stack (which must
 * answer every input with exactly one reply or a dump and never crash).
 */
#include <stddef.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "ipsec/ipsec.h"
#include "wire/pfkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, const void *msg, size_t len) { (void)ctx; (void)msg; (void)len; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct umk_stack *s;
	struct pfkey_msg m;
	if (!s) {
		struct umk_stack_config cfg;
		umk_stack_config_defaults(&cfg);
		cfg.limits.max_sas = 64;
		cfg.limits.max_policies = 64;
		s = umk_stack_new(&cfg, 0);
	}
	pfkey_parse(data, size, &m);
	pfkey_handle(s, data, size, sink, NULL);
	return 0;
}
