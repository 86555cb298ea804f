#define G_LOG_DOMAIN "floe-ice"

#include "config.h"

#include "floe-ice-transport.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "floe-ice-server.h"
#include "ice/sdp-ice.h"
#include "ice/turn-client.h"

#define MAX_DATAGRAM 2048
#define MAX_CANDIDATES 64

typedef struct
{
  FloeIceTransport *self; /* not a reference: the transport owns us */
  GSocket *socket;
  GSource *source;
  guint component;
  ice_addr addr;
} Endpoint;

/* A TCP or TLS connection to a TURN server, opened on the agent's first
 * frame for it. Frames queue in out until it connects. */
typedef struct
{
  FloeIceTransport *self;
  ice_addr local;  /* as the agent names it: a host address */
  ice_addr remote; /* the TURN server */
  ice_transport transport;
  char *tls_name;  /* the name the certificate must carry */
  GSocketConnection *conn;
  GByteArray *out;
  GByteArray *in;
  guint8 chunk[MAX_DATAGRAM];
  gboolean broken;
} Stream;

struct _FloeIceTransport
{
  GObject parent_instance;

  GMutex lock;          /* guards agent and plain_remote: media sends from its thread */
  ice_agent *agent;
  GPtrArray *endpoints; /* Endpoint*, owned */
  GPtrArray *streams;   /* Stream*, owned; guarded by lock */
  GHashTable *tls_names; /* "ip:port" of a TLS TURN server -> its host name */
  GCancellable *cancellable;
  GSource *timer;
  guint components;
  gboolean gathering;   /* gathering started */
  gboolean gathered;    /* ... and done */
  gboolean plain;       /* the peer has no ICE: plain_remote per component */
  ice_addr plain_remote[ICE_MAX_COMPONENTS + 1];
  FloeIceReceiveFunc receive;
  gpointer receive_user;
};

enum
{
  SIGNAL_CANDIDATE_GATHERED,
  SIGNAL_GATHERING_DONE,
  SIGNAL_PAIR_SELECTED,
  SIGNAL_STATE_CHANGED,
  SIGNAL_CONSENT_LOST,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FloeIceTransport, floe_ice_transport, G_TYPE_OBJECT)

static uint64_t
now_us (void)
{
  return (uint64_t) g_get_monotonic_time ();
}

static void
endpoint_free (gpointer data)
{
  Endpoint *e = data;

  if (e->source != NULL)
    {
      g_source_destroy (e->source);
      g_source_unref (e->source);
    }
  g_clear_object (&e->socket);
  g_free (e);
}

static Endpoint *
find_endpoint (FloeIceTransport *self, const ice_addr *local, guint component)
{
  for (guint i = 0; i < self->endpoints->len; i++)
    {
      Endpoint *e = self->endpoints->pdata[i];
      if (local != NULL ? ice_addr_equal (&e->addr, local) : e->component == component)
        return e;
    }
  return NULL;
}

static void
send_from (Endpoint *e, const ice_addr *to, const guint8 *data, gsize len)
{
  struct sockaddr_storage ss;
  int sslen = ice_addr_to_sockaddr (to, &ss);
  g_autoptr (GSocketAddress) dest = NULL;
  g_autoptr (GError) error = NULL;

  if (sslen < 0 || (dest = g_socket_address_new_from_native (&ss, (gsize) sslen)) == NULL)
    return;
  if (g_socket_send_to (e->socket, dest, (const char *) data, len, NULL, &error) < 0)
    {
      char where[ICE_ADDR_STRLEN];
      g_debug ("sending to %s failed: %s", ice_addr_to_string (to, where), error->message);
    }
}

static void stream_send (FloeIceTransport *self, const ice_transmit *t);

/* Sends what the agent has queued and re-arms the one timer. Lock held. */
static void
flush_locked (FloeIceTransport *self)
{
  ice_transmit t;
  uint64_t next;

  while (ice_agent_poll_transmit (self->agent, &t))
    {
      Endpoint *e;
      if (t.transport != ICE_TRANSPORT_UDP)
        stream_send (self, &t);
      else if ((e = find_endpoint (self, &t.local, 0)) != NULL)
        send_from (e, &t.remote, t.data, t.len);
    }
  next = ice_agent_next_timeout (self->agent);
  g_source_set_ready_time (self->timer, next == UINT64_MAX ? -1 : (gint64) next);
}

