/* Two ICE agents over the virtual network (tests/vnet.h) with a virtual
 * clock: every pair of NAT types, role conflicts, a lite peer, an RFC 5245
 * peer nominating aggressively, restart, consent loss, loss on the path,
 * ten interfaces, TURN refusing, blocked UDP, two components. */
#include "ice/agent.h"
#include "ice/stun-msg.h"
#include "vnet.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check-run.h"

#define MS 1000ull
#define SEC 1000000ull
#define MAX_SENT 4096

typedef struct side side;

struct side
{
  const char *name;
  vnet *net;
  ice_agent *agent;
  side *peer;
  uint32_t rng;
  int realm;
  size_t n_hosts;
  ice_addr hosts[12];
  /* What the events said. */
  bool gathered;
  uint64_t gathered_at;
  bool selected[3];
  unsigned n_selected;
  ice_pair_info pair[3];
  uint64_t selected_at;
  bool failed;
  ice_fail_reason reason;
  uint64_t failed_at;
  bool consent_lost;
  uint64_t consent_lost_at;
  unsigned role_changes;
  unsigned n_cands;
  /* Application data received. */
  unsigned n_app;
  char app[64];
  /* Signalling: candidates are passed to the peer as they come (trickle),
   * unless hold_signal is set (they queue until released). */
  bool hold_signal;
  size_t n_held;
  ice_cand held[64];
  /* First sends of STUN requests (for the pacing bound). */
  size_t n_sent;
  uint8_t sent_txid[MAX_SENT][12];
  uint64_t sent_at[MAX_SENT];
  unsigned n_tx;
  unsigned last_tx_type;
  /* Per local host index: first check sent, first success answer got. */
  uint64_t first_request[12];
  uint64_t first_success[12];
};

static int
host_index (const side *s, const ice_addr *addr)
{
  for (size_t i = 0; i < s->n_hosts; i++)
    if (ice_addr_equal (&s->hosts[i], addr))
      return (int) i;
  return -1;
}

static int
test_random (void *ctx, uint8_t *buf, size_t len)
{
  side *s = ctx;
  size_t i;

  for (i = 0; i < len; i++)
    {
      s->rng ^= s->rng << 13;
      s->rng ^= s->rng >> 17;
      s->rng ^= s->rng << 5;
      buf[i] = (uint8_t) (s->rng >> 7);
    }
  return 0;
}

static void
on_packet (void *ctx, uint64_t now, const ice_addr *local, const ice_addr *from,
           const uint8_t *data, size_t len, bool stream)
{
  side *s = ctx;
  ice_app_data app;
  int r = stream ? ice_agent_handle_stream_frame (s->agent, now, local, from, ICE_TRANSPORT_TCP,
                                                  data, len, &app)
                 : ice_agent_handle_packet (s->agent, now, local, from, data, len, &app);

  if (len >= 2 && data[0] == 0x01 && data[1] == 0x01 && host_index (s, local) >= 0
      && s->first_success[host_index (s, local)] == 0)
    s->first_success[host_index (s, local)] = now;
  if (r == 1)
    {
      s->n_app++;
      snprintf (s->app, sizeof s->app, "%.*s", (int) app.len, (const char *) app.data);
    }
}

static ice_addr
A (const char *ip, uint16_t port)
{
  ice_addr a;
  ck_assert_int_eq (ice_addr_set (&a, ip, port), 0);
  return a;
}

static void
side_init (side *s, const char *name, vnet *net, int realm, ice_role role, uint64_t tie,
           unsigned components)
{
  ice_agent_config cfg;

  memset (s, 0, sizeof *s);
  s->name = name;
  s->net = net;
  s->realm = realm;
  s->rng = 0x9e3779b9u ^ (uint32_t) tie ^ (uint32_t) (name[0] * 7919);
  ice_agent_config_default (&cfg);
  cfg.role = role;
  cfg.components = components;
  cfg.tie_breaker = tie;
  cfg.random = test_random;
  cfg.random_ctx = s;
  s->agent = ice_agent_new (&cfg);
  ck_assert_ptr_nonnull (s->agent);
}

/* Recreates the agent (before any host is added) with its defaults, then
 * tweak's changes. */
static void
side_remake (side *s, void (*tweak) (ice_agent_config *cfg))
{
  ice_agent_config cfg;
  ice_role role = ice_agent_role (s->agent);

  ice_agent_free (s->agent);
  ice_agent_config_default (&cfg);
  cfg.role = role;
  cfg.random = test_random;
  cfg.random_ctx = s;
  tweak (&cfg);
  s->agent = ice_agent_new (&cfg);
  ck_assert_ptr_nonnull (s->agent);
}

/* Consent checks every 100 s, so that keepalives are the only regular
 * traffic. */
static void
slow_consent (ice_agent_config *cfg)
{
  cfg->consent_ms = 100000;
  cfg->consent_timeout_ms = 300000;
}

/* A nomination delay far longer than any check here takes. */
static void
patient_nomination (ice_agent_config *cfg)
{
  cfg->nominate_delay_ms = 20000;
}

static void
side_host (side *s, const char *ip, uint16_t port, unsigned component)
{
  ice_addr a = A (ip, port);
  ck_assert_int_eq (vnet_bind (s->net, s->realm, &a, on_packet, s), 0);
  ck_assert_int_eq (ice_agent_add_host (s->agent, component, "eth0", &a), 0);
  s->hosts[s->n_hosts++] = a;
}

static void
side_free (side *s)
{
  ice_agent_free (s->agent);
}

static void
exchange_credentials (side *a, side *b)
{
  ck_assert_int_eq (ice_agent_set_remote_credentials (a->agent, ice_agent_local_ufrag (b->agent),
                                                      ice_agent_local_pwd (b->agent)), 0);
  ck_assert_int_eq (ice_agent_set_remote_credentials (b->agent, ice_agent_local_ufrag (a->agent),
                                                      ice_agent_local_pwd (a->agent)), 0);
  a->peer = b;
  b->peer = a;
}

static void
record_sent (side *s, uint64_t now, const uint8_t *data, size_t len)
{
  size_t i;

  if (len < 20 || data[0] > 3 || (data[0] & 0x01) != 0 || (data[1] & 0x10) != 0
      || s->n_sent == MAX_SENT)
    return; /* only requests: class bits C1C0 = 00 */
  for (i = 0; i < s->n_sent; i++)
    if (memcmp (s->sent_txid[i], data + 8, 12) == 0)
      return; /* a retransmission */
  memcpy (s->sent_txid[s->n_sent], data + 8, 12);
  s->sent_at[s->n_sent++] = now;
}

/* Drains one side; returns true when it produced anything. */
static bool
pump (side *s, uint64_t now)
{
  ice_transmit t;
  ice_event ev;
  bool any = false;

  while (ice_agent_poll_event (s->agent, &ev))
    {
      any = true;
      if (getenv ("VNET_DEBUG"))
        {
          char x[ICE_ADDR_STRLEN], y[ICE_ADDR_STRLEN];
          fprintf (stderr, "%8.3f %s ev %d comp %u state %d cand %s %s pair %s -> %s reason %d\n",
                   now / 1e6, s->name, ev.type, ev.component, ev.state,
                   ice_cand_type_name (ev.cand.type), ice_addr_to_string (&ev.cand.addr, x),
                   ice_addr_to_string (&ev.pair.local.addr, x),
                   ice_addr_to_string (&ev.pair.remote.addr, y), ev.reason);
        }
      switch (ev.type)
        {
        case ICE_EVENT_CANDIDATE:
          s->n_cands++;
          if (s->hold_signal && s->n_held < 64)
            s->held[s->n_held++] = ev.cand;
          else if (s->peer)
            ice_agent_add_remote_candidate (s->peer->agent, now, &ev.cand);
          break;
        case ICE_EVENT_GATHERING_DONE:
          s->gathered = true;
          s->gathered_at = now;
          if (s->peer && !s->hold_signal)
            ice_agent_remote_gathering_done (s->peer->agent, now);
          break;
        case ICE_EVENT_SELECTED_PAIR:
          s->selected[ev.component] = true;
          s->pair[ev.component] = ev.pair;
          s->selected_at = now;
          s->n_selected++;
          break;
        case ICE_EVENT_FAILED:
          s->failed = true;
          s->reason = ev.reason;
          s->failed_at = now;
          break;
        case ICE_EVENT_CONSENT_LOST:
          s->consent_lost = true;
          s->consent_lost_at = now;
          break;
        case ICE_EVENT_ROLE_CHANGED:
          s->role_changes++;
          break;
        default:
          break;
        }
    }
  while (ice_agent_poll_transmit (s->agent, &t))
    {
      any = true;
      record_sent (s, now, t.data, t.len);
      if (t.len >= 2 && t.data[0] == 0x00 && t.data[1] == 0x01 && host_index (s, &t.local) >= 0
          && s->first_request[host_index (s, &t.local)] == 0)
        s->first_request[host_index (s, &t.local)] = now;
      s->n_tx++;
      s->last_tx_type = t.len >= 2 ? (unsigned) (t.data[0] << 8 | t.data[1]) : 0;
      if (getenv ("VNET_DEBUG"))
        {
          char x[ICE_ADDR_STRLEN], y[ICE_ADDR_STRLEN];
          fprintf (stderr, "%8.3f %s tx %s -> %s len %zu type %02x%02x\n", now / 1e6, s->name,
                   ice_addr_to_string (&t.local, x), ice_addr_to_string (&t.remote, y), t.len,
                   t.data[0], t.data[1]);
        }
      if (t.transport == ICE_TRANSPORT_UDP)
        vnet_send (s->net, now, &t.local, &t.remote, t.data, t.len);
      else
        vnet_stream_send (s->net, now, &t.local, &t.remote, t.data, t.len);
    }
  return any;
}

