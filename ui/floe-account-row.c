/* The account row follows the account's settings (its address) and the
 * core account's state. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <glib/gi18n.h>

#include "floe-account-row.h"

struct _FloeAccountRow {
  AdwActionRow parent_instance;

  FloeApplication *application; /* weak: the application outlives its windows */
  char *account_id;
  GSettings *account_settings;
  GtkImage *status_icon;
};

G_DEFINE_FINAL_TYPE (FloeAccountRow, floe_account_row, ADW_TYPE_ACTION_ROW)

static void
floe_account_row_set_state (FloeAccountRow *self, const char *icon_name, const char *state)
{
  g_autofree char *address = g_settings_get_string (self->account_settings, "address");

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), state);
  gtk_image_set_from_icon_name (self->status_icon, icon_name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, address,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, state, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->status_icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, state, -1);
}

static void
floe_account_row_update (FloeAccountRow *self)
{
  g_autofree char *address = g_settings_get_string (self->account_settings, "address");
  FloePhone *phone = floe_application_get_phone (self->application);
  FloeAccount *account = floe_phone_get_account (phone, self->account_id);
  const char *problem = floe_phone_get_account_problem (phone, self->account_id);
  g_autofree char *failed = NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), address);

  if (!g_settings_get_boolean (self->account_settings, "enabled"))
    {
      floe_account_row_set_state (self, "network-offline-symbolic", _("Disabled"));
      return;
    }
  if (account == NULL)
    {
      if (problem != NULL)
        floe_account_row_set_state (self, "dialog-warning-symbolic", problem);
      else
        floe_account_row_set_state (self, "content-loading-symbolic", _("Starting…"));
      return;
    }

  switch (floe_account_get_state (account))
    {
    case FLOE_ACCOUNT_REGISTERING:
      floe_account_row_set_state (self, "content-loading-symbolic", _("Registering…"));
      break;
    case FLOE_ACCOUNT_REGISTERED:
      floe_account_row_set_state (self, "emblem-ok-symbolic", _("Registered"));
      break;
    case FLOE_ACCOUNT_READY:
      floe_account_row_set_state (self, "emblem-ok-symbolic", _("Ready for direct calls"));
      break;
    case FLOE_ACCOUNT_FAILED:
      /* Translators: %s says why, e.g. "The password was refused." */
      failed = g_strdup_printf (_("Not registered: %s"),
                                floe_account_get_failure_message (account) != NULL
                                  ? floe_account_get_failure_message (account) : _("the server refused"));
      floe_account_row_set_state (self, "dialog-warning-symbolic", failed);
      break;
    case FLOE_ACCOUNT_STOPPING:
      floe_account_row_set_state (self, "content-loading-symbolic", _("Disconnecting…"));
      break;
    case FLOE_ACCOUNT_OFFLINE:
    default:
      floe_account_row_set_state (self, "network-offline-symbolic", _("Offline"));
      break;
    }
}

static void
on_account_changed (FloePhone *phone, const char *account_id, FloeAccountRow *self)
{
  if (g_strcmp0 (account_id, self->account_id) == 0)
    floe_account_row_update (self);
}

static void
on_account_settings_changed (FloeAccountRow *self)
{
  floe_account_row_update (self);
}

static void
floe_account_row_finalize (GObject *object)
{
  FloeAccountRow *self = FLOE_ACCOUNT_ROW (object);

  g_clear_object (&self->account_settings);
  g_free (self->account_id);
  G_OBJECT_CLASS (floe_account_row_parent_class)->finalize (object);
}

static void
floe_account_row_class_init (FloeAccountRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = floe_account_row_finalize;
}

static void
floe_account_row_init (FloeAccountRow *self)
{
  self->status_icon = GTK_IMAGE (gtk_image_new ());
  adw_action_row_add_prefix (ADW_ACTION_ROW (self), GTK_WIDGET (self->status_icon));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
}

GtkWidget *
floe_account_row_new (FloeApplication *application, const char *account_id)
{
  FloeAccountRow *self;

  g_return_val_if_fail (FLOE_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (account_id != NULL, NULL);

  self = g_object_new (FLOE_TYPE_ACCOUNT_ROW, NULL);
  self->application = application;
  self->account_id = g_strdup (account_id);
  self->account_settings = floe_application_get_account_settings (application, account_id);
  g_signal_connect_object (self->account_settings, "changed", G_CALLBACK (on_account_settings_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (floe_application_get_phone (application), "account-changed",
                           G_CALLBACK (on_account_changed), self, 0);
  floe_account_row_update (self);
  return GTK_WIDGET (self);
}

const char *
floe_account_row_get_account_id (FloeAccountRow *self)
{
  g_return_val_if_fail (FLOE_IS_ACCOUNT_ROW (self), NULL);
  return self->account_id;
}
