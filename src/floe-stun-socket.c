#define G_LOG_DOMAIN "floe-ice"

#include "config.h"

#include "floe-stun-socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

/* Largest datagram we read; a STUN message or ChannelData never exceeds it. */
#define MAX_DATAGRAM 65536
#define READ_CHUNK 16384

typedef enum
{
  ENGINE_STUN,
  ENGINE_TURN,
} EngineKind;

/* An engine and its timer in one: the GSource's ready time is the
 * engine's next_timeout, both on the monotonic clock in microseconds. */
typedef struct
{
  GSource base;
  FloeStunSocket *self; /* not a reference: the socket owns its engines */
  EngineKind kind;
  gpointer engine;
} EngineSource;

struct _FloeStunSocket
{
  GObject parent_instance;

  ice_transport transport;
  GSocket *socket;       /* UDP; for streams the connection's socket */
  GIOStream *stream;     /* TCP: the GSocketConnection; TLS: the GTlsConnection */
  GSource *in_source;
  GSource *out_source;
  GByteArray *inbuf;     /* stream bytes not yet framed */
  GByteArray *outbuf;    /* stream bytes not yet written */
  guint8 *rxbuf;         /* MAX_DATAGRAM, for UDP */
  guint8 *txbuf;         /* MAX_DATAGRAM, for framing peer data */
  ice_addr local;
  ice_addr remote;       /* streams only */
  GPtrArray *engines;    /* EngineSource*, owned */
  gboolean closed;
};

enum
{
  SIGNAL_STUN_EVENT,
  SIGNAL_TURN_EVENT,
  SIGNAL_TURN_DATA,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FloeStunSocket, floe_stun_socket, G_TYPE_OBJECT)

/* ------------------------------------------------------------ addresses */

static GSocketAddress *
to_gaddress (const ice_addr *a)
{
  struct sockaddr_storage ss;
  int len = ice_addr_to_sockaddr (a, &ss);
  if (len < 0)
    return NULL;
  return g_socket_address_new_from_native (&ss, (gsize) len);
}

static gboolean
from_gaddress (GSocketAddress *ga, ice_addr *out)
{
  struct sockaddr_storage ss;
  gssize len = g_socket_address_get_native_size (ga);
  if (len <= 0 || !g_socket_address_to_native (ga, &ss, sizeof ss, NULL))
    return FALSE;
  return ice_addr_from_sockaddr (out, (const struct sockaddr *) &ss,
                                 (socklen_t) len)
         == 0;
}

/* --------------------------------------------------------------- sending */

static gboolean
flush_outbuf (FloeStunSocket *self, GError **error);

