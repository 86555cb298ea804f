/* FloeAccount: registration, transports and the nua stack of one identity. */
#include "config.h"

#define G_LOG_DOMAIN "floe-sip"

#include "floe-sip-private.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>
#include <stdlib.h>
#include <string.h>

#include "floe-sip-root.h"
#include "floe-version.h"

struct _FloeAccount
{
  GObject parent_instance;

  /* settings */
  char *aor;
  char *auth_username;
  char *password;
  char *registrar;
  char *outbound_proxy;
  char *local_address;
  char *ca_file;
  guint local_port;
  FloeSipTransport transport;
  gboolean do_register;
  gboolean verify_tls;
  guint expires;
  guint keepalive;
  guint retry_min;
  guint retry_max;
  guint transaction_timeout;
  FloeSrtpPolicy srtp;
  FloeCodec codecs[4];       /* preference order, FLOE_CODEC_NONE-terminated */

  /* state */
  FloeAccountState state;
  FloeAccountFailure failure;
  char *failure_message;
  char *contact;
  char *user;             /* the AOR's user part */
  char *cert_dir;         /* private directory holding cafile.pem for Sofia */
  nua_t *nua;
  nua_handle_t *reg;
  guint reg_auth_attempts;
  guint retry_source;
  guint retry_count;
  gboolean shutdown_done;
  guint destroy_source;
  GCancellable *tls_probe;  /* a running certificate check, see probe_tls() */
  guint keepalive_source;
  nua_handle_t *ping;       /* the keep-alive OPTIONS in flight */
  GPtrArray *calls;       /* FloeCall, strong, until each ends */
};

enum
{
  PROP_0,
  PROP_AOR,
  PROP_AUTH_USERNAME,
  PROP_PASSWORD,
  PROP_REGISTRAR,
  PROP_REGISTER,
  PROP_OUTBOUND_PROXY,
  PROP_TRANSPORT,
  PROP_LOCAL_ADDRESS,
  PROP_LOCAL_PORT,
  PROP_CA_FILE,
  PROP_VERIFY_TLS,
  PROP_EXPIRES,
  PROP_KEEPALIVE,
  PROP_RETRY_MIN,
  PROP_RETRY_MAX,
  PROP_TRANSACTION_TIMEOUT,
  PROP_SRTP,
  PROP_CODECS,
  PROP_STATE,
  PROP_FAILURE,
  PROP_FAILURE_MESSAGE,
  PROP_CONTACT,
  N_PROPS
};

enum
{
  SIGNAL_INCOMING_CALL,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FloeAccount, floe_account, G_TYPE_OBJECT)

const char *
floe_account_state_name (FloeAccountState state)
{
  switch (state)
    {
    case FLOE_ACCOUNT_OFFLINE: return "offline";
    case FLOE_ACCOUNT_REGISTERING: return "registering";
    case FLOE_ACCOUNT_REGISTERED: return "registered";
    case FLOE_ACCOUNT_READY: return "ready";
    case FLOE_ACCOUNT_FAILED: return "failed";
    case FLOE_ACCOUNT_STOPPING: return "stopping";
    default: return "?";
    }
}

