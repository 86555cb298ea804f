/* SRTP/SRTCP through libsrtp2, keyed by SDES a=crypto (RFC 4568, RFC 7714
 * for AEAD_AES_128_GCM). Key material is wiped after use and never
 * logged. */
#include "config.h"

#include "media/srtp.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "media/rtp.h"
#include "media/srtp-crypto.h"

/* libsrtp may write up to SRTP_MAX_TRAILER_LEN after a packet, more than
 * callers promise (MEDIA_SRTP_MAX_OVERHEAD), so packets are processed in a
 * scratch buffer of our own. */
#define SCRATCH_LEN (MEDIA_SRTP_MAX_PACKET + SRTP_MAX_TRAILER_LEN + 4)

struct media_srtp
{
  srtp_t tx;
  srtp_t rx;
  bool tx_mki;               /* our packets carry an MKI */
  bool rx_mki;               /* the peer's do */
  media_srtp_stats stats;
  /* uint32_t keeps it aligned for libsrtp's word access */
  uint32_t scratch[(SCRATCH_LEN + 3) / 4];
};

static const struct
{
  media_srtp_suite suite;
  const char *name;
  size_t key_salt_len;
} suites[] = {
  { MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 30 },
  { MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 30 },
  { MEDIA_SRTP_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 28 },
};

/* Zeroing that the compiler may not elide. */
static void
wipe (void *p, size_t n)
{
  volatile uint8_t *v = p;
  while (n--)
    *v++ = 0;
}

const char *
media_srtp_suite_name (media_srtp_suite suite)
{
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
    if (suites[i].suite == suite)
      return suites[i].name;
  return NULL;
}

size_t
media_srtp_suite_key_salt_len (media_srtp_suite suite)
{
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
    if (suites[i].suite == suite)
      return suites[i].key_salt_len;
  return 0;
}

int
media_srtp_suite_from_name (const char *name, size_t len,
                            media_srtp_suite *suite)
{
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
    if (strlen (suites[i].name) == len && memcmp (suites[i].name, name, len) == 0)
      {
        *suite = suites[i].suite;
        return 0;
      }
  return -ENOTSUP;
}

/* ---- base64 (RFC 4648, padded, as RFC 4568 key-salt uses) -------------- */

static const char b64_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Strict: length a multiple of 4, '=' only at the end. Returns the decoded
 * length or -EBADMSG/-ENOBUFS. */
static int
b64_decode (const char *in, size_t len, uint8_t *out, size_t cap)
{
  if (len == 0 || len % 4 != 0)
    return -EBADMSG;
  size_t n = 0;
  for (size_t i = 0; i < len; i += 4)
    {
      int v[4];
      int pad = 0;
      for (int j = 0; j < 4; j++)
        {
          char c = in[i + j];
          if (c == '=')
            {
              /* only in the last quantum, only as its last one or two */
              if (i + 4 != len || j < 2)
                return -EBADMSG;
              pad++;
              v[j] = 0;
            }
          else
            {
              if (pad)
                return -EBADMSG;
              v[j] = b64_value (c);
              if (v[j] < 0)
                return -EBADMSG;
            }
        }
      uint32_t q = (uint32_t) v[0] << 18 | (uint32_t) v[1] << 12
                   | (uint32_t) v[2] << 6 | (uint32_t) v[3];
      size_t take = 3 - (size_t) pad;
      if (cap - n < take)
        return -ENOBUFS;
      out[n++] = (uint8_t) (q >> 16);
      if (take > 1)
        out[n++] = (uint8_t) (q >> 8);
      if (take > 2)
        out[n++] = (uint8_t) q;
      wipe (&q, sizeof q);
    }
  return (int) n;
}

/* Returns the encoded length (without NUL) or -ENOBUFS. */
static int
b64_encode (const uint8_t *in, size_t len, char *out, size_t cap)
{
  size_t need = (len + 2) / 3 * 4;
  if (cap < need + 1)
    return -ENOBUFS;
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3)
    {
      uint32_t q = (uint32_t) in[i] << 16;
      if (i + 1 < len)
        q |= (uint32_t) in[i + 1] << 8;
      if (i + 2 < len)
        q |= in[i + 2];
      out[o++] = b64_alphabet[q >> 18 & 63];
      out[o++] = b64_alphabet[q >> 12 & 63];
      out[o++] = i + 1 < len ? b64_alphabet[q >> 6 & 63] : '=';
      out[o++] = i + 2 < len ? b64_alphabet[q & 63] : '=';
    }
  out[o] = '\0';
  return (int) o;
}

