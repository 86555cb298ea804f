/* RTCP compound packets (RFC 3550 section 6, A.2). */
#include "config.h"

#include "media/rtcp.h"

#include <errno.h>
#include <string.h>

#include "media/wire.h"

#define HEADER_LEN 4
#define SENDER_INFO_LEN 20
#define BLOCK_LEN 24
/* Seconds from 1900 (NTP era 0) to 1970. */
#define NTP_UNIX_OFFSET 2208988800u

/* ---- Parsing ----------------------------------------------------------- */

static void
parse_block (const uint8_t *p, media_rtcp_report_block *rb)
{
  rb->ssrc = get32 (p);
  rb->fraction_lost = p[4];
  /* 24-bit two's complement */
  uint32_t raw = (uint32_t) p[5] << 16 | (uint32_t) p[6] << 8 | p[7];
  rb->cumulative_lost = (raw & 0x800000u) ? (int32_t) raw - 0x1000000
                                          : (int32_t) raw;
  rb->ext_highest_seq = get32 (p + 8);
  rb->jitter = get32 (p + 12);
  rb->lsr = get32 (p + 16);
  rb->dlsr = get32 (p + 20);
}

static int
parse_report (const uint8_t *b, size_t n, bool sr, uint8_t count,
              media_rtcp_report *r)
{
  size_t need = 4 + (sr ? SENDER_INFO_LEN : 0) + (size_t) BLOCK_LEN * count;
  /* Anything beyond the blocks is a profile-specific extension: ignored. */
  if (n < need)
    return -EBADMSG;
  r->ssrc = get32 (b);
  r->has_sender_info = sr;
  size_t off = 4;
  if (sr)
    {
      r->ntp = (uint64_t) get32 (b + 4) << 32 | get32 (b + 8);
      r->rtp_ts = get32 (b + 12);
      r->packet_count = get32 (b + 16);
      r->octet_count = get32 (b + 20);
      off += SENDER_INFO_LEN;
    }
  r->n_blocks = count;
  for (unsigned i = 0; i < count; i++, off += BLOCK_LEN)
    parse_block (b + off, &r->blocks[i]);
  return 0;
}

static int
parse_sdes (const uint8_t *b, size_t n, uint8_t count, media_rtcp_packet *pkt)
{
  size_t pos = 0;
  pkt->u.sdes.n_chunks = count;
  for (unsigned c = 0; c < count; c++)
    {
      media_rtcp_sdes_chunk *ch = &pkt->u.sdes.chunks[c];
      if (n - pos < 4)
        return -EBADMSG;
      ch->ssrc = get32 (b + pos);
      pos += 4;
      for (;;)
        {
          if (pos >= n)
            return -EBADMSG; /* no terminating null item */
          uint8_t type = b[pos];
          if (type == 0)
            {
              /* The null item, then padding to the next 32-bit boundary
               * (the body starts on one). */
              pos = (pos + 4) & ~(size_t) 3;
              if (pos > n)
                return -EBADMSG;
              break;
            }
          if (n - pos < 2)
            return -EBADMSG;
          uint8_t ilen = b[pos + 1];
          if (n - pos - 2 < ilen)
            return -EBADMSG;
          if (type == MEDIA_RTCP_SDES_CNAME && ch->cname == NULL)
            {
              ch->cname = b + pos + 2;
              ch->cname_len = ilen;
            }
          pos += 2u + ilen;
        }
    }
  return 0;
}

static int
parse_bye (const uint8_t *b, size_t n, uint8_t count, media_rtcp_packet *pkt)
{
  if (n < 4u * count)
    return -EBADMSG;
  pkt->u.bye.n_ssrcs = count;
  for (unsigned i = 0; i < count; i++)
    pkt->u.bye.ssrcs[i] = get32 (b + 4 * i);
  size_t pos = 4u * count;
  if (pos < n)
    {
      uint8_t rlen = b[pos];
      if (n - pos - 1 < rlen)
        return -EBADMSG;
      pkt->u.bye.reason = b + pos + 1;
      pkt->u.bye.reason_len = rlen;
    }
  return 0;
}

/* Parses the packet at *offset; *padded tells whether its P bit was set. */
static int
next_packet (const uint8_t *data, size_t len, size_t *offset,
             media_rtcp_packet *pkt, bool *padded)
{
  if (data == NULL || offset == NULL || pkt == NULL || *offset > len)
    return -EBADMSG;
  if (*offset == len)
    return 0;
  const uint8_t *p = data + *offset;
  size_t left = len - *offset;
  if (left < HEADER_LEN || p[0] >> 6 != 2)
    return -EBADMSG;
  size_t plen = 4u * ((size_t) get16 (p + 2) + 1);
  if (plen > left)
    return -EBADMSG;

  memset (pkt, 0, sizeof *pkt);
  pkt->type = p[1];
  pkt->count = p[0] & 0x1f;
  size_t body_len = plen - HEADER_LEN;
  *padded = (p[0] & 0x20) != 0;
  if (*padded)
    {
      uint8_t pad = p[plen - 1];
      if (pad == 0 || pad > body_len)
        return -EBADMSG;
      body_len -= pad;
    }
  pkt->body = p + HEADER_LEN;
  pkt->body_len = body_len;

  int r = 0;
  switch (pkt->type)
    {
    case MEDIA_RTCP_SR:
    case MEDIA_RTCP_RR:
      r = parse_report (pkt->body, body_len, pkt->type == MEDIA_RTCP_SR,
                        pkt->count, &pkt->u.report);
      break;
    case MEDIA_RTCP_SDES:
      r = parse_sdes (pkt->body, body_len, pkt->count, pkt);
      break;
    case MEDIA_RTCP_BYE:
      r = parse_bye (pkt->body, body_len, pkt->count, pkt);
      break;
    default:
      /* RFC 5761: RTCP types live in 192..223 (72..95 with the marker
       * bit); anything outside cannot be RTCP. */
      if (pkt->type < 192 || pkt->type > 223)
        r = -EBADMSG;
      break;
    }
  if (r < 0)
    return r;
  *offset += plen;
  return 1;
}

