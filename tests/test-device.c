/* Sources and sinks: tone, null, files (with resampling and mixing to
 * mono), and PortAudio where this machine has an audio device. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#include "media/device.h"
#include "media/tone-detect.h"
#include "check-run.h"

#define N MEDIA_FRAME_SAMPLES

START_TEST(test_tone)
{
	int16_t pcm[N];
	media_device *t = media_device_tone_new(440, 0, -6);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(media_device_direction(t), MEDIA_DEVICE_SOURCE);
	ck_assert_int_eq(media_device_start(t), 0);
	int peak = 0;
	for (int f = 0; f < 100; f++) {
		ck_assert_int_eq(media_device_read(t, pcm), N);
		ck_assert(media_tone_present(pcm, N, 48000, 440, 0.95, 1000, NULL));
		for (int i = 0; i < N; i++)
			peak = abs(pcm[i]) > peak ? abs(pcm[i]) : peak;
	}
	/* -6 dBFS: half of full scale. */
	ck_assert_int_ge(peak, 16300);
	ck_assert_int_le(peak, 16500);
	ck_assert_int_eq(media_device_write(t, pcm), -ENOTSUP);
	media_device_stop(t);
	media_device_free(t);

	/* Sample for sample the sine it stands for, across frame boundaries,
	 * for a minute (it is computed by rotation, set exactly per frame). */
	t = media_device_tone_new(997, 0, 0);
	double phase = 0, step = 2 * M_PI * 997 / 48000;
	int worst = 0;
	for (int f = 0; f < 3000; f++) {
		ck_assert_int_eq(media_device_read(t, pcm), N);
		for (int i = 0; i < N; i++, phase += step) {
			int want = (int)lrint(32767 * sin(phase));
			worst = abs(pcm[i] - want) > worst ? abs(pcm[i] - want) : worst;
		}
		phase = fmod(phase, 2 * M_PI);
	}
	ck_assert_int_le(worst, 1);
	media_device_free(t);

	t = media_device_tone_new(852, 1477, -12); /* DTMF '9' */
	ck_assert_int_eq(media_device_read(t, pcm), N);
	ck_assert(media_tone_ratio(pcm, N, 48000, 852) > 0.4);
	ck_assert(media_tone_ratio(pcm, N, 48000, 1477) > 0.4);
	ck_assert(media_tone_ratio(pcm, N, 48000, 1209) < 0.05);
	media_device_free(t);

	ck_assert_ptr_null(media_device_tone_new(0, 0, -6));
	ck_assert_ptr_null(media_device_tone_new(30000, 0, -6));
	ck_assert_ptr_null(media_device_tone_new(440, 0, 3));
	ck_assert_ptr_null(media_device_tone_new(440, -1, -6));
}
END_TEST

START_TEST(test_null)
{
	int16_t pcm[N];
	memset(pcm, 0x55, sizeof pcm);
	media_device *src = media_device_null_new(MEDIA_DEVICE_SOURCE);
	media_device *sink = media_device_null_new(MEDIA_DEVICE_SINK);
	ck_assert_int_eq(media_device_read(src, pcm), N);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(pcm[i], 0);
	ck_assert_int_eq(media_device_write(sink, pcm), N);
	ck_assert_int_eq(media_device_read(sink, pcm), -ENOTSUP);
	ck_assert_int_eq(media_device_write(src, pcm), -ENOTSUP);
	media_device_free(src);
	media_device_free(sink);
}
END_TEST

