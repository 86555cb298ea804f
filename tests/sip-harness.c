/* Shared pieces of the SIP tests. */
#include "config.h"

#include "sip-harness.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gobject/gvaluecollector.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static gboolean
on_cap (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
sip_wait (SipCondition cond, gpointer data, guint cap_seconds)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (cap_seconds, on_cap, &expired);

  while (!cond (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return cond (data);
}

typedef struct
{
  gpointer object;
  const char *property;
  int value;
} IntWait;

static gboolean
int_matches (gpointer data)
{
  IntWait *w = data;
  int v = 0;
  g_object_get (w->object, w->property, &v, NULL);
  return v == w->value;
}

gboolean
sip_wait_int (gpointer object, const char *property, int value, guint cap_seconds)
{
  IntWait w = { object, property, value };
  return sip_wait (int_matches, &w, cap_seconds);
}

const char *
sip_kamailio_path (void)
{
  static char *path;
  if (!path)
    path = g_find_program_in_path ("kamailio");
  if (!path && g_file_test ("/usr/sbin/kamailio", G_FILE_TEST_IS_EXECUTABLE))
    path = g_strdup ("/usr/sbin/kamailio");
  return path;
}

guint
sip_free_port (void)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  for (int tries = 0; tries < 50; tries++)
    {
      g_autoptr (GSocket) udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
      g_autoptr (GSocket) tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
      g_autoptr (GSocketAddress) bound = NULL;
      g_autoptr (GSocketAddress) same = NULL;
      guint port;

      if (!g_socket_bind (udp, any, FALSE, NULL) || !(bound = g_socket_get_local_address (udp, NULL)))
        continue;
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      same = g_inet_socket_address_new (lo, (guint16) port);
      if (g_socket_bind (tcp, same, TRUE, NULL))
        return port;
    }
  return 0;
}

void
sip_kamailio_prepare (SipKamailio *k, const char *const *users)
{
  const char *srcdir = g_getenv ("top_srcdir");
  g_autofree char *template_path = g_build_filename (srcdir ? srcdir : "..", "tests", "kamailio", "floe.cfg", NULL);
  g_autofree char *template = NULL;
  g_autofree char *port = NULL;
  g_autofree char *cfg_path = NULL;
  g_autofree char *users_path = NULL;
  g_autoptr (GString) cfg = NULL;
  g_autoptr (GString) list = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  memset (k, 0, sizeof *k);
  k->dir = g_dir_make_tmp ("floe-kamailio-XXXXXX", &error);
  g_assert_no_error (error);
  k->port = sip_free_port ();
  g_assert_cmpuint (k->port, !=, 0);

  g_file_get_contents (template_path, &template, NULL, &error);
  g_assert_no_error (error);
  port = g_strdup_printf ("%u", k->port);
  cfg = g_string_new (template);
  g_string_replace (cfg, "@PORT@", port, 0);
  g_string_replace (cfg, "@DIR@", k->dir, 0);
  cfg_path = g_build_filename (k->dir, "kamailio.cfg", NULL);
  g_file_set_contents (cfg_path, cfg->str, -1, &error);
  g_assert_no_error (error);

  for (guint i = 0; users && users[i] && users[i + 1]; i += 2)
    g_string_append_printf (list, "$sht(users=>%s) = \"%s\";\n", users[i], users[i + 1]);
  users_path = g_build_filename (k->dir, "users.cfg", NULL);
  g_file_set_contents (users_path, list->str, -1, &error);
  g_assert_no_error (error);
}

static gboolean
port_listens (guint port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;

  g_socket_client_set_timeout (client, 1);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) port, NULL, NULL);
  return conn != NULL;
}

