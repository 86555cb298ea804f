/* The agent's life cycle, its queues, the public setters and the engine
 * entry points (packets, timers). Gathering is in gather.c, the check list
 * in checklist.c, STUN checks and consent in conncheck.c. */
#include "agent-impl.h"

#include "sdp-ice.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ice_agent_config_default (ice_agent_config *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->role = ICE_ROLE_CONTROLLING;
  cfg->components = 1;
}

void
agent_random (ice_agent *a, void *buf, size_t len)
{
  if (a->cfg.random)
    a->cfg.random (a->cfg.random_ctx, buf, len);
  else if (RAND_bytes (buf, (int) len) != 1)
    memset (buf, 0, len); /* unreachable with a seeded OpenSSL */
}

static void
random_ice_chars (ice_agent *a, char *out, size_t n)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t rnd[64];
  size_t i;

  agent_random (a, rnd, n);
  for (i = 0; i < n; i++)
    out[i] = alphabet[rnd[i] & 63];
  out[n] = '\0';
}

static int
set_local_credentials (ice_agent *a, const char *ufrag, const char *pwd)
{
  if (ufrag)
    {
      if (!ice_sdp_is_ice_chars (ufrag, strlen (ufrag), 4, ICE_CRED_MAX))
        return -EINVAL;
      strcpy (a->ufrag, ufrag);
    }
  else
    random_ice_chars (a, a->ufrag, 8);
  if (pwd)
    {
      if (!ice_sdp_is_ice_chars (pwd, strlen (pwd), 22, ICE_CRED_MAX))
        return -EINVAL;
      strcpy (a->pwd, pwd);
    }
  else
    random_ice_chars (a, a->pwd, 24);
  return 0;
}

ice_agent *
ice_agent_new (const ice_agent_config *cfg)
{
  ice_stun_txn_config tc;
  ice_agent *a;
  unsigned c;

  if (cfg == NULL || cfg->components < 1 || cfg->components > ICE_MAX_COMPONENTS)
    return NULL;
  a = calloc (1, sizeof *a);
  if (a == NULL)
    return NULL;
  a->cfg = *cfg;
  a->cfg.iface_filter = NULL; /* kept as our own copy below */
  a->cfg.ufrag = a->cfg.pwd = NULL;
  if (a->cfg.ta_ms == 0)
    a->cfg.ta_ms = 50;
  if (a->cfg.gather_timeout_ms == 0)
    a->cfg.gather_timeout_ms = 5000;
  if (a->cfg.check_rto_ms == 0)
    a->cfg.check_rto_ms = 500;
  if (a->cfg.check_sends == 0)
    a->cfg.check_sends = 5;
  if (a->cfg.nominate_delay_ms == 0)
    a->cfg.nominate_delay_ms = 500;
  if (a->cfg.keepalive_ms < 15000)
    a->cfg.keepalive_ms = 15000;
  if (a->cfg.consent_ms == 0)
    a->cfg.consent_ms = 5000;
  if (a->cfg.consent_timeout_ms == 0)
    a->cfg.consent_timeout_ms = 30000;
  if (a->cfg.connect_timeout_ms == 0)
    a->cfg.connect_timeout_ms = 30000;
  if (cfg->iface_filter && cfg->iface_filter[0])
    {
      a->cfg.iface_filter = strdup (cfg->iface_filter);
      if (a->cfg.iface_filter == NULL)
        goto fail;
    }
  a->role = cfg->role;
  a->n_components = cfg->components;
  if (set_local_credentials (a, cfg->ufrag, cfg->pwd) < 0)
    goto fail;
  a->tie_breaker = cfg->tie_breaker;
  if (a->tie_breaker == 0)
    agent_random (a, &a->tie_breaker, sizeof a->tie_breaker);
  for (c = 0; c <= ICE_MAX_COMPONENTS; c++)
    {
      a->comp[c].sel_pair = -1;
      a->comp[c].sel_local = -1;
    }
  /* Checks: RTO doubles from check_rto_ms; after the last send we wait two
   * more RTOs, which bounds a check at a few seconds rather than the 39.5 s
   * of a generic STUN transaction (RFC 8445 §14.3 lets ICE pick). */
  ice_stun_txn_config_default (&tc);
  tc.rto_ms = a->cfg.check_rto_ms;
  tc.rc = a->cfg.check_sends;
  tc.rm = 4;
  a->txns = ice_stun_txns_new (&tc);
  if (a->txns == NULL)
    goto fail;
  return a;

fail:
  ice_agent_free (a);
  return NULL;
}