static gboolean
on_writable (GObject *stream, gpointer user_data)
{
  FloeStunSocket *self = user_data;
  g_autoptr (GError) error = NULL;
  (void) stream;
  if (!flush_outbuf (self, &error))
    g_debug ("stream write failed: %s", error->message);
  if (self->outbuf->len > 0 && !self->closed)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->out_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static gboolean
flush_outbuf (FloeStunSocket *self, GError **error)
{
  GOutputStream *out = g_io_stream_get_output_stream (self->stream);
  while (self->outbuf->len > 0)
    {
      g_autoptr (GError) local_error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (
          G_POLLABLE_OUTPUT_STREAM (out), self->outbuf->data,
          self->outbuf->len, NULL, &local_error);
      if (n < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          g_propagate_error (error, g_steal_pointer (&local_error));
          g_byte_array_set_size (self->outbuf, 0);
          return FALSE;
        }
      g_byte_array_remove_range (self->outbuf, 0, (guint) n);
    }
  if (self->outbuf->len > 0 && self->out_source == NULL)
    {
      self->out_source = g_pollable_output_stream_create_source (
          G_POLLABLE_OUTPUT_STREAM (out), NULL);
      g_source_set_callback (self->out_source, G_SOURCE_FUNC (on_writable),
                             self, NULL);
      g_source_attach (self->out_source, NULL);
    }
  return TRUE;
}

gboolean
floe_stun_socket_send (FloeStunSocket *self, const ice_addr *remote,
                       const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (FLOE_IS_STUN_SOCKET (self), FALSE);
  if (self->closed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           "The connection to the server is closed.");
      return FALSE;
    }
  if (self->stream != NULL)
    {
      /* Streams keep order: queue behind anything still unwritten. */
      g_byte_array_append (self->outbuf, data, (guint) len);
      return flush_outbuf (self, error);
    }
  g_autoptr (GSocketAddress) to = to_gaddress (remote);
  if (to == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "No valid destination address.");
      return FALSE;
    }
  g_autoptr (GError) local_error = NULL;
  if (g_socket_send_to (self->socket, to, (const char *) data, len, NULL,
                        &local_error)
      < 0)
    {
      /* A full send buffer loses the datagram, as the network could. */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* --------------------------------------------------------------- engines */

static void
engine_flush (EngineSource *es)
{
  FloeStunSocket *self = es->self;
  g_autoptr (GError) error = NULL;

  if (es->kind == ENGINE_STUN)
    {
      ice_stun_txns *t = es->engine;
      ice_stun_txn_transmit tx;
      while (ice_stun_txns_poll_transmit (t, &tx))
        if (!floe_stun_socket_send (self, &tx.remote, tx.data, tx.len, &error))
          {
            g_debug ("STUN send failed: %s", error->message);
            g_clear_error (&error);
          }
      ice_stun_txn_event ev;
      while (ice_stun_txns_poll_event (t, &ev))
        g_signal_emit (self, signals[SIGNAL_STUN_EVENT], 0, t, &ev);
      uint64_t next = ice_stun_txns_next_timeout (t);
      g_source_set_ready_time (&es->base, next == UINT64_MAX ? -1 : (gint64) next);
      return;
    }

  ice_turn_client *c = es->engine;
  ice_turn_transmit tx;
  while (ice_turn_client_poll_transmit (c, &tx))
    if (!floe_stun_socket_send (self, &tx.remote, tx.data, tx.len, &error))
      {
        g_debug ("TURN send failed: %s", error->message);
        g_clear_error (&error);
      }
  ice_turn_event ev;
  while (ice_turn_client_poll_event (c, &ev))
    {
      /* Addresses and codes only: credentials never reach the log. */
      g_debug ("TURN %s%s%s", ice_turn_event_name (ev.type),
               ev.reason ? ": " : "", ev.reason ? ev.reason : "");
      g_signal_emit (self, signals[SIGNAL_TURN_EVENT], 0, c, &ev);
    }
  uint64_t next = ice_turn_client_next_timeout (c);
  g_source_set_ready_time (&es->base, next == UINT64_MAX ? -1 : (gint64) next);
}

static gboolean
engine_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  EngineSource *es = (EngineSource *) source;
  uint64_t now = (uint64_t) g_get_monotonic_time ();
  (void) callback;
  (void) user_data;
  if (es->kind == ENGINE_STUN)
    ice_stun_txns_handle_timeout (es->engine, now);
  else
    ice_turn_client_handle_timeout (es->engine, now);
  engine_flush (es);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs engine_source_funcs = {
  .dispatch = engine_dispatch,
};

static EngineSource *
find_engine (FloeStunSocket *self, gpointer engine)
{
  for (guint i = 0; i < self->engines->len; i++)
    {
      EngineSource *es = g_ptr_array_index (self->engines, i);
      if (es->engine == engine)
        return es;
    }
  return NULL;
}

static void
add_engine (FloeStunSocket *self, EngineKind kind, gpointer engine)
{
  g_return_if_fail (find_engine (self, engine) == NULL);
  EngineSource *es = (EngineSource *) g_source_new (&engine_source_funcs,
                                                    sizeof (EngineSource));
  es->self = self;
  es->kind = kind;
  es->engine = engine;
  g_source_set_name (&es->base, kind == ENGINE_STUN ? "floe-stun-txns" : "floe-turn");
  g_source_attach (&es->base, NULL);
  g_ptr_array_add (self->engines, es);
  engine_flush (es);
}

void
floe_stun_socket_add_stun (FloeStunSocket *self, ice_stun_txns *txns)
{
  g_return_if_fail (FLOE_IS_STUN_SOCKET (self) && txns != NULL);
  add_engine (self, ENGINE_STUN, txns);
}

void
floe_stun_socket_add_turn (FloeStunSocket *self, ice_turn_client *turn)
{
  g_return_if_fail (FLOE_IS_STUN_SOCKET (self) && turn != NULL);
  g_return_if_fail (ice_turn_client_transport (turn) == self->transport);
  add_engine (self, ENGINE_TURN, turn);
}

static void
engine_source_free (gpointer p)
{
  GSource *s = p;
  g_source_destroy (s);
  g_source_unref (s);
}

void
floe_stun_socket_remove_engine (FloeStunSocket *self, gpointer engine)
{
  g_return_if_fail (FLOE_IS_STUN_SOCKET (self));
  EngineSource *es = find_engine (self, engine);
  if (es != NULL)
    g_ptr_array_remove (self->engines, es);
}

void
floe_stun_socket_kick (FloeStunSocket *self, gpointer engine)
{
  g_return_if_fail (FLOE_IS_STUN_SOCKET (self));
  EngineSource *es = find_engine (self, engine);
  g_return_if_fail (es != NULL);
  engine_flush (es);
}

gboolean
floe_stun_socket_turn_send (FloeStunSocket *self, ice_turn_client *turn,
                            const ice_addr *peer, const guint8 *data,
                            gsize len, GError **error)
{
  g_return_val_if_fail (FLOE_IS_STUN_SOCKET (self), FALSE);
  int n = ice_turn_client_send (turn, peer, data, len, self->txbuf, MAX_DATAGRAM);
  if (n < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-n),
                   "Cannot relay through the TURN server: %s",
                   g_strerror (-n));
      return FALSE;
    }
  return floe_stun_socket_send (self, ice_turn_client_server (turn), self->txbuf,
                                (gsize) n, error);
}

