#include "cand.h"

#include <stdio.h>
#include <string.h>

unsigned
ice_cand_type_preference (ice_cand_type type)
{
  switch (type)
    {
    case ICE_CAND_HOST:
      return 126;
    case ICE_CAND_PRFLX:
      return 110;
    case ICE_CAND_SRFLX:
      return 100;
    case ICE_CAND_RELAY:
    default:
      return 0;
    }
}

const char *
ice_cand_type_name (ice_cand_type type)
{
  switch (type)
    {
    case ICE_CAND_HOST:
      return "host";
    case ICE_CAND_SRFLX:
      return "srflx";
    case ICE_CAND_PRFLX:
      return "prflx";
    case ICE_CAND_RELAY:
    default:
      return "relay";
    }
}

uint32_t
ice_cand_priority (unsigned type_pref, uint16_t local_pref, unsigned component)
{
  if (type_pref > 126)
    type_pref = 126;
  if (component < 1)
    component = 1;
  if (component > 256)
    component = 256;
  return ((uint32_t) type_pref << 24) | ((uint32_t) local_pref << 8) | (256u - component);
}

void
ice_cand_local_preferences (const ice_addr *addrs, size_t n, uint16_t *out)
{
  size_t n6 = 0, n4 = 0;
  size_t i;

  if (n > 65535)
    n = 65535;
  for (i = 0; i < n; i++)
    if (addrs[i].family == AF_INET6)
      n6++;
    else
      n4++;
  /* Rank of the k-th address of a family when the families alternate,
   * IPv6 first (RFC 8421 §4): while both families have addresses left they
   * take turns; the tail of the longer family follows. */
  size_t k6 = 0, k4 = 0;
  for (i = 0; i < n; i++)
    {
      size_t rank;
      if (addrs[i].family == AF_INET6)
        {
          size_t k = k6++;
          rank = k < n4 ? 2 * k : n4 + k;
        }
      else
        {
          size_t k = k4++;
          rank = k < n6 ? 2 * k + 1 : n6 + k;
        }
      out[i] = (uint16_t) (65535 - rank);
    }
}

void
ice_cand_foundation (ice_cand_type type, const ice_addr *base,
                     const ice_addr *server, ice_transport transport,
                     char out[ICE_FOUNDATION_MAX + 1])
{
  /* FNV-1a over exactly the inputs §5.1.1.3 names: equal inputs give equal
   * foundations, and distinct ones collide with negligible probability. */
  uint32_t h = 2166136261u;
  uint8_t buf[2 + 17 + 17];
  size_t len = 0, i;

  buf[len++] = (uint8_t) type;
  buf[len++] = (uint8_t) transport;
  buf[len++] = base ? base->family : 0;
  if (base)
    {
      memcpy (buf + len, base->ip, ice_addr_ip_len (base));
      len += ice_addr_ip_len (base);
    }
  buf[len++] = server ? server->family : 0;
  if (server)
    {
      memcpy (buf + len, server->ip, ice_addr_ip_len (server));
      len += ice_addr_ip_len (server);
    }
  for (i = 0; i < len; i++)
    {
      h ^= buf[i];
      h *= 16777619u;
    }
  snprintf (out, ICE_FOUNDATION_MAX + 1, "%08x", h);
}

bool
ice_cand_redundant (const ice_cand *a, const ice_cand *b)
{
  return a->component == b->component && a->transport == b->transport
         && ice_addr_equal (&a->addr, &b->addr) && ice_addr_equal (&a->base, &b->base);
}

uint64_t
ice_pair_priority (uint32_t g, uint32_t d)
{
  uint64_t lo = g < d ? g : d;
  uint64_t hi = g < d ? d : g;
  return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}
