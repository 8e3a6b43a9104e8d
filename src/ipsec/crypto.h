/*
 * crypto.h - the crypto boundary of IPsec (DESIGN.md "Crypto"): every cipher and MAC that
 * ESP and AH use, behind one small interface so an embedded build can swap the backend.
 * crypto.c implements it on OpenSSL's libcrypto (EVP). Algorithms after RFC 8221:
 *   AEAD:       AES-GCM-16 (RFC 4106), ChaCha20-Poly1305 (RFC 7634), AES-GMAC (RFC 4543,
 *               integrity only: everything goes in the AAD)
 *   ciphers:    AES-CBC (RFC 3602), NULL (RFC 2410)
 *   integrity:  HMAC-SHA2-256-128/384-192/512-256 (RFC 4868), HMAC-SHA1-96 (RFC 2404),
 *               AES-XCBC-MAC-96 (RFC 3566)
 * A context is made once per SA (keys expanded there); the per-packet calls allocate
 * nothing. Keys are wiped when the context is freed.
 */
#ifndef UMK_IPSEC_CRYPTO_H
#define UMK_IPSEC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ipsec_enc_alg {
	IPSEC_ENC_NONE = 0,          /* AH: no cipher at all */
	IPSEC_ENC_NULL,              /* RFC 2410 */
	IPSEC_ENC_AES_CBC,           /* RFC 3602: 128/192/256-bit keys */
	IPSEC_ENC_AES_GCM16,         /* RFC 4106: key + 4-byte salt, 16-byte ICV */
	IPSEC_ENC_CHACHA20_POLY1305, /* RFC 7634: 256-bit key + 4-byte salt */
	IPSEC_ENC_AES_GMAC,          /* RFC 4543 ENCR_NULL_AUTH_AES_GMAC: key + 4-byte salt */
	IPSEC_ENC__COUNT
};

enum ipsec_auth_alg {
	IPSEC_AUTH_NONE = 0,         /* with an AEAD, or (never for ESP) nothing */
	IPSEC_AUTH_HMAC_SHA1_96,     /* RFC 2404 */
	IPSEC_AUTH_HMAC_SHA256_128,  /* RFC 4868 */
	IPSEC_AUTH_HMAC_SHA384_192,
	IPSEC_AUTH_HMAC_SHA512_256,
	IPSEC_AUTH_AES_XCBC_96,      /* RFC 3566 */
	IPSEC_AUTH__COUNT
};

#define IPSEC_SALT_LEN     4      /* RFC 4106 4, RFC 7634 2, RFC 4543 3.2 */
#define IPSEC_MAX_ICV_LEN  32     /* HMAC-SHA-512-256 */
#define IPSEC_MAX_IV_LEN   16
#define IPSEC_MAX_ENC_KEY  (32 + IPSEC_SALT_LEN)
#define IPSEC_MAX_AUTH_KEY 64

struct ipsec_crypto;

/* A piece of data covered by a MAC or an AEAD's associated data. */
struct ipsec_iov {
	const uint8_t *p;
	size_t len;
};

/* Key lengths in bytes an algorithm accepts (salt included for the AEADs). */
bool ipsec_enc_key_ok(enum ipsec_enc_alg alg, size_t len);
bool ipsec_auth_key_ok(enum ipsec_auth_alg alg, size_t len);
bool ipsec_enc_is_aead(enum ipsec_enc_alg alg);
const char *ipsec_enc_name(enum ipsec_enc_alg alg);
const char *ipsec_auth_name(enum ipsec_auth_alg alg);

/* A context for one SA. An AEAD takes no integrity algorithm; NULL encryption needs one.
 * 0, -EINVAL (bad combination or key length) or -ENOMEM. */
int ipsec_crypto_new(enum ipsec_enc_alg enc, const uint8_t *ekey, size_t ekeylen,
		     enum ipsec_auth_alg auth, const uint8_t *akey, size_t akeylen,
		     struct ipsec_crypto **out);
void ipsec_crypto_free(struct ipsec_crypto *c);

bool ipsec_crypto_aead(const struct ipsec_crypto *c);
/* GMAC: an AEAD whose "plaintext" is empty and whose AAD is the whole payload. */
bool ipsec_crypto_gmac(const struct ipsec_crypto *c);
uint32_t ipsec_crypto_iv_len(const struct ipsec_crypto *c);    /* IV bytes on the wire */
uint32_t ipsec_crypto_block(const struct ipsec_crypto *c);     /* ESP padding alignment */
uint32_t ipsec_crypto_icv_len(const struct ipsec_crypto *c);

/* AEAD (GCM, ChaCha20-Poly1305, GMAC): nonce = salt || iv (8 bytes); AAD is the
 * concatenation of aad[0..naad); data encrypted/decrypted in place; icv written/checked.
 * open returns 0 or -EBADMSG (the tag did not verify; data is then garbage). */
int ipsec_crypto_seal(struct ipsec_crypto *c, const uint8_t *iv, const struct ipsec_iov *aad,
		      int naad, uint8_t *data, size_t len, uint8_t *icv);
int ipsec_crypto_open(struct ipsec_crypto *c, const uint8_t *iv, const struct ipsec_iov *aad,
		      int naad, uint8_t *data, size_t len, const uint8_t *icv);

/* Cipher without integrity (AES-CBC, NULL), in place; len a multiple of the block. */
int ipsec_crypto_encrypt(struct ipsec_crypto *c, const uint8_t *iv, uint8_t *data, size_t len);
int ipsec_crypto_decrypt(struct ipsec_crypto *c, const uint8_t *iv, uint8_t *data, size_t len);

/* Integrity algorithm: the truncated ICV over the concatenation of parts. verify compares
 * in constant time: 0 or -EBADMSG. */
int ipsec_crypto_icv(struct ipsec_crypto *c, const struct ipsec_iov *parts, int n, uint8_t *icv);
int ipsec_crypto_icv_verify(struct ipsec_crypto *c, const struct ipsec_iov *parts, int n,
			    const uint8_t *icv);

/* Fresh IV bytes from the system CSPRNG (never the stack's PRNG, which is for jitter). */
int ipsec_crypto_random(uint8_t *buf, size_t len);

#endif