/* --------------------------------------------------------------- receiving */

static void
dispatch_packet (FloeStunSocket *self, const ice_addr *remote,
                 const guint8 *data, gsize len)
{
  uint64_t now = (uint64_t) g_get_monotonic_time ();
  for (guint i = 0; i < self->engines->len; i++)
    {
      EngineSource *es = g_ptr_array_index (self->engines, i);
      int r;
      if (es->kind == ENGINE_STUN)
        r = ice_stun_txns_handle_packet (es->engine, now, &self->local, remote,
                                         data, len);
      else
        {
          ice_turn_data d;
          r = ice_turn_client_handle_packet (es->engine, now, &self->local,
                                             remote, data, len, &d);
          if (r == 1)
            g_signal_emit (self, signals[SIGNAL_TURN_DATA], 0, es->engine, &d);
        }
      /* Claimed: a response it was waiting for (even one failing
       * integrity), or TURN data.  -ENOENT (not its transaction, not its
       * server) and -EBADMSG (not a message it reads: ChannelData is
       * nonsense to the STUN engine) go on to the next engine. */
      if (r >= 0 || r == -EACCES)
        {
          engine_flush (es);
          return;
        }
    }
  g_debug ("dropped a %" G_GSIZE_FORMAT "-byte packet no engine claimed", len);
}

static gboolean
on_datagram (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  FloeStunSocket *self = user_data;
  (void) condition;
  for (;;)
    {
      g_autoptr (GSocketAddress) from = NULL;
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive_from (socket, &from, (char *) self->rxbuf,
                                        MAX_DATAGRAM, NULL, &error);
      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("UDP receive: %s", error->message); /* e.g. ICMP unreachable */
          break;
        }
      ice_addr remote;
      if (from != NULL && from_gaddress (from, &remote))
        dispatch_packet (self, &remote, self->rxbuf, (gsize) n);
    }
  return G_SOURCE_CONTINUE;
}

