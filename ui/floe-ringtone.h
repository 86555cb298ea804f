/* The ringtone of an incoming call, played through the media layer's
 * devices: a two-tone source into the output device, in a ring cadence. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FLOE_TYPE_RINGTONE (floe_ringtone_get_type ())
G_DECLARE_FINAL_TYPE (FloeRingtone, floe_ringtone, FLOE, RINGTONE, GObject)

FloeRingtone *floe_ringtone_new (void);

/* Starts ringing on the named output device (NULL or "": the default).
 * FALSE when no output device could be opened (the call still rings
 * visibly). */
gboolean floe_ringtone_start (FloeRingtone *self, const char *output_device);
void floe_ringtone_stop (FloeRingtone *self);
gboolean floe_ringtone_is_playing (FloeRingtone *self);

G_END_DECLS
