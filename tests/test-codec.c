/* Opus and G.711 round trips, G.711 sample values from the standard's
 * segment tables, FEC and concealment, Opus encoder settings. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/codec.h"
#include "media/device.h"
#include "media/tone-detect.h"
#include "check-run.h"

#define RATE MEDIA_SAMPLE_RATE
#define N MEDIA_FRAME_SAMPLES

/* ----------------------------------------------------------------- G.711 */

/* G.711 table 2a: mu-law decoder outputs at the start of each positive
 * segment, in the standard's 14-bit scale (our 16-bit output / 4). */
START_TEST(test_ulaw_segment_table)
{
	static const int start[8] = { 0, 33, 99, 231, 495, 1023, 2079, 4191 };
	for (int s = 0; s < 8; s++) {
		uint8_t code = (uint8_t)~(s << 4);
		ck_assert_int_eq(media_g711_ulaw_decode(code), start[s] * 4);
		ck_assert_int_eq(media_g711_ulaw_decode(code & 0x7f), -start[s] * 4);
	}
	/* Steps inside segments: 2, 4, 8 ... 256 in 14-bit units. */
	for (int s = 0; s < 8; s++) {
		int step = 2 << s;
		uint8_t code = (uint8_t)~((s << 4) | 1);
		ck_assert_int_eq(media_g711_ulaw_decode(code), (start[s] + step) * 4);
	}
	ck_assert_int_eq(media_g711_ulaw_decode(0x80), 8031 * 4);
	ck_assert_int_eq(media_g711_ulaw_decode(0x00), -8031 * 4);
	ck_assert_int_eq(media_g711_ulaw_decode(0x7f), 0);
	ck_assert_uint_eq(media_g711_ulaw_encode(0), 0xff);
	ck_assert_uint_eq(media_g711_ulaw_encode(32767), 0x80);
	ck_assert_uint_eq(media_g711_ulaw_encode(-32768), 0x00);
	/* Decision values of segment 0 lie at odd 14-bit values (1, 3, ...):
	 * 16-bit 4 and 12 are the first two. */
	ck_assert_uint_eq(media_g711_ulaw_encode(3), 0xff);
	ck_assert_uint_eq(media_g711_ulaw_encode(4), 0xfe);
	ck_assert_uint_eq(media_g711_ulaw_encode(11), 0xfe);
	ck_assert_uint_eq(media_g711_ulaw_encode(12), 0xfd);
}
END_TEST

/* G.711 table 1a: A-law decoder outputs at the start of each positive
 * segment, in the standard's 13-bit scale (our output / 8). */
START_TEST(test_alaw_segment_table)
{
	static const int start[8] = { 1, 33, 66, 132, 264, 528, 1056, 2112 };
	for (int s = 0; s < 8; s++) {
		uint8_t code = (uint8_t)((0x80 | (s << 4)) ^ 0x55);
		ck_assert_int_eq(media_g711_alaw_decode(code), start[s] * 8);
		ck_assert_int_eq(media_g711_alaw_decode(code ^ 0x80), -start[s] * 8);
	}
	ck_assert_int_eq(media_g711_alaw_decode(0xd5), 8);
	ck_assert_int_eq(media_g711_alaw_decode(0x55), -8);
	ck_assert_int_eq(media_g711_alaw_decode(0xaa), 4032 * 8);
	ck_assert_int_eq(media_g711_alaw_decode(0x2a), -4032 * 8);
	ck_assert_uint_eq(media_g711_alaw_encode(0), 0xd5);
	ck_assert_uint_eq(media_g711_alaw_encode(-1), 0x55);
	ck_assert_uint_eq(media_g711_alaw_encode(32767), 0xaa);
	ck_assert_uint_eq(media_g711_alaw_encode(-32768), 0x2a);
}
END_TEST

START_TEST(test_g711_codes_round_trip)
{
	for (int c = 0; c < 256; c++) {
		ck_assert_uint_eq(media_g711_alaw_encode(media_g711_alaw_decode((uint8_t)c)), c);
		if (c != 0x7f) /* mu-law's negative zero decodes to 0 = 0xff */
			ck_assert_uint_eq(media_g711_ulaw_encode(media_g711_ulaw_decode((uint8_t)c)), c);
	}
}
END_TEST

