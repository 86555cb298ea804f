/* FloeStunSocket on its own, against tiny servers written here on
 * 127.0.0.1: its timer drives retransmissions, its stream framing copes
 * with a response dribbled out a byte at a time, and a stream that ends
 * or goes bad is reported, failing the TURN allocation riding on it. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "ice/stun-msg.h"
#include "src/floe-stun-socket.h"
#include "check-run.h"

static gboolean
wake (gpointer unused)
{
  (void) unused;
  return G_SOURCE_CONTINUE;
}

/* Iterates the main loop until *flag; the 10 s bound only turns a hang
 * into a failure. */
static bool
run_until (const bool *flag)
{
  guint tick = g_timeout_add (20, wake, NULL);
  gint64 give_up = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!*flag && g_get_monotonic_time () < give_up)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return *flag;
}

static ice_addr
loopback (guint16 port)
{
  ice_addr a;
  ice_addr_set (&a, "127.0.0.1", port);
  return a;
}

static ice_addr
socket_addr (GSocket *s)
{
  g_autoptr (GSocketAddress) ga = g_socket_get_local_address (s, NULL);
  struct sockaddr_storage ss;
  ck_assert (g_socket_address_to_native (ga, &ss, sizeof ss, NULL));
  ice_addr a;
  ck_assert_int_eq (ice_addr_from_sockaddr (&a, (struct sockaddr *) &ss,
                                            (socklen_t) g_socket_address_get_native_size (ga)),
                    0);
  return a;
}

/* A Binding success for the request in req, mapping to `mapped`. */
static int
binding_response (const uint8_t *req, size_t len, const ice_addr *mapped,
                  uint8_t *out, size_t cap)
{
  ice_stun_msg m;
  ck_assert_int_eq (ice_stun_msg_parse (req, len, &m), 0);
  ck_assert_int_eq (m.method, ICE_STUN_METHOD_BINDING);
  ice_stun_writer w;
  ice_stun_writer_init_response (&w, out, cap, &m, ICE_STUN_CLASS_SUCCESS);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
  ice_stun_add_fingerprint (&w);
  return ice_stun_writer_finish (&w);
}

static int
binding_request (uint8_t *buf, size_t cap)
{
  ice_stun_writer w;
  ice_stun_writer_init (&w, buf, cap, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_add_fingerprint (&w);
  return ice_stun_writer_finish (&w);
}

typedef struct
{
  bool done;
  ice_stun_txn_event_kind kind;
  unsigned send_count;
  ice_addr mapped;
} StunResult;

static void
on_stun_event (FloeStunSocket *sock, gpointer txns, gpointer event, gpointer user)
{
  StunResult *r = user;
  const ice_stun_txn_event *e = event;
  (void) sock;
  (void) txns;
  r->done = true;
  r->kind = e->kind;
  r->send_count = e->send_count;
  if (e->kind == ICE_STUN_TXN_RESPONSE)
    ice_stun_msg_get_xor_addr (&e->msg, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &r->mapped);
}

/* UDP: the server ignores the first two sends; the socket's timer must
 * retransmit until the third is answered. */
START_TEST (test_udp_retransmits)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) server = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  ck_assert (g_socket_bind (server, any, FALSE, &error));
  g_socket_set_blocking (server, FALSE);
  ice_addr server_addr = socket_addr (server);

  ice_addr local = loopback (0);
  g_autoptr (FloeStunSocket) sock = floe_stun_socket_new_udp (&local, &error);
  ck_assert_ptr_nonnull (sock);
  ck_assert_int_eq (floe_stun_socket_get_transport (sock), ICE_TRANSPORT_UDP);
  ck_assert_uint_ne (floe_stun_socket_get_local (sock)->port, 0);

  ice_stun_txn_config cfg;
  ice_stun_txn_config_default (&cfg);
  cfg.rto_ms = 20; /* keeps the test short; the schedule is the engine's */
  ice_stun_txns *txns = ice_stun_txns_new (&cfg);
  StunResult result = { 0 };
  g_signal_connect (sock, "stun-event", G_CALLBACK (on_stun_event), &result);
  floe_stun_socket_add_stun (sock, txns);

  uint8_t req[128];
  int len = binding_request (req, sizeof req);
  ice_stun_txn_request r = { .data = req, .len = (size_t) len, .transport = ICE_TRANSPORT_UDP,
                             .local = *floe_stun_socket_get_local (sock), .remote = server_addr };
  ck_assert_int_eq (ice_stun_txns_start (txns, (uint64_t) g_get_monotonic_time (), &r), 0);
  floe_stun_socket_kick (sock, txns);

  int seen = 0;
  while (!result.done)
    {
      uint8_t buf[1500];
      g_autoptr (GSocketAddress) from = NULL;
      gssize n = g_socket_receive_from (server, &from, (char *) buf, sizeof buf, NULL, NULL);
      if (n > 0 && ++seen == 3)
        {
          ice_addr mapped = loopback (4242);
          uint8_t out[256];
          int olen = binding_response (buf, (size_t) n, &mapped, out, sizeof out);
          ck_assert_int_gt (g_socket_send_to (server, from, (char *) out, (gsize) olen, NULL, NULL), 0);
        }
      if (n <= 0 && !result.done)
        g_main_context_iteration (NULL, TRUE);
      ck_assert_int_le (seen, 7);
    }
  ck_assert_int_eq (result.kind, ICE_STUN_TXN_RESPONSE);
  ck_assert_uint_eq (result.send_count, 3);
  ck_assert_uint_eq (result.mapped.port, 4242);
  floe_stun_socket_remove_engine (sock, txns);
  ice_stun_txns_free (txns);
}
END_TEST

