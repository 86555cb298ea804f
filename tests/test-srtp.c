/* SRTP/SRTCP through libsrtp2 for the three SDES suites: round trips,
 * tampering and replays rejected and counted, a=crypto parse/format. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/srtp.h"
#include "check-run.h"

static const media_srtp_suite all_suites[] = {
  MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
  MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32,
  MEDIA_SRTP_AEAD_AES_128_GCM,
};

/* Tag lengths by suite (RFC 4568 6.2, RFC 7714 14.2): RTP, then RTCP,
 * which also carries the 4-byte E||SRTCP index. */
static const int rtp_tag[] = { 10, 4, 16 };
static const int rtcp_tag[] = { 10, 10, 16 };

typedef struct
{
  media_srtp *alice;
  media_srtp *bob;
} pair;

static pair
make_pair (media_srtp_suite suite)
{
  media_srtp_crypto ka, kb;
  ck_assert_int_eq (media_srtp_crypto_generate (suite, 1, &ka), 0);
  ck_assert_int_eq (media_srtp_crypto_generate (suite, 1, &kb), 0);
  ck_assert_mem_ne (ka.key_salt, kb.key_salt, ka.key_salt_len);
  int err = 1;
  pair p;
  p.alice = media_srtp_new (&ka, &kb, &err);
  ck_assert_int_eq (err, 0);
  p.bob = media_srtp_new (&kb, &ka, &err);
  ck_assert_int_eq (err, 0);
  ck_assert_ptr_nonnull (p.alice);
  ck_assert_ptr_nonnull (p.bob);
  media_srtp_crypto_clear (&ka);
  media_srtp_crypto_clear (&kb);
  return p;
}

static void
free_pair (pair *p)
{
  media_srtp_free (p->alice);
  media_srtp_free (p->bob);
}

/* A 160-byte-payload RTP packet; returns its length. */
static int
make_rtp (uint8_t *buf, size_t cap, uint16_t seq)
{
  uint8_t payload[160];
  for (size_t i = 0; i < sizeof payload; i++)
    payload[i] = (uint8_t) (i + seq);
  media_rtp_packet p = {
    .payload_type = 111,
    .seq = seq,
    .timestamp = 960u * seq,
    .ssrc = 0x1234abcd,
    .payload = payload,
    .payload_len = sizeof payload,
  };
  return media_rtp_pack (&p, buf, cap);
}

static int
make_rtcp (uint8_t *buf, size_t cap)
{
  media_rtcp_writer w;
  media_rtcp_writer_init (&w, buf, cap);
  media_rtcp_report r = { .ssrc = 0x1234abcd, .has_sender_info = true,
                          .ntp = 1, .packet_count = 3, .octet_count = 480 };
  media_rtcp_write_report (&w, &r);
  media_rtcp_write_sdes_cname (&w, r.ssrc, "floe@test");
  return media_rtcp_writer_finish (&w);
}

START_TEST (test_round_trip)
{
  size_t si = (size_t) _i;
  pair p = make_pair (all_suites[si]);
  for (uint16_t seq = 65530; seq != 10; seq++) /* across the wrap */
    {
      uint8_t plain[256], buf[256 + MEDIA_SRTP_MAX_OVERHEAD];
      int n = make_rtp (plain, sizeof plain, seq);
      memcpy (buf, plain, (size_t) n);
      int m = media_srtp_protect_rtp (p.alice, buf, (size_t) n, sizeof buf);
      ck_assert_int_eq (m, n + rtp_tag[si]);
      /* The header stays clear, the payload does not. */
      ck_assert_mem_eq (buf, plain, 12);
      ck_assert_mem_ne (buf + 12, plain + 12, 16);
      ck_assert_int_eq (media_srtp_unprotect_rtp (p.bob, buf, (size_t) m), n);
      ck_assert_mem_eq (buf, plain, (size_t) n);
    }

  for (int i = 0; i < 3; i++)
    {
      uint8_t plain[128], buf[128 + MEDIA_SRTP_MAX_OVERHEAD];
      int n = make_rtcp (plain, sizeof plain);
      ck_assert_int_gt (n, 0);
      memcpy (buf, plain, (size_t) n);
      int m = media_srtp_protect_rtcp (p.bob, buf, (size_t) n, sizeof buf);
      ck_assert_int_eq (m, n + 4 + rtcp_tag[si]);
      ck_assert_int_eq (media_srtp_unprotect_rtcp (p.alice, buf, (size_t) m),
                        n);
      ck_assert_mem_eq (buf, plain, (size_t) n);
      ck_assert_int_eq (media_rtcp_validate (buf, (size_t) n), 0);
    }

  media_srtp_stats st;
  media_srtp_stats_get (p.alice, &st);
  ck_assert_uint_eq (st.rtp_protected, 16);
  ck_assert_uint_eq (st.rtcp_unprotected, 3);
  ck_assert_uint_eq (st.auth_failures + st.replays + st.malformed, 0);
  media_srtp_stats_get (p.bob, &st);
  ck_assert_uint_eq (st.rtp_unprotected, 16);
  ck_assert_uint_eq (st.rtcp_protected, 3);
  free_pair (&p);
}
END_TEST

