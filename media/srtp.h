/* SRTP and SRTCP through libsrtp2, keyed by SDES (RFC 4568 a=crypto).
 * Keys stay in memory we wipe, and are never logged. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum
{
  MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
  MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32,
  MEDIA_SRTP_AEAD_AES_128_GCM,
} media_srtp_suite;

/* Master key (16) plus salt (14 for AES-CM, 12 for GCM). */
#define MEDIA_SRTP_KEY_SALT_MAX 30
/* Longest MKI we take (RFC 4568 allows 128 bytes; 1 to 4 is what is seen). */
#define MEDIA_SRTP_MKI_MAX 8
/* Bytes protect may add to a packet: tag (up to 16), the SRTCP index (4)
 * and an MKI. Caller buffers must have this much room after the packet. */
#define MEDIA_SRTP_MAX_OVERHEAD 32
/* Longest packet protect and unprotect take. */
#define MEDIA_SRTP_MAX_PACKET 4096
/* Longest a=crypto value media_srtp_crypto_format writes, NUL included. */
#define MEDIA_SRTP_CRYPTO_LINE_MAX 128

/* One a=crypto attribute:
 * "<tag> <suite> inline:<base64(key||salt)>[|<lifetime>][|<mki>:<length>]".
 * One key per line: a second key (";inline:...") or session parameters
 * are rejected as not supported (-ENOTSUP). With an MKI, every packet
 * protected with that key carries it (RFC 3711 3.1); libsrtp 2.5 gets the
 * SRTCP MKI wrong with AES_CM_128_HMAC_SHA1_32, so that pair is refused. */
typedef struct
{
  uint32_t tag;              /* 1..999999999 */
  media_srtp_suite suite;
  uint8_t key_salt[MEDIA_SRTP_KEY_SALT_MAX];
  size_t key_salt_len;       /* 30 or 28 by suite */
  uint64_t lifetime;         /* 0 = not given; else packets (2^n or decimal) */
  uint8_t mki_len;           /* 0 = no MKI; else its bytes on the wire */
  uint64_t mki;              /* its value (fits in mki_len bytes) */
} media_srtp_crypto;

const char *media_srtp_suite_name (media_srtp_suite suite);
/* 0 and *suite, or -ENOTSUP for a suite we do not do. */
int media_srtp_suite_from_name (const char *name, size_t len,
                                media_srtp_suite *suite);
/* Master key + salt length for the suite. */
size_t media_srtp_suite_key_salt_len (media_srtp_suite suite);

/* Parses the attribute value, with or without a leading "a=crypto:".
 * 0, -EBADMSG (malformed), -ENOTSUP (unknown suite, several keys,
 * session parameters, an MKI longer than MEDIA_SRTP_MKI_MAX or with
 * AES_CM_128_HMAC_SHA1_32). */
int media_srtp_crypto_parse (const char *value, size_t len,
                             media_srtp_crypto *out);
/* Writes the value without "a=crypto:" (e.g. "1 AES_CM_128_HMAC_SHA1_80
 * inline:..."), NUL-terminated. Returns the length without the NUL, or
 * -ENOBUFS/-EINVAL. */
int media_srtp_crypto_format (const media_srtp_crypto *c, char *buf,
                              size_t cap);
/* Fresh random key and salt from the kernel's random source. */
int media_srtp_crypto_generate (media_srtp_suite suite, uint32_t tag,
                                media_srtp_crypto *out);
/* Overwrites the key material. */
void media_srtp_crypto_clear (media_srtp_crypto *c);

/* ---- A protected session: our key out, the peer's key in ------------- */

/* One thread at a time per media_srtp (packets pass through a scratch
 * buffer inside it); separate sessions are independent. */

typedef struct media_srtp media_srtp;

/* Initialises libsrtp2 once per process (media_srtp_new does it too):
 * srtp_init() runs libsrtp2's known-answer tests, which take tens of
 * milliseconds and, in Debian's NSS build, bring NSS up and down. Call it
 * at start-up so that the first call's setup does not wait for them.
 * Returns 0 or -EIO. */
int media_srtp_init (void);

typedef struct
{
  uint64_t rtp_protected;
  uint64_t rtp_unprotected;
  uint64_t rtcp_protected;
  uint64_t rtcp_unprotected;
  uint64_t auth_failures;    /* dropped: tag did not verify */
  uint64_t replays;          /* dropped: index seen before or too old */
  uint64_t malformed;        /* dropped: too short or otherwise unusable */
} media_srtp_stats;

/* tx keys what we send, rx what the peer sends (any SSRC each). Both
 * suites may differ. Returns NULL and *err (-EINVAL, -ENOMEM, -EIO). */
media_srtp *media_srtp_new (const media_srtp_crypto *tx,
                            const media_srtp_crypto *rx, int *err);
void media_srtp_free (media_srtp *s);

/* In place: buf holds len bytes of RTP (RTCP) with room for cap. Returns
 * the protected length, or -ENOBUFS (cap < len + MEDIA_SRTP_MAX_OVERHEAD),
 * -EINVAL (over MEDIA_SRTP_MAX_PACKET bytes), -EBADMSG (too short), -EIO
 * (libsrtp refused, e.g. a sequence number sent twice). */
int media_srtp_protect_rtp (media_srtp *s, uint8_t *buf, size_t len,
                            size_t cap);
int media_srtp_protect_rtcp (media_srtp *s, uint8_t *buf, size_t len,
                             size_t cap);

/* In place. Returns the plain length; a packet that fails authentication
 * returns -EBADMSG, a replay -EALREADY, anything else unusable -EINVAL;
 * each is counted, buf is left as it was, and the packet must be
 * dropped. */
int media_srtp_unprotect_rtp (media_srtp *s, uint8_t *buf, size_t len);
int media_srtp_unprotect_rtcp (media_srtp *s, uint8_t *buf, size_t len);

void media_srtp_stats_get (const media_srtp *s, media_srtp_stats *stats);
