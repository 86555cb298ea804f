/* FloeIceTransport: the ICE agent of one audio stream, with real sockets.
 *
 * It binds one UDP socket per component on every usable interface address,
 * runs the sans-I/O agent (ice/agent.h) from the GLib main loop with one
 * timer, and gives media a path to send and receive over whichever pair is
 * selected now (relayed through TURN when the local candidate is). Packets
 * on each socket are told apart by their first byte (RFC 7983): STUN and
 * TURN go to the agent, RTP and RTCP to the receive function. A peer
 * without ICE is reached directly (floe_ice_transport_set_plain_remote). */
#pragma once

#include <gio/gio.h>

#include "floe-ice-server.h"
#include "ice/agent.h"

G_BEGIN_DECLS

#define FLOE_TYPE_ICE_TRANSPORT (floe_ice_transport_get_type ())
G_DECLARE_FINAL_TYPE (FloeIceTransport, floe_ice_transport, FLOE, ICE_TRANSPORT, GObject)

/* Called on the main thread for each RTP/RTCP datagram from the peer. */
typedef void (*FloeIceReceiveFunc) (gpointer user, guint component, const guint8 *data, gsize len);

/* Signals (main thread):
 *   "candidate-gathered" (gpointer const ice_cand *)
 *   "gathering-done"
 *   "pair-selected"      (guint component, gpointer const ice_pair_info *)
 *   "state-changed"      (guint component, gint ice_comp_state)
 *   "consent-lost"       (guint component)
 *   "failed"             (gint ice_fail_reason, const char *sentence) */

/* ice_servers: FloeIceServer*, hosts resolved now. components: 1
 * (rtcp-mux) or 2. iface_filter: "eth0,wlan0" or NULL. */
FloeIceTransport *floe_ice_transport_new (gboolean controlling, guint components,
                                          GPtrArray *ice_servers, FloeIcePolicy policy,
                                          const char *iface_filter, GError **error);

/* Starts gathering; candidates arrive as signals, then "gathering-done".
 * Once started, a second call does nothing. */
gboolean floe_ice_transport_gather (FloeIceTransport *self, GError **error);
gboolean floe_ice_transport_is_gathered (FloeIceTransport *self);
/* The local candidates gathered so far (ice_cand), for whoever connects
 * to the signals late. */
GArray *floe_ice_transport_get_candidates (FloeIceTransport *self);
/* A transport gathered ahead of its call (FloeIcePool) takes the call's
 * role here; FALSE once the peer is known. */
gboolean floe_ice_transport_set_controlling (FloeIceTransport *self, gboolean controlling);

/* Our RFC 8839 lines without "a=": ice-ufrag, ice-pwd, ice-options and every
 * candidate gathered so far. Free with g_strfreev. */
char **floe_ice_transport_local_lines (FloeIceTransport *self);

/* The default candidate for c=/m= (RFC 8839 §4.2.1.4: relayed, else
 * reflexive, else host). FALSE while nothing is gathered. */
gboolean floe_ice_transport_default_candidate (FloeIceTransport *self, guint component,
                                               char **addr, guint16 *port);

/* The peer's ICE lines of its audio section (with or without "a="). A bad
 * line is an error naming it. Starts the checks. */
gboolean floe_ice_transport_set_remote (FloeIceTransport *self, const char *const *lines,
                                        GError **error);

/* A peer without ICE: send to addr:port from our first host socket
 * (symmetric RTP). */
gboolean floe_ice_transport_set_plain_remote (FloeIceTransport *self, guint component,
                                              const char *addr, guint16 port, GError **error);

void floe_ice_transport_set_rtcp_mux (FloeIceTransport *self);
void floe_ice_transport_set_receive (FloeIceTransport *self, FloeIceReceiveFunc func, gpointer user);

/* Any thread. 0, or -ENOTCONN while no pair is selected. */
int floe_ice_transport_send (FloeIceTransport *self, guint component, const guint8 *data, gsize len);

gboolean floe_ice_transport_get_selected (FloeIceTransport *self, guint component, ice_pair_info *out);
ice_agent_stats floe_ice_transport_get_stats (FloeIceTransport *self);

G_END_DECLS
