#define G_LOG_DOMAIN "floe-media"

#include "config.h"

#include "floe-call-media.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "floe-ice-transport.h"
#include "floe-sdp.h"
#include "ice/sdp-ice.h"
#include "media/demux.h"
#include "media/srtp.h"

struct _FloeCallMedia
{
  GObject parent_instance;

  FloeCall *call;               /* weak: the call owns us through its data */
  FloeIceTransport *transport;
  media_session *session;
  media_device *source, *sink;
  gboolean controlling;
  gboolean remote_given;        /* the peer's candidates went to the agent */
  gboolean ice;                 /* the peer does ICE */
  gboolean srtp;
  gboolean rtcp_mux;
  gboolean gathered_ahead;
  gboolean started;
  gboolean muted;
  media_codec_id codec;
  media_opus_settings opus;
  gboolean have_pair;
  ice_pair_info pair;
  char *default_addr;
  guint16 default_port;
  gulong media_changed_id, dtmf_id;
};

enum
{
  SIGNAL_READY,
  SIGNAL_CANDIDATE,
  SIGNAL_PAIR_SELECTED,
  SIGNAL_ICE_FAILED,
  SIGNAL_FIRST_AUDIO,
  SIGNAL_DTMF_RECEIVED,
  SIGNAL_CONSENT_LOST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FloeCallMedia, floe_call_media, G_TYPE_OBJECT)

/* ---- the media thread's side */

/* Runs on the media thread: RTCP goes to component 2 unless rtcp-mux. */
static int
send_datagram (void *user, const uint8_t *data, size_t len)
{
  FloeCallMedia *self = user;
  guint component = 1;

  if (!self->rtcp_mux && media_demux_classify (data, len) == MEDIA_DEMUX_RTCP)
    component = 2;
  return floe_ice_transport_send (self->transport, component, data, len);
}

typedef struct
{
  FloeCallMedia *self; /* a reference */
  media_session_event event;
} MediaEvent;

static gboolean
on_media_event_idle (gpointer data)
{
  MediaEvent *m = data;

  if (m->event.kind == MEDIA_SESSION_EVENT_FIRST_AUDIO)
    g_signal_emit (m->self, signals[SIGNAL_FIRST_AUDIO], 0);
  else if (m->event.kind == MEDIA_SESSION_EVENT_DTMF)
    g_signal_emit (m->self, signals[SIGNAL_DTMF_RECEIVED], 0, (guint) m->event.digit);
  g_object_unref (m->self);
  g_free (m);
  return G_SOURCE_REMOVE;
}

/* Media thread: hand the event to the main loop. */
static void
on_media_event (void *user, const media_session_event *ev)
{
  MediaEvent *m = g_new (MediaEvent, 1);

  m->self = g_object_ref (user);
  m->event = *ev;
  g_idle_add (on_media_event_idle, m);
}

static void
on_receive (gpointer user, guint component, const guint8 *data, gsize len)
{
  FloeCallMedia *self = user;

  if (self->session != NULL)
    media_session_receive (self->session, data, len);
}

/* ---- starting the media */

static void
start_session (FloeCallMedia *self)
{
  if (self->session == NULL || self->started)
    return;
  if (media_session_start (self->session) == 0)
    self->started = TRUE;
  else
    g_warning ("the media session did not start");
}

static media_codec_id
codec_id (FloeCodec codec)
{
  switch (codec)
    {
    case FLOE_CODEC_PCMU:
      return MEDIA_CODEC_PCMU;
    case FLOE_CODEC_PCMA:
      return MEDIA_CODEC_PCMA;
    case FLOE_CODEC_OPUS:
    case FLOE_CODEC_NONE:
    default:
      return MEDIA_CODEC_OPUS;
    }
}

