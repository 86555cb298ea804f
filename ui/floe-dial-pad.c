/* The keypad: keys are buttons in the template bound to one widget action
 * whose parameter is the key's character. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <string.h>

#include "floe-dial-pad.h"

struct _FloeDialPad {
  GtkWidget parent_instance;
};

G_DEFINE_FINAL_TYPE (FloeDialPad, floe_dial_pad, GTK_TYPE_WIDGET)

enum { SIGNAL_DIGIT, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
on_press (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  const char *digit = g_variant_get_string (parameter, NULL);

  if (strlen (digit) == 1 && strchr ("0123456789*#", digit[0]) != NULL)
    g_signal_emit (widget, signals[SIGNAL_DIGIT], 0, digit);
}

static void
floe_dial_pad_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), FLOE_TYPE_DIAL_PAD);
  G_OBJECT_CLASS (floe_dial_pad_parent_class)->dispose (object);
}

static void
floe_dial_pad_class_init (FloeDialPadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = floe_dial_pad_dispose;

  /* ::digit: a key was pressed; the argument is its character. */
  signals[SIGNAL_DIGIT] = g_signal_new ("digit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/floe/Floe/floe-dial-pad.ui");
  gtk_widget_class_install_action (widget_class, "dial-pad.press", "s", on_press);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_GRID_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "dialpad");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
floe_dial_pad_init (FloeDialPad *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
floe_dial_pad_new (void)
{
  return g_object_new (FLOE_TYPE_DIAL_PAD, NULL);
}