/* Emits the agent's events as signals, with the lock released so that
 * handlers may call back into the transport. Main thread only. */
static void
emit_events (FloeIceTransport *self)
{
  for (;;)
    {
      ice_event ev;
      gboolean have;

      g_mutex_lock (&self->lock);
      have = ice_agent_poll_event (self->agent, &ev);
      g_mutex_unlock (&self->lock);
      if (!have)
        return;
      switch (ev.type)
        {
        case ICE_EVENT_CANDIDATE:
          g_signal_emit (self, signals[SIGNAL_CANDIDATE_GATHERED], 0, &ev.cand);
          break;
        case ICE_EVENT_GATHERING_DONE:
          self->gathered = TRUE;
          g_signal_emit (self, signals[SIGNAL_GATHERING_DONE], 0);
          break;
        case ICE_EVENT_COMPONENT_STATE:
          g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, ev.component, (gint) ev.state);
          break;
        case ICE_EVENT_SELECTED_PAIR:
          g_signal_emit (self, signals[SIGNAL_PAIR_SELECTED], 0, ev.component, &ev.pair);
          break;
        case ICE_EVENT_CONSENT_LOST:
          g_signal_emit (self, signals[SIGNAL_CONSENT_LOST], 0, ev.component);
          break;
        case ICE_EVENT_FAILED:
          g_signal_emit (self, signals[SIGNAL_FAILED], 0, (gint) ev.reason, ev.reason_text);
          break;
        case ICE_EVENT_ROLE_CHANGED:
        default:
          break;
        }
    }
}

static gboolean
on_timer (gpointer data)
{
  FloeIceTransport *self = data;

  g_mutex_lock (&self->lock);
  g_source_set_ready_time (self->timer, -1);
  ice_agent_handle_timeout (self->agent, now_us ());
  flush_locked (self);
  g_mutex_unlock (&self->lock);
  emit_events (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  return callback (data);
}

static GSourceFuncs timer_funcs = { .dispatch = timer_dispatch };

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer data)
{
  Endpoint *e = data;
  FloeIceTransport *self = e->self;
  guint8 buf[MAX_DATAGRAM];

  for (;;)
    {
      g_autoptr (GSocketAddress) from_sa = NULL;
      struct sockaddr_storage ss;
      ice_addr from;
      ice_app_data app;
      gssize n = g_socket_receive_from (socket, &from_sa, (char *) buf, sizeof buf, NULL, NULL);
      guint8 copy[MAX_DATAGRAM];
      gsize copy_len = 0;
      guint component = e->component;
      int r;

      if (n < 0)
        break; /* would block, or an ICMP error reported on the socket */
      if (!g_socket_address_to_native (from_sa, &ss, sizeof ss, NULL) ||
          ice_addr_from_sockaddr (&from, (struct sockaddr *) &ss, sizeof ss) < 0)
        continue;

      g_mutex_lock (&self->lock);
      if (self->plain)
        {
          memcpy (copy, buf, (gsize) n);
          copy_len = (gsize) n;
        }
      else
        {
          r = ice_agent_handle_packet (self->agent, now_us (), &e->addr, &from, buf, (size_t) n, &app);
          if (r == 1 && app.len <= sizeof copy)
            {
              memcpy (copy, app.data, app.len);
              copy_len = app.len;
              component = app.component;
            }
          flush_locked (self);
        }
      g_mutex_unlock (&self->lock);

      emit_events (self);
      if (copy_len > 0 && self->receive != NULL)
        self->receive (self->receive_user, component, copy, copy_len);
    }
  return G_SOURCE_CONTINUE;
}

/* ---- TURN over TCP and TLS */

static void stream_read_next (Stream *st);

static void
stream_free (gpointer data)
{
  Stream *st = data;

  if (st->conn != NULL)
    g_io_stream_close (G_IO_STREAM (st->conn), NULL, NULL);
  g_clear_object (&st->conn);
  g_byte_array_unref (st->out);
  g_byte_array_unref (st->in);
  g_free (st->tls_name);
  g_free (st);
}

