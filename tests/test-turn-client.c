/* The TURN client against a scripted server on a virtual clock: no
 * sockets, every reply written here with the STUN codec. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice/stun-msg.h"
#include "ice/turn-client.h"
#include "check-run.h"

#define S (UINT64_C (1000000))
#define USER "alice"
#define PASS "s3cret-pw"
#define REALM "floe.test"

typedef struct
{
  ice_turn_client *c;
  ice_addr server, local, relayed, mapped, peer, peer2;
  uint64_t now;
  /* The last request the client sent, copied out of its buffer. */
  uint8_t req_buf[4096];
  size_t req_len;
  ice_stun_msg req;
  uint8_t reply[4096];
  uint8_t key[ICE_STUN_KEY_SHA256_LEN];
  size_t keylen;
  bool sha256;
} fixture;

static fixture f;

static void
setup_with (ice_transport transport, int family)
{
  memset (&f, 0, sizeof f);
  ice_addr_set (&f.server, "192.0.2.10", 3478);
  ice_addr_set (&f.local, "10.0.0.2", 50000);
  if (family == AF_INET6)
    {
      ice_addr_set (&f.relayed, "2001:db8::10", 49152);
      ice_addr_set (&f.peer, "2001:db8::99", 40000);
      ice_addr_set (&f.peer2, "2001:db8::98", 40001);
    }
  else
    {
      ice_addr_set (&f.relayed, "192.0.2.10", 49152);
      ice_addr_set (&f.peer, "198.51.100.7", 40000);
      ice_addr_set (&f.peer2, "198.51.100.8", 40001);
    }
  ice_addr_set (&f.mapped, "203.0.113.5", 61000);
  ice_turn_config cfg = {
    .server = f.server,
    .local = f.local,
    .transport = transport,
    .username = USER,
    .password = PASS,
    .relay_family = family,
    .software = "floe-test",
  };
  f.c = ice_turn_client_new (&cfg);
  ck_assert_ptr_nonnull (f.c);
  f.now = 1000 * S;
  ck_assert_int_eq (ice_stun_key_long_term_md5 (USER, REALM, PASS, f.key), 0);
  f.keylen = ICE_STUN_KEY_MD5_LEN;
}

static void
setup (void)
{
  setup_with (ICE_TRANSPORT_UDP, AF_INET);
}

static void
teardown (void)
{
  ice_turn_client_free (f.c);
  f.c = NULL;
}

/* Takes the next transmit, which must be a request of that method. */
static void
expect_request (uint16_t method)
{
  ice_turn_transmit t;
  ck_assert_msg (ice_turn_client_poll_transmit (f.c, &t),
                 "expected a %s request", ice_stun_method_name (method));
  ck_assert (ice_addr_equal (&t.remote, &f.server));
  ck_assert (ice_addr_equal (&t.local, &f.local));
  ck_assert_uint_le (t.len, sizeof f.req_buf);
  memcpy (f.req_buf, t.data, t.len);
  f.req_len = t.len;
  ck_assert_int_eq (ice_stun_msg_parse (f.req_buf, f.req_len, &f.req), 0);
  ck_assert_int_eq (f.req.cls, ICE_STUN_CLASS_REQUEST);
  ck_assert_msg (f.req.method == method, "got %s, expected %s",
                 ice_stun_method_name (f.req.method),
                 ice_stun_method_name (method));
}

static void
expect_no_transmit (void)
{
  ice_turn_transmit t;
  ck_assert (!ice_turn_client_poll_transmit (f.c, &t));
}

/* The request must carry our credentials and a valid integrity. */
static void
expect_authenticated (const char *nonce)
{
  char buf[800];
  ck_assert_int_gt (ice_stun_msg_get_string (&f.req, ICE_STUN_ATTR_USERNAME, buf, sizeof buf), 0);
  ck_assert_str_eq (buf, USER);
  ck_assert_int_gt (ice_stun_msg_get_string (&f.req, ICE_STUN_ATTR_REALM, buf, sizeof buf), 0);
  ck_assert_str_eq (buf, REALM);
  ck_assert_int_gt (ice_stun_msg_get_string (&f.req, ICE_STUN_ATTR_NONCE, buf, sizeof buf), 0);
  ck_assert_str_eq (buf, nonce);
  if (f.sha256)
    ck_assert_int_eq (ice_stun_msg_check_integrity_sha256 (&f.req, f.key, f.keylen), 0);
  else
    ck_assert_int_eq (ice_stun_msg_check_integrity (&f.req, f.key, f.keylen), 0);
}

static int
feed (const uint8_t *data, size_t len, ice_turn_data *out)
{
  return ice_turn_client_handle_packet (f.c, f.now, &f.local, &f.server, data,
                                        len, out);
}

static void
begin_reply (ice_stun_writer *w, uint8_t cls)
{
  ice_stun_writer_init_response (w, f.reply, sizeof f.reply, &f.req, cls);
}

static int
finish_reply (ice_stun_writer *w, bool integrity)
{
  if (integrity)
    {
      if (f.sha256)
        ice_stun_add_integrity_sha256 (w, f.key, f.keylen);
      else
        ice_stun_add_integrity (w, f.key, f.keylen);
    }
  ice_stun_add_fingerprint (w);
  int len = ice_stun_writer_finish (w);
  ck_assert_int_gt (len, 0);
  return len;
}

static void
reply_challenge (int code, const char *nonce, bool with_realm)
{
  ice_stun_writer w;
  begin_reply (&w, ICE_STUN_CLASS_ERROR);
  ice_stun_add_error (&w, code, NULL);
  if (with_realm)
    ice_stun_add_string (&w, ICE_STUN_ATTR_REALM, REALM);
  ice_stun_add_string (&w, ICE_STUN_ATTR_NONCE, nonce);
  int len = finish_reply (&w, false);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
}

static void
reply_error (int code, bool integrity)
{
  ice_stun_writer w;
  begin_reply (&w, ICE_STUN_CLASS_ERROR);
  ice_stun_add_error (&w, code, NULL);
  int len = finish_reply (&w, integrity);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
}

static int
build_alloc_success (uint32_t lifetime)
{
  ice_stun_writer w;
  begin_reply (&w, ICE_STUN_CLASS_SUCCESS);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_RELAYED_ADDRESS, &f.relayed);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &f.mapped);
  ice_stun_add_u32 (&w, ICE_STUN_ATTR_LIFETIME, lifetime);
  return finish_reply (&w, true);
}

