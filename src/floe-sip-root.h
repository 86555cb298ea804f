/* The one Sofia-SIP event loop of the process, running inside GLib's
 * default main context (su_glib). */
#pragma once

#include <sofia-sip/su_wait.h>

/* Creates the root and attaches it to the default GMainContext on first
 * use; it lives as long as the process. */
su_root_t *floe_sip_root_get (void);
