/* RTP (RFC 3550): the fixed header with CSRCs, header extension and padding;
 * sequence/timestamp arithmetic across wrap-around; the per-source receiver
 * statistics of RFC 3550 A.1/A.3/A.8; our own sending source (SSRC choice,
 * sequence numbering, collision handling per RFC 3550 8.2). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEDIA_RTP_VERSION 2
#define MEDIA_RTP_HEADER_MIN 12
#define MEDIA_RTP_MAX_CSRC 15

/* One RTP packet as parsed or to be packed. On parse, ext_data and payload
 * point into the caller's datagram (no copies); on pack they are read. */
typedef struct
{
  bool marker;
  uint8_t payload_type;   /* 0..127 */
  uint16_t seq;
  uint32_t timestamp;
  uint32_t ssrc;
  uint8_t csrc_count;     /* 0..15 */
  uint32_t csrc[MEDIA_RTP_MAX_CSRC];

  bool has_extension;
  uint16_t ext_profile;   /* "defined by profile" 16 bits, e.g. 0xBEDE */
  const uint8_t *ext_data;
  size_t ext_len;         /* bytes; a multiple of 4 */

  const uint8_t *payload;
  size_t payload_len;

  /* Parse: padding bytes found (0 = P bit clear). Pack: padding bytes to
   * append (0 = none, else 1..255, count byte included). */
  uint8_t padding_len;
} media_rtp_packet;

/* Parses a datagram. Returns 0, or -EBADMSG for anything malformed (wrong
 * version, lengths that do not fit, zero or oversize padding). */
int media_rtp_parse (const uint8_t *data, size_t len, media_rtp_packet *pkt);

/* Size media_rtp_pack would write, or -EINVAL. */
int media_rtp_packed_len (const media_rtp_packet *pkt);

/* Writes the packet into out. Returns its length, -EINVAL for impossible
 * fields (csrc_count > 15, ext_len not a multiple of 4 or > 262140,
 * payload_type > 127) or -ENOBUFS. */
int media_rtp_pack (const media_rtp_packet *pkt, uint8_t *out, size_t cap);

/* Signed distance a - b modulo 2^16 / 2^32: positive when a is newer. */
int16_t media_rtp_seq_diff (uint16_t a, uint16_t b);
int32_t media_rtp_ts_diff (uint32_t a, uint32_t b);
bool media_rtp_seq_newer (uint16_t a, uint16_t b);
bool media_rtp_ts_newer (uint32_t a, uint32_t b);

/* Fills buf from the kernel's random source (getrandom). 0 or -errno. */
int media_rtp_random (void *buf, size_t len);

/* ---- Receiving side: one remote source ------------------------------- */

typedef struct media_rtp_source media_rtp_source;

/* The statistics follow A.1 exactly, so a duplicate counts as received
 * (cumulative loss can go negative). Telling every duplicate from a
 * reordered packet is the jitter buffer's job; OK covers both here. */
typedef enum
{
  MEDIA_RTP_SEQ_OK,          /* accepted, counts toward statistics */
  MEDIA_RTP_SEQ_PROBATION,   /* new source not yet validated (A.1); the
                                packet itself may still be played */
  MEDIA_RTP_SEQ_DUPLICATE,   /* seq equal to the highest: a sure duplicate */
  MEDIA_RTP_SEQ_BAD,         /* large jump: drop it; if the next packet
                                follows it, the source restarts there */
} media_rtp_seq_result;

typedef struct
{
  uint32_t ssrc;
  uint32_t ext_highest_seq;  /* cycles << 16 | max_seq */
  uint32_t expected;         /* ext_highest_seq - base_seq + 1 */
  uint32_t received;
  int32_t cumulative_lost;   /* expected - received; can be negative (dups) */
  uint8_t fraction_lost;     /* of the last closed interval, 8-bit fixed */
  uint32_t jitter;           /* interarrival jitter, timestamp units */
  uint32_t jitter_us;        /* the same in microseconds */
  uint32_t duplicates;
  uint32_t bad;              /* packets rejected as out of the valid window */
  uint32_t lsr;              /* middle 32 bits of the last SR's NTP time, 0 if none */
  uint64_t lsr_arrival_us;   /* when that SR arrived (caller's clock) */
} media_rtp_source_stats;

/* clock_rate: RTP timestamp rate (48000 for Opus, 8000 for G.711). */
media_rtp_source *media_rtp_source_new (uint32_t ssrc, uint32_t clock_rate);
void media_rtp_source_free (media_rtp_source *src);

/* Feeds one received packet's header: sequence validation (A.1) and jitter
 * (A.8) with now_us the arrival time on the caller's monotonic clock. */
media_rtp_seq_result media_rtp_source_update (media_rtp_source *src,
                                              uint16_t seq, uint32_t rtp_ts,
                                              uint64_t now_us);

/* Records that an SR arrived from this source (for LSR/DLSR). */
void media_rtp_source_note_sr (media_rtp_source *src, uint64_t ntp,
                               uint64_t now_us);

/* Current totals; fraction_lost is that of the last closed interval. */
void media_rtp_source_stats_get (const media_rtp_source *src,
                                 media_rtp_source_stats *stats);

/* Closes a reporting interval (A.3): computes fraction_lost since the
 * previous call, then fills *stats as media_rtp_source_stats_get does. */
void media_rtp_source_close_interval (media_rtp_source *src,
                                      media_rtp_source_stats *stats);

/* ---- Sending side: our own source ------------------------------------ */

typedef struct media_rtp_sender media_rtp_sender;

typedef struct
{
  uint32_t ssrc;
  uint16_t next_seq;
  uint32_t ts_base;          /* random initial timestamp */
  uint32_t last_timestamp;   /* of the last packet packed (absolute) */
  uint64_t packets;
  uint64_t octets;           /* payload octets, as SR counts them */
} media_rtp_sender_info;

/* Random SSRC, initial sequence number and timestamp base. NULL on ENOMEM
 * or if the random source fails. */
media_rtp_sender *media_rtp_sender_new (uint32_t clock_rate);
void media_rtp_sender_free (media_rtp_sender *s);

/* Packs one packet with the next sequence number. ts_samples counts samples
 * from the start of the stream; the random base is added here. Returns the
 * length or a negative code as media_rtp_pack. */
int media_rtp_sender_pack (media_rtp_sender *s, uint8_t payload_type,
                           bool marker, uint32_t ts_samples,
                           const uint8_t *payload, size_t payload_len,
                           uint8_t *out, size_t cap);

void media_rtp_sender_info_get (const media_rtp_sender *s,
                                media_rtp_sender_info *info);

/* A packet (RTP or RTCP) from another participant carried remote_ssrc. If
 * it equals ours, that is a collision (RFC 3550 8.2): we take a new random
 * SSRC different from remote_ssrc, reset the packet/octet counts, store the
 * old SSRC in *old_ssrc (the caller sends a BYE for it) and return true. */
bool media_rtp_sender_check_collision (media_rtp_sender *s,
                                       uint32_t remote_ssrc,
                                       uint32_t *old_ssrc);
