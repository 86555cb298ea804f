/* Preferences window. Plain settings are bound to GSettings; the TURN
 * password goes to the Secret Service; server addresses are checked with
 * the core's parser before they are saved. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <glib/gi18n.h>

#include "media/device.h"
#include "src/floe-ice-server.h"

#include "floe-preferences.h"
#include "floe-secret-store.h"

struct _FloePreferences {
  AdwPreferencesWindow parent_instance;

  GtkListBox *accounts_list;
  AdwComboRow *input_row;
  AdwComboRow *output_row;
  AdwComboRow *srtp_row;
  AdwComboRow *codecs_row;
  AdwComboRow *ice_policy_row;
  GtkSwitch *gather_ahead_switch;
  AdwEntryRow *stun_row;
  AdwEntryRow *turn_row;
  AdwEntryRow *turn_user_row;
  AdwEntryRow *turn_password_row;

  FloeApplication *application;
  GSettings *settings;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (FloePreferences, floe_preferences, ADW_TYPE_PREFERENCES_WINDOW)

static void
floe_preferences_toast (FloePreferences *self, const char *message)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
}

/* --- enum keys <-> combo rows -------------------------------------------- */

static const char *const srtp_nicks[] = { "disabled", "optional", "mandatory", NULL };

/* The codec orders the Codecs row offers, in the row's order. */
static const char *const *const codec_orders[] = {
  (const char *const[]){ "opus", "pcmu", "pcma", NULL },
  (const char *const[]){ "pcmu", "pcma", "opus", NULL },
  (const char *const[]){ "pcmu", "pcma", NULL },
};

static gboolean
codecs_to_index (GValue *value, GVariant *variant, gpointer user_data)
{
  g_autofree const char **order = g_variant_get_strv (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (codec_orders); i++)
    if (g_strv_equal (order, codec_orders[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0); /* an order set elsewhere shows as the default */
  return TRUE;
}

static GVariant *
index_to_codecs (const GValue *value, const GVariantType *type, gpointer user_data)
{
  guint i = g_value_get_uint (value);

  return i < G_N_ELEMENTS (codec_orders) ? g_variant_new_strv (codec_orders[i], -1) : NULL;
}
static const char *const ice_policy_nicks[] = { "all", "no-relay", "relay-only", NULL };

static gboolean
nick_to_index (GValue *value, GVariant *variant, gpointer user_data)
{
  const char *const *nicks = user_data;
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; nicks[i] != NULL; i++)
    if (g_strcmp0 (nicks[i], nick) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
index_to_nick (const GValue *value, const GVariantType *type, gpointer user_data)
{
  const char *const *nicks = user_data;
  guint index = g_value_get_uint (value);

  if (index >= g_strv_length ((char **) nicks))
    return NULL;
  return g_variant_new_string (nicks[index]);
}

static void
bind_enum (FloePreferences *self, const char *key, AdwComboRow *row, const char *const *nicks)
{
  g_settings_bind_with_mapping (self->settings, key, row, "selected", G_SETTINGS_BIND_DEFAULT,
                                nick_to_index, index_to_nick, (gpointer) nicks, NULL);
}

/* --- accounts ----------------------------------------------------------- */

static void floe_preferences_reload_accounts (FloePreferences *self);

static void
on_remove_response (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  FloePreferences *self = FLOE_PREFERENCES (user_data);
  const char *account_id = g_object_get_data (G_OBJECT (dialog), "floe-account-id");

  if (g_strcmp0 (response, "remove") == 0)
    floe_application_remove_account (self->application, account_id);
}

static void
on_remove_account_clicked (GtkButton *button, FloePreferences *self)
{
  const char *account_id = g_object_get_data (G_OBJECT (button), "floe-account-id");
  const char *address = g_object_get_data (G_OBJECT (button), "floe-address");
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Remove Account?"), NULL);

  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("%s and its saved password will be removed from Floe."), address);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "floe-account-id", g_strdup (account_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
floe_preferences_reload_accounts (FloePreferences *self)
{
  g_auto (GStrv) ids = g_settings_get_strv (self->settings, "accounts");
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->accounts_list))) != NULL)
    gtk_list_box_remove (self->accounts_list, child);

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr (GSettings) account = floe_application_get_account_settings (self->application, ids[i]);
      g_autofree char *address = g_settings_get_string (account, "address");
      g_autofree char *remove_label = g_strdup_printf (_("Remove %s"), address);
      /* Translators: the label of an account's on/off switch. */
      g_autofree char *enable_label = g_strdup_printf (_("Use %s"), address);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *enabled = gtk_switch_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), address);

      gtk_widget_set_valign (enabled, GTK_ALIGN_CENTER);
      g_settings_bind (account, "enabled", enabled, "active", G_SETTINGS_BIND_DEFAULT);
      gtk_accessible_update_property (GTK_ACCESSIBLE (enabled), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      enable_label, -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), enabled);

      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _("Remove Account"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
      g_object_set_data_full (G_OBJECT (remove), "floe-account-id", g_strdup (ids[i]), g_free);
      g_object_set_data_full (G_OBJECT (remove), "floe-address", g_strdup (address), g_free);
      g_signal_connect_object (remove, "clicked", G_CALLBACK (on_remove_account_clicked), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);

      gtk_list_box_append (self->accounts_list, row);
    }

  if (ids[0] == NULL)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No account"));
      gtk_list_box_append (self->accounts_list, row);
    }
}

