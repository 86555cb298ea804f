/* The ICE agent (RFC 8445, interoperating with RFC 5245 peers), sans-I/O.
 *
 * One agent handles one data stream with one or two components. The caller
 * owns the sockets: it binds one UDP socket per component and local address,
 * tells the agent about each (ice_agent_add_host), and from then on
 *   - feeds every datagram received on those sockets to handle_packet,
 *   - sends what poll_transmit gives it, from the socket whose bound address
 *     is transmit.local, to transmit.remote,
 *   - arms one timer at next_timeout and calls handle_timeout,
 *   - drains poll_event.
 * Time is the caller's monotonic clock in microseconds. Random values
 * (credentials, tie-breaker, transaction IDs, consent jitter) come from
 * config.random, OpenSSL's RAND_bytes by default: a test that seeds its own
 * source gets a fully deterministic agent. */
#pragma once

#include "addr.h"
#include "cand.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICE_MAX_COMPONENTS 2
#define ICE_CRED_MAX 256

typedef struct ice_agent ice_agent;

typedef enum
{
  ICE_ROLE_CONTROLLING,
  ICE_ROLE_CONTROLLED,
} ice_role;

typedef struct
{
  ice_role role;         /* initial role: the offerer is controlling */
  unsigned components;   /* 1 (rtcp-mux) or 2 */
  uint32_t ta_ms;        /* pacing of new transactions; 0 = 50 */
  uint32_t gather_timeout_ms;   /* bound for STUN/TURN servers; 0 = 5000 */
  uint32_t check_rto_ms;        /* first check retransmission; 0 = 500 */
  unsigned check_sends;         /* sends per check; 0 = 5 */
  uint32_t nominate_delay_ms;   /* controlling: longest wait for better pairs
                                 * after the first valid pair; 0 = 500, four
                                 * times that when it is relayed (a direct
                                 * pair stops waiting once the better ones
                                 * have had its round trip and one Ta) */
  uint32_t keepalive_ms;        /* Tr; 0 = 15000 (at least 15000) */
  uint32_t consent_ms;          /* mean consent interval; 0 = 5000 (RFC 7675 4-6 s) */
  uint32_t consent_timeout_ms;  /* 0 = 30000 */
  /* Bound on the checks when the peer never says end-of-candidates: with no
   * pair selected this long after the first check, ICE fails. 0 = 30000. */
  uint32_t connect_timeout_ms;
  /* Comma-separated interface names allowed for host candidates (exact
   * match, "eth0,wlan0"); NULL or "" allows all. */
  const char *iface_filter;
  /* Offer and check relayed candidates only, so that the peer never learns
   * our addresses and media always takes the TURN server. */
  bool relay_only;
  /* 0 = random. Tests set it to force a role-conflict outcome. */
  uint64_t tie_breaker;
  /* Local credentials; NULL = random (ufrag 8, pwd 24 ice-chars). */
  const char *ufrag;
  const char *pwd;
  /* Randomness: fills buf with len bytes, returns 0. NULL = RAND_bytes. */
  int (*random) (void *ctx, uint8_t *buf, size_t len);
  void *random_ctx;
} ice_agent_config;

typedef enum
{
  ICE_COMP_NEW,
  ICE_COMP_CHECKING,
  ICE_COMP_CONNECTED,    /* a pair is selected */
  ICE_COMP_DISCONNECTED, /* consent lost on the selected pair */
  ICE_COMP_FAILED,
} ice_comp_state;

typedef enum
{
  ICE_FAIL_NONE,
  ICE_FAIL_NO_LOCAL_CANDIDATES,  /* nothing to gather from */
  ICE_FAIL_NO_REMOTE_CANDIDATES, /* peer sent none we can use */
  ICE_FAIL_CHECKS_TIMED_OUT,     /* every check went unanswered */
  ICE_FAIL_CHECKS_FAILED,        /* answered with errors, or some timed out */
  ICE_FAIL_TURN_REFUSED,         /* no path, and a TURN server refused us */
  ICE_FAIL_CONSENT_LOST,         /* consent expired on every component */
} ice_fail_reason;