/* A sink's WAV read back by a source: the same samples, then the end. */
START_TEST(test_file_round_trip)
{
	const char *path = "test-device-round-trip.wav";
	int err;
	media_device *sink = media_device_file_sink_new(path, &err);
	ck_assert_ptr_nonnull(sink);
	ck_assert_int_eq(err, 0);
	media_device *tone = media_device_tone_new(700, 0, -10);
	int16_t frames[10][N], pcm[N];
	for (int f = 0; f < 10; f++) {
		media_device_read(tone, frames[f]);
		ck_assert_int_eq(media_device_write(sink, frames[f]), N);
	}
	media_device_free(tone);
	media_device_free(sink);

	media_device *src = media_device_file_source_new(path, false, &err);
	ck_assert_ptr_nonnull(src);
	for (int f = 0; f < 10; f++) {
		ck_assert_int_eq(media_device_read(src, pcm), N);
		ck_assert_mem_eq(pcm, frames[f], sizeof pcm);
	}
	ck_assert_int_eq(media_device_read(src, pcm), -ENODATA);
	ck_assert_int_eq(media_device_read(src, pcm), -ENODATA);
	media_device_free(src);

	/* Looping never ends. */
	src = media_device_file_source_new(path, true, &err);
	for (int f = 0; f < 35; f++)
		ck_assert_int_eq(media_device_read(src, pcm), N);
	ck_assert_mem_eq(pcm, frames[4], sizeof pcm);
	media_device_free(src);
}
END_TEST

/* A 44.1 kHz stereo FLAC comes out as 48 kHz mono at the right pitch and
 * the right length. */
START_TEST(test_file_resample)
{
	const char *path = "test-device-44k-stereo.flac";
	SF_INFO info = { .samplerate = 44100, .channels = 2,
	                 .format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16 };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_ptr_nonnull(sf);
	static int16_t st[44100 * 2];
	for (int i = 0; i < 44100 / 2; i++) {
		/* 1000 Hz in both channels, one inverted half-level 3000 Hz that
		 * the mix to mono must cancel. */
		double a = 8000 * sin(2 * M_PI * 1000 * i / 44100.0);
		double b = 4000 * sin(2 * M_PI * 3000 * i / 44100.0);
		st[2 * i] = (int16_t)lrint(a + b);
		st[2 * i + 1] = (int16_t)lrint(a - b);
	}
	ck_assert_int_eq(sf_writef_short(sf, st, 44100 / 2), 44100 / 2);
	sf_close(sf);

	int err;
	media_device *src = media_device_file_source_new(path, false, &err);
	ck_assert_msg(src != NULL, "err %d", err);
	int16_t pcm[N];
	size_t total = 0;
	int r, frame = 0;
	while ((r = media_device_read(src, pcm)) > 0) {
		total += (size_t)r;
		if (r == N && frame++ > 0) {
			ck_assert(media_tone_present(pcm, N, 48000, 1000, 0.9, 1000, NULL));
			ck_assert(media_tone_ratio(pcm, N, 48000, 3000) < 0.01);
		}
	}
	ck_assert_int_eq(r, -ENODATA);
	/* Half a second at 48 kHz, give or take the filter's edges. */
	ck_assert_uint_ge(total, 24000 - 100);
	ck_assert_uint_le(total, 24000 + 200);
	media_device_free(src);
}
END_TEST

START_TEST(test_file_errors)
{
	int err = 0;
	ck_assert_ptr_null(media_device_file_source_new("test-device-no-such.wav", false, &err));
	ck_assert_int_eq(err, -ENOENT);
	const char *path = "test-device-not-audio.wav";
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("this is not a sound file\n", f);
	fclose(f);
	ck_assert_ptr_null(media_device_file_source_new(path, false, &err));
	ck_assert_int_eq(err, -EBADMSG);
	ck_assert_ptr_null(media_device_file_sink_new("no-such-dir/x.wav", &err));
	ck_assert_int_eq(err, -EIO);
}
END_TEST

/* Only where a device exists: containers and CI machines have none. */
START_TEST(test_portaudio)
{
	media_portaudio_info list[32];
	int n = media_portaudio_list(list, 32);
	bool in = false, out = false;
	for (int i = 0; i < n && i < 32; i++) {
		in |= list[i].default_input && list[i].max_inputs > 0;
		out |= list[i].default_output && list[i].max_outputs > 0;
	}
	if (n <= 0 || !out) {
		fprintf(stderr, "test_portaudio: skipped, no audio output device (%d devices)\n", n);
		return;
	}
	int err;
	media_device *sink = media_device_portaudio_new(MEDIA_DEVICE_SINK, NULL, &err);
	ck_assert_msg(sink != NULL, "default output would not open: %d", err);
	ck_assert_int_eq(media_device_start(sink), 0);
	int16_t pcm[N] = { 0 };
	for (int i = 0; i < 5; i++)
		ck_assert_int_ge(media_device_write(sink, pcm), 0);
	media_device_stop(sink);
	media_device_free(sink);
	if (in) {
		media_device *src = media_device_portaudio_new(MEDIA_DEVICE_SOURCE, "", &err);
		ck_assert_msg(src != NULL, "default input would not open: %d", err);
		ck_assert_int_eq(media_device_start(src), 0);
		ck_assert_int_ge(media_device_read(src, pcm), 0);
		media_device_free(src);
	}
	ck_assert_ptr_null(media_device_portaudio_new(MEDIA_DEVICE_SINK,
	                                              "no device is called this", &err));
	ck_assert_int_eq(err, -ENODEV);
}
END_TEST

