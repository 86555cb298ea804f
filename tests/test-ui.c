/* The desktop app under Xvfb, on a clean profile: a throwaway keyfile
 * GSettings backend, a private session bus with its own gnome-keyring, and
 * temp XDG directories (tests/ui-session.sh sets them up; this program
 * re-runs itself inside it). Drives the real FloeApplication in-process and
 * writes screenshots (PNG) of what it shows into the build directory. */
#define _GNU_SOURCE /* memmem */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/floe-account-assistant.h"
#include "ui/floe-application.h"
#include "ui/floe-call-history.h"
#include "ui/floe-secret-store.h"
#include "ui/floe-window.h"

#define SIP_PASSWORD "correct-horse-battery-staple-7"
#define TURN_PASSWORD "turn-credential-kzq93"

static FloeApplication *app;

/* --- main loop helpers --------------------------------------------------- */

typedef gboolean (*Condition) (gpointer data);

static gboolean
on_give_up (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until cond holds. The guard only stops a hang (a
 * condition that never comes true fails the test); nothing is timed. */
static gboolean
iterate_until (Condition cond, gpointer data)
{
  gboolean gave_up = FALSE;
  guint guard = g_timeout_add_seconds (60, on_give_up, &gave_up);

  while (!cond (data) && !gave_up)
    g_main_context_iteration (NULL, TRUE);
  if (!gave_up)
    g_source_remove (guard);
  return !gave_up;
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  guint *frames = data;

  (*frames)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
enough_frames (gpointer data)
{
  return *(guint *) data >= 3;
}

/* Lets the window lay out and paint a few frames. */
static void
wait_frames (GtkWidget *window)
{
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (window, on_tick, &frames, NULL);

  gtk_widget_queue_draw (window);
  ck_assert_msg (iterate_until (enough_frames, &frames), "the window never painted");
  gtk_widget_remove_tick_callback (window, id);
}

static GtkWindow *
find_window (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static gboolean
assistant_shown (gpointer data)
{
  return find_window (FLOE_TYPE_ACCOUNT_ASSISTANT) != NULL;
}

static gboolean
assistant_gone (gpointer data)
{
  return find_window (FLOE_TYPE_ACCOUNT_ASSISTANT) == NULL;
}

/* Depth-first search for a row whose title is title. */
static GtkWidget *
find_row (GtkWidget *root, const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (root) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
type_into (GtkWidget *root, const char *title, const char *text)
{
  GtkWidget *row = find_row (root, title);

  ck_assert_msg (row != NULL, "no row titled “%s”", title);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

/* --- screenshots --------------------------------------------------------- */

/* Renders the window as it was last painted, saves it as a PNG in the build
 * directory, and checks that it is not blank: a real window has text and
 * controls, so it has many distinct colours. */
static void
screenshot (GtkWidget *window, const char *name)
{
  g_autofree char *path = g_strdup_printf ("ui-screenshot-%s.png", name);
  int width, height;
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree guchar *pixels = NULL;
  g_autoptr (GHashTable) colours = g_hash_table_new (g_direct_hash, g_direct_equal);
  GtkSnapshot *snapshot;
  gsize stride;

  wait_frames (window);
  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  ck_assert_int_gt (width, 100);
  ck_assert_int_gt (height, 100);

  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  ck_assert_msg (node != NULL, "the %s window drew nothing", name);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  ck_assert_msg (gdk_texture_save_to_png (texture, path), "could not write %s", path);

  stride = (gsize) width * 4;
  pixels = g_malloc (stride * (gsize) height);
  gdk_texture_download (texture, pixels, stride);
  for (gsize i = 0; i < stride * (gsize) height; i += 4)
    {
      guint32 pixel;

      memcpy (&pixel, pixels + i, 4);
      g_hash_table_add (colours, GUINT_TO_POINTER (pixel));
    }
  ck_assert_msg (g_hash_table_size (colours) >= 32, "%s looks blank: %u colours", path,
                 g_hash_table_size (colours));

  /* And the file on disk is a PNG that loads back at the same size. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GdkTexture) loaded = gdk_texture_new_from_filename (path, &error);

    ck_assert_msg (loaded != NULL, "%s: %s", path, error != NULL ? error->message : "?");
    ck_assert_int_eq (gdk_texture_get_width (loaded), width);
    ck_assert_int_eq (gdk_texture_get_height (loaded), height);
  }
}

/* --- files must never hold a secret ------------------------------------ */

static gboolean
file_contains (const char *path, const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  return memmem (contents, length, needle, strlen (needle)) != NULL;
}

static void
assert_no_file_holds (const char *dir_path, const char *secret)
{
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        assert_no_file_holds (path, secret);
      else
        ck_assert_msg (!file_contains (path, secret), "%s holds a secret in plain text", path);
    }
}

/* --- the tests, in order (one application for the whole run) ------------ */

START_TEST (test_first_run_shows_assistant)
{
  GtkWindow *assistant;
  GSettings *settings;
  g_auto (GStrv) accounts = NULL;

  ck_assert_msg (iterate_until (assistant_shown, NULL), "no assistant on a clean profile");
  ck_assert_ptr_nonnull (find_window (FLOE_TYPE_WINDOW));

  settings = floe_application_get_settings (app);
  accounts = g_settings_get_strv (settings, "accounts");
  ck_assert_ptr_null (accounts[0]);

  assistant = find_window (FLOE_TYPE_ACCOUNT_ASSISTANT);
  gtk_window_set_default_size (assistant, 480, 620);
  screenshot (GTK_WIDGET (assistant), "assistant");
}
END_TEST

START_TEST (test_assistant_rejects_bad_address)
{
  GtkWidget *assistant = GTK_WIDGET (find_window (FLOE_TYPE_ACCOUNT_ASSISTANT));
  GtkWidget *address;

  ck_assert_ptr_nonnull (assistant);
  type_into (assistant, "SIP Address", "not an address");
  type_into (assistant, "Password", SIP_PASSWORD);
  ck_assert (gtk_widget_activate_action (assistant, "assistant.next", NULL));
  /* Still on the first page: the address row is still on screen. */
  address = find_row (assistant, "SIP Address");
  ck_assert (gtk_widget_is_drawable (address));
  ck_assert (gtk_widget_is_drawable (find_row (assistant, "Password")));
  ck_assert (!gtk_widget_is_drawable (find_row (assistant, "STUN Server (Optional)")));
}
END_TEST

START_TEST (test_assistant_adds_account)
{
  GtkWidget *assistant = GTK_WIDGET (find_window (FLOE_TYPE_ACCOUNT_ASSISTANT));
  GSettings *settings = floe_application_get_settings (app);
  g_auto (GStrv) accounts = NULL;
  g_autoptr (GSettings) account = NULL;
  g_autofree char *address = NULL;
  g_autofree char *transport = NULL;
  g_autofree char *stun = NULL;
  g_autofree char *turn = NULL;
  g_autofree char *turn_user = NULL;
  g_autoptr (GError) error = NULL;
  char *secret;

  ck_assert_ptr_nonnull (assistant);
  type_into (assistant, "SIP Address", "alice@127.0.0.1");
  type_into (assistant, "Password", SIP_PASSWORD);
  ck_assert (gtk_widget_activate_action (assistant, "assistant.next", NULL));
  type_into (assistant, "Registrar (Optional)", "sip:127.0.0.1:5060");
  ck_assert (gtk_widget_activate_action (assistant, "assistant.next", NULL));
  type_into (assistant, "STUN Server (Optional)", "stun:127.0.0.1:3478");
  type_into (assistant, "TURN Server (Optional)", "turn:127.0.0.1:3478?transport=tcp");
  type_into (assistant, "TURN User Name", "alice");
  type_into (assistant, "TURN Password", TURN_PASSWORD);
  ck_assert (gtk_widget_activate_action (assistant, "assistant.next", NULL));
  ck_assert_msg (iterate_until (assistant_gone, NULL), "the assistant did not close");

  accounts = g_settings_get_strv (settings, "accounts");
  ck_assert_ptr_nonnull (accounts[0]);
  ck_assert_ptr_null (accounts[1]);
  account = floe_application_get_account_settings (app, accounts[0]);
  address = g_settings_get_string (account, "address");
  ck_assert_str_eq (address, "sip:alice@127.0.0.1");
  transport = g_settings_get_string (account, "transport");
  ck_assert_str_eq (transport, "udp");
  stun = g_settings_get_string (settings, "stun-server");
  ck_assert_str_eq (stun, "stun:127.0.0.1:3478");
  turn = g_settings_get_string (settings, "turn-server");
  ck_assert_str_eq (turn, "turn:127.0.0.1:3478?transport=tcp");
  turn_user = g_settings_get_string (settings, "turn-username");
  ck_assert_str_eq (turn_user, "alice");

  /* The secrets are in the Secret Service... */
  secret = floe_secret_lookup_sync (FLOE_SECRET_SIP_ACCOUNT, accounts[0], &error);
  ck_assert_msg (secret != NULL, "no account password in the keyring: %s",
                 error != NULL ? error->message : "not found");
  ck_assert_str_eq (secret, SIP_PASSWORD);
  floe_secret_free (secret);
  secret = floe_secret_lookup_sync (FLOE_SECRET_TURN, "alice@turn:127.0.0.1:3478?transport=tcp", &error);
  ck_assert_msg (secret != NULL, "no TURN password in the keyring");
  ck_assert_str_eq (secret, TURN_PASSWORD);
  floe_secret_free (secret);

  /* ...and in no file: not the settings keyfile, not the history, not the
   * keyring's own file (encrypted). */
  g_settings_sync ();
  assert_no_file_holds (g_getenv ("FLOE_UI_TEST_ROOT"), SIP_PASSWORD);
  assert_no_file_holds (g_getenv ("FLOE_UI_TEST_ROOT"), TURN_PASSWORD);
  {
    g_autofree char *keyfile = g_build_filename (g_get_user_config_dir (), "glib-2.0", "settings", "keyfile", NULL);

    ck_assert_msg (file_contains (keyfile, "alice@127.0.0.1"), "the settings were not written to %s", keyfile);
  }
}
END_TEST

START_TEST (test_main_window)
{
  GtkWidget *window = GTK_WIDGET (find_window (FLOE_TYPE_WINDOW));
  FloeCallHistory *history = floe_application_get_history (app);
  g_autoptr (FloeHistoryEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert_ptr_nonnull (window);
  /* The account shows with its state. */
  ck_assert_ptr_nonnull (find_row (window, "sip:alice@127.0.0.1"));

  entry = floe_history_entry_new ("sip:bob@127.0.0.1", FLOE_CALL_DIRECTION_OUTGOING,
                                  g_get_real_time () / G_USEC_PER_SEC - 3600, 151);
  ck_assert (floe_call_history_add (history, entry, &error));
  g_clear_object (&entry);
  entry = floe_history_entry_new ("sip:carol@127.0.0.1", FLOE_CALL_DIRECTION_MISSED,
                                  g_get_real_time () / G_USEC_PER_SEC - 60, 0);
  ck_assert (floe_call_history_add (history, entry, &error));
  ck_assert_ptr_nonnull (find_row (window, "sip:bob@127.0.0.1"));
  ck_assert_ptr_nonnull (find_row (window, "sip:carol@127.0.0.1"));

  gtk_window_set_default_size (GTK_WINDOW (window), 420, 860);
  screenshot (window, "main");

  /* The history survives a restart: a second reader of the file sees it. */
  {
    g_autofree char *path = floe_call_history_default_path ();
    g_autoptr (FloeCallHistory) again = floe_call_history_new (path, &error);
    g_autoptr (FloeHistoryEntry) first = NULL;

    ck_assert_ptr_null (error);
    ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (again)), 2);
    first = g_list_model_get_item (G_LIST_MODEL (again), 0);
    ck_assert_str_eq (floe_history_entry_get_peer (first), "sip:carol@127.0.0.1");
    ck_assert_int_eq (floe_history_entry_get_direction (first), FLOE_CALL_DIRECTION_MISSED);
  }
}
END_TEST

static Suite *
ui_suite (void)
{
  Suite *s = suite_create ("ui");
  TCase *tc = tcase_create ("app");

  tcase_set_timeout (tc, 0);
  tcase_add_test (tc, test_first_run_shows_assistant);
  tcase_add_test (tc, test_assistant_rejects_bad_address);
  tcase_add_test (tc, test_assistant_adds_account);
  tcase_add_test (tc, test_main_window);
  suite_add_tcase (s, tc);
  return s;
}

/* Outside the throwaway session, run again inside it. */
static void
reexec_in_session (char **argv)
{
  const char *srcdir = g_getenv ("top_srcdir");
  g_autofree char *script = g_build_filename (srcdir != NULL ? srcdir : "..", "tests", "ui-session.sh", NULL);
  g_autofree char *self = g_canonicalize_filename (argv[0], NULL);

  g_autofree char *asan = g_strconcat (g_getenv ("ASAN_OPTIONS") != NULL ? g_getenv ("ASAN_OPTIONS") : "",
                                      ":detect_leaks=0", NULL);

  /* GTK, fontconfig and Mesa caches live as long as the process and are
   * reported as leaks: leak detection off for this program only. */
  g_setenv ("ASAN_OPTIONS", asan, TRUE);
  g_setenv ("FLOE_UI_TEST_SESSION", "1", TRUE);
  execlp ("sh", "sh", script, self, (char *) NULL);
  perror ("test-ui: cannot run tests/ui-session.sh");
  exit (99);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  SRunner *runner;
  int failed;

  if (g_getenv ("FLOE_UI_TEST_SESSION") == NULL)
    reexec_in_session (argv);

  gtk_init ();
  adw_init ();
  app = floe_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    {
      g_printerr ("test-ui: cannot register the application: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_application_activate (G_APPLICATION (app));

  runner = srunner_create (ui_suite ());
  /* GTK state lives in this process: no fork per test. */
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);

  g_application_quit (G_APPLICATION (app));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&app);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
