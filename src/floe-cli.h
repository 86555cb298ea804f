/* The headless front end: the whole program when there is no display. */
#pragma once

/* Exit statuses of a headless run, one per kind of failure, so that a
 * script can tell a wrong password from a call that connected without audio. */
typedef enum
{
  FLOE_EXIT_OK = 0,
  FLOE_EXIT_FAILURE = 1,       /* anything not listed below */
  FLOE_EXIT_USAGE = 2,         /* bad options or configuration */
  FLOE_EXIT_REGISTRATION = 3,  /* the account did not register */
  FLOE_EXIT_CALL = 4,          /* the call was not answered or failed in SIP */
  FLOE_EXIT_ICE = 5,           /* no candidate pair connected */
  FLOE_EXIT_NO_AUDIO = 6,      /* --expect-audio: the far end's tone never arrived */
  FLOE_EXIT_EXPECTATION = 7,   /* --expect-pair or --max-setup not met */
} FloeExit;

/* Parses the command line and runs Floe headless; returns the exit status.
 * Called by main() in headless builds and by the desktop app's main() when
 * it is given --headless, before anything touches GTK. */
int floe_cli_main (int argc, char **argv);
