/* RTP and RTCP codecs, truncations and garbage, sequence arithmetic,
 * receiver statistics against answers computed here independently, SSRC
 * collisions, RTT, and RFC 7983 demultiplexing. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/demux.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "check-run.h"

/* Deterministic generator so failures reproduce. */
static uint64_t rng_state;

static uint32_t
rng (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t) (rng_state >> 16);
}

/* An exact-size heap copy, so ASan catches any read past len. */
static uint8_t *
dup_exact (const uint8_t *data, size_t len)
{
  uint8_t *p = malloc (len ? len : 1);
  ck_assert_ptr_nonnull (p);
  if (len)
    memcpy (p, data, len);
  return p;
}

/* ---- RTP header ---------------------------------------------------------- */

static void
fill_packet (media_rtp_packet *p, uint8_t *ext, uint8_t *payload,
             unsigned cc, size_t ext_len, size_t payload_len, uint8_t pad)
{
  memset (p, 0, sizeof *p);
  p->marker = (cc & 1) != 0;
  p->payload_type = (uint8_t) (96 + cc);
  p->seq = (uint16_t) (65530 + cc);
  p->timestamp = 0xfffffff0u + cc;
  p->ssrc = 0xdeadbeef;
  p->csrc_count = (uint8_t) cc;
  for (unsigned i = 0; i < cc; i++)
    p->csrc[i] = 0x01020300u + i;
  if (ext_len != (size_t) -1)
    {
      p->has_extension = true;
      p->ext_profile = 0xbede;
      for (size_t i = 0; i < ext_len; i++)
        ext[i] = (uint8_t) (i * 7 + 1);
      p->ext_data = ext;
      p->ext_len = ext_len;
    }
  for (size_t i = 0; i < payload_len; i++)
    payload[i] = (uint8_t) (i ^ 0xa5);
  p->payload = payload;
  p->payload_len = payload_len;
  p->padding_len = pad;
}

static void
assert_same_packet (const media_rtp_packet *a, const media_rtp_packet *b)
{
  ck_assert_int_eq (a->marker, b->marker);
  ck_assert_uint_eq (a->payload_type, b->payload_type);
  ck_assert_uint_eq (a->seq, b->seq);
  ck_assert_uint_eq (a->timestamp, b->timestamp);
  ck_assert_uint_eq (a->ssrc, b->ssrc);
  ck_assert_uint_eq (a->csrc_count, b->csrc_count);
  for (unsigned i = 0; i < a->csrc_count; i++)
    ck_assert_uint_eq (a->csrc[i], b->csrc[i]);
  ck_assert_int_eq (a->has_extension, b->has_extension);
  if (a->has_extension)
    {
      ck_assert_uint_eq (a->ext_profile, b->ext_profile);
      ck_assert_uint_eq (a->ext_len, b->ext_len);
      ck_assert_mem_eq (a->ext_data, b->ext_data, a->ext_len);
    }
  ck_assert_uint_eq (a->payload_len, b->payload_len);
  if (a->payload_len)
    ck_assert_mem_eq (a->payload, b->payload, a->payload_len);
  ck_assert_uint_eq (a->padding_len, b->padding_len);
}

START_TEST (test_rtp_round_trip)
{
  uint8_t ext[64], payload[200], buf[1024];
  const size_t ext_lens[] = { (size_t) -1, 0, 4, 60 };
  const uint8_t pads[] = { 0, 1, 4, 255 };
  for (unsigned cc = 0; cc <= MEDIA_RTP_MAX_CSRC; cc += 5)
    for (size_t e = 0; e < 4; e++)
      for (size_t pd = 0; pd < 4; pd++)
        for (size_t pl = 0; pl <= 160; pl += 160)
          {
            media_rtp_packet in, out;
            fill_packet (&in, ext, payload, cc, ext_lens[e], pl, pads[pd]);
            int n = media_rtp_pack (&in, buf, sizeof buf);
            int want = 12 + 4 * (int) cc
                       + (ext_lens[e] == (size_t) -1 ? 0 : 4 + (int) ext_lens[e])
                       + (int) pl + pads[pd];
            ck_assert_int_eq (n, want);
            ck_assert_int_eq (media_rtp_packed_len (&in), want);
            ck_assert_uint_eq (buf[0] >> 6, 2);
            ck_assert_int_eq (media_rtp_parse (buf, (size_t) n, &out), 0);
            assert_same_packet (&in, &out);
            /* Too small a buffer is refused, never overrun. */
            ck_assert_int_eq (media_rtp_pack (&in, buf, (size_t) n - 1),
                              -ENOBUFS);
          }
}
END_TEST

START_TEST (test_rtp_pack_invalid)
{
  uint8_t ext[8], payload[8], buf[128];
  media_rtp_packet p;
  fill_packet (&p, ext, payload, 0, 4, 8, 0);
  p.ext_len = 6; /* not a multiple of 4 */
  ck_assert_int_eq (media_rtp_pack (&p, buf, sizeof buf), -EINVAL);
  fill_packet (&p, ext, payload, 0, (size_t) -1, 8, 0);
  p.payload_type = 128;
  ck_assert_int_eq (media_rtp_pack (&p, buf, sizeof buf), -EINVAL);
  fill_packet (&p, ext, payload, 0, (size_t) -1, 8, 0);
  p.csrc_count = 16;
  ck_assert_int_eq (media_rtp_pack (&p, buf, sizeof buf), -EINVAL);
}
END_TEST

START_TEST (test_rtp_parse_rejects)
{
  uint8_t b[16] = { 0x80, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 9 };
  media_rtp_packet p;
  ck_assert_int_eq (media_rtp_parse (b, 16, &p), 0);
  ck_assert_uint_eq (p.payload_len, 4);
  b[0] = 0x40; /* version 1 */
  ck_assert_int_eq (media_rtp_parse (b, 16, &p), -EBADMSG);
  b[0] = 0xa0; /* padding with a zero count */
  b[15] = 0;
  ck_assert_int_eq (media_rtp_parse (b, 16, &p), -EBADMSG);
  b[15] = 5; /* padding longer than the payload */
  ck_assert_int_eq (media_rtp_parse (b, 16, &p), -EBADMSG);
  b[15] = 4; /* padding eating the whole payload is fine */
  ck_assert_int_eq (media_rtp_parse (b, 16, &p), 0);
  ck_assert_uint_eq (p.payload_len, 0);
  b[0] = 0x90; /* extension header claims 2 words, 0 present */
  b[12] = 0xbe, b[13] = 0xde, b[14] = 0, b[15] = 2;
  ck_assert_int_eq (media_rtp_parse (b, 16, &p), -EBADMSG);
  b[0] = 0x81; /* one CSRC, no room for payload is fine */
  ck_assert_int_eq (media_rtp_parse (b, 16, &p), 0);
  b[0] = 0x82; /* two CSRCs, room for one */
  ck_assert_int_eq (media_rtp_parse (b, 16, &p), -EBADMSG);
}
END_TEST

