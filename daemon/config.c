/*
 * config.c - umikamed's -c file: one `umk` command per line (without "umk"), '#' comments and
 * blank lines, applied in order once the interfaces are up (DESIGN.md: one grammar for the
 * file and the CLI). The whole file is parsed and checked first; a line that does not parse
 * rejects it whole with "FILE:LINE: reason" (STYLE.md "Daemons"). Each command then goes
 * through the same encode, parse and handle path as a request from the socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/cmd.h"
#include "umikamed.h"

#define CONFIG_MAX_WORDS 32
#define CONFIG_MAX_LINE  1024

struct config_line {
	int lineno;
	struct ctl_req req;
};

static int discard_emit(void *ctx, const uint8_t *msg, size_t len) { return 0; }

static bool known_if(const char *name, char *const ifnames[], int n)
{
	if (!name[0])
		return true;
	for (int i = 0; i < n; i++)
		if (strcmp(ifnames[i], name) == 0)
			return true;
	return false;
}

static const char *unknown_if(const struct ctl_req *r, char *const ifnames[], int n)
{
	const char *names[] = { r->ifname, r->gw_ifname };
	for (size_t i = 0; i < 2; i++)
		if (!known_if(names[i], ifnames, n))
			return names[i];
	return NULL;
}

int config_load(struct daemon *d, const char *path, char *const ifnames[], int nifnames,
		bool check_only)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "umikamed: %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct config_line *lines = NULL;
	size_t n = 0, cap = 0;
	char buf[CONFIG_MAX_LINE + 2];
	int lineno = 0, bad = 0;
	while (!bad && fgets(buf, sizeof(buf), f)) {
		lineno++;
		if (!strchr(buf, '\n') && !feof(f)) {
			fprintf(stderr, "%s:%d: line longer than %d characters\n", path, lineno,
				CONFIG_MAX_LINE);
			bad = 1;
			break;
		}
		char *argv[CONFIG_MAX_WORDS];
		int argc = ctl_cmd_split(buf, argv, CONFIG_MAX_WORDS);
		if (argc == 0)
			continue;
		struct ctl_cmd cmd;
		char err[160];
		const char *ifn;
		if (argc < 0) {
			fprintf(stderr, "%s:%d: more than %d words\n", path, lineno, CONFIG_MAX_WORDS);
			bad = 1;
		} else if (ctl_cmd_parse(argc, argv, &cmd, err, sizeof(err))) {
			fprintf(stderr, "%s:%d: %s\n", path, lineno, err);
			bad = 1;
		} else if (cmd.is_ping || cmd.is_help || cmd.is_show) {
			fprintf(stderr, "%s:%d: \"%s\" does not change anything; not a configuration "
				"command\n", path, lineno, argv[0]);
			bad = 1;
		} else if ((ifn = unknown_if(&cmd.req, ifnames, nifnames))) {
			fprintf(stderr, "%s:%d: unknown interface \"%s\" (not given with -i)\n", path,
				lineno, ifn);
			bad = 1;
		} else {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				struct config_line *p = realloc(lines, cap * sizeof(*lines));
				if (!p) {
					fprintf(stderr, "umikamed: out of memory\n");
					bad = 1;
					break;
				}
				lines = p;
			}
			lines[n].lineno = lineno;
			lines[n].req = cmd.req;
			n++;
		}
	}
	if (!bad && ferror(f)) {
		fprintf(stderr, "umikamed: %s: read error\n", path);
		bad = 1;
	}
	fclose(f);
	if (bad || check_only) {
		free(lines);
		return bad ? -1 : 0;
	}

	for (size_t i = 0; i < n; i++) {
		uint8_t msg[CTL_MSG_MAX];
		struct ctl_msg m;
		int len = ctl_req_encode(&lines[i].req, (uint32_t)i + 1, msg, sizeof(msg));
		if (len < 0 || ctl_msg_parse(msg, (size_t)len, &m)) {
			fprintf(stderr, "%s:%d: cannot encode the request\n", path, lines[i].lineno);
			free(lines);
			return -1;
		}
		struct reply_sink sink = { .emit = discard_emit };
		handle_request(d, &m, &sink);
		if (sink.last_errno) {
			fprintf(stderr, "%s:%d: %s\n", path, lines[i].lineno, sink.last_errmsg);
			free(lines);
			return -1;
		}
	}
	dlog(d, UMK_LOG_INFO, "%s: applied %zu commands", path, n);
	free(lines);
	return 0;
}
