/* FloeCall: one INVITE dialog, its offer/answer exchanges and its end. */
#include "config.h"

#define G_LOG_DOMAIN "floe-sip"

#include "floe-sip-private.h"

#include <glib/gi18n-lib.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <string.h>

struct _FloeCall
{
  GObject parent_instance;

  FloeAccount *account;     /* strong: the nua stack must outlive our handle */
  nua_handle_t *nh;

  FloeCallState state;
  FloeCallEndReason end_reason;
  FloeCallEndReason pending_end;  /* what ended it, once nua says it has */
  char *end_message;
  char *remote_uri;
  gboolean incoming;
  gboolean held;
  gboolean hold_wanted;
  gboolean remote_held;

  /* our side of the session */
  FloeSrtpPolicy srtp;
  char *addr;
  guint16 port;
  guint16 rtcp_port;
  char **ice;
  char **offer_keys;        /* our a=crypto lines, one per suite we offer */
  char *answer_key;         /* our a=crypto line when answering */
  guint64 session_id;
  guint64 session_version;
  gboolean plain_offer;     /* after a 488: no ICE, SRTP only if required */
  gboolean plain_retry_done;

  /* offer/answer state */
  gboolean awaiting_answer; /* our offer is out; its answer comes in a response or the ACK */
  FloeSdpDirection offered_direction;
  FloeSdpMedia *pending_offer;  /* the peer's initial offer, until we answer */
  FloeSdpMedia *remote;
  FloeSdpResult result;
  guint auth_attempts;
  guint bye_overdue_id;     /* ends the call if our BYE is never answered */
};

enum
{
  PROP_0,
  PROP_STATE,
  PROP_END_REASON,
  PROP_END_MESSAGE,
  PROP_REMOTE_URI,
  PROP_INCOMING,
  PROP_HELD,
  PROP_REMOTE_HELD,
  N_PROPS
};

