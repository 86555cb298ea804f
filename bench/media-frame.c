/* bench-media-frame: CPU cost of each stage of the media path, per 20 ms
 * frame, in one process.
 *
 * Stages: Opus encode, Opus decode, SRTP protect, SRTP unprotect, jitter
 * buffer (RTP parse, put one packet, get one frame): one media session's
 * work per frame (one agent's end of a call: it encodes and protects what
 * it sends, unprotects and decodes what it gets). Opus runs at both
 * encoder profiles of media/codec.h: "light" (what a headless agent uses;
 * the headline) and "quality" (the desktop app's), each decoding its own
 * stream. Each stage is its own non-inlined function so that callgrind
 * can count its instructions alone (--toggle-collect=stage_<name>;
 * bench/run-media.py does that).
 *
 * The machine is shared and noisy, so the stages take turns: each round
 * runs every stage once over the same block of frames, and the figures are
 * the median (and p10/p90) over rounds of the thread CPU time
 * (CLOCK_THREAD_CPUTIME_ID) per frame. Ratios between stages come from the
 * same rounds.
 *
 * What-if stages (in no total): the light profile's encoder in voice
 * mode (SILK with in-band FEC, wideband, as `--opus-mode voice`), and at
 * complexity 5, to show what those would cost.
 *
 * Usage: bench-media-frame [--rounds N] [--frames N] [--bitrate BPS]
 *                          [--csv FILE]
 * Writes one CSV row per stage (header included) to --csv or stdout. */
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/voice-signal.h"
#include "media/codec.h"
#include "media/jitter-buffer.h"
#include "media/rtp.h"
#include "media/srtp.h"

#define PT_OPUS 111
#define PACKET_CAP (12 + MEDIA_CODEC_MAX_PAYLOAD + MEDIA_SRTP_MAX_OVERHEAD)

typedef struct
{
  size_t frames;
  int16_t (*pcm)[MEDIA_FRAME_SAMPLES];   /* the input signal */
  int16_t out[MEDIA_FRAME_SAMPLES];      /* decoder output (discarded) */
  uint8_t (*payload)[MEDIA_CODEC_MAX_PAYLOAD];   /* light profile */
  size_t *payload_len;
  uint8_t (*q_payload)[MEDIA_CODEC_MAX_PAYLOAD]; /* quality profile */
  size_t *q_payload_len;
  uint8_t (*packet)[PACKET_CAP];         /* RTP, then SRTP, then RTP again */
  size_t *packet_len;
  media_codec *enc, *dec, *q_enc, *q_dec;
  media_codec *enc_voice, *enc_c5;       /* what-if encoders */
  uint8_t scratch[MEDIA_CODEC_MAX_PAYLOAD];
  media_rtp_sender *rtp;
  media_srtp *tx, *rx;
  media_jb *jb;
  uint64_t jb_clock_us;                  /* virtual clock of the jb stage */
  uint32_t ts_samples;
  int failures;
} bench;

static double
thread_cpu_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/* ---------------------------------------------------------- the stages */

/* A silent (DTX) frame counts as a failure: the signal never pauses. */
static void
encode (bench *b, media_codec *enc, uint8_t (*payload)[MEDIA_CODEC_MAX_PAYLOAD],
        size_t *payload_len)
{
  for (size_t f = 0; f < b->frames; f++)
    {
      int n = media_codec_encode (enc, b->pcm[f], payload[f],
                                  MEDIA_CODEC_MAX_PAYLOAD);
      if (n <= 0)
        b->failures++;
      payload_len[f] = n > 0 ? (size_t) n : 0;
    }
}

static void
decode (bench *b, media_codec *dec, uint8_t (*payload)[MEDIA_CODEC_MAX_PAYLOAD],
        const size_t *payload_len)
{
  for (size_t f = 0; f < b->frames; f++)
    if (media_codec_decode (dec, payload[f], payload_len[f], b->out)
        != MEDIA_FRAME_SAMPLES)
      b->failures++;
}

__attribute__((noinline)) static void
stage_opus_encode (bench *b)
{
  encode (b, b->enc, b->payload, b->payload_len);
}

__attribute__((noinline)) static void
stage_opus_decode (bench *b)
{
  decode (b, b->dec, b->payload, b->payload_len);
}

__attribute__((noinline)) static void
stage_quality_opus_encode (bench *b)
{
  encode (b, b->q_enc, b->q_payload, b->q_payload_len);
}