/* Cuts what arrived into frames and hands each to the agent. Main thread. */
static void
stream_deliver (Stream *st)
{
  FloeIceTransport *self = st->self;

  for (;;)
    {
      int n = ice_turn_stream_frame_len (st->in->data, st->in->len);
      guint8 copy[MAX_DATAGRAM];
      gsize copy_len = 0;
      ice_app_data app;

      if (n < 0)
        {
          char where[ICE_ADDR_STRLEN];
          g_warning ("the TURN server %s sent something that is neither STUN nor ChannelData; closing",
                     ice_addr_to_string (&st->remote, where));
          st->broken = TRUE;
          return;
        }
      if (n == 0 || (gsize) n > st->in->len)
        return;
      g_mutex_lock (&self->lock);
      if (ice_agent_handle_stream_frame (self->agent, now_us (), &st->local, &st->remote, st->transport,
                                         st->in->data, (size_t) n, &app) == 1
          && app.len <= sizeof copy)
        {
          memcpy (copy, app.data, app.len);
          copy_len = app.len;
        }
      flush_locked (self);
      g_mutex_unlock (&self->lock);
      g_byte_array_remove_range (st->in, 0, (guint) n);
      emit_events (self);
      if (copy_len > 0 && self->receive != NULL)
        self->receive (self->receive_user, app.component, copy, copy_len);
    }
}

static void
on_stream_read (GObject *source, GAsyncResult *result, gpointer data)
{
  Stream *st = data;
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the transport is going away */
  if (n <= 0)
    {
      char where[ICE_ADDR_STRLEN];
      g_message ("the connection to the TURN server %s closed%s%s", ice_addr_to_string (&st->remote, where),
                 error ? ": " : "", error ? error->message : "");
      st->broken = TRUE;
      return;
    }
  g_byte_array_append (st->in, st->chunk, (guint) n);
  stream_deliver (st);
  if (!st->broken)
    stream_read_next (st);
}

static void
stream_read_next (Stream *st)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (st->conn)), st->chunk, sizeof st->chunk,
                             G_PRIORITY_DEFAULT, st->self->cancellable, on_stream_read, st);
}

/* Writes queued frames. Lock held. TURN frames are small and the kernel's
 * buffer takes them whole; a stream that cannot is broken. */
static void
stream_write_locked (Stream *st)
{
  g_autoptr (GError) error = NULL;

  if (st->conn == NULL || st->out->len == 0 || st->broken)
    return;
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (st->conn)), st->out->data,
                                  st->out->len, NULL, NULL, &error))
    {
      g_message ("writing to the TURN server failed: %s", error->message);
      st->broken = TRUE;
    }
  g_byte_array_set_size (st->out, 0);
}

static void
on_stream_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  Stream *st = data;
  g_autoptr (GError) error = NULL;
  GSocketConnection *conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_mutex_lock (&st->self->lock);
  if (conn == NULL)
    {
      char where[ICE_ADDR_STRLEN];
      g_message ("could not reach the TURN server %s over %s: %s", ice_addr_to_string (&st->remote, where),
                 ice_transport_name (st->transport), error->message);
      st->broken = TRUE;
    }
  else
    {
      st->conn = conn;
      /* The client's connect timeout stays on the socket: clear it, or a
       * quiet allocation would be cut after as many idle seconds. */
      g_socket_set_timeout (g_socket_connection_get_socket (conn), 0);
      stream_write_locked (st);
    }
  g_mutex_unlock (&st->self->lock);
  if (conn != NULL)
    stream_read_next (st);
}

/* Connects from the local address's IP, so that the server sees the flow
 * the agent believes it has. */
static void
stream_connect (Stream *st)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  struct sockaddr_storage ss;
  int len;
  ice_addr from = st->local;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GSocketConnectable) target = NULL;

  from.port = 0;
  if ((len = ice_addr_to_sockaddr (&from, &ss)) > 0)
    local = g_socket_address_new_from_native (&ss, (gsize) len);
  len = ice_addr_to_sockaddr (&st->remote, &ss);
  remote = g_socket_address_new_from_native (&ss, (gsize) len);
  g_socket_client_set_local_address (client, local);
  g_socket_client_set_timeout (client, 10);
  if (st->transport == ICE_TRANSPORT_TLS)
    g_socket_client_set_tls (client, TRUE);
  /* For TLS the certificate is checked against the server's name. */
  target = st->tls_name != NULL ? g_network_address_new (st->tls_name, st->remote.port)
                                : G_SOCKET_CONNECTABLE (g_object_ref (remote));
  g_socket_client_connect_async (client, target, st->self->cancellable, on_stream_connected, st);
}

