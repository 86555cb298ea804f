/* The listening sink behind --expect-audio: it finds the tone the peer sent
 * and tells silence from signal. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "media/analyser.h"
#include "check-run.h"

static void
feed (media_device *sink, media_device *source, int frames)
{
  int16_t pcm[MEDIA_FRAME_SAMPLES];

  for (int i = 0; i < frames; i++)
    {
      ck_assert_int_eq (media_device_read (source, pcm), MEDIA_FRAME_SAMPLES);
      ck_assert_int_eq (media_device_write (sink, pcm), MEDIA_FRAME_SAMPLES);
    }
}

START_TEST (test_finds_the_dominant_tone)
{
  static const double freqs[] = { 440, 660, 1000, 2345 };

  for (size_t i = 0; i < sizeof freqs / sizeof freqs[0]; i++)
    {
      media_device *tone = media_device_tone_new (freqs[i], 0, -20);
      media_device *a = media_analyser_new (NULL, 0);
      media_analyser_stats st;

      media_device_start (tone);
      feed (a, tone, 50);
      media_analyser_get (a, &st);
      ck_assert_int_eq (st.frames, 50);
      ck_assert_int_eq (st.signal_frames, 50);
      ck_assert_uint_ge (st.tone_frames, 45);
      ck_assert_msg (st.tone_hz >= freqs[i] - 5 && st.tone_hz <= freqs[i] + 5, "%g Hz heard as %g", freqs[i],
                     st.tone_hz);
      ck_assert (st.peak_dbfs > -25 && st.peak_dbfs < -15);
      media_device_free (a);
      media_device_free (tone);
    }
}
END_TEST

START_TEST (test_expected_tone_and_silence)
{
  media_device *tone = media_device_tone_new (440, 0, -20);
  media_device *silence = media_device_null_new (MEDIA_DEVICE_SOURCE);
  media_device *listen_440 = media_analyser_new (NULL, 440);
  media_device *listen_1000 = media_analyser_new (NULL, 1000);
  int16_t pcm[MEDIA_FRAME_SAMPLES];
  media_analyser_stats st;

  media_device_start (tone);
  feed (listen_440, tone, 20);
  feed (listen_1000, tone, 20);
  for (int i = 0; i < 30; i++)
    {
      media_device_read (silence, pcm);
      media_device_write (listen_440, pcm);
    }
  media_analyser_get (listen_440, &st);
  ck_assert_int_eq (st.frames, 50);
  ck_assert_int_eq (st.signal_frames, 20);
  ck_assert_int_eq (st.tone_frames, 20);
  media_analyser_get (listen_1000, &st);
  ck_assert_int_eq (st.tone_frames, 0); /* 440 Hz is not the tone it waits for */
  ck_assert_ptr_null (media_analyser_new (tone, 0)); /* a source cannot follow */
  media_device_free (listen_440);
  media_device_free (listen_1000);
  media_device_free (silence);
  media_device_free (tone);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("analyser");
  TCase *tc = tcase_create ("analyser");

  tcase_add_test (tc, test_finds_the_dominant_tone);
  tcase_add_test (tc, test_expected_tone_and_silence);
  suite_add_tcase (s, tc);
  return floe_check_run (s);
}
