/* Is a frequency present in a block of samples? A Goertzel filter tuned to
 * one frequency, its output compared with the block's total energy. */
#ifndef FLOE_MEDIA_TONE_DETECT_H
#define FLOE_MEDIA_TONE_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The share of the block's energy that lies at freq_hz, in [0, 1] (a little
 * above 1 is possible through leakage on short blocks). A pure sine at
 * freq_hz gives about 1; silence gives 0. */
double media_tone_ratio(const int16_t *pcm, size_t n, unsigned rate, double freq_hz);

/* True when the ratio at freq_hz reaches min_ratio and the block is not
 * near-silent (RMS at least min_rms). *ratio, if not NULL, gets the ratio. */
bool media_tone_present(const int16_t *pcm, size_t n, unsigned rate, double freq_hz,
                        double min_ratio, double min_rms, double *ratio);

/* Root mean square of n samples (0 for n = 0), for levels and silence. */
double media_rms(const int16_t *pcm, size_t n);

#endif