static void
set_state (FloeAccount *self, FloeAccountState state)
{
  if (self->state == state)
    return;
  g_debug ("account %s: %s -> %s", self->aor, floe_account_state_name (self->state),
           floe_account_state_name (state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

static void
set_failure (FloeAccount *self, FloeAccountFailure failure, int status, const char *phrase)
{
  g_free (self->failure_message);
  switch (failure)
    {
    case FLOE_ACCOUNT_FAILURE_NONE:
      self->failure_message = NULL;
      break;
    case FLOE_ACCOUNT_FAILURE_WRONG_PASSWORD:
      self->failure_message = g_strdup (_("The server did not accept the user name or password. Check them in the account settings."));
      break;
    case FLOE_ACCOUNT_FAILURE_NO_ROUTE:
      self->failure_message = g_strdup (_("The server could not be reached. Check its address and your network connection; Floe keeps trying."));
      break;
    case FLOE_ACCOUNT_FAILURE_TIMEOUT:
      self->failure_message = g_strdup (_("The server did not answer in time. Check its address and your network connection; Floe keeps trying."));
      break;
    case FLOE_ACCOUNT_FAILURE_TLS_REJECTED:
      self->failure_message = g_strdup (_("The server’s certificate is not trusted, so Floe did not connect. Check the server name, or choose the certificate authority to trust in the account settings."));
      break;
    case FLOE_ACCOUNT_FAILURE_LOCAL:
      self->failure_message = g_strdup (_("Floe could not listen on the local address. Another program may be using the port."));
      break;
    case FLOE_ACCOUNT_FAILURE_REFUSED:
    default:
      /* TRANSLATORS: %d and %s are the server's SIP status code and its words. */
      self->failure_message = g_strdup_printf (_("The server refused the registration (%d %s)."),
                                               status, phrase ? phrase : "");
      break;
    }
  if (self->failure != failure)
    {
      self->failure = failure;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FAILURE]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FAILURE_MESSAGE]);
}

/* ------------------------------------------------------------ registration */

static void do_register (FloeAccount *self);
static char *registrar_uri (FloeAccount *self);

static gboolean
on_retry_timeout (gpointer data)
{
  FloeAccount *self = data;
  self->retry_source = 0;
  do_register (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (FloeAccount *self)
{
  guint delay = self->retry_min;

  /* Exponential backoff with jitter, so that many phones whose server came
   * back do not all knock at the same second. */
  for (guint i = 0; i < self->retry_count && delay < self->retry_max; i++)
    delay *= 2;
  delay = MIN (delay, self->retry_max);
  self->retry_count++;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->retry_source = g_timeout_add (delay * 1000 + (guint) g_random_int_range (0, (gint) delay * 250 + 1),
                                      on_retry_timeout, self);
  g_debug ("account %s: next registration attempt in about %u s", self->aor, delay);
}

/* Sofia reports failures it made up itself (a timeout, a refused
 * connection) as responses too. We always ask for rport (RFC 3581), and a
 * server that answered fills in its value; Sofia's own leave it empty. */
static gboolean
is_local_response (const sip_t *sip)
{
  return !sip || !sip->sip_via || (sip->sip_via->v_rport && !sip->sip_via->v_rport[0]);
}

static FloeAccountFailure
classify_failure (FloeAccount *self, int status, const char *phrase, const sip_t *sip)
{
  if (status == 401 || status == 407 || status == 403)
    return FLOE_ACCOUNT_FAILURE_WRONG_PASSWORD;
  if (status == 408 || status == 504)
    return FLOE_ACCOUNT_FAILURE_TIMEOUT;
  if (is_local_response (sip))
    {
      if (self->transport == FLOE_SIP_TRANSPORT_TLS && phrase
          && (strstr (phrase, "TLS") || strstr (phrase, "ertificate") || strstr (phrase, "SSL")))
        return FLOE_ACCOUNT_FAILURE_TLS_REJECTED;
      return FLOE_ACCOUNT_FAILURE_NO_ROUTE;
    }
  if (status == 502 || status == 503)
    return FLOE_ACCOUNT_FAILURE_NO_ROUTE;
  return FLOE_ACCOUNT_FAILURE_REFUSED;
}

gboolean
floe_account_authenticate (FloeAccount *self, nua_handle_t *nh, const sip_t *sip, guint *attempts)
{
  const msg_auth_t *challenge = NULL;
  const char *realm = NULL;
  g_autofree char *credentials = NULL;

  if (sip)
    challenge = sip->sip_www_authenticate ? sip->sip_www_authenticate : sip->sip_proxy_authenticate;
  if (!challenge || !self->password || *attempts > 0)
    return FALSE;
  (*attempts)++;
  realm = msg_params_find (challenge->au_params, "realm=");
  /* "Digest:\"realm\":user:password"; realm keeps its quotes. */
  credentials = g_strdup_printf ("%s:%s:%s:%s", challenge->au_scheme, realm ? realm : "\"\"",
                                 self->auth_username, self->password);
  nua_authenticate (nh, NUTAG_AUTH (credentials), TAG_END ());
  memset (credentials, 0, strlen (credentials));
  return TRUE;
}

/* Sofia reports a TLS handshake it refused like a server that never
 * answered. When a TLS registration fails that way, check the server's
 * certificate with GIO against the same trust, so that the person learns
 * the real cause. */
typedef struct
{
  FloeAccount *self;   /* weak: cleared through the cancellable */
  gboolean rejected;
} TlsProbe;

static gboolean
on_probe_accept_certificate (GTlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors,
                             gpointer data)
{
  TlsProbe *probe = data;
  probe->rejected = TRUE;
  return FALSE;
}

static void
on_probe_event (GSocketClient *client, GSocketClientEvent event, GSocketConnectable *connectable,
                GIOStream *connection, gpointer data)
{
  GTlsDatabase *db = g_object_get_data (G_OBJECT (client), "floe-tls-db");

  if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING || !G_IS_TLS_CONNECTION (connection))
    return;
  if (db)
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), db);
  g_signal_connect (connection, "accept-certificate", G_CALLBACK (on_probe_accept_certificate), data);
}

static void
on_probe_done (GObject *source, GAsyncResult *res, gpointer data)
{
  TlsProbe *probe = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      FloeAccount *self = probe->self;
      g_clear_object (&self->tls_probe);
      g_debug ("account %s: TLS check: %s", self->aor, error ? error->message : "certificate accepted");
      if ((probe->rejected || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
          && self->state == FLOE_ACCOUNT_FAILED)
        {
          g_message ("account %s: the server's TLS certificate is not trusted", self->aor);
          set_failure (self, FLOE_ACCOUNT_FAILURE_TLS_REJECTED, 0, NULL);
        }
    }
  if (conn)
    g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_free (probe);
}

static void
probe_tls (FloeAccount *self)
{
  g_autofree char *registrar = registrar_uri (self);
  su_home_t home[1] = { SU_HOME_INIT (home) };
  url_t *url = registrar ? url_make (home, registrar) : NULL;
  g_autoptr (GSocketClient) client = NULL;
  g_autoptr (GSocketConnectable) target = NULL;
  g_autoptr (GError) error = NULL;
  TlsProbe *probe;

  if (!url || !url->url_host || self->tls_probe)
    {
      su_home_deinit (home);
      return;
    }
  target = g_network_address_new (url->url_host, url->url_port ? (guint16) atoi (url->url_port) : 5061);
  su_home_deinit (home);

  client = g_socket_client_new ();
  g_socket_client_set_tls (client, TRUE);
  g_socket_client_set_timeout (client, MAX (1, self->transaction_timeout / 1000));
  if (self->ca_file)
    {
      g_autoptr (GTlsDatabase) db = g_tls_file_database_new (self->ca_file, &error);
      if (!db)
        {
          g_message ("account %s: cannot read %s: %s", self->aor, self->ca_file, error->message);
          return;
        }
      /* The database goes on the connection once it exists. */
      g_object_set_data_full (G_OBJECT (client), "floe-tls-db", g_steal_pointer (&db), g_object_unref);
    }
  probe = g_new0 (TlsProbe, 1);
  probe->self = self;
  g_signal_connect (client, "event", G_CALLBACK (on_probe_event), probe);
  self->tls_probe = g_cancellable_new ();
  g_socket_client_connect_async (client, target, self->tls_probe, on_probe_done, probe);
}

