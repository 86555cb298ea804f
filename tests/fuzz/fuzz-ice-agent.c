/* libFuzzer target for the ICE agent's packet input: an agent with a host
 * socket, a TURN allocation in progress and a remote candidate gets the
 * input as a datagram from the peer, from the TURN server, and as a TCP
 * frame from a TURN server, then runs its timers. Deterministic: the agent
 * draws from a fixed generator. */
#include "ice/agent.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

static int
fixed_random (void *ctx, uint8_t *buf, size_t len)
{
  uint32_t *s = ctx;
  for (size_t i = 0; i < len; i++)
    {
      *s = *s * 1103515245u + 12345u;
      buf[i] = (uint8_t) (*s >> 16);
    }
  return 0;
}

static void
drain (ice_agent *a)
{
  ice_transmit t;
  ice_event ev;

  while (ice_agent_poll_transmit (a, &t))
    ;
  while (ice_agent_poll_event (a, &ev))
    ;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  uint32_t seed = 7;
  ice_agent_config cfg;
  ice_agent *a;
  ice_addr host, peer, turn, turn_tcp;
  ice_cand c = { 0 };
  ice_app_data app;

  ice_agent_config_default (&cfg);
  cfg.random = fixed_random;
  cfg.random_ctx = &seed;
  cfg.ufrag = "fuzzufrag";
  cfg.pwd = "fuzzpasswordfuzzpassword";
  a = ice_agent_new (&cfg);
  ice_addr_set (&host, "192.0.2.1", 5000);
  ice_addr_set (&peer, "192.0.2.2", 6000);
  ice_addr_set (&turn, "203.0.113.1", 3478);
  ice_addr_set (&turn_tcp, "203.0.113.2", 3478);
  ice_agent_add_host (a, 1, "eth0", &host);
  ice_agent_add_stun_server (a, &turn);
  ice_agent_add_turn_server (a, &turn, "user", "pass");
  ice_agent_add_turn_server_stream (a, &turn_tcp, ICE_TRANSPORT_TCP, "user", "pass");
  ice_agent_gather (a, 0);
  ice_agent_set_remote_credentials (a, "peerufrag", "peerpasswordpeerpassword");
  strcpy (c.foundation, "1");
  c.component = 1;
  c.priority = 2130706431u;
  c.addr = peer;
  ice_agent_add_remote_candidate (a, 0, &c);
  ice_agent_handle_timeout (a, 200000);
  drain (a);

  ice_agent_handle_packet (a, 300000, &host, &peer, data, len, &app);
  drain (a);
  ice_agent_handle_packet (a, 300001, &host, &turn, data, len, &app);
  drain (a);
  ice_agent_handle_stream_frame (a, 300002, &host, &turn_tcp, ICE_TRANSPORT_TCP, data, len, &app);
  drain (a);
  ice_agent_handle_timeout (a, 10000000);
  drain (a);
  ice_agent_close (a, 10000001);
  drain (a);
  ice_agent_free (a);
  return 0;
}
