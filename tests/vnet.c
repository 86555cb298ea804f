/* The virtual network of vnet.h: sockets in realms, NATs between a realm
 * and the internet, a time-ordered delivery queue, and STUN/TURN servers. */
#include "vnet.h"

#include "ice/stun-msg.h"
#include "ice/turn-client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SOCKS 256
#define MAX_NATS 8
#define MAX_MAPPINGS 512
#define MAX_ALLOCS 32
#define MAX_PEERS 32
#define PKT_MAX 2048

typedef struct
{
  int realm;
  ice_addr addr;
  vnet_recv_fn fn;
  void *ctx;
  bool bound;
} sock;

typedef struct
{
  ice_addr inside;     /* private source */
  ice_addr dest;       /* the key part the mapping behaviour looks at */
  ice_addr outside;    /* public address and port */
  uint64_t last_out;   /* outbound traffic refreshes the binding (REQ-6) */
  bool expired;
  size_t n_sent;
  ice_addr sent_to[MAX_PEERS]; /* for filtering */
} mapping;

typedef struct
{
  ice_addr public_ip;
  vnet_behaviour map, filter;
  bool udp_blocked;
  uint64_t timeout_us; /* mapping lifetime without outbound traffic; 0: forever */
  uint16_t next_port;
  size_t n_maps;
  mapping maps[MAX_MAPPINGS];
} nat;

typedef struct pkt
{
  uint64_t at;
  uint64_t seq;
  int sock;
  ice_addr from;
  bool stream;
  size_t len;
  uint8_t data[PKT_MAX];
  struct pkt *next;
} pkt;

typedef struct turn_server turn_server;

typedef struct
{
  turn_server *srv;
  bool used;
  bool stream; /* the client came over TCP: answers and data go back on it */
  ice_addr client;
  ice_addr relay;
  size_t n_perms;
  ice_addr perms[MAX_PEERS];
  size_t n_chans;
  uint16_t chan_num[MAX_PEERS];
  ice_addr chan_peer[MAX_PEERS];
} turn_alloc;

struct turn_server
{
  vnet *net;
  ice_addr addr;
  char username[64];
  char password[64];
  ice_addr relay_ip;
  uint16_t next_port;
  uint8_t key[ICE_STUN_KEY_MD5_LEN];
  turn_alloc allocs[MAX_ALLOCS];
};

struct vnet
{
  uint64_t seq;
  uint32_t rng;
  unsigned loss;
  uint64_t lan_us, wan_us;
  size_t n_socks;
  sock socks[MAX_SOCKS];
  size_t n_nats;
  nat nats[MAX_NATS];
  pkt *queue; /* sorted by (at, seq) */
  vnet_stats stats;
  size_t n_servers;
  void *servers[8];
};

static const char REALM[] = "vnet.example";
static const char NONCE[] = "0123456789abcdef";

vnet *
vnet_new (uint32_t seed)
{
  vnet *n = calloc (1, sizeof *n);

  n->rng = seed ? seed : 1;
  n->lan_us = 2000;
  n->wan_us = 20000;
  return n;
}

void
vnet_free (vnet *n)
{
  size_t i;

  while (n->queue)
    {
      pkt *p = n->queue;
      n->queue = p->next;
      free (p);
    }
  for (i = 0; i < n->n_servers; i++)
    free (n->servers[i]);
  free (n);
}

int
vnet_add_nat (vnet *n, const char *public_ip, vnet_behaviour mapping_b, vnet_behaviour filtering)
{
  nat *t;

  if (n->n_nats == MAX_NATS)
    return -1;
  t = &n->nats[n->n_nats++];
  memset (t, 0, sizeof *t);
  ice_addr_set (&t->public_ip, public_ip, 0);
  t->map = mapping_b;
  t->filter = filtering;
  t->next_port = 40000;
  return (int) n->n_nats; /* realm id: 1-based */
}

