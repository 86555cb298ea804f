/* Wrapper over speexdsp's resampler; see resampler.h. */
#include "media/resampler.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <speex/speex_resampler.h>

struct media_resampler {
	SpeexResamplerState *st;
};

media_resampler *
media_resampler_new(unsigned in_rate, unsigned out_rate, int quality)
{
	if (in_rate == 0 || out_rate == 0 || quality < 0 || quality > 10)
		return NULL;
	media_resampler *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	int err = 0;
	r->st = speex_resampler_init(1, in_rate, out_rate, quality, &err);
	if (!r->st || err != RESAMPLER_ERR_SUCCESS) {
		if (r->st)
			speex_resampler_destroy(r->st);
		free(r);
		return NULL;
	}
	/* No skip_zeros: streaming users (G.711) rely on a fixed ratio of
	 * output to input per call; the filter delay is a few ms. */
	return r;
}

void
media_resampler_free(media_resampler *r)
{
	if (!r)
		return;
	speex_resampler_destroy(r->st);
	free(r);
}

int
media_resampler_process(media_resampler *r, const int16_t *in, size_t *in_len,
                        int16_t *out, size_t *out_len)
{
	if (!r || !in_len || !out_len || (*in_len && !in) || (*out_len && !out) ||
	    *in_len > UINT32_MAX || *out_len > UINT32_MAX)
		return -EINVAL;
	spx_uint32_t il = (spx_uint32_t)*in_len, ol = (spx_uint32_t)*out_len;
	int err = speex_resampler_process_int(r->st, 0, in, &il, out, &ol);
	if (err != RESAMPLER_ERR_SUCCESS)
		return -EINVAL;
	*in_len = il;
	*out_len = ol;
	return 0;
}

unsigned
media_resampler_latency(const media_resampler *r)
{
	return (unsigned)speex_resampler_get_input_latency(r->st);
}
