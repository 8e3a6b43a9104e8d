/*
 * umikamed.h - the daemon's parts and how they meet:
 *   umikamed.c  options, the stack and its TAPs, the epoll loop, signals, logging
 *   server.c    the control socket: clients, their bounded buffers, message framing
 *   handlers.c  one function per request type, calling <umikame/mgmt.h>
 *   config.c    the -c file: umk command lines, checked whole, then applied
 *   secret.c    the per-machine RFC 7217 secret key
 */
#ifndef UMIKAMED_H
#define UMIKAMED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <umikame/mgmt.h>

#include "ctl/connect.h"
#include "ctl/msg.h"
#include "ctl/req.h"

#define UMKD_MAX_TAPS       16
#define UMKD_MAX_CLIENTS    64
#define UMKD_OUT_HIGH       (1u << 20)   /* stop reading a client's requests above this */
#define UMKD_OUT_MAX        (16u << 20)  /* a reply that would pass this fails with ENOBUFS */
#define UMKD_DEFAULT_SOCKET CTL_DEFAULT_SOCKET
#define UMKD_SECRET_FILE    "/var/lib/umikame/secret_key"

struct tap;
struct client;
struct pfkey_peer;

struct daemon {
	struct umk_stack *stack;
	struct tap *taps[UMKD_MAX_TAPS];
	int ntaps;
	int epfd, timerfd, sigfd, listen_fd;
	umk_time_t timer_armed;          /* the deadline timerfd holds (UMK_TIME_NEVER: none;
	                                  * 0: unknown, arm at the next turn) */
	char sockpath[108];
	bool foreground;
	int log_level;
	struct client *clients;
	struct pfkey_peer *pfkey_peers;   /* pfkey.c: connections that speak PF_KEY */
	int nclients;
	uid_t uid;
	uint64_t events_dropped;    /* socket and PF_KEY events a slow client did not take */
	uint64_t bad_messages;
};

/* Logging: stderr with timestamps in the foreground, syslog otherwise. */
void dlog(struct daemon *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Where replies of one request go: a client's output buffer, or the config loader. */
struct reply_sink {
	/* Takes one complete message; -ENOBUFS when it cannot. */
	int (*emit)(void *ctx, const uint8_t *msg, size_t len);
	void *ctx;
	struct client *client;      /* the asking client (its events go back to it), or NULL */
	int last_errno;             /* set from the final ERROR, for the config loader */
	char last_errmsg[256];
};

/* Handles one parsed request message; every path emits exactly one final ERROR or DONE. */
void handle_request(struct daemon *d, const struct ctl_msg *m, struct reply_sink *sink);
/* Sends an ERROR reply: errno (positive, 0 = success) and an optional message. */
void reply_error(struct reply_sink *sink, uint32_t seq, int err, const char *msg);

/* umikamed.c: the TAP drivers' counters, through the stats walk's callback. */
int daemon_tap_stats(struct daemon *d,
		     int (*cb)(void *ctx, const char *group, const char *name, uint64_t value),
		     void *ctx);

/* server.c */
int server_open(struct daemon *d, char *err, size_t errlen);
void server_close(struct daemon *d);
void server_accept(struct daemon *d);
void server_client_event(struct daemon *d, struct client *c, uint32_t events);

/* server.c, for sockets.c: the connection's slot for its socket state, and a message pushed
 * to it unsolicited (-ENOBUFS when it is not reading). */
void **server_client_sockets(struct client *c);
int server_client_push(struct daemon *d, struct client *c, const uint8_t *msg, size_t len);

/* sockets.c: the remote socket API (CTL_MSG_SOCK_*) for a client, and its cleanup. */
void sockets_request(struct daemon *d, const struct ctl_msg *m, struct reply_sink *sink);
void sockets_client_gone(struct daemon *d, struct client *c);

/* pfkey.c: PF_KEY v2 (CTL_MSG_PFKEY) for a client, and its registrations' cleanup. */
void pfkeyd_request(struct daemon *d, const struct ctl_msg *m, struct reply_sink *sink);
void pfkeyd_client_gone(struct daemon *d, struct client *c);

/* config.c: 0, or -1 after printing "FILE:LINE: reason". check_only: parse and check names. */
int config_load(struct daemon *d, const char *path, char *const ifnames[], int nifnames,
		bool check_only);

/* router.c: ECMP / reject routes (a negative errno, *msg set when there is more to say) and
 * the RA requests (each emits its final reply). */
int router_route_add(struct daemon *d, const struct ctl_req *r, int ifindex, int gw_zone,
		     const char **msg);
void router_ra_request(struct daemon *d, const struct ctl_req *r, int ifindex,
		       struct reply_sink *sink, uint32_t seq);

/* secret.c: fills key from path (creating it); never fails, falls back to a random key. */
void secret_key_load(struct daemon *d, const char *path, uint8_t key[32]);

#endif
