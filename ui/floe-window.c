/* The main window. It shows what the application holds (accounts, history,
 * the current call) and turns the user's gestures into application calls. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <glib/gi18n.h>

#include "floe-account-row.h"
#include "floe-call-view.h"
#include "floe-dial-pad.h"
#include "floe-window.h"

struct _FloeWindow {
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkStack *stack;
  GtkListBox *accounts_list;
  GtkEntry *address_entry;
  GtkListBox *history_list;
  FloeCallView *call_view;

  GSettings *settings; /* owned by the application; a ref here */
};

G_DEFINE_FINAL_TYPE (FloeWindow, floe_window, ADW_TYPE_APPLICATION_WINDOW)

static FloeApplication *
floe_window_get_app (FloeWindow *self)
{
  return FLOE_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

void
floe_window_show_toast (FloeWindow *self, const char *message)
{
  g_return_if_fail (FLOE_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

/* --- history rows ------------------------------------------------------- */

static char *
format_duration (gint64 seconds)
{
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", seconds / 3600,
                            (int) (seconds / 60 % 60), (int) (seconds % 60));
  return g_strdup_printf ("%d:%02d", (int) (seconds / 60), (int) (seconds % 60));
}

static char *
history_subtitle (FloeHistoryEntry *entry)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (floe_history_entry_get_start (entry));
  g_autofree char *date = when != NULL ? g_date_time_format (when, _("%e %b %H:%M")) : g_strdup ("");
  g_autofree char *duration = format_duration (floe_history_entry_get_duration (entry));

  switch (floe_history_entry_get_direction (entry))
    {
    case FLOE_CALL_DIRECTION_INCOMING:
      /* Translators: "Incoming · 21 Nov 16:04 · 2:31". */
      return g_strdup_printf (_("Incoming · %s · %s"), date, duration);
    case FLOE_CALL_DIRECTION_MISSED:
      return g_strdup_printf (_("Missed · %s"), date);
    case FLOE_CALL_DIRECTION_OUTGOING:
    default:
      return g_strdup_printf (_("Outgoing · %s · %s"), date, duration);
    }
}

static GtkWidget *
create_history_row (gpointer item, gpointer user_data)
{
  FloeHistoryEntry *entry = FLOE_HISTORY_ENTRY (item);
  const char *peer = floe_history_entry_get_peer (entry);
  g_autofree char *subtitle = history_subtitle (entry);
  g_autofree char *redial_label = g_strdup_printf (_("Call %s again"), peer);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon;
  GtkWidget *redial;
  const char *icon_name;

  switch (floe_history_entry_get_direction (entry))
    {
    case FLOE_CALL_DIRECTION_INCOMING:
      icon_name = "call-incoming-symbolic";
      break;
    case FLOE_CALL_DIRECTION_MISSED:
      icon_name = "call-missed-symbolic";
      break;
    case FLOE_CALL_DIRECTION_OUTGOING:
    default:
      icon_name = "call-outgoing-symbolic";
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), peer);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "floe-peer", g_strdup (peer), g_free);

  icon = gtk_image_new_from_icon_name (icon_name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  floe_history_entry_get_direction (entry) == FLOE_CALL_DIRECTION_MISSED
                                    ? _("Missed call") : _("Call"), -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);

  redial = gtk_button_new_from_icon_name ("call-start-symbolic");
  gtk_widget_set_valign (redial, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (redial, "flat");
  gtk_widget_set_tooltip_text (redial, _("Call Again"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (redial), GTK_ACCESSIBLE_PROPERTY_LABEL, redial_label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (redial), "win.redial");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (redial), "s", peer);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), redial);

  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, peer,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle, -1);
  return row;
}

static void
on_history_row_activated (FloeWindow *self, GtkListBoxRow *row)
{
  const char *peer = g_object_get_data (G_OBJECT (row), "floe-peer");

  if (peer != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->address_entry), peer);
      gtk_widget_grab_focus (GTK_WIDGET (self->address_entry));
    }
}

/* --- accounts ----------------------------------------------------------- */

static void
floe_window_reload_accounts (FloeWindow *self)
{
  FloeApplication *app = floe_window_get_app (self);
  g_auto (GStrv) ids = g_settings_get_strv (self->settings, "accounts");
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->accounts_list))) != NULL)
    gtk_list_box_remove (self->accounts_list, child);

  for (guint i = 0; ids[i] != NULL; i++)
    gtk_list_box_append (self->accounts_list,
                         floe_account_row_new (app, ids[i]));

  if (ids[0] == NULL)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *add = gtk_button_new_with_mnemonic (_("_Add Account…"));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No account"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Add a SIP account to make and receive calls."));
      gtk_widget_set_valign (add, GTK_ALIGN_CENTER);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (add), "app.add-account");
      gtk_accessible_update_property (GTK_ACCESSIBLE (add), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Add a SIP account"), -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), add);
      gtk_list_box_append (self->accounts_list, row);
    }
}

