/*
 * msg.h - the control protocol between umikamed and its clients (umk, later the key and
 * routing daemons and remote sockets), in the spirit of netlink and routing sockets.
 *
 * A Unix stream socket carries messages. Each message is a 16-byte header followed by typed
 * attributes; every integer is in network byte order:
 *
 *   0      2      3      4          6          8           12          16
 *   +------+------+------+----------+----------+-----------+-----------+----------
 *   |magic |vers  |rsvd 0| type     | flags    | seq       | length    | attributes
 *   +------+------+------+----------+----------+-----------+-----------+----------
 *
 * length counts the whole message (header included), at most CTL_MSG_MAX. An attribute is
 * {u16 type, u16 length (header included, >= 4), value}, padded to 4 bytes. Each attribute
 * type has one expected kind (u8, u32, string, address, ...) checked by ctl_msg_parse() from
 * the table in msg.c before anyone reads it; unknown attribute types are skipped (a newer
 * client may send more), a repeated one is an error.
 *
 * A request gets either one CTL_MSG_ERROR (errno 0 = done, like a netlink ACK) or, for the
 * list requests, a series of item messages with CTL_F_MULTI and the same seq, closed by
 * CTL_MSG_DONE (or CTL_MSG_ERROR when the walk failed). Socket events and PF_KEY messages
 * the stack sends on its own arrive unsolicited with seq 0.
 *
 * Neighbours: cmd.h turns `umk` command lines into requests; req.h converts requests to and
 * from messages; the server side is daemon/server.c, the client side tools/umk.c.
 */
#ifndef UMK_CTL_MSG_H
#define UMK_CTL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_MAGIC       0x554b   /* "UK" */
#define CTL_VERSION     1
#define CTL_HDR_LEN     16
#define CTL_ATTR_HDR    4
#define CTL_MSG_MAX     65536    /* a longer message is refused before it is read */
#define CTL_STR_MAX     256      /* longest string attribute, NUL included */

/* Message types. The blocks leave room for later protocols on the same socket. */
enum ctl_msg_type {
	CTL_MSG_ERROR = 1,       /* A_ERRNO (0 = success), A_ERRMSG */
	CTL_MSG_DONE = 2,        /* end of a list */

	CTL_MSG_LINK_LIST = 16,
	CTL_MSG_LINK,            /* item */
	CTL_MSG_ADDR_LIST,
	CTL_MSG_ADDR_ADD,
	CTL_MSG_ADDR_DEL,
	CTL_MSG_ADDR,            /* item */
	CTL_MSG_ROUTE_LIST,
	CTL_MSG_ROUTE_ADD,
	CTL_MSG_ROUTE_DEL,
	CTL_MSG_ROUTE,           /* item */
	CTL_MSG_NEIGH_LIST,
	CTL_MSG_NEIGH_ADD,
	CTL_MSG_NEIGH_DEL,
	CTL_MSG_NEIGH_FLUSH,
	CTL_MSG_NEIGH,           /* item */
	CTL_MSG_CONF_LIST,
	CTL_MSG_CONF_GET,
	CTL_MSG_CONF_SET,
	CTL_MSG_CONF,            /* item */
	CTL_MSG_STATS,
	CTL_MSG_STAT,            /* item */
	/* two numbers kept unused: they were ECHO_SEND and ECHO_EVENT, before umk ping went
	 * over a raw ICMPv6 socket of the remote socket API (tools/ping.c) */
	CTL_MSG_UNUSED_37,
	CTL_MSG_UNUSED_38,
	CTL_MSG_RA_SET,          /* A_IFNAME, A_RA_CONF (router.h, ctl/ra_msg.h) */
	CTL_MSG_RA_DEL,          /* A_IFNAME */
	CTL_MSG_RA_LIST,         /* [A_IFNAME]: CTL_MSG_RA and CTL_MSG_RA_LEARNED items */
	CTL_MSG_RA,              /* item: A_IFNAME, [A_RA_CONF], A_FLAGS, A_EXPIRES, counters */
	CTL_MSG_RA_LEARNED,      /* item: A_IFNAME, A_STATE (kind), A_ADDR|A_KEY, A_GATEWAY */
	CTL_MSG_MGMT_LAST,

