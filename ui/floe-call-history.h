/* The call history: a GListModel of FloeHistoryEntry, newest first, kept in
 * a file so that it survives restarts. */
#pragma once

#include <gio/gio.h>

#include "floe-history-entry.h"

G_BEGIN_DECLS

#define FLOE_TYPE_CALL_HISTORY (floe_call_history_get_type ())
G_DECLARE_FINAL_TYPE (FloeCallHistory, floe_call_history, FLOE, CALL_HISTORY, GObject)

/* The most entries kept; older ones are dropped when a call is added. */
#define FLOE_CALL_HISTORY_MAX 200

/* Loads path if it exists. A missing file is an empty history; a damaged
 * one is reported through error and the history starts empty (the file is
 * rewritten on the next add). */
FloeCallHistory *floe_call_history_new (const char *path, GError **error);
/* $XDG_DATA_HOME/floe/history. */
char *floe_call_history_default_path (void);

/* Prepends the entry and saves the file at once. */
gboolean floe_call_history_add (FloeCallHistory *self, FloeHistoryEntry *entry, GError **error);
gboolean floe_call_history_clear (FloeCallHistory *self, GError **error);

G_END_DECLS