/* ---- a=crypto ---------------------------------------------------------- */

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

static bool
is_wsp (char c)
{
  return c == ' ' || c == '\t';
}

/* Decimal without sign, at most max_digits digits. */
static int
parse_decimal (const char *p, size_t len, size_t max_digits, uint64_t *out)
{
  if (len == 0 || len > max_digits)
    return -EBADMSG;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (!is_digit (p[i]))
        return -EBADMSG;
      uint64_t d = (uint64_t) (p[i] - '0');
      if (v > (UINT64_MAX - d) / 10)
        return -EBADMSG;
      v = v * 10 + d;
    }
  *out = v;
  return 0;
}

/* lifetime = ["2^"] 1*DIGIT (RFC 4568 6.1); SRTP allows at most 2^48. */
static int
parse_lifetime (const char *p, size_t len, uint64_t *out)
{
  uint64_t v;
  if (len >= 2 && p[0] == '2' && p[1] == '^')
    {
      if (parse_decimal (p + 2, len - 2, 2, &v) < 0 || v > 48)
        return -EBADMSG;
      *out = (uint64_t) 1 << v;
      return 0;
    }
  if (parse_decimal (p, len, 15, &v) < 0 || v == 0
      || v > ((uint64_t) 1 << 48))
    return -EBADMSG;
  *out = v;
  return 0;
}

/* libsrtp 2.5 places an SRTCP MKI by the SRTP tag length on one side and
 * the SRTCP one on the other, so with AES_CM_128_HMAC_SHA1_32 (32-bit RTP
 * tag, 80-bit RTCP tag) it cannot read its own packets: not offered. */
static bool
mki_supported (const media_srtp_crypto *c)
{
  return c->mki_len == 0 || c->suite != MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32;
}

/* mki-value = 1*DIGIT, mki-length = 1*3DIGIT (1..128 bytes). */
static int
parse_mki (const char *val, size_t val_len, const char *len_str,
           size_t len_len, media_srtp_crypto *out)
{
  uint64_t bytes, value;
  if (parse_decimal (len_str, len_len, 3, &bytes) < 0 || bytes == 0
      || bytes > 128)
    return -EBADMSG;
  if (bytes > MEDIA_SRTP_MKI_MAX)
    return -ENOTSUP;
  if (parse_decimal (val, val_len, 20, &value) < 0
      || (bytes < 8 && value >> (8 * bytes) != 0))
    return -EBADMSG;
  out->mki = value;
  out->mki_len = (uint8_t) bytes;
  return 0;
}

static int
parse_key_info (const char *p, size_t len, media_srtp_crypto *out)
{
  /* key-salt ["|" lifetime] ["|" mki] */
  const char *bar = memchr (p, '|', len);
  size_t key_len = bar ? (size_t) (bar - p) : len;
  uint8_t buf[MEDIA_SRTP_KEY_SALT_MAX + 3];
  int n = b64_decode (p, key_len, buf, sizeof buf);
  size_t want = media_srtp_suite_key_salt_len (out->suite);
  if (n < 0 || (size_t) n != want)
    {
      wipe (buf, sizeof buf);
      return -EBADMSG;
    }
  memcpy (out->key_salt, buf, want);
  out->key_salt_len = want;
  wipe (buf, sizeof buf);

  while (bar)
    {
      const char *f = bar + 1;
      size_t left = len - (size_t) (f - p);
      bar = memchr (f, '|', left);
      size_t flen = bar ? (size_t) (bar - f) : left;
      const char *colon = memchr (f, ':', flen);
      if (colon)
        {
          /* mki-value ":" mki-length, and it comes last */
          if (bar || out->mki_len)
            return -EBADMSG;
          int r = parse_mki (f, (size_t) (colon - f), colon + 1,
                             flen - (size_t) (colon - f) - 1, out);
          if (r < 0)
            return r;
          if (!mki_supported (out))
            return -ENOTSUP;
        }
      else if (out->lifetime != 0 || out->mki_len
               || parse_lifetime (f, flen, &out->lifetime) < 0)
        return -EBADMSG;
    }
  return 0;
}