/* Keep-alives: an OPTIONS to the registrar every "keepalive" seconds along
 * the registration's flow (same proxy, same transport). It keeps a NAT
 * binding open, and a ping our own stack gives up on means the server or
 * the path is gone: the account then registers again, with backoff. On
 * TCP and TLS Sofia also sends CRLF keep-alives (RFC 5626 3.5.1). */
static void lose_registration (FloeAccount *self, FloeAccountFailure failure, int status, const char *phrase);

static gboolean
on_keepalive_timeout (gpointer data)
{
  FloeAccount *self = data;
  g_autofree char *registrar = NULL;

  if (self->ping || self->state != FLOE_ACCOUNT_REGISTERED)
    return G_SOURCE_CONTINUE;
  registrar = registrar_uri (self);
  self->ping = nua_handle (self->nua, G_OBJECT (self), NUTAG_URL (URL_STRING_MAKE (registrar)),
                           SIPTAG_TO_STR (registrar), TAG_END ());
  nua_options (self->ping, SIPTAG_SUBJECT_STR ("keep-alive"), TAG_END ());
  return G_SOURCE_CONTINUE;
}

static void
start_keepalive (FloeAccount *self)
{
  if (self->keepalive && !self->keepalive_source)
    self->keepalive_source = g_timeout_add_seconds (self->keepalive, on_keepalive_timeout, self);
}

static void
stop_keepalive (FloeAccount *self)
{
  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  g_clear_pointer (&self->ping, nua_handle_destroy);
}

static void
on_ping_response (FloeAccount *self, int status, const char *phrase, const sip_t *sip)
{
  if (status < 200)
    return;
  /* Any answer from the server, even a refusal, shows the flow works. */
  if (status >= 300 && is_local_response (sip) && self->state == FLOE_ACCOUNT_REGISTERED)
    {
      g_message ("account %s: keep-alive failed: %d %s", self->aor, status, phrase ? phrase : "");
      lose_registration (self, classify_failure (self, status, phrase, sip), status, phrase);
    }
  g_clear_pointer (&self->ping, nua_handle_destroy);
}

static void
on_register_response (FloeAccount *self, nua_handle_t *nh, int status, const char *phrase,
                      const sip_t *sip)
{
  if (status < 200 || nh != self->reg || self->state == FLOE_ACCOUNT_STOPPING)
    return;
  if (status < 300)
    {
      self->retry_count = 0;
      /* Each refresh succeeds anew; a refresh is not a new challenge. */
      self->reg_auth_attempts = 0;
      if (self->failure != FLOE_ACCOUNT_FAILURE_NONE)
        set_failure (self, FLOE_ACCOUNT_FAILURE_NONE, 0, NULL);
      /* Before the notification, whose handler may stop the account. */
      start_keepalive (self);
      set_state (self, FLOE_ACCOUNT_REGISTERED);
      return;
    }
  if ((status == 401 || status == 407)
      && floe_account_authenticate (self, nh, sip, &self->reg_auth_attempts))
    return;

  g_message ("account %s: registration failed: %d %s", self->aor, status, phrase ? phrase : "");
  if (self->transport == FLOE_SIP_TRANSPORT_TLS && is_local_response (sip))
    probe_tls (self);
  lose_registration (self, classify_failure (self, status, phrase, sip), status, phrase);
}

static void
lose_registration (FloeAccount *self, FloeAccountFailure failure, int status, const char *phrase)
{
  /* Let go of the handle before any notification: a handler may stop the
   * account, and once nua_shutdown() has been called nua drops every other
   * signal, nua_handle_destroy() included. The orphaned handle would keep
   * its refused REGISTER waiting for credentials nobody can give any more,
   * so the shutdown would wait for its 30 s timeout and leak the handle.
   * The handle has nothing left to refresh; the next attempt makes its own. */
  g_clear_pointer (&self->reg, nua_handle_destroy);
  stop_keepalive (self);
  /* Retrying a wrong password only locks the account at the server. */
  if (failure != FLOE_ACCOUNT_FAILURE_WRONG_PASSWORD)
    schedule_retry (self);
  set_failure (self, failure, status, phrase);
  set_state (self, FLOE_ACCOUNT_FAILED);
}

static char *
registrar_uri (FloeAccount *self)
{
  g_autofree char *base = NULL;
  const char *param = "";

  if (self->registrar && *self->registrar)
    base = g_strdup (self->registrar);
  else
    {
      /* The AOR without its user: "sip:alice@example.org" -> "sip:example.org". */
      const char *at = strchr (self->aor, '@');
      const char *colon = strchr (self->aor, ':');
      if (!colon)
        return NULL;
      base = g_strdup_printf ("%.*s:%s", (int) (colon - self->aor), self->aor, at ? at + 1 : colon + 1);
    }
  if (self->transport == FLOE_SIP_TRANSPORT_TCP && !strstr (base, "transport="))
    param = ";transport=tcp";
  return g_strconcat (base, param, NULL);
}

