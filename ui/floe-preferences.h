/* Preferences: accounts, audio devices, call encryption, and
 * how calls cross the network (ICE policy, STUN and TURN servers). */
#pragma once

#include <adwaita.h>

#include "floe-application.h"

G_BEGIN_DECLS

#define FLOE_TYPE_PREFERENCES (floe_preferences_get_type ())
G_DECLARE_FINAL_TYPE (FloePreferences, floe_preferences, FLOE, PREFERENCES, AdwPreferencesWindow)

FloePreferences *floe_preferences_new (FloeApplication *application);

G_END_DECLS
