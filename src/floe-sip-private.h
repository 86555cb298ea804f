/* What FloeAccount and FloeCall share about Sofia's nua, and nobody else:
 * the nua magic is the FloeAccount, a handle's magic is the GObject that
 * owns it (the account for REGISTER, a FloeCall for a dialog). */
#pragma once

#include <glib-object.h>

struct _FloeAccount;
#define NUA_MAGIC_T struct _FloeAccount
#define NUA_HMAGIC_T GObject
#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

#include "floe-account.h"
#include "floe-call.h"

/* floe-account.c */
nua_t *floe_account_get_nua (FloeAccount *self);
FloeSrtpPolicy floe_account_get_srtp (FloeAccount *self);
/* Our codecs in preference order, FLOE_CODEC_NONE-terminated. */
const FloeCodec *floe_account_get_codecs (FloeAccount *self);
/* Our address for SDP when the media layer gave none (the signalling IP). */
const char *floe_account_get_local_address (FloeAccount *self);
/* Answers a 401/407 on nh with the account's credentials. Returns FALSE when
 * it already tried them on this request (the password is wrong). */
gboolean floe_account_authenticate (FloeAccount *self, nua_handle_t *nh, const sip_t *sip,
                                    guint *attempts);
void floe_account_call_ended (FloeAccount *self, FloeCall *call);

/* floe-call.c */
FloeCall *floe_call_new_outgoing (FloeAccount *account, const char *uri);
/* Takes over nh (nua made it for the request) and reads the INVITE. */
FloeCall *floe_call_new_incoming (FloeAccount *account, nua_handle_t *nh, const sip_t *sip);
void floe_call_handle_event (FloeCall *self, nua_event_t event, int status, const char *phrase,
                             const sip_t *sip, tagi_t tags[]);
/* The stack is going away: end the call now and let go of its handle. */
void floe_call_detach (FloeCall *self);
