/* bench-media-frame: CPU cost of each stage of the media path, per 20 ms
 * frame, in one process.
 *
 * Stages: Opus encode, Opus decode, SRTP protect, SRTP unprotect, jitter
 * buffer (RTP parse, put one packet, get one frame). Each stage is its own
 * non-inlined function so that callgrind can count its instructions alone
 * (--toggle-collect=stage_<name>; bench/run-media.py does that).
 *
 * The machine is shared and noisy, so the stages take turns: each round
 * runs every stage once over the same block of frames, and the figures are
 * the median (and p10/p90) over rounds of the thread CPU time
 * (CLOCK_THREAD_CPUTIME_ID) per frame. Ratios between stages come from the
 * same rounds.
 *
 * What-if stages (not in the per-call total): the same encoder settings
 * as media/codec-opus.c (VOIP, in-band FEC, 5 % expected loss, DTX,
 * 32 kbit/s, voice) on a bare libopus encoder at complexity 5 and 1, to
 * show what the encoder's complexity (libopus default 10, which
 * media_codec keeps) costs.
 *
 * Usage: bench-media-frame [--rounds N] [--frames N] [--bitrate BPS]
 *                          [--csv FILE]
 * Writes one CSV row per stage (header included) to --csv or stdout. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <opus.h>

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
  uint8_t (*payload)[MEDIA_CODEC_MAX_PAYLOAD];
  size_t *payload_len;
  uint8_t (*packet)[PACKET_CAP];         /* RTP, then SRTP, then RTP again */
  size_t *packet_len;
  media_codec *enc, *dec;
  OpusEncoder *enc_c5, *enc_c1;          /* what-if encoders */
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

__attribute__((noinline)) static void
stage_opus_encode (bench *b)
{
  for (size_t f = 0; f < b->frames; f++)
    {
      int n = media_codec_encode (b->enc, b->pcm[f], b->payload[f],
                                  MEDIA_CODEC_MAX_PAYLOAD);
      if (n <= 0)
        b->failures++;
      b->payload_len[f] = n > 0 ? (size_t) n : 0;
    }
}

__attribute__((noinline)) static void
stage_opus_decode (bench *b)
{
  for (size_t f = 0; f < b->frames; f++)
    if (media_codec_decode (b->dec, b->payload[f], b->payload_len[f], b->out)
        != MEDIA_FRAME_SAMPLES)
      b->failures++;
}

static void
encode_bare (bench *b, OpusEncoder *enc)
{
  for (size_t f = 0; f < b->frames; f++)
    if (opus_encode (enc, b->pcm[f], MEDIA_FRAME_SAMPLES, b->scratch,
                     sizeof b->scratch) <= 0)
      b->failures++;
}

__attribute__((noinline)) static void
stage_opus_encode_c5 (bench *b)
{
  encode_bare (b, b->enc_c5);
}