static void
release_signal (side *s, uint64_t now)
{
  size_t i;

  s->hold_signal = false;
  for (i = 0; i < s->n_held; i++)
    ice_agent_add_remote_candidate (s->peer->agent, now, &s->held[i]);
  s->n_held = 0;
  if (s->gathered)
    ice_agent_remote_gathering_done (s->peer->agent, now);
}

typedef bool (*done_fn) (side *a, side *b);

static bool
both_selected (side *a, side *b)
{
  return a->selected[1] && b->selected[1];
}

static bool
a_failed (side *a, side *b)
{
  (void) b;
  return a->failed;
}

/* Runs the network and both agents on the virtual clock from *now until
 * done() or the time limit; returns done(). */
static bool
run (side *a, side *b, uint64_t *now, uint64_t limit, done_fn done)
{
  unsigned spins = 0;

  while (*now <= limit)
    {
      uint64_t next;

      while (pump (a, *now) | (b ? pump (b, *now) : false))
        ;
      if (done && done (a, b))
        return true;
      next = vnet_next (a->net);
      if (ice_agent_next_timeout (a->agent) < next)
        next = ice_agent_next_timeout (a->agent);
      if (b && ice_agent_next_timeout (b->agent) < next)
        next = ice_agent_next_timeout (b->agent);
      if (next == UINT64_MAX || next > limit)
        break;
      /* An agent whose timer stays due after handle_timeout would spin a
       * real main loop: catch it here. */
      spins = next > *now ? 0 : spins + 1;
      ck_assert_msg (spins < 10000, "timer stuck at %llu us", (unsigned long long) *now);
      if (next > *now)
        *now = next;
      vnet_run (a->net, *now);
      if (ice_agent_next_timeout (a->agent) <= *now)
        ice_agent_handle_timeout (a->agent, *now);
      if (b && ice_agent_next_timeout (b->agent) <= *now)
        ice_agent_handle_timeout (b->agent, *now);
    }
  return done ? done (a, b) : false;
}

static void
start (side *a, side *b, uint64_t now)
{
  exchange_credentials (a, b);
  ck_assert_int_eq (ice_agent_gather (a->agent, now), 0);
  ck_assert_int_eq (ice_agent_gather (b->agent, now), 0);
}

static bool
pair_has (const ice_pair_info *p, ice_cand_type t)
{
  return p->local.type == t || p->remote.type == t;
}

/* Data both ways over the selected pair. */
static void
exchange_data (side *a, side *b, uint64_t *now)
{
  unsigned na = a->n_app, nb = b->n_app;

  a->app[0] = b->app[0] = '\0';
  ck_assert_int_eq (ice_agent_send (a->agent, *now, 1, (const uint8_t *) "\x80hello", 6), 0);
  ck_assert_int_eq (ice_agent_send (b->agent, *now, 1, (const uint8_t *) "\x80world", 6), 0);
  run (a, b, now, *now + 500 * MS, NULL);
  ck_assert_uint_eq (b->n_app, nb + 1);
  ck_assert_uint_eq (a->n_app, na + 1);
  ck_assert_str_eq (b->app, "\x80hello");
  ck_assert_str_eq (a->app, "\x80world");
}

/* ----------------------------------------------------------- NAT matrix */

typedef enum
{
  NAT_OPEN,      /* public address, no NAT */
  NAT_FULL_CONE, /* EI mapping, EI filtering */
  NAT_RESTRICTED,/* EI mapping, AD filtering */
  NAT_PORT_RESTRICTED, /* EI mapping, APD filtering */
  NAT_AD_MAPPING,      /* AD mapping, AD filtering */
  NAT_SYMMETRIC, /* APD mapping, APD filtering */
  NAT_KINDS
} nat_kind;

static const char *const nat_names[] = { "open", "full-cone", "restricted", "port-restricted",
                                         "ad-mapping", "symmetric" };

typedef enum
{
  EXPECT_HOST,
  EXPECT_SRFLX,
  EXPECT_PRFLX,
  EXPECT_RELAY,
} expect_kind;

static bool
ei_mapping (nat_kind k)
{
  return k != NAT_SYMMETRIC && k != NAT_AD_MAPPING;
}

/* Where hole punching works (RFC 4787 behaviours, RFC 5128 §3.3):
 * - no NAT on one side, or EI mapping on both: the signalled addresses
 *   are the ones packets come from (host, srflx);
 * - one side with an endpoint-dependent mapping: its packets to the peer
 *   leave from a new port, which the peer learns as peer-reflexive; that
 *   gets through the peer's NAT unless it filters by port as well;
 * - both endpoint-dependent: only the relay. */
static expect_kind
expected (nat_kind x, nat_kind y)
{
  if (x == NAT_OPEN && y == NAT_OPEN)
    return EXPECT_HOST;
  if (x == NAT_OPEN || y == NAT_OPEN)
    return (ei_mapping (x) && ei_mapping (y)) ? EXPECT_SRFLX : EXPECT_PRFLX;
  if (ei_mapping (x) && ei_mapping (y))
    return EXPECT_SRFLX;
  if (!ei_mapping (x) && !ei_mapping (y))
    return EXPECT_RELAY;
  {
    nat_kind ei = ei_mapping (x) ? x : y;
    return ei == NAT_PORT_RESTRICTED ? EXPECT_RELAY : EXPECT_PRFLX;
  }
}

/* A LAN behind a NAT of that kind, whose UDP bindings last 30 s without
 * outbound traffic (a common home-router value; consent checks every 4-6 s
 * must keep them). */
static int
make_realm (vnet *net, nat_kind k, const char *public_ip)
{
  int r;

  switch (k)
    {
    case NAT_FULL_CONE:
      r = vnet_add_nat (net, public_ip, VNET_EI, VNET_EI);
      break;
    case NAT_RESTRICTED:
      r = vnet_add_nat (net, public_ip, VNET_EI, VNET_AD);
      break;
    case NAT_PORT_RESTRICTED:
      r = vnet_add_nat (net, public_ip, VNET_EI, VNET_APD);
      break;
    case NAT_AD_MAPPING:
      r = vnet_add_nat (net, public_ip, VNET_AD, VNET_AD);
      break;
    case NAT_SYMMETRIC:
      r = vnet_add_nat (net, public_ip, VNET_APD, VNET_APD);
      break;
    case NAT_OPEN:
    default:
      return 0;
    }
  vnet_set_mapping_timeout (net, r, 30 * SEC);
  return r;
}

static void
add_servers (vnet *net, side *s, bool turn, const char *turn_pass)
{
  ice_addr stun = A ("203.0.113.1", 3478), relay = A ("203.0.113.2", 3478);

  ice_agent_add_stun_server (s->agent, &stun);
  if (turn)
    ice_agent_add_turn_server (s->agent, &relay, "alice", turn_pass);
  (void) net;
}

static vnet *
make_net (uint32_t seed)
{
  vnet *net = vnet_new (seed);
  ice_addr stun = A ("203.0.113.1", 3478), relay = A ("203.0.113.2", 3478);

  ck_assert_int_eq (vnet_add_stun_server (net, &stun), 0);
  ck_assert_int_eq (vnet_add_turn_server (net, &relay, "alice", "wonderland", "203.0.113.3"), 0);
  return net;
}

START_TEST (test_nat_matrix)
{
  nat_kind x = (nat_kind) (_i / NAT_KINDS), y = (nat_kind) (_i % NAT_KINDS);
  vnet *net = make_net (42 + (uint32_t) _i);
  int rx = make_realm (net, x, "198.51.100.1"), ry = make_realm (net, y, "198.51.100.2");
  side a, b;
  uint64_t now = 0;
  expect_kind e = expected (x, y);

  side_init (&a, "a", net, rx, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, ry, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, x == NAT_OPEN ? "192.0.2.10" : "10.1.0.10", 5000, 1);
  side_host (&b, y == NAT_OPEN ? "192.0.2.20" : "10.2.0.20", 6000, 1);
  add_servers (net, &a, true, "wonderland");
  add_servers (net, &b, true, "wonderland");
  start (&a, &b, now);
  ck_assert_msg (run (&a, &b, &now, 15 * SEC, both_selected), "%s <-> %s: not connected (failed %d/%d)",
                 nat_names[x], nat_names[y], a.failed, b.failed);
  /* Let a late, better nomination settle before judging the pair. */
  run (&a, &b, &now, now + 2 * SEC, NULL);
  for (int k = 0; k < 2; k++)
    {
      const ice_pair_info *p = k ? &b.pair[1] : &a.pair[1];
      char l[ICE_ADDR_STRLEN], r[ICE_ADDR_STRLEN];
      bool ok;
      switch (e)
        {
        case EXPECT_HOST:
          ok = p->local.type == ICE_CAND_HOST && p->remote.type == ICE_CAND_HOST;
          break;
        case EXPECT_SRFLX:
          ok = !pair_has (p, ICE_CAND_RELAY) && !pair_has (p, ICE_CAND_PRFLX)
               && pair_has (p, ICE_CAND_SRFLX);
          break;
        case EXPECT_PRFLX:
          ok = !pair_has (p, ICE_CAND_RELAY) && pair_has (p, ICE_CAND_PRFLX);
          break;
        case EXPECT_RELAY:
        default:
          ok = pair_has (p, ICE_CAND_RELAY);
          break;
        }
      ck_assert_msg (ok, "%s <-> %s, side %c: pair %s %s -> %s %s not as expected (%d)", nat_names[x],
                     nat_names[y], k ? 'b' : 'a', ice_cand_type_name (p->local.type),
                     ice_addr_to_string (&p->local.addr, l), ice_cand_type_name (p->remote.type),
                     ice_addr_to_string (&p->remote.addr, r), e);
    }
  ck_assert (!a.failed && !b.failed);
  ck_assert (a.gathered && b.gathered);
  exchange_data (&a, &b, &now);
  /* Three seconds after completion the relays that carry nothing are
   * released (RFC 8445 §8.3); a relay in use stays. */
  run (&a, &b, &now, now + 4 * SEC, NULL);
  {
    vnet_stats vs;
    vnet_stats_get (net, &vs);
    if (e == EXPECT_RELAY)
      ck_assert_uint_ge (vs.allocations, 1);
    else
      ck_assert_uint_eq (vs.allocations, 0);
  }
  exchange_data (&a, &b, &now);
  /* Two minutes on, with 30 s NAT bindings: consent traffic kept the path
   * open and nothing was lost. */
  run (&a, &b, &now, now + 120 * SEC, NULL);
  ck_assert (!a.consent_lost && !b.consent_lost);
  ck_assert_uint_eq (a.n_selected, 1);
  exchange_data (&a, &b, &now);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

/* ---------------------------------------------------------- role conflict */

static void
role_conflict (ice_role both, uint64_t tie_a, uint64_t tie_b)
{
  vnet *net = make_net (7);
  side a, b;
  uint64_t now = 0;
  ice_agent_stats st_a, st_b;

  side_init (&a, "a", net, 0, both, tie_a, 1);
  side_init (&b, "b", net, 0, both, tie_b, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  side_host (&b, "192.0.2.20", 6000, 1);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 10 * SEC, both_selected));
  ck_assert_int_ne (ice_agent_role (a.agent), ice_agent_role (b.agent));
  /* The larger tie-breaker ends up controlling (RFC 8445 §7.3.1.1). */
  ck_assert_int_eq (ice_agent_role (tie_a > tie_b ? a.agent : b.agent), ICE_ROLE_CONTROLLING);
  ice_agent_stats_get (a.agent, &st_a);
  ice_agent_stats_get (b.agent, &st_b);
  ck_assert_uint_eq (st_a.role_conflicts + st_b.role_conflicts, 1);
  ck_assert_uint_eq (a.role_changes + b.role_changes, 1);
  ck_assert (ice_addr_equal (&a.pair[1].remote.addr, &b.hosts[0]));
  exchange_data (&a, &b, &now);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}