static void
reply_success (void)
{
  ice_stun_writer w;
  begin_reply (&w, ICE_STUN_CLASS_SUCCESS);
  if (f.req.method == ICE_STUN_METHOD_REFRESH)
    {
      uint32_t lifetime = 0;
      ice_stun_msg_get_u32 (&f.req, ICE_STUN_ATTR_LIFETIME, &lifetime);
      ice_stun_add_u32 (&w, ICE_STUN_ATTR_LIFETIME, lifetime ? 600 : 0);
    }
  int len = finish_reply (&w, true);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
}

static ice_turn_event
expect_event (ice_turn_event_type type)
{
  ice_turn_event e;
  ck_assert_msg (ice_turn_client_poll_event (f.c, &e), "expected event %s",
                 ice_turn_event_name (type));
  ck_assert_msg (e.type == type, "got event %s, expected %s",
                 ice_turn_event_name (e.type), ice_turn_event_name (type));
  return e;
}

static void
expect_no_event (void)
{
  ice_turn_event e;
  bool got = ice_turn_client_poll_event (f.c, &e);
  ck_assert_msg (!got, "unexpected event %s", got ? ice_turn_event_name (e.type) : "");
}

/* Allocate through the 401 challenge to ALLOCATED, lifetime 600 s. */
static void
allocate (void)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  reply_challenge (401, "nonce-1", true);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  expect_authenticated ("nonce-1");
  int len = build_alloc_success (600);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_ALLOCATED);
  ck_assert (ice_addr_equal (&e.relayed, &f.relayed));
  ck_assert_int_eq (e.lifetime_s, 600);
  expect_no_transmit ();
}

static void
advance_to (uint64_t t)
{
  f.now = t;
  ice_turn_client_handle_timeout (f.c, f.now);
}

/* ---------------------------------------------------------------- tests */

START_TEST (test_allocate_401_then_success)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), -EALREADY);
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_ALLOCATING);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  /* First Allocate: no credentials, UDP relay, IPv4 left implicit. */
  ck_assert (!ice_stun_msg_has (&f.req, ICE_STUN_ATTR_USERNAME));
  ck_assert (!ice_stun_msg_has (&f.req, ICE_STUN_ATTR_MESSAGE_INTEGRITY));
  ck_assert (!ice_stun_msg_has (&f.req, ICE_STUN_ATTR_REQUESTED_ADDRESS_FAMILY));
  const uint8_t *v;
  size_t vlen;
  ck_assert_int_eq (ice_stun_msg_get_bytes (&f.req, ICE_STUN_ATTR_REQUESTED_TRANSPORT, &v, &vlen), 0);
  ck_assert_uint_eq (vlen, 4);
  ck_assert_uint_eq (v[0], 17);
  ice_stun_txid first = f.req.txid;

  reply_challenge (401, "nonce-1", true);
  expect_no_event ();
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  ck_assert (!ice_stun_txid_equal (&first, &f.req.txid));
  expect_authenticated ("nonce-1");
  ck_assert (!ice_stun_msg_has (&f.req, ICE_STUN_ATTR_PASSWORD_ALGORITHM));

  int len = build_alloc_success (600);
  /* The same success with the wrong key is dropped and counted. */
  uint8_t bad[4096];
  memcpy (bad, f.reply, (size_t) len);
  bad[len - 30] ^= 1; /* inside the HMAC (before the fingerprint) */
  ice_stun_msg m;
  if (ice_stun_msg_parse (bad, (size_t) len, &m) == 0) /* fingerprint may catch it first */
    ck_assert_int_lt (feed (bad, (size_t) len, NULL), 0);
  expect_no_event ();
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_ALLOCATING);

  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_ALLOCATED);
  ck_assert (ice_addr_equal (&e.relayed, &f.relayed));
  ck_assert (ice_addr_equal (&e.mapped, &f.mapped));
  ck_assert_int_eq (e.lifetime_s, 600);
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_ALLOCATED);
  ck_assert (ice_addr_equal (ice_turn_client_relayed (f.c), &f.relayed));
  /* A replay of the same success matches no transaction any more. */
  ck_assert_int_lt (feed (f.reply, (size_t) len, NULL), 0);
  ice_turn_stats st;
  ice_turn_client_stats (f.c, &st);
  ck_assert_uint_eq (st.dropped_unmatched, 1);
}
END_TEST

START_TEST (test_success_without_integrity_dropped)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  reply_challenge (401, "nonce-1", true);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  ice_stun_writer w;
  begin_reply (&w, ICE_STUN_CLASS_SUCCESS);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_RELAYED_ADDRESS, &f.relayed);
  int len = finish_reply (&w, false);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), -EACCES);
  /* Integrity with another password. */
  uint8_t other[16];
  ice_stun_key_long_term_md5 (USER, REALM, "wrong", other);
  begin_reply (&w, ICE_STUN_CLASS_SUCCESS);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_RELAYED_ADDRESS, &f.relayed);
  ice_stun_add_integrity (&w, other, sizeof other);
  len = ice_stun_writer_finish (&w);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), -EACCES);
  /* An unauthenticated 437 is dropped too: only 400/401/420/438 may come
   * without integrity. */
  begin_reply (&w, ICE_STUN_CLASS_ERROR);
  ice_stun_add_error (&w, 437, NULL);
  len = ice_stun_writer_finish (&w);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), -EACCES);
  ice_turn_stats st;
  ice_turn_client_stats (f.c, &st);
  ck_assert_uint_eq (st.dropped_unauthenticated, 3);
  expect_no_event ();
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_ALLOCATING);
}
END_TEST

START_TEST (test_allocate_stale_nonce)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  reply_challenge (401, "nonce-1", true);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  expect_authenticated ("nonce-1");
  /* 438 names a new nonce (and, here, no realm: the old one holds). */
  reply_challenge (438, "nonce-2", false);
  expect_no_event ();
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  expect_authenticated ("nonce-2");
  int len = build_alloc_success (600);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
  expect_event (ICE_TURN_EVENT_ALLOCATED);
  ice_turn_stats st;
  ice_turn_client_stats (f.c, &st);
  ck_assert_uint_eq (st.stale_nonces, 1);
}
END_TEST

START_TEST (test_stale_nonce_forever_gives_up)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  reply_challenge (401, "n0", true);
  char nonce[16];
  for (int i = 1; i <= 5; i++)
    {
      expect_request (ICE_STUN_METHOD_ALLOCATE);
      snprintf (nonce, sizeof nonce, "n%d", i);
      reply_challenge (438, nonce, true);
      if (ice_turn_client_state (f.c) == ICE_TURN_STATE_FAILED)
        break;
    }
  ice_turn_event e = expect_event (ICE_TURN_EVENT_FAILED);
  ck_assert_int_eq (e.error_code, 438);
  ck_assert_ptr_nonnull (e.reason);
  expect_no_transmit ();
}
END_TEST

