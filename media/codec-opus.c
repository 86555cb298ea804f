/* Opus: mono, 20 ms, in-band FEC (SILK and hybrid modes); complexity,
 * bandwidth, DTX and low delay from a profile
 * (media_opus_profile_settings); see codec.h. */
#include "media/codec-private.h"

#include <errno.h>
#include <stdlib.h>

#include <opus.h>

typedef struct {
	media_codec base;
	OpusEncoder *enc;
	OpusDecoder *dec;
} media_codec_opus;

static int
opus_encode_frame(media_codec *c, const int16_t *pcm, uint8_t *out, size_t cap)
{
	media_codec_opus *o = (media_codec_opus *)c;
	if (cap > 1275)
		cap = 1275; /* the largest Opus frame; opus_int32 range is safe below */
	int n = opus_encode(o->enc, pcm, MEDIA_FRAME_SAMPLES, out, (opus_int32)cap);
	if (n == OPUS_BUFFER_TOO_SMALL)
		return -ENOBUFS;
	if (n < 0)
		return -EIO;
	/* With DTX, libopus documents a result of two bytes or less as a
	 * packet that need not be transmitted. */
	if (n <= 2)
		return 0;
	return n;
}

static int
check_frame(int n)
{
	return n == MEDIA_FRAME_SAMPLES ? n : -EBADMSG;
}

static int
opus_decode_frame(media_codec *c, const uint8_t *data, size_t len, int16_t *pcm)
{
	media_codec_opus *o = (media_codec_opus *)c;
	if (len > MEDIA_CODEC_MAX_PAYLOAD)
		return -EBADMSG;
	/* Check the duration before decoding: a 40 ms packet would not fit. */
	int samples = opus_packet_get_nb_samples(data, (opus_int32)len, MEDIA_SAMPLE_RATE);
	if (samples != MEDIA_FRAME_SAMPLES)
		return -EBADMSG;
	return check_frame(opus_decode(o->dec, data, (opus_int32)len, pcm,
	                               MEDIA_FRAME_SAMPLES, 0));
}

static int
opus_conceal_frame(media_codec *c, const uint8_t *next, size_t next_len,
                   int16_t *pcm, bool *used_fec)
{
	media_codec_opus *o = (media_codec_opus *)c;
	*used_fec = false;
	/* Only SILK and hybrid packets (TOC config < 16) can carry LBRR, the
	 * low-bitrate copy of the frame before; CELT-only ones cannot. */
	if (next && next_len > 0 && next_len <= MEDIA_CODEC_MAX_PAYLOAD && (next[0] >> 3) < 16 &&
	    opus_packet_get_nb_samples(next, (opus_int32)next_len,
	                               MEDIA_SAMPLE_RATE) == MEDIA_FRAME_SAMPLES) {
		int n = opus_decode(o->dec, next, (opus_int32)next_len, pcm,
		                    MEDIA_FRAME_SAMPLES, 1);
		if (n == MEDIA_FRAME_SAMPLES) {
			*used_fec = true;
			return n;
		}
	}
	return check_frame(opus_decode(o->dec, NULL, 0, pcm, MEDIA_FRAME_SAMPLES, 0));
}

static int
opus_set_bitrate(media_codec *c, int bps)
{
	media_codec_opus *o = (media_codec_opus *)c;
	if (bps < 6000 || bps > 510000)
		return -EINVAL;
	return opus_encoder_ctl(o->enc, OPUS_SET_BITRATE(bps)) == OPUS_OK ? 0 : -EIO;
}

static int
opus_set_packet_loss(media_codec *c, int percent)
{
	media_codec_opus *o = (media_codec_opus *)c;
	return opus_encoder_ctl(o->enc, OPUS_SET_PACKET_LOSS_PERC(percent)) == OPUS_OK
	           ? 0 : -EIO;
}

static int
opus_set_dtx(media_codec *c, bool on)
{
	media_codec_opus *o = (media_codec_opus *)c;
	return opus_encoder_ctl(o->enc, OPUS_SET_DTX(on ? 1 : 0)) == OPUS_OK ? 0 : -EIO;
}

static int
opus_set_complexity(media_codec *c, int complexity)
{
	media_codec_opus *o = (media_codec_opus *)c;
	return opus_encoder_ctl(o->enc, OPUS_SET_COMPLEXITY(complexity)) == OPUS_OK ? 0 : -EIO;
}