int
media_srtp_crypto_parse (const char *value, size_t len, media_srtp_crypto *out)
{
  if (value == NULL || out == NULL)
    return -EINVAL;
  memset (out, 0, sizeof *out);
  static const char prefix[] = "a=crypto:";
  if (len >= sizeof prefix - 1 && memcmp (value, prefix, sizeof prefix - 1) == 0)
    {
      value += sizeof prefix - 1;
      len -= sizeof prefix - 1;
    }
  while (len > 0 && (is_wsp (value[len - 1]) || value[len - 1] == '\r'
                     || value[len - 1] == '\n'))
    len--;

  size_t pos = 0, start;
  int r = -EBADMSG;

  /* tag = 1*9DIGIT */
  start = pos;
  while (pos < len && is_digit (value[pos]))
    pos++;
  uint64_t tag;
  if (parse_decimal (value + start, pos - start, 9, &tag) < 0)
    goto fail;
  out->tag = (uint32_t) tag;
  if (pos >= len || !is_wsp (value[pos]))
    goto fail;
  while (pos < len && is_wsp (value[pos]))
    pos++;

  /* crypto-suite */
  start = pos;
  while (pos < len && !is_wsp (value[pos]))
    pos++;
  if (pos == start)
    goto fail;
  if (media_srtp_suite_from_name (value + start, pos - start, &out->suite) < 0)
    {
      r = -ENOTSUP;
      goto fail;
    }
  if (pos >= len)
    goto fail;
  while (pos < len && is_wsp (value[pos]))
    pos++;

  /* key-params: exactly one "inline:" key-param */
  start = pos;
  while (pos < len && !is_wsp (value[pos]))
    pos++;
  static const char method[] = "inline:";
  size_t kp_len = pos - start;
  if (kp_len <= sizeof method - 1
      || memcmp (value + start, method, sizeof method - 1) != 0)
    goto fail;
  if (memchr (value + start, ';', kp_len))
    {
      r = -ENOTSUP; /* several master keys */
      goto fail;
    }
  r = parse_key_info (value + start + sizeof method - 1,
                      kp_len - (sizeof method - 1), out);
  if (r < 0)
    goto fail;

  while (pos < len && is_wsp (value[pos]))
    pos++;
  if (pos < len)
    {
      /* Session parameters (KDR, UNENCRYPTED_SRTP...) change the keying in
       * ways we do not implement. */
      r = -ENOTSUP;
      goto fail;
    }
  return 0;

fail:
  media_srtp_crypto_clear (out);
  return r;
}

int
media_srtp_crypto_format (const media_srtp_crypto *c, char *buf, size_t cap)
{
  if (c == NULL || buf == NULL)
    return -EINVAL;
  const char *name = media_srtp_suite_name (c->suite);
  if (name == NULL || c->tag > 999999999u
      || c->key_salt_len != media_srtp_suite_key_salt_len (c->suite)
      || c->mki_len > MEDIA_SRTP_MKI_MAX || !mki_supported (c)
      || (c->mki_len && c->mki_len < 8 && c->mki >> (8 * c->mki_len)))
    return -EINVAL;
  int n = snprintf (buf, cap, "%u %s inline:", c->tag, name);
  if (n < 0 || (size_t) n >= cap)
    return -ENOBUFS;
  size_t off = (size_t) n;
  int k = b64_encode (c->key_salt, c->key_salt_len, buf + off, cap - off);
  if (k < 0)
    {
      wipe (buf, cap);
      return k;
    }
  off += (size_t) k;
  if (c->lifetime)
    {
      int lt;
      uint64_t v = c->lifetime;
      if ((v & (v - 1)) == 0)
        lt = snprintf (buf + off, cap - off, "|2^%d", __builtin_ctzll (v));
      else
        lt = snprintf (buf + off, cap - off, "|%llu", (unsigned long long) v);
      if (lt < 0 || (size_t) lt >= cap - off)
        {
          wipe (buf, cap);
          return -ENOBUFS;
        }
      off += (size_t) lt;
    }
  if (c->mki_len)
    {
      int m = snprintf (buf + off, cap - off, "|%llu:%u",
                        (unsigned long long) c->mki, c->mki_len);
      if (m < 0 || (size_t) m >= cap - off)
        {
          wipe (buf, cap);
          return -ENOBUFS;
        }
      off += (size_t) m;
    }
  return (int) off;
}

