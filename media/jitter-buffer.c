/* Adaptive jitter buffer; see jitter-buffer.h for the policy. */
#include "config.h"

#include "media/jitter-buffer.h"

#include <stdlib.h>
#include <string.h>

/* Transit times remembered for the jitter measurement: about two seconds
 * of 20 ms packets, so the target falls back that long after jitter calms. */
#define WINDOW 100
/* The top 1/OUTLIER_SHARE of transit times is ignored, so a rare straggler
 * (counted late) does not hold the delay up for the whole window. */
#define OUTLIER_SHARE 20
/* After an underrun, up to this many missing frames are still reported
 * one by one as LOST; a longer outage restarts at the oldest packet. */
#define MAX_GAP_CONCEALED 3
/* A packet this many sequence numbers behind the playout point is no
 * straggler: the sender restarted its sequence (RFC 3550 A.1 treats such
 * a jump the same way). */
#define RESYNC_SEQ 3000

typedef struct
{
  int64_t ext_seq;
  int64_t ext_ts;            /* on our timeline (see map_ts) */
  uint32_t raw_ts;           /* as the sender wrote it */
  uint64_t arrival_us;
  bool marker;
  size_t len;
  uint8_t *data;
} slot;

struct media_jb
{
  uint32_t clock_rate;
  uint32_t frame;            /* timestamp units per frame */
  uint32_t frame_us;
  uint32_t min_us, max_us;
  size_t capacity;
  size_t max_payload;

  slot *slots;               /* sorted by ext_seq, count in use */
  size_t count;
  uint8_t *out_buf;
  uint8_t *next_buf;

  /* Extension of 16-bit sequence numbers and 32-bit timestamps. */
  bool have_ref;
  int64_t ref_seq;
  int64_t ref_ts;
  /* Mapping onto our timeline across timestamp leaps. */
  int64_t ts_offset;
  int64_t prev_offset;
  int64_t leap_seq;
  bool have_leap;
  bool have_transit;
  int64_t last_transit;

  /* Playout point. */
  bool playing;
  bool have_last;
  int64_t last_seq;          /* last frame played or given up as lost */
  uint64_t played_mask;      /* bit i: last_seq - i was played */
  int64_t next_ts;

  /* Jitter measurement. */
  int64_t transit[WINDOW];    /* in arrival order, a ring */
  int64_t by_transit[WINDOW]; /* the same values, kept sorted */
  size_t win_n, win_pos;
  uint32_t spread_us;
  uint32_t target_us;
  int64_t min_transit;       /* fastest transit in the window */
  uint32_t delay_us;         /* playout delay at the last pull */

  media_jb_stats stats;
};

static uint32_t
clamp_u32 (uint64_t v, uint32_t lo, uint32_t hi)
{
  return v < lo ? lo : v > hi ? hi : (uint32_t) v;
}

static int64_t
ts_to_us (const media_jb *jb, int64_t ts)
{
  return ts * 1000000 / (int64_t) jb->clock_rate;
}

media_jb *
media_jb_new (const media_jb_config *cfg)
{
  if (cfg == NULL || cfg->clock_rate == 0 || cfg->frame_samples == 0
      || cfg->frame_samples > cfg->clock_rate || cfg->min_delay_ms > 60000
      || cfg->max_delay_ms > 60000)
    return NULL;
  media_jb *jb = calloc (1, sizeof *jb);
  if (jb == NULL)
    return NULL;
  jb->clock_rate = cfg->clock_rate;
  jb->frame = cfg->frame_samples;
  jb->frame_us = (uint32_t) ((uint64_t) cfg->frame_samples * 1000000u
                             / cfg->clock_rate);
  jb->min_us = cfg->min_delay_ms ? cfg->min_delay_ms * 1000u : jb->frame_us;
  jb->max_us = (cfg->max_delay_ms ? cfg->max_delay_ms : 500u) * 1000u;
  jb->capacity = cfg->capacity ? cfg->capacity : 64;
  jb->max_payload = cfg->max_payload ? cfg->max_payload : 1500;
  if (jb->min_us > jb->max_us || jb->capacity > 4096
      || jb->max_payload > 65536)
    {
      free (jb);
      return NULL;
    }

  jb->slots = calloc (jb->capacity, sizeof *jb->slots);
  jb->out_buf = malloc (jb->max_payload);
  jb->next_buf = malloc (jb->max_payload);
  bool ok = jb->slots && jb->out_buf && jb->next_buf;
  for (size_t i = 0; ok && i < jb->capacity; i++)
    ok = (jb->slots[i].data = malloc (jb->max_payload)) != NULL;
  if (!ok)
    {
      media_jb_free (jb);
      return NULL;
    }
  media_jb_reset (jb);
  return jb;
}