int
media_rtcp_next (const uint8_t *data, size_t len, size_t *offset,
                 media_rtcp_packet *pkt)
{
  bool padded;
  return next_packet (data, len, offset, pkt, &padded);
}

int
media_rtcp_validate (const uint8_t *data, size_t len)
{
  media_rtcp_packet pkt;
  size_t off = 0;
  bool padded = false, first = true;
  int r;
  if (len == 0)
    return -EBADMSG;
  while ((r = next_packet (data, len, &off, &pkt, &padded)) == 1)
    {
      if (first && ((pkt.type != MEDIA_RTCP_SR && pkt.type != MEDIA_RTCP_RR)
                    || padded))
        return -EBADMSG;
      /* Only the last packet may carry padding. */
      if (padded && off != len)
        return -EBADMSG;
      first = false;
    }
  return r < 0 ? -EBADMSG : 0;
}

/* ---- Writing ----------------------------------------------------------- */

void
media_rtcp_writer_init (media_rtcp_writer *w, uint8_t *buf, size_t cap)
{
  w->buf = buf;
  w->cap = buf ? cap : 0;
  w->len = 0;
  w->err = 0;
}

/* Reserves plen bytes (a multiple of 4) and writes the common header. */
static uint8_t *
begin_packet (media_rtcp_writer *w, uint8_t count, uint8_t type, size_t plen)
{
  if (w->err)
    return NULL;
  if (w->cap - w->len < plen)
    {
      w->err = -ENOBUFS;
      return NULL;
    }
  uint8_t *p = w->buf + w->len;
  memset (p, 0, plen);
  p[0] = (uint8_t) (2u << 6 | count);
  p[1] = type;
  put16 (p + 2, (uint16_t) (plen / 4 - 1));
  w->len += plen;
  return p;
}

static int
fail (media_rtcp_writer *w, int err)
{
  if (!w->err)
    w->err = err;
  return w->err;
}

static void
write_block (uint8_t *p, const media_rtcp_report_block *rb)
{
  int32_t lost = rb->cumulative_lost;
  if (lost > 0x7fffff)
    lost = 0x7fffff;
  if (lost < -0x800000)
    lost = -0x800000;
  uint32_t raw = (uint32_t) lost & 0xffffffu;
  put32 (p, rb->ssrc);
  p[4] = rb->fraction_lost;
  p[5] = (uint8_t) (raw >> 16);
  p[6] = (uint8_t) (raw >> 8);
  p[7] = (uint8_t) raw;
  put32 (p + 8, rb->ext_highest_seq);
  put32 (p + 12, rb->jitter);
  put32 (p + 16, rb->lsr);
  put32 (p + 20, rb->dlsr);
}

int
media_rtcp_write_report (media_rtcp_writer *w, const media_rtcp_report *r)
{
  if (w->err)
    return w->err;
  if (r == NULL || r->n_blocks > MEDIA_RTCP_MAX_BLOCKS)
    return fail (w, -EINVAL);
  bool sr = r->has_sender_info;
  size_t plen = HEADER_LEN + 4 + (sr ? SENDER_INFO_LEN : 0)
                + (size_t) BLOCK_LEN * r->n_blocks;
  uint8_t *p = begin_packet (w, r->n_blocks,
                             sr ? MEDIA_RTCP_SR : MEDIA_RTCP_RR, plen);
  if (p == NULL)
    return w->err;
  put32 (p + 4, r->ssrc);
  size_t off = 8;
  if (sr)
    {
      put32 (p + 8, (uint32_t) (r->ntp >> 32));
      put32 (p + 12, (uint32_t) r->ntp);
      put32 (p + 16, r->rtp_ts);
      put32 (p + 20, r->packet_count);
      put32 (p + 24, r->octet_count);
      off += SENDER_INFO_LEN;
    }
  for (unsigned i = 0; i < r->n_blocks; i++, off += BLOCK_LEN)
    write_block (p + off, &r->blocks[i]);
  return 0;
}

