/* RFC 7983 demultiplexing by first byte, RFC 5761 for RTCP vs RTP. */
#include "config.h"

#include "media/demux.h"

media_demux_kind
media_demux_classify (const uint8_t *data, size_t len)
{
  if (data == NULL || len == 0)
    return MEDIA_DEMUX_UNKNOWN;
  uint8_t b = data[0];
  if (b <= 3)
    {
      /* A STUN header is 20 bytes with the magic cookie 0x2112A442. */
      if (len < 20 || data[4] != 0x21 || data[5] != 0x12 || data[6] != 0xa4
          || data[7] != 0x42)
        return MEDIA_DEMUX_UNKNOWN;
      return MEDIA_DEMUX_STUN;
    }
  if (b >= 16 && b <= 19)
    return len >= 12 ? MEDIA_DEMUX_ZRTP : MEDIA_DEMUX_UNKNOWN;
  if (b >= 20 && b <= 63)
    return len >= 13 ? MEDIA_DEMUX_DTLS : MEDIA_DEMUX_UNKNOWN;
  if (b >= 64 && b <= 79)
    return len >= 4 ? MEDIA_DEMUX_TURN_CHANNEL : MEDIA_DEMUX_UNKNOWN;
  if (b >= 128 && b <= 191)
    {
      if (len < 2)
        return MEDIA_DEMUX_UNKNOWN;
      /* RFC 5761 4: RTCP packet types 192..223 read as marker + PT 64..95;
       * payload types in that range are therefore never used for RTP. */
      uint8_t pt = data[1] & 0x7f;
      if (pt >= 64 && pt <= 95)
        return len >= 8 ? MEDIA_DEMUX_RTCP : MEDIA_DEMUX_UNKNOWN;
      return len >= 12 ? MEDIA_DEMUX_RTP : MEDIA_DEMUX_UNKNOWN;
    }
  return MEDIA_DEMUX_UNKNOWN;
}

const char *
media_demux_kind_name (media_demux_kind kind)
{
  switch (kind)
    {
    case MEDIA_DEMUX_STUN:
      return "stun";
    case MEDIA_DEMUX_ZRTP:
      return "zrtp";
    case MEDIA_DEMUX_DTLS:
      return "dtls";
    case MEDIA_DEMUX_TURN_CHANNEL:
      return "turn-channel";
    case MEDIA_DEMUX_RTP:
      return "rtp";
    case MEDIA_DEMUX_RTCP:
      return "rtcp";
    case MEDIA_DEMUX_UNKNOWN:
      break;
    }
  return "unknown";
}