START_TEST (test_wrong_password)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  reply_challenge (401, "nonce-1", true);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  reply_challenge (401, "nonce-1", true);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_FAILED);
  ck_assert_int_eq (e.error_code, 401);
  ck_assert (strstr (e.reason, "password") != NULL);
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_FAILED);
  expect_no_transmit ();
}
END_TEST

START_TEST (test_alternate_server)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  ice_addr alt;
  ice_addr_set (&alt, "192.0.2.77", 3479);
  ice_stun_writer w;
  begin_reply (&w, ICE_STUN_CLASS_ERROR);
  ice_stun_add_error (&w, 300, NULL);
  ice_stun_add_addr (&w, ICE_STUN_ATTR_ALTERNATE_SERVER, &alt);
  int len = finish_reply (&w, false);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_ALTERNATE_SERVER);
  ck_assert (ice_addr_equal (&e.alternate, &alt));
  ck_assert_int_eq (e.error_code, 300);
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_FAILED);
}
END_TEST

static const int error_codes[] = { 437, 508, 441, 486, 403, 440, 442, 500 };

START_TEST (test_allocate_errors)
{
  int code = error_codes[_i];
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  reply_challenge (401, "nonce-1", true);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  reply_error (code, true);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_FAILED);
  ck_assert_int_eq (e.error_code, code);
  ck_assert_ptr_nonnull (e.reason);
  ck_assert_str_ne (e.reason, ice_turn_error_meaning (999));
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_FAILED);
  /* Nothing can be asked of a failed client. */
  ck_assert_int_eq (ice_turn_client_create_permission (f.c, f.now, &f.peer), -ENOTCONN);
}
END_TEST

START_TEST (test_timeout_udp)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  uint64_t start = f.now;
  int sends = 0;
  ice_turn_transmit t;
  while (ice_turn_client_state (f.c) == ICE_TURN_STATE_ALLOCATING)
    {
      while (ice_turn_client_poll_transmit (f.c, &t))
        sends++;
      uint64_t next = ice_turn_client_next_timeout (f.c);
      ck_assert_uint_ne (next, UINT64_MAX);
      ck_assert_uint_gt (next, f.now);
      advance_to (next);
    }
  ck_assert_int_eq (sends, 7); /* RFC 8489 Rc */
  ck_assert_uint_eq (f.now - start, 39500 * UINT64_C (1000));
  ice_turn_event e = expect_event (ICE_TURN_EVENT_FAILED);
  ck_assert_int_eq (e.error_code, ICE_TURN_ERR_TIMEOUT);
}
END_TEST

START_TEST (test_timeout_tcp_no_retransmit)
{
  teardown ();
  setup_with (ICE_TRANSPORT_TCP, AF_INET);
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  expect_no_transmit ();
  advance_to (f.now + 39 * S);
  expect_no_transmit ();
  expect_no_event ();
  advance_to (ice_turn_client_next_timeout (f.c));
  expect_no_transmit ();
  ice_turn_event e = expect_event (ICE_TURN_EVENT_FAILED);
  ck_assert_int_eq (e.error_code, ICE_TURN_ERR_TIMEOUT);
}
END_TEST

START_TEST (test_refresh)
{
  uint64_t t0 = f.now;
  allocate ();
  /* Refresh 60 s before the 600 s lifetime ends. */
  ck_assert_uint_eq (ice_turn_client_next_timeout (f.c), t0 + 540 * S);
  advance_to (t0 + 539 * S);
  expect_no_transmit ();
  advance_to (t0 + 540 * S);
  expect_request (ICE_STUN_METHOD_REFRESH);
  expect_authenticated ("nonce-1");
  uint32_t lifetime;
  ck_assert_int_eq (ice_stun_msg_get_u32 (&f.req, ICE_STUN_ATTR_LIFETIME, &lifetime), 0);
  ck_assert_uint_eq (lifetime, 600);
  /* Stale nonce on the refresh: again with the new one. */
  reply_challenge (438, "nonce-2", true);
  expect_request (ICE_STUN_METHOD_REFRESH);
  expect_authenticated ("nonce-2");
  f.now += 1 * S;
  reply_success ();
  ice_turn_event e = expect_event (ICE_TURN_EVENT_REFRESHED);
  ck_assert_uint_eq (e.lifetime_s, 600);
  ck_assert_uint_eq (ice_turn_client_next_timeout (f.c), t0 + 1080 * S);
  advance_to (t0 + 1080 * S);
  expect_request (ICE_STUN_METHOD_REFRESH);
  expect_authenticated ("nonce-2");
}
END_TEST

START_TEST (test_refresh_failure)
{
  uint64_t t0 = f.now;
  allocate ();
  advance_to (t0 + 540 * S);
  expect_request (ICE_STUN_METHOD_REFRESH);
  reply_error (437, true);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_FAILED);
  ck_assert_int_eq (e.error_code, 437);
  ck_assert (strstr (e.reason, "mismatch") != NULL);
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_FAILED);
  ck_assert_uint_eq (ice_turn_client_next_timeout (f.c), UINT64_MAX);
}
END_TEST

START_TEST (test_refresh_unanswered_expires)
{
  uint64_t t0 = f.now;
  allocate ();
  advance_to (t0 + 540 * S);
  /* Nobody answers: retransmissions, a second try, then expiry. */
  while (ice_turn_client_state (f.c) == ICE_TURN_STATE_ALLOCATED)
    {
      ice_turn_transmit t;
      while (ice_turn_client_poll_transmit (f.c, &t))
        ;
      uint64_t next = ice_turn_client_next_timeout (f.c);
      ck_assert_uint_le (next, t0 + 600 * S);
      advance_to (next);
    }
  ck_assert_uint_eq (f.now, t0 + 600 * S);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_FAILED);
  ck_assert_int_eq (e.error_code, ICE_TURN_ERR_TIMEOUT);
}
END_TEST

