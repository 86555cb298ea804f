/* AES-CM-128 (RFC 3711 4.1.1) and HMAC-SHA1 (RFC 3711 4.2.1) for libsrtp2,
 * computed by OpenSSL's libcrypto; see srtp-crypto.h.
 *
 * Why: Debian builds libsrtp2 on NSS, whose ciphers each hold an NSS
 * context. While a call lasts NSS stays initialised, with its softoken,
 * freebl and sqlite mapped (over 1 MB resident), and NSS builds a PKCS#11
 * context for every packet. libcrypto is in the process anyway (ICE), and
 * libsrtp2 lets an application supply these two transforms: libsrtp2
 * still does all of SRTP (key derivation, indices, replay, tags); only the
 * block cipher and the MAC it calls run here. */
#include "config.h"

#include "media/srtp-crypto.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define AES_128_KEY_LEN 16
#define ICM_BLOCK 16
#define SHA1_LEN 20

/* Fetched once: a fetch by name per packet would search OpenSSL's
 * provider tables every time. Kept for the life of the process. */
static EVP_CIPHER *aes_128_ctr;
static EVP_MAC *hmac;

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void
fetch (void)
{
  aes_128_ctr = EVP_CIPHER_fetch (NULL, "AES-128-CTR", NULL);
  hmac = EVP_MAC_fetch (NULL, "HMAC", NULL);
}

static bool
fetched (void)
{
  pthread_once (&fetch_once, fetch);
  return aes_128_ctr != NULL && hmac != NULL;
}

static void
wipe (void *p, size_t n)
{
  volatile uint8_t *v = p;
  while (n--)
    *v++ = 0;
}

/* ---- AES-CM ------------------------------------------------------------ */

typedef struct
{
  EVP_CIPHER_CTX *ctx;
  /* The session salt, padded with two zero octets: the counter block is
   * this XOR the 16-octet IV libsrtp gives (SSRC, packet index << 16). */
  uint8_t offset[ICM_BLOCK];
} icm_state;

static srtp_err_status_t
icm_dealloc (srtp_cipher_pointer_t c)
{
  if (c == NULL)
    return srtp_err_status_ok;
  icm_state *s = c->state;
  if (s)
    {
      EVP_CIPHER_CTX_free (s->ctx);
      wipe (s, sizeof *s);
      free (s);
    }
  free (c);
  return srtp_err_status_ok;
}

static srtp_err_status_t
icm_alloc (srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
  if (cp == NULL || key_len != SRTP_AES_ICM_128_KEY_LEN_WSALT)
    return srtp_err_status_bad_param;
  if (!fetched ())
    return srtp_err_status_init_fail;
  srtp_cipher_t *c = calloc (1, sizeof *c);
  icm_state *s = calloc (1, sizeof *s);
  if (c)
    c->state = s;
  if (c == NULL || s == NULL || (s->ctx = EVP_CIPHER_CTX_new ()) == NULL)
    {
      if (c == NULL)
        free (s);
      icm_dealloc (c);
      return srtp_err_status_alloc_fail;
    }
  c->type = &media_srtp_aes_icm_128;
  c->key_len = key_len;
  c->algorithm = SRTP_AES_ICM_128;
  *cp = c;
  return srtp_err_status_ok;
}

