/* The in-call view. It reads everything it shows from the phone (the call,
 * its selected ICE pair and its media statistics): nothing is shown that
 * the core did not report. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <glib/gi18n.h>

#include "floe-call-view.h"
#include "floe-dial-pad.h"
#include "floe-path-description.h"

/* How often the duration, path and statistics are read while a call lasts. */
#define REFRESH_MS 500

struct _FloeCallView {
  GtkWidget parent_instance;

  GtkLabel *peer_label;
  GtkLabel *state_label;
  GtkLabel *duration_label;
  GtkLabel *warning_label;
  AdwActionRow *path_row;
  GtkImage *path_icon;
  AdwActionRow *encryption_row;
  AdwActionRow *quality_row;
  GtkWidget *incoming_box;
  GtkWidget *controls_box;
  GtkToggleButton *hold_button;
  GtkToggleButton *mute_button;
  GtkProgressBar *tx_level; /* level meters: a GtkLevelBar leaks in GTK 4.8 */
  GtkProgressBar *rx_level;
  GtkToggleButton *keypad_button;

  FloePhone *phone;
  guint refresh_source;
};

G_DEFINE_FINAL_TYPE (FloeCallView, floe_call_view, GTK_TYPE_WIDGET)

static FloeCall *
floe_call_view_call (FloeCallView *self)
{
  return self->phone != NULL ? floe_phone_get_call (self->phone) : NULL;
}

static void
floe_call_view_show_path (FloeCallView *self, const FloePathInfo *path, FloeCallState state)
{
  g_autofree char *sentence = NULL;
  g_autofree char *pair = floe_path_describe_pair (path);
  const char *icon;

  if (path == NULL)
    {
      /* Before ICE selects a pair: say what is happening, not a path. */
      sentence = g_strdup (state == FLOE_CALL_ACTIVE || state == FLOE_CALL_ANSWERING
                             ? _("Checking which path works…") : _("No connection yet"));
      icon = "network-offline-symbolic";
    }
  else
    {
      sentence = floe_path_describe (path);
      icon = floe_path_is_relayed (path) ? "network-server-symbolic" : "network-wired-symbolic";
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->path_row), sentence);
  adw_action_row_set_subtitle (self->path_row, pair);
  gtk_image_set_from_icon_name (self->path_icon, icon);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->path_row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, sentence,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, pair, -1);
}

/* RTT from RTCP once the peer has reported; until then, the round trip of
 * the ICE check that validated the pair. */
static void
floe_call_view_show_quality (FloeCallView *self, const FloePathInfo *path)
{
  media_session_stats stats;
  g_autofree char *rtt = NULL;
  g_autofree char *text = NULL;

  if (!floe_phone_get_stats (self->phone, &stats) || stats.packets_received == 0)
    {
      adw_action_row_set_subtitle (self->quality_row, _("Not measured yet"));
      adw_action_row_set_subtitle (self->encryption_row, _("Not known yet"));
      return;
    }
  adw_action_row_set_subtitle (self->encryption_row, floe_phone_get_encrypted (self->phone)
                                                      ? _("Encrypted (SRTP)") : _("Not encrypted"));
  if (stats.rtt_ms >= 0 || (path != NULL && path->check_rtt_ms >= 0))
    /* Translators: a round-trip time in milliseconds. */
    rtt = g_strdup_printf (_("%d ms"), (int) MIN (stats.rtt_ms >= 0 ? stats.rtt_ms : path->check_rtt_ms, G_MAXINT));
  else
    rtt = g_strdup (_("not measured yet"));
  if (stats.mos > 0)
    /* Translators: "Round trip 42 ms · 0.5 % lost · MOS 4.3 of 4.5". */
    text = g_strdup_printf (_("Round trip %s · %.1f %% lost · MOS %.1f of 4.5"), rtt, stats.loss_percent, stats.mos);
  else
    text = g_strdup_printf (_("Round trip %s · %.1f %% lost"), rtt, stats.loss_percent);
  adw_action_row_set_subtitle (self->quality_row, text);
}