START_TEST (test_permission_refresh_timing)
{
  uint64_t t0 = f.now;
  allocate ();
  ck_assert_int_eq (ice_turn_client_create_permission (f.c, f.now, &f.peer), 0);
  ck_assert_int_eq (ice_turn_client_create_permission (f.c, f.now, &f.peer), 0);
  expect_request (ICE_STUN_METHOD_CREATE_PERMISSION);
  expect_no_transmit (); /* the second call was a no-op */
  expect_authenticated ("nonce-1");
  ice_addr got;
  ck_assert_int_eq (ice_stun_msg_get_xor_addr (&f.req, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &got), 0);
  ck_assert (ice_addr_equal_ip (&got, &f.peer));
  reply_success ();
  ice_turn_event e = expect_event (ICE_TURN_EVENT_PERMISSION_CREATED);
  ck_assert (ice_addr_equal_ip (&e.peer, &f.peer));

  /* Refreshed every 4 minutes, well inside the 5-minute lifetime, for as
   * long as the allocation lives (allocation refreshes in between). */
  uint64_t due = t0 + 240 * S;
  for (int round = 0; round < 4; round++)
    {
      ck_assert_uint_le (ice_turn_client_next_timeout (f.c), due);
      /* Step through the timers before it: only allocation refreshes. */
      while (ice_turn_client_next_timeout (f.c) < due)
        {
          advance_to (ice_turn_client_next_timeout (f.c));
          expect_request (ICE_STUN_METHOD_REFRESH);
          reply_success ();
          expect_event (ICE_TURN_EVENT_REFRESHED);
        }
      advance_to (due - 1);
      expect_no_transmit ();
      advance_to (due);
      expect_request (ICE_STUN_METHOD_CREATE_PERMISSION);
      ck_assert_uint_lt (due - t0, (uint64_t) (round + 1) * 300 * S);
      reply_success ();
      expect_no_event (); /* a refresh is not news */
      due += 240 * S;
    }
}
END_TEST

START_TEST (test_permission_failure)
{
  allocate ();
  ck_assert_int_eq (ice_turn_client_create_permission (f.c, f.now, &f.peer), 0);
  expect_request (ICE_STUN_METHOD_CREATE_PERMISSION);
  reply_error (403, true);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_PERMISSION_FAILED);
  ck_assert_int_eq (e.error_code, 403);
  ck_assert (ice_addr_equal_ip (&e.peer, &f.peer));
  /* The allocation itself is fine. */
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_ALLOCATED);
  /* A peer of the other family is refused up front. */
  ice_addr v6;
  ice_addr_set (&v6, "2001:db8::1", 1);
  ck_assert_int_eq (ice_turn_client_create_permission (f.c, f.now, &v6), -EINVAL);
}
END_TEST

START_TEST (test_permission_before_allocation)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  ck_assert_int_eq (ice_turn_client_create_permission (f.c, f.now, &f.peer), 0);
  int ch = ice_turn_client_bind_channel (f.c, f.now, &f.peer2);
  ck_assert_int_eq (ch, 0x4000);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  expect_no_transmit ();
  reply_challenge (401, "nonce-1", true);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  int len = build_alloc_success (600);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
  expect_event (ICE_TURN_EVENT_ALLOCATED);
  expect_request (ICE_STUN_METHOD_CREATE_PERMISSION);
  reply_success ();
  expect_event (ICE_TURN_EVENT_PERMISSION_CREATED);
  expect_request (ICE_STUN_METHOD_CHANNEL_BIND);
  reply_success ();
  ice_turn_event e = expect_event (ICE_TURN_EVENT_CHANNEL_BOUND);
  ck_assert_uint_eq (e.channel, 0x4000);
}
END_TEST

START_TEST (test_channel_bind_and_refresh)
{
  uint64_t t0 = f.now;
  allocate ();
  int ch = ice_turn_client_bind_channel (f.c, f.now, &f.peer);
  ck_assert_int_eq (ch, 0x4000);
  ck_assert_int_eq (ice_turn_client_bind_channel (f.c, f.now, &f.peer), 0x4000);
  ck_assert_int_eq (ice_turn_client_bind_channel (f.c, f.now, &f.peer2), 0x4001);
  expect_request (ICE_STUN_METHOD_CHANNEL_BIND);
  uint16_t num;
  ice_addr got;
  ck_assert_int_eq (ice_stun_msg_get_channel_number (&f.req, &num), 0);
  ck_assert_uint_eq (num, 0x4000);
  ck_assert_int_eq (ice_stun_msg_get_xor_addr (&f.req, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &got), 0);
  ck_assert (ice_addr_equal (&got, &f.peer));
  expect_authenticated ("nonce-1");
  uint8_t save[4096];
  size_t save_len = f.req_len;
  memcpy (save, f.req_buf, f.req_len);

  expect_request (ICE_STUN_METHOD_CHANNEL_BIND);
  reply_error (400, true);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_CHANNEL_FAILED);
  ck_assert_uint_eq (e.channel, 0x4001);

  /* Until the server confirms, data goes in Send indications. */
  uint8_t out[256];
  const uint8_t payload[] = "hello";
  ck_assert_uint_eq (ice_turn_client_channel (f.c, &f.peer), 0);
  int n = ice_turn_client_send (f.c, &f.peer, payload, 5, out, sizeof out);
  ck_assert_int_gt (n, 0);
  ice_stun_msg m;
  ck_assert_int_eq (ice_stun_msg_parse (out, (size_t) n, &m), 0);
  ck_assert_int_eq (m.method, ICE_STUN_METHOD_SEND);
  ck_assert_int_eq (m.cls, ICE_STUN_CLASS_INDICATION);
  const uint8_t *d;
  size_t dlen;
  ck_assert_int_eq (ice_stun_msg_get_bytes (&m, ICE_STUN_ATTR_DATA, &d, &dlen), 0);
  ck_assert_uint_eq (dlen, 5);
  ck_assert_mem_eq (d, payload, 5);

  memcpy (f.req_buf, save, save_len);
  f.req_len = save_len;
  ice_stun_msg_parse (f.req_buf, f.req_len, &f.req);
  reply_success ();
  e = expect_event (ICE_TURN_EVENT_CHANNEL_BOUND);
  ck_assert_uint_eq (e.channel, 0x4000);
  ck_assert (ice_addr_equal (&e.peer, &f.peer));
  ck_assert_uint_eq (ice_turn_client_channel (f.c, &f.peer), 0x4000);

  /* Now ChannelData, unpadded over UDP. */
  n = ice_turn_client_send (f.c, &f.peer, payload, 5, out, sizeof out);
  ck_assert_int_eq (n, 9);
  ck_assert_uint_eq (out[0], 0x40);
  ck_assert_uint_eq (out[1], 0x00);
  ck_assert_uint_eq (out[3], 5);
  ck_assert_mem_eq (out + 4, payload, 5);

  /* Channel refresh at 9 minutes, before the 10-minute lifetime; the
   * allocation refresh at 540 s too. */
  ck_assert_uint_eq (ice_turn_client_next_timeout (f.c), t0 + 540 * S);
  advance_to (t0 + 540 * S);
  bool saw_bind = false, saw_refresh = false;
  ice_turn_transmit t;
  while (ice_turn_client_poll_transmit (f.c, &t))
    {
      memcpy (f.req_buf, t.data, t.len);
      ck_assert_int_eq (ice_stun_msg_parse (f.req_buf, t.len, &f.req), 0);
      if (f.req.method == ICE_STUN_METHOD_CHANNEL_BIND)
        {
          saw_bind = true;
          ck_assert_int_eq (ice_stun_msg_get_channel_number (&f.req, &num), 0);
          ck_assert_uint_eq (num, 0x4000);
        }
      else
        saw_refresh = f.req.method == ICE_STUN_METHOD_REFRESH;
      reply_success ();
    }
  ck_assert (saw_bind && saw_refresh);
  expect_event (ICE_TURN_EVENT_REFRESHED);
  expect_no_event ();
}
END_TEST

