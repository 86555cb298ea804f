/* RTP header codec, sequence arithmetic, receiver statistics (RFC 3550
 * A.1, A.3, A.8) and our sending source. */
#include "config.h"

#include "media/rtp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "media/wire.h"

/* A.1 parameters. */
#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000u
#define MAX_MISORDER 100u
#define MIN_SEQUENTIAL 2u

/* The extension length field counts 32-bit words in 16 bits. */
#define MAX_EXT_LEN (0xffffu * 4u)

int
media_rtp_parse (const uint8_t *data, size_t len, media_rtp_packet *pkt)
{
  if (data == NULL || pkt == NULL || len < MEDIA_RTP_HEADER_MIN)
    return -EBADMSG;
  if (data[0] >> 6 != MEDIA_RTP_VERSION)
    return -EBADMSG;

  memset (pkt, 0, sizeof *pkt);
  bool padding = (data[0] & 0x20) != 0;
  pkt->has_extension = (data[0] & 0x10) != 0;
  pkt->csrc_count = data[0] & 0x0f;
  pkt->marker = (data[1] & 0x80) != 0;
  pkt->payload_type = data[1] & 0x7f;
  pkt->seq = get16 (data + 2);
  pkt->timestamp = get32 (data + 4);
  pkt->ssrc = get32 (data + 8);

  size_t off = MEDIA_RTP_HEADER_MIN;
  if (len - off < 4u * pkt->csrc_count)
    return -EBADMSG;
  for (unsigned i = 0; i < pkt->csrc_count; i++, off += 4)
    pkt->csrc[i] = get32 (data + off);

  if (pkt->has_extension)
    {
      if (len - off < 4)
        return -EBADMSG;
      pkt->ext_profile = get16 (data + off);
      size_t ext_len = 4u * get16 (data + off + 2);
      off += 4;
      if (len - off < ext_len)
        return -EBADMSG;
      pkt->ext_data = data + off;
      pkt->ext_len = ext_len;
      off += ext_len;
    }

  size_t end = len;
  if (padding)
    {
      /* The count includes itself, so 0 is invalid; it may not reach into
       * the header. */
      uint8_t pad = data[len - 1];
      if (pad == 0 || pad > len - off)
        return -EBADMSG;
      pkt->padding_len = pad;
      end -= pad;
    }
  pkt->payload = data + off;
  pkt->payload_len = end - off;
  return 0;
}

int
media_rtp_packed_len (const media_rtp_packet *pkt)
{
  if (pkt == NULL || pkt->csrc_count > MEDIA_RTP_MAX_CSRC
      || pkt->payload_type > 127)
    return -EINVAL;
  if (pkt->has_extension
      && (pkt->ext_len % 4 != 0 || pkt->ext_len > MAX_EXT_LEN
          || (pkt->ext_len > 0 && pkt->ext_data == NULL)))
    return -EINVAL;
  if (pkt->payload_len > 0 && pkt->payload == NULL)
    return -EINVAL;
  /* Keeps the total representable as an int. */
  if (pkt->payload_len > 0x10000)
    return -EINVAL;
  size_t n = MEDIA_RTP_HEADER_MIN + 4u * pkt->csrc_count;
  if (pkt->has_extension)
    n += 4 + pkt->ext_len;
  n += pkt->payload_len + pkt->padding_len;
  return (int) n;
}

int
media_rtp_pack (const media_rtp_packet *pkt, uint8_t *out, size_t cap)
{
  int n = media_rtp_packed_len (pkt);
  if (n < 0)
    return n;
  if (out == NULL || cap < (size_t) n)
    return -ENOBUFS;

  out[0] = (uint8_t) (MEDIA_RTP_VERSION << 6 | (pkt->padding_len ? 0x20 : 0)
                      | (pkt->has_extension ? 0x10 : 0) | pkt->csrc_count);
  out[1] = (uint8_t) ((pkt->marker ? 0x80 : 0) | pkt->payload_type);
  put16 (out + 2, pkt->seq);
  put32 (out + 4, pkt->timestamp);
  put32 (out + 8, pkt->ssrc);
  size_t off = MEDIA_RTP_HEADER_MIN;
  for (unsigned i = 0; i < pkt->csrc_count; i++, off += 4)
    put32 (out + off, pkt->csrc[i]);
  if (pkt->has_extension)
    {
      put16 (out + off, pkt->ext_profile);
      put16 (out + off + 2, (uint16_t) (pkt->ext_len / 4));
      off += 4;
      if (pkt->ext_len)
        memcpy (out + off, pkt->ext_data, pkt->ext_len);
      off += pkt->ext_len;
    }
  if (pkt->payload_len)
    memcpy (out + off, pkt->payload, pkt->payload_len);
  off += pkt->payload_len;
  if (pkt->padding_len)
    {
      memset (out + off, 0, pkt->padding_len - 1u);
      off += pkt->padding_len;
      out[off - 1] = pkt->padding_len;
    }
  return n;
}

int16_t
media_rtp_seq_diff (uint16_t a, uint16_t b)
{
  return (int16_t) (uint16_t) (a - b);
}

