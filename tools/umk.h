/*
 * umk.h - the umk CLI's parts: umk.c (options, dispatch), show.c (requests and how their
 * answers print, human or JSON), ping.c (echo with RTTs measured here), client.c (socket),
 * json.c. The grammar itself is src/ctl/cmd.c, shared with umikamed's config file.
 */
#ifndef UMK_TOOLS_UMK_H
#define UMK_TOOLS_UMK_H

#include <stdbool.h>

#include "client.h"
#include "ctl/cmd.h"

/* Prints "umk: ..." and a newline on stderr. */
void umk_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The words a failed request prints: the daemon's message, else strerror. */
const char *umk_strerror(int err, const char *msg);

/* Runs a non-ping command and prints its answer; returns the exit status. */
int show_run(struct ctl_client *c, const struct ctl_cmd *cmd, const char *what, bool json);
/* ping.c: runs ping over a raw ICMPv6 socket of the remote socket API (sockpath), with c
 * for the interface names; exit status 0 a reply came, 1 none, 2 an error. */
int ping_run(struct ctl_client *c, const char *sockpath, const struct ctl_ping *p);
/* traceroute.c: `umk traceroute ...` (argv[0] is "traceroute"); the exit status. */
int traceroute_run(const char *sockpath, bool json, int argc, char **argv);

/* ping.c: the daemon's interfaces by index and name (LINK_LIST), for printing zones. */
struct sockaddr_in6;
struct link_names {
	int n;
	struct { int index; char name[CTL_IFNAMSIZ]; } l[64];
};
int link_names_load(struct ctl_client *c, struct link_names *ln, char *msg, size_t msglen);
int link_index(const struct link_names *ln, const char *name);      /* 0: none */
const char *link_name(const struct link_names *ln, int index);      /* "?": none */
/* "fe80::1%tap0" for a link-local address with its scope id, else the address. */
void addr_text(const struct link_names *ln, const struct sockaddr_in6 *a, char *out, size_t n);
/* Like ping: 3 significant digits. */
void print_rtt(double ms);
/* The offset of the upper-layer header in a packet quoted by an ICMPv6 error (its
 * protocol in *proto), -1 when it is not there. */
int quoted_ulp(const uint8_t *q, size_t qlen, uint8_t *proto);
/* nc.c: `umk nc ...` (argv[0] is "nc") over the remote socket API; the exit status. */
int nc_run(const char *sockpath, int argc, char **argv);
/* setkey.c: `umk setkey ...` (argv[0] is "setkey"), setkey(8) over PF_KEY; the exit status. */
int setkey_run(const char *sockpath, int argc, char **argv);

#endif
