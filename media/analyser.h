/* A sink that listens to what the peer sent: how much of it was signal,
 * and which tone it carried. It passes every frame on to another sink (a
 * recording) when given one. The media thread writes; any thread reads the
 * figures. */
#ifndef FLOE_MEDIA_ANALYSER_H
#define FLOE_MEDIA_ANALYSER_H

#include <stdint.h>

#include "media/device.h"

typedef struct {
	uint64_t frames;        /* written to the sink */
	uint64_t signal_frames; /* louder than silence or comfort noise */
	uint64_t tone_frames;   /* carrying the tone below */
	double tone_hz;         /* the expected tone, or the one heard most; 0 none */
	double peak_dbfs;       /* loudest frame's RMS level */
} media_analyser_stats;

/* expect_hz > 0 listens for that frequency only; 0 finds the dominant tone
 * (100 Hz to 4 kHz, to 5 Hz). next may be NULL; it stays the caller's and
 * must outlive the analyser. */
media_device *media_analyser_new(media_device *next, double expect_hz);

/* d must come from media_analyser_new. */
void media_analyser_get(media_device *d, media_analyser_stats *out);

#endif
