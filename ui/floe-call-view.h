/* The in-call view: who, the state, how long, how the call is connected
 * (in words, with the numbers), the controls and the audio levels. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FLOE_TYPE_CALL_VIEW (floe_call_view_get_type ())
G_DECLARE_FINAL_TYPE (FloeCallView, floe_call_view, FLOE, CALL_VIEW, GtkWidget)

/* The call to show (a FloeCall from the core), or NULL. */
void floe_call_view_set_call (FloeCallView *self, GObject *call);
GObject *floe_call_view_get_call (FloeCallView *self);

G_END_DECLS
