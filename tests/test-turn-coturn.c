/* The STUN and TURN clients, through the FloeStunSocket driver, against a
 * real coturn that this program starts on 127.0.0.1 (free ports, its own
 * flags, long-term credentials, a self-signed TLS certificate made now)
 * and stops by PID.  Exits 77 (SKIP) only when turnserver is not
 * installed. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ice/stun-msg.h"
#include "src/floe-stun-socket.h"

#define USER "floe"
#define PASS "floe-pass-42"
#define REALM "floe.test"

static char *turnserver_path;
static char *workdir;
static char *cert_path;
static bool have_ipv6; /* ::1 usable: coturn relays on it too */

/* One coturn process and where it listens. */
typedef struct
{
  const char *name; /* its subdirectory of workdir */
  GPid pid;
  guint16 port, tls_port;
} Coturn;

/* The instance most tests use: UDP, TCP and TLS listeners. */
static Coturn main_turn = { .name = "main" };
/* A strict one: nonces go stale after 1 s, one allocation per user. */
static Coturn strict_turn = { .name = "strict" };
/* One that answers every Allocate with 300, naming the main instance. */
static Coturn redirect_turn = { .name = "redirect" };

/* --------------------------------------------------------- coturn control */

static guint16
free_port (void)
{
  /* A port free for TCP and UDP alike (coturn listens on both). */
  for (int tries = 0; tries < 50; tries++)
    {
      int t = socket (AF_INET, SOCK_STREAM, 0);
      struct sockaddr_in sa = { .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
      socklen_t len = sizeof sa;
      if (t < 0 || bind (t, (struct sockaddr *) &sa, sizeof sa) < 0
          || getsockname (t, (struct sockaddr *) &sa, &len) < 0)
        {
          if (t >= 0)
            close (t);
          continue;
        }
      int u = socket (AF_INET, SOCK_DGRAM, 0);
      bool ok = u >= 0 && bind (u, (struct sockaddr *) &sa, sizeof sa) == 0;
      guint16 p = ntohs (sa.sin_port);
      close (t);
      if (u >= 0)
        close (u);
      if (ok && p != main_turn.port && p != main_turn.tls_port
          && p != strict_turn.port && p != redirect_turn.port)
        return p;
    }
  return 0;
}

static void
die_with_parent (gpointer unused)
{
  (void) unused;
  /* If this test dies without its cleanup, coturn goes with it. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static bool
make_certificate (void)
{
  cert_path = g_build_filename (workdir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (workdir, "key.pem", NULL);
  const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
                         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                         "-keyout", key, "-out", cert_path, "-days", "2",
                         "-subj", "/CN=localhost",
                         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                         NULL };
  gint status = 1;
  g_autoptr (GError) error = NULL;
  if (!g_spawn_sync (NULL, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL
                         | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error)
      || !g_spawn_check_wait_status (status, NULL))
    {
      printf ("# no TLS test: openssl could not make a certificate%s%s\n",
              error ? ": " : "", error ? error->message : "");
      g_clear_pointer (&cert_path, g_free);
      return false;
    }
  return true;
}

static bool
coturn_listening (const Coturn *t)
{
  int s = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET,
                            .sin_port = htons (t->port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  bool ok = s >= 0 && connect (s, (struct sockaddr *) &sa, sizeof sa) == 0;
  if (s >= 0)
    close (s);
  return ok;
}

static void
print_log (const Coturn *t)
{
  g_autofree char *log = g_build_filename (workdir, t->name, "turn.log", NULL);
  g_autofree char *text = NULL;
  if (g_file_get_contents (log, &text, NULL, NULL))
    printf ("# coturn (%s) log:\n%s\n", t->name, text);
}

static void
stop_coturn (Coturn *t)
{
  if (t->pid <= 0)
    return;
  kill (t->pid, SIGTERM);
  int status;
  for (int i = 0; i < 100; i++)
    {
      if (waitpid (t->pid, &status, WNOHANG) == t->pid)
        {
          t->pid = 0;
          return;
        }
      g_usleep (50000);
    }
  kill (t->pid, SIGKILL);
  waitpid (t->pid, &status, 0);
  t->pid = 0;
}

/* extra: NULL-terminated flags for this instance.  with_tls: listen for
 * TLS too (needs the certificate). */
static bool
start_coturn (Coturn *t, bool with_tls, const char *const *extra)
{
  t->port = free_port ();
  t->tls_port = with_tls ? free_port () : 0;
  if (t->port == 0 || (with_tls && t->tls_port == 0))
    return false;
  g_autofree char *dir = g_build_filename (workdir, t->name, NULL);
  if (g_mkdir (dir, 0700) < 0)
    return false;
  g_autofree char *port_s = g_strdup_printf ("%u", t->port);
  g_autofree char *tls_port_s = g_strdup_printf ("%u", t->tls_port);
  g_autofree char *log = g_build_filename (dir, "turn.log", NULL);
  g_autofree char *pid = g_build_filename (dir, "turn.pid", NULL);
  g_autofree char *db = g_build_filename (dir, "turndb", NULL);
  g_autofree char *key = g_build_filename (workdir, "key.pem", NULL);

  GPtrArray *argv = g_ptr_array_new ();
  const char *fixed[] = {
    turnserver_path, "-n", "--no-cli", "--no-dtls", "--simple-log",
    "--no-stdout-log", "--listening-ip", "127.0.0.1", "--relay-ip",
    "127.0.0.1", "--listening-port", port_s, "--lt-cred-mech",
    "--user", USER ":" PASS, "--realm", REALM, "--allow-loopback-peers",
    "--no-rfc5780", "--fingerprint", "--log-file", log, "--pidfile", pid,
    "--userdb", db,
  };
  for (size_t i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (gpointer) fixed[i]);
  if (with_tls)
    {
      g_ptr_array_add (argv, "--tls-listening-port");
      g_ptr_array_add (argv, tls_port_s);
      g_ptr_array_add (argv, "--cert");
      g_ptr_array_add (argv, cert_path);
      g_ptr_array_add (argv, "--pkey");
      g_ptr_array_add (argv, key);
    }
  else
    g_ptr_array_add (argv, "--no-tls");
  if (have_ipv6)
    {
      g_ptr_array_add (argv, "--relay-ip");
      g_ptr_array_add (argv, "::1");
    }
  for (size_t i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);

  g_autoptr (GError) error = NULL;
  gboolean ok = g_spawn_async (dir, (char **) argv->pdata, NULL,
                               G_SPAWN_DO_NOT_REAP_CHILD
                                   | G_SPAWN_STDOUT_TO_DEV_NULL
                                   | G_SPAWN_STDERR_TO_DEV_NULL,
                               die_with_parent, NULL, &t->pid, &error);
  g_ptr_array_free (argv, TRUE);
  if (!ok)
    {
      printf ("# cannot start %s: %s\n", turnserver_path, error->message);
      return false;
    }
  /* Ready once it accepts TCP (UDP and TLS start with it).  A bound on
   * start-up only, not a timed assertion. */
  for (int i = 0; i < 200; i++)
    {
      int status;
      if (waitpid (t->pid, &status, WNOHANG) == t->pid)
        {
          t->pid = 0;
          printf ("# coturn (%s) exited at start-up\n", t->name);
          print_log (t);
          return false;
        }
      if (coturn_listening (t))
        {
          printf ("# coturn (%s) pid %d on 127.0.0.1:%u", t->name, (int) t->pid, t->port);
          if (with_tls)
            printf (", TLS on %u", t->tls_port);
          printf ("\n");
          return true;
        }
      g_usleep (50000);
    }
  printf ("# coturn (%s) did not start listening\n", t->name);
  print_log (t);
  stop_coturn (t);
  return false;
}

/* ------------------------------------------------------------ main loop */

static gboolean
wake (gpointer unused)
{
  (void) unused;
  return G_SOURCE_CONTINUE;
}

/* Iterates the main loop until cond(data); the 15 s bound only turns a
 * hang into a failure. */
static bool
run_until_cond (bool (*cond) (gconstpointer), gconstpointer data)
{
  guint tick = g_timeout_add (100, wake, NULL);
  gint64 give_up = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (!cond (data) && g_get_monotonic_time () < give_up)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return cond (data);
}

static bool
flag_set (gconstpointer flag)
{
  return *(const bool *) flag;
}

static bool
run_until (const bool *flag)
{
  return run_until_cond (flag_set, flag);
}

/* --------------------------------------------------------------- clients */

typedef struct
{
  bool done;
  ice_stun_txn_event_kind kind;
  ice_addr mapped;
  int mapped_rc;
} BindingResult;

static void
on_stun_event (FloeStunSocket *sock, gpointer txns, gpointer event, gpointer user)
{
  BindingResult *r = user;
  const ice_stun_txn_event *e = event;
  (void) sock;
  (void) txns;
  r->done = true;
  r->kind = e->kind;
  if (e->kind == ICE_STUN_TXN_RESPONSE)
    r->mapped_rc = ice_stun_msg_get_xor_addr (&e->msg, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &r->mapped);
}

typedef struct
{
  FloeStunSocket *sock;
  ice_turn_client *turn;
  ice_addr relayed;
  ice_addr mapped;
  bool allocated, failed, closed;
  int error_code;
  int permissions, channels;
  bool got_data;
  ice_addr data_peer;
  uint16_t data_channel;
  GByteArray *data;
  ice_addr alternate;
  ice_stun_txns *stun; /* shares the socket, offered packets first */
  BindingResult binding;
} Client;

static void
on_turn_event (FloeStunSocket *sock, gpointer turn, gpointer event, gpointer user)
{
  Client *c = user;
  const ice_turn_event *e = event;
  (void) sock;
  (void) turn;
  switch (e->type)
    {
    case ICE_TURN_EVENT_ALLOCATED:
      c->allocated = true;
      c->relayed = e->relayed;
      c->mapped = e->mapped;
      break;
    case ICE_TURN_EVENT_PERMISSION_CREATED:
      c->permissions++;
      break;
    case ICE_TURN_EVENT_CHANNEL_BOUND:
      c->channels++;
      break;
    case ICE_TURN_EVENT_CLOSED:
      c->closed = true;
      break;
    case ICE_TURN_EVENT_REFRESHED:
      break;
    case ICE_TURN_EVENT_ALTERNATE_SERVER:
      c->alternate = e->alternate;
      c->failed = true;
      c->error_code = e->error_code;
      break;
    case ICE_TURN_EVENT_FAILED:
    case ICE_TURN_EVENT_PERMISSION_FAILED:
    case ICE_TURN_EVENT_CHANNEL_FAILED:
      printf ("# TURN %s: %d %s\n", ice_turn_event_name (e->type), e->error_code,
              e->reason ? e->reason : "");
      c->failed = true;
      c->error_code = e->error_code;
      break;
    }
}

static void
on_turn_data (FloeStunSocket *sock, gpointer turn, gpointer data, gpointer user)
{
  Client *c = user;
  const ice_turn_data *d = data;
  (void) sock;
  (void) turn;
  c->got_data = true;
  c->data_peer = d->peer;
  c->data_channel = d->channel;
  g_byte_array_set_size (c->data, 0);
  g_byte_array_append (c->data, d->data, (guint) d->len);
}

static guint16
server_port (const Coturn *turn, ice_transport t)
{
  return t == ICE_TRANSPORT_TLS ? turn->tls_port : turn->port;
}

typedef struct
{
  bool done;
  FloeStunSocket *sock;
  GError *error;
} Connecting;

static void
on_stream_ready (GObject *source, GAsyncResult *result, gpointer user)
{
  Connecting *c = user;
  (void) source;
  c->sock = floe_stun_socket_new_stream_finish (result, &c->error);
  c->done = true;
}

/* UDP, or a stream connected with the async constructor (sync: the
 * blocking one). */
static FloeStunSocket *
open_socket_with (const Coturn *turn, ice_transport t, bool sync)
{
  g_autoptr (GError) error = NULL;
  FloeStunSocket *sock;
  ice_addr a;
  if (t == ICE_TRANSPORT_UDP)
    {
      ice_addr_set (&a, "127.0.0.1", 0);
      sock = floe_stun_socket_new_udp (&a, &error);
    }
  else if (sync)
    {
      ice_addr_set (&a, "127.0.0.1", server_port (turn, t));
      sock = floe_stun_socket_new_stream (t, &a, "localhost", cert_path, NULL, &error);
    }
  else
    {
      Connecting c = { 0 };
      ice_addr_set (&a, "127.0.0.1", server_port (turn, t));
      floe_stun_socket_new_stream_async (t, &a, "localhost", cert_path, NULL,
                                         on_stream_ready, &c);
      ck_assert (run_until (&c.done));
      sock = c.sock;
      error = c.error;
    }
  ck_assert_msg (sock != NULL, "socket: %s", error ? error->message : "?");
  ck_assert_int_eq (floe_stun_socket_get_transport (sock), t);
  return sock;
}

static FloeStunSocket *
open_socket (const Coturn *turn, ice_transport t)
{
  return open_socket_with (turn, t, false);
}

/* One Binding transaction on sock through txns (already added to it):
 * the mapped address coturn saw. */
static ice_addr
binding (FloeStunSocket *sock, ice_stun_txns *txns, BindingResult *result)
{
  ice_transport t = floe_stun_socket_get_transport (sock);
  memset (result, 0, sizeof *result);
  uint8_t buf[128];
  ice_stun_writer w;
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_add_fingerprint (&w);
  int len = ice_stun_writer_finish (&w);
  ck_assert_int_gt (len, 0);
  ice_stun_txn_request req = {
    .data = buf,
    .len = (size_t) len,
    .transport = t,
    .local = *floe_stun_socket_get_local (sock),
  };
  ice_addr_set (&req.remote, "127.0.0.1", server_port (&main_turn, t));
  ck_assert_int_eq (ice_stun_txns_start (txns, (uint64_t) g_get_monotonic_time (), &req), 0);
  floe_stun_socket_kick (sock, txns);
  ck_assert (run_until (&result->done));
  ck_assert_int_eq (result->kind, ICE_STUN_TXN_RESPONSE);
  ck_assert_int_eq (result->mapped_rc, 0);
  return result->mapped;
}

static void
client_open_on (Client *c, const Coturn *turn, ice_transport t,
                const char *username, const char *password, int relay_family)
{
  memset (c, 0, sizeof *c);
  c->data = g_byte_array_new ();
  c->sock = open_socket (turn, t);
  ice_turn_config cfg = {
    .local = *floe_stun_socket_get_local (c->sock),
    .transport = t,
    .username = username,
    .password = password,
    .relay_family = relay_family,
    .software = "floe-test",
  };
  ice_addr_set (&cfg.server, "127.0.0.1", server_port (turn, t));
  c->turn = ice_turn_client_new (&cfg);
  ck_assert_ptr_nonnull (c->turn);
  g_signal_connect (c->sock, "turn-event", G_CALLBACK (on_turn_event), c);
  g_signal_connect (c->sock, "turn-data", G_CALLBACK (on_turn_data), c);
  c->stun = ice_stun_txns_new (NULL);
  g_signal_connect (c->sock, "stun-event", G_CALLBACK (on_stun_event), &c->binding);
  floe_stun_socket_add_stun (c->sock, c->stun);
  floe_stun_socket_add_turn (c->sock, c->turn);
}

static void
client_open (Client *c, ice_transport t, const char *password)
{
  client_open_on (c, &main_turn, t, USER, password, AF_INET);
}

static bool
allocation_settled (gconstpointer p)
{
  const Client *c = p;
  return c->allocated || c->failed;
}

static void
client_allocate (Client *c)
{
  ck_assert_int_eq (ice_turn_client_allocate (c->turn, (uint64_t) g_get_monotonic_time ()), 0);
  floe_stun_socket_kick (c->sock, c->turn);
  ck_assert (run_until_cond (allocation_settled, c));
}

static bool
has_permission_or_failed (gconstpointer p)
{
  const Client *c = p;
  return c->permissions > 0 || c->failed;
}

static bool
has_channel_or_failed (gconstpointer p)
{
  const Client *c = p;
  return c->channels > 0 || c->failed;
}

static void
client_close (Client *c)
{
  if (c->allocated && !c->failed)
    {
      ice_turn_client_close (c->turn, (uint64_t) g_get_monotonic_time ());
      floe_stun_socket_kick (c->sock, c->turn);
      ck_assert (run_until (&c->closed));
      ck_assert_int_eq (ice_turn_client_state (c->turn), ICE_TURN_STATE_CLOSED);
    }
  floe_stun_socket_remove_engine (c->sock, c->turn);
  floe_stun_socket_remove_engine (c->sock, c->stun);
  ice_stun_txns_free (c->stun);
  ice_turn_client_free (c->turn);
  g_object_unref (c->sock);
  g_byte_array_unref (c->data);
}

/* ------------------------------------------------------------------ tests */

static const ice_transport transports[] = { ICE_TRANSPORT_UDP, ICE_TRANSPORT_TCP, ICE_TRANSPORT_TLS };

START_TEST (test_binding)
{
  ice_transport t = transports[_i];
  FloeStunSocket *sock = open_socket_with (&main_turn, t, true);
  ice_stun_txns *txns = ice_stun_txns_new (NULL);
  BindingResult result;
  g_signal_connect (sock, "stun-event", G_CALLBACK (on_stun_event), &result);
  floe_stun_socket_add_stun (sock, txns);
  ice_addr mapped = binding (sock, txns, &result);
  /* On loopback coturn sees exactly our socket's address. */
  char a[ICE_ADDR_STRLEN], b[ICE_ADDR_STRLEN];
  ck_assert_msg (ice_addr_equal (&mapped, floe_stun_socket_get_local (sock)),
                 "mapped %s, local %s", ice_addr_to_string (&mapped, a),
                 ice_addr_to_string (floe_stun_socket_get_local (sock), b));
  floe_stun_socket_remove_engine (sock, txns);
  ice_stun_txns_free (txns);
  g_object_unref (sock);
}
END_TEST

/* TLS checks the certificate: not trusted without our CA, and not for
 * another name even with it. */
START_TEST (test_tls_verifies)
{
  ice_addr a;
  ice_addr_set (&a, "127.0.0.1", main_turn.tls_port);
  g_autoptr (GError) error = NULL;
  FloeStunSocket *sock = floe_stun_socket_new_stream (ICE_TRANSPORT_TLS, &a, "localhost",
                                                      NULL, NULL, &error);
  ck_assert_ptr_null (sock);
  ck_assert_msg (error->domain == G_TLS_ERROR, "%s", error->message);
  g_clear_error (&error);

  Connecting c = { 0 };
  floe_stun_socket_new_stream_async (ICE_TRANSPORT_TLS, &a, "turn.example.org", cert_path,
                                     NULL, on_stream_ready, &c);
  ck_assert (run_until (&c.done));
  ck_assert_ptr_null (c.sock);
  ck_assert_msg (c.error->domain == G_TLS_ERROR, "%s", c.error->message);
  g_error_free (c.error);
}
END_TEST

START_TEST (test_allocate)
{
  ice_transport t = transports[_i];
  Client c;
  client_open (&c, t, PASS);
  client_allocate (&c);
  ck_assert_msg (c.allocated, "no allocation over %s", ice_transport_name (t));
  ck_assert_int_eq (c.relayed.family, AF_INET);
  char ip[ICE_ADDR_STRLEN];
  ck_assert_str_eq (ice_addr_ip_string (&c.relayed, ip), "127.0.0.1");
  ck_assert_uint_ne (c.relayed.port, 0);
  ck_assert (ice_addr_equal (&c.mapped, floe_stun_socket_get_local (c.sock)));
  ck_assert_int_eq (ice_turn_client_state (c.turn), ICE_TURN_STATE_ALLOCATED);
  /* The next timer is the refresh, well after now. */
  uint64_t next = ice_turn_client_next_timeout (c.turn);
  ck_assert_uint_gt (next, (uint64_t) g_get_monotonic_time () + 60 * G_USEC_PER_SEC);
  client_close (&c);
}
END_TEST

START_TEST (test_wrong_password)
{
  Client c;
  client_open (&c, ICE_TRANSPORT_UDP, "not-the-password");
  client_allocate (&c);
  ck_assert (!c.allocated);
  ck_assert (c.failed);
  ck_assert_int_eq (c.error_code, 401);
  ck_assert_int_eq (ice_turn_client_state (c.turn), ICE_TURN_STATE_FAILED);
  client_close (&c);
}
END_TEST

static const ice_transport relay_pairs[][2] = {
  { ICE_TRANSPORT_UDP, ICE_TRANSPORT_UDP },
  { ICE_TRANSPORT_UDP, ICE_TRANSPORT_TCP },
  { ICE_TRANSPORT_TCP, ICE_TRANSPORT_TLS },
};

static void
expect_data (Client *to, const ice_addr *from, uint16_t channel,
             const uint8_t *payload, size_t len)
{
  to->got_data = false;
  ck_assert (run_until (&to->got_data));
  ck_assert (ice_addr_equal (&to->data_peer, from));
  ck_assert_uint_eq (to->data_channel, channel);
  ck_assert_uint_eq (to->data->len, len);
  ck_assert_mem_eq (to->data->data, payload, len);
}

START_TEST (test_relay)
{
  if (relay_pairs[_i][1] == ICE_TRANSPORT_TLS && cert_path == NULL)
    return;
  Client a, b;
  client_open (&a, relay_pairs[_i][0], PASS);
  client_open (&b, relay_pairs[_i][1], PASS);
  client_allocate (&a);
  client_allocate (&b);
  ck_assert (a.allocated && b.allocated);

  uint64_t now = (uint64_t) g_get_monotonic_time ();
  ck_assert_int_eq (ice_turn_client_create_permission (a.turn, now, &b.relayed), 0);
  ck_assert_int_eq (ice_turn_client_create_permission (b.turn, now, &a.relayed), 0);
  floe_stun_socket_kick (a.sock, a.turn);
  floe_stun_socket_kick (b.sock, b.turn);
  ck_assert (run_until_cond (has_permission_or_failed, &a));
  ck_assert (run_until_cond (has_permission_or_failed, &b));
  ck_assert (!a.failed && !b.failed);

  /* A -> B in a Send indication, arriving as a Data indication. */
  const uint8_t ping[] = "ping through coturn";
  g_autoptr (GError) error = NULL;
  ck_assert (floe_stun_socket_turn_send (a.sock, a.turn, &b.relayed, ping, sizeof ping, &error));
  expect_data (&b, &a.relayed, 0, ping, sizeof ping);

  /* B binds a channel to A and answers over it (ChannelData, padded on
   * streams); coturn hands it to A in a Data indication. */
  now = (uint64_t) g_get_monotonic_time ();
  int ch_b = ice_turn_client_bind_channel (b.turn, now, &a.relayed);
  ck_assert_int_ge (ch_b, 0x4000);
  floe_stun_socket_kick (b.sock, b.turn);
  ck_assert (run_until_cond (has_channel_or_failed, &b));
  ck_assert_int_eq (b.channels, 1);
  const uint8_t pong[] = "pong, odd length";
  ck_assert (floe_stun_socket_turn_send (b.sock, b.turn, &a.relayed, pong, sizeof pong, &error));
  expect_data (&a, &b.relayed, 0, pong, sizeof pong);

  /* A binds too: now both directions are ChannelData, with B's channel
   * number on what B receives. */
  int ch_a = ice_turn_client_bind_channel (a.turn, now, &b.relayed);
  ck_assert_int_ge (ch_a, 0x4000);
  floe_stun_socket_kick (a.sock, a.turn);
  ck_assert (run_until_cond (has_channel_or_failed, &a));
  ck_assert_int_eq (a.channels, 1);
  uint8_t big[1001];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t) (i * 7);
  ck_assert (floe_stun_socket_turn_send (a.sock, a.turn, &b.relayed, big, sizeof big, &error));
  expect_data (&b, &a.relayed, (uint16_t) ch_b, big, sizeof big);
  ck_assert (floe_stun_socket_turn_send (b.sock, b.turn, &a.relayed, big, 999, &error));
  expect_data (&a, &b.relayed, (uint16_t) ch_a, big, 999);

  /* The Binding client on the same sockets still gets its answers, and
   * ChannelData keeps reaching TURN past it. */
  ice_addr mapped = binding (a.sock, a.stun, &a.binding);
  ck_assert (ice_addr_equal (&mapped, floe_stun_socket_get_local (a.sock)));
  ck_assert (floe_stun_socket_turn_send (b.sock, b.turn, &a.relayed, ping, sizeof ping, &error));
  expect_data (&a, &b.relayed, (uint16_t) ch_a, ping, sizeof ping);

  ice_turn_stats st;
  ice_turn_client_stats (b.turn, &st);
  ck_assert_uint_eq (st.dropped_malformed + st.dropped_unauthenticated + st.dropped_unmatched, 0);
  client_close (&a);
  client_close (&b);
}
END_TEST

/* RFC 6156: IPv6 relays asked for over an IPv4 connection, and data
 * between two of them (one over UDP, one over TCP). */
START_TEST (test_ipv6_relay)
{
  Client a, b;
  client_open_on (&a, &main_turn, ICE_TRANSPORT_UDP, USER, PASS, AF_INET6);
  client_open_on (&b, &main_turn, ICE_TRANSPORT_TCP, USER, PASS, AF_INET6);
  client_allocate (&a);
  client_allocate (&b);
  ck_assert_msg (a.allocated && b.allocated, "IPv6 allocation failed: %d", a.error_code ? a.error_code : b.error_code);
  char ip[ICE_ADDR_STRLEN];
  ck_assert_int_eq (a.relayed.family, AF_INET6);
  ck_assert_str_eq (ice_addr_ip_string (&a.relayed, ip), "::1");
  ck_assert_int_eq (a.mapped.family, AF_INET);

  uint64_t now = (uint64_t) g_get_monotonic_time ();
  ck_assert_int_eq (ice_turn_client_create_permission (a.turn, now, &b.relayed), 0);
  int ch = ice_turn_client_bind_channel (b.turn, now, &a.relayed);
  ck_assert_int_ge (ch, 0x4000);
  floe_stun_socket_kick (a.sock, a.turn);
  floe_stun_socket_kick (b.sock, b.turn);
  ck_assert (run_until_cond (has_permission_or_failed, &a));
  ck_assert (run_until_cond (has_channel_or_failed, &b));
  ck_assert (!a.failed && !b.failed);

  const uint8_t hello[] = "over IPv6 relays";
  g_autoptr (GError) error = NULL;
  ck_assert (floe_stun_socket_turn_send (a.sock, a.turn, &b.relayed, hello, sizeof hello, &error));
  expect_data (&b, &a.relayed, (uint16_t) ch, hello, sizeof hello);
  ck_assert (floe_stun_socket_turn_send (b.sock, b.turn, &a.relayed, hello, 5, &error));
  expect_data (&a, &b.relayed, 0, hello, 5);
  client_close (&a);
  client_close (&b);
}
END_TEST

/* A real 300: the redirecting server names the main one, where the
 * allocation then succeeds (over UDP and over TCP). */
START_TEST (test_alternate_server)
{
  ice_transport t = transports[_i];
  Client c;
  client_open_on (&c, &redirect_turn, t, USER, PASS, AF_INET);
  client_allocate (&c);
  ck_assert (!c.allocated);
  ck_assert_int_eq (c.error_code, 300);
  ice_addr expected;
  ice_addr_set (&expected, "127.0.0.1", main_turn.port);
  char a[ICE_ADDR_STRLEN];
  ck_assert_msg (ice_addr_equal (&c.alternate, &expected), "alternate %s",
                 ice_addr_to_string (&c.alternate, a));
  client_close (&c);

  client_open (&c, t, PASS);
  client_allocate (&c);
  ck_assert (c.allocated);
  client_close (&c);
}
END_TEST

/* A real 438: the strict server's nonces go stale after a second, so the
 * permission asked for two seconds later is first refused with 438 and
 * then granted on the retry with the new nonce. */
START_TEST (test_stale_nonce)
{
  Client c;
  client_open_on (&c, &strict_turn, ICE_TRANSPORT_UDP, USER, PASS, AF_INET);
  client_allocate (&c);
  ck_assert (c.allocated);
  g_usleep (2100 * 1000); /* let the nonce go stale; not a timing assertion */
  ice_addr peer;
  ice_addr_set (&peer, "127.0.0.1", 9);
  ck_assert_int_eq (ice_turn_client_create_permission (c.turn, (uint64_t) g_get_monotonic_time (), &peer), 0);
  floe_stun_socket_kick (c.sock, c.turn);
  ck_assert (run_until_cond (has_permission_or_failed, &c));
  ck_assert_msg (!c.failed, "permission failed with %d", c.error_code);
  ck_assert_int_eq (c.permissions, 1);
  ice_turn_stats st;
  ice_turn_client_stats (c.turn, &st);
  ck_assert_uint_ge (st.stale_nonces, 1);
  client_close (&c);
}
END_TEST

/* A real 486: the strict server allows one allocation per user. */
START_TEST (test_quota)
{
  Client a, b;
  /* A user of its own: coturn frees a quota slot some time after the
   * deallocation, so other tests' allocations must not count. */
  client_open_on (&a, &strict_turn, ICE_TRANSPORT_UDP, "quota", PASS, AF_INET);
  client_open_on (&b, &strict_turn, ICE_TRANSPORT_TCP, "quota", PASS, AF_INET);
  client_allocate (&a);
  ck_assert_msg (a.allocated, "first allocation failed: %d", a.error_code);
  client_allocate (&b);
  ck_assert (!b.allocated);
  ck_assert_int_eq (b.error_code, 486);
  client_close (&b);
  client_close (&a);
}
END_TEST

static Suite *
coturn_suite (void)
{
  Suite *s = suite_create ("turn-coturn");
  TCase *tc = tcase_create ("coturn");
  tcase_set_timeout (tc, 60);
  int n_transports = cert_path ? 3 : 2;
  tcase_add_loop_test (tc, test_binding, 0, n_transports);
  tcase_add_loop_test (tc, test_allocate, 0, n_transports);
  tcase_add_test (tc, test_wrong_password);
  if (cert_path)
    tcase_add_test (tc, test_tls_verifies);
  tcase_add_loop_test (tc, test_relay, 0, (int) G_N_ELEMENTS (relay_pairs));
  if (have_ipv6)
    tcase_add_test (tc, test_ipv6_relay);
  suite_add_tcase (s, tc);

  TCase *strict = tcase_create ("strict");
  tcase_set_timeout (strict, 60);
  tcase_add_test (strict, test_stale_nonce);
  tcase_add_test (strict, test_quota);
  tcase_add_loop_test (strict, test_alternate_server, 0, 2);
  suite_add_tcase (s, strict);
  return s;
}

int
main (void)
{
  turnserver_path = g_find_program_in_path ("turnserver");
  if (turnserver_path == NULL && g_file_test ("/usr/bin/turnserver", G_FILE_TEST_IS_EXECUTABLE))
    turnserver_path = g_strdup ("/usr/bin/turnserver");
  if (turnserver_path == NULL)
    {
      printf ("SKIP: turnserver (coturn) is not installed\n");
      return 77;
    }
  g_autoptr (GError) error = NULL;
  workdir = g_dir_make_tmp ("floe-coturn-XXXXXX", &error);
  if (workdir == NULL)
    {
      printf ("cannot make a temporary directory: %s\n", error->message);
      return EXIT_FAILURE;
    }
  make_certificate ();
  int s6 = socket (AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 lo6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
  have_ipv6 = s6 >= 0 && bind (s6, (struct sockaddr *) &lo6, sizeof lo6) == 0;
  if (s6 >= 0)
    close (s6);
  if (!have_ipv6)
    printf ("# no IPv6 relay test: ::1 is not usable here\n");
  const char *strict_flags[] = { "--stale-nonce=1", "--user-quota=1",
                                 "--user", "quota:" PASS, NULL };
  bool started = start_coturn (&main_turn, cert_path != NULL, NULL)
                 && start_coturn (&strict_turn, false, strict_flags);
  g_autofree char *alternate = g_strdup_printf ("--alternate-server=127.0.0.1:%u", main_turn.port);
  const char *redirect_flags[] = { alternate, NULL };
  started = started && start_coturn (&redirect_turn, false, redirect_flags);
  if (!started)
    {
      printf ("coturn could not be started\n");
      stop_coturn (&main_turn);
      stop_coturn (&strict_turn);
      return EXIT_FAILURE;
    }

  SRunner *sr = srunner_create (coturn_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);

  if (failed)
    {
      print_log (&main_turn);
      print_log (&strict_turn);
      print_log (&redirect_turn);
    }
  stop_coturn (&main_turn);
  stop_coturn (&strict_turn);
  stop_coturn (&redirect_turn);
  const char *rm[] = { "rm", "-rf", workdir, NULL };
  g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  g_free (workdir);
  g_free (cert_path);
  g_free (turnserver_path);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
