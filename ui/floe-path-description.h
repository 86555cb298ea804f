/* Puts the network path of a call into words a user understands. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The selected ICE candidate pair, as the core reports it. Candidate types
 * are RFC 8839 names ("host", "srflx", "prflx", "relay"); addresses are
 * printable ("203.0.113.5:4000"); relay_transport is "udp", "tcp" or "tls". */
typedef struct {
  const char *local_type;
  const char *local_address;
  const char *remote_type;
  const char *remote_address;
  const char *relay_server;    /* host name of our TURN server, if we relay */
  const char *relay_transport;
  gboolean udp_blocked;        /* UDP to the TURN server failed, TCP/TLS worked */
  gint64 check_rtt_ms;         /* round trip of the check that validated the pair; -1 unknown */
} FloePathInfo;

/* True when either side of the pair is a relayed candidate. */
gboolean floe_path_is_relayed (const FloePathInfo *path);

/* One sentence: "Direct connection through your router", "Relayed through
 * turn.example.org over TCP because UDP is blocked"... NULL path or a pair
 * without types: "No connection yet". */
char *floe_path_describe (const FloePathInfo *path);

/* The pair itself: "You: server reflexive 203.0.113.5:4000 · Them: host 10.0.0.2:5000". */
char *floe_path_describe_pair (const FloePathInfo *path);

/* A candidate type in words ("host" -> "local address"). */
const char *floe_path_candidate_type_label (const char *type);

G_END_DECLS