/* Behind two port-restricted NATs, 30 ms each way on every WAN link: the
 * host pairs, of higher priority, never answer; the direct srflx pair is
 * nominated once they have had its round trip, not after the nomination
 * delay. */
START_TEST (test_nominate_when_better_pairs_overdue)
{
  vnet *net = make_net (7);
  int ra = make_realm (net, NAT_PORT_RESTRICTED, "198.51.100.1");
  int rb = make_realm (net, NAT_PORT_RESTRICTED, "198.51.100.2");
  side a, b;
  uint64_t now = 0;

  vnet_set_latency (net, 0, 30 * MS);
  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, rb, ICE_ROLE_CONTROLLED, 0, 1);
  side_remake (&a, patient_nomination);
  side_host (&a, "10.1.0.10", 5000, 1);
  side_host (&b, "10.2.0.20", 6000, 1);
  add_servers (net, &a, true, "wonderland");
  add_servers (net, &b, true, "wonderland");
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 3 * SEC, both_selected));
  ck_assert (!pair_has (&a.pair[1], ICE_CAND_RELAY) && pair_has (&a.pair[1], ICE_CAND_SRFLX));
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

/* A pooled agent gathers before anyone knows who will offer: it takes its
 * role when the call starts, and keeps it once the peer is known. */
START_TEST (test_role_set_after_gathering)
{
  vnet *net = make_net (9);
  side a, b;
  uint64_t now = 0;

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  side_host (&b, "192.0.2.20", 6000, 1);
  ck_assert_int_eq (ice_agent_gather (a.agent, now), 0);
  run (&a, NULL, &now, now + SEC, NULL);
  ck_assert_int_eq (ice_agent_set_role (a.agent, ICE_ROLE_CONTROLLING), 0);
  exchange_credentials (&a, &b);
  ck_assert_int_eq (ice_agent_set_role (a.agent, ICE_ROLE_CONTROLLED), -EBUSY);
  ck_assert_int_eq (ice_agent_gather (b.agent, now), 0);
  ck_assert (run (&a, &b, &now, now + 5 * SEC, both_selected));
  ck_assert_int_eq (ice_agent_role (a.agent), ICE_ROLE_CONTROLLING);
  {
    ice_agent_stats st;
    ice_agent_stats_get (a.agent, &st);
    ck_assert_uint_eq (st.role_conflicts, 0);
  }
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_role_conflict_both_controlling)
{
  role_conflict (ICE_ROLE_CONTROLLING, 1000, 5);
  role_conflict (ICE_ROLE_CONTROLLING, 5, 1000);
}
END_TEST

START_TEST (test_role_conflict_both_controlled)
{
  role_conflict (ICE_ROLE_CONTROLLED, 1000, 5);
  role_conflict (ICE_ROLE_CONTROLLED, 5, 1000);
}
END_TEST

/* ------------------------------------------------- scripted remote peers */

/* A minimal remote ICE implementation written from RFC 8445/5245 for the
 * tests: a lite agent only answers checks; an RFC 5245 controlling agent
 * with aggressive nomination also sends checks carrying USE-CANDIDATE. */
typedef struct
{
  vnet *net;
  ice_addr addr;
  char ufrag[16], pwd[32];
  const char *their_ufrag, *their_pwd;
  ice_addr target;
  bool aggressive;
  unsigned use_candidate_seen; /* checks from the agent with USE-CANDIDATE */
  unsigned requests_seen;
  unsigned our_checks_answered;
  uint64_t next_check;
  unsigned txid_counter;
  uint32_t priority;      /* PRIORITY in its checks */
  unsigned want_selected; /* run_with_script stops at this many selections */
} script_peer;

static void
script_recv (void *ctx, uint64_t now, const ice_addr *local, const ice_addr *from,
             const uint8_t *data, size_t len, bool stream)
{
  script_peer *p = ctx;
  ice_stun_msg m;
  ice_stun_writer w;
  uint8_t buf[256];
  int n;

  if (stream || ice_stun_msg_parse (data, len, &m) < 0)
    return;
  if (m.cls == ICE_STUN_CLASS_SUCCESS)
    {
      if (ice_stun_msg_check_integrity (&m, p->their_pwd, strlen (p->their_pwd)) == 0)
        p->our_checks_answered++;
      return;
    }
  if (m.cls != ICE_STUN_CLASS_REQUEST
      || ice_stun_msg_check_integrity (&m, p->pwd, strlen (p->pwd)) != 0)
    return;
  p->requests_seen++;
  if (ice_stun_msg_has (&m, ICE_STUN_ATTR_USE_CANDIDATE))
    p->use_candidate_seen++;
  ice_stun_writer_init_response (&w, buf, sizeof buf, &m, ICE_STUN_CLASS_SUCCESS);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, from);
  ice_stun_add_integrity (&w, p->pwd, strlen (p->pwd));
  ice_stun_add_fingerprint (&w);
  n = ice_stun_writer_finish (&w);
  vnet_send (p->net, now, local, from, buf, (size_t) n);
}

static void
script_check (script_peer *p, uint64_t now)
{
  ice_stun_writer w;
  ice_stun_txid id = { { 0 } };
  char user[64];
  uint8_t buf[256];
  int n;

  id.b[0] = (uint8_t) ++p->txid_counter;
  snprintf (user, sizeof user, "%s:%s", p->their_ufrag, p->ufrag);
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_REQUEST, &id);
  ice_stun_add_string (&w, ICE_STUN_ATTR_USERNAME, user);
  ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, p->priority);
  ice_stun_add_u64 (&w, ICE_STUN_ATTR_ICE_CONTROLLING, 0xffffffffffffull);
  ice_stun_add_empty (&w, ICE_STUN_ATTR_USE_CANDIDATE);
  ice_stun_add_integrity (&w, p->their_pwd, strlen (p->their_pwd));
  ice_stun_add_fingerprint (&w);
  n = ice_stun_writer_finish (&w);
  vnet_send (p->net, now, &p->addr, &p->target, buf, (size_t) n);
}

/* Runs one agent plus a scripted peer (which checks every 100 ms when
 * aggressive) until the agent selects. */
static bool
run_with_script (side *a, script_peer *p, uint64_t *now, uint64_t limit)
{
  while (*now <= limit)
    {
      uint64_t next;
      while (pump (a, *now))
        ;
      if (a->n_selected >= p->want_selected)
        return true;
      next = vnet_next (a->net);
      if (ice_agent_next_timeout (a->agent) < next)
        next = ice_agent_next_timeout (a->agent);
      if (p->aggressive && p->next_check < next)
        next = p->next_check;
      if (next == UINT64_MAX || next > limit)
        break;
      if (next > *now)
        *now = next;
      vnet_run (a->net, *now);
      if (p->aggressive && p->next_check <= *now && p->our_checks_answered == 0)
        {
          script_check (p, *now);
          p->next_check = *now + 100 * MS;
        }
      else if (p->next_check <= *now)
        p->next_check = UINT64_MAX;
      if (ice_agent_next_timeout (a->agent) <= *now)
        ice_agent_handle_timeout (a->agent, *now);
    }
  return a->n_selected >= p->want_selected;
}

static void
script_setup (script_peer *p, vnet *net, side *a, const char *ip, uint16_t port, bool aggressive)
{
  ice_cand c = { 0 };

  memset (p, 0, sizeof *p);
  p->net = net;
  p->addr = A (ip, port);
  strcpy (p->ufrag, "peer");
  strcpy (p->pwd, "peerpasswordpeerpassword");
  p->their_ufrag = ice_agent_local_ufrag (a->agent);
  p->their_pwd = ice_agent_local_pwd (a->agent);
  p->target = a->hosts[0];
  p->aggressive = aggressive;
  p->next_check = aggressive ? 30 * MS : UINT64_MAX;
  p->priority = 1853824767u;
  p->want_selected = 1;
  ck_assert_int_eq (vnet_bind (net, 0, &p->addr, script_recv, p), 0);
  ck_assert_int_eq (ice_agent_set_remote_credentials (a->agent, p->ufrag, p->pwd), 0);
  strcpy (c.foundation, "1");
  c.component = 1;
  c.priority = 2130706431u;
  c.type = ICE_CAND_HOST;
  c.addr = p->addr;
  ck_assert_int_eq (ice_agent_add_remote_candidate (a->agent, 0, &c), 0);
  ice_agent_remote_gathering_done (a->agent, 0);
}

