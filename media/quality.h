/* An estimated MOS from one-way delay and packet loss: ITU-T G.107's
 * E-model, simplified to the terms a call can measure.
 *
 *   R  = 93.2 - Id - Ie_eff
 *     93.2 is G.107's R for default settings with no impairments
 *     (Ro - Is with the standard defaults; echo, noise, quantisation and
 *     advantage factor left at their defaults).
 *   Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)
 *     d is the one-way mouth-to-ear delay in ms, H the unit step: the usual
 *     closed-form fit of G.107's Idd and Idte (Cole & Rosenbluth, 2001).
 *   Ie_eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)
 *     G.107 (7-29) with Ppl the loss in percent and BurstR = 1 (random
 *     loss). Ie and Bpl per codec: G.711 with PLC Ie 0, Bpl 25.1
 *     (G.113 Appendix I); Opus, absent from G.113, is given Ie 0 and Bpl 30
 *     here as an assumption for its FEC-backed concealment.
 *   MOS = 1                                        R <= 0
 *         1 + 0.035 R + 7e-6 R (R - 60) (100 - R)  0 < R < 100
 *         4.5                                      R >= 100   (G.107 B-4)
 */
#ifndef FLOE_MEDIA_QUALITY_H
#define FLOE_MEDIA_QUALITY_H

#include "media/codec.h"

/* R factor for a one-way delay (ms, >= 0) and loss (percent, 0..100). */
double media_quality_r(media_codec_id codec, double delay_ms, double loss_percent);
/* MOS from an R factor. */
double media_quality_mos_from_r(double r);
/* Both in one. */
double media_quality_mos(media_codec_id codec, double delay_ms, double loss_percent);

#endif
