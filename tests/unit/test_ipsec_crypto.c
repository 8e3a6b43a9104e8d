/*
 * test_ipsec_crypto.c - known-answer tests of the crypto boundary (src/ipsec/crypto.c).
 * Every expected value is a published test vector:
 *   HMAC-SHA-256/384/512 truncated: RFC 4868 2.7.2.1-2.7.2.3 test case 1 ("Hi There")
 *                                   and AUTH256 case 2 ("Jefe" key repeated)
 *   HMAC-SHA1-96: RFC 2202 3 test case 1 truncated as RFC 2404 says
 *   AES-XCBC-MAC-96: RFC 3566 4.6 test cases 1-6
 *   AES-CBC: RFC 3602 4 cases 1 and 2
 *   AES-GCM-16: the GCM specification's (McGrew-Viega) test cases 4 and 16, split into
 *               key || salt and 8-byte IV as RFC 4106 8.1 does
 *   ChaCha20-Poly1305: RFC 8439 2.8.2 (nonce 07000000 || 4041424344454647: the salt
 *                      and the IV of RFC 7634 2)
 *   AES-GMAC: GCM test case 1 (empty input; the tag of the zero key and nonce)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>

#include "ipsec/crypto.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (h[0] && h[1]) {
		unsigned v;
		assert_true(n < cap);
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* ---- integrity ---- */

