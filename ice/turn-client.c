/* TURN client state machine: the allocation with its long-term credential
 * challenge, refreshes, permissions, channels, and data framing. */
#include "turn-client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "stun-msg.h"
#include "stun-txn.h"

#define US_PER_S UINT64_C (1000000)

/* RFC 8656: permissions live 300 s, channels 600 s.  Refresh well before
 * so that a lost refresh on UDP still has time for its retransmissions. */
#define PERMISSION_REFRESH_S 240
#define CHANNEL_REFRESH_S 540
/* Allocation refresh this long before expiry (halved for short ones). */
#define ALLOCATION_MARGIN_S 60
#define DEFAULT_LIFETIME_S 600

#define MAX_PERMISSIONS 32
#define MAX_CHANNELS 32
#define MAX_EVENTS 32
/* 438 and re-challenges in a row before we give up on a request. */
#define MAX_AUTH_RETRIES 3

#define MAX_REALM 764
#define MAX_NONCE 764
#define MAX_USERNAME 514
/* Username, realm and nonce at their maximum plus the rest. */
#define MAX_REQUEST 2400

typedef enum
{
  REQ_ALLOCATE = 1,
  REQ_REFRESH,
  REQ_PERMISSION,
  REQ_CHANNEL,
} request_kind;

typedef enum
{
  ENTRY_FREE,
  ENTRY_WAITING, /* asked for while ALLOCATING: send once allocated */
  ENTRY_PENDING, /* first request in flight */
  ENTRY_ACTIVE,
} entry_state;

typedef struct
{
  entry_state state;
  ice_addr peer;       /* permissions: port 0 */
  uint16_t channel;    /* channels only */
  bool in_flight;
  uint64_t refresh_at; /* UINT64_MAX while in flight or not active */
} entry;

struct ice_turn_client
{
  ice_turn_config cfg; /* string fields point at the copies below */
  char username[MAX_USERNAME];
  char *password;
  char software[128];
  bool reliable;

  ice_turn_state state;
  ice_stun_txns *txns;

  /* Credentials learned from the 401 challenge. */
  bool have_credentials;
  char realm[MAX_REALM];
  char nonce[MAX_NONCE];
  uint16_t password_alg;
  uint8_t pw_algs_raw[64]; /* PASSWORD-ALGORITHMS, echoed back verbatim */
  size_t pw_algs_len;
  uint8_t key[ICE_STUN_KEY_SHA256_LEN];
  size_t keylen;

  ice_addr relayed;
  ice_addr mapped;
  uint32_t lifetime_s;
  uint64_t refresh_at;
  uint64_t expires_at;
  bool refresh_in_flight;
  bool close_requested;

  entry perms[MAX_PERMISSIONS];
  entry chans[MAX_CHANNELS];
  uint16_t next_channel;

  ice_turn_event events[MAX_EVENTS];
  size_t ev_head, ev_count;

  uint8_t out[MAX_REQUEST];
  ice_turn_stats stats;
};

/* ------------------------------------------------------------ words */

const char *
ice_turn_error_meaning (int code)
{
  switch (code)
    {
    case ICE_TURN_ERR_TIMEOUT:
      return "The TURN server did not answer.";
    case ICE_TURN_ERR_PROTOCOL:
      return "The TURN server sent an answer that could not be used.";
    case ICE_TURN_ERR_CONNECTION:
      return "The connection to the TURN server was lost.";
    case 300:
      return "The TURN server redirects to an alternate server.";
    case 400:
      return "The TURN server found the request malformed.";
    case 401:
      return "The TURN server rejected the username or password.";
    case 403:
      return "The TURN server forbids this request (policy or peer address).";
    case 420:
      return "The TURN server does not understand a required attribute.";
    case 437:
      return "Allocation mismatch: the server has no allocation for this "
             "connection, or already has one.";
    case 438:
      return "The TURN server kept rejecting the nonce as stale.";
    case 440:
      return "The TURN server does not support the requested address family.";
    case 441:
      return "Wrong credentials: they differ from those that made the "
             "allocation.";
    case 442:
      return "The TURN server does not support the requested transport.";
    case 443:
      return "The peer address family does not match the relay's.";
    case 486:
      return "The TURN account has reached its allocation quota.";
    case 500:
      return "The TURN server had an internal error.";
    case 508:
      return "The TURN server is out of capacity.";
    default:
      return "The TURN server refused the request.";
    }
}

const char *
ice_turn_event_name (ice_turn_event_type type)
{
  switch (type)
    {
    case ICE_TURN_EVENT_ALLOCATED:
      return "allocated";
    case ICE_TURN_EVENT_REFRESHED:
      return "refreshed";
    case ICE_TURN_EVENT_ALTERNATE_SERVER:
      return "alternate-server";
    case ICE_TURN_EVENT_FAILED:
      return "failed";
    case ICE_TURN_EVENT_PERMISSION_CREATED:
      return "permission-created";
    case ICE_TURN_EVENT_PERMISSION_FAILED:
      return "permission-failed";
    case ICE_TURN_EVENT_CHANNEL_BOUND:
      return "channel-bound";
    case ICE_TURN_EVENT_CHANNEL_FAILED:
      return "channel-failed";
    case ICE_TURN_EVENT_CLOSED:
      return "closed";
    }
  return "unknown";
}