__attribute__((noinline)) static void
stage_quality_opus_decode (bench *b)
{
  decode (b, b->q_dec, b->q_payload, b->q_payload_len);
}

static void
encode_scratch (bench *b, media_codec *enc)
{
  for (size_t f = 0; f < b->frames; f++)
    if (media_codec_encode (enc, b->pcm[f], b->scratch, sizeof b->scratch) <= 0)
      b->failures++;
}

__attribute__((noinline)) static void
stage_opus_encode_voice (bench *b)
{
  encode_scratch (b, b->enc_voice);
}

__attribute__((noinline)) static void
stage_opus_encode_c5 (bench *b)
{
  encode_scratch (b, b->enc_c5);
}

/* Not timed: fresh RTP packets (new sequence numbers) for the SRTP stages,
 * since libsrtp refuses to protect an index twice. */
static void
pack_packets (bench *b)
{
  for (size_t f = 0; f < b->frames; f++)
    {
      int n = media_rtp_sender_pack (b->rtp, PT_OPUS, false, b->ts_samples,
                                     b->payload[f], b->payload_len[f],
                                     b->packet[f], PACKET_CAP);
      b->ts_samples += MEDIA_FRAME_SAMPLES;
      if (n < 0)
        b->failures++;
      b->packet_len[f] = n > 0 ? (size_t) n : 0;
    }
}

__attribute__((noinline)) static void
stage_srtp_protect (bench *b)
{
  for (size_t f = 0; f < b->frames; f++)
    {
      int n = media_srtp_protect_rtp (b->tx, b->packet[f], b->packet_len[f],
                                      PACKET_CAP);
      if (n < 0)
        b->failures++;
      else
        b->packet_len[f] = (size_t) n;
    }
}

__attribute__((noinline)) static void
stage_srtp_unprotect (bench *b)
{
  for (size_t f = 0; f < b->frames; f++)
    {
      int n = media_srtp_unprotect_rtp (b->rx, b->packet[f], b->packet_len[f]);
      if (n < 0)
        b->failures++;
      else
        b->packet_len[f] = (size_t) n;
    }
}

/* One packet in, one frame out per period, with 0..15 ms of arrival
 * jitter (fixed pseudo-random sequence) so the buffer reorders and adapts
 * as it would on a real path. */
__attribute__((noinline)) static void
stage_jitter_buffer (bench *b)
{
  uint32_t r = 777;
  for (size_t f = 0; f < b->frames; f++)
    {
      media_rtp_packet p;
      if (media_rtp_parse (b->packet[f], b->packet_len[f], &p) < 0)
        {
          b->failures++;
          continue;
        }
      r = r * 1103515245u + 12345u;
      uint64_t jitter = (r >> 16) % 15000;
      media_jb_put (b->jb, b->jb_clock_us + jitter, p.seq, p.timestamp,
                    p.marker, p.payload, p.payload_len);
      media_jb_frame out;
      media_jb_get (b->jb, b->jb_clock_us + 20000, &out);
      b->jb_clock_us += 20000;
    }
}

/* Which totals a stage counts in. */
enum
{
  IN_LIGHT = 1,   /* one session at the light (headless) profile */
  IN_QUALITY = 2, /* one session at the quality (desktop) profile */
};

typedef struct
{
  const char *name; /* stage_<name> is its function, for callgrind */
  void (*run) (bench *b);
  int totals;       /* IN_* bits; 0: a what-if */
} stage;

static const stage stages[] = {
  { "opus_encode", stage_opus_encode, IN_LIGHT },
  { "opus_decode", stage_opus_decode, IN_LIGHT },
  { "srtp_protect", stage_srtp_protect, IN_LIGHT | IN_QUALITY },
  { "srtp_unprotect", stage_srtp_unprotect, IN_LIGHT | IN_QUALITY },
  { "jitter_buffer", stage_jitter_buffer, IN_LIGHT | IN_QUALITY },
  { "quality_opus_encode", stage_quality_opus_encode, IN_QUALITY },
  { "quality_opus_decode", stage_quality_opus_decode, IN_QUALITY },
  { "opus_encode_voice", stage_opus_encode_voice, 0 },
  { "opus_encode_c5", stage_opus_encode_c5, 0 },
};
#define N_STAGES (sizeof stages / sizeof stages[0])

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double
percentile (const double *sorted, size_t n, double p)
{
  size_t k = (size_t) ceil (p / 100.0 * (double) n);
  return sorted[k > 0 ? k - 1 : 0];
}

