/*
 * setkey_int.h - what the two halves of the setkey(8) parser share: setkey.c (tokens,
 * addresses, SA statements, the statement table) and setkey_spd.c (the SPD statements:
 * spdadd, spdupdate, spddelete, spdflush, spddump). Not part of setkey.h's interface.
 */
#ifndef UMK_CTL_SETKEY_INT_H
#define UMK_CTL_SETKEY_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/setkey.h"
#include "wire/pfkey.h"

#define MAX_TOKENS 64
#define TOKEN_MAX  512

struct token {
	const char *p;           /* into the text */
	size_t len;
	int line;
	bool quoted;
};

struct parser {
	const char *name;
	char *err;
	size_t errlen;
	struct token tok[MAX_TOKENS];
	int ntok, pos;
	int line;                /* of the statement's first token */
	bool esp_udp;            /* the last protocol parsed was esp-udp */
	uint32_t seq;
	struct setkey_cmd cmd;   /* being built */
};

/* The error "NAME:LINE: why" into ps->err; always -1. */
int sk_fail(struct parser *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Tokens: at the end of the statement; the current one (NULL at the end); whether t is
 * the unquoted word; the line to blame; the next word as a C string (-1 with the error). */
bool sk_at_end(const struct parser *ps);
const struct token *sk_peek(const struct parser *ps);
bool sk_tok_is(const struct token *t, const char *word);
int sk_cur_line(const struct parser *ps);
int sk_next_word(struct parser *ps, char *buf, size_t cap, const char *what);

/* Numbers and addresses: decimal or 0x hex up to max; an IPv6 address (an SA or tunnel
 * endpoint: IPv4 is refused); ADDR[/PLEN][[PORT|any]] as a PF_KEY address extension
 * (with range, an IPv4 prefix too: a gateway's IPv4 selectors). */
bool sk_parse_u64(const char *s, uint64_t max, uint64_t *v);
int sk_parse_in6(struct parser *ps, int line, const char *s, struct in6_addr *a);
int sk_parse_addr(struct parser *ps, bool range, struct pfkey_address *a, const char *what);

/* A message: begin one of type for satype into b; finish it into the statement. */
void sk_begin(struct parser *ps, struct pfkey_buf *b, uint8_t type, uint8_t satype);
int sk_finish(struct parser *ps, struct pfkey_buf *b);
/* Skips setkey's -4/-6/-n options. */
int sk_skip_af_options(struct parser *ps);
/* The number after an option, up to max. */
int sk_opt_number(struct parser *ps, uint64_t max, uint64_t *v, const char *what);
/* "transport", "tunnel" or "any" as an IPSEC_MODE_*, -1 for anything else. */
int sk_mode_of(const char *s);

/* setkey_spd.c: the SPD statements. */
int sk_st_spdadd(struct parser *ps);
int sk_st_spdupdate(struct parser *ps);
int sk_st_spddelete(struct parser *ps);
int sk_st_spdflush(struct parser *ps);
int sk_st_spddump(struct parser *ps);

#endif
