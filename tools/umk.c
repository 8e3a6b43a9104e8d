/*
 * umk.c - the umikame CLI: `umk [-s SOCKPATH] [-j] OBJECT COMMAND ...`. It only speaks the
 * control protocol (src/ctl/); the grammar is src/ctl/cmd.c, shared with umikamed's -c file.
 * Exit status: 0 done, 1 the daemon refused or failed, 2 a usage error (ping: see ping.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/connect.h"
#include "umk.h"


void umk_err(const char *fmt, ...)
{
	va_list ap;
	fputs("umk: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *umk_strerror(int err, const char *msg)
{
	if (msg && msg[0])
		return msg;
	if (err == ENOSYS || err == EOPNOTSUPP)
		return "not implemented yet";
	if (err == EPROTO)
		return "protocol error talking to umikamed";
	return strerror(err);
}

static void usage(FILE *f)
{
	fputs("usage: umk [-s SOCKPATH] [-j] OBJECT COMMAND ...\n"
	      "  link show [[dev] IF]\n"
	      "  addr show [[dev] IF]\n"
	      "  addr add|del ADDR/PLEN dev IF\n"
	      "  route show\n"
	      "  route add|del PREFIX/PLEN|default [via GW[%IF]] [dev IF] [metric N]\n"
	      "  route add PREFIX/PLEN via GW1 [dev IF1] via GW2 [dev IF2] ...   (ECMP)\n"
	      "  route add PREFIX/PLEN reject|blackhole [dev IF]\n"
	      "  neigh show [[dev] IF]\n"
	      "  neigh add ADDR lladdr MAC dev IF [router]\n"
	      "  neigh del ADDR dev IF\n"
	      "  neigh flush [[dev] IF]\n"
	      "  conf show [IF|global]\n"
	      "  conf get IF|global KEY\n"
	      "  conf set IF|global KEY VALUE\n"
	      "  ping [-c N] [-s SIZE] [-i SECONDS] [-W SECONDS] [-I IF] [-t HLIM] DEST[%IF]\n"
	      "  traceroute [-m MAXHOPS] [-q N] [-w SECONDS] [-I] DEST[%IF]   (UDP, or ICMP echo)\n"
	      "  ra set IF [prefix P/LEN [onlink 0|1] [autonomous 0|1] [valid S] [preferred S]]...\n"
	      "         [route P/LEN [pref low|medium|high] [lifetime S]]... [rdnss ADDR]...\n"
	      "         [dnssl NAME]... [interval [MIN-]MAX] [lifetime S] [mtu N] [managed 0|1]\n"
	      "         [other 0|1] [pref low|medium|high] [hop_limit N] [reachable_time MS]\n"
	      "         [retrans_time MS] [dns_lifetime S] [unicast_solicited 0|1]\n"
	      "  ra show [IF]\n"
	      "  ra del IF\n"
	      "  stats\n"
	      "  nc [-l] [-u] [-s SRC] [-q SECS] HOST PORT   (TCP, or UDP with -u)\n"
	      "  setkey -c | -f FILE | -D[P] | -F[P] | -x     (setkey(8) syntax, PF_KEY v2)\n"
	      "options:\n"
	      "  -s SOCKPATH  control socket (default $UMIKAME_SOCKET, else " CTL_DEFAULT_SOCKET ")\n"
	      "  -j           JSON output\n"
	      "  -h           this help\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	bool json = false;
	int i = 1;

	/* our options come before OBJECT; what follows belongs to the command (ping -s ...) */
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *o = argv[i];
		if (strcmp(o, "-j") == 0 || strcmp(o, "--json") == 0) {
			json = true;
		} else if (strcmp(o, "-s") == 0) {
			if (++i == argc) {
				umk_err("\"-s\" needs a socket path");
				return 2;
			}
			sock = argv[i];
		} else if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			umk_err("unknown option \"%s\"", o);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}

	sock = ctl_socket_path(sock);
	if (strcmp(argv[i], "nc") == 0)
		return nc_run(sock, argc - i, argv + i);
	if (strcmp(argv[i], "setkey") == 0)
		return setkey_run(sock, argc - i, argv + i);
	if (strcmp(argv[i], "traceroute") == 0)
		return traceroute_run(sock, json, argc - i, argv + i);
	struct ctl_cmd cmd;
	char err[256];
	if (ctl_cmd_parse(argc - i, argv + i, &cmd, err, sizeof(err))) {
		umk_err("%s", err);
		return 2;
	}
	if (cmd.is_help) {
		usage(stdout);
		return 0;
	}

	struct ctl_client *c = malloc(sizeof(*c));
	if (!c) {
		umk_err("out of memory");
		return 1;
	}
	int e = client_connect(c, sock);
	if (e) {
		umk_err("cannot connect to %s: %s", sock, strerror(-e));
		free(c);
		return cmd.is_ping ? 2 : 1;
	}
	char what[64];
	snprintf(what, sizeof(what), "%s%s%s", argv[i], i + 1 < argc && !cmd.is_ping ? " " : "",
		 i + 1 < argc && !cmd.is_ping ? argv[i + 1] : "");
	int status = cmd.is_ping ? ping_run(c, sock, &cmd.ping) : show_run(c, &cmd, what, json);
	client_close(c);
	free(c);
	return status;
}
