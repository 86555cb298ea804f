/* STUN authentication and integrity (RFC 8489 sections 9, 14.5-14.7 and
 * 14.10): MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256,
 * FINGERPRINT (CRC-32), long-term keys (MD5, SHA-256) and USERHASH. */
#include "stun-msg.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <zlib.h>

#define SHA1_LEN 20
#define SHA256_LEN 32
#define FINGERPRINT_XOR 0x5354554Eu

uint32_t
ice_stun_fingerprint (const uint8_t *data, size_t len)
{
  uLong crc = crc32 (0L, Z_NULL, 0);
  /* zlib takes uInt lengths; STUN messages are far below that */
  crc = crc32 (crc, data, (uInt) len);
  return (uint32_t) crc ^ FINGERPRINT_XOR;
}

/* HMAC(key, hdr[0..20) || body) with the named digest.  hdr is the STUN
 * header with its length field already adjusted by the caller; body is the
 * rest of the message up to the integrity attribute. */
static int
stun_hmac (const char *digest, const void *key, size_t keylen,
           const uint8_t hdr[ICE_STUN_HEADER_LEN], const uint8_t *body,
           size_t bodylen, uint8_t *out, size_t outcap)
{
  /* HMAC pads the key with zeros, so an empty key equals a one-zero-byte
   * key; EVP_MAC_init refuses a zero-length key. */
  static const uint8_t zero_key = 0;
  if (keylen == 0)
    {
      key = &zero_key;
      keylen = 1;
    }

  int ret = -EIO;
  EVP_MAC *mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new (mac) : NULL;
  OSSL_PARAM params[2];
  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST,
                                                (char *) digest, 0);
  params[1] = OSSL_PARAM_construct_end ();
  size_t outlen = 0;
  if (ctx != NULL && EVP_MAC_init (ctx, key, keylen, params) == 1
      && EVP_MAC_update (ctx, hdr, ICE_STUN_HEADER_LEN) == 1
      && EVP_MAC_update (ctx, body, bodylen) == 1
      && EVP_MAC_final (ctx, out, &outlen, outcap) == 1 && outlen == outcap)
    ret = 0;
  EVP_MAC_CTX_free (ctx);
  EVP_MAC_free (mac);
  return ret;
}

/* Computes the HMAC for an integrity attribute starting at attr_off whose
 * value is vlen bytes: the header length is set as if the message ended
 * right after this attribute (RFC 8489 14.5). */
static int
integrity_for (const uint8_t *msg, size_t attr_off, size_t vlen,
               const char *digest, const void *key, size_t keylen,
               uint8_t *out, size_t outcap)
{
  uint8_t hdr[ICE_STUN_HEADER_LEN];
  memcpy (hdr, msg, sizeof hdr);
  size_t adjusted = attr_off + ICE_STUN_ATTR_HEADER_LEN + vlen
                    - ICE_STUN_HEADER_LEN;
  hdr[2] = (uint8_t) (adjusted >> 8);
  hdr[3] = (uint8_t) adjusted;
  return stun_hmac (digest, key, keylen, hdr, msg + ICE_STUN_HEADER_LEN,
                    attr_off - ICE_STUN_HEADER_LEN, out, outcap);
}

/* Appends an integrity attribute: reserve it (zeros) through the ordinary
 * writer so the ordering rules and header length are applied, then fill in
 * the MAC over everything before it. */
static int
add_integrity (ice_stun_writer *w, uint16_t type, const char *digest,
               size_t maclen, const void *key, size_t keylen)
{
  static const uint8_t zeros[SHA256_LEN];
  if (key == NULL && keylen > 0)
    {
      if (w->err == 0)
        w->err = -EINVAL;
      return w->err;
    }
  int r = ice_stun_add_bytes (w, type, zeros, maclen);
  if (r < 0)
    return r;
  size_t attr_off = w->len - ICE_STUN_ATTR_HEADER_LEN - maclen;
  r = integrity_for (w->buf, attr_off, maclen, digest, key, keylen,
                     w->buf + w->len - maclen, maclen);
  if (r < 0)
    {
      w->err = r;
      return r;
    }
  return 0;
}

int
ice_stun_add_integrity (ice_stun_writer *w, const void *key, size_t keylen)
{
  int r = add_integrity (w, ICE_STUN_ATTR_MESSAGE_INTEGRITY, "SHA1",
                         SHA1_LEN, key, keylen);
  if (r == 0)
    w->has_integrity = true;
  return r;
}