/* An Opus encoder at a profile's settings (complexity >= 0 overrides
 * the profile's; voice: SILK, wideband, not low delay), at the bench's
 * bitrate. */
static media_codec *
encoder (media_opus_profile profile, int complexity, bool voice, int bitrate)
{
  media_codec *c = media_codec_new (MEDIA_CODEC_OPUS);
  media_opus_settings s = media_opus_profile_settings (profile);
  if (complexity >= 0)
    s.complexity = complexity;
  if (voice)
    {
      s.low_delay = false;
      s.max_bandwidth = MEDIA_OPUS_BANDWIDTH_WIDE;
    }
  if (c && (media_codec_set_opus (c, &s) < 0
            || media_codec_set_bitrate (c, bitrate) < 0))
    {
      media_codec_free (c);
      return NULL;
    }
  return c;
}

static int
setup (bench *b, int bitrate)
{
  b->pcm = calloc (b->frames, sizeof *b->pcm);
  b->payload = calloc (b->frames, sizeof *b->payload);
  b->payload_len = calloc (b->frames, sizeof *b->payload_len);
  b->q_payload = calloc (b->frames, sizeof *b->q_payload);
  b->q_payload_len = calloc (b->frames, sizeof *b->q_payload_len);
  b->packet = calloc (b->frames, sizeof *b->packet);
  b->packet_len = calloc (b->frames, sizeof *b->packet_len);
  b->enc = encoder (MEDIA_OPUS_PROFILE_LIGHT, -1, false, bitrate);
  b->q_enc = encoder (MEDIA_OPUS_PROFILE_QUALITY, -1, false, bitrate);
  b->enc_voice = encoder (MEDIA_OPUS_PROFILE_LIGHT, -1, true, bitrate);
  b->enc_c5 = encoder (MEDIA_OPUS_PROFILE_LIGHT, 5, false, bitrate);
  b->dec = media_codec_new (MEDIA_CODEC_OPUS);
  b->q_dec = media_codec_new (MEDIA_CODEC_OPUS);
  b->rtp = media_rtp_sender_new (48000);
  media_jb_config jc = { .clock_rate = 48000, .frame_samples = 960,
                         .min_delay_ms = 40 };
  b->jb = media_jb_new (&jc);
  if (!b->pcm || !b->payload || !b->payload_len || !b->q_payload
      || !b->q_payload_len || !b->packet || !b->packet_len || !b->rtp || !b->jb
      || !b->dec || !b->q_dec)
    return -ENOMEM;
  if (!b->enc || !b->q_enc || !b->enc_voice || !b->enc_c5)
    return -EINVAL;
  media_srtp_crypto key;
  int err = media_srtp_crypto_generate (MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
                                        1, &key);
  if (err < 0)
    return err;
  /* One key both ways: tx protects with it, rx unprotects with it. */
  b->tx = media_srtp_new (&key, &key, &err);
  b->rx = b->tx ? media_srtp_new (&key, &key, &err) : NULL;
  media_srtp_crypto_clear (&key);
  if (!b->rx)
    return err;
  bench_voice_signal (b->pcm[0], b->frames * MEDIA_FRAME_SAMPLES);
  return 0;
}

static void
teardown (bench *b)
{
  media_srtp_free (b->tx);
  media_srtp_free (b->rx);
  media_jb_free (b->jb);
  media_rtp_sender_free (b->rtp);
  media_codec_free (b->enc);
  media_codec_free (b->dec);
  media_codec_free (b->q_enc);
  media_codec_free (b->q_dec);
  media_codec_free (b->enc_voice);
  media_codec_free (b->enc_c5);
  free (b->pcm);
  free (b->payload);
  free (b->payload_len);
  free (b->q_payload);
  free (b->q_payload_len);
  free (b->packet);
  free (b->packet_len);
}

static void
usage (void)
{
  fprintf (stderr, "usage: bench-media-frame [--rounds N] [--frames N] "
           "[--bitrate BPS] [--csv FILE]\n");
  exit (2);
}

