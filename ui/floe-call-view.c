/* The in-call view. It reads everything it shows from the call: nothing is
 * shown that the core did not measure. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <glib/gi18n.h>

#include "floe-call-view.h"
#include "floe-dial-pad.h"
#include "floe-path-description.h"

struct _FloeCallView {
  GtkWidget parent_instance;

  GtkLabel *peer_label;
  GtkLabel *state_label;
  GtkLabel *duration_label;
  GtkLabel *warning_label;
  AdwActionRow *path_row;
  GtkImage *path_icon;
  AdwActionRow *quality_row;
  GtkLevelBar *input_level;
  GtkLevelBar *output_level;
  GtkWidget *incoming_box;
  GtkWidget *controls_box;
  GtkToggleButton *keypad_button;

  GObject *call;
  guint refresh_source;
};

G_DEFINE_FINAL_TYPE (FloeCallView, floe_call_view, GTK_TYPE_WIDGET)

static void
floe_call_view_show_path (FloeCallView *self, const FloePathInfo *path)
{
  g_autofree char *sentence = floe_path_describe (path);
  g_autofree char *pair = floe_path_describe_pair (path);
  const char *icon;

  if (path == NULL || path->local_type == NULL)
    icon = "network-offline-symbolic";
  else if (floe_path_is_relayed (path))
    icon = "network-server-symbolic";
  else
    icon = "network-wired-symbolic";

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->path_row), sentence);
  adw_action_row_set_subtitle (self->path_row, pair);
  gtk_image_set_from_icon_name (self->path_icon, icon);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->path_row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, sentence,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, pair, -1);
}

static void
floe_call_view_refresh (FloeCallView *self)
{
  if (self->call == NULL)
    {
      gtk_label_set_text (self->peer_label, "");
      gtk_label_set_text (self->state_label, _("No call"));
      gtk_label_set_text (self->duration_label, "0:00");
      gtk_widget_set_visible (self->incoming_box, FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->warning_label), FALSE);
      floe_call_view_show_path (self, NULL);
      adw_action_row_set_subtitle (self->quality_row, _("Not measured yet"));
      gtk_level_bar_set_value (self->input_level, 0);
      gtk_level_bar_set_value (self->output_level, 0);
      return;
    }
}

static gboolean
on_refresh_timeout (gpointer user_data)
{
  floe_call_view_refresh (FLOE_CALL_VIEW (user_data));
  return G_SOURCE_CONTINUE;
}

void
floe_call_view_set_call (FloeCallView *self, GObject *call)
{
  g_return_if_fail (FLOE_IS_CALL_VIEW (self));

  if (self->call == call)
    return;
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_set_object (&self->call, call);
  gtk_toggle_button_set_active (self->keypad_button, FALSE);
  if (call != NULL)
    self->refresh_source = g_timeout_add (250, on_refresh_timeout, self);
  floe_call_view_refresh (self);
}

GObject *
floe_call_view_get_call (FloeCallView *self)
{
  g_return_val_if_fail (FLOE_IS_CALL_VIEW (self), NULL);
  return self->call;
}

static void
on_keypad_digit (FloeCallView *self, const char *digit)
{
}

static void
floe_call_view_dispose (GObject *object)
{
  FloeCallView *self = FLOE_CALL_VIEW (object);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_object (&self->call);
  gtk_widget_dispose_template (GTK_WIDGET (self), FLOE_TYPE_CALL_VIEW);
  G_OBJECT_CLASS (floe_call_view_parent_class)->dispose (object);
}

static void
floe_call_view_class_init (FloeCallViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = floe_call_view_dispose;

  g_type_ensure (FLOE_TYPE_DIAL_PAD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/floe/Floe/floe-call-view.ui");
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, peer_label);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, state_label);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, duration_label);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, warning_label);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, path_row);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, path_icon);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, quality_row);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, input_level);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, output_level);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, incoming_box);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, controls_box);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, keypad_button);
  gtk_widget_class_bind_template_callback (widget_class, on_keypad_digit);
  gtk_widget_class_set_css_name (widget_class, "callview");
}

static void
floe_call_view_init (FloeCallView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  floe_call_view_refresh (self);
}