static const char *
state_text (FloeCall *call)
{
  gboolean incoming = floe_call_get_incoming (call);

  switch (floe_call_get_state (call))
    {
    case FLOE_CALL_IDLE:
      return incoming ? _("Incoming call") : _("Preparing the call…");
    case FLOE_CALL_CALLING:
      return _("Calling…");
    case FLOE_CALL_RINGING:
      return incoming ? _("Incoming call") : _("Ringing…");
    case FLOE_CALL_INCOMING:
      return _("Incoming call");
    case FLOE_CALL_ANSWERING:
      return _("Connecting…");
    case FLOE_CALL_ACTIVE:
      if (floe_call_get_held (call))
        return _("On hold");
      if (floe_call_get_remote_held (call))
        return _("The other side put you on hold");
      return _("Connected");
    case FLOE_CALL_ENDING:
      return _("Hanging up…");
    case FLOE_CALL_ENDED:
    default:
      return _("Call ended");
    }
}

/* dBFS to a meter's 0..1: the bottom is -60 dBFS, quieter than speech. */
static double
meter_value (double dbfs)
{
  return CLAMP ((dbfs + 60.0) / 60.0, 0.0, 1.0);
}

static void
floe_call_view_show_levels (FloeCallView *self)
{
  media_session_stats stats;
  gboolean have = floe_phone_get_stats (self->phone, &stats);

  gtk_progress_bar_set_fraction (self->tx_level, have ? meter_value (stats.tx_level_dbfs) : 0);
  gtk_progress_bar_set_fraction (self->rx_level, have ? meter_value (stats.rx_level_dbfs) : 0);
}

