/* Gathering (RFC 8445 §5.1.1): host candidates from the caller's sockets,
 * server-reflexive ones from a Binding to each STUN server, relayed ones
 * from a TURN allocation on each TURN server; each reported as it appears,
 * all of it bounded by gather_timeout_ms. */
#include "agent-impl.h"

#include <errno.h>
#include <string.h>

static bool
iface_allowed (const char *filter, const char *ifname)
{
  const char *p = filter;
  size_t n = strlen (ifname);

  if (filter == NULL)
    return true;
  if (n == 0)
    return false;
  while (*p)
    {
      const char *end = strchr (p, ',');
      size_t len = end ? (size_t) (end - p) : strlen (p);
      if (len == n && memcmp (p, ifname, n) == 0)
        return true;
      if (!end)
        break;
      p = end + 1;
    }
  return false;
}

/* Chooses the sockets that carry host candidates and their local
 * preferences (RFC 8421 across distinct IPs, in the caller's order). */
static void
select_hosts (ice_agent *a)
{
  ice_addr ips[MAX_HOSTS];
  uint16_t prefs[MAX_HOSTS];
  size_t n_ips = 0, i, k;
  bool any_global = false;

  for (i = 0; i < a->n_hosts; i++)
    {
      host_sock *h = &a->hosts[i];
      h->used = h->component <= a->n_components && iface_allowed (a->cfg.iface_filter, h->ifname);
      if (h->used && !ice_addr_is_loopback (&h->addr) && !ice_addr_is_link_local (&h->addr))
        any_global = true;
    }
  /* Loopback and link-local only when nothing else exists. */
  if (any_global)
    for (i = 0; i < a->n_hosts; i++)
      if (ice_addr_is_loopback (&a->hosts[i].addr) || ice_addr_is_link_local (&a->hosts[i].addr))
        a->hosts[i].used = false;
  for (i = 0; i < a->n_hosts; i++)
    {
      if (!a->hosts[i].used)
        continue;
      for (k = 0; k < n_ips; k++)
        if (ice_addr_equal_ip (&ips[k], &a->hosts[i].addr))
          break;
      if (k == n_ips)
        ips[n_ips++] = a->hosts[i].addr;
    }
  ice_cand_local_preferences (ips, n_ips, prefs);
  for (i = 0; i < a->n_hosts; i++)
    for (k = 0; k < n_ips; k++)
      if (ice_addr_equal_ip (&ips[k], &a->hosts[i].addr))
        a->hosts[i].local_pref = prefs[k];
}

int
gather_add_local (ice_agent *a, const ice_cand *c, int sock, int turn, bool announce)
{
  ice_event ev = { .type = ICE_EVENT_CANDIDATE };
  size_t i;

  for (i = 0; i < a->n_local; i++)
    if (ice_cand_redundant (&a->local[i].c, c))
      {
        /* §5.1.3: keep the higher priority one. */
        if (a->local[i].c.priority >= c->priority)
          return -EEXIST;
        a->local[i].c = *c;
        return (int) i;
      }
  if (a->n_local == MAX_LOCAL)
    return -ENOSPC;
  a->local[a->n_local].c = *c;
  a->local[a->n_local].sock = sock;
  a->local[a->n_local].turn = turn;
  a->n_local++;
  if (announce && (!a->cfg.relay_only || c->type == ICE_CAND_RELAY))
    {
      ev.component = c->component;
      ev.cand = *c;
      agent_push_event (a, &ev);
    }
  checklist_pair_local (a, (int) a->n_local - 1);
  return (int) a->n_local - 1;
}

static void
check_done (ice_agent *a)
{
  ice_event ev = { .type = ICE_EVENT_GATHERING_DONE };
  size_t i;

  if (!a->gathering || a->gathering_done)
    return;
  for (i = 0; i < a->n_gather; i++)
    if (!a->gather[i].done)
      return;
  for (i = 0; i < a->n_allocs; i++)
    if (!a->allocs[i].done)
      return;
  a->gathering_done = true;
  agent_push_event (a, &ev);
}

