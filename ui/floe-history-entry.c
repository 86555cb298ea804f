/* One call in the history; immutable once made. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include "floe-history-entry.h"

struct _FloeHistoryEntry {
  GObject parent_instance;
  char *peer;
  FloeCallDirection direction;
  gint64 start;
  gint64 duration;
};

G_DEFINE_FINAL_TYPE (FloeHistoryEntry, floe_history_entry, G_TYPE_OBJECT)

enum { PROP_0, PROP_PEER, N_PROPS };
static GParamSpec *props[N_PROPS];

static void
floe_history_entry_finalize (GObject *object)
{
  FloeHistoryEntry *self = FLOE_HISTORY_ENTRY (object);

  g_free (self->peer);
  G_OBJECT_CLASS (floe_history_entry_parent_class)->finalize (object);
}

static void
floe_history_entry_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FloeHistoryEntry *self = FLOE_HISTORY_ENTRY (object);

  switch (prop_id)
    {
    case PROP_PEER:
      g_value_set_string (value, self->peer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
floe_history_entry_class_init (FloeHistoryEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = floe_history_entry_finalize;
  object_class->get_property = floe_history_entry_get_property;
  props[PROP_PEER] = g_param_spec_string ("peer", NULL, NULL, NULL,
                                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
floe_history_entry_init (FloeHistoryEntry *self)
{
}

FloeHistoryEntry *
floe_history_entry_new (const char *peer, FloeCallDirection direction, gint64 start, gint64 duration)
{
  FloeHistoryEntry *self;

  g_return_val_if_fail (peer != NULL, NULL);
  g_return_val_if_fail (direction <= FLOE_CALL_DIRECTION_LAST, NULL);

  self = g_object_new (FLOE_TYPE_HISTORY_ENTRY, NULL);
  self->peer = g_strdup (peer);
  self->direction = direction;
  self->start = start;
  self->duration = MAX (duration, 0);
  return self;
}

const char *
floe_history_entry_get_peer (FloeHistoryEntry *self)
{
  g_return_val_if_fail (FLOE_IS_HISTORY_ENTRY (self), NULL);
  return self->peer;
}

FloeCallDirection
floe_history_entry_get_direction (FloeHistoryEntry *self)
{
  g_return_val_if_fail (FLOE_IS_HISTORY_ENTRY (self), FLOE_CALL_DIRECTION_OUTGOING);
  return self->direction;
}

gint64
floe_history_entry_get_start (FloeHistoryEntry *self)
{
  g_return_val_if_fail (FLOE_IS_HISTORY_ENTRY (self), 0);
  return self->start;
}

gint64
floe_history_entry_get_duration (FloeHistoryEntry *self)
{
  g_return_val_if_fail (FLOE_IS_HISTORY_ENTRY (self), 0);
  return self->duration;
}
