/*
 * cmd.h - the `umk` command grammar: words in, a request (req.h) out, or one line saying what
 * is wrong. The CLI (tools/umk.c) and umikamed's config file (daemon/config.c) share it, so
 * the file and the command line speak one language (DESIGN.md).
 *
 *   link show [[dev] IF]
 *   addr show [[dev] IF]             addr add|del ADDR[/PLEN] dev IF
 *   route show                       route add|del PREFIX/PLEN|default [via GW[%IF]] [dev IF]
 *                                                                      [metric N]
 *     ECMP: route add P via GW1 [dev IF1] via GW2 [dev IF2] ... (or iproute2's
 *           nexthop via GW1 dev IF1 nexthop via GW2 dev IF2); dev after a further via is
 *           that next hop's; route add P reject|blackhole [dev IF]
 *   ra show [[dev] IF]               ra del IF
 *   ra set IF [prefix P/LEN [onlink 0|1] [autonomous 0|1] [valid S] [preferred S]]...
 *             [route P/LEN [pref low|medium|high] [lifetime S]]... [rdnss ADDR]...
 *             [dnssl NAME]... [interval [MIN-]MAX] [lifetime S] [mtu N] [managed 0|1]
 *             [other 0|1] [pref low|medium|high] [hop_limit N] [reachable_time MS]
 *             [retrans_time MS] [dns_lifetime S]
 *     (words after a prefix or route belong to it while they can; the router's own pref
 *      and lifetime go before the first route or after another keyword)
 *   neigh show [[dev] IF]            neigh add ADDR lladdr MAC dev IF [router]
 *   neigh del ADDR dev IF            neigh flush [[dev] IF]
 *   conf show [IF|global]            conf get IF|global KEY     conf set IF|global KEY VALUE
 *   ping [-c N] [-s SIZE] [-i SECONDS] [-W SECONDS] [-I IF] [-t HLIM] DEST[%IF]
 *   stats [show]
 */
#ifndef UMK_CTL_CMD_H
#define UMK_CTL_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl/req.h"

struct ctl_ping {
	struct in6_addr dst;
	char zone[CTL_IFNAMSIZ];
	char oif[CTL_IFNAMSIZ];
	long count;          /* 0 = until interrupted */
	unsigned size;       /* payload bytes after the 8-byte echo header */
	double interval;     /* seconds */
	double wait;         /* seconds to wait for the last reply */
	unsigned hlim;       /* 0 = the interface's hop limit */
};

struct ctl_cmd {
	struct ctl_req req;  /* what to send (req.type), unless is_ping or is_help */
	bool is_ping;
	bool is_help;
	bool is_show;        /* a read-only request (the config file refuses those) */
	struct ctl_ping ping;
};

/*
 * Parses the words of one command (argv[0] is the object). Returns 0, or -1 with a one-line
 * reason in err, such as `unknown object "foo"` or `invalid address "x"`.
 */
int ctl_cmd_parse(int argc, char *const argv[], struct ctl_cmd *cmd, char *err, size_t errlen);

/*
 * Splits a config line in place into words (spaces and tabs; '#' starts a comment). Returns
 * the number of words, or -1 when there are more than max.
 */
int ctl_cmd_split(char *line, char *argv[], int max);

/* Text helpers, also used to print: "fe80::1%tap0" with the zone kept apart. */
bool ctl_parse_addr(const char *text, struct in6_addr *a, char zone[CTL_IFNAMSIZ]);
bool ctl_parse_mac(const char *text, uint8_t mac[6]);

#endif