/* A stream to a TURN server carries one allocation per component: the
 * first (most preferred) host address of the component takes it. */
static bool
stream_alloc_exists (const ice_agent *a, size_t sock, size_t server)
{
  size_t i;

  for (i = 0; i < a->n_allocs; i++)
    if (a->allocs[i].server == (int) server
        && a->hosts[a->allocs[i].sock].component == a->hosts[sock].component)
      return true;
  return false;
}

void
gather_start (ice_agent *a, uint64_t now)
{
  size_t i, s;
  bool any = false;

  select_hosts (a);
  for (i = 0; i < a->n_hosts; i++)
    {
      host_sock *h = &a->hosts[i];
      ice_cand c = { 0 };

      if (!h->used)
        continue;
      any = true;
      c.component = (uint16_t) h->component;
      c.transport = ICE_TRANSPORT_UDP;
      c.type = ICE_CAND_HOST;
      c.addr = h->addr;
      c.base = h->addr;
      c.priority = ice_cand_priority (ice_cand_type_preference (ICE_CAND_HOST), h->local_pref,
                                      h->component);
      ice_cand_foundation (ICE_CAND_HOST, &h->addr, NULL, ICE_TRANSPORT_UDP, c.foundation);
      gather_add_local (a, &c, (int) i, -1, true);
      for (s = 0; s < a->n_stun; s++)
        if (a->stun[s].family == h->addr.family && a->n_gather < MAX_GATHER_TXNS)
          {
            gather_txn *g = &a->gather[a->n_gather++];
            memset (g, 0, sizeof *g);
            g->sock = (int) i;
            g->server = (int) s;
          }
      for (s = 0; s < a->n_turn; s++)
        if (a->turn[s].addr.family == h->addr.family && a->n_allocs < MAX_TURN_ALLOCS
            && (a->turn[s].transport == ICE_TRANSPORT_UDP || !stream_alloc_exists (a, i, s)))
          {
            turn_alloc *t = &a->allocs[a->n_allocs++];
            memset (t, 0, sizeof *t);
            t->sock = (int) i;
            t->server = (int) s;
          }
    }
  a->gather_deadline_us = now + (uint64_t) a->cfg.gather_timeout_ms * 1000;
  a->udp_deadline_us = UINT64_MAX;
  if (!any)
    {
      a->gathering_done = true;
      agent_fail (a, ICE_FAIL_NO_LOCAL_CANDIDATES);
      return;
    }
  check_done (a);
}

bool
gather_has_pending (const ice_agent *a)
{
  size_t i;

  if (!a->gathering || a->gathering_done)
    return false;
  for (i = 0; i < a->n_gather; i++)
    if (!a->gather[i].started)
      return true;
  for (i = 0; i < a->n_allocs; i++)
    if (!a->allocs[i].started)
      return true;
  return false;
}

static bool
start_binding (ice_agent *a, uint64_t now, size_t i)
{
  gather_txn *g = &a->gather[i];
  ice_stun_txn_request req = { 0 };
  ice_stun_writer w;
  uint8_t buf[128];
  int len;

  g->started = true;
  agent_random (a, g->txid.b, sizeof g->txid.b);
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_REQUEST,
                        &g->txid);
  ice_stun_add_fingerprint (&w);
  len = ice_stun_writer_finish (&w);
  req.data = buf;
  req.len = len > 0 ? (size_t) len : 0;
  req.transport = ICE_TRANSPORT_UDP;
  req.local = a->hosts[g->sock].addr;
  req.remote = a->stun[g->server];
  req.tag = TAG (TAG_GATHER, i);
  if (len < 0 || ice_stun_txns_start (a->txns, now, &req) < 0)
    {
      g->done = true;
      check_done (a);
    }
  return true;
}

