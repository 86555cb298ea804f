/* Sample-rate conversion: a thin wrapper over speexdsp's resampler (mono,
 * 16-bit). Floe runs at 48 kHz inside; files and G.711 are converted here. */
#ifndef FLOE_MEDIA_RESAMPLER_H
#define FLOE_MEDIA_RESAMPLER_H

#include <stddef.h>
#include <stdint.h>

typedef struct media_resampler media_resampler;

/* quality 0 (fast) .. 10 (best); 5 is a sound default for voice.
 * Returns NULL on bad rates or allocation failure. */
media_resampler *media_resampler_new(unsigned in_rate, unsigned out_rate, int quality);
void media_resampler_free(media_resampler *r);

/* Converts up to *in_len samples from in into at most *out_len samples of
 * out. On return *in_len is the number consumed and *out_len the number
 * written. Returns 0 or -EINVAL. */
int media_resampler_process(media_resampler *r, const int16_t *in, size_t *in_len,
                            int16_t *out, size_t *out_len);

/* Samples of delay the filter adds, at the input rate. */
unsigned media_resampler_latency(const media_resampler *r);

#endif
