/* fuzz_wire_tcp.c - the TCP header and option parser (wire/tcp.c) on arbitrary bytes, and
 * the emitter on what it parsed: a parsed header re-emits within 60 bytes and parses again
 * to the same options. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_hdr_info h, p;
	uint16_t sp, dp;
	uint32_t sq;
	tcp_quoted(data, size, &sp, &dp, &sq);
	if (tcp_parse(data, size, &h) != TCP_OK)
		return 0;
	if (h.hlen < TCP_HLEN || h.hlen > size || h.payload_len + h.hlen != size ||
	    h.opt.n_sack > TCP_MAX_SACK)
		__builtin_trap();
	/* SYN options and four SACK blocks do not fit together: keep what fits */
	while (tcp_opts_len(&h.opt) > TCP_MAX_OPTLEN && h.opt.n_sack)
		h.opt.n_sack--;
	if (tcp_opts_len(&h.opt) > TCP_MAX_OPTLEN)
		h.opt.present &= (uint8_t)~TCPO_SACK;
	if (!h.opt.n_sack)
		h.opt.present &= (uint8_t)~TCPO_SACK;
	uint8_t buf[TCP_MAX_HLEN];
	size_t hl = tcp_emit(buf, &h);
	if (hl > TCP_MAX_HLEN || tcp_parse(buf, hl, &p) != TCP_OK || p.opt.present != h.opt.present)
		__builtin_trap();
	return 0;
}
