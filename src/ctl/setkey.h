/*
 * setkey.h - setkey(8)'s language (KAME, ipsec-tools, FreeBSD) turned into PF_KEY v2
 * messages (RFC 2367, wire/pfkey.h), and PF_KEY answers printed the way `setkey -D` and
 * `setkey -DP` print them. setkey.c parses, setkey_print.c prints; the CLI that sends the
 * messages is tools/setkey.c.
 *
 * A text is parsed whole before anything is sent: the first error stops it with
 * "NAME:LINE: reason", and a caller then sends nothing.
 */
#ifndef UMK_CTL_SETKEY_H
#define UMK_CTL_SETKEY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define SETKEY_MSG_MAX 1024      /* the longest message a statement makes */

/* What the CLI does with a statement's message. */
enum setkey_kind {
	SETKEY_SEND,             /* send it; its answer says whether it worked */
	SETKEY_PRINT_SA,         /* get, dump: print every answer as an SA */
	SETKEY_PRINT_SP,         /* spddump: print every answer as a policy */
	SETKEY_DELETEALL,        /* a DUMP; then DELETE each SA from src to dst */
};

struct setkey_cmd {
	const char *source;      /* the name given to setkey_parse (the caller keeps it) */
	int line;
	enum setkey_kind kind;
	uint8_t type;            /* SADB_* of msg */
	struct in6_addr src, dst;/* DELETEALL */
	size_t len;
	uint8_t msg[SETKEY_MSG_MAX];
};

struct setkey_prog {
	struct setkey_cmd *cmds;
	size_t n, cap;
};

/* Parses text (len bytes, need not be NUL-terminated) into prog, appending. 0, or -1 with
 * "NAME:LINE: reason" in err (prog then holds nothing new). Messages carry sadb_msg_seq
 * counting from 1 and sadb_msg_pid 0; the sender fills in its pid. */
int setkey_parse(const char *text, size_t len, const char *name, struct setkey_prog *prog,
		 char *err, size_t errlen);
/* Frees the commands, wiping the keys in them. */
void setkey_prog_free(struct setkey_prog *prog);

/* A DELETE for the SA in a DUMP answer; its length, or -1 when msg is not an SA of
 * src -> dst (deleteall). */
int setkey_delete_for(const uint8_t *msg, size_t len, const struct in6_addr *src,
		      const struct in6_addr *dst, uint8_t *out, size_t cap);

/* setkey_print.c. Times in an answer are umikamed's CLOCK_MONOTONIC seconds; mono_now and
 * real_now (both "now") turn them into dates. Returns 0, or -1 when msg is not what it
 * should be (nothing printed). */
int setkey_print_sa(FILE *f, const uint8_t *msg, size_t len, time_t mono_now, time_t real_now);
int setkey_print_sp(FILE *f, const uint8_t *msg, size_t len);
/* The words for an answer's sadb_msg_errno, as setkey says them. */
const char *setkey_strerror(int err);

#endif
