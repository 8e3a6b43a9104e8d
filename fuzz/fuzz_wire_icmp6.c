/*
 * fuzz_wire_icmp6.c - wire/icmp6.c and the checksum on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "wire/checksum.h"
#include "wire/icmp6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct icmp6_hdr_info h;
	struct icmp6_echo e;
	struct icmp6_err r;
	struct in6_addr a = { 0 };

	if (icmp6_hdr_parse(data, size, &h) == 0 && h.body + h.body_len != data + size)
		abort();
	if (icmp6_echo_parse(data, size, &e) == 0 && e.data + e.data_len != data + size)
		abort();
	if (icmp6_err_parse(data, size, &r) == 0 && r.quoted + r.quoted_len != data + size)
		abort();
	(void)csum_ip6(&a, &a, 58, data, size);
	return 0;
}