static void
do_register (FloeAccount *self)
{
  g_autofree char *registrar = registrar_uri (self);
  g_autofree char *expires = g_strdup_printf ("%u", self->expires);

  if (!self->nua || self->state == FLOE_ACCOUNT_STOPPING)
    return;
  /* A fresh handle per attempt: a failed one may hold a dead flow. */
  g_clear_pointer (&self->reg, nua_handle_destroy);
  self->reg = nua_handle (self->nua, G_OBJECT (self), SIPTAG_TO_STR (self->aor), TAG_END ());
  self->reg_auth_attempts = 0;
  set_state (self, FLOE_ACCOUNT_REGISTERING);
  nua_register (self->reg,
                NUTAG_REGISTRAR (URL_STRING_MAKE (registrar)),
                NUTAG_M_USERNAME (self->user),
                SIPTAG_EXPIRES_STR (expires),
                TAG_END ());
}

/* ----------------------------------------------------------- nua callback */

static gboolean
on_destroy_nua (gpointer data)
{
  FloeAccount *self = data;

  self->destroy_source = 0;
  g_clear_pointer (&self->nua, nua_destroy);
  set_state (self, FLOE_ACCOUNT_OFFLINE);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
on_shutdown_done (FloeAccount *self)
{
  g_autoptr (GPtrArray) calls = g_ptr_array_new_with_free_func (g_object_unref);

  /* Detaching ends calls, which drops them from self->calls. */
  for (guint i = 0; i < self->calls->len; i++)
    g_ptr_array_add (calls, g_object_ref (g_ptr_array_index (self->calls, i)));
  for (guint i = 0; i < calls->len; i++)
    floe_call_detach (g_ptr_array_index (calls, i));
  g_clear_pointer (&self->reg, nua_handle_destroy);
  stop_keepalive (self);
  self->shutdown_done = TRUE;
  /* nua_destroy() may not run inside nua's own callback. */
  if (!self->destroy_source)
    self->destroy_source = g_idle_add (on_destroy_nua, g_object_ref (self));
}

static gboolean
request_user_is_ours (FloeAccount *self, const sip_t *sip)
{
  const url_t *ruri = sip && sip->sip_request ? sip->sip_request->rq_url : NULL;
  /* A request-URI without a user names the host: that is us too. */
  return ruri && (!ruri->url_user || g_strcmp0 (ruri->url_user, self->user) == 0);
}

static void
on_incoming_invite (FloeAccount *self, nua_handle_t *nh, const sip_t *sip)
{
  g_autoptr (FloeCall) call = NULL;

  if (self->state == FLOE_ACCOUNT_STOPPING)
    {
      nua_respond (nh, SIP_503_SERVICE_UNAVAILABLE, TAG_END ());
      nua_handle_destroy (nh);
      return;
    }
  if (!request_user_is_ours (self, sip))
    {
      nua_respond (nh, SIP_404_NOT_FOUND, TAG_END ());
      nua_handle_destroy (nh);
      return;
    }
  call = floe_call_new_incoming (self, nh, sip);
  if (floe_call_get_state (call) != FLOE_CALL_INCOMING)
    return; /* the call refused the offer itself */
  g_ptr_array_add (self->calls, g_object_ref (call));
  g_signal_emit (self, signals[SIGNAL_INCOMING_CALL], 0, call);
}

static void
on_nua_event (nua_event_t event, int status, char const *phrase, nua_t *nua, FloeAccount *self,
              nua_handle_t *nh, GObject *hmagic, sip_t const *sip, tagi_t tags[])
{
  if (hmagic && FLOE_IS_CALL (hmagic))
    {
      floe_call_handle_event (FLOE_CALL (hmagic), event, status, phrase, sip, tags);
      return;
    }

  switch (event)
    {
    case nua_r_register:
      on_register_response (self, nh, status, phrase, sip);
      break;

    case nua_r_unregister:
      break;

    case nua_r_options:
      if (nh == self->ping)
        on_ping_response (self, status, phrase, sip);
      break;

    case nua_i_invite:
      on_incoming_invite (self, nh, sip);
      break;

    case nua_r_shutdown:
      if (status >= 200)
        on_shutdown_done (self);
      break;

    case nua_i_outbound:
      g_debug ("account %s: outbound: %d %s", self->aor, status, phrase);
      break;

    case nua_i_error:
      g_warning ("account %s: SIP stack error: %d %s", self->aor, status, phrase);
      break;

    default:
      /* nua already answered requests we do not handle (OPTIONS, MESSAGE,
       * unknown methods get 405/501); drop handles it made for them. */
      if (nh && !hmagic && nua_event_is_incoming_request (event))
        nua_handle_destroy (nh);
      break;
    }
}

/* ------------------------------------------------------------- lifecycle */

/* Sofia's TLS reads the trusted CAs as cafile.pem from a directory; give it
 * a private one holding the chosen file. */
static gboolean
prepare_cert_dir (FloeAccount *self, GError **error)
{
  g_autofree char *target = NULL;

  if (!self->ca_file)
    return TRUE;
  self->cert_dir = g_dir_make_tmp ("floe-tls-XXXXXX", error);
  if (!self->cert_dir)
    return FALSE;
  target = g_build_filename (self->cert_dir, "cafile.pem", NULL);
  if (symlink (self->ca_file, target) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                   _("Could not use the certificate file “%s”: %s"), self->ca_file, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

static void
remove_cert_dir (FloeAccount *self)
{
  if (!self->cert_dir)
    return;
  {
    g_autofree char *target = g_build_filename (self->cert_dir, "cafile.pem", NULL);
    g_unlink (target);
    g_rmdir (self->cert_dir);
  }
  g_clear_pointer (&self->cert_dir, g_free);
}

/* A port free for both UDP and TCP on addr, so that the contact we hand out
 * for direct calls works on either transport. */
static guint
find_free_port (const char *addr)
{
  g_autoptr (GInetAddress) ia = g_inet_address_new_from_string (addr);

  if (!ia)
    return 0;
  for (int tries = 0; tries < 20; tries++)
    {
      g_autoptr (GSocket) udp = g_socket_new (g_inet_address_get_family (ia), G_SOCKET_TYPE_DATAGRAM,
                                              G_SOCKET_PROTOCOL_UDP, NULL);
      g_autoptr (GSocket) tcp = g_socket_new (g_inet_address_get_family (ia), G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr (GSocketAddress) any = g_inet_socket_address_new (ia, 0);
      g_autoptr (GSocketAddress) bound = NULL;
      g_autoptr (GSocketAddress) same = NULL;
      guint port;

      if (!udp || !tcp || !g_socket_bind (udp, any, FALSE, NULL))
        return 0;
      bound = g_socket_get_local_address (udp, NULL);
      if (!bound)
        return 0;
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      same = g_inet_socket_address_new (ia, (guint16) port);
      if (g_socket_bind (tcp, same, TRUE, NULL))
        return port;
    }
  return 0;
}

/* The IP we put in contacts and SDP when no address was set. */
static char *
guess_local_address (void)
{
  g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) dst = g_inet_address_new_from_string ("192.0.2.1");
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (dst, 9);
  g_autoptr (GSocketAddress) local = NULL;

  /* A connected UDP socket sends nothing but learns the outgoing address. */
  if (s && g_socket_connect (s, sa, NULL, NULL) && (local = g_socket_get_local_address (s, NULL)))
    return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  return g_strdup ("127.0.0.1");
}

gboolean
floe_account_start (FloeAccount *self, GError **error)
{
  g_autofree char *bind_url = NULL;
  g_autofree char *sips_url = NULL;
  g_autofree char *instance = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *host = NULL;
  g_autofree char *proxy = NULL;
  guint port = self->local_port;
  gboolean tls;

  g_return_val_if_fail (FLOE_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (self->nua == NULL, FALSE);

  if (!self->aor || !self->user)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The account address “%s” is not a SIP address such as sip:alice@example.org."),
                   self->aor ? self->aor : "");
      return FALSE;
    }
  tls = self->transport == FLOE_SIP_TRANSPORT_TLS || g_str_has_prefix (self->aor, "sips:");
  if (tls)
    self->transport = FLOE_SIP_TRANSPORT_TLS;
  if (!prepare_cert_dir (self, error))
    return FALSE;

  host = self->local_address ? g_strdup (self->local_address) : guess_local_address ();
  if (port == 0)
    port = find_free_port (host);
  if (port == 0)
    {
      set_failure (self, FLOE_ACCOUNT_FAILURE_LOCAL, 0, NULL);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, self->failure_message);
      return FALSE;
    }
  bind_url = g_strdup_printf (strchr (host, ':') ? "sip:[%s]:%u" : "sip:%s:%u", host, port);
  if (tls)
    sips_url = g_strdup_printf (strchr (host, ':') ? "sips:[%s]:%u" : "sips:%s:%u", host, port + 1);
  /* Without an outbound proxy, requests go through the registrar we were
   * given, as keep-alives must reach it and calls are routed by it. */
  if (self->outbound_proxy && *self->outbound_proxy)
    proxy = g_strdup (self->outbound_proxy);
  else if (self->do_register && self->registrar && *self->registrar)
    {
      /* With the account's transport, as the REGISTER itself. */
      g_autofree char *registrar = registrar_uri (self);
      proxy = strstr (registrar, ";lr") ? g_strdup (registrar) : g_strconcat (registrar, ";lr", NULL);
    }
  uuid = g_uuid_string_random ();
  instance = g_strdup_printf ("<urn:uuid:%s>", uuid);

  self->shutdown_done = FALSE;
  self->nua = nua_create (floe_sip_root_get (), on_nua_event, self,
                          NUTAG_URL (bind_url),
                          TAG_IF (tls, NUTAG_SIPS_URL (sips_url)),
                          TAG_IF (self->cert_dir, TPTAG_CERTIFICATE (self->cert_dir)),
                          TAG_IF (tls, TPTAG_TLS_VERIFY_POLICY (self->verify_tls ? TPTLS_VERIFY_SUBJECTS_OUT
                                                                               : TPTLS_VERIFY_NONE)),
                          TAG_IF (proxy, NUTAG_PROXY (URL_STRING_MAKE (proxy))),
                          SIPTAG_FROM_STR (self->aor),
                          SIPTAG_USER_AGENT_STR (floe_user_agent ()),
                          NUTAG_M_USERNAME (self->user),
                          NUTAG_INSTANCE (instance),
                          /* RFC 5626 flows when the registrar offers them; the
                           * OPTIONS keep-alives are ours (on_keepalive_timeout),
                           * Sofia keeps only the CRLF ones on TCP and TLS. */
                          NUTAG_OUTBOUND ("outbound natify no-options-keepalive no-validate"),
                          NUTAG_KEEPALIVE (0),
                          NUTAG_KEEPALIVE_STREAM (self->keepalive * 1000),
                          NTATAG_SIP_T1X64 (self->transaction_timeout),
                          NTATAG_CLIENT_RPORT (1),
                          NTATAG_TCP_RPORT (1),
                          NTATAG_TLS_RPORT (1),
                          NUTAG_MEDIA_ENABLE (0),
                          NUTAG_AUTOALERT (0),
                          NUTAG_AUTOANSWER (0),
                          NUTAG_ENABLEMESSAGE (0),
                          SIPTAG_ALLOW_STR ("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE"),
                          /* We answer UPDATE ourselves: it may carry an offer. */
                          NUTAG_APPL_METHOD ("UPDATE"),
                          /* RFC 5768: "ice" says we take ICE offers. No 100rel:
                           * we read answers only from 2xx responses. */
                          SIPTAG_SUPPORTED_STR ("timer, ice"),
                          TAG_END ());
  if (!self->nua)
    {
      remove_cert_dir (self);
      set_failure (self, FLOE_ACCOUNT_FAILURE_LOCAL, 0, NULL);
      set_state (self, FLOE_ACCOUNT_FAILED);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, self->failure_message);
      return FALSE;
    }

  g_free (self->local_address);
  self->local_address = g_strdup (host);
  g_free (self->contact);
  self->contact = g_strdup_printf (strchr (host, ':') ? "sip:%s@[%s]:%u" : "sip:%s@%s:%u", self->user, host, port);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CONTACT]);

  if (self->do_register)
    do_register (self);
  else
    set_state (self, FLOE_ACCOUNT_READY);
  return TRUE;
}

