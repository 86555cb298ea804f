/* A headless run: the account, the calls it places or answers, the
 * verdicts on them, and what is reported along the way. */
#define G_LOG_DOMAIN "floe-sip"

#include "config.h"

#include "floe-headless.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <string.h>

#include "floe-account.h"
#include "floe-call-media.h"
#include "floe-cli.h"
#include "floe-control.h"
#include "floe-ice-server.h"
#include "floe-report.h"
#include "media/analyser.h"

/* A far-end tone counts as heard after half a second of it. */
#define TONE_FRAMES_NEEDED 25
/* How long to wait for the registrar to confirm the unregistration. */
#define STOP_GRACE_MS 3000

typedef struct _Run Run;

typedef struct
{
  Run *run;
  guint index;
  FloeCall *call;
  FloeCallMedia *media;
  media_device *source, *recorder, *analyser;
  gint64 dial_us, answer_us, pair_us, first_audio_us;
  gboolean have_pair, judged;
  ice_pair_info pair;
  char *ice_failure;
  GString *dtmf_heard;
  const char *dtmf_next; /* digits still to send */
  guint hangup_id, stats_id, dtmf_id, answer_id;
} Call;

struct _Run
{
  const FloeCliOptions *o;
  GMainLoop *loop;
  FloeReport *report;
  FloeAccount *account;
  FloeControl *control;
  FloeIcePool *pool; /* candidates for the next call, gathered ahead */
  GPtrArray *calls; /* Call* */
  guint placed, ended;
  int exit;
  gboolean stopping, started_calls;
  guint place_id;
};

static void run_stop (Run *run);

/* The most basic failure wins: registration < call < ICE < audio < expectations. */
static void
run_fail (Run *run, int code)
{
  if (run->exit == FLOE_EXIT_OK || code < run->exit)
    run->exit = code;
}

static gint64
since_dial_ms (Call *c, gint64 when_us)
{
  return (when_us - c->dial_us) / 1000;
}

/* ---- reporting one call */