START_TEST (test_lite_peer)
{
  vnet *net = make_net (9);
  side a;
  script_peer p;
  uint64_t now = 0;

  /* We were told to be controlled, but a lite peer never controls. */
  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  ck_assert_int_eq (ice_agent_gather (a.agent, 0), 0);
  ice_agent_set_remote_lite (a.agent, true);
  ck_assert_int_eq (ice_agent_role (a.agent), ICE_ROLE_CONTROLLING);
  script_setup (&p, net, &a, "192.0.2.99", 7000, false);
  ck_assert (run_with_script (&a, &p, &now, 5 * SEC));
  /* Regular nomination reached the lite peer: it saw USE-CANDIDATE. */
  ck_assert_uint_ge (p.use_candidate_seen, 1);
  ck_assert (ice_addr_equal (&a.pair[1].remote.addr, &p.addr));
  ck_assert_int_eq (a.pair[1].local.type, ICE_CAND_HOST);
  side_free (&a);
  vnet_free (net);
}
END_TEST

START_TEST (test_aggressive_rfc5245_peer)
{
  vnet *net = make_net (11);
  side a;
  script_peer p;
  uint64_t now = 0;

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  ck_assert_int_eq (ice_agent_gather (a.agent, 0), 0);
  /* The peer's checks come from an address it never signalled (a NAT
   * mapping): we learn it as peer-reflexive, answer, check it back, and the
   * USE-CANDIDATE it carried nominates the pair. */
  script_setup (&p, net, &a, "192.0.2.98", 7000, true);
  {
    ice_addr other = A ("192.0.2.97", 7100);
    p.addr = other;
    ck_assert_int_eq (vnet_bind (net, 0, &other, script_recv, &p), 0);
  }
  ck_assert (run_with_script (&a, &p, &now, 5 * SEC));
  ck_assert (ice_addr_equal (&a.pair[1].remote.addr, &p.addr));
  ck_assert_int_eq (a.pair[1].remote.type, ICE_CAND_PRFLX);
  ck_assert_int_eq (ice_agent_role (a.agent), ICE_ROLE_CONTROLLED);
  ck_assert_uint_ge (p.requests_seen, 1); /* our triggered check */
  ck_assert_uint_eq (p.use_candidate_seen, 0); /* controlled never nominates */
  side_free (&a);
  vnet_free (net);
}
END_TEST

/* ------------------------------------------------------ after selection */

static void
connect_pair (vnet *net, side *a, side *b, uint64_t *now, nat_kind ka, nat_kind kb)
{
  int ra = make_realm (net, ka, "198.51.100.1"), rb = make_realm (net, kb, "198.51.100.2");

  side_init (a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (b, "b", net, rb, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (a, ka == NAT_OPEN ? "192.0.2.10" : "10.1.0.10", 5000, 1);
  side_host (b, kb == NAT_OPEN ? "192.0.2.20" : "10.2.0.20", 6000, 1);
  add_servers (net, a, false, NULL);
  add_servers (net, b, false, NULL);
  start (a, b, *now);
  ck_assert (run (a, b, now, *now + 10 * SEC, both_selected));
}

static bool
both_selected_twice (side *a, side *b)
{
  return a->n_selected >= 2 && b->n_selected >= 2;
}

START_TEST (test_restart)
{
  vnet *net = make_net (13);
  side a, b;
  uint64_t now = 0;
  char old_ufrag[64], old_pwd[64];
  ice_cand cands[16];
  size_t n, i;

  connect_pair (net, &a, &b, &now, NAT_FULL_CONE, NAT_RESTRICTED);
  run (&a, &b, &now, now + SEC, NULL);
  strcpy (old_ufrag, ice_agent_local_ufrag (a.agent));
  strcpy (old_pwd, ice_agent_local_pwd (a.agent));
  ck_assert_int_eq (ice_agent_restart (a.agent, now), 0);
  ck_assert_int_eq (ice_agent_restart (b.agent, now), 0);
  ck_assert_str_ne (ice_agent_local_ufrag (a.agent), old_ufrag);
  ck_assert_str_ne (ice_agent_local_pwd (a.agent), old_pwd);
  /* Media keeps the old pair until the new one is chosen. */
  ck_assert (ice_agent_selected_pair (a.agent, 1, NULL));
  ck_assert_int_eq (ice_agent_send (a.agent, now, 1, (const uint8_t *) "\x80mid", 4), 0);
  exchange_credentials (&a, &b);
  /* The new offer/answer carries every candidate again. */
  n = ice_agent_local_candidates (a.agent, cands, 16);
  for (i = 0; i < n; i++)
    ice_agent_add_remote_candidate (b.agent, now, &cands[i]);
  n = ice_agent_local_candidates (b.agent, cands, 16);
  for (i = 0; i < n; i++)
    ice_agent_add_remote_candidate (a.agent, now, &cands[i]);
  ice_agent_remote_gathering_done (a.agent, now);
  ice_agent_remote_gathering_done (b.agent, now);
  ck_assert (run (&a, &b, &now, now + 10 * SEC, both_selected_twice));
  ck_assert (!a.failed && !b.failed);
  exchange_data (&a, &b, &now);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

static bool
a_consent_lost (side *a, side *b)
{
  (void) b;
  return a->consent_lost;
}

START_TEST (test_consent_loss)
{
  vnet *net = make_net (17);
  side a, b;
  uint64_t now = 0, cut;

  connect_pair (net, &a, &b, &now, NAT_FULL_CONE, NAT_FULL_CONE);
  /* A while of healthy consent first: nothing is lost in 60 s. */
  run (&a, &b, &now, now + 60 * SEC, a_consent_lost);
  ck_assert (!a.consent_lost && !b.consent_lost);
  exchange_data (&a, &b, &now);
  /* Then the peer's network goes dark. */
  vnet_block_udp (net, b.realm, true);
  cut = now;
  ck_assert (run (&a, &b, &now, now + 40 * SEC, a_consent_lost));
  /* RFC 7675: lost 30 s after the last answer (which came at most one
   * consent interval, 6 s, before the cut). */
  ck_assert_uint_ge (a.consent_lost_at - cut, 24 * SEC);
  ck_assert_uint_le (a.consent_lost_at - cut, 31 * SEC);
  ck_assert_int_eq (ice_agent_send (a.agent, now, 1, (const uint8_t *) "x", 1), -ENOTCONN);
  ck_assert_int_eq (ice_agent_component_state (a.agent, 1), ICE_COMP_FAILED);
  ck_assert (a.failed);
  ck_assert_int_eq (a.reason, ICE_FAIL_CONSENT_LOST);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_loss_on_path)
{
  vnet *net = make_net (19);
  side a, b;
  uint64_t now = 0;

  vnet_set_loss (net, 300); /* 30 % of datagrams lost on the internet */
  connect_pair (net, &a, &b, &now, NAT_RESTRICTED, NAT_PORT_RESTRICTED);
  ck_assert (!pair_has (&a.pair[1], ICE_CAND_RELAY));
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_ten_interfaces)
{
  vnet *net = make_net (23);
  side a, b;
  uint64_t now = 0;
  char ip[32];
  size_t i;

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  for (i = 0; i < 10; i++)
    {
      snprintf (ip, sizeof ip, "192.0.2.%zu", 10 + i);
      side_host (&a, ip, 5000, 1);
      snprintf (ip, sizeof ip, "198.51.100.%zu", 10 + i);
      side_host (&b, ip, 6000, 1);
    }
  /* Only b's least preferred address is reachable: the rest are black
   * holes, so most of the 100 pairs get checked. */
  for (i = 0; i < 9; i++)
    vnet_unbind (net, &b.hosts[i]);
  add_servers (net, &a, false, NULL);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 20 * SEC, both_selected));
  ck_assert (ice_addr_equal (&a.pair[1].remote.addr, &b.hosts[9]));
  /* RFC 8445 §14: one new transaction per Ta (50 ms) at most. */
  ck_assert_uint_ge (a.n_sent, 20);
  /* No NAT: each server-reflexive address equals its host candidate and is
   * dropped as redundant (§5.1.3), leaving the ten host candidates. */
  run (&a, &b, &now, now + 10 * SEC, NULL);
  ck_assert (a.gathered);
  ck_assert_uint_eq (a.n_cands, 10);
  for (i = 1; i < a.n_sent; i++)
    ck_assert_msg (a.sent_at[i] - a.sent_at[i - 1] >= 50 * MS || a.sent_at[i] >= a.selected_at,
                   "requests %zu and %zu only %llu us apart", i - 1, i,
                   (unsigned long long) (a.sent_at[i] - a.sent_at[i - 1]));
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_turn_refused_direct_works)
{
  vnet *net = make_net (29);
  side a, b;
  uint64_t now = 0;
  int ra = make_realm (net, NAT_FULL_CONE, "198.51.100.1");
  int rb = make_realm (net, NAT_RESTRICTED, "198.51.100.2");

  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, rb, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "10.1.0.10", 5000, 1);
  side_host (&b, "10.2.0.20", 6000, 1);
  add_servers (net, &a, true, "wrong-password");
  add_servers (net, &b, false, NULL);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 10 * SEC, both_selected));
  ck_assert (a.gathered);
  ck_assert (!pair_has (&a.pair[1], ICE_CAND_RELAY));
  ck_assert (pair_has (&a.pair[1], ICE_CAND_SRFLX));
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

