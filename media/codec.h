/* Voice codecs behind one interface: Opus, PCMU and PCMA.
 *
 * Every codec takes and gives 20 ms frames of 48 kHz mono 16-bit PCM
 * (MEDIA_FRAME_SAMPLES); G.711 converts to and from 8 kHz inside. Output goes
 * into caller-owned buffers; functions return lengths or negative errno
 * codes. One media_codec holds both an encoder and a decoder (one call). */
#ifndef FLOE_MEDIA_CODEC_H
#define FLOE_MEDIA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEDIA_SAMPLE_RATE 48000
#define MEDIA_FRAME_MS 20
#define MEDIA_FRAME_SAMPLES (MEDIA_SAMPLE_RATE / 1000 * MEDIA_FRAME_MS) /* 960 */
/* Largest encoded frame any codec here produces (Opus caps at 1275). */
#define MEDIA_CODEC_MAX_PAYLOAD 1500

typedef enum {
	MEDIA_CODEC_OPUS,
	MEDIA_CODEC_PCMU,
	MEDIA_CODEC_PCMA,
} media_codec_id;

typedef struct media_codec media_codec;

/* NULL on allocation or library failure. */
media_codec *media_codec_new(media_codec_id id);
void media_codec_free(media_codec *c);

media_codec_id media_codec_get_id(const media_codec *c);
/* SDP encoding name ("opus", "PCMU", "PCMA"). */
const char *media_codec_name(media_codec_id id);
/* RTP clock rate: 48000 for Opus, 8000 for G.711. */
unsigned media_codec_clock_rate(media_codec_id id);
/* Static payload type (0 PCMU, 8 PCMA) or -1 for dynamic (Opus). */
int media_codec_static_pt(media_codec_id id);
/* RTP timestamp units per 20 ms frame. */
unsigned media_codec_frame_ticks(media_codec_id id);

/* Encodes one frame. Returns the payload length, 0 when Opus DTX decided
 * this frame need not be sent, or -EINVAL / -ENOBUFS / -EIO. */
int media_codec_encode(media_codec *c, const int16_t pcm[MEDIA_FRAME_SAMPLES],
                       uint8_t *out, size_t cap);

/* Decodes one received payload into one frame. Returns MEDIA_FRAME_SAMPLES
 * or -EBADMSG for a payload that is not one 20 ms frame of this codec. */
int media_codec_decode(media_codec *c, const uint8_t *data, size_t len,
                       int16_t pcm[MEDIA_FRAME_SAMPLES]);

/* Produces a frame for a packet that never came. When the packet after the
 * lost one is at hand (next != NULL), Opus recovers the lost frame from its
 * in-band FEC; otherwise the codec's concealment runs (Opus PLC, or G.711
 * repetition of the last pitch period with a fade). Returns
 * MEDIA_FRAME_SAMPLES or a negative code. *used_fec says which path ran. */
int media_codec_conceal(media_codec *c, const uint8_t *next, size_t next_len,
                        int16_t pcm[MEDIA_FRAME_SAMPLES], bool *used_fec);

/* Opus only (G.711 ignores them and returns 0): target bitrate in bit/s
 * (6000..510000), the expected packet-loss percentage (0..100; RTCP feeds
 * this so the encoder sizes its FEC), and DTX on or off. */
int media_codec_set_bitrate(media_codec *c, int bps);
int media_codec_set_packet_loss(media_codec *c, int percent);
int media_codec_set_dtx(media_codec *c, bool on);

/* --------------------------------------------------- Opus encoder settings */

/* The widest audio band the Opus encoder may code. */
typedef enum {
	MEDIA_OPUS_BANDWIDTH_NARROW,    /* up to 4 kHz */
	MEDIA_OPUS_BANDWIDTH_MEDIUM,    /* 6 kHz */
	MEDIA_OPUS_BANDWIDTH_WIDE,      /* 8 kHz */
	MEDIA_OPUS_BANDWIDTH_SUPERWIDE, /* 12 kHz */
	MEDIA_OPUS_BANDWIDTH_FULL,      /* 20 kHz */
} media_opus_bandwidth;

/* What an encoder trades between quality and CPU. */
typedef struct {
	int complexity;                     /* 0 (cheapest) .. 10 (best) */
	media_opus_bandwidth max_bandwidth;
	/* Send nothing in silence (encode returns 0). Below complexity 7
	 * libopus skips its tonality analysis and its voice detector takes a
	 * steady tone for silence too: most of a test tone is then not sent. */
	bool dtx;
	/* CELT alone (libopus's restricted low-delay application): about half
	 * the CPU of SILK at complexity 0, full band and 4 ms less delay, but
	 * no in-band FEC (a lost frame is concealed, not recovered). libopus
	 * takes it only before the first frame is encoded. */
	bool low_delay;
} media_opus_settings;

typedef enum {
	/* One call with CPU to spare (the desktop): complexity 10, full band,
	 * DTX. media_codec_new starts every Opus encoder with these. */
	MEDIA_OPUS_PROFILE_QUALITY,
	/* Many calls per core (headless load tests): cheap (CELT alone at
	 * complexity 0), and a continuous stream, so that loss, jitter and MOS
	 * judge every packet. */
	MEDIA_OPUS_PROFILE_LIGHT,
} media_opus_profile;

/* The settings of a profile: the one place their values live. */
media_opus_settings media_opus_profile_settings(media_opus_profile profile);

/* Applies the settings at once. -EINVAL (nothing changed) for a
 * complexity outside 0..10 or an unknown bandwidth, -EBUSY for another
 * low_delay after the first frame, -EIO if libopus refuses; G.711 ignores
 * them and returns 0. */
int media_codec_set_opus(media_codec *c, const media_opus_settings *s);

/* G.711 sample codecs, exposed for tests and for callers at 8 kHz. */
uint8_t media_g711_ulaw_encode(int16_t pcm);
int16_t media_g711_ulaw_decode(uint8_t code);
uint8_t media_g711_alaw_encode(int16_t pcm);
int16_t media_g711_alaw_decode(uint8_t code);

#endif
