/* FloeStunSocket: one real socket towards STUN/TURN servers (UDP, or a TCP
 * or TLS connection to one server) that runs the sans-I/O STUN client
 * transactions (ice/stun-txn.h) and TURN clients (ice/turn-client.h) from
 * the GLib main loop, with one GLib timer source per engine.
 *
 * Received datagrams (or, on streams, whole frames cut out of the byte
 * stream with ice_turn_stream_frame_len) are offered to each engine in the
 * order they were added until one claims them.  After any input, timer or
 * floe_stun_socket_kick, the engine's transmits are sent, its events are
 * emitted as signals and its timer is re-armed.  Engine time is
 * g_get_monotonic_time() (microseconds).
 *
 * Signals (main thread; handlers must not remove or free the engine):
 *   "stun-event" (gpointer ice_stun_txns *, gpointer const ice_stun_txn_event *)
 *   "turn-event" (gpointer ice_turn_client *, gpointer const ice_turn_event *)
 *   "turn-data"  (gpointer ice_turn_client *, gpointer const ice_turn_data *)
 *   "closed"     (GError *): a stream ended or failed; nothing more is read. */
#pragma once

#include <gio/gio.h>

#include "ice/addr.h"
#include "ice/stun-txn.h"
#include "ice/turn-client.h"

G_BEGIN_DECLS

#define FLOE_TYPE_STUN_SOCKET (floe_stun_socket_get_type ())
G_DECLARE_FINAL_TYPE (FloeStunSocket, floe_stun_socket, FLOE, STUN_SOCKET, GObject)

/* A UDP socket bound to local (port 0: any free port). */
FloeStunSocket *floe_stun_socket_new_udp (const ice_addr *local, GError **error);

/* A TCP (ICE_TRANSPORT_TCP) or TLS (ICE_TRANSPORT_TLS) connection to
 * server.  For TLS, tls_server_name is the name the certificate must carry
 * (NULL: the server's IP), and tls_ca_file a PEM file of trusted CAs
 * (NULL: the system's).  The plain call blocks until connected (up to
 * 10 s); the async pair does not, for use from the UI's main loop. */
FloeStunSocket *floe_stun_socket_new_stream (ice_transport transport,
                                             const ice_addr *server,
                                             const char *tls_server_name,
                                             const char *tls_ca_file,
                                             GCancellable *cancellable,
                                             GError **error);
void floe_stun_socket_new_stream_async (ice_transport transport,
                                        const ice_addr *server,
                                        const char *tls_server_name,
                                        const char *tls_ca_file,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
FloeStunSocket *floe_stun_socket_new_stream_finish (GAsyncResult *result,
                                                    GError **error);

ice_transport floe_stun_socket_get_transport (FloeStunSocket *self);
const ice_addr *floe_stun_socket_get_local (FloeStunSocket *self);
/* The server a stream is connected to; unset for UDP. */
const ice_addr *floe_stun_socket_get_remote (FloeStunSocket *self);

/* Engines are borrowed: the caller frees them after removing them. */
void floe_stun_socket_add_stun (FloeStunSocket *self, ice_stun_txns *txns);
void floe_stun_socket_add_turn (FloeStunSocket *self, ice_turn_client *turn);
void floe_stun_socket_remove_engine (FloeStunSocket *self, gpointer engine);

/* Call after acting on an engine from outside (allocate, start a
 * transaction, create a permission...): sends what it queued, emits its
 * events, re-arms its timer. */
void floe_stun_socket_kick (FloeStunSocket *self, gpointer engine);

/* Sends raw bytes: to remote on UDP, down the connection on a stream. */
gboolean floe_stun_socket_send (FloeStunSocket *self, const ice_addr *remote,
                                const guint8 *data, gsize len, GError **error);

/* Sends data to peer through turn's allocation (ChannelData when a channel
 * is bound, else a Send indication). */
gboolean floe_stun_socket_turn_send (FloeStunSocket *self, ice_turn_client *turn,
                                     const ice_addr *peer, const guint8 *data,
                                     gsize len, GError **error);

G_END_DECLS