/* --ice-policy relay-only: even between two open hosts, media takes the
 * relay and no other address of ours is announced. */
START_TEST (test_relay_only)
{
  vnet *net = make_net (31);
  side a, b;
  uint64_t now = 0;
  int ra = make_realm (net, NAT_OPEN, NULL);
  int rb = make_realm (net, NAT_OPEN, NULL);
  ice_agent_config cfg;
  ice_cand cands[16];
  size_t n;

  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  ice_agent_free (a.agent);
  ice_agent_config_default (&cfg);
  cfg.components = 1;
  cfg.relay_only = true;
  cfg.random = test_random;
  cfg.random_ctx = &a;
  a.agent = ice_agent_new (&cfg);
  side_init (&b, "b", net, rb, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "198.51.100.10", 5000, 1);
  side_host (&b, "198.51.100.20", 6000, 1);
  add_servers (net, &a, true, "wonderland");
  add_servers (net, &b, false, NULL);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 10 * SEC, both_selected));
  ck_assert_int_eq (a.pair[1].local.type, ICE_CAND_RELAY);
  n = ice_agent_local_candidates (a.agent, cands, 16);
  ck_assert_uint_gt (n, 0);
  for (size_t i = 0; i < n; i++)
    ck_assert_int_eq (cands[i].type, ICE_CAND_RELAY);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_turn_refused_no_path)
{
  vnet *net = make_net (31);
  side a, b;
  uint64_t now = 0;
  int ra = make_realm (net, NAT_SYMMETRIC, "198.51.100.1");
  int rb = make_realm (net, NAT_SYMMETRIC, "198.51.100.2");

  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, rb, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "10.1.0.10", 5000, 1);
  side_host (&b, "10.2.0.20", 6000, 1);
  add_servers (net, &a, true, "wrong-password");
  add_servers (net, &b, false, NULL);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 60 * SEC, a_failed));
  ck_assert_int_eq (a.reason, ICE_FAIL_TURN_REFUSED);
  ck_assert (!a.selected[1]);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_udp_blocked)
{
  vnet *net = make_net (37);
  side a, b;
  uint64_t now = 0;
  int ra = make_realm (net, NAT_FULL_CONE, "198.51.100.1");

  vnet_block_udp (net, ra, true);
  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "10.1.0.10", 5000, 1);
  side_host (&b, "192.0.2.20", 6000, 1);
  add_servers (net, &a, true, "wonderland");
  start (&a, &b, now);
  /* TURN over TCP/TLS is not part of the agent yet: with UDP blocked the
   * checks time out and the agent says so (bounded: gathering 5 s, checks
   * a few seconds). */
  ck_assert (run (&a, &b, &now, 60 * SEC, a_failed));
  ck_assert (a.gathered);
  /* Servers that never answer are given up after gather_timeout (5 s). */
  ck_assert_uint_eq (a.gathered_at, 5 * SEC);
  ck_assert_uint_eq (a.n_cands, 1); /* the host candidate only */
  ck_assert (a.failed);
  ck_assert_int_eq (a.reason, ICE_FAIL_CHECKS_TIMED_OUT);
  ck_assert_uint_le (a.failed_at, 30 * SEC);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_two_components)
{
  vnet *net = make_net (41);
  side a, b;
  uint64_t now = 0;
  int ra = make_realm (net, NAT_RESTRICTED, "198.51.100.1");

  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 2);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 2);
  side_host (&a, "10.1.0.10", 5000, 1);
  side_host (&a, "10.1.0.10", 5001, 2);
  side_host (&b, "192.0.2.20", 6000, 1);
  side_host (&b, "192.0.2.20", 6001, 2);
  add_servers (net, &a, false, NULL);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 10 * SEC, both_selected));
  run (&a, &b, &now, now + 2 * SEC, NULL);
  ck_assert (a.selected[2] && b.selected[2]);
  /* The frozen algorithm (RFC 8445 §6.1.2.6): component 2's pairs share
   * their foundations with component 1's and wait for one of them to
   * succeed. b, public, sees no NAT: its first RTCP check leaves only after
   * its first RTP check was answered. */
  ck_assert_uint_gt (b.first_request[1], 0);
  ck_assert_uint_gt (b.first_success[0], 0);
  ck_assert_uint_ge (b.first_request[1], b.first_success[0]);
  ck_assert_uint_eq (a.pair[1].local.component, 1);
  ck_assert_uint_eq (a.pair[2].local.component, 2);
  ck_assert_uint_eq (b.pair[2].local.addr.port, 6001);
  /* RTCP on component 2 reaches the peer's RTCP socket. */
  ck_assert_int_eq (ice_agent_send (a.agent, now, 2, (const uint8_t *) "\x81rtcp", 5), 0);
  run (&a, &b, &now, now + SEC, NULL);
  ck_assert_str_eq (b.app, "\x81rtcp");
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_rtcp_mux)
{
  vnet *net = make_net (43);
  side a, b;
  uint64_t now = 0;
  ice_cand cands[8];

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLING, 0, 2);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  side_host (&a, "192.0.2.10", 5001, 2);
  side_host (&b, "192.0.2.20", 6000, 1);
  /* The answer agreed to rtcp-mux: component 2 goes away. */
  ice_agent_set_rtcp_mux (a.agent);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 10 * SEC, both_selected));
  ck_assert_uint_eq (ice_agent_local_candidates (a.agent, cands, 8), 1);
  ck_assert_int_eq (ice_agent_send (a.agent, now, 2, (const uint8_t *) "x", 1), -EINVAL);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_deterministic)
{
  /* The same seeds give the same run, to the microsecond. */
  uint64_t at[2];
  ice_pair_info p[2];

  for (int k = 0; k < 2; k++)
    {
      vnet *net = make_net (99);
      side a, b;
      uint64_t now = 0;
      connect_pair (net, &a, &b, &now, NAT_SYMMETRIC, NAT_FULL_CONE);
      at[k] = a.selected_at;
      p[k] = a.pair[1];
      side_free (&a);
      side_free (&b);
      vnet_free (net);
    }
  ck_assert_uint_eq (at[0], at[1]);
  ck_assert (ice_addr_equal (&p[0].local.addr, &p[1].local.addr));
  ck_assert (ice_addr_equal (&p[0].remote.addr, &p[1].remote.addr));
}
END_TEST

/* Candidates signalled late (a slow answer): the side that has not heard
 * them yet learns the other from its checks as peer-reflexive and the call
 * completes anyway; the late signalling changes nothing. */
static void
late_signalling (bool hold_controlling)
{
  vnet *net = make_net (47);
  side a, b;
  side *slow, *fast;
  uint64_t now = 0;

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  side_host (&b, "192.0.2.20", 6000, 1);
  slow = hold_controlling ? &a : &b;
  fast = hold_controlling ? &b : &a;
  slow->hold_signal = true;
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 5 * SEC, both_selected));
  ck_assert_int_eq (fast->pair[1].remote.type, ICE_CAND_PRFLX);
  ck_assert (ice_addr_equal (&fast->pair[1].remote.addr, &slow->hosts[0]));
  ck_assert_int_eq (slow->pair[1].remote.type, ICE_CAND_HOST);
  release_signal (slow, now);
  run (&a, &b, &now, now + 2 * SEC, NULL);
  ck_assert_uint_eq (a.n_selected, 1);
  ck_assert_uint_eq (b.n_selected, 1);
  exchange_data (&a, &b, &now);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}

START_TEST (test_late_signalling)
{
  late_signalling (true);
  late_signalling (false);
}
END_TEST

START_TEST (test_remote_candidates)
{
  /* An RFC 5245 controlling peer that nominated in its SDP only
   * (a=remote-candidates) and never sends USE-CANDIDATE: we select the pair
   * it names as soon as our check validates it. */
  vnet *net = make_net (53);
  side a;
  script_peer p;
  uint64_t now = 0;

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  side_host (&a, "192.0.2.11", 5000, 1);
  ck_assert_int_eq (ice_agent_gather (a.agent, 0), 0);
  script_setup (&p, net, &a, "192.0.2.99", 7000, false);
  /* The less preferred of our two addresses is the one named. */
  ck_assert_int_eq (ice_agent_set_remote_selection (a.agent, 1, &a.hosts[1]), 0);
  ck_assert (run_with_script (&a, &p, &now, 5 * SEC));
  ck_assert (ice_addr_equal (&a.pair[1].local.addr, &a.hosts[1]));
  ck_assert (ice_addr_equal (&a.pair[1].remote.addr, &p.addr));
  ck_assert_uint_eq (p.use_candidate_seen, 0);
  side_free (&a);
  vnet_free (net);
}
END_TEST

START_TEST (test_no_nomination_gives_up)
{
  /* Same peer without a=remote-candidates: nothing is ever nominated, so
   * the controlled agent gives up, boundedly, and says why. */
  vnet *net = make_net (59);
  side a;
  script_peer p;
  uint64_t now = 0;

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  ck_assert_int_eq (ice_agent_gather (a.agent, 0), 0);
  script_setup (&p, net, &a, "192.0.2.99", 7000, false);
  ck_assert (!run_with_script (&a, &p, &now, 30 * SEC));
  ck_assert (a.failed);
  ck_assert_uint_le (a.failed_at, 15 * SEC);
  ck_assert_uint_ge (p.requests_seen, 1);
  side_free (&a);
  vnet_free (net);
}
END_TEST

