/* STUN client transactions on a virtual clock: the RFC 8489 retransmission
 * schedule over UDP, the single timeout over TCP, and response matching by
 * transaction ID and integrity. */
#include "ice/stun-txn.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "check-run.h"

#define MS 1000ull

static const char key[] = "short-term-password";

/* A Binding request with a fresh ID, optionally signed. */
static size_t
make_request (uint8_t *buf, size_t cap, ice_stun_txid *id, bool sign)
{
  ice_stun_writer w;
  ice_stun_writer_init (&w, buf, cap, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_writer_txid (&w, id);
  ice_stun_add_string (&w, ICE_STUN_ATTR_USERNAME, "a:b");
  ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, 1);
  if (sign)
    ice_stun_add_integrity (&w, key, strlen (key));
  ice_stun_add_fingerprint (&w);
  int n = ice_stun_writer_finish (&w);
  ck_assert_int_gt (n, 0);
  return (size_t) n;
}

/* A Binding response for id; signkey NULL means no integrity. */
static size_t
make_response (uint8_t *buf, size_t cap, const ice_stun_txid *id, uint8_t cls,
               int error, const char *signkey)
{
  ice_stun_writer w;
  ice_addr mapped;
  ice_addr_set (&mapped, "198.51.100.1", 40000);
  ice_stun_writer_init (&w, buf, cap, ICE_STUN_METHOD_BINDING, cls, id);
  if (cls == ICE_STUN_CLASS_ERROR)
    ice_stun_add_error (&w, error, NULL);
  else
    ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped);
  if (signkey != NULL)
    ice_stun_add_integrity (&w, signkey, strlen (signkey));
  ice_stun_add_fingerprint (&w);
  int n = ice_stun_writer_finish (&w);
  ck_assert_int_gt (n, 0);
  return (size_t) n;
}

static void
start (ice_stun_txns *t, uint64_t now, const uint8_t *req, size_t len,
       ice_transport tr, bool with_key, uint32_t rto_ms, uint64_t tag)
{
  ice_stun_txn_request r;
  memset (&r, 0, sizeof r);
  r.data = req;
  r.len = len;
  r.transport = tr;
  ice_addr_set (&r.local, "10.0.0.1", 5000);
  ice_addr_set (&r.remote, "203.0.113.1", 3478);
  if (with_key)
    {
      r.key = (const uint8_t *) key;
      r.keylen = strlen (key);
    }
  r.rto_ms = rto_ms;
  r.tag = tag;
  ck_assert_int_eq (ice_stun_txns_start (t, now, &r), 0);
}

/* Drives the table like a caller with one timer would: sleep until the
 * next timeout, fire it, drain transmits.  Records the send times in ms
 * and returns the time of the (single) timeout event. */
static uint64_t
run_until_event (ice_stun_txns *t, uint64_t now, uint64_t *sends,
                 size_t *n_sends, size_t max_sends, ice_stun_txn_event *ev)
{
  for (int guard = 0; guard < 1000; guard++)
    {
      ice_stun_txn_transmit tx;
      while (ice_stun_txns_poll_transmit (t, &tx))
        {
          ck_assert_uint_lt (*n_sends, max_sends);
          ck_assert_uint_eq (tx.send_count, *n_sends + 1);
          sends[(*n_sends)++] = now / MS;
        }
      if (ice_stun_txns_poll_event (t, ev))
        return now;
      uint64_t next = ice_stun_txns_next_timeout (t);
      ck_assert (next != UINT64_MAX);
      ck_assert_uint_gt (next, now);
      now = next;
      ice_stun_txns_handle_timeout (t, now);
    }
  ck_abort_msg ("no event");
  return 0;
}

