/* A headless run: register, place or answer calls, judge them, report. */
#pragma once

#include "floe-cli-options.h"

G_BEGIN_DECLS

/* Runs until the actions are done (or SIGINT/SIGTERM, or "quit" on the
 * control channel); returns a FloeExit status. */
int floe_headless_run (const FloeCliOptions *options);

G_END_DECLS