__attribute__((noinline)) static void
stage_opus_encode_c1 (bench *b)
{
  encode_bare (b, b->enc_c1);
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

typedef struct
{
  const char *name;
  void (*run) (bench *b);
  bool what_if; /* not part of a call's total */
} stage;

static const stage stages[] = {
  { "opus_encode", stage_opus_encode },
  { "opus_decode", stage_opus_decode },
  { "srtp_protect", stage_srtp_protect },
  { "srtp_unprotect", stage_srtp_unprotect },
  { "jitter_buffer", stage_jitter_buffer },
  { "what_if_opus_encode_complexity_5", stage_opus_encode_c5, true },
  { "what_if_opus_encode_complexity_1", stage_opus_encode_c1, true },
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

/* The settings of media/codec-opus.c, at another complexity. */
static OpusEncoder *
bare_encoder (int bitrate, int complexity)
{
  int err;
  OpusEncoder *e = opus_encoder_create (MEDIA_SAMPLE_RATE, 1,
                                        OPUS_APPLICATION_VOIP, &err);
  if (e && (opus_encoder_ctl (e, OPUS_SET_INBAND_FEC (1)) != OPUS_OK
            || opus_encoder_ctl (e, OPUS_SET_PACKET_LOSS_PERC (5)) != OPUS_OK
            || opus_encoder_ctl (e, OPUS_SET_DTX (1)) != OPUS_OK
            || opus_encoder_ctl (e, OPUS_SET_BITRATE (bitrate)) != OPUS_OK
            || opus_encoder_ctl (e, OPUS_SET_SIGNAL (OPUS_SIGNAL_VOICE)) != OPUS_OK
            || opus_encoder_ctl (e, OPUS_SET_COMPLEXITY (complexity)) != OPUS_OK))
    {
      opus_encoder_destroy (e);
      return NULL;
    }
  return e;
}

static int
setup (bench *b, int bitrate)
{
  b->pcm = calloc (b->frames, sizeof *b->pcm);
  b->payload = calloc (b->frames, sizeof *b->payload);
  b->payload_len = calloc (b->frames, sizeof *b->payload_len);
  b->packet = calloc (b->frames, sizeof *b->packet);
  b->packet_len = calloc (b->frames, sizeof *b->packet_len);
  b->enc = media_codec_new (MEDIA_CODEC_OPUS);
  b->dec = media_codec_new (MEDIA_CODEC_OPUS);
  b->rtp = media_rtp_sender_new (48000);
  b->enc_c5 = bare_encoder (bitrate, 5);
  b->enc_c1 = bare_encoder (bitrate, 1);
  media_jb_config jc = { .clock_rate = 48000, .frame_samples = 960,
                         .min_delay_ms = 40 };
  b->jb = media_jb_new (&jc);
  if (!b->pcm || !b->payload || !b->payload_len || !b->packet
      || !b->packet_len || !b->enc || !b->dec || !b->rtp || !b->jb || !b->enc_c5
      || !b->enc_c1)
    return -ENOMEM;
  if (media_codec_set_bitrate (b->enc, bitrate) < 0)
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
  if (b->enc_c5)
    opus_encoder_destroy (b->enc_c5);
  if (b->enc_c1)
    opus_encoder_destroy (b->enc_c1);
  free (b->pcm);
  free (b->payload);
  free (b->payload_len);
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
          if (s == 2)
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
           "p10_us,p90_us,min_us,ratio_to_call_total\n");
  double med[N_STAGES], total = 0;
  double *col = calloc (rounds, sizeof *col);
  if (!col)
    return 1;
  for (size_t s = 0; s < N_STAGES; s++)
    {
      for (size_t r = 0; r < rounds; r++)
        col[r] = us[r][s];
      qsort (col, rounds, sizeof col[0], cmp_double);
      med[s] = percentile (col, rounds, 50);
      if (!stages[s].what_if)
        total += med[s];
    }
  for (size_t s = 0; s < N_STAGES; s++)
    {
      for (size_t r = 0; r < rounds; r++)
        col[r] = us[r][s];
      qsort (col, rounds, sizeof col[0], cmp_double);
      fprintf (out, "%s,%zu,%zu,%d,%.3f,%.3f,%.3f,%.3f,%.4f\n",
               stages[s].name, b.frames, rounds, bitrate, med[s],
               percentile (col, rounds, 10), percentile (col, rounds, 90),
               col[0], total > 0 ? med[s] / total : 0);
    }
  /* The sum of the medians: one call's media work per 20 ms frame, both
   * ways, and how many such calls a core could hold if nothing else cost. */
  fprintf (out, "total_per_call,%zu,%zu,%d,%.3f,,,,1\n", b.frames, rounds,
           bitrate, total);
  if (out != stdout)
    fclose (out);
  fprintf (stderr, "bench-media-frame: %.1f us of CPU per call per 20 ms frame "
           "(ceiling %.0f calls per core)%s\n", total,
           total > 0 ? 20000.0 / total : 0,
           b.failures ? " -- SOME OPERATIONS FAILED" : "");
  free (col);
  free (us);
  teardown (&b);
  return b.failures ? 1 : 0;
}