static void
close_stream (FloeStunSocket *self, GError *error)
{
  if (self->closed)
    return;
  self->closed = TRUE;
  if (self->in_source)
    {
      g_source_destroy (self->in_source);
      g_clear_pointer (&self->in_source, g_source_unref);
    }
  /* A TURN allocation over a stream lives and dies with the connection. */
  for (guint i = 0; i < self->engines->len; i++)
    {
      EngineSource *es = g_ptr_array_index (self->engines, i);
      if (es->kind == ENGINE_TURN)
        {
          ice_turn_client_connection_lost (es->engine);
          engine_flush (es);
        }
    }
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
}

static gboolean
on_stream_readable (GObject *stream, gpointer user_data)
{
  FloeStunSocket *self = user_data;
  guint8 chunk[READ_CHUNK];
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_pollable_input_stream_read_nonblocking (
          G_POLLABLE_INPUT_STREAM (stream), chunk, sizeof chunk, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (n <= 0)
        {
          if (error == NULL)
            g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                 "The server closed the connection.");
          close_stream (self, error);
          return G_SOURCE_REMOVE;
        }
      g_byte_array_append (self->inbuf, chunk, (guint) n);

      /* Cut whole STUN messages and ChannelData frames off the front. */
      for (;;)
        {
          int flen = ice_turn_stream_frame_len (self->inbuf->data, self->inbuf->len);
          if (flen < 0)
            {
              g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                   "The server sent bytes that are neither STUN "
                                   "nor ChannelData.");
              close_stream (self, error);
              return G_SOURCE_REMOVE;
            }
          if (flen == 0 || (guint) flen > self->inbuf->len)
            break;
          dispatch_packet (self, &self->remote, self->inbuf->data, (gsize) flen);
          if (self->closed)
            return G_SOURCE_REMOVE;
          g_byte_array_remove_range (self->inbuf, 0, (guint) flen);
        }
    }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ construction */

static void
floe_stun_socket_dispose (GObject *object)
{
  FloeStunSocket *self = FLOE_STUN_SOCKET (object);
  g_ptr_array_set_size (self->engines, 0);
  if (self->in_source)
    {
      g_source_destroy (self->in_source);
      g_clear_pointer (&self->in_source, g_source_unref);
    }
  if (self->out_source)
    {
      g_source_destroy (self->out_source);
      g_clear_pointer (&self->out_source, g_source_unref);
    }
  if (self->stream)
    g_io_stream_close (self->stream, NULL, NULL);
  g_clear_object (&self->stream);
  if (self->socket)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  G_OBJECT_CLASS (floe_stun_socket_parent_class)->dispose (object);
}

static void
floe_stun_socket_finalize (GObject *object)
{
  FloeStunSocket *self = FLOE_STUN_SOCKET (object);
  g_ptr_array_unref (self->engines);
  g_byte_array_unref (self->inbuf);
  g_byte_array_unref (self->outbuf);
  g_free (self->rxbuf);
  g_free (self->txbuf);
  G_OBJECT_CLASS (floe_stun_socket_parent_class)->finalize (object);
}

