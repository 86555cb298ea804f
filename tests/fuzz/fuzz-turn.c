/* libFuzzer target for what a TURN client reads from the network: the
 * stream framer over the whole input, and every frame it cuts (or the
 * whole input as a datagram) fed to a client that holds an allocation,
 * a permission and a channel, so Data indications, ChannelData and
 * responses all reach their parsers. */
#include "ice/stun-msg.h"
#include "ice/turn-client.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

static ice_addr server;
/* After the first refreshes went out: every request is outstanding. */
static const uint64_t now_us = UINT64_C (541) * 1000000;

/* Answers the client's next request: a 401 challenge when it carries no
 * credentials, else a success with integrity under key. */
static void
answer (ice_turn_client *c, const uint8_t *key, size_t keylen)
{
  ice_turn_transmit t;
  while (ice_turn_client_poll_transmit (c, &t))
    {
      uint8_t req_buf[2048], out[2048];
      if (t.len > sizeof req_buf)
        abort ();
      memcpy (req_buf, t.data, t.len);
      ice_stun_msg req;
      if (ice_stun_msg_parse (req_buf, t.len, &req) < 0)
        abort ();
      ice_stun_writer w;
      bool challenge = !ice_stun_msg_has (&req, ICE_STUN_ATTR_USERNAME);
      ice_stun_writer_init_response (&w, out, sizeof out, &req,
                                     challenge ? ICE_STUN_CLASS_ERROR
                                               : ICE_STUN_CLASS_SUCCESS);
      if (challenge)
        {
          ice_stun_add_error (&w, 401, NULL);
          ice_stun_add_string (&w, ICE_STUN_ATTR_REALM, "fuzz");
          ice_stun_add_string (&w, ICE_STUN_ATTR_NONCE, "n");
        }
      else
        {
          ice_addr relayed;
          ice_addr_set (&relayed, "192.0.2.1", 50000);
          ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_RELAYED_ADDRESS, &relayed);
          ice_stun_add_u32 (&w, ICE_STUN_ATTR_LIFETIME, 600);
          ice_stun_add_integrity (&w, key, keylen);
        }
      int n = ice_stun_writer_finish (&w);
      if (n < 0)
        abort ();
      ice_turn_client_handle_packet (c, 0, NULL, &server, out, (size_t) n, NULL);
    }
}

static ice_turn_client *
allocated_client (void)
{
  ice_addr_set (&server, "192.0.2.1", 3478);
  ice_turn_config cfg = {
    .server = server,
    .transport = ICE_TRANSPORT_UDP,
    .username = "u",
    .password = "p",
  };
  ice_turn_client *c = ice_turn_client_new (&cfg);
  uint8_t key[ICE_STUN_KEY_MD5_LEN];
  if (c == NULL || ice_stun_key_long_term_md5 ("u", "fuzz", "p", key) < 0
      || ice_turn_client_allocate (c, 0) < 0)
    abort ();
  answer (c, key, sizeof key); /* 401, then the allocation */
  answer (c, key, sizeof key);
  ice_addr peer;
  ice_addr_set (&peer, "198.51.100.1", 4000);
  ice_turn_client_create_permission (c, 0, &peer);
  ice_turn_client_bind_channel (c, 0, &peer);
  answer (c, key, sizeof key);
  if (ice_turn_client_state (c) != ICE_TURN_STATE_ALLOCATED
      || ice_turn_client_channel (c, &peer) != 0x4000)
    abort ();
  /* A refresh left outstanding, so responses have a transaction to hit. */
  ice_turn_client_handle_timeout (c, now_us);
  ice_turn_event e;
  while (ice_turn_client_poll_event (c, &e))
    ;
  return c;
}

static void
feed (ice_turn_client *c, const uint8_t *p, size_t n)
{
  /* An exact-size copy so that ASan sees any read past the end. */
  uint8_t *copy = malloc (n ? n : 1);
  if (copy == NULL)
    return;
  memcpy (copy, p, n);
  ice_turn_data d;
  if (ice_turn_client_handle_packet (c, now_us, NULL, &server, copy, n, &d) == 1
      && (d.data < copy || d.data + d.len > copy + n))
    abort ();
  uint16_t ch;
  const uint8_t *payload;
  size_t plen;
  ice_turn_channel_data_parse (copy, n, &ch, &payload, &plen);
  free (copy);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  static ice_turn_client *client;
  if (client == NULL)
    client = allocated_client ();

  feed (client, data, len);
  /* The same bytes as a stream: whole frames go to the client. */
  size_t off = 0;
  while (off < len)
    {
      int n = ice_turn_stream_frame_len (data + off, len - off);
      if (n <= 0 || (size_t) n > len - off)
        break;
      feed (client, data + off, (size_t) n);
      off += (size_t) n;
    }
  ice_turn_event e;
  while (ice_turn_client_poll_event (client, &e))
    ;
  ice_turn_transmit t;
  while (ice_turn_client_poll_transmit (client, &t))
    ;
  return 0;
}
