/* Offer/answer SDP: building, parsing, and what two sides agree on. */
#include "config.h"

#include <check.h>
#include <string.h>

#include "src/floe-sdp.h"
#include "check-run.h"

#define assert_error(e, d, c) \
  ck_assert_msg ((e) && (e)->domain == (d) && (e)->code == (c), "wrong error: %s", (e) ? (e)->message : "none")

static const char *const ice_lines[] = {
  "ice-ufrag:F7gI",
  "ice-pwd:x9cml/YzichV2+XlhiMu8g",
  "ice-options:trickle",
  "candidate:1 1 UDP 2130706431 192.0.2.10 5004 typ host",
  "candidate:2 1 UDP 1694498815 203.0.113.7 40000 typ srflx raddr 192.0.2.10 rport 5004",
  NULL
};

static FloeSdpLocal
local_defaults (void)
{
  FloeSdpLocal l = { 0 };
  l.addr = "192.0.2.10";
  l.port = 5004;
  l.session_id = 42;
  l.session_version = 1;
  l.direction = FLOE_SDP_SENDRECV;
  l.srtp = FLOE_SRTP_OFF;
  return l;
}

static FloeSdpMedia *
parse (const char *text)
{
  g_autoptr (GError) error = NULL;
  FloeSdpMedia *m = floe_sdp_media_parse (text, strlen (text), &error);
  ck_assert_msg (m != NULL, "parse failed: %s", error ? error->message : "?");
  return m;
}

static gboolean
has_line (const char *sdp, const char *line)
{
  g_autofree char *needle = g_strdup_printf ("%s\r\n", line);
  return strstr (sdp, needle) != NULL;
}

START_TEST (offer_round_trip)
{
  FloeSdpLocal l = local_defaults ();
  l.ice = ice_lines;
  l.opus_max_average_bitrate = 24000;
  g_autofree char *sdp = floe_sdp_build_offer (&l);
  g_autoptr (FloeSdpMedia) m = parse (sdp);

  ck_assert (has_line (sdp, "m=audio 5004 RTP/AVP 111 0 8 101"));
  ck_assert (has_line (sdp, "a=rtpmap:111 opus/48000/2"));
  ck_assert (has_line (sdp, "a=fmtp:111 useinbandfec=1;maxaveragebitrate=24000;stereo=0;sprop-stereo=0"));
  ck_assert (has_line (sdp, "a=rtpmap:101 telephone-event/8000"));
  ck_assert (has_line (sdp, "a=rtcp:5005 IN IP4 192.0.2.10"));
  ck_assert (has_line (sdp, "a=rtcp-mux"));
  ck_assert (has_line (sdp, "c=IN IP4 192.0.2.10"));
  ck_assert (strstr (sdp, "a=crypto") == NULL);

  ck_assert_str_eq (m->addr, "192.0.2.10");
  ck_assert_uint_eq (m->port, 5004);
  ck_assert_uint_eq (m->rtcp_port, 5005);
  ck_assert (m->rtcp_mux);
  ck_assert (!m->savp);
  ck_assert_int_eq (m->direction, FLOE_SDP_SENDRECV);
  ck_assert_uint_eq (m->codecs->len, 3);
  ck_assert_int_eq (g_array_index (m->codecs, FloeSdpCodec, 0).codec, FLOE_CODEC_OPUS);
  ck_assert_int_eq (g_array_index (m->codecs, FloeSdpCodec, 1).codec, FLOE_CODEC_PCMU);
  ck_assert_int_eq (g_array_index (m->codecs, FloeSdpCodec, 2).codec, FLOE_CODEC_PCMA);
  ck_assert_int_eq (m->telephone_event_pt, 101);
  ck_assert (m->opus_inband_fec);
  ck_assert_uint_eq (m->opus_max_average_bitrate, 24000);
  ck_assert_uint_eq (m->ice->len, 5);
  for (guint i = 0; i < 5; i++)
    ck_assert_str_eq (g_ptr_array_index (m->ice, i), ice_lines[i]);
}
END_TEST