enum
{
  SIGNAL_MEDIA_CHANGED,
  SIGNAL_DTMF_RECEIVED,
  SIGNAL_SEND_TELEPHONE_EVENT,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

/* How long a hung-up call waits for the answer to its BYE. */
#define BYE_GRACE_S 4

G_DEFINE_FINAL_TYPE (FloeCall, floe_call, G_TYPE_OBJECT)

const char *
floe_call_state_name (FloeCallState state)
{
  switch (state)
    {
    case FLOE_CALL_IDLE: return "idle";
    case FLOE_CALL_CALLING: return "calling";
    case FLOE_CALL_RINGING: return "ringing";
    case FLOE_CALL_INCOMING: return "incoming";
    case FLOE_CALL_ANSWERING: return "answering";
    case FLOE_CALL_ACTIVE: return "active";
    case FLOE_CALL_ENDING: return "ending";
    case FLOE_CALL_ENDED: return "ended";
    default: return "?";
    }
}

static void
set_state (FloeCall *self, FloeCallState state)
{
  if (self->state == state || self->state == FLOE_CALL_ENDED)
    return;
  g_debug ("call %s: %s -> %s", self->remote_uri, floe_call_state_name (self->state),
           floe_call_state_name (state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

static char *
end_message (FloeCallEndReason reason, int status, const char *phrase)
{
  switch (reason)
    {
    case FLOE_CALL_END_HANGUP_LOCAL: return g_strdup (_("You ended the call."));
    case FLOE_CALL_END_HANGUP_REMOTE: return g_strdup (_("The other side hung up."));
    case FLOE_CALL_END_CANCELLED: return g_strdup (_("The caller hung up before the call was answered."));
    case FLOE_CALL_END_REJECTED_LOCAL: return g_strdup (_("You declined the call."));
    case FLOE_CALL_END_BUSY: return g_strdup (_("The person you called is busy. Try again later."));
    case FLOE_CALL_END_DECLINED: return g_strdup (_("The person you called declined the call."));
    case FLOE_CALL_END_NOT_FOUND: return g_strdup (_("Nobody can be reached at that address. Check the number or address."));
    case FLOE_CALL_END_NO_ANSWER: return g_strdup (_("Nobody answered."));
    case FLOE_CALL_END_UNREACHABLE:
      return g_strdup (_("The other side could not be reached. Check the address and your network connection."));
    case FLOE_CALL_END_MEDIA_MISMATCH:
      return g_strdup (_("The call could not start: the two phones have no audio format or encryption setting in common. Check the encryption setting of the account."));
    case FLOE_CALL_END_FAILED:
    case FLOE_CALL_END_NONE:
    default:
      /* TRANSLATORS: %d and %s are a SIP status code and its words. */
      return g_strdup_printf (_("The call failed (%d %s)."), status, phrase ? phrase : "");
    }
}

static FloeCallEndReason
reason_from_status (int status, const sip_t *sip)
{
  switch (status)
    {
    case 486: case 600: return FLOE_CALL_END_BUSY;
    case 603: return FLOE_CALL_END_DECLINED;
    case 404: case 410: case 484: case 604: return FLOE_CALL_END_NOT_FOUND;
    case 408: case 480: return FLOE_CALL_END_NO_ANSWER;
    case 415: case 488: case 606: return FLOE_CALL_END_MEDIA_MISMATCH;
    case 502: case 503: case 504: return FLOE_CALL_END_UNREACHABLE;
    default:
      /* Failures Sofia made up (no route, no transport) leave the rport
       * we asked for empty; an answering server fills it in. */
      if (status >= 300 && (!sip || !sip->sip_via || (sip->sip_via->v_rport && !sip->sip_via->v_rport[0])))
        return FLOE_CALL_END_UNREACHABLE;
      return FLOE_CALL_END_FAILED;
    }
}

static void
end_call (FloeCall *self, FloeCallEndReason reason, int status, const char *phrase)
{
  if (self->state == FLOE_CALL_ENDED)
    return;
  g_object_ref (self);
  g_clear_handle_id (&self->bye_overdue_id, g_source_remove);
  self->end_reason = reason;
  self->end_message = end_message (reason, status, phrase);
  g_clear_pointer (&self->nh, nua_handle_destroy);
  g_debug ("call %s ended: %s", self->remote_uri, self->end_message);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_END_REASON]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_END_MESSAGE]);
  set_state (self, FLOE_CALL_ENDED);
  floe_account_call_ended (self->account, self);
  g_object_unref (self);
}

/* ------------------------------------------------------------ SDP */

static void
make_local (FloeCall *self, FloeSdpLocal *l, FloeSdpDirection direction)
{
  memset (l, 0, sizeof *l);
  l->addr = self->addr ? self->addr : floe_account_get_local_address (self->account);
  l->port = self->port;
  l->rtcp_port = self->rtcp_port;
  l->session_id = self->session_id;
  l->session_version = self->session_version;
  l->direction = direction;
  l->srtp = self->srtp;
  l->codecs = floe_account_get_codecs (self->account);
  l->crypto = (const char *const *) self->offer_keys;
  l->ice = self->plain_offer ? NULL : (const char *const *) self->ice;
  if (self->plain_offer && self->srtp == FLOE_SRTP_OPTIONAL)
    l->srtp = FLOE_SRTP_OFF;
}

static FloeSdpDirection
wanted_direction (FloeCall *self)
{
  return self->hold_wanted ? FLOE_SDP_SENDONLY : FLOE_SDP_SENDRECV;
}

static void
media_changed (FloeCall *self, const FloeSdpMedia *remote)
{
  gboolean remote_held = remote->direction == FLOE_SDP_SENDONLY || remote->direction == FLOE_SDP_INACTIVE;

  if (remote_held != self->remote_held)
    {
      self->remote_held = remote_held;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_REMOTE_HELD]);
    }
  g_signal_emit (self, signals[SIGNAL_MEDIA_CHANGED], 0, &self->result, remote);
}

static char *
build_offer (FloeCall *self)
{
  FloeSdpLocal l;

  self->session_version++;
  self->offered_direction = wanted_direction (self);
  make_local (self, &l, self->offered_direction);
  self->awaiting_answer = TRUE;
  return floe_sdp_build_offer (&l);
}

/* Our a=crypto line for the suite and tag the peer chose. */
static const char *
answer_key_for (FloeCall *self, const char *theirs)
{
  g_auto (GStrv) tok = g_strsplit (theirs, " ", 3);

  if (!tok[0] || !tok[1])
    return NULL;
  if (self->answer_key)
    {
      g_auto (GStrv) mine = g_strsplit (self->answer_key, " ", 3);
      if (mine[0] && mine[1] && g_str_equal (mine[0], tok[0]) && g_str_equal (mine[1], tok[1]))
        return self->answer_key;
    }
  g_free (self->answer_key);
  self->answer_key = floe_sdp_crypto_new ((guint) g_ascii_strtoull (tok[0], NULL, 10), tok[1]);
  return self->answer_key;
}

/* Builds our answer to the peer's offer. On failure returns NULL and sets
 * *status to the response to send. */
