/* The jitter buffer on a virtual clock: reordering, duplication, loss,
 * late packets, DTX pauses, wrap-around, and a target delay that rises
 * with jitter and falls back when it calms. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "media/jitter-buffer.h"
#include "media/rtp.h"
#include "check-run.h"

#define RATE 48000
#define FRAME 960
#define FRAME_US 20000
/* Pulls happen 5 ms into each frame period, like a device callback would. */
#define PHASE_US 5000
#define MAX_ARRIVALS 4096
#define MAX_OUT 8192

static uint64_t rng_state;

static uint32_t
rng (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t) (rng_state >> 16);
}

typedef struct
{
  uint64_t at;
  uint32_t index;            /* packet number from 0 */
} arrival;

typedef struct
{
  media_jb_kind kind;
  uint32_t index;            /* FRAME, LOST: packet number */
  bool has_next;
  uint32_t next_index;       /* from the next_payload's contents */
  uint32_t delay_ms;
  uint32_t target_ms;
  uint64_t at;               /* when it was pulled */
} output;

typedef struct
{
  arrival arr[MAX_ARRIVALS];
  size_t n_arr;
  output out[MAX_OUT];
  size_t n_out;
  uint16_t seq0;
  uint32_t ts0;
  uint32_t dtx_after;        /* packets after this one are shifted ... */
  uint32_t dtx_frames;       /* ... by this many frames of silence */
  uint32_t jump_at[3];       /* from these packets on, timestamps ... */
  int32_t jump[3];           /* ... move by this much (the sender's clock) */
} sim;

static uint32_t
ts_of (const sim *s, uint32_t index)
{
  uint32_t frames = index + (index > s->dtx_after ? s->dtx_frames : 0);
  uint32_t ts = s->ts0 + frames * FRAME;
  for (int k = 0; k < 3; k++)
    if (index >= s->jump_at[k])
      ts += (uint32_t) s->jump[k];
  return ts;
}

static uint64_t
send_time (const sim *s, uint32_t index)
{
  uint32_t frames = index + (index > s->dtx_after ? s->dtx_frames : 0);
  return (uint64_t) frames * FRAME_US;
}

static void
sim_init (sim *s, uint16_t seq0, uint32_t ts0)
{
  memset (s, 0, sizeof *s);
  s->seq0 = seq0;
  s->ts0 = ts0;
  s->dtx_after = UINT32_MAX;
  s->jump_at[0] = s->jump_at[1] = s->jump_at[2] = UINT32_MAX;
}

/* Packet index arrives delay_us after it was sent. */
static void
sim_send (sim *s, uint32_t index, uint64_t delay_us)
{
  ck_assert_uint_lt (s->n_arr, MAX_ARRIVALS);
  s->arr[s->n_arr].at = send_time (s, index) + 100000 + delay_us;
  s->arr[s->n_arr].index = index;
  s->n_arr++;
}

static int
by_time (const void *a, const void *b)
{
  const arrival *x = a, *y = b;
  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  return 0;
}