static gboolean
create_session (FloeCallMedia *self, const FloeSdpResult *agreed, GError **error)
{
  media_srtp_crypto tx = { 0 }, rx = { 0 };
  media_session_config cfg = { 0 };
  int err = 0;

  cfg.codec = self->codec = codec_id (agreed->codec.codec);
  cfg.payload_type = agreed->codec.pt;
  cfg.dtmf_payload_type = agreed->telephone_event_pt;
  cfg.opus_bitrate = (int) agreed->opus_max_average_bitrate;
  cfg.opus = &self->opus;
  cfg.source = self->source;
  cfg.sink = self->sink;
  cfg.send = send_datagram;
  cfg.send_user = self;
  cfg.on_event = on_media_event;
  cfg.event_user = self;
  if (agreed->crypto != NULL && agreed->local_crypto != NULL)
    {
      if (media_srtp_crypto_parse (agreed->local_crypto, strlen (agreed->local_crypto), &tx) < 0 ||
          media_srtp_crypto_parse (agreed->crypto, strlen (agreed->crypto), &rx) < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The SRTP keys agreed for the call could not be read."));
          return FALSE;
        }
      cfg.srtp_tx = &tx;
      cfg.srtp_rx = &rx;
      self->srtp = TRUE;
    }
  self->session = media_session_new (&cfg, &err);
  if (self->session != NULL)
    media_session_set_mute (self->session, self->muted);
  media_srtp_crypto_clear (&tx);
  media_srtp_crypto_clear (&rx);
  if (self->session == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The audio path could not be set up (%s)."),
                   g_strerror (-err));
      return FALSE;
    }
  return TRUE;
}

static void
on_media_changed (FloeCall *call, gpointer agreed_ptr, gpointer remote_ptr, gpointer data)
{
  FloeCallMedia *self = data;
  const FloeSdpResult *agreed = agreed_ptr;
  const FloeSdpMedia *remote = remote_ptr;
  g_autoptr (GError) error = NULL;

  if (!self->remote_given)
    {
      self->remote_given = TRUE;
      self->rtcp_mux = agreed->rtcp_mux;
      self->ice = agreed->ice && remote->ice != NULL && remote->ice->len > 0;
      if (self->rtcp_mux)
        floe_ice_transport_set_rtcp_mux (self->transport);
      if (self->ice)
        {
          g_autoptr (GPtrArray) lines = g_ptr_array_new ();
          for (guint i = 0; i < remote->ice->len; i++)
            g_ptr_array_add (lines, remote->ice->pdata[i]);
          g_ptr_array_add (lines, NULL);
          if (!floe_ice_transport_set_remote (self->transport, (const char *const *) lines->pdata, &error))
            {
              g_signal_emit (self, signals[SIGNAL_ICE_FAILED], 0, error->message);
              return;
            }
        }
      else if (!floe_ice_transport_set_plain_remote (self->transport, 1, remote->addr, remote->port, &error) ||
               (!self->rtcp_mux &&
                !floe_ice_transport_set_plain_remote (self->transport, 2, remote->rtcp_addr, remote->rtcp_port,
                                                      &error)))
        {
          g_signal_emit (self, signals[SIGNAL_ICE_FAILED], 0, error->message);
          return;
        }
    }
  if (self->session == NULL && !create_session (self, agreed, &error))
    {
      g_warning ("%s", error->message);
      return;
    }
  /* Hold (RFC 3264 8.4): no audio goes out while we may not send. */
  media_session_set_sending (self->session,
                             agreed->direction == FLOE_SDP_SENDRECV || agreed->direction == FLOE_SDP_SENDONLY);
  /* Without ICE there is nothing to wait for; with it, the selected pair
   * starts the media. */
  if (!self->ice || self->have_pair)
    start_session (self);
}

static gboolean
on_send_telephone_event (FloeCall *call, guint digit, gint payload_type, gpointer data)
{
  FloeCallMedia *self = data;
  char digits[2] = { (char) digit, '\0' };

  return self->session != NULL && self->started && media_session_send_dtmf (self->session, digits, 160) >= 0;
}

/* ---- ICE */

static void
on_candidate (FloeIceTransport *t, gpointer cand, gpointer data)
{
  g_signal_emit (data, signals[SIGNAL_CANDIDATE], 0, cand);
}