START_TEST (test_tamper)
{
  size_t si = (size_t) _i;
  pair p = make_pair (all_suites[si]);
  uint8_t buf[256 + MEDIA_SRTP_MAX_OVERHEAD], copy[sizeof buf];
  int n = make_rtp (buf, 256, 100);
  int m = media_srtp_protect_rtp (p.alice, buf, (size_t) n, sizeof buf);
  ck_assert_int_gt (m, n);

  /* One flipped bit anywhere (header, payload, tag) is rejected. */
  const size_t spots[] = { 3, 12, 100, (size_t) m - 1 };
  for (size_t k = 0; k < 4; k++)
    {
      memcpy (copy, buf, (size_t) m);
      copy[spots[k]] ^= 0x10;
      ck_assert_int_eq (media_srtp_unprotect_rtp (p.bob, copy, (size_t) m),
                        -EBADMSG);
    }
  media_srtp_stats st;
  media_srtp_stats_get (p.bob, &st);
  ck_assert_uint_eq (st.auth_failures, 4);
  ck_assert_uint_eq (st.rtp_unprotected, 0);

  /* The genuine packet still goes through afterwards. */
  memcpy (copy, buf, (size_t) m);
  ck_assert_int_eq (media_srtp_unprotect_rtp (p.bob, copy, (size_t) m), n);

  /* RTCP too. */
  n = make_rtcp (buf, 128);
  m = media_srtp_protect_rtcp (p.alice, buf, (size_t) n, sizeof buf);
  buf[20] ^= 1;
  ck_assert_int_eq (media_srtp_unprotect_rtcp (p.bob, buf, (size_t) m),
                    -EBADMSG);

  /* The wrong key fails authentication as well. */
  pair q = make_pair (all_suites[si]);
  n = make_rtp (buf, 256, 7);
  m = media_srtp_protect_rtp (q.alice, buf, (size_t) n, sizeof buf);
  ck_assert_int_eq (media_srtp_unprotect_rtp (p.bob, buf, (size_t) m),
                    -EBADMSG);
  media_srtp_stats_get (p.bob, &st);
  ck_assert_uint_eq (st.auth_failures, 6);
  free_pair (&q);
  free_pair (&p);
}
END_TEST