static char *
answer_offer (FloeCall *self, const FloeSdpMedia *offer, FloeSdpResult *result, int *status)
{
  FloeSdpLocal l;
  const char *keys[2] = { NULL, NULL };
  const char *theirs = self->srtp != FLOE_SRTP_OFF ? floe_sdp_pick_crypto (offer) : NULL;
  g_autoptr (GError) error = NULL;
  char *answer;

  make_local (self, &l, wanted_direction (self));
  l.srtp = self->srtp;
  l.ice = (const char *const *) self->ice;
  if (theirs)
    {
      keys[0] = answer_key_for (self, theirs);
      l.crypto = keys;
    }
  answer = floe_sdp_build_answer (&l, offer, result, &error);
  if (!answer)
    {
      g_message ("call %s: cannot answer the offer: %s", self->remote_uri, error->message);
      *status = 488;
    }
  return answer;
}

static FloeSdpMedia *
parse_body (FloeCall *self, const sip_t *sip, gboolean *present)
{
  g_autoptr (GError) error = NULL;
  FloeSdpMedia *m;

  *present = sip && sip->sip_payload && sip->sip_payload->pl_len > 0;
  if (!*present)
    return NULL;
  if (sip->sip_content_type && sip->sip_content_type->c_type
      && g_ascii_strcasecmp (sip->sip_content_type->c_type, "application/sdp") != 0)
    return NULL;
  m = floe_sdp_media_parse (sip->sip_payload->pl_data, sip->sip_payload->pl_len, &error);
  if (!m)
    g_message ("call %s: %s", self->remote_uri, error->message);
  return m;
}

/* The peer's answer to our offer (in a 2xx or an ACK). */
static gboolean
take_answer (FloeCall *self, const sip_t *sip)
{
  gboolean present;
  g_autoptr (FloeSdpMedia) answer = parse_body (self, sip, &present);
  g_autoptr (GError) error = NULL;
  FloeSdpLocal l;
  FloeSdpResult result;

  if (!self->awaiting_answer)
    return TRUE;
  self->awaiting_answer = FALSE;
  if (!answer)
    {
      g_message ("call %s: %s", self->remote_uri, present ? "unreadable answer" : "our offer got no answer");
      self->hold_wanted = self->held;
      return FALSE;
    }
  make_local (self, &l, self->offered_direction);
  if (!floe_sdp_accept_answer (&l, answer, &result, &error))
    {
      g_message ("call %s: unusable answer: %s", self->remote_uri, error->message);
      return FALSE;
    }
  floe_sdp_result_clear (&self->result);
  self->result = result;
  if (self->held != self->hold_wanted)
    {
      self->held = self->hold_wanted;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_HELD]);
    }
  g_clear_pointer (&self->remote, floe_sdp_media_free);
  self->remote = g_steal_pointer (&answer);
  media_changed (self, self->remote);
  return TRUE;
}

/* ------------------------------------------------------------ requests */

static void
send_invite (FloeCall *self, gboolean update)
{
  g_autofree char *sdp = build_offer (self);

  if (update)
    nua_update (self->nh, SIPTAG_CONTENT_TYPE_STR ("application/sdp"), SIPTAG_PAYLOAD_STR (sdp), TAG_END ());
  else
    nua_invite (self->nh, SIPTAG_CONTENT_TYPE_STR ("application/sdp"), SIPTAG_PAYLOAD_STR (sdp), TAG_END ());
}

void
floe_call_dial (FloeCall *self)
{
  nua_t *nua;

  g_return_if_fail (FLOE_IS_CALL (self));
  g_return_if_fail (self->state == FLOE_CALL_IDLE);
  nua = floe_account_get_nua (self->account);
  if (!nua)
    {
      end_call (self, FLOE_CALL_END_UNREACHABLE, 503, NULL);
      return;
    }
  self->nh = nua_handle (nua, G_OBJECT (self), SIPTAG_TO_STR (self->remote_uri), TAG_END ());
  set_state (self, FLOE_CALL_CALLING);
  send_invite (self, FALSE);
}

/* The first INVITE was refused for what its offer carried (488): try once
 * more with plain SDP, no ICE and SRTP only if required, on a fresh handle
 * (the refused one has ended its dialog). A 421 needs no retry: we always
 * send Supported: ice (RFC 5768) and offer ICE when we have it, so it asks
 * for something else we lack, and the call ends saying so. */
