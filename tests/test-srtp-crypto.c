/* media/srtp-crypto.c: libsrtp2's AES-CM-128 and HMAC-SHA1 on libcrypto.
 * Packets protected through media_srtp must be byte for byte what
 * libsrtp2 makes with the transforms it was built with (NSS on Debian),
 * and each side must take the other's. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <srtp2/srtp.h>
#include <string.h>

#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/srtp-crypto.h"
#include "media/srtp.h"
#include "check-run.h"

#define PACKETS 5
#define BUF 512

typedef struct
{
  uint8_t rtp[PACKETS][BUF];
  int rtp_len[PACKETS];
  uint8_t rtcp[BUF];
  int rtcp_len;
} packets;

static const uint8_t master[30] = {
  0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
  0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
  0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};

/* Plain packets: RTP with a payload long enough for several key stream
 * blocks and a partial last one, then a compound RTCP packet. */
static void
make_plain (packets *p)
{
  for (int i = 0; i < PACKETS; i++)
    {
      uint8_t payload[171];
      for (size_t j = 0; j < sizeof payload; j++)
        payload[j] = (uint8_t) (j * 7 + (size_t) i);
      media_rtp_packet rp = {
        .payload_type = 111,
        .seq = (uint16_t) (65533 + i), /* crosses a rollover */
        .timestamp = 960u * (uint32_t) i,
        .ssrc = 0x5eed1234,
        .payload = payload,
        .payload_len = sizeof payload,
      };
      p->rtp_len[i] = media_rtp_pack (&rp, p->rtp[i], BUF);
      ck_assert_int_gt (p->rtp_len[i], 0);
    }
  media_rtcp_writer w;
  media_rtcp_writer_init (&w, p->rtcp, BUF);
  media_rtcp_report r = { .ssrc = 0x5eed1234, .has_sender_info = true,
                          .ntp = 7, .packet_count = 5, .octet_count = 855 };
  media_rtcp_write_report (&w, &r);
  media_rtcp_write_sdes_cname (&w, r.ssrc, "floe@test");
  p->rtcp_len = media_rtcp_writer_finish (&w);
  ck_assert_int_gt (p->rtcp_len, 0);
}

/* Protects every packet with a libsrtp2 session made straight from the
 * library, whichever transforms it holds at the time. */
static void
protect_with_libsrtp (packets *p, bool sha1_32)
{
  srtp_policy_t policy;
  memset (&policy, 0, sizeof policy);
  if (sha1_32)
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&policy.rtp);
  else
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  uint8_t key[sizeof master];
  memcpy (key, master, sizeof key);
  policy.key = key;
  policy.ssrc.type = ssrc_any_outbound;
  policy.window_size = 128;
  srtp_t s;
  ck_assert_int_eq (srtp_create (&s, &policy), srtp_err_status_ok);
  for (int i = 0; i < PACKETS; i++)
    ck_assert_int_eq (srtp_protect (s, p->rtp[i], &p->rtp_len[i]), srtp_err_status_ok);
  ck_assert_int_eq (srtp_protect_rtcp (s, p->rtcp, &p->rtcp_len), srtp_err_status_ok);
  srtp_dealloc (s);
}

static media_srtp_crypto
floe_key (bool sha1_32)
{
  media_srtp_crypto c;
  memset (&c, 0, sizeof c);
  c.tag = 1;
  c.suite = sha1_32 ? MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32 : MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80;
  c.key_salt_len = sizeof master;
  memcpy (c.key_salt, master, sizeof master);
  return c;
}

/* Exported by libsrtp2 but declared only in its uninstalled
 * crypto_kernel.h: which transform the library uses for an id. */
const srtp_cipher_type_t *srtp_crypto_kernel_get_cipher_type (srtp_cipher_type_id_t id);