START_TEST (test_channel_refresh_failure)
{
  uint64_t t0 = f.now;
  allocate ();
  ice_turn_client_bind_channel (f.c, f.now, &f.peer);
  expect_request (ICE_STUN_METHOD_CHANNEL_BIND);
  reply_success ();
  expect_event (ICE_TURN_EVENT_CHANNEL_BOUND);
  advance_to (t0 + 540 * S);
  ice_turn_transmit t;
  while (ice_turn_client_poll_transmit (f.c, &t))
    {
      memcpy (f.req_buf, t.data, t.len);
      ck_assert_int_eq (ice_stun_msg_parse (f.req_buf, t.len, &f.req), 0);
      if (f.req.method == ICE_STUN_METHOD_CHANNEL_BIND)
        reply_error (403, true);
      else
        reply_success ();
    }
  ice_turn_event e;
  bool failed = false;
  while (ice_turn_client_poll_event (f.c, &e))
    failed |= e.type == ICE_TURN_EVENT_CHANNEL_FAILED && e.channel == 0x4000;
  ck_assert (failed);
  ck_assert_uint_eq (ice_turn_client_channel (f.c, &f.peer), 0);
  /* Data falls back to Send indications. */
  uint8_t out[128];
  int n = ice_turn_client_send (f.c, &f.peer, (const uint8_t *) "x", 1, out, sizeof out);
  ck_assert_int_gt (n, 0);
  ck_assert (ice_stun_is_message (out, (size_t) n));
}
END_TEST

static int
build_data_indication (const ice_addr *peer, const uint8_t *payload,
                       size_t len, uint8_t *buf, size_t cap)
{
  ice_stun_writer w;
  ice_stun_writer_init (&w, buf, cap, ICE_STUN_METHOD_DATA,
                        ICE_STUN_CLASS_INDICATION, NULL);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_PEER_ADDRESS, peer);
  ice_stun_add_bytes (&w, ICE_STUN_ATTR_DATA, payload, len);
  return ice_stun_writer_finish (&w);
}

START_TEST (test_inbound_data)
{
  allocate ();
  ice_turn_client_create_permission (f.c, f.now, &f.peer);
  expect_request (ICE_STUN_METHOD_CREATE_PERMISSION);
  reply_success ();
  ice_turn_client_bind_channel (f.c, f.now, &f.peer2);
  expect_request (ICE_STUN_METHOD_CHANNEL_BIND);
  reply_success ();

  uint8_t buf[256];
  const uint8_t payload[] = { 1, 2, 3, 4, 5, 6, 7 };
  ice_turn_data d;
  int n = build_data_indication (&f.peer, payload, sizeof payload, buf, sizeof buf);
  ck_assert_int_eq (feed (buf, (size_t) n, &d), 1);
  ck_assert (ice_addr_equal (&d.peer, &f.peer));
  ck_assert_uint_eq (d.len, sizeof payload);
  ck_assert_mem_eq (d.data, payload, sizeof payload);
  ck_assert_uint_eq (d.channel, 0);

  /* The same from another address is not ours to judge. */
  ice_addr other;
  ice_addr_set (&other, "192.0.2.11", 3478);
  ck_assert_int_eq (ice_turn_client_handle_packet (f.c, f.now, &f.local, &other, buf, (size_t) n, &d), -ENOENT);

  /* A peer with no permission is dropped. */
  ice_addr stranger;
  ice_addr_set (&stranger, "198.51.100.200", 1);
  n = build_data_indication (&stranger, payload, sizeof payload, buf, sizeof buf);
  ck_assert_int_lt (feed (buf, (size_t) n, &d), 0);

  /* ChannelData on the bound channel, padded or not. */
  n = ice_turn_channel_data_write (0x4000, payload, sizeof payload, true, buf, sizeof buf);
  ck_assert_int_eq (n, 12);
  ck_assert_int_eq (feed (buf, (size_t) n, &d), 1);
  ck_assert (ice_addr_equal (&d.peer, &f.peer2));
  ck_assert_uint_eq (d.len, sizeof payload);
  ck_assert_mem_eq (d.data, payload, sizeof payload);
  ck_assert_uint_eq (d.channel, 0x4000);
  ck_assert_int_eq (feed (buf, 11, &d), 1);
  /* On a channel we never bound. */
  n = ice_turn_channel_data_write (0x4321, payload, sizeof payload, false, buf, sizeof buf);
  ck_assert_int_lt (feed (buf, (size_t) n, &d), 0);

  /* A request or a stray Send indication from the server is dropped. */
  ice_stun_writer w;
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_SEND, ICE_STUN_CLASS_INDICATION, NULL);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &f.peer);
  n = ice_stun_writer_finish (&w);
  ck_assert_int_lt (feed (buf, (size_t) n, &d), 0);
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_REQUEST, NULL);
  n = ice_stun_writer_finish (&w);
  ck_assert_int_lt (feed (buf, (size_t) n, &d), 0);

  ice_turn_stats st;
  ice_turn_client_stats (f.c, &st);
  ck_assert_uint_eq (st.data_in, 3);
  ck_assert_uint_eq (st.dropped_unknown_peer, 1);
  ck_assert_uint_eq (st.dropped_unknown_channel, 1);
  ck_assert_uint_eq (st.dropped_malformed, 2);
}
END_TEST

/* Every inbound message kind, cut at every length, is refused cleanly
 * (the sanitizer build catches any read past the end). */
