/* FloeCall: one SIP dialog with its offer/answer state. It does not move
 * audio itself: it tells the media layer what was agreed ("media-changed")
 * and takes the local addresses and ICE lines from it. */
#pragma once

#include <gio/gio.h>

#include "floe-sdp.h"

G_BEGIN_DECLS

#define FLOE_TYPE_CALL (floe_call_get_type ())
G_DECLARE_FINAL_TYPE (FloeCall, floe_call, FLOE, CALL, GObject)

typedef enum
{
  FLOE_CALL_IDLE,       /* outgoing, not dialled yet */
  FLOE_CALL_CALLING,    /* INVITE sent */
  FLOE_CALL_RINGING,    /* outgoing: the peer rings; incoming: we ring */
  FLOE_CALL_INCOMING,   /* incoming, not yet ringing */
  FLOE_CALL_ANSWERING,  /* 200 sent, waiting for the ACK */
  FLOE_CALL_ACTIVE,
  FLOE_CALL_ENDING,     /* BYE or CANCEL sent */
  FLOE_CALL_ENDED,      /* see end-reason */
} FloeCallState;

typedef enum
{
  FLOE_CALL_END_NONE,
  FLOE_CALL_END_HANGUP_LOCAL,
  FLOE_CALL_END_HANGUP_REMOTE,
  FLOE_CALL_END_CANCELLED,      /* the caller gave up before an answer */
  FLOE_CALL_END_REJECTED_LOCAL, /* we declined or were busy */
  FLOE_CALL_END_BUSY,
  FLOE_CALL_END_DECLINED,
  FLOE_CALL_END_NOT_FOUND,
  FLOE_CALL_END_NO_ANSWER,
  FLOE_CALL_END_UNREACHABLE,
  FLOE_CALL_END_MEDIA_MISMATCH, /* no codec or SRTP setting in common */
  FLOE_CALL_END_FAILED,
} FloeCallEndReason;

/* Signals:
 *   "media-changed" (const FloeSdpResult *agreed, const FloeSdpMedia *remote):
 *       an offer/answer exchange completed; start or update the media.
 *   "dtmf-received" (guint digit as a character '0'-'9', '*', '#', 'A'-'D'),
 *       from SIP INFO (RFC 4733 events arrive through the media layer).
 *   "send-telephone-event" (guint digit, gint payload_type) -> gboolean:
 *       the media layer returns TRUE when it sends the RFC 4733 event; when
 *       no handler does, the digit goes out as SIP INFO.
 * Properties: "state", "end-reason", "end-message", "remote-uri",
 *   "incoming", "held" (we hold), "remote-held" (the peer holds). */

FloeCallState floe_call_get_state (FloeCall *self);
FloeCallEndReason floe_call_get_end_reason (FloeCall *self);
/* A translated sentence saying why the call ended; NULL while it lasts. */
const char *floe_call_get_end_message (FloeCall *self);
const char *floe_call_get_remote_uri (FloeCall *self);
gboolean floe_call_get_incoming (FloeCall *self);
gboolean floe_call_get_held (FloeCall *self);
gboolean floe_call_get_remote_held (FloeCall *self);

/* Where our media is: the default candidate (c=/m=), the RTCP port (0:
 * port + 1) and the ICE agent's RFC 8839 lines without "a=" (NULL: no ICE).
 * Set before dialling or answering. */
void floe_call_set_local_media (FloeCall *self, const char *addr, guint16 port,
                                guint16 rtcp_port, const char *const *ice_lines);

/* ICE finished on a pair. When it differs from the defaults we offered, the
 * caller (the controlling side) sends the updated offer RFC 8839 asks for,
 * with ice_lines (the selected candidate and a=remote-candidates). */
void floe_call_ice_completed (FloeCall *self, const char *addr, guint16 port,
                              guint16 rtcp_port, const char *const *ice_lines);

void floe_call_dial (FloeCall *self);
void floe_call_ring (FloeCall *self);            /* 180 Ringing */
void floe_call_answer (FloeCall *self);          /* 200 OK with our answer */
void floe_call_reject (FloeCall *self, gboolean busy); /* 486 or 603 */
void floe_call_hangup (FloeCall *self);          /* CANCEL, BYE or reject, as the state asks */
void floe_call_set_hold (FloeCall *self, gboolean hold); /* re-INVITE sendonly / sendrecv */
/* Sends the session as an UPDATE (RFC 3311) instead of a re-INVITE. */
void floe_call_refresh (FloeCall *self);
/* digit: '0'-'9', '*', '#', 'A'-'D'. Returns FALSE for anything else or
 * when no call is up. */
gboolean floe_call_send_dtmf (FloeCall *self, char digit);

const char *floe_call_state_name (FloeCallState state);

G_END_DECLS