static const char *
pair_kind (const ice_pair_info *p)
{
  if (p->local.type == ICE_CAND_RELAY || p->remote.type == ICE_CAND_RELAY)
    return "relay";
  if (p->local.type == ICE_CAND_SRFLX || p->remote.type == ICE_CAND_SRFLX)
    return "srflx";
  if (p->local.type == ICE_CAND_PRFLX || p->remote.type == ICE_CAND_PRFLX)
    return "prflx";
  return "host";
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_double (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

static void
add_stats (JsonBuilder *b, Call *c)
{
  media_session_stats st;
  media_analyser_stats heard;

  if (!floe_call_media_get_stats (c->media, &st))
    return;
  json_builder_set_member_name (b, "stats");
  json_builder_begin_object (b);
  add_int (b, "packets_sent", (gint64) st.packets_sent);
  add_int (b, "bytes_sent", (gint64) st.bytes_sent);
  add_int (b, "packets_received", (gint64) st.packets_received);
  add_int (b, "bytes_received", (gint64) st.bytes_received);
  add_int (b, "packets_lost", st.packets_lost);
  add_double (b, "loss_percent", st.loss_percent);
  add_double (b, "jitter_ms", st.jitter_ms);
  add_int (b, "rtt_ms", st.rtt_ms);
  add_int (b, "jitter_buffer_ms", st.jb_delay_ms);
  add_int (b, "concealed_frames", (gint64) st.concealed_frames);
  add_int (b, "fec_frames", (gint64) st.fec_frames);
  add_double (b, "mos", st.mos);
  add_double (b, "tx_level_dbfs", st.tx_level_dbfs);
  add_double (b, "rx_level_dbfs", st.rx_level_dbfs);
  add_int (b, "first_audio_tx_ms", st.first_audio_tx_ms);
  add_int (b, "first_audio_rx_ms", st.first_audio_rx_ms);
  add_int (b, "srtp_auth_failures", (gint64) st.srtp_auth_failures);
  add_int (b, "dtmf_received", (gint64) st.dtmf_received);
  json_builder_set_member_name (b, "srtp");
  json_builder_add_boolean_value (b, floe_call_media_uses_srtp (c->media));
  add_string (b, "codec", floe_call_media_codec_name (c->media));
  if (c->analyser != NULL)
    {
      media_analyser_get (c->analyser, &heard);
      add_double (b, "tone_hz", heard.tone_hz);
      add_int (b, "tone_frames", (gint64) heard.tone_frames);
      add_int (b, "signal_frames", (gint64) heard.signal_frames);
    }
  json_builder_end_object (b);
}

static JsonBuilder *
call_event (Call *c, const char *event)
{
  JsonBuilder *b = floe_report_begin (c->run->report, event);

  add_int (b, "call", c->index);
  return b;
}

static gboolean
on_stats_tick (gpointer data)
{
  Call *c = data;
  JsonBuilder *b = call_event (c, "stats");

  add_stats (b, c);
  floe_report_emit (c->run->report, b, NULL);
  return G_SOURCE_CONTINUE;
}

/* ---- verdicts, once per call, while its media still exists */

static void
judge (Call *c)
{
  const FloeCliOptions *o = c->run->o;
  FloeReport *r = c->run->report;
  gboolean answered = c->answer_us > 0;
  g_autofree char *message = NULL;

  if (c->judged)
    return;
  c->judged = TRUE;
  if (!answered)
    {
      run_fail (c->run, FLOE_EXIT_CALL);
      return;
    }
  if (!c->have_pair && floe_call_media_uses_ice (c->media))
    {
      floe_report_verdict (r, "ice", FALSE, c->ice_failure ? c->ice_failure : _("no candidate pair connected"));
      run_fail (c->run, FLOE_EXIT_ICE);
    }
  if (o->expect_pair != FLOE_EXPECT_PAIR_ANY)
    {
      const char *want = floe_expect_pair_name (o->expect_pair);
      const char *got = c->have_pair ? pair_kind (&c->pair) : (floe_call_media_uses_ice (c->media) ? "none" : "no-ice");
      gboolean ok = c->have_pair && (o->expect_pair == FLOE_EXPECT_PAIR_DIRECT ? strcmp (got, "relay") != 0
                                                                               : strcmp (got, want) == 0);
      message = g_strdup_printf (_("expected a %s pair, the call took a %s pair"), want, got);
      floe_report_verdict (r, "expect-pair", ok, message);
      if (!ok)
        run_fail (c->run, FLOE_EXIT_EXPECTATION);
      g_clear_pointer (&message, g_free);
    }
  if (o->max_setup_ms >= 0)
    {
      gint64 setup = since_dial_ms (c, c->answer_us);
      gboolean ok = c->dial_us > 0 && setup <= o->max_setup_ms;
      message = g_strdup_printf (_("set up in %d ms (at most %d ms allowed)"), (int) setup,
                                 o->max_setup_ms);
      floe_report_verdict (r, "max-setup", ok, message);
      if (!ok)
        run_fail (c->run, FLOE_EXIT_EXPECTATION);
      g_clear_pointer (&message, g_free);
    }
  if (o->expect_audio)
    {
      media_analyser_stats heard;
      gboolean ok;

      media_analyser_get (c->analyser, &heard);
      ok = heard.tone_frames >= TONE_FRAMES_NEEDED;
      if (ok)
        message = g_strdup_printf (_("heard a %.0f Hz tone for %.1f s"), heard.tone_hz, heard.tone_frames * 0.02);
      else if (heard.signal_frames > 0)
        message = g_strdup_printf (_("audio arrived (%.1f s) but no steady tone in it"), heard.signal_frames * 0.02);
      else
        message = g_strdup (_("no audio arrived from the far end"));
      floe_report_verdict (r, "expect-audio", ok, message);
      if (!ok)
        run_fail (c->run, FLOE_EXIT_NO_AUDIO);
    }
}

/* ---- one call's life */

static void
call_free (Call *c)
{
  g_clear_handle_id (&c->hangup_id, g_source_remove);
  g_clear_handle_id (&c->stats_id, g_source_remove);
  g_clear_handle_id (&c->dtmf_id, g_source_remove);
  g_clear_handle_id (&c->answer_id, g_source_remove);
  if (c->call != NULL)
    g_signal_handlers_disconnect_by_data (c->call, c);
  if (c->media != NULL)
    g_signal_handlers_disconnect_by_data (c->media, c);
  /* The media thread reads and writes the devices: stop it before they go,
   * even if a pending event still holds a reference to the media. */
  if (c->media != NULL)
    floe_call_media_stop (c->media);
  g_clear_object (&c->media);
  g_clear_object (&c->call);
  g_clear_pointer (&c->source, media_device_free);
  g_clear_pointer (&c->analyser, media_device_free);
  g_clear_pointer (&c->recorder, media_device_free);
  g_free (c->ice_failure);
  g_string_free (c->dtmf_heard, TRUE);
  g_free (c);
}

static gboolean
on_hangup_due (gpointer data)
{
  Call *c = data;

  c->hangup_id = 0;
  floe_call_hangup (c->call);
  return G_SOURCE_REMOVE;
}

static gboolean
on_dtmf_due (gpointer data)
{
  Call *c = data;

  if (*c->dtmf_next == '\0')
    {
      c->dtmf_id = 0;
      return G_SOURCE_REMOVE;
    }
  floe_call_send_dtmf (c->call, *c->dtmf_next);
  c->dtmf_next++;
  return G_SOURCE_CONTINUE;
}

static void
on_call_state (FloeCall *call, GParamSpec *pspec, gpointer data)
{
  Call *c = data;
  Run *run = c->run;
  FloeCallState state = floe_call_get_state (call);
  JsonBuilder *b;

  b = call_event (c, "call-state");
  add_string (b, "state", floe_call_state_name (state));
  floe_report_emit (run->report, b, _("call %u: %s"), c->index, floe_call_state_name (state));

  if (state == FLOE_CALL_ACTIVE && c->answer_us == 0)
    {
      c->answer_us = g_get_monotonic_time ();
      b = call_event (c, "answered");
      if (c->dial_us > 0)
        add_int (b, "setup_ms", since_dial_ms (c, c->answer_us));
      floe_report_emit (run->report, b, _("call %u answered"), c->index);
      c->stats_id = g_timeout_add_seconds (1, on_stats_tick, c);
      if (run->o->duration_s > 0)
        c->hangup_id = g_timeout_add ((guint) (run->o->duration_s * 1000), on_hangup_due, c);
      if (run->o->dtmf != NULL)
        {
          c->dtmf_next = run->o->dtmf;
          c->dtmf_id = g_timeout_add (400, on_dtmf_due, c);
        }
    }
  else if (state == FLOE_CALL_ENDED)
    {
      judge (c);
      b = call_event (c, "call-ended");
      add_string (b, "reason", floe_call_get_end_message (call) ? floe_call_get_end_message (call) : "");
      if (c->dtmf_heard->len > 0)
        add_string (b, "dtmf_received", c->dtmf_heard->str);
      add_stats (b, c);
      floe_report_emit (run->report, b, _("call %u ended: %s"), c->index,
                        floe_call_get_end_message (call) ? floe_call_get_end_message (call) : "");
      g_clear_handle_id (&c->stats_id, g_source_remove);
      g_clear_handle_id (&c->hangup_id, g_source_remove);
      g_clear_handle_id (&c->dtmf_id, g_source_remove);
      run->ended++;
      if (!run->stopping && run->ended >= run->o->calls && !run->o->control)
        run_stop (run);
    }
}

static void
on_call_dtmf (FloeCall *call, guint digit, gpointer data)
{
  Call *c = data;
  JsonBuilder *b = call_event (c, "dtmf-received");
  char text[2] = { (char) digit, '\0' };

  g_string_append_c (c->dtmf_heard, (char) digit);
  add_string (b, "digit", text);
  floe_report_emit (c->run->report, b, _("call %u: DTMF %s received"), c->index, text);
}

static void
on_media_dtmf (FloeCallMedia *media, guint digit, gpointer data)
{
  on_call_dtmf (NULL, digit, data);
}

static void
on_candidate (FloeCallMedia *media, gpointer cand_ptr, gpointer data)
{
  Call *c = data;
  const ice_cand *cand = cand_ptr;
  char where[ICE_ADDR_STRLEN];
  JsonBuilder *b = call_event (c, "candidate");

  add_string (b, "type", ice_cand_type_name (cand->type));
  add_string (b, "address", ice_addr_to_string (&cand->addr, where));
  add_int (b, "component", cand->component);
  floe_report_emit (c->run->report, b, _("call %u: candidate %s %s"), c->index, ice_cand_type_name (cand->type),
                    where);
}

static gboolean on_answer_due (gpointer data);

static void
on_ready (FloeCallMedia *media, gpointer data)
{
  Call *c = data;
  JsonBuilder *b = call_event (c, "gathering-done");

  json_builder_set_member_name (b, "ahead");
  json_builder_add_boolean_value (b, floe_call_media_gathered_ahead (media));
  floe_report_emit (c->run->report, b, _("call %u: candidates gathered"), c->index);
  if (floe_call_get_incoming (c->call))
    {
      /* Our answer needs the candidates: only now can it be sent. */
      if (c->run->o->auto_answer_ms >= 0)
        c->answer_id = g_timeout_add ((guint) c->run->o->auto_answer_ms, on_answer_due, c);
      return;
    }
  c->dial_us = g_get_monotonic_time ();
  floe_call_dial (c->call);
}

static void
on_pair_selected (FloeCallMedia *media, gpointer pair_ptr, gpointer data)
{
  Call *c = data;
  char local[ICE_ADDR_STRLEN], remote[ICE_ADDR_STRLEN];
  JsonBuilder *b = call_event (c, "pair-selected");

  c->pair = *(const ice_pair_info *) pair_ptr;
  c->have_pair = TRUE;
  c->pair_us = g_get_monotonic_time ();
  add_string (b, "kind", pair_kind (&c->pair));
  add_string (b, "local_type", ice_cand_type_name (c->pair.local.type));
  add_string (b, "local", ice_addr_to_string (&c->pair.local.addr, local));
  add_string (b, "remote_type", ice_cand_type_name (c->pair.remote.type));
  add_string (b, "remote", ice_addr_to_string (&c->pair.remote.addr, remote));
  add_double (b, "rtt_ms", c->pair.rtt_us / 1000.0);
  json_builder_set_member_name (b, "udp_blocked");
  json_builder_add_boolean_value (b, floe_call_media_udp_blocked (media));
  if (c->answer_us > 0)
    add_int (b, "after_answer_ms", (c->pair_us - c->answer_us) / 1000);
  floe_report_emit (c->run->report, b, _("call %u: %s path %s (%s) <-> %s (%s), RTT %.1f ms"), c->index,
                    pair_kind (&c->pair), local, ice_cand_type_name (c->pair.local.type), remote,
                    ice_cand_type_name (c->pair.remote.type), c->pair.rtt_us / 1000.0);
}

static void
on_consent_lost (FloeCallMedia *media, gpointer data)
{
  Call *c = data;
  JsonBuilder *b = call_event (c, "consent-lost");

  floe_report_emit (c->run->report, b, _("call %u: the peer stopped answering on the selected path"), c->index);
}

static void
on_ice_failed (FloeCallMedia *media, const char *sentence, gpointer data)
{
  Call *c = data;
  JsonBuilder *b = call_event (c, "ice-failed");

  g_free (c->ice_failure);
  c->ice_failure = g_strdup (sentence);
  add_string (b, "reason", sentence);
  floe_report_emit (c->run->report, b, _("call %u: ICE failed: %s"), c->index, sentence);
  floe_call_hangup (c->call);
}

static void
on_first_audio (FloeCallMedia *media, gpointer data)
{
  Call *c = data;
  JsonBuilder *b = call_event (c, "first-audio");

  c->first_audio_us = g_get_monotonic_time ();
  add_string (b, "direction", "received");
  if (c->dial_us > 0)
    add_int (b, "since_dial_ms", since_dial_ms (c, c->first_audio_us));
  floe_report_emit (c->run->report, b, _("call %u: first audio received"), c->index);
}

static gboolean
make_devices (Call *c, GError **error)
{
  const FloeCliOptions *o = c->run->o;
  int err = 0;
  double hz = floe_cli_options_tone_hz (o->play);

  if (hz > 0)
    c->source = media_device_tone_new (hz, 0, -12);
  else if (o->play != NULL && (c->source = media_device_file_source_new (o->play, TRUE, &err)) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not play %s: %s"), o->play, g_strerror (-err));
      return FALSE;
    }
  if (o->record != NULL)
    {
      g_autofree char *path = o->calls > 1 ? g_strdup_printf ("%s.%u.wav", o->record, c->index) : g_strdup (o->record);
      if ((c->recorder = media_device_file_sink_new (path, &err)) == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not record to %s: %s"), path,
                       g_strerror (-err));
          return FALSE;
        }
    }
  /* Finding the tone costs a sweep of filters per frame on the media
   * thread: only for runs that asked to judge the audio. */
  if (o->expect_audio)
    c->analyser = media_analyser_new (c->recorder, 0);
  return TRUE;
}

static Call *
call_attach (Run *run, FloeCall *call, GError **error)
{
  Call *c = g_new0 (Call, 1);
  FloeCallMediaConfig cfg = { 0 };

  c->run = run;
  c->index = ++run->placed;
  c->call = g_object_ref (call);
  c->dtmf_heard = g_string_new (NULL);
  g_ptr_array_add (run->calls, c);
  if (!make_devices (c, error))
    return NULL;
  cfg.ice_servers = run->o->ice_servers;
  cfg.iface_filter = run->o->interfaces;
  cfg.ice_policy = run->o->ice_policy;
  cfg.pool = run->pool;
  cfg.source = c->source;
  cfg.sink = c->analyser != NULL ? c->analyser : c->recorder;
  cfg.opus = &run->o->opus;
  g_signal_connect (call, "notify::state", G_CALLBACK (on_call_state), c);
  g_signal_connect (call, "dtmf-received", G_CALLBACK (on_call_dtmf), c);
  c->media = floe_call_media_new (call, &cfg, error);
  if (c->media == NULL)
    return NULL;
  g_signal_connect (c->media, "candidate", G_CALLBACK (on_candidate), c);
  g_signal_connect (c->media, "ready", G_CALLBACK (on_ready), c);
  g_signal_connect (c->media, "pair-selected", G_CALLBACK (on_pair_selected), c);
  g_signal_connect (c->media, "ice-failed", G_CALLBACK (on_ice_failed), c);
  g_signal_connect (c->media, "consent-lost", G_CALLBACK (on_consent_lost), c);
  g_signal_connect (c->media, "first-audio", G_CALLBACK (on_first_audio), c);
  g_signal_connect (c->media, "dtmf-received", G_CALLBACK (on_media_dtmf), c);
  if (!floe_call_media_start (c->media, error))
    return NULL;
  return c;
}

static void
report_error (Run *run, const char *event, const GError *error, int code)
{
  JsonBuilder *b = floe_report_begin (run->report, event);

  add_string (b, "reason", error->message);
  floe_report_emit (run->report, b, "%s", error->message);
  run_fail (run, code);
}

/* Places one call; FALSE when it could not even start. */
static gboolean
place_call (Run *run, const char *uri)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FloeCall) call = floe_account_new_call (run->account, uri, &error);

  if (call == NULL || call_attach (run, call, &error) == NULL)
    {
      report_error (run, "call-failed", error, FLOE_EXIT_CALL);
      run->ended++;
      if (run->ended >= run->o->calls && !run->o->control)
        run_stop (run);
      return FALSE;
    }
  return TRUE;
}