START_TEST (test_inbound_truncations)
{
  allocate ();
  ice_turn_client_create_permission (f.c, f.now, &f.peer);
  expect_request (ICE_STUN_METHOD_CREATE_PERMISSION);
  uint8_t perm_req[4096];
  size_t perm_len = f.req_len;
  memcpy (perm_req, f.req_buf, perm_len);
  ice_turn_client_bind_channel (f.c, f.now, &f.peer2);
  expect_request (ICE_STUN_METHOD_CHANNEL_BIND);
  reply_success ();

  uint8_t msgs[4][512];
  size_t lens[4];
  const uint8_t payload[] = "some payload bytes";
  lens[0] = (size_t) build_data_indication (&f.peer, payload, sizeof payload, msgs[0], 512);
  lens[1] = (size_t) ice_turn_channel_data_write (0x4000, payload, sizeof payload, true, msgs[1], 512);
  memcpy (f.req_buf, perm_req, perm_len);
  ice_stun_msg_parse (f.req_buf, perm_len, &f.req);
  ice_stun_writer w;
  begin_reply (&w, ICE_STUN_CLASS_SUCCESS);
  lens[2] = (size_t) finish_reply (&w, true);
  memcpy (msgs[2], f.reply, lens[2]);
  begin_reply (&w, ICE_STUN_CLASS_ERROR);
  ice_stun_add_error (&w, 438, NULL);
  ice_stun_add_string (&w, ICE_STUN_ATTR_NONCE, "nonce-x");
  lens[3] = (size_t) finish_reply (&w, false);
  memcpy (msgs[3], f.reply, lens[3]);

  for (int k = 0; k < 4; k++)
    for (size_t cut = 0; cut < lens[k]; cut++)
      {
        /* An exact-size heap copy so ASan sees any overread. */
        uint8_t *p = malloc (cut ? cut : 1);
        memcpy (p, msgs[k], cut);
        ice_turn_data d;
        int r = ice_turn_client_handle_packet (f.c, f.now, &f.local, &f.server, p, cut, &d);
        /* ChannelData stays readable only while the payload fits. */
        if (k == 1 && cut >= 4 + sizeof payload)
          ck_assert_int_eq (r, 1);
        else
          ck_assert_msg (r < 0, "kind %d cut %zu accepted", k, cut);
        free (p);
      }
  /* The intact permission success still completes its transaction. */
  ck_assert_int_eq (feed (msgs[2], lens[2], NULL), 0);
  expect_event (ICE_TURN_EVENT_CHANNEL_BOUND);
  expect_event (ICE_TURN_EVENT_PERMISSION_CREATED);
}
END_TEST

/* Random byte mutations of every inbound kind: nothing crashes or reads
 * outside the packet, and a response changed anywhere integrity covers
 * never completes a request. */
START_TEST (test_inbound_mutations)
{
  allocate ();
  ice_turn_client_create_permission (f.c, f.now, &f.peer);
  expect_request (ICE_STUN_METHOD_CREATE_PERMISSION);
  ice_turn_client_bind_channel (f.c, f.now, &f.peer2);
  ice_turn_transmit t;
  ck_assert (ice_turn_client_poll_transmit (f.c, &t)); /* the ChannelBind, unanswered */

  uint8_t msgs[3][512];
  size_t lens[3];
  const uint8_t payload[] = "mutate me, mutate me, mutate me";
  lens[0] = (size_t) build_data_indication (&f.peer, payload, sizeof payload, msgs[0], 512);
  lens[1] = (size_t) ice_turn_channel_data_write (0x4000, payload, sizeof payload, false, msgs[1], 512);
  ice_stun_writer w;
  begin_reply (&w, ICE_STUN_CLASS_SUCCESS);
  lens[2] = (size_t) finish_reply (&w, true);
  memcpy (msgs[2], f.reply, lens[2]);

  uint32_t seed = 0x5EED1234u;
  for (int i = 0; i < 30000; i++)
    {
      int k = i % 3;
      uint8_t *p = malloc (lens[k]);
      memcpy (p, msgs[k], lens[k]);
      seed = seed * 1103515245u + 12345u;
      int flips = 1 + (int) ((seed >> 16) % 4);
      /* Bytes up to MESSAGE-INTEGRITY are covered by it; a changed
       * FINGERPRINT type turns it into an ignored trailing attribute. */
      bool covered = false;
      for (int j = 0; j < flips; j++)
        {
          seed = seed * 1103515245u + 12345u;
          size_t at = (seed >> 8) % lens[k];
          uint8_t v = (uint8_t) (seed >> 24);
          covered |= p[at] != v && at < lens[k] - 8;
          p[at] = v;
        }
      ice_turn_data d;
      int r = ice_turn_client_handle_packet (f.c, f.now, &f.local, &f.server, p, lens[k], &d);
      if (r == 1)
        {
          ck_assert (d.data >= p && d.data + d.len <= p + lens[k]);
        }
      if (k == 2 && covered)
        ck_assert_msg (r != 0, "mutated response accepted at iteration %d", i);
      free (p);
    }
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_ALLOCATED);
  /* The intact response completes the permission, unless a harmless
   * mutation (after the integrity) already did. */
  int r = feed (msgs[2], lens[2], NULL);
  ck_assert (r == 0 || r == -ENOENT);
  expect_event (ICE_TURN_EVENT_PERMISSION_CREATED);
}
END_TEST

START_TEST (test_connection_lost)
{
  teardown ();
  setup_with (ICE_TRANSPORT_TLS, AF_INET);
  allocate ();
  ice_turn_client_connection_lost (f.c);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_FAILED);
  ck_assert_int_eq (e.error_code, ICE_TURN_ERR_CONNECTION);
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_FAILED);
  ice_turn_client_connection_lost (f.c);
  expect_no_event ();
}
END_TEST

START_TEST (test_close_deallocates)
{
  allocate ();
  ice_turn_client_close (f.c, f.now);
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_CLOSING);
  expect_request (ICE_STUN_METHOD_REFRESH);
  expect_authenticated ("nonce-1");
  uint32_t lifetime = 99;
  ck_assert_int_eq (ice_stun_msg_get_u32 (&f.req, ICE_STUN_ATTR_LIFETIME, &lifetime), 0);
  ck_assert_uint_eq (lifetime, 0);
  ice_turn_client_close (f.c, f.now); /* idempotent */
  expect_no_transmit ();
  reply_success ();
  expect_event (ICE_TURN_EVENT_CLOSED);
  ck_assert_int_eq (ice_turn_client_state (f.c), ICE_TURN_STATE_CLOSED);
  uint8_t out[64];
  ck_assert_int_eq (ice_turn_client_send (f.c, &f.peer, out, 1, out, sizeof out), -ENOTCONN);
}
END_TEST