START_TEST (answer_with_ice_and_srtp)
{
  FloeSdpLocal a = local_defaults ();
  const char *const offer_keys[] = { "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", NULL };
  a.ice = ice_lines;
  a.srtp = FLOE_SRTP_REQUIRED;
  a.crypto = offer_keys;
  g_autofree char *offer_text = floe_sdp_build_offer (&a);
  ck_assert (has_line (offer_text, "m=audio 5004 RTP/SAVP 111 0 8 101"));
  ck_assert (has_line (offer_text, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"));
  g_autoptr (FloeSdpMedia) offer = parse (offer_text);
  ck_assert (offer->savp);

  /* The answerer takes the key's tag and suite and adds a key of its own. */
  const char *picked = floe_sdp_pick_crypto (offer);
  ck_assert_ptr_nonnull (picked);
  g_autofree char *key = floe_sdp_crypto_new (1, "AES_CM_128_HMAC_SHA1_80");
  ck_assert (g_str_has_prefix (key, "1 AES_CM_128_HMAC_SHA1_80 inline:"));
  ck_assert_uint_eq (strlen (key), strlen ("1 AES_CM_128_HMAC_SHA1_80 inline:") + 40);
  const char *answer_keys[] = { key, NULL };
  const char *const b_ice[] = { "ice-ufrag:b0b0", "ice-pwd:0123456789abcdefghijkl",
                                "candidate:1 1 UDP 2130706431 192.0.2.20 6000 typ host", NULL };
  FloeSdpLocal b = local_defaults ();
  b.addr = "192.0.2.20";
  b.port = 6000;
  b.srtp = FLOE_SRTP_OPTIONAL;
  b.crypto = answer_keys;
  b.ice = b_ice;
  b.codecs = (const FloeCodec[]){ FLOE_CODEC_PCMA, FLOE_CODEC_OPUS, FLOE_CODEC_NONE };
  FloeSdpResult rb;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer_text = floe_sdp_build_answer (&b, offer, &rb, &error);
  ck_assert_msg (answer_text != NULL, "%s", error ? error->message : "");
  /* Offer order wins; PCMU is left out because b does not have it. */
  ck_assert (has_line (answer_text, "m=audio 6000 RTP/SAVP 111 8 101"));
  ck_assert (has_line (answer_text, "a=ice-ufrag:b0b0"));
  ck_assert_int_eq (rb.codec.codec, FLOE_CODEC_OPUS);
  ck_assert (rb.ice);
  ck_assert_str_eq (rb.crypto, offer_keys[0]);
  ck_assert_int_eq (rb.telephone_event_pt, 101);
  ck_assert (rb.rtcp_mux);

  g_autoptr (FloeSdpMedia) answer = parse (answer_text);
  ck_assert_uint_eq (answer->crypto->len, 1);
  FloeSdpResult ra;
  ck_assert (floe_sdp_accept_answer (&a, answer, &ra, &error));
  ck_assert_int_eq (ra.codec.codec, FLOE_CODEC_OPUS);
  ck_assert_uint_eq (ra.codec.pt, 111);
  ck_assert_str_eq (ra.crypto, key);
  ck_assert (ra.ice);
  ck_assert_int_eq (ra.direction, FLOE_SDP_SENDRECV);
  floe_sdp_result_clear (&ra);
  floe_sdp_result_clear (&rb);
}
END_TEST

START_TEST (peer_without_ice)
{
  /* A plain old phone: no ICE, no SRTP, G.711 only, no telephone-event. */
  const char *offer_text =
    "v=0\r\no=- 1 1 IN IP4 198.51.100.5\r\ns=call\r\nc=IN IP4 198.51.100.5\r\nt=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n";
  g_autoptr (FloeSdpMedia) offer = parse (offer_text);
  ck_assert_uint_eq (offer->ice->len, 0);
  ck_assert_int_eq (offer->telephone_event_pt, -1);
  ck_assert_uint_eq (offer->rtcp_port, 49171);
  ck_assert (!offer->rtcp_mux);

  FloeSdpLocal b = local_defaults ();
  b.ice = ice_lines;
  b.srtp = FLOE_SRTP_OPTIONAL;
  FloeSdpResult r;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = floe_sdp_build_answer (&b, offer, &r, &error);
  ck_assert_ptr_nonnull (answer);
  ck_assert (strstr (answer, "ice-") == NULL);
  ck_assert (strstr (answer, "candidate") == NULL);
  ck_assert (strstr (answer, "a=crypto") == NULL);
  ck_assert (strstr (answer, "a=rtcp-mux") == NULL);
  ck_assert (strstr (answer, "telephone-event") == NULL);
  ck_assert (has_line (answer, "m=audio 5004 RTP/AVP 0"));
  ck_assert (!r.ice);
  ck_assert (!r.rtcp_mux);
  ck_assert_ptr_null (r.crypto);
  ck_assert_int_eq (r.telephone_event_pt, -1);
  ck_assert_int_eq (r.codec.codec, FLOE_CODEC_PCMU);
}
END_TEST

START_TEST (hold_states)
{
  static const struct { FloeSdpDirection offered, ours, answer; } table[] = {
    { FLOE_SDP_SENDONLY, FLOE_SDP_SENDRECV, FLOE_SDP_RECVONLY },
    { FLOE_SDP_RECVONLY, FLOE_SDP_SENDRECV, FLOE_SDP_SENDONLY },
    { FLOE_SDP_INACTIVE, FLOE_SDP_SENDRECV, FLOE_SDP_INACTIVE },
    { FLOE_SDP_SENDRECV, FLOE_SDP_SENDONLY, FLOE_SDP_SENDONLY },
    { FLOE_SDP_SENDONLY, FLOE_SDP_SENDONLY, FLOE_SDP_INACTIVE },
    { FLOE_SDP_SENDRECV, FLOE_SDP_SENDRECV, FLOE_SDP_SENDRECV },
  };
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      FloeSdpLocal a = local_defaults ();
      FloeSdpLocal b = local_defaults ();
      a.direction = table[i].offered;
      b.direction = table[i].ours;
      g_autofree char *offer_text = floe_sdp_build_offer (&a);
      g_autoptr (FloeSdpMedia) offer = parse (offer_text);
      ck_assert_int_eq (offer->direction, table[i].offered);
      FloeSdpResult r;
      g_autofree char *answer_text = floe_sdp_build_answer (&b, offer, &r, NULL);
      ck_assert_ptr_nonnull (answer_text);
      ck_assert_int_eq (r.direction, table[i].answer);
      g_autoptr (FloeSdpMedia) answer = parse (answer_text);
      ck_assert_int_eq (answer->direction, table[i].answer);
      /* The offerer sees the mirror of the answer, limited by its own wish. */
      FloeSdpResult ra;
      ck_assert (floe_sdp_accept_answer (&a, answer, &ra, NULL));
      ck_assert_int_eq (ra.direction, floe_sdp_direction_answer (table[i].answer, table[i].offered));
    }

  /* RFC 2543 style hold: c=0.0.0.0 */
  g_autoptr (FloeSdpMedia) old = parse ("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
                                        "m=audio 4000 RTP/AVP 8\r\n");
  ck_assert_int_eq (old->direction, FLOE_SDP_INACTIVE);
}
END_TEST

START_TEST (rejected_codecs_and_srtp_policy)
{
  g_autoptr (GError) error = NULL;
  FloeSdpResult r;
  FloeSdpLocal b = local_defaults ();

  g_autoptr (FloeSdpMedia) g729 = parse ("v=0\r\no=- 1 1 IN IP4 198.51.100.5\r\ns=-\r\nc=IN IP4 198.51.100.5\r\n"
                                         "t=0 0\r\nm=audio 4000 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\n"
                                         "a=rtpmap:101 telephone-event/8000\r\n");
  ck_assert_uint_eq (g729->codecs->len, 0);
  ck_assert_ptr_null (floe_sdp_build_answer (&b, g729, &r, &error));
  assert_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_NO_CODEC);
  g_clear_error (&error);

  /* Peer requires SRTP, we have it off. */
  g_autoptr (FloeSdpMedia) savp = parse ("v=0\r\no=- 1 1 IN IP4 198.51.100.5\r\ns=-\r\nc=IN IP4 198.51.100.5\r\n"
                                         "t=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n"
                                         "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n");
  ck_assert_ptr_null (floe_sdp_build_answer (&b, savp, &r, &error));
  assert_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_SRTP_REFUSED);
  g_clear_error (&error);

  /* We require SRTP, peer offers plain RTP. */
  g_autoptr (FloeSdpMedia) plain = parse ("v=0\r\no=- 1 1 IN IP4 198.51.100.5\r\ns=-\r\nc=IN IP4 198.51.100.5\r\n"
                                          "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
  b.srtp = FLOE_SRTP_REQUIRED;
  ck_assert_ptr_null (floe_sdp_build_answer (&b, plain, &r, &error));
  assert_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_SRTP_REQUIRED);
  g_clear_error (&error);

  /* Unknown suite only: no usable key. */
  g_autoptr (FloeSdpMedia) odd = parse ("v=0\r\no=- 1 1 IN IP4 198.51.100.5\r\ns=-\r\nc=IN IP4 198.51.100.5\r\n"
                                        "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=crypto:1 F8_128_HMAC_SHA1_80 inline:AAAA\r\n");
  ck_assert_ptr_null (floe_sdp_pick_crypto (odd));

  /* A stream the peer turned down. */
  g_autoptr (FloeSdpMedia) zero = parse ("v=0\r\no=- 1 1 IN IP4 198.51.100.5\r\ns=-\r\nc=IN IP4 198.51.100.5\r\n"
                                         "t=0 0\r\nm=audio 0 RTP/AVP 0\r\n");
  FloeSdpLocal a = local_defaults ();
  ck_assert (!floe_sdp_accept_answer (&a, zero, &r, &error));
  assert_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_REJECTED);
}
END_TEST