static gboolean
retry_offer (FloeCall *self, int status)
{
  if (self->plain_retry_done || self->state == FLOE_CALL_ENDING || status != 488 || self->plain_offer
      || !(self->ice || self->srtp == FLOE_SRTP_OPTIONAL))
    return FALSE;
  self->plain_retry_done = TRUE;
  self->plain_offer = TRUE;
  g_message ("call %s: 488 to our offer, offering again without ICE%s", self->remote_uri,
             self->srtp == FLOE_SRTP_OPTIONAL ? " and SRTP" : "");
  g_clear_pointer (&self->nh, nua_handle_destroy);
  self->nh = nua_handle (floe_account_get_nua (self->account), G_OBJECT (self),
                         SIPTAG_TO_STR (self->remote_uri), TAG_END ());
  send_invite (self, FALSE);
  return TRUE;
}

static void
on_invite_response (FloeCall *self, int status, const char *phrase, const sip_t *sip)
{
  gboolean initial = self->state == FLOE_CALL_CALLING || self->state == FLOE_CALL_RINGING
                     || self->state == FLOE_CALL_ENDING;

  if ((status == 401 || status == 407)
      && floe_account_authenticate (self->account, self->nh, sip, &self->auth_attempts))
    return;
  if (status >= 180 && status < 200 && self->state == FLOE_CALL_CALLING)
    set_state (self, FLOE_CALL_RINGING);
  if (status < 200)
    return;
  if (status < 300)
    {
      self->auth_attempts = 0;
      /* A re-INVITE without a usable answer leaves the session as it was. */
      if (!take_answer (self, sip) && self->state != FLOE_CALL_ACTIVE)
        {
          /* The dialog exists; end it cleanly. */
          self->pending_end = FLOE_CALL_END_MEDIA_MISMATCH;
          set_state (self, FLOE_CALL_ENDING);
          nua_bye (self->nh, TAG_END ());
        }
      return;
    }

  self->awaiting_answer = FALSE;
  self->hold_wanted = self->held;
  if (initial)
    {
      if (retry_offer (self, status))
        return;
      end_call (self, self->pending_end ? self->pending_end : reason_from_status (status, sip), status, phrase);
      return;
    }
  /* A refused re-INVITE leaves the call as it was, except where RFC 5057
   * says the dialog is gone. */
  g_message ("call %s: re-INVITE refused: %d %s", self->remote_uri, status, phrase);
  if (status == 481 || status == 408)
    end_call (self, FLOE_CALL_END_UNREACHABLE, status, phrase);
}

/* The peer's initial INVITE: check its offer before anything rings. */
static void
read_initial_offer (FloeCall *self, const sip_t *sip)
{
  gboolean present;
  g_autoptr (FloeSdpMedia) offer = parse_body (self, sip, &present);
  FloeSdpResult probe;
  int status = 0;
  g_autofree char *answer = NULL;

  if (present && !offer)
    {
      nua_respond (self->nh, 400, "Bad Session Description", TAG_END ());
      end_call (self, FLOE_CALL_END_MEDIA_MISMATCH, 400, "Bad Session Description");
      return;
    }
  if (!offer)
    return; /* no offer: we make one in the 200 */
  /* A trial answer tells now whether we could take the call. */
  answer = answer_offer (self, offer, &probe, &status);
  floe_sdp_result_clear (&probe);
  if (!answer)
    {
      nua_respond (self->nh, status, sip_status_phrase (status),
                   SIPTAG_WARNING_STR ("304 floe \"Media type not available\""), TAG_END ());
      end_call (self, FLOE_CALL_END_MEDIA_MISMATCH, status, sip_status_phrase (status));
      return;
    }
  self->pending_offer = g_steal_pointer (&offer);
}

/* A new offer inside the dialog, by re-INVITE or by UPDATE (RFC 3311). */
static void
on_dialog_offer (FloeCall *self, const sip_t *sip, gboolean update)
{
  gboolean present;
  g_autoptr (FloeSdpMedia) offer = parse_body (self, sip, &present);
  g_autofree char *answer = NULL;
  FloeSdpResult result;
  int status = 488;
  /* nua tracks the INVITE itself; an UPDATE we took over (NUTAG_APPL_METHOD)
   * is answered as "the request in this callback". */
  nua_t *nua = floe_account_get_nua (self->account);

  if (present && !offer)
    {
      nua_respond (self->nh, 400, "Bad Session Description", TAG_IF (update, NUTAG_WITH_THIS (nua)), TAG_END ());
      return;
    }
  if (!offer)
    {
      if (update)
        {
          /* An UPDATE without a body only refreshes the session. */
          nua_respond (self->nh, SIP_200_OK, TAG_IF (update, NUTAG_WITH_THIS (nua)), TAG_END ());
          return;
        }
      /* Offerless re-INVITE: our offer goes in the 200, the answer in the ACK. */
      g_autofree char *sdp = build_offer (self);
      nua_respond (self->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
                   SIPTAG_PAYLOAD_STR (sdp), TAG_IF (update, NUTAG_WITH_THIS (nua)), TAG_END ());
      return;
    }
  answer = answer_offer (self, offer, &result, &status);
  if (!answer)
    {
      nua_respond (self->nh, status, sip_status_phrase (status), TAG_IF (update, NUTAG_WITH_THIS (nua)), TAG_END ());
      return;
    }
  self->session_version++;
  nua_respond (self->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (answer), TAG_IF (update, NUTAG_WITH_THIS (nua)), TAG_END ());
  floe_sdp_result_clear (&self->result);
  self->result = result;
  g_clear_pointer (&self->remote, floe_sdp_media_free);
  self->remote = g_steal_pointer (&offer);
  media_changed (self, self->remote);
}