/* Every truncation of a full-featured packet: parse fails below the header
 * and, where it succeeds, everything it reports lies inside the copy. */
START_TEST (test_rtp_truncations)
{
  uint8_t ext[8], payload[40], buf[256];
  media_rtp_packet in;
  fill_packet (&in, ext, payload, 3, 8, 40, 0);
  int n = media_rtp_pack (&in, buf, sizeof buf);
  ck_assert_int_gt (n, 0);
  size_t header = 12 + 3 * 4 + 4 + 8;
  for (size_t len = 0; len < (size_t) n; len++)
    {
      uint8_t *copy = dup_exact (buf, len);
      media_rtp_packet out;
      int r = media_rtp_parse (copy, len, &out);
      if (len < header)
        ck_assert_int_eq (r, -EBADMSG);
      else
        {
          /* Without padding a shorter datagram is a shorter payload. */
          ck_assert_int_eq (r, 0);
          ck_assert_uint_eq (out.payload_len, len - header);
          ck_assert_ptr_eq (out.payload, copy + header);
        }
      free (copy);
    }

  /* With padding, a truncated copy's last byte is read as the count. */
  fill_packet (&in, ext, payload, 3, 8, 40, 12);
  n = media_rtp_pack (&in, buf, sizeof buf);
  for (size_t len = 0; len < (size_t) n; len++)
    {
      uint8_t *copy = dup_exact (buf, len);
      media_rtp_packet out;
      int r = media_rtp_parse (copy, len, &out);
      if (len < header)
        ck_assert_int_eq (r, -EBADMSG);
      else if (r == 0)
        ck_assert_uint_eq (out.payload_len + out.padding_len, len - header);
      else
        ck_assert_int_eq (r, -EBADMSG);
      free (copy);
    }
}
END_TEST

START_TEST (test_rtp_garbage)
{
  rng_state = 0x1234567;
  unsigned parsed = 0;
  for (int i = 0; i < 20000; i++)
    {
      size_t len = rng () % 120;
      uint8_t *b = malloc (len ? len : 1);
      for (size_t k = 0; k < len; k++)
        b[k] = (uint8_t) rng ();
      if (len && (i & 1))
        b[0] = (uint8_t) (0x80 | (b[0] & 0x3f)); /* plausible version */
      media_rtp_packet p;
      if (media_rtp_parse (b, len, &p) == 0)
        {
          parsed++;
          ck_assert (p.payload >= b);
          ck_assert_uint_le ((size_t) (p.payload - b) + p.payload_len
                               + p.padding_len, len);
          /* What parses packs back to the same length. */
          ck_assert_int_eq (media_rtp_packed_len (&p), (int) len);
        }
      free (b);
    }
  ck_assert_uint_gt (parsed, 100);
}
END_TEST

START_TEST (test_seq_arithmetic)
{
  ck_assert_int_eq (media_rtp_seq_diff (0, 65535), 1);
  ck_assert_int_eq (media_rtp_seq_diff (65535, 0), -1);
  ck_assert_int_eq (media_rtp_seq_diff (100, 50), 50);
  ck_assert (media_rtp_seq_newer (2, 65530));
  ck_assert (!media_rtp_seq_newer (65530, 2));
  ck_assert (!media_rtp_seq_newer (7, 7));
  ck_assert_int_eq (media_rtp_ts_diff (960, 0xfffffc40u), 1920);
  ck_assert (media_rtp_ts_newer (5, 0xfffffff0u));
  ck_assert (!media_rtp_ts_newer (0xfffffff0u, 5));
}
END_TEST

/* ---- Receiver statistics -------------------------------------------------- */

#define RATE 8000
#define TS_STEP 160
/* 125 us is one 8 kHz tick, so arrival times are whole timestamp units. */
#define TICK_US 125

typedef struct
{
  uint16_t seq;
  uint32_t ts;
  uint64_t arrival_units;
} arrival;

/* A stream from seq 65000 across the wrap, with losses, swaps,
 * duplicates and jittered arrivals. Returns the number of arrivals. */
static size_t
make_stream (arrival *a, size_t max, size_t n_sent, unsigned *lost_set,
             uint32_t *highest_ext)
{
  size_t n = 0;
  uint32_t ts0 = 0xffff0000u;
  for (size_t i = 0; i < n_sent; i++)
    {
      uint32_t r = rng ();
      bool lose = i >= 2 && r % 17 == 0;
      lost_set[i] = lose;
      if (lose)
        continue;
      ck_assert_uint_lt (n, max);
      a[n].seq = (uint16_t) (65000 + i);
      a[n].ts = ts0 + (uint32_t) i * TS_STEP;
      a[n].arrival_units = 100000 + i * TS_STEP + (r >> 8) % 300;
      n++;
      if (i >= 2 && r % 23 == 0)
        {
          /* a duplicate a little later */
          a[n] = a[n - 1];
          a[n].arrival_units += 50;
          n++;
        }
    }
  /* Swap some neighbours (reordering), keeping the first two in place. */
  for (size_t i = 3; i + 1 < n; i += 29)
    {
      arrival t = a[i];
      a[i] = a[i + 1];
      a[i + 1] = t;
    }
  *highest_ext = 65000 + (uint32_t) n_sent - 1;
  /* If the last packets were lost the highest is lower. */
  while (lost_set[*highest_ext - 65000])
    (*highest_ext)--;
  return n;
}

