/* Codec dispatch and the facts about each codec; see codec.h. */
#include "media/codec-private.h"

#include <errno.h>

media_codec *
media_codec_new(media_codec_id id)
{
	switch (id) {
	case MEDIA_CODEC_OPUS:
		return media_codec_opus_new();
	case MEDIA_CODEC_PCMU:
	case MEDIA_CODEC_PCMA:
		return media_codec_g711_new(id);
	}
	return NULL;
}

void
media_codec_free(media_codec *c)
{
	if (c)
		c->ops->free(c);
}

media_codec_id
media_codec_get_id(const media_codec *c)
{
	return c->id;
}

const char *
media_codec_name(media_codec_id id)
{
	switch (id) {
	case MEDIA_CODEC_OPUS:
		return "opus";
	case MEDIA_CODEC_PCMU:
		return "PCMU";
	case MEDIA_CODEC_PCMA:
		return "PCMA";
	}
	return "?";
}

unsigned
media_codec_clock_rate(media_codec_id id)
{
	return id == MEDIA_CODEC_OPUS ? 48000 : 8000;
}

int
media_codec_static_pt(media_codec_id id)
{
	switch (id) {
	case MEDIA_CODEC_PCMU:
		return 0;
	case MEDIA_CODEC_PCMA:
		return 8;
	case MEDIA_CODEC_OPUS:
		break;
	}
	return -1;
}

unsigned
media_codec_frame_ticks(media_codec_id id)
{
	return media_codec_clock_rate(id) / 1000 * MEDIA_FRAME_MS;
}

int
media_codec_encode(media_codec *c, const int16_t pcm[MEDIA_FRAME_SAMPLES],
                   uint8_t *out, size_t cap)
{
	if (!c || !pcm || !out)
		return -EINVAL;
	return c->ops->encode(c, pcm, out, cap);
}

int
media_codec_decode(media_codec *c, const uint8_t *data, size_t len,
                   int16_t pcm[MEDIA_FRAME_SAMPLES])
{
	if (!c || !pcm || (len && !data))
		return -EINVAL;
	if (len == 0)
		return -EBADMSG;
	return c->ops->decode(c, data, len, pcm);
}

int
media_codec_conceal(media_codec *c, const uint8_t *next, size_t next_len,
                    int16_t pcm[MEDIA_FRAME_SAMPLES], bool *used_fec)
{
	bool dummy;
	if (!c || !pcm)
		return -EINVAL;
	if (!next)
		next_len = 0;
	return c->ops->conceal(c, next, next_len, pcm, used_fec ? used_fec : &dummy);
}

int
media_codec_set_bitrate(media_codec *c, int bps)
{
	return c ? c->ops->set_bitrate(c, bps) : -EINVAL;
}

int
media_codec_set_packet_loss(media_codec *c, int percent)
{
	if (!c || percent < 0 || percent > 100)
		return -EINVAL;
	return c->ops->set_packet_loss(c, percent);
}

int
media_codec_set_dtx(media_codec *c, bool on)
{
	return c ? c->ops->set_dtx(c, on) : -EINVAL;
}

int
media_codec_set_opus(media_codec *c, const media_opus_settings *s)
{
	if (!c || !s || s->complexity < 0 || s->complexity > 10 ||
	    s->max_bandwidth < MEDIA_OPUS_BANDWIDTH_NARROW ||
	    s->max_bandwidth > MEDIA_OPUS_BANDWIDTH_FULL)
		return -EINVAL;
	int r = c->ops->set_complexity(c, s->complexity);
	if (r == 0)
		r = c->ops->set_max_bandwidth(c, (int)s->max_bandwidth);
	if (r == 0)
		r = c->ops->set_dtx(c, s->dtx);
	if (r == 0)
		r = c->ops->set_low_delay(c, s->low_delay);
	return r;
}