void
vnet_block_udp (vnet *n, int realm, bool blocked)
{
  if (realm >= 1 && (size_t) realm <= n->n_nats)
    n->nats[realm - 1].udp_blocked = blocked;
}

void
vnet_set_mapping_timeout (vnet *n, int realm, uint64_t us)
{
  if (realm >= 1 && (size_t) realm <= n->n_nats)
    n->nats[realm - 1].timeout_us = us;
}

void
vnet_set_loss (vnet *n, unsigned per_mille)
{
  n->loss = per_mille;
}

void
vnet_set_latency (vnet *n, uint64_t lan_us, uint64_t wan_us)
{
  n->lan_us = lan_us;
  n->wan_us = wan_us;
}

static int
find_sock (const vnet *n, const ice_addr *addr)
{
  size_t i;

  for (i = 0; i < n->n_socks; i++)
    if (n->socks[i].bound && ice_addr_equal (&n->socks[i].addr, addr))
      return (int) i;
  return -1;
}

int
vnet_bind (vnet *n, int realm, const ice_addr *addr, vnet_recv_fn fn, void *ctx)
{
  sock *s;

  if (find_sock (n, addr) >= 0 || n->n_socks == MAX_SOCKS)
    return -1;
  s = &n->socks[n->n_socks++];
  s->realm = realm;
  s->addr = *addr;
  s->fn = fn;
  s->ctx = ctx;
  s->bound = true;
  return 0;
}

void
vnet_unbind (vnet *n, const ice_addr *addr)
{
  int s = find_sock (n, addr);

  if (s >= 0)
    n->socks[s].bound = false;
}

static uint32_t
rng_next (vnet *n)
{
  /* xorshift32: deterministic for a seed. */
  uint32_t x = n->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  n->rng = x;
  return x;
}

static void
enqueue (vnet *n, uint64_t at, int s, const ice_addr *from, const uint8_t *data, size_t len,
         bool stream)
{
  pkt *p, **pp;

  if (len > PKT_MAX)
    return;
  p = malloc (sizeof *p);
  p->at = at;
  p->seq = n->seq++;
  p->sock = s;
  p->from = *from;
  p->stream = stream;
  p->len = len;
  memcpy (p->data, data, len);
  for (pp = &n->queue; *pp && ((*pp)->at < at || ((*pp)->at == at && (*pp)->seq < p->seq));
       pp = &(*pp)->next)
    ;
  p->next = *pp;
  *pp = p;
}

/* The part of the destination a mapping or filter of this behaviour looks
 * at: nothing, the IP, or IP and port. */
static bool
behaviour_match (vnet_behaviour b, const ice_addr *x, const ice_addr *y)
{
  switch (b)
    {
    case VNET_EI:
      return true;
    case VNET_AD:
      return ice_addr_equal_ip (x, y);
    case VNET_APD:
    default:
      return ice_addr_equal (x, y);
    }
}

/* A binding idle (no outbound traffic) longer than the NAT's timeout is
 * gone; a stream's binding lives as long as its connection. */
static bool
mapping_alive (const nat *t, mapping *m, uint64_t now, bool stream)
{
  if (!m->expired && !stream && t->timeout_us && now > m->last_out + t->timeout_us)
    m->expired = true;
  return !m->expired;
}

static mapping *
nat_outbound (nat *t, uint64_t now, const ice_addr *src, const ice_addr *dst, bool stream)
{
  mapping *m;
  size_t i;

  for (i = 0; i < t->n_maps; i++)
    {
      m = &t->maps[i];
      if (ice_addr_equal (&m->inside, src) && behaviour_match (t->map, &m->dest, dst)
          && mapping_alive (t, m, now, stream))
        goto found;
    }
  if (t->n_maps == MAX_MAPPINGS)
    return NULL;
  m = &t->maps[t->n_maps++];
  memset (m, 0, sizeof *m);
  m->inside = *src;
  m->dest = *dst;
  m->outside = t->public_ip;
  m->outside.port = t->next_port++;
found:
  m->last_out = now;
  for (i = 0; i < m->n_sent; i++)
    if (ice_addr_equal (&m->sent_to[i], dst))
      return m;
  if (m->n_sent < MAX_PEERS)
    m->sent_to[m->n_sent++] = *dst;
  return m;
}

