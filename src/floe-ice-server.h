/* STUN and TURN servers as people write them: RFC 7064 "stun:" and RFC 7065
 * "turn:"/"turns:" URIs, shared by the headless options and the settings. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  FLOE_ICE_SERVER_STUN,
  FLOE_ICE_SERVER_TURN,
} FloeIceServerKind;

typedef enum
{
  FLOE_ICE_SERVER_UDP,
  FLOE_ICE_SERVER_TCP,
  FLOE_ICE_SERVER_TLS,
} FloeIceServerTransport;

/* Which candidates a call may use. */
typedef enum
{
  FLOE_ICE_POLICY_ALL,        /* every candidate type */
  FLOE_ICE_POLICY_NO_RELAY,   /* host and reflexive only: TURN servers are not used */
  FLOE_ICE_POLICY_RELAY_ONLY, /* TURN relays only: our addresses are never shown */
} FloeIcePolicy;

typedef struct
{
  FloeIceServerKind kind;
  FloeIceServerTransport transport;
  char *host;     /* a name or an IP literal, without brackets */
  guint16 port;
  char *username; /* TURN only */
  char *password; /* TURN only; a secret: never logged, wiped on free */
  /* host resolved ahead: an IP literal per address family; NULL: resolve
   * host when used */
  char **addresses;
} FloeIceServer;

/* Parses "stun:host[:port]", "turn:host[:port][?transport=udp|tcp]" or
 * "turns:host[:port][?transport=tcp]". A bare "host[:port]" is taken as
 * @default_kind. IPv6 literals go in brackets. Default ports: 3478, and
 * 5349 for turns. On error, returns NULL and sets a message naming the
 * problem. */
FloeIceServer *floe_ice_server_parse (const char *text,
                                      FloeIceServerKind default_kind,
                                      GError **error);

/* Splits "host", "host:port", "[v6]" or "[v6]:port"; *port is left alone
 * when the text has none. */
gboolean floe_host_port_parse (const char *text, char **host, guint16 *port, GError **error);

FloeIceServer *floe_ice_server_copy (const FloeIceServer *server);

/* From a name's addresses (GInetAddress*, the resolver's order), the first
 * of each family as IP literals: a dual-stack agent reaches the server from
 * both its IPv4 and its IPv6 sockets. */
char **floe_ice_server_pick_addresses (GList *inet_addresses);
void floe_ice_server_free (FloeIceServer *server);

/* "turn:turn.example.org:3478?transport=tcp": the URI without credentials,
 * safe to show and to log. */
char *floe_ice_server_to_string (const FloeIceServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FloeIceServer, floe_ice_server_free)

G_END_DECLS
