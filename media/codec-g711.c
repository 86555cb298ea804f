/* G.711 PCMU (mu-law) and PCMA (A-law), written from ITU-T G.711's segment
 * tables, with a repeat-and-fade loss concealment; see codec.h.
 *
 * Inside, G.711 runs at 8 kHz: frames are resampled from and to 48 kHz with
 * media/resampler.h. */
#include "media/codec-private.h"
#include "media/resampler.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define G711_RATE 8000
#define G711_FRAME 160      /* 20 ms at 8 kHz */
#define HIST_LEN 480        /* 60 ms of decoded history for the PLC */
#define PITCH_MIN 40        /* 5 ms: 200 Hz */
#define PITCH_MAX 120       /* 15 ms: 66 Hz */
#define CORR_LEN 120        /* samples compared when searching the pitch */
#define FADE_START 80       /* play the first 10 ms of a loss at full level, */
#define FADE_STEP 80        /* then lose 20% every further 10 ms,            */
#define FADE_SILENT 480     /* and go silent 60 ms into a loss.              */
#define MERGE_LEN 32        /* 4 ms cross-fade back into real speech */

/* ---------------------------------------------------------- sample codecs */

/* mu-law: magnitude + 0x84 bias makes every segment start at a power of two,
 * so the segment number is the position of the top bit (G.711 table 2a). */
uint8_t
media_g711_ulaw_encode(int16_t pcm)
{
	int x = pcm;
	uint8_t sign = 0;
	if (x < 0) {
		x = -x;
		sign = 0x80;
	}
	if (x > 32635)
		x = 32635;
	x += 0x84;
	int seg = 0;
	for (int v = x >> 8; v; v >>= 1)
		seg++;
	uint8_t mant = (uint8_t)((x >> (seg + 3)) & 0x0f);
	return (uint8_t)~(sign | (seg << 4) | mant);
}

int16_t
media_g711_ulaw_decode(uint8_t code)
{
	code = (uint8_t)~code;
	int seg = (code >> 4) & 7;
	int mag = ((((code & 0x0f) << 3) + 0x84) << seg) - 0x84;
	return (int16_t)((code & 0x80) ? -mag : mag);
}

/* A-law: 13-bit magnitude; segment 0 and 1 share a step size, later
 * segments double it (G.711 table 1a). Even bits are inverted (0x55). */
uint8_t
media_g711_alaw_encode(int16_t pcm)
{
	int x = pcm;
	uint8_t sign = 0x80;
	if (x < 0) {
		x = -x - 1; /* -1 lands on the smallest negative step */
		sign = 0;
	}
	x >>= 3; /* 16-bit to 13-bit magnitude, 0..4095 */
	uint8_t code;
	if (x < 32) {
		code = (uint8_t)(x >> 1);
	} else {
		int seg = 0;
		for (int v = x >> 5; v; v >>= 1)
			seg++;
		code = (uint8_t)((seg << 4) | ((x >> seg) & 0x0f));
	}
	return (uint8_t)((sign | code) ^ 0x55);
}

int16_t
media_g711_alaw_decode(uint8_t code)
{
	code ^= 0x55;
	int seg = (code >> 4) & 7;
	int mag = ((code & 0x0f) << 4) + 8;
	if (seg > 0)
		mag = (mag + 0x100) << (seg - 1);
	return (int16_t)((code & 0x80) ? mag : -mag);
}

/* ------------------------------------------------------------------ codec */

typedef struct {
	media_codec base;
	media_resampler *down; /* 48 kHz -> 8 kHz before encoding */
	media_resampler *up;   /* 8 kHz -> 48 kHz after decoding */
	int16_t hist[HIST_LEN];
	size_t hist_fill;      /* real decoded samples in hist (at most HIST_LEN) */
	int pitch;             /* period repeated during the current loss */
	int lost;              /* samples concealed in the current loss, 0 = none */
} media_codec_g711;

static int
to_8k(media_codec_g711 *g, const int16_t *pcm, int16_t out[G711_FRAME])
{
	size_t in_len = MEDIA_FRAME_SAMPLES, out_len = G711_FRAME;
	int r = media_resampler_process(g->down, pcm, &in_len, out, &out_len);
	if (r < 0)
		return r;
	/* The filter may hand out a sample fewer on a call; keep 160. */
	if (out_len < G711_FRAME) {
		memmove(out + (G711_FRAME - out_len), out, out_len * sizeof *out);
		memset(out, 0, (G711_FRAME - out_len) * sizeof *out);
	}
	return 0;
}

static int
to_48k(media_codec_g711 *g, const int16_t in[G711_FRAME], int16_t *pcm)
{
	size_t in_len = G711_FRAME, out_len = MEDIA_FRAME_SAMPLES;
	int r = media_resampler_process(g->up, in, &in_len, pcm, &out_len);
	if (r < 0)
		return r;
	if (out_len < MEDIA_FRAME_SAMPLES) {
		memmove(pcm + (MEDIA_FRAME_SAMPLES - out_len), pcm, out_len * sizeof *pcm);
		memset(pcm, 0, (MEDIA_FRAME_SAMPLES - out_len) * sizeof *pcm);
	}
	return MEDIA_FRAME_SAMPLES;
}

