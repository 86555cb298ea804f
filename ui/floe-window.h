/* The main window: accounts and their state, the address entry with its
 * dial pad, the call history, and the in-call view while a call lasts. */
#pragma once

#include <adwaita.h>

#include "floe-application.h"

G_BEGIN_DECLS

#define FLOE_TYPE_WINDOW (floe_window_get_type ())
G_DECLARE_FINAL_TYPE (FloeWindow, floe_window, FLOE, WINDOW, AdwApplicationWindow)

FloeWindow *floe_window_new (FloeApplication *application);

/* Puts address in the entry and calls it, as the Call button does. */
void floe_window_dial (FloeWindow *self, const char *address);

/* Shows a short message at the bottom of the window. */
void floe_window_show_toast (FloeWindow *self, const char *message);

G_END_DECLS
