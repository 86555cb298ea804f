/* TURN client (RFC 8656, compatible with RFC 5766; IPv6 relays per RFC
 * 6156), sans-I/O: one allocation on one TURN server, its permissions and
 * channels, and the framing of data to and from peers.
 *
 * The caller carries the bytes to and from the server over UDP, TCP or TLS
 * (config.transport); on streams it cuts the byte stream into frames with
 * ice_turn_stream_frame_len.  The engine shape is DESIGN.md's:
 * handle_packet, handle_timeout/next_timeout, poll_transmit, poll_event.
 *
 * The password and the keys derived from it stay inside the client and are
 * wiped on free; nothing here logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* ---------------------------------------------------------- ChannelData */

/* RFC 5766 allows 0x4000-0x7FFF; RFC 8656 narrows new bindings to
 * 0x4000-0x4FFF.  We hand out numbers from 0x4000 up and accept the whole
 * older range from servers. */
#define ICE_TURN_CHANNEL_MIN 0x4000
#define ICE_TURN_CHANNEL_MAX 0x7FFF
#define ICE_TURN_CHANNEL_HEADER_LEN 4

bool ice_turn_channel_valid (uint16_t channel);

/* Writes a ChannelData frame into out (cap bytes).  reliable: the frame
 * goes on a stream (TCP/TLS) and is padded with zeros to a multiple of 4.
 * data may overlap out + 4.  Returns the frame length, -EINVAL (bad channel
 * number, len > 65535) or -ENOBUFS. */
int ice_turn_channel_data_write (uint16_t channel, const uint8_t *data,
                                 size_t len, bool reliable, uint8_t *out,
                                 size_t cap);

/* Parses one ChannelData frame of len bytes (bytes after the announced
 * length are padding and ignored).  *payload points into buf.  Returns 0 or
 * -EBADMSG (channel number out of range, truncated). */
int ice_turn_channel_data_parse (const uint8_t *buf, size_t len,
                                 uint16_t *channel, const uint8_t **payload,
                                 size_t *payload_len);

/* Stream framing for TCP/TLS to a TURN server: given the bytes received so
 * far, the length of the next whole STUN message or ChannelData frame
 * (padding included).  Returns > 0 the frame length (may exceed len: wait
 * for more), 0 when more bytes are needed to tell, or -EBADMSG when the
 * bytes start neither (the stream is unusable and must be closed). */
int ice_turn_stream_frame_len (const uint8_t *buf, size_t len);

/* ------------------------------------------------------------- client */

typedef struct ice_turn_client ice_turn_client;

typedef struct
{
  ice_addr server;         /* where transmits go */
  ice_addr local;          /* echoed in transmits (the glue's base); may be unset */
  ice_transport transport; /* how the glue carries us: UDP retransmits */
  const char *username;    /* copied */
  const char *password;    /* copied, wiped on free, never logged */
  int relay_family;        /* AF_INET (also when 0) or AF_INET6 */
  uint32_t lifetime_s;     /* LIFETIME to ask for; 0 = the server's default */
  const char *software;    /* SOFTWARE attribute, or NULL */
  uint32_t rto_ms;         /* UDP retransmission RTO; 0 = 500 */
} ice_turn_config;

typedef enum
{
  ICE_TURN_STATE_IDLE,
  ICE_TURN_STATE_ALLOCATING,
  ICE_TURN_STATE_ALLOCATED,
  ICE_TURN_STATE_CLOSING, /* Refresh with LIFETIME 0 sent */
  ICE_TURN_STATE_CLOSED,
  ICE_TURN_STATE_FAILED,  /* allocation refused, lost or redirected */
} ice_turn_state;

typedef enum
{
  ICE_TURN_EVENT_ALLOCATED,          /* relayed, mapped, lifetime_s */
  ICE_TURN_EVENT_REFRESHED,          /* lifetime_s */
  ICE_TURN_EVENT_ALTERNATE_SERVER,   /* alternate: start a new client there */
  ICE_TURN_EVENT_FAILED,             /* allocation refused or lost */
  ICE_TURN_EVENT_PERMISSION_CREATED, /* peer (IP; port 0) */
  ICE_TURN_EVENT_PERMISSION_FAILED,  /* peer; the permission is gone */
  ICE_TURN_EVENT_CHANNEL_BOUND,      /* peer, channel */
  ICE_TURN_EVENT_CHANNEL_FAILED,     /* peer, channel; the binding is gone */
  ICE_TURN_EVENT_CLOSED,             /* deallocated (or given up on) */
} ice_turn_event_type;

/* error_code for a transaction that got no answer. */
#define ICE_TURN_ERR_TIMEOUT (-1)
/* error_code for an answer we could not use (e.g. success without
 * XOR-RELAYED-ADDRESS, 401 with no usable realm/nonce). */
#define ICE_TURN_ERR_PROTOCOL (-2)
/* error_code when the TCP/TLS connection to the server ended. */
#define ICE_TURN_ERR_CONNECTION (-3)

typedef struct
{
  ice_turn_event_type type;
  ice_addr relayed;
  ice_addr mapped;
  ice_addr peer;
  ice_addr alternate;
  uint32_t lifetime_s;
  uint16_t channel;
  int error_code;     /* STUN error code, ICE_TURN_ERR_*, or 0 */
  const char *reason; /* a sentence about error_code (static), or NULL */
} ice_turn_event;