static gboolean
on_place_due (gpointer data)
{
  Run *run = data;

  if (run->stopping || run->placed >= run->o->calls)
    {
      run->place_id = 0;
      return G_SOURCE_REMOVE;
    }
  place_call (run, run->o->call);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_answer_due (gpointer data)
{
  Call *c = data;

  c->answer_id = 0;
  floe_call_answer (c->call);
  return G_SOURCE_REMOVE;
}

static void
on_incoming (FloeAccount *account, FloeCall *call, gpointer data)
{
  Run *run = data;
  g_autoptr (GError) error = NULL;
  JsonBuilder *b = floe_report_begin (run->report, "incoming-call");
  Call *c;

  add_string (b, "from", floe_call_get_remote_uri (call));
  floe_report_emit (run->report, b, _("incoming call from %s"), floe_call_get_remote_uri (call));
  if (run->stopping || (run->o->auto_answer_ms < 0 && !run->o->control))
    {
      floe_call_reject (call, TRUE);
      return;
    }
  c = call_attach (run, call, &error);
  if (c == NULL)
    {
      report_error (run, "call-failed", error, FLOE_EXIT_CALL);
      floe_call_reject (call, FALSE);
      return;
    }
  floe_call_ring (call);
}

/* ---- the account */

static void
start_actions (Run *run)
{
  if (run->started_calls)
    return;
  run->started_calls = TRUE;
  if (run->o->call != NULL)
    {
      on_place_due (run);
      if (run->o->calls > 1)
        run->place_id = g_timeout_add ((guint) (1000 / run->o->rate), on_place_due, run);
    }
}

static void
on_account_state (FloeAccount *account, GParamSpec *pspec, gpointer data)
{
  Run *run = data;
  FloeAccountState state = floe_account_get_state (account);
  JsonBuilder *b;

  if (state == FLOE_ACCOUNT_REGISTERED || state == FLOE_ACCOUNT_READY)
    {
      b = floe_report_begin (run->report, state == FLOE_ACCOUNT_REGISTERED ? "registered" : "listening");
      add_string (b, "contact", floe_account_get_contact (account));
      floe_report_emit (run->report, b, state == FLOE_ACCOUNT_REGISTERED ? _("registered as %s")
                                                                         : _("listening for calls at %s"),
                        floe_account_get_contact (account));
      start_actions (run);
    }
  else if (state == FLOE_ACCOUNT_FAILED && !run->started_calls && !run->stopping)
    {
      b = floe_report_begin (run->report, "registration-failed");
      add_string (b, "reason", floe_account_get_failure_message (account));
      floe_report_emit (run->report, b, _("registration failed: %s"), floe_account_get_failure_message (account));
      run_fail (run, FLOE_EXIT_REGISTRATION);
      run_stop (run);
    }
  else if (state == FLOE_ACCOUNT_OFFLINE && run->stopping)
    g_main_loop_quit (run->loop);
}

static gboolean
on_stop_grace_over (gpointer data)
{
  g_main_loop_quit (((Run *) data)->loop);
  return G_SOURCE_REMOVE;
}

static void
run_stop (Run *run)
{
  if (run->stopping)
    return;
  run->stopping = TRUE;
  g_clear_handle_id (&run->place_id, g_source_remove);
  for (guint i = 0; i < run->calls->len; i++)
    {
      Call *c = run->calls->pdata[i];
      if (floe_call_get_state (c->call) != FLOE_CALL_ENDED)
        floe_call_hangup (c->call);
    }
  floe_account_stop (run->account);
  if (floe_account_get_state (run->account) == FLOE_ACCOUNT_OFFLINE)
    g_main_loop_quit (run->loop);
  else
    g_timeout_add (STOP_GRACE_MS, on_stop_grace_over, run);
}

static gboolean
on_signal (gpointer data)
{
  Run *run = data;
  JsonBuilder *b = floe_report_begin (run->report, "interrupted");

  floe_report_emit (run->report, b, _("interrupted: hanging up and unregistering"));
  run_stop (run);
  return G_SOURCE_CONTINUE;
}

/* ---- the control channel */

/* The newest call that has not ended, or NULL. */
static Call *
current_call (Run *run)
{
  for (guint i = run->calls->len; i > 0; i--)
    {
      Call *c = run->calls->pdata[i - 1];
      if (floe_call_get_state (c->call) != FLOE_CALL_ENDED)
        return c;
    }
  return NULL;
}

static JsonNode *
reply (const char *command, gboolean ok, const char *error, Call *c)
{
  g_autoptr (JsonBuilder) b = floe_control_reply_begin (command, ok, error);

  if (c != NULL)
    {
      add_int (b, "call", c->index);
      add_string (b, "state", floe_call_state_name (floe_call_get_state (c->call)));
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
on_control (gpointer user, const char *command, const char *arg)
{
  Run *run = user;
  Call *c = current_call (run);

  if (strcmp (command, "quit") == 0)
    {
      run_stop (run);
      return reply (command, TRUE, NULL, NULL);
    }
  if (strcmp (command, "call") == 0)
    {
      if (*arg == '\0')
        return reply (command, FALSE, _("say whom to call: call sip:bob@example.org"), NULL);
      if (run->stopping || !place_call (run, arg))
        return reply (command, FALSE, _("the call could not be placed"), NULL);
      return reply (command, TRUE, NULL, run->calls->pdata[run->calls->len - 1]);
    }
  if (strcmp (command, "stats") == 0)
    {
      g_autoptr (JsonBuilder) b = floe_control_reply_begin (command, TRUE, NULL);
      json_builder_set_member_name (b, "calls");
      json_builder_begin_array (b);
      for (guint i = 0; i < run->calls->len; i++)
        {
          Call *each = run->calls->pdata[i];
          json_builder_begin_object (b);
          add_int (b, "call", each->index);
          add_string (b, "state", floe_call_state_name (floe_call_get_state (each->call)));
          if (each->have_pair)
            add_string (b, "pair", pair_kind (&each->pair));
          add_stats (b, each);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      return json_builder_get_root (b);
    }
  if (strcmp (command, "answer") != 0 && strcmp (command, "hangup") != 0 && strcmp (command, "dtmf") != 0 &&
      strcmp (command, "hold") != 0 && strcmp (command, "resume") != 0)
    return reply (command, FALSE,
                  _("unknown command; use call, answer, hangup, dtmf, hold, resume, stats or quit"), NULL);
  if (c == NULL)
    return reply (command, FALSE, _("there is no call"), NULL);
  if (strcmp (command, "answer") == 0)
    {
      if (!floe_call_get_incoming (c->call) || floe_call_get_state (c->call) != FLOE_CALL_RINGING)
        return reply (command, FALSE, _("no incoming call is ringing"), c);
      g_clear_handle_id (&c->answer_id, g_source_remove);
      floe_call_answer (c->call);
    }
  else if (strcmp (command, "hangup") == 0)
    floe_call_hangup (c->call);
  else if (strcmp (command, "dtmf") == 0)
    {
      if (*arg == '\0' || arg[strspn (arg, "0123456789*#ABCDabcd")] != '\0')
        return reply (command, FALSE, _("dtmf takes the digits 0-9, *, # and A-D"), c);
      for (const char *d = arg; *d; d++)
        if (!floe_call_send_dtmf (c->call, g_ascii_toupper (*d)))
          return reply (command, FALSE, _("the call is not up"), c);
    }
  else
    {
      if (floe_call_get_state (c->call) != FLOE_CALL_ACTIVE)
        return reply (command, FALSE, _("the call is not up"), c);
      floe_call_set_hold (c->call, strcmp (command, "hold") == 0);
    }
  return reply (command, TRUE, NULL, c);
}

static FloeAccount *
make_account (Run *run, GError **error)
{
  const FloeCliOptions *o = run->o;
  g_autofree char *host = NULL;
  guint16 port = 0;
  g_autofree char *aor = NULL;

  if (o->listen != NULL && !floe_host_port_parse (o->listen, &host, &port, error))
    return NULL;
  aor = g_strdup (o->account ? o->account : "sip:floe@localhost");
  return g_object_new (FLOE_TYPE_ACCOUNT, "aor", aor, "password", o->password, "register", o->account != NULL,
                       "registrar", o->account ? o->registrar : "", "outbound-proxy", o->proxy, "transport", o->transport,
                       "ca-file", o->ca_file, "local-address", host, "local-port", (guint) port, "srtp", o->srtp,
                       "codecs", o->codecs, NULL);
}

static void
summarise (Run *run)
{
  JsonBuilder *b = floe_report_begin (run->report, "summary");

  add_int (b, "calls", run->placed);
  add_int (b, "exit", run->exit);
  json_builder_set_member_name (b, "passed");
  json_builder_add_boolean_value (b, run->exit == FLOE_EXIT_OK);
  floe_report_emit (run->report, b, _("done: %u call(s), exit status %d"), run->placed, run->exit);
}

int
floe_headless_run (const FloeCliOptions *o)
{
  g_autoptr (GError) error = NULL;
  Run run = { .o = o, .exit = FLOE_EXIT_OK };
  guint sigint, sigterm;

  run.loop = g_main_loop_new (NULL, FALSE);
  run.report = floe_report_new (o->json ? stdout : NULL);
  run.calls = g_ptr_array_new_with_free_func ((GDestroyNotify) call_free);
  run.account = make_account (&run, &error);
  if (run.account == NULL)
    {
      report_error (&run, "error", error, FLOE_EXIT_USAGE);
      goto out;
    }
  g_signal_connect (run.account, "notify::state", G_CALLBACK (on_account_state), &run);
  g_signal_connect (run.account, "incoming-call", G_CALLBACK (on_incoming), &run);
  if (o->control || o->control_socket != NULL)
    {
      run.control = floe_control_new (on_control, &run, o->control, o->control_socket, &error);
      if (run.control == NULL)
        {
          report_error (&run, "error", error, FLOE_EXIT_USAGE);
          goto out;
        }
    }
  if (o->gather_ahead && !o->register_only)
    run.pool = floe_ice_pool_new (o->ice_servers, o->ice_policy, o->interfaces);
  if (!floe_account_start (run.account, &error))
    {
      report_error (&run, "registration-failed", error, FLOE_EXIT_REGISTRATION);
      goto out;
    }
  sigint = g_unix_signal_add (SIGINT, on_signal, &run);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &run);
  g_main_loop_run (run.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  for (guint i = 0; i < run.calls->len; i++)
    judge (run.calls->pdata[i]);
  if (o->call != NULL && run.placed == 0)
    run_fail (&run, FLOE_EXIT_CALL);
  /* Expectations on calls that never came are not met. */
  if (o->auto_answer_ms >= 0 && run.placed == 0 && (o->expect_audio || o->expect_pair != FLOE_EXPECT_PAIR_ANY))
    {
      floe_report_verdict (run.report, "incoming-call", FALSE, _("no call came in, so nothing could be judged"));
      run_fail (&run, FLOE_EXIT_CALL);
    }

out:
  summarise (&run);
  if (o->junit != NULL && !floe_report_write_junit (run.report, o->junit, &error))
    g_printerr (_("floe: could not write the JUnit report: %s\n"), error->message);
  g_clear_pointer (&run.control, floe_control_free);
  g_ptr_array_unref (run.calls);
  g_clear_object (&run.pool);
  g_clear_object (&run.account);
  floe_report_free (run.report);
  g_main_loop_unref (run.loop);
  return run.exit;
}