static mapping *
nat_inbound (nat *t, uint64_t now, const ice_addr *from, const ice_addr *dst, bool stream)
{
  size_t i, k;

  for (i = 0; i < t->n_maps; i++)
    {
      mapping *m = &t->maps[i];
      if (!ice_addr_equal (&m->outside, dst) || !mapping_alive (t, m, now, stream))
        continue;
      for (k = 0; k < m->n_sent; k++)
        if (behaviour_match (stream ? VNET_APD : t->filter, &m->sent_to[k], from))
          return m;
      return NULL; /* filtered */
    }
  return NULL;
}

static int
nat_by_public_ip (const vnet *n, const ice_addr *ip)
{
  size_t i;

  for (i = 0; i < n->n_nats; i++)
    if (ice_addr_equal_ip (&n->nats[i].public_ip, ip))
      return (int) i + 1;
  return 0;
}

/* Carries one datagram (or stream frame) from the socket at from to `to`:
 * within a realm, or out through its NAT, across the internet, and in
 * through the destination's NAT. */
static void
route (vnet *n, uint64_t now, const ice_addr *from, const ice_addr *to, const uint8_t *data,
       size_t len, bool stream)
{
  int s = find_sock (n, from), d, realm;
  ice_addr src;
  uint64_t at = now;

  n->stats.sent++;
  if (s < 0)
    {
      n->stats.unroutable++;
      return;
    }
  realm = n->socks[s].realm;
  src = *from;
  d = find_sock (n, to);
  /* Same LAN: straight there. */
  if (d >= 0 && n->socks[d].realm == realm)
    {
      n->stats.delivered++;
      enqueue (n, now + n->lan_us, d, &src, data, len, stream);
      return;
    }
  if (realm != 0)
    {
      nat *t = &n->nats[realm - 1];
      mapping *m;
      if (t->udp_blocked && !stream)
        {
          n->stats.filtered++;
          return;
        }
      m = nat_outbound (t, now, &src, to, stream);
      if (m == NULL)
        {
          n->stats.unroutable++;
          return;
        }
      src = m->outside;
      at += n->lan_us;
    }
  /* On the internet, where datagrams (not streams) get lost. */
  if (!stream && n->loss && rng_next (n) % 1000 < n->loss)
    {
      n->stats.lost++;
      return;
    }
  at += n->wan_us;
  {
    int r = nat_by_public_ip (n, to);
    if (r > 0)
      {
        nat *t = &n->nats[r - 1];
        mapping *m = (t->udp_blocked && !stream) ? NULL : nat_inbound (t, now, &src, to, stream);
        if (m == NULL)
          {
            n->stats.filtered++;
            return;
          }
        d = find_sock (n, &m->inside);
        at += n->lan_us;
      }
    else if (d >= 0 && n->socks[d].realm != 0)
      d = -1; /* a private address is not reachable from outside */
  }
  if (d < 0)
    {
      n->stats.unroutable++;
      return;
    }
  n->stats.delivered++;
  enqueue (n, at, d, &src, data, len, stream);
}

void
vnet_send (vnet *n, uint64_t now, const ice_addr *from, const ice_addr *to, const uint8_t *data,
           size_t len)
{
  route (n, now, from, to, data, len, false);
}

void
vnet_stream_send (vnet *n, uint64_t now, const ice_addr *from, const ice_addr *to,
                  const uint8_t *data, size_t len)
{
  route (n, now, from, to, data, len, true);
}

uint64_t
vnet_next (const vnet *n)
{
  return n->queue ? n->queue->at : UINT64_MAX;
}

