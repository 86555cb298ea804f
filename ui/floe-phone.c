/* FloePhone: saved accounts -> live FloeAccounts; one call at a time with
 * its FloeCallMedia and audio devices; finished calls -> history. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ice/addr.h"
#include "ice/cand.h"
#include "media/device.h"
#include "src/floe-ice-server.h"

#include "floe-phone.h"
#include "floe-ringtone.h"
#include "floe-secret-store.h"

/* How long received audio may stall, while neither side holds, before the
 * call view warns that audio flows one way only. */
#define ONE_WAY_AFTER_US (4 * G_USEC_PER_SEC)

typedef struct {
  FloePhone *phone; /* weak: the phone owns the table that owns us */
  char *id;
  GSettings *settings;
  FloeAccount *account;
  char *problem;
  GCancellable *cancellable;
} PhoneAccount;

struct _FloePhone {
  GObject parent_instance;

  GSettings *settings;
  FloeCallHistory *history;
  GHashTable *accounts; /* id -> PhoneAccount */
  GPtrArray *stopping;  /* FloeAccount being unregistered */
  gboolean started;
  char *turn_password;  /* from the keyring; wiped when replaced */
  GCancellable *cancellable;
  FloeIcePool *pool;    /* candidates for the next call, gathered ahead */
  char *pool_settings;  /* the ICE settings it gathers with (secret: never logged) */

  FloeRingtone *ringtone;

  /* The current call. */
  FloeCall *call;
  FloeCallMedia *media;
  GPtrArray *ice_servers;
  media_device *source;
  media_device *sink;
  char *device_problem;
  char *ice_problem;
  gboolean media_ready;
  gboolean answer_when_ready;
  gint64 started_at;    /* real time, seconds */
  gint64 active_since;  /* monotonic, µs; 0 before the answer */
  guint64 rx_packets;   /* for one-way audio: the last count seen */
  gint64 rx_changed_at; /* monotonic µs when it last grew */
  char path_local[ICE_ADDR_STRLEN];
  char path_remote[ICE_ADDR_STRLEN];
};

G_DEFINE_FINAL_TYPE (FloePhone, floe_phone, G_TYPE_OBJECT)

