/* The media session's controls for the call around it: mute sends silence,
 * hold stops audio but not RTCP, and the level meters read both ways. */
#include "config.h"

#include <check.h>
#include <stdatomic.h>
#include <unistd.h>

#include "check-run.h"
#include "media/demux.h"
#include "media/session.h"

static atomic_int rtp_sent, rtcp_sent;

static int
count_send (void *user, const uint8_t *data, size_t len)
{
  if (media_demux_classify (data, len) == MEDIA_DEMUX_RTCP)
    atomic_fetch_add (&rtcp_sent, 1);
  else
    atomic_fetch_add (&rtp_sent, 1);
  return 0;
}

/* Waits until *counter has grown by n (bounded against a hang, not a timing
 * assertion) and returns how many RTP packets went out meanwhile. */
static int
wait_for (atomic_int *counter, int n)
{
  int rtp_before = atomic_load (&rtp_sent), target = atomic_load (counter) + n;

  for (int i = 0; i < 1000 && atomic_load (counter) < target; i++)
    usleep (10000);
  ck_assert_int_ge (atomic_load (counter), target);
  return atomic_load (&rtp_sent) - rtp_before;
}

START_TEST (test_mute_hold_levels)
{
  media_device *tone = media_device_tone_new (440, 0, -12);
  media_session_config cfg = { .codec = MEDIA_CODEC_PCMU, .payload_type = 0, .dtmf_payload_type = -1,
                               .source = tone, .send = count_send, .rtcp_interval_ms = 100 };
  media_session *s = media_session_new (&cfg, NULL);
  media_session_stats st;

  ck_assert_ptr_nonnull (s);
  ck_assert_int_eq (media_session_start (s), 0);
  wait_for (&rtp_sent, 10);
  media_session_get_stats (s, &st);
  ck_assert_msg (st.tx_level_dbfs > -20 && st.tx_level_dbfs < -10, "tone sent at %.1f dBFS", st.tx_level_dbfs);
  ck_assert (st.rx_level_dbfs <= -99); /* nothing arrives: silence */

  media_session_set_mute (s, true);
  wait_for (&rtp_sent, 10); /* still sending... */
  media_session_get_stats (s, &st);
  ck_assert (st.tx_level_dbfs <= -99); /* ...silence */

  media_session_set_sending (s, false);
  wait_for (&rtcp_sent, 1); /* a frame in flight may still go */
  ck_assert_int_eq (wait_for (&rtcp_sent, 3), 0); /* RTCP goes on while held, audio does not */

  media_session_set_sending (s, true);
  media_session_set_mute (s, false);
  wait_for (&rtp_sent, 10);
  media_session_free (s);
  media_device_free (tone);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("media-controls");
  TCase *tc = tcase_create ("controls");

  tcase_add_test (tc, test_mute_hold_levels);
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  return floe_check_run (s);
}