void
vnet_run (vnet *n, uint64_t now)
{
  while (n->queue && n->queue->at <= now)
    {
      pkt *p = n->queue;
      sock *s;
      n->queue = p->next;
      s = &n->socks[p->sock];
      if (s->bound)
        s->fn (s->ctx, p->at, &s->addr, &p->from, p->data, p->len, p->stream);
      free (p);
    }
}

void
vnet_stats_get (const vnet *n, vnet_stats *out)
{
  *out = n->stats;
}

/* ------------------------------------------------------------- STUN server */

typedef struct
{
  vnet *net;
  ice_addr addr;
} stun_server;

static void
stun_recv (void *ctx, uint64_t now, const ice_addr *local, const ice_addr *from,
           const uint8_t *data, size_t len, bool stream)
{
  stun_server *s = ctx;
  ice_stun_msg msg;
  ice_stun_writer w;
  uint8_t buf[128];
  int n;

  if (ice_stun_msg_parse (data, len, &msg) < 0 || msg.cls != ICE_STUN_CLASS_REQUEST
      || msg.method != ICE_STUN_METHOD_BINDING)
    return;
  ice_stun_writer_init_response (&w, buf, sizeof buf, &msg, ICE_STUN_CLASS_SUCCESS);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, from);
  ice_stun_add_fingerprint (&w);
  n = ice_stun_writer_finish (&w);
  if (n > 0)
    route (s->net, now, local, from, buf, (size_t) n, stream);
}

int
vnet_add_stun_server (vnet *n, const ice_addr *addr)
{
  stun_server *s;

  if (n->n_servers == 8)
    return -1;
  s = calloc (1, sizeof *s);
  s->net = n;
  s->addr = *addr;
  n->servers[n->n_servers++] = s;
  return vnet_bind (n, 0, addr, stun_recv, s);
}

/* ------------------------------------------------------------- TURN server */

static turn_alloc *
alloc_for_client (turn_server *t, const ice_addr *client)
{
  size_t i;

  for (i = 0; i < MAX_ALLOCS; i++)
    if (t->allocs[i].used && ice_addr_equal (&t->allocs[i].client, client))
      return &t->allocs[i];
  return NULL;
}

static bool
permitted (const turn_alloc *al, const ice_addr *peer)
{
  size_t i;

  for (i = 0; i < al->n_perms; i++)
    if (ice_addr_equal_ip (&al->perms[i], peer))
      return true;
  return false;
}

static void
add_perm (turn_alloc *al, const ice_addr *peer)
{
  if (!permitted (al, peer) && al->n_perms < MAX_PEERS)
    al->perms[al->n_perms++] = *peer;
}

/* Data from a peer to a relayed address: to the client as ChannelData
 * when a channel is bound, else a Data indication. */
static void
relay_recv (void *ctx, uint64_t now, const ice_addr *local, const ice_addr *from,
            const uint8_t *data, size_t len, bool stream)
{
  turn_alloc *al = ctx;
  turn_server *t = al->srv;
  uint8_t buf[PKT_MAX];
  ice_stun_writer w;
  size_t i;
  int n = -1;

  if (!al->used || !permitted (al, from))
    {
      t->net->stats.filtered++;
      return;
    }
  for (i = 0; i < al->n_chans; i++)
    if (ice_addr_equal (&al->chan_peer[i], from))
      n = ice_turn_channel_data_write (al->chan_num[i], data, len, al->stream, buf, sizeof buf);
  if (n < 0)
    {
      ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_DATA, ICE_STUN_CLASS_INDICATION,
                            NULL);
      ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_PEER_ADDRESS, from);
      ice_stun_add_bytes (&w, ICE_STUN_ATTR_DATA, data, len);
      n = ice_stun_writer_finish (&w);
    }
  if (n > 0)
    {
      t->net->stats.relayed++;
      route (t->net, now, &t->addr, &al->client, buf, (size_t) n, al->stream);
    }
  (void) stream;
}

