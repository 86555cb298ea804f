/* FloePhone: the app's side of the core. It turns the saved accounts
 * (GSettings + passwords from the keyring) into live FloeAccounts, places
 * and receives calls with their media (FloeCallMedia and audio devices),
 * and records finished calls in the history. One call at a time. */
#pragma once

#include <gio/gio.h>

#include "src/floe-account.h"
#include "src/floe-call-media.h"

#include "floe-call-history.h"
#include "floe-path-description.h"

G_BEGIN_DECLS

#define FLOE_TYPE_PHONE (floe_phone_get_type ())
G_DECLARE_FINAL_TYPE (FloePhone, floe_phone, FLOE, PHONE, GObject)

/* Signals:
 *   "account-changed" (const char *account_id): the live account of that id
 *       appeared, went, or changed state.
 *   "incoming-call" (FloeCall *call): a call rings for us (already current).
 *   "call-ended" (const char *sentence): the current call ended, and why.
 * Property "call": the current FloeCall, or NULL. */

FloePhone *floe_phone_new (GSettings *settings, FloeCallHistory *history);

/* Starts every enabled account (after fetching its password). */
void floe_phone_start (FloePhone *self);
/* Ends the call and stops every account. */
void floe_phone_stop (FloePhone *self);

/* The live account of an id, or NULL; then floe_phone_get_account_problem
 * says why in a sentence (NULL while it is still being set up). */
FloeAccount *floe_phone_get_account (FloePhone *self, const char *account_id);
const char *floe_phone_get_account_problem (FloePhone *self, const char *account_id);

/* Calls address from the first usable account. */
gboolean floe_phone_dial (FloePhone *self, const char *address, GError **error);

FloeCall *floe_phone_get_call (FloePhone *self);
/* Seconds since the current call was answered; 0 before. */
gint64 floe_phone_get_call_duration (FloePhone *self);
/* Sentences about the current call's audio or network trouble (no
 * microphone, ICE failure, one-way audio), or NULL. */
char *floe_phone_get_call_warning (FloePhone *self);

/* The selected pair of the current call; FALSE before ICE selected one.
 * Strings in path stay valid until the next call. */
gboolean floe_phone_get_path (FloePhone *self, FloePathInfo *path);
gboolean floe_phone_get_stats (FloePhone *self, media_session_stats *stats);
/* Whether the current call's audio is SRTP (FALSE before media flows). */
gboolean floe_phone_get_encrypted (FloePhone *self);

/* Whether the ringtone plays (an incoming call rings and an output device
 * could be opened). */
gboolean floe_phone_is_ringing (FloePhone *self);

void floe_phone_answer (FloePhone *self);
void floe_phone_decline (FloePhone *self);
void floe_phone_hangup (FloePhone *self);
/* The other side hears silence while muted; the call goes on. */
void floe_phone_set_mute (FloePhone *self, gboolean muted);
gboolean floe_phone_get_mute (FloePhone *self);
void floe_phone_set_hold (FloePhone *self, gboolean hold);
gboolean floe_phone_send_dtmf (FloePhone *self, char digit);

G_END_DECLS