START_TEST (test_source_stats_known_answers)
{
  enum { SENT = 3000 };
  static arrival a[2 * SENT];
  static unsigned lost_set[SENT];
  rng_state = 0xfeedface;
  uint32_t highest;
  size_t n = make_stream (a, 2 * SENT, SENT, lost_set, &highest);

  media_rtp_source *src = media_rtp_source_new (0x11223344, RATE);
  ck_assert_ptr_nonnull (src);

  /* Independent computation: A.1 starts counting at the second packet of
   * the probation run; jitter by the A.8 formula in floating point. */
  double jitter = 0;
  int64_t prev_transit = 0;
  uint32_t received = 0;
  size_t half = n / 2;
  uint32_t exp_at_half = 0, rec_at_half = 0;
  media_rtp_source_stats st;

  for (size_t i = 0; i < n; i++)
    {
      media_rtp_seq_result r
        = media_rtp_source_update (src, a[i].seq, a[i].ts,
                                   a[i].arrival_units * TICK_US);
      if (i == 0)
        ck_assert_int_eq (r, MEDIA_RTP_SEQ_PROBATION);
      else
        {
          ck_assert (r == MEDIA_RTP_SEQ_OK || r == MEDIA_RTP_SEQ_DUPLICATE);
          received++;
        }
      int64_t transit = (int64_t) (uint32_t) ((uint32_t) a[i].arrival_units
                                              - a[i].ts);
      if (i > 0)
        {
          double d = fabs ((double) (int32_t) (uint32_t) (transit - prev_transit));
          jitter += (d - jitter) / 16.0;
        }
      prev_transit = transit;

      if (i + 1 == half)
        {
          media_rtp_source_close_interval (src, &st);
          /* highest so far: unwrap the max seq among a[0..i] */
          uint32_t hi = 0;
          for (size_t k = 0; k <= i; k++)
            {
              uint32_t e = a[k].seq < 65000 ? a[k].seq + 65536u : a[k].seq;
              if (e > hi)
                hi = e;
            }
          exp_at_half = hi - 65001 + 1;
          rec_at_half = received;
          ck_assert_uint_eq (st.expected, exp_at_half);
          ck_assert_uint_eq (st.received, rec_at_half);
          int64_t lost = (int64_t) exp_at_half - rec_at_half;
          uint8_t frac = lost <= 0 ? 0 : (uint8_t) ((lost << 8) / exp_at_half);
          ck_assert_uint_eq (st.fraction_lost, frac);
        }
    }

  media_rtp_source_close_interval (src, &st);
  uint32_t expected = highest - 65001 + 1;
  ck_assert_uint_eq (st.ext_highest_seq, highest);
  ck_assert_uint_eq (st.expected, expected);
  ck_assert_uint_eq (st.received, received);
  ck_assert_int_eq (st.cumulative_lost, (int32_t) expected - (int32_t) received);
  int64_t e_int = expected - exp_at_half, r_int = received - rec_at_half;
  int64_t l_int = e_int - r_int;
  ck_assert_uint_eq (st.fraction_lost,
                     l_int <= 0 ? 0 : (uint8_t) ((l_int << 8) / e_int));
  ck_assert (st.duplicates > 0);
  ck_assert (fabs ((double) st.jitter - jitter) <= 2.0);
  ck_assert (jitter > 10); /* the stream really was jittery */
  ck_assert_uint_eq (st.jitter_us, st.jitter * 1000000u / RATE);
  media_rtp_source_free (src);
}
END_TEST

START_TEST (test_source_simple_loss)
{
  /* 1000 packets, every 10th after the first two lost: 10% loss. */
  media_rtp_source *src = media_rtp_source_new (1, RATE);
  unsigned got = 0;
  for (unsigned i = 0; i < 1002; i++)
    {
      if (i >= 2 && i % 10 == 0)
        continue;
      media_rtp_source_update (src, (uint16_t) (65530 + i), i * TS_STEP,
                               (uint64_t) i * 20000);
      got++;
    }
  media_rtp_source_stats st;
  media_rtp_source_close_interval (src, &st);
  /* base is the second packet (65531); highest 65530+1001 wrapped */
  ck_assert_uint_eq (st.ext_highest_seq, 65536u + (65530u + 1001u - 65536u));
  ck_assert_uint_eq (st.expected, 1001);
  ck_assert_uint_eq (st.received, got - 1);
  ck_assert_int_eq (st.cumulative_lost, 100);
  ck_assert_uint_eq (st.fraction_lost, 100 * 256 / 1001);
  ck_assert_uint_eq (st.jitter, 0); /* perfectly regular */
  /* A second interval with nothing new reports no loss. */
  media_rtp_source_close_interval (src, &st);
  ck_assert_uint_eq (st.fraction_lost, 0);
  media_rtp_source_free (src);
}
END_TEST

START_TEST (test_source_restart_and_bad)
{
  media_rtp_source *src = media_rtp_source_new (1, RATE);
  ck_assert_int_eq (media_rtp_source_update (src, 100, 0, 0),
                    MEDIA_RTP_SEQ_PROBATION);
  ck_assert_int_eq (media_rtp_source_update (src, 101, 160, 20000),
                    MEDIA_RTP_SEQ_OK);
  ck_assert_int_eq (media_rtp_source_update (src, 102, 320, 40000),
                    MEDIA_RTP_SEQ_OK);
  ck_assert_int_eq (media_rtp_source_update (src, 102, 320, 41000),
                    MEDIA_RTP_SEQ_DUPLICATE);
  /* A jump far outside the window: bad once ... */
  ck_assert_int_eq (media_rtp_source_update (src, 30000, 480, 60000),
                    MEDIA_RTP_SEQ_BAD);
  ck_assert_int_eq (media_rtp_source_update (src, 103, 480, 60000),
                    MEDIA_RTP_SEQ_OK);
  /* ... but the sender restarted if the next one follows it. */
  ck_assert_int_eq (media_rtp_source_update (src, 40000, 640, 80000),
                    MEDIA_RTP_SEQ_BAD);
  ck_assert_int_eq (media_rtp_source_update (src, 40001, 800, 100000),
                    MEDIA_RTP_SEQ_OK);
  media_rtp_source_stats st;
  media_rtp_source_stats_get (src, &st);
  ck_assert_uint_eq (st.expected, 1);
  ck_assert_uint_eq (st.received, 1);
  ck_assert_uint_eq (st.bad, 2);
  ck_assert_uint_eq (st.duplicates, 1);
  media_rtp_source_free (src);
}
END_TEST

START_TEST (test_source_probation)
{
  /* A.1: a new source needs MIN_SEQUENTIAL (2) packets in a row; a break
   * restarts the count from the packet that broke it. */
  media_rtp_source *src = media_rtp_source_new (1, RATE);
  ck_assert_int_eq (media_rtp_source_update (src, 100, 0, 0),
                    MEDIA_RTP_SEQ_PROBATION);
  ck_assert_int_eq (media_rtp_source_update (src, 200, 0, 0),
                    MEDIA_RTP_SEQ_PROBATION);
  ck_assert_int_eq (media_rtp_source_update (src, 201, 0, 0),
                    MEDIA_RTP_SEQ_OK);
  media_rtp_source_stats st;
  media_rtp_source_stats_get (src, &st);
  ck_assert_uint_eq (st.ext_highest_seq, 201);
  ck_assert_uint_eq (st.expected, 1);
  media_rtp_source_free (src);

  /* Nothing validated yet: nothing expected, nothing lost. */
  src = media_rtp_source_new (2, RATE);
  media_rtp_source_update (src, 5, 0, 0);
  media_rtp_source_close_interval (src, &st);
  ck_assert_uint_eq (st.expected, 0);
  ck_assert_int_eq (st.cumulative_lost, 0);
  ck_assert_uint_eq (st.fraction_lost, 0);
  media_rtp_source_free (src);
}
END_TEST

