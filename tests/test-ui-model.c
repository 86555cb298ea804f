/* The desktop app's parts that need no display: the path of a call in
 * words, the call history file, and what the assistant accepts as a SIP
 * address. */
#include "config.h"

#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/floe-account-assistant.h"
#include "ui/floe-call-history.h"
#include "ui/floe-path-description.h"

/* --- the path in words --------------------------------------------------- */

static void
assert_sentence (const char *local_type, const char *remote_type, const char *relay_transport,
                 gboolean udp_blocked, const char *expected)
{
  FloePathInfo path = {
    .local_type = local_type, .local_address = "192.0.2.10:50000",
    .remote_type = remote_type, .remote_address = "198.51.100.20:40000",
    .relay_server = "turn.example.org", .relay_transport = relay_transport,
    .udp_blocked = udp_blocked, .check_rtt_ms = -1,
  };
  g_autofree char *sentence = floe_path_describe (&path);

  ck_assert_str_eq (sentence, expected);
}

START_TEST (test_path_direct)
{
  assert_sentence ("host", "host", NULL, FALSE, "Direct connection on your local network");
  assert_sentence ("srflx", "host", NULL, FALSE, "Direct connection through your router");
  assert_sentence ("prflx", "host", NULL, FALSE, "Direct connection through your router");
  assert_sentence ("host", "srflx", NULL, FALSE, "Direct connection through the other side’s router");
  assert_sentence ("srflx", "prflx", NULL, FALSE, "Direct connection through both routers");
}
END_TEST

START_TEST (test_path_relayed)
{
  FloePathInfo path = { .local_type = "relay", .remote_type = "host" };

  assert_sentence ("relay", "host", "tcp", TRUE, "Relayed through turn.example.org over TCP because UDP is blocked");
  assert_sentence ("relay", "srflx", "udp", FALSE,
                   "Relayed through turn.example.org over UDP because no direct path was found");
  /* TCP by configuration, not because UDP failed: no claim about UDP. */
  assert_sentence ("relay", "host", "tcp", FALSE,
                   "Relayed through turn.example.org over TCP because no direct path was found");
  assert_sentence ("relay", "relay", "tls", FALSE,
                   "Relayed through turn.example.org over TLS because no direct path was found");
  assert_sentence ("host", "relay", NULL, FALSE,
                   "Relayed through the other side’s server because no direct path was found");
  ck_assert (floe_path_is_relayed (&path));
  path.local_type = "srflx";
  ck_assert (!floe_path_is_relayed (&path));
  path.remote_type = "relay";
  ck_assert (floe_path_is_relayed (&path));
}
END_TEST

START_TEST (test_path_none_and_pair)
{
  FloePathInfo path = {
    .local_type = "srflx", .local_address = "203.0.113.5:4000",
    .remote_type = "host", .remote_address = "[2001:db8::1]:5000",
  };
  FloePathInfo half = { .local_type = "host" };
  g_autofree char *none = floe_path_describe (NULL);
  g_autofree char *half_sentence = floe_path_describe (&half);
  g_autofree char *pair = floe_path_describe_pair (&path);
  g_autofree char *no_pair = floe_path_describe_pair (NULL);

  ck_assert_str_eq (none, "No connection yet");
  ck_assert_str_eq (half_sentence, "No connection yet");
  ck_assert_str_eq (pair, "You: public address seen by the STUN server 203.0.113.5:4000 · "
                          "Them: local address [2001:db8::1]:5000");
  ck_assert_str_eq (no_pair, "");
  ck_assert_str_eq (floe_path_candidate_type_label ("RELAY"), "relay server address");
  ck_assert_str_eq (floe_path_candidate_type_label ("bogus"), "unknown");
  ck_assert_str_eq (floe_path_candidate_type_label (NULL), "unknown");
}
END_TEST

/* --- the history file ---------------------------------------------------- */

static char *tmpdir;

