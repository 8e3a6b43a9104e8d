/*
 * crypto.c - the crypto boundary (crypto.h) on OpenSSL's libcrypto, EVP only.
 * Each SA gets its contexts keyed once here; per packet we only reset the IV
 * (EVP_*Init_ex with NULL cipher and key) or re-init the MAC with its stored key, which
 * allocates nothing. AES-XCBC-MAC-96 (RFC 3566) has no EVP MAC in OpenSSL 3.0, so it is
 * built here from EVP AES-128-ECB exactly as RFC 3566 4 describes (K1/K2/K3 derivation and
 * CBC-MAC with the last-block rule); no cipher of our own.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ipsec/crypto.h"

#define XCBC_BLOCK 16

struct ipsec_crypto {
	enum ipsec_enc_alg enc;
	enum ipsec_auth_alg auth;
	uint8_t salt[IPSEC_SALT_LEN];
	uint32_t iv_len, block, icv_len;
	EVP_CIPHER_CTX *ectx, *dctx;    /* cipher or AEAD, one per direction */
	EVP_MAC_CTX *mac;               /* HMAC */
	EVP_CIPHER_CTX *xcbc;           /* AES-128-ECB keyed with K1 */
	uint8_t xcbc_k2[XCBC_BLOCK], xcbc_k3[XCBC_BLOCK];
	EVP_MAC *mac_alg;
};

static const struct enc_info {
	const char *name;
	bool aead;
	uint32_t iv_len, block, icv_len;
} enc_info[IPSEC_ENC__COUNT] = {
	[IPSEC_ENC_NONE] = { "none", false, 0, 4, 0 },
	/* RFC 4303 2.4: the trailer ends on a 4-byte boundary whatever the cipher */
	[IPSEC_ENC_NULL] = { "null", false, 0, 4, 0 },
	[IPSEC_ENC_AES_CBC] = { "aes-cbc", false, 16, 16, 0 },
	[IPSEC_ENC_AES_GCM16] = { "aes-gcm-16", true, 8, 4, 16 },
	[IPSEC_ENC_CHACHA20_POLY1305] = { "chacha20-poly1305", true, 8, 4, 16 },
	[IPSEC_ENC_AES_GMAC] = { "aes-gmac", true, 8, 4, 16 },
};

static const struct auth_info {
	const char *name;
	const char *digest;             /* HMAC digest, NULL for XCBC */
	uint32_t key_len, icv_len;
} auth_info[IPSEC_AUTH__COUNT] = {
	[IPSEC_AUTH_NONE] = { "none", NULL, 0, 0 },
	[IPSEC_AUTH_HMAC_SHA1_96] = { "hmac-sha1-96", "SHA1", 20, 12 },
	/* RFC 4868 2.1.1: the key is as long as the hash output */
	[IPSEC_AUTH_HMAC_SHA256_128] = { "hmac-sha256-128", "SHA256", 32, 16 },
	[IPSEC_AUTH_HMAC_SHA384_192] = { "hmac-sha384-192", "SHA384", 48, 24 },
	[IPSEC_AUTH_HMAC_SHA512_256] = { "hmac-sha512-256", "SHA512", 64, 32 },
	[IPSEC_AUTH_AES_XCBC_96] = { "aes-xcbc-96", NULL, 16, 12 },
};

const char *ipsec_enc_name(enum ipsec_enc_alg alg)
{
	return alg < IPSEC_ENC__COUNT ? enc_info[alg].name : "?";
}

const char *ipsec_auth_name(enum ipsec_auth_alg alg)
{
	return alg < IPSEC_AUTH__COUNT ? auth_info[alg].name : "?";
}

bool ipsec_enc_is_aead(enum ipsec_enc_alg alg)
{
	return alg < IPSEC_ENC__COUNT && enc_info[alg].aead;
}

bool ipsec_enc_key_ok(enum ipsec_enc_alg alg, size_t len)
{
	switch (alg) {
	case IPSEC_ENC_NONE:
	case IPSEC_ENC_NULL:
		return len == 0;
	case IPSEC_ENC_AES_CBC:
		return len == 16 || len == 24 || len == 32;
	case IPSEC_ENC_AES_GCM16:
	case IPSEC_ENC_AES_GMAC:
		return len == 16 + IPSEC_SALT_LEN || len == 24 + IPSEC_SALT_LEN ||
		       len == 32 + IPSEC_SALT_LEN;
	case IPSEC_ENC_CHACHA20_POLY1305:
		return len == 32 + IPSEC_SALT_LEN;
	default:
		return false;
	}
}

