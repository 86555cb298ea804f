/* The desktop application: owns the settings, the call history and the
 * windows; org.floe.Floe. */
#pragma once

#include <adwaita.h>

#include "floe-call-history.h"
#include "floe-phone.h"

G_BEGIN_DECLS

#define FLOE_APP_ID "org.floe.Floe"

#define FLOE_TYPE_APPLICATION (floe_application_get_type ())
G_DECLARE_FINAL_TYPE (FloeApplication, floe_application, FLOE, APPLICATION, AdwApplication)

FloeApplication *floe_application_new (void);

GSettings *floe_application_get_settings (FloeApplication *self);
FloeCallHistory *floe_application_get_history (FloeApplication *self);

/* The settings of one account (relocatable schema org.floe.Floe.Account). */
GSettings *floe_application_get_account_settings (FloeApplication *self, const char *account_id);

/* The live accounts and the current call. */
FloePhone *floe_application_get_phone (FloeApplication *self);

/* A fresh account id (it names the account's GSettings path and keys its
 * password in the keyring). */
char *floe_application_new_account_id (void);
/* Saves an account under id and appends it to the list; its password must
 * already be in the keyring, since the account starts at once. */
void floe_application_add_account (FloeApplication *self, const char *id, const char *address,
                                   const char *registrar, const char *outbound_proxy,
                                   const char *transport);
/* Forgets an account: its settings and its password. */
void floe_application_remove_account (FloeApplication *self, const char *account_id);

/* Opens the account assistant over the main window. */
void floe_application_show_assistant (FloeApplication *self);

G_END_DECLS