static void
turn_reply (turn_server *t, uint64_t now, const ice_addr *to, ice_stun_writer *w, bool sign,
            bool stream)
{
  int n;

  if (sign)
    ice_stun_add_integrity (w, t->key, sizeof t->key);
  ice_stun_add_fingerprint (w);
  n = ice_stun_writer_finish (w);
  if (n > 0)
    route (t->net, now, &t->addr, to, w->buf, (size_t) n, stream);
}

static void
turn_error (turn_server *t, uint64_t now, const ice_addr *to, const ice_stun_msg *req, int code,
            bool stream)
{
  uint8_t buf[256];
  ice_stun_writer w;

  ice_stun_writer_init_response (&w, buf, sizeof buf, req, ICE_STUN_CLASS_ERROR);
  ice_stun_add_error (&w, code, NULL);
  if (code == 401)
    {
      ice_stun_add_string (&w, ICE_STUN_ATTR_REALM, REALM);
      ice_stun_add_string (&w, ICE_STUN_ATTR_NONCE, NONCE);
    }
  turn_reply (t, now, to, &w, code != 401 && code != 400, stream);
}

/* Long-term credential check (RFC 8489 §9.2). */
static bool
turn_auth (turn_server *t, const ice_stun_msg *m)
{
  char user[128], realm[128], nonce[128];

  return ice_stun_msg_get_string (m, ICE_STUN_ATTR_USERNAME, user, sizeof user) >= 0
         && ice_stun_msg_get_string (m, ICE_STUN_ATTR_REALM, realm, sizeof realm) >= 0
         && ice_stun_msg_get_string (m, ICE_STUN_ATTR_NONCE, nonce, sizeof nonce) >= 0
         && strcmp (user, t->username) == 0 && strcmp (realm, REALM) == 0
         && strcmp (nonce, NONCE) == 0
         && ice_stun_msg_check_integrity (m, t->key, sizeof t->key) == 0;
}