void
ice_agent_free (ice_agent *a)
{
  size_t i;

  if (a == NULL)
    return;
  for (i = 0; i < a->n_allocs; i++)
    ice_turn_client_free (a->allocs[i].client);
  for (i = 0; i < a->n_turn; i++)
    {
      free (a->turn[i].username);
      if (a->turn[i].password)
        {
          memset (a->turn[i].password, 0, strlen (a->turn[i].password));
          free (a->turn[i].password);
        }
    }
  ice_stun_txns_free (a->txns);
  free ((char *) a->cfg.iface_filter);
  free (a->tx);
  free (a->ev);
  memset (a->pwd, 0, sizeof a->pwd);
  memset (a->rpwd, 0, sizeof a->rpwd);
  free (a);
}

/* ------------------------------------------------------------------ queues */

void
agent_push_event (ice_agent *a, const ice_event *ev)
{
  if (a->ev_count == a->ev_cap)
    {
      size_t cap = a->ev_cap ? a->ev_cap * 2 : 16, i;
      ice_event *n = malloc (cap * sizeof *n);
      if (n == NULL)
        return; /* out of memory: the event is lost, the state is not */
      for (i = 0; i < a->ev_count; i++)
        n[i] = a->ev[(a->ev_head + i) % a->ev_cap];
      free (a->ev);
      a->ev = n;
      a->ev_cap = cap;
      a->ev_head = 0;
    }
  a->ev[(a->ev_head + a->ev_count) % a->ev_cap] = *ev;
  a->ev_count++;
}

void
agent_push_tx (ice_agent *a, ice_transport transport, const ice_addr *local,
               const ice_addr *remote, const uint8_t *data, size_t len)
{
  tx_entry *e;

  if (len > TX_BUF)
    return;
  if (a->tx_count == a->tx_cap)
    {
      size_t cap = a->tx_cap ? a->tx_cap * 2 : 8, i;
      tx_entry *n = malloc (cap * sizeof *n);
      if (n == NULL)
        return; /* dropped like a lost datagram; retransmission covers it */
      for (i = 0; i < a->tx_count; i++)
        n[i] = a->tx[(a->tx_head + i) % a->tx_cap];
      free (a->tx);
      a->tx = n;
      a->tx_cap = cap;
      a->tx_head = 0;
    }
  e = &a->tx[(a->tx_head + a->tx_count) % a->tx_cap];
  e->local = *local;
  e->remote = *remote;
  e->transport = transport;
  e->len = len;
  memcpy (e->data, data, len);
  a->tx_count++;
}

bool
ice_agent_poll_transmit (ice_agent *a, ice_transmit *out)
{
  if (a->tx_count == 0)
    return false;
  a->tx_out = a->tx[a->tx_head];
  a->tx_head = (a->tx_head + 1) % a->tx_cap;
  a->tx_count--;
  out->local = a->tx_out.local;
  out->remote = a->tx_out.remote;
  out->data = a->tx_out.data;
  out->len = a->tx_out.len;
  out->transport = a->tx_out.transport;
  return true;
}

bool
ice_agent_poll_event (ice_agent *a, ice_event *out)
{
  if (a->ev_count == 0)
    return false;
  *out = a->ev[a->ev_head];
  a->ev_head = (a->ev_head + 1) % a->ev_cap;
  a->ev_count--;
  return true;
}

void
agent_set_comp_state (ice_agent *a, unsigned c, ice_comp_state s)
{
  ice_event ev = { .type = ICE_EVENT_COMPONENT_STATE, .component = c, .state = s };

  if (a->comp[c].state == s)
    return;
  a->comp[c].state = s;
  agent_push_event (a, &ev);
}

void
agent_fail (ice_agent *a, ice_fail_reason r)
{
  ice_event ev = { .type = ICE_EVENT_FAILED, .reason = r };
  unsigned c;

  if (a->failed)
    return;
  a->failed = true;
  for (c = 1; c <= a->n_components; c++)
    if (!a->comp[c].has_selected || r == ICE_FAIL_CONSENT_LOST)
      agent_set_comp_state (a, c, ICE_COMP_FAILED);
  ev.reason_text = ice_fail_reason_text (r);
  agent_push_event (a, &ev);
}