static void
floe_stun_socket_class_init (FloeStunSocketClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = floe_stun_socket_dispose;
  object_class->finalize = floe_stun_socket_finalize;

  signals[SIGNAL_STUN_EVENT] = g_signal_new (
      "stun-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
  signals[SIGNAL_TURN_EVENT] = g_signal_new (
      "turn-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
  signals[SIGNAL_TURN_DATA] = g_signal_new (
      "turn-data", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
  signals[SIGNAL_CLOSED] = g_signal_new (
      "closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
      NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
floe_stun_socket_init (FloeStunSocket *self)
{
  self->engines = g_ptr_array_new_with_free_func (engine_source_free);
  self->inbuf = g_byte_array_new ();
  self->outbuf = g_byte_array_new ();
  self->txbuf = g_malloc (MAX_DATAGRAM);
}

static gboolean
read_local_address (FloeStunSocket *self, GError **error)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (self->socket, error);
  if (local == NULL)
    return FALSE;
  if (!from_gaddress (local, &self->local))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "The socket has no IPv4 or IPv6 address.");
      return FALSE;
    }
  return TRUE;
}

FloeStunSocket *
floe_stun_socket_new_udp (const ice_addr *local, GError **error)
{
  g_return_val_if_fail (local != NULL, NULL);
  g_autoptr (FloeStunSocket) self = g_object_new (FLOE_TYPE_STUN_SOCKET, NULL);
  self->transport = ICE_TRANSPORT_UDP;
  g_autoptr (GSocketAddress) bind_addr = to_gaddress (local);
  if (bind_addr == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "No valid local address to bind to.");
      return NULL;
    }
  self->socket = g_socket_new (g_socket_address_get_family (bind_addr),
                               G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                               error);
  if (self->socket == NULL || !g_socket_bind (self->socket, bind_addr, FALSE, error)
      || !read_local_address (self, error))
    return NULL;
  g_socket_set_blocking (self->socket, FALSE);
  self->rxbuf = g_malloc (MAX_DATAGRAM);
  self->in_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->in_source, G_SOURCE_FUNC (on_datagram), self, NULL);
  g_source_attach (self->in_source, NULL);
  return g_steal_pointer (&self);
}

/* The TLS client side over base, not yet handshaken. */
static GIOStream *
make_tls (GIOStream *base, const ice_addr *server, const char *server_name,
          const char *ca_file, GError **error)
{
  char ip[ICE_ADDR_STRLEN];
  g_autoptr (GSocketConnectable) identity = g_network_address_new (
      server_name ? server_name : ice_addr_ip_string (server, ip), server->port);
  g_autoptr (GIOStream) tls = g_tls_client_connection_new (base, identity, error);
  if (tls == NULL)
    return NULL;
  if (ca_file != NULL)
    {
      g_autoptr (GTlsDatabase) db = g_tls_file_database_new (ca_file, error);
      if (db == NULL)
        return NULL;
      g_tls_connection_set_database (G_TLS_CONNECTION (tls), db);
    }
  return g_steal_pointer (&tls);
}

/* A socket for a stream not connected yet; NULL for a bad argument. */
static FloeStunSocket *
stream_socket_new (ice_transport transport, const ice_addr *server,
                   GSocketAddress **to, GError **error)
{
  if (server == NULL
      || (transport != ICE_TRANSPORT_TCP && transport != ICE_TRANSPORT_TLS)
      || (*to = to_gaddress (server)) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "No valid server address or stream transport.");
      return NULL;
    }
  FloeStunSocket *self = g_object_new (FLOE_TYPE_STUN_SOCKET, NULL);
  self->transport = transport;
  self->remote = *server;
  return self;
}

static GSocketClient *
socket_client_new (void)
{
  GSocketClient *client = g_socket_client_new ();
  g_socket_client_set_timeout (client, 10);
  return client;
}