START_TEST (test_replay)
{
  size_t si = (size_t) _i;
  pair p = make_pair (all_suites[si]);
  uint8_t buf[256 + MEDIA_SRTP_MAX_OVERHEAD], copy[sizeof buf];
  int n = make_rtp (buf, 256, 500);
  int m = media_srtp_protect_rtp (p.alice, buf, (size_t) n, sizeof buf);
  memcpy (copy, buf, (size_t) m);
  ck_assert_int_eq (media_srtp_unprotect_rtp (p.bob, copy, (size_t) m), n);
  memcpy (copy, buf, (size_t) m);
  ck_assert_int_eq (media_srtp_unprotect_rtp (p.bob, copy, (size_t) m),
                    -EALREADY);

  /* Far newer packets move the window; then 500 is too old. */
  for (uint16_t seq = 501; seq < 800; seq++)
    {
      uint8_t b[256 + MEDIA_SRTP_MAX_OVERHEAD];
      int k = make_rtp (b, 256, seq);
      int l = media_srtp_protect_rtp (p.alice, b, (size_t) k, sizeof b);
      if (seq == 799)
        ck_assert_int_eq (media_srtp_unprotect_rtp (p.bob, b, (size_t) l), k);
    }
  memcpy (copy, buf, (size_t) m);
  ck_assert_int_eq (media_srtp_unprotect_rtp (p.bob, copy, (size_t) m),
                    -EALREADY);

  /* SRTCP replay. */
  n = make_rtcp (buf, 128);
  m = media_srtp_protect_rtcp (p.alice, buf, (size_t) n, sizeof buf);
  memcpy (copy, buf, (size_t) m);
  ck_assert_int_eq (media_srtp_unprotect_rtcp (p.bob, copy, (size_t) m), n);
  memcpy (copy, buf, (size_t) m);
  ck_assert_int_eq (media_srtp_unprotect_rtcp (p.bob, copy, (size_t) m),
                    -EALREADY);

  media_srtp_stats st;
  media_srtp_stats_get (p.bob, &st);
  ck_assert_uint_eq (st.replays, 3);
  ck_assert_uint_eq (st.auth_failures, 0);
  free_pair (&p);
}
END_TEST

START_TEST (test_mki)
{
  /* _i walks the suites that take an MKI: 80-bit AES-CM and GCM. */
  size_t si = _i ? 2 : 0;
  media_srtp_crypto ka, kb, kc;
  ck_assert_int_eq (media_srtp_crypto_generate (all_suites[si], 1, &ka), 0);
  ck_assert_int_eq (media_srtp_crypto_generate (all_suites[si], 1, &kb), 0);
  ka.mki = 1;
  ka.mki_len = 4;
  kb.mki = 0x0102;
  kb.mki_len = 2;
  int err;
  media_srtp *alice = media_srtp_new (&ka, &kb, &err);
  media_srtp *bob = media_srtp_new (&kb, &ka, &err);
  ck_assert_ptr_nonnull (alice);
  ck_assert_ptr_nonnull (bob);

  uint8_t plain[256], buf[256 + MEDIA_SRTP_MAX_OVERHEAD];
  int n = make_rtp (plain, sizeof plain, 9);
  memcpy (buf, plain, (size_t) n);
  int m = media_srtp_protect_rtp (alice, buf, (size_t) n, sizeof buf);
  ck_assert_int_eq (m, n + 4 + rtp_tag[si]);
  if (si != 2)
    {
      /* RFC 3711 3.1: the MKI sits between the payload and the tag. */
      static const uint8_t id[4] = { 0, 0, 0, 1 };
      ck_assert_mem_eq (buf + n, id, 4);
    }
  ck_assert_int_eq (media_srtp_unprotect_rtp (bob, buf, (size_t) m), n);
  ck_assert_mem_eq (buf, plain, (size_t) n);

  n = make_rtcp (plain, 128);
  memcpy (buf, plain, (size_t) n);
  m = media_srtp_protect_rtcp (bob, buf, (size_t) n, sizeof buf);
  ck_assert_int_eq (m, n + 4 + 2 + rtcp_tag[si]);
  ck_assert_int_eq (media_srtp_unprotect_rtcp (alice, buf, (size_t) m), n);
  ck_assert_mem_eq (buf, plain, (size_t) n);

  /* A receiver that expects another MKI, or none, refuses the packet. */
  kc = ka;
  kc.mki = 2;
  media_srtp *carol = media_srtp_new (&kb, &kc, &err);
  kc.mki_len = 0;
  media_srtp *dave = media_srtp_new (&kb, &kc, &err);
  ck_assert_ptr_nonnull (carol);
  ck_assert_ptr_nonnull (dave);
  for (int k = 0; k < 2; k++)
    {
      n = make_rtp (buf, 256, (uint16_t) (20 + k));
      m = media_srtp_protect_rtp (alice, buf, (size_t) n, sizeof buf);
      ck_assert_int_eq (media_srtp_unprotect_rtp (k ? dave : carol, buf,
                                                  (size_t) m),
                        -EBADMSG);
    }
  media_srtp_stats st;
  media_srtp_stats_get (carol, &st);
  ck_assert_uint_eq (st.auth_failures, 1);
  ck_assert_uint_eq (st.rtp_unprotected, 0);

  /* An MKI that does not fit its length is refused up front. */
  kc.mki = 256;
  kc.mki_len = 1;
  ck_assert_ptr_null (media_srtp_new (&kb, &kc, &err));
  ck_assert_int_eq (err, -EINVAL);

  media_srtp_free (alice);
  media_srtp_free (bob);
  media_srtp_free (carol);
  media_srtp_free (dave);
  media_srtp_crypto_clear (&ka);
  media_srtp_crypto_clear (&kb);
  media_srtp_crypto_clear (&kc);
}
END_TEST