int
media_srtp_crypto_generate (media_srtp_suite suite, uint32_t tag,
                            media_srtp_crypto *out)
{
  size_t n = media_srtp_suite_key_salt_len (suite);
  if (out == NULL || n == 0 || tag > 999999999u)
    return -EINVAL;
  memset (out, 0, sizeof *out);
  out->tag = tag;
  out->suite = suite;
  out->key_salt_len = n;
  int r = media_rtp_random (out->key_salt, n);
  if (r < 0)
    media_srtp_crypto_clear (out);
  return r;
}

void
media_srtp_crypto_clear (media_srtp_crypto *c)
{
  if (c)
    wipe (c, sizeof *c);
}

/* ---- Sessions ---------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status = srtp_err_status_fail;

static void
init_library (void)
{
  init_status = srtp_init ();
  /* Not fatal: libsrtp2's own transforms do the same job, at the cost
   * described in srtp-crypto.c. */
  if (init_status == srtp_err_status_ok)
    media_srtp_crypto_install ();
}

int
media_srtp_init (void)
{
  pthread_once (&init_once, init_library);
  return init_status == srtp_err_status_ok ? 0 : -EIO;
}

static int
set_policy (srtp_policy_t *p, const media_srtp_crypto *c)
{
  switch (c->suite)
    {
    case MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p->rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p->rtcp);
      break;
    case MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32:
      /* RFC 4568 6.2.2: SRTCP keeps the 80-bit tag with this suite. */
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&p->rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p->rtcp);
      break;
    case MEDIA_SRTP_AEAD_AES_128_GCM:
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&p->rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&p->rtcp);
      break;
    default:
      return -EINVAL;
    }
  if (c->key_salt_len != media_srtp_suite_key_salt_len (c->suite)
      || c->mki_len > MEDIA_SRTP_MKI_MAX || !mki_supported (c)
      || (c->mki_len && c->mki_len < 8 && c->mki >> (8 * c->mki_len)))
    return -EINVAL;
  return 0;
}

static int
create_stream (srtp_t *ctx, const media_srtp_crypto *c, bool outbound)
{
  srtp_policy_t policy;
  memset (&policy, 0, sizeof policy);
  int r = set_policy (&policy, c);
  if (r < 0)
    return r;
  /* libsrtp copies the key into its own context. */
  uint8_t key[MEDIA_SRTP_KEY_SALT_MAX];
  memcpy (key, c->key_salt, c->key_salt_len);
  /* With an MKI the key goes in as the one entry of libsrtp's key list,
   * with the identifier as its big-endian bytes. */
  uint8_t mki[MEDIA_SRTP_MKI_MAX];
  srtp_master_key_t master = { .key = key, .mki_id = mki,
                               .mki_size = c->mki_len };
  srtp_master_key_t *keys[1] = { &master };
  if (c->mki_len)
    {
      for (unsigned i = 0; i < c->mki_len; i++)
        mki[i] = (uint8_t) (c->mki >> (8 * (c->mki_len - 1 - i)));
      policy.keys = keys;
      policy.num_master_keys = 1;
    }
  else
    policy.key = key;
  policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  policy.window_size = 128;
  policy.allow_repeat_tx = 0;
  srtp_err_status_t st = srtp_create (ctx, &policy);
  wipe (key, sizeof key);
  if (st == srtp_err_status_alloc_fail)
    return -ENOMEM;
  return st == srtp_err_status_ok ? 0 : -EIO;
}

media_srtp *
media_srtp_new (const media_srtp_crypto *tx, const media_srtp_crypto *rx,
                int *err)
{
  int dummy;
  if (err == NULL)
    err = &dummy;
  if (tx == NULL || rx == NULL)
    {
      *err = -EINVAL;
      return NULL;
    }
  *err = media_srtp_init ();
  if (*err < 0)
    return NULL;
  media_srtp *s = calloc (1, sizeof *s);
  if (s == NULL)
    {
      *err = -ENOMEM;
      return NULL;
    }
  int r = create_stream (&s->tx, tx, true);
  if (r == 0)
    r = create_stream (&s->rx, rx, false);
  s->tx_mki = tx->mki_len != 0;
  s->rx_mki = rx->mki_len != 0;
  if (r < 0)
    {
      media_srtp_free (s);
      *err = r;
      return NULL;
    }
  *err = 0;
  return s;
}