/* The TCP connection is up: remember its socket and addresses. */
static gboolean
take_connection (FloeStunSocket *self, GSocketConnection *conn, GError **error)
{
  self->socket = g_object_ref (g_socket_connection_get_socket (conn));
  /* Small STUN messages must not wait for Nagle. */
  g_socket_set_option (self->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  return read_local_address (self, error);
}

/* stream (the connection, or TLS over it, handshaken) is ready: read. */
static void
start_reading (FloeStunSocket *self, GIOStream *stream)
{
  self->stream = g_object_ref (stream);
  GInputStream *in = g_io_stream_get_input_stream (self->stream);
  self->in_source = g_pollable_input_stream_create_source (
      G_POLLABLE_INPUT_STREAM (in), NULL);
  g_source_set_callback (self->in_source, G_SOURCE_FUNC (on_stream_readable),
                         self, NULL);
  g_source_attach (self->in_source, NULL);
}

FloeStunSocket *
floe_stun_socket_new_stream (ice_transport transport, const ice_addr *server,
                             const char *tls_server_name,
                             const char *tls_ca_file, GCancellable *cancellable,
                             GError **error)
{
  g_autoptr (GSocketAddress) to = NULL;
  g_autoptr (FloeStunSocket) self = stream_socket_new (transport, server, &to, error);
  if (self == NULL)
    return NULL;
  g_autoptr (GSocketClient) client = socket_client_new ();
  g_autoptr (GSocketConnection) conn = g_socket_client_connect (
      client, G_SOCKET_CONNECTABLE (to), cancellable, error);
  if (conn == NULL || !take_connection (self, conn, error))
    return NULL;
  if (transport == ICE_TRANSPORT_TLS)
    {
      g_autoptr (GIOStream) tls = make_tls (G_IO_STREAM (conn), server, tls_server_name,
                                            tls_ca_file, error);
      if (tls == NULL
          || !g_tls_connection_handshake (G_TLS_CONNECTION (tls), cancellable, error))
        return NULL;
      start_reading (self, tls);
    }
  else
    start_reading (self, G_IO_STREAM (conn));
  return g_steal_pointer (&self);
}

/* ------------------------------------------------------ async construction */

typedef struct
{
  FloeStunSocket *self;
  GSocketConnection *conn;
  GIOStream *tls;
  char *tls_server_name;
  char *tls_ca_file;
} ConnectData;

static void
connect_data_free (gpointer p)
{
  ConnectData *d = p;
  g_clear_object (&d->self);
  g_clear_object (&d->conn);
  g_clear_object (&d->tls);
  g_free (d->tls_server_name);
  g_free (d->tls_ca_file);
  g_free (d);
}

static void
on_handshake (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ConnectData *d = g_task_get_task_data (task);
  GError *error = NULL;
  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  start_reading (d->self, d->tls);
  g_task_return_pointer (task, g_steal_pointer (&d->self), g_object_unref);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ConnectData *d = g_task_get_task_data (task);
  GError *error = NULL;
  d->conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (d->conn == NULL || !take_connection (d->self, d->conn, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (d->self->transport == ICE_TRANSPORT_TCP)
    {
      start_reading (d->self, G_IO_STREAM (d->conn));
      g_task_return_pointer (task, g_steal_pointer (&d->self), g_object_unref);
      return;
    }
  d->tls = make_tls (G_IO_STREAM (d->conn), &d->self->remote, d->tls_server_name,
                     d->tls_ca_file, &error);
  if (d->tls == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_tls_connection_handshake_async (G_TLS_CONNECTION (d->tls), G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_handshake,
                                    g_object_ref (task));
}

void
floe_stun_socket_new_stream_async (ice_transport transport, const ice_addr *server,
                                   const char *tls_server_name,
                                   const char *tls_ca_file,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, floe_stun_socket_new_stream_async);
  g_autoptr (GSocketAddress) to = NULL;
  GError *error = NULL;
  FloeStunSocket *self = stream_socket_new (transport, server, &to, &error);
  if (self == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  ConnectData *d = g_new0 (ConnectData, 1);
  d->self = self;
  d->tls_server_name = g_strdup (tls_server_name);
  d->tls_ca_file = g_strdup (tls_ca_file);
  g_task_set_task_data (task, d, connect_data_free);
  g_autoptr (GSocketClient) client = socket_client_new ();
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (to), cancellable,
                                 on_connected, g_object_ref (task));
}

FloeStunSocket *
floe_stun_socket_new_stream_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

ice_transport
floe_stun_socket_get_transport (FloeStunSocket *self)
{
  return self->transport;
}

const ice_addr *
floe_stun_socket_get_local (FloeStunSocket *self)
{
  return &self->local;
}

const ice_addr *
floe_stun_socket_get_remote (FloeStunSocket *self)
{
  return &self->remote;
}