/* ----------------------------------------------------------- events */

static ice_turn_event *
push_event (ice_turn_client *c, ice_turn_event_type type)
{
  if (c->ev_count == MAX_EVENTS)
    {
      /* A caller that never drains loses the oldest news first. */
      c->ev_head = (c->ev_head + 1) % MAX_EVENTS;
      c->ev_count--;
    }
  ice_turn_event *e = &c->events[(c->ev_head + c->ev_count) % MAX_EVENTS];
  c->ev_count++;
  memset (e, 0, sizeof *e);
  e->type = type;
  return e;
}

static void
push_error (ice_turn_client *c, ice_turn_event_type type, int code)
{
  ice_turn_event *e = push_event (c, type);
  e->error_code = code;
  e->reason = ice_turn_error_meaning (code);
}

bool
ice_turn_client_poll_event (ice_turn_client *c, ice_turn_event *out)
{
  if (c->ev_count == 0)
    return false;
  *out = c->events[c->ev_head];
  c->ev_head = (c->ev_head + 1) % MAX_EVENTS;
  c->ev_count--;
  return true;
}

/* ------------------------------------------------------ construction */

ice_turn_client *
ice_turn_client_new (const ice_turn_config *cfg)
{
  if (cfg == NULL || cfg->username == NULL || cfg->password == NULL
      || cfg->server.family == 0
      || strlen (cfg->username) >= MAX_USERNAME
      || (cfg->software && strlen (cfg->software) >= 128))
    return NULL;
  int family = cfg->relay_family ? cfg->relay_family : AF_INET;
  if (family != AF_INET && family != AF_INET6)
    return NULL;

  ice_turn_client *c = calloc (1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->cfg = *cfg;
  c->cfg.relay_family = family;
  strcpy (c->username, cfg->username);
  c->cfg.username = c->username;
  c->password = strdup (cfg->password);
  c->cfg.password = NULL; /* only c->password holds it */
  if (cfg->software)
    {
      strcpy (c->software, cfg->software);
      c->cfg.software = c->software;
    }
  c->reliable = cfg->transport != ICE_TRANSPORT_UDP;

  ice_stun_txn_config tc;
  ice_stun_txn_config_default (&tc);
  if (cfg->rto_ms)
    tc.rto_ms = cfg->rto_ms;
  c->txns = ice_stun_txns_new (&tc);
  if (c->password == NULL || c->txns == NULL)
    {
      ice_turn_client_free (c);
      return NULL;
    }
  c->state = ICE_TURN_STATE_IDLE;
  c->next_channel = ICE_TURN_CHANNEL_MIN;
  c->refresh_at = UINT64_MAX;
  c->expires_at = UINT64_MAX;
  return c;
}

void
ice_turn_client_free (ice_turn_client *c)
{
  if (c == NULL)
    return;
  if (c->password)
    {
      OPENSSL_cleanse (c->password, strlen (c->password));
      free (c->password);
    }
  ice_stun_txns_free (c->txns);
  OPENSSL_cleanse (c->key, sizeof c->key);
  free (c);
}

ice_turn_state
ice_turn_client_state (const ice_turn_client *c)
{
  return c->state;
}

const ice_addr *
ice_turn_client_server (const ice_turn_client *c)
{
  return &c->cfg.server;
}

ice_transport
ice_turn_client_transport (const ice_turn_client *c)
{
  return c->cfg.transport;
}

const ice_addr *
ice_turn_client_relayed (const ice_turn_client *c)
{
  return &c->relayed;
}

const ice_addr *
ice_turn_client_mapped (const ice_turn_client *c)
{
  return &c->mapped;
}

void
ice_turn_client_stats (const ice_turn_client *c, ice_turn_stats *out)
{
  *out = c->stats;
}

/* --------------------------------------------------------- requests */

static uint64_t
make_tag (request_kind kind, size_t index, unsigned retries)
{
  return (uint64_t) kind | (uint64_t) index << 8 | (uint64_t) retries << 24;
}

static request_kind
tag_kind (uint64_t tag)
{
  return (request_kind) (tag & 0xFF);
}

static size_t
tag_index (uint64_t tag)
{
  return (size_t) ((tag >> 8) & 0xFFFF);
}

static unsigned
tag_retries (uint64_t tag)
{
  return (unsigned) ((tag >> 24) & 0xFF);
}

static void
add_credentials (ice_turn_client *c, ice_stun_writer *w)
{
  if (!c->have_credentials)
    return;
  ice_stun_add_string (w, ICE_STUN_ATTR_USERNAME, c->username);
  ice_stun_add_string (w, ICE_STUN_ATTR_REALM, c->realm);
  ice_stun_add_string (w, ICE_STUN_ATTR_NONCE, c->nonce);
  if (c->pw_algs_len > 0)
    {
      /* RFC 8489 9.2.4: echo the server's list and name our choice. */
      ice_stun_add_bytes (w, ICE_STUN_ATTR_PASSWORD_ALGORITHMS,
                          c->pw_algs_raw, c->pw_algs_len);
      ice_stun_add_password_algorithm (w, c->password_alg);
    }
}

static void
add_integrity (ice_turn_client *c, ice_stun_writer *w)
{
  if (c->have_credentials)
    {
      if (c->password_alg == ICE_STUN_PASSWORD_ALG_SHA256)
        ice_stun_add_integrity_sha256 (w, c->key, c->keylen);
      else
        ice_stun_add_integrity (w, c->key, c->keylen);
    }
  ice_stun_add_fingerprint (w);
}

/* Builds and starts the request for (kind, index).  Errors are reported
 * to the caller, who turns them into events. */
static int
start_request (ice_turn_client *c, uint64_t now_us, request_kind kind,
               size_t index, unsigned retries)
{
  static const uint16_t methods[] = {
    [REQ_ALLOCATE] = ICE_STUN_METHOD_ALLOCATE,
    [REQ_REFRESH] = ICE_STUN_METHOD_REFRESH,
    [REQ_PERMISSION] = ICE_STUN_METHOD_CREATE_PERMISSION,
    [REQ_CHANNEL] = ICE_STUN_METHOD_CHANNEL_BIND,
  };
  ice_stun_writer w;
  ice_stun_writer_init (&w, c->out, sizeof c->out, methods[kind],
                        ICE_STUN_CLASS_REQUEST, NULL);
  switch (kind)
    {
    case REQ_ALLOCATE:
      ice_stun_add_requested_transport (&w, ICE_STUN_TRANSPORT_UDP);
      /* IPv4 is the default; naming it would trip RFC 5766-only servers. */
      if (c->cfg.relay_family == AF_INET6)
        ice_stun_add_address_family (&w, ICE_STUN_ATTR_REQUESTED_ADDRESS_FAMILY,
                                     AF_INET6);
      if (c->cfg.lifetime_s)
        ice_stun_add_u32 (&w, ICE_STUN_ATTR_LIFETIME, c->cfg.lifetime_s);
      break;
    case REQ_REFRESH:
      ice_stun_add_u32 (&w, ICE_STUN_ATTR_LIFETIME,
                        c->state == ICE_TURN_STATE_CLOSING
                            ? 0
                            : (c->cfg.lifetime_s ? c->cfg.lifetime_s
                                                 : c->lifetime_s));
      break;
    case REQ_PERMISSION:
      ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_PEER_ADDRESS,
                             &c->perms[index].peer);
      break;
    case REQ_CHANNEL:
      ice_stun_add_channel_number (&w, c->chans[index].channel);
      ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_PEER_ADDRESS,
                             &c->chans[index].peer);
      break;
    }
  if (c->cfg.software)
    ice_stun_add_string (&w, ICE_STUN_ATTR_SOFTWARE, c->cfg.software);
  add_credentials (c, &w);
  add_integrity (c, &w);
  int len = ice_stun_writer_finish (&w);
  if (len < 0)
    return len;

  ice_stun_txn_request req = {
    .data = c->out,
    .len = (size_t) len,
    .transport = c->cfg.transport,
    .local = c->cfg.local,
    .remote = c->cfg.server,
    .key = c->have_credentials ? c->key : NULL,
    .keylen = c->have_credentials ? c->keylen : 0,
    .tag = make_tag (kind, index, retries),
  };
  return ice_stun_txns_start (c->txns, now_us, &req);
}