/* ----------------------------------------------------------------- sending */

static int
find_host (const ice_agent *a, const ice_addr *addr)
{
  size_t i;

  for (i = 0; i < a->n_hosts; i++)
    if (ice_addr_equal (&a->hosts[i].addr, addr))
      return (int) i;
  return -1;
}

void
agent_send_from_base (ice_agent *a, uint64_t now, const ice_addr *base, const ice_addr *remote,
                      const uint8_t *data, size_t len)
{
  uint8_t buf[TX_BUF];
  size_t i;

  if (find_host (a, base) >= 0)
    {
      agent_push_tx (a, ICE_TRANSPORT_UDP, base, remote, data, len);
      return;
    }
  for (i = 0; i < a->n_local; i++)
    {
      const lcand *l = &a->local[i];
      turn_alloc *t;
      bool permitted = false;
      size_t k;
      int n;

      if (l->turn < 0 || l->c.type != ICE_CAND_RELAY || !ice_addr_equal (&l->c.addr, base))
        continue;
      t = &a->allocs[l->turn];
      if (t->client == NULL)
        return;
      for (k = 0; k < t->n_perms; k++)
        permitted = permitted || ice_addr_equal_ip (&t->perms[k], remote);
      if (!permitted && t->n_perms < MAX_PERMS
          && ice_turn_client_create_permission (t->client, now, remote) == 0)
        t->perms[t->n_perms++] = *remote;
      gather_drain_turn (a, t); /* the permission request goes out first */
      n = ice_turn_client_send (t->client, remote, data, len, buf, sizeof buf);
      if (n > 0)
        agent_push_tx (a, a->turn[t->server].transport, &a->hosts[t->sock].addr,
                       &a->turn[t->server].addr, buf, (size_t) n);
      return;
    }
}

void
agent_flush_txns (ice_agent *a, uint64_t now)
{
  ice_stun_txn_transmit tx;
  ice_stun_txn_event ev;
  bool more = true;

  while (more)
    {
      more = false;
      while (ice_stun_txns_poll_event (a->txns, &ev))
        {
          more = true;
          switch (TAG_KIND (ev.tag))
            {
            case TAG_GATHER:
              gather_on_txn (a, now, &ev);
              break;
            case TAG_CHECK:
            case TAG_CONSENT:
              conncheck_on_txn (a, now, &ev);
              break;
            default:
              break;
            }
        }
      while (ice_stun_txns_poll_transmit (a->txns, &tx))
        {
          more = true;
          agent_send_from_base (a, now, &tx.local, &tx.remote, tx.data, tx.len);
        }
    }
}

uint64_t
agent_ta_us (const ice_agent *a)
{
  return (uint64_t) a->cfg.ta_ms * 1000;
}

bool
agent_pace_ready (const ice_agent *a, uint64_t now)
{
  return !a->any_txn || now >= a->last_txn_us + agent_ta_us (a);
}

void
agent_paced (ice_agent *a, uint64_t now)
{
  a->any_txn = true;
  a->last_txn_us = now;
}

/* ----------------------------------------------------------------- setters */

int
ice_agent_add_host (ice_agent *a, unsigned component, const char *ifname, const ice_addr *addr)
{
  host_sock *h;

  if (a->gathering)
    return -EALREADY;
  if (component < 1 || component > a->n_components || addr == NULL
      || (addr->family != AF_INET && addr->family != AF_INET6) || addr->port == 0
      || find_host (a, addr) >= 0)
    return -EINVAL;
  if (a->n_hosts == MAX_HOSTS)
    return -ENOSPC;
  h = &a->hosts[a->n_hosts++];
  memset (h, 0, sizeof *h);
  h->component = component;
  h->addr = *addr;
  if (ifname)
    snprintf (h->ifname, sizeof h->ifname, "%s", ifname);
  return 0;
}