typedef enum
{
  ICE_EVENT_CANDIDATE,       /* .cand: a local candidate to signal */
  ICE_EVENT_GATHERING_DONE,
  ICE_EVENT_COMPONENT_STATE, /* .component, .state */
  ICE_EVENT_SELECTED_PAIR,   /* .component, .pair */
  ICE_EVENT_CONSENT_LOST,    /* .component */
  ICE_EVENT_ROLE_CHANGED,    /* .role: after a role conflict */
  ICE_EVENT_FAILED,          /* .reason, .reason_text */
} ice_event_type;

typedef struct
{
  ice_cand local;
  ice_cand remote;
  uint64_t rtt_us; /* of the check that validated it */
} ice_pair_info;

typedef struct
{
  ice_event_type type;
  unsigned component;
  ice_comp_state state;
  ice_cand cand;
  ice_pair_info pair;
  ice_role role;
  ice_fail_reason reason;
  const char *reason_text; /* static English sentence */
} ice_event;

typedef struct
{
  ice_addr local;  /* send from the socket bound to this address */
  ice_addr remote;
  const uint8_t *data; /* valid until the next call on the agent */
  size_t len;
  /* UDP: a datagram from the socket at local. TCP/TLS (only for TURN
   * servers added with ice_agent_add_turn_server_stream): one whole frame
   * for the stream from local's IP to remote, which the caller opens on
   * first use and keeps; what the server sends back is cut into frames
   * (ice_turn_stream_frame_len) and fed to ice_agent_handle_stream_frame. */
  ice_transport transport;
} ice_transmit;

/* Application data found by handle_packet (unwrapped from TURN when it came
 * through a relay). */
typedef struct
{
  unsigned component;
  ice_addr from;       /* the peer's address */
  const uint8_t *data; /* points into the packet or the agent; valid until
                        * the next call on the agent */
  size_t len;
} ice_app_data;

void ice_agent_config_default (ice_agent_config *cfg);

/* NULL on a bad config (components not 1 or 2, credentials that are not
 * ice-chars of legal length) or allocation failure. */
ice_agent *ice_agent_new (const ice_agent_config *cfg);
void ice_agent_free (ice_agent *a);

/* ---- before gathering */

/* A bound socket: component, its address (with the bound port), and the
 * interface name (for the filter; may be NULL). Returns 0, -EINVAL, -ENOSPC,
 * or -EALREADY once gathering started. */
int ice_agent_add_host (ice_agent *a, unsigned component, const char *ifname,
                        const ice_addr *addr);
/* Returns 0, -EINVAL, -ENOSPC. */
int ice_agent_add_stun_server (ice_agent *a, const ice_addr *server);
/* TURN over UDP from each host socket of the server's family. username and
 * password are copied (and never logged). */
int ice_agent_add_turn_server (ice_agent *a, const ice_addr *server,
                               const char *username, const char *password);
/* TURN over a stream (TCP, or TLS done by the caller): one allocation per
 * component, reached from the most preferred host address of the server's
 * family; the relayed candidate still carries UDP to the peer. For when UDP
 * to the server is blocked. */
int ice_agent_add_turn_server_stream (ice_agent *a, const ice_addr *server, ice_transport transport,
                                      const char *username, const char *password);

/* Starts gathering: host candidates at once (loopback and link-local only
 * when nothing else exists; the interface filter applied), then
 * server-reflexive and relayed candidates paced by Ta. */
int ice_agent_gather (ice_agent *a, uint64_t now_us);

/* Local credentials (valid for the agent's life or until restart). */
const char *ice_agent_local_ufrag (const ice_agent *a);
const char *ice_agent_local_pwd (const ice_agent *a);

/* Local candidates gathered so far (for a non-trickle offer). */
size_t ice_agent_local_candidates (const ice_agent *a, ice_cand *out, size_t max);

/* ---- the peer */

/* Returns 0 or -EINVAL (not ice-chars of legal length). Checks start once
 * remote credentials and candidates are known. */
int ice_agent_set_remote_credentials (ice_agent *a, const char *ufrag, const char *pwd);
/* Adds one remote candidate (trickle or from the SDP). Unsupported ones
 * (TCP, FQDN) and components we do not have are ignored: returns 0 when
 * taken, -ENOTSUP/-EINVAL when ignored, -ENOSPC. */