int
ice_turn_client_allocate (ice_turn_client *c, uint64_t now_us)
{
  if (c->state != ICE_TURN_STATE_IDLE)
    return -EALREADY;
  int r = start_request (c, now_us, REQ_ALLOCATE, 0, 0);
  if (r < 0)
    return r;
  c->state = ICE_TURN_STATE_ALLOCATING;
  return 0;
}

static void
schedule_refresh (ice_turn_client *c, uint64_t sent_us, uint32_t lifetime_s)
{
  c->lifetime_s = lifetime_s;
  uint32_t margin = lifetime_s > 2 * ALLOCATION_MARGIN_S ? ALLOCATION_MARGIN_S
                                                         : lifetime_s / 2;
  c->refresh_at = sent_us + (uint64_t) (lifetime_s - margin) * US_PER_S;
  c->expires_at = sent_us + (uint64_t) lifetime_s * US_PER_S;
}

static void
send_entry (ice_turn_client *c, uint64_t now_us, request_kind kind,
            size_t index)
{
  entry *e = kind == REQ_PERMISSION ? &c->perms[index] : &c->chans[index];
  if (start_request (c, now_us, kind, index, 0) < 0)
    {
      /* Only a full buffer or no memory: report it like a refusal. */
      ice_turn_event *ev = push_event (c, kind == REQ_PERMISSION
                                              ? ICE_TURN_EVENT_PERMISSION_FAILED
                                              : ICE_TURN_EVENT_CHANNEL_FAILED);
      ev->peer = e->peer;
      ev->channel = e->channel;
      ev->error_code = ICE_TURN_ERR_PROTOCOL;
      ev->reason = "The request could not be built.";
      e->state = ENTRY_FREE;
      return;
    }
  if (e->state == ENTRY_WAITING)
    e->state = ENTRY_PENDING;
  e->in_flight = true;
  e->refresh_at = UINT64_MAX;
}

