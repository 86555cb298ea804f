/* libFuzzer target for media/'s packet path: demux, the RTP parser (what
 * parses must pack back to the same bytes, padding aside), the RTCP walker
 * and validator (reports re-written and re-parsed), the a=crypto parser
 * (parse, format, parse again), SRTP/SRTCP unprotect with a fixed key,
 * and the jitter buffer driven by the input as a script of arrivals and
 * pulls. */
#include "config.h"

#include "media/demux.h"
#include "media/jitter-buffer.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/srtp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

static void
check_rtp (const uint8_t *data, size_t len)
{
  media_rtp_packet p;
  if (media_rtp_parse (data, len, &p) < 0)
    return;
  uint8_t *out = malloc (len);
  if (out == NULL)
    return;
  int n = media_rtp_pack (&p, out, len);
  if (n != (int) len)
    abort ();
  /* Padding bytes other than the count are not ours to reproduce. */
  size_t same = len - p.padding_len;
  if (memcmp (out, data, same) != 0
      || (p.padding_len && out[len - 1] != data[len - 1]))
    abort ();
  free (out);
}

static void
check_rtcp (const uint8_t *data, size_t len)
{
  static media_rtcp_packet pkt, again;
  media_rtcp_validate (data, len);
  size_t off = 0;
  while (media_rtcp_next (data, len, &off, &pkt) == 1)
    {
      if (off > len)
        abort ();
      if (pkt.type != MEDIA_RTCP_SR && pkt.type != MEDIA_RTCP_RR)
        continue;
      uint8_t buf[8 + 20 + 24 * MEDIA_RTCP_MAX_BLOCKS];
      media_rtcp_writer w;
      media_rtcp_writer_init (&w, buf, sizeof buf);
      media_rtcp_write_report (&w, &pkt.u.report);
      int n = media_rtcp_writer_finish (&w);
      size_t o2 = 0;
      if (n < 0 || media_rtcp_next (buf, (size_t) n, &o2, &again) != 1)
        abort ();
      const media_rtcp_report *a = &pkt.u.report, *b = &again.u.report;
      if (a->ssrc != b->ssrc || a->n_blocks != b->n_blocks
          || a->ntp != b->ntp || a->rtp_ts != b->rtp_ts)
        abort ();
      for (unsigned i = 0; i < a->n_blocks; i++)
        if (memcmp (&a->blocks[i], &b->blocks[i], sizeof a->blocks[i]) != 0)
          abort ();
    }
}

static void
check_crypto (const uint8_t *data, size_t len)
{
  media_srtp_crypto c, d;
  if (media_srtp_crypto_parse ((const char *) data, len, &c) < 0)
    return;
  char line[MEDIA_SRTP_CRYPTO_LINE_MAX];
  int n = media_srtp_crypto_format (&c, line, sizeof line);
  if (n < 0 || media_srtp_crypto_parse (line, (size_t) n, &d) < 0)
    abort ();
  if (c.tag != d.tag || c.suite != d.suite || c.lifetime != d.lifetime
      || c.key_salt_len != d.key_salt_len
      || memcmp (c.key_salt, d.key_salt, c.key_salt_len) != 0)
    abort ();
}

/* SRTP/SRTCP unprotect of arbitrary bytes with a fixed key (each suite in
 * turn), in an exact-size copy: must fail cleanly or return a length
 * inside the input. */
static void
check_srtp (const uint8_t *data, size_t len)
{
  static media_srtp *s[3];
  if (s[0] == NULL)
    for (int i = 0; i < 3; i++)
      {
        media_srtp_crypto c = { .tag = 1, .suite = (media_srtp_suite) i };
        c.key_salt_len = media_srtp_suite_key_salt_len (c.suite);
        memset (c.key_salt, 0x5a, c.key_salt_len);
        int err;
        s[i] = media_srtp_new (&c, &c, &err);
        if (s[i] == NULL)
          abort ();
      }
  if (len == 0)
    return;
  media_srtp *ctx = s[data[0] % 3];
  uint8_t *copy = malloc (len);
  if (copy == NULL)
    return;
  memcpy (copy, data, len);
  int n = media_demux_classify (data, len) == MEDIA_DEMUX_RTCP
            ? media_srtp_unprotect_rtcp (ctx, copy, len)
            : media_srtp_unprotect_rtp (ctx, copy, len);
  if (n > (int) len)
    abort ();
  free (copy);
}

/* Records of 6 bytes: a clock step, then a pull (high bit of the first
 * byte) or an arrival with a sequence and timestamp step. */
static void
drive_jitter_buffer (const uint8_t *data, size_t len)
{
  media_jb_config cfg = { .clock_rate = 48000, .frame_samples = 960,
                          .capacity = 16, .max_payload = 8 };
  media_jb *jb = media_jb_new (&cfg);
  if (jb == NULL)
    return;
  uint64_t now = 1000000;
  uint16_t seq = 0;
  uint32_t ts = 0;
  for (size_t i = 0; i + 6 <= len; i += 6)
    {
      const uint8_t *r = data + i;
      now += (uint64_t) (r[0] & 0x7f) * 1000;
      if (r[0] & 0x80)
        {
          media_jb_frame f;
          media_jb_get (jb, now, &f);
          if (f.kind == MEDIA_JB_FRAME && f.payload_len > 8)
            abort ();
        }
      else
        {
          seq = (uint16_t) (seq + (int8_t) r[1]);
          ts += (uint32_t) (int16_t) (r[2] << 8 | r[3]) * 48u;
          size_t plen = r[5] % 10; /* up to 9: some are too big */
          if (plen > len - i)
            plen = len - i;
          media_jb_put (jb, now, seq, ts, r[4] & 1, r, plen);
        }
    }
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  media_jb_free (jb);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  media_demux_classify (data, len);
  check_rtp (data, len);
  check_rtcp (data, len);
  check_crypto (data, len);
  check_srtp (data, len);
  drive_jitter_buffer (data, len);
  return 0;
}