typedef struct
{
  const uint8_t *data; /* valid until the next call on the client */
  size_t len;
  ice_transport transport;
  ice_addr local;
  ice_addr remote; /* the server */
} ice_turn_transmit;

/* Data from a peer, unwrapped from a Data indication or ChannelData. */
typedef struct
{
  ice_addr peer;
  const uint8_t *data; /* points into the packet given to handle_packet */
  size_t len;
  uint16_t channel;    /* 0 when it came in a Data indication */
} ice_turn_data;

typedef struct
{
  uint64_t dropped_malformed;       /* not STUN/ChannelData, bad attributes */
  uint64_t dropped_unauthenticated; /* response failed integrity */
  uint64_t dropped_unmatched;       /* response to no request of ours */
  uint64_t dropped_unknown_peer;    /* Data indication from a non-permitted peer */
  uint64_t dropped_unknown_channel; /* ChannelData on a channel we did not bind */
  uint64_t data_in;
  uint64_t data_out;
  uint64_t stale_nonces; /* 438 answers retried with the new nonce */
} ice_turn_stats;

/* Returns NULL for a bad config (no username/password, unset server,
 * family other than AF_INET/AF_INET6) or on allocation failure. */
ice_turn_client *ice_turn_client_new (const ice_turn_config *cfg);
void ice_turn_client_free (ice_turn_client *c);

/* Starts the allocation (first Allocate without credentials, then the 401
 * challenge).  Returns 0, -EALREADY if not IDLE, or -ENOMEM/-EIO. */
int ice_turn_client_allocate (ice_turn_client *c, uint64_t now_us);

/* Deallocates (Refresh, LIFETIME 0); CLOSED follows on the answer or its
 * timeout.  Idempotent. */
void ice_turn_client_close (ice_turn_client *c, uint64_t now_us);

/* Installs a permission for peer's IP (port ignored) and keeps it
 * refreshed every 4 minutes until the client closes.  Allowed while
 * ALLOCATING (sent once allocated).  Returns 0, -EINVAL (family differs
 * from the relay's), -ENOSPC, -ENOTCONN (closed/failed). */
int ice_turn_client_create_permission (ice_turn_client *c, uint64_t now_us,
                                       const ice_addr *peer);

/* Binds a channel to peer (IP and port) and refreshes it every 9 minutes.
 * Returns the channel number (>= 0x4000) or -EINVAL/-ENOSPC/-ENOTCONN.
 * Binding the same peer again returns its channel. */
int ice_turn_client_bind_channel (ice_turn_client *c, uint64_t now_us,
                                  const ice_addr *peer);

/* Frames data for peer into out, to be sent to the server: ChannelData if
 * a channel to peer is bound (padded on streams), else a Send indication.
 * Returns the length, -ENOTCONN if not ALLOCATED, -ENOBUFS, -EINVAL. */
int ice_turn_client_send (ice_turn_client *c, const ice_addr *peer,
                          const uint8_t *data, size_t len, uint8_t *out,
                          size_t cap);

/* Feeds one datagram (or one stream frame) received from remote.
 * Returns 1 when it was peer data (*out filled, pointing into data),
 * 0 when the client consumed it, -ENOENT when it is not for this client
 * (remote is not our server, or a response to no request of ours: the
 * caller may hand it to another engine), or -EBADMSG/-EACCES when it was
 * malformed, unauthenticated or from an unknown peer, dropped and
 * counted. */
int ice_turn_client_handle_packet (ice_turn_client *c, uint64_t now_us,
                                   const ice_addr *local,
                                   const ice_addr *remote,
                                   const uint8_t *data, size_t len,
                                   ice_turn_data *out);

/* The glue's TCP/TLS connection to the server ended: the allocation dies
 * with it (RFC 8656 section 3.1).  FAILED (or CLOSED while closing)
 * follows; answers to outstanding requests are ignored. */
void ice_turn_client_connection_lost (ice_turn_client *c);

void ice_turn_client_handle_timeout (ice_turn_client *c, uint64_t now_us);
uint64_t ice_turn_client_next_timeout (const ice_turn_client *c);
bool ice_turn_client_poll_transmit (ice_turn_client *c,
                                    ice_turn_transmit *out);
bool ice_turn_client_poll_event (ice_turn_client *c, ice_turn_event *out);

ice_turn_state ice_turn_client_state (const ice_turn_client *c);
/* The server and transport from the config. */
const ice_addr *ice_turn_client_server (const ice_turn_client *c);
ice_transport ice_turn_client_transport (const ice_turn_client *c);
/* Valid once ALLOCATED. */
const ice_addr *ice_turn_client_relayed (const ice_turn_client *c);
const ice_addr *ice_turn_client_mapped (const ice_turn_client *c);
/* The channel bound (confirmed) to peer, or 0. */
uint16_t ice_turn_client_channel (const ice_turn_client *c,
                                  const ice_addr *peer);
void ice_turn_client_stats (const ice_turn_client *c, ice_turn_stats *out);

/* What a TURN/STUN error code means for the user, in words; never NULL. */
const char *ice_turn_error_meaning (int code);
const char *ice_turn_event_name (ice_turn_event_type type);
