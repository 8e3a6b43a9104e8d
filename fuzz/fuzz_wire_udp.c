/* fuzz_wire_udp.c - the UDP header parser (wire/udp.c) on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "wire/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udp_hdr_info u;
	uint16_t sp, dp;
	if (udp_parse(data, size, &u) == UDP_OK && (u.payload_len + 8u != u.len || u.len > size))
		__builtin_trap();
	udp_ports(data, size, &sp, &dp);
	return 0;
}
