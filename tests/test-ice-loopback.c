/* The ICE agent with its real socket glue (FloeIceTransport) in two
 * processes on the loopback interface: they swap their ICE lines through a
 * pipe as an offer and an answer would, complete ICE over real UDP sockets,
 * and exchange a datagram each way over the selected pair. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/floe-ice-pool.h"
#include "src/floe-ice-transport.h"
#include "check-run.h"

typedef struct
{
  FloeIceTransport *t;
  gboolean gathered;
  gboolean selected;
  gboolean failed;
  ice_pair_info pair;
  guint8 received[64];
  gsize received_len;
} Side;

static void
on_gathering_done (FloeIceTransport *t, gpointer data)
{
  ((Side *) data)->gathered = TRUE;
}

static void
on_pair_selected (FloeIceTransport *t, guint component, gpointer pair, gpointer data)
{
  Side *s = data;

  s->selected = TRUE;
  s->pair = *(const ice_pair_info *) pair;
}

static void
on_failed (FloeIceTransport *t, gint reason, const char *sentence, gpointer data)
{
  ((Side *) data)->failed = TRUE;
}

static void
on_receive (gpointer user, guint component, const guint8 *data, gsize len)
{
  Side *s = user;

  s->received_len = MIN (len, sizeof s->received);
  memcpy (s->received, data, s->received_len);
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until *flag or `seconds` (a bound on a hang, not a
 * timing assertion). */
static void
run_until (gboolean *flag, guint seconds)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (seconds, on_timeout, &expired);

  while (!*flag && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
}

static gboolean
side_start (Side *s, gboolean controlling)
{
  memset (s, 0, sizeof *s);
  s->t = floe_ice_transport_new (controlling, 1, NULL, FLOE_ICE_POLICY_ALL, "lo", NULL);
  if (s->t == NULL)
    return FALSE;
  g_signal_connect (s->t, "gathering-done", G_CALLBACK (on_gathering_done), s);
  g_signal_connect (s->t, "pair-selected", G_CALLBACK (on_pair_selected), s);
  g_signal_connect (s->t, "failed", G_CALLBACK (on_failed), s);
  floe_ice_transport_set_receive (s->t, on_receive, s);
  if (!floe_ice_transport_gather (s->t, NULL))
    return FALSE;
  run_until (&s->gathered, 10);
  return s->gathered;
}

/* Our lines, one per text line, then an empty line. */
static gboolean
send_lines (int fd, FloeIceTransport *t)
{
  g_auto (GStrv) lines = floe_ice_transport_local_lines (t);
  GString *text = g_string_new (NULL);
  gboolean ok;

  for (char **l = lines; *l; l++)
    g_string_append_printf (text, "%s\n", *l);
  g_string_append_c (text, '\n');
  ok = write (fd, text->str, text->len) == (ssize_t) text->len;
  g_string_free (text, TRUE);
  return ok;
}

/* Reads the peer's lines up to the empty line. NULL on a short read. */
static char **
receive_lines (int fd)
{
  GString *text = g_string_new (NULL);
  char c;

  while (read (fd, &c, 1) == 1)
    {
      if (c == '\n' && text->len > 0 && text->str[text->len - 1] == '\n')
        {
          char *str, **v;
          g_string_truncate (text, text->len - 1);
          str = g_string_free (text, FALSE);
          v = g_strsplit (str, "\n", -1);
          g_free (str);
          return v;
        }
      g_string_append_c (text, c);
    }
  g_string_free (text, TRUE);
  return NULL;
}

static const guint8 ping[] = { 0x80, 0x00, 0x00, 0x01, 'p', 'i', 'n', 'g' };
static const guint8 pong[] = { 0x80, 0x00, 0x00, 0x02, 'p', 'o', 'n', 'g' };

/* The answerer, in the child process: exit status 0 when it completed,
 * saw the ping and answered it. */
static int
child_main (int from_parent, int to_parent)
{
  Side s;
  char **remote;
  gboolean got_ping = FALSE, linger = FALSE;

  if (!side_start (&s, FALSE))
    return 2;
  remote = receive_lines (from_parent);
  if (remote == NULL || !send_lines (to_parent, s.t))
    return 3;
  if (!floe_ice_transport_set_remote (s.t, (const char *const *) remote, NULL))
    return 4;
  g_strfreev (remote);
  while (!got_ping)
    {
      gboolean expired = FALSE;
      guint id = g_timeout_add_seconds (10, on_timeout, &expired);
      while (s.received_len == 0 && !expired && !s.failed)
        g_main_context_iteration (NULL, TRUE);
      if (!expired)
        g_source_remove (id);
      if (s.received_len == 0)
        return 5;
      got_ping = s.received_len == sizeof ping && memcmp (s.received, ping, sizeof ping) == 0;
      s.received_len = 0;
    }
  if (!s.selected || floe_ice_transport_send (s.t, 1, pong, sizeof pong) != 0)
    return 6;
  /* Stay a moment to answer the peer's consent and retransmissions. */
  g_timeout_add_seconds (1, on_timeout, &linger);
  run_until (&linger, 2);
  g_object_unref (s.t);
  return 0;
}