START_TEST (other_streams_refused)
{
  /* Video first, then audio, then a second audio stream: the answer keeps
   * all three m= lines in order and takes only the first audio. */
  g_autoptr (FloeSdpMedia) offer = parse ("v=0\r\no=- 1 1 IN IP4 198.51.100.5\r\ns=-\r\nc=IN IP4 198.51.100.5\r\n"
                                          "t=0 0\r\nm=video 5000 RTP/AVP 96 97\r\na=rtpmap:96 VP8/90000\r\n"
                                          "a=rtpmap:97 H264/90000\r\n"
                                          "m=audio 4000 RTP/AVP 8\r\n"
                                          "m=audio 4002 RTP/AVP 0\r\n");
  ck_assert_uint_eq (offer->m_lines->len, 3);
  ck_assert_uint_eq (offer->audio_index, 1);
  ck_assert_uint_eq (offer->port, 4000);

  FloeSdpLocal b = local_defaults ();
  FloeSdpResult r;
  g_autofree char *answer = floe_sdp_build_answer (&b, offer, &r, NULL);
  ck_assert_ptr_nonnull (answer);
  const char *video = strstr (answer, "m=video 0 RTP/AVP 96 97\r\n");
  const char *audio = strstr (answer, "m=audio 5004 RTP/AVP 8\r\n");
  const char *second = strstr (answer, "m=audio 0 RTP/AVP 0\r\n");
  ck_assert (video && audio && second);
  ck_assert (video < audio && audio < second);
  ck_assert_int_eq (r.codec.codec, FLOE_CODEC_PCMA);

  g_autoptr (FloeSdpMedia) back = parse (answer);
  ck_assert_uint_eq (back->m_lines->len, 3);
  ck_assert_uint_eq (back->audio_index, 1);
  ck_assert_uint_eq (back->port, 5004);
}
END_TEST

