/* E-model MOS estimate; the formula is in quality.h. */
#include "media/quality.h"

static void
codec_factors(media_codec_id codec, double *ie, double *bpl)
{
	switch (codec) {
	case MEDIA_CODEC_PCMU:
	case MEDIA_CODEC_PCMA:
		*ie = 0;
		*bpl = 25.1;
		return;
	case MEDIA_CODEC_OPUS:
		break;
	}
	*ie = 0;
	*bpl = 30;
}

double
media_quality_r(media_codec_id codec, double delay_ms, double loss_percent)
{
	if (!(delay_ms >= 0)) /* also catches NaN */
		delay_ms = 0;
	if (!(loss_percent >= 0))
		loss_percent = 0;
	if (loss_percent > 100)
		loss_percent = 100;
	double id = 0.024 * delay_ms;
	if (delay_ms > 177.3)
		id += 0.11 * (delay_ms - 177.3);
	double ie, bpl;
	codec_factors(codec, &ie, &bpl);
	double ie_eff = ie + (95 - ie) * loss_percent / (loss_percent + bpl);
	return 93.2 - id - ie_eff;
}

double
media_quality_mos_from_r(double r)
{
	if (r <= 0)
		return 1;
	if (r >= 100)
		return 4.5;
	return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
}

double
media_quality_mos(media_codec_id codec, double delay_ms, double loss_percent)
{
	return media_quality_mos_from_r(media_quality_r(codec, delay_ms, loss_percent));
}