enum { PROP_0, PROP_CALL, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_ACCOUNT_CHANGED, SIGNAL_INCOMING_CALL, SIGNAL_CALL_ENDED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void phone_account_start (PhoneAccount *pa);

/* --- accounts ----------------------------------------------------------- */

static void
phone_account_set_problem (PhoneAccount *pa, const char *problem)
{
  g_free (pa->problem);
  pa->problem = g_strdup (problem);
  g_signal_emit (pa->phone, signals[SIGNAL_ACCOUNT_CHANGED], 0, pa->id);
}

/* Unregistering takes a round trip: the account is kept until it is
 * offline, so that the server hears the un-REGISTER. */
static void
on_stopping_account_state (FloeAccount *account, GParamSpec *pspec, FloePhone *self)
{
  guint index;

  if (floe_account_get_state (account) != FLOE_ACCOUNT_OFFLINE ||
      !g_ptr_array_find (self->stopping, account, &index))
    return;
  /* Not from inside the account's own notification: let it go when idle. */
  g_signal_handlers_disconnect_by_data (account, self);
  g_ptr_array_steal_index (self->stopping, index);
  g_idle_add_once ((GSourceOnceFunc) g_object_unref, account);
}

static void
phone_account_stop (PhoneAccount *pa)
{
  FloePhone *self = pa->phone;
  FloeAccount *account = g_steal_pointer (&pa->account);

  g_cancellable_cancel (pa->cancellable);
  g_clear_object (&pa->cancellable);
  if (account == NULL)
    return;
  g_signal_handlers_disconnect_by_data (account, pa);
  if (self->call != NULL && g_object_get_data (G_OBJECT (self->call), "floe-account") == account)
    floe_call_hangup (self->call);
  floe_account_stop (account);
  if (floe_account_get_state (account) == FLOE_ACCOUNT_OFFLINE)
    {
      g_object_unref (account);
      return;
    }
  g_signal_connect_object (account, "notify::state", G_CALLBACK (on_stopping_account_state), self, 0);
  g_ptr_array_add (self->stopping, account);
}

static void
phone_account_free (gpointer data)
{
  PhoneAccount *pa = data;

  phone_account_stop (pa);
  g_signal_handlers_disconnect_by_data (pa->settings, pa);
  g_clear_object (&pa->settings);
  g_free (pa->problem);
  g_free (pa->id);
  g_free (pa);
}

static void
on_account_state (FloeAccount *account, GParamSpec *pspec, PhoneAccount *pa)
{
  g_signal_emit (pa->phone, signals[SIGNAL_ACCOUNT_CHANGED], 0, pa->id);
}

static void floe_phone_take_call (FloePhone *self, FloeCall *call, FloeAccount *account);

static void
on_incoming_call (FloeAccount *account, FloeCall *call, PhoneAccount *pa)
{
  FloePhone *self = pa->phone;

  if (self->call != NULL)
    {
      g_autoptr (FloeHistoryEntry) entry = NULL;

      /* One call at a time: busy, and the caller is in the history. */
      floe_call_reject (call, TRUE);
      entry = floe_history_entry_new (floe_call_get_remote_uri (call), FLOE_CALL_DIRECTION_MISSED,
                                      g_get_real_time () / G_USEC_PER_SEC, 0);
      floe_call_history_add (self->history, entry, NULL);
      return;
    }
  floe_phone_take_call (self, call, account);
}

/* "127.0.0.1:5060" is what people type for a registrar; the core wants a URI. */
static char *
as_sip_uri (const char *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  if (*stripped == '\0')
    return NULL;
  if (g_str_has_prefix (stripped, "sip:") || g_str_has_prefix (stripped, "sips:"))
    return g_steal_pointer (&stripped);
  return g_strconcat ("sip:", stripped, NULL);
}

static void
on_password (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PhoneAccount *pa = user_data;
  g_autoptr (GError) error = NULL;
  char *password = floe_secret_lookup_finish (result, &error);
  g_autofree char *address = NULL;
  g_autofree char *registrar = NULL;
  g_autofree char *proxy = NULL;
  g_autofree char *registrar_text = NULL;
  g_autofree char *proxy_text = NULL;
  g_auto (GStrv) codecs = NULL;
  int transport, srtp;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* pa may be gone */
  if (password == NULL)
    {
      g_autofree char *problem = error != NULL
        ? g_strdup_printf (_("The password could not be read from the keyring: %s"), error->message)
        : g_strdup (_("No password for this account in the keyring: remove the account and add it again."));

      phone_account_set_problem (pa, problem);
      return;
    }

  address = g_settings_get_string (pa->settings, "address");
  registrar_text = g_settings_get_string (pa->settings, "registrar");
  proxy_text = g_settings_get_string (pa->settings, "outbound-proxy");
  registrar = as_sip_uri (registrar_text);
  proxy = as_sip_uri (proxy_text);
  transport = g_settings_get_enum (pa->settings, "transport");
  srtp = g_settings_get_enum (pa->phone->settings, "srtp-policy");
  codecs = g_settings_get_strv (pa->phone->settings, "codec-order");

  pa->account = g_object_new (FLOE_TYPE_ACCOUNT,
                              "aor", address,
                              "password", password,
                              "registrar", registrar,
                              "outbound-proxy", proxy,
                              "transport", transport == 2 ? FLOE_SIP_TRANSPORT_TLS
                                           : transport == 1 ? FLOE_SIP_TRANSPORT_TCP : FLOE_SIP_TRANSPORT_UDP,
                              "srtp", srtp == 0 ? FLOE_SRTP_OFF : srtp == 2 ? FLOE_SRTP_REQUIRED : FLOE_SRTP_OPTIONAL,
                              "codecs", codecs,
                              NULL);
  floe_secret_free (password);
  g_signal_connect (pa->account, "notify::state", G_CALLBACK (on_account_state), pa);
  g_signal_connect (pa->account, "incoming-call", G_CALLBACK (on_incoming_call), pa);
  if (!floe_account_start (pa->account, &error))
    {
      g_autofree char *problem = g_strdup_printf (_("The account could not start: %s"), error->message);

      g_signal_handlers_disconnect_by_data (pa->account, pa);
      g_clear_object (&pa->account);
      phone_account_set_problem (pa, problem);
      return;
    }
  phone_account_set_problem (pa, NULL);
}

static void
phone_account_start (PhoneAccount *pa)
{
  phone_account_stop (pa);
  g_clear_pointer (&pa->problem, g_free);
  if (!g_settings_get_boolean (pa->settings, "enabled"))
    {
      g_signal_emit (pa->phone, signals[SIGNAL_ACCOUNT_CHANGED], 0, pa->id);
      return;
    }
  pa->cancellable = g_cancellable_new ();
  floe_secret_lookup_async (FLOE_SECRET_SIP_ACCOUNT, pa->id, pa->cancellable, on_password, pa);
  g_signal_emit (pa->phone, signals[SIGNAL_ACCOUNT_CHANGED], 0, pa->id);
}

/* Any change to an account's settings restarts it with the new ones. */
static void
on_account_settings_changed (GSettings *settings, const char *key, PhoneAccount *pa)
{
  phone_account_start (pa);
}

static void
floe_phone_sync_accounts (FloePhone *self)
{
  g_auto (GStrv) ids = g_settings_get_strv (self->settings, "accounts");
  g_autoptr (GPtrArray) gone = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->accounts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_strv_contains ((const char *const *) ids, key))
      g_ptr_array_add (gone, key);
  for (guint i = 0; i < gone->len; i++)
    {
      g_autofree char *id = g_strdup (g_ptr_array_index (gone, i));

      g_hash_table_remove (self->accounts, id);
      g_signal_emit (self, signals[SIGNAL_ACCOUNT_CHANGED], 0, id);
    }

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *path = NULL;
      PhoneAccount *pa;