int
ice_agent_add_stun_server (ice_agent *a, const ice_addr *server)
{
  if (server == NULL || server->family == 0 || server->port == 0)
    return -EINVAL;
  if (a->n_stun == MAX_STUN_SERVERS)
    return -ENOSPC;
  a->stun[a->n_stun++] = *server;
  return 0;
}

int
ice_agent_add_turn_server (ice_agent *a, const ice_addr *server, const char *username,
                           const char *password)
{
  return ice_agent_add_turn_server_stream (a, server, ICE_TRANSPORT_UDP, username, password);
}

int
ice_agent_add_turn_server_stream (ice_agent *a, const ice_addr *server, ice_transport transport,
                                  const char *username, const char *password)
{
  turn_server *t;

  if (server == NULL || server->family == 0 || server->port == 0 || username == NULL
      || password == NULL || transport > ICE_TRANSPORT_TLS)
    return -EINVAL;
  if (a->n_turn == MAX_TURN_SERVERS)
    return -ENOSPC;
  t = &a->turn[a->n_turn];
  t->addr = *server;
  t->transport = transport;
  t->username = strdup (username);
  t->password = strdup (password);
  if (t->username == NULL || t->password == NULL)
    {
      free (t->username);
      free (t->password);
      return -ENOMEM;
    }
  a->n_turn++;
  return 0;
}

int
ice_agent_gather (ice_agent *a, uint64_t now_us)
{
  if (a->gathering)
    return -EALREADY;
  a->gathering = true;
  gather_start (a, now_us);
  return 0;
}

const char *
ice_agent_local_ufrag (const ice_agent *a)
{
  return a->ufrag;
}

const char *
ice_agent_local_pwd (const ice_agent *a)
{
  return a->pwd;
}

size_t
ice_agent_local_candidates (const ice_agent *a, ice_cand *out, size_t max)
{
  size_t i, n = 0;

  for (i = 0; i < a->n_local; i++)
    if (a->local[i].c.type != ICE_CAND_PRFLX && a->local[i].c.component <= a->n_components
        && !checklist_local_released (a, (int) i) && (!a->cfg.relay_only || a->local[i].c.type == ICE_CAND_RELAY))
      {
        if (n < max)
          out[n] = a->local[i].c;
        n++;
      }
  return n;
}

int
ice_agent_set_remote_credentials (ice_agent *a, const char *ufrag, const char *pwd)
{
  if (ufrag == NULL || pwd == NULL || !ice_sdp_is_ice_chars (ufrag, strlen (ufrag), 4, ICE_CRED_MAX)
      || !ice_sdp_is_ice_chars (pwd, strlen (pwd), 22, ICE_CRED_MAX))
    return -EINVAL;
  strcpy (a->rufrag, ufrag);
  strcpy (a->rpwd, pwd);
  return 0;
}

int
ice_agent_add_remote_candidate (ice_agent *a, uint64_t now_us, const ice_cand *c)
{
  size_t i;

  if (c->unsupported || c->transport != ICE_TRANSPORT_UDP)
    return -ENOTSUP;
  if (c->component < 1 || c->component > a->n_components || c->addr.family == 0
      || c->addr.port == 0)
    return -EINVAL;
  for (i = 0; i < a->n_remote; i++)
    if (a->remote[i].component == c->component && ice_addr_equal (&a->remote[i].addr, &c->addr))
      {
        /* Already learned as peer-reflexive: the signalled type wins
         * (RFC 8445 §7.3.1.3 keeps the prflx priority), pairs stay. */
        if (a->remote[i].type == ICE_CAND_PRFLX)
          {
            a->remote[i].type = c->type;
            memcpy (a->remote[i].foundation, c->foundation, sizeof c->foundation);
          }
        return 0;
      }
  if (a->n_remote == MAX_REMOTE)
    return -ENOSPC;
  a->remote[a->n_remote] = *c;
  memset (&a->remote[a->n_remote].base, 0, sizeof (ice_addr));
  a->n_remote++;
  checklist_pair_remote (a, (int) a->n_remote - 1);
  if (a->failed)
    return 0;
  ice_agent_handle_timeout (a, now_us);
  return 0;
}

void
ice_agent_remote_gathering_done (ice_agent *a, uint64_t now_us)
{
  a->remote_done = true;
  ice_agent_handle_timeout (a, now_us);
}