START_TEST (test_keepalive)
{
  /* With consent checks far apart, Binding indications keep the NAT
   * bindings alive every Tr = 15 s (RFC 8445 §11). */
  vnet *net = make_net (61);
  side a, b;
  uint64_t now = 0, t0;
  ice_agent_stats st;
  unsigned tx0;

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_remake (&a, slow_consent);
  side_host (&a, "192.0.2.10", 5000, 1);
  side_host (&b, "192.0.2.20", 6000, 1);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 10 * SEC, both_selected));
  ice_agent_stats_get (a.agent, &st);
  t0 = now;
  tx0 = a.n_tx;
  /* b goes silent (its consent checks would make a answer). What a sends
   * in 61 s: four keepalives (15, 30, 45, 60 s), nothing else. */
  vnet_unbind (net, &b.hosts[0]);
  run (&a, &b, &now, t0 + 61 * SEC, NULL);
  ck_assert_uint_eq (a.n_tx - tx0, 4);
  ck_assert_uint_eq (a.last_tx_type, 0x0011); /* Binding indication */
  ck_assert (!a.consent_lost);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_host_selection)
{
  /* Loopback and link-local addresses only when nothing else exists; the
   * interface filter; RFC 8421 priorities interleaving IPv6 and IPv4. */
  ice_agent_config cfg;
  ice_agent *ag;
  ice_cand c[8];
  ice_addr x;
  size_t n;

  ice_agent_config_default (&cfg);
  ag = ice_agent_new (&cfg);
  x = A ("127.0.0.1", 1000);
  ice_agent_add_host (ag, 1, "lo", &x);
  x = A ("169.254.1.1", 1000);
  ice_agent_add_host (ag, 1, "eth0", &x);
  x = A ("192.0.2.1", 1000);
  ice_agent_add_host (ag, 1, "eth0", &x);
  x = A ("2001:db8::1", 1000);
  ice_agent_add_host (ag, 1, "eth0", &x);
  x = A ("198.51.100.1", 1000);
  ice_agent_add_host (ag, 1, "wlan0", &x);
  ck_assert_int_eq (ice_agent_gather (ag, 0), 0);
  n = ice_agent_local_candidates (ag, c, 8);
  ck_assert_uint_eq (n, 3);
  ck_assert_int_eq (c[0].addr.family, AF_INET);
  ck_assert_int_eq (c[1].addr.family, AF_INET6);
  /* IPv6 first, then the IPv4 addresses interleaved in the given order. */
  ck_assert_uint_gt (c[1].priority, c[0].priority);
  ck_assert_uint_gt (c[0].priority, c[2].priority);
  ck_assert_uint_eq (c[1].priority >> 24, 126);
  ice_agent_free (ag);

  cfg.iface_filter = "wlan0,lo";
  ag = ice_agent_new (&cfg);
  x = A ("192.0.2.1", 1000);
  ice_agent_add_host (ag, 1, "eth0", &x);
  x = A ("198.51.100.1", 1000);
  ice_agent_add_host (ag, 1, "wlan0", &x);
  x = A ("127.0.0.1", 1000);
  ice_agent_add_host (ag, 1, "lo", &x);
  ck_assert_int_eq (ice_agent_gather (ag, 0), 0);
  n = ice_agent_local_candidates (ag, c, 8);
  ck_assert_uint_eq (n, 1);
  ck_assert (ice_addr_equal (&c[0].addr, &x) == false);
  ck_assert_uint_eq (c[0].addr.ip[0], 198);
  ice_agent_free (ag);

  /* Only loopback: then it is used. */
  cfg.iface_filter = NULL;
  ag = ice_agent_new (&cfg);
  x = A ("127.0.0.1", 1000);
  ice_agent_add_host (ag, 1, "lo", &x);
  ck_assert_int_eq (ice_agent_gather (ag, 0), 0);
  ck_assert_uint_eq (ice_agent_local_candidates (ag, c, 8), 1);
  ice_agent_free (ag);

  /* Nothing at all: failure with the reason. */
  ag = ice_agent_new (&cfg);
  ck_assert_int_eq (ice_agent_gather (ag, 0), 0);
  {
    ice_event ev;
    bool failed = false;
    while (ice_agent_poll_event (ag, &ev))
      if (ev.type == ICE_EVENT_FAILED)
        failed = ev.reason == ICE_FAIL_NO_LOCAL_CANDIDATES;
    ck_assert (failed);
  }
  ice_agent_free (ag);
}
END_TEST

START_TEST (test_hostile_packets)
{
  /* Garbage, truncated and forged STUN at a running agent: dropped and
   * counted, answered with 400/401 where RFC 8445 says so, never trusted. */
  vnet *net = make_net (67);
  side a, b;
  uint64_t now = 0;
  ice_agent_stats st0, st1;
  uint8_t buf[512];
  ice_stun_writer w;
  ice_addr evil = A ("203.0.113.66", 6666);
  ice_app_data app;
  ice_transmit t;
  unsigned seed = 77;
  int n, r;

  connect_pair (net, &a, &b, &now, NAT_OPEN, NAT_OPEN);
  ice_agent_stats_get (a.agent, &st0);
  /* A check with the right USERNAME but a wrong password. */
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_REQUEST, NULL);
  {
    char user[128];
    snprintf (user, sizeof user, "%s:%s", ice_agent_local_ufrag (a.agent),
              ice_agent_local_ufrag (b.agent));
    ice_stun_add_string (&w, ICE_STUN_ATTR_USERNAME, user);
  }
  ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, 1);
  ice_stun_add_u64 (&w, ICE_STUN_ATTR_ICE_CONTROLLING, ~0ull);
  ice_stun_add_empty (&w, ICE_STUN_ATTR_USE_CANDIDATE);
  ice_stun_add_integrity (&w, "not-the-password-at-all", 23);
  ice_stun_add_fingerprint (&w);
  n = ice_stun_writer_finish (&w);
  ck_assert_int_gt (n, 0);
  r = ice_agent_handle_packet (a.agent, now, &a.hosts[0], &evil, buf, (size_t) n, &app);
  ck_assert_int_eq (r, 0);
  /* Answered 401 without integrity; no role change, no new pair. */
  ck_assert (ice_agent_poll_transmit (a.agent, &t));
  ck_assert_uint_eq (t.data[0], 0x01);
  ck_assert_uint_eq (t.data[1], 0x11);
  ck_assert_int_eq (ice_agent_role (a.agent), ICE_ROLE_CONTROLLING);
  /* Every truncation of it, and random bytes with a STUN header. */
  for (int k = 0; k < n; k++)
    ice_agent_handle_packet (a.agent, now, &a.hosts[0], &evil, buf, (size_t) k, &app);
  for (int round = 0; round < 2000; round++)
    {
      uint8_t junk[128];
      size_t len = (size_t) (rand_r (&seed) % sizeof junk);
      for (size_t k = 0; k < len; k++)
        junk[k] = (uint8_t) rand_r (&seed);
      if (len >= 20 && round % 2)
        {
          /* Plausible header: type Binding request/response, cookie. */
          junk[0] = (uint8_t) (rand_r (&seed) & 1);
          junk[2] = (uint8_t) ((len - 20) >> 8);
          junk[3] = (uint8_t) ((len - 20) & 0xfc);
          junk[4] = 0x21, junk[5] = 0x12, junk[6] = 0xa4, junk[7] = 0x42;
        }
      r = ice_agent_handle_packet (a.agent, now, &a.hosts[0], &evil, junk, len, &app);
      /* Only bytes that cannot be STUN (RFC 7983) reach the application. */
      ck_assert (r != 1 || (len > 0 && junk[0] > 3));
    }
  while (ice_agent_poll_transmit (a.agent, &t))
    ;
  ice_agent_stats_get (a.agent, &st1);
  ck_assert_uint_gt (st1.dropped, st0.dropped);
  ck_assert_uint_eq (st1.pairs, st0.pairs);
  /* And the call is still up. */
  exchange_data (&a, &b, &now);
  ck_assert_uint_eq (a.n_selected, 1);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

/* Builds a check as a peer would, to a's host, and returns a's answer. */
static int
forged_check (side *a, const ice_addr *from, const char *peer_ufrag, uint16_t role_attr,
              uint64_t tie, ice_transmit *answer)
{
  uint8_t buf[256];
  ice_stun_writer w;
  ice_app_data app;
  char user[128];
  int n;

  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_REQUEST, NULL);
  snprintf (user, sizeof user, "%s:%s", ice_agent_local_ufrag (a->agent), peer_ufrag);
  ice_stun_add_string (&w, ICE_STUN_ATTR_USERNAME, user);
  ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, 1853824767u);
  ice_stun_add_u64 (&w, role_attr, tie);
  /* A request is signed with the password of the agent it goes to. */
  ice_stun_add_integrity (&w, ice_agent_local_pwd (a->agent), strlen (ice_agent_local_pwd (a->agent)));
  ice_stun_add_fingerprint (&w);
  n = ice_stun_writer_finish (&w);
  ck_assert_int_eq (ice_agent_handle_packet (a->agent, 0, &a->hosts[0], from, buf, (size_t) n, &app), 0);
  ck_assert (ice_agent_poll_transmit (a->agent, answer));
  return (int) (answer->data[0] << 8 | answer->data[1]);
}