static void
fail_allocation (ice_turn_client *c, int code)
{
  c->state = ICE_TURN_STATE_FAILED;
  c->refresh_at = c->expires_at = UINT64_MAX;
  push_error (c, ICE_TURN_EVENT_FAILED, code);
}

static void
finish_close (ice_turn_client *c)
{
  c->state = ICE_TURN_STATE_CLOSED;
  c->refresh_at = c->expires_at = UINT64_MAX;
  push_event (c, ICE_TURN_EVENT_CLOSED);
}

void
ice_turn_client_close (ice_turn_client *c, uint64_t now_us)
{
  switch (c->state)
    {
    case ICE_TURN_STATE_IDLE:
    case ICE_TURN_STATE_FAILED:
      finish_close (c);
      break;
    case ICE_TURN_STATE_ALLOCATING:
      /* The Allocate may still succeed: deallocate when it does. */
      c->close_requested = true;
      break;
    case ICE_TURN_STATE_ALLOCATED:
      c->state = ICE_TURN_STATE_CLOSING;
      c->refresh_at = c->expires_at = UINT64_MAX;
      if (start_request (c, now_us, REQ_REFRESH, 0, 0) < 0)
        finish_close (c);
      break;
    case ICE_TURN_STATE_CLOSING:
    case ICE_TURN_STATE_CLOSED:
      break;
    }
}

void
ice_turn_client_connection_lost (ice_turn_client *c)
{
  switch (c->state)
    {
    case ICE_TURN_STATE_ALLOCATING:
    case ICE_TURN_STATE_ALLOCATED:
      if (c->close_requested)
        finish_close (c);
      else
        fail_allocation (c, ICE_TURN_ERR_CONNECTION);
      break;
    case ICE_TURN_STATE_CLOSING:
      finish_close (c);
      break;
    case ICE_TURN_STATE_IDLE:
    case ICE_TURN_STATE_CLOSED:
    case ICE_TURN_STATE_FAILED:
      return;
    }
  /* Requests still outstanding will time out unheard: request_is_live
   * ignores them in these states. */
}

/* ------------------------------------------------ permissions, channels */

static bool
usable (const ice_turn_client *c)
{
  return c->state == ICE_TURN_STATE_ALLOCATING
         || c->state == ICE_TURN_STATE_ALLOCATED;
}

static entry *
find_perm (ice_turn_client *c, const ice_addr *peer)
{
  for (size_t i = 0; i < MAX_PERMISSIONS; i++)
    if (c->perms[i].state != ENTRY_FREE
        && ice_addr_equal_ip (&c->perms[i].peer, peer))
      return &c->perms[i];
  return NULL;
}

static entry *
find_chan_by_peer (const ice_turn_client *c, const ice_addr *peer)
{
  for (size_t i = 0; i < MAX_CHANNELS; i++)
    if (c->chans[i].state != ENTRY_FREE
        && ice_addr_equal (&c->chans[i].peer, peer))
      return (entry *) &c->chans[i];
  return NULL;
}

static entry *
find_chan_by_number (ice_turn_client *c, uint16_t channel)
{
  for (size_t i = 0; i < MAX_CHANNELS; i++)
    if (c->chans[i].state != ENTRY_FREE && c->chans[i].channel == channel)
      return &c->chans[i];
  return NULL;
}

static entry *
free_slot (entry *table, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (table[i].state == ENTRY_FREE)
      return &table[i];
  return NULL;
}

static int
check_peer (const ice_turn_client *c, const ice_addr *peer)
{
  if (!usable (c))
    return -ENOTCONN;
  if (peer == NULL || peer->family != c->cfg.relay_family)
    return -EINVAL;
  return 0;
}

int
ice_turn_client_create_permission (ice_turn_client *c, uint64_t now_us,
                                   const ice_addr *peer)
{
  int r = check_peer (c, peer);
  if (r < 0)
    return r;
  if (find_perm (c, peer))
    return 0;
  entry *e = free_slot (c->perms, MAX_PERMISSIONS);
  if (e == NULL)
    return -ENOSPC;
  memset (e, 0, sizeof *e);
  e->peer = *peer;
  e->peer.port = 0;
  e->state = ENTRY_WAITING;
  e->refresh_at = UINT64_MAX;
  if (c->state == ICE_TURN_STATE_ALLOCATED)
    send_entry (c, now_us, REQ_PERMISSION, (size_t) (e - c->perms));
  return 0;
}