static uint32_t
payload_index (const uint8_t *p, size_t len)
{
  ck_assert_uint_eq (len, 8);
  uint32_t v = (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
               | (uint32_t) p[2] << 8 | p[3];
  /* the rest repeats it inverted: the payload really is that packet's */
  ck_assert_uint_eq (~v, (uint32_t) p[4] << 24 | (uint32_t) p[5] << 16
                           | (uint32_t) p[6] << 8 | p[7]);
  return v;
}

/* Runs the clock until end_us: arrivals are put as their time comes, one
 * pull per frame period. */
static void
sim_run (sim *s, media_jb *jb, uint64_t end_us)
{
  qsort (s->arr, s->n_arr, sizeof s->arr[0], by_time);
  size_t next = 0;
  for (uint64_t t = PHASE_US; t < end_us; t += FRAME_US)
    {
      while (next < s->n_arr && s->arr[next].at <= t)
        {
          uint32_t idx = s->arr[next].index;
          uint8_t p[8];
          for (int k = 0; k < 4; k++)
            {
              p[k] = (uint8_t) (idx >> (24 - 8 * k));
              p[4 + k] = (uint8_t) ~p[k];
            }
          media_jb_put (jb, s->arr[next].at, (uint16_t) (s->seq0 + idx),
                        ts_of (s, idx), idx == 0, p, sizeof p);
          next++;
        }
      media_jb_frame f;
      media_jb_get (jb, t, &f);
      ck_assert_uint_lt (s->n_out, MAX_OUT);
      output *o = &s->out[s->n_out++];
      memset (o, 0, sizeof *o);
      o->kind = f.kind;
      o->at = t;
      if (f.kind != MEDIA_JB_EMPTY)
        {
          o->index = (uint16_t) (f.seq - s->seq0);
          /* the timestamp agrees with the sequence number */
          ck_assert_uint_eq (f.timestamp, ts_of (s, o->index));
        }
      if (f.kind == MEDIA_JB_FRAME)
        {
          ck_assert_uint_eq (payload_index (f.payload, f.payload_len),
                             o->index);
          ck_assert_int_eq (f.marker, o->index == 0);
        }
      if (f.kind == MEDIA_JB_LOST && f.next_payload)
        {
          o->has_next = true;
          o->next_index = payload_index (f.next_payload, f.next_payload_len);
        }
      media_jb_stats st;
      media_jb_stats_get (jb, &st);
      o->delay_ms = st.current_delay_ms;
      o->target_ms = st.target_delay_ms;
      ck_assert_uint_eq (media_jb_delay_ms (jb), st.current_delay_ms);
    }
}

/* FRAME and LOST outputs must name packets first..last in strictly
 * increasing order, none twice; the only ones missing are those the
 * buffer says it discarded to shrink its delay or skipped after an
 * outage (counted lost without a LOST output). */
static void
assert_in_order (const sim *s, const media_jb *jb, uint32_t first,
                 uint32_t last)
{
  uint32_t expect = first, skipped = 0, lost_outputs = 0;
  for (size_t i = 0; i < s->n_out; i++)
    {
      if (s->out[i].kind == MEDIA_JB_EMPTY)
        continue;
      lost_outputs += s->out[i].kind == MEDIA_JB_LOST;
      ck_assert_msg (s->out[i].index >= expect,
                     "output %zu is packet %u, expected %u or later", i,
                     s->out[i].index, expect);
      skipped += s->out[i].index - expect;
      expect = s->out[i].index + 1;
    }
  ck_assert_uint_eq (expect, last + 1);
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (skipped, st.discarded + (st.lost - lost_outputs));
  ck_assert_uint_eq (st.played + st.lost + st.discarded, last - first + 1);
}

static media_jb *
new_jb (uint32_t min_ms, uint32_t max_ms)
{
  media_jb_config cfg = {
    .clock_rate = RATE,
    .frame_samples = FRAME,
    .min_delay_ms = min_ms,
    .max_delay_ms = max_ms,
  };
  media_jb *jb = media_jb_new (&cfg);
  ck_assert_ptr_nonnull (jb);
  return jb;
}

static sim S;

START_TEST (test_in_order_across_wrap)
{
  /* Sequence and timestamp both wrap within the stream. */
  sim_init (&S, 65400, 0xffffffffu - 50 * FRAME);
  for (uint32_t i = 0; i < 500; i++)
    sim_send (&S, i, 30000);
  media_jb *jb = new_jb (0, 0);
  sim_run (&S, jb, 500 * FRAME_US + 400000);
  assert_in_order (&S, jb, 0, 499);
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (st.played, 500);
  ck_assert_uint_eq (st.lost, 0);
  ck_assert_uint_eq (st.late, 0);
  ck_assert_uint_eq (st.target_delay_ms, 20); /* no jitter: one frame */
  ck_assert_uint_eq (st.jitter_ms, 0);
  media_jb_free (jb);
}
END_TEST

START_TEST (test_reordering)
{
  /* Every odd packet is 30 ms slower, so it arrives after its successor. */
  sim_init (&S, 1000, 12345);
  for (uint32_t i = 0; i < 400; i++)
    sim_send (&S, i, 10000 + (i % 2 ? 30000 : 0));
  media_jb *jb = new_jb (60, 0);
  sim_run (&S, jb, 400 * FRAME_US + 400000);
  assert_in_order (&S, jb, 0, 399);
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (st.played, 400);
  ck_assert_uint_eq (st.lost + st.late + st.duplicates, 0);
  ck_assert_uint_eq (st.jitter_ms, 30);
  ck_assert_uint_eq (st.target_delay_ms, 60); /* min, above 30 + 20 */
  media_jb_free (jb);
}
END_TEST

START_TEST (test_duplicates)
{
  sim_init (&S, 7, 0);
  unsigned dups = 0;
  for (uint32_t i = 0; i < 300; i++)
    {
      sim_send (&S, i, 30000);
      if (i % 3 == 0)
        {
          sim_send (&S, i, 37000); /* right behind */
          dups++;
        }
      if (i % 7 == 0)
        {
          sim_send (&S, i, 330000); /* long after it was played */
          dups++;
        }
    }
  media_jb *jb = new_jb (0, 0);
  sim_run (&S, jb, 300 * FRAME_US + 800000);
  assert_in_order (&S, jb, 0, 299);
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (st.played, 300);
  ck_assert_uint_eq (st.duplicates, dups);
  ck_assert_uint_eq (st.lost + st.late, 0);
  media_jb_free (jb);
}
END_TEST

START_TEST (test_loss_reported_as_gaps)
{
  sim_init (&S, 60000, 0);
  const uint32_t lost[] = { 10, 25, 26, 40, 97 };
  for (uint32_t i = 0; i < 200; i++)
    {
      bool drop = false;
      for (size_t k = 0; k < sizeof lost / sizeof lost[0]; k++)
        drop |= lost[k] == i;
      if (!drop)
        sim_send (&S, i, 30000);
    }
  media_jb *jb = new_jb (0, 0);
  sim_run (&S, jb, 200 * FRAME_US + 400000);
  assert_in_order (&S, jb, 0, 199);

  unsigned n_lost = 0;
  for (size_t i = 0; i < S.n_out; i++)
    {
      const output *o = &S.out[i];
      if (o->kind != MEDIA_JB_LOST)
        continue;
      ck_assert_uint_lt (n_lost, 5);
      ck_assert_uint_eq (o->index, lost[n_lost]);
      /* FEC comes from the following packet when it was received. */
      if (o->index == 25)
        ck_assert (!o->has_next);
      else
        {
          ck_assert (o->has_next);
          ck_assert_uint_eq (o->next_index, o->index + 1);
        }
      n_lost++;
    }
  ck_assert_uint_eq (n_lost, 5);
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (st.lost, 5);
  ck_assert_uint_eq (st.played + st.discarded, 195);
  media_jb_free (jb);
}
END_TEST

START_TEST (test_late_packet)
{
  sim_init (&S, 100, 0);
  for (uint32_t i = 0; i < 300; i++)
    sim_send (&S, i, i == 50 ? 430000 : 30000);
  media_jb *jb = new_jb (0, 0);
  sim_run (&S, jb, 300 * FRAME_US + 600000);
  assert_in_order (&S, jb, 0, 299);
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (st.late, 1);
  ck_assert_uint_eq (st.lost, 1);
  ck_assert_uint_eq (st.played + st.discarded, 299);
  for (size_t i = 0; i < S.n_out; i++)
    if (S.out[i].kind == MEDIA_JB_LOST)
      ck_assert_uint_eq (S.out[i].index, 50);
  /* One straggler does not drag the target up. */
  for (size_t i = 0; i < S.n_out; i++)
    ck_assert_uint_le (S.out[i].target_ms, 20);
  media_jb_free (jb);
}
END_TEST

START_TEST (test_outage_and_straggler)
{
  /* Packet 50 turns up 1.5 s late; packets 100..129 (600 ms) never come. */
  sim_init (&S, 40000, 0);
  for (uint32_t i = 0; i < 300; i++)
    if (i < 100 || i >= 130)
      sim_send (&S, i, i == 50 ? 1530000 : 30000);
  media_jb *jb = new_jb (0, 0);
  sim_run (&S, jb, 300 * FRAME_US + 400000);
  assert_in_order (&S, jb, 0, 299);
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (st.late, 1);
  ck_assert_uint_eq (st.lost, 31);
  ck_assert_uint_eq (st.played + st.discarded, 269);
  ck_assert_uint_le (st.discarded, 1);
  /* The straggler is reported lost (FEC from 51), the outage is skipped,
   * and neither disturbs the target. */
  unsigned lost_outputs = 0;
  for (size_t i = 0; i < S.n_out; i++)
    {
      ck_assert_uint_le (S.out[i].target_ms, 20);
      if (S.out[i].kind == MEDIA_JB_LOST)
        {
          ck_assert_uint_eq (S.out[i].index, 50);
          ck_assert (S.out[i].has_next);
          ck_assert_uint_eq (S.out[i].next_index, 51);
          lost_outputs++;
        }
    }
  ck_assert_uint_eq (lost_outputs, 1);
  ck_assert_uint_ge (st.underruns, 1);
  media_jb_free (jb);
}
END_TEST

START_TEST (test_dtx_pause)
{
  /* After packet 99 the sender is silent for 50 frames (1 s): the
   * timestamp jumps, the sequence number does not. */
  sim_init (&S, 65500, 777);
  S.dtx_after = 99;
  S.dtx_frames = 50;
  for (uint32_t i = 0; i < 200; i++)
    sim_send (&S, i, 30000);
  media_jb *jb = new_jb (0, 0);
  sim_run (&S, jb, 250 * FRAME_US + 400000);
  assert_in_order (&S, jb, 0, 199);
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (st.lost, 0);
  ck_assert_uint_eq (st.played, 200);
  /* The pause came out as silence between 99 and 100, about 1 s of it. */
  size_t i99 = 0, i100 = 0;
  for (size_t i = 0; i < S.n_out; i++)
    if (S.out[i].kind == MEDIA_JB_FRAME)
      {
        if (S.out[i].index == 99)
          i99 = i;
        if (S.out[i].index == 100)
          i100 = i;
      }
  ck_assert_uint_ge (i100 - i99 - 1, 49);
  ck_assert_uint_le (i100 - i99 - 1, 52);
  media_jb_free (jb);
}
END_TEST

START_TEST (test_timestamp_jumps)
{
  /* The sender's timestamps leap ten minutes ahead at packet 100, twenty
   * back at 200, and two seconds ahead at 250; the sequence runs on. The packets just before
   * each leap arrive after the first one behind it. Nothing is lost,
   * refused as late, dropped, or held for the size of the leap. */
  sim_init (&S, 10, 5000);
  S.jump_at[0] = 100;
  S.jump[0] = 600 * RATE;
  S.jump_at[1] = 200;
  S.jump[1] = -1200 * RATE;
  S.jump_at[2] = 250;
  S.jump[2] = 2 * RATE;
  for (uint32_t i = 0; i < 300; i++)
    sim_send (&S, i, i == 99 || i == 199 ? 55000 : 30000);
  media_jb *jb = new_jb (60, 0);
  sim_run (&S, jb, 300 * FRAME_US + 400000);
  assert_in_order (&S, jb, 0, 299);
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (st.lost + st.late + st.discarded, 0);
  ck_assert_uint_eq (st.played, 300);
  bool started = false;
  for (size_t i = 0; i < S.n_out; i++)
    {
      ck_assert_uint_le (S.out[i].target_ms, 60);
      ck_assert_uint_le (S.out[i].delay_ms, 100);
      /* no silence anywhere between the first frame and the last */
      if (S.out[i].kind == MEDIA_JB_FRAME)
        started = S.out[i].index < 299;
      else
        ck_assert (!started);
    }
  media_jb_free (jb);
}
END_TEST

START_TEST (test_adapts_to_jitter)
{
  /* Calm, then up to 100 ms of random jitter, then calm again. */
  sim_init (&S, 30000, 0);
  rng_state = 0x5eed;
  const uint32_t calm1 = 250, jittery = 300, calm2 = 400;
  const uint32_t n = calm1 + jittery + calm2;
  for (uint32_t i = 0; i < n; i++)
    {
      uint64_t d = 30000;
      if (i >= calm1 && i < calm1 + jittery)
        d += rng () % 100000;
      sim_send (&S, i, d);
    }
  media_jb *jb = new_jb (0, 0);
  sim_run (&S, jb, (uint64_t) n * FRAME_US + 600000);

  /* In order throughout; losses only as the jitter begins. */
  uint32_t seen = 0;
  uint32_t max_target = 0, max_delay = 0, end_calm1_target = 0;
  uint32_t lost_after_adapting = 0;
  for (size_t i = 0; i < S.n_out; i++)
    {
      const output *o = &S.out[i];
      if (o->kind == MEDIA_JB_EMPTY)
        continue;
      ck_assert_uint_ge (o->index, seen);
      seen = o->index + 1;
      if (o->index == calm1 - 1)
        end_calm1_target = o->target_ms;
      if (o->index >= calm1 && o->index < calm1 + jittery)
        {
          if (o->target_ms > max_target)
            max_target = o->target_ms;
          if (o->delay_ms > max_delay)
            max_delay = o->delay_ms;
        }
      if (o->kind == MEDIA_JB_LOST && o->index >= calm1 + 100)
        lost_after_adapting++;
      /* The delay tracks the target, it does not overshoot it; and the
       * delay reported is the real one: time since the packet could have
       * arrived at the fastest (30 ms) transit, give or take the fastest
       * one still in the window. */
      if (o->kind == MEDIA_JB_FRAME && o->index >= calm1 + 100
          && o->index < calm1 + jittery)
        {
          int64_t real_ms = ((int64_t) o->at
                             - (int64_t) (send_time (&S, o->index) + 130000))
                            / 1000;
          ck_assert_int_le (real_ms, o->target_ms + 40);
          ck_assert_int_le (llabs (real_ms - (int64_t) o->delay_ms), 10);
        }
    }
  ck_assert_uint_eq (seen, n);
  ck_assert_uint_eq (end_calm1_target, 20);
  ck_assert_uint_ge (max_target, 90);  /* ~95th percentile of 0..100 + 20 */
  ck_assert_uint_le (max_target, 120);
  ck_assert_uint_ge (max_delay, 80);
  /* Once adapted, jitter within the target costs (almost) nothing. */
  ck_assert_uint_le (lost_after_adapting, 10);

  /* Calm again: the target and the delay come back down. */
  const output *last = NULL;
  for (size_t i = S.n_out; i-- > 0;)
    if (S.out[i].kind == MEDIA_JB_FRAME && S.out[i].index == n - 10)
      last = &S.out[i];
  ck_assert_ptr_nonnull (last);
  ck_assert_uint_eq (last->target_ms, 20);
  ck_assert_uint_le (last->delay_ms, 40);

  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_gt (st.stretched, 0); /* that is how the delay grew */
  ck_assert_uint_gt (st.discarded, 0); /* and how it shrank */
  ck_assert_uint_eq (st.played + st.lost + st.discarded, n);
  media_jb_free (jb);
}
END_TEST

START_TEST (test_sequence_restart)
{
  /* At packet 100 the sender restarts: sequence numbers drop by 10000
   * and timestamps start afresh. Playout follows it at once; what was
   * still queued of the old stream (a frame or so) is dropped. */
  media_jb *jb = new_jb (0, 0);
  uint32_t next_play = 0;
  unsigned frames = 0;
  for (uint64_t t = PHASE_US, i = 0; t < 220 * FRAME_US; t += FRAME_US)
    {
      for (; i < 200 && i * FRAME_US + 30000 <= t; i++)
        {
          uint16_t seq = (uint16_t) (i < 100 ? 20000 + i : 10000 + i);
          uint32_t ts = i < 100 ? (uint32_t) i * FRAME
                                : 77777777u + (uint32_t) i * FRAME;
          uint8_t p[8];
          for (int k = 0; k < 4; k++)
            {
              p[k] = (uint8_t) (i >> (24 - 8 * k));
              p[4 + k] = (uint8_t) ~p[k];
            }
          ck_assert_int_eq (media_jb_put (jb, i * FRAME_US + 30000, seq, ts,
                                          false, p, sizeof p),
                            MEDIA_JB_PUT_OK);
        }
      media_jb_frame f;
      media_jb_get (jb, t, &f);
      ck_assert_int_ne (f.kind, MEDIA_JB_LOST);
      if (f.kind == MEDIA_JB_FRAME)
        {
          uint32_t idx = payload_index (f.payload, f.payload_len);
          ck_assert_uint_ge (idx, next_play);
          next_play = idx + 1;
          frames++;
        }
    }
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (next_play, 200);
  ck_assert_uint_eq (frames + st.discarded, 200);
  ck_assert_uint_le (st.discarded, 2);
  ck_assert_uint_eq (st.resyncs, 1);
  ck_assert_uint_eq (st.lost + st.late, 0);
  media_jb_free (jb);
}
END_TEST

START_TEST (test_limits)
{
  media_jb_config bad = { .clock_rate = 0, .frame_samples = 960 };
  ck_assert_ptr_null (media_jb_new (&bad));
  bad.clock_rate = 48000;
  bad.frame_samples = 0;
  ck_assert_ptr_null (media_jb_new (&bad));
  bad.frame_samples = 960;
  bad.min_delay_ms = 600;
  bad.max_delay_ms = 100;
  ck_assert_ptr_null (media_jb_new (&bad));
  ck_assert_ptr_null (media_jb_new (NULL));

  media_jb_config cfg = { .clock_rate = 48000, .frame_samples = 960,
                          .capacity = 8, .max_payload = 4 };
  media_jb *jb = media_jb_new (&cfg);
  uint8_t p[5] = { 0 };
  ck_assert_int_eq (media_jb_put (jb, 0, 1, 0, false, p, 5),
                    MEDIA_JB_PUT_TOO_BIG);
  for (uint16_t i = 0; i < 20; i++)
    ck_assert_int_eq (media_jb_put (jb, 0, i, i * 960u, false, p, 4),
                      MEDIA_JB_PUT_OK);
  ck_assert_int_eq (media_jb_put (jb, 0, 19, 19 * 960u, false, p, 4),
                    MEDIA_JB_PUT_DUPLICATE);
  media_jb_stats st;
  media_jb_stats_get (jb, &st);
  ck_assert_uint_eq (st.overflow, 12);
  ck_assert_uint_eq (st.too_big, 1);
  ck_assert_uint_eq (st.current_delay_ms, 0); /* not playing yet */
  /* All arrived at once: the target is the whole spread, so playout
   * starts once the oldest has waited that long. */
  media_jb_frame f;
  media_jb_get (jb, 0, &f);
  ck_assert_int_eq (f.kind, MEDIA_JB_EMPTY);
  media_jb_get (jb, 1000000, &f);
  ck_assert_int_eq (f.kind, MEDIA_JB_FRAME);
  ck_assert_uint_eq (f.seq, 12);

  media_jb_reset (jb);
  media_jb_get (jb, 100000, &f);
  ck_assert_int_eq (f.kind, MEDIA_JB_EMPTY);
  ck_assert_uint_eq (media_jb_delay_ms (jb), 0);
  media_jb_free (jb);
}
END_TEST

static Suite *
jb_suite (void)
{
  Suite *s = suite_create ("jitter-buffer");
  TCase *tc = tcase_create ("jb");
  tcase_add_test (tc, test_in_order_across_wrap);
  tcase_add_test (tc, test_reordering);
  tcase_add_test (tc, test_duplicates);
  tcase_add_test (tc, test_loss_reported_as_gaps);
  tcase_add_test (tc, test_late_packet);
  tcase_add_test (tc, test_outage_and_straggler);
  tcase_add_test (tc, test_dtx_pause);
  tcase_add_test (tc, test_timestamp_jumps);
  tcase_add_test (tc, test_adapts_to_jitter);
  tcase_add_test (tc, test_sequence_restart);
  tcase_add_test (tc, test_limits);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (jb_suite ());
}