START_TEST (test_mki_refused_with_sha1_32)
{
  const char *line = "1 AES_CM_128_HMAC_SHA1_32 "
                     "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4";
  media_srtp_crypto c;
  ck_assert_int_eq (media_srtp_crypto_parse (line, strlen (line), &c),
                    -ENOTSUP);
  ck_assert_int_eq (media_srtp_crypto_generate (
                      MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, 1, &c), 0);
  c.mki = 1;
  c.mki_len = 4;
  char out[MEDIA_SRTP_CRYPTO_LINE_MAX];
  ck_assert_int_eq (media_srtp_crypto_format (&c, out, sizeof out), -EINVAL);
  int err;
  ck_assert_ptr_null (media_srtp_new (&c, &c, &err));
  ck_assert_int_eq (err, -EINVAL);
  media_srtp_crypto_clear (&c);
}
END_TEST

START_TEST (test_bounds)
{
  pair p = make_pair (MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
  uint8_t buf[256 + MEDIA_SRTP_MAX_OVERHEAD];
  int n = make_rtp (buf, 256, 1);
  ck_assert_int_eq (media_srtp_protect_rtp (p.alice, buf, (size_t) n,
                                            (size_t) n + 10),
                    -ENOBUFS);
  uint8_t *big = calloc (1, MEDIA_SRTP_MAX_PACKET + 1 + MEDIA_SRTP_MAX_OVERHEAD);
  big[0] = 0x80;
  ck_assert_int_eq (media_srtp_protect_rtp (p.alice, big,
                                            MEDIA_SRTP_MAX_PACKET + 1,
                                            MEDIA_SRTP_MAX_PACKET + 1
                                              + MEDIA_SRTP_MAX_OVERHEAD),
                    -EINVAL);
  ck_assert_int_gt (media_srtp_protect_rtp (p.alice, big,
                                            MEDIA_SRTP_MAX_PACKET,
                                            MEDIA_SRTP_MAX_PACKET
                                              + MEDIA_SRTP_MAX_OVERHEAD),
                    MEDIA_SRTP_MAX_PACKET);
  free (big);
  /* Short or absurd input is dropped and counted, never read past. */
  for (size_t len = 0; len < 12; len++)
    {
      uint8_t *b = malloc (len ? len : 1);
      memset (b, 0x80, len);
      ck_assert_int_eq (media_srtp_unprotect_rtp (p.bob, b, len), -EINVAL);
      free (b);
    }
  media_srtp_stats st;
  media_srtp_stats_get (p.bob, &st);
  ck_assert_uint_eq (st.malformed, 12);
  /* A header with no room for a tag. */
  uint8_t *b = malloc (12);
  memcpy (b, buf, 12);
  int r = media_srtp_unprotect_rtp (p.bob, b, 12);
  ck_assert (r == -EINVAL || r == -EBADMSG);
  free (b);
  free_pair (&p);
}
END_TEST

/* ---- a=crypto ------------------------------------------------------------ */

START_TEST (test_crypto_rfc4568_example)
{
  /* The key from RFC 4568's example offer, without its MKI. */
  static const uint8_t want[30] = {
    0x3d, 0x2d, 0x6e, 0x40, 0x25, 0x5e, 0x78, 0x21, 0x42, 0x6a,
    0x75, 0x66, 0x72, 0x39, 0x29, 0x3f, 0x2c, 0x23, 0x35, 0x68,
    0x5c, 0x60, 0x3d, 0x26, 0x5d, 0x7b, 0x71, 0x69, 0x50, 0x51,
  };
  const char *line = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                     "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20\r\n";
  media_srtp_crypto c;
  ck_assert_int_eq (media_srtp_crypto_parse (line, strlen (line), &c), 0);
  ck_assert_uint_eq (c.tag, 1);
  ck_assert_int_eq (c.suite, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
  ck_assert_uint_eq (c.key_salt_len, 30);
  ck_assert_mem_eq (c.key_salt, want, 30);
  ck_assert_uint_eq (c.lifetime, 1u << 20);

  char out[MEDIA_SRTP_CRYPTO_LINE_MAX];
  int n = media_srtp_crypto_format (&c, out, sizeof out);
  ck_assert_str_eq (out, "1 AES_CM_128_HMAC_SHA1_80 "
                         "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20");
  ck_assert_int_eq (n, (int) strlen (out));

  /* With the MKI as the RFC has it: 32 bytes is more than we take. */
  const char *mki = "1 AES_CM_128_HMAC_SHA1_80 "
                    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32";
  ck_assert_int_eq (media_srtp_crypto_parse (mki, strlen (mki), &c),
                    -ENOTSUP);
  /* A 4-byte MKI, the usual size, is taken and written back. */
  mki = "1 AES_CM_128_HMAC_SHA1_80 "
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";
  ck_assert_int_eq (media_srtp_crypto_parse (mki, strlen (mki), &c), 0);
  ck_assert_uint_eq (c.mki, 1);
  ck_assert_uint_eq (c.mki_len, 4);
  ck_assert_uint_eq (c.lifetime, 1u << 20);
  ck_assert_mem_eq (c.key_salt, want, 30);
  ck_assert_int_eq (media_srtp_crypto_format (&c, out, sizeof out),
                    (int) strlen (mki));
  ck_assert_str_eq (out, mki);
}
END_TEST

START_TEST (test_crypto_round_trip)
{
  unsigned k = 0;
  for (size_t i = 0; i < 3; i++)
    for (uint32_t tag = 1; tag <= 999999999u; tag = tag * 10 + 9, k++)
      {
        media_srtp_crypto a, b;
        ck_assert_int_eq (media_srtp_crypto_generate (all_suites[i], tag, &a),
                          0);
        a.lifetime = tag % 2 ? 0 : 1000000;
        /* every MKI length, 0 (none) to 8, with the largest value it
         * holds; none with the suite that cannot have one */
        a.mki_len = i == 1 ? 0 : (uint8_t) (k % 9);
        a.mki = a.mki_len == 8 ? UINT64_MAX
                               : ((uint64_t) 1 << (8 * a.mki_len)) - 1;
        char line[MEDIA_SRTP_CRYPTO_LINE_MAX];
        int n = media_srtp_crypto_format (&a, line, sizeof line);
        ck_assert_int_gt (n, 0);
        ck_assert_int_eq (media_srtp_crypto_parse (line, (size_t) n, &b), 0);
        ck_assert_uint_eq (b.tag, a.tag);
        ck_assert_int_eq (b.suite, a.suite);
        ck_assert_uint_eq (b.key_salt_len, a.key_salt_len);
        ck_assert_mem_eq (b.key_salt, a.key_salt, a.key_salt_len);
        ck_assert_uint_eq (b.lifetime, a.lifetime);
        ck_assert_uint_eq (b.mki_len, a.mki_len);
        ck_assert_uint_eq (b.mki, a.mki);
        ck_assert_int_eq (media_srtp_crypto_format (&a, line, (size_t) n),
                          -ENOBUFS);
      }
  /* Lifetimes at the edges, decimal and power of two: 1 is 2^0. */
  static const struct
  {
    const char *in, *out;
    uint64_t lifetime;
  } lt[] = {
    { "|1", "|2^0", 1 },
    { "|2^0", "|2^0", 1 },
    { "|3", "|3", 3 },
    { "|2^48", "|2^48", (uint64_t) 1 << 48 },
    { "|281474976710655", "|281474976710655", ((uint64_t) 1 << 48) - 1 },
  };
  for (size_t i = 0; i < sizeof lt / sizeof lt[0]; i++)
    {
      char in[MEDIA_SRTP_CRYPTO_LINE_MAX], want[MEDIA_SRTP_CRYPTO_LINE_MAX];
      char line[MEDIA_SRTP_CRYPTO_LINE_MAX];
      const char *base = "3 AES_CM_128_HMAC_SHA1_80 "
                         "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
      snprintf (in, sizeof in, "%s%s", base, lt[i].in);
      snprintf (want, sizeof want, "%s%s", base, lt[i].out);
      media_srtp_crypto c;
      ck_assert_int_eq (media_srtp_crypto_parse (in, strlen (in), &c), 0);
      ck_assert_uint_eq (c.lifetime, lt[i].lifetime);
      ck_assert_int_gt (media_srtp_crypto_format (&c, line, sizeof line), 0);
      ck_assert_str_eq (line, want);
    }

  media_srtp_suite s;
  ck_assert_int_eq (media_srtp_suite_from_name ("AEAD_AES_128_GCM", 16, &s), 0);
  ck_assert_int_eq (s, MEDIA_SRTP_AEAD_AES_128_GCM);
  ck_assert_uint_eq (media_srtp_suite_key_salt_len (s), 28);
}
END_TEST

START_TEST (test_crypto_malformed)
{
  static const struct
  {
    const char *line;
    int err;
  } bad[] = {
    { "", -EBADMSG },
    { "a=crypto:", -EBADMSG },
    { "AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -EBADMSG },
    { "1234567890 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 ", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline;PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtx", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0m=Xtxa", -EBADMSG },
    { "1 AEAD_AES_128_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^49", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|2^20", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|x", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:129", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:9", -ENOTSUP },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|256:1", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|1:4", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|:4", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:", -EBADMSG },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|18446744073709551616:8", -EBADMSG },
    { "1 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -ENOTSUP },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR KDR=1", -ENOTSUP },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR;inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -ENOTSUP },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      media_srtp_crypto c;
      size_t len = strlen (bad[i].line);
      /* exact-size copy without a NUL: the parser must honour len */
      char *copy = malloc (len ? len : 1);
      memcpy (copy, bad[i].line, len);
      int r = media_srtp_crypto_parse (copy, len, &c);
      ck_assert_msg (r == bad[i].err, "line %zu: got %d want %d", i, r,
                     bad[i].err);
      /* a rejected line leaves no key material behind */
      static const uint8_t zero[MEDIA_SRTP_KEY_SALT_MAX];
      ck_assert_mem_eq (c.key_salt, zero, sizeof zero);
      free (copy);
    }

  /* Every truncation of a valid line without lifetime is invalid. */
  const char *good = "2 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==";
  size_t glen = strlen (good);
  media_srtp_crypto c;
  ck_assert_int_eq (media_srtp_crypto_parse (good, glen, &c), 0);
  ck_assert_uint_eq (c.key_salt_len, 28);
  for (size_t i = 0; i < 28; i++)
    ck_assert_uint_eq (c.key_salt[i], i);
  for (size_t len = 0; len < glen; len++)
    {
      char *copy = malloc (len ? len : 1);
      memcpy (copy, good, len);
      ck_assert_int_lt (media_srtp_crypto_parse (copy, len, &c), 0);
      free (copy);
    }
}
END_TEST

static Suite *
srtp_suite (void)
{
  Suite *s = suite_create ("srtp");
  TCase *tc = tcase_create ("protect");
  tcase_add_loop_test (tc, test_round_trip, 0, 3);
  tcase_add_loop_test (tc, test_tamper, 0, 3);
  tcase_add_loop_test (tc, test_replay, 0, 3);
  tcase_add_loop_test (tc, test_mki, 0, 2);
  tcase_add_test (tc, test_mki_refused_with_sha1_32);
  tcase_add_test (tc, test_bounds);
  suite_add_tcase (s, tc);
  tc = tcase_create ("crypto");
  tcase_add_test (tc, test_crypto_rfc4568_example);
  tcase_add_test (tc, test_crypto_round_trip);
  tcase_add_test (tc, test_crypto_malformed);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (srtp_suite ());
}