bool ipsec_auth_key_ok(enum ipsec_auth_alg alg, size_t len)
{
	return alg < IPSEC_AUTH__COUNT && auth_info[alg].key_len == len;
}

static const EVP_CIPHER *evp_cipher(enum ipsec_enc_alg alg, size_t keylen)
{
	switch (alg) {
	case IPSEC_ENC_AES_CBC:
		return keylen == 16 ? EVP_aes_128_cbc() :
		       keylen == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
	case IPSEC_ENC_AES_GCM16:
	case IPSEC_ENC_AES_GMAC:
		return keylen == 16 ? EVP_aes_128_gcm() :
		       keylen == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
	case IPSEC_ENC_CHACHA20_POLY1305:
		return EVP_chacha20_poly1305();
	default:
		return NULL;
	}
}

static int xcbc_setup(struct ipsec_crypto *c, const uint8_t *key)
{
	/* RFC 3566 4: K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..) */
	uint8_t in[3][XCBC_BLOCK], out[3][XCBC_BLOCK];
	int n, ok = 0;
	EVP_CIPHER_CTX *k = EVP_CIPHER_CTX_new();

	for (int i = 0; i < 3; i++)
		memset(in[i], i + 1, XCBC_BLOCK);
	if (k && EVP_EncryptInit_ex(k, EVP_aes_128_ecb(), NULL, key, NULL) &&
	    EVP_CIPHER_CTX_set_padding(k, 0) &&
	    EVP_EncryptUpdate(k, out[0], &n, in[0], sizeof(in)) && n == sizeof(in))
		ok = 1;
	EVP_CIPHER_CTX_free(k);
	c->xcbc = EVP_CIPHER_CTX_new();
	if (!ok || !c->xcbc || !EVP_EncryptInit_ex(c->xcbc, EVP_aes_128_ecb(), NULL, out[0], NULL) ||
	    !EVP_CIPHER_CTX_set_padding(c->xcbc, 0))
		ok = 0;
	memcpy(c->xcbc_k2, out[1], XCBC_BLOCK);
	memcpy(c->xcbc_k3, out[2], XCBC_BLOCK);
	OPENSSL_cleanse(out, sizeof(out));
	return ok ? 0 : -ENOMEM;
}

static int mac_setup(struct ipsec_crypto *c, const uint8_t *key, size_t keylen)
{
	const struct auth_info *ai = &auth_info[c->auth];
	if (c->auth == IPSEC_AUTH_AES_XCBC_96)
		return xcbc_setup(c, key);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)ai->digest, 0),
		OSSL_PARAM_construct_end(),
	};
	c->mac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!c->mac_alg)
		return -ENOMEM;
	c->mac = EVP_MAC_CTX_new(c->mac_alg);
	if (!c->mac || !EVP_MAC_init(c->mac, key, keylen, params))
		return -ENOMEM;
	return 0;
}

static int cipher_setup(struct ipsec_crypto *c, const uint8_t *key, size_t keylen)
{
	const EVP_CIPHER *cipher = evp_cipher(c->enc, keylen);
	if (!cipher)
		return 0; /* NULL encryption */
	c->ectx = EVP_CIPHER_CTX_new();
	c->dctx = EVP_CIPHER_CTX_new();
	if (!c->ectx || !c->dctx || !EVP_EncryptInit_ex(c->ectx, cipher, NULL, key, NULL) ||
	    !EVP_DecryptInit_ex(c->dctx, cipher, NULL, key, NULL))
		return -ENOMEM;
	if (c->enc == IPSEC_ENC_AES_CBC &&
	    (!EVP_CIPHER_CTX_set_padding(c->ectx, 0) || !EVP_CIPHER_CTX_set_padding(c->dctx, 0)))
		return -ENOMEM;
	return 0;
}

int ipsec_crypto_new(enum ipsec_enc_alg enc, const uint8_t *ekey, size_t ekeylen,
		     enum ipsec_auth_alg auth, const uint8_t *akey, size_t akeylen,
		     struct ipsec_crypto **out)
{
	*out = NULL;
	if (enc >= IPSEC_ENC__COUNT || auth >= IPSEC_AUTH__COUNT ||
	    !ipsec_enc_key_ok(enc, ekeylen) || !ipsec_auth_key_ok(auth, akeylen))
		return -EINVAL;
	/* an AEAD carries its own integrity; anything else needs an integrity algorithm
	 * (RFC 4303 3.2: ESP with neither confidentiality nor integrity is meaningless, and
	 * RFC 8221 5 forbids ESP encryption without integrity) */
	if (enc_info[enc].aead ? auth != IPSEC_AUTH_NONE : auth == IPSEC_AUTH_NONE)
		return -EINVAL;