void
media_srtp_free (media_srtp *s)
{
  if (s == NULL)
    return;
  if (s->tx)
    srtp_dealloc (s->tx);
  if (s->rx)
    srtp_dealloc (s->rx);
  wipe (s, sizeof *s);
  free (s);
}

/* Runs one libsrtp operation on a copy in the scratch buffer. */
static int
run (media_srtp *s, bool rtcp, uint8_t *buf, size_t len, size_t cap,
     bool protect, srtp_err_status_t *st)
{
  if (buf == NULL || len > MEDIA_SRTP_MAX_PACKET)
    return -EINVAL;
  if (protect && (cap < len || cap - len < MEDIA_SRTP_MAX_OVERHEAD))
    return -ENOBUFS;
  uint8_t *scratch = (uint8_t *) s->scratch;
  memcpy (scratch, buf, len);
  int n = (int) len;
  if (protect && rtcp)
    *st = srtp_protect_rtcp_mki (s->tx, scratch, &n, s->tx_mki, 0);
  else if (protect)
    *st = srtp_protect_mki (s->tx, scratch, &n, s->tx_mki, 0);
  else if (rtcp)
    *st = srtp_unprotect_rtcp_mki (s->rx, scratch, &n, s->rx_mki);
  else
    *st = srtp_unprotect_mki (s->rx, scratch, &n, s->rx_mki);
  if (*st != srtp_err_status_ok)
    return -EIO;
  if (n < 0 || (size_t) n > (protect ? len + MEDIA_SRTP_MAX_OVERHEAD : len))
    return -EIO;
  memcpy (buf, scratch, (size_t) n);
  return n;
}

static int
protect (media_srtp *s, uint8_t *buf, size_t len, size_t cap, bool rtcp)
{
  if (s == NULL)
    return -EINVAL;
  /* libsrtp reads the header before checking lengths in places. */
  if (len < (rtcp ? 8u : (size_t) MEDIA_RTP_HEADER_MIN))
    return -EBADMSG;
  srtp_err_status_t st;
  int n = run (s, rtcp, buf, len, cap, true, &st);
  if (n >= 0)
    {
      if (rtcp)
        s->stats.rtcp_protected++;
      else
        s->stats.rtp_protected++;
    }
  else if (n == -EIO && st == srtp_err_status_bad_param)
    n = -EBADMSG;
  return n;
}

static int
unprotect (media_srtp *s, uint8_t *buf, size_t len, bool rtcp)
{
  if (s == NULL)
    return -EINVAL;
  if (buf == NULL || len < (rtcp ? 8u : (size_t) MEDIA_RTP_HEADER_MIN)
      || len > MEDIA_SRTP_MAX_PACKET)
    {
      s->stats.malformed++;
      return -EINVAL;
    }
  srtp_err_status_t st = srtp_err_status_ok;
  int n = run (s, rtcp, buf, len, len, false, &st);
  if (n >= 0)
    {
      if (rtcp)
        s->stats.rtcp_unprotected++;
      else
        s->stats.rtp_unprotected++;
      return n;
    }
  switch (st)
    {
    case srtp_err_status_auth_fail:
    case srtp_err_status_bad_mki: /* not the key we were given */
      s->stats.auth_failures++;
      return -EBADMSG;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      s->stats.replays++;
      return -EALREADY;
    default:
      s->stats.malformed++;
      return -EINVAL;
    }
}

int
media_srtp_protect_rtp (media_srtp *s, uint8_t *buf, size_t len, size_t cap)
{
  return protect (s, buf, len, cap, false);
}

int
media_srtp_protect_rtcp (media_srtp *s, uint8_t *buf, size_t len, size_t cap)
{
  return protect (s, buf, len, cap, true);
}

int
media_srtp_unprotect_rtp (media_srtp *s, uint8_t *buf, size_t len)
{
  return unprotect (s, buf, len, false);
}

int
media_srtp_unprotect_rtcp (media_srtp *s, uint8_t *buf, size_t len)
{
  return unprotect (s, buf, len, true);
}

void
media_srtp_stats_get (const media_srtp *s, media_srtp_stats *stats)
{
  *stats = s->stats;
}
