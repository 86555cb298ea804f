/* Sofia's event loop as a GSource of GLib's default main context. */
#include "config.h"

#define G_LOG_DOMAIN "floe-sip"

#include "floe-sip-root.h"

#include <glib.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>

#include "floe-libraries.h"
#include "media/srtp.h"

su_root_t *
floe_sip_root_get (void)
{
  static gsize once;
  static su_root_t *root;

  if (g_once_init_enter (&once))
    {
      su_root_t *r;
      /* su_glib must be chosen before the first root is made, or Sofia
       * creates a poll-based port that GLib never runs. */
      su_init ();
      /* Sofia's own debug lines go to stderr at its default level; keep the
       * log ours unless someone asks for them with SU_DEBUG. */
      if (g_getenv ("SU_DEBUG") == NULL)
        su_log_set_level (NULL, 0);
      /* Normally main() did this already. */
      floe_libraries_init ();
      /* libsrtp2's self-tests (see media_srtp_init()) now, while no call is
       * being set up. A failure shows again, as that call's error. */
      if (media_srtp_init () < 0)
        g_warning ("libsrtp2 failed its self-tests: calls with SRTP will fail");
      su_glib_prefer_gsource ();
      r = su_glib_root_create (NULL);
      if (!r)
        g_error ("Sofia-SIP could not create its event loop");
      g_source_attach (su_glib_root_gsource (r), NULL);
      root = r;
      g_once_init_leave (&once, 1);
    }
  return root;
}
