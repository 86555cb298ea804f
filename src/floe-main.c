/* main() of the headless build (--disable-gui): no GTK is linked at all. */
#include "config.h"

#include "floe-cli.h"

int
main (int argc, char **argv)
{
  return floe_cli_main (argc, argv);
}
