/*
 * setkey.c - `umk setkey`: setkey(8) on umikamed, over PF_KEY v2 (<umikame/pfkey.h>).
 *   umk setkey -c            statements from stdin
 *   umk setkey -f FILE       statements from FILE (also: umk setkey FILE ...)
 *   umk setkey -D [-P]       dump the SAD (-P: the SPD); -DP the same
 *   umk setkey -F [-P]       flush the SAD (-P: the SPD); -FP the same
 *   umk setkey -x            watch every PF_KEY message (SADB_X_PROMISC)
 *   -n: parse only, send nothing.
 * The language and the dump format are src/ctl/setkey.c and setkey_print.c. A text is
 * parsed whole first: with an error nothing is sent. Exit status: 0, 1 when the daemon
 * refused a statement (each refusal printed as "FILE:LINE: reason"), 2 a usage or parse
 * error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <umikame/pfkey.h>
#include <unistd.h>

#include "ctl/setkey.h"
#include "umk.h"
#include "wire/pfkey.h"

#define SETKEY_TIMEOUT_MS 10000
#define SETKEY_TEXT_MAX   (16u << 20)

struct run {
	struct umk_pfkey *k;
	const struct setkey_cmd *cmd;
	int status;
	bool got;                    /* an answer came */
	/* deleteall: the DELETEs to send once the dump is read */
	uint8_t (*dels)[128];
	size_t ndels, capdels;
};

static void now_pair(time_t *mono, time_t *real)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	*mono = ts.tv_sec;
	*real = time(NULL);
}

static void refused(struct run *r, int err)
{
	fprintf(stderr, "%s:%d: %s\n", r->cmd->source, r->cmd->line, setkey_strerror(err));
	r->status = 1;
}

static void answer(void *ctx, const void *msg, size_t len)
{
	struct run *r = ctx;
	const uint8_t *h = msg;
	time_t mono, real;
	r->got = true;
	if (len < PFKEY_HDR_LEN)
		return;
	int err = h[2];
	switch (r->cmd->kind) {
	case SETKEY_SEND:
		if (err)
			refused(r, err);
		break;
	case SETKEY_PRINT_SA:
		if (err == ENOENT && r->cmd->type == SADB_DUMP)
			printf("No SAD entries.\n");
		else if (err)
			refused(r, err);
		now_pair(&mono, &real);
		if (!err && setkey_print_sa(stdout, msg, len, mono, real))
			fprintf(stderr, "%s:%d: an answer that is not an SA\n", r->cmd->source,
				r->cmd->line);
		break;
	case SETKEY_PRINT_SP:
		if (err == ENOENT)
			printf("No SPD entries.\n");
		else if (err)
			refused(r, err);
		if (!err && setkey_print_sp(stdout, msg, len))
			fprintf(stderr, "%s:%d: an answer that is not a policy\n", r->cmd->source,
				r->cmd->line);
		break;
	case SETKEY_DELETEALL:
		if (err) {
			if (err != ENOENT)
				refused(r, err);
			break;
		}
		if (r->ndels == r->capdels) {
			size_t cap = r->capdels ? r->capdels * 2 : 16;
			void *p = realloc(r->dels, cap * sizeof(*r->dels));
			if (!p) {
				refused(r, ENOMEM);
				break;
			}
			r->dels = p;
			r->capdels = cap;
		}
		if (setkey_delete_for(msg, len, &r->cmd->src, &r->cmd->dst, r->dels[r->ndels],
				      sizeof(r->dels[0])) > 0)
			r->ndels++;
		break;
	}
}

static int request(struct run *r, uint8_t *msg, size_t len)
{
	uint32_t pid = (uint32_t)getpid();
	memcpy(msg + 12, &pid, 4);   /* sadb_msg_pid: the sender, host order */
	r->got = false;
	if (umk_pfkey_request(r->k, msg, len, SETKEY_TIMEOUT_MS, answer, r)) {
		fprintf(stderr, "%s:%d: %s\n", r->cmd->source, r->cmd->line,
			umk_strerror(errno, NULL));
		r->status = 1;
		return -1;
	}
	if (!r->got) {
		fprintf(stderr, "%s:%d: no answer from umikamed\n", r->cmd->source, r->cmd->line);
		r->status = 1;
	}
	return 0;
}

static int run_prog(const char *sock, struct setkey_prog *prog)
{
	struct run r = { 0 };
	r.k = umk_pfkey_open(sock);
	if (!r.k) {
		umk_err("cannot connect to %s: %s", sock, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < prog->n; i++) {
		struct setkey_cmd *c = &prog->cmds[i];
		r.cmd = c;
		if (request(&r, c->msg, c->len))
			break;
		if (c->kind != SETKEY_DELETEALL)
			continue;
		struct setkey_cmd del = *c;
		del.kind = SETKEY_SEND;
		r.cmd = &del;
		for (size_t j = 0; j < r.ndels; j++)
			request(&r, r.dels[j], (size_t)(r.dels[j][4] | r.dels[j][5] << 8) * 8);
		r.ndels = 0;
	}
	fflush(stdout);
	free(r.dels);
	umk_pfkey_close(r.k);
	return r.status;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			if (cap >= SETKEY_TEXT_MAX) {
				errno = EFBIG;
				break;
			}
			char *p = realloc(buf, cap * 2);
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				break;
			*len = n;
			return buf;
		}
	}
	if (buf)
		explicit_bzero(buf, cap);
	free(buf);
	return NULL;
}