      if (g_hash_table_contains (self->accounts, ids[i]))
        continue;
      path = g_strdup_printf ("/org/floe/Floe/accounts/%s/", ids[i]);
      pa = g_new0 (PhoneAccount, 1);
      pa->phone = self;
      pa->id = g_strdup (ids[i]);
      pa->settings = g_settings_new_with_path ("org.floe.Floe.Account", path);
      g_hash_table_insert (self->accounts, pa->id, pa);
      g_signal_connect (pa->settings, "changed", G_CALLBACK (on_account_settings_changed), pa);
      phone_account_start (pa);
    }
}

static void floe_phone_refresh_pool (FloePhone *self);

/* --- the TURN password, kept in memory for the next call ---------------- */

static void
on_turn_password (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  char *password = floe_secret_lookup_finish (result, &error);
  FloePhone *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      floe_secret_free (password);
      return;
    }
  self = FLOE_PHONE (user_data);
  if (error != NULL)
    g_warning ("The TURN password could not be read from the keyring: %s", error->message);
  floe_secret_free (self->turn_password);
  self->turn_password = password;
  floe_phone_refresh_pool (self);
}

static void
floe_phone_fetch_turn_password (FloePhone *self)
{
  g_autofree char *server = g_settings_get_string (self->settings, "turn-server");
  g_autofree char *user = g_settings_get_string (self->settings, "turn-username");
  g_autofree char *key = NULL;

  g_clear_pointer (&self->turn_password, floe_secret_free);
  if (*server == '\0' || *user == '\0')
    return;
  key = g_strdup_printf ("%s@%s", user, server);
  floe_secret_lookup_async (FLOE_SECRET_TURN, key, self->cancellable, on_turn_password, self);
}

static void
on_turn_settings_changed (FloePhone *self)
{
  floe_phone_fetch_turn_password (self);
}

static FloeIcePolicy
floe_phone_ice_policy (FloePhone *self)
{
  switch (g_settings_get_enum (self->settings, "ice-policy"))
    {
    case 1:
      return FLOE_ICE_POLICY_NO_RELAY;
    case 2:
      return FLOE_ICE_POLICY_RELAY_ONLY;
    default:
      return FLOE_ICE_POLICY_ALL;
    }
}

/* STUN, and TURN unless the policy keeps calls off relays (the transport
 * also leaves TURN out then). */