START_TEST (test_close_while_allocating)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  reply_challenge (401, "nonce-1", true);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  ice_turn_client_close (f.c, f.now);
  /* The Allocate succeeds after all: it is torn down at once. */
  int len = build_alloc_success (600);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
  expect_event (ICE_TURN_EVENT_ALLOCATED);
  expect_request (ICE_STUN_METHOD_REFRESH);
  uint32_t lifetime = 99;
  ice_stun_msg_get_u32 (&f.req, ICE_STUN_ATTR_LIFETIME, &lifetime);
  ck_assert_uint_eq (lifetime, 0);
  reply_success ();
  expect_event (ICE_TURN_EVENT_CLOSED);
}
END_TEST

START_TEST (test_ipv6_relay)
{
  teardown ();
  setup_with (ICE_TRANSPORT_UDP, AF_INET6);
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  int fam = 0;
  ck_assert_int_eq (ice_stun_msg_get_address_family (&f.req, ICE_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, &fam), 0);
  ck_assert_int_eq (fam, AF_INET6);
  reply_challenge (401, "nonce-1", true);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  int len = build_alloc_success (600);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_ALLOCATED);
  ck_assert_int_eq (e.relayed.family, AF_INET6);
  ck_assert_int_eq (ice_turn_client_create_permission (f.c, f.now, &f.peer), 0);
  expect_request (ICE_STUN_METHOD_CREATE_PERMISSION);
  ice_addr got;
  ice_stun_msg_get_xor_addr (&f.req, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &got);
  ck_assert (ice_addr_equal_ip (&got, &f.peer));
}
END_TEST

/* A success without a relayed address, or with one of the wrong family,
 * cannot be used. */
START_TEST (test_unusable_success)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  reply_challenge (401, "nonce-1", true);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  ice_stun_writer w;
  begin_reply (&w, ICE_STUN_CLASS_SUCCESS);
  if (_i == 1)
    {
      ice_addr v6;
      ice_addr_set (&v6, "2001:db8::5", 5000);
      ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_RELAYED_ADDRESS, &v6);
    }
  ice_stun_add_u32 (&w, ICE_STUN_ATTR_LIFETIME, 600);
  int len = finish_reply (&w, true);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
  ice_turn_event e = expect_event (ICE_TURN_EVENT_FAILED);
  ck_assert_int_eq (e.error_code, ICE_TURN_ERR_PROTOCOL);
}
END_TEST

START_TEST (test_sha256_password_algorithm)
{
  ck_assert_int_eq (ice_turn_client_allocate (f.c, f.now), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  ice_stun_writer w;
  begin_reply (&w, ICE_STUN_CLASS_ERROR);
  ice_stun_add_error (&w, 401, NULL);
  ice_stun_add_string (&w, ICE_STUN_ATTR_REALM, REALM);
  ice_stun_add_string (&w, ICE_STUN_ATTR_NONCE, "obMatJos2AAACnonce");
  const uint16_t algs[] = { ICE_STUN_PASSWORD_ALG_MD5, ICE_STUN_PASSWORD_ALG_SHA256 };
  ice_stun_add_password_algorithms (&w, algs, 2);
  int len = finish_reply (&w, false);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);

  f.sha256 = true;
  f.keylen = ICE_STUN_KEY_SHA256_LEN;
  ck_assert_int_eq (ice_stun_key_long_term_sha256 (USER, REALM, PASS, f.key), 0);
  expect_request (ICE_STUN_METHOD_ALLOCATE);
  expect_authenticated ("obMatJos2AAACnonce");
  uint16_t alg = 0;
  ck_assert_int_eq (ice_stun_msg_get_password_algorithm (&f.req, &alg), 0);
  ck_assert_uint_eq (alg, ICE_STUN_PASSWORD_ALG_SHA256);
  uint16_t echoed[4];
  ck_assert_int_eq (ice_stun_msg_get_password_algorithms (&f.req, echoed, 4), 2);
  len = build_alloc_success (600);
  ck_assert_int_eq (feed (f.reply, (size_t) len, NULL), 0);
  expect_event (ICE_TURN_EVENT_ALLOCATED);
}
END_TEST

START_TEST (test_tcp_channel_padding)
{
  teardown ();
  setup_with (ICE_TRANSPORT_TCP, AF_INET);
  allocate ();
  ice_turn_client_bind_channel (f.c, f.now, &f.peer);
  expect_request (ICE_STUN_METHOD_CHANNEL_BIND);
  reply_success ();
  expect_event (ICE_TURN_EVENT_CHANNEL_BOUND);
  uint8_t out[64];
  memset (out, 0xEE, sizeof out);
  int n = ice_turn_client_send (f.c, &f.peer, (const uint8_t *) "abcde", 5, out, sizeof out);
  ck_assert_int_eq (n, 12);
  ck_assert_uint_eq (out[3], 5);
  ck_assert_uint_eq (out[9], 0);
  ck_assert_uint_eq (out[11], 0);
  ck_assert_int_eq (ice_turn_stream_frame_len (out, (size_t) n), 12);
  ck_assert_int_eq (ice_turn_client_send (f.c, &f.peer, out, 5, out, 8), -ENOBUFS);
}
END_TEST