/* -x: every message any PF_KEY user exchanges, until interrupted. */
static int watch(const char *sock)
{
	struct umk_pfkey *k = umk_pfkey_open(sock);
	uint8_t msg[UMK_PFKEY_MSG_MAX] = { PF_KEY_V2, SADB_X_PROMISC, 0, 1, 2, 0 };
	if (!k) {
		umk_err("cannot connect to %s: %s", sock, strerror(errno));
		return 1;
	}
	if (umk_pfkey_send(k, msg, PFKEY_HDR_LEN)) {
		umk_err("SADB_X_PROMISC: %s", strerror(errno));
		umk_pfkey_close(k);
		return 1;
	}
	static const char *const names[] = {
		"reserved", "getspi", "update", "add", "delete", "get", "acquire", "register",
		"expire", "flush", "dump", "x_promisc", "x_pchange", "spdupdate", "spdadd",
		"spddelete", "spdget", "spdacquire", "spddump", "spdflush", "spdsetidx",
		"spdexpire", "spddelete2", "x_nat_t_new_mapping",
	};
	for (;;) {
		ssize_t n = umk_pfkey_recv(k, msg, sizeof(msg), -1);
		if (n < 0) {
			umk_err("%s", strerror(errno));
			break;
		}
		if (n < PFKEY_HDR_LEN)
			continue;
		time_t mono, real;
		now_pair(&mono, &real);
		printf("%s: satype=%u errno=%u seq=%u pid=%u len=%zd\n",
		       msg[1] <= SADB_MAX ? names[msg[1]] : "unknown", msg[3], msg[2],
		       msg[8] | msg[9] << 8 | msg[10] << 16 | (uint32_t)msg[11] << 24,
		       msg[12] | msg[13] << 8 | msg[14] << 16 | (uint32_t)msg[15] << 24, n);
		if (setkey_print_sa(stdout, msg, (size_t)n, mono, real))
			setkey_print_sp(stdout, msg, (size_t)n);
		fflush(stdout);
	}
	umk_pfkey_close(k);
	return 1;
}

static void usage(FILE *f)
{
	fputs("usage: umk setkey [-n] -c | -f FILE | FILE...\n"
	      "       umk setkey -D [-P] | -DP | -F [-P] | -FP | -x\n", f);
}

int setkey_run(const char *sock, int argc, char **argv)
{
	bool dump = false, flush = false, spd = false, stdin_cmds = false, check = false;
	bool watching = false;
	const char *files[64];
	int nfiles = 0;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (o[0] != '-' || !o[1]) {
			if (nfiles == 64) {
				umk_err("setkey: too many files");
				return 2;
			}
			files[nfiles++] = o;
			continue;
		}
		if (strcmp(o, "-f") == 0) {
			if (++i == argc || nfiles == 64) {
				umk_err("setkey: -f needs a file name");
				return 2;
			}
			files[nfiles++] = argv[i];
			continue;
		}
		for (const char *p = o + 1; *p; p++) {
			switch (*p) {
			case 'c': stdin_cmds = true; break;
			case 'D': dump = true; break;
			case 'F': flush = true; break;
			case 'P': spd = true; break;
			case 'n': check = true; break;
			case 'x': watching = true; break;
			case 'v': case 'k': case 'r': break;  /* setkey's verbosity, kernel flags */
			case 'h':
				usage(stdout);
				return 0;
			default:
				umk_err("setkey: unknown option -%c", *p);
				usage(stderr);
				return 2;
			}
		}
	}
	int modes = (dump || flush) + stdin_cmds + (nfiles > 0) + watching;
	if (modes != 1 || (dump && flush) || (spd && !dump && !flush)) {
		usage(stderr);
		return 2;
	}
	if (watching)
		return watch(sock);

	struct setkey_prog prog = { 0 };
	char err[512];
	int status = 0;
	if (dump || flush) {
		const char *text = dump ? (spd ? "spddump;" : "dump;") : (spd ? "spdflush;" : "flush;");
		if (setkey_parse(text, strlen(text), "setkey", &prog, err, sizeof(err))) {
			umk_err("%s", err);
			return 2;
		}
	} else if (stdin_cmds) {
		size_t len;
		char *text = read_all(stdin, &len);
		if (!text) {
			umk_err("setkey: reading stdin: %s", strerror(errno));
			return 2;
		}
		status = setkey_parse(text, len, "(stdin)", &prog, err, sizeof(err));
		explicit_bzero(text, len);
		free(text);
	} else {
		/* every file parsed before anything is sent; errors name their own file */
		for (int i = 0; i < nfiles && !status; i++) {
			FILE *f = fopen(files[i], "r");
			size_t len;
			char *text = f ? read_all(f, &len) : NULL;
			if (f)
				fclose(f);
			if (!text) {
				umk_err("setkey: %s: %s", files[i], strerror(errno));
				setkey_prog_free(&prog);
				return 2;
			}
			status = setkey_parse(text, len, files[i], &prog, err, sizeof(err));
			explicit_bzero(text, len);
			free(text);
		}
	}
	if (status) {
		fprintf(stderr, "%s\n", err);
		setkey_prog_free(&prog);
		return 2;
	}
	if (!check)
		status = run_prog(sock, &prog);
	setkey_prog_free(&prog);
	return status;
}
