/* A voiced, speech-like test signal for the media benchmarks: a pitch that
 * glides between 100 and 220 Hz with its first eight harmonics, a
 * syllable-rate (4 Hz) envelope and a little noise. The encoder works on it
 * as on speech: not a pure tone it codes almost for free, nor silence that
 * DTX would skip. Deterministic. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Writes n samples at 48 kHz, mono, 16-bit. */
void bench_voice_signal (int16_t *pcm, size_t n);