START_TEST (test_two_processes)
{
  int down[2], up[2], status = -1;
  pid_t pid;
  Side s;
  char **remote;

  ck_assert_int_eq (pipe (down), 0);
  ck_assert_int_eq (pipe (up), 0);
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      close (down[1]);
      close (up[0]);
      _exit (child_main (down[0], up[1]));
    }
  close (down[0]);
  close (up[1]);

  ck_assert (side_start (&s, TRUE));
  ck_assert_int_eq (floe_ice_transport_send (s.t, 1, ping, sizeof ping), -ENOTCONN);
  ck_assert (send_lines (down[1], s.t));
  remote = receive_lines (up[0]);
  ck_assert_ptr_nonnull (remote);
  ck_assert (floe_ice_transport_set_remote (s.t, (const char *const *) remote, NULL));
  g_strfreev (remote);
  run_until (&s.selected, 10);
  ck_assert_msg (s.selected, "no pair selected (failed: %d)", s.failed);
  ck_assert_int_eq (s.pair.local.type, ICE_CAND_HOST);
  ck_assert (ice_addr_is_loopback (&s.pair.remote.addr));

  ck_assert_int_eq (floe_ice_transport_send (s.t, 1, ping, sizeof ping), 0);
  {
    gboolean expired = FALSE;
    guint id = g_timeout_add_seconds (10, on_timeout, &expired);
    while (s.received_len == 0 && !expired)
      g_main_context_iteration (NULL, TRUE);
    if (!expired)
      g_source_remove (id);
  }
  ck_assert_uint_eq (s.received_len, sizeof pong);
  ck_assert_mem_eq (s.received, pong, sizeof pong);

  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  ck_assert_int_eq (WEXITSTATUS (status), 0);
  close (down[1]);
  close (up[0]);
  g_object_unref (s.t);
}
END_TEST

/* The default candidate for c=/m= is ours, and a broken line from the peer
 * is refused with an error that names it. */
START_TEST (test_default_candidate_and_bad_line)
{
  Side s;
  g_autoptr (GError) error = NULL;
  g_autofree char *addr = NULL;
  guint16 port = 0;
  const char *lines[] = { "a=ice-ufrag:abcd", "a=ice-pwd:0123456789abcdef012345",
                          "a=candidate:1 1 UDP not-a-number 127.0.0.1 5000 typ host", NULL };

  ck_assert (side_start (&s, TRUE));
  ck_assert (floe_ice_transport_default_candidate (s.t, 1, &addr, &port));
  ck_assert_msg (g_str_equal (addr, "127.0.0.1") || g_str_equal (addr, "::1"), "default candidate %s", addr);
  ck_assert_uint_ne (port, 0);
  ck_assert (!floe_ice_transport_set_remote (s.t, lines, &error));
  ck_assert_ptr_nonnull (strstr (error->message, "candidate"));
  g_object_unref (s.t);
}
END_TEST

static gboolean
on_binding (GSocket *socket, GIOCondition cond, gpointer data)
{
  guint8 buf[1500];
  gssize n = g_socket_receive (socket, (gchar *) buf, sizeof buf, NULL, NULL);

  /* A STUN Binding request: type 0x0001, then the magic cookie. */
  if (n >= 20 && buf[0] == 0x00 && buf[1] == 0x01 && buf[4] == 0x21 && buf[5] == 0x12)
    *(gboolean *) data = TRUE;
  return G_SOURCE_CONTINUE;
}

/* The pool gathers a spare before any call, with its STUN server's name
 * looked up without blocking ("localhost": the Binding request from the
 * agent's IPv4 socket reaches our socket). A call takes the spare in its role; the next one finds the
 * spare being renewed. */
START_TEST (test_pool)
{
  /* IPv4 only: where "localhost" resolves to ::1 first, the agent's IPv4
   * socket must still be given the name's IPv4 address. */
  g_autoptr (GSocket) stun = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GPtrArray) servers = g_ptr_array_new_with_free_func ((GDestroyNotify) floe_ice_server_free);
  g_autoptr (FloeIcePool) pool = NULL;
  g_autoptr (FloeIceTransport) t = NULL;
  g_autoptr (GSource) source = NULL;
  g_autofree char *uri = NULL;
  gboolean asked = FALSE;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  ck_assert (g_socket_bind (stun, any, TRUE, NULL));
  bound = g_socket_get_local_address (stun, NULL);
  uri = g_strdup_printf ("stun:localhost:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_ptr_array_add (servers, floe_ice_server_parse (uri, FLOE_ICE_SERVER_STUN, NULL));
  source = g_socket_create_source (stun, G_IO_IN, NULL);
  g_source_set_callback (source, (GSourceFunc) (GCallback) on_binding, &asked, NULL);
  g_source_attach (source, NULL);

  pool = floe_ice_pool_new (servers, FLOE_ICE_POLICY_ALL, "lo");
  while (!asked && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_msg (asked, "the spare never asked the STUN server named localhost");
  t = floe_ice_pool_take (pool, TRUE);
  ck_assert_ptr_nonnull (t);
  ck_assert_ptr_null (floe_ice_pool_take (pool, FALSE));
  g_source_destroy (source);
}
END_TEST

/* A spare that cannot work (no interface by that name) is not handed to a
 * call, which gathers its own and reports why. */
START_TEST (test_pool_broken_spare)
{
  g_autoptr (GPtrArray) servers = g_ptr_array_new_with_free_func ((GDestroyNotify) floe_ice_server_free);
  g_autoptr (FloeIcePool) pool = floe_ice_pool_new (servers, FLOE_ICE_POLICY_ALL, "no-such-if0");

  while (g_main_context_iteration (NULL, FALSE))
    ;
  ck_assert_ptr_null (floe_ice_pool_take (pool, TRUE));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("ice-loopback");
  TCase *tc = tcase_create ("two-processes");

  tcase_add_test (tc, test_two_processes);
  tcase_add_test (tc, test_default_candidate_and_bad_line);
  tcase_add_test (tc, test_pool);
  tcase_add_test (tc, test_pool_broken_spare);
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  return floe_check_run (s);
}
