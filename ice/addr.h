/* Transport addresses as ice/ sees them: plain values, no sockets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct
{
  uint8_t family;  /* AF_INET or AF_INET6; 0 means "no address" */
  uint16_t port;   /* host byte order */
  uint8_t ip[16];  /* network byte order; IPv4 uses the first 4 bytes */
} ice_addr;

/* Enough for "[ffff:...:ffff]:65535" and a terminating NUL. */
#define ICE_ADDR_STRLEN 56

typedef enum
{
  ICE_TRANSPORT_UDP,
  ICE_TRANSPORT_TCP,
  ICE_TRANSPORT_TLS,
} ice_transport;

/* Length of the IP address in bytes: 4, 16, or 0 for an unset address. */
size_t ice_addr_ip_len (const ice_addr *a);

/* Fills *a from a numeric IPv4 or IPv6 literal (no brackets). Returns 0 or
 * -EINVAL. */
int ice_addr_set (ice_addr *a, const char *ip, uint16_t port);

/* Converts between ice_addr and struct sockaddr_in/_in6. from_sockaddr
 * returns -EAFNOSUPPORT for other families; to_sockaddr returns the length
 * written, or -ENOBUFS/-EAFNOSUPPORT. */
int ice_addr_from_sockaddr (ice_addr *a, const struct sockaddr *sa, socklen_t len);
int ice_addr_to_sockaddr (const ice_addr *a, struct sockaddr_storage *ss);

bool ice_addr_equal (const ice_addr *a, const ice_addr *b);
bool ice_addr_equal_ip (const ice_addr *a, const ice_addr *b);

/* "192.0.2.1:3478" or "[2001:db8::1]:3478"; always NUL-terminated. */
const char *ice_addr_to_string (const ice_addr *a, char buf[ICE_ADDR_STRLEN]);

/* Numeric IP only, no port: "192.0.2.1", "2001:db8::1". */
const char *ice_addr_ip_string (const ice_addr *a, char buf[ICE_ADDR_STRLEN]);

bool ice_addr_is_loopback (const ice_addr *a);
bool ice_addr_is_link_local (const ice_addr *a);

const char *ice_transport_name (ice_transport t); /* "udp", "tcp", "tls" */