static void
history_setup (void)
{
  tmpdir = g_dir_make_tmp ("floe-ui-model-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmpdir);
}

static void
history_teardown (void)
{
  g_autoptr (GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static void
add (FloeCallHistory *history, const char *peer, FloeCallDirection direction, gint64 start, gint64 duration)
{
  g_autoptr (FloeHistoryEntry) entry = floe_history_entry_new (peer, direction, start, duration);
  g_autoptr (GError) error = NULL;

  ck_assert_msg (floe_call_history_add (history, entry, &error), "%s", error ? error->message : "");
}

START_TEST (test_history_round_trip)
{
  g_autofree char *path = g_build_filename (tmpdir, "sub", "history", NULL);
  g_autofree char *sub = g_build_filename (tmpdir, "sub", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (FloeCallHistory) history = floe_call_history_new (path, &error);
  g_autoptr (FloeCallHistory) again = NULL;
  g_autoptr (FloeHistoryEntry) first = NULL;
  g_autoptr (FloeHistoryEntry) last = NULL;

  /* No file yet: an empty history and no error. */
  ck_assert_ptr_null (error);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (history)), 0);
  add (history, "sip:bob@example.org", FLOE_CALL_DIRECTION_OUTGOING, 1700000000, 75);
  add (history, "sip:carol@example.org", FLOE_CALL_DIRECTION_MISSED, 1700000100, 0);
  add (history, "sip:dave@example.org", FLOE_CALL_DIRECTION_INCOMING, 1700000200, 3601);

  again = floe_call_history_new (path, &error);
  ck_assert_ptr_null (error);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (again)), 3);
  first = g_list_model_get_item (G_LIST_MODEL (again), 0);
  last = g_list_model_get_item (G_LIST_MODEL (again), 2);
  ck_assert_str_eq (floe_history_entry_get_peer (first), "sip:dave@example.org");
  ck_assert_int_eq (floe_history_entry_get_direction (first), FLOE_CALL_DIRECTION_INCOMING);
  ck_assert_int_eq (floe_history_entry_get_start (first), 1700000200);
  ck_assert_int_eq (floe_history_entry_get_duration (first), 3601);
  ck_assert_str_eq (floe_history_entry_get_peer (last), "sip:bob@example.org");
  ck_assert_int_eq (floe_history_entry_get_duration (last), 75);

  ck_assert (floe_call_history_clear (again, &error));
  g_clear_object (&again);
  again = floe_call_history_new (path, &error);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (again)), 0);
  g_clear_object (&again);

  /* The history is private: the file is the user's only. */
  {
    GStatBuf st;

    ck_assert_int_eq (g_stat (path, &st), 0);
    ck_assert_int_eq (st.st_mode & 077, 0);
  }
  g_unlink (path);
  g_rmdir (sub);
}
END_TEST

static guint changes_added;

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, gpointer data)
{
  changes_added += added;
}

START_TEST (test_history_is_bounded)
{
  g_autofree char *path = g_build_filename (tmpdir, "history", NULL);
  g_autoptr (FloeCallHistory) history = floe_call_history_new (path, NULL);
  g_autoptr (FloeCallHistory) again = NULL;
  g_autoptr (FloeHistoryEntry) newest = NULL;
  g_autoptr (FloeHistoryEntry) oldest = NULL;

  g_signal_connect (history, "items-changed", G_CALLBACK (on_items_changed), NULL);
  changes_added = 0;
  for (int i = 0; i < FLOE_CALL_HISTORY_MAX + 5; i++)
    {
      g_autofree char *peer = g_strdup_printf ("sip:%d@example.org", i);

      add (history, peer, FLOE_CALL_DIRECTION_OUTGOING, 1700000000 + i, i);
    }
  ck_assert_uint_eq (changes_added, FLOE_CALL_HISTORY_MAX + 5);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (history)), FLOE_CALL_HISTORY_MAX);
  again = floe_call_history_new (path, NULL);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (again)), FLOE_CALL_HISTORY_MAX);
  newest = g_list_model_get_item (G_LIST_MODEL (again), 0);
  oldest = g_list_model_get_item (G_LIST_MODEL (again), FLOE_CALL_HISTORY_MAX - 1);
  ck_assert_str_eq (floe_history_entry_get_peer (newest), "sip:204@example.org");
  ck_assert_str_eq (floe_history_entry_get_peer (oldest), "sip:5@example.org");
  ck_assert_ptr_null (g_list_model_get_item (G_LIST_MODEL (again), FLOE_CALL_HISTORY_MAX));
}
END_TEST

/* A damaged file: every truncation of a good one, and random bytes. None
 * may crash or yield garbage; each entry read back must be one written. */