static void
on_accounts_changed (FloeWindow *self)
{
  floe_window_reload_accounts (self);
}

/* --- calls -------------------------------------------------------------- */

void
floe_window_dial (FloeWindow *self, const char *address)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *trimmed = NULL;

  g_return_if_fail (FLOE_IS_WINDOW (self));
  g_return_if_fail (address != NULL);

  trimmed = g_strstrip (g_strdup (address));
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->address_entry)), trimmed) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->address_entry), trimmed);
  if (*trimmed == '\0')
    {
      floe_window_show_toast (self, _("Type an address or a number to call."));
      gtk_widget_grab_focus (GTK_WIDGET (self->address_entry));
      return;
    }
  if (!floe_phone_dial (floe_application_get_phone (floe_window_get_app (self)), trimmed, &error))
    floe_window_show_toast (self, error->message);
}

static void
on_call_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  FloeWindow *self = FLOE_WINDOW (widget);

  floe_window_dial (self, gtk_editable_get_text (GTK_EDITABLE (self->address_entry)));
}

static void
on_redial_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  FloeWindow *self = FLOE_WINDOW (widget);
  floe_window_dial (self, g_variant_get_string (parameter, NULL));
}

static void
on_clear_history_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  FloeWindow *self = FLOE_WINDOW (widget);
  g_autoptr (GError) error = NULL;

  if (!floe_call_history_clear (floe_application_get_history (floe_window_get_app (self)), &error))
    floe_window_show_toast (self, error->message);
}

static void
on_address_activate (FloeWindow *self)
{
  floe_window_dial (self, gtk_editable_get_text (GTK_EDITABLE (self->address_entry)));
}

static void
on_dial_pad_digit (FloeWindow *self, const char *digit)
{
  int position = -1;

  gtk_editable_insert_text (GTK_EDITABLE (self->address_entry), digit, -1, &position);
  gtk_editable_set_position (GTK_EDITABLE (self->address_entry), -1);
}

static void
on_current_call_changed (FloeWindow *self)
{
  FloeCall *call = floe_phone_get_call (floe_application_get_phone (floe_window_get_app (self)));

  gtk_stack_set_visible_child_name (self->stack, call != NULL ? "call" : "dial");
  adw_window_title_set_subtitle (self->window_title, call != NULL ? _("In Call") : "");
}

static void
on_call_ended (FloeWindow *self, const char *sentence)
{
  floe_window_show_toast (self, sentence);
}

/* --- lifetime ----------------------------------------------------------- */

/* After construction: GtkWindow:application is not a construct property. */
static void
floe_window_setup (FloeWindow *self, FloeApplication *app)
{
  self->settings = g_object_ref (floe_application_get_settings (app));
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed::accounts", G_CALLBACK (on_accounts_changed),
                           self, G_CONNECT_SWAPPED);
  floe_window_reload_accounts (self);

  gtk_list_box_bind_model (self->history_list, G_LIST_MODEL (floe_application_get_history (app)),
                           create_history_row, NULL, NULL);

  floe_call_view_set_phone (self->call_view, floe_application_get_phone (app));
  g_signal_connect_object (floe_application_get_phone (app), "notify::call",
                           G_CALLBACK (on_current_call_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (floe_application_get_phone (app), "call-ended",
                           G_CALLBACK (on_call_ended), self, G_CONNECT_SWAPPED);
  on_current_call_changed (self);
}

static void
floe_window_dispose (GObject *object)
{
  FloeWindow *self = FLOE_WINDOW (object);

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), FLOE_TYPE_WINDOW);
  G_OBJECT_CLASS (floe_window_parent_class)->dispose (object);
}

static void
floe_window_class_init (FloeWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = floe_window_dispose;

  g_type_ensure (FLOE_TYPE_DIAL_PAD);
  g_type_ensure (FLOE_TYPE_CALL_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/floe/Floe/floe-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FloeWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, FloeWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, FloeWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, FloeWindow, accounts_list);
  gtk_widget_class_bind_template_child (widget_class, FloeWindow, address_entry);
  gtk_widget_class_bind_template_child (widget_class, FloeWindow, history_list);
  gtk_widget_class_bind_template_child (widget_class, FloeWindow, call_view);
  gtk_widget_class_bind_template_callback (widget_class, on_address_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_dial_pad_digit);
  gtk_widget_class_bind_template_callback (widget_class, on_history_row_activated);

  gtk_widget_class_install_action (widget_class, "win.call", NULL, on_call_action);
  gtk_widget_class_install_action (widget_class, "win.redial", "s", on_redial_action);
  gtk_widget_class_install_action (widget_class, "win.clear-history", NULL, on_clear_history_action);
}

static void
floe_window_init (FloeWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

FloeWindow *
floe_window_new (FloeApplication *application)
{
  FloeWindow *self;

  g_return_val_if_fail (FLOE_IS_APPLICATION (application), NULL);

  self = g_object_new (FLOE_TYPE_WINDOW, "application", application, NULL);
  floe_window_setup (self, application);
  return self;
}