/* ---- Sender -------------------------------------------------------------- */

START_TEST (test_sender)
{
  media_rtp_sender *s = media_rtp_sender_new (48000);
  ck_assert_ptr_nonnull (s);
  media_rtp_sender_info info;
  media_rtp_sender_info_get (s, &info);
  uint16_t seq0 = info.next_seq;
  uint32_t base = info.ts_base;
  uint8_t payload[10] = { 1, 2, 3 }, buf[64];
  for (uint32_t i = 0; i < 70000; i++)
    {
      int n = media_rtp_sender_pack (s, 111, i == 0, i * 960, payload,
                                     sizeof payload, buf, sizeof buf);
      ck_assert_int_eq (n, 22);
      if (i == 0 || i == 69999)
        {
          media_rtp_packet p;
          ck_assert_int_eq (media_rtp_parse (buf, (size_t) n, &p), 0);
          ck_assert_uint_eq (p.seq, (uint16_t) (seq0 + i));
          ck_assert_uint_eq (p.timestamp, base + i * 960);
          ck_assert_uint_eq (p.ssrc, info.ssrc);
          ck_assert_int_eq (p.marker, i == 0);
          ck_assert_uint_eq (p.payload_type, 111);
        }
    }
  media_rtp_sender_info_get (s, &info);
  ck_assert_uint_eq (info.packets, 70000);
  ck_assert_uint_eq (info.octets, 700000);
  ck_assert_int_eq (media_rtp_sender_pack (s, 111, false, 0, payload,
                                           sizeof payload, buf, 21),
                    -ENOBUFS);

  uint32_t old = 0;
  ck_assert (!media_rtp_sender_check_collision (s, info.ssrc + 1, &old));
  ck_assert (media_rtp_sender_check_collision (s, info.ssrc, &old));
  ck_assert_uint_eq (old, info.ssrc);
  media_rtp_sender_info info2;
  media_rtp_sender_info_get (s, &info2);
  ck_assert_uint_ne (info2.ssrc, info.ssrc);
  ck_assert_uint_eq (info2.packets, 0);
  ck_assert_uint_eq (info2.next_seq, info.next_seq);
  media_rtp_sender_free (s);

  /* Two senders practically never pick the same SSRC. */
  media_rtp_sender *a = media_rtp_sender_new (8000);
  media_rtp_sender *b = media_rtp_sender_new (8000);
  media_rtp_sender_info ia, ib;
  media_rtp_sender_info_get (a, &ia);
  media_rtp_sender_info_get (b, &ib);
  ck_assert (ia.ssrc != ib.ssrc || ia.ts_base != ib.ts_base);
  media_rtp_sender_free (a);
  media_rtp_sender_free (b);
}
END_TEST

/* ---- RTCP ------------------------------------------------------------------ */

static void
make_report (media_rtcp_report *r, bool sr, unsigned blocks)
{
  memset (r, 0, sizeof *r);
  r->ssrc = 0xcafe0001;
  r->has_sender_info = sr;
  r->ntp = 0xe1234567890abcdeULL;
  r->rtp_ts = 0x87654321;
  r->packet_count = 1000;
  r->octet_count = 160000;
  r->n_blocks = (uint8_t) blocks;
  for (unsigned i = 0; i < blocks; i++)
    {
      media_rtcp_report_block *b = &r->blocks[i];
      b->ssrc = 0xb0000000u + i;
      b->fraction_lost = (uint8_t) (i * 9);
      b->cumulative_lost = i % 2 ? -(int32_t) i : (int32_t) (i * 1000);
      b->ext_highest_seq = 0x10000u * i + 5;
      b->jitter = 33 * i;
      b->lsr = 0x12345678 + i;
      b->dlsr = 0x10000 * i;
    }
}

static void
assert_same_report (const media_rtcp_report *a, const media_rtcp_report *b)
{
  ck_assert_uint_eq (a->ssrc, b->ssrc);
  ck_assert_int_eq (a->has_sender_info, b->has_sender_info);
  if (a->has_sender_info)
    {
      ck_assert_uint_eq (a->ntp, b->ntp);
      ck_assert_uint_eq (a->rtp_ts, b->rtp_ts);
      ck_assert_uint_eq (a->packet_count, b->packet_count);
      ck_assert_uint_eq (a->octet_count, b->octet_count);
    }
  ck_assert_uint_eq (a->n_blocks, b->n_blocks);
  for (unsigned i = 0; i < a->n_blocks; i++)
    {
      const media_rtcp_report_block *x = &a->blocks[i], *y = &b->blocks[i];
      ck_assert_uint_eq (x->ssrc, y->ssrc);
      ck_assert_uint_eq (x->fraction_lost, y->fraction_lost);
      ck_assert_int_eq (x->cumulative_lost, y->cumulative_lost);
      ck_assert_uint_eq (x->ext_highest_seq, y->ext_highest_seq);
      ck_assert_uint_eq (x->jitter, y->jitter);
      ck_assert_uint_eq (x->lsr, y->lsr);
      ck_assert_uint_eq (x->dlsr, y->dlsr);
    }
}

/* SR (2 blocks) + SDES CNAME + BYE with reason; boundaries[] gets the
 * offset after each packet. */
static int
build_compound (uint8_t *buf, size_t cap, size_t boundaries[3])
{
  media_rtcp_report r;
  make_report (&r, true, 2);
  media_rtcp_writer w;
  media_rtcp_writer_init (&w, buf, cap);
  media_rtcp_write_report (&w, &r);
  boundaries[0] = w.len;
  media_rtcp_write_sdes_cname (&w, r.ssrc, "alice@floe.example");
  boundaries[1] = w.len;
  uint32_t ssrcs[2] = { r.ssrc, 0x42 };
  media_rtcp_write_bye (&w, ssrcs, 2, "hangup");
  boundaries[2] = w.len;
  return media_rtcp_writer_finish (&w);
}