static int
g711_encode(media_codec *c, const int16_t *pcm, uint8_t *out, size_t cap)
{
	media_codec_g711 *g = (media_codec_g711 *)c;
	if (cap < G711_FRAME)
		return -ENOBUFS;
	int16_t nb[G711_FRAME];
	int r = to_8k(g, pcm, nb);
	if (r < 0)
		return r;
	for (size_t i = 0; i < G711_FRAME; i++)
		out[i] = c->id == MEDIA_CODEC_PCMU ? media_g711_ulaw_encode(nb[i])
		                                   : media_g711_alaw_encode(nb[i]);
	return G711_FRAME;
}

/* The lag in [PITCH_MIN, PITCH_MAX] whose shifted copy of the newest
 * CORR_LEN samples matches best (normalised cross-correlation). */
static int
find_pitch(const int16_t *hist)
{
	const int16_t *tail = hist + HIST_LEN - CORR_LEN;
	int best = PITCH_MIN;
	double best_score = -1e300;
	for (int lag = PITCH_MIN; lag <= PITCH_MAX; lag++) {
		double xy = 0, yy = 0;
		for (int i = 0; i < CORR_LEN; i++) {
			double x = tail[i], y = tail[i - lag];
			xy += x * y;
			yy += y * y;
		}
		double score = yy > 0 ? xy / sqrt(yy) : 0;
		if (score > best_score) {
			best_score = score;
			best = lag;
		}
	}
	return best;
}

/* Next concealment sample: the last pitch period repeated, faded by how
 * far into the loss we are. */
static int16_t
plc_sample(media_codec_g711 *g)
{
	int pos = g->lost;
	if (g->lost < FADE_SILENT) /* stays put once silent: no overflow */
		g->lost++;
	const int16_t *period = g->hist + HIST_LEN - g->pitch;
	double v = period[pos % g->pitch];
	if (pos >= FADE_SILENT)
		return 0;
	if (pos >= FADE_START) /* a linear ramp: never a step in level */
		v *= 1.0 - 0.2 * (double)(pos - FADE_START) / FADE_STEP;
	return (int16_t)v;
}

static void
push_history(media_codec_g711 *g, const int16_t *nb)
{
	memmove(g->hist, g->hist + G711_FRAME, (HIST_LEN - G711_FRAME) * sizeof *nb);
	memcpy(g->hist + HIST_LEN - G711_FRAME, nb, G711_FRAME * sizeof *nb);
	if (g->hist_fill < HIST_LEN)
		g->hist_fill += G711_FRAME;
}

static int
g711_decode(media_codec *c, const uint8_t *data, size_t len, int16_t *pcm)
{
	media_codec_g711 *g = (media_codec_g711 *)c;
	if (len != G711_FRAME)
		return -EBADMSG;
	int16_t nb[G711_FRAME];
	for (size_t i = 0; i < G711_FRAME; i++)
		nb[i] = c->id == MEDIA_CODEC_PCMU ? media_g711_ulaw_decode(data[i])
		                                  : media_g711_alaw_decode(data[i]);
	if (g->lost > 0) {
		/* Fade from the concealment into the real signal over 4 ms. */
		for (int i = 0; i < MERGE_LEN; i++) {
			double w = (double)(i + 1) / (MERGE_LEN + 1);
			nb[i] = (int16_t)(w * nb[i] + (1.0 - w) * plc_sample(g));
		}
		g->lost = 0;
	}
	push_history(g, nb);
	return to_48k(g, nb, pcm);
}

static int
g711_conceal(media_codec *c, const uint8_t *next, size_t next_len, int16_t *pcm,
             bool *used_fec)
{
	media_codec_g711 *g = (media_codec_g711 *)c;
	int16_t nb[G711_FRAME];
	*used_fec = false; /* G.711 has no redundancy to recover from */
	if (g->hist_fill < HIST_LEN) {
		/* Nothing heard yet worth repeating. */
		memset(nb, 0, sizeof nb);
	} else {
		if (g->lost == 0)
			g->pitch = find_pitch(g->hist);
		for (size_t i = 0; i < G711_FRAME; i++)
			nb[i] = plc_sample(g);
	}
	return to_48k(g, nb, pcm);
}

static int
g711_no_setting(media_codec *c, int value)
{
	return 0;
}

static int
g711_no_dtx(media_codec *c, bool on)
{
	return 0;
}

static void
g711_free(media_codec *c)
{
	media_codec_g711 *g = (media_codec_g711 *)c;
	media_resampler_free(g->down);
	media_resampler_free(g->up);
	free(g);
}

static const media_codec_ops g711_ops = {
	.encode = g711_encode,
	.decode = g711_decode,
	.conceal = g711_conceal,
	.set_bitrate = g711_no_setting,
	.set_packet_loss = g711_no_setting,
	.set_dtx = g711_no_dtx,
	.set_complexity = g711_no_setting,
	.set_max_bandwidth = g711_no_setting,
	.set_low_delay = g711_no_setting,
	.free = g711_free,
};

media_codec *
media_codec_g711_new(media_codec_id id)
{
	media_codec_g711 *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->base.ops = &g711_ops;
	g->base.id = id;
	g->down = media_resampler_new(MEDIA_SAMPLE_RATE, G711_RATE, 5);
	g->up = media_resampler_new(G711_RATE, MEDIA_SAMPLE_RATE, 5);
	if (!g->down || !g->up) {
		g711_free(&g->base);
		return NULL;
	}
	return &g->base;
}