void
ice_agent_set_remote_lite (ice_agent *a, bool lite)
{
  a->remote_lite = lite;
  if (lite && a->role != ICE_ROLE_CONTROLLING)
    conncheck_switch_role (a, ICE_ROLE_CONTROLLING);
}

void
ice_agent_set_rtcp_mux (ice_agent *a)
{
  size_t i;

  if (a->n_components < 2)
    return;
  a->n_components = 1;
  /* Pairs of component 2 leave the check list. */
  for (i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].component == 2 && a->pairs[i].state != PAIR_SUCCEEDED)
      {
        a->pairs[i].state = PAIR_FAILED;
        a->pairs[i].triggered = false;
      }
}

int
ice_agent_set_remote_selection (ice_agent *a, unsigned component, const ice_addr *remote)
{
  if (component < 1 || component > a->n_components || remote == NULL)
    return -EINVAL;
  a->comp[component].have_remote_selection = true;
  a->comp[component].remote_selection = *remote;
  return 0;
}

int
ice_agent_restart (ice_agent *a, uint64_t now_us)
{
  unsigned c;

  checklist_clear (a);
  for (c = 1; c <= a->n_components; c++)
    {
      agent_comp *k = &a->comp[c];
      if (k->consent_txn)
        ice_stun_txns_cancel (a->txns, &k->consent_txid);
      k->consent_txn = false;
      k->sel_pair = -1;
      k->nominating = false;
      k->first_valid_us = 0;
      k->give_up_us = 0;
      k->have_remote_selection = false;
      k->consent_ok_us = now_us;
      if (k->state == ICE_COMP_FAILED || k->state == ICE_COMP_DISCONNECTED)
        agent_set_comp_state (a, c, ICE_COMP_CHECKING);
    }
  a->n_remote = 0;
  a->rufrag[0] = a->rpwd[0] = '\0';
  a->remote_done = false;
  a->failed = false;
  a->restarting = true;
  a->checks_started = false;
  memset (a->pwd, 0, sizeof a->pwd);
  return set_local_credentials (a, NULL, NULL);
}

void
ice_agent_close (ice_agent *a, uint64_t now_us)
{
  unsigned c;
  size_t i;

  if (a->closed)
    return;
  checklist_clear (a);
  for (c = 1; c <= ICE_MAX_COMPONENTS; c++)
    {
      if (a->comp[c].consent_txn)
        ice_stun_txns_cancel (a->txns, &a->comp[c].consent_txid);
      a->comp[c].consent_txn = false;
      a->comp[c].has_selected = false;
    }
  for (i = 0; i < a->n_gather; i++)
    if (a->gather[i].started && !a->gather[i].done)
      ice_stun_txns_cancel (a->txns, &a->gather[i].txid);
  for (i = 0; i < a->n_allocs; i++)
    if (a->allocs[i].client)
      {
        ice_turn_client_close (a->allocs[i].client, now_us);
        gather_drain_turn (a, &a->allocs[i]);
      }
  a->closed = true;
}

/* ------------------------------------------------------------------ engine */

static int
process (ice_agent *a, uint64_t now, const ice_addr *base, const ice_addr *remote,
         unsigned component, const uint8_t *data, size_t len, ice_app_data *app)
{
  ice_stun_msg msg;
  int r;

  /* RFC 7983: a first byte of 0..3 is STUN; anything else is the
   * application's. STUN that does not parse is dropped, not passed up. */
  if (len == 0 || data[0] < 4)
    {
      if (!ice_stun_is_message (data, len) || ice_stun_msg_parse (data, len, &msg) < 0)
        {
          a->stats.dropped++;
          return -EBADMSG;
        }
      if (msg.cls == ICE_STUN_CLASS_REQUEST && msg.method == ICE_STUN_METHOD_BINDING)
        conncheck_on_request (a, now, base, remote, &msg);
      else if (msg.cls == ICE_STUN_CLASS_SUCCESS || msg.cls == ICE_STUN_CLASS_ERROR)
        {
          r = ice_stun_txns_handle_packet (a->txns, now, base, remote, data, len);
          if (r < 0)
            a->stats.dropped++;
        }
      /* Indications (keepalives) need nothing. */
      agent_flush_txns (a, now);
      checklist_evaluate (a, now);
      agent_flush_txns (a, now);
      return 0;
    }
  if (app == NULL)
    return -EINVAL;
  app->component = component;
  app->from = *remote;
  app->data = data;
  app->len = len;
  return 1;
}