gboolean
sip_kamailio_start (SipKamailio *k)
{
  g_autofree char *cfg = g_build_filename (k->dir, "kamailio.cfg", NULL);
  g_autofree char *pidfile = g_build_filename (k->dir, "kamailio.pid", NULL);
  g_autofree char *log = g_build_filename (k->dir, "kamailio.log", NULL);
  const char *argv[] = { sip_kamailio_path (), "-f", cfg, "-DD", "-E", "-Y", k->dir, "-w", k->dir,
                         "-P", pidfile, NULL };
  g_autoptr (GError) error = NULL;
  int log_fd;

  /* One left behind by a test process that failed half-way. */
  k->pid = 0;
  sip_kamailio_stop (k);
  log_fd = g_open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  g_assert_cmpint (log_fd, >=, 0);
  if (!g_spawn_async_with_fds (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                               &k->pid, -1, log_fd, log_fd, &error))
    {
      g_printerr ("cannot start kamailio: %s\n", error->message);
      close (log_fd);
      return FALSE;
    }
  close (log_fd);
  /* Ready once its TCP listener answers; the UDP one opens before it. */
  for (int i = 0; i < 200; i++)
    {
      if (port_listens (k->port))
        return TRUE;
      if (waitpid (k->pid, NULL, WNOHANG) == k->pid)
        {
          g_printerr ("kamailio exited; see %s\n", log);
          k->pid = 0;
          return FALSE;
        }
      g_usleep (50 * 1000);
    }
  return FALSE;
}

void
sip_kamailio_stop (SipKamailio *k)
{
  g_autofree char *pidfile = k->dir ? g_build_filename (k->dir, "kamailio.pid", NULL) : NULL;
  g_autofree char *text = NULL;

  if (k->pid > 0)
    {
      kill (k->pid, SIGTERM);
      waitpid (k->pid, NULL, 0);
      k->pid = 0;
    }
  /* One started by another (forked, perhaps crashed) test process: its pid
   * file still names it. */
  if (pidfile && g_file_get_contents (pidfile, &text, NULL, NULL))
    {
      pid_t pid = (pid_t) atoi (text);
      if (pid > 1 && kill (pid, SIGTERM) == 0)
        for (int i = 0; i < 100 && kill (pid, 0) == 0; i++)
          g_usleep (50 * 1000);
    }
  if (pidfile)
    g_unlink (pidfile);
}

void
sip_kamailio_cleanup (SipKamailio *k)
{
  static const char *const files[] = { "kamailio.cfg", "users.cfg", "kamailio.pid", "kamailio.log", NULL };

  sip_kamailio_stop (k);
  if (!k->dir)
    return;
  if (g_getenv ("FLOE_KEEP_LOGS"))
    g_printerr ("kamailio files kept in %s\n", k->dir);
  else
    {
      for (guint i = 0; files[i]; i++)
        {
          g_autofree char *p = g_build_filename (k->dir, files[i], NULL);
          g_unlink (p);
        }
      g_rmdir (k->dir);
    }
  g_clear_pointer (&k->dir, g_free);
}

FloeAccount *
sip_test_account (const char *user, const char *password, const char *registrar,
                  const char *first_property, ...)
{
  /* "alice" or a whole AOR such as "sips:alice@127.0.0.1" */
  g_autofree char *aor = strchr (user, ':') ? g_strdup (user) : g_strdup_printf ("sip:%s@127.0.0.1", user);
  g_autoptr (GTypeClass) klass = g_type_class_ref (FLOE_TYPE_ACCOUNT);
  const char *names[32];
  GValue values[32] = { G_VALUE_INIT };
  guint n = 0;
  FloeAccount *account;
  va_list ap;

  names[n] = "aor";
  g_value_set_string (g_value_init (&values[n++], G_TYPE_STRING), aor);
  names[n] = "password";
  g_value_set_string (g_value_init (&values[n++], G_TYPE_STRING), password);
  names[n] = "registrar";
  g_value_set_string (g_value_init (&values[n++], G_TYPE_STRING), registrar);
  names[n] = "register";
  g_value_set_boolean (g_value_init (&values[n++], G_TYPE_BOOLEAN), registrar != NULL);
  names[n] = "local-address";
  g_value_set_string (g_value_init (&values[n++], G_TYPE_STRING), "127.0.0.1");

  va_start (ap, first_property);
  for (const char *name = first_property; name && n < G_N_ELEMENTS (names); name = va_arg (ap, const char *))
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), name);
      g_autofree char *error = NULL;
      g_assert_nonnull (pspec);
      names[n] = name;
      G_VALUE_COLLECT_INIT (&values[n], pspec->value_type, ap, 0, &error);
      g_assert_null (error);
      n++;
    }
  va_end (ap);

  account = FLOE_ACCOUNT (g_object_new_with_properties (FLOE_TYPE_ACCOUNT, n, names, values));
  for (guint i = 0; i < n; i++)
    g_value_unset (&values[i]);
  return account;
}