static void
on_info (FloeCall *self, const sip_t *sip)
{
  const char *type = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
  g_autofree char *body = NULL;
  char digit = 0;

  if (!type || !sip->sip_payload)
    return;
  body = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  if (g_ascii_strcasecmp (type, "application/dtmf-relay") == 0)
    {
      /* "Signal=5\r\nDuration=160\r\n" */
      g_auto (GStrv) lines = g_strsplit_set (body, "\r\n", -1);
      for (guint i = 0; lines[i]; i++)
        {
          char *l = g_strstrip (lines[i]);
          if (g_ascii_strncasecmp (l, "Signal", 6) == 0)
            {
              const char *eq = strchr (l, '=');
              if (eq)
                {
                  while (*++eq == ' ')
                    ;
                  digit = *eq;
                }
            }
        }
    }
  else if (g_ascii_strcasecmp (type, "application/dtmf") == 0)
    digit = g_strstrip (body)[0];
  digit = g_ascii_toupper (digit);
  if (digit && strchr ("0123456789*#ABCD", digit))
    g_signal_emit (self, signals[SIGNAL_DTMF_RECEIVED], 0, (guint) digit);
}

static void
on_call_state (FloeCall *self, int status, const char *phrase, const sip_t *sip, tagi_t tags[])
{
  int cs = nua_callstate_init;

  tl_gets (tags, NUTAG_CALLSTATE_REF (cs), TAG_END ());
  /* A re-INVITE walks nua through calling/completed again; for a person
   * the call stays active until it ends. */
  if (self->state == FLOE_CALL_ACTIVE && cs != nua_callstate_terminating && cs != nua_callstate_terminated)
    return;
  switch (cs)
    {
    case nua_callstate_calling:
      set_state (self, FLOE_CALL_CALLING);
      break;
    case nua_callstate_proceeding:
      if (status >= 180)
        set_state (self, FLOE_CALL_RINGING);
      break;
    case nua_callstate_early:
      set_state (self, FLOE_CALL_RINGING);
      break;
    case nua_callstate_completed:
      set_state (self, FLOE_CALL_ANSWERING);
      break;
    case nua_callstate_ready:
      if (self->state != FLOE_CALL_ENDING)
        set_state (self, FLOE_CALL_ACTIVE);
      break;
    case nua_callstate_terminating:
      set_state (self, FLOE_CALL_ENDING);
      break;
    case nua_callstate_terminated:
      end_call (self, self->pending_end ? self->pending_end : reason_from_status (status, sip),
                status, phrase);
      break;
    default:
      break;
    }
}

void
floe_call_handle_event (FloeCall *self, nua_event_t event, int status, const char *phrase,
                        const sip_t *sip, tagi_t tags[])
{
  g_autoptr (FloeCall) keep = g_object_ref (self);

  if (self->state == FLOE_CALL_ENDED)
    return;
  switch (event)
    {
    case nua_r_invite:
      on_invite_response (self, status, phrase, sip);
      break;
    case nua_i_invite:
      on_dialog_offer (self, sip, FALSE);
      break;
    case nua_i_update:
      on_dialog_offer (self, sip, TRUE);
      break;
    case nua_i_ack:
      if (!take_answer (self, sip))
        {
          self->pending_end = FLOE_CALL_END_MEDIA_MISMATCH;
          nua_bye (self->nh, TAG_END ());
        }
      break;
    case nua_r_update:
      if (status >= 200 && status < 300)
        take_answer (self, sip);
      else if (status >= 300)
        {
          self->awaiting_answer = FALSE;
          self->hold_wanted = self->held;
        }
      break;
    case nua_i_state:
      on_call_state (self, status, phrase, sip, tags);
      break;
    case nua_i_bye:
      self->pending_end = FLOE_CALL_END_HANGUP_REMOTE;
      break;
    case nua_i_cancel:
      self->pending_end = FLOE_CALL_END_CANCELLED;
      break;
    case nua_i_info:
      on_info (self, sip);
      break;
    case nua_r_bye:
    case nua_r_cancel:
    case nua_r_info:
    case nua_i_prack:
    case nua_i_active:
    case nua_i_terminated:
    default:
      g_debug ("call %s: %s %d %s", self->remote_uri, nua_event_name (event), status, phrase ? phrase : "");
      break;
    }
}

