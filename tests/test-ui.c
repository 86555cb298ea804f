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

#include "sip-harness.h"
#include "src/floe-call-media.h"
#include "ui/floe-account-assistant.h"
#include "ui/floe-application.h"
#include "ui/floe-call-history.h"
#include "ui/floe-call-view.h"
#include "ui/floe-dial-pad.h"
#include "ui/floe-preferences.h"
#include "ui/floe-secret-store.h"
#include "ui/floe-window.h"

#define SIP_PASSWORD "correct-horse-battery-staple-7"
#define TURN_PASSWORD "turn-credential-kzq93"

static FloeApplication *app;
static SipKamailio kamailio;

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

static gboolean
stack_transition_running (GtkWidget *root)
{
  if (GTK_IS_STACK (root) && gtk_stack_get_transition_running (GTK_STACK (root)))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (stack_transition_running (child))
      return TRUE;
  return FALSE;
}

static gboolean
transitions_done (gpointer data)
{
  return !stack_transition_running (GTK_WIDGET (data));
}

/* Lets the window finish its page transitions, lay out and paint. */
static void
wait_frames (GtkWidget *window)
{
  guint frames = 0;
  guint id;

  ck_assert_msg (iterate_until (transitions_done, window), "a page transition never ended");
  id = gtk_widget_add_tick_callback (window, on_tick, &frames, NULL);
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
  {
    g_autofree char *registrar = g_strdup_printf ("127.0.0.1:%u", kamailio.port);
    g_autofree char *proxy = g_strdup_printf ("127.0.0.1:%u;lr", kamailio.port);

    /* The AOR's domain is not where the test's Kamailio listens: the user
     * names it as registrar and outbound proxy. */
    type_into (assistant, "Registrar (Optional)", registrar);
    type_into (assistant, "Outbound Proxy (Optional)", proxy);
  }
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

static gboolean
preferences_shown (gpointer data)
{
  return find_window (FLOE_TYPE_PREFERENCES) != NULL;
}

static gboolean
preferences_gone (gpointer data)
{
  return find_window (FLOE_TYPE_PREFERENCES) == NULL;
}

START_TEST (test_preferences)
{
  GSettings *settings = floe_application_get_settings (app);
  GtkWidget *preferences, *paths, *srtp, *ahead, *codecs, *stun, *turn;
  g_autofree char *policy = NULL;
  g_auto (GStrv) order = NULL;
  g_autofree char *stun_saved = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  ck_assert_msg (iterate_until (preferences_shown, NULL), "Preferences did not open");
  preferences = GTK_WIDGET (find_window (FLOE_TYPE_PREFERENCES));

  /* Controls show the settings, and write them back. */
  paths = find_row (preferences, "Paths");
  srtp = find_row (preferences, "Encrypt Calls (SRTP)");
  ck_assert_ptr_nonnull (paths);
  ck_assert_ptr_nonnull (srtp);
  ck_assert_uint_eq (adw_combo_row_get_selected (ADW_COMBO_ROW (paths)), 0);
  ck_assert_uint_eq (adw_combo_row_get_selected (ADW_COMBO_ROW (srtp)), 1);
  g_settings_set_string (settings, "ice-policy", "relay-only");
  ck_assert_uint_eq (adw_combo_row_get_selected (ADW_COMBO_ROW (paths)), 2);
  adw_combo_row_set_selected (ADW_COMBO_ROW (paths), 1);
  policy = g_settings_get_string (settings, "ice-policy");
  ck_assert_str_eq (policy, "no-relay");
  g_settings_reset (settings, "ice-policy");

  /* Preparing calls ahead is on, and its switch turns it off. */
  ahead = find_row (preferences, "Prepare Calls Ahead");
  ck_assert_ptr_nonnull (ahead);
  ck_assert (g_settings_get_boolean (settings, "gather-ahead"));
  ck_assert (gtk_switch_get_active (GTK_SWITCH (adw_action_row_get_activatable_widget (ADW_ACTION_ROW (ahead)))));
  gtk_switch_set_active (GTK_SWITCH (adw_action_row_get_activatable_widget (ADW_ACTION_ROW (ahead))), FALSE);
  ck_assert (!g_settings_get_boolean (settings, "gather-ahead"));
  g_settings_reset (settings, "gather-ahead");

  /* The codec order: a preset in the row, a list in the settings. */
  codecs = find_row (preferences, "Audio Codecs");
  ck_assert_ptr_nonnull (codecs);
  ck_assert_uint_eq (adw_combo_row_get_selected (ADW_COMBO_ROW (codecs)), 0);
  adw_combo_row_set_selected (ADW_COMBO_ROW (codecs), 2);
  order = g_settings_get_strv (settings, "codec-order");
  ck_assert (g_strv_equal ((const char *const *) order, (const char *const[]){ "pcmu", "pcma", NULL }));
  g_settings_reset (settings, "codec-order");

  turn = find_row (preferences, "TURN Server");
  ck_assert_ptr_nonnull (turn);
  ck_assert_str_eq (gtk_editable_get_text (GTK_EDITABLE (turn)), "turn:127.0.0.1:3478?transport=tcp");

  /* A server that does not parse is refused, not saved. */
  stun = find_row (preferences, "STUN Server");
  ck_assert_ptr_nonnull (stun);
  gtk_editable_set_text (GTK_EDITABLE (stun), "stun:127.0.0.1:99999");
  g_signal_emit_by_name (stun, "apply");
  stun_saved = g_settings_get_string (settings, "stun-server");
  ck_assert_str_eq (stun_saved, "stun:127.0.0.1:3478");

  ck_assert_ptr_nonnull (find_row (preferences, "sip:alice@127.0.0.1"));
  screenshot (preferences, "preferences");
  gtk_window_destroy (GTK_WINDOW (preferences));
  ck_assert (iterate_until (preferences_gone, NULL));
}
END_TEST

/* --- a fake notification server on the session bus ---------------------- */

/* org.freedesktop.Notifications, just enough for GNotification: records
 * what it is asked to show, and can press one of its buttons. */
typedef struct {
  GDBusConnection *connection;
  guint owner_id;
  guint registration_id;
  guint last_id;
  char *summary;
  char *body;
  GStrv actions; /* key, label, key, label... */
} FakeNotifications;

static FakeNotifications notifications;

static const char notifications_xml[] =
  "<node><interface name='org.freedesktop.Notifications'>"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "<arg type='u' direction='out'/></method>"
  "<method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "<method name='GetServerInformation'><arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "<arg type='s' direction='out'/><arg type='s' direction='out'/></method>"
  "<signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "<signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  "</interface></node>";

static void
on_notifications_call (GDBusConnection *connection, const char *sender, const char *path,
                       const char *interface, const char *method, GVariant *parameters,
                       GDBusMethodInvocation *invocation, gpointer user_data)
{
  if (g_str_equal (method, "Notify"))
    {
      const char *summary, *body;
      g_autofree const char **actions = NULL;

      g_variant_get (parameters, "(&su&s&s&s^a&s@a{sv}i)", NULL, NULL, NULL, &summary, &body, &actions, NULL, NULL);
      g_free (notifications.summary);
      g_free (notifications.body);
      g_strfreev (notifications.actions);
      notifications.summary = g_strdup (summary);
      notifications.body = g_strdup (body);
      notifications.actions = g_strdupv ((char **) actions);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", ++notifications.last_id));
    }
  else if (g_str_equal (method, "GetCapabilities"))
    {
      const char *caps[] = { "actions", "body", NULL };

      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else if (g_str_equal (method, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ssss)", "test", "floe", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
fake_notifications_start (void)
{
  static const GDBusInterfaceVTable vtable = { on_notifications_call, NULL, NULL, { 0 } };
  g_autoptr (GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notifications_xml, NULL);
  g_autoptr (GError) error = NULL;

  notifications.connection = g_dbus_connection_new_for_address_sync (
    g_getenv ("DBUS_SESSION_BUS_ADDRESS"),
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
  notifications.registration_id = g_dbus_connection_register_object (
    notifications.connection, "/org/freedesktop/Notifications", info->interfaces[0], &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  notifications.owner_id = g_bus_own_name_on_connection (notifications.connection, "org.freedesktop.Notifications",
                                                         G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL, NULL, NULL);
}

static void
fake_notifications_stop (void)
{
  g_bus_unown_name (notifications.owner_id);
  g_dbus_connection_unregister_object (notifications.connection, notifications.registration_id);
  g_clear_object (&notifications.connection);
  g_clear_pointer (&notifications.summary, g_free);
  g_clear_pointer (&notifications.body, g_free);
  g_clear_pointer (&notifications.actions, g_strfreev);
}

/* Presses the button labelled label, as the desktop would. */
static void
fake_notifications_press (const char *label)
{
  for (guint i = 0; notifications.actions != NULL && notifications.actions[i] != NULL &&
                    notifications.actions[i + 1] != NULL; i += 2)
    if (g_str_equal (notifications.actions[i + 1], label))
      {
        g_dbus_connection_emit_signal (notifications.connection, NULL, "/org/freedesktop/Notifications",
                                       "org.freedesktop.Notifications", "ActionInvoked",
                                       g_variant_new ("(us)", notifications.last_id, notifications.actions[i]),
                                       NULL);
        return;
      }
  ck_abort_msg ("the notification has no “%s” button", label);
}

/* --- the other side: a Floe agent (FloeAccount + FloeCallMedia) -------- */

typedef struct {
  FloeAccount *account;
  FloeCall *call;
  FloeCallMedia *media;
  gboolean answer;     /* answer incoming calls once the media is ready */
  GString *dtmf;
} Peer;

static Peer bob;

static void
on_peer_dtmf (GObject *source, guint digit, gpointer data)
{
  g_string_append_c (bob.dtmf, (char) digit);
}

static void
on_peer_ready (FloeCallMedia *media, gpointer data)
{
  if (floe_call_get_incoming (bob.call))
    floe_call_answer (bob.call);
  else
    floe_call_dial (bob.call);
}

static void
peer_take_call (FloeCall *call)
{
  FloeCallMediaConfig config = { .iface_filter = "lo" };
  g_autoptr (GError) error = NULL;

  g_clear_object (&bob.media);
  g_set_object (&bob.call, call);
  bob.media = floe_call_media_new (call, &config, &error);
  ck_assert_msg (bob.media != NULL, "%s", error != NULL ? error->message : "?");
  g_signal_connect (bob.media, "ready", G_CALLBACK (on_peer_ready), NULL);
  g_signal_connect (bob.media, "dtmf-received", G_CALLBACK (on_peer_dtmf), NULL);
  g_signal_connect (call, "dtmf-received", G_CALLBACK (on_peer_dtmf), NULL);
  ck_assert_msg (floe_call_media_start (bob.media, &error), "%s", error != NULL ? error->message : "?");
}

static void
on_peer_incoming (FloeAccount *account, FloeCall *call, gpointer data)
{
  peer_take_call (call);
}

static gboolean
peer_has_call (gpointer data)
{
  return bob.call != NULL;
}

static FloeCallState
peer_state (void)
{
  return bob.call != NULL ? floe_call_get_state (bob.call) : FLOE_CALL_IDLE;
}

/* --- conditions on the app ---------------------------------------------- */

static FloePhone *
phone (void)
{
  return floe_application_get_phone (app);
}

static gboolean
alice_registered (gpointer data)
{
  g_auto (GStrv) ids = g_settings_get_strv (floe_application_get_settings (app), "accounts");
  FloeAccount *account = ids[0] != NULL ? floe_phone_get_account (phone (), ids[0]) : NULL;

  return account != NULL && floe_account_get_state (account) == FLOE_ACCOUNT_REGISTERED;
}

static gboolean
app_call_in_state (gpointer data)
{
  FloeCall *call = floe_phone_get_call (phone ());

  return call != NULL && floe_call_get_state (call) == (FloeCallState) GPOINTER_TO_INT (data);
}

static gboolean
app_call_gone (gpointer data)
{
  return floe_phone_get_call (phone ()) == NULL;
}

static gboolean
app_has_path_and_audio (gpointer data)
{
  FloePathInfo path;
  media_session_stats stats;

  return floe_phone_get_path (phone (), &path) && floe_phone_get_stats (phone (), &stats) &&
         stats.packets_received > 0;
}

static gboolean
peer_call_ended (gpointer data)
{
  return peer_state () == FLOE_CALL_ENDED;
}

static gboolean
peer_got_dtmf (gpointer data)
{
  return strchr (bob.dtmf->str, '5') != NULL;
}

static gboolean
notification_shown (gpointer data)
{
  return notifications.summary != NULL;
}

static gboolean
path_row_shown (gpointer data)
{
  return find_row (GTK_WIDGET (data), "Direct connection on your local network") != NULL;
}

static GtkWidget *
find_widget (GtkWidget *root, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The first widget below root with this widget name (the .ui "name"). */
static GtkWidget *
find_named (GtkWidget *root, const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
peer_start (void)
{
  g_autofree char *registrar = g_strdup_printf ("sip:127.0.0.1:%u", kamailio.port);
  g_autofree char *proxy = g_strdup_printf ("sip:127.0.0.1:%u;lr", kamailio.port);
  g_autoptr (GError) error = NULL;

  if (bob.account != NULL)
    return;
  bob.dtmf = g_string_new (NULL);
  bob.account = sip_test_account ("bob", "bob-kamailio-pw", registrar, "outbound-proxy", proxy, NULL);
  g_signal_connect (bob.account, "incoming-call", G_CALLBACK (on_peer_incoming), NULL);
  ck_assert (floe_account_start (bob.account, &error));
  ck_assert (sip_wait_int (bob.account, "state", FLOE_ACCOUNT_REGISTERED, 30));
}

static void
peer_stop (void)
{
  if (bob.account == NULL)
    return;
  g_clear_object (&bob.media);
  g_clear_object (&bob.call);
  floe_account_stop (bob.account);
  sip_wait_int (bob.account, "state", FLOE_ACCOUNT_OFFLINE, 30);
  g_clear_object (&bob.account);
  g_string_free (bob.dtmf, TRUE);
}

START_TEST (test_call_through_app)
{
  GSettings *settings = floe_application_get_settings (app);
  GtkWidget *window = GTK_WIDGET (find_window (FLOE_TYPE_WINDOW));
  GtkWidget *entry, *call_view, *keypad;
  GtkToggleButton *hold;
  GtkToggleButton *mute;
  FloePathInfo path;
  g_autofree char *sentence = NULL;
  g_autoptr (FloeHistoryEntry) last = NULL;

  /* As a user would in Preferences: no STUN/TURN servers on this loopback
   * test (nothing listens at the ones typed in the assistant), and calls
   * on the loopback interface only. */
  g_settings_set_string (settings, "stun-server", "");
  g_settings_set_string (settings, "turn-server", "");
  g_settings_set_string (settings, "ice-interfaces", "lo");

  ck_assert_msg (iterate_until (alice_registered, NULL), "the app's account never registered");
  ck_assert_ptr_nonnull (find_row (window, "sip:alice@127.0.0.1"));
  peer_start ();

  /* Type the address and press Call. */
  entry = find_widget (window, GTK_TYPE_ENTRY);
  ck_assert_ptr_nonnull (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), "sip:bob@127.0.0.1");
  ck_assert (gtk_widget_activate_action (window, "win.call", NULL));

  ck_assert_msg (floe_phone_get_call (phone ()) != NULL, "the app placed no call");
  if (!sip_wait (peer_has_call, NULL, 30))
    {
      g_autofree char *warning = floe_phone_get_call_warning (phone ());

      ck_abort_msg ("bob never got the call (app call: %s; %s)",
                    floe_phone_get_call (phone ()) != NULL
                      ? floe_call_state_name (floe_call_get_state (floe_phone_get_call (phone ()))) : "none",
                    warning != NULL ? warning : "no warning");
    }
  ck_assert_msg (iterate_until (app_call_in_state, GINT_TO_POINTER (FLOE_CALL_ACTIVE)), "the call never became active");
  ck_assert_msg (iterate_until (app_has_path_and_audio, NULL), "no ICE pair or no audio in the app");

  /* A direct path on loopback, and the window says so in words. */
  ck_assert (floe_phone_get_path (phone (), &path));
  ck_assert_str_eq (path.local_type, "host");
  ck_assert_str_eq (path.remote_type, "host");
  ck_assert (!floe_path_is_relayed (&path));
  sentence = floe_path_describe (&path);
  ck_assert_str_eq (sentence, "Direct connection on your local network");
  {
    g_autofree char *warning = floe_phone_get_call_warning (phone ());

    ck_assert_msg (warning == NULL, "%s", warning);
  }
  call_view = find_widget (window, FLOE_TYPE_CALL_VIEW);
  ck_assert_ptr_nonnull (call_view);
  ck_assert (gtk_widget_is_drawable (call_view));
  /* The path row shows the sentence (refreshed twice a second). */
  wait_frames (window);
  ck_assert_msg (iterate_until (path_row_shown, window), "the call view does not explain the path");
  screenshot (window, "call");

  /* Hold from the call view: the other side hears it (a=sendonly). */
  hold = GTK_TOGGLE_BUTTON (find_named (call_view, "hold"));
  ck_assert_ptr_nonnull (hold);
  gtk_toggle_button_set_active (hold, TRUE);
  ck_assert_msg (sip_wait_int (bob.call, "remote-held", TRUE, 30), "bob was not put on hold");
  ck_assert (sip_wait_int (floe_phone_get_call (phone ()), "held", TRUE, 30));
  gtk_toggle_button_set_active (hold, FALSE);
  ck_assert_msg (sip_wait_int (bob.call, "remote-held", FALSE, 30), "bob was not taken off hold");
  ck_assert (sip_wait_int (floe_phone_get_call (phone ()), "held", FALSE, 30));

  /* Mute from the call view: the call goes on, our media sends silence. */
  mute = GTK_TOGGLE_BUTTON (find_named (call_view, "mute"));
  ck_assert_ptr_nonnull (mute);
  gtk_toggle_button_set_active (mute, TRUE);
  ck_assert (floe_phone_get_mute (phone ()));
  gtk_toggle_button_set_active (mute, FALSE);
  ck_assert (!floe_phone_get_mute (phone ()));

  /* DTMF from the in-call keypad reaches the other side. */
  keypad = find_widget (call_view, FLOE_TYPE_DIAL_PAD);
  ck_assert_ptr_nonnull (keypad);
  ck_assert (gtk_widget_activate_action (keypad, "dial-pad.press", "s", "5"));
  ck_assert_msg (iterate_until (peer_got_dtmf, NULL), "bob never heard the DTMF digit");

  /* Hang up from the app. */
  ck_assert (gtk_widget_activate_action (call_view, "call.hangup", NULL));
  ck_assert_msg (iterate_until (app_call_gone, NULL), "the call did not end in the app");
  ck_assert_msg (iterate_until (peer_call_ended, NULL), "bob's side did not end");

  last = g_list_model_get_item (G_LIST_MODEL (floe_application_get_history (app)), 0);
  ck_assert_str_eq (floe_history_entry_get_peer (last), "sip:bob@127.0.0.1");
  ck_assert_int_eq (floe_history_entry_get_direction (last), FLOE_CALL_DIRECTION_OUTGOING);
}
END_TEST

START_TEST (test_incoming_call)
{
  GtkWidget *window = GTK_WIDGET (find_window (FLOE_TYPE_WINDOW));
  g_autoptr (GError) error = NULL;
  g_autoptr (FloeCall) call = NULL;
  g_autoptr (FloeHistoryEntry) last = NULL;

  peer_start ();
  g_clear_object (&bob.call);
  g_clear_object (&bob.media);
  call = floe_account_new_call (bob.account, "alice", &error);
  ck_assert_msg (call != NULL, "%s", error != NULL ? error->message : "?");
  peer_take_call (call);

  /* The app rings: a notification with Answer and Decline, the call view
   * with the same two buttons. */
  ck_assert_msg (iterate_until (app_call_in_state, GINT_TO_POINTER (FLOE_CALL_RINGING)), "the app never rang");
  ck_assert_msg (iterate_until (notification_shown, NULL), "no notification for the incoming call");
  ck_assert_str_eq (notifications.summary, "Incoming Call");
  ck_assert_str_eq (notifications.body, "sip:bob@127.0.0.1");
  ck_assert_msg (floe_phone_is_ringing (phone ()), "no ringtone (ALSA's null device is the default output)");
  screenshot (window, "incoming");

  /* Answer from the notification. */
  fake_notifications_press ("Answer");
  ck_assert_msg (iterate_until (app_call_in_state, GINT_TO_POINTER (FLOE_CALL_ACTIVE)), "answering did not connect");
  ck_assert (sip_wait_int (bob.call, "state", FLOE_CALL_ACTIVE, 30));
  ck_assert (!floe_phone_is_ringing (phone ()));

  /* Bob hangs up; the app goes back to the dial page and keeps the call. */
  floe_call_hangup (bob.call);
  ck_assert_msg (iterate_until (app_call_gone, NULL), "the call did not end in the app");
  last = g_list_model_get_item (G_LIST_MODEL (floe_application_get_history (app)), 0);
  ck_assert_str_eq (floe_history_entry_get_peer (last), "sip:bob@127.0.0.1");
  ck_assert_int_eq (floe_history_entry_get_direction (last), FLOE_CALL_DIRECTION_INCOMING);
}
END_TEST

/* A sip: link from the desktop (the .desktop file's MimeType) calls. */
START_TEST (test_open_sip_link)
{
  g_autoptr (GFile) link = g_file_new_for_uri ("sip:bob@127.0.0.1");
  GtkWidget *call_view = find_widget (GTK_WIDGET (find_window (FLOE_TYPE_WINDOW)), FLOE_TYPE_CALL_VIEW);

  peer_start ();
  g_clear_object (&bob.media);
  g_clear_object (&bob.call);
  g_application_open (G_APPLICATION (app), &link, 1, "");
  ck_assert_msg (sip_wait (peer_has_call, NULL, 30), "opening a sip: link placed no call");
  ck_assert_msg (iterate_until (app_call_in_state, GINT_TO_POINTER (FLOE_CALL_ACTIVE)), "the call never became active");
  ck_assert (gtk_widget_activate_action (call_view, "call.hangup", NULL));
  ck_assert_msg (iterate_until (app_call_gone, NULL), "the call did not end in the app");
}
END_TEST

static GtkWidget *
find_icon_button (GtkWidget *root, const char *icon_name)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (root)), icon_name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_icon_button (child, icon_name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_window (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
no_accounts (gpointer data)
{
  g_auto (GStrv) ids = g_settings_get_strv (floe_application_get_settings (app), "accounts");

  return ids[0] == NULL;
}

static gboolean
secret_gone (gpointer data)
{
  char *secret = floe_secret_lookup_sync (FLOE_SECRET_SIP_ACCOUNT, data, NULL);

  floe_secret_free (secret);
  return secret == NULL;
}

/* Removing the account in Preferences removes its settings and its
 * password from the keyring, and the window offers to add one. */
START_TEST (test_remove_account)
{
  g_auto (GStrv) ids = g_settings_get_strv (floe_application_get_settings (app), "accounts");
  g_autofree char *id = g_strdup (ids[0]);
  GtkWidget *preferences, *trash, *window = GTK_WIDGET (find_window (FLOE_TYPE_WINDOW));
  g_autoptr (GSettings) account = NULL;
  g_autofree char *address = NULL;
  char *secret;

  ck_assert_ptr_nonnull (id);
  secret = floe_secret_lookup_sync (FLOE_SECRET_SIP_ACCOUNT, id, NULL);
  ck_assert_ptr_nonnull (secret);
  floe_secret_free (secret);

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  ck_assert (iterate_until (preferences_shown, NULL));
  preferences = GTK_WIDGET (find_window (FLOE_TYPE_PREFERENCES));
  trash = find_icon_button (preferences, "user-trash-symbolic");
  ck_assert_ptr_nonnull (trash);
  g_signal_emit_by_name (trash, "clicked");
  ck_assert_msg (iterate_until (dialog_shown, NULL), "no confirmation before removing");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (find_window (ADW_TYPE_MESSAGE_DIALOG)), "remove");

  ck_assert (iterate_until (no_accounts, NULL));
  ck_assert_msg (iterate_until (secret_gone, id), "the password stayed in the keyring");
  account = floe_application_get_account_settings (app, id);
  address = g_settings_get_string (account, "address");
  ck_assert_str_eq (address, "");
  ck_assert_ptr_nonnull (find_row (window, "No account"));
  gtk_window_destroy (GTK_WINDOW (preferences));
  ck_assert (iterate_until (preferences_gone, NULL));
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
  tcase_add_test (tc, test_preferences);
  tcase_add_test (tc, test_call_through_app);
  tcase_add_test (tc, test_incoming_call);
  tcase_add_test (tc, test_open_sip_link);
  tcase_add_test (tc, test_remove_account);
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

  g_autofree char *lsan = g_strdup_printf ("suppressions=%s/tests/ui-lsan.supp", srcdir != NULL ? srcdir : "..");

  /* fontconfig's cache lives as long as the process: suppressed with the
   * shared suppressions, so that leaks of our own still fail the test. */
  g_setenv ("LSAN_OPTIONS", lsan, TRUE);
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

  /* A registrar of the test's own, and a notification server to watch. */
  {
    static const char *const users[] = { "alice", SIP_PASSWORD, "bob", "bob-kamailio-pw", NULL };

    sip_kamailio_prepare (&kamailio, users);
    if (!sip_kamailio_start (&kamailio))
      {
        g_printerr ("test-ui: kamailio did not start\n");
        sip_kamailio_cleanup (&kamailio);
        return EXIT_FAILURE;
      }
  }
  fake_notifications_start ();

  gtk_init ();
  adw_init ();
  app = floe_application_new ();
  g_application_set_flags (G_APPLICATION (app), g_application_get_flags (G_APPLICATION (app)) | G_APPLICATION_NON_UNIQUE);
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

  peer_stop ();
  g_application_quit (G_APPLICATION (app));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&app);
  fake_notifications_stop ();
  sip_kamailio_stop (&kamailio);
  sip_kamailio_cleanup (&kamailio);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