void
media_jb_free (media_jb *jb)
{
  if (jb == NULL)
    return;
  if (jb->slots)
    for (size_t i = 0; i < jb->capacity; i++)
      free (jb->slots[i].data);
  free (jb->slots);
  free (jb->out_buf);
  free (jb->next_buf);
  free (jb);
}

/* Forgets the stream but keeps the counters. */
static void
restart (media_jb *jb)
{
  jb->count = 0;
  jb->have_ref = false;
  jb->ts_offset = 0;
  jb->prev_offset = 0;
  jb->have_leap = false;
  jb->have_transit = false;
  jb->playing = false;
  jb->have_last = false;
  jb->played_mask = 0;
  jb->win_n = 0;
  jb->win_pos = 0;
  jb->spread_us = 0;
  jb->min_transit = 0;
  jb->delay_us = 0;
  jb->target_us = clamp_u32 (jb->frame_us, jb->min_us, jb->max_us);
}

void
media_jb_reset (media_jb *jb)
{
  restart (jb);
}

/* Moves the playout point past ext_seq; played tells whether it was heard. */
static void
advance_last (media_jb *jb, int64_t ext_seq, bool played)
{
  if (jb->have_last)
    {
      int64_t d = ext_seq - jb->last_seq;
      if (d > 0)
        jb->played_mask = d >= 64 ? 0 : jb->played_mask << d;
    }
  else
    jb->played_mask = 0;
  jb->last_seq = ext_seq;
  jb->have_last = true;
  if (played)
    jb->played_mask |= 1;
}

static void
remove_head (media_jb *jb)
{
  /* Rotate the head's buffer to the end so buffers are never lost. */
  slot head = jb->slots[0];
  memmove (jb->slots, jb->slots + 1, (jb->count - 1) * sizeof *jb->slots);
  jb->slots[jb->count - 1] = head;
  jb->count--;
}