int
ice_turn_client_bind_channel (ice_turn_client *c, uint64_t now_us,
                              const ice_addr *peer)
{
  int r = check_peer (c, peer);
  if (r < 0)
    return r;
  entry *e = find_chan_by_peer (c, peer);
  if (e)
    return e->channel;
  /* Numbers are never reused within a client: RFC 8656 forbids rebinding
   * a number to another peer for 5 minutes after it expires. */
  if (c->next_channel > 0x4FFF)
    return -ENOSPC;
  e = free_slot (c->chans, MAX_CHANNELS);
  if (e == NULL)
    return -ENOSPC;
  memset (e, 0, sizeof *e);
  e->peer = *peer;
  e->channel = c->next_channel++;
  e->state = ENTRY_WAITING;
  e->refresh_at = UINT64_MAX;
  if (c->state == ICE_TURN_STATE_ALLOCATED)
    send_entry (c, now_us, REQ_CHANNEL, (size_t) (e - c->chans));
  return e->channel;
}

uint16_t
ice_turn_client_channel (const ice_turn_client *c, const ice_addr *peer)
{
  const entry *e = find_chan_by_peer (c, peer);
  return e && e->state == ENTRY_ACTIVE ? e->channel : 0;
}

/* ------------------------------------------------------------ sending */

int
ice_turn_client_send (ice_turn_client *c, const ice_addr *peer,
                      const uint8_t *data, size_t len, uint8_t *out,
                      size_t cap)
{
  if (c->state != ICE_TURN_STATE_ALLOCATED)
    return -ENOTCONN;
  if (peer == NULL || peer->family == 0 || (len > 0 && data == NULL)
      || len > UINT16_MAX)
    return -EINVAL;
  const entry *ch = find_chan_by_peer (c, peer);
  int n;
  /* ChannelData only once the server confirmed the binding (RFC 8656
   * 12.1): before that it would drop the frames. */
  if (ch && ch->state == ENTRY_ACTIVE)
    n = ice_turn_channel_data_write (ch->channel, data, len, c->reliable,
                                     out, cap);
  else
    {
      ice_stun_writer w;
      ice_stun_writer_init (&w, out, cap, ICE_STUN_METHOD_SEND,
                            ICE_STUN_CLASS_INDICATION, NULL);
      ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_PEER_ADDRESS, peer);
      ice_stun_add_bytes (&w, ICE_STUN_ATTR_DATA, data, len);
      n = ice_stun_writer_finish (&w);
    }
  if (n >= 0)
    c->stats.data_out++;
  return n;
}

/* ---------------------------------------------------------- responses */

/* Takes REALM/NONCE (and PASSWORD-ALGORITHMS) from a 401 or 438 and
 * derives the key.  Returns 0 or ICE_TURN_ERR_PROTOCOL. */
static int
learn_challenge (ice_turn_client *c, const ice_stun_msg *m)
{
  char realm[MAX_REALM];
  int r = ice_stun_msg_get_string (m, ICE_STUN_ATTR_REALM, realm, sizeof realm);
  if (r == -ENOENT && c->have_credentials)
    strcpy (realm, c->realm); /* a 438 may leave the realm out */
  else if (r <= 0)
    return ICE_TURN_ERR_PROTOCOL;
  char nonce[MAX_NONCE];
  if (ice_stun_msg_get_string (m, ICE_STUN_ATTR_NONCE, nonce, sizeof nonce)
      <= 0)
    return ICE_TURN_ERR_PROTOCOL;

  const uint8_t *raw;
  size_t raw_len;
  uint16_t alg = ICE_STUN_PASSWORD_ALG_MD5;
  c->pw_algs_len = 0;
  if (ice_stun_msg_get_bytes (m, ICE_STUN_ATTR_PASSWORD_ALGORITHMS, &raw,
                              &raw_len) == 0)
    {
      uint16_t algs[16];
      int n = ice_stun_msg_get_password_algorithms (m, algs, 16);
      if (n <= 0 || raw_len > sizeof c->pw_algs_raw)
        return ICE_TURN_ERR_PROTOCOL;
      bool md5 = false, sha256 = false;
      for (int i = 0; i < n && i < 16; i++)
        {
          md5 |= algs[i] == ICE_STUN_PASSWORD_ALG_MD5;
          sha256 |= algs[i] == ICE_STUN_PASSWORD_ALG_SHA256;
        }
      if (!md5 && !sha256)
        return ICE_TURN_ERR_PROTOCOL;
      alg = sha256 ? ICE_STUN_PASSWORD_ALG_SHA256 : ICE_STUN_PASSWORD_ALG_MD5;
      memcpy (c->pw_algs_raw, raw, raw_len);
      c->pw_algs_len = raw_len;
    }

  strcpy (c->realm, realm);
  strcpy (c->nonce, nonce);
  c->password_alg = alg;
  if (alg == ICE_STUN_PASSWORD_ALG_SHA256)
    {
      c->keylen = ICE_STUN_KEY_SHA256_LEN;
      r = ice_stun_key_long_term_sha256 (c->username, c->realm, c->password,
                                         c->key);
    }
  else
    {
      c->keylen = ICE_STUN_KEY_MD5_LEN;
      r = ice_stun_key_long_term_md5 (c->username, c->realm, c->password,
                                      c->key);
    }
  if (r < 0)
    return ICE_TURN_ERR_PROTOCOL;
  c->have_credentials = true;
  return 0;
}