static GPtrArray *
floe_phone_ice_servers (FloePhone *self)
{
  GPtrArray *servers = g_ptr_array_new_with_free_func ((GDestroyNotify) floe_ice_server_free);
  g_autofree char *stun = g_settings_get_string (self->settings, "stun-server");
  g_autofree char *turn = g_settings_get_string (self->settings, "turn-server");
  g_autofree char *user = g_settings_get_string (self->settings, "turn-username");
  gboolean relay_allowed = floe_phone_ice_policy (self) != FLOE_ICE_POLICY_NO_RELAY;
  FloeIceServer *server;

  if (*stun != '\0' && (server = floe_ice_server_parse (stun, FLOE_ICE_SERVER_STUN, NULL)) != NULL)
    g_ptr_array_add (servers, server);
  if (relay_allowed && *turn != '\0' && (server = floe_ice_server_parse (turn, FLOE_ICE_SERVER_TURN, NULL)) != NULL)
    {
      server->username = g_strdup (user);
      server->password = g_strdup (self->turn_password != NULL ? self->turn_password : "");
      g_ptr_array_add (servers, server);
    }
  return servers;
}

/* --- candidates gathered ahead ------------------------------------------ */

/* While an account exists (and gather-ahead is on), the next call's
 * candidates are gathered ahead with the ICE settings of the moment; a
 * change of settings (or the TURN password arriving from the keyring)
 * replaces the pool. */
static void
floe_phone_refresh_pool (FloePhone *self)
{
  g_autoptr (GPtrArray) servers = NULL;
  g_autofree char *interfaces = g_settings_get_string (self->settings, "ice-interfaces");
  g_autofree char *key = NULL;
  GString *k;

  if (g_hash_table_size (self->accounts) == 0 || !g_settings_get_boolean (self->settings, "gather-ahead"))
    {
      g_clear_object (&self->pool);
      g_clear_pointer (&self->pool_settings, floe_secret_free);
      return;
    }
  servers = floe_phone_ice_servers (self);
  k = g_string_new (interfaces);
  g_string_append_printf (k, "|%d", floe_phone_ice_policy (self));
  for (guint i = 0; i < servers->len; i++)
    {
      const FloeIceServer *server = servers->pdata[i];
      g_autofree char *uri = floe_ice_server_to_string (server);

      g_string_append_printf (k, "|%s|%s|%s", uri, server->username ? server->username : "",
                              server->password ? server->password : "");
    }
  key = g_string_free (k, FALSE);
  if (self->pool != NULL && g_strcmp0 (key, self->pool_settings) == 0)
    {
      floe_secret_free (g_steal_pointer (&key));
      return;
    }
  g_clear_object (&self->pool);
  floe_secret_free (self->pool_settings);
  self->pool_settings = g_steal_pointer (&key);
  self->pool = floe_ice_pool_new (servers, floe_phone_ice_policy (self), *interfaces != '\0' ? interfaces : NULL);
}

/* --- the current call --------------------------------------------------- */

static media_device *
open_device (FloePhone *self, media_device_dir dir)
{
  g_autofree char *name = g_settings_get_string (self->settings,
                                                  dir == MEDIA_DEVICE_SOURCE ? "input-device" : "output-device");
  int err = 0;
  media_device *device = media_device_portaudio_new (dir, *name != '\0' ? name : NULL, &err);
  const char *problem;

  if (device != NULL)
    return device;
  problem = dir == MEDIA_DEVICE_SOURCE
    ? _("No microphone could be opened: the other side will not hear you.")
    : _("No speaker could be opened: you will not hear the other side.");
  if (self->device_problem == NULL)
    self->device_problem = g_strdup (problem);
  else
    {
      char *both = g_strconcat (self->device_problem, " ", problem, NULL);

      g_free (self->device_problem);
      self->device_problem = both;
    }
  return NULL;
}

static void
floe_phone_drop_call (FloePhone *self)
{
  FloeCall *call = g_steal_pointer (&self->call);

  floe_ringtone_stop (self->ringtone);
  if (call != NULL)
    g_signal_handlers_disconnect_by_data (call, self);
  if (self->media != NULL)
    g_signal_handlers_disconnect_by_data (self->media, self);
  /* The media thread stops before the devices go, even if a pending event
   * still holds a reference to the media. */
  if (self->media != NULL)
    floe_call_media_stop (self->media);
  g_clear_object (&self->media);
  g_clear_pointer (&self->source, media_device_free);
  g_clear_pointer (&self->sink, media_device_free);
  g_clear_pointer (&self->ice_servers, g_ptr_array_unref);
  g_clear_pointer (&self->device_problem, g_free);
  g_clear_pointer (&self->ice_problem, g_free);
  self->media_ready = FALSE;
  self->answer_when_ready = FALSE;
  self->active_since = 0;
  self->rx_packets = 0;
  self->rx_changed_at = 0;
  g_clear_object (&call);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CALL]);
}