static int
opus_set_max_bandwidth(media_codec *c, int bandwidth)
{
	static const opus_int32 band[] = {
		[MEDIA_OPUS_BANDWIDTH_NARROW] = OPUS_BANDWIDTH_NARROWBAND,
		[MEDIA_OPUS_BANDWIDTH_MEDIUM] = OPUS_BANDWIDTH_MEDIUMBAND,
		[MEDIA_OPUS_BANDWIDTH_WIDE] = OPUS_BANDWIDTH_WIDEBAND,
		[MEDIA_OPUS_BANDWIDTH_SUPERWIDE] = OPUS_BANDWIDTH_SUPERWIDEBAND,
		[MEDIA_OPUS_BANDWIDTH_FULL] = OPUS_BANDWIDTH_FULLBAND,
	};
	media_codec_opus *o = (media_codec_opus *)c;
	return opus_encoder_ctl(o->enc, OPUS_SET_MAX_BANDWIDTH(band[bandwidth])) == OPUS_OK ? 0 : -EIO;
}

static int
opus_set_low_delay(media_codec *c, int on)
{
	media_codec_opus *o = (media_codec_opus *)c;
	int app = on ? OPUS_APPLICATION_RESTRICTED_LOWDELAY : OPUS_APPLICATION_VOIP;
	/* Refused once a frame was encoded with the other one. */
	return opus_encoder_ctl(o->enc, OPUS_SET_APPLICATION(app)) == OPUS_OK ? 0 : -EBUSY;
}

media_opus_settings
media_opus_profile_settings(media_opus_profile profile)
{
	if (profile == MEDIA_OPUS_PROFILE_LIGHT)
		/* CELT alone at complexity 0 costs a tenth of the encoder's
		 * CPU at the quality profile, and under half of SILK's at
		 * complexity 0 (bench/media-frame), with the full audio band;
		 * no DTX keeps a test stream continuous. */
		return (media_opus_settings){ .complexity = 0,
		                              .max_bandwidth = MEDIA_OPUS_BANDWIDTH_FULL,
		                              .dtx = false,
		                              .low_delay = true };
	return (media_opus_settings){ .complexity = 10,
	                              .max_bandwidth = MEDIA_OPUS_BANDWIDTH_FULL,
	                              .dtx = true,
	                              .low_delay = false };
}

static void
opus_free(media_codec *c)
{
	media_codec_opus *o = (media_codec_opus *)c;
	if (o->enc)
		opus_encoder_destroy(o->enc);
	if (o->dec)
		opus_decoder_destroy(o->dec);
	free(o);
}

static const media_codec_ops opus_ops = {
	.encode = opus_encode_frame,
	.decode = opus_decode_frame,
	.conceal = opus_conceal_frame,
	.set_bitrate = opus_set_bitrate,
	.set_packet_loss = opus_set_packet_loss,
	.set_dtx = opus_set_dtx,
	.set_complexity = opus_set_complexity,
	.set_max_bandwidth = opus_set_max_bandwidth,
	.set_low_delay = opus_set_low_delay,
	.free = opus_free,
};

media_codec *
media_codec_opus_new(void)
{
	media_codec_opus *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->base.ops = &opus_ops;
	o->base.id = MEDIA_CODEC_OPUS;
	int err;
	o->enc = opus_encoder_create(MEDIA_SAMPLE_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (!o->enc || err != OPUS_OK)
		goto fail;
	o->dec = opus_decoder_create(MEDIA_SAMPLE_RATE, 1, &err);
	if (!o->dec || err != OPUS_OK)
		goto fail;
	media_opus_settings quality = media_opus_profile_settings(MEDIA_OPUS_PROFILE_QUALITY);
	/* FEC only helps once the encoder expects loss; start at a modest
	 * guess until RTCP reports the real figure. */
	if (opus_encoder_ctl(o->enc, OPUS_SET_INBAND_FEC(1)) != OPUS_OK ||
	    opus_encoder_ctl(o->enc, OPUS_SET_PACKET_LOSS_PERC(5)) != OPUS_OK ||
	    opus_encoder_ctl(o->enc, OPUS_SET_BITRATE(32000)) != OPUS_OK ||
	    opus_encoder_ctl(o->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)) != OPUS_OK ||
	    media_codec_set_opus(&o->base, &quality) < 0)
		goto fail;
	return &o->base;
fail:
	opus_free(&o->base);
	return NULL;
}