/* A TCP server that accepted our connection. */
typedef struct
{
  GSocket *listener;
  GSocket *conn;
  ice_addr addr;
} StreamServer;

static void
stream_server_listen (StreamServer *s)
{
  g_autoptr (GError) error = NULL;
  s->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                              G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  ck_assert (g_socket_bind (s->listener, any, TRUE, &error));
  ck_assert (g_socket_listen (s->listener, &error));
  s->addr = socket_addr (s->listener);
}

static void
stream_server_accept (StreamServer *s)
{
  g_autoptr (GError) error = NULL;
  s->conn = g_socket_accept (s->listener, NULL, &error); /* already queued */
  ck_assert_msg (s->conn != NULL, "accept: %s", error ? error->message : "");
  g_socket_set_option (s->conn, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static void
stream_server_close (StreamServer *s)
{
  if (s->conn)
    g_socket_close (s->conn, NULL);
  g_clear_object (&s->conn);
  g_clear_object (&s->listener);
}

/* Reads one whole STUN message off the server's side (blocking). */
static size_t
read_message (GSocket *conn, uint8_t *buf, size_t cap)
{
  size_t have = 0;
  int need = 0;
  while (need == 0 || have < (size_t) need)
    {
      gssize n = g_socket_receive (conn, (char *) buf + have, need ? (gsize) need - have : 20 - have, NULL, NULL);
      ck_assert_int_gt (n, 0);
      have += (size_t) n;
      if (need == 0 && have >= 20)
        need = ice_stun_frame_length (buf, have);
      ck_assert_int_le (need, (int) cap);
    }
  return have;
}

typedef struct
{
  bool closed;
  GError *error;
  bool turn_failed;
  int turn_code;
} CloseResult;

static void
on_closed (FloeStunSocket *sock, GError *error, gpointer user)
{
  CloseResult *r = user;
  (void) sock;
  r->closed = true;
  r->error = g_error_copy (error);
}

/* TCP: the response comes a byte at a time, followed in one write by two
 * more frames for nobody; the framer must deliver the response whole. */
START_TEST (test_stream_framing)
{
  StreamServer srv = { 0 };
  stream_server_listen (&srv);
  g_autoptr (GError) error = NULL;
  g_autoptr (FloeStunSocket) sock = floe_stun_socket_new_stream (ICE_TRANSPORT_TCP, &srv.addr,
                                                                 NULL, NULL, NULL, &error);
  ck_assert_msg (sock != NULL, "%s", error ? error->message : "");
  ck_assert (ice_addr_equal (floe_stun_socket_get_remote (sock), &srv.addr));
  stream_server_accept (&srv);

  ice_stun_txns *txns = ice_stun_txns_new (NULL);
  StunResult result = { 0 };
  g_signal_connect (sock, "stun-event", G_CALLBACK (on_stun_event), &result);
  floe_stun_socket_add_stun (sock, txns);
  uint8_t req[128];
  int len = binding_request (req, sizeof req);
  ice_stun_txn_request r = { .data = req, .len = (size_t) len, .transport = ICE_TRANSPORT_TCP,
                             .local = *floe_stun_socket_get_local (sock), .remote = srv.addr };
  ck_assert_int_eq (ice_stun_txns_start (txns, (uint64_t) g_get_monotonic_time (), &r), 0);
  floe_stun_socket_kick (sock, txns);

  uint8_t got[512];
  size_t got_len = read_message (srv.conn, got, sizeof got);
  ck_assert_uint_eq (got_len, (size_t) len);
  ck_assert_mem_eq (got, req, got_len);

  ice_addr mapped = loopback (5555);
  uint8_t out[512];
  int olen = binding_response (got, got_len, &mapped, out, sizeof out);
  for (int i = 0; i < olen; i++)
    {
      ck_assert_int_eq (g_socket_send (srv.conn, (char *) out + i, 1, NULL, NULL), 1);
      /* Let the client read what is there so far. */
      g_main_context_iteration (NULL, FALSE);
      ck_assert (!result.done || i == olen - 1);
    }
  ck_assert (run_until (&result.done));
  ck_assert_int_eq (result.kind, ICE_STUN_TXN_RESPONSE);
  ck_assert_uint_eq (result.mapped.port, 5555);

  /* Two frames nobody claims (a padded ChannelData and a stray Binding
   * request) are framed and dropped; the connection stays up. */
  uint8_t more[128];
  int a = ice_turn_channel_data_write (0x4001, (const uint8_t *) "abc", 3, true, more, sizeof more);
  int b = binding_request (more + a, sizeof more - (size_t) a);
  CloseResult closed = { 0 };
  g_signal_connect (sock, "closed", G_CALLBACK (on_closed), &closed);
  ck_assert_int_eq (g_socket_send (srv.conn, (char *) more, (gsize) (a + b), NULL, NULL), a + b);
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  ck_assert (!closed.closed);

  floe_stun_socket_remove_engine (sock, txns);
  ice_stun_txns_free (txns);
  stream_server_close (&srv);
}
END_TEST

static void
on_turn_event (FloeStunSocket *sock, gpointer turn, gpointer event, gpointer user)
{
  CloseResult *r = user;
  const ice_turn_event *e = event;
  (void) sock;
  (void) turn;
  if (e->type == ICE_TURN_EVENT_FAILED)
    {
      r->turn_failed = true;
      r->turn_code = e->error_code;
    }
}

/* The server hangs up (_i == 0) or sends bytes that are neither STUN nor
 * ChannelData (_i == 1): "closed" says why, and the TURN client riding
 * on the connection fails with ICE_TURN_ERR_CONNECTION. */
START_TEST (test_stream_ends)
{
  StreamServer srv = { 0 };
  stream_server_listen (&srv);
  g_autoptr (GError) error = NULL;
  g_autoptr (FloeStunSocket) sock = floe_stun_socket_new_stream (ICE_TRANSPORT_TCP, &srv.addr,
                                                                 NULL, NULL, NULL, &error);
  ck_assert_ptr_nonnull (sock);
  stream_server_accept (&srv);

  ice_turn_config cfg = { .server = srv.addr, .transport = ICE_TRANSPORT_TCP,
                          .username = "u", .password = "secret" };
  ice_turn_client *turn = ice_turn_client_new (&cfg);
  CloseResult result = { 0 };
  g_signal_connect (sock, "closed", G_CALLBACK (on_closed), &result);
  g_signal_connect (sock, "turn-event", G_CALLBACK (on_turn_event), &result);
  floe_stun_socket_add_turn (sock, turn);
  ck_assert_int_eq (ice_turn_client_allocate (turn, (uint64_t) g_get_monotonic_time ()), 0);
  floe_stun_socket_kick (sock, turn);
  uint8_t got[512];
  read_message (srv.conn, got, sizeof got); /* the Allocate arrived */

  if (_i == 0)
    g_socket_close (srv.conn, NULL);
  else
    {
      const char junk[] = "\xff\xff\xff\xff garbage";
      ck_assert_int_gt (g_socket_send (srv.conn, junk, sizeof junk, NULL, NULL), 0);
    }
  ck_assert (run_until (&result.closed));
  ck_assert (g_error_matches (result.error, G_IO_ERROR,
                              _i == 0 ? G_IO_ERROR_CONNECTION_CLOSED : G_IO_ERROR_INVALID_DATA));
  ck_assert (result.turn_failed);
  ck_assert_int_eq (result.turn_code, ICE_TURN_ERR_CONNECTION);
  ck_assert_int_eq (ice_turn_client_state (turn), ICE_TURN_STATE_FAILED);
  /* Nothing more goes out on it. */
  ck_assert (!floe_stun_socket_send (sock, &srv.addr, got, 4, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED));

  g_error_free (result.error);
  floe_stun_socket_remove_engine (sock, turn);
  ice_turn_client_free (turn);
  stream_server_close (&srv);
}
END_TEST

START_TEST (test_connect_refused)
{
  /* A port that was just free: nothing listens there. */
  StreamServer srv = { 0 };
  stream_server_listen (&srv);
  ice_addr addr = srv.addr;
  stream_server_close (&srv);
  g_autoptr (GError) error = NULL;
  FloeStunSocket *sock = floe_stun_socket_new_stream (ICE_TRANSPORT_TCP, &addr, NULL, NULL, NULL, &error);
  ck_assert_ptr_null (sock);
  ck_assert_ptr_nonnull (error);
  g_clear_error (&error);
  ice_addr unset = { 0 };
  sock = floe_stun_socket_new_stream (ICE_TRANSPORT_TCP, &unset, NULL, NULL, NULL, &error);
  ck_assert_ptr_null (sock);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
}
END_TEST

static Suite *
stun_socket_suite (void)
{
  Suite *s = suite_create ("stun-socket");
  TCase *tc = tcase_create ("driver");
  tcase_add_test (tc, test_udp_retransmits);
  tcase_add_test (tc, test_stream_framing);
  tcase_add_loop_test (tc, test_stream_ends, 0, 2);
  tcase_add_test (tc, test_connect_refused);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (stun_socket_suite ());
}