static void
on_call_state (FloeCall *call, GParamSpec *pspec, FloePhone *self)
{
  FloeCallState state = floe_call_get_state (call);

  if (state != FLOE_CALL_RINGING)
    floe_ringtone_stop (self->ringtone);

  if (state == FLOE_CALL_ACTIVE && self->active_since == 0)
    {
      self->active_since = g_get_monotonic_time ();
      self->rx_changed_at = self->active_since;
    }
  if (state == FLOE_CALL_ENDED)
    {
      g_autoptr (FloeCall) keep = g_object_ref (call);
      g_autoptr (FloeHistoryEntry) entry = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *sentence = g_strdup (floe_call_get_end_message (call) != NULL
                                            ? floe_call_get_end_message (call) : _("The call ended."));
      FloeCallDirection direction = !floe_call_get_incoming (call) ? FLOE_CALL_DIRECTION_OUTGOING
                                    : self->active_since != 0 ? FLOE_CALL_DIRECTION_INCOMING
                                    : FLOE_CALL_DIRECTION_MISSED;

      entry = floe_history_entry_new (floe_call_get_remote_uri (call), direction, self->started_at,
                                      floe_phone_get_call_duration (self));
      if (!floe_call_history_add (self->history, entry, &error))
        g_warning ("%s", error->message);
      floe_phone_drop_call (self);
      g_signal_emit (self, signals[SIGNAL_CALL_ENDED], 0, sentence);
      return;
    }
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CALL]);
}

static void
on_call_changed (FloeCall *call, GParamSpec *pspec, FloePhone *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CALL]);
}

static void
on_media_ready (FloeCallMedia *media, FloePhone *self)
{
  self->media_ready = TRUE;
  if (!floe_call_get_incoming (self->call))
    floe_call_dial (self->call);
  else if (self->answer_when_ready)
    floe_call_answer (self->call);
  else
    {
      g_autofree char *output = g_settings_get_string (self->settings, "output-device");

      floe_call_ring (self->call);
      floe_ringtone_start (self->ringtone, output);
      g_signal_emit (self, signals[SIGNAL_INCOMING_CALL], 0, self->call);
    }
}

static void
on_ice_failed (FloeCallMedia *media, const char *sentence, FloePhone *self)
{
  g_free (self->ice_problem);
  self->ice_problem = g_strdup (sentence);
  if (!self->media_ready)
    floe_call_hangup (self->call);
}

static void
floe_phone_take_call (FloePhone *self, FloeCall *call, FloeAccount *account)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *interfaces = g_settings_get_string (self->settings, "ice-interfaces");
  FloeCallMediaConfig config = { 0 };

  self->call = g_object_ref (call);
  g_object_set_data (G_OBJECT (call), "floe-account", account);
  self->started_at = g_get_real_time () / G_USEC_PER_SEC;
  g_signal_connect (call, "notify::state", G_CALLBACK (on_call_state), self);
  g_signal_connect (call, "notify::held", G_CALLBACK (on_call_changed), self);
  g_signal_connect (call, "notify::remote-held", G_CALLBACK (on_call_changed), self);

  self->source = open_device (self, MEDIA_DEVICE_SOURCE);
  self->sink = open_device (self, MEDIA_DEVICE_SINK);
  floe_phone_refresh_pool (self);
  self->ice_servers = floe_phone_ice_servers (self);
  config.ice_servers = self->ice_servers;
  config.pool = self->pool;
  config.iface_filter = *interfaces != '\0' ? interfaces : NULL;
  config.source = self->source;
  config.sink = self->sink;
  config.ice_policy = floe_phone_ice_policy (self);
  self->media = floe_call_media_new (call, &config, &error);
  if (self->media != NULL)
    {
      g_signal_connect (self->media, "ready", G_CALLBACK (on_media_ready), self);
      g_signal_connect (self->media, "ice-failed", G_CALLBACK (on_ice_failed), self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CALL]);
  if (self->media == NULL || !floe_call_media_start (self->media, &error))
    {
      g_autofree char *sentence = g_strdup (error->message);

      /* Nothing was sent yet: the call ends here, with the reason. */
      floe_call_hangup (call);
      if (self->call == call && floe_call_get_state (call) != FLOE_CALL_ENDED)
        {
          floe_phone_drop_call (self);
          g_signal_emit (self, signals[SIGNAL_CALL_ENDED], 0, sentence);
        }
      return;
    }
}

