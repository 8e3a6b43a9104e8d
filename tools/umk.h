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
/* Runs ping; exit status 0 a reply came, 1 none, 2 an error. */
int ping_run(struct ctl_client *c, const struct ctl_ping *p);
/* nc.c: `umk nc ...` (argv[0] is "nc") over the remote socket API; the exit status. */
int nc_run(const char *sockpath, int argc, char **argv);
/* setkey.c: `umk setkey ...` (argv[0] is "setkey"), setkey(8) over PF_KEY; the exit status. */
int setkey_run(const char *sockpath, int argc, char **argv);

#endif
