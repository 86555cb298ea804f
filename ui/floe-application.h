/* The desktop application: owns the settings, the call history and the
 * windows; org.floe.Floe. */
#pragma once

#include <adwaita.h>

#include "floe-call-history.h"

G_BEGIN_DECLS

#define FLOE_APP_ID "org.floe.Floe"

#define FLOE_TYPE_APPLICATION (floe_application_get_type ())
G_DECLARE_FINAL_TYPE (FloeApplication, floe_application, FLOE, APPLICATION, AdwApplication)

FloeApplication *floe_application_new (void);

GSettings *floe_application_get_settings (FloeApplication *self);
FloeCallHistory *floe_application_get_history (FloeApplication *self);

/* The settings of one account (relocatable schema org.floe.Floe.Account). */
GSettings *floe_application_get_account_settings (FloeApplication *self, const char *account_id);

/* The core account object of an account id, or NULL when the core has none
 * (yet). */
GObject *floe_application_get_account (FloeApplication *self, const char *account_id);

/* Places a call from the first enabled account. FALSE with a sentence for
 * the user when it cannot. */
gboolean floe_application_dial (FloeApplication *self, const char *address, GError **error);

/* The call shown in the window, or NULL (property "current-call"). */
GObject *floe_application_get_current_call (FloeApplication *self);

/* Adds an account from the assistant's fields; the id is returned. */
char *floe_application_add_account (FloeApplication *self, const char *address,
                                    const char *display_name, const char *registrar,
                                    const char *outbound_proxy, const char *transport);
/* Forgets an account: its settings and its password. */
void floe_application_remove_account (FloeApplication *self, const char *account_id);

/* Opens the account assistant over the main window. */
void floe_application_show_assistant (FloeApplication *self);

G_END_DECLS