/* A datagram or frame from the TURN server of allocation i. Returns as
 * handle_packet does, or -ENOENT when the client does not know it. */
static int
turn_input (ice_agent *a, uint64_t now, size_t i, const ice_addr *local, const ice_addr *remote,
            const uint8_t *data, size_t len, ice_app_data *app)
{
  turn_alloc *t = &a->allocs[i];
  ice_turn_data d;
  int r, l = -1;
  size_t k;

  r = ice_turn_client_handle_packet (t->client, now, local, remote, data, len, &d);
  gather_drain_turn (a, t);
  if (a->closed)
    return r == -ENOENT ? r : -ESHUTDOWN;
  gather_turn_events (a, now, t);
  if (r == 1)
    {
      /* Data from a peer through our relay: it arrived on the relayed
       * candidate. Copied, since data is the caller's. */
      for (k = 0; k < a->n_local; k++)
        if (a->local[k].turn == (int) i && a->local[k].c.type == ICE_CAND_RELAY)
          l = (int) k;
      if (l < 0 || d.len > sizeof a->app_buf)
        return 0;
      memcpy (a->app_buf, d.data, d.len);
      return process (a, now, &a->local[l].c.addr, &d.peer, a->local[l].c.component, a->app_buf,
                      d.len, app);
    }
  if (r == 0)
    {
      checklist_evaluate (a, now);
      agent_flush_txns (a, now);
      return 0;
    }
  if (r != -ENOENT)
    a->stats.dropped++;
  return r;
}

int
ice_agent_handle_packet (ice_agent *a, uint64_t now_us, const ice_addr *local,
                         const ice_addr *remote, const uint8_t *data, size_t len,
                         ice_app_data *app)
{
  int s = find_host (a, local), r;
  size_t i;

  if (s < 0 || data == NULL)
    {
      a->stats.dropped++;
      return -EINVAL;
    }
  for (i = 0; i < a->n_allocs; i++)
    {
      turn_alloc *t = &a->allocs[i];

      if (t->sock != s || t->client == NULL || a->turn[t->server].transport != ICE_TRANSPORT_UDP
          || !ice_addr_equal (&a->turn[t->server].addr, remote))
        continue;
      r = turn_input (a, now_us, i, local, remote, data, len, app);
      if (r != -ENOENT)
        return r;
    }
  if (a->closed)
    return -ESHUTDOWN;
  return process (a, now_us, local, remote, a->hosts[s].component, data, len, app);
}

int
ice_agent_handle_stream_frame (ice_agent *a, uint64_t now_us, const ice_addr *local,
                               const ice_addr *remote, ice_transport transport,
                               const uint8_t *data, size_t len, ice_app_data *app)
{
  int s = find_host (a, local);
  size_t i;

  if (s < 0 || data == NULL || transport == ICE_TRANSPORT_UDP)
    {
      a->stats.dropped++;
      return -EINVAL;
    }
  for (i = 0; i < a->n_allocs; i++)
    {
      turn_alloc *t = &a->allocs[i];
      if (t->sock == s && t->client && a->turn[t->server].transport == transport
          && ice_addr_equal (&a->turn[t->server].addr, remote))
        return turn_input (a, now_us, i, local, remote, data, len, app);
    }
  a->stats.dropped++;
  return -ENOENT;
}

void
ice_agent_handle_timeout (ice_agent *a, uint64_t now_us)
{
  size_t i;

  for (i = 0; i < a->n_allocs; i++)
    if (a->allocs[i].client)
      {
        ice_turn_client_handle_timeout (a->allocs[i].client, now_us);
        if (!a->closed)
          gather_turn_events (a, now_us, &a->allocs[i]);
        gather_drain_turn (a, &a->allocs[i]);
      }
  if (a->closed)
    return;
  ice_stun_txns_handle_timeout (a->txns, now_us);
  agent_flush_txns (a, now_us);
  gather_on_timeout (a, now_us);
  if (agent_pace_ready (a, now_us))
    {
      /* RFC 8445 §6.1.4.2: one new transaction per Ta, triggered checks
       * first, then gathering, then ordinary checks. */
      if (checklist_next (a, now_us, true) || gather_start_next (a, now_us)
          || checklist_next (a, now_us, false))
        agent_paced (a, now_us);
    }
  conncheck_consent_timeout (a, now_us);
  standby_on_timeout (a, now_us);
  agent_flush_txns (a, now_us);
  checklist_evaluate (a, now_us);
  agent_flush_txns (a, now_us);
}