/* --- public ------------------------------------------------------------- */

FloeAccount *
floe_phone_get_account (FloePhone *self, const char *account_id)
{
  PhoneAccount *pa;

  g_return_val_if_fail (FLOE_IS_PHONE (self), NULL);
  pa = g_hash_table_lookup (self->accounts, account_id);
  return pa != NULL ? pa->account : NULL;
}

const char *
floe_phone_get_account_problem (FloePhone *self, const char *account_id)
{
  PhoneAccount *pa;

  g_return_val_if_fail (FLOE_IS_PHONE (self), NULL);
  pa = g_hash_table_lookup (self->accounts, account_id);
  return pa != NULL ? pa->problem : NULL;
}

/* The first enabled account in the saved order that is registered (or
 * listening for direct calls). */
static FloeAccount *
floe_phone_usable_account (FloePhone *self)
{
  g_auto (GStrv) ids = g_settings_get_strv (self->settings, "accounts");

  for (guint i = 0; ids[i] != NULL; i++)
    {
      FloeAccount *account = floe_phone_get_account (self, ids[i]);

      if (account != NULL && (floe_account_get_state (account) == FLOE_ACCOUNT_REGISTERED ||
                              floe_account_get_state (account) == FLOE_ACCOUNT_READY))
        return account;
    }
  return NULL;
}

gboolean
floe_phone_dial (FloePhone *self, const char *address, GError **error)
{
  FloeAccount *account;
  g_autoptr (FloeCall) call = NULL;

  g_return_val_if_fail (FLOE_IS_PHONE (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  if (self->call != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("Hang up the current call first."));
      return FALSE;
    }
  account = floe_phone_usable_account (self);
  if (account == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           g_hash_table_size (self->accounts) == 0
                             ? _("Add an account before calling.")
                             : _("No account is connected yet: check its state above."));
      return FALSE;
    }
  call = floe_account_new_call (account, address, error);
  if (call == NULL)
    return FALSE;
  floe_phone_take_call (self, call, account);
  return TRUE;
}

FloeCall *
floe_phone_get_call (FloePhone *self)
{
  g_return_val_if_fail (FLOE_IS_PHONE (self), NULL);
  return self->call;
}

gint64
floe_phone_get_call_duration (FloePhone *self)
{
  g_return_val_if_fail (FLOE_IS_PHONE (self), 0);
  if (self->active_since == 0)
    return 0;
  return (g_get_monotonic_time () - self->active_since) / G_USEC_PER_SEC;
}

gboolean
floe_phone_get_stats (FloePhone *self, media_session_stats *stats)
{
  g_return_val_if_fail (FLOE_IS_PHONE (self), FALSE);
  return self->media != NULL && floe_call_media_get_stats (self->media, stats);
}

gboolean
floe_phone_get_encrypted (FloePhone *self)
{
  g_return_val_if_fail (FLOE_IS_PHONE (self), FALSE);
  return self->media != NULL && floe_call_media_uses_srtp (self->media);
}

char *
floe_phone_get_call_warning (FloePhone *self)
{
  g_autoptr (GString) warning = g_string_new (NULL);
  media_session_stats stats;

  g_return_val_if_fail (FLOE_IS_PHONE (self), NULL);
  if (self->call == NULL)
    return NULL;

  if (self->ice_problem != NULL)
    g_string_append (warning, self->ice_problem);
  if (self->device_problem != NULL)
    g_string_append_printf (warning, "%s%s", warning->len > 0 ? " " : "", self->device_problem);

  /* One-way audio: we send, but nothing has arrived for a while. */
  if (floe_call_get_state (self->call) == FLOE_CALL_ACTIVE && !floe_call_get_held (self->call) &&
      !floe_call_get_remote_held (self->call) && floe_phone_get_stats (self, &stats))
    {
      gint64 now = g_get_monotonic_time ();

      if (stats.packets_received != self->rx_packets)
        {
          self->rx_packets = stats.packets_received;
          self->rx_changed_at = now;
        }
      else if (now - self->rx_changed_at >= ONE_WAY_AFTER_US && stats.packets_sent > 0)
        g_string_append_printf (warning, "%s%s", warning->len > 0 ? " " : "",
                                _("No audio is arriving from the other side: they can hear you, but you cannot hear them."));
    }
  if (warning->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&warning), FALSE);
}