/* --- devices ------------------------------------------------------------ */

/* The system default, then PortAudio's devices that can capture (or play),
 * and the saved one even when it is not plugged in now. */
static void
floe_preferences_fill_devices (FloePreferences *self, AdwComboRow *row, const char *key)
{
  gboolean input = g_str_equal (key, "input-device");
  g_autofree char *saved = g_settings_get_string (self->settings, key);
  GtkStringList *list = gtk_string_list_new (NULL);
  media_portaudio_info devices[64];
  int n = media_portaudio_list (devices, G_N_ELEMENTS (devices));
  guint selected = 0;

  gtk_string_list_append (list, _("System Default"));
  for (int i = 0; i < MIN (n, (int) G_N_ELEMENTS (devices)); i++)
    {
      if ((input ? devices[i].max_inputs : devices[i].max_outputs) <= 0)
        continue;
      gtk_string_list_append (list, devices[i].name);
      if (g_strcmp0 (devices[i].name, saved) == 0)
        selected = g_list_model_get_n_items (G_LIST_MODEL (list)) - 1;
    }
  if (*saved != '\0' && selected == 0)
    {
      gtk_string_list_append (list, saved);
      selected = g_list_model_get_n_items (G_LIST_MODEL (list)) - 1;
    }
  adw_combo_row_set_model (row, G_LIST_MODEL (list));
  adw_combo_row_set_selected (row, selected);
  g_object_unref (list);
}

static void
on_device_selected (AdwComboRow *row, GParamSpec *pspec, FloePreferences *self)
{
  const char *key = row == self->input_row ? "input-device" : "output-device";
  guint selected = adw_combo_row_get_selected (row);
  GtkStringObject *item = adw_combo_row_get_selected_item (row);

  if (item == NULL)
    return;
  g_settings_set_string (self->settings, key, selected == 0 ? "" : gtk_string_object_get_string (item));
}

/* --- ICE servers -------------------------------------------------------- */

static gboolean
check_server (FloePreferences *self, const char *text, FloeIceServerKind kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FloeIceServer) server = NULL;

  if (*text == '\0')
    return TRUE;
  server = floe_ice_server_parse (text, kind, &error);
  if (server == NULL)
    {
      floe_preferences_toast (self, error->message);
      return FALSE;
    }
  if (server->kind != kind)
    {
      floe_preferences_toast (self, kind == FLOE_ICE_SERVER_STUN
                                      ? _("The STUN server must be a stun: address or a host name.")
                                      : _("The TURN server must be a turn: or turns: address or a host name."));
      return FALSE;
    }
  return TRUE;
}

static void
on_stun_apply (FloePreferences *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->stun_row))));

  if (check_server (self, text, FLOE_ICE_SERVER_STUN))
    g_settings_set_string (self->settings, "stun-server", text);
}

static void
on_turn_apply (FloePreferences *self)
{
  g_autofree char *server = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->turn_row))));
  g_autofree char *user = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->turn_user_row))));

  if (!check_server (self, server, FLOE_ICE_SERVER_TURN))
    return;
  g_settings_set_string (self->settings, "turn-server", server);
  g_settings_set_string (self->settings, "turn-username", user);
}

