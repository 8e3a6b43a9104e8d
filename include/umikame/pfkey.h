/*
 * pfkey.h - a PF_KEY v2 socket (RFC 2367) on a running umikamed, for key-management
 * daemons (IKEv2, racoon-like tools, `umk setkey`). The messages are RFC 2367's bytes with
 * KAME's SPD extensions, in host byte order as on Linux and the BSDs (<linux/pfkeyv2.h>,
 * <net/pfkeyv2.h> describe them); only IPv6 addresses are accepted. The handle behaves
 * like socket(PF_KEY, SOCK_RAW, PF_KEY_V2):
 *   - every message sent is answered by one message (several for SADB_DUMP and
 *     SADB_X_SPDDUMP, the last with sadb_msg_seq 0), errors in sadb_msg_errno;
 *   - after SADB_REGISTER for an SA type, SADB_ACQUIRE and SADB_EXPIRE for it arrive
 *     unsolicited; changes others make (ADD, UPDATE, DELETE, FLUSH, SPD changes) arrive
 *     as copies; SADB_X_PROMISC with satype 1 copies every message;
 *   - registrations end when the handle is closed.
 * umk_pfkey_fd() is pollable: readable when a message may be waiting.
 * Errors: -1 and errno, as POSIX calls do.
 */
#ifndef UMIKAME_PFKEY_H
#define UMIKAME_PFKEY_H

#include <stddef.h>
#include <sys/types.h>
#include <umikame/umikame.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest PF_KEY message umikamed takes or sends. */
#define UMK_PFKEY_MSG_MAX 4096

struct umk_pfkey;

/* Connects to umikamed's control socket (NULL: $UMIKAME_SOCKET, else the default). */
UMK_API struct umk_pfkey *umk_pfkey_open(const char *path);
UMK_API void umk_pfkey_close(struct umk_pfkey *k);
UMK_API int umk_pfkey_fd(const struct umk_pfkey *k);

/* Sends one PF_KEY message; its answers come through umk_pfkey_recv. 0 or -1. */
UMK_API int umk_pfkey_send(struct umk_pfkey *k, const void *msg, size_t len);

/* The next PF_KEY message (an answer or an unsolicited one) into buf: its length, or -1
 * with errno ETIMEDOUT (nothing within timeout_ms; < 0 waits forever, 0 only looks),
 * EMSGSIZE (longer than cap: the message is dropped), ECONNRESET, EPROTO, or the errno
 * with which umikamed refused a request it could not even read as PF_KEY. */
UMK_API ssize_t umk_pfkey_recv(struct umk_pfkey *k, void *buf, size_t cap, int timeout_ms);

/* Sends msg and hands each of its answers to fn until the last one, within timeout_ms.
 * Unsolicited messages that arrive meanwhile are kept for umk_pfkey_recv. 0, or -1 with
 * errno (as umk_pfkey_recv). The PF_KEY result is each answer's sadb_msg_errno. */
UMK_API int umk_pfkey_request(struct umk_pfkey *k, const void *msg, size_t len, int timeout_ms,
			      void (*fn)(void *ctx, const void *msg, size_t len), void *ctx);

#ifdef __cplusplus
}
#endif

#endif
