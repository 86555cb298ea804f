/* STUN client transactions: RFC 8489 section 6.2.1 retransmission over
 * UDP (sends at 0, RTO, 3 RTO, 7 RTO ... Rc sends in all, then a final
 * wait of Rm * RTO), section 6.2.2 single timeout Ti over TCP/TLS, and
 * section 6.3 response matching. */
#include "stun-txn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_MS 1000u

typedef struct
{
  ice_stun_txid txid;
  uint8_t *req;
  size_t req_len;
  uint8_t *key;
  size_t keylen;
  bool has_key; /* an empty key (keylen 0) is still a key */
  bool any_unauthenticated_error;
  ice_transport transport;
  ice_addr local;
  ice_addr remote;
  uint64_t tag;
  uint64_t rto_us;      /* initial RTO for this transaction */
  uint64_t interval_us; /* gap to the next retransmission */
  uint64_t first_send_us;
  uint64_t due_us;      /* next retransmission or the timeout */
  unsigned scheduled;   /* sends scheduled so far, the pending one included */
  unsigned sent;        /* sends handed out by poll_transmit */
  bool send_pending;
} txn;

struct ice_stun_txns
{
  ice_stun_txn_config cfg;
  txn *txns;
  size_t n;
  size_t cap;
  /* Finished transactions, oldest first, waiting for poll_event. */
  ice_stun_txn_event *events;
  uint8_t **event_bufs; /* response bytes owned by each queued event */
  size_t n_events;
  size_t cap_events;
  uint8_t *held_buf; /* bytes of the event handed out last */
  ice_stun_txn_stats stats;
};

void
ice_stun_txn_config_default (ice_stun_txn_config *cfg)
{
  cfg->rto_ms = 500;
  cfg->rc = 7;
  cfg->rm = 16;
  cfg->ti_ms = 39500;
}

ice_stun_txns *
ice_stun_txns_new (const ice_stun_txn_config *cfg)
{
  ice_stun_txn_config c;
  if (cfg != NULL)
    c = *cfg;
  else
    ice_stun_txn_config_default (&c);
  if (c.rto_ms == 0 || c.rc == 0 || c.rm == 0 || c.ti_ms == 0)
    return NULL;
  ice_stun_txns *t = calloc (1, sizeof *t);
  if (t == NULL)
    return NULL;
  t->cfg = c;
  return t;
}

static void
txn_clear (txn *x)
{
  free (x->req);
  if (x->key != NULL)
    {
      /* keys are credentials: do not leave them in freed memory */
      memset (x->key, 0, x->keylen);
      free (x->key);
    }
}

void
ice_stun_txns_free (ice_stun_txns *t)
{
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->n; i++)
    txn_clear (&t->txns[i]);
  free (t->txns);
  for (size_t i = 0; i < t->n_events; i++)
    free (t->event_bufs[i]);
  free (t->events);
  free (t->event_bufs);
  free (t->held_buf);
  free (t);
}

static txn *
find_txn (ice_stun_txns *t, const ice_stun_txid *id)
{
  for (size_t i = 0; i < t->n; i++)
    if (ice_stun_txid_equal (&t->txns[i].txid, id))
      return &t->txns[i];
  return NULL;
}

/* Removes a transaction; order does not matter, so the last one fills the
 * hole. */
static void
remove_txn (ice_stun_txns *t, txn *x)
{
  txn_clear (x);
  size_t i = (size_t) (x - t->txns);
  t->txns[i] = t->txns[t->n - 1];
  t->n--;
}

static bool
is_stream (ice_transport tr)
{
  return tr == ICE_TRANSPORT_TCP || tr == ICE_TRANSPORT_TLS;
}

