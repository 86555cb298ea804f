/* Telling apart the datagrams that share one socket (RFC 7983, with RTCP
 * told from RTP under rtcp-mux by RFC 5761 section 4). */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef enum
{
  MEDIA_DEMUX_UNKNOWN,       /* drop it */
  MEDIA_DEMUX_STUN,          /* first byte 0..3 */
  MEDIA_DEMUX_ZRTP,          /* 16..19 */
  MEDIA_DEMUX_DTLS,          /* 20..63 */
  MEDIA_DEMUX_TURN_CHANNEL,  /* 64..79: TURN ChannelData */
  MEDIA_DEMUX_RTP,           /* 128..191, second byte & 0x7f outside 64..95 */
  MEDIA_DEMUX_RTCP,          /* 128..191, second byte & 0x7f in 64..95 */
} media_demux_kind;

/* Classifies by the first two bytes and a minimum length for the kind
 * (STUN 20, ChannelData 4, RTP 12, RTCP 8, DTLS 13, ZRTP 12): a datagram
 * too short for what its first byte says is UNKNOWN. STUN must also carry
 * the RFC 5389 magic cookie (ICE never uses RFC 3489 STUN). */
media_demux_kind media_demux_classify (const uint8_t *data, size_t len);

const char *media_demux_kind_name (media_demux_kind kind);