static void
turn_recv (void *ctx, uint64_t now, const ice_addr *local, const ice_addr *from,
           const uint8_t *data, size_t len, bool stream)
{
  turn_server *t = ctx;
  turn_alloc *al = alloc_for_client (t, from);
  uint8_t buf[256];
  ice_stun_writer w;
  ice_stun_msg m;
  ice_addr peer;
  size_t i;

  if (len >= 4 && data[0] >= 0x40 && data[0] <= 0x7f)
    {
      uint16_t ch;
      const uint8_t *payload;
      size_t plen;
      if (al == NULL || ice_turn_channel_data_parse (data, len, &ch, &payload, &plen) < 0)
        return;
      for (i = 0; i < al->n_chans; i++)
        if (al->chan_num[i] == ch)
          {
            t->net->stats.relayed++;
            vnet_send (t->net, now, &al->relay, &al->chan_peer[i], payload, plen);
          }
      return;
    }
  if (ice_stun_msg_parse (data, len, &m) < 0)
    return;
  if (m.cls == ICE_STUN_CLASS_INDICATION && m.method == ICE_STUN_METHOD_SEND)
    {
      const uint8_t *payload;
      size_t plen;
      if (al && ice_stun_msg_get_xor_addr (&m, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &peer) == 0
          && ice_stun_msg_get_bytes (&m, ICE_STUN_ATTR_DATA, &payload, &plen) == 0
          && permitted (al, &peer))
        {
          t->net->stats.relayed++;
          vnet_send (t->net, now, &al->relay, &peer, payload, plen);
        }
      return;
    }
  if (m.cls != ICE_STUN_CLASS_REQUEST)
    return;
  if (!turn_auth (t, &m))
    {
      turn_error (t, now, from, &m, 401, stream);
      return;
    }
  ice_stun_writer_init_response (&w, buf, sizeof buf, &m, ICE_STUN_CLASS_SUCCESS);
  switch (m.method)
    {
    case ICE_STUN_METHOD_ALLOCATE:
      if (al)
        {
          turn_error (t, now, from, &m, 437, stream);
          return;
        }
      for (i = 0; i < MAX_ALLOCS && t->allocs[i].used; i++)
        ;
      if (i == MAX_ALLOCS)
        {
          turn_error (t, now, from, &m, 486, stream);
          return;
        }
      al = &t->allocs[i];
      memset (al, 0, sizeof *al);
      al->srv = t;
      al->used = true;
      al->stream = stream;
      al->client = *from;
      al->relay = t->relay_ip;
      al->relay.port = t->next_port++;
      vnet_bind (t->net, 0, &al->relay, relay_recv, al);
      t->net->stats.allocations++;
      ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_RELAYED_ADDRESS, &al->relay);
      ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, from);
      ice_stun_add_u32 (&w, ICE_STUN_ATTR_LIFETIME, 600);
      break;
    case ICE_STUN_METHOD_REFRESH:
      {
        uint32_t life = 600;
        if (al == NULL)
          {
            turn_error (t, now, from, &m, 437, stream);
            return;
          }
        ice_stun_msg_get_u32 (&m, ICE_STUN_ATTR_LIFETIME, &life);
        if (life == 0)
          {
            vnet_unbind (t->net, &al->relay);
            al->used = false;
            t->net->stats.allocations--;
          }
        ice_stun_add_u32 (&w, ICE_STUN_ATTR_LIFETIME, life);
        break;
      }
    case ICE_STUN_METHOD_CREATE_PERMISSION:
      if (al == NULL || ice_stun_msg_get_xor_addr (&m, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &peer) < 0)
        {
          turn_error (t, now, from, &m, al ? 400 : 437, stream);
          return;
        }
      for (i = 0; i < m.n_attrs; i++)
        if (m.attrs[i].type == ICE_STUN_ATTR_XOR_PEER_ADDRESS)
          {
            ice_stun_msg one = m;
            one.n_attrs = 1;
            one.attrs[0] = m.attrs[i];
            if (ice_stun_msg_get_xor_addr (&one, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &peer) == 0)
              add_perm (al, &peer);
          }
      break;
    case ICE_STUN_METHOD_CHANNEL_BIND:
      {
        uint16_t ch;
        if (al == NULL || ice_stun_msg_get_channel_number (&m, &ch) < 0
            || ice_stun_msg_get_xor_addr (&m, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &peer) < 0
            || al->n_chans == MAX_PEERS)
          {
            turn_error (t, now, from, &m, 400, stream);
            return;
          }
        for (i = 0; i < al->n_chans; i++)
          if (al->chan_num[i] == ch && !ice_addr_equal (&al->chan_peer[i], &peer))
            {
              turn_error (t, now, from, &m, 400, stream);
              return;
            }
        if (i == al->n_chans)
          {
            al->chan_num[al->n_chans] = ch;
            al->chan_peer[al->n_chans++] = peer;
          }
        add_perm (al, &peer);
        break;
      }
    default:
      turn_error (t, now, from, &m, 400, stream);
      return;
    }
  turn_reply (t, now, from, &w, true, stream);
  (void) local;
}

int
vnet_add_turn_server (vnet *n, const ice_addr *addr, const char *username, const char *password,
                      const char *relay_ip)
{
  turn_server *t;

  if (n->n_servers == 8 || strlen (username) >= sizeof t->username
      || strlen (password) >= sizeof t->password)
    return -1;
  t = calloc (1, sizeof *t);
  t->net = n;
  t->addr = *addr;
  strcpy (t->username, username);
  strcpy (t->password, password);
  ice_addr_set (&t->relay_ip, relay_ip, 0);
  t->next_port = 49152;
  ice_stun_key_long_term_md5 (username, REALM, password, t->key);
  n->servers[n->n_servers++] = t;
  return vnet_bind (n, 0, addr, turn_recv, t);
}
