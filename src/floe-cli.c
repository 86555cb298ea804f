/* The headless front end: command line, actions, verdicts. */
#include "config.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>

#include "floe-cli-options.h"
#include "floe-cli.h"
#include "floe-headless.h"
#include "floe-version.h"

int
floe_cli_main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FloeCliOptions) options = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  options = floe_cli_options_parse (&argc, &argv, &error);
  if (options == NULL)
    {
      g_printerr ("floe: %s\n", error->message);
      g_printerr (_("Run “floe --help” to see the options.\n"));
      return FLOE_EXIT_USAGE;
    }
  if (options->help != NULL)
    {
      g_print ("%s", options->help);
      return FLOE_EXIT_OK;
    }
  if (options->version)
    {
      g_print ("%s\n", floe_user_agent ());
      return FLOE_EXIT_OK;
    }

  return floe_headless_run (options);
}