void
floe_account_stop (FloeAccount *self)
{
  g_return_if_fail (FLOE_IS_ACCOUNT (self));

  g_clear_handle_id (&self->retry_source, g_source_remove);
  stop_keepalive (self);
  if (!self->nua || self->state == FLOE_ACCOUNT_STOPPING || self->shutdown_done)
    return;
  /* Only a registration the server accepted is worth a REGISTER with
   * expires 0. One still in progress may yet be challenged, and nua takes
   * no nua_authenticate() once shutting down: it would wait 30 s for us.
   * Drop its handle while nua still takes signals, so that it goes before
   * the shutdown (should the REGISTER in flight succeed, the server lets
   * that binding expire). */
  if (self->state != FLOE_ACCOUNT_REGISTERED)
    g_clear_pointer (&self->reg, nua_handle_destroy);
  set_state (self, FLOE_ACCOUNT_STOPPING);
  /* Sends BYE on every call and a REGISTER with expires 0. */
  nua_shutdown (self->nua);
}

FloeCall *
floe_account_new_call (FloeAccount *self, const char *uri, GError **error)
{
  g_autofree char *target = NULL;
  url_t *url;
  su_home_t home[1] = { SU_HOME_INIT (home) };
  FloeCall *call;

  g_return_val_if_fail (FLOE_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  if (!self->nua || self->state == FLOE_ACCOUNT_STOPPING)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           _("The account is not connected, so it cannot place calls."));
      return NULL;
    }
  if (strchr (uri, ':') || strchr (uri, '@'))
    target = g_str_has_prefix (uri, "sip:") || g_str_has_prefix (uri, "sips:") ? g_strdup (uri)
                                                                             : g_strconcat ("sip:", uri, NULL);
  else
    {
      /* A bare user name: the AOR's domain. */
      const char *at = strchr (self->aor, '@');
      target = g_strdup_printf ("sip:%s@%s", uri, at ? at + 1 : "invalid");
    }
  url = url_make (home, target);
  if (!url || (url->url_type != url_sip && url->url_type != url_sips) || !url->url_host)
    {
      su_home_deinit (home);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an address Floe can call. Use a form such as sip:bob@example.org."), uri);
      return NULL;
    }
  su_home_deinit (home);
  call = floe_call_new_outgoing (self, target);
  g_ptr_array_add (self->calls, g_object_ref (call));
  return call;
}

