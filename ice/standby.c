/* An agent gathered ahead of its call (a candidate pool) waits with no
 * peer: its server-reflexive and relayed candidates stand on NAT bindings
 * that expire without outbound traffic (30 s on common home routers). Every
 * Tr, each host socket sends a Binding Indication to each UDP server it
 * gathered from, which keeps them; once the peer is known, checks and
 * consent take over. (TURN allocations refresh themselves.) */
#include "agent-impl.h"

static bool
standing_by (const ice_agent *a)
{
  return a->gathering_done && a->rpwd[0] == '\0' && !a->failed && !a->closed;
}

static void
send_indication (ice_agent *a, const ice_addr *from, const ice_addr *to)
{
  ice_stun_writer w;
  uint8_t buf[64];
  int len;

  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_INDICATION, NULL);
  ice_stun_add_fingerprint (&w);
  len = ice_stun_writer_finish (&w);
  if (len > 0)
    agent_push_tx (a, ICE_TRANSPORT_UDP, from, to, buf, (size_t) len);
}

static void
keep_bindings (ice_agent *a)
{
  ice_addr to[MAX_STUN_SERVERS + MAX_TURN_SERVERS];
  size_t n = 0, i, k;

  for (i = 0; i < a->n_stun; i++)
    to[n++] = a->stun[i];
  for (i = 0; i < a->n_turn; i++)
    if (a->turn[i].transport == ICE_TRANSPORT_UDP)
      {
        for (k = 0; k < n && !ice_addr_equal (&to[k], &a->turn[i].addr); k++)
          ;
        if (k == n)
          to[n++] = a->turn[i].addr;
      }
  for (i = 0; i < a->n_hosts; i++)
    if (a->hosts[i].used)
      for (k = 0; k < n; k++)
        if (to[k].family == a->hosts[i].addr.family)
          send_indication (a, &a->hosts[i].addr, &to[k]);
}

void
standby_on_timeout (ice_agent *a, uint64_t now)
{
  if (!standing_by (a))
    {
      a->standby_keepalive_us = 0;
      return;
    }
  if (a->standby_keepalive_us != 0 && now >= a->standby_keepalive_us)
    keep_bindings (a);
  if (a->standby_keepalive_us == 0 || now >= a->standby_keepalive_us)
    a->standby_keepalive_us = now + (uint64_t) a->cfg.keepalive_ms * 1000;
}

uint64_t
standby_next_timeout (const ice_agent *a)
{
  if (!standing_by (a))
    return UINT64_MAX;
  return a->standby_keepalive_us; /* 0 (due now) until the first is scheduled */
}