static void
sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };
	nanosleep(&ts, NULL);
}

/* PortAudio for real through ALSA's null plugin, which any machine has:
 * this test (in its own forked process) points HOME at the build
 * directory, where an .asoundrc makes "default" the null device. The device's clock then runs
 * the PortAudio callbacks, which must drain what we write and fill what
 * we read, through the ring buffers. */
START_TEST(test_portaudio_alsa_null)
{
	char home[4096];
	ck_assert_ptr_nonnull(getcwd(home, sizeof home));
	FILE *f = fopen(".asoundrc", "w");
	ck_assert_ptr_nonnull(f);
	fputs("pcm.!default { type null }\n", f);
	fclose(f);
	ck_assert_int_eq(setenv("HOME", home, 1), 0);

	media_portaudio_info list[32];
	int n = media_portaudio_list(list, 32);
	int found = -1;
	for (int i = 0; i < n && i < 32; i++)
		if (strcmp(list[i].name, "default") == 0 && list[i].max_outputs > 0)
			found = i;
	if (found < 0) {
		fprintf(stderr, "test_portaudio_alsa_null: skipped, PortAudio has no ALSA "
		                "\"default\" device here (%d devices)\n", n);
		return;
	}
	ck_assert_str_eq(list[found].host_api, "ALSA");

	int err;
	media_device *sink = media_device_portaudio_new(MEDIA_DEVICE_SINK, "default", &err);
	ck_assert_msg(sink != NULL, "null playback would not open: %d", err);
	ck_assert_str_eq(media_device_describe(sink), "playback default");
	ck_assert_int_eq(media_device_start(sink), 0);
	int16_t pcm[N];
	memset(pcm, 0, sizeof pcm);
	/* Fill the ring until it refuses a frame, then wait (bounded) for the
	 * callback to take samples out. */
	int queued = 0;
	while (media_device_write(sink, pcm) == N)
		ck_assert_int_lt(++queued, 1000);
	bool drained = false;
	for (int i = 0; i < 300 && !drained; i++) {
		sleep_ms(10);
		drained = media_device_write(sink, pcm) == N;
	}
	ck_assert_msg(drained, "the playback callback never consumed the ring");
	media_device_stop(sink);
	media_device_free(sink);

	/* A partial name chooses it too; capture delivers whole frames. */
	media_device *src = media_device_portaudio_new(MEDIA_DEVICE_SOURCE, "defau", &err);
	ck_assert_msg(src != NULL, "null capture would not open: %d", err);
	ck_assert_int_eq(media_device_read(src, pcm), 0); /* not started: underrun */
	ck_assert_int_eq(media_device_start(src), 0);
	int got = 0;
	for (int i = 0; i < 300 && got == 0; i++) {
		sleep_ms(10);
		got = media_device_read(src, pcm);
	}
	ck_assert_int_eq(got, N);
	media_device_free(src); /* stops it too */
}
END_TEST

static Suite *
device_suite(void)
{
	Suite *s = suite_create("device");
	TCase *tc = tcase_create("devices");
	tcase_add_test(tc, test_tone);
	tcase_add_test(tc, test_null);
	tcase_add_test(tc, test_file_round_trip);
	tcase_add_test(tc, test_file_resample);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_portaudio);
	tcase_add_test(tc, test_portaudio_alsa_null);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return floe_check_run(device_suite());
}