gboolean
floe_phone_get_path (FloePhone *self, FloePathInfo *path)
{
  ice_pair_info pair;

  g_return_val_if_fail (FLOE_IS_PHONE (self), FALSE);
  memset (path, 0, sizeof *path);
  if (self->media == NULL || !floe_call_media_get_pair (self->media, &pair))
    return FALSE;

  ice_addr_to_string (&pair.local.addr, self->path_local);
  ice_addr_to_string (&pair.remote.addr, self->path_remote);
  path->local_type = ice_cand_type_name (pair.local.type);
  path->local_address = self->path_local;
  path->remote_type = ice_cand_type_name (pair.remote.type);
  path->remote_address = self->path_remote;
  for (guint i = 0; self->ice_servers != NULL && i < self->ice_servers->len; i++)
    {
      const FloeIceServer *server = self->ice_servers->pdata[i];

      /* The call's own TURN server, to explain a relayed path in words. */
      if (server->kind == FLOE_ICE_SERVER_TURN)
        {
          path->relay_server = server->host;
          path->relay_transport = server->transport == FLOE_ICE_SERVER_TCP   ? "tcp"
                                  : server->transport == FLOE_ICE_SERVER_TLS ? "tls"
                                                                             : "udp";
        }
    }
  path->udp_blocked = floe_call_media_udp_blocked (self->media);
  path->check_rtt_ms = pair.rtt_us > 0 ? (gint64) (pair.rtt_us / 1000) : -1;
  return TRUE;
}

gboolean
floe_phone_is_ringing (FloePhone *self)
{
  g_return_val_if_fail (FLOE_IS_PHONE (self), FALSE);
  return floe_ringtone_is_playing (self->ringtone);
}

void
floe_phone_answer (FloePhone *self)
{
  g_return_if_fail (FLOE_IS_PHONE (self));
  if (self->call == NULL || !floe_call_get_incoming (self->call))
    return;
  if (self->media_ready)
    floe_call_answer (self->call);
  else
    self->answer_when_ready = TRUE;
}

void
floe_phone_decline (FloePhone *self)
{
  g_return_if_fail (FLOE_IS_PHONE (self));
  if (self->call != NULL && floe_call_get_incoming (self->call))
    floe_call_reject (self->call, FALSE);
}

void
floe_phone_hangup (FloePhone *self)
{
  g_return_if_fail (FLOE_IS_PHONE (self));
  if (self->call != NULL)
    floe_call_hangup (self->call);
}

gboolean
floe_phone_get_mute (FloePhone *self)
{
  g_return_val_if_fail (FLOE_IS_PHONE (self), FALSE);
  return self->media != NULL && floe_call_media_get_mute (self->media);
}

void
floe_phone_set_mute (FloePhone *self, gboolean muted)
{
  g_return_if_fail (FLOE_IS_PHONE (self));
  if (self->media != NULL)
    floe_call_media_set_mute (self->media, muted);
}

void
floe_phone_set_hold (FloePhone *self, gboolean hold)
{
  g_return_if_fail (FLOE_IS_PHONE (self));
  if (self->call != NULL && floe_call_get_state (self->call) == FLOE_CALL_ACTIVE)
    floe_call_set_hold (self->call, hold);
}

gboolean
floe_phone_send_dtmf (FloePhone *self, char digit)
{
  g_return_val_if_fail (FLOE_IS_PHONE (self), FALSE);
  return self->call != NULL && floe_call_send_dtmf (self->call, digit);
}

/* Another network: the candidates gathered ahead stand on the old one. */
static void
on_network_changed (FloePhone *self)
{
  if (self->pool != NULL)
    floe_ice_pool_renew (self->pool);
}

