/* STUN client transactions (RFC 8489 section 6.2), sans-I/O: a table of
 * outstanding requests, each retransmitted over UDP on the RTO schedule or
 * merely timed out over stream transports, and matched to its response by
 * transaction ID and, when a key is set, by integrity.
 *
 * The caller builds the request bytes (ice/stun-msg.h), starts a
 * transaction with them, then drives the table: poll_transmit drains what
 * to (re)send, handle_packet feeds responses, handle_timeout/next_timeout
 * run the timer, poll_event reports a response or a timeout. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "stun-msg.h"

typedef struct
{
  uint32_t rto_ms; /* initial RTO; RFC 8489 default 500 (ICE sets its own) */
  unsigned rc;     /* total sends over UDP; default 7 */
  unsigned rm;     /* final wait = rm * RTO after the last send; default 16 */
  uint32_t ti_ms;  /* stream-transport timeout; default 39500 */
} ice_stun_txn_config;

/* Fills in the RFC 8489 defaults. */
void ice_stun_txn_config_default (ice_stun_txn_config *cfg);

typedef struct ice_stun_txns ice_stun_txns;

/* cfg NULL means the defaults.  Returns NULL on allocation failure or a
 * config with rto_ms, rc, rm or ti_ms equal to 0. */
ice_stun_txns *ice_stun_txns_new (const ice_stun_txn_config *cfg);
void ice_stun_txns_free (ice_stun_txns *t);

typedef struct
{
  const uint8_t *data;    /* the encoded request (copied by start) */
  size_t len;
  ice_transport transport; /* UDP retransmits; TCP/TLS only time out */
  ice_addr local;         /* opaque to the engine, echoed in transmits */
  ice_addr remote;
  /* Integrity key the response must carry (short-term password or
   * long-term key), copied; NULL/0 means responses are not checked. */
  const uint8_t *key;
  size_t keylen;
  uint32_t rto_ms; /* 0 = the table's RTO (ICE passes its computed RTO) */
  uint64_t tag;    /* caller's cookie, echoed in the event */
  /* With a key: also deliver error responses of any code that carry no
   * integrity attribute (still authenticated = false), for servers that
   * cannot sign some errors (e.g. 441 Wrong Credentials).  Responses whose
   * integrity is present but wrong are always dropped. */
  bool accept_unauthenticated_errors;
} ice_stun_txn_request;

/* Starts a transaction at now_us; the first send is due immediately (drain
 * poll_transmit).  The transaction ID is read from the request bytes, which
 * must be a parseable STUN request.  Returns 0, -EBADMSG (not a request),
 * -EEXIST (same transaction ID already outstanding), -EINVAL or -ENOMEM. */
int ice_stun_txns_start (ice_stun_txns *t, uint64_t now_us,
                         const ice_stun_txn_request *req);

/* Forgets an outstanding transaction without an event.  Returns 0 or
 * -ENOENT. */
int ice_stun_txns_cancel (ice_stun_txns *t, const ice_stun_txid *txid);

/* Feeds a received datagram / framed stream message.  Returns 0 if it was
 * the response to an outstanding transaction (an event follows), or a
 * negative code, the packet being dropped and counted:
 *   -EBADMSG   not a valid STUN message, or not a response;
 *   -ENOENT    no outstanding transaction with that ID;
 *   -EACCES    the transaction has a key and integrity failed or is absent
 *              (see ice_stun_txn_event.authenticated for the exception);
 *   -ENOMEM    out of memory (not counted).
 * local/remote (may be NULL) are echoed in the event. */
int ice_stun_txns_handle_packet (ice_stun_txns *t, uint64_t now_us,
                                 const ice_addr *local, const ice_addr *remote,
                                 const uint8_t *data, size_t len);

void ice_stun_txns_handle_timeout (ice_stun_txns *t, uint64_t now_us);
/* Absolute time of the next retransmission or timeout, UINT64_MAX if none;
 * now-or-earlier while a transmit is pending. */
uint64_t ice_stun_txns_next_timeout (const ice_stun_txns *t);

typedef struct
{
  const uint8_t *data; /* valid until the next call on the table */
  size_t len;
  ice_transport transport;
  ice_addr local;
  ice_addr remote;
  ice_stun_txid txid;
  uint64_t tag;
  unsigned send_count; /* 1 for the first send, 2 for the first retransmit */
} ice_stun_txn_transmit;

bool ice_stun_txns_poll_transmit (ice_stun_txns *t,
                                  ice_stun_txn_transmit *out);

typedef enum
{
  ICE_STUN_TXN_RESPONSE, /* msg holds a success or error response */
  ICE_STUN_TXN_TIMEOUT,  /* no (acceptable) response in time */
} ice_stun_txn_event_kind;

typedef struct
{
  ice_stun_txn_event_kind kind;
  ice_stun_txid txid;
  uint64_t tag;
  /* RESPONSE only.  msg and its buffer stay valid until the next call on
   * the table. */
  ice_stun_msg msg;
  ice_addr local;  /* as given to handle_packet */
  ice_addr remote;
  /* With a key set: true when integrity was verified.  An error response
   * without any integrity attribute and with code 400, 401, 420 or 438 is
   * still delivered (servers answer these before they can authenticate)
   * with authenticated = false (any error code with
   * accept_unauthenticated_errors); every other unauthenticated response
   * is dropped.  Without a key: false. */
  bool authenticated;
  /* Time from the FIRST send to the response.  When the request was
   * retransmitted the response cannot be tied to one send (same ID), so
   * this overestimates the path RTT; rtt_ambiguous says so (Karn). */
  uint64_t rtt_us;
  bool rtt_ambiguous;
  unsigned send_count; /* sends made before the response or timeout */
} ice_stun_txn_event;

bool ice_stun_txns_poll_event (ice_stun_txns *t, ice_stun_txn_event *out);

typedef struct
{
  uint64_t started;
  uint64_t responses;       /* accepted */
  uint64_t timeouts;
  uint64_t retransmits;
  uint64_t dropped_malformed; /* -EBADMSG from handle_packet */
  uint64_t dropped_unmatched; /* -ENOENT */
  uint64_t dropped_auth;      /* -EACCES */
} ice_stun_txn_stats;

void ice_stun_txns_stats (const ice_stun_txns *t, ice_stun_txn_stats *out);
/* Outstanding transactions (started, no event yet). */
size_t ice_stun_txns_pending (const ice_stun_txns *t);