START_TEST (test_same_packets_as_libsrtp)
{
  /* The library's own transforms first, for both suites. */
  ck_assert_int_eq (srtp_init (), srtp_err_status_ok);
  ck_assert_ptr_ne (srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_128), &media_srtp_aes_icm_128);
  packets plain, theirs[2];
  make_plain (&plain);
  for (int v = 0; v < 2; v++)
    {
      theirs[v] = plain;
      protect_with_libsrtp (&theirs[v], v == 1);
    }
  /* Back to uninitialised, as media_srtp expects to find libsrtp2. */
  ck_assert_int_eq (srtp_shutdown (), srtp_err_status_ok);

  for (int v = 0; v < 2; v++)
    {
      bool sha1_32 = v == 1;
      media_srtp_crypto k = floe_key (sha1_32);
      int err = 1;
      media_srtp *tx = media_srtp_new (&k, &k, &err);
      ck_assert_int_eq (err, 0);
      /* media_srtp put srtp-crypto.c's transforms in. */
      ck_assert_ptr_eq (srtp_crypto_kernel_get_cipher_type (SRTP_AES_ICM_128), &media_srtp_aes_icm_128);
      packets ours = plain;
      for (int i = 0; i < PACKETS; i++)
        {
          int n = media_srtp_protect_rtp (tx, ours.rtp[i], (size_t) ours.rtp_len[i], BUF);
          ck_assert_int_eq (n, theirs[v].rtp_len[i]);
          ck_assert_mem_eq (ours.rtp[i], theirs[v].rtp[i], (size_t) n);
        }
      int n = media_srtp_protect_rtcp (tx, ours.rtcp, (size_t) ours.rtcp_len, BUF);
      ck_assert_int_eq (n, theirs[v].rtcp_len);
      ck_assert_mem_eq (ours.rtcp, theirs[v].rtcp, (size_t) n);
      media_srtp_free (tx);

      /* libsrtp2's packets open with ours... */
      packets copy = theirs[v];
      media_srtp *rx = media_srtp_new (&k, &k, &err);
      ck_assert_int_eq (err, 0);
      for (int i = 0; i < PACKETS; i++)
        {
          n = media_srtp_unprotect_rtp (rx, copy.rtp[i], (size_t) copy.rtp_len[i]);
          ck_assert_int_eq (n, plain.rtp_len[i]);
          ck_assert_mem_eq (copy.rtp[i], plain.rtp[i], (size_t) n);
        }
      n = media_srtp_unprotect_rtcp (rx, copy.rtcp, (size_t) copy.rtcp_len);
      ck_assert_int_eq (n, plain.rtcp_len);
      ck_assert_mem_eq (copy.rtcp, plain.rtcp, (size_t) n);
      media_srtp_free (rx);

      /* ...and one flipped bit fails the tag. */
      copy = theirs[v];
      copy.rtp[0][20] ^= 1;
      rx = media_srtp_new (&k, &k, &err);
      ck_assert_int_eq (media_srtp_unprotect_rtp (rx, copy.rtp[0], (size_t) copy.rtp_len[0]), -EBADMSG);
      media_srtp_free (rx);
      media_srtp_crypto_clear (&k);
    }
}
END_TEST

/* libsrtp2's own checks of a transform: the known answers in
 * srtp-crypto.c and its randomised encrypt/decrypt round trips. */
START_TEST (test_self_tests)
{
  ck_assert_int_eq (media_srtp_init (), 0);
  ck_assert_int_eq (srtp_cipher_type_self_test (&media_srtp_aes_icm_128), srtp_err_status_ok);
  ck_assert_int_eq (srtp_auth_type_self_test (&media_srtp_hmac_sha1), srtp_err_status_ok);
  ck_assert_int_eq (media_srtp_crypto_install (), 0);
}
END_TEST

/* Keys libsrtp2 never asks for are refused, not misused. */
START_TEST (test_bad_lengths)
{
  srtp_cipher_t *c = NULL;
  ck_assert_int_eq (media_srtp_aes_icm_128.alloc (&c, 16, 0), srtp_err_status_bad_param);
  ck_assert_int_eq (media_srtp_aes_icm_128.alloc (&c, 46, 0), srtp_err_status_bad_param);
  ck_assert_ptr_null (c);
  srtp_auth_t *a = NULL;
  ck_assert_int_eq (media_srtp_hmac_sha1.alloc (&a, 21, 10), srtp_err_status_bad_param);
  ck_assert_int_eq (media_srtp_hmac_sha1.alloc (&a, 20, 21), srtp_err_status_bad_param);
  ck_assert_int_eq (media_srtp_hmac_sha1.alloc (&a, 0, 10), srtp_err_status_bad_param);
  ck_assert_ptr_null (a);
}
END_TEST

static Suite *
srtp_crypto_suite (void)
{
  Suite *s = suite_create ("srtp-crypto");
  TCase *tc = tcase_create ("core");
  /* First: it needs libsrtp2 as it comes, should the tests share a process. */
  tcase_add_test (tc, test_same_packets_as_libsrtp);
  tcase_add_test (tc, test_self_tests);
  tcase_add_test (tc, test_bad_lengths);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (srtp_crypto_suite ());
}