/* Lock held. */
static void
stream_send (FloeIceTransport *self, const ice_transmit *t)
{
  Stream *st = NULL;

  for (guint i = 0; i < self->streams->len && st == NULL; i++)
    {
      Stream *each = self->streams->pdata[i];
      /* One connection per allocation: each component's socket has its own. */
      if (each->transport == t->transport && ice_addr_equal (&each->local, &t->local) &&
          ice_addr_equal (&each->remote, &t->remote))
        st = each;
    }
  if (st == NULL)
    {
      char key[ICE_ADDR_STRLEN];
      st = g_new0 (Stream, 1);
      st->self = self;
      st->local = t->local;
      st->remote = t->remote;
      st->transport = t->transport;
      st->out = g_byte_array_new ();
      st->in = g_byte_array_new ();
      st->tls_name = g_strdup (g_hash_table_lookup (self->tls_names, ice_addr_to_string (&t->remote, key)));
      g_ptr_array_add (self->streams, st);
      stream_connect (st);
    }
  g_byte_array_append (st->out, t->data, (guint) t->len);
  stream_write_locked (st);
}

static gboolean
bind_endpoint (FloeIceTransport *self, guint component, const char *ifname,
               const struct sockaddr *sa, socklen_t salen)
{
  g_autoptr (GSocketAddress) any_port = g_socket_address_new_from_native ((gpointer) sa, salen);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;
  struct sockaddr_storage ss;
  Endpoint *e = g_new0 (Endpoint, 1);

  e->self = self;
  e->component = component;
  e->socket = g_socket_new (sa->sa_family == AF_INET6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4,
                            G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  if (e->socket == NULL || !g_socket_bind (e->socket, any_port, FALSE, &error) ||
      (bound = g_socket_get_local_address (e->socket, &error)) == NULL ||
      !g_socket_address_to_native (bound, &ss, sizeof ss, &error) ||
      ice_addr_from_sockaddr (&e->addr, (struct sockaddr *) &ss, sizeof ss) < 0 ||
      ice_agent_add_host (self->agent, component, ifname, &e->addr) < 0)
    {
      g_debug ("skipping an address of %s: %s", ifname, error ? error->message : "refused by the agent");
      endpoint_free (e);
      return FALSE;
    }
  g_socket_set_blocking (e->socket, FALSE);
  e->source = g_socket_create_source (e->socket, G_IO_IN, NULL);
  g_source_set_callback (e->source, G_SOURCE_FUNC (on_readable), e, NULL);
  g_source_attach (e->source, NULL);
  g_ptr_array_add (self->endpoints, e);
  return TRUE;
}

/* One socket per component on every address of every interface that is up.
 * IPv6 link-local addresses need a scope to be reachable and are left out;
 * the agent itself leaves loopback out unless nothing else exists. */
static gboolean
bind_all (FloeIceTransport *self, GError **error)
{
  struct ifaddrs *list = NULL;

  if (getifaddrs (&list) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("Could not list the network interfaces: %s"), g_strerror (errno));
      return FALSE;
    }
  for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next)
    {
      struct sockaddr_storage ss = { 0 };
      socklen_t len;
      ice_addr a;

      if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP))
        continue;
      if (i->ifa_addr->sa_family == AF_INET)
        len = sizeof (struct sockaddr_in);
      else if (i->ifa_addr->sa_family == AF_INET6)
        len = sizeof (struct sockaddr_in6);
      else
        continue;
      memcpy (&ss, i->ifa_addr, len);
      if (ice_addr_from_sockaddr (&a, (struct sockaddr *) &ss, len) < 0 ||
          (a.family == AF_INET6 && ice_addr_is_link_local (&a)))
        continue;
      for (guint c = 1; c <= self->components; c++)
        bind_endpoint (self, c, i->ifa_name, (struct sockaddr *) &ss, len);
    }
  freeifaddrs (list);
  if (self->endpoints->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
                   _("No network interface is up, so a call cannot reach anyone."));
      return FALSE;
    }
  return TRUE;
}

/* The server's addresses: its literal, what was resolved ahead, or the
 * first of each family its name resolves to now. Returns how many. */
