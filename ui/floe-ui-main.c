/* main() of the desktop build: --headless goes to the headless front end
 * before anything initialises GTK, so it runs without a display. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "src/floe-cli.h"
#include "src/floe-libraries.h"

#include "floe-application.h"

static gboolean
wants_headless (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--headless") == 0)
        return TRUE;
    }
  return FALSE;
}

int
main (int argc, char **argv)
{
  g_autoptr (FloeApplication) app = NULL;

  floe_libraries_init ();
  if (wants_headless (argc, argv))
    return floe_cli_main (argc, argv);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = floe_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