static void
on_gathering_done (FloeIceTransport *t, gpointer data)
{
  FloeCallMedia *self = data;
  g_auto (GStrv) lines = floe_ice_transport_local_lines (t);
  g_autofree char *rtcp_addr = NULL;
  guint16 rtcp_port = 0;

  if (self->call == NULL)
    return;
  if (!floe_ice_transport_default_candidate (t, 1, &self->default_addr, &self->default_port))
    {
      g_signal_emit (self, signals[SIGNAL_ICE_FAILED], 0, _("No local address could be used for the call."));
      return;
    }
  floe_ice_transport_default_candidate (t, 2, &rtcp_addr, &rtcp_port);
  floe_call_set_local_media (self->call, self->default_addr, self->default_port, rtcp_port,
                             (const char *const *) lines);
  g_signal_emit (self, signals[SIGNAL_READY], 0);
}

/* RFC 8839 §4.2.2: when the pair differs from the default candidate, the
 * controlling agent sends an updated offer carrying the selected pair. */
static void
send_updated_offer (FloeCallMedia *self)
{
  char cand[256], ip[ICE_ADDR_STRLEN];
  g_autofree char *remote = NULL;
  g_auto (GStrv) all = floe_ice_transport_local_lines (self->transport);
  const char *lines[5];

  if (ice_sdp_format_candidate (&self->pair.local, cand, sizeof cand) < 0)
    return;
  remote = g_strdup_printf ("remote-candidates:1 %s %u", ice_addr_ip_string (&self->pair.remote.addr, ip),
                            self->pair.remote.addr.port);
  lines[0] = all[0]; /* ice-ufrag */
  lines[1] = all[1]; /* ice-pwd */
  lines[2] = cand;
  lines[3] = remote;
  lines[4] = NULL;
  floe_call_ice_completed (self->call, ice_addr_ip_string (&self->pair.local.addr, ip),
                           self->pair.local.addr.port, 0, lines);
}

static void
on_pair_selected (FloeIceTransport *t, guint component, gpointer info, gpointer data)
{
  FloeCallMedia *self = data;
  char ip[ICE_ADDR_STRLEN];

  if (component != 1)
    return;
  self->pair = *(const ice_pair_info *) info;
  self->have_pair = TRUE;
  g_signal_emit (self, signals[SIGNAL_PAIR_SELECTED], 0, &self->pair);
  start_session (self);
  if (self->controlling && self->call != NULL &&
      (g_strcmp0 (ice_addr_ip_string (&self->pair.local.addr, ip), self->default_addr) != 0 ||
       self->pair.local.addr.port != self->default_port))
    send_updated_offer (self);
}

static void
on_consent_lost (FloeIceTransport *t, guint component, gpointer data)
{
  g_signal_emit (data, signals[SIGNAL_CONSENT_LOST], 0);
}

static void
on_ice_failed (FloeIceTransport *t, gint reason, const char *sentence, gpointer data)
{
  g_signal_emit (data, signals[SIGNAL_ICE_FAILED], 0, sentence);
}

/* ---- public */

FloeCallMedia *
floe_call_media_new (FloeCall *call, const FloeCallMediaConfig *config, GError **error)
{
  g_autoptr (FloeCallMedia) self = g_object_new (FLOE_TYPE_CALL_MEDIA, NULL);

  self->call = call;
  g_object_add_weak_pointer (G_OBJECT (call), (gpointer *) &self->call);
  self->controlling = !floe_call_get_incoming (call);
  self->source = config->source;
  self->sink = config->sink;
  self->opus = config->opus != NULL ? *config->opus : media_opus_profile_settings (MEDIA_OPUS_PROFILE_QUALITY);
  self->rtcp_mux = TRUE;
  if (config->pool != NULL)
    self->transport = floe_ice_pool_take (config->pool, self->controlling);
  self->gathered_ahead = self->transport != NULL;
  if (self->transport == NULL)
    self->transport = floe_ice_transport_new (self->controlling, 2, config->ice_servers, config->ice_policy,
                                              config->iface_filter, error);
  if (self->transport == NULL)
    return NULL;
  floe_ice_transport_set_receive (self->transport, on_receive, self);
  g_signal_connect_object (self->transport, "candidate-gathered", G_CALLBACK (on_candidate), self, 0);
  g_signal_connect_object (self->transport, "gathering-done", G_CALLBACK (on_gathering_done), self, 0);
  g_signal_connect_object (self->transport, "pair-selected", G_CALLBACK (on_pair_selected), self, 0);
  g_signal_connect_object (self->transport, "failed", G_CALLBACK (on_ice_failed), self, 0);
  g_signal_connect_object (self->transport, "consent-lost", G_CALLBACK (on_consent_lost), self, 0);
  self->media_changed_id = g_signal_connect (call, "media-changed", G_CALLBACK (on_media_changed), self);
  self->dtmf_id = g_signal_connect (call, "send-telephone-event", G_CALLBACK (on_send_telephone_event), self);
  return g_steal_pointer (&self);
}

