/* Goertzel tone detection, and the E-model MOS estimate. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "media/quality.h"
#include "media/tone-detect.h"
#include "check-run.h"

#define LEN 960

static void
sines(int16_t *x, size_t n, unsigned rate, double f1, double f2, double amp)
{
	for (size_t i = 0; i < n; i++) {
		double v = sin(2 * M_PI * f1 * i / rate);
		if (f2 > 0)
			v += sin(2 * M_PI * f2 * i / rate);
		x[i] = (int16_t)lrint(amp * v);
	}
}

START_TEST(test_single_tone)
{
	int16_t x[LEN];
	sines(x, LEN, 48000, 1000, 0, 10000);
	double r;
	ck_assert(media_tone_present(x, LEN, 48000, 1000, 0.9, 100, &r));
	ck_assert(r > 0.95 && r < 1.05);
	/* Off-bin frequencies work too (Goertzel at any frequency). */
	sines(x, LEN, 48000, 1234.5, 0, 10000);
	ck_assert(media_tone_ratio(x, LEN, 48000, 1234.5) > 0.95);
	static const double others[] = { 500, 1100, 1500, 3000, 8000 };
	for (size_t i = 0; i < 5; i++) {
		ck_assert(media_tone_ratio(x, LEN, 48000, others[i]) < 0.05);
		ck_assert(!media_tone_present(x, LEN, 48000, others[i], 0.5, 100, NULL));
	}
}
END_TEST

START_TEST(test_dual_tone_8k)
{
	/* DTMF '1' (697 + 1209 Hz) at 8 kHz, one 20 ms block. */
	int16_t x[160];
	sines(x, 160, 8000, 697, 1209, 6000);
	double r697 = media_tone_ratio(x, 160, 8000, 697);
	double r1209 = media_tone_ratio(x, 160, 8000, 1209);
	ck_assert(r697 > 0.4 && r697 < 0.6);
	ck_assert(r1209 > 0.4 && r1209 < 0.6);
	ck_assert(media_tone_ratio(x, 160, 8000, 941) < 0.1);
	ck_assert(media_tone_ratio(x, 160, 8000, 1477) < 0.1);
}
END_TEST

START_TEST(test_silence_noise_level)
{
	int16_t x[LEN] = { 0 };
	ck_assert(media_tone_ratio(x, LEN, 48000, 1000) == 0);
	ck_assert(!media_tone_present(x, LEN, 48000, 1000, 0.1, 0, NULL));
	/* White noise spreads over ~480 bins: no frequency stands out. */
	uint32_t seed = 42;
	for (size_t i = 0; i < LEN; i++) {
		seed = seed * 1664525u + 1013904223u;
		x[i] = (int16_t)(seed >> 16);
	}
	for (double f = 200; f < 20000; f += 950)
		ck_assert(media_tone_ratio(x, LEN, 48000, f) < 0.05);
	/* A faint tone is the tone, but under the level asked for. */
	sines(x, LEN, 48000, 1000, 0, 30);
	double r;
	ck_assert(!media_tone_present(x, LEN, 48000, 1000, 0.9, 100, &r));
	ck_assert(r > 0.9);
	ck_assert(media_tone_present(x, LEN, 48000, 1000, 0.9, 10, NULL));
	ck_assert(media_tone_ratio(NULL, LEN, 48000, 1000) == 0);
	ck_assert(media_tone_ratio(x, 0, 48000, 1000) == 0);
}
END_TEST

START_TEST(test_emodel)
{
	/* No impairment: G.107's default R of 93.2, MOS about 4.41. */
	ck_assert_double_eq_tol(media_quality_r(MEDIA_CODEC_PCMU, 0, 0), 93.2, 1e-9);
	ck_assert_double_eq_tol(media_quality_mos(MEDIA_CODEC_PCMU, 0, 0), 4.409, 0.001);
	/* Id: 0.024 d, plus 0.11 (d - 177.3) beyond 177.3 ms. */
	ck_assert_double_eq_tol(media_quality_r(MEDIA_CODEC_PCMU, 100, 0), 93.2 - 2.4, 1e-9);
	ck_assert_double_eq_tol(media_quality_r(MEDIA_CODEC_PCMU, 300, 0),
	                        93.2 - 7.2 - 0.11 * 122.7, 1e-9);
	/* Ie_eff for G.711 with PLC: 95 Ppl / (Ppl + 25.1). */
	ck_assert_double_eq_tol(media_quality_r(MEDIA_CODEC_PCMA, 0, 10),
	                        93.2 - 950.0 / 35.1, 1e-9);
	ck_assert_double_eq_tol(media_quality_r(MEDIA_CODEC_OPUS, 0, 10), 93.2 - 950.0 / 40, 1e-9);
	/* G.107 B-4 at its ends and one point inside. */
	ck_assert_double_eq(media_quality_mos_from_r(-5), 1);
	ck_assert_double_eq(media_quality_mos_from_r(100), 4.5);
	ck_assert_double_eq_tol(media_quality_mos_from_r(50), 2.575, 1e-9);
	/* Worse with more delay and more loss; garbage in stays in range. */
	double prev = 5;
	for (double loss = 0; loss <= 100; loss += 5) {
		double m = media_quality_mos(MEDIA_CODEC_OPUS, 150, loss);
		ck_assert(m < prev && m >= 1);
		prev = m;
	}
	ck_assert(media_quality_mos(MEDIA_CODEC_OPUS, 400, 0) <
	          media_quality_mos(MEDIA_CODEC_OPUS, 200, 0));
	double m = media_quality_mos(MEDIA_CODEC_OPUS, NAN, -3);
	ck_assert(m > 4.4 && m < 4.42);
}
END_TEST

static Suite *
tone_suite(void)
{
	Suite *s = suite_create("tone-detect");
	TCase *tc = tcase_create("goertzel");
	tcase_add_test(tc, test_single_tone);
	tcase_add_test(tc, test_dual_tone_8k);
	tcase_add_test(tc, test_silence_noise_level);
	suite_add_tcase(s, tc);
	tc = tcase_create("quality");
	tcase_add_test(tc, test_emodel);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return floe_check_run(tone_suite());
}