static bool
start_allocation (ice_agent *a, uint64_t now, size_t i)
{
  turn_alloc *t = &a->allocs[i];
  ice_turn_config tc = { 0 };

  t->started = true;
  t->started_us = now;
  tc.server = a->turn[t->server].addr;
  tc.local = a->hosts[t->sock].addr;
  tc.transport = a->turn[t->server].transport;
  tc.username = a->turn[t->server].username;
  tc.password = a->turn[t->server].password;
  tc.relay_family = tc.local.family;
  tc.rto_ms = a->cfg.check_rto_ms;
  t->client = ice_turn_client_new (&tc);
  if (t->client == NULL || ice_turn_client_allocate (t->client, now) < 0)
    {
      t->done = true;
      t->refused = true;
      check_done (a);
      return true;
    }
  gather_drain_turn (a, t);
  return true;
}

bool
gather_start_next (ice_agent *a, uint64_t now)
{
  size_t i;

  if (!a->gathering || a->gathering_done)
    return false;
  for (i = 0; i < a->n_gather; i++)
    if (!a->gather[i].started)
      return start_binding (a, now, i);
  for (i = 0; i < a->n_allocs; i++)
    if (!a->allocs[i].started)
      return start_allocation (a, now, i);
  return false;
}

void
gather_on_txn (ice_agent *a, uint64_t now, const ice_stun_txn_event *ev)
{
  size_t i = TAG_INDEX (ev->tag);
  gather_txn *g;
  host_sock *h;
  ice_cand c = { 0 };

  if (i >= a->n_gather || a->gather[i].done)
    return;
  g = &a->gather[i];
  g->done = true;
  a->udp_answered |= ev->kind == ICE_STUN_TXN_RESPONSE;
  h = &a->hosts[g->sock];
  if (ev->kind == ICE_STUN_TXN_RESPONSE && ev->msg.cls == ICE_STUN_CLASS_SUCCESS
      && (ice_stun_msg_get_xor_addr (&ev->msg, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &c.addr) == 0
          || ice_stun_msg_get_addr (&ev->msg, ICE_STUN_ATTR_MAPPED_ADDRESS, &c.addr) == 0)
      && c.addr.family == h->addr.family)
    {
      c.component = (uint16_t) h->component;
      c.transport = ICE_TRANSPORT_UDP;
      c.type = ICE_CAND_SRFLX;
      c.base = h->addr;
      c.rel_addr = h->addr;
      c.priority = ice_cand_priority (ice_cand_type_preference (ICE_CAND_SRFLX), h->local_pref,
                                      h->component);
      ice_cand_foundation (ICE_CAND_SRFLX, &h->addr, &a->stun[g->server], ICE_TRANSPORT_UDP,
                           c.foundation);
      /* Equal to its base when there is no NAT: redundant, dropped. */
      gather_add_local (a, &c, g->sock, -1, true);
    }
  (void) now;
  check_done (a);
}

/* A TURN server answered t. Over UDP, UDP gets out. Over a stream, while
 * no UDP request has been answered, UDP may well be blocked: the UDP
 * requests get as long again as the stream took (at least one RTO, so that
 * a lost first request can be sent again) instead of the whole bound. */
static void
note_allocation_answer (ice_agent *a, uint64_t now, const turn_alloc *t)
{
  uint64_t took = now - t->started_us, rto = (uint64_t) a->cfg.check_rto_ms * 1000;
  uint64_t deadline = now + (took > rto ? took : rto);

  if (a->turn[t->server].transport == ICE_TRANSPORT_UDP)
    a->udp_answered = true;
  else if (!a->udp_answered && !a->udp_blocked && deadline < a->udp_deadline_us)
    a->udp_deadline_us = deadline;
}

void
gather_drain_turn (ice_agent *a, turn_alloc *t)
{
  ice_turn_transmit tx;

  if (t->client == NULL)
    return;
  while (ice_turn_client_poll_transmit (t->client, &tx))
    agent_push_tx (a, tx.transport, &a->hosts[t->sock].addr, &tx.remote, tx.data, tx.len);
}