START_TEST (test_rtcp_compound_round_trip)
{
  uint8_t buf[512];
  size_t bounds[3];
  int n = build_compound (buf, sizeof buf, bounds);
  ck_assert_int_eq (n, 28 + 48 + (4 + 4 + 2 + 18 + 1 + 3) + (4 + 8 + 8));
  ck_assert_int_eq (n % 4, 0);
  ck_assert_int_eq (media_rtcp_validate (buf, (size_t) n), 0);

  media_rtcp_report want;
  make_report (&want, true, 2);
  media_rtcp_packet p;
  size_t off = 0;
  ck_assert_int_eq (media_rtcp_next (buf, (size_t) n, &off, &p), 1);
  ck_assert_uint_eq (p.type, MEDIA_RTCP_SR);
  assert_same_report (&want, &p.u.report);
  ck_assert_int_eq (media_rtcp_next (buf, (size_t) n, &off, &p), 1);
  ck_assert_uint_eq (p.type, MEDIA_RTCP_SDES);
  ck_assert_uint_eq (p.u.sdes.n_chunks, 1);
  ck_assert_uint_eq (p.u.sdes.chunks[0].ssrc, want.ssrc);
  ck_assert_uint_eq (p.u.sdes.chunks[0].cname_len, 18);
  ck_assert_mem_eq (p.u.sdes.chunks[0].cname, "alice@floe.example", 18);
  ck_assert_int_eq (media_rtcp_next (buf, (size_t) n, &off, &p), 1);
  ck_assert_uint_eq (p.type, MEDIA_RTCP_BYE);
  ck_assert_uint_eq (p.u.bye.n_ssrcs, 2);
  ck_assert_uint_eq (p.u.bye.ssrcs[1], 0x42);
  ck_assert_uint_eq (p.u.bye.reason_len, 6);
  ck_assert_mem_eq (p.u.bye.reason, "hangup", 6);
  ck_assert_int_eq (media_rtcp_next (buf, (size_t) n, &off, &p), 0);
  ck_assert_uint_eq (off, (size_t) n);
}
END_TEST

