/* One call in the history: who, which way, when, how long. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  FLOE_CALL_DIRECTION_OUTGOING,
  FLOE_CALL_DIRECTION_INCOMING,
  FLOE_CALL_DIRECTION_MISSED,
} FloeCallDirection;

#define FLOE_CALL_DIRECTION_LAST FLOE_CALL_DIRECTION_MISSED

#define FLOE_TYPE_HISTORY_ENTRY (floe_history_entry_get_type ())
G_DECLARE_FINAL_TYPE (FloeHistoryEntry, floe_history_entry, FLOE, HISTORY_ENTRY, GObject)

/* start is Unix time in seconds; duration in seconds (0 for unanswered calls). */
FloeHistoryEntry *floe_history_entry_new (const char *peer, FloeCallDirection direction,
                                          gint64 start, gint64 duration);
const char *floe_history_entry_get_peer (FloeHistoryEntry *self);
FloeCallDirection floe_history_entry_get_direction (FloeHistoryEntry *self);
gint64 floe_history_entry_get_start (FloeHistoryEntry *self);
gint64 floe_history_entry_get_duration (FloeHistoryEntry *self);

G_END_DECLS