START_TEST (malformed_input)
{
  static const char *const bad[] = {
    "",
    "hello",
    "v=0\r\n",
    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=video 4000 RTP/AVP 96\r\n",
    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      FloeSdpMedia *m = floe_sdp_media_parse (bad[i], strlen (bad[i]), &error);
      ck_assert_msg (m == NULL, "accepted bad input %u", i);
      assert_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_PARSE);
    }

  /* Every truncation of a good offer parses or fails cleanly (ASan watches). */
  FloeSdpLocal l = local_defaults ();
  l.ice = ice_lines;
  g_autofree char *sdp = floe_sdp_build_offer (&l);
  gsize len = strlen (sdp);
  for (gsize n = 0; n <= len; n++)
    {
      char *copy = g_memdup2 (sdp, n ? n : 1);
      FloeSdpMedia *m = floe_sdp_media_parse (copy, n, NULL);
      floe_sdp_media_free (m);
      g_free (copy);
    }
}
END_TEST

static Suite *
sdp_suite (void)
{
  Suite *s = suite_create ("sdp");
  TCase *tc = tcase_create ("offer-answer");
  tcase_add_test (tc, offer_round_trip);
  tcase_add_test (tc, answer_with_ice_and_srtp);
  tcase_add_test (tc, peer_without_ice);
  tcase_add_test (tc, hold_states);
  tcase_add_test (tc, rejected_codecs_and_srtp_policy);
  tcase_add_test (tc, other_streams_refused);
  tcase_add_test (tc, malformed_input);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (sdp_suite ());
}