START_TEST (test_rtcp_reports)
{
  uint8_t buf[1024];
  for (unsigned blocks = 0; blocks <= MEDIA_RTCP_MAX_BLOCKS; blocks += 31)
    for (int sr = 0; sr < 2; sr++)
      {
        media_rtcp_report r;
        make_report (&r, sr, blocks);
        media_rtcp_writer w;
        media_rtcp_writer_init (&w, buf, sizeof buf);
        ck_assert_int_eq (media_rtcp_write_report (&w, &r), 0);
        int n = media_rtcp_writer_finish (&w);
        ck_assert_int_eq (n, 8 + (sr ? 20 : 0) + 24 * (int) blocks);
        ck_assert_uint_eq (buf[1], sr ? 200 : 201);
        media_rtcp_packet p;
        size_t off = 0;
        ck_assert_int_eq (media_rtcp_next (buf, (size_t) n, &off, &p), 1);
        assert_same_report (&r, &p.u.report);
      }

  /* Cumulative loss is clamped to 24 signed bits on the wire. */
  media_rtcp_report r;
  make_report (&r, false, 2);
  r.blocks[0].cumulative_lost = 100000000;
  r.blocks[1].cumulative_lost = -100000000;
  media_rtcp_writer w;
  media_rtcp_writer_init (&w, buf, sizeof buf);
  media_rtcp_write_report (&w, &r);
  int n = media_rtcp_writer_finish (&w);
  media_rtcp_packet p;
  size_t off = 0;
  ck_assert_int_eq (media_rtcp_next (buf, (size_t) n, &off, &p), 1);
  ck_assert_int_eq (p.u.report.blocks[0].cumulative_lost, 0x7fffff);
  ck_assert_int_eq (p.u.report.blocks[1].cumulative_lost, -0x800000);

  /* Writer errors stick. */
  media_rtcp_writer_init (&w, buf, 20);
  make_report (&r, true, 0);
  ck_assert_int_eq (media_rtcp_write_report (&w, &r), -ENOBUFS);
  ck_assert_int_eq (media_rtcp_write_bye (&w, NULL, 0, NULL), -ENOBUFS);
  ck_assert_int_eq (media_rtcp_writer_finish (&w), -ENOBUFS);
  char longname[300];
  memset (longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  media_rtcp_writer_init (&w, buf, sizeof buf);
  ck_assert_int_eq (media_rtcp_write_sdes_cname (&w, 1, longname), -EINVAL);
  longname[255] = '\0';
  media_rtcp_writer_init (&w, buf, sizeof buf);
  ck_assert_int_eq (media_rtcp_write_sdes_cname (&w, 1, longname), 0);
  n = media_rtcp_writer_finish (&w);
  off = 0;
  ck_assert_int_eq (media_rtcp_next (buf, (size_t) n, &off, &p), 1);
  ck_assert_uint_eq (p.u.sdes.chunks[0].cname_len, 255);
}
END_TEST

START_TEST (test_rtcp_truncations)
{
  uint8_t buf[512];
  size_t bounds[3];
  int n = build_compound (buf, sizeof buf, bounds);
  for (size_t len = 0; len < (size_t) n; len++)
    {
      uint8_t *copy = dup_exact (buf, len);
      int v = media_rtcp_validate (copy, len);
      /* Cut exactly after a packet, what is left is a valid compound. */
      bool at_boundary = len == bounds[0] || len == bounds[1];
      ck_assert_int_eq (v, at_boundary ? 0 : -EBADMSG);
      /* Walking never reads past the copy and ends in an error unless
       * the cut is on a boundary. */
      media_rtcp_packet p;
      size_t off = 0;
      int r;
      while ((r = media_rtcp_next (copy, len, &off, &p)) == 1)
        ck_assert_uint_le (off, len);
      ck_assert_int_eq (r, at_boundary || len == 0 ? 0 : -EBADMSG);
      free (copy);
    }
}
END_TEST

START_TEST (test_rtcp_malformed)
{
  uint8_t buf[512];
  size_t bounds[3];
  int n = build_compound (buf, sizeof buf, bounds);
  uint8_t c[512];

  memcpy (c, buf, (size_t) n);
  c[0] = (uint8_t) (c[0] | 0x20); /* padding bit on the first packet */
  ck_assert_int_eq (media_rtcp_validate (c, (size_t) n), -EBADMSG);

  memcpy (c, buf, (size_t) n);
  c[0] = (uint8_t) ((c[0] & 0x3f) | 0x40); /* version 1 */
  ck_assert_int_eq (media_rtcp_validate (c, (size_t) n), -EBADMSG);

  /* A compound must start with SR or RR. */
  ck_assert_int_eq (media_rtcp_validate (buf + bounds[0],
                                         (size_t) n - bounds[0]),
                    -EBADMSG);

  /* An SR claiming more report blocks than its length holds. */
  memcpy (c, buf, (size_t) n);
  c[0] = (uint8_t) ((c[0] & 0xe0) | 3);
  ck_assert_int_eq (media_rtcp_validate (c, (size_t) n), -EBADMSG);

  /* SDES whose item overruns its packet. */
  memcpy (c, buf, (size_t) n);
  c[bounds[0] + 9] = 200;
  ck_assert_int_eq (media_rtcp_validate (c, (size_t) n), -EBADMSG);

  /* BYE whose reason length overruns. */
  memcpy (c, buf, (size_t) n);
  c[bounds[1] + 12] = 50;
  ck_assert_int_eq (media_rtcp_validate (c, (size_t) n), -EBADMSG);

  /* A padded last packet with a valid count is fine; count 0 is not. */
  uint8_t rr[12] = { 0x80, 201, 0, 1, 0, 0, 0, 1 };
  uint8_t bye[8] = { 0xa1, 203, 0, 1, 0, 0, 0, 1 };
  uint8_t both[20];
  memcpy (both, rr, 8);
  memcpy (both + 8, bye, 8);
  ck_assert_int_eq (media_rtcp_validate (both, 16), -EBADMSG); /* pad 1 eats ssrc */
  uint8_t bye2[12] = { 0xa1, 203, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4 };
  memcpy (both + 8, bye2, 12);
  ck_assert_int_eq (media_rtcp_validate (both, 20), 0);
  both[19] = 0;
  ck_assert_int_eq (media_rtcp_validate (both, 20), -EBADMSG);
  /* A packet type outside 192..223 is not RTCP. */
  rr[1] = 150;
  ck_assert_int_eq (media_rtcp_validate (rr, 8), -EBADMSG);
  ck_assert_int_eq (media_rtcp_validate (rr, 0), -EBADMSG);
}
END_TEST

START_TEST (test_rtcp_sdes_chunks)
{
  /* RR, then SDES with two chunks: the first has NAME before CNAME and
   * ends exactly on a word boundary after its null item (so it needs
   * three more null octets), the second only a CNAME. */
  static const uint8_t pkt[] = {
    0x80, 201, 0, 1, 0, 0, 0, 9,                     /* RR, no blocks */
    0x82, 202, 0, 8,                                 /* SDES, SC=2, 9 words */
    0, 0, 0, 1,                                      /* chunk 1: SSRC 1 */
    2, 3, 'B', 'o', 'b',                             /* NAME "Bob" */
    1, 5, 'b', '@', 'x', '.', 'y',                   /* CNAME "b@x.y" */
    0, 0, 0, 0,                                      /* null + padding */
    0, 0, 0, 2,                                      /* chunk 2: SSRC 2 */
    1, 1, 'c', 0,                                    /* CNAME "c", null */
    0, 0, 0, 0,                                      /* padding */
  };
  ck_assert_uint_eq (sizeof pkt, 8 + 36);
  ck_assert_int_eq (media_rtcp_validate (pkt, sizeof pkt), 0);
  media_rtcp_packet p;
  size_t off = 8;
  ck_assert_int_eq (media_rtcp_next (pkt, sizeof pkt, &off, &p), 1);
  ck_assert_uint_eq (p.u.sdes.n_chunks, 2);
  ck_assert_uint_eq (p.u.sdes.chunks[0].ssrc, 1);
  ck_assert_uint_eq (p.u.sdes.chunks[0].cname_len, 5);
  ck_assert_mem_eq (p.u.sdes.chunks[0].cname, "b@x.y", 5);
  ck_assert_uint_eq (p.u.sdes.chunks[1].ssrc, 2);
  ck_assert_uint_eq (p.u.sdes.chunks[1].cname_len, 1);
  ck_assert_mem_eq (p.u.sdes.chunks[1].cname, "c", 1);

  /* Padding is only allowed on the last packet of a compound: RR, a
   * padded BYE, then the SDES. */
  static const uint8_t bye[12] = { 0xa1, 203, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4 };
  uint8_t c[sizeof pkt + sizeof bye];
  memcpy (c, pkt, 8);
  memcpy (c + 8, bye, sizeof bye);
  memcpy (c + 8 + sizeof bye, pkt + 8, sizeof pkt - 8);
  ck_assert_int_eq (media_rtcp_validate (c, sizeof c), -EBADMSG);
  c[8] = 0x81;          /* the same BYE unpadded: an empty reason, zeros */
  ck_assert_int_eq (media_rtcp_validate (c, sizeof c), 0);

  /* Padding that leaves the body off a word boundary: the first chunk's
   * null item is the body's last octet, its word padding would run into
   * the packet padding, and a second chunk is claimed. */
  static const uint8_t padded[16] = {
    0xa2, 202, 0, 3, 0, 0, 0, 1, 1, 2, 'a', 'b', 0, 0, 0, 3,
  };
  uint8_t *copy = dup_exact (padded, sizeof padded);
  off = 0;
  ck_assert_int_eq (media_rtcp_next (copy, sizeof padded, &off, &p),
                    -EBADMSG);
  free (copy);
}
END_TEST

START_TEST (test_rtcp_garbage)
{
  rng_state = 0xabcdef;
  unsigned ok = 0;
  for (int i = 0; i < 20000; i++)
    {
      size_t len = rng () % 100;
      uint8_t *b = malloc (len ? len : 1);
      for (size_t k = 0; k < len; k++)
        b[k] = (uint8_t) rng ();
      if (len >= 4 && (i & 1))
        {
          /* plausible headers: right version, a known type, a length that
           * fits, so the body parsers get exercised */
          b[0] = (uint8_t) (0x80 | (b[0] & 0x1f));
          b[1] = (uint8_t) (200 + b[1] % 5);
          uint16_t words = (uint16_t) (len / 4 - 1);
          b[2] = (uint8_t) (words >> 8);
          b[3] = (uint8_t) words;
        }
      media_rtcp_packet p;
      size_t off = 0;
      int r;
      while ((r = media_rtcp_next (b, len, &off, &p)) == 1)
        ck_assert_uint_le (off, len);
      if (media_rtcp_validate (b, len) == 0)
        ok++;
      free (b);
    }
  ck_assert_uint_gt (ok, 10);
}
END_TEST

START_TEST (test_rtt_and_report_block)
{
  /* Unix time 2026-11-21 12:00:00 and a bit. */
  uint64_t t_us = 1795262400ull * 1000000u + 250000;
  uint64_t ntp = media_rtcp_ntp_from_unix_us (t_us);
  ck_assert_uint_eq (ntp >> 32, 1795262400ull + 2208988800ull);
  ck_assert_uint_eq ((uint32_t) ntp, 0x40000000u); /* .25 s */
  ck_assert_uint_eq (media_rtcp_ntp_mid (ntp), (uint32_t) (ntp >> 16));

  /* The peer noted our SR at its time 5 s and reports 0.5 s later. */
  media_rtp_source *src = media_rtp_source_new (0x99, 48000);
  media_rtp_source_update (src, 1, 0, 5000000);
  media_rtp_source_update (src, 2, 960, 5020000);
  media_rtp_source_note_sr (src, ntp, 5000000);
  media_rtcp_report_block rb;
  media_rtcp_report_block_fill (&rb, src, 5500000);
  ck_assert_uint_eq (rb.ssrc, 0x99);
  ck_assert_uint_eq (rb.lsr, media_rtcp_ntp_mid (ntp));
  ck_assert_uint_eq (rb.dlsr, 32768); /* 0.5 s in 1/65536 s */
  ck_assert_uint_eq (rb.ext_highest_seq, 2);
  media_rtp_source_free (src);

  /* We get the RR 0.5 s + 80 ms after sending the SR: RTT 80 ms. */
  uint64_t rr_arrival = media_rtcp_ntp_from_unix_us (t_us + 580000);
  int64_t rtt = media_rtcp_rtt_us (rr_arrival, rb.lsr, rb.dlsr);
  ck_assert (llabs (rtt - 80000) <= 32); /* 16.16 resolution */
  ck_assert_int_eq (media_rtcp_rtt_us (rr_arrival, 0, rb.dlsr), -1);
  /* DLSR bigger than the elapsed time: clock trouble, no RTT. */
  ck_assert_int_eq (media_rtcp_rtt_us (rr_arrival, rb.lsr, 65536), -1);
}
END_TEST

/* Two endpoints over a virtual network with 37 ms one way: A streams RTP
 * and sends an SR; B answers 300 ms later with an RR built from its
 * receiver statistics; A's RTT from that block is the 74 ms round trip.
 * Every packet goes through the real packers and parsers. */
START_TEST (test_rtcp_round_trip_time)
{
  const uint64_t one_way = 37000;
  const uint64_t epoch_us = 1795262400ull * 1000000u; /* A's wall clock */
  media_rtp_sender *a = media_rtp_sender_new (48000);
  media_rtp_sender_info ai;
  media_rtp_sender_info_get (a, &ai);
  media_rtp_source *b_view = media_rtp_source_new (ai.ssrc, 48000);
  uint8_t pkt[256], payload[40] = { 0 };
  /* A.1 counts cycles from the first sequence number, random here. */
  uint32_t want_ext_highest = (uint32_t) ai.next_seq + 49;

  uint64_t t = 0;
  for (uint32_t i = 0; i < 50; i++, t += 20000)
    {
      int n = media_rtp_sender_pack (a, 111, false, i * 960, payload,
                                     sizeof payload, pkt, sizeof pkt);
      media_rtp_packet p;
      ck_assert_int_eq (media_rtp_parse (pkt, (size_t) n, &p), 0);
      media_rtp_source_update (b_view, p.seq, p.timestamp, t + one_way);
    }

  /* A's SR at t, B gets it one_way later. */
  media_rtp_sender_info_get (a, &ai);
  media_rtcp_report sr = { .ssrc = ai.ssrc, .has_sender_info = true,
                           .ntp = media_rtcp_ntp_from_unix_us (epoch_us + t),
                           .rtp_ts = ai.last_timestamp,
                           .packet_count = (uint32_t) ai.packets,
                           .octet_count = (uint32_t) ai.octets };
  media_rtcp_writer w;
  media_rtcp_writer_init (&w, pkt, sizeof pkt);
  media_rtcp_write_report (&w, &sr);
  media_rtcp_write_sdes_cname (&w, ai.ssrc, "a@test");
  int n = media_rtcp_writer_finish (&w);
  ck_assert_int_eq (media_rtcp_validate (pkt, (size_t) n), 0);
  media_rtcp_packet rp;
  size_t off = 0;
  ck_assert_int_eq (media_rtcp_next (pkt, (size_t) n, &off, &rp), 1);
  ck_assert_uint_eq (rp.u.report.packet_count, 50);
  ck_assert_uint_eq (rp.u.report.octet_count, 50 * sizeof payload);
  media_rtp_source_note_sr (b_view, rp.u.report.ntp, t + one_way);

  /* B's RR 300 ms after the SR arrived; A gets it one_way later. */
  uint64_t t_rr = t + one_way + 300000;
  media_rtcp_report rr = { .ssrc = 0xb0b, .n_blocks = 1 };
  media_rtcp_report_block_fill (&rr.blocks[0], b_view, t_rr);
  media_rtcp_writer_init (&w, pkt, sizeof pkt);
  media_rtcp_write_report (&w, &rr);
  n = media_rtcp_writer_finish (&w);
  off = 0;
  ck_assert_int_eq (media_rtcp_next (pkt, (size_t) n, &off, &rp), 1);
  const media_rtcp_report_block *blk = &rp.u.report.blocks[0];
  ck_assert_uint_eq (blk->ssrc, ai.ssrc);
  ck_assert_int_eq (blk->cumulative_lost, 0);
  ck_assert_uint_eq (blk->fraction_lost, 0);
  ck_assert_uint_eq (blk->jitter, 0);
  ck_assert_uint_eq (blk->ext_highest_seq, want_ext_highest);
  int64_t rtt = media_rtcp_rtt_us (
    media_rtcp_ntp_from_unix_us (epoch_us + t_rr + one_way), blk->lsr,
    blk->dlsr);
  ck_assert_msg (llabs (rtt - 2 * (int64_t) one_way) <= 40, "rtt %lld",
                 (long long) rtt);

  media_rtp_source_free (b_view);
  media_rtp_sender_free (a);
}
END_TEST

START_TEST (test_rtcp_interval)
{
  /* Two parties both sending, 250 octets/s of RTCP, 100-octet reports:
   * 0.8 s is under the 5 s minimum. */
  const double comp = exp (1.0) - 1.5;
  media_rtcp_interval_params p = { .members = 2, .senders = 2,
                                   .we_sent = true, .rtcp_bw = 250,
                                   .avg_rtcp_size = 100 };
  ck_assert (llabs ((int64_t) media_rtcp_interval_us (&p, 0.5)
                    - (int64_t) (5.0 / comp * 1e6)) <= 1);
  ck_assert (llabs ((int64_t) media_rtcp_interval_us (&p, 0.0)
                    - (int64_t) (2.5 / comp * 1e6)) <= 1);
  p.initial = true;
  ck_assert (llabs ((int64_t) media_rtcp_interval_us (&p, 0.5)
                    - (int64_t) (2.5 / comp * 1e6)) <= 1);
  p.initial = false;
  p.min_interval_s = 0.5; /* the reduced minimum */
  ck_assert (llabs ((int64_t) media_rtcp_interval_us (&p, 0.5)
                    - (int64_t) (0.8 / comp * 1e6)) <= 1);

  /* 100 members, one sender: receivers share 3/4 of the bandwidth among
   * 99; the sender has 1/4 to itself. */
  media_rtcp_interval_params q = { .members = 100, .senders = 1,
                                   .rtcp_bw = 250, .avg_rtcp_size = 100 };
  double t_recv = 100.0 * 99 / (250 * 0.75);
  ck_assert (llabs ((int64_t) media_rtcp_interval_us (&q, 0.5)
                    - (int64_t) (t_recv / comp * 1e6)) <= 1);
  q.we_sent = true;
  ck_assert (llabs ((int64_t) media_rtcp_interval_us (&q, 0.5)
                    - (int64_t) (5.0 / comp * 1e6)) <= 1);
  q.min_interval_s = 0.1;
  ck_assert (llabs ((int64_t) media_rtcp_interval_us (&q, 0.75)
                    - (int64_t) (100.0 * 1 / (250 * 0.25) * 1.25 / comp
                                 * 1e6)) <= 1);

  double avg = 100;
  avg = media_rtcp_avg_size_update (avg, 260);
  ck_assert (fabs (avg - 110.0) < 1e-9);
}
END_TEST

/* ---- Demux ----------------------------------------------------------------- */

START_TEST (test_demux)
{
  uint8_t b[32] = { 0 };
  b[4] = 0x21, b[5] = 0x12, b[6] = 0xa4, b[7] = 0x42;
  b[0] = 0x00, b[1] = 0x01;
  ck_assert_int_eq (media_demux_classify (b, 20), MEDIA_DEMUX_STUN);
  ck_assert_int_eq (media_demux_classify (b, 19), MEDIA_DEMUX_UNKNOWN);
  b[0] = 0x01, b[1] = 0x01; /* success response */
  ck_assert_int_eq (media_demux_classify (b, 32), MEDIA_DEMUX_STUN);
  b[5] = 0x13; /* no magic cookie */
  ck_assert_int_eq (media_demux_classify (b, 32), MEDIA_DEMUX_UNKNOWN);
  b[0] = 22; /* DTLS handshake */
  ck_assert_int_eq (media_demux_classify (b, 32), MEDIA_DEMUX_DTLS);
  b[0] = 17;
  ck_assert_int_eq (media_demux_classify (b, 32), MEDIA_DEMUX_ZRTP);
  b[0] = 0x40; /* channel 0x4000 */
  ck_assert_int_eq (media_demux_classify (b, 4), MEDIA_DEMUX_TURN_CHANNEL);
  ck_assert_int_eq (media_demux_classify (b, 3), MEDIA_DEMUX_UNKNOWN);
  b[0] = 0x7f; /* reserved for channels beyond RFC 7983's range */
  ck_assert_int_eq (media_demux_classify (b, 32), MEDIA_DEMUX_UNKNOWN);

  b[0] = 0x80;
  const struct
  {
    uint8_t second;
    media_demux_kind kind;
  } cases[] = {
    { 0, MEDIA_DEMUX_RTP },          /* PCMU */
    { 0x80 | 8, MEDIA_DEMUX_RTP },   /* PCMA with marker */
    { 111, MEDIA_DEMUX_RTP },        /* dynamic Opus */
    { 0x80 | 111, MEDIA_DEMUX_RTP },
    { 63, MEDIA_DEMUX_RTP },
    { 96, MEDIA_DEMUX_RTP },
    { 0x80 | 96, MEDIA_DEMUX_RTP },
    { 200, MEDIA_DEMUX_RTCP },       /* SR */
    { 201, MEDIA_DEMUX_RTCP },       /* RR */
    { 203, MEDIA_DEMUX_RTCP },       /* BYE */
    { 192, MEDIA_DEMUX_RTCP },
    { 223, MEDIA_DEMUX_RTCP },
    { 64, MEDIA_DEMUX_RTCP },        /* PT 64..95 is never RTP */
    { 95, MEDIA_DEMUX_RTCP },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      b[1] = cases[i].second;
      ck_assert_int_eq (media_demux_classify (b, 12), cases[i].kind);
    }
  b[1] = 200;
  ck_assert_int_eq (media_demux_classify (b, 8), MEDIA_DEMUX_RTCP);
  ck_assert_int_eq (media_demux_classify (b, 7), MEDIA_DEMUX_UNKNOWN);
  b[1] = 111;
  ck_assert_int_eq (media_demux_classify (b, 11), MEDIA_DEMUX_UNKNOWN);
  b[0] = 0xc0; /* first byte 192: outside every range */
  ck_assert_int_eq (media_demux_classify (b, 12), MEDIA_DEMUX_UNKNOWN);
  ck_assert_int_eq (media_demux_classify (b, 0), MEDIA_DEMUX_UNKNOWN);
  ck_assert_int_eq (media_demux_classify (NULL, 0), MEDIA_DEMUX_UNKNOWN);
  ck_assert_str_eq (media_demux_kind_name (MEDIA_DEMUX_RTCP), "rtcp");

  /* Packets our own codecs write are classified as what they are. */
  uint8_t pkt[64];
  media_rtp_packet rp = { .payload_type = 111, .seq = 1, .ssrc = 2 };
  int n = media_rtp_pack (&rp, pkt, sizeof pkt);
  ck_assert_int_eq (media_demux_classify (pkt, (size_t) n), MEDIA_DEMUX_RTP);
  media_rtcp_writer w;
  media_rtcp_writer_init (&w, pkt, sizeof pkt);
  media_rtcp_report r = { .ssrc = 2 };
  media_rtcp_write_report (&w, &r);
  n = media_rtcp_writer_finish (&w);
  ck_assert_int_eq (media_demux_classify (pkt, (size_t) n), MEDIA_DEMUX_RTCP);
}
END_TEST

static Suite *
rtp_suite (void)
{
  Suite *s = suite_create ("rtp");
  TCase *tc = tcase_create ("rtp");
  tcase_add_test (tc, test_rtp_round_trip);
  tcase_add_test (tc, test_rtp_pack_invalid);
  tcase_add_test (tc, test_rtp_parse_rejects);
  tcase_add_test (tc, test_rtp_truncations);
  tcase_add_test (tc, test_rtp_garbage);
  tcase_add_test (tc, test_seq_arithmetic);
  tcase_add_test (tc, test_source_stats_known_answers);
  tcase_add_test (tc, test_source_simple_loss);
  tcase_add_test (tc, test_source_restart_and_bad);
  tcase_add_test (tc, test_source_probation);
  tcase_add_test (tc, test_sender);
  suite_add_tcase (s, tc);
  tc = tcase_create ("rtcp");
  tcase_add_test (tc, test_rtcp_compound_round_trip);
  tcase_add_test (tc, test_rtcp_reports);
  tcase_add_test (tc, test_rtcp_truncations);
  tcase_add_test (tc, test_rtcp_malformed);
  tcase_add_test (tc, test_rtcp_sdes_chunks);
  tcase_add_test (tc, test_rtcp_garbage);
  tcase_add_test (tc, test_rtt_and_report_block);
  tcase_add_test (tc, test_rtcp_round_trip_time);
  tcase_add_test (tc, test_rtcp_interval);
  suite_add_tcase (s, tc);
  tc = tcase_create ("demux");
  tcase_add_test (tc, test_demux);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (rtp_suite ());
}