gboolean
floe_call_media_start (FloeCallMedia *self, GError **error)
{
  if (self->gathered_ahead)
    {
      g_autoptr (GArray) cands = floe_ice_transport_get_candidates (self->transport);

      for (guint i = 0; i < cands->len; i++)
        g_signal_emit (self, signals[SIGNAL_CANDIDATE], 0, &g_array_index (cands, ice_cand, i));
      if (floe_ice_transport_is_gathered (self->transport))
        {
          on_gathering_done (self->transport, self);
          return TRUE;
        }
    }
  return floe_ice_transport_gather (self->transport, error);
}

gboolean
floe_call_media_udp_blocked (FloeCallMedia *self)
{
  return floe_ice_transport_get_stats (self->transport).udp_blocked;
}

gboolean
floe_call_media_gathered_ahead (FloeCallMedia *self)
{
  return self->gathered_ahead;
}

gboolean
floe_call_media_get_pair (FloeCallMedia *self, ice_pair_info *out)
{
  if (self->have_pair)
    *out = self->pair;
  return self->have_pair;
}

gboolean
floe_call_media_get_stats (FloeCallMedia *self, media_session_stats *out)
{
  if (self->session == NULL)
    return FALSE;
  media_session_get_stats (self->session, out);
  return TRUE;
}

gboolean
floe_call_media_uses_ice (FloeCallMedia *self)
{
  return self->ice;
}

void
floe_call_media_stop (FloeCallMedia *self)
{
  g_clear_pointer (&self->session, media_session_free);
  self->started = FALSE;
}

void
floe_call_media_set_mute (FloeCallMedia *self, gboolean muted)
{
  self->muted = muted;
  if (self->session != NULL)
    media_session_set_mute (self->session, muted);
}

gboolean
floe_call_media_get_mute (FloeCallMedia *self)
{
  return self->muted;
}

const char *
floe_call_media_codec_name (FloeCallMedia *self)
{
  return self->session != NULL ? media_codec_name (self->codec) : NULL;
}

gboolean
floe_call_media_uses_srtp (FloeCallMedia *self)
{
  return self->srtp;
}

static void
floe_call_media_dispose (GObject *object)
{
  FloeCallMedia *self = FLOE_CALL_MEDIA (object);

  /* The media thread sends through the transport: stop it first. */
  g_clear_pointer (&self->session, media_session_free);
  if (self->call != NULL)
    {
      g_clear_signal_handler (&self->media_changed_id, self->call);
      g_clear_signal_handler (&self->dtmf_id, self->call);
      g_object_remove_weak_pointer (G_OBJECT (self->call), (gpointer *) &self->call);
      self->call = NULL;
    }
  g_clear_object (&self->transport);
  G_OBJECT_CLASS (floe_call_media_parent_class)->dispose (object);
}

static void
floe_call_media_finalize (GObject *object)
{
  g_free (FLOE_CALL_MEDIA (object)->default_addr);
  G_OBJECT_CLASS (floe_call_media_parent_class)->finalize (object);
}

static void
floe_call_media_class_init (FloeCallMediaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->dispose = floe_call_media_dispose;
  object_class->finalize = floe_call_media_finalize;
  signals[SIGNAL_READY] = g_signal_new ("ready", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CANDIDATE] = g_signal_new ("candidate", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_PAIR_SELECTED] = g_signal_new ("pair-selected", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_ICE_FAILED] = g_signal_new ("ice-failed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_FIRST_AUDIO] = g_signal_new ("first-audio", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 0);
  signals[SIGNAL_CONSENT_LOST] = g_signal_new ("consent-lost", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 0);
  signals[SIGNAL_DTMF_RECEIVED] = g_signal_new ("dtmf-received", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                                NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
floe_call_media_init (FloeCallMedia *self)
{
}
