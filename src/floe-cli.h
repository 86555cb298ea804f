/* The headless front end: the whole program when there is no display. */
#pragma once

/* Parses the command line and runs Floe headless; returns the exit status.
 * Called by main() in headless builds and by the desktop app's main() when
 * it is given --headless, before anything touches GTK. */
int floe_cli_main (int argc, char **argv);