void
floe_account_call_ended (FloeAccount *self, FloeCall *call)
{
  g_ptr_array_remove (self->calls, call);
}

nua_t *
floe_account_get_nua (FloeAccount *self)
{
  return self->nua;
}

static const struct
{
  const char *name;
  FloeCodec codec;
} codec_table[] = { { "opus", FLOE_CODEC_OPUS }, { "pcmu", FLOE_CODEC_PCMU }, { "pcma", FLOE_CODEC_PCMA } };

/* names: "opus", "pcmu", "pcma" in preference order; unknown names are
 * skipped; NULL or nothing known means all three, Opus first. */
static void
set_codecs (FloeAccount *self, const char *const *names)
{
  guint n = 0;

  for (guint i = 0; names && names[i] && n < G_N_ELEMENTS (codec_table); i++)
    for (guint k = 0; k < G_N_ELEMENTS (codec_table); k++)
      if (g_ascii_strcasecmp (names[i], codec_table[k].name) == 0)
        self->codecs[n++] = codec_table[k].codec;
  if (n == 0)
    for (; n < G_N_ELEMENTS (codec_table); n++)
      self->codecs[n] = codec_table[n].codec;
  self->codecs[n] = FLOE_CODEC_NONE;
}

static char **
codec_names (FloeAccount *self)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; self->codecs[i] != FLOE_CODEC_NONE; i++)
    for (guint k = 0; k < G_N_ELEMENTS (codec_table); k++)
      if (codec_table[k].codec == self->codecs[i])
        g_strv_builder_add (b, codec_table[k].name);
  return g_strv_builder_end (b);
}

const FloeCodec *
floe_account_get_codecs (FloeAccount *self)
{
  return self->codecs;
}

FloeSrtpPolicy
floe_account_get_srtp (FloeAccount *self)
{
  return self->srtp;
}

