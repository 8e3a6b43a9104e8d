/*
 * req.h - a control request in host form, and its conversion to and from a message (msg.h).
 * The CLI and the config file fill one from text (cmd.h); the daemon decodes one from the
 * socket and checks it against the table of required attributes in req.c before acting.
 */
#ifndef UMK_CTL_REQ_H
#define UMK_CTL_REQ_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <umikame/router.h>

#include "ctl/msg.h"

#define CTL_IFNAMSIZ 16
#define CTL_KEYSIZ   64
#define CTL_MAX_NEXTHOPS 8         /* ECMP: next hops of one route add */

struct ctl_req {
	uint16_t type;                  /* CTL_MSG_* request type */
	char ifname[CTL_IFNAMSIZ];      /* dev IF; "" = none (conf: "" with global = limits) */
	bool global;                    /* conf: the stack-wide limits */
	bool has_addr;
	struct in6_addr addr;
	uint8_t prefixlen;
	bool has_gateway;
	struct in6_addr gateway;
	char gw_ifname[CTL_IFNAMSIZ];   /* the zone of a link-local gateway, "" = none */
	bool has_metric;
	uint32_t metric;
	uint8_t lladdr[6];
	bool router;
	char key[CTL_KEYSIZ];
	int64_t value;
	/* ROUTE_ADD: the next hops after `gateway` (ECMP), and the route type (RT6_*) */
	unsigned n_nexthops;
	struct in6_addr nexthop[CTL_MAX_NEXTHOPS];
	char nexthop_ifname[CTL_MAX_NEXTHOPS][CTL_IFNAMSIZ];
	uint8_t rttype;
	/* RA_SET */
	struct umk_ra_config ra;
};

/* Writes r as a request message with sequence number seq; returns its length or -1. */
int ctl_req_encode(const struct ctl_req *r, uint32_t seq, uint8_t *buf, size_t cap);

/* Fills r from a parsed request message. Returns 0, or -EOPNOTSUPP for a type that is not a
 * request we know, or -EINVAL with *why naming the missing or out-of-range attribute. */
int ctl_req_decode(const struct ctl_msg *m, struct ctl_req *r, const char **why);

#endif