/* The request behind tag failed with code: tell the right party. */
static void
request_failed (ice_turn_client *c, uint64_t tag, int code,
                const ice_stun_msg *m)
{
  size_t index = tag_index (tag);
  switch (tag_kind (tag))
    {
    case REQ_ALLOCATE:
      if (code == ICE_STUN_ERR_TRY_ALTERNATE && m != NULL)
        {
          ice_addr alt;
          if (ice_stun_msg_get_addr (m, ICE_STUN_ATTR_ALTERNATE_SERVER, &alt)
              == 0)
            {
              c->state = ICE_TURN_STATE_FAILED;
              ice_turn_event *e = push_event (c, ICE_TURN_EVENT_ALTERNATE_SERVER);
              e->alternate = alt;
              e->error_code = code;
              e->reason = ice_turn_error_meaning (code);
              return;
            }
          code = ICE_TURN_ERR_PROTOCOL;
        }
      if (c->close_requested)
        finish_close (c);
      else
        fail_allocation (c, code);
      break;
    case REQ_REFRESH:
      c->refresh_in_flight = false;
      if (c->state == ICE_TURN_STATE_CLOSING)
        finish_close (c);
      else if (code == ICE_TURN_ERR_TIMEOUT)
        c->refresh_at = 0; /* again at once; expiry ends the attempts */
      else
        fail_allocation (c, code);
      break;
    case REQ_PERMISSION:
    case REQ_CHANNEL:
      {
        bool perm = tag_kind (tag) == REQ_PERMISSION;
        entry *e = perm ? &c->perms[index] : &c->chans[index];
        if (e->state == ENTRY_FREE)
          break;
        ice_turn_event *ev = push_event (c, perm
                                                ? ICE_TURN_EVENT_PERMISSION_FAILED
                                                : ICE_TURN_EVENT_CHANNEL_FAILED);
        ev->peer = e->peer;
        ev->channel = e->channel;
        ev->error_code = code;
        ev->reason = ice_turn_error_meaning (code);
        e->state = ENTRY_FREE;
        e->in_flight = false;
        break;
      }
    }
}

static void
allocation_succeeded (ice_turn_client *c, uint64_t now_us,
                      const ice_stun_msg *m, uint64_t rtt_us)
{
  ice_addr relayed, mapped;
  uint32_t lifetime = DEFAULT_LIFETIME_S;
  /* The family asked for, or the server should have said 440. */
  if (ice_stun_msg_get_xor_addr (m, ICE_STUN_ATTR_XOR_RELAYED_ADDRESS,
                                 &relayed) < 0
      || relayed.family != c->cfg.relay_family)
    {
      fail_allocation (c, ICE_TURN_ERR_PROTOCOL);
      return;
    }
  if (ice_stun_msg_get_xor_addr (m, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                 &mapped) < 0)
    memset (&mapped, 0, sizeof mapped);
  ice_stun_msg_get_u32 (m, ICE_STUN_ATTR_LIFETIME, &lifetime);
  c->relayed = relayed;
  c->mapped = mapped;
  /* The server's clock started when it got the request: count from our
   * first send so we refresh early rather than late. */
  schedule_refresh (c, now_us - rtt_us, lifetime);
  c->state = ICE_TURN_STATE_ALLOCATED;

  ice_turn_event *e = push_event (c, ICE_TURN_EVENT_ALLOCATED);
  e->relayed = relayed;
  e->mapped = mapped;
  e->lifetime_s = lifetime;

  if (c->close_requested)
    {
      ice_turn_client_close (c, now_us);
      return;
    }
  for (size_t i = 0; i < MAX_PERMISSIONS; i++)
    if (c->perms[i].state == ENTRY_WAITING)
      send_entry (c, now_us, REQ_PERMISSION, i);
  for (size_t i = 0; i < MAX_CHANNELS; i++)
    if (c->chans[i].state == ENTRY_WAITING)
      send_entry (c, now_us, REQ_CHANNEL, i);
}

static void
request_succeeded (ice_turn_client *c, uint64_t now_us, uint64_t tag,
                   const ice_stun_msg *m, uint64_t rtt_us)
{
  size_t index = tag_index (tag);
  uint64_t sent_us = now_us - rtt_us;
  switch (tag_kind (tag))
    {
    case REQ_ALLOCATE:
      if (c->state == ICE_TURN_STATE_ALLOCATING)
        allocation_succeeded (c, now_us, m, rtt_us);
      break;
    case REQ_REFRESH:
      c->refresh_in_flight = false;
      if (c->state == ICE_TURN_STATE_CLOSING)
        finish_close (c);
      else if (c->state == ICE_TURN_STATE_ALLOCATED)
        {
          uint32_t lifetime = c->lifetime_s;
          ice_stun_msg_get_u32 (m, ICE_STUN_ATTR_LIFETIME, &lifetime);
          schedule_refresh (c, sent_us, lifetime);
          push_event (c, ICE_TURN_EVENT_REFRESHED)->lifetime_s = lifetime;
        }
      break;
    case REQ_PERMISSION:
    case REQ_CHANNEL:
      {
        bool perm = tag_kind (tag) == REQ_PERMISSION;
        entry *e = perm ? &c->perms[index] : &c->chans[index];
        if (e->state == ENTRY_FREE)
          break;
        bool first = e->state != ENTRY_ACTIVE;
        e->state = ENTRY_ACTIVE;
        e->in_flight = false;
        e->refresh_at = sent_us
                        + (uint64_t) (perm ? PERMISSION_REFRESH_S
                                           : CHANNEL_REFRESH_S)
                              * US_PER_S;
        if (first)
          {
            ice_turn_event *ev = push_event (c, perm
                                                    ? ICE_TURN_EVENT_PERMISSION_CREATED
                                                    : ICE_TURN_EVENT_CHANNEL_BOUND);
            ev->peer = e->peer;
            ev->channel = e->channel;
          }
        break;
      }
    }
}

