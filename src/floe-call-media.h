/* FloeCallMedia: what carries one FloeCall's audio — its ICE transport and
 * its media session. It gathers candidates and gives them to the call's
 * offer or answer, starts the checks when the peer's description arrives,
 * and runs the media session over whichever pair ICE selects (or straight to
 * the peer's address when the peer has no ICE). */
#pragma once

#include <gio/gio.h>

#include "floe-call.h"
#include "floe-ice-pool.h"
#include "floe-ice-server.h"
#include "ice/agent.h"
#include "media/device.h"
#include "media/session.h"

G_BEGIN_DECLS

#define FLOE_TYPE_CALL_MEDIA (floe_call_media_get_type ())
G_DECLARE_FINAL_TYPE (FloeCallMedia, floe_call_media, FLOE, CALL_MEDIA, GObject)

typedef struct
{
  GPtrArray *ice_servers;   /* FloeIceServer* */
  FloeIcePolicy ice_policy;
  const char *iface_filter; /* NULL: every interface */
  /* Candidates gathered ahead with the same settings; NULL: gather now. */
  FloeIcePool *pool;
  /* Devices stay the caller's and must outlive the call; NULL: silence/discard. */
  media_device *source;
  media_device *sink;
  /* Opus encoder settings (copied); NULL: MEDIA_OPUS_PROFILE_QUALITY. */
  const media_opus_settings *opus;
} FloeCallMediaConfig;

/* Signals (main thread):
 *   "ready"            candidates gathered and given to the call: dial or answer now
 *   "candidate"        (gpointer const ice_cand *) a local candidate
 *   "pair-selected"    (gpointer const ice_pair_info *) the pair audio takes now
 *   "ice-failed"       (const char *sentence)
 *   "first-audio"      the first frame from the peer was played
 *   "dtmf-received"    (guint digit) an RFC 4733 event from the peer
 *   "consent-lost"     the peer stopped answering on the selected pair (RFC 7675) */

FloeCallMedia *floe_call_media_new (FloeCall *call, const FloeCallMediaConfig *config, GError **error);

/* Starts gathering. Connect to the signals first: with host candidates
 * only, or candidates gathered ahead, "candidate" and "ready" are emitted
 * before this returns. */
gboolean floe_call_media_start (FloeCallMedia *self, GError **error);
/* TRUE when gathering found UDP blocked here: only TCP or TLS reached the
 * TURN server, so no direct path could work. */
gboolean floe_call_media_udp_blocked (FloeCallMedia *self);
/* TRUE when the call took candidates gathered before it (FloeIcePool). */
gboolean floe_call_media_gathered_ahead (FloeCallMedia *self);

/* Stops the media thread now (it is also stopped when the object goes):
 * after this the devices may be freed, whoever still holds a reference. */
void floe_call_media_stop (FloeCallMedia *self);

gboolean floe_call_media_get_pair (FloeCallMedia *self, ice_pair_info *out);
/* FALSE before the media session exists. */
gboolean floe_call_media_get_stats (FloeCallMedia *self, media_session_stats *out);
/* FALSE when the peer does not do ICE (plain RTP to its address). */
gboolean floe_call_media_uses_ice (FloeCallMedia *self);
gboolean floe_call_media_uses_srtp (FloeCallMedia *self);
/* Muted: the peer hears silence; the call and its path are unchanged. */
void floe_call_media_set_mute (FloeCallMedia *self, gboolean muted);
gboolean floe_call_media_get_mute (FloeCallMedia *self);

/* "opus", "PCMU"...: the codec agreed, or NULL before the media exists. */
const char *floe_call_media_codec_name (FloeCallMedia *self);

G_END_DECLS