static uint64_t
min_u64 (uint64_t x, uint64_t y)
{
  return x < y ? x : y;
}

uint64_t
ice_agent_next_timeout (const ice_agent *a)
{
  uint64_t t = UINT64_MAX;
  size_t i;

  for (i = 0; i < a->n_allocs; i++)
    if (a->allocs[i].client)
      t = min_u64 (t, ice_turn_client_next_timeout (a->allocs[i].client));
  if (a->closed)
    return t;
  t = min_u64 (t, ice_stun_txns_next_timeout (a->txns));
  t = min_u64 (t, gather_next_timeout (a));
  if (checklist_has_work (a) || gather_has_pending (a))
    t = min_u64 (t, a->any_txn ? a->last_txn_us + agent_ta_us (a) : 0);
  t = min_u64 (t, checklist_next_timeout (a));
  t = min_u64 (t, conncheck_next_timeout (a));
  t = min_u64 (t, standby_next_timeout (a));
  return t;
}

int
ice_agent_send (ice_agent *a, uint64_t now_us, unsigned component, const uint8_t *data,
                size_t len)
{
  agent_comp *k;

  if (component < 1 || component > a->n_components || data == NULL || len > TX_BUF - 64)
    return -EINVAL;
  if (a->closed)
    return -ENOTCONN;
  k = &a->comp[component];
  if (!k->has_selected || k->consent_lost)
    return -ENOTCONN;
  agent_send_from_base (a, now_us, &a->local[k->sel_local].c.base, &k->sel_remote, data, len);
  k->last_sent_us = now_us;
  return 0;
}

ice_role
ice_agent_role (const ice_agent *a)
{
  return a->role;
}

int
ice_agent_set_role (ice_agent *a, ice_role role)
{
  if (a->rpwd[0] != '\0')
    return -EBUSY;
  a->role = role;
  return 0;
}

ice_comp_state
ice_agent_component_state (const ice_agent *a, unsigned component)
{
  if (component < 1 || component > ICE_MAX_COMPONENTS)
    return ICE_COMP_FAILED;
  return a->comp[component].state;
}

bool
ice_agent_selected_pair (const ice_agent *a, unsigned component, ice_pair_info *out)
{
  if (component < 1 || component > a->n_components || !a->comp[component].has_selected)
    return false;
  if (out)
    *out = a->comp[component].sel_info;
  return true;
}

void
ice_agent_stats_get (const ice_agent *a, ice_agent_stats *out)
{
  *out = a->stats;
  out->pairs = a->n_pairs;
  out->udp_blocked = a->udp_blocked;
}

const char *
ice_fail_reason_text (ice_fail_reason r)
{
  switch (r)
    {
    case ICE_FAIL_NONE:
      return "No failure.";
    case ICE_FAIL_NO_LOCAL_CANDIDATES:
      return "No usable local network address was found.";
    case ICE_FAIL_NO_REMOTE_CANDIDATES:
      return "The other side offered no address we can reach.";
    case ICE_FAIL_CHECKS_TIMED_OUT:
      return "No connectivity check got an answer: the network blocks the call.";
    case ICE_FAIL_CHECKS_FAILED:
      return "Every connectivity check failed.";
    case ICE_FAIL_TURN_REFUSED:
      return "No direct path worked and the TURN relay refused us (check its credentials).";
    case ICE_FAIL_CONSENT_LOST:
    default:
      return "The other side stopped answering.";
    }
}

const char *
ice_comp_state_name (ice_comp_state s)
{
  switch (s)
    {
    case ICE_COMP_NEW:
      return "new";
    case ICE_COMP_CHECKING:
      return "checking";
    case ICE_COMP_CONNECTED:
      return "connected";
    case ICE_COMP_DISCONNECTED:
      return "disconnected";
    case ICE_COMP_FAILED:
    default:
      return "failed";
    }
}