/* The settings candidates are gathered with. */
static const char *const ice_keys[] = { "accounts", "gather-ahead", "ice-policy", "stun-server", "turn-server",
                                        "turn-username", "ice-interfaces" };

void
floe_phone_start (FloePhone *self)
{
  g_return_if_fail (FLOE_IS_PHONE (self));
  if (self->started)
    return;
  self->started = TRUE;
  g_signal_connect_swapped (self->settings, "changed::accounts", G_CALLBACK (floe_phone_sync_accounts), self);
  g_signal_connect_swapped (self->settings, "changed::turn-server", G_CALLBACK (on_turn_settings_changed), self);
  g_signal_connect_swapped (self->settings, "changed::turn-username", G_CALLBACK (on_turn_settings_changed), self);
  for (guint i = 0; i < G_N_ELEMENTS (ice_keys); i++)
    {
      g_autofree char *signal = g_strconcat ("changed::", ice_keys[i], NULL);
      g_signal_connect_swapped (self->settings, signal, G_CALLBACK (floe_phone_refresh_pool), self);
    }
  g_signal_connect_swapped (g_network_monitor_get_default (), "network-changed",
                            G_CALLBACK (on_network_changed), self);
  floe_phone_fetch_turn_password (self);
  floe_phone_sync_accounts (self);
  floe_phone_refresh_pool (self);
}

void
floe_phone_stop (FloePhone *self)
{
  g_return_if_fail (FLOE_IS_PHONE (self));
  if (self->call != NULL)
    floe_call_hangup (self->call);
  g_signal_handlers_disconnect_by_data (self->settings, self);
  g_signal_handlers_disconnect_by_data (g_network_monitor_get_default (), self);
  g_hash_table_remove_all (self->accounts);
  floe_phone_refresh_pool (self);
  self->started = FALSE;

  /* Quitting: give the registrars a moment to hear that we leave, so that
   * calls stop being routed here. Bounded: a dead server cannot hold us. */
  {
    gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

    while (self->stopping->len > 0 && g_get_monotonic_time () < deadline)
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (10000);
  }
}

/* --- GObject ------------------------------------------------------------ */

static void
floe_phone_dispose (GObject *object)
{
  FloePhone *self = FLOE_PHONE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->started)
    g_signal_handlers_disconnect_by_data (g_network_monitor_get_default (), self);
  floe_phone_drop_call (self);
  g_hash_table_remove_all (self->accounts);
  g_clear_object (&self->pool);
  g_clear_pointer (&self->pool_settings, floe_secret_free);
  g_ptr_array_set_size (self->stopping, 0);
  G_OBJECT_CLASS (floe_phone_parent_class)->dispose (object);
}

static void
floe_phone_finalize (GObject *object)
{
  FloePhone *self = FLOE_PHONE (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->history);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->ringtone);
  g_hash_table_unref (self->accounts);
  g_ptr_array_unref (self->stopping);
  g_clear_pointer (&self->turn_password, floe_secret_free);
  G_OBJECT_CLASS (floe_phone_parent_class)->finalize (object);
}

static void
floe_phone_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CALL:
      g_value_set_object (value, FLOE_PHONE (object)->call);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
floe_phone_class_init (FloePhoneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->dispose = floe_phone_dispose;
  object_class->finalize = floe_phone_finalize;
  object_class->get_property = floe_phone_get_property;

  props[PROP_CALL] = g_param_spec_object ("call", NULL, NULL, FLOE_TYPE_CALL,
                                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_ACCOUNT_CHANGED] = g_signal_new ("account-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_INCOMING_CALL] = g_signal_new ("incoming-call", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                                NULL, G_TYPE_NONE, 1, FLOE_TYPE_CALL);
  signals[SIGNAL_CALL_ENDED] = g_signal_new ("call-ended", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                             NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
floe_phone_init (FloePhone *self)
{
  self->accounts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, phone_account_free);
  self->stopping = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  self->ringtone = floe_ringtone_new ();
}

FloePhone *
floe_phone_new (GSettings *settings, FloeCallHistory *history)
{
  FloePhone *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (FLOE_IS_CALL_HISTORY (history), NULL);

  self = g_object_new (FLOE_TYPE_PHONE, NULL);
  self->settings = g_object_ref (settings);
  self->history = g_object_ref (history);
  return self;
}
