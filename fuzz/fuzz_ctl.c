/*
 * fuzz_ctl.c - libFuzzer target for the control protocol: whatever a client writes on the
 * socket goes through the framing (ctl_hdr_parse), the attribute parser (ctl_msg_parse) and
 * the request decoder (ctl_req_decode), as umikamed does; a decoded request must encode and
 * parse again. The input is also read as a config line for the command grammar.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/cmd.h"
#include "ctl/msg.h"
#include "ctl/req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_message(const uint8_t *p, size_t len)
{
	struct ctl_msg m;
	if (ctl_msg_parse(p, len, &m) != CTL_OK)
		return;
	/* every getter on every attribute type, whatever its kind */
	for (int a = 0; a <= A__COUNT; a++) {
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;
		uint64_t u64;
		const char *s = ctl_get_str(&m, a);
		if (s && strlen(s) >= CTL_STR_MAX)
			abort();
		ctl_get_u8(&m, a, &u8);
		ctl_get_u16(&m, a, &u16);
		ctl_get_u32(&m, a, &u32);
		ctl_get_u64(&m, a, &u64);
		ctl_get_bytes(&m, a);
	}
	struct ctl_req r;
	const char *why;
	if (ctl_req_decode(&m, &r, &why) != 0)
		return;
	static uint8_t buf[CTL_MSG_MAX];
	int n = ctl_req_encode(&r, m.hdr.seq, buf, sizeof(buf));
	struct ctl_msg m2;
	struct ctl_req r2;
	if (n < 0 || ctl_msg_parse(buf, (size_t)n, &m2) != CTL_OK ||
	    ctl_req_decode(&m2, &r2, &why) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a stream of messages, framed as the daemon frames them */
	size_t off = 0;
	while (off < size) {
		struct ctl_hdr h;
		if (ctl_hdr_parse(data + off, size - off, &h) != CTL_OK)
			break;
		one_message(data + off, size - off < h.length ? size - off : h.length);
		off += h.length;
	}

	/* the same bytes as one config line */
	char line[1024];
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	memcpy(line, data, n);
	line[n] = 0;
	char *argv[32];
	int argc = ctl_cmd_split(line, argv, 32);
	if (argc > 0) {
		struct ctl_cmd cmd;
		char err[256];
		if (ctl_cmd_parse(argc, argv, &cmd, err, sizeof(err)) == 0 && !cmd.is_ping &&
		    !cmd.is_help) {
			static uint8_t buf[CTL_MSG_MAX];
			struct ctl_msg m;
			struct ctl_req r;
			int len = ctl_req_encode(&cmd.req, 1, buf, sizeof(buf));
			if (len < 0 || ctl_msg_parse(buf, (size_t)len, &m) != CTL_OK ||
			    ctl_req_decode(&m, &r, NULL) != 0)
				abort();
		}
	}
	return 0;
}
