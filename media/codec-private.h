/* Internal to media/codec*.c: the table each codec backend fills in.
 * Not a public header; users include media/codec.h. */
#ifndef FLOE_MEDIA_CODEC_PRIVATE_H
#define FLOE_MEDIA_CODEC_PRIVATE_H

#include "media/codec.h"

typedef struct media_codec_ops {
	int (*encode)(media_codec *c, const int16_t *pcm, uint8_t *out, size_t cap);
	int (*decode)(media_codec *c, const uint8_t *data, size_t len, int16_t *pcm);
	int (*conceal)(media_codec *c, const uint8_t *next, size_t next_len,
	               int16_t *pcm, bool *used_fec);
	int (*set_bitrate)(media_codec *c, int bps);
	int (*set_packet_loss)(media_codec *c, int percent);
	int (*set_dtx)(media_codec *c, bool on);
	int (*set_complexity)(media_codec *c, int complexity);             /* 0..10 */
	int (*set_max_bandwidth)(media_codec *c, int bandwidth); /* a media_opus_bandwidth */
	int (*set_low_delay)(media_codec *c, int on);
	void (*free)(media_codec *c);
} media_codec_ops;

/* Every backend's struct starts with this. */
struct media_codec {
	const media_codec_ops *ops;
	media_codec_id id;
};

media_codec *media_codec_opus_new(void);
media_codec *media_codec_g711_new(media_codec_id id);

#endif
