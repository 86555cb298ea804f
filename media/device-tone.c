/* Tone generator source: one or two sines; see device.h. */
#include "media/device-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
	media_device base;
	double step[2];  /* phase increment per sample, radians */
	double phase[2]; /* at the start of the next frame */
	double amplitude;
	int n_tones;
} media_device_tone;

/* A sine by rotation: a few sin/cos calls per tone per frame set the
 * phasors exactly, then each sample costs four multiplications instead of
 * a sin() (a headless agent plays a tone in each of its calls). LANES
 * phasors, each a sample apart and turning by LANES steps, keep the
 * multiplications independent of one another; over one frame a rotation
 * drifts by far less than one step of 16-bit output. */
#define LANES 4

static int
tone_read(media_device *d, int16_t *pcm)
{
	media_device_tone *t = (media_device_tone *)d;
	double acc[MEDIA_FRAME_SAMPLES] = { 0 };
	for (int k = 0; k < t->n_tones; k++) {
		double c[LANES], s[LANES];
		for (int j = 0; j < LANES; j++) {
			c[j] = cos(t->phase[k] + j * t->step[k]);
			s[j] = sin(t->phase[k] + j * t->step[k]);
		}
		double dc = cos(LANES * t->step[k]), ds = sin(LANES * t->step[k]);
		for (size_t i = 0; i < MEDIA_FRAME_SAMPLES; i += LANES) {
			for (int j = 0; j < LANES; j++) {
				acc[i + (size_t)j] += s[j];
				double c2 = c[j] * dc - s[j] * ds;
				s[j] = s[j] * dc + c[j] * ds;
				c[j] = c2;
			}
		}
		/* Keep the phases small so precision does not drift over hours. */
		t->phase[k] = fmod(t->phase[k] + MEDIA_FRAME_SAMPLES * t->step[k], 2 * M_PI);
	}
	for (size_t i = 0; i < MEDIA_FRAME_SAMPLES; i++) {
		double v = acc[i] * t->amplitude;
		if (v > 32767)
			v = 32767;
		else if (v < -32768)
			v = -32768;
		/* Rounded by hand: lrint() is a library call per sample. */
		pcm[i] = (int16_t)(v >= 0 ? v + 0.5 : v - 0.5);
	}
	return MEDIA_FRAME_SAMPLES;
}

static void
tone_free(media_device *d)
{
	free(d);
}

static const media_device_ops tone_ops = {
	.read = tone_read,
	.free = tone_free,
};

media_device *
media_device_tone_new(double freq1_hz, double freq2_hz, double level_dbfs)
{
	double nyquist = MEDIA_SAMPLE_RATE / 2.0;
	if (!(freq1_hz > 0 && freq1_hz < nyquist) ||
	    !(freq2_hz >= 0 && freq2_hz < nyquist) || !(level_dbfs <= 0))
		return NULL;
	media_device_tone *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->base.ops = &tone_ops;
	t->base.dir = MEDIA_DEVICE_SOURCE;
	t->n_tones = freq2_hz > 0 ? 2 : 1;
	t->step[0] = 2 * M_PI * freq1_hz / MEDIA_SAMPLE_RATE;
	t->step[1] = 2 * M_PI * freq2_hz / MEDIA_SAMPLE_RATE;
	t->amplitude = 32767.0 * pow(10.0, level_dbfs / 20.0);
	snprintf(t->base.description, sizeof t->base.description,
	         "tone %.1f+%.1f Hz at %.1f dBFS", freq1_hz, freq2_hz, level_dbfs);
	return &t->base;
}