static guint
resolve (const FloeIceServer *server, ice_addr out[2], GError **error)
{
  g_auto (GStrv) resolved = NULL;
  const char *const *ips;
  guint n = 0;

  if (ice_addr_set (&out[0], server->host, server->port) == 0)
    return 1;
  ips = (const char *const *) server->addresses;
  if (ips == NULL)
    {
      g_autoptr (GResolver) resolver = g_resolver_get_default ();
      GList *addrs = g_resolver_lookup_by_name (resolver, server->host, NULL, error);

      if (addrs == NULL)
        return 0;
      resolved = floe_ice_server_pick_addresses (addrs);
      g_resolver_free_addresses (addrs);
      ips = (const char *const *) resolved;
    }
  for (; *ips != NULL && n < 2; ips++)
    if (ice_addr_set (&out[n], *ips, server->port) == 0)
      n++;
  if (n == 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no usable address"));
  return n;
}

static void
add_server (FloeIceTransport *self, const FloeIceServer *s, const ice_addr *addr)
{
  char key[ICE_ADDR_STRLEN];
  ice_addr literal;
  gboolean tls = s->transport == FLOE_ICE_SERVER_TLS;

  if (s->kind == FLOE_ICE_SERVER_STUN)
    ice_agent_add_stun_server (self->agent, addr);
  else if (s->transport == FLOE_ICE_SERVER_UDP)
    ice_agent_add_turn_server (self->agent, addr, s->username, s->password);
  else
    {
      ice_agent_add_turn_server_stream (self->agent, addr, tls ? ICE_TRANSPORT_TLS : ICE_TRANSPORT_TCP,
                                        s->username, s->password);
      if (tls && ice_addr_set (&literal, s->host, s->port) < 0) /* a name, not a literal */
        g_hash_table_insert (self->tls_names, g_strdup (ice_addr_to_string (addr, key)), g_strdup (s->host));
    }
}

static gboolean
add_servers (FloeIceTransport *self, GPtrArray *servers, gboolean use_turn, GError **error)
{
  for (guint i = 0; servers != NULL && i < servers->len; i++)
    {
      const FloeIceServer *s = servers->pdata[i];
      g_autofree char *uri = floe_ice_server_to_string (s);
      g_autoptr (GError) local = NULL;
      ice_addr addrs[2];
      guint n;

      if (s->kind == FLOE_ICE_SERVER_TURN && !use_turn)
        continue;
      n = resolve (s, addrs, &local);
      if (n == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("Could not find the server %s: %s"), uri,
                       local->message);
          return FALSE;
        }
      for (guint k = 0; k < n; k++)
        add_server (self, s, &addrs[k]);
    }
  return TRUE;
}