int
ice_stun_txns_start (ice_stun_txns *t, uint64_t now_us,
                     const ice_stun_txn_request *req)
{
  if (req == NULL || req->data == NULL || (req->key == NULL && req->keylen))
    return -EINVAL;
  ice_stun_msg msg;
  if (ice_stun_msg_parse (req->data, req->len, &msg) < 0
      || msg.cls != ICE_STUN_CLASS_REQUEST)
    return -EBADMSG;
  if (find_txn (t, &msg.txid) != NULL)
    return -EEXIST;

  if (t->n == t->cap)
    {
      size_t cap = t->cap ? t->cap * 2 : 8;
      txn *p = realloc (t->txns, cap * sizeof *p);
      if (p == NULL)
        return -ENOMEM;
      t->txns = p;
      t->cap = cap;
    }
  txn x;
  memset (&x, 0, sizeof x);
  x.req = malloc (req->len);
  if (req->keylen > 0)
    x.key = malloc (req->keylen);
  if (x.req == NULL || (req->keylen > 0 && x.key == NULL))
    {
      free (x.req);
      free (x.key);
      return -ENOMEM;
    }
  memcpy (x.req, req->data, req->len);
  x.req_len = req->len;
  if (req->keylen > 0)
    memcpy (x.key, req->key, req->keylen);
  x.keylen = req->keylen;
  x.has_key = req->key != NULL;
  x.any_unauthenticated_error = req->accept_unauthenticated_errors;
  x.txid = msg.txid;
  x.transport = req->transport;
  x.local = req->local;
  x.remote = req->remote;
  x.tag = req->tag;
  x.rto_us = (uint64_t) (req->rto_ms ? req->rto_ms : t->cfg.rto_ms)
             * US_PER_MS;
  x.interval_us = x.rto_us;
  x.first_send_us = now_us;
  x.scheduled = 1;
  x.send_pending = true;
  if (is_stream (x.transport))
    x.due_us = now_us + (uint64_t) t->cfg.ti_ms * US_PER_MS;
  else if (t->cfg.rc > 1)
    x.due_us = now_us + x.rto_us;
  else
    x.due_us = now_us + (uint64_t) t->cfg.rm * x.rto_us;
  t->txns[t->n++] = x;
  t->stats.started++;
  return 0;
}

int
ice_stun_txns_cancel (ice_stun_txns *t, const ice_stun_txid *txid)
{
  txn *x = find_txn (t, txid);
  if (x == NULL)
    return -ENOENT;
  remove_txn (t, x);
  return 0;
}

/* Queues the event of a finished transaction and forgets the transaction.
 * resp (may be NULL) is a heap copy of the response whose ownership passes
 * to the queue; ev->msg is re-pointed at it when the event is polled. */
static int
finish_txn (ice_stun_txns *t, txn *x, ice_stun_txn_event *ev, uint8_t *resp)
{
  if (t->n_events == t->cap_events)
    {
      size_t cap = t->cap_events ? t->cap_events * 2 : 8;
      ice_stun_txn_event *e = realloc (t->events, cap * sizeof *e);
      if (e == NULL)
        return -ENOMEM;
      t->events = e;
      uint8_t **b = realloc (t->event_bufs, cap * sizeof *b);
      if (b == NULL)
        return -ENOMEM;
      t->event_bufs = b;
      t->cap_events = cap;
    }
  ev->txid = x->txid;
  ev->tag = x->tag;
  ev->send_count = x->sent;
  t->events[t->n_events] = *ev;
  t->event_bufs[t->n_events] = resp;
  t->n_events++;
  remove_txn (t, x);
  return 0;
}

/* Error responses a server sends before it can authenticate the request,
 * so they cannot carry integrity (RFC 8489 sections 9.1.3 and 9.2.4). */
static bool
unauthenticated_ok (const ice_stun_msg *msg, bool any_code)
{
  int code;
  if (msg->cls != ICE_STUN_CLASS_ERROR || msg->integrity_idx >= 0
      || msg->integrity_sha256_idx >= 0
      || ice_stun_msg_get_error (msg, &code, NULL, 0) < 0)
    return false;
  return any_code || code == 400 || code == 401 || code == 420
         || code == 438;
}

