/* The headless front end: command line, actions, verdicts. */
#include "config.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>

#include "floe-cli.h"
#include "floe-version.h"

int
floe_cli_main (int argc, char **argv)
{
  gboolean version = FALSE;
  gboolean headless = FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  const GOptionEntry entries[] = {
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version, N_("Show the version and exit"), NULL },
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless, N_("Run without a display"), NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Floe, a SIP softphone that makes calls work across NATs."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("floe: %s\n", error->message);
      g_printerr (_("Run “floe --help” to see the options.\n"));
      return 2;
    }

  if (version)
    {
      g_print ("%s\n", floe_user_agent ());
      return EXIT_SUCCESS;
    }

  g_printerr (_("floe: nothing to do yet; run “floe --help” to see the options.\n"));
  return 2;
}