static bool
request_is_live (const ice_turn_client *c, uint64_t tag)
{
  switch (tag_kind (tag))
    {
    case REQ_ALLOCATE:
      return c->state == ICE_TURN_STATE_ALLOCATING;
    case REQ_REFRESH:
      return c->state == ICE_TURN_STATE_ALLOCATED
             || c->state == ICE_TURN_STATE_CLOSING;
    case REQ_PERMISSION:
    case REQ_CHANNEL:
      return c->state == ICE_TURN_STATE_ALLOCATED;
    }
  return false;
}

static void
handle_txn_event (ice_turn_client *c, uint64_t now_us,
                  const ice_stun_txn_event *ev)
{
  uint64_t tag = ev->tag;
  if (!request_is_live (c, tag))
    return;
  if (ev->kind == ICE_STUN_TXN_TIMEOUT)
    {
      request_failed (c, tag, ICE_TURN_ERR_TIMEOUT, NULL);
      return;
    }
  const ice_stun_msg *m = &ev->msg;
  if (m->cls == ICE_STUN_CLASS_SUCCESS)
    {
      request_succeeded (c, now_us, tag, m, ev->rtt_us);
      return;
    }

  int code = 0;
  if (ice_stun_msg_get_error (m, &code, NULL, 0) < 0)
    {
      request_failed (c, tag, ICE_TURN_ERR_PROTOCOL, m);
      return;
    }
  unsigned retries = tag_retries (tag);
  /* 401 to a request without credentials is the normal challenge; 438
   * (or a 401 with a fresh nonce) means "again with this nonce". */
  if ((code == ICE_STUN_ERR_UNAUTHENTICATED
       || code == ICE_STUN_ERR_STALE_NONCE)
      && retries < MAX_AUTH_RETRIES)
    {
      bool had = c->have_credentials;
      char old_nonce[MAX_NONCE];
      strcpy (old_nonce, c->nonce);
      if (learn_challenge (c, m) < 0)
        {
          request_failed (c, tag, had ? code : ICE_TURN_ERR_PROTOCOL, m);
          return;
        }
      /* A 401 to the nonce we just used: the password is wrong. */
      if (code == ICE_STUN_ERR_UNAUTHENTICATED && had
          && strcmp (old_nonce, c->nonce) == 0)
        {
          request_failed (c, tag, code, m);
          return;
        }
      if (code == ICE_STUN_ERR_STALE_NONCE)
        c->stats.stale_nonces++;
      if (start_request (c, now_us, tag_kind (tag), tag_index (tag),
                         retries + 1)
          < 0)
        request_failed (c, tag, ICE_TURN_ERR_PROTOCOL, m);
      return;
    }
  request_failed (c, tag, code, m);
}

static void
drain_txn_events (ice_turn_client *c, uint64_t now_us)
{
  ice_stun_txn_event ev;
  while (ice_stun_txns_poll_event (c->txns, &ev))
    handle_txn_event (c, now_us, &ev);
}

/* ------------------------------------------------------------ inbound */

static bool
peer_known (ice_turn_client *c, const ice_addr *peer)
{
  if (find_perm (c, peer))
    return true;
  /* ChannelBind installs a permission for the peer's IP as well. */
  for (size_t i = 0; i < MAX_CHANNELS; i++)
    if (c->chans[i].state != ENTRY_FREE
        && ice_addr_equal_ip (&c->chans[i].peer, peer))
      return true;
  return false;
}

static int
handle_channel_data (ice_turn_client *c, const uint8_t *data, size_t len,
                     ice_turn_data *out)
{
  uint16_t channel;
  const uint8_t *payload;
  size_t plen;
  if (ice_turn_channel_data_parse (data, len, &channel, &payload, &plen) < 0)
    {
      c->stats.dropped_malformed++;
      return -EBADMSG;
    }
  /* Pending counts: the server may relay before our success arrives. */
  entry *e = find_chan_by_number (c, channel);
  if (e == NULL || e->state == ENTRY_WAITING)
    {
      c->stats.dropped_unknown_channel++;
      return -EBADMSG;
    }
  out->peer = e->peer;
  out->data = payload;
  out->len = plen;
  out->channel = channel;
  c->stats.data_in++;
  return 1;
}

