/* FloeAccount: one SIP identity. It registers with a registrar (digest
 * authentication, refreshes, retries with backoff, keep-alives on the
 * signalling flow) or, without a registrar, just listens so that peers can
 * call sip:user@host:port directly. It places and receives FloeCalls. */
#pragma once

#include <gio/gio.h>

#include "floe-call.h"

G_BEGIN_DECLS

#define FLOE_TYPE_ACCOUNT (floe_account_get_type ())
G_DECLARE_FINAL_TYPE (FloeAccount, floe_account, FLOE, ACCOUNT, GObject)

typedef enum
{
  FLOE_ACCOUNT_OFFLINE,       /* not started, or stopped */
  FLOE_ACCOUNT_REGISTERING,
  FLOE_ACCOUNT_REGISTERED,
  FLOE_ACCOUNT_READY,         /* no registrar: listening for direct calls */
  FLOE_ACCOUNT_FAILED,        /* see failure; a retry may be scheduled */
  FLOE_ACCOUNT_STOPPING,
} FloeAccountState;

typedef enum
{
  FLOE_ACCOUNT_FAILURE_NONE,
  FLOE_ACCOUNT_FAILURE_WRONG_PASSWORD,
  FLOE_ACCOUNT_FAILURE_NO_ROUTE,      /* the server cannot be reached */
  FLOE_ACCOUNT_FAILURE_TIMEOUT,       /* no answer from the server */
  FLOE_ACCOUNT_FAILURE_TLS_REJECTED,  /* the server's certificate was not trusted */
  FLOE_ACCOUNT_FAILURE_REFUSED,       /* any other final refusal */
  FLOE_ACCOUNT_FAILURE_LOCAL,         /* we could not listen on the local address */
} FloeAccountFailure;

typedef enum
{
  FLOE_SIP_TRANSPORT_UDP,
  FLOE_SIP_TRANSPORT_TCP,
  FLOE_SIP_TRANSPORT_TLS,
} FloeSipTransport;

/* Properties (all construct-time; set them with g_object_new):
 *   "aor"              address of record, "sip:alice@example.org" or "sips:..."
 *   "auth-username"    digest user name (default: the AOR's user)
 *   "password"         digest password (write-only, never logged)
 *   "registrar"        registrar URI; NULL: the AOR's domain; "" with
 *                      "register" FALSE for direct calls only
 *   "register"         whether to REGISTER (default TRUE)
 *   "outbound-proxy"   URI every request is sent through, or NULL
 *   "transport"        FloeSipTransport (sips: AORs force TLS)
 *   "local-address"    IP to listen on (default: any)
 *   "local-port"       port to listen on (default 0: any free port)
 *   "ca-file"          PEM file of CAs to trust for TLS, or NULL for the system's
 *   "verify-tls"       verify the server certificate (default TRUE)
 *   "expires"          registration lifetime asked for, seconds (default 600)
 *   "keepalive"        seconds between keep-alives on the registration flow
 *                      (OPTIONS to the registrar; CRLF too on TCP/TLS); a
 *                      ping nobody answers starts a new registration (default 25; 0 off)
 *   "retry-min", "retry-max"  backoff bounds in seconds after a failure (default 5, 300)
 *   "transaction-timeout"     SIP timer F/B in milliseconds (default 32000)
 *   "srtp"             FloeSrtpPolicy for calls (default optional)
 *   "codecs"           GStrv of "opus", "pcmu", "pcma" in preference order (default all three)
 * Read-only: "state", "failure", "failure-message", "contact".
 *
 * Signals:
 *   "incoming-call" (FloeCall *call): a new call is ringing for us; the
 *     handler keeps a reference if it wants the call past the emission.
 */

FloeAccountState floe_account_get_state (FloeAccount *self);
FloeAccountFailure floe_account_get_failure (FloeAccount *self);
/* A sentence for a person, translated; NULL when nothing failed. */
const char *floe_account_get_failure_message (FloeAccount *self);
/* Our reachable URI once started, "sip:alice@127.0.0.1:5070" (direct calls). */
const char *floe_account_get_contact (FloeAccount *self);

/* Binds the transports and, if configured, registers. Returns FALSE when the
 * local address cannot be used. */
gboolean floe_account_start (FloeAccount *self, GError **error);

/* Ends every call, unregisters, and releases the transports. The state goes
 * STOPPING, then OFFLINE once the server has answered (or given up). */
void floe_account_stop (FloeAccount *self);

/* A new outgoing call to uri ("sip:bob@example.org", "bob" for the AOR's
 * domain, or "sip:bob@192.0.2.7:5060" directly). It stays idle until
 * floe_call_dial(). */
FloeCall *floe_account_new_call (FloeAccount *self, const char *uri, GError **error);

const char *floe_account_state_name (FloeAccountState state);

G_END_DECLS
