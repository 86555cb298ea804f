/* The in-call view: who, the state, how long, how the call is connected
 * (in words, with the numbers), the controls and the audio levels. */
#pragma once

#include <adwaita.h>

#include "floe-phone.h"

G_BEGIN_DECLS

#define FLOE_TYPE_CALL_VIEW (floe_call_view_get_type ())
G_DECLARE_FINAL_TYPE (FloeCallView, floe_call_view, FLOE, CALL_VIEW, GtkWidget)

/* Shows the phone's current call, following it as it changes. */
void floe_call_view_set_phone (FloeCallView *self, FloePhone *phone);

G_END_DECLS