static void
on_turn_password_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  FloePreferences *self;

  if (floe_secret_store_finish (result, &error))
    {
      self = FLOE_PREFERENCES (user_data);
      gtk_editable_set_text (GTK_EDITABLE (self->turn_password_row), "");
      floe_preferences_toast (self, _("TURN password saved in the keyring."));
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = NULL;

      self = FLOE_PREFERENCES (user_data);
      message = g_strdup_printf (_("The TURN password could not be saved in the keyring: %s"),
                                 error->message);
      floe_preferences_toast (self, message);
    }
}

static void
on_turn_password_apply (FloePreferences *self)
{
  g_autofree char *server = g_settings_get_string (self->settings, "turn-server");
  g_autofree char *user = g_settings_get_string (self->settings, "turn-username");
  g_autofree char *key = NULL;
  g_autofree char *label = NULL;

  if (*server == '\0' || *user == '\0')
    {
      floe_preferences_toast (self, _("Set the TURN server and user name first."));
      return;
    }
  key = g_strdup_printf ("%s@%s", user, server);
  label = g_strdup_printf (_("Floe TURN password for %s"), key);
  floe_secret_store_async (FLOE_SECRET_TURN, key, label,
                           gtk_editable_get_text (GTK_EDITABLE (self->turn_password_row)),
                           self->cancellable, on_turn_password_stored, self);
}

/* --- lifetime ----------------------------------------------------------- */

static void
floe_preferences_dispose (GObject *object)
{
  FloePreferences *self = FLOE_PREFERENCES (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), FLOE_TYPE_PREFERENCES);
  G_OBJECT_CLASS (floe_preferences_parent_class)->dispose (object);
}

static void
floe_preferences_class_init (FloePreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = floe_preferences_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/floe/Floe/floe-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, accounts_list);
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, input_row);
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, output_row);
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, srtp_row);
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, codecs_row);
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, ice_policy_row);
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, gather_ahead_switch);
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, stun_row);
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, turn_row);
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, turn_user_row);
  gtk_widget_class_bind_template_child (widget_class, FloePreferences, turn_password_row);
  gtk_widget_class_bind_template_callback (widget_class, on_stun_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_turn_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_turn_password_apply);
}

static void
floe_preferences_init (FloePreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

FloePreferences *
floe_preferences_new (FloeApplication *application)
{
  FloePreferences *self;
  g_autofree char *stun = NULL;
  g_autofree char *turn = NULL;
  g_autofree char *turn_user = NULL;

  g_return_val_if_fail (FLOE_IS_APPLICATION (application), NULL);

  self = g_object_new (FLOE_TYPE_PREFERENCES, "application", application, NULL);
  self->application = application;
  self->settings = g_object_ref (floe_application_get_settings (application));

  g_signal_connect_object (self->settings, "changed::accounts",
                           G_CALLBACK (floe_preferences_reload_accounts), self, G_CONNECT_SWAPPED);
  floe_preferences_reload_accounts (self);

  floe_preferences_fill_devices (self, self->input_row, "input-device");
  floe_preferences_fill_devices (self, self->output_row, "output-device");
  g_signal_connect_object (self->input_row, "notify::selected", G_CALLBACK (on_device_selected), self, 0);
  g_signal_connect_object (self->output_row, "notify::selected", G_CALLBACK (on_device_selected), self, 0);

  bind_enum (self, "srtp-policy", self->srtp_row, srtp_nicks);
  g_settings_bind_with_mapping (self->settings, "codec-order", self->codecs_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, codecs_to_index, index_to_codecs, NULL, NULL);
  bind_enum (self, "ice-policy", self->ice_policy_row, ice_policy_nicks);
  g_settings_bind (self->settings, "gather-ahead", self->gather_ahead_switch, "active", G_SETTINGS_BIND_DEFAULT);

  stun = g_settings_get_string (self->settings, "stun-server");
  turn = g_settings_get_string (self->settings, "turn-server");
  turn_user = g_settings_get_string (self->settings, "turn-username");
  gtk_editable_set_text (GTK_EDITABLE (self->stun_row), stun);
  gtk_editable_set_text (GTK_EDITABLE (self->turn_row), turn);
  gtk_editable_set_text (GTK_EDITABLE (self->turn_user_row), turn_user);
  return self;
}
