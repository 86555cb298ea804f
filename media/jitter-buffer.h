/* An adaptive jitter buffer for fixed-duration audio frames (one frame per
 * RTP packet). The caller pushes packets as they arrive and pulls one frame
 * per frame period; both take now_us from the caller's clock, so it runs
 * unchanged on a virtual clock in tests. No threads, no locks: the media
 * thread owns it.
 *
 * The target delay follows measured jitter: the spread from the lowest to
 * the 95th percentile transit time (arrival minus media time) over the
 * last 100 packets, plus one frame, clamped to [min_delay_ms,
 * max_delay_ms]. The playout delay (how long the frame being played was
 * held beyond the fastest transit) is steered toward it: playout starts,
 * or restarts after an underrun or a DTX pause, once the oldest packet has
 * been held the target; below target by half a frame a frame is held one
 * period (EMPTY, the caller conceals); above target by a frame one frame
 * (or a frame of DTX silence) is dropped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct media_jb media_jb;

typedef struct
{
  uint32_t clock_rate;       /* RTP timestamp rate, e.g. 48000 */
  uint32_t frame_samples;    /* timestamp units per packet, e.g. 960 (20 ms) */
  uint32_t min_delay_ms;     /* 0 = one frame */
  uint32_t max_delay_ms;     /* 0 = 500 */
  size_t capacity;           /* packets held at most; 0 = 64 */
  size_t max_payload;        /* bytes per packet; 0 = 1500 */
} media_jb_config;

typedef enum
{
  MEDIA_JB_FRAME,            /* play payload */
  MEDIA_JB_LOST,             /* this frame is missing: decode FEC from
                                next_payload if set, else conceal (PLC) */
  MEDIA_JB_EMPTY,            /* nothing due: conceal if playing was under
                                way (underrun), silence before the start
                                and during a DTX pause */
} media_jb_kind;

typedef struct
{
  media_jb_kind kind;
  uint16_t seq;              /* FRAME, LOST: the frame's sequence number */
  uint32_t timestamp;        /* FRAME, LOST: its RTP timestamp */
  bool marker;
  const uint8_t *payload;    /* FRAME; valid until the next call on jb */
  size_t payload_len;
  const uint8_t *next_payload; /* LOST: the following frame if held, else NULL */
  size_t next_payload_len;
} media_jb_frame;

typedef enum
{
  MEDIA_JB_PUT_OK,
  MEDIA_JB_PUT_DUPLICATE,    /* already held or already played: dropped */
  MEDIA_JB_PUT_LATE,         /* its time has passed: dropped */
  MEDIA_JB_PUT_TOO_BIG,      /* payload over max_payload: dropped */
  MEDIA_JB_PUT_OVERFLOW,     /* full, and older than all held: dropped */
} media_jb_put_result;

typedef struct
{
  uint64_t received;         /* packets stored */
  uint64_t duplicates;
  uint64_t late;
  uint64_t too_big;
  uint64_t overflow;         /* dropped because the buffer was full */
  uint64_t played;           /* FRAME results */
  uint64_t lost;             /* frames missing at their time: LOST results,
                                and those skipped when playout restarts
                                after an outage of more than 3 frames */
  uint64_t underruns;        /* EMPTY while playing was under way */
  uint64_t discarded;        /* frames dropped to shrink the delay */
  uint64_t stretched;        /* EMPTY given to grow the delay */
  uint64_t resyncs;          /* the sender restarted its sequence numbers */
  uint32_t target_delay_ms;
  uint32_t current_delay_ms; /* playout delay at the last pull; 0 when idle */
  uint32_t jitter_ms;        /* the measured transit spread */
} media_jb_stats;

/* NULL on -EINVAL config or ENOMEM. */
media_jb *media_jb_new (const media_jb_config *cfg);
void media_jb_free (media_jb *jb);
/* Forgets every packet and measurement (e.g. the peer's SSRC changed). */
void media_jb_reset (media_jb *jb);

media_jb_put_result media_jb_put (media_jb *jb, uint64_t now_us, uint16_t seq,
                                  uint32_t timestamp, bool marker,
                                  const uint8_t *payload, size_t len);

/* Call once per frame period. Fills *out; its pointers stay valid until the
 * next call on jb. */
void media_jb_get (media_jb *jb, uint64_t now_us, media_jb_frame *out);

uint32_t media_jb_delay_ms (const media_jb *jb);
void media_jb_stats_get (const media_jb *jb, media_jb_stats *stats);