int32_t
media_rtp_ts_diff (uint32_t a, uint32_t b)
{
  return (int32_t) (a - b);
}

bool
media_rtp_seq_newer (uint16_t a, uint16_t b)
{
  return media_rtp_seq_diff (a, b) > 0;
}

bool
media_rtp_ts_newer (uint32_t a, uint32_t b)
{
  return media_rtp_ts_diff (a, b) > 0;
}

int
media_rtp_random (void *buf, size_t len)
{
  uint8_t *p = buf;
  while (len > 0)
    {
      ssize_t n = getrandom (p, len, 0);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

/* ---- Receiving side ---------------------------------------------------- */

struct media_rtp_source
{
  uint32_t ssrc;
  uint32_t clock_rate;

  /* A.1 state */
  uint16_t max_seq;
  uint32_t cycles;           /* shifted count of wraps */
  uint32_t base_seq;
  uint32_t bad_seq;
  uint32_t probation;
  uint32_t received;
  uint32_t expected_prior;
  uint32_t received_prior;
  bool started;              /* any packet seen */

  /* A.8 state */
  bool have_transit;
  uint32_t transit;
  uint32_t jitter16;         /* jitter scaled by 16 */

  uint8_t fraction_lost;
  uint32_t duplicates;
  uint32_t bad;

  uint32_t lsr;
  uint64_t lsr_arrival_us;
};

media_rtp_source *
media_rtp_source_new (uint32_t ssrc, uint32_t clock_rate)
{
  if (clock_rate == 0)
    return NULL;
  media_rtp_source *src = calloc (1, sizeof *src);
  if (src == NULL)
    return NULL;
  src->ssrc = ssrc;
  src->clock_rate = clock_rate;
  return src;
}

void
media_rtp_source_free (media_rtp_source *src)
{
  free (src);
}

static void
init_seq (media_rtp_source *s, uint16_t seq)
{
  s->base_seq = seq;
  s->max_seq = seq;
  s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
  s->cycles = 0;
  s->received = 0;
  s->received_prior = 0;
  s->expected_prior = 0;
}

/* RFC 3550 A.1 update_seq, with the result told apart more finely. */
static media_rtp_seq_result
update_seq (media_rtp_source *s, uint16_t seq)
{
  uint16_t udelta = (uint16_t) (seq - s->max_seq);

  if (s->probation)
    {
      if (seq == (uint16_t) (s->max_seq + 1))
        {
          s->probation--;
          s->max_seq = seq;
          if (s->probation == 0)
            {
              init_seq (s, seq);
              s->received++;
              return MEDIA_RTP_SEQ_OK;
            }
        }
      else
        {
          s->probation = MIN_SEQUENTIAL - 1;
          s->max_seq = seq;
        }
      return MEDIA_RTP_SEQ_PROBATION;
    }

  media_rtp_seq_result r = MEDIA_RTP_SEQ_OK;
  if (udelta == 0)
    {
      s->duplicates++;
      r = MEDIA_RTP_SEQ_DUPLICATE;
    }
  else if (udelta < MAX_DROPOUT)
    {
      /* In order, with a permissible gap. */
      if (seq < s->max_seq)
        s->cycles += RTP_SEQ_MOD;
      s->max_seq = seq;
    }
  else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER)
    {
      /* A very large jump: accept it only if the next packet follows it
       * (the sender restarted); otherwise it is garbage. */
      if (seq == s->bad_seq)
        init_seq (s, seq);
      else
        {
          s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
          s->bad++;
          return MEDIA_RTP_SEQ_BAD;
        }
    }
  /* else: reordered or duplicate of an older packet; counted as A.1 does. */
  s->received++;
  return r;
}

/* Arrival time in timestamp units; wraps like RTP timestamps do. */
static uint32_t
arrival_units (const media_rtp_source *s, uint64_t now_us)
{
  uint64_t sec = now_us / 1000000u, frac = now_us % 1000000u;
  return (uint32_t) (sec * s->clock_rate + frac * s->clock_rate / 1000000u);
}

media_rtp_seq_result
media_rtp_source_update (media_rtp_source *src, uint16_t seq, uint32_t rtp_ts,
                         uint64_t now_us)
{
  if (!src->started)
    {
      /* A.1: a new source starts on probation. */
      init_seq (src, seq);
      src->max_seq = (uint16_t) (seq - 1);
      src->probation = MIN_SEQUENTIAL;
      src->started = true;
    }
  media_rtp_seq_result r = update_seq (src, seq);
  if (r == MEDIA_RTP_SEQ_BAD)
    return r;

  /* A.8: the jitter estimator, integer form scaled by 16. */
  uint32_t transit = arrival_units (src, now_us) - rtp_ts;
  if (src->have_transit)
    {
      int32_t d = (int32_t) (transit - src->transit);
      uint32_t ad = d < 0 ? (uint32_t) -(int64_t) d : (uint32_t) d;
      src->jitter16 += ad - ((src->jitter16 + 8) >> 4);
    }
  src->transit = transit;
  src->have_transit = true;
  return r;
}

void
media_rtp_source_note_sr (media_rtp_source *src, uint64_t ntp, uint64_t now_us)
{
  src->lsr = (uint32_t) (ntp >> 16);
  src->lsr_arrival_us = now_us;
}

static uint32_t
expected_of (const media_rtp_source *s)
{
  if (!s->started || (s->probation && s->received == 0))
    return 0;
  uint32_t ext_max = s->cycles + s->max_seq;
  return ext_max - s->base_seq + 1;
}

void
media_rtp_source_stats_get (const media_rtp_source *src,
                            media_rtp_source_stats *st)
{
  memset (st, 0, sizeof *st);
  st->ssrc = src->ssrc;
  st->expected = expected_of (src);
  if (st->expected)
    st->ext_highest_seq = src->cycles + src->max_seq;
  st->received = src->received;
  int64_t lost = (int64_t) st->expected - (int64_t) st->received;
  if (lost > INT32_MAX)
    lost = INT32_MAX;
  st->cumulative_lost = (int32_t) lost;
  st->fraction_lost = src->fraction_lost;
  st->jitter = src->jitter16 >> 4;
  st->jitter_us = (uint32_t) ((uint64_t) st->jitter * 1000000u
                              / src->clock_rate);
  st->duplicates = src->duplicates;
  st->bad = src->bad;
  st->lsr = src->lsr;
  st->lsr_arrival_us = src->lsr_arrival_us;
}

void
media_rtp_source_close_interval (media_rtp_source *src,
                                 media_rtp_source_stats *st)
{
  /* A.3 */
  uint32_t expected = expected_of (src);
  uint32_t expected_interval = expected - src->expected_prior;
  uint32_t received_interval = src->received - src->received_prior;
  src->expected_prior = expected;
  src->received_prior = src->received;
  int64_t lost_interval = (int64_t) expected_interval - received_interval;
  if (expected_interval == 0 || lost_interval <= 0)
    src->fraction_lost = 0;
  else
    src->fraction_lost = (uint8_t) (((uint64_t) lost_interval << 8)
                                    / expected_interval);
  media_rtp_source_stats_get (src, st);
}

/* ---- Sending side ------------------------------------------------------ */

struct media_rtp_sender
{
  uint32_t clock_rate;
  uint32_t ssrc;
  uint16_t next_seq;
  uint32_t ts_base;
  uint32_t last_timestamp;
  uint64_t packets;
  uint64_t octets;
};

media_rtp_sender *
media_rtp_sender_new (uint32_t clock_rate)
{
  if (clock_rate == 0)
    return NULL;
  media_rtp_sender *s = calloc (1, sizeof *s);
  if (s == NULL)
    return NULL;
  struct
  {
    uint32_t ssrc, ts;
    uint16_t seq;
  } r;
  if (media_rtp_random (&r, sizeof r) < 0)
    {
      free (s);
      return NULL;
    }
  s->clock_rate = clock_rate;
  s->ssrc = r.ssrc;
  /* RFC 3550 5.1: random initial values make known-plaintext attacks on
   * SRTP harder. */
  s->next_seq = r.seq;
  s->ts_base = r.ts;
  s->last_timestamp = r.ts;
  return s;
}

void
media_rtp_sender_free (media_rtp_sender *s)
{
  free (s);
}

int
media_rtp_sender_pack (media_rtp_sender *s, uint8_t payload_type, bool marker,
                       uint32_t ts_samples, const uint8_t *payload,
                       size_t payload_len, uint8_t *out, size_t cap)
{
  media_rtp_packet pkt = {
    .marker = marker,
    .payload_type = payload_type,
    .seq = s->next_seq,
    .timestamp = s->ts_base + ts_samples,
    .ssrc = s->ssrc,
    .payload = payload,
    .payload_len = payload_len,
  };
  int n = media_rtp_pack (&pkt, out, cap);
  if (n < 0)
    return n;
  s->next_seq++;
  s->last_timestamp = pkt.timestamp;
  s->packets++;
  s->octets += payload_len;
  return n;
}

void
media_rtp_sender_info_get (const media_rtp_sender *s,
                           media_rtp_sender_info *info)
{
  info->ssrc = s->ssrc;
  info->next_seq = s->next_seq;
  info->ts_base = s->ts_base;
  info->last_timestamp = s->last_timestamp;
  info->packets = s->packets;
  info->octets = s->octets;
}

bool
media_rtp_sender_check_collision (media_rtp_sender *s, uint32_t remote_ssrc,
                                  uint32_t *old_ssrc)
{
  if (remote_ssrc != s->ssrc)
    return false;
  uint32_t fresh;
  do
    {
      if (media_rtp_random (&fresh, sizeof fresh) < 0)
        /* The kernel's source does not fail once it has worked; should it,
         * any value other than the colliding one still resolves this. */
        fresh = s->ssrc ^ 0x5a5a5a5au;
    }
  while (fresh == remote_ssrc);
  if (old_ssrc)
    *old_ssrc = s->ssrc;
  s->ssrc = fresh;
  /* SR counts are per SSRC (RFC 3550 6.4.1). */
  s->packets = 0;
  s->octets = 0;
  return true;
}
