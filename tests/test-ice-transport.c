/* The ICE agent with its real socket glue: two transports on the loopback
 * interface complete ICE and carry data both ways over the selected pair. */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "src/floe-ice-transport.h"

typedef struct
{
  FloeIceTransport *t;
  gboolean gathered;
  gboolean selected;
  ice_pair_info pair;
  char received[64];
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
on_receive (gpointer user, guint component, const guint8 *data, gsize len)
{
  Side *s = user;

  memcpy (s->received, data, MIN (len, sizeof s->received - 1));
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until *done or 10 s (a bound on a hang, not a timing assertion). */
static void
run_until (gboolean *done)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (10, on_timeout, &expired);

  while (!*done && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
}

static void
side_init (Side *s, gboolean controlling)
{
  g_autoptr (GError) error = NULL;

  memset (s, 0, sizeof *s);
  s->t = floe_ice_transport_new (controlling, 1, NULL, FLOE_ICE_POLICY_ALL, "lo", &error);
  ck_assert_msg (s->t != NULL, "%s", error ? error->message : "");
  g_signal_connect (s->t, "gathering-done", G_CALLBACK (on_gathering_done), s);
  g_signal_connect (s->t, "pair-selected", G_CALLBACK (on_pair_selected), s);
  floe_ice_transport_set_receive (s->t, on_receive, s);
  ck_assert (floe_ice_transport_gather (s->t, NULL));
  run_until (&s->gathered);
  ck_assert (s->gathered);
}

START_TEST (test_two_transports_connect)
{
  Side a, b;
  g_auto (GStrv) a_lines = NULL;
  g_auto (GStrv) b_lines = NULL;
  g_autofree char *addr = NULL;
  guint16 port = 0;
  static const guint8 rtp_like[] = { 0x80, 0x00, 0x00, 0x01, 'h', 'e', 'l', 'l', 'o' };

  side_init (&a, TRUE);
  side_init (&b, FALSE);
  a_lines = floe_ice_transport_local_lines (a.t);
  b_lines = floe_ice_transport_local_lines (b.t);
  ck_assert (g_str_has_prefix (a_lines[0], "ice-ufrag:"));
  ck_assert (g_strv_length (a_lines) > 3); /* ufrag, pwd, options, candidates */
  ck_assert (floe_ice_transport_default_candidate (a.t, 1, &addr, &port));
  ck_assert_msg (g_str_equal (addr, "127.0.0.1") || g_str_equal (addr, "::1"), "default candidate %s", addr);
  ck_assert_int_ne (port, 0);
  ck_assert_int_eq (floe_ice_transport_send (a.t, 1, rtp_like, sizeof rtp_like), -ENOTCONN);

  ck_assert (floe_ice_transport_set_remote (a.t, (const char *const *) b_lines, NULL));
  ck_assert (floe_ice_transport_set_remote (b.t, (const char *const *) a_lines, NULL));
  run_until (&a.selected);
  run_until (&b.selected);
  ck_assert (a.selected && b.selected);
  ck_assert_int_eq (a.pair.local.type, ICE_CAND_HOST);
  ck_assert (ice_addr_equal (&a.pair.remote.addr, &b.pair.local.addr));

  ck_assert_int_eq (floe_ice_transport_send (a.t, 1, rtp_like, sizeof rtp_like), 0);
  while (b.received[0] == '\0')
    g_main_context_iteration (NULL, TRUE);
  ck_assert_mem_eq (b.received, rtp_like, sizeof rtp_like);

  g_object_unref (a.t);
  g_object_unref (b.t);
}
END_TEST

START_TEST (test_bad_remote_line_is_named)
{
  Side a;
  g_autoptr (GError) error = NULL;
  const char *lines[] = { "a=ice-ufrag:abcd", "a=ice-pwd:0123456789abcdef012345",
                          "a=candidate:1 1 UDP not-a-number 127.0.0.1 5000 typ host", NULL };

  side_init (&a, TRUE);
  ck_assert (!floe_ice_transport_set_remote (a.t, lines, &error));
  ck_assert_ptr_nonnull (strstr (error->message, "candidate"));
  g_object_unref (a.t);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("ice-transport");
  TCase *tc = tcase_create ("loopback");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_two_transports_connect);
  tcase_add_test (tc, test_bad_remote_line_is_named);
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