FloeIceTransport *
floe_ice_transport_new (gboolean controlling, guint components, GPtrArray *ice_servers,
                        FloeIcePolicy policy, const char *iface_filter, GError **error)
{
  g_autoptr (FloeIceTransport) self = g_object_new (FLOE_TYPE_ICE_TRANSPORT, NULL);
  ice_agent_config cfg;

  g_return_val_if_fail (components == 1 || components == 2, NULL);
  ice_agent_config_default (&cfg);
  cfg.role = controlling ? ICE_ROLE_CONTROLLING : ICE_ROLE_CONTROLLED;
  cfg.components = components;
  cfg.iface_filter = iface_filter;
  cfg.relay_only = policy == FLOE_ICE_POLICY_RELAY_ONLY;
  self->components = components;
  self->agent = ice_agent_new (&cfg);
  if (self->agent == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not start the ICE agent."));
      return NULL;
    }
  self->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (self->timer, on_timer, self, NULL);
  g_source_attach (self->timer, NULL);
  if (!bind_all (self, error) || !add_servers (self, ice_servers, policy != FLOE_ICE_POLICY_NO_RELAY, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
floe_ice_transport_gather (FloeIceTransport *self, GError **error)
{
  int r;

  if (self->gathering)
    return TRUE;
  self->gathering = TRUE;
  g_mutex_lock (&self->lock);
  r = ice_agent_gather (self->agent, now_us ());
  flush_locked (self);
  g_mutex_unlock (&self->lock);
  if (r < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not gather ICE candidates (%s)."),
                   g_strerror (-r));
      return FALSE;
    }
  emit_events (self);
  return TRUE;
}

gboolean
floe_ice_transport_is_gathered (FloeIceTransport *self)
{
  return self->gathered;
}

gboolean
floe_ice_transport_set_controlling (FloeIceTransport *self, gboolean controlling)
{
  int r;

  g_mutex_lock (&self->lock);
  r = ice_agent_set_role (self->agent, controlling ? ICE_ROLE_CONTROLLING : ICE_ROLE_CONTROLLED);
  g_mutex_unlock (&self->lock);
  return r == 0;
}

GArray *
floe_ice_transport_get_candidates (FloeIceTransport *self)
{
  GArray *out = g_array_sized_new (FALSE, FALSE, sizeof (ice_cand), MAX_CANDIDATES);

  g_array_set_size (out, MAX_CANDIDATES);
  g_mutex_lock (&self->lock);
  g_array_set_size (out, ice_agent_local_candidates (self->agent, (ice_cand *) (void *) out->data,
                                                     MAX_CANDIDATES));
  g_mutex_unlock (&self->lock);
  return out;
}

char **
floe_ice_transport_local_lines (FloeIceTransport *self)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  ice_cand cands[MAX_CANDIDATES];
  size_t n;

  g_autofree char *ufrag = NULL;
  g_autofree char *pwd = NULL;

  g_mutex_lock (&self->lock);
  ufrag = g_strconcat ("ice-ufrag:", ice_agent_local_ufrag (self->agent), NULL);
  pwd = g_strconcat ("ice-pwd:", ice_agent_local_pwd (self->agent), NULL);
  n = ice_agent_local_candidates (self->agent, cands, G_N_ELEMENTS (cands));
  g_mutex_unlock (&self->lock);
  g_strv_builder_add (b, ufrag);
  g_strv_builder_add (b, pwd);
  g_strv_builder_add (b, "ice-options:ice2");
  for (size_t i = 0; i < n; i++)
    {
      char line[256];
      if (ice_sdp_format_candidate (&cands[i], line, sizeof line) > 0)
        g_strv_builder_add (b, line);
    }
  return g_strv_builder_end (b);
}

gboolean
floe_ice_transport_default_candidate (FloeIceTransport *self, guint component, char **addr, guint16 *port)
{
  /* RFC 8839 §4.2.1.4 suggests the candidate most likely to work. */
  static const int rank[] = { [ICE_CAND_HOST] = 1, [ICE_CAND_SRFLX] = 2, [ICE_CAND_PRFLX] = 0,
                              [ICE_CAND_RELAY] = 3 };
  ice_cand cands[MAX_CANDIDATES];
  const ice_cand *best = NULL;
  size_t n;

  g_mutex_lock (&self->lock);
  n = ice_agent_local_candidates (self->agent, cands, G_N_ELEMENTS (cands));
  g_mutex_unlock (&self->lock);
  for (size_t i = 0; i < n; i++)
    if (cands[i].component == component &&
        (best == NULL || rank[cands[i].type] > rank[best->type] ||
         (rank[cands[i].type] == rank[best->type] && cands[i].priority > best->priority)))
      best = &cands[i];
  if (best == NULL)
    return FALSE;
  {
    char ip[ICE_ADDR_STRLEN];
    *addr = g_strdup (ice_addr_ip_string (&best->addr, ip));
    *port = best->addr.port;
  }
  return TRUE;
}

gboolean
floe_ice_transport_set_remote (FloeIceTransport *self, const char *const *lines, GError **error)
{
  ice_sdp_ice ice = { 0 };
  ice_sdp_error err = { { 0 } };
  uint64_t now = now_us ();
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  for (const char *const *l = lines; ok && l && *l; l++)
    {
      const char *line = g_str_has_prefix (*l, "a=") ? *l + 2 : *l;
      if (g_str_has_prefix (line, "candidate:"))
        {
          ice_cand c;
          if (ice_sdp_parse_candidate (line, strlen (line), &c, &err) < 0)
            ok = FALSE;
          else if (!c.unsupported)
            ice_agent_add_remote_candidate (self->agent, now, &c);
        }
      else if (ice_sdp_parse_line (line, strlen (line), &ice, &err) < 0)
        ok = FALSE;
    }
  if (ok && (ice.ufrag[0] == '\0' || ice.pwd[0] == '\0'))
    {
      g_strlcpy (err.msg, "the peer's SDP has ICE candidates but no a=ice-ufrag or a=ice-pwd", sizeof err.msg);
      ok = FALSE;
    }
  if (ok && ice_agent_set_remote_credentials (self->agent, ice.ufrag, ice.pwd) < 0)
    {
      g_strlcpy (err.msg, "the peer's a=ice-ufrag or a=ice-pwd is not valid", sizeof err.msg);
      ok = FALSE;
    }
  if (ok)
    {
      ice_agent_set_remote_lite (self->agent, ice.lite);
      for (size_t i = 0; i < ice.n_remote; i++)
        ice_agent_set_remote_selection (self->agent, ice.remote[i].component, &ice.remote[i].addr);
      ice_agent_remote_gathering_done (self->agent, now);
      flush_locked (self);
    }
  g_mutex_unlock (&self->lock);
  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The peer's ICE description is broken: %s"),
                   err.msg);
      return FALSE;
    }
  emit_events (self);
  return TRUE;
}

