#include "config.h"

#include "floe-ice-server.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

gboolean
floe_host_port_parse (const char *text, char **host, guint16 *port, GError **error)
{
  const char *port_text = NULL;

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');
      if (end == NULL || end == text + 1)
        goto bad;
      *host = g_strndup (text + 1, end - text - 1);
      if (end[1] == ':')
        port_text = end + 2;
      else if (end[1] != '\0')
        goto bad;
    }
  else
    {
      const char *colon = strchr (text, ':');
      if (colon != NULL && strchr (colon + 1, ':') != NULL)
        goto bad; /* an IPv6 literal needs brackets */
      *host = colon ? g_strndup (text, colon - text) : g_strdup (text);
      if (colon)
        port_text = colon + 1;
    }
  if (**host == '\0')
    goto bad;
  if (port_text != NULL)
    {
      guint64 value;
      if (!g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &value, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a port number (1 to 65535)."), port_text);
          g_clear_pointer (host, g_free);
          return FALSE;
        }
      *port = (guint16) value;
    }
  return TRUE;

bad:
  g_clear_pointer (host, g_free);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a host name or address with an optional port."), text);
  return FALSE;
}

static gboolean
parse_query (FloeIceServer *server, const char *query, const char *text, GError **error)
{
  if (query == NULL)
    return TRUE;
  if (server->kind == FLOE_ICE_SERVER_TURN)
    {
      if (strcmp (query, "transport=udp") == 0 && server->transport != FLOE_ICE_SERVER_TLS)
        return TRUE;
      if (strcmp (query, "transport=tcp") == 0)
        {
          if (server->transport != FLOE_ICE_SERVER_TLS)
            server->transport = FLOE_ICE_SERVER_TCP;
          return TRUE;
        }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s”: only “?transport=udp” or “?transport=tcp” may follow a TURN server "
                 "(and turns: runs over TCP)."),
               text);
  return FALSE;
}

FloeIceServer *
floe_ice_server_parse (const char *text, FloeIceServerKind default_kind, GError **error)
{
  g_autoptr (FloeIceServer) server = g_new0 (FloeIceServer, 1);
  g_autofree char *rest = NULL;
  char *query;
  const char *hostport = text;

  server->kind = default_kind;
  server->transport = FLOE_ICE_SERVER_UDP;
  if (g_str_has_prefix (text, "stun:"))
    server->kind = FLOE_ICE_SERVER_STUN, hostport = text + 5;
  else if (g_str_has_prefix (text, "turn:"))
    server->kind = FLOE_ICE_SERVER_TURN, hostport = text + 5;
  else if (g_str_has_prefix (text, "turns:"))
    server->kind = FLOE_ICE_SERVER_TURN, server->transport = FLOE_ICE_SERVER_TLS, hostport = text + 6;
  else if (g_str_has_prefix (text, "stuns:"))
    server->kind = FLOE_ICE_SERVER_STUN, server->transport = FLOE_ICE_SERVER_TLS, hostport = text + 6;

  rest = g_strdup (hostport);
  query = strchr (rest, '?');
  if (query != NULL)
    *query++ = '\0';
  server->port = server->transport == FLOE_ICE_SERVER_TLS ? 5349 : 3478;
  if (!floe_host_port_parse (rest, &server->host, &server->port, error))
    return NULL;
  if (!parse_query (server, query, text, error))
    return NULL;
  return g_steal_pointer (&server);
}

FloeIceServer *
floe_ice_server_copy (const FloeIceServer *server)
{
  FloeIceServer *copy = g_memdup2 (server, sizeof *server);

  copy->host = g_strdup (server->host);
  copy->username = g_strdup (server->username);
  copy->password = g_strdup (server->password);
  copy->addresses = g_strdupv (server->addresses);
  return copy;
}

char **
floe_ice_server_pick_addresses (GList *inet_addresses)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  gboolean have4 = FALSE, have6 = FALSE;

  for (GList *l = inet_addresses; l != NULL; l = l->next)
    {
      gboolean v4 = g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4;

      if (v4 ? have4 : have6)
        continue;
      g_autofree char *ip = g_inet_address_to_string (l->data);

      g_strv_builder_add (b, ip);
      have4 |= v4;
      have6 |= !v4;
    }
  return g_strv_builder_end (b);
}

void
floe_ice_server_free (FloeIceServer *server)
{
  if (server == NULL)
    return;
  g_free (server->host);
  g_strfreev (server->addresses);
  g_free (server->username);
  if (server->password != NULL)
    {
      explicit_bzero (server->password, strlen (server->password));
      g_free (server->password);
    }
  g_free (server);
}

char *
floe_ice_server_to_string (const FloeIceServer *server)
{
  gboolean tls = server->transport == FLOE_ICE_SERVER_TLS;
  const char *scheme = server->kind == FLOE_ICE_SERVER_TURN ? (tls ? "turns" : "turn")
                                                            : (tls ? "stuns" : "stun");
  gboolean v6 = strchr (server->host, ':') != NULL;

  return g_strdup_printf ("%s:%s%s%s:%u%s", scheme, v6 ? "[" : "", server->host, v6 ? "]" : "",
                          server->port,
                          server->kind == FLOE_ICE_SERVER_TURN && server->transport == FLOE_ICE_SERVER_TCP
                            ? "?transport=tcp"
                            : "");
}