START_TEST(test_g711_quantisation_error)
{
	int prev_u = -40000, prev_a = -40000;
	for (int x = -32768; x <= 32767; x++) {
		int u = media_g711_ulaw_decode(media_g711_ulaw_encode((int16_t)x));
		int a = media_g711_alaw_decode(media_g711_alaw_encode((int16_t)x));
		int bound = 16 + abs(x) / 16;
		ck_assert_int_le(abs(u - x), bound);
		ck_assert_int_le(abs(a - x), bound);
		/* Quantisers are monotonic. */
		ck_assert_int_ge(u, prev_u);
		ck_assert_int_ge(a, prev_a);
		prev_u = u;
		prev_a = a;
	}
}
END_TEST

/* -------------------------------------------------------- round trips */

static void
tone_frames(double freq, int n_frames, int16_t (*frames)[N])
{
	media_device *t = media_device_tone_new(freq, 0, -12);
	ck_assert_ptr_nonnull(t);
	for (int i = 0; i < n_frames; i++)
		ck_assert_int_eq(media_device_read(t, frames[i]), N);
	media_device_free(t);
}

static void
assert_tone(const int16_t *pcm, double freq)
{
	double r;
	ck_assert_msg(media_tone_present(pcm, N, RATE, freq, 0.8, 300, &r),
	              "%.0f Hz missing (ratio %.3f)", freq, r);
	static const double others[] = { 350, 697, 1633, 2500, 3100 };
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		if (fabs(others[i] - freq) < 200)
			continue;
		r = media_tone_ratio(pcm, N, RATE, others[i]);
		ck_assert_msg(r < 0.05, "%.0f Hz found (ratio %.3f) in a %.0f Hz tone",
		              others[i], r, freq);
	}
}

#define FRAMES 40
#define WARMUP 3

static void
round_trip(media_codec_id id, double freq)
{
	static int16_t in[FRAMES][N];
	int16_t out[N];
	uint8_t pkt[MEDIA_CODEC_MAX_PAYLOAD];
	tone_frames(freq, FRAMES, in);
	media_codec *c = media_codec_new(id);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < FRAMES; i++) {
		int len = media_codec_encode(c, in[i], pkt, sizeof pkt);
		ck_assert_int_gt(len, 2);
		if (id != MEDIA_CODEC_OPUS)
			ck_assert_int_eq(len, 160);
		ck_assert_int_eq(media_codec_decode(c, pkt, (size_t)len, out), N);
		if (i >= WARMUP)
			assert_tone(out, freq);
	}
	media_codec_free(c);
}

START_TEST(test_opus_round_trip)
{
	round_trip(MEDIA_CODEC_OPUS, 440);
	round_trip(MEDIA_CODEC_OPUS, 1000);
	round_trip(MEDIA_CODEC_OPUS, 2000);
}
END_TEST

START_TEST(test_g711_round_trip)
{
	round_trip(MEDIA_CODEC_PCMU, 1000);
	round_trip(MEDIA_CODEC_PCMA, 1000);
	round_trip(MEDIA_CODEC_PCMU, 440);
	round_trip(MEDIA_CODEC_PCMA, 2000);
}
END_TEST

/* Frame 20 is lost; the encoder expects 20 % loss so frame 21 carries its
 * low-bitrate copy, which must bring the tone back. */
START_TEST(test_opus_fec)
{
	static int16_t in[FRAMES][N];
	static uint8_t pkt[FRAMES][MEDIA_CODEC_MAX_PAYLOAD];
	int len[FRAMES];
	int16_t out[N];
	tone_frames(1000, FRAMES, in);
	media_codec *c = media_codec_new(MEDIA_CODEC_OPUS);
	ck_assert_int_eq(media_codec_set_packet_loss(c, 20), 0);
	ck_assert_int_eq(media_codec_set_bitrate(c, 24000), 0);
	for (int i = 0; i < FRAMES; i++) {
		len[i] = media_codec_encode(c, in[i], pkt[i], sizeof pkt[i]);
		ck_assert_int_gt(len[i], 2);
	}
	for (int i = 0; i < FRAMES; i++) {
		bool fec = false;
		if (i == 20) {
			ck_assert_int_eq(media_codec_conceal(c, pkt[21], (size_t)len[21], out, &fec), N);
			ck_assert(fec);
		} else {
			ck_assert_int_eq(media_codec_decode(c, pkt[i], (size_t)len[i], out), N);
		}
		if (i >= WARMUP)
			assert_tone(out, 1000);
	}
	media_codec_free(c);
}
END_TEST

/* Without the next packet: concealment keeps a steady tone going for a
 * frame, then fades. */