	/* reserved: PF_KEY v2 (RFC 2367) messages carried unchanged in A_PFKEY */
	CTL_MSG_PFKEY_FIRST = 0x100,
	/* One PF_KEY v2 message in A_PFKEY, each way (daemon/pfkey.c, ctl/pfkey_client.c).
	 * A request's replies come with its seq and CTL_F_MULTI, closed by DONE; what the
	 * stack sends on its own (ACQUIRE, EXPIRE, broadcasts) arrives with seq 0. */
	CTL_MSG_PFKEY = CTL_MSG_PFKEY_FIRST,
	CTL_MSG_PFKEY_LAST = 0x1ff,
	/* reserved: the remote socket API (umk_stack_open) */
	CTL_MSG_SOCK_FIRST = 0x200,
	CTL_MSG_SOCK_LAST = 0x2ff,
};

/*
 * The remote socket API (include/umikame/socket.h over the control socket; client
 * ctl/remote.c, server socket/sock_ctl.c run by daemon/sockets.c). Each request names a socket
 * by A_SD (the daemon's descriptor, owned by the asking connection) and is answered by one
 * SOCK_REPLY with the same seq: A_ERRNO (0 = done), A_RET and what the call returns (A_SD,
 * A_SOCKADDR, A_DATA, A_CMSG, A_OPTVAL, A_MSGFLAGS, A_EVENTS). SOCK_EVENT arrives unsolicited
 * (seq 0) with A_SD and A_EVENTS when a socket's readiness changes.
 */
enum ctl_sock_msg_type {
	CTL_MSG_SOCK_SOCKET = CTL_MSG_SOCK_FIRST, /* A_DOMAIN, A_SOCKTYPE, A_SOCKPROTO */
	CTL_MSG_SOCK_BIND,                        /* A_SD, A_SOCKADDR */
	CTL_MSG_SOCK_CONNECT,                     /* A_SD, A_SOCKADDR (absent: AF_UNSPEC) */
	CTL_MSG_SOCK_SENDMSG,                     /* A_SD, A_DATA, [A_SOCKADDR], [A_CMSG], A_MSGFLAGS */
	CTL_MSG_SOCK_RECVMSG,                     /* A_SD, A_BUFLEN, A_MSGFLAGS */
	CTL_MSG_SOCK_SHUTDOWN,                    /* A_SD, A_HOW */
	CTL_MSG_SOCK_CLOSE,                       /* A_SD */
	CTL_MSG_SOCK_GETSOCKNAME,                 /* A_SD */
	CTL_MSG_SOCK_GETPEERNAME,                 /* A_SD */
	CTL_MSG_SOCK_SETSOCKOPT,                  /* A_SD, A_LEVEL, A_OPTNAME, A_OPTVAL */
	CTL_MSG_SOCK_GETSOCKOPT,                  /* A_SD, A_LEVEL, A_OPTNAME, A_BUFLEN */
	CTL_MSG_SOCK_POLL,                        /* A_SD: reply A_EVENTS */
	CTL_MSG_SOCK_LISTEN,                      /* A_SD, A_HOW (the backlog) */
	CTL_MSG_SOCK_ACCEPT,                      /* A_SD: reply A_RET (new sd), A_SOCKADDR */
	CTL_MSG_SOCK_REPLY = CTL_MSG_SOCK_FIRST + 0xf0,
	CTL_MSG_SOCK_EVENT,                       /* unsolicited: A_SD, A_EVENTS */
};
/* A_SOCKADDR: a sockaddr_in6 without host-order ambiguity: address (16), port (2),
 * flowinfo (4), scope id (4), all network order. */
#define CTL_SOCKADDR_LEN 26

/* Header flags. */
#define CTL_F_REQUEST 0x0001     /* client to daemon */
#define CTL_F_MULTI   0x0002     /* one item of a list */
/* A stream SOCK_SENDMSG the client already counted as sent (ctl/remote.c): it fits the
 * send space the daemon last reported (A_SNDSPACE), so it is never partial, and it gets no
 * reply; should it fail all the same, the socket keeps the error for the next call. */
