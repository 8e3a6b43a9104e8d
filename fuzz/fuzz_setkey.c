/*
 * fuzz_setkey.c - setkey(8)'s language (src/ctl/setkey.c) on any text: it must never
 * crash, an error must name a line of the text, and every message it makes must be a
 * valid PF_KEY v2 message (wire/pfkey.c parses it back) that the dump printers and the
 * deleteall helper take without trouble.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/setkey.h"
#include "wire/pfkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setkey_prog prog = { 0 };
	char err[256];
	int lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (setkey_parse((const char *)data, size, "f", &prog, err, sizeof(err))) {
		int line;
		if (sscanf(err, "f:%d:", &line) != 1 || line < 1 || line > lines || prog.n)
			abort();
		setkey_prog_free(&prog);
		return 0;
	}
	FILE *out = fopen("/dev/null", "w");
	for (size_t i = 0; i < prog.n; i++) {
		const struct setkey_cmd *c = &prog.cmds[i];
		struct pfkey_msg m;
		uint8_t del[128];
		if (c->line < 1 || c->line > lines || pfkey_parse(c->msg, c->len, &m) ||
		    m.base.type != c->type)
			abort();
		setkey_print_sa(out, c->msg, c->len, 100, 100);
		setkey_print_sp(out, c->msg, c->len);
		setkey_delete_for(c->msg, c->len, &c->src, &c->dst, del, sizeof(del));
	}
	fclose(out);
	setkey_prog_free(&prog);
	return 0;
}