int
ice_stun_txns_handle_packet (ice_stun_txns *t, uint64_t now_us,
                             const ice_addr *local, const ice_addr *remote,
                             const uint8_t *data, size_t len)
{
  ice_stun_msg msg;
  if (ice_stun_msg_parse (data, len, &msg) < 0
      || (msg.cls != ICE_STUN_CLASS_SUCCESS && msg.cls != ICE_STUN_CLASS_ERROR))
    {
      t->stats.dropped_malformed++;
      return -EBADMSG;
    }
  txn *x = find_txn (t, &msg.txid);
  if (x == NULL)
    {
      t->stats.dropped_unmatched++;
      return -ENOENT;
    }
  ice_stun_msg req;
  if (ice_stun_msg_parse (x->req, x->req_len, &req) < 0
      || req.method != msg.method)
    {
      /* same ID, different method: not an answer to this request */
      t->stats.dropped_unmatched++;
      return -ENOENT;
    }

  bool authenticated = false;
  if (x->has_key)
    {
      int r = ice_stun_msg_check_auth (&msg, x->key, x->keylen);
      if (r == 0)
        authenticated = true;
      else if (!(r == -ENOENT && unauthenticated_ok (&msg, x->any_unauthenticated_error)))
        {
          t->stats.dropped_auth++;
          return -EACCES;
        }
    }

  uint8_t *copy = malloc (len);
  if (copy == NULL)
    return -ENOMEM;
  memcpy (copy, data, len);

  ice_stun_txn_event ev;
  memset (&ev, 0, sizeof ev);
  ev.kind = ICE_STUN_TXN_RESPONSE;
  ev.msg = msg; /* re-pointed at copy when polled */
  if (local != NULL)
    ev.local = *local;
  if (remote != NULL)
    ev.remote = *remote;
  ev.authenticated = authenticated;
  ev.rtt_us = now_us >= x->first_send_us ? now_us - x->first_send_us : 0;
  ev.rtt_ambiguous = x->sent > 1;
  int r = finish_txn (t, x, &ev, copy);
  if (r < 0)
    {
      free (copy);
      return r;
    }
  t->stats.responses++;
  return 0;
}

void
ice_stun_txns_handle_timeout (ice_stun_txns *t, uint64_t now_us)
{
  size_t i = 0;
  while (i < t->n)
    {
      txn *x = &t->txns[i];
      if (x->due_us > now_us)
        {
          i++;
          continue;
        }
      if (!is_stream (x->transport) && x->scheduled < t->cfg.rc)
        {
          x->scheduled++;
          x->send_pending = true;
          x->interval_us *= 2;
          x->due_us = now_us + (x->scheduled < t->cfg.rc
                                    ? x->interval_us
                                    : (uint64_t) t->cfg.rm * x->rto_us);
          t->stats.retransmits++;
          i++;
          continue;
        }
      ice_stun_txn_event ev;
      memset (&ev, 0, sizeof ev);
      ev.kind = ICE_STUN_TXN_TIMEOUT;
      ev.local = x->local;
      ev.remote = x->remote;
      if (finish_txn (t, x, &ev, NULL) < 0)
        {
          /* out of memory: retry on the next timer rather than lose it */
          x->due_us = now_us + x->rto_us;
          i++;
          continue;
        }
      t->stats.timeouts++;
      /* remove_txn moved the last transaction into slot i: look again */
    }
}

uint64_t
ice_stun_txns_next_timeout (const ice_stun_txns *t)
{
  uint64_t next = UINT64_MAX;
  for (size_t i = 0; i < t->n; i++)
    {
      const txn *x = &t->txns[i];
      /* a pending send is due now: its schedule started when it was set */
      uint64_t due = x->send_pending ? x->first_send_us : x->due_us;
      if (due < next)
        next = due;
    }
  return next;
}

bool
ice_stun_txns_poll_transmit (ice_stun_txns *t, ice_stun_txn_transmit *out)
{
  for (size_t i = 0; i < t->n; i++)
    {
      txn *x = &t->txns[i];
      if (!x->send_pending)
        continue;
      x->send_pending = false;
      x->sent++;
      memset (out, 0, sizeof *out);
      out->data = x->req;
      out->len = x->req_len;
      out->transport = x->transport;
      out->local = x->local;
      out->remote = x->remote;
      out->txid = x->txid;
      out->tag = x->tag;
      out->send_count = x->sent;
      return true;
    }
  return false;
}

bool
ice_stun_txns_poll_event (ice_stun_txns *t, ice_stun_txn_event *out)
{
  free (t->held_buf);
  t->held_buf = NULL;
  if (t->n_events == 0)
    return false;
  *out = t->events[0];
  t->held_buf = t->event_bufs[0];
  memmove (t->events, t->events + 1, (t->n_events - 1) * sizeof *t->events);
  memmove (t->event_bufs, t->event_bufs + 1,
           (t->n_events - 1) * sizeof *t->event_bufs);
  t->n_events--;
  if (out->kind == ICE_STUN_TXN_RESPONSE)
    {
      /* the copy is a valid message: it parsed before being queued */
      if (ice_stun_msg_parse (t->held_buf, out->msg.len, &out->msg) < 0)
        memset (&out->msg, 0, sizeof out->msg);
    }
  return true;
}

void
ice_stun_txns_stats (const ice_stun_txns *t, ice_stun_txn_stats *out)
{
  *out = t->stats;
}

size_t
ice_stun_txns_pending (const ice_stun_txns *t)
{
  return t->n;
}
