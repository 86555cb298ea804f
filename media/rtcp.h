/* RTCP (RFC 3550 section 6): SR, RR with report blocks, SDES CNAME, BYE, in
 * compound packets; a parser that walks a compound packet checking every
 * length; NTP time helpers and RTT from LSR/DLSR (section 6.4.1). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtp.h"

enum
{
  MEDIA_RTCP_SR = 200,
  MEDIA_RTCP_RR = 201,
  MEDIA_RTCP_SDES = 202,
  MEDIA_RTCP_BYE = 203,
  MEDIA_RTCP_APP = 204,
};

#define MEDIA_RTCP_MAX_BLOCKS 31
#define MEDIA_RTCP_MAX_SSRCS 31
#define MEDIA_RTCP_SDES_CNAME 1

typedef struct
{
  uint32_t ssrc;             /* the source this block reports on */
  uint8_t fraction_lost;
  int32_t cumulative_lost;   /* 24-bit signed on the wire; clamped when packed */
  uint32_t ext_highest_seq;
  uint32_t jitter;
  uint32_t lsr;
  uint32_t dlsr;             /* units of 1/65536 s */
} media_rtcp_report_block;

/* SR and RR share this; has_sender_info tells them apart. */
typedef struct
{
  uint32_t ssrc;
  bool has_sender_info;      /* true: SR */
  uint64_t ntp;              /* 32.32 fixed point, seconds since 1900 */
  uint32_t rtp_ts;
  uint32_t packet_count;
  uint32_t octet_count;
  uint8_t n_blocks;
  media_rtcp_report_block blocks[MEDIA_RTCP_MAX_BLOCKS];
} media_rtcp_report;

typedef struct
{
  uint32_t ssrc;
  const uint8_t *cname;      /* into the datagram, not NUL-terminated; NULL if absent */
  uint8_t cname_len;
} media_rtcp_sdes_chunk;

/* One packet of a compound packet, as parsed. Pointers go into the
 * caller's datagram. */
typedef struct
{
  uint8_t type;              /* MEDIA_RTCP_* or any other 192..223 type */
  uint8_t count;             /* the 5-bit RC/SC/subtype field */
  const uint8_t *body;       /* after the 4-byte header, padding removed */
  size_t body_len;
  union
  {
    media_rtcp_report report;                 /* SR, RR */
    struct
    {
      uint8_t n_chunks;
      media_rtcp_sdes_chunk chunks[MEDIA_RTCP_MAX_SSRCS];
    } sdes;
    struct
    {
      uint8_t n_ssrcs;
      uint32_t ssrcs[MEDIA_RTCP_MAX_SSRCS];
      const uint8_t *reason;                  /* NULL if none */
      uint8_t reason_len;
    } bye;
  } u;
} media_rtcp_packet;

/* Walks a compound packet. *offset starts at 0. Returns 1 with *pkt filled,
 * 0 at the end, -EBADMSG if the packet at *offset is malformed (the rest
 * of the datagram must then be dropped). */
int media_rtcp_next (const uint8_t *data, size_t len, size_t *offset,
                     media_rtcp_packet *pkt);

/* RFC 3550 A.2 validity check of a whole compound packet: version 2, the
 * first packet an SR or RR without padding, padding only in the last, the
 * lengths summing to len. 0 or -EBADMSG. Also walks and parses every
 * packet, so a 0 means media_rtcp_next will not fail on it. */
int media_rtcp_validate (const uint8_t *data, size_t len);

/* ---- Building a compound packet -------------------------------------- */

/* A cursor over a caller buffer. Each write appends one packet; after the
 * first error (-ENOBUFS, -EINVAL) further writes do nothing and
 * media_rtcp_writer_finish returns that error. */
typedef struct
{
  uint8_t *buf;
  size_t cap;
  size_t len;
  int err;
} media_rtcp_writer;

void media_rtcp_writer_init (media_rtcp_writer *w, uint8_t *buf, size_t cap);
/* SR if r->has_sender_info, else RR. */
int media_rtcp_write_report (media_rtcp_writer *w, const media_rtcp_report *r);
/* cname: up to 255 bytes, NUL-terminated. */
int media_rtcp_write_sdes_cname (media_rtcp_writer *w, uint32_t ssrc,
                                 const char *cname);
/* reason may be NULL; at most 255 bytes. */
int media_rtcp_write_bye (media_rtcp_writer *w, const uint32_t *ssrcs,
                          size_t n_ssrcs, const char *reason);
/* Total length or the first error. */
int media_rtcp_writer_finish (const media_rtcp_writer *w);

/* ---- Transmission interval (RFC 3550 6.2, 6.3.1, A.7) ---------------- */

typedef struct
{
  uint32_t members;          /* participants seen, us included */
  uint32_t senders;          /* of those, who sent RTP lately */
  bool we_sent;              /* we are one of the senders */
  double rtcp_bw;            /* octets/s for RTCP: 5% of the session's */
  double avg_rtcp_size;      /* octets, UDP and IP headers included */
  bool initial;              /* we have not sent RTCP yet */
  double min_interval_s;     /* 0 = 5 s; 6.2 allows 360 / session kbit/s */
} media_rtcp_interval_params;

/* The randomised interval to wait before the next report: the
 * deterministic interval (senders get a quarter of the bandwidth when
 * they are under a quarter of the members; at least the minimum, halved
 * before our first report) times 0.5 + random01, divided by e - 3/2.
 * random01 must be uniform in [0, 1). */
uint64_t media_rtcp_interval_us (const media_rtcp_interval_params *p,
                                 double random01);

/* avg_rtcp_size update for a compound packet sent or received (6.3.3):
 * size includes UDP and IP headers. */
double media_rtcp_avg_size_update (double avg, size_t size);

/* ---- Time and RTT ----------------------------------------------------- */

/* 32.32 NTP time from microseconds since the Unix epoch. */
uint64_t media_rtcp_ntp_from_unix_us (uint64_t unix_us);
/* The middle 32 bits (16.16) of an NTP time: the LSR format. */
uint32_t media_rtcp_ntp_mid (uint64_t ntp);

/* Fills a report block for src from its receiver statistics, closing the
 * reporting interval; DLSR from the SR arrival noted on src and now_us. */
void media_rtcp_report_block_fill (media_rtcp_report_block *rb,
                                   media_rtp_source *src, uint64_t now_us);

/* Round-trip time from a report block that reports on us, received when
 * our NTP clock read arrival_ntp: A - LSR - DLSR (6.4.1). Returns the RTT
 * in microseconds, or -1 if the block carries no LSR or the result is
 * negative (clock trouble). */
int64_t media_rtcp_rtt_us (uint64_t arrival_ntp, uint32_t lsr, uint32_t dlsr);