void
gather_turn_events (ice_agent *a, uint64_t now, turn_alloc *t)
{
  ice_turn_event ev;

  if (t->client == NULL)
    return;
  while (ice_turn_client_poll_event (t->client, &ev))
    {
      host_sock *h = &a->hosts[t->sock];
      ice_cand c = { 0 };

      switch (ev.type)
        {
        case ICE_TURN_EVENT_ALLOCATED:
          if (t->done)
            break; /* too late: gathering was over */
          t->done = true;
          c.component = (uint16_t) h->component;
          c.transport = ICE_TRANSPORT_UDP;
          c.type = ICE_CAND_RELAY;
          c.addr = ev.relayed;
          c.base = ev.relayed;
          c.rel_addr = ev.mapped;
          c.priority = ice_cand_priority (ice_cand_type_preference (ICE_CAND_RELAY),
                                          h->local_pref, h->component);
          ice_cand_foundation (ICE_CAND_RELAY, &h->addr, &a->turn[t->server].addr,
                               ICE_TRANSPORT_UDP, c.foundation);
          gather_add_local (a, &c, t->sock, (int) (t - a->allocs), true);
          note_allocation_answer (a, now, t);
          /* §5.1.1.2: over UDP the allocation's mapped address is also a
           * server-reflexive candidate (dropped if a STUN server already
           * gave the same one, or if there is no NAT). */
          if (a->turn[t->server].transport == ICE_TRANSPORT_UDP
              && ev.mapped.family == h->addr.family)
            {
              ice_cand s = c;
              s.type = ICE_CAND_SRFLX;
              s.addr = ev.mapped;
              s.base = h->addr;
              s.rel_addr = h->addr;
              s.priority = ice_cand_priority (ice_cand_type_preference (ICE_CAND_SRFLX),
                                              h->local_pref, h->component);
              ice_cand_foundation (ICE_CAND_SRFLX, &h->addr, &a->turn[t->server].addr,
                                   ICE_TRANSPORT_UDP, s.foundation);
              gather_add_local (a, &s, t->sock, -1, true);
            }
          break;
        case ICE_TURN_EVENT_FAILED:
          if (!t->done)
            t->refused = ev.error_code > 0;
          t->done = true;
          if (ev.error_code > 0)
            note_allocation_answer (a, now, t);
          break;
        default:
          break;
        }
    }
  check_done (a);
}

/* Once given up on, UDP is done with: no deadline left. */
static uint64_t
udp_give_up_at (const ice_agent *a)
{
  return a->udp_answered || a->udp_blocked ? UINT64_MAX : a->udp_deadline_us;
}

void
gather_on_timeout (ice_agent *a, uint64_t now)
{
  bool all, udp;
  size_t i;

  if (!a->gathering || a->gathering_done)
    return;
  all = now >= a->gather_deadline_us;
  udp = now >= udp_give_up_at (a);
  if (!all && !udp)
    return;
  a->udp_blocked |= udp;
  /* Servers that did not answer in time are given up on (STUN Bindings
   * are always UDP). */
  for (i = 0; i < a->n_gather; i++)
    if (!a->gather[i].done)
      {
        if (a->gather[i].started)
          ice_stun_txns_cancel (a->txns, &a->gather[i].txid);
        a->gather[i].started = a->gather[i].done = true;
      }
  for (i = 0; i < a->n_allocs; i++)
    if (!a->allocs[i].done && (all || a->turn[a->allocs[i].server].transport == ICE_TRANSPORT_UDP))
      {
        if (a->allocs[i].client)
          {
            ice_turn_client_close (a->allocs[i].client, now);
            gather_drain_turn (a, &a->allocs[i]);
          }
        a->allocs[i].started = a->allocs[i].done = true;
      }
  check_done (a);
}

uint64_t
gather_next_timeout (const ice_agent *a)
{
  uint64_t udp;

  if (!a->gathering || a->gathering_done)
    return UINT64_MAX;
  udp = udp_give_up_at (a);
  return udp < a->gather_deadline_us ? udp : a->gather_deadline_us;
}

int
gather_local_for_base (const ice_agent *a, const ice_addr *base)
{
  size_t i;

  for (i = 0; i < a->n_local; i++)
    if ((a->local[i].c.type == ICE_CAND_HOST || a->local[i].c.type == ICE_CAND_RELAY)
        && ice_addr_equal (&a->local[i].c.addr, base))
      return (int) i;
  return -1;
}