/* ------------------------------------------------------------ API */

void
floe_call_ring (FloeCall *self)
{
  g_return_if_fail (FLOE_IS_CALL (self));
  if (self->state != FLOE_CALL_INCOMING || !self->nh)
    return;
  nua_respond (self->nh, SIP_180_RINGING, TAG_END ());
}

void
floe_call_answer (FloeCall *self)
{
  g_autofree char *sdp = NULL;

  g_return_if_fail (FLOE_IS_CALL (self));
  if ((self->state != FLOE_CALL_INCOMING && self->state != FLOE_CALL_RINGING) || !self->incoming || !self->nh)
    return;
  if (self->pending_offer)
    {
      FloeSdpResult result;
      int status = 488;
      sdp = answer_offer (self, self->pending_offer, &result, &status);
      if (!sdp)
        {
          nua_respond (self->nh, status, sip_status_phrase (status), TAG_END ());
          end_call (self, FLOE_CALL_END_MEDIA_MISMATCH, status, sip_status_phrase (status));
          return;
        }
      self->session_version++;
      floe_sdp_result_clear (&self->result);
      self->result = result;
      g_clear_pointer (&self->remote, floe_sdp_media_free);
      self->remote = g_steal_pointer (&self->pending_offer);
    }
  else
    sdp = build_offer (self);
  nua_respond (self->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (sdp), TAG_END ());
  if (self->remote)
    media_changed (self, self->remote);
}

void
floe_call_reject (FloeCall *self, gboolean busy)
{
  g_return_if_fail (FLOE_IS_CALL (self));
  if ((self->state != FLOE_CALL_INCOMING && self->state != FLOE_CALL_RINGING) || !self->incoming || !self->nh)
    return;
  self->pending_end = FLOE_CALL_END_REJECTED_LOCAL;
  if (busy)
    nua_respond (self->nh, SIP_486_BUSY_HERE, TAG_END ());
  else
    nua_respond (self->nh, SIP_603_DECLINE, TAG_END ());
}

static gboolean on_bye_overdue (gpointer data);

void
floe_call_hangup (FloeCall *self)
{
  g_return_if_fail (FLOE_IS_CALL (self));
  switch (self->state)
    {
    case FLOE_CALL_IDLE:
      end_call (self, FLOE_CALL_END_HANGUP_LOCAL, 0, NULL);
      break;
    case FLOE_CALL_CALLING:
    case FLOE_CALL_RINGING:
      if (self->incoming)
        {
          floe_call_reject (self, FALSE);
          break;
        }
      self->pending_end = FLOE_CALL_END_HANGUP_LOCAL;
      set_state (self, FLOE_CALL_ENDING);
      nua_cancel (self->nh, TAG_END ());
      break;
    case FLOE_CALL_INCOMING:
      floe_call_reject (self, FALSE);
      break;
    case FLOE_CALL_ANSWERING:
    case FLOE_CALL_ACTIVE:
      self->pending_end = FLOE_CALL_END_HANGUP_LOCAL;
      set_state (self, FLOE_CALL_ENDING);
      nua_bye (self->nh, TAG_END ());
      self->bye_overdue_id = g_timeout_add_seconds (BYE_GRACE_S, on_bye_overdue, self);
      break;
    case FLOE_CALL_ENDING:
    case FLOE_CALL_ENDED:
    default:
      break;
    }
}

/* A person who hung up has hung up: when the BYE's answer is lost (or the
 * peer is gone), the call ends here after a few seconds rather than after
 * the transaction's 32 s; the stack finishes the transaction on its own. */
static gboolean
on_bye_overdue (gpointer data)
{
  FloeCall *self = data;

  self->bye_overdue_id = 0;
  if (self->state == FLOE_CALL_ENDING)
    end_call (self, FLOE_CALL_END_HANGUP_LOCAL, 0, NULL);
  return G_SOURCE_REMOVE;
}

void
floe_call_set_hold (FloeCall *self, gboolean hold)
{
  g_return_if_fail (FLOE_IS_CALL (self));
  if (self->state != FLOE_CALL_ACTIVE || self->awaiting_answer || hold == self->hold_wanted)
    return;
  self->hold_wanted = hold;
  send_invite (self, FALSE);
}