#define CTL_F_NOREPLY 0x0004
#define CTL_F_ALL     0x0007

/* Attribute types; each has one kind, see the table in msg.c. */
enum ctl_attr {
	A_UNSPEC,
	A_ERRNO,          /* s32 */
	A_ERRMSG,         /* string */
	A_IFINDEX,        /* u32 */
	A_IFNAME,         /* string */
	A_LLADDR,         /* 6 bytes */
	A_MTU,            /* u32 */
	A_FLAGS,          /* u32: UMK_LINK_F_*, UMK_ADDR_F_* */
	A_ADDR,           /* 16 bytes */
	A_PREFIXLEN,      /* u8 */
	A_SCOPE,          /* u8 */
	A_VALID_LFT,      /* u32 */
	A_PREFERRED_LFT,  /* u32 */
	A_GATEWAY,        /* 16 bytes */
	A_GW_IFNAME,      /* string: the zone of a link-local gateway */
	A_METRIC,         /* u32 */
	A_PROTO,          /* u8 */
	A_PREF,           /* u8 (two's complement) */
	A_EXPIRES,        /* u32 */
	A_STATE,          /* u8 */
	A_ROUTER,         /* u8 boolean */
	A_KEY,            /* string */
	A_VALUE,          /* s64 */
	A_UNIT,           /* string */
	A_GROUP,          /* string */
	A_COUNTER,        /* u64 */
	/* A_IDENT to A_ZONE were the echo messages' (CTL_MSG_UNUSED_37/38); kept, unused */
	A_IDENT,          /* u16 */
	A_SEQ,            /* u16 */
	A_SIZE,           /* u32 */
	A_HLIM,           /* u8 */
	A_OIF,            /* string: outgoing interface */
	A_ICMP_TYPE,      /* u8 */
	A_ICMP_CODE,      /* u8 */
	A_LEN,            /* u32 */
	A_BAD,            /* u8 boolean */
	A_ZONE,           /* string: the zone of A_ADDR */
	A_PFKEY,          /* raw: one PF_KEY v2 message (CTL_MSG_PFKEY) */
	A_SD,             /* u32: remote socket descriptor */
	A_DOMAIN,         /* u32 */
	A_SOCKTYPE,       /* u32 */
	A_SOCKPROTO,      /* u32 */
	A_SOCKADDR,       /* raw, CTL_SOCKADDR_LEN */
	A_DATA,           /* raw: datagram bytes */
	A_CMSG,           /* raw: ancillary data, {u32 level, u32 type, u32 len, data} each */
	A_LEVEL,          /* u32 */
	A_OPTNAME,        /* u32 */
	A_OPTVAL,         /* raw */
	A_RET,            /* u64: the call's non-negative result */
	A_MSGFLAGS,       /* u32: MSG_* */
	A_EVENTS,         /* u32: POLL* */
	A_HOW,            /* u32: SHUT_* */
	A_BUFLEN,         /* u32: room the caller has */
	A_RA_CONF,        /* raw: an RA configuration, ctl/ra_msg.h */
	A_NEXTHOPS,       /* raw: more ECMP next hops, {16 address, 16 interface name} each */
	A_RTTYPE,         /* u8: RT6_* route type (0 unicast, 1 reject, 2 blackhole) */
	A_SNDSPACE,       /* u32: bytes a stream socket's send buffer takes now */
	A__COUNT
};

/* A parsed header. */
struct ctl_hdr {
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	uint32_t length;
};

/* One attribute as found in a parsed message; value points into the message buffer. */
struct ctl_attr_ref {
	const uint8_t *value;
	uint16_t len;
	bool present;
};

/* A parsed message: header plus, for each attribute type, where its value is. */
struct ctl_msg {
	struct ctl_hdr hdr;
	struct ctl_attr_ref attr[A__COUNT];
};