START_TEST (test_role_conflict_paths)
{
  /* Each branch of RFC 8445 §7.3.1.1 and §7.2.5.1, one at a time. */
  vnet *net = make_net (71);
  side a;
  ice_transmit t;
  ice_stun_msg m;
  ice_addr peer = A ("192.0.2.99", 7000);
  const char *pu = "peer", *pp = "peerpasswordpeerpassword";
  int code;

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLING, 500, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  ck_assert_int_eq (ice_agent_gather (a.agent, 0), 0);
  ck_assert_int_eq (ice_agent_set_remote_credentials (a.agent, pu, pp), 0);
  pump (&a, 0);
  /* Both controlling, ours larger: 487, we stay controlling. */
  ck_assert_int_eq (forged_check (&a, &peer, pu, ICE_STUN_ATTR_ICE_CONTROLLING, 100, &t), 0x0111);
  ck_assert_int_eq (ice_stun_msg_parse (t.data, t.len, &m), 0);
  ck_assert_int_eq (ice_stun_msg_get_error (&m, &code, NULL, 0), 0);
  ck_assert_int_eq (code, 487);
  ck_assert_int_eq (ice_stun_msg_check_integrity (&m, ice_agent_local_pwd (a.agent),
                                                  strlen (ice_agent_local_pwd (a.agent))), 0);
  ck_assert_int_eq (ice_agent_role (a.agent), ICE_ROLE_CONTROLLING);
  /* Both controlling, theirs larger: we switch and answer with success. */
  ck_assert_int_eq (forged_check (&a, &peer, pu, ICE_STUN_ATTR_ICE_CONTROLLING, 1000, &t), 0x0101);
  ck_assert_int_eq (ice_agent_role (a.agent), ICE_ROLE_CONTROLLED);
  /* Both controlled, ours larger: we switch to controlling, success. */
  ck_assert_int_eq (forged_check (&a, &peer, pu, ICE_STUN_ATTR_ICE_CONTROLLED, 100, &t), 0x0101);
  ck_assert_int_eq (ice_agent_role (a.agent), ICE_ROLE_CONTROLLING);
  /* Now a 487 to one of our checks: we take the other role and check the
   * pair again, claiming the new role. */
  while (ice_agent_poll_transmit (a.agent, &t))
    ;
  ice_agent_handle_timeout (a.agent, 1 * SEC);
  ck_assert (ice_agent_poll_transmit (a.agent, &t));
  ck_assert_int_eq (ice_stun_msg_parse (t.data, t.len, &m), 0);
  ck_assert_int_eq (m.cls, ICE_STUN_CLASS_REQUEST);
  ck_assert (ice_stun_msg_has (&m, ICE_STUN_ATTR_ICE_CONTROLLING));
  {
    uint8_t buf[256];
    ice_stun_writer w;
    ice_app_data app;
    int n;
    ice_stun_writer_init_response (&w, buf, sizeof buf, &m, ICE_STUN_CLASS_ERROR);
    ice_stun_add_error (&w, 487, NULL);
    ice_stun_add_integrity (&w, pp, strlen (pp));
    ice_stun_add_fingerprint (&w);
    n = ice_stun_writer_finish (&w);
    ck_assert_int_eq (ice_agent_handle_packet (a.agent, 1 * SEC + 1000, &a.hosts[0], &t.remote, buf,
                                               (size_t) n, &app), 0);
  }
  ck_assert_int_eq (ice_agent_role (a.agent), ICE_ROLE_CONTROLLED);
  ice_agent_handle_timeout (a.agent, 2 * SEC);
  ck_assert (ice_agent_poll_transmit (a.agent, &t));
  ck_assert_int_eq (ice_stun_msg_parse (t.data, t.len, &m), 0);
  ck_assert (ice_stun_msg_has (&m, ICE_STUN_ATTR_ICE_CONTROLLED));
  side_free (&a);
  vnet_free (net);
}
END_TEST

START_TEST (test_dual_stack)
{
  /* IPv6 and IPv4 on both sides: both families work, and RFC 8421's
   * preference makes the IPv6 pair the selected one. */
  vnet *net = make_net (73);
  side a, b;
  uint64_t now = 0;

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  side_host (&a, "2001:db8::10", 5000, 1);
  side_host (&b, "192.0.2.20", 6000, 1);
  side_host (&b, "2001:db8::20", 6000, 1);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 10 * SEC, both_selected));
  ck_assert_int_eq (a.pair[1].local.addr.family, AF_INET6);
  ck_assert_int_eq (a.pair[1].remote.addr.family, AF_INET6);
  ck_assert_int_eq (b.pair[1].local.addr.family, AF_INET6);
  exchange_data (&a, &b, &now);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_close_releases_turn)
{
  /* Over a relay; closing sends the deallocation (Refresh, LIFETIME 0) to
   * the TURN server and the agent goes quiet. */
  vnet *net = make_net (79);
  side a, b;
  uint64_t now = 0;
  int ra = make_realm (net, NAT_SYMMETRIC, "198.51.100.1");
  int rb = make_realm (net, NAT_SYMMETRIC, "198.51.100.2");
  ice_transmit t;
  bool refresh = false;

  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, rb, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "10.1.0.10", 5000, 1);
  side_host (&b, "10.2.0.20", 6000, 1);
  add_servers (net, &a, true, "wonderland");
  add_servers (net, &b, false, NULL);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 15 * SEC, both_selected));
  ck_assert_int_eq (a.pair[1].local.type, ICE_CAND_RELAY);
  exchange_data (&a, &b, &now);
  ice_agent_close (a.agent, now);
  while (ice_agent_poll_transmit (a.agent, &t))
    if (t.len >= 2 && t.data[0] == 0x00 && t.data[1] == 0x04)
      refresh = true;
  ck_assert (refresh);
  ck_assert_int_eq (ice_agent_send (a.agent, now, 1, (const uint8_t *) "x", 1), -ENOTCONN);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_udp_blocked_turn_tcp)
{
  /* UDP blocked at our edge, TURN over TCP allowed: the relayed candidate
   * reached over the stream carries the call, and gathering does not wait
   * out its whole bound on UDP requests that nobody answers. */
  vnet *net = make_net (83);
  side a, b;
  uint64_t now = 0;
  int ra = make_realm (net, NAT_PORT_RESTRICTED, "198.51.100.1");
  ice_addr relay = A ("203.0.113.2", 3478);

  vnet_block_udp (net, ra, true);
  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "10.1.0.10", 5000, 1);
  side_host (&b, "192.0.2.20", 6000, 1);
  add_servers (net, &a, false, NULL);
  ck_assert_int_eq (ice_agent_add_turn_server_stream (a.agent, &relay, ICE_TRANSPORT_TCP, "alice",
                                                      "wonderland"), 0);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 20 * SEC, both_selected));
  ck_assert (a.gathered);
  ck_assert_uint_lt (a.gathered_at, 2 * SEC);
  {
    /* Known blocked, the relayed pair does not wait for direct ones. */
    ice_agent_stats st;
    ice_agent_stats_get (a.agent, &st);
    ck_assert (st.udp_blocked);
    ck_assert_uint_lt (now, a.gathered_at + SEC);
  }
  ck_assert_int_eq (a.pair[1].local.type, ICE_CAND_RELAY);
  ck_assert_int_eq (b.pair[1].remote.type == ICE_CAND_RELAY || b.pair[1].remote.type == ICE_CAND_PRFLX, 1);
  exchange_data (&a, &b, &now);
  /* Consent keeps flowing over the stream. */
  run (&a, &b, &now, now + 40 * SEC, NULL);
  ck_assert (!a.consent_lost && !b.consent_lost);
  ice_agent_close (a.agent, now);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

static bool
a_gathered (side *a, side *b)
{
  (void) b;
  return a->gathered;
}

/* UDP blocked, and a second TCP relay that never answers: once UDP is
 * given up on, gathering waits for that relay until its bound, without
 * its timer firing over and over in the meantime. */
START_TEST (test_udp_blocked_silent_relay)
{
  vnet *net = make_net (84);
  side a;
  uint64_t now = 0;
  int ra = make_realm (net, NAT_PORT_RESTRICTED, "198.51.100.1");
  ice_addr relay = A ("203.0.113.2", 3478), silent = A ("203.0.113.77", 3478);
  ice_agent_stats st;

  vnet_block_udp (net, ra, true);
  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  side_host (&a, "10.1.0.10", 5000, 1);
  add_servers (net, &a, false, NULL);
  ck_assert_int_eq (ice_agent_add_turn_server_stream (a.agent, &relay, ICE_TRANSPORT_TCP, "alice",
                                                      "wonderland"), 0);
  ck_assert_int_eq (ice_agent_add_turn_server_stream (a.agent, &silent, ICE_TRANSPORT_TCP, "alice",
                                                      "wonderland"), 0);
  ck_assert_int_eq (ice_agent_gather (a.agent, now), 0);
  ck_assert (run (&a, NULL, &now, 20 * SEC, a_gathered));
  ice_agent_stats_get (a.agent, &st);
  ck_assert (st.udp_blocked);
  ice_agent_close (a.agent, now);
  side_free (&a);
  vnet_free (net);
}
END_TEST