int
media_rtcp_write_sdes_cname (media_rtcp_writer *w, uint32_t ssrc,
                             const char *cname)
{
  if (w->err)
    return w->err;
  size_t clen = cname ? strlen (cname) : 0;
  if (cname == NULL || clen > 255)
    return fail (w, -EINVAL);
  /* ssrc, CNAME item, at least one null octet, padded to 32 bits */
  size_t chunk = (4 + 2 + clen + 1 + 3) & ~(size_t) 3;
  uint8_t *p = begin_packet (w, 1, MEDIA_RTCP_SDES, HEADER_LEN + chunk);
  if (p == NULL)
    return w->err;
  put32 (p + 4, ssrc);
  p[8] = MEDIA_RTCP_SDES_CNAME;
  p[9] = (uint8_t) clen;
  memcpy (p + 10, cname, clen);
  return 0;
}

int
media_rtcp_write_bye (media_rtcp_writer *w, const uint32_t *ssrcs,
                      size_t n_ssrcs, const char *reason)
{
  if (w->err)
    return w->err;
  size_t rlen = reason ? strlen (reason) : 0;
  if (n_ssrcs > MEDIA_RTCP_MAX_SSRCS || (n_ssrcs && ssrcs == NULL)
      || rlen > 255)
    return fail (w, -EINVAL);
  size_t body = 4 * n_ssrcs + (reason ? 1 + rlen : 0);
  body = (body + 3) & ~(size_t) 3;
  uint8_t *p = begin_packet (w, (uint8_t) n_ssrcs, MEDIA_RTCP_BYE,
                             HEADER_LEN + body);
  if (p == NULL)
    return w->err;
  for (size_t i = 0; i < n_ssrcs; i++)
    put32 (p + 4 + 4 * i, ssrcs[i]);
  if (reason)
    {
      p[4 + 4 * n_ssrcs] = (uint8_t) rlen;
      memcpy (p + 5 + 4 * n_ssrcs, reason, rlen);
    }
  return 0;
}

int
media_rtcp_writer_finish (const media_rtcp_writer *w)
{
  if (w->err)
    return w->err;
  return (int) w->len;
}

/* ---- Transmission interval --------------------------------------------- */

uint64_t
media_rtcp_interval_us (const media_rtcp_interval_params *p, double random01)
{
  /* e - 3/2: compensates the timer reconsideration's bias (6.3.1). */
  const double compensation = 2.71828182845904523536 - 1.5;
  double min_time = p->min_interval_s > 0 ? p->min_interval_s : 5.0;
  if (p->initial)
    min_time /= 2;
  double bw = p->rtcp_bw;
  double n = p->members ? p->members : 1;
  if (p->senders > 0 && p->senders <= p->members * 0.25)
    {
      /* Senders share a quarter of the bandwidth, receivers the rest. */
      if (p->we_sent)
        {
          bw *= 0.25;
          n = p->senders;
        }
      else
        {
          bw *= 0.75;
          n -= p->senders;
        }
    }
  double t = bw > 0 ? p->avg_rtcp_size * n / bw : min_time;
  if (t < min_time)
    t = min_time;
  if (random01 < 0 || random01 >= 1)
    random01 = 0.5;
  t = t * (random01 + 0.5) / compensation;
  return (uint64_t) (t * 1e6);
}

double
media_rtcp_avg_size_update (double avg, size_t size)
{
  return avg + ((double) size - avg) / 16.0;
}

/* ---- Time -------------------------------------------------------------- */

uint64_t
media_rtcp_ntp_from_unix_us (uint64_t unix_us)
{
  uint64_t sec = unix_us / 1000000u + NTP_UNIX_OFFSET;
  uint64_t frac = ((unix_us % 1000000u) << 32) / 1000000u;
  return sec << 32 | frac;
}

uint32_t
media_rtcp_ntp_mid (uint64_t ntp)
{
  return (uint32_t) (ntp >> 16);
}

void
media_rtcp_report_block_fill (media_rtcp_report_block *rb,
                              media_rtp_source *src, uint64_t now_us)
{
  media_rtp_source_stats st;
  media_rtp_source_close_interval (src, &st);
  memset (rb, 0, sizeof *rb);
  rb->ssrc = st.ssrc;
  rb->fraction_lost = st.fraction_lost;
  rb->cumulative_lost = st.cumulative_lost;
  rb->ext_highest_seq = st.ext_highest_seq;
  rb->jitter = st.jitter;
  rb->lsr = st.lsr;
  if (st.lsr != 0 && now_us >= st.lsr_arrival_us)
    {
      uint64_t d = ((now_us - st.lsr_arrival_us) << 16) / 1000000u;
      rb->dlsr = d > UINT32_MAX ? UINT32_MAX : (uint32_t) d;
    }
}

int64_t
media_rtcp_rtt_us (uint64_t arrival_ntp, uint32_t lsr, uint32_t dlsr)
{
  if (lsr == 0)
    return -1;
  /* Modular 16.16 arithmetic: correct across the NTP era boundary. */
  int32_t rtt = (int32_t) (media_rtcp_ntp_mid (arrival_ntp) - lsr - dlsr);
  if (rtt < 0)
    return -1;
  return (int64_t) (((uint64_t) (uint32_t) rtt * 1000000u) >> 16);
}