int
main (int argc, char **argv)
{
  size_t rounds = 31;
  bench b = { .frames = 250 };
  int bitrate = 32000;
  const char *csv = NULL;
  for (int i = 1; i < argc; i++)
    {
      if (i + 1 >= argc)
        usage ();
      if (!strcmp (argv[i], "--rounds"))
        rounds = strtoul (argv[++i], NULL, 10);
      else if (!strcmp (argv[i], "--frames"))
        b.frames = strtoul (argv[++i], NULL, 10);
      else if (!strcmp (argv[i], "--bitrate"))
        bitrate = atoi (argv[++i]);
      else if (!strcmp (argv[i], "--csv"))
        csv = argv[++i];
      else
        usage ();
    }
  if (rounds < 1 || b.frames < 1)
    usage ();

  int err = setup (&b, bitrate);
  if (err < 0)
    {
      fprintf (stderr, "bench-media-frame: setup failed: %s\n", strerror (-err));
      teardown (&b);
      return 1;
    }

  double (*us)[N_STAGES] = calloc (rounds, sizeof *us);
  if (!us)
    return 1;
  /* Round 0 warms caches and the encoder's state and is not counted. */
  for (size_t r = 0; r <= rounds; r++)
    {
      for (size_t s = 0; s < N_STAGES; s++)
        {
          if (stages[s].run == stage_srtp_protect)
            pack_packets (&b); /* protect what encode just produced */
          int failures = b.failures;
          double t0 = thread_cpu_ns ();
          stages[s].run (&b);
          double t1 = thread_cpu_ns ();
          if (b.failures != failures)
            fprintf (stderr, "bench-media-frame: round %zu: %d failures in %s\n",
                     r, b.failures - failures, stages[s].name);
          if (r > 0)
            us[r - 1][s] = (t1 - t0) / 1000.0 / (double) b.frames;
        }
    }

  FILE *out = csv ? fopen (csv, "w") : stdout;
  if (!out)
    {
      perror (csv);
      return 1;
    }
  fprintf (out, "stage,frames_per_round,rounds,bitrate,median_us_per_frame,"
           "p10_us,p90_us,min_us,ratio_to_session_total\n");
  double med[N_STAGES], light = 0, quality = 0;
  double *col = calloc (rounds, sizeof *col);
  if (!col)
    return 1;
  for (size_t s = 0; s < N_STAGES; s++)
    {
      for (size_t r = 0; r < rounds; r++)
        col[r] = us[r][s];
      qsort (col, rounds, sizeof col[0], cmp_double);
      med[s] = percentile (col, rounds, 50);
      if (stages[s].totals & IN_LIGHT)
        light += med[s];
      if (stages[s].totals & IN_QUALITY)
        quality += med[s];
    }
  for (size_t s = 0; s < N_STAGES; s++)
    {
      for (size_t r = 0; r < rounds; r++)
        col[r] = us[r][s];
      qsort (col, rounds, sizeof col[0], cmp_double);
      /* Quality-only stages against their own total, the rest against
       * the light (headline) one. */
      double total = stages[s].totals == IN_QUALITY ? quality : light;
      fprintf (out, "%s,%zu,%zu,%d,%.3f,%.3f,%.3f,%.3f,%.4f\n",
               stages[s].name, b.frames, rounds, bitrate, med[s],
               percentile (col, rounds, 10), percentile (col, rounds, 90),
               col[0], total > 0 ? med[s] / total : 0);
    }
  /* The sums of the medians: one session's media work per 20 ms frame
   * (send one way, receive the other), and how many such sessions a core
   * could hold if nothing else cost. */
  fprintf (out, "total_per_session,%zu,%zu,%d,%.3f,,,,1\n", b.frames, rounds,
           bitrate, light);
  fprintf (out, "quality_total_per_session,%zu,%zu,%d,%.3f,,,,1\n", b.frames,
           rounds, bitrate, quality);
  if (out != stdout)
    fclose (out);
  fprintf (stderr, "bench-media-frame: CPU per session per 20 ms frame: %.1f us "
           "at the light profile (ceiling %.0f sessions per core), %.1f us at "
           "the quality profile (ceiling %.0f)%s\n", light,
           light > 0 ? 20000.0 / light : 0, quality,
           quality > 0 ? 20000.0 / quality : 0,
           b.failures ? " -- SOME OPERATIONS FAILED" : "");
  free (col);
  free (us);
  teardown (&b);
  return b.failures ? 1 : 0;
}