static void
floe_call_view_refresh (FloeCallView *self)
{
  FloeCall *call = floe_call_view_call (self);
  FloeCallState state;
  FloePathInfo path;
  g_autofree char *warning = NULL;
  gint64 seconds;
  g_autofree char *duration = NULL;
  gboolean ringing_in;
  gboolean have_path;

  if (call == NULL)
    {
      gtk_label_set_text (self->peer_label, "");
      gtk_label_set_text (self->state_label, _("No call"));
      gtk_label_set_text (self->duration_label, "0:00");
      gtk_widget_set_visible (self->incoming_box, FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->warning_label), FALSE);
      floe_call_view_show_path (self, NULL, FLOE_CALL_IDLE);
      adw_action_row_set_subtitle (self->quality_row, _("Not measured yet"));
      adw_action_row_set_subtitle (self->encryption_row, _("Not known yet"));
      return;
    }

  state = floe_call_get_state (call);
  gtk_label_set_text (self->peer_label, floe_call_get_remote_uri (call));
  gtk_label_set_text (self->state_label, state_text (call));

  seconds = floe_phone_get_call_duration (self->phone);
  if (seconds >= 3600)
    duration = g_strdup_printf ("%d:%02d:%02d", (int) (seconds / 3600), (int) (seconds / 60 % 60),
                                (int) (seconds % 60));
  else
    duration = g_strdup_printf ("%d:%02d", (int) (seconds / 60), (int) (seconds % 60));
  gtk_label_set_text (self->duration_label, duration);

  ringing_in = floe_call_get_incoming (call) &&
               (state == FLOE_CALL_IDLE || state == FLOE_CALL_INCOMING || state == FLOE_CALL_RINGING);
  gtk_widget_set_visible (self->incoming_box, ringing_in);
  gtk_widget_set_visible (self->controls_box, !ringing_in);
  gtk_widget_set_sensitive (GTK_WIDGET (self->hold_button), state == FLOE_CALL_ACTIVE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->mute_button), state == FLOE_CALL_ACTIVE);
  if (gtk_toggle_button_get_active (self->mute_button) != floe_phone_get_mute (self->phone))
    {
      g_signal_handlers_block_matched (self->mute_button, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
      gtk_toggle_button_set_active (self->mute_button, floe_phone_get_mute (self->phone));
      g_signal_handlers_unblock_matched (self->mute_button, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
    }
  floe_call_view_show_levels (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->keypad_button), state == FLOE_CALL_ACTIVE);
  if (gtk_toggle_button_get_active (self->hold_button) != floe_call_get_held (call))
    {
      g_signal_handlers_block_matched (self->hold_button, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
      gtk_toggle_button_set_active (self->hold_button, floe_call_get_held (call));
      g_signal_handlers_unblock_matched (self->hold_button, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
    }

  have_path = floe_phone_get_path (self->phone, &path);
  floe_call_view_show_path (self, have_path ? &path : NULL, state);
  floe_call_view_show_quality (self, have_path ? &path : NULL);

  warning = floe_phone_get_call_warning (self->phone);
  gtk_label_set_text (self->warning_label, warning != NULL ? warning : "");
  gtk_widget_set_visible (GTK_WIDGET (self->warning_label), warning != NULL);
}

static gboolean
on_refresh_timeout (gpointer user_data)
{
  floe_call_view_refresh (FLOE_CALL_VIEW (user_data));
  return G_SOURCE_CONTINUE;
}

static void
on_call_changed (FloeCallView *self)
{
  FloeCall *call = floe_call_view_call (self);

  if (call == NULL)
    {
      g_clear_handle_id (&self->refresh_source, g_source_remove);
      gtk_toggle_button_set_active (self->keypad_button, FALSE);
    }
  else if (self->refresh_source == 0)
    self->refresh_source = g_timeout_add (REFRESH_MS, on_refresh_timeout, self);
  floe_call_view_refresh (self);
}

void
floe_call_view_set_phone (FloeCallView *self, FloePhone *phone)
{
  g_return_if_fail (FLOE_IS_CALL_VIEW (self));
  g_return_if_fail (FLOE_IS_PHONE (phone));

  if (self->phone != NULL)
    g_signal_handlers_disconnect_by_data (self->phone, self);
  g_set_object (&self->phone, phone);
  g_signal_connect_object (phone, "notify::call", G_CALLBACK (on_call_changed), self, G_CONNECT_SWAPPED);
  on_call_changed (self);
}

static void
on_keypad_digit (FloeCallView *self, const char *digit)
{
  if (self->phone != NULL)
    floe_phone_send_dtmf (self->phone, digit[0]);
}

static void
on_mute_toggled (FloeCallView *self)
{
  floe_phone_set_mute (self->phone, gtk_toggle_button_get_active (self->mute_button));
}

static void
on_hold_toggled (FloeCallView *self)
{
  if (self->phone != NULL)
    floe_phone_set_hold (self->phone, gtk_toggle_button_get_active (self->hold_button));
}

static void
on_call_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  FloeCallView *self = FLOE_CALL_VIEW (widget);

  if (self->phone == NULL)
    return;
  if (g_str_equal (action_name, "call.hangup"))
    floe_phone_hangup (self->phone);
  else if (g_str_equal (action_name, "call.answer"))
    floe_phone_answer (self->phone);
  else if (g_str_equal (action_name, "call.decline"))
    floe_phone_decline (self->phone);
}

static void
floe_call_view_dispose (GObject *object)
{
  FloeCallView *self = FLOE_CALL_VIEW (object);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->phone != NULL)
    g_signal_handlers_disconnect_by_data (self->phone, self);
  g_clear_object (&self->phone);
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
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, encryption_row);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, quality_row);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, incoming_box);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, controls_box);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, hold_button);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, mute_button);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, tx_level);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, rx_level);
  gtk_widget_class_bind_template_child (widget_class, FloeCallView, keypad_button);
  gtk_widget_class_bind_template_callback (widget_class, on_keypad_digit);
  gtk_widget_class_bind_template_callback (widget_class, on_hold_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_mute_toggled);
  gtk_widget_class_install_action (widget_class, "call.hangup", NULL, on_call_action);
  gtk_widget_class_install_action (widget_class, "call.answer", NULL, on_call_action);
  gtk_widget_class_install_action (widget_class, "call.decline", NULL, on_call_action);
  gtk_widget_class_set_css_name (widget_class, "callview");
}

static void
floe_call_view_init (FloeCallView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  floe_call_view_refresh (self);
}
