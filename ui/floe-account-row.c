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
  GObject *account = floe_application_get_account (self->application, self->account_id);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), address);

  if (!g_settings_get_boolean (self->account_settings, "enabled"))
    floe_account_row_set_state (self, "network-offline-symbolic", _("Disabled"));
  else if (account == NULL)
    floe_account_row_set_state (self, "network-offline-symbolic",
                                _("Not registered: this version of Floe has no SIP engine"));
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
  floe_account_row_update (self);
  return GTK_WIDGET (self);
}

const char *
floe_account_row_get_account_id (FloeAccountRow *self)
{
  g_return_val_if_fail (FLOE_IS_ACCOUNT_ROW (self), NULL);
  return self->account_id;
}