START_TEST (test_channel_data_codec)
{
  uint8_t buf[80];
  const uint8_t p[] = { 9, 8, 7, 6, 5 };
  ck_assert_int_eq (ice_turn_channel_data_write (0x3FFF, p, 5, false, buf, sizeof buf), -EINVAL);
  ck_assert_int_eq (ice_turn_channel_data_write (0x8000, p, 5, false, buf, sizeof buf), -EINVAL);
  ck_assert_int_eq (ice_turn_channel_data_write (0x4000, p, 5, false, buf, 8), -ENOBUFS);
  ck_assert_int_eq (ice_turn_channel_data_write (0x4000, p, 5, true, buf, 11), -ENOBUFS);
  for (size_t len = 0; len <= 9; len++)
    {
      int n = ice_turn_channel_data_write (0x7FFF, p, len > 5 ? 5 : len, true, buf, sizeof buf);
      ck_assert_int_eq (n % 4, 0);
    }
  ck_assert_int_eq (ice_turn_channel_data_write (0x4000, NULL, 0, true, buf, sizeof buf), 4);
  int n = ice_turn_channel_data_write (0x4ABC, p, 5, true, buf, sizeof buf);
  ck_assert_int_eq (n, 12);
  uint16_t ch;
  const uint8_t *pl;
  size_t pl_len;
  ck_assert_int_eq (ice_turn_channel_data_parse (buf, (size_t) n, &ch, &pl, &pl_len), 0);
  ck_assert_uint_eq (ch, 0x4ABC);
  ck_assert_uint_eq (pl_len, 5);
  ck_assert_mem_eq (pl, p, 5);
  /* Every truncation that cuts the payload is refused. */
  for (size_t cut = 0; cut < 9; cut++)
    {
      uint8_t *c = malloc (cut ? cut : 1);
      memcpy (c, buf, cut);
      ck_assert_int_eq (ice_turn_channel_data_parse (c, cut, &ch, &pl, &pl_len), -EBADMSG);
      free (c);
    }
  buf[0] = 0x80;
  ck_assert_int_eq (ice_turn_channel_data_parse (buf, (size_t) n, &ch, &pl, &pl_len), -EBADMSG);
  buf[0] = 0x3F;
  ck_assert_int_eq (ice_turn_channel_data_parse (buf, (size_t) n, &ch, &pl, &pl_len), -EBADMSG);
}
END_TEST

START_TEST (test_stream_framing)
{
  /* A byte stream: STUN message, padded ChannelData, STUN message. */
  uint8_t stream[512];
  size_t len = 0;
  ice_stun_writer w;
  ice_stun_writer_init (&w, stream, sizeof stream, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_add_string (&w, ICE_STUN_ATTR_SOFTWARE, "abc");
  int a = ice_stun_writer_finish (&w);
  len += (size_t) a;
  int b = ice_turn_channel_data_write (0x4001, (const uint8_t *) "xyzzy!", 6, true, stream + len, sizeof stream - len);
  ck_assert_int_eq (b, 12);
  len += (size_t) b;
  ice_stun_writer_init (&w, stream + len, sizeof stream - len, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_REQUEST, NULL);
  int c = ice_stun_writer_finish (&w);
  len += (size_t) c;
  const int sizes[] = { a, b, c };

  /* Fed byte by byte, the framer must say "need more" until a frame is
   * whole, then its exact length. */
  size_t start = 0;
  for (int k = 0; k < 3; k++)
    {
      for (size_t have = 0; have < (size_t) sizes[k]; have++)
        {
          int r = ice_turn_stream_frame_len (stream + start, have);
          ck_assert_msg (r == 0 || r == sizes[k], "frame %d with %zu bytes: %d", k, have, r);
        }
      ck_assert_int_eq (ice_turn_stream_frame_len (stream + start, (size_t) sizes[k]), sizes[k]);
      start += (size_t) sizes[k];
    }
  ck_assert_uint_eq (start, len);
  /* Garbage first bytes cannot be resynchronised. */
  const uint8_t junk1[] = { 0x80, 0, 0, 0 };
  const uint8_t junk2[] = { 0xC0, 0, 0, 0 };
  uint8_t bad_cookie[20] = { 0, 1, 0, 0, 1, 2, 3, 4 };
  uint8_t bad_len[20] = { 0, 1, 0, 3, 0x21, 0x12, 0xA4, 0x42 };
  ck_assert_int_eq (ice_turn_stream_frame_len (junk1, 4), -EBADMSG);
  ck_assert_int_eq (ice_turn_stream_frame_len (junk2, 1), -EBADMSG);
  ck_assert_int_eq (ice_turn_stream_frame_len (bad_cookie, 20), -EBADMSG);
  ck_assert_int_eq (ice_turn_stream_frame_len (bad_len, 20), -EBADMSG);
  ck_assert_int_eq (ice_turn_stream_frame_len (NULL, 0), 0);
}
END_TEST

START_TEST (test_bad_config)
{
  ice_turn_config cfg = { .username = "u", .password = "p" };
  ck_assert_ptr_null (ice_turn_client_new (&cfg)); /* no server */
  ice_addr_set (&cfg.server, "127.0.0.1", 3478);
  cfg.relay_family = 99;
  ck_assert_ptr_null (ice_turn_client_new (&cfg));
  cfg.relay_family = 0;
  cfg.password = NULL;
  ck_assert_ptr_null (ice_turn_client_new (&cfg));
  ck_assert_ptr_null (ice_turn_client_new (NULL));
}
END_TEST

static Suite *
turn_suite (void)
{
  Suite *s = suite_create ("turn-client");
  TCase *tc = tcase_create ("scripted");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_allocate_401_then_success);
  tcase_add_test (tc, test_success_without_integrity_dropped);
  tcase_add_test (tc, test_allocate_stale_nonce);
  tcase_add_test (tc, test_stale_nonce_forever_gives_up);
  tcase_add_test (tc, test_wrong_password);
  tcase_add_test (tc, test_alternate_server);
  tcase_add_loop_test (tc, test_allocate_errors, 0,
                       (int) (sizeof error_codes / sizeof error_codes[0]));
  tcase_add_test (tc, test_timeout_udp);
  tcase_add_test (tc, test_timeout_tcp_no_retransmit);
  tcase_add_test (tc, test_refresh);
  tcase_add_test (tc, test_refresh_failure);
  tcase_add_test (tc, test_refresh_unanswered_expires);
  tcase_add_test (tc, test_permission_refresh_timing);
  tcase_add_test (tc, test_permission_failure);
  tcase_add_test (tc, test_permission_before_allocation);
  tcase_add_test (tc, test_channel_bind_and_refresh);
  tcase_add_test (tc, test_channel_refresh_failure);
  tcase_add_test (tc, test_inbound_data);
  tcase_add_test (tc, test_inbound_truncations);
  tcase_add_test (tc, test_inbound_mutations);
  tcase_add_test (tc, test_connection_lost);
  tcase_add_test (tc, test_close_deallocates);
  tcase_add_test (tc, test_close_while_allocating);
  tcase_add_test (tc, test_ipv6_relay);
  tcase_add_loop_test (tc, test_unusable_success, 0, 2);
  tcase_add_test (tc, test_sha256_password_algorithm);
  tcase_add_test (tc, test_tcp_channel_padding);
  tcase_add_test (tc, test_bad_config);
  suite_add_tcase (s, tc);

  TCase *codec = tcase_create ("channel-data");
  tcase_add_test (codec, test_channel_data_codec);
  tcase_add_test (codec, test_stream_framing);
  suite_add_tcase (s, codec);
  return s;
}

int
main (void)
{
  return floe_check_run (turn_suite ());
}