const char *
floe_account_get_local_address (FloeAccount *self)
{
  return self->local_address ? self->local_address : "127.0.0.1";
}

FloeAccountState
floe_account_get_state (FloeAccount *self)
{
  g_return_val_if_fail (FLOE_IS_ACCOUNT (self), FLOE_ACCOUNT_OFFLINE);
  return self->state;
}

FloeAccountFailure
floe_account_get_failure (FloeAccount *self)
{
  g_return_val_if_fail (FLOE_IS_ACCOUNT (self), FLOE_ACCOUNT_FAILURE_NONE);
  return self->failure;
}

const char *
floe_account_get_failure_message (FloeAccount *self)
{
  g_return_val_if_fail (FLOE_IS_ACCOUNT (self), NULL);
  return self->failure_message;
}

const char *
floe_account_get_contact (FloeAccount *self)
{
  g_return_val_if_fail (FLOE_IS_ACCOUNT (self), NULL);
  return self->contact;
}

/* ------------------------------------------------------------- GObject */

static void
floe_account_dispose (GObject *object)
{
  FloeAccount *self = FLOE_ACCOUNT (object);

  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  if (self->tls_probe)
    {
      g_cancellable_cancel (self->tls_probe);
      g_clear_object (&self->tls_probe);
    }
  if (self->nua && !self->shutdown_done)
    {
      /* Last reference gone while running: finish the shutdown here so no
       * nua callback can reach a freed account. nua gives up on an
       * unanswering server after its own timers. */
      floe_account_stop (self);
      while (!self->shutdown_done)
        g_main_context_iteration (NULL, TRUE);
    }
  if (self->destroy_source)
    {
      g_clear_handle_id (&self->destroy_source, g_source_remove);
      g_object_unref (self);
    }
  g_clear_pointer (&self->reg, nua_handle_destroy);
  g_clear_pointer (&self->nua, nua_destroy);
  remove_cert_dir (self);
  G_OBJECT_CLASS (floe_account_parent_class)->dispose (object);
}

static void
floe_account_finalize (GObject *object)
{
  FloeAccount *self = FLOE_ACCOUNT (object);

  g_free (self->aor);
  g_free (self->auth_username);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->registrar);
  g_free (self->outbound_proxy);
  g_free (self->local_address);
  g_free (self->ca_file);
  g_free (self->failure_message);
  g_free (self->contact);
  g_free (self->user);
  g_ptr_array_unref (self->calls);
  G_OBJECT_CLASS (floe_account_parent_class)->finalize (object);
}

static char *
user_of (const char *aor)
{
  const char *colon = aor ? strchr (aor, ':') : NULL;
  const char *at = aor ? strchr (aor, '@') : NULL;

  if (!colon || !at || at <= colon + 1)
    return NULL;
  return g_strndup (colon + 1, (gsize) (at - colon - 1));
}

static void
floe_account_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FloeAccount *self = FLOE_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_AOR:
      g_free (self->aor);
      self->aor = g_value_dup_string (value);
      g_free (self->user);
      self->user = user_of (self->aor);
      break;
    case PROP_AUTH_USERNAME:
      g_free (self->auth_username);
      self->auth_username = g_value_dup_string (value);
      break;
    case PROP_PASSWORD:
      g_free (self->password);
      self->password = g_value_dup_string (value);
      break;
    case PROP_REGISTRAR:
      g_free (self->registrar);
      self->registrar = g_value_dup_string (value);
      break;
    case PROP_REGISTER:
      self->do_register = g_value_get_boolean (value);
      break;
    case PROP_OUTBOUND_PROXY:
      g_free (self->outbound_proxy);
      self->outbound_proxy = g_value_dup_string (value);
      break;
    case PROP_TRANSPORT:
      self->transport = g_value_get_int (value);
      break;
    case PROP_LOCAL_ADDRESS:
      g_free (self->local_address);
      self->local_address = g_value_dup_string (value);
      break;
    case PROP_LOCAL_PORT:
      self->local_port = g_value_get_uint (value);
      break;
    case PROP_CA_FILE:
      g_free (self->ca_file);
      self->ca_file = g_value_dup_string (value);
      break;
    case PROP_VERIFY_TLS:
      self->verify_tls = g_value_get_boolean (value);
      break;
    case PROP_EXPIRES:
      self->expires = g_value_get_uint (value);
      break;
    case PROP_KEEPALIVE:
      self->keepalive = g_value_get_uint (value);
      break;
    case PROP_RETRY_MIN:
      self->retry_min = g_value_get_uint (value);
      break;
    case PROP_RETRY_MAX:
      self->retry_max = g_value_get_uint (value);
      break;
    case PROP_TRANSACTION_TIMEOUT:
      self->transaction_timeout = g_value_get_uint (value);
      break;
    case PROP_CODECS:
      set_codecs (self, g_value_get_boxed (value));
      break;
    case PROP_SRTP:
      self->srtp = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