static int
handle_indication (ice_turn_client *c, const ice_stun_msg *m,
                   ice_turn_data *out)
{
  if (m->method != ICE_STUN_METHOD_DATA)
    {
      c->stats.dropped_malformed++;
      return -EBADMSG;
    }
  ice_addr peer;
  const uint8_t *payload;
  size_t plen;
  if (ice_stun_msg_get_xor_addr (m, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &peer) < 0
      || ice_stun_msg_get_bytes (m, ICE_STUN_ATTR_DATA, &payload, &plen) < 0)
    {
      c->stats.dropped_malformed++;
      return -EBADMSG;
    }
  if (!peer_known (c, &peer))
    {
      c->stats.dropped_unknown_peer++;
      return -EBADMSG;
    }
  out->peer = peer;
  out->data = payload;
  out->len = plen;
  out->channel = 0;
  c->stats.data_in++;
  return 1;
}

int
ice_turn_client_handle_packet (ice_turn_client *c, uint64_t now_us,
                               const ice_addr *local, const ice_addr *remote,
                               const uint8_t *data, size_t len,
                               ice_turn_data *out)
{
  /* On streams the connection itself identifies the server. */
  if (!c->reliable && (remote == NULL || !ice_addr_equal (remote, &c->cfg.server)))
    return -ENOENT;
  if (data == NULL || len == 0)
    {
      c->stats.dropped_malformed++;
      return -EBADMSG;
    }
  ice_turn_data scratch;
  if (out == NULL)
    out = &scratch;

  if (data[0] >= (ICE_TURN_CHANNEL_MIN >> 8)
      && data[0] <= (ICE_TURN_CHANNEL_MAX >> 8))
    return handle_channel_data (c, data, len, out);

  ice_stun_msg m;
  if (ice_stun_msg_parse (data, len, &m) < 0)
    {
      c->stats.dropped_malformed++;
      return -EBADMSG;
    }
  if (m.cls == ICE_STUN_CLASS_INDICATION)
    return handle_indication (c, &m, out);
  if (m.cls == ICE_STUN_CLASS_REQUEST)
    {
      c->stats.dropped_malformed++;
      return -EBADMSG;
    }

  int r = ice_stun_txns_handle_packet (c->txns, now_us, local, remote, data,
                                       len);
  switch (r)
    {
    case 0:
      drain_txn_events (c, now_us);
      return 0;
    case -ENOENT:
      /* Perhaps another engine's (a Binding client on the same socket). */
      c->stats.dropped_unmatched++;
      return -ENOENT;
    case -EACCES:
      c->stats.dropped_unauthenticated++;
      return -EACCES;
    default:
      c->stats.dropped_malformed++;
      return -EBADMSG;
    }
}

/* ------------------------------------------------------------- timers */

void
ice_turn_client_handle_timeout (ice_turn_client *c, uint64_t now_us)
{
  ice_stun_txns_handle_timeout (c->txns, now_us);
  drain_txn_events (c, now_us);
  if (c->state != ICE_TURN_STATE_ALLOCATED)
    return;

  if (now_us >= c->expires_at)
    {
      /* Every refresh failed to get through in time. */
      fail_allocation (c, ICE_TURN_ERR_TIMEOUT);
      return;
    }
  if (now_us >= c->refresh_at && !c->refresh_in_flight)
    {
      if (start_request (c, now_us, REQ_REFRESH, 0, 0) == 0)
        c->refresh_in_flight = true;
      /* A refresh that times out is retried while time remains. */
      c->refresh_at = UINT64_MAX;
    }
  for (size_t i = 0; i < MAX_PERMISSIONS; i++)
    if (c->perms[i].state == ENTRY_ACTIVE && !c->perms[i].in_flight
        && now_us >= c->perms[i].refresh_at)
      send_entry (c, now_us, REQ_PERMISSION, i);
  for (size_t i = 0; i < MAX_CHANNELS; i++)
    if (c->chans[i].state == ENTRY_ACTIVE && !c->chans[i].in_flight
        && now_us >= c->chans[i].refresh_at)
      send_entry (c, now_us, REQ_CHANNEL, i);
}

uint64_t
ice_turn_client_next_timeout (const ice_turn_client *c)
{
  uint64_t t = ice_stun_txns_next_timeout (c->txns);
  if (c->state != ICE_TURN_STATE_ALLOCATED)
    return t;
  if (c->refresh_at < t)
    t = c->refresh_at;
  if (c->expires_at < t)
    t = c->expires_at;
  for (size_t i = 0; i < MAX_PERMISSIONS; i++)
    if (c->perms[i].state == ENTRY_ACTIVE && c->perms[i].refresh_at < t)
      t = c->perms[i].refresh_at;
  for (size_t i = 0; i < MAX_CHANNELS; i++)
    if (c->chans[i].state == ENTRY_ACTIVE && c->chans[i].refresh_at < t)
      t = c->chans[i].refresh_at;
  return t;
}

bool
ice_turn_client_poll_transmit (ice_turn_client *c, ice_turn_transmit *out)
{
  ice_stun_txn_transmit t;
  if (!ice_stun_txns_poll_transmit (c->txns, &t))
    return false;
  out->data = t.data;
  out->len = t.len;
  out->transport = t.transport;
  out->local = t.local;
  out->remote = t.remote;
  return true;
}