	struct ipsec_crypto *c = OPENSSL_zalloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->enc = enc;
	c->auth = auth;
	c->iv_len = enc_info[enc].iv_len;
	c->block = enc_info[enc].block;
	c->icv_len = enc_info[enc].aead ? enc_info[enc].icv_len : auth_info[auth].icv_len;
	size_t keylen = ekeylen;
	if (enc_info[enc].aead) {
		keylen -= IPSEC_SALT_LEN;
		memcpy(c->salt, ekey + keylen, IPSEC_SALT_LEN); /* RFC 4106 8.1: salt last */
	}
	int r = cipher_setup(c, ekey, keylen);
	if (!r && auth != IPSEC_AUTH_NONE)
		r = mac_setup(c, akey, akeylen);
	if (r) {
		ipsec_crypto_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void ipsec_crypto_free(struct ipsec_crypto *c)
{
	if (!c)
		return;
	/* EVP_*_free cleanse the expanded keys they hold */
	EVP_CIPHER_CTX_free(c->ectx);
	EVP_CIPHER_CTX_free(c->dctx);
	EVP_CIPHER_CTX_free(c->xcbc);
	EVP_MAC_CTX_free(c->mac);
	EVP_MAC_free(c->mac_alg);
	OPENSSL_clear_free(c, sizeof(*c));
}

bool ipsec_crypto_aead(const struct ipsec_crypto *c) { return enc_info[c->enc].aead; }
bool ipsec_crypto_gmac(const struct ipsec_crypto *c) { return c->enc == IPSEC_ENC_AES_GMAC; }
uint32_t ipsec_crypto_iv_len(const struct ipsec_crypto *c) { return c->iv_len; }
uint32_t ipsec_crypto_block(const struct ipsec_crypto *c) { return c->block; }
uint32_t ipsec_crypto_icv_len(const struct ipsec_crypto *c) { return c->icv_len; }

/* ---- AEAD ---- */

static int aead_run(struct ipsec_crypto *c, EVP_CIPHER_CTX *ctx, int enc, const uint8_t *iv,
		    const struct ipsec_iov *aad, int naad, uint8_t *data, size_t len)
{
	uint8_t nonce[IPSEC_SALT_LEN + 8];
	int n;

	if (!c->ectx || len > INT32_MAX)
		return -EINVAL;
	memcpy(nonce, c->salt, IPSEC_SALT_LEN);
	memcpy(nonce + IPSEC_SALT_LEN, iv, 8);
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc))
		return -EIO;
	for (int i = 0; i < naad; i++)
		if (aad[i].len && !EVP_CipherUpdate(ctx, NULL, &n, aad[i].p, (int)aad[i].len))
			return -EIO;
	if (len && !EVP_CipherUpdate(ctx, data, &n, data, (int)len))
		return -EIO;
	return 0;
}

int ipsec_crypto_seal(struct ipsec_crypto *c, const uint8_t *iv, const struct ipsec_iov *aad,
		      int naad, uint8_t *data, size_t len, uint8_t *icv)
{
	uint8_t fin[16];
	int n, r = aead_run(c, c->ectx, 1, iv, aad, naad, data, len);
	if (r)
		return r;
	if (!EVP_EncryptFinal_ex(c->ectx, fin, &n) ||
	    !EVP_CIPHER_CTX_ctrl(c->ectx, EVP_CTRL_AEAD_GET_TAG, (int)c->icv_len, icv))
		return -EIO;
	return 0;
}

int ipsec_crypto_open(struct ipsec_crypto *c, const uint8_t *iv, const struct ipsec_iov *aad,
		      int naad, uint8_t *data, size_t len, const uint8_t *icv)
{
	uint8_t fin[16];
	int n, r = aead_run(c, c->dctx, 0, iv, aad, naad, data, len);
	if (r)
		return r;
	if (!EVP_CIPHER_CTX_ctrl(c->dctx, EVP_CTRL_AEAD_SET_TAG, (int)c->icv_len, (void *)icv))
		return -EIO;
	return EVP_DecryptFinal_ex(c->dctx, fin, &n) > 0 ? 0 : -EBADMSG;
}