int ice_agent_add_remote_candidate (ice_agent *a, uint64_t now_us, const ice_cand *c);
/* a=end-of-candidates, or all candidates of a non-trickle SDP given. Only
 * then can the agent declare failure. */
void ice_agent_remote_gathering_done (ice_agent *a, uint64_t now_us);
/* The peer is ice-lite: we take the controlling role and run all checks. */
void ice_agent_set_remote_lite (ice_agent *a, bool lite);
/* rtcp-mux agreed: component 2 is dropped (its sockets stay unused). */
void ice_agent_set_rtcp_mux (ice_agent *a);
/* a=remote-candidates from the controlling peer (we are controlled): the
 * pair with these remote candidates is selected once it validates. */
int ice_agent_set_remote_selection (ice_agent *a, unsigned component, const ice_addr *remote);

/* ICE restart (RFC 8445 §9): new local credentials; remote credentials and
 * candidates must be given again. Media continues on the old selected pair
 * until a new one is selected. */
int ice_agent_restart (ice_agent *a, uint64_t now_us);

/* The call is over: releases TURN allocations (drain poll_transmit once
 * more to send the deallocations) and stops all checks and consent. The
 * agent answers nothing afterwards; free it when convenient. */
void ice_agent_close (ice_agent *a, uint64_t now_us);

/* ---- the engine */

/* Feeds a datagram received on the socket bound to local from remote.
 * Returns 0 when the agent consumed it, 1 when it is application data
 * (*app filled), or a negative code when dropped (counted); -ESHUTDOWN
 * after ice_agent_close. Non-STUN datagrams (RFC 7983: RTP, RTCP, DTLS)
 * are application data as they are; through a relay they come unwrapped. */
int ice_agent_handle_packet (ice_agent *a, uint64_t now_us, const ice_addr *local,
                             const ice_addr *remote, const uint8_t *data, size_t len,
                             ice_app_data *app);
/* One frame received on the stream (transport TCP or TLS) from local's IP
 * to the TURN server remote. Same returns as handle_packet. */
int ice_agent_handle_stream_frame (ice_agent *a, uint64_t now_us, const ice_addr *local,
                                   const ice_addr *remote, ice_transport transport,
                                   const uint8_t *data, size_t len, ice_app_data *app);
void ice_agent_handle_timeout (ice_agent *a, uint64_t now_us);
uint64_t ice_agent_next_timeout (const ice_agent *a);
bool ice_agent_poll_transmit (ice_agent *a, ice_transmit *out);
bool ice_agent_poll_event (ice_agent *a, ice_event *out);

/* Queues application data on the selected pair of component (through TURN
 * when the local candidate is relayed). Returns 0, -ENOTCONN (no selected
 * pair or consent lost), -EINVAL, -ENOMEM. */
int ice_agent_send (ice_agent *a, uint64_t now_us, unsigned component,
                    const uint8_t *data, size_t len);

ice_role ice_agent_role (const ice_agent *a);
/* Sets the role of an agent gathered before anyone knew who would offer (a
 * candidate pool). -EBUSY once the peer's credentials are known. */
int ice_agent_set_role (ice_agent *a, ice_role role);
ice_comp_state ice_agent_component_state (const ice_agent *a, unsigned component);
/* Returns false when no pair is selected. */
bool ice_agent_selected_pair (const ice_agent *a, unsigned component, ice_pair_info *out);

typedef struct
{
  uint64_t checks_sent;       /* new check transactions (not retransmits) */
  uint64_t checks_received;
  uint64_t dropped;           /* malformed or unauthenticated packets */
  uint64_t role_conflicts;
  uint64_t pairs;
  /* Gathering found UDP blocked: only TCP or TLS reached the servers. */
  bool udp_blocked;
} ice_agent_stats;

void ice_agent_stats_get (const ice_agent *a, ice_agent_stats *out);

const char *ice_fail_reason_text (ice_fail_reason r);
const char *ice_comp_state_name (ice_comp_state s);
