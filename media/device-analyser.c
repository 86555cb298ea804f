#include "media/analyser.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/device-private.h"
#include "media/tone-detect.h"

#define RATE 48000
#define MIN_HZ 100
#define MAX_HZ 4000
#define COARSE_STEP 50
#define FINE_STEP 5
#define BINS ((MAX_HZ - MIN_HZ) / FINE_STEP + 1)
/* A frame "has signal" above -50 dBFS RMS (comfort noise sits far below),
 * and "is a tone" when most of its energy lies at one frequency. */
#define SIGNAL_RMS 103.6
#define TONE_RATIO 0.5

typedef struct {
	media_device base;
	media_device *next;
	double expect_hz;
	pthread_mutex_t lock; /* guards the figures below */
	media_analyser_stats st;
	uint32_t votes[BINS]; /* tonal frames per frequency, when searching */
} analyser;

/* The strongest frequency of the frame: a coarse sweep, then a fine one
 * around its best bin. Returns the frequency and its energy ratio. */
static double
dominant(const int16_t *pcm, double *ratio)
{
	double best_hz = 0, best = 0, coarse_hz;

	for (int hz = MIN_HZ; hz <= MAX_HZ; hz += COARSE_STEP) {
		double r = media_tone_ratio(pcm, MEDIA_FRAME_SAMPLES, RATE, hz);
		if (r > best)
			best = r, best_hz = hz;
	}
	coarse_hz = best_hz;
	for (double hz = coarse_hz - COARSE_STEP / 2; hz <= coarse_hz + COARSE_STEP / 2; hz += FINE_STEP) {
		double r;
		if (hz < MIN_HZ || hz > MAX_HZ)
			continue;
		r = media_tone_ratio(pcm, MEDIA_FRAME_SAMPLES, RATE, hz);
		if (r > best)
			best = r, best_hz = hz;
	}
	*ratio = best;
	return best_hz;
}

static int
analyser_write(media_device *d, const int16_t *pcm)
{
	analyser *a = (analyser *)d;
	double level = media_rms(pcm, MEDIA_FRAME_SAMPLES), ratio = 0, hz = a->expect_hz;
	bool signal = level >= SIGNAL_RMS;

	if (signal) {
		if (a->expect_hz > 0)
			ratio = media_tone_ratio(pcm, MEDIA_FRAME_SAMPLES, RATE, a->expect_hz);
		else
			hz = dominant(pcm, &ratio);
	}

	pthread_mutex_lock(&a->lock);
	a->st.frames++;
	if (signal) {
		double dbfs = 20 * log10(level / 32768.0);
		a->st.signal_frames++;
		if (a->st.signal_frames == 1 || dbfs > a->st.peak_dbfs)
			a->st.peak_dbfs = dbfs;
		if (ratio >= TONE_RATIO) {
			if (a->expect_hz > 0) {
				a->st.tone_frames++;
			} else {
				int bin = (int)lround((hz - MIN_HZ) / FINE_STEP);
				if (bin >= 0 && bin < BINS)
					a->votes[bin]++;
			}
		}
	}
	pthread_mutex_unlock(&a->lock);

	return a->next != NULL ? media_device_write(a->next, pcm) : MEDIA_FRAME_SAMPLES;
}

static int
analyser_start(media_device *d)
{
	analyser *a = (analyser *)d;

	return a->next != NULL ? media_device_start(a->next) : 0;
}

static void
analyser_stop(media_device *d)
{
	analyser *a = (analyser *)d;

	if (a->next != NULL)
		media_device_stop(a->next);
}

static void
analyser_free(media_device *d)
{
	analyser *a = (analyser *)d;

	pthread_mutex_destroy(&a->lock);
	free(a);
}

static const media_device_ops analyser_ops = {
	.start = analyser_start,
	.stop = analyser_stop,
	.write = analyser_write,
	.free = analyser_free,
};

media_device *
media_analyser_new(media_device *next, double expect_hz)
{
	analyser *a;

	if (expect_hz < 0 || expect_hz > RATE / 2 || (next != NULL && media_device_direction(next) != MEDIA_DEVICE_SINK))
		return NULL;
	a = calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	a->base.ops = &analyser_ops;
	a->base.dir = MEDIA_DEVICE_SINK;
	snprintf(a->base.description, sizeof a->base.description, "analyser (%s)%s%s",
	         expect_hz > 0 ? "listening for one tone" : "finding the tone",
	         next != NULL ? " -> " : "", next != NULL ? media_device_describe(next) : "");
	a->next = next;
	a->expect_hz = expect_hz;
	pthread_mutex_init(&a->lock, NULL);
	return &a->base;
}

void
media_analyser_get(media_device *d, media_analyser_stats *out)
{
	analyser *a = (analyser *)d;

	pthread_mutex_lock(&a->lock);
	*out = a->st;
	if (a->expect_hz > 0) {
		out->tone_hz = a->expect_hz;
	} else {
		uint32_t best = 0;
		for (int i = 0; i < BINS; i++)
			if (a->votes[i] > best)
				best = a->votes[i], out->tone_hz = MIN_HZ + i * FINE_STEP;
		out->tone_frames = best;
	}
	pthread_mutex_unlock(&a->lock);
}