void
floe_call_refresh (FloeCall *self)
{
  g_return_if_fail (FLOE_IS_CALL (self));
  if (self->state != FLOE_CALL_ACTIVE || self->awaiting_answer)
    return;
  send_invite (self, TRUE);
}

gboolean
floe_call_send_dtmf (FloeCall *self, char digit)
{
  gboolean handled = FALSE;
  g_autofree char *body = NULL;

  g_return_val_if_fail (FLOE_IS_CALL (self), FALSE);
  digit = g_ascii_toupper (digit);
  if (!digit || !strchr ("0123456789*#ABCD", digit) || self->state != FLOE_CALL_ACTIVE)
    return FALSE;
  if (self->result.telephone_event_pt >= 0)
    g_signal_emit (self, signals[SIGNAL_SEND_TELEPHONE_EVENT], 0, (guint) digit,
                   self->result.telephone_event_pt, &handled);
  if (handled)
    return TRUE;
  /* No RFC 4733 path: SIP INFO, in the common dtmf-relay form. */
  body = g_strdup_printf ("Signal=%c\r\nDuration=160\r\n", digit);
  nua_info (self->nh, SIPTAG_CONTENT_TYPE_STR ("application/dtmf-relay"), SIPTAG_PAYLOAD_STR (body), TAG_END ());
  return TRUE;
}

void
floe_call_set_local_media (FloeCall *self, const char *addr, guint16 port, guint16 rtcp_port,
                           const char *const *ice_lines)
{
  g_return_if_fail (FLOE_IS_CALL (self));
  g_free (self->addr);
  self->addr = g_strdup (addr);
  self->port = port;
  self->rtcp_port = rtcp_port;
  g_strfreev (self->ice);
  self->ice = ice_lines && ice_lines[0] ? g_strdupv ((char **) ice_lines) : NULL;
}

void
floe_call_ice_completed (FloeCall *self, const char *addr, guint16 port, guint16 rtcp_port,
                         const char *const *ice_lines)
{
  gboolean differs;

  g_return_if_fail (FLOE_IS_CALL (self));
  differs = g_strcmp0 (addr, self->addr) != 0 || port != self->port
            || (rtcp_port && rtcp_port != self->rtcp_port);
  floe_call_set_local_media (self, addr, port, rtcp_port, ice_lines);
  /* RFC 8839 4.4.1.2: the controlling agent (the caller here) sends an
   * updated offer when the pair ICE chose is not the default it offered. */
  if (differs && !self->incoming && self->state == FLOE_CALL_ACTIVE && !self->awaiting_answer
      && self->result.ice)
    send_invite (self, FALSE);
}

/* ------------------------------------------------------------ internal */

static void
init_session (FloeCall *self, FloeAccount *account)
{
  self->account = g_object_ref (account);
  self->srtp = floe_account_get_srtp (account);
  self->session_id = g_random_int ();
  self->session_version = 0;
  if (self->srtp != FLOE_SRTP_OFF)
    {
      self->offer_keys = g_new0 (char *, 3);
      self->offer_keys[0] = floe_sdp_crypto_new (1, "AES_CM_128_HMAC_SHA1_80");
      self->offer_keys[1] = floe_sdp_crypto_new (2, "AES_CM_128_HMAC_SHA1_32");
    }
}

FloeCall *
floe_call_new_outgoing (FloeAccount *account, const char *uri)
{
  FloeCall *self = g_object_new (FLOE_TYPE_CALL, NULL);

  init_session (self, account);
  self->remote_uri = g_strdup (uri);
  return self;
}

FloeCall *
floe_call_new_incoming (FloeAccount *account, nua_handle_t *nh, const sip_t *sip)
{
  FloeCall *self = g_object_new (FLOE_TYPE_CALL, NULL);
  su_home_t home[1] = { SU_HOME_INIT (home) };

  init_session (self, account);
  self->incoming = TRUE;
  self->state = FLOE_CALL_INCOMING;
  self->nh = nh;
  nua_handle_bind (nh, G_OBJECT (self));
  if (sip && sip->sip_from)
    {
      char *s = url_as_string (home, sip->sip_from->a_url);
      self->remote_uri = g_strdup (s);
    }
  su_home_deinit (home);
  read_initial_offer (self, sip);
  return self;
}

void
floe_call_detach (FloeCall *self)
{
  end_call (self, self->pending_end ? self->pending_end : FLOE_CALL_END_HANGUP_LOCAL, 0, NULL);
}

