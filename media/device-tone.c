/* Tone generator source: one or two sines; see device.h. */
#include "media/device-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
	media_device base;
	double step[2];  /* phase increment per sample, radians */
	double phase[2];
	double amplitude;
	int n_tones;
} media_device_tone;

static int
tone_read(media_device *d, int16_t *pcm)
{
	media_device_tone *t = (media_device_tone *)d;
	for (size_t i = 0; i < MEDIA_FRAME_SAMPLES; i++) {
		double v = 0;
		for (int k = 0; k < t->n_tones; k++) {
			v += sin(t->phase[k]);
			t->phase[k] += t->step[k];
		}
		v *= t->amplitude;
		if (v > 32767)
			v = 32767;
		else if (v < -32768)
			v = -32768;
		pcm[i] = (int16_t)lrint(v);
	}
	/* Keep the phases small so precision does not drift over hours. */
	for (int k = 0; k < t->n_tones; k++)
		t->phase[k] = fmod(t->phase[k], 2 * M_PI);
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