START_TEST (test_udp_schedule_defaults)
{
  ice_stun_txns *t = ice_stun_txns_new (NULL);
  uint8_t req[128];
  ice_stun_txid id;
  size_t len = make_request (req, sizeof req, &id, false);
  uint64_t t0 = 1000000 * MS; /* arbitrary epoch */
  start (t, t0, req, len, ICE_TRANSPORT_UDP, false, 0, 42);
  ck_assert_uint_eq (ice_stun_txns_pending (t), 1);
  ck_assert_uint_le (ice_stun_txns_next_timeout (t), t0);

  uint64_t sends[16];
  size_t n = 0;
  ice_stun_txn_event ev;
  uint64_t end = run_until_event (t, t0, sends, &n, 16, &ev);
  /* RFC 8489 6.2.1: 0, 500, 1500, 3500, 7500, 15500, 31500, timeout at
   * 39500 ms */
  static const uint64_t want[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
  ck_assert_uint_eq (n, 7);
  for (size_t i = 0; i < n; i++)
    ck_assert_uint_eq (sends[i] - t0 / MS, want[i]);
  ck_assert_uint_eq ((end - t0) / MS, 39500);
  ck_assert_int_eq (ev.kind, ICE_STUN_TXN_TIMEOUT);
  ck_assert_uint_eq (ev.tag, 42);
  ck_assert (ice_stun_txid_equal (&ev.txid, &id));
  ck_assert_uint_eq (ev.send_count, 7);
  ck_assert_uint_eq (ice_stun_txns_pending (t), 0);
  ck_assert_uint_eq (ice_stun_txns_next_timeout (t), UINT64_MAX);

  ice_stun_txn_stats st;
  ice_stun_txns_stats (t, &st);
  ck_assert_uint_eq (st.started, 1);
  ck_assert_uint_eq (st.retransmits, 6);
  ck_assert_uint_eq (st.timeouts, 1);
  ck_assert_uint_eq (st.responses, 0);

  /* a late response for the finished transaction is unmatched */
  uint8_t resp[128];
  size_t rlen = make_response (resp, sizeof resp, &id, ICE_STUN_CLASS_SUCCESS,
                               0, NULL);
  ck_assert_int_eq (
      ice_stun_txns_handle_packet (t, end + MS, NULL, NULL, resp, rlen),
      -ENOENT);
  ice_stun_txns_free (t);
}
END_TEST

START_TEST (test_udp_schedule_custom)
{
  /* Rc 3, Rm 4, table RTO 200 ms, and an ICE-computed RTO of 100 ms on
   * one request: sends at 0, 100, 300, timeout at 300 + 4*100. */
  ice_stun_txn_config cfg;
  ice_stun_txn_config_default (&cfg);
  ck_assert_uint_eq (cfg.rto_ms, 500);
  ck_assert_uint_eq (cfg.rc, 7);
  ck_assert_uint_eq (cfg.rm, 16);
  ck_assert_uint_eq (cfg.ti_ms, 39500);
  cfg.rto_ms = 200;
  cfg.rc = 3;
  cfg.rm = 4;
  ice_stun_txns *t = ice_stun_txns_new (&cfg);
  uint8_t req[128];
  ice_stun_txid id;
  size_t len = make_request (req, sizeof req, &id, false);
  start (t, 0, req, len, ICE_TRANSPORT_UDP, false, 100, 0);
  uint64_t sends[8];
  size_t n = 0;
  ice_stun_txn_event ev;
  uint64_t end = run_until_event (t, 0, sends, &n, 8, &ev);
  ck_assert_uint_eq (n, 3);
  ck_assert_uint_eq (sends[0], 0);
  ck_assert_uint_eq (sends[1], 100);
  ck_assert_uint_eq (sends[2], 300);
  ck_assert_uint_eq (end / MS, 700);
  ck_assert_int_eq (ev.kind, ICE_STUN_TXN_TIMEOUT);

  /* the table's own RTO when the request does not set one */
  len = make_request (req, sizeof req, &id, false);
  start (t, 0, req, len, ICE_TRANSPORT_UDP, false, 0, 0);
  n = 0;
  end = run_until_event (t, 0, sends, &n, 8, &ev);
  ck_assert_uint_eq (n, 3);
  ck_assert_uint_eq (sends[1], 200);
  ck_assert_uint_eq (sends[2], 600);
  ck_assert_uint_eq (end / MS, 1400);
  ice_stun_txns_free (t);

  cfg.rc = 0;
  ck_assert_ptr_null (ice_stun_txns_new (&cfg));
}
END_TEST

START_TEST (test_tcp_no_retransmit)
{
  ice_stun_txns *t = ice_stun_txns_new (NULL);
  uint8_t req[128];
  ice_stun_txid id;
  size_t len = make_request (req, sizeof req, &id, false);
  start (t, 0, req, len, ICE_TRANSPORT_TCP, false, 0, 0);
  uint64_t sends[8];
  size_t n = 0;
  ice_stun_txn_event ev;
  uint64_t end = run_until_event (t, 0, sends, &n, 8, &ev);
  ck_assert_uint_eq (n, 1);
  ck_assert_uint_eq (end / MS, 39500);
  ck_assert_int_eq (ev.kind, ICE_STUN_TXN_TIMEOUT);
  ice_stun_txn_stats st;
  ice_stun_txns_stats (t, &st);
  ck_assert_uint_eq (st.retransmits, 0);

  /* TLS too, with a configured Ti */
  ice_stun_txns_free (t);
  ice_stun_txn_config cfg;
  ice_stun_txn_config_default (&cfg);
  cfg.ti_ms = 5000;
  t = ice_stun_txns_new (&cfg);
  len = make_request (req, sizeof req, &id, false);
  start (t, 0, req, len, ICE_TRANSPORT_TLS, false, 0, 0);
  n = 0;
  end = run_until_event (t, 0, sends, &n, 8, &ev);
  ck_assert_uint_eq (n, 1);
  ck_assert_uint_eq (end / MS, 5000);
  ice_stun_txns_free (t);
}
END_TEST

START_TEST (test_response_matching)
{
  ice_stun_txns *t = ice_stun_txns_new (NULL);
  uint8_t req[128];
  ice_stun_txid id;
  size_t len = make_request (req, sizeof req, &id, true);
  start (t, 0, req, len, ICE_TRANSPORT_UDP, true, 0, 7);
  ice_stun_txn_transmit tx;
  ck_assert (ice_stun_txns_poll_transmit (t, &tx));
  ck_assert_uint_eq (tx.len, len);
  ck_assert_mem_eq (tx.data, req, len);
  ck_assert_uint_eq (tx.tag, 7);
  ck_assert (!ice_stun_txns_poll_transmit (t, &tx));
  /* same ID again is refused */
  ice_stun_txn_request dup = { .data = req, .len = len };
  ck_assert_int_eq (ice_stun_txns_start (t, 0, &dup), -EEXIST);

  uint8_t resp[128];
  size_t rlen;
  ice_stun_txn_event ev;
  ice_addr from;
  ice_addr_set (&from, "203.0.113.1", 3478);

  /* wrong transaction ID */
  ice_stun_txid other = id;
  other.b[0] ^= 1;
  rlen = make_response (resp, sizeof resp, &other, ICE_STUN_CLASS_SUCCESS, 0,
                        key);
  ck_assert_int_eq (
      ice_stun_txns_handle_packet (t, 10 * MS, NULL, &from, resp, rlen),
      -ENOENT);
  /* right ID, wrong key */
  rlen = make_response (resp, sizeof resp, &id, ICE_STUN_CLASS_SUCCESS, 0,
                        "not-the-password");
  ck_assert_int_eq (
      ice_stun_txns_handle_packet (t, 10 * MS, NULL, &from, resp, rlen),
      -EACCES);
  /* right ID, no integrity at all on a success */
  rlen = make_response (resp, sizeof resp, &id, ICE_STUN_CLASS_SUCCESS, 0,
                        NULL);
  ck_assert_int_eq (
      ice_stun_txns_handle_packet (t, 10 * MS, NULL, &from, resp, rlen),
      -EACCES);
  /* an error other than 400/401/420/438 without integrity */
  rlen = make_response (resp, sizeof resp, &id, ICE_STUN_CLASS_ERROR, 487,
                        NULL);
  ck_assert_int_eq (
      ice_stun_txns_handle_packet (t, 10 * MS, NULL, &from, resp, rlen),
      -EACCES);
  /* garbage and a request are not responses */
  ck_assert_int_eq (
      ice_stun_txns_handle_packet (t, 10 * MS, NULL, &from, req, len - 1),
      -EBADMSG);
  ck_assert_int_eq (
      ice_stun_txns_handle_packet (t, 10 * MS, NULL, &from, req, len),
      -EBADMSG);
  ck_assert (!ice_stun_txns_poll_event (t, &ev));
  ck_assert_uint_eq (ice_stun_txns_pending (t), 1);

  ice_stun_txn_stats st;
  ice_stun_txns_stats (t, &st);
  ck_assert_uint_eq (st.dropped_unmatched, 1);
  ck_assert_uint_eq (st.dropped_auth, 3);
  ck_assert_uint_eq (st.dropped_malformed, 2);
  ck_assert_uint_eq (st.responses, 0);

  /* the transaction goes on: the first retransmission at 500 ms */
  ice_stun_txns_handle_timeout (t, 500 * MS);
  ck_assert (ice_stun_txns_poll_transmit (t, &tx));
  ck_assert_uint_eq (tx.send_count, 2);

  /* the right response: accepted, RTT from the first send, ambiguous */
  rlen = make_response (resp, sizeof resp, &id, ICE_STUN_CLASS_SUCCESS, 0,
                        key);
  ck_assert_int_eq (
      ice_stun_txns_handle_packet (t, 620 * MS, NULL, &from, resp, rlen), 0);
  memset (resp, 0, sizeof resp); /* the event owns a copy */
  ck_assert (ice_stun_txns_poll_event (t, &ev));
  ck_assert_int_eq (ev.kind, ICE_STUN_TXN_RESPONSE);
  ck_assert_uint_eq (ev.tag, 7);
  ck_assert (ev.authenticated);
  ck_assert_uint_eq (ev.rtt_us, 620 * MS);
  ck_assert (ev.rtt_ambiguous);
  ck_assert_uint_eq (ev.send_count, 2);
  ck_assert (ice_addr_equal (&ev.remote, &from));
  ck_assert_uint_eq (ev.msg.cls, ICE_STUN_CLASS_SUCCESS);
  ice_addr mapped, want;
  ice_addr_set (&want, "198.51.100.1", 40000);
  ck_assert_int_eq (ice_stun_msg_get_xor_addr (
                        &ev.msg, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped),
                    0);
  ck_assert (ice_addr_equal (&mapped, &want));
  ck_assert (!ice_stun_txns_poll_event (t, &ev));
  ck_assert_uint_eq (ice_stun_txns_pending (t), 0);
  ck_assert_uint_eq (ice_stun_txns_next_timeout (t), UINT64_MAX);

  /* a duplicate of the response after completion: unmatched */
  rlen = make_response (resp, sizeof resp, &id, ICE_STUN_CLASS_SUCCESS, 0,
                        key);
  ck_assert_int_eq (
      ice_stun_txns_handle_packet (t, 700 * MS, NULL, &from, resp, rlen),
      -ENOENT);
  ice_stun_txns_stats (t, &st);
  ck_assert_uint_eq (st.responses, 1);
  ck_assert_uint_eq (st.dropped_unmatched, 2);
  ice_stun_txns_free (t);
}
END_TEST

START_TEST (test_unauthenticated_challenge)
{
  /* With a key, a 401 without integrity still ends the transaction
   * (the server could not authenticate us), flagged unauthenticated. */
  ice_stun_txns *t = ice_stun_txns_new (NULL);
  uint8_t req[128], resp[128];
  ice_stun_txid id;
  size_t len = make_request (req, sizeof req, &id, true);
  start (t, 0, req, len, ICE_TRANSPORT_UDP, true, 0, 0);
  ice_stun_txn_transmit tx;
  ck_assert (ice_stun_txns_poll_transmit (t, &tx));
  size_t rlen = make_response (resp, sizeof resp, &id, ICE_STUN_CLASS_ERROR,
                               401, NULL);
  ck_assert_int_eq (
      ice_stun_txns_handle_packet (t, 30 * MS, NULL, NULL, resp, rlen), 0);
  ice_stun_txn_event ev;
  ck_assert (ice_stun_txns_poll_event (t, &ev));
  ck_assert_int_eq (ev.kind, ICE_STUN_TXN_RESPONSE);
  ck_assert (!ev.authenticated);
  ck_assert (!ev.rtt_ambiguous);
  ck_assert_uint_eq (ev.rtt_us, 30 * MS);
  int code;
  ck_assert_int_eq (ice_stun_msg_get_error (&ev.msg, &code, NULL, 0), 0);
  ck_assert_int_eq (code, 401);

  /* A 441 without integrity is dropped, unless the request opted in. */
  len = make_request (req, sizeof req, &id, true);
  start (t, 0, req, len, ICE_TRANSPORT_UDP, true, 0, 0);
  rlen = make_response (resp, sizeof resp, &id, ICE_STUN_CLASS_ERROR, 441,
                        NULL);
  ck_assert_int_eq (ice_stun_txns_handle_packet (t, 0, NULL, NULL, resp, rlen),
                    -EACCES);
  ck_assert_int_eq (ice_stun_txns_cancel (t, &id), 0);
  ice_stun_txn_request r = { .data = req, .len = len,
                             .key = (const uint8_t *) key,
                             .keylen = strlen (key),
                             .accept_unauthenticated_errors = true };
  ck_assert_int_eq (ice_stun_txns_start (t, 0, &r), 0);
  ck_assert_int_eq (ice_stun_txns_handle_packet (t, 0, NULL, NULL, resp, rlen),
                    0);
  ck_assert (ice_stun_txns_poll_event (t, &ev));
  ck_assert (!ev.authenticated);
  /* ... but a wrong signature still is */
  len = make_request (req, sizeof req, &id, true);
  r.data = req;
  r.len = len;
  ck_assert_int_eq (ice_stun_txns_start (t, 0, &r), 0);
  rlen = make_response (resp, sizeof resp, &id, ICE_STUN_CLASS_ERROR, 441,
                        "bad-key");
  ck_assert_int_eq (ice_stun_txns_handle_packet (t, 0, NULL, NULL, resp, rlen),
                    -EACCES);
  ck_assert_int_eq (ice_stun_txns_cancel (t, &id), 0);

  /* Without a key, any response with the right ID is accepted. */
  len = make_request (req, sizeof req, &id, false);
  start (t, 0, req, len, ICE_TRANSPORT_UDP, false, 0, 0);
  rlen = make_response (resp, sizeof resp, &id, ICE_STUN_CLASS_SUCCESS, 0,
                        NULL);
  ck_assert_int_eq (ice_stun_txns_handle_packet (t, 0, NULL, NULL, resp, rlen),
                    0);
  ck_assert (ice_stun_txns_poll_event (t, &ev));
  ck_assert (!ev.authenticated);
  ice_stun_txns_free (t);
}
END_TEST

START_TEST (test_many_transactions)
{
  /* Twenty at once, staggered; answer the odd ones, cancel one, let the
   * rest time out.  Events come out in completion order. */
  ice_stun_txns *t = ice_stun_txns_new (NULL);
  ice_stun_txid ids[20];
  uint8_t req[128], resp[128];
  for (int i = 0; i < 20; i++)
    {
      size_t len = make_request (req, sizeof req, &ids[i], false);
      start (t, (uint64_t) i * MS, req, len, ICE_TRANSPORT_UDP, false, 0,
             (uint64_t) i);
    }
  ck_assert_uint_eq (ice_stun_txns_pending (t), 20);
  ck_assert_uint_eq (ice_stun_txns_next_timeout (t), 0);
  ice_stun_txn_transmit tx;
  int sent = 0;
  while (ice_stun_txns_poll_transmit (t, &tx))
    sent++;
  ck_assert_int_eq (sent, 20);
  ck_assert_uint_eq (ice_stun_txns_next_timeout (t), 500 * MS);

  for (int i = 1; i < 20; i += 2)
    {
      size_t rlen = make_response (resp, sizeof resp, &ids[i],
                                   ICE_STUN_CLASS_SUCCESS, 0, NULL);
      ck_assert_int_eq (
          ice_stun_txns_handle_packet (t, 100 * MS, NULL, NULL, resp, rlen),
          0);
    }
  ck_assert_int_eq (ice_stun_txns_cancel (t, &ids[0]), 0);
  ck_assert_int_eq (ice_stun_txns_cancel (t, &ids[0]), -ENOENT);
  ck_assert_uint_eq (ice_stun_txns_pending (t), 9);
  ice_stun_txn_event ev;
  for (int i = 1; i < 20; i += 2)
    {
      ck_assert (ice_stun_txns_poll_event (t, &ev));
      ck_assert_int_eq (ev.kind, ICE_STUN_TXN_RESPONSE);
      ck_assert_uint_eq (ev.tag, (uint64_t) i);
      ck_assert (ice_stun_txid_equal (&ev.txid, &ids[i]));
    }
  ck_assert (!ice_stun_txns_poll_event (t, &ev));
  uint64_t now = 100 * MS;
  while (ice_stun_txns_next_timeout (t) != UINT64_MAX)
    {
      now = ice_stun_txns_next_timeout (t);
      ice_stun_txns_handle_timeout (t, now);
      while (ice_stun_txns_poll_transmit (t, &tx))
        ;
    }
  /* the last one started at 18 ms times out 39.5 s later */
  ck_assert_uint_eq (now, 18 * MS + 39500 * MS);
  int timeouts = 0;
  while (ice_stun_txns_poll_event (t, &ev))
    {
      ck_assert_int_eq (ev.kind, ICE_STUN_TXN_TIMEOUT);
      ck_assert_uint_eq (ev.tag % 2, 0);
      timeouts++;
    }
  ck_assert_int_eq (timeouts, 9);
  ice_stun_txns_free (t);
}
END_TEST

static Suite *
stun_txn_suite (void)
{
  Suite *s = suite_create ("stun-txn");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_udp_schedule_defaults);
  tcase_add_test (tc, test_udp_schedule_custom);
  tcase_add_test (tc, test_tcp_no_retransmit);
  tcase_add_test (tc, test_response_matching);
  tcase_add_test (tc, test_unauthenticated_challenge);
  tcase_add_test (tc, test_many_transactions);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (stun_txn_suite ());
}
