/* main() of the headless build (--disable-gui): no GTK is linked at all. */
#include "config.h"

#include "floe-cli.h"
#include "floe-libraries.h"

int
main (int argc, char **argv)
{
  floe_libraries_init ();
  return floe_cli_main (argc, argv);
}