/* Why a message was refused; ctl_err_str() says it in words. */
enum ctl_err {
	CTL_OK = 0,
	CTL_E_SHORT = -1,        /* not a whole message yet (stream: read more) */
	CTL_E_MAGIC = -2,
	CTL_E_VERSION = -3,
	CTL_E_LENGTH = -4,       /* header length < 16 or > CTL_MSG_MAX */
	CTL_E_ATTR_LEN = -5,     /* attribute length < 4 or past the end */
	CTL_E_ATTR_KIND = -6,    /* attribute length wrong for its type */
	CTL_E_ATTR_DUP = -7,
	CTL_E_STRING = -8,       /* string not NUL-terminated, empty or too long */
	CTL_E_RESERVED = -9,     /* reserved header bits set */
};
const char *ctl_err_str(int err);

/*
 * Reads the header of the message at the start of buf. CTL_E_SHORT when fewer than 16 bytes
 * are there; otherwise checks magic, version and that length is within [16, CTL_MSG_MAX]
 * (it does not need the whole message). A stream that fails here cannot be resynchronised.
 */
int ctl_hdr_parse(const uint8_t *buf, size_t len, struct ctl_hdr *hdr);

/* Parses one whole message (buf holds at least hdr.length bytes): header and every attribute.
 * Returns CTL_OK or a negative enum ctl_err; m is only valid on CTL_OK. */
int ctl_msg_parse(const uint8_t *buf, size_t len, struct ctl_msg *m);

/* Typed readers of a parsed message; false when the attribute is absent. Kinds were checked
 * by ctl_msg_parse, so they cannot fail otherwise. */
bool ctl_get_u8(const struct ctl_msg *m, int type, uint8_t *v);
bool ctl_get_u16(const struct ctl_msg *m, int type, uint16_t *v);
bool ctl_get_u32(const struct ctl_msg *m, int type, uint32_t *v);
bool ctl_get_s32(const struct ctl_msg *m, int type, int32_t *v);
bool ctl_get_u64(const struct ctl_msg *m, int type, uint64_t *v);
bool ctl_get_s64(const struct ctl_msg *m, int type, int64_t *v);
const char *ctl_get_str(const struct ctl_msg *m, int type);       /* NUL-terminated */
const uint8_t *ctl_get_bytes(const struct ctl_msg *m, int type);  /* fixed-size kinds */

/*
 * Builds a message in a caller buffer. Appending past cap sets `overflow` and writes nothing;
 * ctl_build_end() then returns -1, so a sender checks once at the end.
 */
struct ctl_builder {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
};
void ctl_build_begin(struct ctl_builder *b, uint8_t *buf, size_t cap, uint16_t type,
		     uint16_t flags, uint32_t seq);
void ctl_put(struct ctl_builder *b, int type, const void *value, size_t len);
void ctl_put_u8(struct ctl_builder *b, int type, uint8_t v);
void ctl_put_u16(struct ctl_builder *b, int type, uint16_t v);
void ctl_put_u32(struct ctl_builder *b, int type, uint32_t v);
void ctl_put_s32(struct ctl_builder *b, int type, int32_t v);
void ctl_put_u64(struct ctl_builder *b, int type, uint64_t v);
void ctl_put_s64(struct ctl_builder *b, int type, int64_t v);
void ctl_put_str(struct ctl_builder *b, int type, const char *s);
/* An attribute whose value the caller writes in place (no buffer of its own, no copy):
 * ctl_put_reserve gives room for up to len value bytes (NULL when they would not fit; the
 * builder is left as it was, so the caller may still put an error); ctl_put_commit then writes the header for the len (<= reserved) bytes
 * used, as ctl_put would have. */
uint8_t *ctl_put_reserve(struct ctl_builder *b, size_t len);
void ctl_put_commit(struct ctl_builder *b, int type, size_t len);
/* Writes the final length; returns the message length or -1 on overflow. */
int ctl_build_end(struct ctl_builder *b);

/* Names for logs: "ADDR_ADD", or "type 999". */
const char *ctl_msg_name(uint16_t type, char *buf, size_t len);

#endif