START_TEST (test_pair_limit)
{
  /* 12 x 12 addresses make 144 pairs: the check list keeps the 100 best
   * (RFC 8445 §6.1.2.5: the 44 dropped are those with either side's two
   * least preferred addresses) and finds the one working pair among them,
   * between the tenth addresses of each: a pair formed late on both sides
   * (candidates trickle in order), which a list kept in arrival order would
   * have dropped. */
  vnet *net = make_net (89);
  side a, b;
  uint64_t now = 0;
  ice_agent_stats st;
  char ip[32];
  size_t i;

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  for (i = 0; i < 12; i++)
    {
      snprintf (ip, sizeof ip, "192.0.2.%zu", 10 + i);
      side_host (&a, ip, 5000, 1);
      snprintf (ip, sizeof ip, "198.51.100.%zu", 10 + i);
      side_host (&b, ip, 6000, 1);
    }
  for (i = 0; i < 12; i++)
    {
      if (i != 9)
        vnet_unbind (net, &a.hosts[i]);
      if (i != 9)
        vnet_unbind (net, &b.hosts[i]);
    }
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 60 * SEC, both_selected));
  ck_assert (ice_addr_equal (&a.pair[1].local.addr, &a.hosts[9]));
  ck_assert (ice_addr_equal (&a.pair[1].remote.addr, &b.hosts[9]));
  ice_agent_stats_get (a.agent, &st);
  ck_assert_uint_le (st.pairs, 100);
  ice_agent_stats_get (b.agent, &st);
  ck_assert_uint_le (st.pairs, 100);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_aggressive_renomination)
{
  /* RFC 5245 aggressive nomination may nominate several pairs; the
   * controlled agent uses the highest-priority nominated one, moving to a
   * better pair when it gets nominated later. */
  vnet *net = make_net (97);
  side a;
  script_peer p;
  uint64_t now = 0;
  ice_addr low = A ("192.0.2.97", 7100), high = A ("192.0.2.96", 7200);

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  ck_assert_int_eq (ice_agent_gather (a.agent, 0), 0);
  script_setup (&p, net, &a, "192.0.2.98", 7000, true);
  ck_assert_int_eq (vnet_bind (net, 0, &low, script_recv, &p), 0);
  ck_assert_int_eq (vnet_bind (net, 0, &high, script_recv, &p), 0);
  p.addr = low;
  p.priority = 1000;
  ck_assert (run_with_script (&a, &p, &now, 5 * SEC));
  ck_assert (ice_addr_equal (&a.pair[1].remote.addr, &low));
  /* Now a better path, nominated as well. */
  p.addr = high;
  p.priority = 2000000000u;
  p.our_checks_answered = 0;
  p.next_check = now;
  p.want_selected = 2;
  ck_assert (run_with_script (&a, &p, &now, now + 5 * SEC));
  ck_assert (ice_addr_equal (&a.pair[1].remote.addr, &high));
  /* And a worse one nominated after that changes nothing. */
  p.addr = low;
  p.priority = 1000;
  p.our_checks_answered = 0;
  p.next_check = now;
  p.want_selected = 3;
  ck_assert (!run_with_script (&a, &p, &now, now + 3 * SEC));
  ck_assert (ice_addr_equal (&a.pair[1].remote.addr, &high));
  side_free (&a);
  vnet_free (net);
}
END_TEST

START_TEST (test_turn_only_gives_srflx)
{
  /* Only a TURN server configured: its Allocate answer's mapped address
   * serves as the server-reflexive candidate, so two cone NATs still meet
   * directly instead of through the relay. */
  vnet *net = make_net (101);
  side a, b;
  uint64_t now = 0;
  ice_addr relay = A ("203.0.113.2", 3478);
  int ra = make_realm (net, NAT_FULL_CONE, "198.51.100.1");
  int rb = make_realm (net, NAT_RESTRICTED, "198.51.100.2");

  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, rb, ICE_ROLE_CONTROLLED, 0, 1);
  side_host (&a, "10.1.0.10", 5000, 1);
  side_host (&b, "10.2.0.20", 6000, 1);
  ice_agent_add_turn_server (a.agent, &relay, "alice", "wonderland");
  ice_agent_add_turn_server (b.agent, &relay, "alice", "wonderland");
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 15 * SEC, both_selected));
  run (&a, &b, &now, now + 2 * SEC, NULL);
  ck_assert_uint_eq (a.n_cands, 3); /* host, relay, srflx */
  ck_assert (!pair_has (&a.pair[1], ICE_CAND_RELAY));
  ck_assert (pair_has (&a.pair[1], ICE_CAND_SRFLX));
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_connect_timeout)
{
  /* A trickling peer that never says end-of-candidates, and whose one
   * candidate is a black hole: the checks are bounded all the same. */
  vnet *net = make_net (103);
  side a;
  uint64_t now = 0;
  ice_cand c = { 0 };

  side_init (&a, "a", net, 0, ICE_ROLE_CONTROLLING, 0, 1);
  side_host (&a, "192.0.2.10", 5000, 1);
  ck_assert_int_eq (ice_agent_gather (a.agent, 0), 0);
  ck_assert_int_eq (ice_agent_set_remote_credentials (a.agent, "peer", "peerpasswordpeerpassword"), 0);
  strcpy (c.foundation, "1");
  c.component = 1;
  c.priority = 2130706431u;
  c.addr = A ("192.0.2.250", 9);
  ck_assert_int_eq (ice_agent_add_remote_candidate (a.agent, 0, &c), 0);
  ck_assert (run (&a, NULL, &now, 60 * SEC, a_failed));
  ck_assert_uint_eq (a.failed_at, 30 * SEC);
  ck_assert_int_eq (a.reason, ICE_FAIL_CHECKS_TIMED_OUT);
  ck_assert_int_eq (ice_agent_component_state (a.agent, 1), ICE_COMP_FAILED);
  side_free (&a);
  vnet_free (net);
}
END_TEST

/* b, public, sends to a, behind a cone NAT whose bindings last `timeout`
 * without outbound traffic, after a minute of silence but for a's
 * keepalives. Returns whether it got there. */
static bool
reaches_after_a_minute (uint64_t timeout)
{
  vnet *net = make_net (107);
  side a, b;
  uint64_t now = 0;
  int ra = make_realm (net, NAT_FULL_CONE, "198.51.100.1");
  unsigned before;
  bool got;

  vnet_set_mapping_timeout (net, ra, timeout);
  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLING, 0, 1);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLED, 0, 1);
  side_remake (&a, slow_consent);
  side_remake (&b, slow_consent);
  side_host (&a, "10.1.0.10", 5000, 1);
  side_host (&b, "192.0.2.20", 6000, 1);
  add_servers (net, &a, false, NULL);
  start (&a, &b, now);
  ck_assert (run (&a, &b, &now, 10 * SEC, both_selected));
  exchange_data (&a, &b, &now);
  run (&a, &b, &now, now + 60 * SEC, NULL);
  before = a.n_app;
  ck_assert_int_eq (ice_agent_send (b.agent, now, 1, (const uint8_t *) "\x80late", 5), 0);
  run (&a, &b, &now, now + SEC, NULL);
  got = a.n_app == before + 1;
  side_free (&a);
  side_free (&b);
  vnet_free (net);
  return got;
}

/* Gathered ahead, a waits a minute for its call behind a port-restricted
 * NAT whose bindings last 20 s without outbound traffic; then b calls.
 * The srflx candidate a gathered must still be where a is reached: b's
 * pair names it, not a peer-reflexive address of a new binding. */
START_TEST (test_standby_holds_bindings)
{
  vnet *net = make_net (109);
  side a, b;
  uint64_t now = 0;
  int ra = make_realm (net, NAT_PORT_RESTRICTED, "198.51.100.1");

  vnet_set_mapping_timeout (net, ra, 20 * SEC);
  side_init (&a, "a", net, ra, ICE_ROLE_CONTROLLED, 0, 1);
  side_init (&b, "b", net, 0, ICE_ROLE_CONTROLLING, 0, 1);
  side_host (&a, "10.1.0.10", 5000, 1);
  side_host (&b, "192.0.2.20", 6000, 1);
  add_servers (net, &a, true, "wonderland");
  a.hold_signal = true;
  ck_assert_int_eq (ice_agent_gather (a.agent, now), 0);
  run (&a, NULL, &now, 60 * SEC, NULL);
  ck_assert (a.gathered);
  exchange_credentials (&a, &b);
  ck_assert_int_eq (ice_agent_gather (b.agent, now), 0);
  release_signal (&a, now);
  ck_assert (run (&a, &b, &now, now + 10 * SEC, both_selected));
  ck_assert_int_eq (b.pair[1].remote.type, ICE_CAND_SRFLX);
  side_free (&a);
  side_free (&b);
  vnet_free (net);
}
END_TEST

START_TEST (test_keepalive_holds_nat_binding)
{
  /* Keepalives every 15 s hold a binding that lasts 20 s; one that lasts
   * 10 s expires between them (the model's NAT really forgets). */
  ck_assert (reaches_after_a_minute (20 * SEC));
  ck_assert (!reaches_after_a_minute (10 * SEC));
}
END_TEST

/* One TCase per test so that CK_RUN_CASE=<test name> runs just one. */
#define ADD(fn)                                                                                    \
  do                                                                                               \
    {                                                                                              \
      TCase *one = tcase_create (#fn);                                                              \
      tcase_set_timeout (one, 60);                                                                 \
      tcase_add_test (one, fn);                                                                    \
      suite_add_tcase (s, one);                                                                    \
    }                                                                                              \
  while (0)

static Suite *
agent_suite (void)
{
  Suite *s = suite_create ("ice-agent");
  TCase *tc = tcase_create ("test_nat_matrix");

  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_nat_matrix, 0, NAT_KINDS * NAT_KINDS);
  suite_add_tcase (s, tc);
  ADD (test_nominate_when_better_pairs_overdue);
  ADD (test_role_set_after_gathering);
  ADD (test_role_conflict_both_controlling);
  ADD (test_role_conflict_both_controlled);
  ADD (test_lite_peer);
  ADD (test_aggressive_rfc5245_peer);
  ADD (test_restart);
  ADD (test_consent_loss);
  ADD (test_loss_on_path);
  ADD (test_ten_interfaces);
  ADD (test_turn_refused_direct_works);
  ADD (test_relay_only);
  ADD (test_turn_refused_no_path);
  ADD (test_udp_blocked);
  ADD (test_two_components);
  ADD (test_rtcp_mux);
  ADD (test_deterministic);
  ADD (test_late_signalling);
  ADD (test_remote_candidates);
  ADD (test_no_nomination_gives_up);
  ADD (test_keepalive);
  ADD (test_host_selection);
  ADD (test_hostile_packets);
  ADD (test_role_conflict_paths);
  ADD (test_dual_stack);
  ADD (test_close_releases_turn);
  ADD (test_udp_blocked_turn_tcp);
  ADD (test_udp_blocked_silent_relay);
  ADD (test_pair_limit);
  ADD (test_aggressive_renomination);
  ADD (test_turn_only_gives_srflx);
  ADD (test_connect_timeout);
  ADD (test_keepalive_holds_nat_binding);
  ADD (test_standby_holds_bindings);
  return s;
}

int
main (void)
{
  return floe_check_run (agent_suite ());
}
