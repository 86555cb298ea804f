/* FloeIcePool: an ICE transport gathered ahead of the next call.
 *
 * Gathering takes STUN and TURN round trips; a call that finds its
 * candidates ready sends its offer or answer at once. The pool keeps one
 * spare transport, gathered with the settings it was made with; while it
 * waits, its agent keeps the NAT bindings behind its server-reflexive and
 * relayed candidates alive, and the spare is made anew when its owner
 * says the network changed, and every few minutes. This holds TURN allocations while idle. A
 * call takes the spare even while it is still gathering: it is ahead of a
 * fresh one all the same. */
#pragma once

#include <gio/gio.h>

#include "floe-ice-server.h"
#include "floe-ice-transport.h"

G_BEGIN_DECLS

#define FLOE_TYPE_ICE_POOL (floe_ice_pool_get_type ())
G_DECLARE_FINAL_TYPE (FloeIcePool, floe_ice_pool, FLOE, ICE_POOL, GObject)

/* ice_servers: FloeIceServer*, copied. Starts gathering the spare once
 * the servers' names are resolved (without blocking). */
FloeIcePool *floe_ice_pool_new (GPtrArray *ice_servers, FloeIcePolicy policy, const char *iface_filter);

/* The spare, in the call's role, or NULL when there is none (it could not
 * be made: the call makes its own and reports why). A new spare starts
 * gathering. */
FloeIceTransport *floe_ice_pool_take (FloeIcePool *self, gboolean controlling);

/* The network changed (new addresses, another router): a new spare now.
 * (The pool does not watch the network itself: GNetworkMonitor costs a
 * headless agent most of a megabyte of memory.) */
void floe_ice_pool_renew (FloeIcePool *self);

G_END_DECLS
