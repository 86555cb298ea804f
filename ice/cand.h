/* ICE candidates: types, priorities (RFC 8445 §5.1.2 with RFC 8421 local
 * preferences), foundations (§5.1.1.3) and redundancy (§5.1.3). */
#pragma once

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 8445 §5.1.1.3: foundation = 1*32 ice-char. */
#define ICE_FOUNDATION_MAX 32

typedef enum
{
  ICE_CAND_HOST,
  ICE_CAND_SRFLX,
  ICE_CAND_PRFLX,
  ICE_CAND_RELAY,
} ice_cand_type;

/* RFC 6544 tcptype; NONE for UDP candidates. */
typedef enum
{
  ICE_TCP_NONE,
  ICE_TCP_ACTIVE,
  ICE_TCP_PASSIVE,
  ICE_TCP_SO,
} ice_tcp_type;

typedef struct
{
  char foundation[ICE_FOUNDATION_MAX + 1];
  uint16_t component;      /* 1..256 */
  ice_transport transport; /* UDP, or TCP for RFC 6544 candidates */
  uint32_t priority;       /* 1..2^31-1 */
  ice_cand_type type;
  ice_addr addr;           /* the transport address */
  ice_addr rel_addr;       /* raddr/rport; family 0 when absent */
  ice_addr base;           /* local candidates only: where we send from */
  ice_tcp_type tcp_type;
  /* Parsed but not usable by this agent (TCP, FQDN/mDNS address, unknown
   * type or transport); the agent skips such candidates. */
  bool unsupported;
} ice_cand;

/* RFC 8445 §5.1.2.2 recommended type preferences: 126, 110, 100, 0. */
unsigned ice_cand_type_preference (ice_cand_type type);

/* "host", "srflx", "prflx", "relay". */
const char *ice_cand_type_name (ice_cand_type type);

/* §5.1.2.1: 2^24 * type pref + 2^8 * local pref + (256 - component).
 * component must be 1..256. */
uint32_t ice_cand_priority (unsigned type_pref, uint16_t local_pref, unsigned component);

/* RFC 8421 local preferences for a host's addresses, given in the order of
 * the caller's interface preference (most preferred first). IPv6 and IPv4
 * addresses are interleaved, IPv6 first, so that neither family starves;
 * within a family the caller's order is kept. out[i] receives the local
 * preference of addrs[i]; all values are distinct and <= 65535. n at most
 * 65535. */
void ice_cand_local_preferences (const ice_addr *addrs, size_t n, uint16_t *out);

/* §5.1.1.3: candidates share a foundation when they have the same type, the
 * same base IP address, the same server IP (STUN/TURN; NULL for host and
 * peer-reflexive) and the same transport. Writes a NUL-terminated string of
 * at most ICE_FOUNDATION_MAX ice-chars. Deterministic. */
void ice_cand_foundation (ice_cand_type type, const ice_addr *base,
                          const ice_addr *server, ice_transport transport,
                          char out[ICE_FOUNDATION_MAX + 1]);

/* §5.1.3: b is redundant with a when their transport addresses and bases
 * are equal (the caller keeps the one with the higher priority). */
bool ice_cand_redundant (const ice_cand *a, const ice_cand *b);

/* RFC 8445 §6.1.2.3 pair priority from the controlling agent's candidate
 * priority g and the controlled agent's d. */
uint64_t ice_pair_priority (uint32_t g, uint32_t d);