/* key is the 16-octet key followed by the 14-octet salt. */
static srtp_err_status_t
icm_init (void *state, const uint8_t *key)
{
  icm_state *s = state;
  memcpy (s->offset, key + AES_128_KEY_LEN, SRTP_SALT_LEN);
  s->offset[ICM_BLOCK - 2] = s->offset[ICM_BLOCK - 1] = 0;
  if (EVP_EncryptInit_ex2 (s->ctx, aes_128_ctr, key, NULL, NULL) != 1)
    return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
icm_set_iv (void *state, uint8_t *iv, srtp_cipher_direction_t direction)
{
  icm_state *s = state;
  uint8_t counter[ICM_BLOCK];
  for (int i = 0; i < ICM_BLOCK; i++)
    counter[i] = s->offset[i] ^ iv[i];
  /* A new IV restarts the key stream; the key schedule is kept. */
  int ok = EVP_EncryptInit_ex2 (s->ctx, NULL, NULL, counter, NULL);
  wipe (counter, sizeof counter);
  return ok == 1 ? srtp_err_status_ok : srtp_err_status_cipher_fail;
}

/* Encryption and decryption are the same XOR with the key stream. */
static srtp_err_status_t
icm_crypt (void *state, uint8_t *buf, unsigned int *len)
{
  icm_state *s = state;
  int out = 0;
  if (*len > INT_MAX)
    return srtp_err_status_bad_param;
  if (EVP_EncryptUpdate (s->ctx, buf, &out, buf, (int) *len) != 1
      || out != (int) *len)
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

/* RFC 3711 B.2: session key and salt, IV 0, the first two key stream
 * blocks (encrypting zeros yields the key stream). */
static const uint8_t icm_test_key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {
  0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
  0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
  0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
  0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t icm_test_iv[ICM_BLOCK];
static const uint8_t icm_test_plain[2 * ICM_BLOCK];
static const uint8_t icm_test_stream[2 * ICM_BLOCK] = {
  0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80,
  0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
  0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7,
  0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};
static const srtp_cipher_test_case_t icm_test = {
  .key_length_octets = SRTP_AES_ICM_128_KEY_LEN_WSALT,
  .key = icm_test_key,
  .idx = icm_test_iv,
  .plaintext_length_octets = sizeof icm_test_plain,
  .plaintext = icm_test_plain,
  .ciphertext_length_octets = sizeof icm_test_stream,
  .ciphertext = icm_test_stream,
};

const srtp_cipher_type_t media_srtp_aes_icm_128 = {
  .alloc = icm_alloc,
  .dealloc = icm_dealloc,
  .init = icm_init,
  .encrypt = icm_crypt,
  .decrypt = icm_crypt,
  .set_iv = icm_set_iv,
  .description = "AES-128 counter mode (OpenSSL libcrypto)",
  .test_data = &icm_test,
  .id = SRTP_AES_ICM_128,
};

/* ---- HMAC-SHA1 --------------------------------------------------------- */

static srtp_err_status_t
hmac_dealloc (srtp_auth_pointer_t a)
{
  if (a == NULL)
    return srtp_err_status_ok;
  EVP_MAC_CTX_free (a->state);
  free (a);
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_alloc (srtp_auth_pointer_t *ap, int key_len, int out_len)
{
  /* SRTP's authentication key is 160 bits; tags are at most the digest. */
  if (ap == NULL || key_len < 1 || key_len > SHA1_LEN || out_len < 0
      || out_len > SHA1_LEN)
    return srtp_err_status_bad_param;
  if (!fetched ())
    return srtp_err_status_init_fail;
  srtp_auth_t *a = calloc (1, sizeof *a);
  if (a == NULL || (a->state = EVP_MAC_CTX_new (hmac)) == NULL)
    {
      free (a);
      return srtp_err_status_alloc_fail;
    }
  a->type = &media_srtp_hmac_sha1;
  a->out_len = out_len;
  a->key_len = key_len;
  a->prefix_len = 0;
  *ap = a;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_init (void *state, const uint8_t *key, int key_len)
{
  OSSL_PARAM params[2];
  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST,
                                                (char *) "SHA1", 0);
  params[1] = OSSL_PARAM_construct_end ();
  if (key_len < 1
      || EVP_MAC_init (state, key, (size_t) key_len, params) != 1)
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

/* Starts a new message under the key already set. */
static srtp_err_status_t
hmac_start (void *state)
{
  return EVP_MAC_init (state, NULL, 0, NULL) == 1 ? srtp_err_status_ok
                                                  : srtp_err_status_auth_fail;
}

static srtp_err_status_t
hmac_update (void *state, const uint8_t *buf, int len)
{
  if (len < 0 || EVP_MAC_update (state, buf, (size_t) len) != 1)
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_compute (void *state, const uint8_t *buf, int len, int tag_len,
              uint8_t *tag)
{
  uint8_t digest[SHA1_LEN];
  size_t got = 0;
  if (tag_len < 0 || tag_len > SHA1_LEN)
    return srtp_err_status_bad_param;
  srtp_err_status_t st = hmac_update (state, buf, len);
  if (st == srtp_err_status_ok
      && (EVP_MAC_final (state, digest, &got, sizeof digest) != 1
          || got != SHA1_LEN))
    st = srtp_err_status_auth_fail;
  if (st == srtp_err_status_ok)
    memcpy (tag, digest, (size_t) tag_len);
  wipe (digest, sizeof digest);
  return st;
}

/* RFC 2202 section 3, test case 1. */
static const uint8_t hmac_test_key[SHA1_LEN] = {
  0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
  0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t hmac_test_data[] = "Hi There";
static const uint8_t hmac_test_tag[SHA1_LEN] = {
  0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
  0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const srtp_auth_test_case_t hmac_test = {
  .key_length_octets = sizeof hmac_test_key,
  .key = hmac_test_key,
  .data_length_octets = sizeof hmac_test_data - 1,
  .data = hmac_test_data,
  .tag_length_octets = sizeof hmac_test_tag,
  .tag = hmac_test_tag,
};

const srtp_auth_type_t media_srtp_hmac_sha1 = {
  .alloc = hmac_alloc,
  .dealloc = hmac_dealloc,
  .init = hmac_init,
  .compute = hmac_compute,
  .update = hmac_update,
  .start = hmac_start,
  .description = "HMAC-SHA1 (OpenSSL libcrypto)",
  .test_data = &hmac_test,
  .id = SRTP_HMAC_SHA1,
};

/* ---- Installation ------------------------------------------------------ */

int
media_srtp_crypto_install (void)
{
  if (!fetched ())
    return -ENOTSUP;
  /* Each replacement first passes its own known-answer test and
   * libsrtp's for the transform it replaces. */
  if (srtp_replace_cipher_type (&media_srtp_aes_icm_128, SRTP_AES_ICM_128)
          != srtp_err_status_ok
      || srtp_replace_auth_type (&media_srtp_hmac_sha1, SRTP_HMAC_SHA1)
             != srtp_err_status_ok)
    return -EIO;
  return 0;
}