/* ---- ciphers ---- */

static int cipher_run(struct ipsec_crypto *c, EVP_CIPHER_CTX *ctx, int enc, const uint8_t *iv,
		      uint8_t *data, size_t len)
{
	int n;
	if (c->enc == IPSEC_ENC_NULL)
		return 0;
	if (c->enc != IPSEC_ENC_AES_CBC || len % c->block || len > INT32_MAX)
		return -EINVAL;
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, enc) ||
	    !EVP_CipherUpdate(ctx, data, &n, data, (int)len))
		return -EIO;
	return 0;
}

int ipsec_crypto_encrypt(struct ipsec_crypto *c, const uint8_t *iv, uint8_t *data, size_t len)
{
	return cipher_run(c, c->ectx, 1, iv, data, len);
}

int ipsec_crypto_decrypt(struct ipsec_crypto *c, const uint8_t *iv, uint8_t *data, size_t len)
{
	return cipher_run(c, c->dctx, 0, iv, data, len);
}

/* ---- integrity ---- */

static int xcbc_block(struct ipsec_crypto *c, uint8_t e[XCBC_BLOCK], const uint8_t *m,
		      const uint8_t *k)
{
	int n;
	for (int i = 0; i < XCBC_BLOCK; i++)
		e[i] ^= m[i] ^ (k ? k[i] : 0);
	return EVP_EncryptUpdate(c->xcbc, e, &n, e, XCBC_BLOCK) && n == XCBC_BLOCK ? 0 : -EIO;
}

/* RFC 3566 4: CBC-MAC under K1 where the last block is xored with K2 when complete, or
 * padded with 10* and xored with K3. A full block is held back until more data shows it
 * was not the last. */
static int xcbc_mac(struct ipsec_crypto *c, const struct ipsec_iov *parts, int np,
		    uint8_t out[XCBC_BLOCK])
{
	uint8_t e[XCBC_BLOCK] = { 0 }, blk[XCBC_BLOCK];
	size_t have = 0;
	int r;

	for (int i = 0; i < np; i++) {
		const uint8_t *p = parts[i].p;
		size_t len = parts[i].len;
		while (len) {
			if (have == XCBC_BLOCK) {
				if ((r = xcbc_block(c, e, blk, NULL)))
					return r;
				have = 0;
			}
			size_t take = XCBC_BLOCK - have < len ? XCBC_BLOCK - have : len;
			memcpy(blk + have, p, take);
			have += take;
			p += take;
			len -= take;
		}
	}
	if (have == XCBC_BLOCK) {
		r = xcbc_block(c, e, blk, c->xcbc_k2);
	} else {
		blk[have] = 0x80;
		memset(blk + have + 1, 0, XCBC_BLOCK - have - 1);
		r = xcbc_block(c, e, blk, c->xcbc_k3);
	}
	memcpy(out, e, XCBC_BLOCK);
	return r;
}

static int mac_full(struct ipsec_crypto *c, const struct ipsec_iov *parts, int n,
		    uint8_t out[64])
{
	size_t olen;
	if (c->auth == IPSEC_AUTH_AES_XCBC_96)
		return xcbc_mac(c, parts, n, out);
	if (!c->mac)
		return -EINVAL;
	/* NULL key: start over with the key given at setup */
	if (!EVP_MAC_init(c->mac, NULL, 0, NULL))
		return -EIO;
	for (int i = 0; i < n; i++)
		if (parts[i].len && !EVP_MAC_update(c->mac, parts[i].p, parts[i].len))
			return -EIO;
	return EVP_MAC_final(c->mac, out, &olen, 64) ? 0 : -EIO;
}

int ipsec_crypto_icv(struct ipsec_crypto *c, const struct ipsec_iov *parts, int n, uint8_t *icv)
{
	uint8_t full[64];
	int r = mac_full(c, parts, n, full);
	if (!r)
		memcpy(icv, full, c->icv_len);   /* RFC 2404 2, RFC 4868 2.1.1: truncation */
	return r;
}

int ipsec_crypto_icv_verify(struct ipsec_crypto *c, const struct ipsec_iov *parts, int n,
			    const uint8_t *icv)
{
	uint8_t full[64];
	int r = mac_full(c, parts, n, full);
	if (r)
		return r;
	return CRYPTO_memcmp(full, icv, c->icv_len) == 0 ? 0 : -EBADMSG;
}

int ipsec_crypto_random(uint8_t *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}