/* Where v goes in the first n sorted values (the first not below it). */
static size_t
sorted_position (const int64_t *sorted, size_t n, int64_t v)
{
  size_t lo = 0, hi = n;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (sorted[mid] < v)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Media time on our own continuous timeline. A sender's timestamps may
 * leap (a new clock, or a hold that froze them); that shows as the transit
 * time of the newest packet jumping by over a second, and is
 * absorbed into ts_offset so that playout and the jitter measurement see
 * one stream. */
static int64_t
map_ts (media_jb *jb, uint64_t now_us, int64_t ext_seq, int64_t ext_ts)
{
  if (jb->have_leap && ext_seq < jb->leap_seq)
    return ext_ts + jb->prev_offset; /* a straggler from before the leap */
  int64_t mapped = ext_ts + jb->ts_offset;
  if (!jb->have_transit || ext_seq <= jb->ref_seq)
    return mapped;
  int64_t d = (int64_t) now_us - ts_to_us (jb, mapped) - jb->last_transit;
  /* More than the longest delay we would ever keep (and than a second,
   * so that a small max_delay does not take jitter for leaps) cannot be
   * jitter we could absorb; a leap of the clock or a burst after an
   * outage is better played from where it lands. */
  int64_t limit = jb->max_us > 1000000 ? (int64_t) jb->max_us : 1000000;
  if (d > limit || d < -limit)
    {
      jb->prev_offset = jb->ts_offset;
      jb->leap_seq = ext_seq;
      jb->have_leap = true;
      jb->ts_offset += d * (int64_t) jb->clock_rate / 1000000;
      mapped = ext_ts + jb->ts_offset;
    }
  return mapped;
}

/* Returns the packet's transit time. */
static int64_t
measure (media_jb *jb, uint64_t now_us, int64_t ext_ts)
{
  int64_t transit = (int64_t) now_us - ts_to_us (jb, ext_ts);
  /* The window stays sorted as values come and go (one per packet), so
   * no packet pays for sorting all of it. */
  int64_t *sorted = jb->by_transit;
  if (jb->win_n == WINDOW)
    {
      size_t old = sorted_position (sorted, jb->win_n, jb->transit[jb->win_pos]);
      memmove (sorted + old, sorted + old + 1, (jb->win_n - old - 1) * sizeof *sorted);
      jb->win_n--;
    }
  size_t at = sorted_position (sorted, jb->win_n, transit);
  memmove (sorted + at + 1, sorted + at, (jb->win_n - at) * sizeof *sorted);
  sorted[at] = transit;
  jb->win_n++;
  jb->transit[jb->win_pos] = transit;
  jb->win_pos = (jb->win_pos + 1) % WINDOW;
  int64_t lo = sorted[0];
  int64_t hi = sorted[jb->win_n - 1 - jb->win_n / OUTLIER_SHARE];
  jb->min_transit = lo;
  jb->spread_us = clamp_u32 ((uint64_t) (hi - lo), 0, UINT32_MAX);
  /* One frame on top: playout happens on frame boundaries. */
  jb->target_us = clamp_u32 ((uint64_t) jb->spread_us + jb->frame_us,
                             jb->min_us, jb->max_us);
  return transit;
}

media_jb_put_result
media_jb_put (media_jb *jb, uint64_t now_us, uint16_t seq, uint32_t timestamp,
              bool marker, const uint8_t *payload, size_t len)
{
  if (len > jb->max_payload || (len > 0 && payload == NULL))
    {
      jb->stats.too_big++;
      return MEDIA_JB_PUT_TOO_BIG;
    }
  if (!jb->have_ref)
    {
      jb->ref_seq = seq;
      jb->ref_ts = timestamp;
      jb->have_ref = true;
    }
  int64_t ext_seq = jb->ref_seq + (int16_t) (uint16_t) (seq - (uint16_t) jb->ref_seq);
  if (jb->have_last && jb->last_seq - ext_seq > RESYNC_SEQ)
    {
      jb->stats.resyncs++;
      jb->stats.discarded += jb->count; /* the old stream's leftovers */
      restart (jb);
      jb->ref_seq = ext_seq = seq;
      jb->ref_ts = timestamp;
      jb->have_ref = true;
    }
  int64_t raw_ts = jb->ref_ts + (int32_t) (timestamp - (uint32_t) jb->ref_ts);

  /* Already held? */
  size_t pos = jb->count;
  for (size_t i = 0; i < jb->count; i++)
    {
      if (jb->slots[i].ext_seq == ext_seq)
        {
          jb->stats.duplicates++;
          return MEDIA_JB_PUT_DUPLICATE;
        }
      if (jb->slots[i].ext_seq > ext_seq)
        {
          pos = i;
          break;
        }
    }
  if (jb->have_last && ext_seq <= jb->last_seq)
    {
      int64_t d = jb->last_seq - ext_seq;
      if (d < 64 && (jb->played_mask >> d & 1))
        {
          jb->stats.duplicates++;
          return MEDIA_JB_PUT_DUPLICATE;
        }
    }

  /* A late packet still tells us about jitter. */
  int64_t ext_ts = map_ts (jb, now_us, ext_seq, raw_ts);
  int64_t transit = measure (jb, now_us, ext_ts);
  if (ext_seq > jb->ref_seq || !jb->have_transit)
    {
      /* Timestamps are extended around the newest packet's, so a sender
       * that moved them back is followed too; leaps are judged against
       * the newest packet's transit, never a straggler's. */
      jb->ref_seq = ext_seq;
      jb->ref_ts = raw_ts;
      jb->last_transit = transit;
      jb->have_transit = true;
    }

  /* Late by sequence number only: a sender that moves its timestamps
   * back must not have every later packet refused. */
  if (jb->have_last && ext_seq <= jb->last_seq)
    {
      jb->stats.late++;
      return MEDIA_JB_PUT_LATE;
    }

  if (jb->count == jb->capacity)
    {
      jb->stats.overflow++;
      if (pos == 0)
        return MEDIA_JB_PUT_OVERFLOW; /* older than all we hold */
      remove_head (jb);
      pos--;
    }
  slot fresh = jb->slots[jb->count];
  memmove (jb->slots + pos + 1, jb->slots + pos,
           (jb->count - pos) * sizeof *jb->slots);
  fresh.ext_seq = ext_seq;
  fresh.ext_ts = ext_ts;
  fresh.raw_ts = timestamp;
  fresh.arrival_us = now_us;
  fresh.marker = marker;
  fresh.len = len;
  if (len)
    memcpy (fresh.data, payload, len);
  jb->slots[pos] = fresh;
  jb->count++;
  jb->stats.received++;
  return MEDIA_JB_PUT_OK;
}

static void
emit (media_jb *jb, media_jb_frame *out, media_jb_kind kind)
{
  memset (out, 0, sizeof *out);
  out->kind = kind;
}

/* How long the frame at ts has been held beyond the fastest transit seen:
 * the delay the buffer adds to it, if it were played at now_us. */
static int64_t
playout_delay_us (const media_jb *jb, uint64_t now_us, int64_t ts)
{
  return (int64_t) now_us - (ts_to_us (jb, ts) + jb->min_transit);
}

static void
play_head (media_jb *jb, media_jb_frame *out)
{
  const slot *head = &jb->slots[0];
  emit (jb, out, MEDIA_JB_FRAME);
  out->seq = (uint16_t) head->ext_seq;
  out->timestamp = head->raw_ts;
  out->marker = head->marker;
  if (head->len)
    memcpy (jb->out_buf, head->data, head->len);
  out->payload = jb->out_buf;
  out->payload_len = head->len;
  advance_last (jb, head->ext_seq, true);
  jb->next_ts = head->ext_ts + jb->frame;
  remove_head (jb);
  jb->stats.played++;
}

void
media_jb_get (media_jb *jb, uint64_t now_us, media_jb_frame *out)
{
  if (jb->count == 0)
    {
      if (jb->playing)
        {
          jb->stats.underruns++;
          jb->playing = false;
        }
      jb->delay_us = 0;
      emit (jb, out, MEDIA_JB_EMPTY);
      return;
    }

  if (!jb->playing)
    {
      const slot *oldest = &jb->slots[0];
      if (playout_delay_us (jb, now_us, oldest->ext_ts) < jb->target_us)
        {
          emit (jb, out, MEDIA_JB_EMPTY);
          return;
        }
      jb->playing = true;
      int64_t missing = jb->have_last ? oldest->ext_seq - jb->last_seq - 1 : 0;
      if (missing <= 0 || missing > MAX_GAP_CONCEALED)
        {
          /* A first start, a new talkspurt, or an outage too long to
           * conceal frame by frame: play from the oldest packet. */
          if (missing > 0)
            jb->stats.lost += (uint64_t) missing;
          jb->next_ts = oldest->ext_ts;
          advance_last (jb, oldest->ext_seq - 1, false);
        }
      /* else: the underrun was a loss; keeping the playout point reports
       * the missing frames as LOST, so FEC can recover them. */
    }
  else
    {
      int64_t delay = playout_delay_us (jb, now_us, jb->next_ts);
      const slot *head = &jb->slots[0];
      bool head_due = head->ext_seq == jb->last_seq + 1
                      && head->ext_ts - jb->next_ts < jb->frame;
      if (delay + jb->frame_us / 2 < jb->target_us && head_due)
        {
          /* Below target: hold the frame one period (the caller conceals),
           * which raises the delay by a frame. */
          jb->stats.stretched++;
          jb->delay_us = (uint32_t) (delay > 0 ? delay : 0);
          emit (jb, out, MEDIA_JB_EMPTY);
          return;
        }
      if (delay > (int64_t) jb->target_us + jb->frame_us
          && head->ext_seq == jb->last_seq + 1)
        {
          /* Above target: let one frame's time go unheard, silence (DTX)
           * if there is some, else the head frame. A missing frame is
           * never skipped here: it still comes out as LOST, for FEC and
           * the stats. */
          if (head_due)
            {
              advance_last (jb, head->ext_seq, true);
              jb->next_ts = head->ext_ts;
              remove_head (jb);
            }
          jb->next_ts += jb->frame;
          jb->stats.discarded++;
          if (jb->count == 0)
            {
              jb->delay_us = 0;
              emit (jb, out, MEDIA_JB_EMPTY);
              return;
            }
        }
    }

  int64_t delay = playout_delay_us (jb, now_us, jb->next_ts);
  jb->delay_us = (uint32_t) (delay > 0 ? (delay > UINT32_MAX ? UINT32_MAX
                                                            : delay)
                                       : 0);
  const slot *head = &jb->slots[0];
  if (head->ext_ts - jb->next_ts < jb->frame)
    {
      /* Due (or overdue after a start): play it. */
      play_head (jb, out);
      return;
    }

  if (head->ext_seq == jb->last_seq + 1)
    {
      /* Nothing missing, the sender just sent nothing for this time (DTX):
       * time moves on in silence. */
      emit (jb, out, MEDIA_JB_EMPTY);
      jb->next_ts += jb->frame;
      return;
    }

  /* A gap in the sequence: this frame is lost. */
  emit (jb, out, MEDIA_JB_LOST);
  out->seq = (uint16_t) (jb->last_seq + 1);
  out->timestamp = (uint32_t) (jb->next_ts - jb->ts_offset);
  if (head->ext_seq == jb->last_seq + 2)
    {
      /* The next packet may carry this frame's FEC. */
      if (head->len)
        memcpy (jb->next_buf, head->data, head->len);
      out->next_payload = jb->next_buf;
      out->next_payload_len = head->len;
    }
  advance_last (jb, jb->last_seq + 1, false);
  jb->next_ts += jb->frame;
  jb->stats.lost++;
}

uint32_t
media_jb_delay_ms (const media_jb *jb)
{
  return jb->playing ? jb->delay_us / 1000u : 0;
}

void
media_jb_stats_get (const media_jb *jb, media_jb_stats *stats)
{
  *stats = jb->stats;
  stats->target_delay_ms = jb->target_us / 1000u;
  stats->current_delay_ms = media_jb_delay_ms (jb);
  stats->jitter_ms = jb->spread_us / 1000u;
}
