/* TURN ChannelData framing (RFC 8656 section 12.4, RFC 5766 section 11.4)
 * and the framing of a TURN/STUN byte stream over TCP or TLS. */
#include "turn-client.h"

#include <errno.h>
#include <string.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC_COOKIE 0x2112A442u

static size_t
pad4 (size_t n)
{
  return (n + 3) & ~(size_t) 3;
}

bool
ice_turn_channel_valid (uint16_t channel)
{
  return channel >= ICE_TURN_CHANNEL_MIN && channel <= ICE_TURN_CHANNEL_MAX;
}

int
ice_turn_channel_data_write (uint16_t channel, const uint8_t *data, size_t len,
                             bool reliable, uint8_t *out, size_t cap)
{
  if (!ice_turn_channel_valid (channel) || len > UINT16_MAX
      || (len > 0 && data == NULL) || out == NULL)
    return -EINVAL;

  /* Streams need the padding so that the next frame starts on a 4-byte
   * boundary; datagrams do not, and skipping it saves bytes. */
  size_t total = ICE_TURN_CHANNEL_HEADER_LEN + (reliable ? pad4 (len) : len);
  if (total > cap)
    return -ENOBUFS;

  out[0] = (uint8_t) (channel >> 8);
  out[1] = (uint8_t) channel;
  out[2] = (uint8_t) (len >> 8);
  out[3] = (uint8_t) len;
  if (len > 0)
    memmove (out + ICE_TURN_CHANNEL_HEADER_LEN, data, len);
  memset (out + ICE_TURN_CHANNEL_HEADER_LEN + len, 0,
          total - ICE_TURN_CHANNEL_HEADER_LEN - len);
  return (int) total;
}

int
ice_turn_channel_data_parse (const uint8_t *buf, size_t len, uint16_t *channel,
                             const uint8_t **payload, size_t *payload_len)
{
  if (buf == NULL || len < ICE_TURN_CHANNEL_HEADER_LEN)
    return -EBADMSG;
  uint16_t ch = (uint16_t) (buf[0] << 8 | buf[1]);
  size_t dlen = (size_t) (buf[2] << 8 | buf[3]);
  if (!ice_turn_channel_valid (ch))
    return -EBADMSG;
  /* Trailing bytes past the length are padding (or UDP slack) and ignored;
   * a length that runs past the buffer is a truncated frame. */
  if (dlen > len - ICE_TURN_CHANNEL_HEADER_LEN)
    return -EBADMSG;
  if (channel)
    *channel = ch;
  if (payload)
    *payload = buf + ICE_TURN_CHANNEL_HEADER_LEN;
  if (payload_len)
    *payload_len = dlen;
  return 0;
}

int
ice_turn_stream_frame_len (const uint8_t *buf, size_t len)
{
  if (len < 1)
    return 0;
  if (buf == NULL)
    return -EINVAL;

  uint8_t first = buf[0];
  if ((first & 0xC0) == 0x00)
    {
      /* A STUN message: the first two bits are zero and the length field
       * counts the attributes, always a multiple of 4. */
      if (len < STUN_HEADER_LEN)
        return 0;
      size_t mlen = (size_t) (buf[2] << 8 | buf[3]);
      uint32_t cookie = (uint32_t) buf[4] << 24 | (uint32_t) buf[5] << 16
                        | (uint32_t) buf[6] << 8 | buf[7];
      if (cookie != STUN_MAGIC_COOKIE || (mlen & 3) != 0)
        return -EBADMSG;
      return (int) (STUN_HEADER_LEN + mlen);
    }
  if (first >= (ICE_TURN_CHANNEL_MIN >> 8) && first <= (ICE_TURN_CHANNEL_MAX >> 8))
    {
      if (len < ICE_TURN_CHANNEL_HEADER_LEN)
        return 0;
      size_t dlen = (size_t) (buf[2] << 8 | buf[3]);
      return (int) (ICE_TURN_CHANNEL_HEADER_LEN + pad4 (dlen));
    }
  /* Neither STUN nor ChannelData: the stream has lost its framing and
   * cannot be resynchronised. */
  return -EBADMSG;
}