floe_account_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FloeAccount *self = FLOE_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_AOR: g_value_set_string (value, self->aor); break;
    case PROP_AUTH_USERNAME: g_value_set_string (value, self->auth_username); break;
    case PROP_REGISTRAR: g_value_set_string (value, self->registrar); break;
    case PROP_REGISTER: g_value_set_boolean (value, self->do_register); break;
    case PROP_OUTBOUND_PROXY: g_value_set_string (value, self->outbound_proxy); break;
    case PROP_TRANSPORT: g_value_set_int (value, self->transport); break;
    case PROP_LOCAL_ADDRESS: g_value_set_string (value, self->local_address); break;
    case PROP_LOCAL_PORT: g_value_set_uint (value, self->local_port); break;
    case PROP_CA_FILE: g_value_set_string (value, self->ca_file); break;
    case PROP_VERIFY_TLS: g_value_set_boolean (value, self->verify_tls); break;
    case PROP_EXPIRES: g_value_set_uint (value, self->expires); break;
    case PROP_KEEPALIVE: g_value_set_uint (value, self->keepalive); break;
    case PROP_RETRY_MIN: g_value_set_uint (value, self->retry_min); break;
    case PROP_RETRY_MAX: g_value_set_uint (value, self->retry_max); break;
    case PROP_TRANSACTION_TIMEOUT: g_value_set_uint (value, self->transaction_timeout); break;
    case PROP_SRTP: g_value_set_int (value, self->srtp); break;
    case PROP_CODECS: g_value_take_boxed (value, codec_names (self)); break;
    case PROP_STATE: g_value_set_int (value, self->state); break;
    case PROP_FAILURE: g_value_set_int (value, self->failure); break;
    case PROP_FAILURE_MESSAGE: g_value_set_string (value, self->failure_message); break;
    case PROP_CONTACT: g_value_set_string (value, self->contact); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
floe_account_constructed (GObject *object)
{
  FloeAccount *self = FLOE_ACCOUNT (object);

  G_OBJECT_CLASS (floe_account_parent_class)->constructed (object);
  if (!self->auth_username)
    self->auth_username = g_strdup (self->user);
  self->retry_max = MAX (self->retry_max, self->retry_min);
}

static void
floe_account_class_init (FloeAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = floe_account_dispose;
  object_class->finalize = floe_account_finalize;
  object_class->set_property = floe_account_set_property;
  object_class->get_property = floe_account_get_property;
  object_class->constructed = floe_account_constructed;

  props[PROP_AOR] = g_param_spec_string ("aor", NULL, NULL, NULL, rw);
  props[PROP_AUTH_USERNAME] = g_param_spec_string ("auth-username", NULL, NULL, NULL, rw);
  props[PROP_PASSWORD] = g_param_spec_string ("password", NULL, NULL, NULL,
                                              G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_REGISTRAR] = g_param_spec_string ("registrar", NULL, NULL, NULL, rw);
  props[PROP_REGISTER] = g_param_spec_boolean ("register", NULL, NULL, TRUE, rw);
  props[PROP_OUTBOUND_PROXY] = g_param_spec_string ("outbound-proxy", NULL, NULL, NULL, rw);
  props[PROP_TRANSPORT] = g_param_spec_int ("transport", NULL, NULL, FLOE_SIP_TRANSPORT_UDP,
                                            FLOE_SIP_TRANSPORT_TLS, FLOE_SIP_TRANSPORT_UDP, rw);
  props[PROP_LOCAL_ADDRESS] = g_param_spec_string ("local-address", NULL, NULL, NULL, rw);
  props[PROP_LOCAL_PORT] = g_param_spec_uint ("local-port", NULL, NULL, 0, 65534, 0, rw);
  props[PROP_CA_FILE] = g_param_spec_string ("ca-file", NULL, NULL, NULL, rw);
  props[PROP_VERIFY_TLS] = g_param_spec_boolean ("verify-tls", NULL, NULL, TRUE, rw);
  props[PROP_EXPIRES] = g_param_spec_uint ("expires", NULL, NULL, 1, 86400, 600, rw);
  props[PROP_KEEPALIVE] = g_param_spec_uint ("keepalive", NULL, NULL, 0, 3600, 25, rw);
  props[PROP_RETRY_MIN] = g_param_spec_uint ("retry-min", NULL, NULL, 1, 3600, 5, rw);
  props[PROP_RETRY_MAX] = g_param_spec_uint ("retry-max", NULL, NULL, 1, 86400, 300, rw);
  props[PROP_TRANSACTION_TIMEOUT] = g_param_spec_uint ("transaction-timeout", NULL, NULL, 500, 64000, 32000, rw);
  props[PROP_SRTP] = g_param_spec_int ("srtp", NULL, NULL, FLOE_SRTP_OFF, FLOE_SRTP_REQUIRED,
                                       FLOE_SRTP_OPTIONAL, rw);
  props[PROP_CODECS] = g_param_spec_boxed ("codecs", NULL, NULL, G_TYPE_STRV, rw);
  props[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, FLOE_ACCOUNT_OFFLINE, FLOE_ACCOUNT_STOPPING,
                                        FLOE_ACCOUNT_OFFLINE, ro);
  props[PROP_FAILURE] = g_param_spec_int ("failure", NULL, NULL, FLOE_ACCOUNT_FAILURE_NONE,
                                          FLOE_ACCOUNT_FAILURE_LOCAL, FLOE_ACCOUNT_FAILURE_NONE, ro);
  props[PROP_FAILURE_MESSAGE] = g_param_spec_string ("failure-message", NULL, NULL, NULL, ro);
  props[PROP_CONTACT] = g_param_spec_string ("contact", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_INCOMING_CALL] = g_signal_new ("incoming-call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, FLOE_TYPE_CALL);
}

static void
floe_account_init (FloeAccount *self)
{
  self->calls = g_ptr_array_new_with_free_func (g_object_unref);
  self->do_register = TRUE;
  self->verify_tls = TRUE;
  self->expires = 600;
  self->keepalive = 25;
  self->retry_min = 5;
  self->retry_max = 300;
  self->transaction_timeout = 32000;
  self->srtp = FLOE_SRTP_OPTIONAL;
  set_codecs (self, NULL);
}
