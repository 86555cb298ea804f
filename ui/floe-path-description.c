/* Words for the path a call takes. Kept apart from the widgets so that the
 * sentences can be tested without a display. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <glib/gi18n.h>

#include "floe-path-description.h"

static gboolean
is_type (const char *type, const char *name)
{
  return type != NULL && g_ascii_strcasecmp (type, name) == 0;
}

static gboolean
is_behind_nat (const char *type)
{
  return is_type (type, "srflx") || is_type (type, "prflx");
}

gboolean
floe_path_is_relayed (const FloePathInfo *path)
{
  return path != NULL && (is_type (path->local_type, "relay") || is_type (path->remote_type, "relay"));
}

const char *
floe_path_candidate_type_label (const char *type)
{
  if (is_type (type, "host"))
    return _("local address");
  if (is_type (type, "srflx"))
    return _("public address seen by the STUN server");
  if (is_type (type, "prflx"))
    return _("public address seen by the other side");
  if (is_type (type, "relay"))
    return _("relay server address");
  return _("unknown");
}

static const char *
transport_label (const char *transport)
{
  if (is_type (transport, "tcp"))
    return "TCP";
  if (is_type (transport, "tls"))
    return "TLS";
  return "UDP";
}

char *
floe_path_describe (const FloePathInfo *path)
{
  if (path == NULL || path->local_type == NULL || path->remote_type == NULL)
    return g_strdup (_("No connection yet"));

  if (is_type (path->local_type, "relay"))
    {
      const char *server = path->relay_server != NULL && *path->relay_server != '\0'
                             ? path->relay_server : path->local_address;
      const char *transport = transport_label (path->relay_transport);

      if (path->udp_blocked && !is_type (path->relay_transport, "udp"))
        /* Translators: first %s is a server name, second TCP or TLS. */
        return g_strdup_printf (_("Relayed through %s over %s because UDP is blocked"), server, transport);
      /* Translators: first %s is a server name, second UDP, TCP or TLS. */
      return g_strdup_printf (_("Relayed through %s over %s because no direct path was found"), server, transport);
    }
  if (is_type (path->remote_type, "relay"))
    return g_strdup (_("Relayed through the other side’s server because no direct path was found"));

  if (is_type (path->local_type, "host") && is_type (path->remote_type, "host"))
    return g_strdup (_("Direct connection on your local network"));
  if (is_behind_nat (path->local_type) && is_behind_nat (path->remote_type))
    return g_strdup (_("Direct connection through both routers"));
  if (is_behind_nat (path->local_type))
    return g_strdup (_("Direct connection through your router"));
  if (is_behind_nat (path->remote_type))
    return g_strdup (_("Direct connection through the other side’s router"));
  return g_strdup (_("Direct connection"));
}

char *
floe_path_describe_pair (const FloePathInfo *path)
{
  if (path == NULL || path->local_type == NULL || path->remote_type == NULL)
    return g_strdup ("");

  /* Translators: "You: local address 192.0.2.1:5000 · Them: relay server address 203.0.113.9:3478". */
  return g_strdup_printf (_("You: %s %s · Them: %s %s"),
                          floe_path_candidate_type_label (path->local_type),
                          path->local_address != NULL ? path->local_address : "",
                          floe_path_candidate_type_label (path->remote_type),
                          path->remote_address != NULL ? path->remote_address : "");
}