int
ice_stun_add_integrity_sha256 (ice_stun_writer *w, const void *key,
                               size_t keylen)
{
  int r = add_integrity (w, ICE_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, "SHA256",
                         SHA256_LEN, key, keylen);
  if (r == 0)
    w->has_integrity_sha256 = true;
  return r;
}

int
ice_stun_add_fingerprint (ice_stun_writer *w)
{
  int r = ice_stun_add_u32 (w, ICE_STUN_ATTR_FINGERPRINT, 0);
  if (r < 0)
    return r;
  uint32_t crc = ice_stun_fingerprint (w->buf, w->len - 8);
  uint8_t *p = w->buf + w->len - 4;
  p[0] = (uint8_t) (crc >> 24);
  p[1] = (uint8_t) (crc >> 16);
  p[2] = (uint8_t) (crc >> 8);
  p[3] = (uint8_t) crc;
  w->has_fingerprint = true;
  return 0;
}

static int
check_integrity (const ice_stun_msg *msg, int idx, const char *digest,
                 size_t maclen, const void *key, size_t keylen)
{
  if (idx < 0 || (size_t) idx >= msg->n_attrs)
    return -ENOENT;
  if (key == NULL && keylen > 0)
    return -EINVAL;
  const ice_stun_attr *a = &msg->attrs[idx];
  /* parse guarantees 20 bytes for SHA1 and 16..32 for SHA256 */
  if (a->len > maclen)
    return -EACCES;
  uint8_t mac[SHA256_LEN];
  int r = integrity_for (msg->data, a->offset, a->len, digest, key, keylen,
                         mac, maclen);
  if (r < 0)
    return r;
  return CRYPTO_memcmp (mac, a->value, a->len) == 0 ? 0 : -EACCES;
}

int
ice_stun_msg_check_integrity (const ice_stun_msg *msg, const void *key,
                              size_t keylen)
{
  return check_integrity (msg, msg->integrity_idx, "SHA1", SHA1_LEN, key,
                          keylen);
}

int
ice_stun_msg_check_integrity_sha256 (const ice_stun_msg *msg,
                                     const void *key, size_t keylen)
{
  return check_integrity (msg, msg->integrity_sha256_idx, "SHA256",
                          SHA256_LEN, key, keylen);
}

int
ice_stun_msg_check_auth (const ice_stun_msg *msg, const void *key,
                         size_t keylen)
{
  if (msg->integrity_sha256_idx >= 0)
    return ice_stun_msg_check_integrity_sha256 (msg, key, keylen);
  return ice_stun_msg_check_integrity (msg, key, keylen);
}

/* Digest of the strings joined by ':'. */
static int
digest_joined (const EVP_MD *md, const char *const *parts, size_t n,
               uint8_t *out, unsigned outlen)
{
  for (size_t i = 0; i < n; i++)
    if (parts[i] == NULL)
      return -EINVAL;
  int ret = -EIO;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  unsigned got = 0;
  if (ctx == NULL || EVP_DigestInit_ex (ctx, md, NULL) != 1)
    goto out;
  for (size_t i = 0; i < n; i++)
    {
      if (i > 0 && EVP_DigestUpdate (ctx, ":", 1) != 1)
        goto out;
      if (EVP_DigestUpdate (ctx, parts[i], strlen (parts[i])) != 1)
        goto out;
    }
  if (EVP_DigestFinal_ex (ctx, out, &got) == 1 && got == outlen)
    ret = 0;
out:
  EVP_MD_CTX_free (ctx);
  return ret;
}

int
ice_stun_key_long_term_md5 (const char *username, const char *realm,
                            const char *password,
                            uint8_t out[ICE_STUN_KEY_MD5_LEN])
{
  const char *parts[] = { username, realm, password };
  return digest_joined (EVP_md5 (), parts, 3, out, ICE_STUN_KEY_MD5_LEN);
}

int
ice_stun_key_long_term_sha256 (const char *username, const char *realm,
                               const char *password,
                               uint8_t out[ICE_STUN_KEY_SHA256_LEN])
{
  const char *parts[] = { username, realm, password };
  return digest_joined (EVP_sha256 (), parts, 3, out,
                        ICE_STUN_KEY_SHA256_LEN);
}

int
ice_stun_userhash (const char *username, const char *realm,
                   uint8_t out[ICE_STUN_USERHASH_LEN])
{
  const char *parts[] = { username, realm };
  return digest_joined (EVP_sha256 (), parts, 2, out, ICE_STUN_USERHASH_LEN);
}