FloeCallState
floe_call_get_state (FloeCall *self)
{
  g_return_val_if_fail (FLOE_IS_CALL (self), FLOE_CALL_ENDED);
  return self->state;
}

FloeCallEndReason
floe_call_get_end_reason (FloeCall *self)
{
  g_return_val_if_fail (FLOE_IS_CALL (self), FLOE_CALL_END_NONE);
  return self->end_reason;
}

const char *
floe_call_get_end_message (FloeCall *self)
{
  g_return_val_if_fail (FLOE_IS_CALL (self), NULL);
  return self->end_message;
}

const char *
floe_call_get_remote_uri (FloeCall *self)
{
  g_return_val_if_fail (FLOE_IS_CALL (self), NULL);
  return self->remote_uri;
}

gboolean
floe_call_get_incoming (FloeCall *self)
{
  g_return_val_if_fail (FLOE_IS_CALL (self), FALSE);
  return self->incoming;
}

gboolean
floe_call_get_held (FloeCall *self)
{
  g_return_val_if_fail (FLOE_IS_CALL (self), FALSE);
  return self->held;
}

gboolean
floe_call_get_remote_held (FloeCall *self)
{
  g_return_val_if_fail (FLOE_IS_CALL (self), FALSE);
  return self->remote_held;
}

static void
floe_call_dispose (GObject *object)
{
  FloeCall *self = FLOE_CALL (object);

  /* Only reached once the call has ended or was never dialled. */
  g_clear_handle_id (&self->bye_overdue_id, g_source_remove);
  g_clear_pointer (&self->nh, nua_handle_destroy);
  g_clear_object (&self->account);
  G_OBJECT_CLASS (floe_call_parent_class)->dispose (object);
}

static void
floe_call_finalize (GObject *object)
{
  FloeCall *self = FLOE_CALL (object);

  g_free (self->end_message);
  g_free (self->remote_uri);
  g_free (self->addr);
  g_strfreev (self->ice);
  g_strfreev (self->offer_keys);
  g_free (self->answer_key);
  floe_sdp_media_free (self->pending_offer);
  floe_sdp_media_free (self->remote);
  floe_sdp_result_clear (&self->result);
  G_OBJECT_CLASS (floe_call_parent_class)->finalize (object);
}

static void
floe_call_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FloeCall *self = FLOE_CALL (object);

  switch (prop_id)
    {
    case PROP_STATE: g_value_set_int (value, self->state); break;
    case PROP_END_REASON: g_value_set_int (value, self->end_reason); break;
    case PROP_END_MESSAGE: g_value_set_string (value, self->end_message); break;
    case PROP_REMOTE_URI: g_value_set_string (value, self->remote_uri); break;
    case PROP_INCOMING: g_value_set_boolean (value, self->incoming); break;
    case PROP_HELD: g_value_set_boolean (value, self->held); break;
    case PROP_REMOTE_HELD: g_value_set_boolean (value, self->remote_held); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
floe_call_class_init (FloeCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = floe_call_dispose;
  object_class->finalize = floe_call_finalize;
  object_class->get_property = floe_call_get_property;

  props[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, FLOE_CALL_IDLE, FLOE_CALL_ENDED, FLOE_CALL_IDLE, ro);
  props[PROP_END_REASON] = g_param_spec_int ("end-reason", NULL, NULL, FLOE_CALL_END_NONE, FLOE_CALL_END_FAILED,
                                             FLOE_CALL_END_NONE, ro);
  props[PROP_END_MESSAGE] = g_param_spec_string ("end-message", NULL, NULL, NULL, ro);
  props[PROP_REMOTE_URI] = g_param_spec_string ("remote-uri", NULL, NULL, NULL, ro);
  props[PROP_INCOMING] = g_param_spec_boolean ("incoming", NULL, NULL, FALSE, ro);
  props[PROP_HELD] = g_param_spec_boolean ("held", NULL, NULL, FALSE, ro);
  props[PROP_REMOTE_HELD] = g_param_spec_boolean ("remote-held", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_MEDIA_CHANGED] = g_signal_new ("media-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
  signals[SIGNAL_DTMF_RECEIVED] = g_signal_new ("dtmf-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_SEND_TELEPHONE_EVENT] = g_signal_new ("send-telephone-event", G_TYPE_FROM_CLASS (klass),
                                                       G_SIGNAL_RUN_LAST, 0, g_signal_accumulator_true_handled,
                                                       NULL, NULL, G_TYPE_BOOLEAN, 2, G_TYPE_UINT, G_TYPE_INT);
}

static void
floe_call_init (FloeCall *self)
{
  self->result.telephone_event_pt = -1;
}
