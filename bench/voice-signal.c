#include "bench/voice-signal.h"

#include <math.h>

void
bench_voice_signal (int16_t *pcm, size_t n)
{
  double phase = 0;
  uint32_t noise = 12345;
  for (size_t i = 0; i < n; i++)
    {
      double t = (double) i / 48000.0;
      double pitch = 160 + 60 * sin (2 * M_PI * 0.7 * t);
      phase += 2 * M_PI * pitch / 48000.0;
      double v = 0;
      for (int h = 1; h <= 8; h++)
        v += sin (h * phase) / h;
      double env = 0.55 + 0.45 * sin (2 * M_PI * 4.0 * t);
      noise = noise * 1103515245u + 12345u;
      double hiss = ((double) ((noise >> 16) & 0x7fff) / 16384.0 - 1.0) * 0.05;
      pcm[i] = (int16_t) lrint ((v * env + hiss) * 6000.0);
    }
}
