/* The call history, stored as one serialised GVariant of type a(suxx):
 * peer, direction, start (Unix seconds), duration (seconds). */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "floe-call-history.h"

#define HISTORY_TYPE "a(suxx)"

struct _FloeCallHistory {
  GObject parent_instance;
  char *path;
  GPtrArray *entries; /* FloeHistoryEntry, newest first */
};

static void floe_call_history_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FloeCallHistory, floe_call_history, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, floe_call_history_list_model_init))

static GType
floe_call_history_get_item_type (GListModel *model)
{
  return FLOE_TYPE_HISTORY_ENTRY;
}

static guint
floe_call_history_get_n_items (GListModel *model)
{
  return FLOE_CALL_HISTORY (model)->entries->len;
}

static gpointer
floe_call_history_get_item (GListModel *model, guint position)
{
  FloeCallHistory *self = FLOE_CALL_HISTORY (model);

  if (position >= self->entries->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->entries, position));
}

static void
floe_call_history_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = floe_call_history_get_item_type;
  iface->get_n_items = floe_call_history_get_n_items;
  iface->get_item = floe_call_history_get_item;
}

static void
floe_call_history_finalize (GObject *object)
{
  FloeCallHistory *self = FLOE_CALL_HISTORY (object);

  g_free (self->path);
  g_ptr_array_unref (self->entries);
  G_OBJECT_CLASS (floe_call_history_parent_class)->finalize (object);
}

static void
floe_call_history_class_init (FloeCallHistoryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = floe_call_history_finalize;
}

static void
floe_call_history_init (FloeCallHistory *self)
{
  self->entries = g_ptr_array_new_with_free_func (g_object_unref);
}

/* The file is ours but still read defensively: GVariant checks the
 * serialised form against the type, and every entry's fields are checked. */
static gboolean
floe_call_history_load (FloeCallHistory *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GVariant) variant = NULL;
  g_autoptr (GMappedFile) file = NULL;
  GVariantIter iter;
  const char *peer;
  guint32 direction;
  gint64 start, duration;

  file = g_mapped_file_new (self->path, FALSE, &local_error);
  if (file == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  bytes = g_mapped_file_get_bytes (file);
  variant = g_variant_new_from_bytes (G_VARIANT_TYPE (HISTORY_TYPE), bytes, FALSE);
  g_variant_ref_sink (variant);
  if (!g_variant_is_normal_form (variant))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("The call history file %s is damaged; starting with an empty history."),
                   self->path);
      return FALSE;
    }

  g_variant_iter_init (&iter, variant);
  while (self->entries->len < FLOE_CALL_HISTORY_MAX &&
         g_variant_iter_next (&iter, "(&suxx)", &peer, &direction, &start, &duration))
    {
      if (direction > FLOE_CALL_DIRECTION_LAST || *peer == '\0' || !g_utf8_validate (peer, -1, NULL))
        continue;
      g_ptr_array_add (self->entries, floe_history_entry_new (peer, direction, start, duration));
    }
  return TRUE;
}

static gboolean
floe_call_history_save (FloeCallHistory *self, GError **error)
{
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE (HISTORY_TYPE));
  g_autoptr (GVariant) variant = NULL;
  g_autofree char *dir = g_path_get_dirname (self->path);

  for (guint i = 0; i < self->entries->len; i++)
    {
      FloeHistoryEntry *entry = g_ptr_array_index (self->entries, i);

      g_variant_builder_add (&builder, "(suxx)", floe_history_entry_get_peer (entry),
                             (guint32) floe_history_entry_get_direction (entry),
                             floe_history_entry_get_start (entry),
                             floe_history_entry_get_duration (entry));
    }
  variant = g_variant_ref_sink (g_variant_builder_end (&builder));

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  return g_file_set_contents_full (self->path, g_variant_get_data (variant),
                                   (gssize) g_variant_get_size (variant),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

FloeCallHistory *
floe_call_history_new (const char *path, GError **error)
{
  FloeCallHistory *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (FLOE_TYPE_CALL_HISTORY, NULL);
  self->path = g_strdup (path);
  if (!floe_call_history_load (self, error))
    g_ptr_array_set_size (self->entries, 0);
  return self;
}

char *
floe_call_history_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "floe", "history", NULL);
}

gboolean
floe_call_history_add (FloeCallHistory *self, FloeHistoryEntry *entry, GError **error)
{
  g_return_val_if_fail (FLOE_IS_CALL_HISTORY (self), FALSE);
  g_return_val_if_fail (FLOE_IS_HISTORY_ENTRY (entry), FALSE);

  g_ptr_array_insert (self->entries, 0, g_object_ref (entry));
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);
  if (self->entries->len > FLOE_CALL_HISTORY_MAX)
    {
      guint removed = self->entries->len - FLOE_CALL_HISTORY_MAX;

      g_ptr_array_set_size (self->entries, FLOE_CALL_HISTORY_MAX);
      g_list_model_items_changed (G_LIST_MODEL (self), FLOE_CALL_HISTORY_MAX, removed, 0);
    }
  return floe_call_history_save (self, error);
}

gboolean
floe_call_history_clear (FloeCallHistory *self, GError **error)
{
  guint n;

  g_return_val_if_fail (FLOE_IS_CALL_HISTORY (self), FALSE);

  n = self->entries->len;
  g_ptr_array_set_size (self->entries, 0);
  if (n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
  return floe_call_history_save (self, error);
}