static const struct mac_case {
	const char *name;
	enum ipsec_auth_alg alg;
	const char *key;       /* hex, or NULL: key_byte repeated */
	uint8_t key_byte;
	size_t key_len;
	const char *msg;       /* hex */
	const char *icv;       /* truncated */
} mac_cases[] = {
	{ "RFC4868 AUTH256-1", IPSEC_AUTH_HMAC_SHA256_128, NULL, 0x0b, 32, "4869205468657265",
	  "198a607eb44bfbc69903a0f1cf2bbdc5" },
	{ "RFC4868 AUTH256-2", IPSEC_AUTH_HMAC_SHA256_128,
	  "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665", 0, 32,
	  "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	  "167f928588c5cc2eef8e3093caa0e87c" },
	{ "RFC4868 AUTH384-1", IPSEC_AUTH_HMAC_SHA384_192, NULL, 0x0b, 48, "4869205468657265",
	  "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973" },
	{ "RFC4868 AUTH512-1", IPSEC_AUTH_HMAC_SHA512_256, NULL, 0x0b, 64, "4869205468657265",
	  "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8" },
	{ "RFC2202/2404 SHA1-96 case 1", IPSEC_AUTH_HMAC_SHA1_96, NULL, 0x0b, 20,
	  "4869205468657265", "b617318655057264e28bc0b6" },
	{ "RFC3566 case 1", IPSEC_AUTH_AES_XCBC_96, "000102030405060708090a0b0c0d0e0f", 0, 16,
	  "", "75f0251d528ac01c4573dfd5" },
	{ "RFC3566 case 2", IPSEC_AUTH_AES_XCBC_96, "000102030405060708090a0b0c0d0e0f", 0, 16,
	  "000102", "5b376580ae2f19afe7219cee" },
	{ "RFC3566 case 3", IPSEC_AUTH_AES_XCBC_96, "000102030405060708090a0b0c0d0e0f", 0, 16,
	  "000102030405060708090a0b0c0d0e0f", "d2a246fa349b68a79998a439" },
	{ "RFC3566 case 4", IPSEC_AUTH_AES_XCBC_96, "000102030405060708090a0b0c0d0e0f", 0, 16,
	  "000102030405060708090a0b0c0d0e0f10111213", "47f51b4564966215b8985c63" },
	{ "RFC3566 case 5", IPSEC_AUTH_AES_XCBC_96, "000102030405060708090a0b0c0d0e0f", 0, 16,
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  "f54f0ec8d2b9f3d36807734b" },
	{ "RFC3566 case 6", IPSEC_AUTH_AES_XCBC_96, "000102030405060708090a0b0c0d0e0f", 0, 16,
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021",
	  "becbb3bccdb518a30677d548" },
};

static void test_mac_kat(void **state)
{
	for (size_t i = 0; i < sizeof(mac_cases) / sizeof(mac_cases[0]); i++) {
		const struct mac_case *c = &mac_cases[i];
		uint8_t key[64], msg[128], want[32], icv[32];
		size_t mlen = unhex(c->msg, msg, sizeof(msg));
		size_t wlen = unhex(c->icv, want, sizeof(want));
		if (c->key)
			unhex(c->key, key, sizeof(key));
		else
			memset(key, c->key_byte, c->key_len);
		struct ipsec_crypto *cr;
		print_message("%s\n", c->name);
		assert_int_equal(ipsec_crypto_new(IPSEC_ENC_NULL, NULL, 0, c->alg, key, c->key_len,
						  &cr), 0);
		assert_int_equal(ipsec_crypto_icv_len(cr), wlen);
		/* twice, split differently: the context is reused per packet */
		for (int round = 0; round < 2; round++) {
			size_t cut = round ? mlen / 3 : mlen;
			struct ipsec_iov parts[2] = { { msg, cut }, { msg + cut, mlen - cut } };
			memset(icv, 0, sizeof(icv));
			assert_int_equal(ipsec_crypto_icv(cr, parts, 2, icv), 0);
			assert_memory_equal(icv, want, wlen);
			assert_int_equal(ipsec_crypto_icv_verify(cr, parts, 2, want), 0);
		}
		want[wlen - 1] ^= 1;
		struct ipsec_iov all = { msg, mlen };
		assert_int_equal(ipsec_crypto_icv_verify(cr, &all, 1, want), -EBADMSG);
		ipsec_crypto_free(cr);
	}
}

/* ---- AES-CBC ---- */

static void test_cbc_kat(void **state)
{
	static const struct { const char *key, *iv, *pt, *ct; } cases[] = {
		{ "06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
		  "53696e676c6520626c6f636b206d7367", "e353779c1079aeb82708942dbe77181a" },
		{ "c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
		  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		  "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1" },
	};
	uint8_t akey[32] = { 1 };
	for (size_t i = 0; i < 2; i++) {
		uint8_t key[32], iv[16], pt[64], ct[64], buf[64];
		size_t kl = unhex(cases[i].key, key, sizeof(key));
		unhex(cases[i].iv, iv, sizeof(iv));
		size_t n = unhex(cases[i].pt, pt, sizeof(pt));
		unhex(cases[i].ct, ct, sizeof(ct));
		struct ipsec_crypto *c;
		assert_int_equal(ipsec_crypto_new(IPSEC_ENC_AES_CBC, key, kl,
						  IPSEC_AUTH_HMAC_SHA256_128, akey, 32, &c), 0);
		assert_int_equal(ipsec_crypto_iv_len(c), 16);
		memcpy(buf, pt, n);
		assert_int_equal(ipsec_crypto_encrypt(c, iv, buf, n), 0);
		assert_memory_equal(buf, ct, n);
		assert_int_equal(ipsec_crypto_decrypt(c, iv, buf, n), 0);
		assert_memory_equal(buf, pt, n);
		ipsec_crypto_free(c);
	}
}

/* ---- AEAD ---- */

static const struct aead_case {
	const char *name;
	enum ipsec_enc_alg alg;
	const char *key;       /* key || salt */
	const char *iv, *aad, *pt, *ct, *tag;
} aead_cases[] = {
	{ "GCM test case 4 (AES-128)", IPSEC_ENC_AES_GCM16,
	  "feffe9928665731c6d6a8f9467308308cafebabe", "facedbaddecaf888",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "GCM test case 16 (AES-256)", IPSEC_ENC_AES_GCM16,
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308cafebabe",
	  "facedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
	{ "RFC 8439 2.8.2", IPSEC_ENC_CHACHA20_POLY1305,
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f07000000",
	  "4041424344454647", "50515253c0c1c2c3c4c5c6c7",
	  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	  "637265656e20776f756c642062652069742e",
	  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	  "3ff4def08e4b7a9de576d26586cec64b6116",
	  "1ae10b594f09e26a7e902ecbd0600691" },
	{ "GCM test case 1 as GMAC", IPSEC_ENC_AES_GMAC,
	  "0000000000000000000000000000000000000000", "0000000000000000", "", "", "",
	  "58e2fccefa7e3061367f1d57a4e7455a" },
};

static void test_aead_kat(void **state)
{
	for (size_t i = 0; i < sizeof(aead_cases) / sizeof(aead_cases[0]); i++) {
		const struct aead_case *c = &aead_cases[i];
		uint8_t key[40], iv[8], aad[32], pt[128], ct[128], tag[16], buf[128], out[16];
		size_t kl = unhex(c->key, key, sizeof(key));
		unhex(c->iv, iv, sizeof(iv));
		size_t al = unhex(c->aad, aad, sizeof(aad));
		size_t n = unhex(c->pt, pt, sizeof(pt));
		unhex(c->ct, ct, sizeof(ct));
		unhex(c->tag, tag, sizeof(tag));
		struct ipsec_crypto *cr;
		print_message("%s\n", c->name);
		assert_int_equal(ipsec_crypto_new(c->alg, key, kl, IPSEC_AUTH_NONE, NULL, 0, &cr), 0);
		assert_true(ipsec_crypto_aead(cr));
		assert_int_equal(ipsec_crypto_icv_len(cr), 16);
		/* the AAD split in two pieces, as ESP hands it over (SPI, then sequence) */
		struct ipsec_iov a[2] = { { aad, al / 2 }, { aad + al / 2, al - al / 2 } };
		for (int round = 0; round < 2; round++) {
			memcpy(buf, pt, n);
			assert_int_equal(ipsec_crypto_seal(cr, iv, a, 2, buf, n, out), 0);
			assert_memory_equal(buf, ct, n);
			assert_memory_equal(out, tag, 16);
			assert_int_equal(ipsec_crypto_open(cr, iv, a, 2, buf, n, tag), 0);
			assert_memory_equal(buf, pt, n);
		}
		/* a flipped tag bit, or a changed AAD, is refused */
		memcpy(buf, ct, n);
		tag[0] ^= 1;
		assert_int_equal(ipsec_crypto_open(cr, iv, a, 2, buf, n, tag), -EBADMSG);
		tag[0] ^= 1;
		if (al) {
			aad[0] ^= 1;
			memcpy(buf, ct, n);
			assert_int_equal(ipsec_crypto_open(cr, iv, a, 2, buf, n, tag), -EBADMSG);
		}
		ipsec_crypto_free(cr);
	}
}

/* ---- parameters ---- */

static void test_bad_params(void **state)
{
	static const struct {
		enum ipsec_enc_alg enc;
		size_t ekl;
		enum ipsec_auth_alg auth;
		size_t akl;
	} bad[] = {
		{ IPSEC_ENC_AES_GCM16, 16, IPSEC_AUTH_NONE, 0 },        /* no salt */
		{ IPSEC_ENC_AES_GCM16, 20, IPSEC_AUTH_HMAC_SHA1_96, 20 }, /* AEAD + integrity */
		{ IPSEC_ENC_AES_CBC, 16, IPSEC_AUTH_NONE, 0 },          /* no integrity */
		{ IPSEC_ENC_AES_CBC, 17, IPSEC_AUTH_HMAC_SHA256_128, 32 },
		{ IPSEC_ENC_NULL, 0, IPSEC_AUTH_HMAC_SHA256_128, 20 },  /* RFC 4868 key length */
		{ IPSEC_ENC_CHACHA20_POLY1305, 20, IPSEC_AUTH_NONE, 0 },
		{ IPSEC_ENC_NULL, 0, IPSEC_AUTH_NONE, 0 },
	};
	uint8_t k[64] = { 0 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ipsec_crypto *c = (void *)1;
		assert_int_equal(ipsec_crypto_new(bad[i].enc, k, bad[i].ekl, bad[i].auth, k,
						  bad[i].akl, &c), -EINVAL);
		assert_null(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_kat),
		cmocka_unit_test(test_cbc_kat),
		cmocka_unit_test(test_aead_kat),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