static void
plc(media_codec_id id, double min_ratio)
{
	static int16_t in[FRAMES][N];
	int16_t out[N];
	uint8_t pkt[MEDIA_CODEC_MAX_PAYLOAD];
	tone_frames(1000, FRAMES, in);
	media_codec *c = media_codec_new(id);
	for (int i = 0; i < 20; i++) {
		int len = media_codec_encode(c, in[i], pkt, sizeof pkt);
		ck_assert_int_eq(media_codec_decode(c, pkt, (size_t)len, out), N);
	}
	bool fec = true;
	ck_assert_int_eq(media_codec_conceal(c, NULL, 0, out, &fec), N);
	ck_assert(!fec);
	double r;
	ck_assert_msg(media_tone_present(out, N, RATE, 1000, min_ratio, 300, &r),
	              "%s PLC lost the tone (ratio %.3f)", media_codec_name(id), r);
	/* Concealment ends in silence for a long loss (G.711: 60 ms). */
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(media_codec_conceal(c, NULL, 0, out, NULL), N);
	double e = 0;
	for (int i = 0; i < N; i++)
		e += (double)out[i] * out[i];
	ck_assert_msg(sqrt(e / N) < 300, "%s still loud after 220 ms of loss (rms %.0f)",
	              media_codec_name(id), sqrt(e / N));
	/* And decoding picks up again. */
	for (int i = 20; i < FRAMES; i++) {
		int len = media_codec_encode(c, in[i], pkt, sizeof pkt);
		ck_assert_int_eq(media_codec_decode(c, pkt, (size_t)len, out), N);
	}
	assert_tone(out, 1000);
	media_codec_free(c);
}

START_TEST(test_plc)
{
	plc(MEDIA_CODEC_PCMU, 0.8);
	plc(MEDIA_CODEC_PCMA, 0.8);
	plc(MEDIA_CODEC_OPUS, 0.5);
}
END_TEST

