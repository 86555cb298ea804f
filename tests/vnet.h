/* An in-memory UDP network with a virtual clock for testing ICE: realms
 * (the public internet and LANs behind NATs), NATs with RFC 4787 mapping and
 * filtering behaviours, blocked UDP, loss and latency, and STUN and TURN
 * servers living inside the model. Deterministic: loss comes from a seeded
 * generator, deliveries are ordered by time then by send order.
 *
 * Addresses must be unique across realms (use 10.N.0.x for LAN N). */
#pragma once

#include "ice/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vnet vnet;

typedef enum
{
  VNET_EI,  /* endpoint-independent */
  VNET_AD,  /* address-dependent */
  VNET_APD, /* address-and-port-dependent */
} vnet_behaviour;

/* stream: the bytes came as one frame of a TCP connection, not a datagram. */
typedef void (*vnet_recv_fn) (void *ctx, uint64_t now, const ice_addr *local,
                              const ice_addr *from, const uint8_t *data, size_t len, bool stream);

vnet *vnet_new (uint32_t seed);
void vnet_free (vnet *n);

/* Realm 0 is the public internet. Returns the new realm (LAN) id, whose
 * traffic to other realms leaves through a NAT on public_ip. */
int vnet_add_nat (vnet *n, const char *public_ip, vnet_behaviour mapping, vnet_behaviour filtering);
/* A firewall at the realm's edge dropping all UDP in and out. */
void vnet_block_udp (vnet *n, int realm, bool blocked);
/* A UDP binding of the realm's NAT disappears after this long without
 * outbound traffic through it (RFC 4787 REQ-5/REQ-6: outbound refreshes,
 * inbound does not); 0, the default, keeps bindings forever. */
void vnet_set_mapping_timeout (vnet *n, int realm, uint64_t us);
/* Every datagram crossing the internet is lost with this probability
 * (per mille). */
void vnet_set_loss (vnet *n, unsigned per_mille);
/* One-way delay for a hop inside a realm and across the internet. */
void vnet_set_latency (vnet *n, uint64_t lan_us, uint64_t wan_us);

/* A socket at addr in realm; fn gets its datagrams. Returns 0 or -1. */
int vnet_bind (vnet *n, int realm, const ice_addr *addr, vnet_recv_fn fn, void *ctx);
void vnet_unbind (vnet *n, const ice_addr *addr);

/* Sends from the socket bound at from. */
void vnet_send (vnet *n, uint64_t now, const ice_addr *from, const ice_addr *to,
                const uint8_t *data, size_t len);

/* One frame on a TCP connection from the socket's IP to `to` (opened on
 * first use): reliable, passes NATs like an outgoing connection does (the
 * answer always gets back), and a UDP block does not stop it. Replies go
 * with vnet_stream_send from the server's address to the `from` it saw. */
void vnet_stream_send (vnet *n, uint64_t now, const ice_addr *from, const ice_addr *to,
                       const uint8_t *data, size_t len);

/* Time of the next delivery, UINT64_MAX when nothing is in flight. */
uint64_t vnet_next (const vnet *n);
/* Delivers everything due at or before now. */
void vnet_run (vnet *n, uint64_t now);

/* Servers in the public realm. The STUN server answers Binding requests;
 * the TURN server (RFC 8656 over UDP and TCP, long-term credentials)
 * relays from relay_ip. */
int vnet_add_stun_server (vnet *n, const ice_addr *addr);
int vnet_add_turn_server (vnet *n, const ice_addr *addr, const char *username,
                          const char *password, const char *relay_ip);

typedef struct
{
  uint64_t sent;
  uint64_t delivered;
  uint64_t lost;      /* random loss */
  uint64_t filtered;  /* dropped by a NAT filter or a firewall */
  uint64_t unroutable;
  uint64_t relayed;   /* through the TURN server */
  uint64_t allocations; /* TURN allocations alive now */
} vnet_stats;

void vnet_stats_get (const vnet *n, vnet_stats *out);
