/* Goertzel tone detection; see tone-detect.h. */
#include "media/tone-detect.h"

#include <math.h>

/* Goertzel's recurrence s[n] = x[n] + 2cos(w) s[n-1] - s[n-2] evaluates one
 * DFT term at any frequency w (not only bin centres). For a sine of
 * amplitude A the squared magnitude is about (A n / 2)^2 while the energy is
 * A^2 n / 2, hence the normalisation 2 |X|^2 / (n E). */
static double
goertzel(const int16_t *pcm, size_t n, unsigned rate, double freq_hz, double *energy_out)
{
	*energy_out = 0;
	if (!pcm || n == 0 || rate == 0)
		return 0;
	double w = 2.0 * M_PI * freq_hz / rate;
	double coeff = 2.0 * cos(w);
	double s1 = 0, s2 = 0, energy = 0;
	for (size_t i = 0; i < n; i++) {
		double x = pcm[i];
		double s0 = x + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
		energy += x * x;
	}
	*energy_out = energy;
	if (energy <= 0)
		return 0;
	double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
	return 2.0 * power / ((double)n * energy);
}

double
media_tone_ratio(const int16_t *pcm, size_t n, unsigned rate, double freq_hz)
{
	double energy;
	return goertzel(pcm, n, rate, freq_hz, &energy);
}

bool
media_tone_present(const int16_t *pcm, size_t n, unsigned rate, double freq_hz,
                   double min_ratio, double min_rms, double *ratio)
{
	double energy;
	double r = goertzel(pcm, n, rate, freq_hz, &energy);
	if (ratio)
		*ratio = r;
	return n > 0 && r >= min_ratio && sqrt(energy / (double)n) >= min_rms;
}

double
media_rms(const int16_t *pcm, size_t n)
{
	/* Integer squares: exact, and the loop vectorises (the level meters
	 * run it on both directions of every call, every frame). */
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (int32_t)pcm[i] * pcm[i];
	return n > 0 ? sqrt((double)sum / (double)n) : 0;
}