gboolean
floe_ice_transport_set_plain_remote (FloeIceTransport *self, guint component, const char *addr,
                                     guint16 port, GError **error)
{
  ice_addr a;

  if (component < 1 || component > self->components || ice_addr_set (&a, addr, port) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The peer's media address %s is not a numeric IP address."), addr);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  self->plain = TRUE;
  self->plain_remote[component] = a;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

void
floe_ice_transport_set_rtcp_mux (FloeIceTransport *self)
{
  g_mutex_lock (&self->lock);
  ice_agent_set_rtcp_mux (self->agent);
  g_mutex_unlock (&self->lock);
}

void
floe_ice_transport_set_receive (FloeIceTransport *self, FloeIceReceiveFunc func, gpointer user)
{
  self->receive = func;
  self->receive_user = user;
}

int
floe_ice_transport_send (FloeIceTransport *self, guint component, const guint8 *data, gsize len)
{
  int r = 0;

  g_mutex_lock (&self->lock);
  if (self->plain)
    {
      const ice_addr *to = &self->plain_remote[component <= self->components ? component : 1];
      Endpoint *from = NULL;
      for (guint i = 0; i < self->endpoints->len && from == NULL; i++)
        {
          Endpoint *e = self->endpoints->pdata[i];
          if (e->component == component && e->addr.family == to->family)
            from = e;
        }
      if (from != NULL && to->family != 0)
        send_from (from, to, data, len);
      else
        r = -ENOTCONN;
    }
  else
    {
      r = ice_agent_send (self->agent, now_us (), component, data, len);
      flush_locked (self);
    }
  g_mutex_unlock (&self->lock);
  return r;
}

gboolean
floe_ice_transport_get_selected (FloeIceTransport *self, guint component, ice_pair_info *out)
{
  gboolean r;

  g_mutex_lock (&self->lock);
  r = ice_agent_selected_pair (self->agent, component, out);
  g_mutex_unlock (&self->lock);
  return r;
}

ice_agent_stats
floe_ice_transport_get_stats (FloeIceTransport *self)
{
  ice_agent_stats st;

  g_mutex_lock (&self->lock);
  ice_agent_stats_get (self->agent, &st);
  g_mutex_unlock (&self->lock);
  return st;
}

static void
floe_ice_transport_finalize (GObject *object)
{
  FloeIceTransport *self = FLOE_ICE_TRANSPORT (object);

  /* Release TURN allocations: the deallocations go out now. */
  if (self->agent != NULL)
    {
      g_mutex_lock (&self->lock);
      ice_agent_close (self->agent, now_us ());
      flush_locked (self);
      g_mutex_unlock (&self->lock);
    }
  g_cancellable_cancel (self->cancellable);
  g_ptr_array_unref (self->streams);
  g_object_unref (self->cancellable);
  g_hash_table_unref (self->tls_names);
  g_ptr_array_unref (self->endpoints);
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_source_unref (self->timer);
    }
  g_clear_pointer (&self->agent, ice_agent_free);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (floe_ice_transport_parent_class)->finalize (object);
}

static void
floe_ice_transport_class_init (FloeIceTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = floe_ice_transport_finalize;
  signals[SIGNAL_CANDIDATE_GATHERED] = g_signal_new ("candidate-gathered", G_TYPE_FROM_CLASS (klass),
                                                     G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                     G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_GATHERING_DONE] = g_signal_new ("gathering-done", G_TYPE_FROM_CLASS (klass),
                                                 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_PAIR_SELECTED] = g_signal_new ("pair-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT,
                                                G_TYPE_POINTER);
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_INT);
  signals[SIGNAL_CONSENT_LOST] = g_signal_new ("consent-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                         NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
}

static void
floe_ice_transport_init (FloeIceTransport *self)
{
  g_mutex_init (&self->lock);
  self->endpoints = g_ptr_array_new_with_free_func (endpoint_free);
  self->streams = g_ptr_array_new_with_free_func (stream_free);
  self->tls_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->cancellable = g_cancellable_new ();
}