START_TEST(test_opus_dtx)
{
	int16_t silence[N] = { 0 };
	uint8_t pkt[MEDIA_CODEC_MAX_PAYLOAD];
	media_codec *c = media_codec_new(MEDIA_CODEC_OPUS);
	int skipped = 0;
	for (int i = 0; i < 50; i++) {
		int len = media_codec_encode(c, silence, pkt, sizeof pkt);
		ck_assert_int_ge(len, 0);
		skipped += len == 0;
	}
	ck_assert_int_gt(skipped, 30);
	ck_assert_int_eq(media_codec_set_dtx(c, false), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_gt(media_codec_encode(c, silence, pkt, sizeof pkt), 0);
	media_codec_free(c);
}
END_TEST

/* ----------------------------------------------------- encoder settings */

/* The audio band of an Opus packet, from its TOC byte (RFC 6716 3.1). */
static media_opus_bandwidth
toc_bandwidth(uint8_t toc)
{
	static const media_opus_bandwidth celt[4] = {
		MEDIA_OPUS_BANDWIDTH_NARROW, MEDIA_OPUS_BANDWIDTH_WIDE,
		MEDIA_OPUS_BANDWIDTH_SUPERWIDE, MEDIA_OPUS_BANDWIDTH_FULL,
	};
	int config = toc >> 3;
	if (config < 12) /* SILK only: NB, MB, WB, four configurations each */
		return (media_opus_bandwidth)(config / 4);
	if (config < 16) /* hybrid: SWB, FB, two each */
		return config < 14 ? MEDIA_OPUS_BANDWIDTH_SUPERWIDE : MEDIA_OPUS_BANDWIDTH_FULL;
	return celt[(config - 16) / 4]; /* CELT only: no MB */
}

/* The desktop's profile is libopus at its best; the headless one is
 * cheaper (CELT alone) and sends a continuous stream. */
START_TEST(test_opus_profiles)
{
	media_opus_settings q = media_opus_profile_settings(MEDIA_OPUS_PROFILE_QUALITY);
	media_opus_settings l = media_opus_profile_settings(MEDIA_OPUS_PROFILE_LIGHT);
	ck_assert_int_eq(q.complexity, 10);
	ck_assert_int_eq(q.max_bandwidth, MEDIA_OPUS_BANDWIDTH_FULL);
	ck_assert(q.dtx);
	ck_assert(!q.low_delay);
	ck_assert_int_lt(l.complexity, q.complexity);
	ck_assert(l.low_delay);
	ck_assert(!l.dtx);
}
END_TEST

/* A steady 1 kHz tone at the light profile: every frame is sent (no DTX
 * frame, though below complexity 7 libopus would take the tone for
 * silence), each is CELT alone, and the tone comes through. The mode is
 * fixed once a frame is out. */
START_TEST(test_opus_light_tone)
{
	enum { TONE_FRAMES = 150 };
	static int16_t in[TONE_FRAMES][N];
	int16_t out[N];
	uint8_t pkt[MEDIA_CODEC_MAX_PAYLOAD];
	tone_frames(1000, TONE_FRAMES, in);
	media_codec *c = media_codec_new(MEDIA_CODEC_OPUS);
	media_opus_settings light = media_opus_profile_settings(MEDIA_OPUS_PROFILE_LIGHT);
	ck_assert_int_eq(media_codec_set_opus(c, &light), 0);
	for (int i = 0; i < TONE_FRAMES; i++) {
		int len = media_codec_encode(c, in[i], pkt, sizeof pkt);
		ck_assert_msg(len > 2, "frame %d not sent (%d)", i, len);
		ck_assert_int_ge(pkt[0] >> 3, 16); /* TOC config 16..31: CELT only */
		ck_assert_int_le(toc_bandwidth(pkt[0]), light.max_bandwidth);
		ck_assert_int_eq(media_codec_decode(c, pkt, (size_t)len, out), N);
		if (i >= WARMUP)
			assert_tone(out, 1000);
	}
	light.low_delay = false;
	ck_assert_int_eq(media_codec_set_opus(c, &light), -EBUSY);
	media_codec_free(c);

	/* DTX is the setting's, not the profile's: on, silence goes unsent. */
	c = media_codec_new(MEDIA_CODEC_OPUS);
	light.dtx = true;
	ck_assert_int_eq(media_codec_set_opus(c, &light), 0);
	int16_t silence[N] = { 0 };
	int skipped = 0;
	for (int i = 0; i < 50; i++)
		skipped += media_codec_encode(c, silence, pkt, sizeof pkt) == 0;
	ck_assert_int_gt(skipped, 30);
	media_codec_free(c);
}
END_TEST

/* The band limit is real: a 9 kHz tone passes at full band and is cut
 * at wideband (8 kHz). */
START_TEST(test_opus_bandwidth_limit)
{
	static int16_t in[FRAMES][N];
	int16_t out[N];
	uint8_t pkt[MEDIA_CODEC_MAX_PAYLOAD];
	tone_frames(9000, FRAMES, in);
	for (int wide = 0; wide < 2; wide++) {
		media_codec *c = media_codec_new(MEDIA_CODEC_OPUS);
		media_opus_settings s = media_opus_profile_settings(MEDIA_OPUS_PROFILE_QUALITY);
		s.max_bandwidth = wide ? MEDIA_OPUS_BANDWIDTH_WIDE : MEDIA_OPUS_BANDWIDTH_FULL;
		s.dtx = false;
		ck_assert_int_eq(media_codec_set_opus(c, &s), 0);
		double ratio = 0;
		for (int i = 0; i < FRAMES; i++) {
			int len = media_codec_encode(c, in[i], pkt, sizeof pkt);
			ck_assert_int_gt(len, 0);
			ck_assert_int_eq(media_codec_decode(c, pkt, (size_t)len, out), N);
			ratio = media_tone_ratio(out, N, RATE, 9000);
		}
		if (wide)
			ck_assert_msg(ratio < 0.05, "9 kHz got through wideband (ratio %.3f)", ratio);
		else
			ck_assert_msg(ratio > 0.5, "9 kHz lost at full band (ratio %.3f)", ratio);
		media_codec_free(c);
	}
}
END_TEST

/* Out-of-range settings are refused whole: nothing of them is applied. */
START_TEST(test_opus_settings_rejected)
{
	media_codec *o = media_codec_new(MEDIA_CODEC_OPUS);
	media_codec *u = media_codec_new(MEDIA_CODEC_PCMU);
	media_opus_settings s = media_opus_profile_settings(MEDIA_OPUS_PROFILE_LIGHT);
	ck_assert_int_eq(media_codec_set_opus(o, &s), 0); /* DTX off */
	s.dtx = true;
	s.complexity = 11;
	ck_assert_int_eq(media_codec_set_opus(o, &s), -EINVAL);
	s.complexity = -1;
	ck_assert_int_eq(media_codec_set_opus(o, &s), -EINVAL);
	s.complexity = 0;
	s.max_bandwidth = (media_opus_bandwidth)(MEDIA_OPUS_BANDWIDTH_FULL + 1);
	ck_assert_int_eq(media_codec_set_opus(o, &s), -EINVAL);
	ck_assert_int_eq(media_codec_set_opus(u, &s), -EINVAL);
	ck_assert_int_eq(media_codec_set_opus(o, NULL), -EINVAL);
	ck_assert_int_eq(media_codec_set_opus(NULL, &s), -EINVAL);
	/* The refused DTX never took hold: silence is still sent. */
	int16_t silence[N] = { 0 };
	uint8_t pkt[MEDIA_CODEC_MAX_PAYLOAD];
	for (int i = 0; i < 30; i++)
		ck_assert_int_gt(media_codec_encode(o, silence, pkt, sizeof pkt), 0);
	/* G.711 has no such settings and takes valid ones as a no-op. */
	s.max_bandwidth = MEDIA_OPUS_BANDWIDTH_NARROW;
	ck_assert_int_eq(media_codec_set_opus(u, &s), 0);
	media_codec_free(o);
	media_codec_free(u);
}
END_TEST

START_TEST(test_bad_input)
{
	int16_t pcm[N] = { 0 };
	uint8_t pkt[MEDIA_CODEC_MAX_PAYLOAD] = { 0 };
	media_codec *o = media_codec_new(MEDIA_CODEC_OPUS);
	media_codec *u = media_codec_new(MEDIA_CODEC_PCMU);
	ck_assert_int_eq(media_codec_decode(u, pkt, 159, pcm), -EBADMSG);
	ck_assert_int_eq(media_codec_decode(u, pkt, 161, pcm), -EBADMSG);
	ck_assert_int_eq(media_codec_decode(o, pkt, 0, pcm), -EBADMSG);
	/* TOC config 3 = SILK 60 ms: not one 20 ms frame. */
	pkt[0] = 3 << 3;
	ck_assert_int_eq(media_codec_decode(o, pkt, 10, pcm), -EBADMSG);
	/* Code 3 frame count byte missing. */
	pkt[0] = (1 << 3) | 3;
	ck_assert_int_eq(media_codec_decode(o, pkt, 1, pcm), -EBADMSG);
	ck_assert_int_eq(media_codec_encode(u, pcm, pkt, 159), -ENOBUFS);
	ck_assert_int_eq(media_codec_set_bitrate(o, 1000), -EINVAL);
	ck_assert_int_eq(media_codec_set_packet_loss(o, 101), -EINVAL);
	ck_assert_int_eq(media_codec_set_bitrate(o, 16000), 0);
	ck_assert_int_eq(media_codec_clock_rate(MEDIA_CODEC_PCMA), 8000);
	ck_assert_int_eq(media_codec_frame_ticks(MEDIA_CODEC_OPUS), 960);
	ck_assert_int_eq(media_codec_static_pt(MEDIA_CODEC_PCMA), 8);
	ck_assert_int_eq(media_codec_static_pt(MEDIA_CODEC_OPUS), -1);
	media_codec_free(o);
	media_codec_free(u);
}
END_TEST

/* Random bytes of every length: a frame or -EBADMSG, never a crash (the
 * sanitizers watch), and the decoder still works afterwards. */
START_TEST(test_random_payloads)
{
	static uint8_t junk[MEDIA_CODEC_MAX_PAYLOAD + 100];
	int16_t pcm[N];
	uint32_t seed = 7;
	media_codec_id ids[3] = { MEDIA_CODEC_OPUS, MEDIA_CODEC_PCMU, MEDIA_CODEC_PCMA };
	for (int k = 0; k < 3; k++) {
		media_codec *c = media_codec_new(ids[k]);
		for (size_t len = 0; len <= sizeof junk; len += 1 + len / 8) {
			for (size_t i = 0; i < len; i++) {
				seed = seed * 1664525u + 1013904223u;
				junk[i] = (uint8_t)(seed >> 24);
			}
			int r = media_codec_decode(c, junk, len, pcm);
			ck_assert(r == N || r == -EBADMSG);
			r = media_codec_conceal(c, junk, len, pcm, NULL);
			ck_assert_int_eq(r, N);
		}
		media_codec_free(c);
	}
	round_trip(MEDIA_CODEC_OPUS, 1000);
}
END_TEST

static Suite *
codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("g711");
	tcase_add_test(tc, test_ulaw_segment_table);
	tcase_add_test(tc, test_alaw_segment_table);
	tcase_add_test(tc, test_g711_codes_round_trip);
	tcase_add_test(tc, test_g711_quantisation_error);
	suite_add_tcase(s, tc);
	tc = tcase_create("round-trip");
	tcase_add_test(tc, test_opus_round_trip);
	tcase_add_test(tc, test_g711_round_trip);
	tcase_add_test(tc, test_opus_fec);
	tcase_add_test(tc, test_plc);
	tcase_add_test(tc, test_opus_dtx);
	tcase_add_test(tc, test_opus_profiles);
	tcase_add_test(tc, test_opus_light_tone);
	tcase_add_test(tc, test_opus_bandwidth_limit);
	tcase_add_test(tc, test_opus_settings_rejected);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_random_payloads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return floe_check_run(codec_suite());
}
