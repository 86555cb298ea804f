#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

size_t
ice_addr_ip_len (const ice_addr *a)
{
  switch (a->family)
    {
    case AF_INET:
      return 4;
    case AF_INET6:
      return 16;
    default:
      return 0;
    }
}

int
ice_addr_set (ice_addr *a, const char *ip, uint16_t port)
{
  memset (a, 0, sizeof *a);
  if (ip == NULL)
    return -EINVAL;
  if (inet_pton (AF_INET, ip, a->ip) == 1)
    a->family = AF_INET;
  else if (inet_pton (AF_INET6, ip, a->ip) == 1)
    a->family = AF_INET6;
  else
    return -EINVAL;
  a->port = port;
  return 0;
}

int
ice_addr_from_sockaddr (ice_addr *a, const struct sockaddr *sa, socklen_t len)
{
  memset (a, 0, sizeof *a);
  if (sa->sa_family == AF_INET && len >= (socklen_t) sizeof (struct sockaddr_in))
    {
      const struct sockaddr_in *in = (const struct sockaddr_in *) (const void *) sa;
      a->family = AF_INET;
      a->port = ntohs (in->sin_port);
      memcpy (a->ip, &in->sin_addr, 4);
      return 0;
    }
  if (sa->sa_family == AF_INET6 && len >= (socklen_t) sizeof (struct sockaddr_in6))
    {
      const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) (const void *) sa;
      a->family = AF_INET6;
      a->port = ntohs (in6->sin6_port);
      memcpy (a->ip, &in6->sin6_addr, 16);
      return 0;
    }
  return -EAFNOSUPPORT;
}

int
ice_addr_to_sockaddr (const ice_addr *a, struct sockaddr_storage *ss)
{
  memset (ss, 0, sizeof *ss);
  if (a->family == AF_INET)
    {
      struct sockaddr_in *in = (struct sockaddr_in *) ss;
      in->sin_family = AF_INET;
      in->sin_port = htons (a->port);
      memcpy (&in->sin_addr, a->ip, 4);
      return sizeof *in;
    }
  if (a->family == AF_INET6)
    {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ss;
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons (a->port);
      memcpy (&in6->sin6_addr, a->ip, 16);
      return sizeof *in6;
    }
  return -EAFNOSUPPORT;
}

bool
ice_addr_equal_ip (const ice_addr *a, const ice_addr *b)
{
  return a->family == b->family && memcmp (a->ip, b->ip, ice_addr_ip_len (a)) == 0;
}

bool
ice_addr_equal (const ice_addr *a, const ice_addr *b)
{
  return ice_addr_equal_ip (a, b) && a->port == b->port;
}

const char *
ice_addr_ip_string (const ice_addr *a, char buf[ICE_ADDR_STRLEN])
{
  if (a->family == 0 || inet_ntop (a->family, a->ip, buf, ICE_ADDR_STRLEN) == NULL)
    snprintf (buf, ICE_ADDR_STRLEN, "(none)");
  return buf;
}

const char *
ice_addr_to_string (const ice_addr *a, char buf[ICE_ADDR_STRLEN])
{
  char ip[INET6_ADDRSTRLEN] = "(none)";

  if (a->family != 0)
    inet_ntop (a->family, a->ip, ip, sizeof ip);
  if (a->family == AF_INET6)
    snprintf (buf, ICE_ADDR_STRLEN, "[%s]:%u", ip, a->port);
  else if (a->family == AF_INET)
    snprintf (buf, ICE_ADDR_STRLEN, "%s:%u", ip, a->port);
  else
    snprintf (buf, ICE_ADDR_STRLEN, "%s", ip);
  return buf;
}

bool
ice_addr_is_loopback (const ice_addr *a)
{
  static const uint8_t v6_loopback[16] = { [15] = 1 };

  if (a->family == AF_INET)
    return a->ip[0] == 127;
  return a->family == AF_INET6 && memcmp (a->ip, v6_loopback, 16) == 0;
}

bool
ice_addr_is_link_local (const ice_addr *a)
{
  if (a->family == AF_INET)
    return a->ip[0] == 169 && a->ip[1] == 254;
  return a->family == AF_INET6 && a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80;
}

const char *
ice_transport_name (ice_transport t)
{
  switch (t)
    {
    case ICE_TRANSPORT_TCP:
      return "tcp";
    case ICE_TRANSPORT_TLS:
      return "tls";
    case ICE_TRANSPORT_UDP:
    default:
      return "udp";
    }
}