START_TEST (test_history_damaged)
{
  g_autofree char *path = g_build_filename (tmpdir, "history", NULL);
  g_autofree char *contents = NULL;
  gsize length;
  g_autoptr (GRand) rand = g_rand_new_with_seed (5489);

  {
    g_autoptr (FloeCallHistory) history = floe_call_history_new (path, NULL);

    add (history, "sip:bob@example.org", FLOE_CALL_DIRECTION_OUTGOING, 1700000000, 12);
    add (history, "sip:carol@example.org", FLOE_CALL_DIRECTION_INCOMING, 1700000001, 34);
  }
  ck_assert (g_file_get_contents (path, &contents, &length, NULL));

  for (gsize cut = 0; cut < length; cut++)
    {
      g_autoptr (FloeCallHistory) history = NULL;
      g_autoptr (GError) error = NULL;

      ck_assert (g_file_set_contents (path, contents, (gssize) cut, NULL));
      history = floe_call_history_new (path, &error);
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (history)); i++)
        {
          g_autoptr (FloeHistoryEntry) entry = g_list_model_get_item (G_LIST_MODEL (history), i);
          const char *peer = floe_history_entry_get_peer (entry);

          ck_assert (g_str_equal (peer, "sip:bob@example.org") || g_str_equal (peer, "sip:carol@example.org"));
        }
    }
  for (int round = 0; round < 200; round++)
    {
      guint8 junk[96];
      gsize n = (gsize) g_rand_int_range (rand, 0, sizeof junk);
      g_autoptr (FloeCallHistory) history = NULL;
      g_autoptr (GError) error = NULL;

      for (gsize i = 0; i < n; i++)
        junk[i] = (guint8) g_rand_int_range (rand, 0, 256);
      ck_assert (g_file_set_contents (path, (const char *) junk, (gssize) n, NULL));
      history = floe_call_history_new (path, &error);
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (history)); i++)
        {
          g_autoptr (FloeHistoryEntry) entry = g_list_model_get_item (G_LIST_MODEL (history), i);

          ck_assert (g_utf8_validate (floe_history_entry_get_peer (entry), -1, NULL));
          ck_assert_int_le (floe_history_entry_get_direction (entry), FLOE_CALL_DIRECTION_LAST);
        }
      /* A damaged history is rewritten whole on the next call. */
      add (history, "sip:erin@example.org", FLOE_CALL_DIRECTION_OUTGOING, 1700000002, 1);
    }
}
END_TEST

/* --- SIP addresses in the assistant ------------------------------------ */

START_TEST (test_address_normalized)
{
  static const char *const good[][2] = {
    { "alice@example.org", "sip:alice@example.org" },
    { "  sip:bob@example.org ", "sip:bob@example.org" },
    { "SIP:carol@192.0.2.1:5070", "sip:carol@192.0.2.1:5070" },
    { "sips:dave@example.org", "sips:dave@example.org" },
    { "+33123456789@provider.example", "sip:+33123456789@provider.example" },
  };
  static const char *const bad[] = {
    "", "   ", "alice", "sip:", "@example.org", "alice@", "sip:@example.org",
    "a b@example.org", "alice@example.org@x", "<sip:alice@example.org>", "\"alice\"@example.org",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *address = floe_account_assistant_normalize_address (good[i][0], &error);

      ck_assert_msg (address != NULL, "“%s” refused", good[i][0]);
      ck_assert_str_eq (address, good[i][1]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *address = floe_account_assistant_normalize_address (bad[i], &error);

      ck_assert_msg (address == NULL, "“%s” accepted as %s", bad[i], address);
      ck_assert_ptr_nonnull (error);
    }
  ck_assert_ptr_null (floe_account_assistant_normalize_address (NULL, NULL));
}
END_TEST

static Suite *
ui_model_suite (void)
{
  Suite *s = suite_create ("ui-model");
  TCase *tc = tcase_create ("path");
  TCase *th = tcase_create ("history");
  TCase *ta = tcase_create ("address");

  tcase_add_test (tc, test_path_direct);
  tcase_add_test (tc, test_path_relayed);
  tcase_add_test (tc, test_path_none_and_pair);
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (th, history_setup, history_teardown);
  tcase_add_test (th, test_history_round_trip);
  tcase_add_test (th, test_history_is_bounded);
  tcase_add_test (th, test_history_damaged);
  suite_add_tcase (s, th);
  tcase_add_test (ta, test_address_normalized);
  suite_add_tcase (s, ta);
  return s;
}

int
main (void)
{
  SRunner *runner = srunner_create (ui_model_suite ());
  int failed;

  srunner_run_all (runner, CK_NORMAL);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
